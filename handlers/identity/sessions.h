/* Sessions: list one's own (admins: everyone's) and revoke them. */
#ifndef OC_SESSIONS_H
#define OC_SESSIONS_H

#include "valid.h"

struct req;

extern const struct field sessions_list_query[];

int sessions_list(struct req *r);
int sessions_delete(struct req *r);

#endif
