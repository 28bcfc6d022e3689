/* Retention of the event log: expired core.events rows are deleted by the
 * worker (the events process only reads them). */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "evprune.h"

#define EVPRUNE_BATCH 10000
#define EVPRUNE_STR_(x) #x
#define EVPRUNE_STR(x) EVPRUNE_STR_(x)
#define EVPRUNE_ROUNDS 10

/* Expired events among the 10,000 oldest ids: ids are taken in time
 * order (core.event_emit's lock), so the expired ones come first, and
 * each statement reads one range of the primary key, however many have
 * expired; no index on the time is needed. */
static const struct db_stmt evprune_delete = {
	"evprune_delete",
	"DELETE FROM core.events WHERE id < (SELECT min(m.id) FROM "
	"core.events m) + " EVPRUNE_STR(EVPRUNE_BATCH) " AND at < now() - "
	"make_interval(days => $1::int)",
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
