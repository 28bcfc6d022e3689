/* Unit tests for the step library: every step type of the issue, its
 * inputs, and the JSON description. */
#include <string.h>

#include "steptype.h"
#include "tests/lib/tap.h"

struct input_case {
	const char *type;
	const char *input;
	enum steptype_kind kind;
	int required;
	int templated;
	enum tmpl_quote quote;
	const char *dflt; /* NULL: none */
};

static const struct input_case inputs[] = {
    {"ssh.command", "command", STEPTYPE_TEXT, 1, 1, TMPL_QUOTE_SHELL, NULL},
    {"ssh.command", "sudo", STEPTYPE_BOOLEAN, 0, 0, TMPL_QUOTE_NONE, "false"},
    {"ssh.command", "env", STEPTYPE_MAP, 0, 1, TMPL_QUOTE_NONE, NULL},
    {"ssh.command", "cwd", STEPTYPE_STRING, 0, 0, TMPL_QUOTE_NONE, NULL},
    {"ssh.script", "script", STEPTYPE_TEXT, 1, 1, TMPL_QUOTE_SHELL, NULL},
    {"ssh.script", "interpreter", STEPTYPE_CHOICE, 0, 0, TMPL_QUOTE_NONE,
     "\"/bin/sh\""},
    {"ssh.script", "args", STEPTYPE_STRING, 0, 1, TMPL_QUOTE_SHELL, NULL},
    {"sftp.upload", "file", STEPTYPE_STRING, 1, 0, TMPL_QUOTE_NONE, NULL},
    {"sftp.upload", "path", STEPTYPE_STRING, 1, 1, TMPL_QUOTE_NONE, NULL},
    {"sftp.upload", "mode", STEPTYPE_STRING, 0, 0, TMPL_QUOTE_NONE, "\"0644\""},
    {"sftp.upload", "overwrite", STEPTYPE_CHOICE, 0, 0, TMPL_QUOTE_NONE,
     "\"replace\""},
    {"sftp.download", "path", STEPTYPE_STRING, 1, 1, TMPL_QUOTE_NONE, NULL},
    {"sftp.download", "max_bytes", STEPTYPE_INTEGER, 0, 0, TMPL_QUOTE_NONE,
     "10485760"},
    {"winrm.powershell", "script", STEPTYPE_TEXT, 1, 1, TMPL_QUOTE_POWERSHELL,
     NULL},
    {"winrm.cmd", "command", STEPTYPE_STRING, 1, 1, TMPL_QUOTE_CMD, NULL},
    {"http.request", "method", STEPTYPE_CHOICE, 0, 0, TMPL_QUOTE_NONE,
     "\"GET\""},
    {"http.request", "url", STEPTYPE_STRING, 1, 1, TMPL_QUOTE_NONE, NULL},
    {"http.request", "headers", STEPTYPE_MAP, 0, 1, TMPL_QUOTE_NONE, NULL},
    {"http.request", "body", STEPTYPE_TEXT, 0, 1, TMPL_QUOTE_NONE, NULL},
    {"http.request", "expect_status", STEPTYPE_INTLIST, 0, 0, TMPL_QUOTE_NONE,
     "[200,201,202,203,204,205,206,207,208,226]"},
    {"http.request", "verify_tls", STEPTYPE_BOOLEAN, 0, 0, TMPL_QUOTE_NONE,
     "true"},
    {"http.request", "timeout_s", STEPTYPE_INTEGER, 0, 0, TMPL_QUOTE_NONE,
     "30"},
    {"local.sleep", "seconds", STEPTYPE_INTEGER, 1, 0, TMPL_QUOTE_NONE, NULL},
};

struct type_case {
	const char *name;
	enum steptype_where where;
	int ninputs;
};

static const struct type_case types[] = {
    {"ssh.command", STEPTYPE_SSH, 4},	     {"ssh.script", STEPTYPE_SSH, 6},
    {"sftp.upload", STEPTYPE_SSH, 4},	     {"sftp.download", STEPTYPE_SSH, 2},
    {"winrm.powershell", STEPTYPE_WINRM, 1}, {"winrm.cmd", STEPTYPE_WINRM, 1},
    {"http.request", STEPTYPE_LOCAL, 7},     {"local.sleep", STEPTYPE_LOCAL, 1},
    {"local.noop", STEPTYPE_LOCAL, 0},
};

int
main(void)
{
	const struct steptype *t, *all;
	const struct steptype_input *in;
	json_object *j, *v, *arr, *first;
	size_t i;
	int n, k;

	all = steptype_all(&n);
	cmp_ok(n, "==", (long long)(sizeof(types) / sizeof(types[0])),
	       "every step type is in the library");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		t = steptype_find(types[i].name);
		if (!ok(t != NULL, "%s exists", types[i].name))
			continue;
		ok(t->where == types[i].where, "%s runs where expected",
		   types[i].name);
		cmp_ok(t->ninputs, "==", types[i].ninputs, "%s input count",
		       types[i].name);
		ok(t >= all && t < all + n, "%s comes from steptype_all",
		   types[i].name);
	}
	ok(steptype_find("ssh.nope") == NULL, "unknown type not found");
	ok(steptype_find("") == NULL, "empty name not found");
	ok(steptype_find(NULL) == NULL, "NULL name not found");

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		t = steptype_find(inputs[i].type);
		in = t != NULL ? steptype_input(t, inputs[i].input) : NULL;
		if (!ok(in != NULL, "%s.%s exists", inputs[i].type,
			inputs[i].input))
			continue;
		ok(in->kind == inputs[i].kind &&
		       in->required == inputs[i].required &&
		       in->templated == inputs[i].templated &&
		       (!in->templated || in->quote == inputs[i].quote),
		   "%s.%s kind, required, template, quote", inputs[i].type,
		   inputs[i].input);
		if (inputs[i].dflt == NULL)
			ok(in->dflt == NULL, "%s.%s has no default",
			   inputs[i].type, inputs[i].input);
		else
			is(in->dflt, inputs[i].dflt, "%s.%s default",
			   inputs[i].type, inputs[i].input);
		if (in->dflt != NULL) {
			v = json_tokener_parse(in->dflt);
			ok(v != NULL, "%s.%s default is JSON", inputs[i].type,
			   inputs[i].input);
			json_object_put(v);
		}
	}
	ok(steptype_input(steptype_find("ssh.command"), "nope") == NULL,
	   "unknown input not found");

	/* bounds and choices the issue asks for */
	in = steptype_input(steptype_find("sftp.download"), "max_bytes");
	ok(in->min == 1 && in->max == 100 * 1024 * 1024, "max_bytes bounds");
	in = steptype_input(steptype_find("http.request"), "timeout_s");
	ok(in->min == 1 && in->max == 600, "timeout_s bounds");
	in = steptype_input(steptype_find("local.sleep"), "seconds");
	ok(in->min == 0 && in->max == 86400, "seconds bounds");
	in = steptype_input(steptype_find("ssh.script"), "interpreter");
	for (k = 0; in->choices[k] != NULL; k++)
		;
	cmp_ok(k, "==", 4, "four interpreters");
	in = steptype_input(steptype_find("http.request"), "method");
	for (k = 0; in->choices[k] != NULL; k++)
		;
	cmp_ok(k, "==", 6, "six methods");

	/* every input of every type: a description, a sane default */
	for (k = 0; k < n; k++) {
		int j2;

		for (j2 = 0; j2 < all[k].ninputs; j2++) {
			in = &all[k].inputs[j2];
			if (in->description == NULL || in->description[0] == 0)
				fail("%s.%s has no description", all[k].name,
				     in->name);
			if (in->required && in->dflt != NULL)
				fail("%s.%s required with a default",
				     all[k].name, in->name);
		}
	}
	pass("descriptions and defaults checked");

	/* JSON */
	j = steptype_json(steptype_find("http.request"));
	is(json_object_get_string(json_object_object_get(j, "name")),
	   "http.request", "json name");
	is(json_object_get_string(json_object_object_get(j, "where")), "local",
	   "json where");
	arr = json_object_object_get(j, "inputs");
	cmp_ok((long long)json_object_array_length(arr), "==", 7,
	       "json inputs");
	first = json_object_array_get_idx(arr, 0);
	is(json_object_get_string(json_object_object_get(first, "type")),
	   "choice", "method is a choice");
	is(json_object_get_string(json_object_object_get(first, "default")),
	   "GET", "method default GET");
	cmp_ok((long long)json_object_array_length(
		   json_object_object_get(first, "choices")),
	       "==", 6, "method choices");
	first = json_object_array_get_idx(arr, 1);
	ok(json_object_get_boolean(json_object_object_get(first, "template")),
	   "url is templated");
	ok(json_object_get_boolean(json_object_object_get(first, "required")),
	   "url required");
	ok(json_object_object_get_ex(first, "default", &v) && v == NULL,
	   "url default null");
	first = json_object_array_get_idx(arr, 6);
	ok(json_object_get_int(json_object_object_get(first, "default")) ==
		   30 &&
	       json_object_get_int(json_object_object_get(first, "max")) == 600,
	   "timeout_s default and max");
	json_object_put(j);
	j = steptype_json(steptype_find("winrm.cmd"));
	is(json_object_get_string(json_object_object_get(
	       json_object_array_get_idx(json_object_object_get(j, "inputs"),
					 0),
	       "quote")),
	   "cmd", "winrm.cmd quotes for cmd");
	json_object_put(j);
	return done_testing();
}
