/* Authentication of a request and the role check declared on its route. */
#ifndef OC_AUTH_H
#define OC_AUTH_H

struct req;

/* Loads the verification key. 0 or -1. */
int auth_init(void);
/* Reads Authorization: Bearer <access token | API key> and fills r->who.
 * An access token's session must still be active and its user enabled;
 * an API key must be unexpired, unrevoked and its owner enabled, and then
 * has min(key role, owner role). Then applies r->route's role and flags:
 * 401 when unauthenticated, 403 when the role is too low. */
int auth_or_problem(struct req *r);
/* API keys look like "oc_<id>_<secret>"; this prefix tells them apart. */
#define AUTH_API_KEY_PREFIX "oc_"

#endif
