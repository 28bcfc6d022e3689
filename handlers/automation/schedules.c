/* Schedules: a job, its parameters and a cron expression in an IANA time
 * zone, fired by the workers; CRUD and previews of fire times. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "cron.h"
#include "db.h"
#include "jobcheck.h"
#include "jobparams.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "sched_sql.h"
#include "schedules.h"
#include "sealed.h"
#include "tz.h"

#define SCHEDULES_TARGETS_MAX 1000
#define SCHEDULES_PREVIEW_DEFAULT 10

static const char *const schedules_overlaps[] = {"skip", "queue", "allow",
						 NULL};
static const char *const schedules_misfires[] = {"run_once", "skip", NULL};

static const char *schedules_check_cron(struct req *r, json_object *v);
static const char *schedules_check_zone(struct req *r, json_object *v);
static const char *schedules_check_targets(struct req *r, json_object *v);

const struct field schedules_list_query[] = {
    {"job_id", FIELD_UUID, 0, 0, 0, NULL, NULL},
    {"enabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field schedules_create_fields[] = {
    {"job_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL, NULL},
    {"description", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL, NULL},
    {"params", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"targets", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL,
     schedules_check_targets},
    {"cron", FIELD_STRING, FIELD_REQUIRED, 1, CRON_MAX_LEN, NULL,
     schedules_check_cron},
    {"time_zone", FIELD_STRING, FIELD_REQUIRED, 1, TZ_NAME_MAX, NULL,
     schedules_check_zone},
    {"enabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"start_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"end_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"overlap_policy", FIELD_ENUM, 0, 0, 0, schedules_overlaps, NULL},
    {"misfire_policy", FIELD_ENUM, 0, 0, 0, schedules_misfires, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field schedules_patch_fields[] = {
    {"description", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL, NULL},
    {"params", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"targets", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL,
     schedules_check_targets},
    {"cron", FIELD_STRING, 0, 1, CRON_MAX_LEN, NULL, schedules_check_cron},
    {"time_zone", FIELD_STRING, 0, 1, TZ_NAME_MAX, NULL,
     schedules_check_zone},
    {"enabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"start_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"end_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"overlap_policy", FIELD_ENUM, 0, 0, 0, schedules_overlaps, NULL},
    {"misfire_policy", FIELD_ENUM, 0, 0, 0, schedules_misfires, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field schedules_preview_fields[] = {
    {"cron", FIELD_STRING, FIELD_REQUIRED, 1, CRON_MAX_LEN, NULL,
     schedules_check_cron},
    {"time_zone", FIELD_STRING, FIELD_REQUIRED, 1, TZ_NAME_MAX, NULL,
     schedules_check_zone},
    {"count", FIELD_INT, 0, 1, SCHEDULES_PREVIEW_MAX, NULL, NULL},
    {"start_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"end_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field schedules_preview_query[] = {
    {"count", FIELD_INT, 0, 1, SCHEDULES_PREVIEW_MAX, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* The values a schedule is saved with (text, as SQL parameters). */
struct sched_vals {
	const char *description, *params, *secret, *binding, *key_version;
	const char *targets, *cron, *zone, *enabled, *start, *end;
	const char *overlap, *misfire;
	char next[24];	 /* next fire time, epoch seconds */
	int has_next;
	char kv[16];
};

static const char *schedules_id(struct req *r);
static json_object *schedules_json(struct req *r, const PGresult *res,
				   int row);
static int schedules_reply(struct req *r, int status, const PGresult *res);
static int schedules_times_or_problem(struct req *r, const char *start,
				      const char *end, long long t[3]);
static int schedules_next_or_problem(struct req *r, struct sched_vals *v);
static int schedules_params_or_problem(struct req *r, const char *job,
				       json_object *params, const char *id,
				       struct sched_vals *v);
static PGresult *schedules_lock_or_problem(struct req *r, const char *id);
static int schedules_fire_list(struct req *r, const char *cronx,
			       const char *zone, long long after,
			       long long end, int count);

static const char *
schedules_check_cron(struct req *r, json_object *v)
{
	struct cron c;
	struct cron_error e;

	if (cron_parse(&c, json_object_get_string(v), &e) == 0)
		return NULL;
	return arena_printf(r->arena, "%s (%s, at character %d)", e.msg,
			    e.field, e.pos);
}

static const char *
schedules_check_zone(struct req *r, json_object *v)
{
	const char *why = NULL;

	if (tz_get(json_object_get_string(v), &why) != NULL)
		return NULL;
	return arena_printf(r->arena, "\"%.64s\" %s",
			    json_object_get_string(v), why);
}

/* {"targets": [uuid...], "groups": [uuid...], "tags": [string...]}, at
 * least one of them. */
static const char *
schedules_check_targets(struct req *r, json_object *v)
{
	int n = 0;

	json_object_object_foreach(v, key, val)
	{
		size_t i, len;
		int uuids = strcmp(key, "tags") != 0;

		if (strcmp(key, "targets") != 0 && strcmp(key, "groups") != 0 &&
		    strcmp(key, "tags") != 0)
			return arena_printf(r->arena,
					    "may only have targets, groups "
					    "and tags (not \"%.64s\")",
					    key);
		if (val == NULL || !json_object_is_type(val, json_type_array))
			return arena_printf(r->arena, "%s must be an array",
					    key);
		len = json_object_array_length(val);
		if (len > SCHEDULES_TARGETS_MAX)
			return arena_printf(r->arena,
					    "%s has more than %d items", key,
					    SCHEDULES_TARGETS_MAX);
		for (i = 0; i < len; i++) {
			json_object *e = json_object_array_get_idx(val, i);

			if (e == NULL ||
			    !json_object_is_type(e, json_type_string) ||
			    (uuids && !valid_uuid(json_object_get_string(e))) ||
			    (!uuids && (json_object_get_string_len(e) < 1 ||
					json_object_get_string_len(e) > 64)))
				return arena_printf(
					r->arena, "%s[%zu] must be %s", key, i,
					uuids ? "an id (uuid)"
					      : "a tag of 1 to 64 characters");
		}
		n++;
	}
	if (n == 0)
		return "must have at least one of targets, groups and tags";
	return NULL;
}

static const char *
schedules_id(struct req *r)
{
	const char *id = req_param(r, "id");
	char *s, *p;

	if (id == NULL || !valid_uuid(id))
		return NULL;
	s = arena_strdup(r->arena, id);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static json_object *
schedules_json(struct req *r, const PGresult *res, int row)
{
	json_object *o = json_tokener_parse(PQgetvalue(res, row, SCHED_SQL_JSON));

	(void)r;
	if (o == NULL)
		o = json_object_new_object();
	return o;
}

static int
schedules_reply(struct req *r, int status, const PGresult *res)
{
	char tag[32];

	snprintf(tag, sizeof(tag), "\"%s\"",
		 PQgetvalue(res, 0, SCHED_SQL_VERSION));
	req_header_add(r, "ETag", tag);
	return req_reply(r, status, schedules_json(r, res, 0));
}

/* t[0] the database's now, t[1] start, t[2] end (-1 when NULL), epoch
 * seconds. */
static int
schedules_times_or_problem(struct req *r, const char *start, const char *end,
			   long long t[3])
{
	PGresult *res = db_query_or_problem(r, &sched_sql_times,
					    DB_PARAMS(start, end));
	int i;

	if (res == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		t[i] = db_value(res, 0, i) == NULL
			   ? -1
			   : strtoll(db_value(res, 0, i), NULL, 10);
	if (t[1] >= 0 && t[2] >= 0 && t[2] <= t[1])
		return problem_field(r, "end_at", "must be after start_at"),
		       -1;
	return 0;
}

/* The first fire time after now (and not before start_at), or none when
 * it would be after end_at. */
static int
schedules_next_or_problem(struct req *r, struct sched_vals *v)
{
	long long t[3], after, next;
	struct cron c;
	struct cron_error e;
	const struct tz *z = tz_get(v->zone, NULL);

	if (schedules_times_or_problem(r, v->start, v->end, t) < 0)
		return -1;
	if (z == NULL || cron_parse(&c, v->cron, &e) != 0)
		return problem(r, PROBLEM_VALIDATION,
			       "The cron expression or time zone is not "
			       "valid."),
		       -1;
	after = t[0];
	if (t[1] >= 0 && t[1] - 1 > after)
		after = t[1] - 1;
	next = cron_next(&c, z, after);
	v->has_next = next >= 0 && (t[2] < 0 || next <= t[2]);
	snprintf(v->next, sizeof(v->next), "%lld", next);
	return 0;
}

/* Validates params against the job's current version and fills v: the
 * plain values, and the secret ones sealed bound to "schedule:<id>" (every
 * run of the schedule carries that blob; only the worker can open it). */
static int
schedules_params_or_problem(struct req *r, const char *job,
			    json_object *params, const char *id,
			    struct sched_vals *v)
{
	PGresult *res = db_query_or_problem(r, &sched_sql_job, DB_PARAMS(job));
	json_object *def, *plain = NULL, *secret = NULL;

	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
		return problem_field(r, "job_id", "is not an existing job"), -1;
	def = req_own(r, json_tokener_parse(PQgetvalue(res, 0, 1)));
	if (jobparams_validate_or_problem(r, def, params, &plain,
					  &secret) < 0)
		return -1;
	v->params = arena_strdup(r->arena, json_object_to_json_string_ext(
						   plain, JSON_C_TO_STRING_PLAIN));
	v->secret = v->binding = v->key_version = NULL;
	if (secret != NULL && json_object_object_length(secret) > 0) {
		const char *aad = arena_printf(r->arena, "schedule:%s", id);
		struct sealed sd;

		if (sealed_json_or_problem(r, aad, secret,
					   "secret parameters", &sd) < 0)
			return -1;
		v->secret = arena_printf(r->arena, "\\x%s", sd.hex);
		v->binding = aad;
		snprintf(v->kv, sizeof(v->kv), "%s", sd.version);
		v->key_version = v->kv;
	}
	return 0;
}

static PGresult *
schedules_lock_or_problem(struct req *r, const char *id)
{
	PGresult *res;

	if (id == NULL) {
		problem(r, PROBLEM_NOT_FOUND, "There is no such schedule.");
		return NULL;
	}
	if (db_begin_or_problem(r) < 0)
		return NULL;
	res = db_query_or_problem(r, &sched_sql_lock, DB_PARAMS(id));
	if (res == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		problem(r, PROBLEM_NOT_FOUND, "There is no such schedule.");
		return NULL;
	}
	if (req_if_match_or_problem(r, PQgetvalue(res, 0, SCHED_SQL_VERSION)) <
	    0)
		return NULL;
	return res;
}

int
schedules_list(struct req *r)
{
	struct page p;
	PGresult *res;
	long long total;
	json_object *items;
	int i;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	{
		const char *const params[] = {req_query(r, "job_id"),
					      req_query(r, "enabled"), p.lim,
					      p.off};

		res = db_query_or_problem(r, &sched_sql_list, params);
		if (res == NULL)
			return r->status;
		total = page_total_or_problem(r, &p, res, &sched_sql_count,
					      params);
	}
	if (total < 0)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, schedules_json(r, res, i));
	return page_reply(r, items, total, &p);
}

int
schedules_create(struct req *r)
{
	json_object *b = r->body, *params = NULL;
	struct sched_vals v;
	PGresult *res;
	const char *id, *job = valid_str(b, "job_id");

	memset(&v, 0, sizeof(v));
	v.description = valid_str(b, "description");
	if (v.description == NULL)
		v.description = "";
	json_object_object_get_ex(b, "params", &params);
	if (params != NULL && !json_object_is_type(params, json_type_object))
		params = NULL;
	{
		json_object *t = NULL;

		json_object_object_get_ex(b, "targets", &t);
		v.targets = t != NULL ? arena_strdup(r->arena,
						     json_object_to_json_string_ext(
							     t, JSON_C_TO_STRING_PLAIN))
				      : NULL;
	}
	v.cron = valid_str(b, "cron");
	v.zone = valid_str(b, "time_zone");
	v.enabled = valid_bool(b, "enabled", 1) ? "t" : "f";
	v.start = valid_str(b, "start_at");
	v.end = valid_str(b, "end_at");
	v.overlap = valid_has(b, "overlap_policy")
			? valid_str(b, "overlap_policy")
			: "skip";
	v.misfire = valid_has(b, "misfire_policy")
			? valid_str(b, "misfire_policy")
			: "run_once";
	if (schedules_next_or_problem(r, &v) < 0)
		return r->status;
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sched_sql_new_id, NULL);
	if (res == NULL)
		return r->status;
	id = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
	if (schedules_params_or_problem(r, job, params, id, &v) < 0)
		return r->status;
	res = db_query_or_problem(
		r, &sched_sql_insert,
		DB_PARAMS(id, job, v.description, v.params, v.secret, v.binding,
			  v.key_version, v.targets, v.cron, v.zone, v.enabled,
			  v.start, v.end, v.overlap, v.misfire,
			  v.has_next ? v.next : NULL,
			  r->who.user_id[0] ? r->who.user_id : NULL,
			  r->who.username[0] ? r->who.username : "system"));
	if (res == NULL)
		return r->status;
	if (audit_or_problem(r, "schedule.create", "schedule", id, NULL,
			     req_own(r, schedules_json(r, res, 0))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(r, "Location",
		       arena_printf(r->arena, "/api/v1/schedules/%s", id));
	return schedules_reply(r, 201, res);
}

int
schedules_get(struct req *r)
{
	const char *id = schedules_id(r);
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such schedule.");
	res = db_query_or_problem(r, &sched_sql_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such schedule.");
	return schedules_reply(r, 200, res);
}

int
schedules_patch(struct req *r)
{
	json_object *b = r->body, *params = NULL;
	const char *id = schedules_id(r);
	PGresult *cur, *res;
	struct sched_vals v;
	int retime;

	cur = schedules_lock_or_problem(r, id);
	if (cur == NULL)
		return r->status;
	memset(&v, 0, sizeof(v));
#define SCHED_PICK(key, col)                                                   \
	(valid_has(b, key) ? valid_str(b, key) : db_value(cur, 0, col))
	v.description = SCHED_PICK("description", SCHED_SQL_DESCRIPTION);
	if (v.description == NULL)
		v.description = "";
	v.cron = SCHED_PICK("cron", SCHED_SQL_CRON);
	v.zone = SCHED_PICK("time_zone", SCHED_SQL_TIME_ZONE);
	v.start = SCHED_PICK("start_at", SCHED_SQL_START);
	v.end = SCHED_PICK("end_at", SCHED_SQL_END);
	v.overlap = SCHED_PICK("overlap_policy", SCHED_SQL_OVERLAP);
	v.misfire = SCHED_PICK("misfire_policy", SCHED_SQL_MISFIRE);
#undef SCHED_PICK
	v.enabled = valid_has(b, "enabled")
			? (valid_bool(b, "enabled", 1) ? "t" : "f")
			: db_value(cur, 0, SCHED_SQL_ENABLED);
	if (valid_has(b, "targets")) {
		json_object *t = NULL;

		json_object_object_get_ex(b, "targets", &t);
		v.targets = t != NULL ? arena_strdup(r->arena,
						     json_object_to_json_string_ext(
							     t, JSON_C_TO_STRING_PLAIN))
				      : NULL;
	} else {
		v.targets = db_value(cur, 0, SCHED_SQL_TARGETS);
	}
	/* A new expression, zone, window or (re-)enabling counts from now:
	 * fire times while paused are not misfires. */
	retime = valid_has(b, "cron") || valid_has(b, "time_zone") ||
		 valid_has(b, "start_at") || valid_has(b, "end_at") ||
		 (valid_has(b, "enabled") && valid_bool(b, "enabled", 1));
	if (schedules_next_or_problem(r, &v) < 0)
		return r->status;
	if (valid_has(b, "params")) {
		json_object_object_get_ex(b, "params", &params);
		if (schedules_params_or_problem(
			    r, db_value(cur, 0, SCHED_SQL_JOB_ID), params, id,
			    &v) < 0)
			return r->status;
	} else {
		v.params = db_value(cur, 0, SCHED_SQL_PARAMS);
		v.secret = db_value(cur, 0, SCHED_SQL_SECRET);
		v.binding = db_value(cur, 0, SCHED_SQL_BINDING);
		v.key_version = db_value(cur, 0, SCHED_SQL_KEY_VERSION);
	}
	res = db_query_or_problem(
		r, &sched_sql_update,
		DB_PARAMS(id, retime ? "t" : "f", v.description, v.params,
			  v.secret, v.binding, v.key_version, v.targets, v.cron,
			  v.zone, v.enabled, v.start, v.end, v.overlap,
			  v.misfire, v.has_next ? v.next : NULL,
			  r->who.user_id[0] ? r->who.user_id : NULL,
			  r->who.username[0] ? r->who.username : "system"));
	if (res == NULL)
		return r->status;
	if (audit_or_problem(r, "schedule.update", "schedule", id,
			     req_own(r, schedules_json(r, cur, 0)),
			     req_own(r, schedules_json(r, res, 0))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return schedules_reply(r, 200, res);
}

int
schedules_delete(struct req *r)
{
	const char *id = schedules_id(r);
	PGresult *cur = schedules_lock_or_problem(r, id);

	if (cur == NULL)
		return r->status;
	if (db_query_or_problem(r, &sched_sql_delete, DB_PARAMS(id)) == NULL ||
	    audit_or_problem(r, "schedule.delete", "schedule", id,
			     req_own(r, schedules_json(r, cur, 0)), NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}

/* Replies {cron, time_zone, fire_times: [{local, utc}]}: up to count fire
 * times after `after`, none after end (-1: no end). */
static int
schedules_fire_list(struct req *r, const char *cronx, const char *zone,
		    long long after, long long end, int count)
{
	struct cron c;
	struct cron_error e;
	const struct tz *z = tz_get(zone, NULL);
	json_object *o, *list;
	long long t = after;
	int i;

	if (z == NULL || cron_parse(&c, cronx, &e) != 0)
		return problem(r, PROBLEM_VALIDATION,
			       "The cron expression or time zone is not "
			       "valid.");
	o = json_object_new_object();
	list = json_object_new_array();
	json_object_object_add(o, "cron", json_object_new_string(cronx));
	json_object_object_add(o, "time_zone", json_object_new_string(zone));
	for (i = 0; i < count; i++) {
		char local[TZ_STRLEN], utc[TZ_STRLEN];
		json_object *f;

		t = cron_next(&c, z, t);
		if (t < 0 || (end >= 0 && t > end))
			break;
		tz_format(t, tz_offset(z, t, NULL), local, sizeof(local));
		tz_format(t, 0, utc, sizeof(utc));
		f = json_object_new_object();
		json_object_object_add(f, "local", json_object_new_string(local));
		json_object_object_add(f, "utc", json_object_new_string(utc));
		json_object_array_add(list, f);
	}
	json_object_object_add(o, "fire_times", list);
	return req_reply(r, 200, o);
}

int
schedules_preview_saved(struct req *r)
{
	const char *id = schedules_id(r);
	PGresult *res;
	long long now, start, end, after;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such schedule.");
	res = db_query_or_problem(r, &sched_sql_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such schedule.");
	now = strtoll(PQgetvalue(res, 0, SCHED_SQL_NOW_EPOCH), NULL, 10);
	start = db_value(res, 0, SCHED_SQL_START_EPOCH) != NULL
			? strtoll(db_value(res, 0, SCHED_SQL_START_EPOCH),
				  NULL, 10)
			: -1;
	end = db_value(res, 0, SCHED_SQL_END_EPOCH) != NULL
		      ? strtoll(db_value(res, 0, SCHED_SQL_END_EPOCH), NULL,
				10)
		      : -1;
	after = start >= 0 && start - 1 > now ? start - 1 : now;
	return schedules_fire_list(
		r, PQgetvalue(res, 0, SCHED_SQL_CRON),
		PQgetvalue(res, 0, SCHED_SQL_TIME_ZONE), after, end,
		(int)valid_query_int(r, "count", SCHEDULES_PREVIEW_DEFAULT));
}

int
schedules_preview(struct req *r)
{
	json_object *b = r->body;
	long long t[3], after;

	if (schedules_times_or_problem(r, valid_str(b, "start_at"),
				       valid_str(b, "end_at"), t) < 0)
		return r->status;
	after = t[1] >= 0 && t[1] - 1 > t[0] ? t[1] - 1 : t[0];
	return schedules_fire_list(
		r, valid_str(b, "cron"), valid_str(b, "time_zone"), after, t[2],
		(int)valid_int(b, "count", SCHEDULES_PREVIEW_DEFAULT));
}
