/* Groups of targets: static (listed members) or dynamic (a filter on tags,
 * os and a name pattern, evaluated when used). */
#ifndef OC_ASSETS_GROUPS_H
#define OC_ASSETS_GROUPS_H

#include "valid.h"

struct req;

extern const struct field groups_list_query[];
extern const struct field groups_create_fields[];
extern const struct field groups_patch_fields[];
extern const struct field groups_members_fields[];
extern const struct field groups_members_query[];
extern const struct field groups_preview_fields[];

/* Field checks shared with connection tests and imports: an array of
 * uuids; a dynamic group filter object. */
const char *groups_check_ids(struct req *r, json_object *v);
const char *groups_check_filter(struct req *r, json_object *v);

int groups_list(struct req *r);
int groups_create(struct req *r);
int groups_get(struct req *r);
int groups_patch(struct req *r);
int groups_delete(struct req *r);
int groups_members_list(struct req *r);
int groups_members_change(struct req *r);
/* POST /groups/preview: the targets a dynamic group filter matches now
 * (the first 50 by name, and how many); writes nothing. */
int groups_preview(struct req *r);

#endif
