/*
 * test_config.c: the configuration loader.  Every kind of error is checked
 * with its exact "file:line:column: reason", together with the values a
 * valid file yields, path resolution and the bounds against hostile files.
 * The tests never read a real /etc: they load buffers under a made-up name,
 * and the one file test writes its own temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "netaddr.h"

#define F	"/etc/keibi/keibi.yml"
#define SRC	"sources:\n" \
		"  - name: fw\n" \
		"    path: /var/log/fw.log\n" \
		"    parser: iptables\n"
#define HEAD	"state_dir: /var/lib/keibi\n" SRC	/* five lines */

/* Load text under name; the config or NULL with *cause. */
static struct config *
load_as(const char *name, const char *text, size_t len, char **cause)
{
	*cause = NULL;
	return config_load_buffer(name, text, len, cause);
}

/* Load text that must be valid. */
static struct config *
load_ok(const char *text)
{
	struct config	*conf;
	char		*cause;

	conf = load_as(F, text, strlen(text), &cause);
	if (conf == NULL)
		fail_msg("unexpected error: %s", cause);
	assert_null(cause);
	return conf;
}

/* Load text that must fail with exactly want as cause. */
static void
expect_len(const char *text, size_t len, const char *want)
{
	struct config	*conf;
	char		*cause;

	conf = load_as(F, text, len, &cause);
	assert_null(conf);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
expect(const char *text, const char *want)
{
	expect_len(text, strlen(text), want);
}

/* A growing string for generated configs. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void __attribute__((format(printf, 2, 3)))
sbuf_add(struct sbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	while (b->len + (size_t)n + 1 > b->cap) {
		b->cap = b->cap == 0 ? 4096 : b->cap * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static bool
has_addr(const struct cidr_set *set, const char *s)
{
	struct netaddr	na;

	assert_int_equal(netaddr_parse(&na, s, strlen(s)), 0);
	return cidr_set_contains(set, &na);
}

static void
test_valid_full(void **state)
{
	struct config			*conf;
	const struct source_conf	*src;

	conf = load_ok(
	    "# keibid\n"
	    "state_dir: /var/lib/keibi\n"
	    "rules: [/usr/share/keibi/rules, /etc/keibi/rules.d]\n"
	    "timezone: Asia/Tokyo\n"
	    "max_line_length: 65536\n"
	    "max_queue: 5000\n"
	    "networks:\n"
	    "  internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
	    "fd00::/8]\n"
	    "  mail_servers: [10.0.0.25]\n"
	    "  proxies: [10.0.0.3]\n"
	    "  dns_servers: [10.0.0.53, '2001:db8::53']\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "    path: /var/log/firewall.log\n"
	    "    parser: iptables\n"
	    "    timezone: +09:00\n"
	    "    start_at: end\n"
	    "  - name: proxy.main\n"
	    "    path: /var/log/squid/access.log\n"
	    "    parser: auto\n"
	    "evidence:\n"
	    "  dir: /srv/evidence\n"
	    "outputs:\n"
	    "  - type: jsonl\n"
	    "    path: /var/lib/keibi/alerts.jsonl\n");
	assert_string_equal(conf->file, F);
	assert_string_equal(conf->state_dir, "/var/lib/keibi");
	assert_int_equal(conf->nrules, 2);
	assert_string_equal(conf->rules[0], "/usr/share/keibi/rules");
	assert_string_equal(conf->rules[1], "/etc/keibi/rules.d");
	assert_string_equal(conf->timezone, "Asia/Tokyo");
	assert_int_equal(conf->max_line, 65536);
	assert_int_equal(conf->max_queue, 5000);

	assert_int_equal(conf->internal.n, 4);
	assert_true(has_addr(&conf->internal, "10.1.2.3"));
	assert_true(has_addr(&conf->internal, "172.31.255.255"));
	assert_false(has_addr(&conf->internal, "172.32.0.1"));
	assert_true(has_addr(&conf->internal, "fd12:3456::1"));
	assert_false(has_addr(&conf->internal, "fe80::1"));
	assert_int_equal(conf->mail_servers.n, 1);
	assert_true(has_addr(&conf->mail_servers, "10.0.0.25"));
	assert_false(has_addr(&conf->mail_servers, "10.0.0.26"));
	assert_true(has_addr(&conf->proxies, "10.0.0.3"));
	assert_int_equal(conf->dns_servers.n, 2);
	assert_true(has_addr(&conf->dns_servers, "2001:db8::53"));

	assert_int_equal(conf->nsources, 2);
	src = &conf->sources[0];
	assert_string_equal(src->name, "fw");
	assert_string_equal(src->path, "/var/log/firewall.log");
	assert_string_equal(src->parser, "iptables");
	assert_string_equal(src->timezone, "+09:00");
	assert_int_equal(src->start_at, START_END);
	assert_int_equal(src->line, 13);
	src = &conf->sources[1];
	assert_string_equal(src->name, "proxy.main");
	assert_string_equal(src->parser, "auto");
	assert_null(src->timezone);
	assert_int_equal(src->start_at, START_BEGINNING);
	assert_int_equal(src->line, 18);

	assert_ptr_equal(config_source(conf, "proxy.main"), &conf->sources[1]);
	assert_ptr_equal(config_source(conf, "fw"), &conf->sources[0]);
	assert_null(config_source(conf, "mail"));

	assert_string_equal(conf->evidence_dir, "/srv/evidence");
	assert_int_equal(conf->noutputs, 1);
	assert_string_equal(conf->outputs[0].type, "jsonl");
	assert_string_equal(conf->outputs[0].path,
	    "/var/lib/keibi/alerts.jsonl");
	assert_int_equal(conf->outputs[0].line, 24);
	config_free(conf);
}

static void
test_defaults(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD);
	assert_string_equal(conf->timezone, "UTC");
	assert_int_equal(conf->max_line, CONFIG_MAX_LINE_DEFAULT);
	assert_int_equal(conf->max_queue, CONFIG_MAX_QUEUE_DEFAULT);
	assert_string_equal(conf->evidence_dir, "/var/lib/keibi/evidence");
	assert_int_equal(conf->nrules, 0);
	assert_int_equal(conf->noutputs, 0);
	assert_int_equal(conf->internal.n, 0);
	assert_int_equal(conf->nsources, 1);
	assert_int_equal(conf->sources[0].start_at, START_BEGINNING);
	config_free(conf);

	/* Empty lists and empty values where nothing is allowed. */
	conf = load_ok(HEAD "outputs: []\nnetworks:\n  internal:\n"
	    "  proxies: []\nrules: []\n");
	assert_int_equal(conf->noutputs, 0);
	assert_int_equal(conf->internal.n, 0);
	assert_int_equal(conf->nrules, 0);
	config_free(conf);
}

static void
test_relative_paths(void **state)
{
	struct config	*conf;

	conf = load_ok(
	    "state_dir: state\n"
	    "rules: [rules.d, ./local/, /usr/share/keibi/rules, .]\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "    path: ./logs/fw.log\n"
	    "    parser: iptables\n"
	    "  - name: abs\n"
	    "    path: /var/log/abs.log\n"
	    "    parser: auto\n"
	    "evidence: {dir: ../evidence}\n"
	    "outputs:\n"
	    "  - {type: jsonl, path: out/alerts.jsonl}\n");
	assert_string_equal(conf->state_dir, "/etc/keibi/state");
	assert_int_equal(conf->nrules, 4);
	assert_string_equal(conf->rules[0], "/etc/keibi/rules.d");
	assert_string_equal(conf->rules[1], "/etc/keibi/local/");
	assert_string_equal(conf->rules[2], "/usr/share/keibi/rules");
	assert_string_equal(conf->rules[3], "/etc/keibi");
	assert_string_equal(conf->sources[0].path, "/etc/keibi/logs/fw.log");
	assert_string_equal(conf->sources[1].path, "/var/log/abs.log");
	assert_string_equal(conf->evidence_dir, "/etc/keibi/../evidence");
	assert_string_equal(conf->outputs[0].path,
	    "/etc/keibi/out/alerts.jsonl");
	config_free(conf);
}

static void
test_relative_config_name(void **state)
{
	static const char	 text[] = "state_dir: st\n" SRC;
	struct config		*conf;
	char			 cwd[4096], want[4200], *cause;

	assert_non_null(getcwd(cwd, sizeof cwd));

	/* A relative config name resolves against the working folder. */
	conf = load_as("conf/keibi.yml", text, strlen(text), &cause);
	assert_non_null(conf);
	snprintf(want, sizeof want, "%s/conf/st", cwd);
	assert_string_equal(conf->state_dir, want);
	config_free(conf);

	conf = load_as("./keibi.yml", text, strlen(text), &cause);
	assert_non_null(conf);
	snprintf(want, sizeof want, "%s/st", cwd);
	assert_string_equal(conf->state_dir, want);
	config_free(conf);

	conf = load_as("keibi.yml", text, strlen(text), &cause);
	assert_non_null(conf);
	assert_string_equal(conf->state_dir, want);
	config_free(conf);

	/* A file in / keeps a single slash. */
	conf = load_as("/keibi.yml", text, strlen(text), &cause);
	assert_non_null(conf);
	assert_string_equal(conf->state_dir, "/st");
	config_free(conf);
}

static void
test_rules_string(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD "rules: /etc/keibi/rules.d\n");
	assert_int_equal(conf->nrules, 1);
	assert_string_equal(conf->rules[0], "/etc/keibi/rules.d");
	config_free(conf);

	expect(HEAD "rules: {a: b}\n",
	    F ":6:8: rules must be a path or a list of paths, not a mapping");
	expect(HEAD "rules: [a, [b]]\n",
	    F ":6:12: rules entry must be a path, not a list");
	expect(HEAD "rules:\n",
	    F ":6:7: rules must not be empty");
}

static void
test_ipv6_networks(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD
	    "networks:\n"
	    "  internal:\n"
	    "    - 2001:db8::/32\n"
	    "    - fd00::/8\n"
	    "    - ::1\n"
	    "    - 10.0.0.0/8\n"
	    "  proxies: 2001:db8:1::3\n");
	assert_int_equal(conf->internal.n, 4);
	assert_true(has_addr(&conf->internal, "2001:db8:ffff::1"));
	assert_false(has_addr(&conf->internal, "2001:db9::1"));
	assert_true(has_addr(&conf->internal, "::1"));
	assert_false(has_addr(&conf->internal, "::2"));
	assert_true(has_addr(&conf->internal, "fdff::1"));
	assert_int_equal(conf->proxies.n, 1);
	assert_true(has_addr(&conf->proxies, "2001:db8:1::3"));
	config_free(conf);

	expect(HEAD "networks:\n  internal: [fd00::/129, 'fe80::1/64x']\n",
	    F ":7:14: bad network 'fd00::/129' in internal: prefix length "
	    "too long for the address family\n"
	    F ":7:26: bad network 'fe80::1/64x' in internal: prefix length "
	    "is not a number");
}

static void
test_bad_cidr(void **state)
{
	expect(HEAD
	    "networks:\n"
	    "  internal: [10.0.0.0/8, 10.0.0.0/33]\n"
	    "  mail_servers: [mail.example.org]\n"
	    "  dns_servers: [10.0.0.53/]\n"
	    "  proxies: {a: 1}\n",
	    F ":7:26: bad network '10.0.0.0/33' in internal: prefix length "
	    "too long for the address family\n"
	    F ":8:18: bad network 'mail.example.org' in mail_servers: not an "
	    "IPv4 or IPv6 address\n"
	    F ":9:17: bad network '10.0.0.53/' in dns_servers: missing prefix "
	    "length after '/'\n"
	    F ":10:12: proxies must be a list of networks, not a mapping");
}

static void
test_unknown_keys(void **state)
{
	/* Within two edits, including a transposition. */
	expect("sate_dir: /x\n" HEAD,
	    F ":1:1: unknown key 'sate_dir'; did you mean 'state_dir'?");
	expect(HEAD "timzeone: UTC\n",
	    F ":6:1: unknown key 'timzeone'; did you mean 'timezone'?");
	expect(HEAD "Rules: [a]\n",
	    F ":6:1: unknown key 'Rules'; did you mean 'rules'?");
	/* A prefix either way. */
	expect(HEAD "max_line: 1000\n",
	    F ":6:1: unknown key 'max_line'; did you mean 'max_line_length'?");
	expect(HEAD "evidence_directory: /x\n",
	    F ":6:1: unknown key 'evidence_directory'; did you mean "
	    "'evidence'?");
	/* Nothing close. */
	expect(HEAD "frobnicate: 1\n",
	    F ":6:1: unknown key 'frobnicate'");
	/* Nested mappings name themselves. */
	expect(HEAD "networks:\n  internl: [10.0.0.0/8]\n  xyzzy: 1\n",
	    F ":7:3: unknown key 'internl' in networks; did you mean "
	    "'internal'?\n"
	    F ":8:3: unknown key 'xyzzy' in networks");
	expect(HEAD "evidence:\n  dri: /x\n",
	    F ":7:3: unknown key 'dri' in evidence; did you mean 'dir'?");
	expect("state_dir: /x\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "    path: /a\n"
	    "    parser: auto\n"
	    "    startat: end\n",
	    F ":6:5: unknown key 'startat' in source; did you mean "
	    "'start_at'?");
	expect(HEAD "outputs:\n  - type: jsonl\n    path: /a\n    pth: /b\n",
	    F ":9:5: unknown key 'pth' in output; did you mean 'path'?");
	/* Hostile key text is escaped. */
	expect(HEAD "\"a\\tb\\x01\": 1\n",
	    F ":6:1: unknown key 'a\\tb\\x01'");
	/* A key that is not a string. */
	expect(HEAD "[a, b]: 1\n",
	    F ":6:1: keys must be strings, not a list");
}

static void
test_wrong_types(void **state)
{
	expect(HEAD "networks: [10.0.0.0/8]\n",
	    F ":6:11: networks must be a mapping, not a list");
	expect(HEAD "evidence: /srv/evidence\n",
	    F ":6:11: evidence must be a mapping, not a string");
	expect(HEAD "evidence:\n",
	    F ":6:10: evidence must be a mapping, not empty");
	expect("state_dir: [/a, /b]\n" SRC,
	    F ":1:12: state_dir must be a path, not a list");
	expect("state_dir: {a: b}\n" SRC,
	    F ":1:12: state_dir must be a path, not a mapping");
	expect("state_dir: /x\nsources: {name: fw}\n",
	    F ":2:10: sources must be a list, not a mapping");
	expect("state_dir: /x\nsources: [fw]\n",
	    F ":2:11: source must be a mapping, not a string");
	expect(HEAD "outputs: {type: jsonl}\n",
	    F ":6:10: outputs must be a list, not a mapping");
	expect(HEAD "outputs: [jsonl]\n",
	    F ":6:11: output must be a mapping, not a string");
	expect(HEAD "timezone: [UTC]\n",
	    F ":6:11: timezone must be a time zone, not a list");
}

static void
test_numbers(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD "max_line_length: 256\nmax_queue: 1\n");
	assert_int_equal(conf->max_line, 256);
	assert_int_equal(conf->max_queue, 1);
	config_free(conf);
	conf = load_ok(HEAD "max_line_length: 16777216\n");
	assert_int_equal(conf->max_line, 16777216);
	config_free(conf);

	expect(HEAD "max_line_length: abc\n",
	    F ":6:18: max_line_length must be a whole number, not 'abc'");
	expect(HEAD "max_line_length: -1\n",
	    F ":6:18: max_line_length must be a whole number, not '-1'");
	expect(HEAD "max_line_length: 64k\n",
	    F ":6:18: max_line_length must be a whole number, not '64k'");
	expect(HEAD "max_line_length: 255\n",
	    F ":6:18: max_line_length must be from 256 to 16777216");
	expect(HEAD "max_line_length: 16777217\n",
	    F ":6:18: max_line_length must be from 256 to 16777216");
	expect(HEAD "max_line_length: 99999999999999999999999999999\n",
	    F ":6:18: max_line_length must be from 256 to 16777216");
	expect(HEAD "max_line_length: [1]\n",
	    F ":6:18: max_line_length must be a number, not a list");
	expect(HEAD "max_line_length:\n",
	    F ":6:17: max_line_length must not be empty");
	expect(HEAD "max_queue: 0\n",
	    F ":6:12: max_queue must be from 1 to 10000000");
}

static void
test_missing_required(void **state)
{
	expect("timezone: UTC\n",
	    F ":1:1: missing required key 'state_dir'\n"
	    F ":1:1: missing required key 'sources'");
	expect("state_dir: /x\nsources: []\n",
	    F ":2:10: sources must list at least one source");
	expect("state_dir: /x\nsources:\n",
	    F ":2:9: sources must list at least one source");
	expect("state_dir: /x\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "  - path: /a\n"
	    "    parser: auto\n",
	    F ":3:5: missing required key 'path' in source\n"
	    F ":3:5: missing required key 'parser' in source\n"
	    F ":4:5: missing required key 'name' in source");
	expect(HEAD "outputs:\n  - path: /a\n  - type: jsonl\n",
	    F ":7:5: missing required key 'type' in output\n"
	    F ":8:5: jsonl output needs a 'path'");
	/* A key that is present but empty is not "missing". */
	expect("state_dir:\n" SRC,
	    F ":1:11: state_dir must not be empty");
	expect("state_dir: ''\n" SRC,
	    F ":1:12: state_dir must not be empty");
}

static void
test_duplicate_sources(void **state)
{
	expect("state_dir: /x\n"
	    "sources:\n"
	    "  - {name: fw, path: /a, parser: auto}\n"
	    "  - {name: mail, path: /b, parser: auto}\n"
	    "  - name: fw\n"
	    "    path: /c\n"
	    "    parser: auto\n",
	    F ":5:11: duplicate source name 'fw' (first at line 3)");
}

static void
test_duplicate_keys(void **state)
{
	expect(HEAD "state_dir: /y\n",
	    F ":6:1: duplicate key 'state_dir' (first at line 1, column 1)");
	expect(HEAD "bogus: 1\nbogus: 2\n",
	    F ":6:1: unknown key 'bogus'\n"
	    F ":7:1: duplicate key 'bogus' (first at line 6, column 1)");
	expect("state_dir: /x\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "    path: /a\n"
	    "    parser: auto\n"
	    "    path: /b\n",
	    F ":6:5: duplicate key 'path' (first at line 4, column 5)");
	expect(HEAD "networks: {internal: [], internal: []}\n",
	    F ":6:26: duplicate key 'internal' (first at line 6, column 12)");
}

static void
test_syntax_errors(void **state)
{
	expect(HEAD "rules: [a, b\nx: 1\n",
	    F ":7:2: did not find expected ',' or ']' (while parsing a flow "
	    "sequence at line 6, column 8)");
	expect("state_dir: a: b\n",
	    F ":1:13: mapping values are not allowed in this context");
	expect("state_dir: /x\n  sources: 1\n",
	    F ":2:10: mapping values are not allowed in this context");
	expect("state_dir: \"/x\n",
	    F ":2:1: found unexpected end of stream (while scanning a quoted "
	    "scalar at line 1, column 12)");
	expect("state_dir: /x\n\tsources: []\n",
	    F ":2:1: found a tab character that violates indentation (while "
	    "scanning a plain scalar at line 1, column 12)");
	/*
	 * A file that does not parse is not checked for keys, but what was
	 * refused while reading it before the syntax error is kept.
	 */
	expect("bogus: 1\nstate_dir: [\n",
	    F ":3:1: did not find expected node content (while parsing a "
	    "flow node at line 3, column 1)");
	expect("x: *a\nstate_dir: [\n",
	    F ":1:4: aliases are not supported\n"
	    F ":3:1: did not find expected node content (while parsing a "
	    "flow node at line 3, column 1)");
}

static void
test_reader_errors(void **state)
{
	expect(HEAD "x: \xff\n",
	    F ":6:4: invalid leading UTF-8 octet (0xff)");
	expect("# \xc3\xa9t\xc3\xa9\nx: \x01\n",
	    F ":2:4: control characters are not allowed (0x1)");
}

static void
test_aliases(void **state)
{
	expect(HEAD "x: &a 1\ny: *a\n",
	    F ":6:1: unknown key 'x'\n"
	    F ":6:4: anchors are not supported (aliases are not supported)\n"
	    F ":7:1: unknown key 'y'\n"
	    F ":7:4: aliases are not supported");
	expect("state_dir: &d /x\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "    path: *d\n"
	    "    parser: iptables\n",
	    F ":1:12: anchors are not supported (aliases are not supported)\n"
	    F ":4:11: aliases are not supported");
	/* An alias as a key is refused once, not as a bad key too. */
	expect(HEAD "*a : 1\n",
	    F ":6:1: aliases are not supported");
}

static void
test_tags(void **state)
{
	expect(HEAD "max_queue: !!int 5\n",
	    F ":6:12: tags are not supported");
	expect(HEAD "networks: !net {}\n",
	    F ":6:11: tags are not supported");
}

static void
test_empty(void **state)
{
	expect("", F ":1:1: the configuration is empty");
	expect("# nothing here\n\n", F ":1:1: the configuration is empty");
	expect("---\n", F ":1:1: the configuration is empty");
	expect("~\n", F ":1:1: the configuration is empty");
	expect("{}\n",
	    F ":1:1: missing required key 'state_dir'\n"
	    F ":1:1: missing required key 'sources'");
}

static void
test_not_mapping(void **state)
{
	expect("- a\n- b\n",
	    F ":1:1: the configuration must be a mapping of keys, not a list");
	expect("hello\n",
	    F ":1:1: the configuration must be a mapping of keys, not a "
	    "string");
}

static void
test_two_documents(void **state)
{
	expect(HEAD "---\nstate_dir: /y\n",
	    F ":6:1: only one YAML document is allowed");
}

static void
test_all_errors_in_order(void **state)
{
	/* Found in several passes; reported by position. */
	expect("statedir: /x\n"
	    "sources:\n"
	    "  - name: fw\n"
	    "    path: /a\n"
	    "    parser: iptable\n"
	    "  - name: 'bad name'\n"
	    "    path: /b\n"
	    "    parser: squid\n"
	    "    start_at: middle\n"
	    "networks:\n"
	    "  internal: [10.0.0.0/8, 10.0.0/8]\n"
	    "max_line_length: 12\n",
	    F ":1:1: unknown key 'statedir'; did you mean 'state_dir'?\n"
	    F ":1:1: missing required key 'state_dir'\n"
	    F ":5:13: unknown parser 'iptable'; did you mean 'iptables'?\n"
	    F ":6:11: source name 'bad name' must be 1 to 64 of A-Z a-z 0-9 "
	    "_ . -\n"
	    F ":9:15: start_at must be 'beginning' or 'end', not 'middle'\n"
	    F ":11:26: bad network '10.0.0/8' in internal: not an IPv4 or "
	    "IPv6 address\n"
	    F ":12:18: max_line_length must be from 256 to 16777216");
}

static void
test_depth(void **state)
{
	struct sbuf	b = { 0 };
	int		i;

	sbuf_add(&b, HEAD "x: ");
	for (i = 0; i < 40; i++)
		sbuf_add(&b, "[");
	for (i = 0; i < 40; i++)
		sbuf_add(&b, "]");
	sbuf_add(&b, "\n");
	/*
	 * The root is level 1, the first '[' level 2: the 33rd is refused,
	 * and reading stops there (so keys are not checked).
	 */
	expect(b.p, F ":6:35: nested deeper than 32 levels");
	free(b.p);

	/* 32 levels are fine (and ignored under an unknown key). */
	b.p = NULL;
	b.len = b.cap = 0;
	sbuf_add(&b, HEAD "x: ");
	for (i = 0; i < 31; i++)
		sbuf_add(&b, "{a: ");
	sbuf_add(&b, "1");
	for (i = 0; i < 31; i++)
		sbuf_add(&b, "}");
	sbuf_add(&b, "\n");
	expect(b.p, F ":6:1: unknown key 'x'");
	free(b.p);
}

static void
test_scalar_bounds(void **state)
{
	struct sbuf	b = { 0 };
	int		i;

	sbuf_add(&b, SRC "state_dir: /");
	for (i = 0; i < 4096; i++)
		sbuf_add(&b, "a");
	sbuf_add(&b, "\n");
	expect(b.p, F ":5:12: value longer than 4096 bytes");
	free(b.p);

	/* Exactly 4096 bytes is a value (and then too long a path). */
	b.p = NULL;
	b.len = b.cap = 0;
	sbuf_add(&b, SRC "state_dir: /");
	for (i = 0; i < 4095; i++)
		sbuf_add(&b, "a");
	sbuf_add(&b, "\n");
	expect(b.p, F ":5:12: state_dir is longer than 4095 bytes once "
	    "resolved");
	free(b.p);
}

static void
test_nul_and_controls(void **state)
{
	static const char	text[] = HEAD "rules: [\"/a\\0b\"]\n";

	expect(text, F ":6:9: value contains a NUL byte");
	/* A raw NUL byte is libyaml's to refuse. */
	expect_len("state_dir: /a\0b\n", 16,
	    F ":1:14: control characters are not allowed (0x0)");
	expect("state_dir: \"/var/\\x1b[2Jlib\"\n" SRC,
	    F ":1:12: state_dir contains a control character");
}

static void
test_too_many_sources(void **state)
{
	struct sbuf	 b = { 0 };
	struct config	*conf;
	char		*cause;
	int		 i;

	sbuf_add(&b, "state_dir: /x\nsources:\n");
	for (i = 0; i < 1024; i++)
		sbuf_add(&b, "  - {name: s%d, path: /l, parser: auto}\n", i);
	conf = load_as(F, b.p, b.len, &cause);
	assert_non_null(conf);
	assert_int_equal(conf->nsources, 1024);
	assert_string_equal(conf->sources[1023].name, "s1023");
	config_free(conf);

	sbuf_add(&b, "  - {name: s1024, path: /l, parser: auto}\n");
	expect(b.p, F ":1027:5: more than 1024 sources");
	free(b.p);
}

static void
test_too_many_cidrs(void **state)
{
	struct sbuf	 b = { 0 };
	struct config	*conf;
	char		*cause;
	int		 i;

	sbuf_add(&b, HEAD "networks:\n  internal:\n");
	for (i = 0; i < 65535; i++)
		sbuf_add(&b, "  - 10.%d.%d.0/24\n", i / 256, i % 256);
	sbuf_add(&b, "  proxies: [10.0.0.3]\n");
	conf = load_as(F, b.p, b.len, &cause);
	assert_non_null(conf);
	assert_int_equal(conf->internal.n, 65535);
	assert_int_equal(conf->proxies.n, 1);
	config_free(conf);

	/* The bound counts every list. */
	sbuf_add(&b, "  dns_servers: [10.0.0.53, 10.0.0.54, 10.0.0.55]\n");
	expect(b.p, F ":65544:17: more than 65536 networks in all");
	free(b.p);
}

static void
test_too_many_errors(void **state)
{
	struct sbuf	 b = { 0 };
	char		*cause, *last;
	size_t		 lines = 0;
	int		 i;

	sbuf_add(&b, HEAD);
	for (i = 0; i < 150; i++)
		sbuf_add(&b, "bogus%d: 1\n", i);
	assert_null(load_as(F, b.p, b.len, &cause));
	for (i = 0; cause[i] != '\0'; i++)
		lines += cause[i] == '\n';
	assert_int_equal(lines, 100);
	assert_true(strncmp(cause, F ":6:1: unknown key 'bogus0'\n",
	    strlen(F ":6:1: unknown key 'bogus0'\n")) == 0);
	last = strrchr(cause, '\n');
	assert_string_equal(last, "\n" F ": too many errors, stopped");
	free(cause);
	free(b.p);
}

static void
test_source_names(void **state)
{
	struct config	*conf;
	char		 name[80];

	conf = load_ok("state_dir: /x\nsources:\n"
	    "  - {name: A-z_0.9, path: /a, parser: auto}\n");
	assert_string_equal(conf->sources[0].name, "A-z_0.9");
	config_free(conf);

	expect("state_dir: /x\nsources:\n"
	    "  - {name: fw/x, path: /a, parser: auto}\n",
	    F ":3:12: source name 'fw/x' must be 1 to 64 of A-Z a-z 0-9 _ . -");
	expect("state_dir: /x\nsources:\n"
	    "  - {name: '..', path: /a, parser: auto}\n",
	    F ":3:12: source name must not be '.' or '..'");
	expect("state_dir: /x\nsources:\n"
	    "  - {name: ., path: /a, parser: auto}\n",
	    F ":3:12: source name must not be '.' or '..'");
	memset(name, 'n', 65);
	name[65] = '\0';
	{
		char	text[256], want[256];

		snprintf(text, sizeof text, "state_dir: /x\nsources:\n"
		    "  - {name: %s, path: /a, parser: auto}\n", name);
		snprintf(want, sizeof want, F ":3:12: source name '%s' must "
		    "be 1 to 64 of A-Z a-z 0-9 _ . -", name);
		expect(text, want);
	}
}

static void
test_parsers(void **state)
{
	struct config	*conf;
	char		*cause;
	static const char text[] = "state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: zzz}\n";

	conf = load_ok("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: squid}\n"
	    "  - {name: b, path: /b, parser: postfix}\n");
	assert_string_equal(conf->sources[0].parser, "squid");
	assert_string_equal(conf->sources[1].parser, "postfix");
	config_free(conf);

	expect("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: Squid}\n",
	    F ":3:33: unknown parser 'Squid'; did you mean 'squid'?");
	expect("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: aut}\n",
	    F ":3:33: unknown parser 'aut'; did you mean 'auto'?");
	/* Far from every name: the known ones are listed. */
	assert_null(load_as(F, text, strlen(text), &cause));
	assert_true(strncmp(cause, F ":3:33: unknown parser 'zzz' (known: "
	    "auto, ", strlen(F ":3:33: unknown parser 'zzz' (known: auto, "))
	    == 0);
	assert_non_null(strstr(cause, "iptables"));
	free(cause);
}

static void
test_timezones(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD "timezone: Europe/Berlin\n");
	assert_string_equal(conf->timezone, "Europe/Berlin");
	config_free(conf);
	conf = load_ok(HEAD "timezone: '-0500'\n");
	assert_string_equal(conf->timezone, "-0500");
	config_free(conf);

	expect(HEAD "timezone: Mars/Olympus\n",
	    F ":6:11: bad timezone 'Mars/Olympus': unknown time zone (not in "
	    "/usr/share/zoneinfo)");
	expect(HEAD "timezone: ../../etc/passwd\n",
	    F ":6:11: bad timezone '../../etc/passwd': unknown time zone (not "
	    "in /usr/share/zoneinfo)");
	expect(HEAD "timezone: +25:00\n",
	    F ":6:11: bad timezone '+25:00': bad UTC offset (expected "
	    "+hh:mm)");
	expect("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: auto, timezone: Nowhere}\n",
	    F ":3:49: bad timezone 'Nowhere': unknown time zone (not in "
	    "/usr/share/zoneinfo)");
}

static void
test_start_at(void **state)
{
	struct config	*conf;

	conf = load_ok("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: auto, start_at: beginning}\n"
	    "  - {name: b, path: /b, parser: auto, start_at: end}\n");
	assert_int_equal(conf->sources[0].start_at, START_BEGINNING);
	assert_int_equal(conf->sources[1].start_at, START_END);
	config_free(conf);

	expect("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: auto, start_at: END}\n",
	    F ":3:49: start_at must be 'beginning' or 'end', not 'END'");
	expect("state_dir: /x\nsources:\n"
	    "  - {name: a, path: /a, parser: auto, start_at: [end]}\n",
	    F ":3:49: start_at must be 'beginning' or 'end', not a list");
}

static void
test_outputs(void **state)
{
	expect(HEAD "outputs:\n  - {type: jsnol, path: /a}\n",
	    F ":7:12: unknown output type 'jsnol'; did you mean 'jsonl'?");
	expect(HEAD "outputs:\n  - {type: carrier-pigeon, path: /a}\n",
	    F ":7:12: unknown output type 'carrier-pigeon' (known: jsonl, "
	    "alerts, webhook, email, syslog)");
	expect(HEAD "outputs:\n  - {type: jsonl, path: ''}\n",
	    F ":7:25: path must not be empty");
}

/* Incident outputs: what each type needs, names, settings. */
static void
test_incident_outputs(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD "outputs:\n"
	    "  - {type: alerts, path: /a}\n"
	    "  - {type: jsonl, path: /i}\n"
	    "  - {type: webhook, url: \"https://h.example/x\", secret_file: "
	    "s, timeout: 10s, max_age: 2d, backoff_max: 5m}\n"
	    "  - {type: webhook, name: hive, flavour: thehive, url: "
	    "\"http://h:9000\", api_key_file: /k, tlp: amber, pap: green}\n"
	    "  - {type: email, url: \"smtp://m:25\", from: k@x.jp, to: "
	    "[a@x.jp, b@x.jp], tls: try, language: ja, password_file: p, "
	    "username: u}\n"
	    "  - {type: syslog, address: \"udp://127.0.0.1:514\", facility: 4, "
	    "app_name: keibi}\n");
	assert_int_equal(conf->noutputs, 6);
	assert_string_equal(conf->outputs[0].name, "alerts:/a");
	assert_string_equal(conf->outputs[1].name, "jsonl:/i");
	assert_string_equal(conf->outputs[2].name,
	    "webhook:https://h.example/x");
	assert_string_equal(conf->outputs[2].secret_file, "/etc/keibi/s");
	assert_int_equal(conf->outputs[2].timeout, 10);
	assert_int_equal(conf->outputs[2].max_age, 2 * 86400);
	assert_int_equal(conf->outputs[2].backoff_max, 300);
	assert_string_equal(conf->outputs[3].name, "hive");
	assert_string_equal(conf->outputs[3].flavour, "thehive");
	assert_string_equal(conf->outputs[3].tlp, "amber");
	assert_int_equal(conf->outputs[4].nto, 2);
	assert_string_equal(conf->outputs[4].to[1], "b@x.jp");
	assert_string_equal(conf->outputs[4].password_file, "/etc/keibi/p");
	assert_string_equal(conf->outputs[4].tls, "try");
	assert_int_equal(conf->outputs[5].facility, 4);
	assert_int_equal(conf->outputs[0].timeout, CONFIG_OUT_TIMEOUT_DEFAULT);
	config_free(conf);

	expect(HEAD "outputs:\n  - {type: webhook, secret_file: s}\n",
	    F ":7:5: webhook output needs a 'url'");
	expect(HEAD "outputs:\n  - {type: webhook, url: \"ftp://x\", "
	    "secret_file: s}\n",
	    F ":7:5: webhook url must start with http:// or https://");
	expect(HEAD "outputs:\n  - {type: webhook, url: \"http://x\"}\n",
	    F ":7:5: webhook output needs a 'secret_file' (its signing secret)");
	expect(HEAD "outputs:\n  - {type: webhook, flavour: thehive, url: "
	    "\"http://x\"}\n",
	    F ":7:5: thehive webhook needs an 'api_key_file'");
	expect(HEAD "outputs:\n  - {type: webhook, flavour: slack, url: "
	    "\"http://x\", secret_file: s}\n",
	    F ":7:30: flavour must be one of standard, thehive, iris, rtir, not 'slack'");
	expect(HEAD "outputs:\n  - {type: email, url: \"smtp://m\", to: "
	    "a@x}\n",
	    F ":7:5: email output needs a 'from'");
	expect(HEAD "outputs:\n  - {type: email, url: \"smtp://m\", from: "
	    "\"a@x\\r\\nBcc: e@v\", to: a@x}\n",
	    F ":7:42: from contains a control character");
	expect(HEAD "outputs:\n  - {type: email, url: \"smtp://m\", from: "
	    "\"<a@x>\", to: a@x}\n",
	    F ":7:42: from is not a plain mail address: '<a@x>'");
	expect(HEAD "outputs:\n  - {type: syslog, address: \"10.0.0.1\"}\n",
	    F ":7:29: address must be udp://HOST:PORT, tcp://HOST:PORT, "
	    "tls://HOST:PORT or unix:PATH, not '10.0.0.1'");
	expect(HEAD "outputs:\n  - {type: syslog}\n",
	    F ":7:5: syslog output needs an 'address'");
	expect(HEAD "outputs:\n  - {type: jsonl, path: /a}\n"
	    "  - {type: jsonl, path: /a}\n",
	    F ":8:5: two outputs are named 'jsonl:/a'; give one a different "
	    "'name'");
	expect(HEAD "outputs:\n  - {type: webhook, url: \"http://x\", "
	    "secret_file: s, timeout: 5x}\n",
	    F ":7:63: timeout must be a duration like 90, 30s, 10m, 2h or 1d, "
	    "not '5x'");
}

/* incidents:, geoip:, inventory: */
static void
test_incident_keys(void **state)
{
	struct config	*conf;

	conf = load_ok(HEAD);
	assert_int_equal(conf->incidents.idle, CONFIG_INC_IDLE_DEFAULT);
	assert_int_equal(conf->incidents.reopen, CONFIG_INC_REOPEN_DEFAULT);
	assert_int_equal(conf->incidents.throttle,
	    CONFIG_INC_THROTTLE_DEFAULT);
	assert_int_equal(conf->incidents.max_new, CONFIG_INC_MAX_NEW_DEFAULT);
	assert_int_equal(conf->incidents.commit_interval,
	    CONFIG_INC_COMMIT_DEFAULT);
	assert_null(conf->geoip_country);
	assert_null(conf->inventory);
	config_free(conf);

	conf = load_ok(HEAD "incidents:\n  idle: 1h\n  reopen: 2d\n"
	    "  throttle: 90\n  max_new_per_minute: 0\n  c2_hosts: 5\n"
	    "  worm_link: 30m\n  samples: 5\n  max_open: 100\n"
	    "  commit_interval: 0\n"
	    "  language: ja\n  csirt_name: csirt.example.jp\n"
	    "  organization: Example K.K.\n"
	    "geoip: {country: GeoLite2-Country.mmdb, asn: /db/asn.mmdb}\n"
	    "inventory: assets.csv\n");
	assert_int_equal(conf->incidents.idle, 3600);
	assert_int_equal(conf->incidents.reopen, 2 * 86400);
	assert_int_equal(conf->incidents.throttle, 90);
	assert_int_equal(conf->incidents.max_new, 0);
	assert_int_equal(conf->incidents.c2_hosts, 5);
	assert_int_equal(conf->incidents.worm_link, 1800);
	assert_int_equal(conf->incidents.samples, 5);
	assert_int_equal(conf->incidents.max_open, 100);
	assert_int_equal(conf->incidents.commit_interval, 0);
	assert_string_equal(conf->incidents.language, "ja");
	assert_string_equal(conf->incidents.csirt_name, "csirt.example.jp");
	assert_string_equal(conf->geoip_country,
	    "/etc/keibi/GeoLite2-Country.mmdb");
	assert_string_equal(conf->geoip_asn, "/db/asn.mmdb");
	assert_string_equal(conf->inventory, "/etc/keibi/assets.csv");
	config_free(conf);

	expect(HEAD "incidents: {idle: 10s}\n",
	    F ":6:19: idle must be from 60s to 2592000s");
	expect(HEAD "incidents: {throttle: soon}\n",
	    F ":6:23: throttle must be a duration like 90, 30s, 10m, 2h or "
	    "1d, not 'soon'");
	expect(HEAD "incidents: {commit_interval: 2000}\n",
	    F ":6:30: commit_interval must be from 0 to 1000");
	expect(HEAD "incidents: {commit_interval: 250ms}\n",
	    F ":6:30: commit_interval must be a whole number, not '250ms'");
	expect(HEAD "incidents: {language: fr}\n",
	    F ":6:23: language must be one of en, ja, not 'fr'");
	expect(HEAD "incidents: {throtle: 1m}\n",
	    F ":6:13: unknown key 'throtle' in incidents; did you mean "
	    "'throttle'?");
	expect(HEAD "geoip: {city: ''}\n",
	    F ":6:15: city must not be empty");
}

static void
test_load_file(void **state)
{
	static const char	 text[] = "state_dir: st\n" SRC "bogus: 1\n";
	struct config		*conf;
	char			 dir[] = "/tmp/test_config.XXXXXX";
	char			 path[256], want[512], *cause = NULL;
	FILE			*f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/keibi.yml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("state_dir: st\n" SRC, f);
	fclose(f);
	conf = config_load(path, &cause);
	assert_non_null(conf);
	assert_null(cause);
	assert_string_equal(conf->file, path);
	snprintf(want, sizeof want, "%s/st", dir);
	assert_string_equal(conf->state_dir, want);
	snprintf(want, sizeof want, "%s/st/evidence", dir);
	assert_string_equal(conf->evidence_dir, want);
	config_free(conf);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_null(config_load(path, &cause));
	snprintf(want, sizeof want, "%s:6:1: unknown key 'bogus'", path);
	assert_string_equal(cause, want);
	free(cause);

	assert_int_equal(unlink(path), 0);
	assert_null(config_load(path, &cause));
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	assert_string_equal(cause, want);
	free(cause);

	assert_null(config_load(dir, &cause));
	snprintf(want, sizeof want, "%s: not a regular file", dir);
	assert_string_equal(cause, want);
	free(cause);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_free_null(void **state)
{
	config_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_relative_config_name),
		cmocka_unit_test(test_rules_string),
		cmocka_unit_test(test_ipv6_networks),
		cmocka_unit_test(test_bad_cidr),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_duplicate_sources),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_not_mapping),
		cmocka_unit_test(test_two_documents),
		cmocka_unit_test(test_all_errors_in_order),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_scalar_bounds),
		cmocka_unit_test(test_nul_and_controls),
		cmocka_unit_test(test_too_many_sources),
		cmocka_unit_test(test_too_many_cidrs),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_timezones),
		cmocka_unit_test(test_start_at),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_incident_outputs),
		cmocka_unit_test(test_incident_keys),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
