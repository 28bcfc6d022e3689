/* The request lifecycle: one function from FastCGI accept to access log. */
#ifndef OC_HTTP_H
#define OC_HTTP_H

#include <stddef.h>

struct route;
struct arena;
struct db;
struct req;
struct FCGX_Request;

/* What a worker process serves with. */
struct http_ctx {
	const struct route *routes; /* domain routes + built-ins */
	size_t nroutes;
	struct arena *arena;        /* reset after every request */
	struct db *db;
	/* Set by a program whose routes may take a connection over
	 * (server-sent events): called when a handler answered 200 with
	 * r->takeover set. 0: it owns fr now and answers it itself; -1:
	 * not taken (it set a problem, which is sent). NULL in the pools. */
	int (*takeover)(struct req *r, struct FCGX_Request *fr);
};

/* Accepts and serves requests on listen_fd until the process is told to
 * stop; returns when it should exit. Only code that touches libfcgi. */
void http_serve(struct http_ctx *ctx, int listen_fd);
/* Runs one accepted request through the lifecycle (parse, route,
 * authenticate, handler, respond, access log, arena reset). Returns 1
 * when ctx->takeover took fr over (do not finish it), 0 when fr was
 * answered and the caller finishes it. */
int http_process(const struct http_ctx *ctx, struct FCGX_Request *fr);
/* Opens the listening socket ("/path.sock" or "host:port"). -1 on error. */
int http_listen(const char *where);

#endif
