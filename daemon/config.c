/*
 * config.c: keibid's configuration file.  libyaml's event API feeds a small
 * tree of scalars, lists and mappings that keeps every node's mark; the tree
 * is then walked against one table of keys per mapping, filling a struct
 * config and collecting every error as "file:line:column: reason", sorted
 * by position.  Relative paths resolve against the file's own folder.
 *
 * This module must never print, never open or create the paths it names,
 * and never touch the running daemon: it builds a whole new config or
 * nothing.  The file may be hostile, so everything it can grow is bounded:
 * file size, nesting depth, scalar length, node count, sources, networks
 * and the number of errors kept.  Anchors, aliases and tags are refused,
 * so a config means exactly what it says where it says it.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "log.h"
#include "parser.h"
#include "tz.h"

#define CONFIG_MAX_FILE		(16 * 1024 * 1024)	/* bytes of YAML */
#define CONFIG_MAX_DEPTH	32		/* nested lists and mappings */
#define CONFIG_MAX_SCALAR	4096		/* bytes in one value */
#define CONFIG_MAX_NODES	(256 * 1024)	/* values in the file */
#define CONFIG_MAX_SOURCES	1024
#define CONFIG_MAX_OUTPUTS	64
#define CONFIG_MAX_CIDRS	65536		/* over all network lists */
#define CONFIG_MAX_ERRORS	100		/* kept; then loading stops */
#define CONFIG_MAX_NAME		64		/* source name length */
#define CONFIG_MIN_LINE		256
#define CONFIG_MAX_LINE		(16 * 1024 * 1024)
#define CONFIG_MIN_QUEUE	1
#define CONFIG_MAX_QUEUE	10000000
#define CONFIG_ESC		96		/* escaped text in a message */
#define CONFIG_MAX_SOCKET	108		/* sun_path of a unix socket */

enum cnode_type {
	CNODE_SCALAR,
	CNODE_SEQ,
	CNODE_MAP
};

/* One YAML node; a mapping holds key, value, key, value... in v. */
struct cnode {
	enum cnode_type	 type;
	unsigned int	 line;		/* 1-based */
	unsigned int	 col;		/* 1-based, in characters */
	bool		 bad;		/* reported while reading: ignore */
	bool		 null;		/* plain empty, "~" or "null" */
	char		*s;		/* scalar value, NUL-terminated */
	size_t		 len;
	struct cnode	**v;
	size_t		 n;
	size_t		 cap;
};

struct cfg_err {
	unsigned int	 line;		/* 0: no position */
	unsigned int	 col;
	size_t		 seq;		/* order of discovery, for ties */
	char		*msg;
};

struct cfg_load {
	const char	*name;		/* for messages */
	char		*base;		/* folder of relative paths */
	const char	*buf;		/* the text, to place reader errors */
	size_t		 len;
	struct config	*conf;

	struct cfg_err	*errs;
	size_t		 nerrs;
	size_t		 errcap;
	bool		 full;		/* CONFIG_MAX_ERRORS reached */

	size_t		 nodes;
	size_t		 ncidrs;
	bool		 cidrs_full;
};

struct cfg_key {
	const char	*name;
	bool		 required;
	void		 (*fn)(struct cfg_load *, struct cnode *, void *);
};

static void	cfg_state_dir(struct cfg_load *, struct cnode *, void *);
static void	cfg_rules(struct cfg_load *, struct cnode *, void *);
static void	cfg_timezone(struct cfg_load *, struct cnode *, void *);
static void	cfg_max_line(struct cfg_load *, struct cnode *, void *);
static void	cfg_max_queue(struct cfg_load *, struct cnode *, void *);
static void	cfg_networks(struct cfg_load *, struct cnode *, void *);
static void	cfg_sources(struct cfg_load *, struct cnode *, void *);
static void	cfg_evidence(struct cfg_load *, struct cnode *, void *);
static void	cfg_outputs(struct cfg_load *, struct cnode *, void *);
static void	cfg_net_internal(struct cfg_load *, struct cnode *, void *);
static void	cfg_net_mail(struct cfg_load *, struct cnode *, void *);
static void	cfg_net_proxies(struct cfg_load *, struct cnode *, void *);
static void	cfg_net_dns(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_name(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_path(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_parser(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_timezone(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_start_at(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_partial(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_rotate_wait(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_follow(struct cfg_load *, struct cnode *, void *);
static void	cfg_src_poll(struct cfg_load *, struct cnode *, void *);
static void	cfg_evidence_dir(struct cfg_load *, struct cnode *, void *);
static void	cfg_ev_seg_size(struct cfg_load *, struct cnode *, void *);
static void	cfg_ev_seg_age(struct cfg_load *, struct cnode *, void *);
static void	cfg_ev_level(struct cfg_load *, struct cnode *, void *);
static void	cfg_ev_retention(struct cfg_load *, struct cnode *, void *);
static void	cfg_ev_signing_key(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_type(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_path(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_name(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_url(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_flavour(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_secret(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_api_key(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_tlp(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_pap(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_queue(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_customer(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_sev_ids(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_asset_type(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_from(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_to(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_username(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_password(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_tls(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_ca_file(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_language(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_address(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_facility(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_app_name(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_timeout(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_max_age(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_backoff(struct cfg_load *, struct cnode *, void *);
static void	cfg_out_check(struct cfg_load *, struct cnode *,
		    struct config *, size_t);
static char	*cfg_strf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	cfg_incidents(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_idle(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_reopen(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_throttle(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_max_new(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_c2_hosts(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_worm_link(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_samples(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_max_open(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_commit(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_language(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_csirt(struct cfg_load *, struct cnode *, void *);
static void	cfg_inc_org(struct cfg_load *, struct cnode *, void *);
static void	cfg_geoip(struct cfg_load *, struct cnode *, void *);
static void	cfg_geoip_country(struct cfg_load *, struct cnode *, void *);
static void	cfg_geoip_asn(struct cfg_load *, struct cnode *, void *);
static void	cfg_geoip_city(struct cfg_load *, struct cnode *, void *);
static void	cfg_inventory(struct cfg_load *, struct cnode *, void *);
static void	cfg_control_socket(struct cfg_load *, struct cnode *, void *);
static void	cfg_control_group(struct cfg_load *, struct cnode *, void *);
static void	cfg_metrics(struct cfg_load *, struct cnode *, void *);
static void	cfg_metrics_listen(struct cfg_load *, struct cnode *, void *);

static const struct cfg_key cfg_top_keys[] = {
	{ .name = "state_dir", .required = true, .fn = cfg_state_dir },
	{ .name = "rules", .fn = cfg_rules },
	{ .name = "timezone", .fn = cfg_timezone },
	{ .name = "max_line_length", .fn = cfg_max_line },
	{ .name = "max_queue", .fn = cfg_max_queue },
	{ .name = "networks", .fn = cfg_networks },
	{ .name = "sources", .required = true, .fn = cfg_sources },
	{ .name = "evidence", .fn = cfg_evidence },
	{ .name = "outputs", .fn = cfg_outputs },
	{ .name = "incidents", .fn = cfg_incidents },
	{ .name = "geoip", .fn = cfg_geoip },
	{ .name = "inventory", .fn = cfg_inventory },
	{ .name = "control_socket", .fn = cfg_control_socket },
	{ .name = "control_group", .fn = cfg_control_group },
	{ .name = "metrics", .fn = cfg_metrics },
	{ .name = NULL }
};

static const struct cfg_key cfg_metrics_keys[] = {
	{ .name = "listen", .fn = cfg_metrics_listen },
	{ .name = NULL }
};

static const struct cfg_key cfg_network_keys[] = {
	{ .name = "internal", .fn = cfg_net_internal },
	{ .name = "mail_servers", .fn = cfg_net_mail },
	{ .name = "proxies", .fn = cfg_net_proxies },
	{ .name = "dns_servers", .fn = cfg_net_dns },
	{ .name = NULL }
};

static const struct cfg_key cfg_source_keys[] = {
	{ .name = "name", .required = true, .fn = cfg_src_name },
	{ .name = "path", .required = true, .fn = cfg_src_path },
	{ .name = "parser", .required = true, .fn = cfg_src_parser },
	{ .name = "timezone", .fn = cfg_src_timezone },
	{ .name = "start_at", .fn = cfg_src_start_at },
	{ .name = "partial_line_timeout", .fn = cfg_src_partial },
	{ .name = "rotate_wait", .fn = cfg_src_rotate_wait },
	{ .name = "follow", .fn = cfg_src_follow },
	{ .name = "poll_interval", .fn = cfg_src_poll },
	{ .name = NULL }
};

static const struct cfg_key cfg_evidence_keys[] = {
	{ .name = "dir", .fn = cfg_evidence_dir },
	{ .name = "segment_size", .fn = cfg_ev_seg_size },
	{ .name = "segment_age", .fn = cfg_ev_seg_age },
	{ .name = "level", .fn = cfg_ev_level },
	{ .name = "retention_days", .fn = cfg_ev_retention },
	{ .name = "signing_key", .fn = cfg_ev_signing_key },
	{ .name = NULL }
};

static const struct cfg_key cfg_output_keys[] = {
	{ .name = "type", .required = true, .fn = cfg_out_type },
	{ .name = "path", .fn = cfg_out_path },
	{ .name = "name", .fn = cfg_out_name },
	{ .name = "url", .fn = cfg_out_url },
	{ .name = "flavour", .fn = cfg_out_flavour },
	{ .name = "secret_file", .fn = cfg_out_secret },
	{ .name = "api_key_file", .fn = cfg_out_api_key },
	{ .name = "tlp", .fn = cfg_out_tlp },
	{ .name = "pap", .fn = cfg_out_pap },
	{ .name = "queue", .fn = cfg_out_queue },
	{ .name = "customer_id", .fn = cfg_out_customer },
	{ .name = "severity_ids", .fn = cfg_out_sev_ids },
	{ .name = "asset_type_id", .fn = cfg_out_asset_type },
	{ .name = "from", .fn = cfg_out_from },
	{ .name = "to", .fn = cfg_out_to },
	{ .name = "username", .fn = cfg_out_username },
	{ .name = "password_file", .fn = cfg_out_password },
	{ .name = "tls", .fn = cfg_out_tls },
	{ .name = "ca_file", .fn = cfg_out_ca_file },
	{ .name = "language", .fn = cfg_out_language },
	{ .name = "address", .fn = cfg_out_address },
	{ .name = "facility", .fn = cfg_out_facility },
	{ .name = "app_name", .fn = cfg_out_app_name },
	{ .name = "timeout", .fn = cfg_out_timeout },
	{ .name = "max_age", .fn = cfg_out_max_age },
	{ .name = "backoff_max", .fn = cfg_out_backoff },
	{ .name = NULL }
};

static const struct cfg_key cfg_incident_keys[] = {
	{ .name = "idle", .fn = cfg_inc_idle },
	{ .name = "reopen", .fn = cfg_inc_reopen },
	{ .name = "throttle", .fn = cfg_inc_throttle },
	{ .name = "max_new_per_minute", .fn = cfg_inc_max_new },
	{ .name = "c2_hosts", .fn = cfg_inc_c2_hosts },
	{ .name = "worm_link", .fn = cfg_inc_worm_link },
	{ .name = "samples", .fn = cfg_inc_samples },
	{ .name = "max_open", .fn = cfg_inc_max_open },
	{ .name = "commit_interval", .fn = cfg_inc_commit },
	{ .name = "language", .fn = cfg_inc_language },
	{ .name = "csirt_name", .fn = cfg_inc_csirt },
	{ .name = "organization", .fn = cfg_inc_org },
	{ .name = NULL }
};

static const struct cfg_key cfg_geoip_keys[] = {
	{ .name = "country", .fn = cfg_geoip_country },
	{ .name = "asn", .fn = cfg_geoip_asn },
	{ .name = "city", .fn = cfg_geoip_city },
	{ .name = NULL }
};

/* Output types this build knows. */
static const char *const cfg_output_types[] = {
	"jsonl", "alerts", "webhook", "email", "syslog", NULL
};

/* strdup that cannot fail (allocation failure is fatal). */
static char *
cfg_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

/* A malloc'd string of a, a '/' unless a ends in one, and b/blen. */
static char *
cfg_join(const char *a, const char *b, size_t blen)
{
	size_t	 alen = strlen(a), slash;
	char	*p;

	slash = alen > 0 && a[alen - 1] == '/' ? 0 : 1;
	if ((p = malloc(alen + slash + blen + 1)) == NULL)
		fatal("malloc");
	memcpy(p, a, alen);
	if (slash)
		p[alen] = '/';
	memcpy(p + alen + slash, b, blen);
	p[alen + slash + blen] = '\0';
	return p;
}

/* Drop leading "./" (and a lone ".") from a relative path in place. */
static void
cfg_strip_dot(const char **p, size_t *len)
{
	for (;;) {
		if (*len >= 2 && (*p)[0] == '.' && (*p)[1] == '/') {
			*p += 2;
			*len -= 2;
			while (*len > 0 && **p == '/') {
				(*p)++;
				(*len)--;
			}
		} else if (*len == 1 && (*p)[0] == '.') {
			*len = 0;
			return;
		} else
			return;
	}
}

/*
 * The folder of the config file, made absolute with the working folder
 * when the name is relative, so paths stay valid after a chdir.  malloc'd.
 */
static char *
cfg_basedir(const char *name)
{
	const char	*slash = strrchr(name, '/');
	const char	*dir = name;
	size_t		 dlen;
	char		 cwd[PATH_MAX];
	char		*p;

	if (slash == name)
		return cfg_strdup("/");
	dlen = slash != NULL ? (size_t)(slash - name) : 0;
	if (name[0] == '/') {
		if ((p = strndup(name, dlen)) == NULL)
			fatal("strndup");
		return p;
	}
	cfg_strip_dot(&dir, &dlen);
	if (getcwd(cwd, sizeof cwd) == NULL) {
		if (dlen == 0)
			return cfg_strdup(".");
		if ((p = strndup(dir, dlen)) == NULL)
			fatal("strndup");
		return p;
	}
	if (dlen == 0)
		return cfg_strdup(cwd);
	return cfg_join(cwd, dir, dlen);
}

/* Record an error at line:col (0:0 for none); stops at CONFIG_MAX_ERRORS. */
static void __attribute__((format(printf, 4, 0)))
cfg_verror(struct cfg_load *cl, unsigned int line, unsigned int col,
    const char *fmt, va_list ap)
{
	struct cfg_err	*e;
	va_list		 ap2;
	int		 n;

	if (cl->full)
		return;
	if (cl->nerrs == CONFIG_MAX_ERRORS) {
		cl->full = true;
		return;
	}
	if (cl->nerrs == cl->errcap) {
		cl->errcap = cl->errcap == 0 ? 8 : cl->errcap * 2;
		e = realloc(cl->errs, cl->errcap * sizeof *cl->errs);
		if (e == NULL)
			fatal("realloc");
		cl->errs = e;
	}
	e = &cl->errs[cl->nerrs];
	e->line = line;
	e->col = col;
	e->seq = cl->nerrs;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatalx("vsnprintf");
	if ((e->msg = malloc((size_t)n + 1)) == NULL)
		fatal("malloc");
	vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
	cl->nerrs++;
}

/* Record an error at line:col. */
static void __attribute__((format(printf, 4, 5)))
cfg_error(struct cfg_load *cl, unsigned int line, unsigned int col,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_verror(cl, line, col, fmt, ap);
	va_end(ap);
}

/* Record an error at node n. */
static void __attribute__((format(printf, 3, 4)))
cfg_error_at(struct cfg_load *cl, const struct cnode *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_verror(cl, n->line, n->col, fmt, ap);
	va_end(ap);
}

/* Order errors by position, then by discovery. */
static int
cfg_err_cmp(const void *a, const void *b)
{
	const struct cfg_err	*ea = a, *eb = b;

	if (ea->line != eb->line)
		return ea->line < eb->line ? -1 : 1;
	if (ea->col != eb->col)
		return ea->col < eb->col ? -1 : 1;
	if (ea->seq != eb->seq)
		return ea->seq < eb->seq ? -1 : 1;
	return 0;
}

/* The malloc'd cause: every error, one per line, first first. */
static char *
cfg_cause(struct cfg_load *cl)
{
	static const char	 more[] = "too many errors, stopped";
	struct cfg_err		*e;
	char			*out, head[64];
	size_t			 i, len = 0, nlen = strlen(cl->name), off = 0;
	int			 n;

	qsort(cl->errs, cl->nerrs, sizeof *cl->errs, cfg_err_cmp);
	for (i = 0; i < cl->nerrs; i++)
		len += nlen + sizeof head + strlen(cl->errs[i].msg) + 1;
	len += nlen + sizeof more + 3;
	if ((out = malloc(len)) == NULL)
		fatal("malloc");
	out[0] = '\0';
	for (i = 0; i < cl->nerrs; i++) {
		e = &cl->errs[i];
		if (e->line != 0)
			snprintf(head, sizeof head, ":%u:%u: ", e->line,
			    e->col);
		else
			snprintf(head, sizeof head, ": ");
		n = snprintf(out + off, len - off, "%s%s%s%s",
		    i > 0 ? "\n" : "", cl->name, head, e->msg);
		off += (size_t)n;
	}
	if (cl->full) {
		snprintf(out + off, len - off, "%s%s: %s", off > 0 ? "\n" : "",
		    cl->name, more);
	}
	return out;
}

/* Escape a node's text for a message into buf; returns buf. */
static const char *
cfg_esc(const struct cnode *n, char *buf, size_t size)
{
	return log_escape(n->s, n->len, buf, size);
}

/* What a node is, for "must be X, not Y" messages. */
static const char *
cfg_kind(const struct cnode *n)
{
	switch (n->type) {
	case CNODE_MAP:
		return "a mapping";
	case CNODE_SEQ:
		return "a list";
	case CNODE_SCALAR:
		break;
	}
	return n->null ? "empty" : "a string";
}

/* Clamp a libyaml mark coordinate to a 1-based unsigned int. */
static unsigned int
cfg_mark1(size_t v)
{
	return v >= UINT_MAX - 1 ? UINT_MAX : (unsigned int)v + 1;
}

/*
 * Line and column of a byte offset in the text, for reader errors, whose
 * libyaml mark is not set.  Columns count UTF-8 characters, as marks do.
 */
static void
cfg_offset_pos(const struct cfg_load *cl, size_t off, unsigned int *line,
    unsigned int *col)
{
	size_t	i;

	*line = *col = 1;
	if (off > cl->len)
		off = cl->len;
	for (i = 0; i < off; i++) {
		if (cl->buf[i] == '\n') {
			if (*line < UINT_MAX)
				(*line)++;
			*col = 1;
		} else if (((unsigned char)cl->buf[i] & 0xc0) != 0x80 &&
		    *col < UINT_MAX)
			(*col)++;
	}
}

/* Record libyaml's own error, with its mark and context. */
static void
cfg_error_yaml(struct cfg_load *cl, const yaml_parser_t *p)
{
	const char	*problem = p->problem != NULL ? p->problem : "bad YAML";
	unsigned int	 line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fatalx("libyaml: out of memory");
	case YAML_READER_ERROR:
		cfg_offset_pos(cl, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			cfg_error(cl, line, col, "%s (0x%x)", problem,
			    (unsigned int)p->problem_value);
		else
			cfg_error(cl, line, col, "%s", problem);
		return;
	default:
		break;
	}
	line = cfg_mark1(p->problem_mark.line);
	col = cfg_mark1(p->problem_mark.column);
	if (p->context != NULL) {
		cfg_error(cl, line, col, "%s (%s at line %u, column %u)",
		    problem, p->context, cfg_mark1(p->context_mark.line),
		    cfg_mark1(p->context_mark.column));
	} else
		cfg_error(cl, line, col, "%s", problem);
}

/* Free a node and everything below it; accepts NULL. */
static void
cfg_node_free(struct cnode *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		cfg_node_free(n->v[i]);
	free(n->v);
	free(n->s);
	free(n);
}

/* A new node at mark m; the caller has counted it against the bound. */
static struct cnode *
cfg_node_new(enum cnode_type type, const yaml_mark_t *m)
{
	struct cnode	*n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		fatal("calloc");
	n->type = type;
	n->line = cfg_mark1(m->line);
	n->col = cfg_mark1(m->column);
	return n;
}

/* Append kid to a list or mapping. */
static void
cfg_node_add(struct cnode *parent, struct cnode *kid)
{
	struct cnode	**v;
	size_t		  cap;

	if (parent->n == parent->cap) {
		cap = parent->cap == 0 ? 4 : parent->cap * 2;
		if ((v = realloc(parent->v, cap * sizeof *v)) == NULL)
			fatal("realloc");
		parent->v = v;
		parent->cap = cap;
	}
	parent->v[parent->n++] = kid;
}

/* Fill a scalar node from its event; refuses NUL and oversize values. */
static void
cfg_node_scalar(struct cfg_load *cl, struct cnode *n, const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;
	size_t		 len = ev->data.scalar.length;

	if (len > CONFIG_MAX_SCALAR) {
		cfg_error_at(cl, n, "value longer than %d bytes",
		    CONFIG_MAX_SCALAR);
		n->bad = true;
		return;
	}
	if (memchr(v, '\0', len) != NULL) {
		cfg_error_at(cl, n, "value contains a NUL byte");
		n->bad = true;
		return;
	}
	if ((n->s = malloc(len + 1)) == NULL)
		fatal("malloc");
	memcpy(n->s, v, len);
	n->s[len] = '\0';
	n->len = len;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
	    strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0))
		n->null = true;
}

/*
 * Read the YAML stream into a tree.  Returns the root (NULL for an empty
 * stream); *stop is set when the tree is unusable (a syntax error, a bound
 * hit, a second document), in which case only reading errors are kept.
 */
static struct cnode *
cfg_read(struct cfg_load *cl, bool *stop)
{
	yaml_parser_t		 p;
	yaml_event_t		 ev;
	struct cnode		*root = NULL, *n;
	struct cnode		*stack[CONFIG_MAX_DEPTH];
	const yaml_char_t	*anchor, *tag;
	size_t			 depth = 0, ndocs = 0;
	bool			 done = false, container;

	if (!yaml_parser_initialize(&p))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&p, (const unsigned char *)cl->buf,
	    cl->len);
	while (!done && !*stop) {
		if (!yaml_parser_parse(&p, &ev)) {
			cfg_error_yaml(cl, &p);
			*stop = true;
			break;
		}
		anchor = tag = NULL;
		container = false;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				cfg_error(cl, cfg_mark1(ev.start_mark.line),
				    cfg_mark1(ev.start_mark.column),
				    "only one YAML document is allowed");
				*stop = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_ALIAS_EVENT:
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			container = ev.type == YAML_SEQUENCE_START_EVENT ||
			    ev.type == YAML_MAPPING_START_EVENT;
			if (++cl->nodes > CONFIG_MAX_NODES) {
				cfg_error(cl, cfg_mark1(ev.start_mark.line),
				    cfg_mark1(ev.start_mark.column),
				    "more than %d values in the file",
				    CONFIG_MAX_NODES);
				*stop = true;
				break;
			}
			if (ev.type == YAML_SEQUENCE_START_EVENT) {
				n = cfg_node_new(CNODE_SEQ, &ev.start_mark);
				anchor = ev.data.sequence_start.anchor;
				tag = ev.data.sequence_start.tag;
			} else if (ev.type == YAML_MAPPING_START_EVENT) {
				n = cfg_node_new(CNODE_MAP, &ev.start_mark);
				anchor = ev.data.mapping_start.anchor;
				tag = ev.data.mapping_start.tag;
			} else
				n = cfg_node_new(CNODE_SCALAR, &ev.start_mark);
			if (ev.type == YAML_ALIAS_EVENT) {
				cfg_error_at(cl, n,
				    "aliases are not supported");
				n->bad = true;
			} else if (ev.type == YAML_SCALAR_EVENT) {
				anchor = ev.data.scalar.anchor;
				tag = ev.data.scalar.tag;
				cfg_node_scalar(cl, n, &ev);
			}
			if (anchor != NULL) {
				cfg_error_at(cl, n, "anchors are not supported "
				    "(aliases are not supported)");
			}
			if (tag != NULL)
				cfg_error_at(cl, n, "tags are not supported");
			/*
			 * Too deep: stop reading rather than skip, as libyaml
			 * takes time quadratic in the depth of flow nesting.
			 */
			if (container && depth == CONFIG_MAX_DEPTH) {
				cfg_error_at(cl, n, "nested deeper than %d "
				    "levels", CONFIG_MAX_DEPTH);
				n->type = CNODE_SCALAR;
				n->bad = true;
				container = false;
				*stop = true;
			}
			if (depth == 0) {
				/* One root: a second document stops first. */
				cfg_node_free(root);
				root = n;
			} else
				cfg_node_add(stack[depth - 1], n);
			if (container)
				stack[depth++] = n;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (cl->full)
			*stop = true;
	}
	yaml_parser_delete(&p);
	return root;
}

/* ASCII lower case, whatever the locale. */
static char
cfg_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Case-blind optimal string alignment distance of a and b, or max + 1 if
 * it is larger than max.  Words are short (at most 64 bytes).
 */
static size_t
cfg_distance(const char *a, size_t alen, const char *b, size_t blen,
    size_t max)
{
	size_t	d[CONFIG_MAX_NAME + 1][CONFIG_MAX_NAME + 1];
	size_t	i, j, c, v;

	if (alen > CONFIG_MAX_NAME || blen > CONFIG_MAX_NAME)
		return max + 1;
	if ((alen > blen ? alen - blen : blen - alen) > max)
		return max + 1;
	for (i = 0; i <= alen; i++)
		d[i][0] = i;
	for (j = 0; j <= blen; j++)
		d[0][j] = j;
	for (i = 1; i <= alen; i++) {
		for (j = 1; j <= blen; j++) {
			c = cfg_lower(a[i - 1]) != cfg_lower(b[j - 1]);
			v = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    cfg_lower(a[i - 1]) == cfg_lower(b[j - 2]) &&
			    cfg_lower(a[i - 2]) == cfg_lower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[alen][blen] > max ? max + 1 : d[alen][blen];
}

/*
 * Weigh cand as the "did you mean" for w, keeping the best in *best:
 * a spelling within two edits beats a prefix either way, the first in
 * table order wins ties.
 */
static void
cfg_suggest_try(const char *w, size_t wlen, const char *cand,
    const char **best, size_t *bestd)
{
	size_t	clen = strlen(cand), d;

	d = cfg_distance(w, wlen, cand, clen, 2);
	if (d > 2) {
		if (wlen >= 2 && wlen < clen && strncasecmp(w, cand, wlen) == 0)
			d = 3;
		else if (clen >= 3 && clen < wlen &&
		    strncasecmp(w, cand, clen) == 0)
			d = 3;
		else
			return;
	}
	if (*best == NULL || d < *bestd) {
		*best = cand;
		*bestd = d;
	}
}

/* The known key closest to key node k, or NULL if none is close. */
static const char *
cfg_suggest_key(const struct cnode *k, const struct cfg_key *keys)
{
	const char	*best = NULL;
	size_t		 bestd = 0, i;

	for (i = 0; keys[i].name != NULL; i++)
		cfg_suggest_try(k->s, k->len, keys[i].name, &best, &bestd);
	return best;
}

struct cfg_keyref {
	const struct cnode	*k;
	size_t			 i;	/* pair index */
};

/* Order key references by text, then by place in the mapping. */
static int
cfg_keyref_cmp(const void *a, const void *b)
{
	const struct cfg_keyref	*ra = a, *rb = b;
	int			 c;

	if ((c = strcmp(ra->k->s, rb->k->s)) != 0)
		return c;
	if (ra->i != rb->i)
		return ra->i < rb->i ? -1 : 1;
	return 0;
}

/*
 * Mark the later copies of each key of mapping m in dup (one flag per
 * pair) and report them.  O(n log n), so a mapping of many keys is cheap.
 */
static void
cfg_map_dups(struct cfg_load *cl, const struct cnode *m, bool *dup)
{
	struct cfg_keyref	*refs;
	const struct cnode	*k, *first;
	char			 e[CONFIG_ESC];
	size_t			 i, npairs = m->n / 2, nrefs = 0, f = 0;

	if ((refs = calloc(npairs, sizeof *refs)) == NULL)
		fatal("calloc");
	for (i = 0; i < npairs; i++) {
		k = m->v[2 * i];
		if (k->type == CNODE_SCALAR && !k->bad) {
			refs[nrefs].k = k;
			refs[nrefs++].i = i;
		}
	}
	qsort(refs, nrefs, sizeof *refs, cfg_keyref_cmp);
	for (i = 1; i < nrefs; i++) {
		if (strcmp(refs[i].k->s, refs[f].k->s) != 0) {
			f = i;
			continue;
		}
		first = refs[f].k;
		dup[refs[i].i] = true;
		cfg_error_at(cl, refs[i].k, "duplicate key '%s' (first at "
		    "line %u, column %u)", cfg_esc(refs[i].k, e, sizeof e),
		    first->line, first->col);
	}
	free(refs);
}

/*
 * Walk mapping m against the keys table, calling each key's handler with
 * arg.  what names the mapping in messages (NULL: the top level).  Reports
 * a non-mapping, unknown, duplicate, non-string and missing required keys.
 */
static void
cfg_map_walk(struct cfg_load *cl, struct cnode *m, const struct cfg_key *keys,
    const char *what, void *arg)
{
	struct cnode	*k, *v;
	const char	*sugg;
	char		 e[CONFIG_ESC];
	bool		*dup = NULL;
	uint32_t	 seen = 0;
	size_t		 i, j, npairs;

	if (m->bad)
		return;
	if (m->type != CNODE_MAP) {
		if (what == NULL) {
			cfg_error_at(cl, m, "the configuration must be a "
			    "mapping of keys, not %s", cfg_kind(m));
		} else {
			cfg_error_at(cl, m, "%s must be a mapping, not %s",
			    what, cfg_kind(m));
		}
		return;
	}
	npairs = m->n / 2;
	if (npairs > 1) {
		if ((dup = calloc(npairs, sizeof *dup)) == NULL)
			fatal("calloc");
		cfg_map_dups(cl, m, dup);
	}
	for (i = 0; i < npairs; i++) {
		k = m->v[2 * i];
		v = m->v[2 * i + 1];
		if (k->bad || (dup != NULL && dup[i]))
			continue;
		if (k->type != CNODE_SCALAR) {
			cfg_error_at(cl, k, "keys must be strings, not %s",
			    cfg_kind(k));
			continue;
		}
		for (j = 0; keys[j].name != NULL; j++) {
			if (strcmp(keys[j].name, k->s) == 0)
				break;
		}
		if (keys[j].name == NULL) {
			sugg = cfg_suggest_key(k, keys);
			cfg_error_at(cl, k, "unknown key '%s'%s%s%s%s%s",
			    cfg_esc(k, e, sizeof e),
			    what != NULL ? " in " : "",
			    what != NULL ? what : "",
			    sugg != NULL ? "; did you mean '" : "",
			    sugg != NULL ? sugg : "", sugg != NULL ? "'?" : "");
			continue;
		}
		seen |= 1U << j;
		if (!v->bad)
			keys[j].fn(cl, v, arg);
	}
	for (j = 0; keys[j].name != NULL; j++) {
		if (!keys[j].required || (seen & (1U << j)))
			continue;
		cfg_error_at(cl, m, "missing required key '%s'%s%s",
		    keys[j].name, what != NULL ? " in " : "",
		    what != NULL ? what : "");
	}
	free(dup);
}

/*
 * The text of scalar n, or NULL after reporting why it is not a usable
 * value; kind says what was expected ("a path").
 */
static const char *
cfg_scalar(struct cfg_load *cl, const struct cnode *n, const char *what,
    const char *kind)
{
	size_t	i;

	if (n->type != CNODE_SCALAR) {
		cfg_error_at(cl, n, "%s must be %s, not %s", what, kind,
		    cfg_kind(n));
		return NULL;
	}
	if (n->null || n->len == 0) {
		cfg_error_at(cl, n, "%s must not be empty", what);
		return NULL;
	}
	for (i = 0; i < n->len; i++) {
		if ((unsigned char)n->s[i] < 0x20 || n->s[i] == 0x7f) {
			cfg_error_at(cl, n, "%s contains a control character",
			    what);
			return NULL;
		}
	}
	return n->s;
}

/* A malloc'd absolute path: s itself, or s under the config's folder. */
static char *
cfg_resolve(struct cfg_load *cl, const char *s, size_t len)
{
	if (s[0] == '/')
		return cfg_strdup(s);
	cfg_strip_dot(&s, &len);
	if (len == 0)
		return cfg_strdup(cl->base);
	return cfg_join(cl->base, s, len);
}

/* Set *out to the resolved path of n, reporting a bad value. */
static void
cfg_path_set(struct cfg_load *cl, const struct cnode *n, const char *what,
    char **out)
{
	char	*p;

	if (cfg_scalar(cl, n, what, "a path") == NULL)
		return;
	p = cfg_resolve(cl, n->s, n->len);
	if (strlen(p) >= PATH_MAX) {
		cfg_error_at(cl, n, "%s is longer than %d bytes once resolved",
		    what, PATH_MAX - 1);
		free(p);
		return;
	}
	free(*out);
	*out = p;
}

/* Set *out to the time zone n names, checked with tz_open(). */
static void
cfg_tz_set(struct cfg_load *cl, const struct cnode *n, const char *what,
    char **out)
{
	struct tz	*tz;
	const char	*cause = "unknown time zone";
	char		 e[CONFIG_ESC];

	if (cfg_scalar(cl, n, what, "a time zone") == NULL)
		return;
	if ((tz = tz_open(n->s, &cause)) == NULL) {
		cfg_error_at(cl, n, "bad %s '%s': %s", what,
		    cfg_esc(n, e, sizeof e), cause);
		return;
	}
	tz_free(tz);
	free(*out);
	*out = cfg_strdup(n->s);
}

/* Set *out to the whole number n holds, within min..max. */
static void
cfg_number_set(struct cfg_load *cl, const struct cnode *n, const char *what,
    unsigned long long min, unsigned long long max, size_t *out)
{
	unsigned long long	 v = 0;
	char			 e[CONFIG_ESC];
	size_t			 i;

	if (cfg_scalar(cl, n, what, "a number") == NULL)
		return;
	for (i = 0; i < n->len; i++) {
		if (n->s[i] < '0' || n->s[i] > '9') {
			cfg_error_at(cl, n, "%s must be a whole number, not "
			    "'%s'", what, cfg_esc(n, e, sizeof e));
			return;
		}
		if (v <= max)
			v = v * 10 + (unsigned long long)(n->s[i] - '0');
	}
	if (v < min || v > max) {
		cfg_error_at(cl, n, "%s must be from %llu to %llu", what, min,
		    max);
		return;
	}
	*out = (size_t)v;
}

/* state_dir: where positions, incidents and the spool live. */
static void
cfg_state_dir(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_path_set(cl, n, "state_dir", &conf->state_dir);
}

/* rules: one path or a list of them. */
static void
cfg_rules(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;
	char		*p;
	size_t		 i, count;

	if (n->type == CNODE_MAP) {
		cfg_error_at(cl, n, "rules must be a path or a list of paths, "
		    "not a mapping");
		return;
	}
	count = n->type == CNODE_SEQ ? n->n : 1;
	if ((conf->rules = calloc(count > 0 ? count : 1,
	    sizeof *conf->rules)) == NULL)
		fatal("calloc");
	if (n->type == CNODE_SCALAR) {
		p = NULL;
		cfg_path_set(cl, n, "rules", &p);
		if (p != NULL)
			conf->rules[conf->nrules++] = p;
		return;
	}
	for (i = 0; i < n->n; i++) {
		if (n->v[i]->bad)
			continue;
		p = NULL;
		cfg_path_set(cl, n->v[i], "rules entry", &p);
		if (p != NULL)
			conf->rules[conf->nrules++] = p;
	}
}

/* timezone: the zone of year-less syslog times. */
static void
cfg_timezone(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_tz_set(cl, n, "timezone", &conf->timezone);
}

/* max_line_length: bytes of one line before it is cut. */
static void
cfg_max_line(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_number_set(cl, n, "max_line_length", CONFIG_MIN_LINE,
	    CONFIG_MAX_LINE, &conf->max_line);
}

/* max_queue: bound of the postfix queue-id table. */
static void
cfg_max_queue(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_number_set(cl, n, "max_queue", CONFIG_MIN_QUEUE, CONFIG_MAX_QUEUE,
	    &conf->max_queue);
}

/* control_socket: keibictl's unix socket (sun_path is 108 bytes). */
static void
cfg_control_socket(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;
	char		*p = NULL;

	cfg_path_set(cl, n, "control_socket", &p);
	if (p == NULL)
		return;
	if (strlen(p) >= CONFIG_MAX_SOCKET) {
		cfg_error_at(cl, n, "control_socket is longer than %d bytes "
		    "once resolved", CONFIG_MAX_SOCKET - 1);
		free(p);
		return;
	}
	free(conf->control_socket);
	conf->control_socket = p;
}

/* control_group: the group whose members may use the control socket. */
static void
cfg_control_group(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;
	char		 e[CONFIG_ESC];
	size_t		 i;

	if (cfg_scalar(cl, n, "control_group", "a group name") == NULL)
		return;
	for (i = 0; i < n->len; i++) {
		if (n->s[i] == ':' || n->s[i] == '/' || n->s[i] == ' ' ||
		    n->len > 64) {
			cfg_error_at(cl, n, "control_group '%s' is not a group "
			    "name", cfg_esc(n, e, sizeof e));
			return;
		}
	}
	free(conf->control_group);
	conf->control_group = cfg_strdup(n->s);
}

/* metrics: a mapping; without it there is no metrics listener. */
static void
cfg_metrics(struct cfg_load *cl, struct cnode *n, void *arg)
{
	if (n->type == CNODE_SCALAR && n->null)
		return;
	cfg_map_walk(cl, n, cfg_metrics_keys, "metrics", arg);
}

/*
 * metrics.listen: "127.0.0.1:9120" or "[::1]:9120".  Only loopback
 * addresses: the listener answers anyone who can reach it.
 */
static void
cfg_metrics_listen(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config		*conf = arg;
	struct netaddr		 a;
	const char		*s, *colon, *host;
	char			 e[CONFIG_ESC];
	size_t			 hlen, port = 0, i;

	if ((s = cfg_scalar(cl, n, "listen", "an address:port")) == NULL)
		return;
	if ((colon = strrchr(s, ':')) == NULL || colon[1] == '\0')
		goto bad;
	host = s;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	} else if (memchr(host, ':', hlen) != NULL)
		goto bad;	/* IPv6 needs brackets */
	for (i = 1; colon[i] != '\0'; i++) {
		if (colon[i] < '0' || colon[i] > '9' || i > 5)
			goto bad;
		port = port * 10 + (size_t)(colon[i] - '0');
	}
	if (port == 0 || port > 65535 || netaddr_parse(&a, host, hlen) != 0)
		goto bad;
	if (!(a.family == 4 && a.a[0] == 127) && !(a.family == 6 &&
	    memcmp(a.a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)) {
		cfg_error_at(cl, n, "metrics listen address '%s' is not a "
		    "loopback address (127.0.0.0/8 or [::1])",
		    cfg_esc(n, e, sizeof e));
		return;
	}
	free(conf->metrics_addr);
	if ((conf->metrics_addr = strndup(host, hlen)) == NULL)
		fatal("strndup");
	conf->metrics_port = port;
	return;
bad:
	cfg_error_at(cl, n, "metrics listen must be address:port such as "
	    "127.0.0.1:9120 or [::1]:9120, not '%s'", cfg_esc(n, e, sizeof e));
}

/* networks: a mapping of named CIDR lists. */
static void
cfg_networks(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_map_walk(cl, n, cfg_network_keys, "networks", arg);
}

/* Add the network scalar n names to set; bounded over all lists. */
static void
cfg_cidr_one(struct cfg_load *cl, const struct cnode *n, struct cidr_set *set,
    const char *what)
{
	struct cidr	 c;
	const char	*cause = "bad network";
	char		 e[CONFIG_ESC];

	if (cfg_scalar(cl, n, what, "a network") == NULL)
		return;
	if (cl->cidrs_full)
		return;
	if (++cl->ncidrs > CONFIG_MAX_CIDRS) {
		cfg_error_at(cl, n, "more than %d networks in all",
		    CONFIG_MAX_CIDRS);
		cl->cidrs_full = true;
		return;
	}
	if (cidr_parse(&c, n->s, n->len, &cause) != 0) {
		cfg_error_at(cl, n, "bad network '%s' in %s: %s",
		    cfg_esc(n, e, sizeof e), what, cause);
		return;
	}
	cidr_set_add(set, &c);
}

/* A network list: one CIDR, a list of them, or nothing. */
static void
cfg_cidrs(struct cfg_load *cl, const struct cnode *n, struct cidr_set *set,
    const char *what)
{
	size_t	i;

	switch (n->type) {
	case CNODE_MAP:
		cfg_error_at(cl, n, "%s must be a list of networks, not a "
		    "mapping", what);
		break;
	case CNODE_SCALAR:
		if (!n->null)
			cfg_cidr_one(cl, n, set, what);
		break;
	case CNODE_SEQ:
		for (i = 0; i < n->n; i++) {
			if (!n->v[i]->bad)
				cfg_cidr_one(cl, n->v[i], set, what);
		}
		break;
	}
}

/* networks.internal: our own address space. */
static void
cfg_net_internal(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_cidrs(cl, n, &conf->internal, "internal");
}

/* networks.mail_servers: hosts that may speak SMTP outward. */
static void
cfg_net_mail(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_cidrs(cl, n, &conf->mail_servers, "mail_servers");
}

/* networks.proxies: forward proxies. */
static void
cfg_net_proxies(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_cidrs(cl, n, &conf->proxies, "proxies");
}

/* networks.dns_servers: resolvers. */
static void
cfg_net_dns(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_cidrs(cl, n, &conf->dns_servers, "dns_servers");
}

/* sources: a non-empty list of source mappings, at most the bound. */
static void
cfg_sources(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config		*conf = arg;
	struct source_conf	*src;
	size_t			 i, count;

	if (n->type == CNODE_SCALAR && n->null) {
		cfg_error_at(cl, n, "sources must list at least one source");
		return;
	}
	if (n->type != CNODE_SEQ) {
		cfg_error_at(cl, n, "sources must be a list, not %s",
		    cfg_kind(n));
		return;
	}
	if (n->n == 0) {
		cfg_error_at(cl, n, "sources must list at least one source");
		return;
	}
	count = n->n < CONFIG_MAX_SOURCES ? n->n : CONFIG_MAX_SOURCES;
	if ((conf->sources = calloc(count, sizeof *conf->sources)) == NULL)
		fatal("calloc");
	for (i = 0; i < count; i++) {
		src = &conf->sources[i];
		conf->nsources = i + 1;
		src->line = (int)(n->v[i]->line > INT_MAX ? INT_MAX :
		    n->v[i]->line);
		src->rotate_wait = CONFIG_ROTATE_WAIT_DEFAULT;
		src->poll_interval = CONFIG_POLL_INTERVAL_DEFAULT;
		cfg_map_walk(cl, n->v[i], cfg_source_keys, "source", src);
	}
	if (n->n > CONFIG_MAX_SOURCES) {
		cfg_error_at(cl, n->v[CONFIG_MAX_SOURCES],
		    "more than %d sources", CONFIG_MAX_SOURCES);
	}
}

/* True if s is a usable source name: it becomes a path component. */
static bool
cfg_source_name_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > CONFIG_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-')
			continue;
		return false;
	}
	return true;
}

/* sources[].name: unique, and safe as a file name. */
static void
cfg_src_name(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;
	struct config		*conf = cl->conf;
	char			 e[CONFIG_ESC];
	size_t			 i, idx = (size_t)(src - conf->sources);

	if (cfg_scalar(cl, n, "name", "a name") == NULL)
		return;
	if (!cfg_source_name_ok(n->s, n->len)) {
		cfg_error_at(cl, n, "source name '%s' must be 1 to %d of "
		    "A-Z a-z 0-9 _ . -", cfg_esc(n, e, sizeof e),
		    CONFIG_MAX_NAME);
		return;
	}
	if (strcmp(n->s, ".") == 0 || strcmp(n->s, "..") == 0) {
		cfg_error_at(cl, n, "source name must not be '.' or '..'");
		return;
	}
	for (i = 0; i < idx; i++) {
		if (conf->sources[i].name != NULL &&
		    strcmp(conf->sources[i].name, n->s) == 0) {
			cfg_error_at(cl, n, "duplicate source name '%s' (first "
			    "at line %d)", n->s, conf->sources[i].line);
			return;
		}
	}
	src->name = cfg_strdup(n->s);
}

/* sources[].path: the file to follow. */
static void
cfg_src_path(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;

	cfg_path_set(cl, n, "path", &src->path);
}

/* sources[].parser: a registered parser or "auto". */
static void
cfg_src_parser(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;
	const char		*best = NULL;
	char			 e[CONFIG_ESC], known[256];
	size_t			 bestd = 0, i, off;

	if (cfg_scalar(cl, n, "parser", "a parser name") == NULL)
		return;
	if (strcmp(n->s, "auto") == 0 || parser_lookup(n->s) != NULL) {
		src->parser = cfg_strdup(n->s);
		return;
	}
	cfg_suggest_try(n->s, n->len, "auto", &best, &bestd);
	for (i = 0; parser_registry[i] != NULL; i++) {
		cfg_suggest_try(n->s, n->len, parser_registry[i]->name, &best,
		    &bestd);
	}
	if (best != NULL) {
		cfg_error_at(cl, n, "unknown parser '%s'; did you mean '%s'?",
		    cfg_esc(n, e, sizeof e), best);
		return;
	}
	off = (size_t)snprintf(known, sizeof known, "auto");
	for (i = 0; parser_registry[i] != NULL && off < sizeof known; i++) {
		off += (size_t)snprintf(known + off, sizeof known - off,
		    ", %s", parser_registry[i]->name);
	}
	cfg_error_at(cl, n, "unknown parser '%s' (known: %s)",
	    cfg_esc(n, e, sizeof e), known);
}

/* sources[].timezone: overrides the global zone for this source. */
static void
cfg_src_timezone(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;

	cfg_tz_set(cl, n, "timezone", &src->timezone);
}

/* sources[].start_at: where a file never seen before is first read. */
static void
cfg_src_start_at(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;
	char			 e[CONFIG_ESC];

	if (cfg_scalar(cl, n, "start_at", "'beginning' or 'end'") == NULL)
		return;
	if (strcmp(n->s, "beginning") == 0)
		src->start_at = START_BEGINNING;
	else if (strcmp(n->s, "end") == 0)
		src->start_at = START_END;
	else {
		cfg_error_at(cl, n, "start_at must be 'beginning' or 'end', "
		    "not '%s'", cfg_esc(n, e, sizeof e));
	}
}

/* sources[].follow: 'auto' (inotify, else polling) or 'poll'. */
static void
cfg_src_follow(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;
	char			 e[CONFIG_ESC];

	if (cfg_scalar(cl, n, "follow", "'auto' or 'poll'") == NULL)
		return;
	if (strcmp(n->s, "auto") == 0)
		src->follow_poll = false;
	else if (strcmp(n->s, "poll") == 0)
		src->follow_poll = true;
	else {
		cfg_error_at(cl, n, "follow must be 'auto' or 'poll', not '%s'",
		    cfg_esc(n, e, sizeof e));
	}
}

/* sources[].poll_interval: seconds between polls of a watched file. */
static void
cfg_src_poll(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;

	cfg_number_set(cl, n, "poll_interval", 1, 3600, &src->poll_interval);
}

/* evidence: a mapping. */
static void
cfg_evidence(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_map_walk(cl, n, cfg_evidence_keys, "evidence", arg);
}

/* evidence.dir: the archive's folder. */
static void
cfg_evidence_dir(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_path_set(cl, n, "dir", &conf->evidence_dir);
}

/* sources[].partial_line_timeout: seconds before a held line goes. */
static void
cfg_src_partial(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;

	cfg_number_set(cl, n, "partial_line_timeout", 0, 86400,
	    &src->partial_timeout);
}

/* sources[].rotate_wait: seconds a rotated file must be quiet. */
static void
cfg_src_rotate_wait(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct source_conf	*src = arg;

	cfg_number_set(cl, n, "rotate_wait", 0, 3600, &src->rotate_wait);
}

/* evidence.segment_size: raw bytes a segment holds before a seal. */
static void
cfg_ev_seg_size(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_number_set(cl, n, "segment_size", 4096, 1024ULL * 1024 * 1024,
	    &conf->segment_size);
}

/* evidence.segment_age: seconds a segment may stay open. */
static void
cfg_ev_seg_age(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_number_set(cl, n, "segment_age", 1, 86400, &conf->segment_age);
}

/* evidence.level: the gzip compression level. */
static void
cfg_ev_level(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_number_set(cl, n, "level", 1, 9, &conf->evidence_level);
}

/* evidence.retention_days: age after which segments go; 0 keeps all. */
static void
cfg_ev_retention(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_number_set(cl, n, "retention_days", 0, 36500,
	    &conf->retention_days);
}

/* evidence.signing_key: Ed25519 private key that signs the chain head. */
static void
cfg_ev_signing_key(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_path_set(cl, n, "signing_key", &conf->signing_key);
}

/* True if mapping m has the key (whether or not its value is good). */
static bool
cfg_map_has(const struct cnode *m, const char *key)
{
	size_t	i;

	for (i = 0; i + 1 < m->n; i += 2) {
		if (m->v[i]->type == CNODE_SCALAR && m->v[i]->s != NULL &&
		    strcmp(m->v[i]->s, key) == 0)
			return true;
	}
	return false;
}

/* outputs: a list of output mappings, possibly empty. */
static void
cfg_outputs(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config		*conf = arg;
	struct output_conf	*out;
	struct cnode		*item;
	size_t			 i, count;

	if (n->type == CNODE_SCALAR && n->null)
		return;
	if (n->type != CNODE_SEQ) {
		cfg_error_at(cl, n, "outputs must be a list, not %s",
		    cfg_kind(n));
		return;
	}
	if (n->n == 0)
		return;
	count = n->n < CONFIG_MAX_OUTPUTS ? n->n : CONFIG_MAX_OUTPUTS;
	if ((conf->outputs = calloc(count, sizeof *conf->outputs)) == NULL)
		fatal("calloc");
	for (i = 0; i < count; i++) {
		item = n->v[i];
		out = &conf->outputs[i];
		conf->noutputs = i + 1;
		out->line = (int)(item->line > INT_MAX ? INT_MAX : item->line);
		out->timeout = CONFIG_OUT_TIMEOUT_DEFAULT;
		out->max_age = CONFIG_OUT_MAX_AGE_DEFAULT;
		out->backoff_max = CONFIG_OUT_BACKOFF_DEFAULT;
		out->facility = 13;	/* log audit */
		cfg_map_walk(cl, item, cfg_output_keys, "output", out);
		if (item->type == CNODE_MAP && out->type != NULL)
			cfg_out_check(cl, item, conf, i);
	}
	if (n->n > CONFIG_MAX_OUTPUTS) {
		cfg_error_at(cl, n->v[CONFIG_MAX_OUTPUTS],
		    "more than %d outputs", CONFIG_MAX_OUTPUTS);
	}
}

/* outputs[].type: a known output type. */
static void
cfg_out_type(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	const char		*best = NULL;
	char			 e[CONFIG_ESC];
	size_t			 bestd = 0, i;

	if (cfg_scalar(cl, n, "type", "an output type") == NULL)
		return;
	for (i = 0; cfg_output_types[i] != NULL; i++) {
		if (strcmp(cfg_output_types[i], n->s) == 0) {
			out->type = cfg_strdup(n->s);
			return;
		}
		cfg_suggest_try(n->s, n->len, cfg_output_types[i], &best,
		    &bestd);
	}
	if (best != NULL) {
		cfg_error_at(cl, n, "unknown output type '%s'; did you mean "
		    "'%s'?", cfg_esc(n, e, sizeof e), best);
	} else {
		cfg_error_at(cl, n, "unknown output type '%s' (known: jsonl, "
		    "alerts, webhook, email, syslog)",
		    cfg_esc(n, e, sizeof e));
	}
}

/* outputs[].path: where a file output writes. */
static void
cfg_out_path(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;

	cfg_path_set(cl, n, "path", &out->path);
}

/* Set *out to a copy of the text of n. */
static void
cfg_str_set(struct cfg_load *cl, const struct cnode *n, const char *what,
    char **out)
{
	if (cfg_scalar(cl, n, what, "a string") == NULL)
		return;
	free(*out);
	*out = cfg_strdup(n->s);
}

/* Set *out to n if it is one of the words in v (NULL-terminated). */
static void
cfg_word_set(struct cfg_load *cl, const struct cnode *n, const char *what,
    const char *const *v, char **out)
{
	char	e[CONFIG_ESC], list[256] = "";
	size_t	i, o = 0;
	int	w;

	if (cfg_scalar(cl, n, what, "a word") == NULL)
		return;
	for (i = 0; v[i] != NULL; i++) {
		if (strcmp(v[i], n->s) == 0) {
			free(*out);
			*out = cfg_strdup(n->s);
			return;
		}
		w = snprintf(list + o, sizeof list - o, "%s%s",
		    i > 0 ? ", " : "", v[i]);
		if (w > 0 && (size_t)w < sizeof list - o)
			o += (size_t)w;
	}
	cfg_error_at(cl, n, "%s must be one of %s, not '%s'", what, list,
	    cfg_esc(n, e, sizeof e));
}

/* Set *out to the seconds n gives ("90", "30s", "10m", "2h", "1d"). */
static void
cfg_duration_set(struct cfg_load *cl, const struct cnode *n,
    const char *what, unsigned long long min, unsigned long long max,
    size_t *out)
{
	unsigned long long	 v = 0, mul = 1;
	char			 e[CONFIG_ESC];
	size_t			 i, len;

	if (cfg_scalar(cl, n, what, "a duration") == NULL)
		return;
	len = n->len;
	switch (n->s[len - 1]) {
	case 's':
		len--;
		break;
	case 'm':
		mul = 60;
		len--;
		break;
	case 'h':
		mul = 3600;
		len--;
		break;
	case 'd':
		mul = 86400;
		len--;
		break;
	}
	for (i = 0; i < len; i++) {
		if (n->s[i] < '0' || n->s[i] > '9')
			break;
		if (v <= max)
			v = v * 10 + (unsigned long long)(n->s[i] - '0');
	}
	if (len == 0 || i != len) {
		cfg_error_at(cl, n, "%s must be a duration like 90, 30s, 10m, "
		    "2h or 1d, not '%s'", what, cfg_esc(n, e, sizeof e));
		return;
	}
	if (v > max)
		v = max + 1;
	v *= mul;
	if (v < min || v > max) {
		cfg_error_at(cl, n, "%s must be from %llus to %llus", what, min,
		    max);
		return;
	}
	*out = (size_t)v;
}

/* outputs[].name: a stable name (it keys the delivery outbox). */
static void
cfg_out_name(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_str_set(cl, n, "name", &((struct output_conf *)arg)->name);
}

/* outputs[].url: where a webhook posts or an email output connects. */
static void
cfg_out_url(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_str_set(cl, n, "url", &((struct output_conf *)arg)->url);
}

/* outputs[].flavour: what a webhook speaks. */
static void
cfg_out_flavour(struct cfg_load *cl, struct cnode *n, void *arg)
{
	static const char *const v[] = {
		"standard", "thehive", "iris", "rtir", NULL
	};

	cfg_word_set(cl, n, "flavour", v, &((struct output_conf *)arg)->flavour);
}

/* outputs[].secret_file: the webhook's HMAC secret. */
static void
cfg_out_secret(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "secret_file",
	    &((struct output_conf *)arg)->secret_file);
}

/* outputs[].api_key_file: TheHive's API key. */
static void
cfg_out_api_key(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "api_key_file",
	    &((struct output_conf *)arg)->api_key_file);
}

static const char *const cfg_tlp_words[] = {
	"clear", "white", "green", "amber", "amber+strict", "red", NULL
};

/* outputs[].tlp: traffic light of what TheHive receives. */
static void
cfg_out_tlp(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_word_set(cl, n, "tlp", cfg_tlp_words,
	    &((struct output_conf *)arg)->tlp);
}

/* outputs[].pap: permissible actions of what TheHive receives. */
static void
cfg_out_pap(struct cfg_load *cl, struct cnode *n, void *arg)
{
	static const char *const v[] = {
		"clear", "white", "green", "amber", "red", NULL
	};

	cfg_word_set(cl, n, "pap", v, &((struct output_conf *)arg)->pap);
}

/* outputs[].queue: the RT queue an rtir webhook opens tickets in. */
static void
cfg_out_queue(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	size_t			 i;

	if (cfg_scalar(cl, n, "queue", "a queue name") == NULL)
		return;
	/* It goes into TicketSQL between quotes. */
	for (i = 0; i < n->len; i++) {
		if ((unsigned char)n->s[i] < ' ' || n->s[i] == '\'' ||
		    n->s[i] == '\\' || n->s[i] == 0x7f || i >= 200) {
			cfg_error_at(cl, n, "queue must be 1 to 200 characters "
			    "without quotes, backslashes or controls");
			return;
		}
	}
	free(out->queue);
	out->queue = cfg_strdup(n->s);
}

/* outputs[].customer_id: the DFIR-IRIS customer of new alerts. */
static void
cfg_out_customer(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "customer_id", 1, 1000000000,
	    &((struct output_conf *)arg)->customer_id);
}

/* outputs[].severity_ids: DFIR-IRIS severity ids of low..critical. */
static void
cfg_out_sev_ids(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	unsigned long		 v;
	const char		*p;
	char			*end;
	int			 k = 0;

	if (cfg_scalar(cl, n, "severity_ids", "four numbers") == NULL)
		return;
	for (p = n->s; k < 5; p = end + 1) {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno != 0 || v == 0 || v > 1000000)
			break;
		k++;
		if (*end != ',')
			break;
	}
	if (k != 4 || *end != '\0') {
		cfg_error_at(cl, n, "severity_ids must be four ids, for low, "
		    "medium, high and critical, like \"3,4,5,6\"");
		return;
	}
	free(out->severity_ids);
	out->severity_ids = cfg_strdup(n->s);
}

/* outputs[].asset_type_id: the DFIR-IRIS asset type of our hosts. */
static void
cfg_out_asset_type(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "asset_type_id", 1, 1000000000,
	    &((struct output_conf *)arg)->asset_type_id);
}

/* A mail address without controls, spaces or angle brackets. */
static bool
cfg_mail_ok(const char *s)
{
	const char	*at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0')
		return false;
	return strpbrk(s, " <>,;\"\\()[]") == NULL;
}

/* outputs[].from: the sender of incident mail. */
static void
cfg_out_from(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	char			 e[CONFIG_ESC];

	if (cfg_scalar(cl, n, "from", "a mail address") == NULL)
		return;
	if (!cfg_mail_ok(n->s)) {
		cfg_error_at(cl, n, "from is not a plain mail address: '%s'",
		    cfg_esc(n, e, sizeof e));
		return;
	}
	free(out->from);
	out->from = cfg_strdup(n->s);
}

/* outputs[].to: one recipient or a list of them. */
static void
cfg_out_to(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	struct cnode		*it;
	char			 e[CONFIG_ESC];
	size_t			 i, count;

	count = n->type == CNODE_SEQ ? n->n : 1;
	if (n->type == CNODE_MAP || count == 0 || count > 64) {
		cfg_error_at(cl, n, "to must be a mail address or a list of "
		    "1 to 64 of them");
		return;
	}
	if ((out->to = calloc(count, sizeof *out->to)) == NULL)
		fatal("calloc");
	for (i = 0; i < count; i++) {
		it = n->type == CNODE_SEQ ? n->v[i] : n;
		if (cfg_scalar(cl, it, "to", "a mail address") == NULL)
			continue;
		if (!cfg_mail_ok(it->s)) {
			cfg_error_at(cl, it, "to is not a plain mail address: "
			    "'%s'", cfg_esc(it, e, sizeof e));
			continue;
		}
		out->to[out->nto++] = cfg_strdup(it->s);
	}
}

/* outputs[].username: the SMTP login. */
static void
cfg_out_username(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_str_set(cl, n, "username", &((struct output_conf *)arg)->username);
}

/* outputs[].password_file: the SMTP password, never on a command line. */
static void
cfg_out_password(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "password_file",
	    &((struct output_conf *)arg)->password_file);
}

/* outputs[].tls: how an email output secures smtp://. */
static void
cfg_out_tls(struct cfg_load *cl, struct cnode *n, void *arg)
{
	static const char *const v[] = { "starttls", "try", "none", NULL };

	cfg_word_set(cl, n, "tls", v, &((struct output_conf *)arg)->tls);
}

/* outputs[].ca_file: the CAs (PEM) that a TLS receiver must chain to. */
static void
cfg_out_ca_file(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "ca_file", &((struct output_conf *)arg)->ca_file);
}

static const char *const cfg_languages[] = { "en", "ja", NULL };

/* outputs[].language: the language of incident mail. */
static void
cfg_out_language(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_word_set(cl, n, "language", cfg_languages,
	    &((struct output_conf *)arg)->language);
}

/* outputs[].address: where syslog goes. */
static void
cfg_out_address(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	char			 e[CONFIG_ESC];

	if (cfg_scalar(cl, n, "address", "an address") == NULL)
		return;
	if (strncmp(n->s, "udp://", 6) != 0 && strncmp(n->s, "tcp://", 6) != 0 &&
	    strncmp(n->s, "tls://", 6) != 0 && strncmp(n->s, "unix:", 5) != 0) {
		cfg_error_at(cl, n, "address must be udp://HOST:PORT, "
		    "tcp://HOST:PORT, tls://HOST:PORT or unix:PATH, not '%s'",
		    cfg_esc(n, e, sizeof e));
		return;
	}
	free(out->address);
	out->address = cfg_strdup(n->s);
}

/* outputs[].facility: the syslog facility number. */
static void
cfg_out_facility(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "facility", 0, 23,
	    &((struct output_conf *)arg)->facility);
}

/* outputs[].app_name: the syslog APP-NAME. */
static void
cfg_out_app_name(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct output_conf	*out = arg;
	size_t			 i;

	if (cfg_scalar(cl, n, "app_name", "a name") == NULL)
		return;
	for (i = 0; i < n->len; i++) {
		if (n->s[i] <= ' ' || n->s[i] > '~' || i >= 48) {
			cfg_error_at(cl, n, "app_name must be 1 to 48 "
			    "printable ASCII characters without spaces");
			return;
		}
	}
	free(out->app_name);
	out->app_name = cfg_strdup(n->s);
}

/* outputs[].timeout: seconds one delivery attempt may take. */
static void
cfg_out_timeout(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "timeout", 1, 600,
	    &((struct output_conf *)arg)->timeout);
}

/* outputs[].max_age: how long a delivery is retried. */
static void
cfg_out_max_age(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "max_age", 1, 30 * 86400,
	    &((struct output_conf *)arg)->max_age);
}

/* outputs[].backoff_max: the longest wait between two attempts. */
static void
cfg_out_backoff(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "backoff_max", 1, 86400,
	    &((struct output_conf *)arg)->backoff_max);
}

/* What output i of type needs, and its default name (unique). */
static void
cfg_out_check(struct cfg_load *cl, struct cnode *item, struct config *conf,
    size_t i)
{
	struct output_conf	*out = &conf->outputs[i];
	const char		*where;
	size_t			 j;

	if ((strcmp(out->type, "jsonl") == 0 ||
	    strcmp(out->type, "alerts") == 0) && !cfg_map_has(item, "path"))
		cfg_error_at(cl, item, "%s output needs a 'path'", out->type);
	if (strcmp(out->type, "webhook") == 0) {
		if (out->url == NULL && !cfg_map_has(item, "url"))
			cfg_error_at(cl, item, "webhook output needs a 'url'");
		else if (out->url != NULL &&
		    strncmp(out->url, "http://", 7) != 0 &&
		    strncmp(out->url, "https://", 8) != 0)
			cfg_error_at(cl, item, "webhook url must start with "
			    "http:// or https://");
		if (out->flavour != NULL &&
		    strcmp(out->flavour, "standard") != 0) {
			if (!cfg_map_has(item, "api_key_file"))
				cfg_error_at(cl, item, "%s webhook needs "
				    "an 'api_key_file'", out->flavour);
		} else if (!cfg_map_has(item, "secret_file"))
			cfg_error_at(cl, item, "webhook output needs a "
			    "'secret_file' (its signing secret)");
	}
	if (strcmp(out->type, "email") == 0) {
		if (out->url == NULL && !cfg_map_has(item, "url"))
			cfg_error_at(cl, item, "email output needs a 'url' "
			    "(smtp://HOST:PORT or smtps://HOST:PORT)");
		else if (out->url != NULL &&
		    strncmp(out->url, "smtp://", 7) != 0 &&
		    strncmp(out->url, "smtps://", 8) != 0)
			cfg_error_at(cl, item, "email url must start with "
			    "smtp:// or smtps://");
		if (!cfg_map_has(item, "from"))
			cfg_error_at(cl, item, "email output needs a 'from'");
		if (!cfg_map_has(item, "to"))
			cfg_error_at(cl, item, "email output needs a 'to'");
	}
	if (strcmp(out->type, "syslog") == 0 && !cfg_map_has(item, "address"))
		cfg_error_at(cl, item, "syslog output needs an 'address'");
	if (out->name == NULL) {
		where = out->path != NULL ? out->path : out->url != NULL ?
		    out->url : out->address != NULL ? out->address : "";
		out->name = cfg_strf("%s:%s", out->type, where);
	}
	for (j = 0; j < i; j++) {
		if (conf->outputs[j].name != NULL &&
		    strcmp(conf->outputs[j].name, out->name) == 0) {
			cfg_error_at(cl, item, "two outputs are named '%s'; "
			    "give one a different 'name'", out->name);
			break;
		}
	}
}

/* incidents: how alerts are grouped and how often the CSIRT hears. */
static void
cfg_incidents(struct cfg_load *cl, struct cnode *n, void *arg)
{
	struct config	*conf = arg;

	cfg_map_walk(cl, n, cfg_incident_keys, "incidents", &conf->incidents);
}

/* incidents.idle: time without evidence after which one is quiet. */
static void
cfg_inc_idle(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "idle", 60, 30 * 86400,
	    &((struct incident_conf *)arg)->idle);
}

/* incidents.reopen: a recurrence this soon after a close reopens it. */
static void
cfg_inc_reopen(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "reopen", 0, 365 * 86400,
	    &((struct incident_conf *)arg)->reopen);
}

/* incidents.throttle: least time between two updates of one incident. */
static void
cfg_inc_throttle(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "throttle", 0, 86400,
	    &((struct incident_conf *)arg)->throttle);
}

/* incidents.max_new_per_minute: the flood cap (0: none). */
static void
cfg_inc_max_new(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "max_new_per_minute", 0, 100000,
	    &((struct incident_conf *)arg)->max_new);
}

/* incidents.c2_hosts: hosts calling one C2 that make a parent incident. */
static void
cfg_inc_c2_hosts(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "c2_hosts", 2, 100000,
	    &((struct incident_conf *)arg)->c2_hosts);
}

/* incidents.worm_link: a host reached, then spreading, this soon. */
static void
cfg_inc_worm_link(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_duration_set(cl, n, "worm_link", 0, 30 * 86400,
	    &((struct incident_conf *)arg)->worm_link);
}

/* incidents.samples: raw lines kept per incident. */
static void
cfg_inc_samples(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "samples", 1, 1000,
	    &((struct incident_conf *)arg)->samples);
}

/* incidents.max_open: incidents held in memory at once. */
static void
cfg_inc_max_open(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "max_open", 16, 10000000,
	    &((struct incident_conf *)arg)->max_open);
}

/*
 * incidents.commit_interval: milliseconds the incident store waits between
 * two commits of its batch while alerts come in (0: every turn of the
 * loop).  Checkpoints, control requests, reloads and the stop commit at
 * once whatever it says; the checkpoint comes every second, so more than
 * CONFIG_INC_COMMIT_MAX would change nothing.
 */
static void
cfg_inc_commit(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_number_set(cl, n, "commit_interval", 0, CONFIG_INC_COMMIT_MAX,
	    &((struct incident_conf *)arg)->commit_interval);
}

/* incidents.language: of titles and summaries. */
static void
cfg_inc_language(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_word_set(cl, n, "language", cfg_languages,
	    &((struct incident_conf *)arg)->language);
}

/* incidents.csirt_name: the team that issues the incidents. */
static void
cfg_inc_csirt(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_str_set(cl, n, "csirt_name",
	    &((struct incident_conf *)arg)->csirt_name);
}

/* incidents.organization: the organisation the hosts belong to. */
static void
cfg_inc_org(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_str_set(cl, n, "organization",
	    &((struct incident_conf *)arg)->organization);
}

/* geoip: MaxMind DB files. */
static void
cfg_geoip(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_map_walk(cl, n, cfg_geoip_keys, "geoip", arg);
}

/* geoip.country: a GeoLite2-Country compatible database. */
static void
cfg_geoip_country(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "country", &((struct config *)arg)->geoip_country);
}

/* geoip.asn: a GeoLite2-ASN compatible database. */
static void
cfg_geoip_asn(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "asn", &((struct config *)arg)->geoip_asn);
}

/* geoip.city: a GeoLite2-City compatible database. */
static void
cfg_geoip_city(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "city", &((struct config *)arg)->geoip_city);
}

/* inventory: CSV or YAML of internal addresses and who owns them. */
static void
cfg_inventory(struct cfg_load *cl, struct cnode *n, void *arg)
{
	cfg_path_set(cl, n, "inventory", &((struct config *)arg)->inventory);
}

/* A malloc'd formatted string. */
static char * __attribute__((format(printf, 1, 2)))
cfg_strf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("vsnprintf");
	if ((p = malloc((size_t)n + 1)) == NULL)
		fatal("malloc");
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

struct config *
config_load(const char *path, char **cause)
{
	struct config	*conf = NULL;
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 len = 0, size;
	ssize_t		 n;
	int		 fd;

	*cause = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = cfg_strf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = cfg_strf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		*cause = cfg_strf("%s: not a regular file", path);
		goto out;
	}
	if (sb.st_size > CONFIG_MAX_FILE) {
		*cause = cfg_strf("%s: larger than %d bytes", path,
		    CONFIG_MAX_FILE);
		goto out;
	}
	size = (size_t)sb.st_size;
	if ((buf = malloc(size + 1)) == NULL)
		fatal("malloc");
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = cfg_strf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	conf = config_load_buffer(path, buf, len, cause);
out:
	free(buf);
	close(fd);
	return conf;
}

struct config *
config_load_buffer(const char *name, const char *buf, size_t len,
    char **cause)
{
	struct cfg_load	 cl;
	struct config	*conf;
	struct cnode	*root = NULL;
	bool		 stop = false;
	size_t		 i;

	*cause = NULL;
	memset(&cl, 0, sizeof cl);
	cl.name = name;
	cl.buf = buf;
	cl.len = len;
	cl.base = cfg_basedir(name);
	if ((conf = calloc(1, sizeof *conf)) == NULL)
		fatal("calloc");
	cl.conf = conf;
	conf->file = cfg_strdup(name);
	conf->timezone = cfg_strdup("UTC");
	conf->max_line = CONFIG_MAX_LINE_DEFAULT;
	conf->max_queue = CONFIG_MAX_QUEUE_DEFAULT;
	conf->segment_size = CONFIG_SEGMENT_SIZE_DEFAULT;
	conf->segment_age = CONFIG_SEGMENT_AGE_DEFAULT;
	conf->evidence_level = CONFIG_EVIDENCE_LEVEL_DEFAULT;
	conf->retention_days = CONFIG_RETENTION_DEFAULT;
	conf->incidents.idle = CONFIG_INC_IDLE_DEFAULT;
	conf->incidents.reopen = CONFIG_INC_REOPEN_DEFAULT;
	conf->incidents.throttle = CONFIG_INC_THROTTLE_DEFAULT;
	conf->incidents.max_new = CONFIG_INC_MAX_NEW_DEFAULT;
	conf->incidents.c2_hosts = CONFIG_INC_C2_HOSTS_DEFAULT;
	conf->incidents.worm_link = CONFIG_INC_WORM_LINK_DEFAULT;
	conf->incidents.samples = CONFIG_INC_SAMPLES_DEFAULT;
	conf->incidents.max_open = CONFIG_INC_MAX_OPEN_DEFAULT;
	conf->incidents.commit_interval = CONFIG_INC_COMMIT_DEFAULT;
	cidr_set_init(&conf->internal);
	cidr_set_init(&conf->mail_servers);
	cidr_set_init(&conf->proxies);
	cidr_set_init(&conf->dns_servers);

	if (len > CONFIG_MAX_FILE)
		cfg_error(&cl, 0, 0, "larger than %d bytes", CONFIG_MAX_FILE);
	else
		root = cfg_read(&cl, &stop);
	if (len <= CONFIG_MAX_FILE && !stop) {
		if (root == NULL || (root->type == CNODE_SCALAR && root->null &&
		    !root->bad))
			cfg_error(&cl, 1, 1, "the configuration is empty");
		else
			cfg_map_walk(&cl, root, cfg_top_keys, NULL, conf);
	}
	cfg_node_free(root);

	if (cl.nerrs == 0 && !cl.full) {
		if (conf->evidence_dir == NULL)
			conf->evidence_dir = cfg_join(conf->state_dir,
			    "evidence", strlen("evidence"));
		if (conf->control_socket == NULL)
			conf->control_socket = cfg_strdup(
			    CONFIG_CONTROL_DEFAULT);
		free(cl.base);
		return conf;
	}
	*cause = cfg_cause(&cl);
	for (i = 0; i < cl.nerrs; i++)
		free(cl.errs[i].msg);
	free(cl.errs);
	free(cl.base);
	config_free(conf);
	return NULL;
}

/* Free what one output's config holds. */
static void
config_output_clear(struct output_conf *o)
{
	size_t	i;

	free(o->type);
	free(o->path);
	free(o->name);
	free(o->url);
	free(o->flavour);
	free(o->secret_file);
	free(o->api_key_file);
	free(o->tlp);
	free(o->pap);
	free(o->queue);
	free(o->severity_ids);
	free(o->from);
	for (i = 0; i < o->nto; i++)
		free(o->to[i]);
	free(o->to);
	free(o->username);
	free(o->password_file);
	free(o->tls);
	free(o->ca_file);
	free(o->language);
	free(o->address);
	free(o->app_name);
}

void
config_free(struct config *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	free(conf->file);
	free(conf->state_dir);
	for (i = 0; i < conf->nrules; i++)
		free(conf->rules[i]);
	free(conf->rules);
	cidr_set_free(&conf->internal);
	cidr_set_free(&conf->mail_servers);
	cidr_set_free(&conf->proxies);
	cidr_set_free(&conf->dns_servers);
	for (i = 0; i < conf->nsources; i++) {
		free(conf->sources[i].name);
		free(conf->sources[i].path);
		free(conf->sources[i].parser);
		free(conf->sources[i].timezone);
	}
	free(conf->sources);
	free(conf->evidence_dir);
	free(conf->signing_key);
	for (i = 0; i < conf->noutputs; i++)
		config_output_clear(&conf->outputs[i]);
	free(conf->outputs);
	free(conf->incidents.language);
	free(conf->incidents.csirt_name);
	free(conf->incidents.organization);
	free(conf->geoip_country);
	free(conf->geoip_asn);
	free(conf->geoip_city);
	free(conf->inventory);
	free(conf->timezone);
	free(conf->control_socket);
	free(conf->control_group);
	free(conf->metrics_addr);
	free(conf);
}

const struct source_conf *
config_source(const struct config *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->nsources; i++) {
		if (conf->sources[i].name != NULL &&
		    strcmp(conf->sources[i].name, name) == 0)
			return &conf->sources[i];
	}
	return NULL;
}
