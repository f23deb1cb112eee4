/*
 * test_postfix.c: the Postfix parser: events of each daemon, the join of a
 * message's lines by queue id, the bound of the queue-id table and its
 * eviction, and hostile or malformed input.
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
#define HDR	"Nov 21 10:00:00 mx postfix/"

static const struct parser	*pf;
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
	return pf->parse(st, copy, len, &rec);
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

/* Build a state with a table of max entries (0: the default). */
static void
state_with(size_t max)
{
	struct parser_opts	opts = { NULL, 1795262400LL * 1000000, max };

	if (st != NULL)
		pf->state_free(st);
	st = pf->state_new(&opts);
	assert_non_null(st);
}

static int
setup(void **state)
{
	(void)state;
	pf = parser_lookup("postfix");
	assert_non_null(pf);
	state_with(0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pf->state_free(st);
	st = NULL;
	free(copy);
	copy = NULL;
	return 0;
}

/* Feed the lines of one submitted message up to qmgr. */
static void
submit(const char *qid, const char *ip, const char *user, const char *from)
{
	char	line[1024];

	snprintf(line, sizeof line, HDR "submission/smtpd[10]: %s: "
	    "client=unknown[%s]:50000, sasl_method=PLAIN, sasl_username=%s",
	    qid, ip, user);
	assert_int_equal(parse(line), 1);
	snprintf(line, sizeof line, HDR "cleanup[11]: %s: "
	    "message-id=<%s.1@example.org>", qid, qid);
	assert_int_equal(parse(line), 1);
	snprintf(line, sizeof line, HDR "qmgr[12]: %s: from=<%s>, "
	    "size=1000, nrcpt=1 (queue active)", qid, from);
	assert_int_equal(parse(line), 1);
}

/* Feed a delivery line of qid. */
static void
deliver(const char *qid)
{
	char	line[1024];

	snprintf(line, sizeof line, HDR "smtp[13]: %s: to=<rcpt@example.net>, "
	    "relay=mx.example.net[192.0.2.25]:25, delay=1.2, "
	    "delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
	    "queued as 4XYZ)", qid);
	assert_int_equal(parse(line), 1);
}

static void
test_join(void **state)
{
	(void)state;
	assert_int_equal(parse(HDR "smtpd[10]: connect from "
	    "host.example.org[198.51.100.7]"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "connect");
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.7");
	assert_string_equal(f(RF_SOURCE_DOMAIN), "host.example.org");
	assert_string_equal(f(RF_HOST_HOSTNAME), "mx");
	assert_string_equal(f(RF_PROCESS_NAME), "postfix/smtpd");

	assert_int_equal(parse(HDR "smtpd[10]: 4BCDF1A3C: "
	    "client=host.example.org[198.51.100.7], sasl_method=LOGIN, "
	    "sasl_username=alice@example.org"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "client");
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), "4BCDF1A3C");
	assert_string_equal(f(RF_USER_NAME), "alice@example.org");
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.7");

	assert_int_equal(parse(HDR "cleanup[11]: 4BCDF1A3C: "
	    "message-id=<20261121.abc@example.org>"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "message-id");
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID), "20261121.abc@example.org");
	assert_string_equal(f(RF_USER_NAME), "alice@example.org");
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.7");

	assert_int_equal(parse(HDR "qmgr[12]: 4BCDF1A3C: "
	    "from=<alice@example.org>, size=2048, nrcpt=2 (queue active)"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "queued");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "alice@example.org");
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID), "20261121.abc@example.org");

	assert_int_equal(parse(HDR "smtp[13]: 4BCDF1A3C: to=<bob@example.net>, "
	    "relay=mx.example.net[192.0.2.25]:25, delay=1.2, "
	    "delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "delivery");
	assert_string_equal(f(RF_EVENT_OUTCOME), "success");
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), "4BCDF1A3C");
	assert_string_equal(f(RF_EMAIL_TO_ADDRESS), "bob@example.net");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "alice@example.org");
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID), "20261121.abc@example.org");
	assert_string_equal(f(RF_USER_NAME), "alice@example.org");
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.7");
	assert_int_equal(rec.src.family, 4);
	assert_string_equal(f(RF_SOURCE_DOMAIN), "host.example.org");
	assert_string_equal(f(RF_POSTFIX_RELAY),
	    "mx.example.net[192.0.2.25]:25");
	assert_string_equal(f(RF_POSTFIX_STATUS), "sent");
	assert_string_equal(f(RF_POSTFIX_DSN), "2.0.0");
	assert_string_equal(f(RF_DESTINATION_IP), "192.0.2.25");
	assert_int_equal(rec.dst.family, 4);
	assert_string_equal(f(RF_DESTINATION_PORT), "25");
	assert_string_equal(f(RF_DESTINATION_DOMAIN), "mx.example.net");
	assert_string_equal(f(RF_EVENT_REASON), "250 2.0.0 Ok");

	assert_int_equal(parse(HDR "smtp[13]: 4BCDF1A3C: "
	    "to=<carol@example.com>, orig_to=<c@example.com>, relay=none, "
	    "delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to "
	    "mx.example.com[203.0.113.9]:25: Connection timed out)"), 1);
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_string_equal(f(RF_POSTFIX_STATUS), "deferred");
	assert_string_equal(f(RF_POSTFIX_RELAY), "none");
	assert_string_equal(f(RF_DESTINATION_IP), UNSET);
	assert_string_equal(f(RF_EVENT_REASON), "connect to "
	    "mx.example.com[203.0.113.9]:25: Connection timed out");
	assert_string_equal(f(RF_USER_NAME), "alice@example.org");

	assert_int_equal(parse(HDR "qmgr[12]: 4BCDF1A3C: removed"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "removed");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "alice@example.org");
	assert_string_equal(f(RF_SOURCE_IP), "198.51.100.7");

	/* After "removed" the queue id is forgotten. */
	deliver("4BCDF1A3C");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), UNSET);
	assert_string_equal(f(RF_SOURCE_IP), UNSET);
	assert_string_equal(f(RF_USER_NAME), UNSET);
	assert_int_equal(pf->stats(st)->dropped, 0);
}

static void
test_long_qid_local(void **state)
{
	(void)state;
	submit("4Y1ZpX2c5Nz9vKl", "2001:db8::5", "dave", "dave@example.org");
	assert_int_equal(parse(HDR "local[14]: 4Y1ZpX2c5Nz9vKl: "
	    "to=<dave@mx.example.org>, orig_to=<dave>, relay=local, "
	    "delay=0.07, delays=0.04/0/0/0.03, dsn=2.0.0, status=sent "
	    "(delivered to mailbox)"), 1);
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), "4Y1ZpX2c5Nz9vKl");
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::5");
	assert_int_equal(rec.src.family, 6);
	assert_string_equal(f(RF_USER_NAME), "dave");
	assert_string_equal(f(RF_POSTFIX_RELAY), "local");
	assert_string_equal(f(RF_DESTINATION_IP), UNSET);
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID),
	    "4Y1ZpX2c5Nz9vKl.1@example.org");

	/* pickup: a local submission. */
	assert_int_equal(parse(HDR "pickup[15]: 44JCRG5tYPzCqt2: uid=0 "
	    "from=<root>"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "pickup");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "root");
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), "44JCRG5tYPzCqt2");

	/* A message-id without brackets is kept whole. */
	assert_int_equal(parse(HDR "cleanup[11]: 44JCRG5tYPzCqt2: "
	    "message-id=abc def"), 1);
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID), "abc def");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "root");
}

static void
test_eviction(void **state)
{
	(void)state;
	state_with(2);
	submit("AAA111", "192.0.2.1", "u1", "a@x");
	submit("BBB222", "192.0.2.2", "u2", "b@x");
	assert_int_equal(pf->stats(st)->dropped, 0);
	/* Touch AAA111, so BBB222 is the least recently used. */
	deliver("AAA111");
	assert_string_equal(f(RF_USER_NAME), "u1");
	submit("CCC333", "192.0.2.3", "u3", "c@x");
	assert_int_equal(pf->stats(st)->dropped, 1);

	deliver("BBB222");
	assert_string_equal(f(RF_USER_NAME), UNSET);
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), "BBB222");
	deliver("AAA111");
	assert_string_equal(f(RF_USER_NAME), "u1");
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.1");
	deliver("CCC333");
	assert_string_equal(f(RF_USER_NAME), "u3");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "c@x");

	/* A removal frees a slot: no drop for the next one. */
	assert_int_equal(parse(HDR "qmgr[12]: AAA111: removed"), 1);
	submit("DDD444", "192.0.2.4", "u4", "d@x");
	assert_int_equal(pf->stats(st)->dropped, 1);
	deliver("CCC333");
	assert_string_equal(f(RF_USER_NAME), "u3");
	deliver("DDD444");
	assert_string_equal(f(RF_USER_NAME), "u4");

	/* Churn through many ids: the table never holds more than 2. */
	{
		char	qid[16];
		int	i;

		for (i = 0; i < 1000; i++) {
			snprintf(qid, sizeof qid, "%X", 0x100000 + i);
			submit(qid, "192.0.2.9", "churn", "z@x");
			if (i % 3 == 1) {
				char	line[128];

				snprintf(line, sizeof line, HDR "qmgr[1]: %s: "
				    "removed", qid);
				assert_int_equal(parse(line), 1);
			}
		}
		deliver(qid);
		assert_string_equal(f(RF_USER_NAME), "churn");
		assert_true(pf->stats(st)->dropped > 600);
	}
}

static void
test_cut(void **state)
{
	char	line[1024], from[401];

	(void)state;
	memset(from, 'a', 300);
	memcpy(from + 300, "@example.org", 13);
	snprintf(line, sizeof line, HDR "qmgr[12]: ABCDEF12: from=<%s>, "
	    "size=1, nrcpt=1 (queue active)", from);
	assert_int_equal(parse(line), 1);
	/* The line itself carries the whole address. */
	assert_int_equal(strlen(f(RF_EMAIL_FROM_ADDRESS)), 312);
	assert_int_equal(rec.flags & REC_TRUNCATED, REC_TRUNCATED);
	deliver("ABCDEF12");
	assert_int_equal(strlen(f(RF_EMAIL_FROM_ADDRESS)), 256);
	assert_int_equal(rec.flags & REC_TRUNCATED, REC_TRUNCATED);
}

static void
test_reject(void **state)
{
	(void)state;
	assert_int_equal(parse(HDR "smtpd[20]: NOQUEUE: reject: RCPT from "
	    "1-2-3-4-example.com[1.2.3.4]: 554 5.7.1 <smtp@example.com>: "
	    "Relay access denied; from=<john@example.com> "
	    "to=<smtp@example.org> proto=SMTP helo=<198.51.100.17>"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "reject");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_string_equal(f(RF_SOURCE_IP), "1.2.3.4");
	assert_string_equal(f(RF_SOURCE_DOMAIN), "1-2-3-4-example.com");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "john@example.com");
	assert_string_equal(f(RF_EMAIL_TO_ADDRESS), "smtp@example.org");
	assert_string_equal(f(RF_POSTFIX_DSN), "5.7.1");
	assert_string_equal(f(RF_EVENT_REASON),
	    "<smtp@example.com>: Relay access denied");
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), UNSET);

	/* Reason text with semicolons; bounce sender "<>". */
	assert_int_equal(parse(HDR "smtpd[20]: NOQUEUE: reject: RCPT from "
	    "badguy.example.com[93.184.216.34]: 454 4.7.1 Service "
	    "unavailable; Client host [93.184.216.34] blocked using "
	    "rbl.example.com; http://www.example.com/q?ip=93.184.216.34; "
	    "from=<> to=<goodguy@example.com> proto=ESMTP "
	    "helo=<badguy.example.com>"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "93.184.216.34");
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), UNSET);
	assert_string_equal(f(RF_EMAIL_TO_ADDRESS), "goodguy@example.com");
	assert_string_equal(f(RF_EVENT_REASON), "Service unavailable; Client "
	    "host [93.184.216.34] blocked using rbl.example.com; "
	    "http://www.example.com/q?ip=93.184.216.34");

	/* postscreen: "[ip]:port" and comma-separated keys. */
	assert_int_equal(parse("May  5 15:51:11 xxx postfix/postscreen[1148]: "
	    "NOQUEUE: reject: RCPT from [216.245.194.173]:60591: 550 5.7.1 "
	    "Service unavailable; client [216.245.194.173] blocked using "
	    "rbl.example.com; from=<spammer@example.com>, "
	    "to=<goodguy@example.com>, proto=ESMTP, helo=<b.example.com>"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "216.245.194.173");
	assert_string_equal(f(RF_SOURCE_PORT), "60591");
	assert_string_equal(f(RF_SOURCE_DOMAIN), UNSET);
	assert_string_equal(f(RF_EMAIL_FROM_ADDRESS), "spammer@example.com");
	assert_string_equal(f(RF_EMAIL_TO_ADDRESS), "goodguy@example.com");

	/* A reject after a queue id joins the message's client. */
	submit("00ADB3C0899", "192.0.2.1", "sales", "x@example.com");
	assert_int_equal(parse(HDR "cleanup[11]: 00ADB3C0899: milter-reject: "
	    "END-OF-MESSAGE from example.com[192.0.2.1]: 5.7.1 Spam; "
	    "from=<x@example.com> to=<sales@server.com> proto=ESMTP "
	    "helo=<mail.example.com>"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "reject");
	assert_string_equal(f(RF_EMAIL_LOCAL_ID), "00ADB3C0899");
	assert_string_equal(f(RF_POSTFIX_DSN), "5.7.1");
	assert_string_equal(f(RF_EVENT_REASON), "Spam");
	assert_string_equal(f(RF_USER_NAME), "sales");
	assert_string_equal(f(RF_EMAIL_MESSAGE_ID),
	    "00ADB3C0899.1@example.org");

	/* A header check: the reason follows the helo. */
	assert_int_equal(parse(HDR "cleanup[11]: 00ADB3C0899: reject: header "
	    "Subject: win from a friend from example.com[192.0.2.1]; "
	    "from=<x@example.com> to=<y@example.net> proto=ESMTP "
	    "helo=<mail.example.com>: 5.7.1 content rejected"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.1");
	assert_string_equal(f(RF_POSTFIX_DSN), "5.7.1");
	assert_string_equal(f(RF_EVENT_REASON), "content rejected");

	/* An EHLO reject has no sender or recipient. */
	assert_int_equal(parse(HDR "smtpd[1]: NOQUEUE: reject: EHLO from "
	    "s1.example.ru[78.107.251.238]: 504 5.5.2 <User>: Helo command "
	    "rejected: need fully-qualified hostname; proto=SMTP "
	    "helo=<User>"), 1);
	assert_string_equal(f(RF_EMAIL_TO_ADDRESS), UNSET);
	assert_string_equal(f(RF_EVENT_REASON), "<User>: Helo command "
	    "rejected: need fully-qualified hostname");
}

static void
test_sasl_ipv6(void **state)
{
	(void)state;
	assert_int_equal(parse(HDR "smtpd[26897]: warning: unknown[1.2.3.4]: "
	    "SASL LOGIN authentication failed: authentication failure"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "auth-failure");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_string_equal(f(RF_SOURCE_IP), "1.2.3.4");
	assert_string_equal(f(RF_SOURCE_DOMAIN), UNSET);
	assert_string_equal(f(RF_EVENT_REASON), "authentication failure");
	assert_string_equal(f(RF_USER_NAME), UNSET);

	assert_int_equal(parse(HDR "smtps/smtpd[1]: warning: "
	    "unknown[192.0.2.237]:55729: SASL PLAIN authentication failed: "
	    "(reason unavailable), sasl_username=admin@example.org"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.237");
	assert_string_equal(f(RF_SOURCE_PORT), "55729");
	assert_string_equal(f(RF_USER_NAME), "admin@example.org");
	assert_string_equal(f(RF_EVENT_REASON), "(reason unavailable)");

	assert_int_equal(parse(HDR "smtpd[1]: warning: "
	    "mail.example.com[IPv6:2001:db8::1]: SASL CRAM-MD5 authentication "
	    "failed: PDc3OTEw"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::1");
	assert_int_equal(rec.src.family, 6);
	assert_string_equal(f(RF_SOURCE_DOMAIN), "mail.example.com");

	assert_int_equal(parse(HDR "smtpd[1]: connect from "
	    "unknown[2001:db8::1]"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::1");

	assert_int_equal(parse(HDR "smtpd[1]: 5D1E2F3A4B: "
	    "client=unknown[IPv6:2001:db8::1]"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::1");
	deliver("5D1E2F3A4B");
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::1");
	assert_int_equal(rec.src.family, 6);

	/* A failed AUTH seen in the disconnect counters. */
	assert_int_equal(parse(HDR "smtpd[123]: disconnect from "
	    "unknown[192.0.2.2] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4"),
	    1);
	assert_string_equal(f(RF_EVENT_ACTION), "disconnect");
	assert_string_equal(f(RF_EVENT_OUTCOME), "failure");
	assert_int_equal(parse(HDR "smtpd[123]: disconnect from "
	    "unknown[192.0.2.2] ehlo=1 auth=1 quit=1 commands=3"), 1);
	assert_string_equal(f(RF_EVENT_OUTCOME), UNSET);
}

static void
test_other_events(void **state)
{
	(void)state;
	assert_int_equal(parse("Dec 23 19:39:13 x postfix/postscreen[21057]: "
	    "PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO "
	    "ylmf-pc\\r\\n"),
	    1);
	assert_string_equal(f(RF_EVENT_ACTION), "pregreet");
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.2");
	assert_string_equal(f(RF_SOURCE_PORT), "59415");

	assert_int_equal(parse("Dec 23 19:39:13 x postfix/postscreen[1]: "
	    "PASS NEW [2001:db8::9]:4711"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "pass");
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::9");

	assert_int_equal(parse(HDR "smtpd[1]: warning: Connection rate limit "
	    "exceeded: 31 from spamhost.domain.org[192.0.2.123] for service "
	    "smtpd"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "rate-limit");
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.123");

	assert_int_equal(parse(HDR "smtpd[1]: warning: hostname "
	    "bad.example.com does not resolve to address 2001:db8::44: Name "
	    "or service not known"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "dns-mismatch");
	assert_string_equal(f(RF_SOURCE_IP), "2001:db8::44");
	assert_string_equal(f(RF_SOURCE_DOMAIN), "bad.example.com");

	assert_int_equal(parse(HDR "smtp[1]: connect to "
	    "mx.example.com[203.0.113.9]:25: Connection refused"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "connect-error");
	assert_string_equal(f(RF_DESTINATION_IP), "203.0.113.9");
	assert_string_equal(f(RF_DESTINATION_PORT), "25");
	assert_string_equal(f(RF_EVENT_REASON), "Connection refused");

	submit("E1D2C3B4A5", "10.0.0.8", "mallory", "m@example.org");
	assert_int_equal(parse(HDR "smtp[1]: E1D2C3B4A5: host "
	    "mx.example.com[203.0.113.9] said: 550 5.7.1 spam detected (in "
	    "reply to end of DATA command)"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "remote-reply");
	assert_string_equal(f(RF_USER_NAME), "mallory");
	assert_string_equal(f(RF_DESTINATION_DOMAIN), "mx.example.com");
	assert_string_equal(f(RF_EVENT_REASON),
	    "550 5.7.1 spam detected (in reply to end of DATA command)");

	assert_int_equal(parse(HDR "qmgr[12]: 585BC3F: from=<>, "
	    "status=expired, returned to sender"), 1);
	assert_string_equal(f(RF_EVENT_ACTION), "expired");
	assert_string_equal(f(RF_POSTFIX_STATUS), "expired");

	/* Another instance's program name is Postfix too. */
	assert_int_equal(parse("Jan 31 13:55:24 x postfix-incoming/smtpd[3]: "
	    "connect from a.example[192.0.2.77]"), 1);
	assert_string_equal(f(RF_SOURCE_IP), "192.0.2.77");
}

static void
test_not_events(void **state)
{
	const struct parser_stats	*ps;

	(void)state;
	ps = pf->stats(st);
	assert_int_equal(parse("Nov 21 10:00:00 mx dovecot[5]: imap-login: "
	    "Login: user=<a>"), 0);
	assert_int_equal(parse(HDR "anvil[1]: statistics: max connection "
	    "rate 1/60s for (smtpd:61.238.241.86) at Oct 26 18:13:50"), 0);
	assert_int_equal(parse(HDR "qmgr[1]: ABCDEF: skipped, still being "
	    "delivered"), 0);
	assert_int_equal(parse(HDR "smtpd[1]: ABCDEF: client=nobracket"), 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(ps->ignored, 5);
	assert_int_equal(parse("not a syslog line at all"), -1);
	assert_int_equal(parse("4BCDF1A3C: to=<a@b>, status=sent"), -1);
	assert_int_equal(ps->malformed, 2);
	assert_int_equal(ps->events, 0);

	/* Odd but harmless texts: no crash, no join. */
	assert_int_equal(parse(HDR "smtp[1]: ABCDEF: to=<"), 1);
	assert_int_equal(parse(HDR "smtpd[1]: ABCDEF: client=[[[]"), 0);
	assert_int_equal(parse(HDR "smtpd[1]: ABCDEF: reject: "), 1);
	assert_int_equal(parse(HDR "smtpd[1]: warning: "), 1);
	assert_int_equal(parse(HDR "smtpd[1]: warning: x[1.2.3.4]:"
	    "99999999: SASL authentication failed"), 1);
	assert_string_equal(f(RF_SOURCE_PORT), UNSET);
	assert_int_equal(parse(HDR "smtpd[1]: disconnect from x[1.2.3.4] "
	    "auth=99999999999999/"), 1);
}

/* Every prefix of good lines parses without reading past its end. */
static void
test_prefixes(void **state)
{
	static const char *const good[] = {
		HDR "smtpd[1]: 4BCDF1A3C: client=h.example[IPv6:2001:db8::1]"
		    ":25, sasl_method=LOGIN, sasl_username=alice",
		HDR "cleanup[1]: 4BCDF1A3C: message-id=<a@b>",
		HDR "qmgr[1]: 4BCDF1A3C: from=<a@b>, size=1, nrcpt=1",
		HDR "smtp[1]: 4BCDF1A3C: to=<c@d>, orig_to=<e>, "
		    "relay=m.example[192.0.2.1]:25, delay=1, dsn=5.0.0, "
		    "status=bounced (host said: 550 no)",
		HDR "smtpd[1]: NOQUEUE: reject: RCPT from u[1.2.3.4]: 554 "
		    "5.7.1 <a>: Relay; from=<a> to=<b> proto=ESMTP helo=<c>",
		HDR "cleanup[1]: 4BCDF1A3C: reject: header S: x from "
		    "u[1.2.3.4]; from=<a> to=<b> proto=ESMTP helo=<c>: "
		    "5.7.1 no",
		HDR "smtpd[1]: warning: unknown[1.2.3.4]:5: SASL LOGIN "
		    "authentication failed: x, sasl_username=u",
		HDR "smtpd[1]: warning: hostname h does not resolve to "
		    "address 1.2.3.4: x",
		HDR "smtp[1]: 4BCDF1A3C: host m[1.2.3.4] said: 550 x",
		HDR "postscreen[1]: PASS NEW [1.2.3.4]:5",
		HDR "smtpd[1]: disconnect from u[1.2.3.4] auth=0/1",
		HDR "qmgr[1]: 4BCDF1A3C: removed",
	};
	char	buf[512];
	size_t	i, n;

	(void)state;
	state_with(1);
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
		cmocka_unit_test_setup_teardown(test_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_qid_local, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eviction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sasl_ipv6, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prefixes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
