/* Unit tests for address ranges: parsing, canonical text, host counts,
 * iteration, membership and allow-list coverage. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "tests/lib/tap.h"

struct parse_case {
	const char *in;
	const char *canon; /* NULL: must be refused */
	uint64_t hosts;
};

static const struct parse_case parses[] = {
    {"10.0.0.0/8", "10.0.0.0/8", 16777214},
    {"192.168.1.0/24", "192.168.1.0/24", 254},
    {"192.168.1.77/24", "192.168.1.0/24", 254},
    {"10.0.0.1", "10.0.0.1/32", 1},
    {"10.0.0.1/32", "10.0.0.1/32", 1},
    {"10.0.0.7/31", "10.0.0.6/31", 2},
    {"10.0.0.0/30", "10.0.0.0/30", 2},
    {"10.0.0.0/29", "10.0.0.0/29", 6},
    {"0.0.0.0/0", "0.0.0.0/0", 4294967294ULL},
    {"0.0.0.0", "0.0.0.0/32", 1},
    {"255.255.255.255/32", "255.255.255.255/32", 1},
    {"127.0.5.0/28", "127.0.5.0/28", 14},
    {"::1", "::1/128", 1},
    {"::/0", "::/0", UINT64_MAX},
    {"2001:db8::/32", "2001:db8::/32", UINT64_MAX},
    {"2001:db8::/64", "2001:db8::/64", UINT64_MAX},
    {"2001:db8::/65", "2001:db8::/65", 9223372036854775808ULL},
    {"2001:db8::/120", "2001:db8::/120", 256},
    {"2001:db8::5/127", "2001:db8::4/127", 2},
    {"2001:DB8:0:0:0:0:0:1", "2001:db8::1/128", 1},
    {"fe80::1/64", "fe80::/64", UINT64_MAX},
    {"::ffff:10.0.0.0/104", "10.0.0.0/8", 16777214},
    {"::ffff:192.0.2.1", "192.0.2.1/32", 1},
    {"::ffff:0:0/96", "0.0.0.0/0", 4294967294ULL},
    {"::ffff:0:0/95", "::fffe:0:0/95", 8589934592ULL},
    /* refused */
    {"", NULL, 0},
    {"/24", NULL, 0},
    {"10.0.0.0/", NULL, 0},
    {"10.0.0.0/33", NULL, 0},
    {"10.0.0.0/-1", NULL, 0},
    {"10.0.0.0/+8", NULL, 0},
    {"10.0.0.0/024", NULL, 0},
    {"10.0.0.0/8/8", NULL, 0},
    {"10.0.0.0/3a", NULL, 0},
    {"10.0.0.0/99999999999", NULL, 0},
    {"010.0.0.1", NULL, 0},
    {"10.0.0.01", NULL, 0},
    {"0x0a.0.0.1", NULL, 0},
    {"10.0.0", NULL, 0},
    {"10", NULL, 0},
    {"10.0.0.0.0", NULL, 0},
    {"10..0.1", NULL, 0},
    {"10.0.0.1.", NULL, 0},
    {"256.0.0.1", NULL, 0},
    {"1000.0.0.1", NULL, 0},
    {"-1.0.0.1", NULL, 0},
    {"10.0.0.1 ", NULL, 0},
    {" 10.0.0.1", NULL, 0},
    {"10.0.0.1/ 8", NULL, 0},
    {"10.0.0.1/8\n", NULL, 0},
    {"::1/129", NULL, 0},
    {"::1/0128", NULL, 0},
    {"fe80::1%eth0", NULL, 0},
    {"fe80::1%eth0/64", NULL, 0},
    {"2001:db8:::1", NULL, 0},
    {"2001:db8::1::2", NULL, 0},
    {"gggg::", NULL, 0},
    {"1:2:3:4:5:6:7:8:9", NULL, 0},
    {"example.com", NULL, 0},
    {"localhost/8", NULL, 0},
    {"10.0.0.0-10.0.0.9", NULL, 0},
    {"10.0.0.0/8,10.1.0.0/16", NULL, 0},
    {"0000:0000:0000:0000:0000:0000:0000:0001/128x", NULL, 0},
};

struct allow_case {
	const char *range;
	const char *allowed[4];
	int want;
};

static const struct allow_case allows[] = {
    {"10.1.0.0/16", {"10.0.0.0/8"}, 1},
    {"10.0.0.0/8", {"10.0.0.0/8"}, 1},
    {"10.0.0.0/8", {"10.0.0.0/9"}, 0},
    {"10.0.0.0/23", {"10.0.0.0/24", "10.0.1.0/24"}, 1},
    {"10.0.0.0/22", {"10.0.0.0/24", "10.0.1.0/24"}, 0},
    {"10.0.0.0/24", {"10.0.0.0/25", "10.0.0.128/26", "10.0.0.192/26"}, 1},
    {"10.0.0.0/24", {"10.0.0.0/25", "10.0.0.128/26"}, 0},
    {"192.168.1.5", {"192.168.1.0/24"}, 1},
    {"192.168.2.0/24", {"192.168.1.0/24"}, 0},
    {"192.168.1.0/24", {"192.168.1.5"}, 0},
    {"::ffff:10.1.2.3", {"10.0.0.0/8"}, 1},
    {"2001:db8::/48", {"2001:db8::/32"}, 1},
    {"2001:db8::/48", {"10.0.0.0/8"}, 0},
    {"10.0.0.0/8", {"::/0"}, 0},
    {"0.0.0.0/0", {"0.0.0.0/1", "128.0.0.0/1"}, 1},
    {"0.0.0.0/0", {NULL}, 0},
    {"10.0.0.0/8", {"0.0.0.0/0"}, 1},
    {"::/0", {"::/1", "8000::/1"}, 1},
    {"::/0", {"::/1"}, 0},
    {"127.0.5.0/28", {"127.0.0.0/8", "10.0.0.0/8"}, 1},
};

struct iter_case {
	const char *range;
	uint64_t count;
	const char *first;
	const char *last;
	const char *has;   /* an address iteration yields, or NULL */
	const char * not ; /* one it must not yield, or NULL */
};

static const struct iter_case iters[] = {
    {"10.0.0.9/32", 1, "10.0.0.9", "10.0.0.9", NULL, NULL},
    {"10.0.0.8/31", 2, "10.0.0.8", "10.0.0.9", NULL, NULL},
    {"10.0.0.8/30", 2, "10.0.0.9", "10.0.0.10", NULL, "10.0.0.11"},
    {"10.0.0.0/29", 6, "10.0.0.1", "10.0.0.6", "10.0.0.3", "10.0.0.0"},
    {"10.0.0.0/23", 510, "10.0.0.1", "10.0.1.254", "10.0.0.255", "10.0.1.255"},
    {"10.0.255.0/23", 510, "10.0.254.1", "10.0.255.254", "10.0.255.0",
     "10.1.0.0"},
    {"255.255.255.0/24", 254, "255.255.255.1", "255.255.255.254", NULL,
     "255.255.255.255"},
    {"::1/128", 1, "::1", "::1", NULL, NULL},
    {"2001:db8::/126", 4, "2001:db8::", "2001:db8::3", "2001:db8::1",
     "2001:db8::4"},
    {"2001:db8::ff00/119", 512, "2001:db8::fe00", "2001:db8::ffff",
     "2001:db8::ff00", "2001:db8::1:0"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", 2,
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, NULL},
};

static void test_parse(void);
static void test_allowed(void);
static void test_iter(void);
static void test_membership(void);
static void test_sockaddr(void);
static int parse_addr(const char *s, int *family, unsigned char out[16]);

static int
parse_addr(const char *s, int *family, unsigned char out[16])
{
	memset(out, 0, 16);
	*family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	return inet_pton(*family, s, out) == 1 ? 0 : -1;
}

static void
test_parse(void)
{
	const struct parse_case *pc;
	struct cidr c;
	const char *why;
	char text[CIDR_STRLEN], longer[200];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		pc = &parses[i];
		why = NULL;
		rc = cidr_parse(&c, pc->in, &why);
		if (pc->canon == NULL) {
			ok(rc == -1 && why != NULL && why[0] != '\0',
			   "refused \"%s\" (%s)", pc->in,
			   why != NULL ? why : "no reason");
			continue;
		}
		if (!ok(rc == 0, "parses \"%s\"", pc->in)) {
			diag("reason: %s", why != NULL ? why : "none");
			continue;
		}
		cidr_format(&c, text, sizeof(text));
		is(text, pc->canon, "\"%s\" is %s", pc->in, pc->canon);
		cmp_ok((long long)(cidr_hosts(&c) == pc->hosts), "==", 1,
		       "\"%s\" holds %llu hosts (got %llu)", pc->in,
		       (unsigned long long)pc->hosts,
		       (unsigned long long)cidr_hosts(&c));
	}
	ok(cidr_parse(&c, NULL, &why) == -1, "NULL is refused");
	ok(cidr_parse(&c, "10.0.0.0/33", NULL) == -1,
	   "refusal without a reason pointer");
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ok(cidr_parse(&c, longer, &why) == -1, "a 199-character input is "
					       "refused");
	ok(cidr_parse(&c, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
		      &why) == 0,
	   "the longest IPv6 text with a prefix parses");
	cidr_format(&c, text, sizeof(text));
	is(text, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	   "and formats canonically");
	cmp_ok((long long)strlen(text), "<", CIDR_STRLEN,
	       "canonical text fits CIDR_STRLEN");
	cidr_format(&c, text, 5);
	is(text, "ffff", "formatting truncates to the buffer");
}

static void
test_allowed(void)
{
	const struct allow_case *ac;
	struct cidr range, allowed[4];
	size_t i, n;

	for (i = 0; i < sizeof(allows) / sizeof(allows[0]); i++) {
		ac = &allows[i];
		if (cidr_parse(&range, ac->range, NULL) != 0)
			BAIL_OUT("bad test range %s", ac->range);
		for (n = 0; n < 4 && ac->allowed[n] != NULL; n++)
			if (cidr_parse(&allowed[n], ac->allowed[n], NULL) != 0)
				BAIL_OUT("bad allowed range %s",
					 ac->allowed[n]);
		cmp_ok(cidr_allowed(&range, allowed, n), "==", ac->want,
		       "%s %s allowed by %s%s%s...", ac->range,
		       ac->want ? "is" : "is not",
		       n > 0 ? ac->allowed[0] : "nothing", n > 1 ? ", " : "",
		       n > 1 ? ac->allowed[1] : "");
	}
	cidr_parse(&range, "10.0.0.0/8", NULL);
	cidr_parse(&allowed[0], "10.0.0.0/16", NULL);
	ok(cidr_contains(&range, &allowed[0]), "/8 contains its /16");
	ok(!cidr_contains(&allowed[0], &range), "/16 does not contain /8");
}

static void
test_iter(void)
{
	const struct iter_case *ic;
	struct cidr_iter it;
	struct cidr c;
	unsigned char addr[16], want[16];
	char first[INET6_ADDRSTRLEN], last[INET6_ADDRSTRLEN];
	uint64_t count;
	size_t i;
	int family, ordered, has, has_not, not_yielded;

	for (i = 0; i < sizeof(iters) / sizeof(iters[0]); i++) {
		ic = &iters[i];
		if (cidr_parse(&c, ic->range, NULL) != 0)
			BAIL_OUT("bad test range %s", ic->range);
		cidr_iter_init(&it, &c);
		count = 0;
		ordered = 1;
		has = ic->has == NULL;
		has_not = 0;
		not_yielded = 0;
		first[0] = last[0] = '\0';
		while (cidr_iter_next(&it, addr)) {
			if (count > 0 &&
			    memcmp(addr, want, c.family == AF_INET ? 4 : 16) <=
				0)
				ordered = 0;
			memcpy(want, addr, 16);
			inet_ntop(c.family, addr, last, sizeof(last));
			if (count == 0)
				memcpy(first, last, sizeof(first));
			if (ic->has != NULL && strcmp(last, ic->has) == 0)
				has = 1;
			if (ic->not != NULL && strcmp(last, ic->not ) == 0)
				has_not = 1;
			if (!cidr_yields(&c, c.family, addr))
				not_yielded++;
			if (++count > 100000)
				break;
		}
		cmp_ok((long long)count, "==", (long long)ic->count,
		       "%s iterates %llu addresses", ic->range,
		       (unsigned long long)ic->count);
		cmp_ok((long long)cidr_hosts(&c), "==", (long long)count,
		       "%s: count matches iteration", ic->range);
		is(first, ic->first, "%s starts at %s", ic->range, ic->first);
		is(last, ic->last, "%s ends at %s", ic->range, ic->last);
		ok(ordered, "%s ascends without repeats", ic->range);
		cmp_ok(not_yielded, "==", 0,
		       "%s: cidr_yields agrees with iteration", ic->range);
		ok(has, "%s includes %s", ic->range,
		   ic->has != NULL ? ic->has : "-");
		ok(!has_not, "%s leaves out %s", ic->range,
		   ic->not != NULL ? ic->not : "-");
		ok(!cidr_iter_next(&it, addr), "%s stays exhausted", ic->range);
		if (ic->not != NULL && parse_addr(ic->not, &family, addr) == 0)
			ok(!cidr_yields(&c, family, addr),
			   "%s does not yield %s", ic->range, ic->not );
	}
}

static void
test_membership(void)
{
	struct cidr c;
	unsigned char a[16];
	int family;

	cidr_parse(&c, "10.0.0.0/24", NULL);
	parse_addr("10.0.0.0", &family, a);
	ok(cidr_contains_addr(&c, family, a), "network address is in");
	ok(!cidr_yields(&c, family, a), "but not yielded");
	parse_addr("10.0.0.255", &family, a);
	ok(cidr_contains_addr(&c, family, a), "broadcast address is in");
	ok(!cidr_yields(&c, family, a), "but not yielded");
	parse_addr("10.0.1.0", &family, a);
	ok(!cidr_contains_addr(&c, family, a), "next network is out");
	parse_addr("::ffff:10.0.0.1", &family, a);
	ok(!cidr_contains_addr(&c, family, a),
	   "a raw mapped IPv6 address is another family");
	cidr_parse(&c, "10.0.0.0/31", NULL);
	parse_addr("10.0.0.0", &family, a);
	ok(cidr_yields(&c, family, a), "/31 yields its first address");
	cidr_parse(&c, "2001:db8::/120", NULL);
	parse_addr("2001:db8::", &family, a);
	ok(cidr_yields(&c, family, a), "IPv6 yields its first address");
	parse_addr("2001:db8::1:0", &family, a);
	ok(!cidr_contains_addr(&c, family, a), "IPv6 next block is out");
}

static void
test_sockaddr(void)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	unsigned char a[16];
	int family;

	parse_addr("127.0.5.10", &family, a);
	cmp_ok(cidr_sockaddr(family, a, 5985, &ss),
	       "==", (long long)sizeof(struct sockaddr_in),
	       "IPv4 sockaddr size");
	cmp_ok(ntohs(sin->sin_port), "==", 5985, "IPv4 port");
	cmp_ok(sin->sin_addr.s_addr, "==", htonl(0x7f00050a), "IPv4 address");
	parse_addr("::1", &family, a);
	cmp_ok(cidr_sockaddr(family, a, 22, &ss),
	       "==", (long long)sizeof(struct sockaddr_in6),
	       "IPv6 sockaddr size");
	cmp_ok(ntohs(sin6->sin6_port), "==", 22, "IPv6 port");
	ok(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr), "IPv6 address");
}

int
main(void)
{
	struct cidr list[3];

	test_parse();
	test_allowed();
	test_iter();
	test_membership();
	test_sockaddr();
	cidr_parse(&list[0], "::/0", NULL);
	cidr_parse(&list[1], "10.0.0.0/8", NULL);
	cidr_parse(&list[2], "::/0", NULL);
	ok(cidr_hosts_list(list, 3) == UINT64_MAX, "sums saturate");
	ok(cidr_hosts_list(list + 1, 1) == 16777214, "a one-range sum");
	ok(cidr_hosts_list(list, 0) == 0, "an empty sum");
	return done_testing();
}
