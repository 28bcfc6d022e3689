/* Small helpers shared by the automation handlers. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "auto.h"
#include "enc.h"
#include "problem.h"
#include "req.h"

json_object *
auto_json(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return json_tokener_parse(PQgetvalue(res, row, col));
}

const char *
auto_text(struct req *r, json_object *o)
{
	return arena_strdup(r->arena, json_object_to_json_string_ext(
					  o, JSON_C_TO_STRING_PLAIN));
}

int
auto_reply_bytes(struct req *r, const char *hex, const char *name,
		 const char *type)
{
	size_t hexlen = strlen(hex);
	char *out = arena_alloc(r->arena, hexlen / 2 + 1), *safe, *p;
	long n = enc_hex_decode((unsigned char *)out, hexlen / 2, hex, hexlen);

	if (n < 0)
		return problem(r, PROBLEM_INTERNAL, NULL);
	/* the file name as a quoted-string: no quotes, backslashes or
	 * control characters */
	safe = arena_strdup(r->arena, name);
	for (p = safe; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			*p = '_';
	req_header_add(
	    r, "Content-Disposition",
	    arena_printf(r->arena, "attachment; filename=\"%s\"", safe));
	req_header_add(r, "X-Content-Type-Options", "nosniff");
	r->text_out = out;
	r->text_len = (size_t)n;
	r->text_type = type;
	r->status = 200;
	return 200;
}

int
auto_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Parameter names ^[A-Za-z_][A-Za-z0-9_]{0,63}$; step ids
 * ^[a-z][a-z0-9_]{0,63}$. */
int
auto_name_ok(const char *s, int step_id)
{
	size_t n = strlen(s), i;
	char ch;

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		ch = s[i];
		if (ch >= 'a' && ch <= 'z')
			continue;
		if (ch == '_' && (!step_id || i > 0))
			continue;
		if (!step_id && ch >= 'A' && ch <= 'Z')
			continue;
		if (i > 0 && ch >= '0' && ch <= '9')
			continue;
		return 0;
	}
	return 1;
}

/* 1 with *out when v is a JSON integer that fits in 64 bits. */
int
auto_json_int(json_object *v, long long *out)
{
	if (v == NULL || !json_object_is_type(v, json_type_int))
		return 0;
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno != 0 || (*out == INT64_MAX &&
			   json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return 0;
	return 1;
}
