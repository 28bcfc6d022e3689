/* IANA time zones without TZ/tzset: a TZif v2+ reader (64-bit transitions
 * and the POSIX TZ rule of the footer) and UTC/local conversions. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZ_FILE_MAX (512 * 1024)

/* One date of a POSIX rule: Jn (1..365, no Feb 29), n (0..365) or
 * Mm.w.d; time is seconds after local midnight (may be negative or past
 * 24h). */
struct tz_rule_date {
	char kind; /* 'J', 'D' (zero-based day) or 'M' */
	int n;	   /* day for J and D */
	int m, w, d;
	int32_t time;
};

/* The POSIX TZ string of the footer, applied after the last transition. */
struct tz_rule {
	int present;	/* 0: no footer; the last type stays */
	int has_dst;	/* 0: fixed offset std_off */
	int32_t std_off; /* seconds east of UTC */
	int32_t dst_off;
	struct tz_rule_date start; /* DST begins (in standard time) */
	struct tz_rule_date end;   /* DST ends (in DST time) */
};

struct tz {
	struct tz *next; /* the cache list */
	char name[TZ_NAME_MAX + 1];
	size_t ntrans;
	int64_t *trans;	   /* transition instants, ascending */
	int32_t *trans_off; /* offset from each transition on */
	int32_t first_off; /* offset before the first transition */
	struct tz_rule rule;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz *tz_cache;

static int tz_name_ok(const char *name);
static int64_t tz_be64(const unsigned char *p);
static int32_t tz_be32(const unsigned char *p);
static int tz_read_file(const char *path, unsigned char **out, size_t *len);
static struct tz *tz_parse(const unsigned char *p, size_t len,
			   const char **why);
static const char *tz_posix_name(const char *s);
static const char *tz_posix_offset(const char *s, int32_t *secs);
static const char *tz_posix_date(const char *s, struct tz_rule_date *d);
static int tz_posix_parse(const char *s, struct tz_rule *r);
static int64_t tz_rule_when(const struct tz_rule_date *d, int64_t year,
			    int32_t off);
static int32_t tz_rule_offset(const struct tz_rule *r, int64_t t,
			      int64_t *next);
static int64_t tz_year_of(int64_t t);

int64_t
tz_day_of(int64_t secs)
{
	int64_t d = secs / 86400;

	if (secs % 86400 < 0)
		d--;
	return d;
}

/* Howard Hinnant's days_from_civil. */
int64_t
tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
tz_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

static int64_t
tz_year_of(int64_t t)
{
	int64_t y;
	int m, d;

	tz_civil_from_days(tz_day_of(t), &y, &m, &d);
	return y;
}

void
tz_format(int64_t t, int32_t off, char *out, size_t size)
{
	int64_t l = t + off, days = tz_day_of(l), y;
	int64_t s = l - days * 86400;
	int m, d;
	int32_t a = off < 0 ? -off : off;

	tz_civil_from_days(days, &y, &m, &d);
	if (off == 0)
		snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
			 (long long)y, m, d, (int)(s / 3600),
			 (int)(s % 3600 / 60), (int)(s % 60));
	else
		snprintf(out, size,
			 "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
			 (long long)y, m, d, (int)(s / 3600),
			 (int)(s % 3600 / 60), (int)(s % 60),
			 off < 0 ? '-' : '+', (int)(a / 3600),
			 (int)(a % 3600 / 60));
}

/* Components of letters, digits, '_', '-', '+', separated by single '/',
 * none starting with '.' or '-'. */
static int
tz_name_ok(const char *name)
{
	size_t n = strlen(name), i;
	int start = 1;

	if (n == 0 || n > TZ_NAME_MAX)
		return 0;
	if (strcmp(name, "localtime") == 0 ||
	    strcmp(name, "posixrules") == 0 || strncmp(name, "right/", 6) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c == '/') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (start && (c == '-' || c == '.'))
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '+'))
			return 0;
		start = 0;
	}
	return !start;
}

static int64_t
tz_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static int32_t
tz_be32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			 (uint32_t)p[2] << 8 | p[3]);
}

static int
tz_read_file(const char *path, unsigned char **out, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ELOOP) /* zones like "US/Eastern" are links */
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TZ_FILE_MAX || st.st_size < 44) {
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		abort();
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return -1;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

/* A TZif header's six counts, at p + 20. */
struct tz_counts {
	uint32_t isut, isstd, leap, time, type, chr;
};

static int
tz_counts(const unsigned char *p, size_t len, struct tz_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	c->isut = (uint32_t)tz_be32(p + 20);
	c->isstd = (uint32_t)tz_be32(p + 24);
	c->leap = (uint32_t)tz_be32(p + 28);
	c->time = (uint32_t)tz_be32(p + 32);
	c->type = (uint32_t)tz_be32(p + 36);
	c->chr = (uint32_t)tz_be32(p + 40);
	if (c->type == 0 || c->type > 256 || c->time > 100000 ||
	    c->leap > 10000 || c->chr > 100000 || c->isut > 256 ||
	    c->isstd > 256)
		return -1;
	return 0;
}

static size_t
tz_block_size(const struct tz_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chr +
	       c->leap * (tsize + 4) + c->isstd + c->isut;
}

static struct tz *
tz_parse(const unsigned char *p, size_t len, const char **why)
{
	struct tz_counts c;
	const unsigned char *data, *idx, *types, *foot;
	size_t tsize = 4, need, i;
	struct tz *z;
	int v2;

	*why = "is not a time zone file";
	if (tz_counts(p, len, &c) != 0)
		return NULL;
	v2 = p[4] >= '2';
	need = 44 + tz_block_size(&c, 4);
	if (need > len)
		return NULL;
	if (v2) {
		p += need;
		len -= need;
		if (tz_counts(p, len, &c) != 0)
			return NULL;
		tsize = 8;
		need = 44 + tz_block_size(&c, 8);
		if (need > len)
			return NULL;
	}
	if (c.leap != 0) {
		*why = "counts leap seconds (a right/ zone)";
		return NULL;
	}
	data = p + 44;
	idx = data + c.time * tsize;
	types = idx + c.time;
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		abort();
	z->ntrans = c.time;
	z->trans = calloc(c.time + 1, sizeof(*z->trans));
	z->trans_off = calloc(c.time + 1, sizeof(*z->trans_off));
	if (z->trans == NULL || z->trans_off == NULL)
		abort();
	for (i = 0; i < c.time; i++) {
		const unsigned char *q = data + i * tsize;

		z->trans[i] = tsize == 8 ? tz_be64(q) : tz_be32(q);
		if (idx[i] >= c.type || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			goto bad;
		z->trans_off[i] = tz_be32(types + idx[i] * 6);
	}
	z->first_off = tz_be32(types); /* type 0 before the first transition */
	for (i = 0; i < c.type; i++) {
		int32_t o = tz_be32(types + i * 6);

		if (o < -25 * 3600 || o > 26 * 3600)
			goto bad;
	}
	if (v2) {
		const unsigned char *end;
		char rule[128];

		foot = p + need;
		if (foot >= p + len || *foot != '\n')
			goto bad;
		end = memchr(foot + 1, '\n', (size_t)(p + len - foot - 1));
		if (end == NULL || (size_t)(end - foot - 1) >= sizeof(rule))
			goto bad;
		memcpy(rule, foot + 1, (size_t)(end - foot - 1));
		rule[end - foot - 1] = 0;
		if (rule[0] != 0) {
			if (tz_posix_parse(rule, &z->rule) != 0)
				goto bad;
			z->rule.present = 1;
		}
	}
	return z;
bad:
	free(z->trans);
	free(z->trans_off);
	free(z);
	return NULL;
}

/* A zone abbreviation: letters, or <...> quoted. Returns the text after
 * it or NULL. */
static const char *
tz_posix_name(const char *s)
{
	const char *b = s;

	if (*s == '<') {
		s = strchr(s, '>');
		return s == NULL || s - b < 2 ? NULL : s + 1;
	}
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		s++;
	return s - b < 3 ? NULL : s;
}

/* [+-]hh[:mm[:ss]]; returns the text after it or NULL. *secs keeps the
 * POSIX sign (west positive). */
static const char *
tz_posix_offset(const char *s, int32_t *secs)
{
	int sign = 1, part = 0;
	int32_t v[3] = {0, 0, 0};

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (*s < '0' || *s > '9')
		return NULL;
	for (;;) {
		int n = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			n = n * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0)
			return NULL;
		v[part] = n;
		if (*s != ':' || part == 2)
			break;
		s++;
		part++;
	}
	if (v[0] > 167 || v[1] > 59 || v[2] > 59)
		return NULL;
	*secs = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	return s;
}

static const char *
tz_posix_date(const char *s, struct tz_rule_date *d)
{
	char *e;
	long a, b, c;

	d->time = 7200;
	if (*s == 'J') {
		a = strtol(s + 1, &e, 10);
		if (e == s + 1 || a < 1 || a > 365)
			return NULL;
		d->kind = 'J';
		d->n = (int)a;
	} else if (*s == 'M') {
		a = strtol(s + 1, &e, 10);
		if (e == s + 1 || *e != '.' || a < 1 || a > 12)
			return NULL;
		s = e + 1;
		b = strtol(s, &e, 10);
		if (e == s || *e != '.' || b < 1 || b > 5)
			return NULL;
		s = e + 1;
		c = strtol(s, &e, 10);
		if (e == s || c < 0 || c > 6)
			return NULL;
		d->kind = 'M';
		d->m = (int)a;
		d->w = (int)b;
		d->d = (int)c;
	} else {
		a = strtol(s, &e, 10);
		if (e == s || a < 0 || a > 365)
			return NULL;
		d->kind = 'D';
		d->n = (int)a;
	}
	s = e;
	if (*s == '/') {
		s = tz_posix_offset(s + 1, &d->time);
		if (s == NULL)
			return NULL;
	}
	return s;
}

static int
tz_posix_parse(const char *s, struct tz_rule *r)
{
	int32_t o;

	memset(r, 0, sizeof(*r));
	s = tz_posix_name(s);
	if (s == NULL)
		return -1;
	s = tz_posix_offset(s, &o);
	if (s == NULL)
		return -1;
	r->std_off = -o;
	if (*s == 0)
		return 0;
	s = tz_posix_name(s);
	if (s == NULL)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != 0) {
		s = tz_posix_offset(s, &o);
		if (s == NULL)
			return -1;
		r->dst_off = -o;
	}
	if (*s != ',') /* no rule: POSIX leaves it to the implementation */
		return -1;
	s = tz_posix_date(s + 1, &r->start);
	if (s == NULL || *s != ',')
		return -1;
	s = tz_posix_date(s + 1, &r->end);
	if (s == NULL || *s != 0)
		return -1;
	return 0;
}

/* The UTC instant of date d in year, whose time is local with offset
 * off. */
static int64_t
tz_rule_when(const struct tz_rule_date *d, int64_t year, int32_t off)
{
	int64_t days;

	if (d->kind == 'J') {
		days = tz_days_from_civil(year, 1, 1) + d->n - 1;
		/* Jn never counts Feb 29 */
		if (d->n >= 60 && tz_days_from_civil(year, 3, 1) -
					      tz_days_from_civil(year, 2, 1) ==
				      29)
			days++;
	} else if (d->kind == 'D') {
		days = tz_days_from_civil(year, 1, 1) + d->n;
	} else {
		int64_t first = tz_days_from_civil(year, d->m, 1);
		int64_t nextm = d->m == 12 ? tz_days_from_civil(year + 1, 1, 1)
					   : tz_days_from_civil(year, d->m + 1, 1);
		int wd = tz_weekday(first);

		days = first + (d->d - wd + 7) % 7 + (int64_t)(d->w - 1) * 7;
		while (days >= nextm)
			days -= 7;
	}
	return days * 86400 + d->time - off;
}

static int32_t
tz_rule_offset(const struct tz_rule *r, int64_t t, int64_t *next)
{
	int64_t y = tz_year_of(t + r->std_off), best = INT64_MAX, cand;
	int64_t s, e, yy;
	int dst;

	if (!r->has_dst) {
		if (next != NULL)
			*next = INT64_MAX;
		return r->std_off;
	}
	s = tz_rule_when(&r->start, y, r->std_off);
	e = tz_rule_when(&r->end, y, r->dst_off);
	if (s < e)
		dst = t >= s && t < e;
	else
		dst = !(t >= e && t < s);
	if (next != NULL) {
		for (yy = y - 1; yy <= y + 1; yy++) {
			cand = tz_rule_when(&r->start, yy, r->std_off);
			if (cand > t && cand < best)
				best = cand;
			cand = tz_rule_when(&r->end, yy, r->dst_off);
			if (cand > t && cand < best)
				best = cand;
		}
		*next = best;
	}
	return dst ? r->dst_off : r->std_off;
}

int32_t
tz_offset(const struct tz *z, int64_t t, int64_t *next)
{
	size_t lo = 0, hi = z->ntrans;

	if (z->ntrans == 0 || t < z->trans[0]) {
		if (z->ntrans > 0) {
			if (next != NULL)
				*next = z->trans[0];
			return z->first_off;
		}
		if (z->rule.present)
			return tz_rule_offset(&z->rule, t, next);
		if (next != NULL)
			*next = INT64_MAX;
		return z->first_off;
	}
	/* last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo + 1 < z->ntrans) {
		if (next != NULL)
			*next = z->trans[lo + 1];
		return z->trans_off[lo];
	}
	if (z->rule.present)
		return tz_rule_offset(&z->rule, t, next);
	if (next != NULL)
		*next = INT64_MAX;
	return z->trans_off[lo];
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

const struct tz *
tz_get(const char *name, const char **why)
{
	char path[sizeof(TZ_DIR) + TZ_NAME_MAX];
	const char *dummy;
	unsigned char *buf = NULL;
	size_t len;
	struct tz *z;

	if (why == NULL)
		why = &dummy;
	if (name == NULL || !tz_name_ok(name)) {
		*why = "is not a time zone name (like Europe/Berlin or UTC)";
		return NULL;
	}
	pthread_mutex_lock(&tz_lock);
	for (z = tz_cache; z != NULL; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	pthread_mutex_unlock(&tz_lock);
	if (z != NULL)
		return z;
	snprintf(path, sizeof(path), "%s%s", TZ_DIR, name);
	if (tz_read_file(path, &buf, &len) != 0) {
		*why = "is not a known IANA time zone";
		return NULL;
	}
	z = tz_parse(buf, len, why);
	free(buf);
	if (z == NULL)
		return NULL;
	snprintf(z->name, sizeof(z->name), "%s", name);
	pthread_mutex_lock(&tz_lock);
	{
		struct tz *o;

		for (o = tz_cache; o != NULL; o = o->next)
			if (strcmp(o->name, name) == 0)
				break;
		if (o != NULL) { /* another thread was faster */
			free(z->trans);
			free(z->trans_off);
			free(z);
			z = o;
		} else {
			z->next = tz_cache;
			tz_cache = z;
		}
	}
	pthread_mutex_unlock(&tz_lock);
	return z;
}
