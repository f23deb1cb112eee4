/*
 * test_scan.c: the scan and worm detector and the spam detector.  TRW
 * decides as Wald's test with the paper's parameters says (three failed
 * first contacts: undecided, four: scanner; four successes clear a host),
 * repeated contacts are not first contacts, fan-out and port thresholds,
 * scope (internal versus outbound), propagation linking, the host table
 * bound; spam by distinct recipients, domains and bounce ratio.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "detect_util.h"
#include "log.h"

static const char *SCAN_RULES =
    "rules:\n"
    "  - id: W\n    title: worm\n    category: worm_spread\n"
    "    severity: critical\n    logsource: firewall\n"
    "    match: {network.direction: internal}\n"
    "    detector: scan\n"
    "    params: {scope: internal, ports: [22, 445, 3389], hosts: 20, "
    "ports_per_host: 5, window: 10m, max_hosts: MAXH}\n"
    "  - id: O\n    title: outbound\n    category: outbound_attack\n"
    "    severity: high\n    logsource: firewall\n"
    "    match: {network.direction: outbound}\n"
    "    detector: scan\n"
    "    params: {scope: outbound, ignore_ports: [80, 443], hosts: 30, "
    "trw: false}\n";

static struct ruleset *
load_scan(const char *maxh)
{
	char	text[2048], *p;

	snprintf(text, sizeof text, "%s", SCAN_RULES);
	p = strstr(text, "MAXH");
	memcpy(p, maxh, strlen(maxh));
	memset(p + strlen(maxh), ' ', 4 - strlen(maxh));
	return tu_load(text);
}

static void
test_trw_decision(void **state)
{
	struct ruleset	*rs = load_scan("100");
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	/* Three failures: Lambda = 64 < 99, undecided. */
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.1", "445", "drop", 0);
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.2", "445", "drop", 1);
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.3", "445", "drop", 2);
	/* Repeats of a known destination are not first contacts. */
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.3", "445", "drop", 3);
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.3", "445", "drop", 4);
	assert_int_equal(a.n, 0);
	/* The fourth: Lambda = 256 >= 99, a scanner. */
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.4", "445", "drop", 5);
	assert_int_equal(tu_count(&a, "W"), 1);
	assert_non_null(strstr(a.reason[0], "threshold random walk: 4 of 4 "
	    "first contacts failed (likelihood ratio 256)"));
	/* Other ports are not watched, outbound traffic is not internal. */
	tu_fw(rs, &a, "10.1.5.67", "10.1.6.1", "80", "drop", 6);
	tu_fw(rs, &a, "10.1.5.67", "10.1.6.2", "80", "drop", 7);
	tu_fw(rs, &a, "10.1.5.67", "10.1.6.3", "80", "drop", 8);
	tu_fw(rs, &a, "10.1.5.67", "10.1.6.4", "80", "drop", 9);
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_trw_benign(void **state)
{
	struct ruleset	*rs = load_scan("100");
	struct tu_alerts a;
	char		 dst[32];
	int		 i;

	memset(&a, 0, sizeof a);
	/* Alternating outcomes: Lambda swings between 1 and 4. */
	for (i = 0; i < 12; i++) {
		snprintf(dst, sizeof dst, "10.1.6.%d", i + 1);
		tu_fw(rs, &a, "10.1.5.70", dst, "445", i % 2 ? "accept" :
		    "drop", i);
	}
	assert_int_equal(a.n, 0);
	/* Four successes clear the host (1/256 <= 0.0101)... */
	for (i = 0; i < 4; i++) {
		snprintf(dst, sizeof dst, "10.1.7.%d", i + 1);
		tu_fw(rs, &a, "10.1.5.71", dst, "445", "accept", i);
	}
	/* ...and the walk starts again from 1: four failures decide. */
	for (i = 0; i < 3; i++) {
		snprintf(dst, sizeof dst, "10.1.8.%d", i + 1);
		tu_fw(rs, &a, "10.1.5.71", dst, "445", "drop", 10 + i);
	}
	assert_int_equal(a.n, 0);
	tu_fw(rs, &a, "10.1.5.71", "10.1.8.9", "445", "drop", 20);
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_fanout_and_ports(void **state)
{
	struct ruleset	*rs = load_scan("100");
	struct tu_alerts a;
	char		 dst[32], port[8];
	const char	*ports[] = { "22", "445", "3389" };
	int		 i;

	memset(&a, 0, sizeof a);
	/* Twenty new hosts within 10 minutes, all reached: fan-out. */
	for (i = 0; i < 20; i++) {
		snprintf(dst, sizeof dst, "10.2.0.%d", i + 1);
		tu_fw(rs, &a, "10.1.5.80", dst, "3389", "accept", i * 25);
		assert_int_equal(a.n, i == 19 ? 1 : 0);
	}
	assert_non_null(strstr(a.reason[0], "20 new destinations within "
	    "475s"));
	/* Spread over more than the window: no fan-out. */
	for (i = 0; i < 20; i++) {
		snprintf(dst, sizeof dst, "10.3.0.%d", i + 1);
		tu_fw(rs, &a, "10.1.5.81", dst, "22", "accept", i * 40);
	}
	assert_int_equal(a.n, 1);
	/* The watched ports of one host (ports_per_host 5 > 3): nothing. */
	for (i = 0; i < 3; i++) {
		snprintf(port, sizeof port, "%s", ports[i]);
		tu_fw(rs, &a, "10.1.5.82", "10.4.0.1", port, "accept", i);
	}
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_outbound_scope(void **state)
{
	struct ruleset	*rs = load_scan("100");
	struct tu_alerts a;
	char		 dst[32];
	int		 i;

	memset(&a, 0, sizeof a);
	/* 40 web sites: ignored ports. */
	for (i = 0; i < 40; i++) {
		snprintf(dst, sizeof dst, "198.51.100.%d", i + 1);
		tu_fw(rs, &a, "10.1.2.3", dst, "443", "accept", i);
	}
	assert_int_equal(a.n, 0);
	/* 30 Internet hosts on SMB within seconds: outbound scan. */
	for (i = 0; i < 30; i++) {
		snprintf(dst, sizeof dst, "203.0.113.%d", i + 1);
		tu_fw(rs, &a, "10.1.2.3", dst, "445", "accept", 100 + i);
	}
	assert_int_equal(tu_count(&a, "O"), 1);
	assert_int_equal(tu_count(&a, "W"), 0);
	assert_non_null(strstr(a.reason[0], "outbound scan: 30 new "
	    "destinations"));
	ruleset_free(rs);
}

static void
test_propagation(void **state)
{
	struct ruleset	*rs = load_scan("100");
	struct tu_alerts a;
	char		 dst[32];
	int		 i;

	memset(&a, 0, sizeof a);
	/* A reaches B on SMB, then fails on four others: A alerts. */
	tu_fw(rs, &a, "10.1.5.66", "10.1.6.20", "445", "accept", 0);
	for (i = 0; i < 5; i++) {
		snprintf(dst, sizeof dst, "10.1.6.%d", 100 + i);
		tu_fw(rs, &a, "10.1.5.66", dst, "445", "drop", 10 + i);
	}
	assert_int_equal(a.n, 1);
	assert_null(strstr(a.reason[0], "propagation"));
	/* Ten minutes later B does the same: linked to A. */
	for (i = 0; i < 5; i++) {
		snprintf(dst, sizeof dst, "10.1.9.%d", 100 + i);
		tu_fw(rs, &a, "10.1.6.20", dst, "445", "drop", 600 + i);
	}
	assert_int_equal(a.n, 2);
	assert_string_equal(a.src[1], "10.1.6.20");
	assert_non_null(strstr(a.reason[1], "propagation: 10.1.5.66, itself "
	    "spreading, reached this host at"));
	/* C, never reached by a spreading host, is not linked. */
	for (i = 0; i < 5; i++) {
		snprintf(dst, sizeof dst, "10.1.10.%d", 100 + i);
		tu_fw(rs, &a, "10.1.6.30", dst, "445", "drop", 700 + i);
	}
	assert_int_equal(a.n, 3);
	assert_null(strstr(a.reason[2], "propagation"));
	ruleset_free(rs);
}

static void
test_host_bound(void **state)
{
	struct ruleset	*rs = load_scan("8");
	struct tu_alerts a;
	char		 src[32];
	int		 i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < 100; i++) {
		snprintf(src, sizeof src, "10.5.0.%d", i + 1);
		tu_fw(rs, &a, src, "10.1.6.1", "445", "accept", i);
	}
	assert_true(ruleset_find(rs, "W")->dropped >= 92);
	ruleset_free(rs);
}

/* A postfix delivery by user to rcpt at t seconds with status st. */
static void
mail(struct ruleset *rs, struct tu_alerts *a, const char *user,
    const char *rcpt, const char *st, int64_t t)
{
	struct tu_rec	tr;

	tu_rec_start(&tr, "mail.postfix", t * TU_SEC);
	tu_set(&tr, "user.name", user);
	tu_set(&tr, "source.ip", "10.1.3.7");
	tu_set(&tr, "email.to.address", rcpt);
	tu_set(&tr, "postfix.status", st);
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, a);
}

static void
test_spam(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n  - id: SP\n    title: spam\n"
	    "    category: outbound_spam\n    severity: high\n"
	    "    match: {email.to.address: {exists: true}}\n"
	    "    detector: spam\n    params: {window: 1h, recipients: 10, "
	    "domains: 5, bounce_min: 4, bounce_ratio: 0.5}\n");
	struct tu_alerts a;
	char		 rcpt[64];
	int		 i;

	memset(&a, 0, sizeof a);
	/* One recipient many times: not spam. */
	for (i = 0; i < 30; i++)
		mail(rs, &a, "sato", "boss@partner.example", "sent", i);
	assert_int_equal(a.n, 0);
	/* Nine recipients in one domain: below both thresholds. */
	for (i = 0; i < 9; i++) {
		snprintf(rcpt, sizeof rcpt, "u%d@partner.example", i);
		mail(rs, &a, "suzuki", rcpt, "sent", i);
	}
	assert_int_equal(a.n, 0);
	mail(rs, &a, "suzuki", "u9@partner.example", "sent", 10);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.reason[0], "10 distinct recipients"));
	/* Five domains. */
	for (i = 0; i < 5; i++) {
		snprintf(rcpt, sizeof rcpt, "x@d%d.example", i);
		mail(rs, &a, "ito", rcpt, "sent", i);
	}
	assert_int_equal(a.n, 2);
	assert_non_null(strstr(a.reason[1], "5 distinct recipient domains"));
	/* Bounces: 4 of 6 bounced. */
	mail(rs, &a, "tanaka", "a@t.example", "sent", 0);
	mail(rs, &a, "tanaka", "b@t.example", "sent", 1);
	for (i = 0; i < 4; i++)
		mail(rs, &a, "tanaka", "c@t.example", "bounced", 2 + i);
	assert_int_equal(a.n, 3);
	assert_non_null(strstr(a.reason[2], "4 of 6 deliveries bounced"));
	/* Once per realert period. */
	mail(rs, &a, "tanaka", "c@t.example", "bounced", 10);
	assert_int_equal(a.n, 3);
	ruleset_free(rs);
}

/*
 * One line naming several recipients (Exchange tracking: "a;b;c") counts
 * each of them; deliveries by a local transport ("delivered-local") count
 * nothing.  The rule matches every line, so the detector itself decides.
 */
static void
test_spam_recipients(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n  - id: SP\n    title: spam\n"
	    "    category: outbound_spam\n    severity: high\n"
	    "    match: {email.to.address: {exists: true}}\n"
	    "    detector: spam\n    params: {window: 1h, recipients: 10, "
	    "domains: 50, bounce_min: 4, bounce_ratio: 0.5}\n");
	struct tu_alerts a;
	struct tu_rec	 tr;
	char		 list[512];
	size_t		 n;
	int		 i, j;

	(void)state;
	memset(&a, 0, sizeof a);
	/* Three lines of three recipients: 9, below the threshold. */
	for (i = 0; i < 3; i++) {
		for (j = 0, n = 0; j < 3; j++)
			n += (size_t)snprintf(list + n, sizeof list - n,
			    "%su%d@d.example", j > 0 ? ";" : "", i * 3 + j);
		tu_rec_start(&tr, "mail.exchange", i * TU_SEC);
		tu_set(&tr, "source.ip", "10.0.0.30");
		tu_set(&tr, "email.from.address", "mallory@example.com");
		tu_set(&tr, "email.to.address", list);
		tu_set(&tr, "event.action", "SENDEXTERNAL");
		detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	}
	assert_int_equal(a.n, 0);
	/* The tenth recipient, second in its list. */
	tu_rec_start(&tr, "mail.exchange", 5 * TU_SEC);
	tu_set(&tr, "source.ip", "10.0.0.30");
	tu_set(&tr, "email.from.address", "mallory@example.com");
	tu_set(&tr, "email.to.address", "u0@d.example;u9@d.example");
	tu_set(&tr, "event.action", "SENDEXTERNAL");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.reason[0], "10 distinct recipients"));
	assert_non_null(strstr(a.reason[0], "(11 deliveries"));
	/* Local deliveries of another sender: never counted. */
	for (i = 0; i < 40; i++) {
		snprintf(list, sizeof list, "l%d@example.com", i);
		tu_rec_start(&tr, "mail.exim", i * TU_SEC);
		tu_set(&tr, "user.name", "alice");
		tu_set(&tr, "source.ip", "10.1.2.20");
		tu_set(&tr, "email.to.address", list);
		tu_set(&tr, "event.action", i % 2 ? "delivered-local" :
		    "bounced-local");
		detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	}
	assert_int_equal(a.n, 1);
	/* The same lines delivered remotely are spam. */
	for (i = 0; i < 10; i++) {
		snprintf(list, sizeof list, "l%d@example.com", i);
		tu_rec_start(&tr, "mail.exim", (50 + i) * TU_SEC);
		tu_set(&tr, "user.name", "alice");
		tu_set(&tr, "source.ip", "10.1.2.20");
		tu_set(&tr, "email.to.address", list);
		tu_set(&tr, "event.action", "delivered");
		detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	}
	assert_int_equal(a.n, 2);
	assert_non_null(strstr(a.reason[1], "(10 deliveries"));
	ruleset_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trw_decision),
		cmocka_unit_test(test_trw_benign),
		cmocka_unit_test(test_fanout_and_ports),
		cmocka_unit_test(test_outbound_scope),
		cmocka_unit_test(test_propagation),
		cmocka_unit_test(test_host_bound),
		cmocka_unit_test(test_spam),
		cmocka_unit_test(test_spam_recipients),
	};

	log_init("test_scan", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
