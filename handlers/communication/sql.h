/* Every SQL statement of the communication domain, parameterized ($n
 * only). Objects come back as one JSON text column built in SQL. */
#ifndef OC_COMMUNICATION_SQL_H
#define OC_COMMUNICATION_SQL_H

#include "db.h"

/* the audit trail, newest first: column 0 an event as JSON */
extern const struct db_stmt sql_audit_list, sql_audit_count;

#endif
