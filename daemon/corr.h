/*
 * corr.h: correlation on event time.  Per rule and per group key (the
 * values of 1 to 3 group_by fields) it keeps what the rule's kind needs:
 *   count     the timestamps of the last events (at most 2 x threshold):
 *             fires when threshold events lie within one window;
 *   distinct  a set of value hashes with the time each was last seen:
 *             fires when threshold distinct values lie within the window
 *             ending at the group's latest event (a true distinct count,
 *             not "different from the last one");
 *   sequence  the step reached and when the first step happened: fires
 *             when the input rules matched in order within the window.
 * A window of W holds events whose times differ by at most W (both ends
 * count).  Lines may arrive out of order by up to DETECT_TOLERANCE_US
 * within a group; later ones are counted as late and ignored.  A group
 * that fired starts again from nothing.  Groups live in a bounded table
 * (max_groups and a byte budget per rule); the oldest group is dropped
 * and counted when it is full, and groups idle for long are expired.
 */
#ifndef KEIBI_CORR_H
#define KEIBI_CORR_H

#include <stdint.h>

#include "record.h"
#include "rule.h"

#define CORR_MAX_BYTES	(64 * 1024 * 1024)	/* group table per rule */

/* Feed one event to correlation r (input: the rule it matched, or NULL). */
void	corr_feed(struct ruleset *, struct rule *r, struct rule *input,
	    const struct record *, rule_match_cb, void *);
/* Free the state of correlation r; accepts NULL. */
void	corr_free(void *state);
/* Groups r holds now. */
size_t	corr_groups(const struct rule *r);
/* Bytes the group table of r holds now (count, distinct, sequence). */
size_t	corr_bytes(const struct rule *r);

/*
 * A bounded set of value hashes with last-seen times (open addressing),
 * laid out in place; used by distinct counts and detectors.
 */
struct dset_ent {
	uint64_t	vh;		/* 0: empty */
	int64_t		ts;
};

struct dset {
	uint32_t	n;
	uint32_t	slots;		/* power of two */
	int64_t		min_ts;
	struct dset_ent	e[];
};

/* Slots for a set that must count up to need values. */
uint32_t dset_slots(uint64_t need);
/* Bytes of a set of that many slots. */
size_t	 dset_size(uint32_t slots);
void	 dset_init(struct dset *, uint32_t slots);
void	 dset_clear(struct dset *);
/*
 * Add value hash vh seen at ts.  Values last seen before lo no longer
 * count.  Returns the number of values seen at or after lo (exact once it
 * reaches need); *dropped counts values pushed out when the set was full.
 */
uint32_t dset_add(struct dset *, uint64_t vh, int64_t ts, int64_t lo,
	    uint64_t need, uint64_t *dropped);

#endif
