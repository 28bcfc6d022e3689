/* The SFTP library against a real OpenSSH server on loopback
 * (tests/fixtures/sshd/sshd.sh): upload with mode and overwrite policies,
 * download with a size cap, verification, remove, no temporary files
 * left behind, and no secret in any error message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/sshfx.h"
#include "tests/lib/tap.h"
#include "worker/sftp.h"
#include "worker/ssh.h"

static struct sshfx fx;

static void test_sftp(struct ssh_conn *c);

/* Round trip of a 300 kB file in a fresh directory, then every overwrite
 * policy and failure, all on one session. */
static void
test_sftp(struct ssh_conn *c)
{
	struct sftp_opt o;
	struct sftp_result r;
	struct ssh_exec_result xr;
	struct ssh_err e;
	struct buf b;
	struct stat sb;
	char rdir[128], path[256], local[512];
	size_t n = 300000, i;
	unsigned char *data = malloc(n);

	if (data == NULL)
		BAIL_OUT("out of memory");
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7919 >> 3);
	snprintf(rdir, sizeof(rdir), "/tmp/oc-sftp-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/file.bin", rdir);
	snprintf(local, sizeof(local), "rm -rf '%s'; mkdir -m 0755 '%s'", rdir,
		 rdir);
	(void)sshfx_run(&fx, c, local, NULL, &xr);
	ssh_exec_result_cleanup(&xr);

	memset(&o, 0, sizeof(o));
	o.mode = 0640;
	o.overwrite = SFTP_FAIL_IF_EXISTS;
	cmp_ok(sftp_upload(c, path, data, n, &o, &r, &e), "==", SSH_OK,
	       "upload");
	sshfx_keep(&fx, &e);
	ok(r.verified && r.bytes == n && !r.skipped, "verified, %zu bytes",
	   r.bytes);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640 &&
	       sb.st_size == (off_t)n,
	   "file in place with mode 0640");

	buf_init(&b, 1 << 20);
	cmp_ok(sftp_download(c, path, 1 << 20, NULL, &b, &r, &e), "==", SSH_OK,
	       "download");
	sshfx_keep(&fx, &e);
	ok(b.len == n && memcmp(b.data, data, n) == 0, "round trip intact");
	ok(r.verified, "download verified");
	buf_cleanup(&b);

	buf_init(&b, 1 << 20);
	cmp_ok(sftp_download(c, path, 1000, NULL, &b, &r, &e),
	       "==", SSH_ERR_TOO_LARGE, "download over the cap");
	sshfx_keep(&fx, &e);
	buf_cleanup(&b);
	buf_init(&b, 1 << 20);
	cmp_ok(sftp_download(c, "/nonexistent/x", 1000, NULL, &b, &r, &e),
	       "==", SSH_ERR_REMOTE, "download of a missing file");
	sshfx_keep(&fx, &e);
	buf_cleanup(&b);

	cmp_ok(sftp_upload(c, path, "new", 3, &o, &r, &e), "==", SSH_ERR_EXISTS,
	       "fail_if_exists");
	sshfx_keep(&fx, &e);
	o.overwrite = SFTP_SKIP_IF_EXISTS;
	cmp_ok(sftp_upload(c, path, "new", 3, &o, &r, &e), "==", SSH_OK,
	       "skip_if_exists");
	ok(r.skipped, "skipped");
	ok(stat(path, &sb) == 0 && sb.st_size == (off_t)n, "file unchanged");
	o.overwrite = SFTP_OVERWRITE;
	o.mode = 0600;
	cmp_ok(sftp_upload(c, path, "new", 3, &o, &r, &e), "==", SSH_OK,
	       "overwrite");
	ok(stat(path, &sb) == 0 && sb.st_size == 3 &&
	       (sb.st_mode & 07777) == 0600,
	   "file replaced, mode 0600");
	snprintf(path, sizeof(path), "%s/empty", rdir);
	cmp_ok(sftp_upload(c, path, NULL, 0, &o, &r, &e), "==", SSH_OK,
	       "empty upload");
	cmp_ok(sftp_upload(c, "/nonexistent-dir/f", "x", 1, &o, &r, &e),
	       "==", SSH_ERR_REMOTE, "upload into a missing directory");
	sshfx_keep(&fx, &e);
	cmp_ok(sftp_upload(c, "/etc/oc-forbidden", "x", 1, &o, &r, &e),
	       "==", SSH_ERR_REMOTE, "upload without permission");
	sshfx_keep(&fx, &e);
	snprintf(local, sizeof(local), "ls -A '%s' | grep -c tmp || true",
		 rdir);
	(void)sshfx_run(&fx, c, local, NULL, &xr);
	is(xr.out.data, "0\n", "no temporary files left behind");
	ssh_exec_result_cleanup(&xr);
	cmp_ok(sftp_remove(c, path, 5000, &e), "==", SSH_OK, "remove");
	ok(access(path, F_OK) != 0, "removed");
	cmp_ok(sftp_remove(c, path, 5000, &e), "==", SSH_OK,
	       "remove of a missing file is fine");
	snprintf(local, sizeof(local), "rm -rf '%s'", rdir);
	(void)sshfx_run(&fx, c, local, NULL, &xr);
	ssh_exec_result_cleanup(&xr);
	free(data);
}

int
main(void)
{
	struct ssh_target t;
	struct ssh_conn *c;

	if (sshfx_start(&fx) != 0) {
		skip(1, "the sshd fixture needs root");
		return done_testing();
	}
	t = sshfx_target(&fx, "oc-test-key");
	t.key = fx.key_ed;
	c = sshfx_login(&fx, &t, "session for file transfer");
	if (c != NULL) {
		test_sftp(c);
		ssh_close(c);
	}
	sshfx_check_no_secrets(&fx, 4);
	sshfx_stop(&fx);
	return done_testing();
}
