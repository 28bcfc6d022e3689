/* Secrets at rest: hybrid encryption (X25519 + HKDF-SHA256 + AES-256-GCM)
 * under versioned key pairs. The web tier holds only public keys and can
 * only encrypt; the worker holds the private keys and decrypts. */
#ifndef OC_SEAL_H
#define OC_SEAL_H

#include <stddef.h>

/* Sealed blob: "OCS1" | version (4 bytes, big endian) | ephemeral public
 * key (32) | nonce (12) | ciphertext | tag (16). */
#define SEAL_OVERHEAD (4 + 4 + 32 + 12 + 16)
#define SEAL_MAX_VERSIONS 64

/* Loads dir/v<N>.pub for every N; the highest is used to encrypt. 0, or -1
 * when none is readable. A version added to dir later (key rotation) is
 * picked up by the next seal_encrypt: the directory's mtime is checked on
 * every call, no restart or signal needed. Thread-safe. */
int seal_load_public(const char *dir);
/* Loads dir/v<N>.key (private keys) for every N, for decryption. A blob
 * of a version not loaded yet makes seal_decrypt look in dir again. */
int seal_load_private(const char *dir);
/* 1 when the public (private = 0) or private key of version is loaded. */
int seal_has_key(int version, int private);
void seal_cleanup(void);
/* The version new secrets are sealed under, or 0 when no key is loaded. */
int seal_current_version(void);
/* Seals n bytes bound to aad (e.g. "credential:<id>:secret"). Returns a
 * malloc'd blob of n + SEAL_OVERHEAD bytes, or NULL when no key is loaded. */
unsigned char *seal_encrypt(const void *aad, size_t aadlen, const void *pt,
			    size_t n, size_t *outlen);
/* Opens a blob into out (cap >= n - SEAL_OVERHEAD). Returns the plaintext
 * length, or -1 with *why set: unknown key version, no private key, or
 * tampered (wrong row, flipped bit). */
long seal_decrypt(unsigned char *out, size_t cap, const void *aad,
		  size_t aadlen, const unsigned char *blob, size_t n,
		  const char **why);
/* The key version a blob was sealed under, or -1 if it is not a blob. */
int seal_blob_version(const unsigned char *blob, size_t n);
/* Writes a new key pair dir/v<version>.key (0600) and then .pub, each
 * complete before it appears under its name; an existing version is never
 * replaced. 0 or -1. */
int seal_generate(const char *dir, int version);
/* Removes dir/v<version>.pub and .key (key loaded in memory stay until
 * seal_cleanup). 0, or -1 when a file exists and cannot be removed. */
int seal_retire(const char *dir, int version);

#endif
