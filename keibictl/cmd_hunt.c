/*
 * cmd_hunt.c: keibictl hunt, the CSIRT's search of the evidence archive.
 * It answers "which of our hosts and users talked to X, and to whom else"
 * from the sealed segments: every segment in the time range is read by
 * worker threads (one segment at a time each, a few segments ahead of the
 * printer at most), its SHA-256 compared with the manifest before any
 * event read from it is used, and events are kept when every filter
 * holds.  A segment whose index proves it holds none of the values asked
 * for is only hashed.  The answer is a summary (internal hosts, users,
 * remote addresses and domains, counts, first and last seen) followed by
 * the events, each with its proof: segment, offset, length and hash.
 *
 * Parsers that join lines (a Postfix message's client=, from= and to=)
 * keep their state across a segment boundary: a segment whose source file
 * went on from the segment before is read after that segment's tail (see
 * segread.h), so its lines join with what the tail said, as keibid joined
 * them.  The index of such a segment was built from its own bytes only:
 * a joined value (the user of a to= line) may be in the segment before, so
 * it is skipped only when neither index may hold a value asked for.
 *
 * A segment that fails its hash, or whose manifest entry does not verify,
 * is reported and its events are not used; hunt never changes the archive
 * and escapes every byte from a log before it reaches a terminal.
 *
 * With --unsealed it also searches what keibid has not sealed yet: the
 * bytes of each source file (the current one and the rotated names beside
 * it that keibid itself follows: path.N, path-YYYYMMDD, path.YYYY-MM-DD
 * and the like, found by device and inode in the manifest) past the end
 * of the last manifest entry for that file.  The manifest is read once, before anything else, so a line
 * is either in a segment this hunt reads or past the entry this hunt saw:
 * never both, whatever keibid seals meanwhile.  Such hits carry no proof
 * and every output form says so.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "evidence.h"
#include "keibictl.h"
#include "log.h"
#include "mailq.h"
#include "manifest.h"
#include "parser.h"
#include "progress.h"
#include "record.h"
#include "rule.h"
#include "segidx.h"
#include "segread.h"
#include "source.h"
#include "tz.h"

#define HUNT_TOP		20	/* rows per summary table (text) */
#define HUNT_MAX_KEYS		100000	/* distinct values per table */
#define HUNT_AHEAD		3	/* segments read ahead per worker */
#define HUNT_MAX_THREADS	16
#define HUNT_WINDOW_US		(15LL * 60 * 1000000)	/* --at default */
#define HUNT_EXIT_NONE		1	/* no event matched */
#define HUNT_EXIT_USAGE		2
#define HUNT_EXIT_INTEGRITY	3	/* a segment or entry failed */

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

enum hunt_fmt {
	FMT_TEXT = 0,
	FMT_JSON,
	FMT_CSV,
	FMT_RAW
};

/* The tables of the summary; --by names one. */
enum hunt_key {
	HK_HOST = 0,
	HK_USER,
	HK_REMOTE,
	HK_DOMAIN,
	HK_MAX
};

static const char *const hunt_key_names[HK_MAX] = {
	"host", "user", "remote", "domain"
};
static const char *const hunt_key_titles[HK_MAX] = {
	"internal hosts", "users", "remote addresses", "domains"
};

/* A list of strings an option was given. */
struct hunt_strs {
	char		**v;
	size_t		  n;
};

struct hunt_filter {
	struct cidr	*remote;
	size_t		 nremote;
	struct cidr	*host;
	size_t		 nhost;
	struct hunt_strs hostname;	/* --host NAME: source.domain */
	struct hunt_strs domain;
	struct hunt_strs url;
	struct hunt_strs url_re;
	struct hunt_strs user;
	struct hunt_strs email;
	struct hunt_strs source;
	struct hunt_strs dataset;
	struct hunt_strs where;
	uint64_t	*port;
	size_t		 nport;
	int64_t		 from;		/* event time, us; INT64_MIN */
	int64_t		 to;		/* exclusive; INT64_MAX */
	char		*yaml;		/* the --where rule, or NULL */
};

/* One event kept: its output and the values the summary counts. */
struct hunt_hit {
	int64_t		 ts;
	bool		 has_ts;
	char		*out;
	size_t		 outlen;
	char		*key[HK_MAX][2];	/* escaped; NULL: none */
};

enum hunt_state {
	HS_QUEUED = 0,
	HS_BUSY,
	HS_DONE
};

enum hunt_outcome {
	HO_READ = 0,		/* read and verified */
	HO_SKIPPED,		/* the index rules it out; hash verified */
	HO_FAILED		/* hash or entry failed: not used */
};

/*
 * A segment selected for the hunt, or (seg NULL) a range of a source
 * file that is not sealed yet.
 */
struct hunt_seg {
	const struct mf_seg	*seg;
	const struct mf_seg	*prev;		/* read first for the parser */
	char			*upath;		/* unsealed: the file */
	uint64_t		 udev;
	uint64_t		 uino;
	uint64_t		 ustart;	/* its bytes start..uend */
	uint64_t		 uend;
	int			 ufd;
	size_t			 src;		/* index in hunt->srcs */
	enum hunt_state		 state;
	enum hunt_outcome	 outcome;
	const char		*why;
	const char		*idx_why;	/* index unusable, and why */
	struct hunt_hit		*hits;
	size_t			 nhits;
	size_t			 cap;
	uint64_t		 raw;
	uint64_t		 events;
};

/* A source as the configuration defines it. */
struct hunt_src {
	const char		*name;
	const struct parser	*parser;
	const char		*zone;		/* NULL: UTC */
};

struct hunt_agg {
	char		*key;
	uint64_t	 n;
	int64_t		 first;
	int64_t		 last;
};

struct hunt_tab {
	struct hunt_agg	*v;
	size_t		 cap;
	size_t		 n;
	uint64_t	 over;		/* events whose value did not fit */
};

struct hunt {
	struct config		*conf;
	struct manifest		*m;
	struct hunt_filter	 f;
	struct cidr_set		 internal;
	enum hunt_fmt		 fmt;
	int			 by;		/* enum hunt_key, or -1 */
	uint64_t		 limit;		/* 0: none */
	bool			 use_index;
	bool			 unsealed;	/* --unsealed */
	bool			 tty;		/* stdout is a terminal */
	const char		*zone;		/* display zone, or NULL */
	struct tz		*tz;		/* main thread's display zone */

	struct hunt_src		*srcs;
	size_t			 nsrcs;
	struct hunt_seg		*sel;
	size_t			 nsel;

	/* Shared with the workers, under mu. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	size_t			 next;		/* next segment to take */
	size_t			 consumed;	/* segments printed */
	bool			 stop;
	size_t			 nthreads;

	/* Main thread. */
	struct hunt_tab		 tab[HK_MAX];
	FILE			*out;		/* events, after the summary */
	uint64_t		 hits;
	int64_t			 first;
	int64_t			 last;
	bool			 limited;
	uint64_t		 n_read;
	uint64_t		 n_skipped_index;
	uint64_t		 n_skipped_time;
	uint64_t		 n_failed;
	uint64_t		 n_noindex;
	uint64_t		 n_deleted;
	uint64_t		 n_unknown;	/* sources without a parser */
	uint64_t		 n_ufiles;	/* unsealed ranges read */
	uint64_t		 u_hits;	/* hits in them */
	uint64_t		 u_raw;		/* their bytes */
	uint64_t		 raw;
	json_t			*problems;
	json_t			*notes;
};

/* What one worker thread owns. */
struct hunt_worker {
	struct hunt		*h;
	pthread_t		 thread;
	struct tz		**tz;		/* per source */
	struct tz		*disp;		/* display zone */
	struct ruleset		*where;		/* --where, --url-re */
	struct hunt_seg		*cur;
	struct segread		 sr;
};

/* --- small helpers ------------------------------------------------------- */

static void
hunt_strs_add(struct hunt_strs *s, const char *v)
{
	s->v = reallocarray(s->v, s->n + 1, sizeof *s->v);
	if (s->v == NULL || (s->v[s->n] = strdup(v)) == NULL)
		fatal("strdup");
	s->n++;
}

/* qsort order of strings. */
static int
hunt_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Free what s holds. */
static void
hunt_strs_free(struct hunt_strs *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Field rf of rec, or no span: record_get() trusts the caller to ask. */
static struct span
hunt_get(const struct record *rec, enum rf rf)
{
	return record_has(rec, rf) ? record_get(rec, rf) : SPAN_NULL;
}

/* ASCII case-blind equality of a span and a string. */
static bool
hunt_span_ieq(struct span sp, const char *s)
{
	return sp.p != NULL && strlen(s) == sp.len &&
	    strncasecmp(sp.p, s, sp.len) == 0;
}

/* An escaped, malloc'd copy of untrusted bytes (NULL for none). */
static char *
hunt_esc(const char *p, size_t len)
{
	char	*buf;
	size_t	 size;

	if (p == NULL || len == 0)
		return NULL;
	size = len * 4 + 8;
	if ((buf = malloc(size)) == NULL)
		fatal("malloc");
	log_escape(p, len, buf, size);
	return buf;
}

/* ISO 8601 of event time us in zone tz. */
static void
hunt_time_text(struct tz *tz, int64_t us, char *buf, size_t size)
{
	int64_t	s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);

	record_format_time(us, tz_offset_at(tz, s), 0, buf, size);
}

/* A decimal number in [min, max]; *errstr set (static text) if not. */
static uint64_t
hunt_number(const char *s, uint64_t min, uint64_t max, const char **errstr)
{
	unsigned long long	 v;
	char			*end;

	*errstr = NULL;
	errno = 0;
	if (s[0] < '0' || s[0] > '9' ||
	    ((v = strtoull(s, &end, 10)), errno != 0) || *end != '\0') {
		*errstr = "not a number";
		return 0;
	}
	if (v < min || v > max) {
		*errstr = v < min ? "too small" : "too large";
		return 0;
	}
	return v;
}

/* Parse a CIDR or an address into c; -1 if it is neither. */
static int
hunt_parse_cidr(const char *s, struct cidr *c)
{
	const char	*cause;

	return cidr_parse(c, s, strlen(s), &cause);
}

/* Append c to the array *v of *n. */
static void
hunt_cidr_add(struct cidr **v, size_t *n, const struct cidr *c)
{
	*v = reallocarray(*v, *n + 1, sizeof **v);
	if (*v == NULL)
		fatal("reallocarray");
	(*v)[(*n)++] = *c;
}

/* --- the summary tables -------------------------------------------------- */

static uint64_t
hunt_strhash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Count an event of time ts (has_ts) under key in t. */
static void
hunt_tab_add(struct hunt_tab *t, const char *key, int64_t ts, bool has_ts)
{
	struct hunt_agg	*old, *a;
	size_t		 i, j, ocap;

	if (t->cap == 0 || (t->n + 1) * 2 > t->cap) {
		if (t->n >= HUNT_MAX_KEYS) {
			for (j = hunt_strhash(key) & (t->cap - 1);
			    t->v[j].key != NULL; j = (j + 1) & (t->cap - 1))
				if (strcmp(t->v[j].key, key) == 0)
					goto found;
			t->over++;
			return;
		}
		old = t->v;
		ocap = t->cap;
		t->cap = ocap == 0 ? 64 : ocap * 2;
		if ((t->v = calloc(t->cap, sizeof *t->v)) == NULL)
			fatal("calloc");
		for (i = 0; i < ocap; i++) {
			if (old[i].key == NULL)
				continue;
			for (j = hunt_strhash(old[i].key) & (t->cap - 1);
			    t->v[j].key != NULL; j = (j + 1) & (t->cap - 1))
				;
			t->v[j] = old[i];
		}
		free(old);
	}
	for (j = hunt_strhash(key) & (t->cap - 1); t->v[j].key != NULL;
	    j = (j + 1) & (t->cap - 1))
		if (strcmp(t->v[j].key, key) == 0)
			goto found;
	if ((t->v[j].key = strdup(key)) == NULL)
		fatal("strdup");
	t->v[j].first = INT64_MAX;
	t->v[j].last = INT64_MIN;
	t->n++;
found:
	a = &t->v[j];
	a->n++;
	if (has_ts) {
		if (ts < a->first)
			a->first = ts;
		if (ts > a->last)
			a->last = ts;
	}
}

/* qsort order of table rows: most events first, then by value. */
static int
hunt_agg_cmp(const void *a, const void *b)
{
	const struct hunt_agg	*x = *(struct hunt_agg *const *)a;
	const struct hunt_agg	*y = *(struct hunt_agg *const *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The entries of t by count (then value); the caller frees the array. */
static struct hunt_agg **
hunt_tab_sorted(const struct hunt_tab *t)
{
	struct hunt_agg	**v;
	size_t		  i, k = 0;

	if ((v = calloc(t->n + 1, sizeof *v)) == NULL)
		fatal("calloc");
	for (i = 0; i < t->cap; i++)
		if (t->v[i].key != NULL)
			v[k++] = &t->v[i];
	qsort(v, k, sizeof *v, hunt_agg_cmp);
	return v;
}

/* Free a table's rows. */
static void
hunt_tab_free(struct hunt_tab *t)
{
	size_t	i;

	for (i = 0; i < t->cap; i++)
		free(t->v[i].key);
	free(t->v);
}

/* --- matching (worker threads) ------------------------------------------- */

/* True if any address of rec (source, destination, NAT) is in v[n]. */
static bool
hunt_addr_in(const struct record *rec, const struct cidr *v, size_t n)
{
	struct netaddr	nat;
	struct span	sp = hunt_get(rec, RF_SOURCE_NAT_IP);
	size_t		i;
	bool		has_nat;

	has_nat = sp.p != NULL && netaddr_parse(&nat, sp.p, sp.len) == 0;
	for (i = 0; i < n; i++) {
		if ((rec->src.family != 0 && cidr_contains(&v[i], &rec->src)) ||
		    (rec->dst.family != 0 && cidr_contains(&v[i], &rec->dst)) ||
		    (has_nat && cidr_contains(&v[i], &nat)))
			return true;
	}
	return false;
}

/* A domain field equals d or is a subdomain of it (case-blind). */
static bool
hunt_domain_is(struct span sp, const char *d)
{
	size_t	dl = strlen(d);

	while (sp.len > 0 && sp.p[sp.len - 1] == '.')
		sp.len--;
	if (sp.p == NULL || sp.len < dl)
		return false;
	if (strncasecmp(sp.p + sp.len - dl, d, dl) != 0)
		return false;
	return sp.len == dl || sp.p[sp.len - dl - 1] == '.';
}

static const enum rf hunt_domain_fields[] = {
	RF_URL_DOMAIN, RF_DESTINATION_DOMAIN, RF_TLS_SERVER_NAME,
	RF_DNS_QUESTION_NAME
};

/* A domain field of rec is one of ds or their subdomain. */
static bool
hunt_match_domain(const struct record *rec, const struct hunt_strs *ds)
{
	size_t	i, j;

	for (i = 0; i < ds->n; i++)
		for (j = 0; j < nitems(hunt_domain_fields); j++)
			if (hunt_domain_is(hunt_get(rec,
			    hunt_domain_fields[j]), ds->v[i]))
				return true;
	return false;
}

/*
 * An address of the field (one, or a list) equals e, or its domain is e
 * without its "@".
 */
static bool
hunt_email_is(struct span list, const char *e)
{
	struct span	 sp;
	const char	*at;

	if (list.p == NULL)
		return false;
	/* A delivery line may name several recipients (Exchange, Sendmail). */
	while (mailq_rcpt_next(&list, &sp)) {
		if (e[0] != '@') {
			if (hunt_span_ieq(sp, e))
				return true;
			continue;
		}
		if ((at = memrchr(sp.p, '@', sp.len)) == NULL)
			continue;
		sp.len -= (size_t)(at + 1 - sp.p);
		sp.p = at + 1;
		if (hunt_domain_is(sp, e + 1))
			return true;
	}
	return false;
}

/* The source or destination port of rec is one of v[n]. */
static bool
hunt_match_port(const struct record *rec, const uint64_t *v, size_t n)
{
	uint64_t	sp = 0, dp = 0;
	bool		hs, hd;
	size_t		i;

	hs = span_to_u64(hunt_get(rec, RF_SOURCE_PORT), &sp);
	hd = span_to_u64(hunt_get(rec, RF_DESTINATION_PORT), &dp);
	for (i = 0; i < n; i++)
		if ((hs && sp == v[i]) || (hd && dp == v[i]))
			return true;
	return false;
}

/* True if ds covers dataset sp ("proxy" covers "proxy.squid"). */
static bool
hunt_dataset_is(struct span sp, const char *ds)
{
	size_t	n = strlen(ds);

	if (sp.p == NULL || sp.len < n || strncmp(sp.p, ds, n) != 0)
		return false;
	return sp.len == n || sp.p[n] == '.';
}

/* Every filter holds for rec. */
static bool
hunt_match(struct hunt_worker *w, const struct record *rec)
{
	const struct hunt_filter	*f = &w->h->f;
	struct span			 sp;
	size_t				 i;
	bool				 ok;

	if (f->from != INT64_MIN || f->to != INT64_MAX) {
		if (!rec->has_ts || rec->ts_us < f->from || rec->ts_us >= f->to)
			return false;
	}
	if (f->dataset.n > 0) {
		sp = hunt_get(rec, RF_EVENT_DATASET);
		for (i = 0, ok = false; i < f->dataset.n && !ok; i++)
			ok = hunt_dataset_is(sp, f->dataset.v[i]);
		if (!ok)
			return false;
	}
	if (f->nport > 0 && !hunt_match_port(rec, f->port, f->nport))
		return false;
	if (f->nremote > 0 && !hunt_addr_in(rec, f->remote, f->nremote))
		return false;
	if (f->nhost > 0 || f->hostname.n > 0) {
		ok = f->nhost > 0 && hunt_addr_in(rec, f->host, f->nhost);
		sp = hunt_get(rec, RF_SOURCE_DOMAIN);
		for (i = 0; i < f->hostname.n && !ok; i++)
			ok = hunt_span_ieq(sp, f->hostname.v[i]);
		if (!ok)
			return false;
	}
	if (f->user.n > 0) {
		sp = hunt_get(rec, RF_USER_NAME);
		for (i = 0, ok = false; i < f->user.n && !ok; i++)
			ok = hunt_span_ieq(sp, f->user.v[i]);
		if (!ok)
			return false;
	}
	if (f->email.n > 0) {
		for (i = 0, ok = false; i < f->email.n && !ok; i++)
			ok = hunt_email_is(hunt_get(rec,
			    RF_EMAIL_FROM_ADDRESS), f->email.v[i]) ||
			    hunt_email_is(hunt_get(rec, RF_EMAIL_TO_ADDRESS),
			    f->email.v[i]);
		if (!ok)
			return false;
	}
	if (f->domain.n > 0 && !hunt_match_domain(rec, &f->domain))
		return false;
	if (f->url.n > 0) {
		sp = hunt_get(rec, RF_URL_ORIGINAL);
		for (i = 0, ok = false; i < f->url.n && !ok && sp.p != NULL;
		    i++)
			ok = memmem(sp.p, sp.len, f->url.v[i],
			    strlen(f->url.v[i])) != NULL;
		if (!ok)
			return false;
	}
	if (w->where != NULL && rule_match(w->where, w->where->v[0], rec) != 1)
		return false;
	return true;
}

/*
 * Whether the segment's index lets it hold a match: for every filter the
 * index knows, one of its values may be there, or (x[1], the index of the
 * segment before, for a parser that joins lines) may be in that one.
 */
static bool
hunt_index_may(const struct hunt *h, struct segidx *const *x, size_t nx)
{
	const struct hunt_filter	*f = &h->f;
	const char			*v;
	size_t				 i, k;
	bool				 ok;

	if (f->nremote > 0) {
		for (i = 0, ok = false; i < f->nremote && !ok; i++)
			for (k = 0; k < nx && !ok; k++)
				ok = segidx_has_cidr(x[k], &f->remote[i]);
		if (!ok)
			return false;
	}
	if (f->nhost > 0 || f->hostname.n > 0) {
		for (i = 0, ok = false; i < f->nhost && !ok; i++)
			for (k = 0; k < nx && !ok; k++)
				ok = segidx_has_cidr(x[k], &f->host[i]);
		for (i = 0; i < f->hostname.n && !ok; i++)
			for (k = 0; k < nx && !ok; k++)
				ok = segidx_has_text(x[k], f->hostname.v[i],
				    strlen(f->hostname.v[i]));
		if (!ok)
			return false;
	}
	if (f->user.n > 0) {
		for (i = 0, ok = false; i < f->user.n && !ok; i++)
			for (k = 0; k < nx && !ok; k++)
				ok = segidx_has_text(x[k], f->user.v[i],
				    strlen(f->user.v[i]));
		if (!ok)
			return false;
	}
	if (f->email.n > 0) {
		for (i = 0, ok = false; i < f->email.n && !ok; i++) {
			v = f->email.v[i];
			for (k = 0; k < nx && !ok; k++)
				ok = v[0] == '@' ? segidx_has_domain(x[k],
				    v + 1, strlen(v + 1)) :
				    segidx_has_text(x[k], v, strlen(v));
		}
		if (!ok)
			return false;
	}
	if (f->domain.n > 0) {
		for (i = 0, ok = false; i < f->domain.n && !ok; i++)
			for (k = 0; k < nx && !ok; k++)
				ok = segidx_has_domain(x[k], f->domain.v[i],
				    strlen(f->domain.v[i]));
		if (!ok)
			return false;
	}
	if (f->url.n > 0) {
		for (i = 0, ok = false; i < f->url.n && !ok; i++)
			for (k = 0; k < nx && !ok; k++)
				ok = segidx_has_substring(x[k], f->url.v[i],
				    strlen(f->url.v[i]));
		if (!ok)
			return false;
	}
	return true;
}

/* The index of segment seg, verified; NULL (with *why) when unusable. */
static struct segidx *
hunt_index_load(const struct hunt *h, const struct mf_seg *seg,
    const char **why)
{
	struct segidx	*x;
	char		*path;

	if (seg->idx == NULL) {
		*why = "the manifest entry lists no index";
		return NULL;
	}
	if (asprintf(&path, "%s/%s", h->m->dir, seg->idx) == -1)
		fatal("asprintf");
	x = segidx_load(path, seg->sha_idx, seg->sha_gz, why);
	free(path);
	return x;
}

/* The value of the first domain field rec has. */
static struct span
hunt_domain_of(const struct record *rec)
{
	size_t	j;

	for (j = 0; j < nitems(hunt_domain_fields); j++)
		if (record_has(rec, hunt_domain_fields[j]))
			return hunt_get(rec, hunt_domain_fields[j]);
	return SPAN_NULL;
}

/* Sort rec's endpoints into internal hosts and remote addresses. */
static void
hunt_hit_keys(struct hunt *h, const struct record *rec, struct hunt_hit *hit)
{
	const struct netaddr	*ep[2] = { &rec->src, &rec->dst };
	char			 buf[64];
	size_t			 i, nh = 0, nr = 0;
	struct span		 sp;

	for (i = 0; i < 2; i++) {
		if (ep[i]->family == 0)
			continue;
		netaddr_format(ep[i], buf, sizeof buf);
		if (cidr_set_contains(&h->internal, ep[i])) {
			if (nh == 0 || strcmp(hit->key[HK_HOST][0], buf) != 0)
				if ((hit->key[HK_HOST][nh++] = strdup(buf)) ==
				    NULL)
					fatal("strdup");
		} else if (nr == 0 || strcmp(hit->key[HK_REMOTE][0], buf) != 0)
			if ((hit->key[HK_REMOTE][nr++] = strdup(buf)) == NULL)
				fatal("strdup");
	}
	sp = hunt_get(rec, RF_USER_NAME);
	hit->key[HK_USER][0] = hunt_esc(sp.p, sp.len);
	sp = hunt_domain_of(rec);
	hit->key[HK_DOMAIN][0] = hunt_esc(sp.p, sp.len);
}

/* A CSV cell: quoted, quotes doubled, formula starts defused. */
static void
hunt_csv_cell(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (s == NULL)
		return;
	fputc('"', f);
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@')
		fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const enum rf hunt_csv_fields[] = {
	RF_EVENT_DATASET, RF_EVENT_ACTION, RF_SOURCE_IP, RF_SOURCE_PORT,
	RF_DESTINATION_IP, RF_DESTINATION_PORT, RF_NETWORK_TRANSPORT,
	RF_USER_NAME, RF_URL_DOMAIN, RF_URL_ORIGINAL, RF_EMAIL_FROM_ADDRESS,
	RF_EMAIL_TO_ADDRESS
};

/* The output of one event in the chosen format. */
static void
hunt_hit_out(struct hunt_worker *w, const struct segread_line *l,
    struct hunt_hit *hit)
{
	struct hunt		*h = w->h;
	const struct mf_seg	*seg = w->cur->seg;
	const struct record	*rec = l->rec;
	FILE			*f;
	json_t			*o, *proof;
	char			*line, *s, *rj, tbuf[64];
	size_t			 i;

	if (h->by >= 0)
		return;
	if ((f = open_memstream(&hit->out, &hit->outlen)) == NULL)
		fatal("open_memstream");
	tbuf[0] = '\0';
	if (rec->has_ts)
		hunt_time_text(w->disp, rec->ts_us, tbuf, sizeof tbuf);
	switch (h->fmt) {
	case FMT_RAW:
		if (h->tty) {
			line = hunt_esc(l->p, l->len);
			fprintf(f, "%s\n", line != NULL ? line : "");
			free(line);
		} else {
			fwrite(l->p, 1, l->len, f);
			fputc('\n', f);
		}
		break;
	case FMT_TEXT:
		if (seg == NULL) {
			line = hunt_esc(l->p, l->len);
			s = hunt_esc(w->sr.source, strlen(w->sr.source));
			rj = hunt_esc(w->cur->upath, strlen(w->cur->upath));
			fprintf(f, "%s %s %s\n    UNSEALED %s:%llu:%zu (device "
			    "%llu inode %llu): not in a sealed segment yet, "
			    "no proof\n", tbuf[0] != '\0' ? tbuf : "-",
			    s != NULL ? s : "-", line != NULL ? line : "",
			    rj != NULL ? rj : "", (unsigned long long)l->off,
			    l->used, (unsigned long long)w->cur->udev,
			    (unsigned long long)w->cur->uino);
			free(line);
			free(s);
			free(rj);
			break;
		}
		line = hunt_esc(l->p, l->len);
		s = hunt_esc(seg->source, strlen(seg->source));
		rj = hunt_esc(seg->file, strlen(seg->file));
		fprintf(f, "%s %s %s\n    proof %s:%llu:%zu sha256 %s%s\n",
		    tbuf[0] != '\0' ? tbuf : "-", s != NULL ? s : "-",
		    line != NULL ? line : "", rj != NULL ? rj : "",
		    (unsigned long long)l->off, l->used, seg->sha_gz,
		    manifest_chain_ok(h->m, seg->n) ? "" :
		    " (the chain after its entry does not verify)");
		free(line);
		free(s);
		free(rj);
		break;
	case FMT_CSV:
		hunt_csv_cell(f, tbuf, true);
		s = hunt_esc(w->sr.source, strlen(w->sr.source));
		hunt_csv_cell(f, s, false);
		free(s);
		for (i = 0; i < nitems(hunt_csv_fields); i++) {
			struct span	sp;

			sp = hunt_get(rec, hunt_csv_fields[i]);
			s = hunt_esc(sp.p, sp.len);
			hunt_csv_cell(f, s, false);
			free(s);
		}
		/* Unsealed: no segment, no hash; the offset is the file's. */
		s = seg != NULL ? hunt_esc(seg->file, strlen(seg->file)) : NULL;
		hunt_csv_cell(f, s, false);
		free(s);
		fprintf(f, ",%llu,%zu,%s,%s", (unsigned long long)l->off,
		    l->used, seg != NULL ? seg->sha_gz : "",
		    seg != NULL ? "yes" : "no");
		s = seg != NULL ? hunt_esc(seg->path, strlen(seg->path)) :
		    hunt_esc(w->cur->upath, strlen(w->cur->upath));
		hunt_csv_cell(f, s, false);
		free(s);
		fprintf(f, "\r\n");
		break;
	case FMT_JSON:
		o = json_object();
		json_object_set_new(o, "type", json_string("hit"));
		json_object_set_new(o, "sealed", json_boolean(seg != NULL));
		if (tbuf[0] != '\0')
			json_object_set_new(o, "time", json_string(tbuf));
		json_object_set_new(o, "source", json_string(w->sr.source));
		line = hunt_esc(l->p, l->len);
		json_object_set_new(o, "line", json_string(line != NULL ?
		    line : ""));
		free(line);
		if (seg == NULL) {
			/* No segment holds it yet: a place, not a proof. */
			proof = json_object();
			line = hunt_esc(w->cur->upath,
			    strlen(w->cur->upath));
			json_object_set_new(proof, "path", json_string(
			    line != NULL ? line : ""));
			free(line);
			json_object_set_new(proof, "dev",
			    json_integer((json_int_t)w->cur->udev));
			json_object_set_new(proof, "inode",
			    json_integer((json_int_t)w->cur->uino));
			json_object_set_new(proof, "path_offset",
			    json_integer((json_int_t)l->off));
			json_object_set_new(proof, "length",
			    json_integer((json_int_t)l->used));
			json_object_set_new(proof, "note", json_string(
			    "not in a sealed segment yet: no proof"));
			json_object_set_new(o, "unsealed", proof);
			goto dump;
		}
		proof = json_object();
		json_object_set_new(proof, "segment", json_string(seg->file));
		json_object_set_new(proof, "offset",
		    json_integer((json_int_t)l->off));
		json_object_set_new(proof, "length",
		    json_integer((json_int_t)l->used));
		json_object_set_new(proof, "sha256", json_string(seg->sha_gz));
		json_object_set_new(proof, "entry",
		    json_integer((json_int_t)seg->n));
		json_object_set_new(proof, "chain_ok",
		    json_boolean(manifest_chain_ok(h->m, seg->n)));
		line = hunt_esc(seg->path, strlen(seg->path));
		json_object_set_new(proof, "path", json_string(line != NULL ?
		    line : ""));
		free(line);
		json_object_set_new(proof, "path_offset",
		    json_integer((json_int_t)(seg->start + l->off)));
		json_object_set_new(o, "proof", proof);
dump:
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		rj = record_to_json(rec);
		if (s == NULL || strlen(s) < 2)
			fatalx("json_dumps");
		/* The event, as keibictl parse prints it, goes last. */
		s[strlen(s) - 1] = '\0';
		fprintf(f, "%s,\"event\":%s}\n", s, rj);
		free(s);
		free(rj);
		break;
	}
	if (fclose(f) != 0)
		fatal("open_memstream");
}

/* segread's callback: keep what matches. */
static int
hunt_line(void *arg, const struct segread_line *l)
{
	struct hunt_worker	*w = arg;
	struct hunt_seg		*hs = w->cur;
	struct hunt_hit		*hit;

	if (l->rec == NULL || !hunt_match(w, l->rec))
		return 0;
	if (hs->nhits == hs->cap) {
		hs->cap = hs->cap == 0 ? 64 : hs->cap * 2;
		hs->hits = reallocarray(hs->hits, hs->cap, sizeof *hs->hits);
		if (hs->hits == NULL)
			fatal("reallocarray");
	}
	hit = &hs->hits[hs->nhits++];
	memset(hit, 0, sizeof *hit);
	hit->ts = l->rec->ts_us;
	hit->has_ts = l->rec->has_ts;
	hunt_hit_keys(w->h, l->rec, hit);
	hunt_hit_out(w, l, hit);
	/* No segment gives more than --limit events. */
	return w->h->limit != 0 && hs->nhits >= w->h->limit;
}

/* Free what a kept event holds (not the event itself). */
static void
hunt_hit_free(struct hunt_hit *hit)
{
	int	i;

	free(hit->out);
	for (i = 0; i < HK_MAX; i++) {
		free(hit->key[i][0]);
		free(hit->key[i][1]);
	}
}

/* Search one segment. */
static void
hunt_segment(struct hunt_worker *w, struct hunt_seg *hs)
{
	struct hunt		*h = w->h;
	const struct mf_seg	*seg = hs->seg;
	struct segread_result	 res;
	struct segidx		*x[2] = { NULL, NULL };
	const char		*pwhy = NULL;
	char			*path, hex[65];
	uint64_t		 size;
	size_t			 i;
	bool			 may;

	if (!seg->ok) {
		hs->outcome = HO_FAILED;
		hs->why = "its manifest entry does not verify";
		return;
	}
	if (h->use_index && seg->idx != NULL) {
		x[0] = hunt_index_load(h, seg, &hs->idx_why);
		/* Joined values may come from the segment before. */
		if (x[0] != NULL && hs->prev != NULL)
			x[1] = hunt_index_load(h, hs->prev, &pwhy);
		may = x[0] == NULL || (hs->prev != NULL && x[1] == NULL) ||
		    hunt_index_may(h, x, hs->prev != NULL ? 2 : 1);
		segidx_free(x[0]);
		segidx_free(x[1]);
		if (!may) {
			/* Skipped, but never unverified. */
			if (asprintf(&path, "%s/%s", h->m->dir,
			    seg->file) == -1)
				fatal("asprintf");
			if (manifest_hash_file(path, hex, &size) != 0) {
				hs->outcome = HO_FAILED;
				hs->why = "the segment file cannot be read";
			} else if (strcmp(hex, seg->sha_gz) != 0) {
				hs->outcome = HO_FAILED;
				hs->why = "its SHA-256 differs from the "
				    "manifest's";
			} else
				hs->outcome = HO_SKIPPED;
			free(path);
			return;
		}
	} else if (h->use_index)
		hs->idx_why = "the manifest entry lists no index";
	w->cur = hs;
	w->sr.source = seg->source;
	w->sr.parser = h->srcs[hs->src].parser;
	w->sr.tz = w->tz[hs->src];
	w->sr.prime = hs->prev;
	if (segread_run(&w->sr, seg, &res) != 0) {
		hs->outcome = HO_FAILED;
		hs->why = res.why;
		for (i = 0; i < hs->nhits; i++)
			hunt_hit_free(&hs->hits[i]);
		hs->nhits = 0;
	} else
		hs->outcome = HO_READ;
	hs->raw = res.raw;
	hs->events = res.events;
}

/* A worker: take the next segment while the printer is near. */
static void *
hunt_worker_main(void *arg)
{
	struct hunt_worker	*w = arg;
	struct hunt		*h = w->h;
	struct hunt_seg		*hs;

	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (!h->stop && h->next < h->nsel &&
		    h->next >= h->consumed + h->nthreads * HUNT_AHEAD)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stop || h->next >= h->nsel) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		hs = &h->sel[h->next++];
		hs->state = HS_BUSY;
		pthread_mutex_unlock(&h->mu);

		hunt_segment(w, hs);

		pthread_mutex_lock(&h->mu);
		hs->state = HS_DONE;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

/* --- the main thread ------------------------------------------------------ */

static void
hunt_problem(struct hunt *h, const char *what, const char *why)
{
	json_t	*o = json_object();

	json_object_set_new(o, "what", json_string(what));
	json_object_set_new(o, "why", json_string(why));
	json_array_append_new(h->problems, o);
}

/* Fold a finished segment into the summary and the output. */
static void
hunt_consume(struct hunt *h, struct hunt_seg *hs)
{
	struct hunt_hit	*hit;
	char		*file;
	size_t		 i;
	int		 k, j;

	file = hs->seg != NULL ? hunt_esc(hs->seg->file,
	    strlen(hs->seg->file)) : hunt_esc(hs->upath, strlen(hs->upath));
	switch (hs->outcome) {
	case HO_FAILED:
		h->n_failed++;
		hunt_problem(h, file, hs->why);
		fprintf(stderr, "keibictl hunt: %s: %s: not used\n", file,
		    hs->why);
		break;
	case HO_SKIPPED:
		h->n_skipped_index++;
		break;
	case HO_READ:
		if (hs->seg == NULL) {
			h->n_ufiles++;
			h->u_raw += hs->raw;
			break;
		}
		h->n_read++;
		h->raw += hs->raw;
		if (hs->idx_why != NULL) {
			h->n_noindex++;
			if (strcmp(hs->idx_why, "the manifest entry lists no "
			    "index") != 0)
				json_object_set_new(h->notes, file,
				    json_string(hs->idx_why));
		}
		break;
	}
	for (i = 0; i < hs->nhits && !h->limited; i++) {
		hit = &hs->hits[i];
		h->hits++;
		if (hs->seg == NULL)
			h->u_hits++;
		if (hit->has_ts) {
			if (hit->ts < h->first)
				h->first = hit->ts;
			if (hit->ts > h->last)
				h->last = hit->ts;
		}
		for (k = 0; k < HK_MAX; k++)
			for (j = 0; j < 2; j++)
				if (hit->key[k][j] != NULL)
					hunt_tab_add(&h->tab[k], hit->key[k][j],
					    hit->ts, hit->has_ts);
		if (hit->out != NULL)
			fwrite(hit->out, 1, hit->outlen, h->out);
		if (h->limit != 0 && h->hits >= h->limit)
			h->limited = true;
	}
	for (i = 0; i < hs->nhits; i++)
		hunt_hit_free(&hs->hits[i]);
	free(hs->hits);
	hs->hits = NULL;
	hs->nhits = 0;
	free(file);
}

/* Print one table of the summary (text). */
static void
hunt_print_table(struct hunt *h, enum hunt_key k, size_t top)
{
	struct hunt_agg	**v;
	char		  a[64], b[64];
	size_t		  i;

	printf("%s (%zu):\n", hunt_key_titles[k], h->tab[k].n);
	if (h->tab[k].n == 0) {
		printf("  (none)\n");
		return;
	}
	v = hunt_tab_sorted(&h->tab[k]);
	for (i = 0; v[i] != NULL && (top == 0 || i < top); i++) {
		a[0] = b[0] = '\0';
		if (v[i]->first != INT64_MAX) {
			hunt_time_text(h->tz, v[i]->first, a, sizeof a);
			hunt_time_text(h->tz, v[i]->last, b, sizeof b);
		}
		printf("  %-40s %8llu  %s  %s\n", v[i]->key,
		    (unsigned long long)v[i]->n, a[0] != '\0' ? a : "-",
		    b[0] != '\0' ? b : "-");
	}
	if (v[i] != NULL)
		printf("  ... and %zu more\n", h->tab[k].n - i);
	if (h->tab[k].over > 0)
		printf("  (%llu events with values past the first %d not "
		    "counted here)\n", (unsigned long long)h->tab[k].over,
		    HUNT_MAX_KEYS);
	free(v);
}

/* A table as a JSON array of {value, events, first, last}. */
static json_t *
hunt_table_json(struct hunt *h, enum hunt_key k)
{
	struct hunt_agg	**v;
	json_t		 *a = json_array(), *o;
	char		  t[64];
	size_t		  i;

	v = hunt_tab_sorted(&h->tab[k]);
	for (i = 0; v[i] != NULL; i++) {
		o = json_object();
		json_object_set_new(o, "value", json_string(v[i]->key));
		json_object_set_new(o, "events",
		    json_integer((json_int_t)v[i]->n));
		if (v[i]->first != INT64_MAX) {
			hunt_time_text(h->tz, v[i]->first, t, sizeof t);
			json_object_set_new(o, "first", json_string(t));
			hunt_time_text(h->tz, v[i]->last, t, sizeof t);
			json_object_set_new(o, "last", json_string(t));
		}
		json_array_append_new(a, o);
	}
	free(v);
	return a;
}

/* --by with --csv: the table of k, every row. */
static void
hunt_print_csv_table(struct hunt *h, enum hunt_key k)
{
	struct hunt_agg	**v;
	char		  a[64], b[64];
	size_t		  i;

	printf("%s,events,first,last\r\n", hunt_key_names[k]);
	v = hunt_tab_sorted(&h->tab[k]);
	for (i = 0; v[i] != NULL; i++) {
		a[0] = b[0] = '\0';
		if (v[i]->first != INT64_MAX) {
			hunt_time_text(h->tz, v[i]->first, a, sizeof a);
			hunt_time_text(h->tz, v[i]->last, b, sizeof b);
		}
		hunt_csv_cell(stdout, v[i]->key, true);
		printf(",%llu,%s,%s\r\n", (unsigned long long)v[i]->n, a, b);
	}
	free(v);
}

/* The summary: what was read, what failed, and the four tables. */
static void
hunt_print_summary(struct hunt *h, double secs)
{
	json_t		*o, *segs, *p;
	char		 a[64], b[64], *s;
	size_t		 i;
	const char	*key;
	int		 k;

	a[0] = b[0] = '\0';
	if (h->hits > 0 && h->first != INT64_MAX) {
		hunt_time_text(h->tz, h->first, a, sizeof a);
		hunt_time_text(h->tz, h->last, b, sizeof b);
	}
	if (h->fmt == FMT_JSON) {
		o = json_object();
		json_object_set_new(o, "type", json_string("summary"));
		json_object_set_new(o, "events",
		    json_integer((json_int_t)h->hits));
		json_object_set_new(o, "limited", json_boolean(h->limited));
		if (a[0] != '\0') {
			json_object_set_new(o, "first", json_string(a));
			json_object_set_new(o, "last", json_string(b));
		}
		segs = json_object();
		json_object_set_new(segs, "searched",
		    json_integer((json_int_t)h->nsel));
		json_object_set_new(segs, "read",
		    json_integer((json_int_t)h->n_read));
		json_object_set_new(segs, "skipped_by_index",
		    json_integer((json_int_t)h->n_skipped_index));
		json_object_set_new(segs, "skipped_by_time",
		    json_integer((json_int_t)h->n_skipped_time));
		json_object_set_new(segs, "failed",
		    json_integer((json_int_t)h->n_failed));
		json_object_set_new(segs, "without_index",
		    json_integer((json_int_t)h->n_noindex));
		json_object_set_new(segs, "deleted",
		    json_integer((json_int_t)h->n_deleted));
		json_object_set_new(segs, "unknown_source",
		    json_integer((json_int_t)h->n_unknown));
		json_object_set_new(o, "segments", segs);
		if (h->unsealed) {
			segs = json_object();
			json_object_set_new(segs, "files",
			    json_integer((json_int_t)h->n_ufiles));
			json_object_set_new(segs, "bytes",
			    json_integer((json_int_t)h->u_raw));
			json_object_set_new(segs, "events",
			    json_integer((json_int_t)h->u_hits));
			json_object_set_new(segs, "note", json_string(
			    "read from the source files, not from sealed "
			    "segments: these events have no proof"));
			json_object_set_new(o, "unsealed", segs);
		}
		json_object_set_new(o, "raw_bytes",
		    json_integer((json_int_t)h->raw));
		json_object_set_new(o, "chain_head", json_string(h->m->head));
		for (k = 0; k < HK_MAX; k++)
			json_object_set_new(o, hunt_key_names[k],
			    hunt_table_json(h, k));
		json_object_set(o, "problems", h->problems);
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	printf("hunt: %llu events%s in %llu segments (%llu read, %llu "
	    "ruled out by their index, %llu outside the time range), "
	    "%.1f MB searched in %.1f s\n", (unsigned long long)h->hits,
	    h->limited ? " (stopped at --limit)" : "",
	    (unsigned long long)h->nsel, (unsigned long long)h->n_read,
	    (unsigned long long)h->n_skipped_index,
	    (unsigned long long)h->n_skipped_time, (double)h->raw / 1e6, secs);
	if (a[0] != '\0')
		printf("first seen %s, last seen %s\n", a, b);
	if (h->unsealed)
		printf("UNSEALED: %llu of these events come from %.1f MB of %llu "
		    "source files that keibid has not sealed yet: they have "
		    "no proof\n", (unsigned long long)h->u_hits,
		    (double)h->u_raw / 1e6, (unsigned long long)h->n_ufiles);
	if (h->n_failed > 0)
		printf("%llu segments FAILED verification and were not "
		    "used:\n", (unsigned long long)h->n_failed);
	json_array_foreach(h->problems, i, p)
		printf("  PROBLEM: %s: %s\n",
		    json_string_value(json_object_get(p, "what")),
		    json_string_value(json_object_get(p, "why")));
	json_object_foreach(h->notes, key, p)
		printf("  note: %s: %s (read instead)\n", key,
		    json_string_value(p));
	if (h->n_unknown > 0)
		printf("  note: %llu segments of sources the configuration "
		    "no longer names were not searched\n",
		    (unsigned long long)h->n_unknown);
	if (h->n_deleted > 0)
		printf("  note: %llu segments were deleted by retention\n",
		    (unsigned long long)h->n_deleted);
	printf("\n");
	for (k = 0; k < HK_MAX; k++) {
		hunt_print_table(h, k, HUNT_TOP);
		printf("\n");
	}
}

/* The index of source name in h->srcs, added (name kept) if new. */
static size_t
hunt_src_index(struct hunt *h, const char *name)
{
	const struct source_conf	*sc;
	size_t				 j;

	for (j = 0; j < h->nsrcs; j++)
		if (strcmp(h->srcs[j].name, name) == 0)
			return j;
	sc = config_source(h->conf, name);
	h->srcs = reallocarray(h->srcs, h->nsrcs + 1, sizeof *h->srcs);
	if (h->srcs == NULL)
		fatal("reallocarray");
	h->srcs[j].name = name;
	h->srcs[j].parser = sc != NULL ? parser_lookup(sc->parser) : NULL;
	h->srcs[j].zone = sc != NULL && sc->timezone != NULL ?
	    sc->timezone : h->conf->timezone;
	h->nsrcs++;
	return j;
}

/* Choose the segments: by source, time and what the config can parse. */
static void
hunt_select(struct hunt *h)
{
	const struct mf_seg		*seg;
	struct hunt_seg			*hs;
	size_t				 i, j, k;
	bool				 ok;

	if ((h->sel = calloc(h->m->nseg + 1, sizeof *h->sel)) == NULL)
		fatal("calloc");
	for (i = 0; i < h->m->nseg; i++) {
		seg = &h->m->seg[i];
		if (h->f.source.n > 0) {
			for (j = 0, ok = false; j < h->f.source.n && !ok; j++)
				ok = strcmp(h->f.source.v[j], seg->source) == 0;
			if (!ok)
				continue;
		}
		if (seg->deleted && seg->ok) {
			h->n_deleted++;
			continue;
		}
		if (h->f.from != INT64_MIN || h->f.to != INT64_MAX) {
			if (seg->first_us == MF_NO_TIME ||
			    seg->last_us < h->f.from ||
			    seg->first_us >= h->f.to) {
				h->n_skipped_time++;
				continue;
			}
		}
		j = hunt_src_index(h, seg->source);
		if (h->srcs[j].parser == NULL) {
			h->n_unknown++;
			continue;
		}
		hs = &h->sel[h->nsel++];
		hs->seg = seg;
		hs->src = j;
		if (!segread_joins(h->srcs[j].parser))
			continue;
		/* The source's segment before, if its file went on. */
		for (k = i; k > 0; k--) {
			if (strcmp(h->m->seg[k - 1].source, seg->source) != 0)
				continue;
			if (segread_contiguous(&h->m->seg[k - 1], seg))
				hs->prev = &h->m->seg[k - 1];
			break;
		}
	}
}

/* Build the --where rule (with --url-re); NULL when there is none. */
static struct ruleset *
hunt_where_load(struct hunt *h, char **cause)
{
	struct ruleset	*rs;
	size_t		 i;

	if (h->f.yaml == NULL)
		return NULL;
	rs = ruleset_load_buffer("--where", h->f.yaml, strlen(h->f.yaml),
	    cause);
	if (rs == NULL)
		return NULL;
	ruleset_set_role(rs, ROLE_INTERNAL, &h->internal);
	ruleset_set_role(rs, ROLE_MAIL_SERVERS, &h->conf->mail_servers);
	ruleset_set_role(rs, ROLE_PROXIES, &h->conf->proxies);
	ruleset_set_role(rs, ROLE_DNS_SERVERS, &h->conf->dns_servers);
	for (i = 0; i < rs->n; i++)
		if (rs->v[i]->kind != RK_MATCH)
			break;
	if (rs->n != 1 || i != rs->n) {
		ruleset_free(rs);
		if ((*cause = strdup("--where: one map of conditions")) == NULL)
			fatal("strdup");
		return NULL;
	}
	return rs;
}

/* The YAML of a rule holding the --where and --url-re conditions. */
static void
hunt_where_yaml(struct hunt_filter *f)
{
	FILE	*m;
	size_t	 len, i;
	char	*p;
	bool	 first = true;

	if (f->where.n == 0 && f->url_re.n == 0)
		return;
	if ((m = open_memstream(&f->yaml, &len)) == NULL)
		fatal("open_memstream");
	fprintf(m, "rules:\n  - id: KB-HUNT-0001\n    rev: 1\n"
	    "    title: hunt\n    category: policy_violation\n"
	    "    severity: low\n    match: {");
	for (i = 0; i < f->where.n; i++) {
		p = f->where.v[i];
		/* "{a: b}" or "a: b": the braces are ours. */
		len = strlen(p);
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}')
			fprintf(m, "%s%.*s", first ? "" : ", ", (int)(len - 2),
			    p + 1);
		else
			fprintf(m, "%s%s", first ? "" : ", ", p);
		first = false;
	}
	if (f->url_re.n > 0) {
		fprintf(m, "%surl.original: {regex: [", first ? "" : ", ");
		for (i = 0; i < f->url_re.n; i++) {
			fprintf(m, "%s'", i > 0 ? ", " : "");
			for (p = f->url_re.v[i]; *p != '\0'; p++) {
				if (*p == '\'')
					fputc('\'', m);
				fputc(*p, m);
			}
			fputc('\'', m);
		}
		fprintf(m, "]}");
	}
	fprintf(m, "}\n");
	if (fclose(m) != 0)
		fatal("open_memstream");
}

/* The short usage on standard error. */
static void
hunt_usage(void)
{
	fprintf(stderr, "usage: keibictl hunt [filters] [--by KIND] "
	    "[--json | --csv | --raw] [--limit N]\n"
	    "       [--unsealed] [--no-index] [-j THREADS] [--dir DIR]   "
	    "(see keibictl(8))\n");
}

/* Set a worker up: zones, the --where rule, how to read. */
static void
hunt_worker_init(struct hunt *h, struct hunt_worker *w)
{
	const char	*tzcause;
	char		*cause;
	size_t		 j;

	w->h = h;
	if ((w->tz = calloc(h->nsrcs + 1, sizeof *w->tz)) == NULL)
		fatal("calloc");
	for (j = 0; j < h->nsrcs; j++)
		if (h->srcs[j].zone != NULL && (w->tz[j] =
		    tz_open(h->srcs[j].zone, &tzcause)) == NULL)
			fatalx("%s: %s", h->srcs[j].zone, tzcause);
	if (h->zone != NULL && (w->disp = tz_open(h->zone, &tzcause)) == NULL)
		fatalx("%s: %s", h->zone, tzcause);
	if (h->f.yaml != NULL && (w->where = hunt_where_load(h, &cause)) ==
	    NULL)
		fatalx("%s", cause);
	w->sr.dir = h->m->dir;
	w->sr.max_queue = h->conf->max_queue;
	w->sr.max_line = h->conf->max_line != 0 ? h->conf->max_line :
	    CONFIG_MAX_LINE_DEFAULT;
	w->sr.internal = &h->internal;
	w->sr.cb = hunt_line;
	w->sr.arg = w;
}

/* Free what hunt_worker_init set up. */
static void
hunt_worker_fini(struct hunt *h, struct hunt_worker *w)
{
	size_t	j;

	for (j = 0; j < h->nsrcs; j++)
		tz_free(w->tz[j]);
	free(w->tz);
	tz_free(w->disp);
	ruleset_free(w->where);
}

/* Run the workers over the selection, printing in archive order. */
static void
hunt_run(struct hunt *h, size_t nthreads)
{
	struct hunt_worker	*w;
	struct progress		*pg;
	uint64_t		 total = 0, done = 0;
	size_t			 i, j;

	for (i = 0; i < h->nsel; i++)
		total += h->sel[i].seg->size;
	/* Events streamed to the terminal would tear the bar. */
	pg = h->out == stdout && h->tty ? NULL :
	    progress_start("hunt", total, 1);
	if (nthreads > h->nsel)
		nthreads = h->nsel > 0 ? h->nsel : 1;
	h->nthreads = nthreads;
	if ((w = calloc(nthreads, sizeof *w)) == NULL)
		fatal("calloc");
	for (i = 0; i < nthreads; i++) {
		hunt_worker_init(h, &w[i]);
		if (pthread_create(&w[i].thread, NULL, hunt_worker_main,
		    &w[i]) != 0)
			fatalx("pthread_create");
	}
	for (i = 0; i < h->nsel; i++) {
		pthread_mutex_lock(&h->mu);
		while (h->sel[i].state != HS_DONE && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		pthread_mutex_unlock(&h->mu);
		if (h->sel[i].state != HS_DONE)
			break;
		hunt_consume(h, &h->sel[i]);
		done += h->sel[i].seg->size;
		progress_update(pg, done);
		pthread_mutex_lock(&h->mu);
		h->consumed = i + 1;
		if (h->limited)
			h->stop = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		if (h->limited)
			break;
	}
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		hunt_worker_fini(h, &w[i]);
	}
	/* What finished after a stop is not printed, only freed. */
	for (i = 0; i < h->nsel; i++) {
		for (j = 0; j < h->sel[i].nhits; j++)
			hunt_hit_free(&h->sel[i].hits[j]);
		free(h->sel[i].hits);
	}
	free(w);
	progress_end(pg);
}

/* --- --unsealed: what keibid has not sealed yet -------------------------- */

#define HUNT_MAX_ROTATED	64	/* rotated names looked at per source */

/*
 * True if sfx (what follows a source file's name) is a rotated name as
 * keibid reads them (source_rotated_suffix) and not compressed: keibid
 * does not write to a .gz, what it read of one is sealed before it is let
 * go, and its bytes are not at the offsets the manifest gives.
 */
static bool
hunt_rotated_plain(const char *sfx)
{
	size_t	len;
	long	num;
	bool	gz;

	return source_rotated_suffix(sfx, &len, &num, &gz) && !gz;
}

/*
 * The files to look at for source path: path itself first, then the
 * rotated names beside it (at most HUNT_MAX_ROTATED, in name order), as
 * a malloc'd NULL-terminated array of malloc'd paths.
 */
static char **
hunt_unsealed_names(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	char		**v, *dir, *slash;
	const char	*base;
	size_t		 n = 0, blen;

	if ((v = calloc(HUNT_MAX_ROTATED + 2, sizeof *v)) == NULL ||
	    (v[n++] = strdup(path)) == NULL)
		fatal("strdup");
	if ((slash = strrchr(path, '/')) != NULL) {
		if ((dir = strndup(path, slash == path ? 1 :
		    (size_t)(slash - path))) == NULL)
			fatal("strndup");
		base = slash + 1;
	} else {
		if ((dir = strdup(".")) == NULL)
			fatal("strdup");
		base = path;
	}
	blen = strlen(base);
	if (blen > 0 && (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL &&
		    n < HUNT_MAX_ROTATED + 1) {
			if (strncmp(de->d_name, base, blen) != 0 ||
			    !hunt_rotated_plain(de->d_name + blen))
				continue;
			if (asprintf(&v[n++], "%s/%s", dir, de->d_name) == -1)
				fatal("asprintf");
		}
		closedir(d);
	}
	free(dir);
	if (n > 2)
		qsort(v + 1, n - 1, sizeof *v, hunt_strcmp);
	return v;
}

/*
 * Where the unsealed bytes of the open file fd (of source name; current:
 * at the source's own path) start: 0 with *start, or -1 when none of it is
 * to be searched.  The last manifest entry for the file's device and inode
 * says where the archive's account of it ends.  The bytes that entry
 * sealed must still be there, the same (their SHA-256 is the entry's
 * sha256_raw), or the file was cut or replaced since the seal and all of
 * it is unsealed.  This reads at most one segment's worth of the file.
 */
static int
hunt_unsealed_start(struct hunt *h, const char *name, int fd,
    const struct stat *sb, bool current, uint64_t *start,
    const struct mf_seg **prime)
{
	const struct mf_seg	*seg;
	uint64_t		 end;
	char			 hex[65];

	*prime = NULL;
	if (manifest_file_end(h->m, name, (uint64_t)sb->st_dev,
	    (uint64_t)sb->st_ino, &end, &seg) == 0) {
		/* Never archived: keibid's only if it is the one it reads. */
		if (!current)
			return -1;
		*start = 0;
		return 0;
	}
	*start = 0;
	if ((uint64_t)sb->st_size < end)
		return 0;		/* cut since */
	if (seg != NULL && seg->sha_raw[0] != '\0' &&
	    (segread_hash_range(fd, seg->start, seg->end, hex) != 0 ||
	    strcmp(hex, seg->sha_raw) != 0))
		return 0;		/* other bytes: replaced or rewritten */
	*start = end;
	/* The file went on from that segment: warm the parser with it. */
	if (seg != NULL && seg->end == end)
		*prime = seg;
	return 0;
}

/*
 * Search each configured source's files past what the manifest (as read
 * at the start) accounts for, on the main thread, after the segments.
 */
static void
hunt_unsealed(struct hunt *h)
{
	const struct source_conf	*sc;
	struct hunt_worker		 w;
	struct hunt_seg			*v = NULL, *hs;
	struct segread_result		 res;
	struct stat			 sb;
	const struct mf_seg		*prime;
	uint64_t			 start;
	size_t				 n = 0, i, j, k;
	char				*path, **names;
	int				 fd;
	bool				 ok;

	for (i = 0; i < h->conf->nsources; i++) {
		sc = &h->conf->sources[i];
		if (h->f.source.n > 0) {
			for (j = 0, ok = false; j < h->f.source.n && !ok; j++)
				ok = strcmp(h->f.source.v[j], sc->name) == 0;
			if (!ok)
				continue;
		}
		names = hunt_unsealed_names(sc->path);
		for (k = 0; names[k] != NULL; k++) {
			path = names[k];
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
				free(path);
				continue;
			}
			ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
			for (j = 0; j < n && ok; j++)
				ok = v[j].udev != (uint64_t)sb.st_dev ||
				    v[j].uino != (uint64_t)sb.st_ino;
			if (!ok || hunt_unsealed_start(h, sc->name, fd, &sb,
			    k == 0, &start, &prime) != 0 ||
			    start >= (uint64_t)sb.st_size) {
				close(fd);
				free(path);
				continue;
			}
			v = reallocarray(v, n + 1, sizeof *v);
			if (v == NULL)
				fatal("reallocarray");
			hs = &v[n++];
			memset(hs, 0, sizeof *hs);
			hs->src = hunt_src_index(h, sc->name);
			hs->upath = path;
			hs->udev = (uint64_t)sb.st_dev;
			hs->uino = (uint64_t)sb.st_ino;
			hs->ustart = start;
			hs->uend = (uint64_t)sb.st_size;
			hs->ufd = fd;
			hs->prev = prime;
		}
		free(names);
	}
	if (n == 0)
		return;
	memset(&w, 0, sizeof w);
	hunt_worker_init(h, &w);
	for (i = 0; i < n; i++) {
		hs = &v[i];
		if (!h->limited && h->srcs[hs->src].parser != NULL) {
			w.cur = hs;
			w.sr.source = h->srcs[hs->src].name;
			w.sr.parser = h->srcs[hs->src].parser;
			w.sr.tz = w.tz[hs->src];
			w.sr.prime = segread_joins(w.sr.parser) ? hs->prev :
			    NULL;
			if (segread_file(&w.sr, hs->ufd, hs->ustart, hs->uend,
			    (int64_t)time(NULL) * 1000000, &res) != 0) {
				hs->outcome = HO_FAILED;
				hs->why = res.why;
				for (j = 0; j < hs->nhits; j++)
					hunt_hit_free(&hs->hits[j]);
				hs->nhits = 0;
			} else
				hs->outcome = HO_READ;
			hs->raw = res.raw;
			hs->events = res.events;
			hunt_consume(h, hs);
		}
		close(hs->ufd);
		free(hs->upath);
	}
	hunt_worker_fini(h, &w);
	free(v);
}

/* Parse the options into h; exits 2 on a usage error. */
static void
hunt_options(struct hunt *h, int argc, char **argv, const char **dir,
    size_t *nthreads)
{
	static const struct option longopts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ "host", required_argument, NULL, 'H' },
		{ "domain", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, 'u' },
		{ "url-re", required_argument, NULL, 'U' },
		{ "user", required_argument, NULL, 'n' },
		{ "email", required_argument, NULL, 'e' },
		{ "port", required_argument, NULL, 'p' },
		{ "source", required_argument, NULL, 's' },
		{ "dataset", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "at", required_argument, NULL, 'A' },
		{ "window", required_argument, NULL, 'W' },
		{ "where", required_argument, NULL, 'w' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "csv", no_argument, NULL, 'C' },
		{ "raw", no_argument, NULL, 'R' },
		{ "limit", required_argument, NULL, 'l' },
		{ "no-index", no_argument, NULL, 'N' },
		{ "unsealed", no_argument, NULL, 'Z' },
		{ "dir", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct cidr	 c;
	const char	*since = NULL, *from = NULL, *to = NULL, *at = NULL;
	const char	*window = NULL, *errstr;
	int64_t		 t, d;
	int		 ch, k;
	bool		 bad = false;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "j:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (hunt_parse_cidr(optarg, &c) != 0) {
				fprintf(stderr, "keibictl hunt: --remote %s: "
				    "not an address or CIDR\n", optarg);
				exit(HUNT_EXIT_USAGE);
			}
			hunt_cidr_add(&h->f.remote, &h->f.nremote, &c);
			break;
		case 'H':
			if (hunt_parse_cidr(optarg, &c) == 0)
				hunt_cidr_add(&h->f.host, &h->f.nhost, &c);
			else
				hunt_strs_add(&h->f.hostname, optarg);
			break;
		case 'd':
			while (*optarg == '.')
				optarg++;
			hunt_strs_add(&h->f.domain, optarg);
			while (h->f.domain.v[h->f.domain.n - 1][0] != '\0' &&
			    h->f.domain.v[h->f.domain.n - 1][strlen(
			    h->f.domain.v[h->f.domain.n - 1]) - 1] == '.')
				h->f.domain.v[h->f.domain.n - 1][strlen(
				    h->f.domain.v[h->f.domain.n - 1]) - 1] =
				    '\0';
			break;
		case 'u':
			hunt_strs_add(&h->f.url, optarg);
			break;
		case 'U':
			hunt_strs_add(&h->f.url_re, optarg);
			break;
		case 'n':
			hunt_strs_add(&h->f.user, optarg);
			break;
		case 'e':
			hunt_strs_add(&h->f.email, optarg);
			break;
		case 'p':
			h->f.port = reallocarray(h->f.port, h->f.nport + 1,
			    sizeof *h->f.port);
			if (h->f.port == NULL)
				fatal("reallocarray");
			h->f.port[h->f.nport++] = hunt_number(optarg, 0, 65535,
			    &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "keibictl hunt: --port %s: "
				    "%s\n", optarg, errstr);
				exit(HUNT_EXIT_USAGE);
			}
			break;
		case 's':
			hunt_strs_add(&h->f.source, optarg);
			break;
		case 'D':
			hunt_strs_add(&h->f.dataset, optarg);
			break;
		case 'S':
			since = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'T':
			to = optarg;
			break;
		case 'A':
			at = optarg;
			break;
		case 'W':
			window = optarg;
			break;
		case 'w':
			hunt_strs_add(&h->f.where, optarg);
			break;
		case 'b':
			for (k = 0; k < HK_MAX; k++)
				if (strcmp(optarg, hunt_key_names[k]) == 0)
					h->by = k;
			if (h->by < 0) {
				fprintf(stderr, "keibictl hunt: --by %s: one "
				    "of host, user, remote, domain\n", optarg);
				exit(HUNT_EXIT_USAGE);
			}
			break;
		case 'J':
			h->fmt = FMT_JSON;
			break;
		case 'C':
			h->fmt = FMT_CSV;
			break;
		case 'R':
			h->fmt = FMT_RAW;
			break;
		case 'l':
			h->limit = (uint64_t)hunt_number(optarg, 1, INT64_MAX,
			    &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "keibictl hunt: --limit %s: "
				    "%s\n", optarg, errstr);
				exit(HUNT_EXIT_USAGE);
			}
			break;
		case 'N':
			h->use_index = false;
			break;
		case 'Z':
			h->unsealed = true;
			break;
		case 'o':
			*dir = optarg;
			break;
		case 'j':
			*nthreads = (size_t)hunt_number(optarg, 1,
			    HUNT_MAX_THREADS, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "keibictl hunt: -j %s: %s\n",
				    optarg, errstr);
				exit(HUNT_EXIT_USAGE);
			}
			break;
		default:
			hunt_usage();
			exit(HUNT_EXIT_USAGE);
		}
	}
	if (optind < argc) {
		hunt_usage();
		exit(HUNT_EXIT_USAGE);
	}
	if (since != NULL) {
		if (ctl_parse_since(since, h->tz, &t) == 0)
			h->f.from = t;
		else
			bad = true;
	}
	if (from != NULL) {
		if (ctl_parse_time(from, h->tz, &t) != 0)
			bad = true;
		else
			h->f.from = t;
	}
	if (to != NULL) {
		if (ctl_parse_time(to, h->tz, &t) != 0)
			bad = true;
		else
			h->f.to = t;
	}
	if (at != NULL) {
		d = HUNT_WINDOW_US;
		if (window != NULL && (d = rule_parse_duration(window)) <= 0)
			bad = true;
		if (ctl_parse_time(at, h->tz, &t) != 0)
			bad = true;
		else {
			h->f.from = t - d;
			h->f.to = t + d + 1;
		}
	}
	if (bad) {
		fprintf(stderr, "keibictl hunt: a time is YYYY-MM-DD[THH:MM"
		    "[:SS]][Z|+HH:MM] (local times in %s), a duration 30d, "
		    "12h, 90m\n", h->zone != NULL ? h->zone : "UTC");
		exit(HUNT_EXIT_USAGE);
	}
}

static int
ctl_hunt_exec(int argc, char **argv)
{
	struct hunt	 h;
	struct timespec	 t0, t1;
	const char	*dir = NULL, *tzcause;
	char		*cause, buf[65536];
	size_t		 nthreads, i, n;
	long		 ncpu;
	int		 rc, k;
	struct ruleset	*probe;

	memset(&h, 0, sizeof h);
	h.by = -1;
	h.use_index = true;
	h.f.from = INT64_MIN;
	h.f.to = INT64_MAX;
	h.first = INT64_MAX;
	h.last = INT64_MIN;
	h.tty = isatty(STDOUT_FILENO);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nthreads = ncpu < 1 ? 1 : ncpu > HUNT_MAX_THREADS ? HUNT_MAX_THREADS :
	    (size_t)ncpu;
	if ((h.conf = ctl_config()) == NULL) {
		fprintf(stderr, "keibictl hunt: needs the configuration (-c) "
		    "that names the sources and their parsers\n");
		return HUNT_EXIT_USAGE;
	}
	h.zone = h.conf->timezone;
	if (h.zone != NULL && (h.tz = tz_open(h.zone, &tzcause)) == NULL) {
		fprintf(stderr, "keibictl hunt: %s: %s\n", h.zone, tzcause);
		config_free(h.conf);
		return HUNT_EXIT_USAGE;
	}
	hunt_options(&h, argc, argv, &dir, &nthreads);
	cidr_set_init(&h.internal);
	for (i = 0; i < h.conf->internal.n; i++)
		cidr_set_add(&h.internal, &h.conf->internal.v[i]);
	if (h.internal.n == 0)
		ctl_default_networks(&h.internal);
	hunt_where_yaml(&h.f);
	if (h.f.yaml != NULL) {
		if ((probe = hunt_where_load(&h, &cause)) == NULL) {
			fprintf(stderr, "keibictl hunt: %s\n", cause);
			exit(HUNT_EXIT_USAGE);
		}
		ruleset_free(probe);
	}
	if ((h.m = manifest_load(dir != NULL ? dir : h.conf->evidence_dir,
	    &cause)) == NULL) {
		fprintf(stderr, "keibictl hunt: %s\n", cause);
		free(cause);
		exit(HUNT_EXIT_USAGE);
	}
	h.problems = json_array();
	h.notes = json_object();
	if (h.m->bad > 0) {
		hunt_problem(&h, EVIDENCE_MANIFEST, h.m->why_bad);
		fprintf(stderr, "keibictl hunt: %s: %s\n", EVIDENCE_MANIFEST,
		    h.m->why_bad);
	}
	pthread_mutex_init(&h.mu, NULL);
	pthread_cond_init(&h.cv, NULL);
	if (h.fmt == FMT_TEXT || h.fmt == FMT_JSON) {
		if ((h.out = tmpfile()) == NULL)
			fatal("tmpfile");
	} else
		h.out = stdout;
	if (h.fmt == FMT_CSV && h.by < 0)
		printf("time,source,event.dataset,event.action,source.ip,"
		    "source.port,destination.ip,destination.port,"
		    "network.transport,user.name,url.domain,url.original,"
		    "email.from.address,email.to.address,segment,offset,"
		    "length,sha256,sealed,path\r\n");
	/* Parsers warn about odd lines; the answer is what matters here. */
	log_set_level(LOG_LVL_ERR);
	hunt_select(&h);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hunt_run(&h, nthreads);
	if (h.unsealed)
		hunt_unsealed(&h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fflush(h.out);

	if (h.by >= 0) {
		if (h.fmt == FMT_CSV)
			hunt_print_csv_table(&h, h.by);
		else if (h.fmt == FMT_JSON)
			hunt_print_summary(&h, 0);
		else {
			printf("%llu events; by %s:\n",
			    (unsigned long long)h.hits, hunt_key_names[h.by]);
			if (h.unsealed)
				printf("(UNSEALED: %llu of them come from "
				    "source files keibid has not sealed yet: "
				    "no proof)\n",
				    (unsigned long long)h.u_hits);
			hunt_print_table(&h, h.by, 0);
		}
	} else if (h.fmt == FMT_TEXT || h.fmt == FMT_JSON) {
		hunt_print_summary(&h, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (h.fmt == FMT_TEXT)
			printf("events:\n");
		rewind(h.out);
		while ((n = fread(buf, 1, sizeof buf, h.out)) > 0)
			fwrite(buf, 1, n, stdout);
	}
	if (h.out != stdout)
		fclose(h.out);
	fflush(stdout);

	rc = h.hits > 0 ? 0 : HUNT_EXIT_NONE;
	if (json_array_size(h.problems) > 0)
		rc = HUNT_EXIT_INTEGRITY;
	for (k = 0; k < HK_MAX; k++)
		hunt_tab_free(&h.tab[k]);
	json_decref(h.problems);
	json_decref(h.notes);
	free(h.sel);
	free(h.srcs);
	manifest_free(h.m);
	free(h.f.remote);
	free(h.f.host);
	free(h.f.port);
	free(h.f.yaml);
	hunt_strs_free(&h.f.hostname);
	hunt_strs_free(&h.f.domain);
	hunt_strs_free(&h.f.url);
	hunt_strs_free(&h.f.url_re);
	hunt_strs_free(&h.f.user);
	hunt_strs_free(&h.f.email);
	hunt_strs_free(&h.f.source);
	hunt_strs_free(&h.f.dataset);
	hunt_strs_free(&h.f.where);
	cidr_set_free(&h.internal);
	tz_free(h.tz);
	config_free(h.conf);
	pthread_mutex_destroy(&h.mu);
	pthread_cond_destroy(&h.cv);
	return rc;
}

const struct ctl_cmd ctl_cmd_hunt = {
	.name = "hunt",
	.usage =
"hunt [--remote CIDR] [--host CIDR|NAME] [--domain D] [--url TEXT]\n"
"        [--url-re PCRE2] [--user NAME] [--email ADDR|@DOMAIN] [--port N]\n"
"        [--source NAME] [--dataset DS] [--where 'FIELD: COND']\n"
"        [--since 30d | --from TIME --to TIME | --at TIME --window 15m]\n"
"        [--by host|user|remote|domain] [--json | --csv | --raw]\n"
"        [--limit N] [--unsealed] [--no-index] [-j N] [--dir DIR]\n"
"        search the sealed evidence: a summary of the internal hosts,\n"
"        users, remote addresses and domains, then each event with its\n"
"        proof (segment:offset:length and the segment's SHA-256); every\n"
"        segment read is verified, one that fails is reported, not used;\n"
"        --unsealed also searches the source files past the last sealed\n"
"        segment (by device and inode): those events are marked UNSEALED\n"
"        and have no proof",
	.exec = ctl_hunt_exec,
};
