/* Unit tests for cron expressions and time zones: parsing and every error
 * kind, next fire times across DST in several zones, leap days, short
 * months, day-of-month/day-of-week rules, and the TZif reader checked
 * against the C library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "tz.h"
#include "tests/lib/tap.h"

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (test input only). */
static int64_t
utc(const char *s)
{
	int y, mo, d, h, mi, se;

	if (sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &se) != 6)
		BAIL_OUT("bad test time %s", s);
	return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

static const char *
fmt_utc(int64_t t, char *buf, size_t n)
{
	if (t < 0)
		return "none";
	tz_format(t, 0, buf, n);
	return buf;
}

struct next_case {
	const char *expr;
	const char *zone;
	const char *after;    /* UTC */
	const char *want[5];  /* successive fire times, UTC; NULL ends */
	const char *why;
};

static const struct next_case nexts[] = {
	/* America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z),
	 * 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z). */
	{"30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
	 {"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", NULL},
	 "NY spring-forward: 02:30 does not exist, fires at 03:00 EDT"},
	{"0,15,30,45 2 * * *", "America/New_York", "2026-03-08T00:00:00Z",
	 {"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", NULL},
	 "NY: four times in the gap fire once"},
	{"* 2 * * *", "America/New_York", "2026-03-08T06:58:00Z",
	 {"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", NULL},
	 "NY: every minute of the missing hour fires once"},
	{"0 3 * * *", "America/New_York", "2026-03-07T12:00:00Z",
	 {"2026-03-08T07:00:00Z", "2026-03-09T07:00:00Z", NULL},
	 "NY: 03:00 on the spring-forward day exists"},
	{"30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
	 {"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", NULL},
	 "NY fall-back: 01:30 fires at its first occurrence only"},
	{"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z",
	 {"2026-11-02T06:30:00Z", NULL},
	 "NY fall-back: not again in the repeated hour"},
	{"30 * * * *", "America/New_York", "2026-11-01T04:00:00Z",
	 {"2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z",
	  "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z", NULL},
	 "NY hourly across fall-back: every 60 real minutes"},
	{"30 * * * *", "America/New_York", "2026-03-08T05:00:00Z",
	 {"2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z",
	  "2026-03-08T07:30:00Z", "2026-03-08T08:30:00Z", NULL},
	 "NY hourly across spring-forward: every 60 real minutes"},
	{"@hourly", "America/New_York", "2026-11-01T04:30:00Z",
	 {"2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z",
	  "2026-11-01T07:00:00Z", NULL},
	 "NY @hourly across fall-back"},
	{"0 0 * * *", "America/New_York", "2026-03-07T12:00:00Z",
	 {"2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", NULL},
	 "NY midnight before and after the change"},
	/* Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z),
	 * 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z). */
	{"30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	 {"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", NULL},
	 "Berlin spring-forward gap"},
	{"30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
	 {"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", NULL},
	 "Berlin fall-back: first occurrence"},
	{"*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z",
	 {"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z",
	  "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z",
	  "2026-10-25T02:00:00Z"},
	 "Berlin every 30 minutes across fall-back: real time"},
	{"0 9 * * 1-5", "Europe/Berlin", "2026-03-27T12:00:00Z",
	 {"2026-03-30T07:00:00Z", "2026-03-31T07:00:00Z", NULL},
	 "Berlin weekdays 09:00 after the change"},
	/* Australia/Lord_Howe: +10:30 / +11:00. 2026-04-05 02:00 +11 ->
	 * 01:30 +10:30 (2026-04-04T15:00Z); 2026-10-04 02:00 +10:30 ->
	 * 02:30 +11 (2026-10-03T15:30Z). */
	{"15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
	 {"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z", NULL},
	 "Lord Howe 30-minute gap: 02:15 fires at 02:30"},
	{"45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z",
	 {"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z", NULL},
	 "Lord Howe 30-minute repeat: first occurrence"},
	{"0 * * * *", "Australia/Lord_Howe", "2026-10-03T14:00:00Z",
	 {"2026-10-03T14:30:00Z", "2026-10-03T16:00:00Z", NULL},
	 "Lord Howe hourly across the gap: 02:00 never happens"},
	{"*/30 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z",
	 {"2026-04-04T14:30:00Z", "2026-04-04T15:00:00Z",
	  "2026-04-04T15:30:00Z", NULL},
	 "Lord Howe every 30 minutes across the repeat"},
	/* No DST */
	{"0 9 * * *", "Asia/Tokyo", "2026-01-01T00:00:00Z",
	 {"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", NULL},
	 "Tokyo 09:00"},
	{"0 9 * * *", "Asia/Tokyo", "2099-12-31T00:00:00Z",
	 {"2100-01-01T00:00:00Z", NULL},
	 "Tokyo far future (footer rule)"},
	{"0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
	 {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", NULL},
	 "leap day"},
	{"0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z",
	 {"2104-02-29T00:00:00Z", NULL},
	 "leap day skips 2100"},
	{"0 0 29 2 *", "America/New_York", "2027-06-01T00:00:00Z",
	 {"2028-02-29T05:00:00Z", NULL},
	 "leap day in a zone"},
	{"0 12 31 * *", "UTC", "2026-04-01T00:00:00Z",
	 {"2026-05-31T12:00:00Z", "2026-07-31T12:00:00Z",
	  "2026-08-31T12:00:00Z", "2026-10-31T12:00:00Z", NULL},
	 "the 31st skips short months"},
	{"0 0 30 * *", "UTC", "2026-01-31T00:00:00Z",
	 {"2026-03-30T00:00:00Z", NULL},
	 "the 30th skips February"},
	/* 2026-02-01 is a Sunday */
	{"0 0 1 * 1", "UTC", "2026-01-31T00:00:00Z",
	 {"2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z",
	  "2026-02-09T00:00:00Z", NULL},
	 "dom and dow both restricted: either matches"},
	{"0 0 */2 * 1", "UTC", "2026-02-01T00:00:00Z",
	 {"2026-02-09T00:00:00Z", "2026-02-23T00:00:00Z",
	  "2026-03-09T00:00:00Z", NULL},
	 "dom starting with '*': both must match (odd-day Mondays)"},
	{"0 0 * * 1", "UTC", "2026-01-31T00:00:00Z",
	 {"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", NULL},
	 "dow only"},
	{"0 0 1-7 * MON", "UTC", "2026-01-31T00:00:00Z",
	 {"2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z",
	  "2026-02-03T00:00:00Z", NULL},
	 "first week or Monday (Vixie OR)"},
	{"0 0 * * 7", "UTC", "2026-01-31T00:00:00Z",
	 {"2026-02-01T00:00:00Z", "2026-02-08T00:00:00Z", NULL},
	 "7 is Sunday"},
	{"0 0 * * 5-7", "UTC", "2026-02-02T00:00:00Z",
	 {"2026-02-06T00:00:00Z", "2026-02-07T00:00:00Z",
	  "2026-02-08T00:00:00Z", "2026-02-13T00:00:00Z", NULL},
	 "range up to 7"},
	{"0 0 1 jan-dec/3 *", "UTC", "2026-01-01T00:00:00Z",
	 {"2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z",
	  "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL},
	 "month names with a step"},
	{"5/20 * * * *", "UTC", "2026-01-01T00:00:00Z",
	 {"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z",
	  "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z", NULL},
	 "a/n runs from a to the end"},
	{"0 0 31 4 1", "UTC", "2026-04-01T00:00:00Z",
	 {"2026-04-06T00:00:00Z", NULL},
	 "April 31 or Mondays: Mondays"},
	{"@yearly", "Europe/Berlin", "2026-06-01T00:00:00Z",
	 {"2026-12-31T23:00:00Z", "2027-12-31T23:00:00Z", NULL},
	 "@yearly in Berlin"},
	{"@weekly", "UTC", "2026-02-01T00:00:00Z",
	 {"2026-02-08T00:00:00Z", NULL}, "@weekly is Sunday midnight"},
	{"@monthly", "Asia/Tokyo", "2026-02-01T00:00:00Z",
	 {"2026-02-28T15:00:00Z", NULL}, "@monthly in Tokyo"},
};

struct err_case {
	const char *expr;
	enum cron_err kind;
	const char *field;
	int pos;
};

static const struct err_case errs[] = {
	{"", CRON_EMPTY, "expression", 1},
	{"   ", CRON_EMPTY, "expression", 1},
	{"* * * *", CRON_FIELDS, "expression", 8},
	{"* * * * * *", CRON_FIELDS, "expression", 11},
	{"@every", CRON_SHORTHAND, "expression", 1},
	{"@daily x", CRON_FIELDS, "expression", 8},
	{"60 * * * *", CRON_RANGE, "minute", 1},
	{"* 24 * * *", CRON_RANGE, "hour", 3},
	{"* * 0 * *", CRON_RANGE, "day-of-month", 5},
	{"* * 32 * *", CRON_RANGE, "day-of-month", 5},
	{"* * * 13 *", CRON_RANGE, "month", 7},
	{"* * * 0 *", CRON_RANGE, "month", 7},
	{"* * * * 8", CRON_RANGE, "day-of-week", 9},
	{"0 1-99999999999 * * *", CRON_RANGE, "hour", 5},
	{"5-1 * * * *", CRON_REVERSED, "minute", 3},
	{"* * * dec-jan *", CRON_REVERSED, "month", 11},
	{"*/0 * * * *", CRON_STEP, "minute", 3},
	{"*/ * * * *", CRON_STEP, "minute", 3},
	{"*/61 * * * *", CRON_STEP, "minute", 3},
	{"* */25 * * *", CRON_STEP, "hour", 5},
	{"* * * foo *", CRON_NAME, "month", 7},
	{"* * * * funday", CRON_NAME, "day-of-week", 9},
	{"a * * * *", CRON_NAME, "minute", 1},
	{"* * * * january", CRON_NAME, "day-of-week", 9},
	{"1,,2 * * * *", CRON_SYNTAX, "minute", 3},
	{"1, * * * *", CRON_SYNTAX, "minute", 2},
	{",1 * * * *", CRON_SYNTAX, "minute", 1},
	{"1-* * * * *", CRON_SYNTAX, "minute", 3},
	{"1#2 * * * *", CRON_SYNTAX, "minute", 2},
	{"*5 * * * *", CRON_SYNTAX, "minute", 2},
	{"0 0 ? * *", CRON_SYNTAX, "day-of-month", 5},
	{"0 0 L * *", CRON_NAME, "day-of-month", 5},
	{"0 0 31 4 *", CRON_NEVER, "day-of-month", 5},
	{"0 0 30,31 2 *", CRON_NEVER, "day-of-month", 5},
	{"0 0 31 apr,jun,sep,nov *", CRON_NEVER, "day-of-month", 5},
	{"1 1 1 1 1 "
	 "1111111111111111111111111111111111111111111111111111111111111111"
	 "1111111111111111111111111111111111111111111111111111111111111111"
	 "1111111111111111111111111111111111111111111111111111111111111111",
	 CRON_TOO_LONG, "expression", 201},
};

static void
test_nexts(void)
{
	size_t i;
	int k;
	char got[TZ_STRLEN];

	for (i = 0; i < sizeof(nexts) / sizeof(nexts[0]); i++) {
		const struct next_case *nc = &nexts[i];
		struct cron c;
		struct cron_error e;
		const struct tz *z = tz_get(nc->zone, NULL);
		int64_t t = utc(nc->after);

		if (!ok(cron_parse(&c, nc->expr, &e) == 0 && z != NULL,
			"parse '%s' / %s", nc->expr, nc->zone)) {
			diag("error: %s at %d", e.msg, e.pos);
			continue;
		}
		for (k = 0; k < 5 && nc->want[k] != NULL; k++) {
			t = cron_next(&c, z, t);
			is(fmt_utc(t, got, sizeof(got)), nc->want[k],
			   "%s: fire %d", nc->why, k + 1);
			if (t < 0)
				break;
		}
	}
}

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct cron c;
		struct cron_error e;
		int rc = cron_parse(&c, errs[i].expr, &e);

		if (!ok(rc == -1 && e.kind == errs[i].kind,
			"'%.30s' refused with kind %d", errs[i].expr,
			errs[i].kind)) {
			diag("rc %d kind %d msg %s", rc, e.kind, e.msg);
			continue;
		}
		is(e.field, errs[i].field, "'%.30s': field", errs[i].expr);
		cmp_ok(e.pos, "==", errs[i].pos, "'%.30s': position (%s)",
		       errs[i].expr, e.msg);
		ok(strlen(e.msg) > 10, "'%.30s': a message", errs[i].expr);
	}
}

static void
test_parse_bits(void)
{
	struct cron c;
	struct cron_error e;

	ok(cron_parse(&c, "0-59/15 */6 1,15 * mon-fri", &e) == 0, "parse");
	ok(c.minute == (1ull | 1ull << 15 | 1ull << 30 | 1ull << 45),
	   "minute bits");
	ok(c.hour == (1u | 1u << 6 | 1u << 12 | 1u << 18), "hour bits");
	ok(c.dom == (1u << 1 | 1u << 15), "dom bits");
	ok(c.month == 0x1ffeu, "month bits");
	ok(c.dow == 0x3eu, "dow bits");
	ok(!c.dom_star && !c.dow_star, "both restricted");
	ok(!cron_is_frequent(&c), "every 6 hours is not hourly");
	ok(cron_parse(&c, "  @HOURLY  ", &e) == 0 && cron_is_frequent(&c),
	   "@hourly, any case, blanks around");
	ok(cron_parse(&c, "*\t*  * *\t*", &e) == 0 && c.minute == (1ull << 60) - 1,
	   "tabs and runs of blanks separate fields");
	ok(cron_parse(&c, "0 0 * * 0,7", &e) == 0 && c.dow == 1u,
	   "0 and 7 are both Sunday");
	ok(cron_parse(&c, "0 0 * * sun-sat", &e) == 0 && c.dow == 0x7fu,
	   "sun-sat");
}

/* The zone reader against the C library's, which reads the same files. */
static void
test_offsets_vs_libc(void)
{
	static const char *const zones[] = {
		"America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
		"Asia/Tokyo", "UTC", "Europe/Dublin", "America/Sao_Paulo",
		"Pacific/Chatham", "Africa/Casablanca", "America/Santiago",
		"Asia/Kolkata", "Pacific/Apia", "US/Eastern"};
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		const struct tz *z = tz_get(zones[i], NULL);
		int64_t t, bad = 0, n = 0, badt = 0;
		int32_t gotoff = 0;
		long wantoff = 0;

		if (!ok(z != NULL, "load %s", zones[i]))
			continue;
		setenv("TZ", zones[i], 1);
		tzset();
		/* 1900 .. 2200, every 5 h 17 min 13 s */
		for (t = -2208988800LL; t < 7258118400LL; t += 19033) {
			time_t tt = (time_t)t;
			struct tm tm;
			int64_t nx;

			if (localtime_r(&tt, &tm) == NULL)
				continue;
			n++;
			gotoff = tz_offset(z, t, &nx);
			if (gotoff != tm.tm_gmtoff || nx <= t) {
				if (bad++ == 0) {
					badt = t;
					wantoff = tm.tm_gmtoff;
				}
			}
		}
		if (!ok(bad == 0 && n > 400000, "%s: offsets agree with libc "
			"at %lld instants", zones[i], (long long)n))
			diag("%lld mismatches, first at %lld: %ld vs libc %ld",
			     (long long)bad, (long long)badt,
			     (long)tz_offset(z, badt, NULL), wantoff);
	}
	unsetenv("TZ");
	tzset();
}

/* Fire times strictly increase and match the expression in wall time. */
static void
test_monotonic(void)
{
	static const char *const exprs[] = {
		"*/7 * * * *", "30 2 * * *", "0,30 1,2,3 * * *", "* 2 * * 0",
		"15 */3 * * *", "0 0 1 * *"};
	static const char *const zones[] = {
		"America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
		"Pacific/Chatham"};
	size_t i, j;

	for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++)
		for (j = 0; j < sizeof(zones) / sizeof(zones[0]); j++) {
			struct cron c;
			struct cron_error e;
			const struct tz *z = tz_get(zones[j], NULL);
			int64_t t = utc("2025-01-01T00:00:00Z"), prev = t;
			int k, bad = 0, count = 0;

			cron_parse(&c, exprs[i], &e);
			for (k = 0; k < 3000; k++) {
				int64_t l, nx;
				int32_t o;

				t = cron_next(&c, z, t);
				if (t <= prev) {
					bad++;
					break;
				}
				count++;
				/* the wall time matches, unless the fire is
				 * at a transition (a gap's end) */
				o = tz_offset(z, t, NULL);
				l = cron_next_local(&c, t + o, t + o);
				tz_offset(z, t - 1, &nx);
				if (l != t + o && nx != t)
					bad++;
				prev = t;
			}
			ok(bad == 0 && count == 3000,
			   "'%s' in %s: 3000 fire times increase and match",
			   exprs[i], zones[j]);
		}
}

static void
test_zones(void)
{
	const char *why = NULL;
	const struct tz *a, *b;
	char buf[TZ_STRLEN];

	a = tz_get("Europe/Berlin", NULL);
	b = tz_get("Europe/Berlin", NULL);
	ok(a != NULL && a == b, "a zone is loaded once");
	is(tz_name(a), "Europe/Berlin", "its name");
	ok(tz_get("Mars/Olympus_Mons", &why) == NULL && why != NULL,
	   "unknown zone refused");
	ok(tz_get("../../etc/passwd", NULL) == NULL, "path escape refused");
	ok(tz_get("/etc/localtime", NULL) == NULL, "absolute path refused");
	ok(tz_get("Europe//Berlin", NULL) == NULL, "empty component refused");
	ok(tz_get("zone.tab", NULL) == NULL, "non-zone file refused");
	ok(tz_get("leapseconds", NULL) == NULL, "non-TZif file refused");
	ok(tz_get("right/UTC", NULL) == NULL, "leap-second zone refused");
	ok(tz_get("localtime", NULL) == NULL, "host-dependent zone refused");
	ok(tz_get("Europe", NULL) == NULL, "a directory refused");
	ok(tz_get("", NULL) == NULL, "empty name refused");
	ok(tz_get("europe/berlin", NULL) == NULL, "names are case-sensitive");
	tz_format(utc("2026-03-08T07:00:00Z"), -4 * 3600, buf, sizeof(buf));
	is(buf, "2026-03-08T03:00:00-04:00", "format with offset");
	tz_format(utc("2026-10-03T15:30:00Z"), 11 * 3600, buf, sizeof(buf));
	is(buf, "2026-10-04T02:30:00+11:00", "format Lord Howe");
	tz_format(utc("2026-04-04T15:15:00Z"), 37800, buf, sizeof(buf));
	is(buf, "2026-04-05T01:45:00+10:30", "format half-hour offset");
}

int
main(void)
{
	test_parse_bits();
	test_errors();
	test_nexts();
	test_zones();
	test_monotonic();
	test_offsets_vs_libc();
	return done_testing();
}
