/* The target.test executor: a connection test over SSH or WinRM, with the
 * outcome stored on the target (reachability, latency, OS, host key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "db.h"
#include "enc.h"
#include "exec.h"
#include "log.h"
#include "seal.h"
#include "ssh.h"
#include "task.h"
#include "winrm.h"

#define EXEC_TEST_TIMEOUT_MS 15000

/* What a test found, before it is written to the target. */
struct exec_test_out {
	const char *reachability; /* the CHECK values of targets */
	int reachable, authenticated;
	double latency_ms;
	char fingerprint[64], key_type[32];
	char pending[64], pending_type[32];
	char os[300], product[520], error[400];
};

static const struct db_stmt exec_test_load = {
	"exec_test_load",
	"SELECT t.host, t.port, t.protocol, t.winrm_https, t.winrm_auth, "
	"t.winrm_verify_tls, coalesce(t.ssh_user, c.username), "
	"t.ssh_host_key, c.id, c.type, c.username, c.domain, "
	"encode(c.secret, 'hex') FROM assets.targets t LEFT JOIN "
	"assets.credentials c ON c.id = t.credential_id WHERE t.id = $1::uuid",
	1};
static const struct db_stmt exec_test_store = {
	"exec_test_store",
	"UPDATE assets.targets SET reachability = $2, last_test = $3::jsonb, "
	"last_test_at = now(), detected_os = coalesce(nullif($4, ''), "
	"detected_os), ssh_host_key = coalesce(ssh_host_key, nullif($5, '')), "
	"ssh_host_key_type = CASE WHEN ssh_host_key IS NULL THEN nullif($6, "
	"'') ELSE ssh_host_key_type END, ssh_host_key_pending = nullif($7, ''), "
	"ssh_host_key_pending_type = nullif($8, '') WHERE id = $1::uuid",
	8};

static json_object *exec_test_secret(PGresult *res, char *err, size_t n);
static void exec_test_ssh(PGresult *res, json_object *secret,
			  struct task *t, struct exec_test_out *o);
static void exec_test_winrm(PGresult *res, json_object *secret,
			    struct exec_test_out *o);
static const char *exec_test_field(json_object *o, const char *key);

static const char *
exec_test_field(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Opens the credential's sealed secret (a small JSON object). */
static json_object *
exec_test_secret(PGresult *res, char *err, size_t n)
{
	const char *id = db_value(res, 0, 8), *hex = db_value(res, 0, 12);
	unsigned char *blob, *plain;
	char aad[64];
	const char *why;
	size_t len, i;
	long got;
	json_object *o;

	if (id == NULL || hex == NULL) {
		snprintf(err, n, "the target has no credential");
		return NULL;
	}
	len = strlen(hex) / 2;
	blob = malloc(len + 1);
	plain = malloc(len + 1);
	if (blob == NULL || plain == NULL)
		abort();
	for (i = 0; i < len; i++)
		sscanf(hex + 2 * i, "%2hhx", &blob[i]);
	snprintf(aad, sizeof(aad), "credential:%s", id);
	got = seal_decrypt(plain, len, aad, strlen(aad), blob, len, &why);
	free(blob);
	if (got < 0) {
		snprintf(err, n, "the credential cannot be decrypted: %s", why);
		free(plain);
		return NULL;
	}
	plain[got] = '\0';
	o = json_tokener_parse((const char *)plain);
	OPENSSL_cleanse(plain, (size_t)got);
	free(plain);
	if (o == NULL)
		snprintf(err, n, "the credential's secret is not readable");
	return o;
}

static void
exec_test_ssh(PGresult *res, json_object *secret, struct task *t,
	      struct exec_test_out *o)
{
	struct ssh_target st;
	struct ssh_info info;
	struct ssh_conn *conn = NULL;
	struct ssh_err err;
	struct ssh_os os;
	enum ssh_status s;

	memset(&st, 0, sizeof(st));
	memset(&info, 0, sizeof(info));
	st.host = db_value(res, 0, 0);
	st.port = atoi(db_value(res, 0, 1));
	st.user = db_value(res, 0, 6);
	st.password = exec_test_field(secret, "password");
	st.key = exec_test_field(secret, "private_key");
	st.passphrase = exec_test_field(secret, "passphrase");
	st.known_fingerprint = db_value(res, 0, 7);
	st.timeout_ms = EXEC_TEST_TIMEOUT_MS;
	st.cancel = &t->cancel;
	s = ssh_connect(&st, &info, &conn, &err);
	o->reachable = info.reachable;
	o->authenticated = info.authenticated;
	o->latency_ms = info.latency_ms;
	snprintf(o->product, sizeof(o->product), "%s", info.banner);
	if (s == SSH_ERR_HOST_KEY_CHANGED) {
		o->reachability = "host_key_changed";
		snprintf(o->pending, sizeof(o->pending), "%s", info.fingerprint);
		snprintf(o->pending_type, sizeof(o->pending_type), "%s",
			 info.key_type);
	} else {
		snprintf(o->fingerprint, sizeof(o->fingerprint), "%s",
			 info.fingerprint);
		snprintf(o->key_type, sizeof(o->key_type), "%s",
			 info.key_type);
	}
	if (s != SSH_OK) {
		snprintf(o->error, sizeof(o->error), "%s", err.msg);
		if (s == SSH_ERR_AUTH || s == SSH_ERR_KEY)
			o->reachability = "auth_failed";
		else if (s == SSH_ERR_REFUSED || s == SSH_ERR_UNREACHABLE ||
			 s == SSH_ERR_TIMEOUT || s == SSH_ERR_RESOLVE ||
			 s == SSH_ERR_NETWORK)
			o->reachability = "unreachable";
		else if (s != SSH_ERR_HOST_KEY_CHANGED)
			o->reachability = "error";
		return;
	}
	o->reachability = "reachable";
	if (ssh_detect_os(conn, 5000, &t->cancel, &os, &err) == SSH_OK)
		snprintf(o->os, sizeof(o->os), "%s",
			 os.pretty_name[0] ? os.pretty_name : os.kernel);
	ssh_close(conn);
}

static void
exec_test_winrm(PGresult *res, json_object *secret, struct exec_test_out *o)
{
	struct winrm_target wt;
	struct winrm_identity id;
	char err[400];
	int rc;

	memset(&wt, 0, sizeof(wt));
	wt.host = db_value(res, 0, 0);
	wt.port = atoi(db_value(res, 0, 1));
	wt.https = db_value(res, 0, 3)[0] == 't';
	wt.auth = strcmp(db_value(res, 0, 4), "basic") == 0 ? WINRM_AUTH_BASIC
							     : WINRM_AUTH_NTLM;
	wt.verify_tls = db_value(res, 0, 5)[0] == 't';
	wt.user = db_value(res, 0, 10);
	wt.domain = db_value(res, 0, 11);
	wt.password = exec_test_field(secret, "password");
	wt.timeout_ms = EXEC_TEST_TIMEOUT_MS;
	rc = winrm_identify(&wt, &id, err, sizeof(err));
	if (rc != WINRM_OK) {
		snprintf(o->error, sizeof(o->error), "%s", err);
		o->reachability = rc == WINRM_ERR_UNREACHABLE ||
					  rc == WINRM_ERR_TIMEOUT
				  ? "unreachable"
				  : "error";
		return;
	}
	o->reachable = 1;
	o->latency_ms = (double)id.latency_ms;
	rc = winrm_check_auth(&wt, &id, err, sizeof(err));
	snprintf(o->product, sizeof(o->product), "%s %s", id.product_vendor,
		 id.product_version);
	if (rc != WINRM_OK) {
		snprintf(o->error, sizeof(o->error), "%s", err);
		o->reachability = rc == WINRM_ERR_AUTH ? "auth_failed" : "error";
		return;
	}
	o->authenticated = 1;
	o->reachability = "reachable";
	snprintf(o->os, sizeof(o->os), "Windows (%s)", id.product_version);
}

void
exec_target_test(struct db *db, struct task *t)
{
	struct exec_test_out o;
	json_object *idj, *secret = NULL, *lt;
	const char *target;
	PGresult *res, *st;

	memset(&o, 0, sizeof(o));
	if (!json_object_object_get_ex(t->payload, "target_id", &idj)) {
		snprintf(t->error, sizeof(t->error), "task without target_id");
		return;
	}
	target = json_object_get_string(idj);
	res = db_exec(db, &exec_test_load, DB_PARAMS(target), NULL);
	if (res == NULL) {
		snprintf(t->error, sizeof(t->error),
			 "cannot read target %s: the database is unavailable",
			 target);
		return;
	}
	if (PQntuples(res) != 1) {
		snprintf(t->error, sizeof(t->error),
			 "target %s no longer exists", target);
		PQclear(res);
		return;
	}
	secret = exec_test_secret(res, o.error, sizeof(o.error));
	if (secret == NULL)
		o.reachability = "error";
	else if (strcmp(db_value(res, 0, 2), "ssh") == 0)
		exec_test_ssh(res, secret, t, &o);
	else
		exec_test_winrm(res, secret, &o);
	json_object_put(secret);

	lt = json_object_new_object();
	json_object_object_add(lt, "protocol",
			       json_object_new_string(db_value(res, 0, 2)));
	json_object_object_add(lt, "reachable",
			       json_object_new_boolean(o.reachable));
	json_object_object_add(lt, "authenticated",
			       json_object_new_boolean(o.authenticated));
	json_object_object_add(lt, "latency_ms",
			       json_object_new_double(o.latency_ms));
	if (o.os[0] != '\0')
		json_object_object_add(lt, "detected_os",
				       json_object_new_string(o.os));
	if (o.product[0] != '\0')
		json_object_object_add(lt, "server",
				       json_object_new_string(o.product));
	if (o.fingerprint[0] != '\0' || o.pending[0] != '\0')
		json_object_object_add(
			lt, "host_key_fingerprint",
			json_object_new_string(o.pending[0] ? o.pending
							    : o.fingerprint));
	json_object_object_add(lt, "task_id", json_object_new_string(t->id));
	if (o.error[0] != '\0')
		json_object_object_add(lt, "error",
				       json_object_new_string(o.error));
	st = db_exec(db, &exec_test_store,
		     DB_PARAMS(target, o.reachability,
			       json_object_to_json_string_ext(
				       lt, JSON_C_TO_STRING_PLAIN),
			       o.os, o.fingerprint, o.key_type, o.pending,
			       o.pending_type),
		     NULL);
	PQclear(res);
	if (st == NULL) {
		snprintf(t->error, sizeof(t->error),
			 "the test result could not be stored");
		json_object_put(lt);
		return;
	}
	PQclear(st);
	t->result = lt;
	t->outcome = TASK_SUCCEEDED;
}
