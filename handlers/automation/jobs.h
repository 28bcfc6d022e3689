/* Jobs: CRUD with versions (every save is a new version; ETag = the
 * current version, If-Match required on PUT and DELETE). */
#ifndef OC_AUTOMATION_JOBS_H
#define OC_AUTOMATION_JOBS_H

#include "valid.h"

struct req;

extern const struct field jobs_list_query[];
extern const struct field jobs_versions_query[];

int jobs_list(struct req *r);
int jobs_create(struct req *r);
int jobs_get(struct req *r);
int jobs_put(struct req *r);
int jobs_delete(struct req *r);
int jobs_versions(struct req *r);
int jobs_version_get(struct req *r);

#endif
