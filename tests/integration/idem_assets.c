/* Idempotency-Key on the assets pool's POSTs that start work: a repeated
 * connection test request is replayed (one task, one audit row), the same
 * key with another request is a 422, a bad key a 400. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static struct tc_res *post_key(const char *path, const char *tok,
			       const char *body, const char *key);

static struct tc_res *
post_key(const char *path, const char *tok, const char *body, const char *key)
{
	return tc_req_opt(
	    "POST", path, tok, body,
	    &(struct tc_opt){.headers = (const char *const[]){
				 tc_printf("Idempotency-Key: %s", key), NULL}});
}

int
main(void)
{
	struct tc_user *op;
	const char *tok, *id, *task, *key, *path;
	struct tc_res *r;

	tc_init(63);
	op = tc_new_user("idemop", "operator");
	if (op == NULL || op->token == NULL)
		BAIL_OUT("cannot create an operator");
	tok = op->token;
	r = tc_req("POST", "/api/v1/targets", tok,
		   tc_printf("{\"name\":%s,\"host\":\"127.0.0.1\",\"os\":"
			     "\"linux\",\"port\":9}",
			     tc_quote(tc_name("idemt"))));
	if (!tc_status_is(r, 201, "a target"))
		BAIL_OUT("cannot create a target");
	id = tc_str(r, "id");

	/* One target. */
	path = tc_printf("/api/v1/targets/%s/test", id);
	key = tc_name("k");
	r = post_key(path, tok, NULL, key);
	tc_status_is(r, 202, "test with a key");
	task = tc_str(r, "task_id");
	r = post_key(path, tok, NULL, key);
	tc_status_is(r, 202, "the same request again");
	is(tc_str(r, "task_id"), task, "... the same task");
	is(tc_header(r, "Idempotent-Replayed"), "true", "... replayed");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'target.test' AND entity_id = $1",
			   id, NULL),
	       "==", 1, "... one test was queued");
	r = post_key("/api/v1/targets/test", tok,
		     tc_printf("{\"target_ids\":[\"%s\"]}", id), key);
	tc_problem_is(r, 422, "idempotency-key-mismatch",
		      "the key on another route");
	r = tc_req("POST", path, tok, NULL);
	tc_status_is(r, 202, "without a key: a new test");
	isnt(tc_str(r, "task_id"), task, "... a new task");

	/* Many targets. */
	key = tc_name("k");
	r = post_key("/api/v1/targets/test", tok,
		     tc_printf("{\"target_ids\":[\"%s\"]}", id), key);
	tc_status_is(r, 202, "test many with a key");
	task = tc_str(r, "task_ids.0");
	r = post_key("/api/v1/targets/test", tok,
		     tc_printf("{\"target_ids\":[\"%s\"]}", id), key);
	tc_status_is(r, 202, "again");
	is(tc_str(r, "task_ids.0"), task, "... the same task");
	r = post_key("/api/v1/targets/test", tok,
		     tc_printf("{\"target_ids\":[\"%s\"]} ", id), key);
	tc_problem_is(r, 422, "idempotency-key-mismatch",
		      "another body with the key");

	/* Bad keys. */
	r = post_key(path, tok, NULL, "a b");
	tc_problem_is(r, 400, "bad-request", "a key with a space");
	r = post_key("/api/v1/discovery/scans", tok,
		     "{\"cidrs\":[\"127.0.0.1/32\"]}", "a\x01");
	ok(r->status == 400 || r->status == 422,
	   "a scan with a control character in the key is refused");

	tc_done();
	return done_testing();
}
