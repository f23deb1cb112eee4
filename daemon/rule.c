/*
 * rule.c: loading and matching of detection rules.  Files are YAML (libyaml
 * document API); every problem is reported as "file:line:column: reason"
 * and loading goes on so that all of them are reported at once.  Matching
 * never allocates: one PCRE2 match-data block and one JIT stack serve every
 * rule, and each match attempt is bounded by match, depth and heap limits.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "log.h"
#include "rule.h"

#define RULE_MAX_FILE_SIZE	(16 * 1024 * 1024)
#define RULE_MAX_RULES		100000
#define RULE_MAX_ID		64

struct rule_errs {
	char		*buf;
	size_t		 len;
	unsigned int	 n;
};

struct rule_load {
	const char	*file;
	yaml_document_t	*doc;
	struct rule_errs *errs;
	struct ruleset	*rs;
};

static const char *const rule_categories[] = {
	"outbound_attack", "worm_spread", "beacon", "outbound_spam",
	"data_exfiltration", "malware", "policy_violation", NULL
};
static const char *const rule_severities[] = {
	"low", "medium", "high", "critical", NULL
};

static const struct {
	const char	*name;
	enum cond_op	 op;
} rule_ops[] = {
	{ "equals", COND_EQUALS },
	{ "contains", COND_CONTAINS },
	{ "startswith", COND_STARTSWITH },
	{ "endswith", COND_ENDSWITH },
	{ "regex", COND_REGEX },
	{ "cidr", COND_CIDR },
	{ "exists", COND_EXISTS },
	{ "gt", COND_GT },
	{ "gte", COND_GTE },
	{ "lt", COND_LT },
	{ "lte", COND_LTE },
};

static void
rule_err(struct rule_errs *e, const char *file, const yaml_mark_t *m,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append one "file:line:column: reason" line to the error list. */
static void
rule_err(struct rule_errs *e, const char *file, const yaml_mark_t *m,
    const char *fmt, ...)
{
	char	msg[1024], line[1400];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (m != NULL)
		n = snprintf(line, sizeof line, "%s:%zu:%zu: %s\n", file,
		    m->line + 1, m->column + 1, msg);
	else
		n = snprintf(line, sizeof line, "%s: %s\n", file, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if ((e->buf = realloc(e->buf, e->len + (size_t)n + 1)) == NULL)
		fatal("realloc");
	memcpy(e->buf + e->len, line, (size_t)n + 1);
	e->len += (size_t)n;
	e->n++;
}

bool
rule_valid_category(const char *s)
{
	size_t	i;

	for (i = 0; rule_categories[i] != NULL; i++)
		if (strcmp(rule_categories[i], s) == 0)
			return true;
	return false;
}

bool
rule_valid_severity(const char *s)
{
	size_t	i;

	for (i = 0; rule_severities[i] != NULL; i++)
		if (strcmp(rule_severities[i], s) == 0)
			return true;
	return false;
}

/* The scalar text of a node, or NULL if it is not a scalar. */
static const char *
rule_scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static char *
rule_strdup(const char *s)
{
	char	*d;

	if ((d = strdup(s)) == NULL)
		fatal("strdup");
	return d;
}

/* A scalar child as a string copy, with an error when it is not one. */
static char *
rule_get_str(struct rule_load *ld, yaml_node_t *n, const char *key)
{
	const char	*s = rule_scalar(n);

	if (s == NULL) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'%s' must be a string", key);
		return NULL;
	}
	return rule_strdup(s);
}

static bool
rule_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static bool
rule_parse_u64(const char *s, uint64_t *out)
{
	struct span	sp = { s, strlen(s) };

	return span_to_u64(sp, out);
}

/* Compile one value of a condition; 0 or -1 (error reported). */
static int
rule_compile_value(struct rule_load *ld, struct cond *c, yaml_node_t *n,
    struct cond_value *v)
{
	const char	*s = rule_scalar(n), *cause;
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 eoff;
	uint32_t	 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int		 err;

	if (s == NULL) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "a condition value must be a scalar");
		return -1;
	}
	v->s = rule_strdup(s);
	v->len = n->data.scalar.length;
	switch (c->op) {
	case COND_REGEX:
		if (c->nocase)
			opts |= PCRE2_CASELESS;
		v->re = pcre2_compile((PCRE2_SPTR)v->s, v->len, opts, &err,
		    &eoff, NULL);
		if (v->re == NULL) {
			pcre2_get_error_message(err, msg, sizeof msg);
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "bad regex at offset %zu: %s", (size_t)eoff,
			    (char *)msg);
			return -1;
		}
		/* JIT failure is not an error: the interpreter has the same limits. */
		(void)pcre2_jit_compile(v->re, PCRE2_JIT_COMPLETE);
		break;
	case COND_CIDR:
		if (cidr_parse(&v->cidr, v->s, v->len, &cause) != 0) {
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "bad CIDR '%s': %s", v->s, cause);
			return -1;
		}
		break;
	case COND_GT:
	case COND_GTE:
	case COND_LT:
	case COND_LTE:
		if (!rule_parse_u64(v->s, &v->num)) {
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "'%s' is not a non-negative integer", v->s);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Fill c's values from a scalar or a sequence of scalars. */
static int
rule_compile_values(struct rule_load *ld, struct cond *c, yaml_node_t *n)
{
	yaml_node_item_t	*it;
	size_t			 i = 0, count;

	if (n->type == YAML_SEQUENCE_NODE) {
		count = (size_t)(n->data.sequence.items.top -
		    n->data.sequence.items.start);
		if (count == 0) {
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "an empty list of values never matches");
			return -1;
		}
		c->values = calloc(count, sizeof *c->values);
		if (c->values == NULL)
			fatal("calloc");
		c->nvalues = count;
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++, i++) {
			if (rule_compile_value(ld, c,
			    yaml_document_get_node(ld->doc, *it),
			    &c->values[i]) != 0)
				return -1;
		}
		return 0;
	}
	if ((c->values = calloc(1, sizeof *c->values)) == NULL)
		fatal("calloc");
	c->nvalues = 1;
	return rule_compile_value(ld, c, n, &c->values[0]);
}

/*
 * One field condition: "field: value", "field: [a, b]" or
 * "field: {op: value(s), nocase: true, not: true}".
 */
static int
rule_compile_cond(struct rule_load *ld, struct rule *r, yaml_node_t *key,
    yaml_node_t *val)
{
	yaml_node_pair_t	*p;
	struct cond		*c;
	const char		*fname = rule_scalar(key), *k, *s;
	yaml_node_t		*opval = NULL;
	int			 f, rc = 0;
	size_t			 i;

	if (fname == NULL || (f = record_field_lookup(fname,
	    strlen(fname))) < 0) {
		rule_err(ld->errs, ld->file, &key->start_mark,
		    "unknown event field '%s'", fname != NULL ? fname : "?");
		return -1;
	}
	r->conds = reallocarray(r->conds, r->nconds + 1, sizeof *r->conds);
	if (r->conds == NULL)
		fatal("reallocarray");
	c = &r->conds[r->nconds++];
	memset(c, 0, sizeof *c);
	c->field = (enum rf)f;
	c->op = COND_EQUALS;

	if (val->type != YAML_MAPPING_NODE)
		return rule_compile_values(ld, c, val);

	for (p = val->data.mapping.pairs.start;
	    p < val->data.mapping.pairs.top; p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);
		bool		 b, found = false;

		if ((k = rule_scalar(kn)) == NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "a condition key must be a string");
			return -1;
		}
		if (strcmp(k, "nocase") == 0 || strcmp(k, "not") == 0) {
			if ((s = rule_scalar(vn)) == NULL ||
			    !rule_parse_bool(s, &b)) {
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'%s' must be true or false", k);
				rc = -1;
				continue;
			}
			if (k[0] == 'n' && k[1] == 'o' && k[2] == 'c')
				c->nocase = b;
			else
				c->negate = b;
			continue;
		}
		for (i = 0; i < sizeof rule_ops / sizeof rule_ops[0]; i++) {
			if (strcmp(rule_ops[i].name, k) == 0) {
				found = true;
				break;
			}
		}
		if (!found) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown condition '%s' (equals, contains, "
			    "startswith, endswith, regex, cidr, exists, gt, gte, "
			    "lt, lte, nocase, not)", k);
			rc = -1;
			continue;
		}
		if (opval != NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "only one operator per field condition");
			rc = -1;
			continue;
		}
		c->op = rule_ops[i].op;
		opval = vn;
	}
	if (rc != 0)
		return -1;
	if (opval == NULL) {
		rule_err(ld->errs, ld->file, &val->start_mark,
		    "condition on '%s' has no operator", fname);
		return -1;
	}
	if (c->op == COND_EXISTS) {
		if ((s = rule_scalar(opval)) == NULL ||
		    !rule_parse_bool(s, &c->negate)) {
			rule_err(ld->errs, ld->file, &opval->start_mark,
			    "'exists' must be true or false");
			return -1;
		}
		c->negate = !c->negate;
		return 0;
	}
	return rule_compile_values(ld, c, opval);
}

/* "samples:" — a list of {parser, line, match}. */
static int
rule_compile_samples(struct rule_load *ld, struct rule *r, yaml_node_t *n)
{
	yaml_node_item_t	*it;
	yaml_node_pair_t	*p;
	int			 rc = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'samples' must be a list of {parser, line, match}");
		return -1;
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t		*sn = yaml_document_get_node(ld->doc, *it);
		struct rule_sample	*smp;

		if (sn->type != YAML_MAPPING_NODE) {
			rule_err(ld->errs, ld->file, &sn->start_mark,
			    "a sample must be a map {parser, line, match}");
			rc = -1;
			continue;
		}
		r->samples = reallocarray(r->samples, r->nsamples + 1,
		    sizeof *r->samples);
		if (r->samples == NULL)
			fatal("reallocarray");
		smp = &r->samples[r->nsamples++];
		memset(smp, 0, sizeof *smp);
		smp->match = true;
		smp->lineno = (int)sn->start_mark.line + 1;
		for (p = sn->data.mapping.pairs.start;
		    p < sn->data.mapping.pairs.top; p++) {
			yaml_node_t	*kn = yaml_document_get_node(ld->doc,
			    p->key);
			yaml_node_t	*vn = yaml_document_get_node(ld->doc,
			    p->value);
			const char	*k = rule_scalar(kn), *v = rule_scalar(vn);

			if (k == NULL || v == NULL) {
				rule_err(ld->errs, ld->file, &kn->start_mark,
				    "sample keys and values must be strings");
				rc = -1;
			} else if (strcmp(k, "parser") == 0)
				smp->parser = rule_strdup(v);
			else if (strcmp(k, "line") == 0)
				smp->line = rule_strdup(v);
			else if (strcmp(k, "match") == 0) {
				if (!rule_parse_bool(v, &smp->match)) {
					rule_err(ld->errs, ld->file,
					    &vn->start_mark,
					    "'match' must be true or false");
					rc = -1;
				}
			} else {
				rule_err(ld->errs, ld->file, &kn->start_mark,
				    "unknown sample key '%s' (parser, line, "
				    "match)", k);
				rc = -1;
			}
		}
		if (smp->parser == NULL || smp->line == NULL) {
			rule_err(ld->errs, ld->file, &sn->start_mark,
			    "a sample needs 'parser' and 'line'");
			rc = -1;
		}
	}
	return rc;
}

static void
rule_free(struct rule *r)
{
	size_t	i, j;

	if (r == NULL)
		return;
	free(r->id);
	free(r->title);
	free(r->description);
	free(r->category);
	free(r->severity);
	for (i = 0; i < r->nattack; i++)
		free(r->attack[i]);
	free(r->attack);
	free(r->logsource);
	for (i = 0; i < r->nconds; i++) {
		for (j = 0; j < r->conds[i].nvalues; j++) {
			free(r->conds[i].values[j].s);
			pcre2_code_free(r->conds[i].values[j].re);
		}
		free(r->conds[i].values);
	}
	free(r->conds);
	for (i = 0; i < r->nsamples; i++) {
		free(r->samples[i].parser);
		free(r->samples[i].line);
	}
	free(r->samples);
	free(r->file);
	free(r);
}

/* A rule id: letters, digits, '-', '_', '.', at most RULE_MAX_ID long. */
static bool
rule_valid_id(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > RULE_MAX_ID)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* One rule from a mapping node; adds it to the set or reports why not. */
static void
rule_compile(struct rule_load *ld, yaml_node_t *n)
{
	static const char *const keys = "id, rev, title, description, "
	    "category, severity, attack, logsource, match, samples";
	yaml_node_pair_t	*p;
	struct rule		*r;
	unsigned int		 errs0 = ld->errs->n;
	const char		*k, *s;
	uint64_t		 u;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "a rule must be a map (%s)", keys);
		return;
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		fatal("calloc");
	r->file = rule_strdup(ld->file);
	r->lineno = (int)n->start_mark.line + 1;
	r->rev = 1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);
		yaml_node_pair_t *mp;
		yaml_node_item_t *it;

		if ((k = rule_scalar(kn)) == NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "rule keys must be strings");
			continue;
		}
		if (strcmp(k, "id") == 0) {
			free(r->id);
			r->id = rule_get_str(ld, vn, k);
			if (r->id != NULL && !rule_valid_id(r->id))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "rule id must be 1-%d letters, digits, "
				    "'-', '_' or '.'", RULE_MAX_ID);
		} else if (strcmp(k, "rev") == 0) {
			if ((s = rule_scalar(vn)) == NULL ||
			    !rule_parse_u64(s, &u) || u == 0 || u > 1000000)
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'rev' must be a positive integer");
			else
				r->rev = (int)u;
		} else if (strcmp(k, "title") == 0) {
			free(r->title);
			r->title = rule_get_str(ld, vn, k);
		} else if (strcmp(k, "description") == 0) {
			free(r->description);
			r->description = rule_get_str(ld, vn, k);
		} else if (strcmp(k, "category") == 0) {
			free(r->category);
			r->category = rule_get_str(ld, vn, k);
			if (r->category != NULL &&
			    !rule_valid_category(r->category))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "unknown category '%s' (outbound_attack, "
				    "worm_spread, beacon, outbound_spam, "
				    "data_exfiltration, malware, "
				    "policy_violation)", r->category);
		} else if (strcmp(k, "severity") == 0) {
			free(r->severity);
			r->severity = rule_get_str(ld, vn, k);
			if (r->severity != NULL &&
			    !rule_valid_severity(r->severity))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "unknown severity '%s' (low, medium, high, "
				    "critical)", r->severity);
		} else if (strcmp(k, "attack") == 0) {
			if (vn->type != YAML_SEQUENCE_NODE) {
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'attack' must be a list of technique ids");
				continue;
			}
			for (it = vn->data.sequence.items.start;
			    it < vn->data.sequence.items.top; it++) {
				yaml_node_t *an = yaml_document_get_node(ld->doc,
				    *it);

				if ((s = rule_scalar(an)) == NULL || s[0] != 'T') {
					rule_err(ld->errs, ld->file,
					    &an->start_mark, "ATT&CK ids look "
					    "like T1046 or T1110.001");
					continue;
				}
				r->attack = reallocarray(r->attack,
				    r->nattack + 1, sizeof *r->attack);
				if (r->attack == NULL)
					fatal("reallocarray");
				r->attack[r->nattack++] = rule_strdup(s);
			}
		} else if (strcmp(k, "logsource") == 0) {
			free(r->logsource);
			r->logsource = rule_get_str(ld, vn, k);
		} else if (strcmp(k, "match") == 0) {
			if (vn->type != YAML_MAPPING_NODE) {
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'match' must be a map of field: condition");
				continue;
			}
			for (mp = vn->data.mapping.pairs.start;
			    mp < vn->data.mapping.pairs.top; mp++)
				rule_compile_cond(ld, r,
				    yaml_document_get_node(ld->doc, mp->key),
				    yaml_document_get_node(ld->doc, mp->value));
		} else if (strcmp(k, "samples") == 0)
			rule_compile_samples(ld, r, vn);
		else
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown rule key '%s' (%s)", k, keys);
	}
	if (r->id == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark, "rule has no 'id'");
	if (r->title == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "rule %s has no 'title'", r->id ? r->id : "?");
	if (r->category == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "rule %s has no 'category'", r->id ? r->id : "?");
	if (r->severity == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "rule %s has no 'severity'", r->id ? r->id : "?");
	if (r->nconds == 0)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "rule %s has no 'match' conditions", r->id ? r->id : "?");
	if (r->id != NULL && ruleset_find(ld->rs, r->id) != NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "duplicate rule id '%s'", r->id);
	if (ld->errs->n != errs0 || ld->rs->n >= RULE_MAX_RULES) {
		if (ld->rs->n >= RULE_MAX_RULES)
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "too many rules (at most %d)", RULE_MAX_RULES);
		rule_free(r);
		return;
	}
	ld->rs->v = reallocarray(ld->rs->v, ld->rs->n + 1, sizeof *ld->rs->v);
	if (ld->rs->v == NULL)
		fatal("reallocarray");
	ld->rs->v[ld->rs->n++] = r;
}

/* Parse one YAML buffer into rules of rs. */
static void
rule_load_buffer(struct ruleset *rs, const char *name, const char *buf,
    size_t len, struct rule_errs *errs)
{
	yaml_parser_t		 parser;
	yaml_document_t		 doc;
	yaml_node_t		*root, *list;
	yaml_node_item_t	*it;
	struct rule_load	 ld = { name, &doc, errs, rs };

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rule_err(errs, name, &parser.problem_mark, "YAML: %s%s%s",
		    parser.problem ? parser.problem : "syntax error",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return;
	}
	yaml_parser_delete(&parser);
	if ((root = yaml_document_get_root_node(&doc)) == NULL) {
		yaml_document_delete(&doc);
		return;		/* an empty file holds no rules */
	}
	list = root;
	if (root->type == YAML_MAPPING_NODE) {
		/* "rules: [...]" */
		yaml_node_pair_t *p = root->data.mapping.pairs.start;
		const char	 *k;

		list = NULL;
		for (; p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(&doc, p->key);

			k = rule_scalar(kn);
			if (k != NULL && strcmp(k, "rules") == 0)
				list = yaml_document_get_node(&doc, p->value);
			else
				rule_err(errs, name, &kn->start_mark,
				    "unknown top-level key '%s' (rules)",
				    k ? k : "?");
		}
		if (list == NULL) {
			yaml_document_delete(&doc);
			return;
		}
	}
	if (list->type != YAML_SEQUENCE_NODE) {
		rule_err(errs, name, &list->start_mark,
		    "expected a list of rules");
		yaml_document_delete(&doc);
		return;
	}
	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++)
		rule_compile(&ld, yaml_document_get_node(&doc, *it));
	yaml_document_delete(&doc);
}

/* Read a whole (bounded) file. */
static char *
rule_read_file(const char *path, size_t *len, struct rule_errs *errs)
{
	FILE	*f;
	char	*buf;
	size_t	 n = 0, cap = 65536;

	if ((f = fopen(path, "r")) == NULL) {
		rule_err(errs, path, NULL, "%s", strerror(errno));
		return NULL;
	}
	if ((buf = malloc(cap)) == NULL)
		fatal("malloc");
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (n < cap)
			break;
		if (cap >= RULE_MAX_FILE_SIZE) {
			rule_err(errs, path, NULL, "file larger than %d bytes",
			    RULE_MAX_FILE_SIZE);
			free(buf);
			fclose(f);
			return NULL;
		}
		cap *= 2;
		if ((buf = realloc(buf, cap)) == NULL)
			fatal("realloc");
	}
	if (ferror(f)) {
		rule_err(errs, path, NULL, "read error");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int
rule_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
rule_is_yaml(const char *name)
{
	size_t	n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
	    (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static void
rule_load_path(struct ruleset *rs, const char *path, struct rule_errs *errs)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL, *buf;
	size_t		 n = 0, i, len;

	if (stat(path, &sb) != 0) {
		rule_err(errs, path, NULL, "%s", strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		if ((buf = rule_read_file(path, &len, errs)) != NULL) {
			rule_load_buffer(rs, path, buf, len, errs);
			free(buf);
		}
		return;
	}
	if ((d = opendir(path)) == NULL) {
		rule_err(errs, path, NULL, "%s", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !rule_is_yaml(de->d_name))
			continue;
		names = reallocarray(names, n + 1, sizeof *names);
		if (names == NULL)
			fatal("reallocarray");
		if (asprintf(&names[n], "%s/%s", path, de->d_name) == -1)
			fatal("asprintf");
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, rule_name_cmp);
	for (i = 0; i < n; i++) {
		if ((buf = rule_read_file(names[i], &len, errs)) != NULL) {
			rule_load_buffer(rs, names[i], buf, len, errs);
			free(buf);
		}
		free(names[i]);
	}
	free(names);
}

static struct ruleset *
ruleset_new(void)
{
	struct ruleset		*rs;
	pcre2_match_context	*mctx;

	if ((rs = calloc(1, sizeof *rs)) == NULL)
		fatal("calloc");
	if ((mctx = pcre2_match_context_create(NULL)) == NULL)
		fatal("pcre2_match_context_create");
	pcre2_set_match_limit(mctx, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(mctx, RULE_DEPTH_LIMIT);
	pcre2_set_heap_limit(mctx, RULE_HEAP_LIMIT);
	rs->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (rs->jit_stack != NULL)
		pcre2_jit_stack_assign(mctx, NULL, rs->jit_stack);
	rs->match_ctx = mctx;
	if ((rs->match_data = pcre2_match_data_create(16, NULL)) == NULL)
		fatal("pcre2_match_data_create");
	return rs;
}

/* Finish loading: the set, or NULL with *cause. */
static struct ruleset *
ruleset_done(struct ruleset *rs, struct rule_errs *errs, char **cause)
{
	if (errs->n == 0) {
		free(errs->buf);
		*cause = NULL;
		return rs;
	}
	/* Drop the trailing newline. */
	errs->buf[errs->len - 1] = '\0';
	*cause = errs->buf;
	ruleset_free(rs);
	return NULL;
}

struct ruleset *
ruleset_load(char *const *paths, size_t npaths, char **cause)
{
	struct ruleset		*rs = ruleset_new();
	struct rule_errs	 errs = { NULL, 0, 0 };
	size_t			 i;

	for (i = 0; i < npaths; i++)
		rule_load_path(rs, paths[i], &errs);
	return ruleset_done(rs, &errs, cause);
}

struct ruleset *
ruleset_load_buffer(const char *name, const char *buf, size_t len,
    char **cause)
{
	struct ruleset		*rs = ruleset_new();
	struct rule_errs	 errs = { NULL, 0, 0 };

	rule_load_buffer(rs, name, buf, len, &errs);
	return ruleset_done(rs, &errs, cause);
}

void
ruleset_free(struct ruleset *rs)
{
	size_t	i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(rs->v[i]);
	free(rs->v);
	pcre2_match_data_free(rs->match_data);
	pcre2_match_context_free(rs->match_ctx);
	pcre2_jit_stack_free(rs->jit_stack);
	free(rs);
}

struct rule *
ruleset_find(const struct ruleset *rs, const char *id)
{
	size_t	i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i]->id != NULL && strcmp(rs->v[i]->id, id) == 0)
			return rs->v[i];
	return NULL;
}

/* ASCII case-insensitive equality of n bytes. */
static bool
rule_memeq(const char *a, const char *b, size_t n, bool nocase)
{
	size_t	i;

	if (!nocase)
		return memcmp(a, b, n) == 0;
	for (i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	return true;
}

static bool
rule_contains(struct span s, const struct cond_value *v, bool nocase)
{
	size_t	i;

	if (v->len > s.len)
		return false;
	if (!nocase)
		return memmem(s.p, s.len, v->s, v->len) != NULL;
	for (i = 0; i + v->len <= s.len; i++)
		if (rule_memeq(s.p + i, v->s, v->len, true))
			return true;
	return false;
}

/* One value against a field value: 1, 0, or -1 (a PCRE2 limit was hit). */
static int
rule_value_match(struct ruleset *rs, const struct cond *c,
    const struct cond_value *v, const struct record *rec, struct span s)
{
	struct netaddr	 na;
	uint64_t	 n;
	int		 rc;

	switch (c->op) {
	case COND_EQUALS:
		return s.len == v->len && rule_memeq(s.p, v->s, s.len, c->nocase);
	case COND_CONTAINS:
		return rule_contains(s, v, c->nocase);
	case COND_STARTSWITH:
		return s.len >= v->len && rule_memeq(s.p, v->s, v->len,
		    c->nocase);
	case COND_ENDSWITH:
		return s.len >= v->len && rule_memeq(s.p + s.len - v->len,
		    v->s, v->len, c->nocase);
	case COND_REGEX:
		rc = pcre2_match(v->re, (PCRE2_SPTR)s.p, s.len, 0, 0,
		    rs->match_data, rs->match_ctx);
		if (rc >= 0)
			return 1;
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		return -1;
	case COND_CIDR:
		if (c->field == RF_SOURCE_IP && rec->src.family != 0)
			return cidr_contains(&v->cidr, &rec->src);
		if (c->field == RF_DESTINATION_IP && rec->dst.family != 0)
			return cidr_contains(&v->cidr, &rec->dst);
		if (netaddr_parse(&na, s.p, s.len) != 0)
			return 0;
		return cidr_contains(&v->cidr, &na);
	case COND_GT:
	case COND_GTE:
	case COND_LT:
	case COND_LTE:
		if (!span_to_u64(s, &n))
			return 0;
		if (c->op == COND_GT)
			return n > v->num;
		if (c->op == COND_GTE)
			return n >= v->num;
		if (c->op == COND_LT)
			return n < v->num;
		return n <= v->num;
	case COND_EXISTS:
		return 1;
	}
	return 0;
}

int
rule_match(struct ruleset *rs, struct rule *r, const struct record *rec)
{
	const struct cond	*c;
	size_t			 i, j;
	int			 hit, rc;

	for (i = 0; i < r->nconds; i++) {
		c = &r->conds[i];
		hit = 0;
		if (record_has(rec, c->field)) {
			struct span	s = record_get(rec, c->field);

			if (c->op == COND_EXISTS)
				hit = 1;
			for (j = 0; j < c->nvalues && !hit; j++) {
				rc = rule_value_match(rs, c, &c->values[j], rec,
				    s);
				if (rc < 0) {
					r->limit_hits++;
					rs->limit_hits++;
					log_warnx_rl("rule-limit", "rule %s: "
					    "PCRE2 limit hit on %s; treated as "
					    "no match", r->id,
					    record_field_name(c->field));
					return 0;
				}
				hit = rc;
			}
		}
		if (hit == c->negate)
			return 0;
	}
	return 1;
}

bool
rule_covers(const struct rule *r, struct span ds)
{
	size_t	n;

	if (r->logsource == NULL)
		return true;
	n = strlen(r->logsource);
	if (ds.len < n || memcmp(ds.p, r->logsource, n) != 0)
		return false;
	return ds.len == n || ds.p[n] == '.';
}

size_t
ruleset_match(struct ruleset *rs, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	struct span	ds = record_get(rec, RF_EVENT_DATASET);
	struct rule	*r;
	size_t		 i, fired = 0;

	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (!rule_covers(r, ds))
			continue;
		if (!rule_match(rs, r, rec))
			continue;
		r->hits++;
		fired++;
		if (cb != NULL && cb(arg, r, rec) != 0)
			break;
	}
	return fired;
}
