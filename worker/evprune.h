/* Retention of the event log: deletes core.events rows older than
 * cfg.events_retention_days. */
#ifndef OC_EVPRUNE_H
#define OC_EVPRUNE_H

struct db;

/* Deletes expired events in batches of 10,000 (a few batches per call, so
 * the main loop is never held long). Returns the rows deleted or -1. */
long long evprune_run(struct db *db);

#endif
