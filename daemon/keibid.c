/*
 * keibid.c: the running daemon.  Builds sources and outputs from the
 * config, runs the libevent loop (a poll tick reads every source in
 * bounded slices, signals stop or reload), and keeps the order that makes
 * it lose nothing: lines are read, matched and written to the outputs,
 * the outputs are synced, and only then are positions saved.
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

#include "keibid.h"
#include "log.h"
#include "offsets.h"

#define KEIBID_SLICE	(4 * 1024 * 1024)	/* bytes per source per turn */
#define KEIBID_TICK_MS	250

static void	keibid_tick(evutil_socket_t, short, void *);
static void	keibid_signal(evutil_socket_t, short, void *);

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

struct ruleset *
keibid_load_rules(const struct config *conf, char **cause)
{
	return ruleset_load(conf->rules, conf->nrules, cause);
}

/* Rule callback: hand the alert to every output. */
static int
keibid_alert_cb(void *arg, struct rule *r, const struct record *rec)
{
	struct source	*src = arg;
	struct keibid	*kd = src->kd;
	size_t		 i;

	kd->alerts++;
	src->st.alerts++;
	for (i = 0; i < kd->nout; i++)
		output_alert(kd->out[i], r, rec);
	return 0;
}

void
keibid_event(struct keibid *kd, struct source *src, struct record *rec)
{
	if (kd->rules != NULL)
		ruleset_match(kd->rules, rec, keibid_alert_cb, src);
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

struct keibid *
keibid_new(struct config *conf, struct ruleset *rules, bool once,
    char **cause)
{
	struct keibid		*kd;
	struct source_pos	 pos;
	size_t			 i;

	if ((kd = calloc(1, sizeof *kd)) == NULL)
		fatal("calloc");
	kd->conf = conf;
	kd->rules = rules;
	kd->once = once;
	if (keibid_mkdirs(conf->state_dir, cause) != 0)
		goto fail;
	if ((kd->base = event_base_new()) == NULL)
		fatalx("event_base_new");

	kd->out = calloc(conf->noutputs + 1, sizeof *kd->out);
	if (kd->out == NULL)
		fatal("calloc");
	for (i = 0; i < conf->noutputs; i++) {
		if ((kd->out[i] = output_open(&conf->outputs[i], cause)) == NULL)
			goto fail;
		kd->nout++;
	}

	kd->src = calloc(conf->nsources + 1, sizeof *kd->src);
	if (kd->src == NULL)
		fatal("calloc");
	for (i = 0; i < conf->nsources; i++) {
		kd->src[i] = source_new(kd, &conf->sources[i], conf, cause);
		if (kd->src[i] == NULL)
			goto fail;
		kd->nsrc++;
		if (offsets_get(conf->state_dir, kd->src[i]->name, &pos) == 0)
			source_open(kd->src[i], &pos);
		else
			source_open(kd->src[i], NULL);
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

/* Sync outputs, then save positions: never the other way round. */
static void
keibid_checkpoint(struct keibid *kd)
{
	size_t	i;
	int	ok = 1;

	for (i = 0; i < kd->nout; i++)
		if (output_sync(kd->out[i]) != 0)
			ok = 0;
	if (!ok) {
		log_warnx("an output could not be synced; positions not saved");
		return;
	}
	if (offsets_save(kd->conf->state_dir, kd->src, kd->nsrc) == 0)
		kd->dirty = false;
}

/* One turn over every source; true if any has more waiting. */
static bool
keibid_read_all(struct keibid *kd)
{
	uint64_t	before;
	bool		more = false;
	size_t		i;

	for (i = 0; i < kd->nsrc; i++) {
		before = kd->src[i]->st.bytes;
		if (source_read(kd->src[i], KEIBID_SLICE))
			more = true;
		if (kd->src[i]->st.bytes != before)
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
	if (kd->once) {
		if (more) {
			tv.tv_usec = 0;
			evtimer_add(kd->ev_tick, &tv);
			return;
		}
		keibid_checkpoint(kd);
		event_base_loopexit(kd->base, NULL);
		return;
	}
	if (kd->dirty)
		keibid_checkpoint(kd);
	if (more)
		tv.tv_usec = 0;
	evtimer_add(kd->ev_tick, &tv);
}

/* Reload rules and networks; on any error keep what runs. */
static void
keibid_reload(struct keibid *kd)
{
	struct config	*nconf;
	struct ruleset	*nrules;
	char		*cause = NULL;

	log_info("reloading %s", kd->conf->file);
	keibid_notify("RELOADING=1");
	if ((nconf = config_load(kd->conf->file, &cause)) == NULL) {
		log_warnx("reload failed, keeping the running configuration:\n%s",
		    cause);
		free(cause);
		keibid_notify("READY=1\nSTATUS=reload failed, see the log");
		return;
	}
	if ((nrules = keibid_load_rules(nconf, &cause)) == NULL) {
		log_warnx("reload failed, keeping the running rules:\n%s",
		    cause);
		free(cause);
		config_free(nconf);
		keibid_notify("READY=1\nSTATUS=reload failed, see the log");
		return;
	}
	/*
	 * Rules and networks swap here.  Sources and outputs keep running
	 * as they are: a changed source list needs a restart for now.
	 */
	ruleset_free(kd->rules);
	kd->rules = nrules;
	cidr_set_free(&kd->conf->internal);
	kd->conf->internal = nconf->internal;
	cidr_set_init(&nconf->internal);
	config_free(nconf);
	log_info("reloaded: %zu rules", kd->rules->n);
	keibid_notify("READY=1\nSTATUS=running");
}

static void
keibid_signal(evutil_socket_t sig, short events, void *arg)
{
	struct keibid	*kd = arg;

	switch (sig) {
	case SIGHUP:
		keibid_reload(kd);
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
	/* Whatever was read is handled: make it durable and save. */
	keibid_checkpoint(kd);
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
	for (i = 0; i < kd->nsrc; i++)
		source_free(kd->src[i]);
	free(kd->src);
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
