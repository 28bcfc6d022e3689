/* The signed-in principals a pool process has looked up recently, dropped
 * on NOTIFY oc_principals, on the host's epoch file, on reconnect and on
 * age. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "authcache.h"
#include "cfg.h"
#include "db.h"
#include "log.h"

#define AUTHCACHE_SLOTS 1024 /* direct-mapped by session id */

struct authcache_entry {
	char sid[37];
	char sub[37];
	char username[65];
	int role;
	time_t expires; /* the session's end, Unix seconds */
	time_t until;   /* CLOCK_MONOTONIC seconds: trusted until then */
};

static struct authcache_entry *authcache_tab;
static struct db *authcache_db;
static unsigned long authcache_db_gen; /* connection that LISTENs */
static uint64_t *authcache_epoch;      /* shared by the host's pools */
static uint64_t authcache_seen;        /* epoch the entries belong to */
static int authcache_writer;           /* authcache_set_writer() */

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

int
authcache_enable(struct db *db)
{
	static struct authcache_entry tab[AUTHCACHE_SLOTS];
	char path[4096];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/run/principals.epoch", cfg.var_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(uint64_t)) < 0) {
		log_msg(LOG_WARN, NULL,
			"no principal cache: cannot use %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_msg(LOG_WARN, NULL, "no principal cache: cannot map %s",
			path);
		return -1;
	}
	authcache_epoch = p;
	authcache_tab = tab;
	authcache_db = db;
	authcache_db_gen = 0;
	authcache_seen = __atomic_load_n(authcache_epoch, __ATOMIC_ACQUIRE);
	return 0;
}

/* Brings the entries up to date with every invalidation that has
 * reached this process. 0, or -1 when they cannot be trusted now. */
static int
authcache_sync(void)
{
	uint64_t epoch = __atomic_load_n(authcache_epoch, __ATOMIC_ACQUIRE);
	PGconn *conn = db_conn(authcache_db);
	PGnotify *n;
	int heard = 0;

	if (epoch != authcache_seen) {
		authcache_flush();
		authcache_seen = epoch;
	}
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return -1;
	if (db_generation(authcache_db) != authcache_db_gen) {
		/* A new connection: whatever was announced before it
		 * LISTENed is unknown. */
		authcache_flush();
		if (db_command(authcache_db, "LISTEN oc_principals") < 0)
			return -1;
		authcache_db_gen = db_generation(authcache_db);
		return 0;
	}
	if (!PQconsumeInput(conn))
		return -1;
	while ((n = PQnotifies(conn)) != NULL) {
		heard = 1;
		PQfreemem(n);
	}
	if (heard)
		authcache_flush();
	return 0;
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
authcache_put(const char *sid, const char *sub, const char *username,
	      int role, time_t expires)
{
	struct authcache_entry *e;

	/* Only what was confirmed after the last sync may be kept: sync
	 * first so that a notification already queued drops nothing
	 * newer than itself. */
	if (authcache_tab == NULL || authcache_db_gen == 0 ||
	    authcache_db_gen != db_generation(authcache_db) ||
	    strlen(sid) >= sizeof(e->sid) || strlen(sub) >= sizeof(e->sub) ||
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

void
authcache_set_writer(void)
{
	authcache_writer = 1;
}

void
authcache_changed(void)
{
	if (authcache_writer && authcache_epoch != NULL)
		__atomic_add_fetch(authcache_epoch, 1, __ATOMIC_RELEASE);
}
