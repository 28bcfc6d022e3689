/* Address ranges for network discovery: CIDR parsing and formatting, host
 * counting, iteration over host addresses, and allow-list checks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"

/* Longest input accepted: an IPv6 address in its longest text form
 * (45 characters) plus "/128". */
#define CIDR_INPUT_MAX 49

static int cidr_addr_len(int family);
static int cidr_max_prefix(int family);
static int cidr_parse_ipv4(const char *s, size_t n, unsigned char out[4]);
static int cidr_parse_prefix(const char *s, int max);
static void cidr_mask(unsigned char *addr, int len, int prefix, int set);
static int cidr_covered(const struct cidr *c, const struct cidr *allowed,
			size_t n, int depth);

static int
cidr_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int
cidr_max_prefix(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Strict dotted decimal: four fields of 1-3 digits, 0..255, no leading
 * zeros. inet_pton is not used because some libcs accept octal forms. */
static int
cidr_parse_ipv4(const char *s, size_t n, unsigned char out[4])
{
	size_t i = 0;
	int field, digits, value;

	for (field = 0; field < 4; field++) {
		if (field > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		digits = 0;
		value = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && value == 0)
				return -1; /* leading zero */
			value = value * 10 + (s[i] - '0');
			digits++;
			i++;
			if (digits > 3 || value > 255)
				return -1;
		}
		if (digits == 0)
			return -1;
		out[field] = (unsigned char)value;
	}
	return i == n ? 0 : -1;
}

/* Decimal 0..max without sign, spaces or leading zeros; -1 if bad. */
static int
cidr_parse_prefix(const char *s, int max)
{
	int value = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	return value <= max ? value : -1;
}

/* Clears (set = 0) or sets (set = 1) every bit after the first prefix. */
static void
cidr_mask(unsigned char *addr, int len, int prefix, int set)
{
	int i, bits;
	unsigned char keep;

	for (i = 0; i < len; i++) {
		bits = prefix - i * 8;
		if (bits >= 8)
			continue;
		keep = bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
		if (set)
			addr[i] |= (unsigned char)~keep;
		else
			addr[i] &= keep;
	}
}

int
cidr_parse(struct cidr *c, const char *s, const char **why)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,	   0,
						 0, 0, 0, 0, 0xff, 0xff};
	char text[CIDR_INPUT_MAX + 1];
	const char *slash, *msg;
	size_t alen, n;
	int prefix;

	memset(c, 0, sizeof(*c));
	msg = NULL;
	n = s == NULL ? 0 : strnlen(s, CIDR_INPUT_MAX + 1);
	if (n == 0) {
		msg = "empty address range";
		goto fail;
	}
	if (n > CIDR_INPUT_MAX) {
		msg = "address range is too long";
		goto fail;
	}
	slash = strchr(s, '/');
	alen = slash == NULL ? n : (size_t)(slash - s);
	if (alen == 0) {
		msg = "missing address before the prefix length";
		goto fail;
	}
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (memchr(text, ':', alen) != NULL) {
		if (memchr(text, '%', alen) != NULL) {
			msg = "IPv6 zone identifiers are not allowed";
			goto fail;
		}
		if (inet_pton(AF_INET6, text, c->addr) != 1) {
			msg = "not a valid IPv6 address";
			goto fail;
		}
		c->family = AF_INET6;
	} else {
		if (cidr_parse_ipv4(text, alen, c->addr) != 0) {
			msg = "not a valid IPv4 address (dotted decimal "
			      "a.b.c.d, no leading zeros)";
			goto fail;
		}
		c->family = AF_INET;
	}
	prefix = cidr_max_prefix(c->family);
	if (slash != NULL) {
		prefix = cidr_parse_prefix(slash + 1, prefix);
		if (prefix < 0) {
			msg = c->family == AF_INET
				  ? "prefix length must be 0 to 32"
				  : "prefix length must be 0 to 128";
			goto fail;
		}
	}
	c->prefix = prefix;
	if (c->family == AF_INET6 && prefix >= 96 &&
	    memcmp(c->addr, mapped, sizeof(mapped)) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix = prefix - 96;
	}
	cidr_mask(c->addr, cidr_addr_len(c->family), c->prefix, 0);
	return 0;
fail:
	memset(c, 0, sizeof(*c));
	if (why != NULL)
		*why = msg;
	return -1;
}

void
cidr_format(const struct cidr *c, char *out, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (size == 0)
		return;
	if (inet_ntop(c->family, c->addr, addr, sizeof(addr)) == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out, size, "%s/%d", addr, c->prefix);
}

uint64_t
cidr_hosts(const struct cidr *c)
{
	int bits = cidr_max_prefix(c->family) - c->prefix;

	if (c->family == AF_INET)
		return c->prefix >= 31 ? (uint64_t)1 << bits
				       : ((uint64_t)1 << bits) - 2;
	if (bits >= 64)
		return UINT64_MAX;
	return (uint64_t)1 << bits;
}

uint64_t
cidr_hosts_list(const struct cidr *c, size_t n)
{
	uint64_t sum = 0, h;
	size_t i;

	for (i = 0; i < n; i++) {
		h = cidr_hosts(&c[i]);
		if (h > UINT64_MAX - sum)
			return UINT64_MAX;
		sum += h;
	}
	return sum;
}

int
cidr_contains_addr(const struct cidr *c, int family, const unsigned char *addr)
{
	unsigned char a[16];
	int len;

	if (family != c->family)
		return 0;
	len = cidr_addr_len(family);
	memcpy(a, addr, (size_t)len);
	cidr_mask(a, len, c->prefix, 0);
	return memcmp(a, c->addr, (size_t)len) == 0;
}

int
cidr_yields(const struct cidr *c, int family, const unsigned char *addr)
{
	unsigned char bcast[4];

	if (!cidr_contains_addr(c, family, addr))
		return 0;
	if (family != AF_INET || c->prefix >= 31)
		return 1;
	memcpy(bcast, c->addr, 4);
	cidr_mask(bcast, 4, c->prefix, 1);
	return memcmp(addr, c->addr, 4) != 0 && memcmp(addr, bcast, 4) != 0;
}

int
cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	return outer->family == inner->family &&
	       inner->prefix >= outer->prefix &&
	       cidr_contains_addr(outer, inner->family, inner->addr);
}

/* Covered if one allowed range holds c; else, if some allowed range lies
 * inside c, split c in halves and require both covered. Only halves that
 * hold an allowed range's edge are split again, so the work is bounded by
 * n * 128 * 2 steps. */
static int
cidr_covered(const struct cidr *c, const struct cidr *allowed, size_t n,
	     int depth)
{
	struct cidr half;
	size_t i;
	int inside = 0;

	for (i = 0; i < n; i++) {
		if (cidr_contains(&allowed[i], c))
			return 1;
		if (cidr_contains(c, &allowed[i]))
			inside = 1;
	}
	if (!inside || c->prefix >= cidr_max_prefix(c->family) || depth > 128)
		return 0;
	half = *c;
	half.prefix = c->prefix + 1;
	if (!cidr_covered(&half, allowed, n, depth + 1))
		return 0;
	half.addr[c->prefix / 8] |= (unsigned char)(0x80 >> (c->prefix % 8));
	return cidr_covered(&half, allowed, n, depth + 1);
}

int
cidr_allowed(const struct cidr *c, const struct cidr *allowed, size_t n)
{
	return cidr_covered(c, allowed, n, 0);
}

void
cidr_iter_init(struct cidr_iter *it, const struct cidr *c)
{
	int len = cidr_addr_len(c->family), i;

	memset(it, 0, sizeof(*it));
	it->family = c->family;
	memcpy(it->cur, c->addr, (size_t)len);
	memcpy(it->last, c->addr, (size_t)len);
	cidr_mask(it->last, len, c->prefix, 1);
	if (c->family == AF_INET && c->prefix < 31) {
		/* Skip the network and broadcast addresses. */
		it->cur[3] |= 1;
		it->last[3] &= 0xfe;
	}
	for (i = 0; i < len && it->cur[i] == it->last[i]; i++)
		;
	if (i < len && it->cur[i] > it->last[i])
		it->done = 1;
}

int
cidr_iter_next(struct cidr_iter *it, unsigned char addr[16])
{
	int len = cidr_addr_len(it->family), i;

	if (it->done)
		return 0;
	memset(addr, 0, 16);
	memcpy(addr, it->cur, (size_t)len);
	if (memcmp(it->cur, it->last, (size_t)len) == 0) {
		it->done = 1;
		return 1;
	}
	for (i = len - 1; i >= 0; i--) {
		it->cur[i]++;
		if (it->cur[i] != 0)
			break;
	}
	return 1;
}

socklen_t
cidr_sockaddr(int family, const unsigned char *addr, uint16_t port,
	      struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		return sizeof(*sin);
	}
	sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, addr, 16);
	return sizeof(*sin6);
}
