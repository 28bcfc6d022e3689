/* The request being served and the response being built. */
#include <ctype.h>
#include <string.h>

#include "arena.h"
#include "problem.h"
#include "req.h"
#include "valid.h"

static void req_json_put(void *o);

static void
req_json_put(void *o)
{
	json_object_put(o);
}

json_object *
req_own(struct req *r, json_object *o)
{
	if (o != NULL)
		arena_cleanup_add(r->arena, req_json_put, o);
	return o;
}

const char *
req_param(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *
req_query(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, name) == 0)
			return r->query[i].value;
	return NULL;
}

const char *
req_env(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	char *const *e;

	if (r->envp == NULL)
		return NULL;
	for (e = r->envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

void
req_header_add(struct req *r, const char *name, const char *value)
{
	struct header *h = arena_alloc(r->arena, sizeof(*h));
	struct header **tail = &r->headers;

	h->name = arena_strdup(r->arena, name);
	h->value = arena_strdup(r->arena, value);
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = h;
}

int
req_reply(struct req *r, int status, json_object *o)
{
	r->status = status;
	r->out = req_own(r, o);
	return status;
}

const char *
req_cookie(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->cookie, *end;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 &&
		    p[n] == '=')
			return arena_strndup(r->arena, p + n + 1,
					     (size_t)(end - p) - n - 1);
		p = end;
	}
	return NULL;
}

int
req_if_match_or_problem(struct req *r, const char *version)
{
	const char *m = r->if_match;
	size_t n = strlen(version);

	if (m == NULL || *m == '\0')
		return 0;
	while (*m == ' ')
		m++;
	if (strcmp(m, "*") == 0)
		return 0;
	if (strncmp(m, "W/", 2) == 0)
		m += 2;
	if (m[0] == '"' && strncmp(m + 1, version, n) == 0 && m[n + 1] == '"' &&
	    (m[n + 2] == '\0' || m[n + 2] == ' '))
		return 0;
	return problem(r, PROBLEM_PRECONDITION_FAILED,
		       "It has changed since you read it (now version %s); "
		       "read it again.",
		       version),
	       -1;
}

const char *
req_path_uuid(struct req *r, const char *name)
{
	const char *id = req_param(r, name);
	char *s, *p;

	if (id == NULL || !valid_uuid(id))
		return NULL;
	s = arena_strdup(r->arena, id);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

const char *
req_actor_id(const struct req *r)
{
	return r->who.user_id[0] != '\0' ? r->who.user_id : NULL;
}

const char *
req_actor_name(const struct req *r)
{
	return r->who.username[0] != '\0' ? r->who.username : "system";
}

void
req_etag(struct req *r, const char *version)
{
	req_header_add(r, "ETag", arena_printf(r->arena, "\"%s\"", version));
}
