/*
 * courier.c: Courier mail server lines behind a syslog header: the login
 * daemons (imapd, imapd-ssl, pop3d, pop3d-ssl, courierpop3login)
 *
 *   LOGIN FAILED, user=alice, ip=[::ffff:192.0.2.7]      "auth-failure"
 *   LOGIN, user=alice, ip=[::ffff:192.0.2.7], port=[51234],
 *   protocol=IMAP                                         "login"
 *   LOGOUT, DISCONNECTED, TIMEOUT, ... , user=, ip=[...]  "logout", ...
 *
 * and courieresmtpd's errors
 *
 *   error,relay=::ffff:192.0.2.7,from=<a@b>,to=<c@d>: 550 User unknown.
 *                                                         "rejected"
 *   error,relay=::ffff:192.0.2.7,msg="535 Authentication failed.",cmd:
 *   AUTH LOGIN ...                                        "auth-failure"
 *
 * and the lines of a message's way through the queue, joined by Courier's
 * queue id (email.local_id):
 *
 *   courierd: newmsg,id=ID: dns; helo (rdns [ip])         "received"
 *   courieresmtp: id=ID,from=<s>,addr=<r>: 250 Ok ...     "reply"
 *   courieresmtp: id=ID,from=<s>,addr=<r>,size=N,success: delivered:
 *   mx.example.org [192.0.2.25]                           "reply"
 *   courieresmtp: id=ID,from=<s>,addr=<r>,size=N,status: success
 *                                  "delivered" (failure: "bounced",
 *                                  deferred: "deferred")
 *   courierlocal: id=ID,...,size=N,success: Message delivered.
 *                                                         "delivered-local"
 *   courierd: completed,id=ID                             "completed"
 *
 * Courier ends every remote delivery attempt with a "status:" line (after
 * the server's reply lines), so that line is the delivery; a local
 * delivery that succeeds logs only its "success:" line.  What courierlocal
 * does is marked "-local" ("delivered-local", "bounced-local",
 * "deferred-local"): it stays on the host and is no outbound mail.  The
 * client of newmsg is kept in a bounded table (see mailq.h) so that each
 * delivery names it; "completed" frees the entry.
 *
 * The client is source.ip (an IPv4-mapped address as IPv4), the user
 * user.name.  Every field is a span into the line or into the table;
 * parsing allocates nothing, never reads past len and keeps no pointer
 * into the line.
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

/* First occurrence of s in [p, end), or NULL. */
static const char *
co_find(const char *p, const char *end, const char *s)
{
	size_t	len = strlen(s);

	if (p >= end || (size_t)(end - p) < len)
		return NULL;
	return memmem(p, (size_t)(end - p), s, len);
}

/*
 * The value of key ("user=", "ip=") in a comma-separated list: up to the
 * next ',' or ':' at the end, "[...]" and "<...>" and "..." without their
 * brackets.  The key must start the list or follow a comma.
 */
static bool
co_value(const char *p, const char *end, const char *key, struct span *v)
{
	const char	*q, *e;
	size_t		 klen = strlen(key);
	char		 close = 0;

	for (q = p; (q = co_find(q, end, key)) != NULL; q += klen)
		if (q == p || q[-1] == ',' || q[-1] == ' ')
			break;
	if (q == NULL)
		return false;
	q += klen;
	if (q < end && (*q == '[' || *q == '<' || *q == '"')) {
		close = *q == '[' ? ']' : *q == '<' ? '>' : '"';
		q++;
		if ((e = memchr(q, close, (size_t)(end - q))) == NULL)
			e = end;
	} else
		for (e = q; e < end && *e != ',' && !(*e == ':' && (e + 1 ==
		    end || e[1] == ' ')); e++)
			;
	v->p = q;
	v->len = (size_t)(e - q);
	return true;
}

/* A login daemon's line "WORD, user=..., ip=[...]".  Returns 1 or 0. */
static int
co_login(const char *p, const char *end, struct record *rec)
{
	struct span	v;
	const char	*comma;

	if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
		return 0;
	if (!co_value(comma, end, "ip=", &v) ||
	    !httplog_set_addr(v, RF_SOURCE_IP, RF_MAX, RF_MAX, rec))
		return 0;
	if (co_value(comma, end, "user=", &v))
		record_set(rec, RF_USER_NAME, v.p, v.len);
	if (co_value(comma, end, "port=", &v) && httplog_digits(v.p, v.len))
		record_set(rec, RF_SOURCE_PORT, v.p, v.len);
	if (co_value(comma, end, "protocol=", &v)) {
		if (span_eq(v, "IMAP") || span_eq(v, "IMAP4"))
			record_set_lit(rec, RF_NETWORK_PROTOCOL, "imap");
		else if (span_eq(v, "POP3"))
			record_set_lit(rec, RF_NETWORK_PROTOCOL, "pop3");
	}
	if (comma - p == 12 && memcmp(p, "LOGIN FAILED", 12) == 0) {
		record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	} else if (comma - p == 5 && memcmp(p, "LOGIN", 5) == 0) {
		record_set_lit(rec, RF_EVENT_ACTION, "login");
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	} else if (comma - p == 6 && memcmp(p, "LOGOUT", 6) == 0)
		record_set_lit(rec, RF_EVENT_ACTION, "logout");
	else if (comma - p == 12 && memcmp(p, "DISCONNECTED", 12) == 0)
		record_set_lit(rec, RF_EVENT_ACTION, "disconnect");
	else if (comma - p == 7 && memcmp(p, "TIMEOUT", 7) == 0)
		record_set_lit(rec, RF_EVENT_ACTION, "timeout");
	else
		record_set(rec, RF_EVENT_ACTION, p, (size_t)(comma - p));
	return 1;
}

/* courieresmtpd "error,relay=...,...: reply".  Returns 1 or 0. */
static int
co_smtp_error(const char *p, const char *end, struct record *rec)
{
	struct span	 v;
	const char	*q;

	if (!co_value(p, end, "relay=", &v) ||
	    !httplog_set_addr(v, RF_SOURCE_IP, RF_MAX, RF_MAX, rec))
		return 0;
	if (co_value(p, end, "port=", &v) && httplog_digits(v.p, v.len))
		record_set(rec, RF_SOURCE_PORT, v.p, v.len);
	if (co_value(p, end, "from=", &v))
		record_set(rec, RF_EMAIL_FROM_ADDRESS, v.p, v.len);
	if (co_value(p, end, "to=", &v))
		record_set(rec, RF_EMAIL_TO_ADDRESS, v.p, v.len);
	if (co_value(p, end, "msg=", &v)) {
		record_set(rec, RF_EVENT_REASON, v.p, v.len);
		if (v.len >= 3 && memcmp(v.p, "535", 3) == 0)
			record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		else
			record_set_lit(rec, RF_EVENT_ACTION, "rejected");
	} else {
		if ((q = co_find(p, end, ": ")) != NULL)
			record_set(rec, RF_EVENT_REASON, q + 2,
			    (size_t)(end - q - 2));
		record_set_lit(rec, RF_EVENT_ACTION, "rejected");
	}
	record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	record_set_lit(rec, RF_NETWORK_PROTOCOL, "smtp");
	return 1;
}

/* True if [p, end) starts with s. */
static bool
co_starts(const char *p, const char *end, const char *s)
{
	size_t	len = strlen(s);

	return (size_t)(end - p) >= len && memcmp(p, s, len) == 0;
}

/*
 * courierd "newmsg,id=ID: dns; helo (rdns [ip])": a message entered the
 * queue.  Keeps its client for the deliveries.  Returns 1 or -1.
 */
static int
co_newmsg(struct mailq_parser *st, const char *p, const char *end,
    struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 id, ip;
	const char		*q, *open, *close;

	if (!co_value(p, end, "id=", &id) || id.len == 0)
		return -1;
	record_set(rec, RF_EMAIL_LOCAL_ID, id.p, id.len);
	record_set_lit(rec, RF_EVENT_ACTION, "received");
	record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	if ((q = co_find(p, end, ": dns; ")) != NULL &&
	    (open = memchr(q, '(', (size_t)(end - q))) != NULL &&
	    (close = memchr(open, ')', (size_t)(end - open))) != NULL) {
		/* "(rdns [ip])"; the rdns may be missing: "([ip])". */
		if ((q = memchr(open, '[', (size_t)(close - open))) != NULL &&
		    (ip.p = q + 1) < close &&
		    (q = memchr(ip.p, ']', (size_t)(close - ip.p))) != NULL) {
			ip.len = (size_t)(q - ip.p);
			httplog_set_addr(ip, RF_SOURCE_IP, RF_MAX, RF_MAX, rec);
			for (q = open + 1; q < close && *q != ' ' && *q != '[';
			    q++)
				;
			record_set(rec, RF_SOURCE_DOMAIN, open + 1,
			    (size_t)(q - open - 1));
		}
	}
	if ((e = mailq_put(st->q, id, &st->stats.dropped)) != NULL) {
		mailq_keep(e, MQ_IP, rec, RF_SOURCE_IP);
		mailq_keep(e, MQ_HOST, rec, RF_SOURCE_DOMAIN);
	}
	return 1;
}

/* courierd "completed,id=ID": frees the message's entry.  Returns 1/-1. */
static int
co_completed(struct mailq_parser *st, const char *p, const char *end,
    struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 id;

	if (!co_value(p, end, "id=", &id) || id.len == 0)
		return -1;
	record_set(rec, RF_EMAIL_LOCAL_ID, id.p, id.len);
	record_set_lit(rec, RF_EVENT_ACTION, "completed");
	if ((e = mailq_get(st->q, id)) != NULL) {
		mailq_join(e, rec);
		mailq_del(st->q, e);
	}
	return 1;
}

/* "delivered: mx.example.org [192.0.2.25]": the server it went to. */
static void
co_delivered_to(const char *p, const char *end, struct record *rec)
{
	const char	*sp, *close;
	struct span	 ip;

	if (!co_starts(p, end, "delivered: "))
		return;
	p += 11;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    sp + 1 >= end || sp[1] != '[' ||
	    (close = memchr(sp + 2, ']', (size_t)(end - sp - 2))) == NULL)
		return;
	ip.p = sp + 2;
	ip.len = (size_t)(close - ip.p);
	if (httplog_set_addr(ip, RF_DESTINATION_IP, RF_MAX, RF_MAX, rec))
		record_set(rec, RF_DESTINATION_DOMAIN, p, (size_t)(sp - p));
}

/*
 * A delivery module's line (courieresmtp, courierlocal, ...):
 * "id=ID,from=<s>,addr=<r>" and then ": reply", "[,size=N],success: text"
 * or "[,size=N],status: success|failure|deferred".  local: the module
 * delivers on this host (courierlocal).  Returns 1, 0 (no "addr=") or -1.
 */
static int
co_delivery(struct mailq_parser *st, bool local, const char *p,
    const char *end, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 id, v;
	const char		*addr, *gt, *q;

	if ((addr = co_find(p, end, ",addr=<")) == NULL)
		return 0;
	if (!co_value(p, addr, "id=", &id) || id.len == 0 ||
	    (gt = memchr(addr + 7, '>', (size_t)(end - addr - 7))) == NULL)
		return -1;
	record_set(rec, RF_EMAIL_LOCAL_ID, id.p, id.len);
	if (co_value(p, addr, "from=", &v))
		record_set(rec, RF_EMAIL_FROM_ADDRESS, v.p, v.len);
	record_set(rec, RF_EMAIL_TO_ADDRESS, addr + 7, (size_t)(gt - addr - 7));
	q = gt + 1;
	if (co_starts(q, end, ",size=")) {
		q += 6;
		for (v.p = q; q < end && *q >= '0' && *q <= '9'; q++)
			;
		record_set(rec, RF_SOURCE_BYTES, v.p, (size_t)(q - v.p));
	}
	if (co_starts(q, end, ",status: ")) {
		q += 9;
		v.p = q;
		v.len = (size_t)(end - q);
		if (span_eq(v, "success")) {
			if (local)
				record_set_lit(rec, RF_EVENT_ACTION,
				    "delivered-local");
			else
				record_set_lit(rec, RF_EVENT_ACTION,
				    "delivered");
			record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		} else if (span_eq(v, "failure")) {
			if (local)
				record_set_lit(rec, RF_EVENT_ACTION,
				    "bounced-local");
			else
				record_set_lit(rec, RF_EVENT_ACTION, "bounced");
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		} else if (span_eq(v, "deferred")) {
			if (local)
				record_set_lit(rec, RF_EVENT_ACTION,
				    "deferred-local");
			else
				record_set_lit(rec, RF_EVENT_ACTION,
				    "deferred");
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		} else
			return -1;
	} else if (co_starts(q, end, ",success: ")) {
		/*
		 * A local delivery logs only this line; a remote one logs
		 * "status: success" next, which is the delivery.
		 */
		q += 10;
		record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
		if (local)
			record_set_lit(rec, RF_EVENT_ACTION, "delivered-local");
		else {
			record_set_lit(rec, RF_EVENT_ACTION, "reply");
			co_delivered_to(q, end, rec);
		}
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	} else if (co_starts(q, end, ": ")) {
		q += 2;
		record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
		record_set_lit(rec, RF_EVENT_ACTION, "reply");
	} else
		return -1;
	if ((e = mailq_get(st->q, id)) != NULL)
		mailq_join(e, rec);
	return 1;
}

/* One line.  Returns 1, 0 or -1. */
static int
courier_line(struct mailq_parser *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	const char		*p, *end;
	int			 r;

	if (len == 0)
		return 0;
	if (syslog_parse(&st->sctx, line, len, &hdr) != 0)
		return -1;
	p = hdr.msg.p;
	end = p + hdr.msg.len;
	syslog_to_record(&hdr, rec);
	if (end - p > 6 && memcmp(p, "error,", 6) == 0)
		return co_smtp_error(p + 6, end, rec);
	if (co_starts(p, end, "id="))
		return co_delivery(st, hdr.program.len == 12 &&
		    memcmp(hdr.program.p, "courierlocal", 12) == 0, p, end,
		    rec);
	if (co_starts(p, end, "newmsg,id="))
		return co_newmsg(st, p + 7, end, rec);
	if (co_starts(p, end, "completed,id="))
		return co_completed(st, p + 10, end, rec);
	/* "started,id=...": an attempt begins; its outcome is the event. */
	if (co_starts(p, end, "started,id="))
		return 0;
	r = co_login(p, end, rec);
	if (r == 1 && !record_has(rec, RF_NETWORK_PROTOCOL) &&
	    hdr.program.len >= 4) {
		if (co_find(hdr.program.p, hdr.program.p + hdr.program.len,
		    "imap") != NULL)
			record_set_lit(rec, RF_NETWORK_PROTOCOL, "imap");
		else if (co_find(hdr.program.p, hdr.program.p +
		    hdr.program.len, "pop3") != NULL)
			record_set_lit(rec, RF_NETWORK_PROTOCOL, "pop3");
	}
	return r;
}

/*
 * Parse one line into rec: 1 a login, a failed login, an SMTP error, a
 * message queued, a delivery line or a message completed; 0 any other
 * line; -1 a line without a syslog header or a queue line that cannot be
 * read.
 */
static int
courier_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct mailq_parser	*st = state;
	int			 r;

	r = courier_line(st, line, len, rec);
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
courier_stats(void *state)
{
	struct mailq_parser	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
courier_set_ref(void *state, int64_t ref_us)
{
	struct mailq_parser	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_courier = {
	.name = "courier",
	.dataset = "mail.courier",
	.description = "Courier IMAP/POP3 logins, ESMTP errors and deliveries "
	    "joined by queue id",
	.state_new = mailq_parser_new,
	.state_free = mailq_parser_free,
	.parse = courier_parse,
	.stats = courier_stats,
	.set_ref = courier_set_ref,
};
