/*
 * test_incident.c: the incident manager on generated alert streams, with
 * a real store in a temporary folder: grouping by category and key, the
 * alert unique key (replays and re-reads never count twice, also across
 * a restart), the per-incident throttle on event time, the flood cap and
 * its mass event, reopen and new occurrence after a close, quiet and
 * active again, C2 parents, worm chains, people's changes, and hostile
 * text in every field that reaches a record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "incident.h"
#include "record.h"
#include "rule.h"
#include "store.h"

#define T0	(1795000000LL * 1000000)	/* event time of the stream */
#define MIN	(60LL * 1000000)

struct fx {
	char			 dir[64];
	struct config		*conf;
	struct store		*st;
	struct incident_mgr	*im;
};

static char	*outs[] = { "jsonl:test" };

/* A rule of a category. */
static struct rule *
mkrule(const char *id, const char *category, const char *severity)
{
	static char	*attack[] = { "T1046" };
	struct rule	*r;

	r = calloc(1, sizeof *r);
	r->id = strdup(id);
	r->title = strdup("test rule");
	r->category = strdup(category);
	r->severity = strdup(severity);
	r->attack = attack;
	r->nattack = 1;
	r->rev = 1;
	return r;
}

static void
rmrule(struct rule *r)
{
	free(r->id);
	free(r->title);
	free(r->category);
	free(r->severity);
	free(r);
}

/* Start (or restart) on the store in f->dir with extra config text. */
static void
fx_open(struct fx *f, const char *extra)
{
	char	*text, *cause = NULL;
	bool	 busy;

	if (asprintf(&text, "state_dir: %s\nsources: [{name: fw, path: x, "
	    "parser: iptables}]\nnetworks: {internal: [10.0.0.0/8]}\n"
	    "timezone: Asia/Tokyo\noutputs: [{type: jsonl, path: x, name: "
	    "\"jsonl:test\"}]\n%s", f->dir, extra) == -1)
		fail();
	f->conf = config_load_buffer("test.yml", text, strlen(text), &cause);
	if (f->conf == NULL)
		fail_msg("%s", cause);
	free(text);
	f->st = store_open(f->dir, STORE_OWNER, &busy, &cause);
	if (f->st == NULL)
		fail_msg("%s", cause);
	f->im = incident_open(f->conf, f->st, NULL, outs, 1);
}

static void
fx_close(struct fx *f)
{
	incident_sync(f->im);
	incident_close(f->im);
	store_close(f->st);
	config_free(f->conf);
	f->im = NULL;
	f->st = NULL;
	f->conf = NULL;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/keibi-inc-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 p[128];

	if (f->im != NULL)
		fx_close(f);
	snprintf(p, sizeof p, "%s/incidents.db", f->dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/incidents.db-wal", f->dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/incidents.db-shm", f->dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/incidents.lock", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The event.reason the next alert() carries, or NULL. */
static const char	*next_reason;
/* The count (REC_COUNT) and the via host (REC_VIA) it carries, if set. */
static int64_t		 next_count = -1;
static const char	*next_via;

/* One alert: src -> dst at ts, with a line that names them. */
static int
alert(struct fx *f, struct rule *r, const char *src, const char *dst,
    int64_t ts, const char *user)
{
	struct record	 rec;
	char		 line[256];
	int		 rc;

	record_reset(&rec);
	snprintf(line, sizeof line, "SRC=%s DST=%s at %lld", src, dst,
	    (long long)ts);
	rec.line.p = line;
	rec.line.len = strlen(line);
	rec.source = "fw";
	rec.has_ts = true;
	rec.ts_us = ts;
	rec.tz_off = 9 * 3600;
	record_set(&rec, RF_SOURCE_IP, src, strlen(src));
	if (dst != NULL) {
		if (strchr(dst, '.') != NULL && dst[0] >= '0' && dst[0] <= '9')
			record_set(&rec, RF_DESTINATION_IP, dst, strlen(dst));
		else
			record_set(&rec, RF_DESTINATION_DOMAIN, dst,
			    strlen(dst));
	}
	if (user != NULL)
		record_set(&rec, RF_USER_NAME, user, strlen(user));
	if (next_reason != NULL)
		record_set(&rec, RF_EVENT_REASON, next_reason,
		    strlen(next_reason));
	next_reason = NULL;
	if (next_count >= 0) {
		rec.count = (uint64_t)next_count;
		rec.flags |= REC_COUNT;
	}
	next_count = -1;
	if (next_via != NULL) {
		assert_int_equal(netaddr_parse(&rec.via, next_via,
		    strlen(next_via)), 0);
		rec.flags |= REC_VIA;
	}
	next_via = NULL;
	record_finish(&rec, &f->conf->internal);
	rc = incident_alert(f->im, r, &rec, NULL);
	return rc;
}

/* The parsed record of id. */
static json_t *
doc(struct fx *f, const char *id)
{
	char	*s;
	json_t	*j;

	incident_sync(f->im);
	s = store_incident_doc(f->st, id);
	if (s == NULL)
		fail_msg("no incident %s", id);
	j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	return j;
}

static int64_t
jint(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *
jstr(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* Incidents in the store. */
static size_t
count(struct fx *f, const char *status)
{
	struct store_incident	*v;
	size_t			 n;

	incident_sync(f->im);
	n = store_incidents(f->st, status, &v);
	store_incidents_free(v, n);
	return n;
}

/* The id of the n-th incident opened (1-based, newest last). */
static char *
nth(struct fx *f, size_t k)
{
	struct store_incident	*v;
	size_t			 n;
	char			*id;

	incident_sync(f->im);
	n = store_incidents(f->st, NULL, &v);
	assert_true(k >= 1 && k <= n);
	/* Listed newest first, ids grow with opening. */
	id = strdup(v[n - k].id);
	store_incidents_free(v, n);
	return id;
}

static void
test_grouping(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-1", "outbound_attack", "high");
	char		 dst[32], *id;
	json_t		*d;
	int		 i;

	fx_open(f, "incidents: {throttle: 0, max_new_per_minute: 0}\n");
	for (i = 0; i < 50; i++) {
		snprintf(dst, sizeof dst, "198.51.100.%d", i + 1);
		assert_int_equal(alert(f, r, "10.1.2.3", dst, T0 + i * 1000000,
		    NULL), 1);
	}
	assert_int_equal(alert(f, r, "10.1.2.4", "198.51.100.1", T0, NULL), 1);
	assert_int_equal(count(f, NULL), 2);
	id = nth(f, 1);
	d = doc(f, id);
	assert_string_equal(jstr(d, "category"), "outbound_attack");
	assert_int_equal(jint(d, "alert_count"), 50);
	assert_int_equal(jint(json_object_get(d, "remote"), "count"), 50);
	assert_int_equal(json_array_size(json_object_get(json_object_get(d,
	    "remote"), "top")), 32);
	assert_int_equal(jint(json_object_get(d, "remote"), "omitted"), 18);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    d, "internal_hosts"), 0)), "10.1.2.3");
	assert_string_equal(jstr(json_object_get(d, "classification"),
	    "rsit"), "intrusion-attempts/ids-alert");
	assert_string_equal(jstr(json_object_get(d, "classification"),
	    "jp_category"), "不正アクセス");
	assert_string_equal(jstr(d, "first_seen"), "2026-11-18T20:06:40+09:00");
	assert_non_null(strstr(jstr(d, "title"), "Our host 10.1.2.3"));
	assert_non_null(strstr(jstr(d, "summary"), "is the origin"));
	assert_int_equal(strncmp(id, "KB-", 3), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(d,
	    "evidence"), "samples")), 20);
	assert_int_equal(jint(json_object_get(d, "evidence"), "omitted"), 30);
	json_decref(d);
	free(id);
	rmrule(r);
}

static void
test_evict(void **state)
{
	struct fx		*f = *state;
	struct rule		*r;
	struct incident_stats	 is;
	char			 src[32], *id;
	json_t			*d;
	int			 i;
	r = mkrule("KB-T-1", "outbound_attack", "high");

	fx_open(f, "incidents: {throttle: 0, max_new_per_minute: 0, "
	    "max_open: 16}\n");
	for (i = 0; i < 40; i++) {
		snprintf(src, sizeof src, "10.3.0.%d", i + 1);
		alert(f, r, src, "198.51.100.1", T0 + i * 1000000, NULL);
	}
	incident_stats(f->im, &is);
	assert_int_equal(is.evicted, 24);
	/* The first host's incident comes back from the store. */
	alert(f, r, "10.3.0.1", "198.51.100.2", T0 + MIN, NULL);
	assert_int_equal(count(f, NULL), 40);
	id = nth(f, 1);
	d = doc(f, id);
	assert_int_equal(jint(d, "alert_count"), 2);
	json_decref(d);
	free(id);
	rmrule(r);
}

static void
test_dedup_replay(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-1", "outbound_attack", "high");
	char		*id;
	json_t		*d;

	fx_open(f, "incidents: {throttle: 0}\n");
	assert_int_equal(alert(f, r, "10.1.2.3", "198.51.100.1", T0, NULL), 1);
	assert_int_equal(alert(f, r, "10.1.2.3", "198.51.100.1", T0, NULL), 0);
	fx_close(f);
	/* A restart that reads the same lines again adds nothing. */
	fx_open(f, "incidents: {throttle: 0}\n");
	assert_int_equal(alert(f, r, "10.1.2.3", "198.51.100.1", T0, NULL), 0);
	assert_int_equal(alert(f, r, "10.1.2.3", "198.51.100.2", T0, NULL), 1);
	assert_int_equal(count(f, NULL), 1);
	id = nth(f, 1);
	d = doc(f, id);
	assert_int_equal(jint(d, "alert_count"), 2);
	json_decref(d);
	free(id);
	rmrule(r);
}

static void
test_throttle(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-1", "outbound_attack", "high");
	struct rule	*r2 = mkrule("KB-T-2", "outbound_attack", "high");
	char		 dst[32], *id;
	json_t		*d;
	int		 i;

	fx_open(f, "incidents: {throttle: 10m}\n");
	/* 100 alerts in 5 minutes: published once, when opened. */
	for (i = 0; i < 100; i++) {
		snprintf(dst, sizeof dst, "198.51.100.%d", i % 200 + 1);
		alert(f, r, "10.1.2.3", dst, T0 + i * 3000000, NULL);
	}
	incident_sync(f->im);
	assert_int_equal(store_outbox_count(f->st, "jsonl:test"), 1);
	/* Ten minutes of event time later the held changes go out. */
	alert(f, r, "10.1.2.3", "198.51.100.250", T0 + 11 * MIN, NULL);
	incident_sync(f->im);
	assert_int_equal(store_outbox_count(f->st, "jsonl:test"), 2);
	/* A new rule matters: published at once. */
	alert(f, r2, "10.1.2.3", "198.51.100.251", T0 + 12 * MIN, NULL);
	incident_sync(f->im);
	assert_int_equal(store_outbox_count(f->st, "jsonl:test"), 3);
	id = nth(f, 1);
	d = doc(f, id);
	assert_int_equal(jint(d, "revision"), 3);
	assert_true(jint(json_object_get(d, "counters"),
	    "suppressed_updates") >= 99);
	json_decref(d);
	/* What is still held goes out at the end (keibid --once). */
	alert(f, r2, "10.1.2.3", "198.51.100.252", T0 + 13 * MIN, NULL);
	incident_flush(f->im);
	incident_sync(f->im);
	assert_int_equal(store_outbox_count(f->st, "jsonl:test"), 4);
	free(id);
	rmrule(r);
	rmrule(r2);
}

/* Events behind alerts of each kind of rule; titles count in English. */
static void
test_counters(void **state)
{
	struct fx	*f = *state;
	struct rule	*m = mkrule("KB-T-1", "outbound_attack", "high");
	struct rule	*c = mkrule("KB-T-2", "outbound_attack", "high");
	struct rule	*d = mkrule("KB-T-3", "outbound_attack", "high");
	char		*id;
	json_t		*o;

	c->kind = RK_COUNT;
	c->corr.threshold = 20;
	d->kind = RK_DETECTOR;
	fx_open(f, "incidents: {throttle: 0s}\n");
	alert(f, m, "10.1.2.3", "198.51.100.1", T0, NULL);
	id = nth(f, 1);
	o = doc(f, id);
	assert_int_equal(jint(o, "alert_count"), 1);
	assert_int_equal(jint(json_object_get(o, "counters"), "events"), 1);
	assert_non_null(strstr(jstr(o, "title"), "(1 alert, 1 target)"));
	assert_non_null(strstr(jstr(o, "summary"), "raised 1 alert of "));
	assert_non_null(strstr(jstr(o, "summary"), "(rule KB-T-1)"));
	assert_non_null(strstr(jstr(o, "summary"), "towards 1 remote "
	    "address or domain: "));
	json_decref(o);

	/* A count correlation stands for its threshold of events. */
	alert(f, c, "10.1.2.3", "198.51.100.2", T0 + MIN, NULL);
	/* A detector says how many in its reason: "9 of 14 first ...". */
	next_reason = "outbound scan: threshold random walk: 9 of 14 first "
	    "contacts failed (likelihood ratio 120)";
	alert(f, d, "10.1.2.3", "198.51.100.3", T0 + 2 * MIN, NULL);
	/* One with no count in it is one event. */
	next_reason = "odd";
	alert(f, d, "10.1.2.3", "198.51.100.3", T0 + 3 * MIN, NULL);
	o = doc(f, id);
	assert_int_equal(jint(o, "alert_count"), 4);
	assert_int_equal(jint(json_object_get(o, "counters"), "events"),
	    1 + 20 + 14 + 1);
	assert_non_null(strstr(jstr(o, "title"), "(4 alerts, 3 targets)"));
	assert_non_null(strstr(jstr(o, "summary"), "raised 4 alerts of "));
	assert_non_null(strstr(jstr(o, "summary"), "(rules KB-T-1, "));
	json_decref(o);
	free(id);
	rmrule(m);
	rmrule(c);
	rmrule(d);
}

static void
test_flood(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-W", "worm_spread", "medium");
	char		 src[32], *id;
	json_t		*d;
	int		 i;

	fx_open(f, "incidents: {throttle: 0, max_new_per_minute: 5}\n");
	for (i = 0; i < 20; i++) {
		snprintf(src, sizeof src, "10.2.0.%d", i + 1);
		alert(f, r, src, "10.9.9.9", T0 + i * 1000000, NULL);
	}
	/* 5 of their own and one mass event with the other 15 hosts. */
	assert_int_equal(count(f, NULL), 6);
	id = nth(f, 6);
	d = doc(f, id);
	assert_true(json_is_true(json_object_get(d, "mass_event")));
	assert_int_equal(jint(d, "alert_count"), 15);
	/* 15 origins and the one host they all reached. */
	assert_int_equal(json_array_size(json_object_get(d,
	    "internal_hosts")), 16);
	assert_string_equal(jstr(d, "severity"), "high");
	assert_non_null(strstr(jstr(d, "title"), "Mass event"));
	json_decref(d);
	/* A folded host keeps going to the mass event, even later. */
	alert(f, r, "10.2.0.20", "10.9.9.8", T0 + 5 * MIN, NULL);
	assert_int_equal(count(f, NULL), 6);
	d = doc(f, id);
	assert_int_equal(jint(d, "alert_count"), 16);
	json_decref(d);
	free(id);
	rmrule(r);
}

static void
test_reopen_occurrence(void **state)
{
	struct fx		*f = *state;
	struct rule		*r;
	struct incident_change	 ch = { .op = "status", .status = "closed",
				    .resolution = "true_positive",
				    .who = "alice" };
	char			*id, *id2, *cause;
	json_t			*d;
	r = mkrule("KB-T-1", "outbound_attack", "high");

	fx_open(f, "incidents: {throttle: 0, reopen: 24h}\n");
	alert(f, r, "10.1.2.3", "198.51.100.1", T0, NULL);
	id = nth(f, 1);
	ch.ts = T0 / 1000000 + 60;
	assert_int_equal(incident_change(f->im, id, &ch, &cause), 0);
	/* An hour after the close: the same incident, reopened. */
	alert(f, r, "10.1.2.3", "198.51.100.2", T0 + 61 * MIN, NULL);
	assert_int_equal(count(f, NULL), 1);
	d = doc(f, id);
	assert_string_equal(jstr(d, "status"), "in_progress");
	assert_true(json_is_null(json_object_get(d, "resolution")));
	json_decref(d);
	/* Closed again; two days later it is a new occurrence. */
	ch.ts = T0 / 1000000 + 3600 * 2;
	assert_int_equal(incident_change(f->im, id, &ch, &cause), 0);
	alert(f, r, "10.1.2.3", "198.51.100.3", T0 + 2 * 24 * 60 * MIN, NULL);
	assert_int_equal(count(f, NULL), 2);
	id2 = nth(f, 2);
	d = doc(f, id2);
	assert_int_equal(jint(d, "occurrence"), 2);
	assert_string_equal(jstr(json_array_get(json_object_get(d, "related"),
	    0), "relation"), "recurrence-of");
	assert_string_equal(jstr(json_array_get(json_object_get(d, "related"),
	    0), "id"), id);
	json_decref(d);
	/* The old one stays closed, with who closed it in its timeline. */
	d = doc(f, id);
	assert_string_equal(jstr(d, "status"), "closed");
	assert_string_equal(jstr(d, "resolution"), "true_positive");
	json_decref(d);
	free(id);
	free(id2);
	rmrule(r);
}

static void
test_changes(void **state)
{
	struct fx		*f = *state;
	struct rule		*r;
	struct incident_change	 ch = { .op = "status", .who = "bob" };
	struct store_tl		*tl;
	char			*id, *cause = NULL;
	size_t			 n, i;
	bool			 by_bob = false;
	r = mkrule("KB-T-1", "outbound_attack", "high");

	fx_open(f, "incidents: {throttle: 0}\n");
	alert(f, r, "10.1.2.3", "198.51.100.1", T0, NULL);
	id = nth(f, 1);
	ch.status = "acknowledged";
	assert_int_equal(incident_change(f->im, id, &ch, &cause), 0);
	ch.status = "acknowledged";
	assert_int_equal(incident_change(f->im, id, &ch, &cause), -1);
	free(cause);
	ch.status = "closed";
	ch.resolution = NULL;
	assert_int_equal(incident_change(f->im, id, &ch, &cause), -1);
	assert_non_null(strstr(cause, "resolution"));
	free(cause);
	ch.status = "new";
	assert_int_equal(incident_change(f->im, id, &ch, &cause), -1);
	free(cause);
	assert_int_equal(incident_change(f->im, "KB-0000-00-0000", &ch,
	    &cause), -1);
	free(cause);
	/* Left in the store by keibictl, applied by the owner. */
	{
		struct store_change	sc = { .incident_id = id, .op = "note",
					    .note = "called the owner",
					    .who = "carol", .ts = 1 };
		int64_t			cid;
		char			*res;

		cid = store_change_add(f->st, &sc);
		assert_true(cid > 0);
		assert_int_equal(incident_apply_changes(f->im), 1);
		assert_int_equal(store_change_result(f->st, cid, &res), 1);
		assert_string_equal(res, "ok");
		free(res);
	}
	n = store_tl(f->st, id, &tl);
	for (i = 0; i < n; i++)
		if (strcmp(tl[i].by, "bob") == 0 &&
		    strstr(tl[i].text, "acknowledged") != NULL)
			by_bob = true;
	assert_true(by_bob);
	assert_string_equal(tl[n - 1].by, "carol");
	store_tl_free(tl, n);
	free(id);
	rmrule(r);
}

static void
test_quiet(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-1", "outbound_attack", "high");
	char		*id;
	json_t		*d;
	int64_t		 now = T0 / 1000000;

	fx_open(f, "incidents: {throttle: 0, idle: 5m}\n");
	alert(f, r, "10.1.2.3", "198.51.100.1", T0, NULL);
	id = nth(f, 1);
	/* The logs go silent: event time runs on with the clock. */
	incident_tick(f->im, (int64_t)time(NULL) + 10 * 60);
	d = doc(f, id);
	assert_string_equal(jstr(d, "activity"), "quiet");
	assert_string_equal(jstr(d, "status"), "new");	/* never closed */
	json_decref(d);
	alert(f, r, "10.1.2.3", "198.51.100.2", T0 + 20 * MIN, NULL);
	d = doc(f, id);
	assert_string_equal(jstr(d, "activity"), "active");
	json_decref(d);
	(void)now;
	free(id);
	rmrule(r);
}

static void
test_c2_parent(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-B", "beacon", "high");
	char		*id;
	json_t		*d;
	int		 i;

	fx_open(f, "incidents: {throttle: 0, c2_hosts: 3}\n");
	alert(f, r, "10.1.4.1", "evil.example", T0, NULL);
	alert(f, r, "10.1.4.2", "evil.example", T0 + MIN, NULL);
	assert_int_equal(count(f, NULL), 2);
	alert(f, r, "10.1.4.3", "evil.example", T0 + 2 * MIN, NULL);
	/* Three hosts, one C2: a parent over the three. */
	assert_int_equal(count(f, NULL), 4);
	id = nth(f, 4);
	d = doc(f, id);
	assert_string_equal(jstr(json_object_get(d, "group"), "kind"), "c2");
	assert_int_equal(json_array_size(json_object_get(d, "related")), 3);
	assert_int_equal(json_array_size(json_object_get(d,
	    "internal_hosts")), 3);
	assert_non_null(strstr(jstr(d, "title"), "3 of our hosts"));
	json_decref(d);
	for (i = 1; i <= 3; i++) {
		char	*cid = nth(f, (size_t)i);

		d = doc(f, cid);
		assert_string_equal(jstr(json_array_get(json_object_get(d,
		    "related"), 0), "relation"), "parent");
		assert_string_equal(jstr(json_array_get(json_object_get(d,
		    "related"), 0), "id"), id);
		json_decref(d);
		free(cid);
	}
	free(id);
	rmrule(r);
}

static void
test_worm_chain(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-W", "worm_spread", "critical");
	char		*a, *b;
	json_t		*d;

	fx_open(f, "incidents: {throttle: 0, worm_link: 1h}\n");
	alert(f, r, "10.1.2.3", "10.1.5.39", T0, NULL);
	alert(f, r, "10.1.5.39", "10.1.6.1", T0 + 10 * MIN, NULL);
	a = nth(f, 1);
	b = nth(f, 2);
	d = doc(f, b);
	assert_string_equal(jstr(json_array_get(json_object_get(d, "related"),
	    0), "relation"), "parent");
	assert_string_equal(jstr(json_array_get(json_object_get(d, "related"),
	    0), "id"), a);
	json_decref(d);
	d = doc(f, a);
	assert_string_equal(jstr(json_array_get(json_object_get(d, "related"),
	    0), "relation"), "child");
	json_decref(d);
	free(a);
	free(b);
	rmrule(r);
}

/*
 * A detector's count and the host that reached a spreading one come from
 * the alert record's data when it carries them, whatever the reason says.
 */
static void
test_detector_data(void **state)
{
	struct fx	*f = *state;
	struct rule	*d = mkrule("KB-T-3", "outbound_attack", "high");
	struct rule	*w = mkrule("KB-T-W", "worm_spread", "critical");
	char		*id, *a, *c, *b;
	json_t		*o;

	d->kind = RK_DETECTOR;
	w->kind = RK_DETECTOR;
	fx_open(f, "incidents: {throttle: 0s, worm_link: 1h}\n");
	/* The text says 14; the data says 5, and wins. */
	next_reason = "outbound scan: threshold random walk: 9 of 14 first "
	    "contacts failed (likelihood ratio 120)";
	next_count = 5;
	alert(f, d, "10.1.2.3", "198.51.100.3", T0, NULL);
	id = nth(f, 1);
	/* A stated count of 0 is one event; no count and no text is one. */
	next_count = 0;
	alert(f, d, "10.1.2.3", "198.51.100.4", T0 + MIN, NULL);
	next_count = 40;
	next_reason = "odd";
	alert(f, d, "10.1.2.3", "198.51.100.5", T0 + 2 * MIN, NULL);
	o = doc(f, id);
	assert_int_equal(jint(o, "alert_count"), 3);
	assert_int_equal(jint(json_object_get(o, "counters"), "events"),
	    5 + 1 + 40);
	json_decref(o);

	/*
	 * Two spreading hosts that never touched 10.1.5.39; its alert names
	 * 10.1.7.7 as data (and 10.1.2.4 in its text): the parent is the
	 * incident of 10.1.7.7.
	 */
	alert(f, w, "10.1.2.4", "10.1.9.9", T0, NULL);
	alert(f, w, "10.1.7.7", "10.1.8.8", T0 + MIN, NULL);
	next_via = "10.1.7.7";
	next_reason = "internal spread: 12 new destinations within 60s; "
	    "propagation: 10.1.2.4, itself spreading";
	alert(f, w, "10.1.5.39", "10.1.6.1", T0 + 10 * MIN, NULL);
	a = nth(f, 2);
	c = nth(f, 3);
	b = nth(f, 4);
	o = doc(f, b);
	assert_string_equal(jstr(json_array_get(json_object_get(o, "related"),
	    0), "relation"), "parent");
	assert_string_equal(jstr(json_array_get(json_object_get(o, "related"),
	    0), "id"), c);
	assert_string_not_equal(c, a);
	json_decref(o);
	free(id);
	free(a);
	free(b);
	free(c);
	rmrule(d);
	rmrule(w);
}

/* True if s holds a byte that is a control (other than none at all). */
static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Check every string in a JSON value. */
static void
no_controls(json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (json_is_string(j)) {
		assert_false(has_control(json_string_value(j)));
		/* No C1 controls or bidi overrides survive either. */
		assert_null(strstr(json_string_value(j), "\xc2\x9b"));
		assert_null(strstr(json_string_value(j), "\xe2\x80\xae"));
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			assert_false(has_control(k));
			no_controls(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			no_controls(v);
	}
}

/* A delivery line naming several recipients counts each as a target. */
static void
test_recipients(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-R", "outbound_spam", "high");
	struct record	 rec;
	static const char line[] = "to=<a@x.example>,<b@y.example>";
	static const char to[] = "a@x.example; <b@y.example>;c@z.example";
	char		*id, *text;
	json_t		*o;

	fx_open(f, "incidents: {throttle: 0}\n");
	record_reset(&rec);
	rec.line.p = line;
	rec.line.len = sizeof line - 1;
	rec.source = "mail";
	rec.has_ts = true;
	rec.ts_us = T0;
	record_set(&rec, RF_SOURCE_IP, "10.1.3.7", 8);
	record_set(&rec, RF_EMAIL_TO_ADDRESS, to, sizeof to - 1);
	record_finish(&rec, &f->conf->internal);
	assert_int_equal(incident_alert(f->im, r, &rec, NULL), 1);
	id = nth(f, 1);
	o = doc(f, id);
	assert_int_equal(jint(json_object_get(o, "remote"), "count"), 3);
	assert_int_equal(jint(json_object_get(o, "counters"), "mails"), 1);
	text = json_dumps(o, 0);
	assert_non_null(strstr(text, "\"b@y.example\""));
	free(text);
	json_decref(o);
	free(id);
	rmrule(r);
}

static void
test_hostile(void **state)
{
	struct fx	*f = *state;
	struct rule	*r = mkrule("KB-T-S", "outbound_spam", "high");
	struct record	 rec;
	static const char line[] = "user=\x1b[31mroot\x1b[0m\r\nInjected: "
	    "yes\0after-nul \xff\xfe \xc2\x9b \xe2\x80\xae|cs1=x\\=y "
	    "\"},\"id\":\"evil\"";
	static const char user[] = "ev\nil\x1b]0;pwn\x07\xc3\x28\"\\";
	static const char dom[] = "a.example\r\nBcc: x@y\x00z";
	char		*id;
	json_t		*d;

	fx_open(f, "incidents: {throttle: 0}\n");
	record_reset(&rec);
	rec.line.p = line;
	rec.line.len = sizeof line - 1;
	rec.source = "fw";
	rec.has_ts = true;
	rec.ts_us = T0;
	record_set(&rec, RF_SOURCE_IP, "10.1.3.7", 8);
	record_set(&rec, RF_USER_NAME, user, sizeof user - 1);
	record_set(&rec, RF_DESTINATION_DOMAIN, dom, sizeof dom - 1);
	record_set(&rec, RF_EMAIL_TO_ADDRESS, dom, sizeof dom - 1);
	record_set(&rec, RF_EVENT_REASON, line, sizeof line - 1);
	record_finish(&rec, &f->conf->internal);
	assert_int_equal(incident_alert(f->im, r, &rec, NULL), 1);
	id = nth(f, 1);
	d = doc(f, id);
	no_controls(d);
	assert_string_equal(jstr(d, "id"), id);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    d, "users"), 0)), "ev\\nil\\x1b]0;pwn\\x07\\xc3(\"\\\\");
	assert_non_null(strstr(jstr(json_array_get(json_object_get(
	    json_object_get(d, "evidence"), "samples"), 0), "raw"),
	    "\\x00after-nul \\xff\\xfe \\u009b \\u202e"));
	/* The account that groups spam is the cleaned one. */
	assert_string_equal(jstr(json_object_get(d, "group"), "account"),
	    "ev\\nil\\x1b]0;pwn\\x07\\xc3(\"\\\\");
	json_decref(d);
	free(id);
	rmrule(r);
}

static void
test_clean(void **state)
{
	char	*s;

	s = incident_clean("ok 日本語", strlen("ok 日本語"), 100);
	assert_string_equal(s, "ok 日本語");
	free(s);
	s = incident_clean("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 9, 8);
	/* Cut on a character boundary, marked. */
	assert_string_equal(s, "\xe6\x97\xa5...");
	free(s);
	s = incident_clean("\xc0\xaf", 2, 100);	/* overlong "/" */
	assert_string_equal(s, "\\xc0\\xaf");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup_replay, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen_occurrence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_c2_parent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_detector_data, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_worm_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
