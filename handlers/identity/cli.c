/* The command line of oc-identity besides serving: create-admin. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "cli.h"
#include "db.h"
#include "log.h"
#include "password.h"
#include "sql.h"
#include "user.h"

#define CLI_LINE_MAX 4096

static int cli_read_password(FILE *in, char *buf, size_t cap);
static int cli_run(struct db *db, const char *name, const char *pw);

/* The first line of in, without its line end. 0 or -1. */
static int
cli_read_password(FILE *in, char *buf, size_t cap)
{
	size_t n;

	if (fgets(buf, (int)cap, in) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == cap - 1)
		return -1; /* longer than the buffer */
	buf[n] = '\0';
	return 0;
}

/* The transaction: lock, check for an admin, check the password policy,
 * hash, insert, audit. */
static int
cli_run(struct db *db, const char *name, const char *pw)
{
	const char *msgs[PASSWORD_POLICY_MAX], *state = NULL;
	char hash[PASSWORD_HASH_MAX];
	json_object *after;
	PGresult *res, *a;
	int rc = CLI_ERROR, n, i;

	if (db_command(db, "BEGIN") < 0) {
		fprintf(stderr, "create-admin: the database is not "
				"reachable\n");
		return CLI_ERROR;
	}
	res = db_exec(db, &sql_admin_lock, NULL, &state);
	if (res == NULL)
		goto fail;
	PQclear(res);
	res = db_exec(db, &sql_admin_exists, NULL, &state);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) > 0) {
		PQclear(res);
		db_command(db, "ROLLBACK");
		fprintf(stderr, "create-admin: an admin exists already; "
				"nothing done\n");
		return CLI_ADMIN_EXISTS;
	}
	PQclear(res);
	n = password_policy(pw, name, msgs);
	for (i = 0; i < n; i++)
		fprintf(stderr, "create-admin: password: %s\n", msgs[i]);
	if (n > 0) {
		db_command(db, "ROLLBACK");
		return CLI_POLICY;
	}
	if (password_hash(pw, hash) < 0) {
		fprintf(stderr, "create-admin: argon2id hashing failed\n");
		goto fail;
	}
	res = db_exec(db, &sql_user_insert,
		      DB_PARAMS(name, hash, "admin", NULL, NULL, NULL), &state);
	if (res == NULL) {
		if (state != NULL && strcmp(state, "23505") == 0) {
			fprintf(stderr,
				"create-admin: a user called %s exists "
				"already and is not an admin\n",
				name);
			rc = CLI_POLICY;
		}
		goto fail;
	}
	after = json_object_new_object();
	json_object_object_add(after, "username", json_object_new_string(name));
	json_object_object_add(after, "role", json_object_new_string("admin"));
	a = db_exec(db, &sql_audit_system,
		    DB_PARAMS("user.create", PQgetvalue(res, 0, 0),
			      json_object_to_json_string_ext(
				  after, JSON_C_TO_STRING_PLAIN)),
		    &state);
	json_object_put(after);
	PQclear(res);
	if (a == NULL)
		goto fail;
	PQclear(a);
	if (db_command(db, "COMMIT") < 0)
		goto fail;
	return CLI_CREATED;
fail:
	db_command(db, "ROLLBACK");
	if (rc == CLI_ERROR)
		fprintf(stderr,
			"create-admin: the database refused (%s); "
			"see the log above\n",
			state != NULL ? state : "?");
	return rc;
}

int
cli_create_admin(const char *username, FILE *in)
{
	char pw[CLI_LINE_MAX], name[72];
	struct db *db;
	size_t i;
	int rc;

	log_init("identity");
	if (cfg_load("identity") < 0)
		return CLI_ERROR;
	if (strlen(username) >= sizeof(name)) {
		fprintf(stderr, "create-admin: the username is too long\n");
		return CLI_POLICY;
	}
	for (i = 0; username[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)username[i]);
	name[i] = '\0';
	if (!user_name_valid(name)) {
		fprintf(stderr, "create-admin: username: must be 2 to 64 "
				"characters of a-z, 0-9, '.', '_' or '-', "
				"starting with a letter or digit\n");
		return CLI_POLICY;
	}
	if (cli_read_password(in, pw, sizeof(pw)) < 0) {
		fprintf(stderr, "create-admin: give the password on the "
				"first line of standard input\n");
		return CLI_POLICY;
	}
	db = db_new("oc_identity");
	rc = cli_run(db, name, pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	db_free(db);
	if (rc == CLI_CREATED)
		printf("created\n");
	return rc;
}
