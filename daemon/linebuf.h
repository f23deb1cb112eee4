/*
 * linebuf.h: framing of a byte stream into lines.  Bytes are read straight
 * into the buffer (linebuf_space + linebuf_commit) and complete lines are
 * handed out in place, without copying.  Every byte is handed out exactly
 * once, in order, with the line it belongs to or as a skipped run: that is
 * how the evidence archive receives exactly the bytes of the file.  A line
 * longer than the cap is cut: its first max_line bytes are emitted once,
 * flagged LB_TRUNCATED, and the rest up to the newline is handed out as
 * LB_SKIP runs.  This module never reads a file and never allocates after
 * linebuf_init.
 */
#ifndef KEIBI_LINEBUF_H
#define KEIBI_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_TRUNCATED	0x01	/* the line was cut at the cap */
#define LB_PARTIAL	0x02	/* emitted without its newline (flush) */
#define LB_SKIP		0x04	/* bytes of a cut line's rest: no line */

/*
 * Called for each run of bytes consumed: p/used are the bytes (with the
 * newline), start their stream offset.  Unless LB_SKIP, the first len bytes
 * at p are a line to evaluate (without its newline; a trailing \r is kept).
 */
typedef void	(*linebuf_cb)(void *arg, const char *p, size_t used,
		    size_t len, int flags, uint64_t start);

struct linebuf {
	char		*buf;
	size_t		 cap;
	size_t		 len;		/* bytes held (start of a line) */
	size_t		 max_line;
	uint64_t	 offset;	/* stream offset of buf[0] */
	int		 skipping;	/* inside the rest of a cut line */
	uint64_t	 truncated;	/* lines cut */
};

/* Set up for lines of at most max_line bytes, starting at stream offset. */
void	linebuf_init(struct linebuf *, size_t max_line, uint64_t offset);
void	linebuf_free(struct linebuf *);
/* Drop what is held and start again at offset (inside a cut line or not). */
void	linebuf_reset(struct linebuf *, uint64_t offset, bool skipping);
/* Where the next read may write, and how much; never 0. */
char	*linebuf_space(struct linebuf *, size_t *avail);
/* n bytes were written at linebuf_space(); hand out what is complete. */
void	linebuf_commit(struct linebuf *, size_t n, linebuf_cb, void *);
/* Hand out a held incomplete line as LB_PARTIAL (idle timeout, rotation). */
void	linebuf_flush(struct linebuf *, linebuf_cb, void *);
/* Bytes held that do not yet form a complete line. */
size_t	linebuf_pending(const struct linebuf *);
/* Offset just past the last byte handed out. */
uint64_t linebuf_done(const struct linebuf *);
/* True inside the rest of a cut line (saved with the position). */
bool	linebuf_skipping(const struct linebuf *);

#endif
