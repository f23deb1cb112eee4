/*
 * test_segidx.c: the per-segment index.  Every value a parser can take
 * from a line must be found ("maybe"), wherever the bytes were split when
 * fed; values that are not there are mostly ruled out; the file is only
 * loaded when its hash and its segment binding match; a filter past its
 * key cap saturates to "maybe" rather than losing keys.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "netaddr.h"
#include "segidx.h"

static const char	gz_a[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char	gz_b[] =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

static const char	lines[] =
    "Nov 21 09:15:02 gw kernel: [1.1] FWD-ACCEPT: IN=eth1 OUT=eth0 "
    "SRC=10.1.2.3 DST=203.0.113.77 PROTO=TCP SPT=50122 DPT=445\n"
    "1795258800.514 215 10.1.2.50 TCP_MISS/200 1500 GET "
    "http://Shop.Example.COM/item.php?id=1%20UNION%20SELECT CORP\\alice "
    "HIER_DIRECT/198.51.100.53 text/html\n"
    "1795258801.000 5 10.1.4.21 TCP_TUNNEL/200 40 CONNECT "
    "c2.badcdn.example:443 - HIER_DIRECT/198.51.100.66 -\n"
    "%ASA-6-302013: Built outbound TCP connection 1 for "
    "outside:2001:db8::5/443 (2001:db8::5/443) to inside:fe80::1%eth0/80\n"
    "<134>1 2026-11-21T10:00:00Z fw - - - src=[2001:db8:1::7]:5060 "
    "dst=::ffff:192.0.2.7 nat 10.9.8.7.8080 > 10.9.8.6.53\n"
    "postfix/smtp[1]: 4Y18: to=<bob@mail.partner.example.org>, "
    "relay=mx.partner.example.org[192.0.2.25]:25, status=sent "
    "user=\xe7\x94\xb0\xe4\xb8\xad\n"
    "dns query: www.trailing-dot.example. A\n";

/* Build an index of the lines fed in pieces of step bytes. */
static struct segidx *
build(const char *text, size_t len, size_t step, char path[64])
{
	struct segidx_build	*b = segidx_build_new();
	struct segidx		*x;
	struct segidx_stats	 st;
	const char		*cause;
	char			 hex[65];
	size_t			 i, n;
	int			 fd;

	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		segidx_build_add(b, text + i, n);
	}
	snprintf(path, 64, "%s", "/tmp/test_segidx.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(segidx_build_write(b, path, gz_a, hex, &st), 0);
	assert_int_equal(st.bytes, len);
	segidx_build_free(b);
	x = segidx_load(path, hex, gz_a, &cause);
	assert_non_null(x);
	return x;
}

static bool
has_ip(struct segidx *x, const char *ip)
{
	struct netaddr	na;

	assert_int_equal(netaddr_parse(&na, ip, strlen(ip)), 0);
	return segidx_has_addr(x, &na);
}

static bool
has_cidr(struct segidx *x, const char *s)
{
	struct cidr	 c;
	const char	*cause;

	assert_int_equal(cidr_parse(&c, s, strlen(s), &cause), 0);
	return segidx_has_cidr(x, &c);
}

static bool
has_dom(struct segidx *x, const char *d)
{
	return segidx_has_domain(x, d, strlen(d));
}

static bool
has_text(struct segidx *x, const char *t)
{
	return segidx_has_text(x, t, strlen(t));
}

/* What the lines hold is found, whatever the split of the bytes. */
static void
test_present(void **state)
{
	static const size_t	steps[] = { 1, 2, 3, 7, 64, 100000 };
	struct segidx		*x;
	char			 path[64];
	size_t			 i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		x = build(lines, sizeof lines - 1, steps[i], path);
		assert_true(has_ip(x, "10.1.2.3"));
		assert_true(has_ip(x, "203.0.113.77"));
		assert_true(has_ip(x, "198.51.100.53"));
		assert_true(has_ip(x, "2001:db8::5"));
		assert_true(has_ip(x, "fe80::1"));
		assert_true(has_ip(x, "2001:db8:1::7"));
		assert_true(has_ip(x, "192.0.2.7"));	/* mapped */
		assert_true(has_ip(x, "10.9.8.7"));	/* tcpdump style */
		assert_true(has_ip(x, "10.9.8.6"));
		assert_true(has_ip(x, "192.0.2.25"));
		assert_true(has_cidr(x, "203.0.113.64/28"));
		assert_true(has_cidr(x, "203.0.113.0/24"));
		assert_true(has_cidr(x, "203.0.112.0/22"));
		assert_true(has_cidr(x, "203.0.0.0/16"));
		assert_true(has_cidr(x, "203.0.0.0/12"));
		assert_true(has_cidr(x, "2001:db8::/64"));
		assert_true(has_cidr(x, "2001:db8::/56"));
		assert_true(has_dom(x, "shop.example.com"));
		assert_true(has_dom(x, "example.com"));
		assert_true(has_dom(x, "EXAMPLE.COM."));
		assert_true(has_dom(x, "com"));
		assert_true(has_dom(x, "c2.badcdn.example"));
		assert_true(has_dom(x, "badcdn.example"));
		assert_true(has_dom(x, "partner.example.org"));
		assert_true(has_dom(x, "www.trailing-dot.example"));
		assert_true(has_dom(x, "198.51.100.66"));
		assert_true(has_text(x, "alice"));
		assert_true(has_text(x, "CORP\\alice"));
		assert_true(has_text(x, "bob@mail.partner.example.org"));
		assert_true(has_text(x, "\xe7\x94\xb0\xe4\xb8\xad"));
		assert_true(segidx_has_substring(x, "/item.php?id=", 13));
		assert_true(segidx_has_substring(x, "hop.example.com/item",
		    20));
		segidx_free(x);
		unlink(path);
	}
}

/* What the lines do not hold is ruled out (these few, at least). */
static void
test_absent(void **state)
{
	struct segidx	*x;
	char		 path[64], buf[64];
	int		 i, maybe = 0;

	x = build(lines, sizeof lines - 1, 4096, path);
	assert_false(has_ip(x, "10.1.2.4"));
	assert_false(has_ip(x, "2001:db8::6"));
	assert_false(has_cidr(x, "10.1.3.0/24"));
	assert_false(has_cidr(x, "172.16.0.0/12"));
	assert_false(has_dom(x, "evil.example"));
	assert_false(has_dom(x, "hop.example.com"));
	assert_false(has_text(x, "mallory"));
	assert_false(segidx_has_substring(x, "/admin/login.php", 16));
	/* About 1 % false "maybe"; allow ten in two hundred. */
	for (i = 0; i < 200; i++) {
		snprintf(buf, sizeof buf, "172.%d.%d.9", i / 50, i);
		if (has_ip(x, buf))
			maybe++;
		snprintf(buf, sizeof buf, "user%dx", i);
		if (has_text(x, buf))
			maybe++;
	}
	assert_true(maybe < 10);
	segidx_free(x);
	unlink(path);
}

/* Only the file whose hash and segment match loads. */
static void
test_load(void **state)
{
	struct segidx_build	*b = segidx_build_new();
	const char		*cause;
	char			 path[64], hex[65];
	FILE			*f;
	int			 fd;
	long			 size;

	segidx_build_add(b, lines, sizeof lines - 1);
	snprintf(path, sizeof path, "%s", "/tmp/test_segidx.XXXXXX");
	fd = mkstemp(path);
	close(fd);
	assert_int_equal(segidx_build_write(b, path, gz_a, hex, NULL), 0);
	segidx_build_free(b);
	assert_null(segidx_load(path, hex, gz_b, &cause));
	assert_non_null(cause);
	assert_null(segidx_load(path, gz_b, gz_a, &cause));
	assert_null(segidx_load(path, NULL, gz_a, &cause));
	assert_null(segidx_load("/nonexistent/x.idx", hex, gz_a, &cause));
	/* Cut short: the hash no longer matches. */
	assert_int_equal(chmod(path, 0640), 0);
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, size - 8), 0);
	assert_null(segidx_load(path, hex, gz_a, &cause));
	unlink(path);
}

/* Past its cap a filter answers "maybe" for everything. */
static void
test_saturate(void **state)
{
	struct segidx_build	*b = segidx_build_new();
	struct segidx_stats	 st;
	struct segidx		*x;
	const char		*cause;
	char			 path[64], hex[65], w[32];
	int			 fd, n;
	unsigned int		 i;

	for (i = 0; i <= SEGIDX_MAX_KEYS + 10; i++) {
		n = snprintf(w, sizeof w, "w%u ", i);
		segidx_build_add(b, w, (size_t)n);
	}
	segidx_build_add(b, "10.1.2.3\n", 9);
	snprintf(path, sizeof path, "%s", "/tmp/test_segidx.XXXXXX");
	fd = mkstemp(path);
	close(fd);
	assert_int_equal(segidx_build_write(b, path, gz_a, hex, &st), 0);
	segidx_build_free(b);
	assert_true(st.full[SEGIDX_WORD]);
	assert_false(st.full[SEGIDX_ADDR]);
	x = segidx_load(path, hex, gz_a, &cause);
	assert_non_null(x);
	assert_true(has_text(x, "neverseen"));
	assert_true(has_ip(x, "10.1.2.3"));
	assert_false(has_ip(x, "10.1.2.4"));
	segidx_free(x);
	unlink(path);
}

/*
 * The property hunt relies on: for generated lines, every address,
 * dotted name (and parent) and word a field could take is "maybe".
 */
static void
test_no_miss(void **state)
{
	struct segidx_build	*b = segidx_build_new();
	struct segidx		*x;
	const char		*cause;
	char			 path[64], hex[65], line[256], ip[64], dom[64];
	uint32_t		 r = 12345;
	int			 fd, i, n;

	for (i = 0; i < 5000; i++) {
		r = r * 1103515245 + 12345;
		n = snprintf(line, sizeof line, "%u SRC=10.%u.%u.%u "
		    "DST=[2001:db8::%x]:443 GET http://h%u.d%u.example/p "
		    "u%u\n", r, (r >> 8) & 255, (r >> 16) & 255, r >> 24,
		    r & 0xffff, r % 977, r % 31, r % 10007);
		segidx_build_add(b, line, (size_t)n);
	}
	snprintf(path, sizeof path, "%s", "/tmp/test_segidx.XXXXXX");
	fd = mkstemp(path);
	close(fd);
	assert_int_equal(segidx_build_write(b, path, gz_a, hex, NULL), 0);
	segidx_build_free(b);
	x = segidx_load(path, hex, gz_a, &cause);
	assert_non_null(x);
	r = 12345;
	for (i = 0; i < 5000; i++) {
		r = r * 1103515245 + 12345;
		snprintf(ip, sizeof ip, "10.%u.%u.%u", (r >> 8) & 255,
		    (r >> 16) & 255, r >> 24);
		assert_true(has_ip(x, ip));
		snprintf(ip, sizeof ip, "2001:db8::%x", r & 0xffff);
		assert_true(has_ip(x, ip));
		snprintf(dom, sizeof dom, "h%u.d%u.example", r % 977, r % 31);
		assert_true(has_dom(x, dom));
		assert_true(has_dom(x, strchr(dom, '.') + 1));
		snprintf(dom, sizeof dom, "u%u", r % 10007);
		assert_true(has_text(x, dom));
	}
	segidx_free(x);
	unlink(path);
}

/* The index file of text fed in pieces of step bytes (malloc'd). */
static unsigned char *
image(const char *text, size_t len, size_t step, size_t *size)
{
	struct segidx_build	*b = segidx_build_new();
	unsigned char		*img;
	char			 path[64], hex[65];
	FILE			*f;
	size_t			 i, n;
	int			 fd;

	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		segidx_build_add(b, text + i, n);
	}
	snprintf(path, sizeof path, "%s", "/tmp/test_segidx.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(segidx_build_write(b, path, gz_a, hex, NULL), 0);
	segidx_build_free(b);
	f = fopen(path, "r");
	assert_non_null(f);
	img = malloc(64 * 1024 * 1024);
	assert_non_null(img);
	*size = fread(img, 1, 64 * 1024 * 1024, f);
	fclose(f);
	unlink(path);
	return img;
}

/*
 * Runs scanned from the buffer give the keys the byte-by-byte scanners
 * give: fed one byte at a time (every run reaches the end of the buffer,
 * so all of it goes byte by byte) or in any other pieces, the same text
 * makes the same file.  The text holds every kind of run, long ones too.
 */
static void
test_split_same(void **state)
{
	static const size_t	 steps[] = { 2, 3, 5, 64, 4093 };
	static const char	*odd[] = {
		"1.2.3.4.5.6 999.1.2.3 1.2.3 01.002.3.4 ..1.2.3.4..",
		"00:1b:21:3a:4f:5e:08:00:45:00 inside:fe80::1:443 ::1 ::",
		"A_B-c.Example.ORG. x.y_z-.q -a.b- 12.ab 3com.example",
		"fe80::1%eth0 [2001:DB8::A]:80 1::2:3:4:5:6:7:8:9:10",
		"deadbeef CAFE 0x1F 1e10 1.5e3 a1.2.3.4 1.2.3.4a",
		"\x01\x02 \t\r\xff\xfe\xc3\xa9t\xc3\xa9 end",
	};
	static const char	*runs[] = {
		"aB3", "7", "Zq", "9.1", "a.b-c", "1:f", "aB3.-_:9", "..:"
	};
	unsigned char	*whole, *img;
	char		*text;
	size_t		 len = 0, cap = 4 * 1024 * 1024, wsize, size, i, j, k;
	uint32_t	 r = 777;
	int		 n;

	text = malloc(cap);
	assert_non_null(text);
	memcpy(text, lines, sizeof lines - 1);
	len = sizeof lines - 1;
	for (i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		n = snprintf(text + len, cap - len, "%s\n", odd[i]);
		len += (size_t)n;
	}
	/* Words, names and runs of every length around the caps. */
	for (i = 1; i < 1200; i += i < 140 ? 1 : 37) {
		for (k = 0; k < sizeof runs / sizeof runs[0]; k++) {
			for (j = 0; j < i; j++)
				text[len++] = runs[k][(j * 7 + i) %
				    strlen(runs[k])];
			text[len++] = i % 2 ? ' ' : '\n';
		}
	}
	for (i = 0; i < 3000; i++) {
		r = r * 1103515245 + 12345;
		n = snprintf(text + len, cap - len, "%u SRC=10.%u.%u.%u "
		    "MAC=%02x:%02x:00:11:22:33 DST=[2001:db8:%x::%x]:443 "
		    "GET http://H%u.d%u.Example/p?q=%x_%u u%u %u.%u\n", r,
		    (r >> 8) & 255, (r >> 16) & 255, r >> 24, r & 255,
		    (r >> 8) & 255, r >> 20, r & 0xffff, r % 977, r % 31,
		    r, r % 13, r % 10007, r % 300, r % 7);
		len += (size_t)n;
	}
	assert_true(len < cap);
	whole = image(text, len, len, &wsize);
	img = image(text, len, 1, &size);
	assert_int_equal(size, wsize);
	assert_memory_equal(img, whole, size);
	free(img);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		img = image(text, len, steps[i], &size);
		assert_int_equal(size, wsize);
		assert_memory_equal(img, whole, size);
		free(img);
	}
	free(whole);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_present),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_saturate),
		cmocka_unit_test(test_no_miss),
		cmocka_unit_test(test_split_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
