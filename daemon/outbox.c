/*
 * outbox.c: the delivery engine.  Rows of the store's outbox become jobs
 * for their outputs; results become store updates (in the manager's batch
 * transaction, committed with it) and, for what can never be delivered,
 * lines in the dead-letter file.  libcurl's multi-socket interface runs
 * in the libevent loop: curl tells which sockets to watch and when to
 * wake, libevent tells curl what became ready.
 *
 * This module must never block the loop (no easy_perform, no waiting on
 * a socket), never drop a row before its output said it was delivered or
 * it went to the dead-letter file, and never hand out a row that is not
 * durable yet (committed and synced: after a crash or a power cut it
 * might not exist).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "outbox.h"
#include "output.h"
#include "store.h"

#define OUTBOX_MAX_INFLIGHT	16
#define OUTBOX_BASE_S		1	/* first retry after about this */

struct outbox_job {
	struct output_job	 j;
	struct store_job	 sj;
	struct outbox_out	*oo;
	bool			 done;
};

struct outbox_out {
	struct output		*out;
	struct outbox		*ob;
	struct outbox_job	*jobs[OUTBOX_MAX_INFLIGHT];
	unsigned int		 njobs;
	unsigned int		 max;
	int64_t			 paused_until;	/* after a failure */
	size_t			 backoff_max;
	size_t			 max_age;
};

struct outbox_sock {
	struct event	*ev;
	curl_socket_t	 fd;
};

struct outbox_req {
	void		 (*fn)(void *, void *, int);
	void		*arg;
};

struct outbox {
	struct store		*st;
	struct event_base	*base;
	struct outbox_out	*outs;
	size_t			 nouts;
	int64_t			 written;	/* highest committed row */
	int64_t			 committed;	/* highest durable one */
	char			*deadletter;
	CURLM			*multi;
	struct event		*timer;
	struct outbox_stats	 stats;
};

static void	outbox_job_done(struct output_job *, enum output_result,
		    int64_t, const char *, const char *);

/* --- libcurl in the loop ---------------------------------------------- */

/* Reap finished transfers and call their owners. */
static void
outbox_curl_check(struct outbox *ob)
{
	struct outbox_req	*req;
	CURLMsg			*msg;
	CURL			*easy;
	CURLcode		 rc;
	int			 left;

	while ((msg = curl_multi_info_read(ob->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result;
		req = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&req);
		curl_multi_remove_handle(ob->multi, easy);
		if (req != NULL) {
			req->fn(req->arg, easy, (int)rc);
			free(req);
		}
	}
}

/* A watched socket is ready. */
static void
outbox_curl_event(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;
	int		 flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(ob->multi, fd, flags, &running);
	outbox_curl_check(ob);
}

/* curl's timer ran out. */
static void
outbox_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;
	int		 running;

	curl_multi_socket_action(ob->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	outbox_curl_check(ob);
}

/* curl asks for a wake-up in ms (-1: none). */
static int
outbox_curl_timer(CURLM *multi, long ms, void *arg)
{
	struct outbox	*ob = arg;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(ob->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ob->timer, &tv);
	return 0;
}

/* curl asks to watch (or stop watching) a socket. */
static int
outbox_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct outbox		*ob = arg;
	struct outbox_sock	*s = sockp;
	short			 ev = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
		}
		curl_multi_assign(ob->multi, fd, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (s == NULL) {
		if ((s = calloc(1, sizeof *s)) == NULL)
			fatal("calloc");
		s->fd = fd;
		curl_multi_assign(ob->multi, fd, s);
	} else
		event_free(s->ev);
	if ((s->ev = event_new(ob->base, fd, ev, outbox_curl_event,
	    ob)) == NULL)
		fatalx("event_new");
	event_add(s->ev, NULL);
	return 0;
}

int
outbox_curl(struct outbox *ob, void *easy, void (*fn)(void *, void *, int),
    void *arg)
{
	struct outbox_req	*req;

	if (ob->multi == NULL)
		return -1;
	if ((req = calloc(1, sizeof *req)) == NULL)
		fatal("calloc");
	req->fn = fn;
	req->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	if (curl_multi_add_handle(ob->multi, easy) != CURLM_OK) {
		free(req);
		return -1;
	}
	return 0;
}

struct event_base *
outbox_base(struct outbox *ob)
{
	return ob->base;
}

char *
outbox_secret(const char *path, size_t *len, char **cause)
{
	char	buf[4096];
	char	*s;
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (asprintf(cause, "%s: %s", path, strerror(errno)) == -1)
			fatal("asprintf");
		return NULL;
	}
	while (got < sizeof buf - 1) {
		n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	if (got == 0) {
		if (asprintf(cause, "%s: empty", path) == -1)
			fatal("asprintf");
		return NULL;
	}
	if ((s = malloc(got + 1)) == NULL)
		fatal("malloc");
	memcpy(s, buf, got);
	s[got] = '\0';
	explicit_bzero(buf, sizeof buf);
	*len = got;
	return s;
}

/* --- jobs ------------------------------------------------------------- */

size_t
outbox_outputs(struct output **outs, size_t n, char ***names)
{
	char	**v = NULL;
	size_t	 i, k = 0;

	for (i = 0; i < n; i++) {
		if (outs[i]->ops->deliver == NULL)
			continue;
		if ((v = reallocarray(v, k + 1, sizeof *v)) == NULL)
			fatal("reallocarray");
		if ((v[k++] = strdup(outs[i]->name)) == NULL)
			fatal("strdup");
	}
	*names = v;
	return k;
}

struct outbox *
outbox_new(struct store *st, struct event_base *base, struct output **outs,
    size_t n, const struct config *conf)
{
	struct outbox		*ob;
	struct outbox_out	*oo;
	size_t			 i, j;

	if ((ob = calloc(1, sizeof *ob)) == NULL)
		fatal("calloc");
	ob->st = st;
	ob->base = base;
	if (asprintf(&ob->deadletter, "%s/%s", conf->state_dir,
	    OUTBOX_DEADLETTER) == -1)
		fatal("asprintf");
	if (base != NULL) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		if ((ob->multi = curl_multi_init()) == NULL)
			fatalx("curl_multi_init");
		if ((ob->timer = evtimer_new(base, outbox_curl_timeout,
		    ob)) == NULL)
			fatalx("evtimer_new");
		curl_multi_setopt(ob->multi, CURLMOPT_SOCKETFUNCTION,
		    outbox_curl_socket);
		curl_multi_setopt(ob->multi, CURLMOPT_SOCKETDATA, ob);
		curl_multi_setopt(ob->multi, CURLMOPT_TIMERFUNCTION,
		    outbox_curl_timer);
		curl_multi_setopt(ob->multi, CURLMOPT_TIMERDATA, ob);
	}
	if ((ob->outs = calloc(n + 1, sizeof *ob->outs)) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		if (outs[i]->ops->deliver == NULL)
			continue;
		oo = &ob->outs[ob->nouts++];
		oo->out = outs[i];
		oo->ob = ob;
		oo->max = outs[i]->ops->max_inflight;
		if (oo->max == 0)
			oo->max = 1;
		if (oo->max > OUTBOX_MAX_INFLIGHT)
			oo->max = OUTBOX_MAX_INFLIGHT;
		oo->backoff_max = CONFIG_OUT_BACKOFF_DEFAULT;
		oo->max_age = CONFIG_OUT_MAX_AGE_DEFAULT;
		for (j = 0; j < conf->noutputs; j++) {
			if (conf->outputs[j].name == NULL ||
			    strcmp(conf->outputs[j].name, outs[i]->name) != 0)
				continue;
			oo->backoff_max = conf->outputs[j].backoff_max;
			oo->max_age = conf->outputs[j].max_age;
		}
		if (outs[i]->ops->attach != NULL)
			outs[i]->ops->attach(outs[i]->state, ob);
	}
	return ob;
}

void
outbox_free(struct outbox *ob)
{
	struct outbox_out	*oo;
	size_t			 i;
	unsigned int		 k;

	if (ob == NULL)
		return;
	/* Jobs still in flight stay in the store: sent again next time. */
	for (i = 0; i < ob->nouts; i++) {
		oo = &ob->outs[i];
		for (k = 0; k < oo->njobs; k++)
			oo->jobs[k]->oo = NULL;
	}
	if (ob->multi != NULL) {
		curl_multi_cleanup(ob->multi);
		curl_global_cleanup();
	}
	if (ob->timer != NULL)
		event_free(ob->timer);
	free(ob->outs);
	free(ob->deadletter);
	free(ob);
}

void
outbox_kick(struct outbox *ob)
{
	if (ob != NULL && !store_in_txn(ob->st))
		ob->written = store_outbox_max(ob->st);
}

int64_t
outbox_written(const struct outbox *ob)
{
	return ob != NULL ? ob->written : 0;
}

bool
outbox_unsynced(const struct outbox *ob)
{
	return ob != NULL && ob->written > ob->committed;
}

void
outbox_durable(struct outbox *ob, int64_t mark)
{
	/* Row ids only grow (AUTOINCREMENT); MAX(id) drops as rows go. */
	if (ob != NULL && mark > ob->committed)
		ob->committed = mark;
}

/* Append a job to the dead-letter file (fsynced) and warn. */
static void
outbox_dead(struct outbox *ob, struct outbox_job *job, const char *why)
{
	json_t	*o, *rec;
	char	*line, ts[32];
	int	 fd;
	size_t	 len;

	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	rec = job->sj.doc != NULL ? json_loads(job->sj.doc, 0, NULL) : NULL;
	o = json_pack("{ss ss ss sI ss ss so*}", "at", ts, "output",
	    job->sj.output, "incident_id", job->sj.incident_id, "revision",
	    (json_int_t)job->sj.revision, "idempotency_key", job->sj.idem,
	    "reason", why != NULL ? why : "", "record", rec);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL)
		fatal("json_dumps");
	len = strlen(line);
	if ((line = realloc(line, len + 2)) == NULL)
		fatal("realloc");
	line[len++] = '\n';
	line[len] = '\0';
	fd = open(ob->deadletter, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (fd == -1 || write(fd, line, len) != (ssize_t)len ||
	    fsync(fd) != 0)
		log_warn("%s", ob->deadletter);
	if (fd != -1)
		close(fd);
	free(line);
	ob->stats.dead++;
	log_warnx("%s: incident %s revision %lld could not be delivered and "
	    "went to %s: %s", job->sj.output, job->sj.incident_id,
	    (long long)job->sj.revision, ob->deadletter, why != NULL ? why :
	    "");
}

/* Seconds to wait before attempt n+1: doubling, capped, with jitter. */
static int64_t
outbox_backoff(int64_t attempts, size_t cap)
{
	int64_t	d = OUTBOX_BASE_S;

	while (attempts-- > 0 && d < (int64_t)cap)
		d *= 2;
	if (d > (int64_t)cap)
		d = (int64_t)cap;
	/* Half to all of it, so receivers coming back are not stampeded. */
	return d / 2 + (int64_t)(arc4random_uniform((uint32_t)(d / 2 + 1)));
}

/* Remove a finished job from its output's list. */
static void
outbox_unlink(struct outbox_job *job)
{
	struct outbox_out	*oo = job->oo;
	unsigned int		 k;

	if (oo == NULL)
		return;
	for (k = 0; k < oo->njobs; k++) {
		if (oo->jobs[k] == job) {
			oo->jobs[k] = oo->jobs[--oo->njobs];
			break;
		}
	}
	oo->ob->stats.inflight--;
}

static void
outbox_job_done(struct output_job *j, enum output_result res,
    int64_t retry_after, const char *remote_id, const char *why)
{
	struct outbox_job	*job = j->ctx;
	struct outbox_out	*oo = job->oo;
	struct outbox		*ob;
	int64_t			 now = (int64_t)time(NULL), wait;

	if (job->done)
		return;
	job->done = true;
	if (oo == NULL)
		goto out;	/* the outbox went away: the row stays */
	ob = oo->ob;
	outbox_unlink(job);
	if (store_begin(ob->st) != 0)
		goto out;
	switch (res) {
	case OUTPUT_OK:
		store_job_done(ob->st, &job->sj, remote_id, now);
		ob->stats.delivered++;
		oo->paused_until = 0;
		break;
	case OUTPUT_RETRY:
		if (now - job->sj.created >= (int64_t)oo->max_age) {
			outbox_dead(ob, job, why);
			store_job_drop(ob->st, &job->sj);
			break;
		}
		wait = outbox_backoff(job->sj.attempts, oo->backoff_max);
		if (retry_after > wait)
			wait = retry_after < 86400 ? retry_after : 86400;
		store_job_retry(ob->st, &job->sj, now + wait, why);
		/* The receiver is down or busy: leave it alone that long. */
		oo->paused_until = now + wait;
		ob->stats.retried++;
		log_warnx_rl("outbox", "%s: incident %s revision %lld: %s; "
		    "next attempt in %llds", job->sj.output,
		    job->sj.incident_id, (long long)job->sj.revision,
		    why != NULL ? why : "failed", (long long)wait);
		break;
	case OUTPUT_FAIL:
		outbox_dead(ob, job, why);
		store_job_drop(ob->st, &job->sj);
		break;
	}
out:
	json_decref(job->j.rec);
	store_job_clear(&job->sj);
	free(job);
}

/* Start one due job of oo; false if there is none. */
static bool
outbox_start(struct outbox_out *oo, int64_t now)
{
	struct outbox		*ob = oo->ob;
	struct outbox_job	*job;
	char			*busy[OUTBOX_MAX_INFLIGHT];
	unsigned int		 k;
	int			 rc;

	for (k = 0; k < oo->njobs; k++)
		busy[k] = oo->jobs[k]->sj.incident_id;
	if ((job = calloc(1, sizeof *job)) == NULL)
		fatal("calloc");
	rc = store_outbox_next(ob->st, oo->out->name, now, ob->committed,
	    busy, oo->njobs, oo->out->ops->coalesce, &job->sj);
	if (rc != 1) {
		free(job);
		return false;
	}
	job->oo = oo;
	job->j.output = job->sj.output;
	job->j.incident_id = job->sj.incident_id;
	job->j.revision = job->sj.revision;
	job->j.idem = job->sj.idem;
	job->j.doc = job->sj.doc;
	if (!oo->out->ops->text_only)
		job->j.rec = json_loads(job->sj.doc, 0, NULL);
	job->j.remote_id = job->sj.remote_id;
	job->j.first_rev = job->sj.first_rev;
	job->j.attempt = job->sj.attempts;
	job->j.done = outbox_job_done;
	job->j.ctx = job;
	oo->jobs[oo->njobs++] = job;
	ob->stats.inflight++;
	if (job->sj.doc == NULL || (job->j.rec == NULL &&
	    !oo->out->ops->text_only)) {
		outbox_job_done(&job->j, OUTPUT_FAIL, 0, NULL,
		    "the stored record is not JSON");
		return true;
	}
	if (oo->out->ops->deliver(oo->out->state, &job->j) != 0)
		outbox_job_done(&job->j, OUTPUT_RETRY, 0, NULL,
		    "could not start");
	return true;
}

void
outbox_tick(struct outbox *ob, int64_t now)
{
	struct outbox_out	*oo;
	size_t			 i;
	unsigned int		 guard, started;

	if (ob == NULL)
		return;
	for (i = 0; i < ob->nouts; i++) {
		oo = &ob->outs[i];
		/*
		 * Bounded work per tick, so the loop goes on reading.  An
		 * output that finishes its jobs in batches (one fsync for up
		 * to max of them) is flushed after each batch of starts.
		 */
		for (guard = 0; guard < 256;) {
			started = 0;
			while (guard < 256 && oo->njobs < oo->max &&
			    oo->paused_until <= now && outbox_start(oo, now)) {
				guard++;
				started++;
			}
			if (started == 0 || oo->out->ops->flush == NULL)
				break;
			oo->out->ops->flush(oo->out->state);
		}
	}
}

bool
outbox_drain(struct outbox *ob, int ms)
{
	struct timeval	 tv = { 0, 20000 };
	struct timespec	 t0, t1;
	int64_t		 now, el;
	size_t		 i;
	bool		 idle;

	if (ob == NULL)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		now = (int64_t)time(NULL);
		outbox_tick(ob, now);
		idle = ob->stats.inflight == 0;
		for (i = 0; idle && i < ob->nouts; i++) {
			if (ob->outs[i].paused_until > now)
				continue;
			if (store_outbox_count(ob->st, ob->outs[i].out->name) >
			    0 && ob->committed > 0) {
				/* Rows may all wait for a later retry. */
				struct store_job	sj;

				if (store_outbox_next(ob->st,
				    ob->outs[i].out->name, now, ob->committed,
				    NULL, 0, false, &sj) == 1) {
					idle = false;
					store_job_clear(&sj);
				}
			}
		}
		if (idle)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= ms || ob->base == NULL)
			return false;
		event_base_loopexit(ob->base, &tv);
		event_base_dispatch(ob->base);
	}
}

void
outbox_stats(const struct outbox *ob, struct outbox_stats *s)
{
	*s = ob->stats;
}
