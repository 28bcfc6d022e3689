/* Fake SSH, WinRM (HTTP and HTTPS) and silent servers for tests. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tests/lib/fakesrv.h"
#include "tests/lib/tap.h"

#define FAKESRV_MAX_FAKES 96
#define FAKESRV_MAX_CONNS 256

struct fakesrv_conn {
	int fd;
	struct fakesrv *f;
	int64_t send_at; /* banner due; 0: sent or none */
	SSL *ssl;
	char buf[2048];
	size_t len;
};

/* The fake servers run on one thread; everything here is under mu. */
static struct {
	int started;
	pthread_t tid;
	pthread_mutex_t mu;
	int stop[2];
	struct fakesrv *fakes[FAKESRV_MAX_FAKES];
	int nfakes;
	struct fakesrv_conn conns[FAKESRV_MAX_CONNS];
	int nconns;
	int open_now, max_open; /* across every fake */
	SSL_CTX *tls;
} srv;

static int64_t fakesrv_now_ms(void);
static SSL_CTX *fakesrv_tls_ctx(void);
static void fakesrv_conn_close(int i);
static void fakesrv_conn_send(struct fakesrv_conn *c, const char *s, size_t n);
static void fakesrv_conn_http(struct fakesrv_conn *c);
static void fakesrv_conn_readable(int i);
static void fakesrv_accept(struct fakesrv *f);
static void *fakesrv_main(void *arg);

static int64_t
fakesrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A self-signed P-256 certificate for CN winrm.test, valid for an hour.
 * The context is the caller's (SSL_CTX_free). */
static SSL_CTX *
fakesrv_tls_ctx(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (key == NULL || x == NULL || ctx == NULL)
		BAIL_OUT("cannot make a test certificate");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"winrm.test", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0 ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		BAIL_OUT("cannot make a test certificate");
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

void
fakesrv_start(void)
{
	if (srv.started)
		BAIL_OUT("fakesrv_start called twice");
	if (pthread_mutex_init(&srv.mu, NULL) != 0)
		BAIL_OUT("pthread_mutex_init");
	if (pipe2(srv.stop, O_CLOEXEC) != 0)
		BAIL_OUT("pipe: %s", strerror(errno));
	srv.tls = fakesrv_tls_ctx();
	if (pthread_create(&srv.tid, NULL, fakesrv_main, NULL) != 0)
		BAIL_OUT("pthread_create");
	srv.started = 1;
}

void
fakesrv_stop(void)
{
	if (!srv.started)
		return;
	fakesrv_remove_all();
	if (write(srv.stop[1], "x", 1) != 1)
		BAIL_OUT("write: %s", strerror(errno));
	pthread_join(srv.tid, NULL);
	close(srv.stop[0]);
	close(srv.stop[1]);
	SSL_CTX_free(srv.tls);
	srv.tls = NULL;
	pthread_mutex_destroy(&srv.mu);
	srv.started = 0;
}

int
fakesrv_bind(struct fakesrv *f, int backlog)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, err;

	memset(&ss, 0, sizeof(ss));
	if (strchr(f->addr, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(f->port);
		inet_pton(AF_INET6, f->addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(f->port);
		inet_pton(AF_INET, f->addr, &sin->sin_addr);
		len = sizeof(*sin);
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, backlog) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	f->port =
	    ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	f->fd = fd;
	return 0;
}

int
fakesrv_group(struct fakesrv **fs, size_t n)
{
	static uint16_t picked[64];
	static size_t npicked;
	size_t i, j;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		fs[0]->port = 0;
		if (fakesrv_bind(fs[0], 64) != 0)
			return -1;
		for (i = 0; i < npicked && picked[i] != fs[0]->port; i++)
			;
		if (i < npicked) {
			close(fs[0]->fd);
			continue;
		}
		for (i = 1; i < n; i++) {
			fs[i]->port = fs[0]->port;
			if (fakesrv_bind(fs[i], 64) != 0)
				break;
		}
		if (i == n) {
			if (npicked < 64)
				picked[npicked++] = fs[0]->port;
			return 0;
		}
		for (j = 0; j < i; j++)
			close(fs[j]->fd);
	}
	return -1;
}

void
fakesrv_add(struct fakesrv *f)
{
	pthread_mutex_lock(&srv.mu);
	if (srv.nfakes == FAKESRV_MAX_FAKES)
		BAIL_OUT("too many fake servers");
	srv.fakes[srv.nfakes++] = f;
	pthread_mutex_unlock(&srv.mu);
}

void
fakesrv_remove_all(void)
{
	int i;

	pthread_mutex_lock(&srv.mu);
	while (srv.nconns > 0)
		fakesrv_conn_close(0);
	for (i = 0; i < srv.nfakes; i++)
		close(srv.fakes[i]->fd);
	srv.nfakes = 0;
	srv.open_now = srv.max_open = 0;
	pthread_mutex_unlock(&srv.mu);
}

int
fakesrv_take_max_open(void)
{
	int max_open;

	pthread_mutex_lock(&srv.mu);
	max_open = srv.max_open;
	srv.max_open = srv.open_now;
	pthread_mutex_unlock(&srv.mu);
	return max_open;
}

int
fakesrv_full_open(struct fakesrv_full *fl, const char *addr)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	int i;

	memset(fl, 0, sizeof(*fl));
	fl->l.kind = FAKESRV_SILENT;
	fl->l.addr = addr;
	fl->l.fd = fl->fill[0] = fl->fill[1] = -1;
	if (fakesrv_bind(&fl->l, 0) != 0)
		BAIL_OUT("cannot bind %s", addr);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(fl->l.port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	for (i = 0; i < 2; i++) {
		fl->fill[i] = socket(
		    AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fl->fill[i] < 0)
			BAIL_OUT("socket: %s", strerror(errno));
		if (connect(fl->fill[i], (struct sockaddr *)&sin,
			    sizeof(sin)) != 0 &&
		    errno != EINPROGRESS)
			BAIL_OUT("connect: %s", strerror(errno));
	}
	usleep(100 * 1000);
	pfd.fd = fl->fill[1];
	pfd.events = POLLOUT;
	return poll(&pfd, 1, 0) != 0;
}

void
fakesrv_full_close(struct fakesrv_full *fl)
{
	int i;

	for (i = 0; i < 2; i++)
		if (fl->fill[i] >= 0)
			close(fl->fill[i]);
	if (fl->l.fd >= 0)
		close(fl->l.fd);
	fl->fill[0] = fl->fill[1] = fl->l.fd = -1;
}

/* Under srv.mu. */
static void
fakesrv_conn_close(int i)
{
	struct fakesrv_conn *c = &srv.conns[i];

	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	srv.open_now--;
	srv.conns[i] = srv.conns[--srv.nconns];
}

static void
fakesrv_conn_send(struct fakesrv_conn *c, const char *s, size_t n)
{
	if (c->ssl != NULL)
		SSL_write(c->ssl, s, (int)n);
	else if (send(c->fd, s, n, MSG_NOSIGNAL) < 0)
		diag("fake %s:%u: send: %s", c->f->addr, c->f->port,
		     strerror(errno));
}

/* Answers once the request head and its body are in. */
static void
fakesrv_conn_http(struct fakesrv_conn *c)
{
	char answer[512];
	const char *end = strstr(c->buf, "\r\n\r\n"), *cl;
	size_t want;
	int n;

	if (end == NULL)
		return;
	cl = strcasestr(c->buf, "\r\nContent-Length:");
	want = (size_t)(end + 4 - c->buf) +
	       (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
	if (c->len < want)
		return;
	snprintf(c->f->request, sizeof(c->f->request), "%s", c->buf);
	n = snprintf(answer, sizeof(answer),
		     "HTTP/1.1 %d \r\nServer: %s\r\nWWW-Authenticate: "
		     "Negotiate\r\nContent-Length: 0\r\n\r\n",
		     c->f->status, c->f->text);
	fakesrv_conn_send(c, answer, (size_t)n);
	c->len = 0;
	c->buf[0] = '\0';
}

/* Under srv.mu. */
static void
fakesrv_conn_readable(int i)
{
	struct fakesrv_conn *c = &srv.conns[i];
	ssize_t n;
	int rc;

	if (c->ssl != NULL) {
		if (!SSL_is_init_finished(c->ssl)) {
			rc = SSL_do_handshake(c->ssl);
			if (rc != 1) {
				rc = SSL_get_error(c->ssl, rc);
				ERR_clear_error();
				if (rc != SSL_ERROR_WANT_READ &&
				    rc != SSL_ERROR_WANT_WRITE)
					fakesrv_conn_close(i);
				return;
			}
		}
		n = SSL_read(c->ssl, c->buf + c->len,
			     (int)(sizeof(c->buf) - 1 - c->len));
		if (n <= 0) {
			rc = SSL_get_error(c->ssl, (int)n);
			ERR_clear_error();
			if (rc != SSL_ERROR_WANT_READ)
				fakesrv_conn_close(i);
			return;
		}
	} else {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
			 0);
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN)
				fakesrv_conn_close(i);
			return;
		}
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (c->f->kind == FAKESRV_HTTP || c->f->kind == FAKESRV_HTTPS)
		fakesrv_conn_http(c);
	if (c->len == sizeof(c->buf) - 1)
		c->len = 0;
}

/* Under srv.mu. */
static void
fakesrv_accept(struct fakesrv *f)
{
	struct fakesrv_conn *c;
	int fd = accept4(f->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (srv.nconns == FAKESRV_MAX_CONNS) {
		close(fd);
		return;
	}
	c = &srv.conns[srv.nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->f = f;
	f->accepted++;
	if (++srv.open_now > srv.max_open)
		srv.max_open = srv.open_now;
	if (f->kind == FAKESRV_SSH)
		c->send_at = fakesrv_now_ms() + f->delay_ms;
	if (f->kind == FAKESRV_HTTPS) {
		c->ssl = SSL_new(srv.tls);
		SSL_set_fd(c->ssl, fd);
		SSL_set_accept_state(c->ssl);
	}
	if (c->send_at != 0 && f->delay_ms == 0) {
		fakesrv_conn_send(c, f->text, strlen(f->text));
		c->send_at = 0;
	}
}

static void *
fakesrv_main(void *arg)
{
	struct pollfd pfd[1 + FAKESRV_MAX_CONNS + FAKESRV_MAX_FAKES];
	int i, n, nc, nf, wait;
	int64_t now;
	sigset_t pipe;

	/* The fakes may write to a socket the client reset. Only this
	 * thread ignores SIGPIPE: the code under test must cope on its
	 * own. */
	(void)arg;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	for (;;) {
		pthread_mutex_lock(&srv.mu);
		pfd[0].fd = srv.stop[0];
		pfd[0].events = POLLIN;
		wait = 50;
		now = fakesrv_now_ms();
		nc = srv.nconns;
		nf = srv.nfakes;
		for (i = 0; i < nc; i++) {
			pfd[1 + i].fd = srv.conns[i].fd;
			pfd[1 + i].events = POLLIN;
			if (srv.conns[i].send_at != 0 &&
			    srv.conns[i].send_at - now < wait)
				wait = (int)(srv.conns[i].send_at - now);
		}
		for (i = 0; i < nf; i++) {
			pfd[1 + nc + i].fd = srv.fakes[i]->fd;
			pfd[1 + nc + i].events = POLLIN;
		}
		pthread_mutex_unlock(&srv.mu);
		n = poll(pfd, (nfds_t)(1 + nc + nf), wait < 0 ? 0 : wait);
		if (n < 0 && errno != EINTR)
			BAIL_OUT("poll: %s", strerror(errno));
		if (pfd[0].revents != 0)
			return NULL;
		pthread_mutex_lock(&srv.mu);
		/* Closes before accepts, so a connection the client has
		 * closed is not counted alongside its successor. */
		for (i = nc - 1; i >= 0; i--)
			if (i < srv.nconns && pfd[1 + i].revents != 0 &&
			    srv.conns[i].fd == pfd[1 + i].fd)
				fakesrv_conn_readable(i);
		now = fakesrv_now_ms();
		for (i = 0; i < srv.nconns; i++) {
			if (srv.conns[i].send_at == 0 ||
			    srv.conns[i].send_at > now)
				continue;
			fakesrv_conn_send(&srv.conns[i], srv.conns[i].f->text,
					  strlen(srv.conns[i].f->text));
			srv.conns[i].send_at = 0;
		}
		/* The fakes may have changed since the poll began. */
		for (i = 0; i < nf && i < srv.nfakes; i++)
			if ((pfd[1 + nc + i].revents & POLLIN) != 0 &&
			    srv.fakes[i]->fd == pfd[1 + nc + i].fd)
				fakesrv_accept(srv.fakes[i]);
		pthread_mutex_unlock(&srv.mu);
	}
}
