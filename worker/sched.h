/* The scheduler: fires due schedules (automation.schedules) exactly once
 * however many workers run, with the overlap and misfire policies. */
#ifndef OC_SCHED_H
#define OC_SCHED_H

#include <stdint.h>

struct db;
struct cron;
struct tz;

/* A fire time older than this (seconds) when a worker gets to it was
 * missed (no worker was up) and follows the misfire policy; a younger one
 * is merely late and fires normally. */
#define SCHED_MISFIRE_GRACE 60
/* Schedules claimed per transaction. */
#define SCHED_CLAIM_MAX 500
/* Fire times an overlap 'queue' schedule keeps waiting at most. */
#define SCHED_PENDING_MAX 100

/* One schedule as claimed, and what firing it decided. */
struct sched_item {
	/* in */
	int64_t now;	      /* the database's clock */
	int64_t next;	      /* next_fire_at, or -1 for none */
	int64_t end;	      /* end_at, or -1 for none */
	int active;	      /* a run of the schedule is queued or running */
	char overlap;	      /* 's'kip, 'q'ueue, 'a'llow */
	char misfire;	      /* 'r'un_once, 's'kip */
	int npending;	      /* pending[] on input and output, oldest first */
	int64_t pending[SCHED_PENDING_MAX];
	/* out */
	int nruns;	      /* fire times to create runs for */
	int64_t runs[SCHED_PENDING_MAX + 8];
	int64_t skipped;      /* fire times dropped (overlap skip, misfire) */
};

/* Decides one schedule's firing at it->now: which fire times get a run,
 * which wait (queue), which are skipped, and the new next fire time
 * (it->next, -1 when there is none). Pure; for the worker and tests. */
void sched_decide(struct sched_item *it, const struct cron *c,
		  const struct tz *z);

/* Claims up to SCHED_CLAIM_MAX due schedules (FOR UPDATE SKIP LOCKED, through
 * the due index), creates their runs with automation.run_create and
 * advances their next fire times, all in one transaction. Only does so
 * when woken is set (a NOTIFY or timeout ended the worker's wait) or the
 * earliest due time it last saw has come. Returns the milliseconds until
 * the next schedule is due (0: more are due now), capped at max_ms. */
int sched_fire_due(struct db *db, int woken, int max_ms);

#endif
