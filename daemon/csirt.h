/*
 * csirt.h: the CSIRT side of keibid as one unit: the incident store (owned
 * by this process while it runs), the enricher, the incident manager and
 * the delivery outbox.  keibid opens it with the outputs, hands it every
 * alert, calls it from its tick, syncs it before it saves source
 * positions, and stops it before the outputs close.
 */
#ifndef KEIBI_CSIRT_H
#define KEIBI_CSIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct config;
struct control_peer;
struct control_req;
struct event_base;
struct evbuffer;
struct incident_ref;
struct output;
struct record;
struct rule;
struct csirt;

/* Open for conf (kept by pointer: see csirt_reload); NULL with *cause. */
struct csirt	*csirt_open(const struct config *, struct event_base *,
		    struct output **, size_t, char **cause);
/* Stop: publish what the throttle holds, commit, deliver for up to ms. */
void		 csirt_stop(struct csirt *, int ms);
void		 csirt_close(struct csirt *);
/* Fold an alert (ref may be NULL). */
void		 csirt_alert(struct csirt *, const struct rule *,
		    const struct record *, const struct incident_ref *);
/* Country and AS of an event's remote destination (see enrich.h). */
void		 csirt_enrich(struct csirt *, struct record *);
/* From the loop's tick. */
void		 csirt_tick(struct csirt *);
/* Commit what the store holds; 0 or -1. */
int		 csirt_sync(struct csirt *);
/* The outbox's highest committed row, to pass to csirt_durable(). */
int64_t		 csirt_written(const struct csirt *);
/*
 * Sync the store (store_sync): for the checkpoint writer's thread, which
 * may call it while the loop uses the store; 0 or -1.
 */
int		 csirt_store_sync(void *csirt);
/* A sync after the commit that wrote row mark has finished: deliver. */
void		 csirt_durable(struct csirt *, int64_t mark);
/*
 * Before a reload swaps anything: open and check the GeoIP databases and
 * the inventory nconf names, and keep them aside; 0, or -1 with *cause
 * (malloc'd, naming the file and the reason; logged too) and the running
 * ones untouched.
 */
int		 csirt_reload_prepare(struct csirt *, const struct config *nconf,
		    char **cause);
/* The reload failed after csirt_reload_prepare: drop what it opened. */
void		 csirt_reload_abort(struct csirt *);
/*
 * The config was replaced by nconf: follow it and swap in the enricher
 * csirt_reload_prepare checked (if any).
 */
void		 csirt_reload(struct csirt *, const struct config *nconf);
/*
 * Apply a control socket incident request (ack, set_status, close, note)
 * by who, commit it and answer with the incident's id, status and
 * revision (owned by the caller); NULL with *cause (malloc'd).
 */
json_t		*csirt_control(struct csirt *, const struct control_req *,
		    const struct control_peer *who, char **cause);
/* Legal hold of an evidence segment. */
bool		 csirt_hold(void *csirt, const char *file);
/*
 * Prometheus families of the incidents (by category and status, counted
 * at most every 30 s) and of the outbox (depth per output) into b.
 */
void		 csirt_metrics(struct csirt *, struct evbuffer *b);
/* One line for people (keibid --once). */
void		 csirt_summary(struct csirt *, FILE *);

#endif
