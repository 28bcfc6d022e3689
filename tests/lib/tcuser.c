/* The integration tests' people: the bootstrap admin's token, logins, and
 * users created for a test. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "enc.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static const char *tc_admin; /* the bootstrap admin's token, once */

const char *
tc_admin_token(void)
{
	if (tc_admin == NULL)
		tc_admin = tc_login(tc_env("OC_TEST_ADMIN_USER"),
				    tc_env("OC_TEST_ADMIN_PASSWORD"));
	if (tc_admin == NULL)
		BAIL_OUT("the bootstrap admin cannot log in");
	return tc_admin;
}

struct tc_res *
tc_login_res(const char *user, const char *password, const char *totp_code)
{
	struct tc_res *r;
	const char *body, *ra;
	int i;

	if (totp_code != NULL)
		body = tc_printf("{\"username\":%s,\"password\":%s,"
				 "\"totp_code\":%s}",
				 tc_quote(user), tc_quote(password),
				 tc_quote(totp_code));
	else
		body = tc_printf("{\"username\":%s,\"password\":%s}",
				 tc_quote(user), tc_quote(password));
	for (i = 0;; i++) {
		r = tc_req("POST", "/api/v1/auth/login", NULL, body);
		/* nginx's login limit (Retry-After: 1) passes in a second;
		 * a longer Retry-After is the application's backoff, which
		 * the caller is meant to see. */
		ra = tc_header(r, "Retry-After");
		if (r->status != 429 || ra == NULL || atoi(ra) > 2 || i == 8)
			return r;
		sleep((unsigned)atoi(ra) > 0 ? (unsigned)atoi(ra) : 1);
	}
}

const char *
tc_login(const char *user, const char *password)
{
	struct tc_res *r = tc_login_res(user, password, NULL);

	if (r->status != 200 || tc_str(r, "access_token") == NULL) {
		diag("login as %s failed", user);
		tc_show(r);
		return NULL;
	}
	return tc_str(r, "access_token");
}

struct tc_user *
tc_create_user(const char *admin_token, const char *prefix, const char *role)
{
	struct tc_user *u = tc_alloc(sizeof(*u));
	struct tc_res *r;

	u->username = tc_name(prefix);
	u->password = tc_password();
	u->role = tc_strdup(role);
	r = tc_req("POST", "/api/v1/users", admin_token,
		   tc_printf("{\"username\":%s,\"password\":%s,\"role\":%s}",
			     tc_quote(u->username), tc_quote(u->password),
			     tc_quote(role)));
	u->id = tc_str(r, "id");
	if (r->status != 201 || u->id == NULL) {
		diag("creating user %s failed", u->username);
		tc_show(r);
		return NULL;
	}
	return u;
}

int
tc_user_login(struct tc_user *u)
{
	struct tc_res *r = tc_login_res(u->username, u->password, NULL);
	unsigned char raw[2048];
	const char *tok, *dot1, *dot2;
	json_object *claims;
	long n;

	u->token = tc_str(r, "access_token");
	u->refresh = tc_str(r, "refresh_token");
	u->session = NULL;
	if (r->status != 200 || u->token == NULL) {
		diag("login as %s failed", u->username);
		tc_show(r);
		return -1;
	}
	tok = u->token;
	dot1 = strchr(tok, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL)
		return -1;
	n = enc_b64url_decode(raw, sizeof(raw) - 1, dot1 + 1,
			      (size_t)(dot2 - dot1 - 1));
	if (n < 0)
		return -1;
	raw[n] = '\0';
	claims = json_tokener_parse((const char *)raw);
	if (claims != NULL) {
		u->session = tc_jstr(claims, "sid");
		json_object_put(claims);
	}
	return 0;
}

struct tc_user *
tc_new_user(const char *prefix, const char *role)
{
	struct tc_user *u = tc_create_user(tc_admin_token(), prefix, role);

	if (u != NULL && tc_user_login(u) < 0)
		return u; /* u->token stays NULL: its requests fail */
	return u;
}
