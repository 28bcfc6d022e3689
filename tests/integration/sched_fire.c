/* Firing schedules with three workers on one database: every fire time
 * gives exactly one run, also when a worker is SIGKILLed mid-way; misfire
 * run_once/skip; overlap skip/queue/allow; paused schedules do not fire
 * and resume without a restart; a due schedule fires within a second.
 * Due times are simulated by setting next_fire_at in the past in SQL. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NSCHED 20
#define ROUNDS 8

static const char *job_id;

static pid_t start_worker(int n);
static void stop_worker(pid_t pid, int sig);
static const char *new_schedule(const char *cron, const char *overlap,
				const char *misfire, const char *unit,
				const char *offset);
static int wait_count(const char *sql, const char *arg, long long want,
		      int seconds);

static pid_t
start_worker(int n)
{
	char cmd[1024];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s/bin/oc-worker", tc_env("OC_TEST_BUILD"));
	pid = fork();
	if (pid == 0) {
		setenv("OPSCONDUCTOR_VAR", tc_env("OC_TEST_VAR"), 1);
		setenv("OPSCONDUCTOR_DATABASE_URL",
		       tc_printf("host=%s/run port=5432 dbname=opsconductor",
				 tc_env("OC_TEST_VAR")),
		       1);
		setenv("OPSCONDUCTOR_WORKER_THREADS", "2", 1);
		if (freopen(tc_printf("%s/sched_fire.worker%d.log",
				      tc_env("OC_TEST_OUT"), n),
			    "w", stderr) == NULL)
			_exit(126);
		execl(cmd, "oc-worker", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
stop_worker(pid_t pid, int sig)
{
	if (pid > 0) {
		kill(pid, sig);
		waitpid(pid, NULL, 0);
	}
}

/* A schedule of the test job, next due at date_trunc(unit, now()) +
 * offset (an interval such as '-10 minutes'). */
static const char *
new_schedule(const char *cron, const char *overlap, const char *misfire,
	     const char *unit, const char *offset)
{
	return tc_db_value(
		"INSERT INTO automation.schedules (job_id, cron, time_zone, "
		"overlap_policy, misfire_policy, next_fire_at) VALUES ($1, $2, "
		"'UTC', $3, $4, date_trunc($5, now()) + $6::interval) "
		"RETURNING id",
		job_id, cron, overlap, misfire, unit, offset, NULL);
}

/* Polls until the count query (one parameter) returns want. */
static int
wait_count(const char *sql, const char *arg, long long want, int seconds)
{
	double until = tc_now_ms() + seconds * 1000.0;
	long long n = -1;

	while (tc_now_ms() < until) {
		n = tc_db_count(sql, arg, NULL);
		if (n == want)
			return 1;
		usleep(50 * 1000);
	}
	diag("count %lld, wanted %lld: %s", n, want, sql);
	return 0;
}

static void
test_exactly_once(pid_t *w2)
{
	const char *ids[NSCHED];
	int i, round, missing = 0;
	long long fires = 0;

	for (i = 0; i < NSCHED; i++)
		ids[i] = new_schedule("* * * * *", "allow", "run_once",
				      "microseconds", "1 hour");
	tc_db_exec("UPDATE automation.schedules SET description = 'once' "
		   "WHERE job_id = $1",
		   job_id, NULL);
	for (round = 0; round < ROUNDS; round++) {
		/* A distinct fire time per round, one second in the past;
		 * the version bump is what an API change does (NOTIFY). */
		tc_db_exec("UPDATE automation.schedules SET next_fire_at = "
			   "date_trunc('second', clock_timestamp()) - "
			   "interval '1 second', version = version + 1 "
			   "WHERE job_id = $1 AND description = 'once'",
			   job_id, NULL);
		fires += NSCHED;
		if (round == ROUNDS / 2) {
			/* mid-way, while they are claiming */
			stop_worker(*w2, SIGKILL);
			*w2 = -1;
			note("worker 2 killed with SIGKILL");
		}
		if (!wait_count("SELECT count(*) FROM automation.schedules "
				"WHERE job_id = $1 AND description = 'once' "
				"AND next_fire_at <= now()",
				job_id, 0, 10))
			missing++;
		usleep(1100 * 1000); /* next round: another second */
	}
	ok(missing == 0, "every round's due schedules were fired");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs r JOIN "
			   "automation.schedules s ON s.id = r.schedule_id "
			   "WHERE s.job_id = $1 AND s.description = 'once'",
			   job_id, NULL),
	       "==", fires, "%lld fire times, as many runs", fires);
	cmp_ok(tc_db_count("SELECT count(*) FROM (SELECT r.schedule_id, "
			   "r.fire_time FROM automation.runs r JOIN "
			   "automation.schedules s ON s.id = r.schedule_id "
			   "WHERE s.job_id = $1 GROUP BY 1, 2 HAVING count(*) "
			   "> 1) d",
			   job_id, NULL),
	       "==", 0, "no fire time has two runs");
	cmp_ok(tc_db_count("SELECT count(DISTINCT r.fire_time) FROM "
			   "automation.runs r WHERE r.schedule_id = $1",
			   ids[NSCHED - 1], NULL),
	       "==", ROUNDS, "each schedule: one run per round");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1 AND (trigger <> 'schedule' OR "
			   "state <> 'queued' AND state <> 'running' AND "
			   "state <> 'succeeded' AND state <> 'failed')",
			   ids[0], NULL),
	       "==", 0, "runs are recorded as started by the schedule");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.schedules WHERE "
			   "job_id = $1 AND description = 'once' AND "
			   "(next_fire_at <= now() OR next_fire_at > now() + "
			   "interval '61 seconds' OR date_part('second', "
			   "next_fire_at) <> 0)",
			   job_id, NULL),
	       "==", 0, "next fire times advanced to the next minute");
}

static void
test_misfire(void)
{
	const char *once, *skip, *every;

	once = new_schedule("0 0 1 1 *", "allow", "run_once",
			    "second", "-10 minutes");
	skip = new_schedule("0 0 1 1 *", "allow", "skip",
			    "second", "-10 minutes");
	every = new_schedule("* * * * *", "allow", "run_once",
			     "minute", "-10 minutes");
	ok(wait_count("SELECT count(*) FROM automation.schedules WHERE id = "
		      "$1 AND next_fire_at > now()",
		      once, 1, 10),
	   "misfire run_once: advanced");
	ok(wait_count("SELECT count(*) FROM automation.schedules WHERE id = "
		      "$1 AND next_fire_at > now()",
		      skip, 1, 10),
	   "misfire skip: advanced");
	ok(wait_count("SELECT count(*) FROM automation.schedules WHERE id = "
		      "$1 AND next_fire_at > now()",
		      every, 1, 10),
	   "misfire every minute: advanced");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs r JOIN "
			   "automation.schedules s ON s.id = r.schedule_id "
			   "WHERE s.id = $1 AND r.fire_time < now() - "
			   "interval '9 minutes'",
			   once, NULL),
	       "==", 1, "run_once: one run for the missed fire time");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1",
			   skip, NULL),
	       "==", 0, "skip: no run for the missed fire time");
	cmp_ok(tc_db_count("SELECT skipped_count FROM automation.schedules "
			   "WHERE id = $1",
			   skip, NULL),
	       "==", 1, "skip: counted as skipped");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1 AND fire_time < now() - "
			   "interval '61 seconds'",
			   every, NULL),
	       "==", 1, "every minute, 10 missed: one run stands for them");
	cmp_ok(tc_db_count("SELECT skipped_count FROM automation.schedules "
			   "WHERE id = $1",
			   every, NULL),
	       ">=", 8, "the other missed fire times are counted skipped");
	cmp_ok(tc_db_count("SELECT extract(year FROM next_fire_at AT TIME "
			   "ZONE 'UTC') - extract(year FROM now() AT TIME "
			   "ZONE 'UTC') FROM automation.schedules WHERE id = "
			   "$1",
			   once, NULL),
	       "==", 1, "yearly: next fire time is next New Year");
}

/* A run of the schedule that is still going: "running" under a lease no
 * live worker holds and that does not expire during the test. */
static const char *
active_run(const char *sched)
{
	return tc_db_value(
		"INSERT INTO automation.runs (job_id, job_version, job_name, "
		"state, trigger, schedule_id, fire_time, lease_owner, "
		"lease_expires_at, started_at) SELECT id, current_version, name, "
		"'running', 'schedule', $2, now() - interval '1 day', "
		"'test:held', now() + interval '1 hour', now() FROM "
		"automation.jobs WHERE id = $1 RETURNING id",
		job_id, sched, NULL);
}

static void
test_overlap(void)
{
	const char *skip, *allow, *queue, *r_skip, *r_allow, *r_queue;
	const char *pending;

	skip = new_schedule("0 0 1 1 *", "skip", "run_once",
			    "microseconds", "1 hour");
	allow = new_schedule("0 0 1 1 *", "allow", "run_once",
			     "microseconds", "1 hour");
	queue = new_schedule("0 0 1 1 *", "queue", "run_once",
			     "microseconds", "1 hour");
	r_skip = active_run(skip);
	r_allow = active_run(allow);
	r_queue = active_run(queue);
	ok(r_skip != NULL && r_allow != NULL && r_queue != NULL,
	   "a run of each is still going");
	tc_db_exec("UPDATE automation.schedules SET next_fire_at = "
		   "date_trunc('second', now()) - interval '1 second', "
		   "version = version + 1 WHERE id IN ($1, $2, $3)",
		   skip, allow, queue, NULL);
	ok(wait_count("SELECT count(*) FROM automation.schedules WHERE id IN "
		      "($1) AND next_fire_at > now()",
		      skip, 1, 10) &&
	       wait_count("SELECT count(*) FROM automation.schedules WHERE "
			  "id IN ($1) AND next_fire_at > now()",
			  queue, 1, 10) &&
	       wait_count("SELECT count(*) FROM automation.schedules WHERE "
			  "id IN ($1) AND next_fire_at > now()",
			  allow, 1, 10),
	   "all three fired");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1",
			   skip, NULL),
	       "==", 1, "skip: no second run while one is going");
	cmp_ok(tc_db_count("SELECT skipped_count FROM automation.schedules "
			   "WHERE id = $1",
			   skip, NULL),
	       "==", 1, "skip: the fire time is counted skipped");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1",
			   allow, NULL),
	       "==", 2, "allow: a second run beside the first");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1",
			   queue, NULL),
	       "==", 1, "queue: no second run yet");
	cmp_ok(tc_db_count("SELECT cardinality(pending_fires) FROM "
			   "automation.schedules WHERE id = $1",
			   queue, NULL),
	       "==", 1, "queue: the fire time waits");
	pending = tc_db_value("SELECT pending_fires[1]::text FROM "
			      "automation.schedules WHERE id = $1",
			      queue, NULL);
	/* The run ends: the waiting fire time gets its run. */
	tc_db_exec("UPDATE automation.runs SET state = 'succeeded', "
		   "finished_at = now(), lease_owner = NULL WHERE id = $1",
		   r_queue, NULL);
	ok(wait_count("SELECT count(*) FROM automation.runs WHERE "
		      "schedule_id = $1",
		      queue, 2, 5),
	   "queue: the waiting fire time runs once the previous run ended");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1 AND fire_time = $2::timestamptz",
			   queue, pending, NULL),
	       "==", 1, "queue: with its own fire time");
	cmp_ok(tc_db_count("SELECT cardinality(pending_fires) FROM "
			   "automation.schedules WHERE id = $1",
			   queue, NULL),
	       "==", 0, "queue: nothing waits any more");
	tc_db_exec("UPDATE automation.runs SET state = 'succeeded', "
		   "finished_at = now(), lease_owner = NULL WHERE id IN ($1, "
		   "$2)",
		   r_skip, r_allow, NULL);
}

static void
test_pause_and_latency(void)
{
	const char *s;
	const char *lat;

	s = tc_db_value("INSERT INTO automation.schedules (job_id, cron, "
			"time_zone, enabled, next_fire_at) VALUES ($1, "
			"'0 0 1 1 *', 'UTC', false, date_trunc('second', "
			"now()) - interval '1 second') RETURNING id",
			job_id, NULL);
	sleep(2);
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "schedule_id = $1",
			   s, NULL),
	       "==", 0, "a paused schedule does not fire");
	tc_db_exec("UPDATE automation.schedules SET enabled = true, "
		   "version = version + 1 WHERE id = $1",
		   s, NULL);
	ok(wait_count("SELECT count(*) FROM automation.runs WHERE "
		      "schedule_id = $1",
		      s, 1, 2),
	   "resumed: it fires without a restart");
	/* Due in 3 s, announced once (INSERT): the workers sleep exactly
	 * until then. */
	s = new_schedule("0 0 1 1 *", "allow", "run_once",
			 "second", "3 seconds");
	ok(wait_count("SELECT count(*) FROM automation.runs WHERE "
		      "schedule_id = $1",
		      s, 1, 8),
	   "a schedule due in 3 s fires");
	lat = tc_db_value("SELECT extract(epoch FROM created_at - fire_time) "
			  "FROM automation.runs WHERE schedule_id = $1",
			  s, NULL);
	note("firing latency %s s", lat != NULL ? lat : "?");
	ok(lat != NULL && atof(lat) >= 0 && atof(lat) < 1.0,
	   "the run exists within a second of the fire time");
}

int
main(void)
{
	pid_t w2, w3;

	tc_init(50);
	job_id = tc_db_value("INSERT INTO automation.jobs (name) VALUES ($1) "
			     "RETURNING id",
			     tc_name("sched-job"), NULL);
	if (job_id == NULL)
		BAIL_OUT("cannot create the test job");
	tc_db_exec("INSERT INTO automation.job_versions (job_id, version, "
		   "definition) VALUES ($1, 1, '{\"steps\": [{\"id\": "
		   "\"noop\", \"type\": \"local.noop\"}]}')",
		   job_id, NULL);
	/* The stack runs one worker; two more make three. */
	w2 = start_worker(2);
	w3 = start_worker(3);
	ok(w2 > 0 && w3 > 0, "two more workers started");
	sleep(1);

	test_exactly_once(&w2);
	test_misfire();
	test_overlap();
	test_pause_and_latency();

	ok(kill(w3, 0) == 0, "the third worker is still up");
	stop_worker(w2, SIGTERM);
	stop_worker(w3, SIGTERM);
	tc_db_exec("UPDATE automation.schedules SET enabled = false WHERE "
		   "job_id = $1",
		   job_id, NULL);
	tc_done();
	return done_testing();
}
