/* The run engine: a pool of threads executing run targets, fed by the
 * claim loop of worker/main.c through run_engine_tick, which claims runs,
 * renews leases, turns cancel requests and run timeouts into a stop
 * within a second, and recovers runs whose worker died. (The loop also
 * wakes the fast path, worker/run_fast.c, which completes all-local.noop
 * runs in batches on threads of its own.) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "run.h"
#include "run_log.h"

#define RUN_TICK_MS 1000 /* lease renewal and cancel checks */
/* Fast-path connections: two batches in flight keep both cores of a small
 * database host busy (one writes its rows while the other appends its
 * events and commits); more wait for the event lock. */
#define RUN_FAST_THREADS 2

static const char *const run_states[] = {"queued", "running",  "succeeded",
					 "failed", "canceled", "timed_out"};

/* An executor thread's own wake-up: work goes to the thread idle for the
 * shortest time (a stack), whose connection has the statements prepared
 * and the caches of its backend warm; a condition variable shared by all
 * would wake them in turn, each new thread's first target paying for a
 * cold backend (tens of milliseconds before its first step). */
struct run_engine_waiter {
	pthread_cond_t cv;
	int woken;
};

struct run_engine {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* run_engine_stop waits for the held runs */
	pthread_t *threads;
	int nthreads;
	struct run_engine_waiter *waiters;
	int *idle; /* waiters' indexes, the last one idle on top */
	int nidle;
	struct run_target **queue; /* ready to start (FIFO) */
	int qhead, qlen, qcap;
	struct run **held; /* claimed, not finished */
	int nheld, heldcap;
	int busy;
	int stopping;
	int pipe[2];
	long long next_renew, next_recover;
};

static struct run_engine re = {.mu = PTHREAD_MUTEX_INITIALIZER,
			       .cv = PTHREAD_COND_INITIALIZER,
			       .pipe = {-1, -1}};

static void *run_engine_thread(void *arg);
static void run_engine_push(struct run_target *rt);
static void run_engine_feed(struct run *r);
static void run_engine_finish(struct db *db, struct run *r);
static void run_engine_hold(struct run *r);
static void run_engine_release(struct run *r);
static void run_engine_wake(void);
static void run_engine_wake_idle(int all);
static void run_engine_claim(struct db *db);
static void run_engine_start_run(struct db *db, struct run *r);

const char *
run_state_name(enum run_state s)
{
	return run_states[s];
}

long long
run_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lock held. */
static void
run_engine_push(struct run_target *rt)
{
	if (re.qlen == re.qcap) {
		struct run_target **q;
		int i, cap = re.qcap ? re.qcap * 2 : 64;

		q = calloc((size_t)cap, sizeof(*q));
		if (q == NULL)
			abort();
		for (i = 0; i < re.qlen; i++)
			q[i] = re.queue[(re.qhead + i) % re.qcap];
		free(re.queue);
		re.queue = q;
		re.qcap = cap;
		re.qhead = 0;
	}
	re.queue[(re.qhead + re.qlen) % re.qcap] = rt;
	re.qlen++;
	run_engine_wake_idle(0);
}

/* Wakes the thread idle for the shortest time, or all. Lock held. */
static void
run_engine_wake_idle(int all)
{
	struct run_engine_waiter *w;

	do {
		if (re.nidle == 0)
			return;
		w = &re.waiters[re.idle[--re.nidle]];
		w->woken = 1;
		pthread_cond_signal(&w->cv);
	} while (all);
}

/* Starts targets of r while it is under max_parallel. Lock held. */
static void
run_engine_feed(struct run *r)
{
	while (r->next < r->ntargets && r->active < r->max_parallel) {
		struct run_target *rt = &r->targets[r->next++];

		if (rt->finished) {
			r->done++;
			continue;
		}
		r->active++;
		run_engine_push(rt);
	}
}

/* Lock held. */
static void
run_engine_hold(struct run *r)
{
	if (re.nheld == re.heldcap) {
		re.heldcap = re.heldcap ? re.heldcap * 2 : 64;
		re.held =
		    realloc(re.held, (size_t)re.heldcap * sizeof(*re.held));
		if (re.held == NULL)
			abort();
	}
	re.held[re.nheld++] = r;
}

/* Lock held. */
static void
run_engine_release(struct run *r)
{
	int i;

	for (i = 0; i < re.nheld; i++)
		if (re.held[i] == r) {
			re.held[i] = re.held[--re.nheld];
			break;
		}
	pthread_cond_broadcast(&re.cv);
	if (re.stopping && re.nheld == 0)
		run_engine_wake_idle(1);
}

static void
run_engine_wake(void)
{
	char c = 1;

	if (re.pipe[1] >= 0 && write(re.pipe[1], &c, 1) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, NULL, "run engine: wake-up failed");
}

/* Stores the run's outcome (lock not held): canceled, timed out, failed
 * when a target failed (or none matched), else succeeded. */
static void
run_engine_finish(struct db *db, struct run *r)
{
	enum run_state s = RUN_SUCCEEDED;
	int i, tries, stored = 0;

	for (i = 0; i < r->ntargets; i++)
		if (r->targets[i].outcome != RUN_SUCCEEDED)
			s = RUN_FAILED;
	if (r->ntargets == 0) {
		s = RUN_FAILED;
		snprintf(r->error, sizeof(r->error),
			 "the target selection matches no enabled target");
	}
	if (r->timed_out) {
		s = RUN_TIMED_OUT;
		snprintf(r->error, sizeof(r->error),
			 "the run's timeout was reached");
	}
	if (r->canceled) {
		s = RUN_CANCELED;
		r->error[0] = '\0';
	}
	if (s == RUN_FAILED && r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s",
			 r->ntargets == 1 && r->targets[0].error[0]
			     ? r->targets[0].error
			     : "a target failed");
	for (tries = 0; tries < 60 && !r->lease_lost; tries++) {
		stored = run_db_finish(db, r, s);
		if (stored >= 0)
			break;
		sleep(1);
	}
	log_msg(LOG_INFO, NULL, "run %s %s%s%s", r->id,
		stored == 1 ? run_state_name(s) : "dropped (lease lost)",
		r->error[0] ? ": " : "", r->error);
	pthread_mutex_lock(&re.mu);
	run_engine_release(r);
	pthread_mutex_unlock(&re.mu);
	run_free(r);
	run_engine_wake();
}

static void *
run_engine_thread(void *arg)
{
	struct db *db = db_new("oc_worker");
	struct run_engine_waiter *w = arg;
	struct run_target *rt;
	struct run *r;
	int last;

	/* Connected now, not by the first run this thread takes: a new
	 * session (authentication included) would delay that run's first
	 * step by far more than its claim took. A failure here is retried
	 * at first use, as before. */
	db_ensure(db);
	for (;;) {
		pthread_mutex_lock(&re.mu);
		while (re.qlen == 0 && !(re.stopping && re.nheld == 0)) {
			w->woken = 0;
			re.idle[re.nidle++] = (int)(w - re.waiters);
			while (!w->woken)
				pthread_cond_wait(&w->cv, &re.mu);
		}
		if (re.qlen == 0) {
			pthread_mutex_unlock(&re.mu);
			break;
		}
		rt = re.queue[re.qhead];
		re.qhead = (re.qhead + 1) % re.qcap;
		re.qlen--;
		re.busy++;
		pthread_mutex_unlock(&re.mu);

		run_target_exec(db, rt);

		r = rt->run;
		pthread_mutex_lock(&re.mu);
		re.busy--;
		r->active--;
		r->done++;
		run_engine_feed(r);
		last = r->done == r->ntargets && r->active == 0;
		pthread_mutex_unlock(&re.mu);
		if (last)
			run_engine_finish(db, r);
		else
			run_engine_wake();
	}
	db_free(db);
	return NULL;
}

int
run_engine_start(int threads)
{
	int i;

	if (pipe(re.pipe) < 0 || run_log_flusher_start() < 0 ||
	    run_fast_start(RUN_FAST_THREADS) < 0)
		return -1;
	fcntl(re.pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(re.pipe[1], F_SETFL, O_NONBLOCK);
	re.nthreads = threads;
	re.threads = calloc((size_t)threads, sizeof(*re.threads));
	re.waiters = calloc((size_t)threads, sizeof(*re.waiters));
	re.idle = calloc((size_t)threads, sizeof(*re.idle));
	if (re.threads == NULL || re.waiters == NULL || re.idle == NULL)
		abort();
	for (i = 0; i < threads; i++) {
		pthread_cond_init(&re.waiters[i].cv, NULL);
		pthread_create(&re.threads[i], NULL, run_engine_thread,
			       &re.waiters[i]);
	}
	return 0;
}

int
run_engine_fd(void)
{
	return re.pipe[0];
}

/* Claims runs for the free threads, their targets expanded before the
 * commit: one commit for the whole claim. (The fast path claims on its
 * own connections, woken by worker/main.c.) */
static void
run_engine_claim(struct db *db)
{
	struct run **slow;
	int free_slots, nslow, i, ok;

	pthread_mutex_lock(&re.mu);
	free_slots = re.nthreads - re.busy - re.qlen;
	pthread_mutex_unlock(&re.mu);
	if (free_slots <= 0)
		return;
	slow = calloc((size_t)free_slots, sizeof(*slow));
	if (slow == NULL)
		abort();
	nslow = run_db_claim(db, slow, free_slots, cfg.lease_s, 0);
	if (nslow < 0) {
		free(slow);
		return;
	}
	ok = 1;
	for (i = 0; ok && i < nslow; i++)
		if (slow[i]->def == NULL || slow[i]->params == NULL ||
		    run_db_expand(db, slow[i]) < 0) {
			log_msg(LOG_ERROR, NULL,
				"run %s: its targets could not be expanded",
				slow[i]->id);
			ok = 0;
		}
	ok = run_db_claim_end(db, ok) == 0 && ok;
	if (!ok) {
		/* Rolled back: nothing was claimed. */
		for (i = 0; i < nslow; i++)
			run_free(slow[i]);
		free(slow);
		return;
	}
	for (i = 0; i < nslow; i++)
		run_engine_start_run(db, slow[i]);
	free(slow);
}

/* A claimed run, its targets expanded: the first ones are queued. */
static void
run_engine_start_run(struct db *db, struct run *r)
{
	json_object *v;
	int empty;

	r->max_parallel = 10;
	if (json_object_is_type(r->def, json_type_object) &&
	    json_object_object_get_ex(r->def, "max_parallel", &v) &&
	    json_object_get_int(v) > 0)
		r->max_parallel = json_object_get_int(v);
	pthread_mutex_lock(&re.mu);
	run_engine_hold(r);
	run_engine_feed(r);
	empty = r->active == 0;
	pthread_mutex_unlock(&re.mu);
	if (empty)
		run_engine_finish(db, r);
}

void
run_engine_tick(struct db *db, int claim)
{
	long long now = run_now_ms();
	char drain[64];
	int i;

	while (read(re.pipe[0], drain, sizeof(drain)) > 0)
		;
	if (now >= re.next_recover) {
		run_db_recover(db);
		re.next_recover = now + (long long)(cfg.lease_s + 1) / 2 * 1000;
	}
	pthread_mutex_lock(&re.mu);
	for (i = 0; i < re.nheld; i++)
		if (!re.held[i]->timed_out && now >= re.held[i]->deadline_ms) {
			re.held[i]->timed_out = 1;
			re.held[i]->cancel = 1;
		}
	if (re.nheld > 0 && now >= re.next_renew) {
		run_db_renew(db, re.held, re.nheld, cfg.lease_s);
		re.next_renew = now + RUN_TICK_MS;
	}
	pthread_mutex_unlock(&re.mu);
	if (!re.stopping && claim)
		run_engine_claim(db);
}

int
run_engine_wait_ms(void)
{
	long long left;
	int n;

	pthread_mutex_lock(&re.mu);
	n = re.nheld;
	pthread_mutex_unlock(&re.mu);
	if (n == 0)
		return 60000;
	left = re.next_renew - run_now_ms();
	return left < 0 ? 0 : left > RUN_TICK_MS ? RUN_TICK_MS : (int)left;
}

void
run_engine_stop(struct db *db)
{
	struct timespec until;
	int i;

	run_fast_stop();
	pthread_mutex_lock(&re.mu);
	re.stopping = 1;
	pthread_cond_broadcast(&re.cv);
	run_engine_wake_idle(1);
	/* The runs in hand finish; their leases are kept alive meanwhile. */
	while (re.nheld > 0) {
		for (i = 0; i < re.nheld; i++)
			if (!re.held[i]->timed_out &&
			    run_now_ms() >= re.held[i]->deadline_ms) {
				re.held[i]->timed_out = 1;
				re.held[i]->cancel = 1;
			}
		run_db_renew(db, re.held, re.nheld, cfg.lease_s);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&re.cv, &re.mu, &until);
	}
	pthread_cond_broadcast(&re.cv);
	run_engine_wake_idle(1);
	pthread_mutex_unlock(&re.mu);
	for (i = 0; i < re.nthreads; i++)
		pthread_join(re.threads[i], NULL);
	run_log_flusher_stop();
	for (i = 0; i < re.nthreads; i++)
		pthread_cond_destroy(&re.waiters[i].cv);
	free(re.threads);
	free(re.waiters);
	free(re.idle);
	free(re.queue);
	free(re.held);
	close(re.pipe[0]);
	close(re.pipe[1]);
}
