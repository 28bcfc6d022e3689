/* The integration-test client: HTTPS through nginx, JSON answers, database
 * setup and inspection, and the 5xx and crash checks at the end of a file. */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "enc.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define TC_BODY_MAX (8u << 20)
#define TC_HEAD_MAX (64u << 10)

static struct {
	struct arena *arena; /* everything handed out lives here */
	CURL *curl;
	const char *base;
	char source[40];
	int allow_503;
	int logfd;
	unsigned seq;
	const char *baseline; /* pool processes at the start */
	struct buf bad;       /* one line per 5xx or failed transfer */
	int nbad;
	int nreq;
} tc = {.logfd = -1};

static size_t tc_on_body(char *p, size_t size, size_t n, void *ud);
static size_t tc_on_header(char *p, size_t size, size_t n, void *ud);
static void tc_json_put(void *o);
static void tc_record(const struct tc_res *r);
static int tc_line_cmp(const void *a, const void *b);
static void tc_secrets_of_body(const char *body);

/* Secrets already registered by this process, the latest ones. */
#define TC_SECRETS_SEEN 32

static void
tc_json_put(void *o)
{
	json_object_put(o);
}

double
tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *
tc_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		BAIL_OUT("%s is not set: run the integration tests with "
			 "`make check` (or export the OC_TEST_* variables of "
			 "a running stack)",
			 name);
	return v;
}

void
tc_init(int addr_octet)
{
	const char *out;
	char path[4096];

	tc.arena = arena_new(64 * 1024);
	tc.base = tc_env("OC_TEST_URL");
	if (addr_octet < 1 || addr_octet > 254)
		BAIL_OUT("tc_init: bad address octet %d", addr_octet);
	snprintf(tc.source, sizeof(tc.source), "127.0.0.%d", addr_octet);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		BAIL_OUT("curl_global_init failed");
	tc.curl = curl_easy_init();
	if (tc.curl == NULL)
		BAIL_OUT("curl_easy_init failed");
	buf_init(&tc.bad, 1u << 20);
	out = getenv("OC_TEST_OUT");
	if (out != NULL && *out != '\0') {
		snprintf(path, sizeof(path), "%s/responses.log", out);
		tc.logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				0600);
	}
	tc_crash_baseline();
	if (tc.baseline == NULL)
		BAIL_OUT("GET %s/api/v1/health gives no component list: is "
			 "the stack running?",
			 tc.base);
}

void
tc_crash_baseline(void)
{
	tc.baseline = tc_pool_pids(NULL);
	if (tc.baseline != NULL)
		note("pool processes:\n%s", tc.baseline);
}

void
tc_allow_unavailable(int yes)
{
	tc.allow_503 = yes;
}

void
tc_set_base(const char *url)
{
	tc.base = tc_strdup(url);
}

const char *
tc_base(void)
{
	return tc.base;
}

static size_t
tc_on_body(char *p, size_t size, size_t n, void *ud)
{
	return buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

/* Keeps only the headers of the last response (after 100 Continue or a
 * redirect, a new status line starts over). */
static size_t
tc_on_header(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		buf_reset(b);
	return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

/* Appends the answer to responses.log (one write) and remembers 5xx. */
static void
tc_record(const struct tc_res *r)
{
	char *line;
	ssize_t w;

	tc.nreq++;
	if (tc.logfd >= 0) {
		line = arena_printf(tc.arena, "%s %s %ld\n%s\n", r->method,
				    r->path, r->status, r->body);
		w = write(tc.logfd, line, strlen(line));
		(void)w;
	}
	if (r->status == 0 || (r->status >= 500 &&
			       !(r->status == 503 && tc.allow_503))) {
		tc.nbad++;
		buf_printf(&tc.bad, "%s %s -> %ld %.300s\n", r->method, r->path,
			   r->status, r->body);
	}
}

struct tc_res *
tc_req_opt(const char *method, const char *path, const char *token,
	   const char *body, const struct tc_opt *opt)
{
	static const struct tc_opt none;
	struct tc_res *r = arena_alloc(tc.arena, sizeof(*r));
	struct curl_slist *hdr = NULL;
	struct buf b, h;
	const char *ct, *src;
	char *x;
	const char *const *e;
	double t0;
	CURLcode rc;
	int has_body;

	if (opt == NULL)
		opt = &none;
	r->method = arena_strdup(tc.arena, method);
	r->path = arena_strdup(tc.arena, path);
	buf_init(&b, TC_BODY_MAX);
	buf_init(&h, TC_HEAD_MAX);
	curl_easy_reset(tc.curl);
	x = arena_printf(tc.arena, "%s%s", opt->base ? opt->base : tc.base,
			 path);
	curl_easy_setopt(tc.curl, CURLOPT_URL, x);
	curl_easy_setopt(tc.curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(tc.curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(tc.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(tc.curl, CURLOPT_TIMEOUT_MS,
			 opt->timeout_ms > 0 ? opt->timeout_ms : 30000L);
	src = opt->source != NULL ? opt->source : tc.source;
	x = arena_printf(tc.arena, "host!%s", src);
	curl_easy_setopt(tc.curl, CURLOPT_INTERFACE, x);
	curl_easy_setopt(tc.curl, CURLOPT_WRITEFUNCTION, tc_on_body);
	curl_easy_setopt(tc.curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(tc.curl, CURLOPT_HEADERFUNCTION, tc_on_header);
	curl_easy_setopt(tc.curl, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(tc.curl, CURLOPT_USERAGENT, "oc-tests/1");

	has_body = opt->raw != NULL || body != NULL;
	if (strcmp(method, "GET") == 0 && !has_body) {
		curl_easy_setopt(tc.curl, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(tc.curl, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(tc.curl, CURLOPT_POST, 1L);
		if (opt->raw != NULL) {
			curl_easy_setopt(tc.curl, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)opt->raw_len);
			curl_easy_setopt(tc.curl, CURLOPT_POSTFIELDS, opt->raw);
		} else {
			curl_easy_setopt(tc.curl, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(body ? strlen(body) : 0));
			curl_easy_setopt(tc.curl, CURLOPT_POSTFIELDS,
					 body ? body : "");
		}
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(tc.curl, CURLOPT_CUSTOMREQUEST,
					 method);
	}
	/* No Expect: 100-continue and no form content type from curl. */
	hdr = curl_slist_append(hdr, "Expect:");
	ct = opt->content_type;
	if (ct == NULL && has_body)
		ct = "application/json";
	if (ct == NULL || *ct == '\0')
		hdr = curl_slist_append(hdr, "Content-Type:");
	else
		hdr = curl_slist_append(
			hdr, arena_printf(tc.arena, "Content-Type: %s", ct));
	if (opt->authorization != NULL)
		hdr = curl_slist_append(
			hdr, arena_printf(tc.arena, "Authorization: %s",
					  opt->authorization));
	else if (token != NULL)
		hdr = curl_slist_append(
			hdr,
			arena_printf(tc.arena, "Authorization: Bearer %s", token));
	for (e = opt->headers; e != NULL && *e != NULL; e++)
		hdr = curl_slist_append(hdr, *e);
	curl_easy_setopt(tc.curl, CURLOPT_HTTPHEADER, hdr);
	if (opt->cookie != NULL)
		curl_easy_setopt(tc.curl, CURLOPT_COOKIE, opt->cookie);

	t0 = tc_now_ms();
	rc = curl_easy_perform(tc.curl);
	r->ms = tc_now_ms() - t0;
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		diag("%s %s: %s", method, path, curl_easy_strerror(rc));
		r->status = 0;
	} else {
		curl_easy_getinfo(tc.curl, CURLINFO_RESPONSE_CODE, &r->status);
	}
	r->body_len = b.len;
	r->body = arena_strndup(tc.arena, b.data ? b.data : "", b.len);
	r->headers = arena_strndup(tc.arena, h.data ? h.data : "", h.len);
	buf_cleanup(&b);
	buf_cleanup(&h);
	ct = tc_header(r, "Content-Type");
	if (ct != NULL && strstr(ct, "json") != NULL && r->body_len > 0) {
		r->json = json_tokener_parse(r->body);
		if (r->json != NULL)
			arena_cleanup_add(tc.arena, tc_json_put, r->json);
	}
	if (opt->raw == NULL && body != NULL)
		tc_secrets_of_body(body);
	/* TOTP enrollment answers with the shared secret. */
	if (r->status >= 200 && r->status < 300 &&
	    tc_jstr(r->json, "secret") != NULL)
		tc_secret(tc_jstr(r->json, "secret"));
	tc_record(r);
	return r;
}

/* The secret fields of a JSON request body, registered for the run's log
 * check. A value that holds the body's username (or is held by it) is
 * left out: it may appear in the logs as the name. */
static void
tc_secrets_of_body(const char *body)
{
	static const char *const names[] = {
	    "password",	  "new_password", "current_password",
	    "private_key", "passphrase",   "token"};
	json_object *o = json_tokener_parse(body);
	const char *v, *user;
	size_t i;

	if (o == NULL)
		return;
	if (json_object_is_type(o, json_type_object)) {
		user = tc_jstr(o, "username");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			v = tc_jstr(o, names[i]);
			if (v == NULL || (user != NULL && *user != '\0' &&
					  (strstr(v, user) != NULL ||
					   strstr(user, v) != NULL)))
				continue;
			tc_secret(v);
		}
	}
	json_object_put(o);
}

void
tc_secret(const char *s)
{
	const char *out = getenv("OC_TEST_OUT"), *p, *nl;
	char path[4096];
	FILE *f;
	size_t n;

	static char *seen[TC_SECRETS_SEEN];
	static unsigned next;
	unsigned i;

	if (out == NULL || *out == '\0' || s == NULL)
		return;
	/* The same secret again (a login in a loop): written once. */
	for (i = 0; i < TC_SECRETS_SEEN; i++)
		if (seen[i] != NULL && strcmp(seen[i], s) == 0)
			return;
	free(seen[next % TC_SECRETS_SEEN]);
	seen[next++ % TC_SECRETS_SEEN] = strdup(s);
	snprintf(path, sizeof(path), "%s/secrets", out);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/secrets/%ld.txt", out,
		 (long)getpid());
	f = fopen(path, "a");
	if (f == NULL)
		return;
	/* One line each: a key body is checked line by line. */
	for (p = s; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n >= TC_SECRET_MIN && n <= 4096 &&
		    memcmp(p, "-----", 5) != 0)
			fprintf(f, "%.*s\n", (int)n, p);
	}
	fclose(f);
}

struct tc_res *
tc_req(const char *method, const char *path, const char *token,
       const char *body)
{
	return tc_req_opt(method, path, token, body, NULL);
}

struct tc_res *
tc_get(const char *token, const char *fmt, ...)
{
	va_list ap;
	char *path = NULL;
	struct tc_res *r;

	va_start(ap, fmt);
	if (vasprintf(&path, fmt, ap) < 0)
		abort();
	va_end(ap);
	r = tc_req("GET", path, token, NULL);
	free(path);
	return r;
}

const char *
tc_header(const struct tc_res *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->headers, *v, *end;

	while (p != NULL && *p != '\0') {
		end = strstr(p, "\r\n");
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			v = p + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return arena_strndup(tc.arena, v, (size_t)(end - v));
		}
		p = *end != '\0' ? end + 2 : end;
	}
	return NULL;
}

const char *
tc_set_cookie(const struct tc_res *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->headers, *v, *end;

	while (p != NULL && *p != '\0') {
		end = strstr(p, "\r\n");
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > 11 &&
		    strncasecmp(p, "Set-Cookie:", 11) == 0) {
			v = p + 11;
			while (*v == ' ')
				v++;
			if (strncmp(v, name, n) == 0 && v[n] == '=')
				return arena_strndup(tc.arena, v,
						     (size_t)(end - v));
		}
		p = *end != '\0' ? end + 2 : end;
	}
	return NULL;
}

const char *
tc_cookie(const struct tc_res *r, const char *name)
{
	const char *line = tc_set_cookie(r, name);

	if (line == NULL)
		return NULL;
	line += strlen(name) + 1;
	return arena_strndup(tc.arena, line, strcspn(line, ";"));
}

json_object *
tc_json(json_object *o, const char *path)
{
	char *copy, *part, *save = NULL, *end;
	json_object *v = o;
	long idx;

	if (o == NULL)
		return NULL;
	copy = arena_strdup(tc.arena, path);
	for (part = strtok_r(copy, ".", &save); part != NULL && v != NULL;
	     part = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array)) {
			idx = strtol(part, &end, 10);
			if (*end != '\0' || idx < 0 ||
			    (size_t)idx >= json_object_array_length(v))
				return NULL;
			v = json_object_array_get_idx(v, (size_t)idx);
		} else if (json_object_is_type(v, json_type_object)) {
			if (!json_object_object_get_ex(v, part, &v))
				return NULL;
		} else {
			return NULL;
		}
	}
	return v;
}

const char *
tc_jstr(json_object *o, const char *path)
{
	json_object *v = tc_json(o, path);

	if (v == NULL)
		return NULL;
	return arena_strdup(tc.arena, json_object_get_string(v));
}

const char *
tc_str(const struct tc_res *r, const char *path)
{
	return tc_jstr(r->json, path);
}

long long
tc_int(const struct tc_res *r, const char *path, long long dflt)
{
	json_object *v = tc_json(r->json, path);

	if (v == NULL || !(json_object_is_type(v, json_type_int) ||
			   json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_int64(v);
}

int
tc_has_field_error(const struct tc_res *r, const char *field)
{
	json_object *errs = tc_json(r->json, "errors"), *e;
	size_t i;

	if (errs == NULL || !json_object_is_type(errs, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(errs); i++) {
		e = json_object_array_get_idx(errs, i);
		if (tc_jstr(e, "field") != NULL &&
		    strcmp(tc_jstr(e, "field"), field) == 0)
			return 1;
	}
	return 0;
}

/* The request and answer, for a failed check. */
void
tc_show(const struct tc_res *r)
{
	diag("    %s %s -> %ld (%.0f ms)\n    Content-Type: %s\n    %.1500s",
	     r->method, r->path, r->status, r->ms,
	     tc_header(r, "Content-Type") ? tc_header(r, "Content-Type")
					  : "(none)",
	     r->body);
}

int
tc_status_is_at(const struct tc_res *r, long status, const char *file,
		int line, const char *fmt, ...)
{
	char *desc = NULL;
	va_list ap;
	int pass;

	va_start(ap, fmt);
	if (vasprintf(&desc, fmt, ap) < 0)
		abort();
	va_end(ap);
	pass = ok_at(r->status == status, file, line, "%s", desc);
	free(desc);
	if (!pass) {
		diag("    expected status %ld", status);
		tc_show(r);
	}
	return pass;
}

int
tc_problem_is_at(const struct tc_res *r, long status, const char *slug,
		 const char *file, int line, const char *fmt, ...)
{
	const char *ct = tc_header(r, "Content-Type");
	const char *type = tc_str(r, "type");
	char *desc = NULL, want[128];
	va_list ap;
	int pass;

	snprintf(want, sizeof(want), "urn:opsconductor:problem:%s", slug);
	pass = r->status == status && ct != NULL &&
	       strncasecmp(ct, "application/problem+json", 24) == 0 &&
	       type != NULL && strcmp(type, want) == 0 &&
	       tc_int(r, "status", 0) == status;
	va_start(ap, fmt);
	if (vasprintf(&desc, fmt, ap) < 0)
		abort();
	va_end(ap);
	pass = ok_at(pass, file, line, "%s", desc);
	free(desc);
	if (!pass) {
		diag("    expected %ld %s", status, want);
		tc_show(r);
	}
	return pass;
}

char *
tc_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, *out;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	out = arena_strdup(tc.arena, s);
	free(s);
	return out;
}

char *
tc_strdup(const char *s)
{
	return s != NULL ? arena_strdup(tc.arena, s) : NULL;
}

const char *
tc_quote(const char *s)
{
	json_object *o = json_object_new_string(s);
	char *out = arena_strdup(
		tc.arena,
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return out;
}

void *
tc_alloc(size_t size)
{
	return arena_alloc(tc.arena, size);
}

const char *
tc_name(const char *prefix)
{
	return tc_printf("%s-%ld-%u", prefix, (long)getpid(), ++tc.seq);
}

const char *
tc_password(void)
{
	unsigned char raw[12];
	char hex[25];

	crypto_random(raw, sizeof(raw));
	enc_hex(hex, raw, sizeof(raw));
	return tc_printf("Tc!%s-Zq%u", hex, ++tc.seq);
}

static int
tc_line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *
tc_pool_pids(const char *base)
{
	struct tc_opt o = {.base = base, .timeout_ms = 10000};
	json_object *list, *c;
	struct tc_res *r;
	const char *state, *role;
	char **lines, *out;
	size_t i, n, k = 0, len = 1;

	r = tc_req_opt("GET", "/api/v1/health", NULL, NULL, &o);
	list = tc_json(r->json, "components");
	if (list == NULL || !json_object_is_type(list, json_type_array))
		return NULL;
	n = json_object_array_length(list);
	lines = arena_alloc(tc.arena, sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(list, i);
		state = tc_jstr(c, "state");
		role = tc_jstr(c, "role");
		if (state == NULL || strcmp(state, "up") != 0 || role == NULL ||
		    (strcmp(role, "master") != 0 && strcmp(role, "child") != 0))
			continue;
		lines[k] = tc_printf("%s/%s/%s", tc_jstr(c, "kind"), role,
				     tc_jstr(c, "pid"));
		len += strlen(lines[k]) + 1;
		k++;
	}
	qsort(lines, k, sizeof(char *), tc_line_cmp);
	out = arena_alloc(tc.arena, len);
	for (i = 0; i < k; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	return out;
}

void
tc_done(void)
{
	const char *now, *p, *nl;
	char *line;
	int missing = 0;

	if (!ok(tc.nbad == 0, "no answer was a 5xx or missing (%d requests)",
		tc.nreq))
		diag("%s", tc.bad.data);
	now = tc_pool_pids(NULL);
	if (tc.baseline == NULL || now == NULL) {
		fail("the pool processes can be compared with the start");
	} else {
		for (p = tc.baseline; *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			line = arena_printf(tc.arena, "\n%.*s\n",
					    (int)(nl - p), p);
			if (strstr(tc_printf("\n%s", now), line) == NULL) {
				diag("gone: %s", line + 1);
				missing++;
			}
		}
		if (!ok(missing == 0 && *tc.baseline != '\0',
			"no pool process died during this file"))
			diag("at the start:\n%snow:\n%s", tc.baseline, now);
	}
	tc_db_close();
	curl_easy_cleanup(tc.curl);
	tc.curl = NULL;
	curl_global_cleanup();
	if (tc.logfd >= 0)
		close(tc.logfd);
	tc.logfd = -1;
	buf_cleanup(&tc.bad);
	arena_free(tc.arena);
	tc.arena = NULL;
}
