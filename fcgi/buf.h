/* Growable byte buffer with a hard cap. */
#ifndef OC_BUF_H
#define OC_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max; /* appends past this many bytes fail */
};

void buf_init(struct buf *b, size_t max);
void buf_cleanup(struct buf *b);
/* Returns 0, or -1 (buffer unchanged) when len + n would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Appends s as a JSON string literal (quotes, backslash and control
 * characters escaped; '/' and UTF-8 left as they are, as json-c writes
 * them with JSON_C_TO_STRING_NOSLASHESCAPE). 0 or -1 as buf_append. */
int buf_json_string(struct buf *b, const char *s);

#endif
