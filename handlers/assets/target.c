/* The target being written: its fields, their checks (shared by create,
 * update, bulk import and discovery import) and its insert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "arena.h"
#include "db.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"
#include "target.h"

#define TARGET_TAGS_MAX 64
#define TARGET_TAG_LEN 64

static const char *const target_oses[] = {"linux", "windows", NULL};
static const char *const target_protocols[] = {"ssh", "winrm", NULL};
static const char *const target_auths[] = {"basic", "ntlm", NULL};

#define TARGET_FIELDS(req)                                                      \
	{"name", FIELD_STRING, req, 1, 128, NULL, NULL},                        \
	    {"host", FIELD_STRING, req, 1, 253, NULL, target_check_host},       \
	    {"os", FIELD_ENUM, req, 0, 0, target_oses, NULL},                   \
	    {"protocol", FIELD_ENUM, 0, 0, 0, target_protocols, NULL},          \
	    {"port", FIELD_INT, FIELD_NULLABLE, 1, 65535, NULL, NULL},          \
	    {"winrm_https", FIELD_BOOL, 0, 0, 0, NULL, NULL},                   \
	    {"winrm_auth", FIELD_ENUM, 0, 0, 0, target_auths, NULL},            \
	    {"winrm_verify_tls", FIELD_BOOL, 0, 0, 0, NULL, NULL},              \
	    {"ssh_user", FIELD_STRING, FIELD_NULLABLE, 1, 64, NULL, NULL},      \
	    {"credential_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL},    \
	    {"tags", FIELD_ARRAY,      0, 0, TARGET_TAGS_MAX,                   \
	     NULL,   target_check_tags},                                        \
	    {"description", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL, NULL}, \
	    {"enabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},                       \
	{                                                                       \
		NULL, 0, 0, 0, 0, NULL, NULL                                    \
	}

const struct field target_create_fields[] = {TARGET_FIELDS(FIELD_REQUIRED)};
const struct field target_patch_fields[] = {TARGET_FIELDS(0)};

const char *
target_check_host(struct req *r, json_object *v)
{
	char canon[ADDR_MAX];

	(void)r;
	return addr_host(json_object_get_string(v), canon);
}

const char *
target_check_tags(struct req *r, json_object *v)
{
	size_t i, j, n = json_object_array_length(v), len;
	json_object *e;
	const char *s;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string))
			return arena_printf(r->arena,
					    "item %zu must be a string", i);
		s = json_object_get_string(e);
		len = strlen(s);
		if (len == 0 || len > TARGET_TAG_LEN ||
		    len != (size_t)json_object_get_string_len(e))
			return arena_printf(r->arena,
					    "item %zu must be 1 to %d "
					    "characters",
					    i, TARGET_TAG_LEN);
		for (j = 0; j < len; j++)
			if ((unsigned char)s[j] <= ' ' || s[j] == ',' ||
			    s[j] == ';' || s[j] == 0x7f)
				return arena_printf(
				    r->arena,
				    "item %zu must not contain spaces, "
				    "commas or semicolons",
				    i);
		for (j = 0; j < i; j++)
			if (strcmp(json_object_get_string(
				       json_object_array_get_idx(v, j)),
				   s) == 0)
				return arena_printf(
				    r->arena, "item %zu repeats a tag", i);
	}
	return NULL;
}

void
target_defaults(struct target_in *t)
{
	memset(t, 0, sizeof(*t));
	t->winrm_auth = "ntlm";
	t->winrm_verify_tls = 1;
	t->enabled = 1;
	t->description = "";
}

void
target_from_row(struct req *r, const PGresult *res, int row,
		struct target_in *t)
{
	json_object *o = req_own(r, shape_row(res, row, shape_target, -1));
	json_object *port;

	target_defaults(t);
	target_from_json(o, t);
	if (json_object_object_get_ex(o, "port", &port))
		t->port = json_object_get_int64(port);
}

void
target_from_json(json_object *o, struct target_in *t)
{
	json_object *v;

	if (valid_has(o, "name"))
		t->name = valid_str(o, "name");
	if (valid_has(o, "host"))
		t->host = valid_str(o, "host");
	if (valid_has(o, "os"))
		t->os = valid_str(o, "os");
	if (valid_has(o, "protocol"))
		t->protocol = valid_str(o, "protocol");
	if (valid_has(o, "winrm_auth"))
		t->winrm_auth = valid_str(o, "winrm_auth");
	if (valid_has(o, "ssh_user"))
		t->ssh_user = valid_str(o, "ssh_user");
	if (valid_has(o, "credential_id"))
		t->credential_id = valid_str(o, "credential_id");
	if (valid_has(o, "description")) {
		t->description = valid_str(o, "description");
		if (t->description == NULL)
			t->description = "";
	}
	if (json_object_object_get_ex(o, "tags", &v) && v != NULL)
		t->tags = v;
	if (valid_has(o, "port"))
		t->port = valid_int(o, "port", 0);
	t->winrm_https = valid_bool(o, "winrm_https", t->winrm_https);
	t->winrm_verify_tls =
	    valid_bool(o, "winrm_verify_tls", t->winrm_verify_tls);
	t->enabled = valid_bool(o, "enabled", t->enabled);
}

long long
target_default_port(const char *protocol, int https)
{
	if (strcmp(protocol, "winrm") == 0)
		return https ? 5986 : 5985;
	return 22;
}

int
target_check(struct req *r, const char *prefix, struct target_in *t)
{
	char canon[ADDR_MAX];
	const char *msg;
	int bad = 0;

	if (t->name == NULL || *t->name == '\0') {
		problem_field(r, arena_printf(r->arena, "%sname", prefix),
			      "is required");
		bad++;
	}
	if (t->host == NULL || *t->host == '\0') {
		problem_field(r, arena_printf(r->arena, "%shost", prefix),
			      "is required");
		bad++;
	} else {
		msg = addr_host(t->host, canon);
		if (msg != NULL) {
			problem_field(r,
				      arena_printf(r->arena, "%shost", prefix),
				      "%s", msg);
			bad++;
		} else {
			t->host = arena_strdup(r->arena, canon);
		}
	}
	if (t->os == NULL) {
		problem_field(r, arena_printf(r->arena, "%sos", prefix),
			      "is required");
		return bad + 1;
	}
	if (t->protocol == NULL)
		t->protocol = strcmp(t->os, "windows") == 0 ? "winrm" : "ssh";
	if (strcmp(t->protocol, "winrm") == 0 &&
	    strcmp(t->os, "windows") != 0) {
		problem_field(r, arena_printf(r->arena, "%sprotocol", prefix),
			      "winrm is for Windows targets; use ssh for "
			      "Linux");
		bad++;
	}
	if (t->port == 0)
		t->port = target_default_port(t->protocol, t->winrm_https);
	return bad;
}

int
target_cred_suits(const char *protocol, const char *type)
{
	if (strcmp(protocol, "winrm") == 0)
		return strcmp(type, "winrm") == 0;
	return strcmp(type, "ssh_password") == 0 ||
	       strcmp(type, "ssh_key") == 0;
}

int
target_cred_or_problem(struct req *r, const char *prefix, const char *field,
		       const struct target_in *t, const char *cred_type)
{
	const char *name = arena_printf(
	    r->arena, "%s%s", prefix, field != NULL ? field : "credential_id");
	PGresult *res;

	if (t->credential_id == NULL)
		return 0;
	if (cred_type == NULL) {
		res = db_query_or_problem(r, &sql_cred_brief,
					  DB_PARAMS(t->credential_id));
		if (res == NULL)
			return -1;
		if (PQntuples(res) != 1)
			return problem_field(r, name,
					     "is not an existing credential"),
			       -1;
		cred_type = PQgetvalue(res, 0, 2);
	}
	if (!target_cred_suits(t->protocol, cred_type))
		return problem_field(r, name,
				     "is a %s credential; %s targets need %s",
				     cred_type, t->protocol,
				     strcmp(t->protocol, "winrm") == 0
					 ? "a winrm credential"
					 : "an ssh_password or ssh_key "
					   "credential"),
		       -1;
	return 0;
}

PGresult *
target_insert_or_problem(struct req *r, const struct target_in *t)
{
	char port[16];
	const char *tags = t->tags != NULL ? shape_text(r, t->tags) : "[]";
	PGresult *res;

	snprintf(port, sizeof(port), "%lld", t->port);
	res = db_query_or_problem(
	    r, &sql_target_insert,
	    DB_PARAMS(t->name, t->host, t->os, t->protocol, port,
		      shape_tf(t->winrm_https), t->winrm_auth,
		      shape_tf(t->winrm_verify_tls), t->ssh_user,
		      t->credential_id, tags, t->description,
		      shape_tf(t->enabled), req_actor_id(r), req_actor_name(r)));
	if (res == NULL && r->status == 409)
		problem(r, PROBLEM_CONFLICT,
			"A target named \"%s\" exists already.", t->name);
	return res;
}

PGresult *
target_lock_or_problem(struct req *r, const char *id, int if_match)
{
	PGresult *res;

	if (id == NULL) {
		problem(r, PROBLEM_NOT_FOUND, "There is no such target.");
		return NULL;
	}
	if (db_begin_or_problem(r) < 0)
		return NULL;
	res = db_query_or_problem(r, &sql_target_lock, DB_PARAMS(id));
	if (res != NULL && PQntuples(res) != 1) {
		problem(r, PROBLEM_NOT_FOUND, "There is no such target.");
		return NULL;
	}
	if (res != NULL && if_match &&
	    shape_if_match_or_problem(r, res, 0, SQL_TARGET_VERSION) < 0)
		return NULL;
	return res;
}
