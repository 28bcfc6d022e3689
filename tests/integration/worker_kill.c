/* The stack's worker killed with SIGKILL in the middle of two connection
 * tests (against a port that accepts and never speaks): a new worker,
 * started with `stack.sh worker-start`, takes them over once their lease
 * has expired; the one with attempts left runs again and finishes, the
 * one out of attempts is failed with "worker lost"; none stays running. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enc.h"
#include "seal.h"
#include "tests/lib/mint.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define ADDR "127.0.0.41"

static int silent_fd = -1;
static int silent_port;

static int silent_start(void);
static const char *credential(void);
static const char *target(const char *cred);
static const char *queue_test(const char *target_id, int max_attempts);
static int wait_for(const char *sql, const char *a, const char *b,
		    int seconds);
static char *read_proc(const char *path);
static int worker_pid(void);
static int proc_alive(int pid);

/* Listens and never accepts: connections complete in the kernel and no
 * byte ever comes, so an SSH handshake waits for its timeout. */
static int
silent_start(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	silent_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	if (bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(silent_fd, 16) < 0 ||
	    getsockname(silent_fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	silent_port = ntohs(sa.sin_port);
	return 0;
}

static const char *
credential(void)
{
	const char *id = tc_db_value("SELECT gen_random_uuid()::text", NULL);
	const char *aad = tc_printf("credential:%s", id);
	const char *plain = "{\"password\":\"never-used-kill-pw\"}";
	unsigned char *blob;
	char *hex;
	size_t n;

	blob = seal_encrypt(aad, strlen(aad), plain, strlen(plain), &n);
	if (blob == NULL)
		BAIL_OUT("cannot seal with the stack's public key");
	hex = malloc(2 * n + 1);
	if (hex == NULL)
		abort();
	enc_hex(hex, blob, n);
	tc_db_exec("INSERT INTO assets.credentials (id, name, type, username, "
		   "secret, key_version) VALUES ($1::uuid, $2, 'ssh_password', "
		   "'nobody', decode($3, 'hex'), $4::int)",
		   id, tc_name("kill-cred"), hex,
		   tc_printf("%d", seal_blob_version(blob, n)), NULL);
	free(hex);
	free(blob);
	return id;
}

static const char *
target(const char *cred)
{
	return tc_db_value("INSERT INTO assets.targets (name, host, os, "
			   "protocol, port, credential_id) VALUES ($1, $2, "
			   "'linux', 'ssh', $3::int, $4::uuid) RETURNING id",
			   tc_name("kill-target"), ADDR,
			   tc_printf("%d", silent_port), cred, NULL);
}

static const char *
queue_test(const char *target_id, int max_attempts)
{
	return tc_db_value(
		"INSERT INTO core.tasks (kind, state, payload, max_attempts) "
		"VALUES ('target.test', 'queued', json_build_object("
		"'target_id', $1::text), $2::int) RETURNING id",
		target_id, tc_printf("%d", max_attempts), NULL);
}

/* Polls until sql (a count with parameters a and b) is 1. */
static int
wait_for(const char *sql, const char *a, const char *b, int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (tc_db_count(sql, a, b, NULL) == 1)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

/* A /proc file (its size is not known in advance); NUL bytes become
 * spaces. Caller frees; NULL when it cannot be read. */
static char *
read_proc(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	size_t n, i;

	if (f == NULL)
		return NULL;
	s = calloc(1, 4097);
	if (s == NULL)
		abort();
	n = fread(s, 1, 4096, f);
	fclose(f);
	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	return s;
}

/* The stack's worker, from its pid file, if it is an oc-worker. */
static int
worker_pid(void)
{
	char *raw = mint_read_file(
		tc_printf("%s/run/worker.pid", tc_env("OC_TEST_VAR")), NULL);
	char *cmdline;
	int pid = raw != NULL ? atoi(raw) : 0;

	free(raw);
	if (pid <= 1)
		return 0;
	cmdline = read_proc(tc_printf("/proc/%d/cmdline", pid));
	if (cmdline == NULL || strstr(cmdline, "oc-worker") == NULL)
		pid = 0;
	free(cmdline);
	return pid;
}

/* Running (not gone, not a zombie waiting for its parent). */
static int
proc_alive(int pid)
{
	char *stat = read_proc(tc_printf("/proc/%d/stat", pid));
	const char *p = stat != NULL ? strrchr(stat, ')') : NULL;
	int alive = p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';

	free(stat);
	return alive;
}

int
main(void)
{
	const char *cred, *ta, *tb, *again, *once, *owner, *oldest;
	long long kept;
	int pid, newpid, i;

	tc_init(41);
	if (silent_start() < 0)
		BAIL_OUT("cannot listen on " ADDR);
	if (seal_load_public(tc_printf("%s/keys/secrets",
				       tc_env("OC_TEST_VAR"))) < 0)
		BAIL_OUT("no public key in the stack's keys/secrets");
	pid = worker_pid();
	ok(pid > 0, "the stack's worker runs (pid %d)", pid);
	if (pid <= 0)
		BAIL_OUT("no worker to kill");

	cred = credential();
	ta = target(cred);
	tb = target(cred);
	again = queue_test(ta, 3);
	once = queue_test(tb, 1);
	ok(wait_for("SELECT (count(*) = 2)::int FROM core.tasks WHERE id IN "
		    "($1, $2) AND state = 'running' AND attempts = 1",
		    again, once, 15),
	   "both connection tests are running");
	owner = tc_db_value("SELECT lease_owner FROM core.tasks WHERE id = $1",
			    again, NULL);
	like(owner, tc_printf(":%d$", pid), "held by the stack's worker");
	sleep(1);

	ok(kill(pid, SIGKILL) == 0, "kill -9 the worker mid-task");
	for (i = 0; i < 50 && proc_alive(pid); i++)
		usleep(100 * 1000);
	ok(!proc_alive(pid), "the worker is gone");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.tasks WHERE id IN ($1, "
			   "$2) AND state = 'running' AND lease_owner = $3",
			   again, once, owner, NULL),
	       "==", 2, "its tasks are still marked running under its lease");

	/* Retention: a worker deletes expired events when it starts (and
	 * every 10 minutes), oldest ids first. */
	cmp_ok(tc_db_count("SELECT count(core.event_emit('test.retention', "
			   "NULL, 'admin', '{}')) FROM generate_series(1, 6)",
			   NULL),
	       "==", 6, "six events more (so that there are enough)");
	oldest = tc_db_value("SELECT max(id) FROM (SELECT id FROM core.events "
			     "ORDER BY id LIMIT 5) o",
			     NULL);
	cmp_ok(tc_db_exec("UPDATE core.events SET at = now() - interval '400 "
			  "days' WHERE id <= $1::bigint",
			  oldest, NULL),
	       "==", 5, "the 5 oldest events aged past the retention in SQL");
	kept = tc_db_count("SELECT count(*) FROM core.events WHERE id > "
			   "$1::bigint",
			   oldest, NULL);
	ok(system("OPSCONDUCTOR_VAR=\"$OC_TEST_VAR\" BUILD=\"$OC_TEST_BUILD\" "
		  "\"$OC_TEST_ROOT/scripts/stack.sh\" worker-start "
		  ">/dev/null 2>&1") == 0,
	   "stack.sh worker-start starts a new worker");
	newpid = worker_pid();
	ok(newpid > 0 && newpid != pid && proc_alive(newpid),
	   "a new worker runs (pid %d)", newpid);

	ok(wait_for("SELECT (count(*) = 0)::int FROM core.events WHERE id <= "
		    "$1::bigint AND $2 <> ''",
		    oldest, "x", 10),
	   "the new worker deletes the expired events");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.events WHERE id > "
			   "$1::bigint",
			   oldest, NULL),
	       ">=", kept, "and keeps every younger one");

	/* Lease 10 s (check.sh), recovery every 5 s, then the task with
	 * attempts left is claimed again. */
	ok(wait_for("SELECT count(*) FROM core.tasks WHERE id = $1 AND state "
		    "= 'failed' AND error LIKE 'worker lost%' AND lease_owner "
		    "IS NULL AND $2 <> ''",
		    once, "x", 40),
	   "the task out of attempts is failed: worker lost");
	ok(wait_for("SELECT count(*) FROM core.tasks WHERE id = $1 AND "
		    "attempts = 2 AND (state <> 'running' OR lease_owner <> "
		    "$2)",
		    again, owner, 40),
	   "the task with attempts left is taken over (second attempt)");
	/* Let the second attempt end at once: the port now refuses. */
	close(silent_fd);
	ok(wait_for("SELECT count(*) FROM core.tasks WHERE id = $1 AND state "
		    "= 'succeeded' AND lease_owner IS NULL AND $2 <> ''",
		    again, "x", 30),
	   "and finishes");
	is(tc_db_value("SELECT reachability FROM assets.targets WHERE id = $1",
		       ta, NULL),
	   "unreachable", "with its outcome stored on the target");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.tasks WHERE lease_owner "
			   "= $1",
			   owner, NULL),
	       "==", 0, "nothing is left held by the dead worker");
	ok(wait_for("SELECT count(*) FROM core.components WHERE kind = "
		    "'worker' AND pid = $1::int AND state = 'up' AND $2 <> ''",
		    tc_printf("%d", newpid), "x", 10),
	   "the new worker heartbeats");
	seal_cleanup();
	tc_done();
	return done_testing();
}
