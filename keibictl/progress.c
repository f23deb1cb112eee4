/*
 * progress.c: the progress bar of long offline commands.  It draws one
 * line on standard error with a carriage return, only on a terminal and
 * at most every PROGRESS_EVERY_MS, and erases it at the end.  It must
 * never write to anything but a terminal, and never print a label
 * unescaped.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"

#define PROGRESS_EVERY_MS	100
#define PROGRESS_LABEL		24	/* columns of the label */

struct progress {
	char		 what[PROGRESS_LABEL * 4 + 4];
	uint64_t	 total;
	int		 bytes;
	int64_t		 start_ms;
	int64_t		 last_ms;
	int		 cols;
	int		 drawn;
};

/* Monotonic milliseconds. */
static int64_t
progress_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "1.2 GiB" or "12345" into buf. */
static void
progress_amount(uint64_t v, int bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	d = (double)v;
	size_t	u = 0;

	if (!bytes) {
		snprintf(buf, size, "%llu", (unsigned long long)v);
		return;
	}
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", d, units[u]);
}

struct progress *
progress_start(const char *what, uint64_t total, int bytes)
{
	struct progress	*p;
	struct winsize	 ws;

	if (!isatty(STDERR_FILENO))
		return NULL;
	if ((p = calloc(1, sizeof *p)) == NULL)
		fatal("calloc");
	log_escape(what, strlen(what), p->what, sizeof p->what);
	p->total = total;
	p->bytes = bytes;
	p->start_ms = progress_now();
	p->cols = 80;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		p->cols = ws.ws_col;
	return p;
}

void
progress_update(struct progress *p, uint64_t done)
{
	char	 a[32], b[32], eta[32] = "", bar[256];
	int64_t	 now, el;
	int	 width, fill, i;
	double	 frac;

	if (p == NULL)
		return;
	now = progress_now();
	if (p->drawn && now - p->last_ms < PROGRESS_EVERY_MS)
		return;
	p->last_ms = now;
	p->drawn = 1;
	progress_amount(done, p->bytes, a, sizeof a);
	if (p->total == 0) {
		fprintf(stderr, "\r%-*.*s %s\033[K", PROGRESS_LABEL,
		    PROGRESS_LABEL, p->what, a);
		fflush(stderr);
		return;
	}
	progress_amount(p->total, p->bytes, b, sizeof b);
	frac = done >= p->total ? 1.0 : (double)done / (double)p->total;
	el = now - p->start_ms;
	if (frac > 0.01 && frac < 1.0 && el > 1000) {
		long long left = (long long)((double)el / frac - (double)el) /
		    1000;
		snprintf(eta, sizeof eta, " ETA %lld:%02lld", left / 60,
		    left % 60);
	}
	width = p->cols - PROGRESS_LABEL - 50;
	if (width < 10)
		width = 10;
	if (width > (int)sizeof bar - 1)
		width = (int)sizeof bar - 1;
	fill = (int)(frac * width);
	for (i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	fprintf(stderr, "\r%-*.*s [%s] %3d%% %s / %s%s\033[K", PROGRESS_LABEL,
	    PROGRESS_LABEL, p->what, bar, (int)(frac * 100), a, b, eta);
	fflush(stderr);
}

void
progress_end(struct progress *p)
{
	if (p == NULL)
		return;
	if (p->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	free(p);
}
