/* The ssh.command and ssh.script executors against a real OpenSSH server
 * on loopback (tests/fixtures/sshd/sshd.sh): exit codes and signals,
 * environment, working directory, sudo, time limit and cancel ending the
 * remote process, capped output, scripts removed afterwards, one session
 * reused across steps, host key checks, and no secret in any result. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/sshfx.h"
#include "tests/lib/stepfx.h"
#include "tests/lib/tap.h"
#include "worker/ssh.h"

static struct sshfx fx;
static char fingerprint[64];
static int sleep_base;
static struct buf said; /* every result text, for the secrets check */

static int remote_gone(int n);
static void keep(const struct stepfx *x);
static struct step_target key_target(void);
static void test_command(void);
static void test_stop(void);
static void test_sudo(void);
static void test_script(void);
static void test_host_keys(void);

/* 1 when no process on this machine runs "sleep <n>". */
static int
remote_gone(int n)
{
	char cmd[128];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(cmd, sizeof(cmd), "pgrep -f '^slee[p] %d$' >/dev/null",
			 n);
		if (system(cmd) != 0)
			return 1;
		usleep(100000);
	}
	return 0;
}

static void
keep(const struct stepfx *x)
{
	int i;

	buf_printf(&said, "%s\n%s\n%s\n", x->c.error,
		   x->c.out.data != NULL ? x->c.out.data : "",
		   x->c.err.data != NULL ? x->c.err.data : "");
	for (i = 1; i < 4; i++)
		buf_puts(&said, x->streamed[i].data);
}

static struct step_target
key_target(void)
{
	struct step_target t;

	memset(&t, 0, sizeof(t));
	t.id = "00000000-0000-4000-8000-000000000001";
	t.name = "fixture";
	t.host = "127.0.0.1";
	t.port = fx.port;
	t.os = "linux";
	t.protocol = "ssh";
	t.user = "oc-test-key";
	t.key = fx.key_ed;
	t.host_key = fingerprint;
	return t;
}

static void
test_command(void)
{
	struct step_target t = key_target();
	struct step_io io = {0};
	struct ssh_conn *first;
	struct stepfx x;

	stepfx_begin(&x, "ssh.command",
		     "{\"command\": \"echo out; echo err >&2; exit 3\"}", &t,
		     &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "exit 3: the step failed");
	cmp_ok(x.c.exit_code, "==", 3, "exit code 3");
	is(x.c.exit_signal, "", "no signal");
	is(x.c.out.data, "out\n", "stdout captured");
	is(x.c.err.data, "err\n", "stderr captured");
	is(x.streamed[1].data, "out\n", "stdout streamed");
	is(x.streamed[2].data, "err\n", "stderr streamed");
	like(x.c.error, "exited with status 3", "error says why: %s",
	     x.c.error);
	ok(io.ssh != NULL, "the session is kept in io");
	first = io.ssh;
	keep(&x);
	stepfx_end(&x);

	stepfx_begin(
	    &x, "ssh.command",
	    "{\"command\": \"printf '%s|%s|%s' \\\"$GREETING\\\" "
	    "\\\"$QUOTED\\\" \\\"$(pwd)\\\"\", \"env\": {\"GREETING\": "
	    "\"hello world\", \"QUOTED\": \"it's $HOME `x`\"}, "
	    "\"cwd\": \"/usr/share\"}",
	    &t, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "env and cwd: succeeded");
	cmp_ok(x.c.exit_code, "==", 0, "exit code 0");
	is(x.c.out.data, "hello world|it's $HOME `x`|/usr/share",
	   "variables verbatim, directory changed");
	is(x.c.error, "", "no error");
	ok(io.ssh == first, "the same session served the second step");
	keep(&x);
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command", "{\"command\": \"kill -s TERM $$\"}",
		     &t, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "killed by a signal: failed");
	is(x.c.exit_signal, "TERM", "exit signal TERM");
	cmp_ok(x.c.exit_code, "==", -1, "no exit code");
	like(x.c.error, "signal TERM", "error names the signal");
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command",
		     "{\"command\": \"head -c 300000 /dev/zero | tr '\\\\0' a; "
		     "echo e >&2\"}",
		     &t, &io, 10000, 1000);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "large output");
	cmp_ok((long long)x.c.out.len, "==", 1000, "capture capped at 1000");
	ok(x.c.out_truncated && !x.c.err_truncated, "stdout flagged "
						    "truncated, stderr not");
	cmp_ok((long long)x.streamed[1].len, "==", 300000,
	       "every byte streamed to the log");
	ok(x.chunks > 2, "streamed in several chunks (%d)", x.chunks);
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command", "{\"command\": \"\"}", &t, &io, 10000,
		     0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "empty command refused");
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command",
		     "{\"command\": \"true\", \"env\": {\"A-B\": \"x\"}}", &t,
		     &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "bad variable name: failed");
	like(x.c.error, "variable", "and explained: %s", x.c.error);
	stepfx_end(&x);

	/* A session that broke is replaced by a new one. */
	first->broken = 1;
	stepfx_begin(&x, "ssh.command", "{\"command\": \"echo again\"}", &t,
		     &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "after a broken session");
	is(x.c.out.data, "again\n", "a new session answers");
	stepfx_end(&x);
	stepfx_io_close(&io);
}

static void
test_stop(void)
{
	struct step_target t = key_target();
	struct step_io io = {0};
	struct stepfx x;
	char in[256];
	long long t0;

	snprintf(in, sizeof(in),
		 "{\"command\": \"echo started; sleep %d; echo never\"}",
		 sleep_base + 1);
	stepfx_begin(&x, "ssh.command", in, &t, &io, 1000, 0);
	t0 = ssh_now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "timed_out",
	   "time limit: timed_out");
	cmp_ok(ssh_now_ms() - t0, "<", 4000, "soon after the limit");
	is(x.c.out.data, "started\n", "output before the limit kept");
	like(x.c.error, "time limit", "error says so: %s", x.c.error);
	ok(remote_gone(sleep_base + 1), "the remote process is gone");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"command\": \"sleep %d\"}", sleep_base + 2);
	stepfx_begin(&x, "ssh.command", in, &t, &io, 0, 0);
	stepfx_cancel_after(&x.cancel, 400);
	t0 = ssh_now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "canceled",
	   "cancel: canceled");
	stepfx_cancel_join();
	cmp_ok(ssh_now_ms() - t0 - 400, "<", 2000, "within 2 s of the cancel");
	ok(remote_gone(sleep_base + 2), "the canceled process is gone");
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command", "{\"command\": \"echo usable\"}", &t,
		     &io, 5000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "the session is usable after timeout and cancel");
	is(x.c.out.data, "usable\n", "and answers");
	stepfx_end(&x);
	stepfx_io_close(&io);
}

static void
test_sudo(void)
{
	struct step_target t = key_target();
	struct step_io io = {0};
	struct stepfx x;
	char in[256];

	stepfx_begin(&x, "ssh.command",
		     "{\"command\": \"id -un\", \"sudo\": true}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "sudo without a password (sudo -n, NOPASSWD)");
	is(x.c.out.data, "root\n", "ran as root");
	stepfx_end(&x);
	stepfx_io_close(&io);

	t.user = "oc-test-pw";
	t.key = NULL;
	t.password = fx.password;
	stepfx_begin(&x, "ssh.command",
		     "{\"command\": \"id -un; pwd\", \"sudo\": true, "
		     "\"cwd\": \"/root\"}",
		     &t, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "sudo with the target's password");
	is(x.c.out.data, "root\n/root\n", "ran as root in /root");
	is(x.c.err.data, "", "no prompt in stderr");
	keep(&x);
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command", "{\"command\": \"id -un\"}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "succeeded",
	   "no sudo");
	is(x.c.out.data, "oc-test-pw\n", "ran as the login user");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"command\": \"sleep %d\", \"sudo\": true}",
		 sleep_base + 3);
	stepfx_begin(&x, "ssh.command", in, &t, &io, 1000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "timed_out",
	   "a root command timed out");
	ok(remote_gone(sleep_base + 3), "the root process is gone");
	keep(&x);
	stepfx_end(&x);
	stepfx_io_close(&io);
}

static void
test_script(void)
{
	struct step_target t = key_target();
	struct step_io io = {0};
	struct stepfx x;
	char in[512], path[512];
	struct stat sb;
	int n;

	stepfx_begin(&x, "ssh.script",
		     "{\"script\": \"#!/bin/sh\\necho \\\"$0\\\"\\n"
		     "stat -c %a \\\"$0\\\" \\\"$(dirname \\\"$0\\\")\\\"\\n"
		     "echo \\\"args:$#:$1|$2\\\"\\nexit 4\\n\", "
		     "\"interpreter\": \"/bin/sh\", \"args\": \"'a b' c\"}",
		     &t, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_script)), "failed",
	   "script exiting 4 fails");
	cmp_ok(x.c.exit_code, "==", 4, "its exit code");
	n = sscanf(x.c.out.data, "%511s", path);
	like(n == 1 ? path : "", "^/tmp/oc-step\\.[A-Za-z0-9]{12}/script$",
	     "uploaded to a private temporary path: %s", path);
	like(x.c.out.data, "\n700\n700\nargs:2:a b\\|c\n$",
	     "file and directory mode 0700; args passed as shell words");
	ok(stat(path, &sb) != 0 && errno == ENOENT, "the script is removed");
	*strrchr(path, '/') = '\0';
	ok(stat(path, &sb) != 0 && errno == ENOENT, "and its directory too");
	like(x.streamed[3].data, "uploading the script", "upload logged");
	stepfx_end(&x);

	stepfx_begin(
	    &x, "ssh.script",
	    "{\"script\": \"echo ${BASH_VERSION:+bash} \\\"$GREETING\\\""
	    "; pwd\", \"interpreter\": \"/bin/bash\", \"env\": "
	    "{\"GREETING\": \"hi\"}, \"cwd\": \"/usr\"}",
	    &t, &io, 10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_script)), "succeeded",
	   "a bash script with env and cwd");
	is(x.c.out.data, "bash hi\n/usr\n", "ran by bash, env set, in /usr");
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.script",
		     "{\"script\": \"id -u\", \"sudo\": true}", &t, &io, 10000,
		     0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_script)), "succeeded",
	   "a script under sudo");
	is(x.c.out.data, "0\n", "ran as root");
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"script\": \"echo \\\"$0\\\"; sleep %d\"}",
		 sleep_base + 4);
	stepfx_begin(&x, "ssh.script", in, &t, &io, 1500, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_script)), "timed_out",
	   "a script that runs too long");
	ok(remote_gone(sleep_base + 4), "its process is gone");
	n = sscanf(x.c.out.data, "%511s", path);
	ok(n == 1 && path[0] == '/' && stat(path, &sb) != 0,
	   "the script is removed after the timeout (%s)", path);
	stepfx_end(&x);

	snprintf(in, sizeof(in), "{\"script\": \"echo \\\"$0\\\"; sleep %d\"}",
		 sleep_base + 5);
	stepfx_begin(&x, "ssh.script", in, &t, &io, 0, 0);
	stepfx_cancel_after(&x.cancel, 700);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_script)), "canceled",
	   "a canceled script");
	stepfx_cancel_join();
	ok(remote_gone(sleep_base + 5), "its process is gone");
	n = sscanf(x.c.out.data, "%511s", path);
	ok(n == 1 && path[0] == '/' && stat(path, &sb) != 0,
	   "the script is removed after the cancel (%s)", path);
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.script",
		     "{\"script\": \"true\", \"interpreter\": \"sh\"}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_script)), "failed",
	   "a relative interpreter is refused");
	stepfx_end(&x);
	stepfx_io_close(&io);
}

static void
test_host_keys(void)
{
	struct step_target t = key_target();
	struct step_io io = {0};
	struct stepfx x;

	t.host_key = NULL;
	stepfx_begin(&x, "ssh.command", "{\"command\": \"true\"}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "no recorded host key: failed");
	is(x.c.error, "no recorded host key: run a connection test first",
	   "with the contract's message");
	ok(io.ssh == NULL, "no session opened");
	stepfx_end(&x);

	t.host_key = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	stepfx_begin(&x, "ssh.command", "{\"command\": \"true\"}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "a changed host key: failed");
	like(x.c.error, "^host key changed: .*accept it under Targets",
	     "message: %s", x.c.error);
	ok(strstr(x.c.error, fingerprint) != NULL,
	   "it names the key the server presents");
	ok(io.ssh == NULL, "no session kept");
	keep(&x);
	stepfx_end(&x);

	t = key_target();
	t.protocol = "winrm";
	stepfx_begin(&x, "ssh.command", "{\"command\": \"true\"}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "a WinRM target: failed");
	like(x.c.error,
	     "runs over SSH, but target fixture is reached over "
	     "winrm",
	     "clearly: %s", x.c.error);
	stepfx_end(&x);

	stepfx_begin(&x, "ssh.command", "{\"command\": \"true\"}", NULL, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "no target: failed");
	stepfx_end(&x);

	t = key_target();
	t.port = sshfx_free_port();
	stepfx_begin(&x, "ssh.command", "{\"command\": \"true\"}", &t, &io,
		     10000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_ssh_command)), "failed",
	   "a closed port: failed");
	like(x.c.error, "^cannot connect: ", "explained: %s", x.c.error);
	stepfx_end(&x);
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
	sleep_base = 2000000 + (int)(getpid() % 100000) * 10;
	buf_init(&said, 64 << 20);
	buf_puts(&said, "");
	st = sshfx_target(&fx, "oc-test-key");
	st.key = fx.key_ed;
	memset(&info, 0, sizeof(info));
	if (sshfx_try_login(&fx, &st, &info) != SSH_OK)
		BAIL_OUT("cannot log in to the fixture");
	snprintf(fingerprint, sizeof(fingerprint), "%s", info.fingerprint);

	test_command();
	test_stop();
	test_sudo();
	test_script();
	test_host_keys();
	ok(strstr(said.data, fx.password) == NULL &&
	       strstr(said.data, fx.passphrase) == NULL,
	   "no password in any output or error (%zu bytes)", said.len);
	buf_cleanup(&said);
	sshfx_stop(&fx);
	return done_testing();
}
