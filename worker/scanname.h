/* Reverse names for discovered hosts: lookups on detached helper threads,
 * so a slow DNS server costs a scan no more than the time it will wait. */
#ifndef OC_SCANNAME_H
#define OC_SCANNAME_H

#include <stddef.h>
#include <sys/socket.h>

/* A reverse lookup: fills name (size bytes) and returns 0, or returns -1
 * when there is none. Must be thread-safe. */
typedef int (*scanname_fn)(const struct sockaddr *sa, socklen_t len, char *name,
			   size_t size);

struct scanname;
struct scanname_job;

/* The default lookup: loopback addresses are "localhost" (this machine;
 * no DNS server is asked), anything else getnameinfo with NI_NAMEREQD. */
int scanname_default(const struct sockaddr *sa, socklen_t len, char *name,
		     size_t size);

/* A lookup service with at most threads helper threads, started on
 * demand. Returns NULL if its event descriptor cannot be created. */
struct scanname *scanname_new(scanname_fn fn, int threads);
/* Readable (poll/epoll) whenever a lookup has finished; read it with
 * scanname_drain. */
int scanname_fd(const struct scanname *r);
void scanname_drain(struct scanname *r);
/* Queues a lookup of (family, addr). The caller owns the returned job and
 * releases it with scanname_release. */
struct scanname_job *scanname_request(struct scanname *r, int family,
				      const unsigned char *addr);
/* 1 when the lookup has finished (name filled, "" if there is none), 0
 * while it runs. */
int scanname_result(struct scanname *r, const struct scanname_job *j,
		    char *name, size_t size);
void scanname_release(struct scanname *r, struct scanname_job *j);
/* The owner lets go: queued lookups are dropped; threads finish their
 * current lookup and exit; the last one frees r. Jobs must have been
 * released. */
void scanname_close(struct scanname *r);

#endif
