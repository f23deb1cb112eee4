/*
 * store.h: the incident store, one SQLite database in state_dir (WAL,
 * synchronous=NORMAL: a commit survives a crash of keibid at once, and a
 * power cut once store_sync() has run; the daemon runs it on the
 * checkpoint writer's thread before it saves positions).  It holds the
 * incidents (their whole current record as JSON and the columns people
 * search on), the alerts folded into them (each under a unique key, so a
 * line read twice after a crash or a replay is never counted twice), the
 * full timeline, the revisions waiting for delivery, the delivery outbox
 * and what each receiver answered, and the changes people asked for.
 *
 * keibid writes in batches: store_begin() opens a transaction that stays
 * open until store_commit(), which the daemon calls before it saves source
 * positions.  One process owns the store at a time (an flock on
 * incidents.lock); keibictl reads it at any time and, while the owner
 * runs, leaves its changes in the changes table for the owner to apply.
 */
#ifndef KEIBI_STORE_H
#define KEIBI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_FILE	"incidents.db"
#define STORE_LOCK	"incidents.lock"

struct store;

/* One row of the incidents table, for lists. */
struct store_incident {
	char		*id;
	char		*dedup_key;
	int64_t		 occurrence;
	int64_t		 revision;
	char		*category;
	char		*severity;
	char		*status;
	char		*activity;
	int64_t		 first_seen;	/* event time, unix seconds */
	int64_t		 last_seen;
	int64_t		 opened_at;	/* wall time, unix seconds */
	int64_t		 updated_at;
	char		*title;
	char		*doc;		/* whole record (JSON); NULL in lists */
	/* the manager's own (JSON); NULL in lists */
	char		*state;
};

/* One outbox row: a revision of an incident that an output still owes. */
struct store_job {
	int64_t		 id;
	char		*output;
	char		*incident_id;
	int64_t		 revision;
	/* idempotency key, stable over retries */
	char		*idem;
	int64_t		 created;
	int64_t		 attempts;
	int64_t		 next_at;
	char		*doc;		/* the record of that revision */
	/* what the receiver called it, or NULL */
	char		*remote_id;
	int64_t		 first_rev;	/* first revision it took, or 0 */
};

/* A change a person asked for. */
struct store_change {
	int64_t		 id;
	char		*incident_id;
	char		*op;		/* "status", "note", "assign" */
	char		*arg;		/* new status, or NULL */
	char		*resolution;
	char		*note;
	char		*who;
	int64_t		 ts;
};

/* One timeline entry. */
struct store_tl {
	int64_t		 ts;		/* unix seconds */
	char		*kind;
	char		*by;
	char		*text;
};

#define STORE_OWNER	0x01	/* take the owner lock (fails if held) */
#define STORE_RDONLY	0x02	/* read only; never creates */

/*
 * Open (creating and upgrading the schema unless STORE_RDONLY) the store
 * in dir.  NULL with *cause; with STORE_OWNER, *busy is set when another
 * process owns it.
 */
struct store	*store_open(const char *dir, int flags, bool *busy,
		    char **cause);
void		 store_close(struct store *);
/* The database file's path. */
const char	*store_path(const struct store *);

/* Open the batch transaction if none is open; 0 or -1. */
int		 store_begin(struct store *);
/* Commit the batch (a no-op when none is open); 0 or -1 (rolled back). */
int		 store_commit(struct store *);
/*
 * Make every commit so far durable: checkpoint the write-ahead log into
 * the database as far as no reader prevents it, fsync the log and the
 * folder.  It uses a connection of its own: any thread may call it while
 * the owner's thread goes on using the store; 0 or -1 (errno).
 */
int		 store_sync(struct store *);
/* True while a batch is open. */
bool		 store_in_txn(const struct store *);

/* Commits since open and the time they took (the caller's loop waited). */
struct store_stats {
	uint64_t	commits;
	uint64_t	commit_us;
};
void		 store_stats(const struct store *, struct store_stats *);
/* True if another process committed since the last call. */
bool		 store_changed(struct store *);

/* The next number of the month "YYYY-MM" (1, 2, ...); 0 on error. */
int64_t		 store_next_seq(struct store *, const char *month);

/*
 * Add an alert under its unique key (32 bytes).  1 if it is new, 0 if
 * it was there already, -1 on error.
 */
int		 store_alert_add(struct store *, const unsigned char *key,
		    const char *incident_id, int64_t ts, const char *rule,
		    const char *source, uint64_t dev, uint64_t ino,
		    uint64_t offset, uint64_t length);
/* Event times (unix s) of the alerts of id, in order; count, *out. */
size_t		 store_alert_times(struct store *, const char *id,
		    int64_t **out);
/* Alerts of an incident. */
int64_t		 store_alert_count(struct store *, const char *incident_id);

/* The incident a dedup key leads to: 1 found, 0 none, -1 error. */
int		 store_key_get(struct store *, const char *key, char **id,
		    int64_t *occurrence);
int		 store_key_put(struct store *, const char *key, const char *id,
		    int64_t occurrence);

/* Write an incident's row (insert or replace); c2 may be NULL. */
int		 store_incident_put(struct store *,
		    const struct store_incident *, const char *c2);
/* The record of id (malloc'd JSON), or NULL. */
char		*store_incident_doc(struct store *, const char *id);
/* The manager's state of id (malloc'd JSON), or NULL. */
char		*store_incident_state(struct store *, const char *id);
/* True if an alert of this key (32 bytes) is stored. */
bool		 store_alert_seen(struct store *, const unsigned char *key);
/* True if an open incident holds an alert in bytes start..end of a file. */
bool		 store_held(struct store *, uint64_t dev, uint64_t ino,
		    uint64_t start, uint64_t end);
/*
 * Rows of incidents (doc left NULL), newest first; status "open" means
 * every status but closed and merged, NULL all.  Returns the count and a
 * malloc'd array in *out (free with store_incidents_free).
 */
size_t		 store_incidents(struct store *, const char *status,
		    struct store_incident **out);
void		 store_incidents_free(struct store_incident *, size_t);
/* Ids of open beacon incidents towards c2. */
size_t		 store_c2_ids(struct store *, const char *c2, char ***out);
void		 store_strv_free(char **, size_t);

/* Append to an incident's timeline. */
int		 store_tl_add(struct store *, const char *id, int64_t ts,
		    const char *kind, const char *by, const char *text);
/* The whole timeline of id in order; count, array in *out. */
size_t		 store_tl(struct store *, const char *id,
		    struct store_tl **out);
void		 store_tl_free(struct store_tl *, size_t);

/* Keep the record of a revision and queue it for each output. */
int		 store_publish(struct store *, const char *id, int64_t revision,
		    const char *doc, char *const *outputs, size_t noutputs,
		    int64_t now);
/* The highest outbox row id (rows at most this are committed). */
int64_t		 store_outbox_max(struct store *);
/*
 * The next due job of output (next_at <= now, id <= max_id), skipping
 * incidents in busy (n ids).  Older pending revisions of the same
 * incident are dropped first when coalesce is set.  1 found, 0 none.
 */
int		 store_outbox_next(struct store *, const char *output,
		    int64_t now, int64_t max_id, char *const *busy,
		    size_t nbusy, bool coalesce, struct store_job *);
/*
 * Check that picking jobs walks indexes: how many steps of the outbox
 * statements' query plans sort into a temporary B-tree or scan a whole
 * table (0 is right), the first one in *detail (malloc'd); -1 on error.
 */
int		 store_outbox_plan(struct store *, char **detail);
void		 store_job_clear(struct store_job *);
/* The job was delivered: remember the remote id, drop the row. */
int		 store_job_done(struct store *, const struct store_job *,
		    const char *remote_id, int64_t now);
/* Try again at next_at. */
int		 store_job_retry(struct store *, const struct store_job *,
		    int64_t next_at, const char *error);
/* Given up (dead-lettered): drop the row. */
int		 store_job_drop(struct store *, const struct store_job *);
/* Pending jobs of output (NULL: all). */
int64_t		 store_outbox_count(struct store *, const char *output);
/* What output last delivered of id: revision and remote id. */
int		 store_remote(struct store *, const char *output,
		    const char *id, int64_t *revision, char **remote_id);

/* Leave a change for the owner; its row id or -1. */
int64_t		 store_change_add(struct store *,
		    const struct store_change *);
/* The oldest unapplied change: 1 found, 0 none, -1 error. */
int		 store_change_next(struct store *, struct store_change *);
int		 store_change_done(struct store *, int64_t id,
		    const char *result);
/* The result of change id: 1 applied (*result set), 0 pending, -1. */
int		 store_change_result(struct store *, int64_t id, char **result);
void		 store_change_clear(struct store_change *);

#endif
