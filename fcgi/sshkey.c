/* SSH keys: type and SHA-256 fingerprint of private keys (OpenSSH and PEM
 * forms) and of public key blobs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "sshkey.h"

#define SSHKEY_OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define SSHKEY_OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define SSHKEY_OPENSSH_MAGIC "openssh-key-v1"
#define SSHKEY_TEXT_MAX (64 * 1024)
#define SSHKEY_BLOB_MAX 4200 /* RSA up to 16384 bits */

/* A read cursor over SSH wire data. */
struct sshkey_rd {
	const unsigned char *p;
	size_t left;
};

/* A bounded SSH wire-format writer. */
struct sshkey_wr {
	unsigned char data[SSHKEY_BLOB_MAX];
	size_t len;
	int overflow;
};

/* What the PEM passphrase callback saw. */
struct sshkey_pw {
	const char *passphrase;
	int asked;
};

static int sshkey_u32(struct sshkey_rd *r, uint32_t *v);
static int sshkey_string(struct sshkey_rd *r, const unsigned char **s,
			 size_t *n);
static int sshkey_string_is(const unsigned char *s, size_t n, const char *want);
static void sshkey_put(struct sshkey_wr *w, const void *p, size_t n);
static void sshkey_put_string(struct sshkey_wr *w, const void *p, size_t n);
static void sshkey_put_bn(struct sshkey_wr *w, const BIGNUM *bn);
static long sshkey_b64_decode(unsigned char *out, size_t cap, const char *in,
			      size_t n);
static int sshkey_blob_info(const unsigned char *blob, size_t n,
			    struct sshkey_info *info, const char **why);
static enum sshkey_result sshkey_openssh(const char *text, size_t n,
					 const char *passphrase,
					 struct sshkey_info *info,
					 const char **why);
static int sshkey_pem_cb(char *buf, int size, int rwflag, void *u);
static int sshkey_pkey_blob(EVP_PKEY *k, struct sshkey_wr *w, const char **why);
static enum sshkey_result sshkey_pem(const char *text, size_t n,
				     const char *passphrase,
				     struct sshkey_info *info,
				     const char **why);

static int
sshkey_u32(struct sshkey_rd *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int
sshkey_string(struct sshkey_rd *r, const unsigned char **s, size_t *n)
{
	uint32_t len;

	if (sshkey_u32(r, &len) < 0 || len > r->left)
		return -1;
	*s = r->p;
	*n = len;
	r->p += len;
	r->left -= len;
	return 0;
}

static int
sshkey_string_is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

static void
sshkey_put(struct sshkey_wr *w, const void *p, size_t n)
{
	if (w->overflow || n > sizeof(w->data) - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

static void
sshkey_put_string(struct sshkey_wr *w, const void *p, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24),
				(unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};

	sshkey_put(w, len, 4);
	sshkey_put(w, p, n);
}

/* An SSH mpint: big endian, a leading zero byte when the top bit is set. */
static void
sshkey_put_bn(struct sshkey_wr *w, const BIGNUM *bn)
{
	unsigned char buf[SSHKEY_BLOB_MAX / 2 + 1];
	int n = BN_num_bytes(bn);

	if (n < 0 || (size_t)n + 1 > sizeof(buf)) {
		w->overflow = 1;
		return;
	}
	buf[0] = 0;
	BN_bn2bin(bn, buf + 1);
	if (n > 0 && (buf[1] & 0x80) != 0)
		sshkey_put_string(w, buf, (size_t)n + 1);
	else
		sshkey_put_string(w, buf + 1, (size_t)n);
}

/* Standard base64 with line breaks and padding; -1 when malformed. */
static long
sshkey_b64_decode(unsigned char *out, size_t cap, const char *in, size_t n)
{
	char *clean = malloc(n + 1);
	size_t i, m = 0, pad = 0;
	int got;

	if (clean == NULL)
		abort();
	for (i = 0; i < n; i++)
		if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ' &&
		    in[i] != '\t')
			clean[m++] = in[i];
	clean[m] = '\0';
	if (m == 0 || m % 4 != 0 || m / 4 * 3 > cap) {
		free(clean);
		return -1;
	}
	if (clean[m - 1] == '=')
		pad++;
	if (clean[m - 2] == '=')
		pad++;
	got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)m);
	free(clean);
	if (got < 0 || (size_t)got < pad)
		return -1;
	return (long)((size_t)got - pad);
}

void
sshkey_fingerprint(const unsigned char *blob, size_t n, char out[SSHKEY_FP_MAX])
{
	unsigned char md[32];
	char b64[48];
	size_t len;

	crypto_sha256(md, blob, n);
	EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
	len = strlen(b64);
	while (len > 0 && b64[len - 1] == '=')
		b64[--len] = '\0';
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, b64, len + 1);
}

int
sshkey_blob_type(const unsigned char *blob, size_t n, char out[SSHKEY_TYPE_MAX])
{
	struct sshkey_rd r = {blob, n};
	const unsigned char *s;
	size_t len;

	if (sshkey_string(&r, &s, &len) < 0 || len == 0 ||
	    len >= SSHKEY_TYPE_MAX)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Type, bits and fingerprint of a public key blob; -1 when it is not a
 * key SSH targets can use. */
static int
sshkey_blob_info(const unsigned char *blob, size_t n, struct sshkey_info *info,
		 const char **why)
{
	struct sshkey_rd r = {blob, n};
	const unsigned char *s, *e, *m;
	size_t len, elen, mlen;

	if (sshkey_blob_type(blob, n, info->type) < 0 ||
	    sshkey_string(&r, &s, &len) < 0) {
		*why = "the public key inside the private key is malformed";
		return -1;
	}
	if (strcmp(info->type, "ssh-ed25519") == 0) {
		if (sshkey_string(&r, &s, &len) < 0 || len != 32)
			goto bad;
		info->bits = 256;
	} else if (strcmp(info->type, "ssh-rsa") == 0) {
		if (sshkey_string(&r, &e, &elen) < 0 ||
		    sshkey_string(&r, &m, &mlen) < 0 || mlen == 0)
			goto bad;
		while (mlen > 0 && *m == 0) {
			m++;
			mlen--;
		}
		info->bits = (int)mlen * 8;
		if (mlen > 0)
			for (len = 0x80; len > 0 && !(*m & len); len >>= 1)
				info->bits--;
	} else if (strncmp(info->type, "ecdsa-sha2-nistp", 16) == 0) {
		info->bits = atoi(info->type + 16);
		if (info->bits != 256 && info->bits != 384 && info->bits != 521)
			goto bad;
	} else if (strcmp(info->type, "ssh-dss") == 0) {
		*why = "DSA keys are not supported (OpenSSH disabled them); "
		       "use Ed25519, ECDSA or RSA";
		return -2;
	} else {
		*why = "this key type is not supported; use Ed25519, ECDSA "
		       "or RSA";
		return -2;
	}
	sshkey_fingerprint(blob, n, info->fingerprint);
	return 0;
bad:
	*why = "the public key inside the private key is malformed";
	return -1;
}

/* openssh-key-v1: magic, cipher, kdf, kdf options, key count, public key
 * blobs, then the (possibly encrypted) private section. */
static enum sshkey_result
sshkey_openssh(const char *text, size_t n, const char *passphrase,
	       struct sshkey_info *info, const char **why)
{
	const char *b =
	    memmem(text, n, SSHKEY_OPENSSH_BEGIN, strlen(SSHKEY_OPENSSH_BEGIN));
	const char *e, *body;
	const unsigned char *cipher, *kdf, *opts, *pub, *priv;
	size_t clen, klen, olen, plen, privlen,
	    ml = strlen(SSHKEY_OPENSSH_MAGIC);
	unsigned char *raw;
	struct sshkey_rd r, pr;
	uint32_t nkeys, check1, check2;
	enum sshkey_result res = SSHKEY_UNPARSABLE;
	long got;
	int rc;

	body = b + strlen(SSHKEY_OPENSSH_BEGIN);
	e = memmem(body, n - (size_t)(body - text), SSHKEY_OPENSSH_END,
		   strlen(SSHKEY_OPENSSH_END));
	*why = "the OpenSSH private key is malformed";
	if (e == NULL)
		return SSHKEY_UNPARSABLE;
	raw = malloc((size_t)(e - body) + 4);
	if (raw == NULL)
		abort();
	got = sshkey_b64_decode(raw, (size_t)(e - body) + 4, body,
				(size_t)(e - body));
	if (got < (long)ml + 1 ||
	    memcmp(raw, SSHKEY_OPENSSH_MAGIC, ml + 1) != 0)
		goto out;
	r.p = raw + ml + 1;
	r.left = (size_t)got - ml - 1;
	if (sshkey_string(&r, &cipher, &clen) < 0 ||
	    sshkey_string(&r, &kdf, &klen) < 0 ||
	    sshkey_string(&r, &opts, &olen) < 0 || sshkey_u32(&r, &nkeys) < 0)
		goto out;
	if (nkeys != 1) {
		*why = "the file holds more than one key; give one";
		goto out;
	}
	if (sshkey_string(&r, &pub, &plen) < 0 ||
	    sshkey_string(&r, &priv, &privlen) < 0)
		goto out;
	rc = sshkey_blob_info(pub, plen, info, why);
	if (rc < 0) {
		res = rc == -2 ? SSHKEY_UNSUPPORTED : SSHKEY_UNPARSABLE;
		goto out;
	}
	info->openssh = 1;
	info->encrypted = !sshkey_string_is(cipher, clen, "none");
	if (info->encrypted) {
		if (!sshkey_string_is(kdf, klen, "bcrypt")) {
			*why = "the key is encrypted with an unknown KDF";
			goto out;
		}
		if (passphrase == NULL || *passphrase == '\0') {
			*why = "the key is encrypted: give its passphrase";
			res = SSHKEY_NEED_PASSPHRASE;
			goto out;
		}
	} else {
		/* Plain: the two check words must agree. */
		pr.p = priv;
		pr.left = privlen;
		if (sshkey_u32(&pr, &check1) < 0 ||
		    sshkey_u32(&pr, &check2) < 0 || check1 != check2)
			goto out;
	}
	res = SSHKEY_OK;
	*why = NULL;
out:
	OPENSSL_cleanse(raw, (size_t)(e - body) + 4);
	free(raw);
	return res;
}

static int
sshkey_pem_cb(char *buf, int size, int rwflag, void *u)
{
	struct sshkey_pw *pw = u;
	size_t n;

	(void)rwflag;
	pw->asked = 1;
	if (pw->passphrase == NULL || *pw->passphrase == '\0')
		return -1;
	n = strlen(pw->passphrase);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw->passphrase, n);
	return (int)n;
}

/* The SSH public key blob of an OpenSSL key. 0, -1 malformed, -2
 * unsupported. */
static int
sshkey_pkey_blob(EVP_PKEY *k, struct sshkey_wr *w, const char **why)
{
	BIGNUM *e = NULL, *n = NULL;
	unsigned char pt[160];
	char group[64], name[32];
	size_t len = 0;
	const char *curve;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_ED25519:
		len = 32;
		if (EVP_PKEY_get_raw_public_key(k, pt, &len) != 1 || len != 32)
			return -1;
		sshkey_put_string(w, "ssh-ed25519", 11);
		sshkey_put_string(w, pt, len);
		break;
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
		    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) != 1) {
			BN_free(e);
			return -1;
		}
		sshkey_put_string(w, "ssh-rsa", 7);
		sshkey_put_bn(w, e);
		sshkey_put_bn(w, n);
		BN_free(e);
		BN_free(n);
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(
			k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
			&len) != 1)
			return -1;
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "P-256") == 0)
			curve = "nistp256";
		else if (strcmp(group, "secp384r1") == 0 ||
			 strcmp(group, "P-384") == 0)
			curve = "nistp384";
		else if (strcmp(group, "secp521r1") == 0 ||
			 strcmp(group, "P-521") == 0)
			curve = "nistp521";
		else {
			*why = "this elliptic curve is not supported by SSH; "
			       "use P-256, P-384 or P-521";
			return -2;
		}
		EVP_PKEY_set_utf8_string_param(
		    k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		    "uncompressed");
		if (EVP_PKEY_get_octet_string_param(
			k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
			&len) != 1)
			return -1;
		memcpy(name, "ecdsa-sha2-", 11);
		memcpy(name + 11, curve, strlen(curve) + 1);
		sshkey_put_string(w, name, strlen(name));
		sshkey_put_string(w, curve, strlen(curve));
		sshkey_put_string(w, pt, len);
		break;
	case EVP_PKEY_DSA:
		*why =
		    "DSA keys are not supported (OpenSSH disabled them); use "
		    "Ed25519, ECDSA or RSA";
		return -2;
	default:
		*why = "this key type is not supported; use Ed25519, ECDSA or "
		       "RSA";
		return -2;
	}
	return w->overflow ? -1 : 0;
}

static enum sshkey_result
sshkey_pem(const char *text, size_t n, const char *passphrase,
	   struct sshkey_info *info, const char **why)
{
	struct sshkey_pw pw = {passphrase, 0};
	struct sshkey_wr *w;
	EVP_PKEY *k;
	BIO *bio = BIO_new_mem_buf(text, (int)n);
	int rc;

	if (bio == NULL)
		abort();
	k = PEM_read_bio_PrivateKey(bio, NULL, sshkey_pem_cb, &pw);
	BIO_free(bio);
	ERR_clear_error();
	if (k == NULL) {
		if (pw.asked && (passphrase == NULL || *passphrase == '\0')) {
			*why = "the key is encrypted: give its passphrase";
			return SSHKEY_NEED_PASSPHRASE;
		}
		if (pw.asked) {
			*why = "the passphrase does not decrypt the key";
			return SSHKEY_BAD_PASSPHRASE;
		}
		*why = "not a private key in OpenSSH or PEM form";
		return SSHKEY_UNPARSABLE;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		abort();
	*why = "the key could not be read";
	rc = sshkey_pkey_blob(k, w, why);
	EVP_PKEY_free(k);
	ERR_clear_error();
	if (rc == 0)
		rc = sshkey_blob_info(w->data, w->len, info, why);
	free(w);
	if (rc < 0)
		return rc == -2 ? SSHKEY_UNSUPPORTED : SSHKEY_UNPARSABLE;
	info->encrypted = pw.asked;
	*why = NULL;
	return SSHKEY_OK;
}

enum sshkey_result
sshkey_inspect(const char *text, size_t n, const char *passphrase,
	       struct sshkey_info *info, const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	memset(info, 0, sizeof(*info));
	if (n == 0 || n > SSHKEY_TEXT_MAX) {
		*why = "not a private key in OpenSSH or PEM form";
		return SSHKEY_UNPARSABLE;
	}
	if (memmem(text, n, SSHKEY_OPENSSH_BEGIN,
		   strlen(SSHKEY_OPENSSH_BEGIN)) != NULL)
		return sshkey_openssh(text, n, passphrase, info, why);
	if (memmem(text, n, "PRIVATE KEY-----", 16) == NULL) {
		*why = "not a private key in OpenSSH or PEM form (a public "
		       "key or certificate is not enough)";
		return SSHKEY_UNPARSABLE;
	}
	return sshkey_pem(text, n, passphrase, info, why);
}
