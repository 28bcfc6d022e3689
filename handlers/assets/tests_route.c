/* Connection test requests: queue core.tasks rows of kind target.test for
 * the worker, and show a test task's state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "groups.h"
#include "idem.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"
#include "target.h"
#include "tests_route.h"

/* The most targets one request may test. */
#define TESTS_ROUTE_MAX 10000

const struct field tests_route_many_fields[] = {
    {"target_ids", FIELD_ARRAY, 0, 1, 1000, NULL, groups_check_ids},
    {"group_id", FIELD_UUID, 0, 0, 0, NULL, NULL},
    {"filter", FIELD_OBJECT, 0, 0, 0, NULL, groups_check_filter},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static const char *tests_route_location(struct req *r, const char *task);

static const char *
tests_route_location(struct req *r, const char *task)
{
	return arena_printf(r->arena, "/api/v1/targets/tests/%s", task);
}

int
tests_route_one(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	json_object *o, *after;
	PGresult *res;

	res = target_lock_or_problem(r, id, 0);
	if (res == NULL || idem_begin_or_problem(r) != 0)
		return r->status;
	if (strcmp(PQgetvalue(res, 0, SQL_TARGET_ENABLED), "t") != 0)
		return problem(r, PROBLEM_CONFLICT,
			       "The target is disabled; enable it to test it.");
	res = db_query_or_problem(r, &sql_test_one, DB_PARAMS(id, req_actor_id(r)));
	if (res == NULL)
		return r->status;
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "task_id",
			       json_object_new_string(PQgetvalue(res, 0, 0)));
	o = req_own(r, json_object_new_object());
	json_object_object_add(o, "task_id",
			       json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(o, "target_id", json_object_new_string(id));
	json_object_object_add(o, "state",
			       json_object_new_string(PQgetvalue(res, 0, 1)));
	if (audit_or_problem(r, "target.test", "target", id, NULL, after) < 0 ||
	    idem_store(r, 202, o) < 0 || db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(r, "Location",
		       tests_route_location(r, PQgetvalue(res, 0, 0)));
	return req_reply(r, 202, json_object_get(o));
}

int
tests_route_many(struct req *r)
{
	json_object *b = r->body, *ids = NULL, *filter = NULL, *o, *tasks, *t;
	json_object *task_ids, *after;
	const char *group = valid_str(b, "group_id");
	const char *idtext = NULL, *ftext = NULL;
	PGresult *cnt, *res;
	long long enabled, disabled;
	int i, given = 0;

	json_object_object_get_ex(b, "target_ids", &ids);
	json_object_object_get_ex(b, "filter", &filter);
	given = (ids != NULL) + (group != NULL) + (filter != NULL);
	if (given != 1)
		return problem(r, PROBLEM_VALIDATION,
			       "Give exactly one of target_ids, group_id and "
			       "filter.");
	if (ids != NULL)
		idtext = shape_text(r, ids);
	if (filter != NULL)
		ftext = shape_text(r, filter);
	if (db_begin_or_problem(r) < 0 || idem_begin_or_problem(r) != 0)
		return r->status;
	if (group != NULL) {
		res = db_query_or_problem(
		    r, &sql_group_get,
		    DB_PARAMS(arena_strdup(r->arena, group)));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) != 1)
			return problem_field(r, "group_id",
					     "is not an existing group");
	}
	if (ids != NULL) {
		res = db_query_or_problem(r, &sql_targets_missing,
					  DB_PARAMS(idtext));
		if (res == NULL)
			return r->status;
		for (i = 0; i < PQntuples(res); i++)
			problem_field(r, "target_ids",
				      "%s is not an existing target",
				      PQgetvalue(res, i, 0));
		if (PQntuples(res) > 0)
			return r->status;
	}
	cnt = db_query_or_problem(r, &sql_test_count,
				  DB_PARAMS(idtext, group, ftext));
	if (cnt == NULL)
		return r->status;
	enabled = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
	disabled = strtoll(PQgetvalue(cnt, 0, 1), NULL, 10);
	if (enabled > TESTS_ROUTE_MAX)
		return problem(r, PROBLEM_VALIDATION,
			       "That selects %lld targets; test at most %d "
			       "at once.",
			       enabled, TESTS_ROUTE_MAX);
	res = db_query_or_problem(r, &sql_test_many,
				  DB_PARAMS(idtext, group, ftext, req_actor_id(r)));
	if (res == NULL)
		return r->status;
	o = req_own(r, json_object_new_object());
	tasks = json_object_new_array();
	task_ids = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		t = json_object_new_object();
		json_object_object_add(
		    t, "task_id",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(
		    t, "target_id",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_object_add(
		    t, "target_name",
		    json_object_new_string(PQgetvalue(res, i, 2)));
		json_object_array_add(tasks, t);
		json_object_array_add(
		    task_ids, json_object_new_string(PQgetvalue(res, i, 0)));
	}
	json_object_object_add(o, "task_ids", task_ids);
	json_object_object_add(o, "tasks", tasks);
	json_object_object_add(o, "skipped_disabled",
			       json_object_new_int64(disabled));
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "request", json_object_get(b));
	json_object_object_add(after, "tasks", json_object_get(tasks));
	if (audit_or_problem(r, "target.test_many", "target", NULL, NULL,
			     after) < 0 ||
	    idem_store(r, 202, o) < 0 || db_commit_or_problem(r) < 0)
		return r->status;
	return req_reply(r, 202, json_object_get(o));
}

int
tests_route_get(struct req *r)
{
	const char *id = req_path_uuid(r, "task_id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such connection test.");
	res = db_query_or_problem(r, &sql_task_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such connection test.");
	return req_reply(r, 200, shape_row(res, 0, shape_task, -1));
}
