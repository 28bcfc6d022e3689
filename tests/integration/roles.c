/* The role matrix: every identity route against anonymous, viewer,
 * operator, admin and a viewer API key, expecting 401, 403 or "allowed"
 * (anything else but a 5xx). Destructive routes aim at ids that do not
 * exist, so "allowed" shows up as 404 or 422. */
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
	int role;     /* 0 public, 1 viewer, 2 operator, 3 admin */
	int no_key;   /* refuses API keys */
};

/* logout is last: it ends the callers' sessions. */
static const struct route_case routes[] = {
	{"POST", "/api/v1/auth/login", "{}", 0, 0},
	{"POST", "/api/v1/auth/refresh", "{\"refresh_token\":\"x\"}", 0, 0},
	{"GET", "/api/v1/health", NULL, 0, 0},
	{"GET", "/api/v1/me", NULL, 1, 0},
	{"PATCH", "/api/v1/me", "{\"display_name\":\"Role Matrix\"}", 1, 0},
	{"POST", "/api/v1/me/password", "{}", 1, 1},
	{"POST", "/api/v1/me/totp/verify", "{}", 1, 1},
	{"DELETE", "/api/v1/me/totp", "{}", 1, 1},
	{"GET", "/api/v1/sessions", NULL, 1, 0},
	{"GET", "/api/v1/sessions?all=true", NULL, 3, 0},
	{"DELETE", "/api/v1/sessions/" NOID, NULL, 1, 0},
	{"POST", "/api/v1/api-keys", "{}", 1, 1},
	{"GET", "/api/v1/api-keys", NULL, 1, 0},
	{"GET", "/api/v1/api-keys?all=true", NULL, 3, 0},
	{"DELETE", "/api/v1/api-keys/" NOID, NULL, 1, 0},
	{"GET", "/api/v1/users", NULL, 3, 0},
	{"POST", "/api/v1/users", "{}", 3, 0},
	{"GET", "/api/v1/users/" NOID, NULL, 3, 0},
	{"PATCH", "/api/v1/users/" NOID, "{\"display_name\":\"x\"}", 3, 0},
	{"DELETE", "/api/v1/users/" NOID, NULL, 3, 0},
	{"GET", "/api/v1/metrics/identity", NULL, 3, 0},
	{"POST", "/api/v1/me/totp", NULL, 1, 1},
	{"POST", "/api/v1/auth/logout", NULL, 1, 1},
};

int
main(void)
{
	static const int caller_role[NCALLERS] = {0, 1, 2, 3, 1};
	const char *tokens[NCALLERS];
	struct tc_user *v, *o, *a;
	struct tc_res *r;
	size_t i;
	int c, want;

	tc_init(19);
	v = tc_new_user("rolev", "viewer");
	o = tc_new_user("roleo", "operator");
	if (v == NULL || o == NULL || v->token == NULL || o->token == NULL)
		BAIL_OUT("cannot create and log in test users");
	/* A session of the bootstrap admin of our own (logout ends it). */
	a = &(struct tc_user){.username = tc_env("OC_TEST_ADMIN_USER"),
			      .password = tc_env("OC_TEST_ADMIN_PASSWORD")};
	if (tc_user_login(a) < 0)
		BAIL_OUT("the bootstrap admin cannot log in");
	r = tc_req("POST", "/api/v1/api-keys", v->token,
		   tc_printf("{\"name\":%s,\"role\":\"viewer\"}",
			     tc_quote(tc_name("rolekey"))));
	if (r->status != 201 || tc_str(r, "key") == NULL)
		BAIL_OUT("cannot create a viewer API key");
	tokens[ANON] = NULL;
	tokens[VIEWER] = v->token;
	tokens[OPERATOR] = o->token;
	tokens[ADMIN] = a->token;
	tokens[VIEWER_KEY] = tc_str(r, "key");

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route_case *rc = &routes[i];

		for (c = 0; c < NCALLERS; c++) {
			if (rc->role > 0 && c == ANON)
				want = 401;
			else if (rc->no_key && c == VIEWER_KEY)
				want = 403;
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
			/* A public route may still answer 401 for its own
			 * reasons (refresh without a refresh token). */
			else if (!ok(r->status >= 200 && r->status < 500 &&
					     (r->status != 401 ||
					      rc->role == 0) &&
					     r->status != 403,
				     "%s %s as %s is allowed (%ld)",
				     rc->method, rc->path, caller_names[c],
				     r->status))
				diag("    %s", r->body);
		}
	}
	tc_done();
	return done_testing();
}
