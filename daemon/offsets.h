/*
 * offsets.h: the checkpoint in state_dir (positions.json).  One file holds,
 * together, each source's position (device, inode, head fingerprint,
 * offset), its open evidence segment and archived marks, the manifest
 * entry count, and each output's rollback point, so that a restart resumes
 * exactly where the archive and the outputs are durable.  The file is
 * replaced atomically (temporary, fsync, rename, fsync of the folder): a
 * crash leaves the old or the new checkpoint, never a mix.
 *
 * A source that leaves the configuration (a reload, or a restart with a
 * new config) keeps its saved state under "removed", with the time it
 * left, for OFFSETS_REMOVED_DAYS: a source of that name added back within
 * that time resumes where it stopped instead of starting over.
 */
#ifndef KEIBI_OFFSETS_H
#define KEIBI_OFFSETS_H

#include <stdbool.h>

#include "evidence.h"
#include "output.h"
#include "source.h"

#define OFFSETS_FILE	"positions.json"
#define OFFSETS_REMOVED_DAYS	30	/* a removed source's state is kept */
#define OFFSETS_REMOVED_MAX	256	/* removed sources kept at most */

struct offsets_src {
	char			*name;
	struct source_pos	 pos;
	struct evidence_state	 ev;
	int64_t			 removed_at;	/* unix time; 0: configured */
};

struct offsets_out {
	char			*name;
	struct output_mark	 mark;
};

struct offsets {
	uint64_t		 entries;	/* manifest entries */
	struct offsets_src	*src;
	size_t			 nsrc;
	struct offsets_out	*out;
	size_t			 nout;
};

/* Load the checkpoint; 0, or -1 when there is none (o is then empty). */
int	offsets_load(const char *state_dir, struct offsets *o);
/*
 * The saved state of source name, or NULL: of a removed source too (its
 * removed_at set, and said in the log), so that it resumes.
 */
const struct offsets_src *offsets_source(const struct offsets *,
	    const char *name);
/* The saved mark of output name, or NULL. */
const struct output_mark *offsets_output(const struct offsets *,
	    const char *name);
/*
 * Save atomically; 0 or -1 (logged; the old checkpoint stays).  The
 * sources of the file being replaced that o does not name are kept under
 * "removed" (from then on, or since they were removed), as long as
 * OFFSETS_REMOVED_DAYS and OFFSETS_REMOVED_MAX allow, unless their
 * segment was left open (they stopped in a crash: their state cannot be
 * trusted once the archive moved on).  O(size of the file).
 */
int	offsets_save(const char *state_dir, const struct offsets *o);
/*
 * The checkpoint writer: one thread that makes a cut durable off the loop.
 * It runs the cut's syncs in order (fsync of the outputs, commit of what
 * they depend on), and only if every one returned 0 saves the cut with
 * offsets_save; then done(arg, ok) runs in the loop.  One cut at a time,
 * so positions.json is never written twice at once nor out of order.  A
 * sync must be safe to call from another thread while the loop writes
 * (an fsync of a descriptor that stays open until offsets_writer_wait).
 */
struct offsets_writer;
struct event_base;

struct offsets_sync {
	int	 (*fn)(void *);		/* 0, or -1: the cut is not saved */
	void	*arg;
};

typedef void	(*offsets_done_cb)(void *arg, bool ok);

/* A writer reporting to base's loop (NULL: offsets_writer_save blocks). */
struct offsets_writer *offsets_writer_new(struct event_base *,
	    offsets_done_cb, void *arg);
/*
 * Hand the cut o over (taken, freed by the writer) with n syncs to run
 * before it is saved in state_dir (copied).  0, or -1 if a cut is still
 * in flight (o is not taken).
 */
int	offsets_writer_save(struct offsets_writer *, const char *state_dir,
	    struct offsets *o, const struct offsets_sync *, size_t n);
/* True from offsets_writer_save until its done callback has run. */
bool	offsets_writer_busy(const struct offsets_writer *);
/* Wait (blocking) up to ms for the cut in flight and report it; 0 or -1. */
int	offsets_writer_wait(struct offsets_writer *, int ms);
/* Wait for the cut in flight (reported), stop the thread, free. */
void	offsets_writer_free(struct offsets_writer *);

/* Add an empty source entry (name copied) and return it. */
struct offsets_src *offsets_add_source(struct offsets *, const char *name);
/* Add an output entry (name copied) and return it. */
struct offsets_out *offsets_add_output(struct offsets *, const char *name);
/* Free what o holds; o may be reused. */
void	offsets_free(struct offsets *o);

#endif
