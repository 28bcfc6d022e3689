/* RFC 6238 time-based one-time passwords: pure functions, no I/O. */
#ifndef OC_TOTP_H
#define OC_TOTP_H

#include <stddef.h>
#include <time.h>

#define TOTP_PERIOD 30	   /* seconds per step */
#define TOTP_DIGITS 6	   /* digits of a code */
#define TOTP_WINDOW 1	   /* steps accepted either side of now */
#define TOTP_SECRET_LEN 20 /* bytes of a new secret (160 bits) */

/* The time step of t: floor(t / period). */
long long totp_step(time_t t, int period);
/* The HOTP value (RFC 4226) of step with HMAC md ("SHA1", "SHA256",
 * "SHA512") truncated to digits (1..9) decimal digits; -1 on error. */
long totp_code(const char *md, const unsigned char *key, size_t keylen,
	       long long step, int digits);
/* Parses exactly TOTP_DIGITS ASCII digits; -1 otherwise. */
long totp_parse(const char *s);
/* Checks code against the steps around now (TOTP_WINDOW either side),
 * SHA-1, TOTP_DIGITS digits, TOTP_PERIOD seconds, refusing any step at or
 * before last_step (-1: none used yet). Returns the matching step, or -1
 * when the code is malformed, wrong or replayed. Constant time in the
 * code's value. */
long long totp_verify(const unsigned char *key, size_t keylen, const char *code,
		      time_t now, long long last_step);

#endif
