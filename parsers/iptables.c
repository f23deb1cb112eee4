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
#include "spaces.h"
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

/* The keys the key=value scan keeps, as indices of iptables_kv.v. */
enum {
	KI_IN,
	KI_OUT,
	KI_SRC,
	KI_DST,
	KI_SPT,
	KI_DPT,
	KI_PROTO,
	KI_N
};

#define KV_IN		(1U << KI_IN)
#define KV_OUT		(1U << KI_OUT)
#define KV_SRC		(1U << KI_SRC)
#define KV_DST		(1U << KI_DST)
#define KV_SPT		(1U << KI_SPT)
#define KV_DPT		(1U << KI_DPT)
#define KV_PROTO	(1U << KI_PROTO)
#define KV_ALL		((1U << KI_N) - 1)

/* What the key=value scan found: spans into the line, by KI_*. */
struct iptables_kv {
	struct span	v[KI_N];
	unsigned int	seen;		/* KV_* of the keys found */
};

/* Verdict words looked for in a log prefix, any case; by first letter. */
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

/*
 * The verdict words a byte may begin, either case: 1 + the index of the
 * first in iptables_verbs (which keeps the words of a letter together),
 * 0 for none.  A prefix is mostly bytes that begin none.
 */
static const unsigned char iptables_vfirst[256] = {
	['a'] = 1, ['b'] = 3, ['d'] = 4, ['r'] = 7,
	['A'] = 1, ['B'] = 3, ['D'] = 4, ['R'] = 7,
};

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
static inline void
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
		/* Digits first: they are most of the bytes. */
		if ((unsigned char)(s->p[i] - '0') <= 9)
			continue;
		if (s->p[i] == ']')
			break;
		if (s->p[i] != ' ' && s->p[i] != '.')
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
		if ((j = iptables_vfirst[(unsigned char)pfx.p[i]]) == 0)
			continue;
		c = iptables_lower(pfx.p[i]);
		for (j--; j < IPTABLES_NVERBS &&
		    iptables_verbs[j].word[0] == c; j++) {
			n = iptables_verbs[j].len;
			if (pfx.len - i < n)
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

/*
 * The first byte at or after p that is a space, or with eq also an '=';
 * end if none.  Eight bytes at a time where eight remain before end (a
 * word never reaches past the line), byte by byte for the rest.  The
 * lowest flagged byte of the classic has-zero test is exact.
 */
static inline const char *
iptables_stop(const char *p, const char *end, int eq)
{
#if SPACES_SWAR
	uint64_t	w, s, e, m;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		s = w ^ (SPACES_ONES * ' ');
		m = (s - SPACES_ONES) & ~s;
		if (eq) {
			e = w ^ (SPACES_ONES * '=');
			m |= (e - SPACES_ONES) & ~e;
		}
		if ((m &= SPACES_HIGHS) != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && *p != ' ' && (!eq || *p != '='))
		p++;
	return p;
}

/*
 * The slow scan of the key=value part p..end, one token at a time.  A key
 * is the text between the last space before an '=' and the '='; flags (DF,
 * SYN) are tokens without one and are passed over.  "[...]" is the quoted
 * packet of an ICMP error and is skipped whole.  Stops early once every
 * key we keep has been seen (first occurrence wins, so later ones change
 * nothing).  iptables_scan() hands a line over to it at a '[' token, and
 * it is the whole scan where words cannot be read.
 */
static void
iptables_scan_tokens(const char *p, const char *end, struct iptables_kv *kv)
{
	const char	*t, *v, *rb;
	size_t		 klen;
	int		 ki;

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
		klen = (size_t)(v - 1 - t);
		ki = -1;
		if (klen == 2 && t[0] == 'I' && t[1] == 'N')
			ki = KI_IN;
		else if (klen == 3 && memcmp(t, "OUT", 3) == 0)
			ki = KI_OUT;
		else if (klen == 3 && memcmp(t, "SRC", 3) == 0)
			ki = KI_SRC;
		else if (klen == 3 && memcmp(t, "DST", 3) == 0)
			ki = KI_DST;
		else if (klen == 3 && memcmp(t, "SPT", 3) == 0)
			ki = KI_SPT;
		else if (klen == 3 && memcmp(t, "DPT", 3) == 0)
			ki = KI_DPT;
		else if (klen == 5 && memcmp(t, "PROTO", 5) == 0)
			ki = KI_PROTO;
		if (ki < 0 || (kv->seen & (1U << ki)) != 0)
			continue;
		kv->v[ki].p = v;
		kv->v[ki].len = (size_t)(p - v);
		kv->seen |= 1U << ki;
		if (kv->seen == KV_ALL)
			break;
	}
}

#if SPACES_SWAR
/*
 * The keys we keep, by a hash of their first two bytes: the seven fall
 * into distinct buckets of sixteen, so a token is told apart by one
 * masked compare of its first eight bytes with its bucket's key (name and
 * '=', little-endian).  Empty buckets hold a space, which no token begins
 * with, so their ki is never used.
 */
#define IPTABLES_KHASH(k)	(((k) ^ ((k) >> 9)) & 15)
#define IPTABLES_K4(a, b, c, d)	((uint64_t)(a) | (uint64_t)(b) << 8 | \
	    (uint64_t)(c) << 16 | (uint64_t)(d) << 24)

static const struct iptables_kent {
	uint64_t	key;
	uint64_t	mask;
	int		ki;		/* KI_* */
	unsigned int	vofs;		/* where the value starts */
} iptables_ktab[16] = {
	[14] = { IPTABLES_K4('I', 'N', '=', 0), 0xffffff, KI_IN, 3 },
	[5] = { IPTABLES_K4('O', 'U', 'T', '='), 0xffffffff, KI_OUT, 4 },
	[10] = { IPTABLES_K4('S', 'R', 'C', '='), 0xffffffff, KI_SRC, 4 },
	[13] = { IPTABLES_K4('D', 'S', 'T', '='), 0xffffffff, KI_DST, 4 },
	[11] = { IPTABLES_K4('S', 'P', 'T', '='), 0xffffffff, KI_SPT, 4 },
	[12] = { IPTABLES_K4('D', 'P', 'T', '='), 0xffffffff, KI_DPT, 4 },
	[9] = { IPTABLES_K4('P', 'R', 'O', 'T') |
	    IPTABLES_K4('O', '=', 0, 0) << 32, 0xffffffffffffULL, KI_PROTO,
	    6 },
	[0] = { ' ', 0xff, 0, 0 }, [1] = { ' ', 0xff, 0, 0 },
	[2] = { ' ', 0xff, 0, 0 }, [3] = { ' ', 0xff, 0, 0 },
	[4] = { ' ', 0xff, 0, 0 }, [6] = { ' ', 0xff, 0, 0 },
	[7] = { ' ', 0xff, 0, 0 }, [8] = { ' ', 0xff, 0, 0 },
	[15] = { ' ', 0xff, 0, 0 },
};
#endif

/*
 * Scan the key=value part p..end (p begins a token; the bytes from lo, at
 * or before p, may be read) with the rules of iptables_scan_tokens(), but
 * 64 bytes at a time: a mask of the spaces in them gives every token's
 * start and end at once, so the bytes are not walked token by token.  A
 * token is one of our keys or not by its first bytes alone (the name and
 * its '='), and only then is its end looked up, as the next space.  A
 * token starting with '[' may begin a quoted packet, which needs its '='
 * looked for: the slow scan takes over from there.
 */
static void
iptables_scan(const char *p, const char *end, const char *lo,
    struct iptables_kv *kv)
{
#if SPACES_SWAR
	const struct iptables_kent	*e;
	struct span			*v, *pend = NULL;
	const char			*base, *t;
	uint64_t			 s, starts, k, carry = 1;
	size_t				 n, i;

	for (base = p; base < end; base += 64) {
		n = (size_t)(end - base) < 64 ? (size_t)(end - base) : 64;
		s = spaces_mask(base, n, lo);
		starts = ~s & (s << 1 | carry);
		carry = s >> 63;
		if (pend != NULL && s != 0) {
			/* The value a token of the last block began ends. */
			pend->len = (size_t)(base + __builtin_ctzll(s) -
			    pend->p);
			pend = NULL;
			if (kv->seen == KV_ALL)
				return;
		}
		for (; starts != 0; starts &= starts - 1) {
			i = (size_t)__builtin_ctzll(starts);
			t = base + i;
			if (end - t >= 8)
				memcpy(&k, t, 8);
			else if (end - lo >= 8) {
				memcpy(&k, end - 8, 8);
				k >>= 8 * (8 - (end - t));
			} else {
				iptables_scan_tokens(t, end, kv);
				return;
			}
			if ((k & 0xff) == '[') {
				iptables_scan_tokens(t, end, kv);
				return;
			}
			e = &iptables_ktab[IPTABLES_KHASH(k)];
			if ((k & e->mask) != e->key ||
			    (kv->seen & (1U << e->ki)) != 0)
				continue;
			kv->seen |= 1U << e->ki;
			v = &kv->v[e->ki];
			v->p = t + e->vofs;
			if ((s >> i) == 0) {
				/* Its end is in a later block. */
				pend = v;
				break;
			}
			v->len = (size_t)(t + __builtin_ctzll(s >> i) - v->p);
			if (kv->seen == KV_ALL)
				return;
		}
	}
	/* A value still open when the text ends on a block boundary. */
	if (pend != NULL)
		pend->len = (size_t)(end - pend->p);
#else
	iptables_scan_tokens(p, end, kv);
#endif
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

/* Set field rf to key ki of kv, if the line has that key. */
static inline void
iptables_kv_set(struct record *rec, enum rf rf, const struct iptables_kv *kv,
    int ki)
{
	if (kv->seen & (1U << ki))
		record_set(rec, rf, kv->v[ki].p, kv->v[ki].len);
}

/* Parse one line; the parser's return value (1, 0, -1). */
static int
iptables_parse_line(struct iptables_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	struct iptables_kv	 kv;
	struct span		 body, pfx, act, src, dst, proto = SPAN_NULL;
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

	/* Only the keys in kv.seen are read. */
	kv.seen = 0;
	iptables_scan(kvp, body.p + body.len, body.p, &kv);
	if ((kv.seen & (KV_SRC | KV_DST)) != (KV_SRC | KV_DST))
		return 0;
	/*
	 * "kernel:" before the key=value part of a line without a header
	 * means a syslog header was there and could not be read (Feb 30).
	 */
	if (!have_hdr && memmem(body.p, (size_t)(kvp - body.p), "kernel:",
	    7) != NULL)
		return -1;
	src = kv.v[KI_SRC];
	dst = kv.v[KI_DST];
	if (netaddr_parse(&rec->src, src.p, src.len) != 0 ||
	    netaddr_parse(&rec->dst, dst.p, dst.len) != 0 ||
	    ((kv.seen & KV_SPT) && !iptables_port_ok(kv.v[KI_SPT])) ||
	    ((kv.seen & KV_DPT) && !iptables_port_ok(kv.v[KI_DPT])) ||
	    ((kv.seen & KV_PROTO) &&
	    iptables_proto(st, kv.v[KI_PROTO], &proto) != 0))
		goto bad;

	if (have_hdr)
		syslog_to_record(&hdr, rec);
	else
		record_set(rec, RF_MESSAGE, line, len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.iptables");
	record_set(rec, RF_SOURCE_IP, src.p, src.len);
	record_set(rec, RF_DESTINATION_IP, dst.p, dst.len);
	iptables_kv_set(rec, RF_SOURCE_PORT, &kv, KI_SPT);
	iptables_kv_set(rec, RF_DESTINATION_PORT, &kv, KI_DPT);
	if (kv.seen & KV_PROTO)
		record_set(rec, RF_NETWORK_TRANSPORT, proto.p, proto.len);
	iptables_kv_set(rec, RF_OBSERVER_INGRESS_INTERFACE, &kv, KI_IN);
	iptables_kv_set(rec, RF_OBSERVER_EGRESS_INTERFACE, &kv, KI_OUT);

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
