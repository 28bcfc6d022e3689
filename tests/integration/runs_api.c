/* The runs API through nginx: parameter validation (a table), secrets
 * sealed and never shown or stored in clear, Idempotency-Key replay and
 * mismatch, list filters (job, status, creator, schedule, time), cancel of
 * a queued and of a running run, retry of the failed targets only with the
 * sealed secrets re-bound, the log, step results and downloaded files.
 * States are set in SQL (the engine is tested elsewhere): finished runs are
 * inserted whole, so a worker never touches them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"
#define T1 "11111111-1111-4111-8111-111111111111"
#define T2 "22222222-2222-4222-8222-222222222222"
#define T3 "33333333-3333-4333-8333-333333333333"

struct param_case {
	const char *what;
	const char *body;
	const char *field;
};

static const struct param_case bad_params[] = {
    {"required parameter missing", "{\"params\":{\"token\":\"x\"}}",
     "params.version"},
    {"string not matching its regex",
     "{\"params\":{\"version\":\"1.x\",\"token\":\"x\"}}", "params.version"},
    {"string given a number", "{\"params\":{\"version\":1,\"token\":\"x\"}}",
     "params.version"},
    {"integer as a string",
     "{\"params\":{\"version\":\"1\",\"count\":\"3\",\"token\":\"x\"}}",
     "params.count"},
    {"integer over max",
     "{\"params\":{\"version\":\"1\",\"count\":11,\"token\":\"x\"}}",
     "params.count"},
    {"integer under min",
     "{\"params\":{\"version\":\"1\",\"count\":0,\"token\":\"x\"}}",
     "params.count"},
    {"boolean as a string",
     "{\"params\":{\"version\":\"1\",\"verbose\":\"yes\",\"token\":\"x\"}}",
     "params.verbose"},
    {"not one of the choices",
     "{\"params\":{\"version\":\"1\",\"env\":\"dev\",\"token\":\"x\"}}",
     "params.env"},
    {"unknown parameter",
     "{\"params\":{\"version\":\"1\",\"token\":\"x\",\"nope\":1}}",
     "params.nope"},
    {"secret missing", "{\"params\":{\"version\":\"1\"}}", "params.token"},
    {"secret not a string", "{\"params\":{\"version\":\"1\",\"token\":5}}",
     "params.token"},
    {"params not an object", "{\"params\":[1]}", "params"},
    {"unknown field", "{\"parms\":{}}", "parms"},
    {"unknown target in the selection",
     "{\"params\":{\"version\":\"1\",\"token\":\"x\"},\"targets\":"
     "{\"targets\":[\"" NOID "\"]}}",
     "targets.targets"},
    {"bad selection field",
     "{\"params\":{\"version\":\"1\",\"token\":\"x\"},\"targets\":"
     "{\"hosts\":[]}}",
     "targets.hosts"},
};

static const char *job_create(const char *tok, const char *name,
			      const char *extra, const char *steps);
static const char *run_insert(const char *job, const char *state,
			      const char *secret_from);
static struct tc_res *post_key(const char *path, const char *tok,
			       const char *body, const char *key);

static const char *
job_create(const char *tok, const char *name, const char *extra,
	   const char *steps)
{
	struct tc_res *r = tc_req(
	    "POST", "/api/v1/jobs", tok,
	    tc_printf("{\"name\":%s,%s\"parameters\":["
		      "{\"name\":\"version\",\"type\":\"string\","
		      "\"required\":true,\"regex\":\"^[0-9.]+$\"},"
		      "{\"name\":\"count\",\"type\":\"integer\",\"min\":1,"
		      "\"max\":10,\"default\":3},"
		      "{\"name\":\"verbose\",\"type\":\"boolean\","
		      "\"default\":false},"
		      "{\"name\":\"env\",\"type\":\"choice\",\"choices\":"
		      "[\"prod\",\"stage\"]},"
		      "{\"name\":\"token\",\"type\":\"secret\","
		      "\"required\":true}],\"steps\":%s}",
		      tc_quote(name), extra, steps));

	if (!tc_status_is(r, 201, "create job %s", name))
		BAIL_OUT("cannot create a job");
	return tc_str(r, "id");
}

/* A run inserted whole in one statement with its three targets (T1
 * succeeded, T2 failed, T3 timed out), a step and a log line: the worker
 * only claims queued runs, so it never touches it. */
static const char *
run_insert(const char *job, const char *state, const char *secret_from)
{
	return tc_db_value(
	    "WITH r AS (INSERT INTO automation.runs (job_id, job_version, "
	    "job_name, state, params, secret_params, secret_binding, "
	    "key_version, started_at, finished_at) SELECT j.id, "
	    "j.current_version, j.name, $2, '{\"version\":\"1.0\"}', "
	    "s.secret_params, s.secret_binding, s.key_version, "
	    "now() - interval '1 minute', now() FROM automation.jobs j "
	    "LEFT JOIN automation.runs s ON s.id = $3::uuid "
	    "WHERE j.id = $1::uuid RETURNING id), "
	    "t AS (INSERT INTO automation.run_targets (run_id, target_id, "
	    "target_name, state, started_at, finished_at) SELECT r.id, "
	    "x.t::uuid, x.n, x.s, now() - interval '50 seconds', now() "
	    "FROM r, (VALUES ('" T1 "', 'one', 'succeeded'), "
	    "('" T2 "', 'two', 'failed'), ('" T3 "', 'three', 'timed_out')) "
	    "x(t, n, s) RETURNING id, run_id, target_name), "
	    "s AS (INSERT INTO automation.run_steps (run_id, run_target_id, "
	    "step_id, step_type, state, exit_code, stdout, stderr, "
	    "stdout_truncated, finished_at) SELECT t.run_id, t.id, 'wait', "
	    "'local.sleep', 'failed', 3, 'out of two', 'err', true, now() "
	    "FROM t WHERE t.target_name = 'two' RETURNING id, run_id) "
	    "INSERT INTO automation.run_files (run_id, run_step_id, path, "
	    "size, sha256, content) SELECT s.run_id, s.id, '/var/log/app.log', "
	    "4, encode(sha256('\\x00ff0a41'::bytea), 'hex'), "
	    "'\\x00ff0a41'::bytea FROM s RETURNING run_id",
	    job, state, secret_from, NULL);
}

static struct tc_res *
post_key(const char *path, const char *tok, const char *body, const char *key)
{
	return tc_req_opt(
	    "POST", path, tok, body,
	    &(struct tc_opt){.headers = (const char *const[]){
				 tc_printf("Idempotency-Key: %s", key), NULL}});
}

int
main(void)
{
	struct tc_user *op, *op2, *viewer;
	const char *tok, *job, *hold, *path, *run, *a, *b, *q, *old, *nrun;
	const char *secret, *key, *k2, *sched, *rt, *fid;
	struct tc_res *r;
	long long before, n;
	size_t i;
	char longkey[301];

	tc_init(62);
	op = tc_new_user("runop", "operator");
	op2 = tc_new_user("runop2", "operator");
	viewer = tc_new_user("runview", "viewer");
	if (op == NULL || op2 == NULL || viewer == NULL)
		BAIL_OUT("cannot create users");
	tok = op->token;
	job = job_create(tok, tc_name("runjob"), "",
			 "[{\"id\":\"a\",\"type\":\"local.noop\"}]");
	path = tc_printf("/api/v1/jobs/%s/runs", job);

	/* Parameter validation: a 422 on the path, nothing created. */
	before = tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			     "job_id = $1",
			     job, NULL);
	for (i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
		r = tc_req("POST", path, tok, bad_params[i].body);
		tc_problem_is(r, 422, "validation", "%s: 422",
			      bad_params[i].what);
		if (!ok(tc_has_field_error(r, bad_params[i].field),
			"%s: error on %s", bad_params[i].what,
			bad_params[i].field))
			diag("answer: %s", r->body);
	}
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "job_id = $1",
			   job, NULL),
	       "==", before, "no run was created by a bad request");
	tc_problem_is(tc_req("POST", tc_printf("/api/v1/jobs/%s/runs", NOID),
			     tok, "{\"params\":{}}"),
		      404, "not-found", "run of an unknown job");
	tc_problem_is(
	    tc_req("POST", path, viewer->token,
		   "{\"params\":{\"version\":\"1\",\"token\":\"x\"}}"),
	    403, "forbidden", "a viewer cannot start a run");

	/* A run with a secret: sealed, never shown, never stored in clear. */
	secret = tc_printf("s3cr3t-%d-'\"$(id)", (int)getpid());
	r = tc_req("POST", path, tok,
		   tc_printf("{\"params\":{\"version\":\"1.2.3\",\"env\":"
			     "\"stage\",\"token\":%s}}",
			     tc_quote(secret)));
	tc_status_is(r, 201, "start a run");
	run = tc_str(r, "id");
	like(tc_header(r, "Location"), "^/api/v1/runs/", "... Location");
	is(tc_str(r, "state"), "queued", "... queued");
	is(tc_str(r, "trigger"), "api", "... trigger api");
	like(tc_str(r, "created_at"), "^20[0-9-]+T[0-9:.]+Z$",
	     "... created_at in RFC 3339");
	is(tc_str(r, "targets_total"), "0", "... no targets expanded yet");
	is(tc_str(r, "job_version"), "1", "... of version 1");
	is(tc_str(r, "params.version"), "1.2.3", "... params given");
	is(tc_str(r, "params.count"), "3", "... integer default filled in");
	is(tc_str(r, "params.verbose"), "false", "... boolean default");
	ok(tc_json(r->json, "params.token") == NULL,
	   "... the secret is not in params");
	is(tc_str(r, "secret_params.0"), "token", "... only its name is");
	ok(strstr(r->body, secret) == NULL, "... nor anywhere in the answer");
	is(tc_str(r, "created_by_name"), op->username, "... created_by_name");
	r = tc_get(viewer->token, "/api/v1/runs/%s", run);
	tc_status_is(r, 200, "a viewer reads the run");
	ok(strstr(r->body, secret) == NULL, "... without the secret");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE id = "
			   "$1 AND position(convert_to($2, 'UTF8') IN "
			   "secret_params) = 0 AND position($2 IN "
			   "params::text) = 0 AND position($2 IN "
			   "encode(secret_params, 'escape')) = 0 AND "
			   "secret_binding = 'run:' || id::text AND "
			   "key_version IS NOT NULL AND "
			   "length(secret_params) > length($2)",
			   run, secret, NULL),
	       "==", 1, "the database holds the secret sealed only");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "position($1 IN coalesce(after::text, '') || "
			   "coalesce(before::text, '')) > 0",
			   secret, NULL),
	       "==", 0, "no audit row holds the secret");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'run.create' AND entity_id = $1",
			   run, NULL),
	       "==", 1, "the run's creation is audited");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events WHERE run_id = "
			   "$1 AND type = 'run'",
			   run, NULL),
	       ">=", 1, "an event announced it");

	/* Idempotency-Key. */
	key = tc_name("idem");
	before = tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			     "job_id = $1",
			     job, NULL);
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"2\",\"token\":\"t\"}}", key);
	tc_status_is(r, 201, "a run with an Idempotency-Key");
	a = tc_str(r, "id");
	ok(tc_header(r, "Idempotent-Replayed") == NULL, "... not a replay");
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"2\",\"token\":\"t\"}}", key);
	tc_status_is(r, 201, "the same request again");
	is(tc_str(r, "id"), a, "... answers the same run");
	is(tc_header(r, "Idempotent-Replayed"), "true", "... as a replay");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "job_id = $1",
			   job, NULL),
	       "==", before + 1, "... and created one run only");
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"3\",\"token\":\"t\"}}", key);
	tc_problem_is(r, 422, "idempotency-key-mismatch",
		      "the key with another body");
	r = post_key(tc_printf("/api/v1/jobs/%s/runs", NOID), tok,
		     "{\"params\":{\"version\":\"2\",\"token\":\"t\"}}", key);
	tc_problem_is(r, 422, "idempotency-key-mismatch",
		      "the key on another path");
	r = post_key(path, op2->token,
		     "{\"params\":{\"version\":\"2\",\"token\":\"t\"}}", key);
	tc_status_is(r, 201, "another user's key of the same name");
	isnt(tc_str(r, "id"), a, "... is another run");
	memset(longkey, 'k', 300);
	longkey[300] = '\0';
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"2\",\"token\":"
		     "\"t\"}}",
		     longkey);
	tc_problem_is(r, 400, "bad-request", "a key of 300 characters");
	k2 = tc_name("idem");
	r = post_key(path, tok, "{\"params\":{\"version\":\"x\"}}", k2);
	tc_problem_is(r, 422, "validation", "a bad request with a key");
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"4\",\"token\":\"t\"}}", k2);
	tc_status_is(r, 201, "... leaves the key free for a good one");
	tc_db_exec("UPDATE core.idempotency_keys SET created_at = now() - "
		   "interval '25 hours' WHERE key = $1",
		   key, NULL);
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"5\",\"token\":\"t\"}}", k2);
	tc_problem_is(r, 422, "idempotency-key-mismatch",
		      "a fresh key is still remembered");
	r = post_key(path, tok,
		     "{\"params\":{\"version\":\"6\",\"token\":\"t\"}}", key);
	tc_status_is(r, 201, "a key older than 24 h is free again");
	isnt(tc_str(r, "id"), a, "... for a new run");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.idempotency_keys WHERE "
			   "key = $1 AND principal = $2",
			   key, op2->id, NULL),
	       "==", 0, "... and the other old one was deleted");

	/* Concurrent duplicates: the second waits for the first and
	 * replays it. */
	for (i = 0; i < 3; i++) {
		int fds[2], status = 0;
		char got[64] = "";
		const char *ck = tc_name("conc");
		const char *cb =
		    "{\"params\":{\"version\":\"7\",\"token\":\"t\"}}";
		pid_t pid;
		ssize_t nr;

		before = tc_db_count("SELECT count(*) FROM automation.runs "
				     "WHERE job_id = $1",
				     job, NULL);
		if (pipe(fds) < 0)
			BAIL_OUT("pipe");
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			/* its own connection, from its own address */
			struct tc_res *cr = tc_req_opt(
			    "POST", path, tok, cb,
			    &(struct tc_opt){
				.source = "127.0.0.64",
				.headers = (const char *const[]){
				    tc_printf("Idempotency-Key: %s", ck),
				    NULL}});
			const char *cid =
			    cr->status == 201 ? tc_str(cr, "id") : "failed";

			nr = write(fds[1], cid, strlen(cid));
			_exit(nr > 0 ? 0 : 1);
		}
		close(fds[1]);
		r = post_key(path, tok, cb, ck);
		nr = read(fds[0], got, sizeof(got) - 1);
		got[nr > 0 ? nr : 0] = '\0';
		close(fds[0]);
		waitpid(pid, &status, 0);
		tc_status_is(r, 201, "concurrent duplicate %zu: 201", i);
		is(got, tc_str(r, "id"), "... both answers name one run");
		cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs "
				   "WHERE job_id = $1",
				   job, NULL),
		       "==", before + 1, "... and one run was created");
	}

	/* Cancel: a queued run at once; a running one flagged. */
	hold = job_create(tok, tc_name("hold"), "\"allow_overlap\":false,",
			  "[{\"id\":\"w\",\"type\":\"local.sleep\","
			  "\"inputs\":{\"seconds\":3600}}]");
	r = tc_req("POST", tc_printf("/api/v1/jobs/%s/runs", hold), tok,
		   "{\"params\":{\"version\":\"1\",\"token\":\"t\"}}");
	tc_status_is(r, 201, "a run that holds the job");
	a = tc_str(r, "id");
	tc_db_exec("UPDATE automation.runs SET state = 'running', "
		   "started_at = now(), lease_owner = coalesce(lease_owner, "
		   "'test'), lease_expires_at = now() + interval '1 hour' "
		   "WHERE id = $1 AND state = 'queued'",
		   a, NULL);
	r = tc_req("POST", tc_printf("/api/v1/jobs/%s/runs", hold), tok,
		   "{\"params\":{\"version\":\"1\",\"token\":\"t\"}}");
	tc_status_is(r, 201, "a second run waits (no overlap)");
	b = tc_str(r, "id");
	tc_problem_is(tc_req("POST", tc_printf("/api/v1/runs/%s/cancel", b),
			     viewer->token, NULL),
		      403, "forbidden", "a viewer cannot cancel");
	r = tc_req("POST", tc_printf("/api/v1/runs/%s/cancel", b), tok, NULL);
	tc_status_is(r, 202, "cancel the queued run");
	is(tc_str(r, "state"), "canceled", "... canceled at once");
	is(tc_str(r, "cancel_requested"), "true", "... flagged");
	if (!ok(tc_str(r, "finished_at") != NULL, "... finished"))
		diag("answer: %s", r->body);
	tc_problem_is(
	    tc_req("POST", tc_printf("/api/v1/runs/%s/cancel", b), tok, NULL),
	    409, "conflict", "cancel it again");
	r = tc_req("POST", tc_printf("/api/v1/runs/%s/cancel", a), tok, NULL);
	tc_status_is(r, 202, "cancel the running run");
	is(tc_str(r, "cancel_requested"), "true", "... flagged for the worker");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'run.cancel' AND entity_id IN ($1, $2)",
			   a, b, NULL),
	       "==", 2, "cancels are audited");
	tc_problem_is(tc_req("POST", tc_printf("/api/v1/runs/%s/cancel", NOID),
			     tok, NULL),
		      404, "not-found", "cancel an unknown run");

	/* Retry: only the failed and timed-out targets, same parameters,
	 * the sealed secrets unchanged. */
	old = run_insert(job, "failed", run);
	ok(old != NULL, "a failed run inserted");
	tc_problem_is(tc_req("POST", tc_printf("/api/v1/runs/%s/retry", old),
			     viewer->token, NULL),
		      403, "forbidden", "a viewer cannot retry");
	r = tc_req("POST", tc_printf("/api/v1/runs/%s/retry", old), tok, NULL);
	tc_status_is(r, 201, "retry the failed run");
	nrun = tc_str(r, "id");
	is(tc_str(r, "trigger"), "retry", "... trigger retry");
	is(tc_str(r, "retry_of"), old, "... retry_of the old run");
	is(tc_str(r, "state"), "queued", "... queued");
	is(tc_str(r, "params.version"), "1.0", "... the same parameters");
	cmp_ok((long long)json_object_array_length(
		   tc_json(r->json, "target_selection.targets")),
	       "==", 2, "... two targets");
	q = tc_printf("%s %s", tc_str(r, "target_selection.targets.0"),
		      tc_str(r, "target_selection.targets.1"));
	ok(strcmp(q, T2 " " T3) == 0 || strcmp(q, T3 " " T2) == 0,
	   "... the failed and the timed-out one (%s)", q);
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs n, "
			   "automation.runs o WHERE n.id = $1 AND o.id = $2 "
			   "AND n.secret_params = o.secret_params AND "
			   "n.secret_binding = o.secret_binding AND "
			   "n.secret_binding = 'run:' || $3 AND "
			   "n.key_version = o.key_version",
			   nrun, old, run, NULL),
	       "==", 1, "... the sealed secrets and their binding copied");
	run_insert(job, "succeeded", run);
	q = tc_db_value("SELECT id::text FROM automation.runs WHERE job_id = "
			"$1 AND state = 'succeeded' ORDER BY created_at DESC "
			"LIMIT 1",
			job, NULL);
	tc_db_exec("UPDATE automation.run_targets SET state = 'succeeded' "
		   "WHERE run_id = $1",
		   q, NULL);
	tc_problem_is(
	    tc_req("POST", tc_printf("/api/v1/runs/%s/retry", q), tok, NULL),
	    409, "conflict", "retry a run with no failed target");
	tc_problem_is(
	    tc_req("POST", tc_printf("/api/v1/runs/%s/retry", a), tok, NULL),
	    409, "conflict", "retry a running run");

	/* Detail, log and files of the inserted run. */
	r = tc_get(viewer->token, "/api/v1/runs/%s", old);
	tc_status_is(r, 200, "read the failed run");
	cmp_ok((long long)json_object_array_length(tc_json(r->json, "targets")),
	       "==", 3, "... three targets");
	for (i = 0; i < 3; i++)
		if (strcmp(tc_jstr(tc_json(r->json, "targets"),
				   tc_printf("%zu.target_name", i)),
			   "two") == 0)
			break;
	rt = tc_printf("targets.%zu", i);
	is(tc_str(r, tc_printf("%s.state", rt)), "failed", "... two failed");
	is(tc_str(r, tc_printf("%s.steps.0.stdout", rt)), "out of two",
	   "... its step's stdout");
	is(tc_str(r, tc_printf("%s.steps.0.exit_code", rt)), "3",
	   "... exit code");
	is(tc_str(r, tc_printf("%s.steps.0.stdout_truncated", rt)), "true",
	   "... truncated flag");
	ok(tc_int(r, tc_printf("%s.duration_ms", rt), -1) >= 49000,
	   "... a duration");
	fid = tc_str(r, "files.0.id");
	is(tc_str(r, "files.0.path"), "/var/log/app.log", "... a file");
	r = tc_get(viewer->token, "/api/v1/runs/%s/files/%s", old, fid);
	tc_status_is(r, 200, "download the run's file");
	ok(r->body_len == 4 && memcmp(r->body, "\x00\xff\x0a\x41", 4) == 0,
	   "... its four bytes");
	like(tc_header(r, "Content-Disposition"), "filename=\"app.log\"",
	     "... named after the remote file");
	tc_problem_is(
	    tc_get(viewer->token, "/api/v1/runs/%s/files/%s", run, fid), 404,
	    "not-found", "the file under another run");
	for (i = 0; i < 3; i++)
		tc_db_value("SELECT automation.log_append($1, NULL, 'wait', "
			    "'stdout', $2)",
			    old, tc_printf("chunk %zu\n", i), NULL);
	r = tc_get(viewer->token, "/api/v1/runs/%s/log?limit=2", old);
	tc_status_is(r, 200, "the log");
	cmp_ok((long long)json_object_array_length(tc_json(r->json, "items")),
	       "==", 2, "... two chunks");
	is(tc_str(r, "items.0.data"), "chunk 0\n", "... in order");
	is(tc_str(r, "items.0.stream"), "stdout", "... with the stream");
	is(tc_str(r, "next"), tc_str(r, "items.1.offset"),
	   "... next is the last offset");
	r = tc_get(viewer->token, "/api/v1/runs/%s/log?after=%s", old,
		   tc_str(r, "next"));
	tc_status_is(r, 200, "the rest of the log");
	cmp_ok((long long)json_object_array_length(tc_json(r->json, "items")),
	       "==", 1, "... one chunk");
	is(tc_str(r, "items.0.data"), "chunk 2\n", "... the third");
	r = tc_get(viewer->token, "/api/v1/runs/%s/log?after=%s", old,
		   tc_str(r, "next"));
	cmp_ok((long long)json_object_array_length(tc_json(r->json, "items")),
	       "==", 0, "... then nothing");
	tc_problem_is(tc_get(tok, "/api/v1/runs/%s/log", NOID), 404,
		      "not-found", "log of an unknown run");
	tc_problem_is(tc_get(tok, "/api/v1/runs/%s/log?limit=0", old), 422,
		      "validation", "log limit 0");

	/* List filters. */
	r = tc_get(viewer->token, "/api/v1/runs?job=%s&limit=200", job);
	tc_status_is(r, 200, "runs of the job");
	n = tc_db_count("SELECT count(*) FROM automation.runs WHERE job_id = "
			"$1",
			job, NULL);
	cmp_ok(tc_int(r, "total", -1), "==", n, "... all of them");
	/* The worker runs the retry too (its targets do not exist: it
	 * fails); wait for it so the counts below hold still. */
	for (i = 0; i < 200 && tc_db_count("SELECT count(*) FROM "
					   "automation.runs WHERE id = $1 AND "
					   "state IN ('queued', 'running')",
					   nrun, NULL) != 0;
	     i++)
		usleep(50 * 1000);
	r = tc_get(viewer->token, "/api/v1/runs?job=%s&status=failed", job);
	cmp_ok(tc_int(r, "total", -1), "==",
	       tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "job_id = $1 AND state = 'failed'",
			   job, NULL),
	       "status=failed: the failed");
	q = tc_printf("%s %s", tc_str(r, "items.0.id"),
		      tc_str(r, "items.1.id") ? tc_str(r, "items.1.id") : "");
	ok(strstr(q, old) != NULL, "... the failed one among them");
	r = tc_get(viewer->token, "/api/v1/runs?job=%s&status=canceled", hold);
	cmp_ok(tc_int(r, "total", -1), "==", 1, "status=canceled: one");
	r = tc_get(viewer->token, "/api/v1/runs?job=%s&created_by=%s", job,
		   op2->id);
	cmp_ok(tc_int(r, "total", -1), "==", 1, "created_by the other user");
	r = tc_get(viewer->token,
		   "/api/v1/runs?job=%s&since=2999-01-01T00:00:00Z", job);
	cmp_ok(tc_int(r, "total", -1), "==", 0, "since the future: none");
	r = tc_get(viewer->token,
		   "/api/v1/runs?job=%s&until=2999-01-01T00:00:00Z", job);
	cmp_ok(tc_int(r, "total", -1), "==", n, "until the future: all");
	r = tc_get(viewer->token,
		   "/api/v1/runs?job=%s&until=2000-01-01T00:00:00Z", job);
	cmp_ok(tc_int(r, "total", -1), "==", 0, "until the past: none");
	sched = "44444444-4444-4444-8444-444444444444";
	tc_db_exec("SET session_replication_role = replica", NULL);
	tc_db_exec("UPDATE automation.runs SET schedule_id = $2::uuid, "
		   "trigger = 'schedule' WHERE id = $1",
		   old, sched, NULL);
	tc_db_exec("SET session_replication_role = DEFAULT", NULL);
	r = tc_get(viewer->token, "/api/v1/runs?schedule=%s", sched);
	cmp_ok(tc_int(r, "total", -1), "==", 1, "schedule filter: one");
	is(tc_str(r, "items.0.schedule_id"), sched, "... of that schedule");
	r = tc_get(viewer->token, "/api/v1/runs?job=%s&limit=1", job);
	ok(tc_str(r, "next") != NULL, "a page with a cursor to the next");
	r = tc_get(viewer->token, "/api/v1/runs?job=%s&limit=1&cursor=%s", job,
		   tc_str(r, "next"));
	tc_status_is(r, 200, "... which reads the second page");
	tc_problem_is(tc_get(viewer->token, "/api/v1/runs?status=done"), 422,
		      "validation", "an unknown status");
	tc_problem_is(tc_get(viewer->token, "/api/v1/runs?job=x"), 422,
		      "validation", "a job that is not a uuid");
	tc_problem_is(tc_get(viewer->token, "/api/v1/runs?since=yesterday"),
		      422, "validation", "a since that is not a time");
	tc_problem_is(tc_get(viewer->token, "/api/v1/runs/%s", NOID), 404,
		      "not-found", "an unknown run");

	/* An SSH job's run cannot drop every target. */
	job = job_create(
	    tok, tc_name("sshjob"), "\"targets\":{\"tags\":[\"web\"]},",
	    "[{\"id\":\"c\",\"type\":\"ssh.command\",\"inputs\":{\"command\":"
	    "\"echo {{ params.version }}\"}}]");
	r = tc_req("POST", tc_printf("/api/v1/jobs/%s/runs", job), tok,
		   "{\"params\":{\"version\":\"1\",\"token\":\"t\"},"
		   "\"targets\":{\"tags\":[]}}");
	tc_problem_is(r, 422, "validation", "an SSH run with no targets");
	ok(tc_has_field_error(r, "targets"), "... on targets");

	/* Tidy: nothing left queued or running for a worker. */
	tc_db_exec("UPDATE automation.runs SET cancel_requested = true WHERE "
		   "job_id IN (SELECT id FROM automation.jobs WHERE "
		   "created_by = $1::uuid) AND state IN ('queued', "
		   "'running')",
		   op->id, NULL);
	tc_done();
	return done_testing();
}
