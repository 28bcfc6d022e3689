/* Every SQL statement of the identity domain, parameterized ($n only). */
#include "sql.h"

/* The SQL text is laid out by hand, so the formatter leaves it alone. */
/* clang-format off */

/* ---- users ---- */

const struct db_stmt sql_user_get = {
	"id_user_get",
	"SELECT " SQL_USER_COLS " FROM identity.users u WHERE u.id = $1::uuid",
	1};

/* id, username, role, password_hash, disabled, totp_enabled,
 * totp_secret (hex), totp_last_step */
const struct db_stmt sql_user_login = {
	"id_user_login",
	"SELECT u.id, u.username, u.role, u.password_hash, u.disabled, "
	"u.totp_enabled, encode(u.totp_secret, 'hex'), u.totp_last_step "
	"FROM identity.users u WHERE u.username = $1",
	1};

#define SQL_USER_FILTER \
	"WHERE ($1::text IS NULL " \
	"OR strpos(lower(u.username), lower($1)) > 0 " \
	"OR strpos(lower(u.display_name), lower($1)) > 0 " \
	"OR strpos(lower(coalesce(u.email, '')), lower($1)) > 0) " \
	"AND ($2::text IS NULL OR u.role = $2) " \
	"AND ($3::boolean IS NULL OR u.disabled = $3::boolean) "

const struct db_stmt sql_user_list = {
	"id_user_list",
	"SELECT " SQL_USER_COLS " FROM identity.users u " SQL_USER_FILTER
	"ORDER BY u.username LIMIT $4::integer OFFSET $5::bigint",
	5};

const struct db_stmt sql_user_count = {
	"id_user_count",
	"SELECT count(*) FROM identity.users u " SQL_USER_FILTER, 3};

/* The same without a text search, from the trigger-kept counts. */
const struct db_stmt sql_user_count_fast = {
	"id_user_count_fast",
	"SELECT coalesce(sum(n), 0) FROM identity.user_stats "
	"WHERE ($1::text IS NULL OR role = $1) "
	"AND ($2::boolean IS NULL OR disabled = $2::boolean)",
	2};

/* username, password_hash, role, display_name, email, disabled */
const struct db_stmt sql_user_insert = {
	"id_user_insert",
	"INSERT INTO identity.users AS u (username, password_hash, role, "
	"display_name, email, disabled) VALUES ($1, $2, $3, coalesce($4, ''), "
	"nullif($5, ''), coalesce($6::boolean, false)) "
	"RETURNING " SQL_USER_COLS,
	6};

/* Locks the target and every enabled admin, always in id order so two
 * of these cannot deadlock: id, role, disabled. */
const struct db_stmt sql_user_lock_admins = {
	"id_user_lock_admins",
	"SELECT id, role, disabled FROM identity.users "
	"WHERE id = $1::uuid OR (role = 'admin' AND NOT disabled) "
	"ORDER BY id FOR UPDATE",
	1};

/* $1 id; $2 set display_name? $3 display_name; $4 set email? $5 email;
 * $6 role; $7 disabled; $8 password_hash; $9 preferences (NULL: keep) */
const struct db_stmt sql_user_update = {
	"id_user_update",
	"UPDATE identity.users AS u SET "
	"display_name = CASE WHEN $2::boolean THEN coalesce($3, '') "
	"ELSE u.display_name END, "
	"email = CASE WHEN $4::boolean THEN nullif($5, '') ELSE u.email END, "
	"role = coalesce($6, u.role), "
	"disabled = coalesce($7::boolean, u.disabled), "
	"password_hash = coalesce($8::text, u.password_hash), "
	"password_changed_at = CASE WHEN $8::text IS NULL "
	"THEN u.password_changed_at ELSE now() END, "
	"preferences = coalesce($9::jsonb, u.preferences), "
	"updated_at = now(), version = u.version + 1 "
	"WHERE u.id = $1::uuid RETURNING " SQL_USER_COLS,
	9};

const struct db_stmt sql_user_delete = {
	"id_user_delete", "DELETE FROM identity.users WHERE id = $1::uuid", 1};

/* password_hash, totp_enabled, totp_secret (hex), totp_last_step,
 * username */
const struct db_stmt sql_user_secret_lock = {
	"id_user_secret_lock",
	"SELECT password_hash, totp_enabled, encode(totp_secret, 'hex'), "
	"totp_last_step, username FROM identity.users WHERE id = $1::uuid "
	"FOR UPDATE",
	1};

const struct db_stmt sql_admin_exists = {
	"id_admin_exists",
	"SELECT 1 FROM identity.users WHERE role = 'admin' LIMIT 1", 0};

/* Serializes concurrent create-admin runs. */
const struct db_stmt sql_admin_lock = {
	"id_admin_lock",
	"SELECT pg_advisory_xact_lock(hashtext('identity.create-admin'))", 0};

/* action, entity id, after */
const struct db_stmt sql_audit_system = {
	"id_audit_system",
	"INSERT INTO core.audit_events (actor_name, action, entity_type, "
	"entity_id, after) VALUES ('system', $1, 'user', $2, $3::jsonb)",
	3};

/* ---- sessions and refresh tokens ---- */

/* user, lifetime s, remote_addr, user_agent -> id */
const struct db_stmt sql_session_insert = {
	"id_session_insert",
	"INSERT INTO identity.sessions (user_id, expires_at, remote_addr, "
	"user_agent) VALUES ($1::uuid, now() + make_interval(secs => "
	"$2::integer), $3, left($4, 512)) RETURNING id",
	4};

/* The user behind an active session, the session row locked:
 * user id, username, role. */
const struct db_stmt sql_session_active_lock = {
	"id_session_active_lock",
	"SELECT u.id, u.username, u.role FROM identity.sessions s "
	"JOIN identity.users u ON u.id = s.user_id "
	"WHERE s.id = $1::uuid AND s.revoked_at IS NULL "
	"AND s.expires_at > now() AND NOT u.disabled FOR UPDATE OF s",
	1};

/* Sliding expiry on refresh. */
const struct db_stmt sql_session_touch = {
	"id_session_touch",
	"UPDATE identity.sessions SET last_used_at = now(), "
	"expires_at = now() + make_interval(secs => $2::integer) "
	"WHERE id = $1::uuid",
	2};

/* $1 session, $2 reason, $3 owner (NULL: any) -> id, user_id, username */
const struct db_stmt sql_session_revoke = {
	"id_session_revoke",
	"UPDATE identity.sessions s SET revoked_at = now(), "
	"revoked_reason = $2 FROM identity.users u "
	"WHERE s.id = $1::uuid AND s.revoked_at IS NULL AND u.id = s.user_id "
	"AND ($3::uuid IS NULL OR s.user_id = $3::uuid) "
	"RETURNING s.id, s.user_id, u.username",
	3};

const struct db_stmt sql_session_exists = {
	"id_session_exists",
	"SELECT 1 FROM identity.sessions WHERE id = $1::uuid "
	"AND ($2::uuid IS NULL OR user_id = $2::uuid)",
	2};

/* $1 user, $2 reason, $3 session to keep (may be NULL) */
const struct db_stmt sql_session_revoke_user = {
	"id_session_revoke_user",
	"UPDATE identity.sessions SET revoked_at = now(), revoked_reason = $2 "
	"WHERE user_id = $1::uuid AND revoked_at IS NULL "
	"AND id IS DISTINCT FROM $3::uuid",
	3};

#define SQL_SESSION_FILTER \
	"WHERE s.revoked_at IS NULL AND s.expires_at > now() " \
	"AND ($1::uuid IS NULL OR s.user_id = $1::uuid) "

/* id, user_id, username, created_at, last_used_at, expires_at,
 * remote_addr, user_agent, revoked_at */
const struct db_stmt sql_session_list = {
	"id_session_list",
	"SELECT s.id, s.user_id, u.username, " SQL_TS("s.created_at") ", "
	SQL_TS("s.last_used_at") ", " SQL_TS("s.expires_at") ", "
	"s.remote_addr, s.user_agent, " SQL_TS("s.revoked_at") " "
	"FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id "
	SQL_SESSION_FILTER
	"ORDER BY s.created_at DESC, s.id LIMIT $2::integer OFFSET $3::bigint",
	3};

const struct db_stmt sql_session_count = {
	"id_session_count",
	"SELECT count(*) FROM identity.sessions s " SQL_SESSION_FILTER, 1};

const struct db_stmt sql_refresh_insert = {
	"id_refresh_insert",
	"INSERT INTO identity.refresh_tokens (token_hash, session_id) "
	"VALUES ($1, $2::uuid)",
	2};

/* Marks an unused token used, atomically: session_id, or no row. */
const struct db_stmt sql_refresh_use = {
	"id_refresh_use",
	"UPDATE identity.refresh_tokens SET used_at = now() "
	"WHERE token_hash = $1 AND used_at IS NULL RETURNING session_id",
	1};

const struct db_stmt sql_refresh_find = {
	"id_refresh_find",
	"SELECT session_id FROM identity.refresh_tokens WHERE token_hash = $1",
	1};

/* ---- API keys ---- */

#define SQL_APIKEY_COLS \
	"k.id, k.name, k.role, k.user_id, u.username, " \
	SQL_TS("k.created_at") ", " SQL_TS("k.expires_at") ", " \
	SQL_TS("k.last_used_at") ", " SQL_TS("k.revoked_at")

/* id, user, name, role, secret_hash, expires_at -> id, name, role,
 * created_at, expires_at */
const struct db_stmt sql_apikey_insert = {
	"id_apikey_insert",
	"INSERT INTO identity.api_keys AS k (id, user_id, name, role, "
	"secret_hash, expires_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, "
	"$6::timestamptz) RETURNING k.id, k.name, k.role, "
	SQL_TS("k.created_at") ", " SQL_TS("k.expires_at"),
	6};

/* $1 owner (NULL: all), $2 limit, $3 offset -> SQL_APIKEY_COLS */
const struct db_stmt sql_apikey_list = {
	"id_apikey_list",
	"SELECT " SQL_APIKEY_COLS " FROM identity.api_keys k "
	"JOIN identity.users u ON u.id = k.user_id "
	"WHERE ($1::uuid IS NULL OR k.user_id = $1::uuid) "
	"ORDER BY k.created_at DESC, k.id LIMIT $2::integer OFFSET $3::bigint",
	3};

const struct db_stmt sql_apikey_count = {
	"id_apikey_count",
	"SELECT count(*) FROM identity.api_keys k "
	"WHERE ($1::uuid IS NULL OR k.user_id = $1::uuid)",
	1};

/* $1 key, $2 owner (NULL: any) -> id, name, role, user_id */
const struct db_stmt sql_apikey_revoke = {
	"id_apikey_revoke",
	"UPDATE identity.api_keys SET revoked_at = now() "
	"WHERE id = $1::uuid AND revoked_at IS NULL "
	"AND ($2::uuid IS NULL OR user_id = $2::uuid) "
	"RETURNING id, name, role, user_id",
	2};

const struct db_stmt sql_apikey_exists = {
	"id_apikey_exists",
	"SELECT 1 FROM identity.api_keys WHERE id = $1::uuid "
	"AND ($2::uuid IS NULL OR user_id = $2::uuid)",
	2};

/* Is the timestamp in the future: t | f. */
const struct db_stmt sql_ts_future = {
	"id_ts_future", "SELECT $1::timestamptz > now()", 1};

/* ---- TOTP and recovery codes ---- */

const struct db_stmt sql_totp_set_pending = {
	"id_totp_set_pending",
	"UPDATE identity.users SET totp_secret = decode($2, 'hex'), "
	"totp_enabled = false, totp_last_step = NULL, updated_at = now(), "
	"version = version + 1 WHERE id = $1::uuid",
	2};

const struct db_stmt sql_totp_enable = {
	"id_totp_enable",
	"UPDATE identity.users SET totp_enabled = true, "
	"totp_last_step = $2::bigint, updated_at = now(), "
	"version = version + 1 WHERE id = $1::uuid",
	2};

const struct db_stmt sql_totp_disable = {
	"id_totp_disable",
	"UPDATE identity.users SET totp_enabled = false, totp_secret = NULL, "
	"totp_last_step = NULL, updated_at = now(), version = version + 1 "
	"WHERE id = $1::uuid",
	1};

/* Consumes a time step: a row only when it is newer than the last. */
const struct db_stmt sql_totp_use_step = {
	"id_totp_use_step",
	"UPDATE identity.users SET totp_last_step = $2::bigint "
	"WHERE id = $1::uuid AND (totp_last_step IS NULL "
	"OR totp_last_step < $2::bigint) RETURNING id",
	2};

const struct db_stmt sql_recovery_delete = {
	"id_recovery_delete",
	"DELETE FROM identity.recovery_codes WHERE user_id = $1::uuid", 1};

/* $2 is a text[] literal of hex hashes. */
const struct db_stmt sql_recovery_insert = {
	"id_recovery_insert",
	"INSERT INTO identity.recovery_codes (user_id, code_hash) "
	"SELECT $1::uuid, h FROM unnest($2::text[]) AS h",
	2};

const struct db_stmt sql_recovery_use = {
	"id_recovery_use",
	"UPDATE identity.recovery_codes SET used_at = now() "
	"WHERE user_id = $1::uuid AND code_hash = $2 AND used_at IS NULL "
	"RETURNING user_id",
	2};

/* ---- login failures ---- */

/* Blocked keys among $1, $2: key, failures, seconds left (>= 1). */
const struct db_stmt sql_lockout_get = {
	"id_lockout_get",
	"SELECT key, failures, greatest(1, ceil(extract(epoch FROM "
	"blocked_until - now())))::integer FROM identity.login_failures "
	"WHERE key IN ($1, $2) AND blocked_until > now()",
	2};

/* key, backoff_after, lock_after, lock_s -> failures, blocked (t|f) */
const struct db_stmt sql_lockout_fail = {
	"id_lockout_fail",
	"SELECT failures, blocked_until IS NOT NULL FROM "
	"identity.login_failure($1, $2::integer, $3::integer, $4::integer)",
	4};

const struct db_stmt sql_lockout_clear = {
	"id_lockout_clear",
	"DELETE FROM identity.login_failures WHERE key = $1", 1};

/* clang-format on */
