/* Input allow-lists: JSON parsing with limits and per-field validators. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "enc.h"
#include "jsonsyn.h"
#include "problem.h"
#include "req.h"
#include "valid.h"

#define VALID_MAX_DEPTH 32
#define VALID_MAX_QUERY 32

static const char *valid_type_name(enum field_type t);
static int valid_days_in_month(int year, int mon);
static int valid_is_timestamp(const char *s);
static const struct field *valid_find(const struct field *fields,
				      const char *name);
static const char *valid_value(struct req *r, const struct field *f,
			       json_object *v);
static const char *valid_query_value(struct req *r, const struct field *f,
				     const char *v);

static const char *
valid_type_name(enum field_type t)
{
	switch (t) {
	case FIELD_STRING:
	case FIELD_ENUM:
	case FIELD_UUID:
	case FIELD_TIMESTAMP:
		return "a string";
	case FIELD_INT:
		return "an integer";
	case FIELD_BOOL:
		return "true or false";
	case FIELD_OBJECT:
		return "an object";
	case FIELD_ARRAY:
		return "an array";
	}
	return "a value";
}

int
valid_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	int i, d = 0;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int
valid_days_in_month(int year, int mon)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* RFC 3339 date-time: 2026-11-23T10:00:00[.123]Z or with +01:00. */
static int
valid_is_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	int i, year, mon, day, hh, mm, ss;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
				    : (shape[i] == 'T'
					       ? (s[i] != 'T' && s[i] != 't')
					       : s[i] != shape[i]))
			return 0;
	}
	year = atoi(s);
	mon = atoi(s + 5);
	day = atoi(s + 8);
	hh = atoi(s + 11);
	mm = atoi(s + 14);
	ss = atoi(s + 17);
	if (year < 1 || mon < 1 || mon > 12 || day < 1 ||
	    day > valid_days_in_month(year, mon) || hh > 23 || mm > 59 ||
	    ss > 60)
		return 0;
	s += i;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		return 1;
	if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' &&
	    isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) &&
	    s[6] == '\0')
		return atoi(s + 1) <= 23 && atoi(s + 4) <= 59;
	return 0;
}

int
valid_parse_or_problem(struct req *r, json_object **out)
{
	struct json_tokener *tok;
	enum json_tokener_error err;
	json_object *o;
	size_t end;

	*out = NULL;
	if (r->raw_len == 0)
		return problem(r, PROBLEM_INVALID_JSON,
			       "This request needs a JSON object body."),
		       -1;
	if (!enc_utf8_valid(r->raw_body, r->raw_len))
		return problem(r, PROBLEM_INVALID_JSON,
			       "The body is not valid UTF-8."),
		       -1;
	switch (jsonsyn_check(r->raw_body, r->raw_len, VALID_MAX_DEPTH, &end)) {
	case JSONSYN_OK:
		break;
	case JSONSYN_TOO_DEEP:
		return problem(r, PROBLEM_INVALID_JSON,
			       "The JSON is nested deeper than %d levels.",
			       VALID_MAX_DEPTH),
		       -1;
	case JSONSYN_TRAILING:
		return problem(r, PROBLEM_INVALID_JSON,
			       "Unexpected data after the JSON value at byte "
			       "%zu.",
			       end),
		       -1;
	case JSONSYN_SYNTAX:
		return problem(r, PROBLEM_INVALID_JSON,
			       "The JSON is malformed at byte %zu.", end),
		       -1;
	}
	tok = json_tokener_new_ex(VALID_MAX_DEPTH + 1);
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, r->raw_body, (int)r->raw_len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || err != json_tokener_success) {
		json_object_put(o);
		if (err == json_tokener_error_depth)
			return problem(r, PROBLEM_INVALID_JSON,
				       "The JSON is nested deeper than %d "
				       "levels.",
				       VALID_MAX_DEPTH),
			       -1;
		if (err == json_tokener_continue)
			return problem(r, PROBLEM_INVALID_JSON,
				       "The JSON ends too early."),
			       -1;
		return problem(r, PROBLEM_INVALID_JSON,
			       "The JSON is malformed near byte %zu: %s.", end,
			       json_tokener_error_desc(err)),
		       -1;
	}
	req_own(r, o);
	for (; end < r->raw_len; end++)
		if (!isspace((unsigned char)r->raw_body[end]))
			return problem(r, PROBLEM_INVALID_JSON,
				       "Unexpected data after the JSON value "
				       "at byte %zu.",
				       end),
			       -1;
	if (!json_object_is_type(o, json_type_object))
		return problem(r, PROBLEM_INVALID_JSON,
			       "The body must be a JSON object."),
		       -1;
	*out = o;
	return 0;
}

static const struct field *
valid_find(const struct field *fields, const char *name)
{
	for (; fields != NULL && fields->name != NULL; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

/* NULL when v suits f, else what is wrong. */
static const char *
valid_value(struct req *r, const struct field *f, json_object *v)
{
	const char *s;
	long long n;
	size_t len;
	int i;

	switch (f->type) {
	case FIELD_STRING:
	case FIELD_ENUM:
	case FIELD_UUID:
	case FIELD_TIMESTAMP:
		if (!json_object_is_type(v, json_type_string))
			return arena_printf(r->arena, "must be %s",
					    valid_type_name(f->type));
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v))
			return "must not contain NUL characters";
		if (f->type == FIELD_ENUM) {
			for (i = 0; f->choices[i] != NULL; i++)
				if (strcmp(s, f->choices[i]) == 0)
					break;
			if (f->choices[i] == NULL)
				return "is not one of the allowed values";
		} else if (f->type == FIELD_UUID && !valid_uuid(s)) {
			return "must be a UUID";
		} else if (f->type == FIELD_TIMESTAMP &&
			   !valid_is_timestamp(s)) {
			return "must be an RFC 3339 date-time such as "
			       "2026-01-31T12:00:00Z";
		} else if (f->type == FIELD_STRING) {
			len = enc_utf8_len(s);
			if ((long long)len < f->min)
				return f->min == 1 ? "must not be empty"
						   : arena_printf(
							     r->arena,
							     "must be at least "
							     "%lld characters",
							     f->min);
			if (f->max > 0 && (long long)len > f->max)
				return arena_printf(r->arena,
						    "must be at most %lld "
						    "characters",
						    f->max);
		}
		break;
	case FIELD_INT:
		if (!json_object_is_type(v, json_type_int))
			return "must be an integer";
		errno = 0;
		n = json_object_get_int64(v);
		if (errno != 0 || n < f->min || n > f->max ||
		    (n == INT64_MAX &&
		     json_object_get_uint64(v) != (uint64_t)INT64_MAX))
			return arena_printf(r->arena,
					    "must be between %lld and %lld",
					    f->min, f->max);
		break;
	case FIELD_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return "must be true or false";
		break;
	case FIELD_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return "must be an object";
		break;
	case FIELD_ARRAY:
		if (!json_object_is_type(v, json_type_array))
			return "must be an array";
		len = json_object_array_length(v);
		if ((long long)len < f->min)
			return arena_printf(r->arena,
					    "must have at least %lld items",
					    f->min);
		if (f->max > 0 && (long long)len > f->max)
			return arena_printf(r->arena,
					    "must have at most %lld items",
					    f->max);
		break;
	}
	return f->check != NULL ? f->check(r, v) : NULL;
}

int
valid_object_or_problem(struct req *r, json_object *obj,
			const struct field *fields)
{
	const struct field *f;
	const char *msg;
	json_object *v;
	int bad = 0;

	json_object_object_foreach(obj, key, val)
	{
		(void)val;
		if (valid_find(fields, key) == NULL) {
			problem_field(r, key, "is not a known field");
			bad = 1;
		}
	}
	for (f = fields; f != NULL && f->name != NULL; f++) {
		if (!json_object_object_get_ex(obj, f->name, &v)) {
			if (f->flags & FIELD_REQUIRED) {
				problem_field(r, f->name, "is required");
				bad = 1;
			}
			continue;
		}
		if (v == NULL) {
			if (!(f->flags & FIELD_NULLABLE)) {
				problem_field(r, f->name, "must not be null");
				bad = 1;
			}
			continue;
		}
		msg = valid_value(r, f, v);
		if (msg != NULL) {
			problem_field(r, f->name, "%s", msg);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static const char *
valid_query_value(struct req *r, const struct field *f, const char *v)
{
	json_object *j;
	const char *msg;
	char *end;
	long long n;

	switch (f->type) {
	case FIELD_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || n < f->min ||
		    n > f->max)
			return arena_printf(r->arena,
					    "must be an integer between %lld "
					    "and %lld",
					    f->min, f->max);
		return NULL;
	case FIELD_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return "must be true or false";
		return NULL;
	case FIELD_OBJECT:
	case FIELD_ARRAY:
		return "cannot be given in a query";
	default:
		j = json_object_new_string(v);
		msg = valid_value(r, f, j);
		json_object_put(j);
		return msg;
	}
}

int
valid_query_or_problem(struct req *r, const struct field *fields)
{
	const struct field *f;
	char *qs, *part, *save = NULL, *eq, *key, *val;
	const char *msg;
	size_t i;
	int bad = 0;

	r->query = arena_alloc(r->arena, sizeof(struct kv) * VALID_MAX_QUERY);
	r->nquery = 0;
	if (r->query_string == NULL || *r->query_string == '\0')
		goto required;
	qs = arena_strdup(r->arena, r->query_string);
	for (part = strtok_r(qs, "&", &save); part != NULL;
	     part = strtok_r(NULL, "&", &save)) {
		eq = strchr(part, '=');
		key = part;
		val = eq != NULL ? eq + 1 : part + strlen(part);
		if (eq != NULL)
			*eq = '\0';
		if (enc_url_decode(key) < 0 || enc_url_decode(val) < 0 ||
		    !enc_utf8_valid(key, strlen(key)) ||
		    !enc_utf8_valid(val, strlen(val)))
			return problem(r, PROBLEM_BAD_REQUEST,
				       "The query string is not valid "
				       "percent-encoded UTF-8."),
			       -1;
		f = valid_find(fields, key);
		if (f == NULL)
			return problem(r, PROBLEM_BAD_REQUEST,
				       strlen(key) <= 64
					       ? "Unknown query parameter \"%s\"."
					       : "Unknown query parameter%.0s.",
				       key),
			       -1;
		for (i = 0; i < r->nquery && !(f->flags & FIELD_REPEATABLE);
		     i++)
			if (strcmp(r->query[i].key, key) == 0)
				return problem(r, PROBLEM_BAD_REQUEST,
					       "Query parameter \"%s\" is given "
					       "more than once.",
					       key),
				       -1;
		if (r->nquery == VALID_MAX_QUERY)
			return problem(r, PROBLEM_BAD_REQUEST,
				       "Too many query parameters."),
			       -1;
		r->query[r->nquery].key = f->name;
		r->query[r->nquery].value = val;
		r->nquery++;
		msg = valid_query_value(r, f, val);
		if (msg != NULL) {
			problem_field(r, f->name, "%s", msg);
			bad = 1;
		}
	}
required:
	for (f = fields; f != NULL && f->name != NULL; f++)
		if ((f->flags & FIELD_REQUIRED) &&
		    req_query(r, f->name) == NULL) {
			problem_field(r, f->name, "is required");
			bad = 1;
		}
	return bad ? -1 : 0;
}

const char *
valid_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

long long
valid_int(json_object *o, const char *key, long long dflt)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

int
valid_bool(json_object *o, const char *key, int dflt)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

int
valid_has(json_object *o, const char *key)
{
	return o != NULL && json_object_object_get_ex(o, key, NULL);
}

long long
valid_query_int(struct req *r, const char *name, long long dflt)
{
	const char *v = req_query(r, name);

	return v != NULL ? strtoll(v, NULL, 10) : dflt;
}
