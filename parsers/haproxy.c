/*
 * haproxy.c: HAProxy logs in its standard formats, plain or behind a
 * syslog header ("haproxy[760]: ...").  The HTTP format of "option
 * httplog" (and "httpslog", whose extra fields follow the request):
 *
 *   10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1
 *   10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {host} {} "GET / HTTP/1.1"
 *
 * the TCP format of "option tcplog" (timers Tw/Tc/Tt, bytes, termination
 * state, counters), and the connection errors HAProxy logs in the same
 * shape ("ip:port [date] frontend/bind: SSL handshake failure").  The
 * client is source.*, bytes sent to it destination.bytes, the last timer
 * (total time, ms) event.duration, and a termination state other than
 * "----" event.reason.  The accept date carries no zone: it is local time
 * in the configured zone.
 *
 * Parsing is a byte scan of spans into the line (and the duration into
 * the state's scratch buffer); it allocates nothing, never reads past len
 * and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "parser.h"
#include "scratch.h"
#include "sysloghdr.h"

struct haproxy_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	struct scratch		sc;
};

/*
 * Split "ip:port" at its last colon (IPv6 clients are written without
 * brackets: "2001:db8::1:58430").  False if there is no numeric port.
 */
static bool
haproxy_client(struct span s, struct span *ip, struct span *port)
{
	const char	*c;

	for (c = s.p + s.len; c > s.p && c[-1] != ':'; c--)
		;
	if (c == s.p || c - 1 == s.p)
		return false;
	ip->p = s.p;
	ip->len = (size_t)(c - 1 - s.p);
	port->p = c;
	port->len = (size_t)(s.p + s.len - c);
	if (ip->len > 2 && ip->p[0] == '[' && ip->p[ip->len - 1] == ']') {
		ip->p++;
		ip->len -= 2;
	}
	return port->len > 0 && port->len <= 5 &&
	    httplog_digits(port->p, port->len);
}

/* True if the text starts like "ip:port [dd/". */
static bool
haproxy_looks(const char *p, const char *end)
{
	const char	*sp;
	size_t		 n = (size_t)(end - p);

	if (n > 64)
		n = 64;
	if (n == 0 || !((*p >= '0' && *p <= '9') || *p == ':' ||
	    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f') || *p == '['))
		return false;
	if ((sp = memchr(p, ' ', n)) == NULL)
		return false;
	return end - sp >= 5 && sp[1] == '[' && sp[2] >= '0' &&
	    sp[2] <= '9' && memchr(p, ':', (size_t)(sp - p)) != NULL;
}

/* Set event.duration from the last of "a/b/c/d/e" (ms; "-1": none). */
static void
haproxy_timers(struct haproxy_state *st, struct span t, struct record *rec)
{
	struct span	 last, ns;
	const char	*c;

	for (c = t.p + t.len; c > t.p && c[-1] != '/'; c--)
		;
	if (c == t.p)
		return;
	last.p = c;
	last.len = (size_t)(t.p + t.len - c);
	/* "+1234": logged with "option logasap", still a total so far. */
	if (last.len > 0 && last.p[0] == '+') {
		last.p++;
		last.len--;
	}
	if (last.len > 0 && last.len <= 12 &&
	    httplog_digits(last.p, last.len) &&
	    scratch_scaled(&st->sc, last, 6, &ns))
		record_set(rec, RF_EVENT_DURATION, ns.p, ns.len);
}

/* Set event.reason from a termination state that is not "----". */
static void
haproxy_termination(struct span ts, struct record *rec)
{
	size_t	i;

	if (ts.len < 2 || ts.len > 4)
		return;
	for (i = 0; i < ts.len; i++)
		if (ts.p[i] != '-')
			break;
	if (i < ts.len)
		record_set(rec, RF_EVENT_REASON, ts.p, ts.len);
	/* Denied by the proxy (an ACL or a "deny" rule). */
	if (ts.p[0] == 'P' && ts.len >= 2 && ts.p[1] == 'R') {
		record_set_lit(rec, RF_EVENT_ACTION, "denied");
		record_set_lit(rec, RF_EVENT_TYPE, "denied");
	}
}

/*
 * After the date: "frontend backend/server timers ...".  Returns 1, or -1
 * when the fields are not HAProxy's.
 */
static int
haproxy_fields(struct haproxy_state *st, struct hl_cur *c,
    struct record *rec)
{
	struct span	fe, be, timers, status, bytes, tok, req;
	struct span	method, target, version, host;
	bool		http;

	if (!httplog_token(c, &fe))
		return -1;
	/* "frontend/bind: message": an error on a connection. */
	if (fe.len > 1 && fe.p[fe.len - 1] == ':') {
		httplog_skip(c);
		record_set_lit(rec, RF_EVENT_ACTION, "connection-error");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		record_set(rec, RF_EVENT_REASON, c->p, (size_t)(c->end - c->p));
		return 1;
	}
	if (!httplog_token(c, &be) || memchr(be.p, '/', be.len) == NULL ||
	    !httplog_token(c, &timers) || !httplog_token(c, &status))
		return -1;
	/* httplog has a status before the bytes; tcplog has bytes only. */
	http = status.len == 3 || (status.len == 2 && status.p[0] == '-');
	if (http) {
		if (!httplog_token(c, &bytes))
			return -1;
	} else {
		bytes = status;
		status = SPAN_NULL;
	}
	if (!httplog_digits(bytes.p, bytes.len) &&
	    !(bytes.len > 1 && bytes.p[0] == '+' &&
	    httplog_digits(bytes.p + 1, bytes.len - 1)))
		return -1;
	if (bytes.p[0] == '+') {
		bytes.p++;
		bytes.len--;
	}
	haproxy_timers(st, timers, rec);
	record_set(rec, RF_DESTINATION_BYTES, bytes.p, bytes.len);
	httplog_set_status(status, rec);
	if (!http) {
		if (httplog_token(c, &tok))
			haproxy_termination(tok, rec);
		record_set_lit(rec, RF_NETWORK_TRANSPORT, "tcp");
		return 1;
	}
	/* cookies, termination state, counters, queues, {headers} */
	if (!httplog_token(c, &tok) || !httplog_token(c, &tok) ||
	    !httplog_token(c, &tok))
		return 1;
	haproxy_termination(tok, rec);
	while (httplog_skip(c), c->p < c->end && *c->p != '"') {
		if (*c->p == '{') {
			const char	*close;

			close = memchr(c->p, '}', (size_t)(c->end - c->p));
			if (close == NULL)
				return 1;
			c->p = close + 1;
		} else if (!httplog_token(c, &tok))
			return 1;
	}
	if (!httplog_quoted(c, &req)) {
		/* A request cut at the line limit: take what is there. */
		if (c->p >= c->end)
			return 1;
		req.p = c->p + 1;
		req.len = (size_t)(c->end - req.p);
	}
	httplog_request(req, &method, &target, &version);
	if (method.len > 0 && !span_eq(method, "<BADREQ>"))
		record_set(rec, RF_HTTP_REQUEST_METHOD, method.p, method.len);
	httplog_set_url(target, method, rec, &host);
	return 1;
}

/* The text of one HAProxy entry.  Returns 1, 0 or -1. */
static int
haproxy_body(struct haproxy_state *st, const char *p, const char *end,
    struct record *rec, bool behind_syslog)
{
	struct hl_cur	c = { p, end };
	struct span	client, ip, port, date;

	httplog_skip(&c);
	if (!haproxy_looks(c.p, c.end))
		return behind_syslog ? 0 : -1;
	if (!httplog_token(&c, &client) || !haproxy_client(client, &ip, &port))
		return -1;
	if (!httplog_bracketed(&c, &date) ||
	    !httplog_clf_time(date, st->sctx.tz, rec))
		return -1;
	ip = httplog_unmap(ip);
	if (netaddr_parse(&rec->src, ip.p, ip.len) == 0)
		record_set(rec, RF_SOURCE_IP, ip.p, ip.len);
	else
		record_set(rec, RF_SOURCE_DOMAIN, ip.p, ip.len);
	record_set(rec, RF_SOURCE_PORT, port.p, port.len);
	return haproxy_fields(st, &c, rec);
}

/* Build the state; NULL on allocation failure. */
static void *
haproxy_state_new(const struct parser_opts *opts)
{
	struct haproxy_state	*st;

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
haproxy_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an event, 0 a blank line or another
 * program's syslog line, -1 malformed.
 */
static int
haproxy_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct haproxy_state	*st = state;
	struct syslog_hdr	 hdr;
	const char		*end = line + len, *p = line;
	int			 r;

	scratch_reset(&st->sc);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		r = 0;
	else if (haproxy_looks(p, end))
		r = haproxy_body(st, p, end, rec, false);
	else if (syslog_parse(&st->sctx, line, len, &hdr) == 0) {
		syslog_to_record(&hdr, rec);
		r = haproxy_body(st, hdr.msg.p, hdr.msg.p + hdr.msg.len, rec,
		    true);
	} else
		r = -1;
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
haproxy_stats(void *state)
{
	struct haproxy_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
haproxy_set_ref(void *state, int64_t ref_us)
{
	struct haproxy_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_haproxy = {
	.name = "haproxy",
	.dataset = "proxy.haproxy",
	.description = "HAProxy HTTP and TCP logs (plain or behind syslog)",
	.state_new = haproxy_state_new,
	.state_free = haproxy_state_free,
	.parse = haproxy_parse,
	.stats = haproxy_stats,
	.set_ref = haproxy_set_ref,
};
