/* Address syntax for targets and discovery: host names (RFC 1123), IPv4
 * and IPv6 addresses, and CIDR ranges with their host counts. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "cidr.h"

static int addr_label_ok(const char *s, size_t n);

/* One DNS label: 1..63 of [A-Za-z0-9-], not starting or ending with '-'. */
static int
addr_label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

const char *
addr_ip(const char *in, char out[ADDR_MAX])
{
	unsigned char bin[16];

	if (strchr(in, ':') != NULL) {
		if (strchr(in, '%') != NULL)
			return "must not name an interface zone (%...)";
		if (inet_pton(AF_INET6, in, bin) != 1)
			return "is not a valid IPv6 address";
		inet_ntop(AF_INET6, bin, out, ADDR_MAX);
		return NULL;
	}
	if (inet_pton(AF_INET, in, bin) != 1)
		return "is not a valid IPv4 address (four decimal numbers "
		       "0-255 without leading zeros)";
	inet_ntop(AF_INET, bin, out, ADDR_MAX);
	return NULL;
}

const char *
addr_host(const char *in, char out[ADDR_MAX])
{
	size_t n = strlen(in), i, start, last_start = 0;
	int digits_only = 1, last_numeric;

	if (n == 0)
		return "must not be empty";
	if (in[0] == '[')
		return "must be written without brackets";
	if (strchr(in, ':') != NULL)
		return addr_ip(in, out);
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)in[i]) && in[i] != '.')
			digits_only = 0;
	if (digits_only)
		return addr_ip(in, out);
	if (in[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return "must be a host name of at most 253 characters";
	for (start = 0, i = 0; i <= n; i++) {
		if (i < n && in[i] != '.')
			continue;
		if (!addr_label_ok(in + start, i - start))
			return "is not a valid host name (labels of letters, "
			       "digits and '-', 1 to 63 characters, "
			       "separated by dots)";
		last_start = start;
		start = i + 1;
	}
	last_numeric = 1;
	for (i = last_start; i < n; i++)
		if (!isdigit((unsigned char)in[i]))
			last_numeric = 0;
	if (last_numeric)
		return "is not a valid host name (its last label is all "
		       "digits)";
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return NULL;
}

const char *
addr_cidr(const char *in, char out[ADDR_MAX], unsigned long long *hosts)
{
	struct cidr c;
	const char *why;

	/* The scanner's own parser (fcgi/cidr.c), so the API counts and
	 * refuses exactly what the worker would scan. */
	if (cidr_parse(&c, in, &why) < 0)
		return why;
	cidr_format(&c, out, ADDR_MAX);
	*hosts = cidr_hosts(&c);
	return NULL;
}
