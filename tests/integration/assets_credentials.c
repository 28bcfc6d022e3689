/* Credentials through nginx: every type, secrets sealed for the worker and
 * never returned (every answer, the pool's log and the audit rows are
 * searched for them), ssh_key fingerprints equal to ssh-keygen's,
 * passphrase checks, viewers' reduced shape, updates that keep or replace
 * the secret, and deleting one in use (409, or detach with force). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/seal.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"
#define KEYPASS "tr0ub4dor&3-passphrase"
#define MAX_SECRETS 32

static const char *secrets[MAX_SECRETS];
static int nsecrets, leaks;
static char dir[64];

static struct tc_res *call(const char *method, const char *path,
			   const char *token, const char *body);
static void secret(const char *s);
static char *slurp(const char *path);
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *keygen_fp(const char *file);
static const char *opened(const char *id);
static int only_keys(json_object *o, const char *const *keys);

/* A request whose answer is searched for every secret stored so far. */
static struct tc_res *
call(const char *method, const char *path, const char *token, const char *body)
{
	struct tc_res *r = tc_req(method, path, token, body);
	int i;

	for (i = 0; i < nsecrets; i++)
		if (strstr(r->body, secrets[i]) != NULL) {
			diag("secret %d in the answer to %s %s", i, method,
			     path);
			leaks++;
		}
	return r;
}

static void
secret(const char *s)
{
	if (nsecrets < MAX_SECRETS)
		secrets[nsecrets++] = tc_strdup(s);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		fclose(f);
		return NULL;
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

/* Runs a command in the temp dir; its first line (until tc_done), or
 * NULL when it fails. */
static char *
sh(const char *fmt, ...)
{
	char cmd[2048], line[1024];
	va_list ap;
	FILE *p;
	char *out = NULL;

	snprintf(cmd, sizeof(cmd), "cd %s && ", dir);
	va_start(ap, fmt);
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (p == NULL)
		return NULL;
	if (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		out = tc_strdup(line);
	}
	while (fgets(line, sizeof(line), p) != NULL)
		;
	return pclose(p) == 0 ? (out != NULL ? out : tc_strdup("")) : NULL;
}

static const char *
keygen_fp(const char *file)
{
	char *line = sh("ssh-keygen -E sha256 -lf %s.pub", file), *sp;

	if (line == NULL || (line = strchr(line, ' ')) == NULL)
		return NULL;
	line++;
	sp = strchr(line, ' ');
	if (sp != NULL)
		*sp = '\0';
	return line;
}

/* The stored secret of credential id, opened with the worker's private
 * key (the test plays the worker), or NULL. */
static const char *
opened(const char *id)
{
	const char *hex = tc_db_value("SELECT encode(secret, 'hex') FROM "
				      "assets.credentials WHERE id = $1",
				      id, NULL);
	const char *aad = tc_printf("credential:%s", id), *why;
	unsigned char blob[20000], out[20000];
	size_t i, n;
	long got;

	if (hex == NULL || strlen(hex) / 2 > sizeof(blob))
		return NULL;
	n = strlen(hex) / 2;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return NULL;
		blob[i] = (unsigned char)b;
	}
	got =
	    seal_decrypt(out, sizeof(out) - 1, aad, strlen(aad), blob, n, &why);
	if (got < 0) {
		diag("seal_decrypt: %s", why);
		return NULL;
	}
	out[got] = '\0';
	return tc_strdup((const char *)out);
}

/* 1 when o has exactly these members. */
static int
only_keys(json_object *o, const char *const *keys)
{
	int n = 0, i;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return 0;
	for (i = 0; keys[i] != NULL; i++)
		if (!json_object_object_get_ex(o, keys[i], NULL))
			return 0;
	json_object_object_foreach(o, k, v)
	{
		(void)k;
		(void)v;
		n++;
	}
	return n == i;
}

int
main(void)
{
	static const char *const viewer_keys[] = {"id", "name", "type", NULL};
	const char *tok, *admin, *id, *pw, *fp, *hex, *tid, *name;
	const char *tag;
	struct tc_user *op, *v;
	struct tc_res *r;
	char *log, *text, *pem, *ed;
	int i;

	tc_init(32);
	tag = tc_name("cr");
	snprintf(dir, sizeof(dir), "/tmp/oc-cred.XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp");
	op = tc_new_user("credop", "operator");
	v = tc_new_user("credv", "viewer");
	if (op == NULL || v == NULL || op->token == NULL || v->token == NULL)
		BAIL_OUT("cannot create users");
	tok = op->token;
	admin = tc_admin_token();
	if (seal_load_private(
		tc_printf("%s/keys/secrets", tc_env("OC_TEST_VAR"))) < 0)
		BAIL_OUT("cannot read the worker's private keys in "
			 "$OC_TEST_VAR/keys/secrets");

	/* ssh_password */
	pw = tc_printf("Pw-%s-s3cret!", tag);
	secret(pw);
	r = call(
	    "POST", "/api/v1/credentials", tok,
	    tc_printf("{\"name\":%s,\"type\":\"ssh_password\",\"username\":"
		      "\"deploy\",\"password\":%s,\"description\":\"d\"}",
		      tc_quote(tc_printf("%s-pw", tag)), tc_quote(pw)));
	tc_status_is(r, 201, "create an ssh_password credential");
	id = tc_str(r, "id");
	is(tc_str(r, "username"), "deploy", "username shown");
	is(tc_str(r, "key_version"), "1", "sealed under key version 1");
	ok(tc_json(r->json, "password") == NULL &&
	       tc_json(r->json, "secret") == NULL,
	   "no secret member in the answer");
	is(tc_db_value("SELECT convert_from(substring(secret from 1 for 4), "
		       "'SQL_ASCII') FROM assets.credentials WHERE id = $1",
		       id, NULL),
	   "OCS1", "the stored secret is a sealed blob");
	is(opened(id), tc_printf("{\"password\":%s}", tc_quote(pw)),
	   "the worker's key opens it, bound to credential:<id>");
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.credentials WHERE "
			   "position(convert_to($1, 'UTF8') in secret) > 0",
			   pw, NULL),
	       "==", 0, "the password is not stored in clear");

	/* winrm, api_token, smtp */
	secret(tc_printf("WinPw-%s", tag));
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"winrm\",\"username\":"
			   "\"Administrator\",\"domain\":\"CORP\",\"password\":"
			   "\"WinPw-%s\"}",
			   tc_quote(tc_printf("%s-win", tag)), tag));
	tc_status_is(r, 201, "create a winrm credential");
	is(tc_str(r, "domain"), "CORP", "domain shown");
	secret(tc_printf("tok-%s-abcdef", tag));
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"api_token\",\"token\":"
			   "\"tok-%s-abcdef\"}",
			   tc_quote(tc_printf("%s-tok", tag)), tag));
	tc_status_is(r, 201, "create an api_token credential");
	is(opened(tc_str(r, "id")),
	   tc_printf("{\"token\":\"tok-%s-abcdef\"}", tag),
	   "... its token sealed");
	secret(tc_printf("smtp-%s-pw", tag));
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"smtp\",\"username\":"
			   "\"mailer\",\"password\":\"smtp-%s-pw\"}",
			   tc_quote(tc_printf("%s-smtp", tag)), tag));
	tc_status_is(r, 201, "create an smtp credential");

	/* ssh_key: OpenSSH and encrypted PEM, fingerprints as ssh-keygen. */
	if (sh("ssh-keygen -q -t ed25519 -N '' -C t -f ed") == NULL ||
	    sh("ssh-keygen -q -t rsa -b 2048 -m PEM -N '%s' -C t -f rsa",
	       KEYPASS) == NULL)
		BAIL_OUT("ssh-keygen failed");
	ed = slurp(tc_printf("%s/ed", dir));
	pem = slurp(tc_printf("%s/rsa", dir));
	if (ed == NULL || pem == NULL)
		BAIL_OUT("cannot read the generated keys");
	text = strchr(ed, '\n') + 1;
	secret(tc_printf("%.40s", text));
	secret(tc_printf("%.40s", strstr(pem, "\n\n") + 2));
	secret(KEYPASS);
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"ssh_key\",\"username\":"
			   "\"root\",\"private_key\":%s}",
			   tc_quote(tc_printf("%s-ed", tag)), tc_quote(ed)));
	tc_status_is(r, 201, "create an ssh_key credential (OpenSSH)");
	fp = keygen_fp("ed");
	is(tc_str(r, "key_fingerprint"), fp,
	   "fingerprint equals ssh-keygen -lf");
	is(tc_str(r, "key_type"), "ssh-ed25519", "key type");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"ssh_key\",\"username\":"
			   "\"root\",\"private_key\":%s,\"passphrase\":%s}",
			   tc_quote(tc_printf("%s-rsa", tag)), tc_quote(pem),
			   tc_quote(KEYPASS)));
	tc_status_is(r, 201, "an encrypted PEM RSA key with its passphrase");
	is(tc_str(r, "key_fingerprint"), keygen_fp("rsa"),
	   "... fingerprint equals ssh-keygen -lf");
	is(tc_str(r, "key_type"), "ssh-rsa", "... key type");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"ssh_key\",\"username\":"
			   "\"root\",\"private_key\":%s,\"passphrase\":"
			   "\"wrong\"}",
			   tc_quote(tc_name("k")), tc_quote(pem)));
	if (tc_problem_is(r, 422, "validation", "wrong passphrase"))
		ok(tc_has_field_error(r, "passphrase"), "... on passphrase");
	else
		fail("... on passphrase");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"ssh_key\",\"username\":"
			   "\"root\",\"private_key\":%s}",
			   tc_quote(tc_name("k")), tc_quote(pem)));
	if (tc_problem_is(r, 422, "validation", "missing passphrase"))
		ok(tc_has_field_error(r, "passphrase"), "... on passphrase");
	else
		fail("... on passphrase");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"ssh_key\",\"username\":"
			   "\"root\",\"private_key\":\"not a key\"}",
			   tc_quote(tc_name("k"))));
	if (tc_problem_is(r, 422, "validation", "unparsable key"))
		ok(tc_has_field_error(r, "private_key"), "... on private_key");
	else
		fail("... on private_key");
	text = slurp(tc_printf("%s/ed.pub", dir));
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"ssh_key\",\"username\":"
			   "\"root\",\"private_key\":%s}",
			   tc_quote(tc_name("k")), tc_quote(text ? text : "")));
	tc_problem_is(r, 422, "validation", "a public key is refused");
	free(text);

	/* Fields that do not belong to a type. */
	r = call(
	    "POST", "/api/v1/credentials", tok,
	    tc_printf("{\"name\":%s,\"type\":\"ssh_password\",\"username\":"
		      "\"u\",\"password\":\"p\",\"private_key\":\"k\","
		      "\"domain\":\"D\"}",
		      tc_quote(tc_name("k"))));
	ok(r->status == 422 && tc_has_field_error(r, "private_key") &&
	       tc_has_field_error(r, "domain"),
	   "private_key and domain refused on ssh_password");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"winrm\"}",
			   tc_quote(tc_name("k"))));
	ok(r->status == 422 && tc_has_field_error(r, "username") &&
	       tc_has_field_error(r, "password"),
	   "winrm needs username and password");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"kerberos\",\"password\":"
			   "\"x\"}",
			   tc_quote(tc_name("k"))));
	ok(r->status == 422 && tc_has_field_error(r, "type"), "unknown type");
	r = call("POST", "/api/v1/credentials", tok,
		 tc_printf("{\"name\":%s,\"type\":\"smtp\",\"username\":\"u\","
			   "\"password\":\"x\"}",
			   tc_quote(tc_printf("%s-pw", tag))));
	tc_problem_is(r, 409, "conflict", "duplicate name");

	/* Viewers see id, name and type only. */
	r = call("GET", tc_printf("/api/v1/credentials/%s", id), v->token,
		 NULL);
	tc_status_is(r, 200, "a viewer reads a credential");
	ok(only_keys(r->json, viewer_keys), "... only id, name and type");
	r = call("GET", tc_printf("/api/v1/credentials?q=%s", tag), v->token,
		 NULL);
	ok(r->status == 200 && tc_int(r, "total", 0) >= 6 &&
	       only_keys(
		   json_object_array_get_idx(tc_json(r->json, "items"), 0),
		   viewer_keys),
	   "a viewer lists them in the reduced shape");
	r = call("GET", "/api/v1/credentials?q=mailer", v->token, NULL);
	is(tc_str(r, "total"), "0", "a viewer cannot search usernames");
	r = call("GET", tc_printf("/api/v1/credentials?q=%s&type=smtp", tag),
		 tok, NULL);
	ok(tc_int(r, "total", 0) == 1 &&
	       strcmp(tc_str(r, "items.0.username"), "mailer") == 0,
	   "an operator sees metadata; type filter");

	/* Updates keep or replace the whole secret. */
	hex = tc_db_value("SELECT encode(secret, 'hex') FROM "
			  "assets.credentials WHERE id = $1",
			  id, NULL);
	r = call("PATCH", tc_printf("/api/v1/credentials/%s", id), tok,
		 "{\"description\":\"rotated soon\",\"username\":\"ops\"}");
	tc_status_is(r, 200, "PATCH metadata");
	is(tc_db_value("SELECT encode(secret, 'hex') FROM assets.credentials "
		       "WHERE id = $1",
		       id, NULL),
	   hex, "... the secret is untouched");
	pw = tc_printf("New-%s-pw!", tag);
	secret(pw);
	r = tc_req_opt("PATCH", tc_printf("/api/v1/credentials/%s", id), tok,
		       tc_printf("{\"password\":%s}", tc_quote(pw)),
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"2\"", NULL}});
	tc_status_is(r, 200, "PATCH the password with If-Match");
	ok(strstr(r->body, pw) == NULL, "... not echoed");
	is(opened(id), tc_printf("{\"password\":%s}", tc_quote(pw)),
	   "... the new password is sealed");
	r = tc_req_opt("PATCH", tc_printf("/api/v1/credentials/%s", id), tok,
		       "{\"description\":\"x\"}",
		       &(struct tc_opt){.headers = (const char *const[]){
					    "If-Match: \"2\"", NULL}});
	tc_problem_is(r, 412, "precondition-failed", "stale If-Match");
	r = call("PATCH", tc_printf("/api/v1/credentials/%s", id), tok,
		 "{\"type\":\"winrm\"}");
	ok(r->status == 422 && tc_has_field_error(r, "type"),
	   "the type cannot change");
	r = call("PATCH", tc_printf("/api/v1/credentials/%s", id), tok,
		 "{\"username\":null}");
	ok(r->status == 422 && tc_has_field_error(r, "username"),
	   "an ssh_password keeps a username");
	r = call("GET", tc_printf("/api/v1/credentials?q=%s-rsa", tag), tok,
		 NULL);
	r = call("PATCH",
		 tc_printf("/api/v1/credentials/%s", tc_str(r, "items.0.id")),
		 tok, "{\"passphrase\":\"another\"}");
	ok(r->status == 422 && tc_has_field_error(r, "private_key"),
	   "a passphrase alone cannot change (the key is write-only)");

	/* In use: 409 naming the targets; force is for admins. */
	name = tc_name("credtgt");
	r = call("POST", "/api/v1/targets", tok,
		 tc_printf("{\"name\":%s,\"host\":\"c.example\",\"os\":"
			   "\"linux\",\"credential_id\":\"%s\"}",
			   tc_quote(name), id));
	tc_status_is(r, 201, "a target uses the credential");
	tid = tc_str(r, "id");
	r = call("DELETE", tc_printf("/api/v1/credentials/%s", id), tok, NULL);
	tc_problem_is(r, 409, "conflict", "deleting it in use: 409");
	is(tc_str(r, "in_use_by.0.id"), tid, "... in_use_by names the target");
	is(tc_str(r, "in_use_by.0.name"), name, "... with its name");
	tc_problem_is(call("DELETE",
			   tc_printf("/api/v1/credentials/%s?force=true", id),
			   tok, NULL),
		      403, "forbidden", "force is for admins");
	tc_status_is(call("DELETE",
			  tc_printf("/api/v1/credentials/%s?force=true", id),
			  admin, NULL),
		     204, "an admin deletes it with force=true");
	r = call("GET", tc_printf("/api/v1/targets/%s", tid), tok, NULL);
	ok(r->status == 200 && tc_json(r->json, "credential_id") == NULL,
	   "... the target no longer refers to it");
	tc_problem_is(
	    call("GET", tc_printf("/api/v1/credentials/%s", id), tok, NULL),
	    404, "not-found", "... gone");
	r = call("GET", tc_printf("/api/v1/credentials?q=%s-win", tag), tok,
		 NULL);
	tc_status_is(
	    call("DELETE",
		 tc_printf("/api/v1/credentials/%s", tc_str(r, "items.0.id")),
		 tok, NULL),
	    204, "an unused credential is deleted");
	tc_problem_is(call("GET", "/api/v1/credentials/" NOID, tok, NULL), 404,
		      "not-found", "unknown id");

	/* No secret anywhere. */
	cmp_ok(leaks, "==", 0, "no answer contained a secret");
	log = slurp(tc_printf("%s/log/assets.log", tc_env("OC_TEST_VAR")));
	for (i = 0, leaks = 0; log != NULL && i < nsecrets; i++)
		if (strstr(log, secrets[i]) != NULL)
			leaks++;
	ok(log != NULL && leaks == 0, "the pool's log holds no secret");
	free(log);
	for (i = 0, leaks = 0; i < nsecrets; i++)
		leaks += (int)tc_db_count(
		    "SELECT count(*) FROM core.audit_events WHERE "
		    "strpos(coalesce(before::text, '') || "
		    "coalesce(after::text, ''), $1) > 0",
		    secrets[i], NULL);
	cmp_ok(leaks, "==", 0, "no audit row holds a secret");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "entity_type = 'credential' AND entity_id = $1 AND "
			   "action IN ('credential.create', "
			   "'credential.update', 'credential.delete')",
			   id, NULL),
	       "==", 4, "create, two updates and delete are audited");
	is(tc_db_value("SELECT after->>'secret' FROM core.audit_events WHERE "
		       "entity_id = $1 AND action = 'credential.update' "
		       "ORDER BY id DESC LIMIT 1",
		       id, NULL),
	   "(changed)", "the audit marks a changed secret only");
	free(ed);
	free(pem);
	sh("rm -rf %s", dir);
	seal_cleanup();
	tc_done();
	return done_testing();
}
