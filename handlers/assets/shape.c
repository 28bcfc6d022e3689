/* JSON shapes of the assets objects, driven by the column lists of sql.h,
 * their ETags and If-Match checks, and small shared helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"

const struct shape_col shape_target[] = {
    {"id", SHAPE_STR},
    {"name", SHAPE_STR},
    {"host", SHAPE_STR},
    {"os", SHAPE_STR},
    {"protocol", SHAPE_STR},
    {"port", SHAPE_INT},
    {"winrm_https", SHAPE_BOOL},
    {"winrm_auth", SHAPE_STR},
    {"winrm_verify_tls", SHAPE_BOOL},
    {"ssh_user", SHAPE_STR},
    {"ssh_host_key", SHAPE_STR},
    {"ssh_host_key_type", SHAPE_STR},
    {"ssh_host_key_pending", SHAPE_STR},
    {"ssh_host_key_pending_type", SHAPE_STR},
    {"credential_id", SHAPE_STR},
    {"credential_name", SHAPE_STR},
    {"tags", SHAPE_JSON},
    {"description", SHAPE_STR},
    {"enabled", SHAPE_BOOL},
    {"reachability", SHAPE_STR},
    {"last_test", SHAPE_JSON},
    {"last_test_at", SHAPE_STR},
    {"detected_os", SHAPE_STR},
    {"test_task.id", SHAPE_STR},
    {"test_task.state", SHAPE_STR},
    {"created_by.id", SHAPE_STR},
    {"created_by.username", SHAPE_STR},
    {"updated_by.id", SHAPE_STR},
    {"updated_by.username", SHAPE_STR},
    {"created_at", SHAPE_STR},
    {"updated_at", SHAPE_STR},
    {"version", SHAPE_INT},
    {NULL, 0}};

const struct shape_col shape_cred[] = {{"id", SHAPE_STR},
				       {"name", SHAPE_STR},
				       {"type", SHAPE_STR},
				       {"username", SHAPE_STR},
				       {"domain", SHAPE_STR},
				       {"key_type", SHAPE_STR},
				       {"key_fingerprint", SHAPE_STR},
				       {"key_version", SHAPE_INT},
				       {"description", SHAPE_STR},
				       {"used_by_targets", SHAPE_INT},
				       {"created_by.id", SHAPE_STR},
				       {"created_by.username", SHAPE_STR},
				       {"updated_by.id", SHAPE_STR},
				       {"updated_by.username", SHAPE_STR},
				       {"created_at", SHAPE_STR},
				       {"updated_at", SHAPE_STR},
				       {"version", SHAPE_INT},
				       {NULL, 0}};

const struct shape_col shape_group[] = {{"id", SHAPE_STR},
					{"name", SHAPE_STR},
					{"description", SHAPE_STR},
					{"dynamic", SHAPE_BOOL},
					{"filter", SHAPE_JSON},
					{"member_count", SHAPE_INT},
					{"created_by.id", SHAPE_STR},
					{"created_by.username", SHAPE_STR},
					{"updated_by.id", SHAPE_STR},
					{"updated_by.username", SHAPE_STR},
					{"created_at", SHAPE_STR},
					{"updated_at", SHAPE_STR},
					{"version", SHAPE_INT},
					{NULL, 0}};

const struct shape_col shape_scan[] = {{"id", SHAPE_STR},
				       {"state", SHAPE_STR},
				       {"cidrs", SHAPE_JSON},
				       {"ports", SHAPE_JSON},
				       {"timeout_ms", SHAPE_INT},
				       {"concurrency", SHAPE_INT},
				       {"hosts_total", SHAPE_INT},
				       {"hosts_done", SHAPE_INT},
				       {"found", SHAPE_INT},
				       {"task_id", SHAPE_STR},
				       {"error", SHAPE_STR},
				       {"created_by.id", SHAPE_STR},
				       {"created_by.username", SHAPE_STR},
				       {"created_at", SHAPE_STR},
				       {"started_at", SHAPE_STR},
				       {"finished_at", SHAPE_STR},
				       {NULL, 0}};

const struct shape_col shape_result[] = {{"address", SHAPE_STR},
					 {"reverse_name", SHAPE_STR},
					 {"open_ports", SHAPE_JSON},
					 {"ssh_banner", SHAPE_STR},
					 {"winrm_product", SHAPE_STR},
					 {"classification", SHAPE_STR},
					 {"already_target", SHAPE_BOOL},
					 {"found_at", SHAPE_STR},
					 {NULL, 0}};

const struct shape_col shape_settings[] = {{"allowed_ranges", SHAPE_JSON},
					   {"max_hosts", SHAPE_INT},
					   {"updated_by.id", SHAPE_STR},
					   {"updated_by.username", SHAPE_STR},
					   {"updated_at", SHAPE_STR},
					   {"version", SHAPE_INT},
					   {NULL, 0}};

const struct shape_col shape_task[] = {
    {"id", SHAPE_STR},		{"kind", SHAPE_STR},
    {"state", SHAPE_STR},	{"target_id", SHAPE_STR},
    {"result", SHAPE_JSON},	{"error", SHAPE_STR},
    {"attempts", SHAPE_INT},	{"cancel_requested", SHAPE_BOOL},
    {"created_at", SHAPE_STR},	{"started_at", SHAPE_STR},
    {"finished_at", SHAPE_STR}, {NULL, 0}};

/* Each shape has one member per column of its list in sql.h. */
#define SHAPE_COUNT(a) (sizeof(a) / sizeof((a)[0]) - 1)
_Static_assert(SHAPE_COUNT(shape_target) == SQL_TARGET_NCOLS, "targets");
_Static_assert(SHAPE_COUNT(shape_cred) == SQL_CRED_NCOLS, "credentials");
_Static_assert(SHAPE_COUNT(shape_group) == SQL_GROUP_NCOLS, "groups");
_Static_assert(SHAPE_COUNT(shape_scan) == SQL_SCAN_NCOLS, "scans");
_Static_assert(SHAPE_COUNT(shape_result) == SQL_RESULT_NCOLS, "results");
_Static_assert(SHAPE_COUNT(shape_settings) == SQL_SETTINGS_NCOLS, "settings");
_Static_assert(SHAPE_COUNT(shape_task) == SQL_TASK_NCOLS, "tasks");

static json_object *shape_value(const PGresult *res, int row, int col,
				enum shape_kind kind);

static json_object *
shape_value(const PGresult *res, int row, int col, enum shape_kind kind)
{
	const char *v = db_value(res, row, col);
	json_object *o;

	if (v == NULL)
		return NULL;
	switch (kind) {
	case SHAPE_INT:
		return json_object_new_int64(strtoll(v, NULL, 10));
	case SHAPE_BOOL:
		return json_object_new_boolean(strcmp(v, "t") == 0);
	case SHAPE_JSON:
		o = json_tokener_parse(v);
		return o;
	case SHAPE_STR:
		break;
	}
	return json_object_new_string(v);
}

json_object *
shape_row(const PGresult *res, int row, const struct shape_col *cols, int n)
{
	json_object *o = json_object_new_object(), *parent;
	char key[64];
	const char *dot;
	int i;

	for (i = 0; cols[i].name != NULL && (n < 0 || i < n); i++) {
		dot = strchr(cols[i].name, '.');
		if (dot == NULL) {
			json_object_object_add(
			    o, cols[i].name,
			    shape_value(res, row, i, cols[i].kind));
			continue;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(dot - cols[i].name),
			 cols[i].name);
		if (!json_object_object_get_ex(o, key, &parent)) {
			/* Its first member is its id: without one, the
			 * nested object is null. */
			parent = db_value(res, row, i) != NULL
				     ? json_object_new_object()
				     : NULL;
			json_object_object_add(o, key, parent);
		}
		if (parent != NULL)
			json_object_object_add(
			    parent, dot + 1,
			    shape_value(res, row, i, cols[i].kind));
	}
	return o;
}

json_object *
shape_rows(const PGresult *res, const struct shape_col *cols, int n)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(a, shape_row(res, i, cols, n));
	return a;
}

/* One value of a shaped row as JSON text. */
static void
shape_value_text(struct buf *b, const PGresult *res, int row, int col,
		 enum shape_kind kind)
{
	const char *v = db_value(res, row, col);

	if (v == NULL) {
		buf_puts(b, "null");
		return;
	}
	switch (kind) {
	case SHAPE_INT:
		buf_printf(b, "%lld", strtoll(v, NULL, 10));
		return;
	case SHAPE_BOOL:
		buf_puts(b, strcmp(v, "t") == 0 ? "true" : "false");
		return;
	case SHAPE_JSON:
		/* jsonb text from PostgreSQL: valid JSON as it is. */
		buf_puts(b, v);
		return;
	case SHAPE_STR:
		break;
	}
	buf_json_string(b, v);
}

/* Row row of res as the JSON text of shape_row(res, row, cols, n):
 * "a.b" columns of one prefix form a nested object, null when its first
 * member is. */
static void
shape_row_text(struct buf *b, const PGresult *res, int row,
	       const struct shape_col *cols, int n)
{
	const char *dot, *open = NULL;
	size_t open_len = 0;
	int i, skip = 0;

	buf_puts(b, "{");
	for (i = 0; cols[i].name != NULL && (n < 0 || i < n); i++) {
		dot = strchr(cols[i].name, '.');
		if (open != NULL &&
		    (dot == NULL || (size_t)(dot - cols[i].name) != open_len ||
		     strncmp(cols[i].name, open, open_len) != 0)) {
			if (!skip)
				buf_puts(b, "}");
			open = NULL;
			skip = 0;
		}
		if (open != NULL && skip)
			continue;
		if (open == NULL && i > 0)
			buf_puts(b, ",");
		if (dot == NULL) {
			buf_json_string(b, cols[i].name);
			buf_puts(b, ":");
			shape_value_text(b, res, row, i, cols[i].kind);
			continue;
		}
		if (open == NULL) {
			open = cols[i].name;
			open_len = (size_t)(dot - cols[i].name);
			buf_printf(b, "\"%.*s\":", (int)open_len, open);
			skip = db_value(res, row, i) == NULL;
			buf_puts(b, skip ? "null" : "{");
			if (skip)
				continue;
		} else {
			buf_puts(b, ",");
		}
		buf_json_string(b, dot + 1);
		buf_puts(b, ":");
		shape_value_text(b, res, row, i, cols[i].kind);
	}
	if (open != NULL && !skip)
		buf_puts(b, "}");
	buf_puts(b, "}");
}

void
shape_rows_text(struct buf *b, const PGresult *res,
		const struct shape_col *cols, int n)
{
	int i;

	buf_puts(b, "[");
	for (i = 0; i < PQntuples(res); i++) {
		if (i > 0)
			buf_puts(b, ",");
		shape_row_text(b, res, i, cols, n);
	}
	buf_puts(b, "]");
}

int
shape_page_reply(struct req *r, const PGresult *res,
		 const struct shape_col *cols, int n, long long total,
		 const struct page *p)
{
	struct buf b;
	int rc;

	buf_init(&b, (size_t)-1 / 2);
	shape_rows_text(&b, res, cols, n);
	rc = page_reply_text(r, b.data, b.len, total, p);
	buf_cleanup(&b);
	return rc;
}

void
shape_etag(struct req *r, const PGresult *res, int row, int col)
{
	req_etag(r, PQgetvalue(res, row, col));
}

int
shape_if_match_or_problem(struct req *r, const PGresult *res, int row, int col)
{
	return req_if_match_or_problem(r, PQgetvalue(res, row, col));
}

const char *
shape_tf(int b)
{
	return b ? "t" : "f";
}

const char *
shape_text(struct req *r, json_object *o)
{
	return arena_strdup(r->arena, json_object_to_json_string_ext(
					  o, JSON_C_TO_STRING_PLAIN));
}

int
shape_reply(struct req *r, int status, const PGresult *res,
	    const struct shape_col *cols, int version_col)
{
	shape_etag(r, res, 0, version_col);
	return req_reply(r, status, shape_row(res, 0, cols, -1));
}
