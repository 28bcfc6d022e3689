/* sshkey: type and fingerprint of keys made by ssh-keygen and openssl in
 * every form (OpenSSH, PKCS#1, SEC1, PKCS#8, encrypted or not) compared
 * with what `ssh-keygen -lf` prints; passphrase results; bad input. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/sshkey.h"
#include "fcgi/enc.h"
#include "tests/lib/tap.h"

#define PASS "correct horse battery"

struct key_case {
	const char *file; /* in the temp dir */
	const char *make; /* shell command run in the temp dir */
	const char *type; /* expected type */
	int bits;
	const char *pass; /* passphrase to inspect with, NULL for none */
	int encrypted;
	const char *header; /* expected first line */
};

static const struct key_case cases[] = {
    {"ed", "ssh-keygen -q -t ed25519 -N '' -C t -f ed", "ssh-ed25519", 256,
     NULL, 0, "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"rsa", "ssh-keygen -q -t rsa -b 2048 -N '' -C t -f rsa", "ssh-rsa", 2048,
     NULL, 0, "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"ec256", "ssh-keygen -q -t ecdsa -b 256 -N '' -C t -f ec256",
     "ecdsa-sha2-nistp256", 256, NULL, 0,
     "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"ec384", "ssh-keygen -q -t ecdsa -b 384 -N '' -C t -f ec384",
     "ecdsa-sha2-nistp384", 384, NULL, 0,
     "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"ec521", "ssh-keygen -q -t ecdsa -b 521 -N '' -C t -f ec521",
     "ecdsa-sha2-nistp521", 521, NULL, 0,
     "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"rsapem", "ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C t -f rsapem",
     "ssh-rsa", 3072, NULL, 0, "-----BEGIN RSA PRIVATE KEY-----"},
    {"ecpem", "ssh-keygen -q -t ecdsa -b 384 -m PEM -N '' -C t -f ecpem",
     "ecdsa-sha2-nistp384", 384, NULL, 0, "-----BEGIN EC PRIVATE KEY-----"},
    {"rsap8", "ssh-keygen -q -t rsa -b 2048 -m PKCS8 -N '' -C t -f rsap8",
     "ssh-rsa", 2048, NULL, 0, "-----BEGIN PRIVATE KEY-----"},
    {"ecp8", "ssh-keygen -q -t ecdsa -b 256 -m PKCS8 -N '' -C t -f ecp8",
     "ecdsa-sha2-nistp256", 256, NULL, 0, "-----BEGIN PRIVATE KEY-----"},
    {"edenc", "ssh-keygen -q -t ed25519 -N '" PASS "' -C t -f edenc",
     "ssh-ed25519", 256, PASS, 1, "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"rsaenc", "ssh-keygen -q -t rsa -b 2048 -N '" PASS "' -C t -f rsaenc",
     "ssh-rsa", 2048, PASS, 1, "-----BEGIN OPENSSH PRIVATE KEY-----"},
    {"rsapemenc",
     "ssh-keygen -q -t rsa -b 2048 -m PEM -N '" PASS "' -C t -f rsapemenc",
     "ssh-rsa", 2048, PASS, 1, "-----BEGIN RSA PRIVATE KEY-----"},
    {"ecp8enc",
     "ssh-keygen -q -t ecdsa -b 521 -m PKCS8 -N '" PASS "' -C t -f ecp8enc",
     "ecdsa-sha2-nistp521", 521, PASS, 1,
     "-----BEGIN ENCRYPTED PRIVATE KEY-----"},
    /* Ed25519 in PKCS#8 from openssl (ssh-keygen cannot write or read
     * it): the expected .pub is assembled from the raw public key. */
    {"edp8",
     "openssl genpkey -algorithm ed25519 -out edp8 2>/dev/null && "
     "{ printf 'ssh-ed25519 '; "
     "{ printf '\\000\\000\\000\\013ssh-ed25519\\000\\000\\000\\040'; "
     "openssl pkey -in edp8 -pubout -outform DER | tail -c 32; } | "
     "base64 -w0; echo; } > edp8.pub",
     "ssh-ed25519", 256, NULL, 0, "-----BEGIN PRIVATE KEY-----"},
    {"edp8enc",
     "openssl genpkey -algorithm ed25519 -aes-256-cbc -pass 'pass:" PASS
     "' -out edp8enc 2>/dev/null && "
     "{ printf 'ssh-ed25519 '; "
     "{ printf '\\000\\000\\000\\013ssh-ed25519\\000\\000\\000\\040'; "
     "openssl pkey -in edp8enc -passin 'pass:" PASS "' -pubout "
     "-outform DER | tail -c 32; } | base64 -w0; echo; } > edp8enc.pub",
     "ssh-ed25519", 256, PASS, 1, "-----BEGIN ENCRYPTED PRIVATE KEY-----"},
};

static char dir[64];

static char *slurp(const char *name, size_t *n);
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *keygen_fp(const char *file);
static void check_case(const struct key_case *c);
static void check_blob(void);
static void check_bad(void);

/* A whole file of the temp dir (malloc'd, NUL-terminated) or NULL. */
static char *
slurp(const char *name, size_t *n)
{
	char path[256];
	char *s;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	s = malloc((size_t)len + 1);
	if (s == NULL || fread(s, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(s);
		return NULL;
	}
	fclose(f);
	s[len] = '\0';
	if (n != NULL)
		*n = (size_t)len;
	return s;
}

/* Runs a shell command in the temp dir; its first output line (malloc'd)
 * or NULL. */
static char *
run(const char *fmt, ...)
{
	char cmd[2048], line[1024];
	va_list ap;
	FILE *p;
	char *out = NULL;

	snprintf(cmd, sizeof(cmd), "cd %s && ", dir);
	va_start(ap, fmt);
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (p == NULL)
		return NULL;
	if (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		out = strdup(line);
	}
	while (fgets(line, sizeof(line), p) != NULL)
		;
	if (pclose(p) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The SHA256:... that `ssh-keygen -lf file.pub` prints. */
static char *
keygen_fp(const char *file)
{
	char *line = run("ssh-keygen -E sha256 -lf %s.pub", file);
	char *fp, *sp;

	if (line == NULL)
		return NULL;
	fp = strchr(line, ' ');
	if (fp == NULL) {
		free(line);
		return NULL;
	}
	fp = strdup(fp + 1);
	sp = strchr(fp, ' ');
	if (sp != NULL)
		*sp = '\0';
	free(line);
	return fp;
}

static void
check_case(const struct key_case *c)
{
	struct sshkey_info info;
	enum sshkey_result res;
	char *made, *text, *want;
	const char *why;
	size_t n;

	made = run("(%s) >/dev/null 2>&1 && echo made", c->make);
	text = slurp(c->file, &n);
	want = keygen_fp(c->file);
	if (!ok(made != NULL && text != NULL && want != NULL,
		"%s: generated, ssh-keygen -lf gives %s", c->file,
		want != NULL ? want : "(nothing)")) {
		skip(5, "%s could not be generated", c->file);
		goto out;
	}
	ok(strncmp(text, c->header, strlen(c->header)) == 0, "%s: form %s",
	   c->file, c->header);
	res = sshkey_inspect(text, n, c->pass, &info, &why);
	if (!cmp_ok(res, "==", SSHKEY_OK, "%s: inspected", c->file))
		diag("    why: %s", why);
	is(info.fingerprint, want, "%s: fingerprint equals ssh-keygen's",
	   c->file);
	is(info.type, c->type, "%s: type", c->file);
	ok(info.bits == c->bits && info.encrypted == c->encrypted,
	   "%s: %d bits (got %d), encrypted %d (got %d)", c->file, c->bits,
	   info.bits, c->encrypted, info.encrypted);
	if (c->encrypted) {
		cmp_ok(sshkey_inspect(text, n, NULL, &info, &why),
		       "==", SSHKEY_NEED_PASSPHRASE, "%s: no passphrase",
		       c->file);
		cmp_ok(sshkey_inspect(text, n, "", &info, &why),
		       "==", SSHKEY_NEED_PASSPHRASE, "%s: empty passphrase",
		       c->file);
		if (strstr(c->header, "OPENSSH") == NULL)
			cmp_ok(sshkey_inspect(text, n, "wrong passphrase",
					      &info, &why),
			       "==", SSHKEY_BAD_PASSPHRASE,
			       "%s: wrong passphrase", c->file);
	}
out:
	free(made);
	free(text);
	free(want);
}

/* A host key blob as the worker gets it from libssh2. */
static void
check_blob(void)
{
	unsigned char blob[1024];
	char fp[SSHKEY_FP_MAX], type[SSHKEY_TYPE_MAX];
	char *pub = slurp("ec256.pub", NULL), *b64, *sp, *want;
	long n;
	size_t i;

	want = keygen_fp("ec256");
	if (!ok(pub != NULL && want != NULL, "host key blob: ec256.pub read")) {
		skip(2, "no ec256.pub");
		free(pub);
		free(want);
		return;
	}
	b64 = strchr(pub, ' ') + 1;
	sp = strchr(b64, ' ');
	if (sp != NULL)
		*sp = '\0';
	/* base64 -> base64url for enc.h */
	for (i = 0; b64[i] != '\0'; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	n = enc_b64url_decode(blob, sizeof(blob), b64, strlen(b64));
	sshkey_fingerprint(blob, (size_t)(n > 0 ? n : 0), fp);
	is(fp, want, "host key blob fingerprint equals ssh-keygen's");
	ok(sshkey_blob_type(blob, (size_t)(n > 0 ? n : 0), type) == 0 &&
	       strcmp(type, "ecdsa-sha2-nistp256") == 0,
	   "host key blob type");
	free(pub);
	free(want);
}

static void
check_bad(void)
{
	static const char *const bad[] = {
	    "",
	    "hello",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
	    "-----END OPENSSH PRIVATE KEY-----\n",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n"
	    "-----END OPENSSH PRIVATE KEY-----\n",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n",
	    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n"
	    "-----END PRIVATE KEY-----\n",
	};
	struct sshkey_info info;
	const char *why;
	char *text, *cut, *made;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cmp_ok(
		    sshkey_inspect(bad[i], strlen(bad[i]), NULL, &info, &why),
		    "==", SSHKEY_UNPARSABLE, "bad key %zu refused", i);
		ok(why != NULL && *why != '\0', "... with a reason");
	}
	text = slurp("ed.pub", &n);
	if (text != NULL)
		cmp_ok(sshkey_inspect(text, n, NULL, &info, &why),
		       "==", SSHKEY_UNPARSABLE,
		       "a public key is not a private key");
	else
		fail("ed.pub missing");
	free(text);
	/* Every truncation of a valid key is refused, never a crash. */
	text = slurp("ed", &n);
	if (text != NULL) {
		int refused = 1;

		for (i = 40; i + 40 < n; i += 7) {
			cut = strndup(text, i);
			if (sshkey_inspect(cut, i, NULL, &info, &why) ==
			    SSHKEY_OK)
				refused = 0;
			free(cut);
		}
		ok(refused, "truncated OpenSSH keys are refused");
	} else {
		fail("ed missing");
	}
	free(text);
	made = run("openssl genpkey -genparam -algorithm DSA -pkeyopt "
		   "dsa_paramgen_bits:1024 -out dsap 2>/dev/null && openssl "
		   "genpkey -paramfile dsap -out dsa 2>/dev/null && echo %s",
		   "made");
	if (made != NULL && (text = slurp("dsa", &n)) != NULL) {
		cmp_ok(sshkey_inspect(text, n, NULL, &info, &why),
		       "==", SSHKEY_UNSUPPORTED, "a DSA key is unsupported");
		free(text);
	} else {
		skip(1, "openssl cannot make a DSA key");
	}
	free(made);
}

int
main(void)
{
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/oc-sshkey.XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	check_blob();
	check_bad();
	free(run("rm -rf %s", dir));
	return done_testing();
}
