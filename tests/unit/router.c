/* Unit tests for the router: matching method and path with {params},
 * 404 versus 405, the Allow header, and checks of route tables. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "req.h"
#include "route.h"
#include "tests/lib/tap.h"

static int h(struct req *r);

static int
h(struct req *r)
{
	(void)r;
	return 200;
}

static const struct route table[] = {
	{"POST", "/api/v1/auth/login", h, ROLE_PUBLIC, NULL, NULL, 0},
	{"GET", "/api/v1/users", h, ROLE_ADMIN, NULL, NULL, 0},
	{"POST", "/api/v1/users", h, ROLE_ADMIN, NULL, NULL, 0},
	{"GET", "/api/v1/users/{id}", h, ROLE_ADMIN, NULL, NULL, 0},
	{"PATCH", "/api/v1/users/{id}", h, ROLE_ADMIN, NULL, NULL, 0},
	{"DELETE", "/api/v1/users/{id}", h, ROLE_ADMIN, NULL, NULL, 0},
	{"GET", "/api/v1/me", h, ROLE_VIEWER, NULL, NULL, 0},
	{"DELETE", "/api/v1/me/totp", h, ROLE_VIEWER, NULL, NULL, 0},
	{"POST", "/api/v1/me/totp", h, ROLE_VIEWER, NULL, NULL, 0},
	{"GET", "/api/v1/a/{x}/b/{y}", h, ROLE_VIEWER, NULL, NULL, 0},
	{"GET", "/api/v1/metrics/{pool}", h, ROLE_ADMIN, NULL, NULL, 0},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

struct match_case {
	const char *method;
	const char *path;
	enum route_result want;
	int index;          /* route index when found */
	const char *params; /* "k=v,k=v" when found */
};

static const struct match_case cases[] = {
	{"POST", "/api/v1/auth/login", ROUTE_FOUND, 0, ""},
	{"GET", "/api/v1/auth/login", ROUTE_BAD_METHOD, -1, NULL},
	{"GET", "/api/v1/users", ROUTE_FOUND, 1, ""},
	{"POST", "/api/v1/users", ROUTE_FOUND, 2, ""},
	{"HEAD", "/api/v1/users", ROUTE_FOUND, 1, ""},
	{"PUT", "/api/v1/users", ROUTE_BAD_METHOD, -1, NULL},
	{"GET", "/api/v1/users/", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/users/abc", ROUTE_FOUND, 3, "id=abc"},
	{"PATCH", "/api/v1/users/abc", ROUTE_FOUND, 4, "id=abc"},
	{"DELETE", "/api/v1/users/x-y.z", ROUTE_FOUND, 5, "id=x-y.z"},
	{"POST", "/api/v1/users/abc", ROUTE_BAD_METHOD, -1, NULL},
	{"GET", "/api/v1/users/abc/", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/users/abc/def", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/users//", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1//users", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/Users", ROUTE_NOT_FOUND, -1, NULL},
	{"get", "/api/v1/users", ROUTE_BAD_METHOD, -1, NULL},
	{"GET", "/api/v1/user", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/usersx", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "api/v1/users", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/me", ROUTE_FOUND, 6, ""},
	{"POST", "/api/v1/me/totp", ROUTE_FOUND, 8, ""},
	{"DELETE", "/api/v1/me/totp", ROUTE_FOUND, 7, ""},
	{"GET", "/api/v1/me/totp", ROUTE_BAD_METHOD, -1, NULL},
	{"GET", "/api/v1/a/1/b/2", ROUTE_FOUND, 9, "x=1,y=2"},
	{"GET", "/api/v1/a/1/b/", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/a//b/2", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/a/1/c/2", ROUTE_NOT_FOUND, -1, NULL},
	{"GET", "/api/v1/metrics/identity", ROUTE_FOUND, 10, "pool=identity"},
	{"GET", "/api/v1/users/%7Bid%7D", ROUTE_FOUND, 3, "id=%7Bid%7D"},
	{"GET", "/api/v1/users/{id}", ROUTE_FOUND, 3, "id={id}"},
};

struct allow_case {
	const char *path;
	const char *allow; /* every method listed, in any order */
};

static const struct allow_case allows[] = {
	{"/api/v1/auth/login", "POST"},
	{"/api/v1/users", "GET,HEAD,POST"},
	{"/api/v1/users/1", "GET,HEAD,PATCH,DELETE"},
	{"/api/v1/me/totp", "POST,DELETE"},
	{"/api/v1/nothing", ""},
};

static const char *params_text(struct arena *a, const struct kv *p,
			       size_t n);
static int same_methods(const char *got, const char *want);

static const char *
params_text(struct arena *a, const struct kv *p, size_t n)
{
	const char *s = "";
	size_t i;

	for (i = 0; i < n; i++)
		s = arena_printf(a, "%s%s%s=%s", s, i ? "," : "", p[i].key,
				 p[i].value);
	return s;
}

/* got is "A, B, C"; want is "A,B,C": the same set of methods. */
static int
same_methods(const char *got, const char *want)
{
	char g[128], w[128], *t, *save = NULL;
	int ng = 0, nw = 0;

	snprintf(g, sizeof(g), ",%s,", got);
	for (t = g; *t != '\0'; t++)
		if (*t == ' ')
			memmove(t, t + 1, strlen(t));
	snprintf(w, sizeof(w), "%s", want);
	for (t = strtok_r(w, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		char needle[40];

		snprintf(needle, sizeof(needle), ",%s,", t);
		if (strstr(g, needle) == NULL)
			return 0;
		nw++;
	}
	for (t = g; *t != '\0'; t++)
		if (*t == ',')
			ng++;
	/* ",A,B," has one more comma than methods. */
	return (*got == '\0' && nw == 0) || ng - 1 == nw;
}

int
main(void)
{
	struct arena *a = arena_new(4096);
	const struct route *rt;
	struct kv *params;
	size_t i, nparams;
	enum route_result res;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];

		rt = NULL;
		params = NULL;
		nparams = 0;
		res = route_match(table, NTABLE, c->method, c->path, a, &rt,
				  &params, &nparams);
		if (!cmp_ok(res, "==", c->want, "%s '%s' -> %d", c->method,
			    c->path, c->want))
			continue;
		if (c->want != ROUTE_FOUND)
			continue;
		ok(rt == &table[c->index], "%s '%s' is route %d", c->method,
		   c->path, c->index);
		is(params_text(a, params, nparams), c->params,
		   "%s '%s' params", c->method, c->path);
		arena_reset(a);
	}

	for (i = 0; i < sizeof(allows) / sizeof(allows[0]); i++) {
		const char *got = route_allow(table, NTABLE, allows[i].path, a);

		ok(same_methods(got, allows[i].allow), "Allow for %s: '%s'",
		   allows[i].path, got);
	}

	ok(route_table_check(table, NTABLE) == 0, "the test table is valid");
	{
		static const struct route twice[] = {
			{"GET", "/a/{id}", h, ROLE_PUBLIC, NULL, NULL, 0},
			{"GET", "/a/{id}", h, ROLE_PUBLIC, NULL, NULL, 0},
		};
		static const struct route bad[][1] = {
			{{"GET", "/a/{id", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "/a/id}", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "/a/{id}x", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "/a/x{id}", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "/a/{{id}}", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "a/b", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", NULL, h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "/a", NULL, ROLE_PUBLIC, NULL, NULL, 0}},
			{{NULL, "/a", h, ROLE_PUBLIC, NULL, NULL, 0}},
			{{"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h,
			  ROLE_PUBLIC, NULL, NULL, 0}},
		};
		static const struct route good[] = {
			{"GET", "/a/{id}", h, ROLE_PUBLIC, NULL, NULL, 0},
			{"PATCH", "/a/{id}", h, ROLE_PUBLIC, NULL, NULL, 0},
			{"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", h,
			 ROLE_PUBLIC, NULL, NULL, 0},
		};

		/* The check logs the culprit to stderr: keep that quiet. */
		int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

		fflush(stderr);
		if (saved >= 0 && devnull >= 0)
			dup2(devnull, 2);
		ok(route_table_check(twice, 2) < 0, "a duplicate is refused");
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ok(route_table_check(bad[i], 1) < 0,
			   "malformed route %zu (%s) is refused", i,
			   bad[i][0].pattern ? bad[i][0].pattern : "NULL");
		fflush(stderr);
		if (saved >= 0 && devnull >= 0)
			dup2(saved, 2);
		if (devnull >= 0)
			close(devnull);
		if (saved >= 0)
			close(saved);
		ok(route_table_check(good, 3) == 0,
		   "same pattern, other method, and 8 params are fine");
		res = route_match(good, 3, "GET", "/1/2/3/4/5/6/7/8", a, &rt,
				  &params, &nparams);
		ok(res == ROUTE_FOUND && nparams == 8 &&
			   strcmp(req_param(&(struct req){.params = params,
							  .nparams = nparams},
					    "h"),
				  "8") == 0,
		   "8 path parameters are captured");
	}
	arena_free(a);
	return done_testing();
}
