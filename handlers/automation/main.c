/* oc-automation: the automation pool (jobs, runs, schedules, step types):
 * its route table and start-up. */
#include <stdio.h>

#include "cfg.h"
#include "log.h"
#include "pool.h"
#include "route.h"
#include "schedules.h"
#include "seal.h"

static int automation_child_init(void);

/* Literal paths come before the {id} patterns they would also match. */
static const struct route automation_routes[] = {
    {"GET", "/api/v1/schedules", schedules_list, ROLE_VIEWER, NULL,
     schedules_list_query, 0},
    {"POST", "/api/v1/schedules", schedules_create, ROLE_OPERATOR,
     schedules_create_fields, NULL, 0},
    {"POST", "/api/v1/schedules/preview", schedules_preview, ROLE_VIEWER,
     schedules_preview_fields, NULL, 0},
    {"GET", "/api/v1/schedules/{id}", schedules_get, ROLE_VIEWER, NULL, NULL,
     0},
    {"PATCH", "/api/v1/schedules/{id}", schedules_patch, ROLE_OPERATOR,
     schedules_patch_fields, NULL, 0},
    {"DELETE", "/api/v1/schedules/{id}", schedules_delete, ROLE_OPERATOR,
     NULL, NULL, 0},
    {"GET", "/api/v1/schedules/{id}/preview", schedules_preview_saved,
     ROLE_VIEWER, NULL, schedules_preview_query, 0},
};

/* After fork: the public keys secret parameters are sealed with (the web
 * tier never holds a private key). */
static int
automation_child_init(void)
{
	if (seal_load_public(cfg.secrets_dir) < 0) {
		log_msg(LOG_ERROR, NULL,
			"no public key v<N>.pub in %s: secret parameters "
			"cannot be sealed",
			cfg.secrets_dir);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct pool_def def = {
	    "automation",
	    "oc_automation",
	    automation_routes,
	    sizeof(automation_routes) / sizeof(automation_routes[0]),
	    automation_child_init,
	};

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: oc-automation   (serves the automation "
				"pool; configured by OPSCONDUCTOR_* variables)\n");
		return 2;
	}
	return pool_main(&def);
}
