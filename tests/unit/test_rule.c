/*
 * test_rule.c: the rule language.  Every operator with nocase and not,
 * value lists, all/any/not nesting, named lists (IP, domain with
 * subdomains, strings), network roles, PCRE2 limits counted and reported,
 * loader errors with file:line, exceptions with expiry, suppression and
 * throttling, and the prefilter: it must give exactly the results of
 * evaluating every rule, on the shipped packs' samples and on mutations.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect_util.h"
#include "log.h"
#include "match.h"
#include "parser.h"

/* Does rule id match a proxy record with url.original / user.name set? */
static int
m1(struct ruleset *rs, const char *id, const char *field, const char *value)
{
	struct tu_rec	tr;

	tu_rec_start(&tr, "proxy.squid", 1000 * TU_SEC);
	tu_set(&tr, field, value);
	tu_set(&tr, "source.ip", "10.1.2.3");
	tu_set(&tr, "destination.ip", "203.0.113.5");
	tu_set(&tr, "destination.port", "443");
	return rule_match(rs, ruleset_find(rs, id), tu_rec_done(&tr));
}

#define RULE(id, cond) \
	"  - {id: " id ", title: t, category: policy_violation, " \
	"severity: low, match: " cond "}\n"

static void
test_operators(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    RULE("EQ", "{user.name: Alice}")
	    RULE("EQI", "{user.name: {equals: alice, nocase: true}}")
	    RULE("EQL", "{user.name: [bob, carol]}")
	    RULE("CO", "{url.original: {contains: /admin}}")
	    RULE("COI", "{url.original: {contains: /ADMIN, nocase: true}}")
	    RULE("SW", "{url.original: {startswith: 'https:'}}")
	    RULE("EW", "{url.original: {endswith: .exe}}")
	    RULE("RE", "{url.original: {regex: '\\d{3}-\\d{4}'}}")
	    RULE("REI", "{url.original: {regex: 'select', nocase: true}}")
	    RULE("CIDR", "{source.ip: {cidr: 10.1.0.0/16}}")
	    RULE("CIDR6", "{source.ip: {cidr: '2001:db8::/32'}}")
	    RULE("EX", "{user.name: {exists: true}}")
	    RULE("NEX", "{user.name: {exists: false}}")
	    RULE("GT", "{destination.port: {gt: 442}}")
	    RULE("GTE", "{destination.port: {gte: 443}}")
	    RULE("LT", "{destination.port: {lt: 443}}")
	    RULE("LTE", "{destination.port: {lte: 443}}")
	    RULE("NOT", "{user.name: {equals: alice, not: true}}"));

	assert_int_equal(m1(rs, "EQ", "user.name", "Alice"), 1);
	assert_int_equal(m1(rs, "EQ", "user.name", "alice"), 0);
	assert_int_equal(m1(rs, "EQ", "user.name", "Alice2"), 0);
	assert_int_equal(m1(rs, "EQI", "user.name", "ALICE"), 1);
	assert_int_equal(m1(rs, "EQL", "user.name", "carol"), 1);
	assert_int_equal(m1(rs, "EQL", "user.name", "dave"), 0);
	assert_int_equal(m1(rs, "CO", "url.original", "http://x/admin/"), 1);
	assert_int_equal(m1(rs, "CO", "url.original", "http://x/Admin/"), 0);
	assert_int_equal(m1(rs, "COI", "url.original", "http://x/Admin/"), 1);
	assert_int_equal(m1(rs, "SW", "url.original", "https://x/"), 1);
	assert_int_equal(m1(rs, "SW", "url.original", "http://x/https:"), 0);
	assert_int_equal(m1(rs, "EW", "url.original", "http://x/a.exe"), 1);
	assert_int_equal(m1(rs, "EW", "url.original", "http://x/a.exe?"), 0);
	assert_int_equal(m1(rs, "RE", "url.original", "tel 555-1234"), 1);
	assert_int_equal(m1(rs, "RE", "url.original", "tel 55-1234"), 0);
	assert_int_equal(m1(rs, "REI", "url.original", "?q=SeLeCt"), 1);
	assert_int_equal(m1(rs, "CIDR", "user.name", "x"), 1);
	assert_int_equal(m1(rs, "CIDR6", "user.name", "x"), 0);
	assert_int_equal(m1(rs, "EX", "user.name", "x"), 1);
	assert_int_equal(m1(rs, "EX", "url.original", "x"), 0);
	assert_int_equal(m1(rs, "NEX", "url.original", "x"), 1);
	/* Comparisons exactly at the boundary. */
	assert_int_equal(m1(rs, "GT", "user.name", "x"), 1);
	assert_int_equal(m1(rs, "GTE", "user.name", "x"), 1);
	assert_int_equal(m1(rs, "LT", "user.name", "x"), 0);
	assert_int_equal(m1(rs, "LTE", "user.name", "x"), 1);
	/* "not": holds when the field is missing too. */
	assert_int_equal(m1(rs, "NOT", "user.name", "alice"), 0);
	assert_int_equal(m1(rs, "NOT", "user.name", "bob"), 1);
	assert_int_equal(m1(rs, "NOT", "url.original", "x"), 1);
	ruleset_free(rs);
}

static void
test_nesting(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    "  - id: N1\n    title: t\n    category: malware\n"
	    "    severity: low\n    match:\n"
	    "      source.ip: {cidr: 10.0.0.0/8}\n"
	    "      any:\n"
	    "        - user.name: alice\n"
	    "        - all:\n"
	    "            url.original: {contains: evil}\n"
	    "            not: {url.original: {contains: good}}\n"
	    "      not: [{user.name: mallory}, {user.name: eve}]\n");

	assert_int_equal(m1(rs, "N1", "user.name", "alice"), 1);
	assert_int_equal(m1(rs, "N1", "user.name", "bob"), 0);
	assert_int_equal(m1(rs, "N1", "url.original", "http://evil/"), 1);
	assert_int_equal(m1(rs, "N1", "url.original", "http://evil/good"), 0);
	assert_int_equal(m1(rs, "N1", "user.name", "eve"), 0);
	ruleset_free(rs);
}

static void
test_lists_and_roles(void **state)
{
	struct ruleset	*rs = tu_load("lists:\n"
	    "  - {name: bad, type: domain, values: [example.com, '*.evil.net']}\n"
	    "  - {name: ips, type: ip, values: [203.0.113.0/24, 10.9.9.9]}\n"
	    "  - {name: names, type: string, nocase: true, values: [Alice]}\n"
	    "rules:\n"
	    RULE("D", "{url.original: {in_list: bad}}")
	    RULE("I", "{destination.ip: {in_list: ips}}")
	    RULE("S", "{user.name: {in_list: names}}")
	    RULE("R", "{source.ip: {role: [mail_servers, proxies]}}")
	    RULE("RN", "{source.ip: {role: mail_servers, not: true}}"));

	assert_int_equal(m1(rs, "D", "url.original", "example.com"), 1);
	assert_int_equal(m1(rs, "D", "url.original", "www.Example.COM"), 1);
	assert_int_equal(m1(rs, "D", "url.original", "a.b.example.com."), 1);
	assert_int_equal(m1(rs, "D", "url.original", "notexample.com"), 0);
	assert_int_equal(m1(rs, "D", "url.original", "example.com.au"), 0);
	assert_int_equal(m1(rs, "D", "url.original", "x.evil.net"), 1);
	assert_int_equal(m1(rs, "D", "url.original", "evil.net"), 1);
	assert_int_equal(m1(rs, "I", "user.name", "x"), 1);
	assert_int_equal(m1(rs, "S", "user.name", "ALICE"), 1);
	assert_int_equal(m1(rs, "S", "user.name", "alic"), 0);
	/* Roles come from the configuration: empty until set. */
	assert_int_equal(m1(rs, "R", "user.name", "x"), 0);
	assert_int_equal(m1(rs, "RN", "user.name", "x"), 1);
	tu_role(rs, ROLE_PROXIES, "10.1.2.3/32");
	assert_int_equal(m1(rs, "R", "user.name", "x"), 1);
	tu_role(rs, ROLE_MAIL_SERVERS, "10.1.0.0/16");
	assert_int_equal(m1(rs, "RN", "user.name", "x"), 0);
	assert_true(rule_list_has(ruleset_list(rs, "bad"), "EVIL.net", 8,
	    NULL));
	ruleset_free(rs);
}

static void
test_pcre2_limit(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    RULE("BAD", "{url.original: {regex: '(a|aa)+$'}}")
	    RULE("OK", "{url.original: {contains: aaa}}"));
	struct tu_alerts a;
	struct tu_rec	 tr;
	char		 line[4096];

	memset(line, 'a', 4000);
	line[4000] = 'b';
	line[4001] = '\0';
	memset(&a, 0, sizeof a);
	/* The prefilter would rule the line out first: evaluate in full. */
	rs->no_prefilter = true;
	tu_rec_start(&tr, "proxy.squid", 0);
	tu_set(&tr, "url.original", line);
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	/* Counted and reported, not a silent no-match; others go on. */
	assert_true(ruleset_find(rs, "BAD")->limit_hits > 0);
	assert_true(rs->limit_hits > 0);
	assert_int_equal(tu_count(&a, "BAD"), 0);
	assert_int_equal(tu_count(&a, "OK"), 1);
	ruleset_free(rs);
}

static void
test_load_errors(void **state)
{
	char	*c;

	c = tu_load_error("rules:\n" RULE("A", "{no.such: 1}"));
	assert_non_null(strstr(c, "test.yml:2:"));
	assert_non_null(strstr(c, "unknown event field 'no.such'"));
	free(c);
	c = tu_load_error("rules:\n" RULE("A", "{url.original: {regex: '('}}"));
	assert_non_null(strstr(c, "bad regex"));
	free(c);
	c = tu_load_error("rules:\n" RULE("A", "{url.original: {in_list: x}}"));
	assert_non_null(strstr(c, "unknown list 'x'"));
	free(c);
	c = tu_load_error("rules:\n" RULE("A", "{user.name: a}")
	    RULE("A", "{user.name: b}"));
	assert_non_null(strstr(c, "duplicate rule id 'A'"));
	free(c);
	c = tu_load_error("rules:\n" RULE("A", "{source.ip: {role: admins}}"));
	assert_non_null(strstr(c, "unknown network role"));
	free(c);
	c = tu_load_error("exceptions:\n  - {match: {user.name: a}}\n");
	assert_non_null(strstr(c, "needs a 'reason'"));
	free(c);
	c = tu_load_error("rules:\n  - {id: A, title: t, category: beacon, "
	    "severity: low, detector: nosuch}\n");
	assert_non_null(strstr(c, "unknown detector 'nosuch'"));
	free(c);
	c = tu_load_error("rules:\n  - {id: A, title: t, category: beacon, "
	    "severity: low, detector: beacon, params: {threshold: 2}}\n");
	assert_non_null(strstr(c, "'threshold' is a number from 0 to 1"));
	free(c);
	c = tu_load_error("rules:\n  - {id: A, title: t, category: beacon, "
	    "severity: low, correlation: {type: count, group_by: [a.b], "
	    "window: 1m, threshold: 2}, match: {user.name: x}}\n");
	assert_non_null(strstr(c, "unknown event field 'a.b'"));
	free(c);
	c = tu_load_error("rules:\n  - {id: A, title: t, category: beacon, "
	    "severity: low, correlation: {type: sequence, rules: [B], "
	    "group_by: user.name, window: 1m}}\n");
	assert_non_null(strstr(c, "2 to 8 'rules'"));
	free(c);
	c = tu_load_error("rules:\n" RULE("A", "{user.name: {all: [x]}}"));
	free(c);
	c = tu_load_error("rules:\n  - {id: A, title: t, category: beacon, "
	    "severity: low, match: {user.name: x}, suppress: {limit: 2}}\n");
	assert_non_null(strstr(c, "needs a 'window'"));
	free(c);
}

static void
test_exceptions(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    RULE("A", "{user.name: {exists: true}}")
	    RULE("B", "{user.name: {exists: true}}")
	    "exceptions:\n"
	    "  - reason: known scanner of the security team\n"
	    "    match: {source.ip: {cidr: 10.1.2.3/32}}\n"
	    "  - reason: pentest window for rule B\n"
	    "    rules: [B]\n"
	    "    from: 2026-11-21T09:00:00+09:00\n"
	    "    until: 2026-11-21T18:00:00+09:00\n"
	    "    match: {user.name: pentester}\n");
	struct tu_alerts a;
	struct tu_rec	 tr;
	int64_t		 t0;

	assert_int_equal(rule_parse_time("2026-11-21T09:00:00+09:00", &t0), 0);
	memset(&a, 0, sizeof a);
	/* Global: the known scanner never reaches any rule. */
	tu_rec_start(&tr, "proxy.squid", t0);
	tu_set(&tr, "user.name", "bob");
	tu_set(&tr, "source.ip", "10.1.2.3");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(a.n, 0);
	/* Per rule, inside its window: only B is excepted. */
	tu_rec_start(&tr, "proxy.squid", t0 + 3600 * TU_SEC);
	tu_set(&tr, "user.name", "pentester");
	tu_set(&tr, "source.ip", "10.1.2.4");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "A"), 1);
	assert_int_equal(tu_count(&a, "B"), 0);
	/* Expired at 18:00 (event time): B fires again. */
	tu_rec_start(&tr, "proxy.squid", t0 + 9 * 3600 * TU_SEC);
	tu_set(&tr, "user.name", "pentester");
	tu_set(&tr, "source.ip", "10.1.2.4");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "B"), 1);
	/* Before its start too. */
	tu_rec_start(&tr, "proxy.squid", t0 - TU_SEC);
	tu_set(&tr, "user.name", "pentester");
	tu_set(&tr, "source.ip", "10.1.2.4");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	assert_int_equal(tu_count(&a, "B"), 2);
	/* The scanner's event and the pentester's in the window. */
	assert_int_equal(ruleset_find(rs, "B")->excepted, 2);
	ruleset_free(rs);
}

static void
test_suppress(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    "  - id: S\n    title: t\n    category: malware\n"
	    "    severity: low\n    match: {user.name: {exists: true}}\n"
	    "    suppress: {group_by: user.name, window: 1h, limit: 2}\n");
	struct tu_alerts a;
	struct tu_rec	 tr;
	const char	*users[] = { "u1", "u1", "u1", "u2", "u1" };
	const int64_t	 at[] = { 0, 10, 20, 30, 3601 };
	size_t		 i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < 5; i++) {
		tu_rec_start(&tr, "proxy.squid", at[i] * TU_SEC);
		tu_set(&tr, "user.name", users[i]);
		detect_event(rs, tu_rec_done(&tr), tu_alert_cb, &a);
	}
	/* u1: two per hour (the third held back), u2 apart; then a new hour. */
	assert_int_equal(tu_count(&a, "S"), 4);
	assert_int_equal(ruleset_find(rs, "S")->suppressed, 1);
	ruleset_free(rs);
}

static void
test_durations(void **state)
{
	int64_t	t;

	assert_int_equal(rule_parse_duration("90"), 90 * TU_SEC);
	assert_int_equal(rule_parse_duration("30s"), 30 * TU_SEC);
	assert_int_equal(rule_parse_duration("10m"), 600 * TU_SEC);
	assert_int_equal(rule_parse_duration("2h"), 7200 * TU_SEC);
	assert_int_equal(rule_parse_duration("1d"), 86400 * TU_SEC);
	assert_int_equal(rule_parse_duration("1w"), -1);
	assert_int_equal(rule_parse_duration("m"), -1);
	assert_int_equal(rule_parse_time("1970-01-02", &t), 0);
	assert_int_equal(t, 86400 * TU_SEC);
	assert_int_equal(rule_parse_time("1970-01-01T09:00:00+09:00", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(rule_parse_time("1970-01-01T00:01Z", &t), 0);
	assert_int_equal(t, 60 * TU_SEC);
	assert_int_equal(rule_parse_time("1970-13-01", &t), -1);
	assert_int_equal(rule_parse_time("1970-01-01X", &t), -1);
}

/* The rule ids matched, with the prefilter on or off, as one string. */
static void
matched_ids(struct ruleset *rs, const struct record *rec, bool prefilter,
    char *out, size_t size)
{
	size_t	i, off = 0;

	out[0] = '\0';
	rs->no_prefilter = !prefilter;
	for (i = 0; i < rs->n; i++)
		rs->v[i]->matches = 0;
	(void)ruleset_match(rs, rec, NULL, NULL);
	for (i = 0; i < rs->n && off < size; i++)
		if (rs->v[i]->matches > 0)
			off += (size_t)snprintf(out + off, size - off, "%s ",
			    rs->v[i]->id);
	rs->no_prefilter = false;
}

/* Parse line with parser p and compare prefiltered and full matching. */
static void
same_both_ways(struct ruleset *rs, const struct parser *p, const char *line,
    size_t *checked, size_t *hits)
{
	struct parser_opts	 po;
	struct record		 rec;
	void			*st;
	char			 a[4096], b[4096];

	memset(&po, 0, sizeof po);
	st = p->state_new(&po);
	record_reset(&rec);
	if (p->parse(st, line, strlen(line), &rec) == 1) {
		if (!record_has(&rec, RF_EVENT_DATASET))
			record_set(&rec, RF_EVENT_DATASET, p->dataset,
			    strlen(p->dataset));
		record_finish(&rec, &rs->roles[ROLE_INTERNAL]);
		matched_ids(rs, &rec, true, a, sizeof a);
		matched_ids(rs, &rec, false, b, sizeof b);
		if (strcmp(a, b) != 0)
			fprintf(stderr, "prefilter differs on %s\n  with: %s\n"
			    "  without: %s\n", line, a, b);
		assert_string_equal(a, b);
		(*checked)++;
		if (a[0] != '\0')
			(*hits)++;
	}
	p->state_free(st);
}

static void
test_prefilter_sound(void **state)
{
	const char	*top = getenv("top_srcdir");
	char		*dir, *cause, line[8192];
	struct ruleset	*rs;
	size_t		 i, j, k, checked = 0, hits = 0;

	if (top == NULL)
		top = ".";
	if (asprintf(&dir, "%s/rules", top) == -1)
		abort();
	rs = ruleset_load(&dir, 1, &cause);
	if (rs == NULL)
		fprintf(stderr, "%s\n", cause);
	assert_non_null(rs);
	tu_role(rs, ROLE_INTERNAL, "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16");
	for (i = 0; i < rs->n; i++) {
		for (j = 0; j < rs->v[i]->nsamples; j++) {
			struct rule_sample	*s = &rs->v[i]->samples[j];
			const struct parser	*p = parser_lookup(s->parser);
			size_t			 n = strlen(s->line);

			assert_non_null(p);
			same_both_ways(rs, p, s->line, &checked, &hits);
			/* Mutations: case, a non-ASCII byte, a cut. */
			if (n >= sizeof line)
				continue;
			for (k = 0; k <= n; k++)
				line[k] = (char)(k % 3 == 0 ?
				    toupper((unsigned char)s->line[k]) :
				    s->line[k]);
			same_both_ways(rs, p, line, &checked, &hits);
			memcpy(line, s->line, n + 1);
			if (n > 60)
				line[n - 20] = (char)0xe9;
			same_both_ways(rs, p, line, &checked, &hits);
			memcpy(line, s->line, n + 1);
			line[n / 2] = '\0';
			same_both_ways(rs, p, line, &checked, &hits);
		}
	}
	assert_true(checked > 300);
	assert_true(hits > 100);
	ruleset_free(rs);
	free(dir);
}

/* The ids matched by a proxy record with url.original and url.path set. */
static void
split_ids(struct ruleset *rs, const char *url, const char *path,
    const char *want)
{
	struct tu_rec		 tr;
	const struct record	*rec;
	char			 a[1024], b[1024];

	tu_rec_start(&tr, "proxy.squid", 1000 * TU_SEC);
	tu_set(&tr, "url.original", url);
	tu_set(&tr, "url.path", path);
	rec = tu_rec_done(&tr);
	matched_ids(rs, rec, true, a, sizeof a);
	matched_ids(rs, rec, false, b, sizeof b);
	if (strcmp(a, want) != 0 || strcmp(b, want) != 0)
		fprintf(stderr, "%s: with %s, without %s, want %s\n", url, a,
		    b, want);
	assert_string_equal(a, want);
	assert_string_equal(b, want);
}

/*
 * The prefilter's split of a field: startswith and endswith compared
 * directly, patterns whose every alternative starts with ^ in a database
 * of their own, floating ones in another, and an equals preferred to a
 * pattern when a rule has both.
 */
static void
test_prefilter_split(void **state)
{
	struct ruleset	*rs = tu_load("rules:\n"
	    RULE("SW", "{url.original: {startswith: 'Stratum+', nocase: true}}")
	    RULE("SWC", "{url.original: {startswith: 'ftp:'}}")
	    RULE("EW", "{url.original: {endswith: .EXE, nocase: true}}")
	    RULE("AN", "{url.original: "
	    "{regex: '^http://[0-9.]+/|^https://[a|]'}}")
	    RULE("NA", "{url.original: {regex: '(?:x|^y)z'}}")
	    RULE("CL", "{url.original: {regex: '^[|]q|kk'}}")
	    RULE("FL", "{url.original: {regex: 'passwd$'}}")
	    RULE("EQ", "{url.path: [/ca, /pixel.gif], "
	    "url.original: {regex: '^http://[^/?]+/[^/?]+$'}}"));

	split_ids(rs, "STRATUM+tcp://pool:3333", "", "SW ");
	split_ids(rs, "xstratum+tcp://pool", "", "");
	split_ids(rs, "ftp://a/b", "/b", "SWC ");
	split_ids(rs, "FTP://a/b", "/b", "");
	split_ids(rs, "http://a/setup.exe", "/setup.exe", "EW ");
	split_ids(rs, "http://a/setup.Exe?x", "/setup.Exe", "");
	split_ids(rs, "http://10.1.2.3/x", "/x", "AN ");
	split_ids(rs, "https://|b/", "/", "AN ");
	split_ids(rs, "see http://10.1.2.3/x", "/x", "");
	split_ids(rs, "yz", "", "NA ");
	split_ids(rs, "ayz", "", "");
	split_ids(rs, "axz", "", "NA ");
	split_ids(rs, "|q", "", "CL ");
	split_ids(rs, "a|q", "", "");
	split_ids(rs, "akk", "", "CL ");
	split_ids(rs, "/etc/passwd", "/etc/passwd", "FL ");
	split_ids(rs, "http://c2.example/pixel.gif", "/pixel.gif", "EQ ");
	split_ids(rs, "http://c2.example/a/pixel.gif", "/a/pixel.gif", "");
	split_ids(rs, "http://c2.example/ca?x", "/ca", "");
	ruleset_free(rs);
}

/* The shipped file of the override tests: a count, its input, a plain. */
static const char ovr_shipped[] = "rules:\n"
    "  - id: IN\n    title: t\n    category: malware\n    severity: low\n"
    "    alert: false\n    match: {user.name: {exists: true}}\n"
    "  - id: C\n    title: t\n    category: malware\n    severity: low\n"
    "    match: {user.name: {exists: true}}\n"
    "    correlation: {type: count, group_by: user.name, window: 60s, "
    "threshold: 3}\n"
    "  - id: SEQ\n    title: t\n    category: malware\n    severity: low\n"
    "    correlation: {type: sequence, rules: [IN, C], group_by: "
    "user.name, window: 60s}\n"
    RULE("P", "{user.name: {exists: true}}")
    RULE("Q", "{user.name: {exists: true}}")
    "  - {id: B, title: t, category: beacon, severity: low, "
    "detector: beacon, params: {threshold: 0.8}}\n";

/* Write text to dir/name; returns the malloc'd path. */
static char *
ovr_file(const char *dir, const char *name, const char *text)
{
	char	*path;
	FILE	*f;

	assert_true(asprintf(&path, "%s/%s", dir, name) != -1);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Load the shipped file then a rules.d file holding text; NULL on error. */
static struct ruleset *
ovr_load(const char *text, char **cause)
{
	char		 tmpl[] = "/tmp/keibi-ovr.XXXXXX", *paths[2];
	struct ruleset	*rs;

	assert_non_null(mkdtemp(tmpl));
	paths[0] = ovr_file(tmpl, "shipped.yml", ovr_shipped);
	paths[1] = ovr_file(tmpl, "local.yml", text);
	*cause = NULL;
	rs = ruleset_load(paths, 2, cause);
	assert_int_equal(unlink(paths[0]), 0);
	assert_int_equal(unlink(paths[1]), 0);
	assert_int_equal(rmdir(tmpl), 0);
	free(paths[0]);
	free(paths[1]);
	return rs;
}

static void
ovr_ev(struct ruleset *rs, struct tu_alerts *a, const char *user, int64_t t)
{
	struct tu_rec	tr;

	tu_rec_start(&tr, "proxy.squid", t);
	tu_set(&tr, "user.name", user);
	tu_set(&tr, "source.ip", "10.1.2.3");
	detect_event(rs, tu_rec_done(&tr), tu_alert_cb, a);
}

static void
test_overrides(void **state)
{
	struct ruleset	*rs;
	struct tu_alerts a;
	char		*cause;

	rs = ovr_load("overrides:\n"
	    "  - id: C\n    threshold: 2\n    window: 10m\n"
	    "    severity: critical\n    group_by: [source.ip]\n"
	    "  - id: P\n    enabled: false\n"
	    "  - id: Q\n    exceptions:\n"
	    "      - reason: the build robot\n"
	    "        match: {user.name: robot}\n"
	    "  - id: B\n    threshold: 0.6\n    params: {min_connections: 6}\n"
	    "exceptions:\n  - reason: P is off, naming it is still fine\n"
	    "    rules: [P]\n    match: {user.name: nobody}\n", &cause);
	if (rs == NULL)
		fail_msg("%s", cause);
	assert_null(ruleset_find(rs, "P"));
	assert_string_equal(ruleset_find(rs, "C")->severity, "critical");
	assert_int_equal(ruleset_find(rs, "C")->corr.threshold, 2);
	assert_int_equal(ruleset_find(rs, "C")->corr.window_us, 600 * TU_SEC);
	assert_int_equal(ruleset_find(rs, "C")->corr.group_by[0],
	    RF_SOURCE_IP);
	assert_string_equal(rule_param(ruleset_find(rs, "B"),
	    "threshold")->value, "0.6");
	assert_string_equal(rule_param(ruleset_find(rs, "B"),
	    "min_connections")->value, "6");
	memset(&a, 0, sizeof a);
	/* Two users from one address, 5 minutes apart: C now fires on 2. */
	ovr_ev(rs, &a, "robot", 0);
	ovr_ev(rs, &a, "alice", 300 * TU_SEC);
	assert_int_equal(tu_count(&a, "C"), 1);
	assert_int_equal(tu_count(&a, "P"), 0);
	/* The per-rule exception holds back Q for the robot only. */
	assert_int_equal(tu_count(&a, "Q"), 1);
	assert_int_equal(ruleset_find(rs, "Q")->excepted, 1);
	ruleset_free(rs);

	/* A later override wins; enabled: true turns a rule back on. */
	rs = ovr_load("overrides:\n  - {id: P, enabled: false}\n"
	    "  - {id: C, threshold: 5}\n  - {id: C, threshold: 7}\n"
	    "  - {id: P, enabled: true}\n", &cause);
	if (rs == NULL)
		fail_msg("%s", cause);
	assert_non_null(ruleset_find(rs, "P"));
	assert_int_equal(ruleset_find(rs, "C")->corr.threshold, 7);
	assert_ptr_equal(rs->v[ruleset_find(rs, "P")->index],
	    ruleset_find(rs, "P"));
	ruleset_free(rs);
}

static void
test_override_errors(void **state)
{
	char	*cause;

	assert_null(ovr_load("overrides:\n  - id: NOPE\n    severity: low\n"
	    "  - id: C\n    treshold: 2\n", &cause));
	assert_non_null(strstr(cause, "local.yml:2:"));
	assert_non_null(strstr(cause, "override names no rule: 'NOPE'"));
	assert_non_null(strstr(cause, "local.yml:5:"));
	assert_non_null(strstr(cause, "unknown override key 'treshold'"));
	free(cause);
	assert_null(ovr_load("overrides:\n  - id: P\n    threshold: 2\n",
	    &cause));
	assert_non_null(strstr(cause, "local.yml:3:"));
	assert_non_null(strstr(cause, "plain match has no 'threshold'"));
	free(cause);
	assert_null(ovr_load("overrides:\n  - {id: C, threshold: 0}\n"
	    "  - {id: C, severity: urgent}\n  - {id: C, window: 0s}\n"
	    "  - {id: P, group_by: [source.ip]}\n", &cause));
	assert_non_null(strstr(cause, "local.yml:2:"));
	assert_non_null(strstr(cause, "integer from 1 to 100000"));
	assert_non_null(strstr(cause, "local.yml:3:"));
	assert_non_null(strstr(cause, "unknown severity 'urgent'"));
	assert_non_null(strstr(cause, "local.yml:4:"));
	assert_non_null(strstr(cause, "local.yml:5:"));
	assert_non_null(strstr(cause, "only a correlation has a 'group_by'"));
	free(cause);
	/* The detector checks its own parameters again. */
	assert_null(ovr_load("overrides:\n  - id: B\n    threshold: 3\n",
	    &cause));
	assert_non_null(strstr(cause, "local.yml:2:"));
	assert_non_null(strstr(cause, "'threshold' is a number from 0 to 1"));
	free(cause);
	/* A correlation must not go blind because its input was turned off. */
	assert_null(ovr_load("overrides:\n  - {id: IN, enabled: false}\n",
	    &cause));
	assert_non_null(strstr(cause, "local.yml:2:"));
	assert_non_null(strstr(cause, "still feeds the correlation 'SEQ'"));
	free(cause);
	assert_null(ovr_load("overrides:\n  - id: Q\n    exceptions:\n"
	    "      - {reason: r, rules: [P], match: {user.name: x}}\n",
	    &cause));
	assert_non_null(strstr(cause, "local.yml:4:"));
	free(cause);
}

/* Reload: state is kept only for rules whose text and overrides match. */
static void
test_override_reload(void **state)
{
	const char	*o2 = "overrides:\n  - {id: C, threshold: 2}\n";
	struct ruleset	*old, *same, *changed;
	struct tu_alerts a;
	char		*cause;

	old = ovr_load(o2, &cause);
	same = ovr_load(o2, &cause);
	changed = ovr_load("overrides:\n  - {id: C, threshold: 3}\n", &cause);
	assert_non_null(old);
	assert_non_null(same);
	assert_non_null(changed);
	assert_int_equal(ruleset_find(old, "C")->fingerprint,
	    ruleset_find(same, "C")->fingerprint);
	assert_int_not_equal(ruleset_find(old, "C")->fingerprint,
	    ruleset_find(changed, "C")->fingerprint);
	/* A rule no override touches keeps its fingerprint. */
	assert_int_equal(ruleset_find(old, "Q")->fingerprint,
	    ruleset_find(changed, "Q")->fingerprint);
	memset(&a, 0, sizeof a);
	ovr_ev(old, &a, "u", 0);
	detect_adopt(same, old);
	ruleset_free(old);
	ovr_ev(same, &a, "u", TU_SEC);
	assert_int_equal(tu_count(&a, "C"), 1);	/* the one before counts */
	ovr_ev(same, &a, "v", 10 * TU_SEC);
	ovr_ev(same, &a, "v", 11 * TU_SEC);
	assert_int_equal(tu_count(&a, "C"), 2);
	ovr_ev(same, &a, "w", 20 * TU_SEC);
	detect_adopt(changed, same);
	ruleset_free(same);
	/* Threshold 3 now, and the event of w before the reload is gone. */
	ovr_ev(changed, &a, "w", 22 * TU_SEC);
	ovr_ev(changed, &a, "w", 23 * TU_SEC);
	assert_int_equal(tu_count(&a, "C"), 2);
	ovr_ev(changed, &a, "w", 24 * TU_SEC);
	assert_int_equal(tu_count(&a, "C"), 3);
	ruleset_free(changed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_lists_and_roles),
		cmocka_unit_test(test_pcre2_limit),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_suppress),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_prefilter_sound),
		cmocka_unit_test(test_prefilter_split),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_override_errors),
		cmocka_unit_test(test_override_reload),
	};

	log_init("test_rule", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
