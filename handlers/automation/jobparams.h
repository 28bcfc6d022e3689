/* Job parameters: the definitions in a job, and the values of a run or a
 * schedule checked against them. */
#ifndef OC_AUTOMATION_JOBPARAMS_H
#define OC_AUTOMATION_JOBPARAMS_H

#include <json-c/json.h>

struct req;

/* The parameter called name in a "parameters" array, or NULL. */
json_object *jobparams_named(json_object *params, const char *name);
/* Checks the "parameters" array of a job definition (names, types,
 * required, defaults against their own type and regex, regexes, bounds,
 * choices), adding a field problem for each and setting *bad. */
void jobparams_check(struct req *r, json_object *params, int *bad);
/* Checks run parameters against the definition's parameters: unknown
 * names, missing required ones, values of the wrong type or outside
 * regex/min/max/choices (422 on "params.NAME"). Defaults fill absent
 * parameters. On success *clear holds the non-secret values and *secret
 * the secret ones (new objects registered with the arena; *secret is NULL
 * when there are none). params may be NULL (none given). */
int jobparams_validate_or_problem(struct req *r, json_object *definition,
				  json_object *params, json_object **clear,
				  json_object **secret);

#endif
