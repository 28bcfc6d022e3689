/* Unit tests for TOTP (handlers/identity/totp.c): the RFC 6238 appendix B
 * vectors for SHA-1, SHA-256 and SHA-512, the acceptance window, replay
 * refusal and malformed codes. */
#include <stdio.h>
#include <string.h>

#include "handlers/identity/totp.h"
#include "tests/lib/tap.h"

struct vec {
	long long t;
	long sha1, sha256, sha512; /* 8-digit codes */
};

/* RFC 6238, appendix B. */
static const struct vec vecs[] = {
    {59LL, 94287082, 46119246, 90693936},
    {1111111109LL, 7081804, 68084774, 25091201},
    {1111111111LL, 14050471, 67062674, 99943326},
    {1234567890LL, 89005924, 91819424, 93441116},
    {2000000000LL, 69279037, 90698825, 38618901},
    {20000000000LL, 65353130, 77737706, 47863826},
};

static const unsigned char seed1[] = "12345678901234567890";
static const unsigned char seed256[] = "12345678901234567890123456789012";
static const unsigned char seed512[] =
    "1234567890123456789012345678901234567890123456789012345678901234";

static void code_of(char out[8], long long step);

/* The 6-digit code of step with the SHA-1 seed, as text. */
static void
code_of(char out[8], long long step)
{
	snprintf(out, 8, "%06ld",
		 totp_code("SHA1", seed1, 20, step, TOTP_DIGITS));
}

int
main(void)
{
	char c1[8], c2[8], c3[8];
	size_t i;
	long long step;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		step = totp_step((time_t)vecs[i].t, 30);
		cmp_ok(totp_code("SHA1", seed1, 20, step, 8),
		       "==", vecs[i].sha1, "SHA1 at T=%lld", vecs[i].t);
		cmp_ok(totp_code("SHA256", seed256, 32, step, 8),
		       "==", vecs[i].sha256, "SHA256 at T=%lld", vecs[i].t);
		cmp_ok(totp_code("SHA512", seed512, 64, step, 8),
		       "==", vecs[i].sha512, "SHA512 at T=%lld", vecs[i].t);
	}
	cmp_ok(totp_step(59, 30), "==", 1, "T=59 is step 1");
	cmp_ok(totp_step(60, 30), "==", 2, "T=60 is step 2");
	cmp_ok(totp_code("SHA1", seed1, 20, 1, 6), "==", 287082,
	       "6 digits are the last 6 of the 8-digit value");
	cmp_ok(totp_code("MD5", seed1, 20, 1, 6), "==", -1,
	       "an unknown hash is refused");
	cmp_ok(totp_code("SHA1", seed1, 20, 1, 10), "==", -1,
	       "more than 9 digits is refused");

	/* The window: one step either side of now. */
	code_of(c1, 1);
	code_of(c2, 2);
	code_of(c3, 3);
	is(c1, "287082", "code of step 1");
	cmp_ok(totp_verify(seed1, 20, c1, 59, -1), "==", 1,
	       "the current step's code is accepted");
	cmp_ok(totp_verify(seed1, 20, c1, 60, -1), "==", 1,
	       "the previous step's code is accepted");
	cmp_ok(totp_verify(seed1, 20, c1, 29, -1), "==", 1,
	       "the next step's code is accepted");
	cmp_ok(totp_verify(seed1, 20, c1, 90, -1), "==", -1,
	       "a code two steps old is refused");
	cmp_ok(totp_verify(seed1, 20, c3, 59, -1), "==", -1,
	       "a code two steps ahead is refused");
	cmp_ok(totp_verify(seed1, 20, c2, 59, -1), "==", 2,
	       "the matching step is returned");

	/* Replay: a step once used cannot be used again. */
	cmp_ok(totp_verify(seed1, 20, c1, 59, 1), "==", -1,
	       "the last used step is refused");
	cmp_ok(totp_verify(seed1, 20, c1, 60, 2), "==", -1,
	       "a step older than the last used one is refused");
	cmp_ok(totp_verify(seed1, 20, c2, 60, 1), "==", 2,
	       "a newer step is accepted after an older one");

	/* Malformed codes. */
	cmp_ok(totp_parse("012345"), "==", 12345, "leading zero kept");
	cmp_ok(totp_parse("28708"), "==", -1, "5 digits refused");
	cmp_ok(totp_parse("2870820"), "==", -1, "7 digits refused");
	cmp_ok(totp_parse("28708a"), "==", -1, "a letter refused");
	cmp_ok(totp_parse(" 287082"), "==", -1, "a space refused");
	cmp_ok(totp_parse(""), "==", -1, "empty refused");
	cmp_ok(totp_parse(NULL), "==", -1, "NULL refused");
	cmp_ok(totp_verify(seed1, 20, "28708", 59, -1), "==", -1,
	       "a short code never verifies");
	cmp_ok(totp_verify(seed1, 20, "287083", 59, -1), "==", -1,
	       "a wrong code never verifies");
	return done_testing();
}
