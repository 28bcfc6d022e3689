/* The http.request executor: one HTTP(S) request through libcurl from the
 * worker, body streamed and captured, status and headers as results,
 * stopped at its time limit or on cancel within 100 ms. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "stepio.h"

#define STEP_HTTP_TIMEOUT_S 30
#define STEP_HTTP_BODY_MAX (64LL * 1048576) /* read at most, then fail */
#define STEP_HTTP_HEADERS_MAX 65536	    /* bytes of response headers */
#define STEP_HTTP_POLL_MS 100

/* One request in flight. */
struct step_http {
	struct step_call *c;
	long long received; /* body bytes */
	int too_large;	    /* STEP_HTTP_BODY_MAX passed */
	int stopped;	    /* the progress callback saw cancel */
	size_t header_bytes;
	json_object *headers; /* lower-case name -> value */
};

static size_t step_http_on_body(char *p, size_t size, size_t n, void *ud);
static size_t step_http_on_header(char *p, size_t size, size_t n, void *ud);
static int step_http_on_progress(void *ud, curl_off_t a, curl_off_t b,
				 curl_off_t cc, curl_off_t d);
static int step_http_scheme_ok(const char *url);
static int step_http_expected(const struct step_call *c, long status,
			      char *list, size_t cap);
static struct curl_slist *step_http_headers(struct step_call *c, int *bad);

static size_t
step_http_on_body(char *p, size_t size, size_t n, void *ud)
{
	struct step_http *h = ud;

	n *= size;
	if (h->received + (long long)n > STEP_HTTP_BODY_MAX) {
		h->too_large = 1;
		return 0;
	}
	h->received += (long long)n;
	stepio_output(h->c, 1, p, n);
	return n;
}

static size_t
step_http_on_header(char *p, size_t size, size_t n, void *ud)
{
	struct step_http *h = ud;
	char name[128], *val, *old;
	size_t len = n * size, nl, vl, i;
	json_object *prev;

	h->header_bytes += len;
	if (h->header_bytes > STEP_HTTP_HEADERS_MAX)
		return len; /* ignored past the cap */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): its headers only. */
		json_object_put(h->headers);
		h->headers = json_object_new_object();
		return len;
	}
	val = memchr(p, ':', len);
	if (val == NULL)
		return len;
	nl = (size_t)(val - p);
	if (nl == 0 || nl >= sizeof(name))
		return len;
	for (i = 0; i < nl; i++)
		name[i] = (char)tolower((unsigned char)p[i]);
	name[nl] = '\0';
	val++;
	vl = len - nl - 1;
	while (vl > 0 && (*val == ' ' || *val == '\t')) {
		val++;
		vl--;
	}
	while (vl > 0 && (val[vl - 1] == '\r' || val[vl - 1] == '\n' ||
			  val[vl - 1] == ' '))
		vl--;
	if (json_object_object_get_ex(h->headers, name, &prev)) {
		/* Repeated headers are joined as RFC 9110 allows. */
		size_t pl = strlen(json_object_get_string(prev));

		old = malloc(pl + vl + 3);
		if (old == NULL)
			abort();
		memcpy(old, json_object_get_string(prev), pl);
		memcpy(old + pl, ", ", 2);
		memcpy(old + pl + 2, val, vl);
		old[pl + 2 + vl] = '\0';
		json_object_object_add(h->headers, name,
				       json_object_new_string(old));
		free(old);
	} else {
		json_object_object_add(
		    h->headers, name, json_object_new_string_len(val, (int)vl));
	}
	return len;
}

static int
step_http_on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t cc,
		      curl_off_t d)
{
	struct step_http *h = ud;

	(void)a;
	(void)b;
	(void)cc;
	(void)d;
	if (h->c->cancel != NULL && *h->c->cancel) {
		h->stopped = 1;
		return 1;
	}
	return 0;
}

/* 1 for an http:// or https:// URL. */
static int
step_http_scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 ||
	       strncasecmp(url, "https://", 8) == 0;
}

/* 1 when status is one of expect_status (default 200-299); list gets the
 * expected values for a message. */
static int
step_http_expected(const struct step_call *c, long status, char *list,
		   size_t cap)
{
	json_object *v, *e;
	size_t i, n, o = 0;
	int hit = 0;

	list[0] = '\0';
	if (c->inputs == NULL ||
	    !json_object_object_get_ex(c->inputs, "expect_status", &v) ||
	    v == NULL ||
	    (json_object_is_type(v, json_type_array) &&
	     json_object_array_length(v) == 0)) {
		snprintf(list, cap, "200-299");
		return status >= 200 && status <= 299;
	}
	if (!json_object_is_type(v, json_type_array)) {
		snprintf(list, cap, "%d", json_object_get_int(v));
		return status == json_object_get_int(v);
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_get_int(e) == status)
			hit = 1;
		if (o + 16 < cap)
			o += (size_t)snprintf(list + o, cap - o, "%s%d",
					      i > 0 ? ", " : "",
					      json_object_get_int(e));
	}
	return hit;
}

/* The headers input as a curl list; *bad set for a name or value that
 * would break the request (line breaks, colon in a name). */
static struct curl_slist *
step_http_headers(struct step_call *c, int *bad)
{
	json_object *map = stepio_map(c, "headers");
	struct curl_slist *l = NULL, *nl;
	struct buf line;
	const char *val;

	*bad = 0;
	if (map == NULL)
		return NULL;
	json_object_object_foreach(map, k, v)
	{
		val = v != NULL ? json_object_get_string(v) : "";
		if (k[0] == '\0' || strpbrk(k, ":\r\n \t") != NULL ||
		    strpbrk(val, "\r\n") != NULL) {
			*bad = 1;
			snprintf(c->error, sizeof(c->error),
				 "the header name \"%.100s\" or its value "
				 "is not allowed (no line breaks, no colon "
				 "or space in names)",
				 k);
			break;
		}
		buf_init(&line, 65536);
		/* "Name:" alone would remove a header curl adds; "Name;"
		 * sends it empty. */
		if (val[0] == '\0')
			buf_printf(&line, "%s;", k);
		else
			buf_printf(&line, "%s: %s", k, val);
		nl = line.data != NULL ? curl_slist_append(l, line.data) : NULL;
		buf_cleanup(&line);
		if (nl == NULL) {
			*bad = 1;
			snprintf(c->error, sizeof(c->error),
				 "the header \"%.100s\" is too long", k);
			break;
		}
		l = nl;
	}
	if (*bad) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

enum step_outcome
step_http_request(struct step_call *c)
{
	const char *method = stepio_str(c, "method", "GET");
	const char *url = stepio_str(c, "url", "");
	const char *body = stepio_str(c, "body", NULL);
	long long timeout_s, deadline, now;
	struct step_http h;
	struct curl_slist *hdrs = NULL;
	CURL *e = NULL;
	CURLM *m = NULL;
	CURLMsg *msg;
	CURLcode rc = CURLE_OK;
	enum step_outcome out = STEP_FAILED;
	char errbuf[CURL_ERROR_SIZE] = "", list[200], *host = NULL;
	long status = 0;
	int running = 1, left, bad, own_limit;

	memset(&h, 0, sizeof(h));
	h.c = c;
	if (!step_http_scheme_ok(url))
		return stepio_fail(c, STEP_FAILED,
				   "the URL must start with "
				   "http:// or https://");
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "PUT") != 0 && strcmp(method, "PATCH") != 0 &&
	    strcmp(method, "DELETE") != 0 && strcmp(method, "HEAD") != 0)
		return stepio_fail(c, STEP_FAILED,
				   "the method must be GET, "
				   "POST, PUT, PATCH, DELETE or HEAD");
	if (stepio_int(c, "timeout_s", STEP_HTTP_TIMEOUT_S, &timeout_s) != 0 ||
	    timeout_s < 1 || timeout_s > 86400)
		return stepio_fail(c, STEP_FAILED,
				   "timeout_s must be an "
				   "integer from 1 to 86400");
	hdrs = step_http_headers(c, &bad);
	if (bad)
		return STEP_FAILED;
	/* The earlier of the request's own limit and the step's. */
	deadline = stepio_now_ms() + timeout_s * 1000;
	own_limit = 1;
	if (c->timeout_ms > 0 && stepio_deadline(c) < deadline) {
		deadline = stepio_deadline(c);
		own_limit = 0;
	}
	h.headers = json_object_new_object();
	e = curl_easy_init();
	m = curl_multi_init();
	if (e == NULL || m == NULL) {
		out = stepio_fail(c, STEP_FAILED, "cannot start libcurl");
		goto done;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "OpsConductor");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, step_http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, step_http_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, step_http_on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, &h);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	if (!stepio_bool(c, "verify_tls", 1)) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
		if (body != NULL) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)strlen(body));
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		} else if (strcmp(method, "DELETE") != 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)0);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		}
	}
	curl_multi_add_handle(m, e);
	/* Our own loop rather than curl_easy_perform: cancel and the time
	 * limit are looked at every 100 ms whatever the server does. */
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (!running)
			break;
		if (c->cancel != NULL && *c->cancel) {
			h.stopped = 1;
			break;
		}
		now = stepio_now_ms();
		if (now >= deadline)
			break;
		left = (int)(deadline - now);
		curl_multi_poll(
		    m, NULL, 0,
		    left < STEP_HTTP_POLL_MS ? left : STEP_HTTP_POLL_MS, NULL);
	}
	rc = CURLE_OPERATION_TIMEDOUT;
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	}
	if (running && h.stopped)
		rc = CURLE_ABORTED_BY_CALLBACK;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	{
		char *p = NULL;

		curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &p);
		host = p != NULL && p[0] != '\0' ? strdup(p) : NULL;
	}
	if (h.stopped || rc == CURLE_ABORTED_BY_CALLBACK) {
		out = h.too_large ? STEP_FAILED : STEP_CANCELED;
		if (h.too_large)
			stepio_fail(c, out,
				    "the response body is larger "
				    "than %lld bytes",
				    STEP_HTTP_BODY_MAX);
		else
			stepio_fail(c, out, "canceled");
		goto done;
	}
	if (rc == CURLE_WRITE_ERROR && h.too_large) {
		out = stepio_fail(c, STEP_FAILED,
				  "the response body is "
				  "larger than %lld bytes",
				  STEP_HTTP_BODY_MAX);
		goto done;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		if (own_limit)
			out = stepio_fail(c, STEP_TIMED_OUT,
					  "no complete answer within "
					  "timeout_s (%lld s)",
					  timeout_s);
		else
			out = stepio_fail(c, STEP_TIMED_OUT,
					  "the step's time limit was reached "
					  "(%g s)",
					  c->timeout_ms / 1000.0);
		goto done;
	}
	if (rc != CURLE_OK) {
		out = stepio_fail(c, STEP_FAILED, "the request failed: %s",
				  errbuf[0] != '\0' ? errbuf
						    : curl_easy_strerror(rc));
		goto done;
	}
	c->exit_code = (int)status;
	json_object_put(c->outputs);
	c->outputs = json_object_new_object();
	json_object_object_add(c->outputs, "status",
			       json_object_new_int((int)status));
	json_object_object_add(c->outputs, "headers", h.headers);
	h.headers = NULL;
	if (!step_http_expected(c, status, list, sizeof(list))) {
		out = stepio_fail(c, STEP_FAILED,
				  "HTTP status %ld is not one of the "
				  "expected (%s)",
				  status, list);
		goto done;
	}
	out = STEP_SUCCEEDED;
done:
	if (host != NULL && status > 0)
		stepio_note(c, "%s answered HTTP %ld", host, status);
	free(host);
	if (m != NULL && e != NULL)
		curl_multi_remove_handle(m, e);
	if (e != NULL)
		curl_easy_cleanup(e);
	if (m != NULL)
		curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	json_object_put(h.headers);
	return out;
}
