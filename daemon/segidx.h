/*
 * segidx.h: the small index of a sealed evidence segment, which lets
 * keibictl hunt pass over segments that cannot hold what it looks for.
 * As the archive writes a segment, its bytes are scanned once, from
 * memory and without a parser, for the addresses, domain names and words
 * they contain; at seal time each kind goes
 * into a Bloom filter in <segment>.idx, and the manifest entry names the
 * file and its SHA-256, so the hash chain covers the index too.
 *
 * A filter may answer "maybe" for a value the segment does not hold
 * (about one time in a hundred) but must never answer "no" for one it
 * holds: parsers cut fields at punctuation or space, so every value a
 * field takes is found in its line as a token (or, for a domain, as the
 * end of one).  The index is an accelerator, never evidence: building it
 * may fail without harm to the seal, and a missing, altered or foreign
 * index only makes a hunt read the segment.
 */
#ifndef KEIBI_SEGIDX_H
#define KEIBI_SEGIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

#define SEGIDX_SUFFIX		".idx"
#define SEGIDX_MAX_KEYS		(1024 * 1024)	/* distinct keys per filter */
#define SEGIDX_WORD_MAX		128	/* longest word indexed */
#define SEGIDX_DOMAIN_MAX	255	/* domain tail kept per token */

struct json_t;
struct segidx;
struct segidx_build;

/* The kinds of key, one filter each. */
enum segidx_kind {
	SEGIDX_ADDR = 0,	/* addresses and their /24, /16, /64, /48 */
	SEGIDX_DOMAIN,		/* dotted names and every parent domain */
	SEGIDX_WORD,		/* ASCII words with a letter in them */
	SEGIDX_NKINDS
};

/* What a build saw, for people and tests. */
struct segidx_stats {
	uint64_t	bytes;			/* raw bytes scanned */
	uint64_t	keys[SEGIDX_NKINDS];	/* distinct keys */
	bool		full[SEGIDX_NKINDS];	/* over SEGIDX_MAX_KEYS */
	uint64_t	size;			/* bytes of the file */
};

/* A new, empty builder. */
struct segidx_build *segidx_build_new(void);
/* Scan len more bytes of the segment (split anywhere). */
void		 segidx_build_add(struct segidx_build *, const void *,
		    size_t len);
/*
 * Write the index to path through a hidden temporary in its folder
 * (mode 0440, fsynced), bound to the segment whose SHA-256 is gz_hex.
 * The file's SHA-256 goes to hex[65].  0, or -1 with errno.
 */
int		 segidx_build_write(struct segidx_build *, const char *path,
		    const char *gz_hex, char *hex, struct segidx_stats *);
/* Free a builder; accepts NULL. */
void		 segidx_build_free(struct segidx_build *);

/*
 * The seal hook: write what b was fed (every raw byte of dir/file, a
 * segment just fsynced, whose manifest entry is being built) to
 * dir/file.idx, bound to the entry's "sha256_gz", and add "idx" and
 * "sha256_idx" to entry.  The segment itself is not read.  Runs on the
 * archive's worker thread; b stays the caller's and may be written again
 * (a retried seal).  0, or -1 (the entry stays without an index; the seal
 * goes on).
 */
int		 segidx_seal(struct segidx_build *b, const char *dir,
		    const char *file, struct json_t *entry);

/*
 * Load the index at path if its SHA-256 is sha_hex and it was built for
 * the segment whose SHA-256 is gz_hex; NULL with *cause (static text).
 */
struct segidx	*segidx_load(const char *path, const char *sha_hex,
		    const char *gz_hex, const char **cause);
void		 segidx_free(struct segidx *);

/*
 * Queries: false only if the segment holds no such value.  An address;
 * any address of a CIDR; the domain or one of its subdomains (case-blind,
 * a trailing dot ignored); text whose every word is a word of the segment
 * (case-blind; words of digits alone are not indexed, so text without an
 * ASCII word that has a letter is always "maybe").
 */
bool		 segidx_has_addr(const struct segidx *, const struct netaddr *);
bool		 segidx_has_cidr(const struct segidx *, const struct cidr *);
bool		 segidx_has_domain(const struct segidx *, const char *,
		    size_t);
bool		 segidx_has_text(const struct segidx *, const char *, size_t);
/*
 * Text that may occur anywhere inside a value (a URL substring): only
 * its words with a non-word character on both sides are asked for.
 */
bool		 segidx_has_substring(const struct segidx *, const char *,
		    size_t);
/* Keys and saturation of a loaded index. */
void		 segidx_stats(const struct segidx *, struct segidx_stats *);

#endif
