/*
 * cyrus.c: the login lines of the Cyrus IMAP server's imapd, pop3d and
 * their TLS variants, behind a syslog header ("cyrus/imap[5355]: ...",
 * "imapd[2517]: ..."):
 *
 *   badlogin: client.example.net [192.0.2.7] plaintext alice
 *   SASL(-13): authentication failure: checkpass failed  "auth-failure"
 *   badlogin: client.example.net [192.0.2.7] CRAM-MD5 [SASL(-13):
 *   authentication failure: incorrect digest response]  "auth-failure"
 *   login: client.example.net [192.0.2.7] alice plaintext User logged in
 *                                                        "login"
 *
 * The client is source.*, the user user.name, the SASL text event.reason,
 * the service ("imap" of cyrus/imaps) network.protocol.  Other Cyrus lines
 * are not events.  Every field is a span into the line; parsing allocates
 * nothing, never reads past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "parser.h"
#include "sysloghdr.h"

struct cyrus_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
};

/* Next space-separated word from *pp; an empty span at the end. */
static struct span
cy_word(const char **pp, const char *end)
{
	const char	*p = *pp, *q;
	struct span	 w;

	while (p < end && *p == ' ')
		p++;
	for (q = p; q < end && *q != ' '; q++)
		;
	w.p = p;
	w.len = (size_t)(q - p);
	*pp = q;
	return w;
}

/*
 * "name [ip]", "name[ip]" or "[ip]" at *pp: sets source.*, advances.
 * False if there is no bracketed address.
 */
static bool
cy_client(const char **pp, const char *end, struct record *rec)
{
	const char	*p = *pp, *open, *close;
	struct span	 name, ip;
	size_t		 n;

	while (p < end && *p == ' ')
		p++;
	n = (size_t)(end - p);
	if (n > 300)
		n = 300;
	if ((open = memchr(p, '[', n)) == NULL ||
	    (close = memchr(open, ']', (size_t)(end - open))) == NULL)
		return false;
	name.p = p;
	name.len = (size_t)(open - p);
	while (name.len > 0 && name.p[name.len - 1] == ' ')
		name.len--;
	ip.p = open + 1;
	ip.len = (size_t)(close - open - 1);
	if (!httplog_set_addr(ip, RF_SOURCE_IP, RF_MAX, RF_MAX, rec))
		return false;
	if (name.len > 0 && memchr(name.p, ' ', name.len) == NULL)
		record_set(rec, RF_SOURCE_DOMAIN, name.p, name.len);
	*pp = close + 1;
	return true;
}

/* Set network.protocol from the program ("cyrus/imaps" -> "imap"). */
static void
cy_protocol(struct span prog, struct record *rec)
{
	const char	*slash;

	if (prog.len == 0)
		return;
	if ((slash = memchr(prog.p, '/', prog.len)) != NULL) {
		prog.len -= (size_t)(slash + 1 - prog.p);
		prog.p = slash + 1;
	}
	if (prog.len >= 4 && memcmp(prog.p, "imap", 4) == 0)
		record_set_lit(rec, RF_NETWORK_PROTOCOL, "imap");
	else if (prog.len >= 4 && memcmp(prog.p, "pop3", 4) == 0)
		record_set_lit(rec, RF_NETWORK_PROTOCOL, "pop3");
	else if (prog.len >= 5 && memcmp(prog.p, "sieve", 5) == 0)
		record_set_lit(rec, RF_NETWORK_PROTOCOL, "managesieve");
}

/* "badlogin: client mech [user] reason".  Returns 1 or 0. */
static int
cy_badlogin(const char *p, const char *end, struct record *rec)
{
	struct span	mech, w;

	if (!cy_client(&p, end, rec))
		return 0;
	mech = cy_word(&p, end);
	(void)mech;
	while (p < end && *p == ' ')
		p++;
	/* A user comes before the SASL text unless the mechanism had none. */
	if (p < end && *p != '[' && !(end - p >= 5 && memcmp(p, "SASL(",
	    5) == 0)) {
		w = cy_word(&p, end);
		record_set(rec, RF_USER_NAME, w.p, w.len);
		while (p < end && *p == ' ')
			p++;
	}
	if (p < end && *p == '[' && end[-1] == ']')
		record_set(rec, RF_EVENT_REASON, p + 1, (size_t)(end - p - 2));
	else
		record_set(rec, RF_EVENT_REASON, p, (size_t)(end - p));
	record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
	record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	return 1;
}

/* "login: client user mech User logged in ...".  Returns 1 or 0. */
static int
cy_login(const char *p, const char *end, struct record *rec)
{
	struct span	w;

	if (!cy_client(&p, end, rec))
		return 0;
	w = cy_word(&p, end);
	record_set(rec, RF_USER_NAME, w.p, w.len);
	record_set_lit(rec, RF_EVENT_ACTION, "login");
	record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	return 1;
}

/* Build the state; NULL on allocation failure. */
static void *
cyrus_state_new(const struct parser_opts *opts)
{
	struct cyrus_state	*st;

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
cyrus_state_free(void *state)
{
	free(state);
}

/* One line.  Returns 1, 0 or -1. */
static int
cyrus_line(struct cyrus_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	const char		*p, *end;

	if (len == 0)
		return 0;
	if (syslog_parse(&st->sctx, line, len, &hdr) != 0)
		return -1;
	p = hdr.msg.p;
	end = p + hdr.msg.len;
	if (end - p > 10 && memcmp(p, "badlogin: ", 10) == 0) {
		syslog_to_record(&hdr, rec);
		cy_protocol(hdr.program, rec);
		return cy_badlogin(p + 10, end, rec);
	}
	if (end - p > 7 && memcmp(p, "login: ", 7) == 0) {
		syslog_to_record(&hdr, rec);
		cy_protocol(hdr.program, rec);
		return cy_login(p + 7, end, rec);
	}
	return 0;
}

/*
 * Parse one line into rec: 1 a login or a failed login, 0 any other
 * line, -1 a line without a syslog header.
 */
static int
cyrus_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct cyrus_state	*st = state;
	int			 r;

	r = cyrus_line(st, line, len, rec);
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
cyrus_stats(void *state)
{
	struct cyrus_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
cyrus_set_ref(void *state, int64_t ref_us)
{
	struct cyrus_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_cyrus = {
	.name = "cyrus",
	.dataset = "mail.cyrus",
	.description = "Cyrus IMAP/POP3 logins and failed logins",
	.state_new = cyrus_state_new,
	.state_free = cyrus_state_free,
	.parse = cyrus_parse,
	.stats = cyrus_stats,
	.set_ref = cyrus_set_ref,
};
