/* A small XML extractor and escaper for WS-Management messages. */
#include <ctype.h>
#include <string.h>

#include "wsxml.h"

/* One start or end tag. */
struct wsxml_tag {
	const char *start; /* its '<' */
	const char *name;  /* local name (after any prefix) */
	size_t namelen;
	const char *attrs;
	const char *attrs_end;
	const char *after; /* past its '>' */
	int closing;       /* </x> */
	int selfclose;     /* <x/> */
};

static const char *wsxml_skip_to(const char *p, const char *end,
				 const char *s);
static int wsxml_next(const char *p, const char *end, struct wsxml_tag *t);
static int wsxml_named(const struct wsxml_tag *t, const char *local);
static size_t wsxml_fit(char *out, size_t o);
static size_t wsxml_put(char *out, size_t cap, size_t o, const char *s,
			size_t n, int *full);
static const char *wsxml_entity(const char *p, const char *end, char *tmp,
				size_t *tn);
static void wsxml_copy(const char *p, const char *end, char *out, size_t cap,
		       int skip_markup);

/* Past the first occurrence of s in [p, end), or NULL. */
static const char *
wsxml_skip_to(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (; (size_t)(end - p) >= n; p++) {
		if (memcmp(p, s, n) == 0)
			return p + n;
	}
	return NULL;
}

static int
wsxml_next(const char *p, const char *end, struct wsxml_tag *t)
{
	const char *q, *colon;
	char quote = 0;

	for (;;) {
		p = memchr(p, '<', (size_t)(end - p));
		if (p == NULL)
			return -1;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
			p = wsxml_skip_to(p + 4, end, "-->");
		else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0)
			p = wsxml_skip_to(p + 9, end, "]]>");
		else if (end - p >= 2 && (p[1] == '?' || p[1] == '!'))
			p = wsxml_skip_to(p + 2, end, ">");
		else
			break;
		if (p == NULL)
			return -1;
	}
	t->start = p;
	q = p + 1;
	t->closing = q < end && *q == '/';
	if (t->closing)
		q++;
	t->name = q;
	colon = NULL;
	while (q < end && !isspace((unsigned char)*q) && *q != '>' &&
	       *q != '/') {
		if (*q == ':')
			colon = q;
		q++;
	}
	if (q == t->name || q >= end)
		return -1;
	t->namelen = (size_t)(q - t->name);
	if (colon != NULL) {
		t->namelen = (size_t)(q - colon - 1);
		t->name = colon + 1;
	}
	t->attrs = q;
	for (; q < end; q++) {
		if (quote != 0) {
			if (*q == quote)
				quote = 0;
		} else if (*q == '"' || *q == '\'') {
			quote = *q;
		} else if (*q == '>') {
			break;
		}
	}
	if (q >= end)
		return -1;
	t->selfclose = !t->closing && q > t->attrs && q[-1] == '/';
	t->attrs_end = t->selfclose ? q - 1 : q;
	t->after = q + 1;
	return 0;
}

static int
wsxml_named(const struct wsxml_tag *t, const char *local)
{
	return strlen(local) == t->namelen &&
	       memcmp(t->name, local, t->namelen) == 0;
}

int
wsxml_find(const char *p, const char *end, const char *local,
	   struct wsxml_el *e)
{
	struct wsxml_tag t, u;
	const char *q;
	int depth;

	if (p == NULL)
		return -1;
	while (wsxml_next(p, end, &t) == 0) {
		p = t.after;
		if (t.closing || !wsxml_named(&t, local))
			continue;
		if (t.selfclose) {
			if (e != NULL) {
				e->attrs = t.attrs;
				e->attrs_end = t.attrs_end;
				e->text = e->text_end = e->end = t.after;
			}
			return 0;
		}
		depth = 1;
		q = t.after;
		while (wsxml_next(q, end, &u) == 0) {
			q = u.after;
			if (!wsxml_named(&u, local) || u.selfclose)
				continue;
			depth += u.closing ? -1 : 1;
			if (depth > 0)
				continue;
			if (e != NULL) {
				e->attrs = t.attrs;
				e->attrs_end = t.attrs_end;
				e->text = t.after;
				e->text_end = u.start;
				e->end = u.after;
			}
			return 0;
		}
		return -1;
	}
	return -1;
}

int
wsxml_find_attr(const char *p, const char *end, const char *local,
		const char *attr, const char *value, struct wsxml_el *e)
{
	struct wsxml_el x;
	char v[256];

	while (wsxml_find(p, end, local, &x) == 0) {
		if (wsxml_attr(&x, attr, v, sizeof(v)) == 0 &&
		    strcmp(v, value) == 0) {
			if (e != NULL)
				*e = x;
			return 0;
		}
		p = x.attrs_end;
	}
	return -1;
}

int
wsxml_attr(const struct wsxml_el *e, const char *local, char *out,
	   size_t cap)
{
	const char *p = e->attrs, *end = e->attrs_end, *n, *nend, *v;
	const char *colon;
	char quote;

	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		n = p;
		colon = NULL;
		while (p < end && *p != '=' && !isspace((unsigned char)*p)) {
			if (*p == ':')
				colon = p;
			p++;
		}
		nend = p;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p != '=')
			return -1;
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			return -1;
		quote = *p++;
		v = p;
		while (p < end && *p != quote)
			p++;
		if (p >= end)
			return -1;
		if (colon != NULL &&
		    !(colon - n == 5 && memcmp(n, "xmlns", 5) == 0))
			n = colon + 1;
		if ((size_t)(nend - n) == strlen(local) &&
		    memcmp(n, local, (size_t)(nend - n)) == 0 &&
		    (colon == NULL || n == colon + 1)) {
			wsxml_copy(v, p, out, cap, 0);
			return 0;
		}
		p++;
	}
	return -1;
}

void
wsxml_text(const struct wsxml_el *e, char *out, size_t cap)
{
	wsxml_copy(e->text, e->text_end, out, cap, 1);
}

/* Drops a UTF-8 sequence cut short at the end of out[0..o). */
static size_t
wsxml_fit(char *out, size_t o)
{
	size_t i = o, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return 0;
	c = (unsigned char)out[i - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	return o - (i - 1) < need ? i - 1 : o;
}

static size_t
wsxml_put(char *out, size_t cap, size_t o, const char *s, size_t n,
	  int *full)
{
	if (*full)
		return o;
	if (o + n + 1 > cap) {
		n = cap - 1 - o;
		*full = 1;
	}
	memcpy(out + o, s, n);
	o += n;
	return *full ? wsxml_fit(out, o) : o;
}

/* Decodes the entity at p ('&'); returns past it with its UTF-8 in tmp,
 * or NULL when it is not one we know. */
static const char *
wsxml_entity(const char *p, const char *end, char *tmp, size_t *tn)
{
	static const char *const names[] = {"lt;", "gt;", "amp;", "quot;",
					    "apos;"};
	static const char chars[] = "<>&\"'";
	unsigned long cp = 0;
	const char *q;
	size_t i;
	int base = 10, digits = 0;

	for (i = 0; i < 5; i++) {
		if ((size_t)(end - p - 1) >= strlen(names[i]) &&
		    memcmp(p + 1, names[i], strlen(names[i])) == 0) {
			tmp[0] = chars[i];
			*tn = 1;
			return p + 1 + strlen(names[i]);
		}
	}
	if (end - p < 4 || p[1] != '#')
		return NULL;
	q = p + 2;
	if (*q == 'x' || *q == 'X') {
		base = 16;
		q++;
	}
	for (; q < end && *q != ';' && digits < 8; q++, digits++) {
		if (isdigit((unsigned char)*q))
			cp = cp * (unsigned long)base + (unsigned long)(*q - '0');
		else if (base == 16 && isxdigit((unsigned char)*q))
			cp = cp * 16 + (unsigned long)(tolower(*q) - 'a' + 10);
		else
			return NULL;
	}
	if (q >= end || *q != ';' || digits == 0)
		return NULL;
	if (cp == 9 || cp == 10 || cp == 13) {
		tmp[0] = ' ';
		*tn = 1;
	} else if (cp < 0x20 || cp > 0x10ffff ||
		   (cp >= 0xd800 && cp <= 0xdfff)) {
		tmp[0] = '?';
		*tn = 1;
	} else if (cp < 0x80) {
		tmp[0] = (char)cp;
		*tn = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | (cp >> 6));
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		*tn = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | (cp >> 12));
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		*tn = 3;
	} else {
		tmp[0] = (char)(0xf0 | (cp >> 18));
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		*tn = 4;
	}
	return q + 1;
}

static void
wsxml_copy(const char *p, const char *end, char *out, size_t cap,
	   int skip_markup)
{
	char tmp[4];
	const char *q;
	size_t o = 0, tn;
	int space = 0, full = 0;

	if (cap == 0)
		return;
	while (p < end && !full) {
		if (skip_markup && *p == '<') {
			q = wsxml_skip_to(p, end, ">");
			p = q != NULL ? q : end;
			space = o > 0;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			space = o > 0;
			p++;
			continue;
		}
		if (space) {
			o = wsxml_put(out, cap, o, " ", 1, &full);
			space = 0;
		}
		tn = 1;
		tmp[0] = *p;
		q = NULL;
		if (*p == '&')
			q = wsxml_entity(p, end, tmp, &tn);
		if (q == NULL) {
			q = p + 1;
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				tmp[0] = '?';
		}
		if (tn == 1 && tmp[0] == ' ')
			space = o > 0;
		else
			o = wsxml_put(out, cap, o, tmp, tn, &full);
		p = q;
	}
	out[o] = '\0';
}

void
wsxml_escape_n(struct buf *b, const char *s, size_t n)
{
	size_t i, from = 0;
	const char *rep;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		case '\t': rep = "&#9;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		default:
			rep = (unsigned char)c < 0x20 ? "?" : NULL;
			break;
		}
		if (rep == NULL)
			continue;
		buf_append(b, s + from, i - from);
		buf_puts(b, rep);
		from = i + 1;
	}
	buf_append(b, s + from, n - from);
}

void
wsxml_escape(struct buf *b, const char *s)
{
	wsxml_escape_n(b, s, strlen(s));
}
