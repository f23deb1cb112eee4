/*
 * manifest.h: reading an evidence archive for the commands that check or
 * search it (verify, hunt, extract, replay).  It walks MANIFEST.jsonl
 * entry by entry, recomputing each entry's hash and its link to the entry
 * before, loads the segment entries into a list, and hashes segment files
 * as they are read.  It only reads: nothing here changes an archive.
 */
#ifndef KEIBI_CTL_MANIFEST_H
#define KEIBI_CTL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MF_NO_TIME	INT64_MIN

/* One line of the manifest as read, with the state of its link. */
struct mf_line {
	uint64_t	 n;		/* 1-based entry number */
	const char	*text;		/* the line, with its newline */
	size_t		 len;
	json_t		*o;		/* parsed; NULL when not JSON */
	const char	*json_error;	/* why not, when o is NULL */
	bool		 torn;		/* no newline: cut short (the last) */
	bool		 unhashed;	/* does not end with its hash */
	bool		 changed;	/* its hash does not match its text */
	bool		 relinked;	/* "prev" names another entry */
	char		 hash[65];	/* the hash written in it */
};

/* Called per line; return non-zero to stop the walk. */
typedef int	(*mf_walk_cb)(void *arg, const struct mf_line *);

/*
 * Walk dir's MANIFEST.jsonl in order.  head[65] receives the hash of the
 * last entry (64 zeros when empty).  0, or -1 with errno when the
 * manifest cannot be opened.
 */
int		 manifest_walk(const char *dir, mf_walk_cb, void *arg,
		    char *head);

/* A segment entry of the manifest. */
struct mf_seg {
	uint64_t	 n;		/* entry number */
	char		*source;
	char		*file;		/* relative to the archive */
	char		*path;		/* the original file */
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 start;		/* offset_start in the original */
	uint64_t	 end;
	uint64_t	 lines;
	uint64_t	 size;		/* bytes of the .gz, 0 if not said */
	int64_t		 first_us;	/* event time; MF_NO_TIME */
	int64_t		 last_us;
	int64_t		 sealed;	/* unix time */
	char		 sha_gz[65];
	char		 sha_raw[65];
	char		*idx;		/* index file, or NULL */
	char		 sha_idx[65];	/* "" when none */
	char		*line;		/* the entry as written */
	char		 hash[65];	/* its own hash */
	bool		 deleted;	/* removed by retention, recorded */
	bool		 ok;		/* its text and link verify */
};

/*
 * A gap entry: bytes of a file that the archive does not hold (lost,
 * skipped at start); reading went on at resume.
 */
struct mf_gap {
	uint64_t	 n;		/* entry number */
	char		*source;
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 start;
	uint64_t	 end;
	uint64_t	 resume;
	bool		 ok;		/* its text and link verify */
};

struct manifest {
	char		*dir;
	struct mf_seg	*seg;		/* segment entries, in order */
	size_t		 nseg;
	struct mf_gap	*gap;		/* gap entries, in order */
	size_t		 ngap;
	uint64_t	 entries;
	char		 head[65];	/* hash of the last entry */
	uint64_t	 last_bad;	/* last entry that fails; 0: none */
	char		*why_bad;	/* what was wrong with it */
	uint64_t	 bad;		/* entries that fail */
};

/*
 * Load the segment entries of dir's manifest, checking every entry's
 * hash and link.  NULL with *cause (malloc'd) when there is no manifest.
 */
struct manifest	*manifest_load(const char *dir, char **cause);
void		 manifest_free(struct manifest *);
/* The entry of segment file (relative to the archive); NULL if none. */
const struct mf_seg *manifest_find(const struct manifest *,
		    const char *file);
/*
 * Where the archive's account of file dev/ino of source ends: the last
 * entry for it in manifest order (a segment or a gap; a file cut and
 * written again starts over at 0 in a later entry).  1 with *end (a
 * segment's offset_end, a gap's resume offset) and *seg (the segment, or
 * NULL after a gap); 0 when no entry names the file.
 */
int		 manifest_file_end(const struct manifest *, const char *source,
		    uint64_t dev, uint64_t ino, uint64_t *end,
		    const struct mf_seg **seg);
/* True if every entry from number n to the newest verifies. */
bool		 manifest_chain_ok(const struct manifest *, uint64_t n);

/* What CHAIN_HEAD says, and whether it holds. */
struct mf_head {
	bool		 present;
	uint64_t	 entries;	/* the entries it names */
	char		 hash[65];	/* the head it names */
	bool		 matches;	/* the manifest's last entry */
	int		 sig;		/* 1 good, 0 not checked, -1 bad */
	const char	*sig_why;	/* why bad (static text) */
};

/*
 * Read dir's CHAIN_HEAD and compare it with the manifest's entries and
 * head; with keyfile (an Ed25519 public key in PEM), check its signature.
 */
void		 manifest_head(const char *dir, uint64_t entries,
		    const char *head, const char *keyfile, struct mf_head *);

/* What reading a whole segment file found. */
struct mf_hash {
	char		gz[65];		/* SHA-256 of the file */
	char		raw[65];	/* of its decompressed bytes */
	uint64_t	size;		/* bytes of the file */
	uint64_t	raw_len;	/* decompressed bytes */
	uint64_t	lines;		/* newlines in them */
};

/*
 * Read segment file path whole: its hashes, sizes and lines.  0, or -1
 * with *why (static text) when it cannot be read or is no valid gzip.
 */
int		 manifest_hash_segment(const char *path, struct mf_hash *,
		    const char **why);
/* SHA-256 (hex) of a whole file into hex[65] and its size; 0 or -1. */
int		 manifest_hash_file(const char *path, char *hex,
		    uint64_t *size);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void		 manifest_hex(const unsigned char *, size_t, char *out);
/*
 * Parse an ISO 8601 time as the manifest writes it ("2026-11-21T09:15:02
 * .123456Z", or with "+09:00"); MF_NO_TIME if s is NULL or not a time.
 */
int64_t		 manifest_time(const char *s);

#endif
