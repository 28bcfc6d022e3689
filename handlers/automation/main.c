/* oc-automation: the automation pool (step library, jobs, attachments,
 * runs, schedules): its route table and start-up. */
#include <stdio.h>

#include "cfg.h"
#include "files.h"
#include "jobcheck.h"
#include "jobs.h"
#include "log.h"
#include "pool.h"
#include "route.h"
#include "runs.h"
#include "schedules.h"
#include "seal.h"
#include "steptypes.h"

static int automation_child_init(void);

/* Literal paths come before the {id} patterns they would also match. */
static const struct route automation_routes[] = {
    {"GET", "/api/v1/step-types", steptypes_list, ROLE_VIEWER, NULL, NULL, 0},
    {"GET", "/api/v1/step-types/{name}", steptypes_get, ROLE_VIEWER, NULL, NULL,
     0},

    {"GET", "/api/v1/jobs", jobs_list, ROLE_VIEWER, NULL, jobs_list_query, 0},
    {"POST", "/api/v1/jobs", jobs_create, ROLE_OPERATOR, jobcheck_fields, NULL,
     0},
    {"GET", "/api/v1/jobs/{id}", jobs_get, ROLE_VIEWER, NULL, NULL, 0},
    {"PUT", "/api/v1/jobs/{id}", jobs_put, ROLE_OPERATOR, jobcheck_fields, NULL,
     0},
    {"DELETE", "/api/v1/jobs/{id}", jobs_delete, ROLE_OPERATOR, NULL, NULL, 0},
    {"GET", "/api/v1/jobs/{id}/versions", jobs_versions, ROLE_VIEWER, NULL,
     jobs_versions_query, 0},
    {"GET", "/api/v1/jobs/{id}/versions/{n}", jobs_version_get, ROLE_VIEWER,
     NULL, NULL, 0},
    {"GET", "/api/v1/jobs/{id}/files", files_list, ROLE_VIEWER, NULL, NULL, 0},
    {"POST", "/api/v1/jobs/{id}/files", files_upload, ROLE_OPERATOR, NULL,
     files_upload_query, ROUTE_RAW_BODY | ROUTE_BODY_LARGE},
    {"GET", "/api/v1/jobs/{id}/files/{file_id}", files_get, ROLE_VIEWER, NULL,
     files_get_query, 0},
    {"DELETE", "/api/v1/jobs/{id}/files/{file_id}", files_delete, ROLE_OPERATOR,
     NULL, NULL, 0},
    {"POST", "/api/v1/jobs/{id}/runs", runs_create, ROLE_OPERATOR,
     runs_create_fields, NULL, ROUTE_BODY_OPTIONAL},

    {"GET", "/api/v1/runs", runs_list, ROLE_VIEWER, NULL, runs_list_query, 0},
    {"GET", "/api/v1/runs/{id}", runs_get, ROLE_VIEWER, NULL, NULL, 0},
    {"GET", "/api/v1/runs/{id}/log", runs_log, ROLE_VIEWER, NULL,
     runs_log_query, 0},
    {"POST", "/api/v1/runs/{id}/cancel", runs_cancel, ROLE_OPERATOR, NULL, NULL,
     0},
    {"POST", "/api/v1/runs/{id}/retry", runs_retry, ROLE_OPERATOR, NULL, NULL,
     0},
    {"GET", "/api/v1/runs/{id}/files/{file_id}", runs_file, ROLE_VIEWER, NULL,
     NULL, 0},

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
    {"DELETE", "/api/v1/schedules/{id}", schedules_delete, ROLE_OPERATOR, NULL,
     NULL, 0},
    {"GET", "/api/v1/schedules/{id}/preview", schedules_preview_saved,
     ROLE_VIEWER, NULL, schedules_preview_query, 0},
};

/* After fork: the public keys secret parameters are sealed with. */
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
				"pool; configured by OPSCONDUCTOR_* "
				"variables)\n");
		return 2;
	}
	return pool_main(&def);
}
