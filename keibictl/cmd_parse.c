/*
 * cmd_parse.c: keibictl parse, the rule writer's view of what lines become.
 * Lines are framed exactly as keibid frames them (same cap, same flags),
 * parser state carries across lines, and the output is JSON, so no byte of
 * a line reaches the terminal raw.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keibictl.h"
#include "linebuf.h"
#include "log.h"
#include "parser.h"
#include "record.h"
#include "sysloghdr.h"
#include "tz.h"

struct ctl_parse {
	const struct parser	*parser;
	void			*state;
	struct cidr_set		*internal;
	struct record		 rec;
	bool			 all;
	uint64_t		 lineno;
	uint64_t		 events;
};

static void
ctl_parse_line(void *arg, const char *line, size_t used, size_t len,
    int flags, uint64_t start)
{
	struct ctl_parse	*cp = arg;
	struct record		*rec = &cp->rec;
	char			*s;
	int			 rc;

	if (flags & LB_SKIP)
		return;
	cp->lineno++;
	record_reset(rec);
	rec->line.p = line;
	rec->line.len = len;
	if (flags & LB_TRUNCATED)
		rec->flags |= REC_TRUNCATED;
	if (flags & LB_PARTIAL)
		rec->flags |= REC_PARTIAL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	rc = cp->parser->parse(cp->state, line, len, rec);
	if (rc == 1) {
		if (!record_has(rec, RF_EVENT_DATASET))
			record_set(rec, RF_EVENT_DATASET, cp->parser->dataset,
			    strlen(cp->parser->dataset));
		record_finish(rec, cp->internal);
		s = record_to_json(rec);
		printf("%s\n", s);
		free(s);
		cp->events++;
	} else if (cp->all)
		printf("{\"line\":%llu,\"result\":\"%s\"}\n",
		    (unsigned long long)cp->lineno,
		    rc == 0 ? "ignored" : "malformed");
}

/* Feed fd through the line framing into ctl_parse_line. */
static int
ctl_parse_fd(struct ctl_parse *cp, int fd, const char *name)
{
	struct linebuf	 lb;
	size_t		 avail;
	ssize_t		 n;
	char		*p;

	linebuf_init(&lb, CONFIG_MAX_LINE_DEFAULT, 0);
	for (;;) {
		p = linebuf_space(&lb, &avail);
		n = read(fd, p, avail);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "keibictl: %s: %s\n", name,
			    strerror(errno));
			linebuf_free(&lb);
			return -1;
		}
		if (n == 0)
			break;
		linebuf_commit(&lb, (size_t)n, ctl_parse_line, cp);
	}
	linebuf_flush(&lb, ctl_parse_line, cp);
	linebuf_free(&lb);
	return 0;
}

static int
ctl_parse_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "parser", required_argument, NULL, 'p' },
		{ "timezone", required_argument, NULL, 't' },
		{ "internal", required_argument, NULL, 'i' },
		{ "ref-time", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_parse	 cp;
	struct parser_opts	 po;
	const struct parser_stats	*ps;
	struct config		*conf = NULL;
	struct cidr_set		 internal;
	const char		*pname = NULL, *zone = NULL, *ref = NULL;
	const char		*internal_arg = NULL, *cause = NULL;
	struct tz		*tz = NULL;
	int			 ch, i, fd, rc = 0;
	int32_t			 off;
	uint8_t			 digits;

	memset(&cp, 0, sizeof cp);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:t:i:r:a", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'p':
			pname = optarg;
			break;
		case 't':
			zone = optarg;
			break;
		case 'i':
			internal_arg = optarg;
			break;
		case 'r':
			ref = optarg;
			break;
		case 'a':
			cp.all = true;
			break;
		default:
			ctl_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (pname == NULL) {
		fprintf(stderr, "keibictl parse: --parser NAME is required "
		    "(keibictl parsers lists them)\n");
		return 2;
	}
	if ((cp.parser = parser_lookup(pname)) == NULL) {
		fprintf(stderr, "keibictl parse: unknown parser '%s' "
		    "(keibictl parsers lists them)\n", pname);
		return 2;
	}
	cidr_set_init(&internal);
	if (internal_arg != NULL)
		ctl_parse_cidrs(&internal, internal_arg);
	else if ((conf = ctl_config()) != NULL) {
		size_t	j;

		for (j = 0; j < conf->internal.n; j++)
			cidr_set_add(&internal, &conf->internal.v[j]);
	} else
		ctl_default_networks(&internal);
	if (zone == NULL && conf != NULL)
		zone = conf->timezone;
	if (zone != NULL && (tz = tz_open(zone, &cause)) == NULL) {
		fprintf(stderr, "keibictl parse: --timezone %s: %s\n", zone,
		    cause);
		return 2;
	}
	memset(&po, 0, sizeof po);
	po.tz = tz;
	po.max_queue = conf != NULL ? conf->max_queue : 0;
	if (ref == NULL)
		ref = getenv("KEIBI_REF_TIME");
	if (ref != NULL && iso8601_parse(ref, strlen(ref), NULL, &po.ref_us,
	    &off, &digits) != strlen(ref)) {
		fprintf(stderr, "keibictl parse: bad reference time '%s' "
		    "(expected ISO 8601, e.g. 2026-11-21T12:00:00Z)\n", ref);
		return 2;
	}
	if ((cp.state = cp.parser->state_new(&po)) == NULL)
		fatalx("parser state");
	cp.internal = &internal;

	if (argc == 0)
		rc = ctl_parse_fd(&cp, STDIN_FILENO, "<stdin>");
	for (i = 0; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "keibictl: %s: %s\n", argv[i],
			    strerror(errno));
			rc = -1;
			continue;
		}
		if (ctl_parse_fd(&cp, fd, argv[i]) != 0)
			rc = -1;
		close(fd);
	}
	/* "auto" says what it decided (stderr: stdout is the events). */
	if (cp.parser->stats != NULL &&
	    (ps = cp.parser->stats(cp.state)) != NULL &&
	    strcmp(cp.parser->name, "auto") == 0)
		fprintf(stderr, "keibictl parse: auto: format %s, %llu "
		    "change%s\n", ps->format != NULL ? ps->format :
		    "undecided", (unsigned long long)ps->switches,
		    ps->switches == 1 ? "" : "s");
	cp.parser->state_free(cp.state);
	cidr_set_free(&internal);
	tz_free(tz);
	config_free(conf);
	return rc == 0 ? 0 : 1;
}

const struct ctl_cmd ctl_cmd_parse = {
	.name = "parse",
	.usage =
"parse --parser NAME [--timezone TZ] [--internal CIDR,...] [--all]\n"
"        [--ref-time ISO8601] [FILE...]\n"
"        print each line of FILE (or standard input) as a JSON event;\n"
"        parser state (postfix queue ids) carries across lines;\n"
"        --all also prints a note for lines that are not events",
	.exec = ctl_parse_exec,
};
