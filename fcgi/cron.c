/* Cron expressions: the five-field parser (Vixie syntax and day rule) and
 * the next fire time after a UTC instant in an IANA time zone. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

/* How far ahead cron_next looks: Feb 29 recurs within 8 years. */
#define CRON_HORIZON ((int64_t)10 * 366 * 86400)
/* Wall-clock margin for offsets changes when mapping local to UTC. */
#define CRON_TZ_WINDOW ((int64_t)27 * 3600)

struct cron_field {
	const char *name;
	int min, max;	/* values accepted in the text */
	const char *const *names; /* names[i] is value min + i, or NULL */
};

static const char *const cron_months[] = {"JAN", "FEB", "MAR", "APR",
					  "MAY", "JUN", "JUL", "AUG",
					  "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const cron_days[] = {"SUN", "MON", "TUE", "WED", "THU",
					"FRI", "SAT", NULL};

static const struct cron_field cron_fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day-of-month", 1, 31, NULL},
	{"month", 1, 12, cron_months},
	{"day-of-week", 0, 7, cron_days},
};

static const struct {
	const char *name;
	const char *expr;
} cron_shorthands[] = {
	{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

static int cron_fail(struct cron_error *err, enum cron_err kind,
		     const char *field, int pos, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int cron_value(const struct cron_field *f, const char *text,
		      const char **s, int *v, struct cron_error *err);
static int cron_field_parse(const struct cron_field *f, const char *text,
			    const char *s, const char *end, uint64_t *bits,
			    struct cron_error *err);
static int cron_days_in_month(int m, int leap);
static int cron_day_matches(const struct cron *c, int64_t days, int dom);
static int64_t cron_local_to_utc(const struct tz *z, int64_t local);

static int
cron_fail(struct cron_error *err, enum cron_err kind, const char *field,
	  int pos, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	err->field = field;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A number or (for month and day-of-week) a three-letter name at *s. */
static int
cron_value(const struct cron_field *f, const char *text, const char **s,
	   int *v, struct cron_error *err)
{
	const char *p = *s;
	int pos = (int)(p - text) + 1;

	if (isdigit((unsigned char)*p)) {
		long n = 0;

		while (isdigit((unsigned char)*p)) {
			if (n < 1000)
				n = n * 10 + (*p - '0');
			p++;
		}
		if (n < f->min || n > f->max)
			return cron_fail(err, CRON_RANGE, f->name, pos,
					 "%s %ld is out of range (%d-%d)",
					 f->name, n, f->min, f->max);
		*v = (int)n;
		*s = p;
		return 0;
	}
	if (isalpha((unsigned char)*p)) {
		const char *b = p;
		int i;

		while (isalpha((unsigned char)*p))
			p++;
		if (f->names != NULL && p - b == 3)
			for (i = 0; f->names[i] != NULL; i++)
				if (strncasecmp(b, f->names[i], 3) == 0) {
					*v = f->min + i;
					*s = p;
					return 0;
				}
		if (f->names == NULL)
			return cron_fail(err, CRON_NAME, f->name, pos,
					 "%s takes numbers, not names",
					 f->name);
		return cron_fail(err, CRON_NAME, f->name, pos,
				 "unknown %s name \"%.*s\"", f->name,
				 (int)(p - b > 20 ? 20 : p - b), b);
	}
	if (*p == 0 || *p == ',' || *p == '-' || *p == '/' ||
	    isspace((unsigned char)*p))
		return cron_fail(err, CRON_SYNTAX, f->name, pos,
				 "a number is missing in %s", f->name);
	return cron_fail(err, CRON_SYNTAX, f->name, pos,
			 "unexpected character '%c' in %s",
			 isprint((unsigned char)*p) ? *p : '?', f->name);
}

/* One field, text s..end (a blank-free slice of the expression text). */
static int
cron_field_parse(const struct cron_field *f, const char *text, const char *s,
		 const char *end, uint64_t *bits, struct cron_error *err)
{
	*bits = 0;
	for (;;) {
		int lo, hi, step = 1, v, star = 0;
		int item = (int)(s - text) + 1;

		if (s == end || *s == ',')
			return cron_fail(err, CRON_SYNTAX, f->name, item,
					 "empty element in the %s list",
					 f->name);
		if (*s == '*') {
			lo = f->min;
			hi = f->max == 7 ? 6 : f->max;
			star = 1;
			s++;
		} else {
			if (cron_value(f, text, &s, &lo, err) != 0)
				return -1;
			hi = lo;
			if (s < end && *s == '-') {
				int at = (int)(s - text) + 2;

				s++;
				if (cron_value(f, text, &s, &hi, err) != 0)
					return -1;
				if (hi < lo)
					return cron_fail(
						err, CRON_REVERSED, f->name,
						at,
						"range %d-%d in %s runs "
						"backwards",
						lo, hi, f->name);
			}
		}
		if (s < end && *s == '/') {
			int at = (int)(s - text) + 2;
			long n = 0;

			s++;
			if (s == end || !isdigit((unsigned char)*s))
				return cron_fail(err, CRON_STEP, f->name, at,
						 "a step number is missing "
						 "after '/' in %s",
						 f->name);
			while (s < end && isdigit((unsigned char)*s)) {
				if (n < 1000)
					n = n * 10 + (*s - '0');
				s++;
			}
			if (n < 1 || n > f->max - f->min + (f->max == 7 ? 0 : 1))
				return cron_fail(err, CRON_STEP, f->name, at,
						 "step %ld in %s must be 1-%d",
						 n, f->name,
						 f->max - f->min +
							 (f->max == 7 ? 0 : 1));
			step = (int)n;
			if (!star && hi == lo) /* a/n: from a to the end */
				hi = f->max == 7 ? 6 : f->max;
		}
		if (s < end && *s != ',') {
			int pos = (int)(s - text) + 1;

			return cron_fail(err, CRON_SYNTAX, f->name, pos,
					 "unexpected character '%c' in %s",
					 isprint((unsigned char)*s) ? *s : '?',
					 f->name);
		}
		for (v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << (f->max == 7 && v == 7 ? 0 : v);
		if (s == end)
			return 0;
		s++; /* ',' */
		if (s == end)
			return cron_fail(err, CRON_SYNTAX, f->name,
					 (int)(s - text),
					 "the %s list ends with ','", f->name);
	}
}

static int
cron_days_in_month(int m, int leap)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	return m == 2 && leap ? 29 : days[m - 1];
}

int
cron_parse(struct cron *c, const char *expr, struct cron_error *err)
{
	const char *text = expr, *s;
	const char *starts[5];
	uint64_t bits[5];
	int n = 0, i, m;
	size_t len = strlen(expr);

	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	if (len > CRON_MAX_LEN)
		return cron_fail(err, CRON_TOO_LONG, "expression",
				 CRON_MAX_LEN + 1,
				 "the expression is longer than %d characters",
				 CRON_MAX_LEN);
	s = expr;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == 0)
		return cron_fail(err, CRON_EMPTY, "expression", 1,
				 "the expression is empty");
	if (*s == '@') {
		const char *b = s;
		size_t wl;

		while (*s != 0 && !isspace((unsigned char)*s))
			s++;
		wl = (size_t)(s - b);
		while (isspace((unsigned char)*s))
			s++;
		for (i = 0; i < (int)(sizeof(cron_shorthands) /
				      sizeof(cron_shorthands[0]));
		     i++)
			if (strlen(cron_shorthands[i].name) == wl &&
			    strncasecmp(b, cron_shorthands[i].name, wl) == 0)
				break;
		if (i == (int)(sizeof(cron_shorthands) /
			       sizeof(cron_shorthands[0])))
			return cron_fail(
				err, CRON_SHORTHAND, "expression",
				(int)(b - text) + 1,
				"unknown shorthand \"%.*s\" (use @yearly, "
				"@annually, @monthly, @weekly, @daily, "
				"@midnight or @hourly)",
				(int)(wl > 20 ? 20 : wl), b);
		if (*s != 0)
			return cron_fail(err, CRON_FIELDS, "expression",
					 (int)(s - text) + 1,
					 "nothing may follow %s",
					 cron_shorthands[i].name);
		return cron_parse(c, cron_shorthands[i].expr, err);
	}
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == 0)
			break;
		if (n == 5)
			return cron_fail(err, CRON_FIELDS, "expression",
					 (int)(s - text) + 1,
					 "more than five fields (minute hour "
					 "day-of-month month day-of-week)");
		starts[n++] = s;
		while (*s != 0 && !isspace((unsigned char)*s))
			s++;
	}
	if (n < 5)
		return cron_fail(err, CRON_FIELDS, "expression",
				 (int)len + 1,
				 "%d field%s given, five needed (minute hour "
				 "day-of-month month day-of-week); the %s is "
				 "missing",
				 n, n == 1 ? "" : "s", cron_fields[n].name);
	for (i = 0; i < 5; i++) {
		const char *end = starts[i];

		while (*end != 0 && !isspace((unsigned char)*end))
			end++;
		if (cron_field_parse(&cron_fields[i], text, starts[i], end,
				     &bits[i], err) != 0)
			return -1;
	}
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint32_t)bits[3];
	c->dow = (uint32_t)bits[4];
	c->dom_star = *starts[2] == '*';
	c->dow_star = *starts[4] == '*';
	/* With day-of-week unrestricted, only day-of-month picks days: at
	 * least one chosen day must exist in one chosen month. */
	if (c->dow_star) {
		int found = 0;

		for (m = 1; m <= 12 && !found; m++) {
			int d;

			if (!(c->month & 1u << m))
				continue;
			for (d = 1; d <= cron_days_in_month(m, 1); d++)
				if (c->dom & 1u << d) {
					found = 1;
					break;
				}
		}
		if (!found)
			return cron_fail(err, CRON_NEVER, "day-of-month",
					 (int)(starts[2] - text) + 1,
					 "no chosen day-of-month occurs in "
					 "the chosen months: the schedule "
					 "would never fire");
	}
	return 0;
}

int
cron_is_frequent(const struct cron *c)
{
	return c->hour == 0xffffffu;
}

static int
cron_day_matches(const struct cron *c, int64_t days, int dom)
{
	int dom_ok = (c->dom >> dom) & 1;
	int dow_ok = (c->dow >> tz_weekday(days)) & 1;

	if (c->dom_star || c->dow_star)
		return dom_ok && dow_ok;
	return dom_ok || dow_ok;
}

int64_t
cron_next_local(const struct cron *c, int64_t l, int64_t limit)
{
	int64_t r = l % 60;

	if (r != 0) /* round up to the minute */
		l += r > 0 ? 60 - r : -r;
	while (l <= limit) {
		int64_t days = tz_day_of(l), y, secs = l - days * 86400;
		int m, d, h, mi;

		tz_civil_from_days(days, &y, &m, &d);
		if (!(c->month & 1u << m)) {
			l = (m == 12 ? tz_days_from_civil(y + 1, 1, 1)
				     : tz_days_from_civil(y, m + 1, 1)) *
			    86400;
			continue;
		}
		if (!cron_day_matches(c, days, d)) {
			l = (days + 1) * 86400;
			continue;
		}
		h = (int)(secs / 3600);
		if (!(c->hour & 1u << h)) {
			l = days * 86400 + (int64_t)(h + 1) * 3600;
			continue;
		}
		mi = (int)(secs % 3600 / 60);
		while (mi < 60 && !(c->minute >> mi & 1))
			mi++;
		if (mi == 60) {
			l = days * 86400 + (int64_t)(h + 1) * 3600;
			continue;
		}
		return days * 86400 + (int64_t)h * 3600 + mi * 60;
	}
	return INT64_MAX;
}

/* The instant a wall-clock time stands for: its only or its first
 * occurrence, or for a time in a spring-forward gap the transition (the
 * first instant after the gap). */
static int64_t
cron_local_to_utc(const struct tz *z, int64_t local)
{
	int64_t u = local - CRON_TZ_WINDOW, nx, best = INT64_MAX;

	while (u <= local + CRON_TZ_WINDOW) {
		int32_t o = tz_offset(z, u, &nx);
		int64_t cand = local - o;

		if (cand >= u && cand < nx && cand < best)
			best = cand;
		if (nx == INT64_MAX)
			break;
		u = nx;
	}
	if (best != INT64_MAX)
		return best;
	u = local - CRON_TZ_WINDOW;
	while (u <= local + CRON_TZ_WINDOW) {
		int32_t o = tz_offset(z, u, &nx);

		if (nx == INT64_MAX)
			break;
		if (nx + o <= local && local < nx + tz_offset(z, nx, NULL))
			return nx;
		u = nx;
	}
	return local - tz_offset(z, local, NULL); /* not reached */
}

int64_t
cron_next(const struct cron *c, const struct tz *z, int64_t after)
{
	int64_t limit = after + CRON_HORIZON, t, nx, l;

	if (cron_is_frequent(c)) {
		/* Walk the stretches of constant offset: within one, wall
		 * time and real time advance together. */
		t = after + 1;
		while (t <= limit) {
			int32_t o = tz_offset(z, t, &nx);
			int64_t end = nx < limit ? nx : limit;

			l = cron_next_local(c, t + o, end - 1 + o);
			if (l != INT64_MAX)
				return l - o;
			if (nx == INT64_MAX)
				break;
			t = nx;
		}
		return -1;
	}
	/* Wall-clock times map to instants in order (first occurrence, gap
	 * to its end), so the first matching time whose instant is after
	 * `after` is the answer. Start a few hours back in case the offset
	 * just changed. */
	l = after + tz_offset(z, after, NULL) - 4 * 3600;
	for (;;) {
		int64_t u;

		l = cron_next_local(c, l, limit + 26 * 3600);
		if (l == INT64_MAX)
			return -1;
		u = cron_local_to_utc(z, l);
		if (u > after)
			return u <= limit ? u : -1;
		l += 60;
	}
}
