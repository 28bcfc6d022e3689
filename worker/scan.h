/* Network discovery: a TCP connect scan of address ranges x ports with SSH
 * banner grabbing, a WinRM probe, reverse names and OS classification.
 *
 * How it works. Hosts are taken in order from the ranges; each host's ports
 * are connected with non-blocking sockets driven by one epoll set, with at
 * most `concurrency` sockets open at once (also capped by RLIMIT_NOFILE).
 * A connect that does not complete within timeout_ms, or fails in any way
 * (refused, unreachable, reset, a self-connect), is a closed port: only a
 * completed handshake counts as open. On an open port, by its role:
 *   SSH and OTHER  wait up to probe_timeout_ms for the server to speak and
 *                  keep an "SSH-2.0-..." identification line (at most 255
 *                  bytes, non-printable bytes replaced by '?');
 *   WINRM_HTTP(S)  send a WS-Management Identify (POST /wsman, over TLS
 *                  without certificate verification for HTTPS; no
 *                  credentials are ever sent) and keep the status code and
 *                  the Server header, e.g. "Microsoft-HTTPAPI/2.0";
 *   RDP            nothing: an open port is the whole answer.
 * A host with an open port gets its reverse name through getnameinfo
 * (NI_NAMEREQD) on helper threads, started at the first open port and
 * waited for at most name_timeout_ms after the host's probes end; a
 * lookup that takes longer is abandoned (name left empty). Loopback
 * addresses are named "localhost" without a lookup.
 *
 * Classification, first rule that matches:
 *   1. the SSH banner names Windows ("OpenSSH_for_Windows")  -> windows
 *   2. a WinRM port answered HTTP (any status)                -> windows
 *   3. an SSH banner of a Unix-like server (OpenSSH, Dropbear, or naming
 *      Debian, Ubuntu, Raspbian, RedHat, CentOS, Fedora, SUSE, Alpine,
 *      Arch, Gentoo, Linux)                                    -> linux
 *   4. the RDP port is open                                   -> windows
 *   5. anything else (closed, a network device's SSH, ...)    -> unknown
 * A Unix SSH banner wins over an open RDP port (xrdp on Linux is common;
 * Windows with a non-Windows OpenSSH is not).
 *
 * Thread-safe: no global state; each scan_run owns its sockets, its epoll
 * set and its TLS context. It may run on any thread; SIGPIPE is blocked on
 * that thread during the call and any pending one consumed.
 *
 * Parts: scan.c (options, classification, entry), scanloop.c (the event
 * loop), scanprobe.c (banner and WinRM probes), scanname.c (names). */
#ifndef OC_SCAN_H
#define OC_SCAN_H

#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "scanname.h"

#define SCAN_MAX_PORTS 64
#define SCAN_BANNER_MAX 256 /* SSH line, with its NUL */
#define SCAN_HEADER_MAX 256 /* Server header, with its NUL */

/* What to do once a port is open. */
enum scan_role {
	SCAN_ROLE_OTHER,       /* read an SSH banner if the server sends one */
	SCAN_ROLE_SSH,	       /* read the SSH identification line */
	SCAN_ROLE_WINRM_HTTP,  /* WS-Management Identify over HTTP */
	SCAN_ROLE_WINRM_HTTPS, /* the same over TLS */
	SCAN_ROLE_RDP,	       /* open is enough (RDP waits for the client) */
};

struct scan_port {
	uint16_t port;
	enum scan_role role;
};

/* The classification of a host (see the rules above). */
enum scan_os {
	SCAN_OS_UNKNOWN, /* no rule matched */
	SCAN_OS_LINUX,	 /* a Unix-like SSH server */
	SCAN_OS_WINDOWS, /* WinRM, RDP or a Windows SSH server */
};

/* One host with at least one open port, as passed to the result callback
 * (valid during the call only). */
struct scan_host {
	int family;		     /* AF_INET or AF_INET6 */
	unsigned char addr_bin[16];  /* network order */
	char addr[INET6_ADDRSTRLEN]; /* text form */
	char name[NI_MAXHOST];	     /* reverse name, "" if none */
	size_t nopen;		     /* open ports, ascending */
	uint16_t open[SCAN_MAX_PORTS];
	char ssh_banner[SCAN_BANNER_MAX];   /* "SSH-2.0-...", "" if none */
	uint16_t ssh_port;		    /* port that sent it, 0 if none */
	char winrm_server[SCAN_HEADER_MAX]; /* Server header, "" if none */
	uint16_t winrm_port; /* WinRM port that answered, 0 if none */
	int winrm_tls;	     /* 1 if that answer came over TLS */
	int winrm_status;    /* its HTTP status, 0 if none */
	int rdp_open;	     /* a port with the RDP role is open */
	enum scan_os os;
};

struct scan_opts {
	const struct cidr *cidrs; /* ranges to scan; an address in several is */
	size_t ncidrs;		  /* scanned once */
	const struct scan_port *ports; /* NULL: scan_default_ports */
	size_t nports;		       /* 1..SCAN_MAX_PORTS, distinct ports */
	int timeout_ms;		       /* per connect, 1..60000 */
	int probe_timeout_ms;	       /* banner or WinRM answer, 1..60000 */
	int name_timeout_ms;	       /* reverse name budget, 0..60000 */
	int resolve_names;	       /* 0: leave names empty, no lookups */
	int concurrency;	       /* sockets open at once, 1..65536 */
	uint64_t max_hosts;	       /* refuse a larger scan; 0: no limit */
	volatile int *cancel; /* stop soon when *cancel != 0; may be NULL */
	/* Called with hosts done (answered, or found down) and the total at
	 * most every progress_ms (0: on every change) and once at the end.
	 * May be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	int progress_ms;
	/* Called once per host with an open port, in completion order. May
	 * be NULL. */
	void (*result)(void *arg, const struct scan_host *h);
	void *arg;
	scanname_fn resolve; /* NULL: scanname_default (getnameinfo) */
};

/* Counters of one run. */
struct scan_stats {
	uint64_t total;	   /* host addresses in the ranges (duplicates too) */
	uint64_t done;	   /* hosts finished */
	uint64_t up;	   /* hosts with an open port */
	uint64_t connects; /* connect attempts */
	uint64_t open;	   /* open ports found */
	int concurrency;   /* the limit used after the RLIMIT_NOFILE cap */
	int max_in_flight; /* most sockets open at once */
	long elapsed_ms;
};

/* The default ports: 22 (ssh), 5985 (winrm http), 5986 (winrm https),
 * 3389 (rdp). Sets *n. Static storage. */
const struct scan_port *scan_default_ports(size_t *n);
/* The role a port number has by default (22 ssh, 5985/5986 WinRM, 3389
 * RDP, anything else OTHER). */
enum scan_role scan_port_role(uint16_t port);
/* "linux", "windows" or "unknown". */
const char *scan_os_name(enum scan_os os);
/* Defaults: default ports, timeout 1000 ms, probe 2000 ms, names on with
 * 2000 ms, concurrency 256, progress every 250 ms, no limit on hosts. */
void scan_opts_init(struct scan_opts *o);
/* Applies the classification rules to h's SSH banner, WinRM answer and
 * rdp_open. */
enum scan_os scan_classify(const struct scan_host *h);

/* Runs the scan. Returns 0 when every host was scanned, 1 when canceled
 * (hosts finished before the cancel were reported), -1 on an error with
 * err filled in plain words (bad options, a scan larger than max_hosts,
 * out of file descriptors). stats may be NULL. */
int scan_run(const struct scan_opts *o, struct scan_stats *stats, char *err,
	     size_t errlen);

#endif
