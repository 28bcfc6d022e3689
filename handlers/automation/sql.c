/* Every SQL statement of the automation domain, parameterized ($n only). */
#include "sql.h"

/* The SQL text is laid out by hand, so the formatter leaves it alone. */
/* clang-format off */

/* A timestamptz as RFC 3339 UTC text with milliseconds (or null). */
#define TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* Milliseconds between two timestamptz (null while running). */
#define MS(a, b) \
	"(extract(epoch FROM (" b " - " a ")) * 1000)::bigint"

/* ---- jobs (alias j; v its current version) ---- */

#define JOB_JSON \
	"jsonb_build_object('id', j.id, 'name', j.name, " \
	"'description', j.description, " \
	"'current_version', j.current_version, " \
	"'created_by', j.created_by, 'created_by_name', j.created_by_name, " \
	"'updated_by', j.updated_by, 'updated_by_name', j.updated_by_name, " \
	"'created_at', " TS("j.created_at") ", " \
	"'updated_at', " TS("j.updated_at") ")"
#define JOB_FULL \
	"(" JOB_JSON " || jsonb_build_object('definition', v.definition))"
#define JOB_FROM \
	"FROM automation.jobs j JOIN automation.job_versions v " \
	"ON v.job_id = j.id AND v.version = j.current_version "

/* $1 q (name or description contains, any case) */
#define JOB_FILTER \
	"WHERE j.deleted_at IS NULL AND ($1::text IS NULL " \
	"OR strpos(lower(j.name), lower($1)) > 0 " \
	"OR strpos(lower(j.description), lower($1)) > 0) "

const struct db_stmt sql_job_list = {
	"au_job_list",
	"SELECT (" JOB_JSON " || jsonb_build_object("
	"'step_count', jsonb_array_length(v.definition->'steps'), "
	"'parameters', v.definition->'parameters', "
	"'last_run', (SELECT jsonb_build_object('id', r.id, 'state', r.state, "
	"'created_at', " TS("r.created_at") ") FROM automation.runs r "
	"WHERE r.job_id = j.id ORDER BY r.created_at DESC LIMIT 1)))::text, "
	"j.current_version " JOB_FROM JOB_FILTER
	"ORDER BY j.name LIMIT $2::integer OFFSET $3::bigint",
	3};

const struct db_stmt sql_job_count = {
	"au_job_count",
	"SELECT count(*) FROM automation.jobs j " JOB_FILTER, 1};

const struct db_stmt sql_job_get = {
	"au_job_get",
	"SELECT " JOB_FULL "::text, j.current_version " JOB_FROM
	"WHERE j.id = $1::uuid AND j.deleted_at IS NULL",
	1};

const struct db_stmt sql_job_lock = {
	"au_job_lock",
	"SELECT " JOB_FULL "::text, j.current_version " JOB_FROM
	"WHERE j.id = $1::uuid AND j.deleted_at IS NULL FOR UPDATE OF j",
	1};

/* $1 id, $2 name, $3 description, $4 definition, $5 by, $6 by name */
const struct db_stmt sql_job_insert = {
	"au_job_insert",
	"WITH j AS (INSERT INTO automation.jobs (id, name, description, "
	"created_by, created_by_name, updated_by, updated_by_name) "
	"VALUES ($1::uuid, $2, $3, $5::uuid, $6, $5::uuid, $6) RETURNING *), "
	"v AS (INSERT INTO automation.job_versions (job_id, version, "
	"definition, created_by, created_by_name) SELECT j.id, 1, $4::jsonb, "
	"$5::uuid, $6 FROM j RETURNING *) "
	"SELECT " JOB_FULL "::text, j.current_version FROM j, v",
	6};

/* $1 id, $2 name, $3 description, $4 definition, $5 by, $6 by name */
const struct db_stmt sql_job_update = {
	"au_job_update",
	"WITH j AS (UPDATE automation.jobs SET name = $2, description = $3, "
	"current_version = current_version + 1, updated_by = $5::uuid, "
	"updated_by_name = $6, updated_at = now() "
	"WHERE id = $1::uuid AND deleted_at IS NULL RETURNING *), "
	"v AS (INSERT INTO automation.job_versions (job_id, version, "
	"definition, created_by, created_by_name) SELECT j.id, "
	"j.current_version, $4::jsonb, $5::uuid, $6 FROM j RETURNING *) "
	"SELECT " JOB_FULL "::text, j.current_version FROM j, v",
	6};

/* $1 id, $2 by, $3 by name */
const struct db_stmt sql_job_delete = {
	"au_job_delete",
	"UPDATE automation.jobs SET deleted_at = now(), updated_by = $2::uuid, "
	"updated_by_name = $3, updated_at = now() "
	"WHERE id = $1::uuid AND deleted_at IS NULL",
	3};

const struct db_stmt sql_job_active_runs = {
	"au_job_active_runs",
	"SELECT count(*) FROM automation.runs WHERE job_id = $1::uuid "
	"AND state IN ('queued', 'running')",
	1};

#define VERSION_JSON \
	"jsonb_build_object('job_id', v.job_id, 'version', v.version, " \
	"'created_by', v.created_by, 'created_by_name', v.created_by_name, " \
	"'created_at', " TS("v.created_at") ")"

/* $1 job, $2 limit, $3 offset */
const struct db_stmt sql_job_version_list = {
	"au_job_version_list",
	"SELECT " VERSION_JSON "::text FROM automation.job_versions v "
	"WHERE v.job_id = $1::uuid ORDER BY v.version DESC "
	"LIMIT $2::integer OFFSET $3::bigint",
	3};

const struct db_stmt sql_job_version_count = {
	"au_job_version_count",
	"SELECT count(*) FROM automation.job_versions WHERE job_id = $1::uuid",
	1};

/* $1 job, $2 version */
const struct db_stmt sql_job_version_get = {
	"au_job_version_get",
	"SELECT (" VERSION_JSON " || jsonb_build_object('definition', "
	"v.definition))::text FROM automation.job_versions v "
	"JOIN automation.jobs j ON j.id = v.job_id AND j.deleted_at IS NULL "
	"WHERE v.job_id = $1::uuid AND v.version = $2::integer",
	2};

/* $1 ids (JSON array of uuid strings) -> those that do not exist */
const struct db_stmt sql_targets_missing = {
	"au_targets_missing",
	"SELECT x FROM jsonb_array_elements_text($1::jsonb) x "
	"WHERE NOT EXISTS (SELECT 1 FROM assets.targets t "
	"WHERE t.id = x::uuid)",
	1};

const struct db_stmt sql_groups_missing = {
	"au_groups_missing",
	"SELECT x FROM jsonb_array_elements_text($1::jsonb) x "
	"WHERE NOT EXISTS (SELECT 1 FROM assets.groups g "
	"WHERE g.id = x::uuid)",
	1};

/* ---- job files (alias f) ---- */

#define FILE_JSON \
	"jsonb_build_object('id', f.id, 'job_id', f.job_id, 'name', f.name, " \
	"'size', f.size, 'sha256', f.sha256, 'created_by', f.created_by, " \
	"'created_by_name', f.created_by_name, " \
	"'created_at', " TS("f.created_at") ")"

/* $1 job, $2 name, $3 content as hex, $4 by, $5 by name */
const struct db_stmt sql_file_insert = {
	"au_file_insert",
	"WITH f AS (INSERT INTO automation.job_files (job_id, name, size, "
	"sha256, content, created_by, created_by_name) "
	"SELECT $1::uuid, $2, length(c), encode(sha256(c), 'hex'), c, "
	"$4::uuid, $5 FROM (SELECT decode($3, 'hex') AS c) x RETURNING *) "
	"SELECT " FILE_JSON "::text FROM f",
	5};

const struct db_stmt sql_file_list = {
	"au_file_list",
	"SELECT " FILE_JSON "::text FROM automation.job_files f "
	"WHERE f.job_id = $1::uuid ORDER BY f.name",
	1};

/* $1 job, $2 file */
const struct db_stmt sql_file_get = {
	"au_file_get",
	"SELECT " FILE_JSON "::text FROM automation.job_files f "
	"WHERE f.job_id = $1::uuid AND f.id = $2::uuid",
	2};

const struct db_stmt sql_file_content = {
	"au_file_content",
	"SELECT f.name, encode(f.content, 'hex') FROM automation.job_files f "
	"WHERE f.job_id = $1::uuid AND f.id = $2::uuid",
	2};

const struct db_stmt sql_file_delete = {
	"au_file_delete",
	"DELETE FROM automation.job_files f "
	"WHERE f.job_id = $1::uuid AND f.id = $2::uuid "
	"RETURNING " FILE_JSON "::text",
	2};

/* ---- runs (alias r) ---- */

/* The names of the secret parameters of the run's job version, when a
 * secret was given (the values are sealed and never shown). */
#define RUN_SECRET_NAMES \
	"CASE WHEN r.secret_params IS NULL THEN '[]'::jsonb ELSE " \
	"coalesce((SELECT jsonb_agg(p->'name') FROM automation.job_versions " \
	"jv, jsonb_array_elements(coalesce(jv.definition->'parameters', " \
	"'[]')) p WHERE jv.job_id = r.job_id AND jv.version = r.job_version " \
	"AND p->>'type' = 'secret'), '[]'::jsonb) END"

#define RUN_JSON \
	"(jsonb_build_object('id', r.id, 'job_id', r.job_id, " \
	"'job_version', r.job_version, 'job_name', r.job_name, " \
	"'state', r.state, 'params', r.params, " \
	"'secret_params', " RUN_SECRET_NAMES ", " \
	"'target_selection', r.targets, " \
	"'trigger', r.trigger, 'created_by', r.created_by, " \
	"'created_by_name', r.created_by_name, 'schedule_id', r.schedule_id, " \
	"'fire_time', " TS("r.fire_time") ", 'retry_of', r.retry_of, " \
	"'attempts', r.attempts, 'max_attempts', r.max_attempts, " \
	"'cancel_requested', r.cancel_requested, 'error', r.error) || " \
	"jsonb_build_object('targets_total', r.targets_total, " \
	"'targets_succeeded', r.targets_succeeded, " \
	"'targets_failed', r.targets_failed, " \
	"'created_at', " TS("r.created_at") ", " \
	"'started_at', " TS("r.started_at") ", " \
	"'finished_at', " TS("r.finished_at") ", " \
	"'duration_ms', " MS("r.started_at", "r.finished_at") "))"

#define STEP_JSON \
	"(jsonb_build_object('id', s.id, 'step_id', s.step_id, " \
	"'step_type', s.step_type, 'attempt', s.attempt, 'state', s.state, " \
	"'exit_code', s.exit_code, 'exit_signal', s.exit_signal, " \
	"'stdout', s.stdout, 'stderr', s.stderr, " \
	"'stdout_truncated', s.stdout_truncated, " \
	"'stderr_truncated', s.stderr_truncated, 'outputs', s.outputs, " \
	"'error', s.error) || jsonb_build_object(" \
	"'started_at', " TS("s.started_at") ", " \
	"'finished_at', " TS("s.finished_at") ", " \
	"'duration_ms', " MS("s.started_at", "s.finished_at") "))"

#define TARGET_JSON \
	"jsonb_build_object('id', t.id, 'target_id', t.target_id, " \
	"'target_name', t.target_name, 'host', t.host, 'state', t.state, " \
	"'error', t.error, 'started_at', " TS("t.started_at") ", " \
	"'finished_at', " TS("t.finished_at") ", " \
	"'duration_ms', " MS("t.started_at", "t.finished_at") ", " \
	"'steps', coalesce((SELECT jsonb_agg(" STEP_JSON " ORDER BY s.id) " \
	"FROM automation.run_steps s WHERE s.run_target_id = t.id), " \
	"'[]'::jsonb))"

#define RUN_DETAIL \
	"(" RUN_JSON " || jsonb_build_object(" \
	"'targets', coalesce((SELECT jsonb_agg(" TARGET_JSON \
	" ORDER BY t.target_name, t.id) FROM automation.run_targets t " \
	"WHERE t.run_id = r.id), '[]'::jsonb), " \
	"'files', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id, " \
	"'run_step_id', f.run_step_id, 'path', f.path, 'size', f.size, " \
	"'sha256', f.sha256, 'created_at', " TS("f.created_at") ") " \
	"ORDER BY f.created_at) FROM automation.run_files f " \
	"WHERE f.run_id = r.id), '[]'::jsonb)))"

/* $1 id, $2 job, $3 params, $4 sealed secrets (hex), $5 binding,
 * $6 key version, $7 targets, $8 actor, $9 actor name */
const struct db_stmt sql_run_create = {
	"au_run_create",
	"SELECT automation.run_create($1::uuid, $2::uuid, $3::jsonb, "
	"decode($4, 'hex'), $5, $6::integer, $7::jsonb, 'api', $8::uuid, $9, "
	"NULL, NULL, NULL)",
	9};

const struct db_stmt sql_run_get = {
	"au_run_get",
	"SELECT " RUN_JSON "::text, r.state FROM automation.runs r "
	"WHERE r.id = $1::uuid",
	1};

const struct db_stmt sql_run_detail = {
	"au_run_detail",
	"SELECT " RUN_DETAIL "::text FROM automation.runs r "
	"WHERE r.id = $1::uuid",
	1};

const struct db_stmt sql_run_lock = {
	"au_run_lock",
	"SELECT r.state, r.job_id, " RUN_JSON "::text, "
	"(SELECT jsonb_agg(t.target_id) FILTER (WHERE t.target_id IS NOT NULL) "
	"FROM automation.run_targets t WHERE t.run_id = r.id "
	"AND t.state IN ('failed', 'timed_out', 'canceled'))::text, "
	"(SELECT count(*) FROM automation.run_targets t WHERE t.run_id = r.id "
	"AND t.state IN ('failed', 'timed_out', 'canceled')) "
	"FROM automation.runs r WHERE r.id = $1::uuid FOR UPDATE OF r",
	1};

/* $1 job, $2 state, $3 created_by, $4 schedule, $5 since, $6 until */
#define RUN_FILTER \
	"WHERE ($1::uuid IS NULL OR r.job_id = $1::uuid) " \
	"AND ($2::text IS NULL OR r.state = $2) " \
	"AND ($3::uuid IS NULL OR r.created_by = $3::uuid) " \
	"AND ($4::uuid IS NULL OR r.schedule_id = $4::uuid) " \
	"AND ($5::timestamptz IS NULL OR r.created_at >= $5::timestamptz) " \
	"AND ($6::timestamptz IS NULL OR r.created_at < $6::timestamptz) "

const struct db_stmt sql_run_list = {
	"au_run_list",
	"SELECT " RUN_JSON "::text FROM automation.runs r " RUN_FILTER
	"ORDER BY r.created_at DESC, r.id LIMIT $7::integer OFFSET $8::bigint",
	8};

const struct db_stmt sql_run_count = {
	"au_run_count",
	"SELECT count(*) FROM automation.runs r " RUN_FILTER, 6};

/* $1 run, $2 after (offset), $3 limit */
const struct db_stmt sql_run_log = {
	"au_run_log",
	"SELECT l.id, jsonb_build_object('offset', l.id, "
	"'run_target_id', l.run_target_id, 'step_id', l.step_id, "
	"'stream', l.stream, 'data', l.data, 'at', " TS("l.at") ")::text "
	"FROM automation.run_logs l WHERE l.run_id = $1::uuid "
	"AND l.id > $2::bigint ORDER BY l.id LIMIT $3::integer",
	3};

/* $1 run: a queued run is canceled at once, a running one is flagged for
 * the worker. */
const struct db_stmt sql_run_cancel = {
	"au_run_cancel",
	"WITH r AS (UPDATE automation.runs SET cancel_requested = true, "
	"state = CASE WHEN state = 'queued' THEN 'canceled' ELSE state END, "
	"finished_at = CASE WHEN state = 'queued' THEN now() "
	"ELSE finished_at END, "
	"error = CASE WHEN state = 'queued' THEN 'canceled before it started' "
	"ELSE error END "
	"WHERE id = $1::uuid AND state IN ('queued', 'running') RETURNING *) "
	"SELECT " RUN_JSON "::text FROM r",
	1};

/* $1 old run, $2 new id, $3 targets selection, $4 actor, $5 actor name:
 * the same parameters, the sealed secrets unchanged (with their binding) */
const struct db_stmt sql_run_retry = {
	"au_run_retry",
	"SELECT automation.run_create($2::uuid, o.job_id, o.params, "
	"o.secret_params, o.secret_binding, o.key_version, $3::jsonb, "
	"'retry', $4::uuid, $5, NULL, NULL, o.id) "
	"FROM automation.runs o WHERE o.id = $1::uuid",
	5};

/* $1 run, $2 file -> path, content as hex */
const struct db_stmt sql_run_file = {
	"au_run_file",
	"SELECT f.path, encode(f.content, 'hex') FROM automation.run_files f "
	"WHERE f.run_id = $1::uuid AND f.id = $2::uuid",
	2};
