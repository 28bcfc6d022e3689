/* Jobs through nginx: the step library, create with defaults written out,
 * read, ETag/If-Match (412 stale, 428 missing), versions, list and search,
 * attachments with their checksum and content, roles, delete (409 while a
 * run is queued), and the audit trail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"
#define UUID_RE "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

static const char *job_body(const char *name, const char *cmd);

/* A local job: two steps, a parameter used in a template. */
static const char *
job_body(const char *name, const char *cmd)
{
	return tc_printf(
	    "{\"name\":%s,\"description\":\"d\",\"parameters\":["
	    "{\"name\":\"url\",\"type\":\"string\",\"required\":true,"
	    "\"regex\":\"^https?://\"}],"
	    "\"steps\":[{\"id\":\"wait\",\"type\":\"local.sleep\","
	    "\"inputs\":{\"seconds\":%s},\"on_success\":[\"call\"]},"
	    "{\"id\":\"call\",\"type\":\"http.request\",\"inputs\":"
	    "{\"url\":\"{{ params.url }}\",\"headers\":{\"X-A\":"
	    "\"{{ steps.wait.exit_code }}\"}}}]}",
	    tc_quote(name), cmd);
}

int
main(void)
{
	struct tc_user *op, *viewer, *admin;
	const char *tok, *name, *id, *etag, *fid, *run;
	static const char content[] = "line one\n\0binary\xff\x01 end";
	const size_t clen = sizeof(content) - 1;
	struct tc_res *r;
	long long n;

	tc_init(60);
	op = tc_new_user("jobop", "operator");
	viewer = tc_new_user("jobview", "viewer");
	admin = tc_new_user("jobadm", "admin");
	if (op == NULL || viewer == NULL || admin == NULL)
		BAIL_OUT("cannot create users");
	tok = op->token;

	/* The step library. */
	r = tc_get(viewer->token, "/api/v1/step-types");
	tc_status_is(r, 200, "viewer lists step types");
	cmp_ok(tc_int(r, "total", 0), "==", 9, "nine step types");
	r = tc_get(viewer->token, "/api/v1/step-types/ssh.command");
	tc_status_is(r, 200, "one step type");
	is(tc_str(r, "inputs.0.name"), "command", "ssh.command input command");
	is(tc_str(r, "inputs.0.quote"), "shell", "... quoted for the shell");
	is(tc_str(r, "where"), "ssh", "... runs over ssh");
	tc_problem_is(tc_get(viewer->token, "/api/v1/step-types/nope"), 404,
		      "not-found", "unknown step type");
	tc_problem_is(tc_get(NULL, "/api/v1/step-types"), 401, "unauthorized",
		      "anonymous refused");

	/* Create. */
	name = tc_name("job");
	r = tc_req("POST", "/api/v1/jobs", viewer->token, job_body(name, "0"));
	tc_problem_is(r, 403, "forbidden", "a viewer cannot create a job");
	r = tc_req("POST", "/api/v1/jobs", tok, job_body(name, "0"));
	tc_status_is(r, 201, "operator creates a job");
	id = tc_str(r, "id");
	like(id, UUID_RE, "... with an id");
	is(tc_str(r, "current_version"), "1", "... version 1");
	is(tc_header(r, "ETag"), "\"1\"", "... ETag \"1\"");
	like(tc_header(r, "Location"), "^/api/v1/jobs/", "... Location");
	is(tc_str(r, "definition.start"), "wait",
	   "start defaults to the first");
	is(tc_str(r, "definition.max_parallel"), "10", "max_parallel default");
	is(tc_str(r, "definition.timeout_s"), "3600", "timeout_s default");
	is(tc_str(r, "definition.step_timeout_s"), "600",
	   "step_timeout_s default");
	is(tc_str(r, "definition.allow_overlap"), "true",
	   "allow_overlap default");
	is(tc_str(r, "definition.on_worker_lost"), "fail",
	   "on_worker_lost default");
	is(tc_str(r, "created_by_name"), op->username, "created_by_name");
	r = tc_req("POST", "/api/v1/jobs", tok, job_body(name, "1"));
	tc_problem_is(r, 409, "conflict", "a second job of the same name");

	/* Read. */
	r = tc_get(viewer->token, "/api/v1/jobs/%s", id);
	tc_status_is(r, 200, "viewer reads the job");
	is(tc_str(r, "name"), name, "... its name");
	is(tc_str(r, "definition.steps.1.inputs.url"), "{{ params.url }}",
	   "... the template kept as written");
	is(tc_header(r, "ETag"), "\"1\"", "... ETag");
	tc_problem_is(tc_get(tok, "/api/v1/jobs/%s", NOID), 404, "not-found",
		      "unknown job");
	tc_problem_is(tc_get(tok, "/api/v1/jobs/nope"), 404, "not-found",
		      "job id not a uuid");

	/* Replace: If-Match required and checked. */
	r = tc_req("PUT", tc_printf("/api/v1/jobs/%s", id), tok,
		   job_body(name, "2"));
	tc_problem_is(r, 428, "precondition-required", "PUT without If-Match");
	r = tc_req_opt("PUT", tc_printf("/api/v1/jobs/%s", id), tok,
		       job_body(name, "2"),
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"7\"", NULL}});
	tc_problem_is(r, 412, "precondition-failed", "PUT with a stale ETag");
	r = tc_req_opt("PUT", tc_printf("/api/v1/jobs/%s", id), viewer->token,
		       job_body(name, "2"),
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"1\"", NULL}});
	tc_problem_is(r, 403, "forbidden", "a viewer cannot edit");
	r = tc_req_opt("PUT", tc_printf("/api/v1/jobs/%s", id), tok,
		       job_body(name, "2"),
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"1\"", NULL}});
	tc_status_is(r, 200, "PUT with the current ETag");
	is(tc_str(r, "current_version"), "2", "... version 2");
	etag = tc_header(r, "ETag");
	is(etag, "\"2\"", "... ETag \"2\"");
	is(tc_str(r, "definition.steps.0.inputs.seconds"), "2",
	   "... the new definition");
	r = tc_req_opt("PUT", tc_printf("/api/v1/jobs/%s", id), tok,
		       job_body(name, "3"),
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"1\"", NULL}});
	tc_problem_is(r, 412, "precondition-failed",
		      "the old ETag is stale now");
	r = tc_req_opt("PUT", tc_printf("/api/v1/jobs/%s", id), tok,
		       "{\"name\":\"x\",\"steps\":[{\"id\":\"a\",\"type\":"
		       "\"nope\"}]}",
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"2\"", NULL}});
	tc_problem_is(r, 422, "validation", "an invalid PUT is a 422");
	ok(tc_has_field_error(r, "steps[0].type"), "... on steps[0].type");
	is(tc_db_value("SELECT current_version::text FROM automation.jobs "
		       "WHERE id = $1",
		       id, NULL),
	   "2", "... and changes nothing");

	/* Versions. */
	r = tc_get(viewer->token, "/api/v1/jobs/%s/versions", id);
	tc_status_is(r, 200, "versions");
	cmp_ok(tc_int(r, "total", 0), "==", 2, "two versions");
	is(tc_str(r, "items.0.version"), "2", "newest first");
	r = tc_get(viewer->token, "/api/v1/jobs/%s/versions/1", id);
	tc_status_is(r, 200, "version 1");
	is(tc_str(r, "definition.steps.0.inputs.seconds"), "0",
	   "... with its own definition");
	tc_problem_is(tc_get(tok, "/api/v1/jobs/%s/versions/3", id), 404,
		      "not-found", "no version 3");
	tc_problem_is(tc_get(tok, "/api/v1/jobs/%s/versions/x", id), 404,
		      "not-found", "version not a number");

	/* List and search. */
	r = tc_get(viewer->token, "/api/v1/jobs?q=%s", name);
	tc_status_is(r, 200, "search jobs");
	cmp_ok(tc_int(r, "total", 0), "==", 1, "... finds one");
	is(tc_str(r, "items.0.id"), id, "... this one");
	is(tc_str(r, "items.0.step_count"), "2", "... with its step count");
	r = tc_get(viewer->token, "/api/v1/jobs?limit=1");
	tc_status_is(r, 200, "list with a limit");
	cmp_ok(json_object_array_length(tc_json(r->json, "items")), "==", 1,
	       "... one item");
	tc_problem_is(tc_get(viewer->token, "/api/v1/jobs?colour=1"), 400,
		      "bad-request", "unknown query parameter");

	/* Attachments. */
	r = tc_req_opt(
	    "POST", tc_printf("/api/v1/jobs/%s/files?name=app.bin", id),
	    viewer->token, NULL,
	    &(struct tc_opt){.raw = content,
			     .raw_len = clen,
			     .content_type = "application/octet-stream"});
	tc_problem_is(r, 403, "forbidden", "a viewer cannot upload");
	r = tc_req_opt(
	    "POST", tc_printf("/api/v1/jobs/%s/files?name=app.bin", id), tok,
	    NULL,
	    &(struct tc_opt){.raw = content,
			     .raw_len = clen,
			     .content_type = "application/octet-stream"});
	tc_status_is(r, 201, "upload a file");
	fid = tc_str(r, "id");
	cmp_ok(tc_int(r, "size", -1), "==", (long long)clen, "... its size");
	is(tc_str(r, "sha256"),
	   tc_db_value("SELECT encode(sha256(decode($1, 'hex')), 'hex')",
		       "6c696e65206f6e650a0062696e617279ff0120656e64", NULL),
	   "... its SHA-256");
	r = tc_req_opt(
	    "POST", tc_printf("/api/v1/jobs/%s/files?name=app.bin", id), tok,
	    NULL,
	    &(struct tc_opt){
		.raw = "x", .raw_len = 1, .content_type = "text/plain"});
	tc_problem_is(r, 409, "conflict", "the same name twice");
	r = tc_req_opt(
	    "POST", tc_printf("/api/v1/jobs/%s/files?name=a%%2Fb", id), tok,
	    NULL,
	    &(struct tc_opt){
		.raw = "x", .raw_len = 1, .content_type = "text/plain"});
	tc_problem_is(r, 422, "validation", "a name with a slash");
	ok(tc_has_field_error(r, "name"), "... on name");
	r = tc_req_opt(
	    "POST", tc_printf("/api/v1/jobs/%s/files", id), tok, NULL,
	    &(struct tc_opt){
		.raw = "x", .raw_len = 1, .content_type = "text/plain"});
	tc_problem_is(r, 422, "validation", "no name");
	r = tc_get(viewer->token, "/api/v1/jobs/%s/files", id);
	tc_status_is(r, 200, "list files");
	cmp_ok(tc_int(r, "total", 0), "==", 1, "... one");
	is(tc_str(r, "items.0.name"), "app.bin", "... its name");
	r = tc_get(viewer->token, "/api/v1/jobs/%s/files/%s", id, fid);
	tc_status_is(r, 200, "file metadata");
	is(tc_str(r, "name"), "app.bin", "... name");
	r = tc_get(viewer->token, "/api/v1/jobs/%s/files/%s?download=1", id,
		   fid);
	tc_status_is(r, 200, "download the file");
	cmp_ok((long long)r->body_len, "==", (long long)clen,
	       "... every byte, NUL included");
	ok(r->body_len == clen && memcmp(r->body, content, clen) == 0,
	   "... the same bytes");
	like(tc_header(r, "Content-Disposition"), "filename=\"app.bin\"",
	     "... as an attachment");
	{
		/* Larger than the 64 KiB default body limit. */
		size_t big = 300000;
		char *buf = malloc(big);

		memset(buf, 'z', big);
		r = tc_req_opt("POST",
			       tc_printf("/api/v1/jobs/%s/files?name=big", id),
			       tok, NULL,
			       &(struct tc_opt){
				   .raw = buf,
				   .raw_len = big,
				   .content_type = "application/octet-stream"});
		tc_status_is(r, 201, "upload a 300 kB file");
		cmp_ok(tc_int(r, "size", -1), "==", (long long)big,
		       "... all of it");
		free(buf);
	}
	r = tc_req("DELETE", tc_printf("/api/v1/jobs/%s/files/%s", id, fid),
		   viewer->token, NULL);
	tc_problem_is(r, 403, "forbidden", "a viewer cannot delete a file");
	r = tc_req("DELETE", tc_printf("/api/v1/jobs/%s/files/%s", id, fid),
		   tok, NULL);
	tc_status_is(r, 204, "delete the file");
	tc_problem_is(tc_get(tok, "/api/v1/jobs/%s/files/%s", id, fid), 404,
		      "not-found", "... gone");

	/* Delete: refused while a run is queued. */
	r = tc_req("POST", tc_printf("/api/v1/jobs/%s/runs", id), tok,
		   "{\"params\":{\"url\":\"http://127.0.0.1:9/\"}}");
	tc_status_is(r, 201, "queue a run");
	run = tc_str(r, "id");
	/* keep it queued whatever a worker does: pretend it is running */
	tc_db_exec("UPDATE automation.runs SET state = 'running', "
		   "lease_owner = 'test', lease_expires_at = now() + "
		   "interval '1 hour' WHERE id = $1",
		   run, NULL);
	r = tc_req("DELETE", tc_printf("/api/v1/jobs/%s", id), tok, NULL);
	tc_problem_is(r, 428, "precondition-required",
		      "DELETE without If-Match");
	r = tc_req_opt("DELETE", tc_printf("/api/v1/jobs/%s", id), tok, NULL,
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"1\"", NULL}});
	tc_problem_is(r, 412, "precondition-failed",
		      "DELETE with a stale ETag");
	r = tc_req_opt("DELETE", tc_printf("/api/v1/jobs/%s", id), tok, NULL,
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"2\"", NULL}});
	tc_problem_is(r, 409, "conflict", "DELETE while a run is running");
	tc_db_exec("UPDATE automation.runs SET state = 'succeeded', "
		   "finished_at = now() WHERE id = $1",
		   run, NULL);
	r = tc_req_opt("DELETE", tc_printf("/api/v1/jobs/%s", id),
		       viewer->token, NULL,
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"2\"", NULL}});
	tc_problem_is(r, 403, "forbidden", "a viewer cannot delete");
	r = tc_req_opt("DELETE", tc_printf("/api/v1/jobs/%s", id), admin->token,
		       NULL,
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"2\"", NULL}});
	tc_status_is(r, 204, "an admin deletes the job");
	tc_problem_is(tc_get(tok, "/api/v1/jobs/%s", id), 404, "not-found",
		      "... it is gone");
	r = tc_get(tok, "/api/v1/runs/%s", run);
	tc_status_is(r, 200, "... its run keeps its history");
	r = tc_req("POST", "/api/v1/jobs", tok, job_body(name, "0"));
	tc_status_is(r, 201, "... and its name is free again");

	/* Audit. */
	n = tc_db_count(
	    "SELECT count(*) FROM core.audit_events WHERE entity_id = "
	    "$1 AND action IN ('job.create', 'job.update', "
	    "'job.file_upload', 'job.file_delete', 'job.delete')",
	    id, NULL);
	cmp_ok(n, "==", 6, "every change of the job is audited");

	tc_done();
	return done_testing();
}
