/*
 * detect.h: the one entry point of detection.  keibid_event() hands every
 * finished record to detect_event(): rules are matched (through the
 * prefilter), exceptions drop what they cover, plain rules alert, and
 * correlations and detectors (beacon, scan, spam) are fed.  Every alert,
 * whatever raised it, passes the rule's suppression and leaves through
 * the caller's callback with a record describing it.
 *
 * Time is event time (rec->ts_us), never the host clock.  detect_flush()
 * judges what detectors still hold as if time had run out (keibid --once).
 * detect_adopt() moves the state of unchanged rules to a reloaded set.
 */
#ifndef KEIBI_DETECT_H
#define KEIBI_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "rule.h"

#define DETECT_TOLERANCE_US	(60LL * 1000000)	/* out-of-order lines */
#define DETECT_MAX_DATASETS	64

/* Run detection on one record; alerts go to cb(arg, rule, record). */
void		 detect_event(struct ruleset *, const struct record *,
		    rule_match_cb cb, void *arg);
/* Judge everything still pending, as at the end of time. */
void		 detect_flush(struct ruleset *, rule_match_cb cb, void *arg);
/*
 * Keep the state of every rule of nrs whose id and text are unchanged in
 * ors (correlation groups, detector tables, suppression keys).
 */
void		 detect_adopt(struct ruleset *nrs, struct ruleset *ors);

/*
 * Raise an alert of r described by rec: suppression, then cb.  Returns 1
 * if it went out, 0 if suppressed.
 */
int		 detect_emit(struct ruleset *, struct rule *,
		    const struct record *, rule_match_cb, void *);

/*
 * The hash of the values of fields in rec (the group key of a
 * correlation); false if one of them is missing.
 */
bool		 detect_key(const struct record *, const enum rf *fields,
		    size_t nfields, uint64_t seed, uint64_t *key);
/* "300s", "10m", "2h", "1d" for people. */
void		 detect_window_text(int64_t us, char *buf, size_t size);
/* "source.ip=10.1.2.3, url.domain=example.com" of the group fields. */
void		 detect_key_text(const struct record *, const enum rf *fields,
		    size_t nfields, char *buf, size_t size);

/* Index of the current record's dataset and the dataset's watermark. */
unsigned int	 detect_dataset(struct ruleset *);
/* The detection round of the current record (1 for the first). */
uint64_t	 detect_gen(struct ruleset *);
int64_t		 detect_watermark(struct ruleset *, unsigned int ds);
/* Name of dataset ds and the source last seen with it (or NULL). */
const char	*detect_dataset_name(struct ruleset *, unsigned int ds);
const char	*detect_dataset_source(struct ruleset *, unsigned int ds);

/* Detector modules, by name; NULL if unknown. */
const struct rule_ops *detect_lookup(const char *name);
/* Their names, for messages: "beacon, scan, spam". */
const char	*detect_names(void);

/* Free correlation state of r (see corr.h); accepts NULL. */
void		 detect_state_free(struct rule *, void *state);
/* Free a suppression table; accepts NULL. */
void		 detect_suppress_free(void *);
/* Free the detection context of a set; accepts NULL. */
void		 detect_free(void *);

/* Parameter helpers for detectors: -1 with *cause when bad. */
int		 detect_param_u64(const struct rule *, const char *key,
		    uint64_t def, uint64_t min, uint64_t max, uint64_t *out,
		    char **cause);
int		 detect_param_dur(const struct rule *, const char *key,
		    int64_t def, int64_t *out, char **cause);
int		 detect_param_frac(const struct rule *, const char *key,
		    double def, double *out, char **cause);

#endif
