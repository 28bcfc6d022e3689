/* Idempotency-Key: claim, compare, replay and store (core.idempotency_keys). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "enc.h"
#include "idem.h"
#include "problem.h"
#include "req.h"
#include "route.h"

#define IDEM_KEY_MAX 255

static const struct db_stmt idem_expire = {
    "idem_expire",
    "DELETE FROM core.idempotency_keys "
    "WHERE created_at < now() - interval '24 hours'",
    0};

/* $1 principal, $2 key, $3 route, $4 request hash. A row comes back only
 * when this request claimed the key (new, or older than 24 h and not yet
 * deleted); a concurrent claim waits on the primary key until the other
 * transaction ends. */
static const struct db_stmt idem_claim = {
    "idem_claim",
    "INSERT INTO core.idempotency_keys AS k (principal, key, route, "
    "request_sha256, status) VALUES ($1, $2, $3, $4, 0) "
    "ON CONFLICT (principal, key) DO UPDATE SET route = $3, "
    "request_sha256 = $4, status = 0, body = NULL, created_at = now() "
    "WHERE k.created_at < now() - interval '24 hours' RETURNING 1",
    4};

static const struct db_stmt idem_get = {
    "idem_get",
    "SELECT route, request_sha256, status, body::text "
    "FROM core.idempotency_keys WHERE principal = $1 AND key = $2",
    2};

static const struct db_stmt idem_set = {
    "idem_set",
    "UPDATE core.idempotency_keys SET status = $3::integer, "
    "body = $4::jsonb WHERE principal = $1 AND key = $2",
    4};

static const char *idem_principal(const struct req *r);
static int idem_key_ok(const char *k);
static const char *idem_hash(struct req *r);

static const char *
idem_principal(const struct req *r)
{
	return r->who.api_key_id[0] != '\0' ? r->who.api_key_id
					    : r->who.user_id;
}

static int
idem_key_ok(const char *k)
{
	size_t n = strlen(k), i;

	if (n < 1 || n > IDEM_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

/* SHA-256 of method, path, query and body, as hex (arena). */
static const char *
idem_hash(struct req *r)
{
	const char *q = r->query_string != NULL ? r->query_string : "";
	size_t hl = strlen(r->method) + strlen(r->path) + strlen(q) + 3;
	unsigned char md[32];
	char *buf = arena_alloc(r->arena, hl + r->raw_len + 1);
	char *hex = arena_alloc(r->arena, 65);
	int n;

	n = snprintf(buf, hl + 1, "%s\n%s?%s\n", r->method, r->path, q);
	if (r->raw_len > 0)
		memcpy(buf + n, r->raw_body, r->raw_len);
	crypto_sha256(md, buf, (size_t)n + r->raw_len);
	enc_hex(hex, md, sizeof(md));
	return hex;
}

int
idem_begin_or_problem(struct req *r)
{
	const char *key = r->idempotency_key, *who, *route, *hash, *body;
	json_object *o;
	PGresult *res;

	if (key == NULL)
		return 0;
	if (!idem_key_ok(key))
		return problem(r, PROBLEM_BAD_REQUEST,
			       "Idempotency-Key must be 1 to %d printable "
			       "ASCII characters.",
			       IDEM_KEY_MAX),
		       -1;
	if (PQtransactionStatus(db_conn(r->db)) == PQTRANS_IDLE &&
	    db_begin_or_problem(r) < 0)
		return -1;
	who = idem_principal(r);
	route = arena_printf(r->arena, "%s %s", r->route->method,
			     r->route->pattern);
	hash = idem_hash(r);
	if (db_query_or_problem(r, &idem_expire, NULL) == NULL)
		return -1;
	res = db_query_or_problem(r, &idem_claim,
				  DB_PARAMS(who, key, route, hash));
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		return 0;
	res = db_query_or_problem(r, &idem_get, DB_PARAMS(who, key));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) /* expired in between: claim once more */
		return problem(r, PROBLEM_CONFLICT,
			       "The Idempotency-Key is being reused; "
			       "retry."),
		       -1;
	if (strcmp(PQgetvalue(res, 0, 0), route) != 0 ||
	    strcmp(PQgetvalue(res, 0, 1), hash) != 0)
		return problem(r, PROBLEM_IDEMPOTENCY_MISMATCH,
			       "This Idempotency-Key was used for a different "
			       "request; use a new key."),
		       -1;
	if (strcmp(PQgetvalue(res, 0, 2), "0") == 0)
		return problem(r, PROBLEM_CONFLICT,
			       "The request with this Idempotency-Key left "
			       "no response; use a new key."),
		       -1;
	db_rollback(r);
	body = db_value(res, 0, 3);
	o = body != NULL ? json_tokener_parse(body) : NULL;
	req_header_add(r, "Idempotent-Replayed", "true");
	r->status = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10);
	if (o != NULL)
		req_reply(r, r->status, o);
	return 1;
}

int
idem_store(struct req *r, int status, json_object *body)
{
	char st[16];

	if (r->idempotency_key == NULL)
		return 0;
	snprintf(st, sizeof(st), "%d", status);
	if (db_query_or_problem(
		r, &idem_set,
		DB_PARAMS(idem_principal(r), r->idempotency_key, st,
			  body != NULL ? json_object_to_json_string_ext(
					     body, JSON_C_TO_STRING_PLAIN)
				       : NULL)) == NULL)
		return -1;
	return 0;
}
