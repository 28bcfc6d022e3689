/* The task queue in core.tasks: claims with FOR UPDATE SKIP LOCKED, leases,
 * completion, and recovery of tasks whose worker died. */
#ifndef OC_TASK_H
#define OC_TASK_H

#include <stddef.h>
#include <json-c/json.h>

struct db;

/* Task states, as in the CHECK constraint of core.tasks.state. */
enum task_state {
	TASK_QUEUED,    /* waiting for a worker */
	TASK_RUNNING,   /* claimed; its lease is being renewed */
	TASK_SUCCEEDED, /* done, result stored */
	TASK_FAILED,    /* done with an error (or out of attempts) */
	TASK_CANCELED,  /* stopped on request */
};

struct task {
	char id[37];
	char kind[32];
	json_object *payload; /* owned */
	int attempts;
	volatile int cancel;  /* set by the lease renewer */
	/* filled by the executor */
	enum task_state outcome;
	json_object *result;  /* owned, may be NULL */
	char error[512];
};

const char *task_state_name(enum task_state s);
/* The lease owner name of this process ("worker:<host>:<pid>"). */
const char *task_owner(void);
/* Claims up to max queued tasks in one short transaction. Returns the count
 * (tasks[] filled, caller frees with task_free) or -1 on a database error. */
int task_claim(struct db *db, struct task **tasks, int max, int lease_s);
/* Extends the leases of ids[0..n) held by this process; sets *cancel[i]
 * when a cancel was requested. -1 on a database error. */
int task_renew(struct db *db, struct task *const *held, int n, int lease_s);
/* Stores the outcome if this process still holds the lease. 1 stored, 0
 * lease lost (another worker took it over), -1 database error. */
int task_finish(struct db *db, const struct task *t);
/* Gives a task back to the queue (shutdown before it could run). */
int task_release(struct db *db, const struct task *t);
/* Requeues or fails tasks whose lease expired (their worker died). Returns
 * the number recovered or -1. */
int task_recover(struct db *db);
void task_free(struct task *t);
/* Appends a 'task' event to core.events for the events streams (best
 * effort). */
void task_notify(struct db *db, const struct task *t, const char *state);

#endif
