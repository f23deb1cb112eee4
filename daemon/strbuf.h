/*
 * strbuf.h: a growing string for text built piece by piece (incident
 * summaries, mail messages).  Start from { NULL, 0, 0 }; p is NUL-ended
 * once anything was added, and is the caller's to free.
 */
#ifndef KEIBI_STRBUF_H
#define KEIBI_STRBUF_H

#include <stddef.h>

struct strbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Append the formatted text; exits if memory runs out. */
void	strbuf_add(struct strbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
