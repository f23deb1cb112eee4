/*
 * keibictl.c: the detection engineer's and the CSIRT's command line.
 * Commands that read files work without a daemon: "parse" shows what lines
 * become, "test" runs every rule's sample lines, "alerts" prints an alert
 * file for people.  Every byte that came from a log line is escaped before
 * it reaches the terminal.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "linebuf.h"
#include "log.h"
#include "parser.h"
#include "record.h"
#include "rule.h"
#include "syslog.h"
#include "tz.h"

static const char	*ctl_config_path;	/* -c, or NULL */

static const char *const ctl_default_internal[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", NULL
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: keibictl [-c FILE] COMMAND [ARGS]\n"
"\n"
"Commands (they read files and need no running daemon):\n"
"  parse [--parser NAME] [--timezone TZ] [--internal CIDR,...] [--all]\n"
"        [--ref-time ISO8601] [FILE...]\n"
"        print each line of FILE (or standard input) as a JSON event;\n"
"        parser state (postfix queue ids) carries across lines;\n"
"        --all also prints a note for lines that are not events\n"
"  test [RULES...]\n"
"        run every sample line of every rule (default: the rules of -c)\n"
"  alerts [--list] [FILE]\n"
"        summarise a JSON Lines alert file for people: grouped by rule and\n"
"        internal origin, with counts, times, users and targets;\n"
"        --list prints one line per alert\n"
"  parsers\n"
"        list the parsers\n"
"\n"
"  -c FILE   configuration (default " CONFIG_DEFAULT_PATH " if it exists)\n"
"  -h        this text;  -V  version\n"
"See keibictl(1).\n");
}

/* The config of -c, or of the default path when it exists; NULL if none. */
static struct config *
ctl_config(void)
{
	struct config	*conf;
	char		*cause;
	const char	*path = ctl_config_path;

	if (path == NULL) {
		if (access(CONFIG_DEFAULT_PATH, R_OK) != 0)
			return NULL;
		path = CONFIG_DEFAULT_PATH;
	}
	if ((conf = config_load(path, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		exit(1);
	}
	return conf;
}

/* Parse "a,b,c" CIDRs into set; exits with a message on error. */
static void
ctl_parse_cidrs(struct cidr_set *set, const char *list)
{
	const char	*p = list, *comma, *cause;
	struct cidr	 c;
	size_t		 len;

	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (cidr_parse(&c, p, len, &cause) != 0) {
			fprintf(stderr, "keibictl: --internal %.*s: %s\n",
			    (int)len, p, cause);
			exit(2);
		}
		cidr_set_add(set, &c);
		p += len;
		if (*p == ',')
			p++;
	}
}

static void
ctl_default_networks(struct cidr_set *set)
{
	const char	*cause;
	struct cidr	 c;
	size_t		 i;

	for (i = 0; ctl_default_internal[i] != NULL; i++) {
		if (cidr_parse(&c, ctl_default_internal[i],
		    strlen(ctl_default_internal[i]), &cause) == 0)
			cidr_set_add(set, &c);
	}
}

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
ctl_parse_line(void *arg, const char *line, size_t len, int flags,
    uint64_t start, uint64_t end)
{
	struct ctl_parse	*cp = arg;
	struct record		*rec = &cp->rec;
	char			*s;
	int			 rc;

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
ctl_cmd_parse(int argc, char **argv)
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
	struct config		*conf = NULL;
	struct cidr_set		 internal;
	const char		*pname = NULL, *tzname = NULL, *ref = NULL;
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
			tzname = optarg;
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
			usage(stderr);
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
	if (tzname == NULL && conf != NULL)
		tzname = conf->timezone;
	if (tzname != NULL && (tz = tz_open(tzname, &cause)) == NULL) {
		fprintf(stderr, "keibictl parse: --timezone %s: %s\n", tzname,
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
	cp.parser->state_free(cp.state);
	cidr_set_free(&internal);
	tz_free(tz);
	config_free(conf);
	return rc == 0 ? 0 : 1;
}

/* Run one sample of a rule; true if it behaved as declared. */
static bool
ctl_run_sample(struct ruleset *rs, struct rule *r, struct rule_sample *smp,
    struct cidr_set *internal, char **why)
{
	const struct parser	*p = parser_lookup(smp->parser);
	struct parser_opts	 po;
	struct record		 rec;
	void			*state;
	int			 rc, m;

	*why = NULL;
	if (p == NULL) {
		if (asprintf(why, "unknown parser '%s'", smp->parser) == -1)
			fatal("asprintf");
		return false;
	}
	memset(&po, 0, sizeof po);
	if ((state = p->state_new(&po)) == NULL)
		fatalx("parser state");
	record_reset(&rec);
	rec.line.p = smp->line;
	rec.line.len = strlen(smp->line);
	rc = p->parse(state, smp->line, strlen(smp->line), &rec);
	m = 0;
	if (rc == 1) {
		if (!record_has(&rec, RF_EVENT_DATASET))
			record_set(&rec, RF_EVENT_DATASET, p->dataset,
			    strlen(p->dataset));
		record_finish(&rec, internal);
		m = rule_covers(r, record_get(&rec, RF_EVENT_DATASET)) ?
		    rule_match(rs, r, &rec) : 0;
	}
	p->state_free(state);
	if (m == (smp->match ? 1 : 0))
		return true;
	if (asprintf(why, "%s", rc != 1 ? "the line is not an event for "
	    "this parser" : smp->match ? "expected a match, got none" :
	    "matched, but must not") == -1)
		fatal("asprintf");
	return false;
}

static int
ctl_cmd_test(int argc, char **argv)
{
	struct config	*conf = NULL;
	struct ruleset	*rs;
	struct cidr_set	 internal;
	char		*cause, *why, esc[512];
	size_t		 i, j, pass = 0, fail = 0, pos;

	cidr_set_init(&internal);
	if (argc > 1)
		rs = ruleset_load(argv + 1, (size_t)argc - 1, &cause);
	else {
		if ((conf = ctl_config()) == NULL) {
			fprintf(stderr, "keibictl test: name rule files or "
			    "folders, or a configuration with -c\n");
			return 2;
		}
		rs = ruleset_load(conf->rules, conf->nrules, &cause);
	}
	if (rs == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		config_free(conf);
		return 1;
	}
	if (conf != NULL) {
		for (j = 0; j < conf->internal.n; j++)
			cidr_set_add(&internal, &conf->internal.v[j]);
	} else
		ctl_default_networks(&internal);

	for (i = 0; i < rs->n; i++) {
		struct rule	*r = rs->v[i];

		pos = 0;
		for (j = 0; j < r->nsamples; j++) {
			if (r->samples[j].match)
				pos++;
			if (ctl_run_sample(rs, r, &r->samples[j], &internal,
			    &why)) {
				pass++;
				continue;
			}
			fail++;
			printf("FAIL %s:%d: %s sample: %s\n     %s\n", r->file,
			    r->samples[j].lineno, r->id, why,
			    log_escape(r->samples[j].line,
			    strlen(r->samples[j].line), esc, sizeof esc));
			free(why);
		}
		if (pos == 0) {
			fail++;
			printf("FAIL %s:%d: %s has no sample line that must "
			    "match\n", r->file, r->lineno, r->id);
		}
	}
	printf("%zu rules, %zu samples passed, %zu failed\n", rs->n, pass,
	    fail);
	ruleset_free(rs);
	cidr_set_free(&internal);
	config_free(conf);
	return fail == 0 ? 0 : 1;
}

/* A string member, escaped for the terminal, or "-". */
static const char *
ctl_str(json_t *o, const char *path, char *buf, size_t size)
{
	json_t		*v = o;
	char		 key[128];
	const char	*p = path, *dot;
	size_t		 n;

	/* Keys hold dots themselves ("source.ip"): try the whole rest first. */
	while (v != NULL && *p != '\0') {
		json_t	*whole = json_object_get(v, p);

		if (whole != NULL) {
			v = whole;
			break;
		}
		dot = strchr(p, '/');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof key)
			return "-";
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		p += n + (dot != NULL);
		if (dot == NULL)
			break;
	}
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (!json_is_string(v))
		return "-";
	return log_escape(json_string_value(v), json_string_length(v), buf,
	    size);
}

/* Add value v to the set object set (keys only). */
static void
ctl_set_add(json_t *set, json_t *v)
{
	if (json_is_string(v))
		json_object_set_new(set, json_string_value(v), json_true());
}

/* Print up to max keys of a set, escaped, with a count of the rest. */
static void
ctl_set_print(const char *label, json_t *set, size_t max)
{
	const char	*k;
	json_t		*v;
	size_t		 n = 0, total = json_object_size(set);
	char		 esc[256];

	if (total == 0)
		return;
	printf("    %s:", label);
	json_object_foreach(set, k, v) {
		if (n++ == max)
			break;
		printf(" %s", log_escape(k, strlen(k), esc, sizeof esc));
	}
	if (total > max)
		printf(" (+%zu more)", total - max);
	printf("\n");
}

/*
 * Alerts grouped by rule and internal actor (source address, else user),
 * with counts, event-time span and the remote targets: what a person wants
 * to read first.  --list prints every alert instead.
 */
static int
ctl_cmd_alerts(int argc, char **argv)
{
	FILE		*f = stdin;
	const char	*name = "<stdin>", *key;
	json_error_t	 err;
	json_t		*o, *groups, *g, *ev;
	char		*line = NULL, gkey[512];
	size_t		 cap = 0, n = 0, nalerts = 0;
	ssize_t		 len;
	bool		 list = false;
	int		 i;
	char		 t[64], sev[16], id[80], title[256], src[80], who[80],
			 dst[160], user[80];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0)
			list = true;
		else if (f == stdin) {
			name = argv[i];
			if ((f = fopen(name, "r")) == NULL) {
				fprintf(stderr, "keibictl: %s: %s\n", name,
				    strerror(errno));
				return 1;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	groups = json_object();
	while ((len = getline(&line, &cap, f)) != -1) {
		n++;
		if ((o = json_loadb(line, (size_t)len, 0, &err)) == NULL) {
			fprintf(stderr, "keibictl: %s:%zu: %s\n", name, n,
			    err.text);
			continue;
		}
		nalerts++;
		ev = json_object_get(o, "event");
		if (list) {
			printf("%s  %-8s %-12s %s: %s -> %s  %s\n",
			    ctl_str(o, "@timestamp", t, sizeof t),
			    ctl_str(o, "rule/severity", sev, sizeof sev),
			    ctl_str(o, "rule/id", id, sizeof id),
			    ctl_str(o, "source", src, sizeof src),
			    ctl_str(o, "event/source.ip", who, sizeof who),
			    ctl_str(o, json_object_get(ev, "url.domain") ?
			    "event/url.domain" : json_object_get(ev,
			    "email.to.address") ? "event/email.to.address" :
			    "event/destination.ip", dst, sizeof dst),
			    ctl_str(o, "event/user.name", user, sizeof user));
			json_decref(o);
			continue;
		}
		snprintf(gkey, sizeof gkey, "%s\t%s",
		    ctl_str(o, "rule/id", id, sizeof id),
		    json_object_get(ev, "source.ip") != NULL ?
		    ctl_str(o, "event/source.ip", who, sizeof who) :
		    ctl_str(o, "event/user.name", who, sizeof who));
		if ((g = json_object_get(groups, gkey)) == NULL) {
			g = json_pack("{s:O,s:i,s:O,s:O,s:o,s:o}",
			    "rule", json_object_get(o, "rule"), "count", 0,
			    "first", json_object_get(o, "@timestamp"),
			    "last", json_object_get(o, "@timestamp"),
			    "remote", json_object(), "users", json_object());
			json_object_set_new(groups, gkey, g);
		}
		json_object_set_new(g, "count", json_integer(
		    json_integer_value(json_object_get(g, "count")) + 1));
		json_object_set(g, "last", json_object_get(o, "@timestamp"));
		ctl_set_add(json_object_get(g, "remote"),
		    json_object_get(ev, "url.domain") != NULL ?
		    json_object_get(ev, "url.domain") :
		    json_object_get(ev, "email.to.address") != NULL ?
		    json_object_get(ev, "email.to.address") :
		    json_object_get(ev, "destination.ip"));
		ctl_set_add(json_object_get(g, "users"),
		    json_object_get(ev, "user.name"));
		json_decref(o);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (!list) {
		json_object_foreach(groups, key, g) {
			const char	*tab = strchr(key, '\t');

			printf("%-8s %-12s %s\n",
			    ctl_str(g, "rule/severity", sev, sizeof sev),
			    ctl_str(g, "rule/id", id, sizeof id),
			    ctl_str(g, "rule/title", title, sizeof title));
			printf("    origin: %s (our host)  alerts: %lld  "
			    "from %s to %s\n", log_escape(tab + 1, strlen(tab + 1),
			    who, sizeof who), (long long)json_integer_value(
			    json_object_get(g, "count")),
			    ctl_str(g, "first", t, sizeof t),
			    ctl_str(g, "last", dst, sizeof dst));
			ctl_set_print("users", json_object_get(g, "users"), 5);
			ctl_set_print("targets", json_object_get(g, "remote"),
			    5);
		}
		printf("%zu alerts in %zu groups\n", nalerts,
		    json_object_size(groups));
	}
	json_decref(groups);
	return 0;
}

static int
ctl_cmd_parsers(void)
{
	size_t	i;

	for (i = 0; parser_registry[i] != NULL; i++)
		printf("%-12s %-20s %s\n", parser_registry[i]->name,
		    parser_registry[i]->dataset,
		    parser_registry[i]->description);
	return 0;
}

int
main(int argc, char **argv)
{
	int	ch;

	log_init("keibictl", LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "+c:hV")) != -1) {
		switch (ch) {
		case 'c':
			ctl_config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("keibictl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "parse") == 0)
		return ctl_cmd_parse(argc, argv);
	if (strcmp(argv[0], "test") == 0)
		return ctl_cmd_test(argc, argv);
	if (strcmp(argv[0], "alerts") == 0)
		return ctl_cmd_alerts(argc, argv);
	if (strcmp(argv[0], "parsers") == 0)
		return ctl_cmd_parsers();
	fprintf(stderr, "keibictl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
