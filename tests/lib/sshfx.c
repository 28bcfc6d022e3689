/* The sshd fixture of the SSH and SFTP tests, and their shared helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/lib/sshfx.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

/* The running fixture, stopped at exit if the test did not. */
static struct sshfx *sshfx_live;

static int sshfx_find_script(struct sshfx *fx);
static char *sshfx_slurp(const struct sshfx *fx, const char *name);
static void sshfx_at_exit(void);

/* OC_TEST_ROOT, else up from the test binary, else up from the cwd. */
static int
sshfx_find_script(struct sshfx *fx)
{
	const char *rel = "tests/fixtures/sshd/sshd.sh";
	const char *root = getenv("OC_TEST_ROOT");
	char base[2048], *p;
	ssize_t n;
	int up;

	if (root != NULL && root[0] != '\0') {
		snprintf(fx->script, sizeof(fx->script), "%s/%s", root, rel);
		if (access(fx->script, X_OK) == 0)
			return 0;
	}
	n = readlink("/proc/self/exe", base, sizeof(base) - 1);
	base[n > 0 ? n : 0] = '\0';
	if (n <= 0 && getcwd(base, sizeof(base)) == NULL)
		return -1;
	for (up = 0; up < 8; up++) {
		snprintf(fx->script, sizeof(fx->script), "%s/%s", base, rel);
		if (access(fx->script, X_OK) == 0)
			return 0;
		p = strrchr(base, '/');
		if (p == NULL || p == base)
			break;
		*p = '\0';
	}
	if (getcwd(base, sizeof(base)) == NULL)
		return -1;
	for (up = 0; up < 8; up++) {
		snprintf(fx->script, sizeof(fx->script), "%s/%s", base, rel);
		if (access(fx->script, X_OK) == 0)
			return 0;
		p = strrchr(base, '/');
		if (p == NULL || p == base)
			break;
		*p = '\0';
	}
	return -1;
}

/* A file of DIR, whole (one trailing newline dropped for short ones).
 * Malloc'd, the caller's. */
static char *
sshfx_slurp(const struct sshfx *fx, const char *name)
{
	char path[512], *s;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		BAIL_OUT("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = n >= 0 ? calloc(1, (size_t)n + 1) : NULL;
	if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n)
		BAIL_OUT("cannot read %s", path);
	fclose(f);
	if (n > 0 && n < 200 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static void
sshfx_at_exit(void)
{
	if (sshfx_live != NULL)
		sshfx_stop(sshfx_live);
}

int
sshfx_start(struct sshfx *fx)
{
	static int registered;
	char cmd[8192];

	if (sshfx_live != NULL)
		BAIL_OUT("one sshd fixture per process");
	memset(fx, 0, sizeof(*fx));
	if (getuid() != 0)
		return -1;
	if (sshfx_find_script(fx) != 0)
		BAIL_OUT("tests/fixtures/sshd/sshd.sh not found");
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/oc-sshd-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	sshfx_live = fx;
	if (!registered && atexit(sshfx_at_exit) != 0) {
		sshfx_stop(fx);
		BAIL_OUT("atexit failed");
	}
	registered = 1;
	fx->port = sshfx_free_port();
	snprintf(cmd, sizeof(cmd), "'%s' start '%s' %d >&2", fx->script,
		 fx->dir, fx->port);
	if (system(cmd) != 0)
		BAIL_OUT("the sshd fixture did not start");
	fx->password = sshfx_slurp(fx, "password");
	fx->passphrase = sshfx_slurp(fx, "passphrase");
	fx->key_ed = sshfx_slurp(fx, "id_ed25519");
	fx->key_ed_pass = sshfx_slurp(fx, "id_ed25519_pass");
	fx->key_rsa = sshfx_slurp(fx, "id_rsa_pem");
	fx->key_rsa_pass = sshfx_slurp(fx, "id_rsa_pem_pass");
	fx->key_ec = sshfx_slurp(fx, "id_ecdsa_pem");
	fx->key_ec_pass = sshfx_slurp(fx, "id_ecdsa_pem_pass");
	tc_secret(fx->password);
	tc_secret(fx->passphrase);
	tc_secret(fx->key_ed);
	tc_secret(fx->key_ed_pass);
	tc_secret(fx->key_rsa);
	tc_secret(fx->key_rsa_pass);
	tc_secret(fx->key_ec);
	tc_secret(fx->key_ec_pass);
	if (ssh_global_init() != 0)
		BAIL_OUT("libssh2_init failed");
	return 0;
}

void
sshfx_stop(struct sshfx *fx)
{
	char cmd[8192];
	int i;

	if (fx->dir[0] != '\0') {
		if (tap_failures() > 0)
			sshfx_show_log(fx);
		snprintf(cmd, sizeof(cmd),
			 "'%s' stop '%s' >/dev/null 2>&1; rm -rf '%s'",
			 fx->script, fx->dir, fx->dir);
		if (system(cmd) != 0)
			diag("could not remove %s", fx->dir);
		fx->dir[0] = '\0';
	}
	free(fx->password);
	free(fx->passphrase);
	free(fx->key_ed);
	free(fx->key_ed_pass);
	free(fx->key_rsa);
	free(fx->key_rsa_pass);
	free(fx->key_ec);
	free(fx->key_ec_pass);
	fx->password = fx->passphrase = NULL;
	fx->key_ed = fx->key_ed_pass = NULL;
	fx->key_rsa = fx->key_rsa_pass = NULL;
	fx->key_ec = fx->key_ec_pass = NULL;
	for (i = 0; i < fx->nmsgs; i++)
		free(fx->msgs[i]);
	fx->nmsgs = 0;
	if (sshfx_live == fx)
		sshfx_live = NULL;
}

int
sshfx_rekey(const struct sshfx *fx)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "'%s' rekey '%s' >&2", fx->script, fx->dir);
	return system(cmd) == 0 ? 0 : -1;
}

void
sshfx_show_log(const struct sshfx *fx)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "tail -n 40 '%s/sshd.log' >&2", fx->dir);
	if (system(cmd) != 0)
		diag("no sshd log");
}

int
sshfx_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		BAIL_OUT("no free loopback port");
	p = ntohs(a.sin_port);
	close(fd);
	return p;
}

struct ssh_target
sshfx_target(const struct sshfx *fx, const char *user)
{
	struct ssh_target t;

	memset(&t, 0, sizeof(t));
	t.host = "127.0.0.1";
	t.port = fx->port;
	t.user = user;
	t.timeout_ms = 5000;
	return t;
}

void
sshfx_keep(struct sshfx *fx, const struct ssh_err *e)
{
	if (e->code != SSH_OK && fx->nmsgs < SSHFX_MAX_MSGS) {
		fx->msgs[fx->nmsgs] = strdup(e->msg);
		if (fx->msgs[fx->nmsgs] != NULL)
			fx->nmsgs++;
	}
}

struct ssh_conn *
sshfx_login(struct sshfx *fx, const struct ssh_target *t, const char *what)
{
	struct ssh_conn *c = NULL;
	struct ssh_err e;
	struct ssh_info info;
	enum ssh_status st;

	st = ssh_connect(t, &info, &c, &e);
	sshfx_keep(fx, &e);
	if (!ok(st == SSH_OK && c != NULL && info.authenticated, "%s", what)) {
		diag("status %s: %s", ssh_status_name(st), e.msg);
		sshfx_show_log(fx);
	}
	return c;
}

enum ssh_status
sshfx_try_login(struct sshfx *fx, const struct ssh_target *t,
		struct ssh_info *info)
{
	struct ssh_conn *c = NULL;
	struct ssh_err e;
	enum ssh_status st;

	st = ssh_connect(t, info, &c, &e);
	sshfx_keep(fx, &e);
	ssh_close(c);
	return st;
}

enum ssh_status
sshfx_run(struct sshfx *fx, struct ssh_conn *c, const char *cmd,
	  const struct ssh_exec_opt *o, struct ssh_exec_result *r)
{
	struct ssh_err e;
	enum ssh_status st;

	st = ssh_exec(c, cmd, o, r, &e);
	sshfx_keep(fx, &e);
	if (st != SSH_OK && st != SSH_ERR_TIMEOUT && st != SSH_ERR_CANCELED)
		diag("%s: %s: %s", cmd, ssh_status_name(st), e.msg);
	return st;
}

void
sshfx_check_no_secrets(const struct sshfx *fx, int min_msgs)
{
	const char *secrets[9];
	char body[6][48];
	const char *keys[6] = {fx->key_ed,  fx->key_ed_pass,
			       fx->key_rsa, fx->key_rsa_pass,
			       fx->key_ec,  fx->key_ec_pass};
	int i, j, k, leaks = 0;

	/* A piece of each key's base64 body. */
	for (k = 0; k < 6; k++) {
		const char *p = strchr(keys[k], '\n');

		snprintf(body[k], sizeof(body[k]), "%.40s",
			 p != NULL ? p + 1 : "");
	}
	secrets[0] = fx->password;
	secrets[1] = fx->passphrase;
	for (k = 0; k < 6; k++)
		secrets[2 + k] = body[k];
	secrets[8] = "wrong-password";
	for (i = 0; i < fx->nmsgs; i++) {
		for (j = 0; j < 9; j++) {
			if (strstr(fx->msgs[i], secrets[j]) != NULL) {
				diag("secret %d in: %s", j, fx->msgs[i]);
				leaks++;
			}
		}
	}
	cmp_ok(fx->nmsgs, ">", min_msgs, "error messages collected");
	cmp_ok(leaks, "==", 0, "no password, passphrase or key text in them");
}

int
sshfx_sessions(const struct sshfx *fx)
{
	char path[512], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/sshd.log", fx->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "Starting session: command") != NULL)
			n++;
	fclose(f);
	return n;
}
