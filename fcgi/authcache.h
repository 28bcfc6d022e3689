/* The signed-in principals a pool process has looked up recently, so that
 * an authenticated request costs no extra database round trip. */
#ifndef OC_AUTHCACHE_H
#define OC_AUTHCACHE_H

#include <stddef.h>
#include <time.h>

struct db;

/* Longest time an entry is trusted without asking the database again,
 * whatever the invalidations say. */
#define AUTHCACHE_TTL_S 60

/* Turns the cache on in this process (a pool child; single-threaded).
 * Entries are dropped when:
 * - a NOTIFY on oc_principals arrives on db's connection (sql/012: a
 *   session revoked, shortened or deleted; a user renamed, given another
 *   role, disabled or deleted), from any host;
 * - the host's epoch ($VAR/run/principals.epoch, shared by every pool
 *   process on the host) moved: authcache_bump() after a change, before
 *   its answer leaves, so the next request on this host cannot race the
 *   NOTIFY (authcache_changed);
 * - db reconnected (a NOTIFY may have been missed), the session expires,
 *   or AUTHCACHE_TTL_S passed.
 * Without the epoch file the cache stays off. 0 or -1 (logged). */
int authcache_enable(struct db *db);

/* A cached principal for (session, user): 1 and fills username/role, or
 * 0 (not cached, stale, cache off, or the connection's notifications
 * could not be read). */
int authcache_get(const char *sid, const char *sub, char *username,
		  size_t username_size, int *role);
/* Remembers a principal the database just confirmed; expires is the
 * session's end (Unix seconds). */
void authcache_put(const char *sid, const char *sub, const char *username,
		   int role, time_t expires);
/* Declares this process one whose changes can end sessions or change
 * users (the identity pool, from its child_init). */
void authcache_set_writer(void);
/* After a successful change: in a writer, tells every pool process on
 * this host that cached principals may be wrong now. Does nothing
 * elsewhere. */
void authcache_changed(void);

#endif
