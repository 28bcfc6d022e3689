/* Login, logout and refresh through nginx: answer shape, cookie
 * attributes, no user enumeration, rotation and reuse detection. */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define TRIES 4

static int cmp_double(const void *a, const void *b);
static double median(double *v, int n);
static const char *refresh_body(const char *token);

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *
refresh_body(const char *token)
{
	return tc_printf("{\"refresh_token\":%s}", tc_quote(token));
}

int
main(void)
{
	struct tc_user *u, *d;
	struct tc_res *r, *r2;
	const char *access, *refresh, *a2, *rf2, *a3, *rf3, *cookie, *sid;
	double t_unknown[TRIES], t_wrong[TRIES], mu, mw;
	const char *ghost;
	int i;

	tc_init(11);
	u = tc_new_user("auth", "operator");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create and log in a test user");

	/* Shape of a successful login. */
	r = tc_login_res(u->username, u->password, NULL);
	tc_status_is(r, 200, "login succeeds");
	access = tc_str(r, "access_token");
	refresh = tc_str(r, "refresh_token");
	like(access, "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
	     "access_token is a JWT");
	is(tc_str(r, "token_type"), "Bearer", "token_type Bearer");
	cmp_ok(tc_int(r, "expires_in", 0), "==", 900, "expires_in 900");
	like(refresh, "^[A-Za-z0-9_-]{43}$", "refresh_token is 43 base64url");
	is(tc_str(r, "user.id"), u->id, "user.id");
	is(tc_str(r, "user.username"), u->username, "user.username");
	is(tc_str(r, "user.role"), "operator", "user.role");
	ok(tc_json(r->json, "user.password_hash") == NULL &&
		   strstr(r->body, "argon2") == NULL,
	   "no password hash in the answer");
	like(tc_header(r, "Content-Type"), "^application/json",
	     "JSON content type");
	ok(tc_header(r, "X-Request-Id") != NULL ||
		   tc_header(r, "Cache-Control") != NULL,
	   "answer carries the runtime's headers");
	cookie = tc_set_cookie(r, "oc_refresh");
	ok(cookie != NULL, "refresh cookie set");
	is(tc_cookie(r, "oc_refresh"), refresh, "cookie holds the refresh token");
	like(cookie, "; *Path=/api/v1/auth(;|$)", "cookie Path=/api/v1/auth");
	like(cookie, "; *HttpOnly(;|$)", "cookie HttpOnly");
	like(cookie, "; *Secure(;|$)", "cookie Secure");
	like(cookie, "; *SameSite=Strict(;|$)", "cookie SameSite=Strict");
	like(cookie, "; *Max-Age=[1-9][0-9]*(;|$)", "cookie Max-Age");
	r = tc_req("GET", "/api/v1/me", access, NULL);
	tc_status_is(r, 200, "the access token works");
	is(tc_str(r, "username"), u->username, "... as the user");

	/* Unknown user and wrong password look the same. */
	ghost = tc_name("ghost");
	for (i = 0; i < TRIES; i++) {
		r = tc_login_res(ghost, "Wrong-password-123", NULL);
		t_unknown[i] = r->ms;
		r2 = tc_login_res(u->username, "Wrong-password-123", NULL);
		t_wrong[i] = r2->ms;
		if (i == 0) {
			tc_problem_is(r, 401, "login-failed", "unknown user");
			tc_problem_is(r2, 401, "login-failed", "wrong password");
			is(tc_str(r, "title"), tc_str(r2, "title"),
			   "same title");
			is(tc_str(r, "detail"), tc_str(r2, "detail"),
			   "same detail");
			ok(r->body_len == r2->body_len ||
				   tc_str(r, "instance") != NULL,
			   "bodies differ only in the request id");
		}
	}
	mu = median(t_unknown, TRIES);
	mw = median(t_wrong, TRIES);
	note("median ms: unknown user %.1f, wrong password %.1f", mu, mw);
	ok(mu > 0 && mw > 0 && mu / mw < 3 && mw / mu < 3,
	   "unknown user and wrong password take similar time (%.1f vs "
	   "%.1f ms)",
	   mu, mw);
	/* A successful login resets the account's failure count. */
	tc_status_is(tc_login_res(u->username, u->password, NULL), 200,
		     "right password after failures");

	/* Disabled user. */
	d = tc_create_user(tc_admin_token(), "authdis", "viewer");
	if (d == NULL)
		BAIL_OUT("cannot create a user");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", d->id),
		   tc_admin_token(), "{\"disabled\":true}");
	tc_status_is(r, 200, "user disabled");
	r = tc_login_res(d->username, d->password, NULL);
	tc_problem_is(r, 401, "login-failed", "a disabled user cannot log in");

	/* Logout ends the session. */
	r = tc_login_res(u->username, u->password, NULL);
	access = tc_str(r, "access_token");
	refresh = tc_str(r, "refresh_token");
	r = tc_req("POST", "/api/v1/auth/logout", access, NULL);
	tc_status_is(r, 204, "logout");
	like(tc_set_cookie(r, "oc_refresh"), "Max-Age=0",
	     "logout clears the cookie");
	tc_problem_is(tc_req("GET", "/api/v1/me", access, NULL), 401,
		      "unauthorized", "the access token stops working");
	tc_problem_is(tc_req("POST", "/api/v1/auth/refresh", NULL,
			     refresh_body(refresh)),
		      401, "unauthorized", "the refresh token stops working");
	tc_problem_is(tc_req("POST", "/api/v1/auth/logout", access, NULL),
		      401, "unauthorized", "logging out twice is 401");
	tc_problem_is(tc_req("POST", "/api/v1/auth/logout", NULL, NULL), 401,
		      "unauthorized", "logout needs a token");

	/* Refresh by body, then by cookie, then reuse. */
	r = tc_login_res(u->username, u->password, NULL);
	access = tc_str(r, "access_token");
	refresh = tc_str(r, "refresh_token");
	r = tc_req("POST", "/api/v1/auth/refresh", NULL, refresh_body(refresh));
	tc_status_is(r, 200, "refresh by body");
	a2 = tc_str(r, "access_token");
	rf2 = tc_str(r, "refresh_token");
	ok(a2 != NULL && strcmp(a2, access) != 0, "a new access token");
	ok(rf2 != NULL && strcmp(rf2, refresh) != 0, "a new refresh token");
	is(tc_cookie(r, "oc_refresh"), rf2, "the new refresh token as cookie");
	is(tc_str(r, "user.id"), u->id, "refresh answers with the user");
	tc_status_is(tc_req("GET", "/api/v1/me", a2, NULL), 200,
		     "the new access token works");
	r = tc_req_opt("POST", "/api/v1/auth/refresh", NULL, NULL,
		       &(struct tc_opt){.cookie = tc_printf("oc_refresh=%s",
							    rf2)});
	tc_status_is(r, 200, "refresh by cookie");
	a3 = tc_str(r, "access_token");
	rf3 = tc_str(r, "refresh_token");
	ok(rf3 != NULL && strcmp(rf3, rf2) != 0, "rotated again");
	tc_status_is(tc_req("GET", "/api/v1/me", a3, NULL), 200,
		     "newest access token works");
	sid = tc_db_value("SELECT s.id FROM identity.sessions s "
			  "JOIN identity.refresh_tokens t ON t.session_id = s.id "
			  "WHERE t.token_hash = encode(sha256($1::bytea), 'hex')",
			  rf3, NULL);
	ok(sid != NULL, "the refresh token is stored as its SHA-256");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.refresh_tokens "
			   "WHERE token_hash = $1",
			   rf3, NULL),
	       "==", 0, "the refresh token itself is not stored");

	r = tc_req("POST", "/api/v1/auth/refresh", NULL, refresh_body(rf2));
	tc_problem_is(r, 401, "unauthorized", "an already-used token is refused");
	tc_problem_is(tc_req("POST", "/api/v1/auth/refresh", NULL,
			     refresh_body(rf3)),
		      401, "unauthorized",
		      "after reuse the newest refresh token is refused too");
	tc_problem_is(tc_req("GET", "/api/v1/me", a3, NULL), 401,
		      "unauthorized",
		      "after reuse the session's access token is refused");
	tc_problem_is(tc_req("GET", "/api/v1/me", a2, NULL), 401,
		      "unauthorized", "... and older access tokens too");
	if (sid != NULL)
		is(tc_db_value("SELECT revoked_reason FROM identity.sessions "
			       "WHERE id = $1",
			       sid, NULL),
		   "refresh token reuse", "session revoked for reuse");
	tc_status_is(tc_req("GET", "/api/v1/me", u->token, NULL), 200,
		     "the user's other session is untouched");

	/* Junk refresh tokens. */
	tc_problem_is(tc_req("POST", "/api/v1/auth/refresh", NULL,
			     refresh_body("not-a-token")),
		      401, "unauthorized", "an unknown refresh token");
	tc_problem_is(tc_req("POST", "/api/v1/auth/refresh", NULL, NULL), 401,
		      "unauthorized", "no refresh token at all");
	tc_problem_is(tc_req_opt("POST", "/api/v1/auth/refresh", NULL, NULL,
				 &(struct tc_opt){.cookie = "oc_refresh="}),
		      401, "unauthorized", "an empty cookie");
	tc_problem_is(tc_req("POST", "/api/v1/auth/refresh", access,
			     refresh_body(access)),
		      401, "unauthorized", "an access token is no refresh token");

	tc_done();
	return done_testing();
}
