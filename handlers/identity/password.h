/* Passwords: argon2id hashing and verification, and the password policy. */
#ifndef OC_PASSWORD_H
#define OC_PASSWORD_H

#include <stddef.h>

struct req;

#define PASSWORD_MIN 12	      /* code points */
#define PASSWORD_MAX 256      /* code points */
#define PASSWORD_DISTINCT 5   /* distinct characters */
#define PASSWORD_HASH_MAX 160 /* bytes of an encoded hash, with NUL */
#define PASSWORD_POLICY_MAX 8 /* messages password_policy can return */

/* Hashes pw with argon2id (cfg.argon2_memory_kib, cfg.argon2_iterations,
 * parallelism 1, 16-byte random salt, 32-byte hash) into out as the
 * encoded "$argon2id$v=19$m=..,t=..,p=1$salt$hash" string. 0 or -1. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* 1 when pw matches encoded. With encoded NULL (unknown user) a dummy hash
 * made with the same parameters is verified instead, so the time taken
 * is the same, and 0 is returned. */
int password_verify(const char *encoded, const char *pw);
/* Prepares the dummy hash (done lazily otherwise). 0 or -1. */
int password_init(void);
/* Checks pw against the policy for username (may be NULL). Fills msgs
 * with up to PASSWORD_POLICY_MAX static messages, one per failing rule,
 * and returns how many. */
int password_policy(const char *pw, const char *username,
		    const char *msgs[PASSWORD_POLICY_MAX]);
/* password_policy as 422 field errors on field; 0 or -1. */
int password_policy_or_problem(struct req *r, const char *field, const char *pw,
			       const char *username);

#endif
