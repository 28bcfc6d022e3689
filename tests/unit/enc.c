/* Unit tests for text encodings: hex, base64url and base32 (RFC 4648
 * vectors and round trips), URL decoding and UTF-8 validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "tests/lib/tap.h"

struct vec {
	const char *in;
	const char *out;
};

/* RFC 4648 section 10, base64 made URL-safe without padding. */
static const struct vec b64[] = {
	{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},
	{"foo", "Zm9v"},  {"foob", "Zm9vYg"},  {"fooba", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}, {"\xff\xfe\xfd", "__79"},
};

static const struct vec b32[] = {
	{"", ""},          {"f", "MY"},          {"fo", "MZXQ"},
	{"foo", "MZXW6"},  {"foob", "MZXW6YQ"},  {"fooba", "MZXW6YTB"},
	{"foobar", "MZXW6YTBOI"},
	{"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
};

struct url_case {
	const char *in;
	const char *out; /* NULL: malformed */
};

static const struct url_case urls[] = {
	{"abc", "abc"},       {"a+b", "a b"},       {"a%20b", "a b"},
	{"%41%42", "AB"},     {"%e2%82%ac", "\xe2\x82\xac"},
	{"%", NULL},          {"%4", NULL},         {"%zz", NULL},
	{"%4g", NULL},        {"abc%", NULL},       {"", ""},
	{"%2B", "+"},         {"100%25", "100%"},
};

struct utf8_case {
	const char *name;
	const char *s;
	size_t n; /* 0: strlen */
	int valid;
	size_t len; /* code points when valid */
};

static const struct utf8_case utf8[] = {
	{"empty", "", 0, 1, 0},
	{"ASCII", "hello", 0, 1, 5},
	{"2-byte", "\xc3\xa9", 0, 1, 1},
	{"3-byte", "\xe2\x82\xac", 0, 1, 1},
	{"4-byte", "\xf0\x9f\x98\x80", 0, 1, 1},
	{"max code point", "\xf4\x8f\xbf\xbf", 0, 1, 1},
	{"mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 0, 1, 5},
	{"NUL", "a\0b", 3, 0, 0},
	{"lone continuation", "\x80", 0, 0, 0},
	{"0xff", "\xff", 0, 0, 0},
	{"0xfe", "\xfe", 0, 0, 0},
	{"overlong 2-byte C0", "\xc0\xaf", 0, 0, 0},
	{"overlong 2-byte C1", "\xc1\xbf", 0, 0, 0},
	{"overlong 3-byte", "\xe0\x80\xaf", 0, 0, 0},
	{"overlong 4-byte", "\xf0\x80\x80\xaf", 0, 0, 0},
	{"surrogate D800", "\xed\xa0\x80", 0, 0, 0},
	{"surrogate DFFF", "\xed\xbf\xbf", 0, 0, 0},
	{"above U+10FFFF", "\xf4\x90\x80\x80", 0, 0, 0},
	{"F5 lead", "\xf5\x80\x80\x80", 0, 0, 0},
	{"truncated 2-byte", "\xc3", 0, 0, 0},
	{"truncated 3-byte", "\xe2\x82", 0, 0, 0},
	{"truncated 4-byte", "\xf0\x9f\x98", 0, 0, 0},
	{"truncated then ASCII", "\xe2\x82x", 0, 0, 0},
	{"bad continuation", "\xc3\x28", 0, 0, 0},
	{"n stops inside a character", "\xe2\x82\xac", 2, 0, 0},
	{"5-byte form", "\xf8\x88\x80\x80\x80", 0, 0, 0},
};

int
main(void)
{
	unsigned char raw[256], bytes[256];
	char text[512];
	size_t i, n;
	long got;
	int all;

	enc_hex(text, (const unsigned char *)"\x00\x01\xab\xff", 4);
	is(text, "0001abff", "hex");
	enc_hex(text, raw, 0);
	is(text, "", "hex of nothing");

	for (i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		n = strlen(b64[i].in);
		cmp_ok((long long)enc_b64url_len(n), "==",
		       (long long)strlen(b64[i].out), "b64url length of %zu", n);
		enc_b64url(text, (const unsigned char *)b64[i].in, n);
		is(text, b64[i].out, "b64url '%s'", b64[i].out);
		got = enc_b64url_decode(raw, sizeof(raw), b64[i].out,
					strlen(b64[i].out));
		ok(got == (long)n && memcmp(raw, b64[i].in, n) == 0,
		   "b64url decode '%s'", b64[i].out);
	}
	got = enc_b64url_decode(raw, sizeof(raw), "Zm9vYg==", 8);
	ok(got == 4 && memcmp(raw, "foob", 4) == 0, "padding is accepted");
	ok(enc_b64url_decode(raw, sizeof(raw), "Zm9v!", 5) < 0,
	   "a bad character is refused");
	ok(enc_b64url_decode(raw, sizeof(raw), "Z", 1) < 0,
	   "a single character is refused");
	ok(enc_b64url_decode(raw, sizeof(raw), "Zm 9v", 5) < 0,
	   "a space is refused");
	ok(enc_b64url_decode(raw, 2, "Zm9v", 4) < 0,
	   "too little room is refused");
	ok(enc_b64url_decode(raw, 3, "Zm9v", 4) == 3, "exactly enough room");

	/* Round trips of every length and byte value. */
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 37 + 11);
	all = 1;
	for (n = 0; n <= 64; n++) {
		enc_b64url(text, bytes, n);
		if (strlen(text) != enc_b64url_len(n) ||
		    strpbrk(text, "+/=") != NULL)
			all = 0;
		got = enc_b64url_decode(raw, sizeof(raw), text, strlen(text));
		if (got != (long)n || memcmp(raw, bytes, n) != 0)
			all = 0;
	}
	ok(all, "b64url round trips for lengths 0..64, URL-safe alphabet");

	for (i = 0; i < sizeof(b32) / sizeof(b32[0]); i++) {
		n = strlen(b32[i].in);
		enc_b32(text, (const unsigned char *)b32[i].in, n);
		is(text, b32[i].out, "base32 '%s'", b32[i].out);
		got = enc_b32_decode(raw, sizeof(raw), b32[i].out);
		ok(got == (long)n && memcmp(raw, b32[i].in, n) == 0,
		   "base32 decode '%s'", b32[i].out);
	}
	got = enc_b32_decode(raw, sizeof(raw), "mzxw6ytboi======");
	ok(got == 6 && memcmp(raw, "foobar", 6) == 0,
	   "base32: lowercase and padding accepted");
	got = enc_b32_decode(raw, sizeof(raw), "MZXW 6YTB OI");
	ok(got == 6 && memcmp(raw, "foobar", 6) == 0, "base32: spaces ignored");
	ok(enc_b32_decode(raw, sizeof(raw), "MZXW1") < 0,
	   "base32: '1' is refused");
	ok(enc_b32_decode(raw, sizeof(raw), "MZXW8") < 0,
	   "base32: '8' is refused");
	ok(enc_b32_decode(raw, 2, "MZXW6") < 0, "base32: too little room");
	all = 1;
	for (n = 0; n <= 40; n++) {
		enc_b32(text, bytes, n);
		if (strlen(text) != (n * 8 + 4) / 5)
			all = 0;
		got = enc_b32_decode(raw, sizeof(raw), text);
		if (got != (long)n || memcmp(raw, bytes, n) != 0)
			all = 0;
	}
	ok(all, "base32 round trips for lengths 0..40");

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(text, sizeof(text), "%s", urls[i].in);
		if (urls[i].out == NULL) {
			ok(enc_url_decode(text) < 0, "url decode refuses '%s'",
			   urls[i].in);
		} else {
			ok(enc_url_decode(text) == 0, "url decode '%s'",
			   urls[i].in);
			is(text, urls[i].out, "url decode '%s' value",
			   urls[i].in);
		}
	}

	for (i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
		const struct utf8_case *c = &utf8[i];

		n = c->n ? c->n : strlen(c->s);
		ok(enc_utf8_valid(c->s, n) == c->valid, "UTF-8 %s: %s",
		   c->valid ? "valid" : "invalid", c->name);
		if (c->valid)
			cmp_ok((long long)enc_utf8_len(c->s), "==",
			       (long long)c->len, "UTF-8 length: %s", c->name);
	}
	return done_testing();
}
