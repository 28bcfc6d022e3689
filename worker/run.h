/* The run engine: claims queued runs of jobs (automation.runs), expands
 * their targets, walks each target's step graph on the worker's threads,
 * records steps and logs, and finishes, cancels, times out and recovers
 * runs. */
#ifndef OC_RUN_H
#define OC_RUN_H

#include <json-c/json.h>

struct db;

/* Run, target and step states, as in the CHECK constraints of
 * automation.runs, run_targets and run_steps. */
enum run_state {
	RUN_QUEUED,    /* waiting for a worker (or a target for its turn) */
	RUN_RUNNING,   /* claimed; the lease is being renewed */
	RUN_SUCCEEDED, /* every step that ran succeeded */
	RUN_FAILED,    /* a step failed or timed out, or it could not run */
	RUN_CANCELED,  /* stopped on request */
	RUN_TIMED_OUT, /* the run's timeout_s passed */
};

struct run;

/* One row of run_targets, executed by one thread at a time. */
struct run_target {
	struct run *run;
	char id[37];
	char target_id[37]; /* "" for the local pseudo-target */
	char name[132];
	int finished; /* already final (an earlier attempt) */
	enum run_state outcome;
	char error[512];
};

struct run {
	char id[37];
	char job_id[37];
	char token[37]; /* the claim's lease token (sql/017); "" on the fast
			 * path */
	json_object *def;	/* the job version's definition, owned */
	json_object *params;	/* non-secret values, owned */
	json_object *secrets;	/* opened secret values, owned, or NULL */
	char secret_error[256]; /* why the secrets could not be opened */
	int attempts;
	volatile int cancel; /* executors stop: canceled, timed out or the
			      * lease was lost */
	volatile int canceled, timed_out, lease_lost;
	long long deadline_ms; /* CLOCK_MONOTONIC ms of the run timeout */
	struct run_target *targets;
	int ntargets;
	int next;   /* next target to start */
	int active; /* targets running now */
	int done;   /* targets finished */
	int max_parallel;
	char error[512];
};

const char *run_state_name(enum run_state s);
/* CLOCK_MONOTONIC in milliseconds. */
long long run_now_ms(void);

/* The engine, driven by worker/main.c: start threads (each with its own
 * database connection), then call run_engine_tick from the claim loop;
 * it claims, renews leases, sees cancels and timeouts and recovers runs of
 * dead workers. run_engine_wait_ms is how long the loop may sleep;
 * run_engine_fd becomes readable when the engine wants a tick (a thread
 * freed capacity); a tick with claim 0 does all but claim new runs.
 * run_engine_stop stops claiming and waits for the runs in hand to
 * finish, renewing their leases. */
int run_engine_start(int threads);
void run_engine_tick(struct db *db, int claim);
int run_engine_wait_ms(void);
int run_engine_fd(void);
void run_engine_stop(struct db *db);

/* The fast path (worker/run_fast.c): threads of their own completing
 * runs.fast runs in batches, concurrently with each other and with the
 * other claims; run_fast_wake asks one of them to look for queued ones. */
int run_fast_start(int threads);
void run_fast_wake(void);
void run_fast_stop(void);

/* Executes one target of a run (worker/run_target.c). */
void run_target_exec(struct db *db, struct run_target *rt);

/* Database statements of the engine (worker/run_db.c). run_db_claim
 * begins a transaction and claims in it (runs for the threads under the
 * claim lock; fast runs only locked, for run_db_finish_fast to complete
 * them in that same transaction); run_db_claim_end ends it. -1 from
 * run_db_claim: nothing claimed, no transaction left open. */
int run_db_claim_end(struct db *db, int commit);
int run_db_claim(struct db *db, struct run **runs, int max, int lease_s,
		 int fast);
int run_db_expand(struct db *db, struct run *r);
int run_db_renew(struct db *db, struct run *const *held, int n, int lease_s);
int run_db_finish(struct db *db, const struct run *r, enum run_state s);
int run_db_finish_fast(struct db *db, struct run *const *runs, int n);
int run_db_recover(struct db *db);
void run_free(struct run *r);

/* The steps reached on a target when every step succeeds (fast path):
 * fills order[] with step indexes, returns their count
 * (worker/run_graph.c). */
int run_graph_success_path(json_object *def, int *order, int max);
/* The index of step id in def's steps, or -1. */
int run_graph_find(json_object *def, const char *id);

/* Opens a sealed blob (hex, as encode(x, 'hex') gives) bound to aad into
 * a JSON object (owned by the caller), or NULL with err filled. */
json_object *run_secret_open(const char *hex, const char *aad, char *err,
			     size_t errlen);

#endif
