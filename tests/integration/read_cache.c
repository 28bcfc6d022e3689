/* The pools' cache of GET answers (fcgi/rcache.c, users and targets)
 * never shows what a change made wrong: a change through the API is seen
 * at once by the next request; a change made straight in the database
 * (another host, the worker, a script) is announced by NOTIFY (sql/015)
 * and seen within moments, whichever table the answer reads; a cached
 * answer is the handler's answer byte for byte, and is only given to a
 * caller the route allows. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define SPREAD 40 /* requests: more than the children of a pool */

/* How many of n GET path answers are 200 and hold needle. */
static int
holding(const char *token, const char *path, const char *needle, int n)
{
	struct tc_res *r;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		r = tc_req("GET", path, token, NULL);
		k += r->status == 200 && strstr(r->body, needle) != NULL;
	}
	return k;
}

/* Waits up to 3 s for every one of SPREAD answers to hold needle.
 * Returns the ms it took, or -1. */
static double
settles(const char *token, const char *path, const char *needle)
{
	double t0 = tc_now_ms();

	while (tc_now_ms() - t0 < 3000) {
		if (holding(token, path, needle, SPREAD) == SPREAD)
			return tc_now_ms() - t0;
		usleep(20 * 1000);
	}
	diag("%s never held %s", path, needle);
	return -1;
}

/* An UPDATE in SQL that fires no trigger (so no NOTIFY): the cache
 * cannot know of it. */
static int
silent_exec(const char *sql, const char *param)
{
	int n;

	if (tc_db_exec("SET session_replication_role = replica", NULL) < 0)
		return -1;
	n = tc_db_exec(sql, param, NULL);
	if (tc_db_exec("RESET session_replication_role", NULL) < 0)
		return -1;
	return n;
}

/* Creates target name on host (and extra JSON members) as admin: its id. */
static const char *
mk_target(const char *admin, const char *name, const char *host,
	  const char *extra)
{
	struct tc_res *r =
	    tc_req("POST", "/api/v1/targets", admin,
		   tc_printf("{\"name\":%s,\"host\":\"%s\",\"os\":\"linux\","
			     "\"protocol\":\"ssh\"%s}",
			     tc_quote(name), host, extra));

	tc_status_is(r, 201, "create target %s", name);
	return tc_str(r, "id");
}

/* Through the API: every answer shows the change at once. */
static void
api_changes(const char *admin, const char *pre)
{
	const char *list = tc_printf("/api/v1/targets?q=%s", pre), *t, *path;
	const char *etag, *desc;
	struct tc_res *r, *first;
	int i;

	t = mk_target(admin, tc_printf("%s-a", pre), "127.0.0.1", "");
	path = tc_printf("/api/v1/targets/%s", t);
	first = tc_req("GET", path, admin, NULL);
	r = tc_req("GET", path, admin, NULL);
	ok(first->status == 200 && r->status == 200 &&
	       strcmp(first->body, r->body) == 0 &&
	       strcmp(tc_header(first, "ETag"), tc_header(r, "ETag")) == 0 &&
	       strcmp(tc_header(first, "Content-Type"),
		      tc_header(r, "Content-Type")) == 0,
	   "a repeated GET gives the same body, ETag and type");
	is(tc_header(r, "Content-Type"), "application/json; charset=utf-8",
	   "... as JSON");
	r = tc_get(admin, "%s", list);
	cmp_ok(tc_int(r, "total", -1), "==", 1, "the list has it");
	for (i = 0; i < 5; i++) {
		desc = tc_printf("api-change-%d", i);
		etag = tc_header(tc_req("GET", path, admin, NULL), "ETag");
		r = tc_req("PATCH", path, admin,
			   tc_printf("{\"description\":\"%s\"}", desc));
		if (r->status != 200 || strcmp(tc_header(r, "ETag"), etag) == 0)
			break;
		if (holding(admin, path, desc, SPREAD) != SPREAD ||
		    holding(admin, list, desc, SPREAD) != SPREAD ||
		    strcmp(tc_header(tc_req("GET", path, admin, NULL), "ETag"),
			   tc_header(r, "ETag")) != 0)
			break;
	}
	cmp_ok(i, "==", 5,
	       "after each PATCH, the GET and the list show the new "
	       "description and ETag at once (x5)");
	mk_target(admin, tc_printf("%s-b", pre), "127.0.0.2", "");
	ok(holding(admin, list, "\"total\":2", SPREAD) == SPREAD,
	   "the list counts it at once");
	tc_status_is(tc_req("DELETE", path, admin, NULL), 204,
		     "delete the first");
	ok(holding(admin, path, "", SPREAD) == 0,
	   "its GET is 404 at once, never a cached 200");
	ok(holding(admin, list, "\"total\":1", SPREAD) == SPREAD,
	   "the list has one left at once");
}

/* Straight in SQL: the notification is what tells the pools. */
static void
sql_changes(const char *admin, const char *viewer, const char *pre)
{
	const char *list = tc_printf("/api/v1/targets?q=%s", pre), *t, *c;
	const char *path, *g, *task;
	struct tc_res *r;
	double ms;
	int n;

	r = tc_req("POST", "/api/v1/credentials", admin,
		   tc_printf("{\"name\":%s,\"type\":\"ssh_password\","
			     "\"username\":\"u\",\"password\":\"Rc-s3cret!\"}",
			     tc_quote(tc_printf("%s-cred", pre))));
	tc_status_is(r, 201, "create a credential");
	c = tc_str(r, "id");
	t = mk_target(admin, tc_printf("%s-c", pre), "127.0.0.3",
		      tc_printf(",\"credential_id\":\"%s\"", c));
	path = tc_printf("/api/v1/targets/%s", t);

	/* The cache is in use: a change nobody announces is not seen by
	 * the processes that cached the answer. */
	ok(holding(viewer, list, "\"total\":1", SPREAD) == SPREAD,
	   "a viewer lists it (and the answers are cached)");
	cmp_ok(silent_exec("UPDATE assets.targets SET description = "
			   "'silent' WHERE id = $1::uuid",
			   t),
	       "==", 1, "a change in SQL that fires no trigger");
	n = holding(viewer, list, "\"description\":\"silent\"", SPREAD);
	ok(n < SPREAD,
	   "is not seen by every answer (%d of %d): they come "
	   "from the cache",
	   n, SPREAD);

	cmp_ok(tc_db_exec("UPDATE assets.targets SET description = 'told' "
			  "WHERE id = $1::uuid",
			  t, NULL),
	       "==", 1, "a target changed in SQL");
	ms = settles(viewer, list, "\"description\":\"told\"");
	ok(ms >= 0, "the list shows it everywhere (after %.0f ms)", ms);
	ms = settles(viewer, path, "\"description\":\"told\"");
	ok(ms >= 0, "its GET too (after %.0f ms)", ms);

	cmp_ok(tc_db_exec("UPDATE assets.credentials SET name = name || "
			  "'-renamed' WHERE id = $1::uuid",
			  c, NULL),
	       "==", 1, "its credential renamed in SQL");
	ms = settles(viewer, list, "-cred-renamed\"");
	ok(ms >= 0, "the list shows the new credential name (after %.0f ms)",
	   ms);

	r = tc_req(
	    "POST", "/api/v1/groups", admin,
	    tc_printf("{\"name\":%s}", tc_quote(tc_printf("%s-group", pre))));
	tc_status_is(r, 201, "create an empty group");
	g = tc_str(r, "id");
	ok(holding(viewer, tc_printf("%s&group=%s", list, g), "\"total\":0",
		   SPREAD) == SPREAD,
	   "the target is not in it");
	cmp_ok(tc_db_exec("INSERT INTO assets.group_members (group_id, "
			  "target_id) VALUES ($1::uuid, $2::uuid)",
			  g, t, NULL),
	       "==", 1, "added to the group in SQL");
	ms = settles(viewer, tc_printf("%s&group=%s", list, g), "\"total\":1");
	ok(ms >= 0, "the group filter finds it (after %.0f ms)", ms);

	/* Not due for an hour: no worker takes it meanwhile. */
	task = tc_db_value("INSERT INTO core.tasks (kind, payload, "
			   "run_after) VALUES ('target.test', '{}', now() + "
			   "interval '1 hour') RETURNING id",
			   NULL);
	ok(task != NULL &&
	       tc_db_exec("UPDATE assets.targets SET test_task_id = "
			  "$1::uuid WHERE id = $2::uuid",
			  task, t, NULL) == 1,
	   "a queued test task in SQL");
	ms = settles(viewer, path, "\"state\":\"queued\"");
	ok(ms >= 0, "its state shows (after %.0f ms)", ms);
	cmp_ok(tc_db_exec("UPDATE core.tasks SET state = 'canceled' WHERE "
			  "id = $1::uuid",
			  task, NULL),
	       "==", 1, "the task's state changed in SQL (a worker would)");
	ms = settles(viewer, path, "\"state\":\"canceled\"");
	ok(ms >= 0, "the target shows the new state (after %.0f ms)", ms);
}

/* An answer of more than 64 KiB (written as records of its own, see
 * http_put_large) arrives whole, from the database and from the cache,
 * and the kept connection still serves the next request. */
static void
large(const char *admin, const char *pre)
{
	const char *list = tc_printf("/api/v1/targets?q=%s&limit=150", pre);
	const char *body = "{\"targets\":[";
	struct tc_res *r = NULL;
	int i, good = 1;

	for (i = 0; i < 150; i++)
		body = tc_printf("%s%s{\"name\":\"%s-%03d\",\"host\":"
				 "\"10.9.0.%d\",\"os\":\"linux\"}",
				 body, i > 0 ? "," : "", pre, i, i + 1);
	tc_status_is(tc_req("POST", "/api/v1/targets/import", admin,
			    tc_printf("%s]}", body)),
		     201, "import 150 targets");
	for (i = 0; i < 6; i++) {
		r = tc_req("GET", list, admin, NULL);
		good &= r->status == 200 && r->body_len > 65536 &&
			tc_int(r, "total", -1) == 150 &&
			json_object_array_length(tc_json(r->json, "items")) ==
			    150 &&
			strcmp(tc_str(r, "items.149.name"),
			       tc_printf("%s-149", pre)) == 0;
		good &= tc_req("GET", "/api/v1/targets?limit=1", admin, NULL)
			    ->status == 200;
	}
	ok(good,
	   "a %zu-byte list arrives whole, 6 times, each followed by "
	   "another request",
	   r->body_len);
}

static void
users(const char *admin, const char *viewer)
{
	struct tc_user *u = tc_create_user(admin, "rcache", "viewer");
	const char *path, *list;
	struct tc_res *r;
	double ms;

	if (u == NULL)
		BAIL_OUT("cannot create a user");
	path = tc_printf("/api/v1/users/%s", u->id);
	list = tc_printf("/api/v1/users?q=%s", u->username);
	ok(holding(admin, path, u->username, SPREAD) == SPREAD &&
	       holding(admin, list, "\"total\":1", SPREAD) == SPREAD,
	   "an admin reads a user and a list (cached)");
	r = tc_req("GET", path, viewer, NULL);
	tc_problem_is(r, 403, "forbidden",
		      "a viewer is refused the same user: no cached answer "
		      "skips the role check");
	r = tc_req("GET", list, viewer, NULL);
	tc_problem_is(r, 403, "forbidden", "... and the same list");
	r = tc_req("GET", path, NULL, NULL);
	tc_status_is(r, 401, "... and so is a caller with no token");
	r = tc_req("GET", path, admin, "{\"x\":1}");
	tc_problem_is(r, 400, "bad-request",
		      "a cached GET sent with a body is refused as uncached");

	r = tc_req("PATCH", path, admin, "{\"display_name\":\"Via API\"}");
	tc_status_is(r, 200, "rename through the API");
	ok(holding(admin, path, "Via API", SPREAD) == SPREAD &&
	       holding(admin, list, "Via API", SPREAD) == SPREAD,
	   "seen at once by the GET and the list");
	cmp_ok(tc_db_exec("UPDATE identity.users SET display_name = 'Via "
			  "SQL' WHERE id = $1::uuid",
			  u->id, NULL),
	       "==", 1, "renamed in SQL");
	ms = settles(admin, path, "Via SQL");
	ok(ms >= 0, "the GET shows it everywhere (after %.0f ms)", ms);
	ms = settles(admin, list, "Via SQL");
	ok(ms >= 0, "the list too (after %.0f ms)", ms);
	tc_status_is(tc_req("DELETE", path, admin, NULL), 204,
		     "delete the user");
	ok(holding(admin, path, "", SPREAD) == 0 &&
	       holding(admin, list, "\"total\":0", SPREAD) == SPREAD,
	   "gone at once from the GET and the list");
}

int
main(void)
{
	const char *admin;
	struct tc_user *v;

	tc_init(118);
	admin = tc_admin_token();
	if (admin == NULL)
		BAIL_OUT("no admin token");
	v = tc_new_user("rcache", "viewer");
	if (v == NULL || v->token == NULL)
		BAIL_OUT("cannot create a viewer");
	api_changes(admin, tc_name("rc-api"));
	sql_changes(admin, v->token, tc_name("rc-sql"));
	users(admin, v->token);
	large(admin, tc_name("rc-big"));
	tc_done();
	return done_testing();
}
