/* Runs: start a job (Idempotency-Key), list, read with targets and steps,
 * the log, cancel, retry the failed targets, downloaded files. */
#ifndef OC_AUTOMATION_RUNS_H
#define OC_AUTOMATION_RUNS_H

#include "valid.h"

struct req;

extern const struct field runs_create_fields[];
extern const struct field runs_list_query[];
extern const struct field runs_log_query[];

int runs_create(struct req *r);
int runs_list(struct req *r);
int runs_get(struct req *r);
int runs_log(struct req *r);
int runs_cancel(struct req *r);
int runs_retry(struct req *r);
int runs_file(struct req *r);

#endif
