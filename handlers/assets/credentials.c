/* Credentials: write-only secrets sealed for the worker; the API shows
 * metadata only (viewers: id, name and type). */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "credentials.h"
#include "crypto.h"
#include "db.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "sealed.h"
#include "shape.h"
#include "sql.h"
#include "sshkey.h"

#define CRED_KEY_MAX 16384

static const char *const credentials_types[] = {
    "ssh_password", "ssh_key", "winrm", "api_token", "smtp", NULL};

/* The secret fields, as bits. */
enum {
	CRED_PASSWORD = 0x1,
	CRED_KEY = 0x2,
	CRED_PASSPHRASE = 0x4,
	CRED_TOKEN = 0x8,
};

/* What each type takes. */
struct cred_rule {
	const char *type;
	int need_user;	  /* username required */
	int domain;	  /* domain allowed */
	unsigned secrets; /* secret fields allowed */
	unsigned need;	  /* secret fields required */
};

static const struct cred_rule credentials_rules[] = {
    {"ssh_password", 1, 0, CRED_PASSWORD, CRED_PASSWORD},
    {"ssh_key", 1, 0, CRED_KEY | CRED_PASSPHRASE, CRED_KEY},
    {"winrm", 1, 1, CRED_PASSWORD, CRED_PASSWORD},
    {"api_token", 0, 0, CRED_TOKEN, CRED_TOKEN},
    {"smtp", 1, 0, CRED_PASSWORD, CRED_PASSWORD},
};

static const char *const credentials_secret_names[] = {
    "password", "private_key", "passphrase", "token"};

#define CRED_FIELDS(req)                                                       \
	{"name", FIELD_STRING, req, 1, 128, NULL, NULL},                       \
	    {"username", FIELD_STRING, FIELD_NULLABLE, 1, 128, NULL, NULL},    \
	    {"domain", FIELD_STRING, FIELD_NULLABLE, 1, 128, NULL, NULL},      \
	    {"password", FIELD_STRING, 0, 1, 1024, NULL, NULL},                \
	    {"private_key", FIELD_STRING, 0, 1, CRED_KEY_MAX, NULL, NULL},     \
	    {"passphrase", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL, NULL}, \
	    {"token", FIELD_STRING, 0, 1, 8192, NULL, NULL},                   \
	{                                                                      \
		"description", FIELD_STRING, FIELD_NULLABLE, 0, 1024, NULL,    \
		    NULL                                                       \
	}

const struct field credentials_create_fields[] = {
    {"type", FIELD_ENUM, FIELD_REQUIRED, 0, 0, credentials_types, NULL},
    CRED_FIELDS(FIELD_REQUIRED),
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field credentials_patch_fields[] = {
    CRED_FIELDS(0), {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field credentials_list_query[] = {
    {"q", FIELD_STRING, 0, 0, 128, NULL, NULL},
    {"type", FIELD_ENUM, 0, 0, 0, credentials_types, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field credentials_delete_query[] = {
    {"force", FIELD_BOOL, 0, 0, 0, NULL, NULL}, {NULL, 0, 0, 0, 0, NULL, NULL}};

/* A secret sealed for the worker, and the key facts derived from it. */
struct cred_sealed {
	const char *hex;	/* the blob as hex, or NULL: unchanged */
	char version[16];	/* key version it is sealed under */
	struct sshkey_info key; /* ssh_key only */
};

static const struct cred_rule *credentials_rule(const char *type);
static unsigned credentials_given(json_object *b);
static int credentials_check(struct req *r, const struct cred_rule *rule,
			     json_object *b, const char *username,
			     const char *domain, int create);
static int credentials_key_or_problem(struct req *r, json_object *b,
				      struct sshkey_info *info);
static int credentials_seal_or_problem(struct req *r, const char *id,
				       json_object *b, struct cred_sealed *s);
static int credentials_full(const struct req *r);
static json_object *credentials_audit(struct req *r, const PGresult *res,
				      const char *secret);

static const struct cred_rule *
credentials_rule(const char *type)
{
	size_t i;

	for (i = 0;
	     i < sizeof(credentials_rules) / sizeof(credentials_rules[0]); i++)
		if (strcmp(credentials_rules[i].type, type) == 0)
			return &credentials_rules[i];
	return NULL;
}

static unsigned
credentials_given(json_object *b)
{
	unsigned m = 0, i;

	for (i = 0; i < 4; i++)
		if (valid_has(b, credentials_secret_names[i]))
			m |= 1u << i;
	return m;
}

/* Which fields a type takes and needs; every bad field is listed. */
static int
credentials_check(struct req *r, const struct cred_rule *rule, json_object *b,
		  const char *username, const char *domain, int create)
{
	unsigned given = credentials_given(b), i;
	int bad = 0;

	for (i = 0; i < 4; i++) {
		if ((given & (1u << i)) && !(rule->secrets & (1u << i))) {
			problem_field(r, credentials_secret_names[i],
				      "does not belong to a %s credential",
				      rule->type);
			bad = 1;
		}
		/* On update the secret is replaced whole or not at all. */
		if ((rule->need & (1u << i)) && !(given & (1u << i)) &&
		    (create || (given & rule->secrets) != 0)) {
			problem_field(r, credentials_secret_names[i],
				      create ? "is required for a %s "
					       "credential"
					     : "is required to change the "
					       "secret of a %s credential",
				      rule->type);
			bad = 1;
		}
	}
	if (rule->need_user && (username == NULL || *username == '\0')) {
		problem_field(r, "username", "is required for a %s credential",
			      rule->type);
		bad = 1;
	}
	if (!rule->domain && domain != NULL) {
		problem_field(r, "domain", "only winrm credentials have one");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
credentials_key_or_problem(struct req *r, json_object *b,
			   struct sshkey_info *info)
{
	const char *key = valid_str(b, "private_key");
	const char *why = NULL;

	switch (sshkey_inspect(key, strlen(key), valid_str(b, "passphrase"),
			       info, &why)) {
	case SSHKEY_OK:
		return 0;
	case SSHKEY_NEED_PASSPHRASE:
	case SSHKEY_BAD_PASSPHRASE:
		return problem_field(r, "passphrase", "%s", why), -1;
	case SSHKEY_UNPARSABLE:
	case SSHKEY_UNSUPPORTED:
		break;
	}
	return problem_field(r, "private_key", "%s", why), -1;
}

/* Seals the secret fields of b bound to "credential:<id>". */
static int
credentials_seal_or_problem(struct req *r, const char *id, json_object *b,
			    struct cred_sealed *s)
{
	json_object *secret = json_object_new_object();
	const char *aad = arena_printf(r->arena, "credential:%s", id);
	struct sealed sd;
	size_t i;
	int rc;

	for (i = 0; i < 4; i++)
		if (valid_str(b, credentials_secret_names[i]) != NULL)
			json_object_object_add(
			    secret, credentials_secret_names[i],
			    json_object_new_string(
				valid_str(b, credentials_secret_names[i])));
	rc = sealed_json_or_problem(r, aad, secret, "secrets", &sd);
	json_object_put(secret);
	if (rc < 0)
		return -1;
	s->hex = sd.hex;
	snprintf(s->version, sizeof(s->version), "%s", sd.version);
	return 0;
}

static int
credentials_full(const struct req *r)
{
	return r->who.role >= ROLE_OPERATOR ? -1 : SHAPE_CRED_VIEWER;
}

/* The audit view: metadata and a marker instead of the secret. */
static json_object *
credentials_audit(struct req *r, const PGresult *res, const char *secret)
{
	json_object *o = req_own(r, shape_row(res, 0, shape_cred, -1));

	if (secret != NULL)
		json_object_object_add(o, "secret",
				       json_object_new_string(secret));
	return o;
}

int
credentials_list(struct req *r)
{
	const char *q = req_query(r, "q");
	struct page p;
	PGresult *res;
	long long total;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	if (q != NULL && *q == '\0')
		q = NULL;
	{
		const char *const params[] = {q, req_query(r, "type"),
					      shape_tf(credentials_full(r) < 0),
					      p.lim, p.off};

		res = db_query_or_problem(r, &sql_cred_list, params);
		if (res == NULL)
			return r->status;
		total =
		    page_total_or_problem(r, &p, res, &sql_cred_count, params);
	}
	if (total < 0)
		return r->status;
	return shape_page_reply(r, res, shape_cred, credentials_full(r), total,
				&p);
}

int
credentials_create(struct req *r)
{
	json_object *b = r->body;
	const char *type = valid_str(b, "type"), *name = valid_str(b, "name");
	const char *user = valid_str(b, "username");
	const char *domain = valid_str(b, "domain");
	const struct cred_rule *rule = credentials_rule(type);
	struct cred_sealed s;
	char id[37];
	PGresult *res;

	memset(&s, 0, sizeof(s));
	if (credentials_check(r, rule, b, user, domain, 1) < 0)
		return r->status;
	if (strcmp(type, "ssh_key") == 0 &&
	    credentials_key_or_problem(r, b, &s.key) < 0)
		return r->status;
	crypto_uuid(id);
	if (credentials_seal_or_problem(r, id, b, &s) < 0 ||
	    db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_cred_insert,
	    DB_PARAMS(id, name, type, user, domain,
		      s.key.type[0] ? s.key.type : NULL,
		      s.key.fingerprint[0] ? s.key.fingerprint : NULL, s.hex,
		      s.version, valid_str(b, "description"), req_actor_id(r),
		      req_actor_name(r)));
	if (res == NULL) {
		if (r->status == 409)
			return problem(r, PROBLEM_CONFLICT,
				       "A credential named \"%s\" exists "
				       "already.",
				       name);
		return r->status;
	}
	if (audit_or_problem(r, "credential.create", "credential", id, NULL,
			     credentials_audit(r, res, "(set)")) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(r, "Location",
		       arena_printf(r->arena, "/api/v1/credentials/%s", id));
	return shape_reply(r, 201, res, shape_cred, SQL_CRED_VERSION);
}

int
credentials_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such credential.");
	res = db_query_or_problem(r, &sql_cred_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such credential.");
	shape_etag(r, res, 0, SQL_CRED_VERSION);
	return req_reply(r, 200,
			 shape_row(res, 0, shape_cred, credentials_full(r)));
}

int
credentials_patch(struct req *r)
{
	json_object *b = r->body, *before;
	const char *id = req_path_uuid(r, "id");
	const char *name, *user, *domain, *desc;
	const struct cred_rule *rule;
	struct cred_sealed s;
	PGresult *res;
	int reseal;

	memset(&s, 0, sizeof(s));
	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such credential.");
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_cred_lock, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such credential.");
	if (shape_if_match_or_problem(r, res, 0, SQL_CRED_VERSION) < 0)
		return r->status;
	rule = credentials_rule(PQgetvalue(res, 0, SQL_CRED_TYPE));
	name =
	    valid_has(b, "name") ? valid_str(b, "name") : PQgetvalue(res, 0, 1);
	user = valid_has(b, "username") ? valid_str(b, "username")
					: db_value(res, 0, SQL_CRED_USERNAME);
	domain = valid_has(b, "domain") ? valid_str(b, "domain")
					: db_value(res, 0, SQL_CRED_DOMAIN);
	desc = valid_has(b, "description") ? valid_str(b, "description")
					   : PQgetvalue(res, 0, 8);
	if (desc == NULL)
		desc = "";
	if (credentials_check(r, rule, b, user, domain, 0) < 0)
		return r->status;
	reseal = (credentials_given(b) & rule->secrets) != 0;
	if (reseal && strcmp(rule->type, "ssh_key") == 0 &&
	    credentials_key_or_problem(r, b, &s.key) < 0)
		return r->status;
	if (reseal && credentials_seal_or_problem(r, id, b, &s) < 0)
		return r->status;
	before = credentials_audit(r, res, NULL);
	res = db_query_or_problem(
	    r, &sql_cred_update,
	    DB_PARAMS(id, name, user, domain, s.key.type[0] ? s.key.type : NULL,
		      s.key.fingerprint[0] ? s.key.fingerprint : NULL, s.hex,
		      reseal ? s.version : NULL, desc, req_actor_id(r),
		      req_actor_name(r)));
	if (res == NULL) {
		if (r->status == 409)
			return problem(r, PROBLEM_CONFLICT,
				       "A credential named \"%s\" exists "
				       "already.",
				       name);
		return r->status;
	}
	if (audit_or_problem(
		r, "credential.update", "credential", id, before,
		credentials_audit(r, res, reseal ? "(changed)" : NULL)) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return shape_reply(r, 200, res, shape_cred, SQL_CRED_VERSION);
}

int
credentials_delete(struct req *r)
{
	const char *id = req_path_uuid(r, "id"), *force = req_query(r, "force");
	int forced = force != NULL && strcmp(force, "true") == 0;
	json_object *users, *before, *u;
	PGresult *res, *used;
	int i;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such credential.");
	if (forced && r->who.role < ROLE_ADMIN)
		return problem(r, PROBLEM_FORBIDDEN,
			       "Only an admin may detach a credential from "
			       "its targets (force=true).");
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_cred_lock, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such credential.");
	if (shape_if_match_or_problem(r, res, 0, SQL_CRED_VERSION) < 0)
		return r->status;
	used = db_query_or_problem(r, &sql_cred_users, DB_PARAMS(id));
	if (used == NULL)
		return r->status;
	users = json_object_new_array();
	for (i = 0; i < PQntuples(used); i++) {
		u = json_object_new_object();
		json_object_object_add(
		    u, "id", json_object_new_string(PQgetvalue(used, i, 0)));
		json_object_object_add(
		    u, "name", json_object_new_string(PQgetvalue(used, i, 1)));
		json_object_array_add(users, u);
	}
	if (PQntuples(used) > 0 && !forced) {
		problem(r, PROBLEM_CONFLICT,
			"%d target(s) use this credential; give them another "
			"one first, or (admin) delete with force=true to "
			"detach it.",
			PQntuples(used));
		json_object_object_add(r->problem, "in_use_by", users);
		return r->status;
	}
	before = credentials_audit(r, res, NULL);
	json_object_object_add(before, "detached_targets", users);
	if ((PQntuples(used) > 0 &&
	     db_query_or_problem(
		 r, &sql_cred_unlink,
		 DB_PARAMS(id, req_actor_id(r), req_actor_name(r))) == NULL) ||
	    db_query_or_problem(r, &sql_cred_delete, DB_PARAMS(id)) == NULL ||
	    audit_or_problem(r, "credential.delete", "credential", id, before,
			     NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
