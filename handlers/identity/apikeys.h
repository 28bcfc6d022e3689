/* API keys: create (the key is shown once), list and revoke. */
#ifndef OC_APIKEYS_H
#define OC_APIKEYS_H

#include "valid.h"

struct req;

extern const struct field apikeys_create_fields[];
extern const struct field apikeys_list_query[];

int apikeys_create(struct req *r);
int apikeys_list(struct req *r);
int apikeys_delete(struct req *r);

#endif
