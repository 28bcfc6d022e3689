/* The task queue in core.tasks: claims with FOR UPDATE SKIP LOCKED, leases,
 * completion, and recovery of tasks whose worker died. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "task.h"

static const char *const task_states[] = {"queued", "running", "succeeded",
					  "failed", "canceled"};

static const struct db_stmt task_claim_stmt = {
	"task_claim",
	"UPDATE core.tasks t SET state = 'running', lease_owner = $1, "
	"lease_expires_at = now() + make_interval(secs => $2::int), "
	"attempts = t.attempts + 1, started_at = coalesce(t.started_at, now()) "
	"WHERE t.id IN (SELECT id FROM core.tasks WHERE state = 'queued' AND "
	"run_after <= now() ORDER BY run_after, created_at LIMIT $3::int "
	"FOR UPDATE SKIP LOCKED) "
	"RETURNING t.id, t.kind, t.payload::text, t.attempts, "
	"t.cancel_requested",
	3};
static const struct db_stmt task_renew_stmt = {
	"task_renew",
	"UPDATE core.tasks SET lease_expires_at = now() + "
	"make_interval(secs => $2::int) "
	"WHERE id = ANY($1::uuid[]) AND lease_owner = $3 AND state = 'running' "
	"RETURNING id, cancel_requested",
	3};
static const struct db_stmt task_finish_stmt = {
	"task_finish",
	"UPDATE core.tasks SET state = $2, result = $3::jsonb, error = $4, "
	"finished_at = now(), lease_owner = NULL, lease_expires_at = NULL "
	"WHERE id = $1 AND lease_owner = $5 AND state = 'running'",
	5};
static const struct db_stmt task_release_stmt = {
	"task_release",
	"UPDATE core.tasks SET state = 'queued', lease_owner = NULL, "
	"lease_expires_at = NULL, attempts = greatest(attempts - 1, 0) "
	"WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
	2};
static const struct db_stmt task_recover_stmt = {
	"task_recover",
	"UPDATE core.tasks t SET "
	"state = CASE WHEN t.cancel_requested THEN 'canceled' "
	"WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'queued' END, "
	"error = CASE WHEN t.attempts >= t.max_attempts AND NOT "
	"t.cancel_requested THEN 'worker lost: its lease expired ' || "
	"t.attempts || ' time(s)' ELSE t.error END, "
	"finished_at = CASE WHEN t.attempts >= t.max_attempts OR "
	"t.cancel_requested THEN now() END, "
	"lease_owner = NULL, lease_expires_at = NULL "
	"WHERE t.id IN (SELECT id FROM core.tasks WHERE state = 'running' AND "
	"lease_expires_at < now() FOR UPDATE SKIP LOCKED) "
	"RETURNING t.id, t.kind, t.state",
	0};
static const struct db_stmt task_notify_stmt = {
	"task_notify",
	"SELECT core.event_emit('task', NULL, 'viewer', jsonb_build_object("
	"'id', $1::text, 'kind', $2::text, 'state', $3::text))",
	3};

const char *
task_state_name(enum task_state s)
{
	return task_states[s];
}

const char *
task_owner(void)
{
	static char owner[300];
	char host[256];

	if (owner[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "unknown");
		host[sizeof(host) - 1] = '\0';
		snprintf(owner, sizeof(owner), "worker:%s:%d", host,
			 (int)getpid());
	}
	return owner;
}

int
task_claim(struct db *db, struct task **tasks, int max, int lease_s)
{
	char lease[16], limit[16];
	PGresult *res;
	struct task *t;
	int i, n;

	snprintf(lease, sizeof(lease), "%d", lease_s);
	snprintf(limit, sizeof(limit), "%d", max);
	res = db_exec(db, &task_claim_stmt,
		      DB_PARAMS(task_owner(), lease, limit), NULL);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		t = calloc(1, sizeof(*t));
		if (t == NULL)
			abort();
		snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, i, 0));
		snprintf(t->kind, sizeof(t->kind), "%s", PQgetvalue(res, i, 1));
		t->payload = json_tokener_parse(PQgetvalue(res, i, 2));
		t->attempts = atoi(PQgetvalue(res, i, 3));
		t->cancel = PQgetvalue(res, i, 4)[0] == 't';
		t->outcome = TASK_FAILED;
		tasks[i] = t;
	}
	PQclear(res);
	return n;
}

int
task_renew(struct db *db, struct task *const *held, int n, int lease_s)
{
	char lease[16], *ids;
	size_t off;
	PGresult *res;
	int i, j;

	if (n == 0)
		return 0;
	ids = malloc((size_t)n * 38 + 3);
	if (ids == NULL)
		abort();
	ids[0] = '{';
	off = 1;
	for (i = 0; i < n; i++) {
		off += (size_t)sprintf(ids + off, "%s%s", i ? "," : "",
				       held[i]->id);
	}
	ids[off++] = '}';
	ids[off] = '\0';
	snprintf(lease, sizeof(lease), "%d", lease_s);
	res = db_exec(db, &task_renew_stmt,
		      DB_PARAMS(ids, lease, task_owner()), NULL);
	free(ids);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		if (PQgetvalue(res, i, 1)[0] == 't')
			for (j = 0; j < n; j++)
				if (strcmp(held[j]->id, PQgetvalue(res, i, 0)) ==
				    0)
					held[j]->cancel = 1;
	PQclear(res);
	return 0;
}

int
task_finish(struct db *db, const struct task *t)
{
	const char *result =
		t->result != NULL
			? json_object_to_json_string_ext(t->result,
							 JSON_C_TO_STRING_PLAIN)
			: NULL;
	PGresult *res;
	int stored;

	res = db_exec(db, &task_finish_stmt,
		      DB_PARAMS(t->id, task_states[t->outcome], result,
				t->error[0] ? t->error : NULL, task_owner()),
		      NULL);
	if (res == NULL)
		return -1;
	stored = atoi(PQcmdTuples(res)) == 1;
	PQclear(res);
	if (!stored)
		log_msg(LOG_WARN, NULL,
			"task %s: lease lost before completion; outcome "
			"dropped",
			t->id);
	return stored;
}

int
task_release(struct db *db, const struct task *t)
{
	PGresult *res =
		db_exec(db, &task_release_stmt, DB_PARAMS(t->id, task_owner()),
			NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
task_recover(struct db *db)
{
	PGresult *res = db_exec(db, &task_recover_stmt, NULL, NULL);
	int i, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		log_msg(LOG_WARN, NULL,
			"task %s (%s): lease expired, now %s",
			PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
			PQgetvalue(res, i, 2));
	PQclear(res);
	return n;
}

void
task_notify(struct db *db, const struct task *t, const char *state)
{
	PGresult *res = db_exec(db, &task_notify_stmt,
				DB_PARAMS(t->id, t->kind, state), NULL);

	if (res != NULL)
		PQclear(res);
}

void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	json_object_put(t->payload);
	json_object_put(t->result);
	free(t);
}
