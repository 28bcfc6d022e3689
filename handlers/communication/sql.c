/* Every SQL statement of the communication domain, parameterized ($n only). */
#include "sql.h"

/* The SQL text is laid out by hand, so the formatter leaves it alone. */
/* clang-format off */

/* A timestamptz as RFC 3339 UTC text with milliseconds. */
#define TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* ---- the audit trail (alias a) ---- */

#define AUDIT_JSON \
	"jsonb_build_object('id', a.id, 'at', " TS("a.at") ", " \
	"'actor_id', a.actor_id, 'actor_name', a.actor_name, " \
	"'via_api_key', a.via_api_key, 'action', a.action, " \
	"'entity_type', a.entity_type, 'entity_id', a.entity_id, " \
	"'before', a.before, 'after', a.after, " \
	"'source_addr', a.source_addr, 'request_id', a.request_id)"

/* $1 actor id, $2 actor name, $3 action (exact), $4 action prefix,
 * $5 entity type, $6 entity id, $7 since, $8 until, $9 q (action, actor
 * name, entity type or id contains, any case) */
#define AUDIT_FILTER \
	"WHERE ($1::uuid IS NULL OR a.actor_id = $1::uuid) " \
	"AND ($2::text IS NULL OR a.actor_name = $2) " \
	"AND ($3::text IS NULL OR a.action = $3) " \
	"AND ($4::text IS NULL OR starts_with(a.action, $4)) " \
	"AND ($5::text IS NULL OR a.entity_type = $5) " \
	"AND ($6::text IS NULL OR a.entity_id = $6) " \
	"AND ($7::timestamptz IS NULL OR a.at >= $7::timestamptz) " \
	"AND ($8::timestamptz IS NULL OR a.at < $8::timestamptz) " \
	"AND ($9::text IS NULL " \
	"OR strpos(lower(a.action), lower($9)) > 0 " \
	"OR strpos(lower(a.actor_name), lower($9)) > 0 " \
	"OR strpos(lower(a.entity_type), lower($9)) > 0 " \
	"OR strpos(lower(coalesce(a.entity_id, '')), lower($9)) > 0) "

/* the filter, $10 limit, $11 offset */
const struct db_stmt sql_audit_list = {
	"co_audit_list",
	"SELECT " AUDIT_JSON "::text FROM core.audit_events a " AUDIT_FILTER
	"ORDER BY a.at DESC, a.id DESC LIMIT $10::integer OFFSET $11::bigint",
	11};

const struct db_stmt sql_audit_count = {
	"co_audit_count",
	"SELECT count(*) FROM core.audit_events a " AUDIT_FILTER, 9};
