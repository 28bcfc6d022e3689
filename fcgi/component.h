/* The component registry: heartbeat rows in core.components that
 * GET /api/v1/health reads. Used by pools, the worker and events. */
#ifndef OC_COMPONENT_H
#define OC_COMPONENT_H

#include <sys/types.h>

struct db;

/* Writes or refreshes the row of process pid ("master", "child" or
 * "process") of kind cfg.component as up. 0 or -1. */
int component_beat(struct db *db, const char *role, pid_t pid);
/* Marks the row of pid stopped (clean exit). */
int component_stop(struct db *db, pid_t pid);
/* Deletes rows of this host's kind whose process is gone (crashed before
 * it could say so) and rows stopped more than a day ago. */
int component_purge(struct db *db);

#endif
