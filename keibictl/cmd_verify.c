/*
 * cmd_verify.c: keibictl verify, the check of an evidence archive that
 * needs no daemon.  It recomputes every manifest entry's hash and the
 * chain, the SHA-256 of every segment file and of its decompressed bytes,
 * their sizes and line counts, the continuity of each file's byte ranges
 * (gaps only where a gap record says so), SHA256SUMS, files the manifest
 * does not name, the hash of each segment's index, and the signed chain
 * head when a public key is given (reading is shared with hunt, extract
 * and replay in manifest.c).
 * It prints a verdict and the first problem found, and never changes the
 * archive.  Text taken from the archive is escaped before it is printed.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "evidence.h"
#include "keibictl.h"
#include "log.h"
#include "manifest.h"
#include "progress.h"

#define VERIFY_SHOW	20		/* problems printed */

struct verify {
	const char	*dir;
	json_t		*seen;		/* "source dev ino" -> next offset */
	json_t		*lastgap;	/* same key -> last gap entry text */
	json_t		*files;		/* file -> sha256_gz of live segments */
	json_t		*gone;		/* deleted files */
	json_t		*indexes;	/* index files of live segments */
	unsigned long	 problems;
	unsigned long	 warnings;
	uint64_t	 entries;
	uint64_t	 segments;
	uint64_t	 gaps;
	uint64_t	 deleted;
	uint64_t	 raw;
	uint64_t	 total;		/* raw bytes of every segment entry */
	uint64_t	 done;		/* of those, looked at */
	struct progress	*pg;		/* a bar on a terminal, or NULL */
	char		 head[65];
};

/* Report a problem (the first one is the verdict's reason). */
static void __attribute__((format(printf, 2, 3)))
verify_problem(struct verify *v, const char *fmt, ...)
{
	va_list	ap;

	if (v->problems++ >= VERIFY_SHOW)
		return;
	printf("PROBLEM: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * An escaped copy of untrusted s for printing.  The buffers rotate, so up
 * to four results may be used in one message.
 */
static const char *
verify_esc(const char *s)
{
	static char	buf[4][512];
	static int	next;

	if (s == NULL)
		return "(none)";
	next = (next + 1) % 4;
	return log_escape(s, strlen(s), buf[next], sizeof buf[next]);
}

/* The continuity key of an entry. */
static void
verify_key(const json_t *o, char *key, size_t size)
{
	snprintf(key, size, "%s %lld %lld",
	    json_string_value(json_object_get(o, "source")) != NULL ?
	    json_string_value(json_object_get(o, "source")) : "",
	    (long long)json_integer_value(json_object_get(o, "dev")),
	    (long long)json_integer_value(json_object_get(o, "inode")));
}

/*
 * The index a segment entry names must be there and match its hash; an
 * index is no evidence, so a missing one is only a warning.
 */
static void
verify_entry_index(struct verify *v, const json_t *o)
{
	const char	*idx = json_string_value(json_object_get(o, "idx"));
	const char	*want = json_string_value(json_object_get(o,
			    "sha256_idx"));
	char		*path, hex[65];
	uint64_t	 size;

	if (idx == NULL)
		return;
	if (want == NULL || idx[0] == '/' || strstr(idx, "..") != NULL) {
		verify_problem(v, "%s: the index entry is malformed",
		    verify_esc(idx));
		return;
	}
	json_object_set_new(v->indexes, idx, json_true());
	if (asprintf(&path, "%s/%s", v->dir, idx) == -1)
		fatal("asprintf");
	if (manifest_hash_file(path, hex, &size) != 0) {
		printf("warning: %s is missing (hunt reads the segment "
		    "instead)\n", verify_esc(idx));
		v->warnings++;
	} else if (strcmp(hex, want) != 0)
		verify_problem(v, "%s: SHA-256 of the index is %s, the "
		    "manifest says %s", verify_esc(idx), hex, verify_esc(want));
	free(path);
}

/* Raw bytes a segment entry claims (0 if it makes no sense). */
static uint64_t
verify_entry_bytes(const json_t *o)
{
	json_int_t	start, end;

	start = json_integer_value(json_object_get(o, "offset_start"));
	end = json_integer_value(json_object_get(o, "offset_end"));
	return start >= 0 && end >= start ? (uint64_t)(end - start) : 0;
}

/* Check one segment entry (number idx). */
static void
verify_entry_segment(struct verify *v, uint64_t idx, const json_t *o)
{
	const char	*file = json_string_value(json_object_get(o, "file"));
	const char	*sgz = json_string_value(json_object_get(o, "sha256_gz"));
	const char	*sraw = json_string_value(json_object_get(o,
			    "sha256_raw"));
	uint64_t	 start, end;
	struct mf_hash	 h;
	struct stat	 sb;
	char		 key[256], *path;
	const char	*why;
	json_t		*next;

	v->segments++;
	v->done += verify_entry_bytes(o);
	progress_update(v->pg, v->done);
	start = (uint64_t)json_integer_value(json_object_get(o, "offset_start"));
	end = (uint64_t)json_integer_value(json_object_get(o, "offset_end"));
	if (file == NULL || sgz == NULL || sraw == NULL || end < start ||
	    strstr(file, "..") != NULL || file[0] == '/') {
		verify_problem(v, "entry %llu: a segment entry lacks a field",
		    (unsigned long long)idx);
		return;
	}
	verify_key(o, key, sizeof key);
	next = json_object_get(v->seen, key);
	if (next != NULL && start == 0 && json_integer_value(next) != 0) {
		/* A new file got the inode of one archived before. */
		printf("note: %s begins a new file on a reused inode\n",
		    verify_esc(file));
	} else if (next != NULL && (uint64_t)json_integer_value(next) != start)
		verify_problem(v, "entry %llu: %s starts at byte %llu of its "
		    "file but the archive of that file ended at %llu, with no "
		    "gap record", (unsigned long long)idx, verify_esc(file),
		    (unsigned long long)start,
		    (unsigned long long)json_integer_value(next));
	else if (next == NULL && start != 0)
		verify_problem(v, "entry %llu: %s starts at byte %llu of a "
		    "file not archived before, with no gap record",
		    (unsigned long long)idx, verify_esc(file),
		    (unsigned long long)start);
	json_object_set_new(v->seen, key, json_integer((json_int_t)end));
	json_object_del(v->lastgap, key);
	if (json_object_get(v->gone, file) != NULL)
		return;		/* deleted by retention, recorded */
	if (json_object_get(v->files, file) != NULL)
		verify_problem(v, "entry %llu: %s is named twice",
		    (unsigned long long)idx, verify_esc(file));
	json_object_set_new(v->files, file, json_string(sgz));
	if (asprintf(&path, "%s/%s", v->dir, file) == -1)
		fatal("asprintf");
	if (stat(path, &sb) != 0) {
		verify_problem(v, "entry %llu: %s is missing",
		    (unsigned long long)idx, verify_esc(file));
		free(path);
		return;
	}
	if (sb.st_mode & 0222) {
		printf("warning: %s is writable\n", verify_esc(file));
		v->warnings++;
	}
	if (manifest_hash_segment(path, &h, &why) != 0)
		verify_problem(v, "%s: %s", verify_esc(file), why);
	else if (strcmp(h.gz, sgz) != 0)
		verify_problem(v, "%s: SHA-256 of the file is %s, the "
		    "manifest says %s", verify_esc(file), h.gz,
		    verify_esc(sgz));
	else if (strcmp(h.raw, sraw) != 0)
		verify_problem(v, "%s: SHA-256 of its bytes is %s, the "
		    "manifest says %s", verify_esc(file), h.raw,
		    verify_esc(sraw));
	else if (h.raw_len != end - start)
		verify_problem(v, "%s: holds %llu bytes, the manifest says "
		    "%llu", verify_esc(file), (unsigned long long)h.raw_len,
		    (unsigned long long)(end - start));
	else if (h.lines != (uint64_t)json_integer_value(json_object_get(o,
	    "lines")))
		verify_problem(v, "%s: holds %llu lines, the manifest says "
		    "%lld", verify_esc(file), (unsigned long long)h.lines,
		    (long long)json_integer_value(json_object_get(o, "lines")));
	v->raw += h.raw_len;
	free(path);
	verify_entry_index(v, o);
}

/* Check one gap entry. */
static void
verify_entry_gap(struct verify *v, uint64_t idx, const json_t *o,
    const char *text, size_t len)
{
	json_t		*next, *last;
	char		 key[256];
	uint64_t	 start;

	v->gaps++;
	verify_key(o, key, sizeof key);
	start = (uint64_t)json_integer_value(json_object_get(o, "offset_start"));
	next = json_object_get(v->seen, key);
	last = json_object_get(v->lastgap, key);
	/* The same gap recorded twice (a crash right after it) is harmless. */
	if (last != NULL && json_equal(last, o))
		return;
	if (next != NULL && (uint64_t)json_integer_value(next) != start)
		verify_problem(v, "entry %llu: a gap record starts at byte %llu "
		    "but the archive of that file ended at %llu",
		    (unsigned long long)idx, (unsigned long long)start,
		    (unsigned long long)json_integer_value(next));
	json_object_set_new(v->seen, key, json_integer(json_integer_value(
	    json_object_get(o, "resume"))));
	json_object_set(v->lastgap, key, (json_t *)o);
	printf("gap: %s %s: bytes %lld-%lld (%s): %s\n",
	    verify_esc(json_string_value(json_object_get(o, "source"))),
	    verify_esc(json_string_value(json_object_get(o, "path"))),
	    (long long)start,
	    (long long)json_integer_value(json_object_get(o, "offset_end")),
	    json_is_integer(json_object_get(o, "bytes")) ? "counted" :
	    "count unknown",
	    verify_esc(json_string_value(json_object_get(o, "reason"))));
}

/*
 * Pass 1: the deleted files, so pass 2 knows what may be missing, and the
 * bytes pass 2 will hash, for the progress bar.
 */
static void
verify_collect_deleted(struct verify *v, FILE *f)
{
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	json_t		*o;
	const char	*type, *file;

	while ((n = getline(&line, &cap, f)) > 0) {
		if ((o = json_loadb(line, (size_t)n, 0, NULL)) == NULL)
			continue;
		type = json_string_value(json_object_get(o, "type"));
		file = json_string_value(json_object_get(o, "file"));
		if (type != NULL && file != NULL && strcmp(type, "deleted") == 0)
			json_object_set_new(v->gone, file, json_true());
		if (type != NULL && strcmp(type, "segment") == 0)
			v->total += verify_entry_bytes(o);
		json_decref(o);
	}
	free(line);
	rewind(f);
}

/* One manifest line: its hash, its link and its content. */
static int
verify_line(void *arg, const struct mf_line *ml)
{
	struct verify	*v = arg;
	const char	*type;

	v->entries = ml->n;
	if (ml->torn) {
		verify_problem(v, "entry %llu: torn (no newline)",
		    (unsigned long long)ml->n);
		return 1;
	}
	if (ml->unhashed) {
		verify_problem(v, "entry %llu: does not end with its hash",
		    (unsigned long long)ml->n);
		return 0;
	}
	if (ml->changed)
		verify_problem(v, "entry %llu: its hash does not match its "
		    "text (changed)", (unsigned long long)ml->n);
	if (ml->o == NULL) {
		verify_problem(v, "entry %llu: not JSON: %s",
		    (unsigned long long)ml->n, ml->json_error);
		return 0;
	}
	if (ml->relinked)
		verify_problem(v, "entry %llu: \"prev\" does not name the "
		    "entry before it (removed, inserted or reordered entries)",
		    (unsigned long long)ml->n);
	type = json_string_value(json_object_get(ml->o, "type"));
	if (type != NULL && strcmp(type, "segment") == 0)
		verify_entry_segment(v, ml->n, ml->o);
	else if (type != NULL && strcmp(type, "gap") == 0)
		verify_entry_gap(v, ml->n, ml->o, ml->text, ml->len);
	else if (type != NULL && strcmp(type, "deleted") == 0)
		v->deleted++;
	else
		verify_problem(v, "entry %llu: unknown type",
		    (unsigned long long)ml->n);
	return 0;
}

/* Check the manifest's chain and every entry. */
static void
verify_manifest(struct verify *v)
{
	FILE	*f;
	char	*path;

	if (asprintf(&path, "%s/%s", v->dir, EVIDENCE_MANIFEST) == -1)
		fatal("asprintf");
	if ((f = fopen(path, "re")) == NULL) {
		memset(v->head, '0', 64);
		v->head[64] = '\0';
		verify_problem(v, "%s: %s", EVIDENCE_MANIFEST, strerror(errno));
		free(path);
		return;
	}
	free(path);
	verify_collect_deleted(v, f);
	fclose(f);
	/* The bar counts a segment's bytes before they are hashed. */
	v->pg = progress_start("verify", v->total, 1);
	if (manifest_walk(v->dir, verify_line, v, v->head) != 0)
		verify_problem(v, "%s: %s", EVIDENCE_MANIFEST, strerror(errno));
	progress_end(v->pg);
	v->pg = NULL;
}

/* SHA256SUMS must list exactly the live segments with their hashes. */
static void
verify_sums(struct verify *v)
{
	FILE		*f;
	char		*path, *line = NULL;
	size_t		 cap = 0, listed = 0;
	ssize_t		 n;
	json_t		*want, *h;
	const char	*file;

	if (asprintf(&path, "%s/%s", v->dir, EVIDENCE_SUMS) == -1)
		fatal("asprintf");
	f = fopen(path, "re");
	free(path);
	if (f == NULL) {
		if (json_object_size(v->files) > 0)
			verify_problem(v, "%s is missing", EVIDENCE_SUMS);
		return;
	}
	want = json_deep_copy(v->files);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n < 67 || line[64] != ' ' || line[65] != ' ') {
			verify_problem(v, "%s: a line is not \"hash  file\"",
			    EVIDENCE_SUMS);
			continue;
		}
		file = line + 66;
		h = json_object_get(want, file);
		if (h == NULL) {
			verify_problem(v, "%s names %s, which is not a live "
			    "segment of the manifest", EVIDENCE_SUMS,
			    verify_esc(file));
			continue;
		}
		if (strncmp(json_string_value(h), line, 64) != 0)
			verify_problem(v, "%s: the hash of %s differs from the "
			    "manifest", EVIDENCE_SUMS, verify_esc(file));
		json_object_del(want, file);
		listed++;
	}
	free(line);
	fclose(f);
	if (json_object_size(want) > 0)
		verify_problem(v, "%s lacks %zu sealed segments",
		    EVIDENCE_SUMS, json_object_size(want));
	json_decref(want);
}

/* Every .gz file under the archive must be a manifest segment. */
static void
verify_walk(struct verify *v, const char *rel, int depth)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*abs, *sub;
	size_t		 len;

	if (asprintf(&abs, "%s%s%s", v->dir, rel[0] != '\0' ? "/" : "",
	    rel) == -1)
		fatal("asprintf");
	d = opendir(abs);
	free(abs);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (depth == 0 && strcmp(de->d_name, EVIDENCE_ORPHANED) == 0)
			continue;
		if (asprintf(&sub, "%s%s%s", rel, rel[0] != '\0' ? "/" : "",
		    de->d_name) == -1)
			fatal("asprintf");
		if (asprintf(&abs, "%s/%s", v->dir, sub) == -1)
			fatal("asprintf");
		if (lstat(abs, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 5)
			verify_walk(v, sub, depth + 1);
		else if ((len = strlen(sub)) > 3 &&
		    strcmp(sub + len - 3, ".gz") == 0 &&
		    json_object_get(v->files, sub) == NULL)
			verify_problem(v, "%s is not a segment of the manifest",
			    verify_esc(sub));
		free(abs);
		free(sub);
	}
	closedir(d);
}

/* CHAIN_HEAD must name the manifest's last entry; check its signature. */
static void
verify_head(struct verify *v, const char *keyfile)
{
	struct mf_head	mh;

	manifest_head(v->dir, v->entries, v->head, keyfile, &mh);
	if (!mh.present) {
		if (keyfile != NULL)
			verify_problem(v, "%s is missing: the chain head is "
			    "not signed", EVIDENCE_HEAD);
		return;
	}
	if (!mh.matches)
		verify_problem(v, "%s names entry %llu, but the manifest has "
		    "%llu entries ending in another hash (entries removed or "
		    "added after signing)", EVIDENCE_HEAD,
		    (unsigned long long)mh.entries,
		    (unsigned long long)v->entries);
	if (keyfile == NULL)
		return;
	if (mh.sig < 0 && strcmp(mh.sig_why, "not a readable public key") == 0)
		verify_problem(v, "%s: not a readable public key", keyfile);
	else if (mh.sig < 0)
		verify_problem(v, "%s: the signature does not verify with %s",
		    EVIDENCE_HEAD, keyfile);
	else
		printf("chain head signature: good\n");
}

static int
ctl_verify_exec(int argc, char **argv)
{
	struct verify	 v;
	struct config	*conf = NULL;
	const char	*keyfile = NULL;
	int		 ch;

	while ((ch = getopt(argc, argv, "k:")) != -1) {
		switch (ch) {
		case 'k':
			keyfile = optarg;
			break;
		default:
			fprintf(stderr, "usage: keibictl verify [-k PUBKEY] "
			    "[DIR]\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	memset(&v, 0, sizeof v);
	if (argc > 0)
		v.dir = argv[0];
	else if ((conf = ctl_config()) != NULL)
		v.dir = conf->evidence_dir;
	else {
		fprintf(stderr, "keibictl verify: name the archive folder or "
		    "a configuration with -c\n");
		return 2;
	}
	v.seen = json_object();
	v.lastgap = json_object();
	v.files = json_object();
	v.gone = json_object();
	v.indexes = json_object();
	verify_manifest(&v);
	verify_sums(&v);
	verify_walk(&v, "", 0);
	verify_head(&v, keyfile);
	printf("%s: %llu entries: %llu segments (%llu bytes), %llu gaps, "
	    "%llu deleted\n", v.dir, (unsigned long long)v.entries,
	    (unsigned long long)v.segments, (unsigned long long)v.raw,
	    (unsigned long long)v.gaps, (unsigned long long)v.deleted);
	if (v.problems == 0)
		printf("verify: OK: chain head %s\n", v.head);
	else
		printf("verify: FAILED: %lu problems (the first is above)\n",
		    v.problems);
	json_decref(v.seen);
	json_decref(v.lastgap);
	json_decref(v.files);
	json_decref(v.gone);
	json_decref(v.indexes);
	config_free(conf);
	return v.problems == 0 ? 0 : 1;
}

const struct ctl_cmd ctl_cmd_verify = {
	.name = "verify",
	.usage = "verify [-k PUBKEY] [DIR]\n        check the evidence "
	    "archive: hashes, chain, segments, gaps, SHA256SUMS",
	.exec = ctl_verify_exec,
};
