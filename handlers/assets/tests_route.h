/* Connection test requests: queue core.tasks rows of kind target.test for
 * the worker, and show a test task's state. */
#ifndef OC_ASSETS_TESTS_ROUTE_H
#define OC_ASSETS_TESTS_ROUTE_H

#include "valid.h"

struct req;

extern const struct field tests_route_many_fields[];

/* POST /api/v1/targets/{id}/test -> 202 {task_id, target_id, state} */
int tests_route_one(struct req *r);
/* POST /api/v1/targets/test {target_ids | group_id | filter} -> 202
 * {task_ids, tasks: [{task_id, target_id, target_name}], skipped_disabled}
 */
int tests_route_many(struct req *r);
/* GET /api/v1/targets/tests/{task_id} -> the task */
int tests_route_get(struct req *r);

#endif
