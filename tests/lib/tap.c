/* A small TAP 13 producer for unit and integration tests run under prove. */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"

#define TAP_MAX_FAIL 254

static int tap_planned = -1; /* -1: no plan yet */
static int tap_run;
static int tap_failed;
static int tap_header_done;
static char *tap_todo_reason; /* non-NULL inside todo() ... todo_end() */

static void tap_header(void);
static void tap_vdiag(FILE *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void tap_comment(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tap_print_escaped(const char *s);
static int tap_vok(int pass, const char *file, int line, const char *fmt,
		   va_list ap) __attribute__((format(printf, 4, 0)));
static const char *tap_show(const char *s);

static void
tap_header(void)
{
	if (tap_header_done)
		return;
	tap_header_done = 1;
	printf("TAP version 13\n");
	fflush(stdout);
}

/* Prints each line of the formatted text prefixed with "# ". */
static void
tap_vdiag(FILE *f, const char *fmt, va_list ap)
{
	char *msg = NULL, *p, *nl;

	tap_header();
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	fflush(stdout);
	for (p = msg;;) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		fprintf(f, "# %s\n", p);
		if (nl == NULL || nl[1] == '\0')
			break;
		p = nl + 1;
	}
	fflush(f);
	free(msg);
}

static void
tap_comment(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(f, fmt, ap);
	va_end(ap);
}

/* Descriptions go on one line and must not open a directive. */
static void
tap_print_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '#')
			fputs("\\#", stdout);
		else if (*s == '\n' || *s == '\r')
			putchar(' ');
		else
			putchar(*s);
	}
}

static const char *
tap_show(const char *s)
{
	return s != NULL ? s : "(null)";
}

void
plan(int n)
{
	tap_header();
	if (tap_planned >= 0)
		BAIL_OUT("plan() called twice");
	if (n <= 0)
		BAIL_OUT("plan(%d): a test file must run at least one test", n);
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static int
tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
	char *desc = NULL;

	tap_header();
	if (fmt != NULL && vasprintf(&desc, fmt, ap) < 0)
		desc = NULL;
	tap_run++;
	printf("%sok %d", pass ? "" : "not ", tap_run);
	if (desc != NULL && *desc != '\0') {
		fputs(" - ", stdout);
		tap_print_escaped(desc);
	}
	if (tap_todo_reason != NULL) {
		fputs(" # TODO ", stdout);
		tap_print_escaped(tap_todo_reason);
	}
	putchar('\n');
	fflush(stdout);
	if (!pass) {
		/* A failing TODO test is expected: its note goes to stdout. */
		if (tap_todo_reason != NULL) {
			tap_comment(stdout, "  Failed (TODO) test at %s line %d.",
				    file, line);
		} else {
			tap_failed++;
			tap_comment(stderr, "  Failed test at %s line %d.", file,
				    line);
		}
	}
	free(desc);
	return pass;
}

int
ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return r;
}

int
is_at(const char *got, const char *want, const char *file, int line,
      const char *fmt, ...)
{
	va_list ap;
	int pass, r;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		tap_comment(tap_todo_reason != NULL ? stdout : stderr,
			    "         got: '%s'\n    expected: '%s'",
			    tap_show(got), tap_show(want));
	return r;
}

int
isnt_at(const char *got, const char *want, const char *file, int line,
	const char *fmt, ...)
{
	va_list ap;
	int pass, r;

	if (got == NULL || want == NULL)
		pass = got != want;
	else
		pass = strcmp(got, want) != 0;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		tap_comment(tap_todo_reason != NULL ? stdout : stderr,
			    "         got: '%s'\n    expected: anything else",
			    tap_show(got));
	return r;
}

/* 1 match, 0 no match, -1 bad pattern (reported). */
static int tap_match(const char *got, const char *pattern);

static int
tap_match(const char *got, const char *pattern)
{
	regex_t re;
	char err[256];
	int rc;

	rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &re, err, sizeof(err));
		tap_comment(stderr, "    bad pattern '%s': %s", pattern, err);
		return -1;
	}
	rc = got != NULL && regexec(&re, got, 0, NULL, 0) == 0;
	regfree(&re);
	return rc;
}

int
like_at(const char *got, const char *pattern, const char *file, int line,
	const char *fmt, ...)
{
	va_list ap;
	int pass, r;

	pass = tap_match(got, pattern) == 1;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		tap_comment(tap_todo_reason != NULL ? stdout : stderr,
			    "                  '%s'\n    doesn't match '%s'",
			    tap_show(got), pattern);
	return r;
}

int
unlike_at(const char *got, const char *pattern, const char *file, int line,
	  const char *fmt, ...)
{
	va_list ap;
	int m, pass, r;

	m = tap_match(got, pattern);
	pass = m == 0;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass && m >= 0)
		tap_comment(tap_todo_reason != NULL ? stdout : stderr,
			    "                  '%s'\n          matches '%s'",
			    tap_show(got), pattern);
	return r;
}

int
cmp_ok_at(long long got, const char *op, long long want, const char *file,
	  int line, const char *fmt, ...)
{
	va_list ap;
	int pass, known = 1, r;

	if (strcmp(op, "==") == 0)
		pass = got == want;
	else if (strcmp(op, "!=") == 0)
		pass = got != want;
	else if (strcmp(op, "<") == 0)
		pass = got < want;
	else if (strcmp(op, "<=") == 0)
		pass = got <= want;
	else if (strcmp(op, ">") == 0)
		pass = got > want;
	else if (strcmp(op, ">=") == 0)
		pass = got >= want;
	else
		pass = known = 0;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!known)
		tap_comment(stderr, "    unknown operator '%s'", op);
	else if (!pass)
		tap_comment(tap_todo_reason != NULL ? stdout : stderr,
			    "    %lld\n        %s\n    %lld", got, op, want);
	return r;
}

int
cmp_mem_at(const void *got, const void *want, size_t n, const char *file,
	   int line, const char *fmt, ...)
{
	const unsigned char *g = got, *w = want;
	va_list ap;
	size_t i = 0;
	int pass, r;

	if (g == NULL || w == NULL) {
		pass = 0;
	} else {
		for (i = 0; i < n && g[i] == w[i]; i++)
			;
		pass = i == n;
	}
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass && (g == NULL || w == NULL))
		tap_comment(stderr, "    %s is NULL", g == NULL ? "got" : "want");
	else if (!pass)
		tap_comment(tap_todo_reason != NULL ? stdout : stderr,
			    "    Difference starts at offset %zu\n"
			    "         got: 0x%02x\n    expected: 0x%02x",
			    i, g[i], w[i]);
	return r;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(stderr, fmt, ap);
	va_end(ap);
}

void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(stdout, fmt, ap);
	va_end(ap);
}

void
skip(int n, const char *fmt, ...)
{
	char *why = NULL;
	va_list ap;
	int i;

	tap_header();
	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	for (i = 0; i < n; i++) {
		tap_run++;
		printf("ok %d # skip", tap_run);
		if (why != NULL && *why != '\0') {
			putchar(' ');
			tap_print_escaped(why);
		}
		putchar('\n');
	}
	fflush(stdout);
	free(why);
}

void
todo(const char *fmt, ...)
{
	va_list ap;

	free(tap_todo_reason);
	tap_todo_reason = NULL;
	va_start(ap, fmt);
	if (vasprintf(&tap_todo_reason, fmt, ap) < 0)
		tap_todo_reason = NULL;
	va_end(ap);
	if (tap_todo_reason == NULL)
		tap_todo_reason = strdup("");
	if (tap_todo_reason == NULL)
		abort();
}

void
todo_end(void)
{
	free(tap_todo_reason);
	tap_todo_reason = NULL;
}

void
BAIL_OUT(const char *fmt, ...)
{
	char *why = NULL;
	va_list ap;

	tap_header();
	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	printf("Bail out!  ");
	if (why != NULL)
		tap_print_escaped(why);
	putchar('\n');
	fflush(stdout);
	free(why);
	exit(255);
}

int
done_testing(void)
{
	int status;

	tap_header();
	todo_end();
	if (tap_run == 0) {
		/* "1..0" would read as "skipped"; a file without checks is
		 * broken, so say so as a failing test. */
		tap_run++;
		tap_failed++;
		printf("not ok %d - the test file ran at least one test\n",
		       tap_run);
		tap_comment(stderr, "  No tests run!");
		if (tap_planned < 0)
			printf("1..%d\n", tap_run);
		fflush(stdout);
		return 255;
	}
	if (tap_planned < 0) {
		tap_planned = tap_run;
		printf("1..%d\n", tap_run);
	} else if (tap_planned != tap_run) {
		tap_comment(stderr,
			    "Looks like you planned %d test%s but ran %d.",
			    tap_planned, tap_planned == 1 ? "" : "s", tap_run);
		fflush(stdout);
		return tap_failed > 0 && tap_failed < TAP_MAX_FAIL
			       ? tap_failed
			       : TAP_MAX_FAIL + 1;
	}
	fflush(stdout);
	if (tap_failed > 0)
		tap_comment(stderr, "Looks like you failed %d test%s of %d.",
			    tap_failed, tap_failed == 1 ? "" : "s", tap_run);
	status = tap_failed > TAP_MAX_FAIL ? TAP_MAX_FAIL : tap_failed;
	return status;
}

int
tap_failures(void)
{
	return tap_failed;
}
