/* The sshd test fixture (tests/fixtures/sshd/sshd.sh) in a temp directory,
 * and the login, command and error-message helpers of the SSH tests. */
#ifndef OC_SSHFX_H
#define OC_SSHFX_H

#include "worker/ssh.h"

#define SSHFX_MAX_MSGS 256

/* One running fixture. Caller-owned (static storage); everything it
 * points to is malloc'd here and freed by sshfx_stop. */
struct sshfx {
	char script[4096];	      /* path of sshd.sh */
	char dir[256];		      /* the fixture's DIR; "" when stopped */
	int port;		      /* sshd on 127.0.0.1 */
	char *password;		      /* of oc-test-pw, and its sudo password */
	char *passphrase;	      /* of the *_pass keys */
	char *key_ed, *key_ed_pass;   /* OpenSSH ed25519 */
	char *key_rsa, *key_rsa_pass; /* PEM RSA */
	char *key_ec, *key_ec_pass;   /* PEM ECDSA */
	char *msgs[SSHFX_MAX_MSGS];   /* every error message kept */
	int nmsgs;
};

/* Makes a temp directory, starts sshd.sh there on a free loopback port,
 * reads the keys, password and passphrase, and initializes libssh2.
 * Returns 0, or -1 when not root (the caller skips). BAIL_OUT on any
 * other failure. One fixture per process: until sshfx_stop, fx must stay
 * valid, and it is stopped at exit (BAIL_OUT included) if still up. */
int sshfx_start(struct sshfx *fx);
/* Shows the server log when a test has failed, stops the server, removes
 * the directory and frees what fx holds. Safe to call again. */
void sshfx_stop(struct sshfx *fx);
/* Runs "sshd.sh rekey DIR": new host keys, same port. 0 or -1. */
int sshfx_rekey(const struct sshfx *fx);
/* The last lines of the server log, on stderr. */
void sshfx_show_log(const struct sshfx *fx);
/* A loopback port free right now. */
int sshfx_free_port(void);

/* A target of the fixture for user, 5 s timeout, no credential. The
 * strings are the caller's (user) or fx's. */
struct ssh_target sshfx_target(const struct sshfx *fx, const char *user);
/* Keeps a copy of e's message when e is an error (for
 * sshfx_check_no_secrets). */
void sshfx_keep(struct sshfx *fx, const struct ssh_err *e);
/* Connects and logs in as one test named what (diagnostics and the
 * server log when it fails). The connection is the caller's (ssh_close);
 * NULL on failure. */
struct ssh_conn *sshfx_login(struct sshfx *fx, const struct ssh_target *t,
			     const char *what);
/* Connects and closes again; info may be NULL. The status. */
enum ssh_status sshfx_try_login(struct sshfx *fx, const struct ssh_target *t,
				struct ssh_info *info);
/* ssh_exec, keeping the error message and showing unexpected failures. r
 * is the caller's to clean up (ssh_exec_result_cleanup). */
enum ssh_status sshfx_run(struct sshfx *fx, struct ssh_conn *c, const char *cmd,
			  const struct ssh_exec_opt *o,
			  struct ssh_exec_result *r);
/* How many sessions (channels running a command) the server started so
 * far, from its log; -1 when the log cannot be read. */
int sshfx_sessions(const struct sshfx *fx);
/* Two tests: more than min_msgs error messages were kept, and none holds
 * the password, the passphrase, a piece of a key or "wrong-password". */
void sshfx_check_no_secrets(const struct sshfx *fx, int min_msgs);

#endif
