/*
 * parser.h: the parser contract.  One parser per log family, each a const
 * vtable in the one registry array (parsers/registry.c).  A parser turns one
 * line into a struct record and never knows about rules, sources or output.
 * Lines are attacker-controlled: a parser must accept any byte sequence of
 * any length without reading past len, without allocating per line in the
 * steady state, and without keeping pointers into the line after it returns
 * (state that spans lines, such as Postfix queue ids, is copied and bounded).
 */
#ifndef KEIBI_PARSER_H
#define KEIBI_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct tz;

/* What a parser's state is built from; copied by state_new. */
struct parser_opts {
	const struct tz	*tz;		/* zone of year-less local times; NULL = UTC */
	int64_t		 ref_us;	/* reference "now" for year inference; 0 = clock */
	size_t		 max_queue;	/* bound of per-message tables (postfix) */
};

/* Counters every parser keeps (read by status and tests). */
struct parser_stats {
	uint64_t	events;		/* returned 1 */
	uint64_t	ignored;	/* returned 0 */
	uint64_t	malformed;	/* returned -1 */
	uint64_t	dropped;	/* state entries dropped at a memory bound */
	const char	*format;	/* "auto": the parser it chose, or NULL */
	uint64_t	switches;	/* "auto": times the format changed */
};

struct parser {
	const char	*name;		/* as in the config: "iptables" */
	const char	*dataset;	/* default event.dataset: "firewall.iptables" */
	const char	*description;

	/* Build per-source state; NULL only on allocation failure. */
	void		*(*state_new)(const struct parser_opts *);
	void		 (*state_free)(void *);

	/*
	 * Parse one line (no trailing newline) into rec, which the caller has
	 * reset.  Returns 1 (an event), 0 (not an event), -1 (malformed).
	 */
	int		 (*parse)(void *state, const char *line, size_t len,
			    struct record *rec);

	/* Counters of this state; NULL if the parser keeps none. */
	const struct parser_stats *(*stats)(void *state);

	/* Set the year-inference reference time (file mtime, clock). */
	void		 (*set_ref)(void *state, int64_t ref_us);
};

/* All parsers, NULL-terminated. */
extern const struct parser *const parser_registry[];

/* Find a parser by name; NULL if there is none. */
const struct parser *parser_lookup(const char *name);

#endif
