/*
 * corpus_check.c: run the real-world samples under the shared corpora
 * (KEIBI_CORPORA, see its PROVENANCE.md) through keibi's parsers and
 * compare the fields their upstream authors expected:
 *
 *   crowdsec  parser.assert: Success and Evt.Parsed[...] of each line
 *   elastic   test-*.log + -expected.json: ECS fields of each line
 *   fail2ban  "# failJSON: {...}" above a line: host, user, time
 *   metron    raw lines + parsed JSON lines keyed by original_string
 *   grok      postfix-grok-patterns YAML: a message and its captures
 *   wazuh     .ini "log N pass|fail" lines: classification only, so each
 *             must (or, for non-netfilter lines, must not) be an event
 *   events    raw lines without annotations: each must be an event
 *
 * Each product prints "name: N/M fields ok"; any mismatch is listed and
 * fails the run.  What is out of scope is said per source in a note (in
 * the tables below and printed).  Times are compared as month-day-time
 * when the line has no year (every upstream framework invents the year
 * differently), as instants when it has one.  A product is a table
 * entry: its parser and its sources, each with the map from upstream keys
 * to keibi fields.  This program only reads the corpora; it must never
 * write to them.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "log.h"
#include "netaddr.h"
#include "parser.h"
#include "record.h"
#include "syslog.h"
#include "tz.h"

/* The reference "now" for year-less lines: 2026-11-21T12:00:00Z. */
#define CORPUS_REF_US	(1795262400LL * 1000000)
#define CORPUS_LINE_MAX	(64 * 1024)

/* How an expected value is compared with a record field. */
enum corpus_cmp {
	CMP_EXACT = 0,
	CMP_IP,			/* both parsed, compared as addresses */
	CMP_TRANSPORT,		/* "TCP" is "tcp", "ICMPv6" "ipv6-icmp" */
	CMP_VERDICT,		/* "DROP", "drop_input", "PVEFW-reject" */
	CMP_DOMAIN,		/* a host name; "unknown" is no name */
	CMP_QUEUEID,		/* a queue id; "NOQUEUE" is none */
	CMP_MS_NS,		/* milliseconds against event.duration (ns) */
	CMP_TIME_SYSLOG,	/* "Jun  8 14:34:33": month-day-time */
	CMP_TIME_ISO,		/* ISO 8601: instant, or month-day-time */
	CMP_TIME_CLF,		/* "20/Jun/2022:13:09:14 +0200": instant */
	CMP_TIME_LOCAL,		/* local time in the source's zone */
	CMP_TIME_EPOCH_MS,	/* milliseconds since the epoch: instant */
	CMP_NONEMPTY		/* compare only a non-empty expectation */
};

/* An upstream key and the keibi field it names. */
struct corpus_map {
	const char	*key;		/* Parsed key, JSON path, ... */
	enum rf		 rf;
	enum corpus_cmp	 cmp;
};

enum corpus_kind {
	CK_CROWDSEC = 0,	/* dir: one *.log and parser.assert */
	CK_ELASTIC,		/* test-*.log and its -expected.json */
	CK_WAZUH,		/* .ini with "log N pass|fail = line" */
	CK_EVENTS,		/* raw lines */
	CK_FAILJSON,		/* fail2ban: "# failJSON: {...}" */
	CK_METRON,		/* raw lines; parsed JSONL in param */
	CK_GROK			/* postfix-grok-patterns YAML vectors */
};

/* Flags of a source. */
#define CS_NOT_EVENTS	0x01	/* its lines must not be events */
#define CS_NEG_POLICY	0x02	/* crowdsec Success false: policy */
#define CS_EVENTS_ONLY	0x04	/* fields of events only */

struct corpus_source {
	const char		*path;	/* under the corpora root */
	enum corpus_kind	 kind;
	const char		*param;	/* crowdsec parser; JSONL */
	const struct corpus_map	*map;
	int			 flags;
	const char		*tz;	/* zone of local times (UTC) */
	const char		*ref;	/* "now", ISO 8601 (default) */
	const char		*note;	/* out of scope, and why */
};

struct corpus_product {
	const char			*name;
	const char			*parser;
	const struct corpus_source	*sources;
};

/* A run over one product. */
struct corpus_run {
	const struct corpus_product	*prod;
	const struct parser		*parser;
	void				*state;
	struct tz			*tz;
	struct record			 rec;
	int				 rc;
	unsigned int			 ok;
	unsigned int			 total;
	unsigned int			 lines;
	unsigned int			 skipped; /* not events */
	const char			*where;	/* file being read */
	unsigned int			 lineno;
};

/* --- iptables ------------------------------------------------------- */

static const struct corpus_map iptables_crowdsec[] = {
	{ "src_ip", RF_SOURCE_IP, CMP_IP },
	{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
	{ "src_port", RF_SOURCE_PORT, CMP_EXACT },
	{ "dst_port", RF_DESTINATION_PORT, CMP_EXACT },
	{ "proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "action", RF_EVENT_ACTION, CMP_VERDICT },
	{ "timestamp", RF_TIMESTAMP, CMP_TIME_SYSLOG },
	{ "program", RF_PROCESS_NAME, CMP_EXACT },
	{ "message", RF_MESSAGE, CMP_EXACT },
	{ "int_eth", RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
	{ NULL, 0, 0 }
};

/* Proxmox: int_eth is the chain's zone there, iface is IN=. */
static const struct corpus_map iptables_proxmox[] = {
	{ "src_ip", RF_SOURCE_IP, CMP_IP },
	{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
	{ "src_port", RF_SOURCE_PORT, CMP_EXACT },
	{ "dst_port", RF_DESTINATION_PORT, CMP_EXACT },
	{ "proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "action", RF_EVENT_ACTION, CMP_VERDICT },
	{ "logdate", RF_TIMESTAMP, CMP_TIME_CLF },
	{ "program", RF_PROCESS_NAME, CMP_EXACT },
	{ "message", RF_MESSAGE, CMP_EXACT },
	{ "iface", RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
	{ NULL, 0, 0 }
};

static const struct corpus_map iptables_elastic[] = {
	{ "@timestamp", RF_TIMESTAMP, CMP_TIME_ISO },
	{ "source.ip", RF_SOURCE_IP, CMP_IP },
	{ "source.port", RF_SOURCE_PORT, CMP_EXACT },
	{ "destination.ip", RF_DESTINATION_IP, CMP_IP },
	{ "destination.port", RF_DESTINATION_PORT, CMP_EXACT },
	{ "network.transport", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "event.action", RF_EVENT_ACTION, CMP_VERDICT },
	{ "observer.name", RF_HOST_HOSTNAME, CMP_EXACT },
	{ "iptables.input_device", RF_OBSERVER_INGRESS_INTERFACE,
	    CMP_NONEMPTY },
	{ "iptables.output_device", RF_OBSERVER_EGRESS_INTERFACE,
	    CMP_NONEMPTY },
	{ NULL, 0, 0 }
};

static const struct corpus_source iptables_sources[] = {
	{ "firewall/iptables/crowdsec/iptables-logs", CK_CROWDSEC,
	    "crowdsecurity/iptables-logs", iptables_crowdsec, 0, NULL, NULL,
	    NULL },
	{ "firewall/iptables/crowdsec/proxmox-iptables-logs", CK_CROWDSEC,
	    "aderumier/proxmox-iptables-logs", iptables_proxmox,
	    CS_NEG_POLICY, NULL, NULL,
	    "Proxmox: upstream's Success == false marks ACCEPT, outbound and "
	    "verdict-less lines its parser drops by policy; keibi keeps them "
	    "as events, so only its positive lines are compared" },
	{ "firewall/iptables/crowdsec/iptables-scan-multi-port/"
	    "iptables-scan-multi-port.log", CK_EVENTS, NULL, NULL, 0, NULL,
	    NULL, "crowdsec scan test: scenario.assert only (a detection, "
	    "not fields); every line must be an event" },
	{ "firewall/iptables/elastic-integrations/test-iptables-raw.log",
	    CK_ELASTIC, NULL, iptables_elastic, 0, NULL, NULL,
	    "Elastic: rule.name/rule.id are EdgeOS-specific splits of the "
	    "prefix and not compared; geo, MAC and community_id are "
	    "enrichment; the year of year-less lines is upstream's "
	    "generation year, so those compare month-day-time" },
	{ "firewall/iptables/elastic-beats/geo.log", CK_EVENTS, NULL, NULL, 0,
	    NULL, NULL, NULL },
	{ "firewall/iptables/wazuh/iptables.ini", CK_WAZUH, NULL, NULL, 0,
	    NULL, NULL, "Wazuh: classification only, no field values; every "
	    "line must be an event" },
	{ "firewall/firewalld/wazuh/firewalld.ini", CK_WAZUH, NULL, NULL,
	    CS_NOT_EVENTS, NULL, NULL,
	    "firewalld.ini holds firewalld daemon errors, not netfilter "
	    "lines: none may be an event" },
	{ NULL, 0, NULL, NULL, 0, NULL, NULL, NULL }
};

/* --- squid ---------------------------------------------------------- */

/* fail2ban's harness: Europe/Berlin-like zone, "now" 2005-08-14T10:00Z. */
#define FAIL2BAN_TZ	"Europe/Berlin"
#define FAIL2BAN_NOW	"2005-08-14T10:00:00Z"

static const struct corpus_map squid_failjson[] = {
	{ "host", RF_SOURCE_IP, CMP_IP },
	{ "time", RF_TIMESTAMP, CMP_TIME_LOCAL },
	{ NULL, 0, 0 }
};

static const struct corpus_map squid_metron[] = {
	{ "ip_src_addr", RF_SOURCE_IP, CMP_IP },
	{ "ip_dst_addr", RF_DESTINATION_IP, CMP_IP },
	{ "url", RF_URL_ORIGINAL, CMP_EXACT },
	{ "full_hostname", RF_URL_DOMAIN, CMP_EXACT },
	{ "method", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
	{ "code", RF_HTTP_RESPONSE_STATUS_CODE, CMP_EXACT },
	{ "bytes", RF_DESTINATION_BYTES, CMP_EXACT },
	{ "action", RF_SQUID_RESULT_CODE, CMP_EXACT },
	{ "elapsed", RF_EVENT_DURATION, CMP_MS_NS },
	{ "timestamp", RF_TIMESTAMP, CMP_TIME_EPOCH_MS },
	{ NULL, 0, 0 }
};

static const struct corpus_map squid_elastic[] = {
	{ "source.ip", RF_SOURCE_IP, CMP_IP },
	{ "destination.ip", RF_DESTINATION_IP, CMP_IP },
	{ "url.original", RF_URL_ORIGINAL, CMP_EXACT },
	{ "url.domain", RF_URL_DOMAIN, CMP_EXACT },
	{ "url.path", RF_URL_PATH, CMP_EXACT },
	{ "url.scheme", RF_URL_SCHEME, CMP_EXACT },
	{ "http.request.method", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
	{ "http.response.status_code", RF_HTTP_RESPONSE_STATUS_CODE,
	    CMP_EXACT },
	{ "http.response.bytes", RF_DESTINATION_BYTES, CMP_EXACT },
	{ "event.outcome", RF_EVENT_OUTCOME, CMP_EXACT },
	{ "observer.name", RF_HOST_HOSTNAME, CMP_EXACT },
	{ "process.pid", RF_PROCESS_PID, CMP_EXACT },
	{ "squid.request_status", RF_SQUID_RESULT_CODE, CMP_EXACT },
	{ "squid.hierarchy_status", RF_SQUID_HIERARCHY, CMP_EXACT },
	{ NULL, 0, 0 }
};

static const struct corpus_source squid_sources[] = {
	{ "proxy/squid/fail2ban/squid", CK_FAILJSON, NULL, squid_failjson, 0,
	    FAIL2BAN_TZ, FAIL2BAN_NOW, NULL },
	{ "proxy/squid/metron/SquidExampleOutput", CK_METRON,
	    "proxy/squid/metron/SquidExampleParsed", squid_metron, 0, NULL,
	    NULL, NULL },
	{ "proxy/squid/elastic-integrations/test-pfsense-squid.log",
	    CK_ELASTIC, NULL, squid_elastic, 0, "-04:00", NULL,
	    "Elastic pfSense: @timestamp is not compared (the sample's "
	    "syslog time and Squid's own epoch time disagree; keibi keeps "
	    "Squid's), nor process.name (pfSense writes \"(squid-1)\", kept "
	    "as written)" },
	{ "proxy/squid/elastic-integrations/test-access.log", CK_EVENTS, NULL,
	    NULL, 0, NULL, NULL,
	    "Elastic access.log: copied without its expected file; every line "
	    "must be an event" },
	{ "proxy/squid/wazuh/squid_rules.ini", CK_WAZUH, NULL, NULL, 0, NULL,
	    NULL, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL, NULL, NULL }
};

/* --- postfix -------------------------------------------------------- */

static const struct corpus_map postfix_failjson[] = {
	{ "host", RF_SOURCE_IP, CMP_IP },
	{ "user", RF_USER_NAME, CMP_EXACT },
	{ "time", RF_TIMESTAMP, CMP_TIME_LOCAL },
	{ NULL, 0, 0 }
};

static const struct corpus_map postfix_crowdsec[] = {
	{ "remote_addr", RF_SOURCE_IP, CMP_IP },
	{ "remote_host", RF_SOURCE_DOMAIN, CMP_DOMAIN },
	{ "program", RF_PROCESS_NAME, CMP_EXACT },
	{ "pid", RF_PROCESS_PID, CMP_EXACT },
	{ "action", RF_EVENT_ACTION, CMP_EXACT },
	{ "timestamp", RF_TIMESTAMP, CMP_TIME_SYSLOG },
	{ "timestamp8601", RF_TIMESTAMP, CMP_TIME_ISO },
	{ "message", RF_MESSAGE, CMP_EXACT },
	{ NULL, 0, 0 }
};

/*
 * postfix-grok-patterns captures; "kv:" keys are taken from inside
 * postfix_keyvalue_data ("to=<a@b>, relay=..., dsn=2.0.0, status=sent").
 */
static const struct corpus_map postfix_grok[] = {
	{ "postfix_queueid", RF_EMAIL_LOCAL_ID, CMP_QUEUEID },
	{ "postfix_client_ip", RF_SOURCE_IP, CMP_IP },
	{ "postfix_client_hostname", RF_SOURCE_DOMAIN, CMP_DOMAIN },
	{ "postfix_from", RF_EMAIL_FROM_ADDRESS, CMP_EXACT },
	{ "postfix_status", RF_POSTFIX_STATUS, CMP_EXACT },
	{ "kv:from", RF_EMAIL_FROM_ADDRESS, CMP_EXACT },
	{ "kv:to", RF_EMAIL_TO_ADDRESS, CMP_EXACT },
	{ "kv:relay", RF_POSTFIX_RELAY, CMP_EXACT },
	{ "kv:dsn", RF_POSTFIX_DSN, CMP_EXACT },
	{ "kv:status", RF_POSTFIX_STATUS, CMP_EXACT },
	{ NULL, 0, 0 }
};

static const struct corpus_source postfix_sources[] = {
	{ "mail/postfix/fail2ban/postfix", CK_FAILJSON, NULL,
	    postfix_failjson, CS_EVENTS_ONLY, FAIL2BAN_TZ, FAIL2BAN_NOW,
	    "fail2ban: match:false lines need not be events" },
	{ "mail/postfix/crowdsec/postfix-logs", CK_CROWDSEC,
	    "crowdsecurity/postfix-logs", postfix_crowdsec, 0, NULL, NULL,
	    NULL },
	{ "mail/postfix/crowdsec/postscreen-logs", CK_CROWDSEC,
	    "crowdsecurity/postscreen-logs", postfix_crowdsec, 0, NULL, NULL,
	    NULL },
	{ "mail/postfix/crowdsec/postfix-helo/postfix-spam.log", CK_EVENTS,
	    NULL, NULL, 0, NULL, NULL, NULL },
	{ "mail/postfix/crowdsec/postfix-honeypot-users/"
	    "postfix-honeypot-users.log", CK_EVENTS, NULL, NULL, 0, NULL, NULL,
	    NULL },
	{ "mail/postfix/crowdsec/postfix-non-smtp/postfix-non-smtp.log",
	    CK_EVENTS, NULL, NULL, 0, NULL, NULL, NULL },
	{ "mail/postfix/crowdsec/postfix-relay/postfix-spam.log", CK_EVENTS,
	    NULL, NULL, 0, NULL, NULL, NULL },
	{ "mail/postfix/crowdsec/postfix-sasl-bf/postfix-sasl-bf.log",
	    CK_EVENTS, NULL, NULL, 0, NULL, NULL, NULL },
	{ "mail/postfix/crowdsec/postfix-spam/postfix-spam.log", CK_EVENTS,
	    NULL, NULL, 0, NULL, NULL,
	    "crowdsec scenario tests: scenario.assert only; every line must "
	    "be an event" },
	{ "mail/postfix/postfix-grok-patterns", CK_GROK, NULL, postfix_grok,
	    CS_EVENTS_ONLY, NULL, NULL,
	    "postfix-grok-patterns: vectors of sub-patterns (TLS features, "
	    "command counters, delays) and multi-line data are not whole "
	    "lines and are skipped; relay host/ip/port and TLS captures "
	    "have no keibi field; lines keibi does not make events of "
	    "(statistics, TLS handshakes, postsuper) are listed, not failed" },
	{ "mail/postfix/wazuh/postfix.ini", CK_WAZUH, NULL, NULL, 0, NULL,
	    NULL, NULL },
	{ "mail/postfix/ossec/postfix.ini", CK_WAZUH, NULL, NULL, 0, NULL,
	    NULL, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL, NULL, NULL }
};

static const struct corpus_product corpus_products[] = {
	{ "iptables", "iptables", iptables_sources },
	{ "squid", "squid", squid_sources },
	{ "postfix", "postfix", postfix_sources },
	{ NULL, NULL, NULL }
};

/* --- comparing ------------------------------------------------------ */

static const char *const corpus_verdicts[] = {
	"accept", "allow", "block", "drop", "deny", "reject", NULL
};

/* Print a mismatch of run r with escaped text. */
static void
corpus_mismatch(struct corpus_run *r, const char *field, const char *want,
    const char *got)
{
	char	ew[256], eg[256];

	log_escape(want, strlen(want), ew, sizeof ew);
	log_escape(got, strlen(got), eg, sizeof eg);
	printf("MISMATCH %s:%u: %s: want \"%s\", got \"%s\"\n", r->where,
	    r->lineno, field, ew, eg);
}

/* Lowercase ASCII copy of s into buf. */
static void
corpus_lower(const char *s, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i];
	buf[i] = '\0';
}

/* The verdict an upstream action names ("drop_input" -> "drop"). */
static void
corpus_verdict(const char *s, char *buf, size_t size)
{
	char	l[128];
	size_t	i;

	corpus_lower(s, l, sizeof l);
	for (i = 0; corpus_verdicts[i] != NULL; i++) {
		if (strstr(l, corpus_verdicts[i]) != NULL) {
			snprintf(buf, size, "%s", corpus_verdicts[i]);
			return;
		}
	}
	snprintf(buf, size, "%s", l);
}

/* Month number of a three-letter English name; 0 if none. */
static int
corpus_month(const char *s)
{
	static const char	months[] =
	    "JanFebMarAprMayJunJulAugSepOctNovDec";
	int			i;

	for (i = 0; i < 12; i++)
		if (strncmp(s, months + i * 3, 3) == 0)
			return i + 1;
	return 0;
}

/* The day of " 8" or "18" at s; 0 if none. */
static int
corpus_day(const char *s)
{
	int	d = 0;

	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9' && d < 100)
		d = d * 10 + (*s++ - '0');
	return d;
}

/*
 * "2005-03-7T02:09:33.000" (fail2ban does not always pad) as
 * "2005-03-07T02:09:33" in buf; the text unchanged if it is no time.
 */
static void
corpus_norm_time(const char *s, char *buf, size_t size)
{
	static const char	seps[] = "--T::";
	const char		*p = s;
	int			 v[6], i;

	for (i = 0; i < 6; i++) {
		if (*p < '0' || *p > '9')
			break;
		for (v[i] = 0; *p >= '0' && *p <= '9' && v[i] < 10000; p++)
			v[i] = v[i] * 10 + (*p - '0');
		if (i < 5 && *p++ != seps[i])
			break;
	}
	if (i < 6) {
		snprintf(buf, size, "%s", s);
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", v[0], v[1], v[2],
	    v[3], v[4], v[5]);
}

/*
 * The record's @timestamp as the expectation can be compared: "MM-DDThh:
 * mm:ss" (local time of the line) into buf; false if it has none.
 */
static bool
corpus_md(const struct record *rec, char *buf, size_t size)
{
	char	full[64];

	if (!rec->has_ts)
		return false;
	record_format_time(rec->ts_us, rec->tz_off, 0, full, sizeof full);
	snprintf(buf, size, "%.14s", full + 5);
	return true;
}

/* Compare expected value want (of upstream key) with field m of r. */
static void
corpus_compare(struct corpus_run *r, const struct corpus_map *m,
    const char *want)
{
	const struct record	*rec = &r->rec;
	struct span		 v;
	struct netaddr		 a, b;
	char			 got[CORPUS_LINE_MAX], w[128], iso[64];
	int64_t			 ts;
	int32_t			 off;
	uint8_t			 digits;
	int			 mon;
	char			*end;
	bool			 ok = false;

	if (m->cmp == CMP_NONEMPTY && *want == '\0')
		return;
	got[0] = '\0';
	if (m->rf != RF_TIMESTAMP && record_has(rec, m->rf)) {
		v = record_get(rec, m->rf);
		snprintf(got, sizeof got, "%.*s", (int)v.len, v.p);
	}
	r->total++;

	switch (m->cmp) {
	case CMP_EXACT:
	case CMP_NONEMPTY:
		ok = strcmp(got, want) == 0;
		break;
	case CMP_IP:
		ok = netaddr_parse(&a, got, strlen(got)) == 0 &&
		    netaddr_parse(&b, want, strlen(want)) == 0 &&
		    a.family == b.family && memcmp(a.a, b.a, 16) == 0;
		break;
	case CMP_TRANSPORT:
		corpus_lower(want, w, sizeof w);
		if (strcmp(w, "icmpv6") == 0)
			snprintf(w, sizeof w, "ipv6-icmp");
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_VERDICT:
		corpus_verdict(want, w, sizeof w);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_DOMAIN:
		if (strcmp(want, "unknown") == 0)
			want = "";
		ok = strcmp(got, want) == 0;
		break;
	case CMP_QUEUEID:
		if (strcmp(want, "NOQUEUE") == 0)
			want = "";
		ok = strcmp(got, want) == 0;
		break;
	case CMP_MS_NS:
		snprintf(w, sizeof w, "%s000000", want);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_TIME_EPOCH_MS:
		if (!rec->has_ts)
			break;
		errno = 0;
		ts = strtoll(want, &end, 10);
		record_format_time(rec->ts_us, 0, 3, got, sizeof got);
		ok = errno == 0 && *end == '\0' && ts * 1000 == rec->ts_us;
		break;
	case CMP_TIME_LOCAL:
		/* "2005-07-12T07:47:48[.000]" in the source's zone */
		if (!rec->has_ts)
			break;
		off = tz_offset_at(r->tz, rec->ts_us / 1000000);
		record_format_time(rec->ts_us, off, 0, iso, sizeof iso);
		corpus_norm_time(want, w, sizeof w);
		if (rec->flags & REC_NO_YEAR) {
			snprintf(got, sizeof got, "%.14s", iso + 5);
			memmove(w, w + 5, strlen(w + 5) + 1);
		} else
			snprintf(got, sizeof got, "%.19s", iso);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_TIME_SYSLOG:
		/* "Jun  8 14:34:33" */
		if (strlen(want) >= 15 && (mon = corpus_month(want)) != 0) {
			snprintf(w, sizeof w, "%02d-%02dT%.8s", mon,
			    corpus_day(want + 4), want + 7);
			want = w;
		}
		if (corpus_md(rec, got, sizeof got))
			ok = strcmp(got, want) == 0;
		break;
	case CMP_TIME_ISO:
		if (iso8601_parse(want, strlen(want), NULL, &ts, &off,
		    &digits) != strlen(want) || !rec->has_ts)
			break;
		if ((rec->flags & REC_NO_YEAR) == 0) {
			ok = ts == rec->ts_us;
			record_format_time(rec->ts_us, 0, 3, got, sizeof got);
			break;
		}
		/* Year-less: month-day-time, both in UTC. */
		record_format_time(ts, 0, 0, iso, sizeof iso);
		snprintf(w, sizeof w, "%.14s", iso + 5);
		record_format_time(rec->ts_us, 0, 0, iso, sizeof iso);
		snprintf(got, sizeof got, "%.14s", iso + 5);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_TIME_CLF:
		/* "20/Jun/2022:13:09:14 +0200" -> ISO 8601 */
		if (strlen(want) == 26 && (mon = corpus_month(want + 3)) != 0)
			snprintf(iso, sizeof iso, "%.4s-%02d-%.2sT%.8s%.5s",
			    want + 7, mon, want, want + 12, want + 21);
		else
			snprintf(iso, sizeof iso, "?");
		if (rec->has_ts)
			record_format_time(rec->ts_us, rec->tz_off, 0, got,
			    sizeof got);
		ok = rec->has_ts && iso8601_parse(iso, strlen(iso), NULL, &ts,
		    &off, &digits) == strlen(iso) && ts == rec->ts_us &&
		    off == rec->tz_off;
		break;
	}
	if (ok)
		r->ok++;
	else
		corpus_mismatch(r, m->key, want, got);
}

/* Parse one line of run r into r->rec; r->rc is the parser's answer. */
static void
corpus_parse(struct corpus_run *r, const char *line, size_t len)
{
	record_reset(&r->rec);
	r->rc = r->parser->parse(r->state, line, len, &r->rec);
	if (r->rc == 1)
		record_finish(&r->rec, NULL);
	r->lines++;
}

/* Count the check "is an event" (want true) or "is not" (want false). */
static void
corpus_event(struct corpus_run *r, bool want)
{
	char	got[16];

	r->total++;
	if ((r->rc == 1) == want) {
		r->ok++;
		return;
	}
	snprintf(got, sizeof got, "%d", r->rc);
	corpus_mismatch(r, "event", want ? "1 (an event)" : "0 or -1", got);
}

/* Read the lines of path into a NULL-terminated array; NULL on error. */
static char **
corpus_lines(const char *path, size_t *n)
{
	FILE	 *f;
	char	**v = NULL, *line = NULL;
	size_t	  cap = 0, count = 0;
	ssize_t	  len;

	if ((f = fopen(path, "r")) == NULL) {
		printf("FAIL %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((v = realloc(v, (count + 2) * sizeof *v)) == NULL)
			fatal("realloc");
		if ((v[count++] = strdup(line)) == NULL)
			fatal("strdup");
	}
	free(line);
	fclose(f);
	if (v == NULL && (v = calloc(1, sizeof *v)) == NULL)
		fatal("calloc");
	v[count] = NULL;
	*n = count;
	return v;
}

/* Free what corpus_lines returned. */
static void
corpus_lines_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Raw lines: every non-empty one must (or must not) be an event. */
static int
corpus_events(struct corpus_run *r, const struct corpus_source *src,
    const char *path)
{
	char	**v;
	size_t	  n, i;

	if ((v = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (*v[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		corpus_parse(r, v[i], strlen(v[i]));
		corpus_event(r, (src->flags & CS_NOT_EVENTS) == 0);
	}
	corpus_lines_free(v);
	return 0;
}

/* Wazuh .ini: each "log N pass|fail = line" is a sample. */
static int
corpus_wazuh(struct corpus_run *r, const struct corpus_source *src,
    const char *path)
{
	char		**v, *eq;
	size_t		  n, i;

	if ((v = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(v[i], "log ", 4) != 0 ||
		    (eq = strstr(v[i], " = ")) == NULL)
			continue;
		r->lineno = (unsigned int)i + 1;
		corpus_parse(r, eq + 3, strlen(eq + 3));
		corpus_event(r, (src->flags & CS_NOT_EVENTS) == 0);
	}
	corpus_lines_free(v);
	return 0;
}

/*
 * Read a Go string literal at *pp ("...", with \" and \\ escapes) into
 * buf; false if there is none.
 */
static bool
corpus_gostr(const char **pp, char *buf, size_t size)
{
	const char	*p = *pp;
	size_t		 n = 0;

	if (*p++ != '"')
		return false;
	while (*p != '\0' && *p != '"') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < size)
			buf[n++] = *p;
		p++;
	}
	if (*p != '"')
		return false;
	buf[n] = '\0';
	*pp = p + 1;
	return true;
}

/* Find the one *.log file in dir into buf; false if not exactly one. */
static bool
corpus_find_log(const char *dir, char *buf, size_t size)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 len;
	int		 found = 0;

	if ((d = opendir(dir)) == NULL)
		return false;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".log") == 0) {
			snprintf(buf, size, "%s/%s", dir, de->d_name);
			found++;
		}
	}
	closedir(d);
	return found == 1;
}

/*
 * crowdsec hubtest: parser.assert lines of the s01-parse stage of the
 * source's upstream parser, results[...][i] being line i of the log.
 */
static int
corpus_crowdsec(struct corpus_run *r, const struct corpus_source *src,
    const char *dir)
{
	const struct corpus_map	 *m;
	char			  logpath[4096], apath[4096], prefix[256];
	char			  key[128], val[CORPUS_LINE_MAX];
	char			**lines, **asserts, *end;
	const char		 *p;
	size_t			  nl, na, i;
	unsigned long		  idx, cur = (unsigned long)-1;

	if (!corpus_find_log(dir, logpath, sizeof logpath)) {
		printf("FAIL %s: not exactly one .log file\n", dir);
		return -1;
	}
	snprintf(apath, sizeof apath, "%s/parser.assert", dir);
	snprintf(prefix, sizeof prefix, "results[\"s01-parse\"][\"%s\"][",
	    src->param);
	if ((lines = corpus_lines(logpath, &nl)) == NULL)
		return -1;
	if ((asserts = corpus_lines(apath, &na)) == NULL) {
		corpus_lines_free(lines);
		return -1;
	}
	r->where = logpath;
	for (i = 0; i < na; i++) {
		if (strncmp(asserts[i], prefix, strlen(prefix)) != 0)
			continue;
		p = asserts[i] + strlen(prefix);
		errno = 0;
		idx = strtoul(p, &end, 10);
		if (end == p || *end != ']' || errno != 0 || idx >= nl) {
			printf("FAIL %s:%zu: bad line index\n", apath, i + 1);
			r->total++;
			continue;
		}
		if (idx != cur) {
			r->lineno = (unsigned int)idx + 1;
			corpus_parse(r, lines[idx], strlen(lines[idx]));
			cur = idx;
		}
		p = end + 1;
		if (strcmp(p, ".Success == true") == 0)
			corpus_event(r, true);
		else if (strcmp(p, ".Success == false") == 0) {
			if ((src->flags & CS_NEG_POLICY) == 0)
				corpus_event(r, false);
		} else if (strncmp(p, ".Evt.Parsed[", 12) == 0) {
			p += 12;
			if (!corpus_gostr(&p, key, sizeof key) ||
			    strncmp(p, "] == ", 5) != 0)
				continue;
			p += 5;
			if (!corpus_gostr(&p, val, sizeof val))
				continue;
			for (m = src->map; m->key != NULL; m++) {
				if (strcmp(m->key, key) != 0)
					continue;
				/* A line upstream rejects has no fields. */
				if (r->rc == 1 ||
				    (src->flags & CS_NEG_POLICY) == 0)
					corpus_compare(r, m, val);
			}
		}
	}
	corpus_lines_free(lines);
	corpus_lines_free(asserts);
	return 0;
}

/* The JSON value at a dotted path of o ("source.ip"); NULL if absent. */
static json_t *
corpus_json_path(json_t *o, const char *path)
{
	char	 part[128];
	size_t	 n;

	while (o != NULL && *path != '\0') {
		/* "@timestamp" and nested objects. */
		n = strcspn(path, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return o;
}

/* Elastic pipeline test: expected[i] belongs to the i-th non-empty line. */
static int
corpus_elastic(struct corpus_run *r, const struct corpus_source *src,
    const char *path)
{
	const struct corpus_map	 *m;
	json_error_t		  jerr;
	json_t			 *doc, *exp, *e, *v, *orig;
	char			  jpath[4096], val[CORPUS_LINE_MAX];
	char			**lines;
	size_t			  nl, i, k = 0;
	int			  rc = 0;

	snprintf(jpath, sizeof jpath, "%s-expected.json", path);
	if ((doc = json_load_file(jpath, 0, &jerr)) == NULL) {
		printf("FAIL %s: %s\n", jpath, jerr.text);
		return -1;
	}
	exp = json_object_get(doc, "expected");
	if ((lines = corpus_lines(path, &nl)) == NULL) {
		json_decref(doc);
		return -1;
	}
	for (i = 0; i < nl; i++) {
		if (*lines[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		if ((e = json_array_get(exp, k++)) == NULL) {
			printf("FAIL %s:%zu: no expectation\n", path, i + 1);
			rc = -1;
			break;
		}
		orig = corpus_json_path(e, "event.original");
		if (json_is_string(orig) &&
		    strcmp(json_string_value(orig), lines[i]) != 0) {
			printf("FAIL %s:%zu: event.original differs\n", path,
			    i + 1);
			rc = -1;
			break;
		}
		corpus_parse(r, lines[i], strlen(lines[i]));
		corpus_event(r, true);
		for (m = src->map; m->key != NULL; m++) {
			if ((v = corpus_json_path(e, m->key)) == NULL)
				continue;
			if (json_is_string(v))
				snprintf(val, sizeof val, "%s",
				    json_string_value(v));
			else if (json_is_integer(v))
				snprintf(val, sizeof val, "%lld",
				    (long long)json_integer_value(v));
			else
				continue;
			corpus_compare(r, m, val);
		}
	}
	corpus_lines_free(lines);
	json_decref(doc);
	return rc;
}

/* Compare JSON value v (string or integer) with map entry m. */
static void
corpus_compare_json(struct corpus_run *r, const struct corpus_map *m,
    json_t *v)
{
	char	val[CORPUS_LINE_MAX];

	if (json_is_string(v))
		snprintf(val, sizeof val, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(val, sizeof val, "%lld",
		    (long long)json_integer_value(v));
	else
		return;
	corpus_compare(r, m, val);
}

/*
 * fail2ban: "# failJSON: {...}" sets the expectation of the next log
 * line.  A line fail2ban must match has to be an event; fields are
 * compared on events.
 */
static int
corpus_failjson(struct corpus_run *r, const struct corpus_source *src,
    const char *path)
{
	const struct corpus_map	 *m;
	json_error_t		  jerr;
	json_t			 *exp = NULL, *v;
	char			**lines, *p;
	size_t			  n, i;
	bool			  match;

	if ((lines = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		p = lines[i];
		if (*p == '#') {
			while (*p == '#')
				p++;
			if (*p == ' ')
				p++;
			if (strncmp(p, "failJSON:", 9) != 0)
				continue;
			json_decref(exp);
			if ((exp = json_loads(p + 9, 0, &jerr)) == NULL)
				printf("FAIL %s:%zu: %s\n", path, i + 1,
				    jerr.text);
			continue;
		}
		if (*p == '\0' || exp == NULL)
			continue;
		r->lineno = (unsigned int)i + 1;
		corpus_parse(r, p, strlen(p));
		match = json_is_true(json_object_get(exp, "match"));
		if (match || (src->flags & CS_EVENTS_ONLY) == 0)
			corpus_event(r, true);
		if (r->rc == 1) {
			for (m = src->map; m->key != NULL; m++)
				if ((v = json_object_get(exp, m->key)) != NULL)
					corpus_compare_json(r, m, v);
		}
		json_decref(exp);
		exp = NULL;
	}
	json_decref(exp);
	corpus_lines_free(lines);
	return 0;
}

/* Metron: raw lines, parsed objects (JSONL) keyed by original_string. */
static int
corpus_metron(struct corpus_run *r, const struct corpus_source *src,
    const char *path, const char *root)
{
	const struct corpus_map	 *m;
	json_t			**parsed, *v, *o;
	char			  ppath[4096];
	char			**raw, **jl;
	size_t			  nr, nj, i, j;
	int			  rc = 0;

	snprintf(ppath, sizeof ppath, "%s/%s", root, src->param);
	if ((raw = corpus_lines(path, &nr)) == NULL)
		return -1;
	if ((jl = corpus_lines(ppath, &nj)) == NULL) {
		corpus_lines_free(raw);
		return -1;
	}
	if ((parsed = calloc(nj + 1, sizeof *parsed)) == NULL)
		fatal("calloc");
	for (j = 0; j < nj; j++)
		parsed[j] = json_loads(jl[j], 0, NULL);
	for (i = 0; i < nr; i++) {
		if (*raw[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		for (o = NULL, j = 0; j < nj && o == NULL; j++) {
			v = json_object_get(parsed[j], "original_string");
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), raw[i]) == 0)
				o = parsed[j];
		}
		if (o == NULL) {
			printf("FAIL %s:%zu: no parsed object\n", path, i + 1);
			rc = -1;
			continue;
		}
		corpus_parse(r, raw[i], strlen(raw[i]));
		corpus_event(r, true);
		for (m = src->map; m->key != NULL; m++)
			if ((v = json_object_get(o, m->key)) != NULL)
				corpus_compare_json(r, m, v);
	}
	for (j = 0; j < nj; j++)
		json_decref(parsed[j]);
	free(parsed);
	corpus_lines_free(raw);
	corpus_lines_free(jl);
	return rc;
}

/* The postfix daemon a grok pattern name stands for; NULL if none. */
static const char *
corpus_grok_daemon(const char *pattern)
{
	static const struct {
		const char	*pattern;
		const char	*daemon;
	} daemons[] = {
		{ "POSTFIX_ANVIL", "anvil" }, { "POSTFIX_BOUNCE", "bounce" },
		{ "POSTFIX_CLEANUP", "cleanup" },
		{ "POSTFIX_DISCARD", "discard" },
		{ "POSTFIX_DNSBLOG", "dnsblog" }, { "POSTFIX_ERROR", "error" },
		{ "POSTFIX_LMTP", "lmtp" }, { "POSTFIX_LOCAL", "local" },
		{ "POSTFIX_MASTER", "master" }, { "POSTFIX_PICKUP", "pickup" },
		{ "POSTFIX_PIPE", "pipe" }, { "POSTFIX_POSTDROP", "postdrop" },
		{ "POSTFIX_POSTMAP", "postmap" },
		{ "POSTFIX_POSTSCREEN", "postscreen" },
		{ "POSTFIX_POSTSUPER", "postsuper" },
		{ "POSTFIX_QMGR", "qmgr" }, { "POSTFIX_RELAY", "relay" },
		{ "POSTFIX_SCACHE", "scache" },
		{ "POSTFIX_SCRIPT", "postfix-script" },
		{ "POSTFIX_SENDMAIL", "sendmail" },
		{ "POSTFIX_SMTPD", "smtpd" }, { "POSTFIX_SMTP", "smtp" },
		{ "POSTFIX_TLSMGR", "tlsmgr" },
		{ "POSTFIX_TLSPROXY", "tlsproxy" },
		{ "POSTFIX_TRIVIAL_REWRITE", "trivial-rewrite" },
		{ "POSTFIX_VERIFY", "verify" },
		{ "POSTFIX_VIRTUAL", "virtual" },
	};
	const char	*p;
	size_t		 i, n;

	if ((p = strstr(pattern, "%{")) == NULL)
		return NULL;
	p += 2;
	n = strcspn(p, "}");
	for (i = 0; i < sizeof daemons / sizeof daemons[0]; i++)
		if (strlen(daemons[i].pattern) == n &&
		    strncmp(p, daemons[i].pattern, n) == 0)
			return daemons[i].daemon;
	return NULL;
}

/* The scalar value of node n in doc; NULL if it is not a scalar. */
static const char *
corpus_yaml_scalar(yaml_document_t *doc, yaml_node_t *n)
{
	(void)doc;
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The value of key in the mapping node map; NULL if absent. */
static yaml_node_t *
corpus_yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*pair;
	const char		*k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = corpus_yaml_scalar(doc,
		    yaml_document_get_node(doc, pair->key));
		if (k != NULL && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/*
 * Value of key= inside a postfix key=value list ("to=<a@b>, relay=x,
 * status=sent") into buf, without the angle brackets; false if absent.
 */
static bool
corpus_kv(const char *kv, const char *key, char *buf, size_t size)
{
	const char	*p = kv, *v;
	size_t		 klen = strlen(key), n;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == kv || p[-1] == ' ' || p[-1] == ',') &&
		    p[klen] == '=') {
			v = p + klen + 1;
			n = strcspn(v, ", ");
			if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
				v++;
				n -= 2;
			}
			snprintf(buf, size, "%.*s", (int)n, v);
			return true;
		}
		p += klen;
	}
	return false;
}

/* Compare the expectations of one grok vector with the record of r. */
static void
corpus_grok_fields(struct corpus_run *r, const struct corpus_source *src,
    yaml_document_t *doc, yaml_node_t *results)
{
	const struct corpus_map	*m;
	const char		*want, *kv;
	char			 buf[1024];

	kv = corpus_yaml_scalar(doc,
	    corpus_yaml_get(doc, results, "postfix_keyvalue_data"));
	for (m = src->map; m->key != NULL; m++) {
		if (strncmp(m->key, "kv:", 3) == 0) {
			if (kv == NULL || !corpus_kv(kv, m->key + 3, buf,
			    sizeof buf))
				continue;
			want = buf;
		} else if ((want = corpus_yaml_scalar(doc,
		    corpus_yaml_get(doc, results, m->key))) == NULL)
			continue;
		corpus_compare(r, m, want);
	}
}

/* One postfix-grok-patterns vector: the message behind a made header. */
static int
corpus_grok_file(struct corpus_run *r, const struct corpus_source *src,
    const char *path)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root;
	const char	*pattern, *data, *daemon;
	char		 line[CORPUS_LINE_MAX], ed[256];
	FILE		*f;
	int		 rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("FAIL %s: %s\n", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		printf("FAIL %s: YAML: %s\n", path, parser.problem != NULL ?
		    parser.problem : "error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	pattern = corpus_yaml_scalar(&doc,
	    corpus_yaml_get(&doc, root, "pattern"));
	data = corpus_yaml_scalar(&doc, corpus_yaml_get(&doc, root, "data"));
	r->where = path;
	r->lineno = 1;
	if (pattern == NULL || data == NULL) {
		printf("FAIL %s: no pattern or data\n", path);
		rc = -1;
	} else if ((daemon = corpus_grok_daemon(pattern)) != NULL &&
	    strchr(data, '\n') == NULL) {
		snprintf(line, sizeof line,
		    "Nov 21 10:00:00 mx postfix/%s[123]: %s", daemon, data);
		corpus_parse(r, line, strlen(line));
		if (r->rc == 1)
			corpus_grok_fields(r, src, &doc,
			    corpus_yaml_get(&doc, root, "results"));
		else {
			r->skipped++;
			log_escape(data, strlen(data), ed, sizeof ed);
			printf("info: %s: not an event (%d): %s\n", path, r->rc,
			    ed);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* String comparison for qsort of file names. */
static int
corpus_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* postfix-grok-patterns: every *.yaml of the folder, in name order. */
static int
corpus_grok(struct corpus_run *r, const struct corpus_source *src,
    const char *dir)
{
	struct dirent	 *de;
	DIR		 *d;
	char		**names = NULL, path[4096];
	size_t		  n = 0, i, len;
	int		  rc = 0;

	if ((d = opendir(dir)) == NULL) {
		printf("FAIL %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if ((names = realloc(names, (n + 1) * sizeof *names)) == NULL)
			fatal("realloc");
		if ((names[n++] = strdup(de->d_name)) == NULL)
			fatal("strdup");
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, corpus_strcmp);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir,
		    names[i]) >= sizeof path ||
		    corpus_grok_file(r, src, path) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Run one source of run r; -1 if it could not be read. */
static int
corpus_source_run(struct corpus_run *r, const struct corpus_source *src,
    const char *root)
{
	struct parser_opts	 po;
	const char		*cause;
	char			 path[4096];
	int32_t			 off;
	uint8_t			 digits;
	int			 rc = -1;

	memset(&po, 0, sizeof po);
	po.ref_us = CORPUS_REF_US;
	if (src->ref != NULL && iso8601_parse(src->ref, strlen(src->ref),
	    NULL, &po.ref_us, &off, &digits) != strlen(src->ref))
		fatalx("bad reference time %s", src->ref);
	po.max_queue = 100000;
	r->tz = NULL;
	if (src->tz != NULL && (r->tz = tz_open(src->tz, &cause)) == NULL)
		fatalx("%s: %s", src->tz, cause);
	po.tz = r->tz;
	if ((r->state = r->parser->state_new(&po)) == NULL)
		fatalx("parser state");
	snprintf(path, sizeof path, "%s/%s", root, src->path);
	r->where = path;
	switch (src->kind) {
	case CK_CROWDSEC:
		rc = corpus_crowdsec(r, src, path);
		break;
	case CK_ELASTIC:
		rc = corpus_elastic(r, src, path);
		break;
	case CK_WAZUH:
		rc = corpus_wazuh(r, src, path);
		break;
	case CK_EVENTS:
		rc = corpus_events(r, src, path);
		break;
	case CK_FAILJSON:
		rc = corpus_failjson(r, src, path);
		break;
	case CK_METRON:
		rc = corpus_metron(r, src, path, root);
		break;
	case CK_GROK:
		rc = corpus_grok(r, src, path);
		break;
	}
	r->parser->state_free(r->state);
	tz_free(r->tz);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct corpus_product	*prod;
	const struct corpus_source	*src;
	struct corpus_run		 r;
	int				 status = 0;

	log_init("corpus_check", 0);
	if (argc != 2) {
		fprintf(stderr, "usage: corpus_check CORPORA-DIR\n");
		return 2;
	}
	for (prod = corpus_products; prod->name != NULL; prod++) {
		memset(&r, 0, sizeof r);
		r.prod = prod;
		if ((r.parser = parser_lookup(prod->parser)) == NULL) {
			printf("FAIL %s: no parser %s\n", prod->name,
			    prod->parser);
			status = 1;
			continue;
		}
		for (src = prod->sources; src->path != NULL; src++) {
			if (src->note != NULL)
				printf("note: %s: %s\n", src->path, src->note);
			if (corpus_source_run(&r, src, argv[1]) != 0)
				status = 1;
		}
		printf("%s: %u/%u fields ok (%u lines", prod->name, r.ok,
		    r.total, r.lines);
		if (r.skipped > 0)
			printf(", %u not events by design, listed above",
			    r.skipped);
		printf(")\n");
		if (r.ok != r.total || r.total == 0)
			status = 1;
	}
	return status;
}
