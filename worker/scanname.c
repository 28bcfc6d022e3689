/* Reverse names for discovered hosts: lookups on detached helper threads,
 * so a slow DNS server costs a scan no more than the time it will wait. */
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/eventfd.h>

#include "cidr.h"
#include "scanname.h"

/* Shared by the owner and a helper thread; refs under scanname.mu. */
struct scanname_job {
	struct scanname_job *next; /* in the queue */
	int refs;
	int done;
	struct sockaddr_storage sa;
	socklen_t len;
	char name[NI_MAXHOST];
};

/* Helper threads are detached: a lookup stuck in DNS may outlive its
 * scan, so the last reference (owner or thread) frees this. */
struct scanname {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs; /* the owner and each thread */
	int closing;
	int threads, idle, max_threads;
	struct scanname_job *head, *tail;
	int efd;
	scanname_fn fn;
};

static void *scanname_main(void *arg);
static void scanname_job_put(struct scanname_job *j);
static void scanname_put_unlock(struct scanname *r);
static void *scanname_alloc(size_t n);

static void *
scanname_alloc(size_t n)
{
	void *p = calloc(1, n);

	if (p == NULL) {
		fputs("scanname: out of memory\n", stderr);
		abort();
	}
	return p;
}

int
scanname_default(const struct sockaddr *sa, socklen_t len, char *name,
		 size_t size)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if ((sa->sa_family == AF_INET &&
	     (ntohl(sin->sin_addr.s_addr) >> 24) == 127) ||
	    (sa->sa_family == AF_INET6 &&
	     IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))) {
		snprintf(name, size, "localhost");
		return 0;
	}
	if (getnameinfo(sa, len, name, (socklen_t)size, NULL, 0, NI_NAMEREQD) !=
	    0)
		return -1;
	return 0;
}

static void *
scanname_main(void *arg)
{
	struct scanname *r = arg;
	struct scanname_job *j;
	char name[NI_MAXHOST];
	uint64_t one = 1;
	int rc;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->head == NULL && !r->closing) {
			r->idle++;
			pthread_cond_wait(&r->cv, &r->mu);
			r->idle--;
		}
		if (r->head == NULL)
			break;
		j = r->head;
		r->head = j->next;
		if (r->head == NULL)
			r->tail = NULL;
		pthread_mutex_unlock(&r->mu);
		name[0] = '\0';
		rc = r->fn((const struct sockaddr *)&j->sa, j->len, name,
			   sizeof(name));
		pthread_mutex_lock(&r->mu);
		if (rc == 0)
			snprintf(j->name, sizeof(j->name), "%s", name);
		j->done = 1;
		scanname_job_put(j);
		/* Fails only when the counter is full: still readable. */
		if (write(r->efd, &one, sizeof(one)) < 0)
			rc = -1;
	}
	scanname_put_unlock(r);
	return NULL;
}

/* Under r->mu. */
static void
scanname_job_put(struct scanname_job *j)
{
	if (--j->refs == 0)
		free(j);
}

/* Drops a reference and unlocks r; the last one frees it. */
static void
scanname_put_unlock(struct scanname *r)
{
	int last = --r->refs == 0;

	pthread_mutex_unlock(&r->mu);
	if (last) {
		close(r->efd);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
	}
}

struct scanname *
scanname_new(scanname_fn fn, int threads)
{
	struct scanname *r = scanname_alloc(sizeof(*r));

	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->refs = 1;
	r->max_threads = threads < 1 ? 1 : threads;
	r->fn = fn != NULL ? fn : scanname_default;
	return r;
}

int
scanname_fd(const struct scanname *r)
{
	return r->efd;
}

void
scanname_drain(struct scanname *r)
{
	uint64_t v;

	if (read(r->efd, &v, sizeof(v)) < 0)
		v = 0; /* EAGAIN: nothing new */
}

struct scanname_job *
scanname_request(struct scanname *r, int family, const unsigned char *addr)
{
	struct scanname_job *j = scanname_alloc(sizeof(*j));
	pthread_attr_t attr;
	pthread_t tid;

	j->refs = 2; /* the owner and the queue */
	j->len = cidr_sockaddr(family, addr, 0, &j->sa);
	pthread_mutex_lock(&r->mu);
	if (r->tail != NULL)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	if (r->idle == 0 && r->threads < r->max_threads) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		r->refs++;
		if (pthread_create(&tid, &attr, scanname_main, r) == 0)
			r->threads++;
		else
			r->refs--;
		pthread_attr_destroy(&attr);
	}
	if (r->threads == 0) {
		/* No thread to run it: no name rather than no scan. */
		r->head = r->tail = NULL;
		j->done = 1;
		scanname_job_put(j);
	}
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return j;
}

int
scanname_result(struct scanname *r, const struct scanname_job *j, char *name,
		size_t size)
{
	int done;

	pthread_mutex_lock(&r->mu);
	done = j->done;
	if (done && size > 0)
		snprintf(name, size, "%s", j->name);
	pthread_mutex_unlock(&r->mu);
	return done;
}

void
scanname_release(struct scanname *r, struct scanname_job *j)
{
	pthread_mutex_lock(&r->mu);
	scanname_job_put(j);
	pthread_mutex_unlock(&r->mu);
}

void
scanname_close(struct scanname *r)
{
	struct scanname_job *j;

	pthread_mutex_lock(&r->mu);
	r->closing = 1;
	while (r->head != NULL) {
		j = r->head;
		r->head = j->next;
		scanname_job_put(j);
	}
	r->tail = NULL;
	pthread_cond_broadcast(&r->cv);
	scanname_put_unlock(r);
}
