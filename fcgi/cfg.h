/* Configuration: every OPSCONDUCTOR_* variable, read once and validated. */
#ifndef OC_CFG_H
#define OC_CFG_H

#include <stddef.h>

struct cfg {
	const char *component;    /* "identity", "assets", ..., "worker" */
	const char *var_dir;      /* OPSCONDUCTOR_VAR (absolute) */
	const char *database_url; /* OPSCONDUCTOR_DATABASE_URL (conninfo/URL) */
	const char *listen;       /* OPSCONDUCTOR_<COMPONENT>_LISTEN: a unix
				   * socket path or host:port; default
				   * $VAR/run/<component>.sock */
	int workers;              /* OPSCONDUCTOR_POOL_WORKERS (1..256,
				   * default: 4 per core) */
	size_t body_max;          /* OPSCONDUCTOR_BODY_MAX bytes (default
				   * 65536) */
	int log_level;            /* OPSCONDUCTOR_LOG_LEVEL debug|info|warn|
				   * error */
	int heartbeat_s;          /* OPSCONDUCTOR_HEARTBEAT_SECONDS (5) */
	int read_cache_kib;       /* OPSCONDUCTOR_READ_CACHE_KIB (1024): a
				   * pool process's cache of GET answers;
				   * 0 turns it off */
	const char *required;     /* OPSCONDUCTOR_REQUIRED_COMPONENTS,
				   * comma list (default "identity") */
	/* identity */
	int access_ttl;           /* OPSCONDUCTOR_ACCESS_TTL seconds (900) */
	int refresh_ttl;          /* OPSCONDUCTOR_REFRESH_TTL seconds (30d) */
	int argon2_memory_kib;    /* OPSCONDUCTOR_ARGON2_MEMORY_KIB (19456) */
	int argon2_iterations;    /* OPSCONDUCTOR_ARGON2_ITERATIONS (2) */
	int login_backoff_after;  /* OPSCONDUCTOR_LOGIN_BACKOFF_AFTER (5) */
	int login_lock_after;     /* OPSCONDUCTOR_LOGIN_LOCK_AFTER (10) */
	int login_lock_s;         /* OPSCONDUCTOR_LOGIN_LOCK_SECONDS (900) */
	int login_addr_limit;     /* OPSCONDUCTOR_LOGIN_ADDRESS_LIMIT (50):
				   * failures from one address before it
				   * is blocked for login_lock_s */
	/* worker */
	int worker_threads;       /* OPSCONDUCTOR_WORKER_THREADS (32) */
	int lease_s;              /* OPSCONDUCTOR_LEASE_SECONDS (30) */
	int poll_s;               /* OPSCONDUCTOR_POLL_SECONDS (5): fallback
				   * when a NOTIFY is missed */
	/* events */
	int events_heartbeat_s;   /* OPSCONDUCTOR_EVENTS_HEARTBEAT_SECONDS
				   * (15): ": hb" comment on an idle stream,
				   * and how often credentials are checked
				   * again */
	int events_max_streams;   /* OPSCONDUCTOR_EVENTS_MAX_STREAMS (1000) */
	int events_queue_kib;     /* OPSCONDUCTOR_EVENTS_QUEUE_KIB (4096):
				   * a stream whose unsent events pass this
				   * is dropped (slow client) */
	int events_retention_days; /* OPSCONDUCTOR_EVENTS_RETENTION_DAYS (7):
				    * older events are deleted (worker) */
	/* derived paths under var_dir */
	const char *jwt_signing_key; /* keys/jwt-signing.pem (identity only) */
	const char *jwt_verify_key;  /* keys/jwt-verify.pem */
	const char *identity_key;    /* keys/identity-secret.key (32 bytes) */
	const char *db_password_dir; /* keys/db/ (<role>.password files) */
	const char *secrets_dir;     /* keys/secrets/ (v<N>.pub, v<N>.key) */
};

extern struct cfg cfg;

/* Reads the environment for component into cfg. On a bad value prints a
 * message naming the variable to stderr and returns -1. */
int cfg_load(const char *component);
/* Reads a whole small file (keys, passwords) into arena-free heap memory;
 * returns NULL if missing. *len gets its size. Caller frees. */
char *cfg_read_file(const char *path, size_t *len);

#endif
