/* The caller's own account: read it, edit it, change the password. */
#ifndef OC_ME_H
#define OC_ME_H

#include "valid.h"

struct req;

extern const struct field me_patch_fields[];
extern const struct field me_password_fields[];

int me_get(struct req *r);
int me_patch(struct req *r);
int me_password(struct req *r);

#endif
