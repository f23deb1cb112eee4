/*
 * exchange.c: Microsoft Exchange's CSV logs under their "#Fields:" header:
 * the message tracking log above all (date-time, client-ip, ...,
 * event-id, message-id, recipient-address, message-subject,
 * sender-address, ...), and the protocol logs in which failed logins show:
 * SMTP receive and send (date-time, connector-id, session-id,
 * sequence-number, local-endpoint, remote-endpoint, event, data, context)
 * and POP3/IMAP4 (dateTime, sessionId, seqNumber, sIp, cIp, user,
 * duration, rqsize, rpsize, command, parameters, context).
 *
 * The field map is state, rebuilt at every "#Fields:" line (each new log
 * file starts with one).  A line read before any header (a source resumed
 * in the middle of a file, or lines shipped without their header) is read
 * by the number of its fields: 30 or so is message tracking, 12 or 13
 * POP3/IMAP4 and 9 SMTP, in the order Exchange 2013 to 2019 write them.
 *
 * Message tracking: the client is source.*, the server destination.*, the
 * event id (RECEIVE, SEND, DELIVER, FAIL, ...) event.action, sender,
 * recipients, Message-ID, subject and network message id (email.local_id)
 * the email.* fields, the recipient status event.reason.  A message with
 * several recipients has them in one value separated by ";": it stays so
 * in email.to.address (ECS's list of recipients), and whoever needs them
 * one by one walks it with mailq_rcpt_next() (mailq.h), as the spam
 * detector does; recipient-count is not read.
 * Protocol logs: the remote end is source.*, a "535" reply or
 * "AuthFailed" context makes the event.action "auth-failure".
 *
 * Values are spans into the line, or into the state's scratch buffer for
 * quoted values with doubled quotes; parsing allocates nothing, never
 * reads past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httplog.h"
#include "parser.h"
#include "scratch.h"
#include "sysloghdr.h"

/* Fields beyond this many are not read. */
#define EX_MAX_COLS	48

enum ex_role {
	XR_NONE = 0,
	XR_TIME,
	XR_CLIENT_IP,
	XR_CLIENT_HOST,
	XR_SERVER_IP,
	XR_SERVER_HOST,
	XR_EVENT_ID,
	XR_MESSAGE_ID,
	XR_NETWORK_ID,
	XR_RECIPIENTS,
	XR_RECIPIENT_STATUS,
	XR_BYTES,
	XR_SUBJECT,
	XR_SENDER,
	XR_RETURN_PATH,
	XR_LOCAL_END,		/* protocol logs: "ip:port" */
	XR_REMOTE_END,
	XR_EVENT,		/* SMTP protocol: + - > < * */
	XR_DATA,
	XR_USER,
	XR_COMMAND,
	XR_CONTEXT,
	XR_MAX
};

static const struct {
	const char	*name;
	enum ex_role	 role;
} ex_names[] = {
	{ "date-time", XR_TIME },
	{ "dateTime", XR_TIME },
	{ "client-ip", XR_CLIENT_IP },
	{ "client-hostname", XR_CLIENT_HOST },
	{ "server-ip", XR_SERVER_IP },
	{ "server-hostname", XR_SERVER_HOST },
	{ "event-id", XR_EVENT_ID },
	{ "message-id", XR_MESSAGE_ID },
	{ "network-message-id", XR_NETWORK_ID },
	{ "recipient-address", XR_RECIPIENTS },
	{ "recipient-status", XR_RECIPIENT_STATUS },
	{ "total-bytes", XR_BYTES },
	{ "message-subject", XR_SUBJECT },
	{ "sender-address", XR_SENDER },
	{ "return-path", XR_RETURN_PATH },
	{ "local-endpoint", XR_LOCAL_END },
	{ "remote-endpoint", XR_REMOTE_END },
	{ "sIp", XR_LOCAL_END },
	{ "cIp", XR_REMOTE_END },
	{ "event", XR_EVENT },
	{ "data", XR_DATA },
	{ "user", XR_USER },
	{ "command", XR_COMMAND },
	{ "context", XR_CONTEXT },
	{ NULL, XR_NONE }
};

/* Message tracking, Exchange 2013-2019 (30 fields). */
static const uint8_t ex_tracking[] = {
	XR_TIME, XR_CLIENT_IP, XR_CLIENT_HOST, XR_SERVER_IP, XR_SERVER_HOST,
	XR_NONE, XR_NONE, XR_NONE, XR_EVENT_ID, XR_NONE, XR_MESSAGE_ID,
	XR_NETWORK_ID, XR_RECIPIENTS, XR_RECIPIENT_STATUS, XR_BYTES, XR_NONE,
	XR_NONE, XR_NONE, XR_SUBJECT, XR_SENDER, XR_RETURN_PATH
};

/* POP3 and IMAP4 protocol logs (12 fields). */
static const uint8_t ex_popimap[] = {
	XR_TIME, XR_NONE, XR_NONE, XR_LOCAL_END, XR_REMOTE_END, XR_USER,
	XR_NONE, XR_NONE, XR_NONE, XR_COMMAND, XR_NONE, XR_CONTEXT
};

/* SMTP receive and send protocol logs (9 fields). */
static const uint8_t ex_smtp[] = {
	XR_TIME, XR_NONE, XR_NONE, XR_NONE, XR_LOCAL_END, XR_REMOTE_END,
	XR_EVENT, XR_DATA, XR_CONTEXT
};

struct ex_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	struct scratch		sc;
	bool			have_fields;
	uint8_t			ncols;
	uint8_t			cols[EX_MAX_COLS];	/* enum ex_role */
};

/* The role of a field name; XR_NONE if keibi does not read it. */
static enum ex_role
ex_role(struct span name)
{
	size_t	i;

	while (name.len > 0 && name.p[0] == ' ') {
		name.p++;
		name.len--;
	}
	for (i = 0; ex_names[i].name != NULL; i++)
		if (strlen(ex_names[i].name) == name.len &&
		    strncasecmp(ex_names[i].name, name.p, name.len) == 0)
			return ex_names[i].role;
	return XR_NONE;
}

/*
 * Split a CSV line into at most max values (RFC 4180: a quoted value may
 * hold commas and doubled quotes).  Quoted values with doubled quotes are
 * copied into the scratch buffer without them.  Returns the number of
 * values, -1 on an unclosed quote.
 */
static int
ex_csv(struct ex_state *st, const char *p, const char *end, struct span *v,
    int max)
{
	const char	*q;
	char		*o;
	int		 n = 0;
	bool		 doubled;

	for (;;) {
		if (p < end && *p == '"') {
			doubled = false;
			for (q = p + 1; q < end; q++) {
				if (*q != '"')
					continue;
				if (q + 1 < end && q[1] == '"') {
					doubled = true;
					q++;
					continue;
				}
				break;
			}
			if (q >= end)
				return -1;
			if (n < max) {
				v[n].p = p + 1;
				v[n].len = (size_t)(q - p - 1);
				if (doubled && (o = scratch_alloc(&st->sc,
				    v[n].len)) != NULL) {
					const char	*s = v[n].p;
					size_t		 i, k = 0;

					for (i = 0; i < v[n].len; i++) {
						o[k++] = s[i];
						if (s[i] == '"')
							i++;
					}
					v[n].p = o;
					v[n].len = k;
				}
			}
			p = q + 1;
		} else {
			for (q = p; q < end && *q != ','; q++)
				;
			if (n < max) {
				v[n].p = p;
				v[n].len = (size_t)(q - p);
			}
			p = q;
		}
		n++;
		if (p >= end || *p != ',')
			break;
		p++;
	}
	return n;
}

/* A "#..." line.  Always 0: not an event. */
static int
ex_directive(struct ex_state *st, const char *p, const char *end)
{
	const char	*q;
	struct span	 name;
	size_t		 i;

	if ((size_t)(end - p) < 8 || strncasecmp(p, "#Fields:", 8) != 0)
		return 0;
	p += 8;
	memset(st->cols, 0, sizeof st->cols);
	for (i = 0; p < end && i < EX_MAX_COLS; i++) {
		for (q = p; q < end && *q != ','; q++)
			;
		name.p = p;
		name.len = (size_t)(q - p);
		st->cols[i] = (uint8_t)ex_role(name);
		p = q < end ? q + 1 : q;
	}
	st->ncols = (uint8_t)i;
	st->have_fields = true;
	return 0;
}

/* True if a value says nothing. */
static bool
ex_blank(struct span v)
{
	return v.len == 0 || httplog_is_dash(v);
}

/* Set an address from "ip" or "ip:port" ("[v6]:port"). */
static bool
ex_addr(struct span v, bool dest, struct record *rec)
{
	return httplog_set_addr(v, dest ? RF_DESTINATION_IP : RF_SOURCE_IP,
	    dest ? RF_DESTINATION_PORT : RF_SOURCE_PORT, RF_MAX, rec);
}

/* Message tracking entry.  Returns 1. */
static int
ex_tracking_entry(struct span *v, struct record *rec)
{
	struct span	from, ev = v[XR_EVENT_ID];

	ex_addr(v[XR_CLIENT_IP], false, rec);
	if (!ex_blank(v[XR_CLIENT_HOST]))
		record_set(rec, RF_SOURCE_DOMAIN, v[XR_CLIENT_HOST].p,
		    v[XR_CLIENT_HOST].len);
	ex_addr(v[XR_SERVER_IP], true, rec);
	if (!ex_blank(v[XR_SERVER_HOST]))
		record_set(rec, RF_DESTINATION_DOMAIN, v[XR_SERVER_HOST].p,
		    v[XR_SERVER_HOST].len);
	if (!ex_blank(ev)) {
		record_set(rec, RF_EVENT_ACTION, ev.p, ev.len);
		if (span_eq(ev, "FAIL") || span_eq(ev, "DROP") ||
		    span_eq(ev, "BADMAIL") || span_eq(ev, "POISONMESSAGE") ||
		    span_eq(ev, "HAREDIRECTFAIL"))
			record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		else if (span_eq(ev, "DELIVER") || span_eq(ev, "SEND") ||
		    span_eq(ev, "SENDEXTERNAL") || span_eq(ev, "RECEIVE"))
			record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	}
	from = v[XR_SENDER];
	if (ex_blank(from) || span_eq(from, "<>"))
		from = v[XR_RETURN_PATH];
	if (!ex_blank(from) && !span_eq(from, "<>"))
		record_set(rec, RF_EMAIL_FROM_ADDRESS, from.p, from.len);
	if (!ex_blank(v[XR_RECIPIENTS]))
		record_set(rec, RF_EMAIL_TO_ADDRESS, v[XR_RECIPIENTS].p,
		    v[XR_RECIPIENTS].len);
	if (!ex_blank(v[XR_MESSAGE_ID]))
		record_set(rec, RF_EMAIL_MESSAGE_ID, v[XR_MESSAGE_ID].p,
		    v[XR_MESSAGE_ID].len);
	if (!ex_blank(v[XR_NETWORK_ID]))
		record_set(rec, RF_EMAIL_LOCAL_ID, v[XR_NETWORK_ID].p,
		    v[XR_NETWORK_ID].len);
	if (!ex_blank(v[XR_SUBJECT]))
		record_set(rec, RF_EMAIL_SUBJECT, v[XR_SUBJECT].p,
		    v[XR_SUBJECT].len);
	if (!ex_blank(v[XR_RECIPIENT_STATUS]))
		record_set(rec, RF_EVENT_REASON, v[XR_RECIPIENT_STATUS].p,
		    v[XR_RECIPIENT_STATUS].len);
	if (httplog_digits(v[XR_BYTES].p, v[XR_BYTES].len))
		record_set(rec, RF_SOURCE_BYTES, v[XR_BYTES].p,
		    v[XR_BYTES].len);
	return 1;
}

/* True if the span holds lit. */
static bool
ex_has(struct span s, const char *lit)
{
	size_t	n = strlen(lit);

	return s.len >= n && memmem(s.p, s.len, lit, n) != NULL;
}

/* Protocol log entry (SMTP, POP3, IMAP4).  Returns 1. */
static int
ex_protocol_entry(struct span *v, struct record *rec)
{
	struct span	ev = v[XR_EVENT], data = v[XR_DATA];

	ex_addr(v[XR_REMOTE_END], false, rec);
	ex_addr(v[XR_LOCAL_END], true, rec);
	if (!ex_blank(v[XR_USER]))
		record_set(rec, RF_USER_NAME, v[XR_USER].p, v[XR_USER].len);
	if ((data.len >= 3 && memcmp(data.p, "535", 3) == 0) ||
	    ex_has(v[XR_CONTEXT], "AuthFailed")) {
		record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	} else if (!ex_blank(v[XR_COMMAND]))
		record_set(rec, RF_EVENT_ACTION, v[XR_COMMAND].p,
		    v[XR_COMMAND].len);
	else if (span_eq(ev, "+"))
		record_set_lit(rec, RF_EVENT_ACTION, "connect");
	else if (span_eq(ev, "-"))
		record_set_lit(rec, RF_EVENT_ACTION, "disconnect");
	else if (span_eq(ev, "<"))
		record_set_lit(rec, RF_EVENT_ACTION, "command");
	else if (span_eq(ev, ">"))
		record_set_lit(rec, RF_EVENT_ACTION, "reply");
	if (!ex_blank(data))
		record_set(rec, RF_EVENT_REASON, data.p, data.len);
	else if (!ex_blank(v[XR_CONTEXT]))
		record_set(rec, RF_EVENT_REASON, v[XR_CONTEXT].p,
		    v[XR_CONTEXT].len);
	return 1;
}

/* True if v looks like a tracking event id ("RECEIVE", "HAREDIRECT"). */
static bool
ex_event_id(struct span v)
{
	size_t	i;

	if (v.len == 0 || v.len > 24)
		return false;
	for (i = 0; i < v.len; i++)
		if (v.p[i] < 'A' || v.p[i] > 'Z')
			return false;
	return true;
}

/* One entry.  Returns 1 or -1. */
static int
ex_entry(struct ex_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct span	 vals[EX_MAX_COLS], v[XR_MAX];
	const uint8_t	*cols = st->cols;
	size_t		 ncols = st->ncols, i;
	uint8_t		 digits;
	int		 n;

	if ((n = ex_csv(st, p, end, vals, EX_MAX_COLS)) < 0)
		return -1;
	if (!st->have_fields) {
		if (n >= 25) {
			cols = ex_tracking;
			ncols = sizeof ex_tracking;
		} else if (n == 12 || n == 13) {
			cols = ex_popimap;
			ncols = sizeof ex_popimap;
		} else if (n == 9) {
			cols = ex_smtp;
			ncols = sizeof ex_smtp;
		} else
			return -1;
	}
	memset(v, 0, sizeof v);
	for (i = 0; i < ncols && i < (size_t)n && i < EX_MAX_COLS; i++)
		if (cols[i] != XR_NONE)
			v[cols[i]] = vals[i];
	if (v[XR_TIME].len == 0 || iso8601_parse(v[XR_TIME].p, v[XR_TIME].len,
	    st->sctx.tz, &rec->ts_us, &rec->tz_off, &digits) != v[XR_TIME].len)
		return -1;
	rec->ts_digits = digits;
	rec->has_ts = true;
	/* Without a header, an event id is a word in capitals. */
	if (!st->have_fields && cols == ex_tracking && !ex_event_id(
	    v[XR_EVENT_ID]))
		return -1;
	if (v[XR_EVENT_ID].len > 0 || v[XR_CLIENT_IP].len > 0 ||
	    v[XR_RECIPIENTS].len > 0 || v[XR_SENDER].len > 0)
		return ex_tracking_entry(v, rec);
	return ex_protocol_entry(v, rec);
}

/* Build the state; NULL on allocation failure. */
static void *
ex_state_new(const struct parser_opts *opts)
{
	struct ex_state	*st;

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
ex_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an entry, 0 a header or blank line, -1 a
 * line that is not an entry.
 */
static int
ex_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct ex_state	*st = state;
	const char	*p = line, *end = line + len;
	int		 r;

	scratch_reset(&st->sc);
	/* A UTF-8 byte order mark starts each file. */
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (p == end)
		r = 0;
	else if (*p == '#')
		r = ex_directive(st, p, end);
	else
		r = ex_entry(st, p, end, rec);
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
ex_stats(void *state)
{
	struct ex_state	*st = state;

	return &st->stats;
}

const struct parser parser_exchange = {
	.name = "exchange",
	.dataset = "mail.exchange",
	.description = "Microsoft Exchange message tracking and SMTP, POP3, "
	    "IMAP4 protocol logs (CSV with #Fields header)",
	.state_new = ex_state_new,
	.state_free = ex_state_free,
	.parse = ex_parse,
	.stats = ex_stats,
};
