/* Network discovery: the admin's safety settings (allowed ranges, host
 * limit), scans queued for the worker, their progress, cancel, results. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "arena.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "discovery.h"
#include "idem.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"

#define DISCOVERY_CIDRS_MAX 64
#define DISCOVERY_PORTS_MAX 64
#define DISCOVERY_RANGES_MAX 256
#define DISCOVERY_HOSTS_LIMIT 16777216 /* the largest max_hosts */

static const char *const discovery_states[] = {
    "queued", "running", "succeeded", "failed", "canceled", NULL};
static const char *const discovery_classes[] = {"linux", "windows", "unknown",
						NULL};
/* Used when a scan names no ports: SSH, WinRM HTTP/HTTPS, RDP. */
static const int discovery_default_ports[] = {22, 5985, 5986, 3389};

static const char *discovery_check_ranges(struct req *r, json_object *v);
static const char *discovery_check_ports(struct req *r, json_object *v);
static int discovery_ranges_or_problem(struct req *r, json_object *in,
				       const char *field, json_object **canon,
				       unsigned long long *hosts);

const struct field discovery_settings_fields[] = {
    {"allowed_ranges", FIELD_ARRAY, FIELD_REQUIRED, 0, DISCOVERY_RANGES_MAX,
     NULL, discovery_check_ranges},
    {"max_hosts", FIELD_INT, FIELD_REQUIRED, 1, DISCOVERY_HOSTS_LIMIT, NULL,
     NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field discovery_scan_fields[] = {
    {"cidrs", FIELD_ARRAY, FIELD_REQUIRED, 1, DISCOVERY_CIDRS_MAX, NULL,
     discovery_check_ranges},
    {"ports", FIELD_ARRAY, 0, 1, DISCOVERY_PORTS_MAX, NULL,
     discovery_check_ports},
    {"timeout_ms", FIELD_INT, 0, 50, 10000, NULL, NULL},
    {"concurrency", FIELD_INT, 0, 1, 1024, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field discovery_scans_query[] = {
    {"state", FIELD_ENUM, 0, 0, 0, discovery_states, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

const struct field discovery_results_query[] = {
    {"classification", FIELD_ENUM, 0, 0, 0, discovery_classes, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* Every item a string range; the first bad one is named. */
static const char *
discovery_check_ranges(struct req *r, json_object *v)
{
	char canon[ADDR_MAX];
	unsigned long long hosts;
	json_object *e;
	const char *msg;
	size_t i;

	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string))
			return arena_printf(r->arena,
					    "item %zu must be a string", i);
		msg = addr_cidr(json_object_get_string(e), canon, &hosts);
		if (msg != NULL)
			return arena_printf(r->arena, "item %zu (%.64s) %s", i,
					    json_object_get_string(e), msg);
	}
	return NULL;
}

static const char *
discovery_check_ports(struct req *r, json_object *v)
{
	json_object *e;
	size_t i, j;
	int64_t p;

	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_int))
			return arena_printf(r->arena,
					    "item %zu must be an integer", i);
		p = json_object_get_int64(e);
		if (p < 1 || p > 65535)
			return arena_printf(r->arena,
					    "item %zu must be a port from 1 "
					    "to 65535",
					    i);
		for (j = 0; j < i; j++)
			if (json_object_get_int64(
				json_object_array_get_idx(v, j)) == p)
				return arena_printf(r->arena,
						    "item %zu repeats port %d",
						    i, (int)p);
	}
	return NULL;
}

/* The canonical texts of the (already checked) ranges and their host
 * count (saturating). */
static int
discovery_ranges_or_problem(struct req *r, json_object *in, const char *field,
			    json_object **canon, unsigned long long *hosts)
{
	char c[ADDR_MAX];
	unsigned long long n;
	const char *msg;
	size_t i;

	*canon = req_own(r, json_object_new_array());
	*hosts = 0;
	for (i = 0; i < json_object_array_length(in); i++) {
		msg = addr_cidr(
		    json_object_get_string(json_object_array_get_idx(in, i)), c,
		    &n);
		if (msg != NULL)
			return problem_field(
				   r,
				   arena_printf(r->arena, "%s[%zu]", field, i),
				   "%s", msg),
			       -1;
		json_object_array_add(*canon, json_object_new_string(c));
		*hosts = ULLONG_MAX - *hosts < n ? ULLONG_MAX : *hosts + n;
	}
	return 0;
}

int
discovery_settings_get(struct req *r)
{
	PGresult *res = db_query_or_problem(r, &sql_settings_get, NULL);

	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_INTERNAL,
			       "The discovery settings row is missing; quote "
			       "request %s.",
			       r->req_id);
	return shape_reply(r, 200, res, shape_settings, SQL_SETTINGS_VERSION);
}

int
discovery_settings_put(struct req *r)
{
	json_object *canon, *ranges = NULL;
	unsigned long long hosts;
	PGresult *cur, *res;
	char max[24];

	json_object_object_get_ex(r->body, "allowed_ranges", &ranges);
	if (discovery_ranges_or_problem(r, ranges, "allowed_ranges", &canon,
					&hosts) < 0)
		return r->status;
	snprintf(max, sizeof(max), "%lld",
		 valid_int(r->body, "max_hosts", 4096));
	if (db_begin_or_problem(r) < 0)
		return r->status;
	cur = db_query_or_problem(r, &sql_settings_get, NULL);
	if (cur == NULL)
		return r->status;
	if (PQntuples(cur) == 1 &&
	    shape_if_match_or_problem(r, cur, 0, SQL_SETTINGS_VERSION) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_settings_put,
				  DB_PARAMS(shape_text(r, canon), max,
					    req_actor_id(r), req_actor_name(r)));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_INTERNAL,
			       "The discovery settings row is missing; quote "
			       "request %s.",
			       r->req_id);
	if (audit_or_problem(
		r, "discovery.settings", "settings", "discovery",
		PQntuples(cur) == 1
		    ? req_own(r, shape_row(cur, 0, shape_settings, -1))
		    : NULL,
		req_own(r, shape_row(res, 0, shape_settings, -1))) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return shape_reply(r, 200, res, shape_settings, SQL_SETTINGS_VERSION);
}

int
discovery_scan_create(struct req *r)
{
	json_object *b = r->body, *cidrs = NULL, *ports = NULL, *canon, *scan;
	unsigned long long hosts;
	char id[37], total[24], timeout[16], conc[16];
	long long max;
	PGresult *res, *task;
	size_t i;
	int bad = 0;

	json_object_object_get_ex(b, "cidrs", &cidrs);
	json_object_object_get_ex(b, "ports", &ports);
	if (discovery_ranges_or_problem(r, cidrs, "cidrs", &canon, &hosts) < 0)
		return r->status;
	if (ports == NULL) {
		ports = req_own(r, json_object_new_array());
		for (i = 0; i < sizeof(discovery_default_ports) /
				    sizeof(discovery_default_ports[0]);
		     i++)
			json_object_array_add(
			    ports,
			    json_object_new_int(discovery_default_ports[i]));
	}
	snprintf(timeout, sizeof(timeout), "%lld",
		 valid_int(b, "timeout_ms", 1000));
	snprintf(conc, sizeof(conc), "%lld", valid_int(b, "concurrency", 256));
	if (db_begin_or_problem(r) < 0 || idem_begin_or_problem(r) != 0)
		return r->status;
	/* Every range inside an allowed one, and not too many hosts; the
	 * settings row stays locked (shared) until the scan is queued. */
	res = db_query_or_problem(r, &sql_ranges_allowed,
				  DB_PARAMS(shape_text(r, canon)));
	if (res == NULL)
		return r->status;
	for (i = 0; i < (size_t)PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, (int)i, 0), "t") != 0) {
			problem_field(
			    r, arena_printf(r->arena, "cidrs[%zu]", i),
			    "%s is outside the ranges an admin allowed for "
			    "discovery",
			    json_object_get_string(
				json_object_array_get_idx(canon, i)));
			bad = 1;
		}
	max = PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 1), NULL, 10) : 0;
	if (hosts > (unsigned long long)max) {
		if (hosts == ULLONG_MAX)
			problem_field(r, "cidrs",
				      "cover too many hosts; at most %lld may "
				      "be scanned at once",
				      max);
		else
			problem_field(r, "cidrs",
				      "cover %llu hosts; at most %lld may be "
				      "scanned at once",
				      hosts, max);
		bad = 1;
	}
	if (bad)
		return r->status;
	crypto_uuid(id);
	snprintf(total, sizeof(total), "%llu", hosts);
	task = db_query_or_problem(r, &sql_scan_task_insert,
				   DB_PARAMS(id, req_actor_id(r)));
	if (task == NULL)
		return r->status;
	res = db_query_or_problem(r, &sql_scan_insert,
				  DB_PARAMS(id, shape_text(r, canon),
					    shape_text(r, ports), timeout, conc,
					    total, PQgetvalue(task, 0, 0),
					    req_actor_id(r), req_actor_name(r)));
	if (res == NULL)
		return r->status;
	scan = req_own(r, shape_row(res, 0, shape_scan, -1));
	if (audit_or_problem(r, "discovery.scan", "scan", id, NULL, scan) < 0 ||
	    idem_store(r, 202, scan) < 0 || db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(
	    r, "Location",
	    arena_printf(r->arena, "/api/v1/discovery/scans/%s", id));
	return req_reply(r, 202, json_object_get(scan));
}

int
discovery_scan_list(struct req *r)
{
	struct page p;
	PGresult *res;
	long long total;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	res = db_query_or_problem(
	    r, &sql_scan_list, DB_PARAMS(req_query(r, "state"), p.lim, p.off));
	if (res == NULL)
		return r->status;
	total = page_total_or_problem(r, &p, res, &sql_scan_count,
				      DB_PARAMS(req_query(r, "state")));
	if (total < 0)
		return r->status;
	return shape_page_reply(r, res, shape_scan, -1, total, &p);
}

int
discovery_scan_get(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	PGresult *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such scan.");
	res = db_query_or_problem(r, &sql_scan_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such scan.");
	return req_reply(r, 200, shape_row(res, 0, shape_scan, -1));
}

int
discovery_scan_cancel(struct req *r)
{
	const char *id = req_path_uuid(r, "id"), *state;
	PGresult *cur, *res;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such scan.");
	if (db_begin_or_problem(r) < 0)
		return r->status;
	cur = db_query_or_problem(r, &sql_scan_lock, DB_PARAMS(id));
	if (cur == NULL)
		return r->status;
	if (PQntuples(cur) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such scan.");
	state = PQgetvalue(cur, 0, SQL_SCAN_STATE);
	if (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0)
		return problem(r, PROBLEM_CONFLICT,
			       "The scan has already ended (%s).", state);
	if (db_query_or_problem(r, &sql_scan_task_cancel, DB_PARAMS(id)) ==
	    NULL)
		return r->status;
	res = db_query_or_problem(r, &sql_scan_cancel, DB_PARAMS(id));
	if (res == NULL ||
	    audit_or_problem(r, "discovery.scan_cancel", "scan", id,
			     req_own(r, shape_row(cur, 0, shape_scan, -1)),
			     req_own(r, shape_row(res, 0, shape_scan, -1))) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	return req_reply(r, 200, shape_row(res, 0, shape_scan, -1));
}

int
discovery_scan_results(struct req *r)
{
	const char *id = req_path_uuid(r, "id");
	const char *cls = req_query(r, "classification");
	struct page p;
	PGresult *res;
	long long total;

	if (id == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such scan.");
	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_scan_get, DB_PARAMS(id));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such scan.");
	res = db_query_or_problem(r, &sql_result_list,
				  DB_PARAMS(id, cls, p.lim, p.off));
	if (res == NULL)
		return r->status;
	total = page_total_or_problem(r, &p, res, &sql_result_count,
				      DB_PARAMS(id, cls));
	if (total < 0)
		return r->status;
	return shape_page_reply(r, res, shape_result, -1, total, &p);
}
