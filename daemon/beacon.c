/*
 * beacon.c: the beacon detector (see beacon.h for the scores).  State is
 * one bounded table of pairs, each a fixed ~230 bytes holding its first
 * BEACON_INLINE connections; a pair with more takes a ring of BEACON_RING
 * (256 bytes) from a pool, so that the many pairs seen a few times (a
 * client's ordinary browsing) stay small and 1,000,000 pairs with full
 * rings still fit in 512 MiB.  In front, a direct-mapped table of first
 * sightings keeps pairs seen once or twice at 16 bytes (a pair is tracked
 * from its third connection, with the first two); nothing is allocated
 * per event once the tables have grown.  Judging a pair sorts at most
 * BEACON_RING values.  This module reads event time only and never
 * decides what happens to an alert beyond handing it to detect_emit().
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beacon.h"
#include "detect.h"
#include "ktab.h"
#include "log.h"

#define BEACON_DST_MAX		48	/* destination text kept for alerts */
#define BEACON_INLINE		4	/* connections a pair holds itself */
#define BEACON_RING_CHUNK	1024	/* rings allocated at a time */
#define BEACON_JUDGE_EVERY	4	/* new connections between judgements */
#define BEACON_EXPIRE_STEP	2
#define BEACON_SPAN_FULL	30	/* intervals for the span's plain MAD */
#define BEACON_SPAN_COVER	0.5	/* share of the span the median fills */
#define BEACON_DISP_MIN		0.7	/* below: dispersed like random gaps */

#define BF_ALERTED	0x01

/*
 * Prevalence: distinct internal sources per destination, counted in a
 * HyperLogLog of BEACON_HLL_DST one-byte registers (about 13 % error,
 * exact enough below ~100 sources through linear counting), and all
 * sources of the rule in one of BEACON_HLL_ALL (about 3 %).
 */
#define BEACON_HLL_DST_BITS	6
#define BEACON_HLL_DST		(1 << BEACON_HLL_DST_BITS)
#define BEACON_HLL_ALL_BITS	10
#define BEACON_HLL_ALL		(1 << BEACON_HLL_ALL_BITS)

#define BEACON_TRACKED	0x80000000ULL	/* in a first-sighting slot */
#define BEACON_SECS	0x7fffffffULL	/* a second, or a tracked index */
#define BEACON_TWO	(1ULL << 63)	/* a slot holds a second sighting */
#define BEACON_TWO_BITS	21		/* of its offset from the first */

enum beacon_key {
	BK_AUTO = 0,
	BK_DOMAIN,
	BK_IP
};

struct beacon_conf {
	int64_t		window_us;
	int64_t		span_min_us;
	uint64_t	min_connections;
	uint64_t	span_connections;
	uint64_t	strobe;
	uint64_t	max_pairs;
	double		threshold;
	enum beacon_key	key;
	uint64_t	max_destinations;
	uint64_t	prevalence_min_hosts;
	double		prevalence_free;
};

/* A destination: when it was first seen and who talks to it. */
struct beacon_dest {
	int64_t		first_us;	/* event time of its first connection */
	int64_t		last_us;
	uint8_t		reg[BEACON_HLL_DST];
};

struct beacon_pair {
	int64_t		first_us;	/* first connection in the window */
	int64_t		last_us;
	int64_t		base_s;		/* ts[] count seconds from here */
	int64_t		hour_last;	/* hour of the newest hourly bin */
	uint32_t	count;		/* connections, same-second ones too */
	uint32_t	uniq;		/* distinct seconds */
	uint32_t	since;		/* distinct seconds since judged */
	float		score;		/* last judgement */
	int32_t		tz_off;
	uint8_t		nts;
	uint8_t		dsi;
	uint8_t		flags;
	uint8_t		dst_len;
	uint8_t		dst_ip;		/* dst is an address[:port] */
	uint64_t	dkey;		/* of its destination (beacon_dest) */
	struct netaddr	src;
	uint32_t	ring;		/* 1 + its ring's index; 0: inline */
	uint16_t	hours[24];
	uint32_t	ts[BEACON_INLINE];	/* sorted, oldest first */
	uint32_t	sz[BEACON_INLINE];	/* UINT32_MAX: no size */
	char		dst[BEACON_DST_MAX];
};

/* The times and sizes of a pair past BEACON_INLINE connections. */
struct beacon_ring {
	uint32_t	ts[BEACON_RING];	/* sorted, oldest first */
	uint32_t	sz[BEACON_RING];	/* UINT32_MAX: no size */
};

struct beacon_state {
	struct beacon_conf conf;
	struct ktab	 t;
	uint32_t	 tick;		/* events, to pace expiry */
	/*
	 * Rings, in chunks of BEACON_RING_CHUNK that are never given back
	 * (at most one per pair, so bounded by max_pairs); a free ring's
	 * ts[0] links the free list.
	 */
	struct beacon_ring **rings;
	size_t		 nrchunks;
	uint32_t	 rused;		/* rings ever handed out */
	uint32_t	 rfree;		/* 1 + first free ring; 0: none */
	/*
	 * First sightings: a pair is tracked from its third connection on.
	 * Direct-mapped, 16 bytes a slot: the key's top half, a bit saying
	 * the pair is tracked, and the second of the first connection (31
	 * bits) or, once tracked, the pair's index in the table, so that a
	 * tracked pair costs one memory access more, not a bucket walk; and
	 * the second connection's offset from the first and its size.  Most
	 * pairs are seen once or twice (a client's ordinary browsing) and
	 * never cost more than this, and the pair table is only searched for
	 * a slot marked tracked.  A tracked slot is never taken by another
	 * pair's sightings: a pair that meets one is looked up, and tracked
	 * at once if missing.
	 */
	struct beacon_seen {
		uint64_t w;	/* tag, tracked bit, second or index */
		uint64_t two;	/* BEACON_TWO | offset << 32 | size; or 0 */
	}		*seen;
	size_t		 seen_mask;
	/*
	 * Destinations, capped at max_destinations (least recently touched
	 * evicted, counted in the rule's dropped), and every source seen.
	 */
	struct ktab	 dests;
	uint8_t		 hosts[BEACON_HLL_ALL];
	/*
	 * The count of hosts[], kept until a register rises: it is read
	 * at every judgement and changes rarely once the sources are known.
	 */
	double		 hosts_est;
	bool		 hosts_stale;
	/*
	 * The keys of the event being detected, worked out ahead by
	 * beacon_prefetch() (valid while pf_gen is detect_gen()), so that
	 * the first-sighting slot is loaded while the event is matched.
	 */
	uint64_t	 pf_gen;
	struct beacon_keys {
		uint64_t hs;		/* of the source */
		uint64_t key;		/* of the pair */
		uint64_t dkey;		/* of the destination */
		size_t	 dlen;
		bool	 is_ip;
		char	 dst[256];
	}		 pf;
};

static double
beacon_round3(double x)
{
	return floor(x * 1000.0 + 0.5) / 1000.0;
}

/*
 * Add the source whose hash is h to registers reg[1 << bits]; true if a
 * register rose (the count may have changed).
 */
static inline bool
beacon_hll_add(uint8_t *reg, unsigned int bits, uint64_t h)
{
	uint64_t	w = h >> bits;
	uint8_t		rank;

	rank = w == 0 ? (uint8_t)(65 - bits) :
	    (uint8_t)(__builtin_ctzll(w) + 1);
	if (reg[h & ((1U << bits) - 1)] >= rank)
		return false;
	reg[h & ((1U << bits) - 1)] = rank;
	return true;
}

/*
 * 2^-k for every register value (ranks run from 0 to 65 - bits): the sum
 * below is the same as with ldexp(), without a libm call per register.
 */
static const double beacon_pow2neg[66] = {
	0x1p-0, 0x1p-1, 0x1p-2, 0x1p-3, 0x1p-4, 0x1p-5,
	0x1p-6, 0x1p-7, 0x1p-8, 0x1p-9, 0x1p-10, 0x1p-11,
	0x1p-12, 0x1p-13, 0x1p-14, 0x1p-15, 0x1p-16, 0x1p-17,
	0x1p-18, 0x1p-19, 0x1p-20, 0x1p-21, 0x1p-22, 0x1p-23,
	0x1p-24, 0x1p-25, 0x1p-26, 0x1p-27, 0x1p-28, 0x1p-29,
	0x1p-30, 0x1p-31, 0x1p-32, 0x1p-33, 0x1p-34, 0x1p-35,
	0x1p-36, 0x1p-37, 0x1p-38, 0x1p-39, 0x1p-40, 0x1p-41,
	0x1p-42, 0x1p-43, 0x1p-44, 0x1p-45, 0x1p-46, 0x1p-47,
	0x1p-48, 0x1p-49, 0x1p-50, 0x1p-51, 0x1p-52, 0x1p-53,
	0x1p-54, 0x1p-55, 0x1p-56, 0x1p-57, 0x1p-58, 0x1p-59,
	0x1p-60, 0x1p-61, 0x1p-62, 0x1p-63, 0x1p-64, 0x1p-65
};

/* Distinct sources counted in reg[m]: HyperLogLog, linear when few. */
static double
beacon_hll_count(const uint8_t *reg, size_t m)
{
	double	sum = 0, e, alpha;
	size_t	i, zeros = 0;

	for (i = 0; i < m; i++) {
		sum += beacon_pow2neg[reg[i] < 66 ? reg[i] : 65];
		if (reg[i] == 0)
			zeros++;
	}
	alpha = m == 16 ? 0.673 : m == 32 ? 0.697 : m == 64 ? 0.709 :
	    0.7213 / (1 + 1.079 / (double)m);
	e = alpha * (double)m * (double)m / sum;
	if (e <= 2.5 * (double)m && zeros > 0)
		e = (double)m * log((double)m / (double)zeros);
	return e;
}

static double
beacon_ceil3(double x)
{
	return ceil(x * 1000.0 - 1e-9) / 1000.0;
}

/*
 * Sort v[0..n) ascending.  n is at most 2 * BEACON_RING and the ring is
 * mostly in order already, so insertion sort beats qsort()'s indirect
 * comparisons several times over.
 */
static void
beacon_sortd(double *v, size_t n)
{
	size_t	i, j;
	double	x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Median of sorted v[0..n), as montanaflynn/stats computes it. */
static double
beacon_median(const double *v, size_t n)
{
	if (n == 0)
		return 0;
	if (n % 2 == 0)
		return (v[n / 2 - 1] + v[n / 2]) / 2.0;
	return v[n / 2];
}

/*
 * Median absolute deviation of sorted v[0..n) from m: the deviations
 * below m, read downwards, and those above, read upwards, are two sorted
 * runs, merged only as far as their median.
 */
static double
beacon_mad(const double *v, size_t n, double m)
{
	size_t	lo, hi, k, want;
	double	d, prev = 0, cur = 0;

	if (n == 0)
		return 0;
	for (hi = 0; hi < n && v[hi] < m; hi++)
		;
	lo = hi;		/* v[lo - 1] < m <= v[hi] */
	want = n / 2;		/* the deviation at rank want (0-based) */
	for (k = 0; k <= want; k++) {
		if (hi < n && (lo == 0 || v[hi] - m <= m - v[lo - 1]))
			d = v[hi++] - m;
		else
			d = m - v[--lo];
		prev = cur;
		cur = d;
	}
	return n % 2 == 0 ? (prev + cur) / 2.0 : cur;
}

/*
 * RITA's skew and MAD score of sorted v: quartiles as montanaflynn/stats
 * Quartile (halves without the middle value for odd n), Bowley skew set
 * to 0 when Q3-Q1 < 10 or Q2 equals Q1 or Q3, MAD score (median-MAD)/
 * median, or mad_default when the median is below 1.
 */
static double
beacon_skew_mad(const double *v, size_t n, double mad_default)
{
	double	q1, q2, q3, skew = 0, mad, madscore;
	size_t	c1, c2;

	if (n < 3 || n > BEACON_RING * 2)
		return 0;
	if (n % 2 == 0)
		c1 = c2 = n / 2;
	else {
		c1 = (n - 1) / 2;
		c2 = c1 + 1;
	}
	q1 = beacon_median(v, c1);
	q2 = beacon_median(v, n);
	q3 = beacon_median(v + c2, n - c2);
	if (q3 - q1 >= 10 && q2 != q1 && q2 != q3)
		skew = (q1 + q3 - 2 * q2) / (q3 - q1);
	mad = beacon_mad(v, n, q2);
	if (q2 >= 1) {
		madscore = (q2 - mad) / q2;
		if (madscore < 0)
			madscore = 0;
	} else
		madscore = mad_default;
	return beacon_round3(((1 - fabs(skew)) + madscore) / 2);
}

double
beacon_ts_score(const double *intervals, size_t n)
{
	double	v[BEACON_RING * 2];
	size_t	i, m = 0;

	for (i = 0; i < n && m < BEACON_RING * 2; i++)
		if (intervals[i] > 0)
			v[m++] = intervals[i];
	if (m < 3)
		return 0;
	beacon_sortd(v, m);
	return beacon_skew_mad(v, m, 1);
}

double
beacon_ds_score(const double *sizes, size_t n)
{
	double	v[BEACON_RING * 2];
	size_t	i, m = 0;

	for (i = 0; i < n && m < BEACON_RING * 2; i++)
		v[m++] = sizes[i];
	if (m < 3)
		return 0;
	beacon_sortd(v, m);
	return beacon_skew_mad(v, m, 0);
}

double
beacon_hist_score(const uint32_t bins[24])
{
	double		mean = 0, var = 0, cv, cvscore, fit = 0;
	uint32_t	maxbar = 0, bucket, counts[24];
	size_t		i, j, nonzero = 0, top1 = 0, top2 = 0;

	for (i = 0; i < 24; i++) {
		mean += bins[i];
		if (bins[i] > maxbar)
			maxbar = bins[i];
		if (bins[i] > 0)
			nonzero++;
	}
	mean /= 24;
	if (mean <= 0)
		return 0;
	for (i = 0; i < 24; i++)
		var += (bins[i] - mean) * (bins[i] - mean);
	cv = sqrt(var / 24) / mean;
	cvscore = cv > 1 ? 0 : beacon_round3(1 - cv);
	/* Bimodal fit: bars bucketed by height, the two biggest buckets. */
	if (nonzero >= 11) {
		bucket = (uint32_t)ceil(maxbar * 0.05);
		if (bucket < 1)
			bucket = 1;
		memset(counts, 0, sizeof counts);
		for (i = 0; i < 24; i++) {
			if (bins[i] == 0)
				continue;
			j = bins[i] / bucket;
			if (j > 23)
				j = 23;
			counts[j]++;
		}
		for (i = 0; i < 24; i++) {
			if (counts[i] > top1) {
				top2 = top1;
				top1 = counts[i];
			} else if (counts[i] > top2)
				top2 = counts[i];
		}
		fit = (double)(top1 + top2) / (double)(nonzero > 2 ?
		    nonzero - 1 : 1);
		if (fit > 1)
			fit = 1;
	}
	return cvscore > fit ? cvscore : fit;
}

double
beacon_dur_score(const uint32_t bins[24], int64_t first_s, int64_t last_s,
    int64_t window_s)
{
	double	coverage, consistency;
	size_t	i, nonzero = 0, run = 0, best = 0;

	for (i = 0; i < 24; i++)
		if (bins[i] > 0)
			nonzero++;
	if (nonzero < 6 || window_s <= 0)
		return 0;
	coverage = beacon_ceil3((double)(last_s - first_s) / (double)window_s);
	if (coverage > 1)
		coverage = 1;
	/* Longest run of busy hours, wrapping around the window. */
	for (i = 0; i < 48; i++) {
		if (bins[i % 24] > 0) {
			if (++run > best)
				best = run;
		} else
			run = 0;
	}
	if (best > 24)
		best = 24;
	consistency = beacon_ceil3((double)best / 12.0);
	if (consistency > 1)
		consistency = 1;
	return coverage > consistency ? coverage : consistency;
}

/* beacon_span_ts_score of m > 0 sorted positive intervals summing to sum. */
static double
beacon_span_sorted(const double *v, size_t m, double sum)
{
	double	med, mad, r;

	if (m < 3)
		return 0;
	med = beacon_median(v, m);
	if (med < 1)
		return 0;
	/*
	 * The connections must fill the span they cover: m intervals of
	 * the median make about the whole of it for a timer (0.7 for random
	 * arrivals), a few percent for bursts of a tool's fixed retry pace
	 * an hour apart, which are no beacon however equal their gaps.
	 */
	if ((double)m * med < BEACON_SPAN_COVER * sum)
		return 0;
	mad = beacon_mad(v, m, med);
	/*
	 * Dispersion relative to the median: about 0.69 for random
	 * (exponential) gaps, 0.1 for a timer with +-20 % jitter.  Fewer
	 * than BEACON_SPAN_FULL intervals must be proportionally tighter
	 * (with 10 random gaps a ratio under 0.2 happens about once in a
	 * thousand pairs, under 0.1 almost never); the ring's 31 intervals
	 * are judged on the plain ratio.
	 */
	r = mad / med;
	if (m < BEACON_SPAN_FULL)
		r *= (double)BEACON_SPAN_FULL / (double)m;
	return r >= 1 ? 0 : beacon_round3(1 - r);
}

double
beacon_span_ts_score(const double *intervals, size_t n)
{
	double	v[BEACON_RING * 2];
	double	sum = 0;
	size_t	i, m = 0;

	for (i = 0; i < n && m < BEACON_RING * 2; i++)
		if (intervals[i] > 0) {
			v[m++] = intervals[i];
			sum += intervals[i];
		}
	beacon_sortd(v, m);
	return beacon_span_sorted(v, m, sum);
}

size_t
beacon_pair_bytes(void)
{
	/* A pair with its ring, table header, bucket and sighting slot. */
	return sizeof(struct beacon_pair) + sizeof(struct beacon_ring) + 24 +
	    sizeof(uint32_t) + sizeof(struct beacon_seen);
}

static struct beacon_ring *
beacon_ring_at(const struct beacon_state *bs, uint32_t i)
{
	return &bs->rings[i / BEACON_RING_CHUNK][i % BEACON_RING_CHUNK];
}

/* Where p's times and sizes are, and how many it may hold. */
static inline size_t
beacon_arrays(const struct beacon_state *bs, struct beacon_pair *p,
    uint32_t **ts, uint32_t **sz)
{
	struct beacon_ring	*g;

	if (p->ring == 0) {
		*ts = p->ts;
		*sz = p->sz;
		return BEACON_INLINE;
	}
	g = beacon_ring_at(bs, p->ring - 1);
	*ts = g->ts;
	*sz = g->sz;
	return BEACON_RING;
}

/* Move p's connections into a ring of its own. */
static void
beacon_grow(struct beacon_state *bs, struct beacon_pair *p)
{
	struct beacon_ring	*g;
	uint32_t		 i;

	if (bs->rfree != 0) {
		i = bs->rfree - 1;
		g = beacon_ring_at(bs, i);
		bs->rfree = g->ts[0];
	} else {
		if (bs->rused % BEACON_RING_CHUNK == 0) {
			bs->rings = reallocarray(bs->rings, bs->nrchunks + 1,
			    sizeof *bs->rings);
			if (bs->rings == NULL)
				fatal("reallocarray");
			bs->rings[bs->nrchunks] = reallocarray(NULL,
			    BEACON_RING_CHUNK, sizeof **bs->rings);
			if (bs->rings[bs->nrchunks] == NULL)
				fatal("reallocarray");
			bs->nrchunks++;
		}
		i = bs->rused++;
		g = beacon_ring_at(bs, i);
	}
	memcpy(g->ts, p->ts, p->nts * sizeof p->ts[0]);
	memcpy(g->sz, p->sz, p->nts * sizeof p->sz[0]);
	p->ring = i + 1;
}

/* A pair leaves the table: free its first-sighting slot and its ring. */
static void
beacon_forget(struct beacon_state *bs, struct beacon_pair *p)
{
	uint64_t		 key = ktab_key(p);
	struct beacon_seen	*slot = &bs->seen[key & bs->seen_mask];

	if ((slot->w >> 32) == ((key >> 32) | 1))
		slot->w = slot->two = 0;
	if (p->ring != 0) {
		beacon_ring_at(bs, p->ring - 1)->ts[0] = bs->rfree;
		bs->rfree = p->ring;
		p->ring = 0;
	}
}

/* Evict the least suspicious of the pairs the clock offers. */
static size_t
beacon_victim(void *const *oldest, size_t n, void *ctx)
{
	size_t	i, pick = 0;

	for (i = 1; i < n; i++) {
		const struct beacon_pair *a = oldest[i], *b = oldest[pick];

		if (a->score < b->score)
			pick = i;
	}
	beacon_forget(ctx, oldest[pick]);
	return pick;
}

static int
beacon_check(struct rule *r, char **cause)
{
	struct beacon_conf	c;
	const struct rule_param	*p;
	static const char *const known[] = { "window", "threshold",
	    "min_connections", "span_min", "span_connections", "strobe",
	    "max_pairs", "key", "max_destinations", "prevalence_free",
	    "prevalence_min_hosts", NULL };
	size_t			 i, j;

	for (i = 0; i < r->nparams; i++) {
		for (j = 0; known[j] != NULL; j++)
			if (strcmp(known[j], r->params[i].key) == 0)
				break;
		if (known[j] == NULL) {
			if (asprintf(cause, "unknown beacon parameter '%s' "
			    "(window, threshold, min_connections, span_min, "
			    "span_connections, strobe, max_pairs, key, "
			    "max_destinations, prevalence_free, "
			    "prevalence_min_hosts)",
			    r->params[i].key) == -1)
				fatal("asprintf");
			return -1;
		}
	}
	if (detect_param_dur(r, "window", 86400LL * 1000000, &c.window_us,
	    cause) != 0 ||
	    detect_param_frac(r, "threshold", 0.8, &c.threshold, cause) != 0 ||
	    detect_param_u64(r, "min_connections", 4, 4, BEACON_RING,
	    &c.min_connections, cause) != 0 ||
	    detect_param_dur(r, "span_min", 1800LL * 1000000, &c.span_min_us,
	    cause) != 0 ||
	    detect_param_u64(r, "span_connections", 10, 4, 1000000,
	    &c.span_connections, cause) != 0 ||
	    detect_param_u64(r, "strobe", 86400, 10, UINT32_MAX, &c.strobe,
	    cause) != 0 ||
	    detect_param_u64(r, "max_pairs", 1000000, 1, 16 * 1024 * 1024,
	    &c.max_pairs, cause) != 0 ||
	    detect_param_u64(r, "max_destinations", 65536, 1, 16 * 1024 * 1024,
	    &c.max_destinations, cause) != 0 ||
	    detect_param_frac(r, "prevalence_free", 0.2, &c.prevalence_free,
	    cause) != 0 ||
	    detect_param_u64(r, "prevalence_min_hosts", 10, 1, 1000000000,
	    &c.prevalence_min_hosts, cause) != 0)
		return -1;
	if ((p = rule_param(r, "key")) != NULL && (p->value == NULL ||
	    (strcmp(p->value, "auto") != 0 && strcmp(p->value, "domain") != 0 &&
	    strcmp(p->value, "ip") != 0))) {
		if (asprintf(cause, "parameter 'key' is auto, domain or "
		    "ip") == -1)
			fatal("asprintf");
		return -1;
	}
	return 0;
}

/* The state of r, made on first use from its parameters. */
static struct beacon_state *
beacon_state(struct rule *r)
{
	struct beacon_state	*bs;
	const struct rule_param	*p;
	char			*cause = NULL;

	if (r->state != NULL)
		return r->state;
	if ((bs = calloc(1, sizeof *bs)) == NULL)
		fatal("calloc");
	(void)detect_param_dur(r, "window", 86400LL * 1000000,
	    &bs->conf.window_us, &cause);
	(void)detect_param_frac(r, "threshold", 0.8, &bs->conf.threshold,
	    &cause);
	(void)detect_param_u64(r, "min_connections", 4, 4, BEACON_RING,
	    &bs->conf.min_connections, &cause);
	(void)detect_param_dur(r, "span_min", 1800LL * 1000000,
	    &bs->conf.span_min_us, &cause);
	(void)detect_param_u64(r, "span_connections", 10, 4, 1000000,
	    &bs->conf.span_connections, &cause);
	(void)detect_param_u64(r, "strobe", 86400, 10, UINT32_MAX,
	    &bs->conf.strobe, &cause);
	(void)detect_param_u64(r, "max_pairs", 1000000, 1, 16 * 1024 * 1024,
	    &bs->conf.max_pairs, &cause);
	(void)detect_param_u64(r, "max_destinations", 65536, 1,
	    16 * 1024 * 1024, &bs->conf.max_destinations, &cause);
	(void)detect_param_frac(r, "prevalence_free", 0.2,
	    &bs->conf.prevalence_free, &cause);
	(void)detect_param_u64(r, "prevalence_min_hosts", 10, 1, 1000000000,
	    &bs->conf.prevalence_min_hosts, &cause);
	free(cause);	/* checked at load: cannot fail here */
	bs->conf.key = BK_AUTO;
	if ((p = rule_param(r, "key")) != NULL && p->value != NULL) {
		if (strcmp(p->value, "domain") == 0)
			bs->conf.key = BK_DOMAIN;
		else if (strcmp(p->value, "ip") == 0)
			bs->conf.key = BK_IP;
	}
	ktab_init(&bs->t, sizeof(struct beacon_pair),
	    (size_t)bs->conf.max_pairs);
	bs->t.victim = beacon_victim;
	bs->t.ctx = bs;
	ktab_init(&bs->dests, sizeof(struct beacon_dest),
	    (size_t)bs->conf.max_destinations);
	bs->hosts_stale = true;
	bs->seen_mask = 1023;
	while (bs->seen_mask < bs->conf.max_pairs - 1 &&
	    bs->seen_mask < (1U << 22) - 1)
		bs->seen_mask = bs->seen_mask * 2 + 1;
	if ((bs->seen = ktab_array((bs->seen_mask + 1) *
	    sizeof *bs->seen)) == NULL)
		fatal("malloc");
	memset(bs->seen, 0, (bs->seen_mask + 1) * sizeof *bs->seen);
	r->state = bs;
	return bs;
}

static void
beacon_free(void *state)
{
	struct beacon_state	*bs = state;

	if (bs == NULL)
		return;
	ktab_free(&bs->t);
	ktab_free(&bs->dests);
	while (bs->nrchunks > 0)
		free(bs->rings[--bs->nrchunks]);
	free(bs->rings);
	free(bs->seen);
	free(bs);
}

/* Score a pair (see beacon.h); false if it has too little to judge. */
static bool
beacon_judge(const struct beacon_state *bs, struct beacon_pair *p,
    struct beacon_score *s)
{
	const struct beacon_conf *c = &bs->conf;
	double		iv[BEACON_RING], sz[BEACON_RING], ivsum = 0, disp;
	uint32_t	bins[24], *pts, *psz;
	size_t		i, niv = 0, nsz = 0;

	memset(s, 0, sizeof *s);
	if (p->nts < c->min_connections)
		return false;
	(void)beacon_arrays(bs, p, &pts, &psz);
	for (i = 1; i < p->nts; i++)
		if (pts[i] > pts[i - 1])
			iv[niv++] = (double)(pts[i] - pts[i - 1]);
	if (niv < 3)
		return false;
	for (i = 0; i < p->nts; i++)
		if (psz[i] != UINT32_MAX)
			sz[nsz++] = (double)psz[i];
	/* Every interval is positive: sorted once, for every term. */
	for (i = 0; i < niv; i++)
		ivsum += iv[i];
	beacon_sortd(iv, niv);
	s->ts = beacon_skew_mad(iv, niv, 1);
	s->median = beacon_median(iv, niv);
	disp = beacon_span_sorted(iv, niv, ivsum);
	s->has_ds = nsz >= 3;
	if (s->has_ds)
		s->ds = beacon_ds_score(sz, nsz);
	for (i = 0; i < 24; i++)
		bins[i] = p->hours[i];
	s->hist = beacon_hist_score(bins);
	s->dur = beacon_dur_score(bins, p->first_us / 1000000,
	    p->last_us / 1000000, c->window_us / 1000000);
	/*
	 * Without byte counts the timing term stands in for the size term:
	 * a steady timer scores as it would with steady sizes, and random
	 * arrivals are not lifted by the histogram and duration terms (a
	 * client active all day fills both whatever its timing).
	 */
	if (s->has_ds)
		s->day = beacon_round3((s->ts + s->ds + s->dur + s->hist) / 4);
	else
		s->day = beacon_round3((2 * s->ts + s->dur + s->hist) / 4);
	s->span_ok = p->uniq >= c->span_connections &&
	    p->last_us - p->first_us >= c->span_min_us;
	if (s->span_ok) {
		/*
		 * The span is judged on the dispersion of its intervals
		 * (beacon_span_ts_score); steady sizes may lower the score,
		 * never raise it above what the timing shows.
		 */
		s->span = disp;
		if (s->has_ds && beacon_round3((s->span + s->ds) / 2) < s->span)
			s->span = beacon_round3((s->span + s->ds) / 2);
	}
	s->score = s->day;
	if (s->span_ok && s->span > s->score)
		s->score = s->span;
	/*
	 * Intervals as dispersed as random arrivals make no beacon, however
	 * busy the pair's hours or steady its sizes: a client active all day
	 * fills the histogram and duration terms by itself.  RITA's timing
	 * term gives exponential gaps about 0.5 to 0.7, so it cannot tell.
	 */
	s->disp = disp;
	if (s->disp < BEACON_DISP_MIN && s->score > s->disp)
		s->score = s->disp;
	return true;
}

/*
 * Weigh a judged pair by the prevalence of its destination: the share of
 * all sources seen that talk to it.  A destination most of the network
 * talks to is a CDN, an update or time server, not a command server, so
 * above prevalence_free the score falls linearly to 0 at 100 %; it is left
 * alone while fewer than prevalence_min_hosts sources have been seen (in a
 * small network every destination is prevalent).  Fills the prevalence
 * and first-seen fields of s.
 */
static void
beacon_weigh(struct beacon_state *bs, const struct beacon_pair *p,
    struct beacon_score *s)
{
	const struct beacon_conf *c = &bs->conf;
	struct beacon_dest	*d;
	double			 free_, f;

	s->raw = s->score;
	if (bs->hosts_stale) {
		bs->hosts_est = beacon_hll_count(bs->hosts, BEACON_HLL_ALL);
		bs->hosts_stale = false;
	}
	s->hosts = bs->hosts_est;
	if ((d = ktab_find(&bs->dests, p->dkey)) == NULL)
		return;			/* evicted: nothing known */
	s->has_prev = true;
	s->first_seen_us = d->first_us;
	s->dst_hosts = beacon_hll_count(d->reg, BEACON_HLL_DST);
	if (s->dst_hosts < 1)
		s->dst_hosts = 1;
	if (s->hosts < s->dst_hosts)
		s->hosts = s->dst_hosts;
	s->prevalence = s->dst_hosts / s->hosts;
	free_ = c->prevalence_free;
	if (s->hosts < (double)c->prevalence_min_hosts ||
	    s->prevalence <= free_ || free_ >= 1)
		return;
	f = 1 - (s->prevalence - free_) / (1 - free_);
	s->score = beacon_round3(s->score * (f > 0 ? f : 0));
}

/* Fill rec with a description of the pair (for an alert at flush time). */
static void
beacon_describe(struct ruleset *rs, const struct beacon_pair *p,
    struct record *rec, char *srcbuf, size_t srcsize)
{
	const char	*ds = detect_dataset_name(rs, p->dsi);
	const char	*colon;

	record_reset(rec);
	if (ds != NULL)
		record_set(rec, RF_EVENT_DATASET, ds, strlen(ds));
	rec->source = detect_dataset_source(rs, p->dsi);
	rec->has_ts = true;
	rec->ts_us = p->last_us;
	rec->tz_off = p->tz_off;
	netaddr_format(&p->src, srcbuf, srcsize);
	record_set(rec, RF_SOURCE_IP, srcbuf, strlen(srcbuf));
	rec->src = p->src;
	if (!p->dst_ip) {
		record_set(rec, RF_DESTINATION_DOMAIN, p->dst, p->dst_len);
		return;
	}
	/* "addr:port" or "[v6]:port" as stored; split the port off. */
	colon = memrchr(p->dst, ':', p->dst_len);
	if (colon != NULL && p->dst[0] != '[' &&
	    memchr(p->dst, ':', (size_t)(colon - p->dst)) == NULL) {
		record_set(rec, RF_DESTINATION_IP, p->dst,
		    (size_t)(colon - p->dst));
		record_set(rec, RF_DESTINATION_PORT, colon + 1,
		    (size_t)(p->dst + p->dst_len - colon - 1));
	} else
		record_set(rec, RF_DESTINATION_IP, p->dst, p->dst_len);
}

/* Alert for a pair that scored at or over the threshold. */
static void
beacon_alert(struct ruleset *rs, struct rule *r, struct beacon_state *bs,
    struct beacon_pair *p, const struct beacon_score *s, bool strobe,
    const struct record *rec, rule_match_cb cb, void *arg)
{
	struct record	 a;
	char		 reason[768], span[32], ds[16], srcbuf[64];
	char		 prev[160], when[64], raw[48];
	int64_t		 secs = (p->last_us - p->first_us) / 1000000;

	p->flags |= BF_ALERTED;
	snprintf(span, sizeof span, "%lldh%02lldm", (long long)(secs / 3600),
	    (long long)(secs % 3600 / 60));
	if (s->has_ds)
		snprintf(ds, sizeof ds, "%.3f", s->ds);
	else
		snprintf(ds, sizeof ds, "n/a");
	prev[0] = raw[0] = '\0';
	if (s->has_prev) {
		record_format_time(s->first_seen_us, p->tz_off, 0, when,
		    sizeof when);
		snprintf(prev, sizeof prev, "; prevalence %.0f%% (%.0f of "
		    "%.0f sources), destination first seen %s",
		    s->prevalence * 100, s->dst_hosts, s->hosts, when);
	}
	if (s->raw > s->score)
		snprintf(raw, sizeof raw, " (%.3f before prevalence)", s->raw);
	if (strobe)
		snprintf(reason, sizeof reason, "strobe: %u connections to "
		    "%.*s within the window (at least %llu)", p->count,
		    (int)p->dst_len, p->dst,
		    (unsigned long long)bs->conf.strobe);
	else
		snprintf(reason, sizeof reason, "beacon to %.*s: score %.3f%s "
		    "(timing %.3f, regularity %.3f, size %s, day %.3f%s), %u "
		    "connections over %s, median interval %.0fs%s",
		    (int)p->dst_len, p->dst, s->score, raw, s->ts, s->disp, ds,
		    s->day, s->span_ok &&
		    s->span >= s->day ? ", judged on its active span" : "",
		    p->count, span, s->median, prev);
	if (rec != NULL)
		a = *rec;
	else
		beacon_describe(rs, p, &a, srcbuf, sizeof srcbuf);
	a.count = p->count;
	a.flags |= REC_COUNT;
	record_set(&a, RF_EVENT_REASON, reason, strlen(reason));
	detect_emit(rs, r, &a, cb, arg);
}

/* The destination key of rec: domain, address[:port], or none. */
static bool
beacon_dst(const struct beacon_conf *c, const struct record *rec,
    char *buf, size_t size, size_t *len, bool *is_ip)
{
	struct span	d = SPAN_NULL, port;

	if (c->key != BK_IP) {
		if (record_has(rec, RF_URL_DOMAIN))
			d = record_get(rec, RF_URL_DOMAIN);
		else if (record_has(rec, RF_DESTINATION_DOMAIN))
			d = record_get(rec, RF_DESTINATION_DOMAIN);
	}
	if (d.len > 0) {
		*is_ip = false;
		*len = d.len < size ? d.len : size;
		memcpy(buf, d.p, *len);
		return true;
	}
	if (c->key == BK_DOMAIN || !record_has(rec, RF_DESTINATION_IP))
		return false;
	d = record_get(rec, RF_DESTINATION_IP);
	port = record_get(rec, RF_DESTINATION_PORT);
	*is_ip = true;
	/* "addr" or "addr:port", cut to size; no printf on the hot path. */
	*len = d.len < size ? d.len : size;
	memcpy(buf, d.p, *len);
	if (port.len > 0 && *len + 1 + port.len <= size) {
		buf[(*len)++] = ':';
		memcpy(buf + *len, port.p, port.len);
		*len += port.len;
	}
	return true;
}

/* Drop pairs idle for a whole window. */
static void
beacon_expire(struct ruleset *rs, struct beacon_state *bs)
{
	struct beacon_pair	*p;
	int			 i;

	for (i = 0; i < BEACON_EXPIRE_STEP; i++) {
		if ((p = ktab_sweep(&bs->t)) == NULL)
			return;
		if (detect_watermark(rs, p->dsi) - p->last_us >
		    bs->conf.window_us + DETECT_TOLERANCE_US) {
			beacon_forget(bs, p);
			ktab_del(&bs->t, p);
		}
	}
}

/* Count one connection at second t in the pair's hourly bins. */
static void
beacon_hour(struct beacon_pair *p, int64_t t)
{
	int64_t	h = t / 3600, k;

	if (p->hour_last == 0)
		p->hour_last = h;
	if (h > p->hour_last) {
		for (k = p->hour_last + 1; k <= h && k <= p->hour_last + 24;
		    k++)
			p->hours[k % 24] = 0;
		p->hour_last = h;
	}
	if (h <= p->hour_last - 24)
		return;
	if (p->hours[h % 24] < UINT16_MAX)
		p->hours[h % 24]++;
}

/* Record second t (and size sz) in the pair's sorted ring. */
static bool
beacon_add(struct beacon_state *bs, struct beacon_pair *p, int64_t t,
    uint32_t sz)
{
	uint32_t	rel, *ts, *szs;
	size_t		pos, cap;

	if (t < p->base_s)
		return false;
	rel = (uint32_t)(t - p->base_s);
	cap = beacon_arrays(bs, p, &ts, &szs);
	for (pos = p->nts; pos > 0 && ts[pos - 1] > rel; pos--)
		;
	if (pos > 0 && ts[pos - 1] == rel)
		return false;		/* the same second: one connection */
	if (p->nts == cap && cap < BEACON_RING) {
		beacon_grow(bs, p);
		cap = beacon_arrays(bs, p, &ts, &szs);
	}
	if (p->nts == cap) {
		if (pos == 0)
			return false;	/* older than everything kept */
		memmove(ts, ts + 1, (pos - 1) * sizeof ts[0]);
		memmove(szs, szs + 1, (pos - 1) * sizeof szs[0]);
		pos--;
	} else {
		memmove(ts + pos + 1, ts + pos, (p->nts - pos) * sizeof ts[0]);
		memmove(szs + pos + 1, szs + pos,
		    (p->nts - pos) * sizeof szs[0]);
		p->nts++;
	}
	ts[pos] = rel;
	szs[pos] = sz;
	return true;
}

/* The bytes of rec's connection, UINT32_MAX if it says none. */
static uint32_t
beacon_size(const struct record *rec)
{
	struct span	b;
	uint64_t	n;

	b = record_has(rec, RF_SOURCE_BYTES) ? record_get(rec,
	    RF_SOURCE_BYTES) : record_get(rec, RF_DESTINATION_BYTES);
	if (b.len > 0 && span_to_u64(b, &n))
		return n < UINT32_MAX ? (uint32_t)n : UINT32_MAX - 1;
	return UINT32_MAX;
}

/* The keys of rec for bs; false if rec has no destination to key on. */
static bool
beacon_keys(struct ruleset *rs, const struct beacon_state *bs,
    const struct record *rec, struct beacon_keys *k)
{
	if (!beacon_dst(&bs->conf, rec, k->dst, sizeof k->dst, &k->dlen,
	    &k->is_ip))
		return false;
	k->hs = rule_hash(rs->seed, rec->src.a, sizeof rec->src.a);
	k->dkey = rule_hash(rs->seed ^ 0x646573744b4b4b4bULL, k->dst,
	    k->dlen);
	/* The pair: the source's hash and the destination's, mixed. */
	k->key = rule_hash(k->hs, &k->dkey, sizeof k->dkey);
	return true;
}

void
beacon_prefetch(struct ruleset *rs, struct rule *r, const struct record *rec,
    uint64_t gen)
{
	struct beacon_state	*bs = r->state;

	if (bs == NULL || !rec->has_ts || rec->src.family == 0)
		return;
	if (!beacon_keys(rs, bs, rec, &bs->pf)) {
		bs->pf_gen = 0;
		return;
	}
	bs->pf_gen = gen;
	__builtin_prefetch(&bs->seen[bs->pf.key & bs->seen_mask]);
	ktab_prefetch(&bs->dests, bs->pf.dkey);
}

static void
beacon_feed(struct ruleset *rs, struct rule *r, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	struct beacon_state	*bs;
	struct beacon_pair	*p;
	struct beacon_dest	*dd;
	struct beacon_score	 s;
	struct beacon_keys	 own_keys;
	const struct beacon_keys *k;
	const char		*dst;
	size_t			 dlen;
	struct beacon_seen	*slot;
	uint64_t		 key, tag, hs, dkey, two = 0;
	uint32_t		 sz, sum;
	int64_t			 t, first_s, second_s = 0, d;
	bool			 isnew, is_ip, own = false;
	size_t			 i;

	if (!rec->has_ts || rec->src.family == 0)
		return;
	bs = beacon_state(r);
	if (bs->pf_gen != 0 && bs->pf_gen == detect_gen(rs))
		k = &bs->pf;
	else if (beacon_keys(rs, bs, rec, &own_keys))
		k = &own_keys;
	else
		return;
	bs->pf_gen = 0;
	dst = k->dst;
	dlen = k->dlen;
	is_ip = k->is_ip;
	hs = k->hs;
	key = k->key;
	dkey = k->dkey;
	slot = &bs->seen[key & bs->seen_mask];
	tag = (key >> 32) | 1;
	/*
	 * beacon_prefetch() asked for the slot while the event was matched;
	 * a tracked pair's entry is the next cache miss: let it load while
	 * expiry runs and the destination is counted.
	 */
	if ((slot->w >> 32) == tag && (slot->w & BEACON_TRACKED) != 0)
		ktab_prefetch_index(&bs->t, (uint32_t)(slot->w & BEACON_SECS));
	ktab_prefetch(&bs->dests, dkey);
	if ((++bs->tick & 7) == 0)
		beacon_expire(rs, bs);
	t = rec->ts_us / 1000000;
	/*
	 * Every connection counts its source for the destination's
	 * prevalence, first sightings too; a destination idle for a whole
	 * window starts counting again (its first sighting stays).
	 */
	dd = ktab_get(&bs->dests, dkey, &isnew);
	r->dropped += bs->t.evicted + bs->dests.evicted;
	bs->t.evicted = bs->dests.evicted = 0;
	if (isnew)
		dd->first_us = dd->last_us = rec->ts_us;
	else if (rec->ts_us - dd->last_us > bs->conf.window_us) {
		memset(dd->reg, 0, sizeof dd->reg);
		dd->last_us = rec->ts_us;
	} else if (rec->ts_us > dd->last_us)
		dd->last_us = rec->ts_us;
	if (rec->ts_us < dd->first_us)
		dd->first_us = rec->ts_us;
	beacon_hll_add(dd->reg, BEACON_HLL_DST_BITS, hs);
	if (beacon_hll_add(bs->hosts, BEACON_HLL_ALL_BITS, hs))
		bs->hosts_stale = true;
	first_s = t;
	if ((slot->w >> 32) == tag && (slot->w & BEACON_TRACKED) == 0) {
		/* Seen before: how long ago was the first sighting? */
		if ((uint32_t)(slot->w & BEACON_SECS) == ((uint32_t)t &
		    BEACON_SECS))
			return;		/* the same second: one connection */
		d = (int64_t)((uint64_t)t & BEACON_SECS) -
		    (int64_t)(slot->w & BEACON_SECS);
		if (d > (int64_t)BEACON_SECS / 2)
			d -= (int64_t)BEACON_SECS + 1;
		else if (d < -(int64_t)BEACON_SECS / 2)
			d += (int64_t)BEACON_SECS + 1;
		if (d > bs->conf.window_us / 1000000 || d < -3600) {
			/* Too long ago to matter: a new first sighting. */
			slot->w = tag << 32 | ((uint64_t)t & BEACON_SECS);
			slot->two = 0;
			return;
		}
		first_s = t - d;
		two = slot->two;
		if (two == 0 && bs->conf.window_us / 1000000 <
		    (1LL << (BEACON_TWO_BITS - 1))) {
			/* The second sighting: kept in the slot. */
			slot->two = BEACON_TWO | ((uint64_t)d &
			    ((1ULL << BEACON_TWO_BITS) - 1)) << 32 |
			    beacon_size(rec);
			return;
		}
		if (two != 0) {
			/* The third: track the pair from its first two. */
			d = (int64_t)((two >> 32) &
			    ((1ULL << BEACON_TWO_BITS) - 1));
			if (d >= (1LL << (BEACON_TWO_BITS - 1)))
				d -= 1LL << BEACON_TWO_BITS;
			second_s = first_s + d;
			if (second_s == t)
				return;	/* the same second: one connection */
		}
		own = true;
	} else if ((slot->w & BEACON_TRACKED) == 0) {
		/* A first sighting (it may push out another's). */
		slot->w = tag << 32 | ((uint64_t)t & BEACON_SECS);
		slot->two = 0;
		return;
	}
	sz = beacon_size(rec);
	/*
	 * Tracked: the slot says so, and where the pair lives, or it is
	 * another tracked pair's and this one is tracked at once rather than
	 * lose its sightings (found through the table's buckets).
	 */
	p = NULL;
	isnew = false;
	if (!own && (slot->w >> 32) == tag)
		p = ktab_at_index(&bs->t, (uint32_t)(slot->w & BEACON_SECS),
		    key);
	if (p == NULL) {
		p = ktab_get(&bs->t, key, &isnew);
		r->dropped += bs->t.evicted;
		bs->t.evicted = 0;
		/* An eviction may have freed this slot: look again. */
		if (own || (slot->w >> 32) == tag || slot->w == 0) {
			slot->w = tag << 32 | BEACON_TRACKED |
			    (ktab_index(p) & BEACON_SECS);
			slot->two = 0;
		}
	}
	if (p->ring != 0 && p->nts > 0) {
		/* The newest times and sizes, where beacon_add() looks. */
		struct beacon_ring *g = beacon_ring_at(bs, p->ring - 1);

		__builtin_prefetch(&g->ts[p->nts - 1]);
		__builtin_prefetch(&g->sz[p->nts - 1]);
	}
	if (isnew) {
		if (two != 0 && second_s < first_s)
			p->first_us = second_s * 1000000;
		else
			p->first_us = first_s * 1000000;
		p->base_s = (first_s < t ? first_s : t) - 3600;
		if (two != 0 && second_s - 3600 < p->base_s)
			p->base_s = second_s - 3600;
		p->src = rec->src;
		p->dkey = dkey;
		p->dst_ip = is_ip;
		p->dst_len = (uint8_t)(dlen < BEACON_DST_MAX ? dlen :
		    BEACON_DST_MAX);
		memcpy(p->dst, dst, p->dst_len);
		if (first_s != t) {
			/* The first sighting's connection, without size. */
			p->count++;
			beacon_hour(p, first_s);
			if (beacon_add(bs, p, first_s, UINT32_MAX)) {
				p->uniq++;
				p->since++;
			}
		}
		if (two != 0) {
			/* The second, with its size. */
			p->count++;
			beacon_hour(p, second_s);
			if (beacon_add(bs, p, second_s, (uint32_t)two)) {
				p->uniq++;
				p->since++;
			}
		}
	}
	if (rec->ts_us > p->last_us) {
		p->last_us = rec->ts_us;
		p->tz_off = rec->tz_off;
	}
	if (rec->ts_us < p->first_us)
		p->first_us = rec->ts_us;
	if (p->last_us - p->first_us > bs->conf.window_us)
		p->first_us = p->last_us - bs->conf.window_us;
	p->dsi = (uint8_t)detect_dataset(rs);
	p->count++;
	beacon_hour(p, t);
	if (!beacon_add(bs, p, t, sz))
		return;
	p->uniq++;
	p->since++;
	if (p->flags & BF_ALERTED)
		return;
	for (sum = 0, i = 0; i < 24; i++)
		sum += p->hours[i];
	if (sum >= bs->conf.strobe) {
		memset(&s, 0, sizeof s);
		beacon_alert(rs, r, bs, p, &s, true, rec, cb, arg);
		return;
	}
	if (p->since < BEACON_JUDGE_EVERY ||
	    !beacon_judge(bs, p, &s))
		return;
	beacon_weigh(bs, p, &s);
	p->since = 0;
	p->score = (float)s.score;
	if (s.score >= bs->conf.threshold)
		beacon_alert(rs, r, bs, p, &s, false, rec, cb, arg);
}

static void
beacon_flush(struct ruleset *rs, struct rule *r, rule_match_cb cb, void *arg)
{
	struct beacon_state	*bs = r->state;
	struct beacon_pair	*p;
	struct beacon_score	 s;
	size_t			 cur = 0;

	if (bs == NULL)
		return;
	while ((p = ktab_next(&bs->t, &cur)) != NULL) {
		if ((p->flags & BF_ALERTED) || p->since == 0 ||
		    !beacon_judge(bs, p, &s))
			continue;
		beacon_weigh(bs, p, &s);
		p->since = 0;
		p->score = (float)s.score;
		if (s.score >= bs->conf.threshold)
			beacon_alert(rs, r, bs, p, &s, false, NULL, cb, arg);
	}
}

const struct rule_ops detect_beacon_ops = {
	.name = "beacon",
	.check = beacon_check,
	.feed = beacon_feed,
	.flush = beacon_flush,
	.free = beacon_free,
};

size_t
beacon_mem_bytes(const struct rule *r)
{
	const struct beacon_state	*bs;

	if (r->ops != &detect_beacon_ops || (bs = r->state) == NULL)
		return 0;
	return sizeof *bs + ktab_bytes(&bs->t) + ktab_bytes(&bs->dests) +
	    (bs->t.nchunks + bs->dests.nchunks) * sizeof *bs->t.chunks +
	    bs->nrchunks * (BEACON_RING_CHUNK * sizeof **bs->rings +
	    sizeof *bs->rings) + (bs->seen_mask + 1) * sizeof *bs->seen;
}

size_t
beacon_mem_entries(const struct rule *r)
{
	const struct beacon_state	*bs;

	if (r->ops != &detect_beacon_ops || (bs = r->state) == NULL)
		return 0;
	return bs->t.n + bs->dests.n;
}
