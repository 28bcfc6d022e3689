/* The shell a session's commands share (ssh_share_shell): started once
 * on its own channel, it runs each command, written to it as one line, in
 * a subshell, and marks the command's end on stdout (with its exit status)
 * and on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>

#include "ssh.h"
#include "sshexec.h"

static enum ssh_status sshexec_shell_open(struct ssh_conn *c, long long dl,
					  volatile int *cancel,
					  struct ssh_err *err);
static void sshexec_shell_end(struct sshexec_run *x);

void
ssh_share_shell(struct ssh_conn *c)
{
	if (c != NULL)
		c->share_shell = 1;
}

/* 1 when the command may run in the shared shell: nothing to feed it (its
 * input is the shell's command stream), no sudo password to answer, and
 * short enough for a shell that reads its input a byte at a time. */
int
sshexec_shell_fits(const struct ssh_conn *c, const char *command,
		   const struct ssh_exec_opt *o)
{
	return c != NULL && c->share_shell && !c->broken &&
	       (o->stdin_data == NULL || o->stdin_len == 0) &&
	       !(o->sudo && o->sudo_password != NULL) &&
	       strlen(command) <= SSHEXEC_SHELL_MAX;
}

/* Starts the shared shell: the login user's shell, which writes
 * "<tok>:<pid>" on stderr and then runs each line of its input (each
 * command is one line, its newlines written as "$__oc_nl"). Reading lines
 * in the shell sshd started costs no second shell. Nothing waits for the
 * start: the first command is written right behind it. */
static enum ssh_status
sshexec_shell_open(struct ssh_conn *c, long long dl, volatile int *cancel,
		   struct ssh_err *err)
{
	LIBSSH2_CHANNEL *ch;
	char boot[256];
	enum ssh_status st;

	st = sshexec_open(c, dl, cancel, &ch, err);
	if (st != SSH_OK)
		return st;
	sshexec_token(c->shell_tok);
	snprintf(boot, sizeof(boot),
		 "printf '%%s:%%s\\n' '%s' \"$$\" >&2; " SSHEXEC_NL
		 "='\n'; while IFS= read -r __oc_l; do eval \"$__oc_l\"; "
		 "done",
		 c->shell_tok);
	st = sshexec_start(c, ch, boot, dl, cancel, "starting a shell", err);
	if (st != SSH_OK) {
		sshexec_free(c, ch, ssh_now_ms() + SSHEXEC_GRACE_MS);
		return st;
	}
	c->shell = ch;
	c->shell_pid = 0;
	return SSH_OK;
}

/* Ends the shared shell after a stopped command or its own end: its exit
 * status and signal go to the command's result. */
static void
sshexec_shell_end(struct sshexec_run *x)
{
	if (x->ch == NULL)
		return;
	sshexec_finish(x);
	x->c->shell = NULL;
	x->c->shell_pid = 0;
}

/* Output of stream s up to the command's end marker on it,
 * "\n<tok>:<value>\n" (that newline is the marker's, not the command's);
 * bytes that may begin the marker are held until more arrive. */
void
sshexec_shell_scan(struct sshexec_run *x, enum ssh_stream s, const char *p,
		   size_t n)
{
	struct buf *h = &x->hold[s];
	const char *m, *v, *nl;
	char pat[24];
	size_t pl, k, vn, i;

	if (x->ended[s]) {
		sshexec_emit(x, s, p, n); /* a background process's */
		return;
	}
	pl = (size_t)snprintf(pat, sizeof(pat), "\n%s:", x->tok);
	while (n > 0) {
		k = n < 16384 ? n : 16384; /* h keeps fewer than 64 bytes */
		if (buf_append(h, p, k) != 0)
			abort();
		p += k;
		n -= k;
		for (;;) {
			m = h->len > 0 ? memmem(h->data, h->len, pat, pl)
				       : NULL;
			if (m == NULL) {
				k = pl - 1 < h->len ? pl - 1 : h->len;
				while (k > 0 && memcmp(h->data + h->len - k,
						       pat, k) != 0)
					k--;
				sshexec_emit(x, s, h->data, h->len - k);
				sshexec_consume(h, h->len - k);
				break;
			}
			sshexec_emit(x, s, h->data, (size_t)(m - h->data));
			sshexec_consume(h, (size_t)(m - h->data));
			v = h->data + pl;
			nl = memchr(v, '\n', h->len - pl);
			if (nl == NULL && h->len - pl <= 12)
				break; /* the rest of the line is to come */
			vn = nl != NULL ? (size_t)(nl - v) : 0;
			for (i = 0; i < vn && v[i] >= '0' && v[i] <= '9'; i++)
				;
			if (nl != NULL &&
			    (s == SSH_STDOUT ? i == vn && vn > 0 && vn < 4
					     : vn == 1 && v[0] == 'e')) {
				if (s == SSH_STDOUT)
					x->status = (int)strtol(v, NULL, 10);
				x->ended[s] = 1;
				sshexec_consume(h, (size_t)(nl + 1 - h->data));
				if (h->len > 0 || n > 0) {
					sshexec_emit(x, s, h->data, h->len);
					sshexec_emit(x, s, p, n);
				}
				sshexec_consume(h, h->len);
				return;
			}
			/* The token, but not a marker line: output. */
			sshexec_emit(x, s, h->data, 1);
			sshexec_consume(h, 1);
		}
	}
}

/* The shell's stderr: its first line ("<tok>:<pid>") after a start, then
 * the command's. Lines before that one (a profile's complaints) are the
 * command's stderr. */
void
sshexec_shell_stderr(struct sshexec_run *x, const char *p, size_t n)
{
	struct ssh_conn *c = x->c;
	struct buf *pre = &x->pre;
	size_t tl = strlen(c->shell_tok), line, i;
	const char *d, *nl;

	if (c->shell_pid != 0) {
		sshexec_shell_scan(x, SSH_STDERR, p, n);
		return;
	}
	if (buf_append(pre, p, n) != 0) {
		c->shell_pid = -1; /* no start line in sight: no kill */
		sshexec_shell_scan(x, SSH_STDERR, pre->data, pre->len);
		sshexec_consume(pre, pre->len);
		sshexec_shell_scan(x, SSH_STDERR, p, n);
		return;
	}
	while (c->shell_pid == 0 &&
	       (nl = memchr(pre->data, '\n', pre->len)) != NULL) {
		d = pre->data;
		line = (size_t)(nl - d);
		for (i = tl + 1; i < line && d[i] >= '0' && d[i] <= '9'; i++)
			;
		if (line > tl + 1 && line < tl + 11 && i == line &&
		    memcmp(d, c->shell_tok, tl) == 0 && d[tl] == ':')
			c->shell_pid = strtol(d + tl + 1, NULL, 10);
		else
			sshexec_emit(x, SSH_STDERR, d, line + 1);
		sshexec_consume(pre, line + 1);
	}
	if (c->shell_pid != 0 && pre->len > 0) {
		sshexec_shell_scan(x, SSH_STDERR, pre->data, pre->len);
		sshexec_consume(pre, pre->len);
	}
}

/* Writes what is left of the command's text. 1 progress, 0 none, or a
 * libssh2 error. */
long
sshexec_shell_write(struct sshexec_run *x)
{
	ssize_t n;
	long progress = 0;

	while (x->text_off < x->text.len) {
		n = libssh2_channel_write(x->ch, x->text.data + x->text_off,
					  x->text.len - x->text_off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return progress;
		if (n < 0) {
			/* The shell is gone: its end says why. */
			if (n == LIBSSH2_ERROR_CHANNEL_CLOSED ||
			    n == LIBSSH2_ERROR_CHANNEL_EOF_SENT ||
			    libssh2_channel_eof(x->ch)) {
				x->text_off = x->text.len;
				return 0;
			}
			return (long)n;
		}
		x->text_off += (size_t)n;
		progress = 1;
	}
	return progress;
}

/* ssh_exec in the shared shell: the command runs in a subshell, "( eval
 * '<body>' ) </dev/null" (or sudo -n sh -c '<body>' in it), followed by
 * its end markers on stdout (with its exit status) and stderr, all on one
 * line. eval keeps a command that does not parse from taking the shell's
 * input with it. */
enum ssh_status
sshexec_shell(struct ssh_conn *c, const char *command,
	      const struct ssh_exec_opt *o, struct ssh_exec_result *r,
	      struct ssh_err *err)
{
	struct sshexec_run x;
	struct buf body;
	long long t0 = ssh_now_ms(), dl, setup;
	int rc = 0, stopped = SSH_OK;
	enum ssh_status st;

	sshexec_run_init(&x, c, o, r);
	buf_init(&body, SSHEXEC_CMD_MAX);
	dl = o->timeout_ms > 0 ? t0 + o->timeout_ms : 0;
	setup = dl > 0 ? dl : t0 + SSHEXEC_SETUP_MS;
	rc |= sshexec_body(o, command, NULL, &body);
	rc |=
	    buf_puts(&x.text, o->sudo ? "( exec sudo -n -- sh -c " : "( eval ");
	rc |= body.data != NULL
		  ? ssh_shell_quote_line(&x.text, body.data, SSHEXEC_NL)
		  : -1;
	rc |= buf_printf(&x.text,
			 " ) </dev/null; printf '\\n%%s:%%s\\n' '%s' \"$?\"; "
			 "printf '\\n%%s:e\\n' '%s' >&2\n",
			 x.tok, x.tok);
	if (rc != 0) {
		ssh_err_set(err, SSH_ERR_INVALID, "the command is too long");
		st = SSH_ERR_INVALID;
		goto out;
	}
	if (c->shell == NULL) {
		st = sshexec_shell_open(c, setup, o->cancel, err);
		if (st != SSH_OK)
			goto out;
	}
	x.ch = c->shell;
	x.in_shell = 1;
	st = sshexec_loop(&x, dl, o->cancel, &stopped, err);
	if (st == SSH_OK && stopped != SSH_OK) {
		st = sshexec_stopped(&x, stopped, err);
		x.pgid = c->shell_pid;
		sshexec_kill(&x);
		(void)sshexec_loop(&x, ssh_now_ms() + SSHEXEC_GRACE_MS, NULL,
				   NULL, NULL);
		sshexec_shell_end(&x);
	} else if (st == SSH_OK && x.gone) {
		sshexec_shell_end(&x); /* it took the shell with it */
	} else if (st == SSH_OK) {
		r->exit_status = x.status;
	} else {
		sshexec_shell_end(&x);
	}
out:
	if (body.data != NULL)
		explicit_bzero(body.data, body.len);
	buf_cleanup(&body);
	sshexec_run_cleanup(&x, t0);
	return st;
}
