/* A raw server-sent events client for tests and the events benchmark:
 * HTTPS/1.0 over OpenSSL from a chosen loopback source address, so a test
 * can stop reading (slow client) or shrink its receive buffer. */
#ifndef OC_SSEC_H
#define OC_SSEC_H

#include <stddef.h>

struct ssec;

/* One event (or comment) read from a stream; data lives until the next
 * ssec_next or ssec_close on the same stream. */
struct ssec_event {
	long long id;      /* -1 when the event had no id */
	char type[64];     /* "" for a comment */
	const char *data;  /* data (or the comment text) */
	int comment;       /* 1 for a ": ..." comment line block */
};

/* Connects to base ("https://127.0.0.1:PORT") from source (NULL: any),
 * sends GET path with the given Authorization value (NULL: none) and
 * Last-Event-ID (NULL: none), and reads the response head. rcvbuf > 0
 * sets SO_RCVBUF before connecting. NULL when the connection fails. */
struct ssec *ssec_open(const char *base, const char *source,
		       const char *path, const char *authorization,
		       const char *last_event_id, int rcvbuf);
/* The response status and its raw header block. */
int ssec_status(const struct ssec *c);
const char *ssec_headers(const struct ssec *c);
/* Reads the next event or comment: 1 got one, 0 none within timeout_ms,
 * -1 the stream ended. */
int ssec_next(struct ssec *c, struct ssec_event *ev, int timeout_ms);
/* The rest of the body until the server closes (for error answers);
 * NUL-terminated, lives until ssec_close. */
const char *ssec_body(struct ssec *c, int timeout_ms);
/* The socket (to poll on many streams). */
int ssec_fd(const struct ssec *c);
/* 1 when decrypted bytes are buffered (poll would not show them). */
int ssec_pending(const struct ssec *c);
void ssec_close(struct ssec *c);

#endif
