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
#include "evidence.h"
#include "output.h"
#include "rule.h"
#include "source.h"

struct event_base;
struct event;
struct evidence;
struct offsets;
struct offsets_writer;
struct control;
struct csirt;
struct metrics;

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
	struct event		*ev_lag;	/* loop-lag probe (service) */
	struct source_watch	*watch;		/* inotify; NULL: polling */

	struct evidence		*ev;		/* the evidence archive */
	struct csirt		*csirt;		/* incidents, store, delivery */
	struct offsets		*ck;		/* cut waiting for its sync */
	struct offsets_writer	*ckw;		/* fsyncs, positions.json */
	int64_t			 ckpt_ms;	/* last cut, monotonic */
	int64_t			 ckpt_mark;	/* outbox rows the cut syncs */

	uint64_t		 alerts;
	bool			 dirty;		/* positions to save */
	uint64_t		 watchdog_last;	/* last WATCHDOG=1, monotonic us */
	int			 exit_code;

	struct control		*ctl;		/* keibictl's socket, or NULL */
	struct metrics		*metrics;	/* Prometheus, or NULL */
	int64_t			 started;	/* unix time */
	uint64_t		 reloads;	/* reloads that took effect */
	uint64_t		 reload_failures;
	int64_t			 reload_at;	/* unix time of the last try */
	char			*reload_error;	/* last failure; NULL: ok */
	int64_t			 tick_due_us;	/* when the tick should run */
	int64_t			 lag_us;	/* last tick's delay */
	int64_t			 lag_max_us;
	struct evidence_stats	 ev_prev;	/* archives before reloads */
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

/*
 * Re-read the configuration, rules and lists, check the whole new set and
 * swap it in; sources and outputs that changed are restarted.  On any
 * error the running set stays, and -1 is returned with *cause malloc'd
 * (also kept for keibictl status and told to systemd).
 */
int		 keibid_reload(struct keibid *, char **cause);

/* The archive's counters since start, over pipeline restarts. */
void		 keibid_evidence_stats(struct keibid *,
		    struct evidence_stats *);

/* Load the rules a config names; NULL with *cause. */
struct ruleset	*keibid_load_rules(const struct config *, char **cause);

/* Print a summary of what was read and found, for people. */
void		 keibid_summary(struct keibid *, FILE *);

#endif
