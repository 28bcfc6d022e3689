/* The request lifecycle: accept → parse → route → authenticate → validate →
 * handler → respond → access log → reset. The only file using libfcgi. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "arena.h"
#include "auth.h"
#include "cfg.h"
#include "crypto.h"
#include "db.h"
#include "enc.h"
#include "http.h"
#include "inval.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"
#include "rcache.h"
#include "req.h"
#include "route.h"
#include "valid.h"

/* Connections one child keeps open at most; beyond, it stops accepting
 * and the other children take new ones. */
#define HTTP_CONNS 128
/* Bodies above this go out in records of their own (http_put_large);
 * libfcgi's stream buffer holds 8 KiB. */
#define HTTP_LARGE_BODY 8192

static volatile sig_atomic_t http_stop;

static double http_now_ms(void);
static const char *http_reason(int status);
static int http_content_type_json(const char *ct);
static int http_read_body(struct req *r, FCGX_Request *fr);
static int http_handle(struct req *r, const struct http_ctx *ctx,
		       FCGX_Request *fr, size_t *route_idx);
static void http_respond(struct req *r, FCGX_Request *fr);
static void http_access_log(const struct req *r, double dur_ms);
static void http_on_term(int sig);

static double
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* application/json, optionally with charset=utf-8. */
static int
http_content_type_json(const char *ct)
{
	const char *p;

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return 0;
	p = ct + 16;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	p++;
	while (*p == ' ')
		p++;
	return strncasecmp(p, "charset=utf-8", 13) == 0 && p[13] == '\0';
}

/* Reads the body announced by CONTENT_LENGTH, refusing oversize bodies
 * without reading them. */
static int
http_read_body(struct req *r, FCGX_Request *fr)
{
	const char *cl = req_env(r, "CONTENT_LENGTH");
	size_t max = (r->route->flags & ROUTE_BODY_LARGE) &&
				     ROUTE_LARGE_BODY_MAX > cfg.body_max
			     ? ROUTE_LARGE_BODY_MAX
			     : cfg.body_max;
	char *end, *body;
	long long n = 0;
	int got;

	if (cl != NULL && *cl != '\0') {
		n = strtoll(cl, &end, 10);
		if (*end != '\0' || n < 0)
			return problem(r, PROBLEM_BAD_REQUEST,
				       "Content-Length is not valid."),
			       -1;
	}
	if ((unsigned long long)n > max)
		return problem(r, PROBLEM_TOO_LARGE,
			       "The body is %lld bytes; at most %zu are "
			       "accepted.",
			       n, max),
		       -1;
	body = arena_alloc(r->arena, (size_t)n + 1);
	got = n > 0 ? FCGX_GetStr(body, (int)n, fr->in) : 0;
	if (got != n)
		return problem(r, PROBLEM_BAD_REQUEST,
			       "The body ended before Content-Length bytes."),
		       -1;
	body[n] = '\0';
	r->raw_body = body;
	r->raw_len = (size_t)n;
	return 0;
}

/* Everything between reading the request and writing the response. */
static int
http_handle(struct req *r, const struct http_ctx *ctx, FCGX_Request *fr,
	    size_t *route_idx)
{
	const struct route *rt;
	enum route_result m;
	int status;

	*route_idx = ctx->nroutes;
	if (r->method == NULL || r->path == NULL)
		return problem(r, PROBLEM_BAD_REQUEST, "Incomplete request.");
	if (!enc_utf8_valid(r->path, strlen(r->path)))
		return problem(r, PROBLEM_NOT_FOUND, "No such resource.");
	m = route_match(ctx->routes, ctx->nroutes, r->method, r->path,
			r->arena, &rt, &r->params, &r->nparams);
	if (m == ROUTE_NOT_FOUND)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no API resource at this path.");
	if (m == ROUTE_BAD_METHOD) {
		req_header_add(r, "Allow",
			       route_allow(ctx->routes, ctx->nroutes, r->path,
					   r->arena));
		return problem(r, PROBLEM_METHOD_NOT_ALLOWED,
			       "%s is not allowed here.", r->method);
	}
	r->route = rt;
	*route_idx = (size_t)(rt - ctx->routes);

	if (http_read_body(r, fr) < 0)
		return r->status;
	if (auth_or_problem(r) < 0)
		return r->status;
	if (valid_query_or_problem(r, rt->query) < 0)
		return r->status;
	if (rt->flags & ROUTE_RAW_BODY)
		goto handler;
	if (r->raw_len > 0 && rt->body == NULL)
		return problem(r, PROBLEM_BAD_REQUEST,
			       "This request takes no body.");
	if (r->raw_len > 0 && !http_content_type_json(r->content_type))
		return problem(r, PROBLEM_UNSUPPORTED_MEDIA,
			       "Send the body as application/json.");
	if (rt->body != NULL &&
	    (r->raw_len > 0 || !(rt->flags & ROUTE_BODY_OPTIONAL))) {
		if (valid_parse_or_problem(r, &r->body) < 0 ||
		    valid_object_or_problem(r, r->body, rt->body) < 0)
			return r->status;
	}
	/* Everything checked as for the handler: a cached answer is only
	 * given where the handler would have run. */
	if ((rt->flags & ROUTE_CACHED) && rcache_get(r))
		return r->status;

handler:
	status = rt->handler(r);
	db_rollback(r);
	if (r->problem != NULL)
		return r->status;
	if (status < 200 || status > 599) {
		log_msg(LOG_ERROR, r->req_id, "handler for %s %s returned %d",
			rt->method, rt->pattern, status);
		return problem(r, PROBLEM_INTERNAL,
			       "Something went wrong on our side; quote "
			       "request %s.",
			       r->req_id);
	}
	if (status >= 400 && r->out == NULL && r->text_out == NULL)
		return problem(r, status == 404 ? PROBLEM_NOT_FOUND
						: PROBLEM_INTERNAL,
			       NULL);
	r->status = status;
	if (rt->flags & ROUTE_CACHED)
		rcache_put(r);
	return status;
}

/* Writes len bytes of body as STDOUT records of up to 64 KiB straight to
 * the connection, after what the stream holds: libfcgi's stream would
 * cut it into a record and a write per 8 KiB, and nginx would read as
 * many. A failed write ends the connection (FCGX_Finish_r closes it). */
static void
http_put_large(FCGX_Request *fr, const char *body, size_t len)
{
	unsigned char hdr[8];
	struct iovec iov[2];
	size_t n, off;
	ssize_t w;

	if (FCGX_FFlush(fr->out) < 0)
		return;
	while (len > 0) {
		n = len > 65535 ? 65535 : len;
		hdr[0] = 1; /* FCGI_VERSION_1 */
		hdr[1] = 6; /* FCGI_STDOUT */
		hdr[2] = (unsigned char)(fr->requestId >> 8);
		hdr[3] = (unsigned char)fr->requestId;
		hdr[4] = (unsigned char)(n >> 8);
		hdr[5] = (unsigned char)n;
		hdr[6] = 0; /* no padding */
		hdr[7] = 0;
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)(uintptr_t)body;
		iov[1].iov_len = n;
		for (off = 0; off < sizeof(hdr) + n; off += (size_t)w) {
			w = off < sizeof(hdr)
				    ? writev(fr->ipcFd, iov, 2)
				    : write(fr->ipcFd,
					    body + (off - sizeof(hdr)),
					    sizeof(hdr) + n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				fr->out->FCGI_errno = w < 0 ? errno : EIO;
				fr->out->isClosed = 1;
				return;
			}
			if (off < sizeof(hdr) && off + (size_t)w < sizeof(hdr)) {
				/* Rare: part of the header went out. */
				iov[0].iov_base = hdr + off + (size_t)w;
				iov[0].iov_len = sizeof(hdr) - off - (size_t)w;
			}
		}
		body += n;
		len -= n;
	}
}

static void
http_respond(struct req *r, FCGX_Request *fr)
{
	const struct header *h;
	const char *body = NULL, *type = "application/json";
	size_t len = 0;
	int head = strcmp(r->method != NULL ? r->method : "", "HEAD") == 0;

	if (r->problem != NULL) {
		body = json_object_to_json_string_ext(
			r->problem, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
		type = "application/problem+json";
	} else if (r->text_out != NULL) {
		body = r->text_out;
		type = r->text_type != NULL ? r->text_type : "text/plain";
	} else if (r->out != NULL && r->status != 204) {
		body = json_object_to_json_string_ext(
			r->out, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	FCGX_FPrintF(fr->out, "Status: %d %s\r\n", r->status,
		     http_reason(r->status));
	if (body != NULL)
		len = r->text_out == body && r->text_len > 0 ? r->text_len
							     : strlen(body);
	if (body != NULL && r->text_out == body && r->text_len > 0)
		FCGX_FPrintF(fr->out,
			     "Content-Type: %s\r\n"
			     "Content-Length: %lu\r\n",
			     type, (unsigned long)len);
	else if (body != NULL)
		FCGX_FPrintF(fr->out,
			     "Content-Type: %s; charset=utf-8\r\n"
			     "Content-Length: %lu\r\n",
			     type, (unsigned long)len);
	FCGX_FPrintF(fr->out, "Cache-Control: no-store\r\n");
	for (h = r->headers; h != NULL; h = h->next)
		FCGX_FPrintF(fr->out, "%s: %s\r\n", h->name, h->value);
	FCGX_PutS("\r\n", fr->out);
	if (body != NULL && !head && len > HTTP_LARGE_BODY)
		http_put_large(fr, body, len);
	else if (body != NULL && !head)
		FCGX_PutStr(body, (int)len, fr->out);
}

static void
http_access_log(const struct req *r, double dur_ms)
{
	json_object *o = json_object_new_object();
	char ts[32], dur[32];

	log_timestamp(ts);
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "type", json_object_new_string("access"));
	json_object_object_add(o, "component",
			       json_object_new_string(cfg.component));
	json_object_object_add(o, "req_id",
			       json_object_new_string(r->req_id ? r->req_id
								: "-"));
	json_object_object_add(o, "method",
			       json_object_new_string(r->method ? r->method
								: "-"));
	json_object_object_add(
		o, "route",
		json_object_new_string(r->route != NULL ? r->route->pattern
							: "unmatched"));
	json_object_object_add(o, "status", json_object_new_int(r->status));
	snprintf(dur, sizeof(dur), "%.3f", dur_ms);
	json_object_object_add(o, "dur_ms",
			       json_object_new_double_s(dur_ms, dur));
	json_object_object_add(o, "user",
			       r->who.authenticated
				       ? json_object_new_string(r->who.username)
				       : NULL);
	if (r->who.api_key_id[0] != '\0')
		json_object_object_add(
			o, "api_key", json_object_new_string(r->who.api_key_id));
	json_object_object_add(o, "addr",
			       json_object_new_string(r->remote_addr
							      ? r->remote_addr
							      : "-"));
	log_line(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int
http_process(const struct http_ctx *ctx, FCGX_Request *fr)
{
	struct req r;
	double t0 = http_now_ms();
	size_t route_idx;
	const char *uri;
	char idbuf[40];
	int taken = 0;

	memset(&r, 0, sizeof(r));
	r.arena = ctx->arena;
	r.db = ctx->db;
	r.envp = fr->envp;
	r.method = req_env(&r, "REQUEST_METHOD");
	r.path = req_env(&r, "DOCUMENT_URI");
	if (r.path == NULL) {
		uri = req_env(&r, "REQUEST_URI");
		if (uri != NULL)
			r.path = arena_strndup(r.arena, uri, strcspn(uri, "?"));
	}
	r.query_string = req_env(&r, "QUERY_STRING");
	r.content_type = req_env(&r, "CONTENT_TYPE");
	r.remote_addr = req_env(&r, "REMOTE_ADDR");
	r.user_agent = req_env(&r, "HTTP_USER_AGENT");
	r.authorization = req_env(&r, "HTTP_AUTHORIZATION");
	r.cookie = req_env(&r, "HTTP_COOKIE");
	r.if_match = req_env(&r, "HTTP_IF_MATCH");
	r.idempotency_key = req_env(&r, "HTTP_IDEMPOTENCY_KEY");
	r.req_id = req_env(&r, "REQUEST_ID");
	if (r.req_id == NULL || *r.req_id == '\0' || strlen(r.req_id) > 64) {
		crypto_random_token(idbuf, sizeof(idbuf), 16);
		r.req_id = arena_strdup(r.arena, idbuf);
	}

	/* Before anything is read: what the caches may use during this
	 * request. */
	inval_sync();
	http_handle(&r, ctx, fr, &route_idx);
	if (r.problem == NULL && r.status == 200 && r.takeover != NULL &&
	    ctx->takeover != NULL)
		taken = ctx->takeover(&r, fr) == 0;
	if (r.status >= 500)
		log_msg(LOG_ERROR, r.req_id, "answered %d to %s %s", r.status,
			r.method ? r.method : "-",
			r.route ? r.route->pattern : "-");
	/* Committed by now: once the client hears of a change, no process
	 * of the host may answer from a cache the change made wrong. */
	if (r.status < 400 && r.method != NULL &&
	    strcmp(r.method, "GET") != 0 && strcmp(r.method, "HEAD") != 0)
		inval_changed();
	if (!taken)
		http_respond(&r, fr);
	http_access_log(&r, http_now_ms() - t0);
	metrics_observe(route_idx, r.status, http_now_ms() - t0);
	arena_reset(ctx->arena);
	return taken;
}

/* SIGTERM or SIGINT: the loop finishes what nginx already sent, closes its
 * connections and returns. The signals are blocked except while waiting
 * in ppoll, so a request is never cut in the middle. */
static void
http_on_term(int sig)
{
	(void)sig;
	http_stop = 1;
}

/* Serves one request waiting on connection slot c. Returns 0 when the
 * connection stays open for the next request (nginx asked to keep it),
 * -1 when it was closed. */
static int
http_serve_one(struct http_ctx *ctx, FCGX_Request *fr)
{
	char scratch[512];

	if (FCGX_Accept_r(fr) < 0) {
		/* A broken or closed connection: libfcgi closed it (and,
		 * the listening socket being non-blocking, did not wait
		 * for another). */
		if (fr->ipcFd >= 0)
			close(fr->ipcFd);
		fr->ipcFd = -1;
		return -1;
	}
	if (http_process(ctx, fr) == 1) {
		/* Taken over: no longer ours. */
		fr->ipcFd = -1;
		return -1;
	}
	/* The next request on a kept connection starts after this one's
	 * input: consume what the handler left unread (a GET's empty
	 * stdin record, a refused body). */
	while (FCGX_GetStr(scratch, (int)sizeof(scratch), fr->in) > 0)
		;
	FCGX_Finish_r(fr);
	return fr->ipcFd >= 0 ? 0 : -1;
}

void
http_serve(struct http_ctx *ctx, int listen_fd)
{
	struct pollfd pfd[HTTP_CONNS + 1];
	FCGX_Request *conns;
	struct sigaction sa;
	sigset_t term, wait_mask;
	int n = 0, i, fd, rc, flags;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = http_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);

	/* Several children wait on the one listening socket: the ones
	 * that lose the race for a connection must not block in accept. */
	flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_msg(LOG_ERROR, NULL, "cannot make the socket non-blocking");
		return;
	}
	FCGX_Init();
	conns = calloc(HTTP_CONNS, sizeof(*conns));
	if (conns == NULL)
		abort();
	/* Each connection nginx keeps open is a slot; a child serves its
	 * slots one request at a time, so an idle kept connection never
	 * holds a child the way a blocking accept loop would. */
	while (!http_stop || n > 0) {
		pfd[0].fd = !http_stop && n < HTTP_CONNS ? listen_fd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = conns[i].ipcFd;
			pfd[i + 1].events = POLLIN | POLLRDHUP;
		}
		rc = ppoll(pfd, (nfds_t)n + 1,
			   http_stop ? &(struct timespec){0, 0} : NULL,
			   &wait_mask);
		if (rc < 0 && errno != EINTR) {
			log_msg(LOG_ERROR, NULL, "poll failed: %s",
				strerror(errno));
			break;
		}
		if (rc <= 0) {
			if (http_stop && rc == 0)
				break; /* nothing more was sent */
			continue;
		}
		for (i = n - 1; i >= 0; i--) {
			short ev = pfd[i + 1].revents;

			if (ev == 0)
				continue;
			if ((ev & POLLIN) && !(ev & (POLLERR | POLLRDHUP |
						     POLLHUP)) &&
			    http_serve_one(ctx, &conns[i]) == 0)
				continue;
			if (conns[i].ipcFd >= 0)
				close(conns[i].ipcFd);
			conns[i] = conns[--n];
		}
		if (pfd[0].fd >= 0 && (pfd[0].revents & POLLIN)) {
			fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				FCGX_InitRequest(&conns[n], listen_fd, 0);
				conns[n].ipcFd = fd;
				/* So that FCGX_Accept_r's finishing of the
				 * previous request does not close it. */
				conns[n].keepConnection = 1;
				n++;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR && errno != ECONNABORTED) {
				log_msg(LOG_WARN, NULL, "accept failed: %s",
					strerror(errno));
			}
		}
	}
	for (i = 0; i < n; i++)
		close(conns[i].ipcFd);
	free(conns);
}

int
http_listen(const char *where)
{
	struct sockaddr_un sun;
	int fd, probe;

	if (where[0] == '/') {
		/* Refuse to steal the socket of a running pool. */
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(where) >= sizeof(sun.sun_path)) {
			log_msg(LOG_ERROR, NULL, "socket path too long: %s",
				where);
			return -1;
		}
		strcpy(sun.sun_path, where);
		probe = socket(AF_UNIX, SOCK_STREAM, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun,
					  sizeof(sun)) == 0) {
			close(probe);
			log_msg(LOG_ERROR, NULL,
				"another process already serves %s", where);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(where);
	}
	fd = FCGX_OpenSocket(where, 1024);
	if (fd < 0) {
		log_msg(LOG_ERROR, NULL, "cannot listen on %s", where);
		return -1;
	}
	if (where[0] == '/' && chmod(where, 0660) < 0) {
		log_msg(LOG_ERROR, NULL, "cannot chmod %s", where);
		close(fd);
		return -1;
	}
	return fd;
}
