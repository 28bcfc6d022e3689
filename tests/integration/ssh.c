/* The SSH and SFTP library against a real OpenSSH server on loopback
 * (tests/fixtures/sshd/sshd.sh): key and password logins, network and
 * authentication failures, host key pinning, commands, sudo, timeouts,
 * cancel, output caps, file transfer, and no secret in any message. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "worker/sftp.h"
#include "worker/ssh.h"

#define MAX_MSGS 256

static char fixture[4096]; /* path of sshd.sh */
static char dir[256];	   /* the fixture's DIR */
static int port;
static char *password, *passphrase;
static char *key_ed, *key_ed_pass, *key_rsa, *key_rsa_pass, *key_ec;
static char *key_ec_pass;
static char *msgs[MAX_MSGS]; /* every error message seen */
static int nmsgs;
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

static void cleanup(void);
static int find_fixture(void);
static int free_port(void);
static char *slurp(const char *name);
static void show_log(void);
static void keep(const struct ssh_err *e);
static struct ssh_target target(const char *user);
static struct ssh_conn *login(const struct ssh_target *t, const char *what);
static enum ssh_status try_login(const struct ssh_target *t,
				 struct ssh_info *info);
static enum ssh_status run(struct ssh_conn *c, const char *cmd,
			   const struct ssh_exec_opt *o,
			   struct ssh_exec_result *r);
static int remote_gone(int n);
static void count_output(void *arg, enum ssh_stream s, const char *p, size_t n);
static void *cancel_later(void *arg);
static void *parallel_one(void *arg);
static void test_logins(void);
static void test_failures(void);
static void test_exec(struct ssh_conn *c);
static void test_sudo(void);
static void test_stop(struct ssh_conn *c);
static void test_sftp(struct ssh_conn *c);
static void test_parallel(void);
static void test_rekey(void);
static void test_no_secrets(void);

static void
cleanup(void)
{
	char cmd[8192];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd),
		 "'%s' stop '%s' >/dev/null 2>&1; rm -rf '%s'", fixture, dir,
		 dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	dir[0] = '\0';
}

/* OC_TEST_ROOT, else up from the test binary, else up from the cwd. */
static int
find_fixture(void)
{
	const char *rel = "tests/fixtures/sshd/sshd.sh";
	const char *root = getenv("OC_TEST_ROOT");
	char base[2048], *p;
	ssize_t n;
	int up;

	if (root != NULL && root[0] != '\0') {
		snprintf(fixture, sizeof(fixture), "%s/%s", root, rel);
		if (access(fixture, X_OK) == 0)
			return 0;
	}
	n = readlink("/proc/self/exe", base, sizeof(base) - 1);
	base[n > 0 ? n : 0] = '\0';
	if (n <= 0 && getcwd(base, sizeof(base)) == NULL)
		return -1;
	for (up = 0; up < 8; up++) {
		snprintf(fixture, sizeof(fixture), "%s/%s", base, rel);
		if (access(fixture, X_OK) == 0)
			return 0;
		p = strrchr(base, '/');
		if (p == NULL || p == base)
			break;
		*p = '\0';
	}
	if (getcwd(base, sizeof(base)) == NULL)
		return -1;
	for (up = 0; up < 8; up++) {
		snprintf(fixture, sizeof(fixture), "%s/%s", base, rel);
		if (access(fixture, X_OK) == 0)
			return 0;
		p = strrchr(base, '/');
		if (p == NULL || p == base)
			break;
		*p = '\0';
	}
	return -1;
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		BAIL_OUT("no free loopback port");
	p = ntohs(a.sin_port);
	close(fd);
	return p;
}

/* A file of DIR, whole (one trailing newline dropped for short ones). */
static char *
slurp(const char *name)
{
	char path[512], *s;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		BAIL_OUT("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n)
		BAIL_OUT("cannot read %s", path);
	fclose(f);
	if (n > 0 && n < 200 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static void
show_log(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "tail -n 40 '%s/sshd.log' >&2", dir);
	if (system(cmd) != 0)
		diag("no sshd log");
}

static void
keep(const struct ssh_err *e)
{
	if (e->code != SSH_OK && nmsgs < MAX_MSGS) {
		msgs[nmsgs] = strdup(e->msg);
		if (msgs[nmsgs] != NULL)
			nmsgs++;
	}
}

static struct ssh_target
target(const char *user)
{
	struct ssh_target t;

	memset(&t, 0, sizeof(t));
	t.host = "127.0.0.1";
	t.port = port;
	t.user = user;
	t.timeout_ms = 5000;
	return t;
}

static enum ssh_status
try_login(const struct ssh_target *t, struct ssh_info *info)
{
	struct ssh_conn *c = NULL;
	struct ssh_err e;
	enum ssh_status st;

	st = ssh_connect(t, info, &c, &e);
	keep(&e);
	ssh_close(c);
	return st;
}

static struct ssh_conn *
login(const struct ssh_target *t, const char *what)
{
	struct ssh_conn *c = NULL;
	struct ssh_err e;
	struct ssh_info info;
	enum ssh_status st;

	st = ssh_connect(t, &info, &c, &e);
	keep(&e);
	if (!ok(st == SSH_OK && c != NULL && info.authenticated, "%s", what)) {
		diag("status %s: %s", ssh_status_name(st), e.msg);
		show_log();
	}
	return c;
}

static enum ssh_status
run(struct ssh_conn *c, const char *cmd, const struct ssh_exec_opt *o,
    struct ssh_exec_result *r)
{
	struct ssh_err e;
	enum ssh_status st;

	st = ssh_exec(c, cmd, o, r, &e);
	keep(&e);
	if (st != SSH_OK && st != SSH_ERR_TIMEOUT && st != SSH_ERR_CANCELED)
		diag("%s: %s: %s", cmd, ssh_status_name(st), e.msg);
	return st;
}

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
	struct ssh_target t = target("oc-test-key");
	struct ssh_info info;
	struct ssh_conn *c;
	char cmd[600], fp[128] = "";
	FILE *f;

	t.key = key_ed;
	c = login(&t, "key login with an OpenSSH ed25519 key");
	ssh_close(c);
	memset(&info, 0, sizeof(info));
	cmp_ok(try_login(&t, &info), "==", SSH_OK, "again, with info");
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
		 dir);
	f = popen(cmd, "r");
	if (f != NULL) {
		if (fgets(fp, sizeof(fp), f) != NULL)
			fp[strcspn(fp, "\n")] = '\0';
		pclose(f);
	}
	is(info.fingerprint, fp, "fingerprint equals ssh-keygen -l");

	t.known_fingerprint = info.fingerprint;
	cmp_ok(try_login(&t, NULL), "==", SSH_OK, "known fingerprint matches");
	t.known_fingerprint =
	    "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	cmp_ok(try_login(&t, &info), "==", SSH_ERR_HOST_KEY_CHANGED,
	       "a different known fingerprint is refused");
	ok(info.reachable && !info.authenticated,
	   "refused before authenticating");
	t.known_fingerprint = NULL;

	t.key = key_ed_pass;
	t.passphrase = passphrase;
	c = login(&t, "OpenSSH key with a passphrase");
	ssh_close(c);
	t.passphrase = "not-the-passphrase";
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_KEY,
	       "wrong passphrase: a key error");
	t.passphrase = NULL;
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_KEY,
	       "missing passphrase: a key error");
	t.key = key_ec;
	t.passphrase = NULL;
	c = login(&t, "PEM ECDSA key");
	ssh_close(c);
	t.key = key_ec_pass;
	t.passphrase = passphrase;
	c = login(&t, "PEM ECDSA key with a passphrase");
	ssh_close(c);
	t.passphrase = "not-the-passphrase";
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_KEY,
	       "PEM key, wrong passphrase: a key error");
	/* libssh2 1.10 signs RSA with ssh-rsa (SHA-1) only; OpenSSH 9 says
	 * no. The key is read (a wrong passphrase is a key error), and the
	 * refusal is explained. */
	t.key = key_rsa;
	t.passphrase = NULL;
	{
		struct ssh_conn *rc = NULL;
		struct ssh_err e;

		cmp_ok(ssh_connect(&t, NULL, &rc, &e), "==", SSH_ERR_AUTH,
		       "PEM RSA key: refused by OpenSSH 9 (no rsa-sha2 in "
		       "libssh2 1.10)");
		like(e.msg, "ssh-rsa .*ed25519 or ECDSA", "and explained");
		keep(&e);
		ssh_close(rc);
	}
	t.key = key_rsa_pass;
	t.passphrase = passphrase;
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_AUTH,
	       "encrypted PEM RSA key decrypts (then the same refusal)");
	t.passphrase = "not-the-passphrase";
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_KEY,
	       "encrypted PEM RSA key, wrong passphrase: a key error");
	t.passphrase = NULL;
	t.key = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm9wZQ==\n"
		"-----END OPENSSH PRIVATE KEY-----\n";
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_KEY, "garbage key text");

	t = target("oc-test-pw");
	t.password = password;
	c = login(&t, "password login");
	ssh_close(c);
	t.password = "wrong-password";
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_AUTH,
	       "wrong password: an authentication error");
	t.password = NULL;
	t.key = key_ed;
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_AUTH,
	       "key not authorized for the user: an authentication error");
	t.key = NULL;
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_AUTH,
	       "no credential: an authentication error");
	t = target("oc-test-pw");
	t.host = "[127.0.0.1]";
	t.password = password;
	cmp_ok(try_login(&t, NULL), "==", SSH_OK, "bracketed host accepted");
}

static void
test_failures(void)
{
	struct ssh_target t = target("oc-test-key");
	struct sockaddr_in a;
	double t0;
	int fd, silent = free_port(), closed = free_port();

	t.key = key_ed;
	t.port = closed;
	t0 = (double)ssh_now_ms();
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_REFUSED,
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
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_TIMEOUT,
	       "silent server: timeout");
	cmp_ok((long long)((double)ssh_now_ms() - t0), "<", 2000,
	       "timeout honoured");
	close(fd);

	t = target("oc-test-key");
	t.host = "no-such-host.invalid";
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_RESOLVE,
	       "unknown name: resolve error");
	t = target("");
	cmp_ok(try_login(&t, NULL), "==", SSH_ERR_INVALID, "no user: invalid");
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

	cmp_ok(run(c, "echo out; echo err >&2; exit 3", NULL, &r), "==", SSH_OK,
	       "command ran");
	is(r.out.data, "out\n", "stdout");
	is(r.err.data, "err\n", "stderr (markers removed)");
	cmp_ok(r.exit_status, "==", 3, "exit status");
	is(r.exit_signal, "", "no signal");
	ssh_exec_result_cleanup(&r);

	cmp_ok(run(c, "kill -s TERM $$", NULL, &r), "==", SSH_OK,
	       "command killed by a signal");
	is(r.exit_signal, "TERM", "exit signal name");
	cmp_ok(r.exit_status, "==", -1, "no exit status");
	ssh_exec_result_cleanup(&r);

	memset(&o, 0, sizeof(o));
	o.env = env;
	o.nenv = 3;
	o.cwd = "/usr/share";
	cmp_ok(run(c,
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
	cmp_ok(run(c, "echo never", &o, &r), "==", SSH_OK, "bad directory");
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
	cmp_ok(run(c, "cat", &o, &r), "==", SSH_OK, "stdin");
	is(r.out.data, "line one\nline two\n", "stdin reaches the command");
	ssh_exec_result_cleanup(&r);

	for (i = 0; i < 20; i++) {
		if (run(c, "echo $((6*7))", NULL, &r) == SSH_OK &&
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
		cmp_ok(run(c, "head -c 5000000 /dev/zero; echo e >&2", &o, &r),
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
	struct ssh_target t = target("oc-test-pw");
	struct ssh_exec_opt o;
	struct ssh_exec_result r;
	struct ssh_conn *c;
	char cmd[64];

	t.password = password;
	c = login(&t, "password login for sudo");
	if (c == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.sudo = 1;
	o.sudo_password = password;
	o.stdin_data = "via sudo\n";
	o.stdin_len = 9;
	o.cwd = "/root";
	cmp_ok(run(c, "id -u; pwd; cat", &o, &r), "==", SSH_OK,
	       "sudo with a password");
	is(r.out.data, "0\n/root\nvia sudo\n", "ran as root, in /root, stdin");
	is(r.err.data, "", "no prompt in stderr");
	cmp_ok(r.exit_status, "==", 0, "exit 0");
	ok(strstr(r.out.data, password) == NULL, "password not in output");
	ssh_exec_result_cleanup(&r);

	o.sudo_password = "wrong-sudo-password";
	cmp_ok(run(c, "cat", &o, &r), "==", SSH_OK, "sudo, wrong password");
	ok(r.sudo_refused, "sudo refusal reported");
	ok(r.exit_status != 0, "non-zero exit (%d)", r.exit_status);
	ok(strstr(r.out.data, "via sudo") == NULL,
	   "stdin not handed to sudo as a password");
	ssh_exec_result_cleanup(&r);

	o.sudo_password = NULL;
	o.stdin_data = NULL;
	cmp_ok(run(c, "id -u", &o, &r), "==", SSH_OK, "sudo -n");
	ok(r.exit_status != 0 && r.out.len == 0,
	   "sudo -n refuses when a password is needed");
	ssh_exec_result_cleanup(&r);

	/* Timeout of a root command: the root process group is killed. */
	o.sudo_password = password;
	o.timeout_ms = 800;
	snprintf(cmd, sizeof(cmd), "sleep %d", sleep_base + 3);
	cmp_ok(run(c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT,
	       "sudo command timed out");
	ok(r.timed_out, "timed_out set");
	ok(remote_gone(sleep_base + 3), "root process is gone");
	ssh_exec_result_cleanup(&r);
	ssh_close(c);

	t = target("oc-test-key");
	t.key = key_ed;
	c = login(&t, "key login for passwordless sudo");
	memset(&o, 0, sizeof(o));
	o.sudo = 1;
	cmp_ok(run(c, "id -un", &o, &r), "==", SSH_OK, "sudo -n, NOPASSWD");
	is(r.out.data, "root\n", "ran as root");
	ssh_exec_result_cleanup(&r);
	ssh_close(c);
}

static void
test_stop(struct ssh_conn *c)
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
		 sleep_base + 1);
	cmp_ok(run(c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT, "timeout");
	dt = ssh_now_ms() - t0;
	ok(r.timed_out && !r.canceled, "timed_out set");
	is(r.out.data, "started\n", "output before the timeout kept");
	cmp_ok(dt, "<", 3000, "returned soon after the timeout (%lld ms)", dt);
	ok(remote_gone(sleep_base + 1), "remote process is gone");
	ssh_exec_result_cleanup(&r);

	t0 = ssh_now_ms();
	snprintf(cmd, sizeof(cmd), "trap '' TERM; sleep %d", sleep_base + 2);
	cmp_ok(run(c, cmd, &o, &r), "==", SSH_ERR_TIMEOUT,
	       "timeout, TERM ignored");
	ok(remote_gone(sleep_base + 2), "KILL followed");
	ssh_exec_result_cleanup(&r);

	o.timeout_ms = 0;
	o.cancel = &cancel_flag;
	pthread_create(&th, NULL, cancel_later, NULL);
	t0 = ssh_now_ms();
	snprintf(cmd, sizeof(cmd), "sleep %d", sleep_base + 4);
	cmp_ok(run(c, cmd, &o, &r), "==", SSH_ERR_CANCELED, "cancel");
	dt = ssh_now_ms() - t0 - 400;
	pthread_join(th, NULL);
	ok(r.canceled, "canceled set");
	cmp_ok(dt, "<", 2000, "cancel took effect in %lld ms", dt);
	ok(remote_gone(sleep_base + 4), "canceled process is gone");
	ssh_exec_result_cleanup(&r);

	cmp_ok(run(c, "echo still usable", NULL, &r), "==", SSH_OK,
	       "session usable after timeout and cancel");
	is(r.out.data, "still usable\n", "and answers");
	ssh_exec_result_cleanup(&r);
}

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
	(void)run(c, local, NULL, &xr);
	ssh_exec_result_cleanup(&xr);

	memset(&o, 0, sizeof(o));
	o.mode = 0640;
	o.overwrite = SFTP_FAIL_IF_EXISTS;
	cmp_ok(sftp_upload(c, path, data, n, &o, &r, &e), "==", SSH_OK,
	       "upload");
	keep(&e);
	ok(r.verified && r.bytes == n && !r.skipped, "verified, %zu bytes",
	   r.bytes);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640 &&
	       sb.st_size == (off_t)n,
	   "file in place with mode 0640");

	buf_init(&b, 1 << 20);
	cmp_ok(sftp_download(c, path, 1 << 20, NULL, &b, &r, &e), "==", SSH_OK,
	       "download");
	keep(&e);
	ok(b.len == n && memcmp(b.data, data, n) == 0, "round trip intact");
	ok(r.verified, "download verified");
	buf_cleanup(&b);

	buf_init(&b, 1 << 20);
	cmp_ok(sftp_download(c, path, 1000, NULL, &b, &r, &e),
	       "==", SSH_ERR_TOO_LARGE, "download over the cap");
	keep(&e);
	buf_cleanup(&b);
	buf_init(&b, 1 << 20);
	cmp_ok(sftp_download(c, "/nonexistent/x", 1000, NULL, &b, &r, &e),
	       "==", SSH_ERR_REMOTE, "download of a missing file");
	keep(&e);
	buf_cleanup(&b);

	cmp_ok(sftp_upload(c, path, "new", 3, &o, &r, &e), "==", SSH_ERR_EXISTS,
	       "fail_if_exists");
	keep(&e);
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
	keep(&e);
	cmp_ok(sftp_upload(c, "/etc/oc-forbidden", "x", 1, &o, &r, &e),
	       "==", SSH_ERR_REMOTE, "upload without permission");
	keep(&e);
	snprintf(local, sizeof(local), "ls -A '%s' | grep -c tmp || true",
		 rdir);
	(void)run(c, local, NULL, &xr);
	is(xr.out.data, "0\n", "no temporary files left behind");
	ssh_exec_result_cleanup(&xr);
	cmp_ok(sftp_remove(c, path, 5000, &e), "==", SSH_OK, "remove");
	ok(access(path, F_OK) != 0, "removed");
	cmp_ok(sftp_remove(c, path, 5000, &e), "==", SSH_OK,
	       "remove of a missing file is fine");
	snprintf(local, sizeof(local), "rm -rf '%s'", rdir);
	(void)run(c, local, NULL, &xr);
	ssh_exec_result_cleanup(&xr);
	free(data);
}

static void *
parallel_one(void *arg)
{
	struct par *p = arg;
	struct ssh_target t = target("oc-test-key");
	struct ssh_exec_result r;
	struct ssh_conn *c = NULL;
	char cmd[32];

	t.key = key_ed;
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
	struct ssh_target t = target("oc-test-key");
	struct ssh_info before, after;
	struct ssh_conn *c = NULL;
	struct ssh_err e;
	char cmd[8192], old[64];

	t.key = key_ed;
	if (try_login(&t, &before) != SSH_OK)
		fail("login before rekey");
	snprintf(old, sizeof(old), "%s", before.fingerprint);
	snprintf(cmd, sizeof(cmd), "'%s' rekey '%s' >&2", fixture, dir);
	if (!ok(system(cmd) == 0, "server rekeyed"))
		return;
	t.known_fingerprint = old;
	cmp_ok(ssh_connect(&t, &after, &c, &e), "==", SSH_ERR_HOST_KEY_CHANGED,
	       "changed host key refused");
	keep(&e);
	ok(c == NULL && !after.authenticated, "no session, not authenticated");
	like(e.msg, "host key .* has changed", "message says so: %s", e.msg);
	ok(strstr(e.msg, after.fingerprint) != NULL,
	   "message names the new fingerprint");
	isnt(after.fingerprint, old, "new fingerprint reported");
	t.known_fingerprint = after.fingerprint;
	cmp_ok(try_login(&t, NULL), "==", SSH_OK,
	       "accepted new key lets it in");
}

static void
test_no_secrets(void)
{
	const char *secrets[9];
	char body[6][48];
	const char *keys[6] = {key_ed,	     key_ed_pass, key_rsa,
			       key_rsa_pass, key_ec,	  key_ec_pass};
	int i, j, k, leaks = 0;

	/* A piece of each key's base64 body. */
	for (k = 0; k < 6; k++) {
		const char *p = strchr(keys[k], '\n');

		snprintf(body[k], sizeof(body[k]), "%.40s",
			 p != NULL ? p + 1 : "");
	}
	secrets[0] = password;
	secrets[1] = passphrase;
	for (k = 0; k < 6; k++)
		secrets[2 + k] = body[k];
	secrets[8] = "wrong-password";
	for (i = 0; i < nmsgs; i++) {
		for (j = 0; j < 9; j++) {
			if (strstr(msgs[i], secrets[j]) != NULL) {
				diag("secret %d in: %s", j, msgs[i]);
				leaks++;
			}
		}
	}
	cmp_ok(nmsgs, ">", 10, "error messages collected");
	cmp_ok(leaks, "==", 0, "no password, passphrase or key text in them");
}

int
main(void)
{
	struct ssh_target t;
	struct ssh_conn *c;
	char cmd[8192];

	if (getuid() != 0) {
		skip(1, "the sshd fixture needs root");
		return done_testing();
	}
	if (find_fixture() != 0)
		BAIL_OUT("tests/fixtures/sshd/sshd.sh not found");
	snprintf(dir, sizeof(dir), "/tmp/oc-sshd-XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	atexit(cleanup);
	port = free_port();
	sleep_base = 100000 + (int)(getpid() % 100000) * 10;
	snprintf(cmd, sizeof(cmd), "'%s' start '%s' %d >&2", fixture, dir,
		 port);
	if (system(cmd) != 0)
		BAIL_OUT("the sshd fixture did not start");
	password = slurp("password");
	passphrase = slurp("passphrase");
	key_ed = slurp("id_ed25519");
	key_ed_pass = slurp("id_ed25519_pass");
	key_rsa = slurp("id_rsa_pem");
	key_rsa_pass = slurp("id_rsa_pem_pass");
	key_ec = slurp("id_ecdsa_pem");
	key_ec_pass = slurp("id_ecdsa_pem_pass");
	if (ssh_global_init() != 0)
		BAIL_OUT("libssh2_init failed");

	test_logins();
	test_failures();
	t = target("oc-test-key");
	t.key = key_ed;
	c = login(&t, "session for commands");
	if (c != NULL) {
		test_exec(c);
		test_stop(c);
		test_sftp(c);
		ssh_close(c);
	}
	test_sudo();
	test_parallel();
	test_rekey();
	test_no_secrets();
	if (tap_failures() > 0)
		show_log();
	cleanup();
	return done_testing();
}
