/* A strict RFC 8259 syntax check, run before json-c parses a body. */
#include "jsonsyn.h"

struct jsonsyn {
	const char *s;
	size_t n, i;
	int depth, max_depth;
	enum jsonsyn_result err;
};

static int jsonsyn_value(struct jsonsyn *j);
static void jsonsyn_ws(struct jsonsyn *j);
static int jsonsyn_fail(struct jsonsyn *j, enum jsonsyn_result e);
static int jsonsyn_string(struct jsonsyn *j);
static int jsonsyn_number(struct jsonsyn *j);
static int jsonsyn_word(struct jsonsyn *j, const char *w);
static int jsonsyn_hex4(struct jsonsyn *j, unsigned *v);
static int jsonsyn_digit(int c);

static int
jsonsyn_fail(struct jsonsyn *j, enum jsonsyn_result e)
{
	if (j->err == JSONSYN_OK)
		j->err = e;
	return -1;
}

static int
jsonsyn_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void
jsonsyn_ws(struct jsonsyn *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
			       j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int
jsonsyn_word(struct jsonsyn *j, const char *w)
{
	for (; *w != '\0'; w++, j->i++)
		if (j->i >= j->n || j->s[j->i] != *w)
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
	return 0;
}

static int
jsonsyn_hex4(struct jsonsyn *j, unsigned *v)
{
	int k, c;

	*v = 0;
	for (k = 0; k < 4; k++, j->i++) {
		if (j->i >= j->n)
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
		c = (unsigned char)j->s[j->i];
		*v <<= 4;
		if (jsonsyn_digit(c))
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
	}
	return 0;
}

/* A string with valid escapes; lone surrogates are refused. Raw bytes are
 * checked as UTF-8 elsewhere. */
static int
jsonsyn_string(struct jsonsyn *j)
{
	unsigned v, lo;
	int c;

	j->i++; /* opening quote */
	while (j->i < j->n) {
		c = (unsigned char)j->s[j->i];
		if (c == '"') {
			j->i++;
			return 0;
		}
		if (c < 0x20)
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
		if (c != '\\') {
			j->i++;
			continue;
		}
		j->i++;
		if (j->i >= j->n)
			break;
		c = (unsigned char)j->s[j->i++];
		switch (c) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u':
			if (jsonsyn_hex4(j, &v) < 0)
				return -1;
			if (v >= 0xdc00 && v <= 0xdfff)
				return jsonsyn_fail(j, JSONSYN_SYNTAX);
			if (v >= 0xd800 && v <= 0xdbff) {
				if (j->i + 1 >= j->n || j->s[j->i] != '\\' ||
				    j->s[j->i + 1] != 'u')
					return jsonsyn_fail(j, JSONSYN_SYNTAX);
				j->i += 2;
				if (jsonsyn_hex4(j, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jsonsyn_fail(j, JSONSYN_SYNTAX);
			}
			break;
		default:
			j->i--;
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
		}
	}
	return jsonsyn_fail(j, JSONSYN_SYNTAX);
}

static int
jsonsyn_number(struct jsonsyn *j)
{
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i >= j->n || !jsonsyn_digit(j->s[j->i]))
		return jsonsyn_fail(j, JSONSYN_SYNTAX);
	if (j->s[j->i] == '0')
		j->i++;
	else
		while (j->i < j->n && jsonsyn_digit(j->s[j->i]))
			j->i++;
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (j->i >= j->n || !jsonsyn_digit(j->s[j->i]))
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
		while (j->i < j->n && jsonsyn_digit(j->s[j->i]))
			j->i++;
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (j->i >= j->n || !jsonsyn_digit(j->s[j->i]))
			return jsonsyn_fail(j, JSONSYN_SYNTAX);
		while (j->i < j->n && jsonsyn_digit(j->s[j->i]))
			j->i++;
	}
	return 0;
}

static int
jsonsyn_value(struct jsonsyn *j)
{
	char close;
	int first;

	jsonsyn_ws(j);
	if (j->i >= j->n)
		return jsonsyn_fail(j, JSONSYN_SYNTAX);
	switch (j->s[j->i]) {
	case '"':
		return jsonsyn_string(j);
	case 't':
		return jsonsyn_word(j, "true");
	case 'f':
		return jsonsyn_word(j, "false");
	case 'n':
		return jsonsyn_word(j, "null");
	case '{':
	case '[':
		break;
	default:
		return jsonsyn_number(j);
	}
	close = j->s[j->i] == '{' ? '}' : ']';
	if (++j->depth > j->max_depth)
		return jsonsyn_fail(j, JSONSYN_TOO_DEEP);
	j->i++;
	for (first = 1;; first = 0) {
		jsonsyn_ws(j);
		if (j->i < j->n && j->s[j->i] == close && first) {
			j->i++;
			break;
		}
		if (close == '}') {
			if (j->i >= j->n || j->s[j->i] != '"' ||
			    jsonsyn_string(j) < 0)
				return jsonsyn_fail(j, JSONSYN_SYNTAX);
			jsonsyn_ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return jsonsyn_fail(j, JSONSYN_SYNTAX);
			j->i++;
		}
		if (jsonsyn_value(j) < 0)
			return -1;
		jsonsyn_ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->s[j->i] == close) {
			j->i++;
			break;
		}
		return jsonsyn_fail(j, JSONSYN_SYNTAX);
	}
	j->depth--;
	return 0;
}

enum jsonsyn_result
jsonsyn_check(const char *s, size_t n, int max_depth, size_t *at)
{
	struct jsonsyn j = {s, n, 0, 0, max_depth, JSONSYN_OK};

	if (jsonsyn_value(&j) == 0) {
		jsonsyn_ws(&j);
		if (j.i < n)
			j.err = JSONSYN_TRAILING;
	}
	*at = j.i;
	return j.err;
}
