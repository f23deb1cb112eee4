/*
 * httplog.h: pieces shared by the parsers of HTTP access logs (HAProxy,
 * Envoy, Traefik, nginx and Apache, W3C, Zscaler, Zeek http.log): a cursor
 * over space-separated, quoted and bracketed fields, the Common Log Format
 * time, the request line, the URL split into url.* fields, "host:port"
 * addresses and the status code.  Everything works on spans into the line
 * and fills a struct record; nothing allocates and nothing reads past the
 * span it was given.
 */
#ifndef KEIBI_HTTPLOG_H
#define KEIBI_HTTPLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct tz;

/* A cursor over the unread part of a line. */
struct hl_cur {
	const char	*p;
	const char	*end;
};

/* True if s is len decimal digits (len > 0). */
bool	httplog_digits(const char *s, size_t len);
/* True if the span is the empty value "-". */
bool	httplog_is_dash(struct span);

/* Skip spaces at the cursor. */
void	httplog_skip(struct hl_cur *);
/* Next space-separated token; false at the end of the line. */
bool	httplog_token(struct hl_cur *, struct span *);
/*
 * A double-quoted field at the cursor (after spaces), without its quotes;
 * a backslash escapes the next byte.  False if there is none or it is not
 * closed (the cursor is then unchanged).
 */
bool	httplog_quoted(struct hl_cur *, struct span *);
/* A "[...]" field at the cursor (after spaces), without its brackets. */
bool	httplog_bracketed(struct hl_cur *, struct span *);

/*
 * Parse a Common Log Format time "21/Nov/2026:10:00:00 +0900" (optional
 * fraction after the seconds, optional zone; without a zone the time is
 * local in tz) into rec's @timestamp.  False if it is not one.
 */
bool	httplog_clf_time(struct span, const struct tz *, struct record *);

/*
 * Split a request line "GET /path HTTP/1.1" into method, target and
 * version (each may be empty: "-" or a bare target).
 */
void	httplog_request(struct span req, struct span *method,
	    struct span *target, struct span *version);

/*
 * Split host[:port] ("[v6]:port", a bare IPv6 address has no port) into
 * host and port; port is empty when absent.  False if the port is not a
 * number or the brackets are not closed.
 */
bool	httplog_hostport(struct span, struct span *host, struct span *port);

/*
 * Fill url.original, url.scheme, url.domain, url.path and
 * destination.port from a request target: an absolute URL (forward
 * proxy), "host:port" (CONNECT) or an origin-form path.  *host receives
 * the host named by the target, empty when there is none.
 */
void	httplog_set_url(struct span target, struct span method,
	    struct record *, struct span *host);

/*
 * Set the address fields of an "ip", "ip:port" or "[v6]:port" span: ip_rf
 * (and rec->src or rec->dst, by ip_rf) when it is an address, else
 * domain_rf (if not RF_MAX); port_rf when a port is given.  Returns true
 * if an address was set.
 */
bool	httplog_set_addr(struct span, enum rf ip_rf, enum rf port_rf,
	    enum rf domain_rf, struct record *);

/*
 * Set http.response.status_code and event.outcome (failure from 400 on,
 * success below) from a status; nothing for "-", "0" or non-numbers.
 */
void	httplog_set_status(struct span, struct record *);

/* Set url.domain from a Host value ("host[:port]"); skips "-". */
void	httplog_set_domain(struct span, struct record *);

/*
 * The last entry of a comma-separated address list (X-Forwarded-For),
 * without spaces: the hop nearest the proxy that logged it.
 */
struct span	httplog_last_hop(struct span);

/*
 * An IPv4-mapped IPv6 address ("::ffff:192.0.2.1") as its IPv4 address;
 * any other span unchanged.
 */
struct span	httplog_unmap(struct span);

/*
 * The fields every Common Log Format line starts with: client, ident,
 * user, [time], "request", status, bytes, and the "referrer" "agent" of
 * the combined format when they follow.  Sets source.*, user.name,
 * @timestamp, http.*, url.*, destination.bytes and user_agent.original;
 * the cursor is left after what was read.  Returns 1, or -1 if the line
 * is not in that format.
 */
int	httplog_clf(struct hl_cur *, const struct tz *, struct record *);

/* True if the text starts like "client ident user [". */
bool	httplog_looks_clf(const char *p, const char *end);

#endif
