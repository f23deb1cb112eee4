/*
 * test_squid.c: the Squid access.log parser: native, common and combined
 * formats, lines behind a syslog header, and malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parser.h"
#include "record.h"

#define UNSET	"(unset)"

static const struct parser	*sq;
static void			*st;
static struct record		 rec;
static char			*copy;

/* Parse line with the shared state, from an exact-size heap copy. */
static int
parse(const char *line)
{
	size_t	len = strlen(line);

	free(copy);
	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, line, len);
	record_reset(&rec);
	return sq->parse(st, copy, len, &rec);
}

/* A field of rec as a string, UNSET when absent. */
static const char *
f(enum rf rf)
{
	static char	buf[1024];
	struct span	s;

	if (!record_has(&rec, rf))
		return UNSET;
	s = record_get(&rec, rf);
	assert_true(s.len < sizeof buf);
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return buf;
}

/* The rendered @timestamp. */
static const char *
ts(void)
{
	static char	buf[64];

	assert_true(rec.has_ts);
	record_format_time(rec.ts_us, rec.tz_off, rec.ts_digits, buf,
	    sizeof buf);
	return buf;
}

static int
setup(void **state)
{
	struct parser_opts	opts = { NULL, 1795262400LL * 1000000, 0 };

	(void)state;
	sq = parser_lookup("squid");
	assert_non_null(sq);
	st = sq->state_new(&opts);
	assert_non_null(st);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sq->state_free(st);
	free(copy);
	copy = NULL;
	return 0;
}

static void
test_native_connect(void **state)
{
	(void)state;
	assert_int_equal(parse("1157689312.049   5006 10.105.21.199 "
	    "TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek "
	    "DIRECT/175.16.199.115 -"), 1);
	assert_string_equal(ts(), "2006-09-08T04:21:52.049Z");
	assert_string_equal(f(RF_EVENT_DURATION), "5006000000");
	assert_string_equal(f(RF_SOURCE_IP), "10.105.21.199");
	assert_int_equal(rec.src.family, 4);
	assert_string_equal(f(RF_SQUID_RESULT_CODE), "TCP_MISS");
	assert_string_equal(f(RF_HTTP_RESPONSE_STATUS_CODE), "200");
	assert_string_equal(f(RF_DESTINATION_BYTES), "19763");
	assert_string_equal(f(RF_HTTP_REQUEST_METHOD), "CONNECT");
	assert_string_equal(f(RF_URL_ORIGINAL), "login.yahoo.com:443");
	assert_string_equal(f(RF_URL_DOMAIN), "login.yahoo.com");
	assert_string_equal(f(RF_URL_SCHEME), UNSET);
	assert_string_equal(f(RF_DESTINATION_PORT), "443");
	assert_string_equal(f(RF_DESTINATION_IP), "175.16.199.115");
	assert_int_equal(rec.dst.family, 4);
	assert_string_equal(f(RF_DESTINATION_DOMAIN), "login.yahoo.com");
	assert_string_equal(f(RF_USER_NAME), "badeyek");
	assert_string_equal(f(RF_SQUID_HIERARCHY), "DIRECT");
	assert_string_equal(f(RF_HTTP_RESPONSE_MIME_TYPE), UNSET);
	assert_string_equal(f(RF_EVENT_ACTION), "allowed");
	assert_string_equal(f(RF_EVENT_OUTCOME), "success");
}

static void
test_native_get(void **state)
{
	(void)state;
	assert_int_equal(parse("1157689324.156   1372 10.105.21.199 "
	    "TCP_MISS/200 399 GET http://www.google-analytics.com/__utm.gif? "
	    "- HIER_DIRECT/175.16.199.147 image/gif"), 1);
	assert_string_equal(f(RF_URL_ORIGINAL),
	    "http://www.google-analytics.com/__utm.gif?");
	assert_string_equal(f(RF_URL_SCHEME), "http");
	assert_string_equal(f(RF_URL_DOMAIN), "www.google-analytics.com");
	assert_string_equal(f(RF_URL_PATH), "/__utm.gif");
	assert_string_equal(f(RF_DESTINATION_PORT), UNSET);
	assert_string_equal(f(RF_USER_NAME), UNSET);
	assert_string_equal(f(RF_SQUID_HIERARCHY), "HIER_DIRECT");
	assert_string_equal(f(RF_HTTP_RESPONSE_MIME_TYPE), "image/gif");

	/* No peer: the destination is the URL's host. */
	assert_int_equal(parse("1157689321.315      1 10.105.21.199 "
	    "TCP_HIT/200 1464 GET http://user:pw@www.goonernews.com:8080/a/b"
	    "#frag badeyek NONE/- text/css"), 1);
	assert_string_equal(f(RF_EVENT_DURATION), "1000000");
	assert_string_equal(f(RF_URL_DOMAIN), "www.goonernews.com");
	assert_string_equal(f(RF_URL_PATH), "/a/b");
	assert_string_equal(f(RF_DESTINATION_PORT), "8080");
	assert_string_equal(f(RF_DESTINATION_IP), UNSET);
	assert_string_equal(f(RF_DESTINATION_DOMAIN), "www.goonernews.com");

	/* Zero elapsed time is zero nanoseconds, not "0000000". */
	assert_int_equal(parse("1157689321.315      0 10.0.0.1 "
	    "TCP_MEM_HIT/200 10 GET http://a.example/ - HIER_NONE/- -"), 1);
	assert_string_equal(f(RF_EVENT_DURATION), "0");
}

static void
test_native_outcomes(void **state)
{
	(void)state;
	assert_int_equal(parse("1157689337.481      4 10.105.47.218 "
	    "TCP_DENIED/407 1661 GET http://hi5.com/ - NONE/- text/html"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "denied");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_string_equal(f(RF_HTTP_RESPONSE_STATUS_CODE), "407");

	assert_int_equal(parse("1386543500.000      5 175.44.0.184 NONE/405 "
	    "3364 CONNECT error:method-not-allowed - HIER_NONE/- text/html"),
	    1);
	assert_string_equal(f(RF_EVENT_ACTION), "error");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_string_equal(f(RF_URL_ORIGINAL), "error:method-not-allowed");
	assert_string_equal(f(RF_URL_DOMAIN), UNSET);
	assert_string_equal(f(RF_DESTINATION_PORT), UNSET);

	assert_int_equal(parse("1386543500.000      5 10.0.0.9 "
	    "TCP_MISS_ABORTED/000 0 GET http://x.example/ - "
	    "HIER_DIRECT/192.0.2.8 -"), 1);
	assert_string_equal(f(RF_HTTP_RESPONSE_STATUS_CODE), UNSET);
	assert_string_equal(f(RF_EVENT_OUTCOME), "unknown");
	assert_string_equal(f(RF_EVENT_ACTION), "allowed");

	assert_int_equal(parse("1386543500.000      5 10.0.0.9 "
	    "TCP_MISS/503 4000 GET http://x.example/ - HIER_DIRECT/192.0.2.8 "
	    "text/html"), 1);
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_string_equal(f(RF_EVENT_ACTION), "allowed");
}

static void
test_native_addresses(void **state)
{
	(void)state;
	/* IPv6 client, IPv6 literal in the URL, no peer. */
	assert_int_equal(parse("1700000000.5 12 2001:db8::7 TCP_MISS/200 "
	    "100 GET http://[2001:db8::1]:8080/x?y=1 alice HIER_NONE/- -"), 1);
	assert_string_equal(ts(), "2023-11-14T22:13:20.500Z");
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::7");
	assert_int_equal(rec.src.family, 6);
	assert_string_equal(f(RF_URL_DOMAIN), "2001:db8::1");
	assert_string_equal(f(RF_URL_PATH), "/x");
	assert_string_equal(f(RF_DESTINATION_PORT), "8080");
	assert_string_equal(f(RF_DESTINATION_IP), "2001:db8::1");
	assert_int_equal(rec.dst.family, 6);
	assert_string_equal(f(RF_DESTINATION_DOMAIN), UNSET);

	/* A parent cache is not the destination. */
	assert_int_equal(parse("1700000000.000 12 10.1.1.1 TCP_MISS/200 100 "
	    "GET http://c2.example/beacon - FIRSTUP_PARENT/10.0.0.3 -"), 1);
	assert_string_equal(f(RF_SQUID_HIERARCHY), "FIRSTUP_PARENT");
	assert_string_equal(f(RF_DESTINATION_IP), UNSET);
	assert_string_equal(f(RF_DESTINATION_DOMAIN), "c2.example");

	/* A client logged by name (log_fqdn on), CONNECT to [v6]:443. */
	assert_int_equal(parse("1700000000.000 12 pc1.corp.example "
	    "TCP_TUNNEL/200 100 CONNECT [2001:db8::2]:443 - "
	    "HIER_DIRECT/2001:db8::2 -"), 1);
	assert_string_equal(f(RF_SOURCE_IP), UNSET);
	assert_string_equal(f(RF_SOURCE_DOMAIN), "pc1.corp.example");
	assert_string_equal(f(RF_URL_DOMAIN), "2001:db8::2");
	assert_string_equal(f(RF_DESTINATION_PORT), "443");
	assert_string_equal(f(RF_DESTINATION_IP), "2001:db8::2");
}

static void
test_common_combined(void **state)
{
	(void)state;
	assert_int_equal(parse("10.0.0.5 - alice [21/Nov/2026:10:00:00 +0900] "
	    "\"GET http://x.example/p?q HTTP/1.1\" 200 1234 "
	    "TCP_MISS:HIER_DIRECT"), 1);
	assert_string_equal(ts(), "2026-11-21T10:00:00+09:00");
	assert_int_equal(rec.tz_off, 9 * 3600);
	assert_string_equal(f(RF_SOURCE_IP), "10.0.0.5");
	assert_string_equal(f(RF_USER_NAME), "alice");
	assert_string_equal(f(RF_HTTP_REQUEST_METHOD), "GET");
	assert_string_equal(f(RF_URL_ORIGINAL), "http://x.example/p?q");
	assert_string_equal(f(RF_URL_PATH), "/p");
	assert_string_equal(f(RF_HTTP_RESPONSE_STATUS_CODE), "200");
	assert_string_equal(f(RF_DESTINATION_BYTES), "1234");
	assert_string_equal(f(RF_SQUID_RESULT_CODE), "TCP_MISS");
	assert_string_equal(f(RF_SQUID_HIERARCHY), "HIER_DIRECT");
	assert_string_equal(f(RF_USER_AGENT_ORIGINAL), UNSET);
	assert_string_equal(f(RF_EVENT_OUTCOME), "success");

	assert_int_equal(parse("10.0.0.5 - - [21/Nov/2026:01:00:00 -0500] "
	    "\"CONNECT www.example.com:443 HTTP/1.1\" 403 3900 "
	    "\"http://ref.example/\" \"Mozilla/5.0 (X11; \\\"q\\\")\" "
	    "TCP_DENIED:HIER_NONE"), 1);
	assert_string_equal(ts(), "2026-11-21T01:00:00-05:00");
	assert_int_equal(rec.ts_us, 1795240800LL * 1000000);
	assert_string_equal(f(RF_USER_NAME), UNSET);
	assert_string_equal(f(RF_URL_DOMAIN), "www.example.com");
	assert_string_equal(f(RF_DESTINATION_PORT), "443");
	assert_string_equal(f(RF_HTTP_REQUEST_REFERRER), "http://ref.example/");
	assert_string_equal(f(RF_USER_AGENT_ORIGINAL),
	    "Mozilla/5.0 (X11; \\\"q\\\")");
	assert_string_equal(f(RF_EVENT_ACTION), "denied");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");

	/* Combined without the Squid status tail; "-" referrer. */
	assert_int_equal(parse("192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] "
	    "\"POST http://h.example/u HTTP/1.0\" 500 - \"-\" \"curl/8\""), 1);
	assert_string_equal(f(RF_DESTINATION_BYTES), UNSET);
	assert_string_equal(f(RF_HTTP_REQUEST_REFERRER), UNSET);
	assert_string_equal(f(RF_USER_AGENT_ORIGINAL), "curl/8");
	assert_string_equal(f(RF_SQUID_RESULT_CODE), UNSET);
	assert_string_equal(f(RF_EVENT_ACTION), UNSET);
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
}

static void
test_syslog(void **state)
{
	(void)state;
	assert_int_equal(parse("<166>Aug 21 22:08:13 myfirewall.my-domain.tld "
	    "(squid-1)[6802]: [1598040493.253 325](tel:1598040493.253 325) "
	    "175.16.199.1 TCP_MISS/304 2912 GET "
	    "https://github.com/3ilson/pfelk/file-list/master - "
	    "HIER_DIRECT/81.2.69.145 -"), 1);
	assert_string_equal(ts(), "2020-08-21T20:08:13.253Z");
	assert_string_equal(f(RF_HOST_HOSTNAME), "myfirewall.my-domain.tld");
	assert_string_equal(f(RF_SOURCE_IP), "175.16.199.1");
	assert_string_equal(f(RF_DESTINATION_IP), "81.2.69.145");
	assert_string_equal(f(RF_URL_SCHEME), "https");
	assert_string_equal(f(RF_URL_PATH), "/3ilson/pfelk/file-list/master");
	assert_string_equal(f(RF_EVENT_DURATION), "325000000");

	assert_int_equal(parse("Nov 21 10:00:00 proxy squid[123]: "
	    "1795255200.000    10 10.0.0.2 TCP_MISS/200 5 GET "
	    "http://a.example/ bob HIER_DIRECT/192.0.2.5 text/plain"), 1);
	assert_string_equal(ts(), "2026-11-21T10:00:00.000Z");
	assert_string_equal(f(RF_HOST_HOSTNAME), "proxy");
	assert_string_equal(f(RF_USER_NAME), "bob");

	/* Squid's cache.log through syslog is not an access entry. */
	assert_int_equal(parse("Nov 21 10:00:00 proxy squid[123]: "
	    "Starting Squid Cache version 6.6"), 0);
	/* A broken access entry behind a header is malformed. */
	assert_int_equal(parse("Nov 21 10:00:00 proxy squid[123]: "
	    "1795260000.000 x 10.0.0.2 TCP_MISS/200"), -1);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"garbage",
		"1157689312.049",
		"1157689312.049   5006",
		"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 "
		    "CONNECT",
		"1157689312.049 abc 10.1.1.1 TCP_MISS/200 1 GET http://a/ - "
		    "DIRECT/1.2.3.4 -",
		"1157689312.0x9 1 10.1.1.1 TCP_MISS/200 1 GET http://a/ - "
		    "DIRECT/1.2.3.4 -",
		"1157689312.049 1 10.1.1.1 TCP_MISS 1 GET http://a/ - "
		    "DIRECT/1.2.3.4 -",
		"1157689312.049 1 10.1.1.1 TCP_MISS/2000 1 GET http://a/ - "
		    "DIRECT/1.2.3.4 -",
		"1157689312.049 1 10.1.1.1 /200 1 GET http://a/ - "
		    "DIRECT/1.2.3.4 -",
		"1157689312.049 1 10.1.1.1 TCP_MISS/200 1x GET http://a/ - "
		    "DIRECT/1.2.3.4 -",
		"99999999999999999999.049 1 10.1.1.1 TCP_MISS/200 1 GET "
		    "http://a/ - DIRECT/1.2.3.4 -",
		"10.0.0.5 - - [21/Nov/2026:10:00:00 +0900",
		"10.0.0.5 - - [21/Foo/2026:10:00:00 +0900] \"GET / HTTP/1.1\" "
		    "200 1",
		"10.0.0.5 - - [21/Nov/2026:10:00:00 +0900] \"GET / HTTP/1.1 "
		    "200",
		"10.0.0.5 - - [21/Nov/2026:10:00:00 +0900] \"GET / HTTP/1.1\" "
		    "abc 1",
		"#Fields: nothing",
	};
	const struct parser_stats	*ps;
	uint64_t			 before;
	size_t				 i;

	(void)state;
	ps = sq->stats(st);
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse(" \t "), 0);
	before = ps->malformed;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i]) != -1)
			fail_msg("not malformed: \"%s\"", bad[i]);
	}
	assert_int_equal(ps->malformed - before, sizeof bad / sizeof bad[0]);

	/* Very long elapsed times are kept out of event.duration. */
	assert_int_equal(parse("1157689312.049 12345678901234567890 10.1.1.1 "
	    "TCP_MISS/200 1 GET http://a/ - DIRECT/1.2.3.4 -"), 1);
	assert_string_equal(f(RF_EVENT_DURATION), UNSET);
}

/* Every prefix of good lines parses without reading past its end. */
static void
test_prefixes(void **state)
{
	static const char *const good[] = {
		"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 "
		    "CONNECT [2001:db8::1]:443 badeyek DIRECT/175.16.199.115 -",
		"1700000000.5 12 2001:db8::7 TCP_MISS/200 100 GET "
		    "http://u@[2001:db8::1]:8080/x?y=1 alice HIER_NONE/- -",
		"10.0.0.5 - - [21/Nov/2026:01:00:00 -0500] \"CONNECT "
		    "www.example.com:443 HTTP/1.1\" 403 3900 \"http://r/\" "
		    "\"UA \\\"x\\\"\" TCP_DENIED:HIER_NONE",
		"<166>Aug 21 22:08:13 fw (squid-1)[6802]: [1598040493.253 325]"
		    "(tel:1598040493.253 325) 175.16.199.1 TCP_MISS/304 2912 "
		    "GET https://github.com/x - HIER_DIRECT/81.2.69.145 -",
	};
	char	buf[512];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		for (n = 0; n <= strlen(good[i]); n++) {
			memcpy(buf, good[i], n);
			buf[n] = '\0';
			(void)parse(buf);
		}
		assert_int_equal(parse(good[i]), 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_native_connect, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_native_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_native_outcomes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_native_addresses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_common_combined, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_syslog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prefixes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
