/*
 * match.h: the prefilter that keeps matching from running every rule on
 * every event.  For each event.dataset seen, the rules whose logsource
 * covers it are indexed by one condition each that every match needs: a
 * regex or contains goes into Hyperscan (or Vectorscan) block-mode
 * databases per field (one for ^-anchored patterns, one for the rest), a
 * startswith or endswith into a list compared directly, an equals into a
 * hash table per field.  An event runs the scans of each indexed field it
 * has, and only the rules whose prefilter hit (plus those that have none)
 * are evaluated in full with PCRE2.  The prefilter only ever admits more candidates than
 * match, never fewer: results are those of evaluating every rule.
 */
#ifndef KEIBI_MATCH_H
#define KEIBI_MATCH_H

#include <stddef.h>

#include "record.h"
#include "rule.h"

struct match_plan;

/*
 * Build the plan of a loaded set; each dataset is planned (its databases
 * compiled) when its first event comes.  Never fails: a pattern the
 * prefilter cannot take leaves its rule evaluated on every event of its
 * logsource.
 */
struct match_plan *match_plan_build(struct ruleset *);
/*
 * Keep the compiled databases in dir (hscache.h), which must exist; NULL
 * compiles every time.  Set before the first event.
 */
void		 match_plan_cache(struct match_plan *, const char *dir);
/* Free a plan; accepts NULL. */
void		 match_plan_free(struct match_plan *);
/*
 * Evaluate rec against every rule that is not fed by other rules; calls cb
 * for each whose conditions hold, in rule order.  Returns how many held.
 */
size_t		 match_plan_run(struct ruleset *, const struct record *,
		    rule_match_cb, void *);
/* Rules indexed for dataset ds and rules evaluated on every event of it. */
void		 match_plan_stats(struct ruleset *, struct span ds,
		    size_t *indexed, size_t *always);

#endif
