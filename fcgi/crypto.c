/* Randomness, hashes, MACs, AEAD and constant-time comparison (OpenSSL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "enc.h"

#define CRYPTO_NONCE 12
#define CRYPTO_TAG 16

static void crypto_die(const char *what) __attribute__((noreturn));

static void
crypto_die(const char *what)
{
	fprintf(stderr, "crypto: %s failed\n", what);
	abort();
}

void
crypto_random(void *p, size_t n)
{
	if (n > 0 && RAND_bytes(p, (int)n) != 1)
		crypto_die("RAND_bytes");
}

void
crypto_random_token(char *out, size_t cap, size_t n)
{
	unsigned char raw[128];

	if (n > sizeof(raw) || enc_b64url_len(n) + 1 > cap)
		crypto_die("token size");
	crypto_random(raw, n);
	enc_b64url(out, raw, n);
	OPENSSL_cleanse(raw, n);
}

void
crypto_sha256(unsigned char out[32], const void *p, size_t n)
{
	unsigned int len = 32;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		crypto_die("SHA-256");
}

void
crypto_sha256_hex(char out[65], const char *s)
{
	unsigned char md[32];

	crypto_sha256(md, s, strlen(s));
	enc_hex(out, md, 32);
}

int
crypto_hmac(const char *md, const void *key, size_t keylen, const void *msg,
	    size_t msglen, unsigned char *out)
{
	const EVP_MD *m;
	unsigned int len = 0;

	if (strcmp(md, "SHA1") == 0)
		m = EVP_sha1();
	else if (strcmp(md, "SHA256") == 0)
		m = EVP_sha256();
	else if (strcmp(md, "SHA512") == 0)
		m = EVP_sha512();
	else
		return -1;
	if (HMAC(m, key, (int)keylen, msg, msglen, out, &len) == NULL)
		return -1;
	return (int)len;
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
crypto_seal(unsigned char *out, const unsigned char key[32], const void *aad,
	    size_t aadlen, const void *in, size_t n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len;

	if (ctx == NULL)
		crypto_die("EVP_CIPHER_CTX_new");
	crypto_random(out, CRYPTO_NONCE);
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    (aadlen > 0 &&
	     EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1) ||
	    EVP_EncryptUpdate(ctx, out + CRYPTO_NONCE, &len, in, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + CRYPTO_NONCE + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG,
				out + CRYPTO_NONCE + n) != 1)
		crypto_die("AES-256-GCM seal");
	EVP_CIPHER_CTX_free(ctx);
}

long
crypto_open(unsigned char *out, const unsigned char key[32], const void *aad,
	    size_t aadlen, const unsigned char *in, size_t n)
{
	unsigned char tag[CRYPTO_TAG];
	EVP_CIPHER_CTX *ctx;
	size_t clen;
	int len, ok;

	if (n < CRYPTO_NONCE + CRYPTO_TAG)
		return -1;
	clen = n - CRYPTO_NONCE - CRYPTO_TAG;
	memcpy(tag, in + CRYPTO_NONCE + clen, CRYPTO_TAG);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		crypto_die("EVP_CIPHER_CTX_new");
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
	     (aadlen == 0 ||
	      EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aadlen) == 1) &&
	     EVP_DecryptUpdate(ctx, out, &len, in + CRYPTO_NONCE,
			       (int)clen) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG,
				 tag) == 1 &&
	     EVP_DecryptFinal_ex(ctx, out + len, &len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(out, clen);
		return -1;
	}
	return (long)clen;
}

void
crypto_uuid(char out[37])
{
	unsigned char b[16];

	crypto_random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}
