/*
 * source.h: one configured log source: its file, its parser state, its
 * line framing and its saved position.  Reading is bounded per call so no
 * source can starve the others; a source never passes an incomplete line.
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

struct keibid;
struct tz;

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
};

struct source {
	char			*name;
	char			*path;
	enum start_at		 start_at;
	const struct parser	*parser;
	void			*pstate;
	struct tz		*tz;
	struct keibid		*kd;

	int			 fd;		/* -1 when not open */
	dev_t			 dev;
	ino_t			 ino;
	struct linebuf		 lb;
	struct record		 rec;

	uint64_t		 saved;		/* offset last saved */
	struct source_stats	 st;
};

/* Position of a source as stored in state_dir. */
struct source_pos {
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	offset;
};

/* Build a source from its config; NULL with *cause (malloc'd). */
struct source	*source_new(struct keibid *, const struct source_conf *,
		    const struct config *, char **cause);
void		 source_free(struct source *);

/*
 * Open the file (if not open) and resume from pos when it still describes
 * this file; a missing file is not an error (it may appear later).
 */
int		 source_open(struct source *, const struct source_pos *);

/*
 * Read at most budget bytes, dispatching every complete line.  Follows a
 * rename rotation (drains the old file first) and a truncation.  Returns
 * 1 when more is waiting, 0 when at the end of the file.
 */
int		 source_read(struct source *, size_t budget);

/* The position that may be saved: just past the last complete line. */
void		 source_position(const struct source *, struct source_pos *);

/*
 * Dispatch one line through the parser, the rules and the outputs (also
 * used by tools that read lines from elsewhere).
 */
void		 source_dispatch(struct source *, const char *, size_t, int);

#endif
