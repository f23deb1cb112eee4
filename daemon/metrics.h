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
/* Append s to buf as a Prometheus label value (\\, \" and \n escaped). */
void		 metrics_label(struct evbuffer *, const char *s);

#endif
