/* The WinRM client against the WS-Management test server: Identify,
 * authentication (NTLM over HTTP, Basic and NTLM over HTTPS), TLS checks,
 * commands and PowerShell scripts with output, exit codes, timeouts,
 * cancel and large output, and no password in anything printed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "tests/lib/tap.h"
#include "worker/winrm.h"

#define PASSWORD "Pa55:w0rd-x!"  /* NTLM: ASCII only (see winrm.h) */
#define PASSWORD_UTF8 "Pa55:w0rd-ünï" /* for Basic */
#define USER "alice"
#define DOMAIN "CORP"

struct fx {
	pid_t pid;
	int port;
	char log[PATH_MAX];
};

struct out {
	struct buf o; /* stdout */
	struct buf e; /* stderr */
};

struct canceler {
	volatile int flag;
	int after_ms;
};

static char tdir[] = "/tmp/oc-winrm-XXXXXX";
static struct fx *fxs[4];
static int nfx;
static struct buf said; /* every error text and output, for the leak check */

static void fx_start(struct fx *f, const char *const *args);
static void fx_stop(struct fx *f);
static void cleanup(void);
static void slurp(const char *path, struct buf *b);
static int on_output(void *ctx, enum winrm_stream s, const char *p,
		     size_t n);
static long long now_ms(void);
static void *cancel_later(void *arg);
static int run(const struct winrm_target *t, const char *cmd, int timeout,
	       volatile int *cancel, struct out *o, int *code, char *err,
	       size_t errlen);
static void test_http_ntlm(void);
static void test_https(const char *auth);

static void
fx_start(struct fx *f, const char *const *args)
{
	char self[PATH_MAX], bin[PATH_MAX + 32], line[32];
	const char *argv[24];
	struct pollfd pf;
	int p[2], i, n, fd;
	ssize_t r;

	n = (int)readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		BAIL_OUT("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/../../fixtures/winrm", dirname(self));
	snprintf(f->log, sizeof(f->log), "%s/fixture%d.log", tdir, nfx);
	argv[0] = bin;
	for (i = 0; args[i] != NULL && i < 20; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe(p) != 0)
		BAIL_OUT("pipe");
	f->pid = fork();
	if (f->pid == 0) {
		dup2(p[1], 1);
		fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		close(p[0]);
		execv(bin, (char *const *)(void *)argv);
		_exit(127);
	}
	close(p[1]);
	pf.fd = p[0];
	pf.events = POLLIN;
	if (poll(&pf, 1, 10000) != 1)
		BAIL_OUT("the WinRM fixture did not start (%s)", bin);
	r = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	if (r <= 0)
		BAIL_OUT("the WinRM fixture did not print its port");
	line[r] = '\0';
	f->port = atoi(line);
	fxs[nfx++] = f;
}

static void
fx_stop(struct fx *f)
{
	int i;

	/* Forget it: the exit handler must not touch a fixture that lived
	 * on a finished function's stack. */
	for (i = 0; i < nfx; i++)
		if (fxs[i] == f) {
			fxs[i] = fxs[--nfx];
			break;
		}
	if (f->pid <= 0)
		return;
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	f->pid = 0;
}

static void
cleanup(void)
{
	char cmd[64 + sizeof(tdir)];

	while (nfx > 0)
		fx_stop(fxs[nfx - 1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tdir);
}

static void
slurp(const char *path, struct buf *b)
{
	char tmp[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(b, tmp, n);
	fclose(f);
}

static int
on_output(void *ctx, enum winrm_stream s, const char *p, size_t n)
{
	struct out *o = ctx;

	buf_append(s == WINRM_STDERR ? &o->e : &o->o, p, n);
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *
cancel_later(void *arg)
{
	struct canceler *c = arg;

	usleep((useconds_t)c->after_ms * 1000);
	c->flag = 1;
	return NULL;
}

static int
run(const struct winrm_target *t, const char *cmd, int timeout,
    volatile int *cancel, struct out *o, int *code, char *err,
    size_t errlen)
{
	int rc;

	buf_init(&o->o, 8 << 20);
	buf_init(&o->e, 1 << 20);
	buf_puts(&o->o, "");
	buf_puts(&o->e, "");
	*code = -1;
	err[0] = '\0';
	rc = winrm_run(t, cmd, timeout, cancel, on_output, o, code, err,
		       errlen);
	buf_printf(&said, "%s\n", err);
	if (o->o.len < 4096)
		buf_puts(&said, o->o.data);
	buf_puts(&said, o->e.data);
	return rc;
}

static void
test_http_ntlm(void)
{
	static const char *const args[] = {"--auth", "ntlm", "--user", USER,
					   "--password", PASSWORD, "--domain",
					   DOMAIN, NULL};
	struct fx f;
	struct winrm_target t = {0};
	struct winrm_identity id;
	struct out o;
	struct canceler c = {0, 700};
	pthread_t th;
	char err[512], cmd[PATH_MAX + 64], pidpath[PATH_MAX], want[64];
	char *ps;
	struct buf exp, log;
	FILE *pf;
	int rc, code, pid = 0, i;
	long long t0;

	fx_start(&f, args);
	t.host = "127.0.0.1";
	t.port = f.port;
	t.auth = WINRM_AUTH_NTLM;
	t.user = USER;
	t.password = PASSWORD;
	t.domain = DOMAIN;
	t.timeout_ms = 10000;

	rc = winrm_identify(&t, &id, err, sizeof(err));
	cmp_ok(rc, "==", 0, "anonymous Identify answers (%s)", err);
	is(id.product_vendor, "Microsoft Corporation", "ProductVendor");
	like(id.product_version, "^OS: [0-9.]+ SP: [0-9.]+ Stack: 3\\.0$",
	     "ProductVersion");
	is(id.protocol_version,
	   "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
	   "ProtocolVersion");
	is(id.server, "Microsoft-HTTPAPI/2.0", "the Server header is kept");

	rc = winrm_check_auth(&t, &id, err, sizeof(err));
	cmp_ok(rc, "==", 0, "NTLM over HTTP authenticates (%s)", err);
	is(id.product_version, "OS: 10.0.17763 SP: 0.0 Stack: 3.0",
	   "the authenticated Identify reports the real version");

	t.password = "not-the-password";
	rc = winrm_check_auth(&t, NULL, err, sizeof(err));
	buf_printf(&said, "%s\n", err);
	cmp_ok(rc, "==", WINRM_ERR_AUTH, "a wrong password is refused");
	like(err, "refused the credentials of user CORP.alice",
	     "in plain words: %s", err);
	t.password = PASSWORD;

	t.auth = WINRM_AUTH_BASIC;
	rc = winrm_check_auth(&t, NULL, err, sizeof(err));
	buf_printf(&said, "%s\n", err);
	cmp_ok(rc, "==", WINRM_ERR_CONFIG, "Basic over plain HTTP is refused");
	like(err, "clear", "because the password would travel in clear");
	t.auth = WINRM_AUTH_NTLM;

	t.password = PASSWORD_UTF8;
	rc = winrm_check_auth(&t, NULL, err, sizeof(err));
	buf_printf(&said, "%s\n", err);
	cmp_ok(rc, "==", WINRM_ERR_CONFIG, "NTLM with a non-ASCII password "
	       "is refused before sending anything");
	like(err, "non-ASCII", "saying why: %s", err);
	t.password = PASSWORD;

	t.port = 1;
	rc = winrm_check_auth(&t, NULL, err, sizeof(err));
	cmp_ok(rc, "==", WINRM_ERR_UNREACHABLE, "a closed port: unreachable "
	       "(%s)", err);
	t.port = f.port;

	rc = run(&t, "echo out; echo err 1>&2; exit 3", 10000, NULL, &o, &code,
		 err, sizeof(err));
	cmp_ok(rc, "==", 0, "a command runs (%s)", err);
	is(o.o.data, "out\n", "stdout intact");
	is(o.e.data, "err\n", "stderr intact");
	cmp_ok(code, "==", 3, "exit code 3");
	buf_cleanup(&o.o);
	buf_cleanup(&o.e);

	ps = winrm_powershell_command("printf '%s\\n' 'héllo wörld € 😀'; "
				      "exit 7");
	ok(ps != NULL && strncmp(ps, "powershell.exe -NoProfile "
		"-NonInteractive -EncodedCommand ", 58) == 0,
	   "the PowerShell command line");
	rc = run(&t, ps, 10000, NULL, &o, &code, err, sizeof(err));
	cmp_ok(rc, "==", 0, "an encoded script runs (%s)", err);
	is(o.o.data, "héllo wörld € 😀\n", "non-ASCII UTF-8 output intact");
	cmp_ok(code, "==", 7, "its exit code");
	free(ps);
	buf_cleanup(&o.o);
	buf_cleanup(&o.e);
	ok(winrm_powershell_command("bad \xff utf-8") == NULL,
	   "a script that is not UTF-8 is refused");

	rc = run(&t, "seq 1 170000", 20000, NULL, &o, &code, err,
		 sizeof(err));
	buf_init(&exp, 8 << 20);
	for (i = 1; i <= 170000; i++)
		buf_printf(&exp, "%d\n", i);
	cmp_ok(rc, "==", 0, "a large output (%s)", err);
	cmp_ok((long long)o.o.len, ">", 1024 * 1024, "more than 1 MB");
	ok(o.o.len == exp.len && memcmp(o.o.data, exp.data, exp.len) == 0,
	   "arrives intact (%zu bytes)", o.o.len);
	buf_cleanup(&exp);
	buf_cleanup(&o.o);
	buf_cleanup(&o.e);

	snprintf(pidpath, sizeof(pidpath), "%s/sleeper.pid", tdir);
	snprintf(cmd, sizeof(cmd), "echo $$ > %s; exec sleep 30", pidpath);
	t0 = now_ms();
	rc = run(&t, cmd, 1500, NULL, &o, &code, err, sizeof(err));
	cmp_ok(rc, "==", WINRM_ERR_TIMEOUT, "the time limit stops a long "
	       "command (%s)", err);
	cmp_ok(now_ms() - t0, "<", 5000, "promptly (%lld ms)", now_ms() - t0);
	pf = fopen(pidpath, "r");
	if (pf != NULL) {
		if (fscanf(pf, "%d", &pid) != 1)
			pid = 0;
		fclose(pf);
	}
	ok(pid > 0 && kill(pid, 0) != 0 && errno == ESRCH,
	   "the remote process is gone (pid %d)", pid);
	buf_init(&log, 1 << 20);
	slurp(f.log, &log);
	like(log.data != NULL ? log.data : "", "signal [0-9A-F-]+ terminate",
	     "Signal terminate reached the server");
	like(log.data != NULL ? log.data : "", "delete shell",
	     "and the shell was deleted");
	buf_cleanup(&o.o);
	buf_cleanup(&o.e);

	pthread_create(&th, NULL, cancel_later, &c);
	t0 = now_ms();
	rc = run(&t, "sleep 30", 0, &c.flag, &o, &code, err, sizeof(err));
	pthread_join(th, NULL);
	cmp_ok(rc, "==", WINRM_ERR_CANCELED, "cancel stops a command");
	cmp_ok(now_ms() - t0, "<", 2700, "within 2 s of the request "
	       "(%lld ms)", now_ms() - t0);
	buf_cleanup(&o.o);
	buf_cleanup(&o.e);

	fx_stop(&f);
	buf_reset(&log);
	slurp(f.log, &log);
	buf_puts(&said, log.data != NULL ? log.data : "");
	snprintf(want, sizeof(want), "command [0-9A-F-]+ pid");
	like(log.data != NULL ? log.data : "", want, "the fixture logged");
	buf_cleanup(&log);
}

static void
test_https(const char *auth)
{
	const char *pw = strcmp(auth, "basic") == 0 ? PASSWORD_UTF8 : PASSWORD;
	const char *args[12] = {"--https", "--auth", auth, "--user", USER,
				"--password", pw, "--cert-out", NULL, NULL};
	char cert[PATH_MAX], err[512];
	struct fx f;
	struct winrm_target t = {0};
	struct winrm_identity id;
	struct out o;
	struct buf log;
	int rc, code;

	snprintf(cert, sizeof(cert), "%s/cert-%s.pem", tdir, auth);
	args[8] = cert;
	fx_start(&f, args);
	t.host = "127.0.0.1";
	t.port = f.port;
	t.https = 1;
	t.verify_tls = 1;
	t.auth = strcmp(auth, "basic") == 0 ? WINRM_AUTH_BASIC
					    : WINRM_AUTH_NTLM;
	t.user = USER;
	t.password = pw;
	t.timeout_ms = 10000;

	rc = winrm_check_auth(&t, NULL, err, sizeof(err));
	buf_printf(&said, "%s\n", err);
	cmp_ok(rc, "==", WINRM_ERR_TLS, "%s: a self-signed certificate fails "
	       "verification (%s)", auth, err);
	t.ca_file = cert;
	rc = winrm_check_auth(&t, &id, err, sizeof(err));
	cmp_ok(rc, "==", 0, "%s over HTTPS with the CA file (%s)", auth, err);
	is(id.server, "Microsoft-HTTPAPI/2.0", "%s: Server header", auth);
	t.ca_file = NULL;
	t.verify_tls = 0;
	rc = winrm_identify(&t, &id, err, sizeof(err));
	cmp_ok(rc, "==", 0, "%s: Identify without verification (%s)", auth,
	       err);
	t.password = "wrong";
	rc = winrm_check_auth(&t, NULL, err, sizeof(err));
	buf_printf(&said, "%s\n", err);
	cmp_ok(rc, "==", WINRM_ERR_AUTH, "%s: a wrong password is refused",
	       auth);
	t.password = pw;
	t.ca_file = cert;
	t.verify_tls = 1;
	rc = run(&t, "echo hi; echo oops >&2; exit 3", 10000, NULL, &o, &code,
		 err, sizeof(err));
	ok(rc == 0 && strcmp(o.o.data, "hi\n") == 0 &&
	   strcmp(o.e.data, "oops\n") == 0 && code == 3,
	   "%s: a command over HTTPS (%s)", auth, err);
	buf_cleanup(&o.o);
	buf_cleanup(&o.e);
	fx_stop(&f);
	buf_init(&log, 1 << 20);
	slurp(f.log, &log);
	buf_puts(&said, log.data != NULL ? log.data : "");
	buf_cleanup(&log);
}

int
main(void)
{
	if (mkdtemp(tdir) == NULL)
		BAIL_OUT("mkdtemp");
	atexit(cleanup);
	signal(SIGPIPE, SIG_IGN);
	if (winrm_global_init() != 0)
		BAIL_OUT("winrm_global_init");
	buf_init(&said, 16 << 20);
	buf_puts(&said, "");
	test_http_ntlm();
	test_https("basic");
	test_https("ntlm");
	ok(strstr(said.data, PASSWORD) == NULL &&
	   strstr(said.data, PASSWORD_UTF8) == NULL &&
	   strstr(said.data, "Pa55") == NULL, "no error, output or fixture log holds the "
	   "password (%zu bytes checked)", said.len);
	buf_cleanup(&said);
	return done_testing();
}
