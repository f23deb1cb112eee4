/*
 * test_logstate.c: the parsers whose reading of a line depends on earlier
 * lines.  Header-driven formats (Zeek TSV, W3C, Exchange CSV) change
 * their field maps mid-stream and fall back to fixed layouts without a
 * header; mail parsers (Exim, Sendmail, Cisco ESA) join a message's
 * lines by id through bounded tables that evict and count.
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

static const struct parser	*pp;
static void			*st;
static struct record		 rec;
static char			*copy;

/* Use parser name with a fresh state and a table bound of max. */
static void
use(const char *name, size_t max)
{
	struct parser_opts	opts = { NULL, 1795262400LL * 1000000, max };

	if (st != NULL)
		pp->state_free(st);
	pp = parser_lookup(name);
	assert_non_null(pp);
	st = pp->state_new(&opts);
	assert_non_null(st);
}

/* Parse line with the current state, from an exact-size heap copy. */
static int
parse(const char *line)
{
	size_t	len = strlen(line);

	free(copy);
	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, line, len);
	record_reset(&rec);
	return pp->parse(st, copy, len, &rec);
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

static int
teardown(void **state)
{
	(void)state;
	if (st != NULL)
		pp->state_free(st);
	st = NULL;
	free(copy);
	copy = NULL;
	return 0;
}

static void
test_zeek_headers(void **state)
{
	(void)state;
	use("zeek", 0);
	/* No header yet: the fixed leading columns. */
	assert_int_equal(parse("1795262400.5\tC1\t10.4.0.5\t51234\t"
	    "203.0.113.80\t443\ttcp\tssl"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "10.4.0.5");
	assert_string_equal(f(RF_DESTINATION_PORT), "443");
	assert_string_equal(f(RF_EVENT_DATASET), UNSET);
	assert_int_equal(parse("not\ta\tzeek\tline"), -1);
	assert_int_equal(parse("#separator \\x09"), 0);
	assert_int_equal(parse("#path\tdns"), 0);
	assert_int_equal(parse("#fields\tts\tid.orig_h\tid.orig_p\t"
	    "id.resp_h\tid.resp_p\tquery\trcode_name"), 0);
	assert_int_equal(parse("1795262401\t10.4.0.9\t33000\t10.0.0.53\t53\t"
	    "x.example.net\tNXDOMAIN"), 1);
	assert_string_equal(f(RF_EVENT_DATASET), "zeek.dns");
	assert_string_equal(f(RF_DNS_QUESTION_NAME), "x.example.net");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	/* Fewer values than columns. */
	assert_int_equal(parse("1795262401\t10.4.0.9"), -1);
	/* A new layout, path and separator mid-stream. */
	assert_int_equal(parse("#separator ,"), 0);
	assert_int_equal(parse("#path,conn"), 0);
	assert_int_equal(parse("#fields,id.resp_h,ts,id.orig_h,orig_bytes,"
	    "conn_state"), 0);
	assert_int_equal(parse("198.51.100.9,1795262402,10.4.0.6,-,REJ"), 1);
	assert_string_equal(f(RF_EVENT_DATASET), "zeek.conn");
	assert_string_equal(f(RF_SOURCE_IP), "10.4.0.6");
	assert_string_equal(f(RF_DESTINATION_IP), "198.51.100.9");
	assert_string_equal(f(RF_SOURCE_BYTES), UNSET);
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	/* JSON lines in the same stream carry their own log name. */
	assert_int_equal(parse("{\"ssl\":{\"ts\":1795262403,\"id.orig_h\":"
	    "\"10.4.0.5\",\"server_name\":\"beacon.example.net\"}}"), 1);
	assert_string_equal(f(RF_EVENT_DATASET), "zeek.ssl");
	assert_string_equal(f(RF_TLS_SERVER_NAME), "beacon.example.net");
}

static void
test_w3c_fields(void **state)
{
	(void)state;
	use("w3c", 0);
	/* ProxySG's default layout before any directive. */
	assert_int_equal(parse("2026-11-21 02:00:00 12 10.1.30.5 bob - - "
	    "OBSERVED \"News\" - 200 TCP_MISS GET text/html http "
	    "news.example.com 80 /today - - \"Mozilla/5.0\" 10.0.0.3 5120 "
	    "420 -"), 1);
	assert_string_equal(f(RF_USER_NAME), "bob");
	assert_string_equal(f(RF_URL_ORIGINAL),
	    "http://news.example.com/today");
	assert_string_equal(f(RF_EVENT_DATASET), UNSET);
	assert_int_equal(parse("#Software: SGOS 7.3.6.1"), 0);
	assert_int_equal(parse("#Fields: c-ip date time cs-method cs-uri "
	    "sc-status"), 0);
	assert_int_equal(parse("10.1.30.6 2026-11-21 02:00:01 GET "
	    "http://www.example.org:8080/a?b 404"), 1);
	assert_string_equal(f(RF_EVENT_DATASET), "proxy.proxysg");
	assert_string_equal(f(RF_SOURCE_IP), "10.1.30.6");
	assert_string_equal(f(RF_URL_DOMAIN), "www.example.org");
	assert_string_equal(f(RF_DESTINATION_PORT), "8080");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	/* Tab-separated directives make tab-separated entries. */
	assert_int_equal(parse("#Fields: c-ip\tcs-username\tdate\ttime\t"
	    "cs-uri\taction"), 0);
	assert_int_equal(parse("10.1.40.9\tCORP\\dave\t2026-11-21\t03:10:00\t"
	    "bad.example.net:443\tDenied"), 1);
	assert_string_equal(f(RF_USER_NAME), "CORP\\dave");
	assert_string_equal(f(RF_EVENT_ACTION), "denied");
	assert_int_equal(parse("10.1.40.9\tx\tnot-a-date\t03:10:00\t-\t-"), -1);
}

static void
test_exchange_fields(void **state)
{
	(void)state;
	use("exchange", 0);
	/* Without a header: by the number of fields (SMTP, 9). */
	assert_int_equal(parse("2026-11-21T02:00:00.000Z,EXCH01\\Frontend,08DD,"
	    "5,10.0.0.30:587,198.51.100.70:53722,>,535 5.7.3 Authentication "
	    "unsuccessful,"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "auth-failure");
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.70");
	assert_string_equal(f(RF_SOURCE_PORT), "53722");
	assert_int_equal(parse("\xef\xbb\xbf#Fields: date-time,event-id,"
	    "message-subject,sender-address,client-ip"), 0);
	assert_int_equal(parse("2026-11-21T01:00:00Z,RECEIVE,\"a, \"\"b\"\"\","
	    "alice@example.com,192.0.2.20"), 1);
	assert_string_equal(f(RF_EMAIL_SUBJECT), "a, \"b\"");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "alice@example.com");
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.20");
	assert_int_equal(parse("2026-11-21T01:00:00Z,\"open"), -1);
}

static void
test_exim_join(void **state)
{
	const struct parser_stats	*ps;

	(void)state;
	use("exim", 2);
	assert_int_equal(parse("2026-11-21 10:00:00 1vX2aB-000Abc-7Q <= "
	    "alice@example.com H=c.example.net [192.0.2.20]:50123 P=esmtpsa "
	    "A=login:alice S=100 id=m1@example.com T=\"Hi \\\"you\\\"\""), 1);
	assert_string_equal(f(RF_EMAIL_SUBJECT), "Hi \\\"you\\\"");
	assert_int_equal(parse("2026-11-21 10:00:01 1vX2aB-000Abc-7Q => "
	    "bob@example.org R=r T=t H=mx.example.org [198.51.100.25]:25 "
	    "C=\"250 ok\""), 1);
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.20");
	assert_string_equal(f(RF_DESTINATION_IP), "198.51.100.25");
	assert_string_equal(f(RF_USER_NAME), "alice");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "alice@example.com");
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID), "m1@example.com");
	/* Two more arrivals push the first out of a table of two. */
	assert_int_equal(parse("2026-11-21 10:00:02 1vX2aC-000Abc-7Q <= "
	    "b@example.com H=[192.0.2.21] P=esmtp S=1"), 1);
	assert_int_equal(parse("2026-11-21 10:00:03 1vX2aD-000Abc-7Q <= "
	    "c@example.com H=[192.0.2.22] P=esmtp S=1"), 1);
	ps = pp->stats(st);
	assert_int_equal(ps->dropped, 1);
	assert_int_equal(parse("2026-11-21 10:00:04 1vX2aB-000Abc-7Q "
	    "Completed"), 1);
	assert_string_equal(f(RF_SOURCE_IP), UNSET);
	/* Completed frees its entry: the next line has nothing to join. */
	assert_int_equal(parse("2026-11-21 10:00:05 1vX2aC-000Abc-7Q "
	    "Completed"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.21");
	assert_int_equal(parse("2026-11-21 10:00:06 1vX2aC-000Abc-7Q => "
	    "x@y R=r"), 1);
	assert_string_equal(f(RF_SOURCE_IP), UNSET);
}

static void
test_sendmail_join(void **state)
{
	(void)state;
	use("sendmail", 4);
	assert_int_equal(parse("Nov 21 10:00:00 mx sm-mta[1]: 5ALA00aB004321: "
	    "AUTH=server, relay=c.example.net [192.0.2.20], authid=alice, "
	    "mech=PLAIN, bits=0"), 1);
	assert_int_equal(parse("Nov 21 10:00:00 mx sm-mta[1]: 5ALA00aB004321: "
	    "from=<alice@example.com>, size=1, nrcpts=1, "
	    "msgid=<m1@example.com>, relay=[192.0.2.20]"), 1);
	assert_string_equal(f(RF_SOURCE_DOMAIN), UNSET);
	assert_int_equal(parse("Nov 21 10:00:01 mx sm-mta[2]: 5ALA00aB004321: "
	    "to=<bob@example.org>, delay=00:00:01, mailer=esmtp, "
	    "relay=mx.example.org. [198.51.100.25], dsn=5.1.1, "
	    "stat=User unknown"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "bounced");
	assert_string_equal(f(RF_USER_NAME), "alice");
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.20");
	assert_string_equal(f(RF_DESTINATION_DOMAIN), "mx.example.org");
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID), "m1@example.com");
	/* The client's own text cannot name the relay. */
	assert_int_equal(parse("Nov 21 10:00:02 mx sm-mta[3]: 5ALA01aB004322: "
	    "AUTH failure (LOGIN): x, user=relay=[192.0.2.99], "
	    "relay=[198.51.100.61]"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.61");
	assert_int_equal(parse("Nov 21 10:00:03 mx other[1]: x"), 0);
	assert_int_equal(parse("garbage"), -1);
}

static void
test_esa_join(void **state)
{
	(void)state;
	use("cisco_esa", 4);
	assert_int_equal(parse("<22>Nov 21 10:00:00 esa mail_logs: Info: New "
	    "SMTP ICID 5 interface D (10.0.0.25) address 192.0.2.7 reverse "
	    "dns host c.example.net verified yes"), 1);
	assert_int_equal(parse("<22>Nov 21 10:00:01 esa mail_logs: Info: Start "
	    "MID 6 ICID 5"), 1);
	assert_int_equal(parse("<22>Nov 21 10:00:01 esa mail_logs: Info: MID 6 "
	    "ICID 5 From: <alice@example.com>"), 1);
	assert_int_equal(parse("<22>Nov 21 10:00:01 esa mail_logs: Info: "
	    "ICID 5 close"), 1);
	/* The message keeps the client after its connection closed. */
	assert_int_equal(parse("<22>Nov 21 10:00:02 esa mail_logs: Info: New "
	    "SMTP DCID 8 interface 10.0.0.25 address 198.51.100.25 port 25"),
	    1);
	assert_int_equal(parse("<22>Nov 21 10:00:02 esa mail_logs: Info: "
	    "Message done DCID 8 MID 6 to RID [0]"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.7");
	assert_string_equal(f(RF_DESTINATION_IP), "198.51.100.25");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "alice@example.com");
	assert_int_equal(parse("<22>Nov 21 10:00:03 esa mail_logs: Info: "
	    "Message finished MID 6 done"), 1);
	assert_int_equal(parse("<22>Nov 21 10:00:04 esa mail_logs: Info: MID 6 "
	    "queued for delivery"), 1);
	assert_string_equal(f(RF_SOURCE_IP), UNSET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_zeek_headers, teardown),
		cmocka_unit_test_teardown(test_w3c_fields, teardown),
		cmocka_unit_test_teardown(test_exchange_fields, teardown),
		cmocka_unit_test_teardown(test_exim_join, teardown),
		cmocka_unit_test_teardown(test_sendmail_join, teardown),
		cmocka_unit_test_teardown(test_esa_join, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
