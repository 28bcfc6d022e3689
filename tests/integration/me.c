/* The caller's own account: GET/PATCH /me and password changes with every
 * policy rule, and other sessions revoked after a change. */
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

struct policy_case {
	const char *why;
	const char *password; /* NULL: built from the username */
};

int
main(void)
{
	static const struct policy_case policy[] = {
		{"too short (11 characters)", "Abcdefgh1!x"},
		{"too short in code points", "ééééééééééé"},
		{"a common password", "password1234"},
		{"a common password", "123456789012"},
		{"a common password", "qwertyuiopas"},
		{"fewer than 5 distinct characters", "abababababababab"},
		{"contains the username", NULL},
		{"empty", ""},
	};
	struct tc_user *u;
	struct tc_res *r;
	const char *other, *newpw, *big;
	size_t i;
	long long v0;

	tc_init(15);
	u = tc_new_user("me", "viewer");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create and log in a test user");

	r = tc_req("GET", "/api/v1/me", u->token, NULL);
	tc_status_is(r, 200, "GET /me");
	is(tc_str(r, "id"), u->id, "id");
	is(tc_str(r, "username"), u->username, "username");
	is(tc_str(r, "role"), "viewer", "role");
	is(tc_str(r, "disabled"), "false", "disabled");
	is(tc_str(r, "totp_enabled"), "false", "totp_enabled");
	ok(tc_json(r->json, "preferences") != NULL, "preferences");
	ok(tc_json(r->json, "password_hash") == NULL &&
		   tc_json(r->json, "totp_secret") == NULL &&
		   strstr(r->body, "argon2") == NULL,
	   "no secrets");
	v0 = tc_int(r, "version", 0);
	tc_problem_is(tc_req("GET", "/api/v1/me", NULL, NULL), 401,
		      "unauthorized", "GET /me needs a token");

	r = tc_req("PATCH", "/api/v1/me", u->token,
		   "{\"display_name\":\"Ünïcödé 名前\",\"email\":\"me@example."
		   "test\",\"preferences\":{\"theme\":\"dark\",\"n\":[1,2]}}");
	tc_status_is(r, 200, "PATCH /me");
	is(tc_str(r, "display_name"), "Ünïcödé 名前", "display_name (UTF-8)");
	is(tc_str(r, "email"), "me@example.test", "email");
	is(tc_str(r, "preferences.theme"), "dark", "preferences stored");
	cmp_ok(tc_int(r, "version", 0), ">", v0, "version went up");
	r = tc_req("GET", "/api/v1/me", u->token, NULL);
	is(tc_str(r, "preferences.n.1"), "2", "preferences read back");
	r = tc_req("PATCH", "/api/v1/me", u->token, "{\"email\":\"\"}");
	tc_status_is(r, 200, "email may be cleared with \"\"");
	r = tc_req("PATCH", "/api/v1/me", u->token, "{\"email\":null}");
	tc_status_is(r, 200, "email may be cleared with null");

	r = tc_req("PATCH", "/api/v1/me", u->token, "{\"email\":\"no-at\"}");
	if (tc_problem_is(r, 422, "validation", "email without @"))
		ok(tc_has_field_error(r, "email"), "... field email");
	r = tc_req("PATCH", "/api/v1/me", u->token, "{\"email\":\"a@b@c\"}");
	tc_problem_is(r, 422, "validation", "email with two @");
	big = tc_printf("{\"display_name\":\"%0129d\"}", 0);
	r = tc_req("PATCH", "/api/v1/me", u->token, big);
	if (tc_problem_is(r, 422, "validation", "display_name of 129"))
		ok(tc_has_field_error(r, "display_name"),
		   "... field display_name");
	r = tc_req("PATCH", "/api/v1/me", u->token,
		   tc_printf("{\"email\":\"%0250d@x.io\"}", 0));
	tc_problem_is(r, 422, "validation", "email of 255 characters");
	r = tc_req("PATCH", "/api/v1/me", u->token,
		   tc_printf("{\"preferences\":{\"x\":\"%05000d\"}}", 0));
	if (tc_problem_is(r, 422, "validation", "preferences over 4 KiB"))
		ok(tc_has_field_error(r, "preferences"),
		   "... field preferences");
	r = tc_req("PATCH", "/api/v1/me", u->token, "{\"preferences\":[]}");
	tc_problem_is(r, 422, "validation", "preferences must be an object");
	r = tc_req("PATCH", "/api/v1/me", u->token, "{\"role\":\"admin\"}");
	if (tc_problem_is(r, 422, "validation", "role cannot be set on /me"))
		ok(tc_has_field_error(r, "role"), "... field role");
	r = tc_req("PATCH", "/api/v1/me", u->token,
		   "{\"username\":\"someone-else\"}");
	tc_problem_is(r, 422, "validation", "username cannot be set on /me");
	r = tc_req("GET", "/api/v1/me", u->token, NULL);
	is(tc_str(r, "role"), "viewer", "still a viewer");
	is(tc_str(r, "username"), u->username, "still the same name");

	/* Password change. */
	other = tc_login(u->username, u->password);
	ok(other != NULL, "a second session");
	r = tc_req("POST", "/api/v1/me/password", u->token,
		   tc_printf("{\"current_password\":\"Wrong-password-99\","
			     "\"new_password\":%s}",
			     tc_quote(tc_password())));
	if (tc_problem_is(r, 422, "validation", "wrong current password"))
		ok(tc_has_field_error(r, "current_password"),
		   "... field current_password");
	for (i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		const char *pw = policy[i].password;

		if (pw == NULL)
			pw = tc_printf("Xy7!%s#Q", u->username);
		r = tc_req("POST", "/api/v1/me/password", u->token,
			   tc_printf("{\"current_password\":%s,"
				     "\"new_password\":%s}",
				     tc_quote(u->password), tc_quote(pw)));
		if (tc_problem_is(r, 422, "validation", "policy: %s",
				  policy[i].why))
			ok(tc_has_field_error(r, "new_password"),
			   "... field new_password (%s)", policy[i].why);
	}
	r = tc_req("POST", "/api/v1/me/password", u->token,
		   tc_printf("{\"current_password\":%s,\"new_password\":"
			     "\"%0257d\"}",
			     tc_quote(u->password), 0));
	tc_problem_is(r, 422, "validation", "policy: over 256 characters");
	r = tc_req("POST", "/api/v1/me/password", u->token,
		   tc_printf("{\"current_password\":%s,\"new_password\":"
			     "\"aaaa\"}",
			     tc_quote(u->password)));
	if (tc_problem_is(r, 422, "validation", "several rules broken") &&
	    tc_json(r->json, "errors") != NULL)
		cmp_ok((long long)json_object_array_length(
			       tc_json(r->json, "errors")),
		       ">=", 2, "one message per broken rule");
	tc_status_is(tc_req("GET", "/api/v1/me", other, NULL), 200,
		     "failed changes revoked nothing");

	newpw = tc_password();
	r = tc_req("POST", "/api/v1/me/password", u->token,
		   tc_printf("{\"current_password\":%s,\"new_password\":%s}",
			     tc_quote(u->password), tc_quote(newpw)));
	tc_status_is(r, 204, "password changed");
	tc_status_is(tc_req("GET", "/api/v1/me", u->token, NULL), 200,
		     "the calling session stays");
	tc_problem_is(tc_req("GET", "/api/v1/me", other, NULL), 401,
		      "unauthorized", "the other session is revoked");
	tc_problem_is(tc_login_res(u->username, u->password, NULL), 401,
		      "login-failed", "the old password is refused");
	tc_status_is(tc_login_res(u->username, newpw, NULL), 200,
		     "the new password works");
	ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
		       "actor_id = $1 AND (coalesce(before::text, '') || "
		       "coalesce(after::text, '')) LIKE '%' || $2 || '%'",
		       u->id, newpw, NULL) == 0,
	   "the new password is not in the audit");

	tc_done();
	return done_testing();
}
