/* Invalidations of a pool process's caches: NOTIFY oc_principals and
 * oc_reads, the host's epoch counters, and reconnects. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cfg.h"
#include "db.h"
#include "inval.h"
#include "log.h"

#define INVAL_EPOCH_SLOTS 8 /* counters in cache.epoch; room to grow */

/* The payload on oc_reads that names each channel's data (sql/015). */
static const char *const inval_payloads[INVAL_NCHAN] = {
    [INVAL_IDENTITY] = "identity",
    [INVAL_ASSETS] = "assets",
};

static struct db *inval_db;
static unsigned long inval_db_gen;	 /* the connection that LISTENs */
static uint64_t *inval_epochs;		 /* shared by the host's pools */
static uint64_t inval_seen[INVAL_NCHAN]; /* epochs taken in */
static uint64_t inval_gens[INVAL_NCHAN]; /* this process's generations */
static int inval_trusted;		 /* the last inval_sync's verdict */
static unsigned inval_writer;		 /* inval_set_writer() */

int
inval_enable(struct db *db)
{
	char path[4096];
	void *p;
	int fd, c;

	_Static_assert(INVAL_NCHAN <= INVAL_EPOCH_SLOTS, "cache.epoch size");
	snprintf(path, sizeof(path), "%s/run/cache.epoch", cfg.var_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, INVAL_EPOCH_SLOTS * sizeof(uint64_t)) < 0) {
		log_msg(LOG_WARN, NULL, "no caches: cannot use %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p = mmap(NULL, INVAL_EPOCH_SLOTS * sizeof(uint64_t),
		 PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_msg(LOG_WARN, NULL, "no caches: cannot map %s", path);
		return -1;
	}
	inval_epochs = p;
	inval_db = db;
	inval_db_gen = 0;
	for (c = 0; c < INVAL_NCHAN; c++)
		inval_seen[c] =
		    __atomic_load_n(&inval_epochs[c], __ATOMIC_ACQUIRE);
	return 0;
}

static void
inval_bump_all(void)
{
	int c;

	for (c = 0; c < INVAL_NCHAN; c++)
		inval_gens[c]++;
}

/* One notification: the channel it names, or every channel when its
 * payload is not one this build knows. */
static void
inval_heard(const PGnotify *n)
{
	int c;

	if (strcmp(n->relname, "oc_principals") == 0) {
		inval_gens[INVAL_PRINCIPALS]++;
		return;
	}
	for (c = 0; c < INVAL_NCHAN; c++)
		if (inval_payloads[c] != NULL &&
		    strcmp(n->extra, inval_payloads[c]) == 0) {
			inval_gens[c]++;
			return;
		}
	inval_bump_all();
}

/* The work of inval_sync: 0, or -1 when nothing can be trusted. */
static int
inval_take_in(void)
{
	PGconn *conn;
	PGnotify *n;
	uint64_t e;
	int c;

	if (inval_epochs == NULL)
		return -1;
	for (c = 0; c < INVAL_NCHAN; c++) {
		e = __atomic_load_n(&inval_epochs[c], __ATOMIC_ACQUIRE);
		if (e != inval_seen[c]) {
			inval_seen[c] = e;
			inval_gens[c]++;
		}
	}
	conn = db_conn(inval_db);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return -1;
	if (db_generation(inval_db) != inval_db_gen) {
		/* A new connection: whatever was announced before it
		 * LISTENed is unknown. */
		inval_bump_all();
		if (db_command(inval_db,
			       "LISTEN oc_principals; LISTEN oc_reads") < 0)
			return -1;
		inval_db_gen = db_generation(inval_db);
		return 0;
	}
	if (!PQconsumeInput(conn))
		return -1;
	while ((n = PQnotifies(conn)) != NULL) {
		inval_heard(n);
		PQfreemem(n);
	}
	return 0;
}

int
inval_sync(void)
{
	inval_trusted = inval_take_in() == 0;
	return inval_trusted ? 0 : -1;
}

int
inval_moved(enum inval_chan c, uint64_t *gen)
{
	if (!inval_trusted)
		return -1;
	if (*gen == inval_gens[c])
		return 0;
	*gen = inval_gens[c];
	return 1;
}

int
inval_following(void)
{
	return inval_trusted && inval_db_gen != 0 &&
	       inval_db_gen == db_generation(inval_db);
}

void
inval_set_writer(unsigned mask)
{
	inval_writer = mask;
}

void
inval_changed(void)
{
	int c;

	if (inval_epochs == NULL)
		return;
	for (c = 0; c < INVAL_NCHAN; c++)
		if (inval_writer & INVAL_BIT(c))
			__atomic_add_fetch(&inval_epochs[c], 1,
					   __ATOMIC_RELEASE);
}
