/*
 * sophos_xg.c: Sophos XG / Sophos Firewall (SFOS) syslog, key=value:
 *
 *	device="SFW" date=2026-11-21 time=10:00:00 timezone="JST"
 *	    device_name="XG230" log_id=010101600001 log_type="Firewall"
 *	    log_component="Firewall Rule" log_subtype="Allowed" ...
 *	    src_ip=10.0.0.5 dst_ip=192.0.2.10 protocol="TCP" src_port=50000
 *
 * and the SFOS 19+ form with timestamp="2026-11-21T10:00:00+0900".  A
 * line is Sophos's when it has log_id= and log_type=.  The one parser
 * reads the firewall, IPS, ATP, web (Content Filtering, dataset
 * proxy.sophos_xg) and e-mail (Anti-Spam, mail.sophos_xg) logs.
 * event.action is log_subtype in lower case ("allowed", "denied",
 * "drop"), event.code the log id, rule.id the IPS signature or the
 * firewall rule, rule.name the signature or threat name.  Zone names
 * in timezone= are read when unambiguous (CEST, JST; not CST), else the
 * source's zone applies.  This module never allocates per line.
 */
#include <string.h>

#include "fw.h"

struct sxg_state {
	struct fw_state	fw;
};

enum {
	XK_NONE = 0, XK_DATE, XK_TIME, XK_TIMEZONE, XK_TIMESTAMP,
	XK_DEVICE_NAME, XK_LOG_ID, XK_LOG_TYPE, XK_LOG_COMPONENT,
	XK_LOG_SUBTYPE, XK_STATUS, XK_FW_RULE_ID, XK_USER_NAME, XK_SRC_IP,
	XK_DST_IP, XK_SOURCEIP, XK_DESTINATIONIP, XK_PROTOCOL, XK_SRC_PORT,
	XK_DST_PORT, XK_SENT_BYTES, XK_RECV_BYTES, XK_IN_IF, XK_OUT_IF,
	XK_TRAN_SRC_IP, XK_URL, XK_DOMAIN, XK_USER_AGENT, XK_HTTP_CODE,
	XK_FROM, XK_TO, XK_SUBJECT, XK_SIG_ID, XK_SIG_MSG, XK_THREAT,
	XK_APPLICATION, XK_REASON, XK_MESSAGE, XK_FW_RULE_NAME, XK_MAX
};

/* Keys sorted by length, then bytes (fw_key_lookup). */
static const struct fw_key sxg_keys[] = {
	FW_KEY("url", XK_URL),
	FW_KEY("date", XK_DATE),
	FW_KEY("time", XK_TIME),
	FW_KEY("domain", XK_DOMAIN),
	FW_KEY("dst_ip", XK_DST_IP),
	FW_KEY("log_id", XK_LOG_ID),
	FW_KEY("reason", XK_REASON),
	FW_KEY("src_ip", XK_SRC_IP),
	FW_KEY("status", XK_STATUS),
	FW_KEY("message", XK_MESSAGE),
	FW_KEY("dst_port", XK_DST_PORT),
	FW_KEY("log_type", XK_LOG_TYPE),
	FW_KEY("protocol", XK_PROTOCOL),
	FW_KEY("sourceip", XK_SOURCEIP),
	FW_KEY("src_port", XK_SRC_PORT),
	FW_KEY("timezone", XK_TIMEZONE),
	FW_KEY("timestamp", XK_TIMESTAMP),
	FW_KEY("user_name", XK_USER_NAME),
	FW_KEY("bytes_sent", XK_SENT_BYTES),
	FW_KEY("fw_rule_id", XK_FW_RULE_ID),
	FW_KEY("recv_bytes", XK_RECV_BYTES),
	FW_KEY("sent_bytes", XK_SENT_BYTES),
	FW_KEY("threatname", XK_THREAT),
	FW_KEY("user_agent", XK_USER_AGENT),
	FW_KEY("application", XK_APPLICATION),
	FW_KEY("device_name", XK_DEVICE_NAME),
	FW_KEY("log_subtype", XK_LOG_SUBTYPE),
	FW_KEY("tran_src_ip", XK_TRAN_SRC_IP),
	FW_KEY("fw_rule_name", XK_FW_RULE_NAME),
	FW_KEY("in_interface", XK_IN_IF),
	FW_KEY("signature_id", XK_SIG_ID),
	FW_KEY("destinationip", XK_DESTINATIONIP),
	FW_KEY("email_subject", XK_SUBJECT),
	FW_KEY("log_component", XK_LOG_COMPONENT),
	FW_KEY("out_interface", XK_OUT_IF),
	FW_KEY("signature_msg", XK_SIG_MSG),
	FW_KEY("bytes_received", XK_RECV_BYTES),
	FW_KEY("httpresponsecode", XK_HTTP_CODE),
	FW_KEY("to_email_address", XK_TO),
	FW_KEY("from_email_address", XK_FROM)
};

#define SXG_NKEYS	(sizeof sxg_keys / sizeof sxg_keys[0])

/* @timestamp from timestamp= (ISO) or date=, time= and timezone=. */
static void
sxg_time(struct sxg_state *st, struct record *rec, struct span *v)
{
	int		y, m, d, h, mi, s;
	int64_t		us, ts;
	uint8_t		digits;
	int32_t		off;

	if (v[XK_TIMESTAMP].len > 0 && iso8601_parse(v[XK_TIMESTAMP].p,
	    v[XK_TIMESTAMP].len, st->fw.ctx.tz, &ts, &off, &digits) > 0) {
		rec->ts_us = ts;
		rec->tz_off = off;
		rec->ts_digits = digits;
		rec->has_ts = true;
		rec->flags &= ~REC_NO_YEAR;
		return;
	}
	if (!fw_date(v[XK_DATE], &y, &m, &d) ||
	    !fw_clock(v[XK_TIME], &h, &mi, &s, &us, &digits))
		return;
	fw_set_time(&st->fw, rec, y, m, d, h, mi, s, us, digits,
	    fw_zone(v[XK_TIMEZONE], &off) ? &off : NULL);
	rec->flags &= ~REC_NO_YEAR;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
sxg_parse_line(struct sxg_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	hdr;
	struct span		v[XK_MAX], k, val, body, t;
	struct fw_cur		c;
	int			have_hdr, id;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	if (fw_memmem(body, "log_id=", 7) == NULL)
		return 0;
	memset(v, 0, sizeof v);
	c.p = body.p;
	c.end = body.p + body.len;
	while (fw_kv_next(&c, &k, &val))
		if ((id = fw_key_find(&st->fw, k)) != XK_NONE &&
		    v[id].p == NULL)
			v[id] = val;
	if (v[XK_LOG_ID].p == NULL || v[XK_LOG_TYPE].p == NULL)
		return 0;

	if (have_hdr)
		syslog_to_record(&hdr, rec);
	else
		record_set(rec, RF_MESSAGE, line, len);
	sxg_time(st, rec, v);
	t = v[XK_LOG_TYPE];
	if (span_eq(t, "Content Filtering"))
		record_set_lit(rec, RF_EVENT_DATASET, "proxy.sophos_xg");
	else if (span_eq(t, "Anti-Spam") || v[XK_FROM].len > 0)
		record_set_lit(rec, RF_EVENT_DATASET, "mail.sophos_xg");
	else
		record_set_lit(rec, RF_EVENT_DATASET, "firewall.sophos_xg");
	fw_set_str(rec, RF_HOST_HOSTNAME, v[XK_DEVICE_NAME]);
	fw_set_str(rec, RF_EVENT_CODE, v[XK_LOG_ID]);
	if (!fw_set_ip(rec, RF_SOURCE_IP, v[XK_SRC_IP]))
		fw_set_ip(rec, RF_SOURCE_IP, v[XK_SOURCEIP]);
	if (!fw_set_ip(rec, RF_DESTINATION_IP, v[XK_DST_IP]))
		fw_set_ip(rec, RF_DESTINATION_IP, v[XK_DESTINATIONIP]);
	if (!span_eq(v[XK_SRC_PORT], "0"))
		fw_set_port(rec, RF_SOURCE_PORT, v[XK_SRC_PORT]);
	if (!span_eq(v[XK_DST_PORT], "0"))
		fw_set_port(rec, RF_DESTINATION_PORT, v[XK_DST_PORT]);
	fw_set_transport(&st->fw, rec, v[XK_PROTOCOL]);
	fw_set_num(rec, RF_SOURCE_BYTES, v[XK_SENT_BYTES]);
	fw_set_num(rec, RF_DESTINATION_BYTES, v[XK_RECV_BYTES]);
	fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v[XK_IN_IF]);
	fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE, v[XK_OUT_IF]);
	fw_set_ip(rec, RF_SOURCE_NAT_IP, v[XK_TRAN_SRC_IP]);
	fw_set_str(rec, RF_USER_NAME, v[XK_USER_NAME]);
	if (!fw_set_num(rec, RF_RULE_ID, v[XK_SIG_ID]))
		fw_set_num(rec, RF_RULE_ID, v[XK_FW_RULE_ID]);
	fw_set_str(rec, RF_RULE_NAME, v[XK_SIG_MSG]);
	if (!record_has(rec, RF_RULE_NAME))
		fw_set_str(rec, RF_RULE_NAME, v[XK_THREAT]);
	if (!record_has(rec, RF_RULE_NAME))
		fw_set_str(rec, RF_RULE_NAME, v[XK_FW_RULE_NAME]);
	fw_set_str(rec, RF_NETWORK_APPLICATION, v[XK_APPLICATION]);
	fw_set_url(rec, v[XK_URL]);
	fw_set_str(rec, RF_URL_DOMAIN, v[XK_DOMAIN]);
	/* A user agent is kept byte for byte, trailing space and all. */
	record_set(rec, RF_USER_AGENT_ORIGINAL, v[XK_USER_AGENT].p,
	    v[XK_USER_AGENT].len);
	fw_set_num(rec, RF_HTTP_RESPONSE_STATUS_CODE, v[XK_HTTP_CODE]);
	fw_set_str(rec, RF_EMAIL_FROM_ADDRESS, v[XK_FROM]);
	fw_set_str(rec, RF_EMAIL_TO_ADDRESS, v[XK_TO]);
	fw_set_str(rec, RF_EMAIL_SUBJECT, v[XK_SUBJECT]);
	fw_set_str(rec, RF_EVENT_REASON, v[XK_REASON]);
	if (!record_has(rec, RF_EVENT_REASON))
		fw_set_str(rec, RF_EVENT_REASON, v[XK_MESSAGE]);
	fw_set_action(&st->fw, rec, v[XK_LOG_SUBTYPE]);
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
sxg_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct sxg_state), sxg_keys,
	    SXG_NKEYS);
}

/* Parse one Sophos line into rec: 1 event, 0 not one. */
static int
sxg_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct sxg_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, sxg_parse_line(st, line, len, rec));
}

const struct parser parser_sophos_xg = {
	.name = "sophos_xg",
	.dataset = "firewall.sophos_xg",
	.description = "Sophos XG / SFOS firewall, IPS, web and mail logs",
	.state_new = sxg_state_new,
	.state_free = fw_state_free,
	.parse = sxg_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
