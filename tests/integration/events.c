/* Live events through nginx: GET /api/v1/events as server-sent events.
 * Run, target, step and log events produced in SQL arrive in order;
 * Last-Event-ID resumes without gaps or duplicates; ?run= filters log
 * chunks; min_role filters by role; 401 without a token and no token in
 * the URL; heartbeat comments; a slow client is dropped while a fast one
 * keeps receiving; logout ends the stream; the process is in health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/ssec.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID_RUN "00000000-0000-4000-8000-000000000000"
#define SLOW_CHUNKS 320
#define SLOW_CHUNK_BYTES 65536

struct got {
	char ids[65536]; /* "id,id,..." of events (not comments) */
	size_t n;
	int comments;
	int ended;       /* the stream closed */
	char last_type[64];
	long long last_id;
};

static const char *src(int n);
static struct ssec *open_stream(const char *token, const char *query,
				const char *last_id, int rcvbuf, int n);
static void collect(struct ssec *c, struct got *g, const char *until_type,
		    int timeout_ms, char *log, size_t logsz);
static const char *db_ids(const char *after, const char *upto,
			  const char *run, const char *roles);
static const char *make_job(void);
static const char *make_run(const char *job);
static long long max_event_id(void);

static const char *
src(int n)
{
	return tc_printf("127.0.0.%d", n);
}

static struct ssec *
open_stream(const char *token, const char *query, const char *last_id,
	    int rcvbuf, int n)
{
	return ssec_open(tc_base(), src(n),
			 tc_printf("/api/v1/events%s", query ? query : ""),
			 token ? tc_printf("Bearer %s", token) : NULL, last_id,
			 rcvbuf);
}

/* Reads events until one of until_type (or the timeout, or the end);
 * records their ids; log (may be NULL) gets "type:state|" of run events
 * and "log:data|" of log chunks, in order. */
static void
collect(struct ssec *c, struct got *g, const char *until_type,
	int timeout_ms, char *log, size_t logsz)
{
	struct ssec_event ev;
	double until = tc_now_ms() + timeout_ms;
	json_object *o;
	const char *state, *data;
	size_t k;
	int rc;

	while (tc_now_ms() < until) {
		rc = ssec_next(c, &ev, (int)(until - tc_now_ms()) + 1);
		if (rc < 0) {
			g->ended = 1;
			return;
		}
		if (rc == 0)
			return;
		if (ev.comment) {
			g->comments++;
			continue;
		}
		k = strlen(g->ids);
		snprintf(g->ids + k, sizeof(g->ids) - k, "%s%lld",
			 k ? "," : "", ev.id);
		g->n++;
		g->last_id = ev.id;
		snprintf(g->last_type, sizeof(g->last_type), "%s", ev.type);
		if (log != NULL) {
			o = json_tokener_parse(ev.data);
			state = o ? tc_jstr(o, "state") : NULL;
			data = o ? tc_jstr(o, "data") : NULL;
			k = strlen(log);
			if (strcmp(ev.type, "run.log") == 0)
				snprintf(log + k, logsz - k, "log:%s|",
					 data ? data : "?");
			else if (strncmp(ev.type, "run", 3) == 0)
				snprintf(log + k, logsz - k, "%s:%s|",
					 ev.type, state ? state : "?");
			else
				snprintf(log + k, logsz - k, "%s|", ev.type);
			json_object_put(o);
		}
		if (until_type != NULL && strcmp(ev.type, until_type) == 0)
			return;
	}
}

/* The ids the database says a stream should get. */
static const char *
db_ids(const char *after, const char *upto, const char *run,
       const char *roles)
{
	const char *v = tc_db_value(
		"SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') "
		"FROM core.events WHERE id > $1::bigint AND id <= $2::bigint "
		"AND (type <> 'run.log' OR run_id = $3::uuid) AND "
		"min_role = ANY (string_to_array($4, ','))",
		after, upto, run, roles, NULL);
	return v ? v : "(query failed)";
}

static const char *
make_job(void)
{
	const char *job = tc_db_value(
		"INSERT INTO automation.jobs (name) VALUES ($1) RETURNING id",
		tc_name("events-job"), NULL);

	if (job == NULL)
		BAIL_OUT("cannot create a job");
	tc_db_exec("INSERT INTO automation.job_versions (job_id, version, "
		   "definition) VALUES ($1, 1, '{\"steps\": []}')",
		   job, NULL);
	return job;
}

static const char *
make_run(const char *job)
{
	const char *run = tc_db_value(
		"SELECT automation.run_create(NULL, $1::uuid, '{}', NULL, NULL, "
		"NULL, NULL, 'api', NULL, 'test', NULL, NULL, NULL)",
		job, NULL);

	if (run == NULL)
		BAIL_OUT("cannot create a run");
	return run;
}

static long long
max_event_id(void)
{
	return tc_db_count("SELECT coalesce(max(id), 0) FROM core.events",
			   NULL);
}

int
main(void)
{
	static char alog[16384], vlog[16384], want[16384];
	static struct got ga, gv, gn, gr, gh, gs, gf, gl, gt;
	static char tlog[256];
	struct tc_user *viewer, *viewer2;
	struct ssec *a, *v, *vn, *r2, *h, *slow, *fast, *lo;
	struct tc_res *res;
	const char *admin, *job, *run, *run2, *rt, *step;
	const char *q1, *q2, *mark, *mark2, *task;
	char start[24], upto[24];
	double deadline;
	int i;

	tc_init(90);
	admin = tc_admin_token();
	viewer = tc_new_user("events-viewer", "viewer");
	viewer2 = tc_new_user("events-viewer2", "viewer");
	if (admin == NULL || viewer == NULL || viewer2 == NULL)
		BAIL_OUT("cannot sign in");

	/* Refusals: answered at once as problems, nothing streamed. */
	res = tc_req("GET", "/api/v1/events", NULL, NULL);
	tc_problem_is(res, 401, "unauthorized", "no token: 401");
	res = tc_req("GET",
		     tc_printf("/api/v1/events?access_token=%s", admin), NULL,
		     NULL);
	tc_problem_is(res, 401, "unauthorized",
		      "a token in the URL is not accepted");
	res = tc_req("GET", tc_printf("/api/v1/events?token=%s", admin),
		     admin, NULL);
	tc_problem_is(res, 400, "bad-request",
		      "unknown query parameters are refused");
	res = tc_req("GET", "/api/v1/events?run=nope", admin, NULL);
	tc_problem_is(res, 422, "validation", "?run= must be a uuid");
	ok(tc_has_field_error(res, "run"), "the error names run");
	res = tc_req_opt("GET", "/api/v1/events", admin, NULL,
			 &(struct tc_opt){.headers = (const char *const[]){
					      "Last-Event-ID: 12ab", NULL}});
	tc_problem_is(res, 400, "bad-request", "a bad Last-Event-ID: 400");
	res = tc_req("POST", "/api/v1/events", admin, NULL);
	tc_problem_is(res, 405, "method-not-allowed", "POST: 405");

	/* Health lists the events process. */
	res = tc_req("GET", "/api/v1/health", NULL, NULL);
	like(res->body, "\"kind\":\"events\"[^}]*\"state\":\"up\"",
	     "health shows the events process up");

	/* Three streams: admin and viewer subscribed to the run, a viewer
	 * that is not. */
	job = make_job();
	run = tc_db_value("SELECT gen_random_uuid()", NULL);
	q1 = tc_printf("?run=%s", run);
	a = open_stream(admin, q1, NULL, 0, 90);
	v = open_stream(viewer->token, q1, NULL, 0, 91);
	vn = open_stream(viewer->token, NULL, NULL, 0, 91);
	if (a == NULL || v == NULL || vn == NULL)
		BAIL_OUT("cannot open the streams");
	cmp_ok(ssec_status(a), "==", 200, "the admin stream opens");
	like(ssec_headers(a), "Content-Type: text/event-stream",
	     "Content-Type text/event-stream");
	like(ssec_headers(a), "Cache-Control: no-cache",
	     "Cache-Control no-cache");
	cmp_ok(ssec_status(vn), "==", 200, "the viewer stream opens");

	/* A run going through its states with a target, a step and five
	 * log chunks, produced in SQL as the worker would. */
	snprintf(start, sizeof(start), "%lld", max_event_id());
	/* Queued and running in one transaction: the stack's worker never
	 * sees this run queued, so only the test moves it. */
	tc_db_exec("BEGIN", NULL);
	tc_db_exec("SELECT automation.run_create($1::uuid, $2::uuid, '{}', "
		   "NULL, NULL, NULL, NULL, 'api', NULL, 'test', NULL, NULL, "
		   "NULL)",
		   run, job, NULL);
	rt = tc_db_value("INSERT INTO automation.run_targets (run_id, "
			 "target_name) VALUES ($1, 'local') RETURNING id",
			 run, NULL);
	tc_db_exec("UPDATE automation.runs SET state = 'running' WHERE id = $1",
		   run, NULL);
	tc_db_exec("COMMIT", NULL);
	tc_db_exec("UPDATE automation.run_targets SET state = 'running' "
		   "WHERE id = $1",
		   rt, NULL);
	step = tc_db_value("INSERT INTO automation.run_steps (run_id, "
			   "run_target_id, step_id, step_type) VALUES ($1, $2, "
			   "'build', 'local.noop') RETURNING id",
			   run, rt, NULL);
	for (i = 1; i <= 5; i++)
		tc_db_exec("SELECT automation.log_append($1, $2, 'build', "
			   "'stdout', $3)",
			   run, rt, tc_printf("line %d", i), NULL);
	tc_db_exec("UPDATE automation.run_steps SET state = 'succeeded', "
		   "exit_code = 0 WHERE id = $1::bigint",
		   step, NULL);
	tc_db_exec("UPDATE automation.run_targets SET state = 'succeeded' "
		   "WHERE id = $1",
		   rt, NULL);
	tc_db_exec("UPDATE automation.runs SET state = 'succeeded' WHERE id = "
		   "$1",
		   run, NULL);
	tc_db_exec("SELECT core.event_emit('test.admin', NULL, 'admin', "
		   "'{}')",
		   NULL);
	mark = tc_db_value("SELECT core.event_emit('test.end', NULL, "
			   "'viewer', '{}')",
			   NULL);
	snprintf(upto, sizeof(upto), "%s", mark ? mark : "0");

	collect(a, &ga, "test.end", 10000, alog, sizeof(alog));
	collect(v, &gv, "test.end", 10000, vlog, sizeof(vlog));
	collect(vn, &gn, "test.end", 10000, NULL, 0);
	snprintf(want, sizeof(want),
		 "run:queued|run.target:queued|run:running|run.target:running|"
		 "run.step:running|log:line 1|log:line 2|log:line 3|"
		 "log:line 4|log:line 5|run.step:succeeded|"
		 "run.target:succeeded|run:succeeded|test.admin|test.end|");
	is(alog, want, "admin: every state change and log chunk, in order");
	is(ga.ids, db_ids(start, upto, run, "viewer,operator,admin"),
	   "admin: exactly the events of the log, in id order");
	snprintf(want, sizeof(want),
		 "run:queued|run.target:queued|run:running|run.target:running|"
		 "run.step:running|log:line 1|log:line 2|log:line 3|"
		 "log:line 4|log:line 5|run.step:succeeded|"
		 "run.target:succeeded|run:succeeded|test.end|");
	is(vlog, want, "viewer: the same without the admin-only event");
	is(gv.ids, db_ids(start, upto, run, "viewer"),
	   "viewer: exactly the viewer events, in id order");
	is(gn.ids, db_ids(start, upto, NOID_RUN, "viewer"),
	   "viewer without ?run=: no log chunks");

	/* Resume: the admin stream goes away after the 6th event; more is
	 * committed while it is away; it comes back with Last-Event-ID. */
	ssec_close(a);
	{
		char last[24];

		/* id of the 6th event */
		snprintf(last, sizeof(last), "%lld",
			 atoll(tc_db_value("SELECT (string_to_array($1, ','))"
					   "[6]",
					   ga.ids, NULL)));
		for (i = 6; i <= 8; i++)
			tc_db_exec("SELECT automation.log_append($1, $2, "
				   "'build', 'stderr', $3)",
				   run, rt, tc_printf("line %d", i), NULL);
		mark2 = tc_db_value("SELECT core.event_emit('test.end2', "
				    "NULL, 'viewer', '{}')",
				    NULL);
		r2 = open_stream(admin, q1, last, 0, 90);
		if (r2 == NULL)
			BAIL_OUT("cannot reopen");
		cmp_ok(ssec_status(r2), "==", 200, "resumed stream opens");
		collect(r2, &gr, "test.end2", 10000, NULL, 0);
		is(gr.ids,
		   db_ids(last, mark2 ? mark2 : "0", run,
			  "viewer,operator,admin"),
		   "Last-Event-ID: every later event once, in order, those "
		   "committed while away included");
		/* and it is live afterwards */
		tc_db_exec("SELECT automation.log_append($1, $2, 'build', "
			   "'stdout', 'after resume')",
			   run, rt, NULL);
		memset(&gr, 0, sizeof(gr));
		collect(r2, &gr, "run.log", 5000, NULL, 0);
		is(gr.last_type, "run.log", "then live again");
		ssec_close(r2);
	}
	ssec_close(v);
	ssec_close(vn);

	/* Heartbeat comments on an idle stream (1 s under make check). */
	h = open_stream(viewer->token, NULL, NULL, 0, 92);
	if (h == NULL)
		BAIL_OUT("cannot open");
	collect(h, &gh, "never", 2600, NULL, 0);
	cmp_ok(gh.comments, ">=", 2, "heartbeat comments on an idle stream");
	ssec_close(h);

	/* A slow client (stops reading, tiny receive buffer) is dropped;
	 * a fast one gets everything. */
	run2 = make_run(job);
	q2 = tc_printf("?run=%s", run2);
	slow = open_stream(admin, q2, NULL, 4096, 93);
	fast = open_stream(admin, q2, NULL, 0, 93);
	if (slow == NULL || fast == NULL)
		BAIL_OUT("cannot open");
	/* Batches the fast client reads before the next one comes. */
	deadline = tc_now_ms() + 60000;
	for (i = 0; i < SLOW_CHUNKS / 10; i++) {
		tc_db_exec("SELECT automation.log_append($1, NULL, 'big', "
			   "'stdout', repeat(md5(i::text), $2::int / 32)) FROM "
			   "generate_series(1, 10) i",
			   run2, tc_printf("%d", SLOW_CHUNK_BYTES), NULL);
		while (gf.n < (size_t)(i + 1) * 10 && !gf.ended &&
		       tc_now_ms() < deadline)
			collect(fast, &gf, "run.log", 5000, NULL, 0);
	}
	tc_db_exec("SELECT core.event_emit('test.end3', NULL, 'viewer', "
		   "'{}')",
		   NULL);
	collect(fast, &gf, "test.end3", 60000, NULL, 0);
	is(gf.last_type, "test.end3", "the fast client got to the end");
	cmp_ok(gf.n, ">=", SLOW_CHUNKS + 1,
	       "the fast client got every chunk");
	/* Now read the slow one: it must have been cut off. */
	collect(slow, &gs, "test.end3", 30000, NULL, 0);
	ok(gs.ended, "the slow client's stream was closed");
	cmp_ok(gs.n, "<", SLOW_CHUNKS, "before it got everything (%zu)",
	       gs.n);
	ssec_close(slow);
	ssec_close(fast);

	/* Connection-test progress from the worker reaches the streams as
	 * "task" events (a target on a closed port: the test fails fast). */
	h = open_stream(viewer->token, NULL, NULL, 0, 92);
	if (h == NULL)
		BAIL_OUT("cannot open");
	task = tc_db_value(
		"WITH t AS (INSERT INTO assets.targets (name, host, os, "
		"protocol, port) VALUES ($1, '127.0.0.1', 'linux', 'ssh', 9) "
		"RETURNING id) INSERT INTO core.tasks (kind, state, payload) "
		"SELECT 'target.test', 'queued', json_build_object('target_id', "
		"id::text) FROM t RETURNING id",
		tc_name("events-target"), NULL);
	tlog[0] = '\0';
	deadline = tc_now_ms() + 20000;
	while (task != NULL && tc_now_ms() < deadline && !gt.ended &&
	       strstr(tlog, "done") == NULL) {
		struct ssec_event tev;

		if (ssec_next(h, &tev, 1000) != 1 ||
		    strcmp(tev.type, "task") != 0 || strstr(tev.data, task) == NULL)
			continue;
		if (strstr(tev.data, "\"running\"") != NULL)
			strcat(tlog, "running|");
		else if (strstr(tev.data, "\"succeeded\"") != NULL ||
			 strstr(tev.data, "\"failed\"") != NULL)
			strcat(tlog, "done|");
	}
	is(tlog, "running|done|",
	   "the worker's connection test progress arrives as task events");
	ssec_close(h);

	/* Logout ends the stream (the credentials are checked again every
	 * heartbeat). */
	lo = open_stream(viewer2->token, NULL, NULL, 0, 94);
	if (lo == NULL)
		BAIL_OUT("cannot open");
	cmp_ok(ssec_status(lo), "==", 200, "a stream for the second viewer");
	res = tc_req("POST", "/api/v1/auth/logout", viewer2->token, NULL);
	ok(res->status == 204 || res->status == 200, "logout");
	collect(lo, &gl, "never", 5000, NULL, 0);
	ok(gl.ended, "the stream of a logged-out session ends");
	ssec_close(lo);

	tc_done();
	return done_testing();
}
