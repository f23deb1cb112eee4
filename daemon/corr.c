/*
 * corr.c: count, distinct-count and ordered-sequence correlation per group
 * key, on event time.  The state of a rule is one bounded ktab of groups
 * whose payload size follows from the rule (threshold); feeding a group
 * costs O(threshold) at worst and nothing is allocated per event.  This
 * module never decides what an alert looks like beyond its reason text:
 * detect_emit() applies suppression and hands it on.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corr.h"
#include "detect.h"
#include "ktab.h"
#include "log.h"

#define CORR_EXPIRE_STEP	2	/* idle groups looked at per event */

/* What every group starts with. */
struct corr_hdr {
	int64_t		max_ts;		/* latest event time of the group */
	uint32_t	dsi;		/* dataset of the latest event */
	uint32_t	n;		/* count: timestamps held */
};

struct corr_count {
	struct corr_hdr	h;
	int64_t		ts[];		/* sorted, oldest first */
};

struct corr_distinct {
	struct corr_hdr	h;
	struct dset	set;
};

struct corr_seq {
	struct corr_hdr	h;
	int64_t		t0;		/* time of the first step */
	int64_t		tlast;
	uint32_t	stage;		/* steps done */
};

struct corr_state {
	struct ktab	t;
	size_t		ts_cap;		/* count: timestamps per group */
	uint32_t	slots;		/* distinct: set slots */
};

uint32_t
dset_slots(uint64_t need)
{
	uint32_t	s = 8;

	while (s < need * 2 + 2 && s < (1U << 24))
		s <<= 1;
	return s;
}

size_t
dset_size(uint32_t slots)
{
	return sizeof(struct dset) + (size_t)slots * sizeof(struct dset_ent);
}

void
dset_init(struct dset *d, uint32_t slots)
{
	d->slots = slots;
	dset_clear(d);
}

void
dset_clear(struct dset *d)
{
	d->n = 0;
	d->min_ts = INT64_MAX;
	memset(d->e, 0, (size_t)d->slots * sizeof d->e[0]);
}

static uint32_t
dset_home(const struct dset *d, uint64_t vh)
{
	return (uint32_t)((vh ^ (vh >> 31)) & (d->slots - 1));
}

/* Remove slot i (backward-shift deletion keeps probe chains whole). */
static void
dset_remove(struct dset *d, uint32_t i)
{
	uint32_t	j = i, k, mask = d->slots - 1;

	for (;;) {
		j = (j + 1) & mask;
		if (d->e[j].vh == 0)
			break;
		k = dset_home(d, d->e[j].vh);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			d->e[i] = d->e[j];
			i = j;
		}
	}
	d->e[i].vh = 0;
	d->n--;
}

/* Drop every value last seen before lo; recompute the oldest time. */
static void
dset_prune(struct dset *d, int64_t lo)
{
	uint32_t	i = 0;

	d->min_ts = INT64_MAX;
	while (i < d->slots) {
		if (d->e[i].vh != 0 && d->e[i].ts < lo) {
			dset_remove(d, i);
			continue;	/* slot i may hold a shifted entry */
		}
		if (d->e[i].vh != 0 && d->e[i].ts < d->min_ts)
			d->min_ts = d->e[i].ts;
		i++;
	}
}

uint32_t
dset_add(struct dset *d, uint64_t vh, int64_t ts, int64_t lo, uint64_t need,
    uint64_t *dropped)
{
	uint32_t	i, mask = d->slots - 1, oldest;

	if (vh == 0)
		vh = 1;
	for (i = dset_home(d, vh); d->e[i].vh != 0; i = (i + 1) & mask) {
		if (d->e[i].vh == vh) {
			if (ts > d->e[i].ts)
				d->e[i].ts = ts;
			goto counted;
		}
	}
	if (((uint64_t)d->n + 1) * 4 > (uint64_t)d->slots * 3) {
		dset_prune(d, lo);
		if (((uint64_t)d->n + 1) * 4 > (uint64_t)d->slots * 3) {
			/* Still full: the value seen longest ago goes. */
			oldest = UINT32_MAX;
			for (i = 0; i < d->slots; i++)
				if (d->e[i].vh != 0 && (oldest == UINT32_MAX ||
				    d->e[i].ts < d->e[oldest].ts))
					oldest = i;
			if (oldest != UINT32_MAX)
				dset_remove(d, oldest);
			(*dropped)++;
		}
		for (i = dset_home(d, vh); d->e[i].vh != 0;
		    i = (i + 1) & mask)
			;
	}
	d->e[i].vh = vh;
	d->e[i].ts = ts;
	d->n++;
	if (ts < d->min_ts)
		d->min_ts = ts;
counted:
	if (d->n >= need && d->min_ts < lo)
		dset_prune(d, lo);
	return d->n;
}

/* The state of r, made on first use. */
static struct corr_state *
corr_state(struct rule *r)
{
	struct corr_state	*cs;
	size_t			 psize, cap;

	if (r->state != NULL)
		return r->state;
	if ((cs = calloc(1, sizeof *cs)) == NULL)
		fatal("calloc");
	switch (r->kind) {
	case RK_COUNT:
		cs->ts_cap = (size_t)r->corr.threshold * 2;
		if (cs->ts_cap < 2)
			cs->ts_cap = 2;
		psize = sizeof(struct corr_count) +
		    cs->ts_cap * sizeof(int64_t);
		break;
	case RK_DISTINCT:
		cs->slots = dset_slots(r->corr.threshold);
		psize = sizeof(struct corr_distinct) + dset_size(cs->slots) -
		    sizeof(struct dset);
		break;
	default:
		psize = sizeof(struct corr_seq);
		break;
	}
	cap = r->corr.max_groups;
	if (cap > CORR_MAX_BYTES / (psize + 32))
		cap = CORR_MAX_BYTES / (psize + 32);
	if (cap < 1)
		cap = 1;
	ktab_init(&cs->t, psize, cap);
	/*
	 * A new group zeroes its header only: the timestamps beyond h.n are
	 * never read, and dset_init() clears a set's slots itself (zeroing
	 * the whole payload twice cost more than the lookup).
	 */
	switch (r->kind) {
	case RK_COUNT:
		cs->t.zero = sizeof(struct corr_count);
		break;
	case RK_DISTINCT:
		cs->t.zero = sizeof(struct corr_distinct);
		break;
	default:
		break;
	}
	r->state = cs;
	return cs;
}

void
corr_free(void *state)
{
	struct corr_state	*cs = state;

	if (cs == NULL)
		return;
	ktab_free(&cs->t);
	free(cs);
}

size_t
corr_groups(const struct rule *r)
{
	const struct corr_state	*cs = r->state;

	return cs != NULL ? cs->t.n : 0;
}

size_t
corr_bytes(const struct rule *r)
{
	const struct corr_state	*cs = r->state;

	return cs != NULL ? ktab_bytes(&cs->t) : 0;
}

/* Drop a few groups that have been idle for two windows of their dataset. */
static void
corr_expire(struct ruleset *rs, struct rule *r, struct corr_state *cs)
{
	struct corr_hdr	*h;
	int		 i;

	for (i = 0; i < CORR_EXPIRE_STEP; i++) {
		if ((h = ktab_sweep(&cs->t)) == NULL)
			return;
		if (detect_watermark(rs, h->dsi) - h->max_ts >
		    2 * r->corr.window_us + DETECT_TOLERANCE_US)
			ktab_del(&cs->t, h);
	}
}

/* Raise the alert of r for rec with reason text. */
static void
corr_alert(struct ruleset *rs, struct rule *r, const struct record *rec,
    const char *what, rule_match_cb cb, void *arg)
{
	struct record	 a;
	char		 reason[768], key[384], win[32];

	detect_key_text(rec, r->corr.group_by, r->corr.ngroup_by, key,
	    sizeof key);
	detect_window_text(r->corr.window_us, win, sizeof win);
	snprintf(reason, sizeof reason, "%s within %s for %s", what, win, key);
	a = *rec;
	record_set(&a, RF_EVENT_REASON, reason, strlen(reason));
	detect_emit(rs, r, &a, cb, arg);
}

/* Count: true when threshold events lie within one window holding t. */
static bool
corr_count_add(struct corr_count *g, size_t cap, int64_t t, int64_t w,
    uint64_t need, uint64_t *dropped)
{
	size_t	i, lo, pos, j, k;

	/* Forget what no future window can hold. */
	lo = 0;
	while (lo < g->h.n && g->ts[lo] < g->h.max_ts - w - DETECT_TOLERANCE_US)
		lo++;
	if (lo > 0) {
		memmove(g->ts, g->ts + lo, (g->h.n - lo) * sizeof g->ts[0]);
		g->h.n -= (uint32_t)lo;
	}
	if (g->h.n == cap) {
		memmove(g->ts, g->ts + 1, (g->h.n - 1) * sizeof g->ts[0]);
		g->h.n--;
		(*dropped)++;
	}
	pos = g->h.n;
	while (pos > 0 && g->ts[pos - 1] > t)
		pos--;
	memmove(g->ts + pos + 1, g->ts + pos, (g->h.n - pos) * sizeof g->ts[0]);
	g->ts[pos] = t;
	g->h.n++;
	/* Windows ending at an event at or after t that still hold t. */
	i = 0;
	for (j = pos; j < g->h.n && g->ts[j] - t <= w; j++) {
		while (g->ts[i] < g->ts[j] - w)
			i++;
		k = j - i + 1;
		if (k >= need)
			return true;
	}
	return false;
}

/* Sequence: true when the last step completes within the window. */
static bool
corr_seq_step(struct rule *r, struct corr_seq *g, struct rule *input,
    int64_t t)
{
	size_t	n = r->corr.nrules;

	if (g->stage > 0 && t - g->t0 > r->corr.window_us)
		g->stage = 0;
	if (g->stage > 0 && g->stage < n &&
	    r->corr.inputs[g->stage] == input &&
	    t >= g->tlast - DETECT_TOLERANCE_US && t >= g->t0) {
		g->stage++;
		if (t > g->tlast)
			g->tlast = t;
		if (g->stage == n) {
			g->stage = 0;
			return true;
		}
		return false;
	}
	if (r->corr.inputs[0] == input) {
		/* A new first step restarts the window from it. */
		g->stage = 1;
		g->t0 = g->tlast = t;
	}
	return false;
}

void
corr_feed(struct ruleset *rs, struct rule *r, struct rule *input,
    const struct record *rec, rule_match_cb cb, void *arg)
{
	struct corr_state	*cs;
	struct corr_hdr		*h;
	struct span		 v;
	uint64_t		 key, vh;
	uint32_t		 n;
	int64_t			 t = rec->ts_us;
	bool			 isnew, fire = false;
	char			 what[256];
	size_t			 i;

	if (!rec->has_ts)
		return;
	if (!detect_key(rec, r->corr.group_by, r->corr.ngroup_by, rs->seed,
	    &key))
		return;
	if (r->kind == RK_DISTINCT && !record_has(rec, r->corr.field))
		return;
	cs = corr_state(r);
	/* The bucket loads while expiry looks at other groups. */
	ktab_prefetch(&cs->t, key);
	corr_expire(rs, r, cs);
	h = ktab_get(&cs->t, key, &isnew);
	if (isnew) {
		h->max_ts = t;
		if (r->kind == RK_DISTINCT)
			dset_init(&((struct corr_distinct *)h)->set, cs->slots);
	} else if (t < h->max_ts - DETECT_TOLERANCE_US) {
		r->late++;
		return;
	}
	if (t > h->max_ts)
		h->max_ts = t;
	h->dsi = detect_dataset(rs);
	r->dropped += cs->t.evicted;
	cs->t.evicted = 0;

	switch (r->kind) {
	case RK_COUNT:
		fire = corr_count_add((struct corr_count *)h, cs->ts_cap, t,
		    r->corr.window_us, r->corr.threshold, &r->dropped);
		if (fire) {
			snprintf(what, sizeof what, "%llu events",
			    (unsigned long long)r->corr.threshold);
			h->n = 0;
		}
		break;
	case RK_DISTINCT:
		v = record_get(rec, r->corr.field);
		vh = rule_hash(rs->seed, v.p, v.len);
		n = dset_add(&((struct corr_distinct *)h)->set, vh, t,
		    h->max_ts - r->corr.window_us, r->corr.threshold,
		    &r->dropped);
		if (n >= r->corr.threshold) {
			fire = true;
			snprintf(what, sizeof what, "%u distinct %s", n,
			    record_field_name(r->corr.field));
			dset_clear(&((struct corr_distinct *)h)->set);
		}
		break;
	case RK_SEQUENCE:
		fire = corr_seq_step(r, (struct corr_seq *)h, input, t);
		if (fire) {
			size_t	off = 0;

			what[0] = '\0';
			for (i = 0; i < r->corr.nrules && off < sizeof what;
			    i++) {
				int	m = snprintf(what + off,
				    sizeof what - off, "%s%s",
				    i > 0 ? " then " : "", r->corr.rules[i]);

				if (m < 0)
					break;
				off += (size_t)m;
			}
		}
		break;
	default:
		break;
	}
	if (!fire)
		return;
	corr_alert(rs, r, rec, what, cb, arg);
}
