/* Server-sent event streams: opening a stream and handing its connection
 * to the writer, the registry the feed fans events out to, credential
 * re-checks and the program's main loop (the feed is sse_feed.c, the
 * writer sse_write.c). Only fcgi/ touches libfcgi. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "sse_int.h"

pthread_mutex_t sse_reg_mu = PTHREAD_MUTEX_INITIALIZER;
struct sse_stream **sse_streams; /* guarded by sse_reg_mu */
size_t sse_nstreams;
static size_t sse_capstreams;
static int sse_listen_fd = -1;

static int sse_takeover(struct req *r, FCGX_Request *fr);
static void *sse_accept_main(void *arg);
static void sse_recheck(struct db *db, struct arena *a);
static void sse_close_all(const char *why);

double
sse_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void
sse_msg_unref(struct sse_msg *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

void
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
	free(s);
}

void
sse_close_locked(struct sse_stream *s, const char *why, int hard)
{
	if (s->closing)
		return;
	s->closing = 1;
	s->why = why;
	if (hard && !s->finished && s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	sse_write_ready(s);
}

void
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

int
sse_open_or_problem(struct req *r, long long after, const char *const *runs,
		    size_t nruns)
{
	struct sse_stream *s;
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
 * stream for the feed and hands it to the writer, which now owns fr. */
static int
sse_takeover(struct req *r, FCGX_Request *fr)
{
	struct sse_stream *s = r->takeover;

	r->takeover = NULL;
	s->fr = fr;
	s->fd = fr->ipcFd;
	s->fcgi_id = fr->requestId;
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
	sse_write_ready(s);
	sse_feed_wake();
	return 0;
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
	pthread_t feed, acc, wr;
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
	if (sse_feed_init() < 0 || sse_write_init() < 0)
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
	    pthread_create(&wr, NULL, sse_write_main, NULL) != 0 ||
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
