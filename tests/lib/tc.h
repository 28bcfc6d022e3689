/* The integration-test client: HTTPS requests through nginx (libcurl), JSON
 * answers (json-c), direct database access for setup and inspection
 * (libpq), and the checks every integration file ends with. */
#ifndef OC_TC_H
#define OC_TC_H

#include <stddef.h>
#include <json-c/json.h>

/* One answer. Everything it points to stays valid until tc_done(). */
struct tc_res {
	long status;        /* HTTP status, 0 when the request failed */
	char *body;         /* NUL-terminated ("" when empty) */
	size_t body_len;
	char *headers;      /* the raw header block of the final answer */
	json_object *json;  /* the parsed body when it is JSON, else NULL */
	double ms;          /* total time of the request */
	const char *method; /* what was asked, for diagnostics */
	const char *path;
};

/* Options of one request; zero means "the default". */
struct tc_opt {
	const char *raw;          /* body bytes instead of body (may hold
				   * NUL bytes, raw_len of them) */
	size_t raw_len;
	const char *content_type; /* default "application/json" with a body;
				   * "" sends no Content-Type at all */
	const char *authorization; /* the whole Authorization value,
				    * instead of "Bearer <token>" */
	const char *cookie;       /* Cookie header value, "a=b; c=d" */
	const char *const *headers; /* extra "Name: value" lines, NULL
				     * terminated */
	const char *source;       /* source address "127.0.0.N"; default
				   * the file's own (tc_init) */
	const char *base;         /* another base URL than OC_TEST_URL */
	long timeout_ms;          /* default 30000 */
};

/* Reads OC_TEST_* (BAIL_OUT when OC_TEST_URL is unset), binds requests to
 * 127.0.0.<addr_octet> so that per-address limits of one file never touch
 * another, and records the pool processes for the crash check. */
void tc_init(int addr_octet);
/* Ends a file: one failing test per 5xx answer seen (unless allowed) and
 * one test that every pool process seen at the start is still the same
 * process. Frees everything. Call before done_testing(). */
void tc_done(void);
/* 503 "unavailable" answers are expected (database restart test); other
 * 5xx still fail. */
void tc_allow_unavailable(int yes);
/* Uses another stack from now on (OC_TEST_URL otherwise). */
void tc_set_base(const char *url);
const char *tc_base(void);
/* An environment variable that must be set (BAIL_OUT otherwise). */
const char *tc_env(const char *name);

/* A request. path starts with "/"; token (may be NULL) is sent as
 * "Authorization: Bearer <token>"; body (may be NULL) as
 * application/json. */
struct tc_res *tc_req(const char *method, const char *path,
		      const char *token, const char *body);
struct tc_res *tc_req_opt(const char *method, const char *path,
			  const char *token, const char *body,
			  const struct tc_opt *opt);
/* GET with a formatted path. */
struct tc_res *tc_get(const char *token, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The value of the first header called name (case-insensitive), or NULL.
 * tc_cookie: the value of cookie name set by Set-Cookie, or NULL;
 * tc_set_cookie: that whole Set-Cookie line. */
const char *tc_header(const struct tc_res *r, const char *name);
const char *tc_cookie(const struct tc_res *r, const char *name);
const char *tc_set_cookie(const struct tc_res *r, const char *name);

/* JSON of an answer by dotted path: "user.id", "items.0.username".
 * NULL when absent. tc_str gives strings (numbers and booleans as
 * their JSON text); tc_int gives dflt when absent or not a number. */
json_object *tc_json(json_object *o, const char *path);
const char *tc_str(const struct tc_res *r, const char *path);
long long tc_int(const struct tc_res *r, const char *path, long long dflt);
const char *tc_jstr(json_object *o, const char *path);
/* 1 when the answer's "errors" names field. */
int tc_has_field_error(const struct tc_res *r, const char *field);
/* Prints r (request, status, headers, body) as TAP diagnostics. */
void tc_show(const struct tc_res *r);

/* Checks: each emits exactly one test and shows the answer on failure. */
int tc_status_is_at(const struct tc_res *r, long status, const char *file,
		    int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* status, Content-Type application/problem+json and type
 * "urn:opsconductor:problem:<slug>". */
int tc_problem_is_at(const struct tc_res *r, long status, const char *slug,
		     const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
#define tc_status_is(r, status, ...) \
	tc_status_is_at(r, status, __FILE__, __LINE__, __VA_ARGS__)
#define tc_problem_is(r, status, slug, ...) \
	tc_problem_is_at(r, status, slug, __FILE__, __LINE__, __VA_ARGS__)

/* Registers a secret the test uses (each line of at least TC_SECRET_MIN
 * characters, PEM armour lines left out) in $OC_TEST_OUT/secrets/, which
 * scripts/check.sh looks for in every log of the stack after the run.
 * tc_req does it by itself for the password, new_password,
 * current_password, private_key, passphrase and token fields of a JSON
 * body, and for the "secret" of an answer (TOTP enrollment). */
#define TC_SECRET_MIN 8
void tc_secret(const char *s);

/* Strings that live until tc_done(). */
char *tc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *tc_strdup(const char *s);
/* s as a JSON string literal with its quotes. */
const char *tc_quote(const char *s);
/* A username unique to this run: "<prefix>-<pid>-<n>". */
const char *tc_name(const char *prefix);
/* size bytes that live until tc_done(). */
void *tc_alloc(size_t size);
/* A password that satisfies the policy, different on every call. */
const char *tc_password(void);

/* A user made for one test. Lives until tc_done(). */
struct tc_user {
	const char *id;
	const char *username;
	const char *password;
	const char *role;
	const char *token;   /* after tc_user_login */
	const char *refresh;
	const char *session; /* sid of the last login */
};

/* The bootstrap admin's access token (logged in once per file). */
const char *tc_admin_token(void);
/* Login; the answer as it came (tc_login_res may send a TOTP code).
 * tc_login gives the access token or NULL. Waits out nginx's login
 * rate limit (429 with Retry-After <= 2) a few times. */
struct tc_res *tc_login_res(const char *user, const char *password,
			    const char *totp_code);
const char *tc_login(const char *user, const char *password);
/* Creates a user with a unique name made from prefix; NULL (and a
 * diagnostic) on failure. */
struct tc_user *tc_create_user(const char *admin_token, const char *prefix,
			       const char *role);
/* Logs u in; sets u->token, u->refresh, u->session. 0 or -1. */
int tc_user_login(struct tc_user *u);
/* tc_create_user + tc_user_login with the bootstrap admin. */
struct tc_user *tc_new_user(const char *prefix, const char *role);

/* Superuser SQL on OC_TEST_DB. Parameters are text values up to a NULL
 * sentinel. tc_db_exec returns the rows affected or -1; tc_db_value the
 * first column of the first row (NULL when none or on error);
 * tc_db_count the same read as a number (-1 on error). */
int tc_db_exec(const char *sql, ...) __attribute__((sentinel));
const char *tc_db_value(const char *sql, ...) __attribute__((sentinel));
long long tc_db_count(const char *sql, ...) __attribute__((sentinel));
/* Closes the database connection (tc_done does it). */
void tc_db_close(void);

/* The up pool processes in /api/v1/health, as "kind/role/pid" lines
 * sorted (base: NULL for the current stack). NULL when health cannot be
 * read. */
const char *tc_pool_pids(const char *base);
/* Records the crash-check baseline again (after tc_set_base). */
void tc_crash_baseline(void);

/* Time: monotonic milliseconds. */
double tc_now_ms(void);

#endif
