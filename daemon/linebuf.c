/*
 * linebuf.c: line framing with a hard cap.  The buffer holds at most one
 * incomplete line plus one read, so memory is bounded by max_line plus the
 * read size whatever the input; a line is never dropped silently: cut lines
 * are emitted flagged and counted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "linebuf.h"
#include "log.h"

#define LINEBUF_READ	(256 * 1024)	/* room for one read */

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

void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

char *
linebuf_space(struct linebuf *lb, size_t *avail)
{
	*avail = lb->cap - lb->len;
	return lb->buf + lb->len;
}

void
linebuf_commit(struct linebuf *lb, size_t n, linebuf_cb cb, void *arg)
{
	char	*p = lb->buf, *end, *nl;
	size_t	 scan_from;

	/* Only the new bytes can hold a newline: the held ones had none. */
	scan_from = lb->len;
	lb->len += n;
	end = lb->buf + lb->len;
	p = lb->buf;
	while (p < end) {
		char	*from = p > lb->buf + scan_from ? p : lb->buf + scan_from;

		if ((nl = memchr(from, '\n', (size_t)(end - from))) == NULL)
			break;
		if (lb->skipping) {
			/* The rest of a cut line ends here. */
			lb->skipping = 0;
		} else {
			size_t	len = (size_t)(nl - p);
			int	flags = 0;

			if (len > lb->max_line) {
				len = lb->max_line;
				flags = LB_TRUNCATED;
				lb->truncated++;
			}
			cb(arg, p, len, flags,
			    lb->offset + (uint64_t)(p - lb->buf),
			    lb->offset + (uint64_t)(nl + 1 - lb->buf));
		}
		p = nl + 1;
	}

	/* p is the start of an incomplete line (or of the unread space). */
	if (!lb->skipping && (size_t)(end - p) > lb->max_line) {
		/* Too long and still no newline: emit the cut head now. */
		lb->truncated++;
		cb(arg, p, lb->max_line, LB_TRUNCATED,
		    lb->offset + (uint64_t)(p - lb->buf),
		    lb->offset + (uint64_t)(end - lb->buf));
		lb->skipping = 1;
		p = end;
	} else if (lb->skipping) {
		/* Drop bytes of the cut line as they come. */
		p = end;
	}
	lb->offset += (uint64_t)(p - lb->buf);
	lb->len = (size_t)(end - p);
	if (lb->len > 0 && p != lb->buf)
		memmove(lb->buf, p, lb->len);
}

void
linebuf_flush(struct linebuf *lb, linebuf_cb cb, void *arg)
{
	if (lb->len == 0 || lb->skipping) {
		lb->skipping = 0;
		return;
	}
	cb(arg, lb->buf, lb->len, LB_PARTIAL, lb->offset,
	    lb->offset + lb->len);
	lb->offset += lb->len;
	lb->len = 0;
}

size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->len;
}

uint64_t
linebuf_done(const struct linebuf *lb)
{
	return lb->offset;
}
