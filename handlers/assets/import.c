/* Bulk import of targets from CSV or JSON, validated as a whole: every
 * row is created, or none and a 422 lists the errors per row
 * ("rows[i].field", i counting data rows from 0). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "audit.h"
#include "csv.h"
#include "enc.h"
#include "db.h"
#include "import.h"
#include "problem.h"
#include "req.h"
#include "shape.h"
#include "sql.h"
#include "target.h"

#define IMPORT_ROWS_MAX 5000
#define IMPORT_COLS 8

/* The CSV columns, in the documented order. */
enum import_col {
	IMPORT_NAME,
	IMPORT_HOST,
	IMPORT_OS,
	IMPORT_PROTOCOL,
	IMPORT_PORT,
	IMPORT_CREDENTIAL,
	IMPORT_TAGS,
	IMPORT_DESCRIPTION,
};

static const char *const import_cols[IMPORT_COLS] = {
    "name", "host",	  "os",	  "protocol",
    "port", "credential", "tags", "description"};

static const struct field import_json_fields[] = {
    {"targets", FIELD_ARRAY, FIELD_REQUIRED, 1, IMPORT_ROWS_MAX, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* One row to create. */
struct import_row {
	struct target_in t;
	const char *cred_name; /* CSV: the credential by name */
};

static int import_media(const char *ct, const char *want);
static size_t import_nerrors(struct req *r);
static void import_prefix(struct req *r, size_t from, size_t row);
static const char *import_field(struct req *r, size_t row, const char *f);
static long import_csv(struct req *r, struct import_row **out);
static int import_csv_row(struct req *r, size_t row, const int *map,
			  const struct csv_row *c, struct import_row *ir);
static long import_json(struct req *r, struct import_row **out);
static int import_refs(struct req *r, struct import_row *rows, long n);

/* 1 when Content-Type ct is want, parameters aside. */
static int
import_media(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static size_t
import_nerrors(struct req *r)
{
	json_object *e;

	if (r->problem == NULL ||
	    !json_object_object_get_ex(r->problem, "errors", &e))
		return 0;
	return json_object_array_length(e);
}

/* Renames the errors from index from on as fields of rows[row]. */
static void
import_prefix(struct req *r, size_t from, size_t row)
{
	json_object *errs, *e, *f;
	size_t i;

	if (r->problem == NULL ||
	    !json_object_object_get_ex(r->problem, "errors", &errs))
		return;
	for (i = from; i < json_object_array_length(errs); i++) {
		e = json_object_array_get_idx(errs, i);
		if (!json_object_object_get_ex(e, "field", &f))
			continue;
		json_object_object_add(e, "field",
				       json_object_new_string(import_field(
					   r, row, json_object_get_string(f))));
	}
}

static const char *
import_field(struct req *r, size_t row, const char *f)
{
	return arena_printf(r->arena, "rows[%zu].%s", row, f);
}

static int
import_csv_row(struct req *r, size_t row, const int *map,
	       const struct csv_row *c, struct import_row *ir)
{
	const char *v[IMPORT_COLS] = {NULL};
	const char *msg;
	json_object *tags, *j;
	char *copy, *tok, *save = NULL, *end;
	size_t i;
	long port;
	int bad = 0;

	for (i = 0; i < c->n; i++)
		v[map[i]] = *c->field[i] != '\0' ? c->field[i] : NULL;
	target_defaults(&ir->t);
	ir->t.name = v[IMPORT_NAME];
	ir->t.host = v[IMPORT_HOST];
	ir->t.description = v[IMPORT_DESCRIPTION] ? v[IMPORT_DESCRIPTION] : "";
	ir->cred_name = v[IMPORT_CREDENTIAL];
	if (ir->t.name != NULL && (enc_utf8_len(ir->t.name) > 128)) {
		problem_field(r, import_field(r, row, "name"),
			      "must be at most 128 characters");
		bad = 1;
	}
	if (enc_utf8_len(ir->t.description) > 1024) {
		problem_field(r, import_field(r, row, "description"),
			      "must be at most 1024 characters");
		bad = 1;
	}
	if (v[IMPORT_OS] != NULL) {
		if (strcmp(v[IMPORT_OS], "linux") == 0 ||
		    strcmp(v[IMPORT_OS], "windows") == 0) {
			ir->t.os = v[IMPORT_OS];
		} else {
			problem_field(r, import_field(r, row, "os"),
				      "must be linux or windows");
			return -1;
		}
	}
	if (v[IMPORT_PROTOCOL] != NULL) {
		if (strcmp(v[IMPORT_PROTOCOL], "ssh") == 0 ||
		    strcmp(v[IMPORT_PROTOCOL], "winrm") == 0) {
			ir->t.protocol = v[IMPORT_PROTOCOL];
		} else {
			problem_field(r, import_field(r, row, "protocol"),
				      "must be ssh or winrm");
			bad = 1;
		}
	}
	if (v[IMPORT_PORT] != NULL) {
		port = strtol(v[IMPORT_PORT], &end, 10);
		if (!isdigit((unsigned char)v[IMPORT_PORT][0]) ||
		    *end != '\0' || port < 1 || port > 65535) {
			problem_field(r, import_field(r, row, "port"),
				      "must be a port from 1 to 65535");
			bad = 1;
		} else {
			ir->t.port = port;
		}
	}
	if (v[IMPORT_TAGS] != NULL) {
		tags = req_own(r, json_object_new_array());
		copy = arena_strdup(r->arena, v[IMPORT_TAGS]);
		for (tok = strtok_r(copy, ";", &save); tok != NULL;
		     tok = strtok_r(NULL, ";", &save)) {
			j = json_object_new_string(tok);
			json_object_array_add(tags, j);
		}
		msg = json_object_array_length(tags) > 64
			  ? "must be at most 64 tags"
			  : target_check_tags(r, tags);
		if (msg != NULL) {
			problem_field(r, import_field(r, row, "tags"), "%s",
				      msg);
			bad = 1;
		}
		ir->t.tags = tags;
	}
	if (target_check(r, import_field(r, row, ""), &ir->t) > 0)
		bad = 1;
	return bad ? -1 : 0;
}

static long
import_csv(struct req *r, struct import_row **out)
{
	struct csv_row *c;
	struct import_row *rows;
	const char *why;
	size_t line, i, j;
	int map[IMPORT_COLS], seen[IMPORT_COLS] = {0};
	long n, k;

	if (!enc_utf8_valid(r->raw_body, r->raw_len))
		return problem(r, PROBLEM_BAD_REQUEST,
			       "The CSV is not valid UTF-8."),
		       -1;
	n = csv_parse(r->arena, r->raw_body, r->raw_len, IMPORT_ROWS_MAX + 1,
		      IMPORT_COLS, &c, &line, &why);
	if (n < 0)
		return problem(r, PROBLEM_BAD_REQUEST,
			       "The CSV is malformed at line %zu: %s.", line,
			       why),
		       -1;
	if (n < 2)
		return problem(r, PROBLEM_BAD_REQUEST,
			       "The CSV needs a header line (name,host,os,"
			       "protocol,port,credential,tags,description) and "
			       "at least one row."),
		       -1;
	for (i = 0; i < c[0].n; i++) {
		for (j = 0; j < IMPORT_COLS; j++)
			if (strcasecmp(c[0].field[i], import_cols[j]) == 0)
				break;
		if (j == IMPORT_COLS || seen[j]) {
			problem_field(r, "header",
				      j == IMPORT_COLS
					  ? "column \"%.64s\" is not one of "
					    "name, host, os, protocol, port, "
					    "credential, tags, description"
					  : "column \"%.64s\" appears twice",
				      c[0].field[i]);
			continue;
		}
		seen[j] = 1;
		map[i] = (int)j;
	}
	for (j = 0; j <= IMPORT_OS; j++)
		if (!seen[j])
			problem_field(r, "header",
				      "the column \"%s\" is required",
				      import_cols[j]);
	if (r->problem != NULL)
		return -1;
	rows = arena_alloc(r->arena, sizeof(*rows) * (size_t)(n - 1));
	for (k = 1; k < n; k++) {
		if (c[k].n != c[0].n) {
			problem_field(r, import_field(r, (size_t)k - 1, "row"),
				      "has %zu fields; the header has %zu "
				      "(line %zu)",
				      c[k].n, c[0].n, c[k].line);
			continue;
		}
		import_csv_row(r, (size_t)k - 1, map, &c[k], &rows[k - 1]);
	}
	*out = rows;
	return r->problem != NULL ? -1 : n - 1;
}

static long
import_json(struct req *r, struct import_row **out)
{
	json_object *body, *list, *o;
	struct import_row *rows;
	size_t i, n, from;

	if (valid_parse_or_problem(r, &body) < 0 ||
	    valid_object_or_problem(r, body, import_json_fields) < 0)
		return -1;
	json_object_object_get_ex(body, "targets", &list);
	n = json_object_array_length(list);
	rows = arena_alloc(r->arena, sizeof(*rows) * n);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(list, i);
		if (o == NULL || !json_object_is_type(o, json_type_object)) {
			problem_field(r, arena_printf(r->arena, "rows[%zu]", i),
				      "must be an object");
			continue;
		}
		from = import_nerrors(r);
		if (valid_object_or_problem(r, o, target_create_fields) < 0) {
			import_prefix(r, from, i);
			continue;
		}
		target_defaults(&rows[i].t);
		target_from_json(o, &rows[i].t);
		target_check(r, import_field(r, i, ""), &rows[i].t);
	}
	*out = rows;
	return r->problem != NULL ? -1 : (long)n;
}

/* Names unique in the import and unused; credentials exist and suit. */
static int
import_refs(struct req *r, struct import_row *rows, long n)
{
	json_object *names = req_own(r, json_object_new_array());
	json_object *creds = req_own(r, json_object_new_array());
	PGresult *taken, *cr;
	long i, j;
	int k, found;

	for (i = 0; i < n; i++) {
		json_object_array_add(names,
				      json_object_new_string(rows[i].t.name));
		if (rows[i].cred_name != NULL)
			json_object_array_add(
			    creds, json_object_new_string(rows[i].cred_name));
		for (j = 0; j < i; j++)
			if (strcmp(rows[j].t.name, rows[i].t.name) == 0) {
				problem_field(
				    r, import_field(r, (size_t)i, "name"),
				    "repeats the name of rows[%ld]", j);
				break;
			}
	}
	taken = db_query_or_problem(r, &sql_target_names_taken,
				    DB_PARAMS(shape_text(r, names)));
	if (taken == NULL)
		return -1;
	cr = db_query_or_problem(r, &sql_cred_by_names,
				 DB_PARAMS(shape_text(r, creds)));
	if (cr == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < PQntuples(taken); k++)
			if (strcmp(PQgetvalue(taken, k, 0), rows[i].t.name) ==
			    0)
				problem_field(
				    r, import_field(r, (size_t)i, "name"),
				    "is the name of an existing "
				    "target");
		if (rows[i].cred_name != NULL) {
			found = -1;
			for (k = 0; k < PQntuples(cr); k++)
				if (strcmp(PQgetvalue(cr, k, 1),
					   rows[i].cred_name) == 0)
					found = k;
			if (found < 0) {
				problem_field(
				    r, import_field(r, (size_t)i, "credential"),
				    "no credential is named \"%.128s\"",
				    rows[i].cred_name);
				continue;
			}
			rows[i].t.credential_id = PQgetvalue(cr, found, 0);
			if (target_cred_or_problem(
				r, import_field(r, (size_t)i, ""), "credential",
				&rows[i].t, PQgetvalue(cr, found, 2)) < 0 &&
			    r->status != 422)
				return -1;
		} else if (rows[i].t.credential_id != NULL &&
			   target_cred_or_problem(
			       r, import_field(r, (size_t)i, ""), NULL,
			       &rows[i].t, NULL) < 0 &&
			   r->status != 422) {
			return -1;
		}
	}
	return r->problem != NULL ? -1 : 0;
}

int
import_targets(struct req *r)
{
	struct import_row *rows = NULL;
	json_object *ids, *o, *after;
	PGresult *res;
	long n, i;

	if (r->raw_len == 0)
		return problem(r, PROBLEM_BAD_REQUEST,
			       "Send the targets as text/csv or as "
			       "application/json {\"targets\": [...]}.");
	if (import_media(r->content_type, "text/csv"))
		n = import_csv(r, &rows);
	else if (import_media(r->content_type, "application/json"))
		n = import_json(r, &rows);
	else
		return problem(r, PROBLEM_UNSUPPORTED_MEDIA,
			       "Send the targets as text/csv or "
			       "application/json.");
	if (n < 0)
		return r->status;
	if (db_begin_or_problem(r) < 0 || import_refs(r, rows, n) < 0)
		return r->status;
	ids = req_own(r, json_object_new_array());
	for (i = 0; i < n; i++) {
		res = target_insert_or_problem(r, &rows[i].t);
		if (res == NULL)
			return r->status;
		json_object_array_add(
		    ids, json_object_new_string(PQgetvalue(res, 0, 0)));
		after = req_own(r, shape_row(res, 0, shape_target, -1));
		if (audit_or_problem(r, "target.import", "target",
				     PQgetvalue(res, 0, 0), NULL, after) < 0)
			return r->status;
	}
	if (db_commit_or_problem(r) < 0)
		return r->status;
	o = json_object_new_object();
	json_object_object_add(o, "created", json_object_new_int64(n));
	json_object_object_add(o, "ids", json_object_get(ids));
	return req_reply(r, 201, o);
}
