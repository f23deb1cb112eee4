/*
 * fuzz_linebuf.c: libFuzzer target for line framing.  The first byte picks
 * the line cap, the second a read size; the rest is fed in reads of that
 * size.  Every byte must be handed out exactly once and in order (the
 * concatenation of the runs equals the input), every line must lie inside
 * its run, be at most the cap and hold no newline.  Must not keep state
 * between inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_lb {
	const uint8_t	*in;
	size_t		 inlen;
	size_t		 at;		/* bytes handed out so far */
	size_t		 max;
};

/* Check one run against the input. */
static void
fuzz_cb(void *arg, const char *p, size_t used, size_t len, int flags,
    uint64_t start)
{
	struct fuzz_lb	*f = arg;

	if (start != f->at || used == 0 || f->at + used > f->inlen ||
	    memcmp(p, f->in + f->at, used) != 0)
		abort();
	if (!(flags & LB_SKIP)) {
		if (len > used || len > f->max ||
		    memchr(p, '\n', len) != NULL)
			abort();
		if (!(flags & (LB_TRUNCATED | LB_PARTIAL)) &&
		    (len + 1 != used || p[len] != '\n'))
			abort();
	}
	f->at += used;
}

/* One fuzz input: cap, read size, then the stream. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf	 lb;
	struct fuzz_lb	 f;
	size_t		 chunk, avail, n;
	char		*p;

	if (size < 2)
		return 0;
	memset(&f, 0, sizeof f);
	f.max = 1 + data[0] % 64;
	chunk = 1 + data[1] % 97;
	f.in = data + 2;
	f.inlen = size - 2;
	linebuf_init(&lb, f.max, 0);
	while (f.at + linebuf_pending(&lb) < f.inlen) {
		p = linebuf_space(&lb, &avail);
		n = f.inlen - f.at - linebuf_pending(&lb);
		if (n > chunk)
			n = chunk;
		if (n > avail)
			n = avail;
		memcpy(p, f.in + f.at + linebuf_pending(&lb), n);
		linebuf_commit(&lb, n, fuzz_cb, &f);
		if (linebuf_done(&lb) != f.at)
			abort();
	}
	linebuf_flush(&lb, fuzz_cb, &f);
	if (f.at != f.inlen || linebuf_pending(&lb) != 0)
		abort();
	linebuf_free(&lb);
	return 0;
}
