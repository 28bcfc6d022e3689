/* Unit tests for the per-request arena: alignment, zeroing, growth, reuse
 * after reset, cleanups in reverse order, and aborting on overflow. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "tests/lib/tap.h"

static char order[16];
static size_t norder;

static void record(void *data);
static int dies_with_abort(size_t n);

static void
record(void *data)
{
	if (norder < sizeof(order) - 1)
		order[norder++] = *(const char *)data;
}

/* Runs arena_alloc(n) in a child; 1 when the child died instead of going
 * on (SIGABRT, or the sanitizer's own exit under ASan). */
static int
dies_with_abort(size_t n)
{
	struct arena *a;
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Keep the expected abort message out of the test output. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		a = arena_new(1024);
		arena_alloc(a, n);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 0;
	return (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
	       (WIFEXITED(st) && WEXITSTATUS(st) != 0);
}

int
main(void)
{
	static char tags[] = "abc";
	struct arena *a = arena_new(0);
	unsigned char *p, *first, *big;
	char *s;
	size_t i, sizes[] = {1, 3, 7, 15, 16, 17, 31, 100, 999, 1000, 5000};
	int aligned = 1, zero = 1;

	ok(a != NULL, "arena_new with a tiny block size works");
	first = arena_alloc(a, 8);
	ok(first != NULL, "first allocation");
	cmp_ok((long long)arena_used(a), ">=", 8, "arena_used counts it");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = arena_alloc(a, sizes[i]);
		if ((uintptr_t)p % _Alignof(max_align_t) != 0)
			aligned = 0;
		for (size_t j = 0; j < sizes[i]; j++)
			if (p[j] != 0)
				zero = 0;
		memset(p, 0xa5, sizes[i]);
	}
	ok(aligned, "every allocation is aligned for any type");
	ok(zero, "every allocation is zeroed");

	/* Much bigger than a block: gets its own block. */
	big = arena_alloc(a, 1u << 20);
	big[0] = 1;
	big[(1u << 20) - 1] = 2;
	ok(big[0] == 1 && big[(1u << 20) - 1] == 2,
	   "a 1 MiB allocation is usable end to end");
	cmp_ok((long long)arena_used(a), ">=", 1 << 20,
	       "arena_used includes the big block");

	/* Many small allocations across blocks stay distinct. */
	{
		char *ptrs[2000];
		int distinct = 1;

		for (i = 0; i < 2000; i++) {
			ptrs[i] = arena_alloc(a, 24);
			snprintf(ptrs[i], 24, "%zu", i);
		}
		for (i = 0; i < 2000; i++) {
			char want[24];

			snprintf(want, sizeof(want), "%zu", i);
			if (strcmp(ptrs[i], want) != 0)
				distinct = 0;
		}
		ok(distinct, "2000 small allocations across blocks keep their "
			     "contents");
	}

	s = arena_strdup(a, "hello");
	is(s, "hello", "arena_strdup");
	s = arena_strndup(a, "hello world", 5);
	is(s, "hello", "arena_strndup stops at n");
	s = arena_strndup(a, "", 0);
	is(s, "", "arena_strndup of nothing is empty");
	s = arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159);
	is(s, "x-42-003.1", "arena_printf formats");
	s = arena_printf(a, "%2000d", 7);
	cmp_ok((long long)strlen(s), "==", 2000,
	       "arena_printf of 2000 characters");

	/* Cleanups: last in, first out, at reset. */
	arena_cleanup_add(a, record, &tags[0]);
	arena_cleanup_add(a, record, &tags[1]);
	arena_cleanup_add(a, record, &tags[2]);
	ok(norder == 0, "cleanups do not run before reset");
	arena_reset(a);
	is(order, "cba", "cleanups run last in, first out at reset");
	cmp_ok((long long)arena_used(a), "==", 0, "reset: arena_used is 0");
	p = arena_alloc(a, 8);
	ok(p == first, "after reset the first block is reused");
	ok(p[0] == 0 && p[7] == 0, "reused memory is zeroed again");
	arena_reset(a);
	is(order, "cba", "cleanups run only once");

	/* Cleanups also run at free. */
	norder = 0;
	memset(order, 0, sizeof(order));
	arena_cleanup_add(a, record, &tags[0]);
	arena_free(a);
	is(order, "a", "arena_free runs the cleanups");
	arena_free(NULL);
	pass("arena_free(NULL) is harmless");

	ok(dies_with_abort(SIZE_MAX - 3),
	   "an allocation whose rounded size overflows aborts");
	ok(dies_with_abort(SIZE_MAX / 2),
	   "an impossible allocation aborts instead of returning NULL");
	return done_testing();
}
