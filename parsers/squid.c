/*
 * squid.c: Squid access.log lines.  Three shapes are read: the native
 * format ("1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT
 * login.yahoo.com:443 badeyek DIRECT/175.16.199.115 -"), the common and
 * combined formats Squid writes with "logformat common/combined" (client,
 * ident, user, [time], "request", status, bytes, and for combined the
 * referrer and user agent, then "TCP_MISS:HIER_DIRECT"), and either of them
 * behind a syslog header (pfSense, rsyslog forwarding).  Fields follow
 * Elastic's Squid integration: the bytes Squid sent to the client are
 * destination.bytes, a status of 400 or more is a failure.
 *
 * The line is split with plain byte scans, never a regex, and every field is a
 * span into the line or into the per-state duration buffer, so parsing
 * allocates nothing.  It must never read past len and never keep a pointer
 * into the line after it returns.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "parser.h"
#include "spaces.h"
#include "sysloghdr.h"
#include "tz.h"

/* Longest elapsed time (ms digits) rendered as event.duration. */
#define SQUID_ELAPSED_DIGITS	12

struct squid_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	char			dur[SQUID_ELAPSED_DIGITS + 8];
};

/* The fields of a native line after its time and elapsed fields. */
enum {
	SN_CLIENT,
	SN_RS,			/* result/status: "TCP_MISS/200" */
	SN_BYTES,
	SN_METHOD,
	SN_URL,
	SN_USER,
	SN_HIER,		/* hierarchy/peer: "HIER_DIRECT/192.0.2.1" */
	SN_TYPE,		/* may be missing */
	SN_N
};

/* A cursor over the unread part of a line. */
struct squid_cur {
	const char	*p;
	const char	*end;
};

static const char squid_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* True if s is len decimal digits (len > 0). */
static bool
squid_is_digits(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Value of at most 18 digits; the caller checked they are digits. */
static uint64_t
squid_digits_value(const char *s, size_t len)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < len && i < 18; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

/*
 * True if the span holds the string lit.  The spans are short codes
 * ("TCP_DENIED", "FIRSTUP_PARENT"), where a plain loop beats memmem().
 */
static bool
squid_contains(struct span s, const char *lit, size_t litlen)
{
	size_t	i;

	for (i = 0; i + litlen <= s.len; i++)
		if (s.p[i] == lit[0] && memcmp(s.p + i, lit, litlen) == 0)
			return true;
	return false;
}

/* Next space-separated token; false at the end of the line. */
static bool
squid_token(struct squid_cur *c, struct span *tok)
{
	const char	*sp;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p >= c->end)
		return false;
	/* Tokens are short: a loop is cheaper than a memchr() call. */
	for (sp = c->p; sp < c->end && *sp != ' '; sp++)
		;
	tok->p = c->p;
	tok->len = (size_t)(sp - c->p);
	c->p = sp;
	return true;
}

/* Up to max tokens at the cursor into tok (squid_token); how many. */
static size_t
squid_tokens(struct squid_cur *c, struct span *tok, size_t max)
{
	size_t	n = 0;

	while (n < max && squid_token(c, &tok[n]))
		n++;
	return n;
}

/*
 * The first max tokens of p..end into tok, as squid_tokens() reads them
 * (the bytes from lo, at or before p, may be read); how many there are.
 * A native line is ten fields of which the URL alone may be long: a mask
 * of the spaces in 64 bytes gives the start and end of every field in
 * them at once, where reading field by field pays a mispredicted loop
 * exit for each.
 */
static size_t
squid_split(const char *p, const char *end, const char *lo, struct span *tok,
    size_t max)
{
#if SPACES_SWAR
	const char	*base;
	uint64_t	 s, starts, carry = 1;
	size_t		 n = 0, i;
	bool		 open = false;

	if (max == 0)
		return 0;
	for (base = p; base < end; base += 64) {
		s = spaces_mask(base, (size_t)(end - base) < 64 ?
		    (size_t)(end - base) : 64, lo);
		if (open && s != 0) {
			/* The token the last block began ends here. */
			tok[n - 1].len = (size_t)(base +
			    __builtin_ctzll(s) - tok[n - 1].p);
			open = false;
			if (n == max)
				return n;
		}
		starts = ~s & (s << 1 | carry);
		carry = s >> 63;
		for (; starts != 0; starts &= starts - 1) {
			i = (size_t)__builtin_ctzll(starts);
			tok[n].p = base + i;
			if ((s >> i) == 0) {
				/* It ends in a later block. */
				open = true;
				n++;
				break;
			}
			tok[n].len = (size_t)__builtin_ctzll(s >> i);
			if (++n == max)
				return n;
		}
	}
	/* A token still open when the text ends on a block boundary. */
	if (open)
		tok[n - 1].len = (size_t)(end - tok[n - 1].p);
	return n;
#else
	struct squid_cur	c = { p, end };

	return squid_tokens(&c, tok, max);
#endif
}

/* True if the token is Squid's empty value "-". */
static bool
squid_is_dash(struct span s)
{
	return s.len == 1 && s.p[0] == '-';
}

/*
 * Parse an epoch time "1157689312.049" (seconds, optional fraction) into
 * microseconds.  Returns false if it is not one: one to twelve digits,
 * then nothing or a dot and at least one digit.  One pass, whose first
 * loop stops at the dot.
 */
static bool
squid_epoch(struct span s, int64_t *ts_us)
{
	uint64_t	sec = 0;
	int64_t		frac = 0;
	size_t		i = 0, j;

	while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9')
		sec = sec * 10 + (uint64_t)(s.p[i++] - '0');
	if (i == 0 || i > 12)
		return false;
	if (i < s.len) {
		if (s.p[i] != '.' || i + 1 == s.len)
			return false;
		for (j = i + 1; j < s.len; j++) {
			if (s.p[j] < '0' || s.p[j] > '9')
				return false;
			if (j - i <= 6)
				frac = frac * 10 + (s.p[j] - '0');
		}
		for (j = s.len - i - 1; j < 6; j++)
			frac *= 10;
	}
	*ts_us = (int64_t)sec * 1000000 + frac;
	return true;
}

/* Set event.duration (ns) from elapsed milliseconds, through st->dur. */
static void
squid_set_duration(struct squid_state *st, struct span ms, struct record *rec)
{
	size_t	i = 0;

	while (i + 1 < ms.len && ms.p[i] == '0')
		i++;
	ms.p += i;
	ms.len -= i;
	if (ms.len > SQUID_ELAPSED_DIGITS)
		return;
	memcpy(st->dur, ms.p, ms.len);
	if (ms.len == 1 && ms.p[0] == '0') {
		record_set(rec, RF_EVENT_DURATION, st->dur, 1);
		return;
	}
	memcpy(st->dur + ms.len, "000000", 6);
	record_set(rec, RF_EVENT_DURATION, st->dur, ms.len + 6);
}

/* Set source.ip (or source.domain when Squid logged a name). */
static void
squid_set_client(struct span s, struct record *rec)
{
	if (s.len == 0 || squid_is_dash(s))
		return;
	if (netaddr_parse(&rec->src, s.p, s.len) == 0)
		record_set(rec, RF_SOURCE_IP, s.p, s.len);
	else
		record_set(rec, RF_SOURCE_DOMAIN, s.p, s.len);
}

/* True if the host span could be an IP literal (cheap pre-check). */
static bool
squid_maybe_ip(struct span h)
{
	return h.len > 0 && (h.p[0] == ':' || (h.p[0] >= '0' &&
	    h.p[0] <= '9') || memchr(h.p, ':', h.len) != NULL);
}

/*
 * Fill url.* (and destination.port) from the request URL; *host receives
 * the host, empty when the URL has none.  Squid logs a CONNECT target as
 * host:port and always with the port, so a CONNECT target without one is
 * not taken for a host; everything else is the shared request-target
 * reading of httplog.c.
 */
static void
squid_set_url(struct span url, struct span method, struct record *rec,
    struct span *host)
{
	struct span	 hp, port;

	if (!(method.len == 7 && memcmp(method.p, "CONNECT", 7) == 0) ||
	    url.len == 0 || url.p[0] == '/' || squid_is_dash(url)) {
		httplog_set_url(url, method, rec, host);
		return;
	}
	*host = SPAN_NULL;
	record_set(rec, RF_URL_ORIGINAL, url.p, url.len);
	if (httplog_hostport(url, &hp, &port) && port.len > 0 && hp.len > 0) {
		*host = hp;
		record_set(rec, RF_URL_DOMAIN, hp.p, hp.len);
		record_set(rec, RF_DESTINATION_PORT, port.p, port.len);
	}
}

/*
 * Set destination.ip/domain from the hierarchy peer and the URL host.  A
 * parent or sibling cache is not the destination, so its address is not
 * used; the origin server named in the URL is.
 */
static void
squid_set_destination(struct span hier, struct span peer, struct span host,
    struct record *rec)
{
	bool	via_cache;

	via_cache = squid_contains(hier, "PARENT", 6) ||
	    squid_contains(hier, "SIBLING", 7);
	if (!via_cache && peer.len > 0 && !squid_is_dash(peer)) {
		if (squid_maybe_ip(peer) &&
		    netaddr_parse(&rec->dst, peer.p, peer.len) == 0)
			record_set(rec, RF_DESTINATION_IP, peer.p, peer.len);
		else
			record_set(rec, RF_DESTINATION_DOMAIN, peer.p,
			    peer.len);
	}
	if (host.len == 0)
		return;
	if (squid_maybe_ip(host)) {
		struct netaddr	na;

		if (netaddr_parse(&na, host.p, host.len) == 0) {
			if (!record_has(rec, RF_DESTINATION_IP)) {
				rec->dst = na;
				record_set(rec, RF_DESTINATION_IP, host.p,
				    host.len);
			}
			return;
		}
	}
	if (!record_has(rec, RF_DESTINATION_DOMAIN))
		record_set(rec, RF_DESTINATION_DOMAIN, host.p, host.len);
}

/*
 * Set http.response.status_code, event.action (denied, error, allowed)
 * and event.outcome (failure from 400 on, as Elastic's pipeline does).
 */
static void
squid_set_outcome(struct span result, struct span status, struct record *rec)
{
	uint64_t	code = squid_digits_value(status.p, status.len);
	bool		denied;

	denied = squid_contains(result, "DENIED", 6);
	if (code != 0)
		record_set(rec, RF_HTTP_RESPONSE_STATUS_CODE, status.p,
		    status.len);
	/* NONE, NONE_NONE, TAG_NONE: Squid answered with an error itself. */
	if (denied)
		record_set_lit(rec, RF_EVENT_ACTION, "denied");
	else if (result.len >= 4 && (memcmp(result.p, "NONE", 4) == 0 ||
	    squid_contains(result, "TAG_NONE", 8)))
		record_set_lit(rec, RF_EVENT_ACTION, "error");
	else if (result.len > 0)
		record_set_lit(rec, RF_EVENT_ACTION, "allowed");
	if (denied || code >= 400)
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else if (code >= 100)
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	else
		record_set_lit(rec, RF_EVENT_OUTCOME, "unknown");
}

/*
 * Native format after the time and elapsed fields: client, result/status,
 * bytes, method, URL, user, hierarchy/peer, type.  Fields a custom
 * logformat appends after these are ignored.  f holds the n <= SN_N
 * tokens there are of these.  Returns 1 or -1.
 */
static int
squid_native_tail(const struct span *f, size_t n, struct record *rec)
{
	struct span	 client, rs, bytes, method, url, user, hier, type;
	struct span	 result, status, peer, host;
	const char	*slash;

	if (n < SN_TYPE)
		return -1;
	client = f[SN_CLIENT];
	rs = f[SN_RS];
	bytes = f[SN_BYTES];
	method = f[SN_METHOD];
	url = f[SN_URL];
	user = f[SN_USER];
	hier = f[SN_HIER];
	type = n > SN_TYPE ? f[SN_TYPE] : SPAN_NULL;

	/* "TCP_MISS/200": the status is after the last slash. */
	for (slash = rs.p + rs.len; slash > rs.p && slash[-1] != '/'; slash--)
		;
	if (slash == rs.p)
		return -1;
	result.p = rs.p;
	result.len = (size_t)(slash - 1 - rs.p);
	status.p = slash;
	status.len = (size_t)(rs.p + rs.len - slash);
	if (result.len == 0 || !squid_is_digits(status.p, status.len) ||
	    status.len > 3)
		return -1;
	if (!squid_is_digits(bytes.p, bytes.len) && !squid_is_dash(bytes))
		return -1;

	squid_set_client(client, rec);
	record_set(rec, RF_SQUID_RESULT_CODE, result.p, result.len);
	squid_set_outcome(result, status, rec);
	if (!squid_is_dash(bytes))
		record_set(rec, RF_DESTINATION_BYTES, bytes.p, bytes.len);
	if (!squid_is_dash(method))
		record_set(rec, RF_HTTP_REQUEST_METHOD, method.p, method.len);
	squid_set_url(url, method, rec, &host);
	if (!squid_is_dash(user))
		record_set(rec, RF_USER_NAME, user.p, user.len);

	slash = memchr(hier.p, '/', hier.len);
	if (slash != NULL) {
		peer.p = slash + 1;
		peer.len = (size_t)(hier.p + hier.len - peer.p);
		hier.len = (size_t)(slash - hier.p);
	} else
		peer = SPAN_NULL;
	record_set(rec, RF_SQUID_HIERARCHY, hier.p, hier.len);
	squid_set_destination(hier, peer, host, rec);
	if (type.len > 0 && !squid_is_dash(type))
		record_set(rec, RF_HTTP_RESPONSE_MIME_TYPE, type.p, type.len);
	return 1;
}

/* Read the time and elapsed fields into rec.  False if they are not. */
static bool
squid_native_head(struct squid_state *st, struct span time,
    struct span elapsed, struct record *rec)
{
	if (!squid_epoch(time, &rec->ts_us) ||
	    !squid_is_digits(elapsed.p, elapsed.len))
		return false;
	rec->has_ts = true;
	rec->ts_digits = 3;
	rec->tz_off = 0;
	squid_set_duration(st, elapsed, rec);
	return true;
}

/*
 * Native format from its time field at p on (the bytes from lo, at or
 * before p, may be read).  Returns 1 or -1.
 */
static int
squid_native(struct squid_state *st, const char *p, const char *end,
    const char *lo, struct record *rec)
{
	struct span	f[2 + SN_N];
	size_t		n;

	n = squid_split(p, end, lo, f, 2 + SN_N);
	if (n < 2 || !squid_native_head(st, f[0], f[1], rec))
		return -1;
	return squid_native_tail(f + 2, n - 2, rec);
}

/*
 * pfSense, as stored in Elastic's test data, wraps the time and elapsed
 * fields as "[1598040493.253 325](tel:1598040493.253 325)".  Read the
 * bracketed pair and go on after the parenthesis.  Returns 1 or -1.
 */
static int
squid_native_bracketed(struct squid_state *st, struct squid_cur *c,
    struct record *rec)
{
	struct squid_cur	 head;
	struct span		 f[SN_N];
	const char		*close, *paren;

	close = memchr(c->p, ']', (size_t)(c->end - c->p));
	if (close == NULL)
		return -1;
	head.p = c->p + 1;
	head.end = close;
	c->p = close + 1;
	if (c->p < c->end && *c->p == '(') {
		paren = memchr(c->p, ')', (size_t)(c->end - c->p));
		if (paren == NULL)
			return -1;
		c->p = paren + 1;
	}
	if (squid_tokens(&head, f, 2) < 2 ||
	    !squid_native_head(st, f[0], f[1], rec))
		return -1;
	return squid_native_tail(f, squid_tokens(c, f, SN_N), rec);
}

/* True if the text starts like a native line: digits, a dot or a space. */
static bool
squid_looks_native(const char *p, const char *end)
{
	const char	*q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return q > p && q < end && (*q == '.' || *q == ' ') && q - p >= 9;
}

/* Parse "21/Nov/2026:10:00:00 +0900" into rec's time.  False if not one. */
static bool
squid_clf_time(struct span s, struct record *rec)
{
	const char	*p = s.p;
	const char	*m;
	int		 day, mon, year, hh, mm, ss, off;
	int64_t		 days;

	if (s.len != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' ||
	    p[14] != ':' || p[17] != ':' || p[20] != ' ' ||
	    (p[21] != '+' && p[21] != '-'))
		return false;
	if (!squid_is_digits(p, 2) || !squid_is_digits(p + 7, 4) ||
	    !squid_is_digits(p + 12, 2) || !squid_is_digits(p + 15, 2) ||
	    !squid_is_digits(p + 18, 2) || !squid_is_digits(p + 22, 4))
		return false;
	for (m = squid_months; *m != '\0'; m += 3)
		if (memcmp(m, p + 3, 3) == 0)
			break;
	if (*m == '\0')
		return false;
	mon = (int)((m - squid_months) / 3) + 1;
	day = (int)squid_digits_value(p, 2);
	year = (int)squid_digits_value(p + 7, 4);
	hh = (int)squid_digits_value(p + 12, 2);
	mm = (int)squid_digits_value(p + 15, 2);
	ss = (int)squid_digits_value(p + 18, 2);
	off = (int)squid_digits_value(p + 22, 2) * 3600 +
	    (int)squid_digits_value(p + 24, 2) * 60;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 ||
	    off > 18 * 3600)
		return false;
	if (p[21] == '-')
		off = -off;
	days = tz_days_from_civil(year, mon, day);
	rec->ts_us = ((days * 86400 + hh * 3600 + mm * 60 + ss) - off) *
	    (int64_t)1000000;
	rec->tz_off = off;
	rec->ts_digits = 0;
	rec->has_ts = true;
	return true;
}

/*
 * A double-quoted field at the cursor (after spaces); a backslash escapes
 * the next byte.  False if there is none or it is not closed.
 */
static bool
squid_quoted(struct squid_cur *c, struct span *out)
{
	const char	*q;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p >= c->end || *c->p != '"')
		return false;
	for (q = c->p + 1; q < c->end; q++) {
		if (*q == '\\') {
			q++;
			continue;
		}
		if (*q == '"')
			break;
	}
	if (q >= c->end)
		return false;
	out->p = c->p + 1;
	out->len = (size_t)(q - c->p - 1);
	c->p = q + 1;
	return true;
}

/*
 * Common or combined format: client ident user [time] "request" status
 * bytes ["referrer" "agent"] [result:hierarchy].  Returns 1 or -1.
 */
static int
squid_clf(struct squid_cur *c, struct record *rec)
{
	struct span	 client, ident, user, tm, req, status, bytes, ref, ua;
	struct span	 method, url, tail, host, result;
	struct squid_cur rc;
	const char	*close, *colon, *sp;

	if (!squid_token(c, &client) || !squid_token(c, &ident) ||
	    !squid_token(c, &user))
		return -1;
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p >= c->end || *c->p != '[')
		return -1;
	if ((close = memchr(c->p, ']', (size_t)(c->end - c->p))) == NULL)
		return -1;
	tm.p = c->p + 1;
	tm.len = (size_t)(close - tm.p);
	c->p = close + 1;
	if (!squid_clf_time(tm, rec) || !squid_quoted(c, &req) ||
	    !squid_token(c, &status) || !squid_token(c, &bytes))
		return -1;
	if (!squid_is_digits(status.p, status.len) || status.len > 3)
		return -1;
	if (!squid_is_digits(bytes.p, bytes.len) && !squid_is_dash(bytes))
		return -1;

	/* "METHOD URL HTTP/1.1": the URL is what lies between. */
	rc.p = req.p;
	rc.end = req.p + req.len;
	method = url = SPAN_NULL;
	if (squid_token(&rc, &method)) {
		while (rc.p < rc.end && *rc.p == ' ')
			rc.p++;
		url.p = rc.p;
		url.len = (size_t)(rc.end - rc.p);
		for (sp = rc.end; sp > rc.p && sp[-1] != ' '; sp--)
			;
		if (sp > rc.p && (size_t)(rc.end - sp) >= 5 &&
		    memcmp(sp, "HTTP/", 5) == 0)
			url.len = (size_t)(sp - 1 - rc.p);
		while (url.len > 0 && url.p[url.len - 1] == ' ')
			url.len--;
	}

	squid_set_client(client, rec);
	if (!squid_is_dash(user))
		record_set(rec, RF_USER_NAME, user.p, user.len);
	if (method.len > 0 && !squid_is_dash(method))
		record_set(rec, RF_HTTP_REQUEST_METHOD, method.p, method.len);
	squid_set_url(url, method, rec, &host);
	if (!squid_is_dash(bytes))
		record_set(rec, RF_DESTINATION_BYTES, bytes.p, bytes.len);

	if (squid_quoted(c, &ref)) {
		if (ref.len > 0 && !squid_is_dash(ref))
			record_set(rec, RF_HTTP_REQUEST_REFERRER, ref.p,
			    ref.len);
		if (squid_quoted(c, &ua) && ua.len > 0 && !squid_is_dash(ua))
			record_set(rec, RF_USER_AGENT_ORIGINAL, ua.p, ua.len);
	}

	/* "TCP_MISS:HIER_DIRECT" */
	result = SPAN_NULL;
	if (squid_token(c, &tail) &&
	    (colon = memchr(tail.p, ':', tail.len)) != NULL) {
		result.p = tail.p;
		result.len = (size_t)(colon - tail.p);
		record_set(rec, RF_SQUID_RESULT_CODE, result.p, result.len);
		record_set(rec, RF_SQUID_HIERARCHY, colon + 1,
		    (size_t)(tail.p + tail.len - colon - 1));
	}
	squid_set_outcome(result, status, rec);
	squid_set_destination(SPAN_NULL, SPAN_NULL, host, rec);
	return 1;
}

/* True if the text starts like "host ident user [". */
static bool
squid_looks_clf(const char *p, const char *end)
{
	struct squid_cur	c = { p, end };
	struct span		tok;
	int			i;

	for (i = 0; i < 3; i++)
		if (!squid_token(&c, &tok))
			return false;
	return c.end - c.p >= 2 && c.p[0] == ' ' && c.p[1] == '[';
}

/* Parse the text of one access-log entry.  Returns 1, 0 or -1. */
static int
squid_body(struct squid_state *st, const char *p, const char *end,
    const char *lo, struct record *rec, bool behind_syslog)
{
	struct squid_cur	c = { p, end };

	while (c.p < c.end && *c.p == ' ')
		c.p++;
	if (squid_looks_native(c.p, c.end))
		return squid_native(st, c.p, c.end, lo, rec);
	if (behind_syslog && c.p < c.end && *c.p == '[' &&
	    squid_looks_native(c.p + 1, c.end))
		return squid_native_bracketed(st, &c, rec);
	if (squid_looks_clf(c.p, c.end))
		return squid_clf(&c, rec);
	return behind_syslog ? 0 : -1;
}

/* Build the state; NULL on allocation failure. */
static void *
squid_state_new(const struct parser_opts *opts)
{
	struct squid_state	*st;

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
squid_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an event, 0 a blank line or a syslog message
 * that is not an access entry, -1 malformed.
 */
static int
squid_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct squid_state	*st = state;
	struct syslog_hdr	 hdr;
	const char		*end = line + len, *p = line;
	int			 r;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		r = 0;		/* a blank line */
	else if (squid_looks_native(line, end)) {
		/* What squid_body() would find again: a native line. */
		r = squid_native(st, line, end, line, rec);
	} else if (squid_looks_clf(line, end))
		r = squid_body(st, line, end, line, rec, false);
	else if (syslog_parse(&st->sctx, line, len, &hdr) == 0) {
		syslog_to_record(&hdr, rec);
		if (hdr.msg.p == NULL || hdr.msg.len == 0)
			r = 0;
		else
			r = squid_body(st, hdr.msg.p, hdr.msg.p + hdr.msg.len,
			    hdr.msg.p, rec, true);
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
squid_stats(void *state)
{
	struct squid_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
squid_set_ref(void *state, int64_t ref_us)
{
	struct squid_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_squid = {
	.name = "squid",
	.dataset = "proxy.squid",
	.description = "Squid access.log (native, common, combined; "
	    "plain or behind syslog)",
	.state_new = squid_state_new,
	.state_free = squid_state_free,
	.parse = squid_parse,
	.stats = squid_stats,
	.set_ref = squid_set_ref,
};
