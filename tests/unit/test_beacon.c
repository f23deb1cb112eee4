/*
 * test_beacon.c: the beacon score against values computed by hand from
 * RITA v5's formulas (quartiles as montanaflynn/stats, Bowley skew with
 * its guards, MAD, histogram CV and bimodal fit, duration coverage and
 * consistency), then the detector: a jittered 60 s beacon alerts on its
 * active span, random traffic does not, firewall lines without sizes are
 * scored without the size term, strobes, the end-of-input judgement, and
 * the memory bound that keeps the most suspicious pairs; seeded random
 * (exponential) arrivals and bursts stay silent, a jittered timer alerts;
 * a destination most clients call on a timer is weighed down by its
 * prevalence while one client's rare destination alerts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "beacon.h"
#include "detect_util.h"
#include "log.h"

#define EPS	0.0005

static void
test_ts_score(void **state)
{
	/* Perfect timer: no skew (Q2 == Q1), MAD 0: 1.000. */
	const double	flat[] = { 60, 60, 60, 60 };
	/*
	 * n = 8: Q1 = 25, Q2 = 45, Q3 = 65, skew 0; deviations 35 25 15 5 5
	 * 15 25 35, MAD 20; (1 + 25/45) / 2 = 0.7778 -> 0.778.
	 */
	const double	even[] = { 80, 10, 20, 30, 40, 50, 60, 70 };
	/*
	 * n = 9: Q1 = median(1,2,3,4) = 2.5, Q2 = 5, Q3 = median(6,7,100,
	 * 200) = 53.5; skew = (2.5 + 53.5 - 10) / 51 = 0.90196; MAD of
	 * 4 3 2 1 0 1 2 95 195 is 2, MAD score 3/5; (0.09804 + 0.6) / 2 =
	 * 0.34902 -> 0.349.
	 */
	const double	skewed[] = { 1, 2, 3, 4, 5, 6, 7, 100, 200 };
	/* Q3 - Q1 = 3 < 10: skew forced to 0; MAD 1; (1 + 59/60) / 2. */
	const double	tight[] = { 58, 59, 60, 61, 62 };
	/* Zero intervals are dropped: three 60s remain. */
	const double	zeros[] = { 0, 60, 0, 60, 60 };
	const double	few[] = { 0, 0, 60, 60 };

	assert_float_equal(beacon_ts_score(flat, 4), 1.0, EPS);
	assert_float_equal(beacon_ts_score(even, 8), 0.778, EPS);
	assert_float_equal(beacon_ts_score(skewed, 9), 0.349, EPS);
	assert_float_equal(beacon_ts_score(tight, 5), 0.992, EPS);
	assert_float_equal(beacon_ts_score(zeros, 5), 1.0, EPS);
	assert_float_equal(beacon_ts_score(few, 4), 0.0, EPS);
}

static void
test_ds_score(void **state)
{
	/* Median below 1: MAD score defaults to 0 for sizes; skew 0. */
	const double	zero[] = { 0, 0, 0, 0 };
	/* 4100..4130: Q3-Q1 = 20, Q2 = 4115 between: skew 0; MAD 10. */
	const double	beacon[] = { 4100, 4110, 4120, 4130 };

	assert_float_equal(beacon_ds_score(zero, 4), 0.5, EPS);
	/* (1 + (4115 - 10) / 4115) / 2 = 0.99878 -> 0.999 */
	assert_float_equal(beacon_ds_score(beacon, 4), 0.999, EPS);
}

static void
test_hist_dur(void **state)
{
	uint32_t	bins[24];
	size_t		i;

	for (i = 0; i < 24; i++)
		bins[i] = 5;
	assert_float_equal(beacon_hist_score(bins), 1.0, EPS);
	/* Coverage 24/24, longest run 24 h: 1. */
	assert_float_equal(beacon_dur_score(bins, 0, 86400, 86400), 1.0, EPS);

	memset(bins, 0, sizeof bins);
	bins[0] = 24;
	/* mean 1, sigma sqrt(23) > 1: CV score 0; 1 bar < 11: no fit. */
	assert_float_equal(beacon_hist_score(bins), 0.0, EPS);
	/* Fewer than 6 busy hours: no duration score. */
	assert_float_equal(beacon_dur_score(bins, 0, 3600, 86400), 0.0, EPS);

	memset(bins, 0, sizeof bins);
	for (i = 0; i < 12; i++)
		bins[i] = 60;
	/*
	 * Twelve busy hours: CV = 1 (sigma 30, mean 30): CV score 0; the
	 * bimodal fit puts all 12 bars in one bucket: 12 / (12 - 1) -> 1.
	 */
	assert_float_equal(beacon_hist_score(bins), 1.0, EPS);
	/* Coverage ceil3(11/24) = 0.459; run 12/12 = 1: 1. */
	assert_float_equal(beacon_dur_score(bins, 0, 11 * 3600, 86400), 1.0,
	    EPS);

	memset(bins, 0, sizeof bins);
	for (i = 0; i < 12; i += 2)
		bins[i] = 1;
	/* Six alternate hours: run 1 -> ceil3(1/12) = 0.084; coverage
	 * ceil3(10/24) = 0.417: 0.417. */
	assert_float_equal(beacon_dur_score(bins, 0, 10 * 3600, 86400), 0.417,
	    EPS);
}

static const char *BEACON_RULES =
    "rules:\n"
    "  - id: BP\n    title: proxy beacon\n    category: beacon\n"
    "    severity: high\n    logsource: proxy\n"
    "    match: {source.ip: {exists: true}}\n"
    "    detector: beacon\n"
    "    params: {key: domain, max_pairs: MAXPAIRS}\n"
    "  - id: BF\n    title: firewall beacon\n    category: beacon\n"
    "    severity: high\n    logsource: firewall\n"
    "    match: {network.direction: outbound}\n"
    "    detector: beacon\n    params: {key: ip}\n";

static struct ruleset *
load_beacon(const char *maxpairs)
{
	char	text[2048], *p;

	snprintf(text, sizeof text, "%s", BEACON_RULES);
	p = strstr(text, "MAXPAIRS");
	memcpy(p, maxpairs, strlen(maxpairs));
	memset(p + strlen(maxpairs), ' ', 8 - strlen(maxpairs));
	return tu_load(text);
}

/* One proxy CONNECT by src to domain at t seconds with size bytes. */
static void
px(struct ruleset *rs, struct tu_alerts *a, const char *src,
    const char *domain, int64_t t, unsigned int size)
{
	struct tu_rec	tr;
	char		sz[32];

	snprintf(sz, sizeof sz, "%u", size);
	tu_rec_start(&tr, "proxy.squid", t * TU_SEC);
	tu_set(&tr, "source.ip", src);
	tu_set(&tr, "url.domain", domain);
	tu_set(&tr, "destination.bytes", sz);
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, a);
}

static uint64_t	rnd = 0x2545f4914f6cdd1dULL;

static uint32_t
rand32(void)
{
	rnd ^= rnd >> 12;
	rnd ^= rnd << 25;
	rnd ^= rnd >> 27;
	return (uint32_t)((rnd * 2685821657736338717ULL) >> 32);
}

/* An exponential gap or size with mean m (random browsing). */
static uint32_t
expo(uint32_t m)
{
	double	u = ((double)(rand32() % 1000000) + 0.5) / 1000000.0;

	return (uint32_t)(-log(u) * m) + 1;
}

static void
test_beacon_span(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int64_t		 t = 1795219200, u = 1795219200;
	int		 i;

	memset(&a, 0, sizeof a);
	/* 60 s +-20 % for two hours, sizes within a few bytes. */
	for (i = 0; i < 120; i++) {
		t += 48 + rand32() % 25;
		px(rs, &a, "10.1.4.21", "c2.example.net", t,
		    4100 + rand32() % 30);
		/* Browsing: random gaps and sizes to popular sites. */
		u += expo(60);
		px(rs, &a, "10.1.2.19", "news.example.jp", u, expo(20000));
	}
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "BP"), 1);
	assert_string_equal(a.src[0], "10.1.4.21");
	assert_non_null(strstr(a.reason[0], "judged on its active span"));
	ruleset_free(rs);
}

static void
test_beacon_short_not_judged(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int		 i;

	memset(&a, 0, sizeof a);
	/* Perfectly regular, but only 8 calls over 7 minutes: too little. */
	for (i = 0; i < 8; i++)
		px(rs, &a, "10.1.4.21", "c2.example.net", 1000 + i * 60, 4100);
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(a.n, 0);
	ruleset_free(rs);
}

static void
test_beacon_firewall_no_sizes(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int64_t		 t = 0;
	int		 i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < 40; i++) {
		t += 55 + rand32() % 11;
		tu_fw(rs, &a, "10.1.4.20", "198.51.100.66", "8443", "accept", t);
	}
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "BF"), 1);
	assert_non_null(strstr(a.reason[0], "198.51.100.66:8443"));
	assert_non_null(strstr(a.reason[0], "size n/a"));
	ruleset_free(rs);
}

static void
test_beacon_flush(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int		 i;

	memset(&a, 0, sizeof a);
	/*
	 * 11 calls 5 min apart: judged at the 4th and 8th (too few calls
	 * for the span then); the 11th is only judged at the end of input.
	 */
	for (i = 0; i < 11; i++)
		px(rs, &a, "10.1.4.21", "c2.example.net", 1000 + i * 300, 4100);
	assert_int_equal(a.n, 0);
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(a.n, 1);
	/* Described without a line: source, destination, event time. */
	assert_string_equal(a.src[0], "10.1.4.21");
	assert_non_null(strstr(a.reason[0], "c2.example.net"));
	/* The two calls held in the first-sighting slot count too. */
	assert_non_null(strstr(a.reason[0], "11 connections over 0h50m"));
	/* Alerted once per pair. */
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(a.n, 1);
	ruleset_free(rs);
}

static void
test_beacon_strobe(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n  - id: S\n    title: t\n"
	    "    category: beacon\n    severity: high\n"
	    "    match: {source.ip: {exists: true}}\n"
	    "    detector: beacon\n    params: {strobe: 100}\n");
	struct tu_alerts a;
	int		 i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < 150; i++)
		px(rs, &a, "10.1.4.22", "retry.example.net", 5000 + i, 0);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.reason[0], "strobe: 100 connections"));
	ruleset_free(rs);
}

static void
test_beacon_memory(void **state)
{
	struct ruleset	*rs = load_beacon("4");
	struct tu_alerts a;
	char		 dom[64];
	int		 i;

	/* 1,000,000 pairs fit in 512 MiB. */
	assert_true(beacon_pair_bytes() * 1000000 < 512ULL * 1024 * 1024);
	memset(&a, 0, sizeof a);
	/* A suspicious pair (judged 1.0 but not over its span yet)... */
	for (i = 0; i < 8; i++)
		px(rs, &a, "10.1.4.21", "c2.example.net", 1000 + i * 60, 4100);
	/* ...survives a flood of new pairs (seen three times: tracked). */
	for (i = 0; i < 100; i++) {
		snprintf(dom, sizeof dom, "site%d.example.com", i);
		px(rs, &a, "10.1.2.19", dom, 1500 + i, 1000);
		px(rs, &a, "10.1.2.19", dom, 1600 + i, 1000);
		px(rs, &a, "10.1.2.19", dom, 1650 + i, 1000);
	}
	/* Pairs seen once or twice are not tracked at all. */
	for (i = 0; i < 100; i++) {
		snprintf(dom, sizeof dom, "once%d.example.com", i);
		px(rs, &a, "10.1.2.19", dom, 1700 + i, 1000);
		snprintf(dom, sizeof dom, "twice%d.example.com", i);
		px(rs, &a, "10.1.2.19", dom, 1700 + i, 1000);
		px(rs, &a, "10.1.2.19", dom, 1720 + i, 1000);
	}
	/*
	 * 97 of the 100 tracked pairs go; a pair seen once whose
	 * first-sighting slot another tracked pair holds is tracked at once
	 * and pushes out one more, as the keys' hashes fall.
	 */
	assert_in_range(ruleset_find(rs, "BP")->dropped, 97, 110);
	/*
	 * Kept: its 32nd call spans 31 minutes and alerts.  Had it been
	 * evicted, the new pair would need until its own 32nd call.
	 */
	for (i = 8; i < 32; i++)
		px(rs, &a, "10.1.4.21", "c2.example.net", 1000 + i * 60, 4100);
	assert_int_equal(tu_count(&a, "BP"), 1);
	assert_non_null(strstr(a.reason[0], "32 connections over 0h31m"));
	ruleset_free(rs);
}

/*
 * Random arrivals are no beacon: 300 clients, each calling its own
 * destination 12 to 40 times with exponential gaps (mean 40 minutes),
 * through the proxy with steady sizes and through the firewall without
 * sizes.  Under the old span score (skew and MAD averaged, sizes averaged
 * in) a few of them scored 0.82 to 0.88 and alerted.
 */
static void
test_beacon_random_silent(void **state)
{
	struct ruleset	*rs = load_beacon("100000");
	struct tu_alerts a;
	char		 src[32], dom[64], ip[32];
	int64_t		 t;
	int		 c, i, n;

	rnd = 0x9e3779b97f4a7c15ULL;
	memset(&a, 0, sizeof a);
	for (c = 0; c < 300; c++) {
		snprintf(src, sizeof src, "10.1.%d.%d", 10 + c / 200,
		    1 + c % 200);
		snprintf(dom, sizeof dom, "site%d.example.com", c);
		snprintf(ip, sizeof ip, "198.51.100.%d", 1 + c % 250);
		n = 12 + (int)(rand32() % 29);
		t = 1795219200;
		for (i = 0; i < n; i++) {
			t += expo(2400);
			px(rs, &a, src, dom, t, 1200);
		}
		t = 1795219200;
		for (i = 0; i < n; i++) {
			t += expo(2400);
			tu_fw(rs, &a, src, ip, "443", "accept", t);
		}
	}
	detect_flush(rs, tu_alert_cb, &a);
	for (i = 0; i < (int)a.n; i++)
		print_message("unexpected: %s %s %s\n", a.id[i], a.src[i],
		    a.reason[i]);
	assert_int_equal(a.n, 0);
	ruleset_free(rs);
}

/* A 60 s timer with +-10 % jitter alerts, with sizes or without. */
static void
test_beacon_jitter_alerts(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int64_t		 t = 1795219200, u = 1795219200;
	int		 i;

	rnd = 0x2545f4914f6cdd1dULL;
	memset(&a, 0, sizeof a);
	for (i = 0; i < 40; i++) {
		t += 54 + rand32() % 13;
		tu_fw(rs, &a, "10.1.4.20", "198.51.100.66", "8443", "accept", t);
		u += 54 + rand32() % 13;
		px(rs, &a, "10.1.4.21", "c2.example.net", u,
		    3000 + rand32() % 2000);
	}
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "BF"), 1);
	assert_int_equal(tu_count(&a, "BP"), 1);
	ruleset_free(rs);
}

/* Bursts at a tool's fixed pace, an hour apart, are no beacon. */
static void
test_beacon_bursts_silent(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int		 b, i;

	memset(&a, 0, sizeof a);
	for (b = 0; b < 2; b++)
		for (i = 0; i < 15; i++)
			px(rs, &a, "10.1.2.251", "shop.example.com",
			    1795219200 + b * 3600 + i * 7, 1500);
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(a.n, 0);
	ruleset_free(rs);
}

/* The span score by hand: 1 - MAD/median, scaled below 30 intervals. */
static void
test_span_score(void **state)
{
	double	full[30], few[10], burst[10];
	int	i;

	/* 30 intervals, 15 of 54 s and 15 of 66 s: median 60, MAD 6. */
	for (i = 0; i < 30; i++)
		full[i] = i % 2 ? 54 : 66;
	assert_true(fabs(beacon_span_ts_score(full, 30) - 0.9) < EPS);
	/* The same ratio from 10 intervals counts three times: 1 - 0.3. */
	for (i = 0; i < 10; i++)
		few[i] = i % 2 ? 54 : 66;
	assert_true(fabs(beacon_span_ts_score(few, 10) - 0.7) < EPS);
	/* Perfectly regular: 1 however few. */
	for (i = 0; i < 10; i++)
		few[i] = 300;
	assert_true(fabs(beacon_span_ts_score(few, 10) - 1) < EPS);
	/* Nine gaps of 7 s and one of 3500 s: a burst, not a timer. */
	for (i = 0; i < 10; i++)
		burst[i] = i == 9 ? 3500 : 7;
	assert_true(beacon_span_ts_score(burst, 10) == 0);
}

/*
 * Prevalence: 50 clients browse; 30 of them (60 %) call the vendor's
 * update server every minute for two hours, one calls a destination no
 * one else calls on the same timer.  Only the rare destination alerts,
 * with its prevalence and first sighting; with the prevalence weight
 * turned off (prevalence_free: 1) the update server alerts for each of
 * its 30 clients, so it was the weight that silenced them.
 */
static void
prevalence_run(struct ruleset *rs, struct tu_alerts *a, int64_t *c2first)
{
	char		 src[32], dom[64];
	int64_t		 base = 1795219200, t[31];
	int		 c, i;

	rnd = 0x243f6a8885a308d3ULL;
	for (c = 0; c < 50; c++) {
		snprintf(src, sizeof src, "10.2.0.%d", c + 1);
		snprintf(dom, sizeof dom, "page%d.example.org", c);
		px(rs, a, src, dom, base + c, expo(20000));
	}
	for (c = 0; c < 31; c++)
		t[c] = base + 100 + rand32() % 60;
	*c2first = t[30];
	for (i = 0; i < 120; i++)
		for (c = 0; c < 31; c++) {
			if (c < 30) {
				snprintf(src, sizeof src, "10.2.0.%d", c + 1);
				px(rs, a, src, "update.vendor.example", t[c],
				    2100 + rand32() % 40);
			} else
				px(rs, a, "10.2.0.45", "c2.rare.example", t[c],
				    2100 + rand32() % 40);
			t[c] += 54 + rand32() % 13;
		}
	detect_flush(rs, tu_alert_cb, a);
}

static void
test_beacon_prevalence(void **state)
{
	struct ruleset	*rs;
	struct tu_alerts a;
	char		 want[96], when[40];
	int64_t		 first;
	double		 n, hosts;
	time_t		 tt;
	struct tm	 tm;
	const char	*p;
	int		 i;

	rs = tu_load("rules:\n  - id: BP\n    title: t\n    category: beacon\n"
	    "    severity: high\n    logsource: proxy\n"
	    "    match: {source.ip: {exists: true}}\n"
	    "    detector: beacon\n    params: {key: domain}\n");
	memset(&a, 0, sizeof a);
	prevalence_run(rs, &a, &first);
	for (i = 0; i < (int)a.n; i++)
		print_message("%s %s %s\n", a.id[i], a.src[i], a.reason[i]);
	assert_int_equal(tu_count(&a, "BP"), 1);
	assert_string_equal(a.src[0], "10.2.0.45");
	assert_non_null(strstr(a.reason[0], "beacon to c2.rare.example"));
	assert_non_null(strstr(a.reason[0], "prevalence 2% (1 of "));
	tt = (time_t)first;
	gmtime_r(&tt, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(want, sizeof want, "destination first seen %s", when);
	assert_non_null(strstr(a.reason[0], want));
	ruleset_free(rs);

	rs = tu_load("rules:\n  - id: BP\n    title: t\n    category: beacon\n"
	    "    severity: high\n    logsource: proxy\n"
	    "    match: {source.ip: {exists: true}}\n"
	    "    detector: beacon\n"
	    "    params: {key: domain, prevalence_free: 1}\n");
	memset(&a, 0, sizeof a);
	prevalence_run(rs, &a, &first);
	assert_int_equal(tu_count(&a, "BP"), 31);
	for (i = 0; i < (int)a.n; i++) {
		if (strstr(a.reason[i], "update.vendor.example") == NULL)
			continue;
		/* Counted: about 30 of about 50 sources (HyperLogLog). */
		assert_non_null(p = strstr(a.reason[i], "% ("));
		assert_int_equal(sscanf(p, "%% (%lf of %lf sources)", &n,
		    &hosts), 2);
		assert_true(n >= 26 && n <= 34);
		assert_true(hosts >= 48 && hosts <= 52);
	}
	ruleset_free(rs);
}

/* Under prevalence_min_hosts sources, nothing is prevalent. */
static void
test_beacon_prevalence_small_net(void **state)
{
	struct ruleset	*rs = load_beacon("1000");
	struct tu_alerts a;
	int64_t		 t = 1795219200;
	int		 i;

	memset(&a, 0, sizeof a);
	/* Two hosts, both on the same timer: 100 % of a tiny network. */
	for (i = 0; i < 120; i++) {
		t += 54 + rand32() % 13;
		px(rs, &a, "10.1.4.21", "c2.example.net", t, 4100);
		px(rs, &a, "10.1.4.22", "c2.example.net", t + 7, 4100);
	}
	detect_flush(rs, tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "BP"), 2);
	assert_non_null(strstr(a.reason[0], "prevalence 100% (2 of 2 "));
	ruleset_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts_score),
		cmocka_unit_test(test_ds_score),
		cmocka_unit_test(test_hist_dur),
		cmocka_unit_test(test_beacon_span),
		cmocka_unit_test(test_beacon_short_not_judged),
		cmocka_unit_test(test_beacon_firewall_no_sizes),
		cmocka_unit_test(test_beacon_flush),
		cmocka_unit_test(test_beacon_strobe),
		cmocka_unit_test(test_beacon_memory),
		cmocka_unit_test(test_beacon_random_silent),
		cmocka_unit_test(test_beacon_jitter_alerts),
		cmocka_unit_test(test_beacon_bursts_silent),
		cmocka_unit_test(test_span_score),
		cmocka_unit_test(test_beacon_prevalence),
		cmocka_unit_test(test_beacon_prevalence_small_net),
	};

	log_init("test_beacon", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
