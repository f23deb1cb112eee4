/*
 * progress.h: a progress bar on standard error for long offline work
 * (verify of a large archive, replay of old logs).  Drawn only when
 * standard error is a terminal, at most ten times a second; otherwise
 * every call does nothing, so scripts and logs never see it.
 */
#ifndef KEIBI_PROGRESS_H
#define KEIBI_PROGRESS_H

#include <stdint.h>

struct progress;

/*
 * Start a bar for what (a short label, escaped when drawn) over total
 * units (bytes when bytes is non-zero; 0 total: unknown, a counter).
 * NULL when standard error is no terminal; every function accepts NULL.
 */
struct progress	*progress_start(const char *what, uint64_t total, int bytes);
/* done units so far (redrawn when due). */
void		 progress_update(struct progress *, uint64_t done);
/* Erase the bar and free it. */
void		 progress_end(struct progress *);

#endif
