/* The discovery scanner's event loop: non-blocking TCP connects on one
 * epoll set, at most a given number in flight, probes on open ports,
 * reverse names, one result per host. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "scan.h"
#include "scanloop.h"
#include "scanprobe.h"

#define SCANLOOP_RESOLVERS 4 /* reverse lookup threads per scan */
#define SCANLOOP_TICK_MS 100 /* longest wait, so a cancel is seen quickly */
#define SCANLOOP_RETRY_MS 20 /* pause after running out of fds or ports */
#define SCANLOOP_RETRIES 250 /* pauses in a row before giving up */

/* A doubly-linked list member; first in the structs that use it. */
struct scanloop_link {
	struct scanloop_link *prev, *next;
};

struct scanloop_list {
	struct scanloop_link *head, *tail;
};

/* A host being scanned. */
struct scanloop_target {
	struct scanloop_link link; /* in the name wait list */
	struct scanloop_link all;  /* in the list of live targets */
	size_t next_port;	   /* next port index to connect */
	int pending;		   /* connections open */
	int waiting;		   /* in the name wait list */
	uint64_t open;		   /* bit per port index */
	int64_t deadline;	   /* end of the wait for the name */
	struct scanname_job *job;  /* reverse lookup, NULL if none */
	struct scan_host h;
};

struct scanloop_conn {
	struct scanloop_link link;  /* in *list */
	struct scanloop_list *list; /* connecting or probing */
	struct scanloop_target *t;
	size_t port; /* index into the port list */
	int fd;
	int connected;	 /* handshake done */
	int probing;	 /* probe started */
	uint32_t events; /* epoll interest */
	int64_t deadline;
	struct scanprobe probe;
};

struct scanloop {
	const struct scan_opts *o;
	const struct scan_port *ports;
	size_t nports;
	int ep;
	int limit, in_flight;
	struct scanloop_list connecting, probing, names, targets;
	size_t ntargets, max_targets;
	struct scanloop_target
	    *launching; /* host whose ports are being opened */
	size_t ci;	/* range being iterated */
	struct cidr_iter it;
	int iter_done;
	int paused, retries;
	int64_t start, now, retry_at, last_progress;
	uint64_t reported;
	SSL_CTX *tls;
	struct scanname *names_svc;
	struct scan_stats st;
	char *err;
	size_t errlen;
	int failed;
	int closing; /* tearing down: nothing more is reported */
};

static void *scanloop_alloc(size_t n);
static int64_t scanloop_now_ms(void);
static void scanloop_fail(struct scanloop *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void scanloop_list_add(struct scanloop_list *l, struct scanloop_link *e);
static void scanloop_list_del(struct scanloop_list *l, struct scanloop_link *e);
static int scanloop_fd_cap(void);
static void scanloop_names_ready(struct scanloop *s);
static struct scanloop_target *scanloop_next_target(struct scanloop *s);
static void scanloop_target_check(struct scanloop *s,
				  struct scanloop_target *t);
static void scanloop_target_finish(struct scanloop *s,
				   struct scanloop_target *t);
static void scanloop_target_free(struct scanloop *s, struct scanloop_target *t);
static int scanloop_transient(int err);
static int scanloop_connect(struct scanloop *s, struct scanloop_target *t,
			    size_t pi);
static int scanloop_watch(struct scanloop *s, struct scanloop_conn *c,
			  uint32_t ev);
static void scanloop_opened(struct scanloop *s, struct scanloop_conn *c);
static void scanloop_step(struct scanloop *s, struct scanloop_conn *c,
			  enum scanprobe_want w);
static void scanloop_conn_end(struct scanloop *s, struct scanloop_conn *c);
static void scanloop_event(struct scanloop *s, struct scanloop_conn *c,
			   uint32_t ev);
static void scanloop_launch(struct scanloop *s);
static void scanloop_expire(struct scanloop *s);
static int scanloop_wait_ms(const struct scanloop *s);
static void scanloop_progress(struct scanloop *s, int force);
static int scanloop_setup(struct scanloop *s, char *err, size_t errlen);
static void scanloop_teardown(struct scanloop *s);

static void *
scanloop_alloc(size_t n)
{
	void *p = calloc(1, n);

	if (p == NULL) {
		fputs("scanloop: out of memory\n", stderr);
		abort();
	}
	return p;
}

static int64_t
scanloop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
scanloop_fail(struct scanloop *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = 1;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
}

static void
scanloop_list_add(struct scanloop_list *l, struct scanloop_link *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

static void
scanloop_list_del(struct scanloop_list *l, struct scanloop_link *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

/* Sockets this scan may hold: half of the descriptors still free under
 * RLIMIT_NOFILE, leaving the rest (and a reserve) to the other threads. */
static int
scanloop_fd_cap(void)
{
	struct rlimit rl;
	struct dirent *de;
	DIR *d;
	long cur = 1024, used = 64, avail;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		cur = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576
			  ? 1048576
			  : (long)rl.rlim_cur;
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		used = 0;
		while ((de = readdir(d)) != NULL)
			used += de->d_name[0] != '.';
		closedir(d);
	}
	avail = (cur - used - 32) / 2;
	return avail < 1 ? 1 : avail > 65536 ? 65536 : (int)avail;
}

/* Lookups finished: targets waiting only for their name are done. */
static void
scanloop_names_ready(struct scanloop *s)
{
	struct scanloop_link *e, *next;
	struct scanloop_target *t;

	scanname_drain(s->names_svc);
	for (e = s->names.head; e != NULL; e = next) {
		next = e->next;
		t = (struct scanloop_target *)e;
		if (scanname_result(s->names_svc, t->job, NULL, 0))
			scanloop_target_finish(s, t);
	}
}

/* The next address not yielded by an earlier range, as a new target; NULL
 * when every range is done. Skipped duplicates count as done. */
static struct scanloop_target *
scanloop_next_target(struct scanloop *s)
{
	const struct scan_opts *o = s->o;
	struct scanloop_target *t;
	unsigned char addr[16];
	size_t j;

	while (!s->iter_done) {
		if (!cidr_iter_next(&s->it, addr)) {
			if (++s->ci == o->ncidrs) {
				s->iter_done = 1;
				break;
			}
			cidr_iter_init(&s->it, &o->cidrs[s->ci]);
			continue;
		}
		for (j = 0; j < s->ci; j++)
			if (cidr_yields(&o->cidrs[j], s->it.family, addr))
				break;
		if (j < s->ci) {
			s->st.done++;
			continue;
		}
		t = scanloop_alloc(sizeof(*t));
		t->h.family = s->it.family;
		memcpy(t->h.addr_bin, addr, sizeof(addr));
		inet_ntop(t->h.family, addr, t->h.addr, sizeof(t->h.addr));
		scanloop_list_add(&s->targets, &t->all);
		s->ntargets++;
		return t;
	}
	return NULL;
}

/* Finishes t when its ports are all done and its name is known or no
 * longer waited for. */
static void
scanloop_target_check(struct scanloop *s, struct scanloop_target *t)
{
	if (t->next_port < s->nports || t->pending > 0 || t->waiting ||
	    s->closing)
		return;
	if (t->job == NULL || s->o->name_timeout_ms == 0 ||
	    scanname_result(s->names_svc, t->job, NULL, 0)) {
		scanloop_target_finish(s, t);
		return;
	}
	t->waiting = 1;
	t->deadline = s->now + s->o->name_timeout_ms;
	scanloop_list_add(&s->names, &t->link);
}

static void
scanloop_target_finish(struct scanloop *s, struct scanloop_target *t)
{
	struct scan_host *h = &t->h;
	size_t i, k;
	uint16_t p;

	if (t->open != 0) {
		if (t->job != NULL)
			scanname_result(s->names_svc, t->job, h->name,
					sizeof(h->name));
		for (i = 0; i < s->nports; i++) {
			if ((t->open & ((uint64_t)1 << i)) == 0)
				continue;
			p = s->ports[i].port;
			for (k = h->nopen; k > 0 && h->open[k - 1] > p; k--)
				h->open[k] = h->open[k - 1];
			h->open[k] = p;
			h->nopen++;
			if (s->ports[i].role == SCAN_ROLE_RDP)
				h->rdp_open = 1;
		}
		h->os = scan_classify(h);
		s->st.up++;
		s->st.open += h->nopen;
		if (s->o->result != NULL)
			s->o->result(s->o->arg, h);
	}
	s->st.done++;
	scanloop_target_free(s, t);
	scanloop_progress(s, 0);
}

static void
scanloop_target_free(struct scanloop *s, struct scanloop_target *t)
{
	if (t->waiting)
		scanloop_list_del(&s->names, &t->link);
	if (t->job != NULL)
		scanname_release(s->names_svc, t->job);
	scanloop_list_del(&s->targets, &t->all);
	s->ntargets--;
	if (s->launching == t)
		s->launching = NULL;
	free(t);
}

/* Errors of the local machine (no fds, no local ports, no buffers): the
 * port is tried again later rather than called closed. */
static int
scanloop_transient(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM || err == EAGAIN || err == EADDRNOTAVAIL ||
	       err == EINTR;
}

/* Starts a connect to port pi of t. Returns 0 (in flight, or settled at
 * once) or -1 on a transient local error (nothing changed). */
static int
scanloop_connect(struct scanloop *s, struct scanloop_target *t, size_t pi)
{
	struct sockaddr_storage ss;
	struct scanloop_conn *c;
	socklen_t len;
	int fd, rc, err;

	fd = socket(t->h.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return scanloop_transient(errno) ? -1 : 0;
	len = cidr_sockaddr(t->h.family, t->h.addr_bin, s->ports[pi].port, &ss);
	rc = connect(fd, (struct sockaddr *)&ss, len);
	err = rc == 0 ? 0 : errno;
	if (rc != 0 && err != EINPROGRESS) {
		close(fd);
		if (scanloop_transient(err))
			return -1;
		s->st.connects++;
		return 0; /* refused, unreachable: closed */
	}
	c = scanloop_alloc(sizeof(*c));
	c->t = t;
	c->port = pi;
	c->fd = fd;
	if (scanloop_watch(s, c, EPOLLOUT) != 0) {
		close(fd);
		free(c);
		return -1;
	}
	s->st.connects++;
	t->pending++;
	if (++s->in_flight > s->st.max_in_flight)
		s->st.max_in_flight = s->in_flight;
	c->deadline = s->now + s->o->timeout_ms;
	c->list = &s->connecting;
	scanloop_list_add(c->list, &c->link);
	if (rc == 0)
		scanloop_opened(s, c);
	return 0;
}

/* Sets the epoll interest of c (adding it the first time). */
static int
scanloop_watch(struct scanloop *s, struct scanloop_conn *c, uint32_t ev)
{
	struct epoll_event e;
	int op = c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	if (c->events == ev)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(s->ep, op, c->fd, &e) != 0)
		return -1;
	c->events = ev;
	return 0;
}

/* The handshake completed: the port is open unless this is a connection
 * to itself. Starts the probe for the port's role; it runs when epoll
 * reports the socket ready. */
static void
scanloop_opened(struct scanloop *s, struct scanloop_conn *c)
{
	static const enum scanprobe_kind kinds[] = {
	    [SCAN_ROLE_OTHER] = SCANPROBE_BANNER,
	    [SCAN_ROLE_SSH] = SCANPROBE_BANNER,
	    [SCAN_ROLE_WINRM_HTTP] = SCANPROBE_HTTP,
	    [SCAN_ROLE_WINRM_HTTPS] = SCANPROBE_HTTPS,
	    [SCAN_ROLE_RDP] = SCANPROBE_BANNER,
	};
	struct scanloop_target *t = c->t;
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	const struct scan_port *p = &s->ports[c->port];

	if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) != 0 ||
	    getsockname(c->fd, (struct sockaddr *)&me, &ml) != 0 ||
	    (ml == pl && memcmp(&me, &peer, ml) == 0)) {
		scanloop_conn_end(s, c);
		return;
	}
	c->connected = 1;
	t->open |= (uint64_t)1 << c->port;
	if (s->names_svc != NULL && t->job == NULL)
		t->job =
		    scanname_request(s->names_svc, t->h.family, t->h.addr_bin);
	if (p->role == SCAN_ROLE_RDP ||
	    scanprobe_start(&c->probe, kinds[p->role], c->fd, s->tls, t->h.addr,
			    p->port) != 0) {
		scanloop_conn_end(s, c);
		return;
	}
	c->probing = 1;
	scanloop_list_del(c->list, &c->link);
	c->deadline = s->now + s->o->probe_timeout_ms;
	c->list = &s->probing;
	scanloop_list_add(c->list, &c->link);
	scanloop_step(s, c, scanprobe_want(&c->probe));
}

/* Waits as the probe asks, or keeps its results when it is done. */
static void
scanloop_step(struct scanloop *s, struct scanloop_conn *c,
	      enum scanprobe_want w)
{
	struct scan_host *h = &c->t->h;
	struct scanprobe *p = &c->probe;
	uint16_t port = s->ports[c->port].port;

	if (w == SCANPROBE_WANT_READ || w == SCANPROBE_WANT_WRITE) {
		if (scanloop_watch(s, c,
				   w == SCANPROBE_WANT_READ ? EPOLLIN
							    : EPOLLOUT) == 0)
			return;
		scanprobe_finish(p);
	}
	if (p->banner[0] != '\0' && h->ssh_banner[0] == '\0') {
		memcpy(h->ssh_banner, p->banner, sizeof(h->ssh_banner));
		h->ssh_port = port;
	}
	if (p->status != 0 && h->winrm_status == 0) {
		h->winrm_status = p->status;
		h->winrm_port = port;
		h->winrm_tls = p->kind == SCANPROBE_HTTPS;
		memcpy(h->winrm_server, p->server, sizeof(h->winrm_server));
	}
	scanloop_conn_end(s, c);
}

static void
scanloop_conn_end(struct scanloop *s, struct scanloop_conn *c)
{
	struct scanloop_target *t = c->t;
	struct linger lg = {1, 0};

	scanloop_list_del(c->list, &c->link);
	/* A reset rather than a FIN: no TIME_WAIT left on our side. */
	if (c->connected)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (c->probing)
		scanprobe_cleanup(&c->probe);
	close(c->fd);
	free(c);
	s->in_flight--;
	s->paused = 0;
	t->pending--;
	scanloop_target_check(s, t);
}

static void
scanloop_event(struct scanloop *s, struct scanloop_conn *c, uint32_t ev)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->probing) {
		scanloop_step(s, c, scanprobe_step(&c->probe));
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
	    err != 0 || (ev & EPOLLERR) != 0) {
		scanloop_conn_end(s, c);
		return;
	}
	scanloop_opened(s, c);
}

/* Opens connections up to the limit, host by host, port by port. */
static void
scanloop_launch(struct scanloop *s)
{
	struct scanloop_target *t;

	while (!s->paused && !s->failed && s->in_flight < s->limit) {
		t = s->launching;
		if (t == NULL) {
			if (s->ntargets >= s->max_targets)
				return;
			t = scanloop_next_target(s);
			if (t == NULL)
				return;
			s->launching = t;
		}
		if (scanloop_connect(s, t, t->next_port) != 0) {
			/* Out of fds or local ports: wait for a socket to
			 * close, or a moment if none is open. */
			s->paused = 1;
			s->retry_at = s->now + SCANLOOP_RETRY_MS;
			if (s->in_flight > 0)
				s->retries = 0;
			else if (++s->retries > SCANLOOP_RETRIES) {
				scanloop_fail(s, "out of file descriptors or "
						 "local ports: raise the open "
						 "files limit or lower the "
						 "concurrency");
			}
			return;
		}
		s->retries = 0;
		t->next_port++;
		if (t->next_port == s->nports) {
			s->launching = NULL;
			scanloop_target_check(s, t);
		}
	}
}

/* Ends connections and name waits past their deadline. Each list is in
 * deadline order, as each has one timeout. */
static void
scanloop_expire(struct scanloop *s)
{
	struct scanloop_conn *c;
	struct scanloop_target *t;

	while (s->connecting.head != NULL) {
		c = (struct scanloop_conn *)s->connecting.head;
		if (c->deadline > s->now)
			break;
		scanloop_conn_end(s, c);
	}
	while (s->probing.head != NULL) {
		c = (struct scanloop_conn *)s->probing.head;
		if (c->deadline > s->now)
			break;
		scanprobe_finish(&c->probe);
		scanloop_step(s, c, SCANPROBE_DONE);
	}
	while (s->names.head != NULL) {
		t = (struct scanloop_target *)s->names.head;
		if (t->deadline > s->now)
			break;
		scanloop_target_finish(s, t);
	}
}

/* Milliseconds until the next deadline, at most SCANLOOP_TICK_MS. */
static int
scanloop_wait_ms(const struct scanloop *s)
{
	int64_t next = s->now + SCANLOOP_TICK_MS;
	const struct scanloop_link *heads[3];
	int i;

	heads[0] = s->connecting.head;
	heads[1] = s->probing.head;
	heads[2] = s->names.head;
	if (heads[0] != NULL &&
	    ((const struct scanloop_conn *)heads[0])->deadline < next)
		next = ((const struct scanloop_conn *)heads[0])->deadline;
	if (heads[1] != NULL &&
	    ((const struct scanloop_conn *)heads[1])->deadline < next)
		next = ((const struct scanloop_conn *)heads[1])->deadline;
	if (heads[2] != NULL &&
	    ((const struct scanloop_target *)heads[2])->deadline < next)
		next = ((const struct scanloop_target *)heads[2])->deadline;
	if (s->paused && s->in_flight == 0 && s->retry_at < next)
		next = s->retry_at;
	i = (int)(next - s->now);
	return i < 0 ? 0 : i;
}

static void
scanloop_progress(struct scanloop *s, int force)
{
	const struct scan_opts *o = s->o;

	if (o->progress == NULL || s->st.done == s->reported)
		return;
	if (!force && o->progress_ms > 0 &&
	    s->now - s->last_progress < o->progress_ms)
		return;
	s->reported = s->st.done;
	s->last_progress = s->now;
	o->progress(o->arg, s->st.done, s->st.total);
}

/* Epoll set, TLS context and name lookups of a run. */
static int
scanloop_setup(struct scanloop *s, char *err, size_t errlen)
{
	const struct scan_opts *o = s->o;
	struct epoll_event e;
	size_t i;

	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0) {
		snprintf(err, errlen, "cannot create an epoll set: %s",
			 strerror(errno));
		return -1;
	}
	for (i = 0; i < s->nports && s->tls == NULL; i++) {
		if (s->ports[i].role != SCAN_ROLE_WINRM_HTTPS)
			continue;
		s->tls = scanprobe_tls_new();
		if (s->tls == NULL) {
			snprintf(err, errlen, "cannot create a TLS context");
			return -1;
		}
	}
	if (o->resolve_names) {
		s->names_svc = scanname_new(o->resolve, SCANLOOP_RESOLVERS);
		if (s->names_svc == NULL) {
			snprintf(err, errlen, "cannot set up name lookups: %s",
				 strerror(errno));
			return -1;
		}
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN;
		e.data.ptr = NULL;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, scanname_fd(s->names_svc),
			      &e) != 0) {
			snprintf(err, errlen, "cannot set up name lookups: %s",
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Closes what is still open (after a cancel or an error) and frees all. */
static void
scanloop_teardown(struct scanloop *s)
{
	struct scanloop_link *l;

	s->closing = 1;
	while (s->connecting.head != NULL || s->probing.head != NULL) {
		l = s->connecting.head != NULL ? s->connecting.head
					       : s->probing.head;
		scanloop_conn_end(s, (struct scanloop_conn *)l);
	}
	while (s->targets.head != NULL)
		scanloop_target_free(
		    s, (struct scanloop_target
			    *)(void *)((char *)s->targets.head -
				       offsetof(struct scanloop_target, all)));
	if (s->names_svc != NULL)
		scanname_close(s->names_svc);
	SSL_CTX_free(s->tls);
	if (s->ep >= 0)
		close(s->ep);
}

int
scanloop_run(const struct scan_opts *o, const struct scan_port *ports,
	     size_t nports, struct scan_stats *stats, char *err, size_t errlen)
{
	struct epoll_event evs[256];
	struct scanloop s;
	int i, n, rc = -1;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.err = err;
	s.errlen = errlen;
	s.ports = ports;
	s.nports = nports;
	s.st.total = cidr_hosts_list(o->cidrs, o->ncidrs);
	s.st.concurrency = scanloop_fd_cap();
	if (o->concurrency < s.st.concurrency)
		s.st.concurrency = o->concurrency;
	s.limit = s.st.concurrency;
	/* Enough hosts to fill every slot, and some waiting for names. */
	s.max_targets = (size_t)s.limit + 256;
	s.start = s.now = s.last_progress = scanloop_now_ms();
	cidr_iter_init(&s.it, &o->cidrs[0]);
	if (scanloop_setup(&s, err, errlen) != 0)
		goto out;
	for (;;) {
		if (o->cancel != NULL && *o->cancel) {
			rc = 1;
			break;
		}
		if (s.paused && s.in_flight == 0 && s.now >= s.retry_at)
			s.paused = 0;
		scanloop_launch(&s);
		if (s.failed)
			break;
		if (s.ntargets == 0 && s.iter_done) {
			rc = 0;
			break;
		}
		n = epoll_wait(s.ep, evs, 256, scanloop_wait_ms(&s));
		if (n < 0 && errno != EINTR) {
			scanloop_fail(&s, "waiting for sockets failed: %s",
				      strerror(errno));
			break;
		}
		s.now = scanloop_now_ms();
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				scanloop_names_ready(&s);
			else
				scanloop_event(&s, evs[i].data.ptr,
					       evs[i].events);
		}
		scanloop_expire(&s);
	}
	s.now = scanloop_now_ms();
	scanloop_progress(&s, 1);
out:
	scanloop_teardown(&s);
	s.st.elapsed_ms = (long)(scanloop_now_ms() - s.start);
	if (stats != NULL)
		*stats = s.st;
	return rc;
}
