/*
 * sysloghdr.h: the syslog headers every parser meets in front of its own text.
 * RFC 3164 ("Jun  8 14:34:33 host prog[pid]: msg", year-less, local time in
 * a configurable zone, year inferred against a reference time with the
 * December/January rollover), RFC 5424 ("<165>1 2003-10-11T22:14:15.003Z
 * host app procid msgid [sd] msg") and rsyslog's high-precision file format
 * ("2026-11-21T10:00:00.123456+09:00 host prog[pid]: msg").  A leading
 * "<PRI>" is accepted before any of them.  Never reads past len.
 */
#ifndef KEIBI_SYSLOG_H
#define KEIBI_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct tz;

struct syslog_ctx {
	const struct tz	*tz;		/* NULL = UTC */
	int64_t		 ref_us;	/* reference time; 0 = the clock */
};

struct syslog_hdr {
	int		 pri;		/* -1 when absent */
	int64_t		 ts_us;		/* UTC microseconds */
	int32_t		 tz_off;	/* seconds east of UTC of the line's time */
	uint8_t		 digits;	/* fraction digits seen (0, 3 or 6) */
	bool		 no_year;	/* the year was inferred */
	struct span	 host;
	struct span	 program;
	struct span	 pid;
	struct span	 msg;		/* the rest of the line */
};

/*
 * Parse the syslog header at the start of line.  Returns 0 and fills hdr
 * (msg = the text after the header), or -1 if the line has no header this
 * module knows.
 */
int	syslog_parse(const struct syslog_ctx *, const char *line, size_t len,
	    struct syslog_hdr *hdr);

/* Copy the header's fields into rec (@timestamp, host, process). */
void	syslog_to_record(const struct syslog_hdr *, struct record *);

/*
 * Infer the year of a year-less date: the year of ref, or the one before
 * when the date would lie more than 31 days after ref (a December line read
 * in January).  month is 1-12.
 */
int	syslog_infer_year(int64_t ref_us, const struct tz *, int month, int day);

/*
 * Parse an ISO 8601 / RFC 3339 timestamp at p ("2026-11-21T10:00:00",
 * optional fraction, "Z" or "+hh:mm"/"+hhmm"; a space may replace "T").
 * Without an offset, tz (or UTC) applies.  Returns the bytes consumed, or
 * 0 if p does not start with one.
 */
size_t	iso8601_parse(const char *p, size_t len, const struct tz *,
	    int64_t *ts_us, int32_t *tz_off, uint8_t *digits);

#endif
