/* Groups through nginx: static groups with bulk member changes, dynamic
 * groups evaluated from their filter (tags, os, name glob), validation,
 * ETag, list filters, a target in many groups, deletes and the audit. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"

static const char *mk(const char *tok, const char *name, const char *os,
		      const char *tags);

static const char *
mk(const char *tok, const char *name, const char *os, const char *tags)
{
	struct tc_res *r = tc_req(
	    "POST", "/api/v1/targets", tok,
	    tc_printf("{\"name\":%s,\"host\":\"g.example\",\"os\":\"%s\","
		      "\"tags\":%s}",
		      tc_quote(name), os, tags));

	return r->status == 201 ? tc_str(r, "id") : NOID;
}

int
main(void)
{
	const char *tok, *pre, *t[5], *g, *dg, *g2, *tag;
	struct tc_user *op;
	struct tc_res *r;

	tc_init(31);
	op = tc_new_user("grpop", "operator");
	if (op == NULL || op->token == NULL)
		BAIL_OUT("cannot create an operator");
	tok = op->token;
	pre = tc_name("gx");
	tag = tc_name("gt");
	t[0] = mk(tok, tc_printf("%s-web-1", pre), "linux",
		  tc_printf("[%s,\"web\"]", tc_quote(tag)));
	t[1] = mk(tok, tc_printf("%s-web-2", pre), "linux",
		  tc_printf("[%s,\"web\"]", tc_quote(tag)));
	t[2] = mk(tok, tc_printf("%s-db-1", pre), "linux",
		  tc_printf("[%s,\"db\"]", tc_quote(tag)));
	t[3] = mk(tok, tc_printf("%s-web-3", pre), "windows",
		  tc_printf("[%s,\"web\"]", tc_quote(tag)));
	t[4] = mk(tok, tc_printf("%s-web_x", pre), "linux",
		  tc_printf("[%s]", tc_quote(tag)));

	/* Static. */
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"description\":\"static\","
			     "\"target_ids\":[\"%s\",\"%s\"]}",
			     tc_quote(tc_printf("%s-static", pre)), t[0],
			     t[1]));
	tc_status_is(r, 201, "create a static group with members");
	g = tc_str(r, "id");
	is(tc_str(r, "dynamic"), "false", "static");
	is(tc_str(r, "member_count"), "2", "two members");
	r = tc_req("POST", tc_printf("/api/v1/groups/%s/members", g), tok,
		   tc_printf("{\"add\":[\"%s\",\"%s\"],\"remove\":[\"%s\"]}",
			     t[2], t[1], t[0]));
	tc_status_is(r, 200, "bulk add and remove");
	is(tc_str(r, "member_count"), "2", "... two members now");
	is(tc_str(r, "removed.0"), t[0], "... removed the first");
	is(tc_str(r, "added.0"), t[2], "... added the new one only");
	r = tc_get(tok, "/api/v1/groups/%s/members", g);
	ok(r->status == 200 && tc_int(r, "total", 0) == 2 &&
	       strcmp(tc_str(r, "items.0.id"), t[2]) == 0,
	   "members listed as targets, by name");
	r = tc_req("POST", tc_printf("/api/v1/groups/%s/members", g), tok,
		   tc_printf("{\"add\":[\"%s\",\"" NOID "\"]}", t[3]));
	if (tc_problem_is(r, 422, "validation", "adding an unknown target"))
		ok(tc_has_field_error(r, "add[1]"), "... names add[1]");
	else
		fail("... names add[1]");
	is(tc_str(tc_get(tok, "/api/v1/groups/%s", g), "member_count"), "2",
	   "... and nothing was added");
	r = tc_req("POST", tc_printf("/api/v1/groups/%s/members", g), tok,
		   "{\"add\":[\"nope\"]}");
	ok(r->status == 422 && tc_has_field_error(r, "add"),
	   "a malformed id: 422");
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"target_ids\":[\"%s\"]}",
			     tc_quote(tc_printf("%s-other", pre)), t[2]));
	g2 = tc_str(r, "id");
	r = tc_get(tok, "/api/v1/targets?group=%s", g2);
	ok(tc_int(r, "total", 0) == 1, "a target may be in many groups");
	tc_status_is(
	    tc_req("DELETE", tc_printf("/api/v1/targets/%s", t[2]), tok, NULL),
	    204, "deleting a target");
	is(tc_str(tc_get(tok, "/api/v1/groups/%s", g), "member_count"), "1",
	   "... leaves its groups");

	/* Dynamic. */
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"dynamic\":true,\"filter\":"
			     "{\"tags\":[%s,\"web\"],\"os\":\"linux\","
			     "\"name_pattern\":\"%s-web-*\"}}",
			     tc_quote(tc_printf("%s-dyn", pre)), tc_quote(tag),
			     pre));
	tc_status_is(r, 201, "create a dynamic group");
	dg = tc_str(r, "id");
	is(tc_str(r, "member_count"), "2",
	   "members from the filter: linux, web, name glob");
	r = tc_get(tok, "/api/v1/groups/%s/members", dg);
	ok(tc_int(r, "total", 0) == 2 &&
	       strcmp(tc_str(r, "items.0.id"), t[0]) == 0 &&
	       strcmp(tc_str(r, "items.1.id"), t[1]) == 0,
	   "... the two linux web-N targets (web_x does not match: _ is "
	   "literal)");
	mk(tok, tc_printf("%s-web-9", pre), "linux",
	   tc_printf("[\"web\",%s]", tc_quote(tag)));
	is(tc_str(tc_get(tok, "/api/v1/groups/%s", dg), "member_count"), "3",
	   "evaluated when used: a new match appears");
	tc_problem_is(tc_req("POST", tc_printf("/api/v1/groups/%s/members", dg),
			     tok, tc_printf("{\"add\":[\"%s\"]}", t[3])),
		      409, "conflict", "a dynamic group has no member list");
	r = tc_req("PATCH", tc_printf("/api/v1/groups/%s", dg), tok,
		   "{\"filter\":{\"os\":\"windows\",\"name_pattern\":\"*\"}}");
	tc_status_is(r, 200, "change the filter");
	cmp_ok(tc_int(r, "member_count", 0), ">=", 1, "... re-evaluated");
	r = tc_get(tok, "/api/v1/targets?group=%s&q=%s", dg, pre);
	ok(tc_int(r, "total", 0) == 1 &&
	       strcmp(tc_str(r, "items.0.id"), t[3]) == 0,
	   "the target list filters by a dynamic group");
	r = tc_req("PATCH", tc_printf("/api/v1/groups/%s", dg), tok,
		   "{\"dynamic\":false}");
	ok(r->status == 422 && tc_has_field_error(r, "dynamic"),
	   "dynamic cannot change");
	r = tc_req("PATCH", tc_printf("/api/v1/groups/%s", g), tok,
		   "{\"filter\":{\"os\":\"linux\"}}");
	ok(r->status == 422 && tc_has_field_error(r, "filter"),
	   "a static group takes no filter");

	/* Validation. */
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"dynamic\":true}",
			     tc_quote(tc_name("g"))));
	ok(r->status == 422 && tc_has_field_error(r, "filter"),
	   "dynamic without a filter");
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"dynamic\":true,\"filter\":{}}",
			     tc_quote(tc_name("g"))));
	ok(r->status == 422 && tc_has_field_error(r, "filter"), "empty filter");
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"dynamic\":true,\"filter\":"
			     "{\"colour\":\"red\"}}",
			     tc_quote(tc_name("g"))));
	ok(r->status == 422 && tc_has_field_error(r, "filter"),
	   "unknown filter key");
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"dynamic\":true,\"filter\":"
			     "{\"os\":\"beos\"}}",
			     tc_quote(tc_name("g"))));
	ok(r->status == 422 && tc_has_field_error(r, "filter"), "bad os");
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"filter\":{\"os\":\"linux\"}}",
			     tc_quote(tc_name("g"))));
	ok(r->status == 422 && tc_has_field_error(r, "filter"),
	   "a filter on a static group");
	r = tc_req(
	    "POST", "/api/v1/groups", tok,
	    tc_printf("{\"name\":%s,\"size\":3}", tc_quote(tc_name("g"))));
	ok(r->status == 422 && tc_has_field_error(r, "size"), "unknown field");
	r = tc_req("POST", "/api/v1/groups", tok, "{\"name\":\"\"}");
	ok(r->status == 422 && tc_has_field_error(r, "name"), "empty name");
	tc_problem_is(tc_req("POST", "/api/v1/groups", tok,
			     tc_printf("{\"name\":%s}",
				       tc_quote(tc_printf("%s-static", pre)))),
		      409, "conflict", "duplicate name");

	/* ETag, list, delete. */
	r = tc_get(tok, "/api/v1/groups/%s", g);
	is(tc_header(r, "ETag"), tc_printf("\"%s\"", tc_str(r, "version")),
	   "ETag");
	tc_problem_is(
	    tc_req_opt("PATCH", tc_printf("/api/v1/groups/%s", g), tok,
		       "{\"description\":\"x\"}",
		       &(struct tc_opt){
			   .headers = (const char *const[]){"If-Match: \"42\"",
							    NULL}}),
	    412, "precondition-failed", "stale If-Match");
	r = tc_get(tok, "/api/v1/groups?q=%s&dynamic=true", pre);
	ok(tc_int(r, "total", 0) == 1 &&
	       strcmp(tc_str(r, "items.0.id"), dg) == 0,
	   "list filters q and dynamic");
	r = tc_get(tok, "/api/v1/groups?q=%s&limit=1", pre);
	ok(tc_int(r, "total", 0) == 3 && tc_str(r, "next") != NULL, "paging");
	tc_status_is(
	    tc_req("DELETE", tc_printf("/api/v1/groups/%s", g), tok, NULL), 204,
	    "delete a group");
	ok(tc_str(tc_get(tok, "/api/v1/targets/%s", t[1]), "id") != NULL,
	   "... its targets stay");
	tc_problem_is(tc_get(tok, "/api/v1/groups/%s/members", g), 404,
		      "not-found", "... gone");
	tc_problem_is(tc_get(tok, "/api/v1/groups/bad"), 404, "not-found",
		      "malformed id");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "entity_type = 'group' AND entity_id = $1",
			   g, NULL),
	       "==", 3, "create, member changes and delete are audited");
	tc_done();
	return done_testing();
}
