/* Access tokens: ES256-signed JWTs (libjwt). Every pool verifies with the
 * public key; only the identity pool holds the private key that signs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>

#include "cfg.h"
#include "crypto.h"
#include "enc.h"
#include "token.h"
#include "valid.h"

#define TOKEN_MAX 4096
#define TOKEN_CACHE 64

/* Verified tokens, so a client that reuses its token costs one hash, not
 * one ECDSA verification, per request. Keyed by the SHA-256 of the token;
 * the time checks still run on every use. Per thread. */
struct token_cache_entry {
	unsigned char hash[32];
	int used;
	struct token_claims claims;
};

static char *token_verify_pem, *token_signing_pem;
static size_t token_verify_len, token_signing_len;
static __thread struct token_cache_entry token_cache[TOKEN_CACHE];

static int token_load(const char *path, char **pem, size_t *len);
static int token_header_ok(const char *jwt, size_t hlen);
static int token_copy(char *dst, size_t cap, const char *src);
static int token_times_ok(const struct token_claims *c, time_t now,
			  const char **why);

static int
token_load(const char *path, char **pem, size_t *len)
{
	free(*pem);
	*pem = cfg_read_file(path, len);
	if (*pem == NULL) {
		fprintf(stderr, "token: cannot read key %s\n", path);
		return -1;
	}
	return 0;
}

int
token_load_verify_key(const char *path)
{
	return token_load(path, &token_verify_pem, &token_verify_len);
}

int
token_load_signing_key(const char *path)
{
	return token_load(path, &token_signing_pem, &token_signing_len);
}

void
token_cleanup(void)
{
	if (token_signing_pem != NULL)
		memset(token_signing_pem, 0, token_signing_len);
	free(token_signing_pem);
	free(token_verify_pem);
	token_signing_pem = token_verify_pem = NULL;
}

/* The header must be exactly {"alg":"ES256"} with an optional "typ":"JWT".
 * Checked before libjwt sees the token, so "none" and HMAC with the public
 * key as secret (algorithm confusion) never reach a verifier. */
static int
token_header_ok(const char *jwt, size_t hlen)
{
	unsigned char raw[256];
	json_object *h, *v;
	long n;
	int ok = 1, keys = 0;

	n = enc_b64url_decode(raw, sizeof(raw) - 1, jwt, hlen);
	if (n <= 0)
		return 0;
	raw[n] = '\0';
	h = json_tokener_parse((const char *)raw);
	if (h == NULL || !json_object_is_type(h, json_type_object)) {
		json_object_put(h);
		return 0;
	}
	json_object_object_foreach(h, key, val)
	{
		keys++;
		if (strcmp(key, "alg") == 0)
			ok &= json_object_is_type(val, json_type_string) &&
			      strcmp(json_object_get_string(val), "ES256") == 0;
		else if (strcmp(key, "typ") == 0)
			ok &= json_object_is_type(val, json_type_string) &&
			      strcmp(json_object_get_string(val), "JWT") == 0;
		else
			ok = 0;
	}
	ok &= json_object_object_get_ex(h, "alg", &v);
	json_object_put(h);
	return ok && keys >= 1;
}

static int
token_copy(char *dst, size_t cap, const char *src)
{
	if (src == NULL || strlen(src) >= cap)
		return -1;
	strcpy(dst, src);
	return 0;
}

static int
token_times_ok(const struct token_claims *c, time_t now, const char **why)
{
	/* 30 s of leeway for clocks of several hosts. */
	if (now >= c->exp + 30) {
		*why = "expired";
		return 0;
	}
	if (now + 30 < c->nbf) {
		*why = "not yet valid";
		return 0;
	}
	return 1;
}

int
token_verify(const char *token, time_t now, struct token_claims *c,
	     const char **why)
{
	struct token_cache_entry *e;
	unsigned char hash[32];
	const char *dot1, *dot2;
	jwt_t *jwt = NULL;
	size_t len;
	int rc = -1;

	*why = "malformed";
	if (token_verify_pem == NULL) {
		*why = "no verification key";
		return -1;
	}
	len = strlen(token);
	if (len == 0 || len > TOKEN_MAX)
		return -1;
	crypto_sha256(hash, token, len);
	e = &token_cache[hash[0] % TOKEN_CACHE];
	if (e->used && crypto_equal(e->hash, hash, 32)) {
		*c = e->claims;
		return token_times_ok(c, now, why) ? 0 : -1;
	}

	dot1 = strchr(token, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL ||
	    dot2[1] == '\0')
		return -1;
	if (!token_header_ok(token, (size_t)(dot1 - token))) {
		*why = "algorithm not allowed";
		return -1;
	}
	if (jwt_decode(&jwt, token, (const unsigned char *)token_verify_pem,
		       (int)token_verify_len) != 0 ||
	    jwt == NULL) {
		*why = "bad signature";
		goto out;
	}
	if (jwt_get_alg(jwt) != JWT_ALG_ES256) {
		*why = "algorithm not allowed";
		goto out;
	}
	memset(c, 0, sizeof(*c));
	if (jwt_get_grant(jwt, "iss") == NULL ||
	    strcmp(jwt_get_grant(jwt, "iss"), TOKEN_ISSUER) != 0) {
		*why = "wrong issuer";
		goto out;
	}
	if (jwt_get_grant(jwt, "aud") == NULL ||
	    strcmp(jwt_get_grant(jwt, "aud"), TOKEN_AUDIENCE) != 0) {
		*why = "wrong audience";
		goto out;
	}
	c->exp = jwt_get_grant_int(jwt, "exp");
	c->nbf = jwt_get_grant_int(jwt, "nbf");
	c->iat = jwt_get_grant_int(jwt, "iat");
	if (c->exp <= 0 || c->iat <= 0 ||
	    token_copy(c->sub, sizeof(c->sub), jwt_get_grant(jwt, "sub")) ||
	    token_copy(c->sid, sizeof(c->sid), jwt_get_grant(jwt, "sid")) ||
	    token_copy(c->username, sizeof(c->username),
		       jwt_get_grant(jwt, "username")) ||
	    token_copy(c->role, sizeof(c->role), jwt_get_grant(jwt, "role")) ||
	    token_copy(c->jti, sizeof(c->jti), jwt_get_grant(jwt, "jti"))) {
		*why = "missing claims";
		goto out;
	}
	if (!valid_uuid(c->sub) || !valid_uuid(c->sid)) {
		*why = "malformed claims";
		goto out;
	}
	if (!token_times_ok(c, now, why))
		goto out;
	memcpy(e->hash, hash, 32);
	e->claims = *c;
	e->used = 1;
	rc = 0;
out:
	jwt_free(jwt);
	return rc;
}

char *
token_sign(const struct token_claims *c)
{
	jwt_t *jwt = NULL;
	char *out = NULL, *s;

	if (token_signing_pem == NULL || jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "iss", TOKEN_ISSUER) == 0 &&
	    jwt_add_grant(jwt, "aud", TOKEN_AUDIENCE) == 0 &&
	    jwt_add_grant(jwt, "sub", c->sub) == 0 &&
	    jwt_add_grant(jwt, "sid", c->sid) == 0 &&
	    jwt_add_grant(jwt, "username", c->username) == 0 &&
	    jwt_add_grant(jwt, "role", c->role) == 0 &&
	    jwt_add_grant(jwt, "jti", c->jti) == 0 &&
	    jwt_add_grant_int(jwt, "iat", (long)c->iat) == 0 &&
	    jwt_add_grant_int(jwt, "nbf", (long)c->nbf) == 0 &&
	    jwt_add_grant_int(jwt, "exp", (long)c->exp) == 0 &&
	    jwt_add_header(jwt, "typ", "JWT") == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_ES256,
			(const unsigned char *)token_signing_pem,
			(int)token_signing_len) == 0) {
		s = jwt_encode_str(jwt);
		if (s != NULL) {
			out = strdup(s);
			free(s);
		}
	}
	jwt_free(jwt);
	return out;
}
