/* Integration test of network discovery: fake SSH, WinRM (HTTP and HTTPS)
 * and RDP listeners on 127.0.5.0/28 and other loopback addresses, scanned
 * on high ports and, when they can be bound (root), on the default ports;
 * concurrency limit, cancel, timeouts, names and the fd limit. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "worker/scan.h"
#include "tests/lib/fakesrv.h"
#include "tests/lib/tap.h"

#define MAX_RESULTS 64

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
	static struct fakesrv ssh7 = {
	    .kind = FAKESRV_SSH, .addr = "127.0.5.7", .text = DEBIAN "\r\n"};
	static struct fakesrv http7 = {.kind = FAKESRV_HTTP,
				       .addr = "127.0.5.7",
				       .text = HTTPAPI,
				       .status = 200};
	static struct fakesrv other8 = {
	    .kind = FAKESRV_SSH,
	    .addr = "127.0.5.8",
	    .text = "hello there\r\nSSH-2.0-dropbear_2022.83\r\n"};
	static struct fakesrv ssh9 = {
	    .kind = FAKESRV_SSH, .addr = "127.0.5.9", .text = WINSSH "\r\n"};
	static struct fakesrv rdp9 = {.kind = FAKESRV_SILENT,
				      .addr = "127.0.5.9"};
	static struct fakesrv ssh10 = {
	    .kind = FAKESRV_SSH, .addr = "127.0.5.10", .text = DEBIAN "\r\n"};
	static struct fakesrv http11 = {.kind = FAKESRV_HTTP,
					.addr = "127.0.5.11",
					.text = HTTPAPI,
					.status = 401};
	static struct fakesrv https11 = {.kind = FAKESRV_HTTPS,
					 .addr = "127.0.5.11",
					 .text = HTTPAPI,
					 .status = 401};
	static struct fakesrv rdp12 = {.kind = FAKESRV_SILENT,
				       .addr = "127.0.5.12"};
	static struct fakesrv mute14 = {.kind = FAKESRV_SILENT,
					.addr = "127.0.5.14"};
	struct fakesrv *g_ssh[] = {&ssh7, &ssh9, &ssh10, &mute14};
	struct fakesrv *g_http[] = {&http7, &http11};
	struct fakesrv *g_https[] = {&https11};
	struct fakesrv *g_rdp[] = {&rdp9, &rdp12};
	struct fakesrv *g_other[] = {&other8};
	struct fakesrv *all[] = {&ssh7,	 &http7,  &other8,  &ssh9,  &rdp9,
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

	if (fakesrv_group(g_ssh, 4) != 0 || fakesrv_group(g_http, 2) != 0 ||
	    fakesrv_group(g_https, 1) != 0 || fakesrv_group(g_rdp, 2) != 0 ||
	    fakesrv_group(g_other, 1) != 0)
		BAIL_OUT("cannot bind the fake servers on 127.0.5.x");
	ports[0].port = ssh7.port;
	ports[1].port = http7.port;
	ports[2].port = https11.port;
	ports[3].port = rdp9.port;
	ports[4].port = other8.port;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fakesrv_add(all[i]);
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
	fakesrv_remove_all();
}

/* The real ports need root and nothing else bound to them. */
static void
test_default_ports(void)
{
	static struct fakesrv ssh = {.kind = FAKESRV_SSH,
				     .addr = "127.0.5.10",
				     .port = 22,
				     .text = DEBIAN "\r\n"};
	static struct fakesrv http = {.kind = FAKESRV_HTTP,
				      .addr = "127.0.5.11",
				      .port = 5985,
				      .text = HTTPAPI,
				      .status = 401};
	static struct fakesrv https = {.kind = FAKESRV_HTTPS,
				       .addr = "127.0.5.11",
				       .port = 5986,
				       .text = HTTPAPI,
				       .status = 401};
	static struct fakesrv rdp = {
	    .kind = FAKESRV_SILENT, .addr = "127.0.5.12", .port = 3389};
	struct fakesrv *all[] = {&ssh, &http, &https, &rdp};
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
		rc = fakesrv_bind(all[i], 64);
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
		fakesrv_add(all[i]);
	scan_opts_init(&o);
	o.probe_timeout_ms = 500;
	cmp_ok(run(&o, "127.0.5.0/28", &st), "==", 0,
	       "default ports: scan ends");
	ports = scan_default_ports(&n);
	check_hosts(want, 3, ports, "default ports");
	fakesrv_remove_all();
}

/* 20 slow SSH servers, 4 connections at a time; then again with a low
 * RLIMIT_NOFILE and a concurrency far above it. */
static void
test_concurrency_and_fd_limit(void)
{
	static struct fakesrv slow[20];
	static char addrs[20][24];
	struct fakesrv *group[20];
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;
	struct rlimit old, low;
	int i, banners = 0, max_open;

	for (i = 0; i < 20; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "127.0.6.%d", i + 1);
		slow[i].kind = FAKESRV_SSH;
		slow[i].addr = addrs[i];
		slow[i].text = DEBIAN "\r\n";
		slow[i].delay_ms = 150;
		group[i] = &slow[i];
	}
	if (fakesrv_group(group, 20) != 0)
		BAIL_OUT("cannot bind the fake servers on 127.0.6.x");
	for (i = 0; i < 20; i++)
		fakesrv_add(&slow[i]);
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
	max_open = fakesrv_take_max_open();
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
	fakesrv_remove_all();
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
	static struct fakesrv mute[14];
	static char addrs[14][24];
	struct fakesrv *group[14];
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;
	pthread_t tid;
	int i, rc;

	for (i = 0; i < 14; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "127.0.7.%d", i + 1);
		mute[i].kind = FAKESRV_SILENT;
		mute[i].addr = addrs[i];
		group[i] = &mute[i];
	}
	if (fakesrv_group(group, 14) != 0)
		BAIL_OUT("cannot bind the fake servers on 127.0.7.x");
	for (i = 0; i < 14; i++)
		fakesrv_add(&mute[i]);
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
	fakesrv_remove_all();
}

/* A listener whose backlog is full drops the SYN: a true timeout. */
static void
test_connect_timeout(void)
{
	struct fakesrv_full full;
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;

	if (fakesrv_full_open(&full, "127.0.8.1") != 0) {
		skip(5, "this kernel completes connects past a full backlog");
	} else {
		port.port = full.l.port;
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
	fakesrv_full_close(&full);
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
	static struct fakesrv ssh = {
	    .kind = FAKESRV_SSH, .addr = "127.0.5.10", .text = DEBIAN "\r\n"};
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;

	if (fakesrv_bind(&ssh, 64) != 0)
		BAIL_OUT("cannot bind 127.0.5.10");
	fakesrv_add(&ssh);
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
	fakesrv_remove_all();
}

static void
test_ipv6(void)
{
	static struct fakesrv ssh = {
	    .kind = FAKESRV_SSH, .addr = "::1", .text = DEBIAN "\r\n"};
	struct scan_port port = {0, SCAN_ROLE_SSH};
	struct scan_opts o;
	struct scan_stats st;

	if (fakesrv_bind(&ssh, 64) != 0) {
		skip(4, "no IPv6 loopback here");
		return;
	}
	fakesrv_add(&ssh);
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
	fakesrv_remove_all();
}

int
main(void)
{
	fakesrv_start();
	test_no_leak();
	test_high_ports();
	test_default_ports();
	test_concurrency_and_fd_limit();
	test_cancel();
	test_connect_timeout();
	test_ipv6();
	test_names();
	fakesrv_stop();
	return done_testing();
}
