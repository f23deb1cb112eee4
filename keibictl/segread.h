/*
 * segread.h: reading one archived segment as keibid read its lines, for
 * hunt and replay.  The .gz file is hashed while it is inflated (or, when
 * asked, hashed whole before a byte is used), lines are framed with the
 * daemon's framing and line cap, and each is parsed by its source's
 * parser and finished with the internal networks, as keibid does.
 * Parser state starts afresh in every segment, so segments can be read
 * in any order and on any thread, except that a parser which joins lines
 * (Postfix queue ids and the like, see segread_joins) can be warmed with
 * the tail of the segment before (same file, contiguous bytes): the
 * primer, read for the parser state only, at most SEGREAD_PRIME_TAIL of
 * its bytes parsed.  A message whose lines lie further apart than that is
 * not joined by a reader of single segments.  A segment whose hash
 * differs from its manifest entry is reported as such: the caller must
 * not use what it read from it.
 */
#ifndef KEIBI_CTL_SEGREAD_H
#define KEIBI_CTL_SEGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "netaddr.h"
#include "parser.h"
#include "record.h"

struct tz;

/* Bytes at the end of a primer that are parsed (the rest is inflated). */
#define SEGREAD_PRIME_TAIL	(16ULL * 1024 * 1024)

/* One line of a segment. */
struct segread_line {
	const char	*p;		/* the line, without its newline */
	size_t		 len;
	uint64_t	 off;		/* of its first byte in the segment */
	size_t		 used;		/* its bytes with the newline */
	int		 flags;		/* LB_TRUNCATED, LB_PARTIAL */
	int		 rc;		/* the parser's: 1 an event */
	struct record	*rec;		/* the event (rc 1), else NULL */
};

/* Return non-zero to read no further lines (the hash is still checked). */
typedef int	(*segread_cb)(void *arg, const struct segread_line *);

/* What to read with; one per thread (parser state and zones are not shared). */
struct segread {
	const char		*dir;		/* the archive */
	const char		*source;	/* source name for events */
	const struct parser	*parser;
	struct tz		*tz;		/* NULL: UTC */
	size_t			 max_queue;
	size_t			 max_line;
	const struct cidr_set	*internal;
	bool			 verify_first;	/* hash whole, then read */
	/*
	 * The segment before, read first for the parser state only; NULL:
	 * none.  It is hashed as it is read: if it does not match its entry
	 * (or is not whole), the state starts afresh instead.
	 */
	const struct mf_seg	*prime;
	segread_cb		 cb;
	void			*arg;
};

struct segread_result {
	char		 gz[65];	/* SHA-256 of the file as read */
	uint64_t	 size;		/* its bytes */
	uint64_t	 raw;		/* decompressed bytes read */
	uint64_t	 lines;
	uint64_t	 events;
	bool		 stopped;	/* the callback asked to stop */
	const char	*why;		/* static text when -1 */
};

/*
 * Read segment seg through sr.  0 when the file is whole and its SHA-256
 * is the manifest's; -1 with res->why otherwise (what the callback saw
 * then must be thrown away).
 */
int		 segread_run(const struct segread *, const struct mf_seg *,
		    struct segread_result *);

/*
 * Read bytes start..end of an open plain file (a source file, for what
 * keibid has not sealed yet) through sr, framed and parsed as segread_run
 * does; a line's off is its offset in the file.  Only whole lines are
 * read: bytes after the last newline before end are left, as keibid
 * leaves a line it has not finished.  ref_us dates year-less times.
 * Nothing is hashed: these bytes have no proof.  0, or -1 with res->why.
 */
int		 segread_file(const struct segread *, int fd, uint64_t start,
		    uint64_t end, int64_t ref_us, struct segread_result *);

/*
 * True if parser p keeps state that joins lines (a mail parser's queue
 * ids), so that reading a segment on its own can miss what an earlier
 * segment's lines give its lines.
 */
bool		 segread_joins(const struct parser *p);

/*
 * True if segment prev is the one just before seg in the same source file:
 * same device and inode, seg starting where prev ended, prev whole.
 */
bool		 segread_contiguous(const struct mf_seg *prev,
		    const struct mf_seg *seg);

/*
 * SHA-256 (hex) of bytes start..end of an open file into hex[65]; 0, or
 * -1 when the file is shorter or cannot be read.
 */
int		 segread_hash_range(int fd, uint64_t start, uint64_t end,
		    char *hex);

#endif
