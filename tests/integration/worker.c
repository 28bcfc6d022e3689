/* The worker against the real stack: it claims discovery tasks queued in
 * core.tasks, scans, stores results, recovers tasks whose worker died
 * (expired lease), fails them after the last attempt, and with a second
 * worker running every task is still done exactly once. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define BANNER "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

static int listen_fd = -1;
static int listen_port;

static void *banner_server(void *arg);
static int listener_start(const char *addr);
static const char *queue_scan(const char *cidr, const char *owner,
			      int attempts);
static int wait_task(const char *task, const char *state, int seconds);
static int wait_batch(const char *since, int seconds);

/* Answers every connection with an OpenSSH banner. */
static void *
banner_server(void *arg)
{
	int c;

	(void)arg;
	for (;;) {
		c = accept(listen_fd, NULL, NULL);
		if (c < 0)
			break;
		if (write(c, BANNER, strlen(BANNER)) < 0)
			diag("banner write failed");
		usleep(100 * 1000);
		close(c);
	}
	return NULL;
}

static int
listener_start(const char *addr)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 128) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	listen_port = ntohs(sa.sin_port);
	return 0;
}

/* Inserts a scan of cidr on the listener's port and its task; returns the
 * task id. A task given an owner ("" for none: the helpers end their
 * parameters at NULL) is "running" with a lease that expired a minute ago
 * (its worker died). */
static const char *
queue_scan(const char *cidr, const char *owner, int attempts)
{
	const char *scan, *task;
	char port[16], att[16];

	snprintf(port, sizeof(port), "%d", listen_port);
	snprintf(att, sizeof(att), "%d", attempts);
	scan = tc_db_value("INSERT INTO assets.scans (cidrs, ports, timeout_ms, "
			   "concurrency, state, hosts_total) VALUES "
			   "(ARRAY[$1::cidr], ARRAY[$2::int], 500, 16, "
			   "'queued', 1) RETURNING id",
			   cidr, port, NULL);
	task = tc_db_value(
		"INSERT INTO core.tasks (kind, state, payload, attempts, "
		"lease_owner, lease_expires_at) VALUES ('discovery.scan', "
		"CASE WHEN $3 = '' THEN 'queued' ELSE 'running' END, "
		"json_build_object('scan_id', $1::text), $2::int, "
		"nullif($3, ''), CASE WHEN $3 = '' THEN NULL ELSE now() - "
		"interval '1 minute' END) RETURNING id",
		scan, att, owner, NULL);
	tc_db_exec("UPDATE assets.scans SET task_id = $1 WHERE id = $2", task,
		   scan, NULL);
	return task;
}

/* Waits until task is in state. */
static int
wait_task(const char *task, const char *state, int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (tc_db_count("SELECT count(*) FROM core.tasks WHERE id = $1 "
				"AND state = $2",
				task, state, NULL) == 1)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

/* Waits until no task of the batch since `since` is queued or running. */
static int
wait_batch(const char *since, int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (tc_db_count("SELECT count(*) FROM core.tasks WHERE "
				"created_at >= $1::timestamptz AND state IN "
				"('queued', 'running')",
				since, NULL) == 0)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

int
main(void)
{
	pthread_t th;
	const char *task, *lost, *dead, *since;
	char cmd[4096];
	pid_t second;
	int i;

	tc_init(24);
	if (listener_start("127.0.9.1") < 0)
		BAIL_OUT("cannot listen on 127.0.9.1");
	pthread_create(&th, NULL, banner_server, NULL);
	ok(tc_db_count("SELECT count(*) FROM core.components WHERE kind = "
		       "'worker' AND state = 'up'",
		       NULL) >= 1,
	   "a worker is registered and up");

	/* A scan queued like the API queues it. */
	task = queue_scan("127.0.9.1/32", "", 0);
	ok(wait_task(task, "succeeded", 20), "the worker ran the discovery task");
	is(tc_db_value("SELECT s.state FROM assets.scans s WHERE task_id = $1",
		       task, NULL),
	   "succeeded", "the scan is succeeded");
	is(tc_db_value("SELECT classification || ' ' || array_to_string("
		       "open_ports, ',') FROM assets.scan_results r JOIN "
		       "assets.scans s ON s.id = r.scan_id WHERE s.task_id = "
		       "$1",
		       task, NULL),
	   tc_printf("linux %d", listen_port),
	   "the open port and the classification are stored");
	like(tc_db_value("SELECT ssh_banner FROM assets.scan_results r JOIN "
			 "assets.scans s ON s.id = r.scan_id WHERE s.task_id = "
			 "$1",
			 task, NULL),
	     "^SSH-2.0-OpenSSH_9.2p1", "with the SSH banner");
	is(tc_db_value("SELECT attempts::text FROM core.tasks WHERE id = $1",
		       task, NULL),
	   "1", "done in one attempt");

	/* A task held by a worker that died: its lease expired. */
	lost = queue_scan("127.0.9.1/32", "worker:gone:1", 1);
	ok(wait_task(lost, "succeeded", 30),
	   "a task whose worker died is taken over after its lease");
	is(tc_db_value("SELECT attempts::text FROM core.tasks WHERE id = $1",
		       lost, NULL),
	   "2", "as its second attempt");

	/* Out of attempts: failed with the reason. */
	dead = queue_scan("127.0.9.1/32", "worker:gone:2", 3);
	ok(wait_task(dead, "failed", 30), "a task out of attempts is failed");
	like(tc_db_value("SELECT error FROM core.tasks WHERE id = $1", dead,
			 NULL),
	     "worker lost", "with the reason");

	/* A second worker on the same queue: 40 tasks, each done once. */
	snprintf(cmd, sizeof(cmd), "%s/bin/oc-worker", tc_env("OC_TEST_BUILD"));
	second = fork();
	if (second == 0) {
		setenv("OPSCONDUCTOR_VAR", tc_env("OC_TEST_VAR"), 1);
		setenv("OPSCONDUCTOR_DATABASE_URL",
		       tc_printf("host=%s/run port=5432 dbname=opsconductor",
				 tc_env("OC_TEST_VAR")),
		       1);
		setenv("OPSCONDUCTOR_WORKER_THREADS", "4", 1);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execl(cmd, "oc-worker", (char *)NULL);
		_exit(127);
	}
	ok(second > 0, "a second worker started");
	since = tc_db_value("SELECT now()::text", NULL);
	for (i = 0; i < 40; i++)
		queue_scan("127.0.9.1/32", "", 0);
	ok(wait_batch(since, 60), "all 40 tasks finished");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.tasks WHERE created_at "
			   ">= $1::timestamptz AND state = 'succeeded' AND "
			   "attempts = 1",
			   since, NULL),
	       "==", 40, "each succeeded in one attempt");
	/* Other test files queue tasks too: look at this batch only. */
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.scan_results r JOIN "
			   "assets.scans s ON s.id = r.scan_id JOIN core.tasks "
			   "t ON t.id = s.task_id WHERE t.created_at >= "
			   "$1::timestamptz",
			   since, NULL),
	       "==", 40, "one result row per scan, none written twice");
	if (second > 0) {
		kill(second, SIGTERM);
		waitpid(second, NULL, 0);
	}
	shutdown(listen_fd, SHUT_RDWR);
	close(listen_fd);
	tc_done();
	return done_testing();
}
