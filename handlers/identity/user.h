/* The user object: a row of SQL_USER_COLS as API JSON (one place), its
 * ETag, the username rules and the checks of editable user fields. */
#ifndef OC_USER_H
#define OC_USER_H

#include <libpq-fe.h>
#include <json-c/json.h>

struct req;

#define USER_PREFERENCES_MAX 4096

/* The user object of row (columns as enum sql_user_col). New reference;
 * never holds the password hash or TOTP secret. */
json_object *user_json(const PGresult *res, int row);
/* Sets ETag: "<version>" from row. */
void user_etag(struct req *r, const PGresult *res, int row);
/* 0 when r has no If-Match or it names the row's version (or "*");
 * -1 with a 412 problem otherwise. */
int user_if_match_or_problem(struct req *r, const PGresult *res, int row);
/* Lowercased copy of an ASCII username (arena memory). */
char *user_lower(struct req *r, const char *name);
/* 1 when name matches ^[a-z0-9][a-z0-9._-]{1,63}$. */
int user_name_valid(const char *name);
/* Field checks (struct field.check): a username once lowercased, an
 * email with one @ (or "" / null), preferences <= 4 KiB serialized. */
const char *user_check_name(struct req *r, json_object *v);
const char *user_check_email(struct req *r, json_object *v);
const char *user_check_preferences(struct req *r, json_object *v);
/* The nullable email of a validated body as text ("" for null). */
const char *user_body_email(json_object *body);

#endif
