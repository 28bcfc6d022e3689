/* The SQL of schedules (automation.schedules), parameterized ($n only),
 * and the columns schedules.c reads. */
#include "sched_sql.h"

#define SCHED_TS(col)                                                          \
	"to_char(" col " AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The API representation: everything but the sealed secret. */
#define SCHED_JSON                                                             \
	"jsonb_build_object('id', s.id, 'job_id', s.job_id, 'job_name', "      \
	"(SELECT j.name FROM automation.jobs j WHERE j.id = s.job_id), "       \
	"'description', s.description, 'params', s.params, "                   \
	"'has_secret_params', s.secret_params IS NOT NULL, "                   \
	"'targets', s.targets, 'cron', s.cron, 'time_zone', s.time_zone, "     \
	"'enabled', s.enabled, 'start_at', " SCHED_TS("s.start_at") ", "       \
	"'end_at', " SCHED_TS("s.end_at") ", "                                 \
	"'overlap_policy', s.overlap_policy, "                                 \
	"'misfire_policy', s.misfire_policy, "                                 \
	"'next_fire_at', " SCHED_TS("s.next_fire_at") ", "                     \
	"'last_fire_at', " SCHED_TS("s.last_fire_at") ", "                     \
	"'last_run_id', s.last_run_id, 'pending_fires', "                      \
	"cardinality(s.pending_fires), 'fired_count', s.fired_count, "         \
	"'skipped_count', s.skipped_count, 'version', s.version, "             \
	"'created_by', s.created_by, 'created_by_name', s.created_by_name, "   \
	"'updated_by', s.updated_by, 'updated_by_name', s.updated_by_name, "   \
	"'created_at', " SCHED_TS("s.created_at") ", "                         \
	"'updated_at', " SCHED_TS("s.updated_at") ")::text"

#define SCHED_COLS                                                             \
	"s.id, s.version, " SCHED_JSON ", s.job_id, s.description, "           \
	"s.params::text, s.targets::text, s.cron, s.time_zone, s.enabled, "    \
	SCHED_TS("s.start_at") ", " SCHED_TS("s.end_at") ", "                  \
	"floor(extract(epoch FROM s.start_at))::bigint, "                      \
	"floor(extract(epoch FROM s.end_at))::bigint, s.overlap_policy, "      \
	"s.misfire_policy, s.secret_params, s.secret_binding, "                \
	"s.key_version, " SCHED_TS("s.next_fire_at") ", "                      \
	"floor(extract(epoch FROM now()))::bigint"

const struct db_stmt sched_sql_get = {
	"sc_get", "SELECT " SCHED_COLS " FROM automation.schedules s "
		  "WHERE s.id = $1::uuid",
	1};

const struct db_stmt sched_sql_lock = {
	"sc_lock", "SELECT " SCHED_COLS " FROM automation.schedules s "
		   "WHERE s.id = $1::uuid FOR UPDATE OF s",
	1};

/* $1 job, $2 enabled, $3 limit, $4 offset */
#define SCHED_WHERE                                                            \
	"WHERE ($1::uuid IS NULL OR s.job_id = $1::uuid) AND "                 \
	"($2::boolean IS NULL OR s.enabled = $2::boolean) "

const struct db_stmt sched_sql_list = {
	"sc_list",
	"SELECT " SCHED_COLS " FROM automation.schedules s " SCHED_WHERE
	"ORDER BY s.created_at DESC, s.id LIMIT $3::int OFFSET $4::bigint",
	4};

const struct db_stmt sched_sql_count = {
	"sc_count",
	"SELECT count(*) FROM automation.schedules s " SCHED_WHERE, 2};

/* $1 id, $2 job, $3 description, $4 params, $5 secret, $6 binding,
 * $7 key version, $8 targets, $9 cron, $10 zone, $11 enabled, $12 start,
 * $13 end, $14 overlap, $15 misfire, $16 next (epoch), $17 by,
 * $18 by name */
const struct db_stmt sched_sql_insert = {
	"sc_insert",
	"WITH n AS (INSERT INTO automation.schedules (id, job_id, description, "
	"params, secret_params, secret_binding, key_version, targets, cron, "
	"time_zone, enabled, start_at, end_at, overlap_policy, "
	"misfire_policy, next_fire_at, created_by, created_by_name, "
	"updated_by, updated_by_name) VALUES ($1::uuid, $2::uuid, $3, "
	"$4::jsonb, $5::bytea, $6, $7::int, $8::jsonb, $9, $10, "
	"$11::boolean, $12::timestamptz, $13::timestamptz, $14, $15, "
	"to_timestamp($16::bigint), $17::uuid, $18, $17::uuid, $18) "
	"RETURNING *) SELECT " SCHED_COLS " FROM n s",
	18};

/* $1 id, then as insert from $3 (no job); version moves on */
const struct db_stmt sched_sql_update = {
	"sc_update",
	"WITH n AS (UPDATE automation.schedules SET description = $3, "
	"params = $4::jsonb, secret_params = $5::bytea, secret_binding = $6, "
	"key_version = $7::int, targets = $8::jsonb, cron = $9, "
	"time_zone = $10, enabled = $11::boolean, "
	"start_at = $12::timestamptz, end_at = $13::timestamptz, "
	"overlap_policy = $14, misfire_policy = $15, "
	"next_fire_at = CASE WHEN $2::boolean THEN to_timestamp($16::bigint) "
	"ELSE next_fire_at END, "
	"pending_fires = CASE WHEN $2::boolean THEN '{}' ELSE pending_fires "
	"END, wake_at = NULL, "
	"updated_by = $17::uuid, updated_by_name = $18, updated_at = now(), "
	"version = version + 1 WHERE id = $1::uuid RETURNING *) "
	"SELECT " SCHED_COLS " FROM n s",
	18};

const struct db_stmt sched_sql_delete = {
	"sc_delete", "DELETE FROM automation.schedules WHERE id = $1::uuid", 1};

/* The job's current definition, if the job exists. */
const struct db_stmt sched_sql_job = {
	"sc_job",
	"SELECT j.id, v.definition::text FROM automation.jobs j JOIN "
	"automation.job_versions v ON v.job_id = j.id AND "
	"v.version = j.current_version WHERE j.id = $1::uuid AND "
	"j.deleted_at IS NULL",
	1};

/* The database's clock and two timestamps, as epoch seconds. */
const struct db_stmt sched_sql_times = {
	"sc_times",
	"SELECT floor(extract(epoch FROM now()))::bigint, "
	"floor(extract(epoch FROM $1::timestamptz))::bigint, "
	"floor(extract(epoch FROM $2::timestamptz))::bigint",
	2};

const struct db_stmt sched_sql_new_id = {
	"sc_new_id", "SELECT gen_random_uuid()", 0};
