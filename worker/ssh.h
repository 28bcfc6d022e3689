/* SSH client over libssh2: connection with host key checking, password or
 * key authentication, and commands run on one session that a job's steps
 * share, each on a channel of its own or, once ssh_share_shell was called,
 * in one shell that stays open on one channel. One thread uses a
 * connection at a time. */
#ifndef OC_SSH_H
#define OC_SSH_H

#include <stddef.h>

#include "buf.h"

/* The outcome of every ssh_ and sftp_ call. */
enum ssh_status {
	SSH_OK,			  /* done */
	SSH_ERR_INVALID,	  /* a bad argument from the caller */
	SSH_ERR_RESOLVE,	  /* the host name does not resolve */
	SSH_ERR_REFUSED,	  /* TCP connection refused */
	SSH_ERR_UNREACHABLE,	  /* no route to the host or network */
	SSH_ERR_TIMEOUT,	  /* no answer, or not done, in time */
	SSH_ERR_NETWORK,	  /* connection reset or lost */
	SSH_ERR_PROTOCOL,	  /* not an SSH server, or handshake failed */
	SSH_ERR_HOST_KEY_CHANGED, /* the host key differs from the known
				   * one; nothing was authenticated */
	SSH_ERR_AUTH,		  /* the server rejected the credentials */
	SSH_ERR_KEY,		  /* the private key cannot be read (format
				   * or passphrase) */
	SSH_ERR_CHANNEL,	  /* the server refused a channel or command */
	SSH_ERR_CANCELED,	  /* the cancel flag was set */
	SSH_ERR_REMOTE,		  /* a remote file operation failed */
	SSH_ERR_EXISTS,		  /* the remote file exists (fail_if_exists) */
	SSH_ERR_TOO_LARGE,	  /* more data than the cap allows */
	SSH_ERR_CHECKSUM,	  /* SHA-256 differs after a transfer */
};

/* An outcome with a message in plain words for an operator. Messages never
 * hold passwords, passphrases or key text. */
struct ssh_err {
	enum ssh_status code;
	char msg[320];
};

/* Where and how to connect. Nothing is copied beyond ssh_connect. */
struct ssh_target {
	const char *host; /* name, IPv4 or IPv6 literal ("[::1]" too) */
	int port;	  /* 0: 22 */
	const char *user;
	const char *password;	/* password authentication, or NULL */
	const char *key;	/* private key text, OpenSSH or PEM, or NULL;
				 * tried before the password when both */
	size_t key_len;		/* 0: strlen(key) */
	const char *passphrase; /* of an encrypted key, or NULL */
	const char *known_fingerprint; /* "SHA256:..." recorded earlier;
					* NULL or "" on first contact */
	int timeout_ms;	      /* connect + handshake + auth; 0: 10000 */
	volatile int *cancel; /* stops waiting when set; may be NULL */
};

/* What a connection attempt learned; filled as far as it got, so a failed
 * authentication still reports the host key, banner and latency. */
struct ssh_info {
	int reachable; /* TCP connected and SSH handshake done */
	int authenticated;
	char address[64];     /* the address connected to */
	char banner[256];     /* the server's "SSH-2.0-..." line */
	char key_type[32];    /* "ssh-ed25519", "ssh-rsa", ... */
	char fingerprint[64]; /* "SHA256:<base64 without padding>" */
	double connect_ms;    /* TCP connect */
	double latency_ms;    /* TCP connect + SSH handshake */
};

/* A session. The fields are for ssh.c and sftp.c only. */
struct ssh_conn {
	struct _LIBSSH2_SESSION *session;
	int fd;
	int broken;	 /* the session failed; only ssh_close helps */
	int env_refused; /* sshd refused a setenv: export instead */
	int share_shell; /* commands go to one shared shell */
	struct _LIBSSH2_CHANNEL *shell; /* that shell's channel, or NULL */
	long shell_pid;		  /* its process (group); 0: not yet known */
	char shell_tok[20];	  /* marks its own line on stderr */
	const char *kbd_password; /* during authentication only */
	char peer[280];		  /* "host port N", for messages */
};

enum ssh_stream {
	SSH_STDOUT, /* the command's standard output */
	SSH_STDERR, /* the command's standard error */
};

/* Called with output as it arrives (never with the markers ssh_exec
 * uses internally). */
typedef void ssh_output_fn(void *arg, enum ssh_stream stream, const char *data,
			   size_t len);

struct ssh_env_var {
	const char *name; /* [A-Za-z_][A-Za-z0-9_]* */
	const char *value;
};

/* Options of one command; zero means the default. */
struct ssh_exec_opt {
	const struct ssh_env_var *env; /* nenv variables */
	size_t nenv;
	const char *cwd;	   /* working directory */
	int sudo;		   /* run as root through sudo */
	const char *sudo_password; /* sent when sudo asks; NULL: sudo -n */
	const void *stdin_data;	   /* fed to the command, then EOF */
	size_t stdin_len;
	int timeout_ms;		  /* 0: no limit */
	volatile int *cancel;	  /* checked at least every 100 ms */
	ssh_output_fn *on_output; /* may be NULL */
	void *arg;
	size_t capture_max; /* bytes kept of each stream; 0: 1 MiB */
};

/* The result of a command. ssh_exec_result_cleanup frees it. */
struct ssh_exec_result {
	int exit_status;      /* -1 when the command did not exit normally */
	char exit_signal[32]; /* "TERM", "KILL", ... or "" */
	int timed_out;	      /* stopped at timeout_ms */
	int canceled;	      /* stopped by the cancel flag */
	int sudo_refused;     /* sudo asked for the password again */
	size_t stdout_bytes;  /* seen, captured or not */
	size_t stderr_bytes;
	struct buf out; /* captured, up to capture_max */
	struct buf err;
	int out_truncated; /* more was seen than captured */
	int err_truncated;
	double duration_ms;
};

/* The facts a connection test reports. */
struct ssh_os {
	char kernel[128];      /* uname -srm */
	char id[64];	       /* os-release ID, "debian" */
	char version_id[64];   /* os-release VERSION_ID, "12" */
	char pretty_name[128]; /* os-release PRETTY_NAME */
};

/* Once per process before any thread connects. 0 or -1. */
int ssh_global_init(void);
/* A stable machine name of a status: "ok", "host_key_changed", ... */
const char *ssh_status_name(enum ssh_status s);

/* Connects, checks the host key against t->known_fingerprint before
 * authenticating, and authenticates. On SSH_OK *out is a connection the
 * caller closes with ssh_close. info may be NULL; err may be NULL. */
enum ssh_status ssh_connect(const struct ssh_target *t, struct ssh_info *info,
			    struct ssh_conn **out, struct ssh_err *err);
/* Ends the session and frees c (NULL is fine). */
void ssh_close(struct ssh_conn *c);
/* 0 once the session failed (reconnect), 1 while usable. */
int ssh_alive(const struct ssh_conn *c);

/* From now on ssh_exec runs commands in one shell of the login user's that
 * stays open on one channel (sshd starts a process for it once, instead of
 * a session process and a shell per command); each command runs in a
 * subshell of it with /dev/null as its input, so nothing it changes (its
 * directory, variables, umask, exit) reaches the next. Commands with input
 * to feed, sudo with a password, or longer than 64 KiB still get a channel
 * of their own. A command that is stopped (timeout, cancel) ends the shell
 * with it; the next command starts another. */
void ssh_share_shell(struct ssh_conn *c);

/* Runs command on its own channel, or in the shared shell (ssh_share_shell).
 * SSH_OK when it ran to its end, whatever its exit status; SSH_ERR_TIMEOUT
 * or SSH_ERR_CANCELED when it was stopped (the remote process group was
 * signalled TERM, then KILL, and is gone; r holds the output so far);
 * other codes when the session failed.
 * r is initialized here; free it with ssh_exec_result_cleanup. o may be
 * NULL. */
enum ssh_status ssh_exec(struct ssh_conn *c, const char *command,
			 const struct ssh_exec_opt *o,
			 struct ssh_exec_result *r, struct ssh_err *err);
void ssh_exec_result_cleanup(struct ssh_exec_result *r);

/* Runs uname -srm and reads /etc/os-release. */
enum ssh_status ssh_detect_os(struct ssh_conn *c, int timeout_ms,
			      volatile int *cancel, struct ssh_os *os,
			      struct ssh_err *err);

/* Appends s quoted for a POSIX shell ('...' with '\'' for quotes).
 * -1 when the buffer's cap is reached. */
int ssh_shell_quote(struct buf *b, const char *s);
/* The same on one line: each newline of s is written as "$nlvar" between
 * the quoted pieces (a variable the shell holds a newline in). */
int ssh_shell_quote_line(struct buf *b, const char *s, const char *nlvar);

/* For sftp.c: waiting on the socket while libssh2 would block (SSH_OK to
 * retry, or SSH_ERR_TIMEOUT past deadline_ms, SSH_ERR_CANCELED), a libssh2
 * error code as a status and message (what: "uploading the file"), the
 * monotonic clock in ms, and setting an error. */
enum ssh_status ssh_wait(struct ssh_conn *c, long long deadline_ms,
			 volatile int *cancel, struct ssh_err *err);
enum ssh_status ssh_fail(struct ssh_conn *c, int rc, const char *what,
			 struct ssh_err *err);
long long ssh_now_ms(void);
void ssh_err_set(struct ssh_err *err, enum ssh_status code, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

#endif
