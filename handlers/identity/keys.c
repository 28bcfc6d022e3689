/* The identity pool's secrets: the token signing key and the key that
 * encrypts TOTP secrets at rest. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cfg.h"
#include "keys.h"
#include "log.h"
#include "token.h"

static unsigned char keys_identity_key[KEYS_IDENTITY_LEN];

int
keys_load(void)
{
	size_t len = 0;
	char *k;

	if (token_load_signing_key(cfg.jwt_signing_key) < 0) {
		log_msg(LOG_ERROR, NULL, "cannot load the signing key %s",
			cfg.jwt_signing_key);
		return -1;
	}
	k = cfg_read_file(cfg.identity_key, &len);
	if (k == NULL || len != KEYS_IDENTITY_LEN) {
		log_msg(LOG_ERROR, NULL,
			"%s must hold exactly %d bytes (openssl rand -out "
			"FILE 32)",
			cfg.identity_key, KEYS_IDENTITY_LEN);
		if (k != NULL) {
			OPENSSL_cleanse(k, len);
			free(k);
		}
		return -1;
	}
	memcpy(keys_identity_key, k, KEYS_IDENTITY_LEN);
	OPENSSL_cleanse(k, len);
	free(k);
	return 0;
}

const unsigned char *
keys_identity(void)
{
	return keys_identity_key;
}
