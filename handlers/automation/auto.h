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

/* 1 when s is one of the NULL-terminated list. */
int auto_in(const char *const *list, const char *s);
/* Parameter names ^[A-Za-z_][A-Za-z0-9_]{0,63}$ (step_id 0); step ids
 * ^[a-z][a-z0-9_]{0,63}$ (step_id 1). */
int auto_name_ok(const char *s, int step_id);
/* 1 with *out when v is a JSON integer that fits in 64 bits. */
int auto_json_int(json_object *v, long long *out);

#endif
