/* Credentials: write-only secrets sealed for the worker; the API shows
 * metadata only (viewers: id, name and type). */
#ifndef OC_ASSETS_CREDENTIALS_H
#define OC_ASSETS_CREDENTIALS_H

#include "valid.h"

struct req;

extern const struct field credentials_list_query[];
extern const struct field credentials_create_fields[];
extern const struct field credentials_patch_fields[];
extern const struct field credentials_delete_query[];

int credentials_list(struct req *r);
int credentials_create(struct req *r);
int credentials_get(struct req *r);
int credentials_patch(struct req *r);
int credentials_delete(struct req *r);

#endif
