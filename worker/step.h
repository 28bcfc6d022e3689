/* Step executors: what one step of a job does on one target. The run
 * engine (worker/run*.c) renders the inputs, then calls the executor of the
 * step's type; executors know nothing of runs, the database or masking. */
#ifndef OC_STEP_H
#define OC_STEP_H

#include <stddef.h>
#include <json-c/json.h>
#include "buf.h"

struct ssh_conn;
struct winrm_session;

/* How a step ended; the run_steps.state it is stored as. */
enum step_outcome {
	STEP_SUCCEEDED, /* ran and met its success condition (exit 0, expected
			 * HTTP status, file transferred and verified) */
	STEP_FAILED,	/* ran and failed, or could not run (error says why) */
	STEP_TIMED_OUT, /* stopped at timeout_ms; the remote side was told to
			 * stop (SSH signal, WinRM terminate) */
	STEP_CANCELED,	/* stopped because *cancel was set */
};

/* The target a step runs on. Decrypted secrets live only here, for the
 * duration of the target's steps; the engine wipes them afterwards. */
struct step_target {
	const char *id;	      /* NULL for the local pseudo-target */
	const char *name;
	const char *host;
	int port;
	const char *os;	      /* "linux", "windows" */
	const char *protocol; /* "ssh", "winrm" */
	const char *user;     /* target's ssh_user, else the credential's */
	const char *password; /* credential secret, or NULL */
	const char *key;      /* private key text, or NULL */
	const char *passphrase;
	const char *domain;	     /* WinRM NTLM domain, or NULL */
	const char *host_key;	     /* recorded "SHA256:..." or NULL */
	int winrm_https;
	int winrm_verify_tls;
	const char *winrm_auth; /* "basic", "ntlm" */
};

/* Connections a target's steps share; owned by the engine, which closes
 * them when the target is done. An executor opens one lazily when it is
 * NULL (or no longer alive) and stores it here for the next step. */
struct step_io {
	struct ssh_conn *ssh;
	struct winrm_session *winrm;
	int ssh_commands; /* commands the target's steps may run over SSH
			   * (set by the engine); with more than one they
			   * share one shell (ssh_share_shell) */
};

/* Output as it arrives: stream 1 stdout, 2 stderr, 3 a system line (e.g.
 * "uploading 12 bytes to /tmp/x"). The engine masks and logs it. */
typedef void step_output_fn(void *arg, int stream, const char *data,
			    size_t len);

/* An attachment of the job (sftp.upload), loaded by the engine. */
struct step_file {
	const unsigned char *content;
	size_t size;
	char sha256[65]; /* hex, as stored */
};
/* 0 with *f filled (valid until the step returns), or -1 with no such
 * attachment. */
typedef int step_file_fn(void *arg, const char *name, struct step_file *f);

/* One call of an executor. The engine fills the inputs part; the executor
 * fills the results part. */
struct step_call {
	/* inputs */
	const char *type;   /* "ssh.command", ... */
	json_object *inputs; /* rendered (templates expanded and quoted) and
			      * with defaults applied; borrowed */
	const struct step_target *target;
	struct step_io *io;
	int timeout_ms;	      /* 0: no limit */
	volatile int *cancel; /* checked at least every 100 ms */
	step_output_fn *on_output;
	step_file_fn *get_file;
	void *arg;	    /* passed to on_output and get_file */
	size_t capture_max; /* bytes kept of each of stdout and stderr */
	/* results (initialised by the engine with step_call_init) */
	int exit_code;	      /* -1 when there is none; http.request: the
			       * HTTP status */
	char exit_signal[32]; /* "TERM", ... or "" */
	struct buf out;	      /* captured stdout (http.request: the
			       * response body), up to capture_max */
	struct buf err;
	int out_truncated;
	int err_truncated;
	json_object *outputs; /* optional extra results, owned (e.g. the
			       * HTTP response headers, a file's sha256) */
	struct buf file;      /* sftp.download: the file fetched */
	char file_path[1024]; /* sftp.download: where it was */
	char error[512];      /* why it failed, for a person; no secrets */
};

typedef enum step_outcome step_fn(struct step_call *c);

/* The executor for a step type, or NULL. */
step_fn *step_find(const char *type);
/* Sets up the results part; capture_max must be set first. */
void step_call_init(struct step_call *c);
/* Frees the results part. */
void step_call_cleanup(struct step_call *c);
/* The run_steps.state name of an outcome. */
const char *step_outcome_name(enum step_outcome o);

/* The executors (worker/step_*.c). */
enum step_outcome step_local_noop(struct step_call *c);
enum step_outcome step_local_sleep(struct step_call *c);
enum step_outcome step_ssh_command(struct step_call *c);
enum step_outcome step_ssh_script(struct step_call *c);
enum step_outcome step_sftp_upload(struct step_call *c);
enum step_outcome step_sftp_download(struct step_call *c);
enum step_outcome step_winrm_powershell(struct step_call *c);
enum step_outcome step_winrm_cmd(struct step_call *c);
enum step_outcome step_http_request(struct step_call *c);

#endif
