/* The user object: a row of SQL_USER_COLS as API JSON (one place), its
 * ETag, the username rules and the checks of editable user fields. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "problem.h"
#include "req.h"
#include "sql.h"
#include "user.h"
#include "valid.h"

static json_object *user_json_str(const PGresult *res, int row, int col);

static json_object *
user_json_str(const PGresult *res, int row, int col)
{
	const char *v = db_value(res, row, col);

	return v != NULL ? json_object_new_string(v) : NULL;
}

json_object *
user_json(const PGresult *res, int row)
{
	json_object *o = json_object_new_object(), *prefs;
	const char *p = db_value(res, row, SQL_USER_PREFERENCES);

	prefs = p != NULL ? json_tokener_parse(p) : NULL;
	if (prefs == NULL || !json_object_is_type(prefs, json_type_object)) {
		json_object_put(prefs);
		prefs = json_object_new_object();
	}
	json_object_object_add(o, "id", user_json_str(res, row, SQL_USER_ID));
	json_object_object_add(o, "username",
			       user_json_str(res, row, SQL_USER_USERNAME));
	json_object_object_add(o, "display_name",
			       user_json_str(res, row, SQL_USER_DISPLAY_NAME));
	json_object_object_add(o, "email",
			       user_json_str(res, row, SQL_USER_EMAIL));
	json_object_object_add(o, "role",
			       user_json_str(res, row, SQL_USER_ROLE));
	json_object_object_add(
	    o, "disabled",
	    json_object_new_boolean(
		strcmp(PQgetvalue(res, row, SQL_USER_DISABLED), "t") == 0));
	json_object_object_add(
	    o, "totp_enabled",
	    json_object_new_boolean(
		strcmp(PQgetvalue(res, row, SQL_USER_TOTP_ENABLED), "t") == 0));
	json_object_object_add(o, "preferences", prefs);
	json_object_object_add(o, "created_at",
			       user_json_str(res, row, SQL_USER_CREATED_AT));
	json_object_object_add(o, "updated_at",
			       user_json_str(res, row, SQL_USER_UPDATED_AT));
	json_object_object_add(
	    o, "version",
	    json_object_new_int64(
		strtoll(PQgetvalue(res, row, SQL_USER_VERSION), NULL, 10)));
	return o;
}

void
user_etag(struct req *r, const PGresult *res, int row)
{
	char tag[32];

	snprintf(tag, sizeof(tag), "\"%s\"",
		 PQgetvalue(res, row, SQL_USER_VERSION));
	req_header_add(r, "ETag", tag);
}

int
user_if_match_or_problem(struct req *r, const PGresult *res, int row)
{
	return req_if_match_or_problem(r, PQgetvalue(res, row,
						      SQL_USER_VERSION));
}

char *
user_lower(struct req *r, const char *name)
{
	char *s = arena_strdup(r->arena, name);
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int
user_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n < 2 || n > 64)
		return 0;
	if (!islower((unsigned char)name[0]) &&
	    !isdigit((unsigned char)name[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return 0;
	return 1;
}

const char *
user_check_name(struct req *r, json_object *v)
{
	if (!user_name_valid(user_lower(r, json_object_get_string(v))))
		return "must be 2 to 64 characters of a-z, 0-9, '.', '_' or "
		       "'-', starting with a letter or digit";
	return NULL;
}

const char *
user_check_email(struct req *r, json_object *v)
{
	const char *s = json_object_get_string(v), *at = strchr(s, '@');

	(void)r;
	if (*s == '\0')
		return NULL;
	if (at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strpbrk(s, " \t\r\n") != NULL)
		return "must be an address like name@example.com, or empty";
	return NULL;
}

const char *
user_check_preferences(struct req *r, json_object *v)
{
	(void)r;
	if (strlen(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)) >
	    USER_PREFERENCES_MAX)
		return "must be at most 4096 bytes as JSON";
	return NULL;
}

const char *
user_body_email(json_object *body)
{
	const char *e = valid_str(body, "email");

	return e != NULL ? e : "";
}
