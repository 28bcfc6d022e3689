/* Authentication of a request and the role check declared on its route. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "authcache.h"
#include "cfg.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "problem.h"
#include "req.h"
#include "route.h"
#include "token.h"

static const struct db_stmt auth_session = {
	"auth_session",
	"SELECT username, role, expires_at FROM "
	"identity.session_principal_until($1::uuid, $2::uuid)",
	2};
static const struct db_stmt auth_api_key = {
	"auth_api_key",
	"SELECT user_id, username, user_role, key_role, secret_hash "
	"FROM identity.api_key_principal($1::uuid)",
	1};
static const struct db_stmt auth_api_key_touch = {
	"auth_api_key_touch", "SELECT identity.api_key_touch($1::uuid)", 1};

static int auth_unauthorized(struct req *r, int presented, const char *why);
static int auth_access_token(struct req *r, const char *tok);
static int auth_api_key_check(struct req *r, const char *key);

int
auth_init(void)
{
	return token_load_verify_key(cfg.jwt_verify_key);
}

static int
auth_unauthorized(struct req *r, int presented, const char *why)
{
	req_header_add(r, "WWW-Authenticate",
		       presented ? "Bearer realm=\"opsconductor\", "
				   "error=\"invalid_token\""
				 : "Bearer realm=\"opsconductor\"");
	if (presented)
		log_msg(LOG_INFO, r->req_id, "credentials refused: %s", why);
	return problem(r, PROBLEM_UNAUTHORIZED,
		       presented ? "The access token or API key is not valid "
				   "(expired, revoked or malformed); sign in "
				   "again."
				 : "Sign in or send an API key as "
				   "\"Authorization: Bearer ...\".");
}

/* 0 when tok is a valid access token of an active session; fills r->who.
 * -1 with a problem set otherwise. The session is looked up in the
 * process's cache of principals first (fcgi/authcache.c). */
static int
auth_access_token(struct req *r, const char *tok)
{
	struct token_claims c;
	const char *why, *expires;
	PGresult *res;
	int role;

	if (token_verify(tok, time(NULL), &c, &why) < 0) {
		auth_unauthorized(r, 1, why);
		return -1;
	}
	if (!authcache_get(c.sid, c.sub, r->who.username,
			   sizeof(r->who.username), &role)) {
		res = db_query_or_problem(r, &auth_session,
					  DB_PARAMS(c.sid, c.sub));
		if (res == NULL)
			return -1;
		if (PQntuples(res) != 1 || db_value(res, 0, 0) == NULL) {
			auth_unauthorized(r, 1, "session ended");
			return -1;
		}
		role = role_parse(db_value(res, 0, 1));
		if (role < 0) {
			auth_unauthorized(r, 1, "unknown role");
			return -1;
		}
		snprintf(r->who.username, sizeof(r->who.username), "%s",
			 db_value(res, 0, 0));
		expires = db_value(res, 0, 2);
		if (expires != NULL)
			authcache_put(c.sid, c.sub, r->who.username, role,
				      (time_t)strtoll(expires, NULL, 10));
	}
	r->who.authenticated = 1;
	snprintf(r->who.user_id, sizeof(r->who.user_id), "%s", c.sub);
	snprintf(r->who.session_id, sizeof(r->who.session_id), "%s", c.sid);
	r->who.role = (enum role)role;
	return 0;
}

/* Keys are "oc_" + 32 hex digits of the key id + "_" + the secret. */
static int
auth_api_key_check(struct req *r, const char *key)
{
	char id[37], hash[65];
	const char *hex = key + strlen(AUTH_API_KEY_PREFIX), *stored;
	PGresult *res;
	int i, j, urole, krole;

	if (strlen(key) < strlen(AUTH_API_KEY_PREFIX) + 34 ||
	    strlen(key) > 200 || hex[32] != '_') {
		auth_unauthorized(r, 1, "malformed API key");
		return -1;
	}
	for (i = 0, j = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)hex[i])) {
			auth_unauthorized(r, 1, "malformed API key");
			return -1;
		}
		if (i == 8 || i == 12 || i == 16 || i == 20)
			id[j++] = '-';
		id[j++] = (char)tolower((unsigned char)hex[i]);
	}
	id[j] = '\0';
	res = db_query_or_problem(r, &auth_api_key, DB_PARAMS(id));
	if (res == NULL)
		return -1;
	stored = PQntuples(res) == 1 ? db_value(res, 0, 4) : NULL;
	crypto_sha256_hex(hash, key);
	if (stored == NULL || strlen(stored) != 64 ||
	    !crypto_equal(stored, hash, 64)) {
		auth_unauthorized(r, 1, "unknown, revoked or expired API key");
		return -1;
	}
	urole = role_parse(db_value(res, 0, 2));
	krole = role_parse(db_value(res, 0, 3));
	if (urole < 0 || krole < 0) {
		auth_unauthorized(r, 1, "unknown role");
		return -1;
	}
	r->who.authenticated = 1;
	snprintf(r->who.user_id, sizeof(r->who.user_id), "%s",
		 db_value(res, 0, 0));
	snprintf(r->who.username, sizeof(r->who.username), "%s",
		 db_value(res, 0, 1));
	snprintf(r->who.api_key_id, sizeof(r->who.api_key_id), "%s", id);
	r->who.role = (enum role)(krole < urole ? krole : urole);
	if (db_query_or_problem(r, &auth_api_key_touch, DB_PARAMS(id)) == NULL)
		return -1;
	return 0;
}

int
auth_or_problem(struct req *r)
{
	const struct route *rt = r->route;
	const char *h = r->authorization, *cred;
	int rc;

	memset(&r->who, 0, sizeof(r->who));
	if (h == NULL || *h == '\0') {
		if (rt->role == ROLE_PUBLIC)
			return 0;
		auth_unauthorized(r, 0, NULL);
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		if (rt->role == ROLE_PUBLIC)
			return 0;
		auth_unauthorized(r, 1, "not a bearer credential");
		return -1;
	}
	cred = h + 7;
	while (*cred == ' ')
		cred++;
	if (strncmp(cred, AUTH_API_KEY_PREFIX, strlen(AUTH_API_KEY_PREFIX)) ==
	    0)
		rc = auth_api_key_check(r, cred);
	else
		rc = auth_access_token(r, cred);
	if (rc < 0) {
		/* A public route still works for a caller whose credential
		 * is stale (the login page with an expired token). The
		 * database being down is reported whatever the route. */
		if (rt->role == ROLE_PUBLIC && r->status == 401) {
			memset(&r->who, 0, sizeof(r->who));
			r->problem = NULL;
			r->headers = NULL;
			r->status = 0;
			return 0;
		}
		return -1;
	}
	if ((rt->flags & ROUTE_NO_API_KEY) && r->who.api_key_id[0] != '\0')
		return problem(r, PROBLEM_FORBIDDEN,
			       "This action needs a signed-in person; API "
			       "keys cannot do it."),
		       -1;
	if (r->who.role < rt->role)
		return problem(r, PROBLEM_FORBIDDEN,
			       "This needs the %s role; you are %s.",
			       role_name(rt->role), role_name(r->who.role)),
		       -1;
	return 0;
}
