/* Idempotency-Key for POSTs that start work: the first response for a key
 * is stored with the work and replayed for a repeat of the same request. */
#ifndef OC_IDEM_H
#define OC_IDEM_H

#include <json-c/json.h>

struct req;

/* Call in the transaction of the work (it is begun when none is open),
 * before doing the work. Without an Idempotency-Key header: 0. With one:
 * claims (principal, key) -- a concurrent request with the same key waits
 * here until the first commits or rolls back -- and returns 0 to proceed;
 * 1 when the key was used before for the same method, path and body (the
 * stored status and body are replayed into r, with the header
 * "Idempotent-Replayed: true"); -1 with a problem: 400 for a key that is
 * not 1..255 printable ASCII characters, 422 idempotency-key-mismatch when
 * the key was used for a different request. Keys older than 24 h are
 * forgotten (deleted here, lazily). */
int idem_begin_or_problem(struct req *r);
/* Stores the response to replay (body may be NULL; it is not taken), in
 * the same transaction, before the commit. No-op without a key. 0 or -1
 * with a problem. */
int idem_store(struct req *r, int status, json_object *body);

#endif
