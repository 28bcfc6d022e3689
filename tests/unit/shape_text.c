/* Lists written straight as JSON text (shape_rows_text, buf_json_string,
 * page_json_rows' pass-through) say exactly what the json-c shaping says:
 * every shape of the assets domain, with NULLs, nested objects whose id is
 * NULL, JSON columns, and strings holding every ASCII character, quotes,
 * backslashes, slashes and UTF-8. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "buf.h"
#include "handlers/assets/shape.h"
#include "tests/lib/tap.h"

#define ROWS 6

/* A string value for column col of row row, or NULL. Rows vary which
 * columns are NULL and which odd characters appear. */
static const char *
value(const struct shape_col *c, int row, int col, char *tmp, size_t n)
{
	static const char *odd[] = {
		"plain", "quote \" and backslash \\", "slash / and tab\t",
		"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "ctl \x01\x1f\x7f end",
		"new\nline\r\f\b"};

	if ((row + col) % 5 == 4 || (row == 3 && strchr(c->name, '.')))
		return NULL;
	switch (c->kind) {
	case SHAPE_INT:
		snprintf(tmp, n, "%d", row * 1000 - col * 7);
		return tmp;
	case SHAPE_BOOL:
		return (row + col) % 2 ? "t" : "f";
	case SHAPE_JSON:
		return row % 2 ? "[\"a\", \"b\\\"c\"]"
			       : "{\"ok\": true, \"n\": [1, 2.5, null]}";
	case SHAPE_STR:
		break;
	}
	return odd[(row + col) % 6];
}

static PGresult *
result(const struct shape_col *cols)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc att[64];
	char tmp[32];
	const char *v;
	int n, i, row;

	for (n = 0; cols[n].name != NULL; n++) {
		memset(&att[n], 0, sizeof(att[n]));
		att[n].name = (char *)(uintptr_t)cols[n].name;
	}
	PQsetResultAttrs(res, n, att);
	for (row = 0; row < ROWS; row++)
		for (i = 0; i < n; i++) {
			v = value(&cols[i], row, i, tmp, sizeof(tmp));
			PQsetvalue(res, row, i, (char *)(uintptr_t)v,
				   v != NULL ? (int)strlen(v) : -1);
		}
	return res;
}

static void
same_as_json_c(const char *name, const struct shape_col *cols, int n)
{
	PGresult *res = result(cols);
	json_object *want = shape_rows(res, cols, n), *got;
	struct buf b;

	buf_init(&b, 1 << 20);
	shape_rows_text(&b, res, cols, n);
	got = json_tokener_parse(b.data);
	ok(got != NULL, "%s: the text is JSON", name);
	if (!ok(json_object_equal(got, want), "%s: same as shape_rows", name))
		diag("text: %s\njson-c: %s", b.data,
		     json_object_to_json_string(want));
	json_object_put(got);
	json_object_put(want);
	buf_cleanup(&b);
	PQclear(res);
}

int
main(void)
{
	char s[2];
	struct buf b;
	json_object *o;
	int c, all = 1;
	const char *mixed = "a\"b\\c/d\te\x01\xc3\xa9";

	/* Every single byte but NUL, as json-c writes it. */
	for (c = 1; c < 256; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		buf_init(&b, 64);
		buf_json_string(&b, s);
		o = json_object_new_string(s);
		if (strcmp(b.data, json_object_to_json_string_ext(
					   o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE)) !=
		    0) {
			diag("byte %d: %s", c, b.data);
			all = 0;
		}
		json_object_put(o);
		buf_cleanup(&b);
	}
	ok(all, "buf_json_string writes each byte as json-c does");
	buf_init(&b, 64);
	buf_json_string(&b, mixed);
	o = json_object_new_string(mixed);
	is(b.data,
	   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE),
	   "and a mixed string");
	json_object_put(o);
	buf_cleanup(&b);
	buf_init(&b, 4);
	ok(buf_json_string(&b, "too long for four") < 0,
	   "the buffer's cap holds");
	buf_cleanup(&b);

	same_as_json_c("targets", shape_target, -1);
	same_as_json_c("credentials (full)", shape_cred, -1);
	same_as_json_c("credentials (names only)", shape_cred, 3);
	same_as_json_c("groups", shape_group, -1);
	same_as_json_c("scans", shape_scan, -1);
	same_as_json_c("scan results", shape_result, -1);
	return done_testing();
}
