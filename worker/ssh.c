/* SSH sessions over libssh2: TCP connect with a deadline, handshake, host
 * key check before authentication, password or in-memory key login. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "ssh.h"

#define SSH_TIMEOUT_MS 10000 /* default connect timeout */
#define SSH_TICK_MS 100	     /* longest wait between cancel checks */

static const char *const ssh_status_names[] = {
    "ok",	 "invalid",  "resolve",	 "refused",	     "unreachable",
    "timeout",	 "network",  "protocol", "host_key_changed", "auth",
    "key",	 "channel",  "canceled", "remote",	     "exists",
    "too_large", "checksum",
};

static void ssh_kbd_answer(const char *name, int name_len,
			   const char *instruction, int instruction_len,
			   int num_prompts,
			   const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
			   LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses,
			   void **abstract);
static enum ssh_status ssh_tcp_connect(struct ssh_conn *c,
				       const struct ssh_target *t, long long dl,
				       struct ssh_info *info,
				       struct ssh_err *err);
static enum ssh_status ssh_tcp_wait(int fd, long long dl, volatile int *cancel,
				    int *soerr);
static enum ssh_status ssh_handshake(struct ssh_conn *c,
				     const struct ssh_target *t, long long dl,
				     struct ssh_info *info,
				     struct ssh_err *err);
static enum ssh_status ssh_check_host_key(struct ssh_conn *c,
					  const struct ssh_target *t,
					  const struct ssh_info *info,
					  struct ssh_err *err);
static enum ssh_status ssh_auth(struct ssh_conn *c, const struct ssh_target *t,
				long long dl, struct ssh_err *err);
static enum ssh_status ssh_auth_key(struct ssh_conn *c,
				    const struct ssh_target *t, long long dl,
				    int *rejected, struct ssh_err *err);
static enum ssh_status ssh_auth_password(struct ssh_conn *c,
					 const struct ssh_target *t,
					 const char *methods, long long dl,
					 int *rejected, struct ssh_err *err);
static int ssh_has_method(const char *methods, const char *m);
static int ssh_key_is_rsa(const char *key, size_t len);
static size_t ssh_fp_norm(const char *fp, char *out, size_t cap);
static const char *ssh_key_type_name(int type);
static void ssh_conn_free(struct ssh_conn *c);

int
ssh_global_init(void)
{
	return libssh2_init(0) == 0 ? 0 : -1;
}

const char *
ssh_status_name(enum ssh_status s)
{
	if ((size_t)s >= sizeof(ssh_status_names) / sizeof(ssh_status_names[0]))
		return "unknown";
	return ssh_status_names[s];
}

long long
ssh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ssh_err_set(struct ssh_err *err, enum ssh_status code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int
ssh_alive(const struct ssh_conn *c)
{
	return c != NULL && !c->broken;
}

enum ssh_status
ssh_wait(struct ssh_conn *c, long long deadline_ms, volatile int *cancel,
	 struct ssh_err *err)
{
	struct pollfd pfd;
	long long now = ssh_now_ms(), wait = 1000;
	int dir;

	if (cancel != NULL && *cancel) {
		ssh_err_set(err, SSH_ERR_CANCELED, "canceled");
		return SSH_ERR_CANCELED;
	}
	if (deadline_ms > 0 && now >= deadline_ms) {
		ssh_err_set(err, SSH_ERR_TIMEOUT, "no answer from %s in time",
			    c->peer);
		return SSH_ERR_TIMEOUT;
	}
	if (deadline_ms > 0 && deadline_ms - now < wait)
		wait = deadline_ms - now;
	if (cancel != NULL && wait > SSH_TICK_MS)
		wait = SSH_TICK_MS;
	dir = libssh2_session_block_directions(c->session);
	pfd.fd = c->fd;
	pfd.events = 0;
	pfd.revents = 0;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		pfd.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd.events |= POLLOUT;
	if (pfd.events == 0)
		pfd.events = POLLIN;
	/* Readiness, a tick or EINTR all mean: try the call again. */
	(void)poll(&pfd, 1, (int)wait);
	return SSH_OK;
}

enum ssh_status
ssh_fail(struct ssh_conn *c, int rc, const char *what, struct ssh_err *err)
{
	char *lmsg = NULL;

	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_NONE:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_BAD_SOCKET:
		c->broken = 1;
		ssh_err_set(err, SSH_ERR_NETWORK,
			    "the connection to %s was lost while %s", c->peer,
			    what);
		return SSH_ERR_NETWORK;
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
		c->broken = 1;
		ssh_err_set(err, SSH_ERR_TIMEOUT,
			    "%s did not answer in time while %s", c->peer,
			    what);
		return SSH_ERR_TIMEOUT;
	case LIBSSH2_ERROR_CHANNEL_FAILURE:
	case LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED:
	case LIBSSH2_ERROR_REQUEST_DENIED:
		ssh_err_set(err, SSH_ERR_CHANNEL, "%s refused %s", c->peer,
			    what);
		return SSH_ERR_CHANNEL;
	default:
		c->broken = 1;
		libssh2_session_last_error(c->session, &lmsg, NULL, 0);
		ssh_err_set(err, SSH_ERR_PROTOCOL,
			    "SSH protocol error with %s while %s (%s)", c->peer,
			    what, lmsg != NULL ? lmsg : "unknown");
		return SSH_ERR_PROTOCOL;
	}
}

/* keyboard-interactive: answers every prompt with the password. */
static void
ssh_kbd_answer(const char *name, int name_len, const char *instruction,
	       int instruction_len, int num_prompts,
	       const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
	       LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct ssh_conn *c = *abstract;
	int i;

	(void)name;
	(void)name_len;
	(void)instruction;
	(void)instruction_len;
	(void)prompts;
	for (i = 0; i < num_prompts; i++) {
		responses[i].text = NULL;
		responses[i].length = 0;
		if (c->kbd_password == NULL)
			continue;
		/* libssh2 frees these with its default allocator (free). */
		responses[i].text = strdup(c->kbd_password);
		if (responses[i].text == NULL)
			abort();
		responses[i].length = (unsigned int)strlen(c->kbd_password);
	}
}

/* Waits for a non-blocking connect; *soerr gets its errno. */
static enum ssh_status
ssh_tcp_wait(int fd, long long dl, volatile int *cancel, int *soerr)
{
	struct pollfd pfd = {fd, POLLOUT, 0};
	socklen_t len = sizeof(*soerr);
	long long left;
	int rc;

	for (;;) {
		if (cancel != NULL && *cancel)
			return SSH_ERR_CANCELED;
		left = dl - ssh_now_ms();
		if (left <= 0)
			return SSH_ERR_TIMEOUT;
		if (cancel != NULL && left > SSH_TICK_MS)
			left = SSH_TICK_MS;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR) {
			*soerr = errno;
			return SSH_OK;
		}
	}
	*soerr = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, soerr, &len) != 0)
		*soerr = errno;
	return SSH_OK;
}

static enum ssh_status
ssh_tcp_connect(struct ssh_conn *c, const struct ssh_target *t, long long dl,
		struct ssh_info *info, struct ssh_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], portstr[12];
	size_t n = strlen(t->host);
	int rc, fd, soerr = 0, one = 1, port = t->port > 0 ? t->port : 22;
	long long t0 = ssh_now_ms();
	enum ssh_status st;

	if (n >= 2 && t->host[0] == '[' && t->host[n - 1] == ']') {
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), t->host + 1);
	} else {
		snprintf(host, sizeof(host), "%s", t->host);
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		ssh_err_set(err, SSH_ERR_RESOLVE,
			    "the host name %s cannot be resolved (%s)", host,
			    gai_strerror(rc));
		return SSH_ERR_RESOLVE;
	}
	st = SSH_ERR_NETWORK;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			soerr = errno;
			continue;
		}
		getnameinfo(ai->ai_addr, ai->ai_addrlen, info->address,
			    sizeof(info->address), NULL, 0, NI_NUMERICHOST);
		soerr = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			soerr = errno;
			if (soerr == EINPROGRESS) {
				st = ssh_tcp_wait(fd, dl, t->cancel, &soerr);
				if (st != SSH_OK) {
					close(fd);
					break;
				}
			}
		}
		if (soerr == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			c->fd = fd;
			info->connect_ms = (double)(ssh_now_ms() - t0);
			freeaddrinfo(res);
			return SSH_OK;
		}
		close(fd);
		st = SSH_ERR_NETWORK;
	}
	freeaddrinfo(res);
	if (st == SSH_ERR_CANCELED) {
		ssh_err_set(err, st, "canceled while connecting to %s",
			    c->peer);
	} else if (st == SSH_ERR_TIMEOUT || soerr == ETIMEDOUT) {
		st = SSH_ERR_TIMEOUT;
		ssh_err_set(err, st,
			    "no answer from %s within %d ms (host down or "
			    "port filtered)",
			    c->peer,
			    t->timeout_ms > 0 ? t->timeout_ms : SSH_TIMEOUT_MS);
	} else if (soerr == ECONNREFUSED) {
		st = SSH_ERR_REFUSED;
		ssh_err_set(err, st,
			    "connection to %s refused (no SSH server listens "
			    "on that port)",
			    c->peer);
	} else if (soerr == ENETUNREACH || soerr == EHOSTUNREACH ||
		   soerr == EADDRNOTAVAIL || soerr == ENETDOWN) {
		st = SSH_ERR_UNREACHABLE;
		ssh_err_set(err, st, "%s is unreachable (%s)", c->peer,
			    strerror(soerr));
	} else {
		ssh_err_set(err, st, "cannot connect to %s (%s)", c->peer,
			    strerror(soerr));
	}
	return st;
}

static const char *
ssh_key_type_name(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ssh-ed25519";
	default:
		return "unknown";
	}
}

static enum ssh_status
ssh_handshake(struct ssh_conn *c, const struct ssh_target *t, long long dl,
	      struct ssh_info *info, struct ssh_err *err)
{
	const unsigned char *hash;
	const char *banner;
	unsigned char b64[64];
	size_t keylen = 0;
	int rc, type = 0, n;
	long long t0 = ssh_now_ms();
	enum ssh_status st;

	c->session = libssh2_session_init_ex(NULL, NULL, NULL, c);
	if (c->session == NULL) {
		ssh_err_set(err, SSH_ERR_PROTOCOL,
			    "cannot start an SSH session");
		return SSH_ERR_PROTOCOL;
	}
	libssh2_session_set_blocking(c->session, 0);
	for (;;) {
		rc = libssh2_session_handshake(c->session, c->fd);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(c, dl, t->cancel, err);
		if (st == SSH_ERR_TIMEOUT) {
			ssh_err_set(err, st,
				    "%s accepted the connection but did not "
				    "complete the SSH handshake within %d ms",
				    c->peer,
				    t->timeout_ms > 0 ? t->timeout_ms
						      : SSH_TIMEOUT_MS);
		}
		if (st != SSH_OK)
			return st;
	}
	banner = libssh2_session_banner_get(c->session);
	if (banner != NULL)
		snprintf(info->banner, sizeof(info->banner), "%s", banner);
	if (rc != 0) {
		c->broken = 1;
		if (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
		    rc == LIBSSH2_ERROR_SOCKET_RECV ||
		    rc == LIBSSH2_ERROR_SOCKET_SEND) {
			ssh_err_set(err, SSH_ERR_NETWORK,
				    "%s closed the connection during the SSH "
				    "handshake",
				    c->peer);
			return SSH_ERR_NETWORK;
		}
		return ssh_fail(c, rc,
				"negotiating the SSH handshake (is it "
				"an SSH server?)",
				err);
	}
	info->latency_ms = info->connect_ms + (double)(ssh_now_ms() - t0);
	info->reachable = 1;
	if (libssh2_session_hostkey(c->session, &keylen, &type) != NULL)
		snprintf(info->key_type, sizeof(info->key_type), "%s",
			 ssh_key_type_name(type));
	hash = (const unsigned char *)libssh2_hostkey_hash(
	    c->session, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (hash == NULL) {
		ssh_err_set(err, SSH_ERR_PROTOCOL, "%s sent no usable host key",
			    c->peer);
		return SSH_ERR_PROTOCOL;
	}
	n = EVP_EncodeBlock(b64, hash, 32);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(info->fingerprint, sizeof(info->fingerprint), "SHA256:%.*s", n,
		 (const char *)b64);
	return SSH_OK;
}

/* A fingerprint without "SHA256:" and base64 padding, for comparison. */
static size_t
ssh_fp_norm(const char *fp, char *out, size_t cap)
{
	size_t n;

	while (*fp == ' ')
		fp++;
	if (strncmp(fp, "SHA256:", 7) == 0)
		fp += 7;
	n = strcspn(fp, "= \t\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, fp, n);
	out[n] = '\0';
	return n;
}

static enum ssh_status
ssh_check_host_key(struct ssh_conn *c, const struct ssh_target *t,
		   const struct ssh_info *info, struct ssh_err *err)
{
	char want[64], got[64];

	if (t->known_fingerprint == NULL || t->known_fingerprint[0] == '\0')
		return SSH_OK;
	ssh_fp_norm(t->known_fingerprint, want, sizeof(want));
	ssh_fp_norm(info->fingerprint, got, sizeof(got));
	if (strcmp(want, got) == 0)
		return SSH_OK;
	ssh_err_set(err, SSH_ERR_HOST_KEY_CHANGED,
		    "the host key of %s has changed: expected SHA256:%s, the "
		    "server presented %s %s; not logging in until an "
		    "operator accepts the new key",
		    c->peer, want, info->key_type, info->fingerprint);
	return SSH_ERR_HOST_KEY_CHANGED;
}

static int
ssh_has_method(const char *methods, const char *m)
{
	size_t n = strlen(m);
	const char *p = methods;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, m, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* 1 for an RSA private key (PEM, or OpenSSH whose public part says
 * "ssh-rsa"): libssh2 1.10 signs with ssh-rsa (SHA-1) only. */
static int
ssh_key_is_rsa(const char *key, size_t len)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	unsigned char raw[192], b64[257];
	const char *p;
	size_t n = 0;

	if (memmem(key, len, "BEGIN RSA PRIVATE KEY", 21) != NULL)
		return 1;
	p = memmem(key, len, begin, sizeof(begin) - 1);
	if (p == NULL)
		return 0;
	for (p += sizeof(begin) - 1; p < key + len && *p != '-' && n < 256;
	     p++) {
		if (*p != '\n' && *p != '\r' && *p != ' ')
			b64[n++] = (unsigned char)*p;
	}
	n -= n % 4;
	b64[n] = '\0';
	if (EVP_DecodeBlock(raw, b64, (int)n) < 0)
		return 0;
	return memmem(raw, n / 4 * 3, "\0\0\0\7ssh-rsa", 11) != NULL;
}

static enum ssh_status
ssh_auth_key(struct ssh_conn *c, const struct ssh_target *t, long long dl,
	     int *rejected, struct ssh_err *err)
{
	size_t klen = t->key_len > 0 ? t->key_len : strlen(t->key);
	enum ssh_status st;
	int rc;

	for (;;) {
		/* Never NULL: OpenSSL would prompt on a terminal. */
		rc = libssh2_userauth_publickey_frommemory(
		    c->session, t->user, strlen(t->user), NULL, 0, t->key, klen,
		    t->passphrase != NULL ? t->passphrase : "");
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(c, dl, t->cancel, err);
		if (st != SSH_OK)
			return st;
	}
	switch (rc) {
	case 0:
		return SSH_OK;
	case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
		*rejected = 1;
		return SSH_ERR_AUTH;
	case LIBSSH2_ERROR_FILE:
	case LIBSSH2_ERROR_PROTO:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_INVAL:
	case LIBSSH2_ERROR_OUT_OF_BOUNDARY:
	case LIBSSH2_ERROR_METHOD_NOT_SUPPORTED:
	case LIBSSH2_ERROR_KEYFILE_AUTH_FAILED:
		ssh_err_set(err, SSH_ERR_KEY,
			    "the private key could not be used: the "
			    "passphrase is wrong or missing, or the key "
			    "format is not supported (OpenSSH or PEM)");
		return SSH_ERR_KEY;
	default:
		return ssh_fail(c, rc, "authenticating with a key", err);
	}
}

static enum ssh_status
ssh_auth_password(struct ssh_conn *c, const struct ssh_target *t,
		  const char *methods, long long dl, int *rejected,
		  struct ssh_err *err)
{
	int rc, kbd = !ssh_has_method(methods, "password");
	enum ssh_status st;

	c->kbd_password = t->password;
	for (;;) {
		if (kbd) {
			rc = libssh2_userauth_keyboard_interactive_ex(
			    c->session, t->user, (unsigned int)strlen(t->user),
			    ssh_kbd_answer);
		} else {
			rc = libssh2_userauth_password_ex(
			    c->session, t->user, (unsigned int)strlen(t->user),
			    t->password, (unsigned int)strlen(t->password),
			    NULL);
		}
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		st = ssh_wait(c, dl, t->cancel, err);
		if (st != SSH_OK) {
			c->kbd_password = NULL;
			return st;
		}
	}
	c->kbd_password = NULL;
	if (rc == 0)
		return SSH_OK;
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED) {
		*rejected = 1;
		return SSH_ERR_AUTH;
	}
	if (rc == LIBSSH2_ERROR_PASSWORD_EXPIRED) {
		ssh_err_set(err, SSH_ERR_AUTH,
			    "the password of %s on %s has expired", t->user,
			    c->peer);
		return SSH_ERR_AUTH;
	}
	return ssh_fail(c, rc, "authenticating with a password", err);
}

static enum ssh_status
ssh_auth(struct ssh_conn *c, const struct ssh_target *t, long long dl,
	 struct ssh_err *err)
{
	char methods[256];
	const char *list;
	int key_rejected = 0, pw_rejected = 0;
	enum ssh_status st;

	for (;;) {
		list = libssh2_userauth_list(c->session, t->user,
					     (unsigned int)strlen(t->user));
		if (list != NULL || libssh2_userauth_authenticated(c->session))
			break;
		if (libssh2_session_last_errno(c->session) !=
		    LIBSSH2_ERROR_EAGAIN) {
			return ssh_fail(
			    c, libssh2_session_last_errno(c->session),
			    "asking for authentication methods", err);
		}
		st = ssh_wait(c, dl, t->cancel, err);
		if (st != SSH_OK)
			return st;
	}
	if (list == NULL)
		return SSH_OK; /* "none" was accepted */
	snprintf(methods, sizeof(methods), "%s", list);
	if (t->key != NULL && ssh_has_method(methods, "publickey")) {
		st = ssh_auth_key(c, t, dl, &key_rejected, err);
		if (st != SSH_ERR_AUTH)
			return st;
	}
	if (t->password != NULL &&
	    (ssh_has_method(methods, "password") ||
	     ssh_has_method(methods, "keyboard-interactive"))) {
		st = ssh_auth_password(c, t, methods, dl, &pw_rejected, err);
		if (st != SSH_ERR_AUTH || !pw_rejected)
			return st;
	}
	if (key_rejected && !pw_rejected &&
	    ssh_key_is_rsa(t->key,
			   t->key_len > 0 ? t->key_len : strlen(t->key))) {
		ssh_err_set(err, SSH_ERR_AUTH,
			    "%s rejected the RSA key of user %s: this client "
			    "signs with ssh-rsa (SHA-1), which OpenSSH 8.8 "
			    "and later refuse by default; use an ed25519 or "
			    "ECDSA key",
			    c->peer, t->user);
	} else if (pw_rejected || key_rejected) {
		ssh_err_set(err, SSH_ERR_AUTH, "%s rejected the %s of user %s",
			    c->peer,
			    pw_rejected && key_rejected ? "key and password"
			    : pw_rejected		? "password"
							: "key",
			    t->user);
	} else {
		ssh_err_set(err, SSH_ERR_AUTH,
			    "%s offers only %s authentication for %s; the "
			    "credential given does not fit",
			    c->peer, methods, t->user);
	}
	return SSH_ERR_AUTH;
}

enum ssh_status
ssh_connect(const struct ssh_target *t, struct ssh_info *info,
	    struct ssh_conn **out, struct ssh_err *err)
{
	struct ssh_info local;
	struct ssh_conn *c;
	long long dl;
	enum ssh_status st;

	*out = NULL;
	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	ssh_err_set(err, SSH_OK, "ok");
	if (t == NULL || t->host == NULL || t->host[0] == '\0' ||
	    t->user == NULL || t->user[0] == '\0' || t->port < 0 ||
	    t->port > 65535 || strlen(t->host) > 253) {
		ssh_err_set(err, SSH_ERR_INVALID,
			    "the target needs a host, a port (1-65535) and "
			    "a user");
		return SSH_ERR_INVALID;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->fd = -1;
	snprintf(c->peer, sizeof(c->peer), "%s port %d", t->host,
		 t->port > 0 ? t->port : 22);
	dl =
	    ssh_now_ms() + (t->timeout_ms > 0 ? t->timeout_ms : SSH_TIMEOUT_MS);
	st = ssh_tcp_connect(c, t, dl, info, err);
	if (st == SSH_OK)
		st = ssh_handshake(c, t, dl, info, err);
	if (st == SSH_OK)
		st = ssh_check_host_key(c, t, info, err);
	if (st == SSH_OK)
		st = ssh_auth(c, t, dl, err);
	if (st != SSH_OK) {
		ssh_conn_free(c);
		return st;
	}
	info->authenticated = 1;
	*out = c;
	return SSH_OK;
}

static void
ssh_conn_free(struct ssh_conn *c)
{
	long long dl = ssh_now_ms() + 1000;

	/* The shared shell reads its end of input when its channel closes
	 * (and with the connection, whatever happens to this close). */
	while (c->shell != NULL &&
	       libssh2_channel_free(c->shell) == LIBSSH2_ERROR_EAGAIN &&
	       ssh_wait(c, dl, NULL, NULL) == SSH_OK)
		;
	c->shell = NULL;
	if (c->session != NULL) {
		/* One attempt, without waiting: a polite goodbye. */
		if (!c->broken)
			(void)libssh2_session_disconnect(c->session, "bye");
		libssh2_session_free(c->session);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

void
ssh_close(struct ssh_conn *c)
{
	if (c != NULL)
		ssh_conn_free(c);
}

int
ssh_shell_quote(struct buf *b, const char *s)
{
	return ssh_shell_quote_line(b, s, NULL);
}

int
ssh_shell_quote_line(struct buf *b, const char *s, const char *nlvar)
{
	size_t n;

	if (buf_append(b, "'", 1) != 0)
		return -1;
	for (;;) {
		n = strcspn(s, nlvar != NULL ? "'\n" : "'");
		if (buf_append(b, s, n) != 0)
			return -1;
		if (s[n] == '\0')
			break;
		if (s[n] == '\'') {
			if (buf_append(b, "'\\''", 4) != 0)
				return -1;
		} else if (buf_printf(b, "'\"$%s\"'", nlvar) != 0) {
			return -1;
		}
		s += n + 1;
	}
	return buf_append(b, "'", 1) != 0 ? -1 : 0;
}
