/*
 * csirt.c: the incident store, the enricher, the incident manager and the
 * outbox, started and stopped together in the order that loses nothing:
 * revisions are queued in the same transaction as the alerts that caused
 * them, the transaction commits before source positions are saved, and
 * only committed revisions are handed to the outputs.
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

#include "csirt.h"
#include "enrich.h"
#include "incident.h"
#include "log.h"
#include "outbox.h"
#include "output.h"
#include "store.h"

struct csirt {
	const struct config	*conf;
	struct store		*st;
	struct enrich		*en;
	struct incident_mgr	*im;
	struct outbox		*ob;
};

struct csirt *
csirt_open(const struct config *conf, struct event_base *base,
    struct output **outs, size_t nouts, char **cause)
{
	struct csirt	*c;
	char		**names;
	size_t		 n, i;
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
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	c->ob = outbox_new(c->st, base, outs, nouts, conf);
	outbox_kick(c->ob);
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
	outbox_kick(c->ob);
	outbox_tick(c->ob, now);
	/*
	 * Commit at the end of every turn: keibictl and the next turn
	 * find the store unlocked between two turns of the loop.
	 */
	if (store_in_txn(c->st))
		incident_sync(c->im);
}

int
csirt_sync(struct csirt *c)
{
	int	rc;

	if (c == NULL)
		return 0;
	rc = incident_sync(c->im);
	outbox_kick(c->ob);
	return rc;
}

void
csirt_stop(struct csirt *c, int ms)
{
	struct incident_stats	 is;

	if (c == NULL)
		return;
	incident_flush(c->im);
	if (incident_sync(c->im) != 0)
		log_warnx("the incident store could not commit; the last lines "
		    "are read again at the next start");
	outbox_kick(c->ob);
	if (ms > 0 && !outbox_drain(c->ob, ms))
		log_info("%lld incident revisions wait in the outbox for the "
		    "next start", (long long)store_outbox_count(c->st, NULL));
	/* What the drain delivered is committed too. */
	incident_sync(c->im);
	incident_stats(c->im, &is);
}

void
csirt_close(struct csirt *c)
{
	if (c == NULL)
		return;
	outbox_free(c->ob);
	incident_close(c->im);
	enrich_free(c->en);
	store_close(c->st);
	free(c);
}

void
csirt_reload(struct csirt *c, const struct config *nconf)
{
	struct enrich	*en;
	char		*cause = NULL;

	if (c == NULL)
		return;
	c->conf = nconf;
	incident_set_conf(c->im, nconf);
	if ((en = enrich_open(nconf, &cause)) == NULL) {
		log_warnx("reload: GeoIP or inventory: %s; the previous ones "
		    "stay", cause);
		free(cause);
		return;
	}
	incident_set_enrich(c->im, en);
	enrich_free(c->en);
	c->en = en;
}

bool
csirt_hold(void *arg, const char *file)
{
	struct csirt	*c = arg;

	return c != NULL && incident_hold(c->im, file);
}

void
csirt_summary(struct csirt *c, FILE *f)
{
	struct incident_stats	is;
	struct outbox_stats	os;

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
}
