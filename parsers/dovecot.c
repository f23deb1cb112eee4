/*
 * dovecot.c: Dovecot's login and authentication lines, the evidence of
 * password guessing and of accounts used from where they should not be:
 *
 *   imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.7,
 *   lip=10.0.0.25, mpid=1234, TLS, session=<...>       action "login"
 *   pop3-login: Disconnected (auth failed, 3 attempts in 12 secs):
 *   user=<bob>, method=PLAIN, rip=..., lip=...         "auth-failure"
 *   imap-login: Disconnected (no auth attempts in 0 secs): rip=...
 *                                                       "no-auth"
 *   auth-worker(1234): pam(bob,192.0.2.7): pam_authenticate() failed:
 *   Authentication failure (password mismatch?)        "auth-failure"
 *   auth: passwd-file(bob,192.0.2.7): unknown user      "auth-failure"
 *   auth(bob,192.0.2.7,sasl:login)<sess>: Info: sql: Password mismatch
 *   dovecot-auth: pam_unix(dovecot:auth): authentication failure; ...
 *   rhost=192.0.2.7 user=bob                            "auth-failure"
 *
 * behind any syslog header (RFC 3164, RFC 5424, ISO), with or without a
 * host, with Dovecot's own "dovecot: " prefix or its process as the tag,
 * and in daemontools' multilog form ("@4000000050c3d4e1... imap-login:
 * ...", TAI64N time).  The remote address (rip=, the address in
 * driver(user,ip), rhost=) is source.ip, the local one (lip=)
 * destination.ip, the login protocol ("imap" of imap-login)
 * network.protocol.  A client chooses its user name, so the address is
 * taken after it: the last "rip=" and "rhost=" of a line.
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

struct dovecot_state {
	struct parser_stats	stats;
	struct syslog_ctx	sctx;
};

/* Passdb and userdb drivers that log "driver(user,ip): message". */
static const char *const dovecot_drivers[] = {
	"pam(", "sql(", "passwd-file(", "ldap(", "passwd(", "shadow(",
	"checkpassword(", "bsdauth(", "static(", "lua(", "oauth2(",
	"userdb(", "passdb(", "auth(", NULL
};

/* Driver messages that mean the password or the user was wrong. */
static const char *const dovecot_failures[] = {
	"unknown user", "Password mismatch", "password mismatch",
	"pam_authenticate() failed", "invalid credentials",
	"Authentication failure", "user not found", "User not known",
	NULL
};

/* First occurrence of s in [p, end), or NULL. */
static const char *
dc_find(const char *p, const char *end, const char *s)
{
	size_t	len = strlen(s);

	if (p >= end || (size_t)(end - p) < len)
		return NULL;
	return memmem(p, (size_t)(end - p), s, len);
}

/* Last occurrence of s in [p, end), or NULL. */
static const char *
dc_find_last(const char *p, const char *end, const char *s)
{
	const char	*hit = NULL, *q;

	while ((q = dc_find(p, end, s)) != NULL) {
		hit = q;
		p = q + 1;
	}
	return hit;
}

/* The value after key up to ',' ' ' ')' or the end ("<...>" whole). */
static struct span
dc_value(const char *q, const char *end)
{
	struct span	 v;
	const char	*e;

	if (q < end && *q == '<') {
		q++;
		if ((e = memchr(q, '>', (size_t)(end - q))) == NULL)
			e = end;
	} else
		for (e = q; e < end && *e != ',' && *e != ' ' && *e != ')' &&
		    *e != ';'; e++)
			;
	v.p = q;
	v.len = (size_t)(e - q);
	return v;
}

/* Set an address field from a value; "::ffff:a.b.c.d" is a.b.c.d. */
static bool
dc_addr(struct span v, enum rf rf, struct record *rec)
{
	return httplog_set_addr(v, rf, RF_MAX, RF_MAX, rec);
}

/*
 * "imap-login: ..." lines: login, failed and aborted logins and other
 * disconnects.  Returns 1 if the line names a client, else 0.
 */
static int
dc_login(const char *p, const char *end, const char *proto, size_t plen,
    struct record *rec)
{
	const char	*q, *r;
	struct span	 v;

	if (plen > 0 && plen < 16)
		record_set(rec, RF_NETWORK_PROTOCOL, proto, plen);
	if ((q = dc_find_last(p, end, "rip=")) == NULL || (q > p &&
	    q[-1] != ' ' && q[-1] != ','))
		return 0;
	if (!dc_addr(dc_value(q + 4, end), RF_SOURCE_IP, rec))
		return 0;
	if ((r = dc_find(q, end, "lip=")) != NULL)
		dc_addr(dc_value(r + 4, end), RF_DESTINATION_IP, rec);
	/* user=<...> comes before rip=; a later "user=" is the client's. */
	if ((r = dc_find(p, q, "user=<")) != NULL) {
		v = dc_value(r + 5, q);
		record_set(rec, RF_USER_NAME, v.p, v.len);
	}
	if (dc_find(p, end, "Login: ") != NULL &&
	    dc_find(p, end, "Login: ") < q &&
	    dc_find(p, end, "(auth failed") == NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "login");
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
		return 1;
	}
	/* The last "(...)" before user= or rip= says why it ended. */
	r = record_has(rec, RF_USER_NAME) ? dc_find(p, q, "user=<") : q;
	if ((q = dc_find_last(p, r, "(auth failed")) != NULL ||
	    (q = dc_find_last(p, r, "(tried to use dis")) != NULL ||
	    (q = dc_find_last(p, r, "(proxy dest auth failed")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	} else if ((q = dc_find_last(p, r, "(no auth attempts")) != NULL)
		record_set_lit(rec, RF_EVENT_ACTION, "no-auth");
	else {
		record_set_lit(rec, RF_EVENT_ACTION, "disconnect");
		q = NULL;
	}
	if (q != NULL && (r = memchr(q, ')', (size_t)(end - q))) != NULL)
		record_set(rec, RF_EVENT_REASON, q + 1, (size_t)(r - q - 1));
	return 1;
}

/*
 * The "(user,ip" after a driver name at open: false if the parentheses
 * hold no comma ("auth(default)").
 */
static bool
dc_driver_args(const char *open, const char *end, struct span *user,
    struct span *ip, const char **close)
{
	const char	*comma;

	if ((*close = memchr(open, ')', (size_t)(end - open))) == NULL ||
	    (comma = memchr(open, ',', (size_t)(*close - open))) == NULL)
		return false;
	user->p = open;
	user->len = (size_t)(comma - open);
	*ip = dc_value(comma + 1, *close);
	return ip->len > 0;
}

/*
 * "driver(user,ip[,...]): message" of the auth process.  Returns 1 if
 * the message says the login failed, else 0.
 */
static int
dc_driver(const char *p, const char *end, struct record *rec)
{
	const char *const	*d, *const *f;
	const char		*q, *close, *best = NULL, *best_close = NULL;
	struct span		 user, ip, buser = SPAN_NULL, bip = SPAN_NULL;
	struct span		 msg;

	/* The earliest driver call with a user and an address. */
	for (d = dovecot_drivers; *d != NULL; d++) {
		for (q = p; (q = dc_find(q, end, *d)) != NULL; q++) {
			if (best != NULL && q > best)
				break;
			if ((q != p && q[-1] != ' ') || !dc_driver_args(q +
			    strlen(*d), end, &user, &ip, &close))
				continue;
			best = q;
			best_close = close;
			buser = user;
			bip = ip;
			break;
		}
	}
	if (best == NULL)
		return 0;
	msg.p = best_close + 1;
	if (msg.p < end && *msg.p == '<' && (q = memchr(msg.p, '>',
	    (size_t)(end - msg.p))) != NULL)
		msg.p = q + 1;
	while (msg.p < end && (*msg.p == ':' || *msg.p == ' '))
		msg.p++;
	msg.len = (size_t)(end - msg.p);
	for (f = dovecot_failures; *f != NULL; f++)
		if (dc_find(msg.p, end, *f) != NULL)
			break;
	if (*f == NULL)
		return 0;
	dc_addr(bip, RF_SOURCE_IP, rec);
	record_set(rec, RF_USER_NAME, buser.p, buser.len);
	record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
	record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	record_set(rec, RF_EVENT_REASON, msg.p, msg.len);
	return 1;
}

/* "pam_unix(dovecot:auth): authentication failure; ... rhost=ip". */
static int
dc_pam_unix(const char *p, const char *end, struct record *rec)
{
	const char	*q, *r;
	struct span	 v;

	if (dc_find(p, end, "authentication failure") == NULL ||
	    (q = dc_find_last(p, end, " rhost=")) == NULL)
		return 0;
	if (!dc_addr(dc_value(q + 7, end), RF_SOURCE_IP, rec))
		return 0;
	if ((r = dc_find(q, end, " user=")) != NULL) {
		v = dc_value(r + 6, end);
		record_set(rec, RF_USER_NAME, v.p, v.len);
	}
	record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
	record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	record_set_lit(rec, RF_EVENT_REASON, "authentication failure");
	return 1;
}

/*
 * A mail process of a logged-in user: "imap(alice): Disconnected: Logged
 * out ...", "IMAP(alice)<1234><sess>: ...".  Returns 1 or 0.
 */
static int
dc_session(const char *p, const char *end, struct record *rec)
{
	static const char *const procs[] = {
		"imap(", "pop3(", "IMAP(", "POP3(", "lmtp(", "submission(",
		"managesieve(", NULL
	};
	static const char *const protos[] = {
		"imap", "pop3", "imap", "pop3", "lmtp", "submission",
		"managesieve"
	};
	const char		*q, *close;
	size_t			 i;

	for (i = 0; procs[i] != NULL; i++) {
		if ((q = dc_find(p, end, procs[i])) == NULL || (q != p &&
		    q[-1] != ' '))
			continue;
		q += strlen(procs[i]);
		if ((close = memchr(q, ')', (size_t)(end - q))) == NULL ||
		    close == q)
			return 0;
		record_set(rec, RF_USER_NAME, q, (size_t)(close - q));
		record_set(rec, RF_NETWORK_PROTOCOL, protos[i],
		    strlen(protos[i]));
		record_set_lit(rec, RF_EVENT_ACTION, "session");
		for (q = close + 1; q < end && *q != ' '; q++)
			;
		if (q < end)
			record_set(rec, RF_EVENT_REASON, q + 1,
			    (size_t)(end - q - 1));
		return 1;
	}
	return 0;
}

/* The text from the process name on.  Returns 1 or 0. */
static int
dc_text(const char *p, const char *end, struct record *rec)
{
	const char	*q, *login;

	/* "imap-login:", "pop3-login:", "submission-login:", ... */
	if ((login = dc_find(p, end, "-login: ")) != NULL) {
		for (q = login; q > p && q[-1] != ' '; q--)
			;
		return dc_login(login, end, q, (size_t)(login - q), rec);
	}
	if (dc_find(p, end, "pam_unix(") != NULL)
		return dc_pam_unix(p, end, rec);
	if (dc_driver(p, end, rec))
		return 1;
	if ((q = dc_find(p, end, "Fatal: ")) != NULL ||
	    (q = dc_find(p, end, "Panic: ")) != NULL ||
	    (q = dc_find(p, end, "Error: ")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "error");
		record_set(rec, RF_EVENT_REASON, q, (size_t)(end - q));
		return 1;
	}
	if ((q = dc_find(p, end, " starting up")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "start");
		return 1;
	}
	return dc_session(p, end, rec);
}

/* True if a syslog program is Dovecot's or one of its processes. */
static bool
dc_program(struct span prog)
{
	static const char *const names[] = {
		"dovecot", "imap", "pop3", "auth", "managesieve", "submission",
		"lmtp", "lda", "IMAP", "POP3", "Info", "Warn", "Error", NULL
	};
	size_t	i, n;

	for (i = 0; names[i] != NULL; i++) {
		n = strlen(names[i]);
		if (prog.len >= n && memcmp(prog.p, names[i], n) == 0)
			return true;
	}
	return false;
}

/*
 * daemontools' "@4000000050c3d4e10a4b7c3c " (TAI64N) at the start of a
 * line: the time, and where the text starts; NULL if there is none.
 */
static const char *
dc_tai64n(const char *p, const char *end, struct record *rec)
{
	uint64_t	s = 0, ns = 0;
	int		i, h;

	if (end - p < 26 || p[0] != '@' || p[25] != ' ')
		return NULL;
	for (i = 1; i <= 24; i++) {
		char	c = p[i];

		if (c >= '0' && c <= '9')
			h = c - '0';
		else if (c >= 'a' && c <= 'f')
			h = c - 'a' + 10;
		else
			return NULL;
		if (i <= 16)
			s = s * 16 + (uint64_t)h;
		else
			ns = ns * 16 + (uint64_t)h;
	}
	if (s < (1ULL << 62) || ns >= 1000000000ULL)
		return NULL;
	s -= 1ULL << 62;
	if (s > 100000000000ULL)
		return NULL;
	rec->ts_us = (int64_t)s * 1000000 + (int64_t)(ns / 1000);
	rec->ts_digits = 0;
	rec->tz_off = 0;
	rec->has_ts = true;
	return p + 26;
}

/* Build the state; NULL on allocation failure. */
static void *
dovecot_state_new(const struct parser_opts *opts)
{
	struct dovecot_state	*st;

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
dovecot_state_free(void *state)
{
	free(state);
}

/* One line.  Returns 1, 0 or -1. */
static int
dovecot_line(struct dovecot_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	const char		*p, *end = line + len;

	if (len == 0)
		return 0;
	if ((p = dc_tai64n(line, end, rec)) != NULL)
		return dc_text(p, end, rec);
	if (syslog_parse(&st->sctx, line, len, &hdr) != 0)
		return -1;
	/* "Jan 29 09:33:58 pop3-login: ..." has no host: it is the tag. */
	if (hdr.program.len == 0 && hdr.host.len > 0 && dc_program(hdr.host)) {
		hdr.program = hdr.host;
		hdr.host = SPAN_NULL;
	}
	if (!dc_program(hdr.program))
		return 0;
	syslog_to_record(&hdr, rec);
	/* The tag may be the process itself ("auth-worker(1234)"). */
	p = hdr.program.p;
	if (span_eq(hdr.program, "dovecot") || p == NULL)
		p = hdr.msg.p;
	return dc_text(p, end, rec);
}

/*
 * Parse one line into rec: 1 a login, a failed login or a Dovecot error,
 * 0 a blank line, another program's line or a Dovecot line keibi does not
 * read, -1 a line without a syslog header.
 */
static int
dovecot_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct dovecot_state	*st = state;
	int			 r;

	r = dovecot_line(st, line, len, rec);
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
dovecot_stats(void *state)
{
	struct dovecot_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
dovecot_set_ref(void *state, int64_t ref_us)
{
	struct dovecot_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_dovecot = {
	.name = "dovecot",
	.dataset = "mail.dovecot",
	.description = "Dovecot logins and authentication failures",
	.state_new = dovecot_state_new,
	.state_free = dovecot_state_free,
	.parse = dovecot_parse,
	.stats = dovecot_stats,
	.set_ref = dovecot_set_ref,
};
