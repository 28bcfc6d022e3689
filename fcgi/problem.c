/* Errors as RFC 9457 application/problem+json, from one table of kinds. */
#include <stdarg.h>
#include <stdio.h>

#include <json-c/json.h>

#include "arena.h"
#include "problem.h"
#include "req.h"

static const struct {
	int status;
	const char *slug;
	const char *title;
} problem_kinds[PROBLEM__COUNT] = {
	[PROBLEM_BAD_REQUEST] = {400, "bad-request", "Bad request"},
	[PROBLEM_INVALID_JSON] = {400, "invalid-json",
				  "The body is not valid JSON"},
	[PROBLEM_UNAUTHORIZED] = {401, "unauthorized",
				  "Authentication required"},
	[PROBLEM_LOGIN_FAILED] = {401, "login-failed",
				  "Wrong username or password"},
	[PROBLEM_TOTP_REQUIRED] = {401, "totp-required",
				   "A one-time code is required"},
	[PROBLEM_TOTP_INVALID] = {401, "totp-invalid",
				  "The one-time code is not valid"},
	[PROBLEM_FORBIDDEN] = {403, "forbidden", "Not allowed"},
	[PROBLEM_NOT_FOUND] = {404, "not-found", "Not found"},
	[PROBLEM_METHOD_NOT_ALLOWED] = {405, "method-not-allowed",
					"Method not allowed"},
	[PROBLEM_CONFLICT] = {409, "conflict", "Conflict"},
	[PROBLEM_PRECONDITION_FAILED] = {412, "precondition-failed",
					 "The resource has changed"},
	[PROBLEM_TOO_LARGE] = {413, "too-large", "The body is too large"},
	[PROBLEM_UNSUPPORTED_MEDIA] = {415, "unsupported-media-type",
				       "Unsupported media type"},
	[PROBLEM_VALIDATION] = {422, "validation", "Invalid input"},
	[PROBLEM_IDEMPOTENCY_MISMATCH] = {422, "idempotency-key-mismatch",
					  "Idempotency-Key reused"},
	[PROBLEM_LOCKED] = {423, "locked", "Locked"},
	[PROBLEM_PRECONDITION_REQUIRED] = {428, "precondition-required",
					   "If-Match is required"},
	[PROBLEM_RATE_LIMITED] = {429, "rate-limited", "Too many requests"},
	[PROBLEM_INTERNAL] = {500, "internal", "Internal error"},
	[PROBLEM_UNAVAILABLE] = {503, "unavailable",
				 "Service temporarily unavailable"},
};

int
problem_status(enum problem_kind kind)
{
	return problem_kinds[kind].status;
}

const char *
problem_type(enum problem_kind kind)
{
	return problem_kinds[kind].slug;
}

static json_object *problem_new(struct req *r, enum problem_kind kind,
				const char *detail);

static json_object *
problem_new(struct req *r, enum problem_kind kind, const char *detail)
{
	json_object *p = req_own(r, json_object_new_object());
	char type[96];

	snprintf(type, sizeof(type), PROBLEM_TYPE_PREFIX "%s",
		 problem_kinds[kind].slug);
	json_object_object_add(p, "type", json_object_new_string(type));
	json_object_object_add(p, "title",
			       json_object_new_string(problem_kinds[kind].title));
	json_object_object_add(p, "status",
			       json_object_new_int(problem_kinds[kind].status));
	if (detail != NULL)
		json_object_object_add(p, "detail",
				       json_object_new_string(detail));
	if (r->req_id != NULL)
		json_object_object_add(p, "instance",
				       json_object_new_string(r->req_id));
	r->problem = p;
	r->status = problem_kinds[kind].status;
	return p;
}

int
problem(struct req *r, enum problem_kind kind, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	problem_new(r, kind, fmt != NULL ? detail : NULL);
	return r->status;
}

int
problem_field(struct req *r, const char *field, const char *fmt, ...)
{
	json_object *errors, *e;
	char msg[512];
	va_list ap;

	if (r->problem == NULL || r->status != 422 ||
	    !json_object_object_get_ex(r->problem, "errors", &errors)) {
		problem_new(r, PROBLEM_VALIDATION,
			    "Some fields are not valid; see errors.");
		errors = json_object_new_array();
		json_object_object_add(r->problem, "errors", errors);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = json_object_new_object();
	json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_array_add(errors, e);
	return 422;
}
