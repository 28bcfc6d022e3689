/* The sftp.upload and sftp.download executors: a job attachment placed on
 * the target, or a file of the target fetched, over the target's shared
 * SSH session, SHA-256 verified on both sides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "enc.h"
#include "sftp.h"
#include "ssh.h"
#include "stepio.h"

#define STEP_SFTP_DOWNLOAD_DEFAULT (10LL * 1048576)
#define STEP_SFTP_DOWNLOAD_MAX (100LL * 1048576)

static int step_sftp_mode(const struct step_call *c, int *mode);
static enum step_outcome step_sftp_status(struct step_call *c,
					  enum ssh_status s,
					  const struct ssh_err *err,
					  const char *what);

/* The mode input: octal text ("0644", "755"); 0644 when absent. 0 or -1. */
static int
step_sftp_mode(const struct step_call *c, int *mode)
{
	const char *s = stepio_str(c, "mode", "0644");
	char *end;
	long v;

	if (s[0] == '\0' || strspn(s, "01234567") != strlen(s))
		return -1;
	v = strtol(s, &end, 8);
	if (*end != '\0' || v <= 0 || v > 07777)
		return -1;
	*mode = (int)v;
	return 0;
}

/* The outcome of a failed transfer. */
static enum step_outcome
step_sftp_status(struct step_call *c, enum ssh_status s,
		 const struct ssh_err *err, const char *what)
{
	switch (s) {
	case SSH_ERR_TIMEOUT:
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit was "
				   "reached while %s",
				   what);
	case SSH_ERR_CANCELED:
		return stepio_fail(c, STEP_CANCELED, "canceled while %s", what);
	default:
		stepio_ssh_check(c);
		return stepio_fail(c, STEP_FAILED, "%s", err->msg);
	}
}

enum step_outcome
step_sftp_upload(struct step_call *c)
{
	const char *name = stepio_str(c, "file", "");
	const char *path = stepio_str(c, "path", "");
	const char *policy = stepio_str(c, "overwrite", "replace");
	long long deadline = stepio_deadline(c);
	struct step_file f;
	struct sftp_opt o;
	struct sftp_result r;
	struct ssh_err err;
	struct ssh_conn *conn;
	enum step_outcome out;
	enum ssh_status s;
	unsigned char md[32];
	char hex[65];

	memset(&o, 0, sizeof(o));
	if (path[0] == '\0')
		return stepio_fail(c, STEP_FAILED, "the remote path is empty");
	if (step_sftp_mode(c, &o.mode) != 0)
		return stepio_fail(c, STEP_FAILED,
				   "the mode must be octal "
				   "permission bits like 0644");
	if (strcmp(policy, "replace") == 0)
		o.overwrite = SFTP_OVERWRITE;
	else if (strcmp(policy, "skip") == 0)
		o.overwrite = SFTP_SKIP_IF_EXISTS;
	else if (strcmp(policy, "fail") == 0)
		o.overwrite = SFTP_FAIL_IF_EXISTS;
	else
		return stepio_fail(c, STEP_FAILED,
				   "overwrite must be "
				   "replace, fail or skip");
	if (c->get_file == NULL || c->get_file(c->arg, name, &f) != 0)
		return stepio_fail(c, STEP_FAILED,
				   "the job has no attachment "
				   "called \"%.200s\"",
				   name);
	crypto_sha256(md, f.content != NULL ? (const void *)f.content : "",
		      f.size);
	enc_hex(hex, md, sizeof(md));
	if (strcasecmp(hex, f.sha256) != 0)
		return stepio_fail(c, STEP_FAILED,
				   "the attachment \"%.200s\" "
				   "does not match its recorded SHA-256",
				   name);
	out = stepio_ssh(c, deadline, &conn);
	if (out != STEP_SUCCEEDED)
		return out;
	o.timeout_ms = stepio_left_ms(deadline, 0);
	if (deadline != 0 && o.timeout_ms == 0)
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit was "
				   "reached before the upload started");
	o.cancel = c->cancel;
	stepio_note(c, "uploading %s (%zu bytes) to %s", name, f.size, path);
	s = sftp_upload(conn, path, f.content, f.size, &o, &r, &err);
	if (s == SSH_ERR_EXISTS)
		return stepio_fail(c, STEP_FAILED,
				   "%s already exists on the "
				   "target and overwrite is \"fail\"",
				   path);
	if (s != SSH_OK)
		return step_sftp_status(c, s, &err, "uploading");
	if (r.skipped)
		stepio_note(c,
			    "%s exists: left as it is (overwrite is "
			    "\"skip\")",
			    path);
	else
		stepio_note(c,
			    "uploaded %zu bytes, SHA-256 %s verified on "
			    "the target",
			    r.bytes, r.sha256);
	json_object_put(c->outputs);
	c->outputs = json_object_new_object();
	json_object_object_add(c->outputs, "path",
			       json_object_new_string(path));
	json_object_object_add(c->outputs, "bytes",
			       json_object_new_int64((int64_t)r.bytes));
	json_object_object_add(c->outputs, "sha256",
			       json_object_new_string(r.sha256));
	json_object_object_add(c->outputs, "skipped",
			       json_object_new_boolean(r.skipped));
	return STEP_SUCCEEDED;
}

enum step_outcome
step_sftp_download(struct step_call *c)
{
	const char *path = stepio_str(c, "path", "");
	long long deadline = stepio_deadline(c), max;
	struct sftp_opt o;
	struct sftp_result r;
	struct ssh_err err;
	struct ssh_conn *conn;
	enum step_outcome out;
	enum ssh_status s;

	if (path[0] == '\0')
		return stepio_fail(c, STEP_FAILED, "the remote path is empty");
	if (stepio_int(c, "max_bytes", STEP_SFTP_DOWNLOAD_DEFAULT, &max) != 0 ||
	    max < 0 || max > STEP_SFTP_DOWNLOAD_MAX)
		return stepio_fail(c, STEP_FAILED,
				   "max_bytes must be an "
				   "integer from 0 to %lld",
				   STEP_SFTP_DOWNLOAD_MAX);
	out = stepio_ssh(c, deadline, &conn);
	if (out != STEP_SUCCEEDED)
		return out;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = stepio_left_ms(deadline, 0);
	if (deadline != 0 && o.timeout_ms == 0)
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit was "
				   "reached before the download started");
	o.cancel = c->cancel;
	buf_reset(&c->file);
	c->file.max = (size_t)max + 1;
	snprintf(c->file_path, sizeof(c->file_path), "%s", path);
	stepio_note(c, "downloading %s", path);
	s = sftp_download(conn, path, (size_t)max, &o, &c->file, &r, &err);
	if (s == SSH_ERR_TOO_LARGE) {
		buf_reset(&c->file);
		return stepio_fail(c, STEP_FAILED,
				   "%s is larger than "
				   "max_bytes (%lld bytes); nothing was kept",
				   path, max);
	}
	if (s != SSH_OK) {
		buf_reset(&c->file);
		return step_sftp_status(c, s, &err, "downloading");
	}
	stepio_note(c,
		    "downloaded %zu bytes, SHA-256 %s verified on the "
		    "target",
		    r.bytes, r.sha256);
	json_object_put(c->outputs);
	c->outputs = json_object_new_object();
	json_object_object_add(c->outputs, "path",
			       json_object_new_string(path));
	json_object_object_add(c->outputs, "bytes",
			       json_object_new_int64((int64_t)r.bytes));
	json_object_object_add(c->outputs, "sha256",
			       json_object_new_string(r.sha256));
	return STEP_SUCCEEDED;
}
