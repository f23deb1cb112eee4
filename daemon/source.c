/*
 * source.c: reading one log source line by line into the archive and the
 * detection path.  A file is identified by device, inode and a SHA-256 of
 * its first bytes, never by its name.  When the name points at a new file
 * (rename rotation) the new one is opened at once and queued, and the old
 * one is read until it has been quiet for rotate_wait; a file rotated
 * while keibid was stopped is found among the rotated names beside it
 * (path.N, dateext names, and the same compressed, read through zlib) by
 * identity and drained first.  Files are followed with one inotify
 * instance in the loop (the source's folder and its open file), with a
 * slower safety poll, or polled where inotify cannot be used.  When the file shrinks
 * below what was read, or its first bytes change (copytruncate), the tail
 * still missing is read from its copy at path.N (found by fingerprint),
 * then the later copies of a file cut again meanwhile, the loss is recorded
 * as a gap in the evidence manifest with a warning, and reading starts
 * again at 0.  Queued files are watched too: one cut before its turn is
 * read from its copy first.  Every opening of a file gets a tag of
 * its own: the archive's marks of bytes sealed before a crash are bound to
 * the opening whose bytes they hash to, never to a device and inode alone
 * (inodes are reused, a cut file keeps its inode), move to the copy when
 * the file is cut, and are dropped when the file is closed.  Nothing here
 * may skip a byte silently, and the parse, rule and output path allocates
 * nothing per line.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "evidence.h"
#include "keibid.h"
#include "log.h"
#include "source.h"
#include "tz.h"

static void	source_line(void *, const char *, size_t, size_t, int,
		    uint64_t);

static uint64_t	source_tags;	/* the last tag given to an opened file */

/* Monotonic milliseconds. */
int64_t
source_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An empty, closed file slot. */
static void
source_file_init(struct source_file *f)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
}

/* Close and forget a file slot. */
static void
source_file_close(struct source_file *f)
{
	if (f->gz != NULL)
		gzclose(f->gz);		/* closes fd too */
	else if (f->fd != -1)
		close(f->fd);
	free(f->head);
	free(f->path);
	source_file_init(f);
}

/* Open path as a regular file into f; 0, or -1 (errno kept, f closed). */
static int
source_file_open(struct source_file *f, const char *path)
{
	struct stat	sb;
	int		fd;

	source_file_init(f);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	f->fd = fd;
	f->tag = ++source_tags;
	f->dev = f->id_dev = (uint64_t)sb.st_dev;
	f->ino = f->id_ino = (uint64_t)sb.st_ino;
	f->seen = (uint64_t)sb.st_size;
	if ((f->path = strdup(path)) == NULL)
		fatal("strdup");
	return 0;
}

/* SHA-256 of the first len bytes of fd into md; 0, or -1 if short. */
static int
source_head_hash(int fd, size_t len, unsigned char *md)
{
	unsigned char	buf[SOURCE_FP_MAX];
	unsigned int	mdlen = 0;
	ssize_t		n;

	if (len > sizeof buf)
		len = sizeof buf;
	n = pread(fd, buf, len, 0);
	if (n < 0 || (size_t)n != len)
		return -1;
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest");
	return 0;
}

/* True if fd starts with the bytes of fingerprint fp/fp_len. */
static bool
source_fp_match(int fd, const unsigned char *fp, size_t fp_len)
{
	unsigned char	md[EVP_MAX_MD_SIZE];

	if (fp_len == 0)
		return true;
	if (source_head_hash(fd, fp_len, md) != 0)
		return false;
	return memcmp(md, fp, 32) == 0;
}

/*
 * Open the compressed rotated file path into f: its first uncompressed
 * bytes (at most SOURCE_FP_MAX) are kept in f->head to match fingerprints,
 * and reading starts at its uncompressed byte 0.  0, or -1 (f closed).
 */
static int
source_gz_open(struct source_file *f, const char *path)
{
	int	n;

	if (source_file_open(f, path) != 0)
		return -1;
	if ((f->gz = gzdopen(f->fd, "rb")) == NULL) {
		source_file_close(f);
		return -1;
	}
	gzbuffer(f->gz, 65536);
	if ((f->head = malloc(SOURCE_FP_MAX)) == NULL)
		fatal("malloc");
	n = gzread(f->gz, f->head, SOURCE_FP_MAX);
	if (n < 0 || gzrewind(f->gz) != 0) {
		source_file_close(f);
		return -1;
	}
	f->head_len = (size_t)n;
	f->seen = 0;		/* its uncompressed size is learnt by reading */
	return 0;
}

/* True if the file f starts with the bytes of fingerprint fp/fp_len. */
static bool
source_file_fp_match(const struct source_file *f, const unsigned char *fp,
    size_t fp_len)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (f->gz == NULL)
		return source_fp_match(f->fd, fp, fp_len);
	if (fp_len == 0)
		return true;
	if (fp_len > f->head_len)
		return false;
	if (EVP_Digest(f->head, fp_len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest");
	return memcmp(md, fp, 32) == 0;
}

/* The fingerprint of f's head as far as it goes, into hfp/hfp_len. */
static void
source_file_fp(struct source_file *f)
{
	unsigned int	mdlen = 0;
	size_t		want;

	if (f->gz != NULL) {
		if (EVP_Digest(f->head, f->head_len, f->hfp, &mdlen,
		    EVP_sha256(), NULL) != 1)
			fatalx("EVP_Digest");
		f->hfp_len = f->head_len;
		return;
	}
	want = f->seen < SOURCE_FP_MAX ? (size_t)f->seen : SOURCE_FP_MAX;
	if (source_head_hash(f->fd, want, f->hfp) == 0)
		f->hfp_len = want;
}

/*
 * The inotify watch.  Each watch descriptor may serve several sources (two
 * sources in one folder share the folder's), so the table holds one entry
 * per (descriptor, source) and a descriptor is removed from the kernel
 * with its last entry.  Events only mark sources and call ready(): the
 * reading itself happens in the loop's turn, bounded per source.
 */
#define SOURCE_WATCH_DIR	(IN_MODIFY | IN_CREATE | IN_MOVED_TO | \
	IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define SOURCE_WATCH_FILE	(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | \
	IN_MOVE_SELF | IN_DELETE_SELF)
#define SOURCE_WATCH_READS	64	/* reads of the inotify fd per event */

struct source_watch_ent {
	int		 wd;
	struct source	*src;
};

struct source_watch {
	int			 fd;
	struct event		*ev;
	void			(*ready)(void *);
	void			*arg;
	struct source_watch_ent	*v;
	size_t			 n;
	size_t			 cap;
};

static void	source_watch_cb(evutil_socket_t, short, void *);

struct source_watch *
source_watch_new(struct event_base *base, void (*ready)(void *), void *arg)
{
	struct source_watch	*w;
	int			 fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warnx("inotify is not available (%s); sources are polled "
		    "every %d ms", strerror(errno), SOURCE_POLL_MS);
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL)
		fatal("calloc");
	w->fd = fd;
	w->ready = ready;
	w->arg = arg;
	w->ev = event_new(base, fd, EV_READ | EV_PERSIST, source_watch_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) != 0)
		fatalx("event_new");
	return w;
}

void
source_watch_free(struct source_watch *w)
{
	if (w == NULL)
		return;
	event_free(w->ev);
	close(w->fd);
	free(w->v);
	free(w);
}

/* Add an entry (wd, src). */
static void
source_watch_put(struct source_watch *w, int wd, struct source *src)
{
	if (w->n == w->cap) {
		w->cap = w->cap == 0 ? 16 : w->cap * 2;
		if ((w->v = reallocarray(w->v, w->cap, sizeof *w->v)) == NULL)
			fatal("reallocarray");
	}
	w->v[w->n].wd = wd;
	w->v[w->n].src = src;
	w->n++;
}

/*
 * Drop the entry (wd, src); the kernel's watch goes with the last entry
 * of wd, unless the kernel dropped it already (gone).
 */
static void
source_watch_drop(struct source_watch *w, int wd, struct source *src,
    bool gone)
{
	size_t	i;
	bool	used = false;

	for (i = 0; i < w->n; i++) {
		if (w->v[i].wd == wd && w->v[i].src == src) {
			w->v[i] = w->v[--w->n];
			break;
		}
	}
	for (i = 0; i < w->n; i++)
		if (w->v[i].wd == wd)
			used = true;
	if (!used && !gone)
		inotify_rm_watch(w->fd, wd);
}

/* Stop watching anything for src. */
static void
source_watch_forget(struct source *src)
{
	if (src->watch == NULL)
		return;
	if (src->wd_dir != -1)
		source_watch_drop(src->watch, src->wd_dir, src, false);
	if (src->wd_file != -1)
		source_watch_drop(src->watch, src->wd_file, src, false);
	src->wd_dir = src->wd_file = -1;
	src->wd_tag = 0;
}

/* True if name (in src's folder) is src's file or a rotated name of it. */
static bool
source_watch_name(const struct source *src, const char *name)
{
	size_t	len = strlen(src->base);

	if (strncmp(name, src->base, len) != 0)
		return false;
	return name[len] == '\0' || strchr(".-_", name[len]) != NULL;
}

/*
 * Watch src's folder, and its open file (through /proc/self/fd, so the
 * watch is on the opening's inode whatever its name is now).  A watch
 * that cannot be added (no such folder, the limit of watches reached) is
 * logged and tried again at the next poll; meanwhile the source is polled.
 */
static void
source_watch_sync(struct source *src)
{
	struct source_watch	*w = src->watch;
	char			 p[64];
	int			 wd;

	if (w == NULL || src->follow_poll)
		return;
	if (src->wd_dir == -1) {
		wd = inotify_add_watch(w->fd, src->dir, SOURCE_WATCH_DIR);
		if (wd == -1) {
			log_warnx_rl("source-watch", "%s: cannot watch %s: %s; "
			    "polling it every %d ms", src->name, src->dir,
			    strerror(errno), SOURCE_POLL_MS);
		} else {
			source_watch_put(w, wd, src);
			src->wd_dir = wd;
			log_info("%s: following %s with inotify", src->name,
			    src->path);
		}
	}
	if (src->wd_file != -1 && (src->cur.fd == -1 ||
	    src->wd_tag != src->cur.tag)) {
		source_watch_drop(w, src->wd_file, src, false);
		src->wd_file = -1;
		src->wd_tag = 0;
	}
	if (src->cur.fd != -1 && src->cur.gz == NULL &&
	    src->wd_tag != src->cur.tag) {
		/* Not again for this opening, whether it works or not. */
		src->wd_tag = src->cur.tag;
		snprintf(p, sizeof p, "/proc/self/fd/%d", src->cur.fd);
		if ((wd = inotify_add_watch(w->fd, p, SOURCE_WATCH_FILE)) != -1) {
			source_watch_put(w, wd, src);
			src->wd_file = wd;
		}
	}
}

/* Mark src to be read. */
static void
source_watch_wake(struct source *src)
{
	src->wake = true;
}

/*
 * The inotify fd is readable: mark the sources the events concern.  At
 * most SOURCE_WATCH_READS reads per call; the loop calls again if more
 * is queued.  A queue overflow wakes every source (events were lost).
 */
static void
source_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_watch		*w = arg;
	const struct inotify_event	*e;
	struct source			*src;
	char				 buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t				 n;
	size_t				 i;
	char				*p;
	int				 reads;
	bool				 any = false;

	(void)what;
	for (reads = 0; reads < SOURCE_WATCH_READS; reads++) {
		if ((n = read(fd, buf, sizeof buf)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		for (p = buf; p < buf + n; p += sizeof *e + e->len) {
			e = (const struct inotify_event *)p;
			if (e->mask & IN_Q_OVERFLOW) {
				log_warnx_rl("source-overflow", "inotify "
				    "queue overflow; reading every source");
				for (i = 0; i < w->n; i++)
					source_watch_wake(w->v[i].src);
				any = true;
				continue;
			}
			for (i = 0; i < w->n; i++) {
				src = w->v[i].src;
				if (w->v[i].wd != e->wd)
					continue;
				if (e->mask & IN_IGNORED) {
					/* The kernel dropped it: watch again. */
					if (src->wd_dir == e->wd)
						src->wd_dir = -1;
					if (src->wd_file == e->wd) {
						src->wd_file = -1;
						src->wd_tag = 0;
					}
					source_watch_drop(w, e->wd, src, true);
					source_watch_wake(src);
					any = true;
					i = (size_t)-1;	/* the table moved */
					continue;
				}
				if (e->wd == src->wd_file || e->len == 0 ||
				    source_watch_name(src, e->name)) {
					source_watch_wake(src);
					any = true;
				}
			}
		}
	}
	if (any)
		w->ready(w->arg);
}

/*
 * Skip the compressed file f forward to uncompressed offset; 0, or -1 if
 * it ends before (O(offset) decompression).
 */
static int
source_gz_skip(struct source_file *f, uint64_t offset)
{
	char		buf[65536];
	uint64_t	at = (uint64_t)gztell(f->gz);
	unsigned int	want;
	int		n;

	while (at < offset) {
		want = offset - at < sizeof buf ? (unsigned int)(offset - at) :
		    (unsigned int)sizeof buf;
		if ((n = gzread(f->gz, buf, want)) <= 0)
			return -1;
		at += (uint64_t)n;
	}
	if (at > f->seen)
		f->seen = at;
	return at == offset ? 0 : -1;
}

struct source *
source_new(struct keibid *kd, const struct source_conf *sc,
    const struct config *conf, char **cause)
{
	struct source		*src;
	struct parser_opts	 po;
	const char		*zone, *tzcause = NULL;
	char			*p;
	size_t			 i;

	if ((src = calloc(1, sizeof *src)) == NULL)
		fatal("calloc");
	src->kd = kd;
	src->wd_dir = src->wd_file = -1;
	source_file_init(&src->cur);
	for (i = 0; i < SOURCE_MAX_QUEUE; i++)
		source_file_init(&src->q[i]);
	if ((src->name = strdup(sc->name)) == NULL ||
	    (src->path = strdup(sc->path)) == NULL)
		fatal("strdup");
	src->start_at = sc->start_at;
	src->partial_ms = (int64_t)sc->partial_timeout * 1000;
	src->rotate_ms = (int64_t)sc->rotate_wait * 1000;
	src->follow_poll = sc->follow_poll;
	src->poll_ms = (int64_t)(sc->poll_interval != 0 ? sc->poll_interval :
	    CONFIG_POLL_INTERVAL_DEFAULT) * 1000;
	src->watch = src->follow_poll ? NULL : kd->watch;
	if ((p = strrchr(src->path, '/')) == NULL) {
		src->dir = strdup(".");
		src->base = strdup(src->path);
	} else {
		src->dir = p == src->path ? strdup("/") :
		    strndup(src->path, (size_t)(p - src->path));
		src->base = strdup(p + 1);
	}
	if (src->dir == NULL || src->base == NULL)
		fatal("strdup");
	if ((src->parser = parser_lookup(sc->parser)) == NULL) {
		if (asprintf(cause, "source %s: unknown parser '%s'", sc->name,
		    sc->parser) == -1)
			fatal("asprintf");
		source_free(src);
		return NULL;
	}
	zone = sc->timezone != NULL ? sc->timezone :
	    conf->timezone != NULL ? conf->timezone : "UTC";
	if ((src->tz = tz_open(zone, &tzcause)) == NULL) {
		if (asprintf(cause, "source %s: timezone %s: %s", sc->name,
		    zone, tzcause) == -1)
			fatal("asprintf");
		source_free(src);
		return NULL;
	}
	memset(&po, 0, sizeof po);
	po.tz = src->tz;
	po.max_queue = conf->max_queue;
	if ((src->pstate = src->parser->state_new(&po)) == NULL)
		fatal("%s: parser state", sc->name);
	linebuf_init(&src->lb, conf->max_line != 0 ? conf->max_line :
	    CONFIG_MAX_LINE_DEFAULT, 0);
	return src;
}

void
source_free(struct source *src)
{
	size_t	i;

	if (src == NULL)
		return;
	source_watch_forget(src);
	source_file_close(&src->cur);
	for (i = 0; i < SOURCE_MAX_QUEUE; i++)
		source_file_close(&src->q[i]);
	if (src->pstate != NULL)
		src->parser->state_free(src->pstate);
	tz_free(src->tz);
	if (src->lb.buf != NULL)
		linebuf_free(&src->lb);
	free(src->name);
	free(src->path);
	free(src->dir);
	free(src->base);
	free(src);
}

/* Tell the parser the file's modification time: year-less dates use it. */
static void
source_set_ref(struct source *src, const struct stat *sb)
{
	int64_t	ref;

	if (src->parser->set_ref == NULL)
		return;
	ref = (int64_t)sb->st_mtim.tv_sec * 1000000 +
	    sb->st_mtim.tv_nsec / 1000;
	src->parser->set_ref(src->pstate, ref);
}

/* The archive identity of the current file. */
static void
source_ident(const struct source *src, struct evidence_ident *id)
{
	id->dev = src->cur.id_dev;
	id->ino = src->cur.id_ino;
	id->path = src->cur.path != NULL ? src->cur.path : src->path;
	id->tag = src->cur.tag;
}

/* Marks bound to f no longer apply: it is closed. */
static void
source_forget(struct source *src, const struct source_file *f)
{
	if (src->ev != NULL)
		evidence_forget(src->ev, f->tag);
}

/* True if bytes start..end of fd hash (SHA-256) to sha. */
static bool
source_range_is(int fd, uint64_t start, uint64_t end,
    const unsigned char *sha)
{
	unsigned char	 buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	EVP_MD_CTX	*c;
	uint64_t	 at = start;
	ssize_t		 n;
	size_t		 want;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		fatalx("EVP_MD_CTX");
	while (at < end) {
		want = end - at < sizeof buf ? (size_t)(end - at) : sizeof buf;
		n = pread(fd, buf, want, (off_t)at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			fatalx("EVP_DigestUpdate");
		at += (uint64_t)n;
	}
	if (at == end && EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		fatalx("EVP_DigestFinal_ex");
	EVP_MD_CTX_free(c);
	return at == end && mdlen == 32 && memcmp(md, sha, 32) == 0;
}

/*
 * The same for the uncompressed bytes of the compressed file f, read
 * through an opening of its own so that f's stream is not moved.
 */
static bool
source_gz_range_is(const struct source_file *f, uint64_t start, uint64_t end,
    const unsigned char *sha)
{
	unsigned char	 buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, want;
	char		 p[64];
	EVP_MD_CTX	*c;
	gzFile		 gz;
	uint64_t	 at = start;
	int		 n;

	snprintf(p, sizeof p, "/proc/self/fd/%d", f->fd);
	if ((gz = gzopen(p, "rb")) == NULL && (gz = gzopen(f->path,
	    "rb")) == NULL)
		return false;
	if (gzseek(gz, (z_off_t)start, SEEK_SET) != (z_off_t)start) {
		gzclose(gz);
		return false;
	}
	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		fatalx("EVP_MD_CTX");
	while (at < end) {
		want = end - at < sizeof buf ? (unsigned int)(end - at) :
		    (unsigned int)sizeof buf;
		if ((n = gzread(gz, buf, want)) <= 0)
			break;
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			fatalx("EVP_DigestUpdate");
		at += (uint64_t)n;
	}
	if (at == end && EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		fatalx("EVP_DigestFinal_ex");
	EVP_MD_CTX_free(c);
	gzclose(gz);
	return at == end && mdlen == 32 && memcmp(md, sha, 32) == 0;
}

/*
 * Archive callback: the tag of the open file (current or queued) that
 * holds exactly the bytes of mark m, or 0.  A copy holds its original's
 * bytes under the original's identity.
 */
static uint64_t
source_bind(void *arg, const struct evidence_mark *m)
{
	struct source		*src = arg;
	struct source_file	*f;
	size_t			 i;

	for (i = 0; i <= src->nq; i++) {
		f = i == 0 ? &src->cur : &src->q[i - 1];
		if (f->fd == -1 || f->id_dev != m->dev || f->id_ino != m->ino)
			continue;
		if (f->gz != NULL ? source_gz_range_is(f, m->start, m->end,
		    m->sha) : source_range_is(f->fd, m->start, m->end, m->sha))
			return f->tag;
	}
	return 0;
}

/* Start reading the current file at offset (inside a cut line or not). */
static void
source_start_at(struct source *src, uint64_t offset, bool skipping)
{
	struct stat	sb;

	linebuf_reset(&src->lb, offset, skipping);
	if (src->cur.gz != NULL) {
		if (gzseek(src->cur.gz, (z_off_t)offset, SEEK_SET) == -1) {
			log_warnx("%s: %s: cannot seek to %llu in the "
			    "uncompressed stream", src->name, src->cur.path,
			    (unsigned long long)offset);
			gzrewind(src->cur.gz);
			linebuf_reset(&src->lb, 0, false);
		}
	} else if (lseek(src->cur.fd, (off_t)offset, SEEK_SET) == -1) {
		log_warn("%s: %s: lseek", src->name, src->cur.path);
		linebuf_reset(&src->lb, 0, false);
	}
	if (fstat(src->cur.fd, &sb) == 0)
		source_set_ref(src, &sb);
	src->grew_ms = source_now_ms();
}

/*
 * Record lost bytes of the current file and tell people.  Bytes sealed
 * after the last checkpoint (before a crash) are not lost: the gap starts
 * where they end.
 */
static void
source_gap(struct source *src, uint64_t start, uint64_t end, int64_t bytes,
    uint64_t resume, const char *reason)
{
	struct evidence_ident	id;
	uint64_t		at;

	source_ident(src, &id);
	if (src->ev != NULL &&
	    (at = evidence_archived_end(src->ev, &id, start)) > start) {
		start = at;
		if (end < start)
			end = start;
		if (bytes >= 0)
			bytes = (int64_t)(end - start);
	}
	src->st.gaps++;
	log_warnx("%s: %s: %s: bytes %llu to %llu (%lld bytes%s) may be "
	    "missing; recorded as a gap", src->name, id.path, reason,
	    (unsigned long long)start, (unsigned long long)end,
	    (long long)(bytes < 0 ? 0 : bytes), bytes < 0 ? " or more" : "");
	if (src->ev != NULL)
		evidence_gap(src->ev, &id, start, end, bytes, resume, reason);
}

/* Append f to the queue of files to read next; false if full. */
static bool
source_queue(struct source *src, struct source_file *f)
{
	if (src->nq == SOURCE_MAX_QUEUE) {
		log_warnx_rl("source-queue", "%s: more than %d rotated files "
		    "wait; %s is read later from its name", src->name,
		    SOURCE_MAX_QUEUE, f->path);
		source_forget(src, f);
		source_file_close(f);
		return false;
	}
	src->q[src->nq++] = *f;
	source_file_init(f);
	return true;
}

/* Put f first in the queue (the original after its copy). */
static void
source_queue_front(struct source *src, struct source_file *f)
{
	if (src->nq == SOURCE_MAX_QUEUE) {
		source_forget(src, &src->q[src->nq - 1]);
		source_file_close(&src->q[--src->nq]);
	}
	memmove(&src->q[1], &src->q[0], src->nq * sizeof src->q[0]);
	src->q[0] = *f;
	src->nq++;
	source_file_init(f);
}

/* True if the file dev/ino is open already (current or queued). */
static bool
source_is_open(const struct source *src, uint64_t dev, uint64_t ino)
{
	size_t	i;

	if (src->cur.fd != -1 && src->cur.dev == dev && src->cur.ino == ino)
		return true;
	for (i = 0; i < src->nq; i++)
		if (src->q[i].dev == dev && src->q[i].ino == ino)
			return true;
	return false;
}

/*
 * Look for a copy (copytruncate) at path.1 ..: a file not open yet whose
 * first bytes hash to fp/fp_len and that holds at least need bytes.  The
 * number k of path.k, or -1.
 */
static int
source_find_copy(struct source *src, const unsigned char *fp, size_t fp_len,
    uint64_t need, struct source_file *out)
{
	struct source_file	f;
	char			*p;
	int			 k;

	if (fp_len == 0)
		return -1;
	for (k = 1; k <= SOURCE_MAX_ROTATED; k++) {
		if (asprintf(&p, "%s.%d", src->path, k) == -1)
			fatal("asprintf");
		if (source_file_open(&f, p) != 0) {
			free(p);
			continue;
		}
		free(p);
		if (!source_is_open(src, f.dev, f.ino) && f.seen >= need &&
		    source_fp_match(f.fd, fp, fp_len)) {
			*out = f;
			return k;
		}
		source_file_close(&f);
	}
	return -1;
}

/*
 * The copy being read is at path.k: the files at path.k-1 .. path.1 not
 * open yet are copies of the same file cut again later (while keibid was
 * stopped or behind).  Queue them in front, oldest first, to be read
 * whole before the file itself; what each lacked is not known.
 */
static void
source_queue_newer_copies(struct source *src, int k)
{
	struct source_file	f;
	char			*p;
	size_t			 want;
	int			 j;

	for (j = 1; j < k; j++) {
		if (asprintf(&p, "%s.%d", src->path, j) == -1)
			fatal("asprintf");
		if (source_file_open(&f, p) != 0) {
			free(p);
			continue;
		}
		free(p);
		if (source_is_open(src, f.dev, f.ino)) {
			source_file_close(&f);
			continue;
		}
		log_warnx("%s: %s is a later copy of %s; reading it too",
		    src->name, f.path, src->path);
		f.copy = true;
		f.id_dev = src->cur.id_dev;
		f.id_ino = src->cur.id_ino;
		f.old_seen = SOURCE_UNKNOWN;
		want = f.seen < SOURCE_FP_MAX ? (size_t)f.seen : SOURCE_FP_MAX;
		if (source_head_hash(f.fd, want, f.hfp) == 0)
			f.hfp_len = want;
		source_queue_front(src, &f);
	}
}

/*
 * The current file was cut or rewritten under us (or while keibid was
 * down).  Read its missing tail from a copy if there is one, then record
 * the loss and read it again from 0.
 */
static void
source_truncated(struct source *src, uint64_t size)
{
	struct source_file	copy;
	uint64_t		done = linebuf_done(&src->lb);
	uint64_t		seen = src->cur.seen;
	int			k = -1;

	if (done + linebuf_pending(&src->lb) > seen)
		seen = done + linebuf_pending(&src->lb);
	src->st.truncations++;
	if (!src->cur.copy && (k = source_find_copy(src, src->fp, src->fp_len,
	    done, &copy)) > 0) {
		log_warnx("%s: %s was truncated at %llu bytes; reading its "
		    "tail from the copy %s first", src->name, src->path,
		    (unsigned long long)done, copy.path);
		copy.copy = true;
		copy.id_dev = src->cur.id_dev;
		copy.id_ino = src->cur.id_ino;
		copy.old_seen = seen;
		memcpy(copy.hfp, src->fp, sizeof copy.hfp);
		copy.hfp_len = src->fp_len;
		/* The file holds new bytes now, watched while it waits. */
		src->cur.seen = size;
		src->cur.hfp_len = 0;
		/* Marks of the old bytes hold for the copy, if for anything. */
		if (src->ev != NULL)
			evidence_unbind(src->ev, src->cur.tag);
		source_queue_front(src, &src->cur);
		src->cur = copy;
		source_queue_newer_copies(src, k);
		if (src->ev != NULL)
			evidence_bind_marks(src->ev, source_bind, src);
		source_start_at(src, done, linebuf_skipping(&src->lb));
		return;
	}
	/* The held partial line is the old content's: hand it out. */
	linebuf_flush(&src->lb, source_line, src);
	done = linebuf_done(&src->lb);
	source_gap(src, done, seen > done ? seen : done,
	    (int64_t)(seen > done ? seen - done : 0), 0, "truncated");
	if (src->ev != NULL)
		evidence_seal(src->ev, "truncation");
	/* What was archived of the old bytes says nothing of the new ones. */
	source_forget(src, &src->cur);
	src->fp_len = 0;
	src->cur.seen = size;
	source_start_at(src, 0, false);
}

/* Open the file at the source path for a fresh start (no position). */
static void
source_open_fresh(struct source *src)
{
	uint64_t	size;

	if (source_file_open(&src->cur, src->path) != 0) {
		if (errno != ENOENT)
			log_warnx_rl("source-open", "%s: %s: %s", src->name,
			    src->path, strerror(errno));
		return;
	}
	src->fp_len = 0;
	size = src->cur.seen;
	if (!src->started && src->start_at == START_END && size > 0) {
		source_start_at(src, size, false);
		source_gap(src, 0, size, (int64_t)size, size, "start_at end");
	} else
		source_start_at(src, 0, false);
	src->started = true;
}

/* A rotated file beside the source, found after a stop. */
struct source_cand {
	char		*path;
	const char	*suffix;	/* in path: after the source's name */
	size_t		 slen;		/* suffix length without ".gz" */
	long		 num;		/* path.N: N; else -1 */
	bool		 gz;
	int64_t		 mtime_ns;
};

bool
source_rotated_suffix(const char *sfx, size_t *len, long *num, bool *gz)
{
	size_t	n = strlen(sfx), i;
	bool	digits = true;

	*gz = n > 3 && strcmp(sfx + n - 3, ".gz") == 0;
	if (*gz)
		n -= 3;
	if (n < 2 || strchr(".-_", sfx[0]) == NULL ||
	    sfx[1] < '0' || sfx[1] > '9' ||
	    sfx[n - 1] < '0' || sfx[n - 1] > '9')
		return false;
	for (i = 1; i < n; i++) {
		if (sfx[i] >= '0' && sfx[i] <= '9')
			continue;
		if (strchr(".-_", sfx[i]) == NULL)
			return false;
		digits = false;
	}
	*len = n;
	*num = sfx[0] == '.' && digits && n <= 4 ? strtol(sfx + 1, NULL, 10) :
	    -1;
	return true;
}

/*
 * Order of age, oldest first: path.N by N (higher is older), dated names
 * by their date (the names sort as the dates do), anything else by mtime.
 */
static int
source_cand_cmp(const void *a, const void *b)
{
	const struct source_cand	*x = a, *y = b;
	int				 c;

	if (x->num >= 0 && y->num >= 0 && x->num != y->num)
		return x->num > y->num ? -1 : 1;
	if (x->num < 0 && y->num < 0) {
		c = strncmp(x->suffix, y->suffix, x->slen < y->slen ?
		    x->slen : y->slen);
		if (c == 0 && x->slen != y->slen)
			c = x->slen < y->slen ? -1 : 1;
		if (c != 0)
			return c;
	}
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return (int)x->gz - (int)y->gz;
}

/*
 * The rotated files beside the source (at most SOURCE_MAX_CANDIDATES),
 * oldest first, into *out (free with source_cands_free); their number.
 */
static size_t
source_cands(struct source *src, struct source_cand **out)
{
	struct source_cand	*v = NULL, *c;
	struct dirent		*de;
	struct stat		 sb;
	size_t			 n = 0, blen = strlen(src->base), slen;
	DIR			*d;
	char			*p;
	long			 num;
	bool			 gz;

	*out = NULL;
	if ((d = opendir(src->dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, src->base, blen) != 0 ||
		    !source_rotated_suffix(de->d_name + blen, &slen, &num, &gz))
			continue;
		if (n == SOURCE_MAX_CANDIDATES) {
			log_warnx("%s: more than %d rotated files beside %s; "
			    "some are not looked at", src->name,
			    SOURCE_MAX_CANDIDATES, src->path);
			break;
		}
		if (asprintf(&p, "%s/%s", src->dir, de->d_name) == -1)
			fatal("asprintf");
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(p);
			continue;
		}
		if ((v = reallocarray(v, n + 1, sizeof *v)) == NULL)
			fatal("reallocarray");
		c = &v[n++];
		c->path = p;
		c->suffix = p + strlen(src->dir) + 1 + blen;
		c->slen = slen;
		c->num = num;
		c->gz = gz;
		c->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, source_cand_cmp);
	*out = v;
	return n;
}

static void
source_cands_free(struct source_cand *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* Open rotated file c into f, through zlib if it is compressed; 0 or -1. */
static int
source_cand_open(const struct source_cand *c, struct source_file *f)
{
	return c->gz ? source_gz_open(f, c->path) : source_file_open(f,
	    c->path);
}

/*
 * Find the saved file among the rotated ones, by identity: an
 * uncompressed one by device and inode, with the saved fingerprint and at
 * least offset bytes; else a compressed one whose uncompressed head has
 * the saved fingerprint and that holds at least offset bytes.  Its index
 * in v with *f open, or -1.
 */
static int
source_find_rotated(struct source *src, const struct source_pos *pos,
    struct source_cand *v, size_t n, struct source_file *f)
{
	size_t	i;
	int	found = -1;

	for (i = 0; i < n; i++) {
		if (v[i].gz || source_file_open(f, v[i].path) != 0)
			continue;
		if (f->dev == pos->dev && f->ino == pos->ino &&
		    pos->offset <= f->seen &&
		    source_fp_match(f->fd, src->fp, src->fp_len))
			return (int)i;
		source_file_close(f);
	}
	if (src->fp_len == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!v[i].gz || source_gz_open(f, v[i].path) != 0)
			continue;
		if (source_file_fp_match(f, src->fp, src->fp_len) &&
		    source_gz_skip(f, pos->offset) == 0) {
			if (found == -1)
				found = (int)i;
			else
				log_warnx("%s: %s starts like %s; the older is "
				    "read", src->name, v[i].path, v[found].path);
		}
		source_file_close(f);
	}
	if (found != -1) {
		if (source_gz_open(f, v[found].path) != 0 ||
		    source_gz_skip(f, pos->offset) != 0) {
			source_file_close(f);
			return -1;
		}
	}
	return found;
}

/*
 * The saved file, found as v[k] (in f), becomes the current file at the
 * saved position; the newer rotated files are queued oldest first, then
 * the file at the path (at_path, may be closed).
 */
static void
source_resume_rotated(struct source *src, const struct source_pos *pos,
    struct source_cand *v, size_t n, int k, struct source_file *f,
    struct source_file *at_path)
{
	size_t	i;

	log_info("%s: %s was rotated while keibid was stopped; reading "
	    "the rest of %s first", src->name, src->path, f->path);
	if (f->gz != NULL) {
		/* Its bytes are the saved file's, at their offsets. */
		f->id_dev = pos->dev;
		f->id_ino = pos->ino;
	}
	src->cur = *f;
	source_file_init(f);
	source_start_at(src, pos->offset, pos->skipping);
	for (i = (size_t)k + 1; i < n; i++) {
		if (source_cand_open(&v[i], f) != 0)
			continue;
		if ((at_path->fd != -1 && f->dev == at_path->dev &&
		    f->ino == at_path->ino) ||
		    source_is_open(src, f->dev, f->ino)) {
			source_file_close(f);
			continue;
		}
		source_file_fp(f);
		source_queue(src, f);
	}
	if (at_path->fd != -1) {
		source_file_fp(at_path);
		source_queue(src, at_path);
	}
	src->st.rotations++;
}


/*
 * Nothing of the file at the path had been read when the positions were
 * saved (it was empty: just created, or just cut), so its head cannot
 * tell whether it was cut again while keibid was stopped.  A rotated file
 * beside it written after that save holds bytes nobody has read: the copy
 * a copytruncate made of it.  Such files are read first, oldest first,
 * then the file at the path from 0.  True if there were any (src->cur
 * then set up), false to go on as usual (at_path left as it was).
 */
static bool
source_copy_while_stopped(struct source *src, const struct source_pos *pos,
    struct source_file *at_path)
{
	struct source_cand	*v;
	struct source_file	 f, path;
	struct stat		 sb;
	size_t			 n, i;

	n = source_cands(src, &v);
	for (i = 0; i < n; i++) {
		if (v[i].mtime_ns <= pos->saved_ns)
			continue;
		if (!v[i].gz && stat(v[i].path, &sb) == 0 &&
		    (uint64_t)sb.st_dev == at_path->dev &&
		    (uint64_t)sb.st_ino == at_path->ino)
			continue;
		if (source_cand_open(&v[i], &f) != 0)
			continue;
		log_warnx("%s: nothing of %s had been read when keibid "
		    "stopped, and %s was written since: taken for a copy "
		    "made by copytruncate while keibid was stopped, and read "
		    "first", src->name, src->path, f.path);
		/*
		 * Its bytes were the file's: archived under its identity,
		 * and the cut after it recorded as a copytruncate's.
		 */
		f.copy = true;
		f.old_seen = 0;
		f.id_dev = pos->dev;
		f.id_ino = pos->ino;
		path = *at_path;
		source_file_init(&src->cur);
		linebuf_reset(&src->lb, 0, false);
		source_resume_rotated(src, pos, v, n, (int)i, &f, &path);
		source_cands_free(v, n);
		return true;
	}
	source_cands_free(v, n);
	return false;
}
/* source_open without the marks. */
static int
source_open_pos(struct source *src, const struct source_pos *pos)
{
	struct source_file	 f, at_path;
	struct source_cand	*v;
	size_t			 n;
	int			 k = -1;

	if (src->cur.fd != -1)
		return 0;
	if (pos == NULL || !pos->valid) {
		source_open_fresh(src);
		return src->cur.fd != -1 ? 0 : -1;
	}
	src->started = true;
	memcpy(src->fp, pos->fp, sizeof src->fp);
	src->fp_len = pos->fp_len;
	source_file_init(&at_path);
	if (source_file_open(&at_path, src->path) == 0 &&
	    at_path.dev == pos->dev && at_path.ino == pos->ino) {
		src->cur = at_path;
		if (src->cur.seen < pos->seen)
			src->cur.seen = pos->seen;
		linebuf_reset(&src->lb, pos->offset, pos->skipping);
		if (pos->offset == 0 && src->fp_len == 0 && pos->saved_ns > 0 &&
		    source_copy_while_stopped(src, pos, &at_path))
			return 0;
		if (pos->offset <= at_path.seen &&
		    source_fp_match(src->cur.fd, src->fp, src->fp_len)) {
			source_start_at(src, pos->offset, pos->skipping);
			return 0;
		}
		/*
		 * Rotated and compressed while stopped, and the inode given
		 * again to the new file at the path: the saved file is the
		 * compressed one that starts with its bytes.
		 */
		n = source_cands(src, &v);
		source_file_init(&f);
		if (src->fp_len > 0 &&
		    (k = source_find_rotated(src, pos, v, n, &f)) >= 0 &&
		    f.gz != NULL) {
			log_warnx("%s: %s has the saved inode but other bytes, "
			    "and %s starts with the saved ones: taken as "
			    "rotated (the inode was reused); had it been cut "
			    "by copytruncate, lines written between the copy "
			    "and the cut would be missing", src->name,
			    src->path, f.path);
			src->cur.seen = at_path.seen;
			at_path = src->cur;
			source_file_init(&src->cur);
			linebuf_reset(&src->lb, 0, false);
			source_resume_rotated(src, pos, v, n, k, &f, &at_path);
			source_cands_free(v, n);
			return 0;
		}
		if (k >= 0)
			source_file_close(&f);
		source_cands_free(v, n);
		log_warnx("%s: %s changed while keibid was stopped (now %llu "
		    "bytes, position %llu)", src->name, src->path,
		    (unsigned long long)at_path.seen,
		    (unsigned long long)pos->offset);
		/* What may be lost is of the old bytes, not the new size. */
		src->cur.seen = pos->seen;
		source_truncated(src, at_path.seen);
		return 0;
	}
	/* Rotated while stopped: find the file by identity beside it. */
	n = source_cands(src, &v);
	source_file_init(&f);
	if ((k = source_find_rotated(src, pos, v, n, &f)) >= 0) {
		source_resume_rotated(src, pos, v, n, k, &f, &at_path);
		source_cands_free(v, n);
		return 0;
	}
	source_cands_free(v, n);
	/* Gone: say so, and read what is at the path from its start. */
	src->cur.id_dev = pos->dev;
	src->cur.id_ino = pos->ino;
	linebuf_reset(&src->lb, pos->offset, false);
	source_gap(src, pos->offset, pos->seen > pos->offset ? pos->seen :
	    pos->offset, -1, 0, "file rotated away or removed while keibid "
	    "was stopped and not found");
	src->fp_len = 0;
	if (at_path.fd != -1) {
		src->cur = at_path;
		source_start_at(src, 0, false);
	}
	return src->cur.fd != -1 ? 0 : -1;
}

int
source_open(struct source *src, const struct source_pos *pos)
{
	int	rc;

	if (src->cur.fd != -1)
		return 0;
	rc = source_open_pos(src, pos);
	if (src->ev != NULL)
		evidence_bind_marks(src->ev, source_bind, src);
	return rc;
}

/*
 * Grow the fingerprint over the head bytes read so far, as soon as they
 * are read: a file cut and written again past the position between two
 * looks is known by its head.
 */
static void
source_grow_fp(struct source *src)
{
	uint64_t	done = linebuf_done(&src->lb);
	size_t		want;

	want = done < SOURCE_FP_MAX ? (size_t)done : SOURCE_FP_MAX;
	if (want > src->fp_len && src->cur.fd != -1 && !src->cur.copy &&
	    src->cur.gz == NULL && source_head_hash(src->cur.fd, want, src->fp) == 0)
		src->fp_len = want;
}

void
source_position(struct source *src, struct source_pos *pos)
{
	uint64_t	done = linebuf_done(&src->lb);

	memset(pos, 0, sizeof *pos);
	if (src->cur.fd == -1)
		return;
	source_grow_fp(src);
	pos->valid = true;
	pos->dev = src->cur.id_dev;
	pos->ino = src->cur.id_ino;
	pos->offset = done;
	pos->seen = src->cur.seen > done ? src->cur.seen : done;
	pos->skipping = linebuf_skipping(&src->lb);
	pos->fp_len = src->fp_len;
	memcpy(pos->fp, src->fp, sizeof pos->fp);
}

/* Read up to budget bytes of the open file; 1 more waiting, 0 at EOF. */
static int
source_read_fd(struct source *src, size_t budget)
{
	size_t	avail, done = 0;
	ssize_t	n;
	char	*p;

	while (done < budget) {
		if (src->ev != NULL && evidence_busy(src->ev)) {
			src->blocked = true;
			return 0;
		}
		p = linebuf_space(&src->lb, &avail);
		if (avail > budget - done)
			avail = budget - done;
		if (src->cur.gz != NULL) {
			if (avail > INT_MAX)
				avail = INT_MAX;
			if ((n = gzread(src->cur.gz, p, (unsigned int)avail)) ==
			    -1) {
				log_warnx_rl("source-read", "%s: %s: the "
				    "compressed file is damaged; the rest of "
				    "it cannot be read", src->name,
				    src->cur.path);
				return 0;
			}
			if (n > 0 && linebuf_done(&src->lb) +
			    linebuf_pending(&src->lb) + (uint64_t)n >
			    src->cur.seen)
				src->cur.seen = linebuf_done(&src->lb) +
				    linebuf_pending(&src->lb) + (uint64_t)n;
		} else
			n = read(src->cur.fd, p, avail);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warnx_rl("source-read", "%s: %s: read: %s",
				    src->name, src->cur.path, strerror(errno));
			return 0;
		}
		if (n == 0)
			return 0;
		/*
		 * A copytruncate can cut the file and its writer fill it again
		 * past our position between the look before this read and the
		 * read itself: the bytes would then be the new content's, taken
		 * for the rest of the old.  The head tells: if it is no longer
		 * the one fingerprinted, what was just read is dropped (the
		 * copy, or the file from 0, holds it) and the cut is handled.
		 */
		if (src->cur.gz == NULL && !src->cur.copy && src->fp_len > 0 &&
		    !source_fp_match(src->cur.fd, src->fp, src->fp_len)) {
			struct stat	sb;

			source_truncated(src, fstat(src->cur.fd, &sb) == 0 ?
			    (uint64_t)sb.st_size : 0);
			return 1;
		}
		src->st.bytes += (uint64_t)n;
		src->grew_ms = source_now_ms();
		linebuf_commit(&src->lb, (size_t)n, source_line, src);
		done += (size_t)n;
	}
	return 1;
}

/*
 * How long the current file has not been written to, by its mtime: a
 * rotated file found after a restart is old, one just renamed is not.
 */
static int64_t
source_quiet_ms(const struct source *src)
{
	struct timespec	now;
	struct stat	sb;

	if (fstat(src->cur.fd, &sb) != 0)
		return INT64_MAX;
	clock_gettime(CLOCK_REALTIME, &now);
	return ((int64_t)now.tv_sec - (int64_t)sb.st_mtim.tv_sec) * 1000 +
	    (now.tv_nsec - sb.st_mtim.tv_nsec) / 1000000;
}


/*
 * Files rotated between the last one held and the new file at the path:
 * a reader that fell more than one rotation behind finds the new file
 * where the next generation was, and the ones in between beside it.  The
 * last file held is found among the rotated names by device and inode
 * (or, compressed, by the fingerprint of its head); every rotated file
 * newer than it that is not open yet is queued, oldest first.
 */
static void
source_queue_between(struct source *src, const struct source_file *at_path)
{
	struct source_file	*last, f;
	struct source_cand	*v;
	const unsigned char	*fp;
	struct stat		 sb;
	size_t			 n, i, fp_len;
	long			 k = -1;

	last = src->nq > 0 ? &src->q[src->nq - 1] : &src->cur;
	if (last->fd == -1 || last->copy)
		return;
	fp = last == &src->cur ? src->fp : last->hfp;
	fp_len = last == &src->cur ? src->fp_len : last->hfp_len;
	n = source_cands(src, &v);
	for (i = 0; i < n && k < 0; i++) {
		if (!v[i].gz) {
			if (stat(v[i].path, &sb) == 0 &&
			    (uint64_t)sb.st_dev == last->dev &&
			    (uint64_t)sb.st_ino == last->ino)
				k = (long)i;
		} else if (fp_len > 0 && source_gz_open(&f, v[i].path) == 0) {
			if (source_file_fp_match(&f, fp, fp_len))
				k = (long)i;
			source_file_close(&f);
		}
	}
	for (i = (size_t)(k + 1); k >= 0 && i < n; i++) {
		if (source_cand_open(&v[i], &f) != 0)
			continue;
		if ((!v[i].gz && f.dev == at_path->dev &&
		    f.ino == at_path->ino) || source_is_open(src, f.dev, f.ino)) {
			source_file_close(&f);
			continue;
		}
		log_warnx("%s: %s was rotated more than once since %s was "
		    "opened; reading %s before the new file", src->name,
		    src->path, last->path, f.path);
		source_file_fp(&f);
		if (!source_queue(src, &f))
			break;
		last = &src->q[src->nq - 1];
	}
	source_cands_free(v, n);
}
/* Has the name moved on to a new file?  Open and queue it now. */
static void
source_check_rotation(struct source *src)
{
	struct source_file	f;
	struct stat		sb;
	size_t			i;

	/* The common case, nothing new at the path, costs one stat. */
	if (stat(src->path, &sb) != 0)
		return;
	if (((uint64_t)sb.st_dev == src->cur.dev &&
	    (uint64_t)sb.st_ino == src->cur.ino) || (src->cur.copy &&
	    (uint64_t)sb.st_dev == src->cur.id_dev &&
	    (uint64_t)sb.st_ino == src->cur.id_ino))
		return;
	for (i = 0; i < src->nq; i++)
		if ((uint64_t)sb.st_dev == src->q[i].dev &&
		    (uint64_t)sb.st_ino == src->q[i].ino)
			return;
	if (source_file_open(&f, src->path) != 0)
		return;
	if (f.dev == src->cur.dev && f.ino == src->cur.ino) {
		source_file_close(&f);
		return;
	}
	for (i = 0; i < src->nq; i++) {
		if (f.dev == src->q[i].dev && f.ino == src->q[i].ino) {
			source_file_close(&f);
			return;
		}
	}
	if (src->cur.copy && f.dev == src->cur.id_dev &&
	    f.ino == src->cur.id_ino) {
		source_file_close(&f);
		return;
	}
	log_info("%s: %s was rotated; draining the old file first", src->name,
	    src->path);
	src->st.rotations++;
	source_queue_between(src, &f);
	source_queue(src, &f);
}

/*
 * Watch the files waiting in the queue: one still written to may be cut
 * (copytruncate) before its turn, while an older file or a copy is read.
 * Its head is fingerprinted as it grows; once it is cut, the copy of what
 * it held is found by that fingerprint and queued before it, or, with no
 * copy, the loss is recorded when its turn comes.
 */
static void
source_check_queue(struct source *src)
{
	struct source_file	*f, copy;
	struct stat		 sb;
	uint64_t		 size;
	size_t			 i, want;

	for (i = 0; i < src->nq; i++) {
		f = &src->q[i];
		if (f->copy || f->gz != NULL || fstat(f->fd, &sb) != 0)
			continue;
		size = (uint64_t)sb.st_size;
		if (size < f->seen ||
		    !source_fp_match(f->fd, f->hfp, f->hfp_len)) {
			src->st.truncations++;
			if (src->nq < SOURCE_MAX_QUEUE &&
			    source_find_copy(src, f->hfp, f->hfp_len, 0,
			    &copy) > 0) {
				log_warnx("%s: %s was truncated before it was "
				    "read; reading what it held from the copy "
				    "%s first", src->name, f->path, copy.path);
				copy.copy = true;
				copy.id_dev = f->id_dev;
				copy.id_ino = f->id_ino;
				copy.old_seen = f->seen;
				memcpy(copy.hfp, f->hfp, sizeof copy.hfp);
				copy.hfp_len = f->hfp_len;
				memmove(&src->q[i + 1], &src->q[i],
				    (src->nq - i) * sizeof src->q[0]);
				src->q[i] = copy;
				src->nq++;
				f = &src->q[++i];
			} else if (f->seen > 0) {
				log_warnx("%s: %s was truncated before it was "
				    "read, with no copy", src->name, f->path);
				if (f->seen > f->lost)
					f->lost = f->seen;
				f->lost_n++;
			}
			f->seen = 0;
			f->hfp_len = 0;
		}
		if (size > f->seen)
			f->seen = size;
		want = size < SOURCE_FP_MAX ? (size_t)size : SOURCE_FP_MAX;
		if (want > f->hfp_len &&
		    source_head_hash(f->fd, want, f->hfp) == 0)
			f->hfp_len = want;
	}
}

/* The current file is done: seal its segment and take the next one. */
static void
source_next_file(struct source *src)
{
	uint64_t	done, end;
	bool		was_copy;

	linebuf_flush(&src->lb, source_line, src);
	done = linebuf_done(&src->lb);
	was_copy = src->cur.copy;
	end = src->cur.old_seen > done ? src->cur.old_seen : done;
	if (src->ev != NULL)
		evidence_seal(src->ev, was_copy ? "truncation" : "rotation");
	source_forget(src, &src->cur);
	source_file_close(&src->cur);
	src->cur = src->q[0];
	memmove(&src->q[0], &src->q[1], (src->nq - 1) * sizeof src->q[0]);
	src->nq--;
	source_file_init(&src->q[src->nq]);
	/* After a copy comes the same file, cut: what the copy lacked. */
	if (was_copy && end == SOURCE_UNKNOWN)
		source_gap(src, done, done, -1, 0, "truncated (copytruncate)");
	else if (was_copy)
		source_gap(src, done, end, (int64_t)(end - done), 0,
		    "truncated (copytruncate)");
	if (src->cur.lost_n > 0) {
		source_gap(src, 0, src->cur.lost, src->cur.lost_n == 1 ?
		    (int64_t)src->cur.lost : -1, 0,
		    "truncated before it was read");
		src->cur.lost = 0;
		src->cur.lost_n = 0;
	}
	/* Its head as it was watched in the queue. */
	memcpy(src->fp, src->cur.hfp, sizeof src->fp);
	src->fp_len = src->cur.hfp_len;
	source_start_at(src, 0, false);
}

/* One turn of source_read. */
static int
source_read_turn(struct source *src, size_t budget)
{
	struct stat	sb;
	uint64_t	at;
	int64_t		now;
	int		more;

	src->blocked = false;
	if (src->cur.fd == -1) {
		source_open_fresh(src);
		if (src->cur.fd == -1)
			return 0;
	}
	if (src->nq > 0)
		source_check_queue(src);
	/* A compressed file does not change: nothing to compare. */
	if (src->cur.gz == NULL && fstat(src->cur.fd, &sb) == 0) {
		at = linebuf_done(&src->lb) + linebuf_pending(&src->lb);
		if ((uint64_t)sb.st_size < at || (!src->cur.copy &&
		    !source_fp_match(src->cur.fd, src->fp, src->fp_len))) {
			source_truncated(src, (uint64_t)sb.st_size);
			return 1;
		}
		if ((uint64_t)sb.st_size > src->cur.seen)
			src->cur.seen = (uint64_t)sb.st_size;
		source_set_ref(src, &sb);
	}
	/*
	 * Look for a new file at the path on every turn, not only at the
	 * end of the current one: a reader that lags behind its writer
	 * must hold every generation that rotation makes (an open file
	 * outlives its deletion by a later rotation), or the ones in
	 * between would be lost when it catches up.
	 */
	if (!src->cur.copy)
		source_check_rotation(src);
	more = source_read_fd(src, budget);
	if (src->fp_len < SOURCE_FP_MAX)
		source_grow_fp(src);
	if (more)
		return 1;
	if (src->blocked)
		return 0;

	/* At the end of the current file. */
	now = source_now_ms();
	if (src->nq > 0 && (src->once || src->cur.copy ||
	    src->cur.gz != NULL || source_quiet_ms(src) >= src->rotate_ms)) {
		source_next_file(src);
		return 1;
	}
	if (!src->once && src->partial_ms > 0 &&
	    linebuf_pending(&src->lb) > 0 &&
	    now - src->grew_ms >= src->partial_ms) {
		src->st.partial++;
		linebuf_flush(&src->lb, source_line, src);
	}
	return 0;
}

int
source_read(struct source *src, size_t budget)
{
	int64_t	now = source_now_ms();

	src->wake = false;
	src->next_ms = now + (src->watch != NULL && src->wd_dir != -1 ?
	    src->poll_ms : SOURCE_POLL_MS);
	src->more = source_read_turn(src, budget) != 0;
	source_watch_sync(src);
	return src->more ? 1 : 0;
}

bool
source_due(struct source *src, int64_t now)
{
	if (src->once || src->wake || src->more || src->blocked ||
	    src->nq > 0 || now >= src->next_ms)
		return true;
	/* A held partial line whose timeout ran out. */
	return src->partial_ms > 0 && linebuf_pending(&src->lb) > 0 &&
	    now - src->grew_ms >= src->partial_ms;
}

void
source_dispatch(struct source *src, const char *line, size_t len, int flags)
{
	struct record	*rec = &src->rec;
	int		 rc;

	src->st.lines++;
	record_reset(rec);
	rec->line.p = line;
	rec->line.len = len;
	rec->source = src->name;
	if (flags & LB_TRUNCATED) {
		rec->flags |= REC_TRUNCATED;
		src->st.truncated++;
		log_warnx_rl("source-truncated", "%s: a line longer than %zu "
		    "bytes was cut", src->name, src->lb.max_line);
	}
	if (flags & LB_PARTIAL)
		rec->flags |= REC_PARTIAL;
	/* A trailing \r (CRLF files) is not part of the text. */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	rc = src->parser->parse(src->pstate, line, len, rec);
	if (rc == 0) {
		src->st.ignored++;
		return;
	}
	if (rc < 0) {
		src->st.malformed++;
		return;
	}
	src->st.events++;
	if (!record_has(rec, RF_EVENT_DATASET))
		record_set(rec, RF_EVENT_DATASET, src->parser->dataset,
		    strlen(src->parser->dataset));
	record_finish(rec, &src->kd->conf->internal);
	keibid_event(src->kd, src, rec);
}

/* Linebuf callback: archive the bytes, then evaluate the line. */
static void
source_line(void *arg, const char *p, size_t used, size_t len, int flags,
    uint64_t start)
{
	struct source		*src = arg;
	struct evidence_ident	 id;

	if (src->ev != NULL) {
		source_ident(src, &id);
		evidence_append(src->ev, &id, start, p, used);
	}
	if (flags & LB_SKIP)
		return;
	source_dispatch(src, p, len, flags);
	if (src->ev != NULL && src->rec.has_ts)
		evidence_note_time(src->ev, src->rec.ts_us);
}
