/*
 * zscaler.c: Zscaler Internet Access web logs as the Nanolog Streaming
 * Service (NSS) sends them, in the feed output types Zscaler documents:
 *
 *   - JSON, the Cloud NSS default, alone or wrapped as Splunk's HTTP
 *     event collector receives it ({"sourcetype": "zscalernss-web",
 *     "event": {...}}), with the field names of the feed format ("time",
 *     "login", "proto", "eurl", "action", "cip", "sip", "reqmethod", ...);
 *   - the quoted CSV of the default web feed format, whose fields come in
 *     the documented order: "time","login","proto","eurl","action",
 *     "appname","appclass","reqsize","respsize","stime","ctime",
 *     "urlclass","urlsupercat","urlcat","malwarecat","threatname",
 *     "riskscore","dlpeng","dlpdict","location","dept","cip","sip",
 *     "reqmethod","respcode","ua","ereferer","ruletype","rulelabel",
 *     "contenttype","unscannabletype","deviceowner","devicehostname";
 *   - name-value pairs separated by tabs, plain or in a LEEF record (the
 *     QRadar feed: "LEEF:1.0|Zscaler|NSS|...|cat=Blocked<TAB>src=...");
 *
 * each possibly behind a syslog header.  The client (cip, src) is
 * source.ip, the server (sip, dst) destination.ip, the user (login,
 * usrName) user.name, and Blocked becomes event.action "denied".  Times
 * ("Fri Dec 31 07:07:07 2021") are in the feed's zone, which is the
 * source's configured zone (UTC by default, as NSS feeds are).
 *
 * Values are spans into the line or into the state's scratch buffer
 * (JSON strings with escapes); parsing allocates nothing, never reads
 * past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "jscan.h"
#include "parser.h"
#include "scratch.h"
#include "sysloghdr.h"
#include "tz.h"

enum zs_key {
	ZK_NONE = 0,
	ZK_TIME,		/* "Fri Dec 31 07:07:07 2021" */
	ZK_DEVTIME,		/* LEEF "Dec 31 2021 07:07:07 GMT" */
	ZK_EPOCH,
	ZK_LOGIN,
	ZK_PROTO,
	ZK_EURL,
	ZK_HOST,
	ZK_ACTION,
	ZK_REQSIZE,
	ZK_RESPSIZE,
	ZK_THREAT,
	ZK_CIP,
	ZK_SIP,
	ZK_METHOD,
	ZK_STATUS,
	ZK_UA,
	ZK_REFERER,
	ZK_RULE,
	ZK_DEVICE,
	ZK_EVENT,		/* the wrapped object */
	ZK_MAX
};

static const struct jkey zs_keys[] = {
	JKEY("time", ZK_TIME),
	JKEY("datetime", ZK_TIME),
	JKEY("devTime", ZK_DEVTIME),
	JKEY("epochtime", ZK_EPOCH),
	JKEY("login", ZK_LOGIN),
	JKEY("elogin", ZK_LOGIN),
	JKEY("usrName", ZK_LOGIN),
	JKEY("user", ZK_LOGIN),
	JKEY("proto", ZK_PROTO),
	JKEY("appproto", ZK_PROTO),
	JKEY("eurl", ZK_EURL),
	JKEY("url", ZK_EURL),
	JKEY("ehost", ZK_HOST),
	JKEY("host", ZK_HOST),
	JKEY("hostname", ZK_HOST),
	JKEY("action", ZK_ACTION),
	JKEY("cat", ZK_ACTION),
	JKEY("reqsize", ZK_REQSIZE),
	JKEY("srcBytes", ZK_REQSIZE),
	JKEY("respsize", ZK_RESPSIZE),
	JKEY("dstBytes", ZK_RESPSIZE),
	JKEY("threatname", ZK_THREAT),
	JKEY("cip", ZK_CIP),
	JKEY("src", ZK_CIP),
	JKEY("sip", ZK_SIP),
	JKEY("dst", ZK_SIP),
	JKEY("reqmethod", ZK_METHOD),
	JKEY("respcode", ZK_STATUS),
	JKEY("ua", ZK_UA),
	JKEY("useragent", ZK_UA),
	JKEY("ereferer", ZK_REFERER),
	JKEY("referer", ZK_REFERER),
	JKEY("rulelabel", ZK_RULE),
	JKEY("devicehostname", ZK_DEVICE),
	JKEY("event", ZK_EVENT),
	{ NULL, 0, 0 }
};

/* The default web feed format, in order ("stime" and the like: none). */
static const uint8_t zs_csv[] = {
	ZK_TIME, ZK_LOGIN, ZK_PROTO, ZK_EURL, ZK_ACTION, ZK_NONE, ZK_NONE,
	ZK_REQSIZE, ZK_RESPSIZE, ZK_NONE, ZK_NONE, ZK_NONE, ZK_NONE, ZK_NONE,
	ZK_NONE, ZK_THREAT, ZK_NONE, ZK_NONE, ZK_NONE, ZK_NONE, ZK_NONE,
	ZK_CIP, ZK_SIP, ZK_METHOD, ZK_STATUS, ZK_UA, ZK_REFERER, ZK_NONE,
	ZK_RULE, ZK_NONE, ZK_NONE, ZK_NONE, ZK_DEVICE
};

static const char zs_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

struct zs_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	struct scratch		sc;
	struct jkey_cache	kc;
};

/* The key of a field name; ZK_NONE if keibi does not read it. */
static enum zs_key
zs_key(struct span k)
{
	if (k.len < 2 || k.len > 14)
		return ZK_NONE;
	return (enum zs_key)jscan_key(zs_keys, k);
}

/* True if a value says nothing ("None", "NA", "N/A", "-", ""). */
static bool
zs_blank(struct span v)
{
	return v.len == 0 || httplog_is_dash(v) || span_eq(v, "None") ||
	    span_eq(v, "NA") || span_eq(v, "N/A");
}

/* Month (1-12) of three letters; 0 if none. */
static int
zs_month(const char *p)
{
	const char	*m;

	for (m = zs_months; *m != '\0'; m += 3)
		if (memcmp(m, p, 3) == 0)
			return (int)((m - zs_months) / 3) + 1;
	return 0;
}

/* The number of the n digits at p, or -1. */
static int
zs_num(const char *p, size_t n)
{
	int	v = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * "Fri Dec 31 07:07:07 2021" (ctime) or, for LEEF's devTime, "Dec 31 2021
 * 07:07:07 GMT": local time of the feed's zone.  False if not one.
 */
static bool
zs_time(struct zs_state *st, struct span s, bool devtime, struct record *rec)
{
	const char	*p = s.p;
	int		 mon, day, year = 0, hh, mm, ss;
	int32_t		 off;
	size_t		 i;

	if (!devtime) {
		if (s.len < 24 || p[3] != ' ')
			return false;
		p += 4;
	} else if (s.len < 20)
		return false;
	if ((mon = zs_month(p)) == 0 || p[3] != ' ')
		return false;
	i = 4;
	if (p[i] == ' ')
		i++;
	day = zs_num(p + i, p[i + 1] == ' ' ? 1 : 2);
	i += p[i + 1] == ' ' ? 2 : 3;
	if (devtime) {
		year = zs_num(p + i, 4);
		i += 5;
	}
	if ((size_t)(p - s.p) + i + 8 > s.len || p[i + 2] != ':' ||
	    p[i + 5] != ':')
		return false;
	hh = zs_num(p + i, 2);
	mm = zs_num(p + i + 3, 2);
	ss = zs_num(p + i + 6, 2);
	i += 8;
	if (!devtime) {
		if ((size_t)(p - s.p) + i + 5 > s.len || p[i] != ' ')
			return false;
		year = zs_num(p + i + 1, 4);
	}
	if (day < 1 || day > 31 || year < 1970 || hh < 0 || hh > 23 ||
	    mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return false;
	rec->ts_us = tz_to_utc(st->sctx.tz, year, mon, day, hh, mm, ss,
	    &off) * 1000000;
	rec->tz_off = off;
	rec->ts_digits = 0;
	rec->has_ts = true;
	rec->flags &= ~REC_NO_YEAR;
	return true;
}

/*
 * Fill url.* from eurl, which NSS writes without a scheme
 * ("www.example.com/join/"); proto ("HTTPS") gives the scheme.
 */
static void
zs_url(struct span eurl, struct span proto, struct span method,
    struct record *rec)
{
	struct span	 hp, host, port;
	const char	*p, *end;

	if (zs_blank(eurl))
		return;
	/* A scheme comes within the first few bytes: "https://". */
	p = memchr(eurl.p, ':', eurl.len < 16 ? eurl.len : 16);
	if (p != NULL && eurl.p + eurl.len - p > 3 && p[1] == '/' &&
	    p[2] == '/') {
		httplog_set_url(eurl, method, rec, &host);
		return;
	}
	record_set(rec, RF_URL_ORIGINAL, eurl.p, eurl.len);
	end = eurl.p + eurl.len;
	for (p = eurl.p; p < end && *p != '/' && *p != '?'; p++)
		;
	hp.p = eurl.p;
	hp.len = (size_t)(p - eurl.p);
	if (httplog_hostport(hp, &host, &port) && host.len > 0) {
		record_set(rec, RF_URL_DOMAIN, host.p, host.len);
		record_set(rec, RF_DESTINATION_PORT, port.p, port.len);
	}
	if (p < end && *p == '/') {
		const char	*q;

		for (q = p; q < end && *q != '?' && *q != '#'; q++)
			;
		record_set(rec, RF_URL_PATH, p, (size_t)(q - p));
	}
	if (span_eq(proto, "HTTPS"))
		record_set_lit(rec, RF_URL_SCHEME, "https");
	else if (span_eq(proto, "HTTP"))
		record_set_lit(rec, RF_URL_SCHEME, "http");
}

/* Set the record from the values of an entry.  Returns 1 or -1. */
static int
zs_fill(struct zs_state *st, struct span *v, struct record *rec)
{
	struct span	a = v[ZK_ACTION];
	uint64_t	epoch;

	if (!zs_blank(v[ZK_EPOCH]) && span_to_u64(v[ZK_EPOCH], &epoch) &&
	    epoch < 100000000000ULL) {
		rec->ts_us = (int64_t)epoch * 1000000;
		rec->tz_off = 0;
		rec->has_ts = true;
		rec->flags &= ~REC_NO_YEAR;
	} else if (!zs_blank(v[ZK_TIME]) && zs_time(st, v[ZK_TIME], false,
	    rec))
		;
	else if (!zs_blank(v[ZK_DEVTIME]) && zs_time(st, v[ZK_DEVTIME], true,
	    rec))
		;
	else if (!rec->has_ts)
		return -1;
	if (zs_blank(v[ZK_CIP]) && zs_blank(v[ZK_EURL]))
		return -1;

	httplog_set_addr(v[ZK_CIP], RF_SOURCE_IP, RF_MAX, RF_MAX, rec);
	httplog_set_addr(v[ZK_SIP], RF_DESTINATION_IP, RF_MAX, RF_MAX, rec);
	if (!zs_blank(v[ZK_LOGIN]))
		record_set(rec, RF_USER_NAME, v[ZK_LOGIN].p, v[ZK_LOGIN].len);
	if (!zs_blank(v[ZK_METHOD]))
		record_set(rec, RF_HTTP_REQUEST_METHOD, v[ZK_METHOD].p,
		    v[ZK_METHOD].len);
	zs_url(v[ZK_EURL], v[ZK_PROTO], v[ZK_METHOD], rec);
	if (!record_has(rec, RF_URL_DOMAIN))
		httplog_set_domain(v[ZK_HOST], rec);
	if (span_eq(a, "Blocked") || span_eq(a, "Block") ||
	    span_eq(a, "Denied")) {
		record_set_lit(rec, RF_EVENT_ACTION, "denied");
		record_set_lit(rec, RF_EVENT_TYPE, "denied");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	} else {
		if (span_eq(a, "Allowed") || span_eq(a, "Allow")) {
			record_set_lit(rec, RF_EVENT_ACTION, "allowed");
			record_set_lit(rec, RF_EVENT_TYPE, "allowed");
		}
		httplog_set_status(v[ZK_STATUS], rec);
	}
	if (record_has(rec, RF_EVENT_ACTION) && !record_has(rec,
	    RF_HTTP_RESPONSE_STATUS_CODE) && v[ZK_STATUS].len == 3 &&
	    httplog_digits(v[ZK_STATUS].p, 3))
		record_set(rec, RF_HTTP_RESPONSE_STATUS_CODE, v[ZK_STATUS].p,
		    3);
	if (httplog_digits(v[ZK_REQSIZE].p, v[ZK_REQSIZE].len))
		record_set(rec, RF_SOURCE_BYTES, v[ZK_REQSIZE].p,
		    v[ZK_REQSIZE].len);
	if (httplog_digits(v[ZK_RESPSIZE].p, v[ZK_RESPSIZE].len))
		record_set(rec, RF_DESTINATION_BYTES, v[ZK_RESPSIZE].p,
		    v[ZK_RESPSIZE].len);
	if (!zs_blank(v[ZK_UA]))
		record_set(rec, RF_USER_AGENT_ORIGINAL, v[ZK_UA].p,
		    v[ZK_UA].len);
	if (!zs_blank(v[ZK_REFERER]))
		record_set(rec, RF_HTTP_REQUEST_REFERRER, v[ZK_REFERER].p,
		    v[ZK_REFERER].len);
	if (!zs_blank(v[ZK_RULE]))
		record_set(rec, RF_RULE_NAME, v[ZK_RULE].p, v[ZK_RULE].len);
	if (!zs_blank(v[ZK_THREAT]))
		record_set(rec, RF_EVENT_REASON, v[ZK_THREAT].p,
		    v[ZK_THREAT].len);
	if (!zs_blank(v[ZK_DEVICE]))
		record_set(rec, RF_SOURCE_DOMAIN, v[ZK_DEVICE].p,
		    v[ZK_DEVICE].len);
	return 1;
}

/* The JSON feed (maybe wrapped in "event").  Returns 1 or -1. */
static int
zs_json(struct zs_state *st, struct span obj, struct span *v, int depth,
    struct record *rec)
{
	struct jscan	js;
	struct span	key, s;
	struct jval	val;
	enum zs_key	k;
	int		r;

	if (jscan_open(&js, obj) != 0)
		return -1;
	while ((r = jscan_next(&js, &key, &val)) == 1) {
		k = (enum zs_key)jscan_key_cached(&st->kc, zs_keys, key);
		if (k == ZK_NONE)
			continue;
		if (k == ZK_EVENT) {
			if (val.type == JT_OBJECT && depth == 0)
				return zs_json(st, val.v, v, 1, rec);
			continue;
		}
		if (jscan_string(&st->sc, &val, &s))
			v[k] = s;
	}
	if (r != 0)
		return -1;
	return zs_fill(st, v, rec);
}

/* The quoted CSV of the default feed format.  Returns 1 or -1. */
static int
zs_csv_entry(struct zs_state *st, const char *p, const char *end,
    struct span *v, struct record *rec)
{
	const char	*q;
	size_t		 i;

	for (i = 0; i < sizeof zs_csv && p < end; i++) {
		if (*p != '"')
			return -1;
		/* NSS encodes quotes in values; a quote ends the value. */
		if ((q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL)
			return -1;
		if (zs_csv[i] != ZK_NONE) {
			v[zs_csv[i]].p = p + 1;
			v[zs_csv[i]].len = (size_t)(q - p - 1);
		}
		p = q + 1;
		if (p < end && *p == ',')
			p++;
	}
	if (i < 25)
		return -1;
	return zs_fill(st, v, rec);
}

/* Tab-separated name=value pairs (and LEEF).  Returns 1 or -1. */
static int
zs_pairs(struct zs_state *st, const char *p, const char *end, struct span *v,
    struct record *rec)
{
	const char	*q, *eq;
	struct span	 name;
	enum zs_key	 k;
	int		 bars = 0;

	/* "LEEF:1.0|Zscaler|NSS|4.1|reason|" comes before the pairs. */
	if (end - p > 5 && memcmp(p, "LEEF:", 5) == 0) {
		for (q = p; q < end && bars < 5; q++)
			if (*q == '|')
				bars++;
		if (bars < 5)
			return -1;
		p = q;
	}
	while (p < end) {
		if ((q = memchr(p, '\t', (size_t)(end - p))) == NULL)
			q = end;
		if ((eq = memchr(p, '=', (size_t)(q - p))) != NULL) {
			name.p = p;
			name.len = (size_t)(eq - p);
			if ((k = zs_key(name)) != ZK_NONE && k != ZK_EVENT) {
				v[k].p = eq + 1;
				v[k].len = (size_t)(q - eq - 1);
			}
		}
		p = q < end ? q + 1 : end;
	}
	return zs_fill(st, v, rec);
}

/* s in the first max bytes of [p, end); NULL if it is not there. */
static const char *
zs_find(const char *p, const char *end, const char *s, size_t max)
{
	size_t	n = (size_t)(end - p), len = strlen(s);

	if (n > max)
		n = max;
	if (n < len)
		return NULL;
	return memmem(p, n, s, len);
}

/* One entry of any feed type.  Returns 1, 0 or -1. */
static int
zs_body(struct zs_state *st, const char *p, const char *end,
    struct record *rec, bool behind_syslog)
{
	struct span	v[ZK_MAX];

	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return 0;
	memset(v, 0, sizeof v);
	if (*p == '{') {
		/*
		 * Splunk's wrapper {"sourcetype": ..., "event": {...}} comes
		 * first: open the event at once rather than skip it whole
		 * and read it again.
		 */
		const char	*q, *w = zs_find(p, end, "\"event\"", 128);

		if (w != NULL && w[-1] != '\\') {
			for (q = w + 7; q < end && (*q == ' ' ||
			    *q == ':'); q++)
				;
			if (q < end && *q == '{')
				return zs_json(st, (struct span){ q,
				    (size_t)(end - q) }, v, 1, rec);
		}
		return zs_json(st, (struct span){ p, (size_t)(end - p) }, v, 0,
		    rec);
	}
	if (*p == '"')
		return zs_csv_entry(st, p, end, v, rec);
	if ((end - p > 5 && memcmp(p, "LEEF:", 5) == 0) ||
	    memchr(p, '\t', (size_t)(end - p)) != NULL)
		return zs_pairs(st, p, end, v, rec);
	return behind_syslog ? 0 : -1;
}

/* Build the state; NULL on allocation failure. */
static void *
zs_state_new(const struct parser_opts *opts)
{
	struct zs_state	*st;

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
zs_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 a web transaction, 0 a blank line or a
 * syslog line that is not one, -1 malformed.
 */
static int
zs_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct zs_state		*st = state;
	struct syslog_hdr	 hdr;
	const char		*p = line, *end = line + len;
	int			 r;

	scratch_reset(&st->sc);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		r = 0;
	else if (*p == '{' || *p == '"' || (end - p > 5 &&
	    memcmp(p, "LEEF:", 5) == 0))
		r = zs_body(st, p, end, rec, false);
	else if (syslog_parse(&st->sctx, line, len, &hdr) == 0) {
		syslog_to_record(&hdr, rec);
		r = zs_body(st, hdr.msg.p, hdr.msg.p + hdr.msg.len, rec, true);
	} else
		r = zs_body(st, p, end, rec, false);
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
zs_stats(void *state)
{
	struct zs_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
zs_set_ref(void *state, int64_t ref_us)
{
	struct zs_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_zscaler = {
	.name = "zscaler",
	.dataset = "proxy.zscaler",
	.description = "Zscaler NSS web feed (JSON, default CSV, name-value "
	    "pairs, LEEF)",
	.state_new = zs_state_new,
	.state_free = zs_state_free,
	.parse = zs_parse,
	.stats = zs_stats,
	.set_ref = zs_set_ref,
};
