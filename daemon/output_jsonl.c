/*
 * output_jsonl.c: the incident JSON Lines output (type jsonl).  Every
 * published revision of every incident is appended whole, one JSON
 * object per line, with one write() on an O_APPEND file, and is reported
 * delivered (so that its outbox row goes) only after an fsync: one fsync
 * for each batch the outbox starts (up to OUTBOX_MAX_INFLIGHT revisions
 * of different incidents), not one per revision; a reader keeps the last
 * line per "id".
 * After a crash a revision may appear twice (same id and revision), never
 * not at all.
 *
 * This output must never rewrite or truncate what it wrote, and never
 * write a record that is not one line (jansson escapes every control).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "incident.h"
#include "log.h"
#include "output.h"

#define OUTPUT_INC_BATCH	16	/* revisions per fsync, at most */

struct output_inc {
	char			*path;
	int			 fd;
	/* Written, waiting for the batch's fsync (output_inc_flush). */
	struct output_job	*pending[OUTPUT_INC_BATCH];
	size_t			 npending;
};

static void *
output_inc_open(const struct output_conf *oc, char **cause)
{
	struct output_inc	*o;
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

/*
 * Make the lines of the pending jobs durable with one fsync, then report
 * each job: delivered, or to be tried again (its line may then appear
 * twice, never not at all).
 */
static void
output_inc_flush(void *arg)
{
	struct output_inc	*o = arg;
	struct output_job	*job;
	const char		*why = NULL;
	size_t			 i, n = o->npending;

	if (n == 0)
		return;
	if (fsync(o->fd) != 0)
		why = strerror(errno);
	o->npending = 0;
	for (i = 0; i < n; i++) {
		job = o->pending[i];
		o->pending[i] = NULL;
		if (why != NULL)
			job->done(job, OUTPUT_RETRY, 0, NULL, why);
		else
			job->done(job, OUTPUT_OK, 0, NULL, NULL);
	}
}

/* Append the record as one line; delivered at the batch's fsync. */
static int
output_inc_deliver(void *arg, struct output_job *job)
{
	struct output_inc	*o = arg;
	json_t			*rec;
	char			*line;
	size_t			 len = strlen(job->doc);

	/*
	 * The stored text is keibi's own compact dump, one object on one
	 * line, written as it is; anything else is parsed and dumped again
	 * by jansson, so that what lands here is always one line.
	 */
	if (len >= 2 && job->doc[0] == '{' && job->doc[len - 1] == '}' &&
	    memchr(job->doc, '\n', len) == NULL &&
	    memchr(job->doc, '\r', len) == NULL) {
		if ((line = malloc(len + 2)) == NULL)
			fatal("malloc");
		memcpy(line, job->doc, len);
	} else {
		if ((rec = json_loads(job->doc, 0, NULL)) == NULL) {
			job->done(job, OUTPUT_FAIL, 0, NULL,
			    "the stored record is not JSON");
			return 0;
		}
		line = incident_dump(rec);
		json_decref(rec);
		len = strlen(line);
		if ((line = realloc(line, len + 2)) == NULL)
			fatal("realloc");
	}
	line[len++] = '\n';
	line[len] = '\0';
	if (output_write_all(o->fd, line, len) != 0) {
		job->done(job, OUTPUT_RETRY, 0, NULL, strerror(errno));
		free(line);
		return 0;
	}
	free(line);
	/* Durable, and so delivered, at the batch's fsync. */
	if (o->npending == OUTPUT_INC_BATCH)
		output_inc_flush(o);
	o->pending[o->npending++] = job;
	return 0;
}

static int
output_inc_sync(void *arg)
{
	struct output_inc	*o = arg;

	if (fsync(o->fd) != 0) {
		log_warn("%s: fsync", o->path);
		return -1;
	}
	return 0;
}

static void
output_inc_close(void *arg)
{
	struct output_inc	*o = arg;

	if (o == NULL)
		return;
	/* Jobs the outbox left unflushed are reported before the fd goes. */
	output_inc_flush(o);
	close(o->fd);
	free(o->path);
	free(o);
}

const struct output_ops output_incidents_ops = {
	.type = "jsonl",
	.open = output_inc_open,
	.sync = output_inc_sync,
	.close = output_inc_close,
	.deliver = output_inc_deliver,
	.flush = output_inc_flush,
	.max_inflight = OUTPUT_INC_BATCH,
	.coalesce = false,
	.text_only = true,
};
