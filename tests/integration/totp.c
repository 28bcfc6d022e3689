/* TOTP second factor: enrolment, verification with codes computed here
 * (RFC 6238, HMAC-SHA1), login with a code, wrong and replayed codes,
 * single-use recovery codes, and disabling with the password. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "enc.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static unsigned char secret[64];
static long secret_len;

static const char *code_at(long step);
static struct tc_res *login_with(const struct tc_user *u, const char *field,
				 const char *value);

/* The 6-digit code of a 30-second step. */
static const char *
code_at(long step)
{
	unsigned char msg[8], mac[20];
	unsigned int len = 0, off;
	unsigned long bin;
	int i;

	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(step & 0xff);
		step >>= 8;
	}
	HMAC(EVP_sha1(), secret, (int)secret_len, msg, 8, mac, &len);
	off = mac[19] & 0x0f;
	bin = ((unsigned long)(mac[off] & 0x7f) << 24) |
	      ((unsigned long)mac[off + 1] << 16) |
	      ((unsigned long)mac[off + 2] << 8) | mac[off + 3];
	return tc_printf("%06lu", bin % 1000000);
}

static struct tc_res *
login_with(const struct tc_user *u, const char *field, const char *value)
{
	return tc_req("POST", "/api/v1/auth/login", NULL,
		      tc_printf("{\"username\":%s,\"password\":%s,\"%s\":%s}",
				tc_quote(u->username), tc_quote(u->password),
				field, tc_quote(value)));
}

int
main(void)
{
	struct tc_user *u;
	struct tc_res *r;
	const char *b32, *uri, *wrong, *rc0, *code;
	long step;
	long long sessions;
	int i;

	tc_init(18);
	u = tc_new_user("totp", "viewer");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create and log in a test user");

	tc_problem_is(tc_req("POST", "/api/v1/me/totp/verify", u->token,
			     "{\"code\":\"123456\"}"),
		      409, "conflict", "verify without enrolment");
	r = tc_req("POST", "/api/v1/me/totp", u->token, NULL);
	tc_status_is(r, 200, "start enrolment");
	b32 = tc_str(r, "secret");
	uri = tc_str(r, "otpauth_uri");
	like(b32, "^[A-Z2-7]{16,}$", "base32 secret");
	if (b32 == NULL)
		BAIL_OUT("no secret");
	secret_len = enc_b32_decode(secret, sizeof(secret), b32);
	cmp_ok(secret_len, ">=", 10, "secret of at least 80 bits");
	like(uri, tc_printf("^otpauth://totp/OpsConductor:%s\\?", u->username),
	     "otpauth URI label");
	like(uri, tc_printf("[?&]secret=%s(&|$)", b32), "URI carries the secret");
	like(uri, "[?&]issuer=OpsConductor(&|$)", "issuer");
	like(uri, "[?&]algorithm=SHA1(&|$)", "algorithm");
	like(uri, "[?&]digits=6(&|$)", "digits");
	like(uri, "[?&]period=30(&|$)", "period");
	is(tc_str(tc_req("GET", "/api/v1/me", u->token, NULL), "totp_enabled"),
	   "false", "not enabled until verified");
	tc_status_is(tc_login_res(u->username, u->password, NULL), 200,
		     "login needs no code while pending");
	{
		char hex[129];

		enc_hex(hex, secret, (size_t)secret_len);
		cmp_ok(tc_db_count("SELECT count(*) FROM identity.users WHERE "
				   "id = $1 AND (encode(totp_secret, 'hex') "
				   "LIKE '%' || $2 || '%' OR "
				   "encode(totp_secret, 'escape') LIKE '%' || "
				   "$3 || '%')",
				   u->id, hex, b32, NULL),
		       "==", 0, "the secret is stored encrypted");
	}

	step = (long)time(NULL) / 30;
	/* A code outside the accepted window of one step either side. */
	wrong = code_at(step + 5);
	for (i = -1; i <= 1; i++)
		if (strcmp(wrong, code_at(step + i)) == 0)
			wrong = "000000";
	r = tc_req("POST", "/api/v1/me/totp/verify", u->token,
		   tc_printf("{\"code\":\"%s\"}", wrong));
	if (tc_problem_is(r, 422, "validation", "a wrong code"))
		ok(tc_has_field_error(r, "code"), "... field code");
	r = tc_req("POST", "/api/v1/me/totp/verify", u->token,
		   tc_printf("{\"code\":\"%s\"}", code_at(step)));
	tc_status_is(r, 200, "verify with the current code");
	cmp_ok(tc_json(r->json, "recovery_codes") != NULL
		       ? (long long)json_object_array_length(
				 tc_json(r->json, "recovery_codes"))
		       : -1,
	       "==", 10, "ten recovery codes");
	rc0 = tc_str(r, "recovery_codes.0");
	like(rc0, "^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$",
	     "recovery code format");
	isnt(rc0, tc_str(r, "recovery_codes.1"), "codes differ");
	is(tc_str(tc_req("GET", "/api/v1/me", u->token, NULL), "totp_enabled"),
	   "true", "enabled");
	tc_problem_is(tc_req("POST", "/api/v1/me/totp", u->token, NULL), 409,
		      "conflict", "enrolling again while enabled");
	if (rc0 != NULL)
		cmp_ok(tc_db_count("SELECT count(*) FROM identity.recovery_codes "
				   "WHERE code_hash = $1",
				   rc0, NULL),
		       "==", 0, "recovery codes are stored hashed");

	/* Login now needs a code. */
	sessions = tc_db_count("SELECT count(*) FROM identity.sessions WHERE "
			       "user_id = $1",
			       u->id, NULL);
	r = tc_login_res(u->username, u->password, NULL);
	tc_problem_is(r, 401, "totp-required", "password alone is not enough");
	ok(tc_json(r->json, "access_token") == NULL, "no token");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.sessions WHERE "
			   "user_id = $1",
			   u->id, NULL),
	       "==", sessions, "no session was created");
	r = tc_login_res(u->username, "Wrong-password-42", code_at(step));
	tc_problem_is(r, 401, "login-failed",
		      "a right code with a wrong password");
	tc_problem_is(tc_login_res(u->username, u->password, wrong), 401,
		      "totp-invalid", "a wrong code");
	tc_problem_is(tc_login_res(u->username, u->password, "12345"), 422,
		      "validation", "a 5-digit code is malformed");
	tc_problem_is(tc_login_res(u->username, u->password, code_at(step)),
		      401, "totp-invalid",
		      "the code used to verify cannot be replayed");
	code = code_at(step + 1);
	r = tc_login_res(u->username, u->password, code);
	tc_status_is(r, 200, "the next step's code logs in");
	ok(tc_str(r, "access_token") != NULL, "... with a token");
	tc_problem_is(tc_login_res(u->username, u->password, code), 401,
		      "totp-invalid", "the same code again is a replay");

	/* Recovery codes. */
	r = login_with(u, "recovery_code", rc0);
	tc_status_is(r, 200, "a recovery code logs in");
	tc_problem_is(login_with(u, "recovery_code", rc0), 401, "totp-invalid",
		      "a recovery code works once");
	tc_problem_is(login_with(u, "recovery_code", "aaaa-bbbb-cccc"), 401,
		      "totp-invalid", "an unknown recovery code");

	/* Disabling. */
	r = tc_req("DELETE", "/api/v1/me/totp", u->token,
		   "{\"password\":\"Wrong-password-42\"}");
	if (tc_problem_is(r, 422, "validation", "disable with a wrong password"))
		ok(tc_has_field_error(r, "password"), "... field password");
	tc_problem_is(tc_req("DELETE", "/api/v1/me/totp", u->token, NULL), 400,
		      "invalid-json", "disable needs a body");
	r = tc_req("DELETE", "/api/v1/me/totp", u->token,
		   tc_printf("{\"password\":%s}", tc_quote(u->password)));
	tc_status_is(r, 204, "disable with the password");
	is(tc_str(tc_req("GET", "/api/v1/me", u->token, NULL), "totp_enabled"),
	   "false", "disabled");
	tc_status_is(tc_login_res(u->username, u->password, NULL), 200,
		     "login without a code again");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "actor_id = $1 AND action LIKE '%totp%'",
			   u->id, NULL),
	       ">=", 2, "enable and disable are audited");
	ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
		       "actor_id = $1 AND (coalesce(before::text, '') || "
		       "coalesce(after::text, '')) LIKE '%' || $2 || '%'",
		       u->id, b32, NULL) == 0,
	   "the secret is not in the audit");

	tc_done();
	return done_testing();
}
