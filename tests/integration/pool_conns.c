/* The pool's connections from nginx, on a stack of this test's own: nginx
 * keeps them open and a child serves many of them, so requests whose
 * bodies the handler never read must not spill into the next request; a
 * child killed between requests is replaced and nginx's kept connections
 * to it are retried elsewhere; SIGHUP restarts every child while a
 * request is in flight and that request is still answered. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "tests/lib/mint.h"
#include "tests/lib/ownstack.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

/* The pids of the identity pool's children, from health: "pid pid ...". */
static char *
children(void)
{
	const char *pids = tc_pool_pids(NULL), *p;
	char *out = tc_printf("%s", "");

	for (p = pids; p != NULL && (p = strstr(p, "identity/child/")) != NULL;
	     p += 15)
		out = tc_printf("%s%d ", out, atoi(p + 15));
	return out;
}

static pid_t
master_pid(void)
{
	char *raw = mint_read_file(
		tc_printf("%s/var/run/identity.pid", ownstack_dir), NULL);
	pid_t pid = raw != NULL ? (pid_t)atoi(raw) : 0;

	free(raw);
	return pid;
}

/* n GET /api/v1/me in a row; 1 when every one answered 200 as user. */
static int
me_ok(const char *token, const char *user, int n)
{
	struct tc_res *r;
	int i, good = 1;

	for (i = 0; i < n; i++) {
		r = tc_req("GET", "/api/v1/me", token, NULL);
		if (r->status != 200 || tc_str(r, "username") == NULL ||
		    strcmp(tc_str(r, "username"), user) != 0) {
			diag("request %d: %ld %s", i, r->status, r->body);
			good = 0;
		}
	}
	return good;
}

/* Lines of nginx's error log about its upstreams (a connection the pool
 * closed or broke): nginx retries those for a GET, so only the log shows
 * them. */
static int
upstream_errors(void)
{
	char *log = mint_read_file(
		tc_printf("%s/var/log/nginx-error.log", ownstack_dir), NULL);
	const char *p;
	int n = 0;

	for (p = log; p != NULL && (p = strstr(p, "upstream")) != NULL; p++)
		n++;
	free(log);
	return n;
}

int
main(void)
{
	const char *pw = "Pool-conns-Passw0rd-xyz", *token, *before, *after;
	struct tc_opt big = {0};
	struct tc_res *r;
	char *body, cmd[2048], got[64];
	pid_t master, victim;
	double t0;
	int https, i, good, replaced = 0;
	FILE *slow;

	tc_init(116);
	https = ownstack_start("poolconns", pw, "OPSCONDUCTOR_POOL_WORKERS=2");
	tc_set_base(tc_printf("https://127.0.0.1:%d", https));
	tc_crash_baseline();
	token = tc_login("admin", pw);
	if (token == NULL)
		BAIL_OUT("cannot log in on the test's own stack");

	ok(me_ok(token, "admin", 200), "200 requests in a row on kept "
				       "connections all answered right");

	/* Bodies the pool answers without reading: a method the route does
	 * not allow, a body over the pool's limit. The next request on the
	 * same connection must start clean. */
	good = 1;
	for (i = 0; i < 20; i++) {
		r = tc_req("DELETE", "/api/v1/me", token,
			   "{\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
		good &= r->status == 405;
		good &= me_ok(token, "admin", 2);
	}
	ok(good, "405 with an unread body, then clean requests (x20)");
	body = malloc(200 * 1024 + 1);
	if (body == NULL)
		BAIL_OUT("out of memory");
	memset(body, 'a', 200 * 1024);
	body[0] = '"';
	body[200 * 1024 - 1] = '"';
	body[200 * 1024] = '\0';
	big.raw = body;
	big.raw_len = 200 * 1024;
	good = 1;
	for (i = 0; i < 10; i++) {
		r = tc_req_opt("POST", "/api/v1/users", token, NULL, &big);
		good &= r->status == 413;
		good &= me_ok(token, "admin", 2);
	}
	ok(good, "413 for a 200 KiB body, then clean requests (x10)");
	free(body);
	cmp_ok(upstream_errors(), "==", 0,
	       "nginx saw no broken pool connection (none was retried)");

	/* A child killed between requests: the master starts another and
	 * every request is still answered. */
	before = children();
	victim = (pid_t)atoi(before);
	ok(victim > 1, "identity children: %s", before);
	ok(kill(victim, SIGKILL) == 0, "SIGKILL child %d", (int)victim);
	ok(me_ok(token, "admin", 50),
	   "50 requests after the kill all answered 200");
	t0 = tc_now_ms();
	while (tc_now_ms() - t0 < 10000) {
		after = children();
		if (strstr(after, tc_printf("%d ", (int)victim)) == NULL &&
		    strchr(after, ' ') != strrchr(after, ' ')) {
			replaced = 1;
			break;
		}
		usleep(100 * 1000);
	}
	ok(replaced, "the master replaced the killed child (now: %s)",
	   children());

	/* SIGHUP: every child is told to stop and is replaced; a login in
	 * flight at that moment (argon2 takes a while) is still answered. */
	snprintf(cmd, sizeof(cmd),
		 "curl -sk --interface 127.0.0.116 -o /dev/null "
		 "-w '%%{http_code}' -X POST -H 'Content-Type: "
		 "application/json' --data-binary "
		 "'{\"username\":\"admin\",\"password\":\"%s\"}' "
		 "https://127.0.0.1:%d/api/v1/auth/login",
		 pw, https);
	before = children();
	master = master_pid();
	slow = popen(cmd, "r");
	ok(slow != NULL, "a login started");
	usleep(30 * 1000);
	ok(master > 1 && kill(master, SIGHUP) == 0, "SIGHUP to the master");
	memset(got, 0, sizeof(got));
	if (slow != NULL) {
		if (fgets(got, sizeof(got), slow) == NULL)
			got[0] = '\0';
		pclose(slow);
	}
	is(got, "200", "the login in flight was answered");
	ok(me_ok(token, "admin", 100),
	   "100 requests while the children restart all answered 200");
	t0 = tc_now_ms();
	replaced = 0;
	while (tc_now_ms() - t0 < 10000) {
		after = children();
		if (strcmp(after, before) != 0 &&
		    strchr(after, ' ') != strrchr(after, ' ')) {
			replaced = 1;
			break;
		}
		usleep(100 * 1000);
	}
	ok(replaced, "new children after SIGHUP: %s (were %s)", children(),
	   before);
	ok(me_ok(token, "admin", 20), "and they serve");

	/* The processes changed on purpose. */
	tc_crash_baseline();
	tc_done();
	return done_testing();
}
