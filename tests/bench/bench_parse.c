/*
 * bench_parse.c: parse-only and parse+match throughput of keibi's own
 * code, on one core and without output: each file is read in 4 MiB chunks
 * (from the page cache, as the daemon reads) and its lines are fed to the
 * parser (and with --rules, to the shipped rules; with --detect, to the
 * whole detection: rules through the prefilter, correlations, detectors,
 * flushed at the end) exactly as the daemon does.  --beacon-pairs N
 * measures the beacon detector's memory for N tracked pairs.  Prints
 * lines/s, MB/s, CPU seconds and peak RSS (with BENCH_MEM set in the
 * environment, --detect also prints the detectors' memory by kind);
 * --dump-regex prints the rules' regular expressions for the rg and
 * pcre2grep floors.
 */
#include "config.h"

#include <sys/resource.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "beacon.h"
#include "detect.h"
#include "log.h"
#include "metrics.h"
#include "parser.h"
#include "record.h"
#include "rule.h"

#define BENCH_CHUNK	(4 * 1024 * 1024)

static char	buf[BENCH_CHUNK];

static double
bench_cpu(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
bench_wall(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Alert callback of --detect: count; with BENCH_ALERTS set in the
 * environment, also print each alert's rule, source and reason (to judge
 * false positives on the corpus; not timed then).
 */
static int
bench_alert(void *arg, struct rule *r, const struct record *rec)
{
	static int	show = -1;
	struct span	src, why;

	(*(uint64_t *)arg)++;
	if (show == -1)
		show = getenv("BENCH_ALERTS") != NULL;
	if (show) {
		/* A field not set on this record may hold an older span. */
		src = record_has(rec, RF_SOURCE_IP) ?
		    record_get(rec, RF_SOURCE_IP) : SPAN_NULL;
		why = record_has(rec, RF_EVENT_REASON) ?
		    record_get(rec, RF_EVENT_REASON) : SPAN_NULL;
		fprintf(stderr, "%s\t%.*s\t%.*s\n", r->id, (int)src.len,
		    src.p != NULL ? src.p : "", (int)why.len,
		    why.p != NULL ? why.p : "");
	}
	return 0;
}

/* --beacon-pairs N: RSS and time of N distinct pairs in the detector. */
#define BENCH_BEACON_SEEN	6
static int
bench_beacon(unsigned long n)
{
	static const char text[] = "rules:\n  - {id: B, title: t, "
	    "category: beacon, severity: low, detector: beacon, match: "
	    "{source.ip: {exists: true}}, params: {max_pairs: 16777216}}\n";
	struct ruleset	*rs;
	struct record	 rec;
	struct rusage	 ru;
	char		*err, src[32], dom[64];
	uint64_t	 alerts = 0;
	long		 rss0;
	double		 wall0, wall;
	unsigned long	 i;

	if ((rs = ruleset_load_buffer("bench.yml", text, sizeof text - 1,
	    &err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	rss0 = ru.ru_maxrss;
	wall0 = bench_wall();
	/*
	 * Each pair is seen BENCH_BEACON_SEEN times, a minute apart: tracked
	 * with a ring of its own, the most memory a pair holds.
	 */
	for (i = 0; i < BENCH_BEACON_SEEN * n; i++) {
		memset(&rec, 0, sizeof rec);
		record_reset(&rec);
		rec.has_ts = true;
		rec.ts_us = (int64_t)(1795219200 + (i % n) / 100 +
		    (int64_t)(i / n) * 60) * 1000000;
		snprintf(src, sizeof src, "10.%lu.%lu.%lu", ((i % n) >> 16) & 255,
		    ((i % n) >> 8) & 255, (i % n) & 255);
		snprintf(dom, sizeof dom, "host%lu.example.com", (i % n) % 9973);
		record_set(&rec, RF_EVENT_DATASET, "proxy.squid", 11);
		record_set(&rec, RF_SOURCE_IP, src, strlen(src));
		record_set(&rec, RF_URL_DOMAIN, dom, strlen(dom));
		record_set(&rec, RF_DESTINATION_BYTES, "4100", 4);
		record_finish(&rec, NULL);
		detect_event(rs, &rec, bench_alert, &alerts);
	}
	wall = bench_wall() - wall0;
	getrusage(RUSAGE_SELF, &ru);
	printf("%-22s %12.0f events/s %8.0f MiB for %lu tracked pairs (%zu "
	    "B/pair; cap 512 MiB for 1,000,000)\n", "beacon state",
	    (double)(BENCH_BEACON_SEEN * n) / wall,
	    (double)(ru.ru_maxrss - rss0) / 1024, n,
	    beacon_pair_bytes());
	ruleset_free(rs);
	return 0;
}

/* One line through the parser and, with rules, the detection. */
static void
bench_line(const struct parser *p, void *st, struct record *rec, char *line,
    size_t len, struct ruleset *rs, struct cidr_set *internal, bool detect,
    uint64_t *lines, uint64_t *events, uint64_t *alerts)
{
	(*lines)++;
	record_reset(rec);
	rec->line.p = line;
	rec->line.len = len;
	if (p->parse(st, line, len, rec) != 1)
		return;
	(*events)++;
	if (!record_has(rec, RF_EVENT_DATASET))
		record_set(rec, RF_EVENT_DATASET, p->dataset,
		    strlen(p->dataset));
	record_finish(rec, internal);
	if (detect)
		detect_event(rs, rec, bench_alert, alerts);
	else if (rs != NULL)
		*alerts += ruleset_match(rs, rec, NULL, NULL);
}

int
main(int argc, char **argv)
{
	struct ruleset		*rs = NULL;
	struct cidr_set		 internal;
	struct parser_opts	 po;
	struct record		 rec;
	struct cidr		 c;
	struct rusage		 ru;
	const char		*cause;
	char			*err, *rules = NULL, *label = "parse";
	uint64_t		 lines = 0, bytes = 0, events = 0, alerts = 0;
	double			 cpu0, wall0, cpu, wall;
	size_t			 i, j;
	int			 a = 1;
	bool			 detect = false;

	log_init("bench", LOG_LVL_WARN);
	if (argc > 2 && strcmp(argv[1], "--dump-regex") == 0) {
		if ((rs = ruleset_load(&argv[2], 1, &err)) == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (i = 0; i < rs->n; i++)
			for (j = 0; j < rs->v[i]->nconds; j++) {
				struct cond	*cd = &rs->v[i]->conds[j];
				size_t		 k;

				if (cd->op != COND_REGEX)
					continue;
				for (k = 0; k < cd->nvalues; k++)
					printf("%s%s\n", cd->nocase ? "(?i)" : "",
					    cd->values[k].s);
			}
		ruleset_free(rs);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "--beacon-pairs") == 0)
		return bench_beacon(strtoul(argv[2], NULL, 10));
	if (argc > 2 && strcmp(argv[1], "--detect") == 0) {
		detect = true;
		argv[1] = "--rules";
	}
	if (argc > 2 && strcmp(argv[1], "--rules") == 0) {
		rules = argv[2];
		label = detect ? "parse+match+correlate" : "parse+match";
		a = 3;
		if ((rs = ruleset_load(&rules, 1, &err)) == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	if ((argc - a) < 2 || (argc - a) % 2 != 0) {
		fprintf(stderr, "usage: bench_parse [--rules DIR | --detect DIR] "
		    "PARSER FILE [PARSER FILE...]\n"
		    "       bench_parse --dump-regex DIR\n"
		    "       bench_parse --beacon-pairs N\n");
		return 2;
	}
	cidr_set_init(&internal);
	cidr_parse(&c, "10.0.0.0/8", 10, &cause);
	cidr_set_add(&internal, &c);
	if (rs != NULL)
		ruleset_set_role(rs, ROLE_INTERNAL, &internal);
	memset(&po, 0, sizeof po);
	po.ref_us = (int64_t)1795219200 * 1000000;

	/* Plan each dataset (compile its prefilter) before the clock runs. */
	for (i = (size_t)a; rs != NULL && i + 1 < (size_t)argc; i += 2) {
		const struct parser	*wp = parser_lookup(argv[i]);

		if (wp == NULL)
			continue;
		record_reset(&rec);
		record_set(&rec, RF_EVENT_DATASET, wp->dataset,
		    strlen(wp->dataset));
		(void)ruleset_match(rs, &rec, NULL, NULL);
	}
	cpu0 = bench_cpu();
	wall0 = bench_wall();
	for (; a + 1 < argc; a += 2) {
		const struct parser	*p = parser_lookup(argv[a]);
		void			*st;
		char			*line, *nl, *end;
		size_t			 have = 0;
		ssize_t			 got;
		int			 fd;

		if (p == NULL) {
			fprintf(stderr, "unknown parser %s\n", argv[a]);
			return 2;
		}
		if ((fd = open(argv[a + 1], O_RDONLY)) == -1) {
			perror(argv[a + 1]);
			return 1;
		}
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		st = p->state_new(&po);
		/*
		 * Read in chunks, as the daemon does, so that peak RSS is
		 * keibi's own and not the file's; a partial last line waits
		 * for the next chunk, and ends the file without a newline.
		 */
		for (;;) {
			got = read(fd, buf + have, BENCH_CHUNK - have);
			if (got < 0) {
				perror(argv[a + 1]);
				return 1;
			}
			bytes += (uint64_t)got;
			have += (size_t)got;
			end = buf + have;
			for (line = buf; line < end; line = nl + 1) {
				if ((nl = memchr(line, '\n',
				    (size_t)(end - line))) == NULL) {
					if (got > 0 && (line > buf ||
					    have < BENCH_CHUNK))
						break;	/* wait for the rest */
					if (got > 0) {
						fprintf(stderr, "%s: a line longer "
						    "than %d bytes\n", argv[a + 1],
						    BENCH_CHUNK);
						return 1;
					}
					nl = end;
				}
				bench_line(p, st, &rec, line, (size_t)(nl - line),
				    rs, &internal, detect, &lines, &events, &alerts);
			}
			if (got == 0)
				break;
			have = line < end ? (size_t)(end - line) : 0;
			memmove(buf, line, have);
		}
		p->state_free(st);
		close(fd);
	}
	if (detect)
		detect_flush(rs, bench_alert, &alerts);
	cpu = bench_cpu() - cpu0;
	wall = bench_wall() - wall0;
	getrusage(RUSAGE_SELF, &ru);
	printf("%-22s %12.0f lines/s %9.1f MB/s %7.2f cpu-s %8ld KiB peak RSS"
	    "   (%llu lines, %llu events, %llu alerts)\n", label,
	    (double)lines / wall, (double)bytes / wall / 1e6, cpu, ru.ru_maxrss,
	    (unsigned long long)lines, (unsigned long long)events,
	    (unsigned long long)alerts);
	if (detect && getenv("BENCH_MEM") != NULL) {
		/* Where the detectors' memory went, by kind. */
		struct metrics_corr	mc[METRICS_CORR_KINDS];

		metrics_correlators(rs, mc);
		for (i = 0; i < METRICS_CORR_KINDS; i++)
			fprintf(stderr, "%-10s %3llu rules %10llu entries "
			    "%8.1f MiB %10llu evicted\n", mc[i].kind,
			    (unsigned long long)mc[i].rules,
			    (unsigned long long)mc[i].entries,
			    (double)mc[i].bytes / 1048576,
			    (unsigned long long)mc[i].evictions);
	}
	ruleset_free(rs);
	cidr_set_free(&internal);
	return 0;
}
