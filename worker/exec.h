/* Executors: what the worker does for each kind of task. */
#ifndef OC_EXEC_H
#define OC_EXEC_H

struct db;
struct task;

struct executor {
	const char *kind; /* core.tasks.kind */
	/* Runs t on an executor thread with its own connection db; sets
	 * t->outcome, t->result and t->error. Must watch t->cancel. */
	void (*run)(struct db *db, struct task *t);
};

/* The executor for a kind, or NULL. */
const struct executor *exec_find(const char *kind);
/* Library set-up before any thread starts (libssh2, libcurl). 0 or -1. */
int exec_global_init(void);

/* The executors. */
void exec_target_test(struct db *db, struct task *t);
void exec_discovery_scan(struct db *db, struct task *t);

#endif
