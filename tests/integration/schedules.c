/* Schedules through nginx: create, read, list, change with ETag/If-Match,
 * pause, delete, the audit, roles, previews in a zone across DST, secret
 * parameters never returned, and a table of bad input, each a 422 with
 * the field named. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"

static const char *job_id;

struct bad_case {
	const char *why;
	const char *body; /* @JOB@: the job id */
	long status;
	const char *slug;
	const char *field; /* NULL: no per-field check */
};

static const struct bad_case bads[] = {
	{"cron missing", "{\"job_id\":\"@JOB@\",\"time_zone\":\"UTC\"}", 422,
	 "validation", "cron"},
	{"time zone missing", "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\"}",
	 422, "validation", "time_zone"},
	{"job missing", "{\"cron\":\"* * * * *\",\"time_zone\":\"UTC\"}",
	 422, "validation", "job_id"},
	{"four fields",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * *\",\"time_zone\":\"UTC\"}", 422,
	 "validation", "cron"},
	{"minute 60",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"60 * * * *\",\"time_zone\":\"UTC\"}",
	 422, "validation", "cron"},
	{"reversed range",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"0 5-1 * * *\",\"time_zone\":\"UTC\"}",
	 422, "validation", "cron"},
	{"step 0",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"*/0 * * * *\",\"time_zone\":\"UTC\"}",
	 422, "validation", "cron"},
	{"unknown month name",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"0 0 1 foo *\",\"time_zone\":\"UTC\"}",
	 422, "validation", "cron"},
	{"unknown shorthand",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"@fortnightly\",\"time_zone\":\"UTC\"}",
	 422, "validation", "cron"},
	{"April 31 never fires",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"0 0 31 4 *\",\"time_zone\":\"UTC\"}",
	 422, "validation", "cron"},
	{"cron not a string",
	 "{\"job_id\":\"@JOB@\",\"cron\":5,\"time_zone\":\"UTC\"}", 422,
	 "validation", "cron"},
	{"unknown zone",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":"
	 "\"Mars/Olympus\"}",
	 422, "validation", "time_zone"},
	{"zone path escape",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":"
	 "\"../../etc/passwd\"}",
	 422, "validation", "time_zone"},
	{"bad overlap policy",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"overlap_policy\":\"sometimes\"}",
	 422, "validation", "overlap_policy"},
	{"bad misfire policy",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"misfire_policy\":\"all\"}",
	 422, "validation", "misfire_policy"},
	{"end before start",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"start_at\":\"2030-01-02T00:00:00Z\",\"end_at\":"
	 "\"2030-01-01T00:00:00Z\"}",
	 422, "validation", "end_at"},
	{"bad timestamp",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"start_at\":\"tomorrow\"}",
	 422, "validation", "start_at"},
	{"no such job",
	 "{\"job_id\":\"" NOID "\",\"cron\":\"* * * * *\",\"time_zone\":"
	 "\"UTC\"}",
	 422, "validation", "job_id"},
	{"unknown parameter",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"params\":{\"host\":\"a\",\"nope\":1}}",
	 422, "validation", "params.nope"},
	{"required parameter missing",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"params\":{}}",
	 422, "validation", "params.host"},
	{"parameter of the wrong type",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"params\":{\"host\":\"a\",\"count\":\"x\"}}",
	 422, "validation", "params.count"},
	{"targets with an unknown key",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"params\":{\"host\":\"a\"},\"targets\":{\"hosts\":[]}}",
	 422, "validation", "targets"},
	{"unknown field",
	 "{\"job_id\":\"@JOB@\",\"cron\":\"* * * * *\",\"time_zone\":\"UTC\","
	 "\"color\":\"red\"}",
	 422, "validation", "color"},
	{"not JSON", "{\"job_id\":\"@JOB@\",", 400, "invalid-json", NULL},
};

/* body with @JOB@ replaced by the job id. */
static const char *
with_job(const char *body)
{
	const char *at = strstr(body, "@JOB@");

	if (at == NULL)
		return body;
	return tc_printf("%.*s%s%s", (int)(at - body), body, job_id, at + 5);
}

static void
test_bad_input(const char *tok)
{
	size_t i;
	long long before = tc_db_count("SELECT count(*) FROM "
				       "automation.schedules",
				       NULL);

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct tc_res *r = tc_req("POST", "/api/v1/schedules", tok,
					  with_job(bads[i].body));

		tc_problem_is(r, bads[i].status, bads[i].slug, "%s",
			      bads[i].why);
		if (bads[i].field != NULL &&
		    !ok(tc_has_field_error(r, bads[i].field),
			"%s: the error names %s", bads[i].why, bads[i].field))
			diag("%s", tc_str(r, "errors.0.field"));
	}
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.schedules", NULL),
	       "==", before, "bad input created nothing");
}

int
main(void)
{
	struct tc_user *op, *viewer;
	struct tc_res *r;
	const char *tok, *id, *etag;
	const char *hdr[2] = {NULL, NULL};
	struct tc_opt opt;

	tc_init(51);
	op = tc_new_user("schop", "operator");
	viewer = tc_new_user("schview", "viewer");
	if (op == NULL || op->token == NULL || viewer == NULL ||
	    viewer->token == NULL)
		BAIL_OUT("cannot create users");
	tok = op->token;
	job_id = tc_db_value(
		"INSERT INTO automation.jobs (name) VALUES ($1) RETURNING id",
		tc_name("schedjob"), NULL);
	tc_db_exec("INSERT INTO automation.job_versions (job_id, version, "
		   "definition) VALUES ($1, 1, '{\"parameters\": ["
		   "{\"name\": \"host\", \"type\": \"string\", \"required\": "
		   "true}, {\"name\": \"count\", \"type\": \"integer\"}, "
		   "{\"name\": \"token\", \"type\": \"secret\"}], \"steps\": "
		   "[{\"id\": \"noop\", \"type\": \"local.noop\"}]}')",
		   job_id, NULL);
	if (job_id == NULL)
		BAIL_OUT("cannot create the job");

	/* Create: Berlin, daily 02:30, with a secret parameter. */
	r = tc_req("POST", "/api/v1/schedules", tok,
		   tc_printf("{\"job_id\":\"%s\",\"cron\":\"30 2 * * *\","
			     "\"time_zone\":\"Europe/Berlin\",\"description\":"
			     "\"nightly\",\"params\":{\"host\":\"db1\","
			     "\"count\":3,\"token\":\"s3cr3t-value\"},"
			     "\"overlap_policy\":\"queue\"}",
			     job_id));
	tc_status_is(r, 201, "create a schedule");
	id = tc_str(r, "id");
	etag = tc_header(r, "ETag");
	ok(etag != NULL, "with an ETag");
	ok(tc_header(r, "Location") != NULL, "and a Location");
	is(tc_str(r, "params.host"), "db1", "plain parameters are shown");
	ok(tc_str(r, "params.token") == NULL, "the secret one is not");
	is(tc_str(r, "has_secret_params"), "true", "but is said to be set");
	is(tc_str(r, "overlap_policy"), "queue", "overlap policy");
	is(tc_str(r, "misfire_policy"), "run_once", "misfire default");
	like(tc_str(r, "next_fire_at"), "^20[0-9-]+T(00|01):30:00Z$",
	     "next fire time is 02:30 Berlin time in UTC");
	ok(tc_db_count("SELECT count(*) FROM automation.schedules WHERE id = "
		       "$1 AND secret_params IS NOT NULL AND position("
		       "'s3cr3t' IN encode(secret_params, 'escape')) = 0 AND "
		       "secret_binding = 'schedule:' || id",
		       id, NULL) == 1,
	   "the secret is sealed, bound to the schedule");
	ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
		       "entity_id = $1 AND action = 'schedule.create' AND "
		       "position('s3cr3t' IN coalesce(after::text, '')) = 0",
		       id, NULL) == 1,
	   "creation audited without the secret");

	/* Read and list, as a viewer too. */
	r = tc_get(viewer->token, "/api/v1/schedules/%s", id);
	tc_status_is(r, 200, "a viewer reads it");
	is(tc_str(r, "cron"), "30 2 * * *", "cron");
	r = tc_get(viewer->token, "/api/v1/schedules?job_id=%s", job_id);
	tc_status_is(r, 200, "list by job");
	cmp_ok(tc_int(r, "total", -1), "==", 1, "one schedule of the job");
	r = tc_req("POST", "/api/v1/schedules", viewer->token,
		   tc_printf("{\"job_id\":\"%s\",\"cron\":\"* * * * *\","
			     "\"time_zone\":\"UTC\"}",
			     job_id));
	tc_problem_is(r, 403, "forbidden", "a viewer cannot create");
	r = tc_req("DELETE", tc_printf("/api/v1/schedules/%s", id),
		   viewer->token, NULL);
	tc_problem_is(r, 403, "forbidden", "a viewer cannot delete");

	/* Preview of the saved schedule. */
	r = tc_get(viewer->token, "/api/v1/schedules/%s/preview?count=3", id);
	tc_status_is(r, 200, "preview");
	like(tc_str(r, "fire_times.0.local"), "T02:30:00\\+0[12]:00$",
	     "local time 02:30 with the offset");
	ok(tc_str(r, "fire_times.2.utc") != NULL &&
		   tc_str(r, "fire_times.3.utc") == NULL,
	   "count=3 gives three");
	r = tc_get(viewer->token, "/api/v1/schedules/%s/preview?count=0", id);
	tc_problem_is(r, 422, "validation", "count 0 refused");

	/* Unsaved preview across New York's 2030 spring-forward
	 * (2030-03-10 02:00 EST -> 03:00 EDT). */
	r = tc_req("POST", "/api/v1/schedules/preview", viewer->token,
		   "{\"cron\":\"30 2 * * *\",\"time_zone\":\"America/New_York\","
		   "\"start_at\":\"2030-03-09T00:00:00Z\",\"count\":3}");
	tc_status_is(r, 200, "preview of an unsaved expression");
	is(tc_str(r, "fire_times.0.utc"), "2030-03-09T07:30:00Z",
	   "the day before: 02:30 EST");
	is(tc_str(r, "fire_times.1.local"), "2030-03-10T03:00:00-04:00",
	   "the missing 02:30 fires at 03:00 EDT");
	is(tc_str(r, "fire_times.2.local"), "2030-03-11T02:30:00-04:00",
	   "then 02:30 EDT");
	r = tc_req("POST", "/api/v1/schedules/preview", viewer->token,
		   "{\"cron\":\"0 0 * * * *\",\"time_zone\":\"UTC\"}");
	tc_problem_is(r, 422, "validation", "preview: six fields refused");
	like(tc_str(r, "errors.0.message"), "five|field", "saying why");
	r = tc_req("POST", "/api/v1/schedules/preview", viewer->token,
		   "{\"cron\":\"0 0 * * *\",\"time_zone\":\"Nowhere/City\"}");
	tc_problem_is(r, 422, "validation", "preview: unknown zone refused");
	ok(tc_has_field_error(r, "time_zone"), "naming time_zone");

	/* Change with If-Match; a stale tag is refused. */
	hdr[0] = tc_printf("If-Match: %s", etag);
	memset(&opt, 0, sizeof(opt));
	opt.headers = hdr;
	r = tc_req_opt("PATCH", tc_printf("/api/v1/schedules/%s", id), tok,
		       "{\"cron\":\"0 */6 * * *\",\"time_zone\":\"UTC\","
		       "\"enabled\":false}",
		       &opt);
	tc_status_is(r, 200, "change with the current ETag");
	is(tc_str(r, "enabled"), "false", "paused");
	is(tc_str(r, "has_secret_params"), "true",
	   "the secret stays when params are not sent");
	like(tc_str(r, "next_fire_at"), "T(00|06|12|18):00:00Z$",
	     "next fire time recomputed");
	cmp_ok(tc_int(r, "version", 0), "==", 2, "version moved on");
	r = tc_req_opt("PATCH", tc_printf("/api/v1/schedules/%s", id), tok,
		       "{\"description\":\"late\"}", &opt);
	tc_problem_is(r, 412, "precondition-failed", "stale ETag refused");
	r = tc_req("PATCH", tc_printf("/api/v1/schedules/%s", id), tok,
		   "{\"cron\":\"61 * * * *\"}");
	tc_problem_is(r, 422, "validation", "patch: bad cron refused");
	ok(tc_has_field_error(r, "cron"), "naming cron");
	r = tc_req("PATCH", tc_printf("/api/v1/schedules/%s", id), tok,
		   "{\"job_id\":\"" NOID "\"}");
	tc_problem_is(r, 422, "validation", "patch: the job is fixed");
	ok(tc_has_field_error(r, "job_id"), "naming job_id");
	r = tc_req("PATCH", tc_printf("/api/v1/schedules/%s", id), tok,
		   "{\"params\":{\"host\":\"db2\"}}");
	tc_status_is(r, 200, "new params replace the old");
	is(tc_str(r, "has_secret_params"), "false", "secret gone");
	is(tc_str(r, "params.host"), "db2", "new host");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "entity_id = $1 AND action = 'schedule.update'",
			   id, NULL),
	       "==", 2, "changes audited");
	r = tc_get(tok, "/api/v1/schedules/%s", NOID);
	tc_problem_is(r, 404, "not-found", "unknown id");
	r = tc_get(tok, "/api/v1/schedules/not-a-uuid");
	tc_problem_is(r, 404, "not-found", "malformed id");

	test_bad_input(tok);

	/* Delete. */
	r = tc_req("DELETE", tc_printf("/api/v1/schedules/%s", id), tok, NULL);
	tc_status_is(r, 204, "delete");
	r = tc_get(tok, "/api/v1/schedules/%s", id);
	tc_problem_is(r, 404, "not-found", "gone");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "entity_id = $1 AND action = 'schedule.delete'",
			   id, NULL),
	       "==", 1, "delete audited");
	tc_done();
	return done_testing();
}
