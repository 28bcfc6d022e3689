/* Bulk import of targets through nginx, as CSV and as JSON: all rows or
 * none, with errors per row ("rows[i].field", i counting data rows from
 * 0); quoting, credentials by name, tags, defaults; malformed input. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static struct tc_res *csv(const char *tok, const char *body);
static long long count(const char *pre);

static struct tc_res *
csv(const char *tok, const char *body)
{
	return tc_req_opt("POST", "/api/v1/targets/import", tok, NULL,
			  &(struct tc_opt){.raw = body,
					   .raw_len = strlen(body),
					   .content_type = "text/csv"});
}

static long long
count(const char *pre)
{
	return tc_db_count("SELECT count(*) FROM assets.targets WHERE name "
			   "LIKE $1",
			   tc_printf("%s%%", pre), NULL);
}

int
main(void)
{
	const char *tok, *pre, *cred, *wcred, *body;
	struct tc_user *op, *v;
	struct tc_res *r;

	tc_init(35);
	op = tc_new_user("impop", "operator");
	v = tc_new_user("impv", "viewer");
	if (op == NULL || v == NULL || op->token == NULL)
		BAIL_OUT("cannot create users");
	tok = op->token;
	pre = tc_name("imp");
	r = tc_req("POST", "/api/v1/credentials", tok,
		   tc_printf("{\"name\":%s,\"type\":\"ssh_password\","
			     "\"username\":\"u\",\"password\":\"p-%s\"}",
			     tc_quote(tc_printf("%s-ssh", pre)), pre));
	cred = tc_str(r, "id");
	r = tc_req("POST", "/api/v1/credentials", tok,
		   tc_printf("{\"name\":%s,\"type\":\"winrm\",\"username\":"
			     "\"u\",\"password\":\"w-%s\"}",
			     tc_quote(tc_printf("%s-win", pre)), pre));
	wcred = tc_str(r, "id");

	/* CSV: every row bad in its own way, nothing written. */
	body = tc_printf(
	    "name,host,os,protocol,port,credential,tags,description\r\n"
	    "%s-a,a.example,linux,,,%s-ssh,web;prod,\"first, quoted\"\r\n"
	    "%s-b,bad host,linux,,,,,\r\n"
	    "%s-c,c.example,beos,,,,,\r\n"
	    "%s-d,d.example,linux,ssh,70000,,,\r\n"
	    "%s-e,e.example,linux,,,no-such-cred,,\r\n"
	    "%s-f,f.example,windows,,,%s-ssh,,\r\n"
	    "%s-a,g.example,linux,,,,,\r\n"
	    "%s-h,h.example,linux,,,,a b,\r\n"
	    "%s-i,i.example,linux\r\n",
	    pre, pre, pre, pre, pre, pre, pre, pre, pre, pre, pre);
	r = csv(tok, body);
	tc_problem_is(r, 422, "validation", "CSV with bad rows: 422");
	ok(tc_has_field_error(r, "rows[1].host"), "rows[1].host");
	ok(tc_has_field_error(r, "rows[2].os"), "rows[2].os");
	ok(tc_has_field_error(r, "rows[3].port"), "rows[3].port");
	ok(tc_has_field_error(r, "rows[7].tags"), "rows[7].tags");
	ok(tc_has_field_error(r, "rows[8].row"), "rows[8]: short row");
	ok(!tc_has_field_error(r, "rows[0].host"), "row 0 is fine");
	cmp_ok(count(pre), "==", 0, "nothing written");
	/* Rows fine by themselves, wrong against the database. */
	body = tc_printf("name,host,os,credential\n"
			 "%s-a,a.example,linux,%s-ssh\n"
			 "%s-e,e.example,linux,no-such-cred\n"
			 "%s-f,f.example,windows,%s-ssh\n"
			 "%s-a,g.example,linux,\n",
			 pre, pre, pre, pre, pre, pre);
	r = csv(tok, body);
	tc_problem_is(r, 422, "validation", "CSV with bad references: 422");
	ok(tc_has_field_error(r, "rows[1].credential"),
	   "rows[1].credential: unknown name");
	ok(tc_has_field_error(r, "rows[2].credential"),
	   "rows[2].credential: an ssh credential for winrm");
	ok(tc_has_field_error(r, "rows[3].name"), "rows[3].name: repeated");
	cmp_ok(count(pre), "==", 0, "nothing written");

	/* CSV that works. */
	body = tc_printf(
	    "Name,Host,OS,Protocol,Port,Credential,Tags,Description\n"
	    "%s-a,A.Example,linux,,,%s-ssh,web;prod,\"first, \"\"quoted\"\"\"\n"
	    "%s-b,10.0.0.2,windows,,,%s-win,,\"two\nlines\"\n"
	    "%s-c,c.example,windows,winrm,5986,,,\n"
	    "\n",
	    pre, pre, pre, pre, pre);
	r = csv(tok, body);
	tc_status_is(r, 201, "CSV import");
	is(tc_str(r, "created"), "3", "... three created");
	cmp_ok(count(pre), "==", 3, "... three rows");
	r = tc_get(tok, "/api/v1/targets?q=%s-a", pre);
	is(tc_str(r, "items.0.host"), "a.example", "host canonical");
	is(tc_str(r, "items.0.description"), "first, \"quoted\"",
	   "quoted field with a comma and quotes");
	is(tc_str(r, "items.0.tags.1"), "prod", "tags split on ;");
	is(tc_str(r, "items.0.credential_id"), cred, "credential by name");
	r = tc_get(tok, "/api/v1/targets?q=%s-b", pre);
	is(tc_str(r, "items.0.description"), "two\nlines",
	   "a line break inside quotes");
	ok(strcmp(tc_str(r, "items.0.protocol"), "winrm") == 0 &&
	       strcmp(tc_str(r, "items.0.port"), "5985") == 0,
	   "defaults by os");
	r = csv(tok, tc_printf("name,host,os\n%s-a,x.example,linux\n", pre));
	ok(r->status == 422 && tc_has_field_error(r, "rows[0].name"),
	   "a name already used: 422 on the row");

	/* Malformed CSV. */
	tc_problem_is(csv(tok, "name,host,os\n\"open,a,linux\n"), 400,
		      "bad-request", "unterminated quote");
	tc_problem_is(csv(tok, "name,host,os\na\"b,c,linux\n"), 400,
		      "bad-request", "stray quote");
	tc_problem_is(csv(tok, "name,host,os\n"), 400, "bad-request",
		      "header only");
	r = csv(tok, "name,host,colour\nx,y,z\n");
	ok(r->status == 422 && tc_has_field_error(r, "header"),
	   "unknown column and missing os: header errors");
	r = csv(tok, "name,host,os,os\nx,y.example,linux,linux\n");
	ok(r->status == 422 && tc_has_field_error(r, "header"),
	   "repeated column");
	tc_problem_is(tc_req_opt("POST", "/api/v1/targets/import", tok, NULL,
				 &(struct tc_opt){.raw = "a\xff,b\n",
						  .raw_len = 5,
						  .content_type = "text/csv"}),
		      400, "bad-request", "invalid UTF-8");
	tc_problem_is(
	    tc_req_opt("POST", "/api/v1/targets/import", tok, NULL,
		       &(struct tc_opt){.raw = "<x/>",
					.raw_len = 4,
					.content_type = "application/xml"}),
	    415, "unsupported-media-type", "XML: 415");
	tc_problem_is(tc_req("POST", "/api/v1/targets/import", tok, NULL), 400,
		      "bad-request", "no body");

	/* JSON. */
	r = tc_req("POST", "/api/v1/targets/import", tok,
		   tc_printf("{\"targets\":[{\"name\":\"%s-j1\",\"host\":"
			     "\"j1.example\",\"os\":\"linux\"},{\"name\":"
			     "\"%s-j2\",\"host\":\"bad host\",\"os\":"
			     "\"linux\",\"colour\":1},5,{\"name\":\"%s-j4\","
			     "\"host\":\"j4.example\",\"os\":\"windows\","
			     "\"credential_id\":\"%s\"}]}",
			     pre, pre, pre, cred));
	tc_problem_is(r, 422, "validation", "JSON with bad rows: 422");
	ok(tc_has_field_error(r, "rows[1].host") &&
	       tc_has_field_error(r, "rows[1].colour"),
	   "rows[1].host and rows[1].colour");
	ok(tc_has_field_error(r, "rows[2]"), "rows[2] is not an object");
	cmp_ok(count(tc_printf("%s-j", pre)), "==", 0, "nothing written");
	r = tc_req("POST", "/api/v1/targets/import", tok,
		   tc_printf("{\"targets\":[{\"name\":\"%s-j1\",\"host\":"
			     "\"j1.example\",\"os\":\"linux\"},{\"name\":"
			     "\"%s-j4\",\"host\":\"j4.example\",\"os\":"
			     "\"windows\",\"credential_id\":\"%s\"}]}",
			     pre, pre, cred));
	ok(r->status == 422 && tc_has_field_error(r, "rows[1].credential_id"),
	   "a credential that does not suit: rows[1].credential_id");
	r = tc_req("POST", "/api/v1/targets/import", tok,
		   tc_printf("{\"targets\":[{\"name\":\"%s-j1\",\"host\":"
			     "\"j1.example\",\"os\":\"linux\",\"tags\":"
			     "[\"x\"]},{\"name\":\"%s-j4\",\"host\":"
			     "\"j4.example\",\"os\":\"windows\","
			     "\"credential_id\":\"%s\"}]}",
			     pre, pre, wcred));
	tc_status_is(r, 201, "JSON import");
	ok(tc_int(r, "created", 0) == 2 &&
	       json_object_array_length(tc_json(r->json, "ids")) == 2,
	   "... two created, their ids");
	tc_problem_is(
	    tc_req("POST", "/api/v1/targets/import", tok, "{\"targets\":[]}"),
	    422, "validation", "an empty list");
	tc_problem_is(
	    tc_req("POST", "/api/v1/targets/import", tok, "{\"targets\":"), 400,
	    "invalid-json", "malformed JSON");
	tc_problem_is(tc_req("POST", "/api/v1/targets/import", v->token,
			     "{\"targets\":[]}"),
		      403, "forbidden", "viewers cannot import");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'target.import' AND actor_name = $1",
			   op->username, NULL),
	       "==", 5, "every imported target is audited");
	r = tc_req("GET", "/api/v1/targets?limit=1", tok, NULL);
	is(tc_str(r, "total"),
	   tc_db_value("SELECT count(*)::text FROM assets.targets", NULL),
	   "the unfiltered total (kept by triggers) counts the imports and "
	   "none of the refused ones");
	tc_done();
	return done_testing();
}
