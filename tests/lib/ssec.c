/* A raw server-sent events client over OpenSSL (tests and benchmark). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tests/lib/ssec.h"

struct ssec {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int status;
	int eof;
	char *head;  /* response head */
	char *buf;   /* unparsed body bytes */
	size_t len, cap;
	char *block; /* the last event block handed out */
};

static double ssec_now_ms(void);
static int ssec_fill(struct ssec *c, int timeout_ms);

static double
ssec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Reads more bytes: 1 got some, 0 timeout, -1 end or error. */
static int
ssec_fill(struct ssec *c, int timeout_ms)
{
	struct pollfd p;
	int n, err;

	if (c->eof)
		return -1;
	if (c->cap - c->len < 16384) {
		c->cap = c->cap ? c->cap * 2 : 65536;
		c->buf = realloc(c->buf, c->cap + 1);
		if (c->buf == NULL)
			abort();
	}
	for (;;) {
		n = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
			return 1;
		}
		err = SSL_get_error(c->ssl, n);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			c->eof = 1;
			return -1;
		}
		/* The socket is non-blocking: it just said it has nothing. */
		if (timeout_ms == 0)
			return 0;
		p.fd = c->fd;
		p.events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		n = poll(&p, 1, timeout_ms);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			c->eof = 1;
			return -1;
		}
	}
}

struct ssec *
ssec_open(const char *base, const char *source, const char *path,
	  const char *authorization, const char *last_event_id, int rcvbuf)
{
	struct ssec *c = calloc(1, sizeof(*c));
	struct sockaddr_in sa, src;
	char host[64], req[8192], *end;
	const char *hp;
	int port, one = 1;
	double until;

	if (c == NULL)
		abort();
	hp = strstr(base, "://");
	hp = hp != NULL ? hp + 3 : base;
	if (sscanf(hp, "%63[^:]:%d", host, &port) != 2)
		goto fail;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		goto fail;
	setsockopt(c->fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	if (rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	if (source != NULL) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		inet_pton(AF_INET, source, &src.sin_addr);
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		goto fail;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	/* Whole socket reads rather than a header then a record. */
	SSL_CTX_set_read_ahead(c->ctx, 1);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1)
		goto fail;
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.0\r\nHost: %s\r\nAccept: text/event-stream\r\n"
		 "%s%s%s%s%s%s\r\n",
		 path, host, authorization ? "Authorization: " : "",
		 authorization ? authorization : "", authorization ? "\r\n" : "",
		 last_event_id ? "Last-Event-ID: " : "",
		 last_event_id ? last_event_id : "",
		 last_event_id ? "\r\n" : "");
	if (SSL_write(c->ssl, req, (int)strlen(req)) != (int)strlen(req))
		goto fail;
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	until = ssec_now_ms() + 10000;
	for (;;) {
		if (c->buf != NULL) {
			end = strstr(c->buf, "\r\n\r\n");
			if (end != NULL)
				break;
		}
		if (ssec_now_ms() > until ||
		    ssec_fill(c, (int)(until - ssec_now_ms()) + 1) < 0)
			goto fail;
	}
	c->head = strndup(c->buf, (size_t)(end - c->buf) + 2);
	if (c->head == NULL || sscanf(c->head, "HTTP/%*s %d", &c->status) != 1)
		goto fail;
	c->len -= (size_t)(end + 4 - c->buf);
	memmove(c->buf, end + 4, c->len + 1);
	return c;
fail:
	ssec_close(c);
	return NULL;
}

int
ssec_status(const struct ssec *c)
{
	return c->status;
}

const char *
ssec_headers(const struct ssec *c)
{
	return c->head;
}

int
ssec_fd(const struct ssec *c)
{
	return c->fd;
}

int
ssec_pending(const struct ssec *c)
{
	return c->len > 0 || SSL_pending(c->ssl) > 0;
}

int
ssec_next(struct ssec *c, struct ssec_event *ev, int timeout_ms)
{
	double until = ssec_now_ms() + timeout_ms;
	char *end, *line, *next, *data = NULL;
	size_t blen;
	int rc;

	for (;;) {
		end = c->buf != NULL ? strstr(c->buf, "\n\n") : NULL;
		if (end != NULL)
			break;
		rc = ssec_fill(c, timeout_ms < 0 ? -1
				  : (int)(until - ssec_now_ms()) > 0
				  ? (int)(until - ssec_now_ms())
				  : 0);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
	}
	blen = (size_t)(end - c->buf) + 1;
	free(c->block);
	c->block = strndup(c->buf, blen);
	if (c->block == NULL)
		abort();
	c->len -= blen + 1;
	memmove(c->buf, end + 2, c->len + 1);

	memset(ev, 0, sizeof(*ev));
	ev->id = -1;
	ev->data = "";
	for (line = c->block; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == ':') {
			ev->comment = 1;
			data = line + 1 + (line[1] == ' ');
		} else if (strncmp(line, "id: ", 4) == 0) {
			ev->id = atoll(line + 4);
		} else if (strncmp(line, "event: ", 7) == 0) {
			snprintf(ev->type, sizeof(ev->type), "%s", line + 7);
		} else if (strncmp(line, "data: ", 6) == 0) {
			data = line + 6;
		}
	}
	if (data != NULL)
		ev->data = data;
	return 1;
}

const char *
ssec_body(struct ssec *c, int timeout_ms)
{
	double until = ssec_now_ms() + timeout_ms;

	while (!c->eof && ssec_now_ms() < until)
		if (ssec_fill(c, (int)(until - ssec_now_ms()) + 1) == 0)
			break;
	return c->buf != NULL ? c->buf : "";
}

void
ssec_close(struct ssec *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	if (c->fd > 0)
		close(c->fd);
	free(c->head);
	free(c->buf);
	free(c->block);
	free(c);
}
