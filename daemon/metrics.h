/*
 * metrics.h: keibid's counters in the Prometheus text format (version
 * 0.0.4) on a loopback HTTP listener (libevent's evhttp), off unless the
 * configuration names an address.  GET /metrics only; the page is built
 * from the running state at each scrape and nothing else is served.
 */
#ifndef KEIBI_METRICS_H
#define KEIBI_METRICS_H

#include <stdint.h>

struct evbuffer;
struct keibid;
struct metrics;
struct ruleset;

/*
 * The memory of one kind of correlator over the rules of a set: count,
 * distinct and sequence correlations, and the beacon, scan and spam
 * detectors.  entries are what its tables hold (groups; pairs and
 * destinations; hosts, contacts and victims; senders), bytes what they
 * allocated, evictions what the rules dropped at their memory bounds.
 */
struct metrics_corr {
	const char	*kind;
	uint64_t	 rules;
	uint64_t	 entries;
	uint64_t	 bytes;
	uint64_t	 evictions;
};

#define METRICS_CORR_KINDS	6

/*
 * A module's own metrics (incidents by category and status, outbox depth,
 * deliveries): appended to each scrape, HELP and TYPE lines included.
 */
typedef void	(*metrics_writer)(void *, struct evbuffer *);

/* Listen on addr:port; NULL with *cause (malloc'd). */
struct metrics	*metrics_open(struct keibid *, const char *addr,
		    uint16_t port, char **cause);
/* Stop listening and free; accepts NULL. */
void		 metrics_close(struct metrics *);
/* Add a module's writer (at most a few); accepts a NULL metrics. */
void		 metrics_add_writer(struct metrics *, metrics_writer, void *);
/* The whole exposition of kd into buf (also for tests). */
void		 metrics_write(struct keibid *, struct metrics *,
		    struct evbuffer *);
/*
 * Fill v[METRICS_CORR_KINDS], one per kind in a fixed order, from the
 * rules of rs (NULL: all zero).  O(rules).
 */
void		 metrics_correlators(const struct ruleset *,
		    struct metrics_corr *v);
/*
 * A reload moved the endpoint: new (made with metrics_open while old
 * still listened) takes old's writers and scrape count, and old is
 * closed.  Either may be NULL (metrics turned on or off).
 */
void		 metrics_replace(struct metrics *old, struct metrics *new);
/* Append s to buf as a Prometheus label value (\\, \" and \n escaped). */
void		 metrics_label(struct evbuffer *, const char *s);

#endif
