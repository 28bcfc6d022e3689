/* WinRM client: identity checks and WinRS shell operations (see winrm.h);
 * the transport is in wsman.c. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "winrm.h"
#include "wsman.h"
#include "wsxml.h"

#define WINRM_CLEANUP_TIMEOUT_MS 5000
#define ACT_TRANSFER "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
#define STATE_DONE NS_SHELL "/CommandState/Done"

static pthread_once_t winrm_once = PTHREAD_ONCE_INIT;
static int winrm_init_rc = -1;

static void winrm_do_init(void);
static int winrm_identity_parse(struct winrm_session *s,
				struct winrm_identity *out, char *err,
				size_t errlen);
static int winrm_identify_as(const struct winrm_target *t, int anonymous,
			     struct winrm_identity *out, char *err,
			     size_t errlen);
static long winrm_b64_decode(unsigned char *out, const char *in, size_t n);
static int winrm_streams(const char *p, const char *end,
			 const char *command_id, winrm_output_fn fn,
			 void *ctx);
static int winrm_utf8_to_utf16le(const char *s, unsigned char **out,
				 size_t *outlen);

static void
winrm_do_init(void)
{
	winrm_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
				? 0 : -1;
}

int
winrm_global_init(void)
{
	pthread_once(&winrm_once, winrm_do_init);
	return winrm_init_rc;
}

const char *
winrm_status_name(int status)
{
	switch (status) {
	case WINRM_OK: return "ok";
	case WINRM_ERR_CONFIG: return "configuration";
	case WINRM_ERR_UNREACHABLE: return "unreachable";
	case WINRM_ERR_TLS: return "tls";
	case WINRM_ERR_AUTH: return "authentication";
	case WINRM_ERR_PROTOCOL: return "protocol";
	case WINRM_ERR_FAULT: return "fault";
	case WINRM_ERR_TIMEOUT: return "timeout";
	case WINRM_ERR_CANCELED: return "canceled";
	case WINRM_ERR_TOOBIG: return "too big";
	case WINRM_ERR_ABORTED: return "aborted";
	default: return "unknown";
	}
}

struct winrm_session *
winrm_session_new(const struct winrm_target *t, char *err, size_t errlen)
{
	return wsman_open(t, 0, err, errlen);
}

void
winrm_session_limits(struct winrm_session *s, volatile int *cancel,
		     long long deadline_ms)
{
	s->cancel = cancel;
	s->deadline_ms = deadline_ms;
}

static int
winrm_identity_parse(struct winrm_session *s, struct winrm_identity *out,
		     char *err, size_t errlen)
{
	struct wsxml_el r, e;
	const char *doc = s->resp.data;

	if (wsxml_find(doc, doc + s->resp.len, "IdentifyResponse", &r) != 0) {
		wsman_seterr(err, errlen, "the answer to Identify has no "
			     "IdentifyResponse");
		return WINRM_ERR_PROTOCOL;
	}
	memset(out, 0, sizeof(*out));
	if (wsxml_find(r.text, r.text_end, "ProtocolVersion", &e) == 0)
		wsxml_text(&e, out->protocol_version,
			   sizeof(out->protocol_version));
	if (wsxml_find(r.text, r.text_end, "ProductVendor", &e) == 0)
		wsxml_text(&e, out->product_vendor,
			   sizeof(out->product_vendor));
	if (wsxml_find(r.text, r.text_end, "ProductVersion", &e) == 0)
		wsxml_text(&e, out->product_version,
			   sizeof(out->product_version));
	snprintf(out->server, sizeof(out->server), "%s", s->server);
	return 0;
}

static int
winrm_identify_as(const struct winrm_target *t, int anonymous,
		  struct winrm_identity *out, char *err, size_t errlen)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:wsmid=\"" NS_IDENT
		"\"><s:Header/><s:Body><wsmid:Identify/></s:Body>"
		"</s:Envelope>";
	struct winrm_session *s;
	struct winrm_identity tmp;
	long long t0;
	int rc;

	s = wsman_open(t, anonymous, err, errlen);
	if (s == NULL)
		return WINRM_ERR_CONFIG;
	t0 = wsman_now_ms();
	rc = wsman_post(s, body, sizeof(body) - 1, wsman_request_ms(s), NULL,
			err, errlen);
	if (rc == 0) {
		rc = winrm_identity_parse(s, out != NULL ? out : &tmp, err,
					  errlen);
		if (rc == 0 && out != NULL)
			out->latency_ms = (long)(wsman_now_ms() - t0);
	}
	winrm_session_free(s);
	return rc;
}

int
winrm_identify(const struct winrm_target *t, struct winrm_identity *out,
	       char *err, size_t errlen)
{
	return winrm_identify_as(t, 1, out, err, errlen);
}

int
winrm_check_auth(const struct winrm_target *t, struct winrm_identity *out,
		 char *err, size_t errlen)
{
	return winrm_identify_as(t, 0, out, err, errlen);
}

int
winrm_shell_open(struct winrm_session *s, const struct winrm_shell_opts *o,
		 char *shell_id, char *err, size_t errlen)
{
	static const char opts[] =
		"<w:OptionSet><w:Option Name=\"WINRS_NOPROFILE\">FALSE"
		"</w:Option><w:Option Name=\"WINRS_CODEPAGE\">65001"
		"</w:Option></w:OptionSet>";
	struct buf b;
	struct wsxml_el e;
	const char *const *v, *eq;
	int rc;

	buf_init(&b, WSMAN_ENVELOPE_MAX);
	buf_puts(&b, "<rsp:Shell>");
	if (o != NULL && o->env != NULL && o->env[0] != NULL) {
		buf_puts(&b, "<rsp:Environment>");
		for (v = o->env; *v != NULL; v++) {
			eq = strchr(*v, '=');
			if (eq == NULL || eq == *v)
				continue;
			buf_puts(&b, "<rsp:Variable Name=\"");
			wsxml_escape_n(&b, *v, (size_t)(eq - *v));
			buf_puts(&b, "\">");
			wsxml_escape(&b, eq + 1);
			buf_puts(&b, "</rsp:Variable>");
		}
		buf_puts(&b, "</rsp:Environment>");
	}
	if (o != NULL && o->working_dir != NULL) {
		buf_puts(&b, "<rsp:WorkingDirectory>");
		wsxml_escape(&b, o->working_dir);
		buf_puts(&b, "</rsp:WorkingDirectory>");
	}
	if (o != NULL && o->idle_timeout_s > 0)
		buf_printf(&b, "<rsp:IdleTimeOut>PT%dS</rsp:IdleTimeOut>",
			   o->idle_timeout_s);
	buf_puts(&b, "<rsp:InputStreams>stdin</rsp:InputStreams>"
		 "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
		 "</rsp:Shell>");
	if (b.len >= b.max) {
		buf_cleanup(&b);
		wsman_seterr(err, errlen, "the shell environment is too large");
		return WINRM_ERR_TOOBIG;
	}
	rc = wsman_call(s, ACT_TRANSFER "Create", NULL, opts, b.data,
			wsman_request_ms(s), NULL, err, errlen);
	buf_cleanup(&b);
	if (rc != 0)
		return rc;
	if (wsxml_find_attr(s->resp.data, s->resp.data + s->resp.len,
			    "Selector", "Name", "ShellId", &e) != 0 &&
	    wsxml_find(s->resp.data, s->resp.data + s->resp.len, "ShellId",
		       &e) != 0) {
		wsman_seterr(err, errlen, "the answer to Create has no "
			     "ShellId");
		return WINRM_ERR_PROTOCOL;
	}
	wsxml_text(&e, shell_id, WINRM_ID_MAX);
	if (shell_id[0] == '\0') {
		wsman_seterr(err, errlen, "the server sent an empty ShellId");
		return WINRM_ERR_PROTOCOL;
	}
	return 0;
}

int
winrm_command(struct winrm_session *s, const char *shell_id,
	      const char *command, const char *const *args,
	      char *command_id, char *err, size_t errlen)
{
	static const char opts[] =
		"<w:OptionSet><w:Option Name=\"WINRS_CONSOLEMODE_STDIN\">"
		"TRUE</w:Option><w:Option Name=\"WINRS_SKIP_CMD_SHELL\">"
		"FALSE</w:Option></w:OptionSet>";
	struct buf b;
	struct wsxml_el e;
	const char *const *a;
	int rc;

	buf_init(&b, WSMAN_ENVELOPE_MAX);
	buf_puts(&b, "<rsp:CommandLine><rsp:Command>");
	wsxml_escape(&b, command);
	buf_puts(&b, "</rsp:Command>");
	for (a = args; a != NULL && *a != NULL; a++) {
		buf_puts(&b, "<rsp:Arguments>");
		wsxml_escape(&b, *a);
		buf_puts(&b, "</rsp:Arguments>");
	}
	buf_puts(&b, "</rsp:CommandLine>");
	if (b.len >= b.max) {
		buf_cleanup(&b);
		wsman_seterr(err, errlen, "the command line is too large");
		return WINRM_ERR_TOOBIG;
	}
	rc = wsman_call(s, NS_SHELL "/Command", shell_id, opts, b.data,
			wsman_request_ms(s), NULL, err, errlen);
	buf_cleanup(&b);
	if (rc != 0)
		return rc;
	if (wsxml_find(s->resp.data, s->resp.data + s->resp.len, "CommandId",
		       &e) != 0) {
		wsman_seterr(err, errlen, "the answer to Command has no "
			     "CommandId");
		return WINRM_ERR_PROTOCOL;
	}
	wsxml_text(&e, command_id, WINRM_ID_MAX);
	if (command_id[0] == '\0') {
		wsman_seterr(err, errlen, "the server sent an empty "
			     "CommandId");
		return WINRM_ERR_PROTOCOL;
	}
	return 0;
}

/* Standard base64 (whitespace skipped); out holds n*3/4+3 bytes. Returns
 * the length or -1 on a bad character. */
static long
winrm_b64_decode(unsigned char *out, const char *in, size_t n)
{
	unsigned int acc = 0;
	int bits = 0, v;
	long o = 0;
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=' || isspace(c))
			continue;
		else
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* Delivers every rsp:Stream of command_id in [p, end) in order. */
static int
winrm_streams(const char *p, const char *end, const char *command_id,
	      winrm_output_fn fn, void *ctx)
{
	struct wsxml_el e;
	char name[16], cid[WINRM_ID_MAX];
	unsigned char *data;
	long n;
	int stop = 0;

	while (!stop && wsxml_find(p, end, "Stream", &e) == 0) {
		p = e.end;
		if (wsxml_attr(&e, "CommandId", cid, sizeof(cid)) == 0 &&
		    strcmp(cid, command_id) != 0)
			continue;
		if (wsxml_attr(&e, "Name", name, sizeof(name)) != 0)
			continue;
		if (e.text_end == e.text)
			continue;
		data = malloc((size_t)(e.text_end - e.text) / 4 * 3 + 3);
		if (data == NULL)
			abort();
		n = winrm_b64_decode(data, e.text,
				     (size_t)(e.text_end - e.text));
		if (n < 0) {
			free(data);
			return WINRM_ERR_PROTOCOL;
		}
		if (n > 0 && fn != NULL)
			stop = fn(ctx, strcmp(name, "stderr") == 0
				  ? WINRM_STDERR : WINRM_STDOUT,
				  (const char *)data, (size_t)n);
		free(data);
	}
	return stop ? WINRM_ERR_ABORTED : 0;
}

int
winrm_receive(struct winrm_session *s, const char *shell_id,
	      const char *command_id, winrm_output_fn fn, void *ctx,
	      int *done, int *exit_code, char *err, size_t errlen)
{
	static const char opts[] =
		"<w:OptionSet><w:Option Name=\"WSMAN_CMDSHELL_OPTION_KEEPALIVE"
		"\">TRUE</w:Option></w:OptionSet>";
	struct buf b;
	struct wsxml_el r, st, ec;
	char state[200], num[32];
	const char *doc;
	long op_ms;
	int rc, timed_out = 0;

	*done = 0;
	buf_init(&b, WSMAN_ENVELOPE_MAX);
	buf_puts(&b, "<rsp:Receive><rsp:DesiredStream CommandId=\"");
	wsxml_escape(&b, command_id);
	buf_puts(&b, "\">stdout stderr</rsp:DesiredStream></rsp:Receive>");
	/* The server holds a Receive until output arrives or op_ms passed;
	 * keep it below the request timeout so it answers first. */
	op_ms = wsman_request_ms(s) > 4000 ? wsman_request_ms(s) - 2000
					    : 2000;
	if (op_ms > 20000)
		op_ms = 20000;
	s->abortable = 1;
	rc = wsman_call(s, NS_SHELL "/Receive", shell_id, opts, b.data, op_ms,
			&timed_out, err, errlen);
	s->abortable = 0;
	buf_cleanup(&b);
	if (rc == WINRM_ERR_FAULT && timed_out) {
		if (err != NULL && errlen > 0)
			err[0] = '\0';
		return 0;
	}
	if (rc != 0)
		return rc;
	doc = s->resp.data;
	if (wsxml_find(doc, doc + s->resp.len, "ReceiveResponse", &r) != 0) {
		wsman_seterr(err, errlen, "the answer to Receive has no "
			     "ReceiveResponse");
		return WINRM_ERR_PROTOCOL;
	}
	rc = winrm_streams(r.text, r.text_end, command_id, fn, ctx);
	if (rc == WINRM_ERR_PROTOCOL) {
		wsman_seterr(err, errlen, "the server sent output that is not "
			     "base64");
		return rc;
	}
	if (rc != 0) {
		wsman_seterr(err, errlen, "stopped by the output consumer");
		return rc;
	}
	if (wsxml_find(r.text, r.text_end, "CommandState", &st) == 0 &&
	    wsxml_attr(&st, "State", state, sizeof(state)) == 0 &&
	    strcmp(state, STATE_DONE) == 0) {
		*done = 1;
		*exit_code = 0;
		if (wsxml_find(st.text, st.text_end, "ExitCode", &ec) == 0) {
			wsxml_text(&ec, num, sizeof(num));
			*exit_code = (int)strtoll(num, NULL, 10);
		}
	}
	return 0;
}

int
winrm_signal(struct winrm_session *s, const char *shell_id,
	     const char *command_id, const char *code, char *err,
	     size_t errlen)
{
	struct buf b;
	int rc;

	buf_init(&b, WSMAN_ENVELOPE_MAX);
	buf_puts(&b, "<rsp:Signal CommandId=\"");
	wsxml_escape(&b, command_id);
	buf_puts(&b, "\"><rsp:Code>");
	wsxml_escape(&b, code);
	buf_puts(&b, "</rsp:Code></rsp:Signal>");
	rc = wsman_call(s, NS_SHELL "/Signal", shell_id, NULL, b.data,
			wsman_request_ms(s), NULL, err, errlen);
	buf_cleanup(&b);
	return rc;
}

int
winrm_shell_close(struct winrm_session *s, const char *shell_id, char *err,
		  size_t errlen)
{
	return wsman_call(s, ACT_TRANSFER "Delete", shell_id, NULL, NULL,
			  wsman_request_ms(s), NULL, err, errlen);
}

int
winrm_run(const struct winrm_target *t, const char *command_line,
	  int timeout_ms, volatile int *cancel, winrm_output_fn fn, void *ctx,
	  int *exit_code, char *err, size_t errlen)
{
	struct winrm_session *s;
	char shell[WINRM_ID_MAX], cmd[WINRM_ID_MAX] = "", ignored[256];
	int rc, done = 0, code = 0;

	s = winrm_session_new(t, err, errlen);
	if (s == NULL)
		return WINRM_ERR_CONFIG;
	winrm_session_limits(s, cancel, timeout_ms > 0
			     ? wsman_now_ms() + timeout_ms : 0);
	rc = winrm_shell_open(s, NULL, shell, err, errlen);
	if (rc != 0)
		goto out;
	rc = winrm_command(s, shell, command_line, NULL, cmd, err, errlen);
	while (rc == 0 && !done) {
		if (cancel != NULL && *cancel) {
			rc = WINRM_ERR_CANCELED;
			wsman_seterr(err, errlen, "canceled");
		} else if (s->deadline_ms != 0 &&
			   wsman_now_ms() >= s->deadline_ms) {
			rc = WINRM_ERR_TIMEOUT;
			wsman_seterr(err, errlen, "the time limit was reached");
		} else {
			rc = winrm_receive(s, shell, cmd, fn, ctx, &done, &code,
					   err, errlen);
		}
	}
	/* Clean up quickly whatever happened: a stopped command is told to
	 * terminate, and the shell is always deleted. */
	if (s->t.timeout_ms <= 0 ||
	    s->t.timeout_ms > WINRM_CLEANUP_TIMEOUT_MS)
		s->t.timeout_ms = WINRM_CLEANUP_TIMEOUT_MS;
	if (rc != 0 && rc != WINRM_ERR_UNREACHABLE && cmd[0] != '\0' &&
	    !done)
		winrm_signal(s, shell, cmd, WINRM_SIGNAL_TERMINATE, ignored,
			     sizeof(ignored));
	if (rc != WINRM_ERR_UNREACHABLE)
		winrm_shell_close(s, shell, ignored, sizeof(ignored));
	if (rc == 0 && exit_code != NULL)
		*exit_code = code;
out:
	winrm_session_free(s);
	return rc;
}

/* UTF-8 to UTF-16LE (malloc'd); -1 on invalid UTF-8. */
static int
winrm_utf8_to_utf16le(const char *s, unsigned char **out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0;
	unsigned char *u;
	unsigned long cp;
	int extra, k;

	u = malloc(n * 4 + 2);
	if (u == NULL)
		abort();
	while (i < n) {
		if (p[i] < 0x80) {
			cp = p[i];
			extra = 0;
		} else if ((p[i] & 0xe0) == 0xc0 && p[i] >= 0xc2) {
			cp = p[i] & 0x1f;
			extra = 1;
		} else if ((p[i] & 0xf0) == 0xe0) {
			cp = p[i] & 0x0f;
			extra = 2;
		} else if ((p[i] & 0xf8) == 0xf0 && p[i] <= 0xf4) {
			cp = p[i] & 0x07;
			extra = 3;
		} else {
			goto bad;
		}
		if ((size_t)extra > n - i - 1)
			goto bad;
		for (k = 1; k <= extra; k++) {
			if ((p[i + (size_t)k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + (size_t)k] & 0x3f);
		}
		if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += (size_t)extra + 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[o++] = (unsigned char)((0xd800 | (cp >> 10)) & 0xff);
			u[o++] = (unsigned char)((0xd800 | (cp >> 10)) >> 8);
			cp = 0xdc00 | (cp & 0x3ff);
		}
		u[o++] = (unsigned char)(cp & 0xff);
		u[o++] = (unsigned char)(cp >> 8);
	}
	*out = u;
	*outlen = o;
	return 0;
bad:
	free(u);
	return -1;
}

char *
winrm_powershell_command(const char *script)
{
	static const char prefix[] =
		"powershell.exe -NoProfile -NonInteractive -EncodedCommand ";
	unsigned char *u;
	size_t n;
	char *cmd;

	if (winrm_utf8_to_utf16le(script, &u, &n) != 0)
		return NULL;
	cmd = malloc(sizeof(prefix) + (n + 2) / 3 * 4 + 1);
	if (cmd == NULL)
		abort();
	memcpy(cmd, prefix, sizeof(prefix) - 1);
	EVP_EncodeBlock((unsigned char *)cmd + sizeof(prefix) - 1, u, (int)n);
	free(u);
	return cmd;
}

