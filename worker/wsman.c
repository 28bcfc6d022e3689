/* WS-Management transport of the WinRM client (see wsman.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "wsman.h"
#include "wsxml.h"

#define WSMAN_DEFAULT_TIMEOUT_MS 30000
#define URI_CMD NS_SHELL "/cmd"

static int wsman_host_ok(const char *h);
static int wsman_ascii(const char *s);
static size_t wsman_on_body(char *p, size_t size, size_t n, void *ud);
static size_t wsman_on_header(char *p, size_t size, size_t n, void *ud);
static int wsman_on_progress(void *ud, curl_off_t a, curl_off_t b,
			     curl_off_t c, curl_off_t d);
static int wsman_curl_status(struct winrm_session *s, CURLcode rc,
			     char *err, size_t errlen);
static int wsman_fault(const char *doc, size_t n, char *err, size_t errlen,
		       int *timed_out);
static void wsman_uuid(char out[37]);
static void wsman_iso_duration(char *out, size_t cap, long ms);
static void wsman_envelope(struct winrm_session *s, struct buf *b,
			   const char *action, const char *shell_id,
			   const char *options, long op_ms, const char *body);

long long
wsman_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
wsman_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Host names, IPv4 and IPv6 literals (with an optional %zone). */
static int
wsman_host_ok(const char *h)
{
	size_t i, n;

	n = strlen(h);
	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)h[i]) && strchr(".-_:%", h[i]) ==
		    NULL)
			return 0;
	}
	return 1;
}

static int
wsman_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return 0;
	}
	return 1;
}

struct winrm_session *
wsman_open(const struct winrm_target *t, int anonymous, char *err,
	   size_t errlen)
{
	struct winrm_session *s;
	int port;

	if (t->host == NULL || !wsman_host_ok(t->host)) {
		wsman_seterr(err, errlen, "the host name is missing or not "
			     "a valid name or address");
		return NULL;
	}
	port = t->port != 0 ? t->port : (t->https ? 5986 : 5985);
	if (port < 1 || port > 65535) {
		wsman_seterr(err, errlen, "port %d is out of range", port);
		return NULL;
	}
	if (!anonymous && (t->user == NULL || t->user[0] == '\0' ||
			   t->password == NULL)) {
		wsman_seterr(err, errlen, "a user name and password are "
			     "required");
		return NULL;
	}
	if (!anonymous && t->auth == WINRM_AUTH_BASIC && !t->https &&
	    !t->allow_basic_http) {
		wsman_seterr(err, errlen, "Basic authentication over plain "
			     "HTTP refused: the password would travel in "
			     "clear; use HTTPS or NTLM");
		return NULL;
	}
	if (!anonymous && t->auth == WINRM_AUTH_NTLM &&
	    (!wsman_ascii(t->user) || !wsman_ascii(t->password) ||
	     (t->domain != NULL && !wsman_ascii(t->domain)))) {
		wsman_seterr(err, errlen, "NTLM cannot be used with a user "
			     "name, domain or password that has non-ASCII "
			     "characters (libcurl hashes them as Latin-1, "
			     "Windows as UTF-16); use Basic over HTTPS");
		return NULL;
	}
	if (t->auth != WINRM_AUTH_BASIC && t->auth != WINRM_AUTH_NTLM) {
		wsman_seterr(err, errlen, "unknown authentication method");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	s->t = *t;
	s->t.port = port;
	s->anonymous = anonymous;
	buf_init(&s->resp, WSMAN_RESP_MAX);
	snprintf(s->url, sizeof(s->url), strchr(t->host, ':') != NULL
		 ? "%s://[%s]:%d/wsman" : "%s://%s:%d/wsman",
		 t->https ? "https" : "http", t->host, port);
	if (!anonymous) {
		if (t->domain != NULL && t->domain[0] != '\0' &&
		    strpbrk(t->user, "\\@") == NULL)
			snprintf(s->user, sizeof(s->user), "%s\\%s",
				 t->domain, t->user);
		else
			snprintf(s->user, sizeof(s->user), "%s", t->user);
	}
	s->curl = curl_easy_init();
	if (s->curl == NULL)
		abort();
	s->headers = curl_slist_append(NULL, "Content-Type: "
				       "application/soap+xml;charset=UTF-8");
	s->headers = curl_slist_append(s->headers, "Expect:");
	if (anonymous)
		s->headers = curl_slist_append(s->headers,
					       "WSMANIDENTIFY: unauthenticated");
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "OpsConductor WinRM");
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PROXY, "");
	curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->curlerr);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, wsman_on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, wsman_on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION,
			 wsman_on_progress);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER,
			 t->verify_tls ? 1L : 0L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST,
			 t->verify_tls ? 2L : 0L);
	if (t->ca_file != NULL && t->ca_file[0] != '\0')
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, t->ca_file);
	if (!anonymous) {
		curl_easy_setopt(s->curl, CURLOPT_HTTPAUTH,
				 t->auth == WINRM_AUTH_NTLM ? CURLAUTH_NTLM
							    : CURLAUTH_BASIC);
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, t->password);
	}
	return s;
}

void
winrm_session_free(struct winrm_session *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->headers);
	buf_cleanup(&s->resp);
	free(s);
}

static size_t
wsman_on_body(char *p, size_t size, size_t n, void *ud)
{
	struct winrm_session *s = ud;

	if (buf_append(&s->resp, p, size * n) != 0) {
		s->toobig = 1;
		return 0;
	}
	return size * n;
}

static size_t
wsman_on_header(char *p, size_t size, size_t n, void *ud)
{
	struct winrm_session *s = ud;
	size_t len = size * n, i, o = 0;

	if (len > 7 && strncasecmp(p, "Server:", 7) == 0) {
		for (i = 7; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		for (; i < len && o + 1 < sizeof(s->server); i++) {
			if (p[i] == '\r' || p[i] == '\n')
				break;
			s->server[o++] = isprint((unsigned char)p[i]) ? p[i]
								      : '?';
		}
		s->server[o] = '\0';
	}
	return len;
}

static int
wsman_on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c,
		  curl_off_t d)
{
	struct winrm_session *s = ud;

	(void)a;
	(void)b;
	(void)c;
	(void)d;
	if (!s->abortable)
		return 0;
	if (s->cancel != NULL && *s->cancel) {
		s->stopped = WINRM_ERR_CANCELED;
		return 1;
	}
	if (s->deadline_ms != 0 && wsman_now_ms() >= s->deadline_ms) {
		s->stopped = WINRM_ERR_TIMEOUT;
		return 1;
	}
	return 0;
}

static int
wsman_curl_status(struct winrm_session *s, CURLcode rc, char *err,
		  size_t errlen)
{
	const char *why = s->curlerr[0] != '\0' ? s->curlerr
						: curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		wsman_seterr(err, errlen, s->stopped == WINRM_ERR_CANCELED
			     ? "canceled" : "the time limit was reached");
		return s->stopped != 0 ? s->stopped : WINRM_ERR_CANCELED;
	case CURLE_OPERATION_TIMEDOUT:
		wsman_seterr(err, errlen, "no answer from %s:%d in time (%s)",
			     s->t.host, s->t.port, why);
		return WINRM_ERR_TIMEOUT;
	case CURLE_WRITE_ERROR:
		if (s->toobig) {
			wsman_seterr(err, errlen, "the answer exceeded %d "
				     "bytes", WSMAN_RESP_MAX);
			return WINRM_ERR_TOOBIG;
		}
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		wsman_seterr(err, errlen, "TLS with %s:%d failed: %s",
			     s->t.host, s->t.port, why);
		return WINRM_ERR_TLS;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		wsman_seterr(err, errlen, "cannot reach %s:%d: %s", s->t.host,
			     s->t.port, why);
		return WINRM_ERR_UNREACHABLE;
	default:
		break;
	}
	wsman_seterr(err, errlen, "request to %s:%d failed: %s", s->t.host,
		     s->t.port, why);
	return WINRM_ERR_PROTOCOL;
}

/* Turns a SOAP fault into err. Returns 1 when doc holds a fault. Sets
 * *timed_out for w:TimedOut (a Receive with nothing to report). */
static int
wsman_fault(const char *doc, size_t n, char *err, size_t errlen,
	    int *timed_out)
{
	struct wsxml_el f, e, code;
	const char *end = doc + n;
	char sub[128] = "", reason[400] = "", wcode[32] = "";

	if (wsxml_find(doc, end, "Fault", &f) != 0)
		return 0;
	if (wsxml_find(f.text, f.text_end, "Subcode", &e) == 0 &&
	    wsxml_find(e.text, e.text_end, "Value", &code) == 0)
		wsxml_text(&code, sub, sizeof(sub));
	if (wsxml_find(f.text, f.text_end, "Message", &e) == 0)
		wsxml_text(&e, reason, sizeof(reason));
	if (reason[0] == '\0' &&
	    wsxml_find(f.text, f.text_end, "Text", &e) == 0)
		wsxml_text(&e, reason, sizeof(reason));
	if (wsxml_find(f.text, f.text_end, "WSManFault", &e) == 0)
		wsxml_attr(&e, "Code", wcode, sizeof(wcode));
	if (timed_out != NULL)
		*timed_out = strstr(sub, "TimedOut") != NULL ||
			     strcmp(wcode, "2150858793") == 0;
	wsman_seterr(err, errlen, "the server answered a fault: %s%s%s%s",
		     reason[0] != '\0' ? reason : "(no reason given)",
		     sub[0] != '\0' || wcode[0] != '\0' ? " [" : "",
		     wcode[0] != '\0' ? wcode : sub,
		     sub[0] != '\0' || wcode[0] != '\0' ? "]" : "");
	return 1;
}

int
wsman_post(struct winrm_session *s, const char *body, size_t n,
	   long timeout_ms, int *timed_out, char *err, size_t errlen)
{
	CURLcode rc;
	long status = 0;

	if (timed_out != NULL)
		*timed_out = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	buf_reset(&s->resp);
	s->toobig = 0;
	s->stopped = 0;
	s->curlerr[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)n);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	rc = curl_easy_perform(s->curl);
	if (rc != CURLE_OK)
		return wsman_curl_status(s, rc, err, errlen);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401) {
		if (s->anonymous)
			wsman_seterr(err, errlen, "the server requires "
				     "authentication even for Identify");
		else
			wsman_seterr(err, errlen, "the server refused the "
				     "credentials of user %s (%s)%s", s->user,
				     s->t.auth == WINRM_AUTH_NTLM ? "NTLM"
								  : "Basic",
				     s->t.auth == WINRM_AUTH_NTLM &&
				     !s->t.https ? "; over plain HTTP the "
				     "server must also allow unencrypted "
				     "messages" : "");
		return WINRM_ERR_AUTH;
	}
	if (s->resp.data == NULL ||
	    wsxml_find(s->resp.data, s->resp.data + s->resp.len, "Envelope",
		       NULL) != 0) {
		wsman_seterr(err, errlen, "HTTP %ld from %s:%d is not a "
			     "WS-Management answer", status, s->t.host,
			     s->t.port);
		return WINRM_ERR_PROTOCOL;
	}
	if (wsman_fault(s->resp.data, s->resp.len, err, errlen, timed_out))
		return WINRM_ERR_FAULT;
	if (status != 200) {
		wsman_seterr(err, errlen, "unexpected HTTP status %ld from "
			     "%s:%d", status, s->t.host, s->t.port);
		return WINRM_ERR_PROTOCOL;
	}
	return 0;
}

static void
wsman_uuid(char out[37])
{
	unsigned char u[16];

	crypto_random(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		 "%02X%02X%02X%02X%02X%02X", u[0], u[1], u[2], u[3], u[4],
		 u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

static void
wsman_iso_duration(char *out, size_t cap, long ms)
{
	if (ms < 1000)
		ms = 1000;
	snprintf(out, cap, "PT%ld.%03ldS", ms / 1000, ms % 1000);
}

static void
wsman_envelope(struct winrm_session *s, struct buf *b, const char *action,
	       const char *shell_id, const char *options, long op_ms,
	       const char *body)
{
	char id[37], dur[32];

	wsman_uuid(id);
	wsman_iso_duration(dur, sizeof(dur), op_ms);
	buf_printf(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		   "<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:a=\"" NS_ADDR
		   "\" xmlns:w=\"" NS_WSMAN "\" xmlns:p=\"" NS_MSWSMAN
		   "\" xmlns:rsp=\"" NS_SHELL "\"><s:Header><a:To>");
	wsxml_escape(b, s->url);
	buf_printf(b, "</a:To><a:ReplyTo><a:Address s:mustUnderstand="
		   "\"true\">" NS_ADDR "/role/anonymous</a:Address>"
		   "</a:ReplyTo><w:MaxEnvelopeSize s:mustUnderstand="
		   "\"true\">%d</w:MaxEnvelopeSize><a:MessageID>uuid:%s"
		   "</a:MessageID><w:Locale xml:lang=\"en-US\" "
		   "s:mustUnderstand=\"false\"/><p:DataLocale xml:lang="
		   "\"en-US\" s:mustUnderstand=\"false\"/>"
		   "<w:OperationTimeout>%s</w:OperationTimeout>"
		   "<w:ResourceURI s:mustUnderstand=\"true\">" URI_CMD
		   "</w:ResourceURI><a:Action s:mustUnderstand=\"true\">%s"
		   "</a:Action>", WSMAN_ENVELOPE_MAX, id, dur, action);
	if (shell_id != NULL) {
		buf_puts(b, "<w:SelectorSet><w:Selector Name=\"ShellId\">");
		wsxml_escape(b, shell_id);
		buf_puts(b, "</w:Selector></w:SelectorSet>");
	}
	if (options != NULL)
		buf_puts(b, options);
	buf_puts(b, "</s:Header><s:Body>");
	if (body != NULL)
		buf_puts(b, body);
	buf_puts(b, "</s:Body></s:Envelope>");
}

long
wsman_request_ms(const struct winrm_session *s)
{
	return s->t.timeout_ms > 0 ? s->t.timeout_ms
				   : WSMAN_DEFAULT_TIMEOUT_MS;
}

/* One request; body is trusted XML built by the callers (values inside it
 * already escaped). The server's operation timeout is op_ms; the HTTP
 * request may take op_ms plus the request timeout. */
int
wsman_call(struct winrm_session *s, const char *action,
	   const char *shell_id, const char *options, const char *body,
	   long op_ms, int *timed_out, char *err, size_t errlen)
{
	struct buf b;
	int rc;

	buf_init(&b, WSMAN_ENVELOPE_MAX * 8);
	wsman_envelope(s, &b, action, shell_id, options, op_ms, body);
	if (b.len >= b.max) {
		buf_cleanup(&b);
		wsman_seterr(err, errlen, "the request is too large");
		return WINRM_ERR_TOOBIG;
	}
	rc = wsman_post(s, b.data, b.len, op_ms + wsman_request_ms(s),
			timed_out, err, errlen);
	buf_cleanup(&b);
	return rc;
}

