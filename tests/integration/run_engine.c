/* The run engine against the real stack: jobs and runs made in SQL (as
 * the API makes them), executed by the stack's worker: the fast path,
 * success/failure/always edges, retries, step and run timeouts, cancel
 * within 2 s, allow_overlap false, target selection (targets, static and
 * dynamic groups, tags, disabled targets left out) with targets run in
 * parallel and their step writes batched in order, runs of a dead worker
 * failed or requeued, and a second worker on the same queue never running
 * a run twice. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "seal.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static const char *job_new(const char *def);
static const char *run_new(const char *job, const char *params);
static const char *run_wait(const char *run, int seconds);
static const char *run_steps(const char *run);
static double now_s(void);
static const char *lost_run(const char *job, const char *owner,
			    const char *max_attempts);
static const char *secret_run(const char *job, const char *bind_to);
static const char *heard(PGconn *c, int want);

/* The payloads of oc_tasks notifications on c, sorted and joined by a
 * space, once want of them arrived (or after 5 s). */
static const char *
heard(PGconn *c, int want)
{
	const char *got[8];
	struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
	PGnotify *n;
	char out[256] = "";
	int k = 0, i, j, waited;

	for (waited = 0; k < want && waited < 5000; waited += 50) {
		PQconsumeInput(c);
		while (k < 8 && (n = PQnotifies(c)) != NULL) {
			got[k++] = tc_printf("%s", n->extra);
			PQfreemem(n);
		}
		if (k < want)
			(void)poll(&p, 1, 50);
	}
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(got[j - 1], got[j]) > 0; j--) {
			const char *t = got[j];

			got[j] = got[j - 1];
			got[j - 1] = t;
		}
	for (i = 0; i < k; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? " " : "", got[i]);
	return tc_printf("%s", out);
}

/* A run with secret parameters sealed as the API seals them, bound to
 * "run:<bind_to>" (its own id unless bind_to is given). */
static const char *
secret_run(const char *job, const char *bind_to)
{
	const char *id = tc_db_value("SELECT gen_random_uuid()::text", NULL);
	const char *plain = "{\"token\": \"s3cret-value\"}";
	char aad[64], *hex;
	unsigned char *blob;
	size_t n, i;

	snprintf(aad, sizeof(aad), "run:%s", bind_to ? bind_to : id);
	blob = seal_encrypt(aad, strlen(aad), plain, strlen(plain), &n);
	if (blob == NULL)
		BAIL_OUT("cannot seal: no public key");
	hex = malloc(n * 2 + 1);
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", blob[i]);
	free(blob);
	id = tc_db_value("SELECT automation.run_create($1::uuid, $2, '{}', "
			 "decode($3, 'hex'), 'run:' || $1, $4::int, NULL, "
			 "'api', NULL, NULL, NULL, NULL, NULL)",
			 id, job, hex, tc_printf("%d", seal_current_version()),
			 NULL);
	free(hex);
	return id;
}

/* A run that a worker (owner) claimed and then died holding: running,
 * its lease expired a minute ago. */
static const char *
lost_run(const char *job, const char *owner, const char *max_attempts)
{
	return tc_db_value(
	    "INSERT INTO automation.runs (job_id, job_version, job_name, "
	    "state, attempts, max_attempts, lease_owner, lease_expires_at, "
	    "started_at) SELECT id, 1, name, 'running', 1, $2::int, $3, "
	    "now() - interval '1 minute', now() FROM automation.jobs WHERE "
	    "id = $1 RETURNING id",
	    job, max_attempts, owner, NULL);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A job with def (its name is made unique here) at version 1. */
static const char *
job_new(const char *def)
{
	const char *name = tc_name("rj"), *id;

	id = tc_db_value("INSERT INTO automation.jobs (name) VALUES ($1) "
			 "RETURNING id",
			 name, NULL);
	if (id == NULL)
		BAIL_OUT("cannot insert a job");
	if (tc_db_exec("INSERT INTO automation.job_versions (job_id, version, "
		       "definition) VALUES ($1, 1, $2::jsonb || "
		       "jsonb_build_object('name', $3::text))",
		       id, def, name, NULL) != 1)
		BAIL_OUT("cannot insert a job version");
	return id;
}

static const char *
run_new(const char *job, const char *params)
{
	return tc_db_value("SELECT automation.run_create(NULL, $1, $2::jsonb, "
			   "NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, "
			   "NULL, NULL)",
			   job, params ? params : "{}", NULL);
}

/* Waits until the run has ended; its state (or "running"/"queued"). */
static const char *
run_wait(const char *run, int seconds)
{
	const char *st = NULL;
	int i;

	for (i = 0; i < seconds * 20; i++) {
		st = tc_db_value("SELECT state FROM automation.runs WHERE id = "
				 "$1",
				 run, NULL);
		if (st != NULL && strcmp(st, "queued") != 0 &&
		    strcmp(st, "running") != 0)
			return st;
		usleep(50 * 1000);
	}
	return st ? st : "(none)";
}

/* "id:state:attempt ..." of the run's steps in the order they started. */
static const char *
run_steps(const char *run)
{
	const char *s = tc_db_value(
	    "SELECT string_agg(step_id || ':' || state || ':' || attempt, "
	    "' ' ORDER BY id) FROM automation.run_steps WHERE run_id = $1",
	    run, NULL);

	return s ? s : "";
}

int
main(void)
{
	const char *job, *run, *run2, *tag, *g1, *g2, *t[6], *slow, *token;
	PGconn *listener;
	PGresult *res;
	char cmd[4096];
	double t0, el;
	pid_t second;
	int i, k;

	tc_init(78);

	/* The fast path: one local.noop step on the local pseudo-target. */
	job = job_new("{\"steps\": [{\"id\": \"only\", \"type\": "
		      "\"local.noop\"}]}");
	run = run_new(job, NULL);
	is(run_wait(run, 20), "succeeded", "a local.noop run succeeds");
	is(run_steps(run), "only:succeeded:1", "its one step is recorded");
	is(tc_db_value("SELECT target_name || ' ' || state || ' ' || "
		       "(target_id IS NULL) FROM automation.run_targets WHERE "
		       "run_id = $1",
		       run, NULL),
	   "local succeeded true", "on the local pseudo-target");
	is(tc_db_value("SELECT targets_total || '/' || targets_succeeded || "
		       "'/' || targets_failed || ' ' || (finished_at >= "
		       "started_at) || ' ' || (lease_owner IS NULL) FROM "
		       "automation.runs WHERE id = $1",
		       run, NULL),
	   "1/1/0 true true", "counts, times and lease are set");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events WHERE run_id = $1 "
			   "AND type IN ('run', 'run.target', 'run.step')",
			   run, NULL),
	       ">=", 4, "events were emitted for the run, target and step");

	/* New runs wake the workers with what they need to look at:
	 * "run.fast" for runs the fast path completes, "run" for the
	 * others, both when one statement inserts both. */
	listener = PQconnectdb(tc_env("OC_TEST_DB"));
	res = PQexec(listener, "LISTEN oc_tasks");
	ok(PQresultStatus(res) == PGRES_COMMAND_OK, "a session listens");
	PQclear(res);
	run_new(job, NULL);
	is(heard(listener, 1), "run.fast", "a fast run: run.fast");
	slow = job_new("{\"steps\": [{\"id\": \"s\", \"type\": "
		       "\"local.sleep\", \"inputs\": {\"seconds\": 0}}]}");
	run_new(slow, NULL);
	is(heard(listener, 1), "run", "another run: run");
	tc_db_exec("INSERT INTO automation.runs (job_id, job_version, "
		   "job_name) SELECT j, 1, 'both' FROM unnest(ARRAY[$1, "
		   "$2]::uuid[]) AS j",
		   job, slow, NULL);
	is(heard(listener, 2), "run run.fast", "both in one statement: both");
	PQfinish(listener);

	/* Secret parameters are opened by the worker only; a blob bound to
	 * another run cannot be. */
	if (seal_load_public(
		tc_printf("%s/keys/secrets", tc_env("OC_TEST_VAR"))) < 0)
		BAIL_OUT("no public sealing key in the test stack");
	job = job_new("{\"parameters\": [{\"name\": \"token\", \"type\": "
		      "\"secret\"}], \"steps\": [{\"id\": \"s\", \"type\": "
		      "\"local.sleep\", \"inputs\": {\"seconds\": 0}}]}");
	run = secret_run(job, NULL);
	is(run_wait(run, 20), "succeeded", "a run with sealed secrets runs");
	run = secret_run(job, "00000000-0000-0000-0000-000000000000");
	is(run_wait(run, 20), "failed",
	   "secrets sealed for another run fail it");
	like(tc_db_value("SELECT error FROM automation.run_targets WHERE "
			 "run_id = $1",
			 run, NULL),
	     "secret parameters cannot be decrypted", "saying why");

	/* A step type this worker does not have fails its step, cleanly. */
	job = job_new("{\"steps\": [{\"id\": \"x\", \"type\": "
		      "\"no.such\"}, {\"id\": \"y\", \"type\": "
		      "\"ssh.command\", \"inputs\": {\"command\": \"true\"}}], "
		      "\"start\": \"x\"}");
	tc_db_exec("UPDATE automation.job_versions SET definition = "
		   "jsonb_set(definition, '{steps,0,on_failure}', '[\"y\"]') "
		   "WHERE job_id = $1",
		   job, NULL);
	run = run_new(job, NULL);
	is(run_wait(run, 20), "failed", "an unknown step type fails the run");
	is(tc_db_value("SELECT string_agg(step_id || ': ' || error, '; ' "
		       "ORDER BY id) FROM automation.run_steps WHERE run_id = "
		       "$1",
		       run, NULL),
	   "x: unknown step type no.such; y: step type ssh.command needs a "
	   "target; the run has none",
	   "each step says why");

	/* Edges: success, failure (a step timing out), always. */
	job = job_new(
	    "{\"start\": \"a\", \"steps\": ["
	    "{\"id\": \"a\", \"type\": \"local.sleep\", \"inputs\": "
	    "{\"seconds\": 0}, \"on_success\": [\"b\"], \"on_failure\": "
	    "[\"never\"]},"
	    "{\"id\": \"b\", \"type\": \"local.sleep\", \"inputs\": "
	    "{\"seconds\": 5}, \"timeout_s\": 1, \"on_success\": "
	    "[\"never\"], \"on_failure\": [\"c\"], \"always\": [\"d\"]},"
	    "{\"id\": \"c\", \"type\": \"local.noop\", \"always\": [\"d\"]},"
	    "{\"id\": \"d\", \"type\": \"local.noop\"},"
	    "{\"id\": \"never\", \"type\": \"local.noop\"}]}");
	run = run_new(job, NULL);
	is(run_wait(run, 20), "failed", "a run with a timed-out step fails");
	is(run_steps(run),
	   "a:succeeded:1 b:timed_out:1 c:succeeded:1 d:succeeded:1",
	   "success edge, then the failure edge, then always; each step once");
	is(tc_db_value("SELECT state || ' ' || coalesce(error, '') FROM "
		       "automation.run_targets WHERE run_id = $1",
		       run, NULL),
	   "failed a step failed",
	   "the target failed although a failure edge handled it");
	like(tc_db_value("SELECT error FROM automation.run_steps WHERE run_id "
			 "= $1 AND step_id = 'b'",
			 run, NULL),
	     "timed out", "the timed-out step says why");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.run_logs WHERE "
			   "run_id = $1 AND stream = 'system' AND step_id = "
			   "'b'",
			   run, NULL),
	       ">=", 1, "and the log has a system line for it");

	/* Retries with backoff: one run_steps row per attempt. */
	job = job_new("{\"steps\": [{\"id\": \"flaky\", \"type\": "
		      "\"local.sleep\", \"inputs\": {\"seconds\": 3}, "
		      "\"timeout_s\": 1, \"retries\": 2, \"retry_backoff_s\": "
		      "0}]}");
	run = run_new(job, NULL);
	is(run_wait(run, 30), "failed", "a step failing every attempt fails");
	is(run_steps(run),
	   "flaky:timed_out:1 flaky:timed_out:2 flaky:timed_out:3",
	   "after 1 + 2 retries, each attempt recorded");

	/* The run's own timeout. */
	job = job_new("{\"timeout_s\": 1, \"steps\": [{\"id\": \"long\", "
		      "\"type\": \"local.sleep\", \"inputs\": {\"seconds\": "
		      "30}}]}");
	t0 = now_s();
	run = run_new(job, NULL);
	is(run_wait(run, 20), "timed_out", "a run past its timeout_s");
	el = now_s() - t0;
	ok(el < 4.0, "stops soon after the timeout (%.2f s)", el);
	is(tc_db_value("SELECT state FROM automation.run_targets WHERE run_id "
		       "= $1",
		       run, NULL),
	   "timed_out", "its target is timed_out");

	/* Cancel: seen within 2 s. */
	job = job_new("{\"steps\": [{\"id\": \"long\", \"type\": "
		      "\"local.sleep\", \"inputs\": {\"seconds\": 30}}]}");
	run = run_new(job, NULL);
	for (i = 0; i < 200 && tc_db_count("SELECT count(*) FROM "
					   "automation.run_steps WHERE run_id "
					   "= $1",
					   run, NULL) < 1;
	     i++)
		usleep(50 * 1000);
	tc_db_exec("UPDATE automation.runs SET cancel_requested = true WHERE "
		   "id = $1",
		   run, NULL);
	t0 = now_s();
	is(run_wait(run, 10), "canceled", "a running run is canceled");
	el = now_s() - t0;
	ok(el < 2.0, "within 2 s (%.2f s)", el);
	is(run_steps(run), "long:canceled:1", "its step is canceled");

	/* allow_overlap false: the second run waits for the first. */
	job = job_new("{\"allow_overlap\": false, \"steps\": [{\"id\": "
		      "\"s\", \"type\": \"local.sleep\", \"inputs\": "
		      "{\"seconds\": 1}}]}");
	run = run_new(job, NULL);
	run2 = run_new(job, NULL);
	is(run_wait(run, 20), "succeeded", "the first run of a no-overlap job");
	is(run_wait(run2, 20), "succeeded", "and the second");
	is(tc_db_value("SELECT (b.started_at >= a.finished_at)::text FROM "
		       "automation.runs a, automation.runs b WHERE a.id = $1 "
		       "AND b.id = $2",
		       run, run2, NULL),
	   "true", "the second started after the first finished");

	/* Target selection: listed targets, static and dynamic groups,
	 * tags; disabled targets are left out. */
	tag = tc_name("rtag");
	for (i = 0; i < 6; i++) {
		t[i] = tc_db_value(
		    "INSERT INTO assets.targets (name, host, os, protocol, "
		    "port, tags, enabled) VALUES ($1, '127.0.0.1', "
		    "'linux', 'ssh', 22, $2::text[], $3::boolean) "
		    "RETURNING id",
		    tc_name("rt"), i < 2 ? tc_printf("{%s}", tag) : "{}",
		    i == 5 ? "false" : "true", NULL);
	}
	g1 = tc_db_value("INSERT INTO assets.groups (name) VALUES ($1) "
			 "RETURNING id",
			 tc_name("rg"), NULL);
	tc_db_exec("INSERT INTO assets.group_members (group_id, target_id) "
		   "VALUES ($1, $2), ($1, $3)",
		   g1, t[2], t[5], NULL);
	g2 = tc_db_value("INSERT INTO assets.groups (name, dynamic, filter) "
			 "VALUES ($1, true, jsonb_build_object('name_pattern', "
			 "(SELECT name FROM assets.targets WHERE id = $2))) "
			 "RETURNING id",
			 tc_name("rg"), t[3], NULL);
	job = job_new(tc_printf(
	    "{\"targets\": {\"targets\": [\"%s\", \"%s\"], \"groups\": "
	    "[\"%s\", \"%s\"], \"tags\": [\"%s\"]}, \"steps\": [{\"id\": "
	    "\"n\", \"type\": \"local.noop\"}]}",
	    t[0], t[4], g1, g2, tag));
	run = run_new(job, NULL);
	is(run_wait(run, 20), "succeeded", "a run over a target selection");
	is(tc_db_value("SELECT string_agg(x::text, ',' ORDER BY x) FROM "
		       "(SELECT array_position($2::uuid[], target_id) - 1 AS "
		       "x FROM automation.run_targets WHERE run_id = $1) s",
		       run,
		       tc_printf("{%s,%s,%s,%s,%s,%s}", t[0], t[1], t[2], t[3],
				 t[4], t[5]),
		       NULL),
	   "0,1,2,3,4",
	   "listed, tagged, static and dynamic members; not the disabled");
	is(tc_db_value("SELECT targets_total || '/' || targets_succeeded FROM "
		       "automation.runs WHERE id = $1",
		       run, NULL),
	   "5/5", "each target succeeded");

	/* Targets run in parallel on the worker's threads. */
	job = job_new(tc_printf(
	    "{\"max_parallel\": 6, \"targets\": {\"tags\": [\"%s\"], "
	    "\"targets\": [\"%s\", \"%s\", \"%s\", \"%s\"]}, \"steps\": "
	    "[{\"id\": \"s\", \"type\": \"local.sleep\", \"inputs\": "
	    "{\"seconds\": 1}}]}",
	    tag, t[0], t[2], t[3], t[4]));
	t0 = now_s();
	run = run_new(job, NULL);
	is(run_wait(run, 30), "succeeded", "five one-second targets");
	el = now_s() - t0;
	ok(el < 3.5, "ran in parallel (%.2f s, serially 5 s)", el);

	/* Several steps on several targets: a step's end is written with
	 * the next step's start (and the last with the target's outcome),
	 * and the writes of targets go in shared transactions; every row is
	 * there and each target's events keep their order. */
	job = job_new(tc_printf(
	    "{\"max_parallel\": 6, \"targets\": {\"tags\": [\"%s\"], "
	    "\"targets\": [\"%s\", \"%s\", \"%s\", \"%s\"]}, \"steps\": "
	    "[{\"id\": \"a\", \"type\": \"local.sleep\", \"inputs\": "
	    "{\"seconds\": 0}, \"on_success\": [\"b\"]}, {\"id\": \"b\", "
	    "\"type\": \"local.noop\", \"on_success\": [\"c\"]}, {\"id\": "
	    "\"c\", \"type\": \"local.sleep\", \"inputs\": {\"seconds\": "
	    "0}}]}",
	    tag, t[0], t[2], t[3], t[4]));
	run = run_new(job, NULL);
	is(run_wait(run, 30), "succeeded", "three steps on five targets");
	is(tc_db_value("SELECT count(*) || ' ' || count(finished_at) || ' ' "
		       "|| count(*) FILTER (WHERE state = 'succeeded') FROM "
		       "automation.run_steps WHERE run_id = $1",
		       run, NULL),
	   "15 15 15", "every step row written and finished");
	is(tc_db_value(
	       "SELECT count(DISTINCT seq) || ' ' || count(*) || ' ' || "
	       "min(seq) FROM (SELECT string_agg(x, ' ' ORDER BY id) AS seq "
	       "FROM (SELECT id, coalesce(data->>'run_target_id', "
	       "data->>'id') AS rt, CASE type WHEN 'run.step' THEN "
	       "(data->>'step_id') || ':' || (data->>'state') ELSE 'target:' "
	       "|| (data->>'state') END AS x FROM core.events WHERE run_id = "
	       "$1 AND (type = 'run.step' OR (type = 'run.target' AND "
	       "data->>'state' NOT IN ('queued', 'running')))) e GROUP BY "
	       "rt) s",
	       run, NULL),
	   "1 5 a:running a:succeeded b:running b:succeeded c:running "
	   "c:succeeded target:succeeded",
	   "each target's events in order");

	/* A run whose worker died: failed after its lease, or requeued and
	 * finished while attempts remain. */
	job = job_new("{\"steps\": [{\"id\": \"s\", \"type\": "
		      "\"local.sleep\", \"inputs\": {\"seconds\": 0}}]}");
	run = lost_run(job, "worker:gone:1", "1");
	is(run_wait(run, 30), "failed", "a run of a dead worker fails");
	like(tc_db_value("SELECT error FROM automation.runs WHERE id = $1", run,
			 NULL),
	     "worker lost", "with the reason");
	job = job_new("{\"on_worker_lost\": \"retry\", \"steps\": [{\"id\": "
		      "\"s\", \"type\": \"local.sleep\", \"inputs\": "
		      "{\"seconds\": 0}}]}");
	run = lost_run(job, "worker:gone:2", "3");
	is(run_wait(run, 30), "succeeded",
	   "with on_worker_lost retry it is requeued and finishes");
	is(tc_db_value("SELECT attempts::text FROM automation.runs WHERE id "
		       "= $1",
		       run, NULL),
	   "2", "as its second attempt");

	/* A requeued run without a target selection keeps the local target
	 * its earlier attempt made (the claim reads it back): run again when
	 * that attempt had not finished it, kept when it had. */
	for (k = 0; k < 2; k++) {
		run = lost_run(job, "worker:gone:3", "3");
		token = tc_db_value("INSERT INTO automation.run_targets "
				    "(run_id, target_name, state) VALUES ($1, "
				    "'local', $2) RETURNING id",
				    run, k == 0 ? "running" : "succeeded", NULL);
		is(run_wait(run, 30), "succeeded",
		   k == 0 ? "a requeued run whose local target was running"
			  : "a requeued run whose local target had succeeded");
		is(tc_db_value("SELECT count(*) || ' ' || min(t.id::text) || "
			       "' ' || min(t.state) || ' ' || r.targets_total || "
			       "' ' || (SELECT count(*) FROM automation.run_steps "
			       "s WHERE s.run_id = r.id) FROM "
			       "automation.run_targets t JOIN automation.runs r "
			       "ON r.id = t.run_id WHERE t.run_id = $1 GROUP BY "
			       "r.id",
			       run, NULL),
		   tc_printf("1 %s succeeded 1 %d", token ? token : "?",
			     k == 0 ? 1 : 0),
		   k == 0 ? "ran its step on the same target row"
			  : "and ran no step again");
	}

	/* A run this worker no longer holds starts no further step, and the
	 * worker writes nothing final for it: taken over by another worker,
	 * or claimed again by this same worker (what follows a claim lost
	 * in a database crash, sql/017): a new claim is a new token. */
	for (k = 0; k < 2; k++) {
		job = job_new("{\"steps\": [{\"id\": \"a\", \"type\": "
			      "\"local.sleep\", \"inputs\": {\"seconds\": "
			      "1}, \"on_success\": [\"b\"]}, {\"id\": \"b\", "
			      "\"type\": \"local.noop\"}]}");
		run = run_new(job, NULL);
		for (i = 0;
		     i < 100 && strcmp(run_steps(run), "a:running:1") != 0; i++)
			usleep(20 * 1000);
		is(run_steps(run), "a:running:1",
		   "a run's first step is running");
		token = tc_db_value(
		    k == 0 ? "UPDATE automation.runs SET lease_owner = "
			     "'worker:other:1', lease_token = "
			     "gen_random_uuid(), lease_expires_at = now() + "
			     "interval '1 hour' WHERE id = $1 RETURNING "
			     "lease_token::text"
			   : "UPDATE automation.runs SET lease_token = "
			     "gen_random_uuid(), lease_expires_at = now() + "
			     "interval '1 hour' WHERE id = $1 RETURNING "
			     "lease_token::text",
		    run, NULL);
		ok(token != NULL, k == 0 ? "another worker takes its lease"
					 : "this worker claims it again");
		usleep(2500 * 1000);
		unlike(run_steps(run), "b:",
		       "its next step never starts under the first claim");
		is(tc_db_value("SELECT state || ' ' || (lease_owner = "
			       "'worker:other:1') || ' ' || (lease_token = "
			       "$2::uuid) || ' ' || (finished_at IS NULL) FROM "
			       "automation.runs WHERE id = $1",
			       run, token ? token : "", NULL),
		   k == 0 ? "running true true true" : "running false true true",
		   "and the first claim wrote nothing final for it");
		tc_db_exec("UPDATE automation.runs SET state = 'canceled', "
			   "lease_owner = NULL, lease_token = NULL, "
			   "lease_expires_at = NULL, finished_at = now() WHERE "
			   "id = $1",
			   run, NULL);
	}

	/* A second worker on the same queue: every run done once. */
	snprintf(cmd, sizeof(cmd), "%s/bin/oc-worker", tc_env("OC_TEST_BUILD"));
	second = fork();
	if (second == 0) {
		setenv("OPSCONDUCTOR_VAR", tc_env("OC_TEST_VAR"), 1);
		setenv("OPSCONDUCTOR_DATABASE_URL",
		       tc_printf("host=%s/run port=5432 dbname=opsconductor",
				 tc_env("OC_TEST_VAR")),
		       1);
		setenv("OPSCONDUCTOR_WORKER_THREADS", "4", 1);
		setenv("OPSCONDUCTOR_LEASE_SECONDS", "10", 1);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execl(cmd, "oc-worker", (char *)NULL);
		_exit(127);
	}
	ok(second > 0, "a second worker started");
	usleep(500 * 1000);
	job = job_new("{\"steps\": [{\"id\": \"a\", \"type\": "
		      "\"local.sleep\", \"inputs\": {\"seconds\": 0}, "
		      "\"on_success\": [\"b\"]}, {\"id\": \"b\", \"type\": "
		      "\"local.noop\"}]}");
	tc_db_exec("SELECT automation.run_create(NULL, $1, '{}', NULL, NULL, "
		   "NULL, NULL, 'api', NULL, NULL, NULL, NULL, NULL) FROM "
		   "generate_series(1, 60)",
		   job, NULL);
	for (i = 0; i < 600 && tc_db_count("SELECT count(*) FROM "
					   "automation.runs WHERE job_id = $1 "
					   "AND state IN ('queued', 'running')",
					   job, NULL) > 0;
	     i++)
		usleep(100 * 1000);
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE job_id "
			   "= $1 AND state = 'succeeded' AND attempts = 1",
			   job, NULL),
	       "==", 60, "60 runs succeeded, each in one attempt");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.run_steps s JOIN "
			   "automation.runs r ON r.id = s.run_id WHERE "
			   "r.job_id = $1",
			   job, NULL),
	       "==", 120, "120 steps: none ran twice");
	if (second > 0) {
		kill(second, SIGTERM);
		waitpid(second, NULL, 0);
	}

	tc_done();
	return done_testing();
}
