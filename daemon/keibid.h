/*
 * keibid.h: the daemon's top module.  One libevent loop owns the sources,
 * the poll timer, the signals and the outputs; this is the only module
 * that holds the whole running state.
 */
#ifndef KEIBI_KEIBID_H
#define KEIBI_KEIBID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "output.h"
#include "rule.h"
#include "source.h"

struct event_base;
struct event;

struct keibid {
	struct event_base	*base;
	struct config		*conf;
	struct ruleset		*rules;
	struct source		**src;
	size_t			 nsrc;
	struct output		**out;
	size_t			 nout;
	bool			 once;

	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_hup;
	struct event		*ev_tick;

	uint64_t		 alerts;
	bool			 dirty;		/* positions to save */
	uint64_t		 watchdog_last;	/* last WATCHDOG=1, monotonic us */
	int			 exit_code;
};

/* Build the daemon from a loaded config and rules (it takes both). */
struct keibid	*keibid_new(struct config *, struct ruleset *, bool once,
		    char **cause);
/* Run until stopped (service) or until every source is read (once). */
int		 keibid_run(struct keibid *);
void		 keibid_free(struct keibid *);

/*
 * A parsed and finished event of src: run detection on it and hand what
 * fires to the outputs.  The record is valid during the call only.
 */
void		 keibid_event(struct keibid *, struct source *, struct record *);

/* Load the rules a config names; NULL with *cause. */
struct ruleset	*keibid_load_rules(const struct config *, char **cause);

/* Print a summary of what was read and found, for people. */
void		 keibid_summary(struct keibid *, FILE *);

#endif
