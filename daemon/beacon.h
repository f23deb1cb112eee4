/*
 * beacon.h: C2 beacon detection, streaming, per (internal host,
 * destination) pair.  Each pair keeps its last BEACON_RING unique
 * connection times (whole seconds, as RITA does) and sizes, and 24 hourly
 * counters of the window.  A pair is judged every few connections and
 * when time runs out (keibid --once) with two scores:
 *   day   RITA v5's score over the window: 1/4 each of timing (Bowley
 *         skew and MAD of the intervals), size (the same on the bytes),
 *         duration (coverage and the longest run of busy hours) and
 *         histogram (CV and bimodal fit of the hourly counts); without
 *         byte counts (plain firewall lines) timing weighs 1/2 in place
 *         of the size term, so nothing is penalised for a term the logs
 *         cannot give and nothing is lifted by its absence either;
 *   span  the pair's own active span, once that span is long enough
 *         (span_min, default 30m) and holds enough connections
 *         (span_connections, default 10): 1 - MAD/median of the
 *         intervals, with the ratio scaled up by 30/n below 30 intervals
 *         so that a few random (Poisson) arrivals never look regular,
 *         and 0 for bursts (the intervals times their median cover less
 *         than half the time they span); steady sizes may lower it, never raise it.  An implant calling
 *         every minute for two hours is a beacon even though it never
 *         fills a day's histogram.
 * The pair's score is the higher one, but no more than the dispersion
 * score (the span's timing) when that is under 0.7: intervals as
 * dispersed as random arrivals are no beacon, whatever the other terms
 * say.  Then prevalence (as RITA weighs it): the share of all sources
 * seen that talk to the pair's destination, counted per destination in a
 * small HyperLogLog (64 one-byte registers) in a table capped at
 * max_destinations (default 65536, about 100 bytes each, evictions
 * counted), which also keeps when the destination was first seen.  Above
 * prevalence_free (default 0.2) the score falls linearly to 0 at 100 %,
 * once prevalence_min_hosts (default 10) sources have been seen: a
 * destination most of the network calls on a timer is an update or CDN
 * server, not a command server.  At or over the threshold a pair alerts
 * once.  Pairs seen 86400 times in the window are strobes.  The table is
 * capped (max_pairs); when full, the least suspicious of the oldest pairs
 * is evicted, and counted.
 */
#ifndef KEIBI_BEACON_H
#define KEIBI_BEACON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BEACON_RING	32	/* unique connection times kept per pair */

struct beacon_score {
	double	ts;		/* timing */
	double	ds;		/* size; valid if has_ds */
	double	hist;
	double	dur;
	double	day;
	double	span;		/* valid if span_ok */
	double	disp;		/* beacon_span_ts_score of the intervals */
	double	score;
	double	median;		/* median interval, seconds */
	double	raw;		/* score before prevalence */
	double	prevalence;	/* dst_hosts / hosts; valid if has_prev */
	double	dst_hosts;	/* distinct sources of the destination */
	double	hosts;		/* distinct sources of the rule */
	int64_t	first_seen_us;	/* the destination's first connection */
	bool	has_ds;
	bool	span_ok;
	bool	has_prev;
};

/* RITA v5 sub-scores, exposed for tests.  Inputs need not be sorted. */
double	beacon_ts_score(const double *intervals, size_t n);
double	beacon_ds_score(const double *sizes, size_t n);
/*
 * The timing score of the active span: 1 - MAD/median of the intervals,
 * the ratio scaled up when fewer than 30 intervals are given; 0 when the
 * intervals are bursts (count times median under half their sum).
 */
double	beacon_span_ts_score(const double *intervals, size_t n);
double	beacon_hist_score(const uint32_t bins[24]);
double	beacon_dur_score(const uint32_t bins[24], int64_t first_s,
	    int64_t last_s, int64_t window_s);
/* Bytes of state per tracked pair (for the memory bound). */
size_t	beacon_pair_bytes(void);

struct rule;
struct ruleset;
struct record;

/*
 * Start loading what beacon rule r will touch for rec, before rec is
 * matched, and keep its keys for the feed of detection round gen.  Does
 * nothing before r has state.
 */
void	beacon_prefetch(struct ruleset *, struct rule *r,
	    const struct record *rec, uint64_t gen);

/*
 * Memory the state of beacon rule r holds: the pair and destination
 * tables as allocated (whole chunks, buckets, chunk lists), the first
 * sightings and the state itself; 0 for a rule that is no beacon or has
 * seen nothing yet.  O(1).
 */
size_t	beacon_mem_bytes(const struct rule *r);
/* Pairs and destinations beacon rule r tracks now. */
size_t	beacon_mem_entries(const struct rule *r);

#endif
