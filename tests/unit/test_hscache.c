/*
 * test_hscache.c: compiled Hyperscan databases kept on disk.  The second
 * compilation of the same patterns comes from the cache and matches as the
 * compiled one does; other patterns, flags or ids get an entry of their
 * own; a torn or altered entry is compiled again and replaced; entries
 * unused for HSCACHE_MAX_AGE are removed; no folder means no cache.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hscache.h"

static const char *const pats[] = {
	"cmd=[a-z]+\\.exe", "^/wp-admin/", "(?i)union\\s+select",
};
static const unsigned int flags[] = {
	HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH,
	HS_FLAG_SINGLEMATCH | HS_FLAG_PREFILTER,
};
static const unsigned int ids[] = { 0, 1, 2 };

static char	dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/keibi-hscache.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	struct dirent	*de;
	DIR		*d;

	(void)state;
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp.", 5) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
	return 0;
}

/* Entries (KEY.hsdb) in the folder; the first one's path into path. */
static int
entries(char *path, size_t size)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".hsdb") == NULL)
			continue;
		if (n++ == 0 && path != NULL)
			snprintf(path, size, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	return n;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int fl, void *arg)
{
	(void)from; (void)to; (void)fl;
	*(unsigned int *)arg |= 1u << id;
	return 0;
}

/* Which patterns of db match text, as a bit set. */
static unsigned int
scan(const hs_database_t *db, const char *text)
{
	hs_scratch_t	*s = NULL;
	unsigned int	 hit = 0;

	assert_int_equal(hs_alloc_scratch(db, &s), HS_SUCCESS);
	assert_int_equal(hs_scan(db, text, (unsigned int)strlen(text), 0, s,
	    on_match, &hit), HS_SUCCESS);
	hs_free_scratch(s);
	return hit;
}

static hs_database_t *
compile(const char *d, unsigned int n, const unsigned int *fl, bool want)
{
	hs_database_t		*db;
	hs_compile_error_t	*err;
	bool			 hit;

	assert_int_equal(hscache_compile(d, pats, fl, ids, n, &db, &err, &hit),
	    HS_SUCCESS);
	assert_non_null(db);
	assert_true(hit == want);
	return db;
}

static void
test_second_from_cache(void **state)
{
	hs_database_t	*a, *b;
	struct stat	 sb;
	char		 path[PATH_MAX];

	(void)state;
	a = compile(dir, 3, flags, false);
	assert_int_equal(entries(path, sizeof path), 1);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	b = compile(dir, 3, flags, true);
	assert_int_equal(entries(NULL, 0), 1);
	assert_int_equal(scan(a, "/wp-admin/x?cmd=calc.exe"), 3);
	assert_int_equal(scan(b, "/wp-admin/x?cmd=calc.exe"), 3);
	assert_int_equal(scan(b, "id=1 UNION  SELECT pw"), 4);
	assert_int_equal(scan(b, "x/wp-admin/"), 0);
	hs_free_database(a);
	hs_free_database(b);
}

static void
test_other_input_other_entry(void **state)
{
	const unsigned int	other[] = { HS_FLAG_SINGLEMATCH,
				    HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS,
				    HS_FLAG_SINGLEMATCH | HS_FLAG_PREFILTER };
	hs_database_t		*db;

	(void)state;
	hs_free_database(compile(dir, 3, flags, false));
	hs_free_database(compile(dir, 2, flags, false));
	db = compile(dir, 3, other, false);
	assert_int_equal(scan(db, "/WP-ADMIN/"), 2);
	hs_free_database(db);
	assert_int_equal(entries(NULL, 0), 3);
	hs_free_database(compile(dir, 2, flags, true));
}

static void
test_torn_entry_compiled_again(void **state)
{
	hs_database_t	*db;
	struct stat	 sb;
	char		 path[PATH_MAX], c;
	int		 fd;

	(void)state;
	hs_free_database(compile(dir, 3, flags, false));
	assert_int_equal(entries(path, sizeof path), 1);
	/* One byte altered deep in the database. */
	assert_int_not_equal(fd = open(path, O_RDWR), -1);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(pread(fd, &c, 1, sb.st_size - 100), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, sb.st_size - 100), 1);
	close(fd);
	db = compile(dir, 3, flags, false);
	assert_int_equal(scan(db, "/wp-admin/"), 2);
	hs_free_database(db);
	/* Replaced by a whole one. */
	hs_free_database(compile(dir, 3, flags, true));
	/* Cut short. */
	assert_int_equal(truncate(path, 20), 0);
	hs_free_database(compile(dir, 3, flags, false));
	hs_free_database(compile(dir, 3, flags, true));
}

static void
test_unused_pruned(void **state)
{
	struct timespec	 old[2];
	char		 path[PATH_MAX], tmp[PATH_MAX];
	int		 fd;

	(void)state;
	hs_free_database(compile(dir, 3, flags, false));
	assert_int_equal(entries(path, sizeof path), 1);
	snprintf(tmp, sizeof tmp, "%s/.tmp.left.XXXXXX", dir);
	assert_int_not_equal(fd = mkstemp(tmp), -1);
	close(fd);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - HSCACHE_MAX_AGE - 60;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, tmp, old, 0), 0);
	/* Writing another entry removes the unused one and the leftover. */
	hs_free_database(compile(dir, 1, flags, false));
	assert_int_equal(entries(NULL, 0), 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);
	/* A used entry is touched, so it stays. */
	hs_free_database(compile(dir, 1, flags, true));
}

static void
test_no_folder(void **state)
{
	char	gone[PATH_MAX];

	(void)state;
	hs_free_database(compile(NULL, 3, flags, false));
	hs_free_database(compile(NULL, 3, flags, false));
	snprintf(gone, sizeof gone, "%s/none", dir);
	hs_free_database(compile(gone, 3, flags, false));
	hs_free_database(compile(gone, 3, flags, false));
	assert_int_equal(entries(NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_second_from_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_input_other_entry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_entry_compiled_again,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unused_pruned, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_folder, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
