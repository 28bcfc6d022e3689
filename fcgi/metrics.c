/* Pool-wide request metrics in shared memory, rendered for Prometheus. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

static const int metrics_codes[] = {200, 201, 202, 204, 301, 304, 400,
				    401, 403, 404, 405, 409, 412, 413,
				    415, 422, 423, 428, 429, 500, 502, 503};
#define METRICS_NCODES (sizeof(metrics_codes) / sizeof(metrics_codes[0]))
static const double metrics_le_ms[] = {0.5, 1,   2.5, 5,    10,   25,
				       50,  100, 250, 500, 1000, 2500};
#define METRICS_NBUCKETS (sizeof(metrics_le_ms) / sizeof(metrics_le_ms[0]))

struct metrics_route {
	uint64_t status[METRICS_NCODES + 1]; /* last: any other status */
	uint64_t bucket[METRICS_NBUCKETS + 1]; /* last: +Inf */
	uint64_t sum_us;
	uint64_t count;
};

struct metrics_shm {
	uint64_t restarts;
	struct metrics_route routes[]; /* nroutes + 1 (unmatched) */
};

static struct metrics_shm *metrics_shm;
static const struct route *metrics_routes;
static size_t metrics_nroutes;

static void metrics_add(uint64_t *p, uint64_t n);

static void
metrics_add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

int
metrics_init(const struct route *routes, size_t n)
{
	size_t size = sizeof(struct metrics_shm) +
		      (n + 1) * sizeof(struct metrics_route);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		log_msg(LOG_ERROR, NULL, "metrics: mmap failed");
		return -1;
	}
	metrics_shm = p;
	metrics_routes = routes;
	metrics_nroutes = n;
	return 0;
}

void
metrics_worker_restarted(void)
{
	if (metrics_shm != NULL)
		metrics_add(&metrics_shm->restarts, 1);
}

void
metrics_observe(size_t route_idx, int status, double dur_ms)
{
	struct metrics_route *m;
	size_t i;

	if (metrics_shm == NULL)
		return;
	if (route_idx > metrics_nroutes)
		route_idx = metrics_nroutes;
	m = &metrics_shm->routes[route_idx];
	for (i = 0; i < METRICS_NCODES; i++)
		if (metrics_codes[i] == status)
			break;
	metrics_add(&m->status[i], 1);
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (dur_ms <= metrics_le_ms[i])
			break;
	metrics_add(&m->bucket[i], 1);
	metrics_add(&m->sum_us, (uint64_t)(dur_ms * 1000.0));
	metrics_add(&m->count, 1);
}

char *
metrics_render(struct arena *a)
{
	const char *pool = cfg.component;
	struct metrics_route *m;
	struct buf b;
	const char *method, *pattern;
	uint64_t v, cum;
	size_t r, i;
	char *out;

	buf_init(&b, 4 << 20);
	buf_printf(&b,
		   "# HELP opsconductor_http_requests_total Requests answered "
		   "by the pool, by route and status.\n"
		   "# TYPE opsconductor_http_requests_total counter\n");
	for (r = 0; metrics_shm != NULL && r <= metrics_nroutes; r++) {
		m = &metrics_shm->routes[r];
		method = r < metrics_nroutes ? metrics_routes[r].method : "";
		pattern = r < metrics_nroutes ? metrics_routes[r].pattern
					      : "unmatched";
		for (i = 0; i <= METRICS_NCODES; i++) {
			v = __atomic_load_n(&m->status[i], __ATOMIC_RELAXED);
			if (v == 0)
				continue;
			if (i < METRICS_NCODES)
				buf_printf(&b,
					   "opsconductor_http_requests_total{"
					   "pool=\"%s\",method=\"%s\",route="
					   "\"%s\",status=\"%d\"} %lu\n",
					   pool, method, pattern,
					   metrics_codes[i], (unsigned long)v);
			else
				buf_printf(&b,
					   "opsconductor_http_requests_total{"
					   "pool=\"%s\",method=\"%s\",route="
					   "\"%s\",status=\"other\"} %lu\n",
					   pool, method, pattern,
					   (unsigned long)v);
		}
	}
	buf_printf(&b, "# HELP opsconductor_http_request_duration_seconds "
		       "Time from request start to response, by route.\n"
		       "# TYPE opsconductor_http_request_duration_seconds "
		       "histogram\n");
	for (r = 0; metrics_shm != NULL && r <= metrics_nroutes; r++) {
		m = &metrics_shm->routes[r];
		if (__atomic_load_n(&m->count, __ATOMIC_RELAXED) == 0)
			continue;
		method = r < metrics_nroutes ? metrics_routes[r].method : "";
		pattern = r < metrics_nroutes ? metrics_routes[r].pattern
					      : "unmatched";
		cum = 0;
		for (i = 0; i <= METRICS_NBUCKETS; i++) {
			cum += __atomic_load_n(&m->bucket[i], __ATOMIC_RELAXED);
			if (i < METRICS_NBUCKETS)
				buf_printf(&b,
					   "opsconductor_http_request_duration_"
					   "seconds_bucket{pool=\"%s\",method="
					   "\"%s\",route=\"%s\",le=\"%g\"} "
					   "%lu\n",
					   pool, method, pattern,
					   metrics_le_ms[i] / 1000.0,
					   (unsigned long)cum);
			else
				buf_printf(&b,
					   "opsconductor_http_request_duration_"
					   "seconds_bucket{pool=\"%s\",method="
					   "\"%s\",route=\"%s\",le=\"+Inf\"} "
					   "%lu\n",
					   pool, method, pattern,
					   (unsigned long)cum);
		}
		buf_printf(&b,
			   "opsconductor_http_request_duration_seconds_sum{"
			   "pool=\"%s\",method=\"%s\",route=\"%s\"} %.6f\n"
			   "opsconductor_http_request_duration_seconds_count{"
			   "pool=\"%s\",method=\"%s\",route=\"%s\"} %lu\n",
			   pool, method, pattern,
			   (double)__atomic_load_n(&m->sum_us,
						   __ATOMIC_RELAXED) /
				   1e6,
			   pool, method, pattern, (unsigned long)cum);
	}
	buf_printf(&b,
		   "# HELP opsconductor_pool_worker_restarts_total Worker "
		   "processes restarted after dying.\n"
		   "# TYPE opsconductor_pool_worker_restarts_total counter\n"
		   "opsconductor_pool_worker_restarts_total{pool=\"%s\"} %lu\n"
		   "# HELP opsconductor_pool_workers Configured worker "
		   "processes.\n"
		   "# TYPE opsconductor_pool_workers gauge\n"
		   "opsconductor_pool_workers{pool=\"%s\"} %d\n",
		   pool,
		   metrics_shm != NULL
			   ? (unsigned long)__atomic_load_n(
				     &metrics_shm->restarts, __ATOMIC_RELAXED)
			   : 0UL,
		   pool, cfg.workers);
	out = arena_strndup(a, b.data != NULL ? b.data : "", b.len);
	buf_cleanup(&b);
	return out;
}
