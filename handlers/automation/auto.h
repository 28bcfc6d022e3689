/* Small helpers shared by the automation handlers: JSON columns and
 * replies. */
#ifndef OC_AUTOMATION_AUTO_H
#define OC_AUTOMATION_AUTO_H

#include <libpq-fe.h>
#include <json-c/json.h>

struct req;

/* Column col of row parsed as JSON (a new reference; null when NULL). */
json_object *auto_json(const PGresult *res, int row, int col);
/* JSON text of o (arena memory). */
const char *auto_text(struct req *r, json_object *o);
/* Sends bytes given as hex (a bytea column encoded in SQL) as the body
 * with the Content-Type and an attachment Content-Disposition for name.
 * Returns 200, or a 500 problem when hex is malformed. */
int auto_reply_bytes(struct req *r, const char *hex, const char *name,
		     const char *type);

#endif
