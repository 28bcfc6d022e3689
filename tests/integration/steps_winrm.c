/* The winrm.powershell and winrm.cmd executors against the WS-Management
 * test server (tests/fixtures/winrm): output, stderr and exit codes intact
 * (non-ASCII too), one session for the target's steps, Signal terminate on
 * time limit and cancel, TLS checks, target mismatches, no password in
 * anything. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "tests/lib/stepfx.h"
#include "tests/lib/tap.h"
#include "worker/winrm.h"

#define PASSWORD "Pa55:w0rd-x!"
#define USER "alice"
#define DOMAIN "CORP"

struct fx {
	pid_t pid;
	int port;
	char log[PATH_MAX];
};

static char tdir[] = "/tmp/oc-steps-winrm-XXXXXX";
static struct fx *fxs[4];
static int nfx;
static struct buf said; /* every result text, for the password check */

static void fx_start(struct fx *f, const char *const *args);
static void fx_stop(struct fx *f);
static void cleanup(void);
static int count_in_log(const struct fx *f, const char *what);
static long long now_ms(void);
static void keep(const struct stepfx *x);
static void test_ntlm_http(void);
static void test_https(void);

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

/* How many lines of the fixture's log contain what. */
static int
count_in_log(const struct fx *f, const char *what)
{
	char line[1024];
	FILE *fp = fopen(f->log, "r");
	int n = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strstr(line, what) != NULL)
			n++;
		buf_puts(&said, line);
	}
	fclose(fp);
	return n;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
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

static void
test_ntlm_http(void)
{
	static const char *const args[] = {"--auth",   "ntlm",	     "--user",
					   USER,       "--password", PASSWORD,
					   "--domain", DOMAIN,	     NULL};
	struct fx f;
	struct step_target t;
	struct step_io io = {0};
	struct winrm_session *first;
	struct stepfx x;
	char in[PATH_MAX + 128], pidpath[PATH_MAX];
	FILE *pf;
	long long t0;
	int pid = 0, terminates;

	fx_start(&f, args);
	memset(&t, 0, sizeof(t));
	t.id = "00000000-0000-4000-8000-000000000003";
	t.name = "win1";
	t.host = "127.0.0.1";
	t.port = f.port;
	t.os = "windows";
	t.protocol = "winrm";
	t.user = USER;
	t.password = PASSWORD;
	t.domain = DOMAIN;
	t.winrm_auth = "ntlm";

	stepfx_begin(&x, "winrm.powershell",
		     "{\"script\": \"printf '%s\\\\n' 'héllo wörld € 😀'; "
		     "echo oops >&2; exit 7\"}",
		     &t, &io, 15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_powershell)), "failed",
	   "PowerShell exiting 7: failed");
	cmp_ok(x.c.exit_code, "==", 7, "exit code 7 intact");
	is(x.c.out.data, "héllo wörld € 😀\n", "non-ASCII stdout intact");
	is(x.c.err.data, "oops\n", "stderr intact");
	is(x.streamed[1].data, "héllo wörld € 😀\n", "stdout streamed");
	like(x.c.error, "exited with code 7", "error says so");
	ok(io.winrm != NULL, "the session is kept in io");
	first = io.winrm;
	keep(&x);
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.powershell",
		     "{\"script\": \"echo \\\"it's $((6*7))\\\"\"}", &t, &io,
		     15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_powershell)), "succeeded",
	   "PowerShell exiting 0: succeeded");
	is(x.c.out.data, "it's 42\n", "its output");
	cmp_ok(x.c.exit_code, "==", 0, "exit code 0");
	ok(io.winrm == first, "the same session served the second step");
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.cmd",
		     "{\"command\": \"echo cmd-out; echo cmd-err 1>&2\"}", &t,
		     &io, 15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "succeeded",
	   "cmd: succeeded");
	is(x.c.out.data, "cmd-out\n", "stdout");
	is(x.c.err.data, "cmd-err\n", "stderr");
	ok(io.winrm == first, "on the same session");
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"seq 1 20000\"}", &t, &io,
		     15000, 1000);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "succeeded",
	   "large output");
	cmp_ok((long long)x.c.out.len, "==", 1000, "capture capped");
	ok(x.c.out_truncated, "truncation flagged");
	cmp_ok((long long)x.streamed[1].len, "==", 108894,
	       "every byte streamed");
	stepfx_end(&x);

	snprintf(pidpath, sizeof(pidpath), "%s/sleeper.pid", tdir);
	snprintf(in, sizeof(in),
		 "{\"command\": \"echo $$ > %s; exec sleep "
		 "30\"}",
		 pidpath);
	stepfx_begin(&x, "winrm.cmd", in, &t, &io, 1500, 0);
	t0 = now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "timed_out",
	   "the time limit stops a long command");
	cmp_ok(now_ms() - t0, "<", 5000, "promptly (%lld ms)", now_ms() - t0);
	like(x.c.error, "Signal terminate", "error says so: %s", x.c.error);
	like(x.streamed[3].data, "Signal terminate", "and the log");
	pf = fopen(pidpath, "r");
	if (pf != NULL) {
		if (fscanf(pf, "%d", &pid) != 1)
			pid = 0;
		fclose(pf);
	}
	ok(pid > 0 && kill(pid, 0) != 0 && errno == ESRCH,
	   "the remote process is gone (pid %d)", pid);
	terminates = count_in_log(&f, " terminate");
	cmp_ok(terminates, "==", 1, "Signal terminate reached the server");
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"sleep 30\"}", &t, &io, 0,
		     0);
	stepfx_cancel_after(&x.cancel, 700);
	t0 = now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "canceled",
	   "cancel stops a command");
	stepfx_cancel_join();
	cmp_ok(now_ms() - t0 - 700, "<", 2000, "within 2 s of the cancel");
	cmp_ok(count_in_log(&f, " terminate"), "==", 2,
	       "Signal terminate sent again");
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo never\"}", &t, &io,
		     15000, 0);
	x.cancel = 1;
	t0 = now_ms();
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "canceled",
	   "canceled before it started");
	cmp_ok(now_ms() - t0, "<", 500, "at once");
	is(x.c.out.data, "", "nothing ran");
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo alive\"}", &t, &io,
		     15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "succeeded",
	   "the session works after timeout and cancel");
	is(x.c.out.data, "alive\n", "and answers");
	ok(io.winrm == first, "still the same session");
	stepfx_end(&x);
	cmp_ok(count_in_log(&f, "delete shell"),
	       "==", count_in_log(&f, "create shell"),
	       "every shell was deleted");

	stepfx_begin(&x, "winrm.powershell", "{\"script\": \"bad \\u00ff\"}",
		     &t, &io, 15000, 0);
	/* json-c gives valid UTF-8; make it invalid by hand. */
	json_object_object_add(x.c.inputs, "script",
			       json_object_new_string("bad \xff utf-8"));
	is(stepfx_outcome(stepfx_run(&x, step_winrm_powershell)), "failed",
	   "a script that is not UTF-8 fails");
	stepfx_end(&x);

	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"\"}", &t, &io, 15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "failed",
	   "an empty command fails");
	stepfx_end(&x);
	stepfx_io_close(&io);

	t.password = "not-the-password";
	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo x\"}", &t, &io,
		     15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "failed",
	   "wrong password: failed");
	like(x.c.error, "refused the credentials", "explained: %s", x.c.error);
	ok(io.winrm == NULL, "the session is dropped");
	keep(&x);
	stepfx_end(&x);
	t.password = PASSWORD;

	t.protocol = "ssh";
	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo x\"}", &t, &io,
		     15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "failed",
	   "an SSH target: failed");
	like(x.c.error,
	     "runs over WinRM, but target win1 is reached over "
	     "ssh",
	     "clearly: %s", x.c.error);
	stepfx_end(&x);
	t.protocol = "winrm";

	fx_stop(&f);
	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo x\"}", &t, &io,
		     15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "failed",
	   "the server is gone: failed");
	like(x.c.error, "cannot reach", "explained: %s", x.c.error);
	ok(io.winrm == NULL, "the session is dropped");
	stepfx_end(&x);
	stepfx_io_close(&io);
	count_in_log(&f, "\x01");
}

static void
test_https(void)
{
	static const char *const args[] = {"--https", "--auth", "basic",
					   "--user",  USER,	"--password",
					   PASSWORD,  NULL};
	struct fx f;
	struct step_target t;
	struct step_io io = {0};
	struct stepfx x;

	fx_start(&f, args);
	memset(&t, 0, sizeof(t));
	t.name = "win2";
	t.host = "127.0.0.1";
	t.port = f.port;
	t.protocol = "winrm";
	t.user = USER;
	t.password = PASSWORD;
	t.winrm_auth = "basic";
	t.winrm_https = 1;
	t.winrm_verify_tls = 1;

	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo tls\"}", &t, &io,
		     15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "failed",
	   "Basic over HTTPS, self-signed certificate verified: failed");
	like(x.c.error, "TLS", "a TLS error: %s", x.c.error);
	keep(&x);
	stepfx_end(&x);
	stepfx_io_close(&io);

	t.winrm_verify_tls = 0;
	stepfx_begin(&x, "winrm.cmd", "{\"command\": \"echo tls; exit 2\"}", &t,
		     &io, 15000, 0);
	is(stepfx_outcome(stepfx_run(&x, step_winrm_cmd)), "failed",
	   "without verification the command runs");
	is(x.c.out.data, "tls\n", "its output");
	cmp_ok(x.c.exit_code, "==", 2, "its exit code");
	stepfx_end(&x);
	stepfx_io_close(&io);
	fx_stop(&f);
	count_in_log(&f, "\x01");
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
	buf_init(&said, 64 << 20);
	buf_puts(&said, "");
	test_ntlm_http();
	test_https();
	ok(strstr(said.data, PASSWORD) == NULL &&
	       strstr(said.data, "Pa55") == NULL,
	   "no output, error or fixture log holds the password (%zu bytes)",
	   said.len);
	buf_cleanup(&said);
	return done_testing();
}
