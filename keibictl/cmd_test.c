/*
 * cmd_test.c: keibictl test, the rule writer's bench, offline.  It runs
 * every sample line of every rule through its parser and that rule (the
 * exit status says whether all behaved as declared); given log files, it
 * replays them through the parser and the whole detection on the times in
 * the lines, showing per line the event fields, the rules that matched,
 * the near misses (rules that failed on one condition only, and which),
 * and the alerts correlations and detectors raise, those judged at the
 * end of input included.  It never talks to a daemon and every byte that
 * came from a log line is escaped before it reaches the terminal.
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

#include "detect.h"
#include "keibictl.h"
#include "linebuf.h"
#include "log.h"
#include "parser.h"
#include "record.h"
#include "rule.h"
#include "tz.h"

struct ctl_test {
	struct ruleset		*rs;
	const struct parser	*parser;
	void			*state;
	struct cidr_set		*internal;
	struct record		 rec;
	const char		*name;		/* file being replayed */
	bool			 quiet;		/* alerts only */
	uint64_t		 lineno;
	uint64_t		 lines;
	uint64_t		 events;
	uint64_t		 alerts;
	char			 matched[1024];
	size_t			 mlen;
};

/* Conditions of r on rec; a correlation fed by rules needs one of them. */
static int
ctl_rule_match(struct ruleset *rs, struct rule *r, const struct record *rec)
{
	size_t	i;
	int	any = 0;

	if (!rule_covers(r, record_get(rec, RF_EVENT_DATASET)))
		return 0;
	for (i = 0; i < r->corr.nrules && !any; i++)
		if (r->corr.inputs[i] != NULL &&
		    rule_covers(r->corr.inputs[i], record_get(rec,
		    RF_EVENT_DATASET)) &&
		    rule_match(rs, r->corr.inputs[i], rec))
			any = 1;
	if (r->corr.nrules > 0 && !any)
		return 0;
	return rule_match(rs, r, rec);
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
	char			 buf[512];
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
	buf[0] = '\0';
	if (rc == 1) {
		if (!record_has(&rec, RF_EVENT_DATASET))
			record_set(&rec, RF_EVENT_DATASET, p->dataset,
			    strlen(p->dataset));
		record_finish(&rec, internal);
		m = ctl_rule_match(rs, r, &rec);
		if (!m && smp->match)
			(void)rule_explain(rs, r, &rec, buf, sizeof buf);
	}
	p->state_free(state);
	if (m == (smp->match ? 1 : 0))
		return true;
	if (asprintf(why, "%s%s%s", rc != 1 ? "the line is not an event for "
	    "this parser" : smp->match ? "expected a match, got none" :
	    "matched, but must not", buf[0] != '\0' ? ": " : "", buf) == -1)
		fatal("asprintf");
	return false;
}

/* Run every sample of every rule; returns the number that failed. */
static size_t
ctl_run_samples(struct ruleset *rs, struct cidr_set *internal, bool quiet)
{
	char	*why, esc[512];
	size_t	 i, j, pass = 0, fail = 0, pos;

	for (i = 0; i < rs->n; i++) {
		struct rule	*r = rs->v[i];

		pos = 0;
		for (j = 0; j < r->nsamples; j++) {
			if (r->samples[j].match)
				pos++;
			if (ctl_run_sample(rs, r, &r->samples[j], internal,
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
	if (!quiet || fail > 0) {
		printf("%zu rules, ", rs->n);
		if (rs->noff > 0)
			printf("%zu disabled by overrides, ", rs->noff);
		printf("%zu samples passed, %zu failed\n", pass, fail);
	}
	return fail;
}

/* An alert of the replay: one line for people. */
static int
ctl_test_alert(void *arg, struct rule *r, const struct record *rec)
{
	struct ctl_test	*ct = arg;
	struct span	 reason = SPAN_NULL, src = SPAN_NULL;
	char		 esc[768], tbuf[64], sesc[64];

	/* Unset fields hold stale spans: only record_has() says what is set. */
	if (record_has(rec, RF_EVENT_REASON))
		reason = record_get(rec, RF_EVENT_REASON);
	if (record_has(rec, RF_SOURCE_IP))
		src = record_get(rec, RF_SOURCE_IP);

	ct->alerts++;
	tbuf[0] = '\0';
	if (rec->has_ts)
		record_format_time(rec->ts_us, rec->tz_off, 0, tbuf,
		    sizeof tbuf);
	log_escape(src.p != NULL ? src.p : "-", src.p != NULL ? src.len : 1,
	    sesc, sizeof sesc);
	if (r->kind != RK_MATCH && reason.len > 0)
		log_escape(reason.p, reason.len, esc, sizeof esc);
	else
		log_escape(r->title, strlen(r->title), esc, sizeof esc);
	printf("  ALERT %s [%s] %s %s: %s\n", r->id, r->severity, tbuf, sesc,
	    esc);
	return 0;
}

/* Collect the ids of rules whose conditions held (for the line report). */
static int
ctl_test_matched(void *arg, struct rule *r, const struct record *rec)
{
	struct ctl_test	*ct = arg;
	int		 n;

	if (ct->mlen >= sizeof ct->matched - 1)
		return 0;
	n = snprintf(ct->matched + ct->mlen, sizeof ct->matched - ct->mlen,
	    "%s%s", ct->mlen > 0 ? " " : "", r->id);
	if (n > 0)
		ct->mlen += (size_t)n;
	if (ct->mlen >= sizeof ct->matched)
		ct->mlen = sizeof ct->matched - 1;
	return 0;
}

/* The per-line report: fields, matches and near misses. */
static void
ctl_test_report(struct ctl_test *ct, const struct record *rec)
{
	struct ruleset	*rs = ct->rs;
	struct rule	*r;
	char		*json, why[512];
	size_t		 i, held;

	json = record_to_json(rec);
	printf("  event: %s\n", json);
	free(json);
	ct->mlen = 0;
	ct->matched[0] = '\0';
	(void)ruleset_match(rs, rec, ctl_test_matched, ct);
	printf("  matched: %s\n", ct->mlen > 0 ? ct->matched : "(none)");
	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (r->root.nkids < 2 || r->corr.nrules > 0 ||
		    !rule_covers(r, record_get(rec, RF_EVENT_DATASET)) ||
		    rule_match(rs, r, rec))
			continue;
		held = rule_explain(rs, r, rec, why, sizeof why);
		if (held + 1 == r->root.nkids)
			printf("  near miss %s: %s\n", r->id, why);
	}
}

static void
ctl_test_line(void *arg, const char *line, size_t used, size_t len,
    int flags, uint64_t start)
{
	struct ctl_test	*ct = arg;
	struct record	*rec = &ct->rec;
	char		 esc[1024];
	int		 rc;

	if (flags & LB_SKIP)
		return;
	ct->lineno++;
	ct->lines++;
	record_reset(rec);
	rec->line.p = line;
	rec->line.len = len;
	rec->source = ct->name;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (!ct->quiet)
		printf("%s:%llu: %s\n", ct->name,
		    (unsigned long long)ct->lineno, log_escape(line, len, esc,
		    sizeof esc));
	rc = ct->parser->parse(ct->state, line, len, rec);
	if (rc != 1) {
		if (!ct->quiet)
			printf("  %s\n", rc == 0 ? "not an event" :
			    "malformed");
		return;
	}
	ct->events++;
	if (!record_has(rec, RF_EVENT_DATASET))
		record_set(rec, RF_EVENT_DATASET, ct->parser->dataset,
		    strlen(ct->parser->dataset));
	record_finish(rec, ct->internal);
	if (!ct->quiet)
		ctl_test_report(ct, rec);
	detect_event(ct->rs, rec, ctl_test_alert, ct);
}

/* Replay one file through the line framing. */
static int
ctl_test_file(struct ctl_test *ct, const char *path)
{
	struct linebuf	 lb;
	struct stat	 sb;
	size_t		 avail;
	ssize_t		 n;
	char		*p;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) != 0) {
		fprintf(stderr, "keibictl: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* Year-less syslog times are read relative to the file's mtime. */
	if (ct->parser->set_ref != NULL)
		ct->parser->set_ref(ct->state, (int64_t)sb.st_mtime * 1000000);
	ct->name = path;
	ct->lineno = 0;
	linebuf_init(&lb, CONFIG_MAX_LINE_DEFAULT, 0);
	for (;;) {
		p = linebuf_space(&lb, &avail);
		n = read(fd, p, avail);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		linebuf_commit(&lb, (size_t)n, ctl_test_line, ct);
	}
	linebuf_flush(&lb, ctl_test_line, ct);
	linebuf_free(&lb);
	close(fd);
	return n == -1 ? -1 : 0;
}

/* Whether an argument names rules (a folder or a .yml/.yaml file). */
static bool
ctl_test_is_rules(const char *arg)
{
	struct stat	sb;
	size_t		n = strlen(arg);

	if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
		return true;
	return (n > 4 && strcmp(arg + n - 4, ".yml") == 0) ||
	    (n > 5 && strcmp(arg + n - 5, ".yaml") == 0);
}

static int
ctl_test_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "parser", required_argument, NULL, 'p' },
		{ "timezone", required_argument, NULL, 't' },
		{ "internal", required_argument, NULL, 'i' },
		{ "alerts", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_test		 ct;
	struct config		*conf = NULL;
	struct ruleset		*rs;
	struct cidr_set		 internal;
	struct parser_opts	 po;
	struct tz		*tz = NULL;
	const char		*pname = NULL, *zone = NULL;
	const char		*internal_arg = NULL;
	const char		*tzcause;
	char			*cause, **rules, **logs;
	size_t			 nrules = 0, nlogs = 0, fail, j;
	int			 ch, i, rc = 0;

	memset(&ct, 0, sizeof ct);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:t:i:a", longopts,
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
		case 'a':
			ct.quiet = true;
			break;
		default:
			ctl_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if ((rules = calloc((size_t)argc + 1, sizeof *rules)) == NULL ||
	    (logs = calloc((size_t)argc + 1, sizeof *logs)) == NULL)
		fatal("calloc");
	for (i = 0; i < argc; i++) {
		if (ctl_test_is_rules(argv[i]))
			rules[nrules++] = argv[i];
		else
			logs[nlogs++] = argv[i];
	}
	conf = ctl_config();
	if (nrules > 0)
		rs = ruleset_load(rules, nrules, &cause);
	else if (conf != NULL)
		rs = ruleset_load(conf->rules, conf->nrules, &cause);
	else {
		fprintf(stderr, "keibictl test: name rule files or folders, "
		    "or a configuration with -c\n");
		free(rules);
		free(logs);
		return 2;
	}
	free(rules);
	if (rs == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		free(logs);
		config_free(conf);
		return 1;
	}
	cidr_set_init(&internal);
	if (internal_arg != NULL)
		ctl_parse_cidrs(&internal, internal_arg);
	else if (conf != NULL) {
		for (j = 0; j < conf->internal.n; j++)
			cidr_set_add(&internal, &conf->internal.v[j]);
	} else
		ctl_default_networks(&internal);
	ruleset_set_role(rs, ROLE_INTERNAL, &internal);
	if (conf != NULL) {
		ruleset_set_role(rs, ROLE_MAIL_SERVERS, &conf->mail_servers);
		ruleset_set_role(rs, ROLE_PROXIES, &conf->proxies);
		ruleset_set_role(rs, ROLE_DNS_SERVERS, &conf->dns_servers);
	}

	fail = ctl_run_samples(rs, &internal, nlogs > 0);
	if (nlogs > 0) {
		if (pname == NULL || (ct.parser = parser_lookup(pname)) ==
		    NULL) {
			fprintf(stderr, "keibictl test: log files need "
			    "--parser NAME (keibictl parsers lists them)\n");
			rc = 2;
			goto out;
		}
		if (zone == NULL && conf != NULL)
			zone = conf->timezone;
		if (zone != NULL && (tz = tz_open(zone, &tzcause)) == NULL) {
			fprintf(stderr, "keibictl test: --timezone %s: %s\n",
			    zone, tzcause);
			rc = 2;
			goto out;
		}
		memset(&po, 0, sizeof po);
		po.tz = tz;
		po.max_queue = conf != NULL ? conf->max_queue : 0;
		if ((ct.state = ct.parser->state_new(&po)) == NULL)
			fatalx("parser state");
		ct.rs = rs;
		ct.internal = &internal;
		for (j = 0; j < nlogs; j++)
			if (ctl_test_file(&ct, logs[j]) != 0)
				rc = 1;
		/* End of input: judge what detectors hold, as keibid --once. */
		if (!ct.quiet)
			printf("end of input: judging what detectors hold\n");
		detect_flush(rs, ctl_test_alert, &ct);
		ct.parser->state_free(ct.state);
		printf("%llu lines, %llu events, %llu alerts\n",
		    (unsigned long long)ct.lines,
		    (unsigned long long)ct.events,
		    (unsigned long long)ct.alerts);
	}
	if (fail > 0)
		rc = 1;
out:
	free(logs);
	ruleset_free(rs);
	cidr_set_free(&internal);
	tz_free(tz);
	config_free(conf);
	return rc;
}

const struct ctl_cmd ctl_cmd_test = {
	.name = "test",
	.usage =
"test [--parser NAME] [--alerts] [--timezone TZ] [--internal CIDR,...]\n"
"        [RULES...] [LOGFILE...]\n"
"        run every sample line of every rule (default: the rules of -c);\n"
"        with log files, replay them on event time and show per line the\n"
"        event, the rules matched, near misses and the alerts raised\n"
"        (--alerts: the alerts only); exit 1 if a sample fails",
	.exec = ctl_test_exec,
};
