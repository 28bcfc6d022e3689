/* The run engine's fast path: threads, each with a connection of its own,
 * that claim all-local.noop runs (runs.fast) in batches and complete them
 * in the claim's transaction. While one batch appends its events and
 * commits (serialised by the event lock), the next one is being written
 * on the other connection: a long queue uses both cores. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "run.h"

#define RUN_FAST_BATCH 500

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t *threads;
	int nthreads;
	int pending; /* runs may be waiting: a thread should claim */
	int stopping;
} rf = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int run_fast_batch(struct db *db);
static void *run_fast_thread(void *arg);

/* One batch: BEGIN, claim (row locks only: SKIP LOCKED keeps concurrent
 * batches disjoint, and a fast run is never seen running, so the claim
 * lock of the other claims has nothing to order), complete, COMMIT.
 * Returns the number of runs completed, or -1 (rolled back). */
static int
run_fast_batch(struct db *db)
{
	struct run *runs[RUN_FAST_BATCH];
	int n, i, ok;

	n = run_db_claim(db, runs, RUN_FAST_BATCH, cfg.lease_s, 1);
	if (n < 0)
		return -1;
	ok = n == 0 || run_db_finish_fast(db, runs, n) >= 0;
	ok = run_db_claim_end(db, ok) == 0 && ok;
	for (i = 0; i < n; i++)
		run_free(runs[i]);
	return ok ? n : -1;
}

static void *
run_fast_thread(void *arg)
{
	struct db *db = db_new("oc_worker");
	struct timespec until;
	int n;

	(void)arg;
	/* Connected now: the first fast run would otherwise wait for it. */
	db_ensure(db);
	pthread_mutex_lock(&rf.mu);
	for (;;) {
		while (!rf.pending && !rf.stopping)
			pthread_cond_wait(&rf.cv, &rf.mu);
		if (rf.stopping)
			break;
		/* Cleared before the claim's snapshot: runs committed later
		 * wake the claim loop, which sets it again. */
		rf.pending = 0;
		do {
			pthread_mutex_unlock(&rf.mu);
			n = run_fast_batch(db);
			pthread_mutex_lock(&rf.mu);
			/* A full batch: more may be queued. This thread goes
			 * on, and another one joins it. */
			if (n == RUN_FAST_BATCH) {
				rf.pending = 1;
				pthread_cond_signal(&rf.cv);
			}
		} while (n == RUN_FAST_BATCH && !rf.stopping);
		if (n < 0 && !rf.stopping) {
			/* Database away or a failed statement: again in a
			 * second. */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&rf.cv, &rf.mu, &until);
			rf.pending = 1;
		}
	}
	pthread_mutex_unlock(&rf.mu);
	db_free(db);
	return NULL;
}

int
run_fast_start(int threads)
{
	int i;

	rf.nthreads = threads;
	rf.threads = calloc((size_t)threads, sizeof(*rf.threads));
	if (rf.threads == NULL)
		abort();
	for (i = 0; i < threads; i++)
		if (pthread_create(&rf.threads[i], NULL, run_fast_thread,
				   NULL) != 0) {
			log_msg(LOG_ERROR, NULL,
				"run engine: cannot start a fast-path thread");
			rf.nthreads = i;
			return -1;
		}
	return 0;
}

void
run_fast_wake(void)
{
	pthread_mutex_lock(&rf.mu);
	rf.pending = 1;
	pthread_cond_signal(&rf.cv);
	pthread_mutex_unlock(&rf.mu);
}

void
run_fast_stop(void)
{
	int i;

	pthread_mutex_lock(&rf.mu);
	rf.stopping = 1;
	pthread_cond_broadcast(&rf.cv);
	pthread_mutex_unlock(&rf.mu);
	for (i = 0; i < rf.nthreads; i++)
		pthread_join(rf.threads[i], NULL);
	free(rf.threads);
	rf.threads = NULL;
	rf.nthreads = 0;
}
