/*
 * test_netaddr.c: addresses, CIDRs and network.direction.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
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

/*
 * The reading netaddr_parse() must keep: the span copied with a NUL, cut
 * at a zone '%', then inet_pton() of the family a ':' chooses, and an
 * IPv4-mapped IPv6 address taken as IPv4.  Returns 0 or -1 like it.
 */
static int
ref_parse(struct netaddr *na, const char *p, size_t len)
{
	char	buf[INET6_ADDRSTRLEN + 1];
	size_t	i;

	memset(na, 0, sizeof *na);
	if (len == 0 || len >= sizeof buf)
		return -1;
	for (i = 0; i < len && p[i] != '%'; i++)
		;
	if ((len = i) == 0)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len) != NULL) {
		if (inet_pton(AF_INET6, buf, na->a) != 1)
			return -1;
		if (memcmp(na->a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(na->a, na->a + 12, 4);
			memset(na->a + 4, 0, 12);
			na->family = 4;
		} else
			na->family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, buf, na->a) != 1)
		return -1;
	na->family = 4;
	return 0;
}

/* netaddr_parse() and ref_parse() agree on p/len, result and bytes. */
static void
same(const char *p, size_t len)
{
	struct netaddr	a, b;
	int		ra, rb;

	ra = netaddr_parse(&a, p, len);
	rb = ref_parse(&b, p, len);
	if (ra != rb || memcmp(&a, &b, sizeof a) != 0) {
		char	esc[256];
		size_t	i, n = 0;

		for (i = 0; i < len && n + 5 < sizeof esc; i++)
			n += (size_t)snprintf(esc + n, sizeof esc - n,
			    (unsigned char)p[i] >= 0x20 &&
			    (unsigned char)p[i] < 0x7f ? "%c" : "\\x%02x",
			    (unsigned char)p[i]);
		fail_msg("\"%s\" (%zu bytes): %d family %d, inet_pton %d "
		    "family %d", esc, len, ra, a.family, rb, b.family);
	}
}

/* The dotted-quad fast path accepts and rejects exactly as inet_pton(). */
static void
test_parse_like_inet_pton(void **state)
{
	static const char	*edge[] = {
		"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.256.1.1",
		"1.1.1.256", "01.1.1.1", "1.01.1.1", "1.1.1.01", "00.1.1.1",
		"1.1.1.00", "0.1.1.0", "10.0.0.1", "100.100.100.100",
		"1000.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4",
		"1..2.3", "1.2..3.4", "1.2.3.", "....", "1", "12345",
		"4294967295", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4%eth0",
		"1.2.3.4%", "%1.2.3.4", "1.2.3.4:80", "1.2.3.0x4", "1.2.3.a",
		"::ffff:1.2.3.4", "::1.2.3.4", "::ffff:01.2.3.4",
		"1.2.3.4::", "::", "::1", "fe80::1%eth0", "2001:db8::1",
		"1.2.3.255255", "999.999.999.999", "25.5.255.255",
		"255.255.255.2555", "1.2.3.-4", "+1.2.3.4", "1.2.3.4\n",
		"000000000000000000000000000000000000000000001.2.3.4",
		"1.2.3.4.................................................",
	};
	char	s[64];
	size_t	i, j, len;
	unsigned int	seed = 12345;
	static const char	alpha[] = "0123456789.....:%af ";
	static const char	digits[] = "0123456789.";

	(void)state;
	for (i = 0; i < sizeof edge / sizeof edge[0]; i++) {
		same(edge[i], strlen(edge[i]));
		/* Every prefix: a span is cut anywhere. */
		for (len = 0; len < strlen(edge[i]); len++)
			same(edge[i], len);
	}
	/* NUL inside the span, which inet_pton() stops at. */
	same("1.2.3.4\0", 8);
	same("1.2.3.4\0:1", 10);
	same("1.2\0.3.4", 8);
	/* Random strings of digits and dots, then of a wider alphabet. */
	for (i = 0; i < 400000; i++) {
		const char	*set = i % 2 ? alpha : digits;
		size_t		 n = i % 2 ? sizeof alpha - 1 : sizeof digits - 1;

		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % 20;
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			s[j] = set[(seed >> 16) % n];
		}
		same(s, len);
	}
	/* Random addresses, in range and out, with and without zeros. */
	for (i = 0; i < 200000; i++) {
		unsigned int	o[4];

		for (j = 0; j < 4; j++) {
			seed = seed * 1103515245 + 12345;
			o[j] = (seed >> 16) % (j == i % 4 ? 1100 : 256);
		}
		len = (size_t)snprintf(s, sizeof s, i % 7 == 0 ?
		    "%u.%u.%u.%03u" : "%u.%u.%u.%u", o[0], o[1], o[2], o[3]);
		same(s, len);
	}
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
	/* Every prefix length of IPv4, at both sides of its boundary. */
	assert_true(in("192.168.0.0/23", "192.168.1.255"));
	assert_false(in("192.168.0.0/23", "192.168.2.0"));
	assert_true(in("128.0.0.0/1", "255.1.1.1"));
	assert_false(in("128.0.0.0/1", "127.255.255.255"));
	assert_true(in("10.20.30.40/31", "10.20.30.41"));
	assert_false(in("10.20.30.40/31", "10.20.30.42"));
	assert_true(in("10.20.30.40/30", "10.20.30.43"));
	assert_false(in("10.20.30.40/30", "10.20.30.39"));
	assert_true(in("203.0.113.0/24", "203.0.113.200"));
	assert_false(in("203.0.113.0/24", "203.0.112.200"));
	assert_true(in("100.64.0.0/10", "100.127.0.1"));
	assert_false(in("100.64.0.0/10", "100.128.0.1"));
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
		cmocka_unit_test(test_parse_like_inet_pton),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_direction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
