/* Health and metrics: the identity pool's processes are listed up, and the
 * admin-only Prometheus endpoint counts requests. */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static long long me_count(const char *text);

/* The request counter of GET /api/v1/me answered 200. */
static long long
me_count(const char *text)
{
	const char *p = text, *nl;
	long long n = -1;

	for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, "opsconductor_http_requests_total{", 33) != 0)
			continue;
		{
			const char *end = nl != NULL ? nl : p + strlen(p);
			char *line = tc_printf("%.*s", (int)(end - p), p);

			if (strstr(line, "method=\"GET\"") != NULL &&
			    strstr(line, "route=\"/api/v1/me\"") != NULL &&
			    strstr(line, "status=\"200\"") != NULL)
				n = (n < 0 ? 0 : n) +
				    atoll(strrchr(line, ' ') + 1);
		}
	}
	return n;
}

int
main(void)
{
	struct tc_res *r;
	json_object *list, *c;
	struct tc_user *v;
	const char *kind, *role, *state;
	long long before, after;
	size_t i;
	int masters = 0, children = 0, stale = 0, i2;

	tc_init(21);
	r = tc_req("GET", "/api/v1/health", NULL, NULL);
	tc_status_is(r, 200, "health is public and 200");
	is(tc_str(r, "status"), "ok", "status ok");
	like(tc_header(r, "Content-Type"), "^application/json", "JSON");
	{
		json_object *req = tc_json(r->json, "required");
		size_t k;
		int found = 0;

		for (k = 0; req != NULL && k < json_object_array_length(req);
		     k++)
			found |= strcmp(json_object_get_string(
						json_object_array_get_idx(req, k)),
					"identity") == 0;
		ok(found, "identity is required");
	}
	list = tc_json(r->json, "components");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		c = json_object_array_get_idx(list, i);
		kind = tc_jstr(c, "kind");
		role = tc_jstr(c, "role");
		state = tc_jstr(c, "state");
		if (kind == NULL || strcmp(kind, "identity") != 0 ||
		    state == NULL || strcmp(state, "up") != 0)
			continue;
		if (role != NULL && strcmp(role, "master") == 0)
			masters++;
		if (role != NULL && strcmp(role, "child") == 0)
			children++;
		if (tc_int(&(struct tc_res){.json = c}, "heartbeat_age_s", 999) >
		    30)
			stale++;
		ok(tc_int(&(struct tc_res){.json = c}, "pid", 0) > 1 &&
			   tc_jstr(c, "id") != NULL &&
			   tc_jstr(c, "host") != NULL &&
			   tc_jstr(c, "started_at") != NULL,
		   "component %s has pid, id, host, started_at",
		   tc_jstr(c, "id"));
	}
	cmp_ok(masters, "==", 1, "one identity master up");
	cmp_ok(children, ">=", 1, "identity children up");
	cmp_ok(stale, "==", 0, "every heartbeat is fresh");
	tc_problem_is(tc_req("POST", "/api/v1/health", NULL, NULL), 405,
		      "method-not-allowed", "POST /health");
	tc_problem_is(tc_get(NULL, "/api/v1/health?verbose=1"), 400,
		      "bad-request", "unknown parameter on /health");

	/* Metrics. */
	v = tc_new_user("hlth", "viewer");
	if (v == NULL || v->token == NULL)
		BAIL_OUT("cannot create and log in a test user");
	tc_problem_is(tc_get(NULL, "/api/v1/metrics/identity"), 401,
		      "unauthorized", "metrics need a token");
	tc_problem_is(tc_get(v->token, "/api/v1/metrics/identity"), 403,
		      "forbidden", "metrics are for admins");
	r = tc_get(tc_admin_token(), "/api/v1/metrics/identity");
	tc_status_is(r, 200, "an admin reads metrics");
	like(tc_header(r, "Content-Type"), "^text/plain", "text/plain");
	like(r->body, "# TYPE opsconductor_http_requests_total counter",
	     "the request counter");
	like(r->body, "# TYPE opsconductor_http_request_duration_seconds "
		      "histogram",
	     "the latency histogram");
	before = me_count(r->body);
	for (i2 = 0; i2 < 10; i2++)
		tc_req("GET", "/api/v1/me", v->token, NULL);
	r = tc_get(tc_admin_token(), "/api/v1/metrics/identity");
	after = me_count(r->body);
	note("GET /api/v1/me 200: %lld before, %lld after", before, after);
	cmp_ok(after - (before < 0 ? 0 : before), ">=", 10,
	       "ten more GET /me 200 are counted (over the whole pool)");
	unlike(r->body, "Bearer|eyJ[A-Za-z0-9_-]{8,}",
	       "no tokens in metrics");
	ok(strstr(r->body, tc_env("OC_TEST_ADMIN_PASSWORD")) == NULL,
	   "no password in metrics");

	tc_done();
	return done_testing();
}
