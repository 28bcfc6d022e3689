/* Sessions: list own (and all for admins), the current flag, revoke own,
 * someone else's (404 for non-admins), and admins revoking any. */
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static json_object *find(struct tc_res *r, const char *id);
static int jtrue(json_object *o, const char *key);

static int
jtrue(json_object *o, const char *key)
{
	const char *v = tc_jstr(o, key);

	return v != NULL && strcmp(v, "true") == 0;
}

static json_object *
find(struct tc_res *r, const char *id)
{
	json_object *items = tc_json(r->json, "items"), *it;
	const char *x;
	size_t i;

	if (items == NULL || !json_object_is_type(items, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		x = tc_jstr(it, "id");
		if (x != NULL && strcmp(x, id) == 0)
			return it;
	}
	return NULL;
}

int
main(void)
{
	struct tc_user *u, *w, s2, s3;
	struct tc_res *r;
	json_object *it, *items;
	size_t i;
	int mine = 1, current = 0;

	tc_init(16);
	u = tc_new_user("ses", "viewer");
	w = tc_new_user("sesw", "viewer");
	if (u == NULL || w == NULL || u->token == NULL || w->token == NULL)
		BAIL_OUT("cannot create and log in test users");
	s2 = *u;
	s3 = *u;
	if (tc_user_login(&s2) < 0 || tc_user_login(&s3) < 0 ||
	    s2.refresh == NULL || s2.session == NULL || s3.session == NULL ||
	    u->session == NULL)
		BAIL_OUT("cannot log in again");

	r = tc_req("GET", "/api/v1/sessions", u->token, NULL);
	tc_status_is(r, 200, "list own sessions");
	cmp_ok(tc_int(r, "total", -1), "==", 3, "three sessions");
	items = tc_json(r->json, "items");
	for (i = 0; items != NULL && i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		if (tc_jstr(it, "user_id") == NULL ||
		    strcmp(tc_jstr(it, "user_id"), u->id) != 0)
			mine = 0;
		if (jtrue(it, "current"))
			current++;
	}
	ok(mine, "only the caller's sessions");
	cmp_ok(current, "==", 1, "exactly one is current");
	it = find(r, u->session);
	ok(jtrue(it, "current"),
	   "the current one is this token's session");
	is(tc_jstr(it, "remote_addr"), "127.0.0.16",
	   "remote_addr is the client's address");
	is(tc_jstr(it, "user_agent"), "oc-tests/1", "user_agent recorded");
	ok(tc_json(it, "created_at") && tc_json(it, "expires_at") &&
		   tc_json(it, "last_used_at"),
	   "timestamps");
	is(tc_jstr(it, "username"), u->username, "username");
	ok(strstr(r->body, s2.refresh) == NULL &&
		   strstr(r->body, s2.token) == NULL,
	   "no tokens in the list");
	r = tc_req("GET", "/api/v1/sessions?limit=1", u->token, NULL);
	ok(r->status == 200 && tc_int(r, "total", -1) == 3 &&
		   json_object_array_length(tc_json(r->json, "items")) == 1,
	   "limit=1 gives one item of three");
	tc_problem_is(tc_req("GET", "/api/v1/sessions?all=true", u->token,
			     NULL),
		      403, "forbidden", "a viewer cannot list all sessions");
	tc_problem_is(tc_req("GET", "/api/v1/sessions?mine=1", u->token,
			     NULL),
		      400, "bad-request", "unknown parameter");
	r = tc_req("GET", "/api/v1/sessions?all=true&limit=200",
		   tc_admin_token(), NULL);
	tc_status_is(r, 200, "an admin lists all sessions");
	cmp_ok(tc_int(r, "total", -1), ">=", 5, "sessions of several users");

	/* Revoke own. */
	tc_status_is(tc_req("DELETE",
			    tc_printf("/api/v1/sessions/%s", s2.session),
			    u->token, NULL),
		     204, "revoke one of my sessions");
	tc_problem_is(tc_req("GET", "/api/v1/me", s2.token, NULL), 401,
		      "unauthorized", "its token stops working");
	tc_problem_is(tc_req("POST", "/api/v1/auth/refresh", NULL,
			     tc_printf("{\"refresh_token\":%s}",
				       tc_quote(s2.refresh))),
		      401, "unauthorized", "its refresh token too");
	r = tc_req("GET", "/api/v1/sessions", u->token, NULL);
	ok(find(r, s2.session) == NULL, "revoked sessions are not listed");
	cmp_ok(tc_int(r, "total", -1), "==", 2, "two left");

	/* Someone else's. */
	tc_problem_is(tc_req("DELETE",
			     tc_printf("/api/v1/sessions/%s", s3.session),
			     w->token, NULL),
		      404, "not-found", "another user's session is 404");
	tc_status_is(tc_req("GET", "/api/v1/me", s3.token, NULL), 200,
		     "... and stays active");
	tc_status_is(tc_req("DELETE",
			    tc_printf("/api/v1/sessions/%s", s3.session),
			    tc_admin_token(), NULL),
		     204, "an admin revokes anyone's session");
	tc_problem_is(tc_req("GET", "/api/v1/me", s3.token, NULL), 401,
		      "unauthorized", "... which ends it");
	tc_status_is(tc_req("DELETE",
			    tc_printf("/api/v1/sessions/%s", s3.session),
			    u->token, NULL),
		     204, "revoking an ended session again is harmless");
	tc_problem_is(tc_req("DELETE",
			     "/api/v1/sessions/00000000-0000-4000-8000-"
			     "000000000000",
			     u->token, NULL),
		      404, "not-found", "unknown session");
	tc_problem_is(tc_req("DELETE", "/api/v1/sessions/nope", u->token, NULL),
		      404, "not-found", "malformed session id");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "entity_id IN ($1, $2)",
			   s2.session, s3.session, NULL),
	       ">=", 2, "revocations are audited");

	/* Revoking the current session works like logout. */
	tc_status_is(tc_req("DELETE",
			    tc_printf("/api/v1/sessions/%s", u->session),
			    u->token, NULL),
		     204, "revoke the current session");
	tc_problem_is(tc_req("GET", "/api/v1/me", u->token, NULL), 401,
		      "unauthorized", "... ends it");

	tc_done();
	return done_testing();
}
