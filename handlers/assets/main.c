/* oc-assets: the assets pool (targets, groups, credentials, discovery):
 * its route table and start-up. */
#include <stdio.h>

#include "cfg.h"
#include "credentials.h"
#include "discovery.h"
#include "groups.h"
#include "import.h"
#include "inval.h"
#include "log.h"
#include "pool.h"
#include "rcache.h"
#include "route.h"
#include "scanimport.h"
#include "seal.h"
#include "target.h"
#include "targets.h"
#include "tests_route.h"

static int assets_child_init(void);

/* Literal paths come before the {id} patterns they would also match. */
static const struct route assets_routes[] = {
    {"GET", "/api/v1/targets", targets_list, ROLE_VIEWER, NULL,
     targets_list_query, ROUTE_CACHED},
    {"POST", "/api/v1/targets", targets_create, ROLE_OPERATOR,
     target_create_fields, NULL, 0},
    {"POST", "/api/v1/targets/import", import_targets, ROLE_OPERATOR, NULL,
     NULL, ROUTE_RAW_BODY},
    {"POST", "/api/v1/targets/test", tests_route_many, ROLE_OPERATOR,
     tests_route_many_fields, NULL, 0},
    {"GET", "/api/v1/targets/tests/{task_id}", tests_route_get, ROLE_VIEWER,
     NULL, NULL, 0},
    {"GET", "/api/v1/targets/{id}", targets_get, ROLE_VIEWER, NULL, NULL,
     ROUTE_CACHED},
    {"PATCH", "/api/v1/targets/{id}", targets_patch, ROLE_OPERATOR,
     target_patch_fields, NULL, 0},
    {"DELETE", "/api/v1/targets/{id}", targets_delete, ROLE_OPERATOR, NULL,
     NULL, 0},
    {"POST", "/api/v1/targets/{id}/test", tests_route_one, ROLE_OPERATOR, NULL,
     NULL, 0},
    {"POST", "/api/v1/targets/{id}/host-key/accept", targets_hostkey_accept,
     ROLE_OPERATOR, targets_hostkey_fields, NULL, 0},
    {"DELETE", "/api/v1/targets/{id}/host-key", targets_hostkey_forget,
     ROLE_OPERATOR, NULL, NULL, 0},

    {"GET", "/api/v1/groups", groups_list, ROLE_VIEWER, NULL, groups_list_query,
     0},
    {"POST", "/api/v1/groups", groups_create, ROLE_OPERATOR,
     groups_create_fields, NULL, 0},
    {"POST", "/api/v1/groups/preview", groups_preview, ROLE_VIEWER,
     groups_preview_fields, NULL, 0},
    {"GET", "/api/v1/groups/{id}", groups_get, ROLE_VIEWER, NULL, NULL, 0},
    {"PATCH", "/api/v1/groups/{id}", groups_patch, ROLE_OPERATOR,
     groups_patch_fields, NULL, 0},
    {"DELETE", "/api/v1/groups/{id}", groups_delete, ROLE_OPERATOR, NULL, NULL,
     0},
    {"GET", "/api/v1/groups/{id}/members", groups_members_list, ROLE_VIEWER,
     NULL, groups_members_query, 0},
    {"POST", "/api/v1/groups/{id}/members", groups_members_change,
     ROLE_OPERATOR, groups_members_fields, NULL, 0},

    {"GET", "/api/v1/credentials", credentials_list, ROLE_VIEWER, NULL,
     credentials_list_query, 0},
    {"POST", "/api/v1/credentials", credentials_create, ROLE_OPERATOR,
     credentials_create_fields, NULL, 0},
    {"GET", "/api/v1/credentials/{id}", credentials_get, ROLE_VIEWER, NULL,
     NULL, 0},
    {"PATCH", "/api/v1/credentials/{id}", credentials_patch, ROLE_OPERATOR,
     credentials_patch_fields, NULL, 0},
    {"DELETE", "/api/v1/credentials/{id}", credentials_delete, ROLE_OPERATOR,
     NULL, credentials_delete_query, 0},

    {"GET", "/api/v1/discovery/settings", discovery_settings_get, ROLE_ADMIN,
     NULL, NULL, 0},
    {"PUT", "/api/v1/discovery/settings", discovery_settings_put, ROLE_ADMIN,
     discovery_settings_fields, NULL, 0},
    {"POST", "/api/v1/discovery/import", scanimport_post, ROLE_OPERATOR,
     scanimport_fields, NULL, 0},
    {"GET", "/api/v1/discovery/scans", discovery_scan_list, ROLE_VIEWER, NULL,
     discovery_scans_query, 0},
    {"POST", "/api/v1/discovery/scans", discovery_scan_create, ROLE_OPERATOR,
     discovery_scan_fields, NULL, 0},
    {"GET", "/api/v1/discovery/scans/{id}", discovery_scan_get, ROLE_VIEWER,
     NULL, NULL, 0},
    {"POST", "/api/v1/discovery/scans/{id}/cancel", discovery_scan_cancel,
     ROLE_OPERATOR, NULL, NULL, 0},
    {"GET", "/api/v1/discovery/scans/{id}/results", discovery_scan_results,
     ROLE_VIEWER, NULL, discovery_results_query, 0},
};

/* After fork: the public keys secrets are sealed with (the web tier never
 * holds a private key), and the read cache of targets. */
static int
assets_child_init(void)
{
	/* Target GETs are cached until the assets data changes; every
	 * change this pool makes drops the host's cached answers. */
	inval_set_writer(INVAL_BIT(INVAL_ASSETS));
	rcache_enable(INVAL_ASSETS);
	if (seal_load_public(cfg.secrets_dir) < 0) {
		log_msg(LOG_ERROR, NULL,
			"no public key v<N>.pub in %s: credentials cannot be "
			"sealed",
			cfg.secrets_dir);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct pool_def def = {
	    "assets",	       "oc_assets",
	    assets_routes,     sizeof(assets_routes) / sizeof(assets_routes[0]),
	    assets_child_init,
	};

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: oc-assets   (serves the assets pool; "
				"configured by OPSCONDUCTOR_* variables)\n");
		return 2;
	}
	return pool_main(&def);
}
