/* Server-sent event streams, inside fcgi/: the stream and message
 * structures shared by the registry (sse.c), the feed thread that reads
 * core.events (sse_feed.c) and the writer thread that sends every stream
 * (sse_write.c). Lock order: sse_reg_mu, then a stream's mu, then the
 * writer's ready list lock. */
#ifndef OC_SSE_INT_H
#define OC_SSE_INT_H

#include <pthread.h>
#include <stddef.h>

#include "sse.h"

struct FCGX_Request;
struct route;

/* One formatted event, shared by every stream it is queued on. */
struct sse_msg {
	int refs; /* atomic */
	size_t len;
	char text[];
};

struct sse_stream {
	pthread_mutex_t mu;
	int refs; /* atomic: the writer + the ready list + re-checks */

	/* set when opened, read-only afterwards */
	struct FCGX_Request *fr;
	int fd;                      /* fr's socket */
	int fcgi_id;                 /* fr's FastCGI request id */
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
	int closing;        /* the writer should end the stream */
	const char *why;    /* why it ended (static) */
	int finished;       /* fd closed or about to be: no shutdown() */
	unsigned long long sent;

	/* guarded by the writer's ready list lock */
	int ready;          /* on the ready list (holds a reference) */

	/* the writer thread only */
	int owned;          /* in the writer's list and epoll set */
	int done;           /* ended: fd closed, unregistered */
	int headed;         /* response head written */
	int blocked;        /* socket full: waiting for EPOLLOUT */
	size_t widx;        /* index in the writer's list */
	char *out;          /* FastCGI records not yet written */
	size_t olen, ooff, ocap;
	double last_write;
};

/* sse.c: the registry of open streams (the feed reads it). */
extern pthread_mutex_t sse_reg_mu;
extern struct sse_stream **sse_streams; /* guarded by sse_reg_mu */
extern size_t sse_nstreams;

double sse_now_ms(void);
void sse_msg_unref(struct sse_msg *m);
void sse_stream_unref(struct sse_stream *s);
/* Tells the writer to end s. hard: also shut the socket down at once (a
 * client that stopped reading). */
void sse_close_locked(struct sse_stream *s, const char *why, int hard);
void sse_unregister(struct sse_stream *s);

/* sse_feed.c: the LISTEN connection and the per-stream queues. */
int sse_feed_init(void);
void *sse_feed_main(void *arg);
/* Wakes the feed thread (a new stream, or a replaying one drained). */
void sse_feed_wake(void);

/* sse_write.c: the one thread that writes every stream. */
int sse_write_init(void);
void *sse_write_main(void *arg);
/* Any thread: s has something for the writer (a started stream, queued
 * events, a close). Takes a reference until the writer has looked. */
void sse_write_ready(struct sse_stream *s);

#endif
