/*
 * zeek.c: Zeek (formerly Bro) logs, conn.log, http.log, ssl.log and dns.log
 * above all, in either of the two forms Zeek writes: tab-separated values
 * under a self-describing header ("#separator \x09", "#path conn",
 * "#fields ts uid id.orig_h ...", "-" for unset, "(empty)" for an empty
 * set), or one JSON object per line.  The log a line belongs to comes from
 * the "#path" header, a "_path" member, the name of a wrapping object
 * ({"conn": {...}}, as Metron and the Kafka writer nest it), or the
 * members it has; the event's dataset is "zeek." and that name.  Every log
 * that names a connection (id.orig_h ...) gives an event with its
 * endpoints; conn, http, ssl and dns fill their own fields too.
 *
 * The TSV header is state: the column map is rebuilt whenever a "#fields"
 * line is read, so a file that changes its layout, or a new file after a
 * rotation, is read with its own columns.  Lines read before any header
 * (a source resumed in the middle of a file) are read with Zeek's fixed
 * leading columns: ts uid id.orig_h id.orig_p id.resp_h id.resp_p.
 *
 * Lines are split with byte scans and every field is a span into the line
 * or into the state's scratch buffer (durations in nanoseconds, JSON
 * strings with escapes, the dataset name), so parsing allocates nothing.
 * It must never read past len and never keep a pointer into a line.
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

/* Columns beyond this many are not read. */
#define ZEEK_MAX_COLS	128
/* Longest log name kept ("conn", "known_services", ...). */
#define ZEEK_PATH_MAX	32
/* Longest "unset" and "empty" markers kept. */
#define ZEEK_MARK_MAX	16

/* What a column or JSON member means to keibi. */
enum zeek_role {
	ZR_NONE = 0,
	ZR_TS,
	ZR_ORIG_H,
	ZR_ORIG_P,
	ZR_RESP_H,
	ZR_RESP_P,
	ZR_PROTO,
	ZR_SERVICE,
	ZR_DURATION,
	ZR_ORIG_BYTES,
	ZR_RESP_BYTES,
	ZR_CONN_STATE,
	ZR_HISTORY,
	ZR_METHOD,
	ZR_HOST,
	ZR_URI,
	ZR_REFERRER,
	ZR_USER_AGENT,
	ZR_STATUS_CODE,
	ZR_USERNAME,
	ZR_REQ_LEN,
	ZR_RESP_LEN,
	ZR_TRANS_DEPTH,
	ZR_SERVER_NAME,
	ZR_ESTABLISHED,
	ZR_CIPHER,
	ZR_QUERY,
	ZR_QTYPE,
	ZR_RCODE_NAME,
	ZR_PATH,
	ZR_ENGINE,
	ZR_MAX
};

/* The logs with fields of their own. */
enum zeek_log {
	ZL_OTHER = 0,
	ZL_CONN,
	ZL_HTTP,
	ZL_SSL,
	ZL_DNS
};

/* Field names as Zeek writes them, TSV and JSON alike. */
static const struct jkey zeek_names[] = {
	JKEY("ts", ZR_TS),
	JKEY("id.orig_h", ZR_ORIG_H),
	JKEY("id.orig_p", ZR_ORIG_P),
	JKEY("id.resp_h", ZR_RESP_H),
	JKEY("id.resp_p", ZR_RESP_P),
	JKEY("proto", ZR_PROTO),
	JKEY("service", ZR_SERVICE),
	JKEY("duration", ZR_DURATION),
	JKEY("orig_bytes", ZR_ORIG_BYTES),
	JKEY("resp_bytes", ZR_RESP_BYTES),
	JKEY("conn_state", ZR_CONN_STATE),
	JKEY("history", ZR_HISTORY),
	JKEY("method", ZR_METHOD),
	JKEY("host", ZR_HOST),
	JKEY("uri", ZR_URI),
	JKEY("referrer", ZR_REFERRER),
	JKEY("user_agent", ZR_USER_AGENT),
	JKEY("status_code", ZR_STATUS_CODE),
	JKEY("username", ZR_USERNAME),
	JKEY("request_body_len", ZR_REQ_LEN),
	JKEY("response_body_len", ZR_RESP_LEN),
	JKEY("trans_depth", ZR_TRANS_DEPTH),
	JKEY("server_name", ZR_SERVER_NAME),
	JKEY("established", ZR_ESTABLISHED),
	JKEY("cipher", ZR_CIPHER),
	JKEY("query", ZR_QUERY),
	JKEY("qtype_name", ZR_QTYPE),
	JKEY("rcode_name", ZR_RCODE_NAME),
	JKEY("_path", ZR_PATH),
	JKEY("bro_engine", ZR_ENGINE),
	{ NULL, 0, 0 }
};

/* The leading columns every connection log shares (no header read). */
static const uint8_t zeek_default_cols[] = {
	ZR_TS, ZR_NONE, ZR_ORIG_H, ZR_ORIG_P, ZR_RESP_H, ZR_RESP_P
};

struct zeek_state {
	struct parser_stats	stats;
	struct scratch		sc;
	struct jkey_cache	kc;		/* JSON member names */
	/* TSV header */
	bool			have_fields;
	char			sep;
	uint8_t			ncols;
	uint8_t			cols[ZEEK_MAX_COLS];	/* enum zeek_role */
	char			unset[ZEEK_MARK_MAX];
	size_t			unset_len;
	char			empty[ZEEK_MARK_MAX];
	size_t			empty_len;
	char			path[ZEEK_PATH_MAX];
	size_t			path_len;
	char			dataset[ZEEK_PATH_MAX + 8];
	size_t			dataset_len;
};

/* The values of one line, by role. */
struct zeek_line {
	struct span	v[ZR_MAX];
	bool		json;
};

/* Role of a field name; ZR_NONE if keibi does not read it. */
static enum zeek_role
zeek_role(struct span name)
{
	if (name.len == 0 || name.len > 17)
		return ZR_NONE;
	return (enum zeek_role)jscan_key(zeek_names, name);
}

/* True if a path name is one keibi may put in a dataset. */
static bool
zeek_path_ok(struct span p)
{
	size_t	i;

	if (p.len == 0 || p.len >= ZEEK_PATH_MAX)
		return false;
	for (i = 0; i < p.len; i++) {
		char	c = p.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The log of a path name. */
static enum zeek_log
zeek_log_of(struct span path)
{
	if (span_eq(path, "conn"))
		return ZL_CONN;
	if (span_eq(path, "http"))
		return ZL_HTTP;
	if (span_eq(path, "ssl"))
		return ZL_SSL;
	if (span_eq(path, "dns"))
		return ZL_DNS;
	return ZL_OTHER;
}

/* Set the state's path and dataset ("zeek.conn"); "" forgets them. */
static void
zeek_set_path(struct zeek_state *st, struct span path)
{
	if (!zeek_path_ok(path)) {
		st->path_len = 0;
		st->dataset_len = 0;
		return;
	}
	memcpy(st->path, path.p, path.len);
	st->path_len = path.len;
	memcpy(st->dataset, "zeek.", 5);
	memcpy(st->dataset + 5, path.p, path.len);
	st->dataset_len = path.len + 5;
}

/*
 * Copy a header value into a marker buffer, decoding "\xHH" escapes (the
 * separator is written "\x09").  Returns the length, 0 if it is too long.
 */
static size_t
zeek_unescape(struct span v, char *out, size_t size)
{
	size_t	i, n = 0;
	int	hi, lo;

	for (i = 0; i < v.len && n < size; i++) {
		if (v.p[i] == '\\' && i + 3 < v.len && v.p[i + 1] == 'x') {
			hi = v.p[i + 2];
			lo = v.p[i + 3];
			hi = hi >= 'a' ? hi - 'a' + 10 : hi >= 'A' ?
			    hi - 'A' + 10 : hi - '0';
			lo = lo >= 'a' ? lo - 'a' + 10 : lo >= 'A' ?
			    lo - 'A' + 10 : lo - '0';
			if (hi >= 0 && hi < 16 && lo >= 0 && lo < 16) {
				out[n++] = (char)(hi * 16 + lo);
				i += 3;
				continue;
			}
		}
		out[n++] = v.p[i];
	}
	return i < v.len ? 0 : n;
}

/* A "#..." header line.  Always 0: headers are not events. */
static int
zeek_header(struct zeek_state *st, const char *p, const char *end)
{
	const char	*q, *f;
	struct span	 key, val;
	char		 buf[ZEEK_MARK_MAX];
	size_t		 n;
	uint8_t		 i;

	/* "#separator \x09" has a space; the others the separator. */
	for (q = p; q < end && *q != ' ' && *q != '\t' && *q != st->sep; q++)
		;
	key.p = p + 1;
	key.len = (size_t)(q - p - 1);
	if (q < end)
		q++;
	val.p = q;
	val.len = (size_t)(end - q);

	if (span_eq(key, "separator")) {
		if (zeek_unescape(val, buf, sizeof buf) == 1)
			st->sep = buf[0];
	} else if (span_eq(key, "unset_field")) {
		n = zeek_unescape(val, st->unset, sizeof st->unset);
		st->unset_len = n;
	} else if (span_eq(key, "empty_field")) {
		n = zeek_unescape(val, st->empty, sizeof st->empty);
		st->empty_len = n;
	} else if (span_eq(key, "path"))
		zeek_set_path(st, val);
	else if (span_eq(key, "fields")) {
		/* Column names are separated like the values. */
		memset(st->cols, 0, sizeof st->cols);
		for (i = 0, f = val.p; f < end && i < ZEEK_MAX_COLS; i++) {
			for (q = f; q < end && *q != st->sep; q++)
				;
			key.p = f;
			key.len = (size_t)(q - f);
			st->cols[i] = (uint8_t)zeek_role(key);
			f = q + 1;
		}
		st->ncols = i;
		st->have_fields = true;
	}
	return 0;
}

/* True if a TSV value is the unset or empty marker. */
static bool
zeek_is_blank(const struct zeek_state *st, const char *p, size_t len)
{
	return len == 0 || (len == st->unset_len &&
	    memcmp(p, st->unset, len) == 0) || (len == st->empty_len &&
	    memcmp(p, st->empty, len) == 0);
}

/* Split a TSV data line into zl by the column map.  Returns 0 or -1. */
static int
zeek_tsv(struct zeek_state *st, const char *p, const char *end,
    struct zeek_line *zl)
{
	const uint8_t	*cols = st->cols;
	size_t		 ncols = st->ncols, i;
	const char	*q;

	if (!st->have_fields) {
		cols = zeek_default_cols;
		ncols = sizeof zeek_default_cols;
	}
	for (i = 0; i < ncols; i++) {
		q = memchr(p, st->sep, (size_t)(end - p));
		if (q == NULL)
			q = end;
		if (cols[i] != ZR_NONE &&
		    !zeek_is_blank(st, p, (size_t)(q - p))) {
			zl->v[cols[i]].p = p;
			zl->v[cols[i]].len = (size_t)(q - p);
		}
		if (q == end) {
			i++;
			break;
		}
		p = q + 1;
	}
	/* Fewer values than columns: a torn or foreign line. */
	if (st->have_fields && i < ncols)
		return -1;
	return 0;
}

/*
 * A wrapper named after the log at the start of obj, {"conn": {...}}:
 * the inner object (to the end of the line) and the name; false if obj
 * does not start with one.
 */
static bool
zeek_wrapper(struct span obj, struct span *inner, struct span *name)
{
	const char	*p = obj.p, *end = obj.p + obj.len, *q;

	if (obj.len < 6 || p[0] != '{' || p[1] != '"')
		return false;
	for (q = p + 2; q < end && q - p < ZEEK_PATH_MAX + 2 && *q != '"'; q++)
		;
	if (q >= end || *q != '"')
		return false;
	name->p = p + 2;
	name->len = (size_t)(q - p - 2);
	if (!zeek_path_ok(*name))
		return false;
	for (q++; q < end && (*q == ' ' || *q == ':'); q++)
		;
	if (q >= end || *q != '{')
		return false;
	inner->p = q;
	inner->len = (size_t)(end - q);
	return true;
}

/*
 * Read the members of a JSON object into zl.  A wrapping object named
 * after the log ({"conn": {...}}, as Metron and the Kafka writer nest it)
 * is opened and its name taken as the path.  Returns 0 or -1.
 */
static int
zeek_json(struct zeek_state *st, struct span obj, struct zeek_line *zl)
{
	struct jscan	js;
	struct span	key, s;
	struct jval	val;
	enum zeek_role	role;
	int		r;

	zl->json = true;
	if (zeek_wrapper(obj, &s, &key)) {
		zl->v[ZR_PATH] = key;
		obj = s;
	}
	if (jscan_open(&js, obj) != 0)
		return -1;
	while ((r = jscan_next(&js, &key, &val)) == 1) {
		role = (enum zeek_role)jscan_key_cached(&st->kc, zeek_names,
		    key);
		if (role == ZR_NONE)
			continue;
		if (val.type == JT_NULL)
			continue;
		if (val.type == JT_ARRAY || val.type == JT_OBJECT) {
			/* Sets and vectors: keibi reads none of them. */
			continue;
		}
		if (!jscan_string(&st->sc, &val, &s) || s.len == 0)
			continue;
		zl->v[role] = s;
	}
	return r == 0 ? 0 : -1;
}

/* Parse epoch seconds "1672843056.913119" into rec's time. */
static bool
zeek_epoch(struct span s, struct record *rec)
{
	const char	*dot = memchr(s.p, '.', s.len);
	size_t		 ilen = dot != NULL ? (size_t)(dot - s.p) : s.len;
	size_t		 flen = dot != NULL ? s.len - ilen - 1 : 0;
	int64_t		 secs = 0, frac = 0;
	size_t		 i;

	if (ilen == 0 || ilen > 12 || !httplog_digits(s.p, ilen) ||
	    (flen > 0 && !httplog_digits(dot + 1, flen)))
		return false;
	for (i = 0; i < ilen; i++)
		secs = secs * 10 + (s.p[i] - '0');
	for (i = 0; i < 6; i++)
		frac = frac * 10 + (i < flen ? dot[1 + i] - '0' : 0);
	rec->ts_us = secs * 1000000 + frac;
	rec->ts_digits = flen == 0 ? 0 : flen <= 3 ? 3 : 6;
	rec->tz_off = 0;
	rec->has_ts = true;
	return true;
}

/* Set @timestamp from ts: epoch seconds, or ISO 8601 in JSON logs. */
static bool
zeek_set_time(struct span ts, struct record *rec)
{
	uint8_t	digits;

	if (ts.len == 0)
		return false;
	if (zeek_epoch(ts, rec))
		return true;
	if (iso8601_parse(ts.p, ts.len, NULL, &rec->ts_us, &rec->tz_off,
	    &digits) == ts.len) {
		rec->ts_digits = digits;
		rec->has_ts = true;
		return true;
	}
	return false;
}

/* The log of a line whose path nothing named, from its members. */
static enum zeek_log
zeek_guess(const struct zeek_line *zl)
{
	if (zl->v[ZR_CONN_STATE].len > 0 || zl->v[ZR_HISTORY].len > 0 ||
	    zl->v[ZR_ORIG_BYTES].len > 0)
		return ZL_CONN;
	if (zl->v[ZR_TRANS_DEPTH].len > 0 && (zl->v[ZR_URI].len > 0 ||
	    zl->v[ZR_STATUS_CODE].len > 0 || zl->v[ZR_METHOD].len > 0))
		return ZL_HTTP;
	if (zl->v[ZR_QUERY].len > 0 || zl->v[ZR_RCODE_NAME].len > 0)
		return ZL_DNS;
	if (zl->v[ZR_SERVER_NAME].len > 0 || zl->v[ZR_CIPHER].len > 0 ||
	    zl->v[ZR_ESTABLISHED].len > 0)
		return ZL_SSL;
	return ZL_OTHER;
}

static const char *const zeek_log_names[] = {
	[ZL_OTHER] = NULL,
	[ZL_CONN] = "conn",
	[ZL_HTTP] = "http",
	[ZL_SSL] = "ssl",
	[ZL_DNS] = "dns",
};

/*
 * Decide the log of a JSON line and set event.dataset: the _path member,
 * the wrapper's name, bro_engine ("SSL"), or what its members say.
 */
static enum zeek_log
zeek_json_log(struct zeek_state *st, struct zeek_line *zl, struct record *rec)
{
	struct span	path = zl->v[ZR_PATH], ds;
	enum zeek_log	log;
	char		 lower[ZEEK_PATH_MAX];
	size_t		 i;

	if (path.len == 0 && zl->v[ZR_ENGINE].len > 0 &&
	    zl->v[ZR_ENGINE].len < sizeof lower) {
		/* OwlH's "bro_engine": "SSL" names the log in capitals. */
		for (i = 0; i < zl->v[ZR_ENGINE].len; i++)
			lower[i] = zl->v[ZR_ENGINE].p[i] | 0x20;
		path.p = lower;
		path.len = zl->v[ZR_ENGINE].len;
	}
	if (zeek_path_ok(path))
		log = zeek_log_of(path);
	else {
		log = zeek_guess(zl);
		path = SPAN_NULL;
		if (log != ZL_OTHER) {
			path.p = zeek_log_names[log];
			path.len = strlen(path.p);
		}
	}
	if (path.len > 0 && scratch_cat(&st->sc, SPAN_LIT("zeek."), path, &ds))
		record_set(rec, RF_EVENT_DATASET, ds.p, ds.len);
	return log;
}

/* Set event.duration (ns) from seconds "0.084044". */
static void
zeek_set_duration(struct zeek_state *st, struct span secs, struct record *rec)
{
	struct span	ns;

	if (secs.len > 0 && scratch_scaled(&st->sc, secs, 9, &ns))
		record_set(rec, RF_EVENT_DURATION, ns.p, ns.len);
}

/* Set a count field if the value is digits. */
static void
zeek_set_count(struct span v, enum rf rf, struct record *rec)
{
	if (v.len > 0 && v.len <= 19 && httplog_digits(v.p, v.len))
		record_set(rec, rf, v.p, v.len);
}

/* conn.log: transport, service, duration, bytes, state. */
static void
zeek_conn(struct zeek_state *st, const struct zeek_line *zl,
    struct record *rec)
{
	struct span	cs = zl->v[ZR_CONN_STATE];

	if (zl->v[ZR_SERVICE].len > 0)
		record_set(rec, RF_NETWORK_PROTOCOL, zl->v[ZR_SERVICE].p,
		    zl->v[ZR_SERVICE].len);
	zeek_set_duration(st, zl->v[ZR_DURATION], rec);
	zeek_set_count(zl->v[ZR_ORIG_BYTES], RF_SOURCE_BYTES, rec);
	zeek_set_count(zl->v[ZR_RESP_BYTES], RF_DESTINATION_BYTES, rec);
	if (cs.len == 0)
		return;
	record_set(rec, RF_EVENT_ACTION, cs.p, cs.len);
	/* No answer (S0), rejected (REJ) or reset before it was set up. */
	if (span_eq(cs, "S0") || span_eq(cs, "REJ") || span_eq(cs, "RSTOS0") ||
	    span_eq(cs, "RSTRH") || span_eq(cs, "SH"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	else
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
}

/* http.log: request and response. */
static void
zeek_http(const struct zeek_line *zl, struct record *rec)
{
	struct span	host, uri = zl->v[ZR_URI];

	record_set_lit(rec, RF_NETWORK_PROTOCOL, "http");
	if (zl->v[ZR_METHOD].len > 0)
		record_set(rec, RF_HTTP_REQUEST_METHOD, zl->v[ZR_METHOD].p,
		    zl->v[ZR_METHOD].len);
	if (uri.len > 0)
		httplog_set_url(uri, zl->v[ZR_METHOD], rec, &host);
	if (zl->v[ZR_HOST].len > 0)
		httplog_set_domain(zl->v[ZR_HOST], rec);
	if (zl->v[ZR_REFERRER].len > 0)
		record_set(rec, RF_HTTP_REQUEST_REFERRER, zl->v[ZR_REFERRER].p,
		    zl->v[ZR_REFERRER].len);
	if (zl->v[ZR_USER_AGENT].len > 0)
		record_set(rec, RF_USER_AGENT_ORIGINAL, zl->v[ZR_USER_AGENT].p,
		    zl->v[ZR_USER_AGENT].len);
	if (zl->v[ZR_USERNAME].len > 0)
		record_set(rec, RF_USER_NAME, zl->v[ZR_USERNAME].p,
		    zl->v[ZR_USERNAME].len);
	httplog_set_status(zl->v[ZR_STATUS_CODE], rec);
	zeek_set_count(zl->v[ZR_REQ_LEN], RF_SOURCE_BYTES, rec);
	zeek_set_count(zl->v[ZR_RESP_LEN], RF_DESTINATION_BYTES, rec);
}

/* ssl.log: the server name and whether the handshake finished. */
static void
zeek_ssl(const struct zeek_line *zl, struct record *rec)
{
	struct span	est = zl->v[ZR_ESTABLISHED];

	record_set_lit(rec, RF_NETWORK_PROTOCOL, "tls");
	if (zl->v[ZR_SERVER_NAME].len > 0)
		record_set(rec, RF_TLS_SERVER_NAME, zl->v[ZR_SERVER_NAME].p,
		    zl->v[ZR_SERVER_NAME].len);
	if (span_eq(est, "T") || span_eq(est, "true"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	else if (span_eq(est, "F") || span_eq(est, "false"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
}

/* dns.log: the question and the answer's code. */
static void
zeek_dns(const struct zeek_line *zl, struct record *rec)
{
	struct span	rc = zl->v[ZR_RCODE_NAME];

	record_set_lit(rec, RF_NETWORK_PROTOCOL, "dns");
	if (zl->v[ZR_QUERY].len > 0)
		record_set(rec, RF_DNS_QUESTION_NAME, zl->v[ZR_QUERY].p,
		    zl->v[ZR_QUERY].len);
	if (rc.len == 0)
		return;
	record_set(rec, RF_EVENT_REASON, rc.p, rc.len);
	if (span_eq(rc, "NOERROR"))
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	else
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
}

/* Turn the values of a line into rec.  Returns 1, or -1. */
static int
zeek_fill(struct zeek_state *st, struct zeek_line *zl, enum zeek_log log,
    struct record *rec)
{
	if (!zeek_set_time(zl->v[ZR_TS], rec))
		return -1;
	/* Connection logs name both ends; others (files, x509) do not. */
	httplog_set_addr(zl->v[ZR_ORIG_H], RF_SOURCE_IP, RF_MAX, RF_MAX, rec);
	httplog_set_addr(zl->v[ZR_RESP_H], RF_DESTINATION_IP, RF_MAX, RF_MAX,
	    rec);
	/* Without a header, only a line with both ends is believed. */
	if (!st->have_fields && !zl->json &&
	    (!record_has(rec, RF_SOURCE_IP) ||
	    !record_has(rec, RF_DESTINATION_IP)))
		return -1;
	if (zl->v[ZR_PROTO].len > 0 && zl->v[ZR_PROTO].len <= 8)
		record_set(rec, RF_NETWORK_TRANSPORT, zl->v[ZR_PROTO].p,
		    zl->v[ZR_PROTO].len);
	switch (log) {
	case ZL_CONN:
		zeek_conn(st, zl, rec);
		break;
	case ZL_HTTP:
		zeek_http(zl, rec);
		break;
	case ZL_SSL:
		zeek_ssl(zl, rec);
		break;
	case ZL_DNS:
		zeek_dns(zl, rec);
		break;
	case ZL_OTHER:
		break;
	}
	/* After the URL, which may name another port (CONNECT host:443). */
	zeek_set_count(zl->v[ZR_ORIG_P], RF_SOURCE_PORT, rec);
	if (zl->v[ZR_RESP_P].len > 0)
		record_unset(rec, RF_DESTINATION_PORT);
	zeek_set_count(zl->v[ZR_RESP_P], RF_DESTINATION_PORT, rec);
	return 1;
}

/* Parse one line.  Returns 1, 0 or -1. */
static int
zeek_line(struct zeek_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct zeek_line	 zl;
	struct span		 obj;
	const char		*p = line, *end = line + len;
	enum zeek_log		 log;

	while (p < end && (*p == ' ' || *p == '\r'))
		p++;
	if (p == end)
		return 0;
	memset(&zl, 0, sizeof zl);
	if (*p == '#')
		return zeek_header(st, p, end);
	if (*p == '{') {
		obj.p = p;
		obj.len = (size_t)(end - p);
		if (zeek_json(st, obj, &zl) != 0)
			return -1;
		log = zeek_json_log(st, &zl, rec);
		return zeek_fill(st, &zl, log, rec);
	}
	if (zeek_tsv(st, p, end, &zl) != 0)
		return -1;
	if (st->have_fields && st->path_len > 0) {
		log = zeek_log_of((struct span){ st->path, st->path_len });
		record_set(rec, RF_EVENT_DATASET, st->dataset,
		    st->dataset_len);
	} else if (st->have_fields) {
		log = zeek_guess(&zl);
		if (log != ZL_OTHER) {
			struct span	ds;

			if (scratch_cat(&st->sc, SPAN_LIT("zeek."),
			    (struct span){ zeek_log_names[log],
			    strlen(zeek_log_names[log]) }, &ds))
				record_set(rec, RF_EVENT_DATASET, ds.p,
				    ds.len);
		}
	} else
		log = ZL_OTHER;
	return zeek_fill(st, &zl, log, rec);
}

/* Build the state; NULL on allocation failure. */
static void *
zeek_state_new(const struct parser_opts *opts)
{
	struct zeek_state	*st;

	(void)opts;
	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->sep = '\t';
	memcpy(st->unset, "-", 1);
	st->unset_len = 1;
	memcpy(st->empty, "(empty)", 7);
	st->empty_len = 7;
	return st;
}

/* Free the state; accepts NULL. */
static void
zeek_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an event, 0 a header or blank line, -1 a
 * line that is neither a Zeek record nor a header.
 */
static int
zeek_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct zeek_state	*st = state;
	int			 r;

	scratch_reset(&st->sc);
	r = zeek_line(st, line, len, rec);
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
zeek_stats(void *state)
{
	struct zeek_state	*st = state;

	return &st->stats;
}

const struct parser parser_zeek = {
	.name = "zeek",
	.dataset = "zeek",
	.description = "Zeek conn, http, ssl, dns and other logs (TSV with "
	    "header, or JSON)",
	.state_new = zeek_state_new,
	.state_free = zeek_state_free,
	.parse = zeek_parse,
	.stats = zeek_stats,
};
