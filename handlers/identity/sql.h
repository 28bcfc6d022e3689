/* Every SQL statement of the identity domain, parameterized ($n only). */
#ifndef OC_IDENTITY_SQL_H
#define OC_IDENTITY_SQL_H

#include "db.h"

/* A timestamptz column as RFC 3339 UTC text with milliseconds. */
#define SQL_TS(col)                                                            \
	"to_char(" col " AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The columns of a user object, in the order of enum sql_user_col; the
 * table is aliased u. */
#define SQL_USER_COLS                                                          \
	"u.id, u.username, u.display_name, u.email, u.role, u.disabled, "      \
	"u.totp_enabled, u.preferences::text, " SQL_TS(                        \
	    "u.created_at") ", " SQL_TS("u.updated_at") ", u.version"

enum sql_user_col {
	SQL_USER_ID,	       /* uuid */
	SQL_USER_USERNAME,     /* lowercase */
	SQL_USER_DISPLAY_NAME, /* '' when unset */
	SQL_USER_EMAIL,	       /* NULL when unset */
	SQL_USER_ROLE,	       /* viewer | operator | admin */
	SQL_USER_DISABLED,     /* t | f */
	SQL_USER_TOTP_ENABLED, /* t | f */
	SQL_USER_PREFERENCES,  /* JSON object text */
	SQL_USER_CREATED_AT,   /* RFC 3339 */
	SQL_USER_UPDATED_AT,   /* RFC 3339 */
	SQL_USER_VERSION,      /* integer, the ETag */
	SQL_USER__COUNT
};

/* users */
extern const struct db_stmt sql_user_get;
extern const struct db_stmt sql_user_login;
extern const struct db_stmt sql_user_list;
extern const struct db_stmt sql_user_count;
extern const struct db_stmt sql_user_count_fast;
extern const struct db_stmt sql_user_insert;
extern const struct db_stmt sql_user_lock_admins;
extern const struct db_stmt sql_user_update;
extern const struct db_stmt sql_user_delete;
extern const struct db_stmt sql_user_secret_lock;
extern const struct db_stmt sql_admin_exists;
extern const struct db_stmt sql_admin_lock;
extern const struct db_stmt sql_audit_system;

/* sessions and refresh tokens */
extern const struct db_stmt sql_session_insert;
extern const struct db_stmt sql_session_active_lock;
extern const struct db_stmt sql_session_touch;
extern const struct db_stmt sql_session_revoke;
extern const struct db_stmt sql_session_exists;
extern const struct db_stmt sql_session_revoke_user;
extern const struct db_stmt sql_session_list;
extern const struct db_stmt sql_session_count;
extern const struct db_stmt sql_refresh_insert;
extern const struct db_stmt sql_refresh_use;
extern const struct db_stmt sql_refresh_find;

/* API keys */
extern const struct db_stmt sql_apikey_insert;
extern const struct db_stmt sql_apikey_list;
extern const struct db_stmt sql_apikey_count;
extern const struct db_stmt sql_apikey_revoke;
extern const struct db_stmt sql_apikey_exists;
extern const struct db_stmt sql_ts_future;

/* TOTP and recovery codes */
extern const struct db_stmt sql_totp_set_pending;
extern const struct db_stmt sql_totp_enable;
extern const struct db_stmt sql_totp_disable;
extern const struct db_stmt sql_totp_use_step;
extern const struct db_stmt sql_recovery_delete;
extern const struct db_stmt sql_recovery_insert;
extern const struct db_stmt sql_recovery_use;

/* login failures */
extern const struct db_stmt sql_lockout_get;
extern const struct db_stmt sql_lockout_fail;
extern const struct db_stmt sql_lockout_clear;

#endif
