/* Discovery scan driver for bench/scan.sh: scans ranges with the worker's
 * scanner and prints one line per host with an open port, then a summary.
 *
 * Usage: scan [-p PORT[:ROLE],...] [-c CONCURRENCY] [-t TIMEOUT_MS]
 *             [-P PROBE_MS] [-n] [-q] CIDR...
 * ROLE is ssh, http, https, rdp or other; -n: no reverse names; -q: no
 * host lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "worker/scan.h"

#define SCAN_BENCH_MAX_CIDRS 64

static int scan_bench_ports(const char *arg, struct scan_port *ports,
			    size_t *n);
static void scan_bench_host(void *arg, const struct scan_host *h);
static void scan_bench_usage(void);

static void
scan_bench_usage(void)
{
	fputs("usage: scan [-p PORT[:ROLE],...] [-c N] [-t MS] [-P MS] [-n] "
	      "[-q] CIDR...\n",
	      stderr);
	exit(2);
}

static int
scan_bench_ports(const char *arg, struct scan_port *ports, size_t *n)
{
	static const char *const roles[] = {"other", "ssh", "http", "https",
					    "rdp"};
	char copy[1024], *tok, *save, *colon, *end;
	unsigned long v;
	size_t r;

	snprintf(copy, sizeof(copy), "%s", arg);
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == SCAN_MAX_PORTS)
			return -1;
		colon = strchr(tok, ':');
		if (colon != NULL)
			*colon++ = '\0';
		v = strtoul(tok, &end, 10);
		if (*end != '\0' || v == 0 || v > 65535)
			return -1;
		ports[*n].port = (uint16_t)v;
		ports[*n].role = scan_port_role((uint16_t)v);
		if (colon != NULL) {
			for (r = 0; r < sizeof(roles) / sizeof(roles[0]); r++)
				if (strcmp(colon, roles[r]) == 0)
					break;
			if (r == sizeof(roles) / sizeof(roles[0]))
				return -1;
			ports[*n].role = (enum scan_role)r;
		}
		(*n)++;
	}
	return *n > 0 ? 0 : -1;
}

static void
scan_bench_host(void *arg, const struct scan_host *h)
{
	size_t i;

	if (*(int *)arg)
		return;
	printf("%s name=%s ports=", h->addr, h->name[0] ? h->name : "-");
	for (i = 0; i < h->nopen; i++)
		printf("%s%u", i ? "," : "", (unsigned)h->open[i]);
	printf(" os=%s ssh=\"%s\" winrm=%d \"%s\"\n", scan_os_name(h->os),
	       h->ssh_banner, h->winrm_status, h->winrm_server);
}

int
main(int argc, char **argv)
{
	struct cidr cidrs[SCAN_BENCH_MAX_CIDRS];
	struct scan_port ports[SCAN_MAX_PORTS];
	struct scan_opts o;
	struct scan_stats st;
	const char *why;
	char err[256];
	int opt, quiet = 0, rc;
	size_t n = 0;

	scan_opts_init(&o);
	while ((opt = getopt(argc, argv, "p:c:t:P:nq")) != -1) {
		switch (opt) {
		case 'p':
			if (scan_bench_ports(optarg, ports, &o.nports) != 0)
				scan_bench_usage();
			o.ports = ports;
			break;
		case 'c':
			o.concurrency = atoi(optarg);
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			break;
		case 'P':
			o.probe_timeout_ms = atoi(optarg);
			break;
		case 'n':
			o.resolve_names = 0;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			scan_bench_usage();
		}
	}
	if (optind == argc || argc - optind > SCAN_BENCH_MAX_CIDRS)
		scan_bench_usage();
	for (; optind < argc; optind++) {
		if (cidr_parse(&cidrs[n], argv[optind], &why) != 0) {
			fprintf(stderr, "scan: %s: %s\n", argv[optind], why);
			return 2;
		}
		n++;
	}
	o.cidrs = cidrs;
	o.ncidrs = n;
	o.result = scan_bench_host;
	o.arg = &quiet;
	rc = scan_run(&o, &st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "scan: %s\n", err);
		return 1;
	}
	fprintf(stderr,
		"scan: %llu hosts, %llu up, %llu open ports, %llu connects "
		"in %ld ms (concurrency %d, at most %d in flight)\n",
		(unsigned long long)st.done, (unsigned long long)st.up,
		(unsigned long long)st.open, (unsigned long long)st.connects,
		st.elapsed_ms, st.concurrency, st.max_in_flight);
	return 0;
}
