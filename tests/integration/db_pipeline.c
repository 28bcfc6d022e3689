/* The database layer's pipelines against the stack's PostgreSQL
 * (fcgi/db.c): db_exec_begin leaves its transaction open with every
 * result, rolls everything back when a statement fails and leaves the
 * connection usable, refuses to start inside a transaction; db_exec_all
 * commits at its Sync; the worker's sessions use generic plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "db.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static const struct db_stmt st_one = {"t_one", "SELECT 1", 0};
static const struct db_stmt st_insert = {
    "t_insert", "INSERT INTO pipe_t (x) VALUES ($1::int) RETURNING x", 1};
static const struct db_stmt st_fail = {"t_fail", "SELECT 1 / $1::int", 1};
static const struct db_stmt st_count = {
    "t_count", "SELECT count(*) FROM pipe_t", 0};
static const struct db_stmt st_plan = {"t_plan", "SHOW plan_cache_mode", 0};

static const char *value(struct db *db, const struct db_stmt *st);

/* The first field of st's answer, or "(failed)". */
static const char *
value(struct db *db, const struct db_stmt *st)
{
	static char v[64];
	PGresult *res = db_exec(db, st, NULL, NULL);

	snprintf(v, sizeof(v), "%s",
		 res != NULL && PQntuples(res) > 0 ? PQgetvalue(res, 0, 0)
						   : "(failed)");
	PQclear(res);
	return v;
}

int
main(void)
{
	const struct db_stmt *const two[] = {&st_insert, &st_insert};
	const struct db_stmt *const bad[] = {&st_insert, &st_fail};
	const struct db_stmt *const one[] = {&st_one};
	const char *const *const p12[] = {DB_PARAMS("1"), DB_PARAMS("2")};
	const char *const *const p30[] = {DB_PARAMS("3"), DB_PARAMS("0")};
	const char *const *const none[] = {NULL};
	char dir[4096], url[4096];
	const char *code;
	PGresult *res[2];
	struct db *db;
	int rc;

	tc_init(119);
	snprintf(dir, sizeof(dir), "%s/keys/db", tc_env("OC_TEST_VAR"));
	/* The test's conninfo without its own user and password: db.c adds
	 * the role's, read from the keys directory. */
	snprintf(url, sizeof(url), "%s", tc_env("OC_TEST_DB"));
	if (strstr(url, " user=") != NULL)
		*strstr(url, " user=") = '\0';
	cfg.database_url = url;
	cfg.db_password_dir = dir;
	cfg.component = "test";
	db = db_new("opsconductor");
	if (db_ensure(db) < 0)
		BAIL_OUT("cannot connect as opsconductor");
	ok(db_command(db, "CREATE TEMP TABLE pipe_t (x int)") == 0,
	   "a session table");

	rc = db_exec_begin(db, 2, two, p12, res, NULL);
	ok(rc == 0, "db_exec_begin runs BEGIN and two statements");
	is(rc == 0 ? PQgetvalue(res[0], 0, 0) : "", "1", "the first's answer");
	is(rc == 0 ? PQgetvalue(res[1], 0, 0) : "", "2", "the second's");
	if (rc == 0) {
		PQclear(res[0]);
		PQclear(res[1]);
	}
	ok(PQtransactionStatus(db_conn(db)) == PQTRANS_INTRANS,
	   "the transaction is left open");
	code = NULL;
	ok(db_exec_begin(db, 1, one, none, res, &code) < 0 && code != NULL &&
	       strcmp(code, "25000") == 0,
	   "inside a transaction it refuses (25000)");
	ok(db_command(db, "ROLLBACK") == 0, "the caller ends it");
	is(value(db, &st_count), "0", "rolled back: nothing stays");

	code = NULL;
	rc = db_exec_begin(db, 2, bad, p30, res, &code);
	ok(rc < 0, "a failing statement fails the pipeline");
	is(code != NULL ? code : "(none)", "22012", "with its SQLSTATE");
	ok(res[0] == NULL && res[1] == NULL, "and no result is returned");
	ok(PQtransactionStatus(db_conn(db)) == PQTRANS_IDLE,
	   "the transaction is rolled back, the session idle");
	is(value(db, &st_count), "0", "the first statement's row is gone");

	rc = db_exec_all(db, 2, two, p12, res, NULL);
	ok(rc == 0 && PQtransactionStatus(db_conn(db)) == PQTRANS_IDLE,
	   "db_exec_all commits at its Sync");
	if (rc == 0) {
		PQclear(res[0]);
		PQclear(res[1]);
	}
	is(value(db, &st_count), "2", "its rows stay");
	is(value(db, &st_plan), "auto", "other sessions plan as usual");
	db_free(db);

	cfg.component = "worker";
	db = db_new("opsconductor");
	is(value(db, &st_plan), "force_generic_plan",
	   "the worker's sessions use generic plans");
	db_free(db);

	tc_done();
	return done_testing();
}
