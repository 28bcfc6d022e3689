/* oc-identity: the identity pool (route table and start-up) and its
 * create-admin command. */
#include <stdio.h>
#include <string.h>

#include "apikeys.h"
#include "cli.h"
#include "inval.h"
#include "keys.h"
#include "log.h"
#include "login.h"
#include "me.h"
#include "password.h"
#include "pool.h"
#include "rcache.h"
#include "route.h"
#include "sessions.h"
#include "totp_routes.h"
#include "users.h"

static int identity_child_init(void);

static const struct route identity_routes[] = {
    {"POST", "/api/v1/auth/login", login_post, ROLE_PUBLIC, login_fields, NULL,
     0},
    {"POST", "/api/v1/auth/refresh", login_refresh, ROLE_PUBLIC,
     login_refresh_fields, NULL, ROUTE_BODY_OPTIONAL},
    {"POST", "/api/v1/auth/logout", login_logout, ROLE_VIEWER,
     login_logout_fields, NULL, ROUTE_BODY_OPTIONAL | ROUTE_NO_API_KEY},
    {"POST", "/api/v1/auth/logout-all", login_logout_all, ROLE_VIEWER,
     login_logout_fields, NULL, ROUTE_BODY_OPTIONAL | ROUTE_NO_API_KEY},

    {"GET", "/api/v1/me", me_get, ROLE_VIEWER, NULL, NULL, 0},
    {"PATCH", "/api/v1/me", me_patch, ROLE_VIEWER, me_patch_fields, NULL, 0},
    {"POST", "/api/v1/me/password", me_password, ROLE_VIEWER,
     me_password_fields, NULL, ROUTE_NO_API_KEY},
    {"POST", "/api/v1/me/totp", totp_routes_enrol, ROLE_VIEWER, NULL, NULL,
     ROUTE_NO_API_KEY},
    {"POST", "/api/v1/me/totp/verify", totp_routes_verify, ROLE_VIEWER,
     totp_routes_verify_fields, NULL, ROUTE_NO_API_KEY},
    {"DELETE", "/api/v1/me/totp", totp_routes_disable, ROLE_VIEWER,
     totp_routes_disable_fields, NULL, ROUTE_NO_API_KEY},

    {"GET", "/api/v1/users", users_list, ROLE_ADMIN, NULL, users_list_query,
     ROUTE_CACHED},
    {"POST", "/api/v1/users", users_create, ROLE_ADMIN, users_create_fields,
     NULL, 0},
    {"GET", "/api/v1/users/{id}", users_get, ROLE_ADMIN, NULL, NULL,
     ROUTE_CACHED},
    {"PATCH", "/api/v1/users/{id}", users_patch, ROLE_ADMIN, users_patch_fields,
     NULL, 0},
    {"DELETE", "/api/v1/users/{id}", users_delete, ROLE_ADMIN, NULL, NULL, 0},

    {"GET", "/api/v1/sessions", sessions_list, ROLE_VIEWER, NULL,
     sessions_list_query, 0},
    {"DELETE", "/api/v1/sessions/{id}", sessions_delete, ROLE_VIEWER, NULL,
     NULL, 0},

    {"POST", "/api/v1/api-keys", apikeys_create, ROLE_VIEWER,
     apikeys_create_fields, NULL, ROUTE_NO_API_KEY},
    {"GET", "/api/v1/api-keys", apikeys_list, ROLE_VIEWER, NULL,
     apikeys_list_query, 0},
    {"DELETE", "/api/v1/api-keys/{id}", apikeys_delete, ROLE_VIEWER, NULL, NULL,
     0},
};

/* After fork: the signing key, the TOTP key, and the dummy hash that
 * keeps logins of unknown users as slow as the others. */
static int
identity_child_init(void)
{
	/* Logout, password and role changes, disabling: the host's cached
	 * principals and users are dropped after each change this pool
	 * makes; the users' GETs are cached until the users change. */
	inval_set_writer(INVAL_BIT(INVAL_PRINCIPALS) |
			 INVAL_BIT(INVAL_IDENTITY));
	rcache_enable(INVAL_IDENTITY);
	if (keys_load() < 0)
		return -1;
	if (password_init() < 0) {
		log_msg(LOG_ERROR, NULL,
			"argon2id does not work with these "
			"settings");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct pool_def def = {
	    "identity",
	    "oc_identity",
	    identity_routes,
	    sizeof(identity_routes) / sizeof(identity_routes[0]),
	    identity_child_init,
	};

	if (argc == 3 && strcmp(argv[1], "create-admin") == 0)
		return cli_create_admin(argv[2], stdin);
	if (argc != 1) {
		fprintf(stderr, "usage: oc-identity            serve the "
				"identity pool\n"
				"       oc-identity create-admin USERNAME   "
				"(password on stdin)\n");
		return 2;
	}
	return pool_main(&def);
}
