/* The second factor: TOTP secrets sealed at rest, code and recovery code
 * checks with replay protection, and new recovery codes. */
#ifndef OC_FACTOR_H
#define OC_FACTOR_H

#include <stddef.h>
#include <json-c/json.h>

#include "totp.h"

struct req;

#define FACTOR_RECOVERY_CODES 10
/* Sealed secret as hex: (TOTP_SECRET_LEN + 28) * 2 + 1 bytes. */
#define FACTOR_SEALED_HEX ((TOTP_SECRET_LEN + 28) * 2 + 1)

/* Seals a TOTP secret under the identity key, bound to user_id; hex out. */
void factor_seal(char out[FACTOR_SEALED_HEX], const char *user_id,
		 const unsigned char secret[TOTP_SECRET_LEN]);
/* Opens a sealed hex secret of user_id. 0, or -1 (logged) when it does
 * not open: wrong row, wrong key or tampered. */
int factor_open(unsigned char secret[TOTP_SECRET_LEN], const char *user_id,
		const char *hex);
/* Checks a TOTP code (consuming its time step) or else a recovery code
 * (consuming it) for user_id, inside the caller's transaction. Returns 1
 * when accepted, 0 when wrong, replayed or unusable, -1 with a problem
 * set on a database failure. */
int factor_check(struct req *r, const char *user_id, const char *sealed_hex,
		 const char *last_step, const char *code, const char *recovery);
/* Replaces user_id's recovery codes with FACTOR_RECOVERY_CODES new ones
 * and returns them as a new JSON array of "xxxx-xxxx-xxxx" (shown once;
 * the caller owns it), or NULL with a problem set. */
json_object *factor_recovery_new(struct req *r, const char *user_id);

#endif
