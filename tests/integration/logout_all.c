/* POST /api/v1/auth/logout-all: every session of the caller ends (the
 * current one too), their access and refresh tokens stop working, other
 * users keep theirs, the refresh cookie is cleared, one audit row; API
 * keys cannot do it and keep working. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static struct tc_res *refresh(const char *token);

static struct tc_res *
refresh(const char *token)
{
	return tc_req("POST", "/api/v1/auth/refresh", NULL,
		      tc_printf("{\"refresh_token\":%s}", tc_quote(token)));
}

int
main(void)
{
	struct tc_user *u, *w, s2, s3;
	struct tc_res *r;
	const char *key;

	tc_init(102);
	u = tc_new_user("loa", "viewer");
	w = tc_new_user("loaw", "viewer");
	if (u == NULL || w == NULL || u->token == NULL || w->token == NULL)
		BAIL_OUT("cannot create and log in test users");
	s2 = *u;
	s3 = *u;
	if (tc_user_login(&s2) < 0 || tc_user_login(&s3) < 0 ||
	    s2.refresh == NULL || s3.refresh == NULL)
		BAIL_OUT("cannot log in again");
	r = tc_req("POST", "/api/v1/api-keys", u->token,
		   tc_printf("{\"name\":%s,\"role\":\"viewer\"}",
			     tc_quote(tc_name("loak"))));
	tc_status_is(r, 201, "an API key of the user");
	key = tc_str(r, "key");
	if (key == NULL)
		BAIL_OUT("no API key");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.sessions WHERE "
			   "user_id = $1::uuid AND revoked_at IS NULL",
			   u->id, NULL),
	       "==", 3, "three sessions open");

	tc_problem_is(tc_req("POST", "/api/v1/auth/logout-all", key, NULL), 403,
		      "forbidden", "an API key cannot sign out everywhere");
	tc_problem_is(tc_req("POST", "/api/v1/auth/logout-all", NULL, NULL),
		      401, "unauthorized", "nor can an anonymous caller");
	tc_problem_is(tc_req("POST", "/api/v1/auth/logout-all", u->token,
			     "{\"all\":true}"),
		      422, "validation", "no body fields accepted");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.sessions WHERE "
			   "user_id = $1::uuid AND revoked_at IS NULL",
			   u->id, NULL),
	       "==", 3, "... nothing revoked by those");

	r = tc_req("POST", "/api/v1/auth/logout-all", s2.token, NULL);
	tc_status_is(r, 204, "sign out everywhere");
	like(tc_set_cookie(r, "oc_refresh"), "Max-Age=0",
	     "... clears the refresh cookie");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.sessions WHERE "
			   "user_id = $1::uuid AND revoked_at IS NULL",
			   u->id, NULL),
	       "==", 0, "... every session of the user is revoked");
	tc_problem_is(tc_get(s2.token, "/api/v1/me"), 401, "unauthorized",
		      "... the caller's own access token stops working");
	tc_problem_is(tc_get(u->token, "/api/v1/me"), 401, "unauthorized",
		      "... and another session's");
	tc_problem_is(refresh(s3.refresh), 401, "unauthorized",
		      "... refresh tokens are refused");
	tc_problem_is(refresh(s2.refresh), 401, "unauthorized",
		      "... the caller's too");
	tc_status_is(tc_get(w->token, "/api/v1/me"), 200,
		     "another user stays signed in");
	tc_status_is(tc_get(key, "/api/v1/me"), 200,
		     "the user's API key keeps working");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'session.revoke_all' AND "
			   "entity_type = 'user' AND entity_id = $1 AND "
			   "actor_id = $1::uuid AND "
			   "(after->>'sessions_revoked')::int = 3",
			   u->id, NULL),
	       "==", 1, "one audit row saying three sessions ended");

	/* Signing in again works. */
	ok(tc_user_login(u) == 0 && u->token != NULL, "sign in again");
	tc_status_is(tc_get(u->token, "/api/v1/me"), 200, "... and use it");
	tc_done();
	return done_testing();
}
