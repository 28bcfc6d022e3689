/* End-to-end test helpers: credentials, targets, connection tests, jobs
 * and runs made through the real API (tc.h), and waiting for a run. */
#ifndef OC_E2E_H
#define OC_E2E_H

/* A credential made with POST /api/v1/credentials; body is the JSON
 * object without the name (made unique here). Its id; BAIL_OUT when
 * the API refuses. */
const char *e2e_credential(const char *tok, const char *body);
/* A target made with POST /api/v1/targets; extra is the rest of the JSON
 * object after name (",\"host\":..."). Its id; BAIL_OUT otherwise. */
const char *e2e_target(const char *tok, const char *name, const char *extra);
/* POST /api/v1/targets/{id}/test and wait for the task's end; the
 * target's reachability afterwards (GET /api/v1/targets/{id}). */
const char *e2e_conntest(const char *tok, const char *target);
/* POST /api/v1/jobs with body; the job's id; BAIL_OUT when not 201. */
const char *e2e_job(const char *tok, const char *body);
/* POST /api/v1/jobs/{job}/runs with body; the run's id (NULL, with a
 * failed test, when not 201). */
const char *e2e_run(const char *tok, const char *job, const char *body);
/* Waits until the run has ended (or seconds passed); its state as
 * GET /api/v1/runs/{id} gives it. */
const char *e2e_wait(const char *tok, const char *run, int seconds);
/* The largest core.events id now ("0" when none). */
const char *e2e_last_event(void);

#endif
