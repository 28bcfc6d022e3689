/* Retention of the event log: expired core.events rows are deleted by the
 * worker (the events process only reads them). */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "evprune.h"

#define EVPRUNE_BATCH 10000
#define EVPRUNE_ROUNDS 10

/* The oldest ids (at most 10,000 of them) up to the first event still
 * kept: ids are taken in time order (core.event_emit's lock), so both
 * bounds and the deletion are ranges of the primary key, and no index on
 * the time is needed. */
static const struct db_stmt evprune_delete = {
	"evprune_delete",
	"DELETE FROM core.events WHERE id < least(coalesce((SELECT k.id "
	"FROM core.events k WHERE k.at >= now() - make_interval(days => "
	"$1::int) ORDER BY k.id LIMIT 1), 9223372036854775807), (SELECT "
	"min(m.id) FROM core.events m) + 10000)",
	1};

long long
evprune_run(struct db *db)
{
	char days[16];
	PGresult *res;
	long long total = 0, n;
	int i;

	snprintf(days, sizeof(days), "%d", cfg.events_retention_days);
	for (i = 0; i < EVPRUNE_ROUNDS; i++) {
		res = db_exec(db, &evprune_delete, DB_PARAMS(days), NULL);
		if (res == NULL)
			return -1;
		n = atoll(PQcmdTuples(res));
		PQclear(res);
		total += n;
		if (n < EVPRUNE_BATCH)
			break;
	}
	if (total > 0)
		log_msg(LOG_INFO, NULL,
			"deleted %lld events older than %d days", total,
			cfg.events_retention_days);
	return total;
}
