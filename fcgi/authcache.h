/* The signed-in principals a pool process has looked up recently, so that
 * an authenticated request costs no extra database round trip. */
#ifndef OC_AUTHCACHE_H
#define OC_AUTHCACHE_H

#include <stddef.h>
#include <time.h>

/* Longest time an entry is trusted without asking the database again,
 * whatever the invalidations say. */
#define AUTHCACHE_TTL_S 60

/* Turns the cache on in this process (a pool child; single-threaded,
 * after inval_enable). Entries are dropped when fcgi/inval.c reports
 * INVAL_PRINCIPALS moved (sql/012: a session revoked, shortened or
 * deleted; a user renamed, given another role, disabled or deleted; from
 * any host by NOTIFY, from this host at once by its epoch), when the
 * connection was new, when the session expires, or after
 * AUTHCACHE_TTL_S. */
void authcache_enable(void);

/* A cached principal for (session, user): 1 and fills username/role, or
 * 0 (not cached, stale, cache off, or the connection's notifications
 * could not be read). */
int authcache_get(const char *sid, const char *sub, char *username,
		  size_t username_size, int *role);
/* Remembers a principal the database just confirmed; expires is the
 * session's end (Unix seconds). */
void authcache_put(const char *sid, const char *sub, const char *username,
		   int role, time_t expires);

#endif
