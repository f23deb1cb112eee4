/*
 * incident.c: the incident manager.  Each incident is its record (a
 * jansson object, the JSON the outputs send) plus a little state of the
 * manager's own (event times in microseconds, when it was last published,
 * its parent).  Incidents live in the store; the ones in use are also held
 * in memory, in two hash tables (by dedup key and by id) and an LRU list
 * bounded by incidents.max_open: an evicted incident is already in the
 * store and is read back when an alert needs it.
 *
 * An alert is first checked against the store by its unique key (a line
 * read again after a crash, or replayed, is never counted twice), then
 * grouped: the dedup key is the SHA-256 of the category and the group
 * values.  A closed incident whose key recurs is reopened within
 * incidents.reopen of its close, and otherwise followed by a new
 * occurrence.  New incidents beyond incidents.max_new_per_minute (event
 * time) fold into one mass event of their category.  Every list in a
 * record is capped and says how much it left out.
 *
 * This module must never block on the network, never send anything
 * itself (it queues revisions in the store's outbox), never let a raw log
 * byte into a record (incident_clean), and never close an incident on its
 * own: quiet is an activity, not a status.
 *
 * Incidents opened while the manager is retrospective (keibictl replay
 * --into-store) say so in their record and timeline, so that nobody takes
 * an after-the-fact finding for a live detection; their alert keys are the
 * live run's, so a replay never counts an alert twice.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "enrich.h"
#include "incident.h"
#include "log.h"
#include "mailq.h"
#include "record.h"
#include "rule.h"
#include "store.h"
#include "tz.h"

#define INC_MAX_HOSTS		64	/* internal_hosts listed */
#define INC_MAX_USERS		32
#define INC_MAX_REMOTE		32	/* remote.top */
#define INC_MAX_RULES		64
#define INC_MAX_ATTACK		32
#define INC_MAX_TIMELINE	200	/* in the record; the store has all */
#define INC_MAX_REFS		100	/* evidence.refs */
#define INC_MAX_RELATED		256
#define INC_MAX_VALUE		256	/* bytes of a cleaned value */
#define INC_MAX_RAW		4096	/* bytes of a cleaned sample line */
#define INC_MAX_MANIFEST	65536	/* manifest entries held */
#define INC_COMMIT_S		1	/* commit at least this often */
#define INC_CHANGES_MAX		64	/* keibictl changes applied per tick */

struct inc {
	char		 id[INCIDENT_ID_MAX];
	char		*key;		/* "sha256:<hex>" */
	json_t		*doc;		/* the record */
	int64_t		 first_us;	/* event time */
	int64_t		 last_us;
	int32_t		 tz_off;
	int64_t		 pub_us;	/* event time at the last publication */
	int64_t		 pub_wall;	/* unix time of it */
	int64_t		 closed_at;	/* unix time of close or resolve */
	char		 parent[INCIDENT_ID_MAX];
	bool		 dirty;		/* to write to the store */
	bool		 pending;	/* changed since published */
	bool		 urgent;	/* publish at once */
	/* status not closed, resolved, merged */
	bool		 open;
	bool		 quiet;
	bool		 retro_noted;	/* a replay's alert noted (this run) */
	struct inc	*knext;		/* hash chains */
	struct inc	*inext;
	struct inc	*prev;		/* LRU: head most recent */
	struct inc	*next;
};

struct inc_mfst {
	char		*source;
	char		*file;
	char		*sha256;
	char		*sha256_raw;
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 start;
	uint64_t	 end;
};

struct incident_mgr {
	const struct config	*conf;
	struct store		*st;
	struct enrich		*en;
	struct tz		*tz;
	char			**outputs;
	size_t			 noutputs;
	bool			 ja;
	char			 host[256];
	char			*retro_by;	/* replaying: who; NULL live */
	/*
	 * Alerts only mark what changed; incident_tick() publishes (see
	 * incident_defer()).  now: publish at once (tick, flush, a person).
	 */
	bool			 defer;
	bool			 now;

	struct inc		**kb;		/* by key */
	struct inc		**ib;		/* by id */
	size_t			 mask;
	struct inc		*head;
	struct inc		*tail;
	size_t			 n;

	int64_t			*opens;		/* ring of open times (us) */
	size_t			 nopens;
	size_t			 opens_at;

	int64_t			 max_us;	/* latest event time seen */
	int64_t			 max_wall;	/* when it was seen */
	int64_t			 last_commit;

	struct inc_mfst		*mf;		/* manifest entries, ring */
	size_t			 nmf;
	size_t			 mf_at;
	long			 mf_pos;	/* bytes of MANIFEST read */

	struct incident_stats	 stats;
};

static void	inc_publish(struct incident_mgr *, struct inc *, int64_t now);
static struct inc *inc_by_id(struct incident_mgr *, const char *id);

/* Unix time now. */
static int64_t
inc_now(void)
{
	return (int64_t)time(NULL);
}

/* FNV-1a of a string, for the hash tables. */
static size_t
inc_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* ISO 8601 of an event time. */
static void
inc_iso(int64_t us, int32_t off, char *buf, size_t size)
{
	record_format_time(us, off, 0, buf, size);
}

/* ISO 8601 of a unix time in the configured zone. */
static void
inc_iso_wall(struct incident_mgr *m, int64_t t, char *buf, size_t size)
{
	inc_iso(t * 1000000, m->tz != NULL ? tz_offset_at(m->tz, t) : 0, buf,
	    size);
}

/* A cleaned JSON string of bytes. */
static json_t *
inc_jstr(const char *p, size_t len, size_t max)
{
	json_t	*j;
	char	*c;

	c = incident_clean(p, len, max);
	j = json_string(c);
	free(c);
	return j != NULL ? j : json_string("");
}

/* Field rf of rec, {NULL, 0} when unset (a reset record keeps old spans). */
static struct span
inc_get(const struct record *rec, enum rf rf)
{
	return record_has(rec, rf) ? record_get(rec, rf) : SPAN_NULL;
}

/* A cleaned copy of a span (NULL if unset). */
static char *
inc_span(struct span sp)
{
	if (sp.p == NULL || sp.len == 0)
		return NULL;
	return incident_clean(sp.p, sp.len, INC_MAX_VALUE);
}

/* Integer member, 0 if missing. */
static int64_t
inc_int(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

/* Add d to integer member k of o. */
static void
inc_add(json_t *o, const char *k, int64_t d)
{
	json_object_set_new(o, k, json_integer(inc_int(o, k) + d));
}

/* True if array a holds string s. */
static bool
inc_has(json_t *a, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/*
 * Add string s to array a of doc unless it is there; at cap, count it in
 * doc's omitted member instead.  Returns true if it was added.
 */
static bool
inc_set_add(json_t *doc, json_t *a, const char *s, size_t cap,
    const char *omitted)
{
	if (inc_has(a, s))
		return false;
	if (json_array_size(a) >= cap) {
		if (omitted != NULL)
			inc_add(doc, omitted, 1);
		return false;
	}
	json_array_append_new(a, json_string(s));
	return true;
}

/* The sha256:hex of a string. */
static char *
inc_sha(const char *s)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*out;
	size_t		 i;

	SHA256((const unsigned char *)s, strlen(s), md);
	if ((out = malloc(7 + 2 * sizeof md + 1)) == NULL)
		fatal("malloc");
	memcpy(out, "sha256:", 7);
	for (i = 0; i < sizeof md; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return out;
}

/* --- the tables ------------------------------------------------------ */

/* Unlink from the LRU list. */
static void
inc_lru_unlink(struct incident_mgr *m, struct inc *in)
{
	if (in->prev != NULL)
		in->prev->next = in->next;
	else
		m->head = in->next;
	if (in->next != NULL)
		in->next->prev = in->prev;
	else
		m->tail = in->prev;
	in->prev = in->next = NULL;
}

/* Make in the most recently used. */
static void
inc_touch(struct incident_mgr *m, struct inc *in)
{
	if (m->head == in)
		return;
	if (in->prev != NULL)		/* in the list: take it out first */
		inc_lru_unlink(m, in);
	in->next = m->head;
	if (m->head != NULL)
		m->head->prev = in;
	m->head = in;
	if (m->tail == NULL)
		m->tail = in;
}

/* Free an incident (it must be out of the tables). */
static void
inc_free(struct inc *in)
{
	if (in == NULL)
		return;
	json_decref(in->doc);
	free(in->key);
	free(in);
}

/* The manager's state of an incident as JSON text (malloc'd). */
static char *
inc_state(struct inc *in)
{
	json_t	*o;
	char	*s;

	o = json_pack("{sI sI si sI sI sI ss}", "first_us",
	    (json_int_t)in->first_us, "last_us", (json_int_t)in->last_us,
	    "tz_off", (int)in->tz_off, "pub_us", (json_int_t)in->pub_us,
	    "pub_wall", (json_int_t)in->pub_wall, "closed_at",
	    (json_int_t)in->closed_at, "parent", in->parent);
	s = incident_dump(o);
	json_decref(o);
	return s;
}

/*
 * Write an incident's row; 0 or -1.  doc is the record's text when the
 * caller has just dumped it (NULL: dumped here).
 */
static int
inc_write_doc(struct incident_mgr *m, struct inc *in, const char *doc)
{
	struct store_incident	 si;
	json_t			*g = json_object_get(in->doc, "group");
	const char		*c2 = json_string_value(json_object_get(g,
				    "c2"));
	const char		*kind = json_string_value(json_object_get(g,
				    "kind"));
	int			 rc;

	memset(&si, 0, sizeof si);
	si.id = in->id;
	si.dedup_key = in->key;
	si.occurrence = inc_int(in->doc, "occurrence");
	si.revision = inc_int(in->doc, "revision");
	si.category = (char *)json_string_value(json_object_get(in->doc,
	    "category"));
	si.severity = (char *)json_string_value(json_object_get(in->doc,
	    "severity"));
	si.status = (char *)json_string_value(json_object_get(in->doc,
	    "status"));
	si.activity = (char *)json_string_value(json_object_get(in->doc,
	    "activity"));
	si.title = (char *)json_string_value(json_object_get(in->doc,
	    "title"));
	si.first_seen = in->first_us / 1000000;
	si.last_seen = in->last_us / 1000000;
	si.opened_at = inc_int(json_object_get(in->doc, "times"), "opened_s");
	si.updated_at = inc_now();
	si.doc = doc != NULL ? (char *)doc : incident_dump(in->doc);
	si.state = inc_state(in);
	if (store_begin(m->st) != 0)
		rc = -1;
	else
		rc = store_incident_put(m->st, &si, kind != NULL &&
		    strcmp(kind, "beacon") == 0 ? c2 : NULL);
	if (si.doc != doc)
		free(si.doc);
	free(si.state);
	if (rc != 0)
		m->stats.errors++;
	else
		in->dirty = false;
	return rc;
}

static int
inc_write(struct incident_mgr *m, struct inc *in)
{
	return inc_write_doc(m, in, NULL);
}

/* Drop the least recently used incidents beyond max_open (written first). */
static void
inc_evict(struct incident_mgr *m)
{
	struct inc	*in, **pp;
	size_t		 b;

	while (m->n > m->conf->incidents.max_open && m->tail != NULL) {
		in = m->tail;
		if (in->pending)
			inc_publish(m, in, inc_now());
		if (in->dirty && inc_write(m, in) != 0)
			return;		/* keep it rather than lose changes */
		inc_lru_unlink(m, in);
		b = inc_hash(in->key) & m->mask;
		for (pp = &m->kb[b]; *pp != NULL; pp = &(*pp)->knext)
			if (*pp == in) {
				*pp = in->knext;
				break;
			}
		b = inc_hash(in->id) & m->mask;
		for (pp = &m->ib[b]; *pp != NULL; pp = &(*pp)->inext)
			if (*pp == in) {
				*pp = in->inext;
				break;
			}
		m->n--;
		m->stats.evicted++;
		inc_free(in);
	}
}

/* Put an incident into the tables. */
static void
inc_insert(struct incident_mgr *m, struct inc *in)
{
	size_t	b;

	b = inc_hash(in->key) & m->mask;
	in->knext = m->kb[b];
	m->kb[b] = in;
	b = inc_hash(in->id) & m->mask;
	in->inext = m->ib[b];
	m->ib[b] = in;
	m->n++;
	inc_touch(m, in);
	inc_evict(m);
}

/* Status words that end the daemon's part in an incident. */
static bool
inc_status_open(const char *s)
{
	return s != NULL && strcmp(s, "closed") != 0 &&
	    strcmp(s, "resolved") != 0 && strcmp(s, "merged") != 0;
}

/* Read incident id from the store into memory; NULL if unknown. */
static struct inc *
inc_load(struct incident_mgr *m, const char *id)
{
	struct inc	*in;
	json_t		*doc, *stj;
	char		*text, *state;
	const char	*key, *parent;

	if ((text = store_incident_doc(m->st, id)) == NULL)
		return NULL;
	doc = json_loads(text, 0, NULL);
	free(text);
	key = json_string_value(json_object_get(doc, "dedup_key"));
	if (doc == NULL || key == NULL || strlen(id) >= INCIDENT_ID_MAX) {
		json_decref(doc);
		log_warnx_rl("incident", "incident %s: unreadable record", id);
		return NULL;
	}
	if ((in = calloc(1, sizeof *in)) == NULL)
		fatal("calloc");
	snprintf(in->id, sizeof in->id, "%s", id);
	if ((in->key = strdup(key)) == NULL)
		fatal("strdup");
	in->doc = doc;
	state = store_incident_state(m->st, id);
	stj = state != NULL ? json_loads(state, 0, NULL) : NULL;
	free(state);
	in->first_us = inc_int(stj, "first_us");
	in->last_us = inc_int(stj, "last_us");
	in->tz_off = (int32_t)inc_int(stj, "tz_off");
	in->pub_us = inc_int(stj, "pub_us");
	in->pub_wall = inc_int(stj, "pub_wall");
	in->closed_at = inc_int(stj, "closed_at");
	parent = json_string_value(json_object_get(stj, "parent"));
	if (parent != NULL)
		snprintf(in->parent, sizeof in->parent, "%s", parent);
	json_decref(stj);
	in->open = inc_status_open(json_string_value(json_object_get(doc,
	    "status")));
	in->quiet = strcmp(json_string_value(json_object_get(doc,
	    "activity")) != NULL ? json_string_value(json_object_get(doc,
	    "activity")) : "", "quiet") == 0;
	inc_insert(m, in);
	return in;
}

/* The incident of id, from memory or the store; NULL if unknown. */
static struct inc *
inc_by_id(struct incident_mgr *m, const char *id)
{
	struct inc	*in;

	for (in = m->ib[inc_hash(id) & m->mask]; in != NULL; in = in->inext)
		if (strcmp(in->id, id) == 0) {
			inc_touch(m, in);
			return in;
		}
	return inc_load(m, id);
}

/* The incident a dedup key leads to now; NULL if none. */
static struct inc *
inc_by_key(struct incident_mgr *m, const char *key, int64_t *occurrence)
{
	struct inc	*in;
	char		*id;
	int		 rc;

	*occurrence = 0;
	rc = store_key_get(m->st, key, &id, occurrence);
	if (rc != 1)
		return NULL;
	/* The key table is the truth: a folded key leads to its mass event. */
	in = inc_by_id(m, id);
	free(id);
	return in;
}

/* --- the record -------------------------------------------------------- */

/* Add a timeline entry to the record and the store. */
static void
inc_timeline(struct incident_mgr *m, struct inc *in, int64_t now,
    const char *kind, const char *by, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
inc_timeline(struct incident_mgr *m, struct inc *in, int64_t now,
    const char *kind, const char *by, const char *fmt, ...)
{
	json_t	*tl = json_object_get(in->doc, "timeline");
	char	 ts[64], *text, *clean;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	clean = incident_clean(text, strlen(text), 2048);
	free(text);
	inc_iso_wall(m, now, ts, sizeof ts);
	while (json_array_size(tl) >= INC_MAX_TIMELINE) {
		/* Keep the first entry (opened); the store keeps them all. */
		json_array_remove(tl, 1);
		inc_add(in->doc, "timeline_omitted", 1);
	}
	json_array_append_new(tl, json_pack("{ss ss ss ss}", "ts", ts, "kind",
	    kind, "by", by, "text", clean));
	if (store_begin(m->st) != 0 ||
	    store_tl_add(m->st, in->id, now, kind, by, clean) != 0)
		m->stats.errors++;
	free(clean);
	in->dirty = true;
	in->pending = true;
}

/* Add a related link unless it is there. */
static void
inc_relate(struct inc *in, const char *id, const char *relation)
{
	json_t		*rel = json_object_get(in->doc, "related"), *v;
	size_t		 i;

	json_array_foreach(rel, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "id")) != NULL ?
		    json_string_value(json_object_get(v, "id")) : "", id) == 0)
			return;
	}
	if (json_array_size(rel) >= INC_MAX_RELATED)
		return;
	json_array_append_new(rel, json_pack("{ss ss}", "id", id, "relation",
	    relation));
	in->dirty = true;
	in->pending = true;
	in->urgent = true;
}

/* The inventory entry of an internal host, as an assets item (or NULL). */
static void
inc_asset(struct incident_mgr *m, struct inc *in, const char *ip)
{
	const struct enrich_asset	*a;
	struct netaddr			 na;
	json_t				*o, *assets;

	if (m->en == NULL || netaddr_parse(&na, ip, strlen(ip)) != 0)
		return;
	if ((a = enrich_asset(m->en, &na)) == NULL)
		return;
	assets = json_object_get(in->doc, "assets");
	if (json_array_size(assets) >= INC_MAX_HOSTS)
		return;
	o = json_pack("{ss}", "ip", ip);
	if (a->hostname != NULL)
		json_object_set_new(o, "hostname", json_string(a->hostname));
	if (a->owner != NULL)
		json_object_set_new(o, "owner", json_string(a->owner));
	if (a->department != NULL)
		json_object_set_new(o, "department",
		    json_string(a->department));
	if (a->role != NULL)
		json_object_set_new(o, "role", json_string(a->role));
	json_array_append_new(assets, o);
}

/* Add an internal host; true if it is new to the incident. */
static bool
inc_host(struct incident_mgr *m, struct inc *in, const char *ip)
{
	if (!inc_set_add(in->doc, json_object_get(in->doc, "internal_hosts"),
	    ip, INC_MAX_HOSTS, "internal_hosts_omitted"))
		return false;
	inc_asset(m, in, ip);
	return true;
}

/* Count a remote address or domain in remote.top (with its geo data). */
static void
inc_remote(struct incident_mgr *m, struct inc *in, const char *value,
    const char *type, const struct netaddr *na, int64_t ts_us, int32_t off)
{
	json_t			*remote = json_object_get(in->doc, "remote");
	json_t			*top = json_object_get(remote, "top"), *v, *o;
	struct enrich_geo	 g;
	char			 tb[64];
	size_t			 i;

	inc_iso(ts_us, off, tb, sizeof tb);
	json_array_foreach(top, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "value")),
		    value) == 0) {
			inc_add(v, "count", 1);
			json_object_set_new(v, "last_seen", json_string(tb));
			return;
		}
	}
	inc_add(remote, "count", 1);
	if (json_array_size(top) >= INC_MAX_REMOTE) {
		inc_add(remote, "omitted", 1);
		return;
	}
	o = json_pack("{ss ss sI ss ss}", "value", value, "type", type,
	    "count", (json_int_t)1, "first_seen", tb, "last_seen", tb);
	if (na != NULL && m->en != NULL && enrich_geo(m->en, na, &g)) {
		if (g.country[0] != '\0')
			json_object_set_new(o, "country", json_string(
			    g.country));
		if (g.city[0] != '\0')
			json_object_set_new(o, "city", json_string(g.city));
		if (g.asn != 0)
			json_object_set_new(o, "asn", json_integer(g.asn));
		if (g.as_org[0] != '\0')
			json_object_set_new(o, "as_org", json_string(g.as_org));
	}
	json_array_append_new(top, o);
}

/* A new record (the field order is the order people read). */
static json_t *
inc_doc_new(struct incident_mgr *m, const char *id, const char *key,
    int64_t occurrence, const char *category, json_t *group, int64_t now)
{
	json_t		*doc, *acts;
	const char	*const *a;
	char		 ts[64];

	inc_iso_wall(m, now, ts, sizeof ts);
	acts = json_array();
	for (a = incident_actions(category); *a != NULL; a++)
		json_array_append_new(acts, json_string(*a));
	doc = json_object();
	json_object_set_new(doc, "schema_version", json_string(
	    INCIDENT_SCHEMA));
	json_object_set_new(doc, "id", json_string(id));
	json_object_set_new(doc, "dedup_key", json_string(key));
	json_object_set_new(doc, "occurrence", json_integer(occurrence));
	json_object_set_new(doc, "revision", json_integer(0));
	json_object_set_new(doc, "category", json_string(category));
	json_object_set_new(doc, "classification", json_pack("{ss ss ss}",
	    "rsit", incident_rsit(category), "jp_category",
	    incident_jp_category(category), "category_text",
	    incident_category_text(category, false)));
	json_object_set_new(doc, "severity", json_string("low"));
	json_object_set_new(doc, "status", json_string("new"));
	json_object_set_new(doc, "resolution", json_null());
	json_object_set_new(doc, "activity", json_string("active"));
	json_object_set_new(doc, "title", json_string(""));
	json_object_set_new(doc, "summary", json_string(""));
	json_object_set_new(doc, "group", group);
	json_object_set_new(doc, "origin", json_string("internal"));
	json_object_set_new(doc, "internal_hosts", json_array());
	json_object_set_new(doc, "internal_hosts_omitted", json_integer(0));
	json_object_set_new(doc, "assets", json_array());
	json_object_set_new(doc, "users", json_array());
	json_object_set_new(doc, "users_omitted", json_integer(0));
	json_object_set_new(doc, "remote", json_pack("{sI s[] sI}", "count",
	    (json_int_t)0, "top", "omitted", (json_int_t)0));
	json_object_set_new(doc, "first_seen", json_null());
	json_object_set_new(doc, "last_seen", json_null());
	json_object_set_new(doc, "opened_at", json_string(ts));
	json_object_set_new(doc, "updated_at", json_string(ts));
	json_object_set_new(doc, "times", json_pack("{ss sI}", "detected_at",
	    ts, "opened_s", (json_int_t)now));
	json_object_set_new(doc, "rules", json_array());
	json_object_set_new(doc, "rule_details", json_array());
	json_object_set_new(doc, "attack", json_array());
	json_object_set_new(doc, "alert_count", json_integer(0));
	json_object_set_new(doc, "counters", json_pack("{sI sI sI sI sI sI}",
	    "events", (json_int_t)0, "distinct_targets", (json_int_t)0,
	    "bytes_out", (json_int_t)0, "bytes_in", (json_int_t)0, "mails",
	    (json_int_t)0, "suppressed_updates", (json_int_t)0));
	json_object_set_new(doc, "timeline", json_array());
	json_object_set_new(doc, "timeline_omitted", json_integer(0));
	json_object_set_new(doc, "evidence", json_pack("{s[] sI sI s[] sI}",
	    "samples", "sample_limit", (json_int_t)m->conf->incidents.samples,
	    "omitted", (json_int_t)0, "refs", "refs_omitted", (json_int_t)0));
	json_object_set_new(doc, "related", json_array());
	json_object_set_new(doc, "direction", json_string("outbound"));
	json_object_set_new(doc, "discovery", json_pack("{ss ss}", "method",
	    "monitoring-alert", "tool", "keibi"));
	json_object_set_new(doc, "suspected_cause", json_pack("{ss ss}",
	    "hypothesis", incident_cause(category, false), "hypothesis_ja",
	    incident_cause(category, true)));
	json_object_set_new(doc, "recommended_actions", acts);
	json_object_set_new(doc, "detector", json_pack("{ss ss ss}", "product",
	    "keibi", "version", PACKAGE_VERSION, "host", m->host));
	json_object_set_new(doc, "clock", json_pack("{ss}", "tz",
	    m->conf->timezone != NULL ? m->conf->timezone : "UTC"));
	if (m->conf->incidents.csirt_name != NULL)
		json_object_set_new(doc, "csirt_name", json_string(
		    m->conf->incidents.csirt_name));
	if (m->conf->incidents.organization != NULL)
		json_object_set_new(doc, "organization", json_pack("{ss}",
		    "name", m->conf->incidents.organization));
	json_object_set_new(doc, "report", json_pack("{ss sn sn}", "purpose",
	    "information", "publication", "disclose_reporter"));
	return doc;
}

/* Open a new incident for key; NULL on a store error. */
static struct inc *
inc_new(struct incident_mgr *m, const char *key, int64_t occurrence,
    const char *category, json_t *group, int64_t ts_us, int32_t off,
    int64_t now)
{
	struct inc	*in;
	struct tm	 tm;
	char		 month[32];
	time_t		 t = (time_t)now;
	int64_t		 seq;

	/* The month of detection, in the configured zone. */
	t += m->tz != NULL ? tz_offset_at(m->tz, now) : 0;
	gmtime_r(&t, &tm);
	snprintf(month, sizeof month, "%04d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1);
	if (store_begin(m->st) != 0 ||
	    (seq = store_next_seq(m->st, month)) == 0) {
		json_decref(group);
		m->stats.errors++;
		return NULL;
	}
	if ((in = calloc(1, sizeof *in)) == NULL)
		fatal("calloc");
	snprintf(in->id, sizeof in->id, "KB-%s-%04lld", month,
	    (long long)seq);
	if ((in->key = strdup(key)) == NULL)
		fatal("strdup");
	in->doc = inc_doc_new(m, in->id, key, occurrence, category, group,
	    now);
	in->first_us = in->last_us = ts_us;
	in->tz_off = off;
	in->open = true;
	in->dirty = in->pending = in->urgent = true;
	if (store_key_put(m->st, key, in->id, occurrence) != 0)
		m->stats.errors++;
	inc_insert(m, in);
	m->stats.opened++;
	if (m->retro_by != NULL) {
		json_object_set_new(in->doc, "retrospective", json_true());
		inc_timeline(m, in, now, "retrospective", m->retro_by,
		    "opened retrospectively: found by a replay of archived "
		    "logs (keibictl replay), not by live monitoring");
	}
	return in;
}

/* Publish a revision: bump it, describe it, store it, queue it. */
static void
inc_publish(struct incident_mgr *m, struct inc *in, int64_t now)
{
	char	 ts[64], *doc;

	inc_add(in->doc, "revision", 1);
	inc_iso_wall(m, now, ts, sizeof ts);
	json_object_set_new(in->doc, "updated_at", json_string(ts));
	incident_describe(in->doc, m->ja);
	in->pub_us = in->last_us;
	in->pub_wall = now;
	in->pending = in->urgent = false;
	/* One text for the row and the revision: a record is 10-70 KB. */
	doc = incident_dump(in->doc);
	if (inc_write_doc(m, in, doc) != 0) {
		free(doc);
		return;
	}
	if (store_publish(m->st, in->id, inc_int(in->doc, "revision"), doc,
	    m->outputs, m->noutputs, now) != 0)
		m->stats.errors++;
	free(doc);
	m->stats.published++;
}

/* Publish if the change matters or the throttle allows it. */
static void
inc_maybe_publish(struct incident_mgr *m, struct inc *in, int64_t now)
{
	int64_t	thr = (int64_t)m->conf->incidents.throttle;

	if (!in->pending)
		return;
	if (in->urgent || thr == 0 || in->last_us - in->pub_us >=
	    thr * 1000000 || now - in->pub_wall >= thr) {
		if (!m->defer || m->now)
			inc_publish(m, in, now);
		return;
	}
	m->stats.throttled++;
	inc_add(json_object_get(in->doc, "counters"), "suppressed_updates", 1);
}

/* --- evidence references ------------------------------------------------ */

/* Read MANIFEST.jsonl entries past what was read before. */
static void
inc_manifest_read(struct incident_mgr *m)
{
	struct inc_mfst	*e;
	FILE		*f;
	char		*path, *line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	json_t		*o;

	if (m->conf->evidence_dir == NULL)
		return;
	if (asprintf(&path, "%s/MANIFEST.jsonl", m->conf->evidence_dir) == -1)
		fatal("asprintf");
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return;
	if (fseek(f, m->mf_pos, SEEK_SET) != 0)
		goto out;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break;		/* being written: later */
		m->mf_pos += n;
		if ((o = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (json_string_value(json_object_get(o, "file")) == NULL ||
		    json_string_value(json_object_get(o, "source")) == NULL) {
			json_decref(o);
			continue;
		}
		if (m->nmf < INC_MAX_MANIFEST) {
			m->mf = reallocarray(m->mf, m->nmf + 1, sizeof *m->mf);
			if (m->mf == NULL)
				fatal("reallocarray");
			e = &m->mf[m->nmf++];
		} else {
			e = &m->mf[m->mf_at];
			m->mf_at = (m->mf_at + 1) % INC_MAX_MANIFEST;
			free(e->source);
			free(e->file);
			free(e->sha256);
			free(e->sha256_raw);
		}
		e->source = strdup(json_string_value(json_object_get(o,
		    "source")));
		e->file = strdup(json_string_value(json_object_get(o, "file")));
		e->sha256 = json_string_value(json_object_get(o,
		    "sha256_gz")) != NULL ? strdup(json_string_value(
		    json_object_get(o, "sha256_gz"))) : NULL;
		e->sha256_raw = json_string_value(json_object_get(o,
		    "sha256_raw")) != NULL ? strdup(json_string_value(
		    json_object_get(o, "sha256_raw"))) : NULL;
		if (e->source == NULL || e->file == NULL)
			fatal("strdup");
		e->dev = (uint64_t)inc_int(o, "dev");
		e->ino = (uint64_t)inc_int(o, "inode");
		e->start = (uint64_t)inc_int(o, "offset_start");
		e->end = (uint64_t)inc_int(o, "offset_end");
		json_decref(o);
	}
out:
	free(line);
	fclose(f);
}

/* Fill segment and hash of the references that a sealed segment holds. */
static void
inc_resolve_refs(struct incident_mgr *m, struct inc *in)
{
	json_t		*refs, *r;
	struct inc_mfst	*e;
	size_t		 i, j;
	uint64_t	 dev, ino, off;
	bool		 want = false;

	refs = json_object_get(json_object_get(in->doc, "evidence"), "refs");
	json_array_foreach(refs, i, r)
		if (json_object_get(r, "segment") == NULL)
			want = true;
	if (!want)
		return;
	inc_manifest_read(m);
	json_array_foreach(refs, i, r) {
		if (json_object_get(r, "segment") != NULL)
			continue;
		dev = (uint64_t)inc_int(r, "dev");
		ino = (uint64_t)inc_int(r, "inode");
		off = (uint64_t)inc_int(r, "offset");
		for (j = 0; j < m->nmf; j++) {
			e = &m->mf[j];
			if (e->dev != dev || e->ino != ino || off < e->start ||
			    off >= e->end)
				continue;
			json_object_set_new(r, "segment", json_string(e->file));
			if (e->sha256 != NULL)
				json_object_set_new(r, "sha256",
				    json_string(e->sha256));
			if (e->sha256_raw != NULL)
				json_object_set_new(r, "sha256_raw",
				    json_string(e->sha256_raw));
			json_object_set_new(r, "segment_offset",
			    json_integer((json_int_t)(off - e->start)));
			in->dirty = true;
			break;
		}
	}
}

/* --- alerts ------------------------------------------------------------ */

/* The unique key of an alert (32 bytes): rule, source, time, text. */
static void
inc_alert_key(const struct rule *r, const struct record *rec,
    unsigned char *key)
{
	EVP_MD_CTX	*ctx;
	struct span	 sp;
	char		 tb[32];

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("EVP_DigestInit_ex");
	EVP_DigestUpdate(ctx, r->id, strlen(r->id) + 1);
	if (rec->source != NULL)
		EVP_DigestUpdate(ctx, rec->source, strlen(rec->source));
	EVP_DigestUpdate(ctx, "", 1);
	snprintf(tb, sizeof tb, "%lld", (long long)rec->ts_us);
	EVP_DigestUpdate(ctx, tb, strlen(tb) + 1);
	if (rec->line.p != NULL)
		EVP_DigestUpdate(ctx, rec->line.p, rec->line.len);
	else {
		/* A detector's verdict at the end of time: what it names. */
		sp = inc_get(rec, RF_EVENT_REASON);
		if (sp.p != NULL)
			EVP_DigestUpdate(ctx, sp.p, sp.len);
		sp = inc_get(rec, RF_SOURCE_IP);
		if (sp.p != NULL)
			EVP_DigestUpdate(ctx, sp.p, sp.len);
	}
	EVP_DigestFinal_ex(ctx, key, NULL);
	EVP_MD_CTX_free(ctx);
}

/* The C2 destination of a beacon alert, cleaned; NULL if none. */
static char *
inc_c2(const struct record *rec)
{
	static const enum rf	 f[] = {
		RF_DESTINATION_DOMAIN, RF_URL_DOMAIN, RF_TLS_SERVER_NAME,
		RF_DNS_QUESTION_NAME, RF_DESTINATION_IP
	};
	size_t			 i;

	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		if (record_has(rec, f[i]))
			return inc_span(inc_get(rec, f[i]));
	return NULL;
}

/* True if addr is internal (no internal networks: everything is). */
static bool
inc_internal(struct incident_mgr *m, const struct netaddr *a)
{
	if (a->family == 0)
		return false;
	if (m->conf->internal.n == 0)
		return true;
	return cidr_set_contains(&m->conf->internal, a);
}

/* Open a C2 parent when enough hosts call in->c2; link the children. */
static void
inc_c2_parent(struct incident_mgr *m, struct inc *child, const char *c2,
    int64_t ts_us, int32_t off, int64_t now)
{
	struct inc	*p, *k;
	char		**ids, *kt, *key;
	size_t		 n, i;
	int64_t		 occ;
	json_t		*hosts, *h;
	size_t		 j;

	n = store_c2_ids(m->st, c2, &ids);
	if (n < m->conf->incidents.c2_hosts) {
		store_strv_free(ids, n);
		return;
	}
	if (asprintf(&kt, "beacon|c2|%s", c2) == -1)
		fatal("asprintf");
	key = inc_sha(kt);
	free(kt);
	p = inc_by_key(m, key, &occ);
	if (p == NULL || !p->open) {
		p = inc_new(m, key, occ + 1, "beacon", json_pack("{ss ss}",
		    "kind", "c2", "c2", c2), ts_us, off, now);
		if (p != NULL)
			inc_timeline(m, p, now, "detected", "system", "%zu of "
			    "our hosts beacon to %s: parent incident opened",
			    n, c2);
	}
	if (p == NULL) {
		free(key);
		store_strv_free(ids, n);
		return;
	}
	free(key);
	for (i = 0; i < n; i++) {
		if ((k = inc_by_id(m, ids[i])) == NULL || k == p)
			continue;
		if (strcmp(k->parent, p->id) != 0) {
			snprintf(k->parent, sizeof k->parent, "%s", p->id);
			inc_relate(k, p->id, "parent");
			inc_relate(p, k->id, "child");
			inc_timeline(m, k, now, "updated", "system",
			    "linked to parent %s: several hosts call %s", p->id,
			    c2);
			hosts = json_object_get(k->doc, "internal_hosts");
			json_array_foreach(hosts, j, h)
				inc_host(m, p, json_string_value(h));
			inc_add(p->doc, "alert_count", inc_int(k->doc,
			    "alert_count"));
			inc_add(json_object_get(p->doc, "counters"), "events",
			    inc_int(json_object_get(k->doc, "counters"),
			    "events"));
			if (k->first_us < p->first_us)
				p->first_us = k->first_us;
			inc_maybe_publish(m, k, now);
		}
	}
	(void)child;
	store_strv_free(ids, n);
	inc_maybe_publish(m, p, now);
}

/* Link a new worm incident to the one whose host infected it. */
static void
inc_worm_parent(struct incident_mgr *m, struct inc *in, const char *host,
    const struct record *rec, int64_t now)
{
	struct inc	*p = NULL, *c;
	struct span	 reason = inc_get(rec, RF_EVENT_REASON);
	const char	*at;
	char		 ip[64], *kt, *key;
	int64_t		 occ, link = (int64_t)m->conf->incidents.worm_link *
			    1000000;
	size_t		 n;

	/*
	 * scan.c names the host that reached this one as data (REC_VIA);
	 * an alert without it may say so in its reason: "propagation:
	 * 10.1.2.3, itself spreading".
	 */
	ip[0] = '\0';
	if (rec->flags & REC_VIA)
		netaddr_format(&rec->via, ip, sizeof ip);
	else if (reason.p != NULL && (at = memmem(reason.p, reason.len,
	    "propagation: ", 13)) != NULL) {
		at += 13;
		for (n = 0; n + 1 < sizeof ip && at + n < reason.p +
		    reason.len && at[n] != ',' && at[n] != ' '; n++)
			ip[n] = at[n];
		ip[n] = '\0';
	}
	if (ip[0] != '\0') {
		if (asprintf(&kt, "worm_spread|host|%s", ip) == -1)
			fatal("asprintf");
		key = inc_sha(kt);
		free(kt);
		p = inc_by_key(m, key, &occ);
		free(key);
	}
	/* Otherwise: an open worm incident that reached this host lately. */
	for (c = m->head; p == NULL && c != NULL; c = c->next) {
		if (c == in || !c->open || strcmp(json_string_value(
		    json_object_get(c->doc, "category")), "worm_spread") != 0)
			continue;
		if (in->first_us - c->last_us > link)
			continue;
		if (inc_has(json_object_get(c->doc, "internal_hosts"), host) &&
		    strcmp(json_string_value(json_array_get(json_object_get(
		    c->doc, "internal_hosts"), 0)), host) != 0)
			p = c;
	}
	if (p == NULL || p == in || !p->open)
		return;
	snprintf(in->parent, sizeof in->parent, "%s", p->id);
	inc_relate(in, p->id, "parent");
	inc_relate(p, in->id, "child");
	inc_timeline(m, in, now, "updated", "system", "worm chain: infected "
	    "from %s (incident %s)", json_string_value(json_array_get(
	    json_object_get(p->doc, "internal_hosts"), 0)), p->id);
	inc_timeline(m, p, now, "updated", "system", "worm chain: %s, reached "
	    "by this host, now spreads itself (incident %s)", host, in->id);
	inc_maybe_publish(m, p, now);
}

/* True if the flood cap is reached at event time ts (and count it if not). */
static bool
inc_flood(struct incident_mgr *m, int64_t ts_us)
{
	size_t	i, recent = 0;

	if (m->conf->incidents.max_new == 0)
		return false;
	for (i = 0; i < m->nopens; i++)
		if (m->opens[i] > ts_us - 60 * 1000000LL &&
		    m->opens[i] <= ts_us + 60 * 1000000LL)
			recent++;
	if (recent >= m->conf->incidents.max_new)
		return true;
	m->opens[m->opens_at] = ts_us;
	m->opens_at = (m->opens_at + 1) % m->conf->incidents.max_new;
	if (m->nopens < m->conf->incidents.max_new)
		m->nopens++;
	return false;
}

/* The mass event of category (open or made now). */
static struct inc *
inc_mass(struct incident_mgr *m, const char *category, int64_t ts_us,
    int32_t off, int64_t now)
{
	struct inc	*in;
	char		*kt, *key;
	int64_t		 occ;

	if (asprintf(&kt, "mass|%s", category) == -1)
		fatal("asprintf");
	key = inc_sha(kt);
	free(kt);
	in = inc_by_key(m, key, &occ);
	if (in == NULL || !in->open) {
		in = inc_new(m, key, occ + 1, category, json_pack("{ss}",
		    "kind", "mass"), ts_us, off, now);
		if (in != NULL) {
			json_object_set_new(in->doc, "mass_event",
			    json_true());
			inc_timeline(m, in, now, "detected", "system", "more "
			    "than %zu new incidents within a minute: further "
			    "ones are folded into this mass event",
			    m->conf->incidents.max_new);
		}
	}
	free(key);
	return in;
}

/*
 * How many events stand behind one alert of r: a plain match is one
 * line; a count or distinct correlation fires on threshold events; a
 * sequence on one event per step.  Detectors state their count as data
 * in the alert record (REC_COUNT, rec->count).  An alert without it (a
 * detector that does not say) is read from the reason text the older
 * detectors gave ("37 connections", "120 deliveries", "12 distinct
 * ports", "40 new destinations", "9 of 14 first contacts"): the number
 * before the first of those words, and 1 when none is there.  Bounded by
 * the reason's length; never below 1.
 */
static int64_t
inc_alert_events(const struct rule *r, const struct record *rec)
{
	static const char *const units[] = { " connections", " deliveries",
	    " distinct ", " new destinations", " first contacts", " events" };
	struct span	 sp;
	const char	*p, *end, *d;
	uint64_t	 n;
	size_t		 i, ul;

	switch (r->kind) {
	case RK_COUNT:
	case RK_DISTINCT:
		return r->corr.threshold > 0 ? (int64_t)r->corr.threshold : 1;
	case RK_SEQUENCE:
		return r->corr.nrules > 0 ? (int64_t)r->corr.nrules : 1;
	case RK_DETECTOR:
		break;
	default:
		return 1;
	}
	if (rec->flags & REC_COUNT) {
		if (rec->count == 0)
			return 1;
		return rec->count > INT64_MAX ? INT64_MAX :
		    (int64_t)rec->count;
	}
	sp = inc_get(rec, RF_EVENT_REASON);
	if (sp.p == NULL)
		return 1;
	end = sp.p + sp.len;
	for (p = sp.p; p < end; p++) {
		if (*p < '0' || *p > '9' || (p > sp.p && p[-1] >= '0' &&
		    p[-1] <= '9'))
			continue;
		n = 0;
		for (d = p; d < end && *d >= '0' && *d <= '9' &&
		    n < INT64_MAX / 10; d++)
			n = n * 10 + (uint64_t)(*d - '0');
		/* "9 of 14 first contacts": the second number. */
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			ul = strlen(units[i]);
			if ((size_t)(end - d) >= ul &&
			    memcmp(d, units[i], ul) == 0)
				return n > 0 ? (int64_t)n : 1;
		}
	}
	return 1;
}

/* Fold one alert into in. */
static void
inc_fold(struct incident_mgr *m, struct inc *in, const struct rule *r,
    const struct record *rec, const struct incident_ref *ref,
    const char *user, int64_t now)
{
	json_t		*doc = in->doc, *ev, *samples, *refs, *rd, *v, *o;
	json_t		*counters = json_object_get(doc, "counters");
	struct span	 sp, to, rcpt;
	char		*s, ip[64], tb[64];
	int		 sev;
	size_t		 i;
	uint64_t	 u;
	bool		 found;

	inc_add(doc, "alert_count", 1);
	inc_add(counters, "events", inc_alert_events(r, rec));
	if (rec->has_ts) {
		if (in->first_us == 0 || rec->ts_us < in->first_us)
			in->first_us = rec->ts_us;
		if (rec->ts_us > in->last_us)
			in->last_us = rec->ts_us;
		in->tz_off = rec->tz_off;
	}
	inc_iso(in->first_us, in->tz_off, tb, sizeof tb);
	json_object_set_new(doc, "first_seen", json_string(tb));
	inc_iso(in->last_us, in->tz_off, tb, sizeof tb);
	json_object_set_new(doc, "last_seen", json_string(tb));

	/* Rules, ATT&CK, severity. */
	if (inc_set_add(doc, json_object_get(doc, "rules"), r->id,
	    INC_MAX_RULES, NULL)) {
		in->urgent = true;
		if (inc_int(doc, "alert_count") > 1)
			inc_timeline(m, in, now, "updated", "system",
			    "new rule %s fired: %s", r->id, r->title);
	}
	rd = json_object_get(doc, "rule_details");
	found = false;
	json_array_foreach(rd, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "id")),
		    r->id) == 0) {
			inc_add(v, "count", 1);
			found = true;
			break;
		}
	}
	if (!found && json_array_size(rd) < INC_MAX_RULES) {
		s = incident_clean(r->title, strlen(r->title), INC_MAX_VALUE);
		json_array_append_new(rd, json_pack("{ss ss si ss sI}", "id",
		    r->id, "title", s, "revision", r->rev, "severity",
		    r->severity, "count", (json_int_t)1));
		free(s);
	}
	for (i = 0; i < r->nattack; i++)
		inc_set_add(doc, json_object_get(doc, "attack"), r->attack[i],
		    INC_MAX_ATTACK, NULL);
	sev = incident_severity_num(r->severity);
	if (json_is_true(json_object_get(doc, "mass_event")) && sev < 3)
		sev = 3;
	if (sev > incident_severity_num(json_string_value(json_object_get(doc,
	    "severity")))) {
		if (inc_int(doc, "alert_count") > 1)
			inc_timeline(m, in, now, "updated", "system",
			    "severity raised to %s", incident_severity_word(sev));
		json_object_set_new(doc, "severity", json_string(
		    incident_severity_word(sev)));
		in->urgent = true;
	}

	/* Hosts, users, the remote side. */
	if (inc_internal(m, &rec->src)) {
		netaddr_format(&rec->src, ip, sizeof ip);
		if (inc_host(m, in, ip)) {
			in->urgent = true;
			if (inc_int(doc, "alert_count") > 1)
				inc_timeline(m, in, now, "updated", "system",
				    "new internal host %s", ip);
		}
	}
	if (inc_internal(m, &rec->dst)) {
		netaddr_format(&rec->dst, ip, sizeof ip);
		if (inc_set_add(doc, json_object_get(doc, "internal_hosts"),
		    ip, INC_MAX_HOSTS, "internal_hosts_omitted")) {
			inc_asset(m, in, ip);
			inc_add(counters, "distinct_targets", 1);
			json_object_set_new(doc, "direction",
			    json_string("internal"));
		}
	} else if (rec->dst.family != 0) {
		netaddr_format(&rec->dst, ip, sizeof ip);
		inc_remote(m, in, ip, "ip", &rec->dst, rec->ts_us, rec->tz_off);
	}
	if ((s = inc_span(inc_get(rec, RF_DESTINATION_DOMAIN))) != NULL ||
	    (s = inc_span(inc_get(rec, RF_URL_DOMAIN))) != NULL) {
		inc_remote(m, in, s, "domain", NULL, rec->ts_us, rec->tz_off);
		free(s);
	}
	/* A delivery line may name several recipients (Exchange, Sendmail). */
	to = inc_get(rec, RF_EMAIL_TO_ADDRESS);
	if (to.p != NULL && to.len > 0) {
		inc_add(counters, "mails", 1);
		while (mailq_rcpt_next(&to, &rcpt))
			if ((s = inc_span(rcpt)) != NULL) {
				inc_remote(m, in, s, "mail", NULL, rec->ts_us,
				    rec->tz_off);
				free(s);
			}
	}
	json_object_set_new(counters, "distinct_targets", json_integer(
	    inc_int(json_object_get(doc, "remote"), "count") +
	    (json_int_t)(json_array_size(json_object_get(doc,
	    "internal_hosts")) > 0 ? json_array_size(json_object_get(doc,
	    "internal_hosts")) - 1 : 0)));
	if (user != NULL)
		inc_set_add(doc, json_object_get(doc, "users"), user,
		    INC_MAX_USERS, "users_omitted");
	if (span_to_u64(inc_get(rec, RF_SOURCE_BYTES), &u))
		inc_add(counters, "bytes_out", (int64_t)u);
	if (span_to_u64(inc_get(rec, RF_DESTINATION_BYTES), &u))
		inc_add(counters, "bytes_in", (int64_t)u);

	/* Evidence: the raw line (escaped) and where it lies. */
	ev = json_object_get(doc, "evidence");
	samples = json_object_get(ev, "samples");
	if (json_array_size(samples) < m->conf->incidents.samples) {
		o = json_object();
		inc_iso(rec->ts_us, rec->tz_off, tb, sizeof tb);
		json_object_set_new(o, "ts", json_string(tb));
		if (rec->source != NULL)
			json_object_set_new(o, "source", inc_jstr(rec->source,
			    strlen(rec->source), INC_MAX_VALUE));
		json_object_set_new(o, "rule", json_string(r->id));
		if (rec->line.p != NULL)
			json_object_set_new(o, "raw", inc_jstr(rec->line.p,
			    rec->line.len, INC_MAX_RAW));
		sp = inc_get(rec, RF_EVENT_REASON);
		if (sp.p != NULL)
			json_object_set_new(o, "reason", inc_jstr(sp.p, sp.len,
			    1024));
		json_array_append_new(samples, o);
	} else
		inc_add(ev, "omitted", 1);
	refs = json_object_get(ev, "refs");
	if (ref != NULL && ref->valid) {
		if (json_array_size(refs) < INC_MAX_REFS) {
			o = json_pack("{ss sI sI sI sI}", "source",
			    rec->source != NULL ? rec->source : "", "dev",
			    (json_int_t)ref->dev, "inode",
			    (json_int_t)ref->ino, "offset",
			    (json_int_t)ref->offset, "length",
			    (json_int_t)ref->length);
			if (ref->path != NULL)
				json_object_set_new(o, "path", inc_jstr(
				    ref->path, strlen(ref->path), 1024));
			json_array_append_new(refs, o);
		} else
			inc_add(ev, "refs_omitted", 1);
	}

	if (in->quiet) {
		in->quiet = false;
		json_object_set_new(doc, "activity", json_string("active"));
		inc_timeline(m, in, now, "updated", "system", "active again: "
		    "new evidence after a quiet period");
		in->urgent = true;
	}
	in->dirty = in->pending = true;
}

int
incident_alert(struct incident_mgr *m, const struct rule *r,
    const struct record *rec, const struct incident_ref *ref)
{
	unsigned char	 akey[32];
	struct inc	*in, *parent;
	json_t		*group;
	char		*host = NULL, *user = NULL, *c2 = NULL, *kt, *key;
	char		 ip[64];
	const char	*cat = r->category != NULL ? r->category :
			    "policy_violation";
	int64_t		 now = inc_now(), occ, ts = rec->has_ts ? rec->ts_us :
			    now * 1000000;
	int		 rc = 1;
	bool		 opened = false;

	m->stats.alerts++;
	inc_alert_key(r, rec, akey);
	if (store_alert_seen(m->st, akey)) {
		m->stats.duplicates++;
		return 0;
	}
	if (ts > m->max_us) {
		m->max_us = ts;
		m->max_wall = now;
	}
	if (rec->src.family != 0) {
		netaddr_format(&rec->src, ip, sizeof ip);
		if ((host = strdup(ip)) == NULL)
			fatal("strdup");
	} else
		host = inc_span(inc_get(rec, RF_SOURCE_IP));
	user = inc_span(inc_get(rec, RF_USER_NAME));

	/* The group: account for spam, host and C2 for beacons, else host. */
	if (strcmp(cat, "outbound_spam") == 0 && user != NULL) {
		group = json_pack("{ss ss}", "kind", "account", "account",
		    user);
		if (host != NULL)
			json_object_set_new(group, "host", json_string(host));
		if (asprintf(&kt, "%s|account|%s", cat, user) == -1)
			fatal("asprintf");
	} else if (strcmp(cat, "beacon") == 0 &&
	    (c2 = inc_c2(rec)) != NULL) {
		group = json_pack("{ss ss ss}", "kind", "beacon", "host",
		    host != NULL ? host : "", "c2", c2);
		if (asprintf(&kt, "%s|beacon|%s|%s", cat, host != NULL ? host :
		    "", c2) == -1)
			fatal("asprintf");
	} else {
		group = json_pack("{ss ss}", "kind", "host", "host",
		    host != NULL ? host : "");
		if (asprintf(&kt, "%s|host|%s", cat, host != NULL ? host :
		    "") == -1)
			fatal("asprintf");
	}
	key = inc_sha(kt);
	free(kt);

	in = inc_by_key(m, key, &occ);
	if (in != NULL && !in->open) {
		if (ts / 1000000 - in->closed_at <=
		    (int64_t)m->conf->incidents.reopen) {
			json_object_set_new(in->doc, "status",
			    json_string("in_progress"));
			json_object_set_new(in->doc, "resolution", json_null());
			in->open = true;
			in->urgent = true;
			m->stats.reopened++;
			inc_timeline(m, in, now, "recurrence", "system",
			    "reopened: the activity recurred within %zus of "
			    "the close", m->conf->incidents.reopen);
		} else {
			parent = in;
			in = inc_new(m, key, occ + 1, cat, json_incref(group),
			    ts, rec->tz_off, now);
			if (in != NULL) {
				inc_relate(in, parent->id, "recurrence-of");
				inc_timeline(m, in, now, "detected", "system",
				    "opened: the activity of %s recurred after "
				    "its close (occurrence %lld)", parent->id,
				    (long long)(occ + 1));
				opened = true;
			}
		}
	} else if (in == NULL) {
		if (inc_flood(m, ts)) {
			in = inc_mass(m, cat, ts, rec->tz_off, now);
			if (in != NULL) {
				store_key_put(m->st, key, in->id, occ);
				m->stats.folded++;
			}
		} else {
			in = inc_new(m, key, occ + 1, cat, json_incref(group),
			    ts, rec->tz_off, now);
			if (in != NULL) {
				inc_timeline(m, in, now, "detected", "system",
				    "opened: rule %s fired (%s)", r->id,
				    r->title);
				opened = true;
			}
		}
	}
	json_decref(group);
	if (in == NULL) {
		rc = -1;
		goto out;
	}
	if (store_begin(m->st) != 0 || store_alert_add(m->st, akey, in->id,
	    ts / 1000000, r->id, rec->source, ref != NULL && ref->valid ?
	    ref->dev : 0, ref != NULL && ref->valid ? ref->ino : 0,
	    ref != NULL && ref->valid ? ref->offset : 0, ref != NULL &&
	    ref->valid ? ref->length : 0) < 0) {
		m->stats.errors++;
		rc = -1;
		goto out;
	}
	inc_touch(m, in);
	inc_fold(m, in, r, rec, ref, user, now);
	if (m->retro_by != NULL && !json_is_true(json_object_get(in->doc,
	    "retrospective"))) {
		/* Found after the fact in an incident opened live. */
		inc_add(in->doc, "retrospective_alerts", 1);
		in->dirty = in->pending = true;
		if (!in->retro_noted) {
			inc_timeline(m, in, now, "retrospective", m->retro_by,
			    "a replay of archived logs (keibictl replay) found "
			    "alerts of this activity that live monitoring did "
			    "not raise (rule %s)", r->id);
			in->retro_noted = true;
		}
	}
	if (opened && strcmp(cat, "worm_spread") == 0 && host != NULL)
		inc_worm_parent(m, in, host, rec, now);
	if (opened && c2 != NULL) {
		/* Its row must exist before the parent counts the hosts. */
		inc_write(m, in);
		inc_c2_parent(m, in, c2, ts, rec->tz_off, now);
	}
	if (in->parent[0] != '\0' && !opened &&
	    (parent = inc_by_id(m, in->parent)) != NULL && parent->open) {
		inc_add(parent->doc, "alert_count", 1);
		inc_add(json_object_get(parent->doc, "counters"), "events",
		    inc_alert_events(r, rec));
		if (in->last_us > parent->last_us)
			parent->last_us = in->last_us;
		parent->dirty = parent->pending = true;
		inc_maybe_publish(m, parent, now);
	}
	inc_maybe_publish(m, in, now);
out:
	free(key);
	free(host);
	free(user);
	free(c2);
	return rc;
}

/* --- people ------------------------------------------------------------ */

int
incident_change(struct incident_mgr *m, const char *id,
    const struct incident_change *ch, char **cause)
{
	struct inc	*in;
	json_t		*times;
	const char	*old, *who = ch->who != NULL ? ch->who : "unknown";
	char		 ts[64], *clean, oldbuf[32];
	int64_t		 now = ch->ts != 0 ? ch->ts : inc_now();

	*cause = NULL;
	if ((in = inc_by_id(m, id)) == NULL) {
		if (asprintf(cause, "no incident %s", id) == -1)
			fatal("asprintf");
		return -1;
	}
	/* A copy: setting the new status frees the old string. */
	snprintf(oldbuf, sizeof oldbuf, "%s", json_string_value(
	    json_object_get(in->doc, "status")) != NULL ? json_string_value(
	    json_object_get(in->doc, "status")) : "?");
	old = oldbuf;
	if (strcmp(ch->op, "status") == 0) {
		if (!incident_valid_status(ch->status) ||
		    strcmp(ch->status, "new") == 0) {
			if (asprintf(cause, "'%s' is not a status a person can "
			    "set (acknowledged, in_progress, contained, "
			    "resolved, closed, merged)", ch->status != NULL ?
			    ch->status : "") == -1)
				fatal("asprintf");
			return -1;
		}
		if (strcmp(ch->status, "closed") == 0 &&
		    !incident_valid_resolution(ch->resolution)) {
			if (asprintf(cause, "closing needs a resolution: "
			    "true_positive, false_positive, benign, duplicate "
			    "or indeterminate") == -1)
				fatal("asprintf");
			return -1;
		}
		if (old != NULL && strcmp(old, ch->status) == 0 &&
		    strcmp(ch->status, "closed") != 0) {
			if (asprintf(cause, "%s is %s already", id, old) == -1)
				fatal("asprintf");
			return -1;
		}
		if (old != NULL && strcmp(old, "merged") == 0) {
			if (asprintf(cause, "%s was merged; change the "
			    "incident it was merged into", id) == -1)
				fatal("asprintf");
			return -1;
		}
		inc_iso_wall(m, now, ts, sizeof ts);
		times = json_object_get(in->doc, "times");
		json_object_set_new(in->doc, "status", json_string(ch->status));
		if (strcmp(ch->status, "acknowledged") == 0)
			json_object_set_new(times, "acknowledged_at",
			    json_string(ts));
		else if (strcmp(ch->status, "contained") == 0)
			json_object_set_new(times, "contained_at",
			    json_string(ts));
		else if (strcmp(ch->status, "resolved") == 0)
			json_object_set_new(times, "resolved_at",
			    json_string(ts));
		else if (strcmp(ch->status, "closed") == 0)
			json_object_set_new(times, "closed_at",
			    json_string(ts));
		if (strcmp(ch->status, "closed") == 0)
			json_object_set_new(in->doc, "resolution",
			    json_string(ch->resolution));
		else
			json_object_set_new(in->doc, "resolution", json_null());
		in->open = inc_status_open(ch->status);
		if (!in->open)
			in->closed_at = now;
		inc_timeline(m, in, now, "status", who, "status %s -> %s%s%s%s",
		    old != NULL ? old : "?", ch->status,
		    strcmp(ch->status, "closed") == 0 ? " (" : "",
		    strcmp(ch->status, "closed") == 0 ? ch->resolution : "",
		    strcmp(ch->status, "closed") == 0 ? ")" : "");
		if (ch->note != NULL)
			inc_timeline(m, in, now, "comment", who, "%s",
			    ch->note);
	} else if (strcmp(ch->op, "note") == 0 && ch->note != NULL) {
		inc_timeline(m, in, now, "comment", who, "%s", ch->note);
	} else if (strcmp(ch->op, "assign") == 0 && ch->note != NULL) {
		clean = incident_clean(ch->note, strlen(ch->note),
		    INC_MAX_VALUE);
		json_object_set_new(in->doc, "assignee", json_string(clean));
		inc_timeline(m, in, now, "action", who, "assigned to %s",
		    clean);
		free(clean);
	} else {
		if (asprintf(cause, "unknown change '%s'", ch->op) == -1)
			fatal("asprintf");
		return -1;
	}
	in->urgent = true;
	m->now = true;
	inc_maybe_publish(m, in, now);
	m->now = false;
	return 0;
}

/* Apply the changes keibictl left while this process owned the store. */
static size_t
inc_apply_changes(struct incident_mgr *m)
{
	struct store_change	 sc;
	struct incident_change	 ch;
	char			*cause;
	int			 i;

	for (i = 0; i < INC_CHANGES_MAX; i++) {
		if (store_change_next(m->st, &sc) != 1)
			break;
		memset(&ch, 0, sizeof ch);
		ch.op = sc.op != NULL ? sc.op : "";
		ch.status = sc.arg;
		ch.resolution = sc.resolution;
		ch.note = sc.note;
		ch.who = sc.who;
		ch.ts = sc.ts;
		if (store_begin(m->st) != 0)
			break;
		if (incident_change(m, sc.incident_id != NULL ?
		    sc.incident_id : "", &ch, &cause) == 0)
			store_change_done(m->st, sc.id, "ok");
		else {
			store_change_done(m->st, sc.id, cause);
			free(cause);
		}
		store_change_clear(&sc);
	}
	return (size_t)i;
}

size_t
incident_apply_changes(struct incident_mgr *m)
{
	return inc_apply_changes(m);
}

/* --- the clock --------------------------------------------------------- */

void
incident_tick(struct incident_mgr *m, int64_t now)
{
	struct inc	*in, *next;
	int64_t		 wm, idle = (int64_t)m->conf->incidents.idle * 1000000;

	m->now = true;
	/* Event time goes on with the clock while the logs are silent. */
	wm = m->max_us;
	if (m->max_wall != 0 && now > m->max_wall)
		wm += (now - m->max_wall) * 1000000;
	for (in = m->head; in != NULL; in = next) {
		next = in->next;
		if (in->open && !in->quiet && in->last_us != 0 &&
		    wm - in->last_us > idle) {
			in->quiet = true;
			json_object_set_new(in->doc, "activity",
			    json_string("quiet"));
			inc_timeline(m, in, now, "updated", "system", "quiet: "
			    "no new evidence for %zus (the incident stays "
			    "open)", m->conf->incidents.idle);
			in->urgent = true;
		}
		if (in->pending)
			inc_maybe_publish(m, in, now);
	}
	if (store_changed(m->st))
		inc_apply_changes(m);
	m->now = false;
	if (store_in_txn(m->st) && now - m->last_commit >= INC_COMMIT_S)
		incident_sync(m);
}

void
incident_flush(struct incident_mgr *m)
{
	struct inc	*in;
	int64_t		 now = inc_now();

	m->now = true;
	inc_apply_changes(m);
	for (in = m->head; in != NULL; in = in->next) {
		inc_resolve_refs(m, in);
		if (in->pending || in->dirty) {
			in->urgent = true;
			in->pending = true;
			inc_maybe_publish(m, in, now);
		}
	}
	m->now = false;
}

int
incident_sync(struct incident_mgr *m)
{
	struct inc	*in;
	int		 rc = 0;

	for (in = m->head; in != NULL; in = in->next)
		if (in->dirty && inc_write(m, in) != 0)
			rc = -1;
	if (store_commit(m->st) != 0)
		rc = -1;
	m->last_commit = inc_now();
	return rc;
}

/* --- life ------------------------------------------------------------- */

struct incident_mgr *
incident_open(const struct config *conf, struct store *st, struct enrich *en,
    char *const *outputs, size_t noutputs)
{
	struct incident_mgr	*m;
	const char		*why;
	size_t			 i, b;

	if ((m = calloc(1, sizeof *m)) == NULL)
		fatal("calloc");
	m->conf = conf;
	m->st = st;
	m->en = en;
	m->ja = conf->incidents.language != NULL &&
	    strcmp(conf->incidents.language, "ja") == 0;
	m->tz = tz_open(conf->timezone != NULL ? conf->timezone : "UTC", &why);
	if (gethostname(m->host, sizeof m->host - 1) != 0)
		snprintf(m->host, sizeof m->host, "localhost");
	if (noutputs > 0 && (m->outputs = calloc(noutputs,
	    sizeof *m->outputs)) == NULL)
		fatal("calloc");
	for (i = 0; i < noutputs; i++)
		if ((m->outputs[i] = strdup(outputs[i])) == NULL)
			fatal("strdup");
	m->noutputs = noutputs;
	for (b = 64; b < conf->incidents.max_open * 2 && b < (1U << 24); b *= 2)
		;
	m->mask = b - 1;
	if ((m->kb = calloc(b, sizeof *m->kb)) == NULL ||
	    (m->ib = calloc(b, sizeof *m->ib)) == NULL)
		fatal("calloc");
	if (conf->incidents.max_new > 0 && (m->opens = calloc(
	    conf->incidents.max_new, sizeof *m->opens)) == NULL)
		fatal("calloc");
	m->last_commit = inc_now();
	return m;
}

void
incident_defer(struct incident_mgr *m, bool on)
{
	m->defer = on;
}

void
incident_set_retrospective(struct incident_mgr *m, const char *by)
{
	free(m->retro_by);
	m->retro_by = NULL;
	if (by != NULL && (m->retro_by = strdup(by)) == NULL)
		fatal("strdup");
}

void
incident_set_enrich(struct incident_mgr *m, struct enrich *en)
{
	m->en = en;
}

void
incident_set_conf(struct incident_mgr *m, const struct config *conf)
{
	int64_t	*opens;

	if (conf->incidents.max_new != m->conf->incidents.max_new) {
		opens = conf->incidents.max_new > 0 ? calloc(
		    conf->incidents.max_new, sizeof *opens) : NULL;
		if (conf->incidents.max_new > 0 && opens == NULL)
			fatal("calloc");
		free(m->opens);
		m->opens = opens;
		m->nopens = m->opens_at = 0;
	}
	m->conf = conf;
	m->ja = conf->incidents.language != NULL &&
	    strcmp(conf->incidents.language, "ja") == 0;
}

void
incident_close(struct incident_mgr *m)
{
	struct inc	*in, *next;
	size_t		 i;

	if (m == NULL)
		return;
	for (in = m->head; in != NULL; in = next) {
		next = in->next;
		inc_free(in);
	}
	for (i = 0; i < m->nmf; i++) {
		free(m->mf[i].source);
		free(m->mf[i].file);
		free(m->mf[i].sha256);
		free(m->mf[i].sha256_raw);
	}
	free(m->mf);
	for (i = 0; i < m->noutputs; i++)
		free(m->outputs[i]);
	free(m->outputs);
	free(m->kb);
	free(m->ib);
	free(m->opens);
	free(m->retro_by);
	tz_free(m->tz);
	free(m);
}

void
incident_stats(const struct incident_mgr *m, struct incident_stats *s)
{
	*s = m->stats;
}

bool
incident_hold(struct incident_mgr *m, const char *file)
{
	size_t	i;

	FILE	*f;
	char	*path, *line = NULL;
	size_t	 cap = 0;
	json_t	*o;
	bool	 held = false, found = false;

	inc_manifest_read(m);
	for (i = 0; i < m->nmf; i++) {
		if (strcmp(m->mf[i].file, file) != 0)
			continue;
		return store_held(m->st, m->mf[i].dev, m->mf[i].ino,
		    m->mf[i].start, m->mf[i].end);
	}
	/* Older than what is held in memory: read the manifest for it. */
	if (asprintf(&path, "%s/MANIFEST.jsonl", m->conf->evidence_dir) == -1)
		fatal("asprintf");
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return true;	/* in doubt, keep it */
	while (!found && getline(&line, &cap, f) > 0) {
		if (strstr(line, file) == NULL ||
		    (o = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(o, "file")) !=
		    NULL ? json_string_value(json_object_get(o, "file")) : "",
		    file) == 0) {
			found = true;
			held = store_held(m->st, (uint64_t)inc_int(o, "dev"),
			    (uint64_t)inc_int(o, "inode"),
			    (uint64_t)inc_int(o, "offset_start"),
			    (uint64_t)inc_int(o, "offset_end"));
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	return held;
}
