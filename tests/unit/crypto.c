/* Unit tests for crypto helpers: SHA-256 and HMAC vectors (FIPS 180-2,
 * RFC 2202, RFC 4231), constant-time compare, random tokens, AES-GCM. */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "enc.h"
#include "tests/lib/tap.h"

struct hmac_vec {
	const char *md;
	const char *key;
	size_t keylen;
	const char *msg;
	const char *hex;
};

static const struct hmac_vec hmacs[] = {
	/* RFC 2202 test cases 2 and 1 (key 0x0b x 20). */
	{"SHA1", "Jefe", 4, "what do ya want for nothing?",
	 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	{"SHA1", "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
		 "\x0b\x0b\x0b\x0b\x0b",
	 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
	/* RFC 4231 test case 2. */
	{"SHA256", "Jefe", 4, "what do ya want for nothing?",
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"SHA512", "Jefe", 4, "what do ya want for nothing?",
	 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	 "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
};

int
main(void)
{
	unsigned char md[64], key[32], sealed[128], opened[128];
	char hex[129], tok[64], tok2[64];
	size_t i;
	long n;
	int len;

	crypto_sha256(md, "abc", 3);
	enc_hex(hex, md, 32);
	is(hex,
	   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	   "SHA-256 of abc");
	crypto_sha256_hex(hex, "");
	is(hex,
	   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	   "SHA-256 hex of the empty string");

	for (i = 0; i < sizeof(hmacs) / sizeof(hmacs[0]); i++) {
		len = crypto_hmac(hmacs[i].md, hmacs[i].key, hmacs[i].keylen,
				  hmacs[i].msg, strlen(hmacs[i].msg), md);
		cmp_ok(len, "==", (long long)strlen(hmacs[i].hex) / 2,
		       "HMAC-%s length", hmacs[i].md);
		enc_hex(hex, md, len > 0 ? (size_t)len : 0);
		is(hex, hmacs[i].hex, "HMAC-%s vector %zu", hmacs[i].md, i);
	}
	ok(crypto_hmac("MD5", "k", 1, "m", 1, md) < 0,
	   "an unknown digest is refused");

	ok(crypto_equal("abcd", "abcd", 4), "equal buffers");
	ok(!crypto_equal("abcd", "abce", 4), "different last byte");
	ok(!crypto_equal("xbcd", "abcd", 4), "different first byte");
	ok(crypto_equal("a", "b", 0), "zero bytes are equal");

	crypto_random_token(tok, sizeof(tok), 32);
	crypto_random_token(tok2, sizeof(tok2), 32);
	cmp_ok((long long)strlen(tok), "==", 43, "32 random bytes: 43 chars");
	ok(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789-_") == 43,
	   "random token uses the base64url alphabet");
	isnt(tok, tok2, "two random tokens differ");

	crypto_random(key, sizeof(key));
	crypto_seal(sealed, key, "aad", 3, "secret", 6);
	ok(memmem(sealed, 6 + 28, "secret", 6) == NULL,
	   "sealed text hides the plaintext");
	n = crypto_open(opened, key, "aad", 3, sealed, 6 + 28);
	ok(n == 6 && memcmp(opened, "secret", 6) == 0, "seal/open round trip");
	ok(crypto_open(opened, key, "aaX", 3, sealed, 6 + 28) < 0,
	   "other associated data is refused");
	sealed[14] ^= 1;
	ok(crypto_open(opened, key, "aad", 3, sealed, 6 + 28) < 0,
	   "a flipped ciphertext bit is refused");
	sealed[14] ^= 1;
	sealed[6 + 27] ^= 1;
	ok(crypto_open(opened, key, "aad", 3, sealed, 6 + 28) < 0,
	   "a flipped tag bit is refused");
	ok(crypto_open(opened, key, "aad", 3, sealed, 20) < 0,
	   "a blob shorter than nonce + tag is refused");
	crypto_seal(sealed, key, NULL, 0, "", 0);
	ok(crypto_open(opened, key, NULL, 0, sealed, 28) == 0,
	   "an empty secret round trips");
	return done_testing();
}
