/* What the discovery scanner says and hears on an open port: the SSH
 * identification line, or a WS-Management Identify over HTTP or HTTPS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <openssl/err.h>

#include "scanprobe.h"

/* Phases of a probe. */
enum {
	SCANPROBE_TLS,	/* TLS handshake */
	SCANPROBE_SEND, /* writing the request */
	SCANPROBE_RECV, /* reading */
	SCANPROBE_END,	/* done */
};

static const char scanprobe_identify[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
    "wsmanidentity.xsd\"><s:Header/><s:Body><wsmid:Identify/></s:Body>"
    "</s:Envelope>";

static void scanprobe_clean_text(char *dst, size_t size, const char *src,
				 size_t n);
static int scanprobe_got_enough(const struct scanprobe *p);
static enum scanprobe_want scanprobe_blocked(struct scanprobe *p, int rc);

/* Copies at most n bytes of src, stopping at CR or LF, as printable ASCII,
 * trimmed, NUL-terminated. */
static void
scanprobe_clean_text(char *dst, size_t size, const char *src, size_t n)
{
	size_t i, o = 0;

	while (n > 0 && (*src == ' ' || *src == '\t')) {
		src++;
		n--;
	}
	for (i = 0; i < n && o + 1 < size; i++) {
		if (src[i] == '\r' || src[i] == '\n')
			break;
		dst[o++] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	}
	while (o > 0 && (dst[o - 1] == ' ' || dst[o - 1] == '\t'))
		o--;
	dst[o] = '\0';
}

int
scanprobe_ssh_line(const char *buf, size_t len, int eof, char *out, size_t size)
{
	const char *line = buf, *end = buf + len, *nl;

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL && !eof)
			return 0;
		if ((size_t)(end - line) >= 4 && memcmp(line, "SSH-", 4) == 0) {
			scanprobe_clean_text(out, size, line,
					     (size_t)((nl ? nl : end) - line));
			return 1;
		}
		if (nl == NULL)
			return 0;
		line = nl + 1;
	}
	return 0;
}

int
scanprobe_http_head(const char *buf, char *server, size_t size)
{
	const char *p = buf, *nl;
	int status;

	if (size > 0)
		server[0] = '\0';
	/* "HTTP/1.x NNN": each test stops at the NUL of a short buffer. */
	if (strncmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
	    p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (p[12] != ' ' && p[12] != '\r' && p[12] != '\n'))
		return 0;
	status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (nl = strchr(p, '\n'); nl != NULL; nl = strchr(p, '\n')) {
		p = nl + 1;
		if (*p == '\r' || *p == '\n')
			break; /* end of the head */
		if (strncasecmp(p, "Server:", 7) == 0) {
			scanprobe_clean_text(server, size, p + 7,
					     strcspn(p + 7, "\r\n"));
			break;
		}
	}
	return status;
}

SSL_CTX *
scanprobe_tls_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return ctx;
}

int
scanprobe_start(struct scanprobe *p, enum scanprobe_kind kind, int fd,
		SSL_CTX *tls, const char *host, uint16_t port)
{
	int v6 = strchr(host, ':') != NULL, n;

	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->kind = kind;
	p->buf = malloc(SCANPROBE_READ_MAX + 1);
	if (p->buf == NULL) {
		fputs("scanprobe: out of memory\n", stderr);
		abort();
	}
	p->buf[0] = '\0';
	if (kind == SCANPROBE_BANNER) {
		p->phase = SCANPROBE_RECV;
		return 0;
	}
	n = snprintf(p->buf, SCANPROBE_READ_MAX + 1,
		     "POST /wsman HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
		     "User-Agent: OpsConductor-discovery\r\n"
		     "Content-Type: application/soap+xml;charset=UTF-8\r\n"
		     "WSMANIDENTIFY: unauthenticated\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port,
		     sizeof(scanprobe_identify) - 1, scanprobe_identify);
	p->len = (size_t)n;
	p->phase = SCANPROBE_SEND;
	if (kind == SCANPROBE_HTTPS) {
		p->ssl = tls == NULL ? NULL : SSL_new(tls);
		if (p->ssl == NULL || SSL_set_fd(p->ssl, fd) != 1) {
			ERR_clear_error();
			scanprobe_cleanup(p);
			return -1;
		}
		SSL_set_connect_state(p->ssl);
		p->phase = SCANPROBE_TLS;
	}
	return 0;
}

enum scanprobe_want
scanprobe_want(const struct scanprobe *p)
{
	if (p->phase == SCANPROBE_END)
		return SCANPROBE_DONE;
	return p->phase == SCANPROBE_RECV ? SCANPROBE_WANT_READ
					  : SCANPROBE_WANT_WRITE;
}

/* 1 when the received bytes hold an answer: an SSH line, or an HTTP head
 * through its blank line. */
static int
scanprobe_got_enough(const struct scanprobe *p)
{
	char line[SCANPROBE_TEXT_MAX];

	if (p->kind == SCANPROBE_BANNER)
		return scanprobe_ssh_line(p->buf, p->len, 0, line,
					  sizeof(line));
	return strstr(p->buf, "\r\n\r\n") != NULL ||
	       strstr(p->buf, "\n\n") != NULL;
}

/* An I/O call returned rc <= 0: what to wait for, or DONE at an end. */
static enum scanprobe_want
scanprobe_blocked(struct scanprobe *p, int rc)
{
	int e;

	if (p->ssl != NULL) {
		e = SSL_get_error(p->ssl, rc);
		ERR_clear_error();
		if (e == SSL_ERROR_WANT_READ)
			return SCANPROBE_WANT_READ;
		if (e == SSL_ERROR_WANT_WRITE)
			return SCANPROBE_WANT_WRITE;
	} else if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return scanprobe_want(p);
	}
	scanprobe_finish(p);
	return SCANPROBE_DONE;
}

enum scanprobe_want
scanprobe_step(struct scanprobe *p)
{
	int rc;

	for (;;) {
		switch (p->phase) {
		case SCANPROBE_TLS:
			rc = SSL_do_handshake(p->ssl);
			if (rc != 1)
				return scanprobe_blocked(p, rc);
			p->phase = SCANPROBE_SEND;
			break;
		case SCANPROBE_SEND:
			if (p->ssl != NULL)
				rc = SSL_write(p->ssl, p->buf + p->sent,
					       (int)(p->len - p->sent));
			else
				rc = (int)send(p->fd, p->buf + p->sent,
					       p->len - p->sent, MSG_NOSIGNAL);
			if (rc <= 0)
				return scanprobe_blocked(p, rc);
			p->sent += (size_t)rc;
			if (p->sent == p->len) {
				p->phase = SCANPROBE_RECV;
				p->len = 0;
				p->buf[0] = '\0';
			}
			break;
		case SCANPROBE_RECV:
			if (p->len == SCANPROBE_READ_MAX) {
				scanprobe_finish(p);
				return SCANPROBE_DONE;
			}
			if (p->ssl != NULL)
				rc = SSL_read(
				    p->ssl, p->buf + p->len,
				    (int)(SCANPROBE_READ_MAX - p->len));
			else
				rc = (int)recv(p->fd, p->buf + p->len,
					       SCANPROBE_READ_MAX - p->len, 0);
			if (rc <= 0)
				return scanprobe_blocked(p, rc);
			p->len += (size_t)rc;
			p->buf[p->len] = '\0';
			if (scanprobe_got_enough(p)) {
				scanprobe_finish(p);
				return SCANPROBE_DONE;
			}
			break;
		default:
			return SCANPROBE_DONE;
		}
	}
}

void
scanprobe_finish(struct scanprobe *p)
{
	if (p->phase == SCANPROBE_END)
		return;
	if (p->phase == SCANPROBE_RECV && p->buf != NULL) {
		p->buf[p->len] = '\0';
		if (p->kind == SCANPROBE_BANNER)
			scanprobe_ssh_line(p->buf, p->len, 1, p->banner,
					   sizeof(p->banner));
		else
			p->status = scanprobe_http_head(p->buf, p->server,
							sizeof(p->server));
		/* An SSH server on a WinRM port answers with its line. */
		if (p->kind != SCANPROBE_BANNER && p->status == 0)
			scanprobe_ssh_line(p->buf, p->len, 1, p->banner,
					   sizeof(p->banner));
	}
	p->phase = SCANPROBE_END;
}

void
scanprobe_cleanup(struct scanprobe *p)
{
	if (p->ssl != NULL)
		SSL_free(p->ssl);
	free(p->buf);
	p->ssl = NULL;
	p->buf = NULL;
}
