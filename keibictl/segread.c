/*
 * segread.c: one archived segment, read as keibid read it (see segread.h).
 * The file is read in blocks, each hashed and inflated straight into the
 * line framer, which hands out lines in place; a line is parsed exactly
 * as source.c does (trailing \r dropped, dataset defaulted, addresses and
 * direction finished).  Memory is bounded by the line cap and two blocks,
 * whatever the segment holds.  This module never uses a byte of a
 * segment whose hash it has not compared, and never writes anything.
 * segread_file reads the same way from a source file itself (what keibid
 * has not sealed yet): those bytes have no hash to compare, and the
 * caller must say so wherever they are shown.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "linebuf.h"
#include "log.h"
#include "segread.h"

#define SR_BLOCK	(256 * 1024)
#define SR_DAY_US	(86400LL * 1000000)

struct sr_ctx {
	const struct segread	*sr;
	void			*state;
	struct record		 rec;
	struct segread_result	*res;
	bool			 stop;
	bool			 priming;	/* state only: no callback */
	uint64_t		 parse_from;	/* priming: lines from here */
};

/* Parsers whose state joins the lines of one message. */
static const char *const sr_joining[] = {
	"postfix", "exim", "sendmail", "cisco_esa", "auto"
};

bool
segread_joins(const struct parser *p)
{
	size_t	i;

	if (p == NULL)
		return false;
	for (i = 0; i < sizeof sr_joining / sizeof sr_joining[0]; i++)
		if (strcmp(p->name, sr_joining[i]) == 0)
			return true;
	return false;
}

bool
segread_contiguous(const struct mf_seg *prev, const struct mf_seg *seg)
{
	return prev != NULL && seg != NULL && prev->ok && !prev->deleted &&
	    strcmp(prev->source, seg->source) == 0 && prev->dev == seg->dev &&
	    prev->ino == seg->ino && prev->end == seg->start &&
	    prev->end > prev->start;
}

/* The line framer's callback: parse and hand the line on. */
static void
sr_line(void *arg, const char *p, size_t used, size_t len, int flags,
    uint64_t start)
{
	struct sr_ctx		*c = arg;
	const struct segread	*sr = c->sr;
	struct segread_line	 l;
	struct record		*rec = &c->rec;

	if ((flags & LB_SKIP) || c->stop)
		return;
	if (c->priming) {
		if (start < c->parse_from)
			return;
		record_reset(rec);
		rec->line.p = p;
		rec->line.len = len;
		rec->source = sr->source;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		(void)sr->parser->parse(c->state, p, len, rec);
		return;
	}
	c->res->lines++;
	record_reset(rec);
	rec->line.p = p;
	rec->line.len = len;
	rec->source = sr->source;
	if (flags & LB_TRUNCATED)
		rec->flags |= REC_TRUNCATED;
	if (flags & LB_PARTIAL)
		rec->flags |= REC_PARTIAL;
	memset(&l, 0, sizeof l);
	l.p = p;
	l.off = start;
	l.used = used;
	l.flags = flags;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	l.len = len;
	l.rc = sr->parser->parse(c->state, p, len, rec);
	if (l.rc == 1) {
		c->res->events++;
		if (!record_has(rec, RF_EVENT_DATASET))
			record_set(rec, RF_EVENT_DATASET, sr->parser->dataset,
			    strlen(sr->parser->dataset));
		record_finish(rec, sr->internal);
		l.rec = rec;
	}
	if (sr->cb(sr->arg, &l) != 0)
		c->stop = true;
}

/* Hash the rest of fd into md (after a stop, or for verify_first). */
static int
sr_hash_rest(int fd, EVP_MD_CTX *md, unsigned char *buf, uint64_t *size)
{
	ssize_t	n;

	while ((n = read(fd, buf, SR_BLOCK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	return 0;
}

/*
 * Warm c->state with the tail of segment seg (the primer): inflate it
 * whole, parse the lines of its last SEGREAD_PRIME_TAIL bytes, hash it.
 * 0 when it is whole and its hash is its entry's; -1 otherwise (the
 * caller then starts the state afresh: what it saw is not to be used).
 */
static int
sr_prime(struct sr_ctx *c, const struct mf_seg *seg, unsigned char *in)
{
	const struct segread	*sr = c->sr;
	struct linebuf		 lb;
	EVP_MD_CTX		*md;
	z_stream		 z;
	unsigned char		 mdv[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			*path, *out, hex[65];
	uint64_t		 raw = seg->end - seg->start;
	size_t			 avail;
	ssize_t			 n;
	int			 fd, zrc = Z_OK, rc = -1;
	bool			 ok = true;

	if (asprintf(&path, "%s/%s", sr->dir, seg->file) == -1)
		fatal("asprintf");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("EVP");
	c->priming = true;
	c->parse_from = raw > SEGREAD_PRIME_TAIL ? raw - SEGREAD_PRIME_TAIL : 0;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		fatalx("inflateInit2");
	linebuf_init(&lb, sr->max_line, 0);
	while (ok && (n = read(fd, in, SR_BLOCK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ok = false;
			break;
		}
		EVP_DigestUpdate(md, in, (size_t)n);
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0) {
			if (zrc == Z_STREAM_END) {
				inflateReset(&z);
				zrc = Z_OK;
			}
			out = linebuf_space(&lb, &avail);
			if (avail > UINT32_MAX)
				avail = UINT32_MAX;
			z.next_out = (unsigned char *)out;
			z.avail_out = (uInt)avail;
			zrc = inflate(&z, Z_NO_FLUSH);
			if (avail - z.avail_out > 0)
				linebuf_commit(&lb, avail - z.avail_out,
				    sr_line, c);
			if (zrc != Z_OK && zrc != Z_STREAM_END) {
				ok = false;
				break;
			}
		}
	}
	/* A segment ends with its line's newline: nothing is held. */
	linebuf_free(&lb);
	inflateEnd(&z);
	c->priming = false;
	EVP_DigestFinal_ex(md, mdv, &mdlen);
	manifest_hex(mdv, mdlen, hex);
	if (ok && zrc == Z_STREAM_END && strcmp(hex, seg->sha_gz) == 0)
		rc = 0;
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

/*
 * A parser state for sr, warmed with sr->prime when there is one (ref:
 * the year-inference reference of what is read next).
 */
static void *
sr_state(struct sr_ctx *c, const struct parser_opts *po, int64_t ref,
    unsigned char *in)
{
	const struct segread	*sr = c->sr;
	const struct mf_seg	*pr = sr->prime;
	int64_t			 pref;

	if ((c->state = sr->parser->state_new(po)) == NULL)
		fatalx("parser state");
	if (pr != NULL) {
		pref = pr->last_us != MF_NO_TIME ? pr->last_us + SR_DAY_US :
		    pr->sealed * 1000000;
		if (sr->parser->set_ref != NULL && pref != 0)
			sr->parser->set_ref(c->state, pref);
		if (sr_prime(c, pr, in) != 0) {
			/* Not proven: nothing of it may shape an event. */
			sr->parser->state_free(c->state);
			if ((c->state = sr->parser->state_new(po)) == NULL)
				fatalx("parser state");
		}
	}
	if (sr->parser->set_ref != NULL && ref != 0)
		sr->parser->set_ref(c->state, ref);
	return c->state;
}

int
segread_run(const struct segread *sr, const struct mf_seg *seg,
    struct segread_result *res)
{
	struct sr_ctx		 c;
	struct parser_opts	 po;
	struct linebuf		 lb;
	EVP_MD_CTX		*md;
	z_stream		 z;
	unsigned char		*in, mdv[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			*path, *out;
	const char		*why = NULL;
	size_t			 avail, got;
	ssize_t			 n;
	int			 fd, zrc = Z_OK, rc = -1;
	bool			 zok = true, readerr = false;
	int64_t			 ref;

	memset(res, 0, sizeof *res);
	if (asprintf(&path, "%s/%s", sr->dir, seg->file) == -1)
		fatal("asprintf");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1) {
		res->why = errno == ENOENT ? "the segment file is missing" :
		    "the segment file cannot be read";
		return -1;
	}
	if ((in = malloc(SR_BLOCK)) == NULL)
		fatal("malloc");
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("EVP");
	if (sr->verify_first) {
		if (sr_hash_rest(fd, md, in, &res->size) != 0) {
			res->why = "the segment file cannot be read";
			goto done;
		}
		EVP_DigestFinal_ex(md, mdv, &mdlen);
		manifest_hex(mdv, mdlen, res->gz);
		if (strcmp(res->gz, seg->sha_gz) != 0) {
			res->why = "its SHA-256 differs from the manifest's";
			goto done;
		}
		if (lseek(fd, 0, SEEK_SET) != 0 ||
		    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
			res->why = "the segment file cannot be read";
			goto done;
		}
		res->size = 0;
	}

	memset(&c, 0, sizeof c);
	c.sr = sr;
	c.res = res;
	memset(&po, 0, sizeof po);
	po.tz = sr->tz;
	po.max_queue = sr->max_queue;
	/* Year-less dates: read as on the day after the segment's last. */
	ref = seg->last_us != MF_NO_TIME ? seg->last_us + SR_DAY_US :
	    seg->sealed * 1000000;
	po.ref_us = ref;
	sr_state(&c, &po, ref, in);
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		fatalx("inflateInit2");
	linebuf_init(&lb, sr->max_line, 0);
	while (!c.stop && zok && (n = read(fd, in, SR_BLOCK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			readerr = true;
			break;
		}
		EVP_DigestUpdate(md, in, (size_t)n);
		res->size += (uint64_t)n;
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0 && !c.stop) {
			if (zrc == Z_STREAM_END) {
				inflateReset(&z);
				zrc = Z_OK;
			}
			out = linebuf_space(&lb, &avail);
			if (avail > UINT32_MAX)
				avail = UINT32_MAX;
			z.next_out = (unsigned char *)out;
			z.avail_out = (uInt)avail;
			zrc = inflate(&z, Z_NO_FLUSH);
			got = avail - z.avail_out;
			res->raw += got;
			if (got > 0)
				linebuf_commit(&lb, got, sr_line, &c);
			if (zrc != Z_OK && zrc != Z_STREAM_END) {
				why = "not a valid gzip stream";
				zok = false;
				break;
			}
		}
	}
	if (!c.stop && zok && !readerr) {
		if (zrc != Z_STREAM_END)
			why = "gzip stream cut short";
		else
			linebuf_flush(&lb, sr_line, &c);
	}
	res->stopped = c.stop;
	linebuf_free(&lb);
	inflateEnd(&z);
	sr->parser->state_free(c.state);
	/* The whole file is hashed, whatever stopped the reading. */
	if (readerr || sr_hash_rest(fd, md, in, &res->size) != 0) {
		res->why = "the segment file cannot be read";
		goto done;
	}
	EVP_DigestFinal_ex(md, mdv, &mdlen);
	manifest_hex(mdv, mdlen, res->gz);
	if (strcmp(res->gz, seg->sha_gz) != 0)
		res->why = "its SHA-256 differs from the manifest's";
	else if (why != NULL)
		res->why = why;	/* written so, and sealed so */
	else
		rc = 0;
done:
	EVP_MD_CTX_free(md);
	free(in);
	close(fd);
	return rc;
}

int
segread_hash_range(int fd, uint64_t start, uint64_t end, char *hex)
{
	EVP_MD_CTX	*md;
	unsigned char	*buf, mdv[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	uint64_t	 at = start;
	size_t		 want;
	ssize_t		 n;
	int		 rc = -1;

	if ((buf = malloc(SR_BLOCK)) == NULL)
		fatal("malloc");
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("EVP");
	while (at < end) {
		want = end - at < SR_BLOCK ? (size_t)(end - at) : SR_BLOCK;
		n = pread(fd, buf, want, (off_t)at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		EVP_DigestUpdate(md, buf, (size_t)n);
		at += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, mdv, &mdlen);
	manifest_hex(mdv, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

int
segread_file(const struct segread *sr, int fd, uint64_t start, uint64_t end,
    int64_t ref_us, struct segread_result *res)
{
	struct sr_ctx		 c;
	struct parser_opts	 po;
	struct linebuf		 lb;
	unsigned char		*in;
	char			*out;
	uint64_t		 at = start;
	size_t			 avail;
	ssize_t			 n;
	int			 rc = 0;

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	c.sr = sr;
	c.res = res;
	memset(&po, 0, sizeof po);
	po.tz = sr->tz;
	po.max_queue = sr->max_queue;
	po.ref_us = ref_us;
	if ((in = malloc(SR_BLOCK)) == NULL)
		fatal("malloc");
	sr_state(&c, &po, ref_us, in);
	free(in);
	linebuf_init(&lb, sr->max_line, start);
	while (!c.stop && at < end) {
		out = linebuf_space(&lb, &avail);
		if (avail > end - at)
			avail = (size_t)(end - at);
		if (avail > SR_BLOCK)
			avail = SR_BLOCK;
		n = pread(fd, out, avail, (off_t)at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			res->why = "the file cannot be read";
			rc = -1;
			break;
		}
		if (n == 0)
			break;		/* cut meanwhile: what was read stands */
		at += (uint64_t)n;
		res->raw += (uint64_t)n;
		linebuf_commit(&lb, (size_t)n, sr_line, &c);
	}
	/* No flush: a line without its newline is not finished yet. */
	res->stopped = c.stop;
	linebuf_free(&lb);
	sr->parser->state_free(c.state);
	return rc;
}
