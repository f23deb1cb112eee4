/*
 * output.h: where alerts go.  An output is a const vtable in one registry
 * array, looked up by the config's "type".  Outputs are written from the
 * loop; output_sync() makes everything written so far durable, and is
 * called before source positions are saved, so nothing acknowledged is
 * ever lost.
 */
#ifndef KEIBI_OUTPUT_H
#define KEIBI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "record.h"
#include "rule.h"

struct output;
struct output_job;
struct outbox;
struct json_t;

/*
 * Where an output stands, for a checkpoint: after a crash, what was
 * written past it is dropped, because the lines that caused it are read
 * and evaluated again.  valid is false for outputs that cannot roll back.
 */
struct output_mark {
	bool		valid;
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	size;
};

struct output_ops {
	const char	*type;
	/* Open; NULL with *cause (malloc'd) on failure. */
	void		*(*open)(const struct output_conf *, char **cause);
	/* Write one alert; 0 or -1 (logged by the output). */
	int		 (*alert)(void *, const struct rule *,
			    const struct record *);
	/* Flush and make durable; 0 or -1. */
	int		 (*sync)(void *);
	void		 (*close)(void *);
	/* Optional: the rollback point of what was written so far; 0/-1. */
	int		 (*mark)(void *, struct output_mark *);
	/* Optional: drop what was written after mark (at start); 0/-1. */
	int		 (*rollback)(void *, const struct output_mark *);

	/*
	 * Incident outputs (see outbox.h).  deliver starts sending one
	 * revision and reports through job->done, now or later from the
	 * loop; attach hands over the outbox (its loop and HTTP client).
	 * max_inflight jobs at once (0 means 1); coalesce: a newer
	 * revision waiting replaces older ones.
	 */
	int		 (*deliver)(void *, struct output_job *);
	/*
	 * Optional: finish the deliveries started since the last flush
	 * together (one fsync for a batch, reported through each job's
	 * done).  The outbox calls it after every batch of starts, so no
	 * job waits in the output past the outbox's tick.
	 */
	void		 (*flush)(void *);
	int		 (*attach)(void *, struct outbox *);
	unsigned int	 max_inflight;
	bool		 coalesce;
	/*
	 * deliver reads the record's text (job->doc) only: the outbox
	 * leaves job->rec NULL rather than parse 10-70 KB it will not use.
	 */
	bool		 text_only;
};

/* What became of a delivery. */
enum output_result {
	OUTPUT_OK = 0,		/* delivered */
	OUTPUT_RETRY,		/* try again later */
	OUTPUT_FAIL		/* never: to the dead-letter file */
};

/* One incident revision to deliver. */
struct output_job {
	const char	*output;	/* the output's name */
	const char	*incident_id;
	int64_t		 revision;
	const char	*idem;		/* idempotency key: same on retries */
	const char	*doc;		/* the record (JSON text) */
	struct json_t	*rec;		/* the same, parsed (NULL: text_only) */
	const char	*remote_id;	/* the receiver's id, or NULL */
	int64_t		 first_rev;	/* first revision delivered, or 0 */
	int64_t		 attempt;	/* 0 on the first */
	/* Report the outcome once; retry_after in seconds (0: backoff). */
	void		 (*done)(struct output_job *, enum output_result,
			    int64_t retry_after, const char *remote_id,
			    const char *why);
	void		*ctx;		/* the outbox's */
};

struct output {
	const struct output_ops	*ops;
	void			*state;
	char			*name;		/* type:path, for messages */
	uint64_t		 written;
	uint64_t		 errors;
};

/* Find the ops of an output type; NULL if there are none. */
const struct output_ops	*output_lookup(const char *type);
/* Open an output from its config; NULL with *cause. */
struct output	*output_open(const struct output_conf *, char **cause);
int		 output_alert(struct output *, const struct rule *,
		    const struct record *);
int		 output_sync(struct output *);
void		 output_close(struct output *);
/* The output's rollback point; m->valid false if it has none. */
void		 output_mark(struct output *, struct output_mark *m);
/* Drop what was written after m (start after a crash); 0 or -1. */
int		 output_rollback(struct output *, const struct output_mark *m);

/*
 * The alert as a JSON object (rule, event fields, original line); for
 * outputs and tools.  A malloc'd string without a newline.
 */
char		*output_alert_json(const struct rule *, const struct record *);

/*
 * For the file outputs: open oc->path to append lines (created 0640); the
 * descriptor, or -1 with *cause.
 */
int		 output_file_open(const struct output_conf *oc, char **cause);
/* Write all of buf, retrying short writes; 0, or -1 with errno. */
int		 output_write_all(int fd, const char *buf, size_t len);

#endif
