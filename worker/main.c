/* The worker: claims tasks from PostgreSQL and runs them on a bounded pool
 * of executor threads; the only process that touches targets. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "component.h"
#include "db.h"
#include "evprune.h"
#include "exec.h"
#include "log.h"
#include "rotate.h"
#include "run.h"
#include "sched.h"
#include "seal.h"
#include "task.h"

/* Shared between the claimer (main thread) and the executor threads. */
struct worker_state {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct task **queue; /* claimed, not yet started */
	int queued;
	struct task **held;  /* claimed and not finished (for renewals) */
	int nheld;
	int busy;            /* executors running a task */
	int stopping;
};

static struct worker_state ws = {.mu = PTHREAD_MUTEX_INITIALIZER,
				 .cv = PTHREAD_COND_INITIALIZER};
static volatile sig_atomic_t worker_stop;

static void worker_on_signal(int sig);
static void *worker_thread(void *arg);
static void worker_held_remove(const struct task *t);
static int worker_listen(struct db *db);
static int worker_wait(struct db *db, int timeout_ms);
/* What woke the claim loop (worker_wait). */
#define WORKER_WAKE_ALL 1  /* look at everything */
#define WORKER_WAKE_RUNS 2 /* new runs for the executor threads */
#define WORKER_WAKE_FAST 4 /* new runs for the fast path */

static int worker_notified(PGnotify *n);

static void
worker_on_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void
worker_held_remove(const struct task *t)
{
	int i;

	for (i = 0; i < ws.nheld; i++)
		if (ws.held[i] == t) {
			ws.held[i] = ws.held[--ws.nheld];
			return;
		}
}

static void *
worker_thread(void *arg)
{
	struct db *db = db_new("oc_worker");
	const struct executor *ex;
	struct task *t;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&ws.mu);
		while (ws.queued == 0 && !ws.stopping)
			pthread_cond_wait(&ws.cv, &ws.mu);
		if (ws.queued == 0 && ws.stopping) {
			pthread_mutex_unlock(&ws.mu);
			break;
		}
		t = ws.queue[--ws.queued];
		ws.busy++;
		pthread_mutex_unlock(&ws.mu);

		ex = exec_find(t->kind);
		task_notify(db, t, "running");
		if (ex == NULL) {
			t->outcome = TASK_FAILED;
			snprintf(t->error, sizeof(t->error),
				 "this worker cannot run tasks of kind %s",
				 t->kind);
		} else {
			ex->run(db, t);
		}
		if (t->cancel && t->outcome != TASK_SUCCEEDED)
			t->outcome = TASK_CANCELED;
		/* The outcome must be stored: retry while the database is
		 * away, the lease still protects the task. */
		while (task_finish(db, t) < 0 && !worker_stop)
			sleep(1);
		task_notify(db, t, task_state_name(t->outcome));
		log_msg(LOG_INFO, NULL, "task %s (%s) %s%s%s", t->id, t->kind,
			task_state_name(t->outcome), t->error[0] ? ": " : "",
			t->error);

		pthread_mutex_lock(&ws.mu);
		worker_held_remove(t);
		ws.busy--;
		pthread_cond_broadcast(&ws.cv);
		pthread_mutex_unlock(&ws.mu);
		task_free(t);
	}
	db_free(db);
	return NULL;
}

static int
worker_listen(struct db *db)
{
	if (db_ensure(db) < 0)
		return -1;
	return db_command(db, "LISTEN oc_tasks");
}

/* Sleeps until a NOTIFY arrives or timeout_ms passes. Returns what woke
 * it (WORKER_WAKE_*): a notification other than a new run's, or none
 * (the timeout, the run engine's pipe), is WORKER_WAKE_ALL: the scheduler
 * and every claim look; new runs only are claimed without the
 * scheduler's queries in front of them, and by the claim of their kind
 * alone (the fast path's, the executor threads'). */
static int
worker_wait(struct db *db, int timeout_ms)
{
	PGconn *c = db_conn(db);
	struct pollfd pfd[2];
	PGnotify *n;
	int woke = 0;

	if (c == NULL) {
		usleep((useconds_t)timeout_ms * 1000);
		return WORKER_WAKE_ALL;
	}
	/* A NOTIFY read along with a query's result is already queued: do
	 * not sleep on a socket that has nothing more to say. */
	while ((n = PQnotifies(c)) != NULL) {
		woke |= worker_notified(n);
		timeout_ms = 0;
	}
	pfd[0].fd = PQsocket(c);
	pfd[0].events = POLLIN;
	/* The run engine wakes the loop when a thread freed room. */
	pfd[1].fd = run_engine_fd();
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, timeout_ms) > 0) {
		PQconsumeInput(c);
		if (pfd[1].revents & POLLIN)
			woke |= WORKER_WAKE_ALL;
	}
	while ((n = PQnotifies(c)) != NULL)
		woke |= worker_notified(n);
	return woke != 0 ? woke : WORKER_WAKE_ALL;
}

static int
worker_notified(PGnotify *n)
{
	int woke = strcmp(n->extra, "run") == 0		? WORKER_WAKE_RUNS
		   : strcmp(n->extra, "run.fast") == 0 ? WORKER_WAKE_FAST
							: WORKER_WAKE_ALL;

	PQfreemem(n);
	return woke;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t *threads;
	struct task **claimed;
	struct db *db;
	time_t now, next_beat = 0, next_renew = 0, next_recover = 0;
	time_t last_full = 0; /* the last pass with every claim */
	time_t next_prune = 0;
	int i, n, free_slots, wait_ms, listening = 0, listen_pid = 0;
	int woken = WORKER_WAKE_ALL, full, sched_ms;

	if (argc > 1 && strcmp(argv[1], "rotate-secrets") != 0) {
		fprintf(stderr, "usage: oc-worker [rotate-secrets ...] "
				"(configured by OPSCONDUCTOR_* variables)\n");
		return 2;
	}
	log_init("worker");
	if (cfg_load("worker") < 0)
		return 2;
	if (argc > 1)
		return rotate_main(argc - 2, argv + 2);
	if (seal_load_private(cfg.secrets_dir) < 0)
		log_msg(LOG_WARN, NULL,
			"no private keys in %s: tasks that need a credential "
			"will fail",
			cfg.secrets_dir);
	if (exec_global_init() < 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ws.queue = calloc((size_t)cfg.worker_threads, sizeof(*ws.queue));
	ws.held = calloc((size_t)cfg.worker_threads, sizeof(*ws.held));
	claimed = calloc((size_t)cfg.worker_threads, sizeof(*claimed));
	threads = calloc((size_t)cfg.worker_threads, sizeof(*threads));
	if (ws.queue == NULL || ws.held == NULL || claimed == NULL ||
	    threads == NULL)
		abort();
	for (i = 0; i < cfg.worker_threads; i++)
		pthread_create(&threads[i], NULL, worker_thread, NULL);
	if (run_engine_start(cfg.worker_threads) < 0)
		return 1;
	db = db_new("oc_worker");
	log_msg(LOG_INFO, NULL, "worker %s started with %d threads",
		task_owner(), cfg.worker_threads);

	while (!worker_stop) {
		now = time(NULL);
		/* LISTEN again on a new session (the connection may have been
		 * replaced inside a query after a database restart). */
		if (!listening || db_is_down(db) || db_conn(db) == NULL ||
		    PQbackendPID(db_conn(db)) != listen_pid) {
			listening = worker_listen(db) == 0;
			listen_pid = listening ? PQbackendPID(db_conn(db)) : 0;
		}
		if (now >= next_beat) {
			component_beat(db, "process", getpid());
			next_beat = now + cfg.heartbeat_s;
		}
		if (now >= next_renew) {
			pthread_mutex_lock(&ws.mu);
			task_renew(db, ws.held, ws.nheld, cfg.lease_s);
			pthread_mutex_unlock(&ws.mu);
			next_renew = now + (cfg.lease_s + 2) / 3;
		}
		if (now >= next_recover) {
			task_recover(db);
			next_recover = now + (cfg.lease_s + 1) / 2;
		}
		if (now >= next_prune) {
			evprune_run(db);
			next_prune = now + 600;
		}
		/* Schedules first, so a stream of tasks cannot starve them. */
		sched_ms = sched_fire_due(db, woken & WORKER_WAKE_ALL,
					  cfg.poll_s * 1000);
		/* Runs of jobs: claims, leases, cancels, timeouts. Woken for
		 * new runs only, only the claim of their kind looks: the fast
		 * path's for fast runs, the executor threads' for others, so
		 * the claim a new run waits for has the database to itself.
		 * Every claim still looks at least once a second (runs
		 * requeued by recovery and tasks are not notified), whatever
		 * stream of new runs keeps waking the loop. */
		full = woken == 0 || (woken & WORKER_WAKE_ALL) ||
		       now > last_full;
		if (full)
			last_full = now;
		if (full || (woken & WORKER_WAKE_FAST))
			run_fast_wake();
		run_engine_tick(db, full || (woken & WORKER_WAKE_RUNS));
		/* A pass again without waiting (more tasks or schedules to
		 * take) looks at every claim, and at schedules when due. */
		woken = 0;
		pthread_mutex_lock(&ws.mu);
		free_slots = cfg.worker_threads - ws.busy - ws.queued;
		pthread_mutex_unlock(&ws.mu);
		n = free_slots > 0 && full
			? task_claim(db, claimed, free_slots, cfg.lease_s)
			: 0;
		if (n > 0) {
			pthread_mutex_lock(&ws.mu);
			for (i = 0; i < n; i++) {
				ws.queue[ws.queued++] = claimed[i];
				ws.held[ws.nheld++] = claimed[i];
			}
			pthread_cond_broadcast(&ws.cv);
			pthread_mutex_unlock(&ws.mu);
			continue;
		}
		if (sched_ms == 0)
			continue;
		wait_ms = free_slots > 0 || sched_ms < 1000 ? sched_ms : 1000;
		if (run_engine_wait_ms() < wait_ms)
			wait_ms = run_engine_wait_ms();
		if (wait_ms > 0)
			woken = worker_wait(db, wait_ms);
	}

	/* Stop claiming; hand back what has not started; let the running
	 * tasks finish. */
	log_msg(LOG_INFO, NULL, "stopping");
	pthread_mutex_lock(&ws.mu);
	ws.stopping = 1;
	while (ws.queued > 0) {
		struct task *t = ws.queue[--ws.queued];

		task_release(db, t);
		worker_held_remove(t);
		task_free(t);
	}
	pthread_cond_broadcast(&ws.cv);
	/* Keep the leases of the running tasks alive until they finish, or
	 * another worker would take them over while they still run. */
	while (ws.busy > 0) {
		struct timespec until;

		task_renew(db, ws.held, ws.nheld, cfg.lease_s);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (cfg.lease_s + 2) / 3;
		pthread_cond_timedwait(&ws.cv, &ws.mu, &until);
	}
	pthread_mutex_unlock(&ws.mu);
	run_engine_stop(db);
	for (i = 0; i < cfg.worker_threads; i++)
		pthread_join(threads[i], NULL);
	component_stop(db, getpid());
	db_free(db);
	free(ws.queue);
	free(ws.held);
	free(claimed);
	free(threads);
	seal_cleanup();
	log_msg(LOG_INFO, NULL, "stopped");
	return 0;
}
