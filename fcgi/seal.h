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
 * when none is readable. */
int seal_load_public(const char *dir);
/* Loads dir/v<N>.key (private keys) for every N, for decryption. */
int seal_load_private(const char *dir);
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
/* Writes a new key pair dir/v<version>.key (0600) and .pub. 0 or -1. */
int seal_generate(const char *dir, int version);

#endif
