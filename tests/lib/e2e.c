/* End-to-end test helpers through the real API (see e2e.h). */
#include <string.h>
#include <unistd.h>

#include "tests/lib/e2e.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

const char *
e2e_credential(const char *tok, const char *body)
{
	struct tc_res *r;

	r = tc_req("POST", "/api/v1/credentials", tok,
		   tc_printf("{\"name\":%s,%s", tc_quote(tc_name("e2ecred")),
			     body + 1));
	if (r->status != 201)
		BAIL_OUT("cannot create a credential: %ld %s", r->status,
			 r->body);
	return tc_str(r, "id");
}

const char *
e2e_target(const char *tok, const char *name, const char *extra)
{
	struct tc_res *r;

	r = tc_req("POST", "/api/v1/targets", tok,
		   tc_printf("{\"name\":%s%s}", tc_quote(name), extra));
	if (r->status != 201)
		BAIL_OUT("cannot create target %s: %ld %s", name, r->status,
			 r->body);
	return tc_str(r, "id");
}

const char *
e2e_conntest(const char *tok, const char *target)
{
	struct tc_res *r;
	const char *task, *st = NULL;
	int i;

	r = tc_req("POST", tc_printf("/api/v1/targets/%s/test", target), tok,
		   NULL);
	if (r->status != 202)
		BAIL_OUT("cannot start a connection test: %ld %s", r->status,
			 r->body);
	task = tc_str(r, "task_id");
	for (i = 0; i < 300; i++) {
		r = tc_get(tok, "/api/v1/targets/tests/%s", task);
		st = tc_str(r, "state");
		if (st != NULL && strcmp(st, "queued") != 0 &&
		    strcmp(st, "running") != 0)
			break;
		usleep(100 * 1000);
	}
	r = tc_get(tok, "/api/v1/targets/%s", target);
	return tc_str(r, "reachability");
}

const char *
e2e_job(const char *tok, const char *body)
{
	struct tc_res *r = tc_req("POST", "/api/v1/jobs", tok, body);

	if (r->status != 201)
		BAIL_OUT("cannot create a job: %ld %s", r->status, r->body);
	return tc_str(r, "id");
}

const char *
e2e_run(const char *tok, const char *job, const char *body)
{
	struct tc_res *r;

	r = tc_req("POST", tc_printf("/api/v1/jobs/%s/runs", job), tok, body);
	if (!tc_status_is(r, 201, "start a run of job %s", job))
		return NULL;
	return tc_str(r, "id");
}

const char *
e2e_wait(const char *tok, const char *run, int seconds)
{
	const char *st = NULL;
	int i;

	if (run == NULL)
		return "(no run)";
	/* The database every 50 ms (not the API: its rate limits), then
	 * the API's word. */
	for (i = 0; i < seconds * 20; i++) {
		st = tc_db_value("SELECT state FROM automation.runs WHERE id "
				 "= $1",
				 run, NULL);
		if (st != NULL && strcmp(st, "queued") != 0 &&
		    strcmp(st, "running") != 0)
			break;
		usleep(50 * 1000);
	}
	st = tc_str(tc_get(tok, "/api/v1/runs/%s", run), "state");
	return st != NULL ? st : "(none)";
}

const char *
e2e_last_event(void)
{
	const char *v = tc_db_value(
	    "SELECT coalesce(max(id), 0)::text FROM core.events", NULL);

	return v != NULL ? v : "0";
}
