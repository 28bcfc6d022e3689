/* The SSH library against a real OpenSSH server on loopback
 * (tests/fixtures/sshd/sshd.sh): key and password logins, network and
 * authentication failures, host key pinning, commands, sudo, timeouts,
 * cancel, output caps, and no secret in any message. File transfer is
 * tests/integration/sftp.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/sshfx.h"
#include "tests/lib/tap.h"
#include "worker/ssh.h"

static struct sshfx fx;
static volatile int cancel_flag; /* set by cancel_later */
static int sleep_base;		 /* unique sleep lengths per test process */

struct out_count {
	size_t out, err;
};

struct par {
	int n;
	enum ssh_status st;
	char out[64];
};

static int remote_gone(int n);
static void count_output(void *arg, enum ssh_stream s, const char *p, size_t n);
static void *cancel_later(void *arg);
static void *parallel_one(void *arg);
static void test_logins(void);
static void test_failures(void);
static void test_exec(struct ssh_conn *c);
static void test_sudo(void);
static void test_stop(struct ssh_conn *c, int base);
static void test_shell(void);
static void test_parallel(void);
static void test_rekey(void);
static void test_no_secrets(void);

/* 1 when no process on this machine runs "sleep <n>" (sshd is local).
 * The bracket keeps the shell running pgrep from matching itself. */
static int
remote_gone(int n)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "pgrep -f '^slee[p] %d$' >/dev/null", n);
	return system(cmd) != 0;
}

static void
count_output(void *arg, enum ssh_stream s, const char *p, size_t n)
{
	struct out_count *oc = arg;

	(void)p;
	if (s == SSH_STDOUT)
		oc->out += n;
	else
		oc->err += n;
}

static void *
cancel_later(void *arg)
{
	struct timespec ts = {0, 400 * 1000 * 1000};

	(void)arg;
	nanosleep(&ts, NULL);
	cancel_flag = 1;
	return NULL;
}

static void
test_logins(void)
{
	struct ssh_target t = sshfx_target(&fx, "oc-test-key");
	struct ssh_info info;
	struct ssh_conn *c;
	char cmd[600], fp[128] = "";
	FILE *f;

	t.key = fx.key_ed;
	c = sshfx_login(&fx, &t, "key login with an OpenSSH ed25519 key");
	ssh_close(c);
	memset(&info, 0, sizeof(info));
	cmp_ok(sshfx_try_login(&fx, &t, &info), "==", SSH_OK,
	       "again, with info");
	like(info.fingerprint, "^SHA256:[A-Za-z0-9+/]{43}$",
	     "host key fingerprint in OpenSSH form");
	is(info.key_type, "ssh-ed25519", "host key type");
	like(info.banner, "^SSH-2\\.0-OpenSSH", "server banner");
	ok(info.reachable && info.authenticated, "reachable, authenticated");
	ok(info.latency_ms >= info.connect_ms && info.latency_ms < 5000,
	   "latency measured (%.1f ms)", info.latency_ms);
	is(info.address, "127.0.0.1", "address connected to");
	snprintf(cmd, sizeof(cmd),
		 "ssh-keygen -lf '%s/ssh_host_ed25519_key.pub' | cut -d' ' -f2",
		 fx.dir);
	f = popen(cmd, "r");
	if (f != NULL) {
		if (fgets(fp, sizeof(fp), f) != NULL)
			fp[strcspn(fp, "\n")] = '\0';
		pclose(f);
	}
	is(info.fingerprint, fp, "fingerprint equals ssh-keygen -l");

	t.known_fingerprint = info.fingerprint;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_OK,
	       "known fingerprint matches");
	t.known_fingerprint =
	    "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	cmp_ok(sshfx_try_login(&fx, &t, &info), "==", SSH_ERR_HOST_KEY_CHANGED,
	       "a different known fingerprint is refused");
	ok(info.reachable && !info.authenticated,
	   "refused before authenticating");
	t.known_fingerprint = NULL;

	t.key = fx.key_ed_pass;
	t.passphrase = fx.passphrase;
	c = sshfx_login(&fx, &t, "OpenSSH key with a passphrase");
	ssh_close(c);
	t.passphrase = "not-the-passphrase";
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_KEY,
	       "wrong passphrase: a key error");
	t.passphrase = NULL;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_KEY,
	       "missing passphrase: a key error");
	t.key = fx.key_ec;
	t.passphrase = NULL;
	c = sshfx_login(&fx, &t, "PEM ECDSA key");
	ssh_close(c);
	t.key = fx.key_ec_pass;
	t.passphrase = fx.passphrase;
	c = sshfx_login(&fx, &t, "PEM ECDSA key with a passphrase");
	ssh_close(c);
	t.passphrase = "not-the-passphrase";
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_KEY,
	       "PEM key, wrong passphrase: a key error");
	/* libssh2 1.10 signs RSA with ssh-rsa (SHA-1) only; OpenSSH 9 says
	 * no. The key is read (a wrong passphrase is a key error), and the
	 * refusal is explained. */
	t.key = fx.key_rsa;
	t.passphrase = NULL;
	{
		struct ssh_conn *rc = NULL;
		struct ssh_err e;

		cmp_ok(ssh_connect(&t, NULL, &rc, &e), "==", SSH_ERR_AUTH,
		       "PEM RSA key: refused by OpenSSH 9 (no rsa-sha2 in "
		       "libssh2 1.10)");
		like(e.msg, "ssh-rsa .*ed25519 or ECDSA", "and explained");
		sshfx_keep(&fx, &e);
		ssh_close(rc);
	}
	t.key = fx.key_rsa_pass;
	t.passphrase = fx.passphrase;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_AUTH,
	       "encrypted PEM RSA key decrypts (then the same refusal)");
	t.passphrase = "not-the-passphrase";
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_KEY,
	       "encrypted PEM RSA key, wrong passphrase: a key error");
	t.passphrase = NULL;
	t.key = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm9wZQ==\n"
		"-----END OPENSSH PRIVATE KEY-----\n";
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_KEY,
	       "garbage key text");

	t = sshfx_target(&fx, "oc-test-pw");
	t.password = fx.password;
	c = sshfx_login(&fx, &t, "password login");
	ssh_close(c);
	t.password = "wrong-password";
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_AUTH,
	       "wrong password: an authentication error");
	t.password = NULL;
	t.key = fx.key_ed;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_AUTH,
	       "key not authorized for the user: an authentication error");
	t.key = NULL;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_AUTH,
	       "no credential: an authentication error");
	t = sshfx_target(&fx, "oc-test-pw");
	t.host = "[127.0.0.1]";
	t.password = fx.password;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_OK,
	       "bracketed host accepted");
}

static void
test_failures(void)
{
	struct ssh_target t = sshfx_target(&fx, "oc-test-key");
	struct sockaddr_in a;
	double t0;
	int fd, silent = sshfx_free_port(), closed = sshfx_free_port();

	t.key = fx.key_ed;
	t.port = closed;
	t0 = (double)ssh_now_ms();
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_REFUSED,
	       "closed port: refused");
	cmp_ok((long long)((double)ssh_now_ms() - t0), "<", 1000,
	       "refused quickly");

	/* A listener that completes TCP but never says a word. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)silent);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 8) != 0)
		BAIL_OUT("cannot listen on 127.0.0.1:%d", silent);
	t.port = silent;
	t.timeout_ms = 700;
	t0 = (double)ssh_now_ms();
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_TIMEOUT,
	       "silent server: timeout");
	cmp_ok((long long)((double)ssh_now_ms() - t0), "<", 2000,
	       "timeout honoured");
	close(fd);

	t = sshfx_target(&fx, "oc-test-key");
	t.host = "no-such-host.invalid";
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_RESOLVE,
	       "unknown name: resolve error");
	t = sshfx_target(&fx, "");
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_ERR_INVALID,
	       "no user: invalid");
}

static void
test_exec(struct ssh_conn *c)
{
	static const struct ssh_env_var env[] = {
	    {"OC_SSHENV_A", "accepted by AcceptEnv"},
	    {"PLAIN", "it's a \"test\" $HOME `x` \\ end"},
	    {"EMPTY", ""},
	};
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	struct ssh_os os;
	struct ssh_err e;
	int i, good = 0;

	cmp_ok(sshfx_run(&fx, c, "echo out; echo err >&2; exit 3", NULL, &r),
	       "==", SSH_OK, "command ran");
	is(r.out.data, "out\n", "stdout");
	is(r.err.data, "err\n", "stderr (markers removed)");
	cmp_ok(r.exit_status, "==", 3, "exit status");
	is(r.exit_signal, "", "no signal");
	ssh_exec_result_cleanup(&r);

	cmp_ok(sshfx_run(&fx, c, "kill -s TERM $$", NULL, &r), "==", SSH_OK,
	       "command killed by a signal");
	is(r.exit_signal, "TERM", "exit signal name");
	cmp_ok(r.exit_status, "==", -1, "no exit status");
	ssh_exec_result_cleanup(&r);

	memset(&o, 0, sizeof(o));
	o.env = env;
	o.nenv = 3;
	o.cwd = "/usr/share";
	cmp_ok(sshfx_run(&fx, c,
			 "printf '%s|%s|%s|%s' \"$OC_SSHENV_A\" \"$PLAIN\" "
			 "\"${EMPTY-unset}\" \"$(pwd)\"",
			 &o, &r),
	       "==", SSH_OK, "environment and working directory");
	is(r.out.data,
	   "accepted by AcceptEnv|it's a \"test\" $HOME `x` \\ end||/usr/share",
	   "variables set verbatim, directory changed");
	ssh_exec_result_cleanup(&r);
	o.cwd = "/nonexistent-dir";
	o.nenv = 0;
	cmp_ok(sshfx_run(&fx, c, "echo never", &o, &r), "==", SSH_OK,
	       "bad directory");
	ok(r.exit_status != 0 && strstr(r.out.data, "never") == NULL,
	   "bad directory: the command does not run");
	ssh_exec_result_cleanup(&r);
	{
		static const struct ssh_env_var bad[] = {{"A-B", "x"}};

		o.env = bad;
		o.nenv = 1;
		cmp_ok(ssh_exec(c, "true", &o, &r, &e), "==", SSH_ERR_INVALID,
		       "bad variable name refused");
		ssh_exec_result_cleanup(&r);
	}

	memset(&o, 0, sizeof(o));
	o.stdin_data = "line one\nline two\n";
	o.stdin_len = strlen(o.stdin_data);
	cmp_ok(sshfx_run(&fx, c, "cat", &o, &r), "==", SSH_OK, "stdin");
	is(r.out.data, "line one\nline two\n", "stdin reaches the command");
	ssh_exec_result_cleanup(&r);

	for (i = 0; i < 20; i++) {
		if (sshfx_run(&fx, c, "echo $((6*7))", NULL, &r) == SSH_OK &&
		    strcmp(r.out.data, "42\n") == 0)
			good++;
		ssh_exec_result_cleanup(&r);
	}
	cmp_ok(good, "==", 20, "20 commands on one session");

	{
		struct out_count oc = {0, 0};

		memset(&o, 0, sizeof(o));
		o.capture_max = 100000;
		o.on_output = count_output;
		o.arg = &oc;
		cmp_ok(sshfx_run(&fx, c,
				 "head -c 5000000 /dev/zero; echo e >&2", &o,
				 &r),
		       "==", SSH_OK, "large output");
		cmp_ok((long long)r.out.len, "==", 100000, "capture capped");
		ok(r.out_truncated, "truncation flagged");
		cmp_ok((long long)r.stdout_bytes, "==", 5000000,
		       "every byte counted");
		cmp_ok((long long)oc.out, "==", 5000000,
		       "every byte streamed to the callback");
		cmp_ok((long long)oc.err, "==", 2, "stderr streamed");
		ssh_exec_result_cleanup(&r);
	}

	cmp_ok(ssh_detect_os(c, 5000, NULL, &os, &e), "==", SSH_OK,
	       "detect OS");
	like(os.kernel, "^Linux [^ ]+ [^ ]+$", "kernel (uname -srm): %s",
	     os.kernel);
	is(os.id, "debian", "os-release ID");
	like(os.version_id, "^[0-9]+", "os-release VERSION_ID");
	like(os.pretty_name, "^Debian", "os-release PRETTY_NAME");
}

static void
test_sudo(void)
{
	struct ssh_target t = sshfx_target(&fx, "oc-test-pw");
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	struct ssh_conn *c;
	char cmd[64];

	t.password = fx.password;
	c = sshfx_login(&fx, &t, "password login for sudo");
	if (c == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.sudo = 1;
	o.sudo_password = fx.password;
	o.stdin_data = "via sudo\n";
	o.stdin_len = 9;
	o.cwd = "/root";
	cmp_ok(sshfx_run(&fx, c, "id -u; pwd; cat", &o, &r), "==", SSH_OK,
	       "sudo with a password");
	is(r.out.data, "0\n/root\nvia sudo\n", "ran as root, in /root, stdin");
	is(r.err.data, "", "no prompt in stderr");
	cmp_ok(r.exit_status, "==", 0, "exit 0");
	ok(strstr(r.out.data, fx.password) == NULL, "password not in output");
	ssh_exec_result_cleanup(&r);

	o.sudo_password = "wrong-sudo-password";
	cmp_ok(sshfx_run(&fx, c, "cat", &o, &r), "==", SSH_OK,
	       "sudo, wrong password");
	ok(r.sudo_refused, "sudo refusal reported");
	ok(r.exit_status != 0, "non-zero exit (%d)", r.exit_status);
	ok(strstr(r.out.data, "via sudo") == NULL,
	   "stdin not handed to sudo as a password");
	ssh_exec_result_cleanup(&r);

	o.sudo_password = NULL;
	o.stdin_data = NULL;
	cmp_ok(sshfx_run(&fx, c, "id -u", &o, &r), "==", SSH_OK, "sudo -n");
	ok(r.exit_status != 0 && r.out.len == 0,
	   "sudo -n refuses when a password is needed");
	ssh_exec_result_cleanup(&r);

	/* Timeout of a root command: the root process group is killed. */
	o.sudo_password = fx.password;
	o.timeout_ms = 800;
	snprintf(cmd, sizeof(cmd), "sleep %d", sleep_base + 3);
	cmp_ok(sshfx_run(&fx, c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT,
	       "sudo command timed out");
	ok(r.timed_out, "timed_out set");
	ok(remote_gone(sleep_base + 3), "root process is gone");
	ssh_exec_result_cleanup(&r);
	ssh_close(c);

	t = sshfx_target(&fx, "oc-test-key");
	t.key = fx.key_ed;
	c = sshfx_login(&fx, &t, "key login for passwordless sudo");
	memset(&o, 0, sizeof(o));
	o.sudo = 1;
	cmp_ok(sshfx_run(&fx, c, "id -un", &o, &r), "==", SSH_OK,
	       "sudo -n, NOPASSWD");
	is(r.out.data, "root\n", "ran as root");
	ssh_exec_result_cleanup(&r);

	/* The same in the shared shell, and a root command stopped there. */
	ssh_share_shell(c);
	o.cwd = "/root";
	cmp_ok(sshfx_run(&fx, c, "id -un; pwd", &o, &r), "==", SSH_OK,
	       "shared shell: sudo -n, NOPASSWD");
	is(r.out.data, "root\n/root\n", "ran as root, in /root");
	ssh_exec_result_cleanup(&r);
	o.cwd = NULL;
	o.timeout_ms = 800;
	snprintf(cmd, sizeof(cmd), "sleep %d", sleep_base + 5);
	cmp_ok(sshfx_run(&fx, c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT,
	       "shared shell: sudo command timed out");
	ok(remote_gone(sleep_base + 5), "root process is gone");
	ssh_exec_result_cleanup(&r);
	o.timeout_ms = 0;
	cmp_ok(sshfx_run(&fx, c, "id -u", &o, &r), "==", SSH_OK,
	       "shared shell: another shell after the stop");
	is(r.out.data, "0\n", "which runs sudo too");
	ssh_exec_result_cleanup(&r);
	ssh_close(c);
}

/* The shared shell: one session for many commands, each on its own (a
 * directory, variables, umask or exit of one do not reach the next), no
 * input to take from the shell, output byte for byte. */
static void
test_shell(void)
{
	struct ssh_target t = sshfx_target(&fx, "oc-test-key");
	struct ssh_exec_result r;
	struct ssh_conn *c;
	char pid[32], umask0[16], want[256];
	int n0, n1, i, good = 0;
	long long t0;

	t.key = fx.key_ed;
	c = sshfx_login(&fx, &t, "session for the shared shell");
	if (c == NULL)
		return;
	ssh_share_shell(c);
	n0 = sshfx_sessions(&fx);
	cmp_ok(sshfx_run(&fx, c, "echo $$; umask", NULL, &r), "==", SSH_OK,
	       "shared shell: first command");
	cmp_ok(sscanf(r.out.data != NULL ? r.out.data : "", "%31s %15s", pid,
		      umask0),
	       "==", 2, "its shell's pid and umask");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c,
			 "cd /tmp; X=1; export Y=2; umask 077; set -e; exit 7",
			 NULL, &r),
	       "==", SSH_OK, "a command that changes its shell and exits");
	cmp_ok(r.exit_status, "==", 7, "its exit status");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c,
			 "pwd; echo ${X-unset} ${Y-unset}; umask; echo $$",
			 NULL, &r),
	       "==", SSH_OK, "the next command");
	snprintf(want, sizeof(want), "/home/oc-test-key\nunset unset\n%s\n%s\n",
		 umask0, pid);
	is(r.out.data, want, "starts afresh, in the same shell");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c, "echo 'never", NULL, &r), "==", SSH_OK,
	       "a command that does not parse");
	ok(r.exit_status != 0 && r.out.len == 0, "fails (status %d)",
	   r.exit_status);
	like(r.err.data, "unexpected EOF|unterminated|matching", "says why");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c, "cat; echo after", NULL, &r), "==", SSH_OK,
	       "a command reading its input");
	is(r.out.data, "after\n", "reads end of input, not the shell's");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c, "printf abc; printf xyz >&2", NULL, &r),
	       "==", SSH_OK, "output without a final newline");
	is(r.out.data, "abc", "stdout as written");
	is(r.err.data, "xyz", "stderr as written");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c,
			 "printf '\\n\\nOC0123456789abcdef:5\\nOC:\\n\\n'; "
			 "printf '\\nOC0123456789abcdef:e\\n' >&2",
			 NULL, &r),
	       "==", SSH_OK, "output that looks like a marker");
	is(r.out.data, "\n\nOC0123456789abcdef:5\nOC:\n\n", "stdout intact");
	is(r.err.data, "\nOC0123456789abcdef:e\n", "stderr intact");
	cmp_ok(r.exit_status, "==", 0, "status of the command, not the text");
	ssh_exec_result_cleanup(&r);
	cmp_ok(sshfx_run(&fx, c,
			 "cat <<'E'\nline 1\n  'two' \"$HOME\"\nE\n"
			 "printf '%s\\n' \"a\nb\" \\\n  c",
			 NULL, &r),
	       "==", SSH_OK, "a command of several lines, a here-document");
	is(r.out.data, "line 1\n  'two' \"$HOME\"\na\nb\nc\n",
	   "every line as written");
	ssh_exec_result_cleanup(&r);
	t0 = ssh_now_ms();
	cmp_ok(sshfx_run(&fx, c, "sleep 2 & echo left running", NULL, &r),
	       "==", SSH_OK, "a command leaving a process behind");
	is(r.out.data, "left running\n", "its output");
	cmp_ok(ssh_now_ms() - t0, "<", 1500, "ends when its shell does");
	ssh_exec_result_cleanup(&r);
	for (i = 0; i < 20; i++) {
		if (sshfx_run(&fx, c, "echo $((6*7))", NULL, &r) == SSH_OK &&
		    r.out.data != NULL && strcmp(r.out.data, "42\n") == 0 &&
		    r.exit_status == 0)
			good++;
		ssh_exec_result_cleanup(&r);
	}
	cmp_ok(good, "==", 20, "20 more commands");
	n1 = sshfx_sessions(&fx);
	cmp_ok(n1 - n0, "==", 1, "all 29 commands in one session of sshd");
	ssh_close(c);
}

static void
test_stop(struct ssh_conn *c, int base)
{
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	pthread_t th;
	long long t0, dt;
	char cmd[128];

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 800;
	t0 = ssh_now_ms();
	snprintf(cmd, sizeof(cmd), "echo started; sleep %d; echo never",
		 base + 1);
	cmp_ok(sshfx_run(&fx, c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT,
	       "timeout");
	dt = ssh_now_ms() - t0;
	ok(r.timed_out && !r.canceled, "timed_out set");
	is(r.out.data, "started\n", "output before the timeout kept");
	cmp_ok(dt, "<", 3000, "returned soon after the timeout (%lld ms)", dt);
	ok(remote_gone(base + 1), "remote process is gone");
	ssh_exec_result_cleanup(&r);

	t0 = ssh_now_ms();
	snprintf(cmd, sizeof(cmd), "trap '' TERM; sleep %d", base + 2);
	cmp_ok(sshfx_run(&fx, c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT,
	       "timeout, TERM ignored");
	ok(remote_gone(base + 2), "KILL followed");
	ssh_exec_result_cleanup(&r);

	o.timeout_ms = 0;
	o.cancel = &cancel_flag;
	cancel_flag = 0;
	pthread_create(&th, NULL, cancel_later, NULL);
	t0 = ssh_now_ms();
	snprintf(cmd, sizeof(cmd), "sleep %d", base + 4);
	cmp_ok(sshfx_run(&fx, c, cmd, &o, &r), "==", SSH_ERR_CANCELED,
	       "cancel");
	dt = ssh_now_ms() - t0 - 400;
	pthread_join(th, NULL);
	ok(r.canceled, "canceled set");
	cmp_ok(dt, "<", 2000, "cancel took effect in %lld ms", dt);
	ok(remote_gone(base + 4), "canceled process is gone");
	ssh_exec_result_cleanup(&r);

	cmp_ok(sshfx_run(&fx, c, "echo still usable", NULL, &r), "==", SSH_OK,
	       "session usable after timeout and cancel");
	is(r.out.data, "still usable\n", "and answers");
	ssh_exec_result_cleanup(&r);
}

static void *
parallel_one(void *arg)
{
	struct par *p = arg;
	struct ssh_target t = sshfx_target(&fx, "oc-test-key");
	struct ssh_exec_result r;
	struct ssh_conn *c = NULL;
	char cmd[32];

	t.key = fx.key_ed;
	t.timeout_ms = 15000;
	p->st = ssh_connect(&t, NULL, &c, NULL);
	if (p->st != SSH_OK)
		return NULL;
	snprintf(cmd, sizeof(cmd), "echo %d", p->n);
	p->st = ssh_exec(c, cmd, NULL, &r, NULL);
	snprintf(p->out, sizeof(p->out), "%s",
		 r.out.data != NULL ? r.out.data : "");
	ssh_exec_result_cleanup(&r);
	ssh_close(c);
	return NULL;
}

static void
test_parallel(void)
{
	struct par ps[16];
	pthread_t th[16];
	char want[32];
	int i, good = 0;

	for (i = 0; i < 16; i++) {
		ps[i].n = i;
		ps[i].st = SSH_ERR_INVALID;
		ps[i].out[0] = '\0';
		pthread_create(&th[i], NULL, parallel_one, &ps[i]);
	}
	for (i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		snprintf(want, sizeof(want), "%d\n", i);
		if (ps[i].st == SSH_OK && strcmp(ps[i].out, want) == 0)
			good++;
	}
	cmp_ok(good, "==", 16, "16 threads, one session each");
}

static void
test_rekey(void)
{
	struct ssh_target t = sshfx_target(&fx, "oc-test-key");
	struct ssh_info before, after;
	struct ssh_conn *c = NULL;
	struct ssh_err e;
	char old[64];

	t.key = fx.key_ed;
	if (sshfx_try_login(&fx, &t, &before) != SSH_OK)
		fail("login before rekey");
	snprintf(old, sizeof(old), "%s", before.fingerprint);
	if (!ok(sshfx_rekey(&fx) == 0, "server rekeyed"))
		return;
	t.known_fingerprint = old;
	cmp_ok(ssh_connect(&t, &after, &c, &e), "==", SSH_ERR_HOST_KEY_CHANGED,
	       "changed host key refused");
	sshfx_keep(&fx, &e);
	ok(c == NULL && !after.authenticated, "no session, not authenticated");
	like(e.msg, "host key .* has changed", "message says so: %s", e.msg);
	ok(strstr(e.msg, after.fingerprint) != NULL,
	   "message names the new fingerprint");
	isnt(after.fingerprint, old, "new fingerprint reported");
	t.known_fingerprint = after.fingerprint;
	cmp_ok(sshfx_try_login(&fx, &t, NULL), "==", SSH_OK,
	       "accepted new key lets it in");
}

static void
test_no_secrets(void)
{
	sshfx_check_no_secrets(&fx, 10);
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
	sleep_base = 100000 + (int)(getpid() % 100000) * 10;

	test_logins();
	test_failures();
	t = sshfx_target(&fx, "oc-test-key");
	t.key = fx.key_ed;
	c = sshfx_login(&fx, &t, "session for commands");
	if (c != NULL) {
		test_exec(c);
		test_stop(c, sleep_base);
		ssh_close(c);
	}
	/* The same commands in a shared shell. */
	c = sshfx_login(&fx, &t, "session for commands in one shell");
	if (c != NULL) {
		ssh_share_shell(c);
		test_exec(c);
		test_stop(c, sleep_base + 10);
		ssh_close(c);
	}
	test_shell();
	test_sudo();
	test_parallel();
	test_rekey();
	test_no_secrets();
	sshfx_stop(&fx);
	return done_testing();
}
