/* Network discovery: options, defaults and classification, and the entry
 * point that runs a scan (the event loop is in scanloop.c). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scan.h"
#include "scanloop.h"

static const struct scan_port scan_defaults[] = {
    {22, SCAN_ROLE_SSH},
    {5985, SCAN_ROLE_WINRM_HTTP},
    {5986, SCAN_ROLE_WINRM_HTTPS},
    {3389, SCAN_ROLE_RDP},
};

static int scan_check_opts(const struct scan_opts *o, char *err, size_t errlen);

static int
scan_check_opts(const struct scan_opts *o, char *err, size_t errlen)
{
	const struct scan_port *ports = o->ports;
	size_t n = o->nports, i, j;
	uint64_t total;

	if (ports == NULL)
		ports = scan_default_ports(&n);
	if (o->cidrs == NULL || o->ncidrs == 0) {
		snprintf(err, errlen, "no address range to scan");
		return -1;
	}
	if (n == 0 || n > SCAN_MAX_PORTS) {
		snprintf(err, errlen, "between 1 and %d ports may be scanned",
			 SCAN_MAX_PORTS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ports[i].port == 0) {
			snprintf(err, errlen, "port 0 cannot be scanned");
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (ports[j].port == ports[i].port) {
				snprintf(err, errlen, "port %u is listed twice",
					 (unsigned)ports[i].port);
				return -1;
			}
		}
	}
	if (o->timeout_ms < 1 || o->timeout_ms > 60000 ||
	    o->probe_timeout_ms < 1 || o->probe_timeout_ms > 60000 ||
	    o->name_timeout_ms < 0 || o->name_timeout_ms > 60000) {
		snprintf(err, errlen, "timeouts must be 1 to 60000 ms");
		return -1;
	}
	if (o->concurrency < 1 || o->concurrency > 65536) {
		snprintf(err, errlen, "concurrency must be 1 to 65536");
		return -1;
	}
	total = cidr_hosts_list(o->cidrs, o->ncidrs);
	if (o->max_hosts > 0 && total > o->max_hosts) {
		snprintf(err, errlen,
			 "the ranges hold %s%llu addresses, more than the "
			 "limit of %llu",
			 total == UINT64_MAX ? "over " : "",
			 (unsigned long long)total,
			 (unsigned long long)o->max_hosts);
		return -1;
	}
	return 0;
}

const struct scan_port *
scan_default_ports(size_t *n)
{
	*n = sizeof(scan_defaults) / sizeof(scan_defaults[0]);
	return scan_defaults;
}

enum scan_role
scan_port_role(uint16_t port)
{
	size_t i;

	for (i = 0; i < sizeof(scan_defaults) / sizeof(scan_defaults[0]); i++)
		if (scan_defaults[i].port == port)
			return scan_defaults[i].role;
	return SCAN_ROLE_OTHER;
}

const char *
scan_os_name(enum scan_os os)
{
	return os == SCAN_OS_LINUX     ? "linux"
	       : os == SCAN_OS_WINDOWS ? "windows"
				       : "unknown";
}

void
scan_opts_init(struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ports = scan_default_ports(&o->nports);
	o->timeout_ms = 1000;
	o->probe_timeout_ms = 2000;
	o->name_timeout_ms = 2000;
	o->resolve_names = 1;
	o->concurrency = 256;
	o->progress_ms = 250;
}

enum scan_os
scan_classify(const struct scan_host *h)
{
	static const char *const unix_marks[] = {
	    "openssh", "dropbear", "debian", "ubuntu", "raspbian",
	    "redhat",  "centos",   "fedora", "suse",   "alpine",
	    "arch",    "gentoo",   "linux",
	};
	const char *soft;
	size_t i;

	if (strcasestr(h->ssh_banner, "windows") != NULL)
		return SCAN_OS_WINDOWS;
	if (h->winrm_status != 0)
		return SCAN_OS_WINDOWS;
	if (strncmp(h->ssh_banner, "SSH-", 4) == 0) {
		/* "SSH-protoversion-softwareversion comments" */
		soft = strchr(h->ssh_banner + 4, '-');
		for (i = 0; soft != NULL &&
			    i < sizeof(unix_marks) / sizeof(unix_marks[0]);
		     i++)
			if (strcasestr(soft, unix_marks[i]) != NULL)
				return SCAN_OS_LINUX;
	}
	if (h->rdp_open)
		return SCAN_OS_WINDOWS;
	return SCAN_OS_UNKNOWN;
}

int
scan_run(const struct scan_opts *o, struct scan_stats *stats, char *err,
	 size_t errlen)
{
	const struct scan_port *ports = o->ports;
	size_t nports = o->nports;
	sigset_t pipe, old, pending;
	struct timespec zero = {0, 0};
	int rc, had_pipe;

	if (errlen > 0)
		err[0] = '\0';
	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (scan_check_opts(o, err, errlen) != 0)
		return -1;
	if (ports == NULL)
		ports = scan_default_ports(&nports);
	/* OpenSSL writes with write(2): a peer that closed must not kill the
	 * process. A write's SIGPIPE goes to the writing thread, so blocking
	 * it here and consuming it after is enough. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	had_pipe = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	rc = scanloop_run(o, ports, nports, stats, err, errlen);
	if (!had_pipe)
		while (sigtimedwait(&pipe, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
