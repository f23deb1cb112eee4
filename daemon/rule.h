/*
 * rule.h: detection rules.  A rule is loaded from YAML once, compiled
 * (PCRE2 with JIT, match and depth limits), and matched against every
 * record whose event.dataset its logsource covers.  Conditions on fields
 * are ANDed; a list of values means any of them.  A rule that hits a PCRE2
 * limit is counted and reported, never treated as a silent no-match, and
 * the record goes on to the other rules.
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
	COND_LTE
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
};

struct rule_sample {
	char		*parser;
	char		*line;
	bool		 match;		/* must match (true) or must not */
	int		 lineno;	/* in the rule file */
};

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
	struct cond	*conds;
	size_t		 nconds;
	struct rule_sample *samples;
	size_t		 nsamples;
	char		*file;
	int		 lineno;

	uint64_t	 hits;		/* matches */
	uint64_t	 limit_hits;	/* PCRE2 limits hit */
};

struct ruleset {
	struct rule	**v;
	size_t		 n;
	void		*match_data;	/* pcre2_match_data * */
	void		*match_ctx;	/* pcre2_match_context * */
	void		*jit_stack;	/* pcre2_jit_stack * */
	uint64_t	 limit_hits;
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
void		 ruleset_free(struct ruleset *);

/* Matched-rule callback; return non-zero to stop matching this record. */
typedef int	(*rule_match_cb)(void *arg, struct rule *, const struct record *);

/* Match rec against every rule; returns the number of rules that fired. */
size_t		 ruleset_match(struct ruleset *, const struct record *,
		    rule_match_cb, void *arg);
/* Match rec against one rule: 1 match, 0 no match. */
int		 rule_match(struct ruleset *, struct rule *, const struct record *);
/* True if the rule's logsource covers dataset ds ("proxy": "proxy.squid"). */
bool		 rule_covers(const struct rule *, struct span ds);
/* Find a rule by id; NULL if none. */
struct rule	*ruleset_find(const struct ruleset *, const char *id);

/* True if the category / severity is one DESIGN.md names. */
bool		 rule_valid_category(const char *);
bool		 rule_valid_severity(const char *);

#endif
