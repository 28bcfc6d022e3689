/* Cron expressions: the five-field parser (Vixie syntax and day rule) and
 * the next fire time after a UTC instant in an IANA time zone, with the
 * daylight-saving rules of schedules. */
#ifndef OC_CRON_H
#define OC_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "tz.h"

/* What is wrong with an expression. */
enum cron_err {
	CRON_OK = 0,	   /* no error */
	CRON_EMPTY,	   /* nothing but blanks */
	CRON_FIELDS,	   /* not five fields */
	CRON_SHORTHAND,	   /* unknown @name */
	CRON_SYNTAX,	   /* a character that does not belong there */
	CRON_RANGE,	   /* a number or name outside the field's range */
	CRON_REVERSED,	   /* a range whose start is after its end */
	CRON_STEP,	   /* a step of 0, missing, or larger than the field */
	CRON_NAME,	   /* an unknown month or weekday name */
	CRON_NEVER,	   /* day-of-month never occurs in the months chosen */
	CRON_TOO_LONG,	   /* longer than CRON_MAX_LEN */
};

#define CRON_MAX_LEN 200

/* A parse error: kind, the field it is in ("minute", "hour",
 * "day-of-month", "month", "day-of-week", or "expression"), the 1-based
 * character position in the text, and a sentence saying what is wrong. */
struct cron_error {
	enum cron_err kind;
	const char *field;
	int pos;
	char msg[160];
};

/* A parsed expression: one bit per allowed value. */
struct cron {
	uint64_t minute; /* bits 0..59 */
	uint32_t hour;	 /* bits 0..23 */
	uint32_t dom;	 /* bits 1..31 */
	uint32_t month;	 /* bits 1..12 */
	uint32_t dow;	 /* bits 0..6, 0 = Sunday (7 is folded into 0) */
	int dom_star;	 /* the field began with '*' (Vixie rule) */
	int dow_star;
};

/* Parses expr: five blank-separated fields (minute hour day-of-month month
 * day-of-week) of lists, ranges a-b, steps (star/n, a-b/n, a/n meaning
 * a-max/n), month names JAN..DEC and weekday names SUN..SAT (any case), 7
 * as Sunday; or one of @yearly @annually @monthly @weekly @daily
 * @midnight @hourly. Day-of-month and day-of-week combine as in Vixie
 * cron: when either field begins with '*', both must match; when both are
 * restricted, either may. An expression whose day-of-month never occurs
 * in its months (31 in April) is refused. Returns 0, or -1 with *err
 * filled in. */
int cron_parse(struct cron *c, const char *expr, struct cron_error *err);

/* 1 if the schedule runs every hour (all 24 hours chosen): such a
 * schedule follows real elapsed time across daylight-saving changes. */
int cron_is_frequent(const struct cron *c);

/* The first fire time strictly after the UTC instant after, in zone z, or
 * -1 if there is none within about ten years. Fire times are whole
 * seconds (UTC).
 *
 * Daylight saving:
 * - Hourly schedules (every hour selected, cron_is_frequent) fire at every
 *   real instant whose local wall-clock time matches: a time skipped by
 *   spring-forward does not happen and is not fired; in the repeated hour
 *   of fall-back, both occurrences are real instants and both fire
 *   ("30 * * * *" keeps firing every 60 real minutes).
 * - Other schedules fire once per matching local date and time: a
 *   nonexistent local time fires at the first instant after the gap (the
 *   transition itself), once, however many selected times fall in the
 *   gap; an ambiguous local time fires only at its first occurrence.
 * Fire times are unique instants, strictly increasing: no fire time is
 * produced twice. */
int64_t cron_next(const struct cron *c, const struct tz *z, int64_t after);

/* The first matching local wall-clock time >= local (seconds since
 * 1970-01-01 in wall time, rounded up to a minute), not later than limit;
 * INT64_MAX if none. */
int64_t cron_next_local(const struct cron *c, int64_t local, int64_t limit);

#endif
