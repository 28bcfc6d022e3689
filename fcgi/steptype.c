/* The step library: the table of step types and their JSON description. */
#include <string.h>

#include "steptype.h"

/* Shorthands for the table below. */
#define IN_STR(n, req, dflt, tmpl, q, desc) \
	{n, STEPTYPE_STRING, req, dflt, 0, q, tmpl, 0, 0, NULL, desc}
#define IN_TEXT(n, req, dflt, tmpl, q, desc) \
	{n, STEPTYPE_TEXT, req, dflt, 0, q, tmpl, 0, 0, NULL, desc}
#define IN_INT(n, req, dflt, lo, hi, desc) \
	{n, STEPTYPE_INTEGER, req, dflt, 0, TMPL_QUOTE_NONE, 0, lo, hi, NULL, \
	 desc}
#define IN_BOOL(n, dflt, desc) \
	{n, STEPTYPE_BOOLEAN, 0, dflt, 0, TMPL_QUOTE_NONE, 0, 0, 0, NULL, desc}
#define IN_CHOICE(n, dflt, ch, desc) \
	{n, STEPTYPE_CHOICE, 0, dflt, 0, TMPL_QUOTE_NONE, 0, 0, 0, ch, desc}
#define IN_MAP(n, tmpl, desc) \
	{n, STEPTYPE_MAP, 0, NULL, 0, TMPL_QUOTE_NONE, tmpl, 0, 0, NULL, desc}

#define NIN(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const steptype_interpreters[] = {
	"/bin/sh", "/bin/bash", "/usr/bin/python3", "/usr/bin/perl", NULL};
static const char *const steptype_overwrite[] = {"replace", "fail", "skip",
						 NULL};
static const char *const steptype_methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", NULL};

static const struct steptype_input steptype_ssh_command[] = {
	IN_TEXT("command", 1, NULL, 1, TMPL_QUOTE_SHELL,
		"Shell command line run with /bin/sh -c on the target. "
		"Template values are single-quoted for the shell."),
	IN_BOOL("sudo", "false", "Run through sudo -n (passwordless sudo)."),
	IN_MAP("env", 1,
	       "Environment variables (NAME: value). Each value is quoted as "
	       "a whole by the worker, so template values are inserted as "
	       "they are."),
	IN_STR("cwd", 0, NULL, 0, TMPL_QUOTE_NONE,
	       "Directory to run in (default: the login directory)."),
};

static const struct steptype_input steptype_ssh_script[] = {
	IN_TEXT("script", 1, NULL, 1, TMPL_QUOTE_SHELL,
		"Script uploaded and run with the interpreter. Template "
		"values are single-quoted for the shell."),
	IN_CHOICE("interpreter", "\"/bin/sh\"", steptype_interpreters,
		  "Program that runs the script."),
	IN_STR("args", 0, NULL, 1, TMPL_QUOTE_SHELL,
	       "Arguments after the script, as a shell word list."),
	IN_BOOL("sudo", "false", "Run through sudo -n (passwordless sudo)."),
	IN_MAP("env", 1,
	       "Environment variables (NAME: value), each value quoted as a "
	       "whole by the worker."),
	IN_STR("cwd", 0, NULL, 0, TMPL_QUOTE_NONE,
	       "Directory to run in (default: the login directory)."),
};

static const struct steptype_input steptype_sftp_upload[] = {
	IN_STR("file", 1, NULL, 0, TMPL_QUOTE_NONE,
	       "Name of a file attached to the job (POST /jobs/{id}/files)."),
	IN_STR("path", 1, NULL, 1, TMPL_QUOTE_NONE,
	       "Remote destination path of the file."),
	IN_STR("mode", 0, "\"0644\"", 0, TMPL_QUOTE_NONE,
	       "Octal permissions of the remote file, like \"0644\"."),
	IN_CHOICE("overwrite", "\"replace\"", steptype_overwrite,
		  "When the destination exists: replace it, fail the step, "
		  "or skip the upload."),
};

static const struct steptype_input steptype_sftp_download[] = {
	IN_STR("path", 1, NULL, 1, TMPL_QUOTE_NONE,
	       "Remote path of the file to fetch; kept with the run."),
	IN_INT("max_bytes", 0, "10485760", 1, 104857600,
	       "Largest file accepted (bytes); a larger one fails the step."),
};

static const struct steptype_input steptype_winrm_powershell[] = {
	IN_TEXT("script", 1, NULL, 1, TMPL_QUOTE_POWERSHELL,
		"PowerShell script. Template values are single-quoted "
		"PowerShell strings."),
};

static const struct steptype_input steptype_winrm_cmd[] = {
	IN_STR("command", 1, NULL, 1, TMPL_QUOTE_CMD,
	       "cmd.exe command line. Template values are double-quoted; a "
	       "value holding \" % ! ^ or a line break fails the step."),
};

static const struct steptype_input steptype_http_request[] = {
	IN_CHOICE("method", "\"GET\"", steptype_methods, "HTTP method."),
	IN_STR("url", 1, NULL, 1, TMPL_QUOTE_NONE, "http:// or https:// URL."),
	IN_MAP("headers", 1, "Request headers (Name: value)."),
	IN_TEXT("body", 0, NULL, 1, TMPL_QUOTE_NONE, "Request body."),
	{"expect_status", STEPTYPE_INTLIST, 0,
	 "[200,201,202,203,204,205,206,207,208,226]", 0, TMPL_QUOTE_NONE, 0,
	 100, 599, NULL,
	 "HTTP statuses that count as success (each 100..599); the default "
	 "is every 2xx status."},
	IN_BOOL("verify_tls", "true", "Verify the server's certificate."),
	IN_INT("timeout_s", 0, "30", 1, 600, "Request timeout in seconds."),
};

static const struct steptype_input steptype_local_sleep[] = {
	IN_INT("seconds", 1, NULL, 0, 86400, "How long to wait."),
};

static const struct steptype steptype_table[] = {
	{"ssh.command", 1, "SSH command",
	 "Runs a shell command on a Linux target over SSH.", STEPTYPE_SSH,
	 steptype_ssh_command, NIN(steptype_ssh_command)},
	{"ssh.script", 1, "SSH script",
	 "Uploads a script to a Linux target and runs it.", STEPTYPE_SSH,
	 steptype_ssh_script, NIN(steptype_ssh_script)},
	{"sftp.upload", 1, "SFTP upload",
	 "Copies a job attachment to a Linux target.", STEPTYPE_SSH,
	 steptype_sftp_upload, NIN(steptype_sftp_upload)},
	{"sftp.download", 1, "SFTP download",
	 "Fetches a file from a Linux target and keeps it with the run.",
	 STEPTYPE_SSH, steptype_sftp_download, NIN(steptype_sftp_download)},
	{"winrm.powershell", 1, "PowerShell",
	 "Runs a PowerShell script on a Windows target over WinRM.",
	 STEPTYPE_WINRM, steptype_winrm_powershell,
	 NIN(steptype_winrm_powershell)},
	{"winrm.cmd", 1, "cmd.exe command",
	 "Runs a cmd.exe command on a Windows target over WinRM.",
	 STEPTYPE_WINRM, steptype_winrm_cmd, NIN(steptype_winrm_cmd)},
	{"http.request", 1, "HTTP request",
	 "Sends an HTTP request from the worker; stdout is the response "
	 "body and exit_code the status.",
	 STEPTYPE_LOCAL, steptype_http_request, NIN(steptype_http_request)},
	{"local.sleep", 1, "Sleep", "Waits on the worker.", STEPTYPE_LOCAL,
	 steptype_local_sleep, NIN(steptype_local_sleep)},
	{"local.noop", 1, "No-op", "Does nothing and succeeds.",
	 STEPTYPE_LOCAL, NULL, 0},
};

static const char *steptype_kind_name(enum steptype_kind k);
static const char *steptype_where_name(enum steptype_where w);
static const char *steptype_quote_name(enum tmpl_quote q);

const struct steptype *
steptype_find(const char *name)
{
	int i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NIN(steptype_table); i++)
		if (strcmp(steptype_table[i].name, name) == 0)
			return &steptype_table[i];
	return NULL;
}

const struct steptype *
steptype_all(int *n)
{
	*n = NIN(steptype_table);
	return steptype_table;
}

const struct steptype_input *
steptype_input(const struct steptype *t, const char *name)
{
	int i;

	for (i = 0; i < t->ninputs; i++)
		if (strcmp(t->inputs[i].name, name) == 0)
			return &t->inputs[i];
	return NULL;
}

static const char *
steptype_kind_name(enum steptype_kind k)
{
	switch (k) {
	case STEPTYPE_STRING:
		return "string";
	case STEPTYPE_TEXT:
		return "text";
	case STEPTYPE_INTEGER:
		return "integer";
	case STEPTYPE_BOOLEAN:
		return "boolean";
	case STEPTYPE_CHOICE:
		return "choice";
	case STEPTYPE_MAP:
		return "map";
	case STEPTYPE_INTLIST:
		return "intlist";
	}
	return "string";
}

static const char *
steptype_where_name(enum steptype_where w)
{
	switch (w) {
	case STEPTYPE_LOCAL:
		return "local";
	case STEPTYPE_SSH:
		return "ssh";
	case STEPTYPE_WINRM:
		return "winrm";
	}
	return "local";
}

static const char *
steptype_quote_name(enum tmpl_quote q)
{
	switch (q) {
	case TMPL_QUOTE_NONE:
		return "none";
	case TMPL_QUOTE_SHELL:
		return "shell";
	case TMPL_QUOTE_POWERSHELL:
		return "powershell";
	case TMPL_QUOTE_CMD:
		return "cmd";
	}
	return "none";
}

json_object *
steptype_json(const struct steptype *t)
{
	json_object *o, *inputs, *in, *ch;
	const struct steptype_input *s;
	int i, j;

	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(o, "version", json_object_new_int(t->version));
	json_object_object_add(o, "title", json_object_new_string(t->title));
	json_object_object_add(o, "description",
			       json_object_new_string(t->description));
	json_object_object_add(o, "where",
			       json_object_new_string(
				       steptype_where_name(t->where)));
	inputs = json_object_new_array();
	for (i = 0; i < t->ninputs; i++) {
		s = &t->inputs[i];
		in = json_object_new_object();
		json_object_object_add(in, "name",
				       json_object_new_string(s->name));
		json_object_object_add(in, "type",
				       json_object_new_string(
					       steptype_kind_name(s->kind)));
		json_object_object_add(in, "required",
				       json_object_new_boolean(s->required));
		json_object_object_add(in, "default",
				       s->dflt != NULL
					       ? json_tokener_parse(s->dflt)
					       : NULL);
		json_object_object_add(in, "secret",
				       json_object_new_boolean(s->secret));
		json_object_object_add(in, "template",
				       json_object_new_boolean(s->templated));
		json_object_object_add(in, "quote",
				       json_object_new_string(
					       steptype_quote_name(s->quote)));
		if (s->kind == STEPTYPE_INTEGER ||
		    s->kind == STEPTYPE_INTLIST) {
			json_object_object_add(in, "min",
					       json_object_new_int64(s->min));
			json_object_object_add(in, "max",
					       json_object_new_int64(s->max));
		}
		if (s->choices != NULL) {
			ch = json_object_new_array();
			for (j = 0; s->choices[j] != NULL; j++)
				json_object_array_add(
					ch,
					json_object_new_string(s->choices[j]));
			json_object_object_add(in, "choices", ch);
		}
		json_object_object_add(in, "description",
				       json_object_new_string(s->description));
		json_object_array_add(inputs, in);
	}
	json_object_object_add(o, "inputs", inputs);
	return o;
}
