/*
 * test_enrich.c: GeoIP/ASN lookups against a MaxMind DB built at test
 * time by tests/incidents/mkmmdb.pl (Debian's libmaxmind-db-writer-perl),
 * IPv4 and IPv6, and the inventory in CSV and YAML.  KEIBI_TEST_MMDB
 * names the folder the databases were written to; without it the GeoIP
 * cases are skipped (the script that builds the database sets it).
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
#include "enrich.h"
#include "netaddr.h"
#include "record.h"

/* A config naming the files. */
static struct config *
conf_with(const char *extra)
{
	struct config	*conf;
	char		*text, *cause = NULL;

	if (asprintf(&text, "state_dir: /tmp\nsources: [{name: fw, path: x, "
	    "parser: iptables}]\n%s", extra) == -1)
		fail();
	conf = config_load_buffer("/tmp/test.yml", text, strlen(text), &cause);
	if (conf == NULL)
		fail_msg("%s", cause);
	free(text);
	return conf;
}

static struct netaddr
addr(const char *s)
{
	struct netaddr	a;

	assert_int_equal(netaddr_parse(&a, s, strlen(s)), 0);
	return a;
}

static void
test_geoip(void **state)
{
	const char		*dir = getenv("KEIBI_TEST_MMDB");
	struct config		*conf;
	struct enrich		*en;
	struct enrich_geo	 g;
	struct netaddr		 a;
	struct record		 rec;
	struct cidr_set		 internal;
	struct cidr		 c;
	const char		*why;
	char			*extra, *cause = NULL;

	if (dir == NULL)
		skip();
	if (asprintf(&extra, "geoip: {country: %s/country.mmdb, asn: "
	    "%s/asn.mmdb}\n", dir, dir) == -1)
		fail();
	conf = conf_with(extra);
	free(extra);
	en = enrich_open(conf, &cause);
	if (en == NULL)
		fail_msg("%s", cause);
	assert_true(enrich_active(en));
	a = addr("203.0.113.9");
	assert_true(enrich_geo(en, &a, &g));
	assert_string_equal(g.country, "JP");
	assert_int_equal(g.asn, 64500);
	assert_string_equal(g.as_org, "Example Net JP");
	a = addr("198.51.100.7");
	assert_true(enrich_geo(en, &a, &g));
	assert_string_equal(g.country, "US");
	assert_int_equal(g.asn, 64501);
	a = addr("2001:db8::1");
	assert_true(enrich_geo(en, &a, &g));
	assert_string_equal(g.country, "DE");
	assert_int_equal(g.asn, 64502);
	a = addr("192.0.2.1");
	assert_false(enrich_geo(en, &a, &g));
	/* An event's remote destination gets the ECS fields. */
	cidr_set_init(&internal);
	assert_int_equal(cidr_parse(&c, "10.0.0.0/8", 10, &why), 0);
	cidr_set_add(&internal, &c);
	record_reset(&rec);
	record_set(&rec, RF_SOURCE_IP, "10.1.2.3", 8);
	record_set(&rec, RF_DESTINATION_IP, "203.0.113.9", 11);
	record_finish(&rec, &internal);
	enrich_record(en, &rec, &internal);
	assert_true(span_eq(record_get(&rec,
	    RF_DESTINATION_GEO_COUNTRY_ISO_CODE), "JP"));
	assert_true(span_eq(record_get(&rec, RF_DESTINATION_AS_NUMBER),
	    "64500"));
	assert_true(span_eq(record_get(&rec,
	    RF_DESTINATION_AS_ORGANIZATION_NAME), "Example Net JP"));
	cidr_set_free(&internal);
	enrich_free(en);
	config_free(conf);
}

static void
test_missing_db(void **state)
{
	struct config	*conf;
	char		*cause = NULL;

	conf = conf_with("geoip: {country: /nonexistent/x.mmdb}\n");
	assert_null(enrich_open(conf, &cause));
	assert_non_null(strstr(cause, "/nonexistent/x.mmdb"));
	free(cause);
	config_free(conf);
}

/* Write text to a temporary file with suffix; its path (malloc'd). */
static char *
tmpfile_with(const char *suffix, const char *text)
{
	char	*path;
	FILE	*f;

	if (asprintf(&path, "/tmp/keibi-inv-%d%s", (int)getpid(), suffix) == -1)
		fail();
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_inventory(void **state)
{
	static const char *const csv = "address,hostname,owner,department,"
	    "role\n# a comment\n10.1.0.0/16,,,Sales,office LAN\n10.1.2.3,"
	    "pc-0123,\"Tanaka, Taro\",Sales,PC\nnot-an-address,x,y,z,w\n";
	static const char *const yml = "- {address: 10.1.0.0/16, department: "
	    "Sales}\n- address: 10.1.2.3\n  hostname: pc-0123\n  owner: "
	    "\"Tanaka \\e[31m\"\n  role: PC\n";
	const struct enrich_asset	*as;
	struct config			*conf;
	struct enrich			*en;
	struct netaddr			 a;
	char				*path, *extra, *cause = NULL;
	int				 k;

	for (k = 0; k < 2; k++) {
		path = tmpfile_with(k == 0 ? ".csv" : ".yml", k == 0 ? csv :
		    yml);
		if (asprintf(&extra, "inventory: %s\n", path) == -1)
			fail();
		conf = conf_with(extra);
		free(extra);
		en = enrich_open(conf, &cause);
		if (en == NULL)
			fail_msg("%s", cause);
		a = addr("10.1.2.3");
		as = enrich_asset(en, &a);
		assert_non_null(as);
		assert_string_equal(as->hostname, "pc-0123");
		assert_string_equal(as->role, "PC");
		if (k == 0)
			assert_string_equal(as->owner, "Tanaka, Taro");
		else	/* the escape byte is dropped */
			assert_string_equal(as->owner, "Tanaka [31m");
		a = addr("10.1.9.9");
		as = enrich_asset(en, &a);
		assert_non_null(as);
		assert_null(as->hostname);
		assert_string_equal(as->department, "Sales");
		a = addr("172.16.0.1");
		assert_null(enrich_asset(en, &a));
		enrich_free(en);
		config_free(conf);
		unlink(path);
		free(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geoip),
		cmocka_unit_test(test_missing_db),
		cmocka_unit_test(test_inventory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
