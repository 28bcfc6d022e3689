/* Jobs: list, create, read, replace (a new version), delete (hidden, runs
 * keep their history), and the versions of a job. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auto.h"
#include "crypto.h"
#include "db.h"
#include "jobcheck.h"
#include "jobs.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "sql.h"

const struct field jobs_list_query[] = {
    {"q", FIELD_STRING, 0, 0, 128, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field jobs_versions_query[] = {PAGE_QUERY_FIELDS,
					    {NULL, 0, 0, 0, 0, NULL, NULL}};

static void jobs_default(json_object *def, const char *key, json_object *v);
static json_object *jobs_normalize(struct req *r, json_object *body);
static int jobs_need_if_match_or_problem(struct req *r);
static int jobs_reply_row(struct req *r, int status, const PGresult *res);
static int jobs_conflict(struct req *r, const char *name);

/* Sets key to v when it is absent or null (takes v). */
static void
jobs_default(json_object *def, const char *key, json_object *v)
{
	json_object *cur;

	if (json_object_object_get_ex(def, key, &cur) && cur != NULL) {
		json_object_put(v);
		return;
	}
	json_object_object_add(def, key, v);
}

/* The definition as stored: the body with every default written out. */
static json_object *
jobs_normalize(struct req *r, json_object *body)
{
	json_object *def = NULL, *steps, *first;

	json_object_deep_copy(body, &def, NULL);
	req_own(r, def);
	steps = json_object_object_get(def, "steps");
	first = json_object_array_get_idx(steps, 0);
	jobs_default(def, "description", json_object_new_string(""));
	jobs_default(def, "parameters", json_object_new_array());
	jobs_default(def, "start",
		     json_object_get(json_object_object_get(first, "id")));
	jobs_default(def, "max_parallel", json_object_new_int(10));
	jobs_default(def, "timeout_s", json_object_new_int(3600));
	jobs_default(def, "step_timeout_s", json_object_new_int(600));
	jobs_default(def, "allow_overlap", json_object_new_boolean(1));
	jobs_default(def, "on_worker_lost", json_object_new_string("fail"));
	return def;
}

static int
jobs_need_if_match_or_problem(struct req *r)
{
	if (r->if_match == NULL || *r->if_match == '\0')
		return problem(r, PROBLEM_PRECONDITION_REQUIRED,
			       "Send If-Match with the ETag you read, so that "
			       "nobody's change is lost."),
		       -1;
	return 0;
}

/* Replies with the job of row 0 (column 0) and its ETag (column 1). */
static int
jobs_reply_row(struct req *r, int status, const PGresult *res)
{
	req_etag(r, PQgetvalue(res, 0, 1));
	return req_reply(r, status, auto_json(res, 0, 0));
}

static int
jobs_conflict(struct req *r, const char *name)
{
	if (r->status == 409)
		return problem(r, PROBLEM_CONFLICT,
			       "A job named \"%s\" exists already.", name);
	return r->status;
}

int
jobs_list(struct req *r)
{
	const char *q = req_query(r, "q");
	struct page p;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	if (q != NULL && *q == '\0')
		q = NULL;
	{
		const char *const params[] = {q, p.lim, p.off};

		return page_json_rows(r, &p, &sql_job_list, &sql_job_count,
				      params);
	}
}

int
jobs_create(struct req *r)
{
	json_object *def;
	const char *name = valid_str(r->body, "name");
	char id[37];
	PGresult *res;

	if (jobcheck_or_problem(r, r->body) < 0)
		return r->status;
	def = jobs_normalize(r, r->body);
	crypto_uuid(id);
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_job_insert,
	    DB_PARAMS(id, name, valid_str(def, "description"),
		      auto_text(r, def), req_actor_id(r), req_actor_name(r)));
	if (res == NULL)
		return jobs_conflict(r, name);
	if (audit_or_problem(r, "job.create", "job", id, NULL,
			     req_own(r, auto_json(res, 0, 0))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(r, "Location",
		       arena_printf(r->arena, "/api/v1/jobs/%s", id));
	return jobs_reply_row(r, 201, res);
}

int
jobs_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	res = db_query_or_problem(r, &sql_job_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	return jobs_reply_row(r, 200, res);
}

int
jobs_put(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	const char *name = valid_str(r->body, "name");
	json_object *def, *before;
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	if (jobs_need_if_match_or_problem(r) < 0 || db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_job_lock, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	if (req_if_match_or_problem(r, PQgetvalue(res, 0, 1)) < 0)
		return r->status;
	before = req_own(r, auto_json(res, 0, 0));
	if (jobcheck_or_problem(r, r->body) < 0)
		return r->status;
	def = jobs_normalize(r, r->body);
	res = db_query_or_problem(
	    r, &sql_job_update,
	    DB_PARAMS(id, name, valid_str(def, "description"),
		      auto_text(r, def), req_actor_id(r), req_actor_name(r)));
	if (res == NULL)
		return jobs_conflict(r, name);
	if (audit_or_problem(r, "job.update", "job", id, before,
			     req_own(r, auto_json(res, 0, 0))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return jobs_reply_row(r, 200, res);
}

int
jobs_delete(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res, *active;
	long long n;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	if (jobs_need_if_match_or_problem(r) < 0 || db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_job_lock, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	if (req_if_match_or_problem(r, PQgetvalue(res, 0, 1)) < 0)
		return r->status;
	active = db_query_or_problem(r, &sql_job_active_runs, DB_PARAMS(id));
	if (active == NULL)
		return r->status;
	n = strtoll(PQgetvalue(active, 0, 0), NULL, 10);
	if (n > 0)
		return problem(r, PROBLEM_CONFLICT,
			       "%lld run(s) of this job are queued or running; "
			       "cancel them or wait for them to end first.",
			       n);
	if (db_query_or_problem(r, &sql_job_delete,
				DB_PARAMS(id, req_actor_id(r), req_actor_name(r))) ==
		NULL ||
	    audit_or_problem(r, "job.delete", "job", id,
			     req_own(r, auto_json(res, 0, 0)), NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}

int
jobs_versions(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	json_object *items;
	struct page p;
	PGresult *res;
	long long total;
	int i;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_job_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	{
		const char *const params[] = {id, p.lim, p.off};

		res = db_query_or_problem(r, &sql_job_version_list, params);
		if (res == NULL)
			return r->status;
		total = page_total_or_problem(r, &p, res,
					      &sql_job_version_count, params);
	}
	if (total < 0)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, auto_json(res, i, 0));
	return page_reply(r, items, total, &p);
}

int
jobs_version_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id"), *n = req_param(r, "n");
	char *end;
	long v;
	PGresult *res;

	if (id == NULL || n == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job.");
	v = strtol(n, &end, 10);
	if (*n == '\0' || *end != '\0' || v < 1 || v > 1000000000)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such version.");
	res = db_query_or_problem(
	    r, &sql_job_version_get,
	    DB_PARAMS(id, arena_printf(r->arena, "%ld", v)));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such version.");
	return req_reply(r, 200, auto_json(res, 0, 0));
}
