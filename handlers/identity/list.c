/* Pagination of identity lists: limit, offset or an opaque cursor, and
 * the {items, total, next} answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "list.h"
#include "problem.h"
#include "req.h"
#include "valid.h"

#define LIST_CURSOR_TAG "off:"

static int list_cursor_decode(const char *cursor, long long *offset);

/* A cursor is base64url("off:<offset>"). */
static int
list_cursor_decode(const char *cursor, long long *offset)
{
	unsigned char raw[48];
	char *end;
	long n =
	    enc_b64url_decode(raw, sizeof(raw) - 1, cursor, strlen(cursor));
	long long v;
	size_t tag = strlen(LIST_CURSOR_TAG);

	if (n <= (long)tag)
		return -1;
	raw[n] = '\0';
	if (memcmp(raw, LIST_CURSOR_TAG, tag) != 0 || raw[tag] < '0' ||
	    raw[tag] > '9' || n - (long)tag > 10)
		return -1;
	v = strtoll((const char *)raw + tag, &end, 10);
	if (*end != '\0' || v < 0 || v > LIST_OFFSET_MAX)
		return -1;
	*offset = v;
	return 0;
}

int
list_params_or_problem(struct req *r, long long *limit, long long *offset)
{
	const char *cursor = req_query(r, "cursor");

	*limit = valid_query_int(r, "limit", LIST_LIMIT_DEFAULT);
	*offset = valid_query_int(r, "offset", 0);
	if (cursor == NULL)
		return 0;
	if (req_query(r, "offset") != NULL)
		return problem_field(r, "cursor",
				     "cannot be combined with offset"),
		       -1;
	if (list_cursor_decode(cursor, offset) < 0)
		return problem_field(r, "cursor",
				     "is not a cursor this list gave out"),
		       -1;
	return 0;
}

int
list_reply(struct req *r, json_object *items, long long total, long long limit,
	   long long offset)
{
	json_object *o = json_object_new_object();
	char plain[32], cursor[48];

	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", json_object_new_int64(total));
	if (offset + limit < total) {
		snprintf(plain, sizeof(plain), LIST_CURSOR_TAG "%lld",
			 offset + limit);
		enc_b64url(cursor, (const unsigned char *)plain, strlen(plain));
		json_object_object_add(o, "next",
				       json_object_new_string(cursor));
	} else {
		json_object_object_add(o, "next", NULL);
	}
	return req_reply(r, 200, o);
}

long long
list_total(const char *count)
{
	return count != NULL ? strtoll(count, NULL, 10) : 0;
}
