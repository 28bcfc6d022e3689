/* The audit trail: one row per mutation, in the mutation's transaction. */
#include <json-c/json.h>

#include "audit.h"
#include "db.h"
#include "req.h"

static const struct db_stmt audit_insert = {
	"audit_insert",
	"INSERT INTO core.audit_events (actor_id, actor_name, via_api_key, "
	"action, entity_type, entity_id, before, after, source_addr, "
	"request_id) VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, $7::jsonb, "
	"$8::jsonb, $9, $10)",
	10};

int
audit_or_problem(struct req *r, const char *action, const char *entity_type,
		 const char *entity_id, json_object *before, json_object *after)
{
	const int flags = JSON_C_TO_STRING_PLAIN;
	const char *actor_id = r->who.user_id[0] ? r->who.user_id : NULL;
	const char *actor = r->who.username[0] ? r->who.username : "system";
	const char *key = r->who.api_key_id[0] ? r->who.api_key_id : NULL;
	const char *b = before != NULL
				? json_object_to_json_string_ext(before, flags)
				: NULL;
	const char *a = after != NULL
				? json_object_to_json_string_ext(after, flags)
				: NULL;

	if (db_query_or_problem(r, &audit_insert,
				DB_PARAMS(actor_id, actor, key, action,
					  entity_type, entity_id, b, a,
					  r->remote_addr, r->req_id)) == NULL)
		return -1;
	return 0;
}
