/* Masking of secrets in run output, whole texts and streams in chunks. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "mask.h"

static size_t mask_scan(const struct mask_set *m, const char *s, size_t n,
			int final, int truncated, struct buf *out, int *err);
static int mask_is_prefix(const struct mask_set *m, const char *s, size_t n);

void
mask_set_init(struct mask_set *m)
{
	memset(m, 0, sizeof(*m));
}

void
mask_set_add(struct mask_set *m, const char *s)
{
	size_t n;
	int i;

	if (s == NULL || m->n == MASK_MAX)
		return;
	n = strlen(s);
	if (n < 3)
		return;
	for (i = 0; i < m->n; i++)
		if (m->len[i] == n && memcmp(m->secret[i], s, n) == 0)
			return;
	m->secret[m->n] = strdup(s);
	if (m->secret[m->n] == NULL)
		abort();
	m->len[m->n] = n;
	m->n++;
	if (n > m->maxlen)
		m->maxlen = n;
}

void
mask_set_cleanup(struct mask_set *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		OPENSSL_cleanse(m->secret[i], m->len[i]);
		free(m->secret[i]);
	}
	mask_set_init(m);
}

/* 1 when s[0..n) is a proper prefix of some secret. */
static int
mask_is_prefix(const struct mask_set *m, const char *s, size_t n)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (n < m->len[i] && memcmp(m->secret[i], s, n) == 0)
			return 1;
	return 0;
}

/* Masks s[0..n) into out. Unless final, stops at a tail that may be the
 * start of a secret and returns where it begins (n when nothing is held).
 * Longest secret first when several match at one place. */
static size_t
mask_scan(const struct mask_set *m, const char *s, size_t n, int final,
	  int truncated, struct buf *out, int *err)
{
	size_t i = 0, run = 0, best;
	int k;

	while (i < n) {
		/* A tail that may grow into a (longer) secret: wait for more,
		 * or, at the end of a cut text, mask it. */
		if ((!final || truncated) && n - i < m->maxlen &&
		    mask_is_prefix(m, s + i, n - i)) {
			if (buf_append(out, s + run, i - run) < 0)
				*err = 1;
			if (!final)
				return i;
			if (buf_puts(out, MASK_TEXT) < 0)
				*err = 1;
			return n;
		}
		best = 0;
		for (k = 0; k < m->n; k++)
			if (m->len[k] > best && m->len[k] <= n - i &&
			    memcmp(s + i, m->secret[k], m->len[k]) == 0)
				best = m->len[k];
		if (best == 0) {
			i++;
			continue;
		}
		if (buf_append(out, s + run, i - run) < 0 ||
		    buf_puts(out, MASK_TEXT) < 0)
			*err = 1;
		i += best;
		run = i;
	}
	if (buf_append(out, s + run, n - run) < 0)
		*err = 1;
	return n;
}

int
mask_text(const struct mask_set *m, const char *s, size_t n, int truncated,
	  struct buf *out)
{
	int err = 0;

	mask_scan(m, s, n, 1, truncated, out, &err);
	return err ? -1 : 0;
}

void
mask_stream_init(struct mask_stream *s, const struct mask_set *m)
{
	s->set = m;
	s->held = NULL;
	s->nheld = 0;
}

int
mask_stream_feed(struct mask_stream *s, const char *data, size_t n,
		 struct buf *out)
{
	char *all;
	size_t total, used;
	int err = 0;

	if (s->set->n == 0)
		return buf_append(out, data, n);
	total = s->nheld + n;
	all = malloc(total + 1);
	if (all == NULL)
		abort();
	if (s->nheld > 0)
		memcpy(all, s->held, s->nheld);
	memcpy(all + s->nheld, data, n);
	used = mask_scan(s->set, all, total, 0, 0, out, &err);
	if (s->held != NULL) {
		OPENSSL_cleanse(s->held, s->nheld);
		free(s->held);
	}
	s->held = NULL;
	s->nheld = total - used;
	if (s->nheld > 0) {
		s->held = malloc(s->nheld);
		if (s->held == NULL)
			abort();
		memcpy(s->held, all + used, s->nheld);
	}
	OPENSSL_cleanse(all, total);
	free(all);
	return err ? -1 : 0;
}

int
mask_stream_flush(struct mask_stream *s, struct buf *out)
{
	int rc = 0;

	if (s->nheld > 0)
		rc = buf_append(out, s->held, s->nheld);
	mask_stream_cleanup(s);
	return rc;
}

void
mask_stream_cleanup(struct mask_stream *s)
{
	if (s->held != NULL) {
		OPENSSL_cleanse(s->held, s->nheld);
		free(s->held);
	}
	s->held = NULL;
	s->nheld = 0;
}
