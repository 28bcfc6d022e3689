/* File transfer over an SSH session (SFTP through libssh2): atomic uploads
 * with a mode and an overwrite policy, capped downloads, and SHA-256
 * verification against sha256sum on the target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "crypto.h"
#include "enc.h"
#include "sftp.h"

#define SFTP_TIMEOUT_MS 60000
#define SFTP_CHUNK 262144 /* bytes handed to one libssh2 write */

/* One transfer: the session, its SFTP channel, deadline and cancel. */
struct sftp_ctx {
	struct ssh_conn *c;
	LIBSSH2_SFTP *s;
	long long dl;
	volatile int *cancel;
	struct ssh_err *err;
};

static enum ssh_status sftp_fail(struct sftp_ctx *x, int rc, const char *what,
				 const char *path);
static enum ssh_status sftp_start(struct sftp_ctx *x);
static void sftp_stop(struct sftp_ctx *x);
static enum ssh_status sftp_exists(struct sftp_ctx *x, const char *path,
				   int *exists);
static enum ssh_status sftp_unlink(struct sftp_ctx *x, const char *path);
static enum ssh_status sftp_close_handle(struct sftp_ctx *x,
					 LIBSSH2_SFTP_HANDLE *h);
static enum ssh_status sftp_write_all(struct sftp_ctx *x, const char *tmp,
				      const void *data, size_t len, int mode);
static enum ssh_status sftp_remote_cmd(struct sftp_ctx *x, const char *prog,
				       const char *a, const char *b,
				       struct ssh_exec_result *r);
static enum ssh_status sftp_verify(struct sftp_ctx *x, const char *path,
				   const char *want);
static enum ssh_status sftp_rename(struct sftp_ctx *x, const char *tmp,
				   const char *path, enum sftp_overwrite ow,
				   int *skipped);
static char *sftp_temp_name(const char *path);
static int sftp_path_ok(const char *path, struct ssh_err *err);

static enum ssh_status
sftp_fail(struct sftp_ctx *x, int rc, const char *what, const char *path)
{
	const char *why;
	unsigned long fx;

	if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL || x->s == NULL)
		return ssh_fail(x->c, rc, what, x->err);
	fx = libssh2_sftp_last_error(x->s);
	switch (fx) {
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		why = "no such file or directory";
		break;
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_WRITE_PROTECT:
		why = "permission denied";
		break;
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		why = "no space left on the target";
		break;
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		why = "the file exists";
		break;
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		why = "a part of the path is not a directory";
		break;
	default:
		why = "the SFTP server reported a failure";
		break;
	}
	ssh_err_set(x->err, SSH_ERR_REMOTE, "%s %s on %s: %s", what, path,
		    x->c->peer, why);
	return SSH_ERR_REMOTE;
}

static enum ssh_status
sftp_start(struct sftp_ctx *x)
{
	enum ssh_status st;
	int rc;

	if (x->c == NULL || x->c->broken) {
		ssh_err_set(x->err, SSH_ERR_NETWORK,
			    "the SSH session is no longer usable");
		return SSH_ERR_NETWORK;
	}
	for (;;) {
		x->s = libssh2_sftp_init(x->c->session);
		if (x->s != NULL)
			break;
		rc = libssh2_session_last_errno(x->c->session);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return ssh_fail(x->c, rc, "starting SFTP", x->err);
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
		if (st != SSH_OK)
			return st;
	}
	return SSH_OK;
}

static void
sftp_stop(struct sftp_ctx *x)
{
	long long dl = ssh_now_ms() + 2000;

	if (x->s == NULL)
		return;
	while (libssh2_sftp_shutdown(x->s) == LIBSSH2_ERROR_EAGAIN) {
		if (ssh_wait(x->c, dl, NULL, NULL) != SSH_OK) {
			x->c->broken = 1;
			break;
		}
	}
	x->s = NULL;
}

static enum ssh_status
sftp_exists(struct sftp_ctx *x, const char *path, int *exists)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	enum ssh_status st;
	int rc;

	for (;;) {
		rc =
		    libssh2_sftp_stat_ex(x->s, path, (unsigned int)strlen(path),
					 LIBSSH2_SFTP_LSTAT, &a);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
		if (st != SSH_OK)
			return st;
	}
	*exists = rc == 0;
	if (rc == 0)
		return SSH_OK;
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		unsigned long fx = libssh2_sftp_last_error(x->s);

		if (fx == LIBSSH2_FX_NO_SUCH_FILE ||
		    fx == LIBSSH2_FX_NO_SUCH_PATH)
			return SSH_OK;
	}
	return sftp_fail(x, rc, "checking", path);
}

static enum ssh_status
sftp_unlink(struct sftp_ctx *x, const char *path)
{
	enum ssh_status st;
	int rc;

	for (;;) {
		rc = libssh2_sftp_unlink_ex(x->s, path,
					    (unsigned int)strlen(path));
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
		if (st != SSH_OK)
			return st;
	}
	if (rc == 0)
		return SSH_OK;
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL &&
	    libssh2_sftp_last_error(x->s) == LIBSSH2_FX_NO_SUCH_FILE)
		return SSH_OK;
	return sftp_fail(x, rc, "removing", path);
}

static enum ssh_status
sftp_close_handle(struct sftp_ctx *x, LIBSSH2_SFTP_HANDLE *h)
{
	long long dl = x->dl + 2000;
	int rc;

	for (;;) {
		rc = libssh2_sftp_close_handle(h);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		if (ssh_wait(x->c, dl, NULL, x->err) != SSH_OK) {
			x->c->broken = 1;
			return SSH_ERR_TIMEOUT;
		}
	}
	return rc == 0 ? SSH_OK : sftp_fail(x, rc, "closing", "the file");
}

/* Creates tmp (it must not exist), writes data, sets the mode. */
static enum ssh_status
sftp_write_all(struct sftp_ctx *x, const char *tmp, const void *data,
	       size_t len, int mode)
{
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP_ATTRIBUTES a;
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int rc = 0;
	enum ssh_status st;

	for (;;) {
		h = libssh2_sftp_open_ex(x->s, tmp, (unsigned int)strlen(tmp),
					 LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
					     LIBSSH2_FXF_EXCL,
					 mode, LIBSSH2_SFTP_OPENFILE);
		if (h != NULL)
			break;
		rc = libssh2_session_last_errno(x->c->session);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return sftp_fail(x, rc, "creating", tmp);
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
		if (st != SSH_OK)
			return st;
	}
	st = SSH_OK;
	while (off < len) {
		n = libssh2_sftp_write(h, p + off,
				       len - off < SFTP_CHUNK ? len - off
							      : SFTP_CHUNK);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n != LIBSSH2_ERROR_EAGAIN) {
			st = sftp_fail(x, (int)n, "writing", tmp);
			break;
		}
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
		if (st != SSH_OK)
			break;
	}
	memset(&a, 0, sizeof(a));
	a.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
	a.permissions = (unsigned long)mode & 07777;
	while (st == SSH_OK) {
		rc = libssh2_sftp_fsetstat(h, &a);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
	}
	if (st == SSH_OK && rc != 0)
		st = sftp_fail(x, rc, "setting the mode of", tmp);
	if (sftp_close_handle(x, h) != SSH_OK && st == SSH_OK)
		st = x->err != NULL ? x->err->code : SSH_ERR_REMOTE;
	return st;
}

/* Runs "prog -- 'a' ['b']" (b may be NULL). */
static enum ssh_status
sftp_remote_cmd(struct sftp_ctx *x, const char *prog, const char *a,
		const char *b, struct ssh_exec_result *r)
{
	struct ssh_exec_opt o;
	struct buf cmd;
	long long left = x->dl - ssh_now_ms();
	enum ssh_status st;

	buf_init(&cmd, 65536);
	(void)buf_printf(&cmd, "%s -- ", prog);
	(void)ssh_shell_quote(&cmd, a);
	if (b != NULL) {
		(void)buf_puts(&cmd, " ");
		(void)ssh_shell_quote(&cmd, b);
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = left > 1 ? (int)left : 1;
	o.cancel = x->cancel;
	o.capture_max = 4096;
	st = ssh_exec(x->c, cmd.data, &o, r, x->err);
	buf_cleanup(&cmd);
	return st;
}

/* Compares the target's sha256sum of path with want (hex). */
static enum ssh_status
sftp_verify(struct sftp_ctx *x, const char *path, const char *want)
{
	struct ssh_exec_result r;
	const char *p;
	enum ssh_status st;

	st = sftp_remote_cmd(x, "sha256sum", path, NULL, &r);
	if (st != SSH_OK)
		goto out;
	p = r.out.data;
	if (*p == '\\')
		p++; /* GNU marks escaped file names this way */
	if (r.exit_status == 127) {
		st = SSH_ERR_REMOTE;
		ssh_err_set(x->err, st,
			    "sha256sum is not available on %s; the transfer "
			    "cannot be verified",
			    x->c->peer);
	} else if (r.exit_status != 0 || strlen(p) < 64) {
		st = SSH_ERR_REMOTE;
		ssh_err_set(x->err, st,
			    "sha256sum of %s failed on %s (exit %d): %.120s",
			    path, x->c->peer, r.exit_status, r.err.data);
	} else if (strncmp(p, want, 64) != 0) {
		st = SSH_ERR_CHECKSUM;
		ssh_err_set(x->err, st,
			    "checksum mismatch for %s on %s: sent SHA-256 "
			    "%.16s..., the target has %.16s...",
			    path, x->c->peer, want, p);
	}
out:
	ssh_exec_result_cleanup(&r);
	return st;
}

/* Moves tmp to path. Overwriting uses mv -f (rename(2), atomic): SFTP v3
 * rename refuses an existing target, which is what the other policies
 * want. */
static enum ssh_status
sftp_rename(struct sftp_ctx *x, const char *tmp, const char *path,
	    enum sftp_overwrite ow, int *skipped)
{
	struct ssh_exec_result r;
	enum ssh_status st;
	int rc, exists = 0;

	if (ow == SFTP_OVERWRITE) {
		st = sftp_remote_cmd(x, "mv -f", tmp, path, &r);
		if (st == SSH_OK && r.exit_status != 0) {
			st = SSH_ERR_REMOTE;
			ssh_err_set(x->err, st,
				    "could not move the upload into place "
				    "at %s on %s: %.160s",
				    path, x->c->peer, r.err.data);
		}
		ssh_exec_result_cleanup(&r);
		return st;
	}
	for (;;) {
		rc = libssh2_sftp_rename_ex(
		    x->s, tmp, (unsigned int)strlen(tmp), path,
		    (unsigned int)strlen(path),
		    LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(x->c, x->dl, x->cancel, x->err);
		if (st != SSH_OK)
			return st;
	}
	if (rc == 0)
		return SSH_OK;
	if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return ssh_fail(x->c, rc, "renaming the upload", x->err);
	/* Did the file appear meanwhile? */
	st = sftp_exists(x, path, &exists);
	if (st != SSH_OK)
		return st;
	if (!exists)
		return sftp_fail(x, rc, "moving the upload to", path);
	if (ow == SFTP_SKIP_IF_EXISTS) {
		*skipped = 1;
		return SSH_OK;
	}
	ssh_err_set(x->err, SSH_ERR_EXISTS, "%s already exists on %s", path,
		    x->c->peer);
	return SSH_ERR_EXISTS;
}

/* "<dir>/.<base>.oc-<hex>.tmp" next to path (malloc). */
static char *
sftp_temp_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *base;
	unsigned char rnd[6];
	char hex[13], *out;
	size_t dirlen, n;

	base = slash != NULL ? slash + 1 : path;
	dirlen = (size_t)(base - path);
	crypto_random(rnd, sizeof(rnd));
	enc_hex(hex, rnd, sizeof(rnd));
	n = dirlen + strlen(base) + 32;
	out = malloc(n);
	if (out == NULL)
		abort();
	snprintf(out, n, "%.*s.%.64s.oc-%s.tmp", (int)dirlen, path, base, hex);
	return out;
}

static int
sftp_path_ok(const char *path, struct ssh_err *err)
{
	size_t n = path != NULL ? strlen(path) : 0;

	if (n == 0 || n > 4000 || path[n - 1] == '/' ||
	    strpbrk(path, "\r\n") != NULL) {
		ssh_err_set(err, SSH_ERR_INVALID,
			    "the remote path must name a file (no trailing "
			    "/ or line breaks)");
		return 0;
	}
	return 1;
}

enum ssh_status
sftp_upload(struct ssh_conn *c, const char *path, const void *data, size_t len,
	    const struct sftp_opt *o, struct sftp_result *r,
	    struct ssh_err *err)
{
	static const struct sftp_opt dflt;
	struct sftp_result lr;
	struct sftp_ctx x;
	unsigned char md[32];
	char *tmp = NULL;
	int exists = 0, placed = 0, mode;
	enum ssh_status st;

	if (o == NULL)
		o = &dflt;
	if (r == NULL)
		r = &lr;
	memset(r, 0, sizeof(*r));
	ssh_err_set(err, SSH_OK, "ok");
	if (!sftp_path_ok(path, err) || (data == NULL && len > 0))
		return err != NULL ? err->code : SSH_ERR_INVALID;
	mode = o->mode > 0 ? o->mode & 07777 : 0644;
	crypto_sha256(md, data != NULL ? data : "", len);
	enc_hex(r->sha256, md, sizeof(md));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.dl = ssh_now_ms() +
	       (o->timeout_ms > 0 ? o->timeout_ms : SFTP_TIMEOUT_MS);
	x.cancel = o->cancel;
	x.err = err;
	st = sftp_start(&x);
	if (st == SSH_OK && o->overwrite != SFTP_OVERWRITE)
		st = sftp_exists(&x, path, &exists);
	if (st == SSH_OK && exists) {
		if (o->overwrite == SFTP_SKIP_IF_EXISTS) {
			r->skipped = 1;
		} else {
			st = SSH_ERR_EXISTS;
			ssh_err_set(err, st, "%s already exists on %s", path,
				    c->peer);
		}
		goto out;
	}
	if (st != SSH_OK)
		goto out;
	tmp = sftp_temp_name(path);
	st = sftp_write_all(&x, tmp, data, len, mode);
	if (st == SSH_OK && !o->no_verify) {
		st = sftp_verify(&x, tmp, r->sha256);
		r->verified = st == SSH_OK;
	}
	if (st == SSH_OK) {
		st = sftp_rename(&x, tmp, path, o->overwrite, &r->skipped);
		placed = st == SSH_OK && !r->skipped;
	}
	if (placed)
		r->bytes = len;
out:
	if (tmp != NULL && !placed && x.s != NULL && !c->broken) {
		/* Best effort, even after a timeout or cancel. */
		x.dl = ssh_now_ms() + 2000;
		x.cancel = NULL;
		x.err = NULL;
		(void)sftp_unlink(&x, tmp);
	}
	free(tmp);
	sftp_stop(&x);
	return st;
}

enum ssh_status
sftp_download(struct ssh_conn *c, const char *path, size_t max,
	      const struct sftp_opt *o, struct buf *out, struct sftp_result *r,
	      struct ssh_err *err)
{
	static const struct sftp_opt dflt;
	struct sftp_result lr;
	struct sftp_ctx x;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned char md[32];
	char chunk[32768];
	size_t start = out->len;
	ssize_t n;
	int rc = 0;
	enum ssh_status st;

	if (o == NULL)
		o = &dflt;
	if (r == NULL)
		r = &lr;
	memset(r, 0, sizeof(*r));
	ssh_err_set(err, SSH_OK, "ok");
	if (!sftp_path_ok(path, err))
		return SSH_ERR_INVALID;
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.dl = ssh_now_ms() +
	       (o->timeout_ms > 0 ? o->timeout_ms : SFTP_TIMEOUT_MS);
	x.cancel = o->cancel;
	x.err = err;
	st = sftp_start(&x);
	while (st == SSH_OK) {
		h = libssh2_sftp_open_ex(x.s, path, (unsigned int)strlen(path),
					 LIBSSH2_FXF_READ, 0,
					 LIBSSH2_SFTP_OPENFILE);
		if (h != NULL)
			break;
		rc = libssh2_session_last_errno(c->session);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			st = sftp_fail(&x, rc, "opening", path);
		else
			st = ssh_wait(c, x.dl, x.cancel, err);
	}
	while (st == SSH_OK) {
		rc = libssh2_sftp_fstat_ex(h, &a, 0);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(c, x.dl, x.cancel, err);
	}
	if (st == SSH_OK && rc == 0 && (a.flags & LIBSSH2_SFTP_ATTR_SIZE) &&
	    a.filesize > max) {
		st = SSH_ERR_TOO_LARGE;
		ssh_err_set(err, st,
			    "%s on %s is %llu bytes, over the limit "
			    "of %zu",
			    path, c->peer, (unsigned long long)a.filesize, max);
	}
	while (st == SSH_OK) {
		n = libssh2_sftp_read(h, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n == LIBSSH2_ERROR_EAGAIN) {
			st = ssh_wait(c, x.dl, x.cancel, err);
		} else if (n < 0) {
			st = sftp_fail(&x, (int)n, "reading", path);
		} else if (r->bytes + (size_t)n > max ||
			   buf_append(out, chunk, (size_t)n) != 0) {
			st = SSH_ERR_TOO_LARGE;
			ssh_err_set(err, st,
				    "%s on %s is over the limit of "
				    "%zu bytes",
				    path, c->peer, max);
		} else {
			r->bytes += (size_t)n;
		}
	}
	if (h != NULL && sftp_close_handle(&x, h) != SSH_OK && st == SSH_OK)
		st = err != NULL ? err->code : SSH_ERR_REMOTE;
	if (st == SSH_OK) {
		crypto_sha256(md, out->data != NULL ? out->data + start : "",
			      r->bytes);
		enc_hex(r->sha256, md, sizeof(md));
		if (!o->no_verify) {
			st = sftp_verify(&x, path, r->sha256);
			r->verified = st == SSH_OK;
		}
	}
	sftp_stop(&x);
	return st;
}

enum ssh_status
sftp_remove(struct ssh_conn *c, const char *path, int timeout_ms,
	    struct ssh_err *err)
{
	struct sftp_ctx x;
	enum ssh_status st;

	ssh_err_set(err, SSH_OK, "ok");
	if (!sftp_path_ok(path, err))
		return SSH_ERR_INVALID;
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.dl = ssh_now_ms() + (timeout_ms > 0 ? timeout_ms : SFTP_TIMEOUT_MS);
	x.err = err;
	st = sftp_start(&x);
	if (st == SSH_OK)
		st = sftp_unlink(&x, path);
	sftp_stop(&x);
	return st;
}
