/* PostgreSQL access: one connection per process (or thread), reconnecting,
 * prepared statements, parameterized SQL only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cfg.h"
#include "db.h"
#include "log.h"
#include "problem.h"
#include "req.h"

struct db {
	PGconn *conn;
	char *role;
	char *password;
	char appname[64];
	const struct db_stmt **prepared; /* prepared on this connection */
	size_t nprepared, capprepared;
	int down;              /* last attempt found the server unreachable */
	unsigned long gen;     /* connections made so far */
	time_t last_complaint; /* rate-limits "database down" log lines */
};

static int db_connect(struct db *db);
static int db_prepare(struct db *db, const struct db_stmt *st);
static int db_lost(struct db *db);
static void db_result_clear(void *res);
static void db_log_failure(const struct db_stmt *st, const PGresult *res,
			   const char **sqlstate);
static int db_pipeline(struct db *db, int open, int n,
		       const struct db_stmt *const *st,
		       const char *const *const *params, PGresult **res,
		       const char **sqlstate);
static int db_problem(struct req *r, const struct db_stmt *st,
		      const PGresult *res, const char *sqlstate);

struct db *
db_new(const char *role)
{
	struct db *db = calloc(1, sizeof(*db));
	char path[4096];
	size_t len;

	if (db == NULL)
		abort();
	db->role = strdup(role);
	if (db->role == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/%s.password", cfg.db_password_dir,
		 role);
	db->password = cfg_read_file(path, &len);
	if (db->password != NULL)
		db->password[strcspn(db->password, "\r\n")] = '\0';
	snprintf(db->appname, sizeof(db->appname), "opsconductor-%s",
		 cfg.component);
	return db;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	if (db->password != NULL) {
		memset(db->password, 0, strlen(db->password));
		free(db->password);
	}
	free(db->prepared);
	free(db->role);
	free(db);
}

static int
db_connect(struct db *db)
{
	const char *keys[] = {"dbname", "user", "password",
			      "application_name", "connect_timeout", "options",
			      NULL};
	/* The worker's statements find their rows by key, and its many
	 * sessions (one per executor thread) each run a statement only a
	 * few times per run: under the default plan cache mode each of
	 * those first executions would be planned anew (custom plans for
	 * the first five), about a fifth of their CPU in a fan-out. */
	const char *vals[] = {cfg.database_url, db->role, db->password,
			      db->appname, "3",
			      strcmp(cfg.component, "worker") == 0
				  ? "-c statement_timeout=15000 "
				    "-c idle_in_transaction_session_timeout=60000 "
				    "-c plan_cache_mode=force_generic_plan"
				  : "-c statement_timeout=15000 "
				    "-c idle_in_transaction_session_timeout=60000",
			      NULL};
	time_t now = time(NULL);

	if (db->conn != NULL)
		PQfinish(db->conn);
	db->nprepared = 0;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		if (!db->down || now - db->last_complaint >= 10) {
			log_msg(LOG_WARN, NULL, "database unreachable: %s",
				PQerrorMessage(db->conn));
			db->last_complaint = now;
		}
		PQfinish(db->conn);
		db->conn = NULL;
		db->down = 1;
		return -1;
	}
	if (db->down)
		log_msg(LOG_INFO, NULL, "database connection restored");
	db->down = 0;
	db->gen++;
	return 0;
}

int
db_ensure(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	return db_connect(db);
}

int
db_is_down(const struct db *db)
{
	return db->down;
}

PGconn *
db_conn(struct db *db)
{
	return db->conn;
}

unsigned long
db_generation(const struct db *db)
{
	return db->gen;
}

static int
db_prepare(struct db *db, const struct db_stmt *st)
{
	PGresult *res;
	size_t i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return 0;
	res = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_msg(LOG_ERROR, NULL, "prepare %s failed: %s", st->name,
			PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
				? PQresultErrorField(res,
						     PG_DIAG_MESSAGE_PRIMARY)
				: PQerrorMessage(db->conn));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (db->nprepared == db->capprepared) {
		db->capprepared = db->capprepared ? db->capprepared * 2 : 32;
		db->prepared = realloc(db->prepared, db->capprepared *
							     sizeof(*db->prepared));
		if (db->prepared == NULL)
			abort();
	}
	db->prepared[db->nprepared++] = st;
	return 0;
}

/* 1 when the connection broke (and is dropped so the next call
 * reconnects). */
static int
db_lost(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn != NULL) {
		log_msg(LOG_WARN, NULL, "database connection lost");
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->down = 1;
	db->last_complaint = time(NULL);
	return 1;
}

/* Logs a failed statement (never its parameters) and hands back its
 * SQLSTATE in thread-local storage that outlives the result. */
static void
db_log_failure(const struct db_stmt *st, const PGresult *res,
	       const char **sqlstate)
{
	static __thread char keep[8];
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	snprintf(keep, sizeof(keep), "%s", code != NULL ? code : "XX000");
	if (sqlstate != NULL)
		*sqlstate = keep;
	/* Class 22 messages may quote input: log the code only. Class 23
	 * is an expected conflict, reported to the client. */
	log_msg(strncmp(keep, "23", 2) == 0 ? LOG_INFO : LOG_ERROR, NULL,
		"statement %s failed: %s %s", st->name, keep,
		strncmp(keep, "22", 2) == 0 || msg == NULL ? "" : msg);
}

PGresult *
db_exec(struct db *db, const struct db_stmt *st, const char *const *params,
	const char **sqlstate)
{
	PGresult *res;
	ExecStatusType s;
	int attempt, idle;

	for (attempt = 0; attempt < 2; attempt++) {
		if (db_ensure(db) < 0)
			goto lost;
		idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
		if (db_prepare(db, st) < 0) {
			if (db_lost(db) && idle && attempt == 0)
				continue;
			if (db->conn == NULL)
				goto lost;
			if (sqlstate != NULL)
				*sqlstate = "XX000";
			return NULL;
		}
		res = PQexecPrepared(db->conn, st->name, st->nparams, params,
				     NULL, NULL, 0);
		s = PQresultStatus(res);
		if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
			if (sqlstate != NULL)
				*sqlstate = NULL;
			return res;
		}
		if (db_lost(db)) {
			PQclear(res);
			/* Outside a transaction nothing was half done:
			 * reconnect once and try again. */
			if (idle && attempt == 0)
				continue;
			goto lost;
		}
		db_log_failure(st, res, sqlstate);
		PQclear(res);
		return NULL;
	}
lost:
	if (sqlstate != NULL)
		*sqlstate = "08000";
	return NULL;
}

static const struct db_stmt db_begin_stmt = {"BEGIN", "BEGIN", 0};

/* One pipeline on a connection in place: 0 with every result in res, or
 * -1 with the connection dropped when it broke (*sqlstate untouched) or
 * the failing statement's code. With open, a BEGIN goes first and the
 * transaction stays open after a success (rolled back after a failure);
 * without, the statements are the pipeline's implicit transaction,
 * committed by its Sync. */
static int
db_pipeline(struct db *db, int open, int n, const struct db_stmt *const *st,
	    const char *const *const *params, PGresult **res,
	    const char **sqlstate)
{
	PGresult *r, *fail = NULL;
	const struct db_stmt *failed = NULL;
	ExecStatusType s;
	int i, ok;

	memset(res, 0, (size_t)n * sizeof(*res));
	ok = PQenterPipelineMode(db->conn) == 1;
	if (ok && open)
		ok = PQsendQueryParams(db->conn, db_begin_stmt.sql, 0, NULL,
				       NULL, NULL, NULL, 0) == 1;
	for (i = 0; ok && i < n; i++)
		ok = PQsendQueryPrepared(db->conn, st[i]->name,
					 st[i]->nparams, params[i], NULL, NULL,
					 0) == 1;
	ok = ok && PQpipelineSync(db->conn) == 1;
	/* The BEGIN's result, every statement's, then the Sync's. */
	for (i = open ? -1 : 0; ok && i <= n; i++) {
		r = PQgetResult(db->conn);
		if (r == NULL) {
			ok = 0;
			break;
		}
		s = PQresultStatus(r);
		if (i == n) {
			ok = s == PGRES_PIPELINE_SYNC;
			PQclear(r);
			break;
		}
		if (i >= 0 && (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)) {
			res[i] = r;
		} else if (s == PGRES_FATAL_ERROR && fail == NULL) {
			fail = r;
			failed = i >= 0 ? st[i] : &db_begin_stmt;
		} else {
			PQclear(r);
		}
		/* The NULL that ends each statement's results. */
		r = PQgetResult(db->conn);
		if (r != NULL) {
			PQclear(r);
			ok = 0;
		}
	}
	ok = ok && PQexitPipelineMode(db->conn) == 1;
	/* A failed statement leaves an opened transaction aborted. */
	if (ok && open && fail != NULL &&
	    PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		r = PQexec(db->conn, "ROLLBACK");
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	ok = ok && PQtransactionStatus(db->conn) ==
		       (open && fail == NULL ? PQTRANS_INTRANS : PQTRANS_IDLE);
	if (!ok || fail != NULL) {
		for (i = 0; i < n; i++) {
			PQclear(res[i]);
			res[i] = NULL;
		}
	}
	if (!ok) {
		PQclear(fail);
		/* A pipeline left half read cannot be reused. */
		if (db->conn != NULL) {
			log_msg(LOG_WARN, NULL, "database pipeline broken");
			PQfinish(db->conn);
			db->conn = NULL;
		}
		db_lost(db);
		return -1;
	}
	if (fail != NULL) {
		db_log_failure(failed, fail, sqlstate);
		PQclear(fail);
		return -1;
	}
	return 0;
}

/* db_exec_all and db_exec_begin. */
static int
db_exec_pipeline(struct db *db, int open, int n,
		 const struct db_stmt *const *st,
		 const char *const *const *params, PGresult **res,
		 const char **sqlstate)
{
	int i, attempt, prepared;

	memset(res, 0, (size_t)n * sizeof(*res));
	for (attempt = 0; attempt < 2; attempt++) {
		if (db_ensure(db) < 0)
			break;
		if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
			if (sqlstate != NULL)
				*sqlstate = "25000";
			return -1;
		}
		for (i = 0, prepared = 1; i < n && prepared; i++)
			prepared = db_prepare(db, st[i]) == 0;
		if (!prepared) {
			if (db_lost(db) && attempt == 0)
				continue;
			if (db->conn == NULL)
				break;
			if (sqlstate != NULL)
				*sqlstate = "XX000";
			return -1;
		}
		if (sqlstate != NULL)
			*sqlstate = NULL;
		if (db_pipeline(db, open, n, st, params, res, sqlstate) == 0)
			return 0;
		if (db->conn != NULL)
			return -1;
		/* Lost with the statements in flight: whether they were
		 * committed is unknown; the caller decides what to do. */
		break;
	}
	if (sqlstate != NULL)
		*sqlstate = "08000";
	return -1;
}

int
db_exec_all(struct db *db, int n, const struct db_stmt *const *st,
	    const char *const *const *params, PGresult **res,
	    const char **sqlstate)
{
	return db_exec_pipeline(db, 0, n, st, params, res, sqlstate);
}

int
db_exec_begin(struct db *db, int n, const struct db_stmt *const *st,
	      const char *const *const *params, PGresult **res,
	      const char **sqlstate)
{
	return db_exec_pipeline(db, 1, n, st, params, res, sqlstate);
}

int
db_command(struct db *db, const char *sql)
{
	PGresult *res;
	ExecStatusType s;

	if (db_ensure(db) < 0)
		return -1;
	res = PQexec(db->conn, sql);
	s = PQresultStatus(res);
	PQclear(res);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	db_lost(db);
	return -1;
}

static void
db_result_clear(void *res)
{
	PQclear(res);
}

static int
db_problem(struct req *r, const struct db_stmt *st, const PGresult *res,
	   const char *sqlstate)
{
	(void)res;
	r->sqlstate = sqlstate != NULL ? arena_strdup(r->arena, sqlstate)
				       : NULL;
	if (sqlstate == NULL || strncmp(sqlstate, "08", 2) == 0 ||
	    strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P03") == 0) {
		req_header_add(r, "Retry-After", "5");
		return problem(r, PROBLEM_UNAVAILABLE,
			       "The database is not reachable; try again "
			       "shortly.");
	}
	if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
	    strcmp(sqlstate, "55P03") == 0 || strcmp(sqlstate, "57014") == 0) {
		req_header_add(r, "Retry-After", "1");
		return problem(r, PROBLEM_UNAVAILABLE,
			       "The database is busy; try again.");
	}
	if (strcmp(sqlstate, "23505") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "Something with the same unique value already "
			       "exists.");
	if (strcmp(sqlstate, "23503") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "It refers to something that does not exist, "
			       "or something else still refers to it.");
	if (strncmp(sqlstate, "23", 2) == 0 || strncmp(sqlstate, "22", 2) == 0)
		return problem(r, PROBLEM_VALIDATION,
			       "A value is not acceptable (%s).",
			       st != NULL ? st->name : "commit");
	return problem(r, PROBLEM_INTERNAL,
		       "Something went wrong on our side; quote request %s.",
		       r->req_id != NULL ? r->req_id : "-");
}

PGresult *
db_query_or_problem(struct req *r, const struct db_stmt *st,
		    const char *const *params)
{
	const char *sqlstate = NULL;
	PGresult *res = db_exec(r->db, st, params, &sqlstate);

	if (res == NULL) {
		db_problem(r, st, NULL, sqlstate);
		return NULL;
	}
	arena_cleanup_add(r->arena, db_result_clear, res);
	return res;
}

int
db_begin_or_problem(struct req *r)
{
	if (db_command(r->db, "BEGIN") < 0) {
		db_problem(r, NULL, NULL, "08000");
		return -1;
	}
	return 0;
}

int
db_commit_or_problem(struct req *r)
{
	PGresult *res;
	ExecStatusType s;
	const char *code;

	if (r->db->conn == NULL) {
		db_problem(r, NULL, NULL, "08000");
		return -1;
	}
	res = PQexec(r->db->conn, "COMMIT");
	s = PQresultStatus(res);
	code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (s == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(res), "ROLLBACK") != 0) {
		PQclear(res);
		return 0;
	}
	db_problem(r, NULL, NULL,
		   db_lost(r->db) ? "08000" : (code != NULL ? code : "XX000"));
	PQclear(res);
	return -1;
}

void
db_rollback(struct req *r)
{
	if (r->db->conn != NULL &&
	    PQtransactionStatus(r->db->conn) != PQTRANS_IDLE)
		db_command(r->db, "ROLLBACK");
}

const char *
db_value(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}
