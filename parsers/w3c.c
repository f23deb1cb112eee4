/*
 * w3c.c: the W3C extended log file format, which Blue Coat / Symantec
 * ProxySG, Microsoft IIS, ISA and Forefront TMG and many appliances
 * write: "#Software:", "#Version:", "#Date:" and "#Fields:" directives,
 * then one entry per line with the fields the last "#Fields:" named
 * (space-separated, values with spaces in double quotes, "-" empty; or
 * tab-separated when the directive itself is, as TMG writes it).
 *
 *   #Fields: date time time-taken c-ip cs-username ... sc-status s-action
 *   cs-method ... cs-host cs-uri-port cs-uri-path cs-uri-query ...
 *   2026-11-21 01:00:00 43 192.0.2.10 alice ... 200 TCP_HIT GET ...
 *
 * The field map is state: a new "#Fields:" line (a restarted proxy, a
 * changed format, the next file after a rotation) replaces it.  Entries
 * read before any "#Fields:" (a source resumed in the middle of a file)
 * are read with ProxySG's default "bcreportermain_v1" fields.  The
 * "#Software:" line names the product: the dataset is proxy.proxysg,
 * proxy.iis or proxy.tmg when it is known, proxy.w3c otherwise.  Times
 * are UTC, as the format defines them.
 *
 * Fields are spans into the line, or into the state's scratch buffer for
 * the URL rebuilt from its parts and the duration in nanoseconds; parsing
 * allocates nothing, never reads past len and keeps no pointer into the
 * line.
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
#define W3C_MAX_COLS	96

enum w3c_role {
	WR_NONE = 0,
	WR_DATE,
	WR_TIME,
	WR_GMT,			/* TMG "GMT Time": date and time */
	WR_TAKEN,		/* ms */
	WR_CIP,
	WR_CPORT,
	WR_USER,
	WR_METHOD,
	WR_STATUS,
	WR_ACTION,		/* ProxySG s-action "TCP_DENIED" */
	WR_FILTER,		/* ProxySG sc-filter-result "DENIED" */
	WR_TMG_ACTION,		/* TMG action "Denied" */
	WR_SCHEME,
	WR_HOST,
	WR_PORT,
	WR_PATH,
	WR_QUERY,
	WR_URI,			/* a whole URL */
	WR_REFERER,
	WR_AGENT,
	WR_SIP,
	WR_SPORT,
	WR_RIP,			/* the origin server */
	WR_RHOST,
	WR_RPORT,
	WR_SCBYTES,
	WR_CSBYTES,
	WR_EXCEPTION,
	WR_COMPUTER,
	WR_MAX
};

static const struct {
	const char	*name;
	enum w3c_role	 role;
} w3c_names[] = {
	{ "date", WR_DATE },
	{ "time", WR_TIME },
	{ "GMT Time", WR_GMT },
	{ "GMTTime", WR_GMT },
	{ "time-taken", WR_TAKEN },
	{ "c-ip", WR_CIP },
	{ "c-port", WR_CPORT },
	{ "cs-username", WR_USER },
	{ "cs-userdn", WR_USER },
	{ "cs-method", WR_METHOD },
	{ "s-operation", WR_METHOD },
	{ "sc-status", WR_STATUS },
	{ "s-action", WR_ACTION },
	{ "sc-filter-result", WR_FILTER },
	{ "action", WR_TMG_ACTION },
	{ "cs-uri-scheme", WR_SCHEME },
	{ "cs-host", WR_HOST },
	{ "cs(Host)", WR_HOST },
	{ "cs-uri-port", WR_PORT },
	{ "cs-uri-path", WR_PATH },
	{ "cs-uri-stem", WR_PATH },
	{ "cs-uri-query", WR_QUERY },
	{ "cs-uri", WR_URI },
	{ "cs(Referer)", WR_REFERER },
	{ "cs-referred", WR_REFERER },
	{ "cs(User-Agent)", WR_AGENT },
	{ "c-agent", WR_AGENT },
	{ "s-ip", WR_SIP },
	{ "s-port", WR_SPORT },
	{ "s-supplier-ip", WR_RIP },
	{ "r-ip", WR_RIP },
	{ "s-supplier-name", WR_RHOST },
	{ "r-host", WR_RHOST },
	{ "r-port", WR_RPORT },
	{ "sc-bytes", WR_SCBYTES },
	{ "cs-bytes", WR_CSBYTES },
	{ "x-exception-id", WR_EXCEPTION },
	{ "s-computername", WR_COMPUTER },
	{ NULL, WR_NONE }
};

/* ProxySG's default access log format, bcreportermain_v1. */
static const uint8_t w3c_default[] = {
	WR_DATE, WR_TIME, WR_TAKEN, WR_CIP, WR_USER, WR_NONE, WR_EXCEPTION,
	WR_FILTER, WR_NONE, WR_REFERER, WR_STATUS, WR_ACTION, WR_METHOD,
	WR_NONE, WR_SCHEME, WR_HOST, WR_PORT, WR_PATH, WR_QUERY, WR_NONE,
	WR_AGENT, WR_SIP, WR_SCBYTES, WR_CSBYTES, WR_NONE
};

struct w3c_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	struct scratch		sc;
	bool			have_fields;
	bool			tabs;
	uint8_t			ncols;
	uint8_t			cols[W3C_MAX_COLS];	/* enum w3c_role */
	const char		*dataset;
};

/* The role of a field name, any case; WR_NONE if keibi does not read it. */
static enum w3c_role
w3c_role(struct span name)
{
	size_t	i;

	for (i = 0; w3c_names[i].name != NULL; i++)
		if (strlen(w3c_names[i].name) == name.len &&
		    strncasecmp(w3c_names[i].name, name.p, name.len) == 0)
			return w3c_names[i].role;
	return WR_NONE;
}

/* True if the span holds lit, any case. */
static bool
w3c_has(struct span s, const char *lit)
{
	size_t	n = strlen(lit), i;

	for (i = 0; i + n <= s.len; i++)
		if (strncasecmp(s.p + i, lit, n) == 0)
			return true;
	return false;
}

/* A directive line ("#Fields: ...").  Always 0: not an event. */
static int
w3c_directive(struct w3c_state *st, const char *p, const char *end)
{
	struct span	 v, name;
	const char	*q;
	size_t		 i;
	char		 sep;

	if ((size_t)(end - p) >= 10 && strncasecmp(p, "#Software:", 10) == 0) {
		v.p = p + 10;
		v.len = (size_t)(end - v.p);
		if (w3c_has(v, "SGOS") || w3c_has(v, "ProxySG") ||
		    w3c_has(v, "Blue Coat"))
			st->dataset = "proxy.proxysg";
		else if (w3c_has(v, "Internet Information Services"))
			st->dataset = "proxy.iis";
		else if (w3c_has(v, "Threat Management Gateway") ||
		    w3c_has(v, "Internet Security and Acceleration"))
			st->dataset = "proxy.tmg";
		else
			st->dataset = NULL;
		return 0;
	}
	if ((size_t)(end - p) < 8 || strncasecmp(p, "#Fields:", 8) != 0)
		return 0;
	p += 8;
	while (p < end && *p == ' ')
		p++;
	st->tabs = p < end && memchr(p, '\t', (size_t)(end - p)) != NULL;
	sep = st->tabs ? '\t' : ' ';
	memset(st->cols, 0, sizeof st->cols);
	for (i = 0; p < end && i < W3C_MAX_COLS; i++) {
		for (q = p; q < end && *q != sep; q++)
			;
		name.p = p;
		name.len = (size_t)(q - p);
		st->cols[i] = (uint8_t)w3c_role(name);
		p = q < end ? q + 1 : q;
		if (!st->tabs)
			while (p < end && *p == ' ')
				p++;
	}
	st->ncols = (uint8_t)i;
	st->have_fields = true;
	return 0;
}

/* A cursor over the values of an entry. */
struct w3c_cur {
	struct hl_cur	c;
	bool		done;	/* the last tab-separated value was read */
};

/* Next value of an entry; false at the end.  "-" is returned as is. */
static bool
w3c_value(struct w3c_state *st, struct w3c_cur *wc, struct span *v)
{
	struct hl_cur	*c = &wc->c;
	const char	*q;

	if (st->tabs) {
		if (wc->done || c->p > c->end)
			return false;
		q = memchr(c->p, '\t', (size_t)(c->end - c->p));
		if (q == NULL) {
			q = c->end;
			wc->done = true;
		}
		v->p = c->p;
		v->len = (size_t)(q - c->p);
		c->p = wc->done ? q : q + 1;
		return true;
	}
	httplog_skip(c);
	if (c->p >= c->end)
		return false;
	if (*c->p == '"' && httplog_quoted(c, v))
		return true;
	return httplog_token(c, v);
}

/* True if a value is empty ("-" or nothing). */
static bool
w3c_blank(struct span v)
{
	return v.len == 0 || httplog_is_dash(v);
}

/* Set @timestamp from date and time ("2026-11-21", "01:00:00[.123]"). */
static bool
w3c_time(struct span date, struct span time, struct record *rec)
{
	char	buf[40];
	uint8_t	digits;

	if (date.len != 10 || time.len < 8 || time.len > 20)
		return false;
	memcpy(buf, date.p, 10);
	buf[10] = 'T';
	memcpy(buf + 11, time.p, time.len);
	buf[11 + time.len] = 'Z';
	if (iso8601_parse(buf, 12 + time.len, NULL, &rec->ts_us,
	    &rec->tz_off, &digits) != 12 + time.len)
		return false;
	rec->ts_digits = digits;
	rec->has_ts = true;
	return true;
}

/* Rebuild url.original from scheme, host, port, path and query. */
static void
w3c_url(struct w3c_state *st, struct span *v, struct record *rec)
{
	struct span	 url = SPAN_NULL, part, method = v[WR_METHOD];
	struct span	 host;
	char		*o;
	size_t		 n;
	bool		 connect = span_eq(method, "CONNECT");

	if (!w3c_blank(v[WR_URI])) {
		httplog_set_url(v[WR_URI], method, rec, &host);
		return;
	}
	n = v[WR_SCHEME].len + v[WR_HOST].len + v[WR_PORT].len +
	    v[WR_PATH].len + v[WR_QUERY].len + 8;
	if (w3c_blank(v[WR_HOST]) && w3c_blank(v[WR_PATH]))
		return;
	if ((o = scratch_alloc(&st->sc, n)) == NULL)
		return;
	url.p = o;
	if (!connect && !w3c_blank(v[WR_SCHEME]) && !w3c_blank(v[WR_HOST])) {
		memcpy(o, v[WR_SCHEME].p, v[WR_SCHEME].len);
		o += v[WR_SCHEME].len;
		memcpy(o, "://", 3);
		o += 3;
	}
	if (!w3c_blank(v[WR_HOST])) {
		memcpy(o, v[WR_HOST].p, v[WR_HOST].len);
		o += v[WR_HOST].len;
		part = v[WR_PORT];
		/* The scheme's own port is left out, as a browser would. */
		if (!w3c_blank(part) && (connect ||
		    !((span_eq(part, "80") && span_eq(v[WR_SCHEME], "http")) ||
		    (span_eq(part, "443") && span_eq(v[WR_SCHEME],
		    "https"))))) {
			*o++ = ':';
			memcpy(o, part.p, part.len);
			o += part.len;
		}
	}
	if (!connect && !w3c_blank(v[WR_PATH])) {
		memcpy(o, v[WR_PATH].p, v[WR_PATH].len);
		o += v[WR_PATH].len;
		part = v[WR_QUERY];
		if (!w3c_blank(part)) {
			if (part.p[0] != '?')
				*o++ = '?';
			memcpy(o, part.p, part.len);
			o += part.len;
		}
	}
	url.len = (size_t)(o - url.p);
	httplog_set_url(url, method, rec, &host);
	/* Without a scheme the URL is "host/path": name the path itself. */
	if (!connect && !record_has(rec, RF_URL_PATH) &&
	    !w3c_blank(v[WR_PATH]) && v[WR_PATH].p[0] == '/')
		record_set(rec, RF_URL_PATH, v[WR_PATH].p, v[WR_PATH].len);
	if (!w3c_blank(v[WR_HOST]) && !record_has(rec, RF_URL_DOMAIN))
		httplog_set_domain(v[WR_HOST], rec);
	if (httplog_digits(v[WR_PORT].p, v[WR_PORT].len))
		record_set(rec, RF_DESTINATION_PORT, v[WR_PORT].p,
		    v[WR_PORT].len);
}

/* Set event.action from ProxySG's or TMG's verdict. */
static void
w3c_action(struct span *v, struct record *rec)
{
	struct span	a = v[WR_ACTION], f = v[WR_FILTER];
	struct span	t = v[WR_TMG_ACTION];

	if (w3c_has(a, "DENIED") || span_eq(f, "DENIED") ||
	    span_eq(t, "Denied") || span_eq(t, "Blocked")) {
		record_set_lit(rec, RF_EVENT_ACTION, "denied");
		record_set_lit(rec, RF_EVENT_TYPE, "denied");
	} else if (!w3c_blank(f) || !w3c_blank(a) || span_eq(t, "Allowed")) {
		record_set_lit(rec, RF_EVENT_ACTION, "allowed");
		record_set_lit(rec, RF_EVENT_TYPE, "allowed");
	}
	if (w3c_has(a, "DENIED") || span_eq(f, "DENIED") ||
	    span_eq(t, "Denied") || span_eq(t, "Blocked") ||
	    span_eq(t, "Failed"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
}

/* One entry.  Returns 1 or -1. */
static int
w3c_entry(struct w3c_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct w3c_cur	 c = { { p, end }, false };
	struct span	 v[WR_MAX], val, ns;
	const uint8_t	*cols = st->cols;
	size_t		 ncols = st->ncols, i;

	if (!st->have_fields) {
		cols = w3c_default;
		ncols = sizeof w3c_default;
	}
	memset(v, 0, sizeof v);
	for (i = 0; i < ncols && w3c_value(st, &c, &val); i++)
		if (cols[i] != WR_NONE)
			v[cols[i]] = val;
	if (i < ncols && !st->have_fields)
		return -1;

	if (!w3c_blank(v[WR_GMT]) && v[WR_GMT].len > 11) {
		struct span	d = { v[WR_GMT].p, 10 };
		struct span	t = { v[WR_GMT].p + 11, v[WR_GMT].len - 11 };

		if (!w3c_time(d, t, rec))
			return -1;
	} else if (!w3c_time(v[WR_DATE], v[WR_TIME], rec))
		return -1;
	if (httplog_digits(v[WR_TAKEN].p, v[WR_TAKEN].len) &&
	    scratch_scaled(&st->sc, v[WR_TAKEN], 6, &ns))
		record_set(rec, RF_EVENT_DURATION, ns.p, ns.len);
	httplog_set_addr(v[WR_CIP], RF_SOURCE_IP, RF_SOURCE_PORT,
	    RF_SOURCE_DOMAIN, rec);
	if (httplog_digits(v[WR_CPORT].p, v[WR_CPORT].len))
		record_set(rec, RF_SOURCE_PORT, v[WR_CPORT].p, v[WR_CPORT].len);
	/* TMG logs an anonymous user as "anonymous". */
	if (!w3c_blank(v[WR_USER]) && !span_eq(v[WR_USER], "anonymous"))
		record_set(rec, RF_USER_NAME, v[WR_USER].p, v[WR_USER].len);
	if (!w3c_blank(v[WR_METHOD]))
		record_set(rec, RF_HTTP_REQUEST_METHOD, v[WR_METHOD].p,
		    v[WR_METHOD].len);
	w3c_url(st, v, rec);
	httplog_set_status(v[WR_STATUS], rec);
	w3c_action(v, rec);
	if (!w3c_blank(v[WR_REFERER]))
		record_set(rec, RF_HTTP_REQUEST_REFERRER, v[WR_REFERER].p,
		    v[WR_REFERER].len);
	if (!w3c_blank(v[WR_AGENT]))
		record_set(rec, RF_USER_AGENT_ORIGINAL, v[WR_AGENT].p,
		    v[WR_AGENT].len);
	if (!httplog_set_addr(v[WR_RIP], RF_DESTINATION_IP, RF_MAX,
	    RF_DESTINATION_DOMAIN, rec) && !w3c_blank(v[WR_RHOST]))
		record_set(rec, RF_DESTINATION_DOMAIN, v[WR_RHOST].p,
		    v[WR_RHOST].len);
	if (httplog_digits(v[WR_RPORT].p, v[WR_RPORT].len))
		record_set(rec, RF_DESTINATION_PORT, v[WR_RPORT].p,
		    v[WR_RPORT].len);
	/* A web server: the server is the destination. */
	if (w3c_blank(v[WR_RIP]) && w3c_blank(v[WR_RHOST]) &&
	    st->dataset != NULL && strcmp(st->dataset, "proxy.iis") == 0) {
		httplog_set_addr(v[WR_SIP], RF_DESTINATION_IP, RF_MAX, RF_MAX,
		    rec);
		if (httplog_digits(v[WR_SPORT].p, v[WR_SPORT].len))
			record_set(rec, RF_DESTINATION_PORT, v[WR_SPORT].p,
			    v[WR_SPORT].len);
	}
	if (httplog_digits(v[WR_SCBYTES].p, v[WR_SCBYTES].len))
		record_set(rec, RF_DESTINATION_BYTES, v[WR_SCBYTES].p,
		    v[WR_SCBYTES].len);
	if (httplog_digits(v[WR_CSBYTES].p, v[WR_CSBYTES].len))
		record_set(rec, RF_SOURCE_BYTES, v[WR_CSBYTES].p,
		    v[WR_CSBYTES].len);
	if (!w3c_blank(v[WR_EXCEPTION]))
		record_set(rec, RF_EVENT_REASON, v[WR_EXCEPTION].p,
		    v[WR_EXCEPTION].len);
	if (!w3c_blank(v[WR_COMPUTER]) && !record_has(rec, RF_HOST_HOSTNAME))
		record_set(rec, RF_HOST_HOSTNAME, v[WR_COMPUTER].p,
		    v[WR_COMPUTER].len);
	if (st->dataset != NULL)
		record_set(rec, RF_EVENT_DATASET, st->dataset,
		    strlen(st->dataset));
	return 1;
}

/* One line: a directive or an entry.  Returns 1, 0 or -1. */
static int
w3c_line(struct w3c_state *st, const char *p, const char *end,
    struct record *rec, bool behind_syslog)
{
	if (p == end)
		return 0;
	if (*p == '#')
		return w3c_directive(st, p, end);
	/* TMG puts the client first; others start with the date. */
	if (!st->have_fields && !(end - p >= 10 && p[4] == '-'))
		return behind_syslog ? 0 : -1;
	return w3c_entry(st, p, end, rec);
}

/* Build the state; NULL on allocation failure. */
static void *
w3c_state_new(const struct parser_opts *opts)
{
	struct w3c_state	*st;

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
w3c_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an entry, 0 a directive or blank line, -1 a
 * line that is neither.
 */
static int
w3c_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct w3c_state	*st = state;
	struct syslog_hdr	 hdr;
	const char		*p = line, *end = line + len;
	int			 r;

	scratch_reset(&st->sc);
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p == '#' || (*p >= '0' && *p <= '9' &&
	    !(end - p > 10 && p[4] == '-' && p[10] == 'T')))
		r = w3c_line(st, p, end, rec, false);
	else if (syslog_parse(&st->sctx, line, len, &hdr) == 0) {
		syslog_to_record(&hdr, rec);
		/* The entry's own date and time replace the header's. */
		rec->flags &= ~REC_NO_YEAR;
		r = w3c_line(st, hdr.msg.p, hdr.msg.p + hdr.msg.len, rec, true);
	} else if (st->have_fields)
		r = w3c_line(st, p, end, rec, false);
	else
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
w3c_stats(void *state)
{
	struct w3c_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
w3c_set_ref(void *state, int64_t ref_us)
{
	struct w3c_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_w3c = {
	.name = "w3c",
	.dataset = "proxy.w3c",
	.description = "W3C extended log format with #Fields header "
	    "(ProxySG, IIS, ISA/TMG)",
	.state_new = w3c_state_new,
	.state_free = w3c_state_free,
	.parse = w3c_parse,
	.stats = w3c_stats,
	.set_ref = w3c_set_ref,
};
