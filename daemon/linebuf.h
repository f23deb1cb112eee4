/*
 * linebuf.h: framing of a byte stream into lines.  Bytes are read straight
 * into the buffer (linebuf_space + linebuf_commit) and complete lines are
 * handed out in place, without copying.  A line longer than the cap is cut:
 * its first max_line bytes are emitted once, flagged LB_TRUNCATED, and the
 * rest up to the newline is skipped (still counted in the offsets, so the
 * position and the evidence stay exact).
 */
#ifndef KEIBI_LINEBUF_H
#define KEIBI_LINEBUF_H

#include <stddef.h>
#include <stdint.h>

#define LB_TRUNCATED	0x01	/* the line was cut at the cap */
#define LB_PARTIAL	0x02	/* emitted without its newline (flush) */

/*
 * Called for each line: text without its newline (a trailing \r is kept),
 * flags, the offset of the line's first byte and the offset just past its
 * newline (the position that may be saved once the line is handled).
 */
typedef void	(*linebuf_cb)(void *arg, const char *line, size_t len,
		    int flags, uint64_t start, uint64_t end);

struct linebuf {
	char		*buf;
	size_t		 cap;
	size_t		 len;		/* bytes held (start of a line) */
	size_t		 max_line;
	uint64_t	 offset;	/* stream offset of buf[0] */
	int		 skipping;	/* inside the rest of a cut line */
	uint64_t	 cut_start;	/* offset where the cut line began */
	uint64_t	 truncated;	/* lines cut */
};

/* Set up for lines of at most max_line bytes, starting at stream offset. */
void	linebuf_init(struct linebuf *, size_t max_line, uint64_t offset);
void	linebuf_free(struct linebuf *);
/* Where the next read may write, and how much; never 0. */
char	*linebuf_space(struct linebuf *, size_t *avail);
/* n bytes were written at linebuf_space(); emit every complete line. */
void	linebuf_commit(struct linebuf *, size_t n, linebuf_cb, void *);
/* Emit a held incomplete line as LB_PARTIAL (idle timeout, end of input). */
void	linebuf_flush(struct linebuf *, linebuf_cb, void *);
/* Bytes held that do not yet form a complete line. */
size_t	linebuf_pending(const struct linebuf *);
/* Offset just past the last byte handed out or skipped. */
uint64_t linebuf_done(const struct linebuf *);

#endif
