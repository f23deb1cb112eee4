/*
 * scratch.c: the per-state rewrite buffer of parsers (see scratch.h).  It
 * hands out bytes from a fixed array and refuses what does not fit; it
 * must never allocate and never write past its array.
 */
#include "config.h"

#include <string.h>

#include "scratch.h"

/* Room for n bytes; NULL when the buffer is full. */
char *
scratch_alloc(struct scratch *s, size_t n)
{
	char	*p;

	if (n > sizeof s->buf - s->used)
		return NULL;
	p = s->buf + s->used;
	s->used += n;
	return p;
}

/* Copy a then b into the buffer as one span; false if it does not fit. */
bool
scratch_cat(struct scratch *s, struct span a, struct span b,
    struct span *out)
{
	char	*p;

	if (a.len > sizeof s->buf || b.len > sizeof s->buf ||
	    (p = scratch_alloc(s, a.len + b.len)) == NULL)
		return false;
	if (a.len > 0)
		memcpy(p, a.p, a.len);
	if (b.len > 0)
		memcpy(p + a.len, b.p, b.len);
	out->p = p;
	out->len = a.len + b.len;
	return true;
}

/* num * 10^exp10 as integer digits; false if num is not a number. */
bool
scratch_scaled(struct scratch *s, struct span num, int exp10,
    struct span *out)
{
	char		 digits[40];
	const char	*dot;
	size_t		 ilen, flen, n = 0, i, skip;
	char		*p;

	if (num.len == 0 || num.len > 30 || exp10 < 0 || exp10 > 12)
		return false;
	dot = memchr(num.p, '.', num.len);
	ilen = dot != NULL ? (size_t)(dot - num.p) : num.len;
	flen = dot != NULL ? num.len - ilen - 1 : 0;
	if (ilen == 0 && flen == 0)
		return false;
	for (i = 0; i < ilen; i++) {
		if (num.p[i] < '0' || num.p[i] > '9')
			return false;
		digits[n++] = num.p[i];
	}
	for (i = 0; i < flen; i++)
		if (dot[1 + i] < '0' || dot[1 + i] > '9')
			return false;
	for (i = 0; i < (size_t)exp10; i++)
		digits[n++] = i < flen ? dot[1 + i] : '0';
	for (skip = 0; skip + 1 < n && digits[skip] == '0'; skip++)
		;
	if (n == 0 || n - skip > 18 || (p = scratch_alloc(s, n - skip)) == NULL)
		return false;
	memcpy(p, digits + skip, n - skip);
	out->p = p;
	out->len = n - skip;
	return true;
}
