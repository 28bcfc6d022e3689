/* Integration test of network discovery: fake SSH, WinRM (HTTP and HTTPS)
 * and RDP listeners on 127.0.5.0/28 and other loopback addresses, scanned
 * on high ports and, when they can be bound (root), on the default ports;
 * concurrency limit, cancel, timeouts, names and the fd limit. */
#include <errno.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "worker/scan.h"
#include "tests/lib/tap.h"

#define MAX_FAKES 96
#define MAX_CONNS 256
#define MAX_RESULTS 64

enum fake_kind {
	FAKE_SSH,    /* sends text (after delay_ms), then holds */
	FAKE_HTTP,   /* answers a request with status and Server: text */
	FAKE_HTTPS,  /* the same over TLS */
	FAKE_SILENT, /* accepts and never sends */
};

struct fake {
	enum fake_kind kind;
	const char *addr;
	uint16_t port;
	int fd;
	const char *text;   /* banner, or Server header value */
	int status;	    /* HTTP status */
	int delay_ms;	    /* before the banner */
	int accepted;	    /* connections accepted */
	char request[2048]; /* last HTTP request head and body */
};

struct fake_conn {
	int fd;
	struct fake *f;
	int64_t send_at; /* banner due; 0: sent or none */
	SSL *ssl;
	char buf[2048];
	size_t len;
};

/* The fake servers run on one thread; counters are under mu. */
static struct {
	pthread_t tid;
	pthread_mutex_t mu;
	int stop[2];
	struct fake *fakes[MAX_FAKES];
	int nfakes;
	struct fake_conn conns[MAX_CONNS];
	int nconns;
	int open_now, max_open; /* across every fake */
	SSL_CTX *tls;
} srv;

/* An expected host: open ports as bits of the port list. */
struct want {
	const char *addr;
	unsigned ports;
	enum scan_os os;
	const char *banner; /* "" for none */
	const char *server; /* "" for none */
};

static struct {
	struct scan_host h[MAX_RESULTS];
	int n;
	uint64_t progress_calls, last_done, last_total;
	int progress_backwards;
} got;

static int64_t now_ms(void);
static SSL_CTX *fake_tls_ctx(void);
static int fake_bind(struct fake *f, int backlog);
static int fake_group(struct fake **fs, size_t n);
static void fake_add(struct fake *f);
static void fake_remove_all(void);
static void conn_close(int i);
static void conn_send(struct fake_conn *c, const char *s, size_t n);
static void conn_http(struct fake_conn *c);
static void conn_readable(int i);
static void srv_accept(struct fake *f);
static void *srv_main(void *arg);
static void on_host(void *arg, const struct scan_host *h);
static void on_progress(void *arg, uint64_t done, uint64_t total);
static const struct scan_host *found(const char *addr);
static int run(struct scan_opts *o, const char *range, struct scan_stats *st);
static int count_fds(void);
static void check_hosts(const struct want *w, size_t n,
			const struct scan_port *ports, const char *what);
static int resolve_slow(const struct sockaddr *sa, socklen_t len, char *name,
			size_t size);
static int resolve_fake(const struct sockaddr *sa, socklen_t len, char *name,
			size_t size);
static void *cancel_later(void *arg);
static void test_high_ports(void);
static void test_default_ports(void);
static void test_concurrency_and_fd_limit(void);
static void test_cancel(void);
static void test_connect_timeout(void);
static void test_no_leak(void);
static void test_names(void);
static void test_ipv6(void);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static SSL_CTX *
fake_tls_ctx(void)
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

/* Binds and listens on f->addr:f->port (0: any). 0 or -errno. */
static int
fake_bind(struct fake *f, int backlog)
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

/* Binds every fake in fs on one free port, never one an earlier group
 * got (a scan's ports must differ). 0, or -1. */
static int
fake_group(struct fake **fs, size_t n)
{
	static uint16_t picked[64];
	static size_t npicked;
	size_t i, j;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		fs[0]->port = 0;
		if (fake_bind(fs[0], 64) != 0)
			return -1;
		for (i = 0; i < npicked && picked[i] != fs[0]->port; i++)
			;
		if (i < npicked) {
			close(fs[0]->fd);
			continue;
		}
		for (i = 1; i < n; i++) {
			fs[i]->port = fs[0]->port;
			if (fake_bind(fs[i], 64) != 0)
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

static void
fake_add(struct fake *f)
{
	pthread_mutex_lock(&srv.mu);
	if (srv.nfakes == MAX_FAKES)
		BAIL_OUT("too many fake servers");
	srv.fakes[srv.nfakes++] = f;
	pthread_mutex_unlock(&srv.mu);
}

static void
fake_remove_all(void)
{
	int i;

	pthread_mutex_lock(&srv.mu);
	while (srv.nconns > 0)
		conn_close(0);
	for (i = 0; i < srv.nfakes; i++)
		close(srv.fakes[i]->fd);
	srv.nfakes = 0;
	srv.open_now = srv.max_open = 0;
	pthread_mutex_unlock(&srv.mu);
}

/* Under srv.mu. */
static void
conn_close(int i)
{
	struct fake_conn *c = &srv.conns[i];

	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	srv.open_now--;
	srv.conns[i] = srv.conns[--srv.nconns];
}

static void
conn_send(struct fake_conn *c, const char *s, size_t n)
{
	if (c->ssl != NULL)
		SSL_write(c->ssl, s, (int)n);
	else if (send(c->fd, s, n, MSG_NOSIGNAL) < 0)
		diag("fake %s:%u: send: %s", c->f->addr, c->f->port,
		     strerror(errno));
}

/* Answers once the request head and its body are in. */
static void
conn_http(struct fake_conn *c)
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
	conn_send(c, answer, (size_t)n);
	c->len = 0;
	c->buf[0] = '\0';
}

/* Under srv.mu. */
static void
conn_readable(int i)
{
	struct fake_conn *c = &srv.conns[i];
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
					conn_close(i);
				return;
			}
		}
		n = SSL_read(c->ssl, c->buf + c->len,
			     (int)(sizeof(c->buf) - 1 - c->len));
		if (n <= 0) {
			rc = SSL_get_error(c->ssl, (int)n);
			ERR_clear_error();
			if (rc != SSL_ERROR_WANT_READ)
				conn_close(i);
			return;
		}
	} else {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
			 0);
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN)
				conn_close(i);
			return;
		}
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (c->f->kind == FAKE_HTTP || c->f->kind == FAKE_HTTPS)
		conn_http(c);
	if (c->len == sizeof(c->buf) - 1)
		c->len = 0;
}

/* Under srv.mu. */
static void
srv_accept(struct fake *f)
{
	struct fake_conn *c;
	int fd = accept4(f->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (srv.nconns == MAX_CONNS) {
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
	if (f->kind == FAKE_SSH)
		c->send_at = now_ms() + f->delay_ms;
	if (f->kind == FAKE_HTTPS) {
		c->ssl = SSL_new(srv.tls);
		SSL_set_fd(c->ssl, fd);
		SSL_set_accept_state(c->ssl);
	}
	if (c->send_at != 0 && f->delay_ms == 0) {
		conn_send(c, f->text, strlen(f->text));
		c->send_at = 0;
	}
}

static void *
srv_main(void *arg)
{
	struct pollfd pfd[1 + MAX_CONNS + MAX_FAKES];
	int i, n, nc, nf, wait;
	int64_t now;

	sigset_t pipe;

	/* The fakes may write to a socket the scanner reset. Only this
	 * thread ignores SIGPIPE: the scanner must cope on its own. */
	(void)arg;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	for (;;) {
		pthread_mutex_lock(&srv.mu);
		pfd[0].fd = srv.stop[0];
		pfd[0].events = POLLIN;
		wait = 50;
		now = now_ms();
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
		/* Closes before accepts, so a connection the scanner has
		 * closed is not counted alongside its successor. */
		for (i = nc - 1; i >= 0; i--)
			if (i < srv.nconns && pfd[1 + i].revents != 0 &&
			    srv.conns[i].fd == pfd[1 + i].fd)
				conn_readable(i);
		now = now_ms();
		for (i = 0; i < srv.nconns; i++) {
			if (srv.conns[i].send_at == 0 ||
			    srv.conns[i].send_at > now)
				continue;
			conn_send(&srv.conns[i], srv.conns[i].f->text,
				  strlen(srv.conns[i].f->text));
			srv.conns[i].send_at = 0;
		}
		/* The fakes may have changed since the poll began. */
		for (i = 0; i < nf && i < srv.nfakes; i++)
			if ((pfd[1 + nc + i].revents & POLLIN) != 0 &&
			    srv.fakes[i]->fd == pfd[1 + nc + i].fd)
				srv_accept(srv.fakes[i]);
		pthread_mutex_unlock(&srv.mu);
	}
}

static void
on_host(void *arg, const struct scan_host *h)
{
	(void)arg;
	if (got.n < MAX_RESULTS)
		got.h[got.n] = *h;
	got.n++;
}

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	if (done < got.last_done)
		got.progress_backwards = 1;
	got.progress_calls++;
	got.last_done = done;
	got.last_total = total;
}

static const struct scan_host *
found(const char *addr)
{
	int i;

	for (i = 0; i < got.n && i < MAX_RESULTS; i++)
		if (strcmp(got.h[i].addr, addr) == 0)
			return &got.h[i];
	return NULL;
}

/* Scans range with o (cidrs set here), results into got. */
static int
run(struct scan_opts *o, const char *range, struct scan_stats *st)
{
	static struct cidr c;
	char err[256];
	int rc;

	memset(&got, 0, sizeof(got));
	if (cidr_parse(&c, range, NULL) != 0)
		BAIL_OUT("bad range %s", range);
	o->cidrs = &c;
	o->ncidrs = 1;
	o->result = on_host;
	o->progress = on_progress;
	rc = scan_run(o, st, err, sizeof(err));
	if (rc < 0)
		diag("scan of %s failed: %s", range, err);
	return rc;
}

static int
count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

static void
check_hosts(const struct want *w, size_t n, const struct scan_port *ports,
	    const char *what)
{
	const struct scan_host *h;
	char want_ports[128], got_ports[128];
	size_t i, k, j, len, m;
	uint16_t sorted[8];

	for (i = 0; i < n; i++) {
		h = found(w[i].addr);
		if (!ok(h != NULL, "%s: %s is found", what, w[i].addr))
			continue;
		for (k = 0, m = 0; k < 8; k++) {
			if ((w[i].ports & (1u << k)) == 0)
				continue;
			for (j = m++; j > 0 && sorted[j - 1] > ports[k].port;
			     j--)
				sorted[j] = sorted[j - 1];
			sorted[j] = ports[k].port;
		}
		for (k = 0, len = 0; k < m; k++)
			len += (size_t)snprintf(want_ports + len,
						sizeof(want_ports) - len, "%u ",
						(unsigned)sorted[k]);
		want_ports[len] = '\0';
		for (k = 0, len = 0; k < h->nopen; k++)
			len += (size_t)snprintf(got_ports + len,
						sizeof(got_ports) - len, "%u ",
						(unsigned)h->open[k]);
		got_ports[len] = '\0';
		is(got_ports, want_ports, "%s: %s open ports", what, w[i].addr);
		is(scan_os_name(h->os), scan_os_name(w[i].os), "%s: %s is %s",
		   what, w[i].addr, scan_os_name(w[i].os));
		is(h->ssh_banner, w[i].banner, "%s: %s SSH banner", what,
		   w[i].addr);
		is(h->winrm_server, w[i].server, "%s: %s WinRM Server header",
		   what, w[i].addr);
		is(h->name, "localhost", "%s: %s is named localhost", what,
		   w[i].addr);
	}
	cmp_ok(got.n, "==", (long long)n, "%s: no other host reported", what);
}

#define DEBIAN "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
#define WINSSH "SSH-2.0-OpenSSH_for_Windows_8.1"
#define HTTPAPI "Microsoft-HTTPAPI/2.0"

/* 127.0.5.0/28 on five high ports, one per role. */
static void
test_high_ports(void)
{
	static struct fake ssh7 = {
	    .kind = FAKE_SSH, .addr = "127.0.5.7", .text = DEBIAN "\r\n"};
	static struct fake http7 = {.kind = FAKE_HTTP,
				    .addr = "127.0.5.7",
				    .text = HTTPAPI,
				    .status = 200};
	static struct fake other8 = {
	    .kind = FAKE_SSH,
	    .addr = "127.0.5.8",
	    .text = "hello there\r\nSSH-2.0-dropbear_2022.83\r\n"};
	static struct fake ssh9 = {
	    .kind = FAKE_SSH, .addr = "127.0.5.9", .text = WINSSH "\r\n"};
	static struct fake rdp9 = {.kind = FAKE_SILENT, .addr = "127.0.5.9"};
	static struct fake ssh10 = {
	    .kind = FAKE_SSH, .addr = "127.0.5.10", .text = DEBIAN "\r\n"};
	static struct fake http11 = {.kind = FAKE_HTTP,
				     .addr = "127.0.5.11",
				     .text = HTTPAPI,
				     .status = 401};
	static struct fake https11 = {.kind = FAKE_HTTPS,
				      .addr = "127.0.5.11",
				      .text = HTTPAPI,
				      .status = 401};
	static struct fake rdp12 = {.kind = FAKE_SILENT, .addr = "127.0.5.12"};
	static struct fake mute14 = {.kind = FAKE_SILENT, .addr = "127.0.5.14"};
	struct fake *g_ssh[] = {&ssh7, &ssh9, &ssh10, &mute14};
	struct fake *g_http[] = {&http7, &http11};
	struct fake *g_https[] = {&https11};
	struct fake *g_rdp[] = {&rdp9, &rdp12};
	struct fake *g_other[] = {&other8};
	struct fake *all[] = {&ssh7,  &http7,  &other8,	 &ssh9,	 &rdp9,
			      &ssh10, &http11, &https11, &rdp12, &mute14};
	struct scan_port ports[5] = {{0, SCAN_ROLE_SSH},
				     {0, SCAN_ROLE_WINRM_HTTP},
				     {0, SCAN_ROLE_WINRM_HTTPS},
				     {0, SCAN_ROLE_RDP},
				     {0, SCAN_ROLE_OTHER}};
	const struct want want[] = {
	    {"127.0.5.7", 0x03, SCAN_OS_WINDOWS, DEBIAN, HTTPAPI},
	    {"127.0.5.8", 0x10, SCAN_OS_LINUX, "SSH-2.0-dropbear_2022.83", ""},
	    {"127.0.5.9", 0x09, SCAN_OS_WINDOWS, WINSSH, ""},
	    {"127.0.5.10", 0x01, SCAN_OS_LINUX, DEBIAN, ""},
	    {"127.0.5.11", 0x06, SCAN_OS_WINDOWS, "", HTTPAPI},
	    {"127.0.5.12", 0x08, SCAN_OS_WINDOWS, "", ""},
	    {"127.0.5.14", 0x01, SCAN_OS_UNKNOWN, "", ""},
	};
	const struct scan_host *h;
	struct scan_opts o;
	struct scan_stats st;
	size_t i;

	if (fake_group(g_ssh, 4) != 0 || fake_group(g_http, 2) != 0 ||
	    fake_group(g_https, 1) != 0 || fake_group(g_rdp, 2) != 0 ||
	    fake_group(g_other, 1) != 0)
		BAIL_OUT("cannot bind the fake servers on 127.0.5.x");
	ports[0].port = ssh7.port;
	ports[1].port = http7.port;
	ports[2].port = https11.port;
	ports[3].port = rdp9.port;
	ports[4].port = other8.port;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fake_add(all[i]);
	scan_opts_init(&o);
	o.ports = ports;
	o.nports = 5;
	o.probe_timeout_ms = 500;
	o.concurrency = 16;
	o.progress_ms = 0;
	cmp_ok(run(&o, "127.0.5.0/28", &st), "==", 0, "high ports: scan ends");
	check_hosts(want, sizeof(want) / sizeof(want[0]), ports, "high ports");
	h = found("127.0.5.8");
	cmp_ok(h != NULL ? h->ssh_port : 0, "==", other8.port,
	       "the banner came from the other-role port");
	h = found("127.0.5.11");
	cmp_ok(h != NULL ? h->winrm_status : 0, "==", 401,
	       "WinRM status is kept");
	h = found("127.0.5.7");
	ok(h != NULL && h->winrm_port == http7.port && !h->winrm_tls,
	   "WinRM port and scheme are kept");
	like(http11.request, "^POST /wsman HTTP/1\\.1\r\n",
	     "WinRM probe is POST /wsman");
	like(http11.request, "WSMANIDENTIFY: unauthenticated",
	     "an unauthenticated Identify");
	like(http11.request, "<wsmid:Identify/>", "with an Identify body");
	unlike(http11.request, "Authorization", "and no credentials");
	like(https11.request, "^POST /wsman ", "the probe went over TLS");
	cmp_ok(ssh10.accepted, "==", 1, "each port is connected once");
	cmp_ok((long long)st.total, "==", 14, "14 hosts in a /28");
	cmp_ok((long long)st.done, "==", 14, "all done");
	cmp_ok((long long)st.up, "==", 7, "7 up");
	cmp_ok((long long)st.open, "==", 10, "10 open ports");
	cmp_ok((long long)st.connects, "==", 70, "70 connects");
	cmp_ok(st.elapsed_ms, ">=", 450, "the silent port held its probe");
	cmp_ok(st.elapsed_ms, "<", 2500, "and no longer (%ld ms)",
	       st.elapsed_ms);
	ok(got.progress_calls > 1 && got.last_done == 14 &&
	       got.last_total == 14 && !got.progress_backwards,
	   "progress goes up to 14 of 14");
	fake_remove_all();
}

/* The real ports need root and nothing else bound to them. */
static void
test_default_ports(void)
{
	static struct fake ssh = {.kind = FAKE_SSH,
				  .addr = "127.0.5.10",
				  .port = 22,
				  .text = DEBIAN "\r\n"};
	static struct fake http = {.kind = FAKE_HTTP,
				   .addr = "127.0.5.11",
				   .port = 5985,
				   .text = HTTPAPI,
				   .status = 401};
	static struct fake https = {.kind = FAKE_HTTPS,
				    .addr = "127.0.5.11",
				    .port = 5986,
				    .text = HTTPAPI,
				    .status = 401};
	static struct fake rdp = {
	    .kind = FAKE_SILENT, .addr = "127.0.5.12", .port = 3389};
	struct fake *all[] = {&ssh, &http, &https, &rdp};
	const struct want want[] = {
	    {"127.0.5.10", 0x01, SCAN_OS_LINUX, DEBIAN, ""},
	    {"127.0.5.11", 0x06, SCAN_OS_WINDOWS, "", HTTPAPI},
	    {"127.0.5.12", 0x08, SCAN_OS_WINDOWS, "", ""},
	};
	const struct scan_port *ports;
	struct scan_opts o;
	struct scan_stats st;
	size_t i, n;
	int rc = 0;

	for (i = 0; i < 4 && rc == 0; i++)
		rc = fake_bind(all[i], 64);
	if (rc != 0) {
		skip(1 + 6 * 3 + 1,
		     "cannot bind %s:%u (%s): not root, or "
		     "the port is taken",
		     all[i - 1]->addr, all[i - 1]->port, strerror(-rc));
		while (--i > 0)
			close(all[i - 1]->fd);
		return;
	}
	for (i = 0; i < 4; i++)
		fake_add(all[i]);
	scan_opts_init(&o);
	o.probe_timeout_ms = 500;
	cmp_ok(run(&o, "127.0.5.0/28", &st), "==", 0,
	       "default ports: scan ends");
	ports = scan_default_ports(&n);
	check_hosts(want, 3, ports, "default ports");
	fake_remove_all();
}

/* 20 slow SSH servers, 4 connections at a time; then again with a low
 * RLIMIT_NOFILE and a concurrency far above it. */
static void
test_concurrency_and_fd_limit(void)
{
	static struct fake slow[20];
	static char addrs[20][24];
	struct fake *group[20];
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;
	struct rlimit old, low;
	int i, banners = 0, max_open;

	for (i = 0; i < 20; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "127.0.6.%d", i + 1);
		slow[i].kind = FAKE_SSH;
		slow[i].addr = addrs[i];
		slow[i].text = DEBIAN "\r\n";
		slow[i].delay_ms = 150;
		group[i] = &slow[i];
	}
	if (fake_group(group, 20) != 0)
		BAIL_OUT("cannot bind the fake servers on 127.0.6.x");
	for (i = 0; i < 20; i++)
		fake_add(&slow[i]);
	port.port = slow[0].port;
	scan_opts_init(&o);
	o.ports = &port;
	o.nports = 1;
	o.concurrency = 4;
	o.resolve_names = 0;
	cmp_ok(run(&o, "127.0.6.0/27", &st), "==", 0, "concurrency: scan ends");
	for (i = 0; i < got.n && i < MAX_RESULTS; i++)
		banners += strcmp(got.h[i].ssh_banner, DEBIAN) == 0;
	cmp_ok(got.n, "==", 20, "concurrency: 20 hosts found");
	cmp_ok(banners, "==", 20, "concurrency: 20 banners read");
	pthread_mutex_lock(&srv.mu);
	max_open = srv.max_open;
	srv.max_open = srv.open_now;
	pthread_mutex_unlock(&srv.mu);
	cmp_ok(max_open, "<=", 4, "servers saw at most 4 connections at once");
	cmp_ok(max_open, ">=", 2, "and more than one");
	cmp_ok(st.max_in_flight, "<=", 4, "the scanner agrees (%d)",
	       st.max_in_flight);
	cmp_ok(st.elapsed_ms, ">=", 20 / 4 * 150 - 50,
	       "5 rounds of 150 ms (%ld ms)", st.elapsed_ms);

	if (getrlimit(RLIMIT_NOFILE, &old) != 0)
		BAIL_OUT("getrlimit: %s", strerror(errno));
	low = old;
	low.rlim_cur = (rlim_t)count_fds() + 80;
	if (setrlimit(RLIMIT_NOFILE, &low) != 0)
		BAIL_OUT("setrlimit: %s", strerror(errno));
	o.concurrency = 10000;
	cmp_ok(run(&o, "127.0.6.0/27", &st), "==", 0, "fd limit: scan ends");
	setrlimit(RLIMIT_NOFILE, &old);
	cmp_ok(st.concurrency, "<=", 40, "fd limit: concurrency capped to %d",
	       st.concurrency);
	cmp_ok(st.concurrency, ">=", 1, "but not below one");
	cmp_ok(got.n, "==", 20, "fd limit: 20 hosts found");
	fake_remove_all();
}

static volatile int cancel_flag;

static void *
cancel_later(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	cancel_flag = 1;
	return NULL;
}

/* 14 silent servers, 2 at a time, 1 s each: a cancel after 300 ms. */
static void
test_cancel(void)
{
	static struct fake mute[14];
	static char addrs[14][24];
	struct fake *group[14];
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;
	pthread_t tid;
	int i, rc;

	for (i = 0; i < 14; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "127.0.7.%d", i + 1);
		mute[i].kind = FAKE_SILENT;
		mute[i].addr = addrs[i];
		group[i] = &mute[i];
	}
	if (fake_group(group, 14) != 0)
		BAIL_OUT("cannot bind the fake servers on 127.0.7.x");
	for (i = 0; i < 14; i++)
		fake_add(&mute[i]);
	port.port = mute[0].port;
	scan_opts_init(&o);
	o.ports = &port;
	o.nports = 1;
	o.concurrency = 2;
	o.probe_timeout_ms = 1000;
	o.resolve_names = 0;
	cancel_flag = 0;
	o.cancel = &cancel_flag;
	if (pthread_create(&tid, NULL, cancel_later, NULL) != 0)
		BAIL_OUT("pthread_create");
	rc = run(&o, "127.0.7.0/28", &st);
	pthread_join(tid, NULL);
	cmp_ok(rc, "==", 1, "cancel: scan_run says canceled");
	cmp_ok(st.elapsed_ms, "<", 900, "cancel: stopped early (%ld ms)",
	       st.elapsed_ms);
	cmp_ok((long long)st.done, "<", 14, "cancel: not every host done");
	cmp_ok(got.n, "==", 0, "cancel: no half-scanned host reported");
	fake_remove_all();
}

/* A listener whose backlog is full drops the SYN: a true timeout. */
static void
test_connect_timeout(void)
{
	struct fake full = {.kind = FAKE_SILENT, .addr = "127.0.8.1"};
	struct sockaddr_in sin;
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;
	struct pollfd pfd;
	int fill[2], i;

	if (fake_bind(&full, 0) != 0)
		BAIL_OUT("cannot bind 127.0.8.1");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(full.port);
	inet_pton(AF_INET, full.addr, &sin.sin_addr);
	for (i = 0; i < 2; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fill[i], (struct sockaddr *)&sin, sizeof(sin)) !=
			0 &&
		    errno != EINPROGRESS)
			BAIL_OUT("connect: %s", strerror(errno));
	}
	usleep(100 * 1000);
	pfd.fd = fill[1];
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 0) != 0) {
		skip(5, "this kernel completes connects past a full backlog");
	} else {
		port.port = full.port;
		scan_opts_init(&o);
		o.ports = &port;
		o.nports = 1;
		o.timeout_ms = 300;
		o.resolve_names = 0;
		cmp_ok(run(&o, "127.0.8.1/32", &st), "==", 0,
		       "timeout: scan ends");
		cmp_ok(got.n, "==", 0, "timeout: the port is not open");
		cmp_ok((long long)st.connects, "==", 1, "timeout: one connect");
		cmp_ok(st.elapsed_ms, ">=", 280, "timeout: waited (%ld ms)",
		       st.elapsed_ms);
		cmp_ok(st.elapsed_ms, "<", 1500, "timeout: bounded");
	}
	close(fill[0]);
	close(fill[1]);
	close(full.fd);
}

/* Nothing listens on 127.0.9.0/24: 1016 refused connects, quickly, and
 * every descriptor closed afterwards. */
static void
test_no_leak(void)
{
	struct scan_opts o;
	struct scan_stats st;
	int before, after;

	before = count_fds();
	scan_opts_init(&o);
	cmp_ok(run(&o, "127.0.9.0/24", &st), "==", 0, "closed /24: ends");
	after = count_fds();
	cmp_ok(got.n, "==", 0, "closed /24: nothing reported open");
	cmp_ok((long long)st.connects, "==", 254 * 4,
	       "closed /24: 1016 "
	       "connects");
	cmp_ok(st.elapsed_ms, "<", 3000, "closed /24: in %ld ms",
	       st.elapsed_ms);
	cmp_ok(after, "==", before, "no descriptor left open");
}

static int
resolve_slow(const struct sockaddr *sa, socklen_t len, char *name, size_t size)
{
	(void)sa;
	(void)len;
	usleep(1500 * 1000);
	snprintf(name, size, "slow.example");
	return 0;
}

static int
resolve_fake(const struct sockaddr *sa, socklen_t len, char *name, size_t size)
{
	char addr[INET_ADDRSTRLEN];

	(void)len;
	inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr,
		  sizeof(addr));
	snprintf(name, size, "h-%s.example", addr);
	return 0;
}

static void
test_names(void)
{
	static struct fake ssh = {
	    .kind = FAKE_SSH, .addr = "127.0.5.10", .text = DEBIAN "\r\n"};
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;

	if (fake_bind(&ssh, 64) != 0)
		BAIL_OUT("cannot bind 127.0.5.10");
	fake_add(&ssh);
	port.port = ssh.port;
	scan_opts_init(&o);
	o.ports = &port;
	o.nports = 1;
	o.resolve = resolve_fake;
	run(&o, "127.0.5.10/32", &st);
	is(got.n == 1 ? got.h[0].name : "-", "h-127.0.5.10.example",
	   "names come from the resolver");
	o.resolve_names = 0;
	run(&o, "127.0.5.10/32", &st);
	is(got.n == 1 ? got.h[0].name : "-", "", "no names when turned off");
	o.resolve_names = 1;
	o.resolve = resolve_slow;
	o.name_timeout_ms = 200;
	run(&o, "127.0.5.10/32", &st);
	is(got.n == 1 ? got.h[0].name : "-", "", "a slow lookup is given up");
	is(got.n == 1 ? got.h[0].ssh_banner : "-", DEBIAN,
	   "and the host is still reported");
	cmp_ok(st.elapsed_ms, "<", 1200, "within its budget (%ld ms)",
	       st.elapsed_ms);
	fake_remove_all();
}

static void
test_ipv6(void)
{
	static struct fake ssh = {
	    .kind = FAKE_SSH, .addr = "::1", .text = DEBIAN "\r\n"};
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;

	if (fake_bind(&ssh, 64) != 0) {
		skip(4, "no IPv6 loopback here");
		return;
	}
	fake_add(&ssh);
	port.port = ssh.port;
	scan_opts_init(&o);
	o.ports = &port;
	o.nports = 1;
	cmp_ok(run(&o, "::1", &st), "==", 0, "IPv6: scan ends");
	is(got.n == 1 ? got.h[0].addr : "-", "::1", "IPv6: ::1 found");
	is(got.n == 1 ? got.h[0].name : "-", "localhost",
	   "IPv6: named localhost");
	is(got.n == 1 ? scan_os_name(got.h[0].os) : "-", "linux",
	   "IPv6: classified");
	fake_remove_all();
}

int
main(void)
{
	pthread_mutex_init(&srv.mu, NULL);
	if (pipe(srv.stop) != 0)
		BAIL_OUT("pipe: %s", strerror(errno));
	srv.tls = fake_tls_ctx();
	if (pthread_create(&srv.tid, NULL, srv_main, NULL) != 0)
		BAIL_OUT("pthread_create");
	test_no_leak();
	test_high_ports();
	test_default_ports();
	test_concurrency_and_fd_limit();
	test_cancel();
	test_connect_timeout();
	test_ipv6();
	test_names();
	if (write(srv.stop[1], "x", 1) != 1)
		BAIL_OUT("write: %s", strerror(errno));
	pthread_join(srv.tid, NULL);
	SSL_CTX_free(srv.tls);
	return done_testing();
}
