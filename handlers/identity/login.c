/* Signing in and out: login, refresh token rotation, logout (here or
 * everywhere), the cookie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "audit.h"
#include "cfg.h"
#include "crypto.h"
#include "db.h"
#include "enc.h"
#include "factor.h"
#include "lockout.h"
#include "login.h"
#include "password.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "token.h"
#include "totp.h"
#include "user.h"
#include "valid.h"

#define LOGIN_REFRESH_BYTES 32
#define LOGIN_REFRESH_CHARS 43

static const char *login_check_code(struct req *r, json_object *v);

const struct field login_fields[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 1, 64, NULL, NULL},
    {"password", FIELD_STRING, FIELD_REQUIRED, 1, 1024, NULL, NULL},
    {"totp_code", FIELD_STRING, 0, 0, 0, NULL, login_check_code},
    {"recovery_code", FIELD_STRING, 0, 1, 64, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field login_refresh_fields[] = {
    {"refresh_token", FIELD_STRING, 0, 1, 4096, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field login_logout_fields[] = {{NULL, 0, 0, 0, 0, NULL, NULL}};

static void login_cookie(struct req *r, const char *token, int max_age);
static int login_issue(struct req *r, const char *user_id, const char *username,
		       const char *role, const char *session_id);
static int login_refused(struct req *r, const char *username);
static void login_as(struct req *r, const char *id, const char *username,
		     const char *role);

static const char *
login_check_code(struct req *r, json_object *v)
{
	(void)r;
	return totp_parse(json_object_get_string(v)) < 0 ? "must be 6 digits"
							 : NULL;
}

static void
login_cookie(struct req *r, const char *token, int max_age)
{
	req_header_add(r, "Set-Cookie",
		       arena_printf(r->arena,
				    LOGIN_COOKIE "=%s; Path=" LOGIN_COOKIE_PATH
						 "; Max-Age=%d; HttpOnly; "
						 "Secure; SameSite=Strict",
				    token, max_age));
}

/* The caller, for the audit trail and the access log. */
static void
login_as(struct req *r, const char *id, const char *username, const char *role)
{
	int rl = role_parse(role);

	memset(&r->who, 0, sizeof(r->who));
	r->who.authenticated = 1;
	snprintf(r->who.user_id, sizeof(r->who.user_id), "%s", id);
	snprintf(r->who.username, sizeof(r->who.username), "%s", username);
	r->who.role = rl > 0 ? (enum role)rl : ROLE_VIEWER;
}

/* Inside the caller's transaction: stores a new refresh token for the
 * session, commits, and answers with the token pair and the cookie. */
static int
login_issue(struct req *r, const char *user_id, const char *username,
	    const char *role, const char *session_id)
{
	char refresh[LOGIN_REFRESH_CHARS + 1], hash[65];
	unsigned char jti[16];
	struct token_claims c;
	json_object *o, *u;
	char *jwt;
	const char *access;

	crypto_random_token(refresh, sizeof(refresh), LOGIN_REFRESH_BYTES);
	crypto_sha256_hex(hash, refresh);
	if (db_query_or_problem(r, &sql_refresh_insert,
				DB_PARAMS(hash, session_id)) == NULL)
		return r->status;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", user_id);
	snprintf(c.username, sizeof(c.username), "%s", username);
	snprintf(c.role, sizeof(c.role), "%s", role);
	snprintf(c.sid, sizeof(c.sid), "%s", session_id);
	crypto_random(jti, sizeof(jti));
	enc_hex(c.jti, jti, sizeof(jti));
	c.iat = c.nbf = time(NULL);
	c.exp = c.iat + cfg.access_ttl;
	jwt = token_sign(&c);
	if (jwt == NULL)
		return problem(r, PROBLEM_INTERNAL,
			       "Tokens cannot be signed; quote request %s.",
			       r->req_id);
	access = arena_strdup(r->arena, jwt);
	OPENSSL_cleanse(jwt, strlen(jwt));
	free(jwt);
	if (db_commit_or_problem(r) < 0)
		return r->status;

	o = json_object_new_object();
	json_object_object_add(o, "access_token",
			       json_object_new_string(access));
	json_object_object_add(o, "token_type",
			       json_object_new_string("Bearer"));
	json_object_object_add(o, "expires_in",
			       json_object_new_int(cfg.access_ttl));
	json_object_object_add(o, "refresh_token",
			       json_object_new_string(refresh));
	u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_string(user_id));
	json_object_object_add(u, "username", json_object_new_string(username));
	json_object_object_add(u, "role", json_object_new_string(role));
	json_object_object_add(o, "user", u);
	login_cookie(r, refresh, cfg.refresh_ttl);
	OPENSSL_cleanse(refresh, sizeof(refresh));
	return req_reply(r, 200, o);
}

/* A failed attempt: counted, then the one answer that says nothing about
 * which part was wrong. */
static int
login_refused(struct req *r, const char *username)
{
	if (lockout_fail_or_problem(r, username) < 0)
		return r->status;
	return problem(r, PROBLEM_LOGIN_FAILED,
		       "The username or password is not right.");
}

int
login_post(struct req *r)
{
	const char *name = user_lower(r, valid_str(r->body, "username"));
	const char *pw = valid_str(r->body, "password");
	const char *code = valid_str(r->body, "totp_code");
	const char *recovery = valid_str(r->body, "recovery_code");
	const char *id, *username, *role, *sid, *ua;
	char ttl[16];
	json_object *after;
	PGresult *res;
	int found, ok, disabled, totp, rc;

	if (lockout_check_or_problem(r, name) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_user_login, DB_PARAMS(name));
	if (res == NULL)
		return r->status;
	found = PQntuples(res) == 1;
	/* Always one argon2 verification, for unknown users too. */
	ok = password_verify(found ? PQgetvalue(res, 0, 3) : NULL, pw);
	disabled = found && strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	if (!found || !ok || disabled)
		return login_refused(r, name);

	id = PQgetvalue(res, 0, 0);
	username = PQgetvalue(res, 0, 1);
	role = PQgetvalue(res, 0, 2);
	totp = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	login_as(r, id, username, role);
	if (totp && code == NULL && recovery == NULL)
		return problem(r, PROBLEM_TOTP_REQUIRED,
			       "Send the 6-digit code of your authenticator "
			       "app as totp_code (or a recovery code).");

	if (db_begin_or_problem(r) < 0)
		return r->status;
	if (totp) {
		rc = factor_check(r, id, db_value(res, 0, 6),
				  db_value(res, 0, 7), code, recovery);
		if (rc < 0)
			return r->status;
		if (rc == 0) {
			db_rollback(r);
			if (lockout_fail_or_problem(r, name) < 0)
				return r->status;
			return problem(r, PROBLEM_TOTP_INVALID,
				       "The one-time code is wrong, expired or "
				       "already used.");
		}
	}
	snprintf(ttl, sizeof(ttl), "%d", cfg.refresh_ttl);
	ua = r->user_agent != NULL &&
		     enc_utf8_valid(r->user_agent, strlen(r->user_agent))
		 ? r->user_agent
		 : NULL;
	res = db_query_or_problem(r, &sql_session_insert,
				  DB_PARAMS(id, ttl, r->remote_addr, ua));
	if (res == NULL)
		return r->status;
	sid = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
	snprintf(r->who.session_id, sizeof(r->who.session_id), "%s", sid);
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "session_id",
			       json_object_new_string(sid));
	json_object_object_add(
	    after, "second_factor",
	    json_object_new_string(
		!totp ? "none" : (code != NULL ? "totp" : "recovery_code")));
	if (lockout_clear_or_problem(r, name) < 0 ||
	    audit_or_problem(r, "user.login", "session", sid, NULL, after) < 0)
		return r->status;
	return login_issue(r, id, username, role, sid);
}

int
login_refresh(struct req *r)
{
	const char *tok = valid_str(r->body, "refresh_token");
	const char *sid, *id, *username, *role;
	char hash[65], ttl[16];
	json_object *after;
	PGresult *res;

	if (tok == NULL)
		tok = req_cookie(r, LOGIN_COOKIE);
	if (tok == NULL || strlen(tok) != LOGIN_REFRESH_CHARS)
		return problem(r, PROBLEM_UNAUTHORIZED,
			       "Send a refresh token (body refresh_token or "
			       "the " LOGIN_COOKIE " cookie); sign in again "
			       "if you have none.");
	crypto_sha256_hex(hash, tok);
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_refresh_use, DB_PARAMS(hash));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) == 1) {
		sid = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
		res = db_query_or_problem(r, &sql_session_active_lock,
					  DB_PARAMS(sid));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) != 1) {
			db_rollback(r);
			return problem(r, PROBLEM_UNAUTHORIZED,
				       "This session has ended; sign in "
				       "again.");
		}
		id = PQgetvalue(res, 0, 0);
		username = PQgetvalue(res, 0, 1);
		role = PQgetvalue(res, 0, 2);
		login_as(r, id, username, role);
		snprintf(ttl, sizeof(ttl), "%d", cfg.refresh_ttl);
		if (db_query_or_problem(r, &sql_session_touch,
					DB_PARAMS(sid, ttl)) == NULL)
			return r->status;
		return login_issue(r, id, username, role, sid);
	}

	/* Not an unused token: a used one means it was stolen or replayed,
	 * and the whole session ends. */
	res = db_query_or_problem(r, &sql_refresh_find, DB_PARAMS(hash));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) == 1) {
		sid = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
		res = db_query_or_problem(
		    r, &sql_session_revoke,
		    DB_PARAMS(sid, "refresh token reuse", NULL));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) == 1) {
			login_as(r, PQgetvalue(res, 0, 1),
				 PQgetvalue(res, 0, 2), "viewer");
			after = req_own(r, json_object_new_object());
			json_object_object_add(
			    after, "revoked_reason",
			    json_object_new_string("refresh token reuse"));
			if (audit_or_problem(r, "session.revoke", "session",
					     sid, NULL, after) < 0 ||
			    db_commit_or_problem(r) < 0)
				return r->status;
		}
	}
	db_rollback(r);
	return problem(r, PROBLEM_UNAUTHORIZED,
		       "This refresh token is not valid; sign in again.");
}

int
login_logout(struct req *r)
{
	json_object *after;
	PGresult *res;

	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_session_revoke,
	    DB_PARAMS(r->who.session_id, "logout", r->who.user_id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) == 1) {
		after = req_own(r, json_object_new_object());
		json_object_object_add(after, "revoked_reason",
				       json_object_new_string("logout"));
		if (audit_or_problem(r, "session.revoke", "session",
				     r->who.session_id, NULL, after) < 0 ||
		    db_commit_or_problem(r) < 0)
			return r->status;
	}
	login_cookie(r, "", 0);
	r->status = 204;
	return 204;
}

/* Every session of the caller, the current one included, ends: its
 * access tokens stop working and its refresh tokens are refused. */
int
login_logout_all(struct req *r)
{
	json_object *after;
	PGresult *res;

	if (db_begin_or_problem(r) < 0)
		return r->status;
	res =
	    db_query_or_problem(r, &sql_session_revoke_user,
				DB_PARAMS(r->who.user_id, "logout all", NULL));
	if (res == NULL)
		return r->status;
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "revoked_reason",
			       json_object_new_string("logout all"));
	json_object_object_add(after, "sessions_revoked",
			       json_object_new_int(atoi(PQcmdTuples(res))));
	if (audit_or_problem(r, "session.revoke_all", "user", r->who.user_id,
			     NULL, after) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	login_cookie(r, "", 0);
	r->status = 204;
	return 204;
}
