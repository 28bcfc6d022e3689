/* Bad input for every route with a body, plus paths, methods and query
 * parameters: each gets the right 4xx problem, never a 5xx, and nothing
 * changes. */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

enum who { W_NONE, W_USER, W_ADMIN };

struct body_route {
	const char *method;
	const char *path; /* %s: the target user's id */
	enum who who;
	int optional;     /* an empty body is fine */
	const char *fields; /* "name:type,..." type s (string) b (bool) o */
	const char *required; /* "a,b" */
	const char *valid;    /* a valid body (for content-type checks) */
};

struct generic {
	const char *name;
	const char *raw;
	size_t len; /* 0: strlen */
	long status;
	const char *slug;
};

static const struct generic generics[] = {
	{"malformed JSON", "{\"a\":", 0, 400, "invalid-json"},
	{"invalid UTF-8", "{\"username\":\"\xff\xfe\"}", 0, 400, "invalid-json"},
	{"NUL byte", "{\"username\":\"a\0b\"}", 17, 400, "invalid-json"},
	{"trailing garbage", "{} garbage", 0, 400, "invalid-json"},
	{"two objects", "{}{}", 0, 400, "invalid-json"},
	{"top-level array", "[{}]", 0, 400, "invalid-json"},
	{"top-level string", "\"x\"", 0, 400, "invalid-json"},
	{"top-level null", "null", 0, 400, "invalid-json"},
	{"unknown field", "{\"zzz_unknown\":1}", 0, 422, "validation"},
	{"huge number", "{\"zzz\":1e400}", 0, 422, "validation"},
};

static const struct body_route routes[] = {
	{"POST", "/api/v1/auth/login", W_NONE, 0,
	 "username:s,password:s,totp_code:s,recovery_code:s",
	 "username,password", NULL},
	{"POST", "/api/v1/auth/refresh", W_NONE, 1, "refresh_token:s", "",
	 NULL},
	{"PATCH", "/api/v1/me", W_USER, 0,
	 "display_name:s,email:s,preferences:o", "", NULL},
	{"POST", "/api/v1/me/password", W_USER, 0,
	 "current_password:s,new_password:s", "current_password,new_password",
	 NULL},
	{"POST", "/api/v1/me/totp/verify", W_USER, 0, "code:s", "code", NULL},
	{"DELETE", "/api/v1/me/totp", W_USER, 0, "password:s,code:s",
	 "password", NULL},
	{"POST", "/api/v1/api-keys", W_USER, 0, "name:s,role:s,expires_at:s",
	 "name,role", NULL},
	{"POST", "/api/v1/users", W_ADMIN, 0,
	 "username:s,password:s,role:s,display_name:s,email:s,disabled:b",
	 "username,password,role", NULL},
	{"PATCH", "/api/v1/users/%s", W_ADMIN, 0,
	 "display_name:s,email:s,role:s,disabled:b,password:s,unlock:b", "",
	 NULL},
};

static struct tc_res *send_raw(const struct body_route *rt, const char *tok,
			       const char *path, const char *raw, size_t len,
			       const char *ct);
static char *nested(int depth);

static struct tc_res *
send_raw(const struct body_route *rt, const char *tok, const char *path,
	 const char *raw, size_t len, const char *ct)
{
	return tc_req_opt(rt->method, path, tok, NULL,
			  &(struct tc_opt){.raw = raw, .raw_len = len,
					   .content_type = ct});
}

static char *
nested(int depth)
{
	char *s = malloc((size_t)depth * 6 + 16), *p = s;
	int i;

	if (s == NULL)
		abort();
	for (i = 0; i < depth; i++) {
		memcpy(p, "{\"a\":", 5);
		p += 5;
	}
	*p++ = '1';
	for (i = 0; i < depth; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

int
main(void)
{
	static const char *const wrong_for_s[] = {"1", "true", "[]", "{}",
						  "1e400"};
	static const char *const wrong_for_b[] = {"\"true\"", "1", "[]"};
	static const char *const wrong_for_o[] = {"\"{}\"", "[]", "1"};
	struct tc_user *u, *t;
	struct tc_res *r;
	const char *tok, *path, *version, *user_version;
	char *deep, *big;
	size_t i, g;
	long long users_before;

	tc_init(20);
	u = tc_new_user("bad", "operator");
	t = tc_create_user(tc_admin_token(), "badt", "viewer");
	if (u == NULL || t == NULL || u->token == NULL)
		BAIL_OUT("cannot create test users");
	version = tc_db_value("SELECT version FROM identity.users WHERE id = $1",
			      t->id, NULL);
	user_version = tc_db_value("SELECT version FROM identity.users WHERE "
				   "id = $1",
				   u->id, NULL);
	users_before = tc_db_count("SELECT count(*) FROM identity.users WHERE "
				   "username LIKE 'bad%'",
				   NULL);
	deep = nested(1000);
	big = malloc(70 * 1024 + 64);
	strcpy(big, "{\"display_name\":\"");
	memset(big + 17, 'x', 70 * 1024);
	strcpy(big + 17 + 70 * 1024, "\"}");

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct body_route *rt = &routes[i];
		char *fields, *f, *save = NULL, *req, *rq, *rsave = NULL;

		tok = rt->who == W_USER    ? u->token
		      : rt->who == W_ADMIN ? tc_admin_token()
					   : NULL;
		path = strstr(rt->path, "%s") != NULL
			       ? tc_printf("/api/v1/users/%s", t->id)
			       : rt->path;
		for (g = 0; g < sizeof(generics) / sizeof(generics[0]); g++) {
			const struct generic *ge = &generics[g];

			r = send_raw(rt, tok, path, ge->raw,
				     ge->len ? ge->len : strlen(ge->raw), NULL);
			tc_problem_is(r, ge->status, ge->slug, "%s %s: %s",
				      rt->method, rt->path, ge->name);
		}
		r = send_raw(rt, tok, path, deep, strlen(deep), NULL);
		tc_problem_is(r, 400, "invalid-json", "%s %s: 1000 levels deep",
			      rt->method, rt->path);
		r = send_raw(rt, tok, path, big, strlen(big), NULL);
		tc_problem_is(r, 413, "too-large", "%s %s: 70 KiB body",
			      rt->method, rt->path);
		r = send_raw(rt, tok, path, "{}", 2, "text/plain");
		tc_problem_is(r, 415, "unsupported-media-type",
			      "%s %s: text/plain", rt->method, rt->path);
		r = send_raw(rt, tok, path, "username=x&password=y",
			     21, "application/x-www-form-urlencoded");
		tc_problem_is(r, 415, "unsupported-media-type",
			      "%s %s: a form", rt->method, rt->path);
		r = send_raw(rt, tok, path, "{}", 2, "");
		tc_problem_is(r, 415, "unsupported-media-type",
			      "%s %s: no Content-Type", rt->method, rt->path);
		r = send_raw(rt, tok, path, "", 0, NULL);
		if (rt->optional)
			ok(r->status != 400 && r->status < 500,
			   "%s %s: an empty body is accepted (%ld)",
			   rt->method, rt->path, r->status);
		else
			tc_problem_is(r, 400, "invalid-json",
				      "%s %s: empty body", rt->method,
				      rt->path);
		if (rt->valid != NULL) {
			r = send_raw(rt, tok, path, rt->valid,
				     strlen(rt->valid),
				     "application/json; charset=utf-8");
			tc_status_is(r, 200, "%s %s: charset=utf-8 is fine",
				     rt->method, rt->path);
		}

		/* Wrong type for every field. */
		fields = tc_strdup(rt->fields);
		for (f = strtok_r(fields, ",", &save); f != NULL;
		     f = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(f, ':');
			const char *const *wrongs;
			size_t nw, k;

			*colon = '\0';
			if (colon[1] == 's') {
				wrongs = wrong_for_s;
				nw = sizeof(wrong_for_s) / sizeof(*wrong_for_s);
			} else if (colon[1] == 'b') {
				wrongs = wrong_for_b;
				nw = sizeof(wrong_for_b) / sizeof(*wrong_for_b);
			} else {
				wrongs = wrong_for_o;
				nw = sizeof(wrong_for_o) / sizeof(*wrong_for_o);
			}
			for (k = 0; k < nw; k++) {
				const char *body =
					tc_printf("{\"%s\":%s}", f, wrongs[k]);

				r = send_raw(rt, tok, path, body, strlen(body),
					     NULL);
				if (tc_problem_is(r, 422, "validation",
						  "%s %s: %s = %s", rt->method,
						  rt->path, f, wrongs[k]))
					ok(tc_has_field_error(r, f),
					   "... names %s", f);
			}
		}
		/* Each required field missing (the others present). */
		req = tc_strdup(rt->required);
		for (rq = strtok_r(req, ",", &rsave); rq != NULL;
		     rq = strtok_r(NULL, ",", &rsave)) {
			r = send_raw(rt, tok, path, "{}", 2, NULL);
			if (tc_problem_is(r, 422, "validation",
					  "%s %s: missing %s", rt->method,
					  rt->path, rq))
				ok(tc_has_field_error(r, rq),
				   "... names %s", rq);
		}
	}

	r = tc_req_opt("POST", "/api/v1/auth/login", NULL, NULL,
		       &(struct tc_opt){
			       .raw = tc_printf("{\"username\":%s,"
						"\"password\":%s}",
						tc_quote(u->username),
						tc_quote(u->password)),
			       .raw_len = strlen(tc_printf(
				       "{\"username\":%s,\"password\":%s}",
				       tc_quote(u->username),
				       tc_quote(u->password))),
			       .content_type = "application/json; charset=utf-8"});
	tc_status_is(r, 200, "application/json; charset=utf-8 is accepted");

	/* Bodies > 1 MiB are stopped by nginx, still as problem+json. */
	{
		size_t n = 2u << 20;
		char *huge = malloc(n);

		memset(huge, ' ', n);
		huge[0] = '{';
		huge[n - 1] = '}';
		r = tc_req_opt("POST", "/api/v1/users", tc_admin_token(), NULL,
			       &(struct tc_opt){.raw = huge, .raw_len = n});
		tc_problem_is(r, 413, "too-large", "2 MiB body: 413 from nginx");
		free(huge);
	}

	/* SQL-looking and odd strings. */
	r = tc_login_res("' OR 1=1 --", "' OR 1=1 --", NULL);
	ok(r->status == 401 || r->status == 422,
	   "login with SQL as username: 401/422 (%ld)", r->status);
	r = tc_login_res("admin'--", "x", NULL);
	ok(r->status == 401 || r->status == 422,
	   "login as admin'--: 401/422 (%ld)", r->status);
	r = tc_req("POST", "/api/v1/users", tc_admin_token(),
		   tc_printf("{\"username\":\"' OR 1=1 --\",\"password\":%s,"
			     "\"role\":\"viewer\"}",
			     tc_quote(tc_password())));
	if (tc_problem_is(r, 422, "validation", "SQL as a new username"))
		ok(tc_has_field_error(r, "username"), "... names username");
	r = tc_req("POST", "/api/v1/users", tc_admin_token(),
		   tc_printf("{\"username\":\"bad-%s\",\"password\":%s,"
			     "\"role\":\"viewer'; DROP TABLE x; --\"}",
			     tc_name("sql"), tc_quote(tc_password())));
	tc_problem_is(r, 422, "validation", "SQL as a role");
	r = tc_req("POST", "/api/v1/users", tc_admin_token(),
		   tc_printf("{\"username\":\"bad-x\\u0000y\",\"password\":%s,"
			     "\"role\":\"viewer\"}",
			     tc_quote(tc_password())));
	tc_problem_is(r, 422, "validation", "\\u0000 in a username");
	r = tc_req("POST", "/api/v1/users", tc_admin_token(),
		   tc_printf("{\"username\":\"bad-%0100d\",\"password\":%s,"
			     "\"role\":\"viewer\"}",
			     0, tc_quote(tc_password())));
	tc_problem_is(r, 422, "validation", "a 104-character username");
	r = tc_req("PATCH", "/api/v1/me", u->token,
		   "{\"display_name\":\"\\ud800\"}");
	ok(r->status == 400 || r->status == 422 || r->status == 200,
	   "a lone surrogate escape is handled (%ld)", r->status);
	r = tc_login_res(tc_printf("%01000d", 0), "x", NULL);
	tc_problem_is(r, 422, "validation", "a 1000-character username at login");
	r = tc_req("POST", "/api/v1/auth/login", NULL,
		   "{\"username\":\"x\",\"password\":\"y\",\"username\":\"z\"}");
	ok(r->status == 400 || r->status == 401 || r->status == 422,
	   "a duplicate key is handled (%ld)", r->status);

	/* Paths, methods, query parameters. */
	tc_problem_is(tc_get(u->token, "/api/v1/nope"), 404, "not-found",
		      "unknown path");
	tc_problem_is(tc_get(u->token, "/api/v1/users/x/y"), 404, "not-found",
		      "too deep a path");
	tc_problem_is(tc_get(u->token, "/api/v1/me/"), 404, "not-found",
		      "trailing slash");
	tc_problem_is(tc_get(u->token, "/api/v1/me%%ff"), 404, "not-found",
		      "invalid UTF-8 in the path");
	r = tc_req("PUT", "/api/v1/users", tc_admin_token(), "{}");
	if (tc_problem_is(r, 405, "method-not-allowed", "PUT /users"))
		like(tc_header(r, "Allow"), "GET.*POST|POST.*GET",
		     "Allow lists GET and POST");
	r = tc_req("DELETE", "/api/v1/me", u->token, NULL);
	if (tc_problem_is(r, 405, "method-not-allowed", "DELETE /me"))
		like(tc_header(r, "Allow"), "PATCH", "Allow lists PATCH");
	r = tc_req("GET", "/api/v1/auth/login", NULL, NULL);
	tc_problem_is(r, 405, "method-not-allowed", "GET /auth/login");
	tc_problem_is(tc_get(u->token, "/api/v1/me?x=1"), 400, "bad-request",
		      "unknown query parameter");
	tc_problem_is(tc_get(tc_admin_token(), "/api/v1/users?limit=1&limit=2"),
		      400, "bad-request", "repeated query parameter");
	tc_problem_is(tc_get(tc_admin_token(),
			     "/api/v1/users?limit=99999999999999999999"),
		      422, "validation", "huge limit");
	tc_problem_is(tc_get(tc_admin_token(), "/api/v1/users?limit=1e3"), 422,
		      "validation", "limit=1e3");
	tc_problem_is(tc_get(tc_admin_token(), "/api/v1/users?q=%%ff"), 400,
		      "bad-request", "invalid UTF-8 in q");
	tc_problem_is(tc_get(tc_admin_token(), "/api/v1/users?q=%%zz"), 400,
		      "bad-request", "a broken escape in q");
	tc_problem_is(tc_get(tc_admin_token(), "/api/v1/users?q=%0100d", 0),
		      422, "validation", "q of 100 characters");
	r = tc_get(tc_admin_token(), "/api/v1/users?q=%%27%%20OR%%201%%3D1%%20--");
	ok(r->status == 200 && tc_int(r, "total", -1) == 0,
	   "q with SQL finds nothing (%ld)", r->status);
	r = tc_get(tc_admin_token(), "/api/v1/users?q=%%5C%%25_");
	tc_status_is(r, 200, "q with LIKE metacharacters");
	r = tc_req_opt("GET", "/api/v1/me", u->token, NULL,
		       &(struct tc_opt){.raw = "{}", .raw_len = 2});
	ok(r->status == 400 || r->status == 405,
	   "a body on GET is refused (%ld)", r->status);

	/* Nothing changed. */
	is(tc_db_value("SELECT version FROM identity.users WHERE id = $1",
		       t->id, NULL),
	   version, "the target user is unchanged");
	is(tc_db_value("SELECT version FROM identity.users WHERE id = $1",
		       u->id, NULL),
	   user_version, "the calling user is unchanged");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.users WHERE "
			   "username LIKE 'bad%'",
			   NULL),
	       "==", users_before, "no user was created");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.api_keys WHERE "
			   "user_id = $1",
			   u->id, NULL),
	       "==", 0, "no API key was created");
	tc_status_is(tc_req("GET", "/api/v1/me", u->token, NULL), 200,
		     "the user's session still works");

	free(deep);
	free(big);
	tc_done();
	return done_testing();
}
