/* Server-sent event streams: the one thread that writes every stream. It
 * sleeps in epoll until the feed queues events (or a stream's socket has
 * room again), then sends all that a stream has queued as FastCGI records
 * in one non-blocking write; it also writes heartbeats and ends streams. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "cfg.h"
#include "log.h"
#include "sse_int.h"

#define SSE_WRITE_BATCH 65536 /* event bytes taken from a queue per write */
#define SSE_WRITE_KEEP 16384  /* out buffers larger than this are freed */
#define SSE_WRITE_EVENTS 64   /* epoll events per wait */

static const char sse_write_head[] =
	"Status: 200 OK\r\n"
	"Content-Type: text/event-stream; charset=utf-8\r\n"
	"Cache-Control: no-cache, no-store\r\n"
	"X-Accel-Buffering: no\r\n\r\n"
	": opsconductor events\n\n";

static int sse_write_ep = -1;   /* epoll: the kick eventfd + every stream */
static int sse_write_kick = -1; /* eventfd: the ready list got entries */
static pthread_mutex_t sse_write_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sse_stream **sse_write_list; /* ready list, sse_write_mu */
static size_t sse_write_nlist, sse_write_caplist;
/* the writer thread only */
static struct sse_stream **sse_write_owned, **sse_write_dead;
static size_t sse_write_nowned, sse_write_capowned;
static size_t sse_write_ndead, sse_write_capdead;

static void sse_write_push(struct sse_stream ***v, size_t *n, size_t *cap,
			   struct sse_stream *s);
static void sse_write_record(struct sse_stream *s, int type, const char *p,
			     size_t n);
static int sse_write_flush(struct sse_stream *s);
static void sse_write_watch(struct sse_stream *s, int out);
static void sse_write_own(struct sse_stream *s, double now);
static void sse_write_end(struct sse_stream *s, const char *why);
static void sse_write_serve(struct sse_stream *s, double now, int beat);
static double sse_write_beats(double now);

int
sse_write_init(void)
{
	struct epoll_event ev;

	sse_write_ep = epoll_create1(EPOLL_CLOEXEC);
	sse_write_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sse_write_ep < 0 || sse_write_kick < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	return epoll_ctl(sse_write_ep, EPOLL_CTL_ADD, sse_write_kick, &ev);
}

static void
sse_write_push(struct sse_stream ***v, size_t *n, size_t *cap,
	       struct sse_stream *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = realloc(*v, *cap * sizeof(**v));
		if (*v == NULL)
			abort();
	}
	(*v)[(*n)++] = s;
}

void
sse_write_ready(struct sse_stream *s)
{
	uint64_t one = 1;
	int kick = 0;

	pthread_mutex_lock(&sse_write_mu);
	if (!s->ready) {
		s->ready = 1;
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
		sse_write_push(&sse_write_list, &sse_write_nlist,
			       &sse_write_caplist, s);
		/* A list that was not empty has its kick pending. */
		kick = sse_write_nlist == 1;
	}
	pthread_mutex_unlock(&sse_write_mu);
	if (kick && write(sse_write_kick, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		log_msg(LOG_WARN, NULL, "events: writer wake failed: %s",
			strerror(errno));
}

/* Appends FastCGI records of the given type carrying p[0..n) to s->out
 * (n == 0: one empty record, the end of the stream of that type). */
static void
sse_write_record(struct sse_stream *s, int type, const char *p, size_t n)
{
	size_t chunk, need = n + 8 * (n / 65535 + 1);
	unsigned char *h;

	if (s->olen + need > s->ocap) {
		s->ocap = s->olen + need > 2 * s->ocap ? s->olen + need
						       : 2 * s->ocap;
		s->out = realloc(s->out, s->ocap);
		if (s->out == NULL)
			abort();
	}
	do {
		chunk = n > 65535 ? 65535 : n;
		h = (unsigned char *)s->out + s->olen;
		h[0] = FCGI_VERSION_1;
		h[1] = (unsigned char)type;
		h[2] = (unsigned char)(s->fcgi_id >> 8);
		h[3] = (unsigned char)s->fcgi_id;
		h[4] = (unsigned char)(chunk >> 8);
		h[5] = (unsigned char)chunk;
		h[6] = 0; /* padding */
		h[7] = 0;
		memcpy(s->out + s->olen + 8, p, chunk);
		s->olen += 8 + chunk;
		p += chunk;
		n -= chunk;
	} while (n > 0);
}

/* Writes what s->out holds: 1 all of it, 0 the socket is full, -1 the
 * connection is gone. */
static int
sse_write_flush(struct sse_stream *s)
{
	ssize_t n;

	while (s->ooff < s->olen) {
		n = send(s->fd, s->out + s->ooff, s->olen - s->ooff,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		s->ooff += (size_t)n;
	}
	s->ooff = s->olen = 0;
	if (s->ocap > SSE_WRITE_KEEP) {
		free(s->out);
		s->out = NULL;
		s->ocap = 0;
	}
	return 1;
}

/* Watches s for the server closing (always) and for room (out). */
static void
sse_write_watch(struct sse_stream *s, int out)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLRDHUP | (out ? EPOLLOUT : 0);
	ev.data.ptr = s;
	if (epoll_ctl(sse_write_ep, EPOLL_CTL_MOD, s->fd, &ev) < 0)
		log_msg(LOG_WARN, s->req_id, "events: epoll: %s",
			strerror(errno));
	s->blocked = out;
}

/* A stream the writer sees for the first time. */
static void
sse_write_own(struct sse_stream *s, double now)
{
	struct epoll_event ev;
	int one = 1;

	s->owned = 1;
	s->last_write = now;
	s->widx = sse_write_nowned;
	sse_write_push(&sse_write_owned, &sse_write_nowned,
		       &sse_write_capowned, s);
	/* TCP upstreams: events are small and must not wait for an ack. */
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLRDHUP;
	ev.data.ptr = s;
	if (fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    epoll_ctl(sse_write_ep, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		log_msg(LOG_ERROR, s->req_id, "events: cannot watch: %s",
			strerror(errno));
		sse_write_end(s, "internal error");
	}
}

/* Ends s: the end records when nothing is half written, the socket
 * closed, the stream unregistered. The writer's reference goes at the end
 * of the round (epoll may still hold events for s). */
static void
sse_write_end(struct sse_stream *s, const char *why)
{
	unsigned char end[8] = {0, 0, 0, 0, FCGI_REQUEST_COMPLETE, 0, 0, 0};
	char junk[256];
	struct sse_stream *last;

	s->done = 1;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	s->finished = 1;
	if (s->why == NULL)
		s->why = why;
	pthread_mutex_unlock(&s->mu);
	epoll_ctl(sse_write_ep, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->ooff == s->olen) {
		s->ooff = s->olen = 0;
		if (!s->headed)
			sse_write_record(s, FCGI_STDOUT, sse_write_head,
					 sizeof(sse_write_head) - 1);
		sse_write_record(s, FCGI_STDOUT, "", 0);
		sse_write_record(s, FCGI_END_REQUEST, (const char *)end,
				 sizeof(end));
		sse_write_flush(s);
	}
	/* libfcgi's own close would wait for the server (up to 2 s): read
	 * what the server sent and close. */
	while (recv(s->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	FCGX_Free(s->fr, 0);
	free(s->fr);
	s->fr = NULL;
	close(s->fd);
	free(s->out);
	s->out = NULL;
	s->olen = s->ooff = s->ocap = 0;
	sse_unregister(s);
	if (s->owned) {
		last = sse_write_owned[--sse_write_nowned];
		sse_write_owned[s->widx] = last;
		last->widx = s->widx;
	}
	log_msg(LOG_INFO, s->req_id,
		"events: stream of %s closed after %.1f s, %llu events (%s)",
		s->username, (sse_now_ms() - s->opened_ms) / 1e3, s->sent,
		s->why);
	sse_write_push(&sse_write_dead, &sse_write_ndead, &sse_write_capdead,
		       s);
}

/* Sends what s has: the response head once the feed has started it, then
 * its queued events a batch per write until the queue is empty or the
 * socket full; beat: a heartbeat comment when nothing is queued. */
static void
sse_write_serve(struct sse_stream *s, double now, int beat)
{
	size_t cap = (size_t)cfg.events_queue_kib * 1024, taken;
	struct sse_msg *m;
	int rc, refill;

	if (s->done)
		return;
	for (;;) {
		if (s->ooff < s->olen) {
			rc = sse_write_flush(s);
			if (rc < 0) {
				sse_write_end(s, "client gone");
				return;
			}
			if (rc > 0)
				s->last_write = now;
			if (rc == 0 && !s->blocked)
				sse_write_watch(s, 1);
			if (rc > 0 && s->blocked)
				sse_write_watch(s, 0);
		}
		pthread_mutex_lock(&s->mu);
		if (s->closing) {
			pthread_mutex_unlock(&s->mu);
			sse_write_end(s, "closed");
			return;
		}
		if (s->fresh || s->ooff < s->olen ||
		    (s->qlen == 0 && s->headed && !beat)) {
			pthread_mutex_unlock(&s->mu);
			return;
		}
		if (!s->headed) {
			sse_write_record(s, FCGI_STDOUT, sse_write_head,
					 sizeof(sse_write_head) - 1);
			s->headed = 1;
		} else if (s->qlen == 0) {
			sse_write_record(s, FCGI_STDOUT, ": hb\n\n", 6);
		}
		beat = 0;
		for (taken = 0; s->qlen > 0 && taken < SSE_WRITE_BATCH;) {
			m = s->q[s->qhead];
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
			s->qbytes -= m->len;
			s->sent++;
			taken += m->len;
			sse_write_record(s, FCGI_STDOUT, m->text, m->len);
			sse_msg_unref(m);
		}
		refill = !s->live && taken > 0 && s->qbytes < cap / 2;
		pthread_mutex_unlock(&s->mu);
		if (refill)
			sse_feed_wake();
	}
}

/* Heartbeats for the streams idle for the interval; returns when the next
 * one is due. */
static double
sse_write_beats(double now)
{
	double every = cfg.events_heartbeat_s * 1e3, next = now + every, due;
	struct sse_stream *s;
	size_t i;

	for (i = 0; i < sse_write_nowned; i++) {
		s = sse_write_owned[i];
		if (s->done || !s->headed || s->blocked)
			continue;
		due = s->last_write + every;
		if (due <= now)
			sse_write_serve(s, now, 1);
		else if (due < next)
			next = due;
		/* sse_write_serve may have ended s: the list moved. */
		if (i < sse_write_nowned && sse_write_owned[i] != s)
			i--;
	}
	return next;
}

void *
sse_write_main(void *arg)
{
	struct epoll_event evs[SSE_WRITE_EVENTS];
	struct sse_stream **list = NULL, *s;
	size_t nlist, caplist = 0, i;
	double now, next_beat = 0;
	uint64_t junk;
	int n, k, wait_ms;

	(void)arg;
	for (;;) {
		now = sse_now_ms();
		if (now >= next_beat)
			next_beat = sse_write_beats(now);
		wait_ms = next_beat - now > 999 ? 1000
						: (int)(next_beat - now) + 1;
		n = epoll_wait(sse_write_ep, evs, SSE_WRITE_EVENTS, wait_ms);
		if (n < 0 && errno != EINTR)
			log_msg(LOG_ERROR, NULL, "events: epoll_wait: %s",
				strerror(errno));
		now = sse_now_ms();
		for (k = 0; k < n; k++) {
			s = evs[k].data.ptr;
			if (s == NULL) {
				while (read(sse_write_kick, &junk,
					    sizeof(junk)) > 0)
					;
				continue;
			}
			if (s->done)
				continue;
			if (evs[k].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				sse_write_end(s, "client gone");
			else if (evs[k].events & EPOLLOUT)
				sse_write_serve(s, now, 0);
		}
		/* Take the ready list as it is; later entries kick again. */
		pthread_mutex_lock(&sse_write_mu);
		nlist = sse_write_nlist;
		if (nlist > caplist) {
			caplist = sse_write_caplist;
			list = realloc(list, caplist * sizeof(*list));
			if (list == NULL)
				abort();
		}
		for (i = 0; i < nlist; i++) {
			list[i] = sse_write_list[i];
			list[i]->ready = 0;
		}
		sse_write_nlist = 0;
		pthread_mutex_unlock(&sse_write_mu);
		for (i = 0; i < nlist; i++) {
			s = list[i];
			if (!s->owned && !s->done)
				sse_write_own(s, now);
			sse_write_serve(s, now, 0);
			sse_stream_unref(s);
		}
		for (i = 0; i < sse_write_ndead; i++)
			sse_stream_unref(sse_write_dead[i]);
		sse_write_ndead = 0;
	}
	return NULL;
}
