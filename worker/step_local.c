/* Steps that run on the worker itself: local.noop and local.sleep. */
#include <stdio.h>
#include <time.h>

#include "step.h"

static long long step_local_now_ms(void);

static long long
step_local_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum step_outcome
step_local_noop(struct step_call *c)
{
	c->exit_code = 0;
	return *c->cancel ? STEP_CANCELED : STEP_SUCCEEDED;
}

/* Waits "seconds", in slices of at most 50 ms so that a cancel or the
 * step's timeout ends it at once. */
enum step_outcome
step_local_sleep(struct step_call *c)
{
	json_object *v;
	long long start = step_local_now_ms(), end, now, left;
	struct timespec ts;
	int secs = 0;

	if (json_object_object_get_ex(c->inputs, "seconds", &v))
		secs = json_object_get_int(v);
	end = start + (long long)secs * 1000;
	for (;;) {
		if (*c->cancel) {
			snprintf(c->error, sizeof(c->error), "canceled");
			return STEP_CANCELED;
		}
		now = step_local_now_ms();
		if (now >= end)
			break;
		if (c->timeout_ms > 0 && now - start >= c->timeout_ms) {
			snprintf(c->error, sizeof(c->error),
				 "timed out after %d ms", c->timeout_ms);
			return STEP_TIMED_OUT;
		}
		left = end - now;
		if (c->timeout_ms > 0 && start + c->timeout_ms - now < left)
			left = start + c->timeout_ms - now;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		nanosleep(&ts, NULL);
	}
	c->exit_code = 0;
	return STEP_SUCCEEDED;
}
