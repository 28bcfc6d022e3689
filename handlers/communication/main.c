/* oc-communication: the communication pool (for now the audit log
 * reader): its route table and start-up. */
#include <stdio.h>

#include "auditlog.h"
#include "pool.h"
#include "route.h"

static const struct route communication_routes[] = {
    {"GET", "/api/v1/audit", auditlog_list, ROLE_ADMIN, NULL, auditlog_list_query, 0},
};

int
main(int argc, char **argv)
{
	static const struct pool_def def = {
	    "communication",
	    "oc_communication",
	    communication_routes,
	    sizeof(communication_routes) / sizeof(communication_routes[0]),
	    NULL,
	};

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: oc-communication   (serves the "
				"communication pool; configured by "
				"OPSCONDUCTOR_* variables)\n");
		return 2;
	}
	return pool_main(&def);
}
