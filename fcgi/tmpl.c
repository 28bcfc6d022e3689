/* Job templates: scanning {{ }} references and rendering them quoted. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tmpl.h"

static const char *const tmpl_target_fields[] = {"host", "name", "port", "os",
						 NULL};
static const char *const tmpl_step_fields[] = {"stdout", "stderr",
					       "exit_code", NULL};

static int tmpl_is_space(char c);
static int tmpl_in(const char *const *list, const char *s);
static size_t tmpl_word(const char *p, int lower_only);
static int tmpl_parse_ref(const char *text, size_t start,
			  struct tmpl_ref *ref, char *err, size_t errlen);
static int tmpl_next(const char *text, size_t *pos, struct tmpl_ref *ref,
		     int *found, char *err, size_t errlen);
static int tmpl_unicode_quote(const char *s, size_t *len);
static const char *tmpl_ref_text(const struct tmpl_ref *ref, char *tmp,
				 size_t len);

static int
tmpl_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
tmpl_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Length of the identifier at p: [A-Za-z_][A-Za-z0-9_]* (lower_only:
 * [a-z][a-z0-9_]*, the shape of step ids). */
static size_t
tmpl_word(const char *p, int lower_only)
{
	size_t n = 0;
	char c;

	for (;; n++) {
		c = p[n];
		if (c >= 'a' && c <= 'z')
			continue;
		if (!lower_only && ((c >= 'A' && c <= 'Z') || c == '_'))
			continue;
		if (lower_only && n > 0 && c == '_')
			continue;
		if (n > 0 && c >= '0' && c <= '9')
			continue;
		break;
	}
	return n;
}

/* Parses the reference whose "{{" is at text + start. */
static int
tmpl_parse_ref(const char *text, size_t start, struct tmpl_ref *ref,
	       char *err, size_t errlen)
{
	const char *p = text + start + 2, *close;
	char root[16];
	size_t n;

	memset(ref, 0, sizeof(*ref));
	ref->start = start;
	close = strstr(p, "}}");
	if (close == NULL) {
		snprintf(err, errlen, "unclosed \"{{\" at offset %zu", start);
		return -1;
	}
	while (tmpl_is_space(*p))
		p++;
	n = tmpl_word(p, 1);
	if (n == 0 || n >= sizeof(root) || p[n] != '.') {
		snprintf(err, errlen,
			 "at offset %zu: expected params.NAME, target.FIELD "
			 "or steps.ID.FIELD",
			 start);
		return -1;
	}
	memcpy(root, p, n);
	root[n] = '\0';
	p += n + 1;
	if (strcmp(root, "params") == 0)
		ref->root = TMPL_PARAMS;
	else if (strcmp(root, "target") == 0)
		ref->root = TMPL_TARGET;
	else if (strcmp(root, "steps") == 0)
		ref->root = TMPL_STEPS;
	else {
		snprintf(err, errlen,
			 "at offset %zu: unknown \"%s\" (use params, target "
			 "or steps)",
			 start, root);
		return -1;
	}
	n = tmpl_word(p, ref->root == TMPL_STEPS);
	if (n == 0 || n > 64) {
		snprintf(err, errlen, "at offset %zu: bad name after \"%s.\"",
			 start, root);
		return -1;
	}
	memcpy(ref->name, p, n);
	ref->name[n] = '\0';
	p += n;
	if (ref->root == TMPL_TARGET &&
	    !tmpl_in(tmpl_target_fields, ref->name)) {
		snprintf(err, errlen,
			 "at offset %zu: unknown target field \"%s\" (use "
			 "host, name, port or os)",
			 start, ref->name);
		return -1;
	}
	if (ref->root == TMPL_STEPS) {
		if (*p != '.') {
			snprintf(err, errlen,
				 "at offset %zu: expected steps.%s.stdout, "
				 ".stderr or .exit_code",
				 start, ref->name);
			return -1;
		}
		p++;
		n = tmpl_word(p, 1);
		if (n == 0 || n >= sizeof(ref->field)) {
			snprintf(err, errlen,
				 "at offset %zu: bad field after \"steps.%s.\"",
				 start, ref->name);
			return -1;
		}
		memcpy(ref->field, p, n);
		ref->field[n] = '\0';
		p += n;
		if (!tmpl_in(tmpl_step_fields, ref->field)) {
			snprintf(err, errlen,
				 "at offset %zu: unknown step field \"%s\" "
				 "(use stdout, stderr or exit_code)",
				 start, ref->field);
			return -1;
		}
	}
	while (tmpl_is_space(*p))
		p++;
	if (*p == '|') {
		p++;
		while (tmpl_is_space(*p))
			p++;
		n = tmpl_word(p, 0);
		if (n != 3 || strncmp(p, "raw", 3) != 0) {
			snprintf(err, errlen,
				 "at offset %zu: unknown filter (only \"raw\")",
				 start);
			return -1;
		}
		ref->raw = 1;
		p += n;
		while (tmpl_is_space(*p))
			p++;
	}
	if (p != close) {
		snprintf(err, errlen, "at offset %zu: unexpected \"%c\"",
			 (size_t)(p - text), *p);
		return -1;
	}
	ref->end = (size_t)(close + 2 - text);
	return 0;
}

/* Finds the next reference at or after *pos; *found 0 at the end. */
static int
tmpl_next(const char *text, size_t *pos, struct tmpl_ref *ref, int *found,
	  char *err, size_t errlen)
{
	const char *open = strstr(text + *pos, "{{");

	*found = 0;
	if (open == NULL)
		return 0;
	if (tmpl_parse_ref(text, (size_t)(open - text), ref, err, errlen) < 0)
		return -1;
	*found = 1;
	*pos = ref->end;
	return 0;
}

int
tmpl_scan(const char *text, tmpl_ref_fn fn, void *arg, char *err,
	  size_t errlen)
{
	struct tmpl_ref ref;
	size_t pos = 0;
	int found, rc;

	if (errlen > 0)
		err[0] = '\0';
	for (;;) {
		if (tmpl_next(text, &pos, &ref, &found, err, errlen) < 0)
			return -1;
		if (!found)
			return 0;
		if (fn != NULL) {
			rc = fn(arg, &ref);
			if (rc != 0)
				return rc;
		}
	}
}

/* PowerShell also ends a single-quoted string at the typographic quotes
 * U+2018, U+2019, U+201A and U+201B; 1 with *len = 3 when s starts with
 * one of them. */
static int
tmpl_unicode_quote(const char *s, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9b) {
		*len = 3;
		return 1;
	}
	return 0;
}

int
tmpl_quote_append(struct buf *out, enum tmpl_quote q, const char *s)
{
	const char *p;
	size_t n;

	switch (q) {
	case TMPL_QUOTE_NONE:
		return buf_puts(out, s);
	case TMPL_QUOTE_SHELL:
		if (buf_puts(out, "'") < 0)
			return -1;
		for (p = s; *p != '\0'; p++) {
			if (*p == '\'') {
				if (buf_puts(out, "'\\''") < 0)
					return -1;
			} else if (buf_append(out, p, 1) < 0)
				return -1;
		}
		return buf_puts(out, "'");
	case TMPL_QUOTE_POWERSHELL:
		if (buf_puts(out, "'") < 0)
			return -1;
		for (p = s; *p != '\0'; p++) {
			if (*p == '\'') {
				if (buf_puts(out, "''") < 0)
					return -1;
			} else if (tmpl_unicode_quote(p, &n)) {
				/* doubled, like ' */
				if (buf_append(out, p, n) < 0 ||
				    buf_append(out, p, n) < 0)
					return -1;
				p += n - 1;
			} else if (buf_append(out, p, 1) < 0)
				return -1;
		}
		return buf_puts(out, "'");
	case TMPL_QUOTE_CMD:
		if (strpbrk(s, "\"%!^\r\n") != NULL)
			return -1;
		if (buf_puts(out, "\"") < 0 || buf_puts(out, s) < 0)
			return -1;
		return buf_puts(out, "\"");
	}
	return -1;
}

static const char *
tmpl_ref_text(const struct tmpl_ref *ref, char *tmp, size_t len)
{
	static const char *const roots[] = {"params", "target", "steps"};

	if (ref->root == TMPL_STEPS)
		snprintf(tmp, len, "{{ steps.%s.%s }}", ref->name, ref->field);
	else
		snprintf(tmp, len, "{{ %s.%s }}", roots[ref->root], ref->name);
	return tmp;
}

int
tmpl_render(const char *text, enum tmpl_quote q, tmpl_lookup_fn lookup,
	    void *arg, struct buf *out, char *err, size_t errlen)
{
	struct tmpl_ref ref;
	const char *value;
	char name[200];
	size_t pos = 0, last = 0;
	int found;

	if (errlen > 0)
		err[0] = '\0';
	for (;;) {
		if (tmpl_next(text, &pos, &ref, &found, err, errlen) < 0)
			return -1;
		if (!found)
			break;
		if (buf_append(out, text + last, ref.start - last) < 0)
			goto toobig;
		last = ref.end;
		value = NULL;
		if (lookup == NULL || lookup(arg, &ref, &value) < 0 ||
		    value == NULL) {
			snprintf(err, errlen, "%s has no value",
				 tmpl_ref_text(&ref, name, sizeof(name)));
			return -1;
		}
		if (tmpl_quote_append(out, ref.raw ? TMPL_QUOTE_NONE : q,
				      value) < 0) {
			if (q == TMPL_QUOTE_CMD && !ref.raw &&
			    strpbrk(value, "\"%!^\r\n") != NULL) {
				snprintf(err, errlen,
					 "the value of %s holds a character "
					 "cmd.exe cannot quote (\" %% ! ^ or "
					 "a line break)",
					 tmpl_ref_text(&ref, name,
						       sizeof(name)));
				return -1;
			}
			goto toobig;
		}
	}
	if (buf_puts(out, text + last) < 0)
		goto toobig;
	return 0;
toobig:
	snprintf(err, errlen, "the rendered text is too large");
	return -1;
}
