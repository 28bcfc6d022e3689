/* PostgreSQL restarted while runs are in flight, on a stack of this
 * test's own: the worker keeps its steps going, reconnects, records them
 * and finishes every run once; a run queued afterwards is picked up.
 * Then the worker is SIGKILLed mid-run: after the lease a new worker
 * fails the run ("worker lost") or, with on_worker_lost "retry", runs it
 * again to the end. */
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tests/lib/mint.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static char dir[64];
static char env[1024];
static int started;
static PGconn *own;

static int free_port(void);
static void stack_stop(void);
static int run(const char *cmd);
static const char *as_owner(void);
static const char *own_value(const char *sql, const char *p1);
static long long own_count(const char *sql, const char *p1);
static pid_t worker_start(void);
static const char *own_wait(const char *run, int seconds);

/* Another oc-worker on the test's stack (lease 10 s). */
static pid_t
worker_start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setenv("OPSCONDUCTOR_VAR", tc_printf("%s/var", dir), 1);
		setenv("OPSCONDUCTOR_DATABASE_URL",
		       tc_printf("host=%s/var/run port=5432 "
				 "dbname=opsconductor",
				 dir),
		       1);
		setenv("OPSCONDUCTOR_WORKER_THREADS", "4", 1);
		setenv("OPSCONDUCTOR_LEASE_SECONDS", "10", 1);
		if (freopen(tc_printf("%s/worker2.log", dir), "w", stderr) ==
		    NULL)
			_exit(126);
		execl(tc_printf("%s/bin/oc-worker", tc_env("OC_TEST_BUILD")),
		      "oc-worker", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The run's state once it has ended (or its last state). */
static const char *
own_wait(const char *run, int seconds)
{
	const char *st = NULL;
	int i;

	for (i = 0; i < seconds * 10; i++) {
		st = own_value(
		    "SELECT state FROM automation.runs WHERE id = $1", run);
		if (st != NULL && strcmp(st, "queued") != 0 &&
		    strcmp(st, "running") != 0)
			return st;
		usleep(100 * 1000);
	}
	return st ? st : "(none)";
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
run(const char *cmd)
{
	int rc;

	fflush(stdout);
	fflush(stderr);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void
stack_stop(void)
{
	char cmd[2048];

	if (own != NULL)
		PQfinish(own);
	own = NULL;
	if (started) {
		snprintf(cmd, sizeof(cmd),
			 "%s \"$OC_TEST_ROOT/scripts/stack.sh\" stop "
			 ">>%s/stop.log 2>&1",
			 env, dir);
		if (run(cmd) != 0)
			diag("stopping the test's own stack failed");
		started = 0;
	}
	if (dir[0] != '\0' && tap_failures() == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		run(cmd);
	} else if (dir[0] != '\0') {
		diag("the stack's files are kept in %s", dir);
	}
}

static const char *
as_owner(void)
{
	struct passwd *pw;
	struct stat st;

	if (stat(tc_printf("%s/var/pg", dir), &st) != 0 ||
	    st.st_uid == getuid())
		return "";
	pw = getpwuid(st.st_uid);
	if (pw == NULL)
		BAIL_OUT("the cluster's owner is unknown");
	return tc_printf("runuser -u %s --", pw->pw_name);
}

/* One value from the test's own stack (NULL on error or SQL NULL). */
static const char *
own_value(const char *sql, const char *p1)
{
	const char *params[1] = {p1};
	const char *v = NULL;
	PGresult *res;

	if (PQstatus(own) != CONNECTION_OK)
		PQreset(own);
	res = PQexecParams(own, sql, p1 ? 1 : 0, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		v = tc_strdup(PQgetvalue(res, 0, 0));
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		diag("SQL failed: %s", PQerrorMessage(own));
	PQclear(res);
	return v;
}

static long long
own_count(const char *sql, const char *p1)
{
	const char *v = own_value(sql, p1);

	return v ? atoll(v) : -1;
}

int
main(void)
{
	const char *job, *owner, *last, *wpid, *wpid2, *lost, *retry;
	pid_t second;
	double t0;
	int https, http, i, n;
	char cmd[4096], *raw;

	tc_init(71);
	snprintf(dir, sizeof(dir), "/tmp/oc-runrestart-XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	chmod(dir, 0755);
	atexit(stack_stop);
	https = free_port();
	http = free_port();
	if (https < 0 || http < 0 || https == http)
		BAIL_OUT("no free ports");
	snprintf(env, sizeof(env),
		 "env OPSCONDUCTOR_VAR=%s/var OPSCONDUCTOR_HTTPS_PORT=%d "
		 "OPSCONDUCTOR_HTTP_PORT=%d OPSCONDUCTOR_PG_PORT=5432 "
		 "OPSCONDUCTOR_ADMIN_USER=admin "
		 "OPSCONDUCTOR_ADMIN_PASSWORD=Run-restart-Passw0rd-xyz "
		 "OPSCONDUCTOR_POOL_WORKERS=1 OPSCONDUCTOR_LEASE_SECONDS=30 "
		 "BUILD=\"$OC_TEST_BUILD\"",
		 dir, https, http);
	snprintf(cmd, sizeof(cmd),
		 "%s \"$OC_TEST_ROOT/scripts/stack.sh\" start >%s/start.log "
		 "2>&1",
		 env, dir);
	tc_env("OC_TEST_ROOT");
	tc_env("OC_TEST_BUILD");
	started = 1;
	if (!ok(run(cmd) == 0, "a stack of our own starts")) {
		raw = mint_read_file(tc_printf("%s/start.log", dir), NULL);
		diag("%s", raw != NULL ? raw : "(no start.log)");
		free(raw);
		BAIL_OUT("cannot start a stack for the run restart test");
	}
	own = PQconnectdb(tc_printf("host=%s/var/run port=5432 "
				    "dbname=opsconductor user=opsconductor "
				    "passfile=%s/var/keys/pgpass",
				    dir, dir));
	if (PQstatus(own) != CONNECTION_OK)
		BAIL_OUT("cannot connect to the own stack: %s",
			 PQerrorMessage(own));
	raw = mint_read_file(tc_printf("%s/var/run/worker.pid", dir), NULL);
	wpid = raw ? tc_strdup(raw) : "";
	free(raw);

	job = own_value("WITH j AS (INSERT INTO automation.jobs (name) VALUES "
			"('restart') RETURNING id) INSERT INTO "
			"automation.job_versions (job_id, version, definition) "
			"SELECT id, 1, '{\"steps\": [{\"id\": \"a\", \"type\": "
			"\"local.sleep\", \"inputs\": {\"seconds\": 3}, "
			"\"on_success\": [\"b\"]}, {\"id\": \"b\", \"type\": "
			"\"local.noop\"}]}' FROM j RETURNING job_id",
			NULL);
	if (job == NULL)
		BAIL_OUT("cannot make a job");
	own_value("SELECT count(automation.run_create(NULL, $1::uuid, '{}', "
		  "NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, NULL, "
		  "NULL)) FROM generate_series(1, 5)",
		  job);
	for (i = 0; i < 200 && own_count("SELECT count(*) FROM "
					 "automation.run_steps WHERE step_id = "
					 "'a'",
					 NULL) < 5;
	     i++)
		usleep(50 * 1000);
	cmp_ok(own_count("SELECT count(*) FROM automation.run_steps WHERE "
			 "step_id = 'a' AND state = 'running'",
			 NULL),
	       "==", 5, "five runs are in their first step");

	owner = as_owner();
	snprintf(cmd, sizeof(cmd),
		 "%s /usr/lib/postgresql/15/bin/pg_ctl stop -D %s/var/pg -m "
		 "fast -w >>%s/pg.log 2>&1",
		 owner, dir, dir);
	if (!ok(run(cmd) == 0, "PostgreSQL stopped mid-run"))
		BAIL_OUT("cannot stop PostgreSQL");
	sleep(2);
	snprintf(cmd, sizeof(cmd),
		 "%s /usr/lib/postgresql/15/bin/pg_ctl start -D %s/var/pg -l "
		 "%s/var/log/postgresql.log -w -t 60 >>%s/pg.log 2>&1 "
		 "</dev/null",
		 owner, dir, dir, dir);
	if (!ok(run(cmd) == 0, "PostgreSQL started again"))
		BAIL_OUT("cannot start PostgreSQL again");
	PQreset(own);

	for (i = 0; i < 600 && own_count("SELECT count(*) FROM automation.runs "
					 "WHERE state IN ('queued', "
					 "'running')",
					 NULL) != 0;
	     i++)
		usleep(100 * 1000);
	n = (int)own_count("SELECT count(*) FROM automation.runs WHERE state = "
			   "'succeeded' AND attempts = 1",
			   NULL);
	cmp_ok(n, "==", 5, "all five runs succeeded after the restart");
	cmp_ok(own_count("SELECT count(*) FROM automation.run_steps WHERE "
			 "state = 'succeeded'",
			 NULL),
	       "==", 10, "each step ran and was recorded once");

	job = own_value("WITH j AS (INSERT INTO automation.jobs (name) VALUES "
			"('after') RETURNING id) INSERT INTO "
			"automation.job_versions (job_id, version, definition) "
			"SELECT id, 1, '{\"steps\": [{\"id\": \"a\", \"type\": "
			"\"local.noop\"}]}' FROM j RETURNING job_id",
			NULL);
	t0 = tc_now_ms();
	last = own_value("SELECT automation.run_create(NULL, $1::uuid, '{}', "
			 "NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, "
			 "NULL, NULL)",
			 job);
	for (i = 0; i < 200 && own_count("SELECT count(*) FROM automation.runs "
					 "WHERE id = $1 AND state = "
					 "'succeeded'",
					 last) != 1;
	     i++)
		usleep(100 * 1000);
	cmp_ok(own_count("SELECT count(*) FROM automation.runs WHERE id = $1 "
			 "AND state = 'succeeded'",
			 last),
	       "==", 1, "a run queued after the restart is run");
	cmp_ok((long long)(tc_now_ms() - t0), "<", 1500,
	       "woken by NOTIFY on a new LISTEN, not the 5 s poll (%.0f ms)",
	       tc_now_ms() - t0);
	raw = mint_read_file(tc_printf("%s/var/run/worker.pid", dir), NULL);
	wpid2 = raw ? tc_strdup(raw) : "";
	free(raw);
	ok(wpid[0] != '\0' && strcmp(wpid, wpid2) == 0,
	   "by the same worker process (%s)", wpid);

	/* The worker dies mid-run. */
	lost =
	    own_value("WITH j AS (INSERT INTO automation.jobs (name) "
		      "VALUES ('lost') RETURNING id) INSERT INTO "
		      "automation.job_versions (job_id, version, definition) "
		      "SELECT id, 1, '{\"steps\": [{\"id\": \"a\", \"type\": "
		      "\"local.sleep\", \"inputs\": {\"seconds\": 60}}]}' "
		      "FROM j RETURNING job_id",
		      NULL);
	retry = own_value("WITH j AS (INSERT INTO automation.jobs (name) "
			  "VALUES ('retried') RETURNING id) INSERT INTO "
			  "automation.job_versions (job_id, version, "
			  "definition) SELECT id, 1, '{\"on_worker_lost\": "
			  "\"retry\", \"steps\": [{\"id\": \"a\", \"type\": "
			  "\"local.sleep\", \"inputs\": {\"seconds\": 3}}]}' "
			  "FROM j RETURNING job_id",
			  NULL);
	lost = own_value("SELECT automation.run_create(NULL, $1::uuid, '{}', "
			 "NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, "
			 "NULL, NULL)",
			 lost);
	retry = own_value("SELECT automation.run_create(NULL, $1::uuid, '{}', "
			  "NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, "
			  "NULL, NULL)",
			  retry);
	for (i = 0; i < 200 && own_count("SELECT count(*) FROM "
					 "automation.run_steps WHERE run_id IN "
					 "(SELECT id FROM automation.runs "
					 "WHERE state = 'running')",
					 NULL) < 2;
	     i++)
		usleep(50 * 1000);
	ok(atoi(wpid2) > 1 && kill(atoi(wpid2), SIGKILL) == 0,
	   "the worker is killed with both runs in their step");
	second = worker_start();
	ok(second > 0, "another worker starts");
	is(own_wait(lost, 60), "failed", "the run of the dead worker fails");
	like(own_value("SELECT error FROM automation.runs WHERE id = $1", lost),
	     "worker lost", "with the reason");
	is(own_value("SELECT string_agg(state || ':' || error, ',') FROM "
		     "automation.run_steps WHERE run_id = $1",
		     lost),
	   "failed:worker lost", "its step is closed too");
	is(own_wait(retry, 60), "succeeded",
	   "on_worker_lost retry: run again to the end");
	is(own_value("SELECT attempts::text FROM automation.runs WHERE id = "
		     "$1",
		     retry),
	   "2", "in a second attempt");
	if (second > 0) {
		kill(second, SIGTERM);
		waitpid(second, NULL, 0);
	}
	tc_done();
	return done_testing();
}
