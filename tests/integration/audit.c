/* The audit log reader GET /api/v1/audit (communication pool): admins
 * only, filters on actor, action (exact or prefix), entity, time range
 * and text, newest first, cursor paging; reading is not audited; the pool
 * shows up in health. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static void seed(const char *et, const char *actor_id, const char *actor,
		 const char *action, const char *eid, int sec);
static long long total(const char *tok, const char *query);

/* One audit row at 2020-01-01T00:00:<sec>Z, straight into the table. */
static void
seed(const char *et, const char *actor_id, const char *actor,
     const char *action, const char *eid, int sec)
{
	tc_db_exec("INSERT INTO core.audit_events (at, actor_id, actor_name, "
		   "action, entity_type, entity_id, before, after, "
		   "source_addr, request_id) VALUES ($1::timestamptz, "
		   "NULLIF($2, '')::uuid, $3, $4, $5, $6, NULL, '{\"k\":1}', "
		   "'127.0.0.100', 'seed')",
		   tc_printf("2020-01-01T00:00:%02dZ", sec), actor_id, actor,
		   action, et, eid, NULL);
}

/* The total of GET /api/v1/audit?<query>, -1 unless 200. */
static long long
total(const char *tok, const char *query)
{
	struct tc_res *r = tc_get(tok, "/api/v1/audit?%s", query);

	return r->status == 200 ? tc_int(r, "total", -1) : -1;
}

int
main(void)
{
	struct tc_user *adm, *op, *vw;
	const char *et, *ids[3], *made;
	struct tc_res *r;
	long long before;
	int i, seen, up = 0, required = 0;
	json_object *list;

	tc_init(100);
	adm = tc_new_user("audadm", "admin");
	op = tc_new_user("audop", "operator");
	vw = tc_new_user("audvw", "viewer");
	if (adm == NULL || adm->token == NULL || op == NULL ||
	    op->token == NULL || vw == NULL || vw->token == NULL)
		BAIL_OUT("cannot create the test users");

	/* The pool is up and required. */
	r = tc_req("GET", "/api/v1/health", NULL, NULL);
	list = tc_json(r->json, "components");
	for (i = 0; list != NULL && i < (int)json_object_array_length(list);
	     i++) {
		json_object *c = json_object_array_get_idx(list, i);
		const char *kind = tc_jstr(c, "kind"),
			   *st = tc_jstr(c, "state");

		if (kind != NULL && strcmp(kind, "communication") == 0 &&
		    st != NULL && strcmp(st, "up") == 0)
			up++;
	}
	list = tc_json(r->json, "required");
	for (i = 0; list != NULL && i < (int)json_object_array_length(list);
	     i++)
		required |= strcmp(json_object_get_string(
				       json_object_array_get_idx(list, i)),
				   "communication") == 0;
	cmp_ok(up, ">=", 2, "health lists communication processes up");
	ok(required, "communication is a required component");

	/* Rows of our own entity type, at fixed times: sec 1..6. */
	et = tc_name("audet");
	seed(et, vw->id, vw->username, "thing.create", "e1", 1);
	seed(et, vw->id, vw->username, "thing.update", "e1", 2);
	seed(et, op->id, op->username, "thing.delete", "e1", 3);
	seed(et, op->id, op->username, "things.purge", "e2", 4);
	seed(et, "", "system", "other.run", "e2", 5);
	seed(et, vw->id, vw->username, "thing.update", "e3", 6);

	r = tc_get(adm->token, "/api/v1/audit?entity_type=%s", et);
	tc_status_is(r, 200, "an admin reads the audit log");
	cmp_ok(tc_int(r, "total", -1), "==", 6, "... all six rows");
	is(tc_str(r, "items.0.entity_id"), "e3", "... newest first");
	is(tc_str(r, "items.0.at"), "2020-01-01T00:00:06.000Z",
	   "... at as RFC 3339 UTC");
	is(tc_str(r, "items.5.action"), "thing.create", "... oldest last");
	is(tc_str(r, "items.0.actor_id"), vw->id, "... actor_id");
	is(tc_str(r, "items.0.actor_name"), vw->username, "... actor_name");
	is(tc_str(r, "items.0.after.k"), "1", "... after as JSON");
	ok(tc_json(r->json, "items.0.before") == NULL, "... before null");
	is(tc_str(r, "items.0.source_addr"), "127.0.0.100", "... source_addr");
	is(tc_str(r, "items.0.request_id"), "seed", "... request_id");
	ok(tc_int(r, "items.0.id", 0) > tc_int(r, "items.1.id", 0),
	   "... numeric ids");
	{
		json_object *it = tc_json(r->json, "items.0");
		static const char *const keys[] = {
		    "id",	   "at",     "actor_id",    "actor_name",
		    "via_api_key", "action", "entity_type", "entity_id",
		    "before",	   "after",  "source_addr", "request_id"};
		size_t k;
		int all = it != NULL;

		for (k = 0; all && k < sizeof(keys) / sizeof(keys[0]); k++)
			all = json_object_object_get_ex(it, keys[k], NULL);
		ok(all, "... every field of the contract is present");
	}

	/* Action: exact, prefix with '.', with '*'. */
	cmp_ok(total(adm->token,
		     tc_printf("entity_type=%s&action=thing.update", et)),
	       "==", 2, "action exact");
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&action=thing.", et)),
	       "==", 4, "action prefix 'thing.'");
	cmp_ok(
	    total(adm->token, tc_printf("entity_type=%s&action=thing.*", et)),
	    "==", 4, "action prefix 'thing.*'");
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&action=thing*", et)),
	       "==", 5, "action prefix 'thing*' takes things.purge too");
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&action=thing", et)),
	       "==", 0, "action without a wildcard is exact");

	/* Actor by id and by name; entity id; the system actor. */
	cmp_ok(
	    total(adm->token, tc_printf("entity_type=%s&actor=%s", et, vw->id)),
	    "==", 3, "actor by user id");
	cmp_ok(total(adm->token,
		     tc_printf("entity_type=%s&actor=%s", et, op->username)),
	       "==", 2, "actor by user name");
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&actor=system", et)),
	       "==", 1, "actor system");
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&entity_id=e1", et)),
	       "==", 3, "entity_id");
	cmp_ok(total(adm->token, "entity_id=e1&entity_type=nope-nothing"),
	       "==", 0, "an entity type nobody uses");

	/* Time range: since inclusive, until exclusive. */
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&since="
					   "2020-01-01T00:00:02Z&until="
					   "2020-01-01T00:00:05Z",
					   et)),
	       "==", 3, "since and until");
	cmp_ok(
	    total(adm->token,
		  tc_printf("entity_type=%s&since=2020-01-01T00:00:06Z", et)),
	    "==", 1, "since alone");
	/* q: a substring of action, actor name or entity, any case. */
	cmp_ok(total(adm->token, tc_printf("entity_type=%s&q=PURGE", et)),
	       "==", 1, "q matches the action in any case");
	cmp_ok(total(adm->token, tc_printf("q=%s", et)), "==", 6,
	       "q matches the entity type");

	/* Paging: 6 rows by 4. */
	r = tc_get(adm->token, "/api/v1/audit?entity_type=%s&limit=4", et);
	ok(r->status == 200 && tc_int(r, "total", -1) == 6 &&
	       json_object_array_length(tc_json(r->json, "items")) == 4 &&
	       tc_str(r, "next") != NULL,
	   "page 1: four items, total 6, a next cursor");
	ids[0] = tc_str(r, "items.3.id");
	r = tc_get(adm->token, "/api/v1/audit?entity_type=%s&limit=4&cursor=%s",
		   et, tc_str(r, "next") != NULL ? tc_str(r, "next") : "x");
	ok(r->status == 200 && tc_int(r, "total", -1) == 6 &&
	       json_object_array_length(tc_json(r->json, "items")) == 2 &&
	       tc_json(r->json, "next") == NULL,
	   "page 2: the last two, no next");
	ids[1] = tc_str(r, "items.0.id");
	is(tc_str(r, "items.1.action"), "thing.create",
	   "... ending with the oldest");
	ok(ids[0] != NULL && ids[1] != NULL && strcmp(ids[0], ids[1]) != 0,
	   "... pages do not overlap");

	/* A real mutation through the API is found by its action and id. */
	r = tc_req("POST", "/api/v1/users", adm->token,
		   tc_printf("{\"username\":%s,\"password\":%s,"
			     "\"role\":\"viewer\"}",
			     tc_quote(tc_name("audnew")),
			     tc_quote(tc_password())));
	tc_status_is(r, 201, "create a user");
	made = tc_str(r, "id");
	r = tc_get(adm->token, "/api/v1/audit?action=user.create&entity_id=%s",
		   made != NULL ? made : "none");
	ok(r->status == 200 && tc_int(r, "total", -1) == 1,
	   "... its audit row is listed");
	is(tc_str(r, "items.0.actor_name"), adm->username,
	   "... with the admin as actor");
	is(tc_str(r, "items.0.entity_type"), "user", "... entity_type user");

	/* Reading is not audited. */
	before = tc_db_count("SELECT count(*) FROM core.audit_events "
			     "WHERE actor_id = $1::uuid",
			     adm->id, NULL);
	for (i = 0, seen = 0; i < 3; i++)
		seen +=
		    tc_get(adm->token, "/api/v1/audit?limit=1")->status == 200;
	cmp_ok(seen, "==", 3, "three reads");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events "
			   "WHERE actor_id = $1::uuid",
			   adm->id, NULL),
	       "==", before, "... and no audit row for them");

	/* Admins only. */
	tc_problem_is(tc_get(NULL, "/api/v1/audit"), 401, "unauthorized",
		      "no token");
	tc_problem_is(tc_get(op->token, "/api/v1/audit"), 403, "forbidden",
		      "an operator may not read it");
	tc_problem_is(tc_get(vw->token, "/api/v1/audit"), 403, "forbidden",
		      "a viewer may not read it");
	r = tc_req("POST", "/api/v1/api-keys", adm->token,
		   tc_printf("{\"name\":%s,\"role\":\"admin\"}",
			     tc_quote(tc_name("audkey"))));
	tc_status_is(tc_get(tc_str(r, "key"), "/api/v1/audit?limit=1"), 200,
		     "an admin API key may read it");
	r = tc_req("POST", "/api/v1/api-keys", adm->token,
		   tc_printf("{\"name\":%s,\"role\":\"operator\"}",
			     tc_quote(tc_name("audkey"))));
	tc_problem_is(tc_get(tc_str(r, "key"), "/api/v1/audit?limit=1"), 403,
		      "forbidden", "an admin's operator API key may not");
	tc_problem_is(tc_req("POST", "/api/v1/audit", adm->token, "{}"), 405,
		      "method-not-allowed", "the audit log is read-only");

	/* Bad input. */
	r = tc_get(adm->token, "/api/v1/audit?since=yesterday");
	if (tc_problem_is(r, 422, "validation", "bad since"))
		ok(tc_has_field_error(r, "since"), "... names since");
	else
		fail("... names since");
	r = tc_get(adm->token, "/api/v1/audit?until=2020-13-01T00:00:00Z");
	if (tc_problem_is(r, 422, "validation", "bad until"))
		ok(tc_has_field_error(r, "until"), "... names until");
	else
		fail("... names until");
	r = tc_get(adm->token, "/api/v1/audit?limit=0");
	if (tc_problem_is(r, 422, "validation", "limit 0"))
		ok(tc_has_field_error(r, "limit"), "... names limit");
	else
		fail("... names limit");
	r = tc_get(adm->token, "/api/v1/audit?cursor=bogus");
	if (tc_problem_is(r, 422, "validation", "a cursor it never gave out"))
		ok(tc_has_field_error(r, "cursor"), "... names cursor");
	else
		fail("... names cursor");
	tc_problem_is(tc_get(adm->token, "/api/v1/audit?actor="), 422,
		      "validation", "empty actor");
	tc_problem_is(tc_get(adm->token, "/api/v1/audit?verb=x"), 400,
		      "bad-request", "unknown parameter");
	tc_done();
	return done_testing();
}
