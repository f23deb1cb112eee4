/*
 * incident.h: the incident manager.  Alerts are grouped into incidents by
 * category and key (the internal host; the account for spam; the host and
 * the C2 destination for beacons), on event time.  The manager opens,
 * updates, marks quiet, reopens on recurrence and links parents and
 * children (a worm chain, many hosts calling one C2, a flood folded into
 * one mass event); people acknowledge, contain, resolve and close through
 * incident_change().  Every change is written to the store; a change is
 * published (revision + 1, one outbox row per output) at once when it
 * matters (opened, new rule, new host, higher severity, status, activity)
 * and otherwise at most once per throttle interval.
 *
 * The record is the JSON object DESIGN.md ("Incidents") describes; this
 * module is the only one that writes it.
 */
#ifndef KEIBI_INCIDENT_H
#define KEIBI_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct enrich;
struct record;
struct rule;
struct store;
struct incident_mgr;

#define INCIDENT_SCHEMA		"1"
#define INCIDENT_ID_MAX		48

/* Where the line of an alert lies in its source file (for evidence). */
struct incident_ref {
	bool		 valid;
	const char	*path;		/* the file as found */
	uint64_t	 dev;		/* its identity */
	uint64_t	 ino;
	uint64_t	 offset;	/* of the line's first byte */
	uint64_t	 length;	/* of the line, with its newline */
};

/* What a person asks for. */
struct incident_change {
	const char	*op;		/* "status", "note", "assign" */
	const char	*status;	/* new status (op "status") */
	const char	*resolution;	/* with status closed */
	const char	*note;		/* text for the timeline, or NULL */
	const char	*who;		/* the Unix user */
	int64_t		 ts;		/* when it was asked (unix s) */
};

/* Counters for status and tests. */
struct incident_stats {
	uint64_t	alerts;		/* alerts handed in */
	uint64_t	duplicates;	/* seen before (replay, re-read) */
	uint64_t	opened;
	uint64_t	reopened;
	uint64_t	folded;		/* folded into a mass event */
	uint64_t	published;	/* revisions published */
	uint64_t	throttled;	/* changes held back by the throttle */
	uint64_t	evicted;	/* dropped from memory at max_open */
	uint64_t	errors;		/* store failures */
};

/*
 * Open the manager on an open store.  outputs are the names of the
 * outputs that receive incidents (copied).  enrich may be NULL.
 */
struct incident_mgr *incident_open(const struct config *, struct store *,
		    struct enrich *, char *const *outputs, size_t noutputs);
void		 incident_close(struct incident_mgr *);
/*
 * on: a change an alert makes is published at the next incident_tick()
 * (or incident_flush()), not at once, so that the changes one turn of
 * the loop brings (a backlog read in one go holds hundreds of alerts of
 * one incident) make one revision, not one each; the throttle and what
 * counts as urgent stay as they are.  Changes people make still go out
 * at once.  Off by default.
 */
void		 incident_defer(struct incident_mgr *, bool on);
/*
 * From now on the alerts come from a replay of archived logs (keibictl
 * replay --into-store), not from live monitoring.  An incident opened then
 * carries "retrospective": true, its title and summary say so, and its
 * timeline names by (copied) as who replayed; an incident opened live
 * that such an alert joins counts it in "retrospective_alerts" and notes
 * it once in its timeline.  by NULL: live again.
 */
void		 incident_set_retrospective(struct incident_mgr *,
		    const char *by);
/* Swap the enricher (reload); the manager does not own it. */
void		 incident_set_enrich(struct incident_mgr *, struct enrich *);
/* Follow a reloaded config (idle, throttle, caps...). */
void		 incident_set_conf(struct incident_mgr *,
		    const struct config *);

/*
 * Fold an alert of rule r, described by rec, into its incident.  ref
 * (may be NULL) places the line.  Returns 1 if counted, 0 if the alert
 * was seen before, -1 on a store error (logged, counted).
 */
int		 incident_alert(struct incident_mgr *, const struct rule *,
		    const struct record *, const struct incident_ref *);
/*
 * The clock: mark incidents quiet, publish what the throttle held back
 * long enough, apply changes left by keibictl.  now is unix time.
 */
void		 incident_tick(struct incident_mgr *, int64_t now);
/* Publish everything held back (end of --once, shutdown). */
void		 incident_flush(struct incident_mgr *);
/* Write what changed and commit; 0 or -1.  Call before saving positions. */
int		 incident_sync(struct incident_mgr *);
/*
 * Apply a person's change to incident id; 0, or -1 with *cause
 * (malloc'd) for an unknown incident or a transition not allowed.
 */
int		 incident_change(struct incident_mgr *, const char *id,
		    const struct incident_change *, char **cause);
/* Apply the changes keibictl left in the store; how many. */
size_t		 incident_apply_changes(struct incident_mgr *);
void		 incident_stats(const struct incident_mgr *,
		    struct incident_stats *);
/* Legal hold: true if an open incident points into segment file. */
bool		 incident_hold(struct incident_mgr *, const char *file);

/* Vocabularies (incident_text.c). */
/* True if s is a status, a resolution. */
bool		 incident_valid_status(const char *);
bool		 incident_valid_resolution(const char *);
/* RSIT class, Japanese category and its English gloss of a category. */
const char	*incident_rsit(const char *category);
const char	*incident_jp_category(const char *category);
const char	*incident_category_text(const char *category, bool ja);
/* A sentence of the suspected cause; recommended actions (NULL-ended). */
const char	*incident_cause(const char *category, bool ja);
const char *const *incident_actions(const char *category);
/* Severity word of 1..4 and back (0 if unknown). */
const char	*incident_severity_word(int);
int		 incident_severity_num(const char *);

/*
 * Untrusted bytes as safe text (malloc'd): valid UTF-8 stays, controls,
 * C1 controls, bidi overrides and invalid bytes become \xHH or \uXXXX
 * text, backslash doubles; cut with "..." at max bytes.
 */
char		*incident_clean(const char *, size_t len, size_t max);

struct json_t;
/* Write title and summary of a record into it (language ja or en). */
void		 incident_describe(struct json_t *doc, bool ja);
/* Render a record as one line of JSON (malloc'd, no newline). */
char		*incident_dump(struct json_t *doc);

#endif
