/* The pools' cache of signed-in principals (fcgi/authcache.c) never
 * outlives what it caches: a change through the API is seen by every
 * process before its answer arrives; a change made straight in the
 * database (another host, a script) is announced by NOTIFY and seen
 * within moments; a shortened session ends on time. Each check sends
 * enough requests to reach every child of the pools. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define SPREAD 40 /* requests: more than the children of a pool */

/* Statuses of n GET path with token: 1 when all were want. */
static int
all_status(const char *token, const char *path, long want, int n)
{
	struct tc_res *r;
	int i, good = 1;

	for (i = 0; i < n; i++) {
		r = tc_req("GET", path, token, NULL);
		if (r->status != want) {
			diag("%s request %d: %ld, wanted %ld", path, i,
			     r->status, want);
			good = 0;
		}
	}
	return good;
}

/* Waits up to 3 s for path to answer want, then checks it does so
 * SPREAD times in a row. Returns the ms it took, or -1. */
static double
settles(const char *token, const char *path, long want)
{
	double t0 = tc_now_ms();

	while (tc_now_ms() - t0 < 3000) {
		if (tc_req("GET", path, token, NULL)->status == want &&
		    all_status(token, path, want, SPREAD))
			return tc_now_ms() - t0;
		usleep(20 * 1000);
	}
	return -1;
}

int
main(void)
{
	const char *admin;
	struct tc_user *u;
	struct tc_res *r;
	double ms;
	int i, good;

	tc_init(117);
	admin = tc_admin_token();
	if (admin == NULL)
		BAIL_OUT("no admin token");

	/* Through the API: logout, then the same token at once, on every
	 * pool (identity and assets answer from their own caches). */
	good = 1;
	for (i = 0; i < 10; i++) {
		u = tc_new_user("pcache", "viewer");
		if (u == NULL || u->token == NULL)
			BAIL_OUT("cannot create a user");
		good &= all_status(u->token, "/api/v1/me", 200, SPREAD);
		good &= all_status(u->token, "/api/v1/targets?limit=1", 200,
				   SPREAD);
		r = tc_req("POST", "/api/v1/auth/logout", u->token, NULL);
		good &= r->status == 204;
		good &= all_status(u->token, "/api/v1/me", 401, SPREAD);
		good &= all_status(u->token, "/api/v1/targets?limit=1", 401,
				   SPREAD);
	}
	ok(good, "after a logout the cached token is refused at once by "
		 "every process of two pools (x10)");

	u = tc_new_user("pcache", "operator");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create a user");
	ok(all_status(u->token, "/api/v1/credentials", 200, SPREAD),
	   "an operator lists credentials (cached)");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", u->id), admin,
		   "{\"role\":\"viewer\"}");
	tc_status_is(r, 200, "an admin makes the operator a viewer");
	r = tc_req("POST", "/api/v1/targets", u->token,
		   tc_printf("{\"name\":%s,\"host\":\"127.0.0.1\","
			     "\"os\":\"linux\",\"protocol\":\"ssh\"}",
			     tc_quote(tc_name("pc-t"))));
	tc_problem_is(r, 403, "forbidden",
		      "the next write is judged with the new role");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", u->id), admin,
		   "{\"disabled\":true}");
	tc_status_is(r, 200, "the admin disables the user");
	ok(all_status(u->token, "/api/v1/me", 401, SPREAD) &&
		   all_status(u->token, "/api/v1/targets?limit=1", 401,
			      SPREAD),
	   "a disabled user's token is refused at once everywhere");

	/* Straight in the database: only the NOTIFY tells the pools. */
	u = tc_new_user("pcache", "viewer");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create a user");
	ok(all_status(u->token, "/api/v1/me", 200, SPREAD) &&
		   all_status(u->token, "/api/v1/targets?limit=1", 200,
			      SPREAD),
	   "a fresh user's token is cached");
	cmp_ok(tc_db_exec("UPDATE identity.sessions SET revoked_at = now(), "
			  "revoked_reason = 'test' WHERE id = $1::uuid",
			  u->session, NULL),
	       "==", 1, "its session revoked in SQL");
	ms = settles(u->token, "/api/v1/me", 401);
	ok(ms >= 0, "identity refuses it everywhere (after %.0f ms)", ms);
	ms = settles(u->token, "/api/v1/targets?limit=1", 401);
	ok(ms >= 0, "assets refuses it everywhere (after %.0f ms)", ms);

	u = tc_new_user("pcache", "admin");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create a user");
	ok(all_status(u->token, "/api/v1/users?limit=1", 200, SPREAD),
	   "an admin lists users (cached)");
	cmp_ok(tc_db_exec("UPDATE identity.users SET role = 'viewer' WHERE "
			  "id = $1::uuid",
			  u->id, NULL),
	       "==", 1, "made a viewer in SQL");
	ms = settles(u->token, "/api/v1/users?limit=1", 403);
	ok(ms >= 0, "the admin-only list is refused everywhere (after %.0f "
		    "ms)",
	   ms);

	u = tc_new_user("pcache", "viewer");
	if (u == NULL || u->token == NULL)
		BAIL_OUT("cannot create a user");
	ok(all_status(u->token, "/api/v1/me", 200, SPREAD),
	   "another token cached");
	cmp_ok(tc_db_exec("UPDATE identity.sessions SET expires_at = now() + "
			  "interval '2 seconds' WHERE id = $1::uuid",
			  u->session, NULL),
	       "==", 1, "its session shortened to 2 s in SQL");
	ok(all_status(u->token, "/api/v1/me", 200, SPREAD),
	   "still valid meanwhile");
	sleep(3);
	ok(all_status(u->token, "/api/v1/me", 401, SPREAD),
	   "refused everywhere once the session has ended");

	tc_done();
	return done_testing();
}
