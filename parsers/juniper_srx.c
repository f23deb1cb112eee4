/*
 * juniper_srx.c: Juniper SRX security logs: the RT_FLOW session messages
 * (SESSION_CREATE, SESSION_CLOSE, SESSION_DENY and their _LS forms),
 * APPTRACK and RT_IDS/RT_SCREEN, in the structured form (RFC 5424
 * structured data, "[junos@2636... source-address="..." ...]") and in
 * the plain form ("RT_FLOW_SESSION_CREATE: session created
 * 10.0.0.5/5000->192.0.2.10/443 junos-https ...").  A structured body
 * may follow an RFC 3164 relay header, with the device's own ISO time in
 * front of it (that time is used).
 *
 * event.code is the message name, event.action its verb in lower case
 * ("create", "close", "deny"), event.type allowed (create, close) or
 * denied (deny, and screens that drop).  Plain messages are read by
 * position as Junos prints them: the first "a/p->b/q" pair is the
 * session, the second the NAT; the protocol number, policy and zones
 * follow the NAT rule names; a close ends with "packets(bytes)" for the
 * client and the server.  This module never allocates per line and keeps
 * no pointer into a line after it returns.
 */
#include <string.h>

#include "fw.h"

struct srx_state {
	struct fw_state	fw;
};

enum {
	SK_NONE = 0, SK_SRC, SK_SPORT, SK_DST, SK_DPORT, SK_NATSRC, SK_PROTO,
	SK_POLICY, SK_SZONE, SK_DZONE, SK_USER, SK_APP, SK_CBYTES, SK_SBYTES,
	SK_ELAPSED, SK_REASON, SK_INIF, SK_SERVICE, SK_ATTACK, SK_ACTION,
	SK_IFNAME, SK_PROTONAME, SK_MAX
};

/* Keys sorted by length, then bytes (fw_key_lookup). */
static const struct fw_key srx_keys[] = {
	FW_KEY("action", SK_ACTION),
	FW_KEY("reason", SK_REASON),
	FW_KEY("username", SK_USER),
	FW_KEY("application", SK_APP),
	FW_KEY("attack-name", SK_ATTACK),
	FW_KEY("policy-name", SK_POLICY),
	FW_KEY("protocol-id", SK_PROTO),
	FW_KEY("source-port", SK_SPORT),
	FW_KEY("elapsed-time", SK_ELAPSED),
	FW_KEY("service-name", SK_SERVICE),
	FW_KEY("protocol-name", SK_PROTONAME),
	FW_KEY("interface-name", SK_IFNAME),
	FW_KEY("source-address", SK_SRC),
	FW_KEY("destination-port", SK_DPORT),
	FW_KEY("source-zone-name", SK_SZONE),
	FW_KEY("bytes-from-client", SK_CBYTES),
	FW_KEY("bytes-from-server", SK_SBYTES),
	FW_KEY("nat-source-address", SK_NATSRC),
	FW_KEY("destination-address", SK_DST),
	FW_KEY("destination-zone-name", SK_DZONE),
	FW_KEY("packet-incoming-interface", SK_INIF),
};

#define SRX_NKEYS	(sizeof srx_keys / sizeof srx_keys[0])

/* event.action and event.type from a message name. */
static void
srx_action(struct srx_state *st, struct record *rec, struct span name,
    struct span action)
{
	struct span	verb;
	const char	*p;

	record_set(rec, RF_EVENT_CODE, name.p, name.len);
	if ((p = fw_memmem(name, "SESSION_", 8)) != NULL) {
		verb.p = p + 8;
		verb.len = (size_t)(name.p + name.len - verb.p);
		if (verb.len > 3 && memcmp(verb.p + verb.len - 3, "_LS", 3) ==
		    0)
			verb.len -= 3;
		fw_set_action(&st->fw, rec, verb);
		if (span_eq(verb, "CREATE") || span_eq(verb, "CLOSE"))
			fw_set_type(rec, FW_ALLOWED);
		return;
	}
	if (action.len > 0)
		fw_set_action(&st->fw, rec, action);
}

/* Structured data "[junos@... k="v" ...]" at p: the fields it holds. */
static void
srx_sd(struct srx_state *st, struct record *rec, struct fw_cur *c,
    struct span name)
{
	struct span	v[SK_MAX], k, val;
	uint64_t	n;
	int		id;

	memset(v, 0, sizeof v);
	/* Skip "[junos@2636.1.1.1.2.39". */
	while (c->p < c->end && *c->p != ' ' && *c->p != ']')
		c->p++;
	while (fw_kv_next(c, &k, &val)) {
		if ((id = fw_key_find(&st->fw, k)) != SK_NONE &&
		    v[id].p == NULL)
			v[id] = val;
		if (c->p < c->end && *c->p == ']')
			break;
	}
	fw_set_ip(rec, RF_SOURCE_IP, v[SK_SRC]);
	fw_set_port(rec, RF_SOURCE_PORT, v[SK_SPORT]);
	fw_set_ip(rec, RF_DESTINATION_IP, v[SK_DST]);
	fw_set_port(rec, RF_DESTINATION_PORT, v[SK_DPORT]);
	if (!fw_same(v[SK_NATSRC], v[SK_SRC]))
		fw_set_ip(rec, RF_SOURCE_NAT_IP, v[SK_NATSRC]);
	if (v[SK_PROTO].len > 0)
		fw_set_transport(&st->fw, rec, v[SK_PROTO]);
	else
		fw_set_transport(&st->fw, rec, v[SK_PROTONAME]);
	fw_set_str(rec, RF_RULE_NAME, v[SK_POLICY]);
	if (!record_has(rec, RF_RULE_NAME))
		fw_set_str(rec, RF_RULE_NAME, v[SK_ATTACK]);
	fw_set_str(rec, RF_USER_NAME, v[SK_USER]);
	fw_set_str(rec, RF_NETWORK_APPLICATION, v[SK_APP]);
	fw_set_str(rec, RF_NETWORK_PROTOCOL, v[SK_SERVICE]);
	fw_set_num(rec, RF_SOURCE_BYTES, v[SK_CBYTES]);
	fw_set_num(rec, RF_DESTINATION_BYTES, v[SK_SBYTES]);
	if (span_to_u64(v[SK_ELAPSED], &n))
		fw_set_duration(&st->fw, rec, n, 0);
	fw_set_str(rec, RF_EVENT_REASON, v[SK_REASON]);
	fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v[SK_INIF]);
	if (!record_has(rec, RF_OBSERVER_INGRESS_INTERFACE))
		fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v[SK_IFNAME]);
	srx_action(st, rec, name, v[SK_ACTION]);
}

/* "a/p->b/q" at the cursor into four spans; false if not one. */
static bool
srx_pair(struct fw_cur *c, struct span *a, struct span *p, struct span *b,
    struct span *q)
{
	struct span	 w;
	const char	*arrow, *s;

	if (!fw_word(c, &w) || (arrow = fw_memmem(w, "->", 2)) == NULL)
		return false;
	for (s = arrow; s > w.p && s[-1] != '/'; s--)
		continue;
	if (s == w.p)
		return false;
	a->p = w.p;
	a->len = (size_t)(s - 1 - w.p);
	p->p = s;
	p->len = (size_t)(arrow - s);
	b->p = arrow + 2;
	for (s = w.p + w.len; s > b->p && s[-1] != '/'; s--)
		continue;
	if (s == b->p)
		return false;
	b->len = (size_t)(s - 1 - b->p);
	q->p = s;
	q->len = (size_t)(w.p + w.len - s);
	return fw_ip_ok(*a) && fw_ip_ok(*b);
}

/* "12(3456)": packets and bytes; the bytes into *bytes. */
static bool
srx_pb(struct span w, struct span *bytes)
{
	const char	*lp;

	if (w.len < 4 || w.p[w.len - 1] != ')' ||
	    (lp = memchr(w.p, '(', w.len)) == NULL)
		return false;
	bytes->p = lp + 1;
	bytes->len = (size_t)(w.p + w.len - 1 - bytes->p);
	return fw_num_ok(*bytes);
}

/*
 * The plain form after "RT_FLOW_SESSION_xxx: ": "session created
 * a/p->b/q service nat-pair ...", "session closed REASON: a/p->b/q
 * service nat-pair ...", "session denied a/p->b/q service proto(type)
 * policy zone zone ...".
 */
static void
srx_plain(struct srx_state *st, struct record *rec, struct span name,
    struct span text)
{
	struct fw_cur	c = { text.p, text.p + text.len };
	struct span	a, p, b, q, w, bytes, reason;
	bool		deny, close;
	int		nbytes = 0;

	srx_action(st, rec, name, SPAN_NULL);
	deny = fw_lit(&c, "session denied ", 15);
	close = !deny && fw_lit(&c, "session closed ", 15);
	if (!deny && !close && !fw_lit(&c, "session created ", 16))
		return;
	if (close && fw_until(&c, ':', &reason))
		fw_set_str(rec, RF_EVENT_REASON, reason);
	if (!srx_pair(&c, &a, &p, &b, &q))
		return;
	fw_set_ip(rec, RF_SOURCE_IP, a);
	fw_set_port(rec, RF_SOURCE_PORT, p);
	fw_set_ip(rec, RF_DESTINATION_IP, b);
	fw_set_port(rec, RF_DESTINATION_PORT, q);
	if (fw_word(&c, &w))
		fw_set_str(rec, RF_NETWORK_PROTOCOL, w);
	if (deny) {
		/* "6(0) policy from-zone to-zone" */
		if (fw_word(&c, &w)) {
			if (memchr(w.p, '(', w.len) != NULL)
				w.len = (size_t)((const char *)memchr(w.p, '(',
				    w.len) - w.p);
			fw_set_transport(&st->fw, rec, w);
		}
		if (fw_word(&c, &w))
			fw_set_str(rec, RF_RULE_NAME, w);
		return;
	}
	/* The NAT pair, then rule names up to the protocol number. */
	if (srx_pair(&c, &a, &p, &w, &q) &&
	    !fw_same(a, record_get(rec, RF_SOURCE_IP)))
		fw_set_ip(rec, RF_SOURCE_NAT_IP, a);
	while (fw_word(&c, &w)) {
		if (w.len <= 3 && fw_num_ok(w)) {
			fw_set_transport(&st->fw, rec, w);
			if (fw_word(&c, &w))
				fw_set_str(rec, RF_RULE_NAME, w);
			break;
		}
	}
	/* A close: "... session-id 12(3456) 10(7890) elapsed ..." */
	while (close && nbytes < 2 && fw_word(&c, &w)) {
		if (!srx_pb(w, &bytes))
			continue;
		fw_set_num(rec, nbytes == 0 ? RF_SOURCE_BYTES :
		    RF_DESTINATION_BYTES, bytes);
		nbytes++;
	}
}

/* True if w looks like a Junos message name ("RT_FLOW_SESSION_CREATE"). */
static bool
srx_name(struct span w)
{
	size_t	i;

	if (w.len < 4 || !(fw_iprefix(w, "RT_") || fw_iprefix(w, "APPTRACK_") ||
	    fw_iprefix(w, "FLOW_") || fw_iprefix(w, "IDP_") ||
	    fw_iprefix(w, "AAMW_") || fw_iprefix(w, "WEBFILTER_")))
		return false;
	for (i = 0; i < w.len; i++)
		if (!((w.p[i] >= 'A' && w.p[i] <= 'Z') || w.p[i] == '_' ||
		    (w.p[i] >= '0' && w.p[i] <= '9')))
			return false;
	return true;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
srx_parse_line(struct srx_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct fw_cur		 c;
	struct span		 body, name, w, host;
	const char		*sd, *q;
	int32_t			 off;
	uint8_t			 digits;
	int64_t			 ts;
	size_t			 n;
	int			 have_hdr;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };

	if ((sd = fw_memmem((struct span){ line, len }, "[junos@", 7)) != NULL) {
		/* The message name is the word before "- [junos@" or " [". */
		q = sd;
		while (q > line && q[-1] == ' ')
			q--;
		if (q - line >= 2 && q[-1] == '-' && q[-2] == ' ')
			q -= 2;
		name.p = q;
		while (name.p > line && name.p[-1] != ' ')
			name.p--;
		name.len = (size_t)(q - name.p);
		if (!srx_name(name))
			return 0;
		if (have_hdr)
			syslog_to_record(&hdr, rec);
		/* A relay's header before "2017-08-24T04:58:58.724Z host". */
		c.p = body.p;
		c.end = body.p + body.len;
		if (c.p < sd && (n = iso8601_parse(c.p, (size_t)(sd - c.p),
		    st->fw.ctx.tz, &ts, &off, &digits)) > 0) {
			rec->ts_us = ts;
			rec->tz_off = off;
			rec->ts_digits = digits;
			rec->has_ts = true;
			rec->flags &= ~REC_NO_YEAR;
			c.p += n;
			if (fw_word(&c, &host))
				record_set(rec, RF_HOST_HOSTNAME, host.p,
				    host.len);
		}
		c.p = sd + 1;
		c.end = line + len;
		srx_sd(st, rec, &c, name);
	} else {
		/* Plain: "RT_FLOW_SESSION_CREATE: session created ..." */
		c.p = body.p;
		c.end = body.p + body.len;
		if (!fw_word(&c, &w) || w.len < 2 || w.p[w.len - 1] != ':')
			return 0;
		w.len--;
		if (!srx_name(w))
			return 0;
		if (have_hdr)
			syslog_to_record(&hdr, rec);
		fw_skip_sp(&c);
		srx_plain(st, rec, w, (struct span){ c.p,
		    (size_t)(c.end - c.p) });
	}
	if (!have_hdr)
		record_set(rec, RF_MESSAGE, line, len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.juniper_srx");
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
srx_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct srx_state), srx_keys,
	    SRX_NKEYS);
}

/* Parse one SRX line into rec: 1 event, 0 not one. */
static int
srx_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct srx_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, srx_parse_line(st, line, len, rec));
}

const struct parser parser_juniper_srx = {
	.name = "juniper_srx",
	.dataset = "firewall.juniper_srx",
	.description = "Juniper SRX RT_FLOW, APPTRACK and RT_IDS messages "
	    "(structured and plain)",
	.state_new = srx_state_new,
	.state_free = fw_state_free,
	.parse = srx_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
