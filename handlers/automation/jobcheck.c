/* The whole-job validation: target selection, steps and their inputs,
 * templates, the edge graph (parameters: jobparams.c). */
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
#include "jobparams.h"
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

static int jc_err(struct jc *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int jc_step_index(const struct jc *c, const char *id);
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

static int
jc_step_index(const struct jc *c, const char *id)
{
	int i;

	for (i = 0; i < c->nsteps; i++)
		if (c->ids[i] != NULL && strcmp(c->ids[i], id) == 0)
			return i;
	return -1;
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
		if (id == NULL || !auto_name_ok(id, 1)) {
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
	    jobparams_named(c->params, ref->name) == NULL)
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
			if (!auto_in(in->choices, s))
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
		if (!auto_json_int(v, &n) || n < in->min || n > in->max)
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
			if (!auto_json_int(json_object_array_get_idx(v, k),
					   &n) ||
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
		if (!auto_in(jobcheck_step_keys, key))
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
		if (!auto_json_int(v, &n) || n < nums[k].min || n > nums[k].max)
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
		if (!auto_in(keys, key)) {
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
	jobparams_check(c->r, c->params, &c->bad);
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
