/*
 * corpus.h: the data of the corpus harness.  A product of the shared
 * corpora ("firewall/cisco_asa") is one row: the keibi parser that claims
 * it, the map from each upstream expectation format's keys to keibi
 * fields, per-file overrides and the samples or fields left out, each
 * with its reason.  corpus_check.c reads every file of every product with
 * the reader its source folder calls for; adding a product is adding a
 * row to corpus_products.c.
 */
#ifndef KEIBI_CORPUS_H
#define KEIBI_CORPUS_H

#include "record.h"

/* How an expected value is compared with a record field. */
enum corpus_cmp {
	CMP_EXACT = 0,
	CMP_NOCASE,		/* ASCII case ignored */
	CMP_IP,			/* both parsed, compared as addresses */
	CMP_INT,		/* numbers: "0061" is 61 */
	CMP_TRANSPORT,		/* "TCP" is "tcp", "ICMPv6" "ipv6-icmp" */
	CMP_VERDICT,		/* "DROP", "drop_input", "D", "blocked" */
	CMP_DOMAIN,		/* a host name; "unknown" is no name */
	CMP_QUEUEID,		/* a queue id; "NOQUEUE" is none */
	CMP_ABSENT,		/* "", " ", "-", "N/A", "0", "(unknown 0)" are
				   no value */
	CMP_IFACE,		/* ingress or egress interface */
	CMP_SUFFIX,		/* "ASA-6-302013" ends with "302013" */
	CMP_MS_NS,		/* milliseconds against event.duration (ns) */
	CMP_TIME,		/* "Jun  8 14:34:33", ISO 8601, CLF: the
				   instant, or month-day-time without a year */
	CMP_TIME_LOCAL,		/* local time in the source's zone */
	CMP_TIME_WALL,		/* ISO 8601 without its zone: the wall clock */
	CMP_TIME_EPOCH_MS,	/* milliseconds since the epoch */
	CMP_TIME_EPOCH_S,	/* "1402307733.473": seconds, to the ms */
	CMP_NONEMPTY		/* compare only a non-empty expectation */
};

/* An upstream key and the keibi field it names. */
struct corpus_map {
	const char	*key;	/* Parsed key ("meta:" for Meta), JSON path */
	enum rf		 rf;
	enum corpus_cmp	 cmp;
};

/* The maps of a product, one per expectation format. */
struct corpus_maps {
	const struct corpus_map	*crowdsec;	/* parser.assert */
	const struct corpus_map	*elastic;	/* -expected.json */
	const struct corpus_map	*wengine;	/* wazuh-engine _expected */
	const struct corpus_map	*failjson;	/* fail2ban failJSON */
	const struct corpus_map	*metron;	/* metron parsed JSONL */
	const struct corpus_map	*grok;		/* postfix-grok YAML */
	const struct corpus_map	*loghub;	/* loghub _structured.csv */
};

/* Flags of a file. */
#define CF_NOT_EVENTS	0x01	/* its lines must not be events */
#define CF_NEG_POLICY	0x02	/* crowdsec Success false: policy */
#define CF_SKIP		0x04	/* not read at all (reason given) */

/* A file (path under the product, prefix match) read differently. */
struct corpus_override {
	const char		*path;
	int			 flags;
	const struct corpus_map	*map;	/* replaces the product's map */
	const char		*tz;	/* zone of local times */
	const char		*reason;
};

/* A sample (line 0: every line of the file) or one of its fields. */
struct corpus_exclude {
	const char	*path;		/* under the product */
	unsigned int	 line;		/* 1-based; 0 = all */
	const char	*key;		/* upstream key; NULL = the sample */
	const char	*reason;
};

struct corpus_product {
	const char			*path;		/* "firewall/cisco_asa" */
	const char			*parser;	/* NULL: none claims it */
	const struct corpus_maps	*maps;
	const struct corpus_override	*overrides;
	const struct corpus_exclude	*excludes;
};

/* All products, NULL-terminated (corpus_products.c). */
extern const struct corpus_product corpus_products[];

#endif
