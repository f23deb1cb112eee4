/*
 * test_fw.c: the helpers the firewall parsers share: key=value and CEF
 * scanning, escapes, key tables, dates, clocks and zone names, the
 * checks that keep impossible values out of fields (ports, addresses),
 * transports, verdicts and URLs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fw.h"
#include "tz.h"

/* A span of a C string. */
static struct span
S(const char *s)
{
	return (struct span){ s, strlen(s) };
}

/* Assert span v holds exactly s. */
static void
assert_span(struct span v, const char *s)
{
	assert_int_equal(v.len, strlen(s));
	assert_memory_equal(v.p, s, v.len);
}

/* key=value lists: quotes, escapes, words without '=', odd spacing. */
static void
test_kv(void **unused)
{
	const char	*line = "date=2026-11-21  msg=\"a \\\"b\\\" c\" junk "
	    "\"quoted junk\" k= last=x";
	struct fw_cur	 c = { line, line + strlen(line) };
	struct span	 k, v;

	(void)unused;
	assert_true(fw_kv_next(&c, &k, &v));
	assert_span(k, "date");
	assert_span(v, "2026-11-21");
	assert_true(fw_kv_next(&c, &k, &v));
	assert_span(k, "msg");
	assert_span(v, "a \\\"b\\\" c");
	assert_true(fw_kv_next(&c, &k, &v));
	assert_span(k, "k");
	assert_int_equal(v.len, 0);
	assert_true(fw_kv_next(&c, &k, &v));
	assert_span(k, "last");
	assert_span(v, "x");
	assert_false(fw_kv_next(&c, &k, &v));
}

/* An unterminated quote ends at the end of the line, not past it. */
static void
test_kv_unterminated(void **unused)
{
	const char	*line = "a=\"never closed";
	struct fw_cur	 c = { line, line + strlen(line) };
	struct span	 k, v;

	(void)unused;
	assert_true(fw_kv_next(&c, &k, &v));
	assert_span(v, "never closed");
	assert_false(fw_kv_next(&c, &k, &v));
}

/* CEF: header, values with spaces, escapes, quotes, the bare form. */
static void
test_cef(void **unused)
{
	const char	*line = "CEF:0|Vendor|Pro\\|duct|1.0|100|Name here|5|"
	    "src=192.0.2.1 msg=two words and a\\=b request=\"h/p\" cs1=x";
	struct fw_state	*st;
	struct cef	 cef;
	struct fw_cur	 c;
	struct span	 k, v;

	(void)unused;
	st = fw_state_new(NULL, sizeof *st, NULL, 0);
	assert_non_null(st);
	assert_true(fw_cef_parse(line, strlen(line), &cef));
	assert_span(cef.vendor, "Vendor");
	assert_span(cef.product, "Pro\\|duct");
	assert_span(cef.sigid, "100");
	assert_span(cef.name, "Name here");
	assert_span(cef.severity, "5");
	c.p = cef.ext.p;
	c.end = cef.ext.p + cef.ext.len;
	assert_true(fw_cef_next(&c, &k, &v));
	assert_span(k, "src");
	assert_span(v, "192.0.2.1");
	assert_true(fw_cef_next(&c, &k, &v));
	assert_span(k, "msg");
	assert_span(v, "two words and a\\=b");
	assert_true(fw_unescape(st, &v));
	assert_span(v, "two words and a=b");
	assert_true(fw_cef_next(&c, &k, &v));
	assert_span(v, "h/p");
	assert_true(fw_cef_next(&c, &k, &v));
	assert_span(k, "cs1");
	assert_false(fw_cef_next(&c, &k, &v));

	assert_true(fw_cef_parse("0|V|P|1|2|N|3|a=b", 17, &cef));
	assert_true(fw_cef_parse("CEF: 0|V|P|1|2|N|3|", 20, &cef));
	assert_false(fw_cef_parse("CEF:0|V|P|1|2|N", 15, &cef));
	assert_false(fw_cef_parse("x|V", 3, &cef));
	assert_non_null(fw_cef_find("host CEF:0|x", 12));
	assert_non_null(fw_cef_find("12|x", 4));
	assert_null(fw_cef_find("hello", 5));
	fw_state_free(st);
}

/* Key tables are searched in (length, bytes) order. */
static void
test_keys(void **unused)
{
	static const struct fw_key	tab[] = {
		FW_KEY("m", 1), FW_KEY("id", 2), FW_KEY("src", 3),
		FW_KEY("time", 4), FW_KEY("srcip", 5),
	};
	struct fw_state			*st;
	size_t				 i;

	(void)unused;
	for (i = 1; i < sizeof tab / sizeof tab[0]; i++)
		assert_true(fw_key_cmp(&tab[i - 1], &tab[i]) < 0);
	assert_int_equal(fw_key_lookup(tab, 5, S("m")), 1);
	assert_int_equal(fw_key_lookup(tab, 5, S("srcip")), 5);
	assert_int_equal(fw_key_lookup(tab, 5, S("time")), 4);
	assert_int_equal(fw_key_lookup(tab, 5, S("src")), 3);
	assert_int_equal(fw_key_lookup(tab, 5, S("sr")), 0);
	assert_int_equal(fw_key_lookup(tab, 5, S("")), 0);
	assert_int_equal(fw_key_lookup(tab, 0, S("m")), 0);

	/* The same through a state's hashed index. */
	st = fw_state_new(NULL, sizeof *st, tab, 5);
	assert_non_null(st);
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		assert_int_equal(fw_key_find(st, (struct span){ tab[i].key,
		    tab[i].len }), tab[i].id);
	assert_int_equal(fw_key_find(st, S("srcipx")), 0);
	assert_int_equal(fw_key_find(st, S("x")), 0);
	assert_int_equal(fw_key_find(st, S("")), 0);
	fw_state_free(st);
}

/* Dates, clocks and zone names. */
static void
test_time(void **unused)
{
	int		y, m, d, h, mi, s;
	int64_t		us;
	uint8_t		digits;
	int32_t		off;

	(void)unused;
	assert_true(fw_date(S("2026-11-21"), &y, &m, &d));
	assert_int_equal(y * 10000 + m * 100 + d, 20261121);
	assert_true(fw_date(S("2026/02/09"), &y, &m, &d));
	assert_false(fw_date(S("2026/00/00"), &y, &m, &d));
	assert_false(fw_date(S("2026-11/21"), &y, &m, &d));
	assert_false(fw_date(S("26-11-21"), &y, &m, &d));
	assert_true(fw_clock(S("10:00:01"), &h, &mi, &s, &us, &digits));
	assert_int_equal(digits, 0);
	assert_true(fw_clock(S("10:00:01.25"), &h, &mi, &s, &us, &digits));
	assert_int_equal(us, 250000);
	assert_int_equal(digits, 3);
	assert_false(fw_clock(S("10: 00:01"), &h, &mi, &s, &us, &digits));
	assert_false(fw_clock(S("24:00:00"), &h, &mi, &s, &us, &digits));
	assert_true(fw_zone(S("+0900"), &off));
	assert_int_equal(off, 32400);
	assert_true(fw_zone(S("-05:00"), &off));
	assert_int_equal(off, -18000);
	assert_true(fw_zone(S("CEST"), &off));
	assert_int_equal(off, 7200);
	assert_true(fw_zone(S("utc"), &off));
	assert_int_equal(off, 0);
	assert_false(fw_zone(S("CST"), &off));	/* ambiguous */
	assert_false(fw_zone(S("+2500"), &off));
}

/* A BSD time with and without a year, and the year inferred. */
static void
test_bsd_time(void **unused)
{
	struct parser_opts	 po = { NULL, 0, 0 };
	struct fw_state		*st;
	struct record		 rec;
	const char		*a = "Nov 21 2026 10:00:00: x";
	const char		*b = "Dec  1 10:00:00.5 x";
	struct fw_cur		 c;

	(void)unused;
	po.ref_us = (tz_days_from_civil(2027, 1, 2) * 86400) * 1000000LL;
	st = fw_state_new(&po, sizeof *st, NULL, 0);
	assert_non_null(st);
	record_reset(&rec);
	c.p = a;
	c.end = a + strlen(a);
	assert_true(fw_bsd_time(st, &c, &rec));
	assert_int_equal(rec.ts_us, (tz_days_from_civil(2026, 11, 21) *
	    86400 + 36000) * 1000000LL);
	assert_false(rec.flags & REC_NO_YEAR);
	assert_int_equal(*c.p, ':');
	record_reset(&rec);
	c.p = b;
	c.end = b + strlen(b);
	assert_true(fw_bsd_time(st, &c, &rec));
	/* December read in January is last year's. */
	assert_int_equal(rec.ts_us, (tz_days_from_civil(2026, 12, 1) *
	    86400 + 36000) * 1000000LL + 500000);
	assert_true(rec.flags & REC_NO_YEAR);
	c.p = "Nov 21";
	c.end = c.p + 6;
	assert_false(fw_bsd_time(st, &c, &rec));
	fw_state_free(st);
}

/* Values that cannot be what a device printed stay out of fields. */
static void
test_setters(void **unused)
{
	struct fw_state	*st;
	struct record	 rec;

	(void)unused;
	st = fw_state_new(NULL, sizeof *st, NULL, 0);
	assert_non_null(st);
	record_reset(&rec);
	assert_true(fw_port_ok(S("65535")));
	assert_false(fw_port_ok(S("65536")));
	assert_false(fw_port_ok(S("000080")));
	assert_false(fw_port_ok(S("ssh")));
	assert_false(fw_set_ip(&rec, RF_SOURCE_IP, S("10.0.0.256")));
	assert_false(record_has(&rec, RF_SOURCE_IP));
	assert_true(fw_set_ip(&rec, RF_SOURCE_IP, S("2001:db8::1")));
	assert_int_equal(rec.src.family, 6);
	fw_set_str(&rec, RF_USER_NAME, S("N/A"));
	fw_set_str(&rec, RF_RULE_NAME, S(" - "));
	assert_false(record_has(&rec, RF_USER_NAME));
	assert_false(record_has(&rec, RF_RULE_NAME));

	fw_set_transport(st, &rec, S("6"));
	assert_span(record_get(&rec, RF_NETWORK_TRANSPORT), "tcp");
	fw_set_transport(st, &rec, S("ICMPv6"));
	assert_span(record_get(&rec, RF_NETWORK_TRANSPORT), "ipv6-icmp");
	fw_set_transport(st, &rec, S("UDP"));
	assert_span(record_get(&rec, RF_NETWORK_TRANSPORT), "udp");
	fw_set_transport(st, &rec, S("253"));
	assert_span(record_get(&rec, RF_NETWORK_TRANSPORT), "253");

	assert_int_equal(fw_set_action(st, &rec, S("Deny")), FW_DENIED);
	assert_span(record_get(&rec, RF_EVENT_ACTION), "deny");
	assert_span(record_get(&rec, RF_EVENT_TYPE), "denied");
	assert_int_equal(fw_verdict(S("reset-both")), FW_DENIED);
	assert_int_equal(fw_verdict(S("permitted")), FW_ALLOWED);
	assert_int_equal(fw_verdict(S("teardown")), 0);

	fw_set_duration(st, &rec, 3723, 500000);
	assert_span(record_get(&rec, RF_EVENT_DURATION), "3723500000000");
	fw_state_free(st);
}

/* url.domain only where a host is certain. */
static void
test_url(void **unused)
{
	struct record	rec;

	(void)unused;
	record_reset(&rec);
	fw_set_url(&rec, S("https://www.example.com:8443/a?b=c"));
	assert_span(record_get(&rec, RF_URL_DOMAIN), "www.example.com");
	record_reset(&rec);
	fw_set_url(&rec, S("www.example.com/path"));
	assert_span(record_get(&rec, RF_URL_DOMAIN), "www.example.com");
	record_reset(&rec);
	fw_set_url(&rec, S("index.php?u=http://192.0.2.1/x"));
	assert_false(record_has(&rec, RF_URL_DOMAIN));
	record_reset(&rec);
	fw_set_url(&rec, S("/config/"));
	assert_span(record_get(&rec, RF_URL_ORIGINAL), "/config/");
	assert_false(record_has(&rec, RF_URL_DOMAIN));
	record_reset(&rec);
	fw_set_url(&rec, S("-"));
	assert_false(record_has(&rec, RF_URL_ORIGINAL));
}

/* The scratch refuses, never cuts. */
static void
test_scratch(void **unused)
{
	struct fw_state	*st;
	struct span	 out;
	char		 big[FW_SCRATCH + 1];

	(void)unused;
	st = fw_state_new(NULL, sizeof *st, NULL, 0);
	assert_non_null(st);
	memset(big, 'A', sizeof big);
	assert_false(fw_lower(st, (struct span){ big, sizeof big }, &out));
	assert_true(fw_lower(st, S("ABC"), &out));
	assert_span(out, "abc");
	fw_begin(st);
	assert_true(fw_lower(st, (struct span){ big, FW_SCRATCH }, &out));
	assert_false(fw_u64(st, 7, &out));
	fw_state_free(st);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_kv_unterminated),
		cmocka_unit_test(test_cef),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_bsd_time),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_scratch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
