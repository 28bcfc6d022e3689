/* The whole-job validation of the automation contract (every problem of
 * one save in one 422, keyed by JSON path). */
#ifndef OC_AUTOMATION_JOBCHECK_H
#define OC_AUTOMATION_JOBCHECK_H

#include <json-c/json.h>
#include "valid.h"

struct req;

/* The top-level fields of a job definition (POST /jobs, PUT /jobs/{id}). */
extern const struct field jobcheck_fields[];

/* Checks the job definition def (the validated body) deeply: parameters,
 * target selection (targets and groups must exist), steps, their inputs
 * against the step library, templates and their references, the edge
 * graph (unknown steps, cycles, unreachable steps), start. 0, or -1 with
 * one 422 listing every problem. */
int jobcheck_or_problem(struct req *r, json_object *def);

/* Checks a target selection {targets, groups, tags} at path (e.g.
 * "targets"), adding field problems; 0 or -1. *empty is set when it
 * selects nothing explicitly (absent, null or all lists empty). */
int jobcheck_selection(struct req *r, json_object *sel, const char *path,
		       int *empty);
/* 1 when every step of def runs on the worker (local.*, http.request). */
int jobcheck_local_only(json_object *def);

#endif
