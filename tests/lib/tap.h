/* A small TAP producer in the spirit of libtap, for unit and integration
 * tests run under prove. */
#ifndef OC_TAP_H
#define OC_TAP_H

#include <stddef.h>

/* Declares the number of tests; or use done_testing() at the end. */
void plan(int n);
/* Each returns its verdict (1 pass, 0 fail) so callers can react. */
int ok_at(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int is_at(const char *got, const char *want, const char *file, int line,
	  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int isnt_at(const char *got, const char *want, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* pattern is a POSIX extended regular expression. */
int like_at(const char *got, const char *pattern, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int unlike_at(const char *got, const char *pattern, const char *file,
	      int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* op is one of "==", "!=", "<", "<=", ">", ">=". */
int cmp_ok_at(long long got, const char *op, long long want,
	      const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int cmp_mem_at(const void *got, const void *want, size_t n,
	       const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#define ok(pass, ...) ok_at(!!(pass), __FILE__, __LINE__, __VA_ARGS__)
#define is(got, want, ...) is_at(got, want, __FILE__, __LINE__, __VA_ARGS__)
#define isnt(got, want, ...) \
	isnt_at(got, want, __FILE__, __LINE__, __VA_ARGS__)
#define like(got, re, ...) like_at(got, re, __FILE__, __LINE__, __VA_ARGS__)
#define unlike(got, re, ...) \
	unlike_at(got, re, __FILE__, __LINE__, __VA_ARGS__)
#define cmp_ok(got, op, want, ...) \
	cmp_ok_at(got, op, want, __FILE__, __LINE__, __VA_ARGS__)
#define cmp_mem(got, want, n, ...) \
	cmp_mem_at(got, want, n, __FILE__, __LINE__, __VA_ARGS__)
#define pass(...) ok_at(1, __FILE__, __LINE__, __VA_ARGS__)
#define fail(...) ok_at(0, __FILE__, __LINE__, __VA_ARGS__)

/* Comments: diag to stderr (shown by prove), note to stdout. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Emits n "ok # skip reason" lines. Use inside an if: a skip is reported
 * as a skip, never as a pass. */
void skip(int n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Marks the following tests TODO until todo_end(). */
void todo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void todo_end(void);
/* Prints "Bail out! reason" and exits 255. */
void BAIL_OUT(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Prints the plan if none was declared. A test file that ran no tests
 * fails. Returns the exit status for main(): 0 only if all passed. */
int done_testing(void);
/* Failures so far. */
int tap_failures(void);

#endif
