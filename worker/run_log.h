/* A run target's log: output masked, made valid UTF-8 text, coalesced into
 * chunks (up to 16 KiB, or what arrived within 100 ms) and appended with
 * automation.log_append (one row and one run.log event each). */
#ifndef OC_RUN_LOG_H
#define OC_RUN_LOG_H

#include <pthread.h>
#include <stddef.h>

#include "buf.h"
#include "mask.h"

struct db;
struct run_batch;

#define RUN_LOG_CHUNK 16384
#define RUN_LOG_DELAY_MS 100

struct run_log {
	pthread_mutex_t mu;   /* the target's thread and the flusher */
	struct run_log *next; /* in the flusher's list */
	struct db *db;
	const char *run_id;
	const char *target_id; /* run_targets.id */
	char step_id[72];
	struct mask_stream ms[3]; /* stdout, stderr, system */
	struct buf chunk;
	int stream;	    /* of the chunk: 1, 2, 3 */
	long long first_ms; /* when its first byte arrived */
};

void run_log_init(struct run_log *l, struct db *db, const char *run_id,
		  const char *target_id, const struct mask_set *m);
/* The step the next output belongs to ("" for none). */
void run_log_step(struct run_log *l, const char *step_id);
/* Output of a stream (1 stdout, 2 stderr, 3 system). */
void run_log_write(struct run_log *l, int stream, const char *data, size_t n);
/* A system line (a newline is added), held like other output until the
 * next flush or for RUN_LOG_DELAY_MS at most. */
void run_log_system(struct run_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes everything held (end of a step): sent at once when b is NULL,
 * else queued on b to go with the target's next statement. */
void run_log_flush(struct run_log *l, struct run_batch *b);
void run_log_cleanup(struct run_log *l);
/* The flusher: a thread with its own connection that sends chunks older
 * than RUN_LOG_DELAY_MS while a step is quiet. */
int run_log_flusher_start(void);
void run_log_flusher_stop(void);
/* Appends s[0..n) to out as valid UTF-8 without NUL bytes (others become
 * '?'); stops at out's cap. */
void run_log_text(const char *s, size_t n, struct buf *out);

#endif
