/* The audit trail: one row per mutation, in the mutation's transaction. */
#ifndef OC_AUDIT_H
#define OC_AUDIT_H

#include <json-c/json.h>

struct req;

/* Inserts into audit.events: actor (r->who), action ("user.create"),
 * entity type and id, before and after (NULL allowed; must not contain
 * secrets), source address and request id. Call inside the transaction
 * of the change. -1 with a problem set on failure. */
int audit_or_problem(struct req *r, const char *action,
		     const char *entity_type, const char *entity_id,
		     json_object *before, json_object *after);

#endif
