/* Connection tests run by the worker against a real OpenSSH server: the
 * host key is recorded on first contact, the OS detected, a changed host
 * key blocks the target with the new key held for acceptance, a wrong
 * password is an authentication failure and a closed port unreachable.
 * Credentials are sealed here with the stack's public key, as the API
 * does. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enc.h"
#include "seal.h"
#include "tests/lib/mint.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static char fxdir[] = "/tmp/oc-conntest-XXXXXX";
static int fxport;
static int started;
static char sshd_script[1024];

static void cleanup(void);
static int free_port(void);
static int sshd(const char *action);
static const char *credential(const char *user, const char *password);
static const char *target(const char *name, int port, const char *cred);
static const char *run_test(const char *target_id);

/* Stops the fixture and removes its directory, on every exit path. */
static void
cleanup(void)
{
	/* Runs after tc_done(): plain buffers only. */
	char cmd[2048];

	if (started) {
		snprintf(cmd, sizeof(cmd), "%s stop %s >/dev/null 2>&1",
			 sshd_script, fxdir);
		if (system(cmd) != 0)
			diag("could not stop the sshd fixture");
	}
	started = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fxdir);
	if (system(cmd) != 0)
		diag("could not remove %s", fxdir);
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		BAIL_OUT("no free port");
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
sshd(const char *action)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "%s/tests/fixtures/sshd/sshd.sh %s %s %s >>%s/fixture.log 2>&1",
		 tc_env("OC_TEST_ROOT"), action, fxdir,
		 strcmp(action, "start") == 0 ? tc_printf("%d", fxport) : "",
		 fxdir);
	return system(cmd);
}

/* An ssh_password credential sealed like the API seals it. */
static const char *
credential(const char *user, const char *password)
{
	const char *id = tc_db_value("SELECT gen_random_uuid()::text", NULL);
	const char *aad = tc_printf("credential:%s", id);
	const char *plain = tc_printf("{\"password\":%s}", tc_quote(password));
	unsigned char *blob;
	char *hex;
	size_t n;

	blob = seal_encrypt(aad, strlen(aad), plain, strlen(plain), &n);
	if (blob == NULL)
		BAIL_OUT("cannot seal with the stack's public key");
	hex = malloc(2 * n + 3);
	hex[0] = '\\';
	hex[1] = 'x';
	enc_hex(hex + 2, blob, n);
	tc_db_exec("INSERT INTO assets.credentials (id, name, type, username, "
		   "secret, key_version) VALUES ($1::uuid, $2, 'ssh_password', "
		   "$3, $4::bytea, $5::int)",
		   id, tc_name("cred"), user, hex,
		   tc_printf("%d", seal_current_version()), NULL);
	free(hex);
	free(blob);
	return id;
}

static const char *
target(const char *name, int port, const char *cred)
{
	return tc_db_value("INSERT INTO assets.targets (name, host, os, "
			   "protocol, port, credential_id) VALUES ($1, "
			   "'127.0.0.1', 'linux', 'ssh', $2::int, $3::uuid) "
			   "RETURNING id",
			   name, tc_printf("%d", port), cred, NULL);
}

/* Queues a connection test and waits for its outcome on the target. */
static const char *
run_test(const char *target_id)
{
	const char *task = tc_db_value(
		"INSERT INTO core.tasks (kind, state, payload) VALUES "
		"('target.test', 'queued', json_build_object('target_id', "
		"$1::text)) RETURNING id",
		target_id, NULL);
	const char *state = NULL;
	int i;

	for (i = 0; i < 300; i++) {
		state = tc_db_value("SELECT state FROM core.tasks WHERE id = $1",
				    task, NULL);
		if (state != NULL && strcmp(state, "queued") != 0 &&
		    strcmp(state, "running") != 0)
			break;
		usleep(100 * 1000);
	}
	is(state, "succeeded", "the connection test ran");
	return tc_db_value("SELECT reachability FROM assets.targets WHERE id = "
			   "$1",
			   target_id, NULL);
}

int
main(void)
{
	const char *pw, *cred, *bad, *t1, *t2, *t3, *fp, *keyfp;
	char *raw;

	tc_init(25);
	if (mkdtemp(fxdir) == NULL)
		BAIL_OUT("mkdtemp");
	fxport = free_port();
	snprintf(sshd_script, sizeof(sshd_script),
		 "%s/tests/fixtures/sshd/sshd.sh", tc_env("OC_TEST_ROOT"));
	atexit(cleanup);
	if (sshd("start") != 0)
		BAIL_OUT("the sshd fixture did not start (see %s)", fxdir);
	started = 1;
	if (seal_load_public(tc_printf("%s/keys/secrets",
				       tc_env("OC_TEST_VAR"))) < 0)
		BAIL_OUT("no public key in the stack's keys/secrets");
	raw = mint_read_file(tc_printf("%s/password", fxdir), NULL);
	if (raw == NULL)
		BAIL_OUT("no fixture password");
	raw[strcspn(raw, "\r\n")] = '\0';
	pw = tc_strdup(raw);
	free(raw);

	cred = credential("oc-test-pw", pw);
	t1 = target(tc_name("ssh-ok"), fxport, cred);
	is(run_test(t1), "reachable", "reachable with the right password");
	fp = tc_db_value("SELECT ssh_host_key FROM assets.targets WHERE id = $1",
			 t1, NULL);
	like(fp, "^SHA256:[A-Za-z0-9+/]{43}$",
	     "the host key is recorded on first contact");
	keyfp = tc_db_value("SELECT last_test->>'host_key_fingerprint' FROM "
			    "assets.targets WHERE id = $1",
			    t1, NULL);
	is(keyfp, fp, "and reported in the test result");
	like(tc_db_value("SELECT detected_os FROM assets.targets WHERE id = $1",
			 t1, NULL),
	     "Debian|Linux", "the OS is detected");
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.targets WHERE id = $1 "
			   "AND (last_test->>'latency_ms')::float > 0",
			   t1, NULL),
	       "==", 1, "a latency is measured");
	is(run_test(t1), "reachable", "a second test with the same key passes");

	bad = credential("oc-test-pw", "not-the-password");
	t2 = target(tc_name("ssh-badpw"), fxport, bad);
	is(run_test(t2), "auth_failed", "a wrong password is auth_failed");
	like(tc_db_value("SELECT last_test->>'error' FROM assets.targets WHERE "
			 "id = $1",
			 t2, NULL),
	     ".", "with an error in words");
	ok(strstr(tc_db_value("SELECT last_test::text FROM assets.targets WHERE "
			      "id = $1",
			      t2, NULL),
		  "not-the-password") == NULL,
	   "the password is not in the result");

	t3 = target(tc_name("ssh-closed"), free_port(), cred);
	is(run_test(t3), "unreachable", "a closed port is unreachable");

	/* The server's host key changes. */
	if (sshd("rekey") != 0)
		BAIL_OUT("rekey failed");
	is(run_test(t1), "host_key_changed", "a changed host key blocks it");
	is(tc_db_value("SELECT ssh_host_key FROM assets.targets WHERE id = $1",
		       t1, NULL),
	   fp, "the recorded key is kept");
	like(tc_db_value("SELECT ssh_host_key_pending FROM assets.targets WHERE "
			 "id = $1",
			 t1, NULL),
	     "^SHA256:", "the new key is held for acceptance");
	isnt(tc_db_value("SELECT ssh_host_key_pending FROM assets.targets WHERE "
			 "id = $1",
			 t1, NULL),
	     fp, "and differs from the old one");
	ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE after::text "
		       "LIKE '%' || $1 || '%'",
		       pw, NULL) == 0,
	   "the password is in no audit row");

	seal_cleanup();
	tc_done();
	return done_testing();
}
