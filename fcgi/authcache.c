/* The signed-in principals a pool process has looked up recently, dropped
 * when fcgi/inval.c says principals changed, and on age. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "authcache.h"
#include "inval.h"

#define AUTHCACHE_SLOTS 1024 /* direct-mapped by session id */

struct authcache_entry {
	char sid[37];
	char sub[37];
	char username[65];
	int role;
	time_t expires; /* the session's end, Unix seconds */
	time_t until;	/* CLOCK_MONOTONIC seconds: trusted until then */
};

static struct authcache_entry *authcache_tab;
static uint64_t authcache_gen; /* INVAL_PRINCIPALS of the entries */

static time_t
authcache_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct authcache_entry *
authcache_slot(const char *sid)
{
	uint32_t h = 2166136261u;

	for (; *sid != '\0'; sid++)
		h = (h ^ (unsigned char)*sid) * 16777619u;
	return &authcache_tab[h % AUTHCACHE_SLOTS];
}

static void
authcache_flush(void)
{
	memset(authcache_tab, 0, AUTHCACHE_SLOTS * sizeof(*authcache_tab));
}

void
authcache_enable(void)
{
	static struct authcache_entry tab[AUTHCACHE_SLOTS];

	authcache_tab = tab;
}

/* 0 when the entries are up to date with every invalidation that has
 * reached this process, -1 when they cannot be trusted now. */
static int
authcache_sync(void)
{
	int moved = inval_moved(INVAL_PRINCIPALS, &authcache_gen);

	if (moved > 0)
		authcache_flush();
	return moved < 0 ? -1 : 0;
}

int
authcache_get(const char *sid, const char *sub, char *username,
	      size_t username_size, int *role)
{
	struct authcache_entry *e;

	if (authcache_tab == NULL || authcache_sync() < 0)
		return 0;
	e = authcache_slot(sid);
	if (e->sid[0] == '\0' || strcmp(e->sid, sid) != 0 ||
	    strcmp(e->sub, sub) != 0)
		return 0;
	if (authcache_mono() >= e->until || time(NULL) >= e->expires) {
		e->sid[0] = '\0';
		return 0;
	}
	snprintf(username, username_size, "%s", e->username);
	*role = e->role;
	return 1;
}

void
authcache_put(const char *sid, const char *sub, const char *username, int role,
	      time_t expires)
{
	struct authcache_entry *e;

	/* Only what was read while the notifications were followed may
	 * be kept. It joins the generation the request started under, so
	 * a notification that arrives later drops it as well. */
	if (authcache_tab == NULL || !inval_following() ||
	    authcache_sync() < 0 || strlen(sid) >= sizeof(e->sid) ||
	    strlen(sub) >= sizeof(e->sub) ||
	    strlen(username) >= sizeof(e->username))
		return;
	e = authcache_slot(sid);
	snprintf(e->sid, sizeof(e->sid), "%s", sid);
	snprintf(e->sub, sizeof(e->sub), "%s", sub);
	snprintf(e->username, sizeof(e->username), "%s", username);
	e->role = role;
	e->expires = expires;
	e->until = authcache_mono() + AUTHCACHE_TTL_S;
}
