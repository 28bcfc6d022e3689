/* Server-sent event streams: the one PostgreSQL connection that LISTENs
 * on oc_events, reads new core.events rows and queues them on every
 * stream that wants them, and replays the event log after Last-Event-ID. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "role.h"
#include "sse_int.h"

#define SSE_PAGE 500        /* new events read per query */
#define SSE_REPLAY_PAGE 200 /* replayed events per query and stream */

static int sse_feed_fd = -1;    /* eventfd: wakes the feed thread */
static long long sse_last = -1; /* feed thread only: newest id read */

static const struct db_stmt sse_max_id = {
	"sse_max_id", "SELECT coalesce(max(id), 0) FROM core.events", 0};
static const struct db_stmt sse_new_events = {
	"sse_new_events",
	"SELECT id, type, coalesce(run_id::text, ''), min_role, data::text "
	"FROM core.events WHERE id > $1::bigint ORDER BY id LIMIT 500",
	1};
static const struct db_stmt sse_replay_events = {
	"sse_replay_events",
	"SELECT id, type, coalesce(run_id::text, ''), min_role, data::text "
	"FROM core.events WHERE id > $1::bigint AND id <= $2::bigint AND "
	"(type <> 'run.log' OR run_id = ANY ($3::uuid[])) AND "
	"CASE min_role WHEN 'viewer' THEN 1 WHEN 'operator' THEN 2 ELSE 3 "
	"END <= $4::int ORDER BY id LIMIT 200",
	4};


static int sse_feed_end(struct db *db, long long *id);
static struct sse_msg *sse_feed_msg_new(const PGresult *res, int row);
static int sse_feed_push_locked(struct sse_stream *s, struct sse_msg *m);
static int sse_feed_wants(const struct sse_stream *s, const char *type,
			  const char *run_id, const char *min_role);
static void sse_feed_start(void);
static int sse_feed_new(struct db *db);
static int sse_feed_replay(struct db *db);

int
sse_feed_init(void)
{
	sse_feed_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return sse_feed_fd < 0 ? -1 : 0;
}

void
sse_feed_wake(void)
{
	uint64_t one = 1;

	if (write(sse_feed_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, NULL, "events: wake failed: %s",
			strerror(errno));
}

/* "id: N\nevent: T\ndata: JSON\n\n" for one row of the event queries.
 * jsonb's text form has no raw line breaks, so data is one line. */
static struct sse_msg *
sse_feed_msg_new(const PGresult *res, int row)
{
	const char *id = PQgetvalue(res, row, 0);
	const char *type = PQgetvalue(res, row, 1);
	const char *data = PQgetvalue(res, row, 4);
	size_t n = strlen(id) + strlen(type) + strlen(data) + 32;
	struct sse_msg *m = malloc(sizeof(*m) + n);

	if (m == NULL)
		abort();
	m->refs = 1;
	m->len = (size_t)snprintf(m->text, n, "id: %s\nevent: %s\ndata: %s\n\n",
				  id, type, data);
	return m;
}

/* Queues m on s. A live stream whose queue would pass the limit is
 * dropped (-1); it never makes the feed wait. */
static int
sse_feed_push_locked(struct sse_stream *s, struct sse_msg *m)
{
	size_t cap = (size_t)cfg.events_queue_kib * 1024, ncap, i;
	struct sse_msg **nq;

	if (s->closing)
		return -1;
	if (s->qbytes + m->len > cap) {
		log_msg(LOG_WARN, s->req_id,
			"events: dropping the stream of %s: %zu bytes unsent "
			"(slow client)",
			s->username, s->qbytes);
		sse_close_locked(s, "dropped: slow client", 1);
		return -1;
	}
	if (s->qlen == s->qcap) {
		ncap = s->qcap ? s->qcap * 2 : 64;
		nq = malloc(ncap * sizeof(*nq));
		if (nq == NULL)
			abort();
		for (i = 0; i < s->qlen; i++)
			nq[i] = s->q[(s->qhead + i) % s->qcap];
		free(s->q);
		s->q = nq;
		s->qhead = 0;
		s->qcap = ncap;
	}
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	s->q[(s->qhead + s->qlen) % s->qcap] = m;
	s->qlen++;
	s->qbytes += m->len;
	if (s->qlen == 1)
		sse_write_ready(s);
	return 0;
}

/* Role filter and ?run= subscriptions. */
static int
sse_feed_wants(const struct sse_stream *s, const char *type,
	       const char *run_id, const char *min_role)
{
	int need = role_parse(min_role);
	size_t i;

	if (need < 0 || need > s->role)
		return 0;
	if (strcmp(type, "run.log") != 0)
		return 1;
	for (i = 0; i < s->nruns; i++)
		if (strcmp(s->runs[i], run_id) == 0)
			return 1;
	return 0;
}

/* The newest event's id (0 when there is none): every event up to it is
 * committed, as ids are taken under the event lock (sql/010). */
static int
sse_feed_end(struct db *db, long long *id)
{
	PGresult *res = db_exec(db, &sse_max_id, NULL, NULL);

	if (res == NULL)
		return -1;
	*id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Reads the events after sse_last and queues them on every live stream
 * that wants them. Called with sse_reg_mu held. 0 or -1. */
static int
sse_feed_new(struct db *db)
{
	char after[24];
	struct sse_msg *m;
	struct sse_stream *s;
	PGresult *res;
	long long id;
	size_t j;
	int i, n;

	/* No stream to feed: only where the log ends is needed (a stream
	 * that starts later goes live there, or replays up to there from
	 * the table), not every event's text. */
	if (sse_nstreams == 0) {
		if (sse_feed_end(db, &id) < 0)
			return -1;
		if (id > sse_last)
			sse_last = id;
		return 0;
	}
	do {
		snprintf(after, sizeof(after), "%lld", sse_last);
		res = db_exec(db, &sse_new_events, DB_PARAMS(after), NULL);
		if (res == NULL)
			return -1;
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			id = atoll(PQgetvalue(res, i, 0));
			m = sse_feed_msg_new(res, i);
			for (j = 0; j < sse_nstreams; j++) {
				s = sse_streams[j];
				pthread_mutex_lock(&s->mu);
				if (s->live && id > s->cursor) {
					if (sse_feed_wants(s, PQgetvalue(res, i, 1),
						      PQgetvalue(res, i, 2),
						      PQgetvalue(res, i, 3)))
						sse_feed_push_locked(s, m);
					s->cursor = id;
				}
				pthread_mutex_unlock(&s->mu);
			}
			sse_msg_unref(m);
			sse_last = id;
		}
		PQclear(res);
	} while (n == SSE_PAGE);
	return 0;
}

/* Starts the streams opened since the last call: live from now on, or
 * replaying from their Last-Event-ID. Called with sse_reg_mu held, before
 * new events are read, so a started stream misses none. */
static void
sse_feed_start(void)
{
	struct sse_stream *s;
	size_t j;

	for (j = 0; j < sse_nstreams; j++) {
		s = sse_streams[j];
		pthread_mutex_lock(&s->mu);
		if (s->fresh) {
			s->fresh = 0;
			if (s->cursor < 0)
				s->cursor = sse_last;
			s->live = s->cursor >= sse_last;
			sse_write_ready(s); /* it may answer now */
		}
		pthread_mutex_unlock(&s->mu);
	}
}

/* Replays the event log to the streams that resumed with Last-Event-ID,
 * a page at a time while their queues have room.
 * Called with sse_reg_mu held. Returns 1 when some stream has more to
 * replay right away. */
static int
sse_feed_replay(struct db *db)
{
	size_t cap = (size_t)cfg.events_queue_kib * 1024, j;
	char cursor[24], last[24], role[8];
	struct sse_stream *s;
	struct sse_msg *m;
	PGresult *res;
	long long id;
	int i, n, more = 0, room;

	snprintf(last, sizeof(last), "%lld", sse_last);
	for (j = 0; j < sse_nstreams; j++) {
		s = sse_streams[j];
		pthread_mutex_lock(&s->mu);
		if (!s->live && s->cursor >= sse_last)
			s->live = 1;
		room = !s->live && !s->closing && s->qbytes < cap / 2;
		if (room) {
			snprintf(cursor, sizeof(cursor), "%lld", s->cursor);
			snprintf(role, sizeof(role), "%d", s->role);
		}
		pthread_mutex_unlock(&s->mu);
		if (!room)
			continue;
		res = db_exec(db, &sse_replay_events,
			      DB_PARAMS(cursor, last, s->runs_array, role),
			      NULL);
		if (res == NULL)
			return 0;
		n = PQntuples(res);
		pthread_mutex_lock(&s->mu);
		for (i = 0; i < n; i++) {
			m = sse_feed_msg_new(res, i);
			if (s->qbytes + m->len > cap) {
				sse_msg_unref(m);
				break;
			}
			id = atoll(PQgetvalue(res, i, 0));
			sse_feed_push_locked(s, m);
			sse_msg_unref(m);
			s->cursor = id;
		}
		if (n < SSE_REPLAY_PAGE && i == n) {
			s->cursor = sse_last;
			s->live = 1;
		} else if (s->qbytes < cap / 2) {
			more = 1;
		}
		pthread_mutex_unlock(&s->mu);
		PQclear(res);
	}
	return more;
}

/* The one connection that LISTENs on oc_events. */
void *
sse_feed_main(void *arg)
{
	struct db *db = db_new("oc_events");
	struct pollfd pfd[2];
	PGnotify *note;
	PGconn *conn, *listened = NULL;
	uint64_t junk;
	int backend = 0, more;

	(void)arg;
	for (;;) {
		if (db_ensure(db) < 0) {
			sleep(1);
			continue;
		}
		conn = db_conn(db);
		if (conn != listened || PQbackendPID(conn) != backend) {
			if (db_command(db, "LISTEN oc_events") < 0) {
				sleep(1);
				continue;
			}
			listened = conn;
			backend = PQbackendPID(conn);
			if (sse_last < 0 && sse_feed_end(db, &sse_last) < 0)
				continue;
			log_msg(LOG_INFO, NULL,
				"events: listening, last event %lld", sse_last);
		}
		pthread_mutex_lock(&sse_reg_mu);
		sse_feed_start();
		more = sse_feed_new(db) == 0 ? sse_feed_replay(db) : 0;
		pthread_mutex_unlock(&sse_reg_mu);

		conn = db_conn(db);
		if (conn == NULL)
			continue;
		pfd[0].fd = PQsocket(conn);
		pfd[0].events = POLLIN;
		pfd[1].fd = sse_feed_fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, more ? 0 : 1000) < 0 && errno != EINTR)
			sleep(1);
		if (pfd[1].revents & POLLIN)
			while (read(sse_feed_fd, &junk, sizeof(junk)) > 0)
				;
		if (PQconsumeInput(conn) == 0) {
			log_msg(LOG_WARN, NULL, "events: connection lost: %s",
				PQerrorMessage(conn));
			continue;
		}
		while ((note = PQnotifies(conn)) != NULL)
			PQfreemem(note);
	}
	return NULL;
}

