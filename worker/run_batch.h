/* A run target's pending writes: what a step leaves at its end (its last
 * log chunks, its run_steps row) is queued and sent with the target's next
 * statement in one transaction; and the statements that targets send at
 * about the same time go together (a group commit): one round trip, one
 * commit and one turn of the event lock (core.event_emit) for them all. */
#ifndef OC_RUN_BATCH_H
#define OC_RUN_BATCH_H

#include <libpq-fe.h>

struct db;
struct db_stmt;

#define RUN_BATCH_MAX 16 /* statements queued; a full batch is sent */

struct run_batch {
	struct db *db;
	const char *run_id;
	volatile int *lease_lost; /* the run's: stop retrying */
	int n;
	const struct db_stmt *st[RUN_BATCH_MAX + 1];
	char **params[RUN_BATCH_MAX + 1]; /* owned copies */
};

/* run_id and lease_lost stay the caller's and must outlive b. */
void run_batch_init(struct run_batch *b, struct db *db, const char *run_id,
		    volatile int *lease_lost);
/* Queues st with a copy of its st->nparams params (NULL = SQL NULL). */
void run_batch_add(struct run_batch *b, const struct db_stmt *st,
		   const char *const *params);
/* Sends what is queued followed by st (NULL: only what is queued) in one
 * transaction, possibly shared with other targets' statements (a failure
 * of theirs never fails these: they are then sent on their own); retries
 * while the database is away (a restart: the lease keeps the run ours
 * meanwhile). 0, with st's result in *out when out is not NULL (PQclear
 * it), or -1: gave up, the queue is dropped. */
int run_batch_send(struct run_batch *b, const struct db_stmt *st,
		   const char *const *params, PGresult **out);
/* A read (a large one may be): like run_batch_send, but alone on b's own
 * connection, after what is queued. */
int run_batch_read(struct run_batch *b, const struct db_stmt *st,
		   const char *const *params, PGresult **out);
void run_batch_cleanup(struct run_batch *b);

#endif
