/* The events of runs, run targets and run steps (statement-level
 * triggers, sql/010) against the stack's worker: runs enqueued in one
 * INSERT and completed in one batch by the fast path, and a run on the
 * threads, each get their events in order (run queued, target, steps, run
 * final), with the payloads the row triggers built, ids in commit order
 * and without gaps inside a statement; a statement that changes no state
 * emits nothing, one that changes some rows emits for those only; runs.fast
 * tells the two paths apart; more runs than a batch, on the fast path's
 * two threads, each end once with their events in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NRUNS 30
#define NMANY 1600 /* over three of the fast path's batches */

static const char *job_new(const char *def);
static int runs_wait(const char *job, int seconds);
static const char *run_fast(const char *job, const char *targets);
static long long events_of(const char *job);

/* The payloads as the row triggers of sql/004 built them, from the rows
 * as they are now. */
#define RUN_DATA                                                             \
	"jsonb_build_object('id', r.id, 'job_id', r.job_id, 'job_name', "    \
	"r.job_name, 'state', r.state, 'trigger', r.trigger, 'error', "      \
	"r.error, 'created_at', r.created_at, 'started_at', r.started_at, "  \
	"'finished_at', r.finished_at)"
#define TARGET_DATA                                                          \
	"jsonb_build_object('id', t.id, 'run_id', t.run_id, 'target_id', "   \
	"t.target_id, 'target_name', t.target_name, 'state', t.state, "      \
	"'error', t.error)"
#define STEP_DATA                                                            \
	"jsonb_build_object('id', s.id, 'run_id', s.run_id, "                \
	"'run_target_id', s.run_target_id, 'step_id', s.step_id, "           \
	"'attempt', s.attempt, 'state', s.state, 'exit_code', s.exit_code, " \
	"'error', s.error)"

static const char *
job_new(const char *def)
{
	const char *name = tc_name("eb"), *id;

	id = tc_db_value("WITH j AS (INSERT INTO automation.jobs (name) "
			 "VALUES ($1) RETURNING id) INSERT INTO "
			 "automation.job_versions (job_id, version, "
			 "definition) SELECT id, 1, $2::jsonb FROM j "
			 "RETURNING job_id",
			 name, def, NULL);
	if (id == NULL)
		BAIL_OUT("cannot insert a job");
	return id;
}

/* 1 once every run of the job has ended. */
/* Inserts a run of job with the run's own target selection (JSON, or ""
 * for none) and returns its runs.fast as set on insert. */
static const char *
run_fast(const char *job, const char *targets)
{
	return tc_db_value("WITH r AS (INSERT INTO automation.runs (job_id, "
			   "job_version, job_name, targets) VALUES ($1, 1, "
			   "'eb', nullif($2, '')::jsonb) RETURNING fast) "
			   "SELECT fast::text FROM r",
			   job, targets, NULL);
}

static int
runs_wait(const char *job, int seconds)
{
	int i;

	for (i = 0; i < seconds * 20; i++) {
		if (tc_db_count("SELECT count(*) FROM automation.runs WHERE "
				"job_id = $1 AND state IN ('queued', "
				"'running')",
				job, NULL) == 0)
			return 1;
		usleep(50 * 1000);
	}
	return 0;
}

static long long
events_of(const char *job)
{
	return tc_db_count("SELECT count(*) FROM core.events e JOIN "
			   "automation.runs r ON r.id = e.run_id WHERE "
			   "r.job_id = $1",
			   job, NULL);
}

int
main(void)
{
	const char *job, *slow, *run, *first, *seq;
	long long n;

	tc_init(73);

	/* NRUNS runs of a two-step local.noop job in one INSERT. */
	job = job_new("{\"steps\": [{\"id\": \"a\", \"type\": \"local.noop\", "
		      "\"on_success\": [\"b\"]}, {\"id\": \"b\", \"type\": "
		      "\"local.noop\"}]}");
	first = tc_db_value("SELECT coalesce(max(id), 0)::text FROM "
			    "core.events",
			    NULL);
	tc_db_exec("INSERT INTO automation.runs (job_id, job_version, "
		   "job_name) SELECT $1, 1, 'eb' FROM generate_series(1, $2::int)",
		   job, tc_printf("%d", NRUNS), NULL);
	ok(runs_wait(job, 30), "the %d runs ended", NRUNS);
	is(tc_db_value("SELECT string_agg(DISTINCT state || ' ' || fast, ',') "
		       "FROM automation.runs WHERE job_id = $1",
		       job, NULL),
	   "succeeded true", "all succeeded, on the fast path");
	cmp_ok(events_of(job), "==", NRUNS * 5,
	       "five events per run (queued, target, two steps, final)");

	/* The queued events of the one INSERT: one block of ids. */
	is(tc_db_value("SELECT (count(*) = max(e.id) - min(e.id) + 1 AND "
		       "min(e.id) > $2::bigint)::text FROM core.events e "
		       "JOIN automation.runs r ON r.id = e.run_id WHERE "
		       "r.job_id = $1 AND e.type = 'run' AND e.data->>'state' "
		       "= 'queued'",
		       job, first, NULL),
	   "true", "the INSERT's events have consecutive ids");

	/* Per run, in id order: queued, target, a, b, final. */
	is(tc_db_value("SELECT string_agg(DISTINCT x.seq, ',') FROM (SELECT "
		       "string_agg(e.type || ':' || coalesce(e.data->>'step_id', "
		       "'') || ':' || (e.data->>'state'), ' ' ORDER BY e.id) "
		       "AS seq FROM core.events e JOIN automation.runs r ON "
		       "r.id = e.run_id WHERE r.job_id = $1 GROUP BY r.id) x",
		       job, NULL),
	   "run::queued run.target::succeeded run.step:a:succeeded "
	   "run.step:b:succeeded run::succeeded",
	   "every run's events come in the order of its life");

	/* Payloads: the same objects the row triggers built. */
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events e JOIN "
			   "automation.runs r ON r.id = e.run_id AND e.type = "
			   "'run' AND e.data->>'state' = 'succeeded' WHERE "
			   "r.job_id = $1 AND e.data = " RUN_DATA
			   " AND e.min_role = 'viewer'",
			   job, NULL),
	       "==", NRUNS, "the final run events carry the run row");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events e JOIN "
			   "automation.run_targets t ON e.type = 'run.target' "
			   "AND (e.data->>'id')::uuid = t.id AND e.run_id = "
			   "t.run_id JOIN automation.runs r ON r.id = t.run_id "
			   "WHERE r.job_id = $1 AND e.data = " TARGET_DATA,
			   job, NULL),
	       "==", NRUNS, "the target events carry the target row");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events e JOIN "
			   "automation.run_steps s ON e.type = 'run.step' AND "
			   "(e.data->>'id')::bigint = s.id AND e.run_id = "
			   "s.run_id JOIN automation.runs r ON r.id = s.run_id "
			   "WHERE r.job_id = $1 AND e.data = " STEP_DATA,
			   job, NULL),
	       "==", NRUNS * 2, "the step events carry the step rows");

	/* A statement that changes no state emits nothing; one that changes
	 * some rows emits for those, with the new row. */
	n = events_of(job);
	tc_db_exec("UPDATE automation.runs SET error = error WHERE job_id = $1",
		   job, NULL);
	tc_db_exec("UPDATE automation.run_steps s SET error = s.error FROM "
		   "automation.runs r WHERE r.id = s.run_id AND r.job_id = $1",
		   job, NULL);
	cmp_ok(events_of(job), "==", n, "updates that keep the state: none");
	run = tc_db_value("SELECT id::text FROM automation.runs WHERE job_id "
			  "= $1 ORDER BY created_at LIMIT 1",
			  job, NULL);
	tc_db_exec("UPDATE automation.runs SET state = CASE WHEN id = $2 THEN "
		   "'failed' ELSE state END, error = CASE WHEN id = $2 THEN "
		   "'by the test' END WHERE job_id = $1",
		   job, run, NULL);
	cmp_ok(events_of(job), "==", n + 1, "a state change among many: one");
	is(tc_db_value("SELECT (e.data = " RUN_DATA ")::text || ' ' || "
		       "(e.data->>'error') FROM core.events e JOIN "
		       "automation.runs r ON r.id = e.run_id WHERE e.run_id = "
		       "$1 ORDER BY e.id DESC LIMIT 1",
		       run, NULL),
	   "true by the test", "with the row as it became");

	/* The threads: a local.sleep run, and a local.noop run whose own
	 * selection names a target (not the fast path's). */
	slow = job_new("{\"steps\": [{\"id\": \"z\", \"type\": \"local.sleep\", "
		       "\"inputs\": {\"seconds\": 0}}]}");
	run = tc_db_value("SELECT automation.run_create(NULL, $1, '{}', NULL, "
			  "NULL, NULL, NULL, 'api', NULL, NULL, NULL, NULL, "
			  "NULL)::text",
			  slow, NULL);
	ok(runs_wait(slow, 30), "the local.sleep run ended");
	seq = tc_db_value(
	    "SELECT r.fast || ' ' || string_agg(e.type || ':' || "
	    "(e.data->>'state'), ' ' ORDER BY e.id) FROM core.events e JOIN "
	    "automation.runs r ON r.id = e.run_id WHERE r.id = $1 GROUP BY "
	    "r.fast",
	    run, NULL);
	/* As the row triggers had it (the step's start and the target's
	 * are one statement, the step's row first). */
	is(seq,
	   "false run:queued run:running run.target:queued run.step:running "
	   "run.target:running run.step:succeeded run.target:succeeded "
	   "run:succeeded",
	   "it was not a fast run, and its events follow its life");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events e JOIN "
			   "automation.run_steps s ON e.type = 'run.step' AND "
			   "(e.data->>'id')::bigint = s.id AND e.data->>'state' "
			   "= 'succeeded' WHERE s.run_id = $1 AND e.data = "
			   STEP_DATA,
			   run, NULL),
	       "==", 1, "the step's final event carries its row");
	run = tc_db_value("SELECT automation.run_create(NULL, $1, '{}', NULL, "
			  "NULL, NULL, '{\"targets\": "
			  "[\"00000000-0000-0000-0000-000000000000\"]}', "
			  "'api', NULL, NULL, NULL, NULL, NULL)::text",
			  job, NULL);
	ok(runs_wait(job, 30), "a fast job's run with a selection ended");
	is(tc_db_value("SELECT fast || ' ' || state || ' ' || error FROM "
		       "automation.runs WHERE id = $1",
		       run, NULL),
	   "false failed the target selection matches no enabled target",
	   "on the threads, which found no target");

	/* runs.fast from what the job version stores (sql/014): an empty
	 * selection of the run's own keeps the fast path, targets in the
	 * job's definition do not. */
	is(run_fast(job, "{\"targets\": []}"), "true",
	   "an empty selection of the run's own: fast");
	ok(runs_wait(job, 30), "that run ended");
	seq = job_new("{\"steps\": [{\"id\": \"n\", \"type\": "
		      "\"local.noop\"}], \"targets\": {\"targets\": "
		      "[\"00000000-0000-0000-0000-000000000000\"]}}");
	is(run_fast(seq, ""), "false",
	   "targets in the job's definition: not fast");
	ok(runs_wait(seq, 30), "that run ended");

	/* More runs than one batch takes: the fast path's threads complete
	 * them concurrently, each exactly once, and every run's events
	 * still come in the order of its life. */
	job = job_new("{\"steps\": [{\"id\": \"a\", \"type\": "
		      "\"local.noop\"}]}");
	tc_db_exec("INSERT INTO automation.runs (job_id, job_version, "
		   "job_name) SELECT $1, 1, 'eb' FROM generate_series(1, "
		   "$2::int)",
		   job, tc_printf("%d", NMANY), NULL);
	ok(runs_wait(job, 120), "the %d runs ended", NMANY);
	is(tc_db_value("SELECT count(*) FILTER (WHERE r.state = 'succeeded' "
		       "AND r.attempts = 1 AND (SELECT count(*) FROM "
		       "automation.run_targets t WHERE t.run_id = r.id) = 1 "
		       "AND (SELECT count(*) FROM automation.run_steps s "
		       "WHERE s.run_id = r.id) = 1)::text FROM "
		       "automation.runs r WHERE r.job_id = $1",
		       job, NULL),
	   tc_printf("%d", NMANY),
	   "each succeeded once, with one target and one step");
	is(tc_db_value("SELECT string_agg(DISTINCT x.seq, ',') FROM (SELECT "
		       "string_agg(e.type || ':' || (e.data->>'state'), ' ' "
		       "ORDER BY e.id) AS seq FROM core.events e JOIN "
		       "automation.runs r ON r.id = e.run_id WHERE r.job_id = "
		       "$1 GROUP BY r.id) x",
		       job, NULL),
	   "run:queued run.target:succeeded run.step:succeeded "
	   "run:succeeded",
	   "every run's four events, in order");
	return done_testing();
}
