/*
 * scratch.h: a parser's per-state buffer for the few values it must
 * rewrite rather than borrow from the line (a JSON string without its
 * escapes, milliseconds rendered as nanoseconds, "zeek." and a log name).
 * It is part of the state, so using it never allocates; it is reset at
 * the start of every line and spans into it are valid until the next
 * line.  A value that does not fit is refused, never cut silently.
 */
#ifndef KEIBI_SCRATCH_H
#define KEIBI_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

#define SCRATCH_SIZE	8192

struct scratch {
	size_t	used;
	char	buf[SCRATCH_SIZE];
};

/* Forget everything handed out (start of a line). */
static inline void
scratch_reset(struct scratch *s)
{
	s->used = 0;
}

/* Room for n bytes; NULL when the buffer is full. */
char	*scratch_alloc(struct scratch *, size_t n);

/* Copy the concatenation a b into the buffer; false if it does not fit. */
bool	 scratch_cat(struct scratch *, struct span a, struct span b,
	    struct span *out);

/*
 * Render the decimal number num ("12", "0.084044") times 10^exp10 as an
 * integer (the fraction beyond is dropped), with leading zeros removed:
 * "0.084044" at 9 is "84044000".  False if num is not such a number or
 * the result would exceed 18 digits.
 */
bool	 scratch_scaled(struct scratch *, struct span num, int exp10,
	    struct span *out);

#endif
