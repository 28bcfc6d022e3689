/* WinRM client: WS-Management over HTTP(S) through libcurl, for connection
 * tests (Identify, an authenticated call) and remote commands in a WinRS
 * shell (Create, Command, Receive, Signal, Delete — MS-WSMV 3.1.4.1).
 *
 * Authentication is Basic or NTLM (libcurl's CURLAUTH_NTLM; the NTLM state
 * belongs to the TCP connection, so one session keeps one connection
 * alive). Basic is refused over plain HTTP unless allow_basic_http is set:
 * the password would cross the network in clear. NTLM over plain HTTP
 * works only against servers that accept unencrypted messages
 * (winrm/config/service AllowUnencrypted=true): libcurl authenticates but
 * does not seal the SOAP bodies the way a Windows client does; HTTPS is
 * the safe choice.
 *
 * Every request has a size cap on the answer and a time limit. Error texts
 * name what failed in plain words and never contain the password.
 *
 * Thread-safe: call winrm_global_init() once at start (before threads);
 * after that a session may be used by one thread at a time and any number
 * of sessions may run in parallel. */
#ifndef OC_WINRM_H
#define OC_WINRM_H

#include <stddef.h>

#define WINRM_ID_MAX 80    /* ShellId / CommandId with NUL */
#define WINRM_FIELD_MAX 256 /* identity fields with NUL */

/* Results: 0 or one of these negative codes (err holds the detail). */
enum winrm_status {
	WINRM_OK = 0,
	WINRM_ERR_CONFIG = -1,      /* the target as given cannot be used */
	WINRM_ERR_UNREACHABLE = -2, /* name lookup, connect, connection lost */
	WINRM_ERR_TLS = -3,         /* handshake or certificate check failed */
	WINRM_ERR_AUTH = -4,        /* credentials refused (HTTP 401) */
	WINRM_ERR_PROTOCOL = -5,    /* unexpected status, answer not WS-Man */
	WINRM_ERR_FAULT = -6,       /* the server answered a SOAP fault */
	WINRM_ERR_TIMEOUT = -7,     /* a request or the command ran too long */
	WINRM_ERR_CANCELED = -8,    /* the caller's cancel flag was set */
	WINRM_ERR_TOOBIG = -9,      /* an answer exceeded the size cap */
	WINRM_ERR_ABORTED = -10,    /* the output callback asked to stop */
};

enum winrm_auth {
	WINRM_AUTH_BASIC, /* RFC 7617, HTTPS only unless allowed */
	WINRM_AUTH_NTLM,  /* NTLMv2 through libcurl */
};

/* Where and how to connect. The strings are borrowed: they must outlive
 * every session made from the target. */
struct winrm_target {
	const char *host;      /* name, IPv4 or IPv6 (without brackets) */
	int port;              /* 0: 5985 for HTTP, 5986 for HTTPS */
	int https;
	int verify_tls;        /* check certificate chain and host name */
	const char *ca_file;   /* PEM bundle to trust instead of the system
				* one; NULL for the system store */
	enum winrm_auth auth;
	int allow_basic_http;  /* explicit consent to Basic in clear */
	const char *user;
	const char *password;
	const char *domain;    /* NULL or "": a local account */
	int timeout_ms;        /* per request; 0: 30000 */
};

/* What wsmid:Identify reports. */
struct winrm_identity {
	char protocol_version[WINRM_FIELD_MAX];
	char product_vendor[WINRM_FIELD_MAX];
	char product_version[WINRM_FIELD_MAX]; /* "OS: 10.0.17763 SP: 0.0
						* Stack: 3.0" */
	char server[WINRM_FIELD_MAX];          /* HTTP Server header */
	long latency_ms;                       /* of the Identify exchange */
};

/* Options of a new shell; zero/NULL fields take the defaults. */
struct winrm_shell_opts {
	const char *working_dir;      /* NULL: the user's profile */
	const char *const *env;       /* "NAME=value" strings, NULL ended */
	int idle_timeout_s;           /* 0: the server's default */
};

/* Streams given to an output callback. */
enum winrm_stream {
	WINRM_STDOUT = 1, /* rsp:Stream Name="stdout" */
	WINRM_STDERR = 2, /* rsp:Stream Name="stderr" */
};

/* Receives decoded output bytes as they arrive (UTF-8 with codepage 65001;
 * a chunk may end in the middle of a character). Return 0 to go on, any
 * other value to stop the command (WINRM_ERR_ABORTED). */
typedef int (*winrm_output_fn)(void *ctx, enum winrm_stream stream,
			       const char *data, size_t n);

struct winrm_session;

/* curl_global_init; once per process, before any thread uses WinRM.
 * Returns 0 or -1. */
int winrm_global_init(void);
/* A short English name of a status code ("unreachable", "tls", ...). */
const char *winrm_status_name(int status);

/* Anonymous Identify (header WSMANIDENTIFY: unauthenticated; no
 * credentials are sent). Windows reports "OS: 0.0.0" here; the real
 * version comes from winrm_check_auth. Returns 0 or a winrm_status. */
int winrm_identify(const struct winrm_target *t, struct winrm_identity *out,
		   char *err, size_t errlen);
/* Authenticated Identify: proves the credentials and reports the real
 * product version. WINRM_ERR_AUTH when refused. out may be NULL. */
int winrm_check_auth(const struct winrm_target *t,
		     struct winrm_identity *out, char *err, size_t errlen);

/* A connection to one target (heap object). NULL with err filled when the
 * target cannot be used (missing host, Basic over HTTP, ...). */
struct winrm_session *winrm_session_new(const struct winrm_target *t,
					char *err, size_t errlen);
void winrm_session_free(struct winrm_session *s);
/* A flag polled during Receive: when *cancel becomes non-zero, the
 * request in flight is abandoned (within ~100 ms) and the call returns
 * WINRM_ERR_CANCELED. deadline_ms (CLOCK_MONOTONIC, 0: none) does the
 * same with WINRM_ERR_TIMEOUT. */
void winrm_session_limits(struct winrm_session *s, volatile int *cancel,
			  long long deadline_ms);

/* Creates a cmd shell (codepage 65001); shell_id gets WINRM_ID_MAX. */
int winrm_shell_open(struct winrm_session *s,
		     const struct winrm_shell_opts *o, char *shell_id,
		     char *err, size_t errlen);
/* Starts a command line (command, then args joined by spaces: cmd.exe
 * parses the whole line); command_id gets WINRM_ID_MAX. */
int winrm_command(struct winrm_session *s, const char *shell_id,
		  const char *command, const char *const *args,
		  char *command_id, char *err, size_t errlen);
/* One Receive round: delivers the output it carries to fn, sets *done and
 * *exit_code when the command finished. A round in which the server had
 * nothing to say (w:TimedOut) returns 0 with *done = 0. */
int winrm_receive(struct winrm_session *s, const char *shell_id,
		  const char *command_id, winrm_output_fn fn, void *ctx,
		  int *done, int *exit_code, char *err, size_t errlen);
/* Signal codes for winrm_signal. */
#define WINRM_SIGNAL_TERMINATE \
	"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/" \
	"terminate"
#define WINRM_SIGNAL_CTRL_C \
	"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/" \
	"ctrl_c"
int winrm_signal(struct winrm_session *s, const char *shell_id,
		 const char *command_id, const char *code, char *err,
		 size_t errlen);
/* Deletes the shell (and whatever still runs in it). */
int winrm_shell_close(struct winrm_session *s, const char *shell_id,
		      char *err, size_t errlen);

/* All of it: open a shell, run command_line, stream its output to fn,
 * then delete the shell. On timeout_ms (0: none) or *cancel (may be NULL)
 * the command is sent Signal terminate and the shell deleted before
 * returning WINRM_ERR_TIMEOUT / WINRM_ERR_CANCELED. *exit_code is set when
 * the command finished (0 returned). */
int winrm_run(const struct winrm_target *t, const char *command_line,
	      int timeout_ms, volatile int *cancel, winrm_output_fn fn,
	      void *ctx, int *exit_code, char *err, size_t errlen);

/* "powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64 of
 * the UTF-16LE script>". Returns a malloc'd string the caller frees, or
 * NULL when script is not valid UTF-8. */
char *winrm_powershell_command(const char *script);

#endif
