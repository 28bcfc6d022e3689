/* A domain program: prefork supervisor plus the request loop. */
#ifndef OC_POOL_H
#define OC_POOL_H

#include <stddef.h>

struct route;

struct pool_def {
	const char *name;            /* "identity": config, socket, logs */
	const char *db_role;         /* "oc_identity" */
	const struct route *routes;  /* the domain's route table */
	size_t nroutes;
	/* Optional, run in each worker after fork (load keys). 0 or -1. */
	int (*child_init)(void);
};

/* Builds the program's route table: def's routes plus the built-ins
 * every program answers (health, metrics). 0 or -1 (logged). */
int pool_routes_build(const struct pool_def *def);
/* That table (lives until exit). */
const struct route *pool_routes_get(size_t *n);
/* Loads config, listens, forks cfg.workers children, restarts those that
 * die, drains them on SIGTERM/SIGINT and returns the exit status. */
int pool_main(const struct pool_def *def);

#endif
