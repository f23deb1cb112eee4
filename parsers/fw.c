/*
 * fw.c: helpers of the firewall parsers (see fw.h).  Every function takes
 * a span or a cursor with its end and stays inside it; values are checked
 * before they become fields, so a parser never emits a port of 99999 or an
 * address that is not one.  The only bytes written are the state's
 * scratch buffer, refused (never cut) when a value does not fit.  This
 * module must never allocate per line or keep a pointer into a line.
 */
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "log.h"
#include "netaddr.h"
#include "tz.h"

/* Zone abbreviations firewalls print; ambiguous ones (CST, IST) are not. */
static const struct {
	const char	*name;
	int32_t		 off;
} fw_zones[] = {
	{ "UTC", 0 }, { "GMT", 0 }, { "Z", 0 }, { "WET", 0 },
	{ "WEST", 3600 }, { "CET", 3600 }, { "CEST", 7200 }, { "BST", 3600 },
	{ "EET", 7200 }, { "EEST", 10800 }, { "MSK", 10800 },
	{ "HKT", 28800 }, { "SGT", 28800 }, { "JST", 32400 },
	{ "KST", 32400 }, { "AEST", 36000 }, { "AEDT", 39600 },
	{ "NZST", 43200 }, { "NZDT", 46800 }, { "EST", -18000 },
	{ "EDT", -14400 }, { "CDT", -18000 }, { "MST", -25200 },
	{ "MDT", -21600 }, { "PST", -28800 }, { "PDT", -25200 },
};

/* IANA protocol numbers and the names network.transport uses. */
static const struct {
	const char	*num;
	const char	*name;
} fw_protos[] = {
	{ "1", "icmp" }, { "2", "igmp" }, { "4", "ipip" }, { "6", "tcp" },
	{ "17", "udp" }, { "41", "ipv6" }, { "47", "gre" }, { "50", "esp" },
	{ "51", "ah" }, { "58", "ipv6-icmp" }, { "89", "ospf" },
	{ "103", "pim" }, { "112", "vrrp" }, { "132", "sctp" },
};

static const char *const fw_allowed[] = {
	"accept", "accepted", "allow", "allowed", "permit", "permitted",
	"pass", "passthrough", "built", "est-allowed", NULL
};
static const char *const fw_denied[] = {
	"deny", "denied", "drop", "dropped", "block", "blocked", "reject",
	"rejected", "discard", "discarded", "prevent", "prevented", "refused",
	NULL
};

static const char fw_months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* ASCII lower case of c. */
static inline char
fw_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* True if c is a decimal digit. */
static inline bool
fw_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* The key index bucket of a key. */
static inline size_t
fw_key_hash(const char *p, size_t len)
{
	if (len == 0)
		return 0;
	return (len * 31 + (unsigned char)p[0] * 7 +
	    (unsigned char)p[len - 1] * 3 + (unsigned char)p[len / 2]) %
	    FW_KIDX;
}

/* A new state of size bytes with its key index; NULL without memory. */
void *
fw_state_new(const struct parser_opts *opts, size_t size,
    const struct fw_key *keys, size_t n)
{
	struct fw_state	*st;
	size_t		 i, h;

	for (i = 1; i < n; i++)
		if (fw_key_cmp(&keys[i - 1], &keys[i]) >= 0)
			fatalx("key table out of order at \"%s\"", keys[i].key);
	if (n >= 255)
		fatalx("key table too large");

	if (size < sizeof *st || (st = calloc(1, size)) == NULL)
		return NULL;
	if (opts != NULL) {
		st->ctx.tz = opts->tz;
		st->ctx.ref_us = opts->ref_us;
	}
	st->keys = keys;
	st->nkeys = n;
	for (i = 0; i < n; i++) {
		h = fw_key_hash(keys[i].key, keys[i].len);
		st->kidx[h] = st->kidx[h] == 0 ? (uint8_t)(i + 1) : 255;
	}
	return st;
}

/* Free a state; accepts NULL. */
void
fw_state_free(void *state)
{
	free(state);
}

/* The counters of a state; owned by it. */
const struct parser_stats *
fw_stats(void *state)
{
	struct fw_state	*st = state;

	return &st->stats;
}

/* Set the year-inference reference time (0: the clock). */
void
fw_set_ref(void *state, int64_t ref_us)
{
	struct fw_state	*st = state;

	st->ctx.ref_us = ref_us;
}

/* Start a line: the scratch of the last one is free again. */
void
fw_begin(struct fw_state *st)
{
	st->used = 0;
}

/* Count rc in the stats and return it. */
int
fw_count(struct fw_state *st, int rc)
{
	if (rc == 1)
		st->stats.events++;
	else if (rc == 0)
		st->stats.ignored++;
	else
		st->stats.malformed++;
	return rc;
}

/* Skip spaces at the cursor. */
void
fw_skip_sp(struct fw_cur *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/* Consume the literal s at the cursor; false if it is not there. */
bool
fw_lit(struct fw_cur *c, const char *s, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* The next space-delimited token; false at the end. */
bool
fw_word(struct fw_cur *c, struct span *out)
{
	const char	*sp;

	fw_skip_sp(c);
	if (c->p >= c->end)
		return false;
	if ((sp = memchr(c->p, ' ', (size_t)(c->end - c->p))) == NULL)
		sp = c->end;
	out->p = c->p;
	out->len = (size_t)(sp - c->p);
	c->p = sp;
	return true;
}

/* The text up to ch, consuming ch; false if ch is absent. */
bool
fw_until(struct fw_cur *c, char ch, struct span *out)
{
	const char	*q;

	if (c->p >= c->end ||
	    (q = memchr(c->p, ch, (size_t)(c->end - c->p))) == NULL)
		return false;
	out->p = c->p;
	out->len = (size_t)(q - c->p);
	c->p = q + 1;
	return true;
}

/* Move past the next s; false (cursor unmoved) if there is none. */
bool
fw_find(struct fw_cur *c, const char *s, size_t n)
{
	const char	*q;

	if (c->p >= c->end ||
	    (q = memmem(c->p, (size_t)(c->end - c->p), s, n)) == NULL)
		return false;
	c->p = q + n;
	return true;
}

/* True if a and b hold the same bytes. */
bool
fw_same(struct span a, struct span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* s without surrounding blanks and line ends. */
struct span
fw_trim(struct span s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' ||
	    s.p[s.len - 1] == '\t' || s.p[s.len - 1] == '\r' ||
	    s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

/* True if s is lit, ASCII case ignored. */
bool
fw_ieq(struct span s, const char *lit)
{
	size_t	i;

	for (i = 0; i < s.len; i++)
		if (lit[i] == '\0' || fw_tolower(s.p[i]) != fw_tolower(lit[i]))
			return false;
	return lit[i] == '\0';
}

/* True if s starts with lit, ASCII case ignored. */
bool
fw_iprefix(struct span s, const char *lit)
{
	size_t	i;

	for (i = 0; lit[i] != '\0'; i++)
		if (i >= s.len || fw_tolower(s.p[i]) != fw_tolower(lit[i]))
			return false;
	return true;
}

/* The first lit in s, or NULL. */
const char *
fw_memmem(struct span s, const char *lit, size_t n)
{
	const char	*p = s.p, *end = s.p + s.len;

	/*
	 * Needles here are a few bytes long: memchr for the first byte and
	 * a compare beats a general search's set-up on every call.
	 */
	if (n == 0 || s.len < n)
		return n == 0 ? s.p : NULL;
	end -= n - 1;
	while (p < end && (p = memchr(p, lit[0], (size_t)(end - p))) != NULL) {
		if (memcmp(p + 1, lit + 1, n - 1) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* True if the byte at q (after start) is escaped by an odd run of '\\'. */
static bool
fw_escaped(const char *start, const char *q)
{
	size_t	n = 0;

	while (q > start && q[-1] == '\\') {
		n++;
		q--;
	}
	return (n & 1) != 0;
}

/* The next key=value of a space-separated list; false at the end. */
bool
fw_kv_next(struct fw_cur *c, struct span *key, struct span *val)
{
	const char	*k, *q;

	for (;;) {
		fw_skip_sp(c);
		if (c->p >= c->end)
			return false;
		k = c->p;
		while (c->p < c->end && *c->p != '=' && *c->p != ' ' &&
		    *c->p != '"')
			c->p++;
		if (c->p < c->end && *c->p == '=' && c->p > k)
			break;
		/* Not a key: pass the token (a quoted one whole). */
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			if ((q = memchr(c->p, '"', (size_t)(c->end - c->p))) ==
			    NULL)
				c->p = c->end;
			else
				c->p = q + 1;
		}
		while (c->p < c->end && *c->p != ' ')
			c->p++;
	}
	key->p = k;
	key->len = (size_t)(c->p - k);
	c->p++;
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		val->p = c->p;
		/* The closing quote is the first one not escaped. */
		for (;;) {
			if ((q = memchr(c->p, '"', (size_t)(c->end - c->p))) ==
			    NULL) {
				c->p = c->end;
				break;
			}
			c->p = q;
			if (!fw_escaped(val->p, q))
				break;
			c->p++;
		}
		val->len = (size_t)(c->p - val->p);
		if (c->p < c->end)
			c->p++;
		return true;
	}
	/* Values are short: a plain loop beats memchr's set-up. */
	val->p = c->p;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	val->len = (size_t)(c->p - val->p);
	return true;
}

/* Split a CEF header into cef; false if p is not one. */
bool
fw_cef_parse(const char *p, size_t len, struct cef *cef)
{
	struct span	*part[7];
	const char	*end = p + len, *s;
	int		 i;

	part[0] = NULL;
	part[1] = &cef->vendor;
	part[2] = &cef->product;
	part[3] = &cef->version;
	part[4] = &cef->sigid;
	part[5] = &cef->name;
	part[6] = &cef->severity;
	memset(cef, 0, sizeof *cef);
	if (len >= 4 && memcmp(p, "CEF:", 4) == 0) {
		p += 4;
		if (p < end && *p == ' ')
			p++;
	}
	if (p >= end || !fw_isdigit(*p))
		return false;
	while (p < end && fw_isdigit(*p))
		p++;
	if (p >= end || *p++ != '|')
		return false;
	for (i = 1; i < 7; i++) {
		s = p;
		while (p < end && *p != '|') {
			if (*p == '\\' && end - p > 1)
				p++;
			p++;
		}
		if (p >= end)
			return false;
		part[i]->p = s;
		part[i]->len = (size_t)(p - s);
		p++;
	}
	cef->ext.p = p;
	cef->ext.len = (size_t)(end - p);
	return true;
}

/* True if a CEF extension key ("src", "cs1Label") ends at '=' from p. */
static bool
fw_cef_key_at(const char *p, const char *end)
{
	const char	*k = p;

	while (p < end && ((*p >= 'a' && *p <= 'z') ||
	    (*p >= 'A' && *p <= 'Z') || fw_isdigit(*p) || *p == '_' ||
	    *p == '.' || *p == '-' || *p == '[' || *p == ']'))
		p++;
	return p > k && p < end && *p == '=';
}

/* The next key=value of a CEF extension; false at the end. */
bool
fw_cef_next(struct fw_cur *c, struct span *key, struct span *val)
{
	const char	*k, *v, *p;

	fw_skip_sp(c);
	if (c->p >= c->end || !fw_cef_key_at(c->p, c->end))
		return false;
	k = c->p;
	while (*c->p != '=')
		c->p++;
	key->p = k;
	key->len = (size_t)(c->p - k);
	v = ++c->p;
	for (p = v; p < c->end; p++) {
		if (*p == '\\' && c->end - p > 1) {
			p++;
			continue;
		}
		if (*p == ' ' && fw_cef_key_at(p + 1, c->end))
			break;
	}
	val->p = v;
	val->len = (size_t)(p - v);
	*val = fw_trim(*val);
	/* Some devices quote a value: request="host/path". */
	if (val->len >= 2 && val->p[0] == '"' && val->p[val->len - 1] == '"') {
		val->p++;
		val->len -= 2;
	}
	c->p = p;
	return true;
}

/* Undo backslash escapes of *v into the scratch; false if full. */
bool
fw_unescape(struct fw_state *st, struct span *v)
{
	size_t	i, n = 0;
	char	*out;

	if (v->len == 0 || memchr(v->p, '\\', v->len) == NULL)
		return true;
	if (v->len > sizeof st->scratch - st->used)
		return false;
	out = st->scratch + st->used;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] == '\\' && i + 1 < v->len) {
			i++;
			out[n++] = v->p[i] == 'n' ? '\n' : v->p[i] == 'r' ?
			    '\r' : v->p[i];
		} else
			out[n++] = v->p[i];
	}
	st->used += n;
	v->p = out;
	v->len = n;
	return true;
}

/* @timestamp from a CEF rt= value; false if it is not a time. */
bool
fw_cef_time(struct fw_state *st, struct record *rec, struct span v)
{
	struct fw_cur	c = { v.p, v.p + v.len };
	struct span	z;
	uint64_t	ms;
	int32_t		off;

	if (span_to_u64(v, &ms)) {
		/* Milliseconds since the epoch (seconds if short). */
		if (v.len <= 10)
			ms *= 1000;
		if (ms > 100000000000000ULL)	/* past the year 5000 */
			return false;
		rec->ts_us = (int64_t)ms * 1000;
		rec->tz_off = 0;
		rec->ts_digits = 3;
		rec->has_ts = true;
		rec->flags &= ~REC_NO_YEAR;
		return true;
	}
	/* "Nov 21 2026 01:05:03 GMT" */
	rec->flags &= ~REC_NO_YEAR;
	if (!fw_bsd_time(st, &c, rec))
		return false;
	if (fw_word(&c, &z) && fw_zone(z, &off)) {
		rec->ts_us += (int64_t)(rec->tz_off - off) * 1000000;
		rec->tz_off = off;
	}
	return true;
}

/* Where a CEF header starts in line; NULL if nowhere. */
const char *
fw_cef_find(const char *line, size_t len)
{
	const char	*p;

	if ((p = fw_memmem((struct span){ line, len }, "CEF:", 4)) != NULL)
		return p;
	if (len > 2 && fw_isdigit(line[0]) && (line[1] == '|' ||
	    (fw_isdigit(line[1]) && line[2] == '|')))
		return line;
	return NULL;
}

/* Order of key tables: by length, then bytes. */
int
fw_key_cmp(const struct fw_key *a, const struct fw_key *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->key, b->key, a->len);
}

/* Binary search of k in a sorted key table; 0 if absent. */
int
fw_key_lookup(const struct fw_key *tab, size_t n, struct span k)
{
	size_t		lo = 0, hi = n, mid, i;
	int		c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k.len != tab[mid].len)
			c = k.len < tab[mid].len ? -1 : 1;
		else {
			/* Keys are short: compare in place, no call. */
			for (i = 0, c = 0; i < k.len && c == 0; i++)
				c = (unsigned char)k.p[i] -
				    (unsigned char)tab[mid].key[i];
			if (c == 0)
				return tab[mid].id;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* The id of k through the state's key index; 0 if absent. */
int
fw_key_find(const struct fw_state *st, struct span k)
{
	const struct fw_key	*e;
	uint8_t			 b;

	if (k.len == 0 || (b = st->kidx[fw_key_hash(k.p, k.len)]) == 0)
		return 0;
	if (b == 255)
		return fw_key_lookup(st->keys, st->nkeys, k);
	e = &st->keys[b - 1];
	return e->len == k.len && memcmp(e->key, k.p, k.len) == 0 ? e->id : 0;
}

/* s lowercased into the scratch; false if it does not fit. */
bool
fw_lower(struct fw_state *st, struct span s, struct span *out)
{
	size_t	i;

	if (s.len > sizeof st->scratch - st->used)
		return false;
	out->p = st->scratch + st->used;
	out->len = s.len;
	for (i = 0; i < s.len; i++)
		st->scratch[st->used + i] = fw_tolower(s.p[i]);
	st->used += s.len;
	return true;
}

/* v in decimal into the scratch; false if it does not fit. */
bool
fw_u64(struct fw_state *st, uint64_t v, struct span *out)
{
	char	buf[24];
	size_t	n = sizeof buf;

	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (sizeof buf - n > sizeof st->scratch - st->used)
		return false;
	out->p = st->scratch + st->used;
	out->len = sizeof buf - n;
	memcpy(st->scratch + st->used, buf + n, out->len);
	st->used += out->len;
	return true;
}

/* True if s is an IPv4 or IPv6 address. */
bool
fw_ip_ok(struct span s)
{
	struct netaddr	a;

	return s.len > 0 && netaddr_parse(&a, s.p, s.len) == 0;
}

/* True if s is a port number. */
bool
fw_port_ok(struct span s)
{
	uint64_t	v;

	return s.len <= 5 && span_to_u64(s, &v) && v <= 65535;
}

/* True if s is a decimal number. */
bool
fw_num_ok(struct span s)
{
	uint64_t	v;

	return span_to_u64(s, &v);
}

/* Set an address field if s parses; true if it was set. */
bool
fw_set_ip(struct record *rec, enum rf rf, struct span s)
{
	struct netaddr	a;

	if (s.len == 0 || netaddr_parse(&a, s.p, s.len) != 0)
		return false;
	if (rf == RF_SOURCE_IP)
		rec->src = a;
	else if (rf == RF_DESTINATION_IP)
		rec->dst = a;
	record_set(rec, rf, s.p, s.len);
	return true;
}

/* Set a port field if s is a port; true if it was set. */
bool
fw_set_port(struct record *rec, enum rf rf, struct span s)
{
	if (!fw_port_ok(s))
		return false;
	record_set(rec, rf, s.p, s.len);
	return true;
}

/* Set a numeric field if s is a number; true if it was set. */
bool
fw_set_num(struct record *rec, enum rf rf, struct span s)
{
	if (!fw_num_ok(s))
		return false;
	record_set(rec, rf, s.p, s.len);
	return true;
}

/* Set a string field unless s names no value. */
void
fw_set_str(struct record *rec, enum rf rf, struct span s)
{
	s = fw_trim(s);
	if (s.len == 0 || (s.len == 1 && s.p[0] == '-'))
		return;
	if (((s.p[0] | 0x20) == 'n' || (s.p[0] | 0x20) == 'u') &&
	    (fw_ieq(s, "N/A") || fw_ieq(s, "None") || fw_ieq(s, "unknown")))
		return;
	record_set(rec, rf, s.p, s.len);
}

/* Set network.transport from a name or IANA number. */
void
fw_set_transport(struct fw_state *st, struct record *rec, struct span s)
{
	struct span	out;
	size_t		i;

	s = fw_trim(s);
	if (s.len == 0 || s.len > 16)
		return;
	if (fw_isdigit(s.p[0])) {
		for (i = 0; i < sizeof fw_protos / sizeof fw_protos[0]; i++)
			if (span_eq(s, fw_protos[i].num)) {
				record_set(rec, RF_NETWORK_TRANSPORT,
				    fw_protos[i].name,
				    strlen(fw_protos[i].name));
				return;
			}
		if (s.len <= 3 && fw_num_ok(s))
			record_set(rec, RF_NETWORK_TRANSPORT, s.p, s.len);
		return;
	}
	if (fw_ieq(s, "icmpv6") || fw_ieq(s, "icmp6") ||
	    fw_ieq(s, "ipv6-icmp")) {
		record_set_lit(rec, RF_NETWORK_TRANSPORT, "ipv6-icmp");
		return;
	}
	for (i = 0; i < s.len; i++)
		if (!((s.p[i] >= 'a' && s.p[i] <= 'z') ||
		    (s.p[i] >= 'A' && s.p[i] <= 'Z') || fw_isdigit(s.p[i]) ||
		    s.p[i] == '-'))
			return;
	if (fw_lower(st, s, &out))
		record_set(rec, RF_NETWORK_TRANSPORT, out.p, out.len);
}

/* FW_ALLOWED, FW_DENIED or 0 for a vendor action word. */
int
fw_verdict(struct span s)
{
	size_t	i;

	if (s.len == 0)
		return 0;
	for (i = 0; fw_allowed[i] != NULL; i++)
		if (fw_ieq(s, fw_allowed[i]))
			return FW_ALLOWED;
	for (i = 0; fw_denied[i] != NULL; i++)
		if (fw_ieq(s, fw_denied[i]))
			return FW_DENIED;
	/* PAN-OS and others: reset-both, reset-client, drop-icmp... */
	if (fw_iprefix(s, "reset-") || fw_iprefix(s, "drop-") ||
	    fw_iprefix(s, "block-") || fw_iprefix(s, "deny-"))
		return FW_DENIED;
	return 0;
}

/* Set event.type from a verdict class. */
void
fw_set_type(struct record *rec, int cls)
{
	if (cls == FW_ALLOWED)
		record_set_lit(rec, RF_EVENT_TYPE, "allowed");
	else if (cls == FW_DENIED)
		record_set_lit(rec, RF_EVENT_TYPE, "denied");
}

/* Set event.action (lowercased) and event.type; the class. */
int
fw_set_action(struct fw_state *st, struct record *rec, struct span s)
{
	struct span	out;
	int		cls;

	s = fw_trim(s);
	if (s.len == 0 || s.len > 64 || !fw_lower(st, s, &out))
		return 0;
	record_set(rec, RF_EVENT_ACTION, out.p, out.len);
	cls = fw_verdict(s);
	fw_set_type(rec, cls);
	return cls;
}

/* Set event.duration in nanoseconds. */
void
fw_set_duration(struct fw_state *st, struct record *rec, uint64_t s,
    uint64_t us)
{
	struct span	out;

	if (s > 1000000000ULL || us >= 1000000)
		return;
	if (fw_u64(st, s * 1000000000ULL + us * 1000, &out))
		record_set(rec, RF_EVENT_DURATION, out.p, out.len);
}

/* Set url.original, and url.domain when a host is certain. */
void
fw_set_url(struct record *rec, struct span s)
{
	const char	*p, *end, *h;

	s = fw_trim(s);
	if (s.len == 0 || (s.len == 1 && s.p[0] == '-'))
		return;
	record_set(rec, RF_URL_ORIGINAL, s.p, s.len);
	p = s.p;
	end = s.p + s.len;
	/* A scheme is letters at the start: "index.php?u=http://x" has none. */
	for (h = s.p; h < end && ((*h >= 'a' && *h <= 'z') ||
	    (*h >= 'A' && *h <= 'Z')); h++)
		continue;
	if (h > s.p && end - h >= 3 && memcmp(h, "://", 3) == 0)
		p = h + 3;
	else {
		/* "host/path": a host only if a '/' ends it ("a.php?x" not). */
		for (h = s.p; h < end && *h != '/' && *h != '?' && *h != '#';
		    h++)
			continue;
		if (h == end || *h != '/')
			return;
	}
	for (h = p; h < end && *h != '/' && *h != ':' && *h != '?' &&
	    *h != '#' && *h != ' '; h++)
		continue;
	if (h > p && memchr(p, '.', (size_t)(h - p)) != NULL)
		record_set(rec, RF_URL_DOMAIN, p, (size_t)(h - p));
}

/* n digits at p as a number; -1 if they are not digits. */
static int
fw_digits(const char *p, size_t n)
{
	size_t	i;
	int	v = 0;

	for (i = 0; i < n; i++) {
		if (!fw_isdigit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Read a YYYY-MM-DD or YYYY/MM/DD date; false if not one. */
bool
fw_date(struct span s, int *y, int *m, int *d)
{
	if (s.len != 10 || (s.p[4] != '-' && s.p[4] != '/') ||
	    s.p[7] != s.p[4])
		return false;
	*y = fw_digits(s.p, 4);
	*m = fw_digits(s.p + 5, 2);
	*d = fw_digits(s.p + 8, 2);
	return *y >= 1970 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

/* Read hh:mm:ss[.frac]; false if not one. */
bool
fw_clock(struct span s, int *h, int *mi, int *sec, int64_t *us,
    uint8_t *digits)
{
	size_t	i;
	int64_t	v = 0;

	*us = 0;
	*digits = 0;
	if (s.len < 8 || s.p[2] != ':' || s.p[5] != ':')
		return false;
	*h = fw_digits(s.p, 2);
	*mi = fw_digits(s.p + 3, 2);
	*sec = fw_digits(s.p + 6, 2);
	if (*h < 0 || *h > 23 || *mi < 0 || *mi > 59 || *sec < 0 || *sec > 60)
		return false;
	if (s.len == 8)
		return true;
	if (s.p[8] != '.' || s.len == 9)
		return false;
	for (i = 9; i < s.len; i++) {
		if (!fw_isdigit(s.p[i]))
			return false;
		if (i < 15)
			v = v * 10 + (s.p[i] - '0');
	}
	for (i = s.len; i < 15; i++)
		v *= 10;
	*us = v;
	*digits = s.len - 9 <= 3 ? 3 : 6;
	return true;
}

/* Read an offset or zone abbreviation; false if unknown. */
bool
fw_zone(struct span s, int32_t *off)
{
	size_t	i;
	int	h, m = 0;

	s = fw_trim(s);
	if (s.len >= 3 && (s.p[0] == '+' || s.p[0] == '-')) {
		if ((h = fw_digits(s.p + 1, 2)) < 0)
			return false;
		if (s.len == 6 && s.p[3] == ':')
			m = fw_digits(s.p + 4, 2);
		else if (s.len == 5)
			m = fw_digits(s.p + 3, 2);
		else if (s.len != 3)
			return false;
		if (m < 0 || m > 59 || h > 23)
			return false;
		*off = (s.p[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
		return true;
	}
	for (i = 0; i < sizeof fw_zones / sizeof fw_zones[0]; i++)
		if (fw_ieq(s, fw_zones[i].name)) {
			*off = fw_zones[i].off;
			return true;
		}
	return false;
}

/* Set @timestamp from a civil time in off, or the state's zone. */
void
fw_set_time(struct fw_state *st, struct record *rec, int y, int m, int d,
    int h, int mi, int s, int64_t us, uint8_t digits, const int32_t *off)
{
	int64_t	secs;
	int32_t	o;

	if (off != NULL) {
		o = *off;
		secs = tz_days_from_civil(y, m, d) * 86400 +
		    (int64_t)h * 3600 + (int64_t)mi * 60 + s - o;
	} else
		secs = tz_to_utc(st->ctx.tz, y, m, d, h, mi, s, &o);
	rec->ts_us = secs * 1000000 + us;
	rec->tz_off = o;
	rec->ts_digits = digits;
	rec->has_ts = true;
}

/* Set @timestamp from seconds since the epoch. */
void
fw_set_epoch(struct record *rec, int64_t secs)
{
	rec->ts_us = secs * 1000000;
	rec->tz_off = 0;
	rec->ts_digits = 0;
	rec->has_ts = true;
}

/* Read "Mmm dd [yyyy ]hh:mm:ss" at the cursor into @timestamp. */
bool
fw_bsd_time(struct fw_state *st, struct fw_cur *c, struct record *rec)
{
	const char	*p = c->p, *end = c->end;
	struct span	 clk;
	int		 month, day, year = -1, h, mi, s, i;
	int64_t		 us;
	uint8_t		 digits;

	if (end - p < 15)
		return false;
	for (month = 0; month < 12; month++)
		if (fw_tolower(p[0]) == fw_months[month * 3] &&
		    fw_tolower(p[1]) == fw_months[month * 3 + 1] &&
		    fw_tolower(p[2]) == fw_months[month * 3 + 2])
			break;
	if (month == 12 || p[3] != ' ')
		return false;
	p += 4;
	if (*p == ' ')
		p++;
	if ((day = fw_digits(p, 1)) < 0)
		return false;
	p++;
	if (p < end && fw_isdigit(*p))
		day = day * 10 + (*p++ - '0');
	if (p >= end || *p++ != ' ' || day < 1 || day > 31)
		return false;
	if (end - p > 5 && p[4] == ' ' && (i = fw_digits(p, 4)) >= 1970) {
		year = i;
		p += 5;
	}
	/* "hh:mm:ss", then an optional fraction. */
	clk.p = p;
	if (end - p < 8)
		return false;
	p += 8;
	if (p < end && *p == '.')
		for (p++; p < end && fw_isdigit(*p); p++)
			continue;
	clk.len = (size_t)(p - clk.p);
	if (!fw_clock(clk, &h, &mi, &s, &us, &digits))
		return false;
	if (year < 0) {
		year = syslog_infer_year(st->ctx.ref_us, st->ctx.tz, month + 1,
		    day);
		rec->flags |= REC_NO_YEAR;
	}
	fw_set_time(st, rec, year, month + 1, day, h, mi, s, us, digits, NULL);
	c->p = p;
	return true;
}
