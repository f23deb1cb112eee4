/*
 * outbox.h: delivery of incident revisions.  The incident manager queues
 * each published revision in the store's outbox, one row per output; the
 * outbox hands committed rows to their outputs (struct output_job), at
 * most max_inflight per output and one per incident, and records what
 * came of them: delivered rows go, failed ones wait (exponential backoff
 * with jitter, capped by backoff_max, longer if the receiver says
 * Retry-After), and what still fails after max_age, or is refused for
 * good, is appended to the dead-letter file with a warning.  Nothing
 * here waits: HTTP and SMTP go through one libcurl multi handle driven by
 * the libevent loop.
 */
#ifndef KEIBI_OUTBOX_H
#define KEIBI_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;
struct output;
struct store;
struct outbox;

#define OUTBOX_DEADLETTER	"deadletter.jsonl"

/* Counters for status and tests. */
struct outbox_stats {
	uint64_t	delivered;
	uint64_t	retried;
	uint64_t	dead;
	uint64_t	inflight;
};

/*
 * Deliver for the outputs that have a deliver op (the others are
 * skipped); base may be NULL (tools: nothing is sent).  The dead-letter
 * file is state_dir/deadletter.jsonl.
 */
struct outbox	*outbox_new(struct store *, struct event_base *,
		    struct output **, size_t, const struct config *);
void		 outbox_free(struct outbox *);
/* Rows up to the store's highest id are committed (not yet durable). */
void		 outbox_kick(struct outbox *);
/* The highest row committed so far (durable or not). */
int64_t		 outbox_written(const struct outbox *);
/* True if rows are committed that no sync has made durable yet. */
bool		 outbox_unsynced(const struct outbox *);
/*
 * Rows up to mark are durable (store_sync() ran after they were
 * committed): only those are handed to the outputs.
 */
void		 outbox_durable(struct outbox *, int64_t mark);
/* Start the jobs that are due (called from the loop's tick). */
void		 outbox_tick(struct outbox *, int64_t now);
/*
 * Run the loop until every durable row is delivered or waits for a
 * retry, at most ms; true if nothing is left in flight or due.
 */
bool		 outbox_drain(struct outbox *, int ms);
void		 outbox_stats(const struct outbox *, struct outbox_stats *);
/* Names of the outputs that take incidents: count, array in *names. */
size_t		 outbox_outputs(struct output **, size_t, char ***names);

/* For outputs: the event loop (NULL without one). */
struct event_base *outbox_base(struct outbox *);
/*
 * For outputs: run a libcurl easy handle in the loop; fn is called once
 * when it ends.  0, or -1 if it could not start (fn is not called).
 */
int		 outbox_curl(struct outbox *, void *easy,
		    void (*fn)(void *arg, void *easy, int curlcode), void *arg);

/* For outputs: read a secret file (trailing newline dropped); NULL, *cause. */
char		*outbox_secret(const char *path, size_t *len, char **cause);

#endif
