/*
 * syslog.c: the syslog headers in front of every parser's text.  RFC 3164
 * ("Jun  8 14:34:33 host prog[pid]: msg", year-less local time), RFC 5424
 * ("<165>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg") and
 * rsyslog's high-precision form ("2026-11-21T10:00:00.123456+09:00 host
 * prog[pid]: msg"), each after an optional "<PRI>".  The result is a set
 * of spans into the line and a UTC time; nothing is allocated or copied.
 * An RFC 5424 line whose time is the NILVALUE "-" gets the reference time
 * (the file's mtime, or the clock), the receiver's time RFC 5424 allows.
 * A header is attacker-controlled: this module must never read past len,
 * trust a number it has not range-checked, or do more than one pass over
 * the bytes it looks at.
 */
#include <string.h>
#include <time.h>

#include "sysloghdr.h"
#include "tz.h"

#define SYSLOG_PRI_MAX		191
/* A year-less date further ahead of the reference is last year's. */
#define SYSLOG_ROLLOVER_DAYS	31

static const char syslog_months[12][3] = {
	{ 'j', 'a', 'n' }, { 'f', 'e', 'b' }, { 'm', 'a', 'r' },
	{ 'a', 'p', 'r' }, { 'm', 'a', 'y' }, { 'j', 'u', 'n' },
	{ 'j', 'u', 'l' }, { 'a', 'u', 'g' }, { 's', 'e', 'p' },
	{ 'o', 'c', 't' }, { 'n', 'o', 'v' }, { 'd', 'e', 'c' }
};

/* True if c is an ASCII digit. */
static inline int
syslog_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read exactly n digits at p (len bytes left); -1 if they are not there. */
static int
syslog_num(const char *p, size_t len, size_t n, int *out)
{
	size_t	i;
	int	v = 0;

	if (len < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!syslog_isdigit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* True if year is a leap year (proleptic Gregorian). */
static int
syslog_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Days in month (1-12) of year. */
static int
syslog_mdays(int year, int month)
{
	static const int	days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && syslog_leap(year))
		return 29;
	return days[month - 1];
}

/* Floor division of a by b (b > 0). */
static int64_t
syslog_floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/* The current time in microseconds. */
static int64_t
syslog_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Month number (1-12) of the three letters at p, any case; 0 if none. */
static int
syslog_month(const char *p)
{
	char	a = p[0] | 0x20, b = p[1] | 0x20, c = p[2] | 0x20;
	int	i;

	for (i = 0; i < 12; i++) {
		if (syslog_months[i][0] == a && syslog_months[i][1] == b &&
		    syslog_months[i][2] == c)
			return i + 1;
	}
	return 0;
}

/*
 * Read an optional fraction (".123" or ",123456789") at p; returns the
 * bytes consumed (0 if none), the microseconds and the digits to render.
 */
static size_t
syslog_fraction(const char *p, size_t len, int64_t *us, uint8_t *digits)
{
	size_t	i, n;
	int64_t	v = 0;

	*us = 0;
	*digits = 0;
	if (len < 2 || (p[0] != '.' && p[0] != ',') || !syslog_isdigit(p[1]))
		return 0;
	for (i = 1; i < len && syslog_isdigit(p[i]); i++) {
		if (i <= 6)
			v = v * 10 + (p[i] - '0');
	}
	n = i - 1;
	for (i = n; i < 6; i++)
		v *= 10;
	*us = v;
	*digits = n <= 3 ? 3 : 6;
	return n + 1;
}

/* Parse an ISO 8601 time at p; the bytes consumed, 0 if none. */
size_t
iso8601_parse(const char *p, size_t len, const struct tz *tz, int64_t *ts_us,
    int32_t *tz_off, uint8_t *digits)
{
	int	year, month, day, hour, min, sec, oh, om, sign, have_off = 1;
	int32_t	off = 0;
	int64_t	secs, frac;
	uint8_t	fd;
	size_t	i;

	if (len < 19 ||
	    syslog_num(p, len, 4, &year) != 0 || p[4] != '-' ||
	    syslog_num(p + 5, len - 5, 2, &month) != 0 || p[7] != '-' ||
	    syslog_num(p + 8, len - 8, 2, &day) != 0 ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    syslog_num(p + 11, len - 11, 2, &hour) != 0 || p[13] != ':' ||
	    syslog_num(p + 14, len - 14, 2, &min) != 0 || p[16] != ':' ||
	    syslog_num(p + 17, len - 17, 2, &sec) != 0)
		return 0;
	if (month < 1 || month > 12 || day < 1 ||
	    day > syslog_mdays(year, month) || hour > 23 || min > 59 ||
	    sec > 60)
		return 0;
	i = 19;
	i += syslog_fraction(p + i, len - i, &frac, &fd);

	if (i < len && (p[i] == 'Z' || p[i] == 'z'))
		i++;
	else if (i < len && (p[i] == '+' || p[i] == '-')) {
		sign = p[i] == '-' ? -1 : 1;
		if (syslog_num(p + i + 1, len - i - 1, 2, &oh) != 0)
			return 0;
		i += 3;
		if (i < len && p[i] == ':')
			i++;
		if (syslog_num(p + i, len - i, 2, &om) != 0)
			return 0;
		i += 2;
		if (oh > 23 || om > 59)
			return 0;
		off = sign * (oh * 3600 + om * 60);
	} else
		have_off = 0;

	if (have_off)
		secs = tz_days_from_civil(year, month, day) * 86400 +
		    (int64_t)hour * 3600 + (int64_t)min * 60 + sec - off;
	else {
		/* No offset: local time in the configured zone. */
		secs = tz_to_utc(tz, year, month, day, hour, min, sec, &off);
	}
	*ts_us = secs * 1000000 + frac;
	*tz_off = off;
	*digits = fd;
	return i;
}

/* The year of a year-less month/day read on local day number days. */
static int
syslog_year_at(int64_t days, int month, int day)
{
	int	y, m, d, n;

	tz_civil_from_days(days, &y, &m, &d);
	if (tz_days_from_civil(y, month, day) - days > SYSLOG_ROLLOVER_DAYS)
		y--;
	/* Feb 29 belongs to the latest leap year (at most 8 steps back). */
	for (n = 0; month == 2 && day == 29 && !syslog_leap(y) && n < 8; n++)
		y--;
	return y;
}

/* The local day number of ref_us (0 = the clock) in zone tz. */
static int64_t
syslog_ref_day(int64_t ref_us, const struct tz *tz)
{
	int64_t	ref_s;

	if (ref_us == 0)
		ref_us = syslog_now();
	ref_s = syslog_floordiv(ref_us, 1000000);
	return syslog_floordiv(ref_s + tz_offset_at(tz, ref_s), 86400);
}

/* The year of a year-less month/day read at ref_us in zone tz. */
int
syslog_infer_year(int64_t ref_us, const struct tz *tz, int month, int day)
{
	return syslog_year_at(syslog_ref_day(ref_us, tz), month, day);
}

/*
 * The last year-less date resolved on this thread: consecutive lines
 * almost always share their date.  What it holds is a pure function of
 * its key (the reference's local day number, month, day), so it changes
 * no result and carries nothing from one context or line to the next but
 * time saved; being per thread, it needs no lock.  Zero (month 0) is
 * never a key.
 */
static _Thread_local struct {
	int64_t	ref_day;
	int	month;
	int	day;
	int	year;
	int64_t	civil;		/* days since the epoch of the date */
} syslog_dcache;

/* The year and the day number of a year-less month/day read under ctx. */
static void
syslog_date(const struct syslog_ctx *ctx, int month, int day, int *year,
    int64_t *civil)
{
	int64_t	ref_day;

	ref_day = syslog_ref_day(ctx->ref_us, ctx->tz);
	if (syslog_dcache.month != month || syslog_dcache.day != day ||
	    syslog_dcache.ref_day != ref_day) {
		syslog_dcache.year = syslog_year_at(ref_day, month, day);
		syslog_dcache.civil = tz_days_from_civil(syslog_dcache.year,
		    month, day);
		syslog_dcache.ref_day = ref_day;
		syslog_dcache.month = month;
		syslog_dcache.day = day;
	}
	*year = syslog_dcache.year;
	*civil = syslog_dcache.civil;
}

/*
 * Is the token t/len a tag ("prog:", "prog[pid]:", "prog[pid]")?  If so,
 * fill the program and pid spans of hdr.
 */
static int
syslog_tag(const char *t, size_t len, struct syslog_hdr *hdr)
{
	const char	*lb;
	int		 colon = 0;

	if (len > 0 && t[len - 1] == ':') {
		colon = 1;
		len--;
	}
	if (len == 0)
		return 0;
	if (t[len - 1] == ']' && (lb = memchr(t, '[', len)) != NULL &&
	    lb != t) {
		hdr->program.p = t;
		hdr->program.len = (size_t)(lb - t);
		hdr->pid.p = lb + 1;
		hdr->pid.len = (size_t)(t + len - 1 - (lb + 1));
		return 1;
	}
	if (!colon || memchr(t, '[', len) != NULL)
		return 0;
	hdr->program.p = t;
	hdr->program.len = len;
	return 1;
}

/* End of the token at p: the next space, or end. */
static const char *
syslog_token_end(const char *p, const char *end)
{
	const char	*sp;

	if (p >= end)
		return end;
	sp = memchr(p, ' ', (size_t)(end - p));
	return sp != NULL ? sp : end;
}

/*
 * Parse "host tag: msg" (host and tag each optional) from p to end into
 * hdr: the part of RFC 3164 and rsyslog lines after the time.
 */
static void
syslog_tail(const char *p, const char *end, struct syslog_hdr *hdr)
{
	const char	*te;

	if (p < end && *p == ' ')
		p++;
	te = syslog_token_end(p, end);
	if (te > p && !syslog_tag(p, (size_t)(te - p), hdr)) {
		hdr->host.p = p;
		hdr->host.len = (size_t)(te - p);
		p = te < end ? te + 1 : end;
		te = syslog_token_end(p, end);
		if (te > p && syslog_tag(p, (size_t)(te - p), hdr))
			p = te < end ? te + 1 : end;
	} else if (te > p)
		p = te < end ? te + 1 : end;
	hdr->msg.p = p;
	hdr->msg.len = (size_t)(end - p);
}

/* RFC 3164 from p: "Mmm dd hh:mm:ss[.frac] ..."; -1 if it is not one. */
static int
syslog_parse_3164(const struct syslog_ctx *ctx, const char *p,
    const char *end, struct syslog_hdr *hdr)
{
	size_t		 len = (size_t)(end - p), i;
	int		 month, day, hour, min, sec, year;
	int64_t		 secs, frac, civil;
	int32_t		 off;

	if (len < 14 || (month = syslog_month(p)) == 0 || p[3] != ' ')
		return -1;
	i = 4;
	if (p[i] == ' ')
		i++;
	if (!syslog_isdigit(p[i]))
		return -1;
	day = p[i++] - '0';
	if (syslog_isdigit(p[i]))
		day = day * 10 + (p[i++] - '0');
	if (p[i++] != ' ' || day < 1 || day > syslog_mdays(2000, month))
		return -1;
	if (syslog_num(p + i, len - i, 2, &hour) != 0 || i + 2 >= len ||
	    p[i + 2] != ':' ||
	    syslog_num(p + i + 3, len - i - 3, 2, &min) != 0 ||
	    i + 5 >= len || p[i + 5] != ':' ||
	    syslog_num(p + i + 6, len - i - 6, 2, &sec) != 0)
		return -1;
	if (hour > 23 || min > 59 || sec > 60)
		return -1;
	i += 8;
	i += syslog_fraction(p + i, len - i, &frac, &hdr->digits);
	if (i < len && p[i] != ' ')
		return -1;

	syslog_date(ctx, month, day, &year, &civil);
	if (ctx->tz == NULL) {
		/* UTC: the day number is known, mktime() is not needed. */
		off = 0;
		secs = civil * 86400 + (int64_t)hour * 3600 +
		    (int64_t)min * 60 + sec;
	} else
		secs = tz_to_utc(ctx->tz, year, month, day, hour, min, sec,
		    &off);
	hdr->ts_us = secs * 1000000 + frac;
	hdr->tz_off = off;
	hdr->no_year = true;
	syslog_tail(p + i, end, hdr);
	return 0;
}

/* rsyslog's "ISO-time host tag: msg" from p; -1 if it is not one. */
static int
syslog_parse_iso(const struct syslog_ctx *ctx, const char *p,
    const char *end, struct syslog_hdr *hdr)
{
	size_t	n;

	n = iso8601_parse(p, (size_t)(end - p), ctx->tz, &hdr->ts_us,
	    &hdr->tz_off, &hdr->digits);
	if (n == 0 || (p + n < end && p[n] != ' '))
		return -1;
	syslog_tail(p + n, end, hdr);
	return 0;
}

/* One RFC 5424 header field at *pp: a span, or unset for "-"; -1 at end. */
static int
syslog_field_5424(const char **pp, const char *end, struct span *out)
{
	const char	*p = *pp, *sp;

	if (p >= end)
		return -1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || sp == p)
		return -1;
	if (!(sp - p == 1 && *p == '-')) {
		out->p = p;
		out->len = (size_t)(sp - p);
	}
	*pp = sp + 1;
	return 0;
}

/* Skip RFC 5424 structured data at *pp ("-" or "[...]..."); -1 if bad. */
static int
syslog_skip_sd(const char **pp, const char *end)
{
	const char	*p = *pp;
	int		 quoted;

	if (p >= end)
		return -1;
	if (*p == '-') {
		*pp = p + 1;
		return 0;
	}
	if (*p != '[')
		return -1;
	while (p < end && *p == '[') {
		quoted = 0;
		for (p++; p < end; p++) {
			if (quoted && *p == '\\') {
				if (++p >= end)
					return -1;
			} else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == ']')
				break;
		}
		if (p >= end)
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

/* RFC 5424 from p (after "<PRI>"): "1 TIME HOST APP PROCID MSGID SD MSG". */
static int
syslog_parse_5424(const struct syslog_ctx *ctx, const char *p,
    const char *end, struct syslog_hdr *hdr)
{
	struct span	 msgid = SPAN_NULL;
	size_t		 n;

	/* The version: one or two digits, not zero. */
	if (p >= end || *p < '1' || *p > '9')
		return -1;
	p++;
	if (p < end && syslog_isdigit(*p))
		p++;
	if (p >= end || *p++ != ' ')
		return -1;

	if (p < end && *p == '-') {
		/* NILVALUE: the receiver's reference time stands in. */
		hdr->ts_us = ctx->ref_us != 0 ? ctx->ref_us : syslog_now();
		hdr->tz_off = tz_offset_at(ctx->tz,
		    syslog_floordiv(hdr->ts_us, 1000000));
		p++;
	} else {
		n = iso8601_parse(p, (size_t)(end - p), ctx->tz, &hdr->ts_us,
		    &hdr->tz_off, &hdr->digits);
		if (n == 0)
			return -1;
		p += n;
	}
	if (p >= end || *p++ != ' ')
		return -1;
	if (syslog_field_5424(&p, end, &hdr->host) != 0 ||
	    syslog_field_5424(&p, end, &hdr->program) != 0 ||
	    syslog_field_5424(&p, end, &hdr->pid) != 0 ||
	    syslog_field_5424(&p, end, &msgid) != 0 ||
	    syslog_skip_sd(&p, end) != 0)
		return -1;
	if (p < end && *p++ != ' ')
		return -1;
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	hdr->msg.p = p;
	hdr->msg.len = (size_t)(end - p);
	return 0;
}

/* Parse the header of line into hdr: 0, or -1 (msg = the whole line). */
int
syslog_parse(const struct syslog_ctx *ctx, const char *line, size_t len,
    struct syslog_hdr *hdr)
{
	const char	*p = line, *end = line + len;
	int		 pri = 0, n = 0;

	memset(hdr, 0, sizeof *hdr);
	hdr->pri = -1;
	hdr->msg.p = line;
	hdr->msg.len = len;

	if (p < end && *p == '<') {
		for (p++; p < end && syslog_isdigit(*p) && n < 3; p++, n++)
			pri = pri * 10 + (*p - '0');
		if (n == 0 || p >= end || *p != '>' || pri > SYSLOG_PRI_MAX)
			goto fail;
		p++;
		hdr->pri = pri;
	}
	if (p >= end)
		goto fail;
	if (syslog_isdigit(*p)) {
		if (end - p > 4 && syslog_isdigit(p[1]) &&
		    syslog_isdigit(p[2]) && syslog_isdigit(p[3]) &&
		    p[4] == '-') {
			if (syslog_parse_iso(ctx, p, end, hdr) != 0)
				goto fail;
		} else if (hdr->pri == -1 ||
		    syslog_parse_5424(ctx, p, end, hdr) != 0)
			goto fail;
	} else if (syslog_parse_3164(ctx, p, end, hdr) != 0)
		goto fail;
	return 0;

fail:
	memset(hdr, 0, sizeof *hdr);
	hdr->pri = -1;
	hdr->msg.p = line;
	hdr->msg.len = len;
	return -1;
}

/* Copy time, host, program, pid and message of hdr into rec. */
void
syslog_to_record(const struct syslog_hdr *hdr, struct record *rec)
{
	size_t	i;

	rec->ts_us = hdr->ts_us;
	rec->tz_off = hdr->tz_off;
	rec->ts_digits = hdr->digits;
	rec->has_ts = true;
	if (hdr->no_year)
		rec->flags |= REC_NO_YEAR;
	record_set(rec, RF_HOST_HOSTNAME, hdr->host.p, hdr->host.len);
	record_set(rec, RF_PROCESS_NAME, hdr->program.p, hdr->program.len);
	for (i = 0; i < hdr->pid.len; i++) {
		if (!syslog_isdigit(hdr->pid.p[i]))
			break;
	}
	if (i == hdr->pid.len)
		record_set(rec, RF_PROCESS_PID, hdr->pid.p, hdr->pid.len);
	record_set(rec, RF_MESSAGE, hdr->msg.p, hdr->msg.len);
}
