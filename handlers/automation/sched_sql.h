/* The SQL of schedules (automation.schedules), parameterized ($n only),
 * and the columns schedules.c reads. */
#ifndef OC_AUTOMATION_SCHED_SQL_H
#define OC_AUTOMATION_SCHED_SQL_H

#include "db.h"

/* Columns of a schedule row as the statements below return them. */
enum sched_sql_col {
	SCHED_SQL_ID,		/* uuid */
	SCHED_SQL_VERSION,	/* the ETag */
	SCHED_SQL_JSON,		/* the API representation, no secrets */
	SCHED_SQL_JOB_ID,
	SCHED_SQL_DESCRIPTION,
	SCHED_SQL_PARAMS,	/* jsonb text */
	SCHED_SQL_TARGETS,	/* jsonb text or NULL */
	SCHED_SQL_CRON,
	SCHED_SQL_TIME_ZONE,
	SCHED_SQL_ENABLED,	/* t/f */
	SCHED_SQL_START,	/* RFC 3339 text or NULL */
	SCHED_SQL_END,
	SCHED_SQL_START_EPOCH,	/* seconds or NULL */
	SCHED_SQL_END_EPOCH,
	SCHED_SQL_OVERLAP,
	SCHED_SQL_MISFIRE,
	SCHED_SQL_SECRET,	/* bytea (text form) or NULL */
	SCHED_SQL_BINDING,
	SCHED_SQL_KEY_VERSION,
	SCHED_SQL_NEXT,		/* next_fire_at, RFC 3339 or NULL */
	SCHED_SQL_NOW_EPOCH,	/* the database's clock, seconds */
	SCHED_SQL_NCOLS
};

extern const struct db_stmt sched_sql_get;
extern const struct db_stmt sched_sql_lock;
extern const struct db_stmt sched_sql_list;
extern const struct db_stmt sched_sql_count;
extern const struct db_stmt sched_sql_insert;
extern const struct db_stmt sched_sql_update;
extern const struct db_stmt sched_sql_delete;
extern const struct db_stmt sched_sql_job;
extern const struct db_stmt sched_sql_times;
extern const struct db_stmt sched_sql_new_id;

#endif
