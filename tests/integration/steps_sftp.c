/* The sftp.upload and sftp.download executors against a real OpenSSH
 * server on loopback: a round trip with SHA-256 checks, modes, every
 * overwrite policy, the download cap, bad attachments and inputs, all on
 * the one session of the target. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "enc.h"
#include "tests/lib/sshfx.h"
#include "tests/lib/stepfx.h"
#include "tests/lib/tap.h"
#include "worker/ssh.h"

static struct sshfx fx;
static char fingerprint[64];

static const char *output(const struct stepfx *x, const char *key);
static int same_file(const char *path, const void *p, size_t n);
static void test_transfers(void);

static const char *
output(const struct stepfx *x, const char *key)
{
	json_object *v;

	if (x->c.outputs == NULL ||
	    !json_object_object_get_ex(x->c.outputs, key, &v))
		return "";
	return json_object_get_string(v);
}

/* 1 when the local file path holds exactly p[0..n). */
static int
same_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	char *got;
	size_t r;
	int same;

	if (f == NULL)
		return 0;
	got = malloc(n + 1);
	if (got == NULL)
		abort();
	r = fread(got, 1, n + 1, f);
	fclose(f);
	same = r == n && memcmp(got, p, n) == 0;
	free(got);
	return same;
}

static void
test_transfers(void)
{
	struct step_target t;
	struct step_io io = {0};
	struct ssh_conn *first;
	struct stepfx x;
	struct stat sb;
	unsigned char md[32], *data;
	char sha[65], dir[128], in[512], path[256];
	size_t n = 300000, i;

	memset(&t, 0, sizeof(t));
	t.id = "00000000-0000-4000-8000-000000000002";
	t.name = "fixture";
	t.host = "127.0.0.1";
	t.port = fx.port;
	t.protocol = "ssh";
	t.user = "oc-test-key";
	t.key = fx.key_ed;
	t.host_key = fingerprint;

	data = malloc(n);
	if (data == NULL)
		abort();
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7919 >> 3);
	crypto_sha256(md, data, n);
	enc_hex(sha, md, sizeof(md));
	stepfx_add_file("app.bin", data, n, NULL);
	stepfx_add_file("small.txt", "small\n", 6, NULL);
	stepfx_add_file("corrupt.txt", "data\n", 5,
			"0000000000000000000000000000000000000000000000000000"
			"000000000000");

	snprintf(dir, sizeof(dir), "/tmp/oc-steps-sftp-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/app.bin", dir);
	snprintf(in, sizeof(in),
		 "{\"command\": \"rm -rf '%s'; mkdir -m 0755 "
		 "'%s'\"}",
		 dir, dir);
	stepfx_begin(&x, "ssh.command", in, &t, &io, 10000, 0);
	if (stepfx_run(&x, step_ssh_command) != STEP_SUCCEEDED)
		BAIL_OUT("cannot make %s", dir);
	stepfx_end(&x);
	first = io.ssh;

	snprintf(in, sizeof(in),
		 "{\"file\": \"app.bin\", \"path\": \"%s\", "
		 "\"mode\": \"0640\", \"overwrite\": \"fail\"}",
		 path);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "succeeded",
	   "upload of a 300 kB attachment");
	is(output(&x, "sha256"), sha, "its SHA-256 in the outputs");
	is(output(&x, "bytes"), "300000", "bytes in the outputs");
	is(output(&x, "skipped"), "false", "not skipped");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640,
	   "in place with mode 0640");
	ok(same_file(path, data, n), "content intact");
	like(x.streamed[3].data, "uploading app.bin \\(300000 bytes\\)",
	     "upload logged");
	like(x.streamed[3].data, "verified on the target", "and verified");
	ok(io.ssh == first, "on the target's session");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"path\": \"%s\", \"max_bytes\": 1000000}",
		 path);
	stepfx_begin(&x, "sftp.download", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_download)), "succeeded",
	   "download");
	ok(x.c.file.len == n && memcmp(x.c.file.data, data, n) == 0,
	   "round trip intact (%zu bytes)", x.c.file.len);
	is(output(&x, "sha256"), sha, "the same SHA-256");
	is(x.c.file_path, path, "file_path set");
	ok(io.ssh == first, "on the same session");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"path\": \"%s\", \"max_bytes\": 1000}",
		 path);
	stepfx_begin(&x, "sftp.download", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_download)), "failed",
	   "download over max_bytes fails");
	like(x.c.error, "larger than max_bytes \\(1000 bytes\\)", "clearly: %s",
	     x.c.error);
	cmp_ok((long long)x.c.file.len, "==", 0, "nothing kept");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"path\": \"%s/missing\"}", dir);
	stepfx_begin(&x, "sftp.download", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_download)), "failed",
	   "download of a missing file fails");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"file\": \"small.txt\", \"path\": \"%s\", "
		 "\"overwrite\": \"fail\"}",
		 path);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "overwrite fail: an existing file fails the step");
	like(x.c.error, "already exists", "saying so: %s", x.c.error);
	ok(same_file(path, data, n), "file unchanged");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"file\": \"small.txt\", \"path\": \"%s\", "
		 "\"overwrite\": \"skip\"}",
		 path);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "succeeded",
	   "overwrite skip: succeeds");
	is(output(&x, "skipped"), "true", "reported skipped");
	ok(same_file(path, data, n), "file unchanged");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"file\": \"small.txt\", \"path\": \"%s\", "
		 "\"overwrite\": \"replace\", \"mode\": \"600\"}",
		 path);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "succeeded",
	   "overwrite replace");
	ok(same_file(path, "small\n", 6), "file replaced");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600,
	   "with mode 0600");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"file\": \"small.txt\", \"path\": \"%s/d\"}", dir);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "succeeded",
	   "default mode and policy");
	snprintf(path, sizeof(path), "%s/d", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0644,
	   "mode 0644 by default");
	stepfx_end(&x);

	snprintf(path, sizeof(path), "%s/corrupt.txt", dir);
	snprintf(in, sizeof(in),
		 "{\"file\": \"corrupt.txt\", \"path\": "
		 "\"%s\"}",
		 path);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "an attachment that does not match its checksum fails");
	like(x.c.error, "does not match its recorded SHA-256", "saying so");
	ok(stat(path, &sb) != 0 && errno == ENOENT, "nothing was uploaded");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"file\": \"nope\", \"path\": \"%s/x\"}",
		 dir);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "a missing attachment fails");
	like(x.c.error, "no attachment called \"nope\"", "saying so");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"file\": \"small.txt\", \"path\": "
		 "\"%s/x\", \"mode\": \"rwx\"}",
		 dir);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "a mode that is not octal fails");
	stepfx_end(&x);

	snprintf(in, sizeof(in),
		 "{\"file\": \"small.txt\", \"path\": "
		 "\"%s/x\", \"overwrite\": \"maybe\"}",
		 dir);
	stepfx_begin(&x, "sftp.upload", in, &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "an unknown overwrite policy fails");
	stepfx_end(&x);

	stepfx_begin(&x, "sftp.upload",
		     "{\"file\": \"small.txt\", \"path\": "
		     "\"/nonexistent-dir/x\"}",
		     &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "an upload into a missing directory fails");
	stepfx_end(&x);

	stepfx_begin(&x, "sftp.upload",
		     "{\"file\": \"small.txt\", \"path\": \"/etc/oc-nope\"}",
		     &t, &io, 20000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_sftp_upload)), "failed",
	   "an upload without permission fails");
	ok(io.ssh == first, "failed transfers keep the session");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"command\": \"ls -A '%s'\"}", dir);
	stepfx_begin(&x, "ssh.command", in, &t, &io, 10000, 0);
	stepfx_run(&x, step_ssh_command);
	is(x.c.out.data, "app.bin\nd\n", "no temporary files left behind");
	stepfx_end(&x);
	snprintf(in, sizeof(in), "{\"command\": \"rm -rf '%s'\"}", dir);
	stepfx_begin(&x, "ssh.command", in, &t, &io, 10000, 0);
	stepfx_run(&x, step_ssh_command);
	stepfx_end(&x);
	stepfx_io_close(&io);
	free(data);
}

int
main(void)
{
	struct ssh_target st;
	struct ssh_info info;

	if (sshfx_start(&fx) != 0) {
		skip(1, "the sshd fixture needs root");
		return done_testing();
	}
	st = sshfx_target(&fx, "oc-test-key");
	st.key = fx.key_ed;
	memset(&info, 0, sizeof(info));
	if (sshfx_try_login(&fx, &st, &info) != SSH_OK)
		BAIL_OUT("cannot log in to the fixture");
	snprintf(fingerprint, sizeof(fingerprint), "%s", info.fingerprint);
	test_transfers();
	sshfx_stop(&fx);
	return done_testing();
}
