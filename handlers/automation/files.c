/* Job attachments: stored in the database with their SHA-256; sent to
 * targets by sftp.upload steps. */
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auto.h"
#include "db.h"
#include "enc.h"
#include "files.h"
#include "problem.h"
#include "req.h"
#include "sql.h"

static const char *files_check_name(struct req *r, json_object *v);

const struct field files_upload_query[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 255, NULL, files_check_name},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static const char *const files_yes_no[] = {"1", "true", "0", "false", NULL};

const struct field files_get_query[] = {
    {"download", FIELD_ENUM, 0, 0, 0, files_yes_no, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static int files_job_or_problem(struct req *r, const char *job, int lock);

/* A plain file name: no directories, no control characters. */
static const char *
files_check_name(struct req *r, json_object *v)
{
	const char *s = json_object_get_string(v), *p;

	(void)r;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "must be a file name";
	for (p = s; *p != '\0'; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			return "must be a file name without / \\ or control "
			       "characters";
	return NULL;
}

/* 0 when the job exists (and is locked, in a transaction, with lock). */
static int
files_job_or_problem(struct req *r, const char *job, int lock)
{
	PGresult *res;

	if (job == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job."),
		       -1;
	if (lock && db_begin_or_problem(r) < 0)
		return -1;
	res = db_query_or_problem(r, lock ? &sql_job_lock : &sql_job_get,
				  DB_PARAMS(job));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such job."),
		       -1;
	return 0;
}

int
files_upload(struct req *r)
{
	const char *job = req_path_uuid(r, "id"), *name = req_query(r, "name");
	char *hex;
	PGresult *res;
	json_object *after;

	if (files_job_or_problem(r, job, 1) < 0)
		return r->status;
	hex = arena_alloc(r->arena, r->raw_len * 2 + 1);
	enc_hex(hex, (const unsigned char *)r->raw_body, r->raw_len);
	res = db_query_or_problem(
	    r, &sql_file_insert,
	    DB_PARAMS(job, name, hex, req_actor_id(r), req_actor_name(r)));
	if (res == NULL) {
		if (r->status == 409)
			return problem(r, PROBLEM_CONFLICT,
				       "The job has a file named \"%s\" "
				       "already; delete it first.",
				       name);
		return r->status;
	}
	after = req_own(r, auto_json(res, 0, 0));
	if (audit_or_problem(r, "job.file_upload", "job", job, NULL, after) <
		0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	req_header_add(r, "Location",
		       arena_printf(r->arena, "/api/v1/jobs/%s/files/%s", job,
				    json_object_get_string(
					json_object_object_get(after, "id"))));
	return req_reply(r, 201, json_object_get(after));
}

int
files_list(struct req *r)
{
	const char *job = req_path_uuid(r, "id");
	json_object *o, *items;
	PGresult *res;
	int i;

	if (files_job_or_problem(r, job, 0) < 0)
		return r->status;
	res = db_query_or_problem(r, &sql_file_list, DB_PARAMS(job));
	if (res == NULL)
		return r->status;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, auto_json(res, i, 0));
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", json_object_new_int(i));
	return req_reply(r, 200, o);
}

int
files_get(struct req *r)
{
	const char *job = req_path_uuid(r, "id");
	const char *file = req_path_uuid(r, "file_id");
	const char *dl = req_query(r, "download");
	PGresult *res;

	if (files_job_or_problem(r, job, 0) < 0)
		return r->status;
	if (file == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such file.");
	if (dl != NULL && (strcmp(dl, "true") == 0 || strcmp(dl, "1") == 0)) {
		res = db_query_or_problem(r, &sql_file_content,
					  DB_PARAMS(job, file));
		if (res == NULL)
			return r->status;
		if (PQntuples(res) != 1)
			return problem(r, PROBLEM_NOT_FOUND,
				       "There is no such file.");
		return auto_reply_bytes(r, PQgetvalue(res, 0, 1),
					PQgetvalue(res, 0, 0),
					"application/octet-stream");
	}
	res = db_query_or_problem(r, &sql_file_get, DB_PARAMS(job, file));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such file.");
	return req_reply(r, 200, auto_json(res, 0, 0));
}

int
files_delete(struct req *r)
{
	const char *job = req_path_uuid(r, "id");
	const char *file = req_path_uuid(r, "file_id");
	PGresult *res;

	if (files_job_or_problem(r, job, 1) < 0)
		return r->status;
	if (file == NULL)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such file.");
	res = db_query_or_problem(r, &sql_file_delete, DB_PARAMS(job, file));
	if (res == NULL)
		return r->status;
	if (PQntuples(res) != 1)
		return problem(r, PROBLEM_NOT_FOUND, "There is no such file.");
	if (audit_or_problem(r, "job.file_delete", "job", job,
			     req_own(r, auto_json(res, 0, 0)), NULL) < 0 ||
	    db_commit_or_problem(r) < 0)
		return r->status;
	r->status = 204;
	return 204;
}
