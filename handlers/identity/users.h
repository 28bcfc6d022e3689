/* User administration: list, create, read, update, delete (admins). */
#ifndef OC_USERS_H
#define OC_USERS_H

#include "valid.h"

struct req;

extern const struct field users_list_query[];
extern const struct field users_create_fields[];
extern const struct field users_patch_fields[];

int users_list(struct req *r);
int users_create(struct req *r);
int users_get(struct req *r);
int users_patch(struct req *r);
int users_delete(struct req *r);

#endif
