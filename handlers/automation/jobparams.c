/* Job parameters: their definitions in a job (names, types, defaults,
 * regexes, bounds, choices) and the values a run or schedule gives them. */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "auto.h"
#include "jobparams.h"
#include "problem.h"
#include "req.h"
#include "valid.h"

static const char *const jobparams_types[] = {"string", "integer", "boolean",
					      "choice", "secret",  NULL};
static const char *const jobparams_keys[] = {
    "name",	   "type", "required", "default", "regex",
    "description", "min",  "max",      "choices", NULL};

static int jobparams_err(struct req *r, int *bad, const char *path,
			 const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *jobparams_type(json_object *p);
static void jobparams_value(struct req *r, json_object *p, json_object *v,
			    const char *path, int *bad);

static int
jobparams_err(struct req *r, int *bad, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	problem_field(r, path, "%s", msg);
	*bad = 1;
	return -1;
}

static const char *
jobparams_type(json_object *p)
{
	const char *t = valid_str(p, "type");

	return t != NULL ? t : "string";
}

json_object *
jobparams_named(json_object *params, const char *name)
{
	json_object *p;
	const char *n;
	size_t i, len;

	if (params == NULL || !json_object_is_type(params, json_type_array))
		return NULL;
	len = json_object_array_length(params);
	for (i = 0; i < len; i++) {
		p = json_object_array_get_idx(params, i);
		if (!json_object_is_type(p, json_type_object))
			continue;
		n = valid_str(p, "name");
		if (n != NULL && strcmp(n, name) == 0)
			return p;
	}
	return NULL;
}

/* A value for parameter p (default or run value) at path. */
static void
jobparams_value(struct req *r, json_object *p, json_object *v, const char *path,
		int *bad)
{
	const char *type = jobparams_type(p), *s, *re;
	json_object *ch;
	long long n, lim;
	regex_t rx;
	size_t i, len;
	int rc;

	if (strcmp(type, "integer") == 0) {
		if (!auto_json_int(v, &n)) {
			problem_field(r, path, "must be an integer");
			*bad = 1;
			return;
		}
		if (auto_json_int(json_object_object_get(p, "min"), &lim) &&
		    n < lim) {
			problem_field(r, path, "must be at least %lld", lim);
			*bad = 1;
		}
		if (auto_json_int(json_object_object_get(p, "max"), &lim) &&
		    n > lim) {
			problem_field(r, path, "must be at most %lld", lim);
			*bad = 1;
		}
		return;
	}
	if (strcmp(type, "boolean") == 0) {
		if (v == NULL || !json_object_is_type(v, json_type_boolean)) {
			problem_field(r, path, "must be true or false");
			*bad = 1;
		}
		return;
	}
	if (v == NULL || !json_object_is_type(v, json_type_string)) {
		problem_field(r, path, "must be a string");
		*bad = 1;
		return;
	}
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v) ||
	    strlen(s) > 65536) {
		problem_field(r, path, "must be at most 65536 bytes, no NUL");
		*bad = 1;
		return;
	}
	if (strcmp(type, "choice") == 0) {
		ch = json_object_object_get(p, "choices");
		len = ch != NULL && json_object_is_type(ch, json_type_array)
			  ? json_object_array_length(ch)
			  : 0;
		for (i = 0; i < len; i++)
			if (strcmp(json_object_get_string(
				       json_object_array_get_idx(ch, i)),
				   s) == 0)
				return;
		problem_field(r, path, "is not one of the choices");
		*bad = 1;
		return;
	}
	re = valid_str(p, "regex");
	if (strcmp(type, "string") == 0 && re != NULL) {
		if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
			return; /* reported on the parameter */
		rc = regexec(&rx, s, 0, NULL, 0);
		regfree(&rx);
		if (rc != 0) {
			problem_field(r, path, "does not match %s", re);
			*bad = 1;
		}
	}
}

void
jobparams_check(struct req *r, json_object *params, int *bad)
{
	json_object *p, *v, *ch;
	const char *name, *type, *path, *re;
	long long lo, hi;
	regex_t rx;
	size_t i, j, k, n, nch;
	char msg[128];
	int rc;

	if (params == NULL)
		return;
	n = json_object_array_length(params);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(params, i);
		path = arena_printf(r->arena, "parameters[%zu]", i);
		if (p == NULL || !json_object_is_type(p, json_type_object)) {
			jobparams_err(r, bad, path, "must be an object");
			continue;
		}
		json_object_object_foreach(p, key, val)
		{
			(void)val;
			if (!auto_in(jobparams_keys, key))
				jobparams_err(
				    r, bad,
				    arena_printf(r->arena, "%s.%s", path, key),
				    "is not a known field");
		}
		v = json_object_object_get(p, "name");
		name = v != NULL && json_object_is_type(v, json_type_string)
			   ? json_object_get_string(v)
			   : NULL;
		if (name == NULL || !auto_name_ok(name, 0))
			jobparams_err(
			    r, bad, arena_printf(r->arena, "%s.name", path),
			    "must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$");
		else
			for (j = 0; j < i; j++) {
				v = json_object_array_get_idx(params, j);
				if (json_object_is_type(v, json_type_object) &&
				    valid_str(v, "name") != NULL &&
				    strcmp(valid_str(v, "name"), name) == 0) {
					jobparams_err(
					    r, bad,
					    arena_printf(r->arena, "%s.name",
							 path),
					    "duplicates parameters[%zu]", j);
					break;
				}
			}
		v = json_object_object_get(p, "type");
		type = v != NULL && json_object_is_type(v, json_type_string)
			   ? json_object_get_string(v)
			   : NULL;
		if (v != NULL &&
		    (type == NULL || !auto_in(jobparams_types, type))) {
			jobparams_err(
			    r, bad, arena_printf(r->arena, "%s.type", path),
			    "must be string, integer, boolean, choice or "
			    "secret");
			continue;
		}
		if (type == NULL)
			type = "string";
		v = json_object_object_get(p, "required");
		if (v != NULL && !json_object_is_type(v, json_type_boolean))
			jobparams_err(
			    r, bad, arena_printf(r->arena, "%s.required", path),
			    "must be true or false");
		v = json_object_object_get(p, "description");
		if (v != NULL && (!json_object_is_type(v, json_type_string) ||
				  json_object_get_string_len(v) > 1024))
			jobparams_err(
			    r, bad,
			    arena_printf(r->arena, "%s.description", path),
			    "must be a string of at most 1024 bytes");
		/* regex: string only */
		if (json_object_object_get_ex(p, "regex", &v) && v != NULL) {
			re = json_object_is_type(v, json_type_string)
				 ? json_object_get_string(v)
				 : NULL;
			path =
			    arena_printf(r->arena, "parameters[%zu].regex", i);
			if (strcmp(type, "string") != 0)
				jobparams_err(
				    r, bad, path,
				    "only string parameters have a regex");
			else if (re == NULL || strlen(re) > 1024)
				jobparams_err(r, bad, path, "must be a string");
			else {
				rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
				if (rc != 0) {
					regerror(rc, &rx, msg, sizeof(msg));
					jobparams_err(
					    r, bad, path,
					    "is not a POSIX extended regular "
					    "expression: %s",
					    msg);
				} else
					regfree(&rx);
			}
		}
		/* min/max: integer only */
		lo = INT64_MIN;
		hi = INT64_MAX;
		for (k = 0; k < 2; k++) {
			const char *mk = k == 0 ? "min" : "max";

			if (!json_object_object_get_ex(p, mk, &v) || v == NULL)
				continue;
			path =
			    arena_printf(r->arena, "parameters[%zu].%s", i, mk);
			if (strcmp(type, "integer") != 0)
				jobparams_err(
				    r, bad, path,
				    "only integer parameters have one");
			else if (!auto_json_int(v, k == 0 ? &lo : &hi))
				jobparams_err(r, bad, path,
					      "must be an integer");
		}
		if (lo > hi)
			jobparams_err(
			    r, bad,
			    arena_printf(r->arena, "parameters[%zu].max", i),
			    "must not be below min");
		/* choices: choice only, and required there */
		path = arena_printf(r->arena, "parameters[%zu].choices", i);
		ch = json_object_object_get(p, "choices");
		if (strcmp(type, "choice") != 0) {
			if (ch != NULL)
				jobparams_err(
				    r, bad, path,
				    "only choice parameters have choices");
		} else if (ch == NULL ||
			   !json_object_is_type(ch, json_type_array) ||
			   json_object_array_length(ch) < 1 ||
			   json_object_array_length(ch) > 100) {
			jobparams_err(r, bad, path,
				      "must be an array of 1 to 100 strings");
		} else {
			nch = json_object_array_length(ch);
			for (j = 0; j < nch; j++) {
				v = json_object_array_get_idx(ch, j);
				if (v == NULL ||
				    !json_object_is_type(v, json_type_string) ||
				    json_object_get_string_len(v) < 1 ||
				    json_object_get_string_len(v) > 256) {
					jobparams_err(
					    r, bad, path,
					    "item %zu must be a string of 1 "
					    "to 256 bytes",
					    j);
					break;
				}
				for (k = 0; k < j; k++)
					if (strcmp(
						json_object_get_string(v),
						json_object_get_string(
						    json_object_array_get_idx(
							ch, k))) == 0)
						break;
				if (k < j) {
					jobparams_err(r, bad, path,
						      "item %zu repeats", j);
					break;
				}
			}
		}
		/* default: valid for its own type; none for secrets */
		if (json_object_object_get_ex(p, "default", &v) && v != NULL) {
			path = arena_printf(r->arena, "parameters[%zu].default",
					    i);
			if (strcmp(type, "secret") == 0)
				jobparams_err(
				    r, bad, path,
				    "a secret parameter has no default");
			else
				jobparams_value(r, p, v, path, bad);
		}
	}
}

int
jobparams_validate_or_problem(struct req *r, json_object *definition,
			      json_object *params, json_object **clear,
			      json_object **secret)
{
	json_object *defs = json_object_object_get(definition, "parameters");
	json_object *p, *v;
	const char *name, *path;
	size_t i, n;
	int bad = 0, nsecret = 0;

	*clear = req_own(r, json_object_new_object());
	*secret = NULL;
	if (params != NULL && !json_object_is_type(params, json_type_object))
		return problem_field(r, "params", "must be an object"), -1;
	if (params != NULL) {
		json_object_object_foreach(params, key, val)
		{
			(void)val;
			if (jobparams_named(defs, key) == NULL) {
				problem_field(
				    r, arena_printf(r->arena, "params.%s", key),
				    "is not a parameter of this job");
				bad = 1;
			}
		}
	}
	n = defs != NULL && json_object_is_type(defs, json_type_array)
		? json_object_array_length(defs)
		: 0;
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(defs, i);
		name = valid_str(p, "name");
		if (name == NULL)
			continue;
		path = arena_printf(r->arena, "params.%s", name);
		if (params == NULL ||
		    !json_object_object_get_ex(params, name, &v) || v == NULL) {
			v = json_object_object_get(p, "default");
			if (v == NULL) {
				if (valid_bool(p, "required", 0)) {
					problem_field(r, path, "is required");
					bad = 1;
				}
				continue;
			}
		}
		jobparams_value(r, p, v, path, &bad);
		if (strcmp(jobparams_type(p), "secret") == 0) {
			if (*secret == NULL)
				*secret = req_own(r, json_object_new_object());
			json_object_object_add(*secret, name,
					       json_object_get(v));
			nsecret++;
		} else {
			json_object_object_add(*clear, name,
					       json_object_get(v));
		}
	}
	(void)nsecret;
	return bad ? -1 : 0;
}
