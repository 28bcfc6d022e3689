/* POST /api/v1/groups/preview: the targets a dynamic group filter matches
 * now (the first 50 by name, shaped like GET /targets items, and the
 * total), for viewers, writing nothing; bad filters are 422 per field. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NMANY 55

static int mk(const char *tok, const char *name, const char *os,
	      const char *tags);
static struct tc_res *preview(const char *tok, const char *filter);

static int
mk(const char *tok, const char *name, const char *os, const char *tags)
{
	return tc_req("POST", "/api/v1/targets", tok,
		      tc_printf("{\"name\":%s,\"host\":\"p.example\","
				"\"os\":\"%s\",\"tags\":%s}",
				tc_quote(name), os, tags))
		   ->status == 201;
}

static struct tc_res *
preview(const char *tok, const char *filter)
{
	return tc_req("POST", "/api/v1/groups/preview", tok,
		      tc_printf("{\"filter\":%s}", filter));
}

int
main(void)
{
	struct tc_user *op, *vw;
	const char *pre, *tag, *many, *ftag;
	struct tc_res *r, *l;
	long long groups, audits;
	int i, made = 0;

	tc_init(101);
	op = tc_new_user("pvop", "operator");
	vw = tc_new_user("pvvw", "viewer");
	if (op == NULL || op->token == NULL || vw == NULL || vw->token == NULL)
		BAIL_OUT("cannot create the test users");
	pre = tc_name("pv");
	tag = tc_name("pvt");
	many = tc_name("pvm");
	made += mk(op->token, tc_printf("%s-web-1", pre), "linux",
		   tc_printf("[%s,\"web\"]", tc_quote(tag)));
	made += mk(op->token, tc_printf("%s-web-2", pre), "windows",
		   tc_printf("[%s,\"web\"]", tc_quote(tag)));
	made += mk(op->token, tc_printf("%s-db-1", pre), "linux",
		   tc_printf("[%s,\"db\"]", tc_quote(tag)));
	for (i = 0; i < NMANY; i++)
		made += mk(op->token, tc_printf("%s-%02d", many, i), "linux",
			   tc_printf("[%s]", tc_quote(many)));
	cmp_ok(made, "==", 3 + NMANY, "targets created");

	groups = tc_db_count("SELECT count(*) FROM assets.groups", NULL);
	audits = tc_db_count("SELECT count(*) FROM core.audit_events "
			     "WHERE actor_id = $1::uuid",
			     vw->id, NULL);

	ftag = tc_printf("{\"tags\":[%s]}", tc_quote(tag));
	r = preview(vw->token, ftag);
	tc_status_is(r, 200, "a viewer previews a filter");
	cmp_ok(tc_int(r, "total", -1), "==", 3, "... three match the tag");
	is(tc_str(r, "items.0.name"), tc_printf("%s-db-1", pre),
	   "... sorted by name");
	l = tc_get(vw->token, "/api/v1/targets?q=%s", pre);
	ok(l->status == 200 && r->json != NULL &&
	       json_object_equal(tc_json(r->json, "items"),
				 tc_json(l->json, "items")),
	   "... items shaped exactly like GET /targets items");

	r = preview(vw->token, tc_printf("{\"tags\":[%s,\"web\"],"
					 "\"os\":\"windows\"}",
					 tc_quote(tag)));
	ok(r->status == 200 && tc_int(r, "total", -1) == 1 &&
	       strcmp(tc_str(r, "items.0.name"), tc_printf("%s-web-2", pre)) ==
		   0,
	   "tags and os");
	r = preview(vw->token, tc_printf("{\"name_pattern\":%s}",
					 tc_quote(tc_printf("%s-web-*", pre))));
	ok(r->status == 200 && tc_int(r, "total", -1) == 2, "a name glob");
	r = preview(vw->token, tc_printf("{\"tags\":[%s],\"os\":\"windows\"}",
					 tc_quote(many)));
	ok(r->status == 200 && tc_int(r, "total", -1) == 0 &&
	       json_object_array_length(tc_json(r->json, "items")) == 0,
	   "nothing matches: empty items, total 0");

	r = preview(op->token, tc_printf("{\"tags\":[%s]}", tc_quote(many)));
	tc_status_is(r, 200, "%d matches", NMANY);
	cmp_ok(tc_int(r, "total", -1), "==", NMANY, "... total counts all");
	cmp_ok(r->json != NULL ? (long long)json_object_array_length(
				     tc_json(r->json, "items"))
			       : -1,
	       "==", 50, "... items stop at 50");
	is(tc_str(r, "items.49.name"), tc_printf("%s-49", many),
	   "... the first 50 by name");

	/* It matches what a saved dynamic group with that filter holds. */
	{
		struct tc_res *g = tc_req(
		    "POST", "/api/v1/groups", op->token,
		    tc_printf("{\"name\":%s,\"dynamic\":true,\"filter\":%s}",
			      tc_quote(tc_name("pvg")), ftag));

		tc_status_is(g, 201, "a dynamic group with the same filter");
		r = tc_get(vw->token, "/api/v1/groups/%s/members",
			   tc_str(g, "id") != NULL ? tc_str(g, "id") : "x");
		l = preview(vw->token, ftag);
		ok(r->status == 200 && l->status == 200 &&
		       json_object_equal(tc_json(r->json, "items"),
					 tc_json(l->json, "items")),
		   "... has exactly the previewed members");
		groups++;
	}

	cmp_ok(tc_db_count("SELECT count(*) FROM assets.groups", NULL),
	       "==", groups, "previews create no group");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events "
			   "WHERE actor_id = $1::uuid",
			   vw->id, NULL),
	       "==", audits, "previews write no audit row");

	/* Bad filters: 422 naming filter. */
	{
		static const char *const bad[] = {
		    "{}",
		    "{\"os\":\"mac\"}",
		    "{\"tags\":[]}",
		    "{\"tags\":\"web\"}",
		    "{\"name_pattern\":\"\"}",
		    "{\"colour\":\"red\"}",
		    "[]",
		    "null",
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			r = preview(vw->token, bad[k]);
			if (tc_problem_is(r, 422, "validation", "filter %s",
					  bad[k]))
				ok(tc_has_field_error(r, "filter"),
				   "... names filter");
			else
				fail("... names filter");
		}
	}
	r = tc_req("POST", "/api/v1/groups/preview", vw->token, "{}");
	if (tc_problem_is(r, 422, "validation", "no filter"))
		ok(tc_has_field_error(r, "filter"), "... names filter");
	else
		fail("... names filter");
	r = tc_req("POST", "/api/v1/groups/preview", vw->token,
		   tc_printf("{\"filter\":%s,\"name\":\"x\"}", ftag));
	ok(r->status == 400 || r->status == 422, "an unknown field: %ld",
	   r->status);
	tc_problem_is(
	    tc_req("POST", "/api/v1/groups/preview", vw->token, "{\"filter\":"),
	    400, "invalid-json", "broken JSON");
	tc_problem_is(tc_req("POST", "/api/v1/groups/preview", NULL,
			     tc_printf("{\"filter\":%s}", ftag)),
		      401, "unauthorized", "no token");
	tc_done();
	return done_testing();
}
