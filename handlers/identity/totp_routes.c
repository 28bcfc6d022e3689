/* TOTP enrolment, verification (which enables it) and disabling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "enc.h"
#include "factor.h"
#include "password.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "totp.h"
#include "totp_routes.h"
#include "valid.h"

#define TOTP_ROUTES_ISSUER "OpsConductor"

const struct field totp_routes_verify_fields[] = {
    {"code", FIELD_STRING, FIELD_REQUIRED, 1, 16, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field totp_routes_disable_fields[] = {
    {"password", FIELD_STRING, FIELD_REQUIRED, 1, 1024, NULL, NULL},
    {"code", FIELD_STRING, 0, 1, 16, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static PGresult *totp_routes_lock(struct req *r);

/* The caller's row, locked: password_hash, totp_enabled, sealed secret
 * (hex), last step, username. NULL with a problem set. */
static PGresult *
totp_routes_lock(struct req *r)
{
	PGresult *res;

	if (db_begin_or_problem(r) < 0)
		return NULL;
	res = db_query_or_problem(r, &sql_user_secret_lock,
				  DB_PARAMS(r->who.user_id));
	if (res != NULL && PQntuples(res) != 1) {
		problem(r, PROBLEM_NOT_FOUND, "Your account is gone.");
		return NULL;
	}
	return res;
}

int
totp_routes_enrol(struct req *r)
{
	unsigned char secret[TOTP_SECRET_LEN];
	char b32[(TOTP_SECRET_LEN * 8 + 4) / 5 + 1], sealed[FACTOR_SEALED_HEX];
	json_object *o;
	PGresult *res = totp_routes_lock(r);

	if (res == NULL)
		return r->status;
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "Two-factor sign-in is already on; turn it off "
			       "first to enrol a new authenticator.");
	crypto_random(secret, sizeof(secret));
	factor_seal(sealed, r->who.user_id, secret);
	enc_b32(b32, secret, sizeof(secret));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (db_query_or_problem(r, &sql_totp_set_pending,
				DB_PARAMS(r->who.user_id, sealed)) == NULL ||
	    audit_or_problem(r, "user.totp_enrol", "user", r->who.user_id, NULL,
			     NULL) < 0 ||
	    db_commit_or_problem(r) < 0) {
		OPENSSL_cleanse(b32, sizeof(b32));
		return r->status;
	}
	o = json_object_new_object();
	json_object_object_add(o, "secret", json_object_new_string(b32));
	json_object_object_add(
	    o, "otpauth_uri",
	    json_object_new_string(arena_printf(
		r->arena,
		"otpauth://totp/" TOTP_ROUTES_ISSUER ":%s?secret=%s"
		"&issuer=" TOTP_ROUTES_ISSUER "&algorithm=SHA1"
		"&digits=%d&period=%d",
		r->who.username, b32, TOTP_DIGITS, TOTP_PERIOD)));
	OPENSSL_cleanse(b32, sizeof(b32));
	return req_reply(r, 200, o);
}

int
totp_routes_verify(struct req *r)
{
	const char *code = valid_str(r->body, "code");
	unsigned char secret[TOTP_SECRET_LEN];
	char step_s[24];
	json_object *codes, *o;
	long long step;
	PGresult *res = totp_routes_lock(r);

	if (res == NULL)
		return r->status;
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0 ||
	    db_value(res, 0, 2) == NULL)
		return problem(r, PROBLEM_CONFLICT,
			       "There is no enrolment to confirm; start one "
			       "with POST /api/v1/me/totp.");
	if (factor_open(secret, r->who.user_id, db_value(res, 0, 2)) < 0)
		return problem(r, PROBLEM_CONFLICT,
			       "The pending enrolment cannot be read; start "
			       "a new one.");
	step = totp_verify(secret, sizeof(secret), code, time(NULL), -1);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (step < 0)
		return problem_field(r, "code",
				     "is not the current code of your "
				     "authenticator app");
	snprintf(step_s, sizeof(step_s), "%lld", step);
	if (db_query_or_problem(r, &sql_totp_enable,
				DB_PARAMS(r->who.user_id, step_s)) == NULL)
		return r->status;
	codes = factor_recovery_new(r, r->who.user_id);
	if (codes == NULL)
		return r->status;
	o = json_object_new_object();
	json_object_object_add(o, "recovery_codes", codes);
	if (audit_or_problem(r, "user.totp_enable", "user", r->who.user_id,
			     NULL, NULL) < 0 ||
	    db_commit_or_problem(r) < 0) {
		json_object_put(o);
		return r->status;
	}
	return req_reply(r, 200, o);
}

int
totp_routes_disable(struct req *r)
{
	const char *pw = valid_str(r->body, "password");
	const char *code = valid_str(r->body, "code");
	PGresult *res = totp_routes_lock(r);
	int rc;

	if (res == NULL)
		return r->status;
	if (!password_verify(PQgetvalue(res, 0, 0), pw))
		return problem_field(r, "password", "is not your password");
	if (code != NULL && strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		rc = factor_check(r, r->who.user_id, db_value(res, 0, 2),
				  db_value(res, 0, 3), code, NULL);
		if (rc < 0)
			return r->status;
		if (rc == 0)
			return problem_field(r, "code",
					     "is not the current code of your "
					     "authenticator app");
	}
	if (db_query_or_problem(r, &sql_totp_disable,
				DB_PARAMS(r->who.user_id)) == NULL ||
	    db_query_or_problem(r, &sql_recovery_delete,
				DB_PARAMS(r->who.user_id)) == NULL ||
	    audit_or_problem(r, "user.totp_disable", "user", r->who.user_id,
			     NULL, NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
