/* Randomness, hashes, MACs and constant-time comparison (OpenSSL). */
#ifndef OC_CRYPTO_H
#define OC_CRYPTO_H

#include <stddef.h>

/* Fills p with n bytes from the CSPRNG; aborts if it fails. */
void crypto_random(void *p, size_t n);
/* n random bytes as base64url text (no padding) in out (cap bytes). */
void crypto_random_token(char *out, size_t cap, size_t n);
void crypto_sha256(unsigned char out[32], const void *p, size_t n);
/* A random (version 4) uuid as text. */
void crypto_uuid(char out[37]);
/* SHA-256 of s as 64 hex characters plus NUL. */
void crypto_sha256_hex(char out[65], const char *s);
/* HMAC with "SHA1", "SHA256" or "SHA512"; returns the MAC length or -1. */
int crypto_hmac(const char *md, const void *key, size_t keylen,
		const void *msg, size_t msglen, unsigned char *out);
/* 1 when equal, in time that depends only on n. */
int crypto_equal(const void *a, const void *b, size_t n);
/* AES-256-GCM with a fresh 12-byte nonce. out gets nonce||ciphertext||tag
 * (n + 28 bytes). aad binds the ciphertext to its context. */
void crypto_seal(unsigned char *out, const unsigned char key[32],
		 const void *aad, size_t aadlen, const void *in, size_t n);
/* Reverses crypto_seal; returns plaintext length or -1 when tampered. */
long crypto_open(unsigned char *out, const unsigned char key[32],
		 const void *aad, size_t aadlen, const unsigned char *in,
		 size_t n);

#endif
