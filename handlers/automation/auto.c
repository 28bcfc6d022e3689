/* Small helpers shared by the automation handlers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "auto.h"
#include "crypto.h"
#include "problem.h"
#include "req.h"
#include "valid.h"

static int auto_hexval(char c);

const char *
auto_path_id(struct req *r, const char *name)
{
	const char *id = req_param(r, name);
	char *s, *p;

	if (id == NULL || !valid_uuid(id))
		return NULL;
	s = arena_strdup(r->arena, id);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

void
auto_uuid(char out[37])
{
	unsigned char b[16];

	crypto_random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

const char *
auto_by(const struct req *r)
{
	return r->who.user_id[0] != '\0' ? r->who.user_id : NULL;
}

const char *
auto_by_name(const struct req *r)
{
	return r->who.username[0] != '\0' ? r->who.username : "system";
}

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

void
auto_etag(struct req *r, const char *version)
{
	req_header_add(r, "ETag", arena_printf(r->arena, "\"%s\"", version));
}

static int
auto_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
auto_reply_bytes(struct req *r, const char *hex, const char *name,
		 const char *type)
{
	size_t n = strlen(hex) / 2, i;
	char *out = arena_alloc(r->arena, n + 1), *safe, *p;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = auto_hexval(hex[2 * i]);
		lo = auto_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return problem(r, PROBLEM_INTERNAL, NULL);
		out[i] = (char)(hi << 4 | lo);
	}
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
	r->text_len = n;
	r->text_type = type;
	r->status = 200;
	return 200;
}
