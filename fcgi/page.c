/* Pagination of every list: limit, offset or an opaque cursor, and the
 * {items, total, next} answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "enc.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "valid.h"

#define PAGE_CURSOR_TAG "off:"

static int page_cursor_decode(const char *cursor, long long *offset);

/* A cursor is base64url("off:<offset>"). */
static int
page_cursor_decode(const char *cursor, long long *offset)
{
	unsigned char raw[48];
	size_t tag = strlen(PAGE_CURSOR_TAG);
	long n =
	    enc_b64url_decode(raw, sizeof(raw) - 1, cursor, strlen(cursor));
	char *end;
	long long v;

	if (n <= (long)tag || n - (long)tag > 10)
		return -1;
	raw[n] = '\0';
	if (memcmp(raw, PAGE_CURSOR_TAG, tag) != 0 || raw[tag] < '0' ||
	    raw[tag] > '9')
		return -1;
	v = strtoll((const char *)raw + tag, &end, 10);
	if (*end != '\0' || v < 0 || v > PAGE_OFFSET_MAX)
		return -1;
	*offset = v;
	return 0;
}

int
page_params_or_problem(struct req *r, struct page *p)
{
	const char *cursor = req_query(r, "cursor");

	p->limit = valid_query_int(r, "limit", PAGE_LIMIT_DEFAULT);
	p->offset = valid_query_int(r, "offset", 0);
	if (cursor != NULL) {
		if (req_query(r, "offset") != NULL)
			return problem_field(r, "cursor",
					     "cannot be combined with offset"),
			       -1;
		if (page_cursor_decode(cursor, &p->offset) < 0)
			return problem_field(r, "cursor",
					     "is not a cursor this list gave "
					     "out"),
			       -1;
	}
	snprintf(p->lim, sizeof(p->lim), "%lld", p->limit);
	snprintf(p->off, sizeof(p->off), "%lld", p->offset);
	return 0;
}

long long
page_total_or_problem(struct req *r, const struct page *p, const PGresult *rows,
		      const struct db_stmt *count, const char *const *params)
{
	long long n = PQntuples(rows);
	PGresult *cnt;

	if (n < p->limit && (n > 0 || p->offset == 0))
		return p->offset + n;
	cnt = db_query_or_problem(r, count, params);
	if (cnt == NULL)
		return -1;
	return strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
}

int
page_reply_text(struct req *r, const char *items, size_t len,
		long long total, const struct page *p)
{
	char plain[32], cursor[48];
	struct buf b;

	buf_init(&b, (size_t)-1 / 2);
	buf_puts(&b, "{\"items\":");
	buf_append(&b, items, len);
	buf_printf(&b, ",\"total\":%lld,\"next\":", total);
	if (p->offset + p->limit < total) {
		snprintf(plain, sizeof(plain), PAGE_CURSOR_TAG "%lld",
			 p->offset + p->limit);
		enc_b64url(cursor, (const unsigned char *)plain, strlen(plain));
		buf_json_string(&b, cursor);
	} else {
		buf_puts(&b, "null");
	}
	buf_puts(&b, "}");
	r->text_out = arena_strndup(r->arena, b.data, b.len);
	r->text_type = "application/json";
	buf_cleanup(&b);
	return 200;
}

int
page_reply(struct req *r, json_object *items, long long total,
	   const struct page *p)
{
	size_t len;
	const char *text = json_object_to_json_string_length(
		items, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&len);
	int rc = page_reply_text(r, text, len, total, p);

	json_object_put(items);
	return rc;
}

int
page_json_rows(struct req *r, const struct page *p,
	       const struct db_stmt *list, const struct db_stmt *count,
	       const char *const *params)
{
	PGresult *res = db_query_or_problem(r, list, params);
	long long total;
	struct buf b;
	int i, rc;

	if (res == NULL)
		return r->status;
	total = page_total_or_problem(r, p, res, count, params);
	if (total < 0)
		return r->status;
	/* The rows are JSON made by PostgreSQL: passed on as they are. */
	buf_init(&b, (size_t)-1 / 2);
	buf_puts(&b, "[");
	for (i = 0; i < PQntuples(res); i++) {
		if (i > 0)
			buf_puts(&b, ",");
		buf_puts(&b, PQgetvalue(res, i, 0));
	}
	buf_puts(&b, "]");
	rc = page_reply_text(r, b.data, b.len, total, p);
	buf_cleanup(&b);
	return rc;
}
