/*
 * source.c: reading one log file line by line into the detection path.
 * A file is identified by device and inode, never by its name: when the
 * name points at a new file (rename rotation) the old one is read to its
 * end first, and when the file shrinks below our offset (copytruncate) it
 * is read again from 0 with a warning.  Reads are bounded per call.  The
 * parse, rule and output path allocates nothing per line.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keibid.h"
#include "log.h"
#include "source.h"
#include "tz.h"

static void	source_line(void *, const char *, size_t, int, uint64_t,
		    uint64_t);

struct source *
source_new(struct keibid *kd, const struct source_conf *sc,
    const struct config *conf, char **cause)
{
	struct source		*src;
	struct parser_opts	 po;
	const char		*zone, *tzcause = NULL;

	if ((src = calloc(1, sizeof *src)) == NULL)
		fatal("calloc");
	src->kd = kd;
	src->fd = -1;
	if ((src->name = strdup(sc->name)) == NULL ||
	    (src->path = strdup(sc->path)) == NULL)
		fatal("strdup");
	src->start_at = sc->start_at;
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
	if (src == NULL)
		return;
	if (src->fd != -1)
		close(src->fd);
	if (src->pstate != NULL)
		src->parser->state_free(src->pstate);
	tz_free(src->tz);
	if (src->lb.buf != NULL)
		linebuf_free(&src->lb);
	free(src->name);
	free(src->path);
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

/* Start reading the open file at offset. */
static void
source_start_at(struct source *src, uint64_t offset)
{
	size_t	max = src->lb.max_line;

	linebuf_free(&src->lb);
	linebuf_init(&src->lb, max, offset);
	if (offset != 0 && lseek(src->fd, (off_t)offset, SEEK_SET) == -1) {
		log_warn("%s: %s: lseek", src->name, src->path);
		linebuf_free(&src->lb);
		linebuf_init(&src->lb, max, 0);
	}
	src->saved = offset;
}

int
source_open(struct source *src, const struct source_pos *pos)
{
	struct stat	sb;
	int		fd;

	if (src->fd != -1)
		return 0;
	fd = open(src->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warnx_rl("source-open", "%s: %s: %s", src->name,
			    src->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_warnx_rl("source-open", "%s: %s: not a regular file",
		    src->name, src->path);
		close(fd);
		return -1;
	}
	src->fd = fd;
	src->dev = sb.st_dev;
	src->ino = sb.st_ino;
	source_set_ref(src, &sb);
	if (pos != NULL && pos->dev == (uint64_t)sb.st_dev &&
	    pos->ino == (uint64_t)sb.st_ino &&
	    pos->offset <= (uint64_t)sb.st_size) {
		source_start_at(src, pos->offset);
		return 0;
	}
	if (pos != NULL && (pos->dev != 0 || pos->ino != 0)) {
		if (pos->dev == (uint64_t)sb.st_dev &&
		    pos->ino == (uint64_t)sb.st_ino)
			log_warnx("%s: %s: saved position %llu is past the end "
			    "(%lld bytes): the file was truncated, reading "
			    "from 0", src->name, src->path,
			    (unsigned long long)pos->offset,
			    (long long)sb.st_size);
		else
			log_info("%s: %s is a different file than the saved "
			    "position describes; reading it from 0",
			    src->name, src->path);
		source_start_at(src, 0);
		return 0;
	}
	if (src->start_at == START_END)
		source_start_at(src, (uint64_t)sb.st_size);
	else
		source_start_at(src, 0);
	return 0;
}

void
source_position(const struct source *src, struct source_pos *pos)
{
	pos->dev = (uint64_t)src->dev;
	pos->ino = (uint64_t)src->ino;
	pos->offset = linebuf_done(&src->lb);
}

/* Read up to budget bytes of the open file; 1 more waiting, 0 at EOF. */
static int
source_read_fd(struct source *src, size_t budget)
{
	size_t	avail, done = 0;
	ssize_t	n;
	char	*p;

	while (done < budget) {
		p = linebuf_space(&src->lb, &avail);
		if (avail > budget - done)
			avail = budget - done;
		n = read(src->fd, p, avail);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warnx_rl("source-read", "%s: %s: read: %s",
				    src->name, src->path, strerror(errno));
			return 0;
		}
		if (n == 0)
			return 0;
		src->st.bytes += (uint64_t)n;
		linebuf_commit(&src->lb, (size_t)n, source_line, src);
		done += (size_t)n;
	}
	return 1;
}

int
source_read(struct source *src, size_t budget)
{
	struct stat	sb, nsb;

	if (src->fd == -1 && source_open(src, NULL) != 0)
		return 0;
	if (fstat(src->fd, &sb) == 0) {
		uint64_t	at = linebuf_done(&src->lb) +
		    linebuf_pending(&src->lb);

		if ((uint64_t)sb.st_size < at) {
			/* copytruncate: the file was cut under us. */
			log_warnx("%s: %s shrank from %llu to %lld bytes "
			    "(truncated); reading again from 0", src->name,
			    src->path, (unsigned long long)at,
			    (long long)sb.st_size);
			src->st.truncations++;
			lseek(src->fd, 0, SEEK_SET);
			source_start_at(src, 0);
		}
		source_set_ref(src, &sb);
	}
	if (source_read_fd(src, budget))
		return 1;

	/* At the end of the open file: has the name moved on? */
	if (stat(src->path, &nsb) != 0 ||
	    (nsb.st_dev == src->dev && nsb.st_ino == src->ino))
		return 0;
	/* Rotated: the old file was drained above; switch to the new one. */
	log_info("%s: %s was rotated; following the new file", src->name,
	    src->path);
	src->st.rotations++;
	close(src->fd);
	src->fd = -1;
	if (source_open(src, NULL) != 0)
		return 0;
	source_start_at(src, 0);
	return 1;
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

static void
source_line(void *arg, const char *line, size_t len, int flags,
    uint64_t start, uint64_t end)
{
	source_dispatch(arg, line, len, flags);
}
