/*
 * store.c: the incident store in SQLite.  The database runs in WAL mode
 * with synchronous=NORMAL: store_commit() writes the log without waiting
 * for the disk (a kill -9 at any moment leaves the last commit whole, the
 * kernel has it), and store_sync() fsyncs the log from whichever thread
 * the caller likes, so that the loop never waits for the disk; what a
 * power cut can take is what came after the last store_sync().  Every
 * statement is prepared once and kept.  The schema is created and
 * upgraded here and nowhere else; other modules never see SQL.
 *
 * This module must never interpret the records it keeps (they are opaque
 * JSON text to it), never block longer than its busy timeout, and never
 * commit on its own: the caller decides when a batch is durable.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

#define STORE_SCHEMA	2
#define STORE_BUSY_MS	10000
#define STORE_LIST_MAX	100000		/* rows one list returns at most */
#define STORE_WAL_PAGES	"16384"		/* log pages before the owner checkpoints */
#define STORE_WAL_KEEP	"16777216"	/* log bytes kept after a checkpoint */

enum store_stmt {
	SS_SEQ_GET = 0,
	SS_SEQ_PUT,
	SS_ALERT_ADD,
	SS_ALERT_COUNT,
	SS_KEY_GET,
	SS_KEY_PUT,
	SS_INC_PUT,
	SS_INC_DOC,
	SS_TL_ADD,
	SS_TL_LIST,
	SS_REV_PUT,
	SS_OB_ADD,
	SS_OB_MAX,
	SS_OB_NEXT,
	SS_OB_GET,
	SS_OB_NEWEST,
	SS_OB_OLDER,
	SS_OB_DEL,
	SS_OB_RETRY,
	SS_OB_COUNT,
	SS_OB_COUNT_ALL,
	SS_REV_GC,
	SS_REMOTE_GET,
	SS_REMOTE_PUT,
	SS_CH_ADD,
	SS_CH_NEXT,
	SS_CH_DONE,
	SS_CH_RESULT,
	SS_C2_IDS,
	SS_ALERT_SEEN,
	SS_INC_STATE,
	SS_HELD,
	SS_MAX
};

static const char *const store_sql[SS_MAX] = {
	[SS_SEQ_GET] = "SELECT n FROM seq WHERE month = ?1",
	[SS_SEQ_PUT] = "INSERT OR REPLACE INTO seq (month, n) VALUES (?1, ?2)",
	[SS_ALERT_ADD] = "INSERT OR IGNORE INTO alerts (key, incident_id, ts, "
	    "rule, source, dev, ino, off, len) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9)",
	[SS_ALERT_COUNT] = "SELECT count(*) FROM alerts WHERE incident_id = ?1",
	[SS_KEY_GET] = "SELECT incident_id, occurrence FROM keys WHERE "
	    "dedup_key = ?1",
	[SS_KEY_PUT] = "INSERT OR REPLACE INTO keys (dedup_key, incident_id, "
	    "occurrence) VALUES (?1, ?2, ?3)",
	[SS_INC_PUT] = "INSERT OR REPLACE INTO incidents (id, dedup_key, "
	    "occurrence, revision, category, severity, status, activity, "
	    "first_seen, last_seen, opened_at, updated_at, title, c2, doc, "
	    "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
	    "?13, ?14, ?15, ?16)",
	[SS_INC_DOC] = "SELECT doc FROM incidents WHERE id = ?1",
	[SS_TL_ADD] = "INSERT INTO timeline (incident_id, seq, ts, kind, who, "
	    "text) VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM "
	    "timeline WHERE incident_id = ?1), ?2, ?3, ?4, ?5)",
	[SS_TL_LIST] = "SELECT ts, kind, who, text FROM timeline WHERE "
	    "incident_id = ?1 ORDER BY seq",
	[SS_REV_PUT] = "INSERT OR REPLACE INTO revisions (incident_id, "
	    "revision, doc) VALUES (?1, ?2, ?3)",
	[SS_OB_ADD] = "INSERT INTO outbox (output, incident_id, revision, "
	    "idem, created, attempts, next_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, "
	    "?5)",
	[SS_OB_MAX] = "SELECT coalesce(max(id), 0) FROM outbox",
	/*
	 * The next due row: an index walk on outbox_next (output, next_at,
	 * id), no sort, and only the oldest pending row of each incident
	 * qualifies (outbox_inc), so an incident's revisions leave in order
	 * even when an older one waits for a retry.  The document is read
	 * for the chosen row only (SS_OB_GET).
	 */
	[SS_OB_NEXT] = "SELECT o.id, o.incident_id FROM outbox o "
	    "WHERE o.output = ?1 AND o.next_at <= ?2 "
	    "AND o.id <= ?3 AND NOT EXISTS (SELECT 1 FROM outbox p WHERE "
	    "p.output = ?1 AND p.incident_id = o.incident_id AND p.id < o.id) "
	    "ORDER BY o.next_at, o.id",
	[SS_OB_GET] = "SELECT o.id, o.incident_id, o.revision, o.idem, "
	    "o.created, o.attempts, o.next_at, r.doc FROM outbox o JOIN "
	    "revisions r ON r.incident_id = o.incident_id AND r.revision = "
	    "o.revision WHERE o.id = ?1",
	[SS_OB_NEWEST] = "SELECT max(id) FROM outbox WHERE output = ?1 AND "
	    "incident_id = ?2 AND id <= ?3",
	[SS_OB_OLDER] = "SELECT id, revision FROM outbox WHERE output = ?1 "
	    "AND incident_id = ?2 AND id < ?3 ORDER BY id LIMIT 1024",
	[SS_OB_DEL] = "DELETE FROM outbox WHERE id = ?1",
	[SS_OB_RETRY] = "UPDATE outbox SET attempts = attempts + 1, next_at = "
	    "?2, last_error = ?3 WHERE id = ?1",
	[SS_OB_COUNT] = "SELECT count(*) FROM outbox WHERE output = ?1",
	[SS_OB_COUNT_ALL] = "SELECT count(*) FROM outbox",
	[SS_REV_GC] = "DELETE FROM revisions WHERE incident_id = ?1 AND "
	    "revision = ?2 AND NOT EXISTS (SELECT 1 FROM outbox WHERE "
	    "incident_id = ?1 AND revision = ?2)",
	[SS_REMOTE_GET] = "SELECT revision, remote_id FROM remote WHERE "
	    "output = ?1 AND incident_id = ?2",
	[SS_REMOTE_PUT] = "INSERT INTO remote (output, incident_id, revision, "
	    "remote_id, first_rev, first_at, last_at) VALUES (?1, ?2, ?3, ?4, "
	    "?3, ?5, ?5) ON CONFLICT (output, incident_id) DO UPDATE SET "
	    "revision = max(revision, excluded.revision), remote_id = "
	    "coalesce(excluded.remote_id, remote_id), last_at = "
	    "excluded.last_at",
	[SS_CH_ADD] = "INSERT INTO changes (incident_id, op, arg, resolution, "
	    "note, who, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SS_CH_NEXT] = "SELECT id, incident_id, op, arg, resolution, note, "
	    "who, ts FROM changes WHERE applied IS NULL ORDER BY id LIMIT 1",
	[SS_CH_DONE] = "UPDATE changes SET applied = 1, result = ?2 WHERE "
	    "id = ?1",
	[SS_CH_RESULT] = "SELECT applied, result FROM changes WHERE id = ?1",
	[SS_ALERT_SEEN] = "SELECT 1 FROM alerts WHERE key = ?1",
	[SS_INC_STATE] = "SELECT state FROM incidents WHERE id = ?1",
	[SS_HELD] = "SELECT 1 FROM alerts a JOIN incidents i ON i.id = "
	    "a.incident_id WHERE a.dev = ?1 AND a.ino = ?2 AND a.off < ?4 AND "
	    "a.off + a.len > ?3 AND i.status NOT IN ('closed', 'merged') "
	    "LIMIT 1",
	[SS_C2_IDS] = "SELECT id FROM incidents WHERE c2 = ?1 AND category = "
	    "'beacon' AND status NOT IN ('closed', 'merged') ORDER BY id",
};

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);"
	"CREATE TABLE IF NOT EXISTS seq (month TEXT PRIMARY KEY, n INTEGER);"
	"CREATE TABLE IF NOT EXISTS incidents (id TEXT PRIMARY KEY, "
	" dedup_key TEXT NOT NULL, occurrence INTEGER NOT NULL, "
	" revision INTEGER NOT NULL, category TEXT, severity TEXT, "
	" status TEXT, activity TEXT, first_seen INTEGER, last_seen INTEGER, "
	" opened_at INTEGER, updated_at INTEGER, title TEXT, c2 TEXT, "
	" doc TEXT NOT NULL, state TEXT, UNIQUE (dedup_key, occurrence));"
	"CREATE INDEX IF NOT EXISTS incidents_c2 ON incidents (c2);"
	"CREATE TABLE IF NOT EXISTS keys (dedup_key TEXT PRIMARY KEY, "
	" incident_id TEXT NOT NULL, occurrence INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS alerts (key BLOB PRIMARY KEY, "
	" incident_id TEXT NOT NULL, ts INTEGER, rule TEXT, source TEXT, "
	" dev INTEGER, ino INTEGER, off INTEGER, len INTEGER) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS alerts_incident ON alerts (incident_id);"
	"CREATE INDEX IF NOT EXISTS alerts_place ON alerts (dev, ino, off);"
	"CREATE TABLE IF NOT EXISTS timeline (incident_id TEXT NOT NULL, "
	" seq INTEGER NOT NULL, ts INTEGER, kind TEXT, who TEXT, text TEXT, "
	" PRIMARY KEY (incident_id, seq));"
	"CREATE TABLE IF NOT EXISTS revisions (incident_id TEXT NOT NULL, "
	" revision INTEGER NOT NULL, doc TEXT NOT NULL, "
	" PRIMARY KEY (incident_id, revision));"
	"CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY "
	" AUTOINCREMENT, output TEXT NOT NULL, incident_id TEXT NOT NULL, "
	" revision INTEGER NOT NULL, idem TEXT NOT NULL, created INTEGER, "
	" attempts INTEGER, next_at INTEGER, last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS outbox_next ON outbox (output, next_at, "
	" id);"
	"CREATE INDEX IF NOT EXISTS outbox_inc ON outbox (output, "
	" incident_id, id);"
	"CREATE TABLE IF NOT EXISTS remote (output TEXT NOT NULL, "
	" incident_id TEXT NOT NULL, revision INTEGER, remote_id TEXT, "
	" first_rev INTEGER, first_at INTEGER, last_at INTEGER, "
	" PRIMARY KEY (output, incident_id));"
	"CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY "
	" AUTOINCREMENT, incident_id TEXT, op TEXT, arg TEXT, resolution TEXT, "
	" note TEXT, who TEXT, ts INTEGER, applied INTEGER, result TEXT);"
	"INSERT OR IGNORE INTO meta (k, v) VALUES ('schema', '2');";

/*
 * Upgrades of an existing file, from version n-1 to n at index n, run in
 * one transaction with the version bump.  Version 2: the outbox is picked
 * by an index walk (outbox_next, outbox_inc, made by the schema above)
 * instead of sorting every queued row; outbox_due is no longer used.
 */
static const char *const store_upgrade[STORE_SCHEMA + 1] = {
	[2] = "DROP INDEX IF EXISTS outbox_due;",
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[SS_MAX];
	/*
	 * store_sync()'s own connection, for its checkpoints: used by one
	 * thread at a time (smu), never the owner's loop connection.
	 */
	sqlite3		*sdb;
	pthread_mutex_t	 smu;
	char		*path;
	int		 lockfd;
	bool		 txn;
	bool		 rdonly;
	int		 data_version;
	struct store_stats stats;
};

int	store_begin(struct store *);

/* Report a database error in *cause and return -1. */
static int
store_fail(sqlite3 *db, const char *path, const char *what, char **cause)
{
	if (asprintf(cause, "%s: %s: %s", path, what,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory") == -1)
		fatal("asprintf");
	return -1;
}

/* Log a failed statement (rate-limited); returns -1. */
static int
store_err(struct store *st, const char *what)
{
	log_warnx_rl("store", "%s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
	return -1;
}

/* The kept statement s, reset and unbound. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt s)
{
	sqlite3_stmt	*stmt = st->st[s];

	if (stmt == NULL) {
		if (sqlite3_prepare_v3(st->db, store_sql[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->st[s], NULL) != SQLITE_OK) {
			store_err(st, "prepare");
			return NULL;
		}
		return st->st[s];
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

/* Bind text or NULL. */
static void
store_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

/* A malloc'd copy of column i (NULL stays NULL). */
static char *
store_col_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*p;
	char			*s;

	if ((p = sqlite3_column_text(stmt, i)) == NULL)
		return NULL;
	if ((s = strdup((const char *)p)) == NULL)
		fatal("strdup");
	return s;
}

/* Run a statement that writes (in the batch) and returns no rows; 0/-1. */
static int
store_run(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int	rc;

	/* Every write joins the batch; reads never hold a lock. */
	if (!st->txn && store_begin(st) != 0) {
		sqlite3_reset(stmt);
		return -1;
	}
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_err(st, what);
	return 0;
}

/*
 * Bring a file made by an older keibid to STORE_SCHEMA: the upgrades
 * and the new version number commit together, so a crash leaves the old
 * version whole and the upgrade runs again.  A file of a newer version
 * is refused.  0, or -1 with *cause.
 */
static int
store_migrate(struct store *st, char **cause)
{
	sqlite3_stmt	*stmt;
	char		*err = NULL, num[16];
	long long	 v = 0;
	int		 i;

	if (sqlite3_prepare_v2(st->db, "SELECT v FROM meta WHERE k = "
	    "'schema'", -1, &stmt, NULL) != SQLITE_OK)
		return store_fail(st->db, st->path, "schema", cause);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (v > STORE_SCHEMA) {
		if (asprintf(cause, "%s: schema version %lld is newer than "
		    "this keibid's (%d)", st->path, v, STORE_SCHEMA) == -1)
			fatal("asprintf");
		return -1;
	}
	if (v == STORE_SCHEMA)
		return 0;
	if (v < 1)
		v = 1;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
	    &err) != SQLITE_OK)
		goto fail;
	for (i = (int)v + 1; i <= STORE_SCHEMA; i++) {
		if (store_upgrade[i] != NULL && sqlite3_exec(st->db,
		    store_upgrade[i], NULL, NULL, &err) != SQLITE_OK)
			goto fail;
	}
	snprintf(num, sizeof num, "%d", STORE_SCHEMA);
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta (k, v) "
	    "VALUES ('schema', ?1)", -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(stmt, 1, num, -1, SQLITE_STATIC);
	i = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (i != SQLITE_DONE ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	log_info("%s: schema upgraded from version %lld to %d", st->path, v,
	    STORE_SCHEMA);
	return 0;
fail:
	if (asprintf(cause, "%s: schema upgrade: %s", st->path,
	    err != NULL ? err : sqlite3_errmsg(st->db)) == -1)
		fatal("asprintf");
	sqlite3_free(err);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct store *
store_open(const char *dir, int flags, bool *busy, char **cause)
{
	struct store	*st;
	char		*lock = NULL, *err = NULL;
	int		 oflags, rc;

	if (busy != NULL)
		*busy = false;
	if ((st = calloc(1, sizeof *st)) == NULL)
		fatal("calloc");
	st->lockfd = -1;
	pthread_mutex_init(&st->smu, NULL);
	st->rdonly = (flags & STORE_RDONLY) != 0;
	if (asprintf(&st->path, "%s/%s", dir, STORE_FILE) == -1)
		fatal("asprintf");
	if (flags & STORE_OWNER) {
		if (asprintf(&lock, "%s/%s", dir, STORE_LOCK) == -1)
			fatal("asprintf");
		st->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (st->lockfd == -1) {
			if (asprintf(cause, "%s: %s", lock,
			    strerror(errno)) == -1)
				fatal("asprintf");
			goto fail;
		}
		if (flock(st->lockfd, LOCK_EX | LOCK_NB) != 0) {
			if (busy != NULL)
				*busy = errno == EWOULDBLOCK;
			if (asprintf(cause, "%s: owned by another process "
			    "(keibid running?)", st->path) == -1)
				fatal("asprintf");
			goto fail;
		}
	}
	oflags = st->rdonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(st->path, &st->db, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		store_fail(st->db, st->path, "open", cause);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(st->db, 1);
	if (!st->rdonly) {
		/*
		 * Checkpoints are store_sync()'s, off the loop; the owner
		 * checkpoints only if the log grows past STORE_WAL_PAGES
		 * (nothing synced for long).  The schema in one transaction:
		 * one sync, not one a table.
		 */
		if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL;"
		    "PRAGMA wal_autocheckpoint=" STORE_WAL_PAGES ";"
		    "PRAGMA journal_size_limit=" STORE_WAL_KEEP ";", NULL, NULL,
		    &err) != SQLITE_OK ||
		    sqlite3_exec(st->db, "BEGIN", NULL, NULL, &err) !=
		    SQLITE_OK ||
		    sqlite3_exec(st->db, store_schema, NULL, NULL,
		    &err) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &err) !=
		    SQLITE_OK) {
			if (asprintf(cause, "%s: %s", st->path,
			    err != NULL ? err : "schema") == -1)
				fatal("asprintf");
			sqlite3_free(err);
			if (!sqlite3_get_autocommit(st->db))
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL,
				    NULL);
			goto fail;
		}
		chmod(st->path, 0640);
		if (store_migrate(st, cause) != 0)
			goto fail;
	}
	/* Sorts and temporary indexes, if a plan needs one, stay in memory. */
	sqlite3_exec(st->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	free(lock);
	store_changed(st);
	return st;
fail:
	free(lock);
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t	i;

	if (st == NULL)
		return;
	if (st->txn)
		store_commit(st);
	for (i = 0; i < SS_MAX; i++)
		sqlite3_finalize(st->st[i]);
	/* The sync connection first: the owner's close ends the log. */
	if (st->sdb != NULL)
		sqlite3_close(st->sdb);
	if (st->db != NULL)
		sqlite3_close(st->db);
	if (st->lockfd != -1)
		close(st->lockfd);
	pthread_mutex_destroy(&st->smu);
	free(st->path);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_begin(struct store *st)
{
	if (st->txn)
		return 0;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL) != SQLITE_OK)
		return store_err(st, "begin");
	st->txn = true;
	return 0;
}

int
store_commit(struct store *st)
{
	struct timespec	t0, t1;
	int		rc = 0;

	if (!st->txn)
		return 0;
	st->txn = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_err(st, "commit");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->stats.commits++;
	st->stats.commit_us += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000);
	return rc;
}

int
store_sync(struct store *st)
{
	char	*wal, *dir, *slash;
	int	 fd, rc = 0, e = 0;

	pthread_mutex_lock(&st->smu);
	/*
	 * A passive checkpoint copies what it can of the log into the
	 * database (it syncs the log first and the database after) without
	 * waiting for anyone; the fsync below covers what came after it.
	 */
	if (st->sdb == NULL && sqlite3_open_v2(st->path, &st->sdb,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(st->sdb);
		st->sdb = NULL;
	}
	if (st->sdb != NULL)
		(void)sqlite3_wal_checkpoint_v2(st->sdb, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (asprintf(&wal, "%s-wal", st->path) == -1)
		fatal("asprintf");
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fsync(fd) != 0) {
			e = errno;
			rc = -1;
		}
		close(fd);
	} else if (errno != ENOENT) {
		e = errno;
		rc = -1;
	}
	free(wal);
	/* The log's name in its folder (made when the log was). */
	if ((dir = strdup(st->path)) == NULL)
		fatal("strdup");
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(fd) != 0 && rc == 0) {
			e = errno;
			rc = -1;
		}
		close(fd);
	} else if (rc == 0) {
		e = errno;
		rc = -1;
	}
	free(dir);
	pthread_mutex_unlock(&st->smu);
	if (rc != 0)
		errno = e;
	return rc;
}

bool
store_in_txn(const struct store *st)
{
	return st->txn;
}

void
store_stats(const struct store *st, struct store_stats *s)
{
	*s = st->stats;
}

bool
store_changed(struct store *st)
{
	sqlite3_stmt	*stmt;
	int		 v = 0;
	bool		 changed;

	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &stmt,
	    NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	changed = v != st->data_version;
	st->data_version = v;
	return changed;
}

int64_t
store_next_seq(struct store *st, const char *month)
{
	sqlite3_stmt	*stmt;
	int64_t		 n = 0;

	if ((stmt = store_stmt(st, SS_SEQ_GET)) == NULL)
		return 0;
	store_bind_text(stmt, 1, month);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	n++;
	if ((stmt = store_stmt(st, SS_SEQ_PUT)) == NULL)
		return 0;
	store_bind_text(stmt, 1, month);
	sqlite3_bind_int64(stmt, 2, n);
	if (store_run(st, stmt, "sequence") != 0)
		return 0;
	return n;
}

int
store_alert_add(struct store *st, const unsigned char *key,
    const char *incident_id, int64_t ts, const char *rule, const char *source,
    uint64_t dev, uint64_t ino, uint64_t offset, uint64_t length)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_ALERT_ADD)) == NULL)
		return -1;
	sqlite3_bind_blob(stmt, 1, key, 32, SQLITE_TRANSIENT);
	store_bind_text(stmt, 2, incident_id);
	sqlite3_bind_int64(stmt, 3, ts);
	store_bind_text(stmt, 4, rule);
	store_bind_text(stmt, 5, source);
	sqlite3_bind_int64(stmt, 6, (int64_t)dev);
	sqlite3_bind_int64(stmt, 7, (int64_t)ino);
	sqlite3_bind_int64(stmt, 8, (int64_t)offset);
	sqlite3_bind_int64(stmt, 9, (int64_t)length);
	if (store_run(st, stmt, "alert") != 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int64_t
store_alert_count(struct store *st, const char *incident_id)
{
	sqlite3_stmt	*stmt;
	int64_t		 n = 0;

	if ((stmt = store_stmt(st, SS_ALERT_COUNT)) == NULL)
		return 0;
	store_bind_text(stmt, 1, incident_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

int
store_key_get(struct store *st, const char *key, char **id,
    int64_t *occurrence)
{
	sqlite3_stmt	*stmt;
	int		 rc, found = 0;

	*id = NULL;
	*occurrence = 0;
	if ((stmt = store_stmt(st, SS_KEY_GET)) == NULL)
		return -1;
	store_bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = store_col_text(stmt, 0);
		*occurrence = sqlite3_column_int64(stmt, 1);
		found = 1;
	} else if (rc != SQLITE_DONE)
		found = store_err(st, "key");
	sqlite3_reset(stmt);
	return found;
}

int
store_key_put(struct store *st, const char *key, const char *id,
    int64_t occurrence)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_KEY_PUT)) == NULL)
		return -1;
	store_bind_text(stmt, 1, key);
	store_bind_text(stmt, 2, id);
	sqlite3_bind_int64(stmt, 3, occurrence);
	return store_run(st, stmt, "key");
}

int
store_incident_put(struct store *st, const struct store_incident *si,
    const char *c2)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_INC_PUT)) == NULL)
		return -1;
	store_bind_text(stmt, 1, si->id);
	store_bind_text(stmt, 2, si->dedup_key);
	sqlite3_bind_int64(stmt, 3, si->occurrence);
	sqlite3_bind_int64(stmt, 4, si->revision);
	store_bind_text(stmt, 5, si->category);
	store_bind_text(stmt, 6, si->severity);
	store_bind_text(stmt, 7, si->status);
	store_bind_text(stmt, 8, si->activity);
	sqlite3_bind_int64(stmt, 9, si->first_seen);
	sqlite3_bind_int64(stmt, 10, si->last_seen);
	sqlite3_bind_int64(stmt, 11, si->opened_at);
	sqlite3_bind_int64(stmt, 12, si->updated_at);
	store_bind_text(stmt, 13, si->title);
	store_bind_text(stmt, 14, c2);
	store_bind_text(stmt, 15, si->doc);
	store_bind_text(stmt, 16, si->state);
	return store_run(st, stmt, "incident");
}

char *
store_incident_doc(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt;
	char		*doc = NULL;

	if ((stmt = store_stmt(st, SS_INC_DOC)) == NULL)
		return NULL;
	store_bind_text(stmt, 1, id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		doc = store_col_text(stmt, 0);
	sqlite3_reset(stmt);
	return doc;
}

char *
store_incident_state(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt;
	char		*state = NULL;

	if ((stmt = store_stmt(st, SS_INC_STATE)) == NULL)
		return NULL;
	store_bind_text(stmt, 1, id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		state = store_col_text(stmt, 0);
	sqlite3_reset(stmt);
	return state;
}

bool
store_alert_seen(struct store *st, const unsigned char *key)
{
	sqlite3_stmt	*stmt;
	bool		 seen;

	if ((stmt = store_stmt(st, SS_ALERT_SEEN)) == NULL)
		return false;
	sqlite3_bind_blob(stmt, 1, key, 32, SQLITE_TRANSIENT);
	seen = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_reset(stmt);
	return seen;
}

bool
store_held(struct store *st, uint64_t dev, uint64_t ino, uint64_t start,
    uint64_t end)
{
	sqlite3_stmt	*stmt;
	bool		 held;

	if ((stmt = store_stmt(st, SS_HELD)) == NULL)
		return true;	/* in doubt, keep it */
	sqlite3_bind_int64(stmt, 1, (int64_t)dev);
	sqlite3_bind_int64(stmt, 2, (int64_t)ino);
	sqlite3_bind_int64(stmt, 3, (int64_t)start);
	sqlite3_bind_int64(stmt, 4, (int64_t)end);
	held = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_reset(stmt);
	return held;
}

size_t
store_incidents(struct store *st, const char *status,
    struct store_incident **out)
{
	sqlite3_stmt		*stmt;
	struct store_incident	*v = NULL, *si;
	size_t			 n = 0, cap = 0;
	const char		*sql;

	*out = NULL;
	if (status == NULL)
		sql = "SELECT id, dedup_key, occurrence, revision, category, "
		    "severity, status, activity, first_seen, last_seen, "
		    "opened_at, updated_at, title FROM incidents ORDER BY "
		    "opened_at DESC, id DESC";
	else if (strcmp(status, "open") == 0)
		sql = "SELECT id, dedup_key, occurrence, revision, category, "
		    "severity, status, activity, first_seen, last_seen, "
		    "opened_at, updated_at, title FROM incidents WHERE status "
		    "NOT IN ('closed', 'merged') ORDER BY opened_at DESC, "
		    "id DESC";
	else
		sql = "SELECT id, dedup_key, occurrence, revision, category, "
		    "severity, status, activity, first_seen, last_seen, "
		    "opened_at, updated_at, title FROM incidents WHERE status "
		    "= ?1 ORDER BY opened_at DESC, id DESC";
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_err(st, "list");
		return 0;
	}
	if (status != NULL && strcmp(status, "open") != 0)
		store_bind_text(stmt, 1, status);
	while (n < STORE_LIST_MAX && sqlite3_step(stmt) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((v = reallocarray(v, cap, sizeof *v)) == NULL)
				fatal("reallocarray");
		}
		si = &v[n++];
		memset(si, 0, sizeof *si);
		si->id = store_col_text(stmt, 0);
		si->dedup_key = store_col_text(stmt, 1);
		si->occurrence = sqlite3_column_int64(stmt, 2);
		si->revision = sqlite3_column_int64(stmt, 3);
		si->category = store_col_text(stmt, 4);
		si->severity = store_col_text(stmt, 5);
		si->status = store_col_text(stmt, 6);
		si->activity = store_col_text(stmt, 7);
		si->first_seen = sqlite3_column_int64(stmt, 8);
		si->last_seen = sqlite3_column_int64(stmt, 9);
		si->opened_at = sqlite3_column_int64(stmt, 10);
		si->updated_at = sqlite3_column_int64(stmt, 11);
		si->title = store_col_text(stmt, 12);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return n;
}

void
store_incidents_free(struct store_incident *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].dedup_key);
		free(v[i].category);
		free(v[i].severity);
		free(v[i].status);
		free(v[i].activity);
		free(v[i].title);
		free(v[i].doc);
		free(v[i].state);
	}
	free(v);
}

size_t
store_alert_times(struct store *st, const char *id, int64_t **out)
{
	sqlite3_stmt	*stmt;
	int64_t		*v = NULL;
	size_t		 n = 0, cap = 0;

	*out = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT ts FROM alerts WHERE "
	    "incident_id = ?1 ORDER BY ts", -1, &stmt, NULL) != SQLITE_OK) {
		store_err(st, "alerts");
		return 0;
	}
	store_bind_text(stmt, 1, id);
	while (n < STORE_LIST_MAX && sqlite3_step(stmt) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((v = reallocarray(v, cap, sizeof *v)) == NULL)
				fatal("reallocarray");
		}
		v[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return n;
}

size_t
store_c2_ids(struct store *st, const char *c2, char ***out)
{
	sqlite3_stmt	*stmt;
	char		**v = NULL;
	size_t		 n = 0;

	*out = NULL;
	if ((stmt = store_stmt(st, SS_C2_IDS)) == NULL)
		return 0;
	store_bind_text(stmt, 1, c2);
	while (n < 4096 && sqlite3_step(stmt) == SQLITE_ROW) {
		if ((v = reallocarray(v, n + 1, sizeof *v)) == NULL)
			fatal("reallocarray");
		v[n++] = store_col_text(stmt, 0);
	}
	sqlite3_reset(stmt);
	*out = v;
	return n;
}

void
store_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
store_tl_add(struct store *st, const char *id, int64_t ts, const char *kind,
    const char *by, const char *text)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_TL_ADD)) == NULL)
		return -1;
	store_bind_text(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, ts);
	store_bind_text(stmt, 3, kind);
	store_bind_text(stmt, 4, by);
	store_bind_text(stmt, 5, text);
	return store_run(st, stmt, "timeline");
}

size_t
store_tl(struct store *st, const char *id, struct store_tl **out)
{
	sqlite3_stmt	*stmt;
	struct store_tl	*v = NULL;
	size_t		 n = 0;

	*out = NULL;
	if ((stmt = store_stmt(st, SS_TL_LIST)) == NULL)
		return 0;
	store_bind_text(stmt, 1, id);
	while (n < STORE_LIST_MAX && sqlite3_step(stmt) == SQLITE_ROW) {
		if ((v = reallocarray(v, n + 1, sizeof *v)) == NULL)
			fatal("reallocarray");
		v[n].ts = sqlite3_column_int64(stmt, 0);
		v[n].kind = store_col_text(stmt, 1);
		v[n].by = store_col_text(stmt, 2);
		v[n].text = store_col_text(stmt, 3);
		n++;
	}
	sqlite3_reset(stmt);
	*out = v;
	return n;
}

void
store_tl_free(struct store_tl *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].kind);
		free(v[i].by);
		free(v[i].text);
	}
	free(v);
}

int
store_publish(struct store *st, const char *id, int64_t revision,
    const char *doc, char *const *outputs, size_t noutputs, int64_t now)
{
	sqlite3_stmt	*stmt;
	char		*idem;
	size_t		 i;
	int		 rc = 0;

	if (noutputs == 0)
		return 0;
	if ((stmt = store_stmt(st, SS_REV_PUT)) == NULL)
		return -1;
	store_bind_text(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, revision);
	store_bind_text(stmt, 3, doc);
	if (store_run(st, stmt, "revision") != 0)
		return -1;
	for (i = 0; i < noutputs; i++) {
		/* Stable over retries and restarts: which revision. */
		if (asprintf(&idem, "%s.r%lld", id, (long long)revision) == -1)
			fatal("asprintf");
		if ((stmt = store_stmt(st, SS_OB_ADD)) == NULL) {
			free(idem);
			return -1;
		}
		store_bind_text(stmt, 1, outputs[i]);
		store_bind_text(stmt, 2, id);
		sqlite3_bind_int64(stmt, 3, revision);
		store_bind_text(stmt, 4, idem);
		sqlite3_bind_int64(stmt, 5, now);
		if (store_run(st, stmt, "outbox") != 0)
			rc = -1;
		free(idem);
	}
	return rc;
}

int64_t
store_outbox_max(struct store *st)
{
	sqlite3_stmt	*stmt;
	int64_t		 n = 0;

	if ((stmt = store_stmt(st, SS_OB_MAX)) == NULL)
		return 0;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

/* Drop the row id and its revision when nothing else needs it. */
static int
store_outbox_del(struct store *st, int64_t id, const char *incident_id,
    int64_t revision)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_OB_DEL)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_run(st, stmt, "outbox") != 0)
		return -1;
	if ((stmt = store_stmt(st, SS_REV_GC)) == NULL)
		return -1;
	store_bind_text(stmt, 1, incident_id);
	sqlite3_bind_int64(stmt, 2, revision);
	return store_run(st, stmt, "revisions");
}

/* True if s is one of v. */
static bool
store_in(const char *s, char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return true;
	return false;
}

/*
 * Coalesce: a newer revision of the incident is queued for output (row
 * newest, committed), so the older pending rows before it are dropped
 * and newest goes in their place.  The caller picked the oldest pending
 * row of an incident none of whose rows is in flight, so nothing dropped
 * here is being delivered; the drop joins the batch transaction, and a
 * crash before it commits only sends the older revisions again.  A
 * revision is dropped only while a newer one stays queued, so the
 * receiver always ends with the newest record.  Bounded by 1024 rows per
 * call (the rest go on the next pick).
 */
static void
store_coalesce(struct store *st, const char *output, const char *incident_id,
    int64_t newest)
{
	sqlite3_stmt	*stmt;
	int64_t		 ids[64], revs[64];
	size_t		 n, i, total = 0;

	do {
		if ((stmt = store_stmt(st, SS_OB_OLDER)) == NULL)
			return;
		store_bind_text(stmt, 1, output);
		store_bind_text(stmt, 2, incident_id);
		sqlite3_bind_int64(stmt, 3, newest);
		n = 0;
		while (n < 64 && sqlite3_step(stmt) == SQLITE_ROW) {
			ids[n] = sqlite3_column_int64(stmt, 0);
			revs[n] = sqlite3_column_int64(stmt, 1);
			n++;
		}
		sqlite3_reset(stmt);
		for (i = 0; i < n; i++)
			if (store_outbox_del(st, ids[i], incident_id,
			    revs[i]) != 0)
				return;
		total += n;
	} while (n == 64 && total < 1024);
}

/* The newest committed row of output/incident (at most max_id), or 0. */
static int64_t
store_outbox_newest(struct store *st, const char *output,
    const char *incident_id, int64_t max_id)
{
	sqlite3_stmt	*stmt;
	int64_t		 id = 0;

	if ((stmt = store_stmt(st, SS_OB_NEWEST)) == NULL)
		return 0;
	store_bind_text(stmt, 1, output);
	store_bind_text(stmt, 2, incident_id);
	sqlite3_bind_int64(stmt, 3, max_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return id;
}

/* Fill job from row id with its revision's record: 1, 0 gone, -1. */
static int
store_outbox_get(struct store *st, int64_t id, struct store_job *job)
{
	sqlite3_stmt	*stmt;
	int		 rc, found = 0;

	if ((stmt = store_stmt(st, SS_OB_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		job->id = sqlite3_column_int64(stmt, 0);
		job->incident_id = store_col_text(stmt, 1);
		job->revision = sqlite3_column_int64(stmt, 2);
		job->idem = store_col_text(stmt, 3);
		job->created = sqlite3_column_int64(stmt, 4);
		job->attempts = sqlite3_column_int64(stmt, 5);
		job->next_at = sqlite3_column_int64(stmt, 6);
		job->doc = store_col_text(stmt, 7);
		found = 1;
	} else if (rc != SQLITE_DONE)
		found = store_err(st, "outbox");
	sqlite3_reset(stmt);
	return found;
}

/*
 * The pick walks outbox_next in (next_at, id) order and stops at the
 * first row whose incident is not busy: at most nbusy + 1 rows are read,
 * since only the oldest pending row of an incident qualifies.
 */
int
store_outbox_next(struct store *st, const char *output, int64_t now,
    int64_t max_id, char *const *busy, size_t nbusy, bool coalesce,
    struct store_job *job)
{
	sqlite3_stmt	*stmt;
	const char	*inc;
	char		*incident = NULL;
	int64_t		 id = 0, newest;
	int		 rc, found = 0;

	memset(job, 0, sizeof *job);
	if ((stmt = store_stmt(st, SS_OB_NEXT)) == NULL)
		return -1;
	store_bind_text(stmt, 1, output);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, max_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		inc = (const char *)sqlite3_column_text(stmt, 1);
		if (inc == NULL || store_in(inc, busy, nbusy))
			continue;
		id = sqlite3_column_int64(stmt, 0);
		if ((incident = strdup(inc)) == NULL)
			fatal("strdup");
		found = 1;
		break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		found = store_err(st, "outbox");
	sqlite3_reset(stmt);
	if (found != 1)
		return found;
	/*
	 * Receivers want the latest record: a newer revision already
	 * queued replaces this one and everything older.
	 */
	if (coalesce) {
		newest = store_outbox_newest(st, output, incident, max_id);
		if (newest > id) {
			store_coalesce(st, output, incident, newest);
			id = newest;
		}
	}
	free(incident);
	if ((found = store_outbox_get(st, id, job)) != 1) {
		store_job_clear(job);
		return found;
	}
	if ((job->output = strdup(output)) == NULL)
		fatal("strdup");
	store_remote(st, output, job->incident_id, &job->first_rev,
	    &job->remote_id);
	return 1;
}

int
store_outbox_plan(struct store *st, char **detail)
{
	static const enum store_stmt which[] = { SS_OB_NEXT, SS_OB_GET,
	    SS_OB_NEWEST, SS_OB_OLDER };
	sqlite3_stmt	*stmt;
	const char	*d;
	char		*sql;
	size_t		 i;
	int		 n = 0;

	*detail = NULL;
	for (i = 0; i < sizeof which / sizeof which[0]; i++) {
		if (asprintf(&sql, "EXPLAIN QUERY PLAN %s",
		    store_sql[which[i]]) == -1)
			fatal("asprintf");
		if (sqlite3_prepare_v2(st->db, sql, -1, &stmt,
		    NULL) != SQLITE_OK) {
			free(sql);
			return store_err(st, "explain");
		}
		free(sql);
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			d = (const char *)sqlite3_column_text(stmt, 3);
			if (d == NULL || (strstr(d, "TEMP B-TREE") == NULL &&
			    strncmp(d, "SCAN ", 5) != 0))
				continue;
			n++;
			if (*detail == NULL && (*detail = strdup(d)) == NULL)
				fatal("strdup");
		}
		sqlite3_finalize(stmt);
	}
	return n;
}

void
store_job_clear(struct store_job *job)
{
	free(job->output);
	free(job->incident_id);
	free(job->idem);
	free(job->doc);
	free(job->remote_id);
	memset(job, 0, sizeof *job);
}

int
store_job_done(struct store *st, const struct store_job *job,
    const char *remote_id, int64_t now)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_REMOTE_PUT)) == NULL)
		return -1;
	store_bind_text(stmt, 1, job->output);
	store_bind_text(stmt, 2, job->incident_id);
	sqlite3_bind_int64(stmt, 3, job->revision);
	store_bind_text(stmt, 4, remote_id);
	sqlite3_bind_int64(stmt, 5, now);
	if (store_run(st, stmt, "remote") != 0)
		return -1;
	return store_outbox_del(st, job->id, job->incident_id, job->revision);
}

int
store_job_retry(struct store *st, const struct store_job *job,
    int64_t next_at, const char *error)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_OB_RETRY)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, job->id);
	sqlite3_bind_int64(stmt, 2, next_at);
	store_bind_text(stmt, 3, error);
	return store_run(st, stmt, "outbox");
}

int
store_job_drop(struct store *st, const struct store_job *job)
{
	return store_outbox_del(st, job->id, job->incident_id, job->revision);
}

int64_t
store_outbox_count(struct store *st, const char *output)
{
	sqlite3_stmt	*stmt;
	int64_t		 n = 0;

	stmt = store_stmt(st, output != NULL ? SS_OB_COUNT : SS_OB_COUNT_ALL);
	if (stmt == NULL)
		return 0;
	if (output != NULL)
		store_bind_text(stmt, 1, output);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

int
store_remote(struct store *st, const char *output, const char *id,
    int64_t *revision, char **remote_id)
{
	sqlite3_stmt	*stmt;
	int		 found = 0;

	*revision = 0;
	*remote_id = NULL;
	if ((stmt = store_stmt(st, SS_REMOTE_GET)) == NULL)
		return -1;
	store_bind_text(stmt, 1, output);
	store_bind_text(stmt, 2, id);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*revision = sqlite3_column_int64(stmt, 0);
		*remote_id = store_col_text(stmt, 1);
		found = 1;
	}
	sqlite3_reset(stmt);
	return found;
}

int64_t
store_change_add(struct store *st, const struct store_change *ch)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_CH_ADD)) == NULL)
		return -1;
	store_bind_text(stmt, 1, ch->incident_id);
	store_bind_text(stmt, 2, ch->op);
	store_bind_text(stmt, 3, ch->arg);
	store_bind_text(stmt, 4, ch->resolution);
	store_bind_text(stmt, 5, ch->note);
	store_bind_text(stmt, 6, ch->who);
	sqlite3_bind_int64(stmt, 7, ch->ts);
	if (store_run(st, stmt, "change") != 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_change_next(struct store *st, struct store_change *ch)
{
	sqlite3_stmt	*stmt;
	int		 found = 0;

	memset(ch, 0, sizeof *ch);
	if ((stmt = store_stmt(st, SS_CH_NEXT)) == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		ch->id = sqlite3_column_int64(stmt, 0);
		ch->incident_id = store_col_text(stmt, 1);
		ch->op = store_col_text(stmt, 2);
		ch->arg = store_col_text(stmt, 3);
		ch->resolution = store_col_text(stmt, 4);
		ch->note = store_col_text(stmt, 5);
		ch->who = store_col_text(stmt, 6);
		ch->ts = sqlite3_column_int64(stmt, 7);
		found = 1;
	}
	sqlite3_reset(stmt);
	return found;
}

int
store_change_done(struct store *st, int64_t id, const char *result)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, SS_CH_DONE)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, result);
	return store_run(st, stmt, "change");
}

int
store_change_result(struct store *st, int64_t id, char **result)
{
	sqlite3_stmt	*stmt;
	int		 found = -1;

	*result = NULL;
	if ((stmt = store_stmt(st, SS_CH_RESULT)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		found = sqlite3_column_type(stmt, 0) == SQLITE_NULL ? 0 : 1;
		if (found == 1)
			*result = store_col_text(stmt, 1);
	}
	sqlite3_reset(stmt);
	return found;
}

void
store_change_clear(struct store_change *ch)
{
	free(ch->incident_id);
	free(ch->op);
	free(ch->arg);
	free(ch->resolution);
	free(ch->note);
	free(ch->who);
	memset(ch, 0, sizeof *ch);
}
