/* The run engine's SQL: claims (batched, SKIP LOCKED, no overlap where a
 * job forbids it), target expansion, lease renewal, completion (one
 * statement per batch on the fast path) and recovery of lost runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "run.h"
#include "task.h"

/* A claimed run's target selection (its own, else its job's), and
 * whether it selects nothing: no member is a non-empty array. Such a run
 * runs on the local pseudo-target alone. */
#define RUN_DB_SEL "coalesce(r.targets, v.definition->'targets', '{}')"
#define RUN_DB_LOCAL                                                         \
	"NOT EXISTS (SELECT 1 FROM jsonb_each(CASE jsonb_typeof(" RUN_DB_SEL \
	") WHEN 'object' THEN " RUN_DB_SEL " ELSE '{}' END) e WHERE "        \
	"jsonb_typeof(e.value) = 'array' AND jsonb_array_length(e.value) > 0)"
/* Runs the fast path does not take (runs.fast, sql/010: a step other
 * than local.noop, or a target to run on). A run that selects no target
 * gets its local target here too (inserted unless an earlier attempt
 * did), returned with it: the claim is one statement for such a run, and
 * run_db_expand has nothing left to do. */
static const struct db_stmt run_db_claim_stmt = {
    "run_db_claim",
    "WITH c AS (UPDATE automation.runs r SET state = 'running', "
    "lease_owner = $1, lease_token = gen_random_uuid(), "
    "lease_expires_at = now() + make_interval(secs => $2::int), "
    "attempts = r.attempts + 1, "
    "started_at = coalesce(r.started_at, clock_timestamp()), "
    "targets_total = CASE WHEN " RUN_DB_LOCAL " THEN 1 ELSE "
    "r.targets_total END "
    "FROM automation.job_versions v "
    "WHERE v.job_id = r.job_id AND v.version = r.job_version AND r.id IN ("
    " SELECT q.id FROM automation.runs q JOIN automation.job_versions qv "
    " ON qv.job_id = q.job_id AND qv.version = q.job_version "
    " WHERE q.state = 'queued' AND NOT q.fast "
    " AND (coalesce((qv.definition->>'allow_overlap')::boolean, true) OR ("
    "  NOT EXISTS (SELECT 1 FROM automation.runs o WHERE o.job_id = "
    "  q.job_id AND o.state = 'running') AND NOT EXISTS (SELECT 1 FROM "
    "  automation.runs o WHERE o.job_id = q.job_id AND o.state = "
    "  'queued' AND (o.created_at, o.id) < (q.created_at, q.id)))) "
    " ORDER BY q.created_at LIMIT $3::int FOR UPDATE OF q SKIP LOCKED) "
    "RETURNING r.id, r.job_id, v.definition::text AS def, "
    "r.params::text AS params, encode(r.secret_params, 'hex') AS secret, "
    "r.secret_binding, r.attempts, r.cancel_requested, " RUN_DB_SEL
    "::text AS sel, greatest(0, extract(epoch FROM r.started_at + "
    "make_interval(secs => coalesce((v.definition->>'timeout_s')::int, "
    "3600)) - clock_timestamp()) * 1000)::bigint AS left_ms, "
    "r.lease_token, " RUN_DB_LOCAL " AS local, r.created_at), "
    "l AS (INSERT INTO automation.run_targets (run_id, target_name) "
    "SELECT c.id, 'local' FROM c WHERE c.local AND NOT EXISTS (SELECT 1 "
    "FROM automation.run_targets x WHERE x.run_id = c.id) RETURNING run_id, "
    "id, state, error) "
    "SELECT c.id, c.job_id, c.def, c.params, c.secret, c.secret_binding, "
    "c.attempts, c.cancel_requested, c.sel, c.left_ms, c.lease_token, "
    "c.local, coalesce(l.id, x.id), coalesce(l.state, x.state), "
    "coalesce(l.error, x.error, '') FROM c LEFT JOIN l ON l.run_id = c.id "
    "LEFT JOIN automation.run_targets x ON c.local AND l.id IS NULL AND "
    "x.run_id = c.id ORDER BY c.created_at",
    3};

/* The fast path's claim: locks queued all-local.noop runs in the claim
 * transaction, which then completes them (run_db_finish_fast) and commits:
 * they go from queued to succeeded with no side effect in between. The
 * job version is looked up per run taken (subqueries), so the scan stops
 * at the batch's size in the queue's order. */
static const struct db_stmt run_db_claim_fast_stmt = {
    "run_db_claim_fast",
    "SELECT q.id, q.job_id, (SELECT v.definition::text FROM "
    "automation.job_versions v WHERE v.job_id = q.job_id AND v.version = "
    "q.job_version), '{}', NULL, NULL, q.attempts + 1, q.cancel_requested, "
    "'{}', 0 FROM automation.runs q WHERE q.state = 'queued' AND q.fast "
    "AND ((SELECT coalesce((v.definition->>'allow_overlap')::boolean, true) "
    " FROM automation.job_versions v WHERE v.job_id = q.job_id AND "
    " v.version = q.job_version) OR ("
    "  NOT EXISTS (SELECT 1 FROM automation.runs o WHERE o.job_id = "
    "  q.job_id AND o.state = 'running') AND NOT EXISTS (SELECT 1 FROM "
    "  automation.runs o WHERE o.job_id = q.job_id AND o.state = "
    "  'queued' AND (o.created_at, o.id) < (q.created_at, q.id)))) "
    "ORDER BY q.created_at LIMIT $1::int FOR UPDATE OF q SKIP LOCKED",
    1};

/* A selection's targets: listed targets, members of listed groups
 * (static members, dynamic filters as assets.filter_match), and targets
 * with all the listed tags; enabled ones only. Made once (an earlier
 * attempt's rows are kept) and returned in order, the run's targets_total
 * set: one statement. The rows inserted are not in the statement's
 * snapshot of run_targets, so they are added from RETURNING (there were
 * none before when there are any). */
static const struct db_stmt run_db_expand_stmt = {
    "run_db_expand",
    "WITH ins AS (INSERT INTO automation.run_targets (run_id, target_id, "
    "target_name, host) SELECT $1::uuid, t.id, t.name, t.host FROM "
    "assets.targets t WHERE t.enabled AND NOT EXISTS (SELECT 1 FROM "
    "automation.run_targets x WHERE x.run_id = $1::uuid) AND ("
    " t.id IN (SELECT jsonb_array_elements_text(coalesce($2::jsonb->"
    " 'targets', '[]'))::uuid) "
    " OR t.id IN (SELECT m.target_id FROM assets.group_members m JOIN "
    " assets.groups g ON g.id = m.group_id WHERE NOT g.dynamic AND "
    " g.id IN (SELECT jsonb_array_elements_text(coalesce($2::jsonb->"
    " 'groups', '[]'))::uuid)) "
    " OR EXISTS (SELECT 1 FROM assets.groups g WHERE g.dynamic AND g.id IN "
    " (SELECT jsonb_array_elements_text(coalesce($2::jsonb->'groups', "
    " '[]'))::uuid) AND assets.filter_match(t.tags, t.os, t.name, "
    " g.filter)) "
    " OR (jsonb_array_length(coalesce($2::jsonb->'tags', '[]')) > 0 AND "
    " t.tags @> ARRAY(SELECT jsonb_array_elements_text($2::jsonb->"
    " 'tags')))) ORDER BY t.name "
    "RETURNING id, target_id, target_name, state, error), "
    "t AS (SELECT id, target_id, target_name, state, error FROM "
    "automation.run_targets WHERE run_id = $1::uuid UNION ALL SELECT * FROM "
    "ins), u AS (UPDATE automation.runs SET targets_total = (SELECT "
    "count(*) FROM t) WHERE id = $1::uuid) SELECT id, "
    "coalesce(target_id::text, ''), target_name, state, coalesce(error, "
    "'') FROM t ORDER BY target_name, id",
    2};
static const struct db_stmt run_db_renew_stmt = {
    "run_db_renew",
    "UPDATE automation.runs SET lease_expires_at = now() + "
    "make_interval(secs => $2::int) WHERE (id, lease_token) IN (SELECT * "
    "FROM unnest($1::uuid[], $3::uuid[])) AND state = 'running' "
    "RETURNING id, cancel_requested",
    3};
static const struct db_stmt run_db_finish_stmt = {
    "run_db_finish",
    "UPDATE automation.runs SET state = $2, error = $3, "
    "targets_succeeded = $4::int, targets_failed = $5::int, "
    "finished_at = clock_timestamp(), lease_owner = NULL, "
    "lease_token = NULL, lease_expires_at = NULL WHERE id = $1::uuid AND "
    "lease_token = $6::uuid AND "
    "state = 'running'",
    6};
/* The fast path: a local target and its steps (all local.noop) recorded
 * as done, and the runs finished, for a whole batch at once, in the
 * transaction that locked them. $1 run ids, $2 the canceled ones among
 * them, $3/$4 (run id, step id) per step in order. The runs are found by
 * their key (= ANY), whatever the planner guesses of the arrays' sizes. */
static const struct db_stmt run_db_fast_stmt = {
    "run_db_fast",
    "WITH r AS (SELECT run_id, run_id = ANY($2::uuid[]) AS canceled FROM "
    "unnest($1::uuid[]) AS r(run_id)), "
    "tg AS (INSERT INTO automation.run_targets (run_id, target_name, "
    "state, started_at, finished_at) SELECT run_id, 'local', CASE WHEN "
    "canceled THEN 'canceled' ELSE 'succeeded' END, clock_timestamp(), "
    "clock_timestamp() FROM r RETURNING id, run_id, state), "
    "st AS (INSERT INTO automation.run_steps (run_id, run_target_id, "
    "step_id, step_type, state, exit_code, finished_at) SELECT s.run_id, "
    "tg.id, s.step_id, 'local.noop', 'succeeded', 0, clock_timestamp() "
    "FROM unnest($3::uuid[], $4::text[]) WITH ORDINALITY AS s(run_id, "
    "step_id, n) JOIN tg ON tg.run_id = s.run_id AND tg.state = "
    "'succeeded' ORDER BY s.n RETURNING 1) "
    "UPDATE automation.runs u SET state = CASE WHEN u.id = ANY($2::uuid[]) "
    "THEN 'canceled' ELSE 'succeeded' END, targets_total = 1, "
    "targets_succeeded = CASE WHEN u.id = ANY($2::uuid[]) THEN 0 ELSE 1 "
    "END, attempts = u.attempts + 1, started_at = coalesce(u.started_at, "
    "clock_timestamp()), finished_at = clock_timestamp() "
    "WHERE u.id = ANY($1::uuid[]) AND u.state = 'queued' AND "
    "(SELECT count(*) FROM st) >= 0",
    4};
/* Runs whose worker died (lease expired): canceled when asked, requeued
 * while attempts remain (on_worker_lost "retry"), else failed. Their
 * unfinished steps and targets are closed with the reason. */
static const struct db_stmt run_db_recover_stmt = {
    "run_db_recover",
    "WITH lost AS (UPDATE automation.runs r SET "
    "state = CASE WHEN r.cancel_requested THEN 'canceled' "
    "WHEN r.attempts < r.max_attempts THEN 'queued' ELSE 'failed' END, "
    "error = CASE WHEN r.cancel_requested OR r.attempts < r.max_attempts "
    "THEN r.error ELSE 'worker lost: its lease expired after ' || "
    "r.attempts || ' attempt(s)' END, "
    "finished_at = CASE WHEN r.cancel_requested OR r.attempts >= "
    "r.max_attempts THEN clock_timestamp() END, "
    "targets_failed = CASE WHEN r.cancel_requested OR r.attempts < "
    "r.max_attempts THEN r.targets_failed ELSE r.targets_total - "
    "r.targets_succeeded END, "
    "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL "
    "WHERE r.id IN (SELECT id FROM automation.runs WHERE state = "
    "'running' AND lease_expires_at < now() FOR UPDATE SKIP LOCKED) "
    "RETURNING r.id, r.state), "
    "st AS (UPDATE automation.run_steps s SET state = 'failed', error = "
    "'worker lost', finished_at = clock_timestamp() FROM lost WHERE "
    "s.run_id = lost.id AND s.state = 'running' RETURNING s.id), "
    "tg AS (UPDATE automation.run_targets t SET state = CASE lost.state "
    "WHEN 'queued' THEN 'queued' WHEN 'canceled' THEN 'canceled' ELSE "
    "'failed' END, error = CASE lost.state WHEN 'queued' THEN NULL ELSE "
    "'worker lost' END, finished_at = CASE lost.state WHEN 'queued' THEN "
    "NULL ELSE clock_timestamp() END FROM lost WHERE t.run_id = lost.id "
    "AND t.state IN ('queued', 'running') RETURNING t.id) "
    "SELECT lost.id::text, lost.state, (SELECT count(*) FROM st), "
    "(SELECT count(*) FROM tg) FROM lost",
    0};

static int run_db_ids(struct buf *b, struct run *const *runs, int n,
		      int tokens);
static void run_db_target(struct run_target *t, struct run *r, const char *id,
			  const char *target_id, const char *name,
			  const char *state, const char *error);
static void run_db_elem(struct buf *b, int i, const char *s);

/* Appends s as an element of an array literal ("..." with \ escapes). */
static void
run_db_elem(struct buf *b, int i, const char *s)
{
	buf_puts(b, i ? ",\"" : "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_puts(b, "\\");
		buf_append(b, s, 1);
	}
	buf_puts(b, "\"");
}

void
run_free(struct run *r)
{
	if (r == NULL)
		return;
	json_object_put(r->def);
	json_object_put(r->params);
	json_object_put(r->secrets);
	free(r->targets);
	free(r);
}

/* The claims for the threads serialise on this lock (held to commit), so
 * a worker claiming a run of a job that forbids overlap sees the runs
 * other workers claimed; the claim is the next statement, with a snapshot
 * taken after the lock.
 *
 * Their commit does not wait for its WAL flush (about 0.9 ms on a small
 * VM, most of a new run's way to its first step). The first write that
 * matters after it, the first step's start, is a commit that waits for
 * its own flush, and so for the claim's, which precedes it in the WAL: no
 * step runs on a claim that is not durable. A claim lost with a database
 * crash puts the run back in the queue; whoever claims it then gets a new
 * token (sql/017), and the first claim's executor, retrying its step
 * start after the crash, finds its token gone and stops. */
static const struct db_stmt run_db_claim_lock_stmt = {
    "run_db_claim_lock",
    "SELECT set_config('synchronous_commit', 'off', true), "
    "pg_advisory_xact_lock(7406384520631772002)",
    0};

int
run_db_claim_end(struct db *db, int commit)
{
	if (commit && db_command(db, "COMMIT") == 0)
		return 0;
	db_command(db, "ROLLBACK");
	return -1;
}

int
run_db_claim(struct db *db, struct run **runs, int max, int lease_s, int fast)
{
	char lease[16], limit[16], aad[300];
	const char *hex, *binding;
	PGresult *res, *lock_res[2];
	struct run *r;
	int i, n;

	snprintf(lease, sizeof(lease), "%d", lease_s);
	snprintf(limit, sizeof(limit), "%d", max);
	/* BEGIN, (the lock,) the claim: one round trip. */
	if (fast) {
		if (db_exec_begin(db, 1,
				  (const struct db_stmt *const[]){
				      &run_db_claim_fast_stmt},
				  (const char *const *const[]){
				      DB_PARAMS(limit)},
				  &res, NULL) < 0)
			return -1;
	} else {
		if (db_exec_begin(db, 2,
				  (const struct db_stmt *const[]){
				      &run_db_claim_lock_stmt,
				      &run_db_claim_stmt},
				  (const char *const *const[]){
				      NULL, DB_PARAMS(task_owner(), lease,
						      limit)},
				  lock_res, NULL) < 0)
			return -1;
		PQclear(lock_res[0]);
		res = lock_res[1];
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			abort();
		snprintf(r->id, sizeof(r->id), "%s", PQgetvalue(res, i, 0));
		snprintf(r->job_id, sizeof(r->job_id), "%s",
			 PQgetvalue(res, i, 1));
		r->def = json_tokener_parse(PQgetvalue(res, i, 2));
		r->params = json_tokener_parse(PQgetvalue(res, i, 3));
		hex = db_value(res, i, 4);
		binding = db_value(res, i, 5);
		if (hex != NULL && !fast) {
			snprintf(aad, sizeof(aad), "%s",
				 binding ? binding : "");
			r->secrets = run_secret_open(hex, aad, r->secret_error,
						     sizeof(r->secret_error));
		}
		r->attempts = atoi(PQgetvalue(res, i, 6));
		r->canceled = PQgetvalue(res, i, 7)[0] == 't';
		r->cancel = r->canceled;
		r->deadline_ms = run_now_ms() + atoll(PQgetvalue(res, i, 9));
		if (!fast)
			snprintf(r->token, sizeof(r->token), "%s",
				 PQgetvalue(res, i, 10));
		if (!fast && PQgetvalue(res, i, 11)[0] == 't') {
			/* No selection: the local target came with the
			 * claim. */
			r->targets = calloc(1, sizeof(*r->targets));
			if (r->targets == NULL)
				abort();
			run_db_target(&r->targets[0], r, PQgetvalue(res, i, 12),
				      "", "local", PQgetvalue(res, i, 13),
				      PQgetvalue(res, i, 14));
			r->ntargets = 1;
		} else if (r->params != NULL) {
			/* The selection is kept in params under a name no
			 * parameter can have until the targets are
			 * expanded. */
			json_object_object_add(
			    r->params, " targets",
			    json_tokener_parse(PQgetvalue(res, i, 8)));
		}
		runs[i] = r;
	}
	PQclear(res);
	return n;
}

/* A target of a run as the database has it; one that an earlier attempt
 * (of a worker that died) ended keeps its outcome. */
static void
run_db_target(struct run_target *t, struct run *r, const char *id,
	      const char *target_id, const char *name, const char *state,
	      const char *error)
{
	t->run = r;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->target_id, sizeof(t->target_id), "%s", target_id);
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0) {
		t->finished = 1;
		t->outcome = state[0] == 's' ? RUN_SUCCEEDED : RUN_FAILED;
		snprintf(t->error, sizeof(t->error), "%s", error);
	}
}

int
run_db_expand(struct db *db, struct run *r)
{
	json_object *sel = NULL;
	PGresult *res;
	int i, n;

	if (r->targets != NULL)
		return 0; /* the local target, from the claim */
	json_object_object_get_ex(r->params, " targets", &sel);
	res = db_exec(db, &run_db_expand_stmt,
		      DB_PARAMS(r->id, sel != NULL
					   ? json_object_to_json_string(sel)
					   : "{}"),
		      NULL);
	json_object_object_del(r->params, " targets");
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	r->targets = calloc((size_t)(n ? n : 1), sizeof(*r->targets));
	if (r->targets == NULL)
		abort();
	for (i = 0; i < n; i++)
		run_db_target(&r->targets[i], r, PQgetvalue(res, i, 0),
			      PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			      PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
	r->ntargets = n;
	PQclear(res);
	return 0;
}

static int
run_db_ids(struct buf *b, struct run *const *runs, int n, int tokens)
{
	int i;

	buf_puts(b, "{");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? "," : "",
			   tokens ? runs[i]->token : runs[i]->id);
	return buf_puts(b, "}");
}

int
run_db_renew(struct db *db, struct run *const *held, int n, int lease_s)
{
	char lease[16];
	struct buf ids, tokens;
	PGresult *res;
	int i, j, *seen;

	if (n == 0)
		return 0;
	buf_init(&ids, (size_t)n * 40 + 16);
	buf_init(&tokens, (size_t)n * 40 + 16);
	run_db_ids(&ids, held, n, 0);
	run_db_ids(&tokens, held, n, 1);
	snprintf(lease, sizeof(lease), "%d", lease_s);
	res = db_exec(db, &run_db_renew_stmt,
		      DB_PARAMS(ids.data, lease, tokens.data), NULL);
	buf_cleanup(&ids);
	buf_cleanup(&tokens);
	if (res == NULL)
		return -1;
	seen = calloc((size_t)n, sizeof(*seen));
	if (seen == NULL)
		abort();
	for (i = 0; i < PQntuples(res); i++)
		for (j = 0; j < n; j++)
			if (strcmp(held[j]->id, PQgetvalue(res, i, 0)) == 0) {
				seen[j] = 1;
				if (PQgetvalue(res, i, 1)[0] == 't' &&
				    !held[j]->canceled) {
					held[j]->canceled = 1;
					held[j]->cancel = 1;
				}
			}
	/* Not ours any more (recovered by another worker after a long
	 * outage): stop without writing anything final. */
	for (j = 0; j < n; j++)
		if (!seen[j] && !held[j]->lease_lost) {
			log_msg(LOG_WARN, NULL, "run %s: lease lost",
				held[j]->id);
			held[j]->lease_lost = 1;
			held[j]->cancel = 1;
		}
	free(seen);
	PQclear(res);
	return 0;
}

int
run_db_finish(struct db *db, const struct run *r, enum run_state s)
{
	char ok[16], bad[16];
	PGresult *res;
	int i, nok = 0, nbad = 0, stored;

	for (i = 0; i < r->ntargets; i++) {
		if (r->targets[i].outcome == RUN_SUCCEEDED)
			nok++;
		else if (r->targets[i].outcome != RUN_QUEUED)
			nbad++;
	}
	snprintf(ok, sizeof(ok), "%d", nok);
	snprintf(bad, sizeof(bad), "%d", nbad);
	res = db_exec(db, &run_db_finish_stmt,
		      DB_PARAMS(r->id, run_state_name(s),
				r->error[0] ? r->error : NULL, ok, bad,
				r->token),
		      NULL);
	if (res == NULL)
		return -1;
	stored = atoi(PQcmdTuples(res)) == 1;
	PQclear(res);
	return stored;
}

int
run_db_finish_fast(struct db *db, struct run *const *runs, int n)
{
	struct buf ids, canceled, sruns, ssteps;
	int order[128], i, j, k, m, c, rc = -1;
	PGresult *res;
	json_object *steps, *st, *id;

	buf_init(&ids, (size_t)1 << 26);
	buf_init(&canceled, (size_t)1 << 26);
	buf_init(&sruns, (size_t)1 << 26);
	buf_init(&ssteps, (size_t)1 << 26);
	run_db_ids(&ids, runs, n, 0);
	buf_puts(&canceled, "{");
	buf_puts(&sruns, "{");
	buf_puts(&ssteps, "{");
	for (i = 0, j = 0, c = 0; i < n; i++) {
		if (runs[i]->canceled)
			buf_printf(&canceled, "%s%s", c++ ? "," : "",
				   runs[i]->id);
		if (runs[i]->canceled ||
		    !json_object_object_get_ex(runs[i]->def, "steps", &steps))
			continue;
		k = run_graph_success_path(runs[i]->def, order, 128);
		for (m = 0; m < k; m++) {
			st = json_object_array_get_idx(steps, (size_t)order[m]);
			if (!json_object_object_get_ex(st, "id", &id))
				continue;
			buf_printf(&sruns, "%s%s", j ? "," : "", runs[i]->id);
			run_db_elem(&ssteps, j, json_object_get_string(id));
			j++;
		}
	}
	buf_puts(&canceled, "}");
	buf_puts(&sruns, "}");
	buf_puts(&ssteps, "}");
	res = db_exec(db, &run_db_fast_stmt,
		      DB_PARAMS(ids.data, canceled.data, sruns.data, ssteps.data),
		      NULL);
	if (res != NULL) {
		rc = atoi(PQcmdTuples(res));
		PQclear(res);
	}
	buf_cleanup(&ids);
	buf_cleanup(&canceled);
	buf_cleanup(&sruns);
	buf_cleanup(&ssteps);
	return rc;
}

int
run_db_recover(struct db *db)
{
	PGresult *res = db_exec(db, &run_db_recover_stmt, NULL, NULL);
	int i, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		log_msg(LOG_WARN, NULL,
			"run %s: lease expired (worker lost), now %s",
			PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	PQclear(res);
	return n;
}
