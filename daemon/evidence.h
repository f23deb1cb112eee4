/*
 * evidence.h: the evidence archive.  Every byte a source hands out goes,
 * in order and exactly once, into the open gzip segment of that source;
 * segments are sealed on size, age, rotation and shutdown, and each seal
 * appends a hash-chained entry to MANIFEST.jsonl and a line to SHA256SUMS.
 * Compression, hashing and fsync run on one worker thread in job order;
 * the loop only copies bytes into a chunk and is woken when jobs finish.
 * The archive never holds a byte twice and never deletes what a legal
 * hold protects.
 */
#ifndef KEIBI_EVIDENCE_H
#define KEIBI_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVIDENCE_MANIFEST	"MANIFEST.jsonl"
#define EVIDENCE_SUMS		"SHA256SUMS"
#define EVIDENCE_HEAD		"CHAIN_HEAD"
#define EVIDENCE_ORPHANED	"orphaned"
#define EVIDENCE_NO_TIME	INT64_MIN

struct config;
struct event_base;
struct evidence;
struct evidence_stream;

/*
 * Where archived bytes came from: the original file, by identity, and the
 * open file they are read from (the source's own number for it, never
 * reused while keibid runs; 0: none).
 */
struct evidence_ident {
	uint64_t	 dev;
	uint64_t	 ino;
	const char	*path;
	uint64_t	 tag;
};

/* The open segment of a stream, as a checkpoint saves it. */
struct evidence_seg {
	char		*file;		/* relative to dir; NULL: none open */
	char		*path;		/* the source file it holds */
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 offset_start;	/* in that file */
	uint64_t	 raw;		/* raw bytes in the segment */
	uint64_t	 size;		/* gz bytes, all whole members */
	uint64_t	 lines;		/* newlines in the raw bytes */
	int64_t		 first_us;	/* event time; EVIDENCE_NO_TIME */
	int64_t		 last_us;
	int64_t		 opened;	/* unix time the segment began */
};

/*
 * Bytes start..end of file dev/ino are archived already (sealed after the
 * last checkpoint, before a crash); sha is the SHA-256 of those bytes.
 * Device and inode alone do not name a file for long (inodes are reused,
 * a truncated file keeps its inode), so a mark applies only once it is
 * bound to an open file whose bytes there hash to sha, and only while
 * that file stays open and is not cut.
 */
struct evidence_mark {
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	start;
	uint64_t	end;
	unsigned char	sha[32];
	uint64_t	tag;		/* bound to; 0: not yet (not saved) */
};

/* What a checkpoint keeps of one stream (marks malloc'd). */
struct evidence_state {
	struct evidence_seg	 seg;
	struct evidence_mark	*marks;
	size_t			 nmarks;
};

/*
 * A finished sync: every byte appended before it is in a whole gzip
 * member of a fsynced segment and every seal before it is in the
 * manifest.  st[i] is stream i (in creation order).  Valid during the
 * callback only.
 */
struct evidence_sync {
	bool			 ok;
	uint64_t		 entries;	/* manifest entries */
	struct evidence_state	*st;
	size_t			 n;
};

typedef void	(*evidence_sync_cb)(void *, const struct evidence_sync *);
/* Called in the loop when worker jobs finished (room to read again). */
typedef void	(*evidence_wake_cb)(void *);
/* Legal hold: true if an open incident points into file (loop thread). */
typedef bool	(*evidence_hold_cb)(void *, const char *file);

/*
 * Open the archive under conf's evidence dir: mend a torn manifest tail,
 * find the chain head and the entries after entries_at_checkpoint (the
 * count the last checkpoint saved).  NULL with *cause.  base is the
 * loop's event_base (NULL: no worker wake-ups, for tools and tests).
 */
struct evidence	*evidence_open(const struct config *, struct event_base *,
		    uint64_t entries_at_checkpoint, char **cause);
/*
 * Add the stream of source name and recover it from its checkpoint state
 * (NULL: none): an unsealed segment left by a crash is cut back to its
 * checkpointed size and sealed, segments written after it are set aside
 * in orphaned/, and bytes sealed after the checkpoint become marks so
 * they are not archived twice once bound (evidence_bind_marks).  Call
 * before evidence_start.
 */
struct evidence_stream *evidence_stream_open(struct evidence *,
		    const char *name, const struct evidence_state *);
/*
 * Check a mark against the open files: the tag of one whose bytes
 * start..end hash to the mark's sha, or 0.
 */
typedef uint64_t (*evidence_bind_cb)(void *, const struct evidence_mark *);
/*
 * Bind every unbound mark of the stream with cb; marks no open file
 * holds are dropped (their bytes, if met again, are archived again).
 */
void		 evidence_bind_marks(struct evidence_stream *,
		    evidence_bind_cb, void *);
/* Drop the marks bound to open file tag (it is closed). */
void		 evidence_forget(struct evidence_stream *, uint64_t tag);
/* Unbind the marks of open file tag (it was cut): bind them again. */
void		 evidence_unbind(struct evidence_stream *, uint64_t tag);
/*
 * Where the bytes of file id archived after the last checkpoint end, from
 * offset on (offset itself if none are): marks bound to id's tag or not
 * yet bound count.
 */
uint64_t	 evidence_archived_end(const struct evidence_stream *,
		    const struct evidence_ident *, uint64_t offset);
/* Start the worker thread. */
void		 evidence_start(struct evidence *);
/* Stop the worker after the queued jobs (or at once if abandon). */
void		 evidence_close(struct evidence *, bool abandon);
void		 evidence_set_wake(struct evidence *, evidence_wake_cb, void *);
void		 evidence_set_hold(struct evidence *, evidence_hold_cb, void *);

/*
 * Archive len bytes at offset of file id.  Bytes under a mark bound to
 * id's tag are skipped, and a mark is gone once passed; a new file or a
 * jump in offset seals the open segment first.
 */
void		 evidence_append(struct evidence_stream *,
		    const struct evidence_ident *, uint64_t offset,
		    const char *, size_t len);
/* An event time seen in the bytes just appended. */
void		 evidence_note_time(struct evidence_stream *, int64_t ts_us);
/* True while too many bytes wait for the worker: do not read now. */
bool		 evidence_busy(const struct evidence_stream *);
/* Seal the open segment (if any) with reason. */
void		 evidence_seal(struct evidence_stream *, const char *reason);
/*
 * Record lost or skipped bytes of file id in the manifest: from start to
 * end (bytes -1: unknown), reading resumed at resume.  Seals first.
 */
void		 evidence_gap(struct evidence_stream *,
		    const struct evidence_ident *, uint64_t start, uint64_t end,
		    int64_t bytes, uint64_t resume, const char *reason);
/* Seal segments past their age (now: unix time); start retention daily. */
void		 evidence_tick(struct evidence *, int64_t now);
/* Seal every open segment (shutdown, --once). */
void		 evidence_seal_all(struct evidence *, const char *reason);
/*
 * Make everything appended so far durable; cb runs in the loop when done
 * (or from evidence_wait).  At most one sync is in flight: -1 if busy.
 */
int		 evidence_sync(struct evidence *, evidence_sync_cb, void *);
/* Wait (blocking) up to ms for the worker's pending replies; 0 or -1. */
int		 evidence_wait(struct evidence *, int ms);
/* True while a sync is in flight. */
bool		 evidence_syncing(const struct evidence *);
/* Copy the marks of a stream into st (for the checkpoint; malloc'd). */
void		 evidence_marks(const struct evidence_stream *,
		    struct evidence_state *st);
/* Free the marks a struct evidence_state holds. */
void		 evidence_marks_clear(struct evidence_state *);

/* Free what a struct evidence_seg holds. */
void		 evidence_seg_clear(struct evidence_seg *);
/* Copy src into dst (strings duplicated; dst holds nothing before). */
void		 evidence_seg_copy(struct evidence_seg *dst,
		    const struct evidence_seg *src);

/* Counters for people and tests. */
struct evidence_stats {
	uint64_t	raw;		/* raw bytes archived */
	uint64_t	gz;		/* gz bytes written */
	uint64_t	sealed;
	uint64_t	gaps;
	uint64_t	errors;		/* write/fsync failures (retried) */
	uint64_t	deleted;
	int64_t		last_seal;	/* unix time of the last seal; 0: none */
};
void		 evidence_stats(struct evidence *, struct evidence_stats *);

/*
 * Build the manifest line of entry (a JSON object without "prev"/"hash"):
 * adds prev and hash, returns a malloc'd line with its newline and writes
 * the new head (65 bytes) into head.
 */
char		*evidence_chain_line(const char *json, const char *prev,
		    char *head);

#endif
