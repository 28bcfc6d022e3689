/* PostgreSQL access: one connection per process (or thread), reconnecting,
 * prepared statements, parameterized SQL only. */
#ifndef OC_DB_H
#define OC_DB_H

#include <libpq-fe.h>

struct req;
struct db;

/* A named statement, prepared lazily on each connection. Declare them
 * static const in the domain's sql file. nparams must match the $n. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/* Builds the connection from cfg.database_url as the given role (password
 * read from cfg.db_password_dir/<role>.password when the file exists).
 * Does not connect yet. */
struct db *db_new(const char *role);
void db_free(struct db *db);
/* Connects or reconnects if needed. Returns 0, or -1 if unreachable. */
int db_ensure(struct db *db);
/* 1 when the last call found the server unreachable. */
int db_is_down(const struct db *db);
/* The underlying connection (for LISTEN/NOTIFY and COPY). */
PGconn *db_conn(struct db *db);
/* Counts the connections made: a LISTEN holds only while it is
 * unchanged. 0 before the first. */
unsigned long db_generation(const struct db *db);

/* Runs st with params (st->nparams text values, NULL = SQL NULL). Returns
 * a result the caller must PQclear, or NULL on failure; *sqlstate (may be
 * NULL) gets the error code, "08000" when the connection was lost. */
PGresult *db_exec(struct db *db, const struct db_stmt *st,
		  const char *const *params, const char **sqlstate);
/* Runs the n statements st[i] with params[i] in one transaction and one
 * round trip (a pipeline ending in one Sync): all of them or none. Only
 * outside a transaction. 0 with every statement's result in res[i] (the
 * caller PQclears them), or -1 as db_exec fails (*sqlstate "08000" when
 * the connection was lost: nothing, or all of it, may be committed). */
int db_exec_all(struct db *db, int n, const struct db_stmt *const *st,
		const char *const *const *params, PGresult **res,
		const char **sqlstate);
/* Begins a transaction and runs the n statements st[i] in it, BEGIN and
 * all in one round trip. Only outside a transaction. 0 with the
 * transaction open (the caller ends it) and every statement's result in
 * res[i], or -1 as db_exec_all fails, the transaction rolled back. */
int db_exec_begin(struct db *db, int n, const struct db_stmt *const *st,
		  const char *const *const *params, PGresult **res,
		  const char **sqlstate);
/* Runs fixed SQL without parameters (BEGIN, COMMIT, LISTEN x). 0 or -1. */
int db_command(struct db *db, const char *sql);

/* In a request: runs st; the result is freed with the arena. On failure
 * sets a problem (503 when the database is unreachable, 409 on a unique
 * or foreign-key violation, 500 otherwise; r->sqlstate set) and returns
 * NULL. */
PGresult *db_query_or_problem(struct req *r, const struct db_stmt *st,
			      const char *const *params);
/* BEGIN / COMMIT in a request; -1 with a problem set on failure. A
 * transaction still open when the handler returns is rolled back. */
int db_begin_or_problem(struct req *r);
int db_commit_or_problem(struct req *r);
void db_rollback(struct req *r);

/* Parameter list literal: DB_PARAMS(a, b, c). */
#define DB_PARAMS(...) ((const char *const[]){__VA_ARGS__})

/* Text of a field or NULL for SQL NULL. */
const char *db_value(const PGresult *res, int row, int col);

#endif
