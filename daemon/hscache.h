/*
 * hscache.h: compiled Hyperscan databases kept on disk, so that a start or
 * a reload with rules already seen loads them instead of compiling again
 * (compiling the shipped packs takes longer than scanning a million lines).
 * An entry is named by a SHA-256 of everything the compilation depends on:
 * the library's version, the host's platform, the mode and every pattern
 * with its flags and id; its bytes carry a SHA-256 of their own, checked
 * before Hyperscan sees them.  Anything wrong with an entry (torn, foreign,
 * of another library) only means compiling as if there were none.
 */
#ifndef KEIBI_HSCACHE_H
#define KEIBI_HSCACHE_H

#include <stdbool.h>

#include <hs.h>

/* Entries not used for this long are removed when a new one is written. */
#define HSCACHE_MAX_AGE	(14 * 24 * 3600)

/*
 * hs_compile_multi() in block mode for the host, through the cache in dir
 * (NULL: no cache).  *hit tells whether the database came from the cache.
 * On failure *err is Hyperscan's, to be freed by the caller; failures are
 * never cached.  Creating dir (0700) is the caller's business; a cache that
 * cannot be read or written is logged once at debug level and ignored.
 */
hs_error_t	hscache_compile(const char *dir, const char *const *pats,
		    const unsigned int *flags, const unsigned int *ids,
		    unsigned int n, hs_database_t **db,
		    hs_compile_error_t **err, bool *hit);

#endif
