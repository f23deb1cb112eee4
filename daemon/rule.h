/*
 * rule.h: the detection rule language.  Rules, named lists and exceptions
 * are loaded from YAML once and compiled (PCRE2 with JIT, match, depth and
 * heap limits; a Hyperscan prefilter per logsource and field, see match.h).
 * A rule's conditions form a tree: a mapping of field conditions is an
 * AND, and "all", "any" and "not" nest.  A rule is either a plain match
 * (one alert per event), a correlation (count, distinct count or ordered
 * sequence per group key, on event time: see corr.h) or a detector with
 * parameters (beacon, scan, spam: see beacon.h, scan.h, spam.h).
 *
 * A rule that hits a PCRE2 limit is counted and reported, never treated as
 * a silent no-match, and the record goes on to the other rules.  Loading
 * never touches running state: a new set is built whole or not at all.
 */
#ifndef KEIBI_RULE_H
#define KEIBI_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "record.h"

#define RULE_MATCH_LIMIT	100000	/* PCRE2 match limit per attempt */
#define RULE_DEPTH_LIMIT	2000	/* PCRE2 depth (backtracking) limit */
#define RULE_HEAP_LIMIT		(1024)	/* PCRE2 heap limit, KiB */

#define RULE_MAX_GROUP_BY	3	/* fields of a correlation key */
#define RULE_MAX_SEQUENCE	8	/* steps of an ordered sequence */

enum cond_op {
	COND_EQUALS = 0,
	COND_CONTAINS,
	COND_STARTSWITH,
	COND_ENDSWITH,
	COND_REGEX,
	COND_CIDR,
	COND_EXISTS,
	COND_GT,
	COND_GTE,
	COND_LT,
	COND_LTE,
	COND_LIST,		/* in a named list (IPs, domains, strings) */
	COND_ROLE		/* address in a network role of the config */
};

/* Network roles of the configuration (networks: in keibi.yml). */
enum rule_role {
	ROLE_INTERNAL = 0,
	ROLE_MAIL_SERVERS,
	ROLE_PROXIES,
	ROLE_DNS_SERVERS,
	ROLE_MAX
};

enum rule_list_kind {
	LIST_IP = 0,		/* addresses and CIDRs */
	LIST_DOMAIN,		/* domains: an entry matches its subdomains */
	LIST_STRING		/* exact strings */
};

/* A named list; owned by the ruleset, shared by the rules that use it. */
struct rule_list {
	char		*name;
	enum rule_list_kind kind;
	bool		 nocase;	/* strings: compare ASCII case-blind */
	struct cidr_set	 cidrs;		/* LIST_IP */
	char		**strs;		/* domains, strings: a hash set */
	uint32_t	*lens;
	size_t		 nslots;	/* power of two */
	size_t		 nstrs;
	char		*file;		/* where it was defined */
	int		 lineno;
};

struct cond_value {
	char		*s;
	size_t		 len;
	void		*re;		/* pcre2_code * for COND_REGEX */
	struct cidr	 cidr;		/* for COND_CIDR */
	uint64_t	 num;		/* for comparisons */
};

struct cond {
	enum rf		 field;
	enum cond_op	 op;
	bool		 nocase;
	bool		 negate;	/* "not": the condition must not hold */
	struct cond_value *values;	/* any of them */
	size_t		 nvalues;
	struct rule_list *list;		/* COND_LIST, resolved after loading */
	char		*list_name;
	unsigned int	 roles;		/* COND_ROLE: bits of enum rule_role */
	int		 lineno;
};

enum rule_node_kind {
	RN_COND = 0,		/* one field condition: conds[cond] */
	RN_ALL,
	RN_ANY,
	RN_NOT
};

struct rule_node {
	enum rule_node_kind kind;
	size_t		 cond;		/* RN_COND: index in rule->conds */
	struct rule_node *kids;
	size_t		 nkids;
};

struct rule_sample {
	char		*parser;
	char		*line;
	bool		 match;		/* must match (true) or must not */
	int		 lineno;	/* in the rule file */
};

enum rule_kind {
	RK_MATCH = 0,		/* one alert per matching event */
	RK_COUNT,		/* >= threshold events in window per group */
	RK_DISTINCT,		/* >= threshold distinct values of a field */
	RK_SEQUENCE,		/* rules matched in order within window */
	RK_DETECTOR		/* a detector module with parameters */
};

/* A detector parameter as written; the detector validates its own. */
struct rule_param {
	char		*key;
	char		*value;		/* scalar text, or NULL for a list */
	char		**list;		/* list items */
	size_t		 nlist;
	int		 lineno;
};

struct rule_corr {
	enum rf		 group_by[RULE_MAX_GROUP_BY];
	size_t		 ngroup_by;
	int64_t		 window_us;
	uint64_t	 threshold;
	enum rf		 field;		/* RK_DISTINCT: the field counted */
	char		**rules;	/* input rule ids (sequence steps) */
	size_t		 nrules;
	struct rule	**inputs;	/* resolved after loading */
	size_t		 max_groups;	/* memory bound of the group table */
};

struct rule_suppress {
	enum rf		 group_by[RULE_MAX_GROUP_BY];
	size_t		 ngroup_by;
	int64_t		 window_us;	/* 0: no suppression */
	uint64_t	 limit;		/* alerts per key and window */
};

struct rule_ops;

struct rule {
	char		*id;		/* stable: KB-OUT-0001 */
	int		 rev;
	char		*title;
	char		*description;
	char		*category;	/* DESIGN.md's incident categories */
	char		*severity;	/* low, medium, high, critical */
	char		**attack;	/* ATT&CK technique ids */
	size_t		 nattack;
	char		*logsource;	/* dataset prefix, or NULL for all */
	struct cond	*conds;		/* every leaf condition of the tree */
	size_t		 nconds;
	struct rule_node root;		/* RN_ALL of the "match" mapping */
	struct rule_sample *samples;
	size_t		 nsamples;
	char		*file;
	int		 lineno;
	uint64_t	 fingerprint;	/* of its text: reload keeps state */

	enum rule_kind	 kind;
	bool		 alert;		/* false: a building block, no alert */
	struct rule_corr corr;		/* RK_COUNT, RK_DISTINCT, RK_SEQUENCE */
	struct rule_suppress suppress;
	char		*detector;	/* RK_DETECTOR: "beacon", "scan", ... */
	struct rule_param *params;
	size_t		 nparams;
	const struct rule_ops *ops;	/* RK_DETECTOR: resolved at load */

	struct rule	**dependents;	/* correlations fed by this rule */
	size_t		 ndependents;
	size_t		 index;		/* in ruleset->v */
	uint64_t	 gen;		/* record last fed (detect.c) */

	void		*state;		/* correlation or detector state */
	void		*sup_state;	/* suppression table */

	uint64_t	 hits;		/* alerts raised */
	uint64_t	 matches;	/* events that matched the conditions */
	uint64_t	 limit_hits;	/* PCRE2 limits hit */
	uint64_t	 suppressed;	/* alerts held back by suppress */
	uint64_t	 excepted;	/* events dropped by an exception */
	uint64_t	 late;		/* events too far out of order */
	uint64_t	 dropped;	/* state dropped at a memory bound */
};

/* An exception: events it covers never reach the rules it names. */
struct rule_exception {
	char		*reason;
	char		**rules;	/* NULL: every rule */
	size_t		 nrules;
	int64_t		 from_us;	/* event time; INT64_MIN: always */
	int64_t		 until_us;	/* expiry; INT64_MAX: never */
	struct cond	*conds;
	size_t		 nconds;
	struct rule_node root;
	char		*file;
	int		 lineno;
	uint64_t	 hits;
};

struct ruleset;
struct record;
struct match_plan;
struct rule_override;

/* Matched-rule callback; return non-zero to stop matching this record. */
typedef int	(*rule_match_cb)(void *arg, struct rule *, const struct record *);

/*
 * What a detector module provides.  Parameters are checked at load time
 * (check returns -1 with *cause malloc'd, naming the parameter); state is
 * built lazily, fed the events that pass the rule's conditions, flushed
 * when time runs out (keibid --once) and freed with the set.
 */
struct rule_ops {
	const char	*name;
	int		 (*check)(struct rule *, char **cause);
	void		 (*feed)(struct ruleset *, struct rule *,
			    const struct record *, rule_match_cb, void *);
	void		 (*flush)(struct ruleset *, struct rule *,
			    rule_match_cb, void *);
	void		 (*free)(void *state);
};

struct ruleset {
	struct rule	**v;
	size_t		 n;
	struct rule_list **lists;
	size_t		 nlists;
	struct rule_exception **exc;
	size_t		 nexc;
	struct rule	**off;		/* disabled by an override */
	size_t		 noff;
	struct rule_override **ovr;	/* read, applied once all are read */
	size_t		 novr;

	void		*match_data;	/* pcre2_match_data * */
	void		*match_ctx;	/* pcre2_match_context * */
	void		*jit_stack;	/* pcre2_jit_stack * */
	uint64_t	 limit_hits;

	struct cidr_set	 roles[ROLE_MAX];	/* copies from the config */
	struct match_plan *plan;	/* prefilter, see match.h */
	bool		 no_prefilter;	/* evaluate every rule (tests) */
	void		*detect;	/* detection state, see detect.h */
	uint64_t	 seed;		/* of state hashes */
};

/*
 * Load rules from files and folders (every *.yml / *.yaml in a folder, in
 * name order).  Returns the set, or NULL with *cause a malloc'd list of
 * every error as "file:line:column: reason", one per line.
 */
struct ruleset	*ruleset_load(char *const *paths, size_t npaths, char **cause);
/* The same from one buffer (for tests and the fuzzer). */
struct ruleset	*ruleset_load_buffer(const char *name, const char *buf,
		    size_t len, char **cause);
/* Free a set and all state its rules hold; accepts NULL. */
void		 ruleset_free(struct ruleset *);

/* Copy the network roles rules test against (networks: of the config). */
void		 ruleset_set_role(struct ruleset *, enum rule_role,
		    const struct cidr_set *);

/*
 * Match rec against every plain and building-block rule whose logsource
 * covers it (through the prefilter); calls cb for each rule whose
 * conditions hold.  Correlations and detectors are not run here (see
 * detect_event).  Returns the number of rules whose conditions held.
 */
size_t		 ruleset_match(struct ruleset *, const struct record *,
		    rule_match_cb, void *arg);
/* Match rec against one rule's conditions: 1 match, 0 no match. */
int		 rule_match(struct ruleset *, struct rule *, const struct record *);
/*
 * Why rec does not match r: a short text naming the first condition that
 * failed, written into buf; returns the number of top-level conditions
 * that held (a near miss is all but one).
 */
size_t		 rule_explain(struct ruleset *, struct rule *,
		    const struct record *, char *buf, size_t size);
/* True if the rule's logsource covers dataset ds ("proxy": "proxy.squid"). */
bool		 rule_covers(const struct rule *, struct span ds);
/* Find a rule by id; NULL if none. */
struct rule	*ruleset_find(const struct ruleset *, const char *id);
/* Find a list by name; NULL if none. */
struct rule_list *ruleset_list(const struct ruleset *, const char *name);
/* True if the list holds s (domains: s or a parent domain of s). */
bool		 rule_list_has(const struct rule_list *, const char *s,
		    size_t len, const struct netaddr *);
/*
 * The first exception that covers rec for rule r, or NULL.  Exceptions
 * are judged on event time: an expired one covers nothing.
 */
struct rule_exception *ruleset_excepted(struct ruleset *, struct rule *,
		    const struct record *);
/* A detector parameter of r, or NULL. */
const struct rule_param *rule_param(const struct rule *, const char *key);

/* True if the category / severity is one DESIGN.md names. */
bool		 rule_valid_category(const char *);
bool		 rule_valid_severity(const char *);

/* Parse "90", "30s", "10m", "2h", "1d" into microseconds; -1 if bad. */
int64_t		 rule_parse_duration(const char *);
/*
 * Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" with "Z" or "+HH:MM" (no
 * offset: UTC) into microseconds since the epoch; 0 or -1.
 */
int		 rule_parse_time(const char *, int64_t *out);

/* 64-bit hash of bytes with a seed (not cryptographic, but keyed). */
uint64_t	 rule_hash(uint64_t seed, const void *, size_t);

#endif
