/* Unit tests for the scheduler's decision per schedule: on time, late,
 * missed (misfire run_once/skip), overlap skip/queue/allow, waiting fire
 * times, the end date. */
#include <stdio.h>
#include <string.h>

#include "cron.h"
#include "tz.h"
#include "worker/sched.h"
#include "tests/lib/tap.h"

#define T 1798761600LL /* 2027-01-01T00:00:00Z */
#define H 3600LL

struct decide_case {
	const char *why;
	const char *cron;
	int64_t next, now, end;
	int active;
	char overlap, misfire;
	int npending; /* pending[] = T - 100 - i */
	/* expected */
	int nruns;
	int64_t runs[3];
	int64_t skipped;
	int64_t want_next;
	int want_pending;
};

static const struct decide_case cases[] = {
	{"on time", "0 * * * *", T, T, -1, 0, 'a', 'r', 0, 1, {T}, 0, T + H,
	 0},
	{"late by 30 s: still fires", "0 * * * *", T, T + 30, -1, 0, 'a', 'r',
	 0, 1, {T}, 0, T + H, 0},
	{"not due yet", "0 * * * *", T, T - 1, -1, 0, 'a', 'r', 0, 0, {0}, 0,
	 T, 0},
	{"two fire times within the grace", "* * * * *", T, T + 60, -1, 0, 'a',
	 'r', 0, 2, {T, T + 60}, 0, T + 120, 0},
	{"missed 4, run_once: one run, 3 skipped", "0 * * * *", T,
	 T + 3 * H + 600, -1, 0, 'a', 'r', 0, 1, {T}, 3, T + 4 * H, 0},
	{"missed 4, skip: none run", "0 * * * *", T, T + 3 * H + 600, -1, 0,
	 'a', 's', 0, 0, {0}, 4, T + 4 * H, 0},
	{"missed, then one within the grace", "0 * * * *", T, T + 2 * H + 30,
	 -1, 0, 'a', 's', 0, 1, {T + 2 * H}, 2, T + 3 * H, 0},
	{"overlap skip while a run goes", "0 * * * *", T, T, -1, 1, 's', 'r',
	 0, 0, {0}, 1, T + H, 0},
	{"overlap allow while a run goes", "0 * * * *", T, T, -1, 1, 'a', 'r',
	 0, 1, {T}, 0, T + H, 0},
	{"overlap queue while a run goes: waits", "0 * * * *", T, T, -1, 1,
	 'q', 'r', 0, 0, {0}, 0, T + H, 1},
	{"overlap queue, run ended: the waiting one runs", "0 * * * *", T,
	 T - 10, -1, 0, 'q', 'r', 1, 1, {T - 100}, 0, T, 0},
	{"overlap queue, run ended and due: one runs, one waits",
	 "0 * * * *", T, T, -1, 0, 'q', 'r', 1, 1, {T - 100}, 0, T + H, 1},
	{"overlap queue full: skipped", "0 * * * *", T, T, -1, 1, 'q', 'r',
	 SCHED_PENDING_MAX, 0, {0}, 1, T + H, SCHED_PENDING_MAX},
	{"last fire time before the end", "0 * * * *", T, T, T + 60, 0, 'a',
	 'r', 0, 1, {T}, 0, -1, 0},
	{"past the end: nothing", "0 * * * *", T, T, T - 60, 0, 'a', 'r', 0, 0,
	 {0}, 0, -1, 0},
	{"yearly, missed by minutes, run_once", "0 0 1 1 *", T, T + 600, -1,
	 0, 'a', 'r', 0, 1, {T}, 0, T + 365 * 24 * H, 0},
};

int
main(void)
{
	size_t i;
	int k;
	const struct tz *z = tz_get("UTC", NULL);

	if (z == NULL)
		BAIL_OUT("no UTC zone");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *c = &cases[i];
		struct sched_item it;
		struct cron cr;
		struct cron_error e;
		int same = 1;

		if (cron_parse(&cr, c->cron, &e) != 0)
			BAIL_OUT("bad cron in case %zu", i);
		memset(&it, 0, sizeof(it));
		it.next = c->next;
		it.now = c->now;
		it.end = c->end;
		it.active = c->active;
		it.overlap = c->overlap;
		it.misfire = c->misfire;
		for (k = 0; k < c->npending; k++)
			it.pending[it.npending++] = T - 100 - k;
		sched_decide(&it, &cr, z);
		cmp_ok(it.nruns, "==", c->nruns, "%s: runs", c->why);
		for (k = 0; k < c->nruns && k < it.nruns; k++)
			same = same && it.runs[k] == c->runs[k];
		ok(same, "%s: their fire times", c->why);
		cmp_ok(it.skipped, "==", c->skipped, "%s: skipped", c->why);
		cmp_ok(it.next, "==", c->want_next, "%s: next fire time",
		       c->why);
		cmp_ok(it.npending, "==", c->want_pending, "%s: waiting",
		       c->why);
	}
	return done_testing();
}
