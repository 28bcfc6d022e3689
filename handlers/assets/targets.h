/* Targets: list, create, read, update, delete, and host key decisions. */
#ifndef OC_ASSETS_TARGETS_H
#define OC_ASSETS_TARGETS_H

#include "valid.h"

struct req;

extern const struct field targets_list_query[];
extern const struct field targets_hostkey_fields[];

int targets_list(struct req *r);
int targets_create(struct req *r);
int targets_get(struct req *r);
int targets_patch(struct req *r);
int targets_delete(struct req *r);
int targets_hostkey_accept(struct req *r);
int targets_hostkey_forget(struct req *r);

#endif
