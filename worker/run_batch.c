/* A run target's pending writes, sent with its next statement in one
 * transaction, together with what other targets send at the same time
 * (see run_batch.h). The group commit has no thread of its own: the first
 * target thread to find no transaction in flight leads, sends everything
 * waiting on its own connection, hands each target its result, and the
 * next group is led by a thread whose statements arrived meanwhile. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "run_batch.h"

#define RUN_BATCH_GROUP 64 /* requests in one transaction at most */

/* First in every transaction of several statements, for each run in it:
 * the run's row before any other row or the event lock, in the order of
 * the claim and of recovery (runs, then steps and targets, then events),
 * so a transaction never holds the event lock while it waits for a run. */
static const struct db_stmt run_batch_lock = {
    "run_batch_lock",
    "SELECT 1 FROM automation.runs WHERE id = $1::uuid FOR KEY SHARE", 1};

/* One target's statements waiting for a group. */
struct run_batch_req {
	const char *run_id;
	int n;
	const struct db_stmt *const *st;
	const char *const *const *params;
	PGresult *res;	  /* the last statement's, when done */
	const char *code; /* NULL, or the failure's SQLSTATE (the leader's
			     thread-local copy: compare at once) */
	int done;
	struct run_batch_req *next;
};

static pthread_mutex_t run_batch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_batch_cv = PTHREAD_COND_INITIALIZER;
static struct run_batch_req *run_batch_head, **run_batch_tail = &run_batch_head;
static int run_batch_leading; /* a group is in flight */

static void run_batch_drop(struct run_batch *b);
static void run_batch_one(struct db *db, struct run_batch_req *q);
static void run_batch_group(struct db *db, struct run_batch_req *list);
static void run_batch_exec(struct db *db, struct run_batch_req *q);
static int run_batch_run(struct run_batch *b, const struct db_stmt *st,
			 const char *const *params, PGresult **out, int group);

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

/* q alone: a single statement as it is, several after the run's lock. */
static void
run_batch_one(struct db *db, struct run_batch_req *q)
{
	const struct db_stmt *sts[RUN_BATCH_MAX + 2];
	const char *const *ps[RUN_BATCH_MAX + 2];
	const char *const lock[] = {q->run_id};
	PGresult *res[RUN_BATCH_MAX + 2];
	int i;

	if (q->n == 1) {
		q->res = db_exec(db, q->st[0], q->params[0], &q->code);
		return;
	}
	sts[0] = &run_batch_lock;
	ps[0] = lock;
	for (i = 0; i < q->n; i++) {
		sts[i + 1] = q->st[i];
		ps[i + 1] = q->params[i];
	}
	if (db_exec_all(db, q->n + 1, sts, ps, res, &q->code) < 0)
		return;
	for (i = 0; i < q->n; i++)
		PQclear(res[i]);
	q->res = res[q->n];
}

/* Several requests in one transaction: every run's lock first, then each
 * request's statements in turn. On a failure other than a lost
 * connection each is sent again on its own. */
static void
run_batch_group(struct db *db, struct run_batch_req *list)
{
	const struct db_stmt **sts;
	const char *const **ps;
	PGresult **res;
	struct run_batch_req *q;
	const char *code = NULL;
	int n = 0, k = 0, i;

	for (q = list; q != NULL; q = q->next)
		n += q->n + 1;
	sts = calloc((size_t)n, sizeof(*sts));
	ps = calloc((size_t)n, sizeof(*ps));
	res = calloc((size_t)n, sizeof(*res));
	if (sts == NULL || ps == NULL || res == NULL)
		abort();
	for (q = list; q != NULL; q = q->next) {
		sts[k] = &run_batch_lock;
		ps[k++] = &q->run_id;
	}
	for (q = list; q != NULL; q = q->next)
		for (i = 0; i < q->n; i++) {
			sts[k] = q->st[i];
			ps[k++] = q->params[i];
		}
	if (db_exec_all(db, n, sts, ps, res, &code) == 0) {
		k = 0;
		for (q = list; q != NULL; q = q->next)
			k++;
		for (q = list; q != NULL; q = q->next) {
			k += q->n;
			q->res = res[k - 1];
			res[k - 1] = NULL;
		}
		for (i = 0; i < n; i++)
			PQclear(res[i]);
	} else if (code != NULL && strcmp(code, "08000") == 0) {
		for (q = list; q != NULL; q = q->next)
			q->code = "08000";
	} else {
		for (q = list; q != NULL; q = q->next)
			run_batch_one(db, q);
	}
	free(sts);
	free(ps);
	free(res);
}

/* Runs q with whatever else is waiting, or waits while another thread
 * does; q->res and q->code are set when it returns. */
static void
run_batch_exec(struct db *db, struct run_batch_req *q)
{
	struct run_batch_req *list, **tail;
	int k;

	q->done = 0;
	q->next = NULL;
	pthread_mutex_lock(&run_batch_mu);
	*run_batch_tail = q;
	run_batch_tail = &q->next;
	while (!q->done) {
		if (run_batch_leading) {
			pthread_cond_wait(&run_batch_cv, &run_batch_mu);
			continue;
		}
		/* Lead: take up to RUN_BATCH_GROUP waiting requests. */
		run_batch_leading = 1;
		list = run_batch_head;
		tail = &run_batch_head;
		for (k = 0; *tail != NULL && k < RUN_BATCH_GROUP; k++)
			tail = &(*tail)->next;
		run_batch_head = *tail;
		if (run_batch_head == NULL)
			run_batch_tail = &run_batch_head;
		*tail = NULL;
		pthread_mutex_unlock(&run_batch_mu);
		if (list->next == NULL)
			run_batch_one(db, list);
		else
			run_batch_group(db, list);
		pthread_mutex_lock(&run_batch_mu);
		for (; list != NULL; list = list->next)
			list->done = 1;
		run_batch_leading = 0;
		pthread_cond_broadcast(&run_batch_cv);
	}
	pthread_mutex_unlock(&run_batch_mu);
}

int
run_batch_send(struct run_batch *b, const struct db_stmt *st,
	       const char *const *params, PGresult **out)
{
	return run_batch_run(b, st, params, out, 1);
}

int
run_batch_read(struct run_batch *b, const struct db_stmt *st,
	       const char *const *params, PGresult **out)
{
	return run_batch_run(b, st, params, out, 0);
}

/* run_batch_send, in a group or (a read) on b's own connection. */
static int
run_batch_run(struct run_batch *b, const struct db_stmt *st,
	      const char *const *params, PGresult **out, int group)
{
	const struct db_stmt *sts[RUN_BATCH_MAX + 1];
	const char *const *ps[RUN_BATCH_MAX + 1];
	struct run_batch_req q;
	int i, n = 0, tries;

	if (b->n == 0 && st == NULL)
		return 0;
	for (i = 0; i < b->n; i++) {
		sts[n] = b->st[i];
		ps[n++] = (const char *const *)b->params[i];
	}
	if (st != NULL) {
		sts[n] = st;
		ps[n++] = params;
	}
	memset(&q, 0, sizeof(q));
	q.run_id = b->run_id;
	q.n = n;
	q.st = sts;
	q.params = ps;
	for (tries = 0; tries < 60; tries++) {
		q.res = NULL;
		q.code = NULL;
		if (group)
			run_batch_exec(b->db, &q);
		else
			run_batch_one(b->db, &q);
		if (q.res != NULL) {
			if (out != NULL)
				*out = q.res;
			else
				PQclear(q.res);
			run_batch_drop(b);
			return 0;
		}
		if (q.code == NULL || strcmp(q.code, "08000") != 0 ||
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
