/* What tells a pool process's caches that the database changed under
 * them: NOTIFYs from triggers (any host, any writer) and this host's
 * epoch counters (read-your-writes on the host). */
#ifndef OC_INVAL_H
#define OC_INVAL_H

#include <stdint.h>

struct db;

/* The kinds of cached data, each announced on its own terms. */
enum inval_chan {
	INVAL_PRINCIPALS, /* sessions and users behind tokens (sql/012) */
	INVAL_IDENTITY,	  /* identity data read by cached responses */
	INVAL_ASSETS,	  /* assets data read by cached responses */
	INVAL_NCHAN
};
#define INVAL_BIT(c) (1u << (c))

/* Starts following invalidations on db's connection in this process (a
 * pool child; single-threaded): maps $VAR/run/cache.epoch, the counters
 * every pool process of the host shares. 0, or -1 (logged): caches stay
 * off. */
int inval_enable(struct db *db);
/* Takes in every invalidation that has reached this process: called once
 * at the start of each request, before it reads anything. 0, or -1 when
 * nothing cached can be trusted during this request (caches off, no
 * connection, or its notifications cannot be read). */
int inval_sync(void);
/* Whether channel c's data may have changed since *gen, the generation a
 * cache's entries were filled under: 1 when it may (*gen is moved on: the
 * caller drops its entries), 0 when not, -1 when the last inval_sync
 * could not be trusted (use nothing cached). */
int inval_moved(enum inval_chan c, uint64_t *gen);
/* 1 when what the connection reads now is covered by the notifications
 * followed (the last sync was trusted and LISTEN is in place on the
 * current connection): only then may a result be cached. */
int inval_following(void);
/* Declares the channels this process's changes can affect (its pool's
 * child_init). */
void inval_set_writer(unsigned mask);
/* After a successful change, before its answer leaves: moves this
 * host's epochs of the declared channels. */
void inval_changed(void);

#endif
