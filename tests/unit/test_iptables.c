/*
 * test_iptables.c: the netfilter LOG parser: ufw, firewalld, EdgeOS,
 * Proxmox and custom prefixes, IPv4 and IPv6, TCP/UDP/ICMP/ICMPv6, the
 * verdict taken from the prefix, lines that are not events, malformed
 * lines, the counters, and every truncation of a real line.
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
#include "tz.h"

extern const struct parser parser_iptables;

#define US	1000000LL

/* Microseconds of a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return (tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    s) * US;
}

struct fixture {
	void		*st;
	struct record	 rec;
	char		*copy;
};

static int
setup(void **state)
{
	struct parser_opts	 po = { NULL, 0, 0 };
	struct fixture		*fx;

	po.ref_us = utc(2026, 11, 21, 12, 0, 0);
	fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->st = parser_iptables.state_new(&po);
	assert_non_null(fx->st);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	parser_iptables.state_free(fx->st);
	free(fx->copy);
	free(fx);
	return 0;
}

/* Parse s (an exact-size heap copy that lives until the next call). */
static int
parse(struct fixture *fx, const char *s)
{
	size_t	len = strlen(s);

	free(fx->copy);
	fx->copy = malloc(len > 0 ? len : 1);
	assert_non_null(fx->copy);
	memcpy(fx->copy, s, len);
	record_reset(&fx->rec);
	return parser_iptables.parse(fx->st, fx->copy, len, &fx->rec);
}

/* Assert field rf of the last record is s (NULL: unset). */
static void
field_is(struct fixture *fx, enum rf rf, const char *s)
{
	struct span	v = record_get(&fx->rec, rf);

	if (s == NULL) {
		if (record_has(&fx->rec, rf))
			fail_msg("%s is set: %.*s", record_field_name(rf),
			    (int)v.len, v.p);
		return;
	}
	if (!record_has(&fx->rec, rf))
		fail_msg("%s is unset, want %s", record_field_name(rf), s);
	if (!span_eq(v, s))
		fail_msg("%s is %.*s, want %s", record_field_name(rf),
		    (int)v.len, v.p, s);
}

static void
test_ufw(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: [ 3529.289825] "
	    "[UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:"
	    "08:00 SRC=198.51.100.7 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 "
	    "TTL=50 ID=54321 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=65535 "
	    "RES=0x00 SYN URGP=0"), 1);
	assert_true(fx->rec.has_ts);
	assert_true(fx->rec.ts_us == utc(2026, 11, 21, 10, 0, 0));
	assert_true(fx->rec.flags & REC_NO_YEAR);
	field_is(fx, RF_EVENT_DATASET, "firewall.iptables");
	field_is(fx, RF_EVENT_ACTION, "block");
	field_is(fx, RF_EVENT_OUTCOME, NULL);
	field_is(fx, RF_RULE_NAME, "[UFW BLOCK]");
	field_is(fx, RF_HOST_HOSTNAME, "gw");
	field_is(fx, RF_PROCESS_NAME, "kernel");
	field_is(fx, RF_SOURCE_IP, "198.51.100.7");
	field_is(fx, RF_SOURCE_PORT, "40000");
	field_is(fx, RF_DESTINATION_IP, "10.0.0.5");
	field_is(fx, RF_DESTINATION_PORT, "22");
	field_is(fx, RF_NETWORK_TRANSPORT, "tcp");
	field_is(fx, RF_OBSERVER_INGRESS_INTERFACE, "eth0");
	field_is(fx, RF_OBSERVER_EGRESS_INTERFACE, NULL);
	assert_int_equal(fx->rec.src.family, 4);
	assert_int_equal(fx->rec.dst.family, 4);

	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: [UFW ALLOW] "
	    "IN= OUT=eth0 SRC=10.0.0.5 DST=203.0.113.9 PROTO=UDP SPT=5353 "
	    "DPT=53"), 1);
	field_is(fx, RF_EVENT_ACTION, "allow");
	field_is(fx, RF_OBSERVER_INGRESS_INTERFACE, NULL);
	field_is(fx, RF_OBSERVER_EGRESS_INTERFACE, "eth0");
	field_is(fx, RF_NETWORK_TRANSPORT, "udp");

	/* ufw verbs that are no verdict are kept, lowercased. */
	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: [UFW AUDIT] "
	    "IN=eth0 OUT= SRC=10.0.0.5 DST=10.0.0.6 PROTO=TCP SPT=1 DPT=2"), 1);
	field_is(fx, RF_EVENT_ACTION, "audit");
	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: [UFW AUDIT "
	    "INVALID] IN=eth0 OUT= SRC=10.0.0.5 DST=10.0.0.6 PROTO=2"), 1);
	field_is(fx, RF_EVENT_ACTION, "audit invalid");
	field_is(fx, RF_NETWORK_TRANSPORT, "igmp");
	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: [UFW LIMIT "
	    "BLOCK] IN=eth0 OUT= SRC=10.0.0.5 DST=10.0.0.6 PROTO=TCP"), 1);
	field_is(fx, RF_EVENT_ACTION, "block");
}

static void
test_firewalld(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(parse(fx, "Nov 21 10:00:00 host kernel: FINAL_REJECT: "
	    "IN=enp1s0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 "
	    "SRC=192.0.2.44 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=64 "
	    "ID=1 DF PROTO=TCP SPT=51000 DPT=3306 WINDOW=64240 RES=0x00 SYN "
	    "URGP=0 "), 1);
	field_is(fx, RF_EVENT_ACTION, "reject");
	field_is(fx, RF_RULE_NAME, "FINAL_REJECT");
	field_is(fx, RF_DESTINATION_PORT, "3306");

	assert_int_equal(parse(fx, "Nov 21 10:00:00 host kernel: "
	    "filter_IN_public_DROP: IN=enp1s0 OUT= SRC=192.0.2.44 "
	    "DST=192.0.2.10 PROTO=UDP SPT=1 DPT=161"), 1);
	field_is(fx, RF_EVENT_ACTION, "drop");
	field_is(fx, RF_RULE_NAME, "filter_IN_public_DROP");
}

static void
test_prefixes(void **state)
{
	static const struct {
		const char	*prefix;
		const char	*action;	/* NULL: none */
		const char	*rule;		/* NULL: none */
	} cases[] = {
		{ "IPTABLES-DROP: ", "drop", "IPTABLES-DROP" },
		{ "iptables-accept ", "accept", "iptables-accept" },
		{ "Denied-by-policy ", "deny", "Denied-by-policy" },
		{ "FW DENY ", "deny", "FW DENY" },
		{ "REJECTED ", "reject", "REJECTED" },
		{ "allowed-out: ", "allow", "allowed-out" },
		{ "SFW2-INext-DROP-DEFLT ", "drop", "SFW2-INext-DROP-DEFLT" },
		{ "FIREWALL_OUT ", NULL, "FIREWALL_OUT" },
		{ "[ 12.5] ", NULL, NULL },
		{ "", NULL, NULL },
		{ "DROP(src wan)", "drop", "DROP(src wan)" },
		{ "[WAN_IN-default-D]", "drop", "[WAN_IN-default-D]" },
		{ "[LAN_LOCAL-10-A]", "accept", "[LAN_LOCAL-10-A]" },
		{ "[WAN_LOCAL-20-R]", "reject", "[WAN_LOCAL-20-R]" },
	};
	struct fixture	*fx = *state;
	char		 line[512];
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(line, sizeof line, "Nov 21 10:00:00 gw kernel: "
		    "%sIN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP SPT=1 "
		    "DPT=2", cases[i].prefix);
		if (parse(fx, line) != 1)
			fail_msg("not an event: %s", line);
		field_is(fx, RF_EVENT_ACTION, cases[i].action);
		field_is(fx, RF_RULE_NAME, cases[i].rule);
	}

	/* A prefix logged without the kernel's tag reads as a program. */
	assert_int_equal(parse(fx, "Jan  8 03:37:09 DENY: IN=eth0 OUT= "
	    "SRC=192.168.2.71 DST=192.168.2.83 PROTO=ICMP TYPE=3 CODE=3"), 1);
	field_is(fx, RF_EVENT_ACTION, "deny");
	field_is(fx, RF_RULE_NAME, "DENY");
	field_is(fx, RF_HOST_HOSTNAME, NULL);
	field_is(fx, RF_PROCESS_NAME, NULL);
}

static void
test_ipv6(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: [UFW BLOCK] "
	    "IN=eth0 OUT= MAC=33:33:00:00:00:01:52:54:00:aa:bb:cc:86:dd "
	    "SRC=2001:db8::7 DST=2001:db8:0:1::5 LEN=80 TC=0 HOPLIMIT=55 "
	    "FLOWLBL=443190 PROTO=TCP SPT=51234 DPT=443 WINDOW=64800 "
	    "RES=0x00 SYN URGP=0"), 1);
	field_is(fx, RF_SOURCE_IP, "2001:db8::7");
	field_is(fx, RF_DESTINATION_IP, "2001:db8:0:1::5");
	field_is(fx, RF_SOURCE_PORT, "51234");
	field_is(fx, RF_DESTINATION_PORT, "443");
	field_is(fx, RF_NETWORK_TRANSPORT, "tcp");
	assert_int_equal(fx->rec.src.family, 6);
	assert_int_equal(fx->rec.dst.family, 6);

	assert_int_equal(parse(fx, "Jan 22 10:52:34 ubuntu-bionic kernel: "
	    "[  307.757925] IN= OUT=enp0s3 SRC=fe80:0000:0000:0000:0084:88ff:"
	    "feae:790a DST=ff02:0000:0000:0000:0000:0000:0000:0016 LEN=96 TC=0"
	    " HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=143 CODE=0 MARK=0xd4"), 1);
	field_is(fx, RF_NETWORK_TRANSPORT, "ipv6-icmp");
	field_is(fx, RF_SOURCE_PORT, NULL);
	field_is(fx, RF_OBSERVER_EGRESS_INTERFACE, "enp0s3");
	field_is(fx, RF_RULE_NAME, NULL);
}

static void
test_icmp(void **state)
{
	struct fixture	*fx = *state;

	/* The quoted packet of an ICMP error is not the event's. */
	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: DROP-IN: IN=eth0"
	    " OUT= SRC=192.168.2.71 DST=192.168.2.83 LEN=88 TOS=0x00 PREC=0x00 "
	    "TTL=118 ID=21684 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.2.83 "
	    "DST=192.168.173.191 LEN=60 TOS=0x00 PREC=0x00 TTL=54 ID=0 DF "
	    "PROTO=UDP SPT=21458 DPT=62936 LEN=40 ] MTU=1500"), 1);
	field_is(fx, RF_SOURCE_IP, "192.168.2.71");
	field_is(fx, RF_DESTINATION_IP, "192.168.2.83");
	field_is(fx, RF_NETWORK_TRANSPORT, "icmp");
	field_is(fx, RF_SOURCE_PORT, NULL);
	field_is(fx, RF_DESTINATION_PORT, NULL);

	assert_int_equal(parse(fx, "Nov 21 10:00:00 gw kernel: IN=eth0 OUT= "
	    "SRC=10.0.0.1 DST=10.0.0.2 LEN=84 PROTO=ICMP TYPE=8 CODE=0 ID=1 "
	    "SEQ=1"), 1);
	field_is(fx, RF_NETWORK_TRANSPORT, "icmp");

	/* An unterminated quoted packet: the outer fields still count. */
	assert_int_equal(parse(fx, "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 "
	    "PROTO=ICMP TYPE=3 CODE=1 [SRC=10.0.0.2 DST=10.9.9.9 PROTO=TCP"),
	    1);
	field_is(fx, RF_DESTINATION_IP, "10.0.0.2");
}

static void
test_headers(void **state)
{
	struct fixture	*fx = *state;

	/* Bare (dmesg, journal export): no time, the whole line is the text. */
	assert_int_equal(parse(fx, "[ 1234.567890] IN=eth0 OUT= SRC=10.0.0.1 "
	    "DST=10.0.0.2 PROTO=UDP SPT=1 DPT=2"), 1);
	assert_false(fx->rec.has_ts);
	field_is(fx, RF_HOST_HOSTNAME, NULL);
	field_is(fx, RF_SOURCE_IP, "10.0.0.1");

	/* rsyslog high precision, and RFC 5424. */
	assert_int_equal(parse(fx, "2026-11-21T10:00:00.123456+09:00 gw kernel:"
	    " [UFW BLOCK] IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2"), 1);
	assert_true(fx->rec.ts_us == utc(2026, 11, 21, 1, 0, 0) + 123456);
	assert_int_equal(fx->rec.tz_off, 9 * 3600);
	assert_int_equal(fx->rec.ts_digits, 6);
	assert_false(fx->rec.flags & REC_NO_YEAR);
	assert_int_equal(parse(fx, "<4>1 2026-11-21T10:00:00Z gw kernel - - - "
	    "IPT-DROP IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2"), 1);
	field_is(fx, RF_EVENT_ACTION, "drop");
	field_is(fx, RF_HOST_HOSTNAME, "gw");

	/* Proxmox pve-firewall.log carries its own time and chain. */
	assert_int_equal(parse(fx, "0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 "
	    "+0200 policy DROP: IN=vmbr0.94 MAC=24:8a:07:9a:2a:f2:24:8a:07:50:"
	    "2c:9e:08:00 SRC=10.3.94.11 DST=10.3.94.12 LEN=52 TOS=0x00 "
	    "PREC=0xC0 TTL=255 ID=64317 DF PROTO=UDP SPT=49152 DPT=3784 "
	    "LEN=32"), 1);
	assert_true(fx->rec.has_ts);
	assert_true(fx->rec.ts_us == utc(2022, 6, 20, 11, 9, 14));
	assert_int_equal(fx->rec.tz_off, 2 * 3600);
	field_is(fx, RF_RULE_NAME, "PVEFW-HOST-IN");
	field_is(fx, RF_EVENT_ACTION, "drop");
	field_is(fx, RF_DESTINATION_PORT, "3784");
	assert_int_equal(parse(fx, "0 1 PVEFW-HOST-OUT 20/Jun/2022:13:16:23 "
	    "+0200 REJECT: OUT=vmbr0.94 SRC=10.3.94.12 DST=10.3.94.10 "
	    "PROTO=TCP SPT=49566 DPT=22"), 1);
	field_is(fx, RF_OBSERVER_EGRESS_INTERFACE, "vmbr0.94");
	field_is(fx, RF_EVENT_ACTION, "reject");

	/* A CR left by a foreign line ending is not part of the last value. */
	assert_int_equal(parse(fx, "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 "
	    "PROTO=TCP SPT=1 DPT=22\r"), 1);
	field_is(fx, RF_DESTINATION_PORT, "22");
}

static void
test_not_events(void **state)
{
	static const char	*lines[] = {
		"",
		" ",
		"Nov 21 10:00:00 gw kernel: eth0: link up",
		"Nov 21 10:00:00 gw kernel: [50028442.088484] XX=enp1s0 OUT= "
		    "SRC=195.54.160.107 DST=51.15.166.67 PROTO=TCP",
		"Nov 21 10:00:00 gw kernel: IN=eth0 OUT= MAC=00:11 LEN=40",
		"Nov 21 10:00:00 gw kernel: IN=eth0 OUT= SRC=10.0.0.1 LEN=40",
		"Nov 21 10:00:00 gw kernel: IN=eth0 OUT= DST=10.0.0.1 LEN=40",
		"Jul 18 10:51:43 localhost firewalld: 2014-07-18 10:51:43 "
		    "ERROR: ZONE_ALREADY_SET",
		"Nov 21 10:00:00 gw sshd[1]: Failed password for root",
		"IN=",
		"OUT=",
		"=",
		"IN=eth0 OUT= [SRC=10.0.0.1 DST=10.0.0.2]",
	};
	struct fixture	*fx = *state;
	size_t		 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (parse(fx, lines[i]) != 0)
			fail_msg("not 0: %s", lines[i]);
	}
}

static void
test_malformed(void **state)
{
	static const char	*lines[] = {
		"IN=eth0 OUT= SRC=garbage DST=10.0.0.2 PROTO=TCP",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=999.0.0.2 PROTO=TCP",
		"IN=eth0 OUT= SRC= DST=10.0.0.2 PROTO=TCP",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP SPT=70000",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP DPT=abc",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP DPT=",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP DPT=000022",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=!!",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=256",
		"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 "
		    "PROTO=averyveryverylongprotocolname",
		"IN=eth0 OUT= SRC=2001:db8::zz DST=10.0.0.2",
		/* A syslog header that is not one (no Feb 30). */
		"Feb 30 10:05:10 gw kernel: [UFW BLOCK] IN=eth0 OUT= "
		    "SRC=10.0.0.1 DST=10.0.0.2",
	};
	struct fixture	*fx = *state;
	size_t		 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (parse(fx, lines[i]) != -1)
			fail_msg("not -1: %s", lines[i]);
		/* Nothing of a malformed line is left in the record. */
		assert_int_equal(fx->rec.present, 0);
	}
	/* Unknown protocol names and numbers are kept, names lowercased. */
	assert_int_equal(parse(fx, "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 "
	    "PROTO=DCCP"), 1);
	field_is(fx, RF_NETWORK_TRANSPORT, "dccp");
	assert_int_equal(parse(fx, "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 "
	    "PROTO=47"), 1);
	field_is(fx, RF_NETWORK_TRANSPORT, "gre");
	assert_int_equal(parse(fx, "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 "
	    "PROTO=253"), 1);
	field_is(fx, RF_NETWORK_TRANSPORT, "253");
}

static void
test_stats_ref(void **state)
{
	struct fixture			*fx = *state;
	const struct parser_stats	*st;
	const char			*l;

	l = "Dec 20 10:00:00 gw kernel: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2";

	assert_int_equal(parse(fx, l), 1);
	assert_true(fx->rec.ts_us == utc(2026, 12, 20, 10, 0, 0));
	/* Read in January, the December line is last year's. */
	parser_iptables.set_ref(fx->st, utc(2027, 1, 3, 0, 0, 0));
	assert_int_equal(parse(fx, l), 1);
	assert_true(fx->rec.ts_us == utc(2026, 12, 20, 10, 0, 0));
	parser_iptables.set_ref(fx->st, utc(2026, 6, 1, 0, 0, 0));
	assert_int_equal(parse(fx, l), 1);
	assert_true(fx->rec.ts_us == utc(2025, 12, 20, 10, 0, 0));

	assert_int_equal(parse(fx, "hello"), 0);
	assert_int_equal(parse(fx, "IN=x OUT= SRC=1 DST=2"), -1);
	st = parser_iptables.stats(fx->st);
	assert_non_null(st);
	assert_int_equal(st->events, 3);
	assert_int_equal(st->ignored, 1);
	assert_int_equal(st->malformed, 1);
	assert_int_equal(st->dropped, 0);
}

static void
test_truncated(void **state)
{
	static const char	*lines[] = {
		"<4>Nov 21 10:00:00 gw kernel: [ 3529.289825] [UFW BLOCK] "
		    "IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00"
		    " SRC=198.51.100.7 DST=10.0.0.5 LEN=60 TOS=0x00 PROTO=ICMP "
		    "TYPE=3 CODE=3 [SRC=10.0.0.5 DST=1.2.3.4 PROTO=UDP SPT=1 "
		    "DPT=2 ] MTU=1400",
		"0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: "
		    "IN=vmbr0.94 SRC=2a0a:1580::a DST=2a0a:1580::17 PROTO=TCP "
		    "SPT=59368 DPT=22",
	};
	struct fixture	*fx = *state;
	struct record	 rec;
	char		*c;
	size_t		 i, n, len;
	int		 rc;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		len = strlen(lines[i]);
		for (n = 0; n <= len; n++) {
			c = malloc(n > 0 ? n : 1);
			assert_non_null(c);
			memcpy(c, lines[i], n);
			record_reset(&rec);
			rc = parser_iptables.parse(fx->st, c, n, &rec);
			assert_true(rc >= -1 && rc <= 1);
			free(c);
		}
		assert_int_equal(parse(fx, lines[i]), 1);
	}
}

int
main(void)
{
#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ufw),
		T(test_firewalld),
		T(test_prefixes),
		T(test_ipv6),
		T(test_icmp),
		T(test_headers),
		T(test_not_events),
		T(test_malformed),
		T(test_stats_ref),
		T(test_truncated),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
