/* Input allow-lists: JSON parsing with limits and per-field validators. */
#ifndef OC_VALID_H
#define OC_VALID_H

#include <stddef.h>
#include <json-c/json.h>

struct req;

enum field_type {
	FIELD_STRING,    /* UTF-8 string, length in code points min..max */
	FIELD_INT,       /* integer min..max (JSON integer or query digits) */
	FIELD_BOOL,      /* true/false ("true"/"false" in a query) */
	FIELD_ENUM,      /* string, one of choices */
	FIELD_UUID,      /* canonical lowercase or uppercase uuid string */
	FIELD_TIMESTAMP, /* RFC 3339 date-time string */
	FIELD_OBJECT,    /* JSON object (its keys checked by check()) */
	FIELD_ARRAY,     /* JSON array, element count min..max */
};

#define FIELD_REQUIRED 0x1 /* must be present */
#define FIELD_NULLABLE 0x2 /* JSON null accepted */
#define FIELD_REPEATABLE 0x4 /* query only: may be given more than once
			      * (read back by walking r->query) */

/* One allowed field of a body or query. A table ends with {NULL}. */
struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	long long min; /* string length, integer value or array size */
	long long max; /* 0 means no upper bound for strings and arrays */
	const char *const *choices; /* FIELD_ENUM, NULL-terminated */
	/* Extra check; returns NULL when fine or a message (static or arena
	 * memory) saying what is wrong. */
	const char *(*check)(struct req *r, json_object *value);
};

/* Parses r->raw_body as strict JSON (valid UTF-8, depth <= 32, no
 * trailing data, a top-level object). Sets a 400 problem and returns -1
 * on failure. The object is registered with the arena. */
int valid_parse_or_problem(struct req *r, json_object **out);
/* Checks obj against fields: unknown keys, wrong types, missing required
 * fields, bounds. Every bad field is listed in one 422 problem. */
int valid_object_or_problem(struct req *r, json_object *obj,
			    const struct field *fields);
/* Parses r->query_string into r->query and checks it against fields
 * (unknown or repeated parameters are refused). */
int valid_query_or_problem(struct req *r, const struct field *fields);

/* Convenience readers for validated objects; defaults when absent/null. */
const char *valid_str(json_object *o, const char *key);
long long valid_int(json_object *o, const char *key, long long dflt);
int valid_bool(json_object *o, const char *key, int dflt);
/* 1 when the key is present (even if null). */
int valid_has(json_object *o, const char *key);

/* 1 when s is a UUID in canonical 8-4-4-4-12 form. */
int valid_uuid(const char *s);

/* Query parameters read back after valid_query_or_problem. */
long long valid_query_int(struct req *r, const char *name, long long dflt);

#endif
