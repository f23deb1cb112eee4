/*
 * sendmail.c: Sendmail's syslog lines (programs "sendmail", "sm-mta",
 * "sm-msp-queue", "sm-acceptingconnections", ...).  A message is told in
 * pairs of lines joined by the queue id:
 *
 *   s1GNXHYB005133: from=<alice@example.com>, size=2345, class=0,
 *   nrcpts=1, msgid=<...>, proto=ESMTPSA, daemon=MTA, relay=client
 *   [192.0.2.20]                                        action "received"
 *   s1GNXHYB005133: to=<bob@example.org>, delay=00:00:01, mailer=esmtp,
 *   relay=mx.example.org. [198.51.100.25], dsn=2.0.0, stat=Sent (...)
 *                            "delivered", "deferred" or "bounced" by stat=
 *
 * and "AUTH=server, relay=..., authid=user" names the authenticated
 * sender.  The from= line's client, sender and Message-ID and the authid
 * are kept in a bounded table (see mailq.h), so each to= line carries
 * them; Sendmail logs no end of a message, so entries leave the table
 * when it is full, oldest first.  Also read: rulesets' rejections
 * ("ruleset=check_rcpt, arg1=<x>, relay=..., reject=550 ..."), AUTH
 * failures, "possible SMTP attack", pre-greeting traffic, refused EXPN
 * and VRFY, and clients that never sent MAIL.  A rejection names the
 * client in its last "relay=" (an earlier one may be text the client
 * sent as a user name).
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

/* Longest text between "[" and "]" taken for an address. */
#define SM_BRACKET_MAX	64

/* First occurrence of s in [p, end), or NULL. */
static const char *
sm_find(const char *p, const char *end, const char *s, size_t len)
{
	if (p >= end || (size_t)(end - p) < len)
		return NULL;
	return memmem(p, (size_t)(end - p), s, len);
}

/* Last occurrence of s in [p, end), or NULL. */
static const char *
sm_find_last(const char *p, const char *end, const char *s, size_t len)
{
	const char	*hit = NULL, *q;

	while ((q = sm_find(p, end, s, len)) != NULL) {
		hit = q;
		p = q + len;
	}
	return hit;
}

#define SM_FIND(p, end, lit)	sm_find((p), (end), (lit), sizeof(lit) - 1)
#define SM_STARTS(p, end, lit)	((size_t)((end) - (p)) >= sizeof(lit) - 1 && \
				    memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* True if a syslog program is Sendmail's. */
static bool
sm_is_sendmail(struct span prog)
{
	return (prog.len >= 3 && memcmp(prog.p, "sm-", 3) == 0) ||
	    (prog.len >= 8 && memcmp(prog.p, "sendmail", 8) == 0);
}

/*
 * A queue id at p followed by ": " ("s1GNXHYB005133"): eight letters and
 * digits, then the process id.
 */
static bool
sm_qid(const char *p, const char *end, struct span *qid)
{
	const char	*q;
	size_t		 n;

	for (q = p; q < end && q - p < 24 && ((*q >= '0' && *q <= '9') ||
	    (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')); q++)
		;
	n = (size_t)(q - p);
	if (n < 12 || n > 20 || end - q < 2 || q[0] != ':' || q[1] != ' ' ||
	    !httplog_digits(p + 8, n - 8))
		return false;
	qid->p = p;
	qid->len = n;
	return true;
}

/*
 * The value of "key" up to ", " or the end (a "<...>" kept whole, without
 * its brackets); false if the key is absent.
 */
static bool
sm_value(const char *p, const char *end, const char *key, size_t klen,
    struct span *v)
{
	const char	*q, *e;

	for (q = p; (q = sm_find(q, end, key, klen)) != NULL; q += klen)
		if (q == p || q[-1] == ' ')
			break;
	if (q == NULL)
		return false;
	q += klen;
	if (q < end && *q == '<') {
		q++;
		if ((e = memchr(q, '>', (size_t)(end - q))) == NULL)
			e = end;
	} else
		for (e = q; e < end && !(*e == ',' && (e + 1 == end ||
		    e[1] == ' ')); e++)
			;
	v->p = q;
	v->len = (size_t)(e - q);
	return true;
}

#define SM_VALUE(p, end, k, v)	sm_value((p), (end), (k), sizeof(k) - 1, (v))

/*
 * A host "name [ip]", "[ip]" or "name" (relay= values, "from host [ip]")
 * at p: sets the address fields of the source or the destination.
 * Returns true if an address was set.
 */
static bool
sm_host(const char *p, const char *end, bool dest, struct record *rec)
{
	struct span	 name = SPAN_NULL, ip;
	const char	*q, *close;
	size_t		 n;

	while (p < end && *p == ' ')
		p++;
	if (p < end && *p != '[') {
		for (q = p; q < end && *q != ' ' && *q != ','; q++)
			;
		name.p = p;
		name.len = (size_t)(q - p);
		/* "mx.example.org." is the fully qualified name. */
		if (name.len > 1 && name.p[name.len - 1] == '.')
			name.len--;
		p = q;
		while (p < end && *p == ' ')
			p++;
	}
	if (p < end && *p == '[') {
		n = (size_t)(end - p);
		if (n > SM_BRACKET_MAX)
			n = SM_BRACKET_MAX;
		if ((close = memchr(p, ']', n)) != NULL) {
			ip.p = p + 1;
			ip.len = (size_t)(close - p - 1);
			if (ip.len > 5 && memcmp(ip.p, "IPv6:", 5) == 0) {
				ip.p += 5;
				ip.len -= 5;
			}
			if (httplog_set_addr(ip, dest ? RF_DESTINATION_IP :
			    RF_SOURCE_IP, RF_MAX, RF_MAX, rec)) {
				record_set(rec, dest ? RF_DESTINATION_DOMAIN :
				    RF_SOURCE_DOMAIN, name.p, name.len);
				return true;
			}
		}
	}
	if (dest && name.len > 0)
		record_set(rec, RF_DESTINATION_DOMAIN, name.p, name.len);
	return false;
}

/* The client: the last "relay=", else the first "[ip]" in the text. */
static void
sm_client(const char *p, const char *end, struct record *rec)
{
	const char	*q;

	if ((q = sm_find_last(p, end, "relay=", 6)) != NULL &&
	    sm_host(q + 6, end, false, rec))
		return;
	for (q = p; q < end && (q = memchr(q, '[', (size_t)(end - q))) != NULL;
	    q++)
		if (sm_host(q, end, false, rec))
			return;
}

/* "from=<...>, ...": a message was accepted.  Keeps what it says. */
static int
sm_from(struct mailq_parser *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 v;

	record_set_lit(rec, RF_EVENT_ACTION, "received");
	if (SM_VALUE(p, end, "from=", &v))
		record_set(rec, RF_EMAIL_FROM_ADDRESS, v.p, v.len);
	if (SM_VALUE(p, end, "msgid=", &v))
		record_set(rec, RF_EMAIL_MESSAGE_ID, v.p, v.len);
	sm_client(p, end, rec);
	if ((e = mailq_put(st->q, qid, &st->stats.dropped)) == NULL)
		return 1;
	mailq_keep(e, MQ_IP, rec, RF_SOURCE_IP);
	mailq_keep(e, MQ_HOST, rec, RF_SOURCE_DOMAIN);
	mailq_keep(e, MQ_FROM, rec, RF_EMAIL_FROM_ADDRESS);
	mailq_keep(e, MQ_MSGID, rec, RF_EMAIL_MESSAGE_ID);
	mailq_join(e, rec);
	return 1;
}

/* "to=<...>, ..., relay=..., stat=...": one delivery attempt. */
static int
sm_to(struct mailq_parser *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 v;
	const char		*q;

	if (SM_VALUE(p, end, "to=", &v))
		record_set(rec, RF_EMAIL_TO_ADDRESS, v.p, v.len);
	if ((q = SM_FIND(p, end, " relay=")) != NULL)
		sm_host(q + 7, end, true, rec);
	if (SM_VALUE(p, end, "stat=", &v)) {
		record_set(rec, RF_EVENT_REASON, v.p, v.len);
		if (v.len >= 4 && memcmp(v.p, "Sent", 4) == 0) {
			record_set_lit(rec, RF_EVENT_ACTION, "delivered");
			record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		} else if (v.len >= 8 && memcmp(v.p, "Deferred", 8) == 0) {
			record_set_lit(rec, RF_EVENT_ACTION, "deferred");
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		} else {
			record_set_lit(rec, RF_EVENT_ACTION, "bounced");
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		}
	} else
		record_set_lit(rec, RF_EVENT_ACTION, "delivery");
	if ((e = mailq_get(st->q, qid)) != NULL)
		mailq_join(e, rec);
	return 1;
}

/* "AUTH=server, relay=..., authid=user, mech=...": who sent it. */
static int
sm_auth(struct mailq_parser *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 v;

	record_set_lit(rec, RF_EVENT_ACTION, "auth-success");
	record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	sm_client(p, end, rec);
	if (SM_VALUE(p, end, "authid=", &v))
		record_set(rec, RF_USER_NAME, v.p, v.len);
	if (qid.len > 0 && record_has(rec, RF_USER_NAME) &&
	    (e = mailq_put(st->q, qid, &st->stats.dropped)) != NULL)
		mailq_keep(e, MQ_USER, rec, RF_USER_NAME);
	return 1;
}

/* Other lines: rejections, failures, attacks.  Returns 1 or 0. */
static int
sm_other(struct mailq_parser *st, struct span qid, const char *p,
    const char *end, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 v;
	const char		*q;

	if (SM_FIND(p, end, "ruleset=") != NULL && SM_VALUE(p, end, "reject=",
	    &v)) {
		record_set_lit(rec, RF_EVENT_ACTION, "rejected");
		record_set(rec, RF_EVENT_REASON, v.p, v.len);
		if (SM_VALUE(p, end, "ruleset=", &v) && span_eq(v,
		    "check_rcpt") && SM_VALUE(p, end, "arg1=", &v))
			record_set(rec, RF_EMAIL_TO_ADDRESS, v.p, v.len);
		else if (SM_VALUE(p, end, "ruleset=", &v) && span_eq(v,
		    "check_mail") && SM_VALUE(p, end, "arg1=", &v))
			record_set(rec, RF_EMAIL_FROM_ADDRESS, v.p, v.len);
	} else if ((q = SM_FIND(p, end, "AUTH failure")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
		/* The user the client gave, before the relay. */
		if ((q = sm_find_last(p, end, ", relay=", 8)) != NULL &&
		    sm_value(p, q, "user=", 5, &v))
			record_set(rec, RF_USER_NAME, v.p, v.len);
	} else if ((q = SM_FIND(p, end, "possible SMTP attack")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "smtp-attack");
		record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
	} else if ((q = SM_FIND(p, end, "pre-greeting traffic")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "rejected");
		record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
	} else if ((q = SM_FIND(p, end, " [rejected]")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "rejected");
		/* "[ip]: EXPN root [rejected]" */
		if ((v.p = sm_find_last(p, q, ": ", 2)) != NULL) {
			v.p += 2;
			record_set(rec, RF_EVENT_REASON, v.p,
			    (size_t)(end - v.p));
		}
	} else if (SM_FIND(p, end, "did not issue") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "no-mail");
		record_set(rec, RF_EVENT_REASON, p, (size_t)(end - p));
		sm_client(p, end, rec);
		return 1;
	} else if (p < end && *p == '<' && (SM_FIND(p, end,
	    ">... User unknown") != NULL || SM_FIND(p, end,
	    ">... No such user") != NULL)) {
		const char	*gt = memchr(p, '>', (size_t)(end - p));

		record_set_lit(rec, RF_EVENT_ACTION, "unknown-recipient");
		record_set(rec, RF_EMAIL_TO_ADDRESS, p + 1,
		    (size_t)(gt - p - 1));
		record_set(rec, RF_EVENT_REASON, gt + 5,
		    (size_t)(end - gt - 5));
	} else if (SM_FIND(p, end, "lost input channel") != NULL ||
	    SM_FIND(p, end, "timeout waiting for input") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "lost-connection");
		sm_client(p, end, rec);
		return 1;
	} else
		return 0;
	record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	sm_client(p, end, rec);
	if (qid.len > 0 && (e = mailq_get(st->q, qid)) != NULL)
		mailq_join(e, rec);
	return 1;
}

/* The message text of a Sendmail line.  Returns 1 or 0. */
static int
sm_body(struct mailq_parser *st, const char *p, const char *end,
    struct record *rec)
{
	struct span	qid = SPAN_NULL;

	if (sm_qid(p, end, &qid)) {
		record_set(rec, RF_EMAIL_LOCAL_ID, qid.p, qid.len);
		p += qid.len + 2;
	}
	if (qid.len > 0 && SM_STARTS(p, end, "from="))
		return sm_from(st, qid, p, end, rec);
	if (qid.len > 0 && SM_STARTS(p, end, "to="))
		return sm_to(st, qid, p, end, rec);
	if (SM_STARTS(p, end, "AUTH=server"))
		return sm_auth(st, qid, p, end, rec);
	return sm_other(st, qid, p, end, rec);
}

/*
 * FreeBSD's syslogd -v writes "<mail.info>" where the host belongs; the
 * host and the tag follow in the message.  Move them into hdr.
 */
static void
sm_retag(struct syslog_hdr *hdr)
{
	const char	*p = hdr->msg.p, *end = p + hdr->msg.len, *sp, *te, *lb;

	if (hdr->program.len > 0 || hdr->host.len < 3 || hdr->host.p[0] != '<'
	    || hdr->host.p[hdr->host.len - 1] != '>')
		return;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    (te = memchr(sp + 1, ' ', (size_t)(end - sp - 1))) == NULL ||
	    te[-1] != ':' || te - 1 == sp + 1)
		return;
	hdr->host.p = p;
	hdr->host.len = (size_t)(sp - p);
	hdr->program.p = sp + 1;
	hdr->program.len = (size_t)(te - 1 - hdr->program.p);
	hdr->pid = SPAN_NULL;
	if ((lb = memchr(hdr->program.p, '[', hdr->program.len)) != NULL &&
	    te[-2] == ']') {
		hdr->pid.p = lb + 1;
		hdr->pid.len = (size_t)(te - 2 - hdr->pid.p);
		hdr->program.len = (size_t)(lb - hdr->program.p);
	}
	hdr->msg.p = te + 1;
	hdr->msg.len = (size_t)(end - hdr->msg.p);
}

/*
 * Parse one line into rec: 1 an event, 0 a blank line, another program's
 * line or a Sendmail line keibi does not read (STARTTLS, statistics), -1 a
 * line without a syslog header.
 */
static int
sendmail_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct mailq_parser	*st = state;
	struct syslog_hdr	 hdr;
	int			 r;

	if (len == 0)
		r = 0;
	else if (syslog_parse(&st->sctx, line, len, &hdr) != 0)
		r = -1;
	else if (sm_retag(&hdr), !sm_is_sendmail(hdr.program))
		r = 0;
	else {
		syslog_to_record(&hdr, rec);
		r = sm_body(st, hdr.msg.p, hdr.msg.p + hdr.msg.len, rec);
	}
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
sendmail_stats(void *state)
{
	struct mailq_parser	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
sendmail_set_ref(void *state, int64_t ref_us)
{
	struct mailq_parser	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_sendmail = {
	.name = "sendmail",
	.dataset = "mail.sendmail",
	.description = "Sendmail syslog lines, from=/to= joined by queue id",
	.state_new = mailq_parser_new,
	.state_free = mailq_parser_free,
	.parse = sendmail_parse,
	.stats = sendmail_stats,
	.set_ref = sendmail_set_ref,
};
