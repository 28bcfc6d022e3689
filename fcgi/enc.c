/* Text encodings: hex, base64url, base32, URL decoding, UTF-8 checks. */
#include <string.h>

#include "enc.h"

static const char enc_hexdig[] = "0123456789abcdef";
static const char enc_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char enc_b32a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int enc_hexval(int c);
static int enc_b64val(int c);

void
enc_hex(char *out, const unsigned char *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = enc_hexdig[in[i] >> 4];
		out[2 * i + 1] = enc_hexdig[in[i] & 15];
	}
	out[2 * n] = '\0';
}

size_t
enc_b64url_len(size_t n)
{
	return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void
enc_b64url(char *out, const unsigned char *in, size_t n)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = enc_b64[v >> 18 & 63];
		out[o++] = enc_b64[v >> 12 & 63];
		out[o++] = enc_b64[v >> 6 & 63];
		out[o++] = enc_b64[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)in[i] << 16;
		out[o++] = enc_b64[v >> 18 & 63];
		out[o++] = enc_b64[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = enc_b64[v >> 18 & 63];
		out[o++] = enc_b64[v >> 12 & 63];
		out[o++] = enc_b64[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int
enc_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

long
enc_b64url_decode(unsigned char *out, size_t outcap, const char *in, size_t n)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i, o = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		v = enc_b64val((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

void
enc_b32(char *out, const unsigned char *in, size_t n)
{
	unsigned acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xffff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = enc_b32a[acc >> bits & 31];
		}
	}
	if (bits > 0)
		out[o++] = enc_b32a[acc << (5 - bits) & 31];
	out[o] = '\0';
}

long
enc_b32_decode(unsigned char *out, size_t outcap, const char *in)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t o = 0;

	for (; *in != '\0'; in++) {
		int c = (unsigned char)*in;

		if (c == ' ' || c == '=' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		acc = (acc << 5 | (unsigned)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

static int
enc_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
enc_hex_decode(unsigned char *out, size_t outcap, const char *in,
	       size_t inlen)
{
	size_t i;
	int hi, lo;

	if (inlen % 2 != 0 || inlen / 2 > outcap)
		return -1;
	for (i = 0; i < inlen / 2; i++) {
		hi = enc_hexval((unsigned char)in[2 * i]);
		lo = enc_hexval((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(inlen / 2);
}

int
enc_url_decode(char *s)
{
	char *w = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%') {
			hi = enc_hexval((unsigned char)s[1]);
			lo = hi < 0 ? -1 : enc_hexval((unsigned char)s[2]);
			if (hi < 0 || lo < 0)
				return -1;
			*w++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}

int
enc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	unsigned cp;
	int k, j;

	while (i < n) {
		unsigned c = s[i];

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= (size_t)k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += (size_t)k + 1;
	}
	return 1;
}

size_t
enc_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}
