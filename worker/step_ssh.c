/* The ssh.command and ssh.script executors: a command, or a script
 * uploaded to a private temporary directory, run on the target's shared
 * SSH session with environment, working directory and sudo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftp.h"
#include "ssh.h"
#include "stepio.h"

#define STEP_SSH_CLEANUP_MS 10000 /* removing a script's directory */
#define STEP_SSH_SCRIPT_MAX (16 * 1048576)

static void step_ssh_on_output(void *arg, enum ssh_stream s, const char *data,
			       size_t len);
static enum step_outcome step_ssh_run(struct step_call *c,
				      struct ssh_conn *conn,
				      const char *command, long long deadline);
static enum step_outcome step_ssh_result(struct step_call *c, enum ssh_status s,
					 const struct ssh_exec_result *r,
					 const struct ssh_err *err, int sudo);
static enum step_outcome step_ssh_mkdir(struct step_call *c,
					struct ssh_conn *conn,
					long long deadline, char *dir,
					size_t cap);
static void step_ssh_rmdir(struct step_call *c, struct ssh_conn *conn,
			   const char *dir);

static void
step_ssh_on_output(void *arg, enum ssh_stream s, const char *data, size_t len)
{
	stepio_output(arg, s == SSH_STDOUT ? 1 : 2, data, len);
}

/* How a finished, stopped or failed command ends the step. */
static enum step_outcome
step_ssh_result(struct step_call *c, enum ssh_status s,
		const struct ssh_exec_result *r, const struct ssh_err *err,
		int sudo)
{
	snprintf(c->exit_signal, sizeof(c->exit_signal), "%s", r->exit_signal);
	c->exit_code = r->exit_status;
	switch (s) {
	case SSH_OK:
		break;
	case SSH_ERR_TIMEOUT:
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit of %g s was reached; the "
				   "remote command was stopped",
				   c->timeout_ms / 1000.0);
	case SSH_ERR_CANCELED:
		return stepio_fail(c, STEP_CANCELED,
				   "canceled; the remote "
				   "command was stopped");
	default:
		stepio_ssh_check(c);
		return stepio_fail(c, STEP_FAILED, "%s", err->msg);
	}
	if (sudo && r->sudo_refused)
		return stepio_fail(
		    c, STEP_FAILED, "sudo refused the password of user %s",
		    c->target->user != NULL ? c->target->user : "?");
	if (r->exit_signal[0] != '\0')
		return stepio_fail(c, STEP_FAILED,
				   "the command was killed by signal %s",
				   r->exit_signal);
	if (r->exit_status != 0)
		return stepio_fail(c, STEP_FAILED,
				   "the command exited with status %d",
				   r->exit_status);
	return STEP_SUCCEEDED;
}

/* Runs command with the env, cwd and sudo inputs of c. */
static enum step_outcome
step_ssh_run(struct step_call *c, struct ssh_conn *conn, const char *command,
	     long long deadline)
{
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	struct ssh_env_var *env = NULL;
	struct ssh_err err;
	json_object *map = stepio_map(c, "env");
	const char *cwd = stepio_str(c, "cwd", NULL);
	enum ssh_status s;
	enum step_outcome out;
	size_t n = 0;

	memset(&o, 0, sizeof(o));
	memset(&err, 0, sizeof(err));
	if (map != NULL && json_object_object_length(map) > 0) {
		env = calloc((size_t)json_object_object_length(map),
			     sizeof(*env));
		if (env == NULL)
			abort();
		json_object_object_foreach(map, k, v)
		{
			env[n].name = k;
			env[n++].value =
			    v != NULL ? json_object_get_string(v) : "";
		}
	}
	o.env = env;
	o.nenv = n;
	o.cwd = cwd != NULL && cwd[0] != '\0' ? cwd : NULL;
	o.sudo = stepio_bool(c, "sudo", 0);
	if (o.sudo && c->target->password != NULL &&
	    c->target->password[0] != '\0')
		o.sudo_password = c->target->password;
	o.timeout_ms = stepio_left_ms(deadline, 0);
	if (deadline != 0 && o.timeout_ms == 0) {
		free(env);
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit was "
				   "reached before the command started");
	}
	o.cancel = c->cancel;
	o.on_output = step_ssh_on_output;
	o.arg = c;
	o.capture_max = 1; /* stepio_output keeps what the step shows */
	s = ssh_exec(conn, command, &o, &r, &err);
	out = step_ssh_result(c, s, &r, &err, o.sudo);
	ssh_exec_result_cleanup(&r);
	free(env);
	return out;
}

enum step_outcome
step_ssh_command(struct step_call *c)
{
	const char *command = stepio_str(c, "command", "");
	long long deadline = stepio_deadline(c);
	struct ssh_conn *conn;
	enum step_outcome o;

	if (command[0] == '\0')
		return stepio_fail(c, STEP_FAILED, "the command is empty");
	o = stepio_ssh(c, deadline, &conn);
	if (o != STEP_SUCCEEDED)
		return o;
	return step_ssh_run(c, conn, command, deadline);
}

/* A new directory only the login user may enter (mktemp -d, mode 0700);
 * its path in dir. STEP_SUCCEEDED, or how the step ends (c->error set). */
static enum step_outcome
step_ssh_mkdir(struct step_call *c, struct ssh_conn *conn, long long deadline,
	       char *dir, size_t cap)
{
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	struct ssh_err err;
	enum ssh_status s;
	enum step_outcome out;
	size_t n;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = stepio_left_ms(deadline, STEP_SSH_CLEANUP_MS);
	if (o.timeout_ms == 0)
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit was "
				   "reached before the script started");
	o.cancel = c->cancel;
	o.capture_max = 4096;
	s = ssh_exec(conn,
		     "umask 077 && mktemp -d \"${TMPDIR:-/tmp}/oc-step."
		     "XXXXXXXXXXXX\"",
		     &o, &r, &err);
	n = r.out.data != NULL ? strcspn(r.out.data, "\n") : 0;
	if (s == SSH_OK && r.exit_status == 0 && n > 1 && n < cap &&
	    r.out.data[0] == '/') {
		memcpy(dir, r.out.data, n);
		dir[n] = '\0';
		ssh_exec_result_cleanup(&r);
		return STEP_SUCCEEDED;
	}
	if (s == SSH_ERR_TIMEOUT)
		out = stepio_fail(c, STEP_TIMED_OUT,
				  "the time limit was "
				  "reached while preparing the script");
	else if (s == SSH_ERR_CANCELED)
		out = stepio_fail(c, STEP_CANCELED, "canceled");
	else if (s != SSH_OK)
		out = stepio_fail(c, STEP_FAILED, "%s", err.msg);
	else
		out = stepio_fail(c, STEP_FAILED,
				  "cannot make a temporary "
				  "directory on the target (mktemp -d: "
				  "%.200s)",
				  r.err.data != NULL ? r.err.data : "");
	stepio_ssh_check(c);
	ssh_exec_result_cleanup(&r);
	return out;
}

/* Removes the script's directory, whatever happened before: no cancel
 * flag, a limit of its own. */
static void
step_ssh_rmdir(struct step_call *c, struct ssh_conn *conn, const char *dir)
{
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	struct ssh_err err;
	struct buf cmd;

	if (!ssh_alive(conn))
		return;
	buf_init(&cmd, 4096);
	buf_puts(&cmd, "rm -rf -- ");
	ssh_shell_quote(&cmd, dir);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = STEP_SSH_CLEANUP_MS;
	o.capture_max = 4096;
	if (ssh_exec(conn, cmd.data, &o, &r, &err) != SSH_OK ||
	    r.exit_status != 0)
		stepio_note(c, "could not remove %s from the target", dir);
	ssh_exec_result_cleanup(&r);
	buf_cleanup(&cmd);
}

enum step_outcome
step_ssh_script(struct step_call *c)
{
	const char *script = stepio_str(c, "script", "");
	const char *interp = stepio_str(c, "interpreter", "/bin/sh");
	const char *args = stepio_str(c, "args", "");
	long long deadline = stepio_deadline(c);
	struct sftp_opt so;
	struct ssh_err err;
	struct ssh_conn *conn;
	enum ssh_status s;
	enum step_outcome o;
	struct buf cmd;
	char dir[512], path[600];

	if (interp[0] != '/')
		return stepio_fail(c, STEP_FAILED,
				   "the interpreter must be "
				   "an absolute path");
	if (strlen(script) > STEP_SSH_SCRIPT_MAX)
		return stepio_fail(c, STEP_FAILED,
				   "the script is larger "
				   "than %d bytes",
				   STEP_SSH_SCRIPT_MAX);
	o = stepio_ssh(c, deadline, &conn);
	if (o != STEP_SUCCEEDED)
		return o;
	o = step_ssh_mkdir(c, conn, deadline, dir, sizeof(dir));
	if (o != STEP_SUCCEEDED)
		return o;
	snprintf(path, sizeof(path), "%s/script", dir);
	memset(&so, 0, sizeof(so));
	so.mode = 0700;
	so.overwrite = SFTP_FAIL_IF_EXISTS;
	so.timeout_ms = stepio_left_ms(deadline, 60000);
	so.cancel = c->cancel;
	stepio_note(c, "uploading the script (%zu bytes) to %s", strlen(script),
		    path);
	s = so.timeout_ms == 0 ? SSH_ERR_TIMEOUT
			       : sftp_upload(conn, path, script, strlen(script),
					     &so, NULL, &err);
	if (s != SSH_OK) {
		if (s == SSH_ERR_TIMEOUT)
			o = stepio_fail(c, STEP_TIMED_OUT,
					"the time limit "
					"was reached while uploading the "
					"script");
		else if (s == SSH_ERR_CANCELED)
			o = stepio_fail(c, STEP_CANCELED, "canceled");
		else
			o = stepio_fail(c, STEP_FAILED,
					"cannot upload the "
					"script: %s",
					err.msg);
		stepio_ssh_check(c);
		step_ssh_rmdir(c, conn, dir);
		return o;
	}
	buf_init(&cmd, 1048576);
	ssh_shell_quote(&cmd, interp);
	buf_puts(&cmd, " ");
	ssh_shell_quote(&cmd, path);
	if (args[0] != '\0' &&
	    (buf_puts(&cmd, " ") != 0 || buf_puts(&cmd, args) != 0)) {
		buf_cleanup(&cmd);
		step_ssh_rmdir(c, conn, dir);
		return stepio_fail(c, STEP_FAILED,
				   "the arguments are too "
				   "long");
	}
	o = step_ssh_run(c, conn, cmd.data, deadline);
	buf_cleanup(&cmd);
	step_ssh_rmdir(c, conn, dir);
	return o;
}
