/* The request lifecycle: one function from FastCGI accept to access log. */
#ifndef OC_HTTP_H
#define OC_HTTP_H

#include <stddef.h>

struct route;
struct arena;
struct db;

/* What a worker process serves with. */
struct http_ctx {
	const struct route *routes; /* domain routes + built-ins */
	size_t nroutes;
	struct arena *arena;        /* reset after every request */
	struct db *db;
};

/* Accepts and serves requests on listen_fd until the process is told to
 * stop; returns when it should exit. Only code that touches libfcgi. */
void http_serve(struct http_ctx *ctx, int listen_fd);
/* Opens the listening socket ("/path.sock" or "host:port"). -1 on error. */
int http_listen(const char *where);

#endif
