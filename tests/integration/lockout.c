/* Failed-login backoff and lockout: 429 with Retry-After after 5 failures,
 * 423 after 10 even with the right password, admin unlock, and the
 * per-address block. Each part uses its own source address. */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static struct tc_res *login_from(const char *addr, const char *user,
				 const char *password);

static struct tc_res *
login_from(const char *addr, const char *user, const char *password)
{
	return tc_req_opt("POST", "/api/v1/auth/login", NULL,
			  tc_printf("{\"username\":%s,\"password\":%s}",
				    tc_quote(user), tc_quote(password)),
			  &(struct tc_opt){.source = addr});
}

int
main(void)
{
	static const char *const a1 = "127.0.0.131", *const a2 = "127.0.0.132",
				 *const a3 = "127.0.0.133",
				 *const a4 = "127.0.0.134";
	struct tc_user *u, *v, *w;
	struct tc_res *r;
	const char *key, *ra;
	int i, fails = 0;

	tc_init(13);
	/* Earlier runs against the same stack must not leave these blocked. */
	tc_db_exec("DELETE FROM identity.login_failures WHERE key IN "
		   "('addr:127.0.0.131','addr:127.0.0.132','addr:127.0.0.133',"
		   "'addr:127.0.0.134')",
		   NULL);
	u = tc_create_user(tc_admin_token(), "lock", "viewer");
	v = tc_create_user(tc_admin_token(), "lockb", "viewer");
	w = tc_create_user(tc_admin_token(), "lockc", "viewer");
	if (u == NULL || v == NULL || w == NULL)
		BAIL_OUT("cannot create test users");

	/* Five failures are answered as failures. */
	for (i = 0; i < 5; i++) {
		r = login_from(a1, u->username, "Not-the-password-1");
		if (r->status == 401)
			fails++;
	}
	cmp_ok(fails, "==", 5, "the first five wrong passwords are 401");
	tc_problem_is(r, 401, "login-failed", "... login-failed");
	r = login_from(a1, u->username, "Not-the-password-1");
	tc_problem_is(r, 429, "rate-limited", "the sixth try is backed off");
	ra = tc_header(r, "Retry-After");
	like(ra, "^[1-9][0-9]*$", "with Retry-After in seconds");
	r = login_from(a1, u->username, u->password);
	tc_problem_is(r, 429, "rate-limited",
		      "during backoff even the right password waits");
	key = tc_printf("user:%s", u->username);
	cmp_ok(tc_db_count("SELECT failures FROM identity.login_failures "
			   "WHERE key = $1",
			   key, NULL),
	       ">=", 5, "the failures are recorded for the account");

	/* Skip the waiting: nine failures, the last one past the longest
	 * backoff (60 s) but inside the counting window (the lock period),
	 * then one more locks. */
	cmp_ok(tc_db_exec("UPDATE identity.login_failures SET failures = 9, "
			  "last_at = now() - interval '61 seconds', "
			  "blocked_until = NULL WHERE key = $1",
			  key, NULL),
	       "==", 1, "set the account to nine old failures");
	r = login_from(a2, u->username, "Not-the-password-1");
	ok(r->status == 401 || r->status == 423,
	   "the tenth failure is refused (%ld)", r->status);
	r = login_from(a2, u->username, u->password);
	tc_problem_is(r, 423, "locked", "locked: the right password is refused");
	ra = tc_header(r, "Retry-After");
	ok(ra != NULL && atoi(ra) > 60 && atoi(ra) <= 900,
	   "Retry-After covers the lock (%s)", ra ? ra : "none");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action LIKE '%lock%' AND (entity_id = $1 OR "
			   "entity_id = 'user:' || $2)",
			   u->id, u->username, NULL),
	       ">=", 1, "the lockout is audited");
	r = login_from(a3, u->username, u->password);
	tc_problem_is(r, 423, "locked", "locked from another address too");

	/* An admin unlocks it. */
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", u->id),
		   tc_admin_token(), "{\"unlock\":true}");
	tc_status_is(r, 200, "admin unlock");
	r = login_from(a3, u->username, u->password);
	tc_status_is(r, 200, "after unlock the right password works");
	r = login_from(a3, u->username, "Not-the-password-1");
	tc_problem_is(r, 401, "login-failed", "and counting starts over");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", u->id),
		   tc_login(v->username, v->password), "{\"unlock\":true}");
	tc_problem_is(r, 403, "forbidden", "a viewer cannot unlock");

	/* Per-address block: 49 failures recorded, one more blocks. */
	cmp_ok(tc_db_exec("INSERT INTO identity.login_failures (key, failures, "
			  "last_at) VALUES ('addr:127.0.0.134', 49, now()) "
			  "ON CONFLICT (key) DO UPDATE SET failures = 49, "
			  "last_at = now(), blocked_until = NULL",
			  NULL),
	       "==", 1, "set the address to 49 failures");
	r = login_from(a4, tc_name("nobody"), "Not-the-password-1");
	ok(r->status == 401 || r->status == 429,
	   "the fiftieth failure is refused (%ld)", r->status);
	r = login_from(a4, w->username, w->password);
	tc_problem_is(r, 429, "rate-limited",
		      "the blocked address cannot log in any account");
	ok(tc_header(r, "Retry-After") != NULL, "with Retry-After");
	r = login_from(a3, w->username, w->password);
	tc_status_is(r, 200, "another address is not blocked");

	tc_db_exec("DELETE FROM identity.login_failures WHERE key IN "
		   "('addr:127.0.0.131','addr:127.0.0.132','addr:127.0.0.133',"
		   "'addr:127.0.0.134')",
		   NULL);
	tc_done();
	return done_testing();
}
