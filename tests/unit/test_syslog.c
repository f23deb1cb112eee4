/*
 * test_syslog.c: the syslog headers (RFC 3164 with year inference, RFC
 * 5424, rsyslog ISO 8601), iso8601_parse, and that no header, however
 * short or hostile, is read past its end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"
#include "sysloghdr.h"
#include "tz.h"

#define US	1000000LL

/* Microseconds of a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return (tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    s) * US;
}

/* The reference "now" of most tests: 2026-11-21T12:00:00Z. */
#define REF	utc(2026, 11, 21, 12, 0, 0)

/* Parse s (as an exact-size heap copy) with ref in UTC; the result. */
static int
parse(const char *s, int64_t ref, struct syslog_hdr *hdr, char **copy)
{
	struct syslog_ctx	ctx = { NULL, ref };
	size_t			len = strlen(s);

	*copy = malloc(len > 0 ? len : 1);
	assert_non_null(*copy);
	memcpy(*copy, s, len);
	return syslog_parse(&ctx, *copy, len, hdr);
}

/* Assert that span sp holds exactly the text s (NULL: unset). */
static void
span_is(struct span sp, const char *s)
{
	if (s == NULL) {
		assert_int_equal(sp.len, 0);
		return;
	}
	assert_int_equal(sp.len, strlen(s));
	assert_memory_equal(sp.p, s, sp.len);
}

static void
test_3164_basic(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	assert_int_equal(parse("Jun  8 14:34:33 sd-126005 sshd[4242]: "
	    "Accepted publickey", REF, &h, &c), 0);
	assert_int_equal(h.pri, -1);
	assert_true(h.ts_us == utc(2026, 6, 8, 14, 34, 33));
	assert_int_equal(h.tz_off, 0);
	assert_int_equal(h.digits, 0);
	assert_true(h.no_year);
	span_is(h.host, "sd-126005");
	span_is(h.program, "sshd");
	span_is(h.pid, "4242");
	span_is(h.msg, "Accepted publickey");
	free(c);
}

static void
test_3164_days(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	/* One-digit day after one or two spaces, and with a zero. */
	assert_int_equal(parse("Jun 8 14:34:33 h p: m", REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 6, 8, 14, 34, 33));
	free(c);
	assert_int_equal(parse("Jun  8 14:34:33 h p: m", REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 6, 8, 14, 34, 33));
	free(c);
	assert_int_equal(parse("Jun 08 14:34:33 h p: m", REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 6, 8, 14, 34, 33));
	free(c);
	assert_int_equal(parse("Jun 18 04:05:06 h p: m", REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 6, 18, 4, 5, 6));
	free(c);
	/* Impossible dates and times. */
	assert_int_equal(parse("Jun 31 14:34:33 h p: m", REF, &h, &c), -1);
	free(c);
	assert_int_equal(parse("Jun  0 14:34:33 h p: m", REF, &h, &c), -1);
	free(c);
	assert_int_equal(parse("Jun  8 24:34:33 h p: m", REF, &h, &c), -1);
	free(c);
	assert_int_equal(parse("Jun  8 14:60:33 h p: m", REF, &h, &c), -1);
	free(c);
	assert_int_equal(parse("Jun   8 14:34:33 h p: m", REF, &h, &c), -1);
	free(c);
	/* Month names in any case; unknown ones are not a header. */
	assert_int_equal(parse("JUN  8 14:34:33 h p: m", REF, &h, &c), 0);
	free(c);
	assert_int_equal(parse("Jux  8 14:34:33 h p: m", REF, &h, &c), -1);
	free(c);
}

static void
test_3164_pri_host_tag(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	assert_int_equal(parse("<34>Oct 11 22:14:15 mymachine su: 'su root' "
	    "failed", REF, &h, &c), 0);
	assert_int_equal(h.pri, 34);
	span_is(h.host, "mymachine");
	span_is(h.program, "su");
	span_is(h.pid, NULL);
	span_is(h.msg, "'su root' failed");
	free(c);

	/* No host: the first word is the tag. */
	assert_int_equal(parse("Jun  8 14:34:33 postfix/smtpd[77]: connect",
	    REF, &h, &c), 0);
	span_is(h.host, NULL);
	span_is(h.program, "postfix/smtpd");
	span_is(h.pid, "77");
	span_is(h.msg, "connect");
	free(c);

	/* Kernel lines keep what follows "kernel: ". */
	assert_int_equal(parse("Sep 27 20:56:38 ubuntu-focal kernel: "
	    "[  203.842973] IPTABLES-DROP: IN=lo", REF, &h, &c), 0);
	span_is(h.host, "ubuntu-focal");
	span_is(h.program, "kernel");
	span_is(h.msg, "[  203.842973] IPTABLES-DROP: IN=lo");
	free(c);

	/* No tag: the message follows the host. */
	assert_int_equal(parse("Jun 28 04:35:30 Abc-A1 [SOMETHING-1234-A] "
	    "IN=abc", REF, &h, &c), 0);
	span_is(h.host, "Abc-A1");
	span_is(h.program, NULL);
	span_is(h.msg, "[SOMETHING-1234-A] IN=abc");
	free(c);

	/* A tag without a colon but with a pid. */
	assert_int_equal(parse("Jun  8 14:34:33 gw dnsmasq[9] reply x",
	    REF, &h, &c), 0);
	span_is(h.program, "dnsmasq");
	span_is(h.pid, "9");
	span_is(h.msg, "reply x");
	free(c);

	/* pfSense's parenthesised program is kept as written. */
	assert_int_equal(parse("<166>Aug 21 22:08:13 fw.example "
	    "(squid-1)[6802]: [1598040493.253 325] x", REF, &h, &c), 0);
	span_is(h.host, "fw.example");
	span_is(h.program, "(squid-1)");
	span_is(h.pid, "6802");
	span_is(h.msg, "[1598040493.253 325] x");
	free(c);

	/* The header alone. */
	assert_int_equal(parse("Jun  8 14:34:33", REF, &h, &c), 0);
	span_is(h.host, NULL);
	span_is(h.msg, NULL);
	free(c);

	/* A fraction of a second. */
	assert_int_equal(parse("Jun  8 14:34:33.5 h p: m", REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 6, 8, 14, 34, 33) + 500000);
	assert_int_equal(h.digits, 3);
	free(c);
}

static void
test_3164_rollover(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	/* A December line read in January belongs to the year before. */
	assert_int_equal(parse("Dec 31 23:59:59 h p: m",
	    utc(2027, 1, 2, 0, 10, 0), &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 12, 31, 23, 59, 59));
	free(c);
	/* A January line read in January is this year's. */
	assert_int_equal(parse("Jan  1 00:00:01 h p: m",
	    utc(2027, 1, 2, 0, 10, 0), &h, &c), 0);
	assert_true(h.ts_us == utc(2027, 1, 1, 0, 0, 1));
	free(c);
	/* Up to 31 days ahead (a skewed clock) stays in this year... */
	assert_int_equal(syslog_infer_year(REF, NULL, 12, 22), 2026);
	/* ...further ahead is last year's. */
	assert_int_equal(syslog_infer_year(REF, NULL, 12, 23), 2025);
	assert_int_equal(syslog_infer_year(REF, NULL, 1, 1), 2026);
	assert_int_equal(syslog_infer_year(REF, NULL, 11, 21), 2026);
}

static void
test_3164_feb29(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	/* In a leap year. */
	assert_int_equal(parse("Feb 29 10:00:00 h p: m",
	    utc(2028, 3, 1, 0, 0, 0), &h, &c), 0);
	assert_true(h.ts_us == utc(2028, 2, 29, 10, 0, 0));
	free(c);
	/* Read in a later, common year: the latest leap year. */
	assert_int_equal(syslog_infer_year(utc(2027, 3, 1, 0, 0, 0), NULL,
	    2, 29), 2024);
	assert_int_equal(syslog_infer_year(utc(2029, 1, 15, 0, 0, 0), NULL,
	    2, 29), 2028);
	assert_int_equal(syslog_infer_year(utc(2100, 6, 1, 0, 0, 0), NULL,
	    2, 29), 2096);
	assert_int_equal(parse("Feb 30 10:00:00 h p: m", REF, &h, &c), -1);
	free(c);
}

static void
test_3164_zone(void **state)
{
	struct syslog_ctx	 ctx;
	struct syslog_hdr	 h;
	struct tz		*tz;
	const char		*cause, *s = "Jun  8 14:34:33 h p: m";

	tz = tz_open("+09:00", &cause);
	assert_non_null(tz);
	ctx.tz = tz;
	ctx.ref_us = REF;
	assert_int_equal(syslog_parse(&ctx, s, strlen(s), &h), 0);
	assert_true(h.ts_us == utc(2026, 6, 8, 5, 34, 33));
	assert_int_equal(h.tz_off, 9 * 3600);
	/* The reference's local date decides: already 2027 in Tokyo. */
	assert_int_equal(syslog_infer_year(utc(2026, 12, 31, 20, 0, 0), tz,
	    1, 1), 2027);
	assert_int_equal(syslog_infer_year(utc(2026, 12, 31, 20, 0, 0), NULL,
	    1, 1), 2026);
	tz_free(tz);
}

static void
test_5424(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	assert_int_equal(parse("<165>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
	    "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
	    "\xef\xbb\xbf" "An application event", REF, &h, &c), 0);
	assert_int_equal(h.pri, 165);
	assert_true(h.ts_us == utc(2003, 10, 11, 22, 14, 15) + 3000);
	assert_int_equal(h.digits, 3);
	assert_int_equal(h.tz_off, 0);
	assert_false(h.no_year);
	span_is(h.host, "mymachine.example.com");
	span_is(h.program, "evntslog");
	span_is(h.pid, NULL);
	span_is(h.msg, "An application event");
	free(c);

	/* An offset and microseconds. */
	assert_int_equal(parse("<165>1 2003-08-24T05:14:15.000003-07:00 "
	    "192.0.2.1 myproc 8710 - - %% It's time", REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2003, 8, 24, 12, 14, 15) + 3);
	assert_int_equal(h.tz_off, -7 * 3600);
	assert_int_equal(h.digits, 6);
	span_is(h.host, "192.0.2.1");
	span_is(h.program, "myproc");
	span_is(h.pid, "8710");
	span_is(h.msg, "%% It's time");
	free(c);

	/* No fraction, +hh:mm offset. */
	assert_int_equal(parse("<13>1 2026-11-21T10:00:00+09:00 h app 1 m - x",
	    REF, &h, &c), 0);
	assert_true(h.ts_us == utc(2026, 11, 21, 1, 0, 0));
	assert_int_equal(h.digits, 0);
	assert_int_equal(h.tz_off, 9 * 3600);
	span_is(h.msg, "x");
	free(c);

	/* Several SD elements, an escaped ']' inside a value, no MSG. */
	assert_int_equal(parse("<13>1 2026-11-21T10:00:00Z h a - - "
	    "[a@1 x=\"q\\]\"][b@2 y=\"\\\"\"]", REF, &h, &c), 0);
	span_is(h.msg, NULL);
	free(c);
	assert_int_equal(parse("<13>1 2026-11-21T10:00:00Z h a - - "
	    "[a@1 x=\"q]\"] m", REF, &h, &c), 0);
	span_is(h.msg, "m");
	free(c);
}

static void
test_5424_nil(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	/* NILVALUE everywhere: the reference time stands in. */
	assert_int_equal(parse("<14>1 - - - - - -", REF, &h, &c), 0);
	assert_true(h.ts_us == REF);
	span_is(h.host, NULL);
	span_is(h.program, NULL);
	span_is(h.pid, NULL);
	span_is(h.msg, NULL);
	free(c);
	assert_int_equal(parse("<14>1 - host - - - - hello", REF, &h, &c), 0);
	span_is(h.host, "host");
	span_is(h.msg, "hello");
	free(c);
}

static void
test_5424_bad(void **state)
{
	static const char	*bad[] = {
		"<14>1",
		"<14>1 ",
		"<14>0 - - - - - -",
		"<14>1 2026-13-01T00:00:00Z h a p m -",
		"<14>1 2026-11-21T10:00:00Z h a p m",
		"<14>1 2026-11-21T10:00:00Z h a p m [x",
		"<14>1 2026-11-21T10:00:00Z h a p m [x a=\"]",
		"<14>1 2026-11-21T10:00:00Z h a p m [x a=\"\\",
		"<14>1 2026-11-21T10:00:00Z h a p m x",
		"<14>1 2026-11-21T10:00:00Z h a p m -x",
		"<14>1 2026-11-21T10:00:00Z  a p m - x",
		"<14>1 2026-11-21T10:00:00+9 h a p m - x",
	};
	struct syslog_hdr	 h;
	char			*c;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i], REF, &h, &c) != -1)
			fail_msg("accepted: %s", bad[i]);
		free(c);
	}
}

static void
test_rsyslog_iso(void **state)
{
	struct syslog_hdr	 h;
	char			*c;

	assert_int_equal(parse("2026-11-21T10:00:00.123456+09:00 gw "
	    "kernel: [UFW BLOCK] IN=eth0", REF, &h, &c), 0);
	assert_int_equal(h.pri, -1);
	assert_true(h.ts_us == utc(2026, 11, 21, 1, 0, 0) + 123456);
	assert_int_equal(h.tz_off, 9 * 3600);
	assert_int_equal(h.digits, 6);
	assert_false(h.no_year);
	span_is(h.host, "gw");
	span_is(h.program, "kernel");
	span_is(h.msg, "[UFW BLOCK] IN=eth0");
	free(c);

	assert_int_equal(parse("<6>2021-03-12T14:10:18Z Hostname kernel: x",
	    REF, &h, &c), 0);
	assert_int_equal(h.pri, 6);
	assert_true(h.ts_us == utc(2021, 3, 12, 14, 10, 18));
	span_is(h.host, "Hostname");
	span_is(h.msg, "x");
	free(c);

	assert_int_equal(parse("2021-03-12T14:10:18Zx h p: m", REF, &h, &c),
	    -1);
	free(c);
}

static void
test_iso8601(void **state)
{
	int64_t		 ts;
	int32_t		 off;
	uint8_t		 d;
	struct tz	*tz;
	const char	*cause, *s;

#define ISO(str) iso8601_parse((str), strlen(str), NULL, &ts, &off, &d)
	assert_int_equal(ISO("2026-11-21T10:00:00Z"), 20);
	assert_true(ts == utc(2026, 11, 21, 10, 0, 0));
	assert_int_equal(d, 0);
	assert_int_equal(ISO("2026-11-21 10:00:00+0900 rest"), 24);
	assert_true(ts == utc(2026, 11, 21, 1, 0, 0));
	assert_int_equal(off, 9 * 3600);
	assert_int_equal(ISO("2026-11-21T10:00:00-05:30"), 25);
	assert_true(ts == utc(2026, 11, 21, 15, 30, 0));
	assert_int_equal(off, -(5 * 3600 + 30 * 60));

	/* Fraction digits round to 3 or 6; more than 6 are cut. */
	assert_int_equal(ISO("2026-11-21T10:00:00.1Z"), 22);
	assert_int_equal(d, 3);
	assert_true(ts == utc(2026, 11, 21, 10, 0, 0) + 100000);
	assert_int_equal(ISO("2026-11-21T10:00:00.123Z"), 24);
	assert_int_equal(d, 3);
	assert_int_equal(ISO("2026-11-21T10:00:00.1234Z"), 25);
	assert_int_equal(d, 6);
	assert_true(ts == utc(2026, 11, 21, 10, 0, 0) + 123400);
	assert_int_equal(ISO("2026-11-21T10:00:00,123456789Z"), 30);
	assert_int_equal(d, 6);
	assert_true(ts == utc(2026, 11, 21, 10, 0, 0) + 123456);

	/* Without an offset, UTC or the zone given. */
	assert_int_equal(ISO("2026-11-21T10:00:00"), 19);
	assert_true(ts == utc(2026, 11, 21, 10, 0, 0));
	assert_int_equal(off, 0);
	tz = tz_open("-05:00", &cause);
	assert_non_null(tz);
	s = "2026-11-21T10:00:00";
	assert_int_equal(iso8601_parse(s, strlen(s), tz, &ts, &off, &d), 19);
	assert_true(ts == utc(2026, 11, 21, 15, 0, 0));
	assert_int_equal(off, -5 * 3600);
	tz_free(tz);

	/* Leap day, leap second. */
	assert_int_equal(ISO("2028-02-29T00:00:00Z"), 20);
	assert_int_equal(ISO("2016-12-31T23:59:60Z"), 20);
	assert_true(ts == utc(2017, 1, 1, 0, 0, 0));

	/* Not timestamps. */
	assert_int_equal(ISO(""), 0);
	assert_int_equal(ISO("2026-11-21"), 0);
	assert_int_equal(ISO("2026-11-21T10:00"), 0);
	assert_int_equal(ISO("2026-13-21T10:00:00Z"), 0);
	assert_int_equal(ISO("2027-02-29T10:00:00Z"), 0);
	assert_int_equal(ISO("2026-11-21T25:00:00Z"), 0);
	assert_int_equal(ISO("2026-11-21X10:00:00Z"), 0);
	assert_int_equal(ISO("2026-11-21T10:00:00+"), 0);
	assert_int_equal(ISO("2026-11-21T10:00:00+09:"), 0);
	assert_int_equal(ISO("2026-11-21T10:00:00+24:00"), 0);
	assert_int_equal(ISO("20a6-11-21T10:00:00Z"), 0);
#undef ISO
}

static void
test_garbage(void **state)
{
	static const char	*bad[] = {
		"", "<", "<>", "<1", "<1>", "<192>Jun  8 14:34:33 h p: m",
		"<1234>Jun  8 14:34:33 h p: m", "<a>Jun  8 14:34:33 h p: m",
		"hello world", "Jun", "Jun  8", "Jun  8 14:34",
		"Jun  8 14:34:33x h", "Jun 8  14:34:33 h", "1 2 3",
		"12345", "2026-11-21", "\xff\xfe\x00 garbage",
		"Jun  8 1a:34:33 h p: m", "Jun  8 14-34-33 h p: m",
	};
	struct syslog_hdr	 h;
	char			*c;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i], REF, &h, &c) != -1)
			fail_msg("accepted: %s", bad[i]);
		/* On failure msg is the whole line. */
		assert_ptr_equal(h.msg.p, c);
		assert_int_equal(h.msg.len, strlen(bad[i]));
		free(c);
	}
}

/* Assert that span sp lies inside p/len. */
static void
span_inside(struct span sp, const char *p, size_t len)
{
	if (sp.len == 0)
		return;
	assert_true(sp.p >= p && sp.p + sp.len <= p + len);
}

static void
test_truncated(void **state)
{
	static const char	*good[] = {
		"<34>Jun  8 14:34:33 sd-126005 sshd[4242]: Accepted publickey",
		"Jun 8 14:34:33.123456 host kernel: [ 1.2] IN=eth0 OUT=",
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
		    "evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
		    "eventSource=\"Appl\\\"ication\"][b@2] \xef\xbb\xbfmsg",
		"<6>2026-11-21T10:00:00.123456+09:00 gw prog[1]: msg",
		"2026-11-21 10:00:00,5-0130 gw prog: msg",
	};
	struct syslog_ctx	 ctx = { NULL, REF };
	struct syslog_hdr	 h;
	char			*c;
	size_t			 i, len, n;

	/* Every prefix of a valid header, each an exact-size heap copy. */
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		len = strlen(good[i]);
		for (n = 0; n <= len; n++) {
			c = malloc(n > 0 ? n : 1);
			assert_non_null(c);
			memcpy(c, good[i], n);
			if (syslog_parse(&ctx, c, n, &h) == 0) {
				span_inside(h.host, c, n);
				span_inside(h.program, c, n);
				span_inside(h.pid, c, n);
				span_inside(h.msg, c, n);
			}
			free(c);
		}
		assert_int_equal(parse(good[i], REF, &h, &c), 0);
		free(c);
	}
}

static void
test_to_record(void **state)
{
	struct syslog_hdr	 h;
	struct record		 rec;
	char			*c;

	record_reset(&rec);
	assert_int_equal(parse("Jun  8 14:34:33 gw sshd[42]: hi", REF, &h, &c),
	    0);
	syslog_to_record(&h, &rec);
	assert_true(rec.has_ts);
	assert_true(rec.ts_us == utc(2026, 6, 8, 14, 34, 33));
	assert_true(rec.flags & REC_NO_YEAR);
	assert_true(span_eq(record_get(&rec, RF_HOST_HOSTNAME), "gw"));
	assert_true(span_eq(record_get(&rec, RF_PROCESS_NAME), "sshd"));
	assert_true(span_eq(record_get(&rec, RF_PROCESS_PID), "42"));
	assert_true(span_eq(record_get(&rec, RF_MESSAGE), "hi"));
	free(c);

	/* A procid that is not a number is no process.pid. */
	record_reset(&rec);
	assert_int_equal(parse("<13>1 2026-11-21T10:00:00Z h a x1 - - m",
	    REF, &h, &c), 0);
	syslog_to_record(&h, &rec);
	assert_false(rec.flags & REC_NO_YEAR);
	assert_false(record_has(&rec, RF_PROCESS_PID));
	assert_true(span_eq(record_get(&rec, RF_PROCESS_NAME), "a"));
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3164_basic),
		cmocka_unit_test(test_3164_days),
		cmocka_unit_test(test_3164_pri_host_tag),
		cmocka_unit_test(test_3164_rollover),
		cmocka_unit_test(test_3164_feb29),
		cmocka_unit_test(test_3164_zone),
		cmocka_unit_test(test_5424),
		cmocka_unit_test(test_5424_nil),
		cmocka_unit_test(test_5424_bad),
		cmocka_unit_test(test_rsyslog_iso),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_to_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
