/*
 * evidence.c: the evidence archive.  The loop copies the bytes a source
 * hands out into a chunk of at most EV_CHUNK bytes; a full chunk, a seal,
 * a gap record and a sync are jobs that one worker thread runs in order:
 * it compresses each chunk into one gzip member (with ISA-L's igzip when
 * built with it, zlib otherwise: both write standard gzip members, which
 * zlib reads), hashes the raw and the compressed bytes with SHA-256,
 * appends the member to the segment and feeds the raw bytes, still in
 * memory, to the segment's hunt index; on a seal it fsyncs the segment,
 * writes the index, appends the hash-chained MANIFEST.jsonl entry and the
 * SHA256SUMS line, and only then makes the segment read-only.  A sealed
 * segment is never read back to build anything.
 *
 * A failed write or fsync (a full disk) is never skipped: the file is cut
 * back to its last whole member or entry and the same job is retried every
 * second until it succeeds, so nothing later is written out of order and
 * no checkpoint passes the failure; the loop stops reading when too many
 * bytes wait.  This module must never block the loop on disk after start,
 * never write a byte twice and never delete a segment under legal hold.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "evidence.h"
#include "log.h"
#include "record.h"
#include "segidx.h"

#define EVIDENCE_SEALED_WINDOW	64	/* entries before a checkpoint kept by name */
#define EV_CHUNK	(1024 * 1024)		/* raw bytes per gzip member */
#define EV_INFLIGHT	(32 * 1024 * 1024)	/* raw bytes queued at most */
#define EV_POOL		4			/* idle chunk buffers kept */
#define EV_RETRY_MS	1000
#define EV_DAY		86400

enum ev_job_type {
	JOB_CHUNK,
	JOB_SEAL,
	JOB_ENTRY,		/* a gap record */
	JOB_SYNC,
	JOB_SCAN,		/* retention: find old segments */
	JOB_DELETE
};

struct ev_job {
	enum ev_job_type	 type;
	struct evidence_stream	*s;
	struct ev_job		*next;

	/* JOB_CHUNK */
	char			*data;
	size_t			 len;
	int64_t			 first_us;
	int64_t			 last_us;
	struct evidence_seg	*newseg;	/* begins a segment */
	unsigned char		*gz;		/* compressed, kept for retries */
	size_t			 gzlen;
	size_t			 gzcap;

	/* JOB_SEAL, JOB_ENTRY, JOB_DELETE */
	char			*reason;
	json_t			*entry;
	int			 step;
	char			**files;	/* JOB_DELETE */
	size_t			 nfiles;
	int64_t			 now;
};

struct evidence_stream {
	struct evidence		*ev;
	char			*name;
	size_t			 idx;

	/* Loop side. */
	char			*chunk;
	size_t			 clen;
	int64_t			 cfirst;
	int64_t			 clast;
	bool			 open;
	uint64_t		 dev;
	uint64_t		 ino;
	char			*path;
	uint64_t		 next_off;
	uint64_t		 seg_raw;
	int64_t			 opened;
	bool			 seal_due;
	unsigned int		 seq;
	struct evidence_mark	*marks;		/* archived before a crash */
	size_t			 nmarks;

	/* Worker side. */
	int			 fd;
	EVP_MD_CTX		*hraw;
	EVP_MD_CTX		*hgz;
	struct segidx_build	*ix;		/* the open segment's index */
	struct evidence_seg	 w;
	bool			 wdirty;	/* written since the last fsync */
	char			 raw_hex[65];	/* kept across seal retries */
	char			 gz_hex[65];
};

struct evidence {
	char			*dir;
	size_t			 segment_size;
	int64_t			 segment_age;
	int			 level;
	int64_t			 retention;	/* seconds; 0 keeps forever */
	EVP_PKEY		*key;
	struct event_base	*base;
	struct event		*ev_wake;
	int			 pipe[2];

	struct evidence_stream	**s;
	size_t			 ns;
	json_t			*post;		/* entries after the checkpoint */
	json_t			*sealed;	/* files sealed just before it */

	/* Owned by the worker once started. */
	int			 mfd;		/* MANIFEST.jsonl */
	int			 sfd;		/* SHA256SUMS */
	char			 head[65];
	uint64_t		 entries;
	z_stream		 z;
	bool			 zinit;
#ifdef HAVE_ISAL
	struct isal_zstream	 iz;
	uint8_t			*izbuf;		/* igzip's level buffer */
	uint32_t		 izbufsz;
	uint32_t		 izlevel;
#endif

	/* Shared, under mu. */
	pthread_t		 thread;
	bool			 started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct ev_job		*qhead;
	struct ev_job		*qtail;
	bool			 stop;
	bool			 abandon;
	uint64_t		 inflight;
	bool			 sync_busy;
	bool			 sync_done;
	struct evidence_sync	 sync;
	evidence_sync_cb	 sync_cb;
	void			*sync_arg;
	char			*scan_files;	/* retention candidates, \n-separated */
	bool			 scan_done;
	/*
	 * Buffers of finished chunks, for the next ones: a chunk is 1 MiB
	 * and its member about as much, and a fresh allocation that size is
	 * a fresh mapping, faulted in page by page on every chunk.
	 */
	char			*pool[EV_POOL];	/* raw, EV_CHUNK bytes each */
	size_t			 npool;
	unsigned char		*gzpool[EV_POOL];	/* members */
	size_t			 gzpoolcap[EV_POOL];
	size_t			 ngzpool;
	char			 err[256];
	bool			 err_new;
	bool			 failing;
	struct evidence_stats	 st;

	evidence_wake_cb	 wake_cb;
	void			*wake_arg;
	evidence_hold_cb	 hold_cb;
	void			*hold_arg;
	int64_t			 next_scan;
};

static void	*ev_worker(void *);
static void	 ev_wake(evutil_socket_t, short, void *);
static int	 ev_seal_now(struct evidence *, struct evidence_stream *,
		    const char *, int *);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
static void
ev_hex(const unsigned char *p, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* SHA-256 of p/len as hex into out[65]. */
static void
ev_sha256_hex(const void *p, size_t len, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest");
	ev_hex(md, mdlen, out);
}

/* A new SHA-256 context (fatal on failure). */
static EVP_MD_CTX *
ev_md_new(void)
{
	EVP_MD_CTX	*c;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		fatalx("EVP_MD_CTX");
	return c;
}

/* Finish c into hex out[65] and free it. */
static void
ev_md_done(EVP_MD_CTX *c, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		fatalx("EVP_DigestFinal_ex");
	EVP_MD_CTX_free(c);
	ev_hex(md, mdlen, out);
}

/* Write all of p/len to fd; 0 or -1 with errno. */
static int
ev_write_all(int fd, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the folder that holds path (so a new entry in it is durable). */
static int
ev_fsync_parent(const char *path)
{
	char	*copy, *slash;
	int	 fd, rc = -1;

	if ((copy = strdup(path)) == NULL)
		fatal("strdup");
	if ((slash = strrchr(copy, '/')) != NULL) {
		if (slash == copy)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	fd = open(slash != NULL ? copy : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (fd != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

/* mkdir -p dir (mode 0750), fsyncing each parent that got a new entry. */
static int
ev_mkdirs(const char *dir)
{
	struct stat	 sb;
	char		*copy, *p;
	int		 rc = 0;

	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -1;
	if ((copy = strdup(dir)) == NULL)
		fatal("strdup");
	for (p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/') {
			*p = '\0';
			if (mkdir(copy, 0750) == 0)
				ev_fsync_parent(copy);
			else if (errno != EEXIST)
				rc = -1;
			*p = '/';
			continue;
		}
		if (mkdir(copy, 0750) == 0)
			ev_fsync_parent(copy);
		else if (errno != EEXIST)
			rc = -1;
		break;
	}
	free(copy);
	return rc;
}

/* A malloc'd "dir/rel". */
static char *
ev_abs(const struct evidence *ev, const char *rel)
{
	char	*p;

	if (asprintf(&p, "%s/%s", ev->dir, rel) == -1)
		fatal("asprintf");
	return p;
}

/* UTC ISO 8601 of unix time t into buf. */
static void
ev_iso(int64_t t, char *buf, size_t size)
{
	record_format_time(t * 1000000, 0, 0, buf, size);
}

/* A JSON string of an event time, or null. */
static json_t *
ev_json_time(int64_t us)
{
	char	buf[64];

	if (us == EVIDENCE_NO_TIME)
		return json_null();
	record_format_time(us, 0, 6, buf, sizeof buf);
	return json_string(buf);
}

/*
 * Cut fd back to size after a failed append, and write from there again:
 * a short write moved the file offset, and a retry from it would leave a
 * hole of zeros inside the gzip stream (errors ignored; the retry fails
 * again and comes back here).
 */
static void
ev_cut(int fd, off_t size)
{
	if (ftruncate(fd, size) != 0 || lseek(fd, size, SEEK_SET) == -1) {
		/* Nothing more to do: the retry writes from size again. */
	}
}

/* Remember a worker error for the loop to report; errno is kept. */
static void
ev_fail(struct evidence *ev, const char *what, const char *file)
{
	int	saved = errno;

	pthread_mutex_lock(&ev->mu);
	snprintf(ev->err, sizeof ev->err, "%s %s: %s", what, file,
	    strerror(saved));
	ev->err_new = true;
	ev->st.errors++;
	if (!ev->failing)
		log_warnx("evidence: %s; positions are held until it can be "
		    "written", ev->err);
	ev->failing = true;
	pthread_mutex_unlock(&ev->mu);
	errno = saved;
}

/* Free what a struct evidence_seg holds. */
void
evidence_seg_clear(struct evidence_seg *seg)
{
	free(seg->file);
	free(seg->path);
	memset(seg, 0, sizeof *seg);
	seg->first_us = seg->last_us = EVIDENCE_NO_TIME;
}

/* Copy src into dst (strings duplicated). */
void
evidence_seg_copy(struct evidence_seg *dst, const struct evidence_seg *src)
{
	*dst = *src;
	dst->file = src->file != NULL ? strdup(src->file) : NULL;
	dst->path = src->path != NULL ? strdup(src->path) : NULL;
	if ((src->file != NULL && dst->file == NULL) ||
	    (src->path != NULL && dst->path == NULL))
		fatal("strdup");
}

char *
evidence_chain_line(const char *json, const char *prev, char *head)
{
	size_t	 len = strlen(json);
	char	*body, *line;

	if (len < 2 || json[len - 1] != '}')
		fatalx("evidence_chain_line: not an object");
	if (asprintf(&body, "%.*s%s\"prev\":\"%s\"}", (int)(len - 1), json,
	    len > 2 ? "," : "", prev) == -1)
		fatal("asprintf");
	ev_sha256_hex(body, strlen(body), head);
	body[strlen(body) - 1] = '\0';
	if (asprintf(&line, "%s,\"hash\":\"%s\"}\n", body, head) == -1)
		fatal("asprintf");
	free(body);
	return line;
}

/* Rewrite CHAIN_HEAD with the head and its Ed25519 signature. */
static int
ev_sign_head(struct evidence *ev)
{
	EVP_MD_CTX	*c;
	unsigned char	 sig[128];
	size_t		 siglen = sizeof sig;
	char		*msg, *path, *tmp, *text, hex[2 * sizeof sig + 1];
	char		 now[64];
	int		 fd, rc = -1;

	if (ev->key == NULL)
		return 0;
	if (asprintf(&msg, "keibi chain head\n%llu\n%s\n",
	    (unsigned long long)ev->entries, ev->head) == -1)
		fatal("asprintf");
	if ((c = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new");
	if (EVP_DigestSignInit(c, NULL, NULL, NULL, ev->key) != 1 ||
	    EVP_DigestSign(c, sig, &siglen, (unsigned char *)msg,
	    strlen(msg)) != 1) {
		EVP_MD_CTX_free(c);
		free(msg);
		errno = EINVAL;
		return -1;
	}
	EVP_MD_CTX_free(c);
	free(msg);
	ev_hex(sig, siglen, hex);
	ev_iso(time(NULL), now, sizeof now);
	if (asprintf(&text, "{\"entries\":%llu,\"hash\":\"%s\",\"time\":\"%s\","
	    "\"alg\":\"ed25519\",\"sig\":\"%s\"}\n",
	    (unsigned long long)ev->entries, ev->head, now, hex) == -1)
		fatal("asprintf");
	path = ev_abs(ev, EVIDENCE_HEAD);
	tmp = ev_abs(ev, "." EVIDENCE_HEAD ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd != -1 && ev_write_all(fd, text, strlen(text)) == 0 &&
	    fsync(fd) == 0 && close(fd) == 0 && rename(tmp, path) == 0) {
		ev_fsync_parent(path);
		rc = 0;
	} else {
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	free(text);
	free(path);
	free(tmp);
	return rc;
}

/* Append obj (without prev/hash) to the manifest; 0 or -1 (cut back). */
static int
ev_manifest_append(struct evidence *ev, json_t *obj)
{
	struct stat	 sb;
	char		*s, *line, head[65];
	int		 rc = -1;

	if ((s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		fatalx("json_dumps");
	line = evidence_chain_line(s, ev->head, head);
	free(s);
	if (fstat(ev->mfd, &sb) != 0)
		goto out;
	if (ev_write_all(ev->mfd, line, strlen(line)) != 0 ||
	    fsync(ev->mfd) != 0) {
		ev_fail(ev, "append", EVIDENCE_MANIFEST);
		ev_cut(ev->mfd, sb.st_size);
		goto out;
	}
	memcpy(ev->head, head, sizeof ev->head);
	ev->entries++;
	if (ev_sign_head(ev) != 0)
		ev_fail(ev, "sign", EVIDENCE_HEAD);
	rc = 0;
out:
	free(line);
	return rc;
}

/* Append "hash  file" to SHA256SUMS; 0 or -1 (cut back). */
static int
ev_sums_append(struct evidence *ev, const char *sha, const char *file)
{
	struct stat	 sb;
	char		*line;
	int		 rc = 0;

	if (asprintf(&line, "%s  %s\n", sha, file) == -1)
		fatal("asprintf");
	if (fstat(ev->sfd, &sb) != 0 ||
	    ev_write_all(ev->sfd, line, strlen(line)) != 0 ||
	    fsync(ev->sfd) != 0) {
		ev_fail(ev, "append", EVIDENCE_SUMS);
		ev_cut(ev->sfd, sb.st_size);
		rc = -1;
	}
	free(line);
	return rc;
}

/* Open the segment a chunk begins (worker); 0 or -1. */
static int
ev_seg_begin(struct evidence *ev, struct evidence_stream *s,
    const struct evidence_seg *seg)
{
	char	*abs, *dir, *slash;

	abs = ev_abs(ev, seg->file);
	if ((dir = strdup(abs)) == NULL)
		fatal("strdup");
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (ev_mkdirs(dir) != 0) {
		ev_fail(ev, "mkdir", dir);
		free(dir);
		free(abs);
		return -1;
	}
	free(dir);
	s->fd = open(abs, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (s->fd == -1 || ev_fsync_parent(abs) != 0) {
		ev_fail(ev, "create", seg->file);
		if (s->fd != -1) {
			close(s->fd);
			s->fd = -1;
			unlink(abs);
		}
		free(abs);
		return -1;
	}
	free(abs);
	evidence_seg_clear(&s->w);
	evidence_seg_copy(&s->w, seg);
	s->hraw = ev_md_new();
	s->hgz = ev_md_new();
	segidx_build_free(s->ix);
	s->ix = segidx_build_new();
	s->wdirty = true;
	return 0;
}

/* A buffer of EV_CHUNK bytes for the loop's next chunk. */
static char *
ev_chunk_get(struct evidence *ev)
{
	char	*p = NULL;

	pthread_mutex_lock(&ev->mu);
	if (ev->npool > 0)
		p = ev->pool[--ev->npool];
	pthread_mutex_unlock(&ev->mu);
	if (p == NULL && (p = malloc(EV_CHUNK)) == NULL)
		fatal("malloc");
	return p;
}

/* j->gz: a buffer of at least cap bytes (its size in j->gzcap). */
static void
ev_gz_get(struct evidence *ev, struct ev_job *j, size_t cap)
{
	size_t	i;

	j->gz = NULL;
	pthread_mutex_lock(&ev->mu);
	for (i = 0; i < ev->ngzpool; i++)
		if (ev->gzpoolcap[i] >= cap) {
			j->gz = ev->gzpool[i];
			j->gzcap = ev->gzpoolcap[i];
			ev->ngzpool--;
			ev->gzpool[i] = ev->gzpool[ev->ngzpool];
			ev->gzpoolcap[i] = ev->gzpoolcap[ev->ngzpool];
			break;
		}
	pthread_mutex_unlock(&ev->mu);
	if (j->gz == NULL) {
		if ((j->gz = malloc(cap)) == NULL)
			fatal("malloc");
		j->gzcap = cap;
	}
}

#ifdef HAVE_ISAL
/*
 * igzip's level for a gzip level: its 1 writes logs about as small as
 * zlib's 1 (a little smaller) several times faster; its 2 and 3 come near
 * zlib's middle levels.
 */
static void
ev_isal_setup(struct evidence *ev)
{
	if (ev->level <= 1) {
		ev->izlevel = 1;
		ev->izbufsz = ISAL_DEF_LVL1_DEFAULT;
	} else if (ev->level <= 5) {
		ev->izlevel = 2;
		ev->izbufsz = ISAL_DEF_LVL2_DEFAULT;
	} else {
		ev->izlevel = 3;
		ev->izbufsz = ISAL_DEF_LVL3_DEFAULT;
	}
	if ((ev->izbuf = malloc(ev->izbufsz)) == NULL)
		fatal("malloc");
}

/*
 * Compress one chunk into one gzip member with igzip (kept in the job).
 * The output grows if a chunk does not compress at all.
 */
static void
ev_compress(struct evidence *ev, struct ev_job *j)
{
	struct isal_zstream	*z = &ev->iz;
	size_t			 cap = j->len + j->len / 8 + 1024;
	uint8_t			*out;
	int			 rc;

	if (ev->izbuf == NULL)
		ev_isal_setup(ev);
	ev_gz_get(ev, j, cap);
	cap = j->gzcap;
	isal_deflate_init(z);
	z->level = ev->izlevel;
	z->level_buf = ev->izbuf;
	z->level_buf_size = ev->izbufsz;
	z->gzip_flag = IGZIP_GZIP;
	z->flush = NO_FLUSH;
	z->end_of_stream = 1;
	z->next_in = (uint8_t *)j->data;
	z->avail_in = (uint32_t)j->len;
	z->next_out = j->gz;
	z->avail_out = (uint32_t)cap;
	for (;;) {
		out = z->next_out;
		if ((rc = isal_deflate(z)) != COMP_OK)
			fatalx("isal_deflate: %d", rc);
		if (z->internal_state.state == ZSTATE_END)
			break;
		if (z->avail_out != 0) {
			if (z->next_out == out && z->avail_in == 0)
				fatalx("isal_deflate: no progress");
			continue;
		}
		if ((j->gz = realloc(j->gz, cap * 2)) == NULL)
			fatal("realloc");
		z->next_out = j->gz + cap;
		z->avail_out = (uint32_t)cap;
		cap *= 2;
		j->gzcap = cap;
	}
	j->gzlen = (size_t)(z->next_out - j->gz);
}
#else
/* Compress one chunk into one gzip member (kept in the job). */
static void
ev_compress(struct evidence *ev, struct ev_job *j)
{
	uLong	bound;
	int	rc;

	if (!ev->zinit) {
		memset(&ev->z, 0, sizeof ev->z);
		if (deflateInit2(&ev->z, ev->level, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			fatalx("deflateInit2");
		ev->zinit = true;
	} else if (deflateReset(&ev->z) != Z_OK)
		fatalx("deflateReset");
	bound = deflateBound(&ev->z, (uLong)j->len) + 64;
	ev_gz_get(ev, j, bound);
	ev->z.next_in = (Bytef *)j->data;
	ev->z.avail_in = (uInt)j->len;
	ev->z.next_out = j->gz;
	ev->z.avail_out = (uInt)bound;
	rc = deflate(&ev->z, Z_FINISH);
	if (rc != Z_STREAM_END)
		fatalx("deflate: %d", rc);
	j->gzlen = bound - ev->z.avail_out;
}
#endif

/* Count newlines in p/len. */
static uint64_t
ev_count_lines(const char *p, size_t len)
{
	const char	*end = p + len, *nl;
	uint64_t	 n = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return n;
}

/* Run a chunk job: begin the segment if asked, append one member. */
static int
ev_job_chunk(struct evidence *ev, struct ev_job *j)
{
	struct evidence_stream	*s = j->s;
	struct stat		 sb;

	if (j->newseg != NULL && s->fd == -1 &&
	    ev_seg_begin(ev, s, j->newseg) != 0)
		return -1;
	if (s->fd == -1)
		fatalx("evidence: chunk without a segment");
	if (j->gz == NULL)
		ev_compress(ev, j);
	if (fstat(s->fd, &sb) != 0 ||
	    ev_write_all(s->fd, j->gz, j->gzlen) != 0) {
		ev_fail(ev, "write", s->w.file);
		ev_cut(s->fd, (off_t)s->w.size);
		return -1;
	}
	if (EVP_DigestUpdate(s->hraw, j->data, j->len) != 1 ||
	    EVP_DigestUpdate(s->hgz, j->gz, j->gzlen) != 1)
		fatalx("EVP_DigestUpdate");
	if (s->ix != NULL)
		segidx_build_add(s->ix, j->data, j->len);
	s->w.raw += j->len;
	s->w.size += j->gzlen;
	s->w.lines += ev_count_lines(j->data, j->len);
	if (j->first_us != EVIDENCE_NO_TIME) {
		if (s->w.first_us == EVIDENCE_NO_TIME ||
		    j->first_us < s->w.first_us)
			s->w.first_us = j->first_us;
		if (s->w.last_us == EVIDENCE_NO_TIME ||
		    j->last_us > s->w.last_us)
			s->w.last_us = j->last_us;
	}
	s->wdirty = true;
	pthread_mutex_lock(&ev->mu);
	ev->st.raw += j->len;
	ev->st.gz += j->gzlen;
	pthread_mutex_unlock(&ev->mu);
	return 0;
}

/*
 * Seal the open segment of s: fsync, manifest entry, SHA256SUMS line,
 * read-only.  *step keeps the progress across retries.  0 or -1.
 */
static int
ev_seal_now(struct evidence *ev, struct evidence_stream *s,
    const char *reason, int *step)
{
	char		*raw_hex = s->raw_hex, *gz_hex = s->gz_hex;
	json_t		*o;
	char		 now[64];
	int64_t		 t = time(NULL);

	if (s->fd == -1)
		return 0;
	if (*step == 0) {
		if (fsync(s->fd) != 0) {
			ev_fail(ev, "fsync", s->w.file);
			return -1;
		}
		ev_md_done(s->hraw, raw_hex);
		ev_md_done(s->hgz, gz_hex);
		s->hraw = s->hgz = NULL;
		*step = 1;
	}
	if (*step == 1) {
		ev_iso(t, now, sizeof now);
		o = json_object();
		json_object_set_new(o, "type", json_string("segment"));
		json_object_set_new(o, "source", json_string(s->name));
		json_object_set_new(o, "file", json_string(s->w.file));
		json_object_set_new(o, "path", json_string(s->w.path != NULL ?
		    s->w.path : ""));
		json_object_set_new(o, "dev", json_integer((json_int_t)s->w.dev));
		json_object_set_new(o, "inode",
		    json_integer((json_int_t)s->w.ino));
		json_object_set_new(o, "offset_start",
		    json_integer((json_int_t)s->w.offset_start));
		json_object_set_new(o, "offset_end",
		    json_integer((json_int_t)(s->w.offset_start + s->w.raw)));
		json_object_set_new(o, "first_time", ev_json_time(s->w.first_us));
		json_object_set_new(o, "last_time", ev_json_time(s->w.last_us));
		json_object_set_new(o, "lines",
		    json_integer((json_int_t)s->w.lines));
		json_object_set_new(o, "bytes", json_integer((json_int_t)s->w.raw));
		json_object_set_new(o, "sha256_raw", json_string(raw_hex));
		json_object_set_new(o, "sha256_gz", json_string(gz_hex));
		json_object_set_new(o, "size", json_integer((json_int_t)s->w.size));
		json_object_set_new(o, "sealed", json_string(now));
		json_object_set_new(o, "sealed_unix", json_integer(t));
		json_object_set_new(o, "reason", json_string(reason));
		/*
		 * keibictl hunt's index, from the bytes the chunks fed it; a
		 * failure only leaves it out.
		 */
		if (s->ix != NULL)
			(void)segidx_seal(s->ix, ev->dir, s->w.file, o);
		if (ev_manifest_append(ev, o) != 0) {
			json_decref(o);
			return -1;
		}
		json_decref(o);
		*step = 2;
	}
	if (*step == 2) {
		if (ev_sums_append(ev, gz_hex, s->w.file) != 0)
			return -1;
		*step = 3;
	}
	if (fchmod(s->fd, 0440) != 0) {
		/* The manifest holds it; verify reports a writable segment. */
	}
	close(s->fd);
	s->fd = -1;
	segidx_build_free(s->ix);
	s->ix = NULL;
	evidence_seg_clear(&s->w);
	pthread_mutex_lock(&ev->mu);
	ev->st.sealed++;
	ev->st.last_seal = (int64_t)time(NULL);
	pthread_mutex_unlock(&ev->mu);
	return 0;
}

/* fsync every segment written since the last sync; 0 or -1. */
static int
ev_job_sync(struct evidence *ev)
{
	size_t	i;

	for (i = 0; i < ev->ns; i++) {
		struct evidence_stream	*s = ev->s[i];

		if (s->fd == -1 || !s->wdirty)
			continue;
		if (fdatasync(s->fd) != 0) {
			ev_fail(ev, "fsync", s->w.file);
			return -1;
		}
		s->wdirty = false;
	}
	return 0;
}

/* Take the sync result for the loop (under mu). */
static void
ev_sync_publish(struct evidence *ev)
{
	struct evidence_sync	*y = &ev->sync;
	size_t			 i;

	y->ok = true;
	y->entries = ev->entries;
	y->n = ev->ns;
	if ((y->st = calloc(ev->ns + 1, sizeof *y->st)) == NULL)
		fatal("calloc");
	for (i = 0; i < ev->ns; i++) {
		struct evidence_stream	*s = ev->s[i];

		if (s->fd != -1)
			evidence_seg_copy(&y->st[i].seg, &s->w);
		else
			evidence_seg_clear(&y->st[i].seg);
	}
	ev->sync_done = true;
}

/* Append a "deleted" entry per file and drop them from SHA256SUMS. */
static int
ev_job_delete(struct evidence *ev, struct ev_job *j)
{
	FILE	*in;
	char	*line = NULL, *sums, *tmp, *abs;
	size_t	 cap = 0, i, k;
	ssize_t	 n;
	int	 fd, rc = 0;
	json_t	*o;
	char	 now[64];

	ev_iso(j->now, now, sizeof now);
	for (i = (size_t)j->step; i < j->nfiles; i++) {
		abs = ev_abs(ev, j->files[i]);
		if (unlink(abs) != 0 && errno != ENOENT) {
			ev_fail(ev, "unlink", j->files[i]);
			free(abs);
			continue;
		}
		free(abs);
		/* The segment's search index goes with it. */
		if (asprintf(&abs, "%s/%s.idx", ev->dir, j->files[i]) == -1)
			fatal("asprintf");
		if (unlink(abs) != 0 && errno != ENOENT)
			log_warn("evidence: unlink %s", abs);
		free(abs);
		o = json_object();
		json_object_set_new(o, "type", json_string("deleted"));
		json_object_set_new(o, "file", json_string(j->files[i]));
		json_object_set_new(o, "reason", json_string("retention"));
		json_object_set_new(o, "time", json_string(now));
		if (ev_manifest_append(ev, o) != 0) {
			json_decref(o);
			return -1;
		}
		json_decref(o);
		j->step = (int)i + 1;
		pthread_mutex_lock(&ev->mu);
		ev->st.deleted++;
		pthread_mutex_unlock(&ev->mu);
	}
	/* SHA256SUMS lists the files that exist: rewrite it without them. */
	sums = ev_abs(ev, EVIDENCE_SUMS);
	tmp = ev_abs(ev, "." EVIDENCE_SUMS ".tmp");
	if ((in = fopen(sums, "re")) == NULL) {
		free(sums);
		free(tmp);
		return 0;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	while (fd != -1 && (n = getline(&line, &cap, in)) > 0) {
		bool	drop = false;

		for (k = 0; k < j->nfiles && !drop; k++) {
			size_t	flen = strlen(j->files[k]);

			if ((size_t)n == 66 + flen + 1 &&
			    memcmp(line + 66, j->files[k], flen) == 0)
				drop = true;
		}
		if (!drop && ev_write_all(fd, line, (size_t)n) != 0)
			rc = -1;
	}
	free(line);
	fclose(in);
	if (fd == -1 || rc != 0 || fsync(fd) != 0 || rename(tmp, sums) != 0) {
		ev_fail(ev, "rewrite", EVIDENCE_SUMS);
		if (fd != -1)
			close(fd);
		unlink(tmp);
		free(sums);
		free(tmp);
		return 0;	/* the entries are written; sums mend later */
	}
	ev_fsync_parent(sums);
	close(ev->sfd);
	ev->sfd = open(sums, O_WRONLY | O_APPEND | O_CLOEXEC);
	fchmod(ev->sfd, 0440);
	free(sums);
	free(tmp);
	return 0;
}

/* Retention scan: files of segments sealed before j->now - retention. */
static void
ev_job_scan(struct evidence *ev, struct ev_job *j)
{
	FILE		*f;
	json_t		*o, *gone;
	json_error_t	 err;
	char		*line = NULL, *list = NULL, *abs;
	size_t		 cap = 0, llen = 0;
	ssize_t		 n;
	const char	*file, *type;
	void		*it;

	abs = ev_abs(ev, EVIDENCE_MANIFEST);
	f = fopen(abs, "re");
	free(abs);
	if (f == NULL)
		return;
	gone = json_object();
	/* First the deleted ones, then old segments not yet deleted. */
	while ((n = getline(&line, &cap, f)) > 0) {
		if ((o = json_loadb(line, (size_t)n, 0, &err)) == NULL)
			continue;
		type = json_string_value(json_object_get(o, "type"));
		file = json_string_value(json_object_get(o, "file"));
		if (type != NULL && file != NULL) {
			if (strcmp(type, "deleted") == 0)
				json_object_set_new(gone, file, json_true());
			else if (strcmp(type, "segment") == 0 &&
			    json_integer_value(json_object_get(o,
			    "sealed_unix")) < j->now - ev->retention)
				json_object_set_new(gone, file, json_false());
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	json_object_foreach_safe(gone, it, file, o) {
		if (json_is_true(o))
			continue;
		if ((list = realloc(list, llen + strlen(file) + 2)) == NULL)
			fatal("realloc");
		memcpy(list + llen, file, strlen(file));
		llen += strlen(file);
		list[llen++] = '\n';
		list[llen] = '\0';
	}
	json_decref(gone);
	pthread_mutex_lock(&ev->mu);
	free(ev->scan_files);
	ev->scan_files = list;
	ev->scan_done = true;
	pthread_mutex_unlock(&ev->mu);
}

/* Free a job and what it holds; its buffers go back to the pools. */
static void
ev_job_free(struct evidence *ev, struct ev_job *j)
{
	size_t	i;

	if (j == NULL)
		return;
	if (j->type == JOB_CHUNK && (j->data != NULL || j->gz != NULL)) {
		pthread_mutex_lock(&ev->mu);
		if (j->data != NULL && ev->npool < EV_POOL) {
			ev->pool[ev->npool++] = j->data;
			j->data = NULL;
		}
		if (j->gz != NULL && ev->ngzpool < EV_POOL) {
			ev->gzpool[ev->ngzpool] = j->gz;
			ev->gzpoolcap[ev->ngzpool++] = j->gzcap;
			j->gz = NULL;
		}
		pthread_mutex_unlock(&ev->mu);
	}
	free(j->data);
	free(j->gz);
	if (j->newseg != NULL) {
		evidence_seg_clear(j->newseg);
		free(j->newseg);
	}
	free(j->reason);
	if (j->entry != NULL)
		json_decref(j->entry);
	for (i = 0; i < j->nfiles; i++)
		free(j->files[i]);
	free(j->files);
	free(j);
}

/* Run one job; 0 done, -1 to retry. */
static int
ev_job_run(struct evidence *ev, struct ev_job *j)
{
	switch (j->type) {
	case JOB_CHUNK:
		return ev_job_chunk(ev, j);
	case JOB_SEAL:
		return ev_seal_now(ev, j->s, j->reason, &j->step);
	case JOB_ENTRY:
		if (ev_manifest_append(ev, j->entry) != 0)
			return -1;
		pthread_mutex_lock(&ev->mu);
		ev->st.gaps++;
		pthread_mutex_unlock(&ev->mu);
		return 0;
	case JOB_SYNC:
		if (ev_job_sync(ev) != 0)
			return -1;
		pthread_mutex_lock(&ev->mu);
		ev_sync_publish(ev);
		pthread_mutex_unlock(&ev->mu);
		return 0;
	case JOB_SCAN:
		ev_job_scan(ev, j);
		return 0;
	case JOB_DELETE:
		return ev_job_delete(ev, j);
	}
	return 0;
}

/* Tell the loop that something finished. */
static void
ev_notify(struct evidence *ev)
{
	char	c = 1;

	if (ev->pipe[1] != -1 && write(ev->pipe[1], &c, 1) == -1) {
		/* Full pipe: the loop is already due to wake. */
	}
}

/* The worker: run jobs in order, retrying a failed one every second. */
static void *
ev_worker(void *arg)
{
	struct evidence	*ev = arg;
	struct ev_job	*j;
	struct timespec	 ts;
	size_t		 len;

	pthread_mutex_lock(&ev->mu);
	for (;;) {
		while (ev->qhead == NULL && !ev->stop)
			pthread_cond_wait(&ev->cv, &ev->mu);
		if (ev->qhead == NULL || ev->abandon)
			break;
		j = ev->qhead;
		pthread_mutex_unlock(&ev->mu);
		while (ev_job_run(ev, j) != 0) {
			ev_notify(ev);
			pthread_mutex_lock(&ev->mu);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += EV_RETRY_MS / 1000;
			if (!ev->abandon)
				pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
			if (ev->abandon) {
				pthread_mutex_unlock(&ev->mu);
				goto out;
			}
			pthread_mutex_unlock(&ev->mu);
		}
		len = j->type == JOB_CHUNK ? j->len : 0;
		pthread_mutex_lock(&ev->mu);
		if (ev->failing) {
			ev->failing = false;
			log_info("evidence: writing again after an error");
		}
		ev->qhead = j->next;
		if (ev->qhead == NULL)
			ev->qtail = NULL;
		ev->inflight -= len;
		pthread_mutex_unlock(&ev->mu);
		ev_job_free(ev, j);
		ev_notify(ev);
		pthread_mutex_lock(&ev->mu);
	}
	pthread_mutex_unlock(&ev->mu);
out:
	ev_notify(ev);
	return NULL;
}

/* Queue a job (loop side). */
static void
ev_push(struct evidence *ev, struct ev_job *j)
{
	pthread_mutex_lock(&ev->mu);
	if (j->type == JOB_CHUNK)
		ev->inflight += j->len;
	if (ev->qtail != NULL)
		ev->qtail->next = j;
	else
		ev->qhead = j;
	ev->qtail = j;
	pthread_cond_signal(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
	/* Before the worker starts (recovery, tools) run jobs in place. */
	if (!ev->started) {
		while (ev->qhead != NULL) {
			j = ev->qhead;
			if (ev_job_run(ev, j) != 0)
				break;
			ev->qhead = j->next;
			if (ev->qhead == NULL)
				ev->qtail = NULL;
			if (j->type == JOB_CHUNK)
				ev->inflight -= j->len;
			ev_job_free(ev, j);
		}
	}
}

/* A new job of type for s. */
static struct ev_job *
ev_job_new(enum ev_job_type type, struct evidence_stream *s)
{
	struct ev_job	*j;

	if ((j = calloc(1, sizeof *j)) == NULL)
		fatal("calloc");
	j->type = type;
	j->s = s;
	j->first_us = j->last_us = EVIDENCE_NO_TIME;
	return j;
}

/* Hand the current chunk of s to the worker. */
static void
ev_flush_chunk(struct evidence_stream *s, struct evidence_seg *newseg)
{
	struct ev_job	*j;

	if (s->clen == 0 && newseg == NULL)
		return;
	j = ev_job_new(JOB_CHUNK, s);
	j->data = s->chunk;
	j->len = s->clen;
	j->first_us = s->cfirst;
	j->last_us = s->clast;
	j->newseg = newseg;
	s->chunk = NULL;
	s->clen = 0;
	s->cfirst = s->clast = EVIDENCE_NO_TIME;
	ev_push(s->ev, j);
}

/* Start a new segment of s for file id at offset (loop side). */
static void
ev_seg_start(struct evidence_stream *s, const struct evidence_ident *id,
    uint64_t offset)
{
	struct evidence		*ev = s->ev;
	struct evidence_seg	*seg;
	struct stat		 sb;
	struct tm		 tm;
	time_t			 now = time(NULL);
	char			 day[32], stamp[32], *abs;

	gmtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y/%m/%d", &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	if ((seg = calloc(1, sizeof *seg)) == NULL)
		fatal("calloc");
	evidence_seg_clear(seg);
	for (;;) {
		free(seg->file);
		if (asprintf(&seg->file, "%s/%s/%s-%s-%u.gz", s->name, day,
		    s->name, stamp, s->seq++) == -1)
			fatal("asprintf");
		abs = ev_abs(ev, seg->file);
		if (stat(abs, &sb) != 0) {
			free(abs);
			break;
		}
		free(abs);
	}
	if ((seg->path = strdup(id->path != NULL ? id->path : "")) == NULL)
		fatal("strdup");
	seg->dev = id->dev;
	seg->ino = id->ino;
	seg->offset_start = offset;
	seg->opened = (int64_t)now;
	s->open = true;
	s->dev = id->dev;
	s->ino = id->ino;
	free(s->path);
	if ((s->path = strdup(seg->path)) == NULL)
		fatal("strdup");
	s->next_off = offset;
	s->seg_raw = 0;
	s->opened = (int64_t)now;
	s->seal_due = false;
	ev_flush_chunk(s, seg);
}

void
evidence_seal(struct evidence_stream *s, const char *reason)
{
	struct ev_job	*j;

	if (!s->open)
		return;
	ev_flush_chunk(s, NULL);
	j = ev_job_new(JOB_SEAL, s);
	if ((j->reason = strdup(reason)) == NULL)
		fatal("strdup");
	ev_push(s->ev, j);
	s->open = false;
	s->seal_due = false;
}

/* Drop the marks bound to tag that end at or below offset (passed). */
static void
ev_marks_spent(struct evidence_stream *s, uint64_t tag, uint64_t offset)
{
	size_t	i;

	for (i = 0; i < s->nmarks; ) {
		if (s->marks[i].tag == tag && s->marks[i].end <= offset)
			s->marks[i] = s->marks[--s->nmarks];
		else
			i++;
	}
}

/*
 * The first mark bound to id's open file that meets offset/len: NULL if
 * none.  Marks wholly below offset are spent and dropped.
 */
static struct evidence_mark *
ev_mark_find(struct evidence_stream *s, const struct evidence_ident *id,
    uint64_t offset, size_t len)
{
	struct evidence_mark	*m, *best = NULL;
	size_t			 i;

	if (id->tag == 0 || s->nmarks == 0)
		return NULL;
	ev_marks_spent(s, id->tag, offset);
	for (i = 0; i < s->nmarks; i++) {
		m = &s->marks[i];
		if (m->tag != id->tag || m->start >= offset + len)
			continue;
		if (best == NULL || m->start < best->start)
			best = m;
	}
	return best;
}

/* Archive len bytes at offset, no marks considered. */
static void
ev_append_raw(struct evidence_stream *s, const struct evidence_ident *id,
    uint64_t offset, const char *p, size_t len)
{
	size_t	n;

	if (s->open && (s->seal_due || s->dev != id->dev ||
	    s->ino != id->ino || s->next_off != offset))
		evidence_seal(s, s->seal_due ? "size" : "discontinuity");
	if (!s->open)
		ev_seg_start(s, id, offset);
	while (len > 0) {
		if (s->chunk == NULL) {
			s->chunk = ev_chunk_get(s->ev);
			s->clen = 0;
		}
		n = EV_CHUNK - s->clen;
		if (n > len)
			n = len;
		memcpy(s->chunk + s->clen, p, n);
		s->clen += n;
		p += n;
		len -= n;
		s->next_off += n;
		s->seg_raw += n;
		if (s->clen == EV_CHUNK)
			ev_flush_chunk(s, NULL);
	}
	if (s->seg_raw >= s->ev->segment_size)
		s->seal_due = true;	/* sealed before the next bytes */
}

void
evidence_append(struct evidence_stream *s, const struct evidence_ident *id,
    uint64_t offset, const char *p, size_t len)
{
	struct evidence_mark	*m;
	size_t			 n;

	while (len > 0) {
		if ((m = ev_mark_find(s, id, offset, len)) == NULL) {
			ev_append_raw(s, id, offset, p, len);
			offset += len;
			break;
		}
		if (m->start > offset) {
			n = (size_t)(m->start - offset);
			ev_append_raw(s, id, offset, p, n);
		} else {
			/* Sealed after the last checkpoint: not again. */
			n = (size_t)(m->end - offset) < len ?
			    (size_t)(m->end - offset) : len;
		}
		offset += n;
		p += n;
		len -= n;
	}
	/* A mark that ends with the file must not outlive it. */
	if (s->nmarks > 0 && id->tag != 0)
		ev_marks_spent(s, id->tag, offset);
}

void
evidence_note_time(struct evidence_stream *s, int64_t ts_us)
{
	if (s->cfirst == EVIDENCE_NO_TIME || ts_us < s->cfirst)
		s->cfirst = ts_us;
	if (s->clast == EVIDENCE_NO_TIME || ts_us > s->clast)
		s->clast = ts_us;
}

bool
evidence_busy(const struct evidence_stream *s)
{
	return __atomic_load_n(&s->ev->inflight, __ATOMIC_RELAXED) >=
	    EV_INFLIGHT;
}

void
evidence_gap(struct evidence_stream *s, const struct evidence_ident *id,
    uint64_t start, uint64_t end, int64_t bytes, uint64_t resume,
    const char *reason)
{
	struct ev_job	*j;
	json_t		*o;
	char		 now[64];

	evidence_seal(s, "gap");
	ev_iso(time(NULL), now, sizeof now);
	o = json_object();
	json_object_set_new(o, "type", json_string("gap"));
	json_object_set_new(o, "source", json_string(s->name));
	json_object_set_new(o, "path", json_string(id->path != NULL ?
	    id->path : ""));
	json_object_set_new(o, "dev", json_integer((json_int_t)id->dev));
	json_object_set_new(o, "inode", json_integer((json_int_t)id->ino));
	json_object_set_new(o, "offset_start", json_integer((json_int_t)start));
	json_object_set_new(o, "offset_end", json_integer((json_int_t)end));
	json_object_set_new(o, "bytes", bytes < 0 ? json_null() :
	    json_integer((json_int_t)bytes));
	json_object_set_new(o, "resume", json_integer((json_int_t)resume));
	json_object_set_new(o, "reason", json_string(reason));
	json_object_set_new(o, "time", json_string(now));
	j = ev_job_new(JOB_ENTRY, s);
	j->entry = o;
	ev_push(s->ev, j);
}

void
evidence_seal_all(struct evidence *ev, const char *reason)
{
	size_t	i;

	for (i = 0; i < ev->ns; i++)
		evidence_seal(ev->s[i], reason);
}

void
evidence_tick(struct evidence *ev, int64_t now)
{
	struct ev_job	*j;
	size_t		 i;

	for (i = 0; i < ev->ns; i++) {
		struct evidence_stream	*s = ev->s[i];

		if (s->open && (s->seal_due ||
		    now - s->opened >= ev->segment_age))
			evidence_seal(s, s->seal_due ? "size" : "age");
	}
	if (ev->retention > 0 && now >= ev->next_scan) {
		ev->next_scan = now + EV_DAY;
		j = ev_job_new(JOB_SCAN, NULL);
		j->now = now;
		ev_push(ev, j);
	}
}

/* Hand the retention candidates that no hold protects to the worker. */
static void
ev_retention_delete(struct evidence *ev, char *list)
{
	struct ev_job	*j;
	char		*p, *nl;

	j = ev_job_new(JOB_DELETE, NULL);
	j->now = time(NULL);
	for (p = list; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (ev->hold_cb != NULL && ev->hold_cb(ev->hold_arg, p)) {
			log_info("evidence: %s is past retention but held", p);
			continue;
		}
		if ((j->files = reallocarray(j->files, j->nfiles + 1,
		    sizeof *j->files)) == NULL)
			fatal("reallocarray");
		if ((j->files[j->nfiles++] = strdup(p)) == NULL)
			fatal("strdup");
	}
	if (j->nfiles == 0) {
		ev_job_free(ev, j);
		return;
	}
	log_info("evidence: deleting %zu segments past retention", j->nfiles);
	ev_push(ev, j);
}

/* Deliver what the worker finished (loop side). */
static void
ev_deliver(struct evidence *ev)
{
	struct evidence_sync	 y;
	evidence_sync_cb	 cb = NULL;
	void			*arg = NULL;
	char			*scan = NULL, err[256] = "";
	bool			 have_sync = false, have_scan = false;
	size_t			 i;

	pthread_mutex_lock(&ev->mu);
	if (ev->sync_done) {
		y = ev->sync;
		memset(&ev->sync, 0, sizeof ev->sync);
		ev->sync_done = false;
		ev->sync_busy = false;
		cb = ev->sync_cb;
		arg = ev->sync_arg;
		have_sync = true;
	}
	if (ev->scan_done) {
		scan = ev->scan_files;
		ev->scan_files = NULL;
		ev->scan_done = false;
		have_scan = true;
	}
	if (ev->err_new) {
		memcpy(err, ev->err, sizeof err);
		ev->err_new = false;
	}
	pthread_mutex_unlock(&ev->mu);
	if (err[0] != '\0')
		log_warnx_rl("evidence", "evidence: %s", err);
	if (have_sync) {
		if (cb != NULL)
			cb(arg, &y);
		for (i = 0; i < y.n; i++)
			evidence_seg_clear(&y.st[i].seg);
		free(y.st);
	}
	if (have_scan) {
		ev_retention_delete(ev, scan);
		free(scan);
	}
	if (ev->wake_cb != NULL)
		ev->wake_cb(ev->wake_arg);
}

/* The worker wrote to the pipe. */
static void
ev_wake(evutil_socket_t fd, short events, void *arg)
{
	struct evidence	*ev = arg;
	char		 buf[256];

	while (read(fd, buf, sizeof buf) > 0)
		continue;
	ev_deliver(ev);
}

int
evidence_sync(struct evidence *ev, evidence_sync_cb cb, void *arg)
{
	size_t	i;

	if (ev->sync_busy)
		return -1;
	for (i = 0; i < ev->ns; i++)
		ev_flush_chunk(ev->s[i], NULL);
	ev->sync_busy = true;
	ev->sync_cb = cb;
	ev->sync_arg = arg;
	ev_push(ev, ev_job_new(JOB_SYNC, NULL));
	if (!ev->started && ev->sync_done)
		ev_deliver(ev);
	return 0;
}

bool
evidence_syncing(const struct evidence *ev)
{
	return ev->sync_busy;
}

int
evidence_wait(struct evidence *ev, int ms)
{
	struct pollfd	pfd;
	struct timespec	t0, t1;
	char		buf[256];
	int		left = ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ev->sync_busy) {
		if (!ev->started) {
			ev_deliver(ev);
			if (ev->sync_busy)
				return -1;
			break;
		}
		pfd.fd = ev->pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) > 0) {
			while (read(ev->pipe[0], buf, sizeof buf) > 0)
				continue;
		}
		ev_deliver(ev);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 && ev->sync_busy)
			return -1;
	}
	return 0;
}

void
evidence_marks(const struct evidence_stream *s, struct evidence_state *st)
{
	evidence_marks_clear(st);
	if (s->nmarks == 0)
		return;
	if ((st->marks = reallocarray(NULL, s->nmarks, sizeof *st->marks)) ==
	    NULL)
		fatal("reallocarray");
	memcpy(st->marks, s->marks, s->nmarks * sizeof *st->marks);
	st->nmarks = s->nmarks;
}

void
evidence_marks_clear(struct evidence_state *st)
{
	free(st->marks);
	st->marks = NULL;
	st->nmarks = 0;
}

void
evidence_bind_marks(struct evidence_stream *s, evidence_bind_cb cb,
    void *arg)
{
	struct evidence_mark	*m;
	uint64_t		 lost = 0;
	size_t			 i, nlost = 0;

	for (i = 0; i < s->nmarks; ) {
		m = &s->marks[i];
		if (m->tag == 0)
			m->tag = cb(arg, m);
		if (m->tag != 0) {
			i++;
			continue;
		}
		lost += m->end - m->start;
		nlost++;
		s->marks[i] = s->marks[--s->nmarks];
	}
	if (nlost > 0)
		log_warnx("evidence: %s: %zu ranges (%llu bytes) archived "
		    "after the last checkpoint are not in the files any more; "
		    "bytes read there now are archived as new", s->name, nlost,
		    (unsigned long long)lost);
}

void
evidence_unbind(struct evidence_stream *s, uint64_t tag)
{
	size_t	i;

	if (tag == 0)
		return;
	for (i = 0; i < s->nmarks; i++)
		if (s->marks[i].tag == tag)
			s->marks[i].tag = 0;
}

uint64_t
evidence_archived_end(const struct evidence_stream *s,
    const struct evidence_ident *id, uint64_t offset)
{
	const struct evidence_mark	*m;
	bool				 more = true;
	size_t				 i;

	while (more) {
		more = false;
		for (i = 0; i < s->nmarks; i++) {
			m = &s->marks[i];
			if (m->dev != id->dev || m->ino != id->ino ||
			    (m->tag != 0 && m->tag != id->tag))
				continue;
			if (m->start <= offset && m->end > offset) {
				offset = m->end;
				more = true;
			}
		}
	}
	return offset;
}

void
evidence_forget(struct evidence_stream *s, uint64_t tag)
{
	size_t	i;

	if (tag == 0)
		return;
	for (i = 0; i < s->nmarks; ) {
		if (s->marks[i].tag == tag)
			s->marks[i] = s->marks[--s->nmarks];
		else
			i++;
	}
}

void
evidence_set_wake(struct evidence *ev, evidence_wake_cb cb, void *arg)
{
	ev->wake_cb = cb;
	ev->wake_arg = arg;
}

void
evidence_set_hold(struct evidence *ev, evidence_hold_cb cb, void *arg)
{
	ev->hold_cb = cb;
	ev->hold_arg = arg;
}

void
evidence_stats(struct evidence *ev, struct evidence_stats *st)
{
	pthread_mutex_lock(&ev->mu);
	*st = ev->st;
	pthread_mutex_unlock(&ev->mu);
}

/* Cut a file back to just after its last newline (a torn append). */
static int
ev_mend_tail(const char *path)
{
	struct stat	 sb;
	char		 buf[4096];
	off_t		 end, at;
	ssize_t		 n, i;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return -1;
	}
	end = sb.st_size;
	at = end;
	while (at > 0) {
		off_t	from = at > (off_t)sizeof buf ? at - (off_t)sizeof buf : 0;

		n = pread(fd, buf, (size_t)(at - from), from);
		if (n <= 0)
			break;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n')
				break;
		if (i >= 0) {
			at = from + i + 1;
			break;
		}
		at = from;
	}
	close(fd);
	if (at == end)
		return 0;
	log_warnx("evidence: %s ends in a torn entry; cutting %lld bytes",
	    path, (long long)(end - at));
	chmod(path, 0640);
	if (truncate(path, at) != 0)
		return -1;
	return 0;
}

/* Open an append-only archive file, writable for us, read-only on disk. */
static int
ev_open_append(const char *path)
{
	int	fd;

	chmod(path, 0640);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd != -1) {
		fchmod(fd, 0440);
		ev_fsync_parent(path);
	}
	return fd;
}

/* Read the manifest: count, head, and the entries from index from on. */
static int
ev_manifest_load(struct evidence *ev, uint64_t from, char **cause)
{
	FILE		*f;
	json_t		*o;
	json_error_t	 err;
	char		*line = NULL, *abs;
	size_t		 cap = 0;
	ssize_t		 n;
	const char	*h;

	ev->post = json_array();
	ev->sealed = json_object();
	memset(ev->head, '0', 64);
	ev->head[64] = '\0';
	abs = ev_abs(ev, EVIDENCE_MANIFEST);
	f = fopen(abs, "re");
	free(abs);
	if (f == NULL)
		return 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (ev->entries + EVIDENCE_SEALED_WINDOW >= from &&
		    ev->entries < from &&
		    (o = json_loadb(line, (size_t)n, 0, &err)) != NULL) {
			/*
			 * A seal writes its entry before it makes the file
			 * read-only; a checkpoint taken in between must not
			 * take the still-writable file for an orphan.
			 */
			const char *sf = json_string_value(json_object_get(o,
			    "file"));

			if (sf != NULL)
				json_object_set_new(ev->sealed, sf, json_true());
			json_decref(o);
		}
		if (ev->entries >= from) {
			o = json_loadb(line, (size_t)n, 0, &err);
			if (o == NULL) {
				if (asprintf(cause, "%s/%s: entry %llu is not "
				    "JSON: %s", ev->dir, EVIDENCE_MANIFEST,
				    (unsigned long long)ev->entries + 1,
				    err.text) == -1)
					fatal("asprintf");
				free(line);
				fclose(f);
				return -1;
			}
			if (ev->entries >= from)
				json_array_append(ev->post, o);
			json_decref(o);
		}
		/* The head is the last entry's "hash", its last member. */
		h = line + n - 75;
		if (n >= 76 && memcmp(h, "\"hash\":\"", 8) == 0)
			memcpy(ev->head, h + 8, 64);
		ev->entries++;
	}
	free(line);
	fclose(f);
	if (ev->entries < from)
		log_warnx("evidence: the manifest has %llu entries but the "
		    "checkpoint saw %llu", (unsigned long long)ev->entries,
		    (unsigned long long)from);
	return 0;
}

/* Make sure the last sealed segment is in SHA256SUMS (crash between). */
static void
ev_sums_mend(struct evidence *ev)
{
	FILE		*f;
	json_t		*o;
	size_t		 i;
	char		*line = NULL, *last = NULL, *abs;
	size_t		 cap = 0;
	ssize_t		 n;
	const char	*file, *sha;

	abs = ev_abs(ev, EVIDENCE_SUMS);
	if ((f = fopen(abs, "re")) != NULL) {
		while ((n = getline(&line, &cap, f)) > 0) {
			free(last);
			if ((last = strdup(line)) == NULL)
				fatal("strdup");
		}
		fclose(f);
	}
	free(line);
	free(abs);
	for (i = json_array_size(ev->post); i > 0; i--) {
		o = json_array_get(ev->post, i - 1);
		if (strcmp(json_string_value(json_object_get(o, "type")) != NULL ?
		    json_string_value(json_object_get(o, "type")) : "",
		    "segment") != 0)
			continue;
		file = json_string_value(json_object_get(o, "file"));
		sha = json_string_value(json_object_get(o, "sha256_gz"));
		if (file == NULL || sha == NULL)
			break;
		if (last == NULL || strlen(last) < 67 ||
		    strncmp(last + 66, file, strlen(file)) != 0) {
			log_warnx("evidence: %s was sealed but not listed in "
			    "%s; adding it", file, EVIDENCE_SUMS);
			ev_sums_append(ev, sha, file);
		}
		break;
	}
	free(last);
}

struct evidence *
evidence_open(const struct config *conf, struct event_base *base,
    uint64_t entries_at_checkpoint, char **cause)
{
	struct evidence	*ev;
	char		*abs;
	FILE		*f;

	if ((ev = calloc(1, sizeof *ev)) == NULL)
		fatal("calloc");
	ev->mfd = ev->sfd = -1;
	ev->pipe[0] = ev->pipe[1] = -1;
	pthread_mutex_init(&ev->mu, NULL);
	pthread_cond_init(&ev->cv, NULL);
	if ((ev->dir = strdup(conf->evidence_dir)) == NULL)
		fatal("strdup");
	ev->segment_size = conf->segment_size != 0 ? conf->segment_size :
	    CONFIG_SEGMENT_SIZE_DEFAULT;
	ev->segment_age = conf->segment_age != 0 ? (int64_t)conf->segment_age :
	    CONFIG_SEGMENT_AGE_DEFAULT;
	ev->level = conf->evidence_level != 0 ? (int)conf->evidence_level :
	    CONFIG_EVIDENCE_LEVEL_DEFAULT;
	ev->retention = (int64_t)conf->retention_days * EV_DAY;
	ev->next_scan = 0;
	if (ev_mkdirs(ev->dir) != 0) {
		if (asprintf(cause, "%s: %s", ev->dir, strerror(errno)) == -1)
			fatal("asprintf");
		goto fail;
	}
	if (conf->signing_key != NULL) {
		if ((f = fopen(conf->signing_key, "re")) == NULL ||
		    (ev->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) ==
		    NULL || EVP_PKEY_id(ev->key) != EVP_PKEY_ED25519) {
			if (asprintf(cause, "%s: not a readable Ed25519 private "
			    "key in PEM", conf->signing_key) == -1)
				fatal("asprintf");
			if (f != NULL)
				fclose(f);
			goto fail;
		}
		fclose(f);
	}
	abs = ev_abs(ev, EVIDENCE_MANIFEST);
	if (ev_mend_tail(abs) != 0 || (ev->mfd = ev_open_append(abs)) == -1) {
		if (asprintf(cause, "%s: %s", abs, strerror(errno)) == -1)
			fatal("asprintf");
		free(abs);
		goto fail;
	}
	free(abs);
	abs = ev_abs(ev, EVIDENCE_SUMS);
	if (ev_mend_tail(abs) != 0 || (ev->sfd = ev_open_append(abs)) == -1) {
		if (asprintf(cause, "%s: %s", abs, strerror(errno)) == -1)
			fatal("asprintf");
		free(abs);
		goto fail;
	}
	free(abs);
	if (ev_manifest_load(ev, entries_at_checkpoint, cause) != 0)
		goto fail;
	ev_sums_mend(ev);
	if (base != NULL) {
		if (pipe2(ev->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
			fatal("pipe2");
		ev->base = base;
		ev->ev_wake = event_new(base, ev->pipe[0], EV_READ | EV_PERSIST,
		    ev_wake, ev);
		if (ev->ev_wake == NULL)
			fatalx("event_new");
		event_add(ev->ev_wake, NULL);
	}
	return ev;
fail:
	evidence_close(ev, true);
	return NULL;
}

/* Load segment file (cut to size) into s's worker state; 0 or -1. */
static int
ev_seg_load(struct evidence *ev, struct evidence_stream *s,
    const struct evidence_seg *seg)
{
	z_stream	 z;
	unsigned char	 in[65536], out[65536];
	char		*abs;
	uint64_t	 left = seg->size, raw = 0;
	ssize_t		 n;
	int		 fd, rc = Z_OK;

	abs = ev_abs(ev, seg->file);
	chmod(abs, 0640);
	fd = open(abs, O_RDWR | O_CLOEXEC);
	free(abs);
	if (fd == -1 || ftruncate(fd, (off_t)seg->size) != 0) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	s->hraw = ev_md_new();
	s->hgz = ev_md_new();
	segidx_build_free(s->ix);
	s->ix = segidx_build_new();
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		fatalx("inflateInit2");
	while (left > 0) {
		n = read(fd, in, left < sizeof in ? (size_t)left : sizeof in);
		if (n <= 0)
			break;
		left -= (uint64_t)n;
		EVP_DigestUpdate(s->hgz, in, (size_t)n);
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0) {
			z.next_out = out;
			z.avail_out = sizeof out;
			rc = inflate(&z, Z_NO_FLUSH);
			EVP_DigestUpdate(s->hraw, out, sizeof out - z.avail_out);
			segidx_build_add(s->ix, out, sizeof out - z.avail_out);
			raw += sizeof out - z.avail_out;
			if (rc == Z_STREAM_END) {
				if (inflateReset(&z) != Z_OK)
					break;
				rc = Z_OK;
			} else if (rc != Z_OK && rc != Z_BUF_ERROR)
				break;
		}
		if (rc != Z_OK)
			break;
	}
	inflateEnd(&z);
	if (left != 0 || rc != Z_OK || raw != seg->raw) {
		log_warnx("evidence: %s does not hold the %llu bytes its "
		    "checkpoint names", seg->file, (unsigned long long)seg->raw);
		EVP_MD_CTX_free(s->hraw);
		EVP_MD_CTX_free(s->hgz);
		s->hraw = s->hgz = NULL;
		segidx_build_free(s->ix);
		s->ix = NULL;
		close(fd);
		return -1;
	}
	if (lseek(fd, 0, SEEK_END) == -1)
		fatal("lseek");
	s->fd = fd;
	evidence_seg_clear(&s->w);
	evidence_seg_copy(&s->w, seg);
	return 0;
}

/* True if entry o of the post-checkpoint list is a segment of file. */
static bool
ev_post_has(const struct evidence *ev, const char *file)
{
	const char	*f;
	size_t		 i;

	for (i = 0; i < json_array_size(ev->post); i++) {
		f = json_string_value(json_object_get(json_array_get(ev->post,
		    i), "file"));
		if (f != NULL && strcmp(f, file) == 0)
			return true;
	}
	return false;
}

/* Move unsealed segment files of s other than keep to orphaned/. */
static void
ev_orphans(struct evidence *ev, struct evidence_stream *s, const char *rel,
    const char *keep, int depth)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*abs, *sub, *dst, *ddir;

	abs = ev_abs(ev, rel);
	d = opendir(abs);
	free(abs);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", rel, de->d_name) == -1)
			fatal("asprintf");
		abs = ev_abs(ev, sub);
		if (lstat(abs, &sb) != 0) {
			free(abs);
			free(sub);
			continue;
		}
		if (S_ISDIR(sb.st_mode) && depth < 4)
			ev_orphans(ev, s, sub, keep, depth + 1);
		else if (S_ISREG(sb.st_mode) && (sb.st_mode & 0200) &&
		    (keep == NULL || strcmp(sub, keep) != 0)) {
			if (ev_post_has(ev, sub) || (ev->sealed != NULL &&
			    json_object_get(ev->sealed, sub) != NULL)) {
				/* Sealed, but not yet made read-only. */
				chmod(abs, 0440);
			} else {
				ddir = ev_abs(ev, EVIDENCE_ORPHANED);
				ev_mkdirs(ddir);
				if (asprintf(&dst, "%s/%s", ddir,
				    de->d_name) == -1)
					fatal("asprintf");
				log_warnx("evidence: %s was written after the "
				    "last checkpoint; its bytes are read "
				    "again, the file moves to %s/",
				    sub, EVIDENCE_ORPHANED);
				if (rename(abs, dst) != 0)
					log_warn("rename %s", abs);
				free(dst);
				free(ddir);
			}
		}
		free(abs);
		free(sub);
	}
	closedir(d);
}

/* Decode 64 hex digits into 32 bytes; 0 or -1. */
static int
ev_unhex32(const char *hex, unsigned char *out)
{
	size_t	i;
	int	hi, lo;

	if (hex == NULL || strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		hi = hex[2 * i] >= 'a' && hex[2 * i] <= 'f' ?
		    hex[2 * i] - 'a' + 10 : hex[2 * i] - '0';
		lo = hex[2 * i + 1] >= 'a' && hex[2 * i + 1] <= 'f' ?
		    hex[2 * i + 1] - 'a' + 10 : hex[2 * i + 1] - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Add an unbound mark (ranges are kept apart: each has its own hash). */
static void
ev_mark_add(struct evidence_stream *s, const struct evidence_mark *m)
{
	size_t	i;

	if (m->start >= m->end)
		return;
	for (i = 0; i < s->nmarks; i++) {
		if (s->marks[i].dev == m->dev && s->marks[i].ino == m->ino &&
		    s->marks[i].start == m->start &&
		    s->marks[i].end == m->end &&
		    memcmp(s->marks[i].sha, m->sha, sizeof m->sha) == 0)
			return;
	}
	if ((s->marks = reallocarray(s->marks, s->nmarks + 1,
	    sizeof *s->marks)) == NULL)
		fatal("reallocarray");
	s->marks[s->nmarks] = *m;
	s->marks[s->nmarks].tag = 0;
	s->nmarks++;
}

struct evidence_stream *
evidence_stream_open(struct evidence *ev, const char *name,
    const struct evidence_state *ck)
{
	struct evidence_stream	*s;
	const struct evidence_seg *seg = ck != NULL ? &ck->seg : NULL;
	struct evidence_mark	 m;
	json_t			*o;
	const char		*src, *type;
	size_t			 i;
	int			 step = 0;

	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal("calloc");
	s->ev = ev;
	s->fd = -1;
	s->cfirst = s->clast = EVIDENCE_NO_TIME;
	evidence_seg_clear(&s->w);
	if ((s->name = strdup(name)) == NULL)
		fatal("strdup");
	if ((ev->s = reallocarray(ev->s, ev->ns + 1, sizeof *ev->s)) == NULL)
		fatal("reallocarray");
	s->idx = ev->ns;
	ev->s[ev->ns++] = s;
	if (ck != NULL) {
		for (i = 0; i < ck->nmarks; i++)
			ev_mark_add(s, &ck->marks[i]);
	}
	/* Bytes sealed after the checkpoint are not archived again. */
	for (i = 0; i < json_array_size(ev->post); i++) {
		o = json_array_get(ev->post, i);
		src = json_string_value(json_object_get(o, "source"));
		type = json_string_value(json_object_get(o, "type"));
		if (src == NULL || type == NULL || strcmp(src, name) != 0 ||
		    strcmp(type, "segment") != 0)
			continue;
		memset(&m, 0, sizeof m);
		m.dev = (uint64_t)json_integer_value(json_object_get(o, "dev"));
		m.ino = (uint64_t)json_integer_value(json_object_get(o,
		    "inode"));
		m.start = (uint64_t)json_integer_value(json_object_get(o,
		    "offset_start"));
		m.end = (uint64_t)json_integer_value(json_object_get(o,
		    "offset_end"));
		if (ev_unhex32(json_string_value(json_object_get(o,
		    "sha256_raw")), m.sha) == 0)
			ev_mark_add(s, &m);
	}
	ev_orphans(ev, s, name, seg != NULL ? seg->file : NULL, 0);
	if (seg == NULL || seg->file == NULL || ev_post_has(ev, seg->file))
		return s;
	/* The segment open at the checkpoint: cut it back and seal it. */
	if (seg->size == 0 || ev_seg_load(ev, s, seg) != 0) {
		char	*abs = ev_abs(ev, seg->file);
		struct evidence_ident id = { seg->dev, seg->ino, seg->path, 0 };

		if (seg->size != 0 || seg->raw != 0)
			log_warnx("evidence: %s cannot be recovered; recording "
			    "its bytes as a gap", seg->file);
		chmod(abs, 0640);
		unlink(abs);
		free(abs);
		if (seg->raw != 0)
			evidence_gap(s, &id, seg->offset_start,
			    seg->offset_start + seg->raw, (int64_t)seg->raw,
			    seg->offset_start + seg->raw, "segment lost");
		return s;
	}
	log_info("evidence: completing %s left open at the last checkpoint",
	    seg->file);
	while (ev_seal_now(ev, s, "recovered", &step) != 0) {
		if (errno != ENOSPC && errno != EIO)
			break;
		sleep(1);
	}
	return s;
}

void
evidence_start(struct evidence *ev)
{
	if (ev->started)
		return;
	if (pthread_create(&ev->thread, NULL, ev_worker, ev) != 0)
		fatal("pthread_create");
	ev->started = true;
}

void
evidence_close(struct evidence *ev, bool abandon)
{
	struct ev_job	*j;
	size_t		 i;

	if (ev == NULL)
		return;
	if (ev->started) {
		pthread_mutex_lock(&ev->mu);
		ev->stop = true;
		ev->abandon = abandon;
		pthread_cond_signal(&ev->cv);
		pthread_mutex_unlock(&ev->mu);
		pthread_join(ev->thread, NULL);
	}
	while ((j = ev->qhead) != NULL) {
		ev->qhead = j->next;
		ev_job_free(ev, j);
	}
	for (i = 0; i < ev->ns; i++) {
		struct evidence_stream	*s = ev->s[i];

		if (s->fd != -1)
			close(s->fd);
		if (s->hraw != NULL)
			EVP_MD_CTX_free(s->hraw);
		if (s->hgz != NULL)
			EVP_MD_CTX_free(s->hgz);
		segidx_build_free(s->ix);
		evidence_seg_clear(&s->w);
		free(s->chunk);
		free(s->path);
		free(s->marks);
		free(s->name);
		free(s);
	}
	free(ev->s);
	if (ev->zinit)
		deflateEnd(&ev->z);
#ifdef HAVE_ISAL
	free(ev->izbuf);
#endif
	if (ev->ev_wake != NULL)
		event_free(ev->ev_wake);
	if (ev->pipe[0] != -1)
		close(ev->pipe[0]);
	if (ev->pipe[1] != -1)
		close(ev->pipe[1]);
	if (ev->mfd != -1)
		close(ev->mfd);
	if (ev->sfd != -1)
		close(ev->sfd);
	if (ev->post != NULL)
		json_decref(ev->post);
	if (ev->sealed != NULL)
		json_decref(ev->sealed);
	if (ev->key != NULL)
		EVP_PKEY_free(ev->key);
	if (ev->sync.st != NULL) {
		for (i = 0; i < ev->sync.n; i++)
			evidence_seg_clear(&ev->sync.st[i].seg);
		free(ev->sync.st);
	}
	free(ev->scan_files);
	while (ev->npool > 0)
		free(ev->pool[--ev->npool]);
	while (ev->ngzpool > 0)
		free(ev->gzpool[--ev->ngzpool]);
	pthread_mutex_destroy(&ev->mu);
	pthread_cond_destroy(&ev->cv);
	free(ev->dir);
	free(ev);
}
