/*
 * detect_util.h: what the detection unit tests share: loading a rule set
 * from text, building records field by field with event times, and
 * collecting the alerts detection raises.  Test code only.
 */
#ifndef KEIBI_TEST_DETECT_UTIL_H
#define KEIBI_TEST_DETECT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "record.h"
#include "rule.h"

#define TU_MAX_ALERTS	256
#define TU_SEC		1000000LL

struct tu_alerts {
	size_t	n;
	char	id[TU_MAX_ALERTS][32];
	char	reason[TU_MAX_ALERTS][512];
	char	src[TU_MAX_ALERTS][64];
};

/* A record under construction: values are copied into its own storage. */
struct tu_rec {
	struct record	rec;
	char		buf[4096];
	size_t		used;
};

/* Load rules from YAML text; fails the test with the cause on error. */
static inline struct ruleset *
tu_load(const char *yaml)
{
	struct ruleset	*rs;
	char		*cause = NULL;

	rs = ruleset_load_buffer("test.yml", yaml, strlen(yaml), &cause);
	if (rs == NULL) {
		fprintf(stderr, "rules did not load:\n%s\n", cause);
		free(cause);
		abort();
	}
	return rs;
}

/* Load rules that must not load; returns the malloc'd cause. */
static inline char *
tu_load_error(const char *yaml)
{
	struct ruleset	*rs;
	char		*cause = NULL;

	rs = ruleset_load_buffer("test.yml", yaml, strlen(yaml), &cause);
	if (rs != NULL) {
		fprintf(stderr, "rules loaded but must not:\n%s\n", yaml);
		abort();
	}
	return cause;
}

/* Set a network role from "a,b" CIDRs. */
static inline void
tu_role(struct ruleset *rs, enum rule_role role, const char *list)
{
	struct cidr_set	 set;
	struct cidr	 c;
	const char	*p = list, *comma, *cause;
	size_t		 len;

	cidr_set_init(&set);
	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (cidr_parse(&c, p, len, &cause) == 0)
			cidr_set_add(&set, &c);
		p += len + (comma != NULL);
	}
	ruleset_set_role(rs, role, &set);
	cidr_set_free(&set);
}

/* Start a record of dataset ds at time t (microseconds). */
static inline void
tu_rec_start(struct tu_rec *tr, const char *ds, int64_t t)
{
	memset(&tr->rec, 0, sizeof tr->rec);
	record_reset(&tr->rec);
	tr->used = 0;
	tr->rec.has_ts = t != INT64_MIN;
	tr->rec.ts_us = t != INT64_MIN ? t : 0;
	if (ds != NULL) {
		size_t	n = strlen(ds);

		memcpy(tr->buf, ds, n);
		record_set(&tr->rec, RF_EVENT_DATASET, tr->buf, n);
		tr->used = n;
	}
}

/* Set field name to value (copied). */
static inline void
tu_set(struct tu_rec *tr, const char *name, const char *value)
{
	int	f = record_field_lookup(name, strlen(name));
	size_t	n = strlen(value);

	if (f < 0 || tr->used + n > sizeof tr->buf)
		abort();
	memcpy(tr->buf + tr->used, value, n);
	record_set(&tr->rec, (enum rf)f, tr->buf + tr->used, n);
	tr->used += n;
}

/* Finish: parse addresses, set direction from 10/8, 172.16/12, 192.168/16. */
static inline struct record *
tu_rec_done(struct tu_rec *tr)
{
	static struct cidr_set	internal;
	static int		init;
	struct cidr		c;
	const char		*cause;

	if (!init) {
		cidr_set_init(&internal);
		cidr_parse(&c, "10.0.0.0/8", 10, &cause);
		cidr_set_add(&internal, &c);
		cidr_parse(&c, "172.16.0.0/12", 13, &cause);
		cidr_set_add(&internal, &c);
		cidr_parse(&c, "192.168.0.0/16", 14, &cause);
		cidr_set_add(&internal, &c);
		init = 1;
	}
	record_finish(&tr->rec, &internal);
	return &tr->rec;
}

/* Alert callback: remember rule id, reason and source.ip. */
static inline int
tu_alert_cb(void *arg, struct rule *r, const struct record *rec)
{
	struct tu_alerts	*a = arg;
	struct span		 s;

	if (a->n == TU_MAX_ALERTS)
		return 0;
	snprintf(a->id[a->n], sizeof a->id[0], "%s", r->id);
	s = record_get(rec, RF_EVENT_REASON);
	snprintf(a->reason[a->n], sizeof a->reason[0], "%.*s", (int)s.len,
	    s.p != NULL ? s.p : "");
	s = record_get(rec, RF_SOURCE_IP);
	snprintf(a->src[a->n], sizeof a->src[0], "%.*s", (int)s.len,
	    s.p != NULL ? s.p : "");
	a->n++;
	return 0;
}

/* How many alerts of rule id were raised. */
static inline size_t
tu_count(const struct tu_alerts *a, const char *id)
{
	size_t	i, n = 0;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->id[i], id) == 0)
			n++;
	return n;
}

/* Feed one firewall event: src -> dst:port with verb at t seconds. */
static inline void
tu_fw(struct ruleset *rs, struct tu_alerts *a, const char *src,
    const char *dst, const char *port, const char *action, int64_t t_s)
{
	struct tu_rec	tr;

	tu_rec_start(&tr, "firewall.iptables", t_s * TU_SEC);
	tu_set(&tr, "source.ip", src);
	tu_set(&tr, "destination.ip", dst);
	tu_set(&tr, "destination.port", port);
	tu_set(&tr, "network.transport", "tcp");
	tu_set(&tr, "event.action", action);
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, a);
}

#endif
