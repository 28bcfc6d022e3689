/* Errors as RFC 9457 application/problem+json, from one table of kinds. */
#ifndef OC_PROBLEM_H
#define OC_PROBLEM_H

struct req;

enum problem_kind {
	PROBLEM_BAD_REQUEST,        /* 400 malformed input */
	PROBLEM_INVALID_JSON,       /* 400 body is not valid JSON/UTF-8 */
	PROBLEM_UNAUTHORIZED,       /* 401 missing or bad credentials */
	PROBLEM_LOGIN_FAILED,       /* 401 wrong username or password */
	PROBLEM_TOTP_REQUIRED,      /* 401 a second factor is needed */
	PROBLEM_TOTP_INVALID,       /* 401 the second factor is wrong */
	PROBLEM_FORBIDDEN,          /* 403 role too low */
	PROBLEM_NOT_FOUND,          /* 404 no such route or entity */
	PROBLEM_METHOD_NOT_ALLOWED, /* 405 route exists, method does not */
	PROBLEM_CONFLICT,           /* 409 duplicate or in use */
	PROBLEM_PRECONDITION_FAILED, /* 412 If-Match is stale */
	PROBLEM_TOO_LARGE,          /* 413 body over the limit */
	PROBLEM_UNSUPPORTED_MEDIA,  /* 415 not application/json */
	PROBLEM_VALIDATION,         /* 422 fields listed in "errors" */
	PROBLEM_IDEMPOTENCY_MISMATCH, /* 422 Idempotency-Key reused for
				       * another request */
	PROBLEM_LOCKED,             /* 423 account locked for a while */
	PROBLEM_PRECONDITION_REQUIRED, /* 428 If-Match needed */
	PROBLEM_RATE_LIMITED,       /* 429 slow down (Retry-After) */
	PROBLEM_INTERNAL,           /* 500 a bug; details only in the log */
	PROBLEM_UNAVAILABLE,        /* 503 database or dependency down */
	PROBLEM__COUNT
};

/* Sets r's problem of this kind with a detail a person can act on, and
 * returns its HTTP status, so handlers can `return problem(r, ...)`.
 * Replaces an earlier problem. detail may be NULL. */
int problem(struct req *r, enum problem_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds {field, message} to "errors" of a PROBLEM_VALIDATION (created when
 * r has none). Returns 422. */
int problem_field(struct req *r, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The status and "type" URI of a kind. */
int problem_status(enum problem_kind kind);
const char *problem_type(enum problem_kind kind);

#define PROBLEM_TYPE_PREFIX "urn:opsconductor:problem:"

#endif
