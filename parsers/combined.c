/*
 * combined.c: nginx and Apache httpd access logs in the combined format
 * (and the common format, its first seven fields), whether the server is
 * an origin, a reverse proxy or a forward proxy:
 *
 *   192.0.2.7 - alice [21/Nov/2026:10:00:00 +0900] "GET http://example.com/
 *   HTTP/1.1" 200 512 "-" "Mozilla/5.0"
 *
 * A forward proxy logs absolute URLs and "CONNECT host:port", which give
 * url.domain and destination.port.  Apache's vhost_combined prefix
 * ("www.example.com:443 192.0.2.7 - - [...]") gives url.domain, and a
 * quoted X-Forwarded-For after the user agent (a common nginx addition)
 * is left alone: the connecting client stays source.ip.  Either server
 * may log through syslog ("nginx: 192.0.2.7 - - [...]").  The two parsers
 * differ only in their dataset, proxy.nginx and proxy.apache.
 *
 * Every field is a span into the line; parsing allocates nothing, never
 * reads past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "parser.h"
#include "sysloghdr.h"

struct combined_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
};

/*
 * True if the text starts like Apache's vhost_combined: "vhost:port
 * client ident user [".
 */
static bool
combined_looks_vhost(const char *p, const char *end, struct span *vhost)
{
	struct hl_cur	c = { p, end };

	if (!httplog_token(&c, vhost) || memchr(vhost->p, ':',
	    vhost->len) == NULL || !httplog_looks_clf(c.p, c.end))
		return false;
	return true;
}

/* One access entry from p.  Returns 1, or -1 (0 if behind_syslog). */
static int
combined_body(struct combined_state *st, const char *p, const char *end,
    struct record *rec, bool behind_syslog)
{
	struct hl_cur	c = { p, end };
	struct span	vhost, host, port;

	httplog_skip(&c);
	if (combined_looks_vhost(c.p, c.end, &vhost)) {
		httplog_token(&c, &vhost);
		if (httplog_clf(&c, st->sctx.tz, rec) != 1)
			return -1;
		if (!record_has(rec, RF_URL_DOMAIN) &&
		    httplog_hostport(vhost, &host, &port) && host.len > 0)
			record_set(rec, RF_URL_DOMAIN, host.p, host.len);
		return 1;
	}
	if (!httplog_looks_clf(c.p, c.end))
		return behind_syslog ? 0 : -1;
	return httplog_clf(&c, st->sctx.tz, rec);
}

/* Build the state; NULL on allocation failure. */
static void *
combined_state_new(const struct parser_opts *opts)
{
	struct combined_state	*st;

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
combined_state_free(void *state)
{
	free(state);
}

/*
 * Parse one line into rec: 1 an access entry, 0 a blank line or another
 * program's syslog line, -1 malformed.
 */
static int
combined_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct combined_state	*st = state;
	struct syslog_hdr	 hdr;
	struct span		 vhost;
	const char		*p = line, *end = line + len;
	int			 r;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		r = 0;
	else if (httplog_looks_clf(p, end) ||
	    combined_looks_vhost(p, end, &vhost))
		r = combined_body(st, p, end, rec, false);
	else if (syslog_parse(&st->sctx, line, len, &hdr) == 0) {
		syslog_to_record(&hdr, rec);
		r = combined_body(st, hdr.msg.p, hdr.msg.p + hdr.msg.len, rec,
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
combined_stats(void *state)
{
	struct combined_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
combined_set_ref(void *state, int64_t ref_us)
{
	struct combined_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_nginx = {
	.name = "nginx",
	.dataset = "proxy.nginx",
	.description = "nginx access log (combined or common format), as "
	    "origin, reverse or forward proxy",
	.state_new = combined_state_new,
	.state_free = combined_state_free,
	.parse = combined_parse,
	.stats = combined_stats,
	.set_ref = combined_set_ref,
};

const struct parser parser_apache = {
	.name = "apache",
	.dataset = "proxy.apache",
	.description = "Apache httpd access log (combined, common or "
	    "vhost_combined), as origin, reverse or forward proxy",
	.state_new = combined_state_new,
	.state_free = combined_state_free,
	.parse = combined_parse,
	.stats = combined_stats,
	.set_ref = combined_set_ref,
};
