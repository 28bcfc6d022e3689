/* RFC 6238 time-based one-time passwords: pure functions, no I/O. */
#include <stdint.h>
#include <string.h>

#include "crypto.h"
#include "totp.h"

long long
totp_step(time_t t, int period)
{
	if (t < 0)
		return -1;
	return (long long)(t / period);
}

long
totp_code(const char *md, const unsigned char *key, size_t keylen,
	  long long step, int digits)
{
	static const long pow10[] = {1,		10,	   100,	    1000,
				     10000,	100000,	   1000000, 10000000,
				     100000000, 1000000000};
	unsigned char msg[8], mac[64];
	uint64_t s = (uint64_t)step;
	uint32_t bin;
	int i, len, off;

	if (digits < 1 || digits > 9 || step < 0)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(s & 0xff);
		s >>= 8;
	}
	len = crypto_hmac(md, key, keylen, msg, sizeof(msg), mac);
	if (len < 20)
		return -1;
	off = mac[len - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | (uint32_t)mac[off + 3];
	return (long)(bin % (uint32_t)pow10[digits]);
}

long
totp_parse(const char *s)
{
	long v = 0;
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < TOTP_DIGITS; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return s[i] == '\0' ? v : -1;
}

long long
totp_verify(const unsigned char *key, size_t keylen, const char *code,
	    time_t now, long long last_step)
{
	long long step = totp_step(now, TOTP_PERIOD), found = -1, st;
	long want = totp_parse(code), got;
	int d;

	if (want < 0 || step < 0)
		return -1;
	/* Every candidate is computed and compared, so the time taken does
	 * not say which step matched. */
	for (d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
		st = step + d;
		got = totp_code("SHA1", key, keylen, st, TOTP_DIGITS);
		if (got >= 0 && crypto_equal(&got, &want, sizeof(got)) &&
		    st > last_step && found < 0)
			found = st;
	}
	return found;
}
