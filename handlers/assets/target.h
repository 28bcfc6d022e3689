/* The target being written: its fields, their checks (shared by create,
 * update, bulk import and discovery import) and its insert. */
#ifndef OC_ASSETS_TARGET_H
#define OC_ASSETS_TARGET_H

#include <libpq-fe.h>
#include <json-c/json.h>

#include "valid.h"

struct req;

/* A target's writable fields. Strings may be NULL (unset). */
struct target_in {
	const char *name;
	const char *host;
	const char *os;		/* linux | windows */
	const char *protocol;	/* ssh | winrm; NULL: by os */
	const char *winrm_auth; /* basic | ntlm */
	const char *ssh_user;
	const char *credential_id;
	const char *description;
	json_object *tags; /* array of strings (borrowed) */
	long long port;	   /* 0: the protocol's default */
	int winrm_https;
	int winrm_verify_tls;
	int enabled;
};

extern const struct field target_create_fields[];
extern const struct field target_patch_fields[];

/* Field checks (struct field.check). */
const char *target_check_host(struct req *r, json_object *v);
const char *target_check_tags(struct req *r, json_object *v);

/* Defaults of a new target. */
void target_defaults(struct target_in *t);
/* The current values of a target row (SQL_TARGET_COLS). */
void target_from_row(struct req *r, const PGresult *res, int row,
		     struct target_in *t);
/* Overrides t with the members present in the validated object o. */
void target_from_json(json_object *o, struct target_in *t);
/* Cross-field checks and defaults: canonical host, protocol by os, port
 * by protocol, WinRM only for Windows. Adds field errors named
 * prefix + field (prefix "" or "rows[3]."); returns the error count. */
int target_check(struct req *r, const char *prefix, struct target_in *t);
/* The credential, if any, exists and suits the protocol; otherwise a
 * field error on prefix + "credential_id" (or field). Returns -1 with a
 * problem set (422, or 503 when the database failed). */
int target_cred_or_problem(struct req *r, const char *prefix, const char *field,
			   const struct target_in *t, const char *cred_type);
/* 1 when a credential of type suits protocol. */
int target_cred_suits(const char *protocol, const char *type);
/* Inserts t; the row (SQL_TARGET_COLS) or NULL with a problem (409 when
 * the name is taken). */
PGresult *target_insert_or_problem(struct req *r, const struct target_in *t);
/* The default port of a protocol. */
/* In a new transaction: the target row locked FOR UPDATE (sql_target_lock
 * columns), with If-Match checked when if_match is set. NULL with a
 * problem set (404 for an unknown or malformed id). */
PGresult *target_lock_or_problem(struct req *r, const char *id, int if_match);
long long target_default_port(const char *protocol, int https);

#endif
