/*
 * postfix.c: Postfix lines behind a syslog header (programs "postfix/...",
 * "postfix-<instance>/..." and "postscreen").  Each line is one event:
 * connects, "client=", "message-id=", the queue manager's "from=", every
 * delivery attempt ("to=... status=sent"), rejects, "removed", SASL
 * authentication failures, postscreen verdicts and other warnings.
 *
 * The lines of one message are joined by queue id: the client address and
 * name, the SASL user, the sender and the Message-ID are copied into a
 * table, so a delivery or a removal carries who sent the message and from
 * where.  The table is allocated once when the state is built and never
 * grows: max_queue fixed-size slots (values longer than a slot are cut and
 * the record is flagged truncated), a hash on the queue id, and an age
 * list from which the least recently used entry is dropped (and counted)
 * when the table is full.  An entry is freed when its "removed" line is
 * read.  Record spans may point into the table; they stay valid until the
 * next parse call.  Parsing never allocates and never reads past len.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "sysloghdr.h"

#define PF_MAX_QUEUE_DEFAULT	100000
#define PF_MAX_QUEUE_LIMIT	(1U << 24)
#define PF_NONE			UINT32_MAX

/* Bounds of the copies kept per queue id, in bytes. */
#define PF_QID_MAX	24
#define PF_IP_MAX	48
#define PF_HOST_MAX	128
#define PF_USER_MAX	128
#define PF_ADDR_MAX	256
#define PF_MSGID_MAX	256

/* Longest text between "[" and "]" taken for an address. */
#define PF_BRACKET_MAX	80

struct pf_entry {
	uint32_t	hnext;		/* hash chain, or free list */
	uint32_t	older;		/* age list: towards the oldest */
	uint32_t	newer;
	bool		used;
	bool		cut;		/* a value did not fit its slot */
	uint8_t		qid_len;
	uint8_t		ip_len;
	uint16_t	host_len;
	uint16_t	user_len;
	uint16_t	from_len;
	uint16_t	msgid_len;
	struct netaddr	addr;		/* the client, family 0 if unknown */
	char		qid[PF_QID_MAX];
	char		ip[PF_IP_MAX];
	char		host[PF_HOST_MAX];
	char		user[PF_USER_MAX];
	char		from[PF_ADDR_MAX];
	char		msgid[PF_MSGID_MAX];
};

struct postfix_state {
	struct parser_stats	 stats;
	struct syslog_ctx	 sctx;
	struct pf_entry		*slots;
	uint32_t		*buckets;
	uint32_t		 nslots;
	uint32_t		 mask;		/* buckets - 1 */
	uint32_t		 high;		/* slots ever handed out */
	uint32_t		 free_list;
	uint32_t		 oldest;
	uint32_t		 newest;
	uint32_t		 count;
};

/* A client "host[ip]:port" as found in a line. */
struct pf_client {
	struct span	host;
	struct span	ip;
	struct span	port;
	struct netaddr	addr;
};

/* Actions a restriction, milter or header check logs after the queue id. */
struct pf_verdict {
	const char	*word;		/* "reject: " */
	size_t		 len;
	const char	*action;
	const char	*outcome;	/* NULL: not clear */
};

#define PF_V(w, a, o)	{ (w), sizeof(w) - 1, (a), (o) }

static const struct pf_verdict pf_verdicts[] = {
	PF_V("reject: ", "reject", "failure"),
	PF_V("milter-reject: ", "reject", "failure"),
	PF_V("proxy-reject: ", "reject", "failure"),
	PF_V("reject_warning: ", "reject-warning", NULL),
	PF_V("discard: ", "discard", "failure"),
	PF_V("milter-discard: ", "discard", "failure"),
	PF_V("hold: ", "hold", NULL),
	PF_V("milter-hold: ", "hold", NULL),
	PF_V("redirect: ", "redirect", NULL),
	PF_V("milter-redirect: ", "redirect", NULL),
	PF_V("milter-header-redirect: ", "redirect", NULL),
	PF_V("filter: ", "filter", NULL),
	PF_V("prepend: ", "prepend", NULL),
	PF_V("replace: ", "replace", NULL),
	PF_V("bcc: ", "bcc", NULL),
	PF_V("warning: header ", "warning", NULL),
	PF_V("warning: body ", "warning", NULL),
	PF_V("info: ", "info", NULL),
	{ NULL, 0, NULL, NULL }
};

/* Lines without a queue id: leading words, action, outcome. */
static const struct pf_verdict pf_plain[] = {
	PF_V("connect from ", "connect", NULL),
	PF_V("disconnect from ", "disconnect", NULL),
	PF_V("lost connection after ", "lost-connection", NULL),
	PF_V("timeout after ", "timeout", NULL),
	PF_V("too many errors after ", "too-many-errors", "failure"),
	PF_V("improper command pipelining after ", "pipelining", "failure"),
	PF_V("bare <LF> received after ", "bare-newline", "failure"),
	PF_V("SSL_accept error from ", "tls-error", "failure"),
	/* postscreen */
	PF_V("CONNECT from ", "connect", NULL),
	PF_V("PASS NEW ", "pass", "success"),
	PF_V("PASS OLD ", "pass", "success"),
	PF_V("PREGREET ", "pregreet", "failure"),
	PF_V("HANGUP ", "hangup", "failure"),
	PF_V("DNSBL rank ", "dnsbl", "failure"),
	PF_V("COMMAND TIME LIMIT ", "command-time-limit", "failure"),
	PF_V("COMMAND COUNT LIMIT ", "command-count-limit", "failure"),
	PF_V("COMMAND LENGTH LIMIT ", "command-length-limit", "failure"),
	PF_V("COMMAND PIPELINING ", "pipelining", "failure"),
	PF_V("NON-SMTP COMMAND ", "non-smtp-command", "failure"),
	PF_V("BARE NEWLINE ", "bare-newline", "failure"),
	PF_V("WHITELISTED ", "allowlisted", "success"),
	PF_V("ALLOWLISTED ", "allowlisted", "success"),
	PF_V("BLACKLISTED ", "denylisted", "failure"),
	PF_V("DENYLISTED ", "denylisted", "failure"),
	PF_V("WHITELIST VETO ", "allowlist-veto", NULL),
	PF_V("ALLOWLIST VETO ", "allowlist-veto", NULL),
	PF_V("DISCONNECT ", "disconnect", NULL),
	{ NULL, 0, NULL, NULL }
};

/* Warnings that say a client misbehaves: text they contain, action. */
static const struct pf_verdict pf_warnings[] = {
	PF_V("non-SMTP command from ", "non-smtp-command", "failure"),
	PF_V("limit exceeded", "rate-limit", "failure"),
	PF_V("Illegal address syntax from ", "illegal-address", "failure"),
	{ NULL, 0, NULL, NULL }
};

/* True if the span starts with the len bytes of s. */
static bool
pf_starts(const char *p, const char *end, const char *s, size_t len)
{
	return (size_t)(end - p) >= len && memcmp(p, s, len) == 0;
}

/* First occurrence of s in [p, end), or NULL. */
static const char *
pf_find(const char *p, const char *end, const char *s, size_t len)
{
	if (p >= end || (size_t)(end - p) < len)
		return NULL;
	return memmem(p, (size_t)(end - p), s, len);
}

/* Last occurrence of s in [p, end), or NULL. */
static const char *
pf_find_last(const char *p, const char *end, const char *s, size_t len)
{
	const char	*hit = NULL, *q;

	while ((q = pf_find(p, end, s, len)) != NULL) {
		hit = q;
		p = q + 1;
	}
	return hit;
}

#define PF_STARTS(p, end, lit)	pf_starts((p), (end), (lit), sizeof(lit) - 1)
#define PF_FIND(p, end, lit)	pf_find((p), (end), (lit), sizeof(lit) - 1)

/* 32-bit FNV-1a of a queue id. */
static uint32_t
pf_hash(const char *p, size_t len)
{
	uint32_t	h = 2166136261U;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619U;
	}
	return h;
}

/* Unlink entry i from the age list. */
static void
pf_age_unlink(struct postfix_state *st, uint32_t i)
{
	struct pf_entry	*e = &st->slots[i];

	if (e->older != PF_NONE)
		st->slots[e->older].newer = e->newer;
	else
		st->oldest = e->newer;
	if (e->newer != PF_NONE)
		st->slots[e->newer].older = e->older;
	else
		st->newest = e->older;
	e->older = e->newer = PF_NONE;
}

/* Make entry i the newest. */
static void
pf_age_push(struct postfix_state *st, uint32_t i)
{
	struct pf_entry	*e = &st->slots[i];

	e->older = st->newest;
	e->newer = PF_NONE;
	if (st->newest != PF_NONE)
		st->slots[st->newest].newer = i;
	else
		st->oldest = i;
	st->newest = i;
}

/* Find the entry of a queue id and mark it used; PF_NONE if absent. */
static uint32_t
pf_lookup(struct postfix_state *st, struct span qid)
{
	uint32_t	i;

	i = st->buckets[pf_hash(qid.p, qid.len) & st->mask];
	for (; i != PF_NONE; i = st->slots[i].hnext) {
		struct pf_entry	*e = &st->slots[i];

		if (e->qid_len == qid.len &&
		    memcmp(e->qid, qid.p, qid.len) == 0)
			break;
	}
	if (i != PF_NONE && i != st->newest) {
		pf_age_unlink(st, i);
		pf_age_push(st, i);
	}
	return i;
}

/*
 * Free entry i: out of its hash chain and the age list, onto the free list.
 * Its text stays in place, so spans into it last until the next line.
 */
static void
pf_remove(struct postfix_state *st, uint32_t i)
{
	struct pf_entry	*e = &st->slots[i];
	uint32_t	*pp;

	pp = &st->buckets[pf_hash(e->qid, e->qid_len) & st->mask];
	while (*pp != PF_NONE && *pp != i)
		pp = &st->slots[*pp].hnext;
	if (*pp == i)
		*pp = e->hnext;
	pf_age_unlink(st, i);
	e->used = false;
	e->hnext = st->free_list;
	st->free_list = i;
	st->count--;
}

/*
 * The entry of a queue id, made if absent; when the table is full the
 * least recently used entry is dropped and counted.
 */
static uint32_t
pf_insert(struct postfix_state *st, struct span qid)
{
	struct pf_entry	*e;
	uint32_t	 i, b;

	if ((i = pf_lookup(st, qid)) != PF_NONE)
		return i;
	if (st->free_list == PF_NONE && st->high == st->nslots) {
		pf_remove(st, st->oldest);
		st->stats.dropped++;
	}
	if (st->free_list != PF_NONE) {
		i = st->free_list;
		st->free_list = st->slots[i].hnext;
	} else
		i = st->high++;
	e = &st->slots[i];
	memset(e, 0, offsetof(struct pf_entry, qid));
	e->used = true;
	memcpy(e->qid, qid.p, qid.len);
	e->qid_len = (uint8_t)qid.len;
	b = pf_hash(qid.p, qid.len) & st->mask;
	e->hnext = st->buckets[b];
	st->buckets[b] = i;
	pf_age_push(st, i);
	st->count++;
	return i;
}

/* Copy s into a slot of size cap; *len gets the copied length. */
static void
pf_copy(struct pf_entry *e, char *dst, size_t cap, uint16_t *len,
    struct span s)
{
	if (s.len > cap) {
		s.len = cap;
		e->cut = true;
	}
	if (s.len > 0)
		memcpy(dst, s.p, s.len);
	*len = (uint16_t)s.len;
}

/*
 * A queue id at p ("4BCDF1A3C: " or "4Y1ZpX2c5Nz9vKl: "): short ids are
 * hexadecimal, long ids use letters without vowels and digits.  Words
 * such as "warning" or "NOQUEUE" are not queue ids.
 */
static bool
pf_qid(const char *p, const char *end, struct span *qid)
{
	const char	*q;
	bool		 hex = true, vowel = false, digit = false;

	for (q = p; q < end && q - p < PF_QID_MAX; q++) {
		char	ch = *q;

		if (ch >= '0' && ch <= '9')
			digit = true;
		else if (ch >= 'A' && ch <= 'F')
			vowel = vowel || ch == 'A' || ch == 'E';
		else if ((ch >= 'G' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')) {
			hex = false;
			if (strchr("IOUaeiou", ch) != NULL)
				vowel = true;
		} else
			break;
	}
	if (q - p < 5 || q - p >= PF_QID_MAX || end - q < 2 || q[0] != ':' ||
	    q[1] != ' ')
		return false;
	if (!hex && (vowel || !digit))
		return false;
	qid->p = p;
	qid->len = (size_t)(q - p);
	return true;
}

/*
 * Parse "host[ip]" or "host[ip]:port" (host may be empty, ip may carry an
 * "IPv6:" tag) at p.  Returns the end of what was read, or NULL.
 */
static const char *
pf_client_parse(const char *p, const char *end, struct pf_client *c)
{
	const char	*open, *close, *q;
	size_t		 n;

	memset(c, 0, sizeof *c);
	for (open = p; open < end && *open != '[' && *open != ' ' &&
	    *open != ',' && *open != ';'; open++)
		;
	if (open >= end || *open != '[')
		return NULL;
	/*
	 * What is in brackets is short (an address, "private/lmtp"); a bound
	 * keeps a line of many "[" from costing O(n^2).
	 */
	n = (size_t)(end - open);
	if (n > PF_BRACKET_MAX)
		n = PF_BRACKET_MAX;
	if ((close = memchr(open, ']', n)) == NULL)
		return NULL;
	c->host.p = p;
	c->host.len = (size_t)(open - p);
	c->ip.p = open + 1;
	c->ip.len = (size_t)(close - open - 1);
	if (c->ip.len > 5 && strncasecmp(c->ip.p, "IPv6:", 5) == 0) {
		c->ip.p += 5;
		c->ip.len -= 5;
	}
	if (netaddr_parse(&c->addr, c->ip.p, c->ip.len) != 0) {
		c->ip = SPAN_NULL;
		c->addr.family = 0;
	}
	q = close + 1;
	if (q < end && *q == ':') {
		const char	*d = q + 1;

		while (d < end && *d >= '0' && *d <= '9')
			d++;
		if (d > q + 1 && d - q <= 6) {
			c->port.p = q + 1;
			c->port.len = (size_t)(d - q - 1);
			q = d;
		}
	}
	return q;
}

/* Set source.* from a client; "unknown" is no name. */
static void
pf_set_source(const struct pf_client *c, struct record *rec)
{
	if (c->addr.family != 0) {
		rec->src = c->addr;
		record_set(rec, RF_SOURCE_IP, c->ip.p, c->ip.len);
	}
	if (c->host.len > 0 && !span_eq(c->host, "unknown"))
		record_set(rec, RF_SOURCE_DOMAIN, c->host.p, c->host.len);
	record_set(rec, RF_SOURCE_PORT, c->port.p, c->port.len);
}

/*
 * Find the client of a line: the first "from host[ip]" whose address
 * parses, else the first "[ip]" anywhere.  Returns true if one was set.
 */
static bool
pf_find_client(const char *p, const char *end, struct record *rec)
{
	struct pf_client	 c;
	const char		*q = p;

	while ((q = PF_FIND(q, end, "from ")) != NULL) {
		q += 5;
		if (pf_client_parse(q, end, &c) != NULL &&
		    c.addr.family != 0) {
			pf_set_source(&c, rec);
			return true;
		}
	}
	for (q = p; (q = memchr(q, '[', (size_t)(end - q))) != NULL; q++) {
		if (pf_client_parse(q, end, &c) != NULL &&
		    c.addr.family != 0) {
			pf_set_source(&c, rec);
			return true;
		}
	}
	return false;
}

/* The value of key=<...> or key=... (to ',', ' ' or end) after p. */
static bool
pf_value(const char *p, const char *end, const char *key, size_t klen,
    struct span *v)
{
	const char	*q, *e;

	if ((q = pf_find(p, end, key, klen)) == NULL)
		return false;
	q += klen;
	if (q < end && *q == '<') {
		q++;
		if ((e = memchr(q, '>', (size_t)(end - q))) == NULL)
			e = end;
	} else {
		for (e = q; e < end && *e != ',' && *e != ' ' && *e != ';'; e++)
			;
	}
	v->p = q;
	v->len = (size_t)(e - q);
	return true;
}

/* Add the values the table holds for a queue id to rec, where unset. */
static void
pf_join(struct postfix_state *st, uint32_t i, struct record *rec)
{
	struct pf_entry	*e;

	if (i == PF_NONE)
		return;
	e = &st->slots[i];
	if (!record_has(rec, RF_SOURCE_IP) && e->addr.family != 0) {
		rec->src = e->addr;
		record_set(rec, RF_SOURCE_IP, e->ip, e->ip_len);
	}
	if (!record_has(rec, RF_SOURCE_DOMAIN))
		record_set(rec, RF_SOURCE_DOMAIN, e->host, e->host_len);
	if (!record_has(rec, RF_USER_NAME))
		record_set(rec, RF_USER_NAME, e->user, e->user_len);
	if (!record_has(rec, RF_EMAIL_FROM_ADDRESS))
		record_set(rec, RF_EMAIL_FROM_ADDRESS, e->from, e->from_len);
	if (!record_has(rec, RF_EMAIL_MESSAGE_ID))
		record_set(rec, RF_EMAIL_MESSAGE_ID, e->msgid, e->msgid_len);
	if (e->cut)
		rec->flags |= REC_TRUNCATED;
}

/* Keep the client of a line in entry i. */
static void
pf_keep_client(struct postfix_state *st, uint32_t i, const struct pf_client *c)
{
	struct pf_entry	*e = &st->slots[i];
	uint16_t	 len;

	if (c->addr.family != 0) {
		e->addr = c->addr;
		pf_copy(e, e->ip, sizeof e->ip, &len, c->ip);
		e->ip_len = (uint8_t)len;
	}
	if (c->host.len > 0 && !span_eq(c->host, "unknown"))
		pf_copy(e, e->host, sizeof e->host, &e->host_len, c->host);
}

/*
 * "client=host[ip][:port][, sasl_method=M, sasl_username=U]": smtpd
 * accepted a message from a client.
 */
static int
pf_line_client(struct postfix_state *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct pf_client	c;
	struct span		user;
	struct pf_entry		*e;
	uint32_t		i;

	if (pf_client_parse(p, end, &c) == NULL ||
	    (c.addr.family == 0 && c.host.len == 0))
		return 0;
	i = pf_insert(st, qid);
	e = &st->slots[i];
	pf_keep_client(st, i, &c);
	pf_set_source(&c, rec);
	if (pf_value(p, end, "sasl_username=", 14, &user) && user.len > 0) {
		pf_copy(e, e->user, sizeof e->user, &e->user_len, user);
		record_set(rec, RF_USER_NAME, user.p, user.len);
	}
	record_set_lit(rec, RF_EVENT_ACTION, "client");
	pf_join(st, i, rec);
	return 1;
}

/* "message-id=<id>": cleanup read the message header. */
static int
pf_line_msgid(struct postfix_state *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct span	 id;
	struct pf_entry	*e;
	uint32_t	 i;

	if (!pf_value(p, end, "message-id=", 11, &id))
		return 0;
	/* An id without brackets is logged as the header had it. */
	if (p + 11 < end && p[11] != '<')
		id.len = (size_t)(end - id.p);
	i = pf_insert(st, qid);
	e = &st->slots[i];
	pf_copy(e, e->msgid, sizeof e->msgid, &e->msgid_len, id);
	record_set(rec, RF_EMAIL_MESSAGE_ID, id.p, id.len);
	record_set_lit(rec, RF_EVENT_ACTION, "message-id");
	pf_join(st, i, rec);
	return 1;
}

/*
 * "from=<a@b>, size=N, nrcpt=N (queue active)" from qmgr, "uid=N
 * from=<a>" from pickup, or "from=<a>, status=expired, returned to
 * sender".
 */
static int
pf_line_from(struct postfix_state *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct span	 from;
	struct pf_entry	*e;
	uint32_t	 i;

	if (!pf_value(p, end, "from=", 5, &from))
		return 0;
	i = pf_insert(st, qid);
	e = &st->slots[i];
	pf_copy(e, e->from, sizeof e->from, &e->from_len, from);
	record_set(rec, RF_EMAIL_FROM_ADDRESS, from.p, from.len);
	if (PF_STARTS(p, end, "uid="))
		record_set_lit(rec, RF_EVENT_ACTION, "pickup");
	else if (PF_FIND(p, end, "status=expired") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "expired");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		record_set_lit(rec, RF_POSTFIX_STATUS, "expired");
	} else
		record_set_lit(rec, RF_EVENT_ACTION, "queued");
	pf_join(st, i, rec);
	return 1;
}

/*
 * "to=<x@y>, [orig_to=<..>,] relay=host[ip]:port, delay=.., dsn=2.0.0,
 * status=sent (250 ...)": one delivery attempt.
 */
static int
pf_line_to(struct postfix_state *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct span		 to, relay, dsn, status;
	struct pf_client	 c;
	const char		*q, *open, *close;

	if (!pf_value(p, end, "to=", 3, &to))
		return 0;
	record_set(rec, RF_EMAIL_TO_ADDRESS, to.p, to.len);
	q = to.p + to.len;
	if (pf_value(q, end, " relay=", 7, &relay)) {
		record_set(rec, RF_POSTFIX_RELAY, relay.p, relay.len);
		if (pf_client_parse(relay.p, relay.p + relay.len, &c) != NULL &&
		    c.addr.family != 0) {
			rec->dst = c.addr;
			record_set(rec, RF_DESTINATION_IP, c.ip.p, c.ip.len);
			record_set(rec, RF_DESTINATION_PORT, c.port.p,
			    c.port.len);
			record_set(rec, RF_DESTINATION_DOMAIN, c.host.p,
			    c.host.len);
		}
	}
	if (pf_value(q, end, " dsn=", 5, &dsn))
		record_set(rec, RF_POSTFIX_DSN, dsn.p, dsn.len);
	if (pf_value(q, end, " status=", 8, &status)) {
		record_set(rec, RF_POSTFIX_STATUS, status.p, status.len);
		if (span_eq(status, "sent") || span_eq(status, "deliverable"))
			record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		else
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		open = status.p + status.len;
		if (open + 1 < end && open[0] == ' ' && open[1] == '(') {
			close = end;
			if (close[-1] == ')')
				close--;
			record_set(rec, RF_EVENT_REASON, open + 2,
			    (size_t)(close - open - 2));
		}
	}
	record_set_lit(rec, RF_EVENT_ACTION, "delivery");
	pf_join(st, pf_lookup(st, qid), rec);
	return 1;
}

/*
 * A restriction, milter or header-check verdict: "RCPT from host[ip]: 554
 * 5.7.1 <x>: Relay access denied; from=<a> to=<b> proto=ESMTP helo=<h>",
 * "header Subject: .. from host[ip]; from=<a> to=<b> proto=..: 5.7.1 text"
 * or postscreen's "RCPT from [ip]:port: 550 ...; from=<a>, to=<b>, ...".
 */
static int
pf_line_verdict(struct postfix_state *st, const struct pf_verdict *v,
    struct span qid, const char *p, const char *end, struct record *rec)
{
	struct pf_client	 c;
	struct span		 from, to, reason = SPAN_NULL;
	const char		*q, *kv, *after = NULL, *r;

	for (q = p; (q = PF_FIND(q, end, " from ")) != NULL; q++) {
		after = pf_client_parse(q + 6, end, &c);
		if (after != NULL && (after == end || *after == ':' ||
		    *after == ';')) {
			pf_set_source(&c, rec);
			break;
		}
		after = NULL;
	}

	/* The key=value tail starts at the last "; from=<". */
	if ((kv = pf_find_last(p, end, "; from=<", 8)) == NULL &&
	    (kv = pf_find_last(p, end, "; to=<", 6)) == NULL)
		kv = pf_find_last(p, end, "; proto=", 8);
	if (kv != NULL) {
		if (pf_value(kv, end, "from=", 5, &from))
			record_set(rec, RF_EMAIL_FROM_ADDRESS, from.p,
			    from.len);
		if (pf_value(kv, end, " to=", 4, &to))
			record_set(rec, RF_EMAIL_TO_ADDRESS, to.p, to.len);
	}

	/* The reason: after the client, or after the helo of a header. */
	if (after != NULL && after < end && *after == ':') {
		reason.p = after + 1;
		reason.len = (size_t)((kv != NULL && kv > after ? kv : end) -
		    reason.p);
	} else if (kv != NULL && (r = PF_FIND(kv, end, ">: ")) != NULL) {
		reason.p = r + 2;
		reason.len = (size_t)(end - reason.p);
	}
	while (reason.len > 0 && reason.p[0] == ' ') {
		reason.p++;
		reason.len--;
	}
	/* "554 5.7.1 text" or "5.7.1 text": the DSN apart from the text. */
	q = reason.p;
	if (reason.len > 4 && q[0] >= '2' && q[0] <= '5' && q[3] == ' ' &&
	    q[1] >= '0' && q[1] <= '9' && q[2] >= '0' && q[2] <= '9') {
		reason.p += 4;
		reason.len -= 4;
	}
	q = reason.p;
	if (reason.len > 5 && q[0] >= '2' && q[0] <= '5' && q[1] == '.') {
		for (r = q; r < q + reason.len && *r != ' '; r++)
			;
		record_set(rec, RF_POSTFIX_DSN, q, (size_t)(r - q));
		reason.len -= (size_t)(r - q);
		reason.p = r;
		while (reason.len > 0 && (reason.p[0] == ' ' ||
		    reason.p[0] == ':')) {
			reason.p++;
			reason.len--;
		}
	}
	record_set(rec, RF_EVENT_REASON, reason.p, reason.len);
	record_set(rec, RF_EVENT_ACTION, v->action, strlen(v->action));
	if (v->outcome != NULL)
		record_set(rec, RF_EVENT_OUTCOME, v->outcome,
		    strlen(v->outcome));
	if (qid.len > 0)
		pf_join(st, pf_lookup(st, qid), rec);
	return 1;
}

/*
 * The Postfix SMTP/LMTP client about a remote server: "connect to
 * host[ip]:25: reason", "host h[ip] said: 550 ...", "host h[ip] refused
 * to talk to me: ...", "lost connection with h[ip] while ..." and
 * "conversation with h[ip] timed out while ...".  The server is the
 * destination; qid is empty for "connect to".
 */
static int
pf_line_remote(struct postfix_state *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct pf_client	 c;
	const char		*q, *after;
	struct span		 reason;

	if (PF_STARTS(p, end, "connect to "))
		q = p + 11;
	else if (PF_STARTS(p, end, "host "))
		q = p + 5;
	else if ((q = PF_FIND(p, end, " with ")) != NULL)
		q += 6;
	else
		return 0;
	while (q < end && *q == ' ')
		q++;
	if ((after = pf_client_parse(q, end, &c)) == NULL)
		return 0;
	if (c.addr.family != 0) {
		rec->dst = c.addr;
		record_set(rec, RF_DESTINATION_IP, c.ip.p, c.ip.len);
		record_set(rec, RF_DESTINATION_DOMAIN, c.host.p, c.host.len);
		record_set(rec, RF_DESTINATION_PORT, c.port.p, c.port.len);
	}
	reason.p = after;
	while (reason.p < end && (*reason.p == ':' || *reason.p == ' '))
		reason.p++;
	if ((q = PF_FIND(after, end, "said: ")) != NULL)
		reason.p = q + 6;
	else if ((q = PF_FIND(after, end, "to me: ")) != NULL)
		reason.p = q + 7;
	reason.len = (size_t)(end - reason.p);
	record_set(rec, RF_EVENT_REASON, reason.p, reason.len);
	if (PF_STARTS(p, end, "host "))
		record_set_lit(rec, RF_EVENT_ACTION, "remote-reply");
	else if (PF_STARTS(p, end, "connect "))
		record_set_lit(rec, RF_EVENT_ACTION, "connect-error");
	else if (PF_STARTS(p, end, "lost "))
		record_set_lit(rec, RF_EVENT_ACTION, "lost-connection");
	else
		record_set_lit(rec, RF_EVENT_ACTION, "timeout");
	record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	if (qid.len > 0)
		pf_join(st, pf_lookup(st, qid), rec);
	return 1;
}

/* "removed": the message left the queue; its entry is freed. */
static int
pf_line_removed(struct postfix_state *st, struct span qid,
    struct record *rec)
{
	uint32_t	i;

	record_set_lit(rec, RF_EVENT_ACTION, "removed");
	if ((i = pf_lookup(st, qid)) != PF_NONE) {
		pf_join(st, i, rec);
		pf_remove(st, i);
	}
	return 1;
}

/* Text after "QUEUEID: ".  Returns 1 or 0. */
static int
pf_queued(struct postfix_state *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	const struct pf_verdict	*v;

	record_set(rec, RF_EMAIL_LOCAL_ID, qid.p, qid.len);
	if (PF_STARTS(p, end, "client="))
		return pf_line_client(st, qid, p + 7, end, rec);
	if (PF_STARTS(p, end, "message-id="))
		return pf_line_msgid(st, qid, p, end, rec);
	if (PF_STARTS(p, end, "from=") || PF_STARTS(p, end, "uid="))
		return pf_line_from(st, qid, p, end, rec);
	if (PF_STARTS(p, end, "to="))
		return pf_line_to(st, qid, p, end, rec);
	if (PF_STARTS(p, end, "host ") || PF_STARTS(p, end, "lost connection "
	    "with ") || PF_STARTS(p, end, "conversation with "))
		return pf_line_remote(st, qid, p, end, rec);
	if (end - p == 7 && memcmp(p, "removed", 7) == 0)
		return pf_line_removed(st, qid, rec);
	for (v = pf_verdicts; v->word != NULL; v++)
		if (pf_starts(p, end, v->word, v->len))
			return pf_line_verdict(st, v, qid, p + v->len, end,
			    rec);
	return 0;
}

/*
 * "warning: host[ip]: SASL LOGIN authentication failed: reason[,
 * sasl_username=u]" and the other warnings.  Every warning is an event.
 */
static int
pf_warning(const char *p, const char *end, struct record *rec)
{
	const struct pf_verdict	*v;
	struct pf_client	 c;
	struct span		 user, reason;
	const char		*q, *r;
	struct span		 qid;

	if (pf_qid(p, end, &qid))
		record_set(rec, RF_EMAIL_LOCAL_ID, qid.p, qid.len);
	if ((q = PF_FIND(p, end, "authentication failed")) != NULL &&
	    PF_FIND(p, q, "SASL ") != NULL) {
		if (pf_client_parse(p, end, &c) != NULL)
			pf_set_source(&c, rec);
		q += 21;
		if (q < end && *q == ':')
			q++;
		while (q < end && *q == ' ')
			q++;
		r = PF_FIND(q, end, "sasl_username=");
		reason.p = q;
		reason.len = (size_t)((r != NULL ? r : end) - q);
		while (reason.len > 0 && (reason.p[reason.len - 1] == ' ' ||
		    reason.p[reason.len - 1] == ','))
			reason.len--;
		record_set(rec, RF_EVENT_REASON, reason.p, reason.len);
		if (r != NULL && pf_value(r, end, "sasl_username=", 14, &user))
			record_set(rec, RF_USER_NAME, user.p, user.len);
		/* No guessed password: the server or the mechanism failed. */
		if (PF_STARTS(reason.p, end, "Connection lost to auth") ||
		    PF_STARTS(reason.p, end, "Invalid authentication mech")) {
			record_set_lit(rec, RF_EVENT_ACTION, "auth-error");
			return 1;
		}
		record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		return 1;
	}
	/* "hostname h does not resolve to address 1.2.3.4: ..." */
	if ((q = PF_FIND(p, end, "does not resolve to address ")) != NULL) {
		q += 28;
		for (r = q; r < end && *r != ' ' && !(*r == ':' &&
		    (r + 1 == end || r[1] == ' ')); r++)
			;
		if (netaddr_parse(&rec->src, q, (size_t)(r - q)) == 0)
			record_set(rec, RF_SOURCE_IP, q, (size_t)(r - q));
		if (pf_value(p, end, "hostname ", 9, &user))
			record_set(rec, RF_SOURCE_DOMAIN, user.p, user.len);
		record_set_lit(rec, RF_EVENT_ACTION, "dns-mismatch");
		return 1;
	}
	for (v = pf_warnings; v->word != NULL; v++) {
		if (pf_find(p, end, v->word, v->len) == NULL)
			continue;
		record_set(rec, RF_EVENT_ACTION, v->action, strlen(v->action));
		if (v->outcome != NULL)
			record_set(rec, RF_EVENT_OUTCOME, v->outcome,
			    strlen(v->outcome));
		break;
	}
	if (v->word == NULL)
		record_set_lit(rec, RF_EVENT_ACTION, "warning");
	if (pf_client_parse(p, end, &c) != NULL && c.addr.family != 0)
		pf_set_source(&c, rec);
	else
		pf_find_client(p, end, rec);
	return 1;
}

/*
 * True if a disconnect's command counters show a failed AUTH ("auth=0/1":
 * one attempted, none accepted).
 */
static bool
pf_auth_failed(const char *p, const char *end)
{
	const char	*q;
	uint32_t	 ok = 0, tried = 0;

	if ((q = PF_FIND(p, end, " auth=")) == NULL)
		return false;
	for (q += 6; q < end && *q >= '0' && *q <= '9' && ok < 100000; q++)
		ok = ok * 10 + (uint32_t)(*q - '0');
	if (q >= end || *q != '/')
		return false;
	for (q++; q < end && *q >= '0' && *q <= '9' && tried < 100000; q++)
		tried = tried * 10 + (uint32_t)(*q - '0');
	return tried > ok;
}

/* A line without a queue id.  Returns 1 or 0. */
static int
pf_unqueued(struct postfix_state *st, const char *p, const char *end,
    struct record *rec)
{
	const struct pf_verdict	*v;

	if (PF_STARTS(p, end, "warning: "))
		return pf_warning(p + 9, end, rec);
	if (PF_STARTS(p, end, "connect to "))
		return pf_line_remote(st, SPAN_NULL, p, end, rec);
	if (PF_STARTS(p, end, "NOQUEUE: ")) {
		p += 9;
		for (v = pf_verdicts; v->word != NULL; v++)
			if (pf_starts(p, end, v->word, v->len))
				return pf_line_verdict(st, v, SPAN_NULL,
				    p + v->len, end, rec);
	}
	for (v = pf_plain; v->word != NULL; v++) {
		if (!pf_starts(p, end, v->word, v->len))
			continue;
		record_set(rec, RF_EVENT_ACTION, v->action, strlen(v->action));
		if (v->outcome != NULL)
			record_set(rec, RF_EVENT_OUTCOME, v->outcome,
			    strlen(v->outcome));
		else if (pf_auth_failed(p, end))
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		pf_find_client(p, end, rec);
		return 1;
	}
	return 0;
}

/* True if a syslog program is Postfix ("postfix/smtpd", "postscreen"). */
static bool
pf_is_postfix(struct span prog)
{
	return (prog.len >= 7 && memcmp(prog.p, "postfix", 7) == 0) ||
	    span_eq(prog, "postscreen");
}

/* Build the state and its table; NULL on allocation failure. */
static void *
postfix_state_new(const struct parser_opts *opts)
{
	struct postfix_state	*st;
	size_t			 max, nb, i;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	max = PF_MAX_QUEUE_DEFAULT;
	if (opts != NULL) {
		st->sctx.tz = opts->tz;
		st->sctx.ref_us = opts->ref_us;
		if (opts->max_queue != 0)
			max = opts->max_queue;
	}
	if (max > PF_MAX_QUEUE_LIMIT)
		max = PF_MAX_QUEUE_LIMIT;
	for (nb = 1; nb < max; nb <<= 1)
		;
	st->nslots = (uint32_t)max;
	st->mask = (uint32_t)nb - 1;
	st->slots = calloc(max, sizeof *st->slots);
	st->buckets = malloc(nb * sizeof *st->buckets);
	if (st->slots == NULL || st->buckets == NULL) {
		free(st->slots);
		free(st->buckets);
		free(st);
		return NULL;
	}
	for (i = 0; i < nb; i++)
		st->buckets[i] = PF_NONE;
	st->free_list = st->oldest = st->newest = PF_NONE;
	return st;
}

/* Free the state and its table; accepts NULL. */
static void
postfix_state_free(void *state)
{
	struct postfix_state	*st = state;

	if (st == NULL)
		return;
	free(st->slots);
	free(st->buckets);
	free(st);
}

/*
 * Parse one line into rec: 1 an event, 0 a blank line, not a Postfix line
 * or not one this parser reads, -1 no syslog header.
 */
static int
postfix_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct postfix_state	*st = state;
	struct syslog_hdr	 hdr;
	struct span		 qid;
	const char		*p, *end;
	int			 r;

	if (len == 0) {
		st->stats.ignored++;
		return 0;
	}
	if (syslog_parse(&st->sctx, line, len, &hdr) != 0) {
		st->stats.malformed++;
		return -1;
	}
	if (!pf_is_postfix(hdr.program)) {
		st->stats.ignored++;
		return 0;
	}
	syslog_to_record(&hdr, rec);
	if (hdr.msg.p == NULL || hdr.msg.len == 0) {
		st->stats.ignored++;
		return 0;
	}
	p = hdr.msg.p;
	end = p + hdr.msg.len;
	if (pf_qid(p, end, &qid))
		r = pf_queued(st, qid, p + qid.len + 2, end, rec);
	else
		r = pf_unqueued(st, p, end, rec);
	if (r == 1)
		st->stats.events++;
	else
		st->stats.ignored++;
	return r;
}

/* Return the counters of state. */
static const struct parser_stats *
postfix_stats(void *state)
{
	struct postfix_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
postfix_set_ref(void *state, int64_t ref_us)
{
	struct postfix_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_postfix = {
	.name = "postfix",
	.dataset = "mail.postfix",
	.description = "Postfix mail log, lines joined by queue id",
	.state_new = postfix_state_new,
	.state_free = postfix_state_free,
	.parse = postfix_parse,
	.stats = postfix_stats,
	.set_ref = postfix_set_ref,
};
