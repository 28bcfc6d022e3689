/* A job's step graph, walked per target: a FIFO of reached steps. */
#ifndef OC_RUN_GRAPH_H
#define OC_RUN_GRAPH_H

#include <json-c/json.h>

#define RUN_GRAPH_MAX 100 /* steps in a job (the API's limit) */

struct run_graph_walk {
	int queue[RUN_GRAPH_MAX];
	int head, nqueue;
	unsigned char reached[RUN_GRAPH_MAX];
};

/* Index of the start step (def.start, else the first), or -1. */
int run_graph_start(json_object *def);
int run_graph_count(json_object *def);
/* The shell commands a target's walk may run over SSH at most: one per
 * ssh.command step, three per ssh.script (directory, script, cleanup). */
int run_graph_ssh_commands(json_object *def);
void run_graph_walk_init(struct run_graph_walk *w, json_object *def);
/* The next step to run, or -1 when the walk is over. */
int run_graph_walk_next(struct run_graph_walk *w);
/* Queues the steps after step (its on_success or on_failure edges, then
 * always), those not reached before, in list order. */
void run_graph_follow(json_object *def, int step, int succeeded,
		      struct run_graph_walk *w);

#endif
