/* Every SQL statement of the assets domain, parameterized ($n only). */
#include "sql.h"

/* The SQL text is laid out by hand, so the formatter leaves it alone. */
/* clang-format off */

/* A JSON array of strings as text[], of uuid strings as uuid[]. */
#define SQL_TEXTS(p) "ARRAY(SELECT jsonb_array_elements_text(" p "::jsonb))"
#define SQL_UUIDS(p) \
	"ARRAY(SELECT x::uuid FROM jsonb_array_elements_text(" p "::jsonb) x)"

/* ---- targets ---- */

const struct db_stmt sql_target_get = {
	"as_target_get",
	"SELECT " SQL_TARGET_COLS " FROM assets.targets t WHERE t.id = $1::uuid",
	1};

const struct db_stmt sql_target_lock = {
	"as_target_lock",
	"SELECT " SQL_TARGET_COLS " FROM assets.targets t WHERE t.id = $1::uuid "
	"FOR UPDATE OF t",
	1};

/* $1 q, $2 tags (JSON array: all of them), $3 os, $4 protocol, $5 group,
 * $6 reachability, $7 enabled, $8 credential */
#define SQL_TARGET_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(t.name), lower($1)) > 0 " \
	"OR strpos(lower(t.host), lower($1)) > 0 " \
	"OR strpos(lower(t.description), lower($1)) > 0) " \
	"AND ($2::jsonb IS NULL OR t.tags @> " SQL_TEXTS("$2") ") " \
	"AND ($3::text IS NULL OR t.os = $3) " \
	"AND ($4::text IS NULL OR t.protocol = $4) " \
	"AND ($5::uuid IS NULL OR " SQL_IN_GROUP("$5::uuid") ") " \
	"AND ($6::text IS NULL OR t.reachability = $6) " \
	"AND ($7::boolean IS NULL OR t.enabled = $7::boolean) " \
	"AND ($8::uuid IS NULL OR t.credential_id = $8::uuid) "

const struct db_stmt sql_target_list = {
	"as_target_list",
	"SELECT " SQL_TARGET_COLS " FROM assets.targets t " SQL_TARGET_FILTER
	"ORDER BY t.name LIMIT $9::integer OFFSET $10::bigint",
	10};

const struct db_stmt sql_target_count = {
	"as_target_count",
	"SELECT count(*) FROM assets.targets t " SQL_TARGET_FILTER, 8};

/* The same without any filter, from the trigger-kept count (sql/013). */
const struct db_stmt sql_target_count_all = {
	"as_target_count_all", "SELECT n FROM assets.target_stats", 0};

/* $1 name, $2 host, $3 os, $4 protocol, $5 port, $6 winrm_https,
 * $7 winrm_auth, $8 winrm_verify_tls, $9 ssh_user, $10 credential_id,
 * $11 tags (JSON), $12 description, $13 enabled, $14 by, $15 by name */
const struct db_stmt sql_target_insert = {
	"as_target_insert",
	"WITH t AS (INSERT INTO assets.targets (name, host, os, protocol, "
	"port, winrm_https, winrm_auth, winrm_verify_tls, ssh_user, "
	"credential_id, tags, description, enabled, created_by, "
	"created_by_name, updated_by, updated_by_name) VALUES ($1, $2, $3, $4, "
	"$5::integer, $6::boolean, $7, $8::boolean, $9, $10::uuid, "
	SQL_TEXTS("$11") ", $12, $13::boolean, $14::uuid, $15, $14::uuid, $15) "
	"RETURNING *) SELECT " SQL_TARGET_COLS " FROM t",
	15};

/* $1 id, $2..$14 as in insert ($2 name ... $14 enabled), $15 by,
 * $16 by name, $17 forget the host key (the endpoint changed) */
const struct db_stmt sql_target_update = {
	"as_target_update",
	"WITH t AS (UPDATE assets.targets SET name = $2, host = $3, os = $4, "
	"protocol = $5, port = $6::integer, winrm_https = $7::boolean, "
	"winrm_auth = $8, winrm_verify_tls = $9::boolean, ssh_user = $10, "
	"credential_id = $11::uuid, tags = " SQL_TEXTS("$12") ", "
	"description = $13, enabled = $14::boolean, updated_by = $15::uuid, "
	"updated_by_name = $16, updated_at = now(), version = version + 1, "
	"ssh_host_key = CASE WHEN $17::boolean THEN NULL ELSE ssh_host_key END, "
	"ssh_host_key_type = CASE WHEN $17::boolean THEN NULL "
	"ELSE ssh_host_key_type END, "
	"ssh_host_key_pending = CASE WHEN $17::boolean THEN NULL "
	"ELSE ssh_host_key_pending END, "
	"ssh_host_key_pending_type = CASE WHEN $17::boolean THEN NULL "
	"ELSE ssh_host_key_pending_type END, "
	"reachability = CASE WHEN $17::boolean THEN 'unknown' "
	"ELSE reachability END "
	"WHERE id = $1::uuid RETURNING *) SELECT " SQL_TARGET_COLS " FROM t",
	17};

const struct db_stmt sql_target_delete = {
	"as_target_delete", "DELETE FROM assets.targets WHERE id = $1::uuid", 1};

/* $1 id, $2 the pending fingerprint, $3 by, $4 by name */
const struct db_stmt sql_target_hostkey_accept = {
	"as_target_hostkey_accept",
	"WITH t AS (UPDATE assets.targets SET "
	"ssh_host_key = ssh_host_key_pending, "
	"ssh_host_key_type = ssh_host_key_pending_type, "
	"ssh_host_key_pending = NULL, ssh_host_key_pending_type = NULL, "
	"reachability = CASE WHEN reachability = 'host_key_changed' "
	"THEN 'unknown' ELSE reachability END, updated_by = $3::uuid, "
	"updated_by_name = $4, updated_at = now(), version = version + 1 "
	"WHERE id = $1::uuid AND ssh_host_key_pending = $2 RETURNING *) "
	"SELECT " SQL_TARGET_COLS " FROM t",
	4};

/* $1 id, $2 by, $3 by name */
const struct db_stmt sql_target_hostkey_forget = {
	"as_target_hostkey_forget",
	"WITH t AS (UPDATE assets.targets SET ssh_host_key = NULL, "
	"ssh_host_key_type = NULL, ssh_host_key_pending = NULL, "
	"ssh_host_key_pending_type = NULL, "
	"reachability = CASE WHEN reachability = 'host_key_changed' "
	"THEN 'unknown' ELSE reachability END, updated_by = $2::uuid, "
	"updated_by_name = $3, updated_at = now(), version = version + 1 "
	"WHERE id = $1::uuid RETURNING *) SELECT " SQL_TARGET_COLS " FROM t",
	3};

/* $1 names (JSON array) -> those already used */
const struct db_stmt sql_target_names_taken = {
	"as_target_names_taken",
	"SELECT name FROM assets.targets WHERE name = ANY(" SQL_TEXTS("$1") ")",
	1};

/* $1 target ids (JSON array of uuids) -> those that do not exist */
const struct db_stmt sql_targets_missing = {
	"as_targets_missing",
	"SELECT x FROM jsonb_array_elements_text($1::jsonb) x "
	"WHERE NOT EXISTS (SELECT 1 FROM assets.targets t "
	"WHERE t.id = x::uuid)",
	1};

/* id, name, type */
const struct db_stmt sql_cred_brief = {
	"as_cred_brief",
	"SELECT id, name, type FROM assets.credentials WHERE id = $1::uuid "
	"FOR SHARE",
	1};

/* $1 names (JSON array) -> id, name, type */
const struct db_stmt sql_cred_by_names = {
	"as_cred_by_names",
	"SELECT id, name, type FROM assets.credentials "
	"WHERE name = ANY(" SQL_TEXTS("$1") ") FOR SHARE",
	1};

/* ---- connection tests ---- */

/* $1 target, $2 by -> task id, state */
const struct db_stmt sql_test_one = {
	"as_test_one",
	"WITH k AS (INSERT INTO core.tasks (kind, payload, created_by) "
	"VALUES ('target.test', jsonb_build_object('target_id', $1::uuid), "
	"$2::uuid) RETURNING id, state), "
	"u AS (UPDATE assets.targets SET test_task_id = (SELECT id FROM k) "
	"WHERE id = $1::uuid) SELECT id, state FROM k",
	2};

/* $1 target ids (JSON), $2 group, $3 filter (JSON): the enabled targets
 * chosen, and how many are disabled. */
#define SQL_TEST_PICK \
	"FROM assets.targets t WHERE " \
	"($1::jsonb IS NULL OR t.id = ANY(" SQL_UUIDS("$1") ")) " \
	"AND ($2::uuid IS NULL OR " SQL_IN_GROUP("$2::uuid") ") " \
	"AND ($3::jsonb IS NULL OR assets.filter_match(t.tags, t.os, t.name, " \
	"$3::jsonb)) "

const struct db_stmt sql_test_count = {
	"as_test_count",
	"SELECT count(*) FILTER (WHERE t.enabled), "
	"count(*) FILTER (WHERE NOT t.enabled) " SQL_TEST_PICK,
	3};

/* ... and $4 by -> task id, target id, target name */
const struct db_stmt sql_test_many = {
	"as_test_many",
	"WITH sel AS (SELECT t.id, t.name " SQL_TEST_PICK "AND t.enabled "
	"FOR UPDATE OF t), "
	"k AS (INSERT INTO core.tasks (kind, payload, created_by) "
	"SELECT 'target.test', jsonb_build_object('target_id', sel.id), "
	"$4::uuid FROM sel RETURNING id, (payload->>'target_id')::uuid AS tid), "
	"u AS (UPDATE assets.targets t SET test_task_id = k.id FROM k "
	"WHERE t.id = k.tid) "
	"SELECT k.id, k.tid, sel.name FROM k JOIN sel ON sel.id = k.tid "
	"ORDER BY sel.name",
	4};

const struct db_stmt sql_task_get = {
	"as_task_get",
	"SELECT " SQL_TASK_COLS " FROM core.tasks k WHERE k.id = $1::uuid "
	"AND k.kind = 'target.test'",
	1};

/* ---- groups ---- */

const struct db_stmt sql_group_get = {
	"as_group_get",
	"SELECT " SQL_GROUP_COLS " FROM assets.groups g WHERE g.id = $1::uuid",
	1};

const struct db_stmt sql_group_lock = {
	"as_group_lock",
	"SELECT " SQL_GROUP_COLS " FROM assets.groups g WHERE g.id = $1::uuid "
	"FOR UPDATE OF g",
	1};

/* $1 q, $2 dynamic */
#define SQL_GROUP_WHERE \
	"WHERE ($1::text IS NULL OR strpos(lower(g.name), lower($1)) > 0 " \
	"OR strpos(lower(g.description), lower($1)) > 0) " \
	"AND ($2::boolean IS NULL OR g.dynamic = $2::boolean) "

const struct db_stmt sql_group_list = {
	"as_group_list",
	"SELECT " SQL_GROUP_COLS " FROM assets.groups g " SQL_GROUP_WHERE
	"ORDER BY g.name LIMIT $3::integer OFFSET $4::bigint",
	4};

const struct db_stmt sql_group_count = {
	"as_group_count",
	"SELECT count(*) FROM assets.groups g " SQL_GROUP_WHERE, 2};

/* $1 name, $2 description, $3 dynamic, $4 filter, $5 by, $6 by name */
const struct db_stmt sql_group_insert = {
	"as_group_insert",
	"WITH g AS (INSERT INTO assets.groups (name, description, dynamic, "
	"filter, created_by, created_by_name, updated_by, updated_by_name) "
	"VALUES ($1, coalesce($2, ''), $3::boolean, $4::jsonb, $5::uuid, $6, "
	"$5::uuid, $6) RETURNING *) SELECT " SQL_GROUP_COLS " FROM g",
	6};

/* $1 id, $2 name, $3 description, $4 filter, $5 by, $6 by name */
const struct db_stmt sql_group_update = {
	"as_group_update",
	"WITH g AS (UPDATE assets.groups SET name = $2, description = $3, "
	"filter = $4::jsonb, updated_by = $5::uuid, updated_by_name = $6, "
	"updated_at = now(), version = version + 1 WHERE id = $1::uuid "
	"RETURNING *) SELECT " SQL_GROUP_COLS " FROM g",
	6};

const struct db_stmt sql_group_delete = {
	"as_group_delete", "DELETE FROM assets.groups WHERE id = $1::uuid", 1};

/* $1 group, $2 limit, $3 offset: its targets (static or dynamic) */
const struct db_stmt sql_group_members = {
	"as_group_members",
	"SELECT " SQL_TARGET_COLS " FROM assets.targets t "
	"WHERE " SQL_IN_GROUP("$1::uuid") " ORDER BY t.name "
	"LIMIT $2::integer OFFSET $3::bigint",
	3};

const struct db_stmt sql_group_members_count = {
	"as_group_members_count",
	"SELECT count(*) FROM assets.targets t WHERE " SQL_IN_GROUP("$1::uuid"),
	1};

/* $1 a dynamic group's filter (JSON), $2 limit: the first targets it
 * matches, by name */
const struct db_stmt sql_group_preview = {
	"as_group_preview",
	"SELECT " SQL_TARGET_COLS " FROM assets.targets t "
	"WHERE assets.filter_match(t.tags, t.os, t.name, $1::jsonb) "
	"ORDER BY t.name LIMIT $2::integer",
	2};

const struct db_stmt sql_group_preview_count = {
	"as_group_preview_count",
	"SELECT count(*) FROM assets.targets t "
	"WHERE assets.filter_match(t.tags, t.os, t.name, $1::jsonb)",
	1};

/* $1 group, $2 target ids (JSON) -> the ids newly added */
const struct db_stmt sql_group_members_add = {
	"as_group_members_add",
	"INSERT INTO assets.group_members (group_id, target_id) "
	"SELECT $1::uuid, x::uuid FROM jsonb_array_elements_text($2::jsonb) x "
	"ON CONFLICT DO NOTHING RETURNING target_id",
	2};

/* $1 group, $2 target ids (JSON) -> the ids removed */
const struct db_stmt sql_group_members_remove = {
	"as_group_members_remove",
	"DELETE FROM assets.group_members WHERE group_id = $1::uuid "
	"AND target_id = ANY(" SQL_UUIDS("$2") ") RETURNING target_id",
	2};

/* $1 group ids (JSON) -> id, dynamic of those that exist */
const struct db_stmt sql_groups_brief = {
	"as_groups_brief",
	"SELECT id, dynamic FROM assets.groups "
	"WHERE id = ANY(" SQL_UUIDS("$1") ") FOR SHARE",
	1};

/* ---- credentials ---- */

const struct db_stmt sql_cred_get = {
	"as_cred_get",
	"SELECT " SQL_CRED_COLS " FROM assets.credentials c "
	"WHERE c.id = $1::uuid",
	1};

const struct db_stmt sql_cred_lock = {
	"as_cred_lock",
	"SELECT " SQL_CRED_COLS " FROM assets.credentials c "
	"WHERE c.id = $1::uuid FOR UPDATE OF c",
	1};

/* $1 q, $2 type, $3 q also searches username and description (not for
 * viewers, who only see names) */
#define SQL_CRED_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(c.name), lower($1)) > 0 " \
	"OR ($3::boolean AND (strpos(lower(coalesce(c.username, '')), " \
	"lower($1)) > 0 OR strpos(lower(c.description), lower($1)) > 0))) " \
	"AND ($2::text IS NULL OR c.type = $2) "

const struct db_stmt sql_cred_list = {
	"as_cred_list",
	"SELECT " SQL_CRED_COLS " FROM assets.credentials c " SQL_CRED_FILTER
	"ORDER BY c.name LIMIT $4::integer OFFSET $5::bigint",
	5};

const struct db_stmt sql_cred_count = {
	"as_cred_count",
	"SELECT count(*) FROM assets.credentials c " SQL_CRED_FILTER, 3};

/* $1 id, $2 name, $3 type, $4 username, $5 domain, $6 key_type,
 * $7 key_fingerprint, $8 sealed secret (hex), $9 key_version,
 * $10 description, $11 by, $12 by name */
const struct db_stmt sql_cred_insert = {
	"as_cred_insert",
	"WITH c AS (INSERT INTO assets.credentials (id, name, type, username, "
	"domain, key_type, key_fingerprint, secret, key_version, description, "
	"created_by, created_by_name, updated_by, updated_by_name) VALUES "
	"($1::uuid, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), $9::integer, "
	"coalesce($10, ''), $11::uuid, $12, $11::uuid, $12) RETURNING *) "
	"SELECT " SQL_CRED_COLS " FROM c",
	12};

/* $1 id, $2 name, $3 username, $4 domain, $5 key_type,
 * $6 key_fingerprint, $7 sealed secret (hex; NULL keeps it and the key
 * fields), $8 key_version, $9 description, $10 by, $11 by name */
const struct db_stmt sql_cred_update = {
	"as_cred_update",
	"WITH c AS (UPDATE assets.credentials SET name = $2, username = $3, "
	"domain = $4, "
	"key_type = CASE WHEN $7::text IS NULL THEN key_type ELSE $5 END, "
	"key_fingerprint = CASE WHEN $7::text IS NULL THEN key_fingerprint "
	"ELSE $6 END, "
	"secret = coalesce(decode($7, 'hex'), secret), "
	"key_version = coalesce($8::integer, key_version), description = $9, "
	"updated_by = $10::uuid, updated_by_name = $11, updated_at = now(), "
	"version = version + 1 WHERE id = $1::uuid RETURNING *) "
	"SELECT " SQL_CRED_COLS " FROM c",
	11};

const struct db_stmt sql_cred_delete = {
	"as_cred_delete", "DELETE FROM assets.credentials WHERE id = $1::uuid",
	1};

/* The targets using a credential, locked: id, name */
const struct db_stmt sql_cred_users = {
	"as_cred_users",
	"SELECT id, name FROM assets.targets WHERE credential_id = $1::uuid "
	"ORDER BY name FOR UPDATE",
	1};

/* $1 credential, $2 by, $3 by name: detaches it from its targets */
const struct db_stmt sql_cred_unlink = {
	"as_cred_unlink",
	"UPDATE assets.targets SET credential_id = NULL, updated_by = $2::uuid, "
	"updated_by_name = $3, updated_at = now(), version = version + 1 "
	"WHERE credential_id = $1::uuid RETURNING id",
	3};

/* ---- discovery ---- */

const struct db_stmt sql_settings_get = {
	"as_settings_get",
	"SELECT " SQL_SETTINGS_COLS " FROM assets.settings", 0};

/* $1 ranges (JSON), $2 max hosts, $3 by, $4 by name */
const struct db_stmt sql_settings_put = {
	"as_settings_put",
	"UPDATE assets.settings SET discovery_allowed_ranges = "
	"ARRAY(SELECT jsonb_array_elements_text($1::jsonb))::cidr[], "
	"discovery_max_hosts = $2::integer, updated_by = $3::uuid, "
	"updated_by_name = $4, updated_at = now(), version = version + 1 "
	"RETURNING " SQL_SETTINGS_COLS,
	4};

/* $1 canonical ranges (JSON): for each in order, whether an allowed range
 * holds it; and the host limit. */
const struct db_stmt sql_ranges_allowed = {
	"as_ranges_allowed",
	"SELECT EXISTS (SELECT 1 FROM unnest(s.discovery_allowed_ranges) a "
	"WHERE c.v::cidr <<= a), s.discovery_max_hosts "
	"FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY c(v, ord), "
	"(SELECT * FROM assets.settings FOR SHARE) s ORDER BY c.ord",
	1};

/* $1 scan id, $2 by -> task id */
const struct db_stmt sql_scan_task_insert = {
	"as_scan_task_insert",
	"INSERT INTO core.tasks (kind, payload, created_by, max_attempts) "
	"VALUES ('discovery.scan', jsonb_build_object('scan_id', $1::uuid), "
	"$2::uuid, 1) RETURNING id",
	2};

/* $1 id, $2 cidrs (JSON), $3 ports (JSON), $4 timeout_ms,
 * $5 concurrency, $6 hosts_total, $7 task, $8 by, $9 by name */
const struct db_stmt sql_scan_insert = {
	"as_scan_insert",
	"WITH s AS (INSERT INTO assets.scans (id, cidrs, ports, timeout_ms, "
	"concurrency, hosts_total, task_id, created_by, created_by_name) "
	"VALUES ($1::uuid, " SQL_TEXTS("$2") "::cidr[], "
	"ARRAY(SELECT x::integer FROM jsonb_array_elements_text($3::jsonb) x), "
	"$4::integer, $5::integer, $6::bigint, $7::uuid, $8::uuid, $9) "
	"RETURNING *) SELECT " SQL_SCAN_COLS " FROM s",
	9};

const struct db_stmt sql_scan_get = {
	"as_scan_get",
	"SELECT " SQL_SCAN_COLS " FROM assets.scans s WHERE s.id = $1::uuid",
	1};

const struct db_stmt sql_scan_lock = {
	"as_scan_lock",
	"SELECT " SQL_SCAN_COLS " FROM assets.scans s WHERE s.id = $1::uuid "
	"FOR UPDATE OF s",
	1};

/* $1 state */
const struct db_stmt sql_scan_list = {
	"as_scan_list",
	"SELECT " SQL_SCAN_COLS " FROM assets.scans s "
	"WHERE ($1::text IS NULL OR s.state = $1) "
	"ORDER BY s.created_at DESC, s.id LIMIT $2::integer OFFSET $3::bigint",
	3};

const struct db_stmt sql_scan_count = {
	"as_scan_count",
	"SELECT count(*) FROM assets.scans s "
	"WHERE ($1::text IS NULL OR s.state = $1)",
	1};

/* $1 scan: asks its task to stop (a queued one never starts). */
const struct db_stmt sql_scan_task_cancel = {
	"as_scan_task_cancel",
	"UPDATE core.tasks k SET cancel_requested = true, "
	"state = CASE WHEN k.state = 'queued' THEN 'canceled' ELSE k.state END, "
	"finished_at = CASE WHEN k.state = 'queued' THEN now() "
	"ELSE k.finished_at END "
	"FROM assets.scans s WHERE s.id = $1::uuid AND k.id = s.task_id",
	1};

const struct db_stmt sql_scan_cancel = {
	"as_scan_cancel",
	"WITH s AS (UPDATE assets.scans SET state = 'canceled', "
	"finished_at = coalesce(finished_at, now()) WHERE id = $1::uuid "
	"RETURNING *) SELECT " SQL_SCAN_COLS " FROM s",
	1};

/* $1 scan, $2 classification */
const struct db_stmt sql_result_list = {
	"as_result_list",
	"SELECT " SQL_RESULT_COLS " FROM assets.scan_results r "
	"WHERE r.scan_id = $1::uuid "
	"AND ($2::text IS NULL OR r.classification = $2) "
	"ORDER BY r.address LIMIT $3::integer OFFSET $4::bigint",
	4};

const struct db_stmt sql_result_count = {
	"as_result_count",
	"SELECT count(*) FROM assets.scan_results r WHERE r.scan_id = $1::uuid "
	"AND ($2::text IS NULL OR r.classification = $2)",
	2};

/* $1 scan, $2 addresses (JSON, valid inet text), in order: found in the
 * scan?, address, reverse name, open ports (JSON), classification,
 * already a target? */
const struct db_stmt sql_result_pick = {
	"as_result_pick",
	"SELECT r.address IS NOT NULL, host(a.v::inet), r.reverse_name, "
	"to_jsonb(r.open_ports)::text, r.classification, "
	"EXISTS (SELECT 1 FROM assets.targets t WHERE lower(t.host) = "
	"host(a.v::inet) OR lower(t.host) = lower(r.reverse_name)) "
	"FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY a(v, ord) "
	"LEFT JOIN assets.scan_results r ON r.scan_id = $1::uuid "
	"AND r.address = a.v::inet ORDER BY a.ord",
	2};

/* $1 group, $2 target */
const struct db_stmt sql_member_add = {
	"as_member_add",
	"INSERT INTO assets.group_members (group_id, target_id) "
	"VALUES ($1::uuid, $2::uuid) ON CONFLICT DO NOTHING",
	2};
