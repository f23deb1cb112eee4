/*
 * csirt.c: the incident store, the enricher, the incident manager and the
 * outbox, started and stopped together in the order that loses nothing:
 * revisions are queued in the same transaction as the alerts that caused
 * them, the transaction commits before source positions are saved, and
 * only durable revisions are handed to the outputs.  The batch commits
 * at most every incidents.commit_interval ms from the tick, and at once
 * at a checkpoint, a control request, a reload and the stop.  A commit
 * does not wait for the disk (store.c): the checkpoint writer's thread
 * syncs the store before it saves positions and then tells
 * csirt_durable() how far that reached; a person's change and the stop
 * sync on the loop, and so does the tick when no checkpoint synced what
 * waits for a while (nothing read, so nothing to wait for).
 *
 * This module must never make keibid fail after start-up because of the
 * store, a database or a receiver: it logs, counts and goes on (a store
 * that cannot commit makes the checkpoint fail, so the lines are read
 * again).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "control.h"
#include "csirt.h"
#include "enrich.h"
#include "incident.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "output.h"
#include "store.h"

struct csirt {
	const struct config	*conf;
	struct store		*st;
	struct enrich		*en;
	struct enrich		*next_en;	/* checked for a reload */
	struct incident_mgr	*im;
	struct outbox		*ob;
	char			**outs;		/* outputs fed by the outbox */
	size_t			 nouts;

	/* Incidents by category and status, for metrics (cached). */
	struct csirt_count {
		char		*category;
		char		*status;
		uint64_t	 n;
	}			*counts;
	size_t			 ncounts;
	int64_t			 counted_at;

	int64_t			 commit_ms;	/* last commit, monotonic */
	int64_t			 durable_ms;	/* last sync, monotonic */
};

/* The tick syncs on the loop when no checkpoint did for this long. */
#define CSIRT_SYNC_IDLE_MS	3000

#define CSIRT_COUNT_TTL		30	/* seconds a count is reused */
#define CSIRT_COUNT_MAX		256	/* category/status pairs shown */

/* Milliseconds on the monotonic clock. */
static int64_t
csirt_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Write what the manager holds, commit the batch and let the outbox hand
 * out what it committed; 0 or -1 (the batch stays to commit again).
 */
static int
csirt_commit(struct csirt *c)
{
	int	rc;

	rc = incident_sync(c->im);
	c->commit_ms = csirt_now_ms();
	outbox_kick(c->ob);
	return rc;
}

/* Sync the store on the loop: what is committed may be delivered. */
static int
csirt_sync_here(struct csirt *c)
{
	int64_t	mark = outbox_written(c->ob);

	if (csirt_store_sync(c) != 0)
		return -1;
	csirt_durable(c, mark);
	return 0;
}

/* Forget the cached incident counts. */
static void
csirt_counts_clear(struct csirt *c)
{
	size_t	i;

	for (i = 0; i < c->ncounts; i++) {
		free(c->counts[i].category);
		free(c->counts[i].status);
	}
	free(c->counts);
	c->counts = NULL;
	c->ncounts = 0;
}

/*
 * Count the incidents of the store by category and status.  O(incidents)
 * rows without their records, so it runs at most once per
 * CSIRT_COUNT_TTL seconds; pairs past CSIRT_COUNT_MAX are not shown.
 */
static void
csirt_counts(struct csirt *c, int64_t now)
{
	struct store_incident	*rows = NULL;
	struct csirt_count	*k;
	size_t			 n, i, j;

	if (c->counted_at != 0 && now - c->counted_at < CSIRT_COUNT_TTL &&
	    now >= c->counted_at)
		return;
	c->counted_at = now;
	csirt_counts_clear(c);
	n = store_incidents(c->st, NULL, &rows);
	for (i = 0; i < n; i++) {
		if (rows[i].category == NULL || rows[i].status == NULL)
			continue;
		for (j = 0; j < c->ncounts; j++) {
			k = &c->counts[j];
			if (strcmp(k->category, rows[i].category) == 0 &&
			    strcmp(k->status, rows[i].status) == 0)
				break;
		}
		if (j == c->ncounts) {
			if (c->ncounts == CSIRT_COUNT_MAX)
				continue;
			c->counts = reallocarray(c->counts, c->ncounts + 1,
			    sizeof *c->counts);
			if (c->counts == NULL)
				fatal("reallocarray");
			k = &c->counts[c->ncounts++];
			if ((k->category = strdup(rows[i].category)) == NULL ||
			    (k->status = strdup(rows[i].status)) == NULL)
				fatal("strdup");
			k->n = 0;
		}
		c->counts[j].n++;
	}
	store_incidents_free(rows, n);
}

struct csirt *
csirt_open(const struct config *conf, struct event_base *base,
    struct output **outs, size_t nouts, char **cause)
{
	struct csirt	*c;
	char		**names;
	size_t		 n;
	bool		 busy;

	if ((c = calloc(1, sizeof *c)) == NULL)
		fatal("calloc");
	c->conf = conf;
	if ((c->st = store_open(conf->state_dir, STORE_OWNER, &busy,
	    cause)) == NULL)
		goto fail;
	if ((c->en = enrich_open(conf, cause)) == NULL)
		goto fail;
	n = outbox_outputs(outs, nouts, &names);
	c->im = incident_open(conf, c->st, c->en, names, n);
	/* One revision per turn of the loop at most (see csirt_tick). */
	if (c->im != NULL)
		incident_defer(c->im, true);
	c->outs = names;
	c->nouts = n;
	c->ob = outbox_new(c->st, base, outs, nouts, conf);
	outbox_kick(c->ob);
	/* What the last run left in the outbox is made durable and may go. */
	csirt_sync_here(c);
	return c;
fail:
	csirt_close(c);
	return NULL;
}

void
csirt_alert(struct csirt *c, const struct rule *r, const struct record *rec,
    const struct incident_ref *ref)
{
	if (c != NULL)
		incident_alert(c->im, r, rec, ref);
}

void
csirt_enrich(struct csirt *c, struct record *rec)
{
	if (c != NULL)
		enrich_record(c->en, rec, &c->conf->internal);
}

void
csirt_tick(struct csirt *c)
{
	int64_t	now = (int64_t)time(NULL);

	if (c == NULL)
		return;
	incident_tick(c->im, now);
	/*
	 * A commit writes the WAL and every statement of the batch costs
	 * the loop: under a steady flow of alerts one per turn of the loop
	 * would cost more than the reading does.  The batch is committed at
	 * most every commit_interval ms here, and at once by a checkpoint
	 * (before positions are saved), a control request (before its
	 * answer), a reload and the stop; keibictl reads the last commit.
	 * The outbox hands out only what a sync made durable: the
	 * checkpoint's, or, when no checkpoint synced what waits (nothing
	 * is being read), one here.
	 */
	if (store_in_txn(c->st) && csirt_now_ms() - c->commit_ms >=
	    (int64_t)c->conf->incidents.commit_interval)
		csirt_commit(c);
	else
		outbox_kick(c->ob);
	if (outbox_unsynced(c->ob) &&
	    csirt_now_ms() - c->durable_ms >= CSIRT_SYNC_IDLE_MS)
		csirt_sync_here(c);
	outbox_tick(c->ob, now);
}

int
csirt_sync(struct csirt *c)
{
	if (c == NULL)
		return 0;
	return csirt_commit(c);
}

int64_t
csirt_written(const struct csirt *c)
{
	return c != NULL ? outbox_written(c->ob) : 0;
}

int
csirt_store_sync(void *arg)
{
	struct csirt	*c = arg;

	if (store_sync(c->st) != 0) {
		log_warn("%s: sync", store_path(c->st));
		return -1;
	}
	return 0;
}

void
csirt_durable(struct csirt *c, int64_t mark)
{
	if (c == NULL)
		return;
	outbox_durable(c->ob, mark);
	c->durable_ms = csirt_now_ms();
}

void
csirt_stop(struct csirt *c, int ms)
{
	struct incident_stats	 is;
	struct store_stats	 ss;

	if (c == NULL)
		return;
	incident_flush(c->im);
	if (csirt_commit(c) != 0 || csirt_sync_here(c) != 0)
		log_warnx("the incident store could not commit; the last lines "
		    "are read again at the next start");
	if (ms > 0 && !outbox_drain(c->ob, ms))
		log_info("%lld incident revisions wait in the outbox for the "
		    "next start", (long long)store_outbox_count(c->st, NULL));
	/* What the drain delivered is committed too. */
	if (csirt_commit(c) == 0)
		csirt_sync_here(c);
	incident_stats(c->im, &is);
	store_stats(c->st, &ss);
	log_info("incident store: %llu commits, %llu ms committing",
	    (unsigned long long)ss.commits,
	    (unsigned long long)(ss.commit_us / 1000));
}

void
csirt_close(struct csirt *c)
{
	size_t	i;

	if (c == NULL)
		return;
	outbox_free(c->ob);
	incident_close(c->im);
	enrich_free(c->en);
	enrich_free(c->next_en);
	for (i = 0; i < c->nouts; i++)
		free(c->outs[i]);
	free(c->outs);
	csirt_counts_clear(c);
	store_close(c->st);
	free(c);
}

int
csirt_reload_prepare(struct csirt *c, const struct config *nconf,
    char **cause)
{
	char	*why = NULL;

	if (c == NULL)
		return 0;
	csirt_reload_abort(c);
	if ((c->next_en = enrich_open(nconf, &why)) == NULL) {
		log_warnx("reload: GeoIP or inventory: %s; the previous ones "
		    "stay", why);
		if (asprintf(cause, "GeoIP or inventory: %s", why) == -1)
			fatal("asprintf");
		free(why);
		return -1;
	}
	return 0;
}

void
csirt_reload_abort(struct csirt *c)
{
	if (c == NULL)
		return;
	enrich_free(c->next_en);
	c->next_en = NULL;
}

void
csirt_reload(struct csirt *c, const struct config *nconf)
{
	if (c == NULL)
		return;
	/* What the old configuration made is committed under it. */
	if (csirt_commit(c) != 0)
		log_warnx("reload: the incident store could not commit; it "
		    "commits again with the next batch");
	c->conf = nconf;
	incident_set_conf(c->im, nconf);
	/* Without a prepared one, the enricher was opened for nconf. */
	if (c->next_en == NULL)
		return;
	incident_set_enrich(c->im, c->next_en);
	enrich_free(c->en);
	c->en = c->next_en;
	c->next_en = NULL;
}

json_t *
csirt_control(struct csirt *c, const struct control_req *req,
    const struct control_peer *who, char **cause)
{
	struct incident_change	 ch;
	const char		*name = control_req_name(req);
	char			*doc;
	json_t			*j, *res;

	*cause = NULL;
	if (c == NULL) {
		if (asprintf(cause, "keibid keeps no incidents now") == -1)
			fatal("asprintf");
		return NULL;
	}
	memset(&ch, 0, sizeof ch);
	ch.who = who->user;
	ch.ts = (int64_t)time(NULL);
	ch.note = req->text;
	if (strcmp(name, "note") == 0)
		ch.op = "note";
	else {
		ch.op = "status";
		if (strcmp(name, "ack") == 0)
			ch.status = "acknowledged";
		else if (strcmp(name, "close") == 0) {
			ch.status = "closed";
			ch.resolution = req->resolution;
		} else
			ch.status = req->status;
	}
	if (store_begin(c->st) != 0) {
		if (asprintf(cause, "the incident store is not writable "
		    "now") == -1)
			fatal("asprintf");
		return NULL;
	}
	if (incident_change(c->im, req->id, &ch, cause) != 0)
		return NULL;
	/*
	 * Commit and sync now, whatever commit_interval says: the answer
	 * says the change is stored.
	 */
	if (csirt_commit(c) != 0 || csirt_sync_here(c) != 0) {
		if (asprintf(cause, "the incident store could not commit the "
		    "change; it is written with the next commit") == -1)
			fatal("asprintf");
		return NULL;
	}
	res = json_pack("{s:s, s:s, s:s}", "id", req->id, "change", name,
	    "by", who->user);
	if ((doc = store_incident_doc(c->st, req->id)) != NULL &&
	    (j = json_loads(doc, 0, NULL)) != NULL) {
		json_object_set(res, "status", json_object_get(j, "status"));
		json_object_set(res, "revision", json_object_get(j,
		    "revision"));
		json_decref(j);
	}
	free(doc);
	return res;
}

bool
csirt_hold(void *arg, const char *file)
{
	struct csirt	*c = arg;

	return c != NULL && incident_hold(c->im, file);
}

void
csirt_metrics(struct csirt *c, struct evbuffer *b)
{
	struct incident_stats	 is;
	struct outbox_stats	 os;
	struct store_stats	 ss;
	struct csirt_count	*k;
	size_t			 i;

	if (c == NULL)
		return;
	csirt_counts(c, (int64_t)time(NULL));
	evbuffer_add_printf(b, "# HELP keibi_incidents Incidents in the store "
	    "by category and status.\n# TYPE keibi_incidents gauge\n");
	for (i = 0; i < c->ncounts; i++) {
		k = &c->counts[i];
		evbuffer_add_printf(b, "keibi_incidents{category=\"");
		metrics_label(b, k->category);
		evbuffer_add_printf(b, "\",status=\"");
		metrics_label(b, k->status);
		evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)k->n);
	}
	evbuffer_add_printf(b, "# HELP keibi_outbox_depth Incident revisions "
	    "waiting for delivery to the output.\n"
	    "# TYPE keibi_outbox_depth gauge\n");
	for (i = 0; i < c->nouts; i++) {
		evbuffer_add_printf(b, "keibi_outbox_depth{output=\"");
		metrics_label(b, c->outs[i]);
		evbuffer_add_printf(b, "\"} %lld\n",
		    (long long)store_outbox_count(c->st, c->outs[i]));
	}
	incident_stats(c->im, &is);
	outbox_stats(c->ob, &os);
	evbuffer_add_printf(b, "# HELP keibi_incidents_opened_total Incidents "
	    "opened since start.\n# TYPE keibi_incidents_opened_total "
	    "counter\nkeibi_incidents_opened_total %llu\n"
	    "# HELP keibi_outbox_delivered_total Revisions delivered.\n"
	    "# TYPE keibi_outbox_delivered_total counter\n"
	    "keibi_outbox_delivered_total %llu\n"
	    "# HELP keibi_outbox_dead_total Revisions given up on.\n"
	    "# TYPE keibi_outbox_dead_total counter\n"
	    "keibi_outbox_dead_total %llu\n",
	    (unsigned long long)is.opened, (unsigned long long)os.delivered,
	    (unsigned long long)os.dead);
	store_stats(c->st, &ss);
	evbuffer_add_printf(b, "# HELP keibi_store_commits_total Commits of "
	    "the incident store.\n# TYPE keibi_store_commits_total counter\n"
	    "keibi_store_commits_total %llu\n"
	    "# HELP keibi_store_commit_seconds_total Time the loop spent "
	    "committing the incident store.\n"
	    "# TYPE keibi_store_commit_seconds_total counter\n"
	    "keibi_store_commit_seconds_total %.6f\n",
	    (unsigned long long)ss.commits, (double)ss.commit_us / 1e6);
}

void
csirt_summary(struct csirt *c, FILE *f)
{
	struct incident_stats	is;
	struct outbox_stats	os;
	struct store_stats	ss;

	if (c == NULL)
		return;
	incident_stats(c->im, &is);
	outbox_stats(c->ob, &os);
	fprintf(f, "incidents %llu opened %llu reopened %llu folded into mass "
	    "events %llu revisions %llu duplicate alerts; delivered %llu, "
	    "waiting %lld, dead-lettered %llu\n",
	    (unsigned long long)is.opened, (unsigned long long)is.reopened,
	    (unsigned long long)is.folded, (unsigned long long)is.published,
	    (unsigned long long)is.duplicates, (unsigned long long)os.delivered,
	    (long long)store_outbox_count(c->st, NULL),
	    (unsigned long long)os.dead);
	store_stats(c->st, &ss);
	fprintf(f, "incident store: %llu commits, %llu ms committing\n",
	    (unsigned long long)ss.commits,
	    (unsigned long long)(ss.commit_us / 1000));
}
