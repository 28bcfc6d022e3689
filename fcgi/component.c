/* The component registry: heartbeat rows in core.components. */
#include <stdio.h>
#include <unistd.h>

#include "cfg.h"
#include "component.h"
#include "db.h"

static const struct db_stmt component_upsert = {
	"component_upsert",
	"INSERT INTO core.components (id, kind, role, host, pid, state) "
	"VALUES ($1, $2, $3, $4, $5::int, 'up') "
	"ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), state = 'up', "
	"role = EXCLUDED.role",
	5};
static const struct db_stmt component_mark_stopped = {
	"component_mark_stopped",
	"UPDATE core.components SET state = 'stopped', heartbeat_at = now() "
	"WHERE id = $1",
	1};
static const struct db_stmt component_delete_old = {
	"component_delete_old",
	"DELETE FROM core.components WHERE (state = 'stopped' AND "
	"heartbeat_at < now() - interval '1 day') OR heartbeat_at < now() - "
	"interval '7 days'",
	0};

static void component_id(char *out, size_t n, pid_t pid);

static void
component_id(char *out, size_t n, pid_t pid)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, n, "%s:%s:%d", cfg.component, host, (int)pid);
}

int
component_beat(struct db *db, const char *role, pid_t pid)
{
	char id[320], host[256], pidbuf[16];
	PGresult *res;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	component_id(id, sizeof(id), pid);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	res = db_exec(db, &component_upsert,
		      DB_PARAMS(id, cfg.component, role, host, pidbuf), NULL);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
component_stop(struct db *db, pid_t pid)
{
	char id[320];
	PGresult *res;

	component_id(id, sizeof(id), pid);
	res = db_exec(db, &component_mark_stopped, DB_PARAMS(id), NULL);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
component_purge(struct db *db)
{
	PGresult *res = db_exec(db, &component_delete_old, NULL, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
