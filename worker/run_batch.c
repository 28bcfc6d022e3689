/* A run target's pending writes, sent with its next statement in one
 * transaction (see run_batch.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "run_batch.h"

/* First in every batch of several statements: the run's row before any
 * other row or the event lock, in the order of the claim and of recovery
 * (runs, then steps and targets, then events), so a batch never holds
 * the event lock while it waits for a row. */
static const struct db_stmt run_batch_lock = {
    "run_batch_lock",
    "SELECT 1 FROM automation.runs WHERE id = $1::uuid FOR KEY SHARE", 1};

static void run_batch_drop(struct run_batch *b);

void
run_batch_init(struct run_batch *b, struct db *db, const char *run_id,
	       volatile int *lease_lost)
{
	memset(b, 0, sizeof(*b));
	b->db = db;
	b->run_id = run_id;
	b->lease_lost = lease_lost;
}

static void
run_batch_drop(struct run_batch *b)
{
	int i, k;

	for (i = 0; i < b->n; i++) {
		for (k = 0; k < b->st[i]->nparams; k++)
			free(b->params[i][k]);
		free(b->params[i]);
	}
	b->n = 0;
}

void
run_batch_add(struct run_batch *b, const struct db_stmt *st,
	      const char *const *params)
{
	char **p;
	int k;

	if (b->n == RUN_BATCH_MAX)
		(void)run_batch_send(b, NULL, NULL, NULL);
	p = calloc((size_t)st->nparams + 1, sizeof(*p));
	if (p == NULL)
		abort();
	for (k = 0; k < st->nparams; k++) {
		if (params[k] == NULL)
			continue;
		p[k] = strdup(params[k]);
		if (p[k] == NULL)
			abort();
	}
	b->st[b->n] = st;
	b->params[b->n] = p;
	b->n++;
}

int
run_batch_send(struct run_batch *b, const struct db_stmt *st,
	       const char *const *params, PGresult **out)
{
	const struct db_stmt *sts[RUN_BATCH_MAX + 2];
	const char *const *ps[RUN_BATCH_MAX + 2];
	const char *const lock[] = {b->run_id};
	const char *code;
	PGresult *res;
	int i, n = 0, tries;

	if (b->n == 0 && st == NULL)
		return 0;
	if (b->n + (st != NULL) > 1) {
		sts[n] = &run_batch_lock;
		ps[n++] = lock;
	}
	for (i = 0; i < b->n; i++) {
		sts[n] = b->st[i];
		ps[n++] = (const char *const *)b->params[i];
	}
	if (st != NULL) {
		sts[n] = st;
		ps[n++] = params;
	}
	for (tries = 0; tries < 60; tries++) {
		res = n == 1 ? db_exec(b->db, sts[0], ps[0], &code)
			     : db_exec_all(b->db, n, sts, ps, &code);
		if (res != NULL) {
			if (out != NULL)
				*out = res;
			else
				PQclear(res);
			run_batch_drop(b);
			return 0;
		}
		if (code == NULL || strcmp(code, "08000") != 0 ||
		    *b->lease_lost)
			break;
		sleep(1);
	}
	log_msg(LOG_ERROR, NULL, "run %s: statement %s failed", b->run_id,
		sts[n - 1]->name);
	run_batch_drop(b);
	return -1;
}

void
run_batch_cleanup(struct run_batch *b)
{
	run_batch_drop(b);
}
