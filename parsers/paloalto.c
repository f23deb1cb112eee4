/*
 * paloalto.c: Palo Alto Networks PAN-OS syslog in its default CSV form
 * (TRAFFIC, THREAT, SYSTEM, GLOBALPROTECT, and the other log types as
 * bare events) and in CEF, behind a syslog header or bare:
 *
 *	<14>Nov 21 10:00:00 pa1 1,2026/11/21 10:00:00,0123456789,TRAFFIC,
 *	    end,2561,2026/11/21 10:00:00,10.0.0.5,192.0.2.10,...
 *
 * CSV field positions are those of the PAN-OS syslog field descriptions
 * (identical for TRAFFIC and THREAT up to the action, field 30): source,
 * destination, NAT source, rule, users, application, zones, interfaces,
 * ports, protocol, action; then TRAFFIC's bytes sent/received, elapsed
 * time and session end reason, THREAT's URL or file name, threat name
 * and id.  A record whose receive time is not a date is malformed.  The
 * time is the syslog header's when it has a date and an offset (RFC
 * 5424, rsyslog), else the record's generated time in the source's zone.
 * Quoted fields keep any doubled "" as written.  This module never
 * allocates per line.
 */
#include <string.h>

#include "fw.h"

#define PAN_FIELDS	64		/* fields read; later ones ignored */

struct pan_state {
	struct fw_state	fw;
};

/* Field positions of TRAFFIC and THREAT (0 is FUTURE_USE). */
enum {
	PF_RECEIVE = 1, PF_SERIAL, PF_TYPE, PF_SUBTYPE, PF_GENERATED = 6,
	PF_SRC, PF_DST, PF_NATSRC, PF_NATDST, PF_RULE, PF_SRCUSER, PF_DSTUSER,
	PF_APP, PF_VSYS, PF_FROM, PF_TO, PF_INIF, PF_OUTIF, PF_LOGSET,
	PF_SESSION = 22, PF_REPEAT, PF_SPORT, PF_DPORT, PF_NATSPORT,
	PF_NATDPORT, PF_FLAGS, PF_PROTO, PF_ACTION,
	/* TRAFFIC */
	PF_BYTES = 31, PF_BYTES_SENT, PF_BYTES_RCVD, PF_PACKETS, PF_START,
	PF_ELAPSED, PF_CATEGORY, PF_END_REASON = 46,
	/* THREAT */
	PF_MISC = 31, PF_THREATID, PF_TCATEGORY, PF_SEVERITY, PF_DIRECTION,
	/* SYSTEM */
	PS_EVENTID = 8, PS_OBJECT, PS_MODULE = 12, PS_SEVERITY, PS_DESC,
	/* GLOBALPROTECT (PAN-OS 9.1 and later) */
	PG_EVENTID = 8, PG_STAGE, PG_USER = 12, PG_PUBLIC_IP = 15,
	PG_STATUS = 28
};

/*
 * Split the CSV record at p into at most PAN_FIELDS fields; returns the
 * count.  A quoted field runs to the quote before a comma or the end.
 */
static size_t
pan_split(const char *p, const char *end, struct span *f)
{
	const char	*s;
	size_t		 n = 0;

	while (n < PAN_FIELDS) {
		if (p < end && *p == '"') {
			s = ++p;
			while (p < end && !(*p == '"' && (p + 1 == end ||
			    p[1] == ',')))
				p++;
			f[n].p = s;
			f[n].len = (size_t)(p - s);
			if (p < end)
				p++;
		} else {
			s = p;
			while (p < end && *p != ',')
				p++;
			f[n].p = s;
			f[n].len = (size_t)(p - s);
		}
		n++;
		if (p >= end)
			break;
		p++;		/* the comma */
	}
	return n;
}

/* "2026/11/21 10:00:00" in the source's zone as @timestamp. */
static bool
pan_time(struct pan_state *st, struct record *rec, struct span t)
{
	struct span	d, c;
	int		y, m, day, h, mi, s;
	int64_t		us;
	uint8_t		digits;

	if (t.len < 19 || t.p[10] != ' ')
		return false;
	d.p = t.p;
	d.len = 10;
	c.p = t.p + 11;
	c.len = t.len - 11;
	if (!fw_date(d, &y, &m, &day) ||
	    !fw_clock(c, &h, &mi, &s, &us, &digits))
		return false;
	fw_set_time(&st->fw, rec, y, m, day, h, mi, s, us, digits, NULL);
	return true;
}

/* "Name(40015)" or "Name:..(40015)": the number in the last parens. */
static void
pan_threat(struct record *rec, struct span t)
{
	const char	*lp;
	struct span	 id;

	fw_set_str(rec, RF_EVENT_REASON, t);
	if (t.len < 3 || t.p[t.len - 1] != ')')
		return;
	for (lp = t.p + t.len - 1; lp > t.p && lp[-1] != '('; lp--)
		continue;
	if (lp == t.p)
		return;
	id.p = lp;
	id.len = (size_t)(t.p + t.len - 1 - lp);
	fw_set_num(rec, RF_RULE_ID, id);
}

/* TRAFFIC and THREAT: the fields both share, then each one's own. */
static void
pan_session(struct pan_state *st, struct record *rec, struct span *f,
    size_t n, bool threat)
{
	uint64_t	v;

	if (n <= PF_ACTION)
		return;
	fw_set_ip(rec, RF_SOURCE_IP, f[PF_SRC]);
	fw_set_ip(rec, RF_DESTINATION_IP, f[PF_DST]);
	if (!span_eq(f[PF_NATSRC], "0.0.0.0") &&
	    !fw_same(f[PF_NATSRC], f[PF_SRC]))
		fw_set_ip(rec, RF_SOURCE_NAT_IP, f[PF_NATSRC]);
	fw_set_str(rec, RF_RULE_NAME, f[PF_RULE]);
	fw_set_str(rec, RF_USER_NAME, f[PF_SRCUSER]);
	fw_set_str(rec, RF_NETWORK_APPLICATION, f[PF_APP]);
	fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, f[PF_INIF]);
	fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE, f[PF_OUTIF]);
	fw_set_transport(&st->fw, rec, f[PF_PROTO]);
	if (!span_eq(record_get(rec, RF_NETWORK_TRANSPORT), "icmp")) {
		fw_set_port(rec, RF_SOURCE_PORT, f[PF_SPORT]);
		fw_set_port(rec, RF_DESTINATION_PORT, f[PF_DPORT]);
	}
	fw_set_action(&st->fw, rec, f[PF_ACTION]);
	if (threat) {
		/* alert: the session went on; the threat was only logged. */
		if (n > PF_THREATID) {
			if (span_eq(f[PF_SUBTYPE], "url"))
				fw_set_url(rec, f[PF_MISC]);
			else if (f[PF_MISC].len > 0 &&
			    memchr(f[PF_MISC].p, '/', f[PF_MISC].len) != NULL)
				fw_set_url(rec, f[PF_MISC]);
			pan_threat(rec, f[PF_THREATID]);
		}
		return;
	}
	if (n > PF_BYTES_RCVD) {
		fw_set_num(rec, RF_SOURCE_BYTES, f[PF_BYTES_SENT]);
		fw_set_num(rec, RF_DESTINATION_BYTES, f[PF_BYTES_RCVD]);
	}
	if (n > PF_ELAPSED && span_to_u64(f[PF_ELAPSED], &v))
		fw_set_duration(&st->fw, rec, v, 0);
	if (n > PF_END_REASON)
		fw_set_str(rec, RF_EVENT_REASON, f[PF_END_REASON]);
}

/* SYSTEM: event id, and the GlobalProtect log-ins of older PAN-OS. */
static void
pan_system(struct record *rec, struct span *f, size_t n)
{
	struct fw_cur	c;
	struct span	v;

	if (n <= PS_DESC)
		return;
	fw_set_str(rec, RF_EVENT_CODE, f[PS_EVENTID]);
	fw_set_str(rec, RF_EVENT_REASON, f[PS_DESC]);
	c.p = f[PS_DESC].p;
	c.end = c.p + f[PS_DESC].len;
	if (fw_find(&c, "User name: ", 11) && fw_until(&c, ',', &v))
		fw_set_str(rec, RF_USER_NAME, v);
	c.p = f[PS_DESC].p;
	if (fw_find(&c, "Login from: ", 12) && fw_until(&c, ',', &v))
		fw_set_ip(rec, RF_SOURCE_IP, v);
	if (fw_memmem(f[PS_EVENTID], "fail", 4) != NULL)
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else if (fw_memmem(f[PS_EVENTID], "succ", 4) != NULL)
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
}

/* GLOBALPROTECT: the VPN log-in and its outcome. */
static void
pan_globalprotect(struct pan_state *st, struct record *rec, struct span *f,
    size_t n)
{
	if (n <= PG_STAGE)
		return;
	fw_set_str(rec, RF_EVENT_CODE, f[PG_EVENTID]);
	fw_set_action(&st->fw, rec, f[PG_STAGE]);
	if (n > PG_PUBLIC_IP) {
		fw_set_str(rec, RF_USER_NAME, f[PG_USER]);
		fw_set_ip(rec, RF_SOURCE_IP, f[PG_PUBLIC_IP]);
	}
	if (n > PG_STATUS) {
		if (span_eq(f[PG_STATUS], "success"))
			record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		else if (span_eq(f[PG_STATUS], "failure"))
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	}
}

/* CEF (PAN-OS "CEF:0|Palo Alto Networks|PAN-OS|..."). */
static int
pan_cef(struct pan_state *st, struct record *rec, const char *p,
    const char *end)
{
	struct cef	 cef;
	struct fw_cur	 c;
	struct span	 k, v, label[7];
	int		 idx;

	if (!fw_cef_parse(p, (size_t)(end - p), &cef) ||
	    !fw_iprefix(cef.vendor, "Palo Alto"))
		return 0;
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.paloalto");
	fw_set_str(rec, RF_EVENT_CODE, cef.sigid);
	memset(label, 0, sizeof label);
	c.p = cef.ext.p;
	c.end = cef.ext.p + cef.ext.len;
	while (fw_cef_next(&c, &k, &v)) {
		fw_unescape(&st->fw, &v);
		if (span_eq(k, "rt") && !rec->has_ts)
			fw_cef_time(&st->fw, rec, v);
		else if (span_eq(k, "src"))
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
		else if (span_eq(k, "suser"))
			fw_set_str(rec, RF_USER_NAME, v);
		else if (span_eq(k, "app"))
			fw_set_str(rec, RF_NETWORK_APPLICATION, v);
		else if (span_eq(k, "request"))
			fw_set_url(rec, v);
		else if (span_eq(k, "sourceTranslatedAddress") &&
		    !span_eq(v, "0.0.0.0"))
			fw_set_ip(rec, RF_SOURCE_NAT_IP, v);
		else if (span_eq(k, "deviceInboundInterface"))
			fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, v);
		else if (span_eq(k, "deviceOutboundInterface"))
			fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE, v);
		else if (span_eq(k, "out"))
			fw_set_num(rec, RF_SOURCE_BYTES, v);
		else if (span_eq(k, "in"))
			fw_set_num(rec, RF_DESTINATION_BYTES, v);
		else if (k.len == 3 && memcmp(k.p, "cs", 2) == 0 &&
		    k.p[2] >= '1' && k.p[2] <= '6') {
			idx = k.p[2] - '0';
			if (fw_ieq(label[idx], "Rule"))
				fw_set_str(rec, RF_RULE_NAME, v);
		} else if (k.len == 8 && memcmp(k.p, "cs", 2) == 0 &&
		    memcmp(k.p + 3, "Label", 5) == 0 && k.p[2] >= '1' &&
		    k.p[2] <= '6')
			label[k.p[2] - '0'] = v;
	}
	return 1;
}

/*
 * Where the CSV record starts in body: "N,YYYY/MM/DD" at the start or
 * after a space (a header this parser could not read); NULL if nowhere.
 */
static const char *
pan_start(struct span body)
{
	const char	*p = body.p, *end = body.p + body.len;

	for (; p < end; p++) {
		if (p != body.p && p[-1] != ' ')
			continue;
		if (end - p > 7 && p[0] >= '0' && p[0] <= '9' && p[1] == ',' &&
		    p[2] >= '0' && p[2] <= '9' && p[6] == '/')
			return p;
	}
	return NULL;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
pan_parse_line(struct pan_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct span		 f[PAN_FIELDS], body;
	const char		*p, *end = line + len;
	size_t			 n;
	int			 have_hdr;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	if ((p = fw_cef_find(body.p, body.len)) != NULL) {
		if (have_hdr)
			syslog_to_record(&hdr, rec);
		return pan_cef(st, rec, p, end);
	}
	if ((p = pan_start(body)) == NULL)
		return 0;
	n = pan_split(p, end, f);
	if (n <= PF_TYPE || f[PF_TYPE].len == 0 ||
	    f[PF_TYPE].p[0] < 'A' || f[PF_TYPE].p[0] > 'Z')
		return 0;
	/* An anonymised or broken receive time: not what PAN-OS writes. */
	if (!have_hdr && p != line)
		return -1;
	if (have_hdr && !hdr.no_year) {
		syslog_to_record(&hdr, rec);
	} else {
		if (have_hdr) {
			syslog_to_record(&hdr, rec);
			rec->flags &= ~REC_NO_YEAR;
		}
		if (!pan_time(st, rec, n > PF_GENERATED ? f[PF_GENERATED] :
		    f[PF_RECEIVE]) && !pan_time(st, rec, f[PF_RECEIVE])) {
			rec->present = 0;
			rec->has_ts = false;
			return -1;
		}
	}
	if (have_hdr)
		record_set(rec, RF_MESSAGE, p, (size_t)(end - p));
	else
		record_set(rec, RF_MESSAGE, line, len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.paloalto");
	if (span_eq(f[PF_TYPE], "TRAFFIC"))
		pan_session(st, rec, f, n, false);
	else if (span_eq(f[PF_TYPE], "THREAT"))
		pan_session(st, rec, f, n, true);
	else if (span_eq(f[PF_TYPE], "SYSTEM"))
		pan_system(rec, f, n);
	else if (span_eq(f[PF_TYPE], "GLOBALPROTECT"))
		pan_globalprotect(st, rec, f, n);
	if (!record_has(rec, RF_EVENT_CODE) && n > PF_SUBTYPE &&
	    !span_eq(f[PF_SUBTYPE], "0"))
		fw_set_str(rec, RF_EVENT_CODE, f[PF_SUBTYPE]);
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
pan_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct pan_state), NULL, 0);
}

/* Parse one PAN-OS line into rec: 1 event, 0 not one, -1 malformed. */
static int
pan_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct pan_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, pan_parse_line(st, line, len, rec));
}

const struct parser parser_paloalto = {
	.name = "paloalto",
	.dataset = "firewall.paloalto",
	.description = "Palo Alto Networks PAN-OS syslog (CSV and CEF)",
	.state_new = pan_state_new,
	.state_free = fw_state_free,
	.parse = pan_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
