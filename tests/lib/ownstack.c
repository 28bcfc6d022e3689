/* A stack of a test's own (see ownstack.h). */
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/mint.h"
#include "tests/lib/ownstack.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

char ownstack_dir[64];
char ownstack_env[1024];
static int ownstack_started;

static int ownstack_free_port(void);
static void ownstack_stop(void);

static int
ownstack_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int
ownstack_run(const char *cmd)
{
	int rc;

	fflush(stdout);
	fflush(stderr);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Always stops the stack and removes it, whatever path ends the test.
 * Runs at exit, after tc's own clean-up: only local buffers here. */
static void
ownstack_stop(void)
{
	char cmd[2048];

	if (ownstack_started) {
		snprintf(cmd, sizeof(cmd),
			 "%s \"$OC_TEST_ROOT/scripts/stack.sh\" stop "
			 ">>%s/stop.log 2>&1",
			 ownstack_env, ownstack_dir);
		if (ownstack_run(cmd) != 0)
			diag("stopping the test's own stack failed; see "
			     "%s/stop.log",
			     ownstack_dir);
		ownstack_started = 0;
	}
	if (ownstack_dir[0] != '\0' && tap_failures() == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", ownstack_dir);
		ownstack_run(cmd);
	} else if (ownstack_dir[0] != '\0') {
		diag("the stack's files are kept in %s", ownstack_dir);
	}
}

const char *
ownstack_as_owner(void)
{
	struct passwd *pw;
	struct stat st;

	if (stat(tc_printf("%s/var/pg", ownstack_dir), &st) != 0 ||
	    st.st_uid == getuid())
		return "";
	pw = getpwuid(st.st_uid);
	if (pw == NULL)
		BAIL_OUT("the cluster's owner is unknown");
	return tc_printf("runuser -u %s --", pw->pw_name);
}

int
ownstack_start(const char *name, const char *pw, const char *extra)
{
	int https, http;
	char *log;

	snprintf(ownstack_dir, sizeof(ownstack_dir), "/tmp/oc-%s-XXXXXX",
		 name);
	if (mkdtemp(ownstack_dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	chmod(ownstack_dir, 0755);
	atexit(ownstack_stop);
	https = ownstack_free_port();
	http = ownstack_free_port();
	if (https < 0 || http < 0 || https == http)
		BAIL_OUT("no free ports");
	snprintf(ownstack_env, sizeof(ownstack_env),
		 "env OPSCONDUCTOR_VAR=%s/var OPSCONDUCTOR_HTTPS_PORT=%d "
		 "OPSCONDUCTOR_HTTP_PORT=%d OPSCONDUCTOR_PG_PORT=5432 "
		 "OPSCONDUCTOR_ADMIN_USER=admin OPSCONDUCTOR_ADMIN_PASSWORD=%s "
		 "%s BUILD=\"$OC_TEST_BUILD\"",
		 ownstack_dir, https, http, pw, extra);
	tc_env("OC_TEST_ROOT");
	tc_env("OC_TEST_BUILD");
	ownstack_started = 1;
	if (!ok(ownstack_run(tc_printf(
		    "%s \"$OC_TEST_ROOT/scripts/stack.sh\" start "
		    ">%s/start.log 2>&1",
		    ownstack_env, ownstack_dir)) == 0,
		"a stack of our own starts")) {
		log = mint_read_file(tc_printf("%s/start.log", ownstack_dir),
				     NULL);
		diag("%s", log != NULL ? log : "(no start.log)");
		free(log);
		BAIL_OUT("cannot start a stack of the test's own");
	}
	return https;
}
