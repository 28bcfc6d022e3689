/* Unit tests for input validation: strict JSON parsing with limits, field
 * allow-lists with types and bounds, and query parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "req.h"
#include "valid.h"
#include "tests/lib/tap.h"

static struct arena *arena;

struct parse_case {
	const char *name;
	const char *body; /* NULL: built by the test */
	size_t len;       /* 0: strlen(body) */
	int ok;           /* 1: parses, 0: 400 invalid-json */
};

static const struct parse_case parses[] = {
	{"empty object", "{}", 0, 1},
	{"object with spaces", " \n\t{ \"a\" : 1 } \r\n", 0, 1},
	{"nested object", "{\"a\":{\"b\":[1,2,{\"c\":null}]}}", 0, 1},
	{"unicode escape", "{\"a\":\"\\u00e9\\ud83d\\ude00\"}", 0, 1},
	{"raw UTF-8", "{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", 0, 1},
	{"empty body", "", 0, 0},
	{"only spaces", "   ", 0, 0},
	{"top-level array", "[1,2]", 0, 0},
	{"top-level string", "\"x\"", 0, 0},
	{"top-level number", "42", 0, 0},
	{"top-level null", "null", 0, 0},
	{"truncated", "{\"a\":", 0, 0},
	{"unclosed", "{", 0, 0},
	{"trailing garbage", "{}x", 0, 0},
	{"two objects", "{}{}", 0, 0},
	{"trailing comma", "{\"a\":1,}", 0, 0},
	{"single quotes", "{'a':1}", 0, 0},
	{"unquoted key", "{a:1}", 0, 0},
	{"comment", "{/*x*/\"a\":1}", 0, 0},
	{"NaN", "{\"a\":NaN}", 0, 0},
	{"Infinity", "{\"a\":Infinity}", 0, 0},
	{"leading zero", "{\"a\":01}", 0, 0},
	{"invalid UTF-8 in string", "{\"a\":\"\xff\"}", 0, 0},
	{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", 0, 0},
	{"UTF-16 surrogate as UTF-8", "{\"a\":\"\xed\xa0\x80\"}", 0, 0},
	{"truncated UTF-8", "{\"a\":\"\xe2\x82\"}", 0, 0},
	{"NUL byte in body", "{\"a\":\"x\0y\"}", 12, 0},
	{"NUL after object", "{}\0", 3, 0},
	{"control char in string", "{\"a\":\"x\x01y\"}", 0, 0},
	{"bad escape", "{\"a\":\"\\x\"}", 0, 0},
	{"depth 31", NULL, 31, 1},
	{"depth 33", NULL, 33, 0},
	{"depth 1000", NULL, 1000, 0},
	{"depth 100000", NULL, 100000, 0},
};

static void req_init(struct req *r, const char *body, size_t len);
static const char *problem_slug(const struct req *r);
static const char *field_errors(const struct req *r);
static char *nested(size_t depth);

static void
req_init(struct req *r, const char *body, size_t len)
{
	arena_reset(arena);
	memset(r, 0, sizeof(*r));
	r->arena = arena;
	r->req_id = "test";
	if (body != NULL) {
		char *copy = arena_alloc(arena, len + 1);

		memcpy(copy, body, len);
		r->raw_body = copy;
		r->raw_len = len;
	}
}

static const char *
problem_slug(const struct req *r)
{
	json_object *t;
	const char *s;

	if (r->problem == NULL ||
	    !json_object_object_get_ex(r->problem, "type", &t))
		return "(none)";
	s = json_object_get_string(t);
	return strncmp(s, "urn:opsconductor:problem:", 25) == 0 ? s + 25 : s;
}

/* The fields named in "errors", sorted as given: "a,b". Arena memory. */
static const char *
field_errors(const struct req *r)
{
	json_object *errs, *e, *f;
	const char *s = "";
	size_t i;

	if (r->problem == NULL ||
	    !json_object_object_get_ex(r->problem, "errors", &errs))
		return "";
	for (i = 0; i < json_object_array_length(errs); i++) {
		e = json_object_array_get_idx(errs, i);
		if (json_object_object_get_ex(e, "field", &f))
			s = arena_printf(arena, "%s%s%s", s, i ? "," : "",
					 json_object_get_string(f));
	}
	return s;
}

/* {"a":{"a":...{}...}} with depth objects in all. */
static char *
nested(size_t depth)
{
	char *s = malloc(depth * 6 + 1), *p = s;
	size_t i;

	if (s == NULL)
		abort();
	for (i = 0; i + 1 < depth; i++) {
		memcpy(p, "{\"a\":", 5);
		p += 5;
	}
	*p++ = '{';
	for (i = 0; i < depth; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

static const char *const roles[] = {"viewer", "operator", "admin", NULL};

static const char *check_no_x(struct req *r, json_object *v);

static const char *
check_no_x(struct req *r, json_object *v)
{
	(void)r;
	return strchr(json_object_get_string(v), 'x') != NULL
		       ? "must not contain x"
		       : NULL;
}

static const struct field fields[] = {
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 8, NULL, NULL},
	{"note", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL, check_no_x},
	{"n", FIELD_INT, 0, -5, 100, NULL, NULL},
	{"big", FIELD_INT, 0, 0, 9223372036854775807LL, NULL, NULL},
	{"flag", FIELD_BOOL, 0, 0, 0, NULL, NULL},
	{"role", FIELD_ENUM, 0, 0, 0, roles, NULL},
	{"id", FIELD_UUID, 0, 0, 0, NULL, NULL},
	{"at", FIELD_TIMESTAMP, 0, 0, 0, NULL, NULL},
	{"prefs", FIELD_OBJECT, 0, 0, 0, NULL, NULL},
	{"tags", FIELD_ARRAY, 0, 1, 3, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

struct object_case {
	const char *body;
	const char *bad; /* "" when valid, else the fields listed */
};

static const struct object_case objects[] = {
	{"{\"name\":\"a\"}", ""},
	{"{\"name\":\"abcdefgh\"}", ""},
	{"{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	 "\xc3\xa9\"}",
	 ""},
	{"{\"name\":\"abcdefghi\"}", "name"},
	{"{\"name\":\"\"}", "name"},
	{"{}", "name"},
	{"{\"name\":null}", "name"},
	{"{\"name\":1}", "name"},
	{"{\"name\":[\"a\"]}", "name"},
	{"{\"name\":{}}", "name"},
	{"{\"name\":true}", "name"},
	{"{\"name\":\"a\\u0000b\"}", "name"},
	{"{\"name\":\"a\",\"extra\":1}", "extra"},
	{"{\"extra\":1,\"other\":2}", "extra,other,name"},
	{"{\"name\":\"a\",\"note\":null}", ""},
	{"{\"name\":\"a\",\"note\":\"x\"}", "note"},
	{"{\"name\":\"a\",\"n\":-5}", ""},
	{"{\"name\":\"a\",\"n\":100}", ""},
	{"{\"name\":\"a\",\"n\":101}", "n"},
	{"{\"name\":\"a\",\"n\":-6}", "n"},
	{"{\"name\":\"a\",\"n\":1.5}", "n"},
	{"{\"name\":\"a\",\"n\":1.0}", "n"},
	{"{\"name\":\"a\",\"n\":1e2}", "n"},
	{"{\"name\":\"a\",\"n\":\"1\"}", "n"},
	{"{\"name\":\"a\",\"n\":true}", "n"},
	{"{\"name\":\"a\",\"n\":null}", "n"},
	{"{\"name\":\"a\",\"n\":1e400}", "n"},
	{"{\"name\":\"a\",\"n\":-1e400}", "n"},
	{"{\"name\":\"a\",\"n\":99999999999999999999}", "n"},
	{"{\"name\":\"a\",\"big\":9223372036854775807}", ""},
	{"{\"name\":\"a\",\"big\":9223372036854775808}", "big"},
	{"{\"name\":\"a\",\"big\":18446744073709551615}", "big"},
	{"{\"name\":\"a\",\"big\":18446744073709551616}", "big"},
	{"{\"name\":\"a\",\"big\":-9223372036854775809}", "big"},
	{"{\"name\":\"a\",\"flag\":false}", ""},
	{"{\"name\":\"a\",\"flag\":0}", "flag"},
	{"{\"name\":\"a\",\"flag\":\"true\"}", "flag"},
	{"{\"name\":\"a\",\"role\":\"admin\"}", ""},
	{"{\"name\":\"a\",\"role\":\"Admin\"}", "role"},
	{"{\"name\":\"a\",\"role\":\"root\"}", "role"},
	{"{\"name\":\"a\",\"role\":\"\"}", "role"},
	{"{\"name\":\"a\",\"role\":3}", "role"},
	{"{\"name\":\"a\",\"id\":\"0b9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\"}", ""},
	{"{\"name\":\"a\",\"id\":\"0B9E7F3A-1C2D-4E5F-8A9B-0C1D2E3F4A5B\"}", ""},
	{"{\"name\":\"a\",\"id\":\"0b9e7f3a1c2d4e5f8a9b0c1d2e3f4a5b\"}", "id"},
	{"{\"name\":\"a\",\"id\":\"0b9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5\"}", "id"},
	{"{\"name\":\"a\",\"id\":\"0b9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5bb\"}",
	 "id"},
	{"{\"name\":\"a\",\"id\":\"zb9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\"}", "id"},
	{"{\"name\":\"a\",\"id\":\"' OR 1=1 --\"}", "id"},
	{"{\"name\":\"a\",\"at\":\"2026-01-31T12:00:00Z\"}", ""},
	{"{\"name\":\"a\",\"at\":\"2026-01-31T12:00:00.123456Z\"}", ""},
	{"{\"name\":\"a\",\"at\":\"2026-01-31t12:00:00+01:00\"}", ""},
	{"{\"name\":\"a\",\"at\":\"2026-01-31T12:00:00-23:59\"}", ""},
	{"{\"name\":\"a\",\"at\":\"2026-01-31 12:00:00Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-31\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-13-01T00:00:00Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-00-01T00:00:00Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-32T00:00:00Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T24:00:00Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T00:60:00Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T00:00:00\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T00:00:00.Z\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T00:00:00+1:00\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T00:00:00+24:00\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"2026-01-01T00:00:00Zjunk\"}", "at"},
	{"{\"name\":\"a\",\"at\":\"\"}", "at"},
	{"{\"name\":\"a\",\"at\":1767225600}", "at"},
	{"{\"name\":\"a\",\"prefs\":{\"x\":[1]}}", ""},
	{"{\"name\":\"a\",\"prefs\":[]}", "prefs"},
	{"{\"name\":\"a\",\"prefs\":\"{}\"}", "prefs"},
	{"{\"name\":\"a\",\"tags\":[1]}", ""},
	{"{\"name\":\"a\",\"tags\":[1,2,3]}", ""},
	{"{\"name\":\"a\",\"tags\":[]}", "tags"},
	{"{\"name\":\"a\",\"tags\":[1,2,3,4]}", "tags"},
	{"{\"name\":\"a\",\"tags\":{}}", "tags"},
	{"{\"name\":\"abcdefghi\",\"n\":\"x\",\"flag\":1,\"zzz\":0}",
	 "zzz,name,n,flag"},
};

struct query_case {
	const char *qs;
	int ok;           /* 1 valid, 0 400 bad-request, 2 422 validation */
	const char *name; /* expected value of "name" (or of "n") */
};

static const struct field qfields[] = {
	{"name", FIELD_STRING, 0, 0, 8, NULL, NULL},
	{"n", FIELD_INT, 0, 1, 200, NULL, NULL},
	{"flag", FIELD_BOOL, 0, 0, 0, NULL, NULL},
	{"role", FIELD_ENUM, 0, 0, 0, roles, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct query_case queries[] = {
	{"", 1, NULL},
	{"name=bob", 1, "bob"},
	{"name=a%20b", 1, "a b"},
	{"name=a+b", 1, "a b"},
	{"name=%C3%A9", 1, "\xc3\xa9"},
	{"name=", 1, ""},
	{"name", 1, ""},
	{"name=bob&n=5", 1, "bob"},
	{"n=1&flag=true&role=admin", 1, NULL},
	{"&&name=x&&", 1, "x"},
	{"nome=bob", 0, NULL},
	{"name=bob&name=al", 0, NULL},
	{"name=%ZZ", 0, NULL},
	{"name=%4", 0, NULL},
	{"name=%", 0, NULL},
	{"name=%FF", 0, NULL},
	{"name=%C0%AF", 0, NULL},
	{"%6eame=bob", 1, "bob"},
	{"=x", 0, NULL},
	{"n=0", 2, NULL},
	{"n=201", 2, NULL},
	{"n=abc", 2, NULL},
	{"n=", 2, NULL},
	{"n=5x", 2, NULL},
	{"n=99999999999999999999", 2, NULL},
	{"n=-1", 2, NULL},
	{"flag=yes", 2, NULL},
	{"flag=1", 2, NULL},
	{"role=root", 2, NULL},
	{"name=abcdefghi", 2, NULL},
	{"name=%27%20OR%201%3D1%20--", 2, NULL},
};

int
main(void)
{
	struct req r;
	json_object *o;
	size_t i;
	int rc;

	arena = arena_new(16384);

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		const struct parse_case *c = &parses[i];
		char *deep = NULL;

		if (c->body == NULL) {
			deep = nested(c->len);
			req_init(&r, deep, strlen(deep));
		} else {
			req_init(&r, c->body, c->len ? c->len : strlen(c->body));
		}
		rc = valid_parse_or_problem(&r, &o);
		if (c->ok) {
			ok(rc == 0 && o != NULL && r.problem == NULL,
			   "parses: %s", c->name);
		} else {
			ok(rc < 0 && o == NULL && r.status == 400,
			   "refused with 400: %s", c->name);
			is(problem_slug(&r), "invalid-json",
			   "problem type invalid-json: %s", c->name);
		}
		free(deep);
	}

	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		const struct object_case *c = &objects[i];

		req_init(&r, c->body, strlen(c->body));
		rc = valid_parse_or_problem(&r, &o);
		if (!ok(rc == 0, "object %zu parses: %s", i, c->body))
			continue;
		rc = valid_object_or_problem(&r, o, fields);
		if (*c->bad == '\0') {
			ok(rc == 0 && r.problem == NULL, "valid: %s", c->body);
			continue;
		}
		ok(rc < 0 && r.status == 422 &&
			   strcmp(problem_slug(&r), "validation") == 0,
		   "422 validation: %s", c->body);
		is(field_errors(&r), c->bad, "bad fields of %s", c->body);
	}

	/* Readers after validation. */
	req_init(&r, "{\"name\":\"bob\",\"n\":7,\"flag\":true,\"note\":null}",
		 44);
	rc = valid_parse_or_problem(&r, &o);
	ok(rc == 0 && valid_object_or_problem(&r, o, fields) == 0,
	   "reader input is valid");
	is(valid_str(o, "name"), "bob", "valid_str");
	ok(valid_str(o, "note") == NULL, "valid_str of null is NULL");
	ok(valid_str(o, "n") == NULL, "valid_str of a number is NULL");
	ok(valid_str(o, "missing") == NULL, "valid_str of absent is NULL");
	cmp_ok(valid_int(o, "n", -1), "==", 7, "valid_int");
	cmp_ok(valid_int(o, "name", -1), "==", -1, "valid_int of a string");
	cmp_ok(valid_int(o, "zz", 9), "==", 9, "valid_int default");
	ok(valid_bool(o, "flag", 0) == 1, "valid_bool");
	ok(valid_bool(o, "zz", 1) == 1, "valid_bool default");
	ok(valid_has(o, "note") && !valid_has(o, "zz"),
	   "valid_has sees null but not absent");
	ok(valid_str(NULL, "x") == NULL && valid_int(NULL, "x", 3) == 3 &&
		   !valid_has(NULL, "x"),
	   "readers accept a NULL object");

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		const struct query_case *c = &queries[i];

		req_init(&r, NULL, 0);
		r.query_string = c->qs;
		rc = valid_query_or_problem(&r, qfields);
		if (c->ok == 1) {
			if (ok(rc == 0 && r.problem == NULL, "query '%s' valid",
			       c->qs) &&
			    c->name != NULL)
				is(req_query(&r, "name"), c->name,
				   "query '%s': name", c->qs);
		} else if (c->ok == 0) {
			ok(rc < 0 && r.status == 400 &&
				   strcmp(problem_slug(&r), "bad-request") == 0,
			   "query '%s' -> 400 bad-request", c->qs);
		} else {
			ok(rc < 0 && r.status == 422 &&
				   strcmp(problem_slug(&r), "validation") == 0,
			   "query '%s' -> 422 validation", c->qs);
		}
	}
	req_init(&r, NULL, 0);
	r.query_string = "n=42";
	ok(valid_query_or_problem(&r, qfields) == 0 &&
		   valid_query_int(&r, "n", 50) == 42 &&
		   valid_query_int(&r, "zz", 50) == 50,
	   "valid_query_int reads the value or the default");
	req_init(&r, NULL, 0);
	r.query_string = NULL;
	ok(valid_query_or_problem(&r, qfields) == 0, "no query string");
	{
		static const struct field need[] = {
			{"q", FIELD_STRING, FIELD_REQUIRED, 1, 8, NULL, NULL},
			{NULL, 0, 0, 0, 0, NULL, NULL},
		};

		req_init(&r, NULL, 0);
		ok(valid_query_or_problem(&r, need) < 0 && r.status == 422,
		   "a missing required query parameter -> 422");
		req_init(&r, NULL, 0);
		r.query_string = "x=1";
		ok(valid_query_or_problem(&r, NULL) < 0 && r.status == 400,
		   "a route without query parameters refuses one -> 400");
	}
	{
		/* 40 distinct-looking but repeated or unknown keys. */
		char qs[2048] = "";
		int k;

		for (k = 0; k < 40; k++)
			snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs),
				 "%sname=%d", k ? "&" : "", k);
		req_init(&r, NULL, 0);
		r.query_string = qs;
		ok(valid_query_or_problem(&r, qfields) < 0 && r.status == 400,
		   "40 parameters -> 400");
	}

	arena_free(arena);
	return done_testing();
}
