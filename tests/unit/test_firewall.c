/*
 * test_firewall.c: the firewall parsers where their reading is not
 * obvious from a golden file: which side of a Cisco connection is the
 * source, PAN-OS fields holding commas and cut records, Juniper's plain
 * form read by position, RouterOS addresses and user names, CEF escapes,
 * every truncation of a real line of each parser, and the "auto" parser
 * deciding, staying and switching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "parser.h"
#include "record.h"
#include "tz.h"

extern const struct parser parser_cisco_asa, parser_paloalto;
extern const struct parser parser_juniper_srx, parser_mikrotik;
extern const struct parser parser_fortigate, parser_pfsense;
extern const struct parser parser_checkpoint, parser_sonicwall;
extern const struct parser parser_sophos_xg, parser_unifi;
extern const struct parser parser_auto;

#define US	1000000LL

/* A parser, its state, the last record and its line. */
struct fx {
	const struct parser	*p;
	void			*st;
	struct record		 rec;
	char			*copy;
};

/* Microseconds of a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return (tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    s) * US;
}

/* A fixture for parser p. */
static struct fx *
fx_new(const struct parser *p)
{
	struct parser_opts	 po = { NULL, 0, 0 };
	struct fx		*fx;

	po.ref_us = utc(2026, 11, 21, 12, 0, 0);
	po.max_queue = 1000;
	fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->p = p;
	fx->st = p->state_new(&po);
	assert_non_null(fx->st);
	return fx;
}

/* Free a fixture. */
static void
fx_free(struct fx *fx)
{
	fx->p->state_free(fx->st);
	free(fx->copy);
	free(fx);
}

/* Parse s from an exact-size copy (so reading past it is caught). */
static int
parse(struct fx *fx, const char *s)
{
	size_t	len = strlen(s);
	int	rc;

	free(fx->copy);
	fx->copy = malloc(len > 0 ? len : 1);
	assert_non_null(fx->copy);
	memcpy(fx->copy, s, len);
	record_reset(&fx->rec);
	rc = fx->p->parse(fx->st, fx->copy, len, &fx->rec);
	assert_true(rc >= -1 && rc <= 1);
	if (rc == -1)
		assert_true(fx->rec.present == 0);
	return rc;
}

/* Assert field rf of the last record is s (NULL: unset). */
static void
field_is(struct fx *fx, enum rf rf, const char *s)
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

/*
 * Cisco: "Built outbound" names the outside side first, the initiator
 * second; inbound and teardown keep the text's order; ICMP "ports" are
 * not ports.
 */
static void
test_asa_direction(void **unused)
{
	struct fx	*fx = fx_new(&parser_cisco_asa);

	(void)unused;
	assert_int_equal(parse(fx, "<166>Nov 21 09:00:01 fw1 %ASA-6-302013: "
	    "Built outbound TCP connection 1 for outside:192.0.2.80/443 "
	    "(192.0.2.80/443) to inside:10.0.0.5/51234 (203.0.113.5/40001)"),
	    1);
	field_is(fx, RF_SOURCE_IP, "10.0.0.5");
	field_is(fx, RF_SOURCE_PORT, "51234");
	field_is(fx, RF_SOURCE_NAT_IP, "203.0.113.5");
	field_is(fx, RF_DESTINATION_IP, "192.0.2.80");
	field_is(fx, RF_DESTINATION_PORT, "443");
	field_is(fx, RF_OBSERVER_INGRESS_INTERFACE, "inside");
	field_is(fx, RF_EVENT_TYPE, "allowed");
	assert_true(fx->rec.ts_us == utc(2026, 11, 21, 9, 0, 1));

	assert_int_equal(parse(fx, "%ASA-6-302015: Built inbound UDP "
	    "connection 2 for outside:198.51.100.7/500 (198.51.100.7/500) to "
	    "dmz:10.1.0.10/500 (203.0.113.10/500)"), 1);
	field_is(fx, RF_SOURCE_IP, "198.51.100.7");
	field_is(fx, RF_DESTINATION_IP, "10.1.0.10");
	field_is(fx, RF_SOURCE_NAT_IP, NULL);
	assert_false(fx->rec.has_ts);

	assert_int_equal(parse(fx, "%ASA-6-302014: Teardown TCP connection 1 "
	    "for outside:192.0.2.80/443 to inside:10.0.0.5/51234 duration "
	    "27:00:01 bytes 9 TCP FINs"), 1);
	field_is(fx, RF_SOURCE_IP, "192.0.2.80");
	field_is(fx, RF_EVENT_TYPE, NULL);
	field_is(fx, RF_EVENT_DURATION, "97201000000000");
	field_is(fx, RF_NETWORK_BYTES, "9");
	field_is(fx, RF_EVENT_REASON, "TCP FINs");

	assert_int_equal(parse(fx, "%ASA-6-302020: Built inbound ICMP "
	    "connection for faddr 198.51.100.7/0 gaddr 203.0.113.10/512 laddr "
	    "10.1.0.10/512"), 1);
	field_is(fx, RF_SOURCE_IP, "198.51.100.7");
	field_is(fx, RF_DESTINATION_IP, "10.1.0.10");
	field_is(fx, RF_SOURCE_PORT, NULL);
	field_is(fx, RF_NETWORK_TRANSPORT, "icmp");

	/* A port that cannot be is left out; the event stays. */
	assert_int_equal(parse(fx, "%ASA-6-302013: Built outbound TCP "
	    "connection 3 for outside:192.0.2.80/70000 (192.0.2.80/70000) to "
	    "inside:10.0.0.5/1 (10.0.0.5/1)"), 1);
	field_is(fx, RF_DESTINATION_PORT, NULL);
	field_is(fx, RF_DESTINATION_IP, "192.0.2.80");
	fx_free(fx);
}

/* Cisco time prefixes: relay header, device time with year and zone. */
static void
test_asa_time(void **unused)
{
	struct fx	*fx = fx_new(&parser_cisco_asa);

	(void)unused;
	assert_int_equal(parse(fx, "<166>Aug 06 2016 20:39:42: %ASA-6-110002: "
	    "Failed to locate egress interface for UDP from Inside:10.0.0.1/5 "
	    "to 192.0.2.1/161"), 1);
	assert_true(fx->rec.ts_us == utc(2016, 8, 6, 20, 39, 42));
	assert_false(fx->rec.flags & REC_NO_YEAR);
	field_is(fx, RF_HOST_HOSTNAME, NULL);
	assert_int_equal(parse(fx, "<166>:Nov 21 09:00:11 JST: %ASA-6-106015: "
	    "Deny TCP (no connection) from 10.0.0.5/1 to 192.0.2.1/2 flags "
	    "RST  on interface inside"), 1);
	assert_true(fx->rec.ts_us == utc(2026, 11, 21, 0, 0, 11));
	assert_int_equal(fx->rec.tz_off, 9 * 3600);
	assert_int_equal(parse(fx, "Nov 21 09:00:12 relay Nov 21 2025 "
	    "09:00:12: %FTD-4-106023: Deny tcp src in:10.0.0.1/1 dst "
	    "out:192.0.2.1/2 by access-group \"acl\" [0x0, 0x0]"), 1);
	assert_true(fx->rec.ts_us == utc(2025, 11, 21, 9, 0, 12));
	field_is(fx, RF_HOST_HOSTNAME, "relay");
	field_is(fx, RF_EVENT_DATASET, "firewall.cisco_ftd");
	field_is(fx, RF_RULE_NAME, "acl");
	assert_int_equal(parse(fx, "%ASA-8-302013: level eight"), 0);
	assert_int_equal(parse(fx, "%ASA-6-3020130: seven digits"), 0);
	assert_int_equal(parse(fx, "%ASA-6-302013"), 1);
	fx_free(fx);
}

/* PAN-OS: a quoted field with commas, a cut record, a bad date, CEF. */
static void
test_paloalto(void **unused)
{
	struct fx	*fx = fx_new(&parser_paloalto);

	(void)unused;
	assert_int_equal(parse(fx, "1,2026/11/21 10:05:00,01,THREAT,url,1,"
	    "2026/11/21 10:05:00,10.0.0.5,192.0.2.66,0.0.0.0,0.0.0.0,r1,,,"
	    "web-browsing,vsys1,trust,untrust,e1,e2,lf,2026/11/21 10:05:00,1,"
	    "1,51300,80,0,0,0x0,tcp,block-url,\"bad.example/a,b,c\","
	    "(9999),malware,informational,client-to-server"), 1);
	field_is(fx, RF_URL_ORIGINAL, "bad.example/a,b,c");
	field_is(fx, RF_URL_DOMAIN, "bad.example");
	field_is(fx, RF_RULE_ID, "9999");
	field_is(fx, RF_EVENT_ACTION, "block-url");
	field_is(fx, RF_EVENT_TYPE, "denied");
	field_is(fx, RF_SOURCE_NAT_IP, NULL);
	assert_true(fx->rec.ts_us == utc(2026, 11, 21, 10, 5, 0));

	/* Cut after the type: an event with what it has. */
	assert_int_equal(parse(fx, "<14>Nov 21 10:00:00 pa 1,2026/11/21 "
	    "10:00:00,01,TRAFFIC,"), 1);
	field_is(fx, RF_SOURCE_IP, NULL);
	assert_int_equal(parse(fx, "1,2026/13/21 10:00:00,01,TRAFFIC,end"),
	    -1);
	assert_int_equal(parse(fx, "May 00 00:00:00 h 1,2020/00/00 00:00:00,"
	    "0,TRAFFIC"), -1);
	assert_int_equal(parse(fx, "1,2,3"), 0);

	assert_int_equal(parse(fx, "CEF:0|Palo Alto Networks|PAN-OS|10|end|"
	    "TRAFFIC|1|rt=1795255200000 src=10.0.0.5 dst=192.0.2.1 "
	    "suser=corp\\\\sato cs1Label=Rule cs1=allow web act=allow"), 1);
	field_is(fx, RF_USER_NAME, "corp\\sato");
	field_is(fx, RF_RULE_NAME, "allow web");
	field_is(fx, RF_EVENT_CODE, "end");
	assert_true(fx->rec.ts_us == 1795255200000LL * 1000);
	fx_free(fx);
}

/* Juniper's plain form: NAT pair, protocol after the rule names. */
static void
test_srx_plain(void **unused)
{
	struct fx	*fx = fx_new(&parser_juniper_srx);

	(void)unused;
	assert_int_equal(parse(fx, "Nov 21 10:01:31 srx1 RT_FLOW: "
	    "RT_FLOW_SESSION_CLOSE: session closed idle Timeout: "
	    "10.0.0.5/5->192.0.2.1/53 junos-dns-udp 203.0.113.5/6->"
	    "192.0.2.1/53 source rule 17 None None 17 p1 trust untrust 9 "
	    "1(70) 1(110) 2 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0 UNKNOWN"), 1);
	field_is(fx, RF_EVENT_REASON, "idle Timeout");
	field_is(fx, RF_SOURCE_NAT_IP, "203.0.113.5");
	/* "17" is a rule name here; the protocol is the one after "None". */
	field_is(fx, RF_NETWORK_TRANSPORT, "udp");
	field_is(fx, RF_SOURCE_BYTES, "70");
	field_is(fx, RF_DESTINATION_BYTES, "110");
	field_is(fx, RF_EVENT_ACTION, "close");
	assert_int_equal(parse(fx, "Nov 21 10:01:31 srx1 RT_FLOW: "
	    "RT_FLOW_SESSION_CREATE session created"), 0);
	assert_int_equal(parse(fx, "<14>1 2026-11-21T10:00:00Z srx1 RT_FLOW "
	    "- RT_FLOW_SESSION_DENY [junos@2636 source-address=\"10.0.0.5\" "
	    "destination-address=\"192.0.2.1\" policy-name=\"a \\\"b\\\"\""),
	    1);
	field_is(fx, RF_RULE_NAME, "a \\\"b\\\"");
	field_is(fx, RF_EVENT_TYPE, "denied");
	fx_free(fx);
}

/* RouterOS: IPv6 in brackets, NAT, user names with spaces. */
static void
test_mikrotik(void **unused)
{
	struct fx	*fx = fx_new(&parser_mikrotik);

	(void)unused;
	assert_int_equal(parse(fx, "Nov 21 10:00:01 gw firewall,info fwd: "
	    "in:bridge out:ether1, proto TCP (SYN), [2001:db8::5]:51500->"
	    "[2001:db8:1::80]:443, NAT ([2001:db8::5]:51500->"
	    "[2001:db8::1]:40000)->[2001:db8:1::80]:443, len 80"), 1);
	field_is(fx, RF_SOURCE_IP, "2001:db8::5");
	field_is(fx, RF_DESTINATION_PORT, "443");
	field_is(fx, RF_SOURCE_NAT_IP, "2001:db8::1");
	field_is(fx, RF_RULE_NAME, "fwd");
	assert_int_equal(parse(fx, "Nov 21 10:00:07 gw system,error,critical "
	    "login failure for user from me from 198.51.100.21 via web"), 1);
	field_is(fx, RF_USER_NAME, "from me");
	field_is(fx, RF_SOURCE_IP, "198.51.100.21");
	assert_int_equal(parse(fx, "Nov 21 10:00:07 gw firewall,info x: "
	    "in:a out:b, proto TCP"), 0);
	assert_int_equal(parse(fx, "Nov 21 10:00:07 gw Firewall,Info x"), 0);
	fx_free(fx);
}

/* Each parser on every prefix of a real line of its own. */
static void
test_truncated(void **unused)
{
	static const struct {
		const struct parser	*p;
		const char		*line;
	} cases[] = {
		{ &parser_cisco_asa, "<166>Nov 21 2026 09:00:01 fw1 : "
		    "%ASA-6-302013: Built outbound TCP connection 1 for "
		    "outside:192.0.2.80/443 (192.0.2.80/443)(LOCAL\\u) to "
		    "inside:10.0.0.5/51234 (203.0.113.5/40001) (u)" },
		{ &parser_cisco_asa, "%ASA-6-106100: access-list a denied tcp "
		    "in/10.0.0.1(1)(LOCAL\\u, sg) -> out/192.0.2.1(2) hit-cnt 1" },
		{ &parser_fortigate, "<189>date=2026-11-21 time=10:00:00 "
		    "tz=\"+0900\" logid=\"0000000013\" type=\"traffic\" "
		    "srcip=10.0.0.5 srcport=1 dstip=192.0.2.1 dstport=2 proto=6 "
		    "action=\"close\" duration=3 sentbyte=4 url=\"/x\"" },
		{ &parser_paloalto, "<14>Nov 21 10:00:00 pa 1,2026/11/21 "
		    "10:00:00,01,TRAFFIC,end,1,2026/11/21 10:00:00,10.0.0.5,"
		    "192.0.2.1,203.0.113.5,192.0.2.1,r,\"d\\u\",,ssl,v,t,u,e1,e2,"
		    "l,2026/11/21 10:00:00,1,1,5,443,6,443,0x0,tcp,allow,9,4,5,"
		    "2,2026/11/21 09:59:59,1,any,0,1,0x0,a,b,0,1,1,tcp-fin" },
		{ &parser_pfsense, "<134>1 2026-11-21T10:00:02Z fw filterlog 1 "
		    "- - 80,,,1000,igb0,match,pass,in,6,0x00,0x00000,64,tcp,6,"
		    "40,2001:db8::7,2001:db8:1::10,40000,443,0,S,1,,65535,,mss" },
		{ &parser_juniper_srx, "<14>1 2026-11-21T10:00:00Z srx1 "
		    "RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636 reason=\"x\" "
		    "source-address=\"10.0.0.5\" source-port=\"1\" "
		    "destination-address=\"192.0.2.1\" elapsed-time=\"3\"]" },
		{ &parser_checkpoint, "1 2026-11-21T10:00:02Z gw1 CheckPoint 1 "
		    "- [action:\"Drop\"; src:\"198.51.100.7\"; dst:\"10.0.0.1\";"
		    " s_port:\"1\"; service:\"22\"; proto:\"6\"; x:\"a\\\"]\"]" },
		{ &parser_sonicwall, "id=firewall sn=0017C5 time=\"2026-11-21 "
		    "10:00:00 UTC\" m=98 msg=\"Connection Opened\" "
		    "src=10.0.0.5:1:X0:h dst=192.0.2.1:443:X1 proto=tcp/https" },
		{ &parser_sophos_xg, "device=\"SFW\" date=2026-11-21 "
		    "time=10:00:00 timezone=\"JST\" log_id=01 log_type=\"Fire"
		    "wall\" log_subtype=\"Denied\" src_ip=10.0.0.5 "
		    "dst_ip=192.0.2.1 protocol=\"TCP\" src_port=1 dst_port=2" },
		{ &parser_mikrotik, "Nov 21 10:00:00 gw firewall,info d input: "
		    "in:e1 out:(unknown 0), proto TCP (SYN), [2001:db8::1]:1->"
		    "[2001:db8::2]:22, NAT (10.0.0.1:1->203.0.113.1:2)->"
		    "192.0.2.1:3, len 60" },
		{ &parser_unifi, "Nov 21 10:00:00 udm udm [WAN_LOCAL-D-2147] "
		    "DESCR=\"[WAN]Block\" IN=eth8 OUT= SRC=198.51.100.7 "
		    "DST=203.0.113.1 PROTO=TCP SPT=4444 DPT=22" },
		{ &parser_unifi, "Nov 21 10:00:03 udm CEF:0|Ubiquiti|UniFi|9|"
		    "201|Threat Detected and Blocked|7|proto=TCP src=10.0.0.1 "
		    "spt=1 UNIFIutcTime=2026-11-21T01:00:03.250Z msg=a\\=b" },
	};
	struct fx	*fx;
	size_t		 i, n;
	char		 buf[1024];

	(void)unused;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fx = fx_new(cases[i].p);
		assert_int_equal(parse(fx, cases[i].line), 1);
		for (n = 0; n <= strlen(cases[i].line); n++) {
			memcpy(buf, cases[i].line, n);
			buf[n] = '\0';
			parse(fx, buf);
		}
		fx_free(fx);
	}
}

/* "auto": early decision, dataset, staying, then switching. */
static void
test_auto(void **unused)
{
	struct fx			*fx = fx_new(&parser_auto);
	const struct parser_stats	*ps;
	char				 line[512];
	int				 i;

	(void)unused;
	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "<166>Nov 21 09:00:%02d fw1 "
		    "%%ASA-6-106015: Deny TCP (no connection) from "
		    "10.0.0.5/%d to 192.0.2.80/443 flags RST  on interface "
		    "inside", i, 1000 + i);
		assert_int_equal(parse(fx, line), 1);
		field_is(fx, RF_EVENT_DATASET, "firewall.cisco_asa");
	}
	ps = fx->p->stats(fx->st);
	assert_non_null(ps->format);
	assert_string_equal(ps->format, "cisco_asa");
	assert_int_equal(ps->events, 4);

	/* Lines of no format: ignored, and after a while re-checked. */
	for (i = 0; i < 70; i++)
		assert_int_equal(parse(fx, "hello, world"), 0);
	assert_string_equal(ps->format, "cisco_asa");

	/* The source now carries pfSense's filterlog. */
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof line, "Nov 21 10:00:%02d fw filterlog"
		    "[1]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,0,0,DF,"
		    "6,tcp,60,198.51.100.7,203.0.113.1,%d,22,0,S,1,,64240,,mss",
		    i, 4000 + i);
		parse(fx, line);
	}
	ps = fx->p->stats(fx->st);
	assert_string_equal(ps->format, "pfsense");
	assert_int_equal(ps->switches, 1);
	assert_int_equal(parse(fx, line), 1);
	field_is(fx, RF_EVENT_DATASET, "firewall.pfsense");
	field_is(fx, RF_SOURCE_PORT, "4019");
	fx_free(fx);

	/* Nothing recognisable: undecided, lines are not events. */
	fx = fx_new(&parser_auto);
	for (i = 0; i < 40; i++)
		assert_int_equal(parse(fx, "just some text"), 0);
	assert_null(fx->p->stats(fx->st)->format);
	fx_free(fx);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_asa_direction),
		cmocka_unit_test(test_asa_time),
		cmocka_unit_test(test_paloalto),
		cmocka_unit_test(test_srx_plain),
		cmocka_unit_test(test_mikrotik),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_auto),
	};

	log_init("test_firewall", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
