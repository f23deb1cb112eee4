/*
 * httplog.c: field helpers of the HTTP access-log parsers (see httplog.h).
 * The functions scan bytes of a span, never a regex, and set record fields
 * to spans of the same line.  They must never allocate, never read outside
 * the span they were given and never keep a pointer after they return.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "httplog.h"
#include "netaddr.h"
#include "tz.h"

static const char httplog_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* True if s is len decimal digits (len > 0). */
bool
httplog_digits(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* True if the span is "-". */
bool
httplog_is_dash(struct span s)
{
	return s.len == 1 && s.p[0] == '-';
}

/* Value of the n <= 9 digits at p; the caller checked they are digits. */
static int
httplog_num(const char *p, size_t n)
{
	int	v = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* Skip spaces at the cursor. */
void
httplog_skip(struct hl_cur *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/* Next space-separated token; false at the end of the line. */
bool
httplog_token(struct hl_cur *c, struct span *tok)
{
	const char	*sp;

	httplog_skip(c);
	if (c->p >= c->end)
		return false;
	for (sp = c->p; sp < c->end && *sp != ' '; sp++)
		;
	tok->p = c->p;
	tok->len = (size_t)(sp - c->p);
	c->p = sp;
	return true;
}

/* A double-quoted field at the cursor; false if none or unclosed. */
bool
httplog_quoted(struct hl_cur *c, struct span *out)
{
	const char	*q, *start;

	httplog_skip(c);
	if (c->p >= c->end || *c->p != '"')
		return false;
	start = c->p + 1;
	for (q = start; q < c->end; q++) {
		if (*q == '\\') {
			q++;
			continue;
		}
		if (*q == '"')
			break;
	}
	if (q >= c->end)
		return false;
	out->p = start;
	out->len = (size_t)(q - start);
	c->p = q + 1;
	return true;
}

/* A "[...]" field at the cursor; false if none or unclosed. */
bool
httplog_bracketed(struct hl_cur *c, struct span *out)
{
	const char	*close;

	httplog_skip(c);
	if (c->p >= c->end || *c->p != '[')
		return false;
	close = memchr(c->p, ']', (size_t)(c->end - c->p));
	if (close == NULL)
		return false;
	out->p = c->p + 1;
	out->len = (size_t)(close - c->p - 1);
	c->p = close + 1;
	return true;
}

/* "21/Nov/2026:10:00:00[.fff][ +0900]" into rec's time; false if not. */
bool
httplog_clf_time(struct span s, const struct tz *tz, struct record *rec)
{
	const char	*p = s.p, *m;
	size_t		 i, nf;
	int		 day, mon, year, hh, mm, ss, off;
	int64_t		 secs, frac = 0;
	int32_t		 zoff;

	if (s.len < 20 || p[2] != '/' || p[6] != '/' || p[11] != ':' ||
	    p[14] != ':' || p[17] != ':')
		return false;
	if (!httplog_digits(p, 2) || !httplog_digits(p + 7, 4) ||
	    !httplog_digits(p + 12, 2) || !httplog_digits(p + 15, 2) ||
	    !httplog_digits(p + 18, 2))
		return false;
	for (m = httplog_months; *m != '\0'; m += 3)
		if (memcmp(m, p + 3, 3) == 0)
			break;
	if (*m == '\0')
		return false;
	mon = (int)((m - httplog_months) / 3) + 1;
	day = httplog_num(p, 2);
	year = httplog_num(p + 7, 4);
	hh = httplog_num(p + 12, 2);
	mm = httplog_num(p + 15, 2);
	ss = httplog_num(p + 18, 2);
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return false;
	i = 20;
	nf = 0;
	if (i < s.len && (p[i] == '.' || p[i] == ',')) {
		for (i++; i < s.len && p[i] >= '0' && p[i] <= '9'; i++, nf++)
			if (nf < 6)
				frac = frac * 10 + (p[i] - '0');
		if (nf == 0)
			return false;
		for (; nf < 6; nf++)
			frac *= 10;
		rec->ts_digits = i - 21 <= 3 ? 3 : 6;
	} else
		rec->ts_digits = 0;
	if (i == s.len) {
		secs = tz_to_utc(tz, year, mon, day, hh, mm, ss, &zoff);
		rec->tz_off = zoff;
	} else {
		if (s.len - i != 6 || p[i] != ' ' ||
		    (p[i + 1] != '+' && p[i + 1] != '-') ||
		    !httplog_digits(p + i + 2, 4))
			return false;
		off = httplog_num(p + i + 2, 2) * 3600 +
		    httplog_num(p + i + 4, 2) * 60;
		if (off > 18 * 3600)
			return false;
		if (p[i + 1] == '-')
			off = -off;
		secs = tz_days_from_civil(year, mon, day) * 86400 +
		    hh * 3600 + mm * 60 + ss - off;
		rec->tz_off = off;
	}
	rec->ts_us = secs * 1000000 + frac;
	rec->has_ts = true;
	rec->flags &= ~REC_NO_YEAR;
	return true;
}

/* Split "METHOD target VERSION" into its parts. */
void
httplog_request(struct span req, struct span *method, struct span *target,
    struct span *version)
{
	struct hl_cur	 c = { req.p, req.p + req.len };
	const char	*sp;

	*method = *target = *version = SPAN_NULL;
	if (!httplog_token(&c, method))
		return;
	httplog_skip(&c);
	if (c.p >= c.end) {
		/* A lone token is a target ("-", or a garbled request). */
		*target = *method;
		*method = SPAN_NULL;
		return;
	}
	target->p = c.p;
	target->len = (size_t)(c.end - c.p);
	for (sp = c.end; sp > c.p && sp[-1] != ' '; sp--)
		;
	if (sp > c.p && (size_t)(c.end - sp) >= 5 &&
	    memcmp(sp, "HTTP/", 5) == 0) {
		version->p = sp;
		version->len = (size_t)(c.end - sp);
		target->len = (size_t)(sp - 1 - c.p);
	}
	while (target->len > 0 && target->p[target->len - 1] == ' ')
		target->len--;
}

/* Split host[:port]; false on a bad port or unclosed bracket. */
bool
httplog_hostport(struct span hp, struct span *host, struct span *port)
{
	const char	*close, *colon;

	*port = SPAN_NULL;
	*host = SPAN_NULL;
	if (hp.len > 0 && hp.p[0] == '[') {
		close = memchr(hp.p, ']', hp.len);
		if (close == NULL)
			return false;
		host->p = hp.p + 1;
		host->len = (size_t)(close - hp.p - 1);
		if (close + 1 == hp.p + hp.len)
			return true;
		if (close[1] != ':')
			return false;
		port->p = close + 2;
		port->len = (size_t)(hp.p + hp.len - port->p);
		return httplog_digits(port->p, port->len) && port->len <= 5;
	}
	*host = hp;
	colon = memchr(hp.p, ':', hp.len);
	if (colon == NULL)
		return true;
	/* A bare IPv6 address has several colons and no port. */
	if (memchr(colon + 1, ':', (size_t)(hp.p + hp.len - colon - 1)) != NULL)
		return true;
	host->len = (size_t)(colon - hp.p);
	port->p = colon + 1;
	port->len = (size_t)(hp.p + hp.len - port->p);
	return httplog_digits(port->p, port->len) && port->len <= 5;
}

/* Classes of URL bytes, for the scans of httplog_set_url(). */
#define HU_SLASH	0x01	/* '/' ends the authority */
#define HU_QUERY	0x02	/* '?' and '#' end the authority and path */
#define HU_AT		0x04	/* '@' ends the userinfo */
#define HU_COLON	0x08	/* ':' may start a port */

static const unsigned char httplog_uclass[256] = {
	['/'] = HU_SLASH,
	['?'] = HU_QUERY,
	['#'] = HU_QUERY,
	['@'] = HU_AT,
	[':'] = HU_COLON,
};

/* The end of the path at p: the first '?' or '#' before end, or end. */
static inline const char *
httplog_path_end(const char *p, const char *end)
{
	while (p < end && (httplog_uclass[(unsigned char)*p] & HU_QUERY) == 0)
		p++;
	return p;
}

/*
 * Set url.* and destination.port from a request target.  The authority
 * of an absolute URL is read in one pass that also notes its last '@'
 * and the colons after it, which is what httplog_hostport() would look
 * for again; only a bracketed host is handed to it.
 */
void
httplog_set_url(struct span url, struct span method, struct record *rec,
    struct span *host)
{
	struct span	 hp, port;
	const char	*p, *end, *auth, *at, *colon, *q;
	size_t		 i;
	unsigned char	 k;
	bool		 ok, colons;

	*host = SPAN_NULL;
	if (url.len == 0 || httplog_is_dash(url))
		return;
	end = url.p + url.len;
	record_set(rec, RF_URL_ORIGINAL, url.p, url.len);

	if (url.p[0] == '/') {
		q = httplog_path_end(url.p, end);
		record_set(rec, RF_URL_PATH, url.p, (size_t)(q - url.p));
		return;
	}
	if (method.len == 7 && memcmp(method.p, "CONNECT", 7) == 0) {
		if (httplog_hostport(url, &hp, &port) && hp.len > 0) {
			*host = hp;
			record_set(rec, RF_URL_DOMAIN, hp.p, hp.len);
			record_set(rec, RF_DESTINATION_PORT, port.p, port.len);
		}
		return;
	}

	/* scheme "://" */
	for (i = 0; i < url.len; i++) {
		char	ch = url.p[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (i > 0 && ((ch >= '0' && ch <= '9') || ch == '+' ||
		    ch == '-' || ch == '.')))
			continue;
		break;
	}
	if (i == 0 || url.len - i < 3 || memcmp(url.p + i, "://", 3) != 0)
		return;
	record_set(rec, RF_URL_SCHEME, url.p, i);

	/*
	 * The authority runs to the first '/', '?' or '#'; the host follows
	 * its last '@' (user:pass@host), and a port the first colon after
	 * that unless another follows (a bare IPv6 address).
	 */
	auth = url.p + i + 3;
	at = auth;
	colon = NULL;
	colons = false;
	for (p = auth; p < end; p++) {
		if ((k = httplog_uclass[(unsigned char)*p]) == 0)
			continue;
		if (k & (HU_SLASH | HU_QUERY))
			break;
		if (k == HU_AT) {
			at = p + 1;
			colon = NULL;
			colons = false;
		} else if (colon == NULL)
			colon = p;
		else
			colons = true;
	}
	hp.p = at;
	hp.len = (size_t)(p - at);
	if (hp.len > 0 && hp.p[0] == '[')
		ok = httplog_hostport(hp, host, &port);
	else if (colon == NULL || colons) {
		*host = hp;
		port = SPAN_NULL;
		ok = true;
	} else {
		host->p = at;
		host->len = (size_t)(colon - at);
		port.p = colon + 1;
		port.len = (size_t)(p - port.p);
		ok = httplog_digits(port.p, port.len) && port.len <= 5;
	}
	if (ok && host->len > 0) {
		record_set(rec, RF_URL_DOMAIN, host->p, host->len);
		record_set(rec, RF_DESTINATION_PORT, port.p, port.len);
	} else
		*host = SPAN_NULL;
	if (p < end && *p == '/') {
		q = httplog_path_end(p, end);
		record_set(rec, RF_URL_PATH, p, (size_t)(q - p));
	}
}

/* True if the span could be an IP literal (cheap pre-check). */
static bool
httplog_maybe_ip(struct span h)
{
	return h.len > 1 && h.len < 64 && (h.p[0] == ':' ||
	    (h.p[0] >= '0' && h.p[0] <= '9') ||
	    ((h.p[0] | 0x20) >= 'a' && (h.p[0] | 0x20) <= 'f' &&
	    memchr(h.p, ':', h.len) != NULL));
}

/* Set ip/port/domain fields from an address span; true if an IP. */
bool
httplog_set_addr(struct span s, enum rf ip_rf, enum rf port_rf,
    enum rf domain_rf, struct record *rec)
{
	struct span	 host, port;
	struct netaddr	 na;

	if (s.len == 0 || httplog_is_dash(s))
		return false;
	if (!httplog_hostport(s, &host, &port) || host.len == 0)
		return false;
	host = httplog_unmap(host);
	if (httplog_maybe_ip(host) &&
	    netaddr_parse(&na, host.p, host.len) == 0) {
		if (ip_rf == RF_SOURCE_IP)
			rec->src = na;
		else if (ip_rf == RF_DESTINATION_IP)
			rec->dst = na;
		record_set(rec, ip_rf, host.p, host.len);
		if (port_rf != RF_MAX)
			record_set(rec, port_rf, port.p, port.len);
		return true;
	}
	if (domain_rf != RF_MAX && !httplog_is_dash(host)) {
		record_set(rec, domain_rf, host.p, host.len);
		if (port_rf != RF_MAX)
			record_set(rec, port_rf, port.p, port.len);
	}
	return false;
}

/* Set http.response.status_code and event.outcome from a status. */
void
httplog_set_status(struct span s, struct record *rec)
{
	int	code;

	if (s.len != 3 || !httplog_digits(s.p, 3))
		return;
	code = httplog_num(s.p, 3);
	if (code < 100)
		return;
	record_set(rec, RF_HTTP_RESPONSE_STATUS_CODE, s.p, s.len);
	if (code >= 400)
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
}

/* Set url.domain from a Host value ("host[:port]"); skips "-". */
void
httplog_set_domain(struct span s, struct record *rec)
{
	struct span	host, port;

	if (s.len == 0 || httplog_is_dash(s) ||
	    !httplog_hostport(s, &host, &port))
		return;
	record_set(rec, RF_URL_DOMAIN, host.p, host.len);
}

/* "::ffff:192.0.2.1" as "192.0.2.1"; other spans unchanged. */
struct span
httplog_unmap(struct span s)
{
	if (s.len > 7 && s.len <= 22 && strncasecmp(s.p, "::ffff:", 7) == 0 &&
	    memchr(s.p + 7, '.', s.len - 7) != NULL &&
	    memchr(s.p + 7, ':', s.len - 7) == NULL) {
		s.p += 7;
		s.len -= 7;
	}
	return s;
}

/* True if the text starts like "client ident user [". */
bool
httplog_looks_clf(const char *p, const char *end)
{
	struct hl_cur	c = { p, end };
	struct span	tok;
	int		i;

	for (i = 0; i < 3; i++)
		if (!httplog_token(&c, &tok))
			return false;
	return c.end - c.p >= 3 && c.p[0] == ' ' && c.p[1] == '[' &&
	    c.p[2] >= '0' && c.p[2] <= '9';
}

/* Client, ident, user, [time], "request", status, bytes[, ref, agent]. */
int
httplog_clf(struct hl_cur *c, const struct tz *tz, struct record *rec)
{
	struct span	client, ident, user, tm, req, status, bytes, ref, ua;
	struct span	method, target, version, host;
	struct hl_cur	save;

	if (!httplog_token(c, &client) || !httplog_token(c, &ident) ||
	    !httplog_token(c, &user) || !httplog_bracketed(c, &tm) ||
	    !httplog_clf_time(tm, tz, rec) || !httplog_quoted(c, &req) ||
	    !httplog_token(c, &status) || !httplog_token(c, &bytes))
		return -1;
	if (!httplog_is_dash(status) && (status.len != 3 ||
	    !httplog_digits(status.p, 3)))
		return -1;
	if (!httplog_is_dash(bytes) && !httplog_digits(bytes.p, bytes.len))
		return -1;

	if (!httplog_set_addr(client, RF_SOURCE_IP, RF_MAX, RF_MAX, rec) &&
	    !httplog_is_dash(client))
		record_set(rec, RF_SOURCE_DOMAIN, client.p, client.len);
	if (!httplog_is_dash(user))
		record_set(rec, RF_USER_NAME, user.p, user.len);
	httplog_request(req, &method, &target, &version);
	if (method.len > 0)
		record_set(rec, RF_HTTP_REQUEST_METHOD, method.p, method.len);
	httplog_set_url(target, method, rec, &host);
	httplog_set_status(status, rec);
	if (!httplog_is_dash(bytes))
		record_set(rec, RF_DESTINATION_BYTES, bytes.p, bytes.len);

	save = *c;
	if (!httplog_quoted(c, &ref))
		return 1;
	if (!httplog_quoted(c, &ua)) {
		*c = save;
		return 1;
	}
	if (ref.len > 0 && !httplog_is_dash(ref))
		record_set(rec, RF_HTTP_REQUEST_REFERRER, ref.p, ref.len);
	if (ua.len > 0 && !httplog_is_dash(ua))
		record_set(rec, RF_USER_AGENT_ORIGINAL, ua.p, ua.len);
	return 1;
}

/* The last entry of a comma-separated list, spaces trimmed. */
struct span
httplog_last_hop(struct span s)
{
	const char	*c;

	for (c = s.p + s.len; c > s.p && c[-1] != ','; c--)
		;
	s.len -= (size_t)(c - s.p);
	s.p = c;
	while (s.len > 0 && s.p[0] == ' ') {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && s.p[s.len - 1] == ' ')
		s.len--;
	return s;
}
