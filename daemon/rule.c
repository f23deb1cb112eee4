/*
 * rule.c: loading and matching of detection rules, named lists and
 * exceptions.  Files are YAML (libyaml document API); every problem is
 * reported as "file:line:column: reason" and loading goes on so that all
 * of them are reported at once.  References between files (lists, the
 * input rules of a correlation, the rules an exception names) are
 * resolved when every file is read.
 *
 * Matching never allocates: one PCRE2 match-data block and one JIT stack
 * serve every rule, and each match attempt is bounded by match, depth and
 * heap limits.  This module never keeps correlation state itself (corr.c
 * and the detectors do) and never writes alerts (detect.c does).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "detect.h"
#include "log.h"
#include "match.h"
#include "rule.h"
#include "tz.h"

#define RULE_MAX_FILE_SIZE	(16 * 1024 * 1024)
#define RULE_MAX_RULES		100000
#define RULE_MAX_ID		64
#define RULE_MAX_DEPTH		16		/* nesting of all/any/not */
#define RULE_MAX_THRESHOLD	100000
#define RULE_MAX_WINDOW	(int64_t)(366LL * 86400 * 1000000)
#define RULE_MAX_LIST_ENTRIES	1000000
#define RULE_MAX_DOMAIN		255
#define RULE_DEFAULT_GROUPS	65536

struct rule_errs {
	char		*buf;
	size_t		 len;
	unsigned int	 n;
};

struct rule_load {
	const char	*file;
	const char	*buf;		/* the file's text, for fingerprints */
	size_t		 len;
	yaml_document_t	*doc;
	struct rule_errs *errs;
	struct ruleset	*rs;
	int		 depth;
};

/* Where conditions of a tree go: a rule's or an exception's. */
struct rule_conds {
	struct cond	**conds;
	size_t		 *nconds;
};

static const char *const rule_categories[] = {
	"outbound_attack", "worm_spread", "beacon", "outbound_spam",
	"data_exfiltration", "malware", "policy_violation", NULL
};
static const char *const rule_severities[] = {
	"low", "medium", "high", "critical", NULL
};
static const char *const rule_roles[ROLE_MAX] = {
	[ROLE_INTERNAL] = "internal",
	[ROLE_MAIL_SERVERS] = "mail_servers",
	[ROLE_PROXIES] = "proxies",
	[ROLE_DNS_SERVERS] = "dns_servers",
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
	{ "in_list", COND_LIST },
	{ "role", COND_ROLE },
};

static int	rule_compile_map(struct rule_load *, struct rule_conds *,
		    struct rule_node *, yaml_node_t *);

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

/* An error at line lineno of file (no column). */
static void
rule_err_line(struct rule_errs *e, const char *file, int lineno,
    const char *msg, const char *arg)
{
	yaml_mark_t	m;

	memset(&m, 0, sizeof m);
	m.line = lineno > 0 ? (size_t)lineno - 1 : 0;
	rule_err(e, file, &m, "%s'%s'", msg, arg);
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

/* 128-bit multiply folded to 64 bits: the mixing step of rule_hash. */
static inline uint64_t
rule_mix(uint64_t a, uint64_t b)
{
	__uint128_t	r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Four bytes at p, unaligned. */
static inline uint64_t
rule_r4(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * wyhash's shape: 16 bytes per multiply, and a tail of 1 to 16 bytes read
 * with fixed-size loads that may overlap (a variable-length memcpy costs
 * a call), so an address (16 bytes) or a domain takes two multiplies.
 * Values are for in-memory tables only; nothing stores them.
 */
uint64_t
rule_hash(uint64_t seed, const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint64_t		 h = seed ^ 0x9e3779b97f4a7c15ULL, a, b;
	size_t			 n = len, q;

	while (n > 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		h = rule_mix(a ^ h ^ 0xa0761d6478bd642fULL, b ^ h);
		s += 16;
		n -= 16;
	}
	if (n >= 4) {
		q = (n >> 3) << 2;
		a = rule_r4(s) << 32 | rule_r4(s + q);
		b = rule_r4(s + n - 4) << 32 | rule_r4(s + n - 4 - q);
	} else if (n > 0) {
		a = (uint64_t)s[0] << 16 | (uint64_t)s[n >> 1] << 8 | s[n - 1];
		b = 0;
	} else
		a = b = 0;
	h = rule_mix(a ^ h ^ 0xbf58476d1ce4e5b9ULL, b ^ h);
	return rule_mix(h ^ ((uint64_t)len | (uint64_t)len << 56) ^
	    0x94d049bb133111ebULL, 0x2545f4914f6cdd1dULL);
}

int64_t
rule_parse_duration(const char *s)
{
	uint64_t	v = 0;
	int64_t		unit = 1000000;
	size_t		i = 0;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > 366ULL * 86400 * 1000)
			return -1;
	}
	if (strcmp(s + i, "") == 0 || strcmp(s + i, "s") == 0)
		unit = 1000000;
	else if (strcmp(s + i, "ms") == 0)
		unit = 1000;
	else if (strcmp(s + i, "m") == 0)
		unit = 60LL * 1000000;
	else if (strcmp(s + i, "h") == 0)
		unit = 3600LL * 1000000;
	else if (strcmp(s + i, "d") == 0)
		unit = 86400LL * 1000000;
	else
		return -1;
	if ((int64_t)v > RULE_MAX_WINDOW / unit)
		return -1;
	return (int64_t)v * unit;
}

/* n decimal digits at s into *v; false if they are not all digits. */
static bool
rule_digits(const char *s, size_t n, int *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int
rule_parse_time(const char *s, int64_t *out)
{
	int	y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	size_t	len = strlen(s), i = 10;
	int64_t	off = 0;

	if (len < 10 || s[4] != '-' || s[7] != '-' || !rule_digits(s, 4, &y) ||
	    !rule_digits(s + 5, 2, &mo) || !rule_digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (i < len && (s[i] == 'T' || s[i] == ' ')) {
		if (len < i + 6 || s[i + 3] != ':' ||
		    !rule_digits(s + i + 1, 2, &h) ||
		    !rule_digits(s + i + 4, 2, &mi))
			return -1;
		i += 6;
		if (i < len && s[i] == ':') {
			if (len < i + 3 || !rule_digits(s + i + 1, 2, &se))
				return -1;
			i += 3;
		}
		if (h > 23 || mi > 59 || se > 60)
			return -1;
	}
	if (i < len) {
		if (s[i] == 'Z' && i + 1 == len)
			off = 0;
		else if ((s[i] == '+' || s[i] == '-') && len == i + 6 &&
		    s[i + 3] == ':' && rule_digits(s + i + 1, 2, &oh) &&
		    rule_digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
			sign = s[i] == '-' ? -1 : 1;
			off = sign * (oh * 3600 + om * 60);
		} else
			return -1;
	}
	*out = ((tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    se) - off) * 1000000;
	return 0;
}

/* The scalar text of a node, or NULL if it is not a scalar. */
static const char *
rule_scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* strdup that cannot fail (allocation failure is fatal). */
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

/* A field name node to its id; -1 with an error. */
static int
rule_field(struct rule_load *ld, yaml_node_t *n)
{
	const char	*s = rule_scalar(n);
	int		 f;

	if (s == NULL || (f = record_field_lookup(s, strlen(s))) < 0) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "unknown event field '%s'", s != NULL ? s : "?");
		return -1;
	}
	return f;
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
	size_t		 i;
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
	case COND_ROLE:
		for (i = 0; i < ROLE_MAX; i++) {
			if (strcmp(rule_roles[i], v->s) == 0) {
				c->roles |= 1U << i;
				break;
			}
		}
		if (i == ROLE_MAX) {
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "unknown network role '%s' (internal, mail_servers, "
			    "proxies, dns_servers)", v->s);
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
 * "field: {op: value(s), nocase: true, not: true}".  Returns the index of
 * the new condition in *rc->conds, or -1.
 */
static ssize_t
rule_compile_cond(struct rule_load *ld, struct rule_conds *rc,
    yaml_node_t *key, yaml_node_t *val)
{
	yaml_node_pair_t	*p;
	struct cond		*c;
	const char		*fname = rule_scalar(key), *k, *s;
	yaml_node_t		*opval = NULL;
	int			 f, err = 0;
	size_t			 i, idx;

	if ((f = rule_field(ld, key)) < 0)
		return -1;
	*rc->conds = reallocarray(*rc->conds, *rc->nconds + 1,
	    sizeof **rc->conds);
	if (*rc->conds == NULL)
		fatal("reallocarray");
	idx = (*rc->nconds)++;
	c = &(*rc->conds)[idx];
	memset(c, 0, sizeof *c);
	c->field = (enum rf)f;
	c->op = COND_EQUALS;
	c->lineno = (int)key->start_mark.line + 1;

	if (val->type != YAML_MAPPING_NODE)
		return rule_compile_values(ld, c, val) == 0 ? (ssize_t)idx : -1;

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
				err = -1;
				continue;
			}
			if (strcmp(k, "nocase") == 0)
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
			    "lt, lte, in_list, role, nocase, not)", k);
			err = -1;
			continue;
		}
		if (opval != NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "only one operator per field condition");
			err = -1;
			continue;
		}
		c->op = rule_ops[i].op;
		opval = vn;
	}
	if (err != 0)
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
		return (ssize_t)idx;
	}
	if (c->op == COND_LIST) {
		if ((s = rule_scalar(opval)) == NULL) {
			rule_err(ld->errs, ld->file, &opval->start_mark,
			    "'in_list' names one list");
			return -1;
		}
		c->list_name = rule_strdup(s);
		return (ssize_t)idx;
	}
	return rule_compile_values(ld, c, opval) == 0 ? (ssize_t)idx : -1;
}

/* Append a zeroed child to node and return it. */
static struct rule_node *
rule_node_add(struct rule_node *node, enum rule_node_kind kind)
{
	struct rule_node	*kid;

	node->kids = reallocarray(node->kids, node->nkids + 1,
	    sizeof *node->kids);
	if (node->kids == NULL)
		fatal("reallocarray");
	kid = &node->kids[node->nkids++];
	memset(kid, 0, sizeof *kid);
	kid->kind = kind;
	return kid;
}

static void
rule_node_free(struct rule_node *node)
{
	size_t	i;

	for (i = 0; i < node->nkids; i++)
		rule_node_free(&node->kids[i]);
	free(node->kids);
	node->kids = NULL;
	node->nkids = 0;
}

/*
 * The operand of all/any/not: a mapping (one AND of its conditions) or a
 * list of mappings, each becoming a child of node.
 */
static int
rule_compile_group(struct rule_load *ld, struct rule_conds *rc,
    struct rule_node *node, yaml_node_t *n, const char *what)
{
	yaml_node_item_t	*it;
	int			 err = 0;

	if (n->type == YAML_MAPPING_NODE)
		return rule_compile_map(ld, rc, rule_node_add(node, RN_ALL), n);
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top == n->data.sequence.items.start) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'%s' takes a map of conditions or a non-empty list of "
		    "them", what);
		return -1;
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, *it);

		if (kn->type != YAML_MAPPING_NODE) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "each item of '%s' is a map of conditions", what);
			err = -1;
			continue;
		}
		if (rule_compile_map(ld, rc, rule_node_add(node, RN_ALL),
		    kn) != 0)
			err = -1;
	}
	return err;
}

/*
 * A mapping of conditions into node (an AND).  Keys are event fields, or
 * "all", "any" and "not" whose operands nest.
 */
static int
rule_compile_map(struct rule_load *ld, struct rule_conds *rc,
    struct rule_node *node, yaml_node_t *map)
{
	yaml_node_pair_t	*p;
	struct rule_node	*kid;
	const char		*k;
	ssize_t			 idx;
	int			 err = 0;

	node->kind = RN_ALL;
	if (map->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &map->start_mark,
		    "conditions must be a map of field: condition");
		return -1;
	}
	if (map->data.mapping.pairs.top == map->data.mapping.pairs.start) {
		rule_err(ld->errs, ld->file, &map->start_mark,
		    "an empty map of conditions");
		return -1;
	}
	if (++ld->depth > RULE_MAX_DEPTH) {
		rule_err(ld->errs, ld->file, &map->start_mark,
		    "conditions nest deeper than %d", RULE_MAX_DEPTH);
		ld->depth--;
		return -1;
	}
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);

		k = rule_scalar(kn);
		if (k != NULL && strcmp(k, "all") == 0) {
			kid = rule_node_add(node, RN_ALL);
			if (rule_compile_group(ld, rc, kid, vn, k) != 0)
				err = -1;
		} else if (k != NULL && strcmp(k, "any") == 0) {
			kid = rule_node_add(node, RN_ANY);
			if (rule_compile_group(ld, rc, kid, vn, k) != 0)
				err = -1;
		} else if (k != NULL && strcmp(k, "not") == 0) {
			kid = rule_node_add(node, RN_NOT);
			/* "not: [a, b]" is "not any of a, b". */
			if (vn->type == YAML_SEQUENCE_NODE)
				kid = rule_node_add(kid, RN_ANY);
			if (rule_compile_group(ld, rc, kid, vn, k) != 0)
				err = -1;
		} else {
			if ((idx = rule_compile_cond(ld, rc, kn, vn)) < 0) {
				err = -1;
				continue;
			}
			kid = rule_node_add(node, RN_COND);
			kid->cond = (size_t)idx;
		}
	}
	ld->depth--;
	return err;
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
			} else if (strcmp(k, "parser") == 0) {
				free(smp->parser);
				smp->parser = rule_strdup(v);
			} else if (strcmp(k, "line") == 0) {
				free(smp->line);
				smp->line = rule_strdup(v);
			} else if (strcmp(k, "match") == 0) {
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

/* Free the conditions of a tree. */
static void
rule_conds_free(struct cond *conds, size_t nconds)
{
	size_t	i, j;

	for (i = 0; i < nconds; i++) {
		for (j = 0; j < conds[i].nvalues; j++) {
			free(conds[i].values[j].s);
			pcre2_code_free(conds[i].values[j].re);
		}
		free(conds[i].values);
		free(conds[i].list_name);
	}
	free(conds);
}

static void
rule_free(struct rule *r)
{
	size_t	i;

	if (r == NULL)
		return;
	if (r->state != NULL) {
		if (r->kind == RK_DETECTOR && r->ops != NULL)
			r->ops->free(r->state);
		else
			detect_state_free(r, r->state);
	}
	detect_suppress_free(r->sup_state);
	free(r->id);
	free(r->title);
	free(r->description);
	free(r->category);
	free(r->severity);
	for (i = 0; i < r->nattack; i++)
		free(r->attack[i]);
	free(r->attack);
	free(r->logsource);
	rule_conds_free(r->conds, r->nconds);
	rule_node_free(&r->root);
	for (i = 0; i < r->nsamples; i++) {
		free(r->samples[i].parser);
		free(r->samples[i].line);
	}
	free(r->samples);
	for (i = 0; i < r->corr.nrules; i++)
		free(r->corr.rules[i]);
	free(r->corr.rules);
	free(r->corr.inputs);
	free(r->detector);
	for (i = 0; i < r->nparams; i++) {
		size_t	j;

		free(r->params[i].key);
		free(r->params[i].value);
		for (j = 0; j < r->params[i].nlist; j++)
			free(r->params[i].list[j]);
		free(r->params[i].list);
	}
	free(r->params);
	free(r->dependents);
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

/* A list of strings from a scalar or a sequence of scalars; -1 if bad. */
static int
rule_str_list(struct rule_load *ld, yaml_node_t *n, const char *key,
    char ***out, size_t *nout)
{
	yaml_node_item_t	*it;
	const char		*s;

	if ((s = rule_scalar(n)) != NULL) {
		if ((*out = calloc(1, sizeof **out)) == NULL)
			fatal("calloc");
		(*out)[0] = rule_strdup(s);
		*nout = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'%s' must be a string or a list of strings", key);
		return -1;
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t	*in = yaml_document_get_node(ld->doc, *it);

		if ((s = rule_scalar(in)) == NULL) {
			rule_err(ld->errs, ld->file, &in->start_mark,
			    "items of '%s' must be strings", key);
			return -1;
		}
		*out = reallocarray(*out, *nout + 1, sizeof **out);
		if (*out == NULL)
			fatal("reallocarray");
		(*out)[(*nout)++] = rule_strdup(s);
	}
	return 0;
}

/* "group_by": one to RULE_MAX_GROUP_BY field names. */
static int
rule_group_by(struct rule_load *ld, yaml_node_t *n, enum rf *fields,
    size_t *nfields)
{
	yaml_node_item_t	*it;
	int			 f;

	if (rule_scalar(n) != NULL) {
		if ((f = rule_field(ld, n)) < 0)
			return -1;
		fields[0] = (enum rf)f;
		*nfields = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top == n->data.sequence.items.start ||
	    n->data.sequence.items.top - n->data.sequence.items.start >
	    RULE_MAX_GROUP_BY) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'group_by' names 1 to %d event fields", RULE_MAX_GROUP_BY);
		return -1;
	}
	*nfields = 0;
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((f = rule_field(ld, yaml_document_get_node(ld->doc,
		    *it))) < 0)
			return -1;
		fields[(*nfields)++] = (enum rf)f;
	}
	return 0;
}

/* A window: a duration of at least 1 s. */
static int
rule_window(struct rule_load *ld, yaml_node_t *n, int64_t *out)
{
	const char	*s = rule_scalar(n);

	if (s == NULL || (*out = rule_parse_duration(s)) < 1000000) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "a window is a duration of at least 1s (90, 30s, 10m, 2h, "
		    "1d)");
		return -1;
	}
	return 0;
}

/* "correlation:" {type, group_by, window, threshold, field, rules}. */
static void
rule_compile_corr(struct rule_load *ld, struct rule *r, yaml_node_t *n)
{
	static const char *const keys = "type, group_by, window, threshold, "
	    "field, rules, max_groups";
	struct rule_corr	*c = &r->corr;
	yaml_node_pair_t	*p;
	const char		*k, *s;
	uint64_t		 u;
	int			 f;
	bool			 have_type = false, have_window = false;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'correlation' must be a map (%s)", keys);
		return;
	}
	c->max_groups = RULE_DEFAULT_GROUPS;
	c->threshold = 0;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);

		if ((k = rule_scalar(kn)) == NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "correlation keys must be strings");
			continue;
		}
		s = rule_scalar(vn);
		if (strcmp(k, "type") == 0) {
			have_type = true;
			if (s != NULL && strcmp(s, "count") == 0)
				r->kind = RK_COUNT;
			else if (s != NULL && strcmp(s, "distinct") == 0)
				r->kind = RK_DISTINCT;
			else if (s != NULL && strcmp(s, "sequence") == 0)
				r->kind = RK_SEQUENCE;
			else
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "correlation type is count, distinct or "
				    "sequence");
		} else if (strcmp(k, "group_by") == 0)
			rule_group_by(ld, vn, c->group_by, &c->ngroup_by);
		else if (strcmp(k, "window") == 0) {
			if (rule_window(ld, vn, &c->window_us) == 0)
				have_window = true;
		} else if (strcmp(k, "threshold") == 0) {
			if (s == NULL || !rule_parse_u64(s, &u) || u < 1 ||
			    u > RULE_MAX_THRESHOLD)
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'threshold' is an integer from 1 to %d",
				    RULE_MAX_THRESHOLD);
			else
				c->threshold = u;
		} else if (strcmp(k, "field") == 0) {
			if ((f = rule_field(ld, vn)) >= 0)
				c->field = (enum rf)f;
		} else if (strcmp(k, "rules") == 0)
			rule_str_list(ld, vn, k, &c->rules, &c->nrules);
		else if (strcmp(k, "max_groups") == 0) {
			if (s == NULL || !rule_parse_u64(s, &u) || u < 1 ||
			    u > 16 * 1024 * 1024)
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'max_groups' is an integer from 1 to "
				    "16777216");
			else
				c->max_groups = (size_t)u;
		} else
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown correlation key '%s' (%s)", k, keys);
	}
	if (!have_type) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "correlation has no 'type' (count, distinct, sequence)");
		return;
	}
	if (!have_window)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "correlation has no 'window'");
	if (c->ngroup_by == 0)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "correlation has no 'group_by' (1 to %d fields)",
		    RULE_MAX_GROUP_BY);
	if (r->kind == RK_SEQUENCE) {
		if (c->nrules < 2 || c->nrules > RULE_MAX_SEQUENCE)
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "a sequence names 2 to %d 'rules' in order",
			    RULE_MAX_SEQUENCE);
		if (c->threshold == 0)
			c->threshold = 1;
		return;
	}
	if (c->threshold == 0)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "correlation has no 'threshold'");
	if (r->kind == RK_DISTINCT && c->field == RF_TIMESTAMP)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "a distinct count needs the 'field' it counts");
}

/* "suppress:" {group_by, window, limit}. */
static void
rule_compile_suppress(struct rule_load *ld, struct rule *r, yaml_node_t *n)
{
	struct rule_suppress	*sp = &r->suppress;
	yaml_node_pair_t	*p;
	const char		*k, *s;
	uint64_t		 u;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'suppress' must be a map (group_by, window, limit)");
		return;
	}
	sp->limit = 1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);

		k = rule_scalar(kn);
		s = rule_scalar(vn);
		if (k != NULL && strcmp(k, "group_by") == 0)
			rule_group_by(ld, vn, sp->group_by, &sp->ngroup_by);
		else if (k != NULL && strcmp(k, "window") == 0)
			rule_window(ld, vn, &sp->window_us);
		else if (k != NULL && strcmp(k, "limit") == 0) {
			if (s == NULL || !rule_parse_u64(s, &u) || u < 1 ||
			    u > 1000000)
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'limit' is an integer from 1 to 1000000");
			else
				sp->limit = u;
		} else
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown suppress key '%s' (group_by, window, "
			    "limit)", k != NULL ? k : "?");
	}
	if (sp->window_us == 0)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'suppress' needs a 'window'");
}

/* "params:" of a detector: a map of scalars or lists of scalars. */
static void
rule_compile_params(struct rule_load *ld, struct rule *r, yaml_node_t *n)
{
	yaml_node_pair_t	*p;
	struct rule_param	*pm;
	const char		*k;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'params' must be a map of name: value");
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);

		if ((k = rule_scalar(kn)) == NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "parameter names must be strings");
			continue;
		}
		if (rule_param(r, k) != NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "parameter '%s' given twice", k);
			continue;
		}
		r->params = reallocarray(r->params, r->nparams + 1,
		    sizeof *r->params);
		if (r->params == NULL)
			fatal("reallocarray");
		pm = &r->params[r->nparams++];
		memset(pm, 0, sizeof *pm);
		pm->key = rule_strdup(k);
		pm->lineno = (int)kn->start_mark.line + 1;
		if (rule_scalar(vn) != NULL)
			pm->value = rule_strdup(rule_scalar(vn));
		else
			rule_str_list(ld, vn, k, &pm->list, &pm->nlist);
	}
}

const struct rule_param *
rule_param(const struct rule *r, const char *key)
{
	size_t	i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return &r->params[i];
	return NULL;
}

/* One rule from a mapping node; adds it to the set or reports why not. */
static void
rule_compile(struct rule_load *ld, yaml_node_t *n)
{
	static const char *const keys = "id, rev, title, description, "
	    "category, severity, attack, logsource, match, correlation, "
	    "detector, params, suppress, alert, samples";
	yaml_node_pair_t	*p;
	struct rule		*r;
	struct rule_conds	 rc;
	unsigned int		 errs0 = ld->errs->n;
	const char		*k, *s;
	uint64_t		 u;
	bool			 have_match = false;
	size_t			 start, end;

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
	r->alert = true;
	r->root.kind = RN_ALL;
	rc.conds = &r->conds;
	rc.nconds = &r->nconds;
	start = n->start_mark.index;
	end = n->end_mark.index;
	if (start <= end && end <= ld->len)
		r->fingerprint = rule_hash(0, ld->buf + start, end - start);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);
		yaml_node_item_t *it;
		bool		 b;

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
			if (have_match) {
				rule_err(ld->errs, ld->file, &kn->start_mark,
				    "'match' given twice");
				continue;
			}
			have_match = true;
			rule_compile_map(ld, &rc, &r->root, vn);
		} else if (strcmp(k, "correlation") == 0)
			rule_compile_corr(ld, r, vn);
		else if (strcmp(k, "detector") == 0) {
			free(r->detector);
			r->detector = rule_get_str(ld, vn, k);
		} else if (strcmp(k, "params") == 0)
			rule_compile_params(ld, r, vn);
		else if (strcmp(k, "suppress") == 0)
			rule_compile_suppress(ld, r, vn);
		else if (strcmp(k, "alert") == 0) {
			if ((s = rule_scalar(vn)) == NULL ||
			    !rule_parse_bool(s, &b))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'alert' must be true or false");
			else
				r->alert = b;
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
	if (r->detector != NULL) {
		if (r->kind != RK_MATCH)
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "rule %s: a detector takes no 'correlation'",
			    r->id ? r->id : "?");
		r->kind = RK_DETECTOR;
		if ((r->ops = detect_lookup(r->detector)) == NULL)
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "rule %s: unknown detector '%s' (%s)",
			    r->id ? r->id : "?", r->detector,
			    detect_names());
		else {
			char	*cause = NULL;

			if (r->ops->check(r, &cause) != 0) {
				rule_err(ld->errs, ld->file, &n->start_mark,
				    "rule %s: %s", r->id ? r->id : "?", cause);
				free(cause);
			}
		}
	} else if (r->nparams > 0)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "rule %s: 'params' belong to a detector",
		    r->id ? r->id : "?");
	if (!have_match && r->corr.nrules == 0 && r->kind != RK_DETECTOR)
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
	r->index = ld->rs->n;
	ld->rs->v[ld->rs->n++] = r;
}

/* Lower-case ASCII copy of s into buf (size > len); returns buf. */
static char *
rule_lower(const char *s, size_t len, char *buf)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[len] = '\0';
	return buf;
}

/* Slot of s in the list's hash set: where it is, or the empty slot. */
static size_t
rule_list_slot(const struct rule_list *l, const char *s, size_t len)
{
	size_t	i = rule_hash(0, s, len) & (l->nslots - 1);

	while (l->strs[i] != NULL && (l->lens[i] != len ||
	    memcmp(l->strs[i], s, len) != 0))
		i = (i + 1) & (l->nslots - 1);
	return i;
}

/* Add a string (already normalised) to a list's hash set. */
static void
rule_list_put(struct rule_list *l, const char *s, size_t len)
{
	size_t	i, j, old;
	char	**ostrs;
	uint32_t *olens;

	if ((l->nstrs + 1) * 2 > l->nslots) {
		old = l->nslots;
		ostrs = l->strs;
		olens = l->lens;
		l->nslots = old == 0 ? 16 : old * 2;
		l->strs = calloc(l->nslots, sizeof *l->strs);
		l->lens = calloc(l->nslots, sizeof *l->lens);
		if (l->strs == NULL || l->lens == NULL)
			fatal("calloc");
		for (j = 0; j < old; j++) {
			if (ostrs[j] == NULL)
				continue;
			i = rule_list_slot(l, ostrs[j], olens[j]);
			l->strs[i] = ostrs[j];
			l->lens[i] = olens[j];
		}
		free(ostrs);
		free(olens);
	}
	i = rule_list_slot(l, s, len);
	if (l->strs[i] != NULL)
		return;
	if ((l->strs[i] = malloc(len + 1)) == NULL)
		fatal("malloc");
	memcpy(l->strs[i], s, len);
	l->strs[i][len] = '\0';
	l->lens[i] = (uint32_t)len;
	l->nstrs++;
}

/* Add one entry to a list; -1 with a static reason if it is not valid. */
static int
rule_list_add(struct rule_list *l, const char *s, size_t len,
    const char **why)
{
	char		 buf[RULE_MAX_DOMAIN + 1];
	struct cidr	 c;

	if (l->nstrs + l->cidrs.n >= RULE_MAX_LIST_ENTRIES) {
		*why = "too many entries";
		return -1;
	}
	switch (l->kind) {
	case LIST_IP:
		if (cidr_parse(&c, s, len, why) != 0)
			return -1;
		cidr_set_add(&l->cidrs, &c);
		return 0;
	case LIST_DOMAIN:
		if (len >= 2 && s[0] == '*' && s[1] == '.') {
			s += 2;
			len -= 2;
		} else if (len >= 1 && s[0] == '.') {
			s++;
			len--;
		}
		if (len > 0 && s[len - 1] == '.')
			len--;
		if (len == 0 || len > RULE_MAX_DOMAIN) {
			*why = "not a domain";
			return -1;
		}
		rule_list_put(l, rule_lower(s, len, buf), len);
		return 0;
	case LIST_STRING:
		if (l->nocase) {
			char	*tmp;

			if ((tmp = malloc(len + 1)) == NULL)
				fatal("malloc");
			rule_list_put(l, rule_lower(s, len, tmp), len);
			free(tmp);
		} else
			rule_list_put(l, s, len);
		return 0;
	}
	return -1;
}

/* Read entries from a file: one per line, '#' starts a comment. */
static int
rule_list_file(struct rule_load *ld, struct rule_list *l, yaml_node_t *n,
    const char *path)
{
	FILE		*f;
	char		*line = NULL, *full = NULL, *p, *e;
	const char	*why, *slash;
	size_t		 cap = 0, lineno = 0;
	ssize_t		 len;
	int		 rc = 0;

	if (path[0] != '/' && (slash = strrchr(ld->file, '/')) != NULL) {
		if (asprintf(&full, "%.*s/%s", (int)(slash - ld->file),
		    ld->file, path) == -1)
			fatal("asprintf");
		path = full;
	}
	if ((f = fopen(path, "r")) == NULL) {
		rule_err(ld->errs, ld->file, &n->start_mark, "%s: %s", path,
		    strerror(errno));
		free(full);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((p = memchr(line, '#', (size_t)len)) != NULL)
			len = p - line;
		p = line;
		e = line + len;
		while (p < e && isspace((unsigned char)*p))
			p++;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (p == e)
			continue;
		if (rule_list_add(l, p, (size_t)(e - p), &why) != 0) {
			rule_err(ld->errs, ld->file, &n->start_mark,
			    "%s:%zu: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	free(full);
	return rc;
}

static void
rule_list_free(struct rule_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nslots; i++)
		free(l->strs[i]);
	free(l->strs);
	free(l->lens);
	cidr_set_free(&l->cidrs);
	free(l->name);
	free(l->file);
	free(l);
}

/* One list: {name, type, nocase, values, file}. */
static void
rule_compile_list(struct rule_load *ld, yaml_node_t *n)
{
	yaml_node_pair_t	*p;
	yaml_node_item_t	*it;
	yaml_node_t		*values = NULL, *file = NULL;
	struct rule_list	*l;
	const char		*k, *s, *why;
	unsigned int		 errs0 = ld->errs->n;
	bool			 b, have_type = false;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "a list must be a map (name, type, nocase, values, file)");
		return;
	}
	if ((l = calloc(1, sizeof *l)) == NULL)
		fatal("calloc");
	cidr_set_init(&l->cidrs);
	l->file = rule_strdup(ld->file);
	l->lineno = (int)n->start_mark.line + 1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);

		k = rule_scalar(kn);
		s = rule_scalar(vn);
		if (k != NULL && strcmp(k, "name") == 0) {
			free(l->name);
			l->name = rule_get_str(ld, vn, k);
		} else if (k != NULL && strcmp(k, "type") == 0) {
			have_type = true;
			if (s != NULL && strcmp(s, "ip") == 0)
				l->kind = LIST_IP;
			else if (s != NULL && strcmp(s, "domain") == 0)
				l->kind = LIST_DOMAIN;
			else if (s != NULL && strcmp(s, "string") == 0)
				l->kind = LIST_STRING;
			else
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "list type is ip, domain or string");
		} else if (k != NULL && strcmp(k, "nocase") == 0) {
			if (s == NULL || !rule_parse_bool(s, &b))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'nocase' must be true or false");
			else
				l->nocase = b;
		} else if (k != NULL && strcmp(k, "values") == 0)
			values = vn;
		else if (k != NULL && strcmp(k, "file") == 0)
			file = vn;
		else
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown list key '%s' (name, type, nocase, values, "
			    "file)", k != NULL ? k : "?");
	}
	if (l->name == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark, "list has no "
		    "'name'");
	else if (ruleset_list(ld->rs, l->name) != NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "duplicate list name '%s'", l->name);
	if (!have_type)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "list has no 'type' (ip, domain, string)");
	if (values == NULL && file == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "list has neither 'values' nor 'file'");
	if (ld->errs->n == errs0 && values != NULL) {
		if (values->type != YAML_SEQUENCE_NODE)
			rule_err(ld->errs, ld->file, &values->start_mark,
			    "'values' must be a list");
		else {
			for (it = values->data.sequence.items.start;
			    it < values->data.sequence.items.top; it++) {
				yaml_node_t *vn = yaml_document_get_node(ld->doc,
				    *it);

				if ((s = rule_scalar(vn)) == NULL) {
					rule_err(ld->errs, ld->file,
					    &vn->start_mark, "list values "
					    "must be strings");
					continue;
				}
				if (rule_list_add(l, s, vn->data.scalar.length,
				    &why) != 0)
					rule_err(ld->errs, ld->file,
					    &vn->start_mark, "'%s': %s", s, why);
			}
		}
	}
	if (ld->errs->n == errs0 && file != NULL) {
		if ((s = rule_scalar(file)) == NULL)
			rule_err(ld->errs, ld->file, &file->start_mark,
			    "'file' must be a path");
		else
			rule_list_file(ld, l, file, s);
	}
	if (ld->errs->n != errs0) {
		rule_list_free(l);
		return;
	}
	ld->rs->lists = reallocarray(ld->rs->lists, ld->rs->nlists + 1,
	    sizeof *ld->rs->lists);
	if (ld->rs->lists == NULL)
		fatal("reallocarray");
	ld->rs->lists[ld->rs->nlists++] = l;
}

static void
rule_exception_free(struct rule_exception *x)
{
	size_t	i;

	if (x == NULL)
		return;
	free(x->reason);
	for (i = 0; i < x->nrules; i++)
		free(x->rules[i]);
	free(x->rules);
	rule_conds_free(x->conds, x->nconds);
	rule_node_free(&x->root);
	free(x->file);
	free(x);
}

/* One exception: {reason, rules, from, until, match}. */
static void
rule_compile_exception(struct rule_load *ld, yaml_node_t *n)
{
	yaml_node_pair_t	*p;
	struct rule_exception	*x;
	struct rule_conds	 rc;
	const char		*k, *s;
	unsigned int		 errs0 = ld->errs->n;
	bool			 have_match = false;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark, "an exception "
		    "must be a map (reason, rules, from, until, match)");
		return;
	}
	if ((x = calloc(1, sizeof *x)) == NULL)
		fatal("calloc");
	x->file = rule_strdup(ld->file);
	x->lineno = (int)n->start_mark.line + 1;
	x->from_us = INT64_MIN;
	x->until_us = INT64_MAX;
	rc.conds = &x->conds;
	rc.nconds = &x->nconds;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);

		k = rule_scalar(kn);
		s = rule_scalar(vn);
		if (k != NULL && strcmp(k, "reason") == 0) {
			free(x->reason);
			x->reason = rule_get_str(ld, vn, k);
		} else if (k != NULL && strcmp(k, "rules") == 0)
			rule_str_list(ld, vn, k, &x->rules, &x->nrules);
		else if (k != NULL && (strcmp(k, "from") == 0 ||
		    strcmp(k, "until") == 0)) {
			if (s == NULL || rule_parse_time(s, k[0] == 'f' ?
			    &x->from_us : &x->until_us) != 0)
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'%s' is a time like 2026-12-01 or "
				    "2026-12-01T18:00:00+09:00", k);
		} else if (k != NULL && strcmp(k, "match") == 0) {
			have_match = true;
			rule_compile_map(ld, &rc, &x->root, vn);
		} else
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown exception key '%s' (reason, rules, from, "
			    "until, match)", k != NULL ? k : "?");
	}
	if (x->reason == NULL || x->reason[0] == '\0')
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "an exception needs a 'reason' (who asked, and why)");
	if (!have_match)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "an exception needs 'match' conditions");
	if (ld->errs->n != errs0) {
		rule_exception_free(x);
		return;
	}
	ld->rs->exc = reallocarray(ld->rs->exc, ld->rs->nexc + 1,
	    sizeof *ld->rs->exc);
	if (ld->rs->exc == NULL)
		fatal("reallocarray");
	ld->rs->exc[ld->rs->nexc++] = x;
}

/*
 * An override of a rule loaded from another file (rules.d changing a
 * shipped rule): what it sets, kept as written until every file is read,
 * then applied in file order (see ruleset_apply_overrides).
 */
struct rule_override {
	char		*id;
	char		*file;
	int		 lineno;
	uint64_t	 fp;		/* of its text: joins the rule's */
	int		 enabled;	/* -1: not given */
	char		*severity;
	char		*threshold;	/* as written: its meaning is the rule's */
	int		 threshold_line;
	char		*window;
	int		 window_line;
	enum rf		 group_by[RULE_MAX_GROUP_BY];
	size_t		 ngroup_by;
	int		 group_by_line;
	struct rule	*params;	/* holds detector params only */
	int		 params_line;
};

static void
rule_override_free(struct rule_override *o)
{
	if (o == NULL)
		return;
	free(o->id);
	free(o->file);
	free(o->severity);
	free(o->threshold);
	free(o->window);
	rule_free(o->params);
	free(o);
}

/* The exceptions of an override: each covers the overridden rule only. */
static void
rule_override_exceptions(struct rule_load *ld, struct rule_override *o,
    yaml_node_t *n)
{
	yaml_node_item_t	*it;
	struct rule_exception	*x;
	size_t			 nexc;

	if (n->type != YAML_SEQUENCE_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "'exceptions' of an override must be a list");
		return;
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t *xn = yaml_document_get_node(ld->doc, *it);

		nexc = ld->rs->nexc;
		rule_compile_exception(ld, xn);
		if (ld->rs->nexc == nexc)
			continue;
		x = ld->rs->exc[nexc];
		if (x->nrules > 0) {
			rule_err(ld->errs, ld->file, &xn->start_mark,
			    "an exception of an override covers its rule: "
			    "no 'rules'");
			continue;
		}
		if ((x->rules = calloc(1, sizeof *x->rules)) == NULL)
			fatal("calloc");
		x->rules[0] = rule_strdup(o->id);
		x->nrules = 1;
	}
}

/*
 * One item of "overrides:": {id, enabled, severity, threshold, window,
 * group_by, params, exceptions}.  Values are checked here as far as they
 * can be without the rule; what depends on the rule's kind is checked
 * when the override is applied.
 */
static void
rule_compile_override(struct rule_load *ld, yaml_node_t *n)
{
	static const char *const keys = "id, enabled, severity, threshold, "
	    "window, group_by, params, exceptions";
	yaml_node_pair_t	*p;
	yaml_node_t		*xn = NULL;
	struct rule_override	*o;
	unsigned int		 errs0 = ld->errs->n;
	const char		*k, *s;
	size_t			 start, end;
	int64_t			 us;
	bool			 b;

	if (n->type != YAML_MAPPING_NODE) {
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "an override must be a map (%s)", keys);
		return;
	}
	if ((o = calloc(1, sizeof *o)) == NULL)
		fatal("calloc");
	o->file = rule_strdup(ld->file);
	o->lineno = (int)n->start_mark.line + 1;
	o->enabled = -1;
	start = n->start_mark.index;
	end = n->end_mark.index;
	if (start <= end && end <= ld->len)
		o->fp = rule_hash(0x6f76657272696465ULL, ld->buf + start,
		    end - start);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t	*kn = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t	*vn = yaml_document_get_node(ld->doc, p->value);
		int		 line = (int)vn->start_mark.line + 1;

		k = rule_scalar(kn);
		s = rule_scalar(vn);
		if (k == NULL) {
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "override keys must be strings");
		} else if (strcmp(k, "id") == 0) {
			free(o->id);
			o->id = rule_get_str(ld, vn, k);
		} else if (strcmp(k, "enabled") == 0) {
			if (s == NULL || !rule_parse_bool(s, &b))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "'enabled' must be true or false");
			else
				o->enabled = b ? 1 : 0;
		} else if (strcmp(k, "severity") == 0) {
			free(o->severity);
			o->severity = rule_get_str(ld, vn, k);
			if (o->severity != NULL &&
			    !rule_valid_severity(o->severity))
				rule_err(ld->errs, ld->file, &vn->start_mark,
				    "unknown severity '%s' (low, medium, high, "
				    "critical)", o->severity);
		} else if (strcmp(k, "threshold") == 0) {
			free(o->threshold);
			o->threshold = rule_get_str(ld, vn, k);
			o->threshold_line = line;
		} else if (strcmp(k, "window") == 0) {
			if (rule_window(ld, vn, &us) == 0) {
				free(o->window);
				o->window = rule_strdup(s);
				o->window_line = line;
			}
		} else if (strcmp(k, "group_by") == 0) {
			if (rule_group_by(ld, vn, o->group_by,
			    &o->ngroup_by) == 0)
				o->group_by_line = line;
		} else if (strcmp(k, "params") == 0) {
			if (o->params == NULL && (o->params = calloc(1,
			    sizeof *o->params)) == NULL)
				fatal("calloc");
			rule_compile_params(ld, o->params, vn);
			o->params_line = line;
		} else if (strcmp(k, "exceptions") == 0)
			xn = vn;
		else
			rule_err(ld->errs, ld->file, &kn->start_mark,
			    "unknown override key '%s' (%s)", k, keys);
	}
	if (o->id == NULL)
		rule_err(ld->errs, ld->file, &n->start_mark,
		    "an override names the rule it changes with 'id'");
	else if (xn != NULL)
		rule_override_exceptions(ld, o, xn);
	if (ld->errs->n != errs0) {
		rule_override_free(o);
		return;
	}
	ld->rs->ovr = reallocarray(ld->rs->ovr, ld->rs->novr + 1,
	    sizeof *ld->rs->ovr);
	if (ld->rs->ovr == NULL)
		fatal("reallocarray");
	ld->rs->ovr[ld->rs->novr++] = o;
}

/* Set detector parameter key of r to value (replacing one given). */
static void
rule_set_param(struct rule *r, const struct rule_param *src)
{
	struct rule_param	*pm = NULL;
	size_t			 i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, src->key) == 0)
			pm = &r->params[i];
	if (pm == NULL) {
		r->params = reallocarray(r->params, r->nparams + 1,
		    sizeof *r->params);
		if (r->params == NULL)
			fatal("reallocarray");
		pm = &r->params[r->nparams++];
		memset(pm, 0, sizeof *pm);
		pm->key = rule_strdup(src->key);
	} else {
		free(pm->value);
		for (i = 0; i < pm->nlist; i++)
			free(pm->list[i]);
		free(pm->list);
		pm->value = NULL;
		pm->list = NULL;
		pm->nlist = 0;
	}
	pm->lineno = src->lineno;
	if (src->value != NULL)
		pm->value = rule_strdup(src->value);
	for (i = 0; i < src->nlist; i++) {
		pm->list = reallocarray(pm->list, pm->nlist + 1,
		    sizeof *pm->list);
		if (pm->list == NULL)
			fatal("reallocarray");
		pm->list[pm->nlist++] = rule_strdup(src->list[i]);
	}
}

/* Apply one override to its rule; errors name the override's line. */
static void
rule_override_apply(struct rule_override *o, struct rule *r,
    struct rule_errs *errs)
{
	struct rule_param	 pm;
	const char		*id = o->id;
	char			*cause = NULL;
	uint64_t		 u;
	size_t			 i;
	bool			 corr = r->kind == RK_COUNT ||
				    r->kind == RK_DISTINCT ||
				    r->kind == RK_SEQUENCE;

	if (o->severity != NULL) {
		free(r->severity);
		r->severity = rule_strdup(o->severity);
	}
	if (o->threshold != NULL) {
		if (corr) {
			if (!rule_parse_u64(o->threshold, &u) || u < 1 ||
			    u > RULE_MAX_THRESHOLD)
				rule_err_line(errs, o->file, o->threshold_line,
				    "'threshold' of a correlation is an "
				    "integer from 1 to 100000, not ",
				    o->threshold);
			else
				r->corr.threshold = u;
		} else if (r->kind == RK_DETECTOR) {
			memset(&pm, 0, sizeof pm);
			pm.key = (char *)"threshold";
			pm.value = o->threshold;
			pm.lineno = o->threshold_line;
			rule_set_param(r, &pm);
		} else
			rule_err_line(errs, o->file, o->threshold_line,
			    "a plain match has no 'threshold' to override: ",
			    id);
	}
	if (o->window != NULL) {
		if (corr)
			r->corr.window_us = rule_parse_duration(o->window);
		else if (r->kind == RK_DETECTOR) {
			memset(&pm, 0, sizeof pm);
			pm.key = (char *)"window";
			pm.value = o->window;
			pm.lineno = o->window_line;
			rule_set_param(r, &pm);
		} else
			rule_err_line(errs, o->file, o->window_line,
			    "a plain match has no 'window' to override: ", id);
	}
	if (o->ngroup_by > 0) {
		if (corr) {
			memcpy(r->corr.group_by, o->group_by,
			    sizeof r->corr.group_by);
			r->corr.ngroup_by = o->ngroup_by;
		} else
			rule_err_line(errs, o->file, o->group_by_line,
			    "only a correlation has a 'group_by' to "
			    "override: ", id);
	}
	if (o->params != NULL) {
		if (r->kind != RK_DETECTOR)
			rule_err_line(errs, o->file, o->params_line,
			    "only a detector has 'params' to override: ", id);
		else
			for (i = 0; i < o->params->nparams; i++)
				rule_set_param(r, &o->params->params[i]);
	}
	if (r->kind == RK_DETECTOR && r->ops != NULL &&
	    (o->threshold != NULL || o->window != NULL || o->params != NULL) &&
	    r->ops->check(r, &cause) != 0) {
		yaml_mark_t	m;

		memset(&m, 0, sizeof m);
		m.line = (size_t)o->lineno - 1;
		rule_err(errs, o->file, &m, "override of %s: %s", id, cause);
		free(cause);
	}
	r->fingerprint = rule_hash(r->fingerprint, &o->fp, sizeof o->fp);
}

/*
 * Apply every override read, in the order the files were read, then take
 * the rules they disabled out of the set (kept in rs->off so exceptions
 * may still name them).  A disabled rule that an enabled correlation is
 * fed by is an error: the correlation would silently go blind.
 */
static void
ruleset_apply_overrides(struct ruleset *rs, struct rule_errs *errs)
{
	struct rule_override	**offby, *o;
	struct rule		 *r;
	size_t			  i, j, k, n;

	if (rs->novr == 0)
		return;
	if ((offby = calloc(rs->n + 1, sizeof *offby)) == NULL)
		fatal("calloc");
	for (i = 0; i < rs->novr; i++) {
		o = rs->ovr[i];
		if ((r = ruleset_find(rs, o->id)) == NULL) {
			rule_err_line(errs, o->file, o->lineno,
			    "override names no rule: ", o->id);
			continue;
		}
		rule_override_apply(o, r, errs);
		if (o->enabled == 0)
			offby[r->index] = o;
		else if (o->enabled == 1)
			offby[r->index] = NULL;
	}
	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (offby[i] != NULL)
			continue;
		for (j = 0; j < r->corr.nrules; j++)
			for (k = 0; k < rs->n; k++)
				if (offby[k] != NULL && strcmp(rs->v[k]->id,
				    r->corr.rules[j]) == 0) {
					rule_err_line(errs, offby[k]->file,
					    offby[k]->lineno, "a disabled rule "
					    "still feeds the correlation ",
					    r->id);
				}
	}
	for (i = 0, n = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (offby[i] != NULL) {
			rs->off = reallocarray(rs->off, rs->noff + 1,
			    sizeof *rs->off);
			if (rs->off == NULL)
				fatal("reallocarray");
			rs->off[rs->noff++] = r;
			continue;
		}
		r->index = n;
		rs->v[n++] = r;
	}
	rs->n = n;
	free(offby);
	for (i = 0; i < rs->novr; i++)
		rule_override_free(rs->ovr[i]);
	free(rs->ovr);
	rs->ovr = NULL;
	rs->novr = 0;
}

/* Find a rule disabled by an override; NULL if none. */
static struct rule *
ruleset_find_off(const struct ruleset *rs, const char *id)
{
	size_t	i;

	for (i = 0; i < rs->noff; i++)
		if (strcmp(rs->off[i]->id, id) == 0)
			return rs->off[i];
	return NULL;
}

/* Each item of a top-level list through fn. */
static void
rule_each(struct rule_load *ld, yaml_node_t *list, const char *what,
    void (*fn)(struct rule_load *, yaml_node_t *))
{
	yaml_node_item_t	*it;

	if (list->type != YAML_SEQUENCE_NODE) {
		rule_err(ld->errs, ld->file, &list->start_mark,
		    "'%s' must be a list", what);
		return;
	}
	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++)
		fn(ld, yaml_document_get_node(ld->doc, *it));
}

/* Parse one YAML buffer into the rules, lists and exceptions of rs. */
static void
rule_load_buffer(struct ruleset *rs, const char *name, const char *buf,
    size_t len, struct rule_errs *errs)
{
	yaml_parser_t		 parser;
	yaml_document_t		 doc;
	yaml_node_t		*root;
	struct rule_load	 ld = { name, buf, len, &doc, errs, rs, 0 };

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
	if (root->type == YAML_SEQUENCE_NODE)
		rule_each(&ld, root, "rules", rule_compile);
	else if (root->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *p = root->data.mapping.pairs.start;
		const char	 *k;

		/* Lists first: rules of the same file may name them. */
		for (; p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
			yaml_node_t *vn = yaml_document_get_node(&doc, p->value);

			k = rule_scalar(kn);
			if (k != NULL && strcmp(k, "rules") == 0)
				rule_each(&ld, vn, k, rule_compile);
			else if (k != NULL && strcmp(k, "lists") == 0)
				rule_each(&ld, vn, k, rule_compile_list);
			else if (k != NULL && strcmp(k, "exceptions") == 0)
				rule_each(&ld, vn, k, rule_compile_exception);
			else if (k != NULL && strcmp(k, "overrides") == 0)
				rule_each(&ld, vn, k, rule_compile_override);
			else
				rule_err(errs, name, &kn->start_mark,
				    "unknown top-level key '%s' (rules, lists, "
				    "exceptions, overrides)", k ? k : "?");
		}
	} else
		rule_err(errs, name, &root->start_mark,
		    "expected a list of rules or a map (rules, lists, "
		    "exceptions, overrides)");
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
	if (n > 0)
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
	size_t			 i;

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
	for (i = 0; i < ROLE_MAX; i++)
		cidr_set_init(&rs->roles[i]);
	rs->seed = 0x6b656962692d3031ULL;	/* see detect_new */
	return rs;
}

/* Resolve the list a condition names. */
static void
rule_resolve_conds(struct ruleset *rs, struct cond *conds, size_t nconds,
    const char *file, struct rule_errs *errs)
{
	size_t	i;

	for (i = 0; i < nconds; i++) {
		if (conds[i].op != COND_LIST)
			continue;
		conds[i].list = ruleset_list(rs, conds[i].list_name);
		if (conds[i].list == NULL)
			rule_err_line(errs, file, conds[i].lineno,
			    "unknown list ", conds[i].list_name);
	}
}

/* Add d to the dependents of input (once). */
static void
rule_add_dependent(struct rule *input, struct rule *d)
{
	size_t	i;

	for (i = 0; i < input->ndependents; i++)
		if (input->dependents[i] == d)
			return;
	input->dependents = reallocarray(input->dependents,
	    input->ndependents + 1, sizeof *input->dependents);
	if (input->dependents == NULL)
		fatal("reallocarray");
	input->dependents[input->ndependents++] = d;
}

/* References between files, once every file is read. */
static void
ruleset_resolve(struct ruleset *rs, struct rule_errs *errs)
{
	struct rule		*r, *in;
	struct rule_exception	*x;
	size_t			 i, j;

	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		rule_resolve_conds(rs, r->conds, r->nconds, r->file, errs);
		if (r->corr.nrules == 0)
			continue;
		r->corr.inputs = calloc(r->corr.nrules, sizeof *r->corr.inputs);
		if (r->corr.inputs == NULL)
			fatal("calloc");
		for (j = 0; j < r->corr.nrules; j++) {
			in = ruleset_find(rs, r->corr.rules[j]);
			if (in == NULL || in == r) {
				rule_err_line(errs, r->file, r->lineno, in == r ?
				    "a correlation cannot feed itself: " :
				    "correlation input is no rule: ",
				    r->corr.rules[j]);
				continue;
			}
			if (in->corr.nrules > 0) {
				rule_err_line(errs, r->file, r->lineno,
				    "correlation input is itself fed by "
				    "rules: ", r->corr.rules[j]);
				continue;
			}
			r->corr.inputs[j] = in;
			rule_add_dependent(in, r);
		}
	}
	for (i = 0; i < rs->nexc; i++) {
		x = rs->exc[i];
		rule_resolve_conds(rs, x->conds, x->nconds, x->file, errs);
		for (j = 0; j < x->nrules; j++)
			if (ruleset_find(rs, x->rules[j]) == NULL &&
			    ruleset_find_off(rs, x->rules[j]) == NULL)
				rule_err_line(errs, x->file, x->lineno,
				    "exception names no rule: ", x->rules[j]);
	}
}

/* Finish loading: the set, or NULL with *cause. */
static struct ruleset *
ruleset_done(struct ruleset *rs, struct rule_errs *errs, char **cause)
{
	ruleset_apply_overrides(rs, errs);
	if (errs->n == 0)
		ruleset_resolve(rs, errs);
	if (errs->n == 0) {
		free(errs->buf);
		*cause = NULL;
		rs->plan = match_plan_build(rs);
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
	detect_free(rs->detect);
	for (i = 0; i < rs->n; i++)
		rule_free(rs->v[i]);
	free(rs->v);
	for (i = 0; i < rs->noff; i++)
		rule_free(rs->off[i]);
	free(rs->off);
	for (i = 0; i < rs->novr; i++)
		rule_override_free(rs->ovr[i]);
	free(rs->ovr);
	for (i = 0; i < rs->nlists; i++)
		rule_list_free(rs->lists[i]);
	free(rs->lists);
	for (i = 0; i < rs->nexc; i++)
		rule_exception_free(rs->exc[i]);
	free(rs->exc);
	match_plan_free(rs->plan);
	for (i = 0; i < ROLE_MAX; i++)
		cidr_set_free(&rs->roles[i]);
	pcre2_match_data_free(rs->match_data);
	pcre2_match_context_free(rs->match_ctx);
	pcre2_jit_stack_free(rs->jit_stack);
	free(rs);
}

void
ruleset_set_role(struct ruleset *rs, enum rule_role role,
    const struct cidr_set *set)
{
	size_t	i;

	cidr_set_free(&rs->roles[role]);
	cidr_set_init(&rs->roles[role]);
	for (i = 0; i < set->n; i++)
		cidr_set_add(&rs->roles[role], &set->v[i]);
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

struct rule_list *
ruleset_list(const struct ruleset *rs, const char *name)
{
	size_t	i;

	for (i = 0; i < rs->nlists; i++)
		if (strcmp(rs->lists[i]->name, name) == 0)
			return rs->lists[i];
	return NULL;
}

bool
rule_list_has(const struct rule_list *l, const char *s, size_t len,
    const struct netaddr *na)
{
	struct netaddr	 tmp;
	char		 buf[RULE_MAX_DOMAIN + 1], *lower;
	size_t		 i;
	bool		 found;

	switch (l->kind) {
	case LIST_IP:
		if (na == NULL || na->family == 0) {
			if (netaddr_parse(&tmp, s, len) != 0)
				return false;
			na = &tmp;
		}
		return cidr_set_contains(&l->cidrs, na);
	case LIST_DOMAIN:
		if (l->nslots == 0)
			return false;
		if (len > 0 && s[len - 1] == '.')
			len--;
		if (len == 0 || len > RULE_MAX_DOMAIN)
			return false;
		rule_lower(s, len, buf);
		/* The name, then each parent: a.b.example.com, b.example.com... */
		for (i = 0; i < len; i++) {
			if (i > 0 && buf[i - 1] != '.')
				continue;
			if (l->strs[rule_list_slot(l, buf + i, len - i)] != NULL)
				return true;
		}
		return false;
	case LIST_STRING:
		if (l->nslots == 0)
			return false;
		if (!l->nocase)
			return l->strs[rule_list_slot(l, s, len)] != NULL;
		if (len <= RULE_MAX_DOMAIN)
			return l->strs[rule_list_slot(l, rule_lower(s, len,
			    buf), len)] != NULL;
		if ((lower = malloc(len + 1)) == NULL)
			fatal("malloc");
		found = l->strs[rule_list_slot(l, rule_lower(s, len, lower),
		    len)] != NULL;
		free(lower);
		return found;
	}
	return false;
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

/* The parsed address of an IP field, or NULL (parsed into tmp if needed). */
static const struct netaddr *
rule_addr(const struct record *rec, enum rf field, struct span s,
    struct netaddr *tmp)
{
	if (field == RF_SOURCE_IP && rec->src.family != 0)
		return &rec->src;
	if (field == RF_DESTINATION_IP && rec->dst.family != 0)
		return &rec->dst;
	if (netaddr_parse(tmp, s.p, s.len) != 0)
		return NULL;
	return tmp;
}

/* One value against a field value: 1, 0, or -1 (a PCRE2 limit was hit). */
static int
rule_value_match(struct ruleset *rs, const struct cond *c,
    const struct cond_value *v, const struct record *rec, struct span s)
{
	const struct netaddr	*a;
	struct netaddr		 na;
	uint64_t		 n;
	int			 rc;

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
		if ((a = rule_addr(rec, c->field, s, &na)) == NULL)
			return 0;
		return cidr_contains(&v->cidr, a);
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
	case COND_LIST:
	case COND_ROLE:
		return 1;
	}
	return 0;
}

/* One condition: 1 holds, 0 does not, -1 a PCRE2 limit was hit. */
static int
rule_cond_eval(struct ruleset *rs, const struct cond *c,
    const struct record *rec)
{
	const struct netaddr	*a;
	struct netaddr		 na;
	struct span		 s;
	size_t			 j;
	int			 hit = 0, rc;

	if (record_has(rec, c->field)) {
		s = record_get(rec, c->field);
		switch (c->op) {
		case COND_EXISTS:
			hit = 1;
			break;
		case COND_LIST:
			a = NULL;
			if (c->list != NULL && c->list->kind == LIST_IP)
				a = rule_addr(rec, c->field, s, &na);
			hit = c->list != NULL && rule_list_has(c->list, s.p,
			    s.len, a);
			break;
		case COND_ROLE:
			if ((a = rule_addr(rec, c->field, s, &na)) == NULL)
				break;
			for (j = 0; j < ROLE_MAX && !hit; j++)
				if ((c->roles & (1U << j)) &&
				    cidr_set_contains(&rs->roles[j], a))
					hit = 1;
			break;
		default:
			for (j = 0; j < c->nvalues && !hit; j++) {
				rc = rule_value_match(rs, c, &c->values[j], rec,
				    s);
				if (rc < 0)
					return -1;
				hit = rc;
			}
			break;
		}
	}
	return hit != (int)c->negate;
}

/* A node of a condition tree: 1, 0 or -1 (a PCRE2 limit was hit). */
static int
rule_node_eval(struct ruleset *rs, const struct cond *conds,
    const struct rule_node *node, const struct record *rec)
{
	size_t	i;
	int	rc;

	switch (node->kind) {
	case RN_COND:
		return rule_cond_eval(rs, &conds[node->cond], rec);
	case RN_ALL:
		for (i = 0; i < node->nkids; i++)
			if ((rc = rule_node_eval(rs, conds, &node->kids[i],
			    rec)) != 1)
				return rc;
		return 1;
	case RN_ANY:
		for (i = 0; i < node->nkids; i++)
			if ((rc = rule_node_eval(rs, conds, &node->kids[i],
			    rec)) != 0)
				return rc;
		return 0;
	case RN_NOT:
		if (node->nkids == 0)
			return 1;
		rc = rule_node_eval(rs, conds, &node->kids[0], rec);
		return rc < 0 ? rc : !rc;
	}
	return 0;
}

int
rule_match(struct ruleset *rs, struct rule *r, const struct record *rec)
{
	int	rc;

	if (r->root.nkids == 0)
		return 1;
	rc = rule_node_eval(rs, r->conds, &r->root, rec);
	if (rc >= 0)
		return rc;
	r->limit_hits++;
	rs->limit_hits++;
	log_warnx_rl("rule-limit", "rule %s: PCRE2 limit hit; treated as no "
	    "match", r->id);
	return 0;
}

/* Text of a condition for people: "url.original regex '...'". */
static void
rule_cond_text(const struct cond *c, char *buf, size_t size)
{
	const char	*op = "?";
	size_t		 i;

	for (i = 0; i < sizeof rule_ops / sizeof rule_ops[0]; i++)
		if (rule_ops[i].op == c->op)
			op = rule_ops[i].name;
	if (c->op == COND_LIST)
		snprintf(buf, size, "%s%s in_list %s", c->negate ? "not " : "",
		    record_field_name(c->field), c->list_name);
	else if (c->op == COND_EXISTS)
		snprintf(buf, size, "%s %s", record_field_name(c->field),
		    c->negate ? "missing" : "exists");
	else
		snprintf(buf, size, "%s%s %s%s '%s'%s",
		    c->negate ? "not " : "", record_field_name(c->field), op,
		    c->nocase ? " (nocase)" : "",
		    c->nvalues > 0 ? c->values[0].s : "",
		    c->nvalues > 1 ? " or ..." : "");
}

size_t
rule_explain(struct ruleset *rs, struct rule *r, const struct record *rec,
    char *buf, size_t size)
{
	const struct rule_node	*kid;
	char			 text[256], val[96];
	size_t			 i, held = 0;
	bool			 first = true;

	if (size > 0)
		buf[0] = '\0';
	if (!rule_covers(r, record_get(rec, RF_EVENT_DATASET))) {
		snprintf(buf, size, "logsource %s does not cover this event",
		    r->logsource);
		return 0;
	}
	for (i = 0; i < r->root.nkids; i++) {
		kid = &r->root.kids[i];
		if (rule_node_eval(rs, r->conds, kid, rec) == 1) {
			held++;
			continue;
		}
		if (!first)
			continue;
		first = false;
		if (kid->kind != RN_COND) {
			snprintf(buf, size, "a nested %s group failed",
			    kid->kind == RN_ANY ? "any" : kid->kind == RN_NOT ?
			    "not" : "all");
			continue;
		}
		rule_cond_text(&r->conds[kid->cond], text, sizeof text);
		if (record_has(rec, r->conds[kid->cond].field)) {
			struct span	s = record_get(rec,
			    r->conds[kid->cond].field);

			log_escape(s.p, s.len, val, sizeof val);
			snprintf(buf, size, "%s failed (value '%s')", text, val);
		} else
			snprintf(buf, size, "%s failed (field missing)", text);
	}
	return held;
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

struct rule_exception *
ruleset_excepted(struct ruleset *rs, struct rule *r, const struct record *rec)
{
	struct rule_exception	*x;
	size_t			 i, j;
	bool			 applies;

	for (i = 0; i < rs->nexc; i++) {
		x = rs->exc[i];
		if (rec->has_ts && (rec->ts_us < x->from_us ||
		    rec->ts_us >= x->until_us))
			continue;
		if (!rec->has_ts && (x->from_us != INT64_MIN ||
		    x->until_us != INT64_MAX))
			continue;
		applies = x->nrules == 0;
		for (j = 0; j < x->nrules && !applies; j++)
			if (strcmp(x->rules[j], r->id) == 0)
				applies = true;
		if (!applies)
			continue;
		if (rule_node_eval(rs, x->conds, &x->root, rec) == 1) {
			x->hits++;
			return x;
		}
	}
	return NULL;
}

size_t
ruleset_match(struct ruleset *rs, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	return match_plan_run(rs, rec, cb, arg);
}
