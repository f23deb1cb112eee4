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
 * before it reaches a terminal.  With a time range, the segment just
 * before the first one in range (same file, contiguous) is read first
 * without detection, so that lines joined by parser state (a Postfix
 * message's client=, from= and to=) join as they did live.
 *
 * With --parser it replays log files from outside the archive instead
 * (plain or gzip, read through zlib): files a parser reads alike form one
 * stream, read oldest first (by the first event time in each, so the
 * order they are named in does not matter: proxy.log.3.gz, proxy.log.2.gz
 * and proxy.log are read as they were written) through one parser state,
 * as keibid reads a source across its rotations; with --parser auto each
 * file's format is detected on its first lines and files of different
 * formats are merged by event time like the archive's sources.  Their
 * alerts carry the file, the offset in its (decompressed) text and the
 * length instead of a proof: these bytes have none.
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

/* An external log file (--parser), as probed before the replay. */
struct rp_file {
	char			*path;
	uint64_t		 dev;
	uint64_t		 ino;
	uint64_t		 size;		/* of the file as found */
	int64_t			 mtime_us;
	int64_t			 first_us;	/* first event time; MF_NO_TIME */
	size_t			 order;		/* as named */
};

/*
 * One source: its segments (or external files) in order, read as one
 * stream of lines.
 */
struct rp_src {
	struct replay		*rp;
	const char		*name;
	char			*own_name;	/* external files: malloc'd */
	const struct parser	*parser;
	void			*state;
	struct tz		*tz;
	const struct mf_seg	**segs;
	size_t			 nsegs;
	size_t			 at;		/* next segment to open */
	const struct mf_seg	*seg;		/* the open one, or NULL */
	size_t			 nprime;	/* first segments: no detection */
	struct rp_file		*files;		/* --parser: instead of segs */
	size_t			 nfiles;
	struct rp_file		*file;		/* the open one, or NULL */
	gzFile			 gz;
	uint64_t		 gzdone;	/* its bytes read so far */

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
	uint64_t		 nfiles;	/* external files read */
	uint64_t		 file_errors;	/* ... that could not be */
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

/* Close the open segment (or file) of s. */
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
	if (s->gz != NULL)
		gzclose(s->gz);
	s->gz = NULL;
	s->file = NULL;
}

/* An external file that cannot be read (or not to its end). */
static void
rp_file_problem(struct replay *rp, const char *path, const char *why)
{
	char	esc[1024];

	log_escape(path, strlen(path), esc, sizeof esc);
	fprintf(stderr, "keibictl replay: %s: %s\n", esc, why);
	rp->file_errors++;
}

/* Open the next external file of s; false when there is none. */
static bool
rp_file_next(struct rp_src *s)
{
	struct replay	*rp = s->rp;
	struct rp_file	*f;
	int		 fd;

	rp_seg_close(s);
	while (s->at < s->nfiles) {
		f = &s->files[s->at++];
		if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1 ||
		    (s->gz = gzdopen(fd, "rb")) == NULL) {
			if (fd != -1)
				close(fd);
			rp_file_problem(rp, f->path, strerror(errno));
			continue;
		}
		gzbuffer(s->gz, RP_BLOCK);
		s->file = f;
		s->gzdone = 0;
		s->len = s->pos = 0;
		s->base = 0;
		s->skipping = false;
		rp->nfiles++;
		/* Year-less dates: read as keibid does, by the file's mtime. */
		if (s->parser->set_ref != NULL && f->mtime_us != 0)
			s->parser->set_ref(s->state, f->mtime_us);
		return true;
	}
	return false;
}

/* Read more of the open external file into the buffer; 0 at its end. */
static size_t
rp_file_fill(struct rp_src *s)
{
	size_t	want = s->cap - s->len;
	int	n, err;
	off_t	at;

	if (s->gz == NULL)
		return 0;
	if (want > (size_t)1 << 30)
		want = (size_t)1 << 30;
	n = gzread(s->gz, s->buf + s->len, (unsigned int)want);
	if ((at = gzoffset(s->gz)) >= 0 && (uint64_t)at > s->gzdone) {
		s->rp->done += (uint64_t)at - s->gzdone;
		s->gzdone = (uint64_t)at;
	}
	if (n == 0) {
		/* A gzip file cut short reads as an end, with Z_BUF_ERROR. */
		(void)gzerror(s->gz, &err);
		if (err == Z_BUF_ERROR)
			n = -1;
	}
	if (n < 0) {
		const char	*msg = gzerror(s->gz, &err);
		char		 why[256];

		/* zlib names the file "<fd:N>": the path is printed anyway. */
		if (msg != NULL && strncmp(msg, "<fd:", 4) == 0 &&
		    strstr(msg, ">: ") != NULL)
			msg = strstr(msg, ">: ") + 3;
		snprintf(why, sizeof why, "read stopped after %llu bytes of "
		    "its text: %s", (unsigned long long)(s->base + s->len),
		    msg != NULL ? msg : "read error");
		rp_file_problem(s->rp, s->file->path, why);
		gzclose(s->gz);
		s->gz = NULL;
		return 0;
	}
	s->len += (size_t)n;
	return (size_t)n;
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
		if (s->at > s->nprime)
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
	if (s->file != NULL)
		return rp_file_fill(s);
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
		if (s->seg == NULL && s->file == NULL &&
		    !(s->files != NULL ? rp_file_next(s) : rp_seg_next(s)))
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
	if (s == NULL || (s->seg == NULL && s->file == NULL) ||
	    rec->line.p == NULL || rec->line.p < s->buf ||
	    rec->line.p >= s->buf + s->cap)
		return;
	ref->valid = true;
	if (s->file != NULL) {
		/* An external file: the offset is in its decompressed text. */
		ref->path = s->file->path;
		ref->dev = s->file->dev;
		ref->ino = s->file->ino;
		ref->offset = s->off;
		ref->length = rec->line.len;
		return;
	}
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
		if (ref.valid && s->file != NULL) {
			/* No archive holds these bytes: a place, no proof. */
			proof = json_pack("{s:s, s:I, s:I, s:s}", "path",
			    s->file->path, "offset", (json_int_t)s->off,
			    "length", (json_int_t)s->used, "note",
			    "an external file, not in the evidence archive: "
			    "no proof");
			json_object_set_new(o, "file", proof);
		} else if (ref.valid) {
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
		if (ref.valid && s->file != NULL) {
			log_escape(s->file->path, strlen(s->file->path), esc,
			    sizeof esc);
			printf("    file %s:%llu:%zu (not in the archive: no "
			    "proof)\n", esc, (unsigned long long)s->off,
			    s->used);
		} else if (ref.valid) {
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
		if (s->seg == NULL || s->at > s->nprime)
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
		/* A segment read only for the parser state: no detection. */
		if (s->seg != NULL && s->at <= s->nprime)
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

static void	rp_prime(struct replay *, struct rp_src *);

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
	if (rp->from != INT64_MIN || rp->to != INT64_MAX) {
		for (j = 0; j < rp->nsrcs; j++)
			rp_prime(rp, &rp->srcs[j]);
	}
	return 0;
}

/*
 * A time range cuts a source's stream: read the segment before its first
 * one in range (same file, contiguous bytes) first, without detection,
 * so the parser state holds what a line in range may be joined with.
 * One segment is the bound: a message whose lines lie further apart
 * joins only when the whole archive is replayed.
 */
static void
rp_prime(struct replay *rp, struct rp_src *s)
{
	const struct mf_seg	*first, *prev;
	size_t			 i;

	if (s->nsegs == 0)
		return;
	first = s->segs[0];
	for (i = (size_t)(first - rp->m->seg); i > 0; i--) {
		prev = &rp->m->seg[i - 1];
		if (strcmp(prev->source, first->source) != 0)
			continue;
		if (prev->deleted || !prev->ok || prev->dev != first->dev ||
		    prev->ino != first->ino || prev->end != first->start)
			return;
		s->segs = reallocarray(s->segs, s->nsegs + 1, sizeof *s->segs);
		if (s->segs == NULL)
			fatal("reallocarray");
		memmove(s->segs + 1, s->segs, s->nsegs * sizeof *s->segs);
		s->segs[0] = prev;
		s->nsegs++;
		s->nprime = 1;
		return;
	}
}

/* Order of external files in a stream: oldest first event, then mtime. */
static int
rp_file_cmp(const void *a, const void *b)
{
	const struct rp_file	*x = a, *y = b;

	if (x->first_us != y->first_us) {
		if (x->first_us == MF_NO_TIME || y->first_us == MF_NO_TIME)
			return x->first_us == MF_NO_TIME ? 1 : -1;
		return x->first_us < y->first_us ? -1 : 1;
	}
	if (x->mtime_us != y->mtime_us)
		return x->mtime_us < y->mtime_us ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Probe external file f with parser p (state from po): the time of its
 * first event, and for "auto" the parser it settles on (*chosen; NULL
 * when none reads it).  Reads at most RP_PROBE_LINES lines.  0, or -1
 * with *why (static text or errno's) when it cannot be read.
 */
#define RP_PROBE_LINES	4096
static int
rp_file_probe(struct replay *rp, struct rp_file *f, const struct parser *p,
    const struct parser_opts *po, const struct parser **chosen,
    const char **why)
{
	const struct parser_stats	*ps;
	struct record			 rec;
	struct stat			 sb;
	gzFile				 gz;
	void				*st;
	char				*line;
	size_t				 len, n;
	int				 fd;
	bool				 isauto = strcmp(p->name, "auto") == 0;

	*chosen = isauto ? NULL : p;
	f->first_us = MF_NO_TIME;
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) != 0) {
		*why = strerror(errno);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -1;
	}
	f->dev = (uint64_t)sb.st_dev;
	f->ino = (uint64_t)sb.st_ino;
	f->size = (uint64_t)sb.st_size;
	f->mtime_us = (int64_t)sb.st_mtim.tv_sec * 1000000 +
	    sb.st_mtim.tv_nsec / 1000;
	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		*why = "cannot be read";
		return -1;
	}
	if ((st = p->state_new(po)) == NULL)
		fatalx("parser state");
	if (p->set_ref != NULL && f->mtime_us != 0)
		p->set_ref(st, f->mtime_us);
	if ((line = malloc(rp->max_line + 2)) == NULL)
		fatal("malloc");
	for (n = 0; n < RP_PROBE_LINES; n++) {
		if (gzgets(gz, line, (int)rp->max_line + 2) == NULL)
			break;
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		record_reset(&rec);
		rec.line.p = line;
		rec.line.len = len;
		if (p->parse(st, line, len, &rec) == 1 && rec.has_ts &&
		    f->first_us == MF_NO_TIME)
			f->first_us = rec.ts_us;
		if (isauto && *chosen == NULL && p->stats != NULL &&
		    (ps = p->stats(st)) != NULL && ps->format != NULL)
			*chosen = parser_lookup(ps->format);
		if (f->first_us != MF_NO_TIME && *chosen != NULL)
			break;
	}
	free(line);
	p->state_free(st);
	gzclose(gz);
	return 0;
}

/*
 * Set up the replay of external files: probe each, group them by the
 * parser that reads them (one stream each), oldest first.  Events carry
 * source name (the configured source the files came from, whose
 * timezone applies), else the parser's name.  0, or -1 after a message.
 */
static int
rp_files_select(struct replay *rp, const char *pname, const char *name,
    const char *zone, char **paths, size_t npaths)
{
	const struct parser		*p, *chosen;
	struct parser_opts		 po;
	struct rp_file			 f;
	struct rp_src			*s;
	struct tz			*ptz = NULL;
	const char			*why, *tzcause;
	char				 esc[1024];
	size_t				 i, j;

	if ((p = parser_lookup(pname)) == NULL) {
		fprintf(stderr, "keibictl replay: --parser %s: no such parser "
		    "(keibictl parse --list names them)\n", pname);
		return -1;
	}
	if (zone != NULL && (ptz = tz_open(zone, &tzcause)) == NULL) {
		fprintf(stderr, "keibictl replay: %s: %s\n", zone, tzcause);
		return -1;
	}
	memset(&po, 0, sizeof po);
	po.tz = ptz;
	po.max_queue = rp->conf->max_queue;
	for (i = 0; i < npaths; i++) {
		memset(&f, 0, sizeof f);
		f.path = paths[i];
		f.order = i;
		if (rp_file_probe(rp, &f, p, &po, &chosen, &why) != 0) {
			rp_file_problem(rp, f.path, why);
			continue;
		}
		if (chosen == NULL) {
			log_escape(f.path, strlen(f.path), esc, sizeof esc);
			fprintf(stderr, "keibictl replay: %s: no parser reads "
			    "its first lines; not replayed (name one with "
			    "--parser)\n", esc);
			rp->file_errors++;
			continue;
		}
		for (j = 0; j < rp->nsrcs; j++)
			if (rp->srcs[j].parser == chosen)
				break;
		if (j == rp->nsrcs) {
			rp->srcs = reallocarray(rp->srcs, rp->nsrcs + 1,
			    sizeof *rp->srcs);
			if (rp->srcs == NULL)
				fatal("reallocarray");
			s = &rp->srcs[rp->nsrcs++];
			memset(s, 0, sizeof *s);
			s->rp = rp;
			s->fd = -1;
			if ((s->own_name = strdup(name != NULL ? name :
			    chosen->name)) == NULL)
				fatal("strdup");
			s->name = s->own_name;
			s->parser = chosen;
			if (zone != NULL && (s->tz = tz_open(zone,
			    &tzcause)) == NULL)
				fatalx("%s: %s", zone, tzcause);
			po.tz = s->tz;
			if ((s->state = s->parser->state_new(&po)) == NULL)
				fatalx("parser state");
			po.tz = ptz;
			s->cap = rp->max_line + RP_BLOCK;
			if ((s->buf = malloc(s->cap)) == NULL ||
			    (s->in = malloc(RP_BLOCK)) == NULL)
				fatal("malloc");
		}
		s = &rp->srcs[j];
		s->files = reallocarray(s->files, s->nfiles + 1,
		    sizeof *s->files);
		if (s->files == NULL)
			fatal("reallocarray");
		if ((f.path = strdup(f.path)) == NULL)
			fatal("strdup");
		s->files[s->nfiles++] = f;
	}
	tz_free(ptz);
	for (j = 0; j < rp->nsrcs; j++)
		qsort(rp->srcs[j].files, rp->srcs[j].nfiles,
		    sizeof *rp->srcs[j].files, rp_file_cmp);
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
		{ "parser", required_argument, NULL, 'P' },
		{ "rules", required_argument, NULL, 'R' },
		{ "timezone", required_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 }
	};
	struct replay	 rp;
	struct incident_stats ist;
	char		**sources = NULL, **rules = NULL, *cause;
	char		 *scratch = NULL;
	const char	*dir = NULL, *tzcause, *pname = NULL, *zone = NULL;
	const struct source_conf *sc = NULL;
	size_t		 nsources = 0, nrules = 0, i, j;
	int64_t		 t;
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
	if ((sources = calloc((size_t)argc + 1, sizeof *sources)) == NULL ||
	    (rules = calloc((size_t)argc + 1, sizeof *rules)) == NULL)
		fatal("calloc");
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sources[nsources++] = optarg;
			break;
		case 'S':
			if (ctl_parse_since(optarg, rp.tz, &t) == 0)
				rp.from = t;
			else
				bad = true;
			break;
		case 'F':
			if (ctl_parse_time(optarg, rp.tz, &rp.from) != 0)
				bad = true;
			break;
		case 'T':
			if (ctl_parse_time(optarg, rp.tz, &rp.to) != 0)
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
		case 'P':
			pname = optarg;
			break;
		case 'R':
			rules[nrules++] = optarg;
			break;
		case 'Z':
			zone = optarg;
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
	if (pname == NULL) {
		/* The archive: the arguments are rule files. */
		for (i = 0; i < (size_t)argc; i++)
			rules[nrules++] = argv[i];
		if (zone != NULL) {
			fprintf(stderr, "keibictl replay: --timezone is for "
			    "external files (--parser)\n");
			bad = true;
		}
	} else if (argc == 0) {
		fprintf(stderr, "keibictl replay: --parser needs the log files "
		    "to replay\n");
		bad = true;
	} else if (nsources > 1 || dir != NULL) {
		fprintf(stderr, "keibictl replay: with --parser, --source names "
		    "the one configured source the files came from, and "
		    "--dir does not apply\n");
		bad = true;
	} else if (nsources == 1 &&
	    (sc = config_source(rp.conf, sources[0])) == NULL) {
		fprintf(stderr, "keibictl replay: --source %s: not in the "
		    "configuration\n", sources[0]);
		bad = true;
	}
	if (bad) {
		fprintf(stderr, "usage: keibictl replay [--source NAME] "
		    "[--since 30d | --from TIME --to TIME]\n"
		    "       [--json] [--no-incidents | --into-store] "
		    "[--dir DIR] [RULES...]\n"
		    "       keibictl replay --parser NAME|auto [--source NAME] "
		    "[--timezone ZONE]\n"
		    "       [--rules PATH]... [--since 30d | --from TIME --to "
		    "TIME] [--json]\n"
		    "       [--no-incidents | --into-store] FILE...\n");
		rc = RP_EXIT_USAGE;
		goto out;
	}
	if (nrules > 0)
		rp.rs = ruleset_load(rules, nrules, &cause);
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
	if (pname == NULL && (rp.m = manifest_load(dir != NULL ? dir :
	    rp.conf->evidence_dir, &cause)) == NULL) {
		fprintf(stderr, "keibictl replay: %s\n", cause);
		free(cause);
		rc = RP_EXIT_USAGE;
		goto out;
	}
	rp.problems = json_array();
	if (rp.m != NULL && rp.m->bad > 0)
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
	if (pname != NULL) {
		if (zone == NULL)
			zone = sc != NULL && sc->timezone != NULL ?
			    sc->timezone : rp.conf->timezone;
		if (rp_files_select(&rp, pname, sc != NULL ? sc->name : NULL,
		    zone, argv, (size_t)argc) != 0) {
			rc = RP_EXIT_USAGE;
			goto out;
		}
	} else if (rp_select(&rp, sources, nsources) != 0) {
		rc = RP_EXIT_USAGE;
		goto out;
	}
	log_set_level(LOG_LVL_ERR);
	{
		uint64_t	total = 0;

		for (i = 0; i < rp.nsrcs; i++) {
			for (j = 0; j < rp.srcs[i].nsegs; j++)
				total += rp.srcs[i].segs[j]->size;
			for (j = 0; j < rp.srcs[i].nfiles; j++)
				total += rp.srcs[i].files[j].size;
		}
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
		printf("replay: %llu %s, %llu lines, %llu events, %llu "
		    "alerts (retrospective: written into the live incident "
		    "store, %llu of them were there already)\n",
		    (unsigned long long)(pname != NULL ? rp.nfiles :
		    rp.segments), pname != NULL ? "files" : "segments",
		    (unsigned long long)rp.lines,
		    (unsigned long long)rp.events,
		    (unsigned long long)rp.alerts,
		    (unsigned long long)ist.duplicates);
	else if (!rp.json)
		printf("replay: %llu %s, %llu lines, %llu events, %llu "
		    "alerts (retrospective: nothing was sent or stored)\n",
		    (unsigned long long)(pname != NULL ? rp.nfiles :
		    rp.segments), pname != NULL ? "files" : "segments",
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
	if (rp.file_errors > 0) {
		if (!rp.json)
			printf("%llu files could not be read, or not to their "
			    "end (listed on standard error)\n",
			    (unsigned long long)rp.file_errors);
		if (rc == 0)
			rc = 1;
	}
out:
	for (i = 0; i < rp.nsrcs; i++) {
		rp_seg_close(&rp.srcs[i]);
		rp.srcs[i].parser->state_free(rp.srcs[i].state);
		tz_free(rp.srcs[i].tz);
		free(rp.srcs[i].segs);
		for (j = 0; j < rp.srcs[i].nfiles; j++)
			free(rp.srcs[i].files[j].path);
		free(rp.srcs[i].files);
		free(rp.srcs[i].own_name);
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
	free(rules);
	config_free(rp.conf);
	return rc;
}

const struct ctl_cmd ctl_cmd_replay = {
	.name = "replay",
	.usage =
"replay [--source NAME] [--since 30d | --from TIME --to TIME] [--json]\n"
"        [--no-incidents | --into-store] [--dir DIR] [RULES...]\n"
"  replay --parser NAME|auto [--source NAME] [--timezone ZONE]\n"
"        [--rules PATH]... [--since 30d | --from TIME --to TIME] [--json]\n"
"        [--no-incidents | --into-store] FILE...\n"
"        run the rules (default: the configuration's) over the archived\n"
"        segments on event time, as keibid would have; print the alerts\n"
"        and the incidents they would have opened, marked retrospective,\n"
"        each alert with its proof; nothing is sent or stored, unless\n"
"        --into-store: then they are opened in the live incident store,\n"
"        marked retrospective (only while keibid is stopped: it owns the\n"
"        store; alerts already there are not counted again); with\n"
"        --parser, over external log files (plain or .gz) instead: the\n"
"        files a parser reads form one stream, oldest first, the streams\n"
"        merged by event time; their alerts name file:offset:length and\n"
"        have no proof",
	.exec = ctl_replay_exec,
};
