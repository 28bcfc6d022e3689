/* Route tables: method + path pattern with {params}, and what each allows. */
#ifndef OC_ROUTE_H
#define OC_ROUTE_H

#include <stddef.h>
#include "role.h"

struct req;
struct field;
struct arena;
struct kv;

/* A handler returns the HTTP status. It sets r->out with req_reply() or a
 * problem with problem(); it never writes to the connection. */
typedef int (*handler_fn)(struct req *r);

#define ROUTE_BODY_OPTIONAL 0x1 /* a body may be absent or empty */
#define ROUTE_NO_API_KEY 0x2    /* only a person's session may call it */
#define ROUTE_BODY_LARGE 0x10   /* a body up to ROUTE_LARGE_BODY_MAX
				 * instead of cfg.body_max (uploads) */
#define ROUTE_LARGE_BODY_MAX (16u << 20)
#define ROUTE_CACHED 0x20     /* GET answers may come from the pool's
				 * read cache (fcgi/rcache.c): only for
				 * answers that depend on nothing but the
				 * caller's role, the path, the query and
				 * the data of the pool's inval channel */
#define ROUTE_RAW_BODY 0x8      /* the handler reads r->raw_body itself
				 * (CSV import): no JSON parsing or
				 * content-type check by the runtime */

struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/users/{id}" */
	handler_fn handler;
	enum role role;      /* least role allowed; ROLE_PUBLIC for all */
	const struct field *body;  /* allowed JSON body fields; NULL: none */
	const struct field *query; /* allowed query parameters; NULL: none */
	unsigned flags;
};

enum route_result {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND = -1,   /* no pattern matches the path */
	ROUTE_BAD_METHOD = -2,  /* a pattern matches, the method does not */
};

/* Finds the route for method and path in table[0..n). On ROUTE_FOUND,
 * *out is the route and *params (arena memory) the {name} values. */
enum route_result route_match(const struct route *table, size_t n,
			      const char *method, const char *path,
			      struct arena *a, const struct route **out,
			      struct kv **params, size_t *nparams);
/* The methods allowed for path, as an "Allow" header value (arena). */
const char *route_allow(const struct route *table, size_t n,
			const char *path, struct arena *a);
/* Checks a table at start-up: patterns well formed, no duplicates. Returns
 * -1 and logs the culprit otherwise. */
int route_table_check(const struct route *table, size_t n);

#endif
