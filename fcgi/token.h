/* Access tokens: ES256-signed JWTs. Every pool verifies with the public
 * key; only the identity pool holds the private key that signs. */
#ifndef OC_TOKEN_H
#define OC_TOKEN_H

#include <stddef.h>
#include <time.h>

#define TOKEN_ISSUER "opsconductor"
#define TOKEN_AUDIENCE "opsconductor-api"

struct token_claims {
	char sub[37];      /* user id */
	char username[65];
	char role[16];
	char sid[37];      /* session id */
	char jti[33];
	time_t iat, nbf, exp;
};

/* Loads a PEM public key (verify) or private key (sign). 0 or -1. */
int token_load_verify_key(const char *path);
int token_load_signing_key(const char *path);
/* Verifies signature (ES256 only: the header is checked before anything
 * else), issuer, audience, exp and nbf at time now. 0 or -1; *why gets a
 * short static reason for the log. */
int token_verify(const char *jwt, time_t now, struct token_claims *c,
		 const char **why);
/* Signs c (iss, aud set here) and returns a malloc'd token; NULL if no
 * signing key is loaded. */
char *token_sign(const struct token_claims *c);
/* Frees the loaded keys. */
void token_cleanup(void);

#endif
