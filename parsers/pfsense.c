/*
 * pfsense.c: the pf packet log of pfSense and OPNsense, written by
 * filterlog as one CSV record per packet, behind an RFC 3164 or 5424
 * header:
 *
 *	Nov 21 10:00:00 fw filterlog[123]: 5,,,1000000103,em0,match,block,
 *	    in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.7,10.0.0.5,4444,22,0,S,...
 *
 * The layout is pfSense's documented one: rule, sub-rule, anchor,
 * tracker, interface, reason, action, direction, IP version; then for
 * IPv4 TOS, ECN, TTL, id, offset, flags, protocol id, protocol, length,
 * source, destination, and for IPv6 class, flow label, hop limit,
 * protocol, protocol id, length, source, destination; then ports for TCP
 * and UDP.  rule.id is the tracker (stable across rule edits), rule.name
 * the rule number, event.action pass/block/reject.  A record is read by
 * its shape (action, direction and version where they belong), so a
 * relayed line without the filterlog tag is still one; a filterlog line
 * of another shape is malformed.  This module never allocates per line.
 */
#include <string.h>

#include "fw.h"

#define PF_FIELDS	32

struct pf_state {
	struct fw_state	fw;
};

/* Split a comma-separated record into at most PF_FIELDS fields. */
static size_t
pf_split(const char *p, const char *end, struct span *f)
{
	const char	*s;
	size_t		 n = 0;

	while (n < PF_FIELDS) {
		s = p;
		while (p < end && *p != ',')
			p++;
		f[n].p = s;
		f[n].len = (size_t)(p - s);
		n++;
		if (p >= end)
			break;
		p++;
	}
	return n;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
pf_parse_line(struct pf_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	hdr;
	struct span		f[PF_FIELDS], body, *a;
	size_t			n, base;
	int			have_hdr, tagged;
	bool			v6;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	tagged = have_hdr && span_eq(hdr.program, "filterlog");
	body = fw_trim(body);
	if (body.len == 0 || body.p[0] < '0' || body.p[0] > '9')
		return tagged ? -1 : 0;
	n = pf_split(body.p, body.p + body.len, f);
	if (n < 17 || !(span_eq(f[7], "in") || span_eq(f[7], "out")) ||
	    !(span_eq(f[6], "pass") || span_eq(f[6], "block") ||
	    span_eq(f[6], "reject") || span_eq(f[6], "match")) ||
	    !(span_eq(f[8], "4") || span_eq(f[8], "6")))
		return tagged ? -1 : 0;
	v6 = f[8].p[0] == '6';
	/* Addresses: fields 18/19 (IPv4) or 15/16 (IPv6). */
	a = v6 ? &f[15] : &f[18];
	if ((size_t)(a - f) + 2 > n || !fw_ip_ok(a[0]) || !fw_ip_ok(a[1]))
		return tagged ? -1 : 0;

	if (have_hdr)
		syslog_to_record(&hdr, rec);
	else
		record_set(rec, RF_MESSAGE, line, len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.pfsense");
	fw_set_ip(rec, RF_SOURCE_IP, a[0]);
	fw_set_ip(rec, RF_DESTINATION_IP, a[1]);
	fw_set_transport(&st->fw, rec, v6 ? f[12] : f[16]);
	base = (size_t)(a - f) + 2;
	if (base + 1 < n && (fw_ieq(v6 ? f[12] : f[16], "tcp") ||
	    fw_ieq(v6 ? f[12] : f[16], "udp"))) {
		fw_set_port(rec, RF_SOURCE_PORT, f[base]);
		fw_set_port(rec, RF_DESTINATION_PORT, f[base + 1]);
	}
	fw_set_str(rec, RF_RULE_NAME, f[0]);
	fw_set_str(rec, RF_RULE_ID, f[3]);
	fw_set_str(rec, span_eq(f[7], "in") ? RF_OBSERVER_INGRESS_INTERFACE :
	    RF_OBSERVER_EGRESS_INTERFACE, f[4]);
	fw_set_str(rec, RF_EVENT_REASON, f[5]);
	fw_set_action(&st->fw, rec, f[6]);
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
pf_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct pf_state), NULL, 0);
}

/* Parse one filterlog line into rec: 1 event, 0 not one, -1 malformed. */
static int
pf_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct pf_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, pf_parse_line(st, line, len, rec));
}

const struct parser parser_pfsense = {
	.name = "pfsense",
	.dataset = "firewall.pfsense",
	.description = "pfSense and OPNsense filterlog (CSV, IPv4 and IPv6)",
	.state_new = pf_state_new,
	.state_free = fw_state_free,
	.parse = pf_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
