/* Every SQL statement of the assets domain, parameterized ($n only), and
 * the column lists the JSON shapes in shape.c read. */
#ifndef OC_ASSETS_SQL_H
#define OC_ASSETS_SQL_H

#include "db.h"

/* A timestamptz column as RFC 3339 UTC text with milliseconds. */
#define SQL_TS(col)                                                            \
	"to_char(" col " AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The columns of a target (alias t), in the order of shape_target. */
#define SQL_TARGET_COLS                                                        \
	"t.id, t.name, t.host, t.os, t.protocol, t.port, t.winrm_https, "      \
	"t.winrm_auth, t.winrm_verify_tls, t.ssh_user, t.ssh_host_key, "       \
	"t.ssh_host_key_type, t.ssh_host_key_pending, "                        \
	"t.ssh_host_key_pending_type, t.credential_id, "                       \
	"(SELECT c.name FROM assets.credentials c "                            \
	"WHERE c.id = t.credential_id), to_jsonb(t.tags)::text, "              \
	"t.description, t.enabled, t.reachability, "                           \
	"t.last_test::text, " SQL_TS(                                          \
	    "t.last_test_at") ", t.detected_os, t.test_task_id, "              \
			      "(SELECT k.state FROM core.tasks k WHERE k.id "  \
			      "= t.test_task_id), "                            \
			      "t.created_by, t.created_by_name, "              \
			      "t.updated_by, t.updated_by_name, " SQL_TS(      \
				  "t.created_at") ", " SQL_TS("t.updated_at") ", t.version"
#define SQL_TARGET_NCOLS 32
#define SQL_TARGET_VERSION 31
#define SQL_TARGET_HOSTKEY_PENDING 12
#define SQL_TARGET_ENABLED 18

/* A credential (alias c); the first three are all a viewer sees. */
#define SQL_CRED_COLS                                                          \
	"c.id, c.name, c.type, c.username, c.domain, c.key_type, "             \
	"c.key_fingerprint, c.key_version, c.description, "                    \
	"(SELECT count(*) FROM assets.targets t "                              \
	"WHERE t.credential_id = c.id), c.created_by, c.created_by_name, "     \
	"c.updated_by, c.updated_by_name, " SQL_TS(                            \
	    "c.created_at") ", " SQL_TS("c.updated_at") ", c.version"
#define SQL_CRED_NCOLS 17
#define SQL_CRED_VERSION 16
#define SQL_CRED_TYPE 2
#define SQL_CRED_USERNAME 3
#define SQL_CRED_DOMAIN 4

/* Whether target t is in group g (a uuid expression). */
#define SQL_IN_GROUP(g)                                                        \
	"EXISTS (SELECT 1 FROM assets.groups g WHERE g.id = " g " AND "        \
	"CASE WHEN g.dynamic THEN assets.filter_match(t.tags, t.os, t.name, "  \
	"g.filter) ELSE EXISTS (SELECT 1 FROM assets.group_members m "         \
	"WHERE m.group_id = g.id AND m.target_id = t.id) END)"

/* A group (alias g). */
#define SQL_GROUP_COLS                                                         \
	"g.id, g.name, g.description, g.dynamic, g.filter::text, "             \
	"CASE WHEN g.dynamic THEN (SELECT count(*) FROM assets.targets t "     \
	"WHERE assets.filter_match(t.tags, t.os, t.name, g.filter)) "          \
	"ELSE (SELECT count(*) FROM assets.group_members m "                   \
	"WHERE m.group_id = g.id) END, g.created_by, g.created_by_name, "      \
	"g.updated_by, g.updated_by_name, " SQL_TS(                            \
	    "g.created_at") ", " SQL_TS("g.updated_at") ", g.version"
#define SQL_GROUP_NCOLS 13
#define SQL_GROUP_VERSION 12
#define SQL_GROUP_NAME 1
#define SQL_GROUP_DESCRIPTION 2
#define SQL_GROUP_DYNAMIC 3
#define SQL_GROUP_FILTER 4

/* A scan (alias s). */
#define SQL_SCAN_COLS                                                          \
	"s.id, s.state, to_jsonb(s.cidrs::text[])::text, "                     \
	"to_jsonb(s.ports)::text, s.timeout_ms, s.concurrency, "               \
	"s.hosts_total, s.hosts_done, s.found, s.task_id, s.error, "           \
	"s.created_by, s.created_by_name, " SQL_TS(                            \
	    "s.created_at") ", " SQL_TS("s.started_at") ", " SQL_TS("s."       \
								    "finished" \
								    "_at")
#define SQL_SCAN_NCOLS 16
#define SQL_SCAN_STATE 1

/* A scan result (alias r). */
#define SQL_RESULT_COLS                                                        \
	"host(r.address), r.reverse_name, to_jsonb(r.open_ports)::text, "      \
	"r.ssh_banner, r.winrm_product, r.classification, "                    \
	"EXISTS (SELECT 1 FROM assets.targets t WHERE lower(t.host) = "        \
	"host(r.address) OR lower(t.host) = lower(r.reverse_name)), " SQL_TS(  \
	    "r.found_at")
#define SQL_RESULT_NCOLS 8

/* The discovery settings. */
#define SQL_SETTINGS_COLS                                                      \
	"to_jsonb(discovery_allowed_ranges::text[])::text, "                   \
	"discovery_max_hosts, updated_by, updated_by_name, " SQL_TS(           \
	    "updated_at") ", version"
#define SQL_SETTINGS_NCOLS 6
#define SQL_SETTINGS_VERSION 5

/* A connection test task (alias k). */
#define SQL_TASK_COLS                                                          \
	"k.id, k.kind, k.state, k.payload->>'target_id', k.result::text, "     \
	"k.error, k.attempts, k.cancel_requested, " SQL_TS(                    \
	    "k.created_at") ", " SQL_TS("k.started_at") ", " SQL_TS("k."       \
								    "finished" \
								    "_at")
#define SQL_TASK_NCOLS 11

/* targets */
extern const struct db_stmt sql_target_get;
extern const struct db_stmt sql_target_lock;
extern const struct db_stmt sql_target_list;
extern const struct db_stmt sql_target_count;
extern const struct db_stmt sql_target_count_all;
extern const struct db_stmt sql_target_insert;
extern const struct db_stmt sql_target_update;
extern const struct db_stmt sql_target_delete;
extern const struct db_stmt sql_target_hostkey_accept;
extern const struct db_stmt sql_target_hostkey_forget;
extern const struct db_stmt sql_target_names_taken;
extern const struct db_stmt sql_targets_missing;
extern const struct db_stmt sql_cred_brief;
extern const struct db_stmt sql_cred_by_names;

/* connection tests */
extern const struct db_stmt sql_test_one;
extern const struct db_stmt sql_test_count;
extern const struct db_stmt sql_test_many;
extern const struct db_stmt sql_task_get;

/* groups */
extern const struct db_stmt sql_group_get;
extern const struct db_stmt sql_group_lock;
extern const struct db_stmt sql_group_list;
extern const struct db_stmt sql_group_count;
extern const struct db_stmt sql_group_insert;
extern const struct db_stmt sql_group_update;
extern const struct db_stmt sql_group_delete;
extern const struct db_stmt sql_group_members;
extern const struct db_stmt sql_group_members_count;
extern const struct db_stmt sql_group_preview;
extern const struct db_stmt sql_group_preview_count;
extern const struct db_stmt sql_group_members_add;
extern const struct db_stmt sql_group_members_remove;
extern const struct db_stmt sql_groups_brief;

/* credentials */
extern const struct db_stmt sql_cred_get;
extern const struct db_stmt sql_cred_lock;
extern const struct db_stmt sql_cred_list;
extern const struct db_stmt sql_cred_count;
extern const struct db_stmt sql_cred_insert;
extern const struct db_stmt sql_cred_update;
extern const struct db_stmt sql_cred_delete;
extern const struct db_stmt sql_cred_users;
extern const struct db_stmt sql_cred_unlink;

/* discovery */
extern const struct db_stmt sql_settings_get;
extern const struct db_stmt sql_settings_put;
extern const struct db_stmt sql_ranges_allowed;
extern const struct db_stmt sql_scan_task_insert;
extern const struct db_stmt sql_scan_insert;
extern const struct db_stmt sql_scan_get;
extern const struct db_stmt sql_scan_lock;
extern const struct db_stmt sql_scan_list;
extern const struct db_stmt sql_scan_count;
extern const struct db_stmt sql_scan_task_cancel;
extern const struct db_stmt sql_scan_cancel;
extern const struct db_stmt sql_result_list;
extern const struct db_stmt sql_result_count;
extern const struct db_stmt sql_result_pick;
extern const struct db_stmt sql_member_add;

#endif
