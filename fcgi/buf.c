/* Growable byte buffer with a hard cap. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_cleanup(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t cap;
	char *data;

	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		data = realloc(b->data, cap);
		if (data == NULL) {
			fputs("buf: out of memory\n", stderr);
			abort();
		}
		b->data = data;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n, rc;
	char *big;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (big == NULL)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
buf_json_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[7];
	int rc = buf_append(b, "\"", 1);

	for (; rc == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc |= buf_append(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			rc |= buf_append(b, esc, 6);
			continue;
		}
		rc |= buf_append(b, esc, 2);
	}
	rc |= buf_append(b, run, (size_t)(s - run));
	rc |= buf_append(b, "\"", 1);
	return rc == 0 ? 0 : -1;
}
