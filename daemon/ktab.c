/*
 * ktab.c: bounded hash table with clock eviction.  Each entry is a header
 * (key, bucket chain, own index, touched bit) followed by its payload;
 * entries are addressed by 32-bit index into chunks of KTAB_CHUNK
 * entries, so nothing moves once handed out.  Memory grows by one chunk at
 * a time and never past the cap; the bucket array starts small and
 * doubles while the entries outnumber it (up to the cap's size), one walk
 * over the entries to link them again, so that a table with a large cap
 * and little traffic holds little memory.  Eviction is the CLOCK approximation of least-recently-used: the
 * hand clears touched bits as it passes and takes the first untouched
 * entry, or lets the owner pick among the first few.  The table never
 * looks at a payload except through that callback.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "ktab.h"
#include "log.h"

#define KTAB_NONE	UINT32_MAX
#define KTAB_SAMPLE	8		/* entries offered to victim */
#define KTAB_SCAN	64		/* entries passed per eviction */
#define KTAB_SWEEP	8		/* free slots ktab_sweep passes over */
#define KTAB_HUGE	(2U << 20)	/* a huge page, where there are */
#define KTAB_BUCKETS0	1024		/* buckets to start with, at most */

struct ktab_hdr {
	uint64_t	key;
	uint32_t	next;		/* bucket chain, or free list */
	uint32_t	self;		/* own index; KTAB_NONE when free */
	uint32_t	touched;
	uint32_t	pad;
};

#define KTAB_HDR	sizeof(struct ktab_hdr)

static struct ktab_hdr *
ktab_at(const struct ktab *t, uint32_t i)
{
	return (struct ktab_hdr *)(t->chunks[i / KTAB_CHUNK] +
	    (size_t)(i % KTAB_CHUNK) * t->esize);
}

static struct ktab_hdr *
ktab_hdr(const void *payload)
{
	return (struct ktab_hdr *)((char *)(uintptr_t)payload - KTAB_HDR);
}

static void *
ktab_payload(struct ktab_hdr *h)
{
	return (char *)h + KTAB_HDR;
}

void *
ktab_array(size_t size)
{
	void	*p;

	if (size < KTAB_HUGE)
		return malloc(size);
	size = (size + KTAB_HUGE - 1) & ~(size_t)(KTAB_HUGE - 1);
	if (posix_memalign(&p, KTAB_HUGE, size) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, size, MADV_HUGEPAGE);	/* advice only */
#endif
	return p;
}

void
ktab_init(struct ktab *t, size_t psize, size_t cap)
{
	size_t	nb = 16;

	memset(t, 0, sizeof *t);
	t->esize = (KTAB_HDR + psize + 7) & ~(size_t)7;
	if (cap < 1)
		cap = 1;
	if (cap > (size_t)UINT32_MAX - KTAB_CHUNK)
		cap = (size_t)UINT32_MAX - KTAB_CHUNK;
	t->cap = cap;
	t->zero = t->esize - KTAB_HDR;
	while (nb < cap && nb < ((size_t)1 << 30))
		nb <<= 1;
	t->nbmax = nb;
	if (nb > KTAB_BUCKETS0)
		nb = KTAB_BUCKETS0;
	t->nbuckets = nb;
	if ((t->buckets = ktab_array(nb * sizeof *t->buckets)) == NULL)
		fatal("malloc");
	memset(t->buckets, 0xff, nb * sizeof *t->buckets);
	t->free_head = KTAB_NONE;
}

void
ktab_free(struct ktab *t)
{
	size_t	i;

	for (i = 0; i < t->nchunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->buckets);
	t->chunks = NULL;
	t->buckets = NULL;
	t->nchunks = t->n = t->used = 0;
}

static uint32_t *
ktab_bucket(struct ktab *t, uint64_t key)
{
	return &t->buckets[(key ^ (key >> 29)) & (t->nbuckets - 1)];
}

void *
ktab_find(struct ktab *t, uint64_t key)
{
	struct ktab_hdr	*h;
	uint32_t	 i;

	if (t->buckets == NULL)
		return NULL;
	for (i = *ktab_bucket(t, key); i != KTAB_NONE; i = h->next) {
		h = ktab_at(t, i);
		if (h->key == key)
			return ktab_payload(h);
	}
	return NULL;
}

void
ktab_del(struct ktab *t, void *payload)
{
	struct ktab_hdr	*h = ktab_hdr(payload), *p;
	uint32_t	*link, idx = h->self;

	for (link = ktab_bucket(t, h->key); *link != KTAB_NONE;
	    link = &p->next) {
		p = ktab_at(t, *link);
		if (p == h) {
			*link = h->next;
			break;
		}
	}
	h->next = t->free_head;
	t->free_head = idx;
	h->self = KTAB_NONE;
	t->n--;
}

/* Evict one entry: the clock's choice, or the owner's among a few. */
static void
ktab_evict(struct ktab *t)
{
	struct ktab_hdr	*h, *first = NULL;
	void		*cand[KTAB_SAMPLE];
	size_t		 n = 0, pick, seen;

	for (seen = 0; seen < KTAB_SCAN * 2 || (n == 0 && first == NULL);
	    seen++) {
		h = ktab_at(t, t->hand);
		if (++t->hand >= t->used)
			t->hand = 0;
		if (h->self == KTAB_NONE)
			continue;
		if (first == NULL)
			first = h;
		if (h->touched && seen < KTAB_SCAN) {
			h->touched = 0;
			continue;
		}
		cand[n++] = ktab_payload(h);
		if (t->victim == NULL || n == KTAB_SAMPLE)
			break;
	}
	if (n == 0)
		cand[n++] = ktab_payload(first);
	pick = t->victim != NULL ? t->victim(cand, n, t->ctx) : 0;
	h = ktab_hdr(cand[pick < n ? pick : 0]);
	ktab_del(t, ktab_payload(h));
	t->evicted++;
}

/* An unused entry: from the free list, a chunk, or by eviction. */
static struct ktab_hdr *
ktab_alloc(struct ktab *t)
{
	struct ktab_hdr	*h;
	uint32_t	 idx;

	if (t->free_head == KTAB_NONE && t->used < t->cap) {
		if (t->used % KTAB_CHUNK == 0) {
			t->chunks = reallocarray(t->chunks, t->nchunks + 1,
			    sizeof *t->chunks);
			if (t->chunks == NULL)
				fatal("reallocarray");
			t->chunks[t->nchunks] = malloc(KTAB_CHUNK * t->esize);
			if (t->chunks[t->nchunks] == NULL)
				fatal("malloc");
			t->nchunks++;
		}
		idx = (uint32_t)t->used++;
		h = ktab_at(t, idx);
		h->self = idx;
		return h;
	}
	if (t->free_head == KTAB_NONE)
		ktab_evict(t);
	idx = t->free_head;
	h = ktab_at(t, idx);
	t->free_head = h->next;
	h->self = idx;
	return h;
}

/* Double the bucket array and link every entry again. */
static void
ktab_grow(struct ktab *t)
{
	struct ktab_hdr	*h;
	uint32_t	*b;
	size_t		 nb = t->nbuckets * 2, i;

	if ((b = ktab_array(nb * sizeof *b)) == NULL)
		return;			/* longer chains, still correct */
	memset(b, 0xff, nb * sizeof *b);
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
	for (i = 0; i < t->used; i++) {
		h = ktab_at(t, (uint32_t)i);
		if (h->self == KTAB_NONE)
			continue;
		b = ktab_bucket(t, h->key);
		h->next = *b;
		*b = h->self;
	}
}

void *
ktab_get(struct ktab *t, uint64_t key, bool *isnew)
{
	struct ktab_hdr	*h;
	uint32_t	*b, i;

	b = ktab_bucket(t, key);
	for (i = *b; i != KTAB_NONE; i = h->next) {
		h = ktab_at(t, i);
		if (h->key == key) {
			h->touched = 1;
			*isnew = false;
			return ktab_payload(h);
		}
	}
	if (t->n >= t->nbuckets && t->nbuckets < t->nbmax)
		ktab_grow(t);
	h = ktab_alloc(t);
	memset(ktab_payload(h), 0, t->zero);
	h->key = key;
	h->touched = 1;
	b = ktab_bucket(t, key);
	h->next = *b;
	*b = h->self;
	t->n++;
	*isnew = true;
	return ktab_payload(h);
}

uint64_t
ktab_key(const void *payload)
{
	return ktab_hdr(payload)->key;
}

uint32_t
ktab_index(const void *payload)
{
	return ktab_hdr(payload)->self;
}

void *
ktab_at_index(struct ktab *t, uint32_t idx, uint64_t key)
{
	struct ktab_hdr	*h;

	if (idx >= t->used)
		return NULL;
	h = ktab_at(t, idx);
	if (h->self != idx || h->key != key)
		return NULL;
	h->touched = 1;
	return ktab_payload(h);
}

void *
ktab_sweep(struct ktab *t)
{
	struct ktab_hdr	*h;
	size_t		 i;

	if (t->n == 0)
		return NULL;
	for (i = 0; i < KTAB_SWEEP; i++) {
		if (t->sweep >= t->used)
			t->sweep = 0;
		h = ktab_at(t, t->sweep++);
		if (h->self != KTAB_NONE) {
			/*
			 * Owners sweep a few entries per event, too slowly
			 * for the hardware to see a stream: ask for the next
			 * one now, so that it is in the cache next time.
			 */
			if (t->sweep < t->used)
				__builtin_prefetch(ktab_at(t, t->sweep));
			return ktab_payload(h);
		}
	}
	return NULL;
}

void *
ktab_next(struct ktab *t, size_t *cursor)
{
	struct ktab_hdr	*h;

	for (; *cursor < t->used; (*cursor)++) {
		h = ktab_at(t, (uint32_t)*cursor);
		if (h->self != KTAB_NONE) {
			(*cursor)++;
			return ktab_payload(h);
		}
	}
	return NULL;
}

size_t
ktab_bytes(const struct ktab *t)
{
	return t->nchunks * KTAB_CHUNK * t->esize +
	    (t->buckets != NULL ? t->nbuckets * sizeof *t->buckets : 0);
}
