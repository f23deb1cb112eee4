/*
 * ktab.h: a bounded hash table of fixed-size entries keyed by a 64-bit
 * hash, for state that traffic grows (correlation groups, beacon pairs,
 * scan contacts, suppression keys).  Entries live in chunks allocated as
 * the table fills, never beyond its cap; a full table evicts an entry not
 * touched since the clock hand last passed (or the one its owner picks
 * among a few such) and counts it.  A touch sets one bit and moves
 * nothing, so a lookup costs one bucket walk.  Lookups and inserts are
 * O(1) amortised; entries never move (the bucket array doubles as they
 * grow in number, relinking them where they are).
 */
#ifndef KEIBI_KTAB_H
#define KEIBI_KTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ktab {
	size_t		 esize;		/* header + payload, bytes */
	size_t		 cap;		/* entries at most */
	size_t		 n;		/* entries in use */
	size_t		 used;		/* entries ever handed out */
	uint32_t	*buckets;
	size_t		 nbuckets;	/* power of two */
	size_t		 nbmax;		/* what it may grow to */
	char		**chunks;
	size_t		 nchunks;
	uint32_t	 free_head;
	uint32_t	 hand;		/* eviction clock hand */
	uint32_t	 sweep;		/* expiry hand */
	uint64_t	 evicted;
	size_t		 zero;		/* payload bytes zeroed by ktab_get */
	/* Pick a victim among n untouched payloads (NULL: the first). */
	size_t		 (*victim)(void *const *oldest, size_t n, void *ctx);
	void		*ctx;
};

/*
 * Set up a table of payloads of size psize, at most cap of them.  A new
 * payload is zeroed whole; an owner that initialises the rest itself may
 * lower t->zero to the prefix it relies on being zero.
 */
void	 ktab_init(struct ktab *, size_t psize, size_t cap);
/*
 * Memory for an array of size bytes that is probed at random (buckets,
 * direct-mapped tables), not zeroed; free() frees it.  From 2 MiB up it
 * is aligned for huge pages and asks for them, so that a probe costs a
 * cache miss and not a page walk too.  NULL if out of memory.
 */
void	*ktab_array(size_t size);
/* Free every entry; the table may be set up again. */
void	 ktab_free(struct ktab *);
/* The payload of key, or NULL; does not count as a touch. */
void	*ktab_find(struct ktab *, uint64_t key);
/*
 * The payload of key, made (zeroed) if missing, evicting when full; marks
 * it touched.  *isnew says whether it was made.
 */
void	*ktab_get(struct ktab *, uint64_t key, bool *isnew);
/*
 * Start loading the bucket of key into the cache, so that a ktab_get() a
 * little later does not wait on memory.
 */
static inline void
ktab_prefetch(const struct ktab *t, uint64_t key)
{
	if (t->buckets != NULL)
		__builtin_prefetch(&t->buckets[(key ^ (key >> 29)) &
		    (t->nbuckets - 1)]);
}
#define KTAB_CHUNK	1024		/* entries per chunk */

/*
 * Start loading the entry at index idx (as ktab_at_index() would find
 * it), for owners that know where an entry lives before they need it.
 */
static inline void
ktab_prefetch_index(const struct ktab *t, uint32_t idx)
{
	if (idx < t->used)
		__builtin_prefetch(t->chunks[idx / KTAB_CHUNK] +
		    (size_t)(idx % KTAB_CHUNK) * t->esize);
}

/* The index of a payload, stable while it is in the table. */
uint32_t ktab_index(const void *payload);
/*
 * The payload at index idx if it is in use under key (touched, as by
 * ktab_get), else NULL: a lookup without the bucket walk for owners that
 * remember where an entry lives.
 */
void	*ktab_at_index(struct ktab *, uint32_t idx, uint64_t key);
/* Remove the entry of a payload. */
void	 ktab_del(struct ktab *, void *payload);
/* The key of a payload. */
uint64_t ktab_key(const void *payload);
/*
 * The next payload in use under the expiry hand, which goes round the
 * table: owners look at a few per event and delete the stale ones, so
 * expiry is incremental.  NULL when empty.
 */
void	*ktab_sweep(struct ktab *);
/*
 * Each payload in use, in no particular order: start with *cursor 0; the
 * current payload may be deleted during the walk.
 */
void	*ktab_next(struct ktab *, size_t *cursor);
/* Bytes held by the table. */
size_t	 ktab_bytes(const struct ktab *);

#endif
