/* GET /api/v1/events: the caller's server-sent event stream. */
#ifndef OC_EVENTS_STREAM_H
#define OC_EVENTS_STREAM_H

struct req;
#include "valid.h"

/* ?run=ID (repeatable): run.log events of those runs. */
extern const struct field stream_query[];

/* Validates Last-Event-ID and the subscriptions, then hands the
 * connection to the stream runtime (fcgi/sse.h). */
int stream_open(struct req *r);

#endif
