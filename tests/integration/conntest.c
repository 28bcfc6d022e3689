/* Connection tests run by the worker against a real OpenSSH server: the
 * host key is recorded on first contact, the OS detected, a changed host
 * key blocks the target with the new key held for acceptance, a wrong
 * password is an authentication failure and a closed port unreachable.
 * Credentials are sealed here with the stack's public key, as the API
 * does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enc.h"
#include "seal.h"
#include "tests/lib/sshfx.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static struct sshfx fx;

static const char *credential(const char *user, const char *password);
static const char *target(const char *name, int port, const char *cred);
static const char *run_test(const char *target_id);

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

	tc_init(25);
	if (sshfx_start(&fx) < 0) {
		skip(1, "the sshd fixture needs root");
		tc_done();
		return done_testing();
	}
	if (seal_load_public(tc_printf("%s/keys/secrets",
				       tc_env("OC_TEST_VAR"))) < 0)
		BAIL_OUT("no public key in the stack's keys/secrets");
	pw = fx.password;

	cred = credential("oc-test-pw", pw);
	t1 = target(tc_name("ssh-ok"), fx.port, cred);
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
	t2 = target(tc_name("ssh-badpw"), fx.port, bad);
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

	t3 = target(tc_name("ssh-closed"), sshfx_free_port(), cred);
	is(run_test(t3), "unreachable", "a closed port is unreachable");

	/* The server's host key changes. */
	if (sshfx_rekey(&fx) != 0)
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
	sshfx_stop(&fx);
	tc_done();
	return done_testing();
}
