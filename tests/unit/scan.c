/* Unit tests for the discovery scanner's pure parts: SSH line and HTTP head
 * parsing, classification, defaults and option checks. */
#include <stdio.h>
#include <string.h>

#include "worker/scan.h"
#include "worker/scanprobe.h"
#include "tests/lib/tap.h"

struct ssh_case {
	const char *name;
	const char *in;
	int eof;
	const char *want; /* NULL: no banner */
};

static const struct ssh_case sshs[] = {
    {"Debian", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 0,
     "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"},
    {"LF only", "SSH-2.0-dropbear_2022.83\n", 0, "SSH-2.0-dropbear_2022.83"},
    {"lines before", "Welcome\r\nto a box\r\nSSH-2.0-X\r\n", 0, "SSH-2.0-X"},
    {"incomplete", "SSH-2.0-OpenSSH_9", 0, NULL},
    {"incomplete at EOF", "SSH-2.0-OpenSSH_9", 1, "SSH-2.0-OpenSSH_9"},
    {"no SSH", "220 mail ESMTP\r\n", 1, NULL},
    {"empty", "", 1, NULL},
    {"SSH- not at line start", "xSSH-2.0-a\r\n", 1, NULL},
    {"control bytes", "SSH-2.0-a\x01\x7f\xffz\r\n", 0, "SSH-2.0-a???z"},
    {"trailing spaces", "SSH-2.0-a   \r\n", 0, "SSH-2.0-a"},
    {"SSH-1.99", "SSH-1.99-Cisco-1.25\r\n", 0, "SSH-1.99-Cisco-1.25"},
};

struct http_case {
	const char *name;
	const char *in;
	int status;
	const char *server;
};

static const struct http_case https[] = {
    {"WinRM 401",
     "HTTP/1.1 401 \r\nServer: Microsoft-HTTPAPI/2.0\r\n"
     "WWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n",
     401, "Microsoft-HTTPAPI/2.0"},
    {"lower-case name", "HTTP/1.1 200 OK\r\nserver:  x/1 \r\n\r\n", 200, "x/1"},
    {"no Server", "HTTP/1.0 405 Method Not Allowed\r\nA: b\r\n\r\n", 405, ""},
    {"Server in the body", "HTTP/1.1 200 OK\r\nA: b\r\n\r\nServer: no\r\n", 200,
     ""},
    {"LF only", "HTTP/1.1 500 x\nServer: y\n\n", 500, "y"},
    {"status only", "HTTP/1.1 204\r\n", 204, ""},
    {"head cut short", "HTTP/1.1 401 \r\nServer: Micro", 401, "Micro"},
    {"control bytes",
     "HTTP/1.1 200 OK\r\nServer: a\x01"
     "b\r\n\r\n",
     200, "a?b"},
    {"two-digit status", "HTTP/1.1 99 x\r\n\r\n", 0, ""},
    {"status 600", "HTTP/1.1 600 x\r\n\r\n", 0, ""},
    {"four-digit status", "HTTP/1.1 2000 x\r\n\r\n", 0, ""},
    {"HTTP/2", "HTTP/2 200\r\n\r\n", 0, ""},
    {"not HTTP", "SSH-2.0-x\r\n", 0, ""},
    {"short", "HTTP/1.", 0, ""},
    {"empty", "", 0, ""},
};

struct class_case {
	const char *name;
	const char *banner;
	int winrm;
	int rdp;
	enum scan_os want;
};

static const struct class_case classes[] = {
    {"Debian SSH", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", 0, 0,
     SCAN_OS_LINUX},
    {"Ubuntu SSH", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", 0, 0,
     SCAN_OS_LINUX},
    {"plain OpenSSH", "SSH-2.0-OpenSSH_7.4", 0, 0, SCAN_OS_LINUX},
    {"Dropbear", "SSH-2.0-dropbear_2022.83", 0, 0, SCAN_OS_LINUX},
    {"Windows SSH", "SSH-2.0-OpenSSH_for_Windows_8.1", 0, 0, SCAN_OS_WINDOWS},
    {"Windows SSH and RDP", "SSH-2.0-OpenSSH_for_Windows_9.5", 0, 1,
     SCAN_OS_WINDOWS},
    {"WinRM only", "", 401, 0, SCAN_OS_WINDOWS},
    {"RDP only", "", 0, 1, SCAN_OS_WINDOWS},
    {"Linux SSH and WinRM", "SSH-2.0-OpenSSH_9.2p1 Debian-2", 200, 0,
     SCAN_OS_WINDOWS},
    {"Linux SSH and RDP (xrdp)", "SSH-2.0-OpenSSH_9.2p1 Debian-2", 0, 1,
     SCAN_OS_LINUX},
    {"network device SSH", "SSH-2.0-Cisco-1.25", 0, 0, SCAN_OS_UNKNOWN},
    {"network device SSH and RDP", "SSH-2.0-Cisco-1.25", 0, 1, SCAN_OS_WINDOWS},
    {"another SSH server", "SSH-2.0-ROSSSH", 0, 0, SCAN_OS_UNKNOWN},
    {"nothing", "", 0, 0, SCAN_OS_UNKNOWN},
};

static void test_ssh_lines(void);
static void test_http_heads(void);
static void test_classify(void);
static void test_defaults(void);
static void test_bad_opts(void);

static void
test_ssh_lines(void)
{
	char out[SCANPROBE_TEXT_MAX], longer[600];
	size_t i;
	int got;

	for (i = 0; i < sizeof(sshs) / sizeof(sshs[0]); i++) {
		out[0] = '\0';
		got = scanprobe_ssh_line(sshs[i].in, strlen(sshs[i].in),
					 sshs[i].eof, out, sizeof(out));
		if (sshs[i].want == NULL) {
			ok(!got, "ssh line: %s: none", sshs[i].name);
			continue;
		}
		ok(got, "ssh line: %s: found", sshs[i].name);
		is(out, sshs[i].want, "ssh line: %s: text", sshs[i].name);
	}
	memset(longer, 'a', sizeof(longer));
	memcpy(longer, "SSH-2.0-", 8);
	longer[sizeof(longer) - 2] = '\n';
	got =
	    scanprobe_ssh_line(longer, sizeof(longer) - 1, 0, out, sizeof(out));
	ok(got, "a 598-byte line is found");
	cmp_ok((long long)strlen(out), "==", SCANPROBE_TEXT_MAX - 1,
	       "and kept to 255 bytes");
}

static void
test_http_heads(void)
{
	char server[SCANPROBE_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(https) / sizeof(https[0]); i++) {
		cmp_ok(scanprobe_http_head(https[i].in, server, sizeof(server)),
		       "==", https[i].status, "http: %s: status",
		       https[i].name);
		is(server, https[i].server, "http: %s: server", https[i].name);
	}
}

static void
test_classify(void)
{
	struct scan_host h;
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		memset(&h, 0, sizeof(h));
		snprintf(h.ssh_banner, sizeof(h.ssh_banner), "%s",
			 classes[i].banner);
		h.winrm_status = classes[i].winrm;
		h.rdp_open = classes[i].rdp;
		is(scan_os_name(scan_classify(&h)),
		   scan_os_name(classes[i].want), "classify: %s",
		   classes[i].name);
	}
}

static void
test_defaults(void)
{
	const struct scan_port *p;
	struct scan_opts o;
	size_t n;

	p = scan_default_ports(&n);
	cmp_ok((long long)n, "==", 4, "four default ports");
	ok(n == 4 && p[0].port == 22 && p[0].role == SCAN_ROLE_SSH &&
	       p[1].port == 5985 && p[1].role == SCAN_ROLE_WINRM_HTTP &&
	       p[2].port == 5986 && p[2].role == SCAN_ROLE_WINRM_HTTPS &&
	       p[3].port == 3389 && p[3].role == SCAN_ROLE_RDP,
	   "22 ssh, 5985 http, 5986 https, 3389 rdp");
	cmp_ok(scan_port_role(5986), "==", SCAN_ROLE_WINRM_HTTPS,
	       "5986 is WinRM over HTTPS");
	cmp_ok(scan_port_role(8080), "==", SCAN_ROLE_OTHER, "8080 is other");
	is(scan_os_name(SCAN_OS_LINUX), "linux", "linux name");
	is(scan_os_name(SCAN_OS_WINDOWS), "windows", "windows name");
	is(scan_os_name(SCAN_OS_UNKNOWN), "unknown", "unknown name");
	scan_opts_init(&o);
	ok(o.ports != NULL && o.nports == 4 && o.timeout_ms > 0 &&
	       o.probe_timeout_ms > 0 && o.concurrency > 0 && o.resolve_names,
	   "scan_opts_init gives usable defaults");
}

/* Option errors come before any socket is opened. */
static void
test_bad_opts(void)
{
	struct scan_port many[SCAN_MAX_PORTS + 1],
	    twice[2] = {{22, 0}, {22, 0}};
	struct scan_port zero[1] = {{0, 0}};
	struct scan_opts o;
	struct scan_stats st;
	struct cidr big[2];
	char err[256];
	size_t i;

	for (i = 0; i <= SCAN_MAX_PORTS; i++) {
		many[i].port = (uint16_t)(1000 + i);
		many[i].role = SCAN_ROLE_OTHER;
	}
	cidr_parse(&big[0], "10.0.0.0/8", NULL);
	cidr_parse(&big[1], "2001:db8::/64", NULL);
	scan_opts_init(&o);
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "no ranges");
	like(err, "no address range", "says so");
	o.cidrs = big;
	o.ncidrs = 1;
	o.max_hosts = 65536;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1,
	       "a /8 over a limit of 65536");
	like(err, "16777214 addresses.*65536", "names both numbers");
	o.cidrs = &big[1];
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1,
	       "an IPv6 /64 over the limit");
	like(err, "over [0-9]+ addresses", "says it is over");
	o.max_hosts = 0;
	o.cidrs = big;
	o.ports = many;
	o.nports = SCAN_MAX_PORTS + 1;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "65 ports");
	o.nports = 0;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "0 ports");
	o.ports = twice;
	o.nports = 2;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "a port twice");
	like(err, "port 22 is listed twice", "names the port");
	o.ports = zero;
	o.nports = 1;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "port 0");
	scan_opts_init(&o);
	o.cidrs = big;
	o.ncidrs = 1;
	o.timeout_ms = 0;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "timeout 0");
	o.timeout_ms = 1000;
	o.probe_timeout_ms = 60001;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1,
	       "probe timeout over a minute");
	o.probe_timeout_ms = 1000;
	o.concurrency = 0;
	cmp_ok(scan_run(&o, &st, err, sizeof(err)), "==", -1, "concurrency 0");
	like(err, "concurrency", "names concurrency");
	cmp_ok((long long)st.connects, "==", 0, "no connect was tried");
}

int
main(void)
{
	test_ssh_lines();
	test_http_heads();
	test_classify();
	test_defaults();
	test_bad_opts();
	return done_testing();
}
