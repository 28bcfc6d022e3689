/* API keys: create (the key is shown once), list and revoke. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "enc.h"
#include "apikeys.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "user.h"
#include "valid.h"

#define APIKEYS_SECRET_BYTES 32

static const char *const apikeys_roles[] = {"viewer", "operator", "admin",
					    NULL};

const struct field apikeys_create_fields[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 64, NULL, NULL},
    {"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, apikeys_roles, NULL},
    {"expires_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field apikeys_list_query[] = {
    {"all", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static void apikeys_new_id(char uuid[37], char hex[33]);
static json_object *apikeys_str(const PGresult *res, int row, int col);

/* A random (version 4) uuid, and the same as 32 hex digits. */
static void
apikeys_new_id(char uuid[37], char hex[33])
{
	unsigned char b[16];

	crypto_random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	enc_hex(hex, b, sizeof(b));
	snprintf(uuid, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
}

static json_object *
apikeys_str(const PGresult *res, int row, int col)
{
	const char *v = db_value(res, row, col);

	return v != NULL ? json_object_new_string(v) : NULL;
}

int
apikeys_create(struct req *r)
{
	const char *name = valid_str(r->body, "name");
	const char *role = valid_str(r->body, "role");
	const char *expires = valid_str(r->body, "expires_at");
	char id[37], hex[33], secret[64], key[128], hash[65];
	json_object *o, *after;
	PGresult *res;
	int i;

	if (role_parse(role) > (int)r->who.role)
		return problem_field(r, "role",
				     "cannot be above your own role (%s)",
				     role_name(r->who.role));
	if (expires != NULL) {
		res =
		    db_query_or_problem(r, &sql_ts_future, DB_PARAMS(expires));
		if (res == NULL)
			return r->status;
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			return problem_field(r, "expires_at",
					     "must be in the future");
	}
	apikeys_new_id(id, hex);
	crypto_random_token(secret, sizeof(secret), APIKEYS_SECRET_BYTES);
	snprintf(key, sizeof(key), AUTH_API_KEY_PREFIX "%s_%s", hex, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	crypto_sha256_hex(hash, key);
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_apikey_insert,
	    DB_PARAMS(id, r->who.user_id, name, role, hash, expires));
	if (res == NULL)
		return r->status;
	o = json_object_new_object();
	json_object_object_add(o, "id", apikeys_str(res, 0, 0));
	json_object_object_add(o, "name", apikeys_str(res, 0, 1));
	json_object_object_add(o, "role", apikeys_str(res, 0, 2));
	json_object_object_add(o, "created_at", apikeys_str(res, 0, 3));
	json_object_object_add(o, "expires_at", apikeys_str(res, 0, 4));
	after = req_own(r, json_object_new_object());
	for (i = 0; i < 5; i++)
		json_object_object_add(after,
				       (const char *[]){"id", "name", "role",
							"created_at",
							"expires_at"}[i],
				       apikeys_str(res, 0, i));
	if (audit_or_problem(r, "api_key.create", "api_key", id, NULL, after) <
		0 ||
	    db_commit_or_problem(r) < 0) {
		json_object_put(o);
		OPENSSL_cleanse(key, sizeof(key));
		return r->status;
	}
	json_object_object_add(o, "key", json_object_new_string(key));
	OPENSSL_cleanse(key, sizeof(key));
	req_header_add(r, "Location",
		       arena_printf(r->arena, "/api/v1/api-keys/%s", id));
	return req_reply(r, 201, o);
}

int
apikeys_list(struct req *r)
{
	static const char *const keys[] = {
	    "id",	  "name",	"role",		"user_id",   "username",
	    "created_at", "expires_at", "last_used_at", "revoked_at"};
	const char *all = req_query(r, "all"), *owner = r->who.user_id;
	struct page pg;
	long long total;
	json_object *items, *o;
	PGresult *res;
	int i, c;

	if (all != NULL && strcmp(all, "true") == 0) {
		if (r->who.role < ROLE_ADMIN)
			return problem(r, PROBLEM_FORBIDDEN,
				       "Only admins can list everyone's API "
				       "keys.");
		owner = NULL;
	}
	if (page_params_or_problem(r, &pg) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_apikey_list,
				  DB_PARAMS(owner, pg.lim, pg.off));
	if (res == NULL)
		return r->status;
	total = page_total_or_problem(r, &pg, res, &sql_apikey_count,
				      DB_PARAMS(owner));
	if (total < 0)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		o = json_object_new_object();
		for (c = 0; c < (int)(sizeof(keys) / sizeof(keys[0])); c++)
			json_object_object_add(o, keys[c],
					       apikeys_str(res, i, c));
		json_object_array_add(items, o);
	}
	return page_reply(r, items, total, &pg);
}

int
apikeys_delete(struct req *r)
{
	const char *id = req_param(r, "id"), *owner;
	json_object *after;
	PGresult *res;
	int i;

	if (id == NULL || !valid_uuid(id))
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such API key.");
	id = user_lower(r, id);
	owner = r->who.role >= ROLE_ADMIN ? NULL : r->who.user_id;
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_apikey_revoke, DB_PARAMS(id, owner));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) == 0) {
		res = db_query_or_problem(r, &sql_apikey_exists,
					  DB_PARAMS(id, owner));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) == 0)
			return problem(r, PROBLEM_NOT_FOUND,
				       "There is no such API key.");
		r->status = 204;
		return 204;
	}
	after = req_own(r, json_object_new_object());
	for (i = 0; i < 4; i++)
		json_object_object_add(
		    after, (const char *[]){"id", "name", "role", "user_id"}[i],
		    apikeys_str(res, 0, i));
	json_object_object_add(after, "revoked", json_object_new_boolean(1));
	if (audit_or_problem(r, "api_key.revoke", "api_key", id, NULL, after) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
