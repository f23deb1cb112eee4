/*
 * offsets.c: positions.json, the checkpoint.  Version 2 keeps, per source,
 * the file identity (dev, inode, SHA-256 of the first fp_len bytes), the
 * offset just past the last byte handed out and whether it lies inside a
 * cut line, the open evidence segment (file, whole-member size, raw bytes,
 * lines, range, times) and the marks of bytes archived after an earlier
 * crash (file identity, range and the SHA-256 of the bytes, so that a mark
 * is only ever applied to the same bytes); and per output its rollback
 * point.  Version 1 files (dev, inode,
 * offset) still load.  Sources no longer configured stay, under "removed"
 * with the unix time they left ("removed_at"), for OFFSETS_REMOVED_DAYS,
 * so that adding one back resumes it.  This module only reads and writes
 * the file: it is written after the archive is synced and the outputs are
 * durable, so a position never runs ahead of them.  The writer at the end
 * does that last step on its own thread (fsyncs, then the file), so the
 * loop never waits on the disk for a checkpoint.
 */
#include "config.h"

#include <sys/stat.h>

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

#include "log.h"
#include "offsets.h"

/* A uint64 member of o (0 when absent). */
static uint64_t
offsets_u64(const json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* Decode hex s into out (len bytes); 0 or -1. */
static int
offsets_unhex(const char *s, unsigned char *out, size_t len)
{
	size_t	i;
	int	hi, lo;

	if (s == NULL || strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		hi = s[2 * i] >= 'a' ? s[2 * i] - 'a' + 10 : s[2 * i] - '0';
		lo = s[2 * i + 1] >= 'a' ? s[2 * i + 1] - 'a' + 10 :
		    s[2 * i + 1] - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* A strdup of member key of o, or NULL. */
static char *
offsets_str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));
	char		*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

/* The entry of source name in o, configured or removed, or NULL. */
static const struct offsets_src *
offsets_find(const struct offsets *o, const char *name)
{
	size_t	i;

	for (i = 0; i < o->nsrc; i++)
		if (strcmp(o->src[i].name, name) == 0)
			return &o->src[i];
	return NULL;
}

struct offsets_src *
offsets_add_source(struct offsets *o, const char *name)
{
	struct offsets_src	*s;

	if ((o->src = reallocarray(o->src, o->nsrc + 1, sizeof *o->src)) ==
	    NULL)
		fatal("reallocarray");
	s = &o->src[o->nsrc++];
	memset(s, 0, sizeof *s);
	evidence_seg_clear(&s->ev.seg);
	if ((s->name = strdup(name)) == NULL)
		fatal("strdup");
	return s;
}

struct offsets_out *
offsets_add_output(struct offsets *o, const char *name)
{
	struct offsets_out	*m;

	if ((o->out = reallocarray(o->out, o->nout + 1, sizeof *o->out)) ==
	    NULL)
		fatal("reallocarray");
	m = &o->out[o->nout++];
	memset(m, 0, sizeof *m);
	if ((m->name = strdup(name)) == NULL)
		fatal("strdup");
	return m;
}

/* Read one source object into s. */
static void
offsets_load_source(const json_t *j, struct offsets_src *s)
{
	const json_t		*seg, *marks, *m;
	struct evidence_mark	*k;
	size_t			 i;

	s->pos.valid = true;
	s->pos.dev = offsets_u64(j, "dev");
	s->pos.ino = offsets_u64(j, "inode");
	s->pos.offset = offsets_u64(j, "offset");
	s->pos.seen = offsets_u64(j, "seen");
	s->pos.skipping = json_is_true(json_object_get(j, "in_cut_line"));
	s->pos.fp_len = (size_t)offsets_u64(j, "fp_len");
	if (s->pos.fp_len > SOURCE_FP_MAX || offsets_unhex(json_string_value(
	    json_object_get(j, "fp")), s->pos.fp, sizeof s->pos.fp) != 0)
		s->pos.fp_len = 0;
	seg = json_object_get(j, "segment");
	if (json_is_object(seg)) {
		s->ev.seg.file = offsets_str(seg, "file");
		s->ev.seg.path = offsets_str(seg, "path");
		s->ev.seg.dev = offsets_u64(seg, "dev");
		s->ev.seg.ino = offsets_u64(seg, "inode");
		s->ev.seg.offset_start = offsets_u64(seg, "offset_start");
		s->ev.seg.raw = offsets_u64(seg, "raw");
		s->ev.seg.size = offsets_u64(seg, "size");
		s->ev.seg.lines = offsets_u64(seg, "lines");
		s->ev.seg.opened = (int64_t)offsets_u64(seg, "opened");
		s->ev.seg.first_us = json_is_integer(json_object_get(seg,
		    "first_us")) ? json_integer_value(json_object_get(seg,
		    "first_us")) : EVIDENCE_NO_TIME;
		s->ev.seg.last_us = json_is_integer(json_object_get(seg,
		    "last_us")) ? json_integer_value(json_object_get(seg,
		    "last_us")) : EVIDENCE_NO_TIME;
	}
	/* A mark without the hash of its bytes cannot be checked: left out. */
	marks = json_object_get(j, "archived");
	if (json_array_size(marks) > 0 && (s->ev.marks = reallocarray(NULL,
	    json_array_size(marks), sizeof *s->ev.marks)) == NULL)
		fatal("reallocarray");
	for (i = 0; i < json_array_size(marks); i++) {
		m = json_array_get(marks, i);
		k = &s->ev.marks[s->ev.nmarks];
		memset(k, 0, sizeof *k);
		k->dev = offsets_u64(m, "dev");
		k->ino = offsets_u64(m, "inode");
		k->start = offsets_u64(m, "start");
		k->end = offsets_u64(m, "end");
		if (offsets_unhex(json_string_value(json_object_get(m,
		    "sha256")), k->sha, sizeof k->sha) == 0)
			s->ev.nmarks++;
	}
}

int
offsets_load(const char *state_dir, struct offsets *o)
{
	json_error_t	 err;
	struct offsets_src	*s;
	struct stat		 sb;
	int64_t			 saved_ns;
	json_t			*root, *srcs, *outs, *v;
	const char		*key;
	char			*path;
	size_t			 i;

	memset(o, 0, sizeof *o);
	if (asprintf(&path, "%s/%s", state_dir, OFFSETS_FILE) == -1)
		fatal("asprintf");
	if ((root = json_load_file(path, 0, &err)) == NULL) {
		if (access(path, F_OK) == 0)
			log_warnx("%s:%d: %s; positions ignored", path,
			    err.line, err.text);
		free(path);
		return -1;
	}
	/* When the positions were saved: the file's own time. */
	saved_ns = stat(path, &sb) == 0 ? (int64_t)sb.st_mtim.tv_sec *
	    1000000000 + sb.st_mtim.tv_nsec : 0;
	free(path);
	o->entries = offsets_u64(root, "manifest_entries");
	srcs = json_object_get(root, "sources");
	json_object_foreach(srcs, key, v) {
		if (json_is_object(v))
			offsets_load_source(v, offsets_add_source(o, key));
	}
	srcs = json_object_get(root, "removed");
	json_object_foreach(srcs, key, v) {
		if (!json_is_object(v) || offsets_find(o, key) != NULL)
			continue;
		s = offsets_add_source(o, key);
		offsets_load_source(v, s);
		s->removed_at = json_integer_value(json_object_get(v,
		    "removed_at"));
		if (s->removed_at <= 0)
			s->removed_at = 1;
	}
	for (i = 0; i < o->nsrc; i++)
		o->src[i].pos.saved_ns = saved_ns;
	outs = json_object_get(root, "outputs");
	for (i = 0; i < json_array_size(outs); i++) {
		struct offsets_out	*m;
		const char		*name;

		v = json_array_get(outs, i);
		if ((name = json_string_value(json_object_get(v, "name"))) ==
		    NULL)
			continue;
		m = offsets_add_output(o, name);
		m->mark.valid = true;
		m->mark.dev = offsets_u64(v, "dev");
		m->mark.ino = offsets_u64(v, "inode");
		m->mark.size = offsets_u64(v, "size");
	}
	json_decref(root);
	return 0;
}

const struct offsets_src *
offsets_source(const struct offsets *o, const char *name)
{
	const struct offsets_src	*s;
	char				 when[32];
	struct tm			 tm;
	time_t				 t;

	if ((s = offsets_find(o, name)) == NULL || s->removed_at == 0)
		return s;
	t = (time_t)s->removed_at;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof when, "%lld", (long long)s->removed_at);
	log_info("source %s: resuming at offset %llu, the position it had "
	    "when it was removed (%s)", name,
	    (unsigned long long)s->pos.offset, when);
	return s;
}

const struct output_mark *
offsets_output(const struct offsets *o, const char *name)
{
	size_t	i;

	for (i = 0; i < o->nout; i++)
		if (strcmp(o->out[i].name, name) == 0)
			return &o->out[i].mark;
	return NULL;
}

/* Lower-case hex of 32 bytes into out[65]. */
static void
offsets_hex(const unsigned char *p, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[64] = '\0';
}

/* One source as JSON. */
static json_t *
offsets_source_json(const struct offsets_src *s)
{
	const struct evidence_seg	*g = &s->ev.seg;
	json_t				*o, *seg, *marks, *m;
	char				 hex[65];
	size_t				 i;

	o = json_object();
	json_object_set_new(o, "dev", json_integer((json_int_t)s->pos.dev));
	json_object_set_new(o, "inode", json_integer((json_int_t)s->pos.ino));
	json_object_set_new(o, "offset",
	    json_integer((json_int_t)s->pos.offset));
	json_object_set_new(o, "seen", json_integer((json_int_t)s->pos.seen));
	json_object_set_new(o, "in_cut_line", json_boolean(s->pos.skipping));
	offsets_hex(s->pos.fp, hex);
	json_object_set_new(o, "fp_len",
	    json_integer((json_int_t)s->pos.fp_len));
	json_object_set_new(o, "fp", json_string(hex));
	if (g->file != NULL) {
		seg = json_object();
		json_object_set_new(seg, "file", json_string(g->file));
		json_object_set_new(seg, "path", json_string(g->path != NULL ?
		    g->path : ""));
		json_object_set_new(seg, "dev", json_integer((json_int_t)g->dev));
		json_object_set_new(seg, "inode",
		    json_integer((json_int_t)g->ino));
		json_object_set_new(seg, "offset_start",
		    json_integer((json_int_t)g->offset_start));
		json_object_set_new(seg, "raw", json_integer((json_int_t)g->raw));
		json_object_set_new(seg, "size",
		    json_integer((json_int_t)g->size));
		json_object_set_new(seg, "lines",
		    json_integer((json_int_t)g->lines));
		json_object_set_new(seg, "opened", json_integer(g->opened));
		if (g->first_us != EVIDENCE_NO_TIME) {
			json_object_set_new(seg, "first_us",
			    json_integer(g->first_us));
			json_object_set_new(seg, "last_us",
			    json_integer(g->last_us));
		}
		json_object_set_new(o, "segment", seg);
	}
	marks = json_array();
	for (i = 0; i < s->ev.nmarks; i++) {
		m = json_object();
		json_object_set_new(m, "dev",
		    json_integer((json_int_t)s->ev.marks[i].dev));
		json_object_set_new(m, "inode",
		    json_integer((json_int_t)s->ev.marks[i].ino));
		json_object_set_new(m, "start",
		    json_integer((json_int_t)s->ev.marks[i].start));
		json_object_set_new(m, "end",
		    json_integer((json_int_t)s->ev.marks[i].end));
		offsets_hex(s->ev.marks[i].sha, hex);
		json_object_set_new(m, "sha256", json_string(hex));
		json_array_append_new(marks, m);
	}
	json_object_set_new(o, "archived", marks);
	return o;
}

/*
 * The "removed" object of the next file: the sources of the current file
 * at path that o does not name, each with the time it was removed (now,
 * for one that was configured until this save).  Removed longer than
 * OFFSETS_REMOVED_DAYS ago, past OFFSETS_REMOVED_MAX, or stopped with a
 * segment open: dropped, and said in the log.
 */
static json_t *
offsets_removed(const char *path, const struct offsets *o)
{
	static const char *const parts[] = { "sources", "removed" };
	json_t		*root, *part, *v, *out = json_object(), *c;
	const char	*key;
	int64_t		 now = (int64_t)time(NULL), at;
	size_t		 i, k;

	if ((root = json_load_file(path, 0, NULL)) == NULL)
		return out;
	for (k = 0; k < sizeof parts / sizeof parts[0]; k++) {
		part = json_object_get(root, parts[k]);
		json_object_foreach(part, key, v) {
			for (i = 0; i < o->nsrc; i++)
				if (strcmp(o->src[i].name, key) == 0)
					break;
			if (i < o->nsrc || !json_is_object(v) ||
			    json_object_get(out, key) != NULL)
				continue;
			at = k == 0 ? now : json_integer_value(
			    json_object_get(v, "removed_at"));
			if (k == 0 && json_object_get(v, "segment") != NULL) {
				log_info("source %s is no longer configured; "
				    "it stopped with a segment open, so its "
				    "position is not kept", key);
				continue;
			}
			if (at > 0 && at < now &&
			    now - at > OFFSETS_REMOVED_DAYS * 86400LL) {
				log_info("source %s was removed more than %d "
				    "days ago; its position is forgotten", key,
				    OFFSETS_REMOVED_DAYS);
				continue;
			}
			if (json_object_size(out) >= OFFSETS_REMOVED_MAX) {
				log_info("source %s: more than %d removed "
				    "sources; its position is forgotten", key,
				    OFFSETS_REMOVED_MAX);
				continue;
			}
			if (k == 0)
				log_info("source %s is no longer configured; "
				    "its position is kept for %d days", key,
				    OFFSETS_REMOVED_DAYS);
			if ((c = json_deep_copy(v)) == NULL)
				fatal("json_deep_copy");
			json_object_set_new(c, "removed_at",
			    json_integer(at > 0 ? at : now));
			json_object_set_new(out, key, c);
		}
	}
	json_decref(root);
	return out;
}

int
offsets_save(const char *state_dir, const struct offsets *o)
{
	json_t		*root, *srcs, *outs, *m;
	char		*path, *tmp, *s;
	size_t		 i, len;
	int		 fd, dfd, rc = -1;

	if (asprintf(&path, "%s/%s", state_dir, OFFSETS_FILE) == -1 ||
	    asprintf(&tmp, "%s/.%s.tmp", state_dir, OFFSETS_FILE) == -1)
		fatal("asprintf");
	root = json_object();
	json_object_set_new(root, "version", json_integer(2));
	json_object_set_new(root, "manifest_entries",
	    json_integer((json_int_t)o->entries));
	srcs = json_object();
	for (i = 0; i < o->nsrc; i++) {
		if (!o->src[i].pos.valid && o->src[i].ev.seg.file == NULL &&
		    o->src[i].ev.nmarks == 0)
			continue;
		json_object_set_new(srcs, o->src[i].name,
		    offsets_source_json(&o->src[i]));
	}
	json_object_set_new(root, "sources", srcs);
	json_object_set_new(root, "removed", offsets_removed(path, o));
	outs = json_array();
	for (i = 0; i < o->nout; i++) {
		if (!o->out[i].mark.valid)
			continue;
		m = json_object();
		json_object_set_new(m, "name", json_string(o->out[i].name));
		json_object_set_new(m, "dev",
		    json_integer((json_int_t)o->out[i].mark.dev));
		json_object_set_new(m, "inode",
		    json_integer((json_int_t)o->out[i].mark.ino));
		json_object_set_new(m, "size",
		    json_integer((json_int_t)o->out[i].mark.size));
		json_array_append_new(outs, m);
	}
	json_object_set_new(root, "outputs", outs);
	s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		fatal("json_dumps");
	len = strlen(s);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		log_warn("%s: write", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		log_warn("rename %s", path);
		unlink(tmp);
		goto out;
	}
	if ((dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(s);
	free(path);
	free(tmp);
	return rc;
}

void
offsets_free(struct offsets *o)
{
	size_t	i;

	for (i = 0; i < o->nsrc; i++) {
		free(o->src[i].name);
		evidence_seg_clear(&o->src[i].ev.seg);
		evidence_marks_clear(&o->src[i].ev);
	}
	free(o->src);
	for (i = 0; i < o->nout; i++)
		free(o->out[i].name);
	free(o->out);
	memset(o, 0, sizeof *o);
}

/* --- the checkpoint writer ------------------------------------------- */

struct offsets_writer {
	struct event_base	*base;
	offsets_done_cb		 cb;
	void			*arg;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 pipe[2];	/* thread -> loop: finished */
	struct event		*ev;
	bool			 started;
	bool			 busy;		/* loop: a cut not reported yet */

	/* Under mu. */
	bool			 stop;
	bool			 queued;	/* the thread's to take */
	bool			 finished;	/* written (or not): report */
	bool			 ok;

	/* The cut: the thread's from queued until finished. */
	struct offsets		*o;
	char			*dir;
	struct offsets_sync	*syncs;
	size_t			 nsyncs;
};

/* Run the syncs in order, then save; true if the cut is saved. */
static bool
offsets_writer_run(struct offsets_writer *w)
{
	size_t	i;

	for (i = 0; i < w->nsyncs; i++) {
		if (w->syncs[i].fn(w->syncs[i].arg) != 0) {
			log_warnx("an output or the incident store could not "
			    "be synced; positions not saved");
			return false;
		}
	}
	return offsets_save(w->dir, w->o) == 0;
}

static void *
offsets_writer_main(void *arg)
{
	struct offsets_writer	*w = arg;
	bool			 ok;
	char			 c = 'w';

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->queued && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->queued)
			break;
		w->queued = false;
		pthread_mutex_unlock(&w->mu);
		ok = offsets_writer_run(w);
		pthread_mutex_lock(&w->mu);
		w->ok = ok;
		w->finished = true;
		/* A full pipe means the loop is already due to look. */
		if (write(w->pipe[1], &c, 1) == -1 && errno != EAGAIN)
			log_warn("checkpoint writer: wake");
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Loop side: if the cut in flight is finished, free it and report. */
static void
offsets_writer_report(struct offsets_writer *w)
{
	bool	done, ok;

	pthread_mutex_lock(&w->mu);
	done = w->finished;
	ok = w->ok;
	w->finished = false;
	pthread_mutex_unlock(&w->mu);
	if (!done)
		return;
	offsets_free(w->o);
	free(w->o);
	w->o = NULL;
	free(w->dir);
	w->dir = NULL;
	free(w->syncs);
	w->syncs = NULL;
	w->nsyncs = 0;
	w->busy = false;
	if (w->cb != NULL)
		w->cb(w->arg, ok);
}

static void
offsets_writer_wake(evutil_socket_t fd, short events, void *arg)
{
	struct offsets_writer	*w = arg;
	char			 buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		continue;
	offsets_writer_report(w);
}

struct offsets_writer *
offsets_writer_new(struct event_base *base, offsets_done_cb cb, void *arg)
{
	struct offsets_writer	*w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		fatal("calloc");
	w->base = base;
	w->cb = cb;
	w->arg = arg;
	w->pipe[0] = w->pipe[1] = -1;
	if (base == NULL)
		return w;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe2");
	w->ev = event_new(base, w->pipe[0], EV_READ | EV_PERSIST,
	    offsets_writer_wake, w);
	if (w->ev == NULL)
		fatalx("event_new");
	event_add(w->ev, NULL);
	if (pthread_create(&w->thread, NULL, offsets_writer_main, w) != 0)
		fatal("pthread_create");
	w->started = true;
	return w;
}

int
offsets_writer_save(struct offsets_writer *w, const char *state_dir,
    struct offsets *o, const struct offsets_sync *syncs, size_t n)
{
	bool	ok;

	if (w->busy)
		return -1;
	w->busy = true;
	w->o = o;
	if ((w->dir = strdup(state_dir)) == NULL)
		fatal("strdup");
	if ((w->syncs = calloc(n + 1, sizeof *w->syncs)) == NULL)
		fatal("calloc");
	if (n > 0)
		memcpy(w->syncs, syncs, n * sizeof *syncs);
	w->nsyncs = n;
	if (!w->started) {
		/* No loop to report to (tools): write it now. */
		ok = offsets_writer_run(w);
		w->ok = ok;
		w->finished = true;
		offsets_writer_report(w);
		return 0;
	}
	pthread_mutex_lock(&w->mu);
	w->queued = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

bool
offsets_writer_busy(const struct offsets_writer *w)
{
	return w != NULL && w->busy;
}

int
offsets_writer_wait(struct offsets_writer *w, int ms)
{
	struct pollfd	pfd;
	struct timespec	t0, t1;
	char		buf[64];
	int		left = ms;

	if (w == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (w->busy) {
		pfd.fd = w->pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms < 0 ? -1 : left) > 0) {
			while (read(w->pipe[0], buf, sizeof buf) > 0)
				continue;
		}
		offsets_writer_report(w);
		if (ms < 0 || !w->busy)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
	}
	return 0;
}

void
offsets_writer_free(struct offsets_writer *w)
{
	if (w == NULL)
		return;
	/* The syncs use descriptors their owners close after this. */
	offsets_writer_wait(w, -1);
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->pipe[0] != -1)
		close(w->pipe[0]);
	if (w->pipe[1] != -1)
		close(w->pipe[1]);
	free(w);
}
