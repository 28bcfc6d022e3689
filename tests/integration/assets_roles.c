/* The assets role matrix: every route against anonymous, viewer, operator,
 * admin and a viewer API key, expecting 401, 403 or "allowed" (anything
 * but 401/403 and 5xx). Writes aim at ids that do not exist or at bodies
 * that fail validation, so "allowed" shows up as 404 or 422 and the data
 * of other tests is never touched. */
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"

enum caller { ANON, VIEWER, OPERATOR, ADMIN, VIEWER_KEY, NCALLERS };

static const char *const caller_names[NCALLERS] = {
    "anonymous", "viewer", "operator", "admin", "viewer API key"};

struct route_case {
	const char *method;
	const char *path;
	const char *body;
	int role; /* 1 viewer, 2 operator, 3 admin */
};

static const struct route_case routes[] = {
    {"GET", "/api/v1/targets", NULL, 1},
    {"POST", "/api/v1/targets", "{}", 2},
    {"POST", "/api/v1/targets/import", "{}", 2},
    {"POST", "/api/v1/targets/test", "{}", 2},
    {"GET", "/api/v1/targets/tests/" NOID, NULL, 1},
    {"GET", "/api/v1/targets/" NOID, NULL, 1},
    {"PATCH", "/api/v1/targets/" NOID, "{\"description\":\"x\"}", 2},
    {"DELETE", "/api/v1/targets/" NOID, NULL, 2},
    {"POST", "/api/v1/targets/" NOID "/test", NULL, 2},
    {"POST", "/api/v1/targets/" NOID "/host-key/accept",
     "{\"fingerprint\":\"SHA256:x\"}", 2},
    {"DELETE", "/api/v1/targets/" NOID "/host-key", NULL, 2},
    {"GET", "/api/v1/groups", NULL, 1},
    {"POST", "/api/v1/groups", "{}", 2},
    {"POST", "/api/v1/groups/preview", "{}", 1},
    {"GET", "/api/v1/groups/" NOID, NULL, 1},
    {"PATCH", "/api/v1/groups/" NOID, "{\"description\":\"x\"}", 2},
    {"DELETE", "/api/v1/groups/" NOID, NULL, 2},
    {"GET", "/api/v1/groups/" NOID "/members", NULL, 1},
    {"POST", "/api/v1/groups/" NOID "/members", "{\"add\":[]}", 2},
    {"GET", "/api/v1/credentials", NULL, 1},
    {"POST", "/api/v1/credentials", "{}", 2},
    {"GET", "/api/v1/credentials/" NOID, NULL, 1},
    {"PATCH", "/api/v1/credentials/" NOID, "{\"description\":\"x\"}", 2},
    {"DELETE", "/api/v1/credentials/" NOID, NULL, 2},
    {"DELETE", "/api/v1/credentials/" NOID "?force=true", NULL, 3},
    {"GET", "/api/v1/discovery/settings", NULL, 3},
    {"PUT", "/api/v1/discovery/settings", "{}", 3},
    {"GET", "/api/v1/discovery/scans", NULL, 1},
    {"POST", "/api/v1/discovery/scans", "{}", 2},
    {"GET", "/api/v1/discovery/scans/" NOID, NULL, 1},
    {"POST", "/api/v1/discovery/scans/" NOID "/cancel", NULL, 2},
    {"GET", "/api/v1/discovery/scans/" NOID "/results", NULL, 1},
    {"POST", "/api/v1/discovery/import", "{}", 2},
    {"GET", "/api/v1/metrics/assets", NULL, 3},
};

int
main(void)
{
	static const int caller_role[NCALLERS] = {0, 1, 2, 3, 1};
	const char *tokens[NCALLERS];
	struct tc_user *v, *o;
	struct tc_res *r;
	size_t i;
	int c, want;

	tc_init(33);
	v = tc_new_user("arolev", "viewer");
	o = tc_new_user("aroleo", "operator");
	if (v == NULL || o == NULL || v->token == NULL || o->token == NULL)
		BAIL_OUT("cannot create and log in test users");
	r = tc_req("POST", "/api/v1/api-keys", v->token,
		   tc_printf("{\"name\":%s,\"role\":\"viewer\"}",
			     tc_quote(tc_name("arolekey"))));
	if (r->status != 201 || tc_str(r, "key") == NULL)
		BAIL_OUT("cannot create a viewer API key");
	tokens[ANON] = NULL;
	tokens[VIEWER] = v->token;
	tokens[OPERATOR] = o->token;
	tokens[ADMIN] = tc_admin_token();
	tokens[VIEWER_KEY] = tc_str(r, "key");

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route_case *rc = &routes[i];

		for (c = 0; c < NCALLERS; c++) {
			if (c == ANON)
				want = 401;
			else if (rc->role > caller_role[c])
				want = 403;
			else
				want = 0;
			r = tc_req(rc->method, rc->path, tokens[c], rc->body);
			if (want == 401)
				tc_problem_is(r, 401, "unauthorized",
					      "%s %s as %s", rc->method,
					      rc->path, caller_names[c]);
			else if (want == 403)
				tc_problem_is(r, 403, "forbidden",
					      "%s %s as %s", rc->method,
					      rc->path, caller_names[c]);
			else if (!ok(r->status >= 200 && r->status < 500 &&
					 r->status != 401 && r->status != 403,
				     "%s %s as %s is allowed (%ld)", rc->method,
				     rc->path, caller_names[c], r->status))
				diag("    %s", r->body);
		}
	}
	/* Unknown paths and methods of the pool. */
	tc_problem_is(tc_req("GET", "/api/v1/targets/" NOID "/nothing",
			     tokens[ADMIN], NULL),
		      404, "not-found", "unknown path: 404");
	r = tc_req("PUT", "/api/v1/targets", tokens[ADMIN], "{}");
	tc_problem_is(r, 405, "method-not-allowed", "wrong method: 405");
	like(tc_header(r, "Allow"), "GET", "... with Allow");
	tc_done();
	return done_testing();
}
