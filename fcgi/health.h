/* Routes every pool serves: health of all components, pool metrics. */
#ifndef OC_HEALTH_H
#define OC_HEALTH_H

struct req;

/* GET /api/v1/health (public). */
int health_get(struct req *r);
/* GET /api/v1/metrics/<pool> (admin). */
int health_metrics(struct req *r);

#endif
