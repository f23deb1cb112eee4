/*
 * record.c: field table of the normalised event, direction from the
 * internal networks, and the JSON rendering used by tools and tests.
 * record_reset() and record_finish() run once per line and never allocate;
 * record_to_json() allocates and is not for the per-line path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "record.h"
#include "tz.h"

struct record_field {
	const char	*name;
	enum rf_type	 type;
};

static const struct record_field record_fields[RF_MAX] = {
	[RF_TIMESTAMP] = { "@timestamp", RFT_TIME },
	[RF_EVENT_DATASET] = { "event.dataset", RFT_STRING },
	[RF_EVENT_ACTION] = { "event.action", RFT_STRING },
	[RF_EVENT_OUTCOME] = { "event.outcome", RFT_STRING },
	[RF_EVENT_REASON] = { "event.reason", RFT_STRING },
	[RF_EVENT_DURATION] = { "event.duration", RFT_INT },
	[RF_EVENT_CODE] = { "event.code", RFT_STRING },
	[RF_EVENT_TYPE] = { "event.type", RFT_STRING },
	[RF_SOURCE_IP] = { "source.ip", RFT_IP },
	[RF_SOURCE_PORT] = { "source.port", RFT_INT },
	[RF_SOURCE_DOMAIN] = { "source.domain", RFT_STRING },
	[RF_SOURCE_BYTES] = { "source.bytes", RFT_INT },
	[RF_SOURCE_NAT_IP] = { "source.nat.ip", RFT_IP },
	[RF_DESTINATION_IP] = { "destination.ip", RFT_IP },
	[RF_DESTINATION_PORT] = { "destination.port", RFT_INT },
	[RF_DESTINATION_DOMAIN] = { "destination.domain", RFT_STRING },
	[RF_DESTINATION_BYTES] = { "destination.bytes", RFT_INT },
	[RF_NETWORK_TRANSPORT] = { "network.transport", RFT_STRING },
	[RF_NETWORK_DIRECTION] = { "network.direction", RFT_STRING },
	[RF_NETWORK_BYTES] = { "network.bytes", RFT_INT },
	[RF_NETWORK_APPLICATION] = { "network.application", RFT_STRING },
	[RF_NETWORK_PROTOCOL] = { "network.protocol", RFT_STRING },
	[RF_URL_ORIGINAL] = { "url.original", RFT_STRING },
	[RF_URL_DOMAIN] = { "url.domain", RFT_STRING },
	[RF_URL_PATH] = { "url.path", RFT_STRING },
	[RF_URL_SCHEME] = { "url.scheme", RFT_STRING },
	[RF_HTTP_REQUEST_METHOD] = { "http.request.method", RFT_STRING },
	[RF_HTTP_REQUEST_REFERRER] = { "http.request.referrer", RFT_STRING },
	[RF_HTTP_RESPONSE_STATUS_CODE] = { "http.response.status_code", RFT_INT },
	[RF_HTTP_RESPONSE_MIME_TYPE] = { "http.response.mime_type", RFT_STRING },
	[RF_USER_AGENT_ORIGINAL] = { "user_agent.original", RFT_STRING },
	[RF_USER_NAME] = { "user.name", RFT_STRING },
	[RF_EMAIL_FROM_ADDRESS] = { "email.from.address", RFT_STRING },
	[RF_EMAIL_TO_ADDRESS] = { "email.to.address", RFT_STRING },
	[RF_EMAIL_MESSAGE_ID] = { "email.message_id", RFT_STRING },
	[RF_EMAIL_LOCAL_ID] = { "email.local_id", RFT_STRING },
	[RF_EMAIL_SUBJECT] = { "email.subject", RFT_STRING },
	[RF_HOST_HOSTNAME] = { "host.hostname", RFT_STRING },
	[RF_PROCESS_NAME] = { "process.name", RFT_STRING },
	[RF_PROCESS_PID] = { "process.pid", RFT_INT },
	[RF_OBSERVER_INGRESS_INTERFACE] = { "observer.ingress.interface.name", RFT_STRING },
	[RF_OBSERVER_EGRESS_INTERFACE] = { "observer.egress.interface.name", RFT_STRING },
	[RF_RULE_NAME] = { "rule.name", RFT_STRING },
	[RF_RULE_ID] = { "rule.id", RFT_STRING },
	[RF_TLS_SERVER_NAME] = { "tls.server.name", RFT_STRING },
	[RF_DNS_QUESTION_NAME] = { "dns.question.name", RFT_STRING },
	[RF_DESTINATION_GEO_COUNTRY_ISO_CODE] = { "destination.geo.country_iso_code", RFT_STRING },
	[RF_DESTINATION_AS_NUMBER] = { "destination.as.number", RFT_INT },
	[RF_DESTINATION_AS_ORGANIZATION_NAME] = { "destination.as.organization.name", RFT_STRING },
	[RF_SQUID_RESULT_CODE] = { "squid.result_code", RFT_STRING },
	[RF_SQUID_HIERARCHY] = { "squid.hierarchy_code", RFT_STRING },
	[RF_POSTFIX_RELAY] = { "postfix.relay", RFT_STRING },
	[RF_POSTFIX_STATUS] = { "postfix.status", RFT_STRING },
	[RF_POSTFIX_DSN] = { "postfix.dsn", RFT_STRING },
	[RF_MESSAGE] = { "message", RFT_STRING },
};

void
record_reset(struct record *rec)
{
	/*
	 * Only the bookkeeping is cleared: spans of unset fields are never
	 * read because record_has() guards every access.
	 */
	rec->present = 0;
	rec->has_ts = false;
	rec->ts_us = 0;
	rec->tz_off = 0;
	rec->ts_digits = 0;
	rec->src.family = 0;
	rec->dst.family = 0;
	rec->flags = 0;
	rec->line = SPAN_NULL;
}

const char *
record_field_name(enum rf rf)
{
	if ((unsigned int)rf >= RF_MAX)
		return NULL;
	return record_fields[rf].name;
}

enum rf_type
record_field_type(enum rf rf)
{
	return record_fields[rf].type;
}

int
record_field_lookup(const char *name, size_t len)
{
	int	i;

	for (i = 0; i < RF_MAX; i++) {
		if (strlen(record_fields[i].name) == len &&
		    memcmp(record_fields[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

void
record_finish(struct record *rec, const struct cidr_set *internal)
{
	bool	src_in, dst_in;

	if (record_has(rec, RF_SOURCE_IP) && rec->src.family == 0 &&
	    netaddr_parse(&rec->src, rec->f[RF_SOURCE_IP].p,
	    rec->f[RF_SOURCE_IP].len) != 0)
		rec->src.family = 0;
	if (record_has(rec, RF_DESTINATION_IP) && rec->dst.family == 0 &&
	    netaddr_parse(&rec->dst, rec->f[RF_DESTINATION_IP].p,
	    rec->f[RF_DESTINATION_IP].len) != 0)
		rec->dst.family = 0;

	if (internal == NULL || record_has(rec, RF_NETWORK_DIRECTION))
		return;
	if (rec->src.family == 0 || rec->dst.family == 0)
		return;
	src_in = cidr_set_contains(internal, &rec->src);
	dst_in = cidr_set_contains(internal, &rec->dst);
	if (src_in && dst_in)
		record_set_lit(rec, RF_NETWORK_DIRECTION, "internal");
	else if (src_in)
		record_set_lit(rec, RF_NETWORK_DIRECTION, "outbound");
	else if (dst_in)
		record_set_lit(rec, RF_NETWORK_DIRECTION, "inbound");
	else
		record_set_lit(rec, RF_NETWORK_DIRECTION, "external");
}

size_t
record_format_time(int64_t ts_us, int32_t tz_off, int digits, char *buf,
    size_t size)
{
	int64_t	local, days, secs;
	int64_t	frac;
	int	year, month, day, n;
	char	fbuf[16] = "";
	char	obuf[16];
	int32_t	off = tz_off;

	local = ts_us + (int64_t)tz_off * 1000000;
	frac = local % 1000000;
	secs = local / 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	secs %= 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	tz_civil_from_days(days, &year, &month, &day);
	if (digits == 3)
		snprintf(fbuf, sizeof fbuf, ".%03d", (int)(frac / 1000));
	else if (digits == 6)
		snprintf(fbuf, sizeof fbuf, ".%06d", (int)frac);
	if (off == 0)
		snprintf(obuf, sizeof obuf, "Z");
	else {
		char	sign = off < 0 ? '-' : '+';

		if (off < 0)
			off = -off;
		snprintf(obuf, sizeof obuf, "%c%02d:%02d", sign,
		    (int)(off / 3600), (int)(off % 3600 / 60));
	}
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", year, month,
	    day, (int)(secs / 3600), (int)(secs % 3600 / 60), (int)(secs % 60),
	    fbuf, obuf);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

bool
span_to_u64(struct span s, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (s.len == 0 || s.len > 19)
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = v;
	return true;
}

bool
span_eq(struct span s, const char *str)
{
	size_t	n = strlen(str);

	return s.len == n && memcmp(s.p, str, n) == 0;
}

json_t *
record_json_string(const char *p, size_t len)
{
	json_t	*j;
	char	*buf;
	size_t	 size;

	if ((j = json_stringn(p, len)) != NULL)
		return j;
	size = len * 4 + 1;
	if ((buf = malloc(size)) == NULL)
		fatal("malloc");
	log_escape(p, len, buf, size);
	j = json_string(buf);
	free(buf);
	return j;
}

json_t *
record_to_json_obj(const struct record *rec)
{
	json_t	*o = json_object();
	char	 tbuf[64];
	int	 i;

	if (o == NULL)
		fatal("json_object");
	if (rec->has_ts) {
		record_format_time(rec->ts_us, rec->tz_off, rec->ts_digits,
		    tbuf, sizeof tbuf);
		json_object_set_new(o, "@timestamp", json_string(tbuf));
	}
	for (i = 1; i < RF_MAX; i++) {
		struct span	v = rec->f[i];
		uint64_t	n;

		if (!record_has(rec, i))
			continue;
		if (record_fields[i].type == RFT_INT && span_to_u64(v, &n) &&
		    n <= (uint64_t)INT64_MAX)
			json_object_set_new(o, record_fields[i].name,
			    json_integer((json_int_t)n));
		else
			json_object_set_new(o, record_fields[i].name,
			    record_json_string(v.p, v.len));
	}
	if (rec->flags & REC_TRUNCATED)
		json_object_set_new(o, "log.flags.truncated", json_true());
	if (rec->flags & REC_PARTIAL)
		json_object_set_new(o, "log.flags.partial", json_true());
	return o;
}

char *
record_to_json(const struct record *rec)
{
	json_t	*o = record_to_json_obj(rec);
	char	*s;

	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (s == NULL)
		fatal("json_dumps");
	return s;
}
