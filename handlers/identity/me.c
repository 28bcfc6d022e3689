/* The caller's own account: read it, edit it, change the password. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "me.h"
#include "password.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "user.h"
#include "valid.h"

const struct field me_patch_fields[] = {
    {"display_name", FIELD_STRING, FIELD_NULLABLE, 0, 128, NULL, NULL},
    {"email", FIELD_STRING, FIELD_NULLABLE, 0, 254, NULL, user_check_email},
    {"preferences", FIELD_OBJECT, 0, 0, 0, NULL, user_check_preferences},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field me_password_fields[] = {
    {"current_password", FIELD_STRING, FIELD_REQUIRED, 1, 1024, NULL, NULL},
    {"new_password", FIELD_STRING, FIELD_REQUIRED, 1, 1024, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

int
me_get(struct req *r)
{
	PGresult *res =
	    db_query_or_problem(r, &sql_user_get, DB_PARAMS(r->who.user_id));

	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "Your account is gone.");
	user_etag(r, res, 0);
	return req_reply(r, 200, user_json(res, 0));
}

int
me_patch(struct req *r)
{
	json_object *b = r->body, *prefs = NULL, *before;
	const char *ps = NULL;
	PGresult *res;

	if (json_object_object_get_ex(b, "preferences", &prefs) &&
	    prefs != NULL)
		ps = json_object_to_json_string_ext(prefs,
						    JSON_C_TO_STRING_PLAIN);
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_user_get, DB_PARAMS(r->who.user_id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "Your account is gone.");
	before = req_own(r, user_json(res, 0));
	res = db_query_or_problem(
	    r, &sql_user_update,
	    DB_PARAMS(r->who.user_id, valid_has(b, "display_name") ? "t" : "f",
		      valid_str(b, "display_name"),
		      valid_has(b, "email") ? "t" : "f", user_body_email(b),
		      NULL, NULL, NULL, ps));
	if (res == NULL)
		return r->status;
	if (audit_or_problem(r, "user.update", "user", r->who.user_id, before,
			     req_own(r, user_json(res, 0))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	user_etag(r, res, 0);
	return req_reply(r, 200, user_json(res, 0));
}

int
me_password(struct req *r)
{
	const char *cur = valid_str(r->body, "current_password");
	const char *pw = valid_str(r->body, "new_password");
	char hash[PASSWORD_HASH_MAX];
	json_object *after;
	PGresult *res;
	int bad = 0;

	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_user_secret_lock,
				  DB_PARAMS(r->who.user_id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "Your account is gone.");
	if (!password_verify(PQgetvalue(res, 0, 0), cur)) {
		problem_field(r, "current_password",
			      "is not your current password");
		bad = 1;
	}
	if (password_policy_or_problem(r, "new_password", pw,
				       PQgetvalue(res, 0, 4)) < 0)
		bad = 1;
	if (bad)
		return r->status;
	if (password_hash(pw, hash) < 0)
		return problem(r, PROBLEM_INTERNAL,
			       "The password could not be hashed; quote "
			       "request %s.",
			       r->req_id);
	res = db_query_or_problem(
	    r, &sql_session_revoke_user,
	    DB_PARAMS(r->who.user_id, "password change",
		      r->who.session_id[0] != '\0' ? r->who.session_id : NULL));
	if (res == NULL)
		return r->status;
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "password_changed",
			       json_object_new_boolean(1));
	json_object_object_add(after, "sessions_revoked",
			       json_object_new_int(atoi(PQcmdTuples(res))));
	if (db_query_or_problem(r, &sql_user_update,
				DB_PARAMS(r->who.user_id, "f", NULL, "f", NULL,
					  NULL, NULL, hash, NULL)) == NULL ||
	    audit_or_problem(r, "user.password_change", "user", r->who.user_id,
			     NULL, after) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
