/* Server-sent event streams: one process, one PostgreSQL LISTEN connection
 * whose new core.events rows are fanned out to every stream through a
 * bounded per-stream queue, and one thread that writes every stream
 * (non-blocking, epoll). */
#ifndef OC_SSE_H
#define OC_SSE_H

#include <stddef.h>

struct pool_def;
struct req;

/* At most this many ?run= subscriptions per stream. */
#define SSE_MAX_RUNS 16

/* In the handler of the streaming route, after validation: prepares a
 * stream for the authenticated caller that replays events after `after`
 * (-1: live events only) and gets run.log events of runs[0..nruns)
 * (canonical uuids). Sets r->takeover and returns 200; the runtime then
 * hands the connection to the writer thread. 503 problem when the process
 * already serves cfg.events_max_streams streams. */
int sse_open_or_problem(struct req *r, long long after,
			const char *const *runs, size_t nruns);

/* The events program: loads config, listens, serves def's routes plus
 * health and metrics; one thread writes every stream. Returns the exit
 * status after SIGTERM/SIGINT. */
int sse_main(const struct pool_def *def);

#endif
