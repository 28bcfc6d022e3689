/* Pool-wide request metrics in shared memory, rendered for Prometheus. */
#ifndef OC_METRICS_H
#define OC_METRICS_H

#include <stddef.h>

struct route;
struct arena;

/* Maps the shared counters for n routes (call before forking). 0 or -1. */
int metrics_init(const struct route *routes, size_t n);
/* Counts one request; route_idx == n means "no route matched". */
void metrics_observe(size_t route_idx, int status, double dur_ms);
/* The Prometheus text exposition for the whole pool (arena memory). */
char *metrics_render(struct arena *a);
/* Counts a worker restart by the supervisor. */
void metrics_worker_restarted(void);

#endif
