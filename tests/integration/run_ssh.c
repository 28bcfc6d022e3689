/* The run engine with real SSH steps on the sshd fixture: templates
 * rendered and quoted for the shell, {{ steps.ID.stdout }} between steps,
 * one SSH connection and one shell on it for all steps of a target, and
 * secrets (a secret parameter, the credential's password) masked in the
 * stored output and the log, also when the output comes in pieces. */
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

static const char *seal_hex(const char *aad, const char *plain);
static const char *run_wait(const char *run, int seconds);

/* plain sealed bound to aad, as "\x..." bytea text. */
static const char *
seal_hex(const char *aad, const char *plain)
{
	unsigned char *blob;
	char *hex;
	const char *out;
	size_t n;

	blob = seal_encrypt(aad, strlen(aad), plain, strlen(plain), &n);
	if (blob == NULL)
		BAIL_OUT("cannot seal with the stack's public key");
	hex = malloc(2 * n + 3);
	hex[0] = '\\';
	hex[1] = 'x';
	enc_hex(hex + 2, blob, n);
	out = tc_strdup(hex);
	free(hex);
	free(blob);
	return out;
}

static const char *
run_wait(const char *run, int seconds)
{
	const char *st = NULL;
	int i;

	for (i = 0; i < seconds * 20; i++) {
		st = tc_db_value("SELECT state FROM automation.runs WHERE id = "
				 "$1",
				 run, NULL);
		if (st != NULL && strcmp(st, "queued") != 0 &&
		    strcmp(st, "running") != 0)
			return st;
		usleep(50 * 1000);
	}
	return st ? st : "(none)";
}

int
main(void)
{
	const char *cred, *target, *job, *run, *log, *out, *a, *b;
	const char *secret = "tok-Zq81-secret-value";
	struct ssh_target st;
	struct ssh_info info;
	char def[4096];
	int sessions;

	tc_init(72);
	if (sshfx_start(&fx) != 0) {
		skip(1, "the sshd fixture needs root");
		tc_done();
		return done_testing();
	}
	st = sshfx_target(&fx, "oc-test-pw");
	st.password = fx.password;
	memset(&info, 0, sizeof(info));
	if (sshfx_try_login(&fx, &st, &info) != SSH_OK)
		BAIL_OUT("cannot log in to the fixture");
	if (seal_load_public(
		tc_printf("%s/keys/secrets", tc_env("OC_TEST_VAR"))) < 0)
		BAIL_OUT("no public sealing key in the test stack");

	cred = tc_db_value("SELECT gen_random_uuid()::text", NULL);
	tc_db_exec(
	    "INSERT INTO assets.credentials (id, name, type, username, "
	    "secret, key_version) VALUES ($1::uuid, $2, 'ssh_password', "
	    "'oc-test-pw', $3::bytea, $4::int)",
	    cred, tc_name("rcred"),
	    seal_hex(tc_printf("credential:%s", cred),
		     tc_printf("{\"password\":%s}", tc_quote(fx.password))),
	    tc_printf("%d", seal_current_version()), NULL);
	target = tc_db_value(
	    "INSERT INTO assets.targets (name, host, os, protocol, port, "
	    "credential_id, ssh_host_key) VALUES ($1, '127.0.0.1', "
	    "'linux', 'ssh', $2::int, $3::uuid, $4) RETURNING id",
	    tc_name("rssh"), tc_printf("%d", fx.port), cred, info.fingerprint,
	    NULL);

	/* a: a parameter with shell metacharacters, quoted; the secret and
	 * the password printed whole and in two pieces. b: a's output and
	 * the session of a (same client port: one SSH connection). */
	snprintf(def, sizeof(def),
		 "{\"name\": \"x\", \"parameters\": [{\"name\": \"who\", "
		 "\"type\": \"string\"}, {\"name\": \"pw\", \"type\": "
		 "\"string\"}, {\"name\": \"token\", \"type\": "
		 "\"secret\"}], \"targets\": {\"targets\": [\"%s\"]}, "
		 "\"steps\": [{\"id\": \"a\", \"type\": \"ssh.command\", "
		 "\"inputs\": {\"command\": \"echo hi {{ params.who }}; echo "
		 "T={{ params.token }}; printf 'P=%%s' {{ params.pw }}; printf "
		 "'Q=%%s' %.8s; "
		 "sleep 0.3; printf '%%s\\\\n' %s; echo $SSH_CONNECTION | cut "
		 "-d' ' -f2 >&2\"}, \"on_success\": [\"b\"]}, {\"id\": \"b\", "
		 "\"type\": \"ssh.command\", \"inputs\": {\"command\": \"echo "
		 "got {{ steps.a.stdout }}; echo $SSH_CONNECTION | cut -d' ' "
		 "-f2 >&2\"}}]}",
		 target, secret, secret + 8);
	job = tc_db_value("INSERT INTO automation.jobs (name) VALUES ($1) "
			  "RETURNING id",
			  tc_name("rjssh"), NULL);
	tc_db_exec("INSERT INTO automation.job_versions (job_id, version, "
		   "definition) VALUES ($1, 1, $2::jsonb)",
		   job, def, NULL);
	run = tc_db_value("SELECT gen_random_uuid()::text", NULL);
	sessions = sshfx_sessions(&fx);
	run = tc_db_value(
	    "SELECT automation.run_create($1::uuid, $2, $3::jsonb, "
	    "$4::bytea, 'run:' || $1, $5::int, NULL, 'api', NULL, NULL, "
	    "NULL, NULL, NULL)",
	    run, job,
	    tc_printf("{\"who\": \"a'b; rm -rf /tmp/x $(id)\", \"pw\": %s}",
		      tc_quote(fx.password)),
	    seal_hex(tc_printf("run:%s", run),
		     tc_printf("{\"token\":%s}", tc_quote(secret))),
	    tc_printf("%d", seal_current_version()), NULL);
	is(run_wait(run, 60), "succeeded", "a two-step SSH run succeeds");
	out = tc_db_value("SELECT stdout FROM automation.run_steps WHERE "
			  "run_id = $1 AND step_id = 'a'",
			  run, NULL);
	is(out,
	   "hi a'b; rm -rf /tmp/x $(id)\nT=********\nP=********Q=********\n",
	   "the parameter arrived quoted; secrets are masked in stdout");
	log = tc_db_value("SELECT string_agg(data, '' ORDER BY id) FROM "
			  "automation.run_logs WHERE run_id = $1 AND step_id = "
			  "'a' AND stream = 'stdout'",
			  run, NULL);
	is(log, out, "and in the log, though printed in pieces");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.run_logs WHERE "
			   "run_id = $1 AND step_id = 'a' AND stream = "
			   "'stdout'",
			   run, NULL),
	       ">=", 2, "the log came in several chunks");
	ok(tc_db_count("SELECT count(*) FROM automation.run_logs WHERE "
		       "run_id = $1 AND (strpos(data, $2) > 0 OR strpos(data, "
		       "$3) > 0)",
		       run, secret, fx.password, NULL) == 0 &&
	       tc_db_count("SELECT count(*) FROM automation.run_steps "
			   "WHERE run_id = $1 AND (strpos(stdout, $2) > 0 "
			   "OR strpos(stdout, $3) > 0 OR strpos(stderr, $2) "
			   "> 0)",
			   run, secret, fx.password, NULL) == 0,
	   "neither secret is stored anywhere");
	like(tc_db_value("SELECT stdout FROM automation.run_steps WHERE "
			 "run_id = $1 AND step_id = 'b'",
			 run, NULL),
	     "^got hi a'b; rm -rf /tmp/x \\$\\(id\\)",
	     "step b saw a's output through the template");
	a = tc_db_value("SELECT stderr FROM automation.run_steps WHERE run_id "
			"= $1 AND step_id = 'a'",
			run, NULL);
	b = tc_db_value("SELECT stderr FROM automation.run_steps WHERE run_id "
			"= $1 AND step_id = 'b'",
			run, NULL);
	ok(a != NULL && b != NULL && a[0] != '\0' && strcmp(a, b) == 0,
	   "both steps used one SSH connection (client port %s)", a ? a : "?");
	cmp_ok(sshfx_sessions(&fx) - sessions, "==", 1,
	       "and one shell on it: sshd started one session for both");

	sshfx_stop(&fx);
	tc_done();
	return done_testing();
}
