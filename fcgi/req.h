/* The request being served and the response being built. */
#ifndef OC_REQ_H
#define OC_REQ_H

#include <stddef.h>
#include <json-c/json.h>
#include "role.h"

struct arena;
struct db;
struct route;

struct kv {
	const char *key;
	const char *value;
};

/* Who is calling, filled by auth before the handler runs. */
struct principal {
	int authenticated;     /* 0 for anonymous calls to public routes */
	char user_id[37];      /* uuid */
	char username[65];
	enum role role;        /* effective role (API key: min(key, owner)) */
	char session_id[37];   /* set for access tokens */
	char api_key_id[37];   /* set for API keys */
};

struct header {
	const char *name;
	const char *value;
	struct header *next;
};

struct req {
	struct arena *arena; /* everything below lives here */
	struct db *db;       /* this process's connection */

	/* input, from the FastCGI parameters */
	const char *method;
	const char *path;         /* decoded path without the query */
	const char *query_string; /* raw */
	const char *content_type;
	const char *remote_addr;
	const char *user_agent;
	const char *req_id;       /* nginx $request_id, or generated */
	const char *authorization;
	const char *cookie;
	const char *if_match;
	const char *idempotency_key;
	char *const *envp;        /* all FastCGI parameters */
	const char *raw_body;     /* NUL-terminated, raw_len bytes */
	size_t raw_len;

	const struct route *route;
	struct kv *params; /* path parameters, e.g. {id} */
	size_t nparams;
	struct kv *query;  /* decoded query parameters, validated */
	size_t nquery;
	json_object *body; /* validated JSON body, or NULL */

	struct principal who;

	/* output */
	int status;
	json_object *out;       /* response body (arena-owned) or NULL */
	const char *text_out;   /* a non-JSON body instead (arena) */
	const char *text_type;  /* its Content-Type */
	size_t text_len;        /* its length when it may hold NUL bytes
				 * (0: up to the first NUL) */
	json_object *problem;   /* set by problem(): sent instead of out */
	struct header *headers; /* extra response headers */
	const char *sqlstate;   /* SQLSTATE of the last failed query */
	void *takeover;         /* set by a handler that keeps the
				 * connection (server-sent events); see
				 * http_ctx.takeover */
};

/* Path parameter, query parameter or FastCGI parameter; NULL if absent. */
const char *req_param(const struct req *r, const char *name);
/* The {name} path parameter lowercased (arena), or NULL when it is not a
 * uuid. */
const char *req_path_uuid(struct req *r, const char *name);
/* The caller's user id (NULL when none, e.g. an API key of no user) and
 * name ("system" when none), for created_by columns and audit rows. */
const char *req_actor_id(const struct req *r);
const char *req_actor_name(const struct req *r);
/* Sets the ETag header to "<version>". */
void req_etag(struct req *r, const char *version);
const char *req_query(const struct req *r, const char *name);
const char *req_env(const struct req *r, const char *name);
/* Adds a response header; name and value are copied into the arena. */
void req_header_add(struct req *r, const char *name, const char *value);
/* Sets the response body and returns status. Takes ownership of o. */
int req_reply(struct req *r, int status, json_object *o);
/* A value of the Cookie header, or NULL. Arena memory. */
const char *req_cookie(const struct req *r, const char *name);
/* Checks the request's If-Match against the entity's current version
 * (ETag "\"<version>\""; "*" and weak tags accepted; no header passes).
 * 412 problem and -1 when it is stale. */
int req_if_match_or_problem(struct req *r, const char *version);
/* Registers o for json_object_put at the end of the request; returns o. */
json_object *req_own(struct req *r, json_object *o);

#endif
