/* Jobs end to end through the API and the real worker: credentials and
 * targets on OpenSSH servers on loopback (host keys recorded by connection
 * tests), a many-step job over several targets with success, failure and
 * always edges (SFTP upload of an attachment and download with checksums,
 * sudo, a failing step, a step timeout that ends the remote process, large
 * output capped, {{ steps.X.stdout }} into a later step, a secret masked
 * in the run, the log API and the event stream), a target whose host key
 * changed, a cancel within 2 s, and a WinRM PowerShell step feeding an
 * http.request to a loopback sink. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "enc.h"
#include "tests/lib/e2e.h"
#include "tests/lib/fakesrv.h"
#include "tests/lib/sshfx.h"
#include "tests/lib/ssec.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define PAYLOAD 100000
#define WIN_PW "Wn-Pa55:w0rd-x!"
#define SECRET "tok-E2e-7Kq-secret-value"

static struct sshfx fx;
static char d2[] = "/tmp/oc-e2e-sshd-XXXXXX"; /* the second sshd */
static int d2_up;
static pid_t win_pid;
static char tmpbase[64]; /* remote file prefix */

static void cleanup(void);
static int sh(const char *cmd);
static int win_start(void);
static const char *step_of(struct tc_res *r, const char *target,
			   const char *step, const char *field);
static const char *log_all(const char *tok, const char *run);
static const char *events_of(const char *tok, const char *run,
			     const char *after);
static void test_main_job(const char *tok, const char *t1, const char *t2);
static void test_host_key(const char *tok, const char *t1, const char *t3);
static void test_cancel(const char *tok, const char *t1, const char *t2);
static void test_winrm_http(const char *tok);

/* Stops what the file started; runs at exit too (BAIL_OUT), so it uses
 * no tc_ string (tc_done frees them). */
static void
cleanup(void)
{
	char cmd[4096 + 256];

	if (d2_up) {
		snprintf(cmd, sizeof(cmd),
			 "bash %s stop %s >/dev/null 2>&1; rm -rf %s",
			 fx.script, d2, d2);
		sh(cmd);
		d2_up = 0;
	}
	if (win_pid > 0) {
		kill(win_pid, SIGTERM);
		waitpid(win_pid, NULL, 0);
		win_pid = 0;
	}
	if (tmpbase[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -f %s*", tmpbase);
		sh(cmd);
		tmpbase[0] = '\0';
	}
}

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The WS-Management fixture (NTLM over HTTP); its port. */
static int
win_start(void)
{
	char self[PATH_MAX], bin[PATH_MAX + 32], line[32];
	struct pollfd pf;
	int p[2], n, fd;
	ssize_t r;

	n = (int)readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		BAIL_OUT("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/../../fixtures/winrm", dirname(self));
	if (pipe(p) != 0)
		BAIL_OUT("pipe");
	win_pid = fork();
	if (win_pid == 0) {
		dup2(p[1], 1);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		close(p[0]);
		execl(bin, bin, "--auth", "ntlm", "--user", "alice",
		      "--password", WIN_PW, "--domain", "CORP", (char *)NULL);
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
	return atoi(line);
}

/* A field of one step of one target (by target name) in GET /runs/{id}
 * (the last attempt); NULL when absent. */
static const char *
step_of(struct tc_res *r, const char *target, const char *step,
	const char *field)
{
	json_object *ts = tc_json(r->json, "targets"), *t, *ss, *s;
	const char *got = NULL;
	size_t i, j;

	for (i = 0; ts != NULL && i < json_object_array_length(ts); i++) {
		t = json_object_array_get_idx(ts, i);
		if (strcmp(tc_jstr(t, "target_name") ? tc_jstr(t, "target_name")
						     : "",
			   target) != 0)
			continue;
		ss = tc_json(t, "steps");
		for (j = 0; ss != NULL && j < json_object_array_length(ss);
		     j++) {
			s = json_object_array_get_idx(ss, j);
			if (strcmp(tc_jstr(s, "step_id"), step) == 0)
				got = tc_jstr(s, field);
		}
	}
	return got;
}

/* Every log chunk of the run through the log API, paged by 50, as
 * "stream|data" lines joined; NULL when a page fails. */
static const char *
log_all(const char *tok, const char *run)
{
	const char *after = "0", *all = "";
	struct tc_res *r;
	json_object *items;
	size_t i, n;

	for (;;) {
		r = tc_get(tok, "/api/v1/runs/%s/log?after=%s&limit=50", run,
			   after);
		if (r->status != 200)
			return NULL;
		items = tc_json(r->json, "items");
		n = items ? json_object_array_length(items) : 0;
		for (i = 0; i < n; i++)
			all = tc_printf(
			    "%s%s|%s\n", all,
			    tc_jstr(json_object_array_get_idx(items, i),
				    "stream"),
			    tc_jstr(json_object_array_get_idx(items, i),
				    "data"));
		if (n == 0 || tc_str(r, "next") == NULL)
			return all;
		after = tc_str(r, "next");
	}
}

/* The data of every event of the run since after, read from the event
 * stream (?run=) until the run's final state: "type data" lines. */
static const char *
events_of(const char *tok, const char *run, const char *after)
{
	struct ssec *c;
	struct ssec_event ev;
	const char *all = "", *st;
	json_object *o;
	double until = tc_now_ms() + 15000;
	int done = 0;

	c = ssec_open(tc_base(), "127.0.0.111",
		      tc_printf("/api/v1/events?run=%s", run),
		      tc_printf("Bearer %s", tok), after, 0);
	if (c == NULL || ssec_status(c) != 200) {
		if (c != NULL)
			ssec_close(c);
		return NULL;
	}
	while (!done && tc_now_ms() < until) {
		if (ssec_next(c, &ev, 2000) != 1)
			break;
		if (ev.comment)
			continue;
		all = tc_printf("%s%s %s\n", all, ev.type, ev.data);
		o = json_tokener_parse(ev.data);
		st = o ? tc_jstr(o, "state") : NULL;
		if (strcmp(ev.type, "run") == 0 && st != NULL &&
		    strcmp(tc_jstr(o, "id"), run) == 0 &&
		    strcmp(st, "queued") != 0 && strcmp(st, "running") != 0)
			done = 1;
		json_object_put(o);
	}
	ssec_close(c);
	return all;
}

static void
test_main_job(const char *tok, const char *t1, const char *t2)
{
	unsigned char *payload, md[32];
	char sum[65];
	const char *job, *run, *path, *fid, *ev0, *log, *evs, *pidtxt;
	struct tc_res *r;
	json_object *files;
	size_t i;
	int pid, alive;

	payload = malloc(PAYLOAD);
	srand(4242);
	for (i = 0; i < PAYLOAD; i++)
		payload[i] = (unsigned char)(rand() & 0xff);
	crypto_sha256(md, payload, PAYLOAD);
	enc_hex(sum, md, sizeof(md));

	path = tc_printf("%s{{ target.name }}", tmpbase);
	job = e2e_job(
	    tok,
	    tc_printf(
		"{\"name\":%s,\"parameters\":[{\"name\":\"token\",\"type\":"
		"\"secret\",\"required\":true},{\"name\":\"who\",\"type\":"
		"\"string\",\"default\":\"world\"}],"
		"\"targets\":{\"targets\":[\"%s\",\"%s\"]},\"max_parallel\":2,"
		"\"start\":\"hello\",\"steps\":["
		"{\"id\":\"hello\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"echo T={{ params.token }}; echo hi {{ "
		"params.who }}\"},\"on_success\":[\"up\"]},"
		"{\"id\":\"up\",\"type\":\"sftp.upload\",\"inputs\":{\"file\":"
		"\"payload.bin\",\"path\":\"%s.bin\",\"mode\":\"0640\"},"
		"\"on_success\":[\"down\"]},"
		"{\"id\":\"down\",\"type\":\"sftp.download\",\"inputs\":"
		"{\"path\":\"%s.bin\"},\"on_success\":[\"sum\"]},"
		"{\"id\":\"sum\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"sha256sum %s.bin | cut -c1-64; stat -c %%a "
		"%s.bin >&2\"},\"on_success\":[\"root\"]},"
		"{\"id\":\"root\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"id -u\",\"sudo\":true},\"on_success\":"
		"[\"fail\"]},"
		"{\"id\":\"fail\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"echo about to fail; exit 3\"},\"on_success\":"
		"[\"never\"],\"on_failure\":[\"slow\"],\"always\":[\"fin\"]},"
		"{\"id\":\"slow\",\"type\":\"ssh.command\",\"timeout_s\":2,"
		"\"inputs\":{\"command\":\"echo $$ > %s.pid; exec sleep "
		"97\"},\"on_success\":[\"never\"],\"always\":[\"big\"]},"
		"{\"id\":\"big\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"head -c 300000 /dev/zero | tr '\\\\0' x; "
		"echo\"}},"
		"{\"id\":\"fin\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"echo got {{ steps.sum.stdout }} after {{ "
		"steps.fail.exit_code }}\"}},"
		"{\"id\":\"never\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"echo never\"}}]}",
		tc_quote(tc_name("e2e-main")), t1, t2, path, path, path, path,
		path));
	r = tc_req_opt(
	    "POST", tc_printf("/api/v1/jobs/%s/files?name=payload.bin", job),
	    tok, NULL,
	    &(struct tc_opt){.raw = (const char *)payload,
			     .raw_len = PAYLOAD,
			     .content_type = "application/octet-stream"});
	tc_status_is(r, 201, "attach a 100 kB file to the job");

	ev0 = e2e_last_event();
	run = e2e_run(tok, job, "{\"params\":{\"token\":\"" SECRET "\"}}");
	is(e2e_wait(tok, run, 60), "failed",
	   "the run fails: a step of each target failed");
	r = tc_get(tok, "/api/v1/runs/%s", run);
	tc_status_is(r, 200, "read the run");
	for (i = 0; i < 2; i++) {
		const char *tn = tc_jstr(tc_json(r->json, "targets"),
					 tc_printf("%zu.target_name", i));
		const char *want[][2] = {
		    {"hello", "succeeded"}, {"up", "succeeded"},
		    {"down", "succeeded"},  {"sum", "succeeded"},
		    {"root", "succeeded"},  {"fail", "failed"},
		    {"slow", "timed_out"},  {"big", "succeeded"},
		    {"fin", "succeeded"}};
		const char *got = "", *exp = "";
		size_t k;

		if (tn == NULL) {
			fail("target %zu is in the run", i);
			continue;
		}
		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			exp =
			    tc_printf("%s%s:%s ", exp, want[k][0], want[k][1]);
			got =
			    tc_printf("%s%s:%s ", got, want[k][0],
				      step_of(r, tn, want[k][0], "state")
					  ? step_of(r, tn, want[k][0], "state")
					  : "-");
		}
		is(got, exp,
		   "%s: every step in its state; failure and always edges "
		   "taken",
		   tn);
		ok(step_of(r, tn, "never", "state") == NULL,
		   "%s: no success edge out of the failed step", tn);
		is(tc_jstr(tc_json(r->json, "targets"),
			   tc_printf("%zu.state", i)),
		   "failed", "%s: the target failed", tn);
		is(step_of(r, tn, "hello", "stdout"), "T=********\nhi world\n",
		   "%s: the secret is masked in stdout", tn);
		is(step_of(r, tn, "sum", "stdout"), tc_printf("%s\n", sum),
		   "%s: the uploaded file's checksum on the target", tn);
		is(step_of(r, tn, "sum", "stderr"), "640\n",
		   "%s: with the mode asked for", tn);
		is(step_of(r, tn, "root", "stdout"), "0\n",
		   "%s: sudo runs as root", tn);
		is(step_of(r, tn, "fail", "exit_code"), "3",
		   "%s: the failed step's exit code", tn);
		like(step_of(r, tn, "slow", "error"),
		     "time limit of 2 s was reached; the remote command was "
		     "stopped",
		     "%s: the slow step timed out", tn);
		is(step_of(r, tn, "big", "stdout_truncated"), "true",
		   "%s: 300 kB of output is truncated", tn);
		cmp_ok((long long)strlen(step_of(r, tn, "big", "stdout")
					     ? step_of(r, tn, "big", "stdout")
					     : ""),
		       "<=", 65536, "%s: to the 64 KiB cap", tn);
		is(step_of(r, tn, "fin", "stdout"),
		   tc_printf("got %s\n after 3\n", sum),
		   "%s: {{ steps.sum.stdout }} reached a later step", tn);

		/* The timed-out command is gone from the target. */
		pidtxt = NULL;
		{
			FILE *fp =
			    fopen(tc_printf("%s%s.pid", tmpbase, tn), "r");
			char line[32];

			if (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
				pidtxt = tc_strdup(line);
			if (fp != NULL)
				fclose(fp);
		}
		pid = pidtxt ? atoi(pidtxt) : 0;
		alive = 1;
		for (k = 0; pid > 0 && k < 40 && alive; k++) {
			alive = kill(pid, 0) == 0;
			if (alive)
				usleep(50 * 1000);
		}
		ok(pid > 0 && !alive,
		   "%s: the timed-out remote process (%d) was ended", tn, pid);
	}

	/* The downloaded files, byte for byte. */
	files = tc_json(r->json, "files");
	cmp_ok(files ? (long long)json_object_array_length(files) : 0, "==", 2,
	       "one downloaded file per target");
	for (i = 0; files != NULL && i < json_object_array_length(files); i++) {
		struct tc_res *f;

		fid = tc_jstr(files, tc_printf("%zu.id", i));
		is(tc_jstr(files, tc_printf("%zu.sha256", i)), sum,
		   "file %zu: the checksum recorded", i);
		f = tc_get(tok, "/api/v1/runs/%s/files/%s", run, fid);
		ok(f->status == 200 && f->body_len == PAYLOAD &&
		       memcmp(f->body, payload, PAYLOAD) == 0,
		   "file %zu: downloaded through the API, the same bytes", i);
	}

	/* The secret nowhere: log API, events, database. */
	log = log_all(tok, run);
	ok(log != NULL && strstr(log, "stdout|T=********\n") != NULL,
	   "the log API has the masked line");
	ok(log != NULL && strstr(log, SECRET) == NULL &&
	       strstr(log, "tok-E2e") == NULL,
	   "and not the secret");
	ok(log != NULL && strstr(log, "system|step slow timed_out: the time "
				      "limit") != NULL,
	   "the log says the slow step timed out");
	evs = events_of(tok, run, ev0);
	ok(evs != NULL && strstr(evs, "T=********") != NULL,
	   "the event stream has the masked log chunk");
	ok(evs != NULL && strstr(evs, SECRET) == NULL &&
	       strstr(evs, "tok-E2e") == NULL,
	   "and not the secret");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.run_logs WHERE "
			   "run_id = $1 AND strpos(data, $2) > 0",
			   run, SECRET, NULL) +
		   tc_db_count("SELECT count(*) FROM automation.run_steps "
			       "WHERE run_id = $1 AND (strpos(stdout, $2) > 0 "
			       "OR strpos(stderr, $2) > 0)",
			       run, SECRET, NULL) +
		   tc_db_count("SELECT count(*) FROM automation.runs WHERE id "
			       "= $1 AND strpos(params::text || "
			       "coalesce(secret_params::text, ''), $2) > 0",
			       run, SECRET, NULL),
	       "==", 0, "the secret is stored nowhere in clear");
	free(payload);
}

static void
test_host_key(const char *tok, const char *t1, const char *t3)
{
	const char *job, *run, *old;
	struct tc_res *r;

	old = tc_str(tc_get(tok, "/api/v1/targets/%s", t3), "ssh_host_key");
	if (sh(tc_printf("bash %s rekey %s >/dev/null 2>&1", fx.script, d2)) !=
	    0)
		BAIL_OUT("cannot rekey the second sshd");
	job = e2e_job(tok,
		      tc_printf("{\"name\":%s,\"targets\":{\"targets\":[\"%s\","
				"\"%s\"]},\"steps\":[{\"id\":\"u\",\"type\":"
				"\"ssh.command\",\"inputs\":{\"command\":"
				"\"uname -s\"}}]}",
				tc_quote(tc_name("e2e-hk")), t1, t3));
	run = e2e_run(tok, job, "{}");
	is(e2e_wait(tok, run, 30), "failed",
	   "a run with a changed host key on one target fails");
	r = tc_get(tok, "/api/v1/runs/%s", run);
	is(tc_str(r, "targets_succeeded"), "1", "the other target succeeded");
	{
		json_object *ts = tc_json(r->json, "targets");
		const char *okst = "", *bad = "";
		size_t i;

		for (i = 0; ts && i < json_object_array_length(ts); i++) {
			const char *id =
			    tc_jstr(ts, tc_printf("%zu.target_id", i));
			const char *st = tc_jstr(ts, tc_printf("%zu.state", i));
			const char *tn =
			    tc_jstr(ts, tc_printf("%zu.target_name", i));

			if (strcmp(id, t3) == 0)
				bad = tc_printf(
				    "%s %s", st,
				    step_of(r, tn, "u", "error")
					? step_of(r, tn, "u", "error")
					: tc_jstr(ts,
						  tc_printf("%zu.error", i)));
			else
				okst = tc_printf("%s %s", st,
						 step_of(r, tn, "u", "stdout"));
		}
		is(okst, "succeeded Linux\n", "the good target ran the step");
		like(bad,
		     "^failed host key changed: .* not the recorded .*accept "
		     "it under Targets",
		     "the rekeyed target failed with the clear message");
	}
	is(tc_str(tc_get(tok, "/api/v1/targets/%s", t3), "ssh_host_key"), old,
	   "the recorded key is unchanged");
}

static void
test_cancel(const char *tok, const char *t1, const char *t2)
{
	const char *job, *run;
	struct tc_res *r;
	double t0, el;
	int i, alive;

	job = e2e_job(
	    tok,
	    tc_printf("{\"name\":%s,\"targets\":{\"targets\":[\"%s\",\"%s\"]},"
		      "\"steps\":[{\"id\":\"long\",\"type\":\"ssh.command\","
		      "\"inputs\":{\"command\":\"echo $$ >> %scancel.pids; "
		      "exec sleep 98\"},\"always\":[\"after\"]},{\"id\":"
		      "\"after\",\"type\":\"ssh.command\",\"inputs\":"
		      "{\"command\":\"echo after\"}}]}",
		      tc_quote(tc_name("e2e-cancel")), t1, t2, tmpbase));
	run = e2e_run(tok, job, "{}");
	for (i = 0; i < 200; i++) {
		if (tc_db_count("SELECT count(*) FROM automation.run_steps "
				"WHERE run_id = $1 AND state = 'running'",
				run, NULL) == 2 &&
		    sh(tc_printf("test -f %1$scancel.pids && test $(wc -l "
				 "< %1$scancel.pids) -eq 2",
				 tmpbase)) == 0)
			break;
		usleep(50 * 1000);
	}
	usleep(300 * 1000);
	t0 = tc_now_ms();
	r = tc_req("POST", tc_printf("/api/v1/runs/%s/cancel", run), tok, NULL);
	tc_status_is(r, 202, "cancel the running run");
	for (i = 0; i < 100; i++) {
		const char *st =
		    tc_db_value("SELECT state FROM automation.runs "
				"WHERE id = $1",
				run, NULL);
		if (st != NULL && strcmp(st, "running") != 0)
			break;
		usleep(20 * 1000);
	}
	el = (tc_now_ms() - t0) / 1000.0;
	is(e2e_wait(tok, run, 10), "canceled", "the run is canceled");
	ok(el < 2.0, "within 2 s of the request (%.2f s)", el);
	r = tc_get(tok, "/api/v1/runs/%s", run);
	is(tc_str(r, "targets.0.state"), "canceled", "target 1 canceled");
	is(tc_str(r, "targets.1.state"), "canceled", "target 2 canceled");
	is(tc_db_value("SELECT string_agg(DISTINCT step_id || ':' || state, "
		       "',') FROM automation.run_steps WHERE run_id = $1",
		       run, NULL),
	   "long:canceled", "the steps are canceled and nothing ran after");
	alive = 1;
	for (i = 0; i < 40 && alive; i++) {
		alive =
		    sh(tc_printf("for p in $(cat %scancel.pids); do kill -0 "
				 "$p 2>/dev/null && exit 0; done; exit 1",
				 tmpbase)) == 0;
		if (alive)
			usleep(50 * 1000);
	}
	ok(!alive, "the remote sleeps were ended");
}

static void
test_winrm_http(const char *tok)
{
	static struct fakesrv sink = {.kind = FAKESRV_HTTP,
				      .addr = "127.0.0.1",
				      .text = "e2e-sink",
				      .status = 200};
	const char *cred, *tw, *job, *run;
	struct tc_res *r;
	int port;

	port = win_start();
	fakesrv_start();
	if (fakesrv_bind(&sink, 8) != 0)
		BAIL_OUT("cannot bind the HTTP sink");
	fakesrv_add(&sink);

	cred = e2e_credential(tok, "{\"type\":\"winrm\",\"username\":"
				   "\"alice\",\"domain\":\"CORP\","
				   "\"password\":\"" WIN_PW "\"}");
	tw = e2e_target(tok, tc_name("e2e-win"),
			tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"windows\","
				  "\"protocol\":\"winrm\",\"port\":%d,"
				  "\"winrm_https\":false,\"winrm_auth\":"
				  "\"ntlm\",\"credential_id\":\"%s\"",
				  port, cred));
	job = e2e_job(
	    tok,
	    tc_printf(
		"{\"name\":%s,\"targets\":{\"targets\":[\"%s\"]},\"steps\":["
		"{\"id\":\"ps\",\"type\":\"winrm.powershell\",\"inputs\":"
		"{\"script\":\"printf '%%s\\\\n' 'héllo wörld €'; echo oops "
		">&2; exit 0\"},\"on_success\":[\"ps2\"]},"
		"{\"id\":\"ps2\",\"type\":\"winrm.powershell\",\"inputs\":"
		"{\"script\":\"echo four; exit 4\"},\"on_failure\":"
		"[\"post\"]},"
		"{\"id\":\"post\",\"type\":\"http.request\",\"inputs\":"
		"{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%u/sink\","
		"\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":"
		"\"[{{ steps.ps.stdout }}|{{ steps.ps2.exit_code }}]\","
		"\"expect_status\":[200]}}]}",
		tc_quote(tc_name("e2e-win")), tw, (unsigned)sink.port));
	run = e2e_run(tok, job, "{}");
	is(e2e_wait(tok, run, 60), "failed",
	   "the WinRM run fails (its second step exits 4)");
	r = tc_get(tok, "/api/v1/runs/%s", run);
	{
		const char *tn = tc_str(r, "targets.0.target_name");

		is(step_of(r, tn, "ps", "state"), "succeeded",
		   "the PowerShell step succeeded");
		is(step_of(r, tn, "ps", "stdout"), "héllo wörld €\n",
		   "its stdout intact");
		is(step_of(r, tn, "ps", "stderr"), "oops\n",
		   "its stderr intact");
		is(step_of(r, tn, "ps", "exit_code"), "0", "exit code 0");
		is(step_of(r, tn, "ps2", "state"), "failed",
		   "the second PowerShell step failed");
		is(step_of(r, tn, "ps2", "exit_code"), "4", "exit code 4");
		is(step_of(r, tn, "ps2", "stdout"), "four\n", "its output");
		is(step_of(r, tn, "post", "state"), "succeeded",
		   "http.request on the failure edge succeeded");
		is(step_of(r, tn, "post", "exit_code"), "200",
		   "exit_code is the HTTP status");
	}
	like(sink.request, "^POST /sink HTTP/1.1\r\n", "the sink got the POST");
	like(sink.request, "\r\n\r\n\\[héllo wörld €\n\\|4\\]$",
	     "with the earlier steps' stdout and exit code in the body");
	fakesrv_remove_all();
	fakesrv_stop();
}

int
main(void)
{
	struct tc_user *op;
	const char *tok, *cred, *t1, *t2, *t3;
	int port2;

	tc_init(110);
	if (sshfx_start(&fx) != 0) {
		skip(1, "the sshd fixture needs root");
		tc_done();
		return done_testing();
	}
	atexit(cleanup);
	snprintf(tmpbase, sizeof(tmpbase), "/tmp/oc-e2e-%d-", (int)getpid());
	op = tc_new_user("e2eop", "operator");
	if (op == NULL)
		BAIL_OUT("cannot create an operator");
	tok = op->token;

	/* A second sshd (same client keys, its own host keys) to rekey. */
	if (mkdtemp(d2) == NULL)
		BAIL_OUT("mkdtemp");
	port2 = sshfx_free_port();
	d2_up = 1;
	if (sh(tc_printf("cp %s/id_* %s/passphrase %s/ && bash %s start %s %d "
			 ">/dev/null",
			 fx.dir, fx.dir, d2, fx.script, d2, port2)) != 0)
		BAIL_OUT("cannot start the second sshd");

	cred =
	    e2e_credential(tok, tc_printf("{\"type\":\"ssh_key\",\"username\":"
					  "\"oc-test-key\",\"private_key\":%s}",
					  tc_quote(fx.key_ed)));
	t1 = e2e_target(tok, tc_name("e2e-a"),
			tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"linux\","
				  "\"protocol\":\"ssh\",\"port\":%d,"
				  "\"credential_id\":\"%s\"",
				  fx.port, cred));
	t2 = e2e_target(tok, tc_name("e2e-b"),
			tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"linux\","
				  "\"protocol\":\"ssh\",\"port\":%d,"
				  "\"credential_id\":\"%s\"",
				  fx.port, cred));
	t3 = e2e_target(tok, tc_name("e2e-c"),
			tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"linux\","
				  "\"protocol\":\"ssh\",\"port\":%d,"
				  "\"credential_id\":\"%s\"",
				  port2, cred));
	is(e2e_conntest(tok, t1), "reachable", "connection test of target a");
	is(e2e_conntest(tok, t2), "reachable", "connection test of target b");
	is(e2e_conntest(tok, t3), "reachable", "connection test of target c");
	like(tc_str(tc_get(tok, "/api/v1/targets/%s", t3), "ssh_host_key"),
	     "^SHA256:", "its host key is recorded");

	test_main_job(tok, t1, t2);
	test_host_key(tok, t1, t3);
	test_cancel(tok, t1, t2);
	test_winrm_http(tok);

	cleanup();
	sshfx_stop(&fx);
	tc_done();
	return done_testing();
}
