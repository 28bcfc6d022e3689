/* What the remote step executors (step_ssh.c, step_sftp.c, step_winrm.c,
 * step_http.c) share: reading inputs, streaming and capturing output,
 * errors, deadlines, and the SSH connection a target's steps reuse. */
#ifndef OC_STEPIO_H
#define OC_STEPIO_H

#include <stddef.h>

#include "step.h"

struct ssh_conn;

/* The string input name, or dflt when absent or null. */
const char *stepio_str(const struct step_call *c, const char *name,
		       const char *dflt);
/* The integer input name (a JSON integer or a string of digits), or dflt
 * when absent or null; -1 with *v untouched when it is neither. */
int stepio_int(const struct step_call *c, const char *name, long long dflt,
	       long long *v);
/* The boolean input name, or dflt when absent or null. */
int stepio_bool(const struct step_call *c, const char *name, int dflt);
/* The object input name (env, headers), or NULL. Borrowed. */
json_object *stepio_map(const struct step_call *c, const char *name);

/* Output of stream 1 or 2: passed to c->on_output and kept in c->out or
 * c->err up to c->capture_max (the truncated flag set beyond). */
void stepio_output(struct step_call *c, int stream, const char *data,
		   size_t len);
/* A system line (stream 3) for the log, e.g. "uploading 12 bytes". */
void stepio_note(struct step_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets c->error and returns outcome. */
enum step_outcome stepio_fail(struct step_call *c, enum step_outcome outcome,
			      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The monotonic clock in ms. */
long long stepio_now_ms(void);
/* The deadline of a step started now (0: none). */
long long stepio_deadline(const struct step_call *c);
/* Milliseconds left until deadline (0: none left; deadline 0: dflt). */
int stepio_left_ms(long long deadline, int dflt);

/* The target's SSH session in c->io->ssh, opened (or reopened when it
 * broke) as needed: the recorded host key must match, and a target
 * without one is refused. STEP_SUCCEEDED with *out set, or the outcome
 * of the step with c->error filled. */
enum step_outcome stepio_ssh(struct step_call *c, long long deadline,
			     struct ssh_conn **out);
/* Drops c->io->ssh when it is no longer usable. */
void stepio_ssh_check(struct step_call *c);

#endif
