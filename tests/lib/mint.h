/* Token minting for tests: P-256 key pairs and JWTs with any header,
 * claims and algorithm, to forge what the server must refuse. */
#ifndef OC_MINT_H
#define OC_MINT_H

#include <stddef.h>

/* A fresh P-256 key pair as PEM strings (malloc'd, caller frees). 0/-1. */
int mint_ec_keypair(char **private_pem, char **public_pem);
/* Signs a JWT with alg ("none", "HS256", "ES256", ...) and key (PEM or
 * HMAC secret, keylen bytes) over claims, a JSON object text. Returns a
 * malloc'd token or NULL. */
char *mint_jwt(const char *alg, const char *key, size_t keylen,
	       const char *claims_json);
/* Builds "<b64url(header)>.<b64url(payload)>.<sig>" from raw texts, for
 * tokens libjwt would not make. Malloc'd. */
char *mint_raw(const char *header_json, const char *payload_json,
	       const char *sig_b64url);
/* Reads a whole file (malloc'd, NUL-terminated); NULL if unreadable. */
char *mint_read_file(const char *path, size_t *len);

#endif
