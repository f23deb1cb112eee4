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
 * The client is source.ip (an IPv4-mapped address as IPv4), the user
 * user.name.  Every field is a span into the line; parsing allocates
 * nothing, never reads past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "parser.h"
#include "sysloghdr.h"

struct courier_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
};

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

/* Build the state; NULL on allocation failure. */
static void *
courier_state_new(const struct parser_opts *opts)
{
	struct courier_state	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	if (opts != NULL) {
		st->sctx.tz = opts->tz;
		st->sctx.ref_us = opts->ref_us;
	}
	return st;
}

/* Free the state; accepts NULL. */
static void
courier_state_free(void *state)
{
	free(state);
}

/* One line.  Returns 1, 0 or -1. */
static int
courier_line(struct courier_state *st, const char *line, size_t len,
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
 * Parse one line into rec: 1 a login, a failed login or an SMTP error, 0
 * any other line, -1 a line without a syslog header.
 */
static int
courier_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct courier_state	*st = state;
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
	struct courier_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
courier_set_ref(void *state, int64_t ref_us)
{
	struct courier_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_courier = {
	.name = "courier",
	.dataset = "mail.courier",
	.description = "Courier IMAP/POP3 logins and ESMTP errors",
	.state_new = courier_state_new,
	.state_free = courier_state_free,
	.parse = courier_parse,
	.stats = courier_stats,
	.set_ref = courier_set_ref,
};
