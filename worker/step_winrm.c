/* The winrm.powershell and winrm.cmd executors: one WinRS shell per step
 * (Create, Command, Receive until done, Signal terminate when stopped,
 * Delete) on the target's shared WS-Management session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepio.h"
#include "winrm.h"
#include "wsman.h"

#define STEP_WINRM_REQUEST_MS 30000 /* one WS-Management request */
#define STEP_WINRM_CLEANUP_MS 5000  /* Signal and Delete after a stop */

static int step_winrm_on_output(void *ctx, enum winrm_stream s,
				const char *data, size_t n);
static enum step_outcome step_winrm_session(struct step_call *c,
					    struct winrm_session **out);
static void step_winrm_drop(struct step_call *c);
static enum step_outcome step_winrm_run(struct step_call *c,
					const char *command_line);

static int
step_winrm_on_output(void *ctx, enum winrm_stream s, const char *data, size_t n)
{
	stepio_output(ctx, s == WINRM_STDERR ? 2 : 1, data, n);
	return 0;
}

/* The target's session in c->io->winrm, made when there is none. */
static enum step_outcome
step_winrm_session(struct step_call *c, struct winrm_session **out)
{
	const struct step_target *tg = c->target;
	struct winrm_target wt;
	char err[400];

	*out = NULL;
	if (tg == NULL || tg->host == NULL || tg->host[0] == '\0')
		return stepio_fail(c, STEP_FAILED,
				   "%s needs a target reached over WinRM; this "
				   "run has no target",
				   c->type);
	if (tg->protocol == NULL || strcmp(tg->protocol, "winrm") != 0)
		return stepio_fail(c, STEP_FAILED,
				   "%s runs over WinRM, but target %s is "
				   "reached over %s",
				   c->type,
				   tg->name != NULL ? tg->name : tg->host,
				   tg->protocol != NULL ? tg->protocol : "?");
	if (c->io->winrm != NULL) {
		*out = c->io->winrm;
		return STEP_SUCCEEDED;
	}
	memset(&wt, 0, sizeof(wt));
	wt.host = tg->host;
	wt.port = tg->port;
	wt.https = tg->winrm_https;
	wt.verify_tls = tg->winrm_verify_tls;
	wt.auth = tg->winrm_auth != NULL && strcmp(tg->winrm_auth, "basic") == 0
		      ? WINRM_AUTH_BASIC
		      : WINRM_AUTH_NTLM;
	wt.user = tg->user;
	wt.password = tg->password;
	wt.domain = tg->domain;
	wt.timeout_ms = STEP_WINRM_REQUEST_MS;
	c->io->winrm = winrm_session_new(&wt, err, sizeof(err));
	if (c->io->winrm == NULL)
		return stepio_fail(c, STEP_FAILED, "cannot use WinRM: %s", err);
	*out = c->io->winrm;
	return STEP_SUCCEEDED;
}

/* Forgets a session whose connection failed; the next step makes a new
 * one. */
static void
step_winrm_drop(struct step_call *c)
{
	winrm_session_free(c->io->winrm);
	c->io->winrm = NULL;
}

static enum step_outcome
step_winrm_run(struct step_call *c, const char *command_line)
{
	long long deadline = stepio_deadline(c);
	struct winrm_session *s;
	enum step_outcome out;
	char shell[WINRM_ID_MAX] = "", cmd[WINRM_ID_MAX] = "";
	char err[512] = "", ignored[256];
	int rc, done = 0, code = 0, saved;

	out = step_winrm_session(c, &s);
	if (out != STEP_SUCCEEDED)
		return out;
	winrm_session_limits(s, c->cancel, deadline);
	/* Create and Command stop on cancel and at the deadline too (a
	 * shell the server made meanwhile ends with its idle timeout). */
	s->abortable = 1;
	rc = winrm_shell_open(s, NULL, shell, err, sizeof(err));
	s->abortable = 1;
	if (rc == 0)
		rc = winrm_command(s, shell, command_line, NULL, cmd, err,
				   sizeof(err));
	while (rc == 0 && !done) {
		if (c->cancel != NULL && *c->cancel)
			rc = WINRM_ERR_CANCELED;
		else if (deadline != 0 && stepio_now_ms() >= deadline)
			rc = WINRM_ERR_TIMEOUT;
		else
			rc = winrm_receive(s, shell, cmd, step_winrm_on_output,
					   c, &done, &code, err, sizeof(err));
	}
	/* Whatever happened: a stopped command is told to terminate and the
	 * shell is deleted, quickly and without the step's limits. */
	winrm_session_limits(s, NULL, 0);
	s->abortable = 0;
	saved = s->t.timeout_ms;
	s->t.timeout_ms = STEP_WINRM_CLEANUP_MS;
	if (rc != 0 && rc != WINRM_ERR_UNREACHABLE && cmd[0] != '\0' && !done) {
		stepio_note(c, "sending Signal terminate to the command");
		winrm_signal(s, shell, cmd, WINRM_SIGNAL_TERMINATE, ignored,
			     sizeof(ignored));
	}
	if (rc != WINRM_ERR_UNREACHABLE && shell[0] != '\0')
		winrm_shell_close(s, shell, ignored, sizeof(ignored));
	s->t.timeout_ms = saved;
	switch (rc) {
	case 0:
		break;
	case WINRM_ERR_TIMEOUT:
		if (deadline != 0 && stepio_now_ms() >= deadline)
			return stepio_fail(c, STEP_TIMED_OUT,
					   "the time limit of %g s was "
					   "reached; the command was sent "
					   "Signal terminate",
					   c->timeout_ms / 1000.0);
		step_winrm_drop(c);
		return stepio_fail(c, STEP_FAILED, "%s", err);
	case WINRM_ERR_CANCELED:
		return stepio_fail(c, STEP_CANCELED,
				   "canceled; the command "
				   "was sent Signal terminate");
	case WINRM_ERR_FAULT:
	case WINRM_ERR_PROTOCOL:
	case WINRM_ERR_TOOBIG:
		return stepio_fail(c, STEP_FAILED, "%s", err);
	default:
		step_winrm_drop(c);
		return stepio_fail(c, STEP_FAILED, "%s", err);
	}
	c->exit_code = code;
	if (code != 0)
		return stepio_fail(c, STEP_FAILED,
				   "the command exited with code %d", code);
	return STEP_SUCCEEDED;
}

enum step_outcome
step_winrm_powershell(struct step_call *c)
{
	const char *script = stepio_str(c, "script", "");
	enum step_outcome out;
	char *line;

	if (script[0] == '\0')
		return stepio_fail(c, STEP_FAILED, "the script is empty");
	line = winrm_powershell_command(script);
	if (line == NULL)
		return stepio_fail(c, STEP_FAILED,
				   "the script is not valid UTF-8");
	out = step_winrm_run(c, line);
	free(line);
	return out;
}

enum step_outcome
step_winrm_cmd(struct step_call *c)
{
	const char *command = stepio_str(c, "command", "");

	if (command[0] == '\0')
		return stepio_fail(c, STEP_FAILED, "the command is empty");
	return step_winrm_run(c, command);
}
