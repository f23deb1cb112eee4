/*
 * test_tz.c: time zones and civil dates.  Fixed offsets, Asia/Tokyo,
 * Europe/Berlin on both sides of its DST changes (and inside the gap and
 * the overlap), the per-hour cache, TZ left as it was found, and the
 * civil/day conversions over leap years and days before 1970.  Named
 * zones are read from the system's zoneinfo, which the build host has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tz.h"

/* Open a zone that must exist. */
static struct tz *
open_ok(const char *name)
{
	struct tz	*tz;
	const char	*cause = NULL;

	tz = tz_open(name, &cause);
	if (tz == NULL)
		fail_msg("tz_open(%s): %s", name, cause);
	return tz;
}

/* Open a zone that must be refused, with a reason. */
static void
open_bad(const char *name)
{
	const char	*cause = NULL;

	assert_null(tz_open(name, &cause));
	assert_non_null(cause);
}

/* Check one local time's conversion in zone tz. */
static void
check_utc(const struct tz *tz, int y, int mo, int d, int h, int mi, int s,
    int64_t want, int32_t want_off)
{
	int32_t	off = INT32_MIN;

	assert_int_equal(tz_to_utc(tz, y, mo, d, h, mi, s, &off), want);
	assert_int_equal(off, want_off);
}

static void
test_utc(void **state)
{
	struct tz	*tz;

	/* NULL is UTC. */
	check_utc(NULL, 2024, 1, 1, 0, 0, 0, 1704067200, 0);
	check_utc(NULL, 1970, 1, 1, 0, 0, 0, 0, 0);
	check_utc(NULL, 1969, 12, 31, 23, 59, 59, -1, 0);
	assert_int_equal(tz_offset_at(NULL, 1704067200), 0);
	assert_string_equal(tz_name(NULL), "UTC");

	tz = open_ok("UTC");
	assert_string_equal(tz_name(tz), "UTC");
	check_utc(tz, 2024, 2, 29, 12, 0, 0, 1709208000, 0);
	tz_free(tz);
	tz = open_ok("Z");
	check_utc(tz, 2024, 1, 1, 0, 0, 0, 1704067200, 0);
	tz_free(tz);
	tz = open_ok("GMT");
	assert_int_equal(tz_offset_at(tz, 0), 0);
	tz_free(tz);
	tz_free(NULL);
}

static void
test_fixed_offsets(void **state)
{
	struct tz	*tz;

	tz = open_ok("+09:00");
	assert_string_equal(tz_name(tz), "+09:00");
	check_utc(tz, 2024, 1, 1, 9, 0, 0, 1704067200, 32400);
	/* Before the epoch and across a day boundary. */
	check_utc(tz, 1970, 1, 1, 0, 0, 0, -32400, 32400);
	assert_int_equal(tz_offset_at(tz, 0), 32400);
	tz_free(tz);

	tz = open_ok("-0500");
	check_utc(tz, 2023, 12, 31, 19, 0, 0, 1704067200, -18000);
	assert_int_equal(tz_offset_at(tz, 1704067200), -18000);
	tz_free(tz);

	tz = open_ok("+0530");
	check_utc(tz, 2024, 1, 1, 5, 30, 0, 1704067200, 19800);
	tz_free(tz);
	tz = open_ok("+5:45");
	check_utc(tz, 2024, 1, 1, 5, 45, 0, 1704067200, 20700);
	tz_free(tz);
	tz = open_ok("+9");
	check_utc(tz, 2024, 1, 1, 9, 0, 0, 1704067200, 32400);
	tz_free(tz);
	tz = open_ok("-00:00");
	check_utc(tz, 2024, 1, 1, 0, 0, 0, 1704067200, 0);
	tz_free(tz);
	tz = open_ok("+14:00");
	assert_int_equal(tz_offset_at(tz, 0), 50400);
	tz_free(tz);

	open_bad("+");
	open_bad("-");
	open_bad("+15:00");
	open_bad("+09:60");
	open_bad("+09:0");
	open_bad("+09:");
	open_bad("+123");
	open_bad("+09:00x");
	open_bad("+0900 ");
	open_bad("+x");
}

static void
test_named_refused(void **state)
{
	open_bad("Mars/Olympus_Mons");
	open_bad("/etc/localtime");
	open_bad("../../../etc/passwd");
	open_bad("Asia/../../../etc/passwd");
	open_bad("");
	/* Readable, but not zones: a folder and a table. */
	open_bad("Asia");
	open_bad("zone.tab");
}

static void
test_tokyo(void **state)
{
	struct tz	*tz;

	tz = open_ok("Asia/Tokyo");
	assert_string_equal(tz_name(tz), "Asia/Tokyo");
	check_utc(tz, 2024, 7, 1, 12, 0, 0, 1719802800, 32400);
	check_utc(tz, 2024, 1, 1, 9, 0, 0, 1704067200, 32400);
	/* New Year in Tokyo is still the old year in UTC. */
	check_utc(tz, 2025, 1, 1, 0, 0, 0, 1735657200, 32400);
	assert_int_equal(tz_offset_at(tz, 1719802800), 32400);
	assert_int_equal(tz_offset_at(tz, 0), 32400);
	tz_free(tz);
}

static void
test_berlin_dst(void **state)
{
	struct tz	*tz;

	tz = open_ok("Europe/Berlin");
	/* Winter (CET) and summer (CEST). */
	check_utc(tz, 2024, 1, 15, 12, 0, 0, 1705316400, 3600);
	check_utc(tz, 2024, 7, 15, 12, 0, 0, 1721037600, 7200);
	/* Back to winter: the cache must not keep summer's offset. */
	check_utc(tz, 2024, 1, 15, 12, 30, 0, 1705318200, 3600);

	/* 2024-03-31: 02:00 CET becomes 03:00 CEST. */
	check_utc(tz, 2024, 3, 31, 1, 59, 59, 1711846799, 3600);
	check_utc(tz, 2024, 3, 31, 3, 0, 0, 1711846800, 7200);
	/*
	 * 02:30 does not exist; like mktime(), it is read with the offset
	 * before the change, so it lands at 03:30 CEST (01:30Z), and the
	 * reported offset is the one that was applied.
	 */
	check_utc(tz, 2024, 3, 31, 2, 30, 0, 1711848600, 3600);
	check_utc(tz, 2024, 3, 31, 2, 45, 0, 1711849500, 3600);

	/* 2024-10-27: 03:00 CEST becomes 02:00 CET. */
	check_utc(tz, 2024, 10, 27, 1, 30, 0, 1729985400, 7200);
	check_utc(tz, 2024, 10, 27, 3, 30, 0, 1729996200, 3600);

	/* Offsets at UTC instants on both sides of the changes. */
	assert_int_equal(tz_offset_at(tz, 1711846799), 3600);
	assert_int_equal(tz_offset_at(tz, 1711846800), 7200);
	assert_int_equal(tz_offset_at(tz, 1729990799), 7200);
	assert_int_equal(tz_offset_at(tz, 1729990800), 3600);

	/* Before 1970: the hour key rounds down, not toward zero. */
	check_utc(tz, 1969, 12, 31, 23, 30, 0, -5400, 3600);
	check_utc(tz, 1970, 1, 1, 0, 30, 0, -1800, 3600);
	assert_int_equal(tz_offset_at(tz, -1), 3600);
	/* An older rule: the 1996 change happened in October. */
	check_utc(tz, 1996, 10, 27, 12, 0, 0, 846414000, 3600);
	tz_free(tz);
}

static void
test_tz_env_kept(void **state)
{
	struct tz	*tz;
	const char	*v;
	int32_t		 off;

	tz = open_ok("Europe/Berlin");
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	tzset();
	tz_to_utc(tz, 2024, 7, 15, 12, 0, 0, &off);
	assert_int_equal(tz_offset_at(tz, 1721037600), 7200);
	v = getenv("TZ");
	assert_non_null(v);
	assert_string_equal(v, "Asia/Tokyo");

	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	tz_to_utc(tz, 2024, 1, 15, 12, 0, 0, &off);
	assert_int_equal(off, 3600);
	assert_null(getenv("TZ"));
	tz_free(tz);
}

static void
test_days_known(void **state)
{
	static const struct {
		int	y, m, d;
		int64_t	days;
	} k[] = {
		{ 1970, 1, 1, 0 },
		{ 1969, 12, 31, -1 },
		{ 2000, 3, 1, 11017 },
		{ 2000, 2, 29, 11016 },		/* 2000 is a leap year */
		{ 2024, 2, 29, 19782 },
		{ 2024, 3, 1, 19783 },
		{ 2023, 3, 1, 19417 },
		{ 2023, 2, 28, 19416 },		/* 2023 is not */
		{ 1900, 3, 1, -25508 },
		{ 1900, 2, 28, -25509 },	/* 1900 is not */
		{ 2100, 3, 1, 47541 },
		{ 2100, 2, 28, 47540 },		/* 2100 is not */
		{ 1600, 2, 29, -135081 },	/* 1600 is */
		{ 1, 1, 1, -719162 },
		{ 0, 12, 31, -719163 },		/* 1 BC, proleptic */
		{ 0, 2, 29, -719469 },		/* year 0 is a leap year */
		{ 0, 1, 1, -719528 },
		{ -1, 12, 31, -719529 },
		{ 9999, 12, 31, 2932896 },
	};
	size_t	i;
	int	y, m, d;

	for (i = 0; i < sizeof k / sizeof k[0]; i++) {
		assert_int_equal(tz_days_from_civil(k[i].y, k[i].m, k[i].d),
		    k[i].days);
		tz_civil_from_days(k[i].days, &y, &m, &d);
		assert_int_equal(y, k[i].y);
		assert_int_equal(m, k[i].m);
		assert_int_equal(d, k[i].d);
	}
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void
test_days_walk(void **state)
{
	static const int	mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };
	int64_t			days;
	int			y = -800, m = 1, d = 1, yy, mm, dd, last;

	/* Every day from 800 BC to AD 2800, one after the other. */
	days = tz_days_from_civil(y, m, d);
	while (y < 2800) {
		assert_int_equal(tz_days_from_civil(y, m, d), days);
		tz_civil_from_days(days, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			fail_msg("day %lld: %d-%d-%d != %d-%d-%d",
			    (long long)days, yy, mm, dd, y, m, d);
		last = mdays[m - 1] + (m == 2 && leap(y));
		if (++d > last) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		days++;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_fixed_offsets),
		cmocka_unit_test(test_named_refused),
		cmocka_unit_test(test_tokyo),
		cmocka_unit_test(test_berlin_dst),
		cmocka_unit_test(test_tz_env_kept),
		cmocka_unit_test(test_days_known),
		cmocka_unit_test(test_days_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
