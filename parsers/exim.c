/*
 * exim.c: the Exim main log, as Exim writes it to its own file
 * ("2026-11-21 10:00:00 1vX2aB-000Abc-7Q <= alice@example.com H=...")
 * or through syslog ("exim[1234]: ..."), with or without the +pid and
 * time zone selectors.  Every line that names a client, a message or a
 * failure is an event:
 *
 *   <=  arrival: sender, H=host (helo) [ip]:port, A=authenticator:user or
 *       U=user, id=Message-ID, T="subject"          action "received"
 *   =>  ->  delivery (the first and further addresses): recipient and
 *       the server it went to (destination.*)        action "delivered"
 *   **  bounce, == deferral, *> suppressed delivery
 *       (by a local transport: "delivered-local", "bounced-local",
 *       "deferred-local", which are no outbound mail)
 *   rejected RCPT / MAIL / after DATA / connection, sender verify fail,
 *   dropped by ACL                                   action "rejected"
 *   NAME authenticator failed for ... (set_id=user)  action "auth-failure"
 *   SMTP protocol errors, synchronization errors, dropped calls, lost
 *   and closed connections, no MAIL, SpamAssassin verdicts, Completed.
 *
 * The lines of one message are joined by its id: the arrival's client,
 * user, sender, Message-ID and subject are kept in a bounded table (see
 * mailq.h), so a delivery or a bounce says who sent the message and from
 * where; "Completed" frees the entry.  Exim's own times carry no zone
 * unless log_timezone is set: they are local time in the configured zone.
 *
 * Fields are spans into the line or into the table; parsing allocates
 * nothing, never reads past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "mailq.h"
#include "parser.h"
#include "sysloghdr.h"
#include "tz.h"

/* Longest text between "[" and "]" taken for an address. */
#define EXIM_BRACKET_MAX	64

/* A host as Exim writes it: "name (helo) [ip]:port", parts optional. */
struct exim_host {
	struct span	name;
	struct span	helo;
	struct span	ip;
	struct span	port;
};

/* Line openings that say what happened, with action and outcome. */
struct exim_verdict {
	const char	*word;
	size_t		 len;
	const char	*action;
	const char	*outcome;	/* NULL: not clear */
};

#define EX_V(w, a, o)	{ (w), sizeof(w) - 1, (a), (o) }

/* Phrases found anywhere in a line without a message flag. */
static const struct exim_verdict exim_phrases[] = {
	EX_V(" authenticator failed for ", "auth-failure", "failure"),
	EX_V("SMTP protocol synchronization error", "protocol-error",
	    "failure"),
	EX_V("SMTP protocol error", "protocol-error", "failure"),
	EX_V("SMTP syntax error", "protocol-error", "failure"),
	EX_V("temporarily rejected ", "rejected", "failure"),
	EX_V("rejected RCPT ", "rejected", "failure"),
	EX_V("rejected MAIL ", "rejected", "failure"),
	EX_V("rejected after DATA", "rejected", "failure"),
	EX_V("rejected EHLO", "rejected", "failure"),
	EX_V("rejected HELO", "rejected", "failure"),
	EX_V("rejected connection", "rejected", "failure"),
	EX_V("rejected by local_scan", "rejected", "failure"),
	EX_V("sender verify fail", "rejected", "failure"),
	EX_V("recipient verify fail", "rejected", "failure"),
	EX_V("dropped by ", "rejected", "failure"),
	EX_V("closed by DROP in ACL", "rejected", "failure"),
	EX_V(" dropped: too many ", "too-many-errors", "failure"),
	EX_V("SA: Action: ", "spam-verdict", NULL),
	EX_V("no MAIL in SMTP connection", "no-mail", NULL),
	EX_V("no IP address found for host", "dns-mismatch", NULL),
	EX_V("no host name found for IP address", "dns-mismatch", NULL),
	EX_V("SMTP connection from ", "connect", NULL),
	EX_V("TLS error on connection from ", "tls-error", "failure"),
	{ NULL, 0, NULL, NULL }
};

/* True if [p, end) starts with the len bytes of s. */
static bool
exim_starts(const char *p, const char *end, const char *s, size_t len)
{
	return (size_t)(end - p) >= len && memcmp(p, s, len) == 0;
}

/* First occurrence of s in [p, end), or NULL. */
static const char *
exim_find(const char *p, const char *end, const char *s, size_t len)
{
	if (p >= end || (size_t)(end - p) < len)
		return NULL;
	return memmem(p, (size_t)(end - p), s, len);
}

#define EXIM_STARTS(p, end, lit) exim_starts((p), (end), (lit), sizeof(lit) - 1)
#define EXIM_FIND(p, end, lit)	exim_find((p), (end), (lit), sizeof(lit) - 1)

/* True if c may appear in an Exim message id. */
static bool
exim_idchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/*
 * An Exim message id at p: "1ahr79-0006jK-G9" (6-6-2) or, since 4.97,
 * "1rJ8xY-00000000Abc-1234" (6-11-4).  Sets *id; false if there is none.
 */
static bool
exim_msgid(const char *p, const char *end, struct span *id)
{
	const char	*q = p;
	size_t		 a, b, c;

	for (a = 0; q < end && exim_idchar(*q); q++, a++)
		;
	if (a != 6 || q >= end || *q++ != '-')
		return false;
	for (b = 0; q < end && exim_idchar(*q); q++, b++)
		;
	if ((b != 6 && b != 11) || q >= end || *q++ != '-')
		return false;
	for (c = 0; q < end && exim_idchar(*q); q++, c++)
		;
	if ((c != 2 && c != 4) || (q < end && *q != ' '))
		return false;
	id->p = p;
	id->len = (size_t)(q - p);
	return true;
}

/*
 * Exim's time "2026-11-21 10:00:00[.123][ +0900]" at *pp, advancing it
 * past the spaces that follow; local in tz without an offset.  False if
 * there is none.
 */
static bool
exim_time(const struct mailq_parser *st, const char **pp, const char *end,
    struct record *rec)
{
	const char	*p = *pp;
	size_t		 n = (size_t)(end - p), tl = 19;
	uint8_t		 digits;
	int		 off;

	if (n < 19 || p[4] != '-' || p[7] != '-' || p[10] != ' ' ||
	    p[13] != ':')
		return false;
	if (tl < n && (p[tl] == '.' || p[tl] == ','))
		for (tl++; tl < n && p[tl] >= '0' && p[tl] <= '9'; tl++)
			;
	/* log_timezone adds " +0900" after the time. */
	if (n >= tl + 6 && p[tl] == ' ' && (p[tl + 1] == '+' ||
	    p[tl + 1] == '-') && httplog_digits(p + tl + 2, 4) &&
	    (n == tl + 6 || p[tl + 6] == ' ')) {
		if (iso8601_parse(p, tl, NULL, &rec->ts_us, &rec->tz_off,
		    &digits) != tl)
			return false;
		off = ((p[tl + 2] - '0') * 10 + (p[tl + 3] - '0')) * 3600 +
		    ((p[tl + 4] - '0') * 10 + (p[tl + 5] - '0')) * 60;
		if (p[tl + 1] == '-')
			off = -off;
		rec->ts_us -= (int64_t)off * 1000000;
		rec->tz_off = off;
		tl += 6;
	} else if (iso8601_parse(p, tl, st->sctx.tz, &rec->ts_us,
	    &rec->tz_off, &digits) != tl)
		return false;
	rec->ts_digits = digits;
	rec->has_ts = true;
	rec->flags &= ~REC_NO_YEAR;
	p += tl;
	while (p < end && *p == ' ')
		p++;
	*pp = p;
	return true;
}

/*
 * Parse a host at p: "name (helo) [ip]:port", "(helo) [ip]", "[ip]:port"
 * or "name [ip]".  Returns the end of what was read, NULL if no address.
 */
static const char *
exim_host(const char *p, const char *end, struct exim_host *h)
{
	const char	*q, *close;
	size_t		 n;

	memset(h, 0, sizeof *h);
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p != '(' && *p != '[') {
		for (q = p; q < end && *q != ' '; q++)
			;
		h->name.p = p;
		h->name.len = (size_t)(q - p);
		p = q;
		while (p < end && *p == ' ')
			p++;
	}
	if (p < end && *p == '(') {
		/* The HELO name may itself hold brackets: "([192.0.2.1])". */
		if ((close = memchr(p, ')', (size_t)(end - p))) == NULL)
			return NULL;
		h->helo.p = p + 1;
		h->helo.len = (size_t)(close - p - 1);
		p = close + 1;
		while (p < end && *p == ' ')
			p++;
	}
	if (p >= end || *p != '[')
		return NULL;
	n = (size_t)(end - p);
	if (n > EXIM_BRACKET_MAX)
		n = EXIM_BRACKET_MAX;
	if ((close = memchr(p, ']', n)) == NULL)
		return NULL;
	h->ip.p = p + 1;
	h->ip.len = (size_t)(close - p - 1);
	p = close + 1;
	if (p < end && *p == ':') {
		for (q = p + 1; q < end && *q >= '0' && *q <= '9'; q++)
			;
		if (q > p + 1 && q - p <= 6) {
			h->port.p = p + 1;
			h->port.len = (size_t)(q - p - 1);
			p = q;
		}
	}
	return p;
}

/* Set source.* (or destination.*) from a host; true if an IP was set. */
static bool
exim_set_host(const struct exim_host *h, bool dest, struct record *rec)
{
	struct netaddr	 na;
	struct span	 ip = httplog_unmap(h->ip);

	if (ip.len == 0 || netaddr_parse(&na, ip.p, ip.len) != 0)
		return false;
	if (dest) {
		rec->dst = na;
		record_set(rec, RF_DESTINATION_IP, ip.p, ip.len);
		record_set(rec, RF_DESTINATION_PORT, h->port.p, h->port.len);
		record_set(rec, RF_DESTINATION_DOMAIN, h->name.p, h->name.len);
		return true;
	}
	rec->src = na;
	record_set(rec, RF_SOURCE_IP, ip.p, ip.len);
	record_set(rec, RF_SOURCE_PORT, h->port.p, h->port.len);
	/* "H=[ip]" has no name; a name that is an address is none. */
	if (h->name.len > 0 && h->name.p[0] != '[')
		record_set(rec, RF_SOURCE_DOMAIN, h->name.p, h->name.len);
	return true;
}

/*
 * The value after "key" (e.g. " A=") up to the next space; false if the
 * key is absent.
 */
static bool
exim_value(const char *p, const char *end, const char *key, size_t klen,
    struct span *v)
{
	const char	*q, *e;

	if ((q = exim_find(p, end, key, klen)) == NULL)
		return false;
	q += klen;
	for (e = q; e < end && *e != ' '; e++)
		;
	v->p = q;
	v->len = (size_t)(e - q);
	return true;
}

#define EXIM_VALUE(p, end, k, v) exim_value((p), (end), (k), sizeof(k) - 1, (v))

/* An address without its angle brackets; "<>" is empty. */
static struct span
exim_addr(struct span a)
{
	if (a.len >= 2 && a.p[0] == '<' && a.p[a.len - 1] == '>') {
		a.p++;
		a.len -= 2;
	}
	/* "a@b:" before the reason of a rejection. */
	if (a.len > 0 && a.p[a.len - 1] == ':')
		a.len--;
	if (a.len >= 2 && a.p[0] == '<' && a.p[a.len - 1] == '>') {
		a.p++;
		a.len -= 2;
	}
	return a;
}

/*
 * Find the client of a line: "H=", "from", "for", "IP address" or an
 * "[ip]".  A line that does not start with "H=" may quote what the client
 * sent before its own "H=" ("SMTP protocol error in "AUTH x H=(a) [ip]""
 * H=..."), so there the last "H=" is Exim's.
 */
static void
exim_client(const char *p, const char *end, struct record *rec)
{
	struct exim_host	 h;
	const char		*q, *last = NULL;

	if (EXIM_STARTS(p, end, "H="))
		last = p;
	else
		for (q = p; (q = EXIM_FIND(q, end, " H=")) != NULL; q += 3)
			last = q + 1;
	if (last != NULL && exim_host(last + 2, end, &h) != NULL &&
	    exim_set_host(&h, false, rec))
		return;
	if ((q = EXIM_FIND(p, end, "for IP address ")) != NULL) {
		struct span	ip;

		ip.p = q + 15;
		for (q = ip.p; q < end && *q != ' ' && *q != ':'; q++)
			;
		ip.len = (size_t)(q - ip.p);
		if (httplog_set_addr(ip, RF_SOURCE_IP, RF_MAX, RF_MAX, rec))
			return;
	}
	for (q = p; (q = EXIM_FIND(q, end, " from ")) != NULL; q += 6)
		if (exim_host(q + 6, end, &h) != NULL &&
		    exim_set_host(&h, false, rec))
			return;
	if ((q = EXIM_FIND(p, end, " for ")) != NULL &&
	    exim_host(q + 5, end, &h) != NULL && exim_set_host(&h, false, rec))
		return;
	/* "SA: ... (host=name [ip])", "H=[ip]" without a name. */
	for (q = p; q < end && (q = memchr(q, '[', (size_t)(end - q))) != NULL;
	    q++) {
		/* I=[ip]:port is our own interface. */
		if (q - p >= 2 && q[-1] == '=' && q[-2] == 'I')
			continue;
		if (exim_host(q, end, &h) != NULL && exim_set_host(&h, false,
		    rec))
			return;
	}
}

/* Set event.reason from the text after the first ": " at or after p. */
static void
exim_reason(const char *p, const char *end, struct record *rec)
{
	const char	*q;

	if ((q = EXIM_FIND(p, end, ": ")) == NULL)
		return;
	q += 2;
	record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
}

/* "<= sender ..." : a message arrived.  Keeps what it says. */
static void
exim_arrival(struct mailq_parser *st, struct span id, const char *p,
    const char *end, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 from, v, user;
	const char		*q, *colon;

	record_set_lit(rec, RF_EVENT_ACTION, "received");
	record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	for (q = p; q < end && *q != ' '; q++)
		;
	from = exim_addr((struct span){ p, (size_t)(q - p) });
	record_set(rec, RF_EMAIL_FROM_ADDRESS, from.p, from.len);
	exim_client(q, end, rec);
	user = SPAN_NULL;
	if (EXIM_VALUE(q, end, " A=", &v)) {
		/* "A=dovecot_login:user"; "A=plain" says no user. */
		if ((colon = memchr(v.p, ':', v.len)) != NULL) {
			user.p = colon + 1;
			user.len = (size_t)(v.p + v.len - colon - 1);
		}
	} else if (EXIM_VALUE(q, end, " U=", &v))
		user = v;
	record_set(rec, RF_USER_NAME, user.p, user.len);
	if (EXIM_VALUE(q, end, " id=", &v))
		record_set(rec, RF_EMAIL_MESSAGE_ID, v.p, v.len);
	if ((q = EXIM_FIND(q, end, " T=\"")) != NULL) {
		const char	*e2;

		q += 4;
		for (e2 = q; e2 < end && *e2 != '"'; e2++)
			if (*e2 == '\\' && e2 + 1 < end)
				e2++;
		record_set(rec, RF_EMAIL_SUBJECT, q, (size_t)(e2 - q));
	}
	if ((e = mailq_put(st->q, id, &st->stats.dropped)) == NULL)
		return;
	mailq_keep(e, MQ_IP, rec, RF_SOURCE_IP);
	mailq_keep(e, MQ_HOST, rec, RF_SOURCE_DOMAIN);
	mailq_keep(e, MQ_USER, rec, RF_USER_NAME);
	mailq_keep(e, MQ_FROM, rec, RF_EMAIL_FROM_ADDRESS);
	mailq_keep(e, MQ_MSGID, rec, RF_EMAIL_MESSAGE_ID);
	mailq_keep(e, MQ_SUBJECT, rec, RF_EMAIL_SUBJECT);
}

/*
 * True if the delivery at p (the text after the flag) went through a
 * local transport: a pipe or file as the address ("=> |/usr/bin/procmail",
 * "=> /home/a/Maildir/"), or no remote host (no "H=") and a transport
 * whose name does not say smtp ("T=local_delivery", "T=address_pipe",
 * "T=dovecot_lmtp").  Exim lets the configuration name transports; these
 * are the default configuration's names and the usual ones.  An smtp
 * transport's deferral without a host ("T=remote_smtp defer (-53)") is
 * not local.
 */
static bool
exim_local(const char *p, const char *end)
{
	struct span	 t;
	const char	*colon;

	if (p < end && (*p == '|' || *p == '/'))
		return true;
	if (EXIM_FIND(p, end, " H=") != NULL || !EXIM_VALUE(p, end, " T=", &t))
		return false;
	/* "T=local_delivery: mailbox is full" */
	if ((colon = memchr(t.p, ':', t.len)) != NULL)
		t.len = (size_t)(colon - t.p);
	return t.len > 0 && exim_find(t.p, t.p + t.len, "smtp", 4) == NULL;
}

/*
 * "=> rcpt <orig> R=... T=... H=host [ip]:port ..." and the other
 * delivery flags: one recipient's fate.  A local transport's delivery,
 * bounce or deferral says so in its action ("delivered-local"): it is no
 * outbound mail.
 */
static void
exim_delivery(struct mailq_parser *st, struct span id, char flag, const char *p,
    const char *end, struct record *rec)
{
	struct exim_host	 h;
	struct mailq_entry	*e;
	struct span		 to;
	const char		*q;
	bool			 local = exim_local(p, end);

	switch (flag) {
	case '=':		/* "=>" and "==" share the first byte */
	case '-':
		if (local)
			record_set_lit(rec, RF_EVENT_ACTION, "delivered-local");
		else
			record_set_lit(rec, RF_EVENT_ACTION, "delivered");
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		break;
	case '*':
		if (local)
			record_set_lit(rec, RF_EVENT_ACTION, "bounced-local");
		else
			record_set_lit(rec, RF_EVENT_ACTION, "bounced");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		break;
	case 'd':
		if (local)
			record_set_lit(rec, RF_EVENT_ACTION, "deferred-local");
		else
			record_set_lit(rec, RF_EVENT_ACTION, "deferred");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		break;
	case 's':
		record_set_lit(rec, RF_EVENT_ACTION, "suppressed");
		break;
	}
	for (q = p; q < end && *q != ' '; q++)
		;
	to = exim_addr((struct span){ p, (size_t)(q - p) });
	/*
	 * A local transport is given a local part, a pipe or a file
	 * ("=> frank <frank@example.com>", "-> |/usr/bin/procmail
	 * (grace@example.com) <grace@example.com>"): the address is the one
	 * in angle brackets that follows.
	 */
	if (local && memchr(to.p, '@', to.len) == NULL) {
		const char	*lt, *gt;

		for (lt = q; lt < end && *lt == ' '; lt++)
			;
		if (lt < end && *lt == '(' && (lt = memchr(lt, ')',
		    (size_t)(end - lt))) != NULL)
			for (lt++; lt < end && *lt == ' '; lt++)
				;
		if (lt != NULL && lt < end && *lt == '<' && (gt = memchr(lt,
		    '>', (size_t)(end - lt))) != NULL && gt - lt > 1) {
			to.p = lt + 1;
			to.len = (size_t)(gt - lt - 1);
		}
	}
	record_set(rec, RF_EMAIL_TO_ADDRESS, to.p, to.len);
	if ((q = EXIM_FIND(q, end, " H=")) != NULL &&
	    exim_host(q + 3, end, &h) != NULL)
		exim_set_host(&h, true, rec);
	if (flag == '*' || flag == 'd')
		exim_reason(p, end, rec);
	else if ((q = EXIM_FIND(p, end, " C=\"")) != NULL) {
		const char	*e2;

		q += 4;
		for (e2 = q; e2 < end && *e2 != '"'; e2++)
			;
		record_set(rec, RF_EVENT_REASON, q, (size_t)(e2 - q));
	}
	if ((e = mailq_get(st->q, id)) != NULL)
		mailq_join(e, rec);
}

/* A line without a message flag: rejections, failures, connections. */
static int
exim_other(struct mailq_parser *st, struct span id, const char *p,
    const char *end, struct record *rec)
{
	const struct exim_verdict	*v;
	struct mailq_entry		*e;
	struct span			 val, to;
	const char			*q, *hit = NULL;

	for (v = exim_phrases; v->word != NULL; v++)
		if ((hit = exim_find(p, end, v->word, v->len)) != NULL)
			break;
	if (v->word == NULL) {
		/* Other lines about a message still say what it did. */
		if (id.len == 0)
			return 0;
		if (end - p == 9 && memcmp(p, "Completed", 9) == 0) {
			record_set_lit(rec, RF_EVENT_ACTION, "completed");
			if ((e = mailq_get(st->q, id)) != NULL) {
				mailq_join(e, rec);
				mailq_del(st->q, e);
			}
			return 1;
		}
		record_set_lit(rec, RF_EVENT_ACTION, "info");
		exim_client(p, end, rec);
		if ((e = mailq_get(st->q, id)) != NULL)
			mailq_join(e, rec);
		return 1;
	}
	record_set(rec, RF_EVENT_ACTION, v->action, strlen(v->action));
	if (v->outcome != NULL)
		record_set(rec, RF_EVENT_OUTCOME, v->outcome,
		    strlen(v->outcome));
	exim_client(p, end, rec);
	if (EXIM_VALUE(p, end, "F=", &val) && (val.p == p + 2 ||
	    val.p[-3] == ' '))
		record_set(rec, RF_EMAIL_FROM_ADDRESS, exim_addr(val).p,
		    exim_addr(val).len);
	if (!record_has(rec, RF_EMAIL_FROM_ADDRESS) &&
	    (q = EXIM_FIND(p, end, "sender verify fail for <")) != NULL) {
		const char	*e2;

		q += 24;
		if ((e2 = memchr(q, '>', (size_t)(end - q))) != NULL)
			record_set(rec, RF_EMAIL_FROM_ADDRESS, q,
			    (size_t)(e2 - q));
	}
	if ((q = EXIM_FIND(p, end, "rejected RCPT ")) != NULL) {
		const char	*e2;

		q += 14;
		for (e2 = q; e2 < end && *e2 != ' '; e2++)
			;
		to = exim_addr((struct span){ q, (size_t)(e2 - q) });
		record_set(rec, RF_EMAIL_TO_ADDRESS, to.p, to.len);
	}
	if (strcmp(v->action, "auth-failure") == 0) {
		if ((q = EXIM_FIND(p, end, "(set_id=")) != NULL) {
			const char	*e2;

			q += 8;
			for (e2 = q; e2 < end && *e2 != ')'; e2++)
				;
			record_set(rec, RF_USER_NAME, q, (size_t)(e2 - q));
		}
	}
	if (strcmp(v->action, "protocol-error") == 0)
		record_set(rec, RF_EVENT_REASON, hit, (size_t)(end - hit));
	else if (v->outcome != NULL && !record_has(rec, RF_EVENT_REASON))
		exim_reason(hit, end, rec);
	if (id.len > 0 && (e = mailq_get(st->q, id)) != NULL)
		mailq_join(e, rec);
	return 1;
}

/* The text after the time (and pid): "[id] flag ..." or a message. */
static int
exim_body(struct mailq_parser *st, const char *p, const char *end,
    struct record *rec)
{
	struct span	id = SPAN_NULL;
	char		flag = 0;

	/* "[1234] " of the +pid selector. */
	if (p < end && *p == '[') {
		const char	*q;

		for (q = p + 1; q < end && *q >= '0' && *q <= '9'; q++)
			;
		if (q < end && *q == ']' && q > p + 1) {
			record_set(rec, RF_PROCESS_PID, p + 1,
			    (size_t)(q - p - 1));
			p = q + 1;
			while (p < end && *p == ' ')
				p++;
		}
	}
	if (exim_msgid(p, end, &id)) {
		record_set(rec, RF_EMAIL_LOCAL_ID, id.p, id.len);
		p += id.len;
		while (p < end && *p == ' ')
			p++;
	}
	if (id.len > 0 && end - p >= 3 && p[2] == ' ') {
		if (p[0] == '<' && p[1] == '=')
			flag = '<';
		else if (p[0] == '=' && p[1] == '>')
			flag = '=';
		else if (p[0] == '-' && p[1] == '>')
			flag = '-';
		else if (p[0] == '*' && p[1] == '*')
			flag = '*';
		else if (p[0] == '=' && p[1] == '=')
			flag = 'd';
		else if (p[0] == '*' && p[1] == '>')
			flag = 's';
	}
	if (flag == '<') {
		exim_arrival(st, id, p + 3, end, rec);
		return 1;
	}
	if (flag != 0) {
		exim_delivery(st, id, flag, p + 3, end, rec);
		return 1;
	}
	return exim_other(st, id, p, end, rec);
}

/*
 * Skip "host exim[pid]: " (a syslog line without its time, or with
 * Exim's time in front) at *pp; sets process.* from it.
 */
static void
exim_skip_tag(const char **pp, const char *end, struct record *rec)
{
	const char	*p = *pp, *sp, *tag, *te;

	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		return;
	tag = sp + 1;
	if ((te = memchr(tag, ' ', (size_t)(end - tag))) == NULL || te[-1] !=
	    ':' || !EXIM_STARTS(tag, te, "exim"))
		return;
	record_set(rec, RF_HOST_HOSTNAME, p, (size_t)(sp - p));
	record_set_lit(rec, RF_PROCESS_NAME, "exim");
	*pp = te + 1;
}

/* One line.  Returns 1, 0 or -1. */
static int
exim_line(struct mailq_parser *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	const char		*p = line, *end = line + len;

	if (len == 0)
		return 0;
	if (exim_time(st, &p, end, rec)) {
		/* rsyslog wrote its own "time host exim[pid]:" first. */
		exim_skip_tag(&p, end, rec);
		exim_time(st, &p, end, rec);
		return exim_body(st, p, end, rec);
	}
	if (syslog_parse(&st->sctx, line, len, &hdr) == 0 &&
	    hdr.program.len > 0) {
		if (!(hdr.program.len >= 4 && memcmp(hdr.program.p, "exim",
		    4) == 0))
			return 0;
		syslog_to_record(&hdr, rec);
		p = hdr.msg.p;
		end = p + hdr.msg.len;
		exim_time(st, &p, end, rec);
		return exim_body(st, p, end, rec);
	}
	/* "host exim[pid]: 2026-11-21 10:00:00 ..." */
	exim_skip_tag(&p, end, rec);
	if (p != line && exim_time(st, &p, end, rec))
		return exim_body(st, p, end, rec);
	return -1;
}

/*
 * Parse one line into rec: 1 an event, 0 a blank line, another program's
 * line or an Exim line about nothing keibi follows (queue runs), -1 a line
 * without an Exim time or syslog header.
 */
static int
exim_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct mailq_parser	*st = state;
	int			 r;

	r = exim_line(st, line, len, rec);
	if (r == 1)
		st->stats.events++;
	else if (r == 0)
		st->stats.ignored++;
	else
		st->stats.malformed++;
	return r;
}

/* Return the counters of state. */
static const struct parser_stats *
exim_stats(void *state)
{
	struct mailq_parser	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
exim_set_ref(void *state, int64_t ref_us)
{
	struct mailq_parser	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_exim = {
	.name = "exim",
	.dataset = "mail.exim",
	.description = "Exim main log (own file or syslog), lines joined by "
	    "message id",
	.state_new = mailq_parser_new,
	.state_free = mailq_parser_free,
	.parse = exim_parse,
	.stats = exim_stats,
	.set_ref = exim_set_ref,
};
