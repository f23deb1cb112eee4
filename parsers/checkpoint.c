/*
 * checkpoint.c: Check Point gateways' logs as Log Exporter sends them,
 * in its "syslog" form (RFC 5424 with the fields in one bracket, written
 * key:"value"; and often without the "<PRI>") and in CEF:
 *
 *	<134>1 2026-11-21T10:00:00Z gw1 CheckPoint 1930 - [action:"Drop";
 *	    ifdir:"inbound"; ifname:"eth0"; src:"198.51.100.7";
 *	    dst:"192.0.2.10"; proto:"6"; s_port:"4444"; service:"22"; ...]
 *	CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|Drop|...|src=...
 *
 * A line is Check Point's when its application is "CheckPoint" or its
 * CEF vendor is Check Point.  Fields: src, dst, s_port, service (the
 * destination port), proto, action, rule_name (or rule), rule_uid,
 * xlatesrc, the user names (user, src_user_name), interface and
 * direction (ifname, ifdir), bytes (client_outbound_bytes,
 * server_outbound_bytes), resource (URL filtering) and auth_status
 * (log-ins).  Values keep their escapes (\" \]) as written.  This module
 * never allocates per line.
 */
#include <string.h>

#include "fw.h"

struct cp_state {
	struct fw_state	fw;
};

enum {
	CK_NONE = 0, CK_ACTION, CK_SRC, CK_DST, CK_SPORT, CK_SERVICE,
	CK_PROTO, CK_RULE_NAME, CK_RULE, CK_RULE_UID, CK_XLATESRC, CK_USER,
	CK_SRC_USER, CK_IFNAME, CK_IFDIR, CK_CBYTES, CK_SBYTES, CK_RESOURCE,
	CK_AUTH_STATUS, CK_PRODUCT, CK_SERVICE_ID, CK_TIME, CK_MAX
};

/* Keys sorted by length, then bytes (fw_key_lookup). */
static const struct fw_key cp_keys[] = {
	FW_KEY("dst", CK_DST),
	FW_KEY("src", CK_SRC),
	FW_KEY("rule", CK_RULE),
	FW_KEY("time", CK_TIME),
	FW_KEY("user", CK_USER),
	FW_KEY("ifdir", CK_IFDIR),
	FW_KEY("proto", CK_PROTO),
	FW_KEY("action", CK_ACTION),
	FW_KEY("ifname", CK_IFNAME),
	FW_KEY("s_port", CK_SPORT),
	FW_KEY("product", CK_PRODUCT),
	FW_KEY("service", CK_SERVICE),
	FW_KEY("resource", CK_RESOURCE),
	FW_KEY("rule_uid", CK_RULE_UID),
	FW_KEY("xlatesrc", CK_XLATESRC),
	FW_KEY("rule_name", CK_RULE_NAME),
	FW_KEY("service_id", CK_SERVICE_ID),
	FW_KEY("auth_status", CK_AUTH_STATUS),
	FW_KEY("src_user_name", CK_SRC_USER),
	FW_KEY("client_outbound_bytes", CK_CBYTES),
	FW_KEY("server_outbound_bytes", CK_SBYTES),
};

#define CP_NKEYS	(sizeof cp_keys / sizeof cp_keys[0])

/* Fill rec from the collected values v. */
static void
cp_fields(struct cp_state *st, struct record *rec, struct span *v)
{
	uint64_t	n;

	fw_set_ip(rec, RF_SOURCE_IP, v[CK_SRC]);
	fw_set_ip(rec, RF_DESTINATION_IP, v[CK_DST]);
	fw_set_port(rec, RF_SOURCE_PORT, v[CK_SPORT]);
	fw_set_port(rec, RF_DESTINATION_PORT, v[CK_SERVICE]);
	fw_set_transport(&st->fw, rec, v[CK_PROTO]);
	fw_set_str(rec, RF_RULE_NAME, v[CK_RULE_NAME]);
	if (!record_has(rec, RF_RULE_NAME))
		fw_set_str(rec, RF_RULE_NAME, v[CK_RULE]);
	fw_set_str(rec, RF_RULE_ID, v[CK_RULE_UID]);
	fw_set_ip(rec, RF_SOURCE_NAT_IP, v[CK_XLATESRC]);
	fw_set_str(rec, RF_USER_NAME, v[CK_SRC_USER]);
	if (!record_has(rec, RF_USER_NAME))
		fw_set_str(rec, RF_USER_NAME, v[CK_USER]);
	fw_set_str(rec, span_eq(v[CK_IFDIR], "outbound") ?
	    RF_OBSERVER_EGRESS_INTERFACE : RF_OBSERVER_INGRESS_INTERFACE,
	    v[CK_IFNAME]);
	fw_set_num(rec, RF_SOURCE_BYTES, v[CK_CBYTES]);
	fw_set_num(rec, RF_DESTINATION_BYTES, v[CK_SBYTES]);
	fw_set_url(rec, v[CK_RESOURCE]);
	fw_set_str(rec, RF_NETWORK_PROTOCOL, v[CK_SERVICE_ID]);
	fw_set_action(&st->fw, rec, v[CK_ACTION]);
	if (fw_memmem(v[CK_AUTH_STATUS], "Fail", 4) != NULL)
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else if (fw_memmem(v[CK_AUTH_STATUS], "Success", 7) != NULL)
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	if (!rec->has_ts && span_to_u64(v[CK_TIME], &n) && n < 10000000000ULL)
		fw_set_epoch(rec, (int64_t)n);
}

/*
 * The bracket at the cursor: key:"value"; ... up to "]" or the end (a
 * cut line keeps what it has).  key::"value" is read the same way.
 */
static void
cp_bracket(struct cp_state *st, struct record *rec, struct fw_cur *c)
{
	struct span	 v[CK_MAX], k, val;
	const char	*p;
	int		 id;

	memset(v, 0, sizeof v);
	for (;;) {
		while (c->p < c->end && (*c->p == ' ' || *c->p == ';'))
			c->p++;
		if (c->p >= c->end || *c->p == ']')
			break;
		k.p = c->p;
		while (c->p < c->end && *c->p != ':' && *c->p != ' ' &&
		    *c->p != ']')
			c->p++;
		k.len = (size_t)(c->p - k.p);
		while (c->p < c->end && *c->p == ':')
			c->p++;
		if (c->p >= c->end || *c->p != '"') {
			/* Not key:"value": skip to the next "; ". */
			if ((p = memchr(c->p, ';', (size_t)(c->end - c->p))) ==
			    NULL)
				break;
			c->p = p + 1;
			continue;
		}
		val.p = ++c->p;
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\\' && c->end - c->p > 1)
				c->p++;
			c->p++;
		}
		val.len = (size_t)(c->p - val.p);
		if (c->p < c->end)
			c->p++;
		if ((id = fw_key_find(&st->fw, k)) != CK_NONE &&
		    v[id].p == NULL)
			v[id] = val;
	}
	cp_fields(st, rec, v);
}

/* CEF from Log Exporter: the standard keys. */
static void
cp_cef(struct cp_state *st, struct record *rec, const struct cef *cef)
{
	struct span	v[CK_MAX], k, val;
	struct fw_cur	c = { cef->ext.p, cef->ext.p + cef->ext.len };
	int		id;

	memset(v, 0, sizeof v);
	while (fw_cef_next(&c, &k, &val)) {
		fw_unescape(&st->fw, &val);
		id = CK_NONE;
		if (span_eq(k, "rt") && !rec->has_ts)
			fw_cef_time(&st->fw, rec, val);
		else if (span_eq(k, "src"))
			id = CK_SRC;
		else if (span_eq(k, "dst"))
			id = CK_DST;
		else if (span_eq(k, "spt"))
			id = CK_SPORT;
		else if (span_eq(k, "dpt"))
			id = CK_SERVICE;
		else if (span_eq(k, "proto"))
			id = CK_PROTO;
		else if (span_eq(k, "act"))
			id = CK_ACTION;
		else if (span_eq(k, "suser"))
			id = CK_SRC_USER;
		else if (span_eq(k, "request"))
			id = CK_RESOURCE;
		else if (span_eq(k, "sourceTranslatedAddress"))
			id = CK_XLATESRC;
		else if (span_eq(k, "deviceInboundInterface"))
			id = CK_IFNAME;
		if (id != CK_NONE && v[id].p == NULL)
			v[id] = val;
	}
	if (v[CK_ACTION].p == NULL)
		v[CK_ACTION] = cef->name;
	cp_fields(st, rec, v);
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
cp_parse_line(struct cp_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct cef		 cef;
	struct fw_cur		 c = { line, line + len };
	struct span		 w, host = SPAN_NULL, app = SPAN_NULL;
	const char		*p;
	int64_t			 ts;
	int32_t			 off;
	uint8_t			 digits;
	size_t			 n;

	if ((p = fw_cef_find(line, len)) != NULL) {
		if (!fw_cef_parse(p, (size_t)(line + len - p), &cef) ||
		    !fw_iprefix(cef.vendor, "Check Point"))
			return 0;
		if (syslog_parse(&st->fw.ctx, line, len, &hdr) == 0)
			syslog_to_record(&hdr, rec);
		record_set_lit(rec, RF_EVENT_DATASET, "firewall.checkpoint");
		cp_cef(st, rec, &cef);
		return 1;
	}
	if (syslog_parse(&st->fw.ctx, line, len, &hdr) == 0) {
		if (!span_eq(hdr.program, "CheckPoint"))
			return 0;
		syslog_to_record(&hdr, rec);
		/* The bracket is RFC 5424 structured data, before msg. */
		c.p = hdr.program.p + hdr.program.len;
		if ((p = memchr(c.p, '[', (size_t)(c.end - c.p))) != NULL)
			c.p = p;
	} else {
		/* RFC 5424 without "<PRI>": "1 TIME HOST APP PROCID MSGID". */
		fw_skip_sp(&c);
		if (!fw_lit(&c, "1 ", 2) || (n = iso8601_parse(c.p,
		    (size_t)(c.end - c.p), st->fw.ctx.tz, &ts, &off,
		    &digits)) == 0)
			return 0;
		c.p += n;
		if (!fw_word(&c, &host) || !fw_word(&c, &app) ||
		    !span_eq(app, "CheckPoint") || !fw_word(&c, &w) ||
		    !fw_word(&c, &w))
			return 0;
		rec->ts_us = ts;
		rec->tz_off = off;
		rec->ts_digits = digits;
		rec->has_ts = true;
		fw_set_str(rec, RF_HOST_HOSTNAME, host);
		record_set(rec, RF_PROCESS_NAME, app.p, app.len);
		record_set(rec, RF_MESSAGE, line, len);
	}
	fw_skip_sp(&c);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.checkpoint");
	if (c.p < c.end && *c.p == '[') {
		c.p++;
		cp_bracket(st, rec, &c);
	}
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
cp_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct cp_state), cp_keys,
	    CP_NKEYS);
}

/* Parse one Check Point line into rec: 1 event, 0 not one. */
static int
cp_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct cp_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, cp_parse_line(st, line, len, rec));
}

const struct parser parser_checkpoint = {
	.name = "checkpoint",
	.dataset = "firewall.checkpoint",
	.description = "Check Point Log Exporter (syslog and CEF)",
	.state_new = cp_state_new,
	.state_free = fw_state_free,
	.parse = cp_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
