/* Schedules: a job, its parameters and a cron expression in an IANA time
 * zone, fired by the workers; CRUD and previews of fire times. */
#ifndef OC_AUTOMATION_SCHEDULES_H
#define OC_AUTOMATION_SCHEDULES_H

#include "valid.h"

struct req;

#define SCHEDULES_PREVIEW_MAX 100

extern const struct field schedules_list_query[];
extern const struct field schedules_create_fields[];
extern const struct field schedules_patch_fields[];
extern const struct field schedules_preview_fields[];
extern const struct field schedules_preview_query[];

int schedules_list(struct req *r);
int schedules_create(struct req *r);
int schedules_get(struct req *r);
int schedules_patch(struct req *r);
int schedules_delete(struct req *r);
/* GET /api/v1/schedules/{id}/preview?count=N */
int schedules_preview_saved(struct req *r);
/* POST /api/v1/schedules/preview {cron, time_zone, count?, start_at?,
 * end_at?} */
int schedules_preview(struct req *r);

#endif
