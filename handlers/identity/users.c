/* User administration: list, create, read, update, delete (admins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "page.h"
#include "lockout.h"
#include "password.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "user.h"
#include "users.h"
#include "valid.h"

static const char *const users_roles[] = {"viewer", "operator", "admin", NULL};

const struct field users_list_query[] = {
    {"q", FIELD_STRING, 0, 0, 64, NULL, NULL},
    {"role", FIELD_ENUM, 0, 0, 0, users_roles, NULL},
    {"disabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field users_create_fields[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 1, 64, NULL, user_check_name},
    {"password", FIELD_STRING, FIELD_REQUIRED, 1, 1024, NULL, NULL},
    {"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, users_roles, NULL},
    {"display_name", FIELD_STRING, FIELD_NULLABLE, 0, 128, NULL, NULL},
    {"email", FIELD_STRING, FIELD_NULLABLE, 0, 254, NULL, user_check_email},
    {"disabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field users_patch_fields[] = {
    {"display_name", FIELD_STRING, FIELD_NULLABLE, 0, 128, NULL, NULL},
    {"email", FIELD_STRING, FIELD_NULLABLE, 0, 254, NULL, user_check_email},
    {"role", FIELD_ENUM, 0, 0, 0, users_roles, NULL},
    {"disabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"password", FIELD_STRING, 0, 1, 1024, NULL, NULL},
    {"unlock", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* What the admin lock found about the target and the enabled admins. */
struct users_lock {
	int found;	    /* the target exists */
	int target_admin;   /* the target is an enabled admin */
	int enabled_admins; /* enabled admins, the target included */
};

static const char *users_id(struct req *r);
static int users_lock_or_problem(struct req *r, const char *id,
				 struct users_lock *l);

/* The {id} of the path, lowercased, or NULL when it is not a uuid. */
static const char *
users_id(struct req *r)
{
	const char *id = req_param(r, "id");

	return id != NULL && valid_uuid(id) ? user_lower(r, id) : NULL;
}

/* Locks the target and every enabled admin (in the caller's transaction)
 * so "the last enabled admin" checks hold under concurrency. */
static int
users_lock_or_problem(struct req *r, const char *id, struct users_lock *l)
{
	PGresult *res =
	    db_query_or_problem(r, &sql_user_lock_admins, DB_PARAMS(id));
	int i, admin;

	memset(l, 0, sizeof(*l));
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		admin = strcmp(PQgetvalue(res, i, 1), "admin") == 0 &&
			strcmp(PQgetvalue(res, i, 2), "f") == 0;
		l->enabled_admins += admin;
		if (strcmp(PQgetvalue(res, i, 0), id) == 0) {
			l->found = 1;
			l->target_admin = admin;
		}
	}
	if (!l->found)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such user."),
		       -1;
	return 0;
}

int
users_list(struct req *r)
{
	const char *q = req_query(r, "q"), *role = req_query(r, "role");
	const char *dis = req_query(r, "disabled");
	struct page pg;
	long long total;
	json_object *items;
	PGresult *res;
	int i;

	if (page_params_or_problem(r, &pg) < 0)
		return r->status;
	if (q != NULL && *q == '\0')
		q = NULL;
	res = db_query_or_problem(r, &sql_user_list,
				  DB_PARAMS(q, role, dis, pg.lim, pg.off));
	if (res == NULL)
		return r->status;
	/* Without a text search the trigger-kept counts answer. */
	total = q == NULL ? page_total_or_problem(r, &pg, res,
						  &sql_user_count_fast,
						  DB_PARAMS(role, dis))
			  : page_total_or_problem(r, &pg, res, &sql_user_count,
						  DB_PARAMS(q, role, dis));
	if (total < 0)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, user_json(res, i));
	return page_reply(r, items, total, &pg);
}

int
users_create(struct req *r)
{
	json_object *b = r->body;
	const char *name = user_lower(r, valid_str(b, "username"));
	const char *pw = valid_str(b, "password");
	const char *dis = valid_has(b, "disabled")
			      ? (valid_bool(b, "disabled", 0) ? "t" : "f")
			      : NULL;
	char hash[PASSWORD_HASH_MAX];
	PGresult *res;

	if (password_policy_or_problem(r, "password", pw, name) < 0)
		return r->status;
	if (password_hash(pw, hash) < 0)
		return problem(r, PROBLEM_INTERNAL,
			       "The password could not be hashed; quote "
			       "request %s.",
			       r->req_id);
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_user_insert,
				  DB_PARAMS(name, hash, valid_str(b, "role"),
					    valid_str(b, "display_name"),
					    user_body_email(b), dis));
	if (res == NULL) {
		if (r->status == 409)
			return problem(r, PROBLEM_CONFLICT,
				       "The username \"%s\" is taken.", name);
		return r->status;
	}
	if (audit_or_problem(r, "user.create", "user", PQgetvalue(res, 0, 0),
			     NULL, req_own(r, user_json(res, 0))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(
	    r, "Location",
	    arena_printf(r->arena, "/api/v1/users/%s", PQgetvalue(res, 0, 0)));
	user_etag(r, res, 0);
	return req_reply(r, 201, user_json(res, 0));
}

int
users_get(struct req *r)
{
	const char *id = users_id(r);
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such user.");
	res = db_query_or_problem(r, &sql_user_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such user.");
	user_etag(r, res, 0);
	return req_reply(r, 200, user_json(res, 0));
}

int
users_patch(struct req *r)
{
	json_object *b = r->body, *before, *after;
	const char *id = users_id(r), *role = valid_str(b, "role");
	const char *pw = valid_str(b, "password"), *username, *dis = NULL;
	char hash[PASSWORD_HASH_MAX];
	struct users_lock l;
	int disable = 0;
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such user.");
	if (valid_has(b, "disabled")) {
		disable = valid_bool(b, "disabled", 0);
		dis = disable ? "t" : "f";
	}
	if (db_begin_or_problem(r) < 0 || users_lock_or_problem(r, id, &l) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_user_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (user_if_match_or_problem(r, res, 0) < 0)
		return r->status;
	username =
	    arena_strdup(r->arena, PQgetvalue(res, 0, SQL_USER_USERNAME));
	before = req_own(r, user_json(res, 0));
	if (l.target_admin && l.enabled_admins <= 1 &&
	    ((role != NULL && strcmp(role, "admin") != 0) || disable))
		return problem(r, PROBLEM_CONFLICT,
			       "This is the last enabled admin; make another "
			       "admin first.");
	if (pw != NULL) {
		if (password_policy_or_problem(r, "password", pw, username) < 0)
			return r->status;
		if (password_hash(pw, hash) < 0)
			return problem(r, PROBLEM_INTERNAL,
				       "The password could not be hashed; "
				       "quote request %s.",
				       r->req_id);
	}
	res = db_query_or_problem(
	    r, &sql_user_update,
	    DB_PARAMS(id, valid_has(b, "display_name") ? "t" : "f",
		      valid_str(b, "display_name"),
		      valid_has(b, "email") ? "t" : "f", user_body_email(b),
		      role, dis, pw != NULL ? hash : NULL, NULL));
	if (res == NULL)
		return r->status;
	after = req_own(r, user_json(res, 0));
	/* A disabled user, or one whose password an admin reset, keeps no
	 * session (except the admin's own). */
	if ((disable || pw != NULL) &&
	    db_query_or_problem(
		r, &sql_session_revoke_user,
		DB_PARAMS(id, disable ? "user disabled" : "password reset",
			  r->who.session_id[0] != '\0' ? r->who.session_id
						       : NULL)) == NULL)
		return r->status;
	if (pw != NULL)
		json_object_object_add(after, "password_reset",
				       json_object_new_boolean(1));
	if (valid_bool(b, "unlock", 0)) {
		if (lockout_clear_or_problem(r, username) < 0)
			return r->status;
		json_object_object_add(after, "unlocked",
				       json_object_new_boolean(1));
	}
	if (audit_or_problem(r, "user.update", "user", id, before, after) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	user_etag(r, res, 0);
	return req_reply(r, 200, user_json(res, 0));
}

int
users_delete(struct req *r)
{
	const char *id = users_id(r);
	struct users_lock l;
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such user.");
	if (strcmp(id, r->who.user_id) == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "You cannot delete your own account.");
	if (db_begin_or_problem(r) < 0 || users_lock_or_problem(r, id, &l) < 0)
		return r->status;
	if (l.target_admin && l.enabled_admins <= 1)
		return problem(r, PROBLEM_CONFLICT,
			       "This is the last enabled admin; make another "
			       "admin first.");
	res = db_query_or_problem(r, &sql_user_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (user_if_match_or_problem(r, res, 0) < 0)
		return r->status;
	if (db_query_or_problem(r, &sql_user_delete, DB_PARAMS(id)) == NULL ||
	    audit_or_problem(r, "user.delete", "user", id,
			     req_own(r, user_json(res, 0)), NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
