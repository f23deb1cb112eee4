/*
 * test_corr.c: correlation on event time.  Count exactly at the threshold
 * and at the window's edges (both ends count), out-of-order lines within
 * the tolerance and beyond it, a true distinct count (not "different from
 * the last"), ordered sequences, group keys of one to three fields,
 * correlations fed by other rules, the group-table memory bound, and that
 * a reload keeps the state of an unchanged rule and drops a changed one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "corr.h"
#include "detect_util.h"
#include "log.h"

#define COUNT_RULE(thr, extra) \
	"rules:\n  - id: C\n    title: t\n    category: malware\n" \
	"    severity: low\n    match: {user.name: {exists: true}}\n" \
	"    correlation: {type: count, group_by: user.name, window: 60s, " \
	"threshold: " thr extra "}\n"

/* Feed an event of user u at t microseconds. */
static void
ev(struct ruleset *rs, struct tu_alerts *a, const char *u, int64_t t)
{
	struct tu_rec	tr;

	tu_rec_start(&tr, "proxy.squid", t);
	tu_set(&tr, "user.name", u);
	tu_set(&tr, "source.ip", "10.1.2.3");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, a);
}

static void
test_count_threshold(void **state)
{
	struct ruleset	*rs = tu_load(COUNT_RULE("3", ""));
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	ev(rs, &a, "u", 0);
	ev(rs, &a, "u", 30 * TU_SEC);
	assert_int_equal(a.n, 0);
	/* Exactly at the threshold, exactly at the window's end: fires. */
	ev(rs, &a, "u", 60 * TU_SEC);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.reason[0], "3 events within 1m for "
	    "user.name=u"));
	/* A group that fired starts from nothing. */
	ev(rs, &a, "u", 61 * TU_SEC);
	ev(rs, &a, "u", 62 * TU_SEC);
	assert_int_equal(a.n, 1);
	ev(rs, &a, "u", 63 * TU_SEC);
	assert_int_equal(a.n, 2);
	ruleset_free(rs);
}

static void
test_count_window_edge(void **state)
{
	struct ruleset	*rs = tu_load(COUNT_RULE("3", ""));
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	/* One microsecond past the window: no three events in one window. */
	ev(rs, &a, "u", 0);
	ev(rs, &a, "u", 30 * TU_SEC);
	ev(rs, &a, "u", 60 * TU_SEC + 1);
	assert_int_equal(a.n, 0);
	/* The first fell out; the next one completes a window of three. */
	ev(rs, &a, "u", 61 * TU_SEC);
	assert_int_equal(a.n, 1);
	/* Other groups are apart. */
	ev(rs, &a, "v", 61 * TU_SEC);
	ev(rs, &a, "w", 61 * TU_SEC);
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_count_out_of_order(void **state)
{
	struct ruleset	*rs = tu_load(COUNT_RULE("3", ""));
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	ev(rs, &a, "u", 100 * TU_SEC);
	ev(rs, &a, "u", 200 * TU_SEC);
	/* 50 s late: within the tolerance, but no window holds three. */
	ev(rs, &a, "u", 150 * TU_SEC);
	assert_int_equal(a.n, 0);
	/* 20 s late: 150, 170 and 200 lie within one minute. */
	ev(rs, &a, "u", 170 * TU_SEC);
	assert_int_equal(a.n, 1);
	/* Far too late: counted, ignored. */
	ev(rs, &a, "u", 300 * TU_SEC);
	ev(rs, &a, "u", 100 * TU_SEC);
	ev(rs, &a, "u", 101 * TU_SEC);
	assert_int_equal(a.n, 1);
	assert_int_equal(ruleset_find(rs, "C")->late, 2);
	ruleset_free(rs);
}

static void
test_distinct(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n  - id: D\n    title: t\n"
	    "    category: worm_spread\n    severity: low\n"
	    "    match: {destination.ip: {exists: true}}\n"
	    "    correlation: {type: distinct, field: destination.ip, "
	    "group_by: source.ip, window: 5m, threshold: 3}\n");
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	/* A B A B A: "different from the last" would say 5; truly 2. */
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.1", "445", "drop", 0);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.2", "445", "drop", 1);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.1", "445", "drop", 2);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.2", "445", "drop", 3);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.1", "445", "drop", 4);
	assert_int_equal(a.n, 0);
	/* A third value exactly a window after B was last seen (3 s). */
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.3", "445", "drop", 303);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.reason[0], "3 distinct destination.ip"));
	/* Values seen more than a window ago no longer count. */
	tu_fw(rs, &a, "10.0.0.2", "10.0.1.1", "445", "drop", 1000);
	tu_fw(rs, &a, "10.0.0.2", "10.0.1.2", "445", "drop", 1001);
	tu_fw(rs, &a, "10.0.0.2", "10.0.1.3", "445", "drop", 1302);
	assert_int_equal(a.n, 1);
	tu_fw(rs, &a, "10.0.0.2", "10.0.1.4", "445", "drop", 1303);
	assert_int_equal(a.n, 1);
	tu_fw(rs, &a, "10.0.0.2", "10.0.1.5", "445", "drop", 1304);
	assert_int_equal(a.n, 2);
	ruleset_free(rs);
}

static void
test_sequence(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    "  - {id: A, title: a, category: malware, severity: low, "
	    "alert: false, match: {url.original: {contains: step-a}}}\n"
	    "  - {id: B, title: b, category: malware, severity: low, "
	    "alert: false, match: {url.original: {contains: step-b}}}\n"
	    "  - id: S\n    title: s\n    category: malware\n"
	    "    severity: high\n    correlation: {type: sequence, "
	    "rules: [A, B], group_by: [source.ip, user.name], window: 10m}\n");
	struct tu_alerts a;
	struct tu_rec	 tr;
	const struct {
		const char	*url, *user;
		int64_t		 t;
	} evs[] = {
		{ "step-b", "u", 0 },		/* B before A: nothing */
		{ "step-a", "u", 10 },
		{ "step-b", "v", 20 },		/* other group */
		{ "step-b", "u", 610 },		/* 600 s after A: fires */
		{ "step-a", "u", 700 },
		{ "step-b", "u", 1301 },	/* 601 s after A: too late */
	};
	size_t		 i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < sizeof evs / sizeof evs[0]; i++) {
		tu_rec_start(&tr, "proxy.squid", evs[i].t * TU_SEC);
		tu_set(&tr, "url.original", evs[i].url);
		tu_set(&tr, "user.name", evs[i].user);
		tu_set(&tr, "source.ip", "10.1.2.3");
		detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
		assert_int_equal(a.n, i >= 3 ? 1 : 0);
	}
	assert_int_equal(tu_count(&a, "S"), 1);
	assert_non_null(strstr(a.reason[0], "A then B within 10m for "
	    "source.ip=10.1.2.3, user.name=u"));
	/* Building blocks matched but raised nothing of their own. */
	assert_int_equal(tu_count(&a, "A"), 0);
	assert_true(ruleset_find(rs, "A")->matches > 0);
	ruleset_free(rs);
}

static void
test_group_by_three(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n  - id: G\n    title: t\n"
	    "    category: malware\n    severity: low\n"
	    "    match: {destination.port: {exists: true}}\n"
	    "    correlation: {type: count, group_by: [source.ip, "
	    "destination.ip, destination.port], window: 1m, threshold: 2}\n");
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.1", "445", "drop", 0);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.1", "139", "drop", 1);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.2", "445", "drop", 2);
	tu_fw(rs, &a, "10.0.0.2", "10.0.1.1", "445", "drop", 3);
	assert_int_equal(a.n, 0);
	tu_fw(rs, &a, "10.0.0.1", "10.0.1.1", "445", "drop", 4);
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_fed_by_rules(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    "  - {id: X, title: x, category: malware, severity: low, "
	    "match: {url.original: {contains: x}}}\n"
	    "  - {id: Y, title: y, category: malware, severity: low, "
	    "match: {url.original: {contains: y}}}\n"
	    "  - id: N\n    title: n\n    category: malware\n"
	    "    severity: high\n    correlation: {type: count, "
	    "rules: [X, Y], group_by: source.ip, window: 1m, threshold: 2}\n");
	struct tu_alerts a;
	struct tu_rec	 tr;

	memset(&a, 0, sizeof a);
	/* One event matching both inputs counts once. */
	tu_rec_start(&tr, "proxy.squid", 0);
	tu_set(&tr, "url.original", "xy");
	tu_set(&tr, "source.ip", "10.1.2.3");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "N"), 0);
	tu_rec_start(&tr, "proxy.squid", TU_SEC);
	tu_set(&tr, "url.original", "y");
	tu_set(&tr, "source.ip", "10.1.2.3");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "N"), 1);
	assert_int_equal(tu_count(&a, "X"), 1);
	assert_int_equal(tu_count(&a, "Y"), 2);
	ruleset_free(rs);
}

static void
test_memory_bound(void **state)
{
	struct ruleset	*rs = tu_load(COUNT_RULE("2", ", max_groups: 4"));
	struct tu_alerts a;
	char		 u[16];
	int		 i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < 100; i++) {
		snprintf(u, sizeof u, "user%d", i);
		ev(rs, &a, u, i * TU_SEC);
	}
	assert_int_equal(corr_groups(ruleset_find(rs, "C")), 4);
	assert_int_equal(ruleset_find(rs, "C")->dropped, 96);
	/* The newest groups are kept: a second event of user99 fires. */
	ev(rs, &a, "user99", 100 * TU_SEC);
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_reload_keeps_state(void **state)
{
	const char	*text = "rules:\n  - id: C\n    title: t\n"
	    "    category: malware\n    severity: low\n"
	    "    match: {user.name: {exists: true}}\n"
	    "    correlation: {type: count, group_by: user.name, "
	    "window: 60s, threshold: 3}\n";
	struct ruleset	*old = tu_load(text), *same = tu_load(text), *changed;
	struct tu_alerts a;

	memset(&a, 0, sizeof a);
	ev(old, &a, "u", 0);
	ev(old, &a, "u", TU_SEC);
	detect_adopt(same, old);
	ruleset_free(old);
	ev(same, &a, "u", 2 * TU_SEC);
	assert_int_equal(a.n, 1);		/* the two before the reload count */

	changed = tu_load("rules:\n  - id: C\n    title: t\n"
	    "    category: malware\n    severity: low\n"
	    "    match: {user.name: {exists: true}}\n"
	    "    correlation: {type: count, group_by: user.name, "
	    "window: 60s, threshold: 2}\n");
	ev(same, &a, "v", 10 * TU_SEC);
	detect_adopt(changed, same);
	ruleset_free(same);
	ev(changed, &a, "v", 11 * TU_SEC);
	assert_int_equal(a.n, 1);		/* a changed rule starts afresh */
	ruleset_free(changed);
}

static void
test_dset(void **state)
{
	char		 mem[4096];
	struct dset	*d = (struct dset *)mem;
	uint64_t	 dropped = 0, i;
	uint32_t	 slots = dset_slots(4);

	assert_true(dset_size(slots) <= sizeof mem);
	dset_init(d, slots);
	for (i = 1; i <= 4; i++)
		assert_int_equal(dset_add(d, i, (int64_t)i, 0, 4, &dropped), i);
	assert_int_equal(dset_add(d, 2, 5, 0, 4, &dropped), 4);
	/* lo = 3: values last seen at 1 no longer count. */
	assert_int_equal(dset_add(d, 9, 6, 3, 4, &dropped), 4);
	/* Far more values than slots: bounded, and counted. */
	for (i = 100; i < 200; i++)
		(void)dset_add(d, i, 10, 0, 1000, &dropped);
	assert_true(d->n < slots);
	assert_true(dropped > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_threshold),
		cmocka_unit_test(test_count_window_edge),
		cmocka_unit_test(test_count_out_of_order),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_group_by_three),
		cmocka_unit_test(test_fed_by_rules),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_reload_keeps_state),
		cmocka_unit_test(test_dset),
	};

	log_init("test_corr", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
