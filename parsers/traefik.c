/*
 * traefik.c: Traefik access logs in both of Traefik's formats.  The
 * default "common" format is the combined log format followed by Traefik's
 * own fields:
 *
 *   10.0.0.2 - alice [21/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 17
 *   "-" "curl/8.5.0" 72 "router@docker" "http://172.17.0.3:80" 4ms
 *
 * (requests served so far, router name, backend URL, duration), and the
 * "json" format, one object per line with ClientHost, RequestMethod,
 * RequestPath, DownstreamStatus, Duration (ns) and so on.  The client is
 * source.*, the backend the request went to destination.*, the router
 * rule.name, bytes sent to the client destination.bytes.  Lines that are
 * neither (Traefik's own messages, plugin output) are not events.
 *
 * Fields are spans into the line or into the state's scratch buffer
 * (durations, JSON strings with escapes); parsing allocates nothing,
 * never reads past len and keeps no pointer into the line.
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

struct traefik_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
	struct scratch		sc;
	struct jkey_cache	kc;
};

/* JSON members keibi reads. */
enum traefik_key {
	TK_NONE = 0,
	TK_CLIENT_HOST,
	TK_CLIENT_ADDR,
	TK_CLIENT_PORT,
	TK_USER,
	TK_METHOD,
	TK_PATH,
	TK_HOST,
	TK_PORT,
	TK_SCHEME,
	TK_STATUS,
	TK_SIZE,
	TK_DURATION,
	TK_START,
	TK_TIME,
	TK_SERVICE_ADDR,
	TK_ROUTER,
	TK_USER_AGENT,
	TK_REFERER,
	TK_MAX
};

static const struct jkey traefik_keys[] = {
	JKEY("ClientHost", TK_CLIENT_HOST),
	JKEY("ClientAddr", TK_CLIENT_ADDR),
	JKEY("ClientPort", TK_CLIENT_PORT),
	JKEY("ClientUsername", TK_USER),
	JKEY("RequestMethod", TK_METHOD),
	JKEY("RequestPath", TK_PATH),
	JKEY("RequestHost", TK_HOST),
	JKEY("RequestPort", TK_PORT),
	JKEY("RequestScheme", TK_SCHEME),
	JKEY("DownstreamStatus", TK_STATUS),
	JKEY("DownstreamContentSize", TK_SIZE),
	JKEY("Duration", TK_DURATION),
	JKEY("StartUTC", TK_START),
	JKEY("time", TK_TIME),
	JKEY("ServiceAddr", TK_SERVICE_ADDR),
	JKEY("RouterName", TK_ROUTER),
	JKEY("request_User-Agent", TK_USER_AGENT),
	JKEY("request_Referer", TK_REFERER),
	{ NULL, 0, 0 }
};

/* Set destination.* from the backend URL "http://172.17.0.3:80". */
static void
traefik_backend(struct span url, struct record *rec)
{
	const char	*p, *end = url.p + url.len, *slash;
	struct span	 hp;

	if (url.len == 0 || httplog_is_dash(url))
		return;
	p = url.p;
	if (url.len > 3 && (slash = memchr(url.p, '/', url.len)) != NULL &&
	    slash > url.p && slash[-1] == ':' && end - slash > 1 &&
	    slash[1] == '/')
		p = slash + 2;
	for (hp.p = p; p < end && *p != '/'; p++)
		;
	hp.len = (size_t)(p - hp.p);
	httplog_set_addr(hp, RF_DESTINATION_IP, RF_DESTINATION_PORT,
	    RF_DESTINATION_DOMAIN, rec);
}

/* Set event.duration from "12ms" (common format). */
static void
traefik_ms(struct traefik_state *st, struct span d, struct record *rec)
{
	struct span	ns;

	if (d.len < 3 || memcmp(d.p + d.len - 2, "ms", 2) != 0)
		return;
	d.len -= 2;
	if (scratch_scaled(&st->sc, d, 6, &ns))
		record_set(rec, RF_EVENT_DURATION, ns.p, ns.len);
}

/* The common format.  Returns 1 or -1. */
static int
traefik_clf(struct traefik_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct hl_cur	c = { p, end };
	struct span	count, router, backend, dur;

	if (httplog_clf(&c, st->sctx.tz, rec) != 1)
		return -1;
	if (!httplog_token(&c, &count))
		return 1;
	if (httplog_quoted(&c, &router) && router.len > 0 &&
	    !httplog_is_dash(router))
		record_set(rec, RF_RULE_NAME, router.p, router.len);
	if (httplog_quoted(&c, &backend))
		traefik_backend(backend, rec);
	if (httplog_token(&c, &dur))
		traefik_ms(st, dur, rec);
	return 1;
}

/* The JSON format.  Returns 1 or -1. */
static int
traefik_json(struct traefik_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct span		 v[TK_MAX], key, s, host, port, ns;
	struct jscan		 js;
	struct jval		 val;
	enum traefik_key	 k;
	uint8_t			 digits;
	int			 r;

	memset(v, 0, sizeof v);
	if (jscan_open(&js, (struct span){ p, (size_t)(end - p) }) != 0)
		return -1;
	while ((r = jscan_next(&js, &key, &val)) == 1) {
		k = (enum traefik_key)jscan_key_cached(&st->kc, traefik_keys,
		    key);
		if (k == TK_NONE)
			continue;
		if (jscan_string(&st->sc, &val, &s))
			v[k] = s;
	}
	if (r != 0 || (v[TK_METHOD].len == 0 && v[TK_STATUS].len == 0))
		return -1;
	s = v[TK_TIME].len > 0 ? v[TK_TIME] : v[TK_START];
	if (s.len == 0 || iso8601_parse(s.p, s.len, st->sctx.tz, &rec->ts_us,
	    &rec->tz_off, &digits) != s.len)
		return -1;
	rec->ts_digits = digits;
	rec->has_ts = true;

	/*
	 * ClientHost may list a proxy chain; its last hop is the one that
	 * reached Traefik, earlier ones are the client's claim.
	 */
	s = v[TK_CLIENT_HOST];
	if (s.len == 0 && v[TK_CLIENT_ADDR].len > 0 &&
	    httplog_hostport(v[TK_CLIENT_ADDR], &host, &port))
		s = host;
	httplog_set_addr(httplog_last_hop(s), RF_SOURCE_IP, RF_MAX,
	    RF_SOURCE_DOMAIN, rec);
	if (httplog_digits(v[TK_CLIENT_PORT].p, v[TK_CLIENT_PORT].len))
		record_set(rec, RF_SOURCE_PORT, v[TK_CLIENT_PORT].p,
		    v[TK_CLIENT_PORT].len);
	if (v[TK_USER].len > 0 && !httplog_is_dash(v[TK_USER]))
		record_set(rec, RF_USER_NAME, v[TK_USER].p, v[TK_USER].len);
	if (v[TK_METHOD].len > 0)
		record_set(rec, RF_HTTP_REQUEST_METHOD, v[TK_METHOD].p,
		    v[TK_METHOD].len);
	httplog_set_url(v[TK_PATH], v[TK_METHOD], rec, &host);
	httplog_set_domain(v[TK_HOST], rec);
	if (v[TK_SCHEME].len > 0)
		record_set(rec, RF_URL_SCHEME, v[TK_SCHEME].p,
		    v[TK_SCHEME].len);
	httplog_set_status(v[TK_STATUS], rec);
	if (httplog_digits(v[TK_SIZE].p, v[TK_SIZE].len))
		record_set(rec, RF_DESTINATION_BYTES, v[TK_SIZE].p,
		    v[TK_SIZE].len);
	if (httplog_digits(v[TK_DURATION].p, v[TK_DURATION].len) &&
	    scratch_scaled(&st->sc, v[TK_DURATION], 0, &ns))
		record_set(rec, RF_EVENT_DURATION, ns.p, ns.len);
	httplog_set_addr(v[TK_SERVICE_ADDR], RF_DESTINATION_IP,
	    RF_DESTINATION_PORT, RF_DESTINATION_DOMAIN, rec);
	if (v[TK_ROUTER].len > 0)
		record_set(rec, RF_RULE_NAME, v[TK_ROUTER].p, v[TK_ROUTER].len);
	if (v[TK_USER_AGENT].len > 0)
		record_set(rec, RF_USER_AGENT_ORIGINAL, v[TK_USER_AGENT].p,
		    v[TK_USER_AGENT].len);
	if (v[TK_REFERER].len > 0)
		record_set(rec, RF_HTTP_REQUEST_REFERRER, v[TK_REFERER].p,
		    v[TK_REFERER].len);
	return 1;
}

/* Build the state; NULL on allocation failure. */
static void *
traefik_state_new(const struct parser_opts *opts)
{
	struct traefik_state	*st;

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
traefik_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an access entry, 0 a blank line or one of
 * Traefik's own messages, -1 an entry that is broken.
 */
static int
traefik_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct traefik_state	*st = state;
	struct syslog_hdr	 hdr;
	const char		*p = line, *end = line + len;
	int			 r;

	scratch_reset(&st->sc);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		r = 0;
	else if (*p == '{')
		r = traefik_json(st, p, end, rec);
	else if (httplog_looks_clf(p, end))
		r = traefik_clf(st, p, end, rec);
	else if (syslog_parse(&st->sctx, line, len, &hdr) == 0 &&
	    hdr.msg.len > 0 && (httplog_looks_clf(hdr.msg.p, hdr.msg.p +
	    hdr.msg.len) || hdr.msg.p[0] == '{')) {
		syslog_to_record(&hdr, rec);
		p = hdr.msg.p;
		end = p + hdr.msg.len;
		r = *p == '{' ? traefik_json(st, p, end, rec) :
		    traefik_clf(st, p, end, rec);
	} else
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
traefik_stats(void *state)
{
	struct traefik_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
traefik_set_ref(void *state, int64_t ref_us)
{
	struct traefik_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_traefik = {
	.name = "traefik",
	.dataset = "proxy.traefik",
	.description = "Traefik access log (common/CLF and JSON formats)",
	.state_new = traefik_state_new,
	.state_free = traefik_state_free,
	.parse = traefik_parse,
	.stats = traefik_stats,
	.set_ref = traefik_set_ref,
};
