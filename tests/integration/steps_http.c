/* The http.request executor against an HTTP and an HTTPS sink on loopback
 * (a thread per connection, in this file): methods, headers both ways,
 * bodies, expected statuses, TLS verification on and off, URL schemes,
 * its own timeout, the step's time limit and cancel. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "tests/lib/stepfx.h"
#include "tests/lib/tap.h"

/* One listener of the sink. */
struct sink {
	int fd;
	int port;
	SSL_CTX *tls; /* NULL: plain HTTP */
};

/* One accepted connection. */
struct sink_conn {
	int fd;
	SSL *ssl;
};

static struct sink plain, tls;
static char last_request[65536]; /* head and body of the last request */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;

static SSL_CTX *sink_tls_ctx(void);
static void sink_open(struct sink *s, SSL_CTX *ctx);
static void *sink_accept(void *arg);
static void *sink_serve(void *arg);
static ssize_t sink_read(struct sink_conn *c, char *p, size_t n);
static void sink_write(struct sink_conn *c, const char *p, size_t n);
static long long now_ms(void);
static const char *output(const struct stepfx *x, const char *key);
static void test_methods(void);
static void test_failures(void);
static void test_tls(void);
static void test_stop(void);

/* A throw-away self-signed certificate for 127.0.0.1. */
static SSL_CTX *
sink_tls_ctx(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (key == NULL || x == NULL || ctx == NULL)
		BAIL_OUT("cannot make a TLS context");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0 ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		BAIL_OUT("cannot make a certificate");
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

static void
sink_open(struct sink *s, SSL_CTX *ctx)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	pthread_t th;
	int one = 1;

	s->tls = ctx;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->fd, 64) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len) != 0)
		BAIL_OUT("cannot listen on 127.0.0.1");
	s->port = ntohs(a.sin_port);
	if (pthread_create(&th, NULL, sink_accept, s) != 0)
		BAIL_OUT("pthread_create");
	pthread_detach(th);
}

static void *
sink_accept(void *arg)
{
	struct sink *s = arg;
	struct sink_conn *c;
	pthread_t th;
	int fd;

	for (;;) {
		fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			abort();
		c->fd = fd;
		if (s->tls != NULL) {
			c->ssl = SSL_new(s->tls);
			SSL_set_fd(c->ssl, fd);
			if (SSL_accept(c->ssl) != 1) {
				SSL_free(c->ssl);
				close(fd);
				free(c);
				continue;
			}
		}
		if (pthread_create(&th, NULL, sink_serve, c) != 0)
			abort();
		pthread_detach(th);
	}
	return NULL;
}

static ssize_t
sink_read(struct sink_conn *c, char *p, size_t n)
{
	if (c->ssl != NULL)
		return SSL_read(c->ssl, p, (int)n);
	return read(c->fd, p, n);
}

static void
sink_write(struct sink_conn *c, const char *p, size_t n)
{
	if (c->ssl != NULL)
		SSL_write(c->ssl, p, (int)n);
	else if (write(c->fd, p, n) < 0)
		return;
}

/* Answers one request by its path: /echo (the request as the body),
 * /status/N, /slow (headers, then nothing for 30 s), /big (300000
 * bytes). */
static void *
sink_serve(void *arg)
{
	struct sink_conn *c = arg;
	char req[65536], method[16] = "", path[256] = "", *end, *cl;
	size_t have = 0, need, blen = 0;
	struct buf out;
	ssize_t r;
	int status, i;

	for (;;) {
		r = sink_read(c, req + have, sizeof(req) - 1 - have);
		if (r <= 0)
			goto done;
		have += (size_t)r;
		req[have] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (end == NULL)
			continue;
		cl = strcasestr(req, "\r\ncontent-length:");
		blen = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		need = (size_t)(end + 4 - req) + blen;
		if (have >= need || have == sizeof(req) - 1)
			break;
	}
	pthread_mutex_lock(&last_lock);
	memcpy(last_request, req, have + 1);
	pthread_mutex_unlock(&last_lock);
	sscanf(req, "%15s %255s", method, path);
	buf_init(&out, 1 << 20);
	if (strcmp(path, "/echo") == 0) {
		buf_printf(&out,
			   "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
			   "\r\nX-Reply: yes\r\nSet-Cookie: a=1\r\n"
			   "Set-Cookie: b=2\r\nContent-Length: %zu\r\n"
			   "Connection: close\r\n\r\n",
			   have);
		buf_append(&out, req, have);
		sink_write(c, out.data, out.len);
	} else if (strncmp(path, "/status/", 8) == 0) {
		status = atoi(path + 8);
		buf_printf(&out,
			   "HTTP/1.1 %d X\r\nContent-Length: 10\r\n"
			   "Connection: close\r\n\r\nstatus %d",
			   status, status);
		sink_write(c, out.data, out.len);
	} else if (strcmp(path, "/slow") == 0) {
		buf_puts(&out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
			       "Connection: close\r\n\r\nfirst ");
		sink_write(c, out.data, out.len);
		for (i = 0; i < 300; i++)
			usleep(100000);
	} else if (strcmp(path, "/big") == 0) {
		buf_puts(&out, "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n"
			       "Connection: close\r\n\r\n");
		for (i = 0; i < 300000; i++)
			buf_append(&out, "x", 1);
		sink_write(c, out.data, out.len);
	} else {
		buf_puts(&out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0"
			       "\r\nConnection: close\r\n\r\n");
		sink_write(c, out.data, out.len);
	}
	buf_cleanup(&out);
done:
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
	free(c);
	return NULL;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static const char *
output(const struct stepfx *x, const char *key)
{
	json_object *v;

	if (x->c.outputs == NULL ||
	    !json_object_object_get_ex(x->c.outputs, key, &v))
		return "";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static void
test_methods(void)
{
	static const char *const methods[] = {"PUT", "PATCH", "DELETE"};
	struct step_io io = {0};
	struct stepfx x;
	json_object *h;
	char in[1024], re[64];
	int i;

	snprintf(in, sizeof(in),
		 "{\"method\": \"POST\", \"url\": "
		 "\"http://127.0.0.1:%d/echo\", \"headers\": {\"X-Token\": "
		 "\"abc 123\", \"Content-Type\": \"application/json\"}, "
		 "\"body\": \"{\\\"a\\\": 1}\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "succeeded",
	   "POST with headers and a body");
	cmp_ok(x.c.exit_code, "==", 200, "the status is the exit code");
	like(x.c.out.data, "^POST /echo HTTP/1.1\r\n", "method and path sent");
	like(x.c.out.data, "\r\nX-Token: abc 123\r\n", "header sent");
	like(x.c.out.data, "\r\nContent-Type: application/json\r\n",
	     "content type sent");
	like(x.c.out.data, "\r\n\r\n\\{\"a\": 1\\}$", "body sent");
	is(x.streamed[1].data, x.c.out.data, "the body streamed as stdout");
	is(output(&x, "status"), "200", "status in the outputs");
	h = NULL;
	if (x.c.outputs != NULL)
		json_object_object_get_ex(x.c.outputs, "headers", &h);
	is(h != NULL ? json_object_to_json_string_ext(
			   json_object_object_get(h, "x-reply"),
			   JSON_C_TO_STRING_PLAIN)
		     : "",
	   "\"yes\"", "response header x-reply in the outputs");
	is(h != NULL
	       ? json_object_get_string(json_object_object_get(h, "set-cookie"))
	       : "",
	   "a=1, b=2", "repeated headers joined");
	is(h != NULL ? json_object_get_string(
			   json_object_object_get(h, "content-type"))
		     : "",
	   "text/plain", "names in lower case");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"url\": \"http://127.0.0.1:%d/echo\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "succeeded",
	   "GET by default");
	like(x.c.out.data, "^GET /echo ", "a GET");
	unlike(x.c.out.data, "Content-Length", "without a body");
	stepfx_end(&x);

	for (i = 0; i < 3; i++) {
		snprintf(in, sizeof(in),
			 "{\"method\": \"%s\", \"url\": "
			 "\"http://127.0.0.1:%d/echo\", \"body\": \"x=%d\"}",
			 methods[i], plain.port, i);
		stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
		is(stepfx_outcome(stepfx_run(&x, step_http_request)),
		   "succeeded", "%s", methods[i]);
		snprintf(re, sizeof(re), "^%s /echo .*\r\n\r\nx=%d$",
			 methods[i], i);
		like(x.c.out.data, re, "%s sent with its body", methods[i]);
		stepfx_end(&x);
	}

	snprintf(in, sizeof(in),
		 "{\"method\": \"HEAD\", \"url\": "
		 "\"http://127.0.0.1:%d/echo\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "succeeded",
	   "HEAD");
	is(x.c.out.data, "", "no body read");
	pthread_mutex_lock(&last_lock);
	like(last_request, "^HEAD /echo ", "a HEAD request arrived");
	pthread_mutex_unlock(&last_lock);
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"url\": \"http://127.0.0.1:%d/big\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 1000);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "succeeded",
	   "a large body");
	cmp_ok((long long)x.c.out.len, "==", 1000, "captured up to the cap");
	ok(x.c.out_truncated, "truncation flagged");
	cmp_ok((long long)x.streamed[1].len, "==", 300000,
	       "every byte streamed");
	stepfx_end(&x);
}

static void
test_failures(void)
{
	struct step_io io = {0};
	struct stepfx x;
	char in[512];
	int closed;

	snprintf(in, sizeof(in),
		 "{\"url\": \"http://127.0.0.1:%d/status/404"
		 "\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "404 with the default expectation (2xx): failed");
	cmp_ok(x.c.exit_code, "==", 404, "status recorded");
	is(x.c.out.data, "status 404", "body kept");
	like(x.c.error,
	     "HTTP status 404 is not one of the expected "
	     "\\(200-299\\)",
	     "explained: %s", x.c.error);
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"url\": \"http://127.0.0.1:%d/status/404"
		 "\", \"expect_status\": [404, 410]}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "succeeded",
	   "404 when 404 is expected: succeeded");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"url\": \"http://127.0.0.1:%d/status/201"
		 "\", \"expect_status\": [200]}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "201 when only 200 is expected: failed");
	like(x.c.error, "expected \\(200\\)", "explained: %s", x.c.error);
	stepfx_end(&x);

	stepfx_begin(&x, "http.request", "{\"url\": \"file:///etc/passwd\"}",
		     NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "a file: URL is refused");
	like(x.c.error, "http:// or https://", "explained");
	is(x.c.out.data, "", "nothing read");
	stepfx_end(&x);

	stepfx_begin(&x, "http.request", "{\"url\": \"gopher://127.0.0.1/\"}",
		     NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "another scheme is refused");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"method\": \"TRACE\", \"url\": "
		 "\"http://127.0.0.1:%d/echo\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "an unknown method is refused");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"url\": \"http://127.0.0.1:%d/echo\", "
		 "\"headers\": {\"X-A\": \"1\\r\\nX-Injected: 1\"}}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "a header value with a line break is refused");
	stepfx_end(&x);

	/* A port that was free a moment ago: refused. */
	{
		struct sink tmp;
		int fd;

		memset(&tmp, 0, sizeof(tmp));
		fd = socket(AF_INET, SOCK_STREAM, 0);
		{
			struct sockaddr_in a;
			socklen_t len = sizeof(a);

			memset(&a, 0, sizeof(a));
			a.sin_family = AF_INET;
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
			    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
				BAIL_OUT("bind");
			closed = ntohs(a.sin_port);
		}
		close(fd);
	}
	snprintf(in, sizeof(in),
		 "{\"url\": \"http://u:secret-pw@127.0.0.1:"
		 "%d/\"}",
		 closed);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "a closed port: failed");
	like(x.c.error, "^the request failed: ", "explained: %s", x.c.error);
	ok(strstr(x.c.error, "secret-pw") == NULL,
	   "no password from the URL in the error");
	cmp_ok(x.c.exit_code, "==", -1, "no status");
	stepfx_end(&x);
}

static void
test_tls(void)
{
	struct step_io io = {0};
	struct stepfx x;
	char in[512];

	snprintf(in, sizeof(in), "{\"url\": \"https://127.0.0.1:%d/echo\"}",
		 tls.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "a self-signed certificate fails verification by default");
	like(x.c.error, "(certificate|SSL)", "explained: %s", x.c.error);
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"url\": \"https://127.0.0.1:%d/echo\", "
		 "\"verify_tls\": false}",
		 tls.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "succeeded",
	   "verify_tls false: succeeds");
	like(x.c.out.data, "^GET /echo HTTP/1.1", "over TLS");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"url\": \"https://127.0.0.1:%d/echo\", "
		 "\"verify_tls\": true}",
		 tls.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "failed",
	   "verify_tls true: fails");
	stepfx_end(&x);
}

static void
test_stop(void)
{
	struct step_io io = {0};
	struct stepfx x;
	char in[512];
	long long t0;

	snprintf(in, sizeof(in),
		 "{\"url\": \"http://127.0.0.1:%d/slow\", "
		 "\"timeout_s\": 1}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 0, 0);
	t0 = now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "timed_out",
	   "timeout_s: timed_out");
	cmp_ok(now_ms() - t0, "<", 2500, "after about 1 s (%lld ms)",
	       now_ms() - t0);
	cmp_ok(now_ms() - t0, ">=", 900, "not before");
	like(x.c.error, "timeout_s \\(1 s\\)", "explained: %s", x.c.error);
	is(x.c.out.data, "first ", "what came before is kept");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"url\": \"http://127.0.0.1:%d/slow\"}",
		 plain.port);
	stepfx_begin(&x, "http.request", in, NULL, &io, 800, 0);
	t0 = now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "timed_out",
	   "the step's time limit: timed_out");
	cmp_ok(now_ms() - t0, "<", 2000, "soon (%lld ms)", now_ms() - t0);
	like(x.c.error, "step's time limit", "explained: %s", x.c.error);
	stepfx_end(&x);

	stepfx_begin(&x, "http.request", in, NULL, &io, 0, 0);
	stepfx_cancel_after(&x.cancel, 500);
	t0 = now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_http_request)), "canceled",
	   "cancel: canceled");
	stepfx_cancel_join();
	cmp_ok(now_ms() - t0 - 500, "<", 400,
	       "within 400 ms of the cancel "
	       "(%lld ms)",
	       now_ms() - t0 - 500);
	stepfx_end(&x);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		BAIL_OUT("curl_global_init");
	sink_open(&plain, NULL);
	sink_open(&tls, sink_tls_ctx());
	test_methods();
	test_failures();
	test_tls();
	test_stop();
	return done_testing();
}
