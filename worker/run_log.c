/* A run target's log: masked, UTF-8 clean, coalesced chunks appended with
 * automation.log_append. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "run.h"
#include "run_batch.h"
#include "run_log.h"

static const struct db_stmt run_log_append = {
    "run_log_append",
    "SELECT automation.log_append($1::uuid, $2::uuid, nullif($3, ''), "
    "$4, $5)",
    5};

static const char *const run_log_streams[] = {"", "stdout", "stderr", "system"};

/* The logs of running targets, for the flusher. */
static pthread_mutex_t run_log_list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct run_log *run_log_list;
static pthread_t run_log_flusher;
static volatile int run_log_flusher_run;

static void run_log_send(struct run_log *l, struct db *db, int tries);
static void run_log_queue(struct run_log *l, struct run_batch *b);
static void run_log_write_locked(struct run_log *l, int stream,
				 const char *data, size_t n);
static void run_log_flush_locked(struct run_log *l, struct run_batch *b);
static void *run_log_flusher_main(void *arg);
static size_t run_log_utf8_len(const unsigned char *s, size_t n);

void
run_log_init(struct run_log *l, struct db *db, const char *run_id,
	     const char *target_id, const struct mask_set *m)
{
	int i;

	memset(l, 0, sizeof(*l));
	l->db = db;
	l->run_id = run_id;
	l->target_id = target_id;
	for (i = 0; i < 3; i++)
		mask_stream_init(&l->ms[i], m);
	buf_init(&l->chunk, (size_t)RUN_LOG_CHUNK * 4);
	l->stream = 0;
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_lock(&run_log_list_mu);
	l->next = run_log_list;
	run_log_list = l;
	pthread_mutex_unlock(&run_log_list_mu);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t
run_log_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x80)
		return s[0] != 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 &&
	    ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0;
	if (len == 4 &&
	    ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return len;
}

void
run_log_text(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, k;

	while (i < n) {
		k = run_log_utf8_len(u + i, n - i);
		if (k > 0) {
			i += k;
			continue;
		}
		if (buf_append(out, s + run, i - run) < 0 ||
		    buf_append(out, "?", 1) < 0)
			return;
		i++;
		run = i;
	}
	buf_append(out, s + run, n - run);
}

/* Sends the chunk over db (the target's, or the flusher's, which tries
 * once and leaves the chunk to the target's thread when that fails);
 * l->mu held. */
static void
run_log_send(struct run_log *l, struct db *db, int max_tries)
{
	struct buf clean;
	PGresult *res;
	int tries;

	if (l->chunk.len == 0)
		return;
	buf_init(&clean, l->chunk.len + 16);
	run_log_text(l->chunk.data, l->chunk.len, &clean);
	/* A database restart: keep trying for a while, the lease still
	 * holds the run. */
	for (tries = 0; tries < max_tries; tries++) {
		res = db_exec(db, &run_log_append,
			      DB_PARAMS(l->run_id, l->target_id, l->step_id,
					run_log_streams[l->stream],
					clean.data ? clean.data : ""),
			      NULL);
		if (res != NULL) {
			PQclear(res);
			break;
		}
		if (max_tries == 1) {
			buf_cleanup(&clean);
			return;
		}
		sleep(1);
	}
	if (tries == max_tries)
		log_msg(LOG_WARN, NULL, "run %s: a log chunk was lost",
			l->run_id);
	buf_cleanup(&clean);
	buf_reset(&l->chunk);
	l->stream = 0;
}

/* Queues the chunk on b instead of sending it; l->mu held. */
static void
run_log_queue(struct run_log *l, struct run_batch *b)
{
	struct buf clean;

	if (l->chunk.len == 0)
		return;
	buf_init(&clean, l->chunk.len + 16);
	run_log_text(l->chunk.data, l->chunk.len, &clean);
	run_batch_add(b, &run_log_append,
		      DB_PARAMS(l->run_id, l->target_id, l->step_id,
				run_log_streams[l->stream],
				clean.data ? clean.data : ""));
	buf_cleanup(&clean);
	buf_reset(&l->chunk);
	l->stream = 0;
}

void
run_log_step(struct run_log *l, const char *step_id)
{
	pthread_mutex_lock(&l->mu);
	run_log_flush_locked(l, NULL);
	snprintf(l->step_id, sizeof(l->step_id), "%s", step_id);
	pthread_mutex_unlock(&l->mu);
}

void
run_log_write(struct run_log *l, int stream, const char *data, size_t n)
{
	pthread_mutex_lock(&l->mu);
	run_log_write_locked(l, stream, data, n);
	pthread_mutex_unlock(&l->mu);
}

static void
run_log_write_locked(struct run_log *l, int stream, const char *data, size_t n)
{
	struct buf masked;
	long long now = run_now_ms();

	if (stream < 1 || stream > 3)
		stream = 3;
	buf_init(&masked, n + 256 + 64 * 8);
	mask_stream_feed(&l->ms[stream - 1], data, n, &masked);
	if (masked.len > 0) {
		if (l->stream != stream && l->chunk.len > 0)
			run_log_send(l, l->db, 30);
		if (l->chunk.len == 0)
			l->first_ms = now;
		l->stream = stream;
		if (buf_append(&l->chunk, masked.data, masked.len) < 0) {
			run_log_send(l, l->db, 30);
			l->first_ms = now;
			l->stream = stream;
			buf_append(&l->chunk, masked.data, masked.len);
		}
	}
	buf_cleanup(&masked);
	if (l->chunk.len >= RUN_LOG_CHUNK ||
	    (l->chunk.len > 0 && now - l->first_ms >= RUN_LOG_DELAY_MS))
		run_log_send(l, l->db, 30);
}

void
run_log_system(struct run_log *l, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	pthread_mutex_lock(&l->mu);
	run_log_write_locked(l, 3, line, (size_t)n);
	pthread_mutex_unlock(&l->mu);
}

void
run_log_flush(struct run_log *l, struct run_batch *b)
{
	pthread_mutex_lock(&l->mu);
	run_log_flush_locked(l, b);
	pthread_mutex_unlock(&l->mu);
}

/* Sends (b NULL) or queues on b everything held. */
static void
run_log_flush_locked(struct run_log *l, struct run_batch *b)
{
	struct buf rest;
	int i;

	for (i = 0; i < 3; i++) {
		buf_init(&rest, 1024);
		mask_stream_flush(&l->ms[i], &rest);
		mask_stream_init(&l->ms[i], l->ms[i].set);
		if (rest.len > 0) {
			if (l->stream != i + 1 && l->chunk.len > 0) {
				if (b != NULL)
					run_log_queue(l, b);
				else
					run_log_send(l, l->db, 30);
			}
			l->stream = i + 1;
			buf_append(&l->chunk, rest.data, rest.len);
		}
		buf_cleanup(&rest);
	}
	if (b != NULL)
		run_log_queue(l, b);
	else
		run_log_send(l, l->db, 30);
}

void
run_log_cleanup(struct run_log *l)
{
	struct run_log **p;
	int i;

	pthread_mutex_lock(&run_log_list_mu);
	for (p = &run_log_list; *p != NULL; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	pthread_mutex_unlock(&run_log_list_mu);
	pthread_mutex_destroy(&l->mu);
	for (i = 0; i < 3; i++)
		mask_stream_cleanup(&l->ms[i]);
	buf_cleanup(&l->chunk);
}

static void *
run_log_flusher_main(void *arg)
{
	struct db *db = db_new("oc_worker");
	struct timespec ts = {0, 25 * 1000000L};
	struct run_log *l;
	long long now;

	(void)arg;
	while (run_log_flusher_run) {
		nanosleep(&ts, NULL);
		now = run_now_ms();
		pthread_mutex_lock(&run_log_list_mu);
		for (l = run_log_list; l != NULL; l = l->next) {
			/* Busy logs are being written: their thread sends. */
			if (pthread_mutex_trylock(&l->mu) != 0)
				continue;
			if (l->chunk.len > 0 &&
			    now - l->first_ms >= RUN_LOG_DELAY_MS)
				run_log_send(l, db, 1);
			pthread_mutex_unlock(&l->mu);
		}
		pthread_mutex_unlock(&run_log_list_mu);
	}
	db_free(db);
	return NULL;
}

int
run_log_flusher_start(void)
{
	run_log_flusher_run = 1;
	if (pthread_create(&run_log_flusher, NULL, run_log_flusher_main,
			   NULL) != 0) {
		run_log_flusher_run = 0;
		return -1;
	}
	return 0;
}

void
run_log_flusher_stop(void)
{
	if (!run_log_flusher_run)
		return;
	run_log_flusher_run = 0;
	pthread_join(run_log_flusher, NULL);
}
