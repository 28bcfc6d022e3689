/* What the two ways of running a command over SSH share: one channel per
 * command (sshexec.c) and one shell a session's commands share
 * (sshshell.c). For those two files only. */
#ifndef OC_SSHEXEC_H
#define OC_SSHEXEC_H

#include <stddef.h>

#include <libssh2.h>

#include "buf.h"
#include "ssh.h"

#define SSHEXEC_CAPTURE 1048576 /* default bytes kept per stream */
#define SSHEXEC_PRE_MAX 65536	/* stderr held while markers are awaited */
#define SSHEXEC_SETUP_MS 30000	/* channel setup limit without a timeout */
#define SSHEXEC_KILL_MS 5000	/* the kill command's own limit */
#define SSHEXEC_GRACE_MS 2000	/* waiting for the end after the kill */
#define SSHEXEC_CMD_MAX (8 * 1048576)
#define SSHEXEC_SHELL_MAX 65536 /* longer commands get their own channel */
#define SSHEXEC_NL "__oc_nl"	/* the shared shell's newline variable */

/* One command in flight. */
struct sshexec_run {
	struct ssh_conn *c;
	LIBSSH2_CHANNEL *ch;
	const struct ssh_exec_opt *o;
	struct ssh_exec_result *r;
	volatile int *cancel;
	size_t cap;
	char tok[20];	 /* "OC" + 16 hex: marks our lines on stderr */
	char prompt[32]; /* tok + ":pw:", sudo's password prompt */
	struct buf pre;	 /* stderr held until the markers were seen */
	int running;	 /* markers seen: the command itself runs */
	long pgid;	 /* the remote process group, 0 while unknown */
	int prompts;	 /* sudo password prompts seen */
	char *pw;	 /* the password line, zeroed when freed */
	size_t pw_len, pw_off;
	size_t in_off;	/* stdin bytes written */
	int stop_input; /* send EOF now, no further stdin */
	int eof_sent;
	/* In the shared shell: the command's text still to write, what is
	 * held of each stream until it is known not to be the start of the
	 * command's end marker, which ends were seen, and the exit status
	 * the stdout marker gave. */
	struct buf text;
	size_t text_off;
	struct buf hold[2];
	int ended[2];
	int status;
	int in_shell; /* the command runs in the shared shell */
	int gone;     /* the shared shell ended before the command did */
};

/* sshexec.c: the command's environment, directory and text; output to
 * the result and the callback; the read/write loop of a command; the kill
 * of a stopped command's process group; channels opened, started, closed
 * and freed; a command's setup, cleanup and stop. */
int sshexec_body(const struct ssh_exec_opt *o, const char *command,
		 const unsigned char *sent, struct buf *b);
void sshexec_emit(struct sshexec_run *x, enum ssh_stream s, const char *p,
		  size_t n);
void sshexec_consume(struct buf *b, size_t n);
enum ssh_status sshexec_loop(struct sshexec_run *x, long long dl,
			     volatile int *cancel, int *stopped,
			     struct ssh_err *err);
void sshexec_kill(struct sshexec_run *x);
void sshexec_finish(struct sshexec_run *x);
void sshexec_free(struct ssh_conn *c, LIBSSH2_CHANNEL *ch, long long dl);
void sshexec_token(char *tok);
enum ssh_status sshexec_open(struct ssh_conn *c, long long dl,
			     volatile int *cancel, LIBSSH2_CHANNEL **ch,
			     struct ssh_err *err);
enum ssh_status sshexec_start(struct ssh_conn *c, LIBSSH2_CHANNEL *ch,
			      const char *command, long long dl,
			      volatile int *cancel, const char *what,
			      struct ssh_err *err);
void sshexec_run_init(struct sshexec_run *x, struct ssh_conn *c,
		      const struct ssh_exec_opt *o, struct ssh_exec_result *r);
void sshexec_run_cleanup(struct sshexec_run *x, long long t0);
enum ssh_status sshexec_stopped(struct sshexec_run *x, int stopped,
				struct ssh_err *err);
/* sshshell.c: whether a command may run in the shared shell, running it
 * there, and the loop's reading and writing for it. */
int sshexec_shell_fits(const struct ssh_conn *c, const char *command,
		       const struct ssh_exec_opt *o);
void sshexec_shell_scan(struct sshexec_run *x, enum ssh_stream s, const char *p,
			size_t n);
void sshexec_shell_stderr(struct sshexec_run *x, const char *p, size_t n);
long sshexec_shell_write(struct sshexec_run *x);
enum ssh_status sshexec_shell(struct ssh_conn *c, const char *command,
			      const struct ssh_exec_opt *o,
			      struct ssh_exec_result *r, struct ssh_err *err);

#endif
