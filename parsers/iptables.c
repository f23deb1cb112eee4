/*
 * iptables.c: netfilter LOG lines, as iptables, nftables, ufw, firewalld,
 * EdgeOS and Proxmox write them, behind a syslog header or bare:
 *
 *	Jun  8 14:34:33 gw kernel: [ 12.345] [UFW BLOCK] IN=eth0 OUT= MAC=...
 *	    SRC=198.51.100.7 DST=10.0.0.5 LEN=40 ... PROTO=TCP SPT=4444 DPT=22
 *
 * The text before IN= (or OUT=) is the log prefix: it becomes rule.name,
 * and event.action when it names a verdict.  The key=value part is read in
 * one pass over its bytes, first occurrence of a key winning; the packet an
 * ICMP error quotes ("[SRC=... ]") is skipped.  A line without SRC= and
 * DST= is not an event; a line whose addresses, ports or protocol cannot
 * be what the kernel printed is malformed.  This module never allocates
 * per line, never reads past len and keeps no pointer into a line: the
 * only bytes it owns (lowercased protocol and verdict names) live in the
 * state and are overwritten by the next line.
 */
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "sysloghdr.h"
#include "tz.h"

#define IPTABLES_PROTO_MAX	16	/* a protocol name we lowercase */
#define IPTABLES_VERB_MAX	32	/* a ufw verb we lowercase */

struct iptables_state {
	struct syslog_ctx	ctx;
	struct parser_stats	stats;
	char			proto[IPTABLES_PROTO_MAX];
	char			verb[IPTABLES_VERB_MAX];
};

/* What the key=value scan found; spans into the line. */
struct iptables_kv {
	struct span	in;
	struct span	out;
	struct span	src;
	struct span	dst;
	struct span	spt;
	struct span	dpt;
	struct span	proto;
	unsigned int	seen;
};

#define KV_IN		0x01
#define KV_OUT		0x02
#define KV_SRC		0x04
#define KV_DST		0x08
#define KV_SPT		0x10
#define KV_DPT		0x20
#define KV_PROTO	0x40

/* Verdict words looked for in a log prefix, any case. */
static const struct {
	const char	*word;
	size_t		 len;
	const char	*action;
	size_t		 alen;
} iptables_verbs[] = {
	{ "accept", 6, "accept", 6 },
	{ "allow", 5, "allow", 5 },
	{ "block", 5, "block", 5 },
	{ "drop", 4, "drop", 4 },
	{ "denied", 6, "deny", 4 },
	{ "deny", 4, "deny", 4 },
	{ "reject", 6, "reject", 6 },
};

#define IPTABLES_NVERBS \
	(sizeof iptables_verbs / sizeof iptables_verbs[0])

/* Protocol names as the kernel prints them, and their ECS names. */
static const struct {
	const char	*name;
	const char	*ecs;
} iptables_protos[] = {
	{ "TCP", "tcp" },
	{ "UDP", "udp" },
	{ "ICMP", "icmp" },
	{ "ICMPv6", "ipv6-icmp" },
	{ "UDPLITE", "udplite" },
	{ "SCTP", "sctp" },
	{ "ESP", "esp" },
	{ "AH", "ah" },
	{ "2", "igmp" },
	{ "4", "ipip" },
	{ "41", "ipv6" },
	{ "47", "gre" },
	{ "50", "esp" },
	{ "51", "ah" },
	{ "58", "ipv6-icmp" },
	{ "89", "ospf" },
	{ "103", "pim" },
	{ "112", "vrrp" },
	{ "132", "sctp" },
};

/* ASCII lower case of c. */
static inline char
iptables_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* True if p/len is exactly the n bytes of s2. */
static inline int
iptables_is(const char *p, size_t len, const char *s2, size_t n)
{
	return len == n && memcmp(p, s2, n) == 0;
}

/* Trim spaces and tabs at both ends of *s. */
static void
iptables_trim(struct span *s)
{
	while (s->len > 0 && (s->p[0] == ' ' || s->p[0] == '\t')) {
		s->p++;
		s->len--;
	}
	while (s->len > 0 && (s->p[s->len - 1] == ' ' ||
	    s->p[s->len - 1] == '\t' || s->p[s->len - 1] == '\r' ||
	    s->p[s->len - 1] == '\n'))
		s->len--;
}

/* Skip a kernel timestamp ("[ 1234.567890]") at the start of *s. */
static void
iptables_skip_ktime(struct span *s)
{
	size_t	i;

	iptables_trim(s);
	if (s->len < 3 || s->p[0] != '[')
		return;
	for (i = 1; i < s->len; i++) {
		if (s->p[i] == ']')
			break;
		if (s->p[i] != ' ' && s->p[i] != '.' &&
		    (s->p[i] < '0' || s->p[i] > '9'))
			return;
	}
	if (i == s->len || i == 1)
		return;
	s->p += i + 1;
	s->len -= i + 1;
	iptables_trim(s);
}

/* A port: 1-5 digits, at most 65535. */
static inline int
iptables_port_ok(struct span s)
{
	unsigned int	v = 0;
	size_t		i;

	if (s.len == 0 || s.len > 5)
		return 0;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
		v = v * 10 + (unsigned int)(s.p[i] - '0');
	}
	return v <= 65535;
}

/*
 * The verdict named by a log prefix, into action; 0 if there is one, -1
 * if the prefix names none.  EdgeOS "[ruleset-rule-D]" suffixes first,
 * then verdict words anywhere, then the verb of a "[UFW verb]" prefix.
 */
static int
iptables_action(struct iptables_state *st, struct span pfx, struct span *act)
{
	size_t	i, j, k, n;
	char	c;

	if (pfx.len >= 5 && pfx.p[0] == '[' && pfx.p[pfx.len - 1] == ']' &&
	    pfx.p[pfx.len - 3] == '-') {
		switch (pfx.p[pfx.len - 2]) {
		case 'A':
			*act = SPAN_LIT("accept");
			return 0;
		case 'D':
			*act = SPAN_LIT("drop");
			return 0;
		case 'R':
			*act = SPAN_LIT("reject");
			return 0;
		}
	}
	for (i = 0; i < pfx.len; i++) {
		c = iptables_lower(pfx.p[i]);
		if (c != 'a' && c != 'b' && c != 'd' && c != 'r')
			continue;
		for (j = 0; j < IPTABLES_NVERBS; j++) {
			n = iptables_verbs[j].len;
			if (iptables_verbs[j].word[0] != c || pfx.len - i < n)
				continue;
			for (k = 1; k < n; k++) {
				if (iptables_lower(pfx.p[i + k]) !=
				    iptables_verbs[j].word[k])
					break;
			}
			if (k == n) {
				act->p = iptables_verbs[j].action;
				act->len = iptables_verbs[j].alen;
				return 0;
			}
		}
	}
	if (pfx.len > 6 && memcmp(pfx.p, "[UFW ", 5) == 0 &&
	    pfx.p[pfx.len - 1] == ']') {
		n = pfx.len - 6;
		if (n > sizeof st->verb)
			n = sizeof st->verb;
		for (i = 0; i < n; i++)
			st->verb[i] = iptables_lower(pfx.p[5 + i]);
		act->p = st->verb;
		act->len = n;
		return 0;
	}
	return -1;
}

/* The ECS name of a PROTO= value into *out; -1 if it cannot be one. */
static int
iptables_proto(struct iptables_state *st, struct span v, struct span *out)
{
	size_t		i;
	uint64_t	n;

	/* The first entries of the table, as the kernel prints them. */
	if (v.len == 3 && v.p[1] == 'C' && v.p[2] == 'P' && v.p[0] == 'T') {
		*out = SPAN_LIT("tcp");
		return 0;
	}
	if (v.len == 3 && v.p[1] == 'D' && v.p[2] == 'P' && v.p[0] == 'U') {
		*out = SPAN_LIT("udp");
		return 0;
	}
	for (i = 0; i < sizeof iptables_protos / sizeof iptables_protos[0];
	    i++) {
		if (span_eq(v, iptables_protos[i].name)) {
			out->p = iptables_protos[i].ecs;
			out->len = strlen(iptables_protos[i].ecs);
			return 0;
		}
	}
	if (v.len == 0)
		return -1;
	if (span_to_u64(v, &n)) {
		if (v.len > 3 || n > 255)
			return -1;
		*out = v;
		return 0;
	}
	if (v.len >= sizeof st->proto)
		return -1;
	for (i = 0; i < v.len; i++) {
		if (!((v.p[i] >= 'a' && v.p[i] <= 'z') ||
		    (v.p[i] >= 'A' && v.p[i] <= 'Z') ||
		    (v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '-'))
			return -1;
		st->proto[i] = iptables_lower(v.p[i]);
	}
	out->p = st->proto;
	out->len = v.len;
	return 0;
}

#define KV_ALL		(KV_IN | KV_OUT | KV_SRC | KV_DST | KV_SPT | KV_DPT | \
			    KV_PROTO)

/* Record key k/klen = value v in kv (first occurrence wins). */
static inline void
iptables_key(struct iptables_kv *kv, const char *k, size_t klen,
    struct span v)
{
	struct span	*dst;
	unsigned int	 bit;

	/* Dispatch on length and first byte: most keys are none of ours. */
	switch (klen) {
	case 2:
		if (k[0] != 'I' || k[1] != 'N')
			return;
		dst = &kv->in;
		bit = KV_IN;
		break;
	case 3:
		switch (k[0]) {
		case 'S':
			if (k[1] == 'R' && k[2] == 'C') {
				dst = &kv->src;
				bit = KV_SRC;
			} else if (k[1] == 'P' && k[2] == 'T') {
				dst = &kv->spt;
				bit = KV_SPT;
			} else
				return;
			break;
		case 'D':
			if (k[1] == 'S' && k[2] == 'T') {
				dst = &kv->dst;
				bit = KV_DST;
			} else if (k[1] == 'P' && k[2] == 'T') {
				dst = &kv->dpt;
				bit = KV_DPT;
			} else
				return;
			break;
		case 'O':
			if (k[1] != 'U' || k[2] != 'T')
				return;
			dst = &kv->out;
			bit = KV_OUT;
			break;
		default:
			return;
		}
		break;
	case 5:
		if (memcmp(k, "PROTO", 5) != 0)
			return;
		dst = &kv->proto;
		bit = KV_PROTO;
		break;
	default:
		return;
	}
	if ((kv->seen & bit) != 0)
		return;
	*dst = v;
	kv->seen |= bit;
}

#define IPTABLES_ONES	0x0101010101010101ULL
#define IPTABLES_HIGHS	0x8080808080808080ULL

/*
 * The first byte at or after p that is a space, or with eq also an '=';
 * end if none.  Eight bytes at a time where eight remain before end (a
 * word never reaches past the line), byte by byte for the rest.  The
 * lowest flagged byte of the classic has-zero test is exact.
 */
static inline const char *
iptables_stop(const char *p, const char *end, int eq)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t	w, s, e, m;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		s = w ^ (IPTABLES_ONES * ' ');
		m = (s - IPTABLES_ONES) & ~s;
		if (eq) {
			e = w ^ (IPTABLES_ONES * '=');
			m |= (e - IPTABLES_ONES) & ~e;
		}
		if ((m &= IPTABLES_HIGHS) != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && *p != ' ' && (!eq || *p != '='))
		p++;
	return p;
}

/*
 * Scan the key=value part p..end in one pass.  A key is the text between
 * the last space before an '=' and the '='; flags (DF, SYN) are tokens
 * without one and are passed over.  "[...]" is the quoted packet of an
 * ICMP error and is skipped whole.  Stops early once every key we keep
 * has been seen (first occurrence wins, so later ones change nothing).
 * Each byte is looked at once (eight at a time), except the few inside a
 * skipped "[...]".
 */
static void
iptables_scan(const char *p, const char *end, struct iptables_kv *kv)
{
	const char	*t, *v, *rb;

	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		/* A token: up to its '=' (a key) or its end (a flag). */
		t = p;
		p = iptables_stop(p, end, 1);
		if (p == end)
			break;
		if (*p == ' ')
			continue;
		if (*t == '[') {
			if ((rb = memchr(t, ']', (size_t)(end - t))) == NULL)
				break;
			p = rb + 1;
			continue;
		}
		v = ++p;
		p = iptables_stop(p, end, 0);
		iptables_key(kv, t, (size_t)(v - 1 - t),
		    (struct span){ v, (size_t)(p - v) });
		if (kv->seen == KV_ALL)
			break;
	}
}

/*
 * Proxmox's pve-firewall.log: "VMID LEVEL CHAIN DD/Mon/YYYY:HH:MM:SS
 * +ZZZZ prefix".  Sets the time, rule.name (the chain) and process.name
 * (pve-firewall, the program that writes the file) and narrows
 * *pfx to what follows the time; -1 if the line is not in that form.
 */
static int
iptables_proxmox(struct span *pfx, struct record *rec)
{
	static const char	 months[] =
	    "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int	 at[6] = { 0, 7, 12, 15, 18, 22 };
	static const int	 w[6] = { 2, 4, 2, 2, 2, 4 };
	const char		*p = pfx->p, *end = pfx->p + pfx->len, *chain;
	size_t			 chainlen, i;
	int			 f[6], month, sign, n;
	int64_t			 secs;
	int32_t			 off;

	for (n = 0; n < 2; n++) {
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p >= end || *p++ != ' ')
			return -1;
	}
	chain = p;
	while (p < end && *p != ' ')
		p++;
	chainlen = (size_t)(p - chain);
	if (chainlen == 0 || p >= end || end - ++p < 26)
		return -1;
	/* "20/Jun/2022:13:09:14 +0200" */
	if (p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	for (month = 0; month < 12; month++)
		if (memcmp(p + 3, months + month * 3, 3) == 0)
			break;
	if (month == 12)
		return -1;
	for (n = 0; n < 6; n++) {
		f[n] = 0;
		for (i = 0; i < (size_t)w[n]; i++) {
			if (p[at[n] + i] < '0' || p[at[n] + i] > '9')
				return -1;
			f[n] = f[n] * 10 + (p[at[n] + i] - '0');
		}
	}
	if (f[0] < 1 || f[0] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60 ||
	    f[5] / 100 > 23 || f[5] % 100 > 59)
		return -1;
	sign = p[21] == '-' ? -1 : 1;
	off = sign * (f[5] / 100 * 3600 + f[5] % 100 * 60);
	secs = tz_days_from_civil(f[1], month + 1, f[0]) * 86400 +
	    (int64_t)f[2] * 3600 + (int64_t)f[3] * 60 + f[4] - off;
	rec->ts_us = secs * 1000000;
	rec->tz_off = off;
	rec->ts_digits = 0;
	rec->has_ts = true;
	record_set(rec, RF_RULE_NAME, chain, chainlen);
	record_set_lit(rec, RF_PROCESS_NAME, "pve-firewall");
	pfx->p = p + 26;
	pfx->len = (size_t)(end - pfx->p);
	return 0;
}

/* Parse one line; the parser's return value (1, 0, -1). */
static int
iptables_parse_line(struct iptables_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct iptables_kv	 kv;
	struct span		 body, pfx, act, proto = SPAN_NULL;
	const char		*eq, *kvp;
	int			 have_hdr;

	have_hdr = syslog_parse(&st->ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	iptables_trim(&body);

	/* The key=value part starts at the first key, IN= or OUT=. */
	if ((eq = memchr(body.p, '=', body.len)) == NULL)
		return 0;
	if (eq - body.p >= 2 && eq[-2] == 'I' && eq[-1] == 'N')
		kvp = eq - 2;
	else if (eq - body.p >= 3 && memcmp(eq - 3, "OUT", 3) == 0)
		kvp = eq - 3;
	else
		return 0;

	memset(&kv, 0, sizeof kv);
	iptables_scan(kvp, body.p + body.len, &kv);
	if ((kv.seen & (KV_SRC | KV_DST)) != (KV_SRC | KV_DST))
		return 0;
	/*
	 * "kernel:" before the key=value part of a line without a header
	 * means a syslog header was there and could not be read (Feb 30).
	 */
	if (!have_hdr && memmem(body.p, (size_t)(kvp - body.p), "kernel:",
	    7) != NULL)
		return -1;
	if (netaddr_parse(&rec->src, kv.src.p, kv.src.len) != 0 ||
	    netaddr_parse(&rec->dst, kv.dst.p, kv.dst.len) != 0 ||
	    ((kv.seen & KV_SPT) && !iptables_port_ok(kv.spt)) ||
	    ((kv.seen & KV_DPT) && !iptables_port_ok(kv.dpt)) ||
	    ((kv.seen & KV_PROTO) && iptables_proto(st, kv.proto, &proto) != 0))
		goto bad;

	if (have_hdr)
		syslog_to_record(&hdr, rec);
	else
		record_set(rec, RF_MESSAGE, line, len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.iptables");
	record_set(rec, RF_SOURCE_IP, kv.src.p, kv.src.len);
	record_set(rec, RF_DESTINATION_IP, kv.dst.p, kv.dst.len);
	if (kv.seen & KV_SPT)
		record_set(rec, RF_SOURCE_PORT, kv.spt.p, kv.spt.len);
	if (kv.seen & KV_DPT)
		record_set(rec, RF_DESTINATION_PORT, kv.dpt.p, kv.dpt.len);
	if (kv.seen & KV_PROTO)
		record_set(rec, RF_NETWORK_TRANSPORT, proto.p, proto.len);
	record_set(rec, RF_OBSERVER_INGRESS_INTERFACE, kv.in.p, kv.in.len);
	record_set(rec, RF_OBSERVER_EGRESS_INTERFACE, kv.out.p, kv.out.len);

	/* The log prefix: rule.name, and the verdict when it names one. */
	pfx.p = body.p;
	pfx.len = (size_t)(kvp - body.p);
	if (!have_hdr && iptables_proxmox(&pfx, rec) == 0)
		iptables_trim(&pfx);
	else {
		iptables_skip_ktime(&pfx);
		if (pfx.len > 0 && pfx.p[pfx.len - 1] == ':') {
			pfx.len--;
			iptables_trim(&pfx);
		}
		/*
		 * "Jan  8 03:37:09 DENY: IN=..." (a prefix logged without the
		 * kernel's tag) is parsed by syslog as the program "DENY".
		 */
		if (pfx.len == 0 && have_hdr && hdr.pid.len == 0 &&
		    hdr.program.len > 0 && hdr.host.len == 0 &&
		    !iptables_is(hdr.program.p, hdr.program.len, "kernel", 6)) {
			pfx = hdr.program;
			record_unset(rec, RF_PROCESS_NAME);
		}
		record_set(rec, RF_RULE_NAME, pfx.p, pfx.len);
	}
	if (iptables_action(st, pfx, &act) == 0)
		record_set(rec, RF_EVENT_ACTION, act.p, act.len);
	return 1;

bad:
	rec->src.family = rec->dst.family = 0;
	return -1;
}

/* New state from opts (NULL: UTC and the clock); NULL if out of memory. */
static void *
iptables_state_new(const struct parser_opts *opts)
{
	struct iptables_state	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	if (opts != NULL) {
		st->ctx.tz = opts->tz;
		st->ctx.ref_us = opts->ref_us;
	}
	return st;
}

/* Free the state; accepts NULL. */
static void
iptables_state_free(void *state)
{
	free(state);
}

/* Parse one netfilter line into rec: 1 event, 0 not one, -1 malformed. */
static int
iptables_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct iptables_state	*st = state;
	int			 rc;

	rc = iptables_parse_line(st, line, len, rec);
	if (rc == 1)
		st->stats.events++;
	else if (rc == 0)
		st->stats.ignored++;
	else
		st->stats.malformed++;
	return rc;
}

/* The counters of state; owned by the state. */
static const struct parser_stats *
iptables_stats(void *state)
{
	struct iptables_state	*st = state;

	return &st->stats;
}

/* Set the year-inference reference (0 = the clock). */
static void
iptables_set_ref(void *state, int64_t ref_us)
{
	struct iptables_state	*st = state;

	st->ctx.ref_us = ref_us;
}

const struct parser parser_iptables = {
	.name = "iptables",
	.dataset = "firewall.iptables",
	.description = "netfilter LOG lines (iptables, nftables, ufw, "
	    "firewalld, EdgeOS, Proxmox)",
	.state_new = iptables_state_new,
	.state_free = iptables_state_free,
	.parse = iptables_parse,
	.stats = iptables_stats,
	.set_ref = iptables_set_ref,
};
