/*
 * bench_parse.c: parse-only and parse+match throughput of keibi's own
 * code, without I/O: each file is mapped and its lines are fed to the
 * parser (and with --rules, to the shipped rules) exactly as the daemon
 * does.  Prints lines/s, MB/s and CPU seconds; --dump-regex prints the
 * rules' regular expressions for the pcre2grep floor.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parser.h"
#include "record.h"
#include "rule.h"

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

int
main(int argc, char **argv)
{
	struct ruleset		*rs = NULL;
	struct cidr_set		 internal;
	struct parser_opts	 po;
	struct record		 rec;
	struct stat		 sb;
	struct cidr		 c;
	struct rusage		 ru;
	const char		*cause;
	char			*err, *rules = NULL, *label = "parse";
	uint64_t		 lines = 0, bytes = 0, events = 0, alerts = 0;
	double			 cpu0, wall0, cpu, wall;
	size_t			 i, j;
	int			 a = 1;

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
	if (argc > 2 && strcmp(argv[1], "--rules") == 0) {
		rules = argv[2];
		label = "parse+match";
		a = 3;
		if ((rs = ruleset_load(&rules, 1, &err)) == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	if ((argc - a) < 2 || (argc - a) % 2 != 0) {
		fprintf(stderr, "usage: bench_parse [--rules DIR] PARSER FILE "
		    "[PARSER FILE...]\n       bench_parse --dump-regex DIR\n");
		return 2;
	}
	cidr_set_init(&internal);
	cidr_parse(&c, "10.0.0.0/8", 10, &cause);
	cidr_set_add(&internal, &c);
	memset(&po, 0, sizeof po);
	po.ref_us = (int64_t)1795219200 * 1000000;

	cpu0 = bench_cpu();
	wall0 = bench_wall();
	for (; a + 1 < argc; a += 2) {
		const struct parser	*p = parser_lookup(argv[a]);
		void			*st;
		char			*map, *end, *line, *nl;
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
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
		st = p->state_new(&po);
		end = map + sb.st_size;
		for (line = map; line < end; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
				nl = end;
			lines++;
			record_reset(&rec);
			rec.line.p = line;
			rec.line.len = (size_t)(nl - line);
			if (p->parse(st, line, (size_t)(nl - line), &rec) != 1)
				continue;
			events++;
			if (!record_has(&rec, RF_EVENT_DATASET))
				record_set(&rec, RF_EVENT_DATASET, p->dataset,
				    strlen(p->dataset));
			record_finish(&rec, &internal);
			if (rs != NULL)
				alerts += ruleset_match(rs, &rec, NULL, NULL);
		}
		bytes += (uint64_t)sb.st_size;
		p->state_free(st);
		munmap(map, (size_t)sb.st_size);
		close(fd);
	}
	cpu = bench_cpu() - cpu0;
	wall = bench_wall() - wall0;
	getrusage(RUSAGE_SELF, &ru);
	printf("%-22s %12.0f lines/s %9.1f MB/s %7.2f cpu-s %8ld KiB peak RSS"
	    "   (%llu lines, %llu events, %llu alerts)\n", label,
	    (double)lines / wall, (double)bytes / wall / 1e6, cpu, ru.ru_maxrss,
	    (unsigned long long)lines, (unsigned long long)events,
	    (unsigned long long)alerts);
	ruleset_free(rs);
	cidr_set_free(&internal);
	return 0;
}
