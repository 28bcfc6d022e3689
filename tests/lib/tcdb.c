/* The integration tests' direct line to the database (OC_TEST_DB, the
 * superuser): setup, inspection and clean-up around API calls. */
#include <stdarg.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define TC_DB_PARAMS 16

static PGconn *tc_db_conn;

static PGresult *tc_db_run(const char *sql, va_list ap);

static PGresult *
tc_db_run(const char *sql, va_list ap)
{
	const char *params[TC_DB_PARAMS], *p;
	PGresult *res;
	int n = 0;

	if (tc_db_conn == NULL) {
		tc_db_conn = PQconnectdb(tc_env("OC_TEST_DB"));
		if (PQstatus(tc_db_conn) != CONNECTION_OK)
			BAIL_OUT("cannot connect to OC_TEST_DB: %s",
				 PQerrorMessage(tc_db_conn));
	}
	for (p = va_arg(ap, const char *); p != NULL;
	     p = va_arg(ap, const char *)) {
		if (n == TC_DB_PARAMS)
			BAIL_OUT("tc_db: too many parameters");
		params[n++] = p;
	}
	res = PQexecParams(tc_db_conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		diag("SQL failed: %s\n    %s", PQerrorMessage(tc_db_conn), sql);
		PQclear(res);
		if (PQstatus(tc_db_conn) != CONNECTION_OK)
			PQreset(tc_db_conn);
		return NULL;
	}
	return res;
}

int
tc_db_exec(const char *sql, ...)
{
	PGresult *res;
	va_list ap;
	int n;

	va_start(ap, sql);
	res = tc_db_run(sql, ap);
	va_end(ap);
	if (res == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n;
}

const char *
tc_db_value(const char *sql, ...)
{
	const char *v = NULL;
	PGresult *res;
	va_list ap;

	va_start(ap, sql);
	res = tc_db_run(sql, ap);
	va_end(ap);
	if (res == NULL)
		return NULL;
	if (PQntuples(res) > 0 && PQnfields(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		v = tc_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

long long
tc_db_count(const char *sql, ...)
{
	PGresult *res;
	long long n = -1;
	va_list ap;

	va_start(ap, sql);
	res = tc_db_run(sql, ap);
	va_end(ap);
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		n = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

void
tc_db_close(void)
{
	if (tc_db_conn != NULL)
		PQfinish(tc_db_conn);
	tc_db_conn = NULL;
}
