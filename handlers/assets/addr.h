/* Address syntax for targets and discovery: host names (RFC 1123), IPv4
 * and IPv6 addresses, and CIDR ranges with their host counts. */
#ifndef OC_ASSETS_ADDR_H
#define OC_ASSETS_ADDR_H

#include <stddef.h>

/* Room for any canonical host, address or range text with its NUL. */
#define ADDR_MAX 256

/* Checks a target host: a DNS name (lowercased, a trailing dot dropped),
 * an IPv4 address in dotted decimal, or an IPv6 address (no brackets, no
 * zone). Fills out with the canonical text; NULL when fine, else a static
 * message saying what is wrong. */
const char *addr_host(const char *in, char out[ADDR_MAX]);
/* An IPv4 or IPv6 address only; canonical text into out. */
const char *addr_ip(const char *in, char out[ADDR_MAX]);
/* A range "a.b.c.d/n", "v6/n" or a single address (/32, /128). Host bits
 * are cleared in the canonical text written to out. *hosts gets the
 * number of addresses a scan visits (IPv4 larger than /31 leaves out the
 * network and broadcast addresses; saturates). */
const char *addr_cidr(const char *in, char out[ADDR_MAX],
		      unsigned long long *hosts);

#endif
