/* PostgreSQL stopped and started under traffic, on a stack of this test's
 * own: while it is down the API answers 503 quickly, and afterwards the
 * same pool processes answer 200 again without being restarted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/mint.h"
#include "tests/lib/ownstack.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"







int
main(void)
{
	const char *pw = "Restart-test-Passw0rd-xyz", *token, *pids, *pids2;
	const char *pidfile, *pid_before, *pid_after, *owner;
	struct tc_opt quick = {.timeout_ms = 12000};
	struct tc_res *r;
	double t0, worst = 0;
	int https, i, n503 = 0, other = 0, back = 0, all200 = 1;
	char cmd[4096];

	tc_init(22);
	https = ownstack_start("restart", pw, "OPSCONDUCTOR_POOL_WORKERS=2");
	tc_set_base(tc_printf("https://127.0.0.1:%d", https));
	tc_crash_baseline();
	pids = tc_pool_pids(NULL);
	ok(pids != NULL && strstr(pids, "identity/master/") != NULL,
	   "the pool is up");
	pidfile = tc_printf("%s/var/run/identity.pid", ownstack_dir);
	{
		char *raw = mint_read_file(pidfile, NULL);

		pid_before = tc_strdup(raw);
		free(raw);
	}
	ok(pid_before != NULL && atoi(pid_before) > 1, "identity.pid: %s",
	   pid_before ? pid_before : "none");
	token = tc_login("admin", pw);
	if (token == NULL)
		BAIL_OUT("cannot log in on the test's own stack");
	for (i = 0; i < 20; i++)
		all200 &= tc_req_opt("GET", "/api/v1/me", token, NULL, &quick)
				  ->status == 200;
	ok(all200, "traffic before the restart is served");

	/* Database down. */
	owner = ownstack_as_owner();
	snprintf(cmd, sizeof(cmd),
		 "%s /usr/lib/postgresql/15/bin/pg_ctl stop -D %s/var/pg -m "
		 "fast -w >>%s/pg.log 2>&1",
		 owner, ownstack_dir, ownstack_dir);
	if (!ok(ownstack_run(cmd) == 0, "PostgreSQL stopped"))
		BAIL_OUT("cannot stop PostgreSQL");
	tc_allow_unavailable(1);
	t0 = tc_now_ms();
	while (tc_now_ms() - t0 < 4000) {
		r = tc_req_opt("GET", "/api/v1/me", token, NULL, &quick);
		if (r->ms > worst)
			worst = r->ms;
		if (r->status == 503 && tc_str(r, "type") != NULL &&
		    strcmp(tc_str(r, "type"),
			   "urn:opsconductor:problem:unavailable") == 0)
			n503++;
		else
			other++;
		/* Steady traffic, well under the API rate limit. */
		usleep(5000);
	}
	cmp_ok(n503, ">", 0, "503 unavailable while the database is down");
	cmp_ok(other, "==", 0, "nothing else (no 500, no 401) meanwhile");
	cmp_ok((long long)worst, "<", 10000,
	       "no answer took 10 s or more (worst %.0f ms)", worst);
	r = tc_req_opt("GET", "/api/v1/me", token, NULL, &quick);
	tc_problem_is(r, 503, "unavailable", "a 503 problem");
	ok(tc_header(r, "Retry-After") != NULL, "with Retry-After");
	r = tc_req_opt("POST", "/api/v1/auth/login", NULL,
		       tc_printf("{\"username\":\"admin\",\"password\":%s}",
				 tc_quote(pw)),
		       &quick);
	tc_problem_is(r, 503, "unavailable", "login answers 503 too");
	r = tc_req_opt("GET", "/api/v1/health", NULL, NULL, &quick);
	cmp_ok(r->status, "==", 503, "health says 503");

	/* Database back. */
	snprintf(cmd, sizeof(cmd),
		 "%s /usr/lib/postgresql/15/bin/pg_ctl start -D %s/var/pg -l "
		 "%s/var/log/postgresql.log -w -t 60 >>%s/pg.log 2>&1 "
		 "</dev/null",
		 owner, ownstack_dir, ownstack_dir, ownstack_dir);
	if (!ok(ownstack_run(cmd) == 0, "PostgreSQL started again"))
		BAIL_OUT("cannot start PostgreSQL again");
	t0 = tc_now_ms();
	while (tc_now_ms() - t0 < 30000) {
		r = tc_req_opt("GET", "/api/v1/me", token, NULL, &quick);
		if (r->status == 200) {
			back = 1;
			break;
		}
		usleep(200 * 1000);
	}
	ok(back, "the API answers 200 again (after %.0f ms)",
	   tc_now_ms() - t0);
	tc_allow_unavailable(0);
	all200 = 1;
	for (i = 0; i < 40; i++)
		all200 &= tc_req_opt("GET", "/api/v1/me", token, NULL, &quick)
				  ->status == 200;
	ok(all200, "every worker serves again (40 requests)");
	tc_status_is(tc_req_opt("GET", "/api/v1/health", NULL, NULL, &quick),
		     200, "health is 200 again");
	{
		char *raw = mint_read_file(pidfile, NULL);

		pid_after = tc_strdup(raw);
		free(raw);
	}
	is(pid_after, pid_before, "the pool master is the same process");
	pids2 = tc_pool_pids(NULL);
	is(pids2, pids, "the same pool processes serve (no restart)");

	tc_done();
	return done_testing();
}
