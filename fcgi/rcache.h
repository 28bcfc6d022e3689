/* Whole answers to the GETs of routes marked ROUTE_CACHED, kept by each
 * pool process until the data they were read from may have changed. */
#ifndef OC_RCACHE_H
#define OC_RCACHE_H

#include "inval.h"

struct req;

/* Longest time an answer is reused without asking the database again,
 * whatever the invalidations say. */
#define RCACHE_TTL_S 30

/* Turns the cache on in this process (a pool child; single-threaded,
 * after inval_enable) for answers read from chan's data, holding at most
 * OPSCONDUCTOR_READ_CACHE_KIB (0: off). */
void rcache_enable(enum inval_chan chan);
/* The cached answer to r (same role, path and query): 1 and r's status,
 * body and headers are set as the handler set them; 0 otherwise. Call
 * after authentication and validation. */
int rcache_get(struct req *r);
/* Keeps r's answer when it is a 200 to a GET read while invalidations
 * were followed (see inval_following). A JSON body is turned into text
 * here, so that it is written once. */
void rcache_put(struct req *r);

#endif
