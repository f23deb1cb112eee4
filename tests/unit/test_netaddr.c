/*
 * test_netaddr.c: addresses, CIDRs and network.direction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "netaddr.h"
#include "record.h"

static void
add(struct cidr_set *s, const char *c)
{
	struct cidr	 ci;
	const char	*cause;

	assert_int_equal(cidr_parse(&ci, c, strlen(c), &cause), 0);
	cidr_set_add(s, &ci);
}

static bool
in(const char *cidr, const char *ip)
{
	struct cidr	 c;
	struct netaddr	 na;
	const char	*cause;

	assert_int_equal(cidr_parse(&c, cidr, strlen(cidr), &cause), 0);
	assert_int_equal(netaddr_parse(&na, ip, strlen(ip)), 0);
	return cidr_contains(&c, &na);
}

static void
test_parse(void **state)
{
	struct netaddr	na;
	char		buf[64];

	assert_int_equal(netaddr_parse(&na, "10.1.2.3", 8), 0);
	assert_int_equal(na.family, 4);
	assert_string_equal(netaddr_format(&na, buf, sizeof buf), "10.1.2.3");
	assert_int_equal(netaddr_parse(&na, "2001:db8::1", 11), 0);
	assert_int_equal(na.family, 6);
	assert_int_equal(netaddr_parse(&na, "::ffff:192.0.2.1", 16), 0);
	assert_int_equal(na.family, 4);
	assert_string_equal(netaddr_format(&na, buf, sizeof buf), "192.0.2.1");
	assert_int_equal(netaddr_parse(&na, "fe80::1%eth0", 12), 0);
	assert_int_equal(na.family, 6);
	/* Spans are not NUL-terminated: only len bytes are read. */
	assert_int_equal(netaddr_parse(&na, "10.0.0.12345", 8), 0);
	assert_string_equal(netaddr_format(&na, buf, sizeof buf), "10.0.0.1");
	assert_int_equal(netaddr_parse(&na, "10.0.0", 6), -1);
	assert_int_equal(netaddr_parse(&na, "", 0), -1);
	assert_int_equal(netaddr_parse(&na, "999.1.1.1", 9), -1);
	assert_int_equal(netaddr_parse(&na, "%", 1), -1);
	assert_int_equal(netaddr_parse(&na,
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999", 44), -1);
}

static void
test_cidr(void **state)
{
	struct cidr	 c;
	const char	*cause;

	assert_true(in("10.0.0.0/8", "10.255.1.1"));
	assert_false(in("10.0.0.0/8", "11.0.0.1"));
	assert_true(in("172.16.0.0/12", "172.31.255.255"));
	assert_false(in("172.16.0.0/12", "172.32.0.0"));
	assert_true(in("192.168.1.7", "192.168.1.7"));
	assert_false(in("192.168.1.7", "192.168.1.8"));
	assert_true(in("0.0.0.0/0", "8.8.8.8"));
	assert_false(in("0.0.0.0/0", "2001:db8::1"));
	assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(in("fd00::/8", "fd12:3456::1"));
	assert_true(in("10.1.2.3/8", "10.9.9.9"));	/* host bits masked */
	assert_int_equal(cidr_parse(&c, "10.0.0.0/33", 11, &cause), -1);
	assert_int_equal(cidr_parse(&c, "10.0.0.0/", 9, &cause), -1);
	assert_int_equal(cidr_parse(&c, "10.0.0.0/x", 10, &cause), -1);
	assert_int_equal(cidr_parse(&c, "::/129", 6, &cause), -1);
	assert_int_equal(cidr_parse(&c, "host/8", 6, &cause), -1);
	assert_int_equal(cidr_parse(&c, "::/128", 6, &cause), 0);
}

static const char *
direction(struct cidr_set *internal, const char *src, const char *dst)
{
	static char	buf[32];
	struct record	rec;
	struct span	s;

	record_reset(&rec);
	if (src != NULL)
		record_set(&rec, RF_SOURCE_IP, src, strlen(src));
	if (dst != NULL)
		record_set(&rec, RF_DESTINATION_IP, dst, strlen(dst));
	record_finish(&rec, internal);
	if (!record_has(&rec, RF_NETWORK_DIRECTION))
		return "none";
	s = record_get(&rec, RF_NETWORK_DIRECTION);
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return buf;
}

static void
test_direction(void **state)
{
	struct cidr_set	internal;

	cidr_set_init(&internal);
	add(&internal, "10.0.0.0/8");
	add(&internal, "192.168.0.0/16");
	add(&internal, "fd00::/8");
	assert_string_equal(direction(&internal, "10.1.1.1", "203.0.113.5"),
	    "outbound");
	assert_string_equal(direction(&internal, "203.0.113.5", "10.1.1.1"),
	    "inbound");
	assert_string_equal(direction(&internal, "10.1.1.1", "192.168.3.3"),
	    "internal");
	assert_string_equal(direction(&internal, "198.51.100.1",
	    "203.0.113.5"), "external");
	assert_string_equal(direction(&internal, "fd00::5", "2001:db8::1"),
	    "outbound");
	assert_string_equal(direction(&internal, "2001:db8::1", "fd00::5"),
	    "inbound");
	assert_string_equal(direction(&internal, "10.1.1.1", NULL), "none");
	assert_string_equal(direction(&internal, "garbage", "10.1.1.1"),
	    "none");
	cidr_set_free(&internal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_direction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
