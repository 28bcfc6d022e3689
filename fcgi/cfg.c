/* Configuration: every OPSCONDUCTOR_* variable, read once and validated.
 * This is the only file that calls getenv(). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"

struct cfg cfg = {.log_level = LOG_INFO};

static int cfg_int(const char *name, int dflt, int min, int max, int *out);
static char *cfg_path(const char *dir, const char *file);

static int
cfg_int(const char *name, int dflt, int min, int max, int *out)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0') {
		*out = dflt;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		fprintf(stderr,
			"configuration: %s=\"%s\" is not an integer between "
			"%d and %d\n",
			name, s, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static char *
cfg_path(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);

	if (p == NULL)
		abort();
	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

int
cfg_load(const char *component)
{
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	char name[96];
	const char *s;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int i, body_max, rc = 0;
	size_t k;

	cfg.component = component;
	s = getenv("OPSCONDUCTOR_VAR");
	if (s == NULL || s[0] != '/') {
		fprintf(stderr, "configuration: OPSCONDUCTOR_VAR must be the "
				"absolute path of the state directory\n");
		return -1;
	}
	cfg.var_dir = s;
	s = getenv("OPSCONDUCTOR_DATABASE_URL");
	if (s == NULL || *s == '\0') {
		fprintf(stderr, "configuration: OPSCONDUCTOR_DATABASE_URL is "
				"not set (a libpq connection string)\n");
		return -1;
	}
	cfg.database_url = s;

	snprintf(name, sizeof(name), "OPSCONDUCTOR_%s_LISTEN", component);
	for (k = 0; name[k] != '\0'; k++)
		name[k] = (char)toupper((unsigned char)name[k]);
	s = getenv(name);
	if (s != NULL && *s != '\0') {
		cfg.listen = s;
	} else {
		char *sock = malloc(strlen(component) + 16);

		if (sock == NULL)
			abort();
		sprintf(sock, "run/%s.sock", component);
		cfg.listen = cfg_path(cfg.var_dir, sock);
		free(sock);
	}

	if (cores < 1)
		cores = 1;
	/* One per core, at least two: a child serves the connections nginx
	 * keeps open to it one request at a time, so every child more than
	 * the cores can run adds switching and requests queued behind a
	 * busy child. bench/run.sh on 2 cores: cached reads 11,700-24,300
	 * req/s with p99 7.6-13.2 ms with 2 per pool, 8,100-13,300 with
	 * p99 18-26 ms with 4; uncached reads and logins (argon2id, CPU
	 * bound) 10-35 % faster with 4. Raise it when requests wait long on
	 * a remote database or many people sign in at once. */
	rc |= cfg_int("OPSCONDUCTOR_POOL_WORKERS", (int)(cores > 2 ? cores : 2),
		      1, 256, &cfg.workers);
	rc |= cfg_int("OPSCONDUCTOR_BODY_MAX", 65536, 1024, 64 << 20,
		      &body_max);
	cfg.body_max = (size_t)body_max;
	rc |= cfg_int("OPSCONDUCTOR_READ_CACHE_KIB", 1024, 0, 65536,
		      &cfg.read_cache_kib);
	rc |= cfg_int("OPSCONDUCTOR_HEARTBEAT_SECONDS", 5, 1, 3600,
		      &cfg.heartbeat_s);
	rc |= cfg_int("OPSCONDUCTOR_ACCESS_TTL", 900, 30, 86400,
		      &cfg.access_ttl);
	rc |= cfg_int("OPSCONDUCTOR_REFRESH_TTL", 30 * 86400, 300,
		      365 * 86400, &cfg.refresh_ttl);
	rc |= cfg_int("OPSCONDUCTOR_ARGON2_MEMORY_KIB", 19456, 8192,
		      4 << 20, &cfg.argon2_memory_kib);
	rc |= cfg_int("OPSCONDUCTOR_ARGON2_ITERATIONS", 2, 1, 64,
		      &cfg.argon2_iterations);
	rc |= cfg_int("OPSCONDUCTOR_LOGIN_BACKOFF_AFTER", 5, 1, 1000,
		      &cfg.login_backoff_after);
	rc |= cfg_int("OPSCONDUCTOR_LOGIN_LOCK_AFTER", 10, 1, 1000,
		      &cfg.login_lock_after);
	rc |= cfg_int("OPSCONDUCTOR_LOGIN_LOCK_SECONDS", 900, 1, 86400 * 7,
		      &cfg.login_lock_s);
	rc |= cfg_int("OPSCONDUCTOR_LOGIN_ADDRESS_LIMIT", 50, 1, 1000000,
		      &cfg.login_addr_limit);
	rc |= cfg_int("OPSCONDUCTOR_WORKER_THREADS", 32, 1, 512,
		      &cfg.worker_threads);
	rc |= cfg_int("OPSCONDUCTOR_LEASE_SECONDS", 30, 5, 3600, &cfg.lease_s);
	rc |= cfg_int("OPSCONDUCTOR_POLL_SECONDS", 5, 1, 3600, &cfg.poll_s);
	rc |= cfg_int("OPSCONDUCTOR_EVENTS_HEARTBEAT_SECONDS", 15, 1, 3600,
		      &cfg.events_heartbeat_s);
	rc |= cfg_int("OPSCONDUCTOR_EVENTS_MAX_STREAMS", 1000, 1, 100000,
		      &cfg.events_max_streams);
	rc |= cfg_int("OPSCONDUCTOR_EVENTS_QUEUE_KIB", 4096, 64, 1 << 20,
		      &cfg.events_queue_kib);
	rc |= cfg_int("OPSCONDUCTOR_EVENTS_RETENTION_DAYS", 7, 1, 3650,
		      &cfg.events_retention_days);
	if (rc == 0 && cfg.login_lock_after < cfg.login_backoff_after) {
		fprintf(stderr, "configuration: OPSCONDUCTOR_LOGIN_LOCK_AFTER "
				"must not be below "
				"OPSCONDUCTOR_LOGIN_BACKOFF_AFTER\n");
		rc = -1;
	}

	s = getenv("OPSCONDUCTOR_LOG_LEVEL");
	if (s != NULL && *s != '\0') {
		for (i = 0; i < 4; i++)
			if (strcmp(s, levels[i]) == 0)
				break;
		if (i == 4) {
			fprintf(stderr, "configuration: OPSCONDUCTOR_LOG_LEVEL="
					"\"%s\" is not debug, info, warn or "
					"error\n", s);
			rc = -1;
		} else {
			cfg.log_level = i;
		}
	}
	s = getenv("OPSCONDUCTOR_REQUIRED_COMPONENTS");
	cfg.required = (s != NULL && *s != '\0') ? s : "identity";
	for (s = cfg.required; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && *s != ',' && *s != '-') {
			fprintf(stderr, "configuration: "
					"OPSCONDUCTOR_REQUIRED_COMPONENTS must be "
					"a comma-separated list of component "
					"names\n");
			rc = -1;
			break;
		}

	cfg.jwt_signing_key = cfg_path(cfg.var_dir, "keys/jwt-signing.pem");
	cfg.jwt_verify_key = cfg_path(cfg.var_dir, "keys/jwt-verify.pem");
	cfg.identity_key = cfg_path(cfg.var_dir, "keys/identity-secret.key");
	cfg.db_password_dir = cfg_path(cfg.var_dir, "keys/db");
	cfg.secrets_dir = cfg_path(cfg.var_dir, "keys/secrets");
	return rc == 0 ? 0 : -1;
}

char *
cfg_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (1u << 20)) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = realloc(data, cap + 1);
			if (data == NULL)
				abort();
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	if (len != NULL)
		*len = n;
	return data;
}
