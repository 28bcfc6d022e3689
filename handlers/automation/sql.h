/* Every SQL statement of the automation domain, parameterized ($n only).
 * Objects come back as one JSON text column built in SQL. */
#ifndef OC_AUTOMATION_SQL_H
#define OC_AUTOMATION_SQL_H

#include "db.h"

/* jobs: column 0 the job as JSON, column 1 its current version */
extern const struct db_stmt sql_job_list, sql_job_count, sql_job_get,
    sql_job_lock, sql_job_insert, sql_job_update, sql_job_delete,
    sql_job_active_runs, sql_job_version_list, sql_job_version_count,
    sql_job_version_get, sql_targets_missing, sql_groups_missing;
/* job files */
extern const struct db_stmt sql_file_insert, sql_file_list, sql_file_get,
    sql_file_content, sql_file_delete;
/* runs */
extern const struct db_stmt sql_run_create, sql_run_get, sql_run_detail,
    sql_run_list, sql_run_count, sql_run_log, sql_run_cancel, sql_run_lock,
    sql_run_retry, sql_run_file;

#endif
