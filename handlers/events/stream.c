/* GET /api/v1/events: validates what the caller asks for (Last-Event-ID,
 * ?run= subscriptions) and opens the stream. */
#include <stdlib.h>
#include <string.h>

#include "problem.h"
#include "req.h"
#include "sse.h"
#include "valid.h"
#include "stream.h"

const struct field stream_query[] = {
	{"run", FIELD_UUID, FIELD_REPEATABLE, 0, 0, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static int stream_last_id_or_problem(struct req *r, long long *out);

/* Last-Event-ID: the id of the last event the client got, a decimal
 * number as this process sent it; absent or empty means live only. */
static int
stream_last_id_or_problem(struct req *r, long long *out)
{
	const char *h = req_env(r, "HTTP_LAST_EVENT_ID");
	size_t n;

	*out = -1;
	if (h == NULL || *h == '\0')
		return 0;
	n = strspn(h, "0123456789");
	if (n == 0 || n > 18 || h[n] != '\0')
		return problem(r, PROBLEM_BAD_REQUEST,
			       "Last-Event-ID must be the id of an event this "
			       "stream sent (a decimal number)."),
		       -1;
	*out = atoll(h);
	return 0;
}

int
stream_open(struct req *r)
{
	const char *runs[SSE_MAX_RUNS];
	long long after;
	size_t i, n = 0;

	if (stream_last_id_or_problem(r, &after) < 0)
		return r->status;
	for (i = 0; i < r->nquery; i++) {
		if (strcmp(r->query[i].key, "run") != 0)
			continue;
		if (n == SSE_MAX_RUNS)
			return problem_field(r, "run",
					     "at most %d runs per stream",
					     SSE_MAX_RUNS);
		runs[n++] = r->query[i].value;
	}
	return sse_open_or_problem(r, after, runs, n);
}
