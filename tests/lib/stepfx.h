/* Calling step executors directly in tests: a step_call set up the way
 * the run engine does (inputs from JSON text, output recorded, a cancel
 * flag, job attachments), without the engine. */
#ifndef OC_STEPFX_H
#define OC_STEPFX_H

#include <stddef.h>

#include "buf.h"
#include "worker/step.h"

/* One call. Caller-owned; stepfx_begin fills it, stepfx_end frees it. */
struct stepfx {
	struct step_call c;
	volatile int cancel;
	struct buf streamed[4]; /* what on_output got, per stream 1..3 */
	int chunks;		/* on_output calls */
	enum step_outcome outcome;
};

/* A job attachment get_file will find (content copied; sha256 NULL:
 * computed, else stored as given, to test a corrupt attachment). */
void stepfx_add_file(const char *name, const void *p, size_t n,
		     const char *sha256);
/* Sets up x for type with inputs (JSON object text), the target and io
 * (shared across calls, as the engine does for one target), a timeout
 * (0: none) and the capture cap (0: 65536). BAIL_OUT on bad JSON. */
void stepfx_begin(struct stepfx *x, const char *type, const char *inputs,
		  const struct step_target *t, struct step_io *io,
		  int timeout_ms, size_t capture_max);
/* Runs fn on x (x->outcome set and returned). */
enum step_outcome stepfx_run(struct stepfx *x, step_fn *fn);
/* Frees the results and inputs of x. */
void stepfx_end(struct stepfx *x);
/* Closes the connections of io. */
void stepfx_io_close(struct step_io *io);
/* The name of an outcome ("succeeded", ...). */
const char *stepfx_outcome(enum step_outcome o);
/* Sets *flag after ms milliseconds, from a thread of its own. */
void stepfx_cancel_after(volatile int *flag, int ms);
/* Waits for the thread stepfx_cancel_after started. */
void stepfx_cancel_join(void);

#endif
