/*
 * cmd_test.c: keibictl test, which runs every sample line of every rule
 * through its parser and that rule, offline.
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
#include "log.h"
#include "parser.h"
#include "record.h"
#include "rule.h"

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
ctl_test_exec(int argc, char **argv)
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

const struct ctl_cmd ctl_cmd_test = {
	.name = "test",
	.usage =
"test [RULES...]\n"
"        run every sample line of every rule (default: the rules of -c)",
	.exec = ctl_test_exec,
};
