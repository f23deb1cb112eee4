/*
 * envoy.c: Envoy access logs, in Envoy's default text format
 *
 *   [2026-11-21T10:00:00.310Z] "POST /api/v1/items HTTP/2" 204 - 154 0 226
 *   100 "192.0.2.10" "curl/8.5.0" "c3c1..." "api.example.com"
 *   "10.0.2.1:80"
 *
 * (start, request, status, response flags, bytes received and sent,
 * duration, upstream service time, X-Forwarded-For, User-Agent, request
 * id, authority, upstream host) and as JSON objects with Envoy's operator
 * names (downstream_remote_address, ":authority" or "authority", method,
 * "x-envoy-origin-path" or "path", response_code, bytes_sent, duration,
 * upstream_host, start_time, ...) as Envoy Gateway and Istio write them.
 * Either may carry the "<time> stdout F " prefix of a container runtime's
 * log file, which is skipped.
 *
 * The client is source.*: the downstream address where it is logged, else
 * the last X-Forwarded-For entry, the hop nearest the proxy (the default
 * text format has no other; earlier entries are the client's own claim).
 * The upstream host is destination.*, the authority url.domain, bytes sent
 * to the client destination.bytes, the duration (ms) event.duration and
 * response flags other than "-" event.reason.
 *
 * Fields are spans into the line or into the state's scratch buffer; the
 * parser allocates nothing, never reads past len and keeps no pointer into
 * the line.
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

struct envoy_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	struct scratch		sc;
	struct jkey_cache	kc;
};

/* The values keibi reads, from either format. */
enum envoy_key {
	EK_NONE = 0,
	EK_START,
	EK_METHOD,
	EK_PATH,
	EK_PROTOCOL,
	EK_STATUS,
	EK_FLAGS,
	EK_RECEIVED,
	EK_SENT,
	EK_DURATION,
	EK_XFF,
	EK_AGENT,
	EK_AUTHORITY,
	EK_UPSTREAM,
	EK_DOWNSTREAM,
	EK_ROUTE,
	EK_MAX
};

static const struct jkey envoy_keys[] = {
	JKEY("start_time", EK_START),
	JKEY("method", EK_METHOD),
	JKEY("x-envoy-origin-path", EK_PATH),
	JKEY("x-envoy-original-path", EK_PATH),
	JKEY("path", EK_PATH),
	JKEY("protocol", EK_PROTOCOL),
	JKEY("response_code", EK_STATUS),
	JKEY("response_flags", EK_FLAGS),
	JKEY("bytes_received", EK_RECEIVED),
	JKEY("bytes_sent", EK_SENT),
	JKEY("duration", EK_DURATION),
	JKEY("x-forwarded-for", EK_XFF),
	JKEY("x_forwarded_for", EK_XFF),
	JKEY("user-agent", EK_AGENT),
	JKEY("user_agent", EK_AGENT),
	JKEY(":authority", EK_AUTHORITY),
	JKEY("authority", EK_AUTHORITY),
	JKEY("upstream_host", EK_UPSTREAM),
	JKEY("downstream_remote_address", EK_DOWNSTREAM),
	JKEY("route_name", EK_ROUTE),
	{ NULL, 0, 0 }
};

/*
 * Skip a container runtime's prefix "2026-...Z stdout F " at p; returns
 * where the log text starts.
 */
static const char *
envoy_cri(const char *p, const char *end)
{
	struct hl_cur	c = { p, end };
	struct span	ts, stream, tag;

	if (end - p < 20 || p[4] != '-' || !httplog_token(&c, &ts) ||
	    !httplog_token(&c, &stream) || !httplog_token(&c, &tag))
		return p;
	if ((!span_eq(stream, "stdout") && !span_eq(stream, "stderr")) ||
	    (!span_eq(tag, "F") && !span_eq(tag, "P")))
		return p;
	if (c.p < c.end && *c.p == ' ')
		c.p++;
	return c.p;
}

/*
 * Set source.* from the last address of an X-Forwarded-For list: the
 * hop nearest the proxy.  Earlier entries are what the client claims and
 * could name anyone.
 */
static void
envoy_xff(struct span xff, struct record *rec)
{
	httplog_set_addr(httplog_last_hop(xff), RF_SOURCE_IP, RF_SOURCE_PORT,
	    RF_MAX, rec);
}

/* Set destination.* from "10.0.2.1:80" or "tcp://[fd00::1]:8080". */
static void
envoy_upstream(struct span up, struct record *rec)
{
	if (up.len > 6 && memcmp(up.p, "tcp://", 6) == 0) {
		up.p += 6;
		up.len -= 6;
	}
	httplog_set_addr(up, RF_DESTINATION_IP, RF_DESTINATION_PORT,
	    RF_DESTINATION_DOMAIN, rec);
}

/* Set the record from the values of a line.  Returns 1 or -1. */
static int
envoy_fill(struct envoy_state *st, struct span *v, struct record *rec)
{
	struct span	host, ns;
	uint8_t		digits;

	if (v[EK_START].len == 0 || iso8601_parse(v[EK_START].p,
	    v[EK_START].len, st->sctx.tz, &rec->ts_us, &rec->tz_off,
	    &digits) != v[EK_START].len)
		return -1;
	rec->ts_digits = digits;
	rec->has_ts = true;
	if (!httplog_set_addr(v[EK_DOWNSTREAM], RF_SOURCE_IP, RF_SOURCE_PORT,
	    RF_MAX, rec))
		envoy_xff(v[EK_XFF], rec);
	if (v[EK_METHOD].len > 0 && !httplog_is_dash(v[EK_METHOD]))
		record_set(rec, RF_HTTP_REQUEST_METHOD, v[EK_METHOD].p,
		    v[EK_METHOD].len);
	httplog_set_url(v[EK_PATH], v[EK_METHOD], rec, &host);
	httplog_set_domain(v[EK_AUTHORITY], rec);
	httplog_set_status(v[EK_STATUS], rec);
	if (v[EK_FLAGS].len > 0 && !httplog_is_dash(v[EK_FLAGS]))
		record_set(rec, RF_EVENT_REASON, v[EK_FLAGS].p,
		    v[EK_FLAGS].len);
	if (httplog_digits(v[EK_RECEIVED].p, v[EK_RECEIVED].len))
		record_set(rec, RF_SOURCE_BYTES, v[EK_RECEIVED].p,
		    v[EK_RECEIVED].len);
	if (httplog_digits(v[EK_SENT].p, v[EK_SENT].len))
		record_set(rec, RF_DESTINATION_BYTES, v[EK_SENT].p,
		    v[EK_SENT].len);
	if (httplog_digits(v[EK_DURATION].p, v[EK_DURATION].len) &&
	    scratch_scaled(&st->sc, v[EK_DURATION], 6, &ns))
		record_set(rec, RF_EVENT_DURATION, ns.p, ns.len);
	if (v[EK_AGENT].len > 0 && !httplog_is_dash(v[EK_AGENT]))
		record_set(rec, RF_USER_AGENT_ORIGINAL, v[EK_AGENT].p,
		    v[EK_AGENT].len);
	envoy_upstream(v[EK_UPSTREAM], rec);
	if (v[EK_ROUTE].len > 0 && !httplog_is_dash(v[EK_ROUTE]))
		record_set(rec, RF_RULE_NAME, v[EK_ROUTE].p, v[EK_ROUTE].len);
	return 1;
}

/* The default text format.  Returns 1 or -1. */
static int
envoy_text(struct envoy_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct hl_cur	c = { p, end };
	struct span	v[EK_MAX], req, version, skip;

	memset(v, 0, sizeof v);
	if (!httplog_bracketed(&c, &v[EK_START]))
		return -1;
	/* "[time][thread][level][logger] text": Envoy's own log. */
	httplog_skip(&c);
	if (c.p < c.end && *c.p != '"')
		return 0;
	if (!httplog_quoted(&c, &req) || !httplog_token(&c, &v[EK_STATUS]) ||
	    !httplog_token(&c, &v[EK_FLAGS]) ||
	    !httplog_token(&c, &v[EK_RECEIVED]) ||
	    !httplog_token(&c, &v[EK_SENT]) ||
	    !httplog_token(&c, &v[EK_DURATION]))
		return -1;
	httplog_request(req, &v[EK_METHOD], &v[EK_PATH], &version);
	/* The rest are optional in shortened formats. */
	if (httplog_token(&c, &skip) && httplog_quoted(&c, &v[EK_XFF]) &&
	    httplog_quoted(&c, &v[EK_AGENT]) && httplog_quoted(&c, &skip) &&
	    httplog_quoted(&c, &v[EK_AUTHORITY]))
		httplog_quoted(&c, &v[EK_UPSTREAM]);
	return envoy_fill(st, v, rec);
}

/* The JSON format.  Returns 1 or -1. */
static int
envoy_json(struct envoy_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct span	 v[EK_MAX], key, s;
	struct jscan	 js;
	struct jval	 val;
	enum envoy_key	 k;
	int		 r;

	memset(v, 0, sizeof v);
	if (jscan_open(&js, (struct span){ p, (size_t)(end - p) }) != 0)
		return -1;
	while ((r = jscan_next(&js, &key, &val)) == 1) {
		k = (enum envoy_key)jscan_key_cached(&st->kc, envoy_keys, key);
		if (k == EK_NONE || v[k].len > 0)
			continue;
		if (jscan_string(&st->sc, &val, &s))
			v[k] = s;
	}
	if (r != 0)
		return -1;
	return envoy_fill(st, v, rec);
}

/* Build the state; NULL on allocation failure. */
static void *
envoy_state_new(const struct parser_opts *opts)
{
	struct envoy_state	*st;

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
envoy_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an access entry, 0 a blank line or one of
 * Envoy's own messages, -1 an entry that is broken.
 */
static int
envoy_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct envoy_state	*st = state;
	const char		*p = line, *end = line + len;
	int			 r;

	scratch_reset(&st->sc);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p >= '0' && *p <= '9')
		p = envoy_cri(p, end);
	if (p == end)
		r = 0;
	else if (*p == '{')
		r = envoy_json(st, p, end, rec);
	else if (*p == '[')
		r = envoy_text(st, p, end, rec);
	else
		r = 0;
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
envoy_stats(void *state)
{
	struct envoy_state	*st = state;

	return &st->stats;
}

const struct parser parser_envoy = {
	.name = "envoy",
	.dataset = "proxy.envoy",
	.description = "Envoy access log (default text format and JSON)",
	.state_new = envoy_state_new,
	.state_free = envoy_state_free,
	.parse = envoy_parse,
	.stats = envoy_stats,
};
