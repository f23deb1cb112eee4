/*
 * match.c: the Hyperscan prefilter in front of the rules.  Each dataset
 * gets a plan: its rules in set order, a bitmap of those that must always
 * be evaluated, and per field up to two Hyperscan databases (patterns that
 * start with ^ apart: Hyperscan runs them far faster alone), a list of
 * startswith/endswith values and one hash table of equals values.  Per
 * event the candidate bitmap is filled by the hs_scan()s, compares and one
 * hash probe of each indexed field present; then each
 * candidate is evaluated in full (rule_match, PCRE2 with its limits).
 * Named lists of domains and strings go into the same hash tables: a
 * domain entry is probed with every parent of the value (a.b.example.com,
 * b.example.com, example.com, com), hashed once per event.
 *
 * Soundness, the one thing this module must never break: a rule is left
 * out only if the condition it is indexed by cannot hold.  Patterns are
 * compiled in HS_FLAG_PREFILTER mode (a superset of the PCRE2 semantics)
 * on ASCII pattern text, and a field value with a byte above 0x7f is not
 * scanned at all: every rule indexed on that field becomes a candidate,
 * because Hyperscan's byte semantics and PCRE2's UTF semantics may differ
 * there.  Building a plan allocates; running one never does.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "hscache.h"
#include "log.h"
#include "match.h"
#include "rule.h"

#define MP_MAX_DATASETS	64		/* plans; more datasets go unindexed */
#define MP_MAX_PICK	32		/* conditions of one rule's prefilter */
#define MP_FOLD_MAX	256		/* longest value folded for equals */

/* One equals value: its hash and the rule it indexes. */
struct mp_eq {
	uint64_t	 hash;
	uint32_t	 rule;		/* local index + 1; 0 = empty slot */
	uint8_t		 folded;	/* MP_EXACT, MP_FOLDED or MP_DOMAIN */
};

#define MP_EXACT	0		/* hash of the value */
#define MP_FOLDED	1		/* of the lower-cased value */
#define MP_DOMAIN	2		/* of a lower-cased domain entry */

/* A startswith or endswith value, compared as rule_match does. */
struct mp_lit {
	const char	*s;		/* the rule's own value */
	size_t		 len;
	unsigned int	 rule;
	bool		 nocase;
	bool		 end;		/* endswith */
};

struct mp_field {
	enum rf		 field;
	/* Hyperscan patterns of this field. */
	char		**pats;
	unsigned int	*flags;
	unsigned int	*ids;		/* pattern id = index; ids[i] = rule */
	bool		*anch;		/* every alternative starts with ^ */
	size_t		 npats;
	hs_database_t	*db;		/* the patterns that are not anch */
	hs_database_t	*adb;		/* those that are */
	uint64_t	*hs_rules;	/* rules indexed by the databases */
	/* startswith and endswith values: a compare costs less than a scan */
	struct mp_lit	*lits;
	size_t		 nlits;
	/* equals values of this field */
	struct mp_eq	*eq;
	size_t		 eq_slots;	/* power of two */
	size_t		 neq;
	bool		 has_folded;
	bool		 has_domain;
	uint64_t	*fold_rules;	/* rules indexed by folded values */
};

struct mp_dataset {
	char		*name;
	size_t		 len;
	struct rule	**rules;	/* in set order */
	size_t		 nrules;
	size_t		 nwords;
	uint64_t	*always;
	struct mp_field	*fields;
	size_t		 nfields;
	size_t		 indexed;
};

struct match_plan {
	struct mp_dataset *ds[MP_MAX_DATASETS];
	size_t		 nds;
	hs_scratch_t	*scratch;
	uint64_t	*cand;
	size_t		 cand_words;
	int		 lowcard[16];	/* fields that say little */
	size_t		 nlowcard;
	char		*cache_dir;	/* compiled databases, or NULL */
	unsigned int	 loaded;	/* databases taken from the cache */
	unsigned int	 compiled;	/* and compiled */
};

/* What must hold for a rule to match: any of these conditions. */
struct mp_pick {
	const struct cond *c[MP_MAX_PICK];
	size_t		 n;
	int		 score;
	bool		 ok;
};

/* Low-cardinality fields: most events of a dataset share their values. */
static const char *const mp_lowcard_names[] = {
	"event.dataset", "event.action", "event.outcome", "event.type",
	"network.direction", "network.transport", "postfix.status",
	"http.request.method", "process.name", "host.hostname", NULL
};

static bool
mp_ascii(const char *p, size_t len)
{
	uint64_t	w, acc = 0;
	size_t		i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080ULL) == 0;
}

static bool
mp_is_lowcard(const struct match_plan *mp, enum rf f)
{
	size_t	i;

	for (i = 0; i < mp->nlowcard; i++)
		if (mp->lowcard[i] == (int)f)
			return true;
	return false;
}

/*
 * Whether c can index its rule, and how well.  An equals value or a list
 * costs one hash probe per event however many rules share the field; a
 * pattern adds to the scan of every event that has the field (a pattern
 * the database cannot merge well can double it), so a rule that can be
 * indexed either way is indexed by its equals.  A field most events share
 * values of says little either way.
 */
static bool
mp_cond_ok(const struct match_plan *mp, const struct cond *c, int *score)
{
	size_t	i;

	if (c->negate)
		return false;
	if (c->op == COND_LIST) {
		if (c->list == NULL || c->list->kind == LIST_IP ||
		    c->list->nstrs == 0)
			return false;
		*score = mp_is_lowcard(mp, c->field) ? 1 : 4;
		return true;
	}
	if (c->nvalues == 0)
		return false;
	switch (c->op) {
	case COND_EQUALS:
		*score = 4;
		break;
	case COND_CONTAINS:
	case COND_STARTSWITH:
	case COND_ENDSWITH:
	case COND_REGEX:
		for (i = 0; i < c->nvalues; i++)
			if (c->values[i].len == 0 ||
			    !mp_ascii(c->values[i].s, c->values[i].len))
				return false;
		*score = 3;
		break;
	default:
		return false;
	}
	if (mp_is_lowcard(mp, c->field))
		*score = c->op == COND_EQUALS ? 0 : 1;
	return true;
}

/* The best prefilter of a condition tree node (see struct mp_pick). */
static void
mp_pick(const struct match_plan *mp, const struct rule *r,
    const struct rule_node *node, struct mp_pick *out)
{
	struct mp_pick	 kid;
	size_t		 i, j;
	int		 score;

	memset(out, 0, sizeof *out);
	switch (node->kind) {
	case RN_COND:
		if (mp_cond_ok(mp, &r->conds[node->cond], &score)) {
			out->ok = true;
			out->c[0] = &r->conds[node->cond];
			out->n = 1;
			out->score = score;
		}
		return;
	case RN_ALL:
		for (i = 0; i < node->nkids; i++) {
			mp_pick(mp, r, &node->kids[i], &kid);
			if (!kid.ok)
				continue;
			if (!out->ok || kid.score > out->score ||
			    (kid.score == out->score && kid.n < out->n))
				*out = kid;
		}
		return;
	case RN_ANY:
		if (node->nkids == 0)
			return;
		out->score = 100;
		for (i = 0; i < node->nkids; i++) {
			mp_pick(mp, r, &node->kids[i], &kid);
			if (!kid.ok || out->n + kid.n > MP_MAX_PICK) {
				out->ok = false;
				out->n = 0;
				return;
			}
			for (j = 0; j < kid.n; j++)
				out->c[out->n++] = kid.c[j];
			if (kid.score < out->score)
				out->score = kid.score;
		}
		out->ok = true;
		return;
	case RN_NOT:
		return;
	}
}

static void
mp_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* The field entry of f in d, made if missing. */
static struct mp_field *
mp_field_get(struct mp_dataset *d, enum rf f)
{
	struct mp_field	*fe;
	size_t		 i;

	for (i = 0; i < d->nfields; i++)
		if (d->fields[i].field == f)
			return &d->fields[i];
	d->fields = reallocarray(d->fields, d->nfields + 1, sizeof *d->fields);
	if (d->fields == NULL)
		fatal("reallocarray");
	fe = &d->fields[d->nfields++];
	memset(fe, 0, sizeof *fe);
	fe->field = f;
	if ((fe->hs_rules = calloc(d->nwords, sizeof *fe->hs_rules)) == NULL ||
	    (fe->fold_rules = calloc(d->nwords,
	    sizeof *fe->fold_rules)) == NULL)
		fatal("calloc");
	return fe;
}

/* A Hyperscan expression for a literal: every non-alnum byte as \xHH. */
static char *
mp_literal(const char *s, size_t len, bool anchor_start, bool anchor_end)
{
	char	*p, *out;
	size_t	 i;

	if ((out = malloc(len * 4 + 3)) == NULL)
		fatal("malloc");
	p = out;
	if (anchor_start)
		*p++ = '^';
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (isalnum(c))
			*p++ = (char)c;
		else {
			snprintf(p, 5, "\\x%02x", c);
			p += 4;
		}
	}
	if (anchor_end)
		*p++ = '$';
	*p = '\0';
	return out;
}

/*
 * Whether every top-level alternative of a regex starts with ^.  Hyperscan
 * runs such patterns in a database of their own far faster than among
 * floating ones (a ^-anchored pattern in a mixed database costs about as
 * much as the rest together on URLs); a wrong answer only costs speed, as
 * both databases are scanned.
 */
static bool
mp_anchored(const char *p)
{
	int	depth = 0;
	bool	start = true;

	for (; *p != '\0'; p++) {
		if (start && *p != '^')
			return false;
		start = false;
		switch (*p) {
		case '\\':
			if (p[1] == '\0' || p[1] == 'Q')
				return false;
			p++;
			break;
		case '[':
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
			if (*p == '\0')
				return false;
			break;
		case '(':
			depth++;
			break;
		case ')':
			if (--depth < 0)
				return false;
			break;
		case '|':
			if (depth == 0)
				start = true;
			break;
		}
	}
	return !start;
}

static void
mp_pat_add(struct mp_field *fe, char *pat, unsigned int flags,
    unsigned int rule)
{
	fe->pats = reallocarray(fe->pats, fe->npats + 1, sizeof *fe->pats);
	fe->flags = reallocarray(fe->flags, fe->npats + 1, sizeof *fe->flags);
	fe->ids = reallocarray(fe->ids, fe->npats + 1, sizeof *fe->ids);
	fe->anch = reallocarray(fe->anch, fe->npats + 1, sizeof *fe->anch);
	if (fe->pats == NULL || fe->flags == NULL || fe->ids == NULL ||
	    fe->anch == NULL)
		fatal("reallocarray");
	fe->pats[fe->npats] = pat;
	fe->flags[fe->npats] = flags;
	fe->ids[fe->npats] = rule;
	fe->anch[fe->npats] = mp_anchored(pat);
	fe->npats++;
}

static void
mp_lit_add(struct mp_field *fe, const struct cond *c,
    const struct cond_value *v, unsigned int rule)
{
	struct mp_lit	*l;

	fe->lits = reallocarray(fe->lits, fe->nlits + 1, sizeof *fe->lits);
	if (fe->lits == NULL)
		fatal("reallocarray");
	l = &fe->lits[fe->nlits++];
	l->s = v->s;
	l->len = v->len;
	l->rule = rule;
	l->nocase = c->nocase;
	l->end = c->op == COND_ENDSWITH;
}

/* Whether the value may satisfy the literal: exactly rule_value_match. */
static bool
mp_lit_match(const struct mp_lit *l, struct span v)
{
	const char	*p;
	size_t		 i;

	if (v.len < l->len)
		return false;
	p = l->end ? v.p + v.len - l->len : v.p;
	if (!l->nocase)
		return memcmp(p, l->s, l->len) == 0;
	for (i = 0; i < l->len; i++)
		if (tolower((unsigned char)p[i]) !=
		    tolower((unsigned char)l->s[i]))
			return false;
	return true;
}

/* Insert an equals value into the field's hash table. */
static void
mp_eq_add(struct mp_field *fe, uint64_t hash, unsigned int rule, int folded)
{
	struct mp_eq	*old = fe->eq;
	size_t		 oslots = fe->eq_slots, i, j;

	if ((fe->neq + 1) * 2 > fe->eq_slots) {
		fe->eq_slots = oslots == 0 ? 16 : oslots * 2;
		if ((fe->eq = calloc(fe->eq_slots, sizeof *fe->eq)) == NULL)
			fatal("calloc");
		for (j = 0; j < oslots; j++) {
			if (old[j].rule == 0)
				continue;
			i = old[j].hash & (fe->eq_slots - 1);
			while (fe->eq[i].rule != 0)
				i = (i + 1) & (fe->eq_slots - 1);
			fe->eq[i] = old[j];
		}
		free(old);
	}
	i = hash & (fe->eq_slots - 1);
	while (fe->eq[i].rule != 0)
		i = (i + 1) & (fe->eq_slots - 1);
	fe->eq[i].hash = hash;
	fe->eq[i].rule = rule + 1;
	fe->eq[i].folded = folded;
	fe->neq++;
	if (folded == MP_FOLDED)
		fe->has_folded = true;
	if (folded == MP_DOMAIN)
		fe->has_domain = true;
}

/* Lower-case ASCII copy into buf (size > len). */
static void
mp_fold(const char *s, size_t len, char *buf)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
}

/* Index rule number local of d by the conditions of pick. */
static void
mp_index(struct mp_dataset *d, unsigned int local, const struct mp_pick *pk)
{
	const struct cond	*c;
	struct mp_field		*fe;
	char			*fold;
	unsigned int		 fl;
	size_t			 i, j;

	for (i = 0; i < pk->n; i++) {
		c = pk->c[i];
		fe = mp_field_get(d, c->field);
		if (c->op == COND_LIST) {
			const struct rule_list	*l = c->list;

			/* Entries are stored lower-cased when nocase. */
			for (j = 0; j < l->nslots; j++) {
				if (l->strs[j] == NULL)
					continue;
				mp_eq_add(fe, rule_hash(0, l->strs[j],
				    l->lens[j]), local, l->kind == LIST_DOMAIN ?
				    MP_DOMAIN : l->nocase ? MP_FOLDED :
				    MP_EXACT);
			}
			if (l->kind == LIST_DOMAIN || l->nocase)
				mp_set(fe->fold_rules, local);
			continue;
		}
		for (j = 0; j < c->nvalues; j++) {
			const struct cond_value	*v = &c->values[j];

			fl = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
			if (c->nocase)
				fl |= HS_FLAG_CASELESS;
			switch (c->op) {
			case COND_EQUALS:
				if (!c->nocase) {
					mp_eq_add(fe, rule_hash(0, v->s, v->len),
					    local, MP_EXACT);
					break;
				}
				if ((fold = malloc(v->len + 1)) == NULL)
					fatal("malloc");
				mp_fold(v->s, v->len, fold);
				mp_eq_add(fe, rule_hash(0, fold, v->len), local,
				    MP_FOLDED);
				free(fold);
				mp_set(fe->fold_rules, local);
				break;
			case COND_CONTAINS:
				mp_pat_add(fe, mp_literal(v->s, v->len, false,
				    false), fl, local);
				mp_set(fe->hs_rules, local);
				break;
			case COND_STARTSWITH:
			case COND_ENDSWITH:
				mp_lit_add(fe, c, v, local);
				break;
			case COND_REGEX:
				if ((fold = strdup(v->s)) == NULL)
					fatal("strdup");
				mp_pat_add(fe, fold, fl | HS_FLAG_PREFILTER,
				    local);
				mp_set(fe->hs_rules, local);
				break;
			default:
				break;
			}
		}
	}
}

/* Drop every pattern of rule local from fe (it will always be evaluated). */
static void
mp_pat_drop_rule(struct mp_field *fe, unsigned int local)
{
	size_t	i, j = 0;

	for (i = 0; i < fe->npats; i++) {
		if (fe->ids[i] == local) {
			free(fe->pats[i]);
			continue;
		}
		fe->pats[j] = fe->pats[i];
		fe->flags[j] = fe->flags[i];
		fe->ids[j] = fe->ids[i];
		fe->anch[j] = fe->anch[i];
		j++;
	}
	fe->npats = j;
	fe->hs_rules[local / 64] &= ~((uint64_t)1 << (local % 64));
}

/*
 * Compile the patterns of fe whose anch is anchored into one database, *db
 * (NULL when there are none).  Pattern ids are indexes into fe->ids.
 * Returns HS_SUCCESS, or the error with *bad the failing pattern's index
 * (-1 when no one pattern is to blame).
 */
static hs_error_t
mp_compile_part(struct match_plan *mp, struct mp_field *fe, bool anchored,
    hs_database_t **db, long *bad)
{
	hs_compile_error_t	*err;
	const char		**pats;
	unsigned int		*flags, *seq, n = 0;
	size_t			 i;
	hs_error_t		 rc;
	bool			 hit;

	*db = NULL;
	*bad = -1;
	if ((pats = calloc(fe->npats, sizeof *pats)) == NULL ||
	    (flags = calloc(fe->npats, sizeof *flags)) == NULL ||
	    (seq = calloc(fe->npats, sizeof *seq)) == NULL)
		fatal("calloc");
	for (i = 0; i < fe->npats; i++) {
		if (fe->anch[i] != anchored)
			continue;
		pats[n] = fe->pats[i];
		flags[n] = fe->flags[i];
		seq[n++] = (unsigned int)i;
	}
	rc = HS_SUCCESS;
	if (n > 0) {
		rc = hscache_compile(mp->cache_dir, pats, flags, seq, n, db,
		    &err, &hit);
		if (rc == HS_SUCCESS && hit)
			mp->loaded++;
		else if (rc == HS_SUCCESS)
			mp->compiled++;
		if (rc != HS_SUCCESS) {
			*db = NULL;
			log_debug("prefilter for %s: %s",
			    record_field_name(fe->field), err->message);
			if (err->expression >= 0 &&
			    (unsigned int)err->expression < n)
				*bad = seq[err->expression];
			hs_free_compile_error(err);
		}
	}
	free(pats);
	free(flags);
	free(seq);
	return rc;
}

/*
 * Compile the field's databases.  A pattern Hyperscan refuses sends its
 * rule to the always-evaluated set, and the rest is compiled again.
 */
static void
mp_compile(struct match_plan *mp, struct mp_dataset *d, struct mp_field *fe)
{
	unsigned int	 local;
	long		 bad;

	while (fe->npats > 0) {
		if (mp_compile_part(mp, fe, false, &fe->db, &bad) ==
		    HS_SUCCESS) {
			if (mp_compile_part(mp, fe, true, &fe->adb, &bad) ==
			    HS_SUCCESS)
				break;
			hs_free_database(fe->db);
			fe->db = NULL;
		}
		if (bad < 0) {
			log_warnx("prefilter for %s failed; every rule on it "
			    "is evaluated in full",
			    record_field_name(fe->field));
			while (fe->npats > 0) {
				local = fe->ids[0];
				mp_set(d->always, local);
				mp_pat_drop_rule(fe, local);
			}
			return;
		}
		local = fe->ids[bad];
		log_debug("rule %s: no prefilter for %s", d->rules[local]->id,
		    record_field_name(fe->field));
		mp_set(d->always, local);
		mp_pat_drop_rule(fe, local);
	}
	if ((fe->db != NULL && hs_alloc_scratch(fe->db, &mp->scratch) !=
	    HS_SUCCESS) || (fe->adb != NULL &&
	    hs_alloc_scratch(fe->adb, &mp->scratch) != HS_SUCCESS))
		fatalx("hs_alloc_scratch");
}

static void
mp_dataset_free(struct mp_dataset *d)
{
	size_t	i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->nfields; i++) {
		struct mp_field	*fe = &d->fields[i];

		for (j = 0; j < fe->npats; j++)
			free(fe->pats[j]);
		free(fe->pats);
		free(fe->flags);
		free(fe->ids);
		free(fe->anch);
		free(fe->lits);
		hs_free_database(fe->db);
		hs_free_database(fe->adb);
		free(fe->hs_rules);
		free(fe->eq);
		free(fe->fold_rules);
	}
	free(d->fields);
	free(d->rules);
	free(d->always);
	free(d->name);
	free(d);
}

/* Build the plan of dataset ds. */
static struct mp_dataset *
mp_dataset_build(struct match_plan *mp, struct ruleset *rs, struct span ds)
{
	struct mp_dataset	*d;
	struct mp_pick		 pk;
	struct rule		*r;
	size_t			 i;
	unsigned int		 local, loaded, compiled;

	if ((d = calloc(1, sizeof *d)) == NULL)
		fatal("calloc");
	if ((d->name = malloc(ds.len + 1)) == NULL)
		fatal("malloc");
	memcpy(d->name, ds.p, ds.len);
	d->name[ds.len] = '\0';
	d->len = ds.len;
	if ((d->rules = calloc(rs->n + 1, sizeof *d->rules)) == NULL)
		fatal("calloc");
	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (r->corr.nrules > 0 || !rule_covers(r, ds))
			continue;
		d->rules[d->nrules++] = r;
	}
	d->nwords = (d->nrules + 63) / 64 + 1;
	if ((d->always = calloc(d->nwords, sizeof *d->always)) == NULL)
		fatal("calloc");
	for (local = 0; local < d->nrules; local++) {
		mp_pick(mp, d->rules[local], &d->rules[local]->root, &pk);
		if (!pk.ok) {
			mp_set(d->always, local);
			continue;
		}
		mp_index(d, local, &pk);
	}
	loaded = mp->loaded;
	compiled = mp->compiled;
	for (i = 0; i < d->nfields; i++)
		mp_compile(mp, d, &d->fields[i]);
	log_debug("rules for %s: %u databases compiled, %u from the cache",
	    d->name, mp->compiled - compiled, mp->loaded - loaded);
	for (local = 0; local < d->nrules; local++)
		if (!(d->always[local / 64] & ((uint64_t)1 << (local % 64))))
			d->indexed++;
	if (d->nwords > mp->cand_words) {
		free(mp->cand);
		mp->cand_words = d->nwords;
		if ((mp->cand = calloc(d->nwords, sizeof *mp->cand)) == NULL)
			fatal("calloc");
	}
	return d;
}

/* The plan of dataset ds: found, built, or NULL when there are too many. */
static struct mp_dataset *
mp_dataset(struct match_plan *mp, struct ruleset *rs, struct span ds)
{
	size_t	i;

	for (i = 0; i < mp->nds; i++)
		if (mp->ds[i]->len == ds.len &&
		    memcmp(mp->ds[i]->name, ds.p, ds.len) == 0)
			return mp->ds[i];
	if (mp->nds == MP_MAX_DATASETS)
		return NULL;
	mp->ds[mp->nds] = mp_dataset_build(mp, rs, ds);
	return mp->ds[mp->nds++];
}

struct match_plan *
match_plan_build(struct ruleset *rs)
{
	struct match_plan	*mp;
	size_t			 i;
	int			 f;

	if ((mp = calloc(1, sizeof *mp)) == NULL)
		fatal("calloc");
	for (i = 0; mp_lowcard_names[i] != NULL; i++) {
		f = record_field_lookup(mp_lowcard_names[i],
		    strlen(mp_lowcard_names[i]));
		if (f >= 0 && mp->nlowcard < 16)
			mp->lowcard[mp->nlowcard++] = f;
	}
	(void)rs;	/* datasets are planned when first seen */
	return mp;
}

void
match_plan_free(struct match_plan *mp)
{
	size_t	i;

	if (mp == NULL)
		return;
	for (i = 0; i < mp->nds; i++)
		mp_dataset_free(mp->ds[i]);
	hs_free_scratch(mp->scratch);
	free(mp->cand);
	free(mp->cache_dir);
	free(mp);
}

void
match_plan_cache(struct match_plan *mp, const char *dir)
{
	free(mp->cache_dir);
	mp->cache_dir = NULL;
	if (dir != NULL && (mp->cache_dir = strdup(dir)) == NULL)
		fatal("strdup");
}

struct mp_scan {
	uint64_t		*cand;
	const unsigned int	*ids;
};

/* Hyperscan match callback: mark the pattern's rule a candidate. */
static int
mp_on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct mp_scan	*sc = arg;

	mp_set(sc->cand, sc->ids[id]);
	return 0;
}

/* Mark the rules whose equals values may be v. */
static void
mp_eq_probe(const struct mp_field *fe, uint64_t *cand, uint64_t hash,
    int folded)
{
	size_t	i = hash & (fe->eq_slots - 1);

	while (fe->eq[i].rule != 0) {
		if (fe->eq[i].hash == hash && fe->eq[i].folded == folded)
			mp_set(cand, fe->eq[i].rule - 1);
		i = (i + 1) & (fe->eq_slots - 1);
	}
}

/* Probe a lower-cased domain and each of its parents (rule_list_has). */
static void
mp_domain_probe(const struct mp_field *fe, uint64_t *cand, const char *s,
    size_t len)
{
	size_t	i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		if (i > 0 && s[i - 1] != '.')
			continue;
		mp_eq_probe(fe, cand, rule_hash(0, s + i, len - i), MP_DOMAIN);
	}
}

/* Every rule covering rec, evaluated in full (no plan). */
static size_t
mp_run_all(struct ruleset *rs, const struct record *rec, rule_match_cb cb,
    void *arg)
{
	struct span	ds = record_get(rec, RF_EVENT_DATASET);
	struct rule	*r;
	size_t		 i, n = 0;

	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if (r->corr.nrules > 0 || !rule_covers(r, ds) ||
		    !rule_match(rs, r, rec))
			continue;
		r->matches++;
		n++;
		if (cb != NULL && cb(arg, r, rec) != 0)
			break;
	}
	return n;
}

size_t
match_plan_run(struct ruleset *rs, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	struct match_plan	*mp = rs->plan;
	struct mp_dataset	*d;
	struct mp_field		*fe;
	struct mp_scan		 sc;
	struct span		 v;
	struct rule		*r;
	uint64_t		*cand, w;
	char			 fold[MP_FOLD_MAX];
	size_t			 i, k, n = 0;

	if (mp == NULL || rs->no_prefilter ||
	    (d = mp_dataset(mp, rs, record_get(rec, RF_EVENT_DATASET))) ==
	    NULL)
		return mp_run_all(rs, rec, cb, arg);
	cand = mp->cand;
	memcpy(cand, d->always, d->nwords * sizeof *cand);
	for (i = 0; i < d->nfields; i++) {
		fe = &d->fields[i];
		if (!record_has(rec, fe->field))
			continue;
		v = record_get(rec, fe->field);
		if (fe->db != NULL || fe->adb != NULL) {
			sc.cand = cand;
			sc.ids = fe->ids;
			if (!mp_ascii(v.p, v.len) || (fe->db != NULL &&
			    hs_scan(fe->db, v.p, (unsigned int)v.len, 0,
			    mp->scratch, mp_on_match, &sc) != HS_SUCCESS) ||
			    (fe->adb != NULL && hs_scan(fe->adb, v.p,
			    (unsigned int)v.len, 0, mp->scratch, mp_on_match,
			    &sc) != HS_SUCCESS))
				for (k = 0; k < d->nwords; k++)
					cand[k] |= fe->hs_rules[k];
		}
		for (k = 0; k < fe->nlits; k++)
			if (mp_lit_match(&fe->lits[k], v))
				mp_set(cand, fe->lits[k].rule);
		if (fe->neq == 0)
			continue;
		mp_eq_probe(fe, cand, rule_hash(0, v.p, v.len), MP_EXACT);
		if (!fe->has_folded && !fe->has_domain)
			continue;
		if (v.len > sizeof fold) {
			for (k = 0; k < d->nwords; k++)
				cand[k] |= fe->fold_rules[k];
			continue;
		}
		mp_fold(v.p, v.len, fold);
		if (fe->has_folded)
			mp_eq_probe(fe, cand, rule_hash(0, fold, v.len),
			    MP_FOLDED);
		if (fe->has_domain)
			mp_domain_probe(fe, cand, fold, v.len);
	}
	for (k = 0; k < d->nwords; k++) {
		w = cand[k];
		while (w != 0) {
			i = k * 64 + (size_t)__builtin_ctzll(w);
			w &= w - 1;
			if (i >= d->nrules)
				break;
			r = d->rules[i];
			if (!rule_match(rs, r, rec))
				continue;
			r->matches++;
			n++;
			if (cb != NULL && cb(arg, r, rec) != 0)
				return n;
		}
	}
	return n;
}

void
match_plan_stats(struct ruleset *rs, struct span ds, size_t *indexed,
    size_t *always)
{
	struct mp_dataset	*d;

	*indexed = *always = 0;
	if (rs->plan == NULL || (d = mp_dataset(rs->plan, rs, ds)) == NULL)
		return;
	*indexed = d->indexed;
	*always = d->nrules - d->indexed;
}
