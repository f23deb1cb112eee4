/*
 * output.c: the output registry and the JSON Lines output.  An alert is one
 * JSON object per line, written whole with one write() on an O_APPEND file
 * so that a reader never sees half of one; output_sync() fsyncs.  The
 * original line is a JSON string: control bytes are escaped by jansson and
 * invalid UTF-8 is escaped as \xHH text, so hostile text stays data.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "output.h"

struct output_jsonl {
	char	*path;
	int	 fd;
};

char *
output_alert_json(const struct rule *r, const struct record *rec)
{
	json_t	*o, *jr, *att;
	char	*s;
	size_t	 i;
	char	 tbuf[64];

	o = json_object();
	if (rec->has_ts) {
		record_format_time(rec->ts_us, rec->tz_off, rec->ts_digits,
		    tbuf, sizeof tbuf);
		json_object_set_new(o, "@timestamp", json_string(tbuf));
	}
	jr = json_object();
	json_object_set_new(jr, "id", json_string(r->id));
	json_object_set_new(jr, "rev", json_integer(r->rev));
	json_object_set_new(jr, "title", json_string(r->title));
	json_object_set_new(jr, "category", json_string(r->category));
	json_object_set_new(jr, "severity", json_string(r->severity));
	att = json_array();
	for (i = 0; i < r->nattack; i++)
		json_array_append_new(att, json_string(r->attack[i]));
	json_object_set_new(jr, "attack", att);
	json_object_set_new(o, "rule", jr);
	if (rec->source != NULL)
		json_object_set_new(o, "source", json_string(rec->source));

	json_object_set_new(o, "event", record_to_json_obj(rec));
	if (rec->line.p != NULL)
		json_object_set_new(o, "log.original",
		    record_json_string(rec->line.p, rec->line.len));
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatal("json_dumps");
	return s;
}

int
output_file_open(const struct output_conf *oc, char **cause)
{
	int	fd;

	if (oc->path == NULL) {
		if (asprintf(cause, "jsonl output needs a 'path'") == -1)
			fatal("asprintf");
		return -1;
	}
	fd = open(oc->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1 && asprintf(cause, "%s: %s", oc->path,
	    strerror(errno)) == -1)
		fatal("asprintf");
	return fd;
}

static void *
output_jsonl_open(const struct output_conf *oc, char **cause)
{
	struct output_jsonl	*o;
	int			 fd;

	if ((fd = output_file_open(oc, cause)) == -1)
		return NULL;
	if ((o = calloc(1, sizeof *o)) == NULL)
		fatal("calloc");
	o->fd = fd;
	if ((o->path = strdup(oc->path)) == NULL)
		fatal("strdup");
	return o;
}

int
output_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
output_jsonl_alert(void *arg, const struct rule *r, const struct record *rec)
{
	struct output_jsonl	*o = arg;
	char			*s;
	size_t			 len;
	int			 rc;

	s = output_alert_json(r, rec);
	len = strlen(s);
	/* One write per alert: the line and its newline together. */
	if ((s = realloc(s, len + 2)) == NULL)
		fatal("realloc");
	s[len] = '\n';
	s[len + 1] = '\0';
	rc = output_write_all(o->fd, s, len + 1);
	if (rc != 0)
		log_warnx_rl("output-jsonl", "%s: write: %s", o->path,
		    strerror(errno));
	free(s);
	return rc;
}

static int
output_jsonl_sync(void *arg)
{
	struct output_jsonl	*o = arg;

	if (fsync(o->fd) != 0) {
		log_warn("%s: fsync", o->path);
		return -1;
	}
	return 0;
}

static void
output_jsonl_close(void *arg)
{
	struct output_jsonl	*o = arg;

	if (o == NULL)
		return;
	close(o->fd);
	free(o->path);
	free(o);
}

/* The file's identity and size: every alert is written whole by then. */
static int
output_jsonl_mark(void *arg, struct output_mark *m)
{
	struct output_jsonl	*o = arg;
	struct stat		 sb;

	if (fstat(o->fd, &sb) != 0)
		return -1;
	m->valid = true;
	m->dev = (uint64_t)sb.st_dev;
	m->ino = (uint64_t)sb.st_ino;
	m->size = (uint64_t)sb.st_size;
	return 0;
}

/* Cut the file back to m if it is still the same file and longer. */
static int
output_jsonl_rollback(void *arg, const struct output_mark *m)
{
	struct output_jsonl	*o = arg;
	struct stat		 sb;

	if (fstat(o->fd, &sb) != 0)
		return -1;
	if ((uint64_t)sb.st_dev != m->dev || (uint64_t)sb.st_ino != m->ino)
		return 0;	/* rotated by someone: leave it */
	if ((uint64_t)sb.st_size < m->size) {
		log_warnx("%s is shorter than at the last checkpoint; alerts "
		    "may be missing from it", o->path);
		return 0;
	}
	if ((uint64_t)sb.st_size == m->size)
		return 0;
	log_info("%s: dropping %llu bytes written after the last checkpoint "
	    "(their lines are evaluated again)", o->path,
	    (unsigned long long)((uint64_t)sb.st_size - m->size));
	if (ftruncate(o->fd, (off_t)m->size) != 0 || fsync(o->fd) != 0) {
		log_warn("%s: truncate", o->path);
		return -1;
	}
	return 0;
}

static const struct output_ops output_jsonl_ops = {
	.type = "alerts",
	.open = output_jsonl_open,
	.alert = output_jsonl_alert,
	.sync = output_jsonl_sync,
	.close = output_jsonl_close,
	.mark = output_jsonl_mark,
	.rollback = output_jsonl_rollback,
};

extern const struct output_ops output_incidents_ops;
extern const struct output_ops output_webhook_ops;
extern const struct output_ops output_email_ops;
extern const struct output_ops output_syslog_ops;

static const struct output_ops *const output_registry[] = {
	&output_jsonl_ops,		/* "alerts": one alert per line */
	&output_incidents_ops,		/* "jsonl": incidents (output_jsonl.c) */
	&output_webhook_ops,
	&output_email_ops,
	&output_syslog_ops,
	NULL
};

const struct output_ops *
output_lookup(const char *type)
{
	size_t	i;

	for (i = 0; output_registry[i] != NULL; i++)
		if (strcmp(output_registry[i]->type, type) == 0)
			return output_registry[i];
	return NULL;
}

struct output *
output_open(const struct output_conf *oc, char **cause)
{
	const struct output_ops	*ops;
	struct output		*out;
	void			*state;

	if ((ops = output_lookup(oc->type)) == NULL) {
		if (asprintf(cause, "unknown output type '%s'", oc->type) == -1)
			fatal("asprintf");
		return NULL;
	}
	if ((state = ops->open(oc, cause)) == NULL)
		return NULL;
	if ((out = calloc(1, sizeof *out)) == NULL)
		fatal("calloc");
	out->ops = ops;
	out->state = state;
	if (oc->name != NULL) {
		if ((out->name = strdup(oc->name)) == NULL)
			fatal("strdup");
	} else if (asprintf(&out->name, "%s:%s", oc->type,
	    oc->path != NULL ? oc->path : "") == -1)
		fatal("asprintf");
	return out;
}

int
output_alert(struct output *out, const struct rule *r,
    const struct record *rec)
{
	if (out->ops->alert == NULL)
		return 0;	/* an incident output */
	if (out->ops->alert(out->state, r, rec) != 0) {
		out->errors++;
		return -1;
	}
	out->written++;
	return 0;
}

int
output_sync(struct output *out)
{
	return out->ops->sync(out->state);
}

void
output_mark(struct output *out, struct output_mark *m)
{
	memset(m, 0, sizeof *m);
	if (out->ops->mark != NULL && out->ops->mark(out->state, m) != 0)
		memset(m, 0, sizeof *m);
}

int
output_rollback(struct output *out, const struct output_mark *m)
{
	if (!m->valid || out->ops->rollback == NULL)
		return 0;
	return out->ops->rollback(out->state, m);
}

void
output_close(struct output *out)
{
	if (out == NULL)
		return;
	out->ops->close(out->state);
	free(out->name);
	free(out);
}
