/*
 * sonicwall.c: SonicWall (SonicOS) syslog in its default key=value form,
 * behind a syslog header or bare:
 *
 *	id=firewall sn=0017C5000000 time="2026-11-21 10:00:00 UTC"
 *	    fw=203.0.113.1 pri=6 c=262144 m=98 msg="Connection Opened"
 *	    n=1234 src=10.0.0.5:50000:X0 dst=192.0.2.10:443:X1 proto=tcp/https
 *
 * A line is SonicWall's when it has id=, sn= and m=.  event.code is the
 * message id (m=), event.action fw_action= when the device writes it,
 * event.type from it or from msg= ("...dropped", "...denied"), and a
 * log-in message (msg= naming a login that was denied, failed or
 * allowed) sets event.outcome.  src= and dst= are "ip:port:interface[:
 * name]" (srcV6=/dstV6= carry IPv6 addresses); proto= is "tcp/443" or a
 * bare name; time= is the device's time (zone "UTC" when printed, else
 * the source's zone), preferred to the syslog header's year-less one.
 * Web events give url.domain (dstname=) and url.path (arg=).  This
 * module never allocates per line.
 */
#include <string.h>

#include "fw.h"

struct sw_state {
	struct fw_state	fw;
};

enum {
	WK_NONE = 0, WK_ID, WK_SN, WK_TIME, WK_M, WK_MSG, WK_SRC, WK_DST,
	WK_SRCV6, WK_DSTV6, WK_PROTO, WK_RULE, WK_USR, WK_USER, WK_SENT,
	WK_RCVD, WK_APPNAME, WK_DSTNAME, WK_ARG, WK_FWACTION, WK_NOTE, WK_MAX
};

/* Keys sorted by length, then bytes (fw_key_lookup). */
static const struct fw_key sw_keys[] = {
	FW_KEY("m", WK_M),
	FW_KEY("id", WK_ID),
	FW_KEY("sn", WK_SN),
	FW_KEY("arg", WK_ARG),
	FW_KEY("dst", WK_DST),
	FW_KEY("msg", WK_MSG),
	FW_KEY("src", WK_SRC),
	FW_KEY("usr", WK_USR),
	FW_KEY("note", WK_NOTE),
	FW_KEY("rcvd", WK_RCVD),
	FW_KEY("rule", WK_RULE),
	FW_KEY("sent", WK_SENT),
	FW_KEY("time", WK_TIME),
	FW_KEY("user", WK_USER),
	FW_KEY("dstV6", WK_DSTV6),
	FW_KEY("proto", WK_PROTO),
	FW_KEY("srcV6", WK_SRCV6),
	FW_KEY("appName", WK_APPNAME),
	FW_KEY("dstname", WK_DSTNAME),
	FW_KEY("fw_action", WK_FWACTION),
};

#define SW_NKEYS	(sizeof sw_keys / sizeof sw_keys[0])

/*
 * "ip:port:iface[:name]" into the fields of one side; v6 (srcV6=) holds
 * the address when the device logs IPv6.
 */
static void
sw_endpoint(struct record *rec, struct span v, struct span v6, bool src)
{
	struct fw_cur	c = { v.p, v.p + v.len };
	struct span	ip, port = SPAN_NULL, ifc = SPAN_NULL;

	if (!fw_until(&c, ':', &ip)) {
		ip = v;
		c.p = c.end;
	} else if (!fw_until(&c, ':', &port)) {
		port.p = c.p;
		port.len = (size_t)(c.end - c.p);
		c.p = c.end;
	} else if (!fw_until(&c, ':', &ifc)) {
		ifc.p = c.p;
		ifc.len = (size_t)(c.end - c.p);
	}
	if (!fw_set_ip(rec, src ? RF_SOURCE_IP : RF_DESTINATION_IP, ip))
		fw_set_ip(rec, src ? RF_SOURCE_IP : RF_DESTINATION_IP, v6);
	fw_set_port(rec, src ? RF_SOURCE_PORT : RF_DESTINATION_PORT, port);
	fw_set_str(rec, src ? RF_OBSERVER_INGRESS_INTERFACE :
	    RF_OBSERVER_EGRESS_INTERFACE, ifc);
}

/* "2026-11-21 10:00:00[ UTC]" as @timestamp; false if not a time. */
static bool
sw_time(struct sw_state *st, struct record *rec, struct span t)
{
	struct span	d, clk, z;
	int		y, m, day, h, mi, s;
	int64_t		us;
	uint8_t		digits;
	int32_t		off;

	if (t.len < 19)
		return false;
	d.p = t.p;
	d.len = 10;
	clk.p = t.p + 11;
	clk.len = 8;
	if (!fw_date(d, &y, &m, &day) ||
	    !fw_clock(clk, &h, &mi, &s, &us, &digits))
		return false;
	z.p = t.p + 19;
	z.len = t.len - 19;
	fw_set_time(&st->fw, rec, y, m, day, h, mi, s, 0, 0,
	    fw_zone(z, &off) ? &off : NULL);
	rec->flags &= ~REC_NO_YEAR;
	return true;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
sw_parse_line(struct sw_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct span		 v[WK_MAX], k, val, body, proto, port;
	struct fw_cur		 c;
	const char		*slash;
	int			 have_hdr, id, cls;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	if (fw_memmem(body, "sn=", 3) == NULL ||
	    fw_memmem(body, " m=", 3) == NULL)
		return 0;
	memset(v, 0, sizeof v);
	c.p = body.p;
	c.end = body.p + body.len;
	while (fw_kv_next(&c, &k, &val))
		if ((id = fw_key_find(&st->fw, k)) != WK_NONE &&
		    v[id].p == NULL)
			v[id] = val;
	if (v[WK_ID].p == NULL || v[WK_SN].p == NULL || v[WK_M].p == NULL)
		return 0;

	if (have_hdr)
		syslog_to_record(&hdr, rec);
	else
		record_set(rec, RF_MESSAGE, line, len);
	sw_time(st, rec, v[WK_TIME]);
	if (!have_hdr || hdr.host.len == 0)
		fw_set_str(rec, RF_HOST_HOSTNAME, v[WK_ID]);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.sonicwall");
	fw_set_num(rec, RF_EVENT_CODE, v[WK_M]);
	sw_endpoint(rec, v[WK_SRC], v[WK_SRCV6], true);
	sw_endpoint(rec, v[WK_DST], v[WK_DSTV6], false);
	/* proto=tcp/443, proto=udp/dns, proto=icmp */
	proto = v[WK_PROTO];
	if (proto.len > 0 &&
	    (slash = memchr(proto.p, '/', proto.len)) != NULL) {
		port.p = slash + 1;
		port.len = (size_t)(proto.p + proto.len - port.p);
		proto.len = (size_t)(slash - proto.p);
		if (!record_has(rec, RF_DESTINATION_PORT))
			fw_set_port(rec, RF_DESTINATION_PORT, port);
		if (!fw_num_ok(port))
			fw_set_str(rec, RF_NETWORK_PROTOCOL, port);
	}
	fw_set_transport(&st->fw, rec, proto);
	fw_set_str(rec, RF_RULE_NAME, v[WK_RULE]);
	fw_set_str(rec, RF_USER_NAME, v[WK_USR]);
	if (!record_has(rec, RF_USER_NAME))
		fw_set_str(rec, RF_USER_NAME, v[WK_USER]);
	fw_set_num(rec, RF_SOURCE_BYTES, v[WK_SENT]);
	fw_set_num(rec, RF_DESTINATION_BYTES, v[WK_RCVD]);
	fw_set_str(rec, RF_NETWORK_APPLICATION, v[WK_APPNAME]);
	fw_set_str(rec, RF_URL_DOMAIN, v[WK_DSTNAME]);
	if (v[WK_ARG].len > 0 && v[WK_ARG].p[0] == '/')
		record_set(rec, RF_URL_PATH, v[WK_ARG].p, v[WK_ARG].len);
	fw_set_str(rec, RF_EVENT_REASON, v[WK_MSG]);

	cls = 0;
	if (v[WK_FWACTION].len > 0 && !fw_ieq(v[WK_FWACTION], "NA"))
		cls = fw_set_action(&st->fw, rec, v[WK_FWACTION]);
	if (cls == 0) {
		if (fw_memmem(v[WK_MSG], "dropped", 7) != NULL ||
		    fw_memmem(v[WK_MSG], "denied", 6) != NULL ||
		    fw_memmem(v[WK_MSG], "blocked", 7) != NULL)
			fw_set_type(rec, FW_DENIED);
		else if (fw_memmem(v[WK_MSG], "allowed", 7) != NULL)
			fw_set_type(rec, FW_ALLOWED);
	}
	if (fw_memmem(v[WK_MSG], "ogin", 4) != NULL) {
		if (fw_memmem(v[WK_MSG], "denied", 6) != NULL ||
		    fw_memmem(v[WK_MSG], "ail", 3) != NULL)
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		else if (fw_memmem(v[WK_MSG], "allowed", 7) != NULL ||
		    fw_memmem(v[WK_MSG], "succe", 5) != NULL)
			record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	}
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
sw_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct sw_state), sw_keys,
	    SW_NKEYS);
}

/* Parse one SonicWall line into rec: 1 event, 0 not one. */
static int
sw_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct sw_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, sw_parse_line(st, line, len, rec));
}

const struct parser parser_sonicwall = {
	.name = "sonicwall",
	.dataset = "firewall.sonicwall",
	.description = "SonicWall SonicOS syslog (key=value, id=firewall)",
	.state_new = sw_state_new,
	.state_free = fw_state_free,
	.parse = sw_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
