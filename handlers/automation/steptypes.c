/* The step library over HTTP: every step type with its inputs, for the
 * job editor. */
#include "problem.h"
#include "req.h"
#include "steptype.h"
#include "steptypes.h"

int
steptypes_list(struct req *r)
{
	const struct steptype *all;
	json_object *o, *items;
	int i, n;

	all = steptype_all(&n);
	items = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(items, steptype_json(&all[i]));
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", json_object_new_int(n));
	return req_reply(r, 200, o);
}

int
steptypes_get(struct req *r)
{
	const struct steptype *t = steptype_find(req_param(r, "name"));

	if (t == NULL)
		return problem(r, PROBLEM_NOT_FOUND,
			       "There is no such step type.");
	return req_reply(r, 200, steptype_json(t));
}
