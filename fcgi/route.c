/* Route tables: method + path pattern with {params}, and what each allows. */
#include <string.h>

#include "arena.h"
#include "log.h"
#include "req.h"
#include "route.h"

#define ROUTE_MAX_PARAMS 8

static int route_path_match(const char *pattern, const char *path,
			    struct arena *a, struct kv *params,
			    size_t *nparams);

/* Walks pattern and path segment by segment; a {name} segment matches any
 * non-empty segment. params (may be NULL) receives the values. */
static int
route_path_match(const char *pattern, const char *path, struct arena *a,
		 struct kv *params, size_t *nparams)
{
	const char *p = pattern, *s = path, *pe, *se;
	size_t n = 0;

	for (;;) {
		if (*p == '\0' || *s == '\0')
			break;
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		pe = strchr(p, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		se = strchr(s, '/');
		if (se == NULL)
			se = s + strlen(s);
		if (*p == '{') {
			if (se == s || n == ROUTE_MAX_PARAMS)
				return 0;
			if (params != NULL) {
				params[n].key = arena_strndup(
					a, p + 1, (size_t)(pe - p) - 2);
				params[n].value =
					arena_strndup(a, s, (size_t)(se - s));
			}
			n++;
		} else if (pe - p != se - s ||
			   memcmp(p, s, (size_t)(pe - p)) != 0) {
			return 0;
		}
		p = pe;
		s = se;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	if (nparams != NULL)
		*nparams = n;
	return 1;
}

enum route_result
route_match(const struct route *table, size_t n, const char *method,
	    const char *path, struct arena *a, const struct route **out,
	    struct kv **params, size_t *nparams)
{
	enum route_result res = ROUTE_NOT_FOUND;
	const char *m = method;
	size_t i;

	/* HEAD is served by the GET route. */
	if (strcmp(method, "HEAD") == 0)
		m = "GET";
	for (i = 0; i < n; i++) {
		if (!route_path_match(table[i].pattern, path, NULL, NULL, NULL))
			continue;
		if (strcmp(table[i].method, m) != 0) {
			res = ROUTE_BAD_METHOD;
			continue;
		}
		*params = arena_alloc(a, sizeof(struct kv) * ROUTE_MAX_PARAMS);
		route_path_match(table[i].pattern, path, a, *params, nparams);
		*out = &table[i];
		return ROUTE_FOUND;
	}
	return res;
}

const char *
route_allow(const struct route *table, size_t n, const char *path,
	    struct arena *a)
{
	const char *allow = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (!route_path_match(table[i].pattern, path, NULL, NULL, NULL))
			continue;
		if (strstr(allow, table[i].method) != NULL)
			continue;
		allow = *allow == '\0'
				? table[i].method
				: arena_printf(a, "%s, %s", allow,
					       table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			allow = arena_printf(a, "%s, HEAD", allow);
	}
	return allow;
}

int
route_table_check(const struct route *table, size_t n)
{
	size_t i, j, params;
	const char *p;
	int depth;

	for (i = 0; i < n; i++) {
		p = table[i].pattern;
		if (p == NULL || p[0] != '/' || table[i].handler == NULL ||
		    table[i].method == NULL) {
			log_msg(LOG_ERROR, NULL, "route %zu is incomplete", i);
			return -1;
		}
		depth = 0;
		params = 0;
		for (; *p != '\0'; p++) {
			if (*p == '{') {
				if (depth != 0 || p[-1] != '/')
					break;
				depth = 1;
				params++;
			} else if (*p == '}') {
				if (depth != 1 || (p[1] != '/' && p[1] != '\0'))
					break;
				depth = 0;
			}
		}
		if (*p != '\0' || depth != 0 || params > ROUTE_MAX_PARAMS) {
			log_msg(LOG_ERROR, NULL, "route pattern %s is malformed",
				table[i].pattern);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(table[i].method, table[j].method) == 0 &&
			    strcmp(table[i].pattern, table[j].pattern) == 0) {
				log_msg(LOG_ERROR, NULL,
					"route %s %s is declared twice",
					table[i].method, table[i].pattern);
				return -1;
			}
	}
	return 0;
}
