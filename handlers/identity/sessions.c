/* Sessions: list one's own (admins: everyone's) and revoke them. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "sessions.h"
#include "sql.h"
#include "user.h"
#include "valid.h"

const struct field sessions_list_query[] = {
    {"all", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static json_object *sessions_str(const PGresult *res, int row, int col);

static json_object *
sessions_str(const PGresult *res, int row, int col)
{
	const char *v = db_value(res, row, col);

	return v != NULL ? json_object_new_string(v) : NULL;
}

int
sessions_list(struct req *r)
{
	static const char *const keys[] = {
	    "id",	   "user_id",	   "username",
	    "created_at",  "last_used_at", "expires_at",
	    "remote_addr", "user_agent",   "revoked_at"};
	const char *all = req_query(r, "all"), *owner = r->who.user_id;
	struct page pg;
	long long total;
	json_object *items, *o;
	PGresult *res;
	int i, c;

	if (all != NULL && strcmp(all, "true") == 0) {
		if (r->who.role < ROLE_ADMIN)
			return problem(r, PROBLEM_FORBIDDEN,
				       "Only admins can list everyone's "
				       "sessions.");
		owner = NULL;
	}
	if (page_params_or_problem(r, &pg) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_session_list,
				  DB_PARAMS(owner, pg.lim, pg.off));
	if (res == NULL)
		return r->status;
	total = page_total_or_problem(r, &pg, res, &sql_session_count,
				      DB_PARAMS(owner));
	if (total < 0)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		o = json_object_new_object();
		for (c = 0; c < (int)(sizeof(keys) / sizeof(keys[0])); c++)
			json_object_object_add(o, keys[c],
					       sessions_str(res, i, c));
		json_object_object_add(
		    o, "current",
		    json_object_new_boolean(
			strcmp(PQgetvalue(res, i, 0), r->who.session_id) == 0));
		json_object_array_add(items, o);
	}
	return page_reply(r, items, total, &pg);
}

int
sessions_delete(struct req *r)
{
	const char *id = req_param(r, "id"), *owner;
	json_object *after;
	PGresult *res;

	if (id == NULL || !valid_uuid(id))
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such session.");
	id = user_lower(r, id);
	owner = r->who.role >= ROLE_ADMIN ? NULL : r->who.user_id;
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_session_revoke,
	    DB_PARAMS(id,
		      arena_printf(r->arena, "revoked by %s", r->who.username),
		      owner));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) == 0) {
		/* Already revoked is done; unknown or someone else's is not
		 * found. */
		res = db_query_or_problem(r, &sql_session_exists,
					  DB_PARAMS(id, owner));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) == 0)
			return problem(r, PROBLEM_NOT_FOUND,
				       "There is no such session.");
		r->status = 204;
		return 204;
	}
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "user_id",
			       json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(after, "revoked_reason",
			       json_object_new_string("revoked"));
	if (audit_or_problem(r, "session.revoke", "session", id, NULL, after) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
