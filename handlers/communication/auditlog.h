/* The audit trail, read back: GET /api/v1/audit (admins), filtered and
 * paged, newest first. Reading it is not a mutation and is not audited. */
#ifndef OC_COMMUNICATION_AUDITLOG_H
#define OC_COMMUNICATION_AUDITLOG_H

#include "valid.h"

struct req;

extern const struct field auditlog_list_query[];

int auditlog_list(struct req *r);

#endif
