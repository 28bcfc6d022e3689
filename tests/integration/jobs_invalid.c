/* Bad jobs: a table of definitions, each refused with one 422 that names
 * the expected JSON path in "errors", and nothing saved; several problems
 * of one save come back together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"

/* "@N" in body stands for the job's (unique) name. */
struct bad_case {
	const char *what;
	const char *body;
	const char *field;
};

#define SLEEP(id, extra)                                                       \
	"{\"id\":\"" id "\",\"type\":\"local.sleep\",\"inputs\":"              \
	"{\"seconds\":0}" extra "}"
#define HTTP(id, url, extra)                                                   \
	"{\"id\":\"" id "\",\"type\":\"http.request\",\"inputs\":"             \
	"{\"url\":\"" url "\"}" extra "}"

static const struct bad_case bad[] = {
    {"unknown step type",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"ssh.nope\"}]}",
     "steps[0].type"},
    {"missing required input",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"local.sleep\"}]}",
     "steps[0].inputs.seconds"},
    {"unknown input",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"local.sleep\","
     "\"inputs\":{\"seconds\":1,\"bogus\":1}}]}",
     "steps[0].inputs.bogus"},
    {"input of the wrong type",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"local.sleep\","
     "\"inputs\":{\"seconds\":\"5\"}}]}",
     "steps[0].inputs.seconds"},
    {"integer input out of range",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"local.sleep\","
     "\"inputs\":{\"seconds\":100000}}]}",
     "steps[0].inputs.seconds"},
    {"choice input not a choice",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"http.request\","
     "\"inputs\":{\"url\":\"http://x/\",\"method\":\"FETCH\"}}]}",
     "steps[0].inputs.method"},
    {"intlist item out of range",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"http.request\","
     "\"inputs\":{\"url\":\"http://x/\",\"expect_status\":[200,99]}}]}",
     "steps[0].inputs.expect_status[1]"},
    {"map with a non-string value",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"http.request\","
     "\"inputs\":{\"url\":\"http://x/\",\"headers\":{\"A\":1}}}]}",
     "steps[0].inputs.headers.A"},
    {"url not http",
     "{\"name\":@N,\"steps\":[" HTTP("a", "file:///etc/passwd", "") "]}",
     "steps[0].inputs.url"},
    {"edge to an unknown step",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"on_success\":[\"nope\"]") "]}",
     "steps[0].on_success[0]"},
    {"edge list not an array",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"always\":\"a\"") "]}",
     "steps[0].always"},
    {"cycle",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"on_success\":[\"b\"]") "," SLEEP(
	 "b", ",\"on_failure\":[\"a\"]") "]}",
     "steps[0]"},
    {"self loop",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"always\":[\"a\"]") "]}",
     "steps[0]"},
    {"unreachable step",
     "{\"name\":@N,\"steps\":[" SLEEP("a", "") "," SLEEP("b", "") "]}",
     "steps[1]"},
    {"template syntax error",
     "{\"name\":@N,\"steps\":[" HTTP("a", "http://{{ target.host", "") "]}",
     "steps[0].inputs.url"},
    {"unknown template filter",
     "{\"name\":@N,\"steps\":[" HTTP("a", "http://{{ target.host | up }}/",
				     "") "]}",
     "steps[0].inputs.url"},
    {"template naming no parameter",
     "{\"name\":@N,\"steps\":[" HTTP("a", "http://{{ params.nope }}/", "") "]}",
     "steps[0].inputs.url"},
    {"template naming a later step",
     "{\"name\":@N,\"steps\":[" HTTP(
	 "a", "http://x/{{ steps.b.stdout }}",
	 ",\"on_success\":[\"b\"]") "," SLEEP("b", "") "]}",
     "steps[0].inputs.url"},
    {"template naming a sibling step",
     "{\"name\":@N,\"steps\":[" SLEEP(
	 "a",
	 ",\"on_success\":[\"b\",\"c\"]") "," SLEEP("b",
						    "") "," HTTP("c",
								 "http://x/{{ "
								 "steps.b.exit_"
								 "code }}",
								 "") "]}",
     "steps[2].inputs.url"},
    {"template naming its own step",
     "{\"name\":@N,\"steps\":[" HTTP("a", "http://x/{{ steps.a.stdout }}",
				     "") "]}",
     "steps[0].inputs.url"},
    {"template naming an unknown step",
     "{\"name\":@N,\"steps\":[" HTTP("a", "http://x/{{ steps.zz.stdout }}",
				     "") "]}",
     "steps[0].inputs.url"},
    {"unknown target field",
     "{\"name\":@N,\"steps\":[" HTTP("a", "http://{{ target.password }}/",
				     "") "]}",
     "steps[0].inputs.url"},
    {"template where none is allowed",
     "{\"name\":@N,\"targets\":{\"tags\":[\"web\"]},\"steps\":["
     "{\"id\":\"a\",\"type\":\"sftp.upload\",\"inputs\":{\"file\":"
     "\"{{ target.name }}\",\"path\":\"/tmp/x\"}}]}",
     "steps[0].inputs.file"},
    {"bad regex",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"string\","
     "\"regex\":\"([a-z\"}],\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].regex"},
    {"regex on an integer",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"integer\","
     "\"regex\":\"^1$\"}],\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].regex"},
    {"default not matching its regex",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"string\","
     "\"regex\":\"^[0-9.]+$\",\"default\":\"abc\"}],\"steps\":[" SLEEP("a",
								       "") "]}",
     "parameters[0].default"},
    {"default of the wrong type",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"integer\","
     "\"default\":\"x\"}],\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].default"},
    {"default over max",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"integer\","
     "\"min\":1,\"max\":10,\"default\":11}],\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].default"},
    {"default not a choice",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"choice\","
     "\"choices\":[\"a\",\"b\"],\"default\":\"c\"}],\"steps\":[" SLEEP("a",
								       "") "]}",
     "parameters[0].default"},
    {"choice without choices",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"choice\"}],"
     "\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].choices"},
    {"secret with a default",
     "{\"name\":@N,\"parameters\":[{\"name\":\"t\",\"type\":\"secret\","
     "\"default\":\"hunter2\"}],\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].default"},
    {"unknown parameter type",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"type\":\"float\"}],"
     "\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].type"},
    {"bad parameter name",
     "{\"name\":@N,\"parameters\":[{\"name\":\"1x\"}],\"steps\":[" SLEEP(
	 "a", "") "]}",
     "parameters[0].name"},
    {"duplicate parameter names",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\"},{\"name\":\"v\"}],"
     "\"steps\":[" SLEEP("a", "") "]}",
     "parameters[1].name"},
    {"unknown parameter field",
     "{\"name\":@N,\"parameters\":[{\"name\":\"v\",\"colour\":1}],"
     "\"steps\":[" SLEEP("a", "") "]}",
     "parameters[0].colour"},
    {"duplicate step ids",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"on_success\":[\"a\"]") "," SLEEP(
	 "a", "") "]}",
     "steps[1].id"},
    {"bad step id", "{\"name\":@N,\"steps\":[" SLEEP("Build", "") "]}",
     "steps[0].id"},
    {"unknown step field",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"colour\":1") "]}",
     "steps[0].colour"},
    {"retries over 10",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"retries\":11") "]}",
     "steps[0].retries"},
    {"step timeout 0",
     "{\"name\":@N,\"steps\":[" SLEEP("a", ",\"timeout_s\":0") "]}",
     "steps[0].timeout_s"},
    {"unknown start",
     "{\"name\":@N,\"start\":\"zz\",\"steps\":[" SLEEP("a", "") "]}", "start"},
    {"ssh step without targets",
     "{\"name\":@N,\"steps\":[{\"id\":\"a\",\"type\":\"ssh.command\","
     "\"inputs\":{\"command\":\"id\"}}]}",
     "targets"},
    {"winrm step with an empty selection",
     "{\"name\":@N,\"targets\":{\"targets\":[],\"tags\":[]},\"steps\":["
     "{\"id\":\"a\",\"type\":\"winrm.cmd\",\"inputs\":{\"command\":"
     "\"dir\"}}]}",
     "targets"},
    {"unknown target",
     "{\"name\":@N,\"targets\":{\"targets\":[\"" NOID
     "\"]},\"steps\":[" SLEEP("a", "") "]}",
     "targets.targets"},
    {"unknown group",
     "{\"name\":@N,\"targets\":{\"groups\":[\"" NOID
     "\"]},\"steps\":[" SLEEP("a", "") "]}",
     "targets.groups"},
    {"target id not a uuid",
     "{\"name\":@N,\"targets\":{\"targets\":[\"web1\"]},\"steps\":[" SLEEP(
	 "a", "") "]}",
     "targets.targets[0]"},
    {"unknown selection field",
     "{\"name\":@N,\"targets\":{\"hosts\":[\"a\"]},\"steps\":[" SLEEP("a",
								      "") "]}",
     "targets.hosts"},
    {"sftp mode not octal",
     "{\"name\":@N,\"targets\":{\"tags\":[\"web\"]},\"steps\":["
     "{\"id\":\"a\",\"type\":\"sftp.upload\",\"inputs\":{\"file\":\"f\","
     "\"path\":\"/tmp/x\",\"mode\":\"rwx\"}}]}",
     "steps[0].inputs.mode"},
    {"unknown top-level field",
     "{\"name\":@N,\"colour\":1,\"steps\":[" SLEEP("a", "") "]}", "colour"},
    {"max_parallel 0",
     "{\"name\":@N,\"max_parallel\":0,\"steps\":[" SLEEP("a", "") "]}",
     "max_parallel"},
    {"on_worker_lost unknown",
     "{\"name\":@N,\"on_worker_lost\":\"ignore\",\"steps\":[" SLEEP("a",
								    "") "]}",
     "on_worker_lost"},
    {"no steps", "{\"name\":@N}", "steps"},
    {"empty steps", "{\"name\":@N,\"steps\":[]}", "steps"},
    {"101 steps", NULL, "steps"},
    {"empty name", "{\"name\":\"\",\"steps\":[" SLEEP("a", "") "]}", "name"},
};

static const char *subst(const char *body, const char *name);

/* body with "@N" replaced by name as a JSON string. */
static const char *
subst(const char *body, const char *name)
{
	const char *at = strstr(body, "@N");

	if (at == NULL)
		return body;
	return tc_printf("%.*s%s%s", (int)(at - body), body, tc_quote(name),
			 at + 2);
}

int
main(void)
{
	struct tc_user *op;
	const char *name, *body;
	struct tc_res *r;
	size_t i;
	char *many;
	int k;

	tc_init(61);
	op = tc_new_user("jobbad", "operator");
	if (op == NULL || op->token == NULL)
		BAIL_OUT("cannot create an operator");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		name = tc_name("bad");
		if (bad[i].body != NULL) {
			body = subst(bad[i].body, name);
		} else {
			many = tc_printf("{\"name\":%s,\"steps\":[",
					 tc_quote(name));
			for (k = 0; k < 101; k++)
				many = tc_printf("%s%s{\"id\":\"s%d\",\"type\":"
						 "\"local.noop\"}",
						 many, k ? "," : "", k);
			body = tc_printf("%s]}", many);
		}
		r = tc_req("POST", "/api/v1/jobs", op->token, body);
		tc_problem_is(r, 422, "validation", "%s: 422", bad[i].what);
		if (!ok(tc_has_field_error(r, bad[i].field), "%s: error on %s",
			bad[i].what, bad[i].field))
			diag("answer: %s", r->body);
		cmp_ok(tc_db_count("SELECT count(*) FROM automation.jobs "
				   "WHERE name = $1",
				   name, NULL),
		       "==", 0, "%s: nothing saved", bad[i].what);
	}

	/* Every problem of one save in one answer. */
	name = tc_name("bad");
	r = tc_req(
	    "POST", "/api/v1/jobs", op->token,
	    subst("{\"name\":@N,\"parameters\":[{\"name\":\"v\","
		  "\"regex\":\"(\"}],\"steps\":["
		  "{\"id\":\"a\",\"type\":\"nope\",\"on_success\":"
		  "[\"zz\"]}," HTTP("b", "http://{{ params.w }}/", "") "]}",
		  name));
	tc_problem_is(r, 422, "validation", "several problems: one 422");
	ok(tc_has_field_error(r, "parameters[0].regex"), "... the regex");
	ok(tc_has_field_error(r, "steps[0].type"), "... the type");
	ok(tc_has_field_error(r, "steps[0].on_success[0]"), "... the edge");
	ok(tc_has_field_error(r, "steps[1].inputs.url"), "... the template");
	ok(tc_has_field_error(r, "steps[1]"), "... the unreachable step");

	/* Not JSON, or not an object: 400, never 500. */
	tc_problem_is(tc_req("POST", "/api/v1/jobs", op->token, "{\"name\":"),
		      400, "invalid-json", "truncated JSON");
	tc_problem_is(tc_req("POST", "/api/v1/jobs", op->token, "[1]"), 400,
		      "invalid-json", "an array body");
	r = tc_req(
	    "POST", "/api/v1/jobs", op->token,
	    subst("{\"name\":@N,\"steps\":[1,null,\"x\"]}", tc_name("bad")));
	tc_problem_is(r, 422, "validation", "steps that are not objects");
	ok(tc_has_field_error(r, "steps[1]"), "... named");

	tc_done();
	return done_testing();
}
