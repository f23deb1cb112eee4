/*
 * tz.h: time zones for log lines that carry local time without an offset.
 * "UTC", a fixed offset ("+09:00", "-0500") or an IANA name ("Asia/Tokyo",
 * resolved through the C library's zone files).  Conversions are cached per
 * local hour, so the C library (and its global TZ) is consulted only when
 * the hour changes; a struct tz is used from the loop thread only.
 */
#ifndef KEIBI_TZ_H
#define KEIBI_TZ_H

#include <stdint.h>

struct tz;

/* Open a zone; NULL with *cause (static text) if the name is unknown. */
struct tz	*tz_open(const char *name, const char **cause);
void		 tz_free(struct tz *);
const char	*tz_name(const struct tz *);

/*
 * Convert a local civil time in zone tz (NULL = UTC) to seconds since the
 * epoch; *off receives the zone's offset then (seconds east of UTC).
 * month 1-12.  Times in a DST gap or overlap resolve as mktime() does.
 */
int64_t		 tz_to_utc(const struct tz *, int year, int month, int day,
		    int hour, int min, int sec, int32_t *off);

/* Offset of zone tz at UTC time t (seconds east). */
int32_t		 tz_offset_at(const struct tz *, int64_t t);

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
int64_t		 tz_days_from_civil(int year, int month, int day);
/* The inverse: civil date of a day number. */
void		 tz_civil_from_days(int64_t days, int *year, int *month, int *day);

#endif
