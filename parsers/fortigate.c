/*
 * fortigate.c: FortiGate (FortiOS) key=value logs, traffic, UTM (web
 * filter, IPS, antivirus, application control) and event logs (VPN,
 * user, system), behind a syslog header, a bare "<PRI>" or nothing:
 *
 *	date=2026-11-21 time=10:00:00 devname="fgt1" logid="0000000013"
 *	    type="traffic" subtype="forward" srcip=10.0.0.5 srcport=50000
 *	    dstip=192.0.2.10 dstport=443 proto=6 action="accept" ...
 *
 * A line is a FortiGate log when it carries logid= (log_id= in FortiOS
 * 4, whose src=, dst=, src_port=, dst_port=, sent=, rcvd= and status=
 * are read too) and type=; anything else is not an event.  The time is
 * date= and time= in the zone tz= ("-0500") when given, else in the
 * source's zone.  Addresses, ports,
 * NAT (transip), bytes (sentbyte/rcvdbyte), duration, policy, service,
 * application, interfaces, user (user=, or the VPN user of remip=),
 * URL (hostname= and url=) become the event's fields; event.action is
 * FortiOS's action word and event.outcome says whether a log-in or a
 * tunnel failed.  Values are borrowed from the line; quoted values keep
 * any \" inside as written.  This module never allocates per line.
 */
#include <string.h>

#include "fw.h"

struct fgt_state {
	struct fw_state	fw;
};

/* What a key means; one table, looked up by length then bytes. */
enum fgt_key {
	FK_NONE = 0, FK_DATE, FK_TIME, FK_TZ, FK_DEVNAME, FK_LOGID, FK_TYPE,
	FK_SUBTYPE, FK_SRCIP, FK_SRCPORT, FK_DSTIP, FK_DSTPORT, FK_PROTO,
	FK_ACTION, FK_POLICYID, FK_POLICYNAME, FK_SERVICE, FK_APP,
	FK_SENTBYTE, FK_RCVDBYTE, FK_DURATION, FK_SRCINTF, FK_DSTINTF,
	FK_USER, FK_TRANSIP, FK_HOSTNAME, FK_URL, FK_MSG, FK_REMIP,
	FK_REASON, FK_STATUS, FK_EVENTTIME, FK_ATTACK, FK_VIRUS, FK_LOCIP,
	FK_DSTUSER, FK_XAUTHUSER, FK_MAX
};

/* Keys sorted by length, then bytes (fw_key_lookup). */
static const struct fw_key fgt_keys[] = {
	FW_KEY("tz", FK_TZ),
	FW_KEY("app", FK_APP),
	FW_KEY("dst", FK_DSTIP),
	FW_KEY("msg", FK_MSG),
	FW_KEY("src", FK_SRCIP),
	FW_KEY("url", FK_URL),
	FW_KEY("date", FK_DATE),
	FW_KEY("rcvd", FK_RCVDBYTE),
	FW_KEY("sent", FK_SENTBYTE),
	FW_KEY("time", FK_TIME),
	FW_KEY("type", FK_TYPE),
	FW_KEY("user", FK_USER),
	FW_KEY("dstip", FK_DSTIP),
	FW_KEY("locip", FK_LOCIP),
	FW_KEY("logid", FK_LOGID),
	FW_KEY("proto", FK_PROTO),
	FW_KEY("remip", FK_REMIP),
	FW_KEY("srcip", FK_SRCIP),
	FW_KEY("virus", FK_VIRUS),
	FW_KEY("action", FK_ACTION),
	FW_KEY("attack", FK_ATTACK),
	FW_KEY("log_id", FK_LOGID),
	FW_KEY("reason", FK_REASON),
	FW_KEY("status", FK_STATUS),
	FW_KEY("devname", FK_DEVNAME),
	FW_KEY("dstintf", FK_DSTINTF),
	FW_KEY("dstport", FK_DSTPORT),
	FW_KEY("dstuser", FK_DSTUSER),
	FW_KEY("service", FK_SERVICE),
	FW_KEY("srcintf", FK_SRCINTF),
	FW_KEY("srcport", FK_SRCPORT),
	FW_KEY("subtype", FK_SUBTYPE),
	FW_KEY("transip", FK_TRANSIP),
	FW_KEY("dst_port", FK_DSTPORT),
	FW_KEY("duration", FK_DURATION),
	FW_KEY("hostname", FK_HOSTNAME),
	FW_KEY("policyid", FK_POLICYID),
	FW_KEY("rcvdbyte", FK_RCVDBYTE),
	FW_KEY("sentbyte", FK_SENTBYTE),
	FW_KEY("src_port", FK_SRCPORT),
	FW_KEY("eventtime", FK_EVENTTIME),
	FW_KEY("xauthuser", FK_XAUTHUSER),
	FW_KEY("policyname", FK_POLICYNAME)
};

#define FGT_NKEYS	(sizeof fgt_keys / sizeof fgt_keys[0])

/* Traffic-log actions that end a session the policy allowed. */
static const char *const fgt_ended[] = {
	"close", "timeout", "server-rst", "client-rst", "dns", "ip-conn",
	"start", NULL
};

/* Set @timestamp from date=, time= and tz= (or the source's zone). */
static void
fgt_time(struct fgt_state *st, struct record *rec, struct span date,
    struct span clock, struct span zone, struct span epoch)
{
	int		y, m, d, h, mi, s;
	int64_t		us;
	uint8_t		digits;
	int32_t		off;
	uint64_t	v;

	if (fw_date(date, &y, &m, &d) &&
	    fw_clock(clock, &h, &mi, &s, &us, &digits)) {
		fw_set_time(&st->fw, rec, y, m, d, h, mi, s, us, digits,
		    fw_zone(zone, &off) ? &off : NULL);
		return;
	}
	/* eventtime: seconds, or nanoseconds since FortiOS 6.2. */
	if (span_to_u64(epoch, &v)) {
		while (v > 100000000000ULL)
			v /= 1000;
		fw_set_epoch(rec, (int64_t)v);
	}
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
fgt_parse_line(struct fgt_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct span		 v[FK_MAX], k, val, body;
	struct fw_cur		 c;
	int			 id;
	const char		*p;
	size_t			 i;
	uint64_t		 n;
	int			 have_hdr;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	/* A bare "<189>" in front of the key=value list. */
	if (!have_hdr && body.len > 0 && body.p[0] == '<' &&
	    (p = memchr(body.p, '>', body.len < 5 ? body.len : 5)) != NULL) {
		body.len -= (size_t)(p + 1 - body.p);
		body.p = p + 1;
	}
	if ((fw_memmem(body, "logid=", 6) == NULL &&
	    fw_memmem(body, "log_id=", 7) == NULL) ||
	    fw_memmem(body, "type=", 5) == NULL)
		return 0;

	memset(v, 0, sizeof v);
	c.p = body.p;
	c.end = body.p + body.len;
	while (fw_kv_next(&c, &k, &val)) {
		id = fw_key_find(&st->fw, k);
		if (id != FK_NONE && v[id].p == NULL)
			v[id] = val;
	}
	if (v[FK_LOGID].p == NULL || v[FK_TYPE].p == NULL)
		return 0;

	if (have_hdr)
		syslog_to_record(&hdr, rec);
	else
		record_set(rec, RF_MESSAGE, body.p, body.len);
	fgt_time(st, rec, v[FK_DATE], v[FK_TIME], v[FK_TZ], v[FK_EVENTTIME]);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.fortigate");
	fw_set_str(rec, RF_HOST_HOSTNAME, v[FK_DEVNAME]);
	fw_set_str(rec, RF_EVENT_CODE, v[FK_LOGID]);
	if (!fw_set_ip(rec, RF_SOURCE_IP, v[FK_SRCIP]))
		fw_set_ip(rec, RF_SOURCE_IP, v[FK_REMIP]);
	fw_set_port(rec, RF_SOURCE_PORT, v[FK_SRCPORT]);
	if (!fw_set_ip(rec, RF_DESTINATION_IP, v[FK_DSTIP]))
		fw_set_ip(rec, RF_DESTINATION_IP, v[FK_LOCIP]);
	fw_set_port(rec, RF_DESTINATION_PORT, v[FK_DSTPORT]);
	fw_set_transport(&st->fw, rec, v[FK_PROTO]);
	fw_set_ip(rec, RF_SOURCE_NAT_IP, v[FK_TRANSIP]);
	fw_set_num(rec, RF_SOURCE_BYTES, v[FK_SENTBYTE]);
	fw_set_num(rec, RF_DESTINATION_BYTES, v[FK_RCVDBYTE]);
	if (span_to_u64(v[FK_DURATION], &n))
		fw_set_duration(&st->fw, rec, n, 0);
	fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v[FK_SRCINTF]);
	fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE, v[FK_DSTINTF]);
	fw_set_num(rec, RF_RULE_ID, v[FK_POLICYID]);
	fw_set_str(rec, RF_RULE_NAME, v[FK_POLICYNAME]);
	/* A UTM log names what it matched: the attack or the virus. */
	if (!record_has(rec, RF_RULE_NAME))
		fw_set_str(rec, RF_RULE_NAME, v[FK_ATTACK]);
	if (!record_has(rec, RF_RULE_NAME))
		fw_set_str(rec, RF_RULE_NAME, v[FK_VIRUS]);
	fw_set_str(rec, RF_NETWORK_PROTOCOL, v[FK_SERVICE]);
	fw_set_str(rec, RF_NETWORK_APPLICATION, v[FK_APP]);
	fw_set_str(rec, RF_USER_NAME, v[FK_USER]);
	if (!record_has(rec, RF_USER_NAME))
		fw_set_str(rec, RF_USER_NAME, v[FK_XAUTHUSER]);
	if (!record_has(rec, RF_USER_NAME))
		fw_set_str(rec, RF_USER_NAME, v[FK_DSTUSER]);
	fw_set_url(rec, v[FK_URL]);
	fw_set_str(rec, RF_URL_DOMAIN, v[FK_HOSTNAME]);
	fw_set_str(rec, RF_EVENT_REASON, v[FK_REASON]);
	if (!record_has(rec, RF_EVENT_REASON))
		fw_set_str(rec, RF_EVENT_REASON, v[FK_MSG]);

	/* FortiOS 4 wrote the verdict as status=. */
	if (v[FK_ACTION].p == NULL && fw_verdict(v[FK_STATUS]) != 0)
		v[FK_ACTION] = v[FK_STATUS];
	if (fw_set_action(&st->fw, rec, v[FK_ACTION]) == 0 &&
	    span_eq(v[FK_TYPE], "traffic"))
		for (i = 0; fgt_ended[i] != NULL; i++)
			if (span_eq(v[FK_ACTION], fgt_ended[i]))
				fw_set_type(rec, FW_ALLOWED);
	/* Log-ins and tunnels: "ssl-login-fail", status="failure". */
	if (fw_memmem(v[FK_ACTION], "fail", 4) != NULL ||
	    fw_ieq(v[FK_STATUS], "failure") || fw_ieq(v[FK_STATUS], "failed"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else if (fw_ieq(v[FK_STATUS], "success") ||
	    span_eq(v[FK_ACTION], "tunnel-up"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
fgt_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct fgt_state), fgt_keys,
	    FGT_NKEYS);
}

/* Parse one FortiGate line into rec: 1 event, 0 not one. */
static int
fgt_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct fgt_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, fgt_parse_line(st, line, len, rec));
}

const struct parser parser_fortigate = {
	.name = "fortigate",
	.dataset = "firewall.fortigate",
	.description = "FortiGate traffic, UTM and event logs (key=value)",
	.state_new = fgt_state_new,
	.state_free = fw_state_free,
	.parse = fgt_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
