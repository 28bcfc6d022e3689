/* Login failure accounting: backoff, lockout and address blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "cfg.h"
#include "db.h"
#include "lockout.h"
#include "problem.h"
#include "req.h"
#include "sql.h"

static const char *lockout_user_key(struct req *r, const char *username);
static const char *lockout_addr_key(struct req *r);
static int lockout_record_or_problem(struct req *r, const char *key,
				     int backoff_after, int lock_after,
				     const char *action);

static const char *
lockout_user_key(struct req *r, const char *username)
{
	return arena_printf(r->arena, "user:%s", username);
}

static const char *
lockout_addr_key(struct req *r)
{
	return arena_printf(r->arena, "addr:%s",
			    r->remote_addr != NULL ? r->remote_addr : "-");
}

int
lockout_check_or_problem(struct req *r, const char *username)
{
	const char *ukey = lockout_user_key(r, username);
	const char *akey = lockout_addr_key(r);
	const char *retry_user = NULL, *retry_addr = NULL;
	int i, user_locked = 0;
	PGresult *res;

	res = db_query_or_problem(r, &sql_lockout_get, DB_PARAMS(ukey, akey));
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), ukey) == 0) {
			retry_user = PQgetvalue(res, i, 2);
			user_locked =
			    atoi(PQgetvalue(res, i, 1)) >= cfg.login_lock_after;
		} else {
			retry_addr = PQgetvalue(res, i, 2);
		}
	}
	if (retry_user != NULL && user_locked) {
		req_header_add(r, "Retry-After", retry_user);
		return problem(r, PROBLEM_LOCKED,
			       "This account is locked after repeated failed "
			       "sign-ins; try again in %s seconds or ask an "
			       "administrator to unlock it.",
			       retry_user),
		       -1;
	}
	if (retry_addr != NULL) {
		req_header_add(r, "Retry-After", retry_addr);
		return problem(r, PROBLEM_RATE_LIMITED,
			       "Too many failed sign-ins from your address; "
			       "try again in %s seconds.",
			       retry_addr),
		       -1;
	}
	if (retry_user != NULL) {
		req_header_add(r, "Retry-After", retry_user);
		return problem(r, PROBLEM_RATE_LIMITED,
			       "Too many failed sign-ins for this account; "
			       "try again in %s seconds.",
			       retry_user),
		       -1;
	}
	return 0;
}

/* One failure for key; audits action when the key has just become
 * blocked for the lock period. */
static int
lockout_record_or_problem(struct req *r, const char *key, int backoff_after,
			  int lock_after, const char *action)
{
	char b[16], l[16], s[16];
	json_object *after;
	PGresult *res;
	int failures;

	snprintf(b, sizeof(b), "%d", backoff_after);
	snprintf(l, sizeof(l), "%d", lock_after);
	snprintf(s, sizeof(s), "%d", cfg.login_lock_s);
	res =
	    db_query_or_problem(r, &sql_lockout_fail, DB_PARAMS(key, b, l, s));
	if (res == NULL || PQntuples(res) != 1)
		return res == NULL ? -1 : 0;
	failures = atoi(PQgetvalue(res, 0, 0));
	if (failures != lock_after)
		return 0;
	after = req_own(r, json_object_new_object());
	json_object_object_add(after, "failures",
			       json_object_new_int(failures));
	json_object_object_add(after, "locked_seconds",
			       json_object_new_int(cfg.login_lock_s));
	return audit_or_problem(r, action, "login", key, NULL, after);
}

int
lockout_fail_or_problem(struct req *r, const char *username)
{
	if (db_begin_or_problem(r) < 0)
		return -1;
	if (lockout_record_or_problem(r, lockout_user_key(r, username),
				      cfg.login_backoff_after,
				      cfg.login_lock_after, "login.lock") < 0 ||
	    lockout_record_or_problem(
		r, lockout_addr_key(r), cfg.login_addr_limit,
		cfg.login_addr_limit, "login.address_block") < 0)
		return -1;
	return db_commit_or_problem(r);
}

int
lockout_clear_or_problem(struct req *r, const char *username)
{
	if (db_query_or_problem(r, &sql_lockout_clear,
				DB_PARAMS(lockout_user_key(r, username))) ==
	    NULL)
		return -1;
	return 0;
}
