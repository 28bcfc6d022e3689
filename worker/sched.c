/* The scheduler: fires due schedules (automation.schedules) exactly once
 * however many workers run, with the overlap and misfire policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cron.h"
#include "db.h"
#include "log.h"
#include "sched.h"
#include "tz.h"

/* Due schedules, earliest first, through the schedules_due index. A run
 * of the schedule still queued or running makes it "active" (overlap). */
static const struct db_stmt sched_claim_stmt = {
	"sched_claim",
	"SELECT s.id, s.cron, s.time_zone, "
	"floor(extract(epoch FROM s.next_fire_at))::bigint, "
	"floor(extract(epoch FROM s.end_at))::bigint, s.overlap_policy, "
	"s.misfire_policy, "
	"(SELECT coalesce(json_agg(floor(extract(epoch FROM p))::bigint), "
	"'[]') FROM unnest(s.pending_fires) p)::text, "
	"EXISTS (SELECT 1 FROM automation.runs r WHERE r.schedule_id = s.id "
	"AND r.state IN ('queued', 'running')), "
	"floor(extract(epoch FROM now()))::bigint "
	"FROM automation.schedules s "
	"WHERE s.enabled AND least(s.next_fire_at, s.wake_at) <= now() "
	"ORDER BY least(s.next_fire_at, s.wake_at) LIMIT $1::int "
	"FOR UPDATE OF s SKIP LOCKED",
	1};
/* $1: [{"s": schedule id, "f": fire time (epoch)}]. A fire time that
 * already has its run (next_fire_at set back by hand) is not run again;
 * the schedule's row lock keeps other schedulers out meanwhile. */
static const struct db_stmt sched_runs_stmt = {
	"sched_runs",
	"SELECT count(automation.run_create(NULL, s.job_id, s.params, "
	"s.secret_params, s.secret_binding, s.key_version, s.targets, "
	"'schedule', NULL, 'scheduler', s.id, to_timestamp(x.f), NULL)) "
	"FROM jsonb_to_recordset($1::jsonb) AS x(s uuid, f bigint) "
	"JOIN automation.schedules s ON s.id = x.s "
	"WHERE NOT EXISTS (SELECT 1 FROM automation.runs r WHERE "
	"r.schedule_id = x.s AND r.fire_time = to_timestamp(x.f))",
	1};
/* $1: [{"s": id, "n": next or null, "p": [pending], "lf": last fire or
 * null, "fc": runs created, "sc": fire times skipped}] */
static const struct db_stmt sched_advance_stmt = {
	"sched_advance",
	"UPDATE automation.schedules s SET "
	"next_fire_at = to_timestamp(x.n), wake_at = NULL, "
	"pending_fires = ARRAY(SELECT to_timestamp(e::bigint) FROM "
	"jsonb_array_elements_text(x.p) e), "
	"last_fire_at = coalesce(to_timestamp(x.lf), s.last_fire_at), "
	"last_run_id = coalesce((SELECT r.id FROM automation.runs r WHERE "
	"r.schedule_id = s.id AND r.fire_time = to_timestamp(x.lf)), "
	"s.last_run_id), "
	"fired_count = s.fired_count + x.fc, "
	"skipped_count = s.skipped_count + x.sc "
	"FROM jsonb_to_recordset($1::jsonb) AS x(s uuid, n bigint, p jsonb, "
	"lf bigint, fc int, sc int) WHERE s.id = x.s",
	1};
/* Milliseconds until the earliest enabled schedule is due. */
static const struct db_stmt sched_next_stmt = {
	"sched_next",
	"SELECT ceil(extract(epoch FROM least(next_fire_at, wake_at) - "
	"clock_timestamp()) * 1000)::bigint FROM automation.schedules "
	"WHERE enabled AND least(next_fire_at, wake_at) IS NOT NULL "
	"ORDER BY least(next_fire_at, wake_at) LIMIT 1",
	0};

/* When the earliest schedule was last seen to be due (CLOCK_MONOTONIC
 * ms); 0: look now. */
static int64_t sched_due_mono;

static int64_t sched_mono_ms(void);
static void sched_fire_one(struct sched_item *it, int64_t f);
static int64_t sched_epoch(const PGresult *res, int row, int col);
static int sched_batch(struct db *db, int *claimed);

static int64_t
sched_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One intended fire time f, by the overlap policy. */
static void
sched_fire_one(struct sched_item *it, int64_t f)
{
	if (it->end >= 0 && f > it->end)
		return;
	if (!it->active || it->overlap == 'a') {
		it->runs[it->nruns++] = f;
		it->active = 1;
	} else if (it->overlap == 'q' && it->npending < SCHED_PENDING_MAX) {
		it->pending[it->npending++] = f;
	} else {
		it->skipped++;
	}
}

void
sched_decide(struct sched_item *it, const struct cron *c,
	     const struct tz *z)
{
	int64_t f = it->next;
	int guard;

	it->nruns = 0;
	it->skipped = 0;
	/* A fire time waiting behind a run that has ended goes first. */
	if (!it->active && it->npending > 0) {
		it->runs[it->nruns++] = it->pending[0];
		memmove(it->pending, it->pending + 1,
			(size_t)(it->npending - 1) * sizeof(it->pending[0]));
		it->npending--;
		it->active = 1;
	}
	if (f < 0 || f > it->now)
		return;
	if (it->now - f > SCHED_MISFIRE_GRACE) {
		/* Missed while no worker was up: run_once stands in for all
		 * of them with the first one's fire time. */
		int64_t first = cron_next(c, z, it->now - SCHED_MISFIRE_GRACE - 1);
		int64_t g = f;

		if (it->misfire == 'r') {
			sched_fire_one(it, f);
			g = cron_next(c, z, f);
		}
		for (guard = 0; g >= 0 && g < first && guard < 100000; guard++) {
			if (it->end < 0 || g <= it->end)
				it->skipped++;
			g = cron_next(c, z, g);
		}
		f = first;
	}
	/* Late by less than the grace: each fire time fires. */
	for (guard = 0; f >= 0 && f <= it->now && guard < 1000; guard++) {
		sched_fire_one(it, f);
		f = cron_next(c, z, f);
	}
	if (f >= 0 && it->end >= 0 && f > it->end)
		f = -1;
	it->next = f;
}

static int64_t
sched_epoch(const PGresult *res, int row, int col)
{
	const char *v = db_value(res, row, col);

	return v == NULL ? -1 : strtoll(v, NULL, 10);
}

/* One claim transaction. Returns 0 or -1; *claimed gets the count. */
static int
sched_batch(struct db *db, int *claimed)
{
	PGresult *res = NULL, *r2;
	json_object *runs = json_object_new_array();
	json_object *adv = json_object_new_array();
	char lim[16];
	int i, n, rc = -1;
	int64_t nruns = 0;

	*claimed = 0;
	if (db_command(db, "BEGIN") < 0)
		goto out;
	snprintf(lim, sizeof(lim), "%d", SCHED_CLAIM_MAX);
	res = db_exec(db, &sched_claim_stmt, DB_PARAMS(lim), NULL);
	if (res == NULL)
		goto fail;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		struct sched_item it;
		struct cron c;
		struct cron_error ce;
		const struct tz *z = tz_get(db_value(res, i, 2), NULL);
		const char *id = db_value(res, i, 0);
		json_object *pend, *o, *p;
		int64_t lf = -1;
		int k;

		memset(&it, 0, sizeof(it));
		it.next = sched_epoch(res, i, 3);
		it.end = sched_epoch(res, i, 4);
		it.overlap = db_value(res, i, 5)[0];
		it.misfire = db_value(res, i, 6)[0];
		it.active = db_value(res, i, 8)[0] == 't';
		it.now = sched_epoch(res, i, 9);
		pend = json_tokener_parse(db_value(res, i, 7));
		for (k = 0; pend != NULL && k < (int)json_object_array_length(pend) &&
			    k < SCHED_PENDING_MAX;
		     k++)
			it.pending[it.npending++] = json_object_get_int64(
				json_object_array_get_idx(pend, (size_t)k));
		json_object_put(pend);
		if (z == NULL || cron_parse(&c, db_value(res, i, 1), &ce) != 0) {
			/* The API validates both; a zone removed from the
			 * host's tzdata stops the schedule, loudly. */
			log_msg(LOG_ERROR, NULL,
				"schedule %s: cannot compute fire times (zone "
				"\"%s\", cron \"%s\"); it has no next fire "
				"time until it is saved again",
				id, db_value(res, i, 2), db_value(res, i, 1));
			it.next = -1;
		} else {
			sched_decide(&it, &c, z);
		}
		o = json_object_new_object();
		p = json_object_new_array();
		for (k = 0; k < it.nruns; k++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "s", json_object_new_string(id));
			json_object_object_add(r, "f",
					       json_object_new_int64(it.runs[k]));
			json_object_array_add(runs, r);
			if (it.runs[k] > lf)
				lf = it.runs[k];
		}
		nruns += it.nruns;
		for (k = 0; k < it.npending; k++)
			json_object_array_add(p,
					      json_object_new_int64(it.pending[k]));
		json_object_object_add(o, "s", json_object_new_string(id));
		json_object_object_add(o, "n", it.next >= 0
						       ? json_object_new_int64(it.next)
						       : NULL);
		json_object_object_add(o, "p", p);
		json_object_object_add(o, "lf",
				       lf >= 0 ? json_object_new_int64(lf) : NULL);
		json_object_object_add(o, "fc", json_object_new_int(it.nruns));
		json_object_object_add(o, "sc",
				       json_object_new_int64(it.skipped));
		json_object_array_add(adv, o);
	}
	if (nruns > 0) {
		r2 = db_exec(db, &sched_runs_stmt,
			     DB_PARAMS(json_object_to_json_string_ext(
				     runs, JSON_C_TO_STRING_PLAIN)),
			     NULL);
		if (r2 == NULL)
			goto fail;
		PQclear(r2);
	}
	if (json_object_array_length(adv) > 0) {
		r2 = db_exec(db, &sched_advance_stmt,
			     DB_PARAMS(json_object_to_json_string_ext(
				     adv, JSON_C_TO_STRING_PLAIN)),
			     NULL);
		if (r2 == NULL)
			goto fail;
		PQclear(r2);
	}
	if (db_command(db, "COMMIT") < 0)
		goto out;
	*claimed = n;
	if (nruns > 0)
		log_msg(LOG_INFO, NULL, "scheduler: %d schedule(s) due, %lld "
			"run(s) created", n, (long long)nruns);
	rc = 0;
	goto out;
fail:
	db_command(db, "ROLLBACK");
out:
	if (res != NULL)
		PQclear(res);
	json_object_put(runs);
	json_object_put(adv);
	return rc;
}

int
sched_fire_due(struct db *db, int woken, int max_ms)
{
	int64_t now = sched_mono_ms(), ms;
	int claimed = 0;
	PGresult *res;

	if (!woken && sched_due_mono != 0 && now < sched_due_mono) {
		ms = sched_due_mono - now;
		return ms < max_ms ? (int)ms : max_ms;
	}
	if (db_ensure(db) < 0)
		return max_ms;
	if (sched_batch(db, &claimed) < 0) {
		sched_due_mono = 0;
		return max_ms < 1000 ? max_ms : 1000;
	}
	if (claimed == SCHED_CLAIM_MAX) {
		sched_due_mono = 0;
		return 0;
	}
	res = db_exec(db, &sched_next_stmt, NULL, NULL);
	if (res == NULL) {
		sched_due_mono = 0;
		return max_ms < 1000 ? max_ms : 1000;
	}
	if (PQntuples(res) == 0) {
		ms = max_ms;
	} else {
		ms = strtoll(db_value(res, 0, 0), NULL, 10);
		if (ms < 0)
			ms = 0;
	}
	PQclear(res);
	if (ms > max_ms)
		ms = max_ms;
	/* due now but just claimed by another worker: look again soon */
	if (ms == 0 && claimed == 0)
		ms = 20;
	sched_due_mono = ms == 0 ? 0 : now + ms;
	return (int)ms;
}
