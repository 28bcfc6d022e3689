/* Text encodings: hex, base64url, base32, URL decoding, UTF-8 checks. */
#ifndef OC_ENC_H
#define OC_ENC_H

#include <stddef.h>

/* out must hold 2*n+1 bytes. */
void enc_hex(char *out, const unsigned char *in, size_t n);
/* Decodes hex (either case) into out; returns the byte count, or -1 when
 * in is not hex or needs more than outcap bytes. */
long enc_hex_decode(unsigned char *out, size_t outcap, const char *in,
		    size_t inlen);
/* base64url without padding; out must hold enc_b64url_len(n)+1 bytes. */
size_t enc_b64url_len(size_t n);
void enc_b64url(char *out, const unsigned char *in, size_t n);
/* Decodes base64url (padding optional). Returns bytes written or -1 on a
 * bad character or when out (outcap bytes) is too small. */
long enc_b64url_decode(unsigned char *out, size_t outcap, const char *in,
		       size_t n);
/* RFC 4648 base32 without padding; out must hold (n*8+4)/5+1 bytes. */
void enc_b32(char *out, const unsigned char *in, size_t n);
/* Decodes base32 (case-insensitive, spaces and '=' ignored); -1 on error. */
long enc_b32_decode(unsigned char *out, size_t outcap, const char *in);
/* Decodes %XX and '+' in place; returns -1 on a malformed escape. */
int enc_url_decode(char *s);
/* 1 when s[0..n) is well-formed UTF-8 without NUL bytes. */
int enc_utf8_valid(const char *s, size_t n);
/* Number of code points in valid UTF-8. */
size_t enc_utf8_len(const char *s);

#endif
