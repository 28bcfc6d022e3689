/* Token minting for tests: P-256 key pairs and JWTs with any header,
 * claims and algorithm, to forge what the server must refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "enc.h"
#include "tests/lib/mint.h"

static char *mint_bio_text(BIO *b);

static char *
mint_bio_text(BIO *b)
{
	char *data, *out;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0)
		return NULL;
	out = malloc((size_t)n + 1);
	if (out == NULL)
		abort();
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

int
mint_ec_keypair(char **private_pem, char **public_pem)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	int rc = -1;

	*private_pem = *public_pem = NULL;
	if (k == NULL || priv == NULL || pub == NULL)
		goto out;
	if (PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pub, k) != 1)
		goto out;
	*private_pem = mint_bio_text(priv);
	*public_pem = mint_bio_text(pub);
	rc = *private_pem != NULL && *public_pem != NULL ? 0 : -1;
out:
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(k);
	return rc;
}

char *
mint_jwt(const char *alg, const char *key, size_t keylen,
	 const char *claims_json)
{
	jwt_t *jwt = NULL;
	char *s, *out = NULL;
	jwt_alg_t a = jwt_str_alg(alg);

	if (a == JWT_ALG_INVAL || jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grants_json(jwt, claims_json) != 0 ||
	    jwt_set_alg(jwt, a, (const unsigned char *)key, (int)keylen) != 0)
		goto out;
	s = jwt_encode_str(jwt);
	if (s != NULL) {
		out = strdup(s);
		free(s);
	}
out:
	jwt_free(jwt);
	return out;
}

char *
mint_raw(const char *header_json, const char *payload_json,
	 const char *sig_b64url)
{
	size_t hn = strlen(header_json), pn = strlen(payload_json);
	char *h = malloc(enc_b64url_len(hn) + 1);
	char *p = malloc(enc_b64url_len(pn) + 1);
	char *out = NULL;

	if (h == NULL || p == NULL)
		abort();
	enc_b64url(h, (const unsigned char *)header_json, hn);
	enc_b64url(p, (const unsigned char *)payload_json, pn);
	if (asprintf(&out, "%s.%s.%s", h, p, sig_b64url) < 0)
		abort();
	free(h);
	free(p);
	return out;
}

char *
mint_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		return NULL;
	n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	data = malloc((size_t)n + 1);
	if (data == NULL)
		abort();
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		fclose(f);
		return NULL;
	}
	data[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return data;
}
