/* A domain program: prefork supervisor plus the request loop. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "auth.h"
#include "authcache.h"
#include "cfg.h"
#include "component.h"
#include "db.h"
#include "health.h"
#include "http.h"
#include "inval.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "route.h"

#define POOL_DRAIN_SECONDS 20

struct pool_child {
	pid_t pid;
	time_t started;
	int quick_deaths; /* consecutive deaths within a second of start */
};

static const struct pool_def *pool_def;
static struct route *pool_routes;
static size_t pool_nroutes;
static int pool_fd = -1;
static sigset_t pool_sigs;

static pid_t pool_spawn(void);
static void pool_child_main(void) __attribute__((noreturn));
static void pool_beat(struct db *db, const struct pool_child *kids, int n);
static void pool_reap(struct db *db, struct pool_child *kids, int n,
		      int respawn);
static void pool_drain(struct db *db, struct pool_child *kids, int n);

int
pool_routes_build(const struct pool_def *def)
{
	char *metrics_path;
	size_t n = def->nroutes;

	pool_routes = calloc(n + 2, sizeof(*pool_routes));
	metrics_path = malloc(strlen(def->name) + 32);
	if (pool_routes == NULL || metrics_path == NULL)
		abort();
	memcpy(pool_routes, def->routes, n * sizeof(*pool_routes));
	strcpy(metrics_path, "/api/v1/metrics/");
	strcat(metrics_path, def->name);
	pool_routes[n] = (struct route){"GET", "/api/v1/health", health_get,
					ROLE_PUBLIC, NULL, NULL, 0};
	pool_routes[n + 1] = (struct route){"GET", metrics_path,
					    health_metrics, ROLE_ADMIN, NULL,
					    NULL, 0};
	pool_nroutes = n + 2;
	return route_table_check(pool_routes, pool_nroutes);
}

static void
pool_child_main(void)
{
	struct http_ctx ctx;
	struct sigaction sa;

	/* A worker must not outlive a master killed without warning. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_UNBLOCK, &pool_sigs, NULL);
	/* Large blocks (argon2's memory) go back to the system when freed
	 * instead of staying in the heap: a fixed threshold also stops
	 * glibc from raising it after the first such free. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
	if (auth_init() < 0)
		_exit(2);
	if (pool_def->child_init != NULL && pool_def->child_init() < 0)
		_exit(2);
	memset(&ctx, 0, sizeof(ctx));
	ctx.routes = pool_routes;
	ctx.nroutes = pool_nroutes;
	ctx.arena = arena_new(16384);
	ctx.db = db_new(pool_def->db_role);
	db_ensure(ctx.db);
	if (inval_enable(ctx.db) == 0)
		authcache_enable();
	http_serve(&ctx, pool_fd);
	_exit(0);
}

static pid_t
pool_spawn(void)
{
	pid_t pid = fork();

	if (pid == 0)
		pool_child_main();
	if (pid < 0)
		log_msg(LOG_ERROR, NULL, "fork failed: %s", strerror(errno));
	return pid;
}

static void
pool_beat(struct db *db, const struct pool_child *kids, int n)
{
	int i;

	if (component_beat(db, "master", getpid()) < 0)
		return;
	for (i = 0; i < n; i++)
		if (kids[i].pid > 0)
			component_beat(db, "child", kids[i].pid);
}

static void
pool_reap(struct db *db, struct pool_child *kids, int n, int respawn)
{
	time_t now = time(NULL);
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < n; i++)
			if (kids[i].pid == pid)
				break;
		if (i == n)
			continue;
		if (WIFSIGNALED(st))
			log_msg(LOG_ERROR, NULL, "child %d killed by signal %d",
				(int)pid, WTERMSIG(st));
		else if (respawn)
			log_msg(WEXITSTATUS(st) == 0 ? LOG_INFO : LOG_ERROR,
				NULL, "child %d exited with status %d",
				(int)pid, WEXITSTATUS(st));
		component_stop(db, pid);
		kids[i].pid = 0;
		if (!respawn)
			continue;
		kids[i].quick_deaths =
			now - kids[i].started <= 1 ? kids[i].quick_deaths + 1
						   : 0;
		/* A child that dies at once every time is not helped by a
		 * tight fork loop; slow down. */
		if (kids[i].quick_deaths > 3)
			sleep(1);
		metrics_worker_restarted();
		kids[i].pid = pool_spawn();
		kids[i].started = time(NULL);
		if (kids[i].pid > 0)
			component_beat(db, "child", kids[i].pid);
	}
}

static void
pool_drain(struct db *db, struct pool_child *kids, int n)
{
	struct timespec step = {1, 0};
	time_t until = time(NULL) + POOL_DRAIN_SECONDS;
	int i, alive;

	component_beat(db, "master", getpid());
	for (i = 0; i < n; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGTERM);
	for (;;) {
		pool_reap(db, kids, n, 0);
		for (alive = 0, i = 0; i < n; i++)
			alive += kids[i].pid > 0;
		if (alive == 0 || time(NULL) >= until)
			break;
		sigtimedwait(&pool_sigs, NULL, &step);
	}
	for (i = 0; i < n; i++)
		if (kids[i].pid > 0) {
			log_msg(LOG_WARN, NULL,
				"child %d did not finish in %d s; killing it",
				(int)kids[i].pid, POOL_DRAIN_SECONDS);
			kill(kids[i].pid, SIGKILL);
			waitpid(kids[i].pid, NULL, 0);
			component_stop(db, kids[i].pid);
		}
}

const struct route *
pool_routes_get(size_t *n)
{
	*n = pool_nroutes;
	return pool_routes;
}

int
pool_main(const struct pool_def *def)
{
	struct timespec tick = {1, 0};
	struct pool_child *kids;
	time_t next_beat = 0, next_purge = 0, now;
	struct db *db;
	int i, sig;

	pool_def = def;
	log_init(def->name);
	if (cfg_load(def->name) < 0)
		return 2;
	if (pool_routes_build(def) < 0 ||
	    metrics_init(pool_routes, pool_nroutes) < 0)
		return 1;
	/* Fail fast on a missing key rather than in every child. */
	if (auth_init() < 0)
		return 2;
	pool_fd = http_listen(cfg.listen);
	if (pool_fd < 0)
		return 1;

	sigemptyset(&pool_sigs);
	sigaddset(&pool_sigs, SIGCHLD);
	sigaddset(&pool_sigs, SIGTERM);
	sigaddset(&pool_sigs, SIGINT);
	sigaddset(&pool_sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &pool_sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	db = db_new(def->db_role);
	kids = calloc((size_t)cfg.workers, sizeof(*kids));
	if (kids == NULL)
		abort();
	for (i = 0; i < cfg.workers; i++) {
		kids[i].pid = pool_spawn();
		kids[i].started = time(NULL);
	}
	log_msg(LOG_INFO, NULL, "listening on %s with %d workers", cfg.listen,
		cfg.workers);

	for (;;) {
		now = time(NULL);
		if (now >= next_beat) {
			pool_beat(db, kids, cfg.workers);
			next_beat = now + cfg.heartbeat_s;
		}
		if (now >= next_purge) {
			component_purge(db);
			next_purge = now + 600;
		}
		sig = sigtimedwait(&pool_sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			log_msg(LOG_INFO, NULL, "SIGHUP: restarting workers");
			for (i = 0; i < cfg.workers; i++)
				if (kids[i].pid > 0)
					kill(kids[i].pid, SIGTERM);
		}
		pool_reap(db, kids, cfg.workers, 1);
	}

	log_msg(LOG_INFO, NULL, "stopping: draining %d workers", cfg.workers);
	pool_drain(db, kids, cfg.workers);
	component_stop(db, getpid());
	if (cfg.listen[0] == '/')
		unlink(cfg.listen);
	db_free(db);
	free(kids);
	log_msg(LOG_INFO, NULL, "stopped");
	return 0;
}
