/* Unit tests for job templates: scanning, syntax errors, the raw filter,
 * and quoting for every shell, including injection attempts. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tmpl.h"
#include "tests/lib/tap.h"

struct scan_case {
	const char *text;
	int ok;		  /* 1: scans */
	const char *refs; /* the references found, "root:name:field:raw;" */
};

static const struct scan_case scans[] = {
    {"no references", 1, ""},
    {"", 1, ""},
    {"a {{ params.version }} b", 1, "params:version::0;"},
    {"{{params.v}}", 1, "params:v::0;"},
    {"{{\tparams.V_2 | raw\t}}", 1, "params:V_2::1;"},
    {"{{ params.x|raw }}", 1, "params:x::1;"},
    {"{{ target.host }}:{{ target.port }}", 1,
     "target:host::0;target:port::0;"},
    {"{{ target.name }}{{ target.os }}", 1, "target:name::0;target:os::0;"},
    {"{{ steps.build.stdout }} {{ steps.b_2.exit_code | raw }}", 1,
     "steps:build:stdout:0;steps:b_2:exit_code:1;"},
    {"{{ steps.build.stderr }}", 1, "steps:build:stderr:0;"},
    {"lone }} and { braces }", 1, ""},
    {"{{ params.a }}}}", 1, "params:a::0;"},
    /* syntax errors */
    {"{{ params.a", 0, NULL},
    {"{{", 0, NULL},
    {"{{ }}", 0, NULL},
    {"{{ foo.x }}", 0, NULL},
    {"{{ Params.x }}", 0, NULL},
    {"{{ params }}", 0, NULL},
    {"{{ params. }}", 0, NULL},
    {"{{ params.1x }}", 0, NULL},
    {"{{ params.a-b }}", 0, NULL},
    {"{{ params.a.b }}", 0, NULL},
    {"{{ params.a | upper }}", 0, NULL},
    {"{{ params.a | }}", 0, NULL},
    {"{{ params.a raw }}", 0, NULL},
    {"{{ target.password }}", 0, NULL},
    {"{{ target.host.x }}", 0, NULL},
    {"{{ steps.build }}", 0, NULL},
    {"{{ steps.build.output }}", 0, NULL},
    {"{{ steps.Build.stdout }}", 0, NULL},
    {"{{ params.a\n}}", 0, NULL},
    {"{{ params.a }x }}", 0, NULL},
    {"ok {{ params.a }} then {{ bad", 0, NULL},
    {"{{ "
     "params.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     " }}",
     0, NULL},
};

static const char *const root_names[] = {"params", "target", "steps"};

static int
collect(void *arg, const struct tmpl_ref *ref)
{
	struct buf *b = arg;

	buf_printf(b, "%s:%s:%s:%d;", root_names[ref->root], ref->name,
		   ref->field, ref->raw);
	return 0;
}

static int
offsets(void *arg, const struct tmpl_ref *ref)
{
	(void)arg;
	cmp_ok((long long)ref->start, "==", 2, "start offset");
	cmp_ok((long long)ref->end, "==", 16, "end offset");
	return 0;
}

static int
stop_at_first(void *arg, const struct tmpl_ref *ref)
{
	(void)arg;
	(void)ref;
	return 7;
}

/* Values: params.v is the injection under test, the rest are fixed. */
static const char *current;

static int
lookup(void *arg, const struct tmpl_ref *ref, const char **value)
{
	(void)arg;
	if (ref->root == TMPL_PARAMS && strcmp(ref->name, "v") == 0) {
		*value = current;
		return 0;
	}
	if (ref->root == TMPL_TARGET && strcmp(ref->name, "host") == 0) {
		*value = "web1";
		return 0;
	}
	if (ref->root == TMPL_STEPS && strcmp(ref->field, "exit_code") == 0) {
		*value = "0";
		return 0;
	}
	return -1;
}

struct render_case {
	enum tmpl_quote q;
	const char *text;
	const char *value; /* params.v */
	const char *want;  /* NULL: the render fails */
};

static const struct render_case renders[] = {
    /* no quoting */
    {TMPL_QUOTE_NONE, "https://{{ target.host }}/x?v={{ params.v }}", "1.2",
     "https://web1/x?v=1.2"},
    /* POSIX shell */
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "hello", "echo 'hello'"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "", "echo ''"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "'; rm -rf /; '",
     "echo ''\\''; rm -rf /; '\\'''"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "$(id)", "echo '$(id)'"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "`id`", "echo '`id`'"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "a\nrm -rf /",
     "echo 'a\nrm -rf /'"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v }}", "\\'", "echo '\\'\\'''"},
    {TMPL_QUOTE_SHELL, "echo {{ params.v | raw }}", "$(id)", "echo $(id)"},
    {TMPL_QUOTE_SHELL, "x={{ steps.a.exit_code }}", NULL, "x='0'"},
    /* PowerShell */
    {TMPL_QUOTE_POWERSHELL, "Write-Output {{ params.v }}", "it's",
     "Write-Output 'it''s'"},
    {TMPL_QUOTE_POWERSHELL, "echo {{ params.v }}", "$env:x", "echo '$env:x'"},
    {TMPL_QUOTE_POWERSHELL, "echo {{ params.v }}", "'; Remove-Item C:\\ #",
     "echo '''; Remove-Item C:\\ #'"},
    {TMPL_QUOTE_POWERSHELL, "echo {{ params.v }}", "a\xe2\x80\x99; calc",
     "echo 'a\xe2\x80\x99\xe2\x80\x99; calc'"},
    {TMPL_QUOTE_POWERSHELL, "echo {{ params.v }}", "$(Get-Date)`n",
     "echo '$(Get-Date)`n'"},
    {TMPL_QUOTE_POWERSHELL, "echo {{ params.v | raw }}", "$env:x",
     "echo $env:x"},
    /* cmd.exe */
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "a & b | c > d",
     "echo \"a & b | c > d\""},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "", "echo \"\""},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "a\" & calc", NULL},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "%PATH%", NULL},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "!x!", NULL},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "a^b", NULL},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "a\nb", NULL},
    {TMPL_QUOTE_CMD, "echo {{ params.v }}", "a\rb", NULL},
    {TMPL_QUOTE_CMD, "echo {{ params.v | raw }}", "%PATH%", "echo %PATH%"},
    /* undefined and bad references fail the render */
    {TMPL_QUOTE_SHELL, "echo {{ params.missing }}", "x", NULL},
    {TMPL_QUOTE_SHELL, "echo {{ target.os }}", "x", NULL},
    {TMPL_QUOTE_SHELL, "echo {{ params.v", "x", NULL},
    {TMPL_QUOTE_SHELL, "no refs at all", "x", "no refs at all"},
};

int
main(void)
{
	struct buf b;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		buf_init(&b, 4096);
		buf_puts(&b, "");
		rc = tmpl_scan(scans[i].text, collect, &b, err, sizeof(err));
		if (scans[i].ok) {
			ok(rc == 0, "scan ok: %s", scans[i].text);
			is(b.data, scans[i].refs, "refs of: %s", scans[i].text);
		} else {
			ok(rc == -1, "scan fails: %s", scans[i].text);
			ok(err[0] != '\0', "with a message (%s)", err);
		}
		buf_cleanup(&b);
	}

	/* offsets, and a callback stopping the scan */
	ok(tmpl_scan("ab{{ params.x }}cd", offsets, NULL, err, sizeof(err)) ==
	       0,
	   "offsets scan");
	ok(tmpl_scan("ab{{ params.x }}cd", stop_at_first, NULL, err,
		     sizeof(err)) == 7,
	   "callback's value stops the scan");

	for (i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		buf_init(&b, 4096);
		current = renders[i].value;
		rc = tmpl_render(renders[i].text, renders[i].q, lookup, NULL,
				 &b, err, sizeof(err));
		if (renders[i].want != NULL) {
			ok(rc == 0, "render %zu ok (%s)", i, err);
			is(b.data != NULL ? b.data : "", renders[i].want,
			   "render %zu: %s", i, renders[i].text);
		} else {
			ok(rc == -1, "render %zu fails: %s", i,
			   renders[i].text);
			ok(err[0] != '\0', "render %zu says why (%s)", i, err);
		}
		buf_cleanup(&b);
	}

	/* a cmd refusal names the reference; an undefined one too */
	buf_init(&b, 4096);
	current = "100%";
	tmpl_render("x {{ params.v }}", TMPL_QUOTE_CMD, lookup, NULL, &b, err,
		    sizeof(err));
	like(err, "params\\.v", "cmd refusal names the reference");
	buf_reset(&b);
	tmpl_render("x {{ params.nope }}", TMPL_QUOTE_SHELL, lookup, NULL, &b,
		    err, sizeof(err));
	like(err, "params\\.nope", "undefined reference is named");
	buf_cleanup(&b);

	/* the cap */
	buf_init(&b, 8);
	current = "0123456789";
	ok(tmpl_render("{{ params.v }}", TMPL_QUOTE_SHELL, lookup, NULL, &b,
		       err, sizeof(err)) == -1,
	   "render past the buffer cap fails");
	buf_cleanup(&b);

	/* tmpl_quote_append directly, every quoting */
	buf_init(&b, 4096);
	ok(tmpl_quote_append(&b, TMPL_QUOTE_NONE, "a'b") == 0 &&
	       strcmp(b.data, "a'b") == 0,
	   "quote none");
	buf_reset(&b);
	ok(tmpl_quote_append(&b, TMPL_QUOTE_SHELL, "a'b") == 0 &&
	       strcmp(b.data, "'a'\\''b'") == 0,
	   "quote shell");
	buf_reset(&b);
	ok(tmpl_quote_append(&b, TMPL_QUOTE_POWERSHELL, "a'b") == 0 &&
	       strcmp(b.data, "'a''b'") == 0,
	   "quote powershell");
	buf_reset(&b);
	ok(tmpl_quote_append(&b, TMPL_QUOTE_CMD, "a b") == 0 &&
	       strcmp(b.data, "\"a b\"") == 0,
	   "quote cmd");
	buf_reset(&b);
	ok(tmpl_quote_append(&b, TMPL_QUOTE_CMD, "a\"b") == -1,
	   "quote cmd refuses a double quote");
	buf_cleanup(&b);
	return done_testing();
}
