/*
 * metrics.c: the Prometheus endpoint.  An evhttp server on a loopback
 * address, in the daemon's loop, answers GET /metrics with every counter
 * the modules keep: per source lines, bytes, events, parse errors,
 * rotations and lag; per dataset events; per rule hits and PCRE2 limit
 * hits; alerts; outputs; the evidence archive's bytes, seals and seal
 * age; correlation groups, bytes and evictions; per kind of correlator
 * (count, distinct, sequence, beacon, scan, spam) the rules, entries,
 * bytes and evictions; loop lag; reloads and the control socket;
 * incidents by category and status and the outbox depth per output
 * (csirt.c).  Other modules with their own state add a writer.
 *
 * This module must never change the state it reports, never answer
 * anything but a bounded GET, and never take long: a scrape is one pass
 * over sources and rules.  Label values are escaped as the format says.
 */
#include "config.h"

#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "beacon.h"
#include "control.h"
#include "corr.h"
#include "csirt.h"
#include "evidence.h"
#include "keibid.h"
#include "log.h"
#include "metrics.h"
#include "scan.h"
#include "spam.h"

#define METRICS_MAX_WRITERS	8
#define METRICS_TIMEOUT		10	/* seconds a client may take */

struct metrics_hook {
	metrics_writer	 fn;
	void		*arg;
};

struct metrics {
	struct keibid		*kd;
	struct evhttp		*http;
	struct metrics_hook	 hooks[METRICS_MAX_WRITERS];
	size_t			 nhooks;
	uint64_t		 scrapes;
};

void
metrics_label(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* "# HELP" and "# TYPE" of a family. */
static void
metrics_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* One sample without labels. */
static void
metrics_value(struct evbuffer *b, const char *name, const char *type,
    const char *help, double v)
{
	metrics_head(b, name, type, help);
	evbuffer_add_printf(b, "%s %.17g\n", name, v);
}

/* One sample with one label. */
static void
metrics_one(struct evbuffer *b, const char *name, const char *label,
    const char *value, uint64_t v)
{
	evbuffer_add_printf(b, "%s{%s=\"", name, label);
	metrics_label(b, value);
	evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)v);
}

/* Per-source families. */
static void
metrics_sources(struct keibid *kd, struct evbuffer *b)
{
	static const struct {
		const char	*name;
		const char	*help;
		size_t		 off;
	} fam[] = {
		{ "keibi_source_lines_total", "Lines read.",
		  offsetof(struct source_stats, lines) },
		{ "keibi_source_bytes_total", "Bytes read.",
		  offsetof(struct source_stats, bytes) },
		{ "keibi_source_events_total", "Lines parsed into events.",
		  offsetof(struct source_stats, events) },
		{ "keibi_source_ignored_lines_total",
		  "Lines that are no event (counted, not errors).",
		  offsetof(struct source_stats, ignored) },
		{ "keibi_source_parse_errors_total",
		  "Malformed lines the parser refused.",
		  offsetof(struct source_stats, malformed) },
		{ "keibi_source_cut_lines_total",
		  "Lines cut at max_line_length.",
		  offsetof(struct source_stats, truncated) },
		{ "keibi_source_rotations_total", "Rotations followed.",
		  offsetof(struct source_stats, rotations) },
		{ "keibi_source_truncations_total",
		  "Files truncated under keibid (copytruncate).",
		  offsetof(struct source_stats, truncations) },
		{ "keibi_source_gaps_total",
		  "Byte ranges lost before they could be read.",
		  offsetof(struct source_stats, gaps) },
		{ "keibi_source_alerts_total", "Alerts raised on the source.",
		  offsetof(struct source_stats, alerts) },
	};
	struct source	*s;
	struct stat	 sb;
	uint64_t	 off, size;
	size_t		 f, i;

	for (f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		metrics_head(b, fam[f].name, "counter", fam[f].help);
		for (i = 0; i < kd->nsrc; i++) {
			s = kd->src[i];
			metrics_one(b, fam[f].name, "source", s->name,
			    *(const uint64_t *)(const void *)
			    ((const char *)&s->st + fam[f].off));
		}
	}
	metrics_head(b, "keibi_source_lag_bytes", "gauge",
	    "Bytes of the current file not read yet.");
	for (i = 0; i < kd->nsrc; i++) {
		s = kd->src[i];
		off = linebuf_done(&s->lb);
		size = 0;
		if (s->cur.fd != -1 && fstat(s->cur.fd, &sb) == 0)
			size = (uint64_t)sb.st_size;
		metrics_one(b, "keibi_source_lag_bytes", "source", s->name,
		    size > off ? size - off : 0);
	}
	metrics_head(b, "keibi_source_up", "gauge",
	    "1 if the source's file is open.");
	for (i = 0; i < kd->nsrc; i++)
		metrics_one(b, "keibi_source_up", "source", kd->src[i]->name,
		    kd->src[i]->cur.fd != -1);
}

/* Events per dataset, over the sources whose parser yields it. */
static void
metrics_datasets(struct keibid *kd, struct evbuffer *b)
{
	const char	*ds, *other;
	uint64_t	 n;
	size_t		 i, j;

	metrics_head(b, "keibi_dataset_events_total", "counter",
	    "Events per event.dataset (by the parser of each source).");
	for (i = 0; i < kd->nsrc; i++) {
		if ((ds = kd->src[i]->parser->dataset) == NULL)
			ds = kd->src[i]->parser->name;
		for (j = 0; j < i; j++) {
			other = kd->src[j]->parser->dataset;
			if (other == NULL)
				other = kd->src[j]->parser->name;
			if (strcmp(other, ds) == 0)
				break;
		}
		if (j < i)
			continue;	/* counted with an earlier source */
		n = 0;
		for (j = i; j < kd->nsrc; j++) {
			other = kd->src[j]->parser->dataset;
			if (other == NULL)
				other = kd->src[j]->parser->name;
			if (strcmp(other, ds) == 0)
				n += kd->src[j]->st.events;
		}
		metrics_one(b, "keibi_dataset_events_total", "dataset", ds, n);
	}
}

/* The detectors whose memory is reported, by rule_ops name. */
static const struct {
	const char	*name;
	size_t		 (*bytes)(const struct rule *);
	size_t		 (*entries)(const struct rule *);
} metrics_detectors[] = {
	{ "beacon", beacon_mem_bytes, beacon_mem_entries },
	{ "scan", scan_mem_bytes, scan_mem_entries },
	{ "spam", spam_mem_bytes, spam_mem_entries },
};

void
metrics_correlators(const struct ruleset *rs, struct metrics_corr *v)
{
	static const char *const kinds[METRICS_CORR_KINDS] = { "count",
	    "distinct", "sequence", "beacon", "scan", "spam" };
	const struct rule	*r;
	size_t			 i, k, d;

	memset(v, 0, METRICS_CORR_KINDS * sizeof *v);
	for (k = 0; k < METRICS_CORR_KINDS; k++)
		v[k].kind = kinds[k];
	for (i = 0; rs != NULL && i < rs->n; i++) {
		r = rs->v[i];
		switch (r->kind) {
		case RK_COUNT:
		case RK_DISTINCT:
		case RK_SEQUENCE:
			k = r->kind == RK_COUNT ? 0 : r->kind == RK_DISTINCT ?
			    1 : 2;
			v[k].entries += corr_groups(r);
			v[k].bytes += corr_bytes(r);
			break;
		case RK_DETECTOR:
			if (r->ops == NULL)
				continue;
			for (d = 0; d < sizeof metrics_detectors /
			    sizeof metrics_detectors[0]; d++)
				if (strcmp(metrics_detectors[d].name,
				    r->ops->name) == 0)
					break;
			if (d == sizeof metrics_detectors /
			    sizeof metrics_detectors[0])
				continue;	/* a detector without a size */
			k = 3 + d;
			v[k].entries += metrics_detectors[d].entries(r);
			v[k].bytes += metrics_detectors[d].bytes(r);
			break;
		default:
			continue;
		}
		v[k].rules++;
		v[k].evictions += r->dropped;
	}
}

/* Per-kind correlator families. */
static void
metrics_corr_kinds(struct keibid *kd, struct evbuffer *b)
{
	static const struct {
		const char	*name;
		const char	*type;
		const char	*help;
		size_t		 off;
	} fam[] = {
		{ "keibi_correlator_rules", "gauge",
		  "Rules of each kind of correlator.",
		  offsetof(struct metrics_corr, rules) },
		{ "keibi_correlator_entries", "gauge",
		  "Entries the correlators of each kind hold (groups, pairs "
		  "and destinations, hosts and contacts, senders).",
		  offsetof(struct metrics_corr, entries) },
		{ "keibi_correlator_bytes", "gauge",
		  "Bytes the correlators of each kind have allocated.",
		  offsetof(struct metrics_corr, bytes) },
		{ "keibi_correlator_evictions_total", "counter",
		  "State the correlators of each kind dropped at a memory "
		  "bound.",
		  offsetof(struct metrics_corr, evictions) },
	};
	struct metrics_corr	v[METRICS_CORR_KINDS];
	size_t			f, k;

	metrics_correlators(kd->rules, v);
	for (f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		metrics_head(b, fam[f].name, fam[f].type, fam[f].help);
		for (k = 0; k < METRICS_CORR_KINDS; k++)
			metrics_one(b, fam[f].name, "kind", v[k].kind,
			    *(const uint64_t *)(const void *)
			    ((const char *)&v[k] + fam[f].off));
	}
}

/* Per-rule families and the correlation totals. */
static void
metrics_rules(struct keibid *kd, struct evbuffer *b)
{
	static const struct {
		const char	*name;
		const char	*help;
		size_t		 off;
	} fam[] = {
		{ "keibi_rule_hits_total", "Alerts raised by the rule.",
		  offsetof(struct rule, hits) },
		{ "keibi_rule_matches_total",
		  "Events that matched the rule's conditions.",
		  offsetof(struct rule, matches) },
		{ "keibi_rule_limit_hits_total",
		  "PCRE2 match or depth limits hit by the rule.",
		  offsetof(struct rule, limit_hits) },
		{ "keibi_rule_suppressed_total",
		  "Alerts held back by the rule's suppression.",
		  offsetof(struct rule, suppressed) },
		{ "keibi_rule_evictions_total",
		  "State dropped at the rule's memory bound.",
		  offsetof(struct rule, dropped) },
	};
	struct ruleset	*rs = kd->rules;
	struct rule	*r;
	uint64_t	 groups = 0, bytes = 0, dropped = 0;
	size_t		 f, i, n = rs != NULL ? rs->n : 0;

	metrics_value(b, "keibi_rules_loaded", "gauge", "Rules loaded.",
	    (double)n);
	for (f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		metrics_head(b, fam[f].name, "counter", fam[f].help);
		for (i = 0; i < n; i++) {
			r = rs->v[i];
			metrics_one(b, fam[f].name, "rule", r->id,
			    *(const uint64_t *)(const void *)
			    ((const char *)r + fam[f].off));
		}
	}
	for (i = 0; i < n; i++) {
		r = rs->v[i];
		dropped += r->dropped;
		if (r->kind == RK_COUNT || r->kind == RK_DISTINCT ||
		    r->kind == RK_SEQUENCE) {
			groups += corr_groups(r);
			bytes += corr_bytes(r);
		}
	}
	metrics_value(b, "keibi_correlation_groups", "gauge",
	    "Groups held by count, distinct and sequence rules.",
	    (double)groups);
	metrics_value(b, "keibi_correlation_bytes", "gauge",
	    "Bytes of the correlation group tables.", (double)bytes);
	metrics_value(b, "keibi_correlation_evictions_total", "counter",
	    "Correlation and detector state dropped at a memory bound.",
	    (double)dropped);
	metrics_value(b, "keibi_alerts_total", "counter",
	    "Alerts raised by all rules.", (double)kd->alerts);
	metrics_corr_kinds(kd, b);
}

/* Outputs and the evidence archive. */
static void
metrics_outputs(struct keibid *kd, struct evbuffer *b)
{
	struct evidence_stats	es;
	time_t			now = time(NULL);
	size_t			i;

	metrics_head(b, "keibi_output_written_total", "counter",
	    "Records written to the output.");
	for (i = 0; i < kd->nout; i++)
		metrics_one(b, "keibi_output_written_total", "output",
		    kd->out[i]->name, kd->out[i]->written);
	metrics_head(b, "keibi_output_errors_total", "counter",
	    "Delivery failures of the output.");
	for (i = 0; i < kd->nout; i++)
		metrics_one(b, "keibi_output_errors_total", "output",
		    kd->out[i]->name, kd->out[i]->errors);
	if (kd->ev == NULL)
		return;
	keibid_evidence_stats(kd, &es);
	metrics_value(b, "keibi_evidence_raw_bytes_total", "counter",
	    "Raw bytes archived.", (double)es.raw);
	metrics_value(b, "keibi_evidence_gz_bytes_total", "counter",
	    "Compressed bytes written to segments.", (double)es.gz);
	metrics_value(b, "keibi_evidence_segments_sealed_total", "counter",
	    "Segments sealed (hashed and chained).", (double)es.sealed);
	metrics_value(b, "keibi_evidence_gaps_total", "counter",
	    "Gap records written to the manifest.", (double)es.gaps);
	metrics_value(b, "keibi_evidence_errors_total", "counter",
	    "Archive write or fsync failures (retried).", (double)es.errors);
	metrics_value(b, "keibi_evidence_deleted_segments_total", "counter",
	    "Segments deleted by retention.", (double)es.deleted);
	if (es.last_seal != 0) {
		metrics_value(b, "keibi_evidence_last_seal_timestamp_seconds",
		    "gauge", "Unix time of the last seal.",
		    (double)es.last_seal);
		metrics_value(b, "keibi_evidence_seal_age_seconds", "gauge",
		    "Seconds since the last seal.",
		    (double)(now - es.last_seal));
	}
}

void
metrics_write(struct keibid *kd, struct metrics *m, struct evbuffer *b)
{
	uint64_t	served, refused;
	size_t		i;

	metrics_head(b, "keibi_build_info", "gauge", "keibi's version.");
	evbuffer_add_printf(b, "keibi_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	metrics_value(b, "keibi_start_time_seconds", "gauge",
	    "Unix time keibid started.", (double)kd->started);
	metrics_sources(kd, b);
	metrics_datasets(kd, b);
	metrics_rules(kd, b);
	metrics_outputs(kd, b);
	metrics_value(b, "keibi_loop_lag_seconds", "gauge",
	    "How late the last poll tick ran.", (double)kd->lag_us / 1e6);
	metrics_value(b, "keibi_loop_lag_max_seconds", "gauge",
	    "The latest a poll tick ran since start.",
	    (double)kd->lag_max_us / 1e6);
	metrics_value(b, "keibi_reloads_total", "counter",
	    "Reloads that took effect.", (double)kd->reloads);
	metrics_value(b, "keibi_reload_failures_total", "counter",
	    "Reloads refused (the running set stayed).",
	    (double)kd->reload_failures);
	metrics_value(b, "keibi_reload_ok", "gauge",
	    "1 unless the last reload failed.",
	    kd->reload_error == NULL ? 1.0 : 0.0);
	control_counts(kd->ctl, &served, &refused);
	metrics_value(b, "keibi_control_requests_total", "counter",
	    "Control socket requests served.", (double)served);
	metrics_value(b, "keibi_control_refused_total", "counter",
	    "Control socket peers refused.", (double)refused);
	csirt_metrics(kd->csirt, b);
	if (m != NULL) {
		metrics_value(b, "keibi_metrics_scrapes_total", "counter",
		    "Scrapes of this endpoint.", (double)m->scrapes);
		for (i = 0; i < m->nhooks; i++)
			m->hooks[i].fn(m->hooks[i].arg, b);
	}
}

/* GET /metrics; everything else is 404 (evhttp refuses other methods). */
static void
metrics_request(struct evhttp_request *req, void *arg)
{
	struct metrics	*m = arg;
	struct evbuffer	*b;
	const char	*uri = evhttp_request_get_uri(req);

	if (uri == NULL || (strcmp(uri, "/metrics") != 0 &&
	    strncmp(uri, "/metrics?", 9) != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	m->scrapes++;
	metrics_write(m->kd, m, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

struct metrics *
metrics_open(struct keibid *kd, const char *addr, uint16_t port,
    char **cause)
{
	struct metrics	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		fatal("calloc");
	m->kd = kd;
	if ((m->http = evhttp_new(kd->base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 1024);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT);
	evhttp_set_gencb(m->http, metrics_request, m);
	if (evhttp_bind_socket_with_handle(m->http, addr, port) == NULL) {
		if (asprintf(cause, "metrics: cannot listen on %s port %u",
		    addr, (unsigned int)port) == -1)
			fatal("asprintf");
		metrics_close(m);
		return NULL;
	}
	return m;
}

void
metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
}

void
metrics_add_writer(struct metrics *m, metrics_writer fn, void *arg)
{
	if (m == NULL || m->nhooks == METRICS_MAX_WRITERS)
		return;
	m->hooks[m->nhooks].fn = fn;
	m->hooks[m->nhooks].arg = arg;
	m->nhooks++;
}

void
metrics_replace(struct metrics *old, struct metrics *new)
{
	size_t	i;

	if (old != NULL && new != NULL) {
		for (i = 0; i < old->nhooks; i++)
			metrics_add_writer(new, old->hooks[i].fn,
			    old->hooks[i].arg);
		new->scrapes += old->scrapes;
	}
	metrics_close(old);
}
