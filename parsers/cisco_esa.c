/*
 * cisco_esa.c: the text mail logs of Cisco Secure Email Gateway (ESA,
 * formerly IronPort), sent by syslog ("mail_logs: Info: ...") or read
 * from the appliance's own files ("Fri Nov 21 10:00:00 2026 Info: ...").
 * A message is told over many lines that name it by number:
 *
 *   New SMTP ICID 5 interface Data 1 (10.0.0.25) address 192.0.2.7
 *   reverse dns host client.example.net verified yes      "connect"
 *   ICID 5 REJECT SG BLOCKED match sbrs[-10.0:-2.0] SBRS -4.5  "reject"
 *   Start MID 6 ICID 5                                    (links them)
 *   MID 6 ICID 5 From: <alice@example.com>                "from"
 *   MID 6 ICID 5 RID 0 To: <bob@example.org>              "recipient"
 *   MID 6 Message-ID '<...>'   MID 6 Subject 'Quarterly report'
 *   MID 6 interim verdict using engine: CASE spam positive "verdict"
 *   New SMTP DCID 8 interface 10.0.0.25 address 198.51.100.25 port 25
 *   Delivery start DCID 8 MID 6 to RID [0]                "delivery"
 *   Message done DCID 8 MID 6 to RID [0]                  "delivered"
 *   Message finished MID 6 done                           "finished"
 *   SMTP Auth: (ICID 5) failed for user: alice ...        "auth-failure"
 *
 * Three bounded tables (see mailq.h) join them: ICIDs keep the client's
 * address and name and the authenticated user, MIDs what the message's
 * lines said (copied from its ICID at "Start MID"), DCIDs the server a
 * delivery connection went to.  "ICID n close", "DCID n close" and
 * "Message finished" free their entries.  Other lines of the appliance
 * (configuration, alerts) are events with action "info"; lines without
 * the appliance's level ("Info:", "Warning:", ...) are not its.
 *
 * Fields are spans into the line or into the tables; parsing allocates
 * nothing, never reads past len and keeps no pointer into the line.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httplog.h"
#include "mailq.h"
#include "parser.h"
#include "sysloghdr.h"
#include "tz.h"

struct esa_state {
	struct parser_stats	 stats;
	struct syslog_ctx	 sctx;
	struct mailq		*icid;
	struct mailq		*mid;
	struct mailq		*dcid;
};

static const char esa_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* First occurrence of s in [p, end), or NULL. */
static const char *
esa_find(const char *p, const char *end, const char *s)
{
	size_t	len = strlen(s);

	if (p >= end || (size_t)(end - p) < len)
		return NULL;
	return memmem(p, (size_t)(end - p), s, len);
}

/* True if [p, end) starts with s. */
static bool
esa_starts(const char *p, const char *end, const char *s)
{
	size_t	len = strlen(s);

	return (size_t)(end - p) >= len && memcmp(p, s, len) == 0;
}

/* The number after "key " (e.g. "MID ") as a span; false if none. */
static bool
esa_num(const char *p, const char *end, const char *key, struct span *n)
{
	const char	*q, *e;
	size_t		 klen = strlen(key);

	for (q = p; (q = esa_find(q, end, key)) != NULL; q += klen) {
		if (q != p && q[-1] != ' ' && q[-1] != '(')
			continue;
		q += klen;
		for (e = q; e < end && *e >= '0' && *e <= '9'; e++)
			;
		if (e == q || e - q > 20)
			return false;
		n->p = q;
		n->len = (size_t)(e - q);
		return true;
	}
	return false;
}

/* The word after "key" up to a space; empty if key is absent. */
static struct span
esa_word(const char *p, const char *end, const char *key)
{
	const char	*q, *e;
	struct span	 w = SPAN_NULL;

	if ((q = esa_find(p, end, key)) == NULL)
		return w;
	q += strlen(key);
	for (e = q; e < end && *e != ' '; e++)
		;
	w.p = q;
	w.len = (size_t)(e - q);
	return w;
}

/* An address without "<>" or quotes around it. */
static struct span
esa_strip(struct span s)
{
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '.'))
		s.len--;
	if (s.len >= 2 && ((s.p[0] == '<' && s.p[s.len - 1] == '>') ||
	    (s.p[0] == '\'' && s.p[s.len - 1] == '\'') ||
	    (s.p[0] == '"' && s.p[s.len - 1] == '"'))) {
		s.p++;
		s.len -= 2;
	}
	return s;
}

/* "New SMTP ICID n ... address ip reverse dns host name ...". */
static int
esa_new_icid(struct esa_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 id, host;

	record_set_lit(rec, RF_EVENT_ACTION, "connect");
	if (!esa_num(p, end, "ICID ", &id))
		return 1;
	httplog_set_addr(esa_word(p, end, " address "), RF_SOURCE_IP, RF_MAX,
	    RF_MAX, rec);
	host = esa_word(p, end, " reverse dns host ");
	if (host.len > 0 && !span_eq(host, "unknown"))
		record_set(rec, RF_SOURCE_DOMAIN, host.p, host.len);
	if ((e = mailq_put(st->icid, id, &st->stats.dropped)) != NULL) {
		mailq_keep(e, MQ_IP, rec, RF_SOURCE_IP);
		mailq_keep(e, MQ_HOST, rec, RF_SOURCE_DOMAIN);
	}
	return 1;
}

/* "New SMTP DCID n interface ip address ip port n". */
static int
esa_new_dcid(struct esa_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 id, port;

	record_set_lit(rec, RF_EVENT_ACTION, "delivery-connect");
	if (!esa_num(p, end, "DCID ", &id))
		return 1;
	httplog_set_addr(esa_word(p, end, " address "), RF_DESTINATION_IP,
	    RF_MAX, RF_MAX, rec);
	port = esa_word(p, end, " port ");
	if (httplog_digits(port.p, port.len))
		record_set(rec, RF_DESTINATION_PORT, port.p, port.len);
	if ((e = mailq_put(st->dcid, id, &st->stats.dropped)) != NULL)
		mailq_keep(e, MQ_IP, rec, RF_DESTINATION_IP);
	return 1;
}

/* Set destination.ip from a DCID's entry. */
static void
esa_join_dcid(struct esa_state *st, struct span id, struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 ip;

	if ((e = mailq_get(st->dcid, id)) == NULL || e->addr.family == 0 ||
	    record_has(rec, RF_DESTINATION_IP))
		return;
	ip = mailq_value(e, MQ_IP);
	rec->dst = e->addr;
	record_set(rec, RF_DESTINATION_IP, ip.p, ip.len);
}

/* Keep what a MID line says in the MID's entry. */
static void
esa_keep_mid(struct esa_state *st, struct span mid, struct record *rec)
{
	struct mailq_entry	*e;

	if (mid.len == 0 ||
	    (e = mailq_put(st->mid, mid, &st->stats.dropped)) == NULL)
		return;
	mailq_keep(e, MQ_FROM, rec, RF_EMAIL_FROM_ADDRESS);
	mailq_keep(e, MQ_MSGID, rec, RF_EMAIL_MESSAGE_ID);
	mailq_keep(e, MQ_SUBJECT, rec, RF_EMAIL_SUBJECT);
	mailq_join(e, rec);
}

/* "Start MID m ICID i": the message inherits the connection's client. */
static void
esa_start_mid(struct esa_state *st, struct span mid, struct span icid,
    struct record *rec)
{
	struct mailq_entry	*c, *m;
	int			 f;

	record_set_lit(rec, RF_EVENT_ACTION, "start");
	if ((c = mailq_get(st->icid, icid)) == NULL ||
	    (m = mailq_put(st->mid, mid, &st->stats.dropped)) == NULL)
		return;
	/* mailq_put may have evicted c: look it up again. */
	if ((c = mailq_get(st->icid, icid)) == NULL)
		return;
	for (f = MQ_IP; f <= MQ_USER; f++)
		mailq_set(m, (enum mailq_field)f, mailq_value(c,
		    (enum mailq_field)f));
	mailq_join(m, rec);
}

/* The quoted or bare text after key to the end of the line. */
static struct span
esa_rest(const char *p, const char *end, const char *key)
{
	const char	*q;
	struct span	 s = SPAN_NULL;

	if ((q = esa_find(p, end, key)) == NULL)
		return s;
	s.p = q + strlen(key);
	s.len = (size_t)(end - s.p);
	return esa_strip(s);
}

/* "SMTP Auth: (ICID n) succeeded|failed for user: u using ...". */
static int
esa_auth(struct esa_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 id, user;

	user = esa_word(p, end, " for user: ");
	record_set(rec, RF_USER_NAME, user.p, user.len);
	if (esa_find(p, end, ") failed") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "auth-failure");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	} else if (esa_find(p, end, ") succeeded") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "auth-success");
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	} else
		record_set_lit(rec, RF_EVENT_ACTION, "auth");
	if (!esa_num(p, end, "ICID ", &id) ||
	    (e = mailq_get(st->icid, id)) == NULL)
		return 1;
	if (record_has(rec, RF_EVENT_OUTCOME) && span_eq(record_get(rec,
	    RF_EVENT_OUTCOME), "success"))
		mailq_keep(e, MQ_USER, rec, RF_USER_NAME);
	mailq_join(e, rec);
	return 1;
}

/* A line about a message (MID) or a connection (ICID, DCID). */
static int
esa_ids(struct esa_state *st, const char *p, const char *end,
    struct record *rec)
{
	struct mailq_entry	*e;
	struct span		 mid = SPAN_NULL, icid = SPAN_NULL;
	struct span		 dcid = SPAN_NULL;
	struct span		 v;
	const char		*q;

	esa_num(p, end, "MID ", &mid);
	esa_num(p, end, "ICID ", &icid);
	esa_num(p, end, "DCID ", &dcid);
	if (mid.len > 0)
		record_set(rec, RF_EMAIL_LOCAL_ID, mid.p, mid.len);

	if (esa_starts(p, end, "Start MID ") && icid.len > 0) {
		esa_start_mid(st, mid, icid, rec);
		return 1;
	}
	if ((q = esa_find(p, end, " From: ")) != NULL) {
		v = esa_strip((struct span){ q + 7, (size_t)(end - q - 7) });
		record_set(rec, RF_EMAIL_FROM_ADDRESS, v.p, v.len);
		record_set_lit(rec, RF_EVENT_ACTION, "from");
	} else if ((q = esa_find(p, end, " To: ")) != NULL) {
		v = esa_strip((struct span){ q + 5, (size_t)(end - q - 5) });
		record_set(rec, RF_EMAIL_TO_ADDRESS, v.p, v.len);
		record_set_lit(rec, RF_EVENT_ACTION, "recipient");
	} else if ((v = esa_rest(p, end, " Message-ID ")).len > 0) {
		record_set(rec, RF_EMAIL_MESSAGE_ID, v.p, v.len);
		record_set_lit(rec, RF_EVENT_ACTION, "message-id");
	} else if (mid.len > 0 && mid.p + mid.len + 9 <= end &&
	    memcmp(mid.p + mid.len, " Subject ", 9) == 0) {
		v = esa_strip((struct span){ mid.p + mid.len + 9,
		    (size_t)(end - mid.p - mid.len - 9) });
		record_set(rec, RF_EMAIL_SUBJECT, v.p, v.len);
		record_set_lit(rec, RF_EVENT_ACTION, "subject");
	} else if ((q = esa_find(p, end, " bytes from ")) != NULL) {
		v = esa_strip((struct span){ q + 12, (size_t)(end - q - 12) });
		record_set(rec, RF_EMAIL_FROM_ADDRESS, v.p, v.len);
		record_set_lit(rec, RF_EVENT_ACTION, "ready");
	} else if (esa_starts(p, end, "Message done ")) {
		record_set_lit(rec, RF_EVENT_ACTION, "delivered");
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	} else if (esa_starts(p, end, "Delivery start ")) {
		record_set_lit(rec, RF_EVENT_ACTION, "delivery");
	} else if (esa_starts(p, end, "Bounced: ") ||
	    esa_find(p, end, " bounced ") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "bounced");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		record_set(rec, RF_EVENT_REASON, p, (size_t)(end - p));
	} else if (esa_starts(p, end, "Message finished ")) {
		record_set_lit(rec, RF_EVENT_ACTION, "finished");
		if ((e = mailq_get(st->mid, mid)) != NULL) {
			mailq_join(e, rec);
			mailq_del(st->mid, e);
		}
		return 1;
	} else if (icid.len > 0 && esa_find(p, end, " close") != NULL &&
	    mid.len == 0) {
		record_set_lit(rec, RF_EVENT_ACTION, "close");
		if ((e = mailq_get(st->icid, icid)) != NULL) {
			mailq_join(e, rec);
			mailq_del(st->icid, e);
		}
		return 1;
	} else if (dcid.len > 0 && esa_find(p, end, " close") != NULL &&
	    mid.len == 0) {
		record_set_lit(rec, RF_EVENT_ACTION, "delivery-close");
		esa_join_dcid(st, dcid, rec);
		if ((e = mailq_get(st->dcid, dcid)) != NULL)
			mailq_del(st->dcid, e);
		return 1;
	} else if (icid.len > 0 && mid.len == 0 &&
	    ((q = esa_find(p, end, " REJECT ")) != NULL ||
	    (q = esa_find(p, end, " TCPREFUSE ")) != NULL)) {
		record_set_lit(rec, RF_EVENT_ACTION, "reject");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
		record_set(rec, RF_EVENT_REASON, q + 1, (size_t)(end - q - 1));
	} else if (icid.len > 0 && mid.len == 0 &&
	    (q = esa_find(p, end, " ACCEPT ")) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "accept");
		record_set(rec, RF_EVENT_REASON, q + 1, (size_t)(end - q - 1));
	} else if (esa_find(p, end, " verdict ") != NULL ||
	    esa_find(p, end, " positive") != NULL ||
	    esa_find(p, end, "using engine:") != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "verdict");
		record_set(rec, RF_EVENT_REASON, p, (size_t)(end - p));
	} else {
		record_set_lit(rec, RF_EVENT_ACTION, "info");
		record_set(rec, RF_EVENT_REASON, p, (size_t)(end - p));
	}

	if (dcid.len > 0)
		esa_join_dcid(st, dcid, rec);
	if (mid.len > 0)
		esa_keep_mid(st, mid, rec);
	else if (icid.len > 0 && (e = mailq_get(st->icid, icid)) != NULL)
		mailq_join(e, rec);
	return 1;
}

/* True if the len bytes at p are a level of the appliance's logs. */
static bool
esa_level(const char *p, size_t len)
{
	static const char *const levels[] = {
		"Info", "Warning", "Critical", "Debug", "Trace", "Alert", NULL
	};
	size_t	i;

	for (i = 0; levels[i] != NULL; i++)
		if (strlen(levels[i]) == len && memcmp(levels[i], p, len) == 0)
			return true;
	return false;
}

/* The text after "Info: ", "Warning: " and the like. */
static int
esa_body(struct esa_state *st, const char *p, const char *end,
    struct record *rec)
{
	const char	*q;

	/*
	 * The level ("Info:", "Warning:", "Critical:", "Debug:", "Trace:")
	 * starts every line of the appliance; other programs' lines are
	 * not its.
	 */
	for (q = p; q < end && q - p < 12 && *q != ':' && *q != ' '; q++)
		;
	if (q >= end || *q != ':' || !esa_level(p, (size_t)(q - p)))
		return 0;
	for (p = q + 1; p < end && *p == ' '; p++)
		;
	if (p == end)
		return 0;
	if (esa_starts(p, end, "New SMTP ICID "))
		return esa_new_icid(st, p, end, rec);
	if (esa_starts(p, end, "New SMTP DCID "))
		return esa_new_dcid(st, p, end, rec);
	if (esa_starts(p, end, "SMTP Auth: "))
		return esa_auth(st, p, end, rec);
	return esa_ids(st, p, end, rec);
}

/*
 * The appliance's own file format: "Fri Nov 21 10:00:00 2026 Info: ...".
 * Returns where the level starts, or NULL.
 */
static const char *
esa_own_time(const struct esa_state *st, const char *p, const char *end,
    struct record *rec)
{
	const char	*m;
	int		 mon, day, hh, mm, ss, year;
	int32_t		 off;

	if (end - p < 25 || p[3] != ' ' || p[7] != ' ' || p[10] != ' ' ||
	    p[13] != ':' || p[16] != ':' || p[19] != ' ' || p[24] != ' ')
		return NULL;
	for (m = esa_months; *m != '\0'; m += 3)
		if (memcmp(m, p + 4, 3) == 0)
			break;
	if (*m == '\0' || !httplog_digits(p + 11, 2) ||
	    !httplog_digits(p + 14, 2) || !httplog_digits(p + 17, 2) ||
	    !httplog_digits(p + 20, 4) || (p[8] != ' ' &&
	    !httplog_digits(p + 8, 1)) || !httplog_digits(p + 9, 1))
		return NULL;
	mon = (int)((m - esa_months) / 3) + 1;
	day = (p[8] == ' ' ? 0 : p[8] - '0') * 10 + (p[9] - '0');
	hh = (p[11] - '0') * 10 + (p[12] - '0');
	mm = (p[14] - '0') * 10 + (p[15] - '0');
	ss = (p[17] - '0') * 10 + (p[18] - '0');
	year = (p[20] - '0') * 1000 + (p[21] - '0') * 100 + (p[22] - '0') * 10 +
	    (p[23] - '0');
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return NULL;
	rec->ts_us = tz_to_utc(st->sctx.tz, year, mon, day, hh, mm, ss, &off) *
	    1000000;
	rec->tz_off = off;
	rec->has_ts = true;
	return p + 25;
}

/* Build the state and its tables; NULL on allocation failure. */
static void *
esa_state_new(const struct parser_opts *opts)
{
	struct esa_state	*st;
	size_t			 max = opts != NULL ? opts->max_queue : 0;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	if (opts != NULL) {
		st->sctx.tz = opts->tz;
		st->sctx.ref_us = opts->ref_us;
	}
	st->icid = mailq_new(max);
	st->mid = mailq_new(max);
	st->dcid = mailq_new(max);
	if (st->icid == NULL || st->mid == NULL || st->dcid == NULL) {
		mailq_free(st->icid);
		mailq_free(st->mid);
		mailq_free(st->dcid);
		free(st);
		return NULL;
	}
	return st;
}

/* Free the state and its tables; accepts NULL. */
static void
esa_state_free(void *state)
{
	struct esa_state	*st = state;

	if (st == NULL)
		return;
	mailq_free(st->icid);
	mailq_free(st->mid);
	mailq_free(st->dcid);
	free(st);
}

/* One line.  Returns 1, 0 or -1. */
static int
esa_line(struct esa_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	 hdr;
	const char		*p, *end = line + len;

	if (len == 0)
		return 0;
	if ((p = esa_own_time(st, line, end, rec)) != NULL)
		return esa_body(st, p, end, rec);
	if (syslog_parse(&st->sctx, line, len, &hdr) != 0)
		return -1;
	syslog_to_record(&hdr, rec);
	return esa_body(st, hdr.msg.p, hdr.msg.p + hdr.msg.len, rec);
}

/*
 * Parse one line into rec: 1 an event, 0 a blank line or an empty
 * message, -1 a line without a time keibi knows.
 */
static int
esa_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct esa_state	*st = state;
	int			 r;

	r = esa_line(st, line, len, rec);
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
esa_stats(void *state)
{
	struct esa_state	*st = state;

	return &st->stats;
}

/* Set the year reference of syslog headers. */
static void
esa_set_ref(void *state, int64_t ref_us)
{
	struct esa_state	*st = state;

	st->sctx.ref_us = ref_us;
}

const struct parser parser_cisco_esa = {
	.name = "cisco_esa",
	.dataset = "mail.cisco_esa",
	.description = "Cisco Secure Email Gateway (ESA) text mail logs, "
	    "lines joined by MID, ICID and DCID",
	.state_new = esa_state_new,
	.state_free = esa_state_free,
	.parse = esa_parse,
	.stats = esa_stats,
	.set_ref = esa_set_ref,
};
