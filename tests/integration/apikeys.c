/* API keys: shown once, usable as Bearer, listed without secrets, capped
 * by the owner's role (now and later), revoked and expired keys refused,
 * and refused on routes that need a person's session. */
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define ADMIN_LOCK "SELECT pg_advisory_lock(73010)"
#define ADMIN_UNLOCK "SELECT pg_advisory_unlock(73010)"

static struct tc_res *create_key(const char *token, const char *role,
				 const char *extra);

static struct tc_res *
create_key(const char *token, const char *role, const char *extra)
{
	return tc_req("POST", "/api/v1/api-keys", token,
		      tc_printf("{\"name\":%s,\"role\":\"%s\"%s}",
				tc_quote(tc_name("key")), role,
				extra != NULL ? extra : ""));
}

int
main(void)
{
	struct tc_user *u, *v, *x;
	struct tc_res *r;
	const char *key, *kid, *kid_hex, *key2, *xkey, *dkey, *ekey, *eid;
	char nodash[33];
	size_t i, j;

	tc_init(17);
	u = tc_new_user("key", "operator");
	v = tc_new_user("keyv", "viewer");
	if (u == NULL || v == NULL || u->token == NULL || v->token == NULL)
		BAIL_OUT("cannot create and log in test users");

	r = create_key(u->token, "viewer", NULL);
	tc_status_is(r, 201, "create a viewer key");
	key = tc_str(r, "key");
	kid = tc_str(r, "id");
	like(key, "^oc_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$", "key format");
	for (i = j = 0; kid != NULL && kid[i] != '\0' && j < 32; i++)
		if (kid[i] != '-')
			nodash[j++] = kid[i];
	nodash[j] = '\0';
	kid_hex = nodash;
	ok(key != NULL && strncmp(key + 3, kid_hex, 32) == 0,
	   "the key names its id");
	is(tc_str(r, "role"), "viewer", "role");
	ok(tc_json(r->json, "created_at") != NULL, "created_at");
	if (key == NULL)
		BAIL_OUT("no key");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.api_keys WHERE "
			   "secret_hash LIKE '%' || $1 || '%'",
			   strrchr(key, '_') + 1, NULL),
	       "==", 0, "the secret is not stored in clear");

	r = tc_req("GET", "/api/v1/api-keys", u->token, NULL);
	tc_status_is(r, 200, "list own keys");
	cmp_ok(tc_int(r, "total", -1), "==", 1, "one key");
	is(tc_str(r, "items.0.id"), kid, "the key is listed");
	ok(strstr(r->body, strrchr(key, '_') + 1) == NULL &&
		   tc_json(r->json, "items.0.key") == NULL &&
		   tc_json(r->json, "items.0.secret_hash") == NULL,
	   "the list shows no secret");
	is(tc_str(r, "items.0.username"), u->username, "owner's username");

	/* As a Bearer token. */
	r = tc_req("GET", "/api/v1/me", key, NULL);
	tc_status_is(r, 200, "the key works as Bearer");
	is(tc_str(r, "username"), u->username, "... as its owner");
	ok(tc_db_value("SELECT last_used_at FROM identity.api_keys WHERE "
		       "id = $1",
		       kid, NULL) != NULL,
	   "last_used_at recorded");
	tc_status_is(tc_req("GET", "/api/v1/sessions", key, NULL), 200,
		     "a key may list sessions");
	tc_problem_is(tc_req("POST", "/api/v1/me/password", key,
			     tc_printf("{\"current_password\":%s,"
				       "\"new_password\":%s}",
				       tc_quote(u->password),
				       tc_quote(tc_password()))),
		      403, "forbidden", "a key cannot change the password");
	tc_status_is(tc_login_res(u->username, u->password, NULL), 200,
		     "... and the password is unchanged");
	tc_problem_is(create_key(key, "viewer", NULL), 403, "forbidden",
		      "a key cannot create keys");
	tc_problem_is(tc_req("POST", "/api/v1/me/totp", key, NULL), 403,
		      "forbidden", "a key cannot enrol TOTP");
	tc_problem_is(tc_req("POST", "/api/v1/me/totp/verify", key,
			     "{\"code\":\"123456\"}"),
		      403, "forbidden", "a key cannot verify TOTP");
	tc_problem_is(tc_req("DELETE", "/api/v1/me/totp", key,
			     tc_printf("{\"password\":%s}",
				       tc_quote(u->password))),
		      403, "forbidden", "a key cannot disable TOTP");
	tc_problem_is(tc_req("POST", "/api/v1/auth/logout", key, NULL), 403,
		      "forbidden", "a key cannot log out");

	/* Forged keys. */
	tc_problem_is(tc_req("GET", "/api/v1/me",
			     tc_printf("oc_%s_%s", kid_hex,
				       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
			     NULL),
		      401, "unauthorized", "right id, wrong secret");
	tc_problem_is(tc_req("GET", "/api/v1/me",
			     "oc_00000000000000000000000000000000_x", NULL),
		      401, "unauthorized", "unknown id");
	tc_problem_is(tc_req("GET", "/api/v1/me", "oc_garbage", NULL), 401,
		      "unauthorized", "garbage after oc_");
	tc_problem_is(tc_req("GET", "/api/v1/me", "oc_", NULL), 401,
		      "unauthorized", "just the prefix");
	tc_problem_is(tc_req("GET", "/api/v1/me",
			     tc_printf("oc_%s_", kid_hex), NULL),
		      401, "unauthorized", "empty secret");
	tc_problem_is(tc_req("GET", "/api/v1/me",
			     tc_printf("oc_%s_%s'--", kid_hex,
				       strrchr(key, '_') + 1),
			     NULL),
		      401, "unauthorized", "secret with SQL after it");

	/* Role caps. */
	r = create_key(v->token, "admin", NULL);
	if (tc_problem_is(r, 422, "validation",
			  "a viewer cannot make an admin key"))
		ok(tc_has_field_error(r, "role"), "... field role");
	tc_problem_is(create_key(v->token, "operator", NULL), 422,
		      "validation", "nor an operator key");
	tc_problem_is(create_key(u->token, "root", NULL), 422, "validation",
		      "unknown role");
	r = create_key(u->token, "viewer",
		       ",\"expires_at\":\"2001-01-01T00:00:00Z\"");
	if (tc_problem_is(r, 422, "validation", "expires_at in the past"))
		ok(tc_has_field_error(r, "expires_at"), "... field expires_at");
	tc_problem_is(create_key(u->token, "viewer",
				 ",\"expires_at\":\"2030-02-31T00:00:00Z\""),
		      422, "validation", "expires_at on February 31st");
	tc_problem_is(create_key(u->token, "viewer",
				 ",\"expires_at\":\"99999-01-01T00:00:00Z\""),
		      422, "validation", "expires_at in year 99999");
	tc_problem_is(create_key(u->token, "viewer",
				 ",\"expires_at\":\"2099-01-01\""),
		      422, "validation", "expires_at without a time");
	tc_problem_is(tc_req("POST", "/api/v1/api-keys", u->token,
			     "{\"name\":\"\",\"role\":\"viewer\"}"),
		      422, "validation", "empty name");

	/* The owner's rights cap the key, later too. */
	tc_db_value(ADMIN_LOCK, NULL);
	x = tc_new_user("keyadm", "admin");
	if (x == NULL || x->token == NULL)
		BAIL_OUT("cannot create an admin");
	r = create_key(x->token, "admin", NULL);
	tc_status_is(r, 201, "an admin makes an admin key");
	xkey = tc_str(r, "key");
	r = create_key(x->token, "viewer", NULL);
	key2 = tc_str(r, "key");
	tc_status_is(tc_req("GET", "/api/v1/users?limit=1", xkey, NULL), 200,
		     "the admin key can list users");
	tc_problem_is(tc_req("GET", "/api/v1/users?limit=1", key2, NULL), 403,
		      "forbidden", "a viewer key of an admin cannot");
	tc_status_is(tc_req("PATCH", tc_printf("/api/v1/users/%s", x->id),
			    tc_admin_token(), "{\"role\":\"viewer\"}"),
		     200, "demote the key's owner to viewer");
	tc_problem_is(tc_req("GET", "/api/v1/users?limit=1", xkey, NULL), 403,
		      "forbidden", "the admin key lost its rights with the owner");
	tc_status_is(tc_req("GET", "/api/v1/me", xkey, NULL), 200,
		     "... but still works as a viewer");
	tc_status_is(tc_req("DELETE", tc_printf("/api/v1/users/%s", x->id),
			    tc_admin_token(), NULL),
		     204, "delete the owner");
	tc_db_value(ADMIN_UNLOCK, NULL);
	tc_problem_is(tc_req("GET", "/api/v1/me", xkey, NULL), 401,
		      "unauthorized", "a deleted owner's key is refused");

	/* Disabled owner. */
	r = create_key(v->token, "viewer", NULL);
	dkey = tc_str(r, "key");
	tc_req("PATCH", tc_printf("/api/v1/users/%s", v->id), tc_admin_token(),
	       "{\"disabled\":true}");
	tc_problem_is(tc_req("GET", "/api/v1/me", dkey, NULL), 401,
		      "unauthorized", "a disabled owner's key is refused");

	/* Expired. */
	r = create_key(u->token, "viewer",
		       ",\"expires_at\":\"2099-01-01T00:00:00Z\"");
	tc_status_is(r, 201, "a key with expires_at");
	ekey = tc_str(r, "key");
	eid = tc_str(r, "id");
	is(tc_str(r, "expires_at") != NULL ? tc_printf("%.10s",
						       tc_str(r, "expires_at"))
					   : NULL,
	   "2099-01-01", "expires_at echoed");
	tc_status_is(tc_req("GET", "/api/v1/me", ekey, NULL), 200,
		     "works before it expires");
	tc_db_exec("UPDATE identity.api_keys SET expires_at = now() - "
		   "interval '1 second' WHERE id = $1",
		   eid, NULL);
	tc_problem_is(tc_req("GET", "/api/v1/me", ekey, NULL), 401,
		      "unauthorized", "an expired key is refused");

	/* Listing all, revoking. */
	tc_problem_is(tc_req("GET", "/api/v1/api-keys?all=true", u->token,
			     NULL),
		      403, "forbidden", "a non-admin cannot list all keys");
	r = tc_req("GET", "/api/v1/api-keys?all=true&limit=200",
		   tc_admin_token(), NULL);
	tc_status_is(r, 200, "an admin lists all keys");
	cmp_ok(tc_int(r, "total", -1), ">=", 3, "keys of several users");
	tc_problem_is(tc_req("DELETE", tc_printf("/api/v1/api-keys/%s", kid),
			     NULL, NULL),
		      401, "unauthorized", "revoking needs a token");
	tc_status_is(tc_req("DELETE", tc_printf("/api/v1/api-keys/%s", kid),
			    u->token, NULL),
		     204, "revoke own key");
	tc_problem_is(tc_req("GET", "/api/v1/me", key, NULL), 401,
		      "unauthorized", "a revoked key is refused");
	r = tc_req("GET", "/api/v1/api-keys", u->token, NULL);
	ok(strstr(r->body, "revoked_at") != NULL, "revoked_at is listed");
	tc_problem_is(tc_req("DELETE", tc_printf("/api/v1/api-keys/%s", eid),
			     NULL, NULL),
		      401, "unauthorized", "anonymous revoke");
	{
		struct tc_user *o = tc_new_user("keyo", "viewer");

		tc_problem_is(tc_req("DELETE",
				     tc_printf("/api/v1/api-keys/%s", eid),
				     o != NULL ? o->token : NULL, NULL),
			      404, "not-found",
			      "another user's key is 404 for non-admins");
	}
	tc_status_is(tc_req("DELETE", tc_printf("/api/v1/api-keys/%s", eid),
			    tc_admin_token(), NULL),
		     204, "an admin revokes anyone's key");
	tc_problem_is(tc_req("DELETE",
			     "/api/v1/api-keys/00000000-0000-4000-8000-"
			     "000000000000",
			     u->token, NULL),
		      404, "not-found", "unknown key");
	tc_problem_is(tc_req("DELETE", "/api/v1/api-keys/zz", u->token, NULL),
		      404, "not-found", "malformed key id");

	tc_done();
	return done_testing();
}
