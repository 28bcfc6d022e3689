/* Groups of targets: static (listed members) or dynamic (a filter on tags,
 * os and a name pattern, evaluated when used). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "groups.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"
#include "target.h"

#define GROUPS_IDS_MAX 1000
#define GROUPS_PREVIEW_MAX 50 /* targets a filter preview lists */

const struct field groups_list_query[] = {
    {"q", FIELD_STRING, 0, 0, 128, NULL, NULL},
    {"dynamic", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field groups_create_fields[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 128, NULL, NULL},
    {"description", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL, NULL},
    {"dynamic", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"filter", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, groups_check_filter},
    {"target_ids", FIELD_ARRAY, 0, 0, GROUPS_IDS_MAX, NULL, groups_check_ids},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field groups_patch_fields[] = {
    {"name", FIELD_STRING, 0, 1, 128, NULL, NULL},
    {"description", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL, NULL},
    {"dynamic", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"filter", FIELD_OBJECT, 0, 0, 0, NULL, groups_check_filter},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field groups_members_fields[] = {
    {"add", FIELD_ARRAY, 0, 0, GROUPS_IDS_MAX, NULL, groups_check_ids},
    {"remove", FIELD_ARRAY, 0, 0, GROUPS_IDS_MAX, NULL, groups_check_ids},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field groups_preview_fields[] = {
    {"filter", FIELD_OBJECT, FIELD_REQUIRED, 0, 0, NULL, groups_check_filter},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field groups_members_query[] = {PAGE_QUERY_FIELDS,
					     {NULL, 0, 0, 0, 0, NULL, NULL}};

static PGresult *groups_lock_or_problem(struct req *r, const char *id);
static const char *groups_missing_or_problem(struct req *r, json_object *ids,
					     const char *field);

const char *
groups_check_ids(struct req *r, json_object *v)
{
	size_t i, n = json_object_array_length(v);
	json_object *e;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string) ||
		    !valid_uuid(json_object_get_string(e)))
			return arena_printf(r->arena,
					    "item %zu must be a target id "
					    "(uuid)",
					    i);
	}
	return NULL;
}

const char *
groups_check_filter(struct req *r, json_object *v)
{
	const char *s;
	int n = 0;

	json_object_object_foreach(v, key, val)
	{
		n++;
		if (strcmp(key, "tags") == 0) {
			if (val == NULL ||
			    !json_object_is_type(val, json_type_array) ||
			    json_object_array_length(val) < 1 ||
			    json_object_array_length(val) > 64)
				return "tags must be an array of 1 to 64 tags";
			s = target_check_tags(r, val);
			if (s != NULL)
				return arena_printf(r->arena, "tags: %s", s);
		} else if (strcmp(key, "os") == 0) {
			if (val == NULL ||
			    !json_object_is_type(val, json_type_string) ||
			    (strcmp(json_object_get_string(val), "linux") !=
				 0 &&
			     strcmp(json_object_get_string(val), "windows") !=
				 0))
				return "os must be \"linux\" or \"windows\"";
		} else if (strcmp(key, "name_pattern") == 0) {
			if (val == NULL ||
			    !json_object_is_type(val, json_type_string) ||
			    json_object_get_string_len(val) < 1 ||
			    json_object_get_string_len(val) > 128 ||
			    strlen(json_object_get_string(val)) !=
				(size_t)json_object_get_string_len(val))
				return "name_pattern must be a glob of 1 to "
				       "128 "
				       "characters";
		} else {
			return arena_printf(r->arena,
					    "may only have tags, os and "
					    "name_pattern (not \"%.64s\")",
					    key);
		}
	}
	if (n == 0)
		return "must have at least one of tags, os and name_pattern";
	return NULL;
}

static PGresult *
groups_lock_or_problem(struct req *r, const char *id)
{
	PGresult *res;

	if (id == NULL) {
		problem(r, PROBLEM_NOT_FOUND, "There is no such group.");
		return NULL;
	}
	if (db_begin_or_problem(r) < 0)
		return NULL;
	res = db_query_or_problem(r, &sql_group_lock, DB_PARAMS(id));
	if (res != NULL && PQntuples(res) != 1) {
		problem(r, PROBLEM_NOT_FOUND, "There is no such group.");
		return NULL;
	}
	if (res != NULL &&
	    shape_if_match_or_problem(r, res, 0, SQL_GROUP_VERSION) < 0)
		return NULL;
	return res;
}

/* Lists each id of ids that is not a target as field[i]; returns the JSON
 * text of ids, or NULL with a problem set. */
static const char *
groups_missing_or_problem(struct req *r, json_object *ids, const char *field)
{
	const char *text = shape_text(r, ids);
	PGresult *res;
	size_t i;
	int j, bad = 0;

	res = db_query_or_problem(r, &sql_targets_missing, DB_PARAMS(text));
	if (res == NULL)
		return NULL;
	for (j = 0; j < PQntuples(res); j++)
		for (i = 0; i < json_object_array_length(ids); i++)
			if (strcmp(json_object_get_string(
				       json_object_array_get_idx(ids, i)),
				   PQgetvalue(res, j, 0)) == 0) {
				problem_field(
				    r,
				    arena_printf(r->arena, "%s[%zu]", field, i),
				    "is not an existing target");
				bad = 1;
				break;
			}
	return bad ? NULL : text;
}

int
groups_list(struct req *r)
{
	const char *q = req_query(r, "q");
	struct page p;
	PGresult *res;
	long long total;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	if (q != NULL && *q == '\0')
		q = NULL;
	{
		const char *const params[] = {q, req_query(r, "dynamic"), p.lim,
					      p.off};

		res = db_query_or_problem(r, &sql_group_list, params);
		if (res == NULL)
			return r->status;
		total =
		    page_total_or_problem(r, &p, res, &sql_group_count, params);
	}
	if (total < 0)
		return r->status;
	return shape_page_reply(r, res, shape_group, -1, total, &p);
}

int
groups_create(struct req *r)
{
	json_object *b = r->body, *filter = NULL, *ids = NULL;
	int dynamic = valid_bool(b, "dynamic", 0);
	const char *name = valid_str(b, "name"), *idtext = NULL;
	PGresult *res;

	json_object_object_get_ex(b, "filter", &filter);
	json_object_object_get_ex(b, "target_ids", &ids);
	if (dynamic && filter == NULL)
		problem_field(r, "filter", "is required for a dynamic group");
	if (!dynamic && filter != NULL)
		problem_field(r, "filter",
			      "belongs to dynamic groups (set dynamic: true)");
	if (dynamic && ids != NULL && json_object_array_length(ids) > 0)
		problem_field(r, "target_ids",
			      "a dynamic group's members come from its filter");
	if (r->problem != NULL)
		return r->status;
	if (db_begin_or_problem(r) < 0)
		return r->status;
	if (ids != NULL && json_object_array_length(ids) > 0) {
		idtext = groups_missing_or_problem(r, ids, "target_ids");
		if (idtext == NULL)
			return r->status;
	}
	res = db_query_or_problem(
	    r, &sql_group_insert,
	    DB_PARAMS(name, valid_str(b, "description"), shape_tf(dynamic),
		      filter != NULL ? shape_text(r, filter) : NULL,
		      req_actor_id(r), req_actor_name(r)));
	if (res == NULL) {
		if (r->status == 409)
			return problem(r, PROBLEM_CONFLICT,
				       "A group named \"%s\" exists already.",
				       name);
		return r->status;
	}
	if (idtext != NULL) {
		if (db_query_or_problem(
			r, &sql_group_members_add,
			DB_PARAMS(PQgetvalue(res, 0, 0), idtext)) == NULL)
			return r->status;
		res = db_query_or_problem(r, &sql_group_get,
					  DB_PARAMS(PQgetvalue(res, 0, 0)));
		if (res == NULL)
			return r->status;
	}
	{
		json_object *after =
		    req_own(r, shape_row(res, 0, shape_group, -1));

		if (ids != NULL)
			json_object_object_add(after, "target_ids",
					       json_object_get(ids));
		if (audit_or_problem(r, "group.create", "group",
				     PQgetvalue(res, 0, 0), NULL, after) < 0 ||
		    db_commit_or_problem(r) < 0)
			return r->status;
	}
	req_header_add(
	    r, "Location",
	    arena_printf(r->arena, "/api/v1/groups/%s", PQgetvalue(res, 0, 0)));
	return shape_reply(r, 201, res, shape_group, SQL_GROUP_VERSION);
}

int
groups_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such group.");
	res = db_query_or_problem(r, &sql_group_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such group.");
	return shape_reply(r, 200, res, shape_group, SQL_GROUP_VERSION);
}

int
groups_patch(struct req *r)
{
	json_object *b = r->body, *filter = NULL;
	const char *id = req_path_uuid(r, "id"), *name, *desc, *ftext;
	PGresult *res, *cur = groups_lock_or_problem(r, id);
	int dynamic;

	if (cur == NULL)
		return r->status;
	dynamic = strcmp(PQgetvalue(cur, 0, SQL_GROUP_DYNAMIC), "t") == 0;
	if (valid_has(b, "dynamic") && valid_bool(b, "dynamic", 0) != dynamic)
		return problem_field(r, "dynamic",
				     "cannot be changed; create a new group");
	json_object_object_get_ex(b, "filter", &filter);
	if (filter != NULL && !dynamic)
		return problem_field(r, "filter",
				     "belongs to dynamic groups; this one "
				     "lists its members");
	name = valid_has(b, "name") ? valid_str(b, "name")
				    : PQgetvalue(cur, 0, SQL_GROUP_NAME);
	desc = valid_has(b, "description")
		   ? valid_str(b, "description")
		   : PQgetvalue(cur, 0, SQL_GROUP_DESCRIPTION);
	ftext = filter != NULL ? shape_text(r, filter)
			       : db_value(cur, 0, SQL_GROUP_FILTER);
	res = db_query_or_problem(r, &sql_group_update,
				  DB_PARAMS(id, name, desc != NULL ? desc : "",
					    ftext, req_actor_id(r),
					    req_actor_name(r)));
	if (res == NULL) {
		if (r->status == 409)
			return problem(r, PROBLEM_CONFLICT,
				       "A group named \"%s\" exists already.",
				       name);
		return r->status;
	}
	if (audit_or_problem(r, "group.update", "group", id,
			     req_own(r, shape_row(cur, 0, shape_group, -1)),
			     req_own(r, shape_row(res, 0, shape_group, -1))) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return shape_reply(r, 200, res, shape_group, SQL_GROUP_VERSION);
}

int
groups_delete(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *cur = groups_lock_or_problem(r, id);

	if (cur == NULL)
		return r->status;
	if (db_query_or_problem(r, &sql_group_delete, DB_PARAMS(id)) == NULL ||
	    audit_or_problem(r, "group.delete", "group", id,
			     req_own(r, shape_row(cur, 0, shape_group, -1)),
			     NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}

int
groups_members_list(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	struct page p;
	PGresult *res;
	long long total;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such group.");
	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_group_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such group.");
	res = db_query_or_problem(r, &sql_group_members,
				  DB_PARAMS(id, p.lim, p.off));
	if (res == NULL)
		return r->status;
	total = page_total_or_problem(r, &p, res, &sql_group_members_count,
				      DB_PARAMS(id));
	if (total < 0)
		return r->status;
	return shape_page_reply(r, res, shape_target, -1, total, &p);
}

int
groups_members_change(struct req *r)
{
	json_object *b = r->body, *add = NULL, *rem = NULL, *after;
	const char *id = req_path_uuid(r, "id"), *addtext = NULL;
	PGresult *cur = groups_lock_or_problem(r, id), *added = NULL;
	PGresult *removed = NULL, *res;
	int i;

	if (cur == NULL)
		return r->status;
	if (strcmp(PQgetvalue(cur, 0, SQL_GROUP_DYNAMIC), "t") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "This group is dynamic: its members come from "
			       "its filter.");
	json_object_object_get_ex(b, "add", &add);
	json_object_object_get_ex(b, "remove", &rem);
	if (add != NULL && json_object_array_length(add) > 0) {
		addtext = groups_missing_or_problem(r, add, "add");
		if (addtext == NULL)
			return r->status;
		added = db_query_or_problem(r, &sql_group_members_add,
					    DB_PARAMS(id, addtext));
		if (added == NULL)
			return r->status;
	}
	if (rem != NULL && json_object_array_length(rem) > 0) {
		removed =
		    db_query_or_problem(r, &sql_group_members_remove,
					DB_PARAMS(id, shape_text(r, rem)));
		if (removed == NULL)
			return r->status;
	}
	res = db_query_or_problem(r, &sql_group_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "added", json_object_new_array());
	json_object_object_add(after, "removed", json_object_new_array());
	for (i = 0; added != NULL && i < PQntuples(added); i++)
		json_object_array_add(
		    json_object_object_get(after, "added"),
		    json_object_new_string(PQgetvalue(added, i, 0)));
	for (i = 0; removed != NULL && i < PQntuples(removed); i++)
		json_object_array_add(
		    json_object_object_get(after, "removed"),
		    json_object_new_string(PQgetvalue(removed, i, 0)));
	if (audit_or_problem(r, "group.members", "group", id, NULL, after) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	{
		json_object *o = shape_row(res, 0, shape_group, -1);

		json_object_object_add(
		    o, "added",
		    json_object_get(json_object_object_get(after, "added")));
		json_object_object_add(
		    o, "removed",
		    json_object_get(json_object_object_get(after, "removed")));
		shape_etag(r, res, 0, SQL_GROUP_VERSION);
		return req_reply(r, 200, o);
	}
}

int
groups_preview(struct req *r)
{
	json_object *filter = NULL;
	const char *ftext;
	PGresult *res, *cnt;
	long long total;
	json_object *o;

	json_object_object_get_ex(r->body, "filter", &filter);
	ftext = shape_text(r, filter);
	res = db_query_or_problem(
	    r, &sql_group_preview,
	    DB_PARAMS(ftext, arena_printf(r->arena, "%d", GROUPS_PREVIEW_MAX)));
	if (res == NULL)
		return r->status;
	total = PQntuples(res);
	if (total >= GROUPS_PREVIEW_MAX) {
		cnt = db_query_or_problem(r, &sql_group_preview_count,
					  DB_PARAMS(ftext));
		if (cnt == NULL)
			return r->status;
		total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", shape_rows(res, shape_target, -1));
	json_object_object_add(o, "total", json_object_new_int64(total));
	return req_reply(r, 200, o);
}
