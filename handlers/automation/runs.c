/* Runs: created queued through automation.run_create (secret parameters
 * sealed for the worker, bound to "run:<id>"), read back with their
 * targets, steps and log, canceled, retried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auto.h"
#include "crypto.h"
#include "db.h"
#include "idem.h"
#include "jobcheck.h"
#include "jobparams.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "runs.h"
#include "sealed.h"
#include "sql.h"

#define RUNS_LOG_DEFAULT 500
#define RUNS_LOG_MAX 5000

static const char *const runs_states[] = {
    "queued", "running", "succeeded", "failed", "canceled", "timed_out", NULL};

const struct field runs_create_fields[] = {
    {"params", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"targets", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field runs_list_query[] = {
    {"job", FIELD_UUID, 0, 0, 0, NULL, NULL},
    {"status", FIELD_ENUM, 0, 0, 0, runs_states, NULL},
    {"created_by", FIELD_UUID, 0, 0, 0, NULL, NULL},
    {"schedule", FIELD_UUID, 0, 0, 0, NULL, NULL},
    {"since", FIELD_TIMESTAMP, 0, 0, 0, NULL, NULL},
    {"until", FIELD_TIMESTAMP, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field runs_log_query[] = {
    {"after", FIELD_INT, 0, 0, INT64_MAX, NULL, NULL},
    {"limit", FIELD_INT, 0, 1, RUNS_LOG_MAX, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* Sealed secret parameters. */
struct runs_sealed {
	const char *hex;     /* the blob as hex, or NULL: none */
	const char *binding; /* "run:<id>" */
	char version[16];
};

static int runs_seal_or_problem(struct req *r, const char *id,
				json_object *secret, struct runs_sealed *s);
static const char *runs_lower(struct req *r, const char *s);
static int runs_reply_run(struct req *r, int status, const char *id,
			  const char *action, const char *entity_id);

/* Seals the secret values bound to "run:<id>" for the worker. */
static int
runs_seal_or_problem(struct req *r, const char *id, json_object *secret,
		     struct runs_sealed *s)
{
	struct sealed sd;

	memset(s, 0, sizeof(*s));
	if (secret == NULL)
		return 0;
	s->binding = arena_printf(r->arena, "run:%s", id);
	if (sealed_json_or_problem(r, s->binding, secret, "secret parameters",
				   &sd) < 0)
		return -1;
	s->hex = sd.hex;
	snprintf(s->version, sizeof(s->version), "%s", sd.version);
	return 0;
}

static const char *
runs_lower(struct req *r, const char *s)
{
	char *c, *p;

	if (s == NULL)
		return NULL;
	c = arena_strdup(r->arena, s);
	for (p = c; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return c;
}

/* Reads run id back, audits action on it, stores the response for the
 * Idempotency-Key, commits and replies. */
static int
runs_reply_run(struct req *r, int status, const char *id, const char *action,
	       const char *entity_id)
{
	json_object *run;
	PGresult *res;

	res = db_query_or_problem(r, &sql_run_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	run = req_own(r, auto_json(res, 0, 0));
	if (audit_or_problem(r, action, "run", entity_id, NULL, run) < 0 ||
	    idem_store(r, status, run) < 0 || db_commit_or_problem(r) < 0)
		return r->status;
	if (status == 201)
		req_header_add(r, "Location",
			       arena_printf(r->arena, "/api/v1/runs/%s", id));
	return req_reply(r, status, json_object_get(run));
}

int
runs_create(struct req *r)
{
	const char *job = req_path_uuid(r, "id");
	json_object *b = r->body, *def, *params = NULL, *sel = NULL;
	json_object *clear, *secret;
	struct runs_sealed s;
	PGresult *res;
	char id[37];
	int empty, rc;

	if (job == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	if (b != NULL) {
		json_object_object_get_ex(b, "params", &params);
		json_object_object_get_ex(b, "targets", &sel);
	}
	if (db_begin_or_problem(r) < 0)
		return r->status;
	rc = idem_begin_or_problem(r);
	if (rc != 0)
		return r->status;
	res = db_query_or_problem(r, &sql_job_lock, DB_PARAMS(job));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	def = json_object_object_get(req_own(r, auto_json(res, 0, 0)),
				     "definition");
	rc = jobparams_validate_or_problem(r, def, params, &clear, &secret);
	if (sel != NULL) {
		if (jobcheck_selection(r, sel, "targets", &empty) < 0)
			rc = -1;
		else if (empty && !jobcheck_local_only(def)) {
			problem_field(r, "targets",
				      "must select targets: some steps of "
				      "this job run over SSH or WinRM");
			rc = -1;
		}
	}
	if (rc < 0)
		return r->status;
	crypto_uuid(id);
	if (runs_seal_or_problem(r, id, secret, &s) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_run_create,
	    DB_PARAMS(id, job, auto_text(r, clear), s.hex, s.binding,
		      s.hex != NULL ? s.version : NULL,
		      sel != NULL ? auto_text(r, sel) : NULL, req_actor_id(r),
		      req_actor_name(r)));
	if (res == NULL)
		return r->status;
	if (PQgetisnull(res, 0, 0))
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	return runs_reply_run(r, 201, id, "run.create", id);
}

int
runs_list(struct req *r)
{
	struct page p;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	{
		const char *const params[] = {
		    runs_lower(r, req_query(r, "job")),
		    req_query(r, "status"),
		    runs_lower(r, req_query(r, "created_by")),
		    runs_lower(r, req_query(r, "schedule")),
		    req_query(r, "since"),
		    req_query(r, "until"),
		    p.lim,
		    p.off};

		return page_json_rows(r, &p, &sql_run_list, &sql_run_count,
				      params);
	}
}

int
runs_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	res = db_query_or_problem(r, &sql_run_detail, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	return req_reply(r, 200, auto_json(res, 0, 0));
}

int
runs_log(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	long long after = valid_query_int(r, "after", 0);
	long long limit = valid_query_int(r, "limit", RUNS_LOG_DEFAULT);
	json_object *o, *items;
	PGresult *res;
	int i;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	res = db_query_or_problem(r, &sql_run_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	res = db_query_or_problem(
	    r, &sql_run_log,
	    DB_PARAMS(id, arena_printf(r->arena, "%lld", after),
		      arena_printf(r->arena, "%lld", limit)));
	if (res == NULL)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_object_array_add(items, auto_json(res, i, 1));
		after = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "next", json_object_new_int64(after));
	return req_reply(r, 200, o);
}

int
runs_cancel(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	json_object *before, *after;
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_run_lock, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	if (strcmp(PQgetvalue(res, 0, 0), "queued") != 0 &&
	    strcmp(PQgetvalue(res, 0, 0), "running") != 0)
		return problem(r, PROBLEM_CONFLICT,
			       "The run has ended (%s); there is nothing to "
			       "cancel.",
			       PQgetvalue(res, 0, 0));
	before = req_own(r, auto_json(res, 0, 2));
	res = db_query_or_problem(r, &sql_run_cancel, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_CONFLICT, "The run has ended.");
	after = req_own(r, auto_json(res, 0, 0));
	if (audit_or_problem(r, "run.cancel", "run", id, before, after) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return req_reply(r, 202, json_object_get(after));
}

int
runs_retry(struct req *r)
{
	const char *old = req_path_uuid(r, "id"), *state, *ids;
	PGresult *res;
	char id[37];
	int rc;

	if (old == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	if (db_begin_or_problem(r) < 0)
		return r->status;
	rc = idem_begin_or_problem(r);
	if (rc != 0)
		return r->status;
	res = db_query_or_problem(r, &sql_run_lock, DB_PARAMS(old));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such run.");
	state = PQgetvalue(res, 0, 0);
	if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "The run is still %s; retry it when it has "
			       "ended.",
			       state);
	if (strcmp(PQgetvalue(res, 0, 4), "0") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "No target of this run failed, timed out or was "
			       "canceled; there is nothing to retry.");
	ids = db_value(res, 0, 3);
	crypto_uuid(id);
	res = db_query_or_problem(
	    r, &sql_run_retry,
	    DB_PARAMS(old, id,
		      ids != NULL
			  ? arena_printf(r->arena, "{\"targets\":%s}", ids)
			  : NULL,
		      req_actor_id(r), req_actor_name(r)));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		return problem(r, PROBLEM_CONFLICT,
			       "The job of this run has been deleted.");
	return runs_reply_run(r, 201, id, "run.retry", id);
}

int
runs_file(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	const char *file = req_path_uuid(r, "file_id");
	const char *path, *base;
	PGresult *res;

	if (id == NULL || file == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such file.");
	res = db_query_or_problem(r, &sql_run_file, DB_PARAMS(id, file));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such file.");
	path = PQgetvalue(res, 0, 0);
	base = strrchr(path, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : path;
	return auto_reply_bytes(r, PQgetvalue(res, 0, 1), base,
				"application/octet-stream");
}
