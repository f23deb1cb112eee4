/*
 * unifi.c: Ubiquiti UniFi gateways (USG, UDM, UXG, Cloud Gateways): the
 * kernel's netfilter lines with UniFi's rule prefix and description,
 *
 *	Nov 21 10:00:00 udm [WAN_LOCAL-D-2147483647] DESCR="[WAN_LOCAL]Block
 *	    All Traffic" IN=eth8 OUT= MAC=... SRC=198.51.100.7 DST=203.0.113.1
 *	    ... PROTO=TCP SPT=4444 DPT=22 ...
 *
 * the UniFi Network application's CEF events (threats blocked by the
 * IPS, administrator access), with or without "CEF:" and a syslog
 * header, and the gateway's own sshd log-ins.  The rule prefix
 * "[RULESET-X-ID]" gives rule.name (DESCR= when present, else the
 * ruleset), rule.id and the verdict X (A accept, D drop, R reject, B
 * block).  CEF events give addresses, ports, the IPS signature (rule.name,
 * rule.id), the action (act=) and, when it carries one, the device's UTC
 * time (UNIFIutcTime=).  Other lines are not events.  This module never
 * allocates per line.
 */
#include <string.h>

#include "fw.h"

struct unifi_state {
	struct fw_state	fw;
};

enum {
	UK_NONE = 0, UK_IN, UK_OUT, UK_SRC, UK_DST, UK_PROTO, UK_SPT, UK_DPT,
	UK_DESCR, UK_MAX
};

/* Netfilter keys sorted by length, then bytes (fw_key_lookup). */
static const struct fw_key unifi_nf_keys[] = {
	FW_KEY("IN", UK_IN),
	FW_KEY("DPT", UK_DPT),
	FW_KEY("DST", UK_DST),
	FW_KEY("OUT", UK_OUT),
	FW_KEY("SPT", UK_SPT),
	FW_KEY("SRC", UK_SRC),
	FW_KEY("DESCR", UK_DESCR),
	FW_KEY("PROTO", UK_PROTO),
};

#define UNIFI_NF_NKEYS	(sizeof unifi_nf_keys / sizeof unifi_nf_keys[0])

/*
 * A rule prefix "WAN_LOCAL-D-2147483647" into the ruleset, the dash
 * before the verdict letter and the rule number; false if pfx is not one.
 */
static bool
unifi_prefix(struct span pfx, struct span *set, const char **d1,
    struct span *id)
{
	const char	*d2 = NULL, *q, *end = pfx.p + pfx.len;

	for (q = end; q > pfx.p; q--)
		if (q[-1] == '-') {
			d2 = q - 1;
			break;
		}
	if (d2 == NULL)
		return false;
	for (*d1 = NULL, q = d2; q > pfx.p; q--)
		if (q[-1] == '-') {
			*d1 = q - 1;
			break;
		}
	if (*d1 == NULL)
		return false;
	id->p = d2 + 1;
	id->len = (size_t)(end - id->p);
	set->p = pfx.p;
	set->len = (size_t)(*d1 - pfx.p);
	return fw_num_ok(*id) && set->len > 0;
}

/* The netfilter line: "[RULESET-X-ID] DESCR=... IN=... SRC=...". */
static int
unifi_netfilter(struct unifi_state *st, struct record *rec, struct span body)
{
	struct span	 v[UK_MAX], k, val, pfx, set, id;
	struct fw_cur	 c;
	const char	*lb, *rb, *d1;

	/* The first "[...]" that is a rule prefix, not a kernel time. */
	for (lb = body.p;; lb = rb + 1) {
		if ((lb = memchr(lb, '[', (size_t)(body.p + body.len - lb))) ==
		    NULL || (rb = memchr(lb, ']',
		    (size_t)(body.p + body.len - lb))) == NULL)
			return 0;
		pfx.p = lb + 1;
		pfx.len = (size_t)(rb - pfx.p);
		if (unifi_prefix(pfx, &set, &d1, &id))
			break;
		if (fw_memmem(pfx, "=", 1) != NULL)
			return 0;
	}

	memset(v, 0, sizeof v);
	c.p = rb + 1;
	c.end = body.p + body.len;
	while (fw_kv_next(&c, &k, &val)) {
		int	n = fw_key_find(&st->fw, k);

		if (n != UK_NONE && v[n].p == NULL)
			v[n] = val;
	}
	if (!fw_set_ip(rec, RF_SOURCE_IP, v[UK_SRC]) ||
	    !fw_set_ip(rec, RF_DESTINATION_IP, v[UK_DST])) {
		rec->present = 0;
		rec->src.family = rec->dst.family = 0;
		return 0;
	}
	fw_set_port(rec, RF_SOURCE_PORT, v[UK_SPT]);
	fw_set_port(rec, RF_DESTINATION_PORT, v[UK_DPT]);
	fw_set_transport(&st->fw, rec, v[UK_PROTO]);
	fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v[UK_IN]);
	fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE, v[UK_OUT]);
	record_set(rec, RF_RULE_ID, id.p, id.len);
	fw_set_str(rec, RF_RULE_NAME, v[UK_DESCR]);
	if (!record_has(rec, RF_RULE_NAME))
		record_set(rec, RF_RULE_NAME, set.p, set.len);
	switch (id.p - d1 == 3 ? d1[1] : '\0') {
	case 'A':
		fw_set_action(&st->fw, rec, (struct span)SPAN_LIT("accept"));
		break;
	case 'D':
		fw_set_action(&st->fw, rec, (struct span)SPAN_LIT("drop"));
		break;
	case 'R':
		fw_set_action(&st->fw, rec, (struct span)SPAN_LIT("reject"));
		break;
	case 'B':
		fw_set_action(&st->fw, rec, (struct span)SPAN_LIT("block"));
		break;
	}
	return 1;
}

/* A UniFi Network CEF event. */
static int
unifi_cef(struct unifi_state *st, struct record *rec, const struct cef *cef)
{
	struct fw_cur	c = { cef->ext.p, cef->ext.p + cef->ext.len };
	struct span	k, v;
	int64_t		ts;
	int32_t		off;
	uint8_t		digits;

	if (!fw_iprefix(cef->vendor, "Ubiquiti"))
		return 0;
	fw_set_str(rec, RF_EVENT_CODE, cef->sigid);
	fw_set_str(rec, RF_EVENT_REASON, cef->name);
	while (fw_cef_next(&c, &k, &v)) {
		fw_unescape(&st->fw, &v);
		if (span_eq(k, "src"))
			fw_set_ip(rec, RF_SOURCE_IP, v);
		else if (span_eq(k, "dst"))
			fw_set_ip(rec, RF_DESTINATION_IP, v);
		else if (span_eq(k, "spt"))
			fw_set_port(rec, RF_SOURCE_PORT, v);
		else if (span_eq(k, "dpt"))
			fw_set_port(rec, RF_DESTINATION_PORT, v);
		else if (span_eq(k, "proto"))
			fw_set_transport(&st->fw, rec, v);
		else if (span_eq(k, "act"))
			fw_set_action(&st->fw, rec, v);
		else if (span_eq(k, "app"))
			fw_set_str(rec, RF_NETWORK_APPLICATION, v);
		else if (span_eq(k, "deviceInboundInterface"))
			fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v);
		else if (span_eq(k, "UNIFIipsSignature"))
			fw_set_str(rec, RF_RULE_NAME, v);
		else if (span_eq(k, "UNIFIipsSignatureId"))
			fw_set_num(rec, RF_RULE_ID, v);
		else if (span_eq(k, "UNIFIpolicyName") &&
		    !record_has(rec, RF_RULE_NAME))
			fw_set_str(rec, RF_RULE_NAME, v);
		else if (span_eq(k, "UNIFIadmin"))
			fw_set_str(rec, RF_USER_NAME, v);
		else if (span_eq(k, "UNIFIhost") &&
		    !record_has(rec, RF_HOST_HOSTNAME))
			fw_set_str(rec, RF_HOST_HOSTNAME, v);
		else if (span_eq(k, "UNIFIbytesSent"))
			fw_set_num(rec, RF_SOURCE_BYTES, v);
		else if (span_eq(k, "UNIFIbytesReceived"))
			fw_set_num(rec, RF_DESTINATION_BYTES, v);
		else if (span_eq(k, "UNIFIutcTime") && iso8601_parse(v.p,
		    v.len, NULL, &ts, &off, &digits) == v.len) {
			rec->ts_us = ts;
			rec->tz_off = off;
			rec->ts_digits = digits;
			rec->has_ts = true;
			rec->flags &= ~REC_NO_YEAR;
		}
	}
	/* "Threat Detected and Blocked" without act= */
	if (!record_has(rec, RF_EVENT_ACTION) &&
	    fw_memmem(cef->name, "Blocked", 7) != NULL)
		fw_set_action(&st->fw, rec, (struct span)SPAN_LIT("blocked"));
	return 1;
}

/*
 * sshd: "Failed password for [invalid user ]U from IP port P ssh2",
 * "Accepted publickey for U from IP port P ssh2", "Invalid user U from
 * IP port P".
 */
static int
unifi_sshd(struct record *rec, struct span msg)
{
	struct fw_cur	 c = { msg.p, msg.p + msg.len };
	struct span	 user, w;
	const char	*from;

	if (fw_lit(&c, "Failed ", 7)) {
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		if (!fw_word(&c, &w) || !fw_lit(&c, " for ", 5))
			return 0;
		fw_lit(&c, "invalid user ", 13);
	} else if (fw_lit(&c, "Accepted ", 9)) {
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		if (!fw_word(&c, &w) || !fw_lit(&c, " for ", 5))
			return 0;
	} else if (fw_lit(&c, "Invalid user ", 13))
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else
		return 0;
	if ((from = fw_memmem((struct span){ c.p, (size_t)(c.end - c.p) },
	    " from ", 6)) == NULL) {
		rec->present = 0;
		return 0;
	}
	user.p = c.p;
	user.len = (size_t)(from - c.p);
	fw_set_str(rec, RF_USER_NAME, user);
	c.p = from + 6;
	if (fw_word(&c, &w))
		fw_set_ip(rec, RF_SOURCE_IP, w);
	if (fw_lit(&c, " port ", 6) && fw_word(&c, &w))
		fw_set_port(rec, RF_SOURCE_PORT, w);
	record_set_lit(rec, RF_EVENT_ACTION, "ssh_login");
	return 1;
}

/*
 * True if hdr is sshd's; UniFi OS repeats the host name ("udm udm
 * sshd[1]: ..."), which the header reader takes for the message: then
 * *body is narrowed to what follows the tag.
 */
static bool
unifi_is_sshd(struct syslog_hdr *hdr, struct span *body)
{
	struct fw_cur	c = { body->p, body->p + body->len };
	struct span	w;

	if (span_eq(hdr->program, "sshd"))
		return true;
	if (hdr->program.len > 0 || hdr->host.len == 0 || !fw_word(&c, &w) ||
	    w.len != hdr->host.len || memcmp(w.p, hdr->host.p, w.len) != 0 ||
	    !fw_word(&c, &w) || !(fw_iprefix(w, "sshd[") ||
	    fw_iprefix(w, "sshd:")) || w.p[w.len - 1] != ':')
		return false;
	hdr->program.p = w.p;
	hdr->program.len = 4;
	if (w.p[4] == '[' && w.len > 7 && w.p[w.len - 2] == ']') {
		hdr->pid.p = w.p + 5;
		hdr->pid.len = w.len - 7;
	}
	fw_skip_sp(&c);
	body->p = c.p;
	body->len = (size_t)(c.end - c.p);
	hdr->msg = *body;
	return true;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
unifi_parse_line(struct unifi_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct cef		 cef;
	struct span		 body;
	const char		*p;
	int			 have_hdr, rc;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	if (have_hdr && hdr.program.len > 0 && fw_iprefix(hdr.program,
	    "CEF")) {
		/* "host CEF:0|..." was read as the tag "CEF". */
		body.len += (size_t)(body.p - hdr.program.p);
		body.p = hdr.program.p;
	}
	if ((p = fw_cef_find(body.p, body.len)) != NULL &&
	    fw_cef_parse(p, (size_t)(body.p + body.len - p), &cef)) {
		if (have_hdr)
			syslog_to_record(&hdr, rec);
		rc = unifi_cef(st, rec, &cef);
	} else if (have_hdr && unifi_is_sshd(&hdr, &body)) {
		rc = unifi_sshd(rec, body);
		if (rc == 1)
			syslog_to_record(&hdr, rec);
	} else {
		rc = unifi_netfilter(st, rec, body);
		if (rc == 1 && have_hdr)
			syslog_to_record(&hdr, rec);
	}
	if (rc != 1) {
		rec->present = 0;
		rec->has_ts = false;
		rec->src.family = rec->dst.family = 0;
		return rc;
	}
	if (!have_hdr)
		record_set(rec, RF_MESSAGE, line, len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.unifi");
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
unifi_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct unifi_state), unifi_nf_keys,
	    UNIFI_NF_NKEYS);
}

/* Parse one UniFi line into rec: 1 event, 0 not one. */
static int
unifi_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct unifi_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, unifi_parse_line(st, line, len, rec));
}

const struct parser parser_unifi = {
	.name = "unifi",
	.dataset = "firewall.unifi",
	.description = "Ubiquiti UniFi gateway firewall, IPS (CEF) and sshd",
	.state_new = unifi_state_new,
	.state_free = fw_state_free,
	.parse = unifi_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
