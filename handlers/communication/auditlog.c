/* The audit trail, read back: GET /api/v1/audit (admins), filtered and
 * paged, newest first. Reading it is not a mutation and is not audited. */
#include <string.h>

#include "arena.h"
#include "auditlog.h"
#include "db.h"
#include "page.h"
#include "problem.h"
#include "req.h"
#include "sql.h"

const struct field auditlog_list_query[] = {
    {"actor", FIELD_STRING, 0, 1, 64, NULL, NULL},
    {"action", FIELD_STRING, 0, 1, 128, NULL, NULL},
    {"entity_type", FIELD_STRING, 0, 1, 64, NULL, NULL},
    {"entity_id", FIELD_STRING, 0, 1, 256, NULL, NULL},
    {"since", FIELD_TIMESTAMP, 0, 0, 0, NULL, NULL},
    {"until", FIELD_TIMESTAMP, 0, 0, 0, NULL, NULL},
    {"q", FIELD_STRING, 0, 1, 128, NULL, NULL},
    PAGE_QUERY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* The actor and action filters as SQL parameters. */
struct auditlog_filter {
	const char *actor_id;	/* a user id (lowercase), or NULL */
	const char *actor_name; /* a user name ('system'), or NULL */
	const char *action;	/* an exact action, or NULL */
	const char *prefix;	/* an action prefix, or NULL */
};

static void auditlog_filter_read(struct req *r, struct auditlog_filter *f);

/* actor: a uuid is a user id, anything else a name. action: "run." or
 * "run.*" is every action starting with "run.", "run*" every action
 * starting with "run", anything else one exact action. */
static void
auditlog_filter_read(struct req *r, struct auditlog_filter *f)
{
	const char *actor = req_query(r, "actor");
	const char *action = req_query(r, "action");
	size_t len;
	char *s, *p;

	memset(f, 0, sizeof(*f));
	if (actor != NULL && valid_uuid(actor)) {
		s = arena_strdup(r->arena, actor);
		for (p = s; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		f->actor_id = s;
	} else {
		f->actor_name = actor;
	}
	if (action == NULL)
		return;
	len = strlen(action);
	if (action[len - 1] == '*') {
		s = arena_strdup(r->arena, action);
		s[len - 1] = '\0';
		f->prefix = s[0] != '\0' ? s : NULL;
	} else if (action[len - 1] == '.') {
		f->prefix = action;
	} else {
		f->action = action;
	}
}

int
auditlog_list(struct req *r)
{
	struct auditlog_filter f;
	struct page p;

	if (page_params_or_problem(r, &p) < 0)
		return r->status;
	auditlog_filter_read(r, &f);
	{
		const char *const params[] = {f.actor_id,
					      f.actor_name,
					      f.action,
					      f.prefix,
					      req_query(r, "entity_type"),
					      req_query(r, "entity_id"),
					      req_query(r, "since"),
					      req_query(r, "until"),
					      req_query(r, "q"),
					      p.lim,
					      p.off};

		return page_json_rows(r, &p, &sql_audit_list, &sql_audit_count,
				      params);
	}
}
