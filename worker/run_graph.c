/* A job's step graph: finding steps and the order steps are reached in
 * (from "start"; after a step, its on_success or on_failure edges, then
 * "always", each step at most once). */
#include <string.h>

#include "run.h"
#include "run_graph.h"

int
run_graph_find(json_object *def, const char *id)
{
	json_object *steps, *st, *v;
	size_t i, n;

	if (id == NULL || !json_object_object_get_ex(def, "steps", &steps))
		return -1;
	n = json_object_array_length(steps);
	for (i = 0; i < n; i++) {
		st = json_object_array_get_idx(steps, i);
		if (json_object_object_get_ex(st, "id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return (int)i;
	}
	return -1;
}

int
run_graph_start(json_object *def)
{
	json_object *v;

	if (json_object_object_get_ex(def, "start", &v) &&
	    json_object_is_type(v, json_type_string))
		return run_graph_find(def, json_object_get_string(v));
	if (json_object_object_get_ex(def, "steps", &v) &&
	    json_object_array_length(v) > 0)
		return 0;
	return -1;
}

int
run_graph_count(json_object *def)
{
	json_object *v;

	if (!json_object_object_get_ex(def, "steps", &v) ||
	    !json_object_is_type(v, json_type_array))
		return 0;
	return (int)json_object_array_length(v);
}

int
run_graph_ssh_commands(json_object *def)
{
	json_object *steps, *type;
	const char *t;
	size_t i, n;
	int count = 0;

	if (!json_object_object_get_ex(def, "steps", &steps) ||
	    !json_object_is_type(steps, json_type_array))
		return 0;
	n = json_object_array_length(steps);
	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(
			json_object_array_get_idx(steps, i), "type", &type))
			continue;
		t = json_object_get_string(type);
		if (t != NULL && strcmp(t, "ssh.command") == 0)
			count++;
		else if (t != NULL && strcmp(t, "ssh.script") == 0)
			count += 3;
	}
	return count;
}

void
run_graph_follow(json_object *def, int step, int succeeded,
		 struct run_graph_walk *w)
{
	static const char *const edges_ok[] = {"on_success", "always"};
	static const char *const edges_bad[] = {"on_failure", "always"};
	const char *const *edges = succeeded ? edges_ok : edges_bad;
	json_object *steps, *st, *list;
	size_t i, n;
	int e, to;

	if (!json_object_object_get_ex(def, "steps", &steps))
		return;
	st = json_object_array_get_idx(steps, (size_t)step);
	for (e = 0; e < 2; e++) {
		if (!json_object_object_get_ex(st, edges[e], &list) ||
		    !json_object_is_type(list, json_type_array))
			continue;
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			to = run_graph_find(
			    def, json_object_get_string(
				     json_object_array_get_idx(list, i)));
			if (to >= 0 && to < RUN_GRAPH_MAX && !w->reached[to] &&
			    w->nqueue < RUN_GRAPH_MAX) {
				w->reached[to] = 1;
				w->queue[w->nqueue++] = to;
			}
		}
	}
}

void
run_graph_walk_init(struct run_graph_walk *w, json_object *def)
{
	int s = run_graph_start(def);

	memset(w, 0, sizeof(*w));
	if (s >= 0 && s < RUN_GRAPH_MAX) {
		w->reached[s] = 1;
		w->queue[w->nqueue++] = s;
	}
}

int
run_graph_walk_next(struct run_graph_walk *w)
{
	if (w->head >= w->nqueue)
		return -1;
	return w->queue[w->head++];
}

int
run_graph_success_path(json_object *def, int *order, int max)
{
	struct run_graph_walk w;
	int s, n = 0;

	run_graph_walk_init(&w, def);
	for (s = run_graph_walk_next(&w); s >= 0 && n < max;
	     s = run_graph_walk_next(&w)) {
		order[n++] = s;
		run_graph_follow(def, s, 1, &w);
	}
	return n;
}
