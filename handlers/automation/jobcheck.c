/* The whole-job validation: parameters, target selection, steps and their
 * inputs, templates, the edge graph; and run parameter checks. */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "arena.h"
#include "auto.h"
#include "buf.h"
#include "db.h"
#include "enc.h"
#include "jobcheck.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "steptype.h"
#include "tmpl.h"
#include "valid.h"

#define JC_MAX_STEPS 100
#define JC_MAX_PARAMS 50
#define JC_MAX_EDGES 100
#define JC_MAX_SELECTED 1000
#define JC_MAX_TAGS 50

static const char *const jobcheck_lost[] = {"fail", "retry", NULL};

const struct field jobcheck_fields[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 128, NULL, NULL},
    {"description", FIELD_STRING, FIELD_NULLABLE, 0, 4096, NULL, NULL},
    {"parameters", FIELD_ARRAY, FIELD_NULLABLE, 0, JC_MAX_PARAMS, NULL, NULL},
    {"targets", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"start", FIELD_STRING, FIELD_NULLABLE, 1, 64, NULL, NULL},
    {"steps", FIELD_ARRAY, FIELD_REQUIRED, 1, JC_MAX_STEPS, NULL, NULL},
    {"max_parallel", FIELD_INT, 0, 1, 1000, NULL, NULL},
    {"timeout_s", FIELD_INT, 0, 1, 604800, NULL, NULL},
    {"step_timeout_s", FIELD_INT, 0, 1, 86400, NULL, NULL},
    {"allow_overlap", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"on_worker_lost", FIELD_ENUM, 0, 0, 0, jobcheck_lost, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static const char *const jobcheck_param_types[] = {
    "string", "integer", "boolean", "choice", "secret", NULL};
static const char *const jobcheck_edge_names[] = {"on_success", "on_failure",
						  "always"};
static const char *const jobcheck_step_keys[] = {"id",
						 "type",
						 "name",
						 "inputs",
						 "timeout_s",
						 "retries",
						 "retry_backoff_s",
						 "on_success",
						 "on_failure",
						 "always",
						 "position",
						 NULL};
static const char *const jobcheck_param_keys[] = {
    "name",	   "type", "required", "default", "regex",
    "description", "min",  "max",      "choices", NULL};

/* What the checks of one job share. */
struct jc {
	struct req *r;
	json_object *steps, *params;
	int nsteps;
	const char *ids[JC_MAX_STEPS];		       /* valid ids, or NULL */
	unsigned char adj[JC_MAX_STEPS][JC_MAX_STEPS]; /* edge i -> j */
	unsigned char reach[JC_MAX_STEPS][JC_MAX_STEPS]; /* path i ->+ j */
	int start;					 /* index, or -1 */
	int bad;
};

/* A template scan of one input. */
struct jc_scan {
	struct jc *c;
	int step;
	const char *path;
};

static int jc_in(const char *const *list, const char *s);
static int jc_name_ok(const char *s, int step_id);
static int jc_err(struct jc *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int jc_is_int(json_object *v, long long *out);
static int jc_step_index(const struct jc *c, const char *id);
static const char *jc_param_type(json_object *p);
static json_object *jc_param_named(json_object *params, const char *name);
static void jc_params(struct jc *c);
static void jc_value(struct req *r, json_object *p, json_object *v,
		     const char *path, int *bad);
static void jc_ids(struct jc *c);
static void jc_edges(struct jc *c);
static void jc_graph(struct jc *c);
static int jc_cycle_dfs(struct jc *c, int i, unsigned char *color, int *stack,
			int depth);
static void jc_reach_dfs(struct jc *c, int from, int i);
static void jc_steps(struct jc *c);
static void jc_step(struct jc *c, int i, json_object *s);
static void jc_input(struct jc *c, int i, const struct steptype *t,
		     const struct steptype_input *in, json_object *v,
		     const char *path);
static void jc_text(struct jc *c, int i, const struct steptype_input *in,
		    const char *s, const char *path);
static int jc_ref(void *arg, const struct tmpl_ref *ref);
static void jc_local(struct jc *c, json_object *def);

static int
jc_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Parameter names ^[A-Za-z_][A-Za-z0-9_]{0,63}$; step ids
 * ^[a-z][a-z0-9_]{0,63}$. */
static int
jc_name_ok(const char *s, int step_id)
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

static int
jc_err(struct jc *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	problem_field(c->r, path, "%s", msg);
	c->bad = 1;
	return -1;
}

/* 1 with *out when v is a JSON integer that fits in 64 bits. */
static int
jc_is_int(json_object *v, long long *out)
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

static int
jc_step_index(const struct jc *c, const char *id)
{
	int i;

	for (i = 0; i < c->nsteps; i++)
		if (c->ids[i] != NULL && strcmp(c->ids[i], id) == 0)
			return i;
	return -1;
}

static const char *
jc_param_type(json_object *p)
{
	const char *t = valid_str(p, "type");

	return t != NULL ? t : "string";
}

static json_object *
jc_param_named(json_object *params, const char *name)
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
jc_value(struct req *r, json_object *p, json_object *v, const char *path,
	 int *bad)
{
	const char *type = jc_param_type(p), *s, *re;
	json_object *ch;
	long long n, lim;
	regex_t rx;
	size_t i, len;
	int rc;

	if (strcmp(type, "integer") == 0) {
		if (!jc_is_int(v, &n)) {
			problem_field(r, path, "must be an integer");
			*bad = 1;
			return;
		}
		if (jc_is_int(json_object_object_get(p, "min"), &lim) &&
		    n < lim) {
			problem_field(r, path, "must be at least %lld", lim);
			*bad = 1;
		}
		if (jc_is_int(json_object_object_get(p, "max"), &lim) &&
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

static void
jc_params(struct jc *c)
{
	json_object *p, *v, *ch;
	const char *name, *type, *path, *re;
	long long lo, hi;
	regex_t rx;
	size_t i, j, k, n, nch;
	char msg[128];
	int rc;

	if (c->params == NULL)
		return;
	n = json_object_array_length(c->params);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(c->params, i);
		path = arena_printf(c->r->arena, "parameters[%zu]", i);
		if (p == NULL || !json_object_is_type(p, json_type_object)) {
			jc_err(c, path, "must be an object");
			continue;
		}
		json_object_object_foreach(p, key, val)
		{
			(void)val;
			if (!jc_in(jobcheck_param_keys, key))
				jc_err(c,
				       arena_printf(c->r->arena, "%s.%s", path,
						    key),
				       "is not a known field");
		}
		v = json_object_object_get(p, "name");
		name = v != NULL && json_object_is_type(v, json_type_string)
			   ? json_object_get_string(v)
			   : NULL;
		if (name == NULL || !jc_name_ok(name, 0))
			jc_err(c, arena_printf(c->r->arena, "%s.name", path),
			       "must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$");
		else
			for (j = 0; j < i; j++) {
				v = json_object_array_get_idx(c->params, j);
				if (json_object_is_type(v, json_type_object) &&
				    valid_str(v, "name") != NULL &&
				    strcmp(valid_str(v, "name"), name) == 0) {
					jc_err(c,
					       arena_printf(c->r->arena,
							    "%s.name", path),
					       "duplicates parameters[%zu]", j);
					break;
				}
			}
		v = json_object_object_get(p, "type");
		type = v != NULL && json_object_is_type(v, json_type_string)
			   ? json_object_get_string(v)
			   : NULL;
		if (v != NULL &&
		    (type == NULL || !jc_in(jobcheck_param_types, type))) {
			jc_err(c, arena_printf(c->r->arena, "%s.type", path),
			       "must be string, integer, boolean, choice or "
			       "secret");
			continue;
		}
		if (type == NULL)
			type = "string";
		v = json_object_object_get(p, "required");
		if (v != NULL && !json_object_is_type(v, json_type_boolean))
			jc_err(c,
			       arena_printf(c->r->arena, "%s.required", path),
			       "must be true or false");
		v = json_object_object_get(p, "description");
		if (v != NULL && (!json_object_is_type(v, json_type_string) ||
				  json_object_get_string_len(v) > 1024))
			jc_err(
			    c,
			    arena_printf(c->r->arena, "%s.description", path),
			    "must be a string of at most 1024 bytes");
		/* regex: string only */
		if (json_object_object_get_ex(p, "regex", &v) && v != NULL) {
			re = json_object_is_type(v, json_type_string)
				 ? json_object_get_string(v)
				 : NULL;
			path = arena_printf(c->r->arena,
					    "parameters[%zu].regex", i);
			if (strcmp(type, "string") != 0)
				jc_err(c, path,
				       "only string parameters have a regex");
			else if (re == NULL || strlen(re) > 1024)
				jc_err(c, path, "must be a string");
			else {
				rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
				if (rc != 0) {
					regerror(rc, &rx, msg, sizeof(msg));
					jc_err(
					    c, path,
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
			path = arena_printf(c->r->arena, "parameters[%zu].%s",
					    i, mk);
			if (strcmp(type, "integer") != 0)
				jc_err(c, path,
				       "only integer parameters have one");
			else if (!jc_is_int(v, k == 0 ? &lo : &hi))
				jc_err(c, path, "must be an integer");
		}
		if (lo > hi)
			jc_err(
			    c,
			    arena_printf(c->r->arena, "parameters[%zu].max", i),
			    "must not be below min");
		/* choices: choice only, and required there */
		path = arena_printf(c->r->arena, "parameters[%zu].choices", i);
		ch = json_object_object_get(p, "choices");
		if (strcmp(type, "choice") != 0) {
			if (ch != NULL)
				jc_err(c, path,
				       "only choice parameters have choices");
		} else if (ch == NULL ||
			   !json_object_is_type(ch, json_type_array) ||
			   json_object_array_length(ch) < 1 ||
			   json_object_array_length(ch) > 100) {
			jc_err(c, path, "must be an array of 1 to 100 strings");
		} else {
			nch = json_object_array_length(ch);
			for (j = 0; j < nch; j++) {
				v = json_object_array_get_idx(ch, j);
				if (v == NULL ||
				    !json_object_is_type(v, json_type_string) ||
				    json_object_get_string_len(v) < 1 ||
				    json_object_get_string_len(v) > 256) {
					jc_err(c, path,
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
					jc_err(c, path, "item %zu repeats", j);
					break;
				}
			}
		}
		/* default: valid for its own type; none for secrets */
		if (json_object_object_get_ex(p, "default", &v) && v != NULL) {
			path = arena_printf(c->r->arena,
					    "parameters[%zu].default", i);
			if (strcmp(type, "secret") == 0)
				jc_err(c, path,
				       "a secret parameter has no default");
			else
				jc_value(c->r, p, v, path, &c->bad);
		}
	}
}

/* Step ids first: edges and references name them. */
static void
jc_ids(struct jc *c)
{
	json_object *s, *v;
	const char *id;
	int i, j;

	for (i = 0; i < c->nsteps; i++) {
		c->ids[i] = NULL;
		s = json_object_array_get_idx(c->steps, i);
		if (s == NULL || !json_object_is_type(s, json_type_object)) {
			jc_err(c, arena_printf(c->r->arena, "steps[%d]", i),
			       "must be an object");
			continue;
		}
		v = json_object_object_get(s, "id");
		id = v != NULL && json_object_is_type(v, json_type_string)
			 ? json_object_get_string(v)
			 : NULL;
		if (id == NULL || !jc_name_ok(id, 1)) {
			jc_err(c, arena_printf(c->r->arena, "steps[%d].id", i),
			       "must match ^[a-z][a-z0-9_]{0,63}$");
			continue;
		}
		j = jc_step_index(c, id);
		if (j >= 0) {
			jc_err(c, arena_printf(c->r->arena, "steps[%d].id", i),
			       "duplicates steps[%d].id \"%s\"", j, id);
			continue;
		}
		c->ids[i] = id;
	}
}

static void
jc_edges(struct jc *c)
{
	json_object *s, *e, *v;
	const char *path;
	int i, k, j;
	size_t n, x;

	memset(c->adj, 0, sizeof(c->adj));
	for (i = 0; i < c->nsteps; i++) {
		s = json_object_array_get_idx(c->steps, i);
		if (s == NULL || !json_object_is_type(s, json_type_object))
			continue;
		for (k = 0; k < 3; k++) {
			if (!json_object_object_get_ex(
				s, jobcheck_edge_names[k], &e) ||
			    e == NULL)
				continue;
			path = arena_printf(c->r->arena, "steps[%d].%s", i,
					    jobcheck_edge_names[k]);
			if (!json_object_is_type(e, json_type_array) ||
			    json_object_array_length(e) > JC_MAX_EDGES) {
				jc_err(c, path,
				       "must be an array of at most %d step "
				       "ids",
				       JC_MAX_EDGES);
				continue;
			}
			n = json_object_array_length(e);
			for (x = 0; x < n; x++) {
				v = json_object_array_get_idx(e, x);
				j = v != NULL && json_object_is_type(
						     v, json_type_string)
					? jc_step_index(
					      c, json_object_get_string(v))
					: -1;
				if (j < 0) {
					jc_err(c,
					       arena_printf(c->r->arena,
							    "%s[%zu]", path, x),
					       "is not the id of a step of "
					       "this job");
					continue;
				}
				c->adj[i][j] = 1;
			}
		}
	}
}

/* Colors: 0 unvisited, 1 on the stack, 2 done. Returns 1 when a cycle was
 * reported (once per job is enough). */
static int
jc_cycle_dfs(struct jc *c, int i, unsigned char *color, int *stack, int depth)
{
	struct buf b;
	int j, k, from;

	color[i] = 1;
	stack[depth] = i;
	for (j = 0; j < c->nsteps; j++) {
		if (!c->adj[i][j])
			continue;
		if (color[j] == 1) {
			for (from = 0; stack[from] != j; from++)
				;
			buf_init(&b, 4096);
			for (k = from; k <= depth; k++)
				buf_printf(&b, "%s -> ", c->ids[stack[k]]);
			buf_printf(&b, "%s", c->ids[j]);
			jc_err(c, arena_printf(c->r->arena, "steps[%d]", j),
			       "is on a cycle: %s", b.data);
			buf_cleanup(&b);
			return 1;
		}
		if (color[j] == 0 &&
		    jc_cycle_dfs(c, j, color, stack, depth + 1))
			return 1;
	}
	color[i] = 2;
	return 0;
}

static void
jc_reach_dfs(struct jc *c, int from, int i)
{
	int j;

	for (j = 0; j < c->nsteps; j++)
		if (c->adj[i][j] && !c->reach[from][j]) {
			c->reach[from][j] = 1;
			jc_reach_dfs(c, from, j);
		}
}

static void
jc_graph(struct jc *c)
{
	unsigned char color[JC_MAX_STEPS];
	int stack[JC_MAX_STEPS + 1];
	int i;

	memset(color, 0, sizeof(color));
	for (i = 0; i < c->nsteps; i++)
		if (color[i] == 0 && c->ids[i] != NULL &&
		    jc_cycle_dfs(c, i, color, stack, 0))
			break;
	memset(c->reach, 0, sizeof(c->reach));
	for (i = 0; i < c->nsteps; i++)
		jc_reach_dfs(c, i, i);
	if (c->start < 0)
		return;
	for (i = 0; i < c->nsteps; i++)
		if (i != c->start && c->ids[i] != NULL &&
		    !c->reach[c->start][i])
			jc_err(c, arena_printf(c->r->arena, "steps[%d]", i),
			       "is not reachable from the start step \"%s\"",
			       c->ids[c->start]);
}

static int
jc_ref(void *arg, const struct tmpl_ref *ref)
{
	struct jc_scan *s = arg;
	struct jc *c = s->c;
	int k;

	if (ref->root == TMPL_PARAMS &&
	    jc_param_named(c->params, ref->name) == NULL)
		jc_err(c, s->path,
		       "{{ params.%s }}: the job has no parameter \"%s\"",
		       ref->name, ref->name);
	if (ref->root == TMPL_STEPS) {
		k = jc_step_index(c, ref->name);
		if (k < 0)
			jc_err(c, s->path,
			       "{{ steps.%s.%s }}: the job has no step \"%s\"",
			       ref->name, ref->field, ref->name);
		else if (k == s->step || !c->reach[k][s->step])
			jc_err(c, s->path,
			       "{{ steps.%s.%s }}: step \"%s\" does not run "
			       "before this one",
			       ref->name, ref->field, ref->name);
	}
	return 0;
}

/* A text value of an input: templates only where allowed, well formed,
 * and naming what exists. */
static void
jc_text(struct jc *c, int i, const struct steptype_input *in, const char *s,
	const char *path)
{
	struct jc_scan scan = {c, i, path};
	char err[256];

	if (strstr(s, "{{") == NULL)
		return;
	if (!in->templated) {
		jc_err(c, path, "templates are not allowed in this input");
		return;
	}
	if (tmpl_scan(s, jc_ref, &scan, err, sizeof(err)) < 0)
		jc_err(c, path, "template error: %s", err);
}

static void
jc_input(struct jc *c, int i, const struct steptype *t,
	 const struct steptype_input *in, json_object *v, const char *path)
{
	const char *s, *kp;
	long long n;
	size_t k, len;
	int j;

	switch (in->kind) {
	case STEPTYPE_STRING:
	case STEPTYPE_TEXT:
	case STEPTYPE_CHOICE:
		if (v == NULL || !json_object_is_type(v, json_type_string)) {
			jc_err(c, path, "must be a string");
			return;
		}
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v)) {
			jc_err(c, path, "must not contain NUL characters");
			return;
		}
		if (in->kind == STEPTYPE_CHOICE) {
			if (!jc_in(in->choices, s))
				jc_err(c, path,
				       "is not one of the allowed values");
			return;
		}
		if (in->kind == STEPTYPE_STRING && strpbrk(s, "\r\n") != NULL) {
			jc_err(c, path, "must be one line");
			return;
		}
		if (in->required && *s == '\0') {
			jc_err(c, path, "must not be empty");
			return;
		}
		if (strcmp(t->name, "sftp.upload") == 0 &&
		    strcmp(in->name, "mode") == 0 &&
		    (strlen(s) < 3 || strlen(s) > 4 ||
		     strspn(s, "01234567") != strlen(s)))
			jc_err(c, path, "must be octal like \"0644\"");
		if (strcmp(t->name, "http.request") == 0 &&
		    strcmp(in->name, "url") == 0 && strncmp(s, "{{", 2) != 0 &&
		    strncmp(s, "http://", 7) != 0 &&
		    strncmp(s, "https://", 8) != 0)
			jc_err(c, path, "must be an http:// or https:// URL");
		jc_text(c, i, in, s, path);
		return;
	case STEPTYPE_INTEGER:
		if (!jc_is_int(v, &n) || n < in->min || n > in->max)
			jc_err(c, path, "must be an integer from %lld to %lld",
			       in->min, in->max);
		return;
	case STEPTYPE_BOOLEAN:
		if (v == NULL || !json_object_is_type(v, json_type_boolean))
			jc_err(c, path, "must be true or false");
		return;
	case STEPTYPE_MAP:
		if (v == NULL || !json_object_is_type(v, json_type_object) ||
		    json_object_object_length(v) > 100) {
			jc_err(c, path,
			       "must be an object of at most 100 strings");
			return;
		}
		json_object_object_foreach(v, key, val)
		{
			kp = arena_printf(c->r->arena, "%s.%s", path, key);
			if (*key == '\0' || strlen(key) > 128 ||
			    strpbrk(key, " \t\r\n:=") != NULL) {
				jc_err(c, kp, "is not a valid name");
				continue;
			}
			if (val == NULL ||
			    !json_object_is_type(val, json_type_string) ||
			    strpbrk(json_object_get_string(val), "\r\n") !=
				NULL) {
				jc_err(c, kp, "must be a one-line string");
				continue;
			}
			jc_text(c, i, in, json_object_get_string(val), kp);
		}
		return;
	case STEPTYPE_INTLIST:
		if (v == NULL || !json_object_is_type(v, json_type_array) ||
		    json_object_array_length(v) < 1 ||
		    json_object_array_length(v) > 100) {
			jc_err(c, path,
			       "must be an array of 1 to 100 integers");
			return;
		}
		len = json_object_array_length(v);
		for (k = 0; k < len; k++)
			if (!jc_is_int(json_object_array_get_idx(v, k), &n) ||
			    n < in->min || n > in->max) {
				jc_err(c,
				       arena_printf(c->r->arena, "%s[%zu]",
						    path, k),
				       "must be an integer from %lld to %lld",
				       in->min, in->max);
			}
		return;
	}
	(void)j;
}

static void
jc_step(struct jc *c, int i, json_object *s)
{
	static const struct {
		const char *key;
		long long min, max;
	} nums[] = {{"timeout_s", 1, 86400},
		    {"retries", 0, 10},
		    {"retry_backoff_s", 0, 3600}};
	const struct steptype *t = NULL;
	const struct steptype_input *in;
	json_object *v, *inputs = NULL;
	const char *type, *path;
	long long n;
	size_t k;
	int j;

	json_object_object_foreach(s, key, val)
	{
		(void)val;
		if (!jc_in(jobcheck_step_keys, key))
			jc_err(
			    c,
			    arena_printf(c->r->arena, "steps[%d].%s", i, key),
			    "is not a known field");
	}
	v = json_object_object_get(s, "type");
	type = v != NULL && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
	t = type != NULL ? steptype_find(type) : NULL;
	if (t == NULL)
		jc_err(c, arena_printf(c->r->arena, "steps[%d].type", i),
		       type == NULL ? "is required"
				    : "is not a step type (see "
				      "/api/v1/step-types)");
	v = json_object_object_get(s, "name");
	if (v != NULL && (!json_object_is_type(v, json_type_string) ||
			  json_object_get_string_len(v) > 128))
		jc_err(c, arena_printf(c->r->arena, "steps[%d].name", i),
		       "must be a string of at most 128 bytes");
	v = json_object_object_get(s, "position");
	if (v != NULL && !json_object_is_type(v, json_type_object))
		jc_err(c, arena_printf(c->r->arena, "steps[%d].position", i),
		       "must be an object");
	for (k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		if (!json_object_object_get_ex(s, nums[k].key, &v) || v == NULL)
			continue;
		if (!jc_is_int(v, &n) || n < nums[k].min || n > nums[k].max)
			jc_err(c,
			       arena_printf(c->r->arena, "steps[%d].%s", i,
					    nums[k].key),
			       "must be an integer from %lld to %lld",
			       nums[k].min, nums[k].max);
	}
	if (json_object_object_get_ex(s, "inputs", &inputs) && inputs != NULL &&
	    !json_object_is_type(inputs, json_type_object)) {
		jc_err(c, arena_printf(c->r->arena, "steps[%d].inputs", i),
		       "must be an object");
		return;
	}
	if (t == NULL)
		return;
	if (inputs != NULL) {
		json_object_object_foreach(inputs, ikey, ival)
		{
			path = arena_printf(c->r->arena, "steps[%d].inputs.%s",
					    i, ikey);
			in = steptype_input(t, ikey);
			if (in == NULL) {
				jc_err(c, path, "is not an input of %s",
				       t->name);
				continue;
			}
			if (ival == NULL && !in->required)
				continue;
			jc_input(c, i, t, in, ival, path);
		}
	}
	for (j = 0; j < t->ninputs; j++) {
		in = &t->inputs[j];
		if (!in->required)
			continue;
		if (inputs == NULL ||
		    !json_object_object_get_ex(inputs, in->name, &v) ||
		    v == NULL)
			jc_err(c,
			       arena_printf(c->r->arena, "steps[%d].inputs.%s",
					    i, in->name),
			       "is required for %s", t->name);
	}
}

static void
jc_steps(struct jc *c)
{
	json_object *s;
	int i;

	for (i = 0; i < c->nsteps; i++) {
		s = json_object_array_get_idx(c->steps, i);
		if (s != NULL && json_object_is_type(s, json_type_object))
			jc_step(c, i, s);
	}
}

int
jobcheck_local_only(json_object *def)
{
	json_object *steps = json_object_object_get(def, "steps"), *s;
	const struct steptype *t;
	size_t i, n;

	if (steps == NULL || !json_object_is_type(steps, json_type_array))
		return 1;
	n = json_object_array_length(steps);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(steps, i);
		if (s == NULL || !json_object_is_type(s, json_type_object))
			continue;
		t = steptype_find(valid_str(s, "type"));
		if (t != NULL && t->where != STEPTYPE_LOCAL)
			return 0;
	}
	return 1;
}

/* A job with no target selection runs on the worker only. */
static void
jc_local(struct jc *c, json_object *def)
{
	int empty = 1;

	if (jobcheck_selection(c->r, json_object_object_get(def, "targets"),
			       "targets", &empty) < 0) {
		c->bad = 1;
		return;
	}
	if (empty && !jobcheck_local_only(def))
		jc_err(c, "targets",
		       "must select targets: some steps run over SSH or "
		       "WinRM (only local.* and http.request steps run "
		       "without targets)");
}

int
jobcheck_selection(struct req *r, json_object *sel, const char *path,
		   int *empty)
{
	static const char *const keys[] = {"targets", "groups", "tags", NULL};
	static const size_t max[] = {JC_MAX_SELECTED, 100, JC_MAX_TAGS};
	static const struct db_stmt *const missing[] = {
	    &sql_targets_missing, &sql_groups_missing, NULL};
	json_object *a, *v;
	const char *kp, *s;
	PGresult *res;
	int bad = 0, k, okk, row;
	size_t i, n;

	*empty = 1;
	if (sel == NULL)
		return 0;
	if (!json_object_is_type(sel, json_type_object)) {
		problem_field(r, path, "must be an object");
		return -1;
	}
	json_object_object_foreach(sel, key, val)
	{
		(void)val;
		if (!jc_in(keys, key)) {
			problem_field(
			    r, arena_printf(r->arena, "%s.%s", path, key),
			    "is not a known field (targets, groups, "
			    "tags)");
			bad = 1;
		}
	}
	for (k = 0; k < 3; k++) {
		if (!json_object_object_get_ex(sel, keys[k], &a) || a == NULL)
			continue;
		kp = arena_printf(r->arena, "%s.%s", path, keys[k]);
		if (!json_object_is_type(a, json_type_array) ||
		    json_object_array_length(a) > max[k]) {
			problem_field(r, kp, "must be an array of at most %zu",
				      max[k]);
			bad = 1;
			continue;
		}
		n = json_object_array_length(a);
		okk = 1;
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(a, i);
			s = v != NULL &&
				    json_object_is_type(v, json_type_string)
				? json_object_get_string(v)
				: NULL;
			if (k < 2
				? (s == NULL || !valid_uuid(s))
				: (s == NULL || *s == '\0' || strlen(s) > 64 ||
				   strpbrk(s, " \t\r\n,") != NULL)) {
				problem_field(
				    r, arena_printf(r->arena, "%s[%zu]", kp, i),
				    k < 2 ? "must be a UUID" : "must be a tag");
				bad = 1;
				okk = 0;
			}
		}
		if (n > 0)
			*empty = 0;
		if (!okk || n == 0 || missing[k] == NULL)
			continue;
		res = db_query_or_problem(
		    r, missing[k],
		    DB_PARAMS(json_object_to_json_string_ext(
			a, JSON_C_TO_STRING_PLAIN)));
		if (res == NULL)
			return -1;
		for (row = 0; row < PQntuples(res); row++) {
			problem_field(r, kp, "%s is not an existing %s",
				      PQgetvalue(res, row, 0),
				      k == 0 ? "target" : "group");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

int
jobcheck_or_problem(struct req *r, json_object *def)
{
	struct jc *c = arena_alloc(r->arena, sizeof(*c));
	const char *start;

	c->r = r;
	c->steps = json_object_object_get(def, "steps");
	c->params = json_object_object_get(def, "parameters");
	c->nsteps = (int)json_object_array_length(c->steps);
	c->start = -1;
	jc_params(c);
	jc_ids(c);
	start = valid_str(def, "start");
	if (start != NULL) {
		c->start = jc_step_index(c, start);
		if (c->start < 0)
			jc_err(c, "start",
			       "is not the id of a step of this job");
	} else if (c->nsteps > 0 && c->ids[0] != NULL) {
		c->start = 0;
	}
	jc_edges(c);
	jc_graph(c);
	jc_steps(c);
	jc_local(c, def);
	return c->bad || r->problem != NULL ? -1 : 0;
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
			if (jc_param_named(defs, key) == NULL) {
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
		jc_value(r, p, v, path, &bad);
		if (strcmp(jc_param_type(p), "secret") == 0) {
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
