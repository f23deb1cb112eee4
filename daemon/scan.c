/*
 * scan.c: the scan and worm-spread detector.  Per source host it watches
 * first contacts (a destination the host has not reached within
 * contact_ttl) in one scope: "internal" (internal to internal: worm
 * spread) or "outbound" (internal to the Internet: scans and attacks).
 * Three tests run side by side, any of them alerts:
 *   TRW      Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan
 *            2004): each first contact that failed (drop, reject, denied)
 *            multiplies the likelihood ratio by (1-theta1)/(1-theta0),
 *            each that succeeded by theta1/theta0; at eta1 = pd/pf the
 *            host is a scanner, at eta0 = (1-pd)/(1-pf) it is cleared and
 *            the walk starts again.  With the paper's 0.8/0.2/0.99/0.01,
 *            four failures in a row decide;
 *   fan-out  at least "hosts" first contacts within the window;
 *   ports    at least "ports_per_host" distinct ports to one destination
 *            within the window.
 * Propagation: once a host alerts, the hosts it reached successfully on
 * the watched ports (just before and while it spreads) are remembered; a
 * host among them that alerts within link_window is reported as reached
 * by the first one.  Every table is bounded (max_hosts, max_contacts,
 * victims) and counts what it drops.  Event time only.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "ktab.h"
#include "log.h"
#include "scan.h"

#define SCAN_MAX_FANOUT		4096
#define SCAN_MAX_PORTSET	32
#define SCAN_VICTIM_RING	8
#define SCAN_MAX_VICTIMS	65536
#define SCAN_EXPIRE_STEP	2
#define SCAN_MAX_PORTS		64

#define SC_OK		0x01
#define SC_FAIL		0x02

enum scan_scope {
	SCOPE_INTERNAL = 0,
	SCOPE_OUTBOUND
};

struct scan_conf {
	enum scan_scope	 scope;
	int64_t		 window_us;
	int64_t		 ttl_us;
	int64_t		 link_us;
	int64_t		 realert_us;
	uint64_t	 hosts;
	uint64_t	 ports_per_host;
	uint64_t	 max_hosts;
	uint64_t	 max_contacts;
	double		 step_fail;	/* log((1-theta1)/(1-theta0)) */
	double		 step_ok;	/* log(theta1/theta0) */
	double		 eta1;		/* log(pd/pf) */
	double		 eta0;		/* log((1-pd)/(1-pf)) */
	bool		 trw;
	uint16_t	 ports[SCAN_MAX_PORTS];
	size_t		 nports;
	uint16_t	 ignore[SCAN_MAX_PORTS];
	size_t		 nignore;
};

struct scan_host {
	int64_t		 last_us;
	int64_t		 alerted_us;
	double		 llr;
	uint32_t	 firsts;	/* first contacts in this walk */
	uint32_t	 fails;
	uint32_t	 nfan;
	uint32_t	 fan_head;
	uint32_t	 dsi;
	uint32_t	 nvict;
	struct netaddr	 src;
	struct netaddr	 vict[SCAN_VICTIM_RING];
	int64_t		 vict_ts[SCAN_VICTIM_RING];
	int64_t		 fan[];		/* first-contact times, a ring */
};

struct scan_contact {
	int64_t		 first_us;
	int64_t		 last_us;
	int64_t		 ports_first_us;
	uint32_t	 dsi;
	uint8_t		 nports;
	uint8_t		 flags;
	uint16_t	 ports[SCAN_MAX_PORTSET];
};

struct scan_victim {
	struct netaddr	 by;
	int64_t		 ts;
};

struct scan_state {
	struct scan_conf conf;
	struct ktab	 hosts;
	struct ktab	 contacts;
	struct ktab	 victims;
};

static const char *const scan_known[] = { "scope", "window", "contact_ttl",
    "link_window", "realert", "hosts", "ports_per_host", "max_hosts",
    "max_contacts", "trw", "theta0", "theta1", "pd", "pf", "ports",
    "ignore_ports", NULL };

/* A list parameter of ports into out; -1 with *cause. */
static int
scan_ports(const struct rule *r, const char *key, uint16_t *out,
    size_t *n, char **cause)
{
	const struct rule_param	*p = rule_param(r, key);
	struct span		 s;
	uint64_t		 v;
	size_t			 i, count;
	char *const		*items;
	const char		*one[1];

	*n = 0;
	if (p == NULL)
		return 0;
	if (p->value != NULL) {
		one[0] = p->value;
		items = (char *const *)(uintptr_t)one;
		count = 1;
	} else {
		items = p->list;
		count = p->nlist;
	}
	for (i = 0; i < count; i++) {
		s.p = items[i];
		s.len = strlen(items[i]);
		if (!span_to_u64(s, &v) || v > 65535 || *n == SCAN_MAX_PORTS) {
			if (asprintf(cause, "parameter '%s' is a list of at "
			    "most %d ports", key, SCAN_MAX_PORTS) == -1)
				fatal("asprintf");
			return -1;
		}
		out[(*n)++] = (uint16_t)v;
	}
	return 0;
}

/* Read every parameter of r into c; -1 with *cause. */
static int
scan_conf(const struct rule *r, struct scan_conf *c, char **cause)
{
	const struct rule_param	*p;
	double			 t0, t1, pd, pf;
	size_t			 i, j;

	memset(c, 0, sizeof *c);
	for (i = 0; i < r->nparams; i++) {
		for (j = 0; scan_known[j] != NULL; j++)
			if (strcmp(scan_known[j], r->params[i].key) == 0)
				break;
		if (scan_known[j] == NULL) {
			if (asprintf(cause, "unknown scan parameter '%s' "
			    "(scope, window, contact_ttl, link_window, realert, "
			    "hosts, ports_per_host, max_hosts, max_contacts, "
			    "trw, theta0, theta1, pd, pf, ports, ignore_ports)",
			    r->params[i].key) == -1)
				fatal("asprintf");
			return -1;
		}
	}
	if ((p = rule_param(r, "scope")) == NULL || p->value == NULL ||
	    (strcmp(p->value, "internal") != 0 &&
	    strcmp(p->value, "outbound") != 0)) {
		if (asprintf(cause, "a scan detector needs 'scope: internal' "
		    "or 'scope: outbound'") == -1)
			fatal("asprintf");
		return -1;
	}
	c->scope = strcmp(p->value, "internal") == 0 ? SCOPE_INTERNAL :
	    SCOPE_OUTBOUND;
	c->trw = true;
	if ((p = rule_param(r, "trw")) != NULL) {
		if (p->value == NULL || (strcmp(p->value, "true") != 0 &&
		    strcmp(p->value, "false") != 0)) {
			if (asprintf(cause, "parameter 'trw' is true or "
			    "false") == -1)
				fatal("asprintf");
			return -1;
		}
		c->trw = strcmp(p->value, "true") == 0;
	}
	if (detect_param_dur(r, "window", 600LL * 1000000, &c->window_us,
	    cause) != 0 ||
	    detect_param_dur(r, "contact_ttl", 3600LL * 1000000, &c->ttl_us,
	    cause) != 0 ||
	    detect_param_dur(r, "link_window", 3600LL * 1000000, &c->link_us,
	    cause) != 0 ||
	    detect_param_dur(r, "realert", 3600LL * 1000000, &c->realert_us,
	    cause) != 0 ||
	    detect_param_u64(r, "hosts", c->scope == SCOPE_INTERNAL ? 20 : 50,
	    2, SCAN_MAX_FANOUT, &c->hosts, cause) != 0 ||
	    detect_param_u64(r, "ports_per_host", 15, 2, SCAN_MAX_PORTSET,
	    &c->ports_per_host, cause) != 0 ||
	    detect_param_u64(r, "max_hosts", 65536, 1, 16 * 1024 * 1024,
	    &c->max_hosts, cause) != 0 ||
	    detect_param_u64(r, "max_contacts", 1048576, 1, 64 * 1024 * 1024,
	    &c->max_contacts, cause) != 0 ||
	    detect_param_frac(r, "theta0", 0.8, &t0, cause) != 0 ||
	    detect_param_frac(r, "theta1", 0.2, &t1, cause) != 0 ||
	    detect_param_frac(r, "pd", 0.99, &pd, cause) != 0 ||
	    detect_param_frac(r, "pf", 0.01, &pf, cause) != 0 ||
	    scan_ports(r, "ports", c->ports, &c->nports, cause) != 0 ||
	    scan_ports(r, "ignore_ports", c->ignore, &c->nignore, cause) != 0)
		return -1;
	if (!(t1 > 0 && t1 < t0 && t0 < 1 && pf > 0 && pf < pd && pd < 1)) {
		if (asprintf(cause, "TRW needs 0 < theta1 < theta0 < 1 and "
		    "0 < pf < pd < 1") == -1)
			fatal("asprintf");
		return -1;
	}
	c->step_fail = log((1 - t1) / (1 - t0));
	c->step_ok = log(t1 / t0);
	c->eta1 = log(pd / pf);
	c->eta0 = log((1 - pd) / (1 - pf));
	return 0;
}

static int
scan_check(struct rule *r, char **cause)
{
	struct scan_conf	c;

	return scan_conf(r, &c, cause);
}

static struct scan_state *
scan_state(struct rule *r)
{
	struct scan_state	*ss;
	char			*cause = NULL;

	if (r->state != NULL)
		return r->state;
	if ((ss = calloc(1, sizeof *ss)) == NULL)
		fatal("calloc");
	if (scan_conf(r, &ss->conf, &cause) != 0)
		fatalx("scan parameters: %s", cause);	/* checked at load */
	ktab_init(&ss->hosts, sizeof(struct scan_host) +
	    (size_t)ss->conf.hosts * sizeof(int64_t),
	    (size_t)ss->conf.max_hosts);
	ktab_init(&ss->contacts, sizeof(struct scan_contact),
	    (size_t)ss->conf.max_contacts);
	ktab_init(&ss->victims, sizeof(struct scan_victim), SCAN_MAX_VICTIMS);
	r->state = ss;
	return ss;
}

static void
scan_free(void *state)
{
	struct scan_state	*ss = state;

	if (ss == NULL)
		return;
	ktab_free(&ss->hosts);
	ktab_free(&ss->contacts);
	ktab_free(&ss->victims);
	free(ss);
}

static bool
scan_has_port(const uint16_t *v, size_t n, uint16_t port)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] == port)
			return true;
	return false;
}

/* 1 failed, 0 succeeded, -1 unknown: from event.action / event.outcome. */
static int
scan_outcome(const struct record *rec)
{
	static const char *const fail[] = { "drop", "reject", "deny",
	    "denied", "block", "blocked", "error", NULL };
	static const char *const ok[] = { "accept", "allow", "allowed",
	    "pass", NULL };
	struct span	a = record_get(rec, RF_EVENT_ACTION);
	size_t		i;

	if (a.len > 0) {
		for (i = 0; fail[i] != NULL; i++)
			if (span_eq(a, fail[i]))
				return 1;
		for (i = 0; ok[i] != NULL; i++)
			if (span_eq(a, ok[i]))
				return 0;
	}
	a = record_get(rec, RF_EVENT_OUTCOME);
	if (span_eq(a, "failure"))
		return 1;
	if (span_eq(a, "success"))
		return 0;
	return -1;
}

/* Drop a few hosts and contacts idle for longer than they matter. */
static void
scan_expire(struct ruleset *rs, struct scan_state *ss)
{
	struct scan_host	*h;
	struct scan_contact	*c;
	int64_t			 keep = ss->conf.ttl_us > ss->conf.window_us ?
	    ss->conf.ttl_us : ss->conf.window_us;
	int			 i;

	keep += ss->conf.link_us + DETECT_TOLERANCE_US;
	for (i = 0; i < SCAN_EXPIRE_STEP; i++) {
		if ((h = ktab_sweep(&ss->hosts)) != NULL &&
		    detect_watermark(rs, h->dsi) - h->last_us > keep)
			ktab_del(&ss->hosts, h);
		if ((c = ktab_sweep(&ss->contacts)) != NULL &&
		    detect_watermark(rs, c->dsi) - c->last_us > keep)
			ktab_del(&ss->contacts, c);
	}
}

static uint64_t
scan_addr_key(uint64_t seed, const struct netaddr *a)
{
	return rule_hash(seed, a->a, sizeof a->a);
}

/* Remember that host h reached v at t (it may have infected it). */
static void
scan_victim_put(struct scan_state *ss, uint64_t seed, struct scan_host *h,
    const struct netaddr *v, int64_t t)
{
	struct scan_victim	*vi;
	bool			 isnew;

	vi = ktab_get(&ss->victims, scan_addr_key(seed ^ 0x5a, v), &isnew);
	if (!isnew && vi->ts <= t)
		return;		/* the earliest reach is the one that counts */
	vi->by = h->src;
	vi->ts = t;
}

/*
 * Alert for host h with reason what, standing for count events; applies
 * realert and propagation.  The count and the host that reached h go into
 * the alert record as data (REC_COUNT, REC_VIA), the same in the text.
 */
static void
scan_alert(struct ruleset *rs, struct rule *r, struct scan_state *ss,
    struct scan_host *h, const struct record *rec, const char *what,
    uint64_t count, rule_match_cb cb, void *arg)
{
	struct scan_victim	*vi;
	struct record		 a;
	char			 reason[768], by[64], when[64], link[256] = "";
	int64_t			 t = rec->ts_us;
	uint32_t		 i;

	if (h->alerted_us != 0 && t - h->alerted_us < ss->conf.realert_us) {
		r->suppressed++;
		return;
	}
	h->alerted_us = t;
	/* What it reached on the watched ports may be infected now. */
	for (i = 0; i < h->nvict && i < SCAN_VICTIM_RING; i++)
		if (t - h->vict_ts[i] <= ss->conf.link_us)
			scan_victim_put(ss, rs->seed, h, &h->vict[i],
			    h->vict_ts[i]);
	a = *rec;
	a.flags &= ~(unsigned int)REC_VIA;
	vi = ktab_find(&ss->victims, scan_addr_key(rs->seed ^ 0x5a, &h->src));
	if (vi != NULL && vi->ts <= t + DETECT_TOLERANCE_US &&
	    t - vi->ts <= ss->conf.link_us &&
	    memcmp(&vi->by, &h->src, sizeof vi->by) != 0) {
		a.via = vi->by;
		a.flags |= REC_VIA;
		netaddr_format(&vi->by, by, sizeof by);
		record_format_time(vi->ts, rec->tz_off, 0, when, sizeof when);
		snprintf(link, sizeof link, "; propagation: %s, itself "
		    "spreading, reached this host at %s", by, when);
	}
	snprintf(reason, sizeof reason, "%s %s%s",
	    ss->conf.scope == SCOPE_INTERNAL ? "internal spread:" :
	    "outbound scan:", what, link);
	a.count = count;
	a.flags |= REC_COUNT;
	record_set(&a, RF_EVENT_REASON, reason, strlen(reason));
	detect_emit(rs, r, &a, cb, arg);
}

static void
scan_feed(struct ruleset *rs, struct rule *r, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	struct scan_state	*ss;
	struct scan_conf	*c;
	struct scan_host	*h;
	struct scan_contact	*ct;
	struct span		 dir, ps;
	uint64_t		 port = 0, pkey;
	int64_t			 t = rec->ts_us, lo, hi;
	bool			 isnew, first, in_src, in_dst;
	char			 what[256];
	uint32_t		 i, k;
	int			 outcome;

	if (!rec->has_ts || rec->src.family == 0 || rec->dst.family == 0)
		return;
	ss = scan_state(r);
	c = &ss->conf;
	/* Scope: from the internal networks, else from network.direction. */
	if (rs->roles[ROLE_INTERNAL].n > 0) {
		const struct cidr_set	*in = &rs->roles[ROLE_INTERNAL];

		in_src = cidr_set_contains(in, &rec->src);
		in_dst = cidr_set_contains(in, &rec->dst);
	} else {
		dir = record_get(rec, RF_NETWORK_DIRECTION);
		in_src = span_eq(dir, "internal") || span_eq(dir, "outbound");
		in_dst = span_eq(dir, "internal") || span_eq(dir, "inbound");
	}
	if (!in_src || in_dst != (c->scope == SCOPE_INTERNAL))
		return;
	ps = record_get(rec, RF_DESTINATION_PORT);
	if (ps.len > 0 && (!span_to_u64(ps, &port) || port > 65535))
		return;
	if (c->nports > 0 && !scan_has_port(c->ports, c->nports,
	    (uint16_t)port))
		return;
	if (c->nignore > 0 && scan_has_port(c->ignore, c->nignore,
	    (uint16_t)port))
		return;
	outcome = scan_outcome(rec);
	scan_expire(rs, ss);

	h = ktab_get(&ss->hosts, scan_addr_key(rs->seed, &rec->src), &isnew);
	if (isnew)
		h->src = rec->src;
	h->last_us = t;
	h->dsi = detect_dataset(rs);
	pkey = rule_hash(scan_addr_key(rs->seed, &rec->src), rec->dst.a,
	    sizeof rec->dst.a);
	ct = ktab_get(&ss->contacts, pkey, &isnew);
	first = isnew || t - ct->last_us > c->ttl_us;
	if (first) {
		memset(ct, 0, sizeof *ct);
		ct->first_us = t;
	}
	if (t > ct->last_us)
		ct->last_us = t;
	ct->dsi = h->dsi;
	r->dropped += ss->hosts.evicted + ss->contacts.evicted +
	    ss->victims.evicted;
	ss->hosts.evicted = ss->contacts.evicted = ss->victims.evicted = 0;
	if (outcome == 0) {
		ct->flags |= SC_OK;
		/* Reached: remember it for propagation. */
		k = h->nvict % SCAN_VICTIM_RING;
		h->vict[k] = rec->dst;
		h->vict_ts[k] = t;
		h->nvict++;
		if (h->alerted_us != 0 && t - h->alerted_us <= c->link_us)
			scan_victim_put(ss, rs->seed, h, &rec->dst, t);
	} else if (outcome == 1)
		ct->flags |= SC_FAIL;

	/* Distinct ports to this destination within the window. */
	if (ct->nports > 0 && t - ct->ports_first_us > c->window_us)
		ct->nports = 0;
	if (ps.len > 0 && !scan_has_port(ct->ports, ct->nports,
	    (uint16_t)port) && ct->nports < SCAN_MAX_PORTSET) {
		if (ct->nports == 0)
			ct->ports_first_us = t;
		ct->ports[ct->nports++] = (uint16_t)port;
		if (ct->nports >= c->ports_per_host) {
			char	dst[64];

			netaddr_format(&rec->dst, dst, sizeof dst);
			snprintf(what, sizeof what, "%u distinct ports of %s "
			    "within the window", ct->nports, dst);
			k = ct->nports;
			ct->nports = 0;
			scan_alert(rs, r, ss, h, rec, what, k, cb, arg);
		}
	}
	if (!first)
		return;

	/* Fan-out: first contacts within the window. */
	h->fan[h->fan_head] = t;
	h->fan_head = (uint32_t)((h->fan_head + 1) % c->hosts);
	if (h->nfan < c->hosts)
		h->nfan++;
	if (h->nfan == c->hosts) {
		lo = hi = h->fan[0];
		for (i = 1; i < h->nfan; i++) {
			if (h->fan[i] < lo)
				lo = h->fan[i];
			if (h->fan[i] > hi)
				hi = h->fan[i];
		}
		if (hi - lo <= c->window_us) {
			snprintf(what, sizeof what, "%llu new destinations "
			    "within %llds", (unsigned long long)c->hosts,
			    (long long)((hi - lo) / 1000000));
			h->nfan = 0;
			scan_alert(rs, r, ss, h, rec, what, c->hosts, cb,
			    arg);
		}
	}

	/* Threshold Random Walk on first contacts with a known outcome. */
	if (!c->trw || outcome < 0)
		return;
	h->firsts++;
	if (outcome == 1) {
		h->fails++;
		h->llr += c->step_fail;
	} else
		h->llr += c->step_ok;
	if (h->llr <= c->eta0) {
		h->llr = 0;
		h->firsts = h->fails = 0;
	} else if (h->llr >= c->eta1) {
		snprintf(what, sizeof what, "threshold random walk: %u of %u "
		    "first contacts failed (likelihood ratio %.0f)", h->fails,
		    h->firsts, exp(h->llr));
		k = h->firsts;
		h->llr = 0;
		h->firsts = h->fails = 0;
		scan_alert(rs, r, ss, h, rec, what, k, cb, arg);
	}
}

const struct rule_ops detect_scan_ops = {
	.name = "scan",
	.check = scan_check,
	.feed = scan_feed,
	.flush = NULL,
	.free = scan_free,
};

size_t
scan_mem_bytes(const struct rule *r)
{
	const struct scan_state	*ss;

	if (r->ops != &detect_scan_ops || (ss = r->state) == NULL)
		return 0;
	return sizeof *ss + ktab_bytes(&ss->hosts) +
	    ktab_bytes(&ss->contacts) + ktab_bytes(&ss->victims) +
	    (ss->hosts.nchunks + ss->contacts.nchunks +
	    ss->victims.nchunks) * sizeof *ss->hosts.chunks;
}

size_t
scan_mem_entries(const struct rule *r)
{
	const struct scan_state	*ss;

	if (r->ops != &detect_scan_ops || (ss = r->state) == NULL)
		return 0;
	return ss->hosts.n + ss->contacts.n + ss->victims.n;
}
