/*
 * bench_evidence.c: throughput of the evidence archive, and what it costs
 * the detection path.  Each file is mapped and its lines are handed to the
 * archive one by one, as a source hands them out: the calling thread only
 * copies bytes into chunks while the archive's worker thread compresses,
 * hashes and writes them (and seals, fsyncs and chains the segments).
 * With --rules DIR, every line is also parsed and matched against the
 * rules on the calling thread, as the daemon's loop does, so the figure
 * can be set beside bench_parse --rules: on two cores the archive should
 * cost the loop almost nothing.  Prints lines/s, MB/s, CPU seconds of the
 * whole process and peak RSS; the archive is written under a temporary
 * folder (in -d DIR, default /tmp) that is removed afterwards.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "evidence.h"
#include "log.h"
#include "parser.h"
#include "record.h"
#include "rule.h"

#ifdef HAVE_ISAL
#define BENCH_DEFLATE	"igzip"		/* what writes the gzip members */
#else
#define BENCH_DEFLATE	"zlib"
#endif

/* Seconds of CPU the whole process (both threads) used. */
static double
bench_cpu(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Monotonic seconds. */
static double
bench_wall(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* nftw callback: remove one entry of the scratch archive. */
static int
bench_rm(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

/* Sync callback: nothing to keep. */
static void
bench_synced(void *arg, const struct evidence_sync *y)
{
	*(int *)arg = y->ok ? 1 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_evidence [-d DIR] [-l LEVEL] "
	    "[--rules DIR] PARSER FILE [PARSER FILE...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct config		 conf;
	struct evidence		*ev;
	struct evidence_stream	*s;
	struct evidence_ident	 id;
	struct event_base	*base;
	struct ruleset		*rs = NULL;
	struct cidr_set		 internal;
	struct parser_opts	 po;
	struct record		 rec;
	struct stat		 sb;
	struct cidr		 c;
	struct rusage		 ru;
	const char		*cause;
	char			*err = NULL, *rules = NULL, *tmpl;
	const char		*dir = "/tmp";
	char			 label[64];
	uint64_t		 lines = 0, bytes = 0, alerts = 0;
	double			 cpu0, wall0, cpu, wall;
	int			 a = 1, level = 1, synced = 0;

	log_init("bench", LOG_LVL_WARN);
	while (a < argc && argv[a][0] == '-') {
		if (strcmp(argv[a], "-l") == 0 && a + 1 < argc)
			level = (int)strtol(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--rules") == 0 && a + 1 < argc)
			rules = argv[a + 1];
		else if (strcmp(argv[a], "-d") == 0 && a + 1 < argc)
			dir = argv[a + 1];
		else
			usage();
		a += 2;
	}
	if ((argc - a) < 2 || (argc - a) % 2 != 0 || level < 1 || level > 9)
		usage();
	if (asprintf(&tmpl, "%s/keibi-bench-XXXXXX", dir) == -1)
		fatal("asprintf");
	if (mkdtemp(tmpl) == NULL) {
		perror(tmpl);
		return 1;
	}
	if (rules != NULL && (rs = ruleset_load(&rules, 1, &err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cidr_set_init(&internal);
	cidr_parse(&c, "10.0.0.0/8", 10, &cause);
	cidr_set_add(&internal, &c);
	if (rs != NULL)
		ruleset_set_role(rs, ROLE_INTERNAL, &internal);
	memset(&po, 0, sizeof po);
	po.ref_us = (int64_t)1795219200 * 1000000;

	/* The daemon's defaults but the level, and no retention scan. */
	memset(&conf, 0, sizeof conf);
	conf.evidence_dir = tmpl;
	conf.evidence_level = (size_t)level;
	if ((base = event_base_new()) == NULL ||
	    (ev = evidence_open(&conf, base, 0, &err)) == NULL) {
		fprintf(stderr, "evidence: %s\n", err != NULL ? err : "?");
		return 1;
	}
	s = evidence_stream_open(ev, "bench", NULL);
	evidence_start(ev);

	cpu0 = bench_cpu();
	wall0 = bench_wall();
	for (; a + 1 < argc; a += 2) {
		const struct parser	*p = parser_lookup(argv[a]);
		void			*st;
		char			*map, *end, *line, *nl, *next;
		int			 fd;

		if (p == NULL) {
			fprintf(stderr, "unknown parser %s\n", argv[a]);
			return 2;
		}
		if ((fd = open(argv[a + 1], O_RDONLY)) == -1 ||
		    fstat(fd, &sb) != 0) {
			perror(argv[a + 1]);
			return 1;
		}
		if (sb.st_size == 0) {
			close(fd);
			continue;
		}
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd,
		    0);
		if (map == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
		id.dev = (uint64_t)sb.st_dev;
		id.ino = (uint64_t)sb.st_ino;
		id.path = argv[a + 1];
		id.tag = 0;
		st = p->state_new(&po);
		end = map + sb.st_size;
		for (line = map; line < end; line = next) {
			if ((nl = memchr(line, '\n', (size_t)(end - line))) ==
			    NULL)
				nl = next = end;
			else
				next = nl + 1;
			/* The loop waits for the worker as a source does. */
			while (evidence_busy(s))
				usleep(200);
			evidence_append(s, &id, (uint64_t)(line - map), line,
			    (size_t)(next - line));
			lines++;
			if (rs == NULL)
				continue;
			record_reset(&rec);
			rec.line.p = line;
			rec.line.len = (size_t)(nl - line);
			if (p->parse(st, line, (size_t)(nl - line), &rec) != 1)
				continue;
			if (!record_has(&rec, RF_EVENT_DATASET))
				record_set(&rec, RF_EVENT_DATASET, p->dataset,
				    strlen(p->dataset));
			record_finish(&rec, &internal);
			alerts += ruleset_match(rs, &rec, NULL, NULL);
		}
		bytes += (uint64_t)sb.st_size;
		evidence_seal(s, "rotation");
		p->state_free(st);
		munmap(map, (size_t)sb.st_size);
		close(fd);
	}
	/* Everything sealed, fsynced and in the manifest. */
	evidence_seal_all(ev, "shutdown");
	if (evidence_sync(ev, bench_synced, &synced) != 0 ||
	    evidence_wait(ev, 600000) != 0 || synced != 1) {
		fprintf(stderr, "evidence: the archive could not be synced\n");
		return 1;
	}
	cpu = bench_cpu() - cpu0;
	wall = bench_wall() - wall0;
	evidence_close(ev, false);
	event_base_free(base);
	getrusage(RUSAGE_SELF, &ru);
	snprintf(label, sizeof label, "%sevidence -%d %s", rs != NULL ?
	    "parse+match+" : "", level, BENCH_DEFLATE);
	printf("%-22s %12.0f lines/s %9.1f MB/s %7.2f cpu-s %8ld KiB peak RSS"
	    "%s\n", label, (double)lines / wall, (double)bytes / wall / 1e6,
	    cpu, ru.ru_maxrss, rs != NULL ? "   (rules on this thread, "
	    "archive on the worker)" : "");
	(void)alerts;
	ruleset_free(rs);
	cidr_set_free(&internal);
	nftw(tmpl, bench_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpl);
	return 0;
}
