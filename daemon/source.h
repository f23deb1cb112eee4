/*
 * source.h: one configured log source: the file it follows (by device,
 * inode and a fingerprint of its first bytes, never by name alone), the
 * rotated files still to drain, its parser state, its line framing and
 * its evidence stream.  Reading is bounded per call so no source can
 * starve the others, and a saved position never passes an incomplete line
 * or a byte that is not handed to the evidence archive.
 */
#ifndef KEIBI_SOURCE_H
#define KEIBI_SOURCE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "linebuf.h"
#include "parser.h"
#include "record.h"

#define SOURCE_FP_MAX		1024	/* bytes of the head fingerprint */
#define SOURCE_MAX_QUEUE	16	/* rotated files waiting to be read */
#define SOURCE_MAX_ROTATED	9	/* path.1 .. path.9: copies searched */
#define SOURCE_MAX_CANDIDATES	256	/* rotated names looked at after a stop */
#define SOURCE_POLL_MS		250	/* stat polling without inotify */
#define SOURCE_UNKNOWN		UINT64_MAX	/* a size never seen */

struct keibid;
struct tz;
struct evidence_stream;
struct event_base;
struct gzFile_s;
struct source_watch;

struct source_stats {
	uint64_t	lines;
	uint64_t	bytes;
	uint64_t	events;
	uint64_t	ignored;
	uint64_t	malformed;
	uint64_t	truncated;
	uint64_t	alerts;
	uint64_t	rotations;
	uint64_t	truncations;
	uint64_t	gaps;
	uint64_t	partial;
};

/* One open file of a source. */
struct source_file {
	int		 fd;		/* -1 when not open */
	uint64_t	 tag;		/* this opening, unique while running */
	uint64_t	 dev;
	uint64_t	 ino;
	char		*path;		/* where it was found */
	uint64_t	 seen;		/* largest size seen */
	/* Its bytes are archived as those of (id_dev, id_ino): a copy's
	 * bytes as the original's. */
	uint64_t	 id_dev;
	uint64_t	 id_ino;
	bool		 copy;
	/* A copy: the largest size its original had (the loss after it). */
	uint64_t	 old_seen;
	/* Waiting in the queue: SHA-256 of its first hfp_len bytes, and
	 * what it held before it was cut (lost_n times) unread, no copy. */
	unsigned char	 hfp[32];
	size_t		 hfp_len;
	uint64_t	 lost;
	unsigned int	 lost_n;
	/* A compressed rotated file: read through zlib, offsets in its
	 * uncompressed stream; head holds its first uncompressed bytes. */
	struct gzFile_s	*gz;
	unsigned char	*head;
	size_t		 head_len;
};

struct source {
	char			*name;
	char			*path;
	enum start_at		 start_at;
	const struct parser	*parser;
	void			*pstate;
	struct tz		*tz;
	struct keibid		*kd;
	struct evidence_stream	*ev;		/* NULL: not archived */
	int64_t			 partial_ms;	/* 0: hold partial lines */
	int64_t			 rotate_ms;
	bool			 once;
	bool			 started;	/* start_at applied */

	struct source_file	 cur;
	struct source_file	 q[SOURCE_MAX_QUEUE];
	size_t			 nq;
	unsigned char		 fp[32];	/* SHA-256 of the first fp_len */
	size_t			 fp_len;
	int64_t			 grew_ms;	/* cur last grew (monotonic) */
	bool			 blocked;	/* waiting for the archive */

	/*
	 * Following: with a watch, inotify events on the folder and on the
	 * open file ask for a read at once and the file is polled anyway
	 * every poll_ms; without one it is polled every SOURCE_POLL_MS.
	 */
	struct source_watch	*watch;		/* NULL: polled */
	bool			 follow_poll;	/* follow: poll */
	int64_t			 poll_ms;	/* safety poll when watched */
	int64_t			 next_ms;	/* next poll due (monotonic) */
	bool			 wake;		/* an event asked for a read */
	bool			 more;		/* the last read stopped at budget */
	int			 wd_dir;	/* -1: folder not watched */
	int			 wd_file;	/* -1: open file not watched */
	uint64_t		 wd_tag;	/* the opening wd_file watches */
	char			*dir;		/* folder of path */
	char			*base;		/* last component of path */

	struct linebuf		 lb;
	struct record		 rec;
	struct source_stats	 st;
};

/* Position of a source as a checkpoint saves it. */
struct source_pos {
	bool		valid;
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	offset;
	uint64_t	seen;
	bool		skipping;
	size_t		fp_len;
	unsigned char	fp[32];
	int64_t		saved_ns;	/* when it was saved (ns); 0 unknown */
};

/* Build a source from its config; NULL with *cause (malloc'd). */
struct source	*source_new(struct keibid *, const struct source_conf *,
		    const struct config *, char **cause);
void		 source_free(struct source *);

/*
 * Find the file and resume from pos (NULL: none saved): the saved file is
 * looked for at the path and at the rotated names beside it (path.N,
 * dateext names such as path-YYYYMMDD, and their .gz), by identity: an
 * uncompressed one by device, inode and fingerprint, a compressed one by
 * the fingerprint of its uncompressed first bytes; a file
 * rotated while keibid was down is drained first; a position whose
 * fingerprint no longer matches is never applied.  The archive's marks of
 * bytes sealed after the checkpoint are then bound to the open files that
 * still hold exactly those bytes.  A missing file is not an error (it may
 * appear later).
 */
int		 source_open(struct source *, const struct source_pos *);

/*
 * True if suffix (what follows a source file's name) is a usual rotated
 * name: a separator (. - _), then digits with . - _ between them (.1,
 * -20251121, -2025112113, .2025-11-21, -20251121.1), then maybe ".gz"
 * (*gz).  *len is its length without ".gz"; *num is N for ".N", else -1.
 */
bool		 source_rotated_suffix(const char *suffix, size_t *len,
		    long *num, bool *gz);

/*
 * Read at most budget bytes, handing every byte to the archive and every
 * complete line to detection.  Follows rename rotation (the old file is
 * drained until it has been quiet for rotate_wait) and truncation (with a
 * gap record).  Returns 1 when more is waiting, 0 otherwise.
 */
int		 source_read(struct source *, size_t budget);

/*
 * True if src should be read now: an event asked for it, it has more
 * waiting, rotated files drain, a held line times out, or its poll is due.
 */
bool		 source_due(struct source *, int64_t now_ms);

/* Monotonic milliseconds, the clock of source_due. */
int64_t		 source_now_ms(void);

/*
 * One inotify instance for every source, read by the loop: an event on a
 * source's folder (its name or a rotated name) or on its open file marks
 * the source to be read and calls ready(arg).  NULL when inotify is not
 * available (then every source is polled); freed after the sources.
 */
struct source_watch *source_watch_new(struct event_base *,
		    void (*ready)(void *), void *arg);
void		 source_watch_free(struct source_watch *);

/* The position that may be saved: just past the last byte handed out. */
void		 source_position(struct source *, struct source_pos *);

/*
 * Dispatch one line through the parser, the rules and the outputs (also
 * used by tools that read lines from elsewhere).
 */
void		 source_dispatch(struct source *, const char *, size_t, int);

#endif
