/*
 * keibid.c: the running daemon.  Builds sources and outputs from the
 * config, runs the libevent loop (a poll tick reads every source in
 * bounded slices, signals stop or reload), and keeps the order that makes
 * it lose nothing: every byte read goes to the evidence archive and every
 * line to detection and the outputs; once a second a checkpoint cuts
 * (positions, output sizes), waits for the archive worker to make every
 * byte before the cut durable, commits the incident store, and hands the
 * cut to the checkpoint writer's thread, which syncs the outputs and only
 * then saves the cut; the loop reads on meanwhile.  On start, outputs
 * written past the cut are rolled back and reading resumes at it, so a
 * line is archived and evaluated exactly once.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "control.h"
#include "csirt.h"
#include "detect.h"
#include "evidence.h"
#include "incident.h"
#include "keibid.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "offsets.h"

#define KEIBID_SLICE	(4 * 1024 * 1024)	/* bytes per source per turn */
#define KEIBID_TICK_MS	250
#define KEIBID_CKPT_MS	1000			/* checkpoint interval */
#define KEIBID_STOP_MS	10000			/* wait for the archive at stop */
#define KEIBID_DELIVER_MS 5000			/* deliver incidents at stop */

#define KEIBID_LAG_MS	1000			/* loop-lag probe interval */

static void	keibid_tick(evutil_socket_t, short, void *);
static void	keibid_signal(evutil_socket_t, short, void *);
static void	keibid_wake(void *);
static void	keibid_watch_ready(void *);
static void	keibid_checkpoint(struct keibid *);
static void	keibid_checkpoint_saved(void *, bool);

/*
 * Tell systemd (Type=notify) about the daemon's state: READY=1, RELOADING=1,
 * STOPPING=1, WATCHDOG=1.  Without libsystemd, or outside systemd, nothing.
 */
static void
keibid_notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

/* Ping the systemd watchdog from the loop, at half its interval. */
static void
keibid_watchdog(struct keibid *kd)
{
#ifdef HAVE_LIBSYSTEMD
	struct timespec	ts;
	uint64_t	now, usec;

	if (kd->once || sd_watchdog_enabled(0, &usec) <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (now - kd->watchdog_last < usec / 2)
		return;
	kd->watchdog_last = now;
	sd_notify(0, "WATCHDOG=1");
#else
	(void)kd;
#endif
}

/*
 * Compiled rule databases are kept in state_dir/rules.cache (0700): a
 * restart or a reload with known rules loads them instead of compiling.
 * Never for --check, which writes nothing.
 */
static void
keibid_rules_cache(struct ruleset *rs, const struct config *conf)
{
	char	*dir;

	if (asprintf(&dir, "%s/rules.cache", conf->state_dir) == -1)
		fatal("asprintf");
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		match_plan_cache(rs->plan, dir);
	else if (errno != ENOENT)
		log_warn("%s: compiled rules are not cached", dir);
	free(dir);
}

struct ruleset *
keibid_load_rules(const struct config *conf, char **cause)
{
	struct ruleset	*rs;

	if ((rs = ruleset_load(conf->rules, conf->nrules, cause)) == NULL)
		return NULL;
	/* Rules test network roles against copies: reload swaps both. */
	ruleset_set_role(rs, ROLE_INTERNAL, &conf->internal);
	ruleset_set_role(rs, ROLE_MAIL_SERVERS, &conf->mail_servers);
	ruleset_set_role(rs, ROLE_PROXIES, &conf->proxies);
	ruleset_set_role(rs, ROLE_DNS_SERVERS, &conf->dns_servers);
	return rs;
}

/*
 * Where the line of rec lies in src's current file: the record borrows
 * the line from the source's line buffer, whose first byte is at the
 * buffer's stream offset.
 */
static void
keibid_line_ref(struct source *src, const struct record *rec,
    struct incident_ref *ref)
{
	const struct linebuf	*lb = &src->lb;

	memset(ref, 0, sizeof *ref);
	if (rec->line.p == NULL || lb->buf == NULL || src->cur.fd == -1 ||
	    rec->line.p < lb->buf || rec->line.p >= lb->buf + lb->cap)
		return;
	ref->valid = true;
	ref->path = src->cur.path;
	ref->dev = src->cur.id_dev;
	ref->ino = src->cur.id_ino;
	ref->offset = lb->offset + (uint64_t)(rec->line.p - lb->buf);
	ref->length = rec->line.len;
}

/* Rule callback: hand the alert to every output and to the incidents. */
static int
keibid_alert_cb(void *arg, struct rule *r, const struct record *rec)
{
	struct source		*src = arg;
	struct keibid		*kd = src->kd;
	struct incident_ref	 ref;
	size_t			 i;

	kd->alerts++;
	src->st.alerts++;
	for (i = 0; i < kd->nout; i++)
		output_alert(kd->out[i], r, rec);
	keibid_line_ref(src, rec, &ref);
	csirt_alert(kd->csirt, r, rec, &ref);
	return 0;
}

/* Alerts of detectors judged when time runs out (no source line). */
static int
keibid_flush_cb(void *arg, struct rule *r, const struct record *rec)
{
	struct keibid	*kd = arg;
	size_t		 i;

	kd->alerts++;
	for (i = 0; i < kd->nout; i++)
		output_alert(kd->out[i], r, rec);
	csirt_alert(kd->csirt, r, rec, NULL);
	return 0;
}

void
keibid_event(struct keibid *kd, struct source *src, struct record *rec)
{
	csirt_enrich(kd->csirt, rec);
	if (kd->rules != NULL)
		detect_event(kd->rules, rec, keibid_alert_cb, src);
}

/* Make the state folder if it is not there (mode 0750). */
static int
keibid_mkdirs(const char *dir, char **cause)
{
	struct stat	 sb;
	char		*p, *copy;

	if (stat(dir, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		if (asprintf(cause, "%s: not a folder", dir) == -1)
			fatal("asprintf");
		return -1;
	}
	if ((copy = strdup(dir)) == NULL)
		fatal("strdup");
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0750) != 0 && errno != EEXIST)
			break;
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		if (asprintf(cause, "%s: %s", dir, strerror(errno)) == -1)
			fatal("asprintf");
		return -1;
	}
	return 0;
}

/*
 * Open the pipeline of conf: the evidence archive, the outputs (rolled
 * back to the checkpoint) and the sources (resumed from it), then start
 * the archive worker.  0, or -1 with *cause and a half-built pipeline
 * that keibid_pipeline_close() takes down.
 */
static int
keibid_pipeline_open(struct keibid *kd, struct config *conf, char **cause)
{
	struct offsets		 ck;
	const struct offsets_src *os;
	const struct output_mark *om;
	bool			 once = kd->once;
	size_t			 i;

	memset(&ck, 0, sizeof ck);
	if (keibid_mkdirs(conf->state_dir, cause) != 0)
		return -1;
	keibid_rules_cache(kd->rules, conf);
	offsets_load(conf->state_dir, &ck);
	if ((kd->ev = evidence_open(conf, kd->base, ck.entries, cause)) == NULL)
		goto fail;

	kd->out = calloc(conf->noutputs + 1, sizeof *kd->out);
	if (kd->out == NULL)
		fatal("calloc");
	for (i = 0; i < conf->noutputs; i++) {
		if ((kd->out[i] = output_open(&conf->outputs[i], cause)) == NULL)
			goto fail;
		kd->nout++;
		/* Drop alerts of lines past the checkpoint: read again. */
		if ((om = offsets_output(&ck, kd->out[i]->name)) != NULL)
			output_rollback(kd->out[i], om);
	}
	if ((kd->csirt = csirt_open(conf, kd->base, kd->out, kd->nout,
	    cause)) == NULL)
		goto fail;

	kd->src = calloc(conf->nsources + 1, sizeof *kd->src);
	if (kd->src == NULL)
		fatal("calloc");
	for (i = 0; i < conf->nsources; i++) {
		kd->src[i] = source_new(kd, &conf->sources[i], conf, cause);
		if (kd->src[i] == NULL)
			goto fail;
		kd->nsrc++;
		os = offsets_source(&ck, kd->src[i]->name);
		kd->src[i]->once = once;
		kd->src[i]->ev = evidence_stream_open(kd->ev, kd->src[i]->name,
		    os != NULL ? &os->ev : NULL);
		source_open(kd->src[i], os != NULL ? &os->pos : NULL);
	}
	offsets_free(&ck);
	evidence_set_wake(kd->ev, keibid_wake, kd);
	evidence_set_hold(kd->ev, csirt_hold, kd->csirt);
	evidence_start(kd->ev);
	return 0;
fail:
	offsets_free(&ck);
	return -1;
}

/* Take the pipeline down (after keibid_drain, nothing is lost). */
static void
keibid_pipeline_close(struct keibid *kd)
{
	size_t	i;

	evidence_close(kd->ev, false);
	kd->ev = NULL;
	/* The writer fsyncs the outputs closed below. */
	offsets_writer_wait(kd->ckw, -1);
	if (kd->ck != NULL) {
		offsets_free(kd->ck);
		free(kd->ck);
		kd->ck = NULL;
	}
	for (i = 0; i < kd->nsrc; i++)
		source_free(kd->src[i]);
	free(kd->src);
	kd->src = NULL;
	kd->nsrc = 0;
	csirt_stop(kd->csirt, 0);
	csirt_close(kd->csirt);
	kd->csirt = NULL;
	for (i = 0; i < kd->nout; i++)
		output_close(kd->out[i]);
	free(kd->out);
	kd->out = NULL;
	kd->nout = 0;
}

/* Monotonic microseconds. */
static int64_t
keibid_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Once a second: how late the loop runs (a callback that takes long
 * delays everything), and the summaries of rate-limited messages.
 */
static void
keibid_lag(evutil_socket_t fd, short events, void *arg)
{
	struct keibid	*kd = arg;
	int64_t		 now = keibid_now_us();

	if (kd->tick_due_us != 0) {
		kd->lag_us = now > kd->tick_due_us ? now - kd->tick_due_us : 0;
		if (kd->lag_us > kd->lag_max_us)
			kd->lag_max_us = kd->lag_us;
	}
	kd->tick_due_us = now + KEIBID_LAG_MS * 1000;
	log_tick();
}

/*
 * The service's own sockets, opened before the archive so that a second
 * keibid on the same socket stops before it touches anything.  A socket
 * at the default path that cannot be made is only a warning (keibid run
 * by hand, outside systemd's runtime folder).
 */
static int
keibid_sockets_open(struct keibid *kd, char **cause)
{
	struct config	*conf = kd->conf;
	struct stat	 sb;
	bool		 busy;
	char		*why = NULL;

	kd->ctl = control_open(kd, conf->control_socket, conf->control_group,
	    &busy, &why);
	if (kd->ctl == NULL) {
		if (busy || strcmp(conf->control_socket,
		    CONFIG_CONTROL_DEFAULT) != 0) {
			*cause = why;
			return -1;
		}
		/* Its folder is systemd's RuntimeDirectory: run by hand? */
		if (stat(CONFIG_CONTROL_DEFAULT_DIR, &sb) != 0)
			log_info("%s; keibictl cannot reach this keibid", why);
		else
			log_warnx("%s; keibictl cannot reach this keibid", why);
		free(why);
	}
	if (conf->metrics_addr != NULL) {
		kd->metrics = metrics_open(kd, conf->metrics_addr,
		    (uint16_t)conf->metrics_port, cause);
		if (kd->metrics == NULL)
			return -1;
	}
	return 0;
}

struct keibid *
keibid_new(struct config *conf, struct ruleset *rules, bool once,
    char **cause)
{
	struct keibid	*kd;
	struct timeval	 tv = { KEIBID_LAG_MS / 1000, 0 };

	if ((kd = calloc(1, sizeof *kd)) == NULL)
		fatal("calloc");
	kd->conf = conf;
	kd->rules = rules;
	kd->once = once;
	kd->started = (int64_t)time(NULL);
	if ((kd->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	kd->ckw = offsets_writer_new(kd->base, keibid_checkpoint_saved, kd);
	if (!once && keibid_sockets_open(kd, cause) != 0)
		goto fail;
	/* Sources follow their files with inotify (polling without it). */
	if (!once)
		kd->watch = source_watch_new(kd->base, keibid_watch_ready, kd);
	if (keibid_pipeline_open(kd, conf, cause) != 0)
		goto fail;

	if (!once) {
		kd->ev_lag = event_new(kd->base, -1, EV_PERSIST, keibid_lag,
		    kd);
		if (kd->ev_lag == NULL)
			fatalx("event_new");
		event_add(kd->ev_lag, &tv);
	}
	kd->ev_term = evsignal_new(kd->base, SIGTERM, keibid_signal, kd);
	kd->ev_int = evsignal_new(kd->base, SIGINT, keibid_signal, kd);
	kd->ev_hup = evsignal_new(kd->base, SIGHUP, keibid_signal, kd);
	kd->ev_tick = evtimer_new(kd->base, keibid_tick, kd);
	if (kd->ev_term == NULL || kd->ev_int == NULL || kd->ev_hup == NULL ||
	    kd->ev_tick == NULL)
		fatalx("event_new");
	event_add(kd->ev_term, NULL);
	event_add(kd->ev_int, NULL);
	event_add(kd->ev_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	return kd;
fail:
	kd->conf = NULL;	/* the caller still owns them on failure */
	kd->rules = NULL;
	keibid_free(kd);
	return NULL;
}

/* Monotonic milliseconds. */
static int64_t
keibid_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The writer's sync of one output (on the writer's thread). */
static int
keibid_output_sync(void *arg)
{
	return output_sync(arg);
}

/* The writer finished a cut: if it could not be saved, cut again. */
static void
keibid_checkpoint_saved(void *arg, bool ok)
{
	struct keibid	*kd = arg;

	if (!ok)
		kd->dirty = true;
	else	/* The store was synced first: its revisions may go. */
		csirt_durable(kd->csirt, kd->ckpt_mark);
}

/*
 * The archive made every byte before the cut durable: commit the incident
 * store, then hand the cut to the writer, which fsyncs the outputs and
 * the store and only then saves the cut with the archive's segment sizes
 * (never the other way round), while the loop reads on.
 */
static void
keibid_checkpoint_done(void *arg, const struct evidence_sync *y)
{
	struct keibid		*kd = arg;
	struct offsets		*ck = kd->ck;
	struct offsets_sync	*syncs;
	size_t			 i;
	int			 ok = 1;

	kd->ck = NULL;
	if (ck == NULL)
		return;
	if (!y->ok)
		ok = 0;
	for (i = 0; ok && i < ck->nsrc && i < y->n; i++) {
		evidence_seg_clear(&ck->src[i].ev.seg);
		evidence_seg_copy(&ck->src[i].ev.seg, &y->st[i].seg);
	}
	ck->entries = y->entries;
	/* The alerts of the lines before the cut are in the store. */
	if (ok && csirt_sync(kd->csirt) != 0) {
		log_warnx("the incident store could not commit; positions "
		    "not saved");
		ok = 0;
	}
	if (ok) {
		if ((syncs = calloc(kd->nout + 2, sizeof *syncs)) == NULL)
			fatal("calloc");
		for (i = 0; i < kd->nout; i++) {
			syncs[i].fn = keibid_output_sync;
			syncs[i].arg = kd->out[i];
		}
		if (kd->csirt != NULL) {
			syncs[i].fn = csirt_store_sync;
			syncs[i++].arg = kd->csirt;
		}
		kd->ckpt_mark = csirt_written(kd->csirt);
		if (offsets_writer_save(kd->ckw, kd->conf->state_dir, ck,
		    syncs, i) == 0)
			ck = NULL;	/* the writer's now */
		else
			ok = 0;
		free(syncs);
	}
	if (!ok)
		kd->dirty = true;
	if (ck != NULL) {
		offsets_free(ck);
		free(ck);
	}
}

/*
 * Wait (blocking) for the cut in flight: the archive's sync, then the
 * writer's; 0, or -1 if either did not finish in KEIBID_STOP_MS each.
 */
static int
keibid_checkpoint_wait(struct keibid *kd)
{
	if (evidence_wait(kd->ev, KEIBID_STOP_MS) != 0)
		return -1;
	return offsets_writer_wait(kd->ckw, KEIBID_STOP_MS);
}

/* Cut: note positions and output sizes, then ask the archive to sync. */
static void
keibid_checkpoint(struct keibid *kd)
{
	struct offsets		*ck;
	struct offsets_src	*s;
	struct offsets_out	*m;
	size_t			 i;

	if (kd->ev == NULL || evidence_syncing(kd->ev) ||
	    offsets_writer_busy(kd->ckw))
		return;
	if ((ck = calloc(1, sizeof *ck)) == NULL)
		fatal("calloc");
	for (i = 0; i < kd->nsrc; i++) {
		s = offsets_add_source(ck, kd->src[i]->name);
		source_position(kd->src[i], &s->pos);
		evidence_marks(kd->src[i]->ev, &s->ev);
	}
	for (i = 0; i < kd->nout; i++) {
		m = offsets_add_output(ck, kd->out[i]->name);
		output_mark(kd->out[i], &m->mark);
	}
	kd->ck = ck;
	kd->dirty = false;
	kd->ckpt_ms = keibid_now_ms();
	evidence_sync(kd->ev, keibid_checkpoint_done, kd);
}

/* The archive worker finished jobs: read again if a source waited. */
static void
keibid_wake(void *arg)
{
	struct keibid	*kd = arg;
	struct timeval	 tv = { 0, 0 };
	size_t		 i;

	for (i = 0; i < kd->nsrc; i++) {
		if (kd->src[i]->blocked) {
			evtimer_add(kd->ev_tick, &tv);
			return;
		}
	}
}

/* An inotify event marked a source: read at once. */
static void
keibid_watch_ready(void *arg)
{
	struct keibid	*kd = arg;
	struct timeval	 tv = { 0, 0 };

	evtimer_add(kd->ev_tick, &tv);
}

/*
 * One turn over every source that is due (an event, more waiting, its
 * poll); true if any has more waiting.
 */
static bool
keibid_read_all(struct keibid *kd)
{
	uint64_t	before;
	int64_t		now = source_now_ms();
	bool		more = false;
	size_t		i;

	for (i = 0; i < kd->nsrc; i++) {
		if (!source_due(kd->src[i], now))
			continue;
		before = kd->src[i]->st.bytes;
		if (source_read(kd->src[i], KEIBID_SLICE))
			more = true;
		if (kd->src[i]->st.bytes != before ||
		    kd->src[i]->st.gaps != 0)
			kd->dirty = true;
	}
	return more;
}

static void
keibid_tick(evutil_socket_t fd, short events, void *arg)
{
	struct keibid	*kd = arg;
	struct timeval	 tv = { 0, KEIBID_TICK_MS * 1000 };
	bool		 more;

	keibid_watchdog(kd);
	more = keibid_read_all(kd);
	evidence_tick(kd->ev, (int64_t)time(NULL));
	csirt_tick(kd->csirt);
	if (kd->once) {
		size_t	i;

		if (more) {
			/* Input is waiting: read on at once. */
			tv.tv_usec = 0;
			evtimer_add(kd->ev_tick, &tv);
			return;
		}
		for (i = 0; i < kd->nsrc; i++) {
			if (kd->src[i]->blocked) {
				/* The archive wakes us; the tick is a fallback. */
				evtimer_add(kd->ev_tick, &tv);
				return;
			}
		}
		/* Everything is read: judge what detectors hold, as at the end. */
		if (kd->rules != NULL)
			detect_flush(kd->rules, keibid_flush_cb, kd);
		event_base_loopexit(kd->base, NULL);
		return;
	}
	if (kd->dirty && keibid_now_ms() - kd->ckpt_ms >= KEIBID_CKPT_MS)
		keibid_checkpoint(kd);
	if (more)
		tv.tv_usec = 0;
	evtimer_add(kd->ev_tick, &tv);
}

/* Equal strings, NULL equal to NULL. */
static bool
keibid_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * True if b runs the same sources, outputs, archive and state as a: then
 * a reload swaps rules and networks only, and reading never pauses.
 */
static bool
keibid_same_pipeline(const struct config *a, const struct config *b)
{
	const struct source_conf	*x, *y;
	size_t				 i;

	if (!keibid_same(a->state_dir, b->state_dir) ||
	    !keibid_same(a->evidence_dir, b->evidence_dir) ||
	    !keibid_same(a->signing_key, b->signing_key) ||
	    !keibid_same(a->timezone, b->timezone) ||
	    a->segment_size != b->segment_size ||
	    a->segment_age != b->segment_age ||
	    a->evidence_level != b->evidence_level ||
	    a->retention_days != b->retention_days ||
	    a->max_line != b->max_line || a->max_queue != b->max_queue ||
	    a->nsources != b->nsources || a->noutputs != b->noutputs)
		return false;
	for (i = 0; i < a->nsources; i++) {
		x = &a->sources[i];
		y = &b->sources[i];
		if (!keibid_same(x->name, y->name) ||
		    !keibid_same(x->path, y->path) ||
		    !keibid_same(x->parser, y->parser) ||
		    !keibid_same(x->timezone, y->timezone) ||
		    x->start_at != y->start_at ||
		    x->partial_timeout != y->partial_timeout ||
		    x->rotate_wait != y->rotate_wait ||
		    x->follow_poll != y->follow_poll ||
		    x->poll_interval != y->poll_interval)
			return false;
	}
	for (i = 0; i < a->noutputs; i++) {
		if (!keibid_same(a->outputs[i].type, b->outputs[i].type) ||
		    !keibid_same(a->outputs[i].path, b->outputs[i].path))
			return false;
	}
	return true;
}

/*
 * Make everything read so far durable and save positions: wait for a sync
 * in flight, seal every segment, cut a checkpoint and wait for it.  0, or
 * -1 if the archive or a save failed (positions stay at the last cut).
 */
static int
keibid_drain(struct keibid *kd, const char *reason)
{
	if (keibid_checkpoint_wait(kd) != 0)
		return -1;
	evidence_seal_all(kd->ev, reason);
	keibid_checkpoint(kd);
	if (keibid_checkpoint_wait(kd) != 0 || kd->dirty)
		return -1;
	return 0;
}

/*
 * Sources, outputs or the archive changed: drain, take the pipeline down
 * and build it again from nconf.  If the new one cannot be built, the old
 * one is built again from the running config and -1 returned with *cause.
 */
static int
keibid_pipeline_restart(struct keibid *kd, struct config *nconf,
    char **cause)
{
	struct evidence_stats	 es;
	struct source_stats	*st;
	char			**names, *again = NULL;
	size_t			 i, j, n;
	int			 rc = 0;

	log_info("reload: sources, outputs or the archive changed; "
	    "restarting them");
	if (keibid_drain(kd, "reload") != 0) {
		if (asprintf(cause, "the evidence archive could not be synced; "
		    "sources and outputs were left running") == -1)
			fatal("asprintf");
		return -1;
	}
	/* Counters of sources that stay, and of the archive, carry on. */
	n = kd->nsrc;
	if ((names = calloc(n + 1, sizeof *names)) == NULL ||
	    (st = calloc(n + 1, sizeof *st)) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		if ((names[i] = strdup(kd->src[i]->name)) == NULL)
			fatal("strdup");
		st[i] = kd->src[i]->st;
	}
	evidence_stats(kd->ev, &es);
	kd->ev_prev.raw += es.raw;
	kd->ev_prev.gz += es.gz;
	kd->ev_prev.sealed += es.sealed;
	kd->ev_prev.gaps += es.gaps;
	kd->ev_prev.errors += es.errors;
	kd->ev_prev.deleted += es.deleted;
	if (es.last_seal > kd->ev_prev.last_seal)
		kd->ev_prev.last_seal = es.last_seal;

	keibid_pipeline_close(kd);
	if (keibid_pipeline_open(kd, nconf, cause) != 0) {
		keibid_pipeline_close(kd);
		if (keibid_pipeline_open(kd, kd->conf, &again) != 0)
			fatalx("reload: the previous sources cannot be opened "
			    "again either: %s", again);
		rc = -1;
	}
	for (i = 0; i < kd->nsrc; i++) {
		for (j = 0; j < n; j++) {
			if (strcmp(names[j], kd->src[i]->name) == 0)
				kd->src[i]->st = st[j];
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(st);
	return rc;
}

void
keibid_evidence_stats(struct keibid *kd, struct evidence_stats *es)
{
	memset(es, 0, sizeof *es);
	if (kd->ev != NULL)
		evidence_stats(kd->ev, es);
	es->raw += kd->ev_prev.raw;
	es->gz += kd->ev_prev.gz;
	es->sealed += kd->ev_prev.sealed;
	es->gaps += kd->ev_prev.gaps;
	es->errors += kd->ev_prev.errors;
	es->deleted += kd->ev_prev.deleted;
	if (kd->ev_prev.last_seal > es->last_seal)
		es->last_seal = kd->ev_prev.last_seal;
}

int
keibid_reload(struct keibid *kd, char **cause)
{
	struct config	*nconf = NULL, *oconf;
	struct ruleset	*nrules = NULL;
	struct control	*nctl = NULL;
	struct metrics	*nmet = NULL;
	char		*why = NULL, status[512];
	const char	*nl;
	bool		 rectl, remet;

	*cause = NULL;
	kd->reload_at = (int64_t)time(NULL);
	log_info("reloading %s", kd->conf->file);
	keibid_notify("RELOADING=1");
	if ((nconf = config_load(kd->conf->file, &why)) == NULL)
		goto fail;
	if ((nrules = keibid_load_rules(nconf, &why)) == NULL)
		goto fail;
	keibid_rules_cache(nrules, nconf);
	/* GeoIP and inventory are opened and checked before any swap. */
	if (csirt_reload_prepare(kd->csirt, nconf, &why) != 0)
		goto fail;
	/* Moved sockets are made while the old ones serve, swapped below. */
	rectl = !kd->once && (!keibid_same(kd->conf->control_socket,
	    nconf->control_socket) || !keibid_same(kd->conf->control_group,
	    nconf->control_group));
	remet = !kd->once && (!keibid_same(kd->conf->metrics_addr,
	    nconf->metrics_addr) || kd->conf->metrics_port !=
	    nconf->metrics_port);
	if (rectl && (nctl = control_reopen(kd, kd->ctl,
	    nconf->control_socket, nconf->control_group, &why)) == NULL)
		goto fail;
	if (remet && nconf->metrics_addr != NULL && (nmet = metrics_open(kd,
	    nconf->metrics_addr, (uint16_t)nconf->metrics_port, &why)) == NULL)
		goto fail;
	if (!kd->once && !keibid_same_pipeline(kd->conf, nconf) &&
	    keibid_pipeline_restart(kd, nconf, &why) != 0)
		goto fail;
	if (rectl)
		kd->ctl = control_replace(kd->ctl, nctl);
	if (remet) {
		metrics_replace(kd->metrics, nmet);
		kd->metrics = nmet;
	}

	/* The whole new set is good: swap it in. */
	detect_adopt(nrules, kd->rules);
	ruleset_free(kd->rules);
	kd->rules = nrules;
	csirt_reload(kd->csirt, nconf);
	oconf = kd->conf;
	kd->conf = nconf;
	config_free(oconf);
	free(kd->reload_error);
	kd->reload_error = NULL;
	kd->reloads++;
	log_info("reloaded: %zu rules, %zu sources, %zu outputs",
	    kd->rules->n, kd->nsrc, kd->nout);
	snprintf(status, sizeof status, "READY=1\nSTATUS=running; reloaded: "
	    "%zu rules, %zu sources", kd->rules->n, kd->nsrc);
	keibid_notify(status);
	return 0;
fail:
	control_close(nctl);
	metrics_close(nmet);
	csirt_reload_abort(kd->csirt);
	ruleset_free(nrules);
	config_free(nconf);
	kd->reload_failures++;
	free(kd->reload_error);
	kd->reload_error = why;
	log_warnx("reload failed, the running configuration stays:\n%s",
	    why);
	nl = strchr(why, '\n');
	snprintf(status, sizeof status, "READY=1\nSTATUS=reload failed, the "
	    "previous configuration runs: %.*s", nl != NULL ?
	    (int)(nl - why) : 300, why);
	keibid_notify(status);
	if ((*cause = strdup(why)) == NULL)
		fatal("strdup");
	return -1;
}

static void
keibid_signal(evutil_socket_t sig, short events, void *arg)
{
	struct keibid	*kd = arg;
	char		*cause = NULL;

	switch (sig) {
	case SIGHUP:
		if (keibid_reload(kd, &cause) != 0)
			free(cause);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("stopping on signal %d", (int)sig);
		keibid_notify("STOPPING=1");
		event_base_loopexit(kd->base, NULL);
		break;
	}
}

int
keibid_run(struct keibid *kd)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(kd->ev_tick, &tv);
	if (!kd->once)
		keibid_notify("READY=1\nSTATUS=running");
	if (event_base_dispatch(kd->base) == -1)
		fatalx("event_base_dispatch");
	/* Incidents the throttle held back go out now, then are committed. */
	evtimer_del(kd->ev_tick);
	csirt_stop(kd->csirt, KEIBID_DELIVER_MS);
	/* Whatever was read is handled: seal, make it durable and save. */
	if (keibid_checkpoint_wait(kd) == 0) {
		evidence_seal_all(kd->ev, kd->once ? "once" : "shutdown");
		keibid_checkpoint(kd);
	}
	if (evidence_wait(kd->ev, KEIBID_STOP_MS) != 0) {
		log_warnx("the evidence archive could not be written; positions "
		    "stay at the last checkpoint");
		evidence_close(kd->ev, true);
		kd->ev = NULL;
		kd->exit_code = 1;
	}
	if (offsets_writer_wait(kd->ckw, KEIBID_STOP_MS) != 0) {
		log_warnx("positions could not be saved in time; they stay at "
		    "the last checkpoint");
		kd->exit_code = 1;
	}
	return kd->exit_code;
}

void
keibid_summary(struct keibid *kd, FILE *f)
{
	struct source	*s;
	size_t		 i;

	for (i = 0; i < kd->nsrc; i++) {
		s = kd->src[i];
		fprintf(f, "source %-12s %-9s %10llu lines %10llu events "
		    "%8llu ignored %6llu malformed %6llu cut %8llu alerts\n",
		    s->name, s->parser->name,
		    (unsigned long long)s->st.lines,
		    (unsigned long long)s->st.events,
		    (unsigned long long)s->st.ignored,
		    (unsigned long long)s->st.malformed,
		    (unsigned long long)s->st.truncated,
		    (unsigned long long)s->st.alerts);
	}
	csirt_summary(kd->csirt, f);
	if (kd->rules == NULL)
		return;
	for (i = 0; i < kd->rules->n; i++) {
		struct rule	*r = kd->rules->v[i];

		if (r->hits == 0 && r->limit_hits == 0)
			continue;
		fprintf(f, "rule   %-12s %-8s %8llu alerts  %s%s\n", r->id,
		    r->severity, (unsigned long long)r->hits, r->title,
		    r->limit_hits ? " (PCRE2 limits hit)" : "");
	}
}

void
keibid_free(struct keibid *kd)
{
	size_t	i;

	if (kd == NULL)
		return;
	control_close(kd->ctl);
	metrics_close(kd->metrics);
	free(kd->reload_error);
	if (kd->ev_lag != NULL)
		event_free(kd->ev_lag);
	evidence_close(kd->ev, false);
	/*
	 * Before the outputs and the store it syncs close, and before the
	 * base goes.
	 */
	offsets_writer_free(kd->ckw);
	csirt_close(kd->csirt);
	if (kd->ck != NULL) {
		offsets_free(kd->ck);
		free(kd->ck);
	}
	for (i = 0; i < kd->nsrc; i++)
		source_free(kd->src[i]);
	free(kd->src);
	source_watch_free(kd->watch);	/* after the sources it serves */
	for (i = 0; i < kd->nout; i++)
		output_close(kd->out[i]);
	free(kd->out);
	if (kd->ev_term != NULL)
		event_free(kd->ev_term);
	if (kd->ev_int != NULL)
		event_free(kd->ev_int);
	if (kd->ev_hup != NULL)
		event_free(kd->ev_hup);
	if (kd->ev_tick != NULL)
		event_free(kd->ev_tick);
	if (kd->base != NULL)
		event_base_free(kd->base);
	ruleset_free(kd->rules);
	config_free(kd->conf);
	free(kd);
}
