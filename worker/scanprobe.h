/* What the discovery scanner says and hears on an open port: the SSH
 * identification line, or a WS-Management Identify over HTTP or HTTPS.
 * Non-blocking: one step per socket event, driven by the caller's poll. */
#ifndef OC_SCANPROBE_H
#define OC_SCANPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#define SCANPROBE_TEXT_MAX 256	/* banner or header kept, with its NUL */
#define SCANPROBE_READ_MAX 4096 /* bytes read at most */

enum scanprobe_kind {
	SCANPROBE_BANNER, /* wait for the server to send an "SSH-" line */
	SCANPROBE_HTTP,	  /* POST /wsman Identify, read the answer's head */
	SCANPROBE_HTTPS,  /* the same over TLS, certificate not checked */
};

/* What the probe waits for next. */
enum scanprobe_want {
	SCANPROBE_WANT_READ,  /* the socket readable */
	SCANPROBE_WANT_WRITE, /* the socket writable */
	SCANPROBE_DONE,	      /* finished: results are set */
};

struct scanprobe {
	int fd; /* not owned */
	enum scanprobe_kind kind;
	int phase; /* internal */
	SSL *ssl;  /* owned, HTTPS only */
	char *buf; /* owned, SCANPROBE_READ_MAX + 1 bytes */
	size_t len, sent;
	/* Results, set once done. Text is printable ASCII ('?' replaces
	 * anything else), without the line end. */
	char banner[SCANPROBE_TEXT_MAX]; /* "SSH-2.0-...", "" if none */
	int status;			 /* HTTP status, 0 if no answer */
	char server[SCANPROBE_TEXT_MAX]; /* Server header, "" if none */
};

/* A TLS client context for probes: no certificate verification, old
 * protocol versions allowed (a probe sends no secret). NULL on failure.
 * Free with SSL_CTX_free. */
SSL_CTX *scanprobe_tls_new(void);
/* Starts a probe on the connected non-blocking socket fd; host and port
 * name the peer in the Host header. tls is needed for HTTPS. Returns 0
 * (call scanprobe_want for what to wait for) or -1 (TLS setup failed;
 * the probe is already cleaned up). */
int scanprobe_start(struct scanprobe *p, enum scanprobe_kind kind, int fd,
		    SSL_CTX *tls, const char *host, uint16_t port);
/* What to wait for before the next scanprobe_step. */
enum scanprobe_want scanprobe_want(const struct scanprobe *p);
/* Does what the socket allows now. Returns what to wait for next. */
enum scanprobe_want scanprobe_step(struct scanprobe *p);
/* Ends the probe early (a timeout): keeps what was received so far. */
void scanprobe_finish(struct scanprobe *p);
/* Frees the probe's buffers and TLS state; fd stays open. */
void scanprobe_cleanup(struct scanprobe *p);

/* Finds an "SSH-" line in buf[0..len) (other lines may come first, as
 * RFC 4253 allows); at eof a last line without its LF counts. Returns 1
 * and fills out (size bytes) when found. */
int scanprobe_ssh_line(const char *buf, size_t len, int eof, char *out,
		       size_t size);
/* Parses an HTTP answer head (NUL-terminated): returns the status code
 * (0 if buf is not an HTTP answer) and fills server (size bytes) with the
 * Server header or "". */
int scanprobe_http_head(const char *buf, char *server, size_t size);

#endif
