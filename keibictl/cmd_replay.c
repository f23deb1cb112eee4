/*
 * cmd_replay.c: keibictl replay, retro-detection over the evidence
 * archive.  It runs the configured rules (or the rule files given) over
 * the sealed segments in a time range as keibid would have run them: each
 * source's segments in manifest order through one parser state, the
 * sources merged by event time, detection on event time, the detectors
 * judged at the end of input as keibid --once does.  It prints every alert
 * raised, marked retrospective, with the proof of the line that raised
 * it, and the incidents the daemon would have opened, built by the real
 * incident manager in a scratch store that is deleted afterwards.
 *
 * Every segment is hashed whole and compared with its manifest entry
 * before a byte of it is used; one that fails is reported and left out.
 * Replay never writes into the archive, and escapes every byte from a log
 * before it reaches a terminal.
 *
 * It writes into the live incident store only when asked (--into-store),
 * and then only as the store's one owner: it takes the owner lock
 * (incidents.lock) that keibid holds while it runs, so with keibid running
 * it refuses and changes nothing, rather than writing beside the daemon's
 * open batch or queueing whole alerts through the changes table for a
 * daemon whose rules may differ from the replayed ones.  The manager is
 * marked retrospective (incident_set_retrospective): what it opens says
 * so, and the alerts keep the keys the live run gives them, so the alerts
 * keibid already raised and those of an earlier replay are not counted
 * again.  Revisions wait in the outbox of each incident output for keibid.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "detect.h"
#include "enrich.h"
#include "evidence.h"
#include "incident.h"
#include "keibictl.h"
#include "linebuf.h"
#include "log.h"
#include "manifest.h"
#include "parser.h"
#include "progress.h"
#include "record.h"
#include "rule.h"
#include "store.h"
#include "tz.h"

#define RP_BLOCK	(256 * 1024)
#define RP_DAY_US	(86400LL * 1000000)
#define RP_EXIT_USAGE	2
#define RP_EXIT_INTEGRITY 3
#define RP_EXIT_BUSY	4	/* --into-store while keibid owns the store */

/* One source: its segments in order, read as one stream of lines. */
struct rp_src {
	struct replay		*rp;
	const char		*name;
	const struct parser	*parser;
	void			*state;
	struct tz		*tz;
	const struct mf_seg	**segs;
	size_t			 nsegs;
	size_t			 at;		/* next segment to open */
	const struct mf_seg	*seg;		/* the open one, or NULL */

	int			 fd;
	z_stream		 z;
	bool			 zopen;
	int			 zrc;
	bool			 eof;		/* the file is read */
	unsigned char		*in;
	char			*buf;
	size_t			 cap;
	size_t			 len;
	size_t			 pos;
	uint64_t		 base;		/* segment offset of buf[0] */
	bool			 skipping;	/* the rest of a cut line */

	struct record		 rec;
	bool			 head;		/* rec holds the next event */
	uint64_t		 off;		/* of rec's line */
	size_t			 used;
};

struct replay {
	struct config		*conf;
	struct manifest		*m;
	struct ruleset		*rs;
	struct cidr_set		 internal;
	struct enrich		*en;
	struct store		*st;
	struct incident_mgr	*im;
	struct tz		*tz;		/* display zone */
	struct rp_src		*srcs;
	size_t			 nsrcs;
	struct rp_src		*cur;		/* source being dispatched */
	size_t			 max_line;
	bool			 json;
	bool			 into;		/* --into-store: the live store */
	struct store_incident	*before;	/* its rows before the replay */
	size_t			 nbefore;
	int64_t			 from;
	int64_t			 to;
	struct progress		*pg;
	uint64_t		 done;
	uint64_t		 lines;
	uint64_t		 events;
	uint64_t		 alerts;
	uint64_t		 segments;
	json_t			*problems;
};

/* Field rf of rec, or no span: record_get() trusts the caller to ask. */
static struct span
rp_get(const struct record *rec, enum rf rf)
{
	return record_has(rec, rf) ? record_get(rec, rf) : SPAN_NULL;
}

/* ISO 8601 of event time us in the display zone. */
static void
rp_time(struct replay *rp, int64_t us, char *buf, size_t size)
{
	int64_t	s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);

	record_format_time(us, tz_offset_at(rp->tz, s), 0, buf, size);
}

/* A segment that is not used, and why: standard error and the list. */
static void
rp_problem(struct replay *rp, const char *what, const char *why)
{
	char	esc[1024];

	log_escape(what, strlen(what), esc, sizeof esc);
	fprintf(stderr, "keibictl replay: %s: %s: not used\n", esc, why);
	json_array_append_new(rp->problems, json_pack("{s:s, s:s}", "what",
	    esc, "why", why));
}

/* Close the open segment of s. */
static void
rp_seg_close(struct rp_src *s)
{
	if (s->zopen)
		inflateEnd(&s->z);
	s->zopen = false;
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->seg = NULL;
}

/* Open the next usable segment of s; false when there is none. */
static bool
rp_seg_next(struct rp_src *s)
{
	struct replay		*rp = s->rp;
	const struct mf_seg	*seg;
	char			*path, hex[65];
	uint64_t		 size;
	int64_t			 ref;

	rp_seg_close(s);
	while (s->at < s->nsegs) {
		seg = s->segs[s->at++];
		if (asprintf(&path, "%s/%s", rp->m->dir, seg->file) == -1)
			fatal("asprintf");
		/* Hashed whole before a byte is used. */
		if (!seg->ok) {
			rp_problem(rp, seg->file, "its manifest entry does not "
			    "verify");
			free(path);
			continue;
		}
		if (manifest_hash_file(path, hex, &size) != 0) {
			rp_problem(rp, seg->file, "the segment file cannot be "
			    "read");
			free(path);
			continue;
		}
		if (strcmp(hex, seg->sha_gz) != 0) {
			rp_problem(rp, seg->file, "its SHA-256 differs from "
			    "the manifest's");
			free(path);
			continue;
		}
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		if (s->fd == -1) {
			rp_problem(rp, seg->file, "the segment file cannot be "
			    "read");
			continue;
		}
		memset(&s->z, 0, sizeof s->z);
		if (inflateInit2(&s->z, 15 + 16) != Z_OK)
			fatalx("inflateInit2");
		s->zopen = true;
		s->zrc = Z_OK;
		s->eof = false;
		s->len = s->pos = 0;
		s->base = 0;
		s->skipping = false;
		s->seg = seg;
		rp->segments++;
		/* Year-less dates: read as on the day after its last. */
		ref = seg->last_us != MF_NO_TIME ? seg->last_us + RP_DAY_US :
		    seg->sealed * 1000000;
		if (s->parser->set_ref != NULL && ref != 0)
			s->parser->set_ref(s->state, ref);
		return true;
	}
	return false;
}

/* Inflate more of the open segment into the buffer; 0 at its end. */
static size_t
rp_fill(struct rp_src *s)
{
	ssize_t	n;
	size_t	got = 0;

	if (s->pos > 0) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->base += s->pos;
		s->pos = 0;
	}
	while (got == 0 && s->len < s->cap) {
		if (s->z.avail_in == 0) {
			if (s->eof)
				return 0;
			n = read(s->fd, s->in, RP_BLOCK);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				s->eof = true;
				continue;
			}
			s->rp->done += (uint64_t)n;
			s->z.next_in = s->in;
			s->z.avail_in = (uInt)n;
		}
		if (s->zrc == Z_STREAM_END) {
			inflateReset(&s->z);
			s->zrc = Z_OK;
		}
		s->z.next_out = (unsigned char *)s->buf + s->len;
		s->z.avail_out = (uInt)(s->cap - s->len);
		s->zrc = inflate(&s->z, Z_NO_FLUSH);
		got = s->cap - s->len - s->z.avail_out;
		s->len += got;
		if (s->zrc != Z_OK && s->zrc != Z_STREAM_END) {
			/* The hash matched: the archive was sealed so. */
			s->eof = true;
			s->z.avail_in = 0;
			return got;
		}
	}
	return got;
}

/*
 * The next line of s, framed as keibid frames it (a line over the cap is
 * cut and its rest skipped; the last line may lack its newline).  0 when
 * the source has no more.
 */
static int
rp_line(struct rp_src *s, const char **p, size_t *len, size_t *used,
    int *flags)
{
	char	*nl;
	size_t	 avail;

	for (;;) {
		if (s->seg == NULL && !rp_seg_next(s))
			return 0;
		avail = s->len - s->pos;
		nl = memchr(s->buf + s->pos, '\n', avail);
		if (nl != NULL || avail >= s->rp->max_line) {
			*p = s->buf + s->pos;
			*used = nl != NULL ? (size_t)(nl - *p) + 1 :
			    s->rp->max_line;
			*flags = 0;
			*len = nl != NULL ? (size_t)(nl - *p) : *used;
			if (s->skipping) {
				s->skipping = nl == NULL;
				s->pos += *used;
				continue;
			}
			if (*len > s->rp->max_line) {
				*len = s->rp->max_line;
				*flags = LB_TRUNCATED;
			} else if (nl == NULL) {
				*flags = LB_TRUNCATED;
				s->skipping = true;
			}
			s->off = s->base + s->pos;
			s->used = *used;
			s->pos += *used;
			return 1;
		}
		if (rp_fill(s) > 0)
			continue;
		if (s->len > s->pos && !s->skipping) {
			*p = s->buf + s->pos;
			*len = *used = s->len - s->pos;
			*flags = LB_PARTIAL;
			s->off = s->base + s->pos;
			s->used = *used;
			s->pos = s->len;
			return 1;
		}
		rp_seg_close(s);
	}
}

/* Where the line of an alert lies, for the incident's evidence. */
static void
rp_ref(struct replay *rp, const struct record *rec, struct incident_ref *ref)
{
	struct rp_src	*s = rp->cur;

	memset(ref, 0, sizeof *ref);
	if (s == NULL || s->seg == NULL || rec->line.p == NULL ||
	    rec->line.p < s->buf || rec->line.p >= s->buf + s->cap)
		return;
	ref->valid = true;
	ref->path = s->seg->path;
	ref->dev = s->seg->dev;
	ref->ino = s->seg->ino;
	ref->offset = s->seg->start + s->off;
	ref->length = rec->line.len;
}

/* An alert: print it and hand it to the scratch incidents. */
static int
rp_alert(void *arg, struct rule *r, const struct record *rec)
{
	struct replay		*rp = arg;
	struct rp_src		*s = rp->cur;
	struct incident_ref	 ref;
	struct span		 reason = rp_get(rec, RF_EVENT_REASON);
	struct span		 src = rp_get(rec, RF_SOURCE_IP);
	struct span		 dst = rp_get(rec, RF_DESTINATION_IP);
	json_t			*o, *proof;
	char			 tbuf[64], esc[768], sesc[64], desc[64];
	char			*js, *rj;

	rp->alerts++;
	rp_ref(rp, rec, &ref);
	tbuf[0] = '\0';
	if (rec->has_ts)
		rp_time(rp, rec->ts_us, tbuf, sizeof tbuf);
	if (r->kind != RK_MATCH && reason.len > 0)
		log_escape(reason.p, reason.len, esc, sizeof esc);
	else
		log_escape(r->title, strlen(r->title), esc, sizeof esc);
	if (rp->json) {
		o = json_pack("{s:s, s:b, s:s, s:i, s:s, s:s}", "type", "alert",
		    "retrospective", 1, "rule", r->id, "rev", r->rev,
		    "severity", r->severity, "category", r->category);
		if (tbuf[0] != '\0')
			json_object_set_new(o, "time", json_string(tbuf));
		json_object_set_new(o, "text", json_string(esc));
		if (ref.valid) {
			proof = json_pack("{s:s, s:I, s:I, s:s}", "segment",
			    s->seg->file, "offset", (json_int_t)s->off,
			    "length", (json_int_t)s->used, "sha256",
			    s->seg->sha_gz);
			json_object_set_new(o, "proof", proof);
		}
		js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		rj = record_to_json(rec);
		if (js == NULL)
			fatalx("json_dumps");
		js[strlen(js) - 1] = '\0';
		printf("%s,\"event\":%s}\n", js, rj);
		free(js);
		free(rj);
	} else {
		log_escape(src.p != NULL ? src.p : "-", src.p != NULL ?
		    src.len : 1, sesc, sizeof sesc);
		log_escape(dst.p != NULL ? dst.p : "-", dst.p != NULL ?
		    dst.len : 1, desc, sizeof desc);
		printf("RETRO ALERT %s [%s] %s %s -> %s: %s\n", r->id,
		    r->severity, tbuf[0] != '\0' ? tbuf : "-", sesc, desc, esc);
		if (ref.valid) {
			log_escape(s->seg->file, strlen(s->seg->file), esc,
			    sizeof esc);
			printf("    proof %s:%llu:%zu sha256 %s\n", esc,
			    (unsigned long long)s->off, s->used,
			    s->seg->sha_gz);
		}
	}
	if (rp->im != NULL)
		incident_alert(rp->im, r, rec, ref.valid ? &ref : NULL);
	return 0;
}

/* Parse lines of s until one is an event with a time (its head). */
static void
rp_advance(struct rp_src *s)
{
	struct replay	*rp = s->rp;
	struct record	*rec = &s->rec;
	const char	*p;
	size_t		 len, used;
	int		 flags;

	s->head = false;
	while (rp_line(s, &p, &len, &used, &flags) == 1) {
		rp->lines++;
		record_reset(rec);
		rec->line.p = p;
		rec->line.len = len;
		rec->source = s->name;
		if (flags & LB_TRUNCATED)
			rec->flags |= REC_TRUNCATED;
		if (flags & LB_PARTIAL)
			rec->flags |= REC_PARTIAL;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (s->parser->parse(s->state, p, len, rec) != 1)
			continue;
		rp->events++;
		if (!record_has(rec, RF_EVENT_DATASET))
			record_set(rec, RF_EVENT_DATASET, s->parser->dataset,
			    strlen(s->parser->dataset));
		record_finish(rec, &rp->internal);
		if (rec->has_ts && (rec->ts_us < rp->from ||
		    rec->ts_us >= rp->to))
			continue;
		if (!rec->has_ts) {
			/* No time to order it by: it goes at once. */
			rp->cur = s;
			enrich_record(rp->en, rec, &rp->internal);
			detect_event(rp->rs, rec, rp_alert, rp);
			continue;
		}
		s->head = true;
		return;
	}
}

/* Merge the sources by event time and run detection. */
static void
rp_run(struct replay *rp)
{
	struct rp_src	*s, *min;
	size_t		 i;

	for (i = 0; i < rp->nsrcs; i++)
		rp_advance(&rp->srcs[i]);
	for (;;) {
		min = NULL;
		for (i = 0; i < rp->nsrcs; i++) {
			s = &rp->srcs[i];
			if (s->head && (min == NULL ||
			    s->rec.ts_us < min->rec.ts_us))
				min = s;
		}
		if (min == NULL)
			break;
		rp->cur = min;
		enrich_record(rp->en, &min->rec, &rp->internal);
		detect_event(rp->rs, &min->rec, rp_alert, rp);
		progress_update(rp->pg, rp->done);
		rp_advance(min);
	}
	rp->cur = NULL;
	detect_flush(rp->rs, rp_alert, rp);
}

/* Remove the scratch store's folder and what is in it. */
static void
rp_scratch_remove(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		*p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) == -1)
			fatal("asprintf");
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

/* True if row in was in the live store, at that revision, before. */
static bool
rp_unchanged(struct replay *rp, const struct store_incident *in)
{
	size_t	i;

	for (i = 0; i < rp->nbefore; i++)
		if (strcmp(rp->before[i].id, in->id) == 0)
			return rp->before[i].revision == in->revision;
	return false;
}

/* Free what one row of store_incidents() holds (not the row). */
static void
rp_row_clear(struct store_incident *in)
{
	free(in->id);
	free(in->dedup_key);
	free(in->category);
	free(in->severity);
	free(in->status);
	free(in->activity);
	free(in->title);
	free(in->doc);
	free(in->state);
	memset(in, 0, sizeof *in);
}

/* Who replays, for the timeline: "keibictl replay (USER)". */
static char *
rp_who(void)
{
	struct passwd	*pw;
	char		*who;
	int		 rc;

	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL)
		rc = asprintf(&who, "keibictl replay (%s)", pw->pw_name);
	else
		rc = asprintf(&who, "keibictl replay (uid %u)",
		    (unsigned int)getuid());
	if (rc == -1)
		fatal("asprintf");
	return who;
}

/*
 * Open the live incident store as its owner, with a retrospective
 * manager whose revisions wait for the incident outputs; 0, or the exit
 * status after a message.
 */
static int
rp_open_live(struct replay *rp)
{
	char	**outs = NULL, *cause = NULL, *who;
	size_t	  nouts = 0, i;
	bool	  busy = false;

	rp->st = store_open(rp->conf->state_dir, STORE_OWNER, &busy, &cause);
	if (rp->st == NULL) {
		if (busy) {
			fprintf(stderr, "keibictl replay: keibid is running and "
			    "owns the incident store (%s/%s is locked); "
			    "--into-store writes only while keibid is stopped: "
			    "stop it, replay, start it again (nothing was "
			    "written)\n", rp->conf->state_dir, STORE_LOCK);
			free(cause);
			return RP_EXIT_BUSY;
		}
		fprintf(stderr, "keibictl replay: %s\n", cause);
		free(cause);
		return 1;
	}
	rp->nbefore = store_incidents(rp->st, NULL, &rp->before);
	for (i = 0; i < rp->conf->noutputs; i++) {
		if (rp->conf->outputs[i].name == NULL ||
		    strcmp(rp->conf->outputs[i].type, "alerts") == 0)
			continue;
		outs = reallocarray(outs, nouts + 1, sizeof *outs);
		if (outs == NULL)
			fatal("reallocarray");
		outs[nouts++] = rp->conf->outputs[i].name;
	}
	rp->im = incident_open(rp->conf, rp->st, rp->en, outs, nouts);
	free(outs);
	who = rp_who();
	incident_set_retrospective(rp->im, who);
	free(who);
	return 0;
}

/* The incidents the scratch manager opened. */
static void
rp_print_incidents(struct replay *rp)
{
	struct store_incident	*v;
	json_t			*o;
	char			*doc, *s, a[64], b[64], esc[512];
	size_t			 n, i, k;

	n = store_incidents(rp->st, NULL, &v);
	if (rp->into) {
		/* Only what this replay opened or changed. */
		for (i = 0, k = 0; i < n; i++) {
			if (rp_unchanged(rp, &v[i])) {
				rp_row_clear(&v[i]);
				continue;
			}
			v[k++] = v[i];
		}
		n = k;
	}
	if (!rp->json && rp->into)
		printf("\n%zu incidents opened or updated in the live incident "
		    "store (retrospective):\n", n);
	else if (!rp->json)
		printf("\n%zu incidents would have been opened "
		    "(retrospective):\n", n);
	for (i = n; i > 0; i--) {
		struct store_incident	*in = &v[i - 1];

		if (rp->json) {
			doc = store_incident_doc(rp->st, in->id);
			if (doc == NULL || (o = json_loads(doc, 0,
			    NULL)) == NULL) {
				free(doc);
				continue;
			}
			free(doc);
			json_object_set_new(o, "type", json_string("incident"));
			/* In the live store the record says what it is. */
			if (!rp->into)
				json_object_set_new(o, "retrospective",
				    json_true());
			else
				json_object_set_new(o, "stored", json_true());
			s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			printf("%s\n", s);
			free(s);
			json_decref(o);
			continue;
		}
		rp_time(rp, in->first_seen * 1000000, a, sizeof a);
		rp_time(rp, in->last_seen * 1000000, b, sizeof b);
		log_escape(in->title != NULL ? in->title : "",
		    in->title != NULL ? strlen(in->title) : 0, esc, sizeof esc);
		printf("  %s %s [%s] %s .. %s\n    %s\n    key %s, %lld "
		    "alerts\n", in->id, in->category, in->severity, a, b, esc,
		    in->dedup_key, (long long)store_alert_count(rp->st,
		    in->id));
	}
	store_incidents_free(v, n);
}

/* Choose the segments of each source and set their parsers up. */
static int
rp_select(struct replay *rp, char *const *sources, size_t nsources)
{
	const struct source_conf	*sc;
	const struct mf_seg		*seg;
	struct parser_opts		 po;
	struct rp_src			*s;
	const char			*zone, *tzcause;
	size_t				 i, j;
	bool				 ok;

	for (i = 0; i < rp->m->nseg; i++) {
		seg = &rp->m->seg[i];
		if (nsources > 0) {
			for (j = 0, ok = false; j < nsources && !ok; j++)
				ok = strcmp(sources[j], seg->source) == 0;
			if (!ok)
				continue;
		}
		if (seg->deleted && seg->ok)
			continue;
		if (rp->from != INT64_MIN || rp->to != INT64_MAX) {
			if (seg->first_us == MF_NO_TIME ||
			    seg->last_us < rp->from ||
			    seg->first_us >= rp->to)
				continue;
		}
		for (j = 0; j < rp->nsrcs; j++)
			if (strcmp(rp->srcs[j].name, seg->source) == 0)
				break;
		if (j == rp->nsrcs) {
			sc = config_source(rp->conf, seg->source);
			if (sc == NULL || parser_lookup(sc->parser) == NULL) {
				char	esc[256];

				log_escape(seg->source, strlen(seg->source),
				    esc, sizeof esc);
				fprintf(stderr, "keibictl replay: source %s: "
				    "not in the configuration, not replayed\n",
				    esc);
				continue;
			}
			rp->srcs = reallocarray(rp->srcs, rp->nsrcs + 1,
			    sizeof *rp->srcs);
			if (rp->srcs == NULL)
				fatal("reallocarray");
			s = &rp->srcs[rp->nsrcs++];
			memset(s, 0, sizeof *s);
			s->rp = rp;
			s->fd = -1;
			s->name = seg->source;
			s->parser = parser_lookup(sc->parser);
			zone = sc->timezone != NULL ? sc->timezone :
			    rp->conf->timezone;
			if (zone != NULL &&
			    (s->tz = tz_open(zone, &tzcause)) == NULL) {
				fprintf(stderr, "keibictl replay: %s: %s\n",
				    zone, tzcause);
				return -1;
			}
			memset(&po, 0, sizeof po);
			po.tz = s->tz;
			po.max_queue = rp->conf->max_queue;
			if ((s->state = s->parser->state_new(&po)) == NULL)
				fatalx("parser state");
			s->cap = rp->max_line + RP_BLOCK;
			if ((s->buf = malloc(s->cap)) == NULL ||
			    (s->in = malloc(RP_BLOCK)) == NULL)
				fatal("malloc");
		}
		s = &rp->srcs[j];
		s->segs = reallocarray(s->segs, s->nsegs + 1, sizeof *s->segs);
		if (s->segs == NULL)
			fatal("reallocarray");
		s->segs[s->nsegs++] = seg;
	}
	return 0;
}

/* A time argument: YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], local in tz. */
static int
rp_parse_time(const char *s, struct tz *tz, int64_t *out)
{
	int		 y, mo, d, h = 0, mi = 0, se = 0, oh, om, n = 0;
	int32_t		 off;
	const char	*p;
	int64_t		 t;

	if (strlen(s) < 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) !=
	    3 || n != 10)
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		p += 6;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &se, &n) != 1 || n != 2)
				return -1;
			p += 3;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 60)
		return -1;
	t = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (*p == '\0')
		t = tz_to_utc(tz, y, mo, d, h, mi, se, &off);
	else if (p[0] == 'Z' && p[1] == '\0')
		;
	else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 &&
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 &&
	    oh >= 0 && oh < 24 && om >= 0 && om < 60)
		t -= (p[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	else
		return -1;
	*out = t * 1000000;
	return 0;
}

static int
ctl_replay_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ "no-incidents", no_argument, NULL, 'N' },
		{ "into-store", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	struct replay	 rp;
	struct incident_stats ist;
	char		**sources = NULL, *cause, *scratch = NULL;
	const char	*dir = NULL, *tzcause;
	size_t		 nsources = 0, i;
	int64_t		 d, t;
	int		 ch, rc = 0;
	bool		 incidents = true, busy, bad = false;

	memset(&rp, 0, sizeof rp);
	rp.from = INT64_MIN;
	rp.to = INT64_MAX;
	if ((rp.conf = ctl_config()) == NULL) {
		fprintf(stderr, "keibictl replay: needs the configuration "
		    "(-c) that names the sources and their parsers\n");
		return RP_EXIT_USAGE;
	}
	if (rp.conf->timezone != NULL &&
	    (rp.tz = tz_open(rp.conf->timezone, &tzcause)) == NULL) {
		fprintf(stderr, "keibictl replay: %s: %s\n",
		    rp.conf->timezone, tzcause);
		config_free(rp.conf);
		return RP_EXIT_USAGE;
	}
	if ((sources = calloc((size_t)argc + 1, sizeof *sources)) == NULL)
		fatal("calloc");
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sources[nsources++] = optarg;
			break;
		case 'S':
			if ((d = rule_parse_duration(optarg)) > 0)
				rp.from = (int64_t)time(NULL) * 1000000 - d;
			else if (rp_parse_time(optarg, rp.tz, &t) == 0)
				rp.from = t;
			else
				bad = true;
			break;
		case 'F':
			if (rp_parse_time(optarg, rp.tz, &rp.from) != 0)
				bad = true;
			break;
		case 'T':
			if (rp_parse_time(optarg, rp.tz, &rp.to) != 0)
				bad = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'J':
			rp.json = true;
			break;
		case 'N':
			incidents = false;
			break;
		case 'I':
			rp.into = true;
			break;
		default:
			bad = true;
		}
	}
	argc -= optind;
	argv += optind;
	if (rp.into && !incidents) {
		fprintf(stderr, "keibictl replay: --into-store and "
		    "--no-incidents exclude each other\n");
		bad = true;
	}
	if (bad) {
		fprintf(stderr, "usage: keibictl replay [--source NAME] "
		    "[--since 30d | --from TIME --to TIME]\n"
		    "       [--json] [--no-incidents | --into-store] "
		    "[--dir DIR] [RULES...]\n");
		rc = RP_EXIT_USAGE;
		goto out;
	}
	if (argc > 0)
		rp.rs = ruleset_load(argv, (size_t)argc, &cause);
	else
		rp.rs = ruleset_load(rp.conf->rules, rp.conf->nrules, &cause);
	if (rp.rs == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		rc = RP_EXIT_USAGE;
		goto out;
	}
	cidr_set_init(&rp.internal);
	for (i = 0; i < rp.conf->internal.n; i++)
		cidr_set_add(&rp.internal, &rp.conf->internal.v[i]);
	ruleset_set_role(rp.rs, ROLE_INTERNAL, &rp.internal);
	ruleset_set_role(rp.rs, ROLE_MAIL_SERVERS, &rp.conf->mail_servers);
	ruleset_set_role(rp.rs, ROLE_PROXIES, &rp.conf->proxies);
	ruleset_set_role(rp.rs, ROLE_DNS_SERVERS, &rp.conf->dns_servers);
	if ((rp.m = manifest_load(dir != NULL ? dir : rp.conf->evidence_dir,
	    &cause)) == NULL) {
		fprintf(stderr, "keibictl replay: %s\n", cause);
		free(cause);
		rc = RP_EXIT_USAGE;
		goto out;
	}
	rp.problems = json_array();
	if (rp.m->bad > 0)
		fprintf(stderr, "keibictl replay: %s: %s\n", EVIDENCE_MANIFEST,
		    rp.m->why_bad);
	if ((rp.en = enrich_open(rp.conf, &cause)) == NULL) {
		fprintf(stderr, "keibictl replay: %s\n", cause);
		free(cause);
		rc = RP_EXIT_USAGE;
		goto out;
	}
	if (rp.into) {
		if ((rc = rp_open_live(&rp)) != 0)
			goto out;
	} else if (incidents) {
		if (asprintf(&scratch, "%s/keibi-replay.XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp") == -1)
			fatal("asprintf");
		if (mkdtemp(scratch) == NULL)
			fatal("mkdtemp %s", scratch);
		if ((rp.st = store_open(scratch, STORE_OWNER, &busy,
		    &cause)) == NULL) {
			fprintf(stderr, "keibictl replay: %s\n", cause);
			free(cause);
			rc = RP_EXIT_USAGE;
			goto out;
		}
		rp.im = incident_open(rp.conf, rp.st, rp.en, NULL, 0);
	}
	rp.max_line = rp.conf->max_line != 0 ? rp.conf->max_line :
	    CONFIG_MAX_LINE_DEFAULT;
	if (rp_select(&rp, sources, nsources) != 0) {
		rc = RP_EXIT_USAGE;
		goto out;
	}
	log_set_level(LOG_LVL_ERR);
	{
		uint64_t	total = 0;
		size_t		j;

		for (i = 0; i < rp.nsrcs; i++)
			for (j = 0; j < rp.srcs[i].nsegs; j++)
				total += rp.srcs[i].segs[j]->size;
		rp.pg = progress_start("replay", total, 1);
	}
	rp_run(&rp);
	progress_end(rp.pg);
	memset(&ist, 0, sizeof ist);
	if (rp.im != NULL) {
		incident_flush(rp.im);
		if (incident_sync(rp.im) != 0 && rp.into) {
			fprintf(stderr, "keibictl replay: %s: the incidents "
			    "could not be written\n", store_path(rp.st));
			rc = 1;
		}
	}
	if (rp.im != NULL)
		incident_stats(rp.im, &ist);
	if (!rp.json && rp.into)
		printf("replay: %llu segments, %llu lines, %llu events, %llu "
		    "alerts (retrospective: written into the live incident "
		    "store, %llu of them were there already)\n",
		    (unsigned long long)rp.segments,
		    (unsigned long long)rp.lines,
		    (unsigned long long)rp.events,
		    (unsigned long long)rp.alerts,
		    (unsigned long long)ist.duplicates);
	else if (!rp.json)
		printf("replay: %llu segments, %llu lines, %llu events, %llu "
		    "alerts (retrospective: nothing was sent or stored)\n",
		    (unsigned long long)rp.segments,
		    (unsigned long long)rp.lines,
		    (unsigned long long)rp.events,
		    (unsigned long long)rp.alerts);
	if (rp.st != NULL)
		rp_print_incidents(&rp);
	if (json_array_size(rp.problems) > 0) {
		if (!rp.json)
			printf("%zu segments FAILED verification and were not "
			    "replayed (listed on standard error)\n",
			    json_array_size(rp.problems));
		rc = RP_EXIT_INTEGRITY;
	}
out:
	for (i = 0; i < rp.nsrcs; i++) {
		rp_seg_close(&rp.srcs[i]);
		rp.srcs[i].parser->state_free(rp.srcs[i].state);
		tz_free(rp.srcs[i].tz);
		free(rp.srcs[i].segs);
		free(rp.srcs[i].buf);
		free(rp.srcs[i].in);
	}
	free(rp.srcs);
	incident_close(rp.im);
	store_incidents_free(rp.before, rp.nbefore);
	if (rp.st != NULL)
		store_close(rp.st);
	if (scratch != NULL) {
		rp_scratch_remove(scratch);
		free(scratch);
	}
	enrich_free(rp.en);
	json_decref(rp.problems);
	manifest_free(rp.m);
	ruleset_free(rp.rs);
	if (rp.rs != NULL)
		cidr_set_free(&rp.internal);
	tz_free(rp.tz);
	free(sources);
	config_free(rp.conf);
	return rc;
}

const struct ctl_cmd ctl_cmd_replay = {
	.name = "replay",
	.usage =
"replay [--source NAME] [--since 30d | --from TIME --to TIME] [--json]\n"
"        [--no-incidents | --into-store] [--dir DIR] [RULES...]\n"
"        run the rules (default: the configuration's) over the archived\n"
"        segments on event time, as keibid would have; print the alerts\n"
"        and the incidents they would have opened, marked retrospective,\n"
"        each alert with its proof; nothing is sent or stored, unless\n"
"        --into-store: then they are opened in the live incident store,\n"
"        marked retrospective (only while keibid is stopped: it owns the\n"
"        store; alerts already there are not counted again)",
	.exec = ctl_replay_exec,
};
