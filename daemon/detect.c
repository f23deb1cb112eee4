/*
 * detect.c: detection of one record from end to end (see detect.h), the
 * registry of detector modules, suppression, and the small helpers the
 * correlators share (group keys, dataset watermarks, window text).  The
 * per-record path allocates nothing once its tables have grown; it never
 * reads the host clock and never writes anywhere but through the callback.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beacon.h"
#include "corr.h"
#include "detect.h"
#include "ktab.h"
#include "log.h"
#include "match.h"

#define DETECT_SUPPRESS_KEYS	65536	/* suppression keys per rule */
#define DETECT_PREFETCH_MAX	8	/* beacon rules loaded ahead */
#if DETECT_MAX_DATASETS > 64
#error "pf_known and pf_cov hold one bit per dataset index"
#endif

extern const struct rule_ops detect_beacon_ops;
extern const struct rule_ops detect_scan_ops;
extern const struct rule_ops detect_spam_ops;

static const struct rule_ops *const detect_registry[] = {
	&detect_beacon_ops,
	&detect_scan_ops,
	&detect_spam_ops,
	NULL
};

struct detect_ds {
	char		*name;
	size_t		 len;
	char		*source;	/* last source seen with it */
	int64_t		 wm;		/* latest event time */
};

struct detect {
	uint64_t	 gen;		/* records seen */
	unsigned int	 cur;		/* dataset of the current record */
	struct detect_ds ds[DETECT_MAX_DATASETS];
	size_t		 nds;
	/*
	 * The beacon rules of pf_rs, whose state each record is likely to
	 * touch far in memory: detect_event() starts those loads before
	 * matching (see beacon_prefetch).
	 */
	const struct ruleset *pf_rs;
	struct rule	*pf[DETECT_PREFETCH_MAX];
	size_t		 npf;
	/*
	 * Per beacon rule, one bit per dataset index: whether its logsource
	 * covers that dataset (pf_cov), once worked out (pf_known).  A rule
	 * that cannot see the record is never fed it: its keys would be
	 * hashed for nothing.
	 */
	uint64_t	 pf_known[DETECT_PREFETCH_MAX];
	uint64_t	 pf_cov[DETECT_PREFETCH_MAX];
};

struct detect_ctx {
	struct ruleset	*rs;
	struct detect	*d;
	rule_match_cb	 cb;
	void		*arg;
};

struct detect_sup {
	int64_t		start;
	uint64_t	count;
};

const struct rule_ops *
detect_lookup(const char *name)
{
	size_t	i;

	for (i = 0; detect_registry[i] != NULL; i++)
		if (strcmp(detect_registry[i]->name, name) == 0)
			return detect_registry[i];
	return NULL;
}

const char *
detect_names(void)
{
	return "beacon, scan, spam";
}

void
detect_state_free(struct rule *r, void *state)
{
	corr_free(state);
}

void
detect_suppress_free(void *state)
{
	struct ktab	*t = state;

	if (t == NULL)
		return;
	ktab_free(t);
	free(t);
}

void
detect_free(void *arg)
{
	struct detect	*d = arg;
	size_t		 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nds; i++) {
		free(d->ds[i].name);
		free(d->ds[i].source);
	}
	free(d);
}

/* The detection context of rs, made on first use. */
static struct detect *
detect_get(struct ruleset *rs)
{
	if (rs->detect == NULL && (rs->detect = calloc(1,
	    sizeof(struct detect))) == NULL)
		fatal("calloc");
	return rs->detect;
}

/* Index of the record's dataset (the last slot is shared on overflow). */
static unsigned int
detect_ds_index(struct detect *d, const struct record *rec)
{
	struct span	 s = record_get(rec, RF_EVENT_DATASET);
	struct detect_ds *e;
	size_t		 i;

	for (i = 0; i < d->nds; i++)
		if (d->ds[i].len == s.len && memcmp(d->ds[i].name, s.p,
		    s.len) == 0)
			goto found;
	if (d->nds == DETECT_MAX_DATASETS)
		i = DETECT_MAX_DATASETS - 1;
	else {
		i = d->nds++;
		e = &d->ds[i];
		if ((e->name = malloc(s.len + 1)) == NULL)
			fatal("malloc");
		if (s.len > 0)
			memcpy(e->name, s.p, s.len);
		e->name[s.len] = '\0';
		e->len = s.len;
		e->wm = INT64_MIN;
	}
found:
	e = &d->ds[i];
	if (rec->source != NULL && (e->source == NULL ||
	    strcmp(e->source, rec->source) != 0)) {
		free(e->source);
		if ((e->source = strdup(rec->source)) == NULL)
			fatal("strdup");
	}
	if (rec->has_ts && rec->ts_us > e->wm)
		e->wm = rec->ts_us;
	return (unsigned int)i;
}

unsigned int
detect_dataset(struct ruleset *rs)
{
	return detect_get(rs)->cur;
}

uint64_t
detect_gen(struct ruleset *rs)
{
	return detect_get(rs)->gen;
}

int64_t
detect_watermark(struct ruleset *rs, unsigned int ds)
{
	struct detect	*d = detect_get(rs);

	if (ds >= d->nds)
		return INT64_MIN;
	return d->ds[ds].wm;
}

const char *
detect_dataset_name(struct ruleset *rs, unsigned int ds)
{
	struct detect	*d = detect_get(rs);

	return ds < d->nds ? d->ds[ds].name : NULL;
}

const char *
detect_dataset_source(struct ruleset *rs, unsigned int ds)
{
	struct detect	*d = detect_get(rs);

	return ds < d->nds ? d->ds[ds].source : NULL;
}

bool
detect_key(const struct record *rec, const enum rf *fields, size_t nfields,
    uint64_t seed, uint64_t *key)
{
	struct span	v;
	uint64_t	h = seed;
	size_t		i;

	for (i = 0; i < nfields; i++) {
		if (!record_has(rec, fields[i]))
			return false;
		v = record_get(rec, fields[i]);
		h = rule_hash(h + (uint64_t)fields[i], v.p, v.len);
	}
	*key = h;
	return true;
}

void
detect_key_text(const struct record *rec, const enum rf *fields,
    size_t nfields, char *buf, size_t size)
{
	char	 esc[160];
	size_t	 i, off = 0;
	int	 n;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < nfields && off < size; i++) {
		struct span	v = record_get(rec, fields[i]);

		log_escape(v.p != NULL ? v.p : "", v.len, esc, sizeof esc);
		n = snprintf(buf + off, size - off, "%s%s=%s",
		    i > 0 ? ", " : "", record_field_name(fields[i]), esc);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

void
detect_window_text(int64_t us, char *buf, size_t size)
{
	int64_t	s = us / 1000000;

	if (s % 86400 == 0)
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else if (s % 60 == 0)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

int
detect_emit(struct ruleset *rs, struct rule *r, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	struct rule_suppress	*sp = &r->suppress;
	struct detect_sup	*e;
	struct ktab		*t;
	uint64_t		 key = 0;
	bool			 isnew;

	if (sp->window_us > 0 && rec->has_ts && (sp->ngroup_by == 0 ||
	    detect_key(rec, sp->group_by, sp->ngroup_by, rs->seed, &key))) {
		if ((t = r->sup_state) == NULL) {
			if ((t = calloc(1, sizeof *t)) == NULL)
				fatal("calloc");
			ktab_init(t, sizeof *e, DETECT_SUPPRESS_KEYS);
			r->sup_state = t;
		}
		e = ktab_get(t, key, &isnew);
		r->dropped += t->evicted;
		t->evicted = 0;
		if (isnew || rec->ts_us - e->start > sp->window_us ||
		    rec->ts_us < e->start - DETECT_TOLERANCE_US) {
			e->start = rec->ts_us;
			e->count = 0;
		}
		if (++e->count > sp->limit) {
			r->suppressed++;
			return 0;
		}
	}
	r->hits++;
	if (cb != NULL)
		cb(arg, r, rec);
	return 1;
}

/* Feed a correlation from one of its input rules. */
static void
detect_dependents(struct detect_ctx *ctx, struct rule *in,
    const struct record *rec)
{
	struct rule	*dep;
	size_t		 i;

	for (i = 0; i < in->ndependents; i++) {
		dep = in->dependents[i];
		/* Count and distinct take each event once, whatever fed it. */
		if (dep->kind != RK_SEQUENCE && dep->gen == ctx->d->gen)
			continue;
		if (dep->root.nkids > 0 && !rule_match(ctx->rs, dep, rec))
			continue;
		if (ctx->rs->nexc > 0 && ruleset_excepted(ctx->rs, dep,
		    rec) != NULL) {
			dep->excepted++;
			continue;
		}
		dep->gen = ctx->d->gen;
		dep->matches++;
		corr_feed(ctx->rs, dep, in, rec, ctx->cb, ctx->arg);
	}
}

/* A rule's conditions held for rec: act on its kind. */
static int
detect_on_match(void *arg, struct rule *r, const struct record *rec)
{
	struct detect_ctx	*ctx = arg;

	if (ctx->rs->nexc > 0 && ruleset_excepted(ctx->rs, r, rec) != NULL) {
		r->excepted++;
		return 0;
	}
	switch (r->kind) {
	case RK_MATCH:
		if (r->alert)
			detect_emit(ctx->rs, r, rec, ctx->cb, ctx->arg);
		break;
	case RK_COUNT:
	case RK_DISTINCT:
		corr_feed(ctx->rs, r, NULL, rec, ctx->cb, ctx->arg);
		break;
	case RK_DETECTOR:
		r->ops->feed(ctx->rs, r, rec, ctx->cb, ctx->arg);
		break;
	case RK_SEQUENCE:
		break;
	}
	if (r->ndependents > 0)
		detect_dependents(ctx, r, rec);
	return 0;
}

/* List the beacon rules of rs (the first DETECT_PREFETCH_MAX). */
static void
detect_prefetch_plan(struct detect *d, const struct ruleset *rs)
{
	size_t	i;

	d->npf = 0;
	for (i = 0; i < rs->n && d->npf < DETECT_PREFETCH_MAX; i++)
		if (rs->v[i]->kind == RK_DETECTOR &&
		    rs->v[i]->ops == &detect_beacon_ops)
			d->pf[d->npf++] = rs->v[i];
	memset(d->pf_known, 0, sizeof d->pf_known);
	memset(d->pf_cov, 0, sizeof d->pf_cov);
	d->pf_rs = rs;
}

/*
 * True if beacon rule i of the prefetch plan covers the record's dataset.
 * Cached per dataset index, except for the last index, which datasets
 * share once the table is full.
 */
static bool
detect_prefetch_covers(struct detect *d, size_t i, const struct record *rec)
{
	uint64_t	bit;

	if (d->cur >= DETECT_MAX_DATASETS - 1)
		return rule_covers(d->pf[i], record_get(rec,
		    RF_EVENT_DATASET));
	bit = (uint64_t)1 << d->cur;
	if ((d->pf_known[i] & bit) == 0) {
		if (rule_covers(d->pf[i], record_get(rec, RF_EVENT_DATASET)))
			d->pf_cov[i] |= bit;
		d->pf_known[i] |= bit;
	}
	return (d->pf_cov[i] & bit) != 0;
}

void
detect_event(struct ruleset *rs, const struct record *rec, rule_match_cb cb,
    void *arg)
{
	struct detect_ctx	ctx;
	size_t			i;

	ctx.rs = rs;
	ctx.d = detect_get(rs);
	ctx.cb = cb;
	ctx.arg = arg;
	ctx.d->gen++;
	ctx.d->cur = detect_ds_index(ctx.d, rec);
	if (ctx.d->pf_rs != rs)
		detect_prefetch_plan(ctx.d, rs);
	for (i = 0; i < ctx.d->npf; i++)
		if (detect_prefetch_covers(ctx.d, i, rec))
			beacon_prefetch(rs, ctx.d->pf[i], rec, ctx.d->gen);
	match_plan_run(rs, rec, detect_on_match, &ctx);
}

void
detect_flush(struct ruleset *rs, rule_match_cb cb, void *arg)
{
	struct rule	*r;
	size_t		 i;

	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (r->kind == RK_DETECTOR && r->ops->flush != NULL)
			r->ops->flush(rs, r, cb, arg);
	}
}

void
detect_adopt(struct ruleset *nrs, struct ruleset *ors)
{
	struct rule	*r, *o;
	size_t		 i;

	if (ors == NULL)
		return;
	for (i = 0; i < nrs->n; i++) {
		r = nrs->v[i];
		if ((o = ruleset_find(ors, r->id)) == NULL ||
		    o->fingerprint != r->fingerprint || o->kind != r->kind)
			continue;
		if (o->state != NULL && r->state == NULL) {
			r->state = o->state;
			o->state = NULL;
		}
		if (o->sup_state != NULL && r->sup_state == NULL) {
			r->sup_state = o->sup_state;
			o->sup_state = NULL;
		}
		r->hits = o->hits;
		r->matches = o->matches;
		r->suppressed = o->suppressed;
		r->dropped = o->dropped;
	}
	/* Watermarks and dataset names carry over; generations restart. */
	if (nrs->detect == NULL) {
		nrs->detect = ors->detect;
		ors->detect = NULL;
	}
	if (nrs->detect != NULL)
		((struct detect *)nrs->detect)->pf_rs = NULL;	/* old rules */
	nrs->seed = ors->seed;
}

/* Look a parameter up as a scalar; NULL if absent, -1 if it is a list. */
static int
detect_param_str(const struct rule *r, const char *key, const char **out,
    char **cause)
{
	const struct rule_param	*p = rule_param(r, key);

	*out = NULL;
	if (p == NULL)
		return 0;
	if (p->value == NULL) {
		if (asprintf(cause, "parameter '%s' takes one value",
		    key) == -1)
			fatal("asprintf");
		return -1;
	}
	*out = p->value;
	return 0;
}

int
detect_param_u64(const struct rule *r, const char *key, uint64_t def,
    uint64_t min, uint64_t max, uint64_t *out, char **cause)
{
	const char	*s;
	struct span	 sp;

	if (detect_param_str(r, key, &s, cause) != 0)
		return -1;
	*out = def;
	if (s == NULL)
		return 0;
	sp.p = s;
	sp.len = strlen(s);
	if (!span_to_u64(sp, out) || *out < min || *out > max) {
		if (asprintf(cause, "parameter '%s' is an integer from %llu to "
		    "%llu", key, (unsigned long long)min,
		    (unsigned long long)max) == -1)
			fatal("asprintf");
		return -1;
	}
	return 0;
}

int
detect_param_dur(const struct rule *r, const char *key, int64_t def,
    int64_t *out, char **cause)
{
	const char	*s;

	if (detect_param_str(r, key, &s, cause) != 0)
		return -1;
	*out = def;
	if (s == NULL)
		return 0;
	if ((*out = rule_parse_duration(s)) < 1000000) {
		if (asprintf(cause, "parameter '%s' is a duration of at least "
		    "1s (30s, 10m, 2h, 1d)", key) == -1)
			fatal("asprintf");
		return -1;
	}
	return 0;
}

int
detect_param_frac(const struct rule *r, const char *key, double def,
    double *out, char **cause)
{
	const char	*s;
	char		*end;

	if (detect_param_str(r, key, &s, cause) != 0)
		return -1;
	*out = def;
	if (s == NULL)
		return 0;
	*out = strtod(s, &end);
	if (end == s || *end != '\0' || !(*out >= 0.0 && *out <= 1.0)) {
		if (asprintf(cause, "parameter '%s' is a number from 0 to 1",
		    key) == -1)
			fatal("asprintf");
		return -1;
	}
	return 0;
}
