/* The identity pool's secrets: the token signing key and the key that
 * encrypts TOTP secrets at rest. */
#ifndef OC_KEYS_H
#define OC_KEYS_H

#define KEYS_IDENTITY_LEN 32

/* Loads cfg.jwt_signing_key and cfg.identity_key (exactly 32 bytes).
 * Logs what is wrong and returns -1 on failure. */
int keys_load(void);
/* The identity secret key (KEYS_IDENTITY_LEN bytes) once loaded. */
const unsigned char *keys_identity(void);

#endif
