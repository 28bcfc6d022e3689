/* Targets: list, create, read, update, delete, and host key decisions. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"
#include "target.h"
#include "targets.h"

static const char *const targets_oses[] = {"linux", "windows", NULL};
static const char *const targets_protocols[] = {"ssh", "winrm", NULL};
static const char *const targets_reach[] = {
    "unknown",		"reachable", "unreachable", "auth_failed",
    "host_key_changed", "error",     NULL};

static const char *targets_check_tag_query(struct req *r, json_object *v);

const struct field targets_list_query[] = {
    {"q", FIELD_STRING, 0, 0, 128, NULL, NULL},
    {"tag", FIELD_STRING, 0, 1, 1024, NULL, targets_check_tag_query},
    {"os", FIELD_ENUM, 0, 0, 0, targets_oses, NULL},
    {"protocol", FIELD_ENUM, 0, 0, 0, targets_protocols, NULL},
    {"group", FIELD_UUID, 0, 0, 0, NULL, NULL},
    {"reachability", FIELD_ENUM, 0, 0, 0, targets_reach, NULL},
    {"enabled", FIELD_BOOL, 0, 0, 0, NULL, NULL},
    {"credential", FIELD_UUID, 0, 0, 0, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field targets_hostkey_fields[] = {
    {"fingerprint", FIELD_STRING, FIELD_REQUIRED, 1, 128, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static const char *
targets_check_tag_query(struct req *r, json_object *v)
{
	const char *s = json_object_get_string(v);

	(void)r;
	if (strstr(s, ",,") != NULL || s[0] == ',' || s[strlen(s) - 1] == ',')
		return "must be a tag or a comma-separated list of tags";
	return NULL;
}

int
targets_list(struct req *r)
{
	const char *q = req_query(r, "q"), *tag = req_query(r, "tag");
	const char *tags = NULL;
	json_object *a;
	struct page p;
	PGresult *res;
	long long total;
	char *copy, *tok, *save = NULL;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	if (q != NULL && *q == '\0')
		q = NULL;
	if (tag != NULL) {
		a = req_own(r, json_object_new_array());
		copy = arena_strdup(r->arena, tag);
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save))
			json_object_array_add(a, json_object_new_string(tok));
		tags = shape_text(r, a);
	}
	{
		const char *const params[] = {q,
					      tags,
					      req_query(r, "os"),
					      req_query(r, "protocol"),
					      req_query(r, "group"),
					      req_query(r, "reachability"),
					      req_query(r, "enabled"),
					      req_query(r, "credential"),
					      p.lim,
					      p.off};

		size_t i;
		int filtered = 0;

		for (i = 0; i < 8; i++)
			filtered |= params[i] != NULL;
		res = db_query_or_problem(r, &sql_target_list, params);
		if (res == NULL)
			return r->status;
		/* Unfiltered: the trigger-kept count answers. */
		total = page_total_or_problem(
			r, &p, res,
			filtered ? &sql_target_count : &sql_target_count_all,
			params);
	}
	if (total < 0)
		return r->status;
	return shape_page_reply(r, res, shape_target, -1, total, &p);
}

int
targets_create(struct req *r)
{
	struct target_in t;
	PGresult *res;

	target_defaults(&t);
	target_from_json(r->body, &t);
	if (target_check(r, "", &t) > 0)
		return r->status;
	if (db_begin_or_problem(r) < 0 ||
	    target_cred_or_problem(r, "", NULL, &t, NULL) < 0)
		return r->status;
	res = target_insert_or_problem(r, &t);
	if (res == NULL)
		return r->status;
	if (audit_or_problem(
		r, "target.create", "target", PQgetvalue(res, 0, 0), NULL,
		req_own(r, shape_row(res, 0, shape_target, -1))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(r, "Location",
		       arena_printf(r->arena, "/api/v1/targets/%s",
				    PQgetvalue(res, 0, 0)));
	return shape_reply(r, 201, res, shape_target, SQL_TARGET_VERSION);
}

int
targets_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such target.");
	res = db_query_or_problem(r, &sql_target_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such target.");
	return shape_reply(r, 200, res, shape_target, SQL_TARGET_VERSION);
}

int
targets_patch(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	struct target_in t, old;
	PGresult *res;
	char port[16];
	int forget;

	res = target_lock_or_problem(r, id, 1);
	if (res == NULL)
		return r->status;
	target_from_row(r, res, 0, &old);
	t = old;
	target_from_json(r->body, &t);
	/* A port left at the old protocol's default follows the new one. */
	if (!valid_has(r->body, "port") &&
	    old.port == target_default_port(old.protocol, old.winrm_https))
		t.port = 0;
	if (valid_has(r->body, "os") && !valid_has(r->body, "protocol") &&
	    strcmp(old.os, t.os) != 0) {
		t.protocol = NULL;
		if (!valid_has(r->body, "port"))
			t.port = 0;
	}
	if (target_check(r, "", &t) > 0 ||
	    target_cred_or_problem(r, "", NULL, &t, NULL) < 0)
		return r->status;
	/* The recorded host key belongs to the old endpoint. */
	forget = strcmp(old.host, t.host) != 0 || old.port != t.port;
	snprintf(port, sizeof(port), "%lld", t.port);
	{
		const char *const params[] = {
		    id,
		    t.name,
		    t.host,
		    t.os,
		    t.protocol,
		    port,
		    shape_tf(t.winrm_https),
		    t.winrm_auth,
		    shape_tf(t.winrm_verify_tls),
		    t.ssh_user,
		    t.credential_id,
		    t.tags != NULL ? shape_text(r, t.tags) : "[]",
		    t.description,
		    shape_tf(t.enabled),
		    req_actor_id(r),
		    req_actor_name(r),
		    shape_tf(forget)};
		json_object *before =
		    req_own(r, shape_row(res, 0, shape_target, -1));

		res = db_query_or_problem(r, &sql_target_update, params);
		if (res == NULL) {
			if (r->status == 409)
				return problem(r, PROBLEM_CONFLICT,
					       "A target named \"%s\" exists "
					       "already.",
					       t.name);
			return r->status;
		}
		if (audit_or_problem(
			r, "target.update", "target", id, before,
			req_own(r, shape_row(res, 0, shape_target, -1))) < 0)
			return r->status;
	}
	if (db_commit_or_problem(r) < 0)
		return r->status;
	return shape_reply(r, 200, res, shape_target, SQL_TARGET_VERSION);
}

int
targets_delete(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	res = target_lock_or_problem(r, id, 1);
	if (res == NULL)
		return r->status;
	if (db_query_or_problem(r, &sql_target_delete, DB_PARAMS(id)) == NULL ||
	    audit_or_problem(r, "target.delete", "target", id,
			     req_own(r, shape_row(res, 0, shape_target, -1)),
			     NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}

int
targets_hostkey_accept(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	const char *fp = valid_str(r->body, "fingerprint");
	PGresult *cur, *res;

	cur = target_lock_or_problem(r, id, 0);
	if (cur == NULL)
		return r->status;
	if (PQgetisnull(cur, 0, SQL_TARGET_HOSTKEY_PENDING))
		return problem(r, PROBLEM_CONFLICT,
			       "No changed host key is waiting for "
			       "acceptance on this target.");
	res = db_query_or_problem(
	    r, &sql_target_hostkey_accept,
	    DB_PARAMS(id, fp, req_actor_id(r), req_actor_name(r)));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem_field(
		    r, "fingerprint", "is not the pending host key (%s)",
		    PQgetvalue(cur, 0, SQL_TARGET_HOSTKEY_PENDING));
	if (audit_or_problem(r, "target.host_key_accept", "target", id,
			     req_own(r, shape_row(cur, 0, shape_target, -1)),
			     req_own(r, shape_row(res, 0, shape_target, -1))) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return shape_reply(r, 200, res, shape_target, SQL_TARGET_VERSION);
}

int
targets_hostkey_forget(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *cur, *res;

	cur = target_lock_or_problem(r, id, 0);
	if (cur == NULL)
		return r->status;
	res = db_query_or_problem(r, &sql_target_hostkey_forget,
				  DB_PARAMS(id, req_actor_id(r), req_actor_name(r)));
	if (res == NULL ||
	    audit_or_problem(r, "target.host_key_forget", "target", id,
			     req_own(r, shape_row(cur, 0, shape_target, -1)),
			     req_own(r, shape_row(res, 0, shape_target, -1))) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return shape_reply(r, 200, res, shape_target, SQL_TARGET_VERSION);
}
