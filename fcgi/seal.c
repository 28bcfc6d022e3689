/* Secrets at rest: hybrid encryption (X25519 + HKDF-SHA256 + AES-256-GCM)
 * under versioned key pairs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "seal.h"

#define SEAL_MAGIC "OCS1"
#define SEAL_HDR (4 + 4 + 32)
#define SEAL_INFO "opsconductor secret v1"

/* Keys are only ever added while the process runs (a version once loaded
 * is never replaced or freed before seal_cleanup), so a pointer read under
 * the lock stays valid after it is released. */
static EVP_PKEY *seal_pub[SEAL_MAX_VERSIONS + 1];
static EVP_PKEY *seal_priv[SEAL_MAX_VERSIONS + 1];
static int seal_current;
static pthread_mutex_t seal_mu = PTHREAD_MUTEX_INITIALIZER;
/* Where the keys came from, for picking up versions added later. */
static char seal_pub_dir[4096], seal_priv_dir[4096];
static struct timespec seal_pub_mtime;

static int seal_load(const char *dir, const char *ext, EVP_PKEY **keys,
		     int private);
static int seal_derive(EVP_PKEY *mine, const unsigned char peer[32],
		       const unsigned char eph_pub[32],
		       const unsigned char rcpt_pub[32],
		       unsigned char key[32]);
static int seal_raw_public(EVP_PKEY *k, unsigned char out[32]);
static void seal_pick_current(void);
static void seal_refresh_public(void);
static EVP_PKEY *seal_private_key(int v);
static int seal_write_key(const char *dir, int version, const char *ext,
			  EVP_PKEY *k, int private);

static int
seal_load(const char *dir, const char *ext, EVP_PKEY **keys, int private)
{
	char path[4096], tail[16];
	struct dirent *de;
	DIR *d = opendir(dir);
	FILE *f;
	int v, n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, "v%d%15s", &v, tail) != 2 ||
		    strcmp(tail, ext) != 0 || v < 1 || v > SEAL_MAX_VERSIONS)
			continue;
		if (keys[v] != NULL) {
			n++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		keys[v] = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
				  : PEM_read_PUBKEY(f, NULL, NULL, NULL);
		fclose(f);
		if (keys[v] == NULL || EVP_PKEY_get_id(keys[v]) !=
						EVP_PKEY_X25519) {
			fprintf(stderr, "seal: %s is not an X25519 key\n",
				path);
			EVP_PKEY_free(keys[v]);
			keys[v] = NULL;
			continue;
		}
		n++;
	}
	closedir(d);
	return n > 0 ? 0 : -1;
}

static void
seal_pick_current(void)
{
	int v;

	for (v = SEAL_MAX_VERSIONS; v > 0 && seal_pub[v] == NULL; v--)
		;
	seal_current = v;
}

int
seal_load_public(const char *dir)
{
	struct stat st;
	struct timespec now;
	int rc;

	pthread_mutex_lock(&seal_mu);
	snprintf(seal_pub_dir, sizeof(seal_pub_dir), "%s", dir);
	memset(&seal_pub_mtime, 0, sizeof(seal_pub_mtime));
	clock_gettime(CLOCK_REALTIME, &now);
	/* As in seal_refresh_public: a fresh mtime is not trusted. */
	if (stat(dir, &st) == 0 && now.tv_sec - st.st_mtim.tv_sec >= 2)
		seal_pub_mtime = st.st_mtim;
	rc = seal_load(dir, ".pub", seal_pub, 0);
	seal_pick_current();
	if (seal_current == 0)
		rc = -1;
	pthread_mutex_unlock(&seal_mu);
	return rc;
}

int
seal_load_private(const char *dir)
{
	int rc;

	pthread_mutex_lock(&seal_mu);
	snprintf(seal_priv_dir, sizeof(seal_priv_dir), "%s", dir);
	rc = seal_load(dir, ".key", seal_priv, 1);
	pthread_mutex_unlock(&seal_mu);
	return rc;
}

/* Under seal_mu. A key version added to the directory (key rotation)
 * changes its mtime: load what is new. Two changes within the clock's
 * granularity leave one mtime, so a directory changed in the last two
 * seconds is looked at again on the next call. */
static void
seal_refresh_public(void)
{
	struct stat st;
	struct timespec now;

	if (seal_pub_dir[0] == '\0' || stat(seal_pub_dir, &st) != 0)
		return;
	if (st.st_mtim.tv_sec == seal_pub_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == seal_pub_mtime.tv_nsec)
		return;
	seal_load(seal_pub_dir, ".pub", seal_pub, 0);
	seal_pick_current();
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec - st.st_mtim.tv_sec >= 2)
		seal_pub_mtime = st.st_mtim;
}

/* The private key of version v, loading versions added since the start
 * when v is not known yet. NULL when there is none. */
static EVP_PKEY *
seal_private_key(int v)
{
	EVP_PKEY *k;

	pthread_mutex_lock(&seal_mu);
	if (seal_priv[v] == NULL && seal_priv_dir[0] != '\0')
		seal_load(seal_priv_dir, ".key", seal_priv, 1);
	k = seal_priv[v];
	pthread_mutex_unlock(&seal_mu);
	return k;
}

int
seal_has_key(int version, int private)
{
	int has;

	if (version < 1 || version > SEAL_MAX_VERSIONS)
		return 0;
	pthread_mutex_lock(&seal_mu);
	has = (private ? seal_priv[version] : seal_pub[version]) != NULL;
	pthread_mutex_unlock(&seal_mu);
	return has;
}

void
seal_cleanup(void)
{
	int v;

	pthread_mutex_lock(&seal_mu);
	for (v = 0; v <= SEAL_MAX_VERSIONS; v++) {
		EVP_PKEY_free(seal_pub[v]);
		EVP_PKEY_free(seal_priv[v]);
		seal_pub[v] = seal_priv[v] = NULL;
	}
	seal_current = 0;
	seal_pub_dir[0] = seal_priv_dir[0] = '\0';
	pthread_mutex_unlock(&seal_mu);
}

int
seal_current_version(void)
{
	int v;

	pthread_mutex_lock(&seal_mu);
	v = seal_current;
	pthread_mutex_unlock(&seal_mu);
	return v;
}

static int
seal_raw_public(EVP_PKEY *k, unsigned char out[32])
{
	size_t len = 32;

	return EVP_PKEY_get_raw_public_key(k, out, &len) == 1 && len == 32
		       ? 0
		       : -1;
}

/* key = HKDF-SHA256(X25519(mine, peer), salt = eph_pub || rcpt_pub). */
static int
seal_derive(EVP_PKEY *mine, const unsigned char peer[32],
	    const unsigned char eph_pub[32], const unsigned char rcpt_pub[32],
	    unsigned char key[32])
{
	unsigned char shared[32], salt[64];
	char digest[] = "SHA256", info[] = SEAL_INFO;
	EVP_PKEY *peerkey;
	EVP_PKEY_CTX *ctx;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5];
	size_t slen = sizeof(shared);
	int ok;

	peerkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	if (peerkey == NULL)
		return -1;
	ctx = EVP_PKEY_CTX_new(mine, NULL);
	ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
	     EVP_PKEY_derive_set_peer(ctx, peerkey) == 1 &&
	     EVP_PKEY_derive(ctx, shared, &slen) == 1 && slen == 32;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peerkey);
	if (!ok)
		return -1;
	memcpy(salt, eph_pub, 32);
	memcpy(salt + 32, rcpt_pub, 32);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      shared, 32);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      salt, 64);
	params[3] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_INFO, info, strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	ok = kctx != NULL && EVP_KDF_derive(kctx, key, 32, params) == 1;
	EVP_KDF_CTX_free(kctx);
	OPENSSL_cleanse(shared, sizeof(shared));
	return ok ? 0 : -1;
}

unsigned char *
seal_encrypt(const void *aad, size_t aadlen, const void *pt, size_t n,
	     size_t *outlen)
{
	unsigned char key[32], rcpt[32], *out, *full_aad;
	EVP_PKEY *eph = NULL, *pub;
	EVP_PKEY_CTX *kctx;
	int v;

	pthread_mutex_lock(&seal_mu);
	seal_refresh_public();
	v = seal_current;
	pub = seal_pub[v];
	pthread_mutex_unlock(&seal_mu);
	if (v == 0 || pub == NULL || seal_raw_public(pub, rcpt))
		return NULL;
	kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	if (kctx == NULL || EVP_PKEY_keygen_init(kctx) != 1 ||
	    EVP_PKEY_keygen(kctx, &eph) != 1) {
		EVP_PKEY_CTX_free(kctx);
		return NULL;
	}
	EVP_PKEY_CTX_free(kctx);
	out = malloc(n + SEAL_OVERHEAD);
	full_aad = malloc(SEAL_HDR + aadlen);
	if (out == NULL || full_aad == NULL)
		abort();
	memcpy(out, SEAL_MAGIC, 4);
	out[4] = (unsigned char)(v >> 24);
	out[5] = (unsigned char)(v >> 16);
	out[6] = (unsigned char)(v >> 8);
	out[7] = (unsigned char)v;
	if (seal_raw_public(eph, out + 8) < 0 ||
	    seal_derive(eph, rcpt, out + 8, rcpt, key) < 0) {
		EVP_PKEY_free(eph);
		free(out);
		free(full_aad);
		return NULL;
	}
	EVP_PKEY_free(eph);
	/* The header is authenticated too: a blob cannot be relabelled. */
	memcpy(full_aad, out, SEAL_HDR);
	if (aadlen > 0)
		memcpy(full_aad + SEAL_HDR, aad, aadlen);
	crypto_seal(out + SEAL_HDR, key, full_aad, SEAL_HDR + aadlen, pt, n);
	OPENSSL_cleanse(key, sizeof(key));
	free(full_aad);
	*outlen = n + SEAL_OVERHEAD;
	return out;
}

int
seal_blob_version(const unsigned char *blob, size_t n)
{
	if (n < SEAL_OVERHEAD || memcmp(blob, SEAL_MAGIC, 4) != 0)
		return -1;
	return (int)((unsigned)blob[4] << 24 | (unsigned)blob[5] << 16 |
		     (unsigned)blob[6] << 8 | blob[7]);
}

long
seal_decrypt(unsigned char *out, size_t cap, const void *aad, size_t aadlen,
	     const unsigned char *blob, size_t n, const char **why)
{
	unsigned char key[32], rcpt[32], *full_aad;
	int v = seal_blob_version(blob, n);
	EVP_PKEY *priv;
	long got;

	*why = "not a sealed secret";
	if (v < 0)
		return -1;
	priv = v >= 1 && v <= SEAL_MAX_VERSIONS ? seal_private_key(v) : NULL;
	if (priv == NULL) {
		*why = "sealed under an unknown key version";
		return -1;
	}
	if (cap < n - SEAL_OVERHEAD) {
		*why = "output buffer too small";
		return -1;
	}
	if (seal_raw_public(priv, rcpt) < 0 ||
	    seal_derive(priv, blob + 8, blob + 8, rcpt, key) < 0) {
		*why = "key agreement failed";
		return -1;
	}
	full_aad = malloc(SEAL_HDR + aadlen);
	if (full_aad == NULL)
		abort();
	memcpy(full_aad, blob, SEAL_HDR);
	if (aadlen > 0)
		memcpy(full_aad + SEAL_HDR, aad, aadlen);
	got = crypto_open(out, key, full_aad, SEAL_HDR + aadlen,
			  blob + SEAL_HDR, n - SEAL_HDR);
	OPENSSL_cleanse(key, sizeof(key));
	free(full_aad);
	if (got < 0)
		*why = "tampered with or bound to another record";
	return got;
}

/* Writes dir/v<version><ext> whole under a temporary name and links it
 * into place, so that a reader never sees a half-written key and an
 * existing version is never replaced. Run as root, the file gets the
 * directory's owner (the service user that reads it). */
static int
seal_write_key(const char *dir, int version, const char *ext, EVP_PKEY *k,
	       int private)
{
	char path[4096], tmp[4120];
	struct stat st;
	FILE *f;
	int fd, ok;

	snprintf(path, sizeof(path), "%s/v%d%s", dir, version, ext);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, private ? 0600 : 0644);
	if (fd < 0)
		return -1;
	if (geteuid() == 0 && stat(dir, &st) == 0 &&
	    fchown(fd, st.st_uid, st.st_gid) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	ok = private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)
		     : PEM_write_PUBKEY(f, k);
	ok = ok == 1 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	ok = ok && link(tmp, path) == 0;
	unlink(tmp);
	return ok ? 0 : -1;
}

int
seal_generate(const char *dir, int version)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	int ok;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &k) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return -1;
	}
	EVP_PKEY_CTX_free(ctx);
	/* The private key first: whoever sees the public key (and seals
	 * under it) can count on the private key being there. */
	ok = seal_write_key(dir, version, ".key", k, 1) == 0 &&
	     seal_write_key(dir, version, ".pub", k, 0) == 0;
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

int
seal_retire(const char *dir, int version)
{
	char path[4096];
	int rc = 0;

	snprintf(path, sizeof(path), "%s/v%d.pub", dir, version);
	if (unlink(path) != 0 && errno != ENOENT)
		rc = -1;
	snprintf(path, sizeof(path), "%s/v%d.key", dir, version);
	if (unlink(path) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}
