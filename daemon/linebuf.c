/*
 * linebuf.c: line framing with a hard cap.  The buffer holds at most one
 * incomplete line plus one read, so memory is bounded by max_line plus the
 * read size whatever the input, be the line 1 MiB or 1 GiB.  A byte is
 * never dropped silently: cut lines are emitted flagged and counted, and
 * their rest is handed out as skipped runs so the archive still gets it.
 * This module must never lose, repeat or reorder a byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "linebuf.h"
#include "log.h"

#define LINEBUF_READ	(256 * 1024)	/* room for one read */

/* Allocate the buffer and start at offset (fatal on no memory). */
void
linebuf_init(struct linebuf *lb, size_t max_line, uint64_t offset)
{
	memset(lb, 0, sizeof *lb);
	lb->max_line = max_line;
	lb->cap = max_line + LINEBUF_READ;
	if ((lb->buf = malloc(lb->cap)) == NULL)
		fatal("malloc");
	lb->offset = offset;
}

/* Free the buffer; the struct may be initialised again. */
void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

/* Forget held bytes; continue at offset, inside a cut line if skipping. */
void
linebuf_reset(struct linebuf *lb, uint64_t offset, bool skipping)
{
	lb->len = 0;
	lb->offset = offset;
	lb->skipping = skipping;
}

/* The free room after the held bytes. */
char *
linebuf_space(struct linebuf *lb, size_t *avail)
{
	*avail = lb->cap - lb->len;
	return lb->buf + lb->len;
}

/* Hand out every complete line (and skipped run) in the held bytes. */
void
linebuf_commit(struct linebuf *lb, size_t n, linebuf_cb cb, void *arg)
{
	char		*p, *end, *nl, *from;
	size_t		 len;
	int		 flags;

	/* Only the new bytes can hold a newline: the held ones had none. */
	from = lb->buf + lb->len;
	lb->len += n;
	end = lb->buf + lb->len;
	p = lb->buf;
	while (from < end) {
		if ((nl = memchr(from, '\n', (size_t)(end - from))) == NULL)
			break;
		if (lb->skipping) {
			/* The rest of a cut line ends here. */
			lb->skipping = 0;
			cb(arg, p, (size_t)(nl + 1 - p), 0, LB_SKIP,
			    lb->offset + (uint64_t)(p - lb->buf));
		} else {
			len = (size_t)(nl - p);
			flags = 0;
			if (len > lb->max_line) {
				len = lb->max_line;
				flags = LB_TRUNCATED;
				lb->truncated++;
			}
			cb(arg, p, (size_t)(nl + 1 - p), len, flags,
			    lb->offset + (uint64_t)(p - lb->buf));
		}
		p = from = nl + 1;
	}

	/* p is the start of an incomplete line (or of the unread space). */
	if (p < end && lb->skipping) {
		/* Hand out bytes of the cut line as they come. */
		cb(arg, p, (size_t)(end - p), 0, LB_SKIP,
		    lb->offset + (uint64_t)(p - lb->buf));
		p = end;
	} else if ((size_t)(end - p) > lb->max_line) {
		/* Too long and still no newline: emit the cut head now. */
		lb->truncated++;
		cb(arg, p, (size_t)(end - p), lb->max_line, LB_TRUNCATED,
		    lb->offset + (uint64_t)(p - lb->buf));
		lb->skipping = 1;
		p = end;
	}
	lb->offset += (uint64_t)(p - lb->buf);
	lb->len = (size_t)(end - p);
	if (lb->len > 0 && p != lb->buf)
		memmove(lb->buf, p, lb->len);
}

/* Emit the held bytes as one LB_PARTIAL line and forget the cut state. */
void
linebuf_flush(struct linebuf *lb, linebuf_cb cb, void *arg)
{
	lb->skipping = 0;
	if (lb->len == 0)
		return;
	cb(arg, lb->buf, lb->len, lb->len, LB_PARTIAL, lb->offset);
	lb->offset += lb->len;
	lb->len = 0;
}

/* Bytes held without a newline yet. */
size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->len;
}

/* Stream offset just past the last byte handed out. */
uint64_t
linebuf_done(const struct linebuf *lb)
{
	return lb->offset;
}

/* True while the rest of a cut line is being skipped. */
bool
linebuf_skipping(const struct linebuf *lb)
{
	return lb->skipping != 0;
}
