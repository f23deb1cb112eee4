/*
 * corpus_check.c: run every sample of the shared corpora (KEIBI_CORPORA,
 * see its PROVENANCE.md) through the parser that claims its product and
 * compare the fields the upstream authors expected.  Every file of every
 * product folder is read with the reader its source folder calls for:
 *
 *   crowdsec   parser.assert: Success and Evt.Parsed/Meta of each line
 *   elastic    test-*.log and -expected.json: ECS fields of each line
 *   wazuh-eng  *_input.txt and *_expected.json: ECS fields of each line
 *   fail2ban   "# failJSON: {...}" above a line: host, user, time
 *   metron     raw lines and parsed JSON lines keyed by original_string
 *   grok       postfix-grok-patterns YAML: a message and its captures
 *   wazuh      .ini "log N pass|fail" lines: classification only
 *   loghub     a log and its _structured.csv: time and program
 *   rita       Zeek logs (TSV with headers, JSON, gzip): every record
 *   raw        lines without annotations: each must be an event
 *
 * It prints a table per product: sample lines, lines parsed as upstream
 * classifies them (an event, or a negative sample that is not one),
 * fields compared and fields equal.  A product whose parser is
 * registered is claimed and fails below 100% parsed or 98% equal;
 * products without a parser are reported, not failed.  Samples and
 * fields left out are listed with their reasons.  Times are compared as
 * month-day-time when the line has no year (every upstream framework
 * invents the year differently), as instants when it has one.  This
 * program only reads the corpora; it must never write to them.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>
#include <zlib.h>

#include "corpus.h"
#include "log.h"
#include "netaddr.h"
#include "parser.h"
#include "record.h"
#include "sysloghdr.h"
#include "tz.h"

/* The reference "now" for year-less lines: 2026-11-21T12:00:00Z. */
#define CORPUS_REF_US		(1795262400LL * 1000000)
#define CORPUS_LINE_MAX		(64 * 1024)
#define CORPUS_PATH_MAX		4096
#define CORPUS_MIN_PARSED	100.0	/* percent of lines */
#define CORPUS_MIN_EQUAL	98.0	/* percent of fields */

/* fail2ban's harness: Europe/Berlin-like zone, "now" 2005-08-14T10:00Z. */
#define FAIL2BAN_TZ		"Europe/Berlin"
#define FAIL2BAN_NOW		"2005-08-14T10:00:00Z"

/* A product's counts. */
struct corpus_count {
	unsigned int	lines;
	unsigned int	parsed;
	unsigned int	compared;
	unsigned int	equal;
	unsigned int	excluded;
	unsigned int	errors;		/* files that could not be read */
};

/* A run over one product. */
struct corpus_run {
	const struct corpus_product	*prod;
	const struct parser		*parser;
	const char			*root;
	char				 dir[CORPUS_PATH_MAX];
	void				*state;
	struct tz			*tz;
	struct record			 rec;
	int				 rc;
	const struct corpus_map		*map;
	int				 flags;
	char				 rel[CORPUS_PATH_MAX]; /* file */
	unsigned int			 lineno;
	struct corpus_count		 n;
};

/* One parser of a crowdsec test and the lines its results are. */
struct corpus_cs_parser {
	char		 name[128];
	long		 len;		/* len(...) asserted, -1 if none */
	long		 maxidx;
	signed char	*success;	/* by result index: 1, 0, -1 unknown */
	long		*line;		/* result index -> line, -1 */
	bool		 aligned;
};

static const char *const corpus_verdicts[] = {
	"accept", "allow", "pass", "permit", "block", "drop", "deny",
	"reject", "discard", NULL
};

static void	corpus_compare(struct corpus_run *, const struct corpus_map *,
		    const char *);

/* Join a, b and c into buf; a path that does not fit is fatal. */
static void
corpus_path(char *buf, size_t size, const char *a, const char *b,
    const char *c)
{
	if ((size_t)snprintf(buf, size, "%s%s%s", a, b, c) >= size)
		fatalx("path too long: %s%s%s", a, b, c);
}

/* --- bookkeeping ------------------------------------------------------- */

/* The reason a sample (key NULL) or a field of line is left out; NULL. */
static const char *
corpus_excluded(struct corpus_run *r, unsigned int line, const char *key)
{
	const struct corpus_exclude	*e;
	size_t				 n;

	if (r->prod->excludes == NULL)
		return NULL;
	for (e = r->prod->excludes; e->path != NULL; e++) {
		n = strlen(e->path);
		/* "dir/anvil_*" names every file it begins. */
		if (n > 0 && e->path[n - 1] == '*' ?
		    strncmp(e->path, r->rel, n - 1) != 0 :
		    strcmp(e->path, r->rel) != 0)
			continue;
		if (e->line != 0 && e->line != line)
			continue;
		if ((e->key == NULL) != (key == NULL))
			continue;
		if (key != NULL && strcmp(e->key, key) != 0)
			continue;
		return e->reason;
	}
	return NULL;
}

/* Print a mismatch of run r with escaped text. */
static void
corpus_mismatch(struct corpus_run *r, const char *what, const char *want,
    const char *got)
{
	char	ew[256], eg[256];

	log_escape(want, strlen(want), ew, sizeof ew);
	log_escape(got, strlen(got), eg, sizeof eg);
	printf("MISMATCH %s/%s:%u: %s: want \"%s\", got \"%s\"\n",
	    r->prod->path, r->rel, r->lineno, what, ew, eg);
}

/* Parse one line into r->rec; r->rc is the parser's answer. */
static void
corpus_parse(struct corpus_run *r, const char *line, size_t len)
{
	record_reset(&r->rec);
	r->rc = r->parser->parse(r->state, line, len, &r->rec);
	if (r->rc == 1)
		record_finish(&r->rec, NULL);
}

/*
 * A sample: parse it and check its class (want an event, or want none).
 * False if the sample is excluded (then it is not parsed).
 */
static bool
corpus_sample(struct corpus_run *r, const char *line, size_t len, int want)
{
	char	got[16];

	if (corpus_excluded(r, r->lineno, NULL) != NULL) {
		r->n.excluded++;
		return false;
	}
	corpus_parse(r, line, len);
	r->n.lines++;
	if ((r->rc == 1) == (want != 0)) {
		r->n.parsed++;
		return true;
	}
	snprintf(got, sizeof got, "%d", r->rc);
	corpus_mismatch(r, "parse", want ? "1 (an event)" : "0 or -1 (none)",
	    got);
	return true;
}

/* The entry of r's map for key; NULL if the map has none. */
static const struct corpus_map *
corpus_map_find(struct corpus_run *r, const char *key)
{
	const struct corpus_map	*m;

	if (r->map == NULL)
		return NULL;
	for (m = r->map; m->key != NULL; m++)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

/* Compare a JSON value (string or number) with map entry m. */
static void
corpus_compare_json(struct corpus_run *r, const struct corpus_map *m,
    json_t *v)
{
	char	val[CORPUS_LINE_MAX];

	if (json_is_string(v))
		snprintf(val, sizeof val, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(val, sizeof val, "%lld",
		    (long long)json_integer_value(v));
	else if (json_is_array(v) && json_array_size(v) == 1 &&
	    json_is_string(json_array_get(v, 0)))
		snprintf(val, sizeof val, "%s",
		    json_string_value(json_array_get(v, 0)));
	else
		return;
	corpus_compare(r, m, val);
}

/* --- comparing --------------------------------------------------------- */

/* Lowercase ASCII copy of s into buf. */
static void
corpus_lower(const char *s, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i];
	buf[i] = '\0';
}

/* The verdict a vendor word names ("drop_input" -> "drop", "D"). */
static void
corpus_verdict(const char *s, char *buf, size_t size)
{
	char	l[128];
	size_t	i;

	corpus_lower(s, l, sizeof l);
	if (strlen(l) == 1) {
		switch (l[0]) {
		case 'a':
			snprintf(buf, size, "accept");
			return;
		case 'd':
			snprintf(buf, size, "drop");
			return;
		case 'r':
			snprintf(buf, size, "reject");
			return;
		case 'b':
			snprintf(buf, size, "block");
			return;
		}
	}
	for (i = 0; corpus_verdicts[i] != NULL; i++) {
		if (strstr(l, corpus_verdicts[i]) != NULL) {
			snprintf(buf, size, "%s", corpus_verdicts[i]);
			return;
		}
	}
	snprintf(buf, size, "%s", l);
}

/* Month number of a three-letter English name; 0 if none. */
static int
corpus_month(const char *s)
{
	static const char	months[] =
	    "JanFebMarAprMayJunJulAugSepOctNovDec";
	int			i;

	for (i = 0; i < 12; i++)
		if (strncmp(s, months + i * 3, 3) == 0)
			return i + 1;
	return 0;
}

/* The day of " 8" or "18" at s; 0 if none. */
static int
corpus_day(const char *s)
{
	int	d = 0;

	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9' && d < 100)
		d = d * 10 + (*s++ - '0');
	return d;
}

/*
 * "2005-03-7T02:09:33.000" (fail2ban does not always pad) as
 * "2005-03-07T02:09:33" in buf; the text unchanged if it is no time.
 */
static void
corpus_norm_time(const char *s, char *buf, size_t size)
{
	static const char	seps[] = "--T::";
	const char		*p = s;
	int			 v[6], i;

	for (i = 0; i < 6; i++) {
		if (*p < '0' || *p > '9')
			break;
		for (v[i] = 0; *p >= '0' && *p <= '9' && v[i] < 10000; p++)
			v[i] = v[i] * 10 + (*p - '0');
		if (i < 5 && *p++ != seps[i])
			break;
	}
	if (i < 6) {
		snprintf(buf, size, "%s", s);
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", v[0], v[1], v[2],
	    v[3], v[4], v[5]);
}

/* The record's local time "YYYY-MM-DDThh:mm:ss" into buf; false if none. */
static bool
corpus_local(const struct record *rec, char *buf, size_t size)
{
	char	full[64];

	if (!rec->has_ts)
		return false;
	record_format_time(rec->ts_us, rec->tz_off, 0, full, sizeof full);
	snprintf(buf, size, "%.19s", full);
	return true;
}

/* True if want names no value ("", "-", "N/A", "0", "(unknown 0)"). */
static bool
corpus_absent(const char *want)
{
	while (*want == ' ')
		want++;
	return *want == '\0' || strcmp(want, "-") == 0 ||
	    strcmp(want, "N/A") == 0 || strcmp(want, "0") == 0 ||
	    strncmp(want, "(unknown", 8) == 0;
}

/*
 * Compare an expected time with the record's.  want may be syslog
 * ("Jun  8 14:34:33"), loghub ("10.30 16:49:06"), ISO 8601 or CLF
 * ("20/Jun/2022:13:09:14 +0200").  *shown receives what was compared.
 */
static bool
corpus_time(const struct record *rec, const char *want, char *w, size_t wsz,
    char *got, size_t gsz)
{
	const char	*p;
	char	 iso[64], loc[64];
	int64_t	 ts;
	int32_t	 off;
	uint8_t	 digits;
	int	 mon;

	snprintf(w, wsz, "%s", want);
	if (!rec->has_ts || !corpus_local(rec, loc, sizeof loc))
		return false;
	if (strlen(want) >= 14 && (mon = corpus_month(want)) != 0 &&
	    want[3] == ' ') {
		/* "Jun  8 14:34:33", "Jun 08 ...", "Sep 8 07:46:30" */
		p = want + 4;
		while (*p == ' ')
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == ' ')
			p++;
		snprintf(w, wsz, "%02d-%02dT%.8s", mon, corpus_day(want + 4),
		    p);
		snprintf(got, gsz, "%s", loc + 5);
		return strcmp(got, w) == 0;
	}
	if (strlen(want) == 14 && want[2] == '.' && want[5] == ' ') {
		snprintf(w, wsz, "%.2s-%.2sT%.8s", want, want + 3, want + 6);
		snprintf(got, gsz, "%s", loc + 5);
		return strcmp(got, w) == 0;
	}
	if (strlen(want) == 26 && want[2] == '/' &&
	    (mon = corpus_month(want + 3)) != 0) {
		snprintf(iso, sizeof iso, "%.4s-%02d-%.2sT%.8s%.5s",
		    want + 7, mon, want, want + 12, want + 21);
		want = iso;
	}
	if (iso8601_parse(want, strlen(want), NULL, &ts, &off, &digits) !=
	    strlen(want))
		return false;
	if ((rec->flags & REC_NO_YEAR) == 0) {
		record_format_time(rec->ts_us, 0, 3, got, gsz);
		record_format_time(ts, 0, 3, w, wsz);
		return ts / 1000000 == rec->ts_us / 1000000;
	}
	/* Year-less: month-day-time, both in UTC. */
	record_format_time(ts, 0, 0, iso, sizeof iso);
	snprintf(w, wsz, "%.14s", iso + 5);
	record_format_time(rec->ts_us, 0, 0, iso, sizeof iso);
	snprintf(got, gsz, "%.14s", iso + 5);
	return strcmp(got, w) == 0;
}

/* The field of m (or, for CMP_IFACE, either interface) as text. */
static void
corpus_got(const struct record *rec, const struct corpus_map *m, char *got,
    size_t size)
{
	struct span	v;
	enum rf		rf = m->rf;

	got[0] = '\0';
	if (m->cmp == CMP_IFACE && !record_has(rec, rf))
		rf = RF_OBSERVER_EGRESS_INTERFACE;
	if (rf == RF_TIMESTAMP || !record_has(rec, rf))
		return;
	v = record_get(rec, rf);
	snprintf(got, size, "%.*s", (int)v.len, v.p);
}

/* Compare expected value want (of upstream key m->key) with the record. */
static void
corpus_compare(struct corpus_run *r, const struct corpus_map *m,
    const char *want)
{
	const struct record	*rec = &r->rec;
	struct netaddr		 a, b;
	char			 got[CORPUS_LINE_MAX], w[256], x[256];
	int64_t			 ts;
	int32_t			 off;
	char			*end;
	size_t			 n;
	bool			 ok = false;

	if (m->cmp == CMP_NONEMPTY && *want == '\0')
		return;
	if (corpus_excluded(r, r->lineno, m->key) != NULL)
		return;
	corpus_got(rec, m, got, sizeof got);
	r->n.compared++;

	switch (m->cmp) {
	case CMP_EXACT:
	case CMP_NONEMPTY:
	case CMP_IFACE:
		ok = strcmp(got, want) == 0;
		break;
	case CMP_NOCASE:
		ok = strcasecmp(got, want) == 0;
		break;
	case CMP_IP:
		ok = netaddr_parse(&a, got, strlen(got)) == 0 &&
		    netaddr_parse(&b, want, strlen(want)) == 0 &&
		    a.family == b.family && memcmp(a.a, b.a, 16) == 0;
		break;
	case CMP_INT:
		if (*want == '\0' || strcmp(want, "-") == 0) {
			want = "";
			ok = got[0] == '\0';
		} else
			ok = got[0] != '\0' && strtoull(got, NULL, 10) ==
			    strtoull(want, NULL, 10);
		break;
	case CMP_TRANSPORT:
		corpus_lower(want, w, sizeof w);
		if (strcmp(w, "icmpv6") == 0)
			snprintf(w, sizeof w, "ipv6-icmp");
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_VERDICT:
		corpus_verdict(want, w, sizeof w);
		corpus_verdict(got, x, sizeof x);
		ok = strcmp(x, w) == 0;
		want = w;
		break;
	case CMP_DOMAIN:
		if (strcmp(want, "unknown") == 0)
			want = "";
		ok = strcmp(got, want) == 0;
		break;
	case CMP_QUEUEID:
		if (strcmp(want, "NOQUEUE") == 0)
			want = "";
		ok = strcmp(got, want) == 0;
		break;
	case CMP_ABSENT:
		if (corpus_absent(want))
			want = "";
		ok = strcmp(got, want) == 0;
		break;
	case CMP_SUFFIX:
		n = strlen(got);
		ok = n > 0 && strlen(want) >= n &&
		    strcmp(want + strlen(want) - n, got) == 0;
		break;
	case CMP_MS_NS:
		snprintf(w, sizeof w, "%s000000", want);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_TIME:
		ok = corpus_time(rec, want, w, sizeof w, got, sizeof got);
		want = w;
		break;
	case CMP_TIME_EPOCH_MS:
		if (!rec->has_ts)
			break;
		errno = 0;
		ts = strtoll(want, &end, 10);
		if (errno != 0 || *end != '\0')
			break;
		record_format_time(ts * 1000, 0, 0, w, sizeof w);
		record_format_time(rec->ts_us, 0, 0, got, sizeof got);
		want = w;
		/* A year-less line: month-day-time (Metron used its year). */
		if (rec->flags & REC_NO_YEAR)
			ok = strcmp(got + 5, w + 5) == 0;
		else
			ok = ts * 1000 == rec->ts_us;
		break;
	case CMP_TIME_EPOCH_S:
		if (!rec->has_ts)
			break;
		errno = 0;
		ts = strtoll(want, &end, 10) * 1000;
		if (*end == '.') {
			for (n = 0, end++; n < 3; n++)
				ts += (*end >= '0' && *end <= '9' ?
				    *end++ - '0' : 0) * (n == 0 ? 100 :
				    n == 1 ? 10 : 1);
		}
		if (errno != 0)
			break;
		record_format_time(ts * 1000, 0, 3, w, sizeof w);
		record_format_time(rec->ts_us, 0, 3, got, sizeof got);
		want = w;
		ok = ts == rec->ts_us / 1000;
		break;
	case CMP_TIME_LOCAL:
		/* "2005-07-12T07:47:48[.000]" in the source's zone */
		if (!rec->has_ts)
			break;
		off = tz_offset_at(r->tz, rec->ts_us / 1000000);
		record_format_time(rec->ts_us, off, 0, x, sizeof x);
		corpus_norm_time(want, w, sizeof w);
		if (rec->flags & REC_NO_YEAR) {
			snprintf(got, sizeof got, "%.14s", x + 5);
			memmove(w, w + 5, strlen(w + 5) + 1);
		} else
			snprintf(got, sizeof got, "%.19s", x);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	case CMP_TIME_WALL:
		if (!corpus_local(rec, got, sizeof got))
			break;
		snprintf(w, sizeof w, "%.19s", want);
		ok = strcmp(got, w) == 0;
		want = w;
		break;
	}
	if (ok)
		r->n.equal++;
	else
		corpus_mismatch(r, m->key, want, got);
}

/* --- reading files ----------------------------------------------------- */

/* Read the lines of path (gzip or not) into an array; NULL on error. */
static char **
corpus_lines(const char *path, size_t *n)
{
	gzFile	  f;
	char	**v = NULL, *buf;
	size_t	  count = 0, len;

	if ((f = gzopen(path, "rb")) == NULL) {
		printf("FAIL %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CORPUS_LINE_MAX)) == NULL)
		fatal("malloc");
	while (gzgets(f, buf, CORPUS_LINE_MAX) != NULL) {
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if ((v = realloc(v, (count + 2) * sizeof *v)) == NULL)
			fatal("realloc");
		if ((v[count++] = strdup(buf)) == NULL)
			fatal("strdup");
	}
	free(buf);
	gzclose(f);
	if (v == NULL && (v = calloc(1, sizeof *v)) == NULL)
		fatal("calloc");
	v[count] = NULL;
	*n = count;
	return v;
}

/* Free what corpus_lines returned. */
static void
corpus_lines_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* String comparison for qsort of names. */
static int
corpus_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir (no dot files), sorted; NULL-terminated. */
static char **
corpus_list(const char *dir, size_t *n)
{
	struct dirent	 *de;
	DIR		 *d;
	char		**v = NULL;
	size_t		  count = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((v = realloc(v, (count + 2) * sizeof *v)) == NULL)
			fatal("realloc");
		if ((v[count++] = strdup(de->d_name)) == NULL)
			fatal("strdup");
	}
	closedir(d);
	if (v == NULL && (v = calloc(1, sizeof *v)) == NULL)
		fatal("calloc");
	v[count] = NULL;
	if (count > 0)
		qsort(v, count, sizeof *v, corpus_strcmp);
	*n = count;
	return v;
}

/* True if path is a directory. */
static bool
corpus_isdir(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* True if path exists. */
static bool
corpus_exists(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0;
}

/* True if s ends with suffix. */
static bool
corpus_endswith(const char *s, const char *suffix)
{
	size_t	a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* --- the readers ------------------------------------------------------- */

/* Raw lines: every non-empty one must (or must not) be an event. */
static int
corpus_events(struct corpus_run *r, const char *path)
{
	char	**v;
	size_t	  n, i;

	if ((v = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (*v[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		corpus_sample(r, v[i], strlen(v[i]),
		    (r->flags & CF_NOT_EVENTS) == 0);
	}
	corpus_lines_free(v);
	return 0;
}

/* Wazuh/OSSEC .ini: each "log N pass|fail = line" is a sample. */
static int
corpus_wazuh(struct corpus_run *r, const char *path)
{
	char	**v, *eq;
	size_t	  n, i;

	if ((v = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(v[i], "log ", 4) != 0 ||
		    (eq = strstr(v[i], " = ")) == NULL)
			continue;
		r->lineno = (unsigned int)i + 1;
		corpus_sample(r, eq + 3, strlen(eq + 3),
		    (r->flags & CF_NOT_EVENTS) == 0);
	}
	corpus_lines_free(v);
	return 0;
}

/* Zeek logs: header lines go to the parser but are not samples. */
static int
corpus_zeek(struct corpus_run *r, const char *path)
{
	char	**v;
	size_t	  n, i;

	if ((v = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		r->lineno = (unsigned int)i + 1;
		if (*v[i] == '#') {
			corpus_parse(r, v[i], strlen(v[i]));
			continue;
		}
		if (*v[i] != '\0')
			corpus_sample(r, v[i], strlen(v[i]), 1);
	}
	corpus_lines_free(v);
	return 0;
}

/*
 * fail2ban: "# failJSON: {...}" sets the expectation of the next log
 * line.  A line fail2ban must match is a sample that has to be an event;
 * a match:false line is parsed (state carries) but is not a sample:
 * fail2ban says only that it is no failure.  Fields are compared on
 * events.
 */
static int
corpus_failjson(struct corpus_run *r, const char *path)
{
	const struct corpus_map	 *m;
	json_error_t		  jerr;
	json_t			 *exp = NULL, *v;
	char			**lines, *p;
	size_t			  n, i;
	int			  rc = 0;

	if ((lines = corpus_lines(path, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		p = lines[i];
		r->lineno = (unsigned int)i + 1;
		if (*p == '#') {
			while (*p == '#')
				p++;
			if (*p == ' ')
				p++;
			if (strncmp(p, "failJSON:", 9) != 0)
				continue;
			json_decref(exp);
			if ((exp = json_loads(p + 9, 0, &jerr)) == NULL) {
				printf("FAIL %s:%zu: %s\n", path, i + 1,
				    jerr.text);
				rc = -1;
			}
			continue;
		}
		if (*p == '\0' || exp == NULL)
			continue;
		if (json_is_true(json_object_get(exp, "match"))) {
			if (!corpus_sample(r, p, strlen(p), 1))
				goto next;
		} else
			corpus_parse(r, p, strlen(p));
		if (r->rc == 1 && r->map != NULL) {
			for (m = r->map; m->key != NULL; m++)
				if ((v = json_object_get(exp, m->key)) != NULL)
					corpus_compare_json(r, m, v);
		}
next:
		json_decref(exp);
		exp = NULL;
	}
	json_decref(exp);
	corpus_lines_free(lines);
	return rc;
}

/* The JSON value at a dotted path of o ("source.ip"); NULL if absent. */
static json_t *
corpus_json_path(json_t *o, const char *path)
{
	char	 part[128];
	size_t	 n;
	json_t	*v;

	/* A flat key with dots ("source.ip") wins over nesting. */
	if ((v = json_object_get(o, path)) != NULL)
		return v;
	while (o != NULL && *path != '\0') {
		n = strcspn(path, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return o;
}

/*
 * Lines and their expected documents: Elastic's {"expected": [...]}
 * (element i for the i-th non-empty line) and wazuh-engine's bare array.
 */
static int
corpus_expected(struct corpus_run *r, const char *path, const char *jpath)
{
	const struct corpus_map	 *m;
	json_error_t		  jerr;
	json_t			 *doc, *exp, *e, *v, *orig;
	char			**lines;
	size_t			  nl, i, k = 0;
	int			  rc = 0;

	if ((doc = json_load_file(jpath, 0, &jerr)) == NULL) {
		printf("FAIL %s: %s\n", jpath, jerr.text);
		return -1;
	}
	exp = json_is_array(doc) ? doc : json_object_get(doc, "expected");
	if ((lines = corpus_lines(path, &nl)) == NULL) {
		json_decref(doc);
		return -1;
	}
	for (i = 0; i < nl; i++) {
		if (*lines[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		if ((e = json_array_get(exp, k++)) == NULL) {
			printf("FAIL %s:%zu: no expectation\n", path, i + 1);
			rc = -1;
			break;
		}
		orig = corpus_json_path(e, "event.original");
		if (json_is_string(orig) &&
		    strcmp(json_string_value(orig), lines[i]) != 0) {
			printf("FAIL %s:%zu: event.original differs\n", path,
			    i + 1);
			rc = -1;
			break;
		}
		if (!corpus_sample(r, lines[i], strlen(lines[i]),
		    (r->flags & CF_NOT_EVENTS) == 0) || r->map == NULL)
			continue;
		for (m = r->map; m->key != NULL; m++)
			if ((v = corpus_json_path(e, m->key)) != NULL)
				corpus_compare_json(r, m, v);
	}
	corpus_lines_free(lines);
	json_decref(doc);
	return rc;
}

/* Metron: raw lines, parsed objects (JSONL) keyed by original_string. */
static int
corpus_metron(struct corpus_run *r, const char *path, const char *ppath)
{
	const struct corpus_map	 *m;
	json_t			**parsed, *v, *o;
	char			**raw, **jl;
	size_t			  nr, nj, i, j;
	int			  rc = 0;

	if ((raw = corpus_lines(path, &nr)) == NULL)
		return -1;
	if ((jl = corpus_lines(ppath, &nj)) == NULL) {
		corpus_lines_free(raw);
		return -1;
	}
	if ((parsed = calloc(nj + 1, sizeof *parsed)) == NULL)
		fatal("calloc");
	for (j = 0; j < nj; j++)
		parsed[j] = json_loads(jl[j], 0, NULL);
	for (i = 0; i < nr; i++) {
		if (*raw[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		for (o = NULL, j = 0; j < nj && o == NULL; j++) {
			v = json_object_get(parsed[j], "original_string");
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), raw[i]) == 0)
				o = parsed[j];
		}
		/* Bro's original_string is rewritten: pair by position. */
		if (o == NULL && nr == nj)
			o = parsed[i];
		if (!corpus_sample(r, raw[i], strlen(raw[i]), 1))
			continue;
		if (o == NULL) {
			printf("FAIL %s:%zu: no parsed object\n", path, i + 1);
			rc = -1;
			continue;
		}
		if (r->map == NULL)
			continue;
		for (m = r->map; m->key != NULL; m++)
			if ((v = json_object_get(o, m->key)) != NULL)
				corpus_compare_json(r, m, v);
	}
	for (j = 0; j < nj; j++)
		json_decref(parsed[j]);
	free(parsed);
	corpus_lines_free(raw);
	corpus_lines_free(jl);
	return rc;
}

/*
 * loghub: the log and its _structured.csv ("LineId,Time,Program,...",
 * one row per line, in order).  Time and Program are compared.
 */
static int
corpus_loghub(struct corpus_run *r, const char *path, const char *cpath)
{
	const struct corpus_map	 *m;
	char			**raw, **csv, *p, *f[4];
	size_t			  nr, nc, i, k;

	if ((raw = corpus_lines(path, &nr)) == NULL)
		return -1;
	if ((csv = corpus_lines(cpath, &nc)) == NULL) {
		corpus_lines_free(raw);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		r->lineno = (unsigned int)i + 1;
		if (*raw[i] == '\0' ||
		    !corpus_sample(r, raw[i], strlen(raw[i]), 1) ||
		    r->rc != 1 || i + 1 >= nc || r->map == NULL)
			continue;
		/* LineId,Time,Program,...: the first three have no comma. */
		p = csv[i + 1];
		for (k = 0; k < 4; k++) {
			f[k] = p;
			if ((p = strchr(p, ',')) == NULL)
				break;
			*p++ = '\0';
		}
		if (k < 3)
			continue;
		for (m = r->map; m->key != NULL; m++) {
			if (strcmp(m->key, "Time") == 0)
				corpus_compare(r, m, f[1]);
			else if (strcmp(m->key, "Program") == 0)
				corpus_compare(r, m, f[2]);
		}
	}
	corpus_lines_free(raw);
	corpus_lines_free(csv);
	return 0;
}

/*
 * Read a Go string literal at *pp ("...", with \" and \\ escapes) into
 * buf; false if there is none.
 */
static bool
corpus_gostr(const char **pp, char *buf, size_t size)
{
	const char	*p = *pp;
	size_t		 n = 0;

	if (*p++ != '"')
		return false;
	while (*p != '\0' && *p != '"') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < size)
			buf[n++] = *p;
		p++;
	}
	if (*p != '"')
		return false;
	buf[n] = '\0';
	*pp = p + 1;
	return true;
}

/* Find the one *.log file in dir into buf; false if not exactly one. */
static bool
corpus_find_log(const char *dir, char *buf, size_t size)
{
	char	**names;
	size_t	  n, i;
	int	  found = 0;

	if ((names = corpus_list(dir, &n)) == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (corpus_endswith(names[i], ".log")) {
			corpus_path(buf, size, dir, "/", names[i]);
			found++;
		}
	corpus_lines_free(names);
	return found == 1;
}

/*
 * One assert line: 'results["STAGE"]["PARSER"][I]...' into stage,
 * parser, index and the rest; false if it is not one.
 */
static bool
corpus_cs_split(const char *a, char *stage, size_t ssz, char *parser,
    size_t psz, long *idx, const char **rest)
{
	const char	*p = a;
	char		*end;

	if (strncmp(p, "results[", 8) != 0)
		return false;
	p += 8;
	if (!corpus_gostr(&p, stage, ssz) || strncmp(p, "][", 2) != 0)
		return false;
	p += 2;
	if (!corpus_gostr(&p, parser, psz) || strncmp(p, "][", 2) != 0)
		return false;
	p += 2;
	errno = 0;
	*idx = strtol(p, &end, 10);
	if (end == p || *end != ']' || errno != 0 || *idx < 0)
		return false;
	*rest = end + 1;
	return true;
}

/* Free a crowdsec parser table. */
static void
corpus_cs_free(struct corpus_cs_parser *ps, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(ps[i].success);
		free(ps[i].line);
	}
	free(ps);
}

/*
 * The parsers of the test: those of stage s01-parse, else of s00-raw,
 * with their result counts and Success values.
 */
static struct corpus_cs_parser *
corpus_cs_parsers(char **asserts, size_t na, const char *stage, size_t *np)
{
	struct corpus_cs_parser	*ps = NULL;
	char			 st[64], pn[128], want[200];
	const char		*rest;
	long			 idx, len;
	size_t			 i, k, n = 0;

	for (i = 0; i < na; i++) {
		if (!corpus_cs_split(asserts[i], st, sizeof st, pn, sizeof pn,
		    &idx, &rest) || strcmp(st, stage) != 0)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(ps[k].name, pn) == 0)
				break;
		if (k == n) {
			if ((ps = realloc(ps, (n + 1) * sizeof *ps)) == NULL)
				fatal("realloc");
			memset(&ps[n], 0, sizeof ps[n]);
			snprintf(ps[n].name, sizeof ps[n].name, "%s", pn);
			ps[n].len = -1;
			ps[n].maxidx = -1;
			n++;
		}
		if (idx > ps[k].maxidx)
			ps[k].maxidx = idx;
	}
	for (k = 0; k < n; k++) {
		if ((ps[k].success = malloc((size_t)ps[k].maxidx + 1)) == NULL)
			fatal("malloc");
		memset(ps[k].success, -1, (size_t)ps[k].maxidx + 1);
		snprintf(want, sizeof want, "len(results[\"%s\"][\"%s\"]) == ",
		    stage, ps[k].name);
		for (i = 0; i < na; i++) {
			if (strncmp(asserts[i], want, strlen(want)) == 0) {
				len = strtol(asserts[i] + strlen(want), NULL,
				    10);
				ps[k].len = len;
			}
			if (!corpus_cs_split(asserts[i], st, sizeof st, pn,
			    sizeof pn, &idx, &rest) ||
			    strcmp(st, stage) != 0 ||
			    strcmp(pn, ps[k].name) != 0)
				continue;
			if (strcmp(rest, ".Success == true") == 0)
				ps[k].success[idx] = 1;
			else if (strcmp(rest, ".Success == false") == 0)
				ps[k].success[idx] = 0;
		}
	}
	*np = n;
	return ps;
}

/*
 * Align each parser's result indexes with lines.  A parser that saw
 * every line maps index i to the i-th sample line; a later parser that
 * saw fewer maps to the lines all earlier parsers failed on; any other
 * parser cannot be aligned and its assertions are not used.
 */
static void
corpus_cs_align(struct corpus_cs_parser *ps, size_t np, const long *samp,
    size_t ns, const char *where)
{
	size_t	k, j, i, c;
	long	count, cand;
	bool	failed;

	for (k = 0; k < np; k++) {
		count = ps[k].len >= 0 ? ps[k].len : ps[k].maxidx + 1;
		if ((ps[k].line = malloc(((size_t)ps[k].maxidx + 1) *
		    sizeof *ps[k].line)) == NULL)
			fatal("malloc");
		for (i = 0; i <= (size_t)ps[k].maxidx; i++)
			ps[k].line[i] = -1;
		if (count == (long)ns) {
			for (i = 0; i <= (size_t)ps[k].maxidx && i < ns; i++)
				ps[k].line[i] = samp[i];
			ps[k].aligned = true;
			continue;
		}
		/* The lines every earlier aligned parser failed on. */
		for (cand = 0, c = 0; c < ns; c++) {
			failed = k > 0;
			for (j = 0; j < k && failed; j++)
				if (!ps[j].aligned || c > (size_t)ps[j].maxidx ||
				    ps[j].success[c] != 0)
					failed = false;
			if (failed && cand <= ps[k].maxidx)
				ps[k].line[cand] = samp[c];
			cand += failed;
		}
		if (k > 0 && cand == count)
			ps[k].aligned = true;
		else
			printf("note: %s: results of %s (%ld) cannot be "
			    "matched with its %zu lines; not used\n", where,
			    ps[k].name, count, ns);
	}
}

/* Evaluate the field assertion rest of a line against the record. */
static void
corpus_cs_field(struct corpus_run *r, const char *rest)
{
	const struct corpus_map	*m;
	const char		*p = rest;
	char			 key[140], val[CORPUS_LINE_MAX];
	bool			 meta;

	if (strncmp(p, ".Evt.Parsed[", 12) == 0) {
		p += 12;
		meta = false;
	} else if (strncmp(p, ".Evt.Meta[", 10) == 0) {
		p += 10;
		meta = true;
	} else
		return;
	if (meta)
		memcpy(key, "meta:", 5);
	if (!corpus_gostr(&p, key + (meta ? 5 : 0), sizeof key - 5) ||
	    strncmp(p, "] == ", 5) != 0)
		return;
	p += 5;
	if (!corpus_gostr(&p, val, sizeof val))
		return;
	if ((m = corpus_map_find(r, key)) == NULL)
		return;
	/* A line upstream rejects by policy has no fields to compare. */
	if (r->rc == 1 || (r->flags & CF_NEG_POLICY) == 0)
		corpus_compare(r, m, val);
}

/*
 * crowdsec hubtest: the parser.assert lines of the test's parsers
 * (stage s01-parse, else s00-raw), results[...][i] aligned with lines.
 */
static int
corpus_crowdsec(struct corpus_run *r, const char *dir)
{
	struct corpus_cs_parser	 *ps;
	char			  logpath[CORPUS_PATH_MAX];
	char			  apath[CORPUS_PATH_MAX];
	char			  st[64], pn[128];
	char			**lines, **asserts;
	const char		 *stage = "s01-parse", *rest;
	long			 *samp, idx;
	size_t			  nl, na, np, ns = 0, i, k, a;
	int			  want;

	if (!corpus_find_log(dir, logpath, sizeof logpath)) {
		printf("FAIL %s: not exactly one .log file\n", dir);
		return -1;
	}
	corpus_path(apath, sizeof apath, dir, "/parser.assert", "");
	if ((lines = corpus_lines(logpath, &nl)) == NULL)
		return -1;
	if ((asserts = corpus_lines(apath, &na)) == NULL) {
		corpus_lines_free(lines);
		return -1;
	}
	if ((samp = calloc(nl + 1, sizeof *samp)) == NULL)
		fatal("calloc");
	for (i = 0; i < nl; i++)
		if (*lines[i] != '\0')
			samp[ns++] = (long)i;
	ps = corpus_cs_parsers(asserts, na, stage, &np);
	if (np == 0) {
		free(ps);
		stage = "s00-raw";
		ps = corpus_cs_parsers(asserts, na, stage, &np);
	}
	corpus_cs_align(ps, np, samp, ns, apath);

	for (i = 0; i < nl; i++) {
		if (*lines[i] == '\0')
			continue;
		r->lineno = (unsigned int)i + 1;
		/* An event if any parser took it; none if all refused. */
		want = -1;
		for (k = 0; k < np; k++) {
			if (!ps[k].aligned)
				continue;
			for (idx = 0; idx <= ps[k].maxidx; idx++) {
				if (ps[k].line[idx] != (long)i ||
				    ps[k].success[idx] < 0)
					continue;
				if (ps[k].success[idx] == 1)
					want = 1;
				else if (want < 0)
					want = 0;
			}
		}
		if (want == 0 && (r->flags & CF_NEG_POLICY))
			want = -1;
		if (want < 0) {
			/* No verdict upstream: parsed, fields still compared. */
			if (corpus_excluded(r, r->lineno, NULL) != NULL) {
				r->n.excluded++;
				continue;
			}
			corpus_parse(r, lines[i], strlen(lines[i]));
		} else if (!corpus_sample(r, lines[i], strlen(lines[i]),
		    want))
			continue;
		for (a = 0; a < na; a++) {
			if (!corpus_cs_split(asserts[a], st, sizeof st, pn,
			    sizeof pn, &idx, &rest) || strcmp(st, stage) != 0)
				continue;
			for (k = 0; k < np; k++)
				if (strcmp(ps[k].name, pn) == 0)
					break;
			if (k == np || !ps[k].aligned || idx > ps[k].maxidx ||
			    ps[k].line[idx] != (long)i)
				continue;
			corpus_cs_field(r, rest);
		}
	}
	corpus_cs_free(ps, np);
	free(samp);
	corpus_lines_free(lines);
	corpus_lines_free(asserts);
	return 0;
}

/* The postfix daemon a grok pattern name stands for; NULL if none. */
static const char *
corpus_grok_daemon(const char *pattern)
{
	static const struct {
		const char	*pattern;
		const char	*daemon;
	} daemons[] = {
		{ "POSTFIX_ANVIL", "anvil" }, { "POSTFIX_BOUNCE", "bounce" },
		{ "POSTFIX_CLEANUP", "cleanup" },
		{ "POSTFIX_DISCARD", "discard" },
		{ "POSTFIX_DNSBLOG", "dnsblog" }, { "POSTFIX_ERROR", "error" },
		{ "POSTFIX_LMTP", "lmtp" }, { "POSTFIX_LOCAL", "local" },
		{ "POSTFIX_MASTER", "master" }, { "POSTFIX_PICKUP", "pickup" },
		{ "POSTFIX_PIPE", "pipe" }, { "POSTFIX_POSTDROP", "postdrop" },
		{ "POSTFIX_POSTMAP", "postmap" },
		{ "POSTFIX_POSTSCREEN", "postscreen" },
		{ "POSTFIX_POSTSUPER", "postsuper" },
		{ "POSTFIX_QMGR", "qmgr" }, { "POSTFIX_RELAY", "relay" },
		{ "POSTFIX_SCACHE", "scache" },
		{ "POSTFIX_SCRIPT", "postfix-script" },
		{ "POSTFIX_SENDMAIL", "sendmail" },
		{ "POSTFIX_SMTPD", "smtpd" }, { "POSTFIX_SMTP", "smtp" },
		{ "POSTFIX_TLSMGR", "tlsmgr" },
		{ "POSTFIX_TLSPROXY", "tlsproxy" },
		{ "POSTFIX_TRIVIAL_REWRITE", "trivial-rewrite" },
		{ "POSTFIX_VERIFY", "verify" },
		{ "POSTFIX_VIRTUAL", "virtual" },
	};
	const char	*p;
	size_t		 i, n;

	if ((p = strstr(pattern, "%{")) == NULL)
		return NULL;
	p += 2;
	n = strcspn(p, "}");
	for (i = 0; i < sizeof daemons / sizeof daemons[0]; i++)
		if (strlen(daemons[i].pattern) == n &&
		    strncmp(p, daemons[i].pattern, n) == 0)
			return daemons[i].daemon;
	return NULL;
}

/* The scalar value of node n; NULL if it is not a scalar. */
static const char *
corpus_yaml_scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The value of key in the mapping node map; NULL if absent. */
static yaml_node_t *
corpus_yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*pair;
	const char		*k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = corpus_yaml_scalar(yaml_document_get_node(doc, pair->key));
		if (k != NULL && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/*
 * Value of key= inside a postfix key=value list ("to=<a@b>, relay=x,
 * status=sent") into buf, without the angle brackets; false if absent.
 */
static bool
corpus_kv(const char *kv, const char *key, char *buf, size_t size)
{
	const char	*p = kv, *v;
	size_t		 klen = strlen(key), n;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == kv || p[-1] == ' ' || p[-1] == ',') &&
		    p[klen] == '=') {
			v = p + klen + 1;
			n = strcspn(v, ", ");
			if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
				v++;
				n -= 2;
			}
			snprintf(buf, size, "%.*s", (int)n, v);
			return true;
		}
		p += klen;
	}
	return false;
}

/* Compare the expectations of one grok vector with the record of r. */
static void
corpus_grok_fields(struct corpus_run *r, yaml_document_t *doc,
    yaml_node_t *results)
{
	const struct corpus_map	*m;
	const char		*want, *kv;
	char			 buf[1024];

	kv = corpus_yaml_scalar(corpus_yaml_get(doc, results,
	    "postfix_keyvalue_data"));
	for (m = r->map; m != NULL && m->key != NULL; m++) {
		if (strncmp(m->key, "kv:", 3) == 0) {
			if (kv == NULL || !corpus_kv(kv, m->key + 3, buf,
			    sizeof buf))
				continue;
			want = buf;
		} else if ((want = corpus_yaml_scalar(corpus_yaml_get(doc,
		    results, m->key))) == NULL)
			continue;
		corpus_compare(r, m, want);
	}
}

/* One postfix-grok-patterns vector: the message behind a made header. */
static int
corpus_grok_file(struct corpus_run *r, const char *path)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root;
	const char	*pattern, *data, *daemon;
	char		 line[CORPUS_LINE_MAX];
	FILE		*f;
	int		 rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("FAIL %s: %s\n", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		printf("FAIL %s: YAML: %s\n", path, parser.problem != NULL ?
		    parser.problem : "error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	pattern = corpus_yaml_scalar(corpus_yaml_get(&doc, root, "pattern"));
	data = corpus_yaml_scalar(corpus_yaml_get(&doc, root, "data"));
	r->lineno = 1;
	if (pattern == NULL || data == NULL) {
		printf("FAIL %s: no pattern or data\n", path);
		rc = -1;
	} else if ((daemon = corpus_grok_daemon(pattern)) != NULL &&
	    strchr(data, '\n') == NULL) {
		snprintf(line, sizeof line,
		    "Nov 21 10:00:00 mx postfix/%s[123]: %s", daemon, data);
		if (corpus_sample(r, line, strlen(line), 1) && r->rc == 1)
			corpus_grok_fields(r, &doc,
			    corpus_yaml_get(&doc, root, "results"));
	} else if (corpus_excluded(r, 1, NULL) == NULL) {
		printf("note: %s/%s: a sub-pattern or multi-line vector, not "
		    "a whole line\n", r->prod->path, r->rel);
		r->n.excluded++;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* --- products ---------------------------------------------------------- */

/* The override of file rel of product p; NULL if none. */
static const struct corpus_override *
corpus_override(const struct corpus_product *p, const char *rel)
{
	const struct corpus_override	*o;

	if (p->overrides == NULL)
		return NULL;
	for (o = p->overrides; o->path != NULL; o++)
		if (strncmp(rel, o->path, strlen(o->path)) == 0)
			return o;
	return NULL;
}

enum corpus_kind {
	CK_RAW, CK_WAZUH, CK_CROWDSEC, CK_FAILJSON, CK_ELASTIC, CK_WENGINE,
	CK_METRON, CK_GROK, CK_LOGHUB, CK_ZEEK
};

/*
 * Run one file (or crowdsec test folder) rel of the product with the
 * reader kind; aux is the expectation file of the pair readers.
 */
static int
corpus_file(struct corpus_run *r, const char *rel, enum corpus_kind kind,
    const char *aux)
{
	const struct corpus_override	*o;
	const struct corpus_maps	*mp = r->prod->maps;
	struct parser_opts		 po;
	const char			*tzname = NULL, *now = NULL, *cause;
	char				 path[CORPUS_PATH_MAX];
	char				 apath[CORPUS_PATH_MAX];
	int32_t				 off;
	uint8_t				 digits;
	int				 rc = 0;

	snprintf(r->rel, sizeof r->rel, "%s", rel);
	corpus_path(path, sizeof path, r->dir, "/", rel);
	corpus_path(apath, sizeof apath, r->dir, "/", aux != NULL ? aux : "");
	r->map = NULL;
	r->flags = 0;
	if (mp != NULL) {
		switch (kind) {
		case CK_CROWDSEC:
			r->map = mp->crowdsec;
			break;
		case CK_ELASTIC:
			r->map = mp->elastic;
			break;
		case CK_WENGINE:
			r->map = mp->wengine;
			break;
		case CK_FAILJSON:
			r->map = mp->failjson;
			break;
		case CK_METRON:
			r->map = mp->metron;
			break;
		case CK_GROK:
			r->map = mp->grok;
			break;
		case CK_LOGHUB:
			r->map = mp->loghub;
			break;
		default:
			break;
		}
	}
	if (kind == CK_FAILJSON) {
		tzname = FAIL2BAN_TZ;
		now = FAIL2BAN_NOW;
	}
	if ((o = corpus_override(r->prod, rel)) != NULL) {
		r->flags = o->flags;
		if (o->map != NULL)
			r->map = o->map;
		if (o->tz != NULL)
			tzname = o->tz;
		if (o->flags & CF_SKIP)
			return 0;
	}
	memset(&po, 0, sizeof po);
	po.ref_us = CORPUS_REF_US;
	if (now != NULL && iso8601_parse(now, strlen(now), NULL, &po.ref_us,
	    &off, &digits) != strlen(now))
		fatalx("bad reference time %s", now);
	po.max_queue = 100000;
	r->tz = NULL;
	if (tzname != NULL && (r->tz = tz_open(tzname, &cause)) == NULL)
		fatalx("%s: %s", tzname, cause);
	po.tz = r->tz;
	if ((r->state = r->parser->state_new(&po)) == NULL)
		fatalx("parser state");
	switch (kind) {
	case CK_RAW:
		rc = corpus_events(r, path);
		break;
	case CK_WAZUH:
		rc = corpus_wazuh(r, path);
		break;
	case CK_CROWDSEC:
		rc = corpus_crowdsec(r, path);
		break;
	case CK_FAILJSON:
		rc = corpus_failjson(r, path);
		break;
	case CK_ELASTIC:
	case CK_WENGINE:
		rc = corpus_expected(r, path, apath);
		break;
	case CK_METRON:
		rc = corpus_metron(r, path, apath);
		break;
	case CK_LOGHUB:
		rc = corpus_loghub(r, path, apath);
		break;
	case CK_GROK:
		rc = corpus_grok_file(r, path);
		break;
	case CK_ZEEK:
		rc = corpus_zeek(r, path);
		break;
	}
	r->parser->state_free(r->state);
	r->state = NULL;
	tz_free(r->tz);
	r->tz = NULL;
	if (rc != 0)
		r->n.errors++;
	return rc;
}

/* True if name is an expectation or helper file read with its pair. */
static bool
corpus_aux(const char *name)
{
	return strcmp(name, "config.yaml") == 0 ||
	    strcmp(name, "scenario.assert") == 0 ||
	    strcmp(name, "parser.assert") == 0 ||
	    strcmp(name, "LICENSE") == 0 ||
	    strcmp(name, "README.md") == 0 ||
	    corpus_endswith(name, "-expected.json") ||
	    corpus_endswith(name, "_expected.json") ||
	    corpus_endswith(name, "_parsed") ||
	    corpus_endswith(name, "Parsed") ||
	    corpus_endswith(name, ".csv");
}

/*
 * The reader a file of source folder src calls for, and its pair file
 * (rel path into aux); -1 for files read with their pair or unknown.
 */
static int
corpus_kind(const char *dir, const char *src, const char *rel,
    const char *name, char *aux, size_t asz)
{
	char	p[CORPUS_PATH_MAX];
	size_t	n;

	aux[0] = '\0';
	if (strcmp(src, "wazuh") == 0 || strcmp(src, "ossec") == 0)
		return corpus_endswith(name, ".ini") ? CK_WAZUH : -1;
	if (strcmp(src, "fail2ban") == 0)
		return CK_FAILJSON;
	if (strcmp(src, "elastic-integrations") == 0) {
		corpus_path(aux, asz, rel, "-expected.json", "");
		corpus_path(p, sizeof p, dir, "/", aux);
		if (corpus_exists(p))
			return CK_ELASTIC;
		aux[0] = '\0';
		return CK_RAW;
	}
	if (strcmp(src, "elastic-beats") == 0)
		return CK_RAW;
	if (strcmp(src, "wazuh-engine") == 0) {
		if (!corpus_endswith(name, "_input.txt"))
			return -1;
		n = strlen(rel) - strlen("_input.txt");
		snprintf(aux, asz, "%.*s_expected.json", (int)n, rel);
		return CK_WENGINE;
	}
	if (strcmp(src, "metron") == 0) {
		n = strlen(rel);
		if (corpus_endswith(name, "_raw"))
			snprintf(aux, asz, "%.*s_parsed", (int)n - 4, rel);
		else if (corpus_endswith(name, "Output"))
			snprintf(aux, asz, "%.*sParsed", (int)n - 6, rel);
		corpus_path(p, sizeof p, dir, "/", aux);
		if (aux[0] != '\0' && corpus_exists(p))
			return CK_METRON;
		aux[0] = '\0';
		return CK_RAW;
	}
	if (strcmp(src, "loghub") == 0) {
		if (!corpus_endswith(name, ".log"))
			return -1;
		corpus_path(aux, asz, rel, "_structured.csv", "");
		return CK_LOGHUB;
	}
	if (strcmp(src, "rita") == 0)
		return CK_ZEEK;
	if (strcmp(src, "postfix-grok-patterns") == 0)
		return corpus_endswith(name, ".yaml") ? CK_GROK : -1;
	return -1;
}

/*
 * Every file under source folder rel (recursively), each with its
 * reader; crowdsec tests are folders.
 */
static void
corpus_walk(struct corpus_run *r, const char *src, const char *rel)
{
	char	**names, path[CORPUS_PATH_MAX], sub[CORPUS_PATH_MAX];
	char	  aux[CORPUS_PATH_MAX];
	size_t	  n, i;
	int	  kind;

	corpus_path(path, sizeof path, r->dir, "/", rel);
	if (strcmp(src, "crowdsec") == 0 && strchr(rel, '/') != NULL) {
		/* A test: parser.assert, or a scenario test's raw log. */
		corpus_path(sub, sizeof sub, path, "/parser.assert", "");
		if (corpus_exists(sub)) {
			corpus_file(r, rel, CK_CROWDSEC, NULL);
			return;
		}
		if ((names = corpus_list(path, &n)) == NULL)
			return;
		for (i = 0; i < n; i++) {
			corpus_path(sub, sizeof sub, rel, "/", names[i]);
			if (corpus_endswith(names[i], ".log"))
				corpus_file(r, sub, CK_RAW, NULL);
			else if (!corpus_aux(names[i]))
				printf("FAIL %s/%s: unknown corpus file\n",
				    r->prod->path, sub);
		}
		corpus_lines_free(names);
		return;
	}
	if ((names = corpus_list(path, &n)) == NULL)
		return;
	if (strcmp(src, "postfix-grok-patterns") == 0 ||
	    strcmp(src, "rita") == 0)
		printf("note: %s/%s: %zu files\n", r->prod->path, rel, n);
	for (i = 0; i < n; i++) {
		corpus_path(sub, sizeof sub, rel, "/", names[i]);
		corpus_path(path, sizeof path, r->dir, "/", sub);
		if (corpus_isdir(path)) {
			corpus_walk(r, src, sub);
			continue;
		}
		if (corpus_aux(names[i]))
			continue;
		kind = corpus_kind(r->dir, src, sub, names[i], aux, sizeof aux);
		if (kind >= 0)
			corpus_file(r, sub, kind, aux[0] != '\0' ? aux : NULL);
		else {
			printf("FAIL %s/%s: unknown corpus file\n",
			    r->prod->path, sub);
			r->n.errors++;
		}
	}
	corpus_lines_free(names);
}

/* Print the overrides and exclusions of a product with their reasons. */
static void
corpus_reasons(const struct corpus_product *p)
{
	const struct corpus_override	*o;
	const struct corpus_exclude	*e;

	for (o = p->overrides; o != NULL && o->path != NULL; o++)
		if (o->reason != NULL)
			printf("note: %s/%s: %s\n", p->path, o->path,
			    o->reason);
	for (e = p->excludes; e != NULL && e->path != NULL; e++) {
		printf("excluded: %s/%s", p->path, e->path);
		if (e->line != 0)
			printf(":%u", e->line);
		if (e->key != NULL)
			printf(" [%s]", e->key);
		printf(": %s\n", e->reason);
	}
}

/* Sample lines of a product nobody claims (a rough count, for the table). */
static unsigned int
corpus_count_lines(const char *path)
{
	char		**names, **v, sub[CORPUS_PATH_MAX];
	size_t		  n, i, nl, j;
	unsigned int	  count = 0;
	bool		  ini;

	if (corpus_isdir(path)) {
		if ((names = corpus_list(path, &n)) == NULL)
			return 0;
		for (i = 0; i < n; i++) {
			if (corpus_aux(names[i]))
				continue;
			corpus_path(sub, sizeof sub, path, "/", names[i]);
			count += corpus_count_lines(sub);
		}
		corpus_lines_free(names);
		return count;
	}
	if ((v = corpus_lines(path, &nl)) == NULL)
		return 0;
	ini = corpus_endswith(path, ".ini");
	for (j = 0; j < nl; j++)
		if (ini ? strncmp(v[j], "log ", 4) == 0 :
		    (*v[j] != '\0' && *v[j] != '#'))
			count++;
	corpus_lines_free(v);
	return count;
}

/* The row of product path; NULL if the table has none. */
static const struct corpus_product *
corpus_product(const char *path)
{
	const struct corpus_product	*p;

	for (p = corpus_products; p->path != NULL; p++)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

/* One row of the summary table. */
struct corpus_row {
	char			 path[128];
	const char		*parser;
	struct corpus_count	 n;
	const char		*status;
};

/* Percent of a of b (100 when b is 0). */
static double
corpus_pct(unsigned int a, unsigned int b)
{
	return b == 0 ? 100.0 : 100.0 * a / b;
}

/* Run every product of the corpora in argv[1]; 0 if all claimed pass. */
int
main(int argc, char **argv)
{
	const struct corpus_product	*prod;
	struct corpus_run		 r;
	struct corpus_row		*rows = NULL;
	char				**fams, **prods, **srcs;
	char				  path[CORPUS_PATH_MAX];
	size_t				  nf, np, ns, f, p, s, nrows = 0, i;
	int				  status = 0, claimed = 0;

	log_init("corpus_check", 0);
	if (argc != 2) {
		fprintf(stderr, "usage: corpus_check CORPORA-DIR\n");
		return 2;
	}
	if ((fams = corpus_list(argv[1], &nf)) == NULL) {
		fprintf(stderr, "corpus_check: %s: %s\n", argv[1],
		    strerror(errno));
		return 2;
	}
	for (f = 0; f < nf; f++) {
		corpus_path(path, sizeof path, argv[1], "/", fams[f]);
		if (!corpus_isdir(path) ||
		    (prods = corpus_list(path, &np)) == NULL)
			continue;
		for (p = 0; p < np; p++) {
			if ((rows = realloc(rows, (nrows + 1) *
			    sizeof *rows)) == NULL)
				fatal("realloc");
			memset(&rows[nrows], 0, sizeof rows[nrows]);
			snprintf(rows[nrows].path, sizeof rows[nrows].path,
			    "%s/%s", fams[f], prods[p]);
			memset(&r, 0, sizeof r);
			r.root = argv[1];
			corpus_path(r.dir, sizeof r.dir, argv[1], "/",
			    rows[nrows].path);
			prod = corpus_product(rows[nrows].path);
			if (prod == NULL || prod->parser == NULL ||
			    (r.parser = parser_lookup(prod->parser)) == NULL) {
				rows[nrows].parser = prod != NULL &&
				    prod->parser != NULL ? prod->parser : "-";
				rows[nrows].n.lines =
				    corpus_count_lines(r.dir);
				rows[nrows].status = "no parser";
				nrows++;
				continue;
			}
			claimed++;
			r.prod = prod;
			rows[nrows].parser = prod->parser;
			printf("== %s (parser %s)\n", prod->path,
			    prod->parser);
			corpus_reasons(prod);
			if ((srcs = corpus_list(r.dir, &ns)) != NULL) {
				for (s = 0; s < ns; s++)
					corpus_walk(&r, srcs[s], srcs[s]);
				corpus_lines_free(srcs);
			}
			rows[nrows].n = r.n;
			if (r.n.errors > 0 || r.n.lines == 0 ||
			    corpus_pct(r.n.parsed, r.n.lines) <
			    CORPUS_MIN_PARSED ||
			    corpus_pct(r.n.equal, r.n.compared) <
			    CORPUS_MIN_EQUAL) {
				rows[nrows].status = "FAIL";
				status = 1;
			} else
				rows[nrows].status = "ok";
			nrows++;
		}
		corpus_lines_free(prods);
	}
	corpus_lines_free(fams);

	printf("\n%-28s %-12s %6s %15s %8s %15s %5s  %s\n", "product", "parser",
	    "lines", "parsed", "fields", "equal", "excl", "result");
	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].status, "no parser") == 0) {
			printf("%-28s %-12s %6u %15s %8s %15s %5s  %s\n",
			    rows[i].path, rows[i].parser, rows[i].n.lines, "-",
			    "-", "-", "-", rows[i].status);
			continue;
		}
		printf("%-28s %-12s %6u %7u %6.1f%% %8u %7u %6.1f%% %5u  %s\n",
		    rows[i].path, rows[i].parser, rows[i].n.lines,
		    rows[i].n.parsed, corpus_pct(rows[i].n.parsed,
		    rows[i].n.lines), rows[i].n.compared, rows[i].n.equal,
		    corpus_pct(rows[i].n.equal, rows[i].n.compared),
		    rows[i].n.excluded, rows[i].status);
	}
	printf("\n%d products claimed; a claimed product needs %.0f%% of its "
	    "lines parsed as upstream classifies them and %.0f%% of the "
	    "fields compared equal\n", claimed, CORPUS_MIN_PARSED,
	    CORPUS_MIN_EQUAL);
	free(rows);
	return status;
}
