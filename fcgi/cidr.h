/* Address ranges for network discovery: CIDR parsing and formatting, host
 * counting, iteration over host addresses, and allow-list checks. */
#ifndef OC_CIDR_H
#define OC_CIDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text cidr_format writes, with its NUL ("ffff:...:ffff/128"). */
#define CIDR_STRLEN 50

/* One range. addr holds the network address in network byte order (IPv4
 * in the first 4 bytes, the rest zero); host bits are always clear. */
struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	int prefix;		/* 0..32 or 0..128 */
	unsigned char addr[16]; /* network address */
};

/* Parses "a.b.c.d/n", "a.b.c.d", "IPv6/n" or "IPv6" (a single address is
 * /32 or /128). IPv4 is dotted decimal only, without leading zeros (no
 * octal or hex ambiguity); IPv6 has no zone ("%eth0"). Host bits are
 * cleared: "10.1.2.3/24" becomes 10.1.2.0/24 (cidr_format shows the
 * canonical text). An IPv4-mapped IPv6 range with prefix >= 96
 * ("::ffff:10.0.0.0/120") becomes its IPv4 range, so allow lists written in
 * IPv4 apply to it. Returns 0, or -1 with *why (if not NULL) set to a
 * static message naming the problem. */
int cidr_parse(struct cidr *c, const char *s, const char **why);
/* Canonical text "10.1.2.0/24", "2001:db8::/32" into out (size >=
 * CIDR_STRLEN recommended; truncated otherwise). */
void cidr_format(const struct cidr *c, char *out, size_t size);

/* Number of host addresses iteration yields, saturating at UINT64_MAX
 * (an IPv6 /64 or larger). IPv4 /31 and /32 count every address; larger
 * IPv4 networks leave out the network and broadcast addresses. IPv6
 * ranges count every address. */
uint64_t cidr_hosts(const struct cidr *c);
/* Sum over c[0..n), saturating at UINT64_MAX. */
uint64_t cidr_hosts_list(const struct cidr *c, size_t n);

/* 1 if the address (family, 4 or 16 bytes in network order) is in c. */
int cidr_contains_addr(const struct cidr *c, int family,
		       const unsigned char *addr);
/* 1 if iterating c yields that address (in c, and not the IPv4 network or
 * broadcast address of a net larger than /31). */
int cidr_yields(const struct cidr *c, int family, const unsigned char *addr);
/* 1 if inner lies entirely inside outer (same family). */
int cidr_contains(const struct cidr *outer, const struct cidr *inner);
/* 1 if every address of c is inside the union of allowed[0..n) (a range
 * may span several adjacent allowed ranges). */
int cidr_allowed(const struct cidr *c, const struct cidr *allowed, size_t n);

/* Iteration over the host addresses of one range, in ascending order. */
struct cidr_iter {
	int family;
	int done;
	unsigned char cur[16];	/* next address to yield */
	unsigned char last[16]; /* last address to yield */
};

void cidr_iter_init(struct cidr_iter *it, const struct cidr *c);
/* Fills addr (4 or 16 bytes) with the next host address and returns 1, or
 * returns 0 when the range is exhausted. */
int cidr_iter_next(struct cidr_iter *it, unsigned char addr[16]);

/* Builds a socket address for (family, addr, port). Returns its length. */
socklen_t cidr_sockaddr(int family, const unsigned char *addr, uint16_t port,
			struct sockaddr_storage *ss);

#endif
