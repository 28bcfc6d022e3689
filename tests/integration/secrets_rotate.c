/* Secret key rotation on a stack of this test's own (it changes the key
 * files, which other files must not see): `stack.sh rotate-secrets` makes
 * key version 2 while the API keeps writing credentials, the pools seal
 * under it without a restart, every stored secret ends up re-sealed under
 * it (one audit row per batch), the running worker still opens them (a
 * connection test against the sshd fixture authenticates), and version 1
 * is retired only once no row uses it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enc.h"
#include "seal.h"
#include "tests/lib/mint.h"
#include "tests/lib/ownstack.h"
#include "tests/lib/sshfx.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define DIRECT_ROWS 240
#define RUN_ROWS 30
#define SCHEDULE_ROWS 5
#define BATCH 20

static struct sshfx fx;
static int have_fx;

static void stack_stop(void);
static const char *keys_dir(void);
static const char *seal_row(const char *user, const char *password);
static const char *seal_params(const char *kind, const char *job,
			       const char *secret);
static const char *api_credential(const char *token, const char *password);
static const char *conn_test(const char *token, const char *target);
static int rotate_start(const char *args);
static int rotate_wait(pid_t pid);
static long undecryptable(void);



/* The sshd fixture goes before the stack (atexit runs this first). */
static void
stack_stop(void)
{
	if (have_fx) {
		sshfx_stop(&fx);
		have_fx = 0;
	}
}

static const char *
keys_dir(void)
{
	return tc_printf("%s/var/keys/secrets", ownstack_dir);
}

/* An ssh_password credential sealed here with the stack's public key and
 * inserted directly, as the API would store it. */
static const char *
seal_row(const char *user, const char *password)
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
	hex = malloc(2 * n + 1);
	if (hex == NULL)
		abort();
	enc_hex(hex, blob, n);
	tc_db_exec("INSERT INTO assets.credentials (id, name, type, username, "
		   "secret, key_version) VALUES ($1::uuid, $2, 'ssh_password', "
		   "$3, decode($4, 'hex'), $5::int)",
		   id, tc_name("rot"), user, hex,
		   tc_printf("%d", seal_blob_version(blob, n)), NULL);
	free(hex);
	free(blob);
	return id;
}

/* A run (or a paused schedule) of job with secret parameters sealed bound
 * to "run:<id>" ("schedule:<id>"), as the automation API stores them. */
static const char *
seal_params(const char *kind, const char *job, const char *secret)
{
	const char *id = tc_db_value("SELECT gen_random_uuid()::text", NULL);
	const char *aad = tc_printf("%s:%s", kind, id);
	const char *plain = tc_printf("{\"api_key\":%s}", tc_quote(secret));
	const char *version;
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
	version = tc_printf("%d", seal_blob_version(blob, n));
	if (strcmp(kind, "run") == 0)
		tc_db_exec("INSERT INTO automation.runs (id, job_id, "
			   "job_version, job_name, secret_params, "
			   "secret_binding, key_version) VALUES ($1::uuid, "
			   "$2::uuid, 1, 'rot-job', decode($3, 'hex'), $4, "
			   "$5::int)",
			   id, job, hex, aad, version, NULL);
	else
		tc_db_exec("INSERT INTO automation.schedules (id, job_id, cron, "
			   "time_zone, enabled, secret_params, secret_binding, "
			   "key_version) VALUES ($1::uuid, $2::uuid, '0 0 1 1 *', "
			   "'UTC', false, decode($3, 'hex'), $4, $5::int)",
			   id, job, hex, aad, version, NULL);
	free(hex);
	free(blob);
	return id;
}

static const char *
api_credential(const char *token, const char *password)
{
	struct tc_res *r = tc_req(
		"POST", "/api/v1/credentials", token,
		tc_printf("{\"name\":%s,\"type\":\"ssh_password\","
			  "\"username\":\"oc-test-pw\",\"password\":%s}",
			  tc_quote(tc_name("rotapi")), tc_quote(password)));

	if (r->status != 201) {
		diag("POST /credentials: %ld %s", r->status, r->body);
		return NULL;
	}
	return tc_str(r, "id");
}

/* Runs a connection test through the API; the target's reachability. */
static const char *
conn_test(const char *token, const char *target)
{
	struct tc_res *r = tc_req(
		"POST", tc_printf("/api/v1/targets/%s/test", target), token,
		NULL);
	const char *task = tc_str(r, "task_id"), *state = NULL;
	int i;

	if (r->status != 202 || task == NULL)
		return "(not queued)";
	for (i = 0; i < 300; i++) {
		state = tc_db_value("SELECT state FROM core.tasks WHERE id = $1",
				    task, NULL);
		if (state != NULL && strcmp(state, "queued") != 0 &&
		    strcmp(state, "running") != 0)
			break;
		usleep(100 * 1000);
	}
	if (state == NULL || strcmp(state, "succeeded") != 0)
		return tc_printf("(task %s)", state ? state : "?");
	r = tc_get(token, "/api/v1/targets/%s", target);
	if (tc_str(r, "reachability") != NULL &&
	    strcmp(tc_str(r, "reachability"), "reachable") != 0)
		diag("last test: %s", r->body);
	return tc_str(r, "reachability");
}

/* stack.sh rotate-secrets ARGS in the background; its output goes to
 * ownstack_dir/rotate.log. The pid. */
static int
rotate_start(const char *args)
{
	const char *cmd = tc_printf(
		"%s \"$OC_TEST_ROOT/scripts/stack.sh\" rotate-secrets %s "
		">>%s/rotate.log 2>&1",
		ownstack_env, args, ownstack_dir);
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int
rotate_wait(pid_t pid)
{
	int st;

	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Rows whose secret the private keys on disk cannot open. */
static long
undecryptable(void)
{
	long i, n, bad = 0;
	const char *id, *hex, *why;
	unsigned char blob[4096], out[4096];
	size_t k, len;
	/* "<binding> <hex>" of every sealed value. */
	const char *sql =
		"SELECT b || ' ' || h FROM (SELECT 'credential:' || id AS b, "
		"encode(secret, 'hex') AS h, id FROM assets.credentials UNION "
		"ALL SELECT secret_binding, encode(secret_params, 'hex'), id "
		"FROM automation.runs WHERE secret_params IS NOT NULL UNION ALL "
		"SELECT secret_binding, encode(secret_params, 'hex'), id FROM "
		"automation.schedules WHERE secret_params IS NOT NULL) s ORDER "
		"BY id OFFSET $1::int LIMIT 1";

	seal_cleanup();
	if (seal_load_private(keys_dir()) < 0)
		return -1;
	n = tc_db_count("SELECT (SELECT count(*) FROM assets.credentials) + "
			"(SELECT count(*) FROM automation.runs WHERE "
			"secret_params IS NOT NULL) + (SELECT count(*) FROM "
			"automation.schedules WHERE secret_params IS NOT NULL)",
			NULL);
	for (i = 0; i < n; i++) {
		const char *row = tc_db_value(sql, tc_printf("%ld", i), NULL);

		if (row == NULL || strchr(row, ' ') == NULL) {
			bad++;
			continue;
		}
		id = tc_printf("%.*s", (int)(strchr(row, ' ') - row), row);
		hex = strchr(row, ' ') + 1;
		len = strlen(hex) / 2;
		if (len > sizeof(blob)) {
			bad++;
			continue;
		}
		for (k = 0; k < len; k++)
			sscanf(hex + 2 * k, "%2hhx", &blob[k]);
		if (seal_decrypt(out, sizeof(out), id, strlen(id), blob, len,
				 &why) < 0) {
			diag("%s: %s", id, why);
			bad++;
		}
	}
	return bad;
}

int
main(void)
{
	const char *pw = "Rotate-test-Passw0rd-xyz", *token, *sshpw, *cred;
	const char *target, *v1row, *id, *job;
	const char *patchable[8];
	struct tc_res *r;
	char *log;
	int https, i, rc, writes = 0, bad_writes = 0, npatch = 0;
	pid_t rot;
	struct stat st;

	tc_init(40);
	https = ownstack_start("rotate", pw, "OPSCONDUCTOR_POOL_WORKERS=2");
	atexit(stack_stop);
	tc_set_base(tc_printf("https://127.0.0.1:%d", https));
	tc_crash_baseline();
	{
		char *dbpw = mint_read_file(
			tc_printf("%s/var/keys/db/opsconductor.password", ownstack_dir),
			NULL);

		if (dbpw == NULL)
			BAIL_OUT("no database password in the test's stack");
		dbpw[strcspn(dbpw, "\r\n")] = '\0';
		setenv("OC_TEST_DB",
		       tc_printf("host=%s/var/run port=5432 dbname=opsconductor "
				 "user=opsconductor password=%s",
				 ownstack_dir, dbpw),
		       1);
		free(dbpw);
	}
	token = tc_login("admin", pw);
	if (token == NULL)
		BAIL_OUT("cannot log in on the test's own stack");
	if (seal_load_public(keys_dir()) < 0)
		BAIL_OUT("no public key in the test stack's keys/secrets");
	cmp_ok(seal_current_version(), "==", 1, "the stack starts on key v1");

	have_fx = sshfx_start(&fx) == 0;
	sshpw = have_fx ? fx.password : "no-sshd-fixture-pw";

	/* Credentials to rotate: a target with an API-made credential, a
	 * few more made by the API, and many sealed directly. */
	cred = api_credential(token, sshpw);
	ok(cred != NULL, "a credential made through the API");
	r = tc_req("POST", "/api/v1/targets", token,
		   tc_printf("{\"name\":%s,\"host\":\"127.0.0.1\",\"os\":"
			     "\"linux\",\"protocol\":\"ssh\",\"port\":%d,"
			     "\"credential_id\":%s}",
			     tc_quote(tc_name("rot-target")),
			     have_fx ? fx.port : 22, tc_quote(cred)));
	tc_status_is(r, 201, "a target using it");
	target = tc_str(r, "id");
	for (i = 0; i < 8; i++)
		patchable[npatch++] = api_credential(token, tc_password());
	for (i = 0; i < DIRECT_ROWS; i++)
		seal_row("svc", tc_printf("direct-%d-%s", i, tc_password()));
	job = tc_db_value("INSERT INTO automation.jobs (name) VALUES ($1) "
			  "RETURNING id",
			  tc_name("rot-job"), NULL);
	tc_db_exec("INSERT INTO automation.job_versions (job_id, version, "
		   "definition) VALUES ($1::uuid, 1, '{}')",
		   job, NULL);
	for (i = 0; i < RUN_ROWS; i++)
		seal_params("run", job,
			    tc_printf("run-%d-%s", i, tc_password()));
	for (i = 0; i < SCHEDULE_ROWS; i++)
		seal_params("schedule", job,
			    tc_printf("sched-%d-%s", i, tc_password()));
	tc_db_exec("INSERT INTO automation.runs (job_id, job_version, "
		   "job_name) VALUES ($1::uuid, 1, 'rot-job')",
		   job, NULL);
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.credentials WHERE "
			   "key_version = 1",
			   NULL),
	       "==", DIRECT_ROWS + 9, "every credential is under v1");
	if (have_fx)
		is(conn_test(token, target), "reachable",
		   "before: the worker authenticates with the credential");
	else
		skip(1, "the sshd fixture needs root");

	/* Rotate while the API writes. */
	rot = rotate_start(tc_printf("--batch %d", BATCH));
	ok(rot > 0, "rotate-secrets started");
	while (waitpid(rot, &rc, WNOHANG) == 0 || writes == 0) {
		if (writes % 2 == 0) {
			r = tc_req("POST", "/api/v1/credentials", token,
				   tc_printf("{\"name\":%s,\"type\":"
					     "\"ssh_password\",\"username\":"
					     "\"u\",\"password\":%s}",
					     tc_quote(tc_name("during")),
					     tc_quote(tc_password())));
			bad_writes += r->status != 201;
		} else {
			r = tc_req("PATCH",
				   tc_printf("/api/v1/credentials/%s",
					     patchable[writes / 2 % npatch]),
				   token,
				   tc_printf("{\"password\":%s,\"description\":"
					     "\"w%d\"}",
					     tc_quote(tc_password()), writes));
			bad_writes += r->status != 200;
		}
		writes++;
	}
	rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	log = mint_read_file(tc_printf("%s/rotate.log", ownstack_dir), NULL);
	if (!is(tc_printf("%d", rc), "0",
		"rotate-secrets finished with nothing left behind"))
		diag("%s", log != NULL ? log : "(no rotate.log)");
	ok(log != NULL && strstr(log, "0 sealed secret(s) remain under "
				      "older key versions") != NULL,
	   "it reports how many rows remain under old versions");
	free(log);
	cmp_ok(bad_writes, "==", 0, "%d API writes during the rotation all "
				    "succeeded",
	       writes);
	cmp_ok(writes, ">=", 2, "the API was writing during the rotation");
	ok(stat(tc_printf("%s/v2.key", keys_dir()), &st) == 0 &&
	       (st.st_mode & 0777) == 0600,
	   "v2.key exists, mode 0600");
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.credentials WHERE "
			   "key_version <> 2",
			   NULL),
	       "==", 0, "every row is under key version 2");
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.credentials WHERE "
			   "get_byte(secret, 7) <> 2",
			   NULL),
	       "==", 0, "and every blob says version 2");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "secret_params IS NOT NULL AND (key_version <> 2 OR "
			   "get_byte(secret_params, 7) <> 2)",
			   NULL),
	       "==", 0, "the secret parameters of runs too");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.schedules WHERE "
			   "job_id = $1 AND (key_version <> 2 OR "
			   "get_byte(secret_params, 7) <> 2)",
			   job, NULL),
	       "==", 0, "and of schedules");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'schedule.reseal'",
			   NULL),
	       ">=", 1, "schedule re-sealing is audited");
	cmp_ok(tc_db_count("SELECT count(*) FROM automation.runs WHERE "
			   "job_id = $1 AND secret_params IS NULL AND "
			   "key_version IS NULL",
			   job, NULL),
	       "==", 1, "a run without secrets is left alone");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'run.reseal'",
			   NULL),
	       ">=", (RUN_ROWS + BATCH - 1) / BATCH,
	       "run re-sealing is audited per batch");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'credential.reseal'",
			   NULL),
	       ">=", (DIRECT_ROWS + 9 + BATCH - 1) / BATCH,
	       "one audit row per batch");
	cmp_ok(tc_db_count("SELECT coalesce(max((after->>'count')::int), 0) "
			   "FROM core.audit_events WHERE action = "
			   "'credential.reseal'",
			   NULL),
	       "<=", BATCH, "no batch larger than --batch");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'credential.reseal' AND after::text LIKE "
			   "'%direct-%'",
			   NULL),
	       "==", 0, "no secret in the audit rows");
	cmp_ok(undecryptable(), "==", 0, "every stored secret opens");

	/* The pools picked the new key up without a restart. */
	id = api_credential(token, "after-rotation-pw");
	is(tc_db_value("SELECT key_version::text FROM assets.credentials "
		       "WHERE id = $1",
		       id, NULL),
	   "2", "a credential made now is sealed under v2 by the same pools");
	if (have_fx)
		is(conn_test(token, target), "reachable",
		   "after: the running worker opens the v2 secret");
	else
		skip(1, "the sshd fixture needs root");

	/* Retiring v1 is refused while a row uses it: one sealed with the
	 * v1 public key alone (a straggler, or a restored backup). */
	{
		const char *tmpk = tc_printf("%s/v1only", ownstack_dir);

		seal_cleanup();
		mkdir(tmpk, 0700);
		ownstack_run(tc_printf("cp %s/v1.pub %s/", keys_dir(), tmpk));
		seal_load_public(tmpk);
		v1row = seal_row("svc", "still-on-v1");
		seal_cleanup();
	}
	is(tc_db_value("SELECT key_version::text FROM assets.credentials "
		       "WHERE id = $1",
		       v1row, NULL),
	   "1", "a row sealed under v1 again");
	rc = rotate_wait(rotate_start("--retire"));
	cmp_ok(rc, "==", 1, "--retire is refused while a row uses v1");
	ok(access(tc_printf("%s/v1.key", keys_dir()), F_OK) == 0,
	   "v1.key is kept");
	rc = rotate_wait(rotate_start("--continue"));
	cmp_ok(rc, "==", 0, "--continue re-seals it under v2");
	rc = rotate_wait(rotate_start("--retire"));
	cmp_ok(rc, "==", 0, "then --retire succeeds");
	ok(access(tc_printf("%s/v1.key", keys_dir()), F_OK) != 0 &&
	       access(tc_printf("%s/v1.pub", keys_dir()), F_OK) != 0,
	   "v1.key and v1.pub are gone");
	ok(access(tc_printf("%s/v2.key", keys_dir()), F_OK) == 0,
	   "v2.key stays");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'secret_key.retire' AND after->'retired' "
			   "= '[1]'",
			   NULL),
	       "==", 1, "the retirement is audited");
	cmp_ok(undecryptable(), "==", 0,
	       "every secret still opens without v1");
	if (have_fx)
		is(conn_test(token, target), "reachable",
		   "the worker still authenticates after v1 is retired");
	else
		skip(1, "the sshd fixture needs root");
	seal_cleanup();
	tc_done();
	return done_testing();
}
