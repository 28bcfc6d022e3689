/* A strict RFC 4180 CSV reader for the bulk import (quoted fields, ""
 * escapes, CRLF or LF, line breaks inside quotes). */
#ifndef OC_ASSETS_CSV_H
#define OC_ASSETS_CSV_H

#include <stddef.h>

struct arena;

struct csv_row {
	char **field; /* NUL-terminated values (arena memory) */
	size_t n;     /* number of fields */
	size_t line;  /* line where the row starts (1-based) */
};

/* Splits text[0..len) into at most max_rows rows (empty lines skipped).
 * Returns the row count, or -1 with *err_line and *why set (unterminated
 * quote, stray quote, too many rows or fields). Rows are arena memory. */
long csv_parse(struct arena *a, const char *text, size_t len, size_t max_rows,
	       size_t max_fields, struct csv_row **rows, size_t *err_line,
	       const char **why);

#endif
