/*
 * record.h: the normalised event.  Parsers fill a struct record with spans
 * borrowed from the line buffer (or from parser state that outlives the
 * call); the record is valid only while the line is dispatched.  Anything
 * that must live longer is copied by whoever keeps it.  A record is reused
 * from line to line, so filling it never allocates.
 */
#ifndef KEIBI_RECORD_H
#define KEIBI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

struct span {
	const char	*p;
	size_t		 len;
};

#define SPAN_NULL	((struct span){ NULL, 0 })
#define SPAN_LIT(s)	((struct span){ (s), sizeof(s) - 1 })

/*
 * Field identifiers.  The names (record_field_name) are Elastic Common
 * Schema names where one exists; rules, golden files and tools use them.
 * Add new fields at the end of a group, never renumber in stored data: state
 * refers to fields by name.
 */
enum rf {
	RF_TIMESTAMP = 0,	/* @timestamp (rendered from rec->ts) */
	RF_EVENT_DATASET,
	RF_EVENT_ACTION,
	RF_EVENT_OUTCOME,
	RF_EVENT_REASON,
	RF_EVENT_DURATION,	/* nanoseconds, as ECS */
	RF_EVENT_CODE,		/* vendor message id: "302013", "0000000013" */
	RF_EVENT_TYPE,		/* verdict: "allowed" or "denied" */
	RF_SOURCE_IP,
	RF_SOURCE_PORT,
	RF_SOURCE_DOMAIN,
	RF_SOURCE_BYTES,
	RF_SOURCE_NAT_IP,	/* source after translation */
	RF_DESTINATION_IP,
	RF_DESTINATION_PORT,
	RF_DESTINATION_DOMAIN,
	RF_DESTINATION_BYTES,
	RF_NETWORK_TRANSPORT,
	RF_NETWORK_DIRECTION,
	RF_NETWORK_BYTES,	/* both directions, when only the sum is known */
	RF_NETWORK_APPLICATION,	/* application as the firewall names it */
	RF_NETWORK_PROTOCOL,	/* application protocol: "http", "dns" */
	RF_URL_ORIGINAL,
	RF_URL_DOMAIN,
	RF_URL_PATH,
	RF_URL_SCHEME,
	RF_HTTP_REQUEST_METHOD,
	RF_HTTP_REQUEST_REFERRER,
	RF_HTTP_RESPONSE_STATUS_CODE,
	RF_HTTP_RESPONSE_MIME_TYPE,
	RF_USER_AGENT_ORIGINAL,
	RF_USER_NAME,
	RF_EMAIL_FROM_ADDRESS,
	RF_EMAIL_TO_ADDRESS,
	RF_EMAIL_MESSAGE_ID,
	RF_EMAIL_LOCAL_ID,
	RF_EMAIL_SUBJECT,
	RF_HOST_HOSTNAME,
	RF_PROCESS_NAME,
	RF_PROCESS_PID,
	RF_OBSERVER_INGRESS_INTERFACE,
	RF_OBSERVER_EGRESS_INTERFACE,
	RF_RULE_NAME,		/* firewall rule or log prefix */
	RF_RULE_ID,		/* firewall rule or signature number */
	RF_TLS_SERVER_NAME,	/* SNI */
	RF_DNS_QUESTION_NAME,
	RF_DESTINATION_GEO_COUNTRY_ISO_CODE,
	RF_DESTINATION_AS_NUMBER,
	RF_DESTINATION_AS_ORGANIZATION_NAME,
	RF_SQUID_RESULT_CODE,	/* vendor namespaces */
	RF_SQUID_HIERARCHY,
	RF_POSTFIX_RELAY,
	RF_POSTFIX_STATUS,
	RF_POSTFIX_DSN,
	RF_MESSAGE,		/* the text after the syslog header */
	RF_MAX
};

/* record.present is a 64-bit set of fields. */
_Static_assert(RF_MAX <= 64, "more fields than record.present holds");

/* How a field is rendered and compared. */
enum rf_type {
	RFT_STRING = 0,
	RFT_INT,		/* decimal digits, rendered as a JSON number */
	RFT_IP,
	RFT_TIME
};

/* Record flags. */
#define REC_TRUNCATED	0x01	/* the line was cut at the line-length cap */
#define REC_PARTIAL	0x02	/* a last line emitted without its newline */
#define REC_NO_YEAR	0x04	/* year of @timestamp was inferred */
#define REC_COUNT	0x08	/* rec->count is set (an alert's events) */
#define REC_VIA		0x10	/* rec->via is set (who reached source.ip) */

struct record {
	struct span	 f[RF_MAX];
	uint64_t	 present;	/* bit n set: f[n] is set */

	int64_t		 ts_us;		/* @timestamp, microseconds since epoch, UTC */
	int32_t		 tz_off;	/* offset of the line's local time, seconds */
	uint8_t		 ts_digits;	/* fraction digits to render: 0, 3 or 6 */
	bool		 has_ts;

	struct netaddr	 src;		/* parsed source.ip, if any */
	struct netaddr	 dst;		/* parsed destination.ip, if any */

	unsigned int	 flags;
	const char	*source;	/* configured source name, or NULL */
	struct span	 line;		/* the whole raw line */

	/*
	 * What a detector states about its alert as data, beside the reason
	 * text written for people: how many events stand behind it
	 * (REC_COUNT: connections, deliveries, distinct targets, failed
	 * first contacts) and, for a spreading host, the internal host that
	 * reached it before it began (REC_VIA).  Read only when the flag is
	 * set; record_reset() clears the flags.  Not rendered as fields.
	 */
	uint64_t	 count;
	struct netaddr	 via;
};

/* Clear a record for the next line (does not allocate). */
void		 record_reset(struct record *);

/* Set field rf to the span p/len; a zero-length value is left unset. */
static inline void
record_set(struct record *rec, enum rf rf, const char *p, size_t len)
{
	if (len == 0)
		return;
	rec->f[rf].p = p;
	rec->f[rf].len = len;
	rec->present |= (uint64_t)1 << rf;
}

/* Set field rf to a constant string. */
#define record_set_lit(rec, rf, s)	record_set((rec), (rf), (s), sizeof(s) - 1)

static inline bool
record_has(const struct record *rec, enum rf rf)
{
	return ((rec->present >> rf) & 1) != 0;
}

/* Unset a field. */
static inline void
record_unset(struct record *rec, enum rf rf)
{
	rec->present &= ~((uint64_t)1 << rf);
	rec->f[rf] = SPAN_NULL;
}

/* Return the field's span; {NULL, 0} when unset. */
static inline struct span
record_get(const struct record *rec, enum rf rf)
{
	return rec->f[rf];
}

/* Field name (ECS) of rf. */
const char	*record_field_name(enum rf);
/* Field type of rf. */
enum rf_type	 record_field_type(enum rf);
/* Look a field up by its ECS name; -1 when unknown. */
int		 record_field_lookup(const char *, size_t);

/*
 * Finish a parsed record: parse the IP fields into rec->src/dst and set
 * network.direction from the internal networks (may be NULL).
 */
void		 record_finish(struct record *, const struct cidr_set *internal);

/* Render @timestamp as ISO 8601 with offset into buf; returns length. */
size_t		 record_format_time(int64_t ts_us, int32_t tz_off, int digits,
		    char *buf, size_t size);

/*
 * Render a record as one line of JSON (keys in field order, "@timestamp"
 * first) into a malloc'd string; the caller frees it.  For tools and tests,
 * not for the per-line path.
 */
char		*record_to_json(const struct record *);
/* The same as a new jansson object (json_t *), for a caller that embeds it. */
struct json_t;
struct json_t	*record_to_json_obj(const struct record *);
/* A JSON string of arbitrary bytes: invalid UTF-8 is escaped as \xHH text. */
struct json_t	*record_json_string(const char *p, size_t len);

/* Parse a span of decimal digits into *out; false if not a number. */
bool		 span_to_u64(struct span, uint64_t *out);
/* Compare a span to a NUL-terminated string. */
bool		 span_eq(struct span, const char *);

#endif
