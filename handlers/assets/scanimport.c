/* Discovery import: chosen scan results become targets (with a credential
 * and groups) in one transaction; nothing is written if any address is
 * not in the scan (422) or is a target already (409). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "arena.h"
#include "audit.h"
#include "db.h"
#include "groups.h"
#include "problem.h"
#include "req.h"
#include "scanimport.h"
#include "shape.h"
#include "sql.h"
#include "target.h"

#define SCANIMPORT_MAX 1024

static const char *const scanimport_oses[] = {"linux", "windows", NULL};

static const char *scanimport_check_addrs(struct req *r, json_object *v);
static int scanimport_port_open(json_object *ports, int port);
static int scanimport_groups_or_problem(struct req *r, json_object *groups);
static const char *scanimport_name(struct req *r, const char *prefix,
				   const char *rname, const char *addr);

const struct field scanimport_fields[] = {
    {"scan_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL, NULL},
    {"addresses", FIELD_ARRAY, FIELD_REQUIRED, 1, SCANIMPORT_MAX, NULL,
     scanimport_check_addrs},
    {"credential_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"group_ids", FIELD_ARRAY, 0, 0, 64, NULL, groups_check_ids},
    {"os", FIELD_ENUM, 0, 0, 0, scanimport_oses, NULL},
    {"name_prefix", FIELD_STRING, 0, 0, 64, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static const char *
scanimport_check_addrs(struct req *r, json_object *v)
{
	char canon[ADDR_MAX];
	json_object *e;
	const char *msg;
	size_t i;

	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string))
			return arena_printf(r->arena,
					    "item %zu must be a string", i);
		msg = addr_ip(json_object_get_string(e), canon);
		if (msg != NULL)
			return arena_printf(r->arena, "item %zu %s", i, msg);
	}
	return NULL;
}

static int
scanimport_port_open(json_object *ports, int port)
{
	size_t i;

	for (i = 0; ports != NULL && i < json_object_array_length(ports); i++)
		if (json_object_get_int(json_object_array_get_idx(ports, i)) ==
		    port)
			return 1;
	return 0;
}

/* Every group exists and is static. */
static int
scanimport_groups_or_problem(struct req *r, json_object *groups)
{
	PGresult *res;
	const char *id;
	size_t i;
	int k, found;

	res = db_query_or_problem(r, &sql_groups_brief,
				  DB_PARAMS(shape_text(r, groups)));
	if (res == NULL)
		return -1;
	for (i = 0; i < json_object_array_length(groups); i++) {
		id = json_object_get_string(
		    json_object_array_get_idx(groups, i));
		found = -1;
		for (k = 0; k < PQntuples(res); k++)
			if (strcasecmp(PQgetvalue(res, k, 0), id) == 0)
				found = k;
		if (found < 0)
			problem_field(
			    r, arena_printf(r->arena, "group_ids[%zu]", i),
			    "is not an existing group");
		else if (strcmp(PQgetvalue(res, found, 1), "t") == 0)
			problem_field(
			    r, arena_printf(r->arena, "group_ids[%zu]", i),
			    "is a dynamic group (its members come from its "
			    "filter)");
	}
	return r->problem != NULL ? -1 : 0;
}

/* prefix + the reverse name, or the address with ':' as '-'. */
static const char *
scanimport_name(struct req *r, const char *prefix, const char *rname,
		const char *addr)
{
	char *s = arena_printf(r->arena, "%s%s", prefix != NULL ? prefix : "",
			       rname != NULL && *rname != '\0' ? rname : addr);
	char *p;
	size_t n = strlen(s);

	if (n > 128)
		s[128] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (p = s; *p != '\0'; p++)
		if (*p == ':')
			*p = '-';
	return s;
}

int
scanimport_post(struct req *r)
{
	json_object *b = r->body, *addrs = NULL, *groups = NULL, *canon;
	json_object *existing, *items, *ports, *after;
	const char *scan, *cred = valid_str(b, "credential_id");
	const char *os = valid_str(b, "os"), *cred_type = NULL;
	const char *prefix = valid_str(b, "name_prefix");
	struct target_in *t;
	char c[ADDR_MAX];
	PGresult *res, *row, *ins;
	size_t i, j, n;

	scan = arena_strdup(r->arena, valid_str(b, "scan_id"));
	json_object_object_get_ex(b, "addresses", &addrs);
	json_object_object_get_ex(b, "group_ids", &groups);
	n = json_object_array_length(addrs);
	canon = req_own(r, json_object_new_array());
	for (i = 0; i < n; i++) {
		addr_ip(
		    json_object_get_string(json_object_array_get_idx(addrs, i)),
		    c);
		json_object_array_add(canon, json_object_new_string(c));
	}
	if (db_begin_or_problem(r) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_scan_get, DB_PARAMS(scan));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem_field(r, "scan_id", "is not an existing scan");
	if (cred != NULL) {
		res = db_query_or_problem(
		    r, &sql_cred_brief,
		    DB_PARAMS(arena_strdup(r->arena, cred)));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) != 1)
			problem_field(r, "credential_id",
				      "is not an existing credential");
		else
			cred_type = PQgetvalue(res, 0, 2);
	}
	if (groups != NULL && json_object_array_length(groups) > 0 &&
	    scanimport_groups_or_problem(r, groups) < 0 && r->status != 422)
		return r->status;
	row = db_query_or_problem(r, &sql_result_pick,
				  DB_PARAMS(scan, shape_text(r, canon)));
	if (row == NULL)
		return r->status;
	existing = req_own(r, json_object_new_array());
	t = arena_alloc(r->arena, sizeof(*t) * n);
	for (i = 0; i < n; i++) {
		const char *field = arena_printf(r->arena, "addresses[%zu]", i);

		if (strcmp(PQgetvalue(row, (int)i, 0), "t") != 0) {
			problem_field(r, field, "%s was not found by this scan",
				      PQgetvalue(row, (int)i, 1));
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(PQgetvalue(row, (int)j, 1),
				   PQgetvalue(row, (int)i, 1)) == 0)
				problem_field(r, field,
					      "repeats addresses[%zu]", j);
		if (strcmp(PQgetvalue(row, (int)i, 5), "t") == 0)
			json_object_array_add(
			    existing,
			    json_object_new_string(PQgetvalue(row, (int)i, 1)));
		target_defaults(&t[i]);
		t[i].host = PQgetvalue(row, (int)i, 1);
		t[i].os = os != NULL ? os : PQgetvalue(row, (int)i, 4);
		if (strcmp(t[i].os, "unknown") == 0) {
			problem_field(r, field,
				      "%s could not be classified; give os",
				      t[i].host);
			continue;
		}
		ports =
		    req_own(r, json_tokener_parse(PQgetvalue(row, (int)i, 3)));
		t[i].winrm_https = strcmp(t[i].os, "windows") == 0 &&
				   scanimport_port_open(ports, 5986) &&
				   !scanimport_port_open(ports, 5985);
		t[i].name = scanimport_name(r, prefix, db_value(row, (int)i, 2),
					    t[i].host);
		t[i].credential_id = cred_type != NULL ? cred : NULL;
		t[i].description =
		    arena_printf(r->arena, "Discovered by scan %s", scan);
		if (target_check(r, arena_printf(r->arena, "%s.", field),
				 &t[i]) > 0)
			continue;
		if (cred_type != NULL &&
		    target_cred_or_problem(r, "", "credential_id", &t[i],
					   cred_type) < 0 &&
		    r->status != 422)
			return r->status;
	}
	if (r->problem != NULL)
		return r->status;
	if (json_object_array_length(existing) > 0) {
		problem(r, PROBLEM_CONFLICT,
			"%zu of these addresses are targets already; leave "
			"them out.",
			json_object_array_length(existing));
		json_object_object_add(r->problem, "existing",
				       json_object_get(existing));
		return r->status;
	}
	items = req_own(r, json_object_new_array());
	for (i = 0; i < n; i++) {
		ins = target_insert_or_problem(r, &t[i]);
		if (ins == NULL)
			return r->status;
		for (j = 0;
		     groups != NULL && j < json_object_array_length(groups);
		     j++)
			if (db_query_or_problem(
				r, &sql_member_add,
				DB_PARAMS(
				    json_object_get_string(
					json_object_array_get_idx(groups, j)),
				    PQgetvalue(ins, 0, 0))) == NULL)
				return r->status;
		json_object_array_add(items,
				      shape_row(ins, 0, shape_target, -1));
		after = req_own(r, shape_row(ins, 0, shape_target, -1));
		json_object_object_add(after, "scan_id",
				       json_object_new_string(scan));
		if (audit_or_problem(r, "target.discover", "target",
				     PQgetvalue(ins, 0, 0), NULL, after) < 0)
			return r->status;
	}
	if (db_commit_or_problem(r) < 0)
		return r->status;
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "created",
				       json_object_new_int64((int64_t)n));
		json_object_object_add(o, "items", json_object_get(items));
		return req_reply(r, 201, o);
	}
}
