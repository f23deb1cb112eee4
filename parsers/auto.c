/*
 * auto.c: the parser "auto", for a source whose format is not configured.
 * It runs every registered parser on the source's first lines, each with
 * its own state, and scores them: a line a parser makes an event of
 * scores the number of fields it filled, so the parser that reads a line
 * most fully wins over one that only recognises a syslog header.  After
 * AUTO_DECIDE non-empty lines (AUTO_EARLY when one parser read every
 * line best) it keeps the leader, if any made an event, and frees the
 * others; until then every line is answered with the leader's record.
 * It keeps checking: when the chosen parser has made no event of
 * AUTO_RECHECK lines in a row, the candidates run again for
 * AUTO_DECIDE lines, and a parser that then does better takes over with
 * a warning.  The choice and the number of changes are in its stats
 * (format, switches) for keibictl.  Parser states are built only when a
 * detection starts, never per line; a candidate must not keep pointers
 * into lines, as every parser's contract says.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parser.h"

#define AUTO_DECIDE	16	/* non-empty lines before a decision */
#define AUTO_EARLY	4	/* ... or these, if one parser read them all */
#define AUTO_RECHECK	64	/* event-less lines before re-detection */

extern const struct parser parser_auto;

/* One parser being tried, with its own state and record. */
struct auto_cand {
	const struct parser	*p;
	void			*state;
	struct record		 rec;
	int			 rc;
	uint64_t		 score;
	uint64_t		 events;
};

struct auto_state {
	struct parser_opts	 opts;
	struct parser_stats	 stats;
	struct auto_cand	*cand;		/* detecting: the candidates */
	size_t			 ncand;
	const struct parser	*chosen;	/* NULL while undecided */
	void			*cstate;
	unsigned int		 seen;		/* lines in this detection */
	unsigned int		 misses;	/* event-less lines in a row */
	uint64_t		 lines;
};

/* Number of fields set in rec. */
static unsigned int
auto_fields(const struct record *rec)
{
	return (unsigned int)__builtin_popcountll(rec->present);
}

/* True if p is another name for a parser already in cand (same code). */
static bool
auto_alias(const struct auto_cand *cand, size_t n, const struct parser *p)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (cand[i].p->parse == p->parse)
			return true;
	return false;
}

/* Free the candidates, except the state keep (handed to the caller). */
static void
auto_cand_free(struct auto_state *st, const void *keep)
{
	size_t	i;

	for (i = 0; i < st->ncand; i++)
		if (st->cand[i].state != keep)
			st->cand[i].p->state_free(st->cand[i].state);
	free(st->cand);
	st->cand = NULL;
	st->ncand = 0;
}

/*
 * Start a detection: a state for every registered parser (the chosen
 * one, if any, takes part with the state it has).  Allocation failure is
 * fatal, as at start-up.
 */
static void
auto_detect_start(struct auto_state *st)
{
	const struct parser	*p;
	size_t			 i, n;

	for (n = 0; parser_registry[n] != NULL; n++)
		continue;
	if ((st->cand = calloc(n, sizeof *st->cand)) == NULL)
		fatal("auto: calloc");
	st->ncand = 0;
	for (i = 0; i < n; i++) {
		p = parser_registry[i];
		if (p == &parser_auto || auto_alias(st->cand, st->ncand, p))
			continue;
		st->cand[st->ncand].p = p;
		if (p == st->chosen)
			st->cand[st->ncand].state = st->cstate;
		else if ((st->cand[st->ncand].state = p->state_new(&st->opts)) ==
		    NULL)
			fatal("auto: %s state", p->name);
		st->ncand++;
	}
	st->seen = 0;
}

/* The candidate with the best score; ties go to the registry's order. */
static struct auto_cand *
auto_leader(struct auto_state *st)
{
	struct auto_cand	*best = NULL;
	size_t			 i;

	for (i = 0; i < st->ncand; i++)
		if (st->cand[i].events > 0 &&
		    (best == NULL || st->cand[i].score > best->score))
			best = &st->cand[i];
	return best;
}

/*
 * True if the detection may end early: one parser made an event of every
 * line so far and read them more fully than any other.
 */
static bool
auto_clear(struct auto_state *st)
{
	struct auto_cand	*lead = auto_leader(st);
	size_t			 i;

	if (lead == NULL || lead->events < st->seen)
		return false;
	for (i = 0; i < st->ncand; i++)
		if (&st->cand[i] != lead && st->cand[i].score >= lead->score)
			return false;
	return true;
}

/*
 * The candidate a detection ending now keeps: the leader, unless a
 * parser was chosen before and the leader did not do better than it;
 * NULL while no parser made an event and none was chosen.
 */
static struct auto_cand *
auto_pick(struct auto_state *st)
{
	struct auto_cand	*lead = auto_leader(st), *old = NULL;
	size_t			 i;

	for (i = 0; i < st->ncand; i++)
		if (st->cand[i].p == st->chosen)
			old = &st->cand[i];
	if (lead == NULL || old == NULL)
		return lead != NULL ? lead : old;
	return lead != old && lead->events > old->events ? lead : old;
}

/* End a detection keeping keep; warn if the format changed. */
static void
auto_detect_end(struct auto_state *st, struct auto_cand *keep)
{
	if (st->chosen == NULL)
		log_info("auto: format %s (%llu of %u lines)", keep->p->name,
		    (unsigned long long)keep->events, st->seen);
	else if (keep->p != st->chosen) {
		log_warnx("auto: format changed from %s to %s (%llu of the "
		    "last %u lines)", st->chosen->name, keep->p->name,
		    (unsigned long long)keep->events, st->seen);
		st->stats.switches++;
	}
	st->chosen = keep->p;
	st->cstate = keep->state;
	st->stats.format = keep->p->name;
	/* keep's record may point into its state, which stays. */
	auto_cand_free(st, st->cstate);
	st->misses = 0;
}

/*
 * Parse one line through every candidate; rec gets the answer of the
 * chosen parser (while it is checked), else of the leader, or of the
 * parser kept when the detection ends on this line.
 */
static int
auto_detect_line(struct auto_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct auto_cand	*c, *ans = NULL;
	size_t			 i;
	bool			 ending;
	int			 rc = 0;

	for (i = 0; i < st->ncand; i++) {
		c = &st->cand[i];
		c->rec = *rec;
		c->rc = c->p->parse(c->state, line, len, &c->rec);
		if (c->rc == 1) {
			c->events++;
			c->score += auto_fields(&c->rec);
		}
	}
	if (len > 0)
		st->seen++;
	ending = st->seen >= AUTO_DECIDE || (st->seen >= AUTO_EARLY &&
	    auto_clear(st));
	if (ending)
		ans = auto_pick(st);
	else {
		for (i = 0; i < st->ncand && st->chosen != NULL; i++)
			if (st->cand[i].p == st->chosen)
				ans = &st->cand[i];
		if (ans == NULL)
			ans = auto_leader(st);
	}
	/* No format yet: one parser's "malformed" means nothing. */
	if (ans != NULL && (rc = ans->rc) == 1) {
		*rec = ans->rec;
		if (!record_has(rec, RF_EVENT_DATASET))
			record_set(rec, RF_EVENT_DATASET, ans->p->dataset,
			    strlen(ans->p->dataset));
	}
	if (ans == NULL)
		rc = 0;
	if (ending && ans != NULL)
		auto_detect_end(st, ans);
	return rc;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
auto_parse_line(struct auto_state *st, const char *line, size_t len,
    struct record *rec)
{
	int	rc;

	if (st->cand != NULL)
		return auto_detect_line(st, line, len, rec);
	rc = st->chosen->parse(st->cstate, line, len, rec);
	if (rc == 1) {
		if (!record_has(rec, RF_EVENT_DATASET))
			record_set(rec, RF_EVENT_DATASET,
			    st->chosen->dataset, strlen(st->chosen->dataset));
		st->misses = 0;
	} else if (len > 0 && ++st->misses >= AUTO_RECHECK)
		auto_detect_start(st);
	return rc;
}

/* New state from opts; NULL if out of memory. */
static void *
auto_state_new(const struct parser_opts *opts)
{
	struct auto_state	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	if (opts != NULL)
		st->opts = *opts;
	auto_detect_start(st);
	return st;
}

/* Free the state and every parser state it holds; accepts NULL. */
static void
auto_state_free(void *state)
{
	struct auto_state	*st = state;

	if (st == NULL)
		return;
	if (st->cand != NULL)
		auto_cand_free(st, NULL);
	else if (st->chosen != NULL)
		st->chosen->state_free(st->cstate);
	free(st);
}

/* Parse one line of a source of unknown format: 1, 0 or -1. */
static int
auto_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct auto_state	*st = state;
	int			 rc;

	rc = auto_parse_line(st, line, len, rec);
	if (rc == 1)
		st->stats.events++;
	else if (rc == 0)
		st->stats.ignored++;
	else
		st->stats.malformed++;
	return rc;
}

/* The counters, with the chosen parser's drops; owned by the state. */
static const struct parser_stats *
auto_stats(void *state)
{
	struct auto_state		*st = state;
	const struct parser_stats	*cs;

	if (st->chosen != NULL && st->cand == NULL &&
	    st->chosen->stats != NULL &&
	    (cs = st->chosen->stats(st->cstate)) != NULL)
		st->stats.dropped = cs->dropped;
	return &st->stats;
}

/* Set the year-inference reference of every parser state held. */
static void
auto_set_ref(void *state, int64_t ref_us)
{
	struct auto_state	*st = state;
	size_t			 i;

	st->opts.ref_us = ref_us;
	for (i = 0; i < st->ncand; i++)
		if (st->cand[i].p->set_ref != NULL)
			st->cand[i].p->set_ref(st->cand[i].state, ref_us);
	if (st->cand == NULL && st->chosen != NULL &&
	    st->chosen->set_ref != NULL)
		st->chosen->set_ref(st->cstate, ref_us);
}

const struct parser parser_auto = {
	.name = "auto",
	.dataset = "auto",
	.description = "detect the format from the lines (every parser is "
	    "tried; the one that reads them most fully is kept)",
	.state_new = auto_state_new,
	.state_free = auto_state_free,
	.parse = auto_parse,
	.stats = auto_stats,
	.set_ref = auto_set_ref,
};
