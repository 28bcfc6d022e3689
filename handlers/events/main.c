/* oc-events: the events process (server-sent events): its route and
 * start-up. */
#include <stdio.h>

#include "pool.h"
#include "route.h"
#include "sse.h"
#include "stream.h"

static const struct route events_routes[] = {
	{"GET", "/api/v1/events", stream_open, ROLE_VIEWER, NULL, stream_query,
	 0},
};

int
main(int argc, char **argv)
{
	static const struct pool_def def = {
		"events", "oc_events", events_routes,
		sizeof(events_routes) / sizeof(events_routes[0]), NULL};

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: oc-events   (serves /api/v1/events; "
				"configured by OPSCONDUCTOR_* variables)\n");
		return 2;
	}
	return sse_main(&def);
}
