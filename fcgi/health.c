/* Routes every pool serves: health of all components, pool metrics. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "cfg.h"
#include "db.h"
#include "health.h"
#include "metrics.h"
#include "req.h"

static const struct db_stmt health_components = {
	"health_components",
	"SELECT kind, id, role, host, pid, state, "
	"floor(extract(epoch FROM now() - heartbeat_at))::bigint, "
	"to_char(started_at AT TIME ZONE 'UTC', "
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	"FROM core.components "
	"WHERE state = 'stopping' OR (state = 'up' AND heartbeat_at > now() - "
	"interval '1 hour') "
	"ORDER BY kind, role, id",
	0};

int
health_get(struct req *r)
{
	json_object *out, *list, *c, *req_list;
	const char *state;
	char *required, *tok, *save = NULL;
	long long age, stale = 3LL * cfg.heartbeat_s + 2;
	PGresult *res;
	int i, n, ok = 1, found;

	res = db_query_or_problem(r, &health_components, NULL);
	if (res == NULL)
		return r->status;
	out = json_object_new_object();
	list = json_object_new_array();
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		age = atoll(PQgetvalue(res, i, 6));
		state = PQgetvalue(res, i, 5);
		if (strcmp(state, "up") == 0 && age > stale)
			state = "down";
		c = json_object_new_object();
		json_object_object_add(
			c, "kind", json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(
			c, "id", json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_object_add(
			c, "role", json_object_new_string(PQgetvalue(res, i, 2)));
		json_object_object_add(
			c, "host", json_object_new_string(PQgetvalue(res, i, 3)));
		json_object_object_add(
			c, "pid", json_object_new_int(atoi(PQgetvalue(res, i, 4))));
		json_object_object_add(c, "state",
				       json_object_new_string(state));
		json_object_object_add(c, "heartbeat_age_s",
				       json_object_new_int64(age));
		json_object_object_add(
			c, "started_at",
			json_object_new_string(PQgetvalue(res, i, 7)));
		json_object_array_add(list, c);
	}
	/* Each required kind needs one supervising process up. */
	req_list = json_object_new_array();
	required = arena_strdup(r->arena, cfg.required);
	for (tok = strtok_r(required, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		json_object_array_add(req_list, json_object_new_string(tok));
		found = 0;
		for (i = 0; i < n; i++)
			if (strcmp(PQgetvalue(res, i, 0), tok) == 0 &&
			    strcmp(PQgetvalue(res, i, 2), "child") != 0 &&
			    strcmp(PQgetvalue(res, i, 5), "up") == 0 &&
			    atoll(PQgetvalue(res, i, 6)) <= stale)
				found = 1;
		ok &= found;
	}
	json_object_object_add(out, "status",
			       json_object_new_string(ok ? "ok" : "degraded"));
	json_object_object_add(out, "database", json_object_new_string("up"));
	json_object_object_add(out, "required", req_list);
	json_object_object_add(out, "components", list);
	return req_reply(r, ok ? 200 : 503, out);
}

int
health_metrics(struct req *r)
{
	r->text_out = metrics_render(r->arena);
	r->text_type = "text/plain; version=0.0.4";
	r->status = 200;
	return 200;
}
