/* Commands over an SSH session: one channel per command with environment,
 * working directory, sudo and stdin, or one shell shared by the session's
 * commands (sshshell.c); output streamed and capped; timeout and cancel
 * end the remote process group (libssh2 1.10 cannot send the "signal"
 * request, so a second channel kills it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>

#include "crypto.h"
#include "enc.h"
#include "ssh.h"
#include "sshexec.h"

static enum ssh_status sshexec_command(struct ssh_conn *c, const char *command,
				       const struct ssh_exec_opt *o,
				       struct ssh_exec_result *r, int may_kill,
				       struct ssh_err *err);
static int sshexec_env_name_ok(const char *s);
static int sshexec_script(struct sshexec_run *x, const char *command,
			  const unsigned char *sent, struct buf *out);
static void sshexec_line(struct sshexec_run *x, const char *p, size_t n);
static void sshexec_stderr(struct sshexec_run *x, const char *p, size_t n);
static void sshexec_prompt(struct sshexec_run *x);
static long sshexec_pump(struct sshexec_run *x);
static void sshexec_os_value(char *out, size_t cap, const char *v, size_t n);

static int
sshexec_env_name_ok(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return 0;
	}
	return 1;
}

/* The environment sshd did not take (sent[i] == 0; sent NULL: none), the
 * working directory and the command. */
int
sshexec_body(const struct ssh_exec_opt *o, const char *command,
	     const unsigned char *sent, struct buf *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < o->nenv; i++) {
		if (sent != NULL && sent[i])
			continue;
		rc |= buf_printf(b, "%s=", o->env[i].name);
		rc |= ssh_shell_quote(
		    b, o->env[i].value != NULL ? o->env[i].value : "");
		rc |= buf_printf(b, "; export %s\n", o->env[i].name);
	}
	if (o->cwd != NULL && o->cwd[0] != '\0') {
		rc |= buf_puts(b, "cd -- ");
		rc |= ssh_shell_quote(b, o->cwd);
		rc |= buf_puts(b, " || exit 1\n");
	}
	rc |= buf_puts(b, command);
	return rc;
}

/* The remote script: a marker with the process group on stderr, then the
 * body (sshexec_body); under sudo the body runs as root after a "ready"
 * marker. */
static int
sshexec_script(struct sshexec_run *x, const char *command,
	       const unsigned char *sent, struct buf *out)
{
	const struct ssh_exec_opt *o = x->o;
	struct buf in, *b = o->sudo ? &in : out;
	int rc = 0;

	buf_init(&in, SSHEXEC_CMD_MAX);
	rc |= buf_printf(out, "printf '%%s:%%s\\n' '%s' \"$$\" >&2\n", x->tok);
	if (o->sudo)
		rc |=
		    buf_printf(&in, "printf '%%s\\n' '%s:ready' >&2\n", x->tok);
	rc |= sshexec_body(o, command, sent, b);
	if (o->sudo) {
		if (o->sudo_password != NULL)
			rc |= buf_printf(out, "exec sudo -S -p '%s' -- sh -c ",
					 x->prompt);
		else
			rc |= buf_puts(out, "exec sudo -n -- sh -c ");
		rc |= in.data != NULL ? ssh_shell_quote(out, in.data) : -1;
		rc |= buf_puts(out, "\n");
		if (in.data != NULL)
			explicit_bzero(in.data, in.len);
	}
	buf_cleanup(&in);
	return rc != 0 ? -1 : 0;
}

void
sshexec_emit(struct sshexec_run *x, enum ssh_stream s, const char *p, size_t n)
{
	struct ssh_exec_result *r = x->r;
	struct buf *b = s == SSH_STDOUT ? &r->out : &r->err;
	size_t room = x->cap - b->len, take = n < room ? n : room;

	if (n == 0)
		return;
	if (s == SSH_STDOUT)
		r->stdout_bytes += n;
	else
		r->stderr_bytes += n;
	if (take > 0)
		(void)buf_append(b, p, take);
	if (take < n) {
		if (s == SSH_STDOUT)
			r->out_truncated = 1;
		else
			r->err_truncated = 1;
	}
	if (x->o->on_output != NULL)
		x->o->on_output(x->o->arg, s, p, n);
}

void
sshexec_consume(struct buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

/* One whole stderr line of the preamble (without its newline). */
static void
sshexec_line(struct sshexec_run *x, const char *p, size_t n)
{
	size_t tl = strlen(x->tok);
	const char *v = p + tl + 1;
	size_t vn = n - tl - 1, i;

	if (n > tl + 1 && memcmp(p, x->tok, tl) == 0 && p[tl] == ':') {
		if (vn == 5 && memcmp(v, "ready", 5) == 0) {
			x->running = 1;
			return;
		}
		for (i = 0; i < vn && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == vn && vn > 0 && vn < 10) {
			x->pgid = strtol(v, NULL, 10);
			if (!x->o->sudo)
				x->running = 1;
			return;
		}
	}
	sshexec_emit(x, SSH_STDERR, p, n + 1);
}

static void
sshexec_prompt(struct sshexec_run *x)
{
	const char *pw = x->o->sudo_password;
	size_t n;

	x->prompts++;
	if (x->prompts > 1 || pw == NULL) {
		/* A second prompt: the password was wrong. EOF makes sudo
		 * give up instead of reading stdin data as passwords. */
		x->r->sudo_refused = 1;
		x->stop_input = 1;
		return;
	}
	n = strlen(pw);
	x->pw = malloc(n + 2);
	if (x->pw == NULL)
		abort();
	memcpy(x->pw, pw, n);
	x->pw[n] = '\n';
	x->pw[n + 1] = '\0';
	x->pw_len = n + 1;
	x->pw_off = 0;
}

static void
sshexec_stderr(struct sshexec_run *x, const char *p, size_t n)
{
	const char *d, *nl, *pr;
	size_t line, pl = strlen(x->prompt);

	if (x->running) {
		sshexec_emit(x, SSH_STDERR, p, n);
		return;
	}
	if (buf_append(&x->pre, p, n) != 0) {
		x->running = 1; /* no markers in sight: stop looking */
		if (x->pre.len > 0)
			sshexec_emit(x, SSH_STDERR, x->pre.data, x->pre.len);
		sshexec_consume(&x->pre, x->pre.len);
		sshexec_emit(x, SSH_STDERR, p, n);
		return;
	}
	while (!x->running && x->pre.len > 0) {
		d = x->pre.data;
		nl = memchr(d, '\n', x->pre.len);
		line = nl != NULL ? (size_t)(nl - d) : x->pre.len;
		pr = memmem(d, line, x->prompt, pl);
		if (pr != NULL) {
			sshexec_emit(x, SSH_STDERR, d, (size_t)(pr - d));
			sshexec_consume(&x->pre, (size_t)(pr - d) + pl);
			sshexec_prompt(x);
			continue;
		}
		if (nl == NULL)
			break;
		sshexec_line(x, d, line);
		sshexec_consume(&x->pre, line + 1);
	}
	if ((x->running || x->pre.len > SSHEXEC_PRE_MAX) && x->pre.len > 0) {
		sshexec_emit(x, SSH_STDERR, x->pre.data, x->pre.len);
		sshexec_consume(&x->pre, x->pre.len);
		x->running = 1;
	}
}

/* Writes what is due: the sudo password, then (once the command runs)
 * stdin and EOF. 1 progress, 0 none, or a libssh2 error. */
static long
sshexec_pump(struct sshexec_run *x)
{
	const char *in = x->o->stdin_data;
	size_t inlen = in != NULL ? x->o->stdin_len : 0;
	ssize_t n;
	long progress = 0;
	int rc;

	if (x->eof_sent)
		return 0;
	while (x->pw != NULL && x->pw_off < x->pw_len && !x->stop_input) {
		n = libssh2_channel_write(x->ch, x->pw + x->pw_off,
					  x->pw_len - x->pw_off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return progress;
		if (n < 0)
			goto closed;
		x->pw_off += (size_t)n;
		progress = 1;
	}
	if (!x->running && !x->stop_input)
		return progress;
	while (!x->stop_input && x->in_off < inlen) {
		n = libssh2_channel_write(x->ch, in + x->in_off,
					  inlen - x->in_off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return progress;
		if (n < 0)
			goto closed;
		x->in_off += (size_t)n;
		progress = 1;
	}
	rc = libssh2_channel_send_eof(x->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return progress;
	if (rc < 0) {
		n = rc;
		goto closed;
	}
	x->eof_sent = 1;
	return 1;
closed:
	/* The command ended without reading all of its input: fine. */
	if (n == LIBSSH2_ERROR_CHANNEL_CLOSED ||
	    n == LIBSSH2_ERROR_CHANNEL_EOF_SENT || libssh2_channel_eof(x->ch)) {
		x->eof_sent = 1;
		return 0;
	}
	return (long)n;
}

/* Reads and writes until the remote end sends EOF, the deadline passes
 * or cancel is set (*stopped = SSH_ERR_TIMEOUT / SSH_ERR_CANCELED). In the
 * shared shell, until both end markers arrived, or the shell ended
 * (x->gone). With stopped NULL it only reads, until EOF or dl. */
enum ssh_status
sshexec_loop(struct sshexec_run *x, long long dl, volatile int *cancel,
	     int *stopped, struct ssh_err *err)
{
	char b[16384];
	ssize_t n1, n2;
	long w;

	for (;;) {
		n1 = libssh2_channel_read(x->ch, b, sizeof(b));
		if (n1 > 0 && x->in_shell)
			sshexec_shell_scan(x, SSH_STDOUT, b, (size_t)n1);
		else if (n1 > 0)
			sshexec_emit(x, SSH_STDOUT, b, (size_t)n1);
		else if (n1 < 0 && n1 != LIBSSH2_ERROR_EAGAIN)
			return ssh_fail(x->c, (int)n1, "reading output", err);
		n2 = libssh2_channel_read_stderr(x->ch, b, sizeof(b));
		if (n2 > 0 && x->in_shell)
			sshexec_shell_stderr(x, b, (size_t)n2);
		else if (n2 > 0)
			sshexec_stderr(x, b, (size_t)n2);
		else if (n2 < 0 && n2 != LIBSSH2_ERROR_EAGAIN)
			return ssh_fail(x->c, (int)n2, "reading output", err);
		w = stopped == NULL ? 0
		    : x->in_shell   ? sshexec_shell_write(x)
				    : sshexec_pump(x);
		if (w < 0)
			return ssh_fail(x->c, (int)w, "sending input", err);
		if (x->in_shell && stopped != NULL && x->ended[SSH_STDOUT] &&
		    x->ended[SSH_STDERR])
			return SSH_OK;
		if (n1 == 0 && n2 == 0 && libssh2_channel_eof(x->ch)) {
			x->gone = x->in_shell;
			return SSH_OK;
		}
		if (cancel != NULL && *cancel && stopped != NULL) {
			*stopped = SSH_ERR_CANCELED;
			return SSH_OK;
		}
		if (dl > 0 && ssh_now_ms() >= dl) {
			if (stopped != NULL)
				*stopped = SSH_ERR_TIMEOUT;
			return SSH_OK;
		}
		if (n1 > 0 || n2 > 0 || w > 0 ||
		    libssh2_poll_channel_read(x->ch, 0) ||
		    libssh2_poll_channel_read(x->ch, 1))
			continue;
		(void)ssh_wait(x->c, dl, cancel, NULL);
	}
}

/* Ends the command's process group: TERM, then KILL after a second, and
 * waits until it is gone. Runs as root through sudo when the command did. */
void
sshexec_kill(struct sshexec_run *x)
{
	struct ssh_exec_opt ko;
	struct ssh_exec_result kr;
	char cmd[512];
	volatile int never = 0;

	if (x->pgid <= 1 || x->c->broken)
		return;
	snprintf(cmd, sizeof(cmd),
		 "kill -s TERM -- -%ld 2>/dev/null; i=0; "
		 "while kill -s 0 -- -%ld 2>/dev/null; do i=$((i+1)); "
		 "if [ $i -gt 10 ]; then kill -s KILL -- -%ld 2>/dev/null; "
		 "break; fi; sleep 0.1; done; exit 0",
		 x->pgid, x->pgid, x->pgid);
	memset(&ko, 0, sizeof(ko));
	ko.sudo = x->o->sudo;
	ko.sudo_password = x->o->sudo_password;
	ko.timeout_ms = SSHEXEC_KILL_MS;
	ko.cancel = &never;
	ko.capture_max = 4096;
	(void)sshexec_command(x->c, cmd, &ko, &kr, 0, NULL);
	ssh_exec_result_cleanup(&kr);
}

/* Closes the channel (bounded) and reads the exit status and signal. */
void
sshexec_finish(struct sshexec_run *x)
{
	struct ssh_exec_result *r = x->r;
	long long dl = ssh_now_ms() + SSHEXEC_GRACE_MS;
	char *sig = NULL;
	size_t siglen = 0;
	int rc;

	for (;;) {
		rc = libssh2_channel_close(x->ch);
		if (rc != LIBSSH2_ERROR_EAGAIN ||
		    ssh_wait(x->c, dl, NULL, NULL) != SSH_OK)
			break;
	}
	while (rc == 0 && libssh2_channel_eof(x->ch)) {
		rc = libssh2_channel_wait_closed(x->ch);
		if (rc != LIBSSH2_ERROR_EAGAIN ||
		    ssh_wait(x->c, dl, NULL, NULL) != SSH_OK)
			break;
		rc = 0;
	}
	r->exit_status = libssh2_channel_get_exit_status(x->ch);
	if (libssh2_channel_get_exit_signal(x->ch, &sig, &siglen, NULL, NULL,
					    NULL, NULL) == 0 &&
	    sig != NULL) {
		snprintf(r->exit_signal, sizeof(r->exit_signal), "%.*s",
			 (int)siglen, sig);
		libssh2_free(x->c->session, sig);
	}
	if (r->exit_signal[0] != '\0' ||
	    ((r->timed_out || r->canceled) && r->exit_status == 0))
		r->exit_status = -1;
	sshexec_free(x->c, x->ch, dl);
	x->ch = NULL;
}

/* Frees a channel, waiting until dl at most; a session that cannot free
 * it in time is not used again. */
void
sshexec_free(struct ssh_conn *c, LIBSSH2_CHANNEL *ch, long long dl)
{
	while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN) {
		if (ssh_wait(c, dl, NULL, NULL) != SSH_OK) {
			c->broken = 1; /* cannot reuse a stuck session */
			break;
		}
	}
}

/* Opens a session channel, waiting until dl at most. */
enum ssh_status
sshexec_open(struct ssh_conn *c, long long dl, volatile int *cancel,
	     LIBSSH2_CHANNEL **ch, struct ssh_err *err)
{
	enum ssh_status st;
	int rc;

	for (;;) {
		*ch = libssh2_channel_open_session(c->session);
		if (*ch != NULL)
			return SSH_OK;
		rc = libssh2_session_last_errno(c->session);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return ssh_fail(c, rc, "opening a channel", err);
		st = ssh_wait(c, dl, cancel, err);
		if (st != SSH_OK)
			return st;
	}
}

/* Sends the exec request of command on ch (what: for the message). */
enum ssh_status
sshexec_start(struct ssh_conn *c, LIBSSH2_CHANNEL *ch, const char *command,
	      long long dl, volatile int *cancel, const char *what,
	      struct ssh_err *err)
{
	enum ssh_status st;
	int rc;

	for (;;) {
		rc = libssh2_channel_exec(ch, command);
		if (rc == 0)
			return SSH_OK;
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return ssh_fail(c, rc, what, err);
		st = ssh_wait(c, dl, cancel, err);
		if (st != SSH_OK)
			return st;
	}
}

/* Sets x up for one command: options o, result r (initialized here). */
void
sshexec_run_init(struct sshexec_run *x, struct ssh_conn *c,
		 const struct ssh_exec_opt *o, struct ssh_exec_result *r)
{
	memset(x, 0, sizeof(*x));
	x->c = c;
	x->o = o;
	x->r = r;
	x->cancel = o->cancel;
	x->cap = o->capture_max > 0 ? o->capture_max : SSHEXEC_CAPTURE;
	buf_init(&r->out, x->cap);
	buf_init(&r->err, x->cap);
	buf_init(&x->pre, SSHEXEC_PRE_MAX * 2);
	buf_init(&x->hold[SSH_STDOUT], SSHEXEC_PRE_MAX);
	buf_init(&x->hold[SSH_STDERR], SSHEXEC_PRE_MAX);
	buf_init(&x->text, SSHEXEC_CMD_MAX);
	sshexec_token(x->tok);
}

/* Hands what is still held to the output, zeroes what may hold secrets
 * (the sudo password, the command's text), frees x's buffers and ends the
 * result's texts. */
void
sshexec_run_cleanup(struct sshexec_run *x, long long t0)
{
	struct ssh_exec_result *r = x->r;
	int s;

	if (x->pre.len > 0)
		sshexec_emit(x, SSH_STDERR, x->pre.data, x->pre.len);
	for (s = SSH_STDOUT; s <= SSH_STDERR; s++) {
		if (x->hold[s].len > 0)
			sshexec_emit(x, (enum ssh_stream)s, x->hold[s].data,
				     x->hold[s].len);
		buf_cleanup(&x->hold[s]);
	}
	if (x->pw != NULL)
		explicit_bzero(x->pw, x->pw_len);
	free(x->pw);
	if (x->text.data != NULL)
		explicit_bzero(x->text.data, x->text.len);
	buf_cleanup(&x->text);
	buf_cleanup(&x->pre);
	(void)buf_append(&r->out, "", 0);
	(void)buf_append(&r->err, "", 0);
	r->duration_ms = (double)(ssh_now_ms() - t0);
}

/* A command stopped by its timeout or the cancel flag: the result and the
 * error say which. The status to return. */
enum ssh_status
sshexec_stopped(struct sshexec_run *x, int stopped, struct ssh_err *err)
{
	enum ssh_status st = (enum ssh_status)stopped;

	x->r->timed_out = st == SSH_ERR_TIMEOUT;
	x->r->canceled = st == SSH_ERR_CANCELED;
	if (x->r->timed_out)
		ssh_err_set(err, st,
			    "the command did not finish within %d ms and was "
			    "stopped",
			    x->o->timeout_ms);
	else
		ssh_err_set(err, st, "the command was canceled");
	return st;
}

static enum ssh_status
sshexec_command(struct ssh_conn *c, const char *command,
		const struct ssh_exec_opt *o, struct ssh_exec_result *r,
		int may_kill, struct ssh_err *err)
{
	struct sshexec_run x;
	struct buf script;
	unsigned char *sent = NULL;
	long long t0 = ssh_now_ms(), dl, setup;
	size_t i;
	int rc, stopped = SSH_OK;
	enum ssh_status st = SSH_OK;

	sshexec_run_init(&x, c, o, r);
	buf_init(&script, SSHEXEC_CMD_MAX);
	snprintf(x.prompt, sizeof(x.prompt), "%s:pw:", x.tok);
	dl = o->timeout_ms > 0 ? t0 + o->timeout_ms : 0;
	setup = dl > 0 ? dl : t0 + SSHEXEC_SETUP_MS;
	if (c == NULL || c->broken) {
		ssh_err_set(err, SSH_ERR_NETWORK,
			    "the SSH session is no longer usable");
		return SSH_ERR_NETWORK;
	}
	st = sshexec_open(c, setup, o->cancel, &x.ch, err);
	if (st != SSH_OK)
		goto out;
	sent = calloc(o->nenv + 1, 1);
	if (sent == NULL)
		abort();
	for (i = 0; i < o->nenv && !o->sudo && !c->env_refused; i++) {
		const char *v = o->env[i].value != NULL ? o->env[i].value : "";

		for (;;) {
			rc = libssh2_channel_setenv_ex(
			    x.ch, o->env[i].name,
			    (unsigned int)strlen(o->env[i].name), v,
			    (unsigned int)strlen(v));
			if (rc != LIBSSH2_ERROR_EAGAIN)
				break;
			st = ssh_wait(c, setup, o->cancel, err);
			if (st != SSH_OK)
				goto out;
		}
		if (rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED)
			c->env_refused = 1;
		else if (rc != 0)
			goto fail;
		else
			sent[i] = 1;
	}
	if (sshexec_script(&x, command, sent, &script) != 0) {
		ssh_err_set(err, SSH_ERR_INVALID, "the command is too long");
		st = SSH_ERR_INVALID;
		goto out;
	}
	st = sshexec_start(c, x.ch, script.data, setup, o->cancel,
			   "running the command", err);
	if (st != SSH_OK)
		goto out;
	st = sshexec_loop(&x, dl, o->cancel, &stopped, err);
	if (st == SSH_OK && stopped != SSH_OK) {
		st = sshexec_stopped(&x, stopped, err);
		if (may_kill)
			sshexec_kill(&x);
		(void)sshexec_loop(&x, ssh_now_ms() + SSHEXEC_GRACE_MS, NULL,
				   NULL, NULL);
	}
	goto out;
fail:
	st = ssh_fail(c, rc, "running the command", err);
out:
	if (x.ch != NULL)
		sshexec_finish(&x);
	if (script.data != NULL)
		explicit_bzero(script.data, script.len);
	buf_cleanup(&script);
	free(sent);
	sshexec_run_cleanup(&x, t0);
	return st;
}

void
sshexec_token(char *tok)
{
	unsigned char rnd[8];

	crypto_random(rnd, sizeof(rnd));
	memcpy(tok, "OC", 2);
	enc_hex(tok + 2, rnd, sizeof(rnd));
	tok[18] = '\0';
}

enum ssh_status
ssh_exec(struct ssh_conn *c, const char *command, const struct ssh_exec_opt *o,
	 struct ssh_exec_result *r, struct ssh_err *err)
{
	static const struct ssh_exec_opt none;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	buf_init(&r->out, 0);
	buf_init(&r->err, 0);
	ssh_err_set(err, SSH_OK, "ok");
	if (o == NULL)
		o = &none;
	if (command == NULL || (o->nenv > 0 && o->env == NULL)) {
		ssh_err_set(err, SSH_ERR_INVALID, "no command given");
		return SSH_ERR_INVALID;
	}
	for (i = 0; i < o->nenv; i++) {
		if (!sshexec_env_name_ok(o->env[i].name)) {
			ssh_err_set(err, SSH_ERR_INVALID,
				    "environment variable %zu has a bad name "
				    "(letters, digits and _ only)",
				    i + 1);
			return SSH_ERR_INVALID;
		}
	}
	if (o->sudo_password != NULL &&
	    strpbrk(o->sudo_password, "\r\n") != NULL) {
		ssh_err_set(err, SSH_ERR_INVALID,
			    "the sudo password contains a line break");
		return SSH_ERR_INVALID;
	}
	if (sshexec_shell_fits(c, command, o))
		return sshexec_shell(c, command, o, r, err);
	return sshexec_command(c, command, o, r, 1, err);
}

void
ssh_exec_result_cleanup(struct ssh_exec_result *r)
{
	buf_cleanup(&r->out);
	buf_cleanup(&r->err);
}

/* An os-release value without its quotes and backslash escapes. */
static void
sshexec_os_value(char *out, size_t cap, const char *v, size_t n)
{
	size_t i, o = 0;
	char q = 0;

	if (n > 0 && (v[0] == '"' || v[0] == '\'')) {
		q = v[0];
		v++;
		n--;
		if (n > 0 && v[n - 1] == q)
			n--;
	}
	for (i = 0; i < n && o + 1 < cap; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = v[i];
	}
	out[o] = '\0';
}

enum ssh_status
ssh_detect_os(struct ssh_conn *c, int timeout_ms, volatile int *cancel,
	      struct ssh_os *os, struct ssh_err *err)
{
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	const char *p, *nl;
	size_t n;
	enum ssh_status st;

	memset(os, 0, sizeof(*os));
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	o.cancel = cancel;
	o.capture_max = 65536;
	st = ssh_exec(c,
		      "uname -srm 2>/dev/null; echo; echo '--os-release--'; "
		      "cat /etc/os-release 2>/dev/null || "
		      "cat /usr/lib/os-release 2>/dev/null; exit 0",
		      &o, &r, err);
	if (st != SSH_OK) {
		ssh_exec_result_cleanup(&r);
		return st;
	}
	p = r.out.data;
	n = strcspn(p, "\r\n");
	if (strncmp(p, "--os-release--", 14) != 0)
		snprintf(os->kernel, sizeof(os->kernel), "%.*s", (int)n, p);
	p = strstr(p, "\n--os-release--\n");
	for (p = p != NULL ? p + 16 : NULL; p != NULL && *p != '\0';
	     p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (strncmp(p, "ID=", 3) == 0)
			sshexec_os_value(os->id, sizeof(os->id), p + 3, n - 3);
		else if (strncmp(p, "VERSION_ID=", 11) == 0)
			sshexec_os_value(os->version_id, sizeof(os->version_id),
					 p + 11, n - 11);
		else if (strncmp(p, "PRETTY_NAME=", 12) == 0)
			sshexec_os_value(os->pretty_name,
					 sizeof(os->pretty_name), p + 12,
					 n - 12);
	}
	ssh_exec_result_cleanup(&r);
	return SSH_OK;
}
