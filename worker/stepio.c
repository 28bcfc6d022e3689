/* Inputs, output capture, errors, deadlines and the shared SSH session of
 * the remote step executors (see stepio.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssh.h"
#include "stepio.h"

#define STEPIO_CONNECT_MS 15000 /* connect + handshake + authentication */

static json_object *stepio_get(const struct step_call *c, const char *name);
static void stepio_keep(struct buf *b, int *truncated, size_t max,
			const char *data, size_t len);

static json_object *
stepio_get(const struct step_call *c, const char *name)
{
	json_object *v;

	if (c->inputs == NULL ||
	    !json_object_object_get_ex(c->inputs, name, &v) || v == NULL)
		return NULL;
	return v;
}

const char *
stepio_str(const struct step_call *c, const char *name, const char *dflt)
{
	json_object *v = stepio_get(c, name);

	if (v == NULL)
		return dflt;
	return json_object_get_string(v);
}

int
stepio_int(const struct step_call *c, const char *name, long long dflt,
	   long long *v)
{
	json_object *j = stepio_get(c, name);
	const char *s;
	char *end;
	long long n;

	if (j == NULL) {
		*v = dflt;
		return 0;
	}
	if (json_object_is_type(j, json_type_int)) {
		*v = json_object_get_int64(j);
		return 0;
	}
	if (!json_object_is_type(j, json_type_string))
		return -1;
	s = json_object_get_string(j);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0)
		return -1;
	*v = n;
	return 0;
}

int
stepio_bool(const struct step_call *c, const char *name, int dflt)
{
	json_object *v = stepio_get(c, name);
	const char *s;

	if (v == NULL)
		return dflt;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		return strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
	}
	return json_object_get_boolean(v) ? 1 : 0;
}

json_object *
stepio_map(const struct step_call *c, const char *name)
{
	json_object *v = stepio_get(c, name);

	return v != NULL && json_object_is_type(v, json_type_object) ? v : NULL;
}

static void
stepio_keep(struct buf *b, int *truncated, size_t max, const char *data,
	    size_t len)
{
	size_t room = b->len < max ? max - b->len : 0;

	if (len > room) {
		*truncated = 1;
		len = room;
	}
	if (len == 0)
		return;
	if (b->max < max)
		b->max = max;
	if (buf_append(b, data, len) != 0)
		*truncated = 1;
}

void
stepio_output(struct step_call *c, int stream, const char *data, size_t len)
{
	if (len == 0)
		return;
	if (c->on_output != NULL)
		c->on_output(c->arg, stream, data, len);
	if (stream == 1)
		stepio_keep(&c->out, &c->out_truncated, c->capture_max, data,
			    len);
	else if (stream == 2)
		stepio_keep(&c->err, &c->err_truncated, c->capture_max, data,
			    len);
}

void
stepio_note(struct step_call *c, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	if (c->on_output != NULL)
		c->on_output(c->arg, 3, line, (size_t)n);
}

enum step_outcome
stepio_fail(struct step_call *c, enum step_outcome outcome, const char *fmt,
	    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return outcome;
}

long long
stepio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
stepio_deadline(const struct step_call *c)
{
	return c->timeout_ms > 0 ? stepio_now_ms() + c->timeout_ms : 0;
}

int
stepio_left_ms(long long deadline, int dflt)
{
	long long left;

	if (deadline == 0)
		return dflt;
	left = deadline - stepio_now_ms();
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

void
stepio_ssh_check(struct step_call *c)
{
	if (c->io->ssh != NULL && !ssh_alive(c->io->ssh)) {
		ssh_close(c->io->ssh);
		c->io->ssh = NULL;
	}
}

enum step_outcome
stepio_ssh(struct step_call *c, long long deadline, struct ssh_conn **out)
{
	const struct step_target *tg = c->target;
	struct ssh_target st;
	struct ssh_info info;
	struct ssh_err err;
	enum ssh_status s;
	int left;

	*out = NULL;
	if (tg == NULL || tg->host == NULL || tg->host[0] == '\0')
		return stepio_fail(c, STEP_FAILED,
				   "%s needs a target reached over SSH; this "
				   "run has no target",
				   c->type);
	if (tg->protocol == NULL || strcmp(tg->protocol, "ssh") != 0)
		return stepio_fail(c, STEP_FAILED,
				   "%s runs over SSH, but target %s is reached "
				   "over %s",
				   c->type,
				   tg->name != NULL ? tg->name : tg->host,
				   tg->protocol != NULL ? tg->protocol : "?");
	stepio_ssh_check(c);
	if (c->io->ssh != NULL) {
		*out = c->io->ssh;
		return STEP_SUCCEEDED;
	}
	if (tg->host_key == NULL || tg->host_key[0] == '\0')
		return stepio_fail(c, STEP_FAILED,
				   "no recorded host key: run a connection "
				   "test first");
	left = stepio_left_ms(deadline, STEPIO_CONNECT_MS);
	if (left == 0)
		return stepio_fail(c, STEP_TIMED_OUT,
				   "the time limit was reached before "
				   "connecting");
	memset(&st, 0, sizeof(st));
	memset(&info, 0, sizeof(info));
	st.host = tg->host;
	st.port = tg->port;
	st.user = tg->user;
	st.password = tg->password;
	st.key = tg->key;
	st.passphrase = tg->passphrase;
	st.known_fingerprint = tg->host_key;
	st.timeout_ms = left < STEPIO_CONNECT_MS ? left : STEPIO_CONNECT_MS;
	st.cancel = c->cancel;
	s = ssh_connect(&st, &info, &c->io->ssh, &err);
	if (s == SSH_OK) {
		/* Several commands share one shell (ssh_share_shell); a
		 * single one is cheaper on a channel of its own. */
		if (c->io->ssh_commands > 1)
			ssh_share_shell(c->io->ssh);
		*out = c->io->ssh;
		return STEP_SUCCEEDED;
	}
	c->io->ssh = NULL;
	switch (s) {
	case SSH_ERR_HOST_KEY_CHANGED:
		return stepio_fail(c, STEP_FAILED,
				   "host key changed: %s port %d now presents "
				   "%s %s, not the recorded %s; if the change "
				   "is expected, accept it under Targets",
				   tg->host, tg->port > 0 ? tg->port : 22,
				   info.key_type, info.fingerprint,
				   tg->host_key);
	case SSH_ERR_CANCELED:
		return stepio_fail(c, STEP_CANCELED,
				   "canceled while "
				   "connecting");
	case SSH_ERR_TIMEOUT:
		if (deadline != 0 && stepio_now_ms() >= deadline)
			return stepio_fail(c, STEP_TIMED_OUT,
					   "the time limit was reached while "
					   "connecting: %s",
					   err.msg);
		break;
	default:
		break;
	}
	return stepio_fail(c, STEP_FAILED, "cannot connect: %s", err.msg);
}
