/* Events benchmark driver: opens N server-sent event streams through nginx
 * subscribed to one run, then appends L log lines to that run in SQL at a
 * steady rate (each automation.log_append its own transaction, the line
 * carrying clock_timestamp() in microseconds), and measures for every
 * stream and line the delay from the commit to the client receiving it.
 * The commit lies between two instants, both on CLOCK_REALTIME of this
 * machine: the statement's clock_timestamp() (before the commit and its
 * WAL flush) and the producer getting the answer (after the commit). The
 * p* figures count from the answer (the commit as the producer saw it);
 * stmt_p* count from the statement (an upper bound: they include the
 * commit's own fsync).
 *
 * Usage: events URL TOKEN CONNINFO RUN_ID STREAMS LINES RATE_PER_S
 * Prints "OCEVENTS streams=.. lines=.. received=.. p50_ms=.. p99_ms=..". */
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tests/lib/ssec.h"

struct producer {
	const char *conninfo;
	const char *run;
	int lines;
	int rate;
	int failed;
	long long *acked; /* [line - 1]: when the commit was answered */
};

static long long events_now_us(void);
static void *events_produce(void *arg);
static int events_cmp(const void *a, const void *b);
static void events_pct(const char *prefix, long long *d, size_t n);

static long long
events_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void *
events_produce(void *arg)
{
	struct producer *p = arg;
	const char *params[2];
	struct timespec next;
	PGresult *res;
	PGconn *c = PQconnectdb(p->conninfo);
	char n[16];
	long step_ns = 1000000000L / p->rate;
	int i;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "events: %s", PQerrorMessage(c));
		p->failed = 1;
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 1; i <= p->lines; i++) {
		snprintf(n, sizeof(n), "%d", i);
		params[0] = p->run;
		params[1] = n;
		res = PQexecParams(
			c,
			"SELECT automation.log_append($1::uuid, NULL, 'bench', "
			"'stdout', 'line ' || $2 || ' ' || (extract(epoch FROM "
			"clock_timestamp()) * 1000000)::bigint)",
			2, NULL, params, NULL, NULL, 0);
		__atomic_store_n(&p->acked[i - 1], events_now_us(),
				 __ATOMIC_RELEASE);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "events: %s", PQerrorMessage(c));
			p->failed = 1;
		}
		PQclear(res);
		next.tv_nsec += step_ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	PQfinish(c);
	return NULL;
}

static int
events_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sorts d and prints its percentiles in ms. */
static void
events_pct(const char *prefix, long long *d, size_t n)
{
	qsort(d, n, sizeof(*d), events_cmp);
	printf(" %sp50_ms=%.2f %sp90_ms=%.2f %sp99_ms=%.2f %smax_ms=%.2f",
	       prefix, n ? d[n / 2] / 1e3 : 0.0, prefix,
	       n ? d[n * 9 / 10] / 1e3 : 0.0, prefix,
	       n ? d[n * 99 / 100] / 1e3 : 0.0, prefix,
	       n ? d[n - 1] / 1e3 : 0.0);
}

int
main(int argc, char **argv)
{
	struct producer prod;
	struct ssec **s;
	struct ssec_event ev;
	struct epoll_event ee, evs[64];
	int *todo, ntodo, ep;
	long long *delay, *stmt, *got, ts;
	struct rusage ru;
	size_t nd = 0, want, k, j;
	pthread_t t;
	char auth[4096], path[128], src[32];
	const char *p;
	double t_end;
	int streams, lines, i, line, rc;

	if (argc != 8) {
		fprintf(stderr, "usage: events URL TOKEN CONNINFO RUN STREAMS "
				"LINES RATE\n");
		return 2;
	}
	streams = atoi(argv[5]);
	lines = atoi(argv[6]);
	s = calloc((size_t)streams, sizeof(*s));
	todo = calloc((size_t)streams, sizeof(*todo));
	ep = epoll_create1(0);
	want = (size_t)streams * (size_t)lines;
	delay = calloc(want + 1, sizeof(*delay));
	got = calloc(want + 1, sizeof(*got));
	stmt = calloc((size_t)lines + 1, sizeof(*stmt));
	prod.acked = calloc((size_t)lines + 1, sizeof(*prod.acked));
	if (s == NULL || todo == NULL || ep < 0 || delay == NULL || got == NULL ||
	    stmt == NULL || prod.acked == NULL)
		return 1;
	snprintf(auth, sizeof(auth), "Bearer %s", argv[2]);
	snprintf(path, sizeof(path), "/api/v1/events?run=%s", argv[4]);
	for (i = 0; i < streams; i++) {
		/* Spread over source addresses like many browsers. */
		snprintf(src, sizeof(src), "127.0.%d.%d", 200 + i / 250,
			 1 + i % 250);
		s[i] = ssec_open(argv[1], src, path, auth, NULL, 0);
		if (s[i] == NULL || ssec_status(s[i]) != 200) {
			fprintf(stderr, "events: stream %d did not open (%d)\n",
				i, s[i] ? ssec_status(s[i]) : 0);
			return 1;
		}
		ee.events = EPOLLIN;
		ee.data.u32 = (unsigned)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ssec_fd(s[i]), &ee) < 0)
			return 1;
		todo[i] = i; /* the head may have brought data */
	}
	ntodo = streams;
	prod.conninfo = argv[3];
	prod.run = argv[4];
	prod.lines = lines;
	prod.rate = atoi(argv[7]) > 0 ? atoi(argv[7]) : 200;
	prod.failed = 0;
	pthread_create(&t, NULL, events_produce, &prod);

	t_end = 0;
	for (;;) {
		/* Only the streams epoll says have bytes: each is read until
		 * it has nothing more. */
		for (k = 0; k < (size_t)ntodo; k++) {
			i = todo[k];
			if (s[i] == NULL)
				continue;
			while ((rc = ssec_next(s[i], &ev, 0)) == 1) {
				if (ev.comment || strcmp(ev.type, "run.log") != 0)
					continue;
				p = strstr(ev.data, "line ");
				if (p == NULL ||
				    sscanf(p, "line %d %lld", &line, &ts) != 2 ||
				    line < 1 || line > lines)
					continue;
				j = (size_t)i * (size_t)lines + (size_t)line - 1;
				if (got[j] != 0)
					continue;
				got[j] = events_now_us();
				stmt[line - 1] = ts;
				nd++;
			}
			if (rc < 0) {
				fprintf(stderr, "events: stream %d ended\n", i);
				epoll_ctl(ep, EPOLL_CTL_DEL, ssec_fd(s[i]), NULL);
				ssec_close(s[i]);
				s[i] = NULL;
			}
		}
		if (nd >= want)
			break;
		if (t_end == 0 && !pthread_tryjoin_np(t, NULL))
			t_end = (double)events_now_us() / 1e3 + 5000;
		if (t_end != 0 && (double)events_now_us() / 1e3 > t_end)
			break;
		rc = epoll_wait(ep, evs, 64, 50);
		if (rc < 0)
			break;
		for (ntodo = 0; ntodo < rc; ntodo++)
			todo[ntodo] = (int)evs[ntodo].data.u32;
	}
	if (t_end == 0)
		pthread_join(t, NULL);
	getrusage(RUSAGE_SELF, &ru);
	printf("OCEVENTS streams=%d lines=%d received=%zu/%zu", streams, lines,
	       nd, want);
	for (k = 0, nd = 0; k < want; k++)
		if (got[k] != 0)
			delay[nd++] = got[k] - prod.acked[k % (size_t)lines];
	events_pct("", delay, nd);
	for (k = 0, nd = 0; k < want; k++)
		if (got[k] != 0)
			delay[nd++] = got[k] - stmt[k % (size_t)lines];
	events_pct("stmt_", delay, nd);
	printf(" driver_cpu_s=%.2f producer_failed=%d\n",
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	       prod.failed);
	for (i = 0; i < streams; i++)
		ssec_close(s[i]);
	return nd == want && !prod.failed ? 0 : 1;
}
