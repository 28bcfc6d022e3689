/* Unit tests for the TAP library itself: each scenario runs in a child
 * whose output is captured, then checked by the parent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/mint.h"
#include "tests/lib/tap.h"

enum scenario {
	S_MIXED,
	S_EMPTY,
	S_TODO,
	S_SKIP,
	S_BAIL,
	S_PLAN_MISMATCH,
	S_ESCAPE,
	S_MANY_FAILURES,
	S_CHECKS,
	S_PLAN_OK,
	S__COUNT
};

struct outcome {
	char *out;
	char *err;
	int status; /* exit status, or -1 */
};

static void scenario_run(enum scenario s);
static struct outcome run(enum scenario s);

static void
scenario_run(enum scenario s)
{
	int i;

	switch (s) {
	case S_MIXED:
		ok(1, "first");
		ok(0, "second");
		is("a", "b", "third");
		break;
	case S_EMPTY:
		note("nothing here");
		break;
	case S_TODO:
		todo("not yet");
		ok(0, "broken thing");
		todo_end();
		ok(1, "fine thing");
		break;
	case S_SKIP:
		skip(2, "no network");
		ok(1, "after skip");
		break;
	case S_BAIL:
		ok(1, "before");
		BAIL_OUT("stack is down");
	case S_PLAN_MISMATCH:
		plan(3);
		ok(1, "only one");
		break;
	case S_ESCAPE:
		ok(1, "has # hash\nand newline");
		diag("line one\nline two");
		break;
	case S_MANY_FAILURES:
		for (i = 0; i < 300; i++)
			ok(0, "f%d", i);
		break;
	case S_CHECKS:
		like("hello world", "^hel+o w", "like");
		like("hello", "^x", "like fails");
		unlike("hello", "z", "unlike");
		cmp_ok(3, "<", 2, "cmp_ok fails");
		cmp_ok(3, ">=", 3, "cmp_ok");
		cmp_ok(1, "<>", 2, "bad operator");
		cmp_mem("abc", "abd", 3, "cmp_mem fails");
		cmp_mem("abc", "abd", 2, "cmp_mem prefix");
		is(NULL, NULL, "NULL is NULL");
		is("x", NULL, "x is not NULL");
		isnt("x", "y", "isnt");
		isnt(NULL, NULL, "isnt NULL fails");
		pass("pass");
		fail("fail");
		break;
	case S_PLAN_OK:
		plan(2);
		ok(1, "a");
		ok(1, "b");
		break;
	case S__COUNT:
		break;
	}
	fflush(stdout);
	fflush(stderr);
	exit(done_testing());
}

static struct outcome
run(enum scenario s)
{
	struct outcome o = {NULL, NULL, -1};
	char out[] = "/tmp/oc-tap-out-XXXXXX", err[] = "/tmp/oc-tap-err-XXXXXX";
	int fo = mkstemp(out), fe = mkstemp(err), st;
	pid_t pid;

	if (fo < 0 || fe < 0)
		BAIL_OUT("mkstemp failed");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		scenario_run(s);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		o.status = WEXITSTATUS(st);
	o.out = mint_read_file(out, NULL);
	o.err = mint_read_file(err, NULL);
	close(fo);
	close(fe);
	unlink(out);
	unlink(err);
	return o;
}

int
main(void)
{
	struct outcome o[S__COUNT];
	int i;

	/* Every child starts from the same fresh library state. */
	for (i = 0; i < S__COUNT; i++)
		o[i] = run((enum scenario)i);

	like(o[S_MIXED].out, "^TAP version 13\n", "TAP 13 header");
	like(o[S_MIXED].out, "\nok 1 - first\nnot ok 2 - second\n"
			     "not ok 3 - third\n1\\.\\.3\n$",
	     "ok / not ok lines, then the plan at the end");
	cmp_ok(o[S_MIXED].status, "==", 2, "exit status = failures");
	like(o[S_MIXED].err, "#   Failed test at tests/unit/tap_selftest.c "
			     "line [0-9]+\\.",
	     "failure names file and line on stderr");
	like(o[S_MIXED].err, "#          got: 'a'\n#     expected: 'b'",
	     "is() shows got and expected");
	unlike(o[S_MIXED].out, "Failed", "diagnostics stay off stdout");

	cmp_ok(o[S_EMPTY].status, "!=", 0, "a file with no tests fails");
	like(o[S_EMPTY].out, "not ok 1", "... with a failing test line");
	like(o[S_EMPTY].out, "# nothing here", "note goes to stdout");

	like(o[S_TODO].out, "not ok 1 - broken thing # TODO not yet\n",
	     "todo directive");
	like(o[S_TODO].out, "\nok 2 - fine thing\n", "todo_end ends it");
	cmp_ok(o[S_TODO].status, "==", 0, "a failing TODO test is no failure");

	like(o[S_SKIP].out, "\nok 1 # skip no network\nok 2 # skip no "
			    "network\nok 3 - after skip\n1\\.\\.3\n",
	     "skip lines");
	cmp_ok(o[S_SKIP].status, "==", 0, "skips pass");

	like(o[S_BAIL].out, "\nBail out!  stack is down\n", "Bail out! line");
	cmp_ok(o[S_BAIL].status, "==", 255, "BAIL_OUT exits 255");
	unlike(o[S_BAIL].out, "1\\.\\.", "no plan after bailing out");

	like(o[S_PLAN_MISMATCH].out, "^TAP version 13\n1\\.\\.3\nok 1",
	     "plan printed first");
	cmp_ok(o[S_PLAN_MISMATCH].status, "!=", 0, "too few tests fails");
	like(o[S_PLAN_MISMATCH].err, "planned 3 tests but ran 1",
	     "says how many were missing");

	like(o[S_ESCAPE].out, "ok 1 - has \\\\# hash and newline\n",
	     "# escaped and newline flattened in descriptions");
	like(o[S_ESCAPE].err, "# line one\n# line two\n",
	     "multi-line diag prefixes every line");

	cmp_ok(o[S_MANY_FAILURES].status, "==", 254,
	       "exit status capped at 254");

	like(o[S_CHECKS].out, "\nok 1 - like\nnot ok 2 - like fails\n"
			      "ok 3 - unlike\nnot ok 4 - cmp_ok fails\n"
			      "ok 5 - cmp_ok\nnot ok 6 - bad operator\n"
			      "not ok 7 - cmp_mem fails\nok 8 - cmp_mem "
			      "prefix\nok 9 - NULL is NULL\nnot ok 10 - x is "
			      "not NULL\nok 11 - isnt\nnot ok 12 - isnt NULL "
			      "fails\nok 13 - pass\nnot ok 14 - fail\n",
	     "like, unlike, cmp_ok, cmp_mem, is, isnt, pass, fail verdicts");
	cmp_ok(o[S_CHECKS].status, "==", 7, "7 failures");
	like(o[S_CHECKS].err, "Difference starts at offset 2",
	     "cmp_mem names the offset");
	like(o[S_CHECKS].err, "unknown operator '<>'", "bad operator named");

	like(o[S_PLAN_OK].out, "^TAP version 13\n1\\.\\.2\nok 1 - a\nok 2 - "
			       "b\n$",
	     "declared plan, no second plan line");
	cmp_ok(o[S_PLAN_OK].status, "==", 0, "all passed: exit 0");

	for (i = 0; i < S__COUNT; i++) {
		free(o[i].out);
		free(o[i].err);
	}
	cmp_ok(tap_failures(), "==", 0, "tap_failures counts this file's");
	return done_testing();
}
