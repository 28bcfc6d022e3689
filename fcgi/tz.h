/* IANA time zones without TZ/tzset: a TZif v2+ reader (64-bit transitions
 * and the POSIX TZ rule of the footer) and UTC/local conversions that are
 * safe to call from any thread. */
#ifndef OC_TZ_H
#define OC_TZ_H

#include <stddef.h>
#include <stdint.h>

/* Longest zone name accepted, without its NUL. */
#define TZ_NAME_MAX 64
/* Longest text tz_format writes, with its NUL
 * ("-99999-12-31T23:59:59+14:00"). */
#define TZ_STRLEN 40

struct tz;

/* Looks up a zone by its IANA name ("Europe/Berlin", "UTC") in
 * /usr/share/zoneinfo. Loaded zones are kept for the life of the process
 * (one copy per name, shared by every thread); the result is never freed
 * by the caller. Returns NULL with *why (if not NULL) set to a static
 * message when the name is malformed, unknown, or not a usable TZif file
 * (host-dependent names "localtime"/"posixrules" and leap-second "right/"
 * zones are refused). */
const struct tz *tz_get(const char *name, const char **why);
/* The name the zone was loaded under (owned by the zone). */
const char *tz_name(const struct tz *z);

/* UTC offset in seconds (east positive) in effect at the UTC instant t.
 * If next is not NULL, *next is the first instant > t at which the zone's
 * offset may change, or INT64_MAX if it never does. */
int32_t tz_offset(const struct tz *z, int64_t t, int64_t *next);

/* Proleptic Gregorian calendar helpers (days since 1970-01-01). */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 0 = Sunday .. 6 = Saturday. */
int tz_weekday(int64_t days);
/* Floor division of seconds into days. */
int64_t tz_day_of(int64_t secs);

/* Writes t as RFC 3339 with the offset off ("2026-03-08T03:00:00-04:00";
 * off 0 gives "Z") into out. */
void tz_format(int64_t t, int32_t off, char *out, size_t size);

#endif
