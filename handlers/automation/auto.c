/* Small helpers shared by the automation handlers. */
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
