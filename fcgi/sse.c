/* Server-sent event streams: the stream threads, the one LISTEN connection
 * that reads new core.events rows and fans them out, replay after
 * Last-Event-ID, heartbeats, credential re-checks and the program's main
 * loop. Only fcgi/ touches libfcgi. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "auth.h"
#include "cfg.h"
#include "component.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "problem.h"
#include "req.h"
#include "role.h"
#include "route.h"
#include "sse.h"

#define SSE_PAGE 500        /* new events read per query */
#define SSE_REPLAY_PAGE 200 /* replayed events per query and stream */
#define SSE_BATCH 64        /* events a stream thread writes per flush */
#if defined(__SANITIZE_ADDRESS__)
#define SSE_STACK (1024 * 1024)
#else
#define SSE_STACK (256 * 1024)
#endif

/* One formatted event, shared by every stream it is queued on. */
struct sse_msg {
	int refs; /* atomic */
	size_t len;
	char text[];
};

struct sse_stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs; /* atomic: the stream thread + re-checks in progress */

	/* set when opened, read-only afterwards */
	FCGX_Request *fr;
	int fd;                      /* fr's socket, for shutdown() */
	char *authorization;         /* for the re-checks */
	const struct route *route;
	char req_id[65];
	char username[65];
	char runs[SSE_MAX_RUNS][37]; /* ?run= subscriptions */
	size_t nruns;
	char *runs_array;            /* the same as a SQL array literal */
	double opened_ms;

	/* guarded by mu */
	int role;           /* enum role, refreshed by re-checks */
	int fresh;          /* not yet seen by the feed thread */
	int live;           /* 0 while replaying from the event log */
	long long cursor;   /* id of the last event considered */
	struct sse_msg **q; /* ring of queued events */
	size_t qhead, qlen, qcap;
	size_t qbytes;
	int closing;        /* the stream thread should stop */
	const char *why;    /* why it stopped (static) */
	int finished;       /* fd closed or about to be: no shutdown() */
	unsigned long long sent;
};

static pthread_mutex_t sse_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sse_stream **sse_streams; /* guarded by sse_reg_mu */
static size_t sse_nstreams, sse_capstreams;
static int sse_wake_fd = -1;
static long long sse_last = -1; /* feed thread only: newest id read */
static int sse_listen_fd = -1;

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

static double sse_now_ms(void);
static void sse_wake(void);
static struct sse_msg *sse_msg_new(const PGresult *res, int row);
static void sse_msg_unref(struct sse_msg *m);
static void sse_stream_unref(struct sse_stream *s);
static void sse_close_locked(struct sse_stream *s, const char *why,
			     int hard);
static int sse_push_locked(struct sse_stream *s, struct sse_msg *m);
static int sse_wants(const struct sse_stream *s, const char *type,
		     const char *run_id, const char *min_role);
static void sse_unregister(struct sse_stream *s);
static int sse_write_all(FCGX_Stream *out, const char *p, size_t n);
static void *sse_stream_main(void *arg);
static int sse_takeover(struct req *r, FCGX_Request *fr);
static void sse_feed_start(void);
static int sse_feed_new(struct db *db);
static int sse_feed_replay(struct db *db);
static void *sse_feed_main(void *arg);
static void *sse_accept_main(void *arg);
static void sse_recheck(struct db *db, struct arena *a);
static void sse_close_all(const char *why);

static double
sse_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wakes the feed thread (a new stream, or a replaying one drained). */
static void
sse_wake(void)
{
	uint64_t one = 1;

	if (write(sse_wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, NULL, "events: wake failed: %s",
			strerror(errno));
}

/* "id: N\nevent: T\ndata: JSON\n\n" for one row of the event queries.
 * jsonb's text form has no raw line breaks, so data is one line. */
static struct sse_msg *
sse_msg_new(const PGresult *res, int row)
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

static void
sse_msg_unref(struct sse_msg *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

static void
sse_stream_unref(struct sse_stream *s)
{
	size_t i;

	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < s->qlen; i++)
		sse_msg_unref(s->q[(s->qhead + i) % s->qcap]);
	free(s->q);
	free(s->authorization);
	free(s->runs_array);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* Tells the stream thread to stop. hard: also shut the socket down, so a
 * thread blocked writing to a client that does not read returns. */
static void
sse_close_locked(struct sse_stream *s, const char *why, int hard)
{
	if (s->closing)
		return;
	s->closing = 1;
	s->why = why;
	if (hard && !s->finished)
		shutdown(s->fd, SHUT_RDWR);
	pthread_cond_signal(&s->cv);
}

/* Queues m on s. A live stream whose queue would pass the limit is
 * dropped (-1); it never makes the feed wait. */
static int
sse_push_locked(struct sse_stream *s, struct sse_msg *m)
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
		pthread_cond_signal(&s->cv);
	return 0;
}

/* Role filter and ?run= subscriptions. */
static int
sse_wants(const struct sse_stream *s, const char *type, const char *run_id,
	  const char *min_role)
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

static void
sse_unregister(struct sse_stream *s)
{
	size_t i;

	pthread_mutex_lock(&sse_reg_mu);
	for (i = 0; i < sse_nstreams; i++)
		if (sse_streams[i] == s) {
			sse_streams[i] = sse_streams[--sse_nstreams];
			break;
		}
	pthread_mutex_unlock(&sse_reg_mu);
}

static int
sse_write_all(FCGX_Stream *out, const char *p, size_t n)
{
	return FCGX_PutStr(p, (int)n, out) == (int)n ? 0 : -1;
}

static void *
sse_stream_main(void *arg)
{
	struct sse_stream *s = arg;
	FCGX_Stream *out = s->fr->out;
	struct sse_msg *batch[SSE_BATCH];
	struct timespec until;
	double last_write, wait_ms;
	size_t i, n, cap = (size_t)cfg.events_queue_kib * 1024;
	const char *why = "client gone";
	int rc, refill;

	/* Answer once the feed has started the stream: a client that has
	 * the headers gets every event committed after that. */
	pthread_mutex_lock(&s->mu);
	while (s->fresh && !s->closing)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	FCGX_FPrintF(out, "Status: 200 OK\r\n"
			  "Content-Type: text/event-stream; charset=utf-8\r\n"
			  "Cache-Control: no-cache, no-store\r\n"
			  "X-Accel-Buffering: no\r\n\r\n"
			  ": opsconductor events\n\n");
	if (FCGX_FFlush(out) < 0 || FCGX_GetError(out) != 0)
		goto done;
	last_write = sse_now_ms();
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->qlen == 0 && !s->closing) {
			wait_ms = last_write + cfg.events_heartbeat_s * 1e3 -
				  sse_now_ms();
			if (wait_ms <= 0)
				break;
			wait_ms += sse_now_ms();
			until.tv_sec = (time_t)(wait_ms / 1e3);
			until.tv_nsec = (long)((wait_ms - (double)until.tv_sec *
						     1e3) * 1e6);
			pthread_cond_timedwait(&s->cv, &s->mu, &until);
		}
		if (s->closing) {
			why = s->why;
			pthread_mutex_unlock(&s->mu);
			break;
		}
		for (n = 0; n < SSE_BATCH && s->qlen > 0; n++) {
			batch[n] = s->q[s->qhead];
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
			s->qbytes -= batch[n]->len;
		}
		refill = !s->live && n > 0 && s->qbytes < cap / 2;
		s->sent += n;
		pthread_mutex_unlock(&s->mu);
		if (refill)
			sse_wake();

		rc = 0;
		if (n == 0)
			rc = sse_write_all(out, ": hb\n\n", 6);
		for (i = 0; i < n; i++) {
			if (rc == 0)
				rc = sse_write_all(out, batch[i]->text,
						   batch[i]->len);
			sse_msg_unref(batch[i]);
		}
		if (rc < 0 || FCGX_FFlush(out) < 0 || FCGX_GetError(out) != 0)
			break;
		last_write = sse_now_ms();
	}
done:
	sse_unregister(s);
	pthread_mutex_lock(&s->mu);
	s->finished = 1;
	if (!s->closing)
		s->why = why;
	pthread_mutex_unlock(&s->mu);
	FCGX_Finish_r(s->fr);
	free(s->fr);
	log_msg(LOG_INFO, s->req_id,
		"events: stream of %s closed after %.1f s, %llu events (%s)",
		s->username, (sse_now_ms() - s->opened_ms) / 1e3, s->sent,
		s->why != NULL ? s->why : why);
	sse_stream_unref(s);
	return NULL;
}

int
sse_open_or_problem(struct req *r, long long after, const char *const *runs,
		    size_t nruns)
{
	struct sse_stream *s;
	pthread_condattr_t ca;
	size_t n, i, len;

	pthread_mutex_lock(&sse_reg_mu);
	n = sse_nstreams;
	pthread_mutex_unlock(&sse_reg_mu);
	if (n >= (size_t)cfg.events_max_streams) {
		req_header_add(r, "Retry-After", "5");
		return problem(r, PROBLEM_UNAVAILABLE,
			       "This events process already serves %zu "
			       "streams; try again later.",
			       n);
	}
	if (nruns > SSE_MAX_RUNS)
		nruns = SSE_MAX_RUNS;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->refs = 1;
	s->fd = -1;
	s->authorization = strdup(r->authorization);
	s->runs_array = malloc(nruns * 37 + 3);
	if (s->authorization == NULL || s->runs_array == NULL)
		abort();
	s->route = r->route;
	snprintf(s->req_id, sizeof(s->req_id), "%s", r->req_id);
	snprintf(s->username, sizeof(s->username), "%s", r->who.username);
	strcpy(s->runs_array, "{");
	for (i = 0; i < nruns; i++) {
		snprintf(s->runs[i], sizeof(s->runs[i]), "%s", runs[i]);
		if (i > 0)
			strcat(s->runs_array, ",");
		strcat(s->runs_array, s->runs[i]);
	}
	len = strlen(s->runs_array);
	s->runs_array[len] = '}';
	s->runs_array[len + 1] = '\0';
	s->nruns = nruns;
	s->role = r->who.role;
	s->fresh = 1;
	s->cursor = after;
	s->opened_ms = sse_now_ms();
	r->takeover = s;
	return 200;
}

/* Called by http_process for a 200 with r->takeover set: registers the
 * stream and starts its thread, which now owns fr. */
static int
sse_takeover(struct req *r, FCGX_Request *fr)
{
	struct sse_stream *s = r->takeover;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	r->takeover = NULL;
	s->fr = fr;
	s->fd = fr->ipcFd;
	pthread_mutex_lock(&sse_reg_mu);
	if (sse_nstreams == sse_capstreams) {
		sse_capstreams = sse_capstreams ? sse_capstreams * 2 : 64;
		sse_streams = realloc(sse_streams,
				      sse_capstreams * sizeof(*sse_streams));
		if (sse_streams == NULL)
			abort();
	}
	sse_streams[sse_nstreams++] = s;
	pthread_mutex_unlock(&sse_reg_mu);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SSE_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, sse_stream_main, s);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_msg(LOG_ERROR, r->req_id, "events: no thread: %s",
			strerror(rc));
		sse_unregister(s);
		s->fr = NULL;
		sse_stream_unref(s);
		problem(r, PROBLEM_UNAVAILABLE,
			"The events process is out of threads; try again "
			"later.");
		return -1;
	}
	sse_wake();
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

	do {
		snprintf(after, sizeof(after), "%lld", sse_last);
		res = db_exec(db, &sse_new_events, DB_PARAMS(after), NULL);
		if (res == NULL)
			return -1;
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			id = atoll(PQgetvalue(res, i, 0));
			m = sse_msg_new(res, i);
			for (j = 0; j < sse_nstreams; j++) {
				s = sse_streams[j];
				pthread_mutex_lock(&s->mu);
				if (s->live && id > s->cursor) {
					if (sse_wants(s, PQgetvalue(res, i, 1),
						      PQgetvalue(res, i, 2),
						      PQgetvalue(res, i, 3)))
						sse_push_locked(s, m);
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
			pthread_cond_signal(&s->cv);
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
		snprintf(cursor, sizeof(cursor), "%lld", s->cursor);
		snprintf(role, sizeof(role), "%d", s->role);
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
			m = sse_msg_new(res, i);
			if (s->qbytes + m->len > cap) {
				sse_msg_unref(m);
				break;
			}
			id = atoll(PQgetvalue(res, i, 0));
			sse_push_locked(s, m);
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
static void *
sse_feed_main(void *arg)
{
	struct db *db = db_new("oc_events");
	struct pollfd pfd[2];
	PGnotify *note;
	PGresult *res;
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
			if (sse_last < 0) {
				res = db_exec(db, &sse_max_id, NULL, NULL);
				if (res == NULL)
					continue;
				sse_last = atoll(PQgetvalue(res, 0, 0));
				PQclear(res);
			}
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
		pfd[1].fd = sse_wake_fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, more ? 0 : 1000) < 0 && errno != EINTR)
			sleep(1);
		if (pfd[1].revents & POLLIN)
			while (read(sse_wake_fd, &junk, sizeof(junk)) > 0)
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

static void *
sse_accept_main(void *arg)
{
	struct http_ctx *ctx = arg;
	FCGX_Request *fr;

	for (;;) {
		fr = calloc(1, sizeof(*fr));
		if (fr == NULL)
			abort();
		if (FCGX_InitRequest(fr, sse_listen_fd, 0) != 0) {
			log_msg(LOG_ERROR, NULL, "FCGX_InitRequest failed");
			free(fr);
			sleep(1);
			continue;
		}
		if (FCGX_Accept_r(fr) < 0) {
			log_msg(LOG_WARN, NULL, "accept failed");
			free(fr);
			continue;
		}
		if (http_process(ctx, fr) == 0) {
			FCGX_Finish_r(fr);
			free(fr);
		}
	}
	return NULL;
}

/* Authenticates every stream again, as its request was: a stream whose
 * session ended, whose token expired or whose key was revoked ends; a
 * changed role applies to the events it gets from now on. */
static void
sse_recheck(struct db *db, struct arena *a)
{
	struct sse_stream **snap;
	struct req r;
	size_t i, n;
	int rc;

	pthread_mutex_lock(&sse_reg_mu);
	n = sse_nstreams;
	snap = malloc((n + 1) * sizeof(*snap));
	if (snap == NULL)
		abort();
	for (i = 0; i < n; i++) {
		snap[i] = sse_streams[i];
		__atomic_add_fetch(&snap[i]->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&sse_reg_mu);
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.arena = a;
		r.db = db;
		r.method = "GET";
		r.route = snap[i]->route;
		r.path = r.route->pattern;
		r.req_id = snap[i]->req_id;
		r.authorization = snap[i]->authorization;
		rc = auth_or_problem(&r);
		pthread_mutex_lock(&snap[i]->mu);
		if (rc == 0)
			snap[i]->role = r.who.role;
		else if (r.status == 401 || r.status == 403)
			sse_close_locked(snap[i], "credentials no longer valid",
					 0);
		pthread_mutex_unlock(&snap[i]->mu);
		arena_reset(a);
		sse_stream_unref(snap[i]);
	}
	free(snap);
}

static void
sse_close_all(const char *why)
{
	size_t i;

	pthread_mutex_lock(&sse_reg_mu);
	for (i = 0; i < sse_nstreams; i++) {
		pthread_mutex_lock(&sse_streams[i]->mu);
		sse_close_locked(sse_streams[i], why, 0);
		pthread_mutex_unlock(&sse_streams[i]->mu);
	}
	pthread_mutex_unlock(&sse_reg_mu);
}

int
sse_main(const struct pool_def *def)
{
	static struct http_ctx ctx;
	struct timespec tick = {1, 0};
	time_t now, next_beat = 0, next_purge = 0, next_check;
	struct arena *hk_arena;
	struct db *hk_db;
	sigset_t sigs;
	pthread_t feed, acc;
	size_t n;
	int sig, i;

	log_init(def->name);
	if (cfg_load(def->name) < 0)
		return 2;
	if (pool_routes_build(def) < 0)
		return 1;
	ctx.routes = pool_routes_get(&n);
	ctx.nroutes = n;
	if (metrics_init(ctx.routes, ctx.nroutes) < 0 || auth_init() < 0)
		return 2;
	sse_listen_fd = http_listen(cfg.listen);
	if (sse_listen_fd < 0)
		return 1;
	sse_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sse_wake_fd < 0)
		return 1;
	/* Every thread inherits the mask: only this one takes signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	FCGX_Init();
	ctx.arena = arena_new(16384);
	ctx.db = db_new(def->db_role);
	ctx.takeover = sse_takeover;
	hk_arena = arena_new(16384);
	hk_db = db_new(def->db_role);
	if (pthread_create(&feed, NULL, sse_feed_main, NULL) != 0 ||
	    pthread_create(&acc, NULL, sse_accept_main, &ctx) != 0)
		return 1;
	log_msg(LOG_INFO, NULL,
		"listening on %s: at most %d streams, heartbeat %d s",
		cfg.listen, cfg.events_max_streams, cfg.events_heartbeat_s);
	next_check = time(NULL) + cfg.events_heartbeat_s;
	for (;;) {
		now = time(NULL);
		if (now >= next_beat) {
			db_ensure(hk_db);
			component_beat(hk_db, "process", getpid());
			next_beat = now + cfg.heartbeat_s;
		}
		if (now >= next_purge) {
			component_purge(hk_db);
			next_purge = now + 600;
		}
		if (now >= next_check) {
			if (db_ensure(hk_db) == 0)
				sse_recheck(hk_db, hk_arena);
			next_check = time(NULL) + cfg.events_heartbeat_s;
		}
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	log_msg(LOG_INFO, NULL, "stopping: closing the streams");
	sse_close_all("shutting down");
	for (i = 0; i < 50; i++) {
		pthread_mutex_lock(&sse_reg_mu);
		n = sse_nstreams;
		pthread_mutex_unlock(&sse_reg_mu);
		if (n == 0)
			break;
		usleep(100000);
	}
	component_stop(hk_db, getpid());
	if (cfg.listen[0] == '/')
		unlink(cfg.listen);
	log_msg(LOG_INFO, NULL, "stopped");
	return 0;
}
