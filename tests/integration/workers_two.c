/* Two workers on one queue: a second oc-worker next to the stack's, 200
 * runs of a two-step local job and 20 runs of an SSH job over two targets
 * queued at once. Every run is done once: one attempt, one run_steps row
 * per run target and step, and each SSH command ran exactly once on the
 * targets (it appends a line to a file there). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/e2e.h"
#include "tests/lib/sshfx.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static struct sshfx fx;
static pid_t second;
static char mark[64];

static char second_log[64];

static void stop_second(void);
static long long lines(const char *path);
static long long ended(const char *log, const char *job);

/* How many "run ID succeeded" lines of log name a run of job. */
static long long
ended(const char *log, const char *job)
{
	char line[4096], id[40];
	const char *p;
	FILE *f = fopen(log, "r");
	long long n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		p = strstr(line, "\"msg\":\"run ");
		if (p == NULL || strstr(p, " succeeded") == NULL)
			continue;
		snprintf(id, sizeof(id), "%.36s", p + 11);
		if (tc_db_count("SELECT count(*) FROM automation.runs WHERE id "
				"= $1::uuid AND job_id = $2",
				id, job, NULL) == 1)
			n++;
	}
	fclose(f);
	return n;
}

static void
stop_second(void)
{
	if (second > 0) {
		kill(second, SIGTERM);
		waitpid(second, NULL, 0);
		second = 0;
	}
	if (mark[0] != '\0') {
		unlink(mark);
		mark[0] = '\0';
	}
}

static long long
lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long long n = 0;
	int c;

	if (f == NULL)
		return -1;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

int
main(void)
{
	struct tc_user *op;
	const char *tok, *cred, *t1, *t2, *local, *sshjob, *bin;
	long long left, n1, n2;
	int i;

	tc_init(112);
	if (sshfx_start(&fx) != 0) {
		skip(1, "the sshd fixture needs root");
		tc_done();
		return done_testing();
	}
	atexit(stop_second);
	snprintf(mark, sizeof(mark), "/tmp/oc-e2e-two-%d.lines", (int)getpid());
	snprintf(second_log, sizeof(second_log), "/tmp/oc-e2e-two-%d.log",
		 (int)getpid());
	op = tc_new_user("twoop", "operator");
	if (op == NULL)
		BAIL_OUT("cannot create an operator");
	tok = op->token;
	cred =
	    e2e_credential(tok, tc_printf("{\"type\":\"ssh_key\",\"username\":"
					  "\"oc-test-key\",\"private_key\":%s}",
					  tc_quote(fx.key_ed)));
	t1 = e2e_target(tok, tc_name("two-a"),
			tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"linux\","
				  "\"protocol\":\"ssh\",\"port\":%d,"
				  "\"credential_id\":\"%s\"",
				  fx.port, cred));
	t2 = e2e_target(tok, tc_name("two-b"),
			tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"linux\","
				  "\"protocol\":\"ssh\",\"port\":%d,"
				  "\"credential_id\":\"%s\"",
				  fx.port, cred));
	is(e2e_conntest(tok, t1), "reachable", "target a tested");
	is(e2e_conntest(tok, t2), "reachable", "target b tested");
	local = e2e_job(tok, tc_printf("{\"name\":%s,\"steps\":[{\"id\":\"a\","
				       "\"type\":\"local.noop\",\"on_success\":"
				       "[\"b\"]},{\"id\":\"b\",\"type\":"
				       "\"local.noop\"}]}",
				       tc_quote(tc_name("two-local"))));
	sshjob = e2e_job(
	    tok,
	    tc_printf("{\"name\":%s,\"targets\":{\"targets\":[\"%s\","
		      "\"%s\"]},\"steps\":[{\"id\":\"a\",\"type\":"
		      "\"ssh.command\",\"inputs\":{\"command\":\"echo "
		      "{{ target.name }} >> %s\"},\"on_success\":[\"b\"]},"
		      "{\"id\":\"b\",\"type\":\"ssh.command\",\"inputs\":"
		      "{\"command\":\"echo b-{{ target.name }} >> %s\"}}]}",
		      tc_quote(tc_name("two-ssh")), t1, t2, mark, mark));
	/* The file is written by oc-test-key on the target (this host). */
	if (system(tc_printf("install -m 0666 /dev/null %s", mark)) != 0)
		BAIL_OUT("cannot make %s", mark);

	bin = tc_printf("%s/bin/oc-worker", tc_env("OC_TEST_BUILD"));
	second = fork();
	if (second == 0) {
		setenv("OPSCONDUCTOR_VAR", tc_env("OC_TEST_VAR"), 1);
		setenv("OPSCONDUCTOR_DATABASE_URL",
		       tc_printf("host=%s/run port=5432 dbname=opsconductor",
				 tc_env("OC_TEST_VAR")),
		       1);
		setenv("OPSCONDUCTOR_WORKER_THREADS", "8", 1);
		if (freopen(second_log, "w", stderr) == NULL)
			_exit(126);
		execl(bin, "oc-worker", (char *)NULL);
		_exit(127);
	}
	ok(second > 0, "a second worker started");
	usleep(800 * 1000);

	/* Queued in two statements, as fast as the database takes them. */
	tc_db_exec("SELECT automation.run_create(NULL, $1, '{}', NULL, NULL, "
		   "NULL, NULL, 'api', NULL, NULL, NULL, NULL, NULL) FROM "
		   "generate_series(1, 200)",
		   local, NULL);
	tc_db_exec("SELECT automation.run_create(NULL, $1, '{}', NULL, NULL, "
		   "NULL, NULL, 'api', NULL, NULL, NULL, NULL, NULL) FROM "
		   "generate_series(1, 20)",
		   sshjob, NULL);
	left = -1;
	for (i = 0; i < 1800; i++) {
		left = tc_db_count("SELECT count(*) FROM automation.runs WHERE "
				   "job_id IN ($1, $2) AND state IN ('queued', "
				   "'running')",
				   local, sshjob, NULL);
		if (left == 0)
			break;
		usleep(100 * 1000);
	}
	cmp_ok(left, "==", 0, "every run finished");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE job_id "
			   "= $1 AND state = 'succeeded' AND attempts = 1",
			   local, NULL),
	       "==", 200, "200 local runs succeeded, each in one attempt");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE job_id "
			   "= $1 AND state = 'succeeded' AND attempts = 1",
			   sshjob, NULL),
	       "==", 20, "20 SSH runs succeeded, each in one attempt");
	cmp_ok(
	    tc_db_count("SELECT count(*) FROM automation.run_steps s JOIN "
			"automation.runs r ON r.id = s.run_id WHERE r.job_id "
			"= $1",
			local, NULL),
	    "==", 400, "400 local steps recorded");
	cmp_ok(
	    tc_db_count("SELECT count(*) FROM automation.run_targets t JOIN "
			"automation.runs r ON r.id = t.run_id WHERE r.job_id "
			"= $1",
			sshjob, NULL),
	    "==", 40, "40 SSH run targets");
	cmp_ok(tc_db_count("SELECT count(*) FROM (SELECT 1 FROM "
			   "automation.run_steps s JOIN automation.runs r ON "
			   "r.id = s.run_id WHERE r.job_id IN ($1, $2) GROUP "
			   "BY s.run_target_id, s.step_id HAVING count(*) > 1) "
			   "d",
			   local, sshjob, NULL),
	       "==", 0, "no step of any run target recorded twice");
	cmp_ok(lines(mark), "==", 80,
	       "the SSH commands ran 80 times on the targets (20 x 2 x 2)");
	/* Each SSH run ended once, by one of the two workers (local runs
	 * take a fast path that logs nothing per run). */
	stop_second();
	n1 = ended(tc_printf("%s/log/worker.log", tc_env("OC_TEST_VAR")),
		   sshjob);
	n2 = ended(second_log, sshjob);
	unlink(second_log);
	diag("SSH runs ended by the stack's worker: %lld, by the second: %lld",
	     n1, n2);
	cmp_ok(n1 + n2, "==", 20, "the workers' logs end each SSH run once");

	stop_second();
	sshfx_stop(&fx);
	tc_done();
	return done_testing();
}
