/* A strict RFC 8259 syntax check, run before json-c parses a body (json-c
 * accepts single quotes, NaN and Infinity even in strict mode). */
#ifndef OC_JSONSYN_H
#define OC_JSONSYN_H

#include <stddef.h>

enum jsonsyn_result {
	JSONSYN_OK = 0,
	JSONSYN_SYNTAX,    /* not JSON; *at is the offending byte */
	JSONSYN_TOO_DEEP,  /* nested deeper than the limit */
	JSONSYN_TRAILING,  /* data after the value */
};

/* Checks that s[0..n) is exactly one JSON value (with surrounding
 * whitespace) nested at most max_depth deep. */
enum jsonsyn_result jsonsyn_check(const char *s, size_t n, int max_depth,
				  size_t *at);

#endif
