/*
 * test_store.c: the outbox of the incident store on a real SQLite file
 * in a temporary folder: picking walks indexes (no sort, no table scan),
 * an incident's revisions leave in order even when an older one waits
 * for a retry, coalescing keeps only the newest queued revision and never
 * drops one before a newer one is queued, busy incidents are skipped,
 * uncommitted rows are never handed out, a file of schema version 1
 * is upgraded in place with its queued rows intact, and store_sync() from
 * another thread while the owner commits finds the log and syncs it.
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
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "store.h"

struct fx {
	char		 dir[64];
	struct store	*st;
};

static struct store *
fx_open(struct fx *f)
{
	char	*cause = NULL;
	bool	 busy;

	f->st = store_open(f->dir, STORE_OWNER, &busy, &cause);
	if (f->st == NULL)
		fail_msg("%s", cause);
	return f->st;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/keibi-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "incidents.db",
	    "incidents.db-wal", "incidents.db-shm", "incidents.lock" };
	char			 p[128];
	size_t			 i;

	store_close(f->st);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Publish revision rev of id to the outputs, committed. */
static void
publish(struct store *st, const char *id, int64_t rev, int64_t now)
{
	static char	*outs[] = { "mail", "jsonl" };
	char		 doc[128];

	snprintf(doc, sizeof doc, "{\"id\":\"%s\",\"revision\":%lld}", id,
	    (long long)rev);
	assert_int_equal(store_publish(st, id, rev, doc, outs, 2, now), 0);
	assert_int_equal(store_commit(st), 0);
}

/* Pick the next job of output and check it is id at revision rev. */
static void
expect(struct store *st, const char *output, int64_t now, bool coalesce,
    const char *id, int64_t rev, struct store_job *job)
{
	int	rc;

	rc = store_outbox_next(st, output, now, store_outbox_max(st), NULL, 0,
	    coalesce, job);
	if (id == NULL) {
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, 1);
	assert_string_equal(job->incident_id, id);
	assert_int_equal(job->revision, rev);
	assert_non_null(strstr(job->doc, id));
}

static void
test_plan(void **state)
{
	struct fx	*f = *state;
	char		*detail;
	int		 n;

	fx_open(f);
	n = store_outbox_plan(f->st, &detail);
	if (n != 0)
		fail_msg("outbox plan: %s", detail != NULL ? detail : "error");
	free(detail);
}

static void
test_coalesce(void **state)
{
	struct fx	*f = *state;
	struct store_job j;
	int64_t		 r;
	char		*busy[] = { "KB-A" };

	fx_open(f);
	for (r = 1; r <= 5; r++)
		publish(f->st, "KB-A", r, 100);
	publish(f->st, "KB-B", 1, 100);
	assert_int_equal(store_outbox_count(f->st, "mail"), 6);

	/* Coalescing output: only the newest revision of KB-A goes. */
	expect(f->st, "mail", 100, true, "KB-A", 5, &j);
	assert_int_equal(store_outbox_count(f->st, "mail"), 2);
	assert_int_equal(store_job_done(f->st, &j, "remote-1", 101), 0);
	store_job_clear(&j);
	expect(f->st, "mail", 100, true, "KB-B", 1, &j);
	store_job_clear(&j);

	/* The others kept their revisions: the jsonl output gets all five. */
	for (r = 1; r <= 5; r++) {
		expect(f->st, "jsonl", 100, false, "KB-A", r, &j);
		assert_int_equal(store_job_done(f->st, &j, NULL, 101), 0);
		store_job_clear(&j);
	}
	expect(f->st, "jsonl", 100, false, "KB-B", 1, &j);
	store_job_clear(&j);
	assert_int_equal(store_commit(f->st), 0);

	/* A busy incident is skipped, then nothing is due. */
	publish(f->st, "KB-A", 6, 200);
	assert_int_equal(store_outbox_next(f->st, "mail", 200,
	    store_outbox_max(f->st), busy, 1, true, &j), 1);
	assert_string_equal(j.incident_id, "KB-B");
	store_job_clear(&j);

	/* Uncommitted rows are not handed out. */
	assert_int_equal(store_outbox_next(f->st, "mail", 200, 0, NULL, 0,
	    true, &j), 0);
}

static void
test_order(void **state)
{
	struct fx	*f = *state;
	struct store_job j;

	fx_open(f);
	publish(f->st, "KB-A", 1, 100);
	/* Revision 1 fails and waits until 300. */
	expect(f->st, "jsonl", 100, false, "KB-A", 1, &j);
	assert_int_equal(store_job_retry(f->st, &j, 300, "503"), 0);
	store_job_clear(&j);
	publish(f->st, "KB-A", 2, 150);
	publish(f->st, "KB-B", 1, 150);
	/* Revision 2 is due but must not overtake revision 1. */
	expect(f->st, "jsonl", 200, false, "KB-B", 1, &j);
	assert_int_equal(store_job_done(f->st, &j, NULL, 200), 0);
	store_job_clear(&j);
	expect(f->st, "jsonl", 200, false, NULL, 0, &j);
	expect(f->st, "jsonl", 300, false, "KB-A", 1, &j);
	assert_int_equal(store_job_done(f->st, &j, NULL, 300), 0);
	store_job_clear(&j);
	expect(f->st, "jsonl", 300, false, "KB-A", 2, &j);
	store_job_clear(&j);

	/* Coalescing across a retry: the newer revision replaces it. */
	expect(f->st, "mail", 100, true, "KB-A", 2, &j);
	assert_int_equal(store_job_retry(f->st, &j, 400, "451"), 0);
	store_job_clear(&j);
	publish(f->st, "KB-A", 3, 350);
	expect(f->st, "mail", 350, true, "KB-B", 1, &j);
	assert_int_equal(store_job_done(f->st, &j, NULL, 350), 0);
	store_job_clear(&j);
	expect(f->st, "mail", 350, true, NULL, 0, &j);
	expect(f->st, "mail", 400, true, "KB-A", 3, &j);
	assert_int_equal(store_job_done(f->st, &j, NULL, 400), 0);
	store_job_clear(&j);
	assert_int_equal(store_outbox_count(f->st, "mail"), 0);
	assert_int_equal(store_commit(f->st), 0);
}

static void
test_upgrade(void **state)
{
	struct fx	*f = *state;
	struct store_job j;
	sqlite3		*db;
	sqlite3_stmt	*stmt;
	char		 path[128];

	/* A file as schema version 1 left it, with a row queued. */
	snprintf(path, sizeof path, "%s/incidents.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT);"
	    "CREATE TABLE revisions (incident_id TEXT NOT NULL, revision "
	    " INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (incident_id, "
	    " revision));"
	    "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, output "
	    " TEXT NOT NULL, incident_id TEXT NOT NULL, revision INTEGER NOT "
	    " NULL, idem TEXT NOT NULL, created INTEGER, attempts INTEGER, "
	    " next_at INTEGER, last_error TEXT);"
	    "CREATE INDEX outbox_due ON outbox (output, next_at);"
	    "INSERT INTO meta VALUES ('schema', '1');"
	    "INSERT INTO revisions VALUES ('KB-OLD', 3, '{\"id\":\"KB-OLD\"}');"
	    "INSERT INTO outbox (output, incident_id, revision, idem, created, "
	    " attempts, next_at) VALUES ('mail', 'KB-OLD', 3, 'KB-OLD.r3', 1, "
	    " 0, 1);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	fx_open(f);
	expect(f->st, "mail", 100, true, "KB-OLD", 3, &j);
	assert_string_equal(j.idem, "KB-OLD.r3");
	store_job_clear(&j);
	store_close(f->st);
	f->st = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT v FROM meta "
	    "WHERE k = 'schema'), (SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'outbox_due')", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 2);
	assert_int_equal(sqlite3_column_int(stmt, 1), 0);
	sqlite3_finalize(stmt);
	/* A file from a newer keibid is refused. */
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET v = '99' WHERE k = "
	    "'schema'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	{
		char	*cause = NULL;
		bool	 busy;

		assert_null(store_open(f->dir, STORE_OWNER, &busy, &cause));
		assert_non_null(strstr(cause, "newer"));
		free(cause);
	}
}

/* A checkpoint writer: store_sync() over and over while the loop commits. */
static void *
syncer(void *arg)
{
	struct store	*st = arg;
	intptr_t	 bad = 0;
	int		 i;

	for (i = 0; i < 50; i++)
		if (store_sync(st) != 0)
			bad++;
	return (void *)bad;
}

static void
test_sync(void **state)
{
	struct fx	*f = *state;
	struct stat	 sb;
	pthread_t	 t;
	void		*bad;
	char		 p[128], id[32];
	int		 i;

	fx_open(f);
	/* Before anything is written there may be no log: nothing to do. */
	assert_int_equal(store_sync(f->st), 0);
	assert_int_equal(pthread_create(&t, NULL, syncer, f->st), 0);
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof id, "KB-2026-11-%04d", i);
		assert_int_equal(store_begin(f->st), 0);
		publish(f->st, id, 1, 1000 + i);
	}
	assert_int_equal(pthread_join(t, &bad), 0);
	assert_int_equal((intptr_t)bad, 0);
	assert_int_equal(store_sync(f->st), 0);
	/* The commits went to the log, which the sync found. */
	snprintf(p, sizeof p, "%s/incidents.db-wal", f->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_size > 0);
	assert_int_equal(store_outbox_count(f->st, NULL), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalesce, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
