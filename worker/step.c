/* Step executors: the table from step type to executor, and the results
 * part of a call. */
#include <string.h>

#include "step.h"

struct step_entry {
	const char *type;
	step_fn *fn;
};

/* Every executor built into this worker; a type missing here fails its
 * step with "step type not supported by this worker". */
static const struct step_entry step_table[] = {
    {"ssh.command", step_ssh_command},
    {"ssh.script", step_ssh_script},
    {"sftp.upload", step_sftp_upload},
    {"sftp.download", step_sftp_download},
    {"winrm.powershell", step_winrm_powershell},
    {"winrm.cmd", step_winrm_cmd},
    {"http.request", step_http_request},
    {"local.noop", step_local_noop},
    {"local.sleep", step_local_sleep},
};

static const char *const step_outcomes[] = {"succeeded", "failed", "timed_out",
					    "canceled"};

step_fn *
step_find(const char *type)
{
	size_t i;

	if (type == NULL)
		return NULL;
	for (i = 0; i < sizeof(step_table) / sizeof(step_table[0]); i++)
		if (strcmp(step_table[i].type, type) == 0)
			return step_table[i].fn;
	return NULL;
}

void
step_call_init(struct step_call *c)
{
	c->exit_code = -1;
	c->exit_signal[0] = '\0';
	buf_init(&c->out, c->capture_max);
	buf_init(&c->err, c->capture_max);
	c->out_truncated = 0;
	c->err_truncated = 0;
	c->outputs = NULL;
	/* sftp.download enforces its own max_bytes (at most 100 MiB). */
	buf_init(&c->file, (size_t)100 * 1024 * 1024);
	c->file_path[0] = '\0';
	c->error[0] = '\0';
}

void
step_call_cleanup(struct step_call *c)
{
	buf_cleanup(&c->out);
	buf_cleanup(&c->err);
	buf_cleanup(&c->file);
	json_object_put(c->outputs);
	c->outputs = NULL;
}

const char *
step_outcome_name(enum step_outcome o)
{
	return step_outcomes[o];
}
