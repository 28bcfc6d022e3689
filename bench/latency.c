/* Latency benchmark driver (bench/queue.sh): creates N runs of a job one
 * at a time, each by one autocommitted automation.run_create, 20 ms
 * apart, and prints for each "RUN_ID ANSWERED_US": the run's id and when
 * the creating client had the commit's answer (CLOCK_REALTIME of this
 * machine, microseconds), the commit as the client saw it, as
 * bench/events.c counts. queue.sh compares it with the first step's
 * started_at and with the transaction's commit timestamp.
 *
 * Usage: latency CONNINFO JOB_ID N */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static long long
latency_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	const char *params[1];
	PGconn *c;
	PGresult *res;
	long long at;
	int i, n;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: latency CONNINFO JOB_ID N\n");
		return 2;
	}
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "latency: %s", PQerrorMessage(c));
		return 1;
	}
	params[0] = argv[2];
	res = PQprepare(c, "create",
			"SELECT automation.run_create(NULL, $1::uuid, '{}', "
			"NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, "
			"NULL, NULL)::text",
			1, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "latency: %s", PQerrorMessage(c));
		return 1;
	}
	PQclear(res);
	for (i = 0; i < n; i++) {
		res = PQexecPrepared(c, "create", 1, params, NULL, NULL, 0);
		at = latency_now_us();
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "latency: %s", PQerrorMessage(c));
			return 1;
		}
		printf("%s\t%lld\n", PQgetvalue(res, 0, 0), at);
		PQclear(res);
		usleep(20000);
	}
	PQfinish(c);
	return fflush(stdout) == 0 ? 0 : 1;
}
