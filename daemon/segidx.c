/*
 * segidx.c: the per-segment index (see segidx.h).  The builder runs four
 * small scanners over the raw bytes at once, each keeping only the token
 * it is in: ASCII words (not those of digits alone: ports, counters and
 * times are most of a log's distinct words), dotted names, dotted-quad
 * IPv4 and colon runs that may be IPv6.  Keys are hashed to 64 bits and
 * kept once each in a table of at most SEGIDX_MAX_KEYS per kind (past that
 * the kind is marked full and always answers "maybe"); the Bloom filters
 * are sized from the exact counts, about ten bits per key, seven probes.
 *
 * The scanners cost a few branches per byte, so the builder first cuts
 * the bytes at separators (a byte no scanner keeps), learning from one OR
 * of class bits per byte what each run holds, and gives each run only to
 * the scanners that can find something in it: a run of letters and digits
 * alone is one word, hashed straight from the buffer; a run of digits and
 * dots can only hold IPv4 addresses (with three dots in 7-15 bytes, one at
 * most, read without a loop per byte); in any other run the words are
 * hashed from the buffer if it has a letter, dotted names (hashed from the
 * buffer too) and IPv4 are looked for only if it has a dot, IPv6 only if
 * it has two colons.  A token the last call left open, and a run the
 * buffer may cut, go through all four scanners byte by byte.  Both ways
 * yield the same keys; the unit tests check that the files match byte for
 * byte however the bytes are split.  The fast paths compute the same key
 * hashes as sx_hash_fold() over the keys' bytes (an address key is hashed
 * from three words, never written out), so the files do not change.
 *
 * File layout (little-endian): "KEIBIIX1", u32 version, u32 kinds, the
 * 32-byte SHA-256 of the segment it indexes, u64 raw bytes, then per kind
 * u32 kind, u32 probes, u64 bits (0: full), u64 keys, u64 offset, then the
 * bit arrays as u64 words.  This module never reads past a buffer, never
 * trusts a file it did not check, and never fails a seal.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "log.h"
#include "segidx.h"

#define SX_MAGIC	"KEIBIIX1"
#define SX_VERSION	2		/* 1: FNV-1a keys, no longer read */
#define SX_HEAD		56		/* bytes before the section table */
#define SX_SECTION	32		/* bytes per section entry */
#define SX_PROBES	7
#define SX_BITS_PER_KEY	10
#define SX_MAX_FILE	(64 * 1024 * 1024)
#define SX_V6_MAX	64		/* chars of a colon run kept */
#define SX_V6_CUTS	3		/* colons tried at each end */

/* Byte classes of the scanners. */
#define SC_WORD		0x01		/* [A-Za-z0-9] */
#define SC_DOMAIN	0x02		/* [A-Za-z0-9._-] */
#define SC_V4		0x04		/* [0-9.] */
#define SC_V6		0x08		/* [0-9A-Fa-f:.] */
#define SC_ALPHA	0x10		/* [A-Za-z] */
#define SC_DOT		0x20		/* . */
#define SC_COLON	0x40		/* : */
#define SC_UNDER	0x80		/* _ (no case bit: see sx_hash_fold) */
#define SC_TOKEN	(SC_WORD | SC_DOMAIN | SC_V4 | SC_V6)
/*
 * Token bytes outside a class, so that the run cutter learns from one OR
 * per byte whether all of a run is of that class.
 */
#define SC_NWORD	0x100		/* [._:-] */
#define SC_NV4		0x200		/* [A-Za-z_:-] */
#define SC_NV6		0x400		/* [G-Zg-z_-] */
#define SC_DIGIT	0x800		/* [0-9] */

/* Key tags, so equal bytes of two kinds never collide. */
#define SX_TAG_IP	'I'
#define SX_TAG_NET	'N'

#define SX_RECENT	512		/* keys remembered per kind */
#define SX_QUEUE	16		/* keys waiting for their slot */

/*
 * The distinct keys of a kind.  A key that repeats (most do: host names,
 * log words) is usually one of the last few hundred seen and stops at
 * recent[]; a new one waits in q[] while its slot of v[], which the
 * prefetch asked for, comes in from memory.
 */
struct sx_set {
	uint64_t	*v;		/* 0: empty slot */
	size_t		 cap;		/* power of two */
	size_t		 n;
	bool		 full;
	uint64_t	 recent[SX_RECENT];	/* 0: none */
	uint64_t	 q[SX_QUEUE];
	unsigned int	 nq;
};

struct segidx_build {
	struct sx_set	 set[SEGIDX_NKINDS];
	uint64_t	 bytes;

	char		 word[SEGIDX_WORD_MAX];
	size_t		 wlen;
	bool		 wlong;
	bool		 wnum;		/* digits only so far */

	char		 dom[2 * SEGIDX_DOMAIN_MAX];
	size_t		 dlen;
	size_t		 ddots;		/* dots in it */
	bool		 dcut;		/* the head was dropped */

	unsigned int	 v4part[3];	/* the last valid parts */
	unsigned int	 v4n;		/* how many of them are consecutive */
	unsigned int	 v4cur;
	unsigned int	 v4digits;

	char		 v6[SX_V6_MAX];
	size_t		 v6len;
	size_t		 v6colons;	/* colons in the run */
};

struct sx_filter {
	uint32_t	 probes;
	uint64_t	 bits;		/* 0: full, always "maybe" */
	uint64_t	 keys;
	const uint8_t	*words;		/* bits / 8 bytes */
};

struct segidx {
	uint8_t			*buf;
	size_t			 len;
	struct sx_filter	 f[SEGIDX_NKINDS];
	uint64_t		 bytes;
};

static uint16_t	sx_class[256];

/* Fill the class table once (idempotent, so a race is harmless). */
static void
sx_classes(void)
{
	int	c;

	if (sx_class['a'] != 0)
		return;
	for (c = 0; c < 256; c++) {
		uint16_t	k = 0;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			k |= SC_ALPHA;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			k |= SC_WORD | SC_DOMAIN;
		if (c == '.' || c == '-' || c == '_')
			k |= SC_DOMAIN;
		if (c == '.')
			k |= SC_DOT;
		if (c == ':')
			k |= SC_COLON;
		if (c == '_')
			k |= SC_UNDER;
		if ((c >= '0' && c <= '9') || c == '.')
			k |= SC_V4;
		if (c >= '0' && c <= '9')
			k |= SC_DIGIT;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == ':' || c == '.')
			k |= SC_V6;
		if (k & SC_TOKEN) {
			if ((k & SC_WORD) == 0)
				k |= SC_NWORD;
			if ((k & SC_V4) == 0)
				k |= SC_NV4;
			if ((k & SC_V6) == 0)
				k |= SC_NV6;
		}
		sx_class[c] = k;
	}
}

/* ASCII lower case of c. */
static inline char
sx_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A 64-bit finaliser (MurmurHash3's fmix64). */
static inline uint64_t
sx_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Little-endian u32 at p (any alignment). */
static inline uint64_t
sx_load32(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t	v;

	memcpy(&v, p, sizeof v);	/* one load, not four */
	return v;
#else
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24;
#endif
}

/* Little-endian u64 at p (any alignment). */
static inline uint64_t
sx_load64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t	v;

	memcpy(&v, p, sizeof v);
	return v;
#else
	return sx_load32(p) | sx_load32(p + 4) << 32;
#endif
}

/* One step of the key hash: 8 more bytes in. */
static inline uint64_t
sx_round(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9fb21c651e98df25ULL;
	return h ^ (h >> 32);
}

/* The key hash before its first round. */
static inline uint64_t
sx_hash_init(enum segidx_kind kind, size_t len)
{
	return 0x243f6a8885a308d3ULL ^ ((uint64_t)kind << 56) ^
	    ((uint64_t)len * 0xff51afd7ed558ccdULL);
}

/* The last round of the key hash, over the last 0-8 bytes b/len. */
static inline uint64_t
sx_hash_last(uint64_t h, const uint8_t *b, size_t len, uint64_t fold)
{
	uint64_t	v;

	if (len >= 4)
		v = (sx_load32(b) | sx_load32(b + len - 4) << 32) | fold;
	else if (len > 0)
		v = ((uint64_t)b[0] | (uint64_t)b[len / 2] << 8 |
		    (uint64_t)b[len - 1] << 16) | (fold & 0xffffff);
	else
		v = 0;
	h = sx_mix(sx_round(h, v));
	return h != 0 ? h : 1;
}

/*
 * Hash of a key of kind, 8 bytes a step, each byte ORed with fold's byte
 * (0x20 lower-cases a letter and leaves a digit, '.' and '-' alone, so a
 * word, or a dotted name without '_', hashes as its lower case without a
 * copy).  The last 1-8 bytes are read as two overlapping halves, or for
 * 1-3 bytes as the first, middle and last byte: together with the length,
 * nothing is lost.  Stable: the files hold its values (SX_VERSION); the
 * inlined forms below (sx_hash_word(), sx_hash_key()) give the same.
 */
static uint64_t
sx_hash_fold(enum segidx_kind kind, const void *p, size_t len,
    uint64_t fold)
{
	const uint8_t	*b = p;
	uint64_t	 h;

	h = sx_hash_init(kind, len);
	for (; len > 8; len -= 8, b += 8)
		h = sx_round(h, sx_load64(b) | fold);
	return sx_hash_last(h, b, len, fold);
}

/* Hash of a key of kind (bytes as they are). */
static uint64_t
sx_hash(enum segidx_kind kind, const void *p, size_t len)
{
	return sx_hash_fold(kind, p, len, 0);
}

#define SX_FOLD		0x2020202020202020ULL

/*
 * sx_hash_fold() of a word of letters and digits, read from the buffer in
 * its case: inline for the common word of 8 bytes or less (one round).
 */
static inline uint64_t
sx_hash_word(const uint8_t *p, size_t len)
{
	if (len <= 8)
		return sx_hash_last(sx_hash_init(SEGIDX_WORD, len), p, len,
		    SX_FOLD);
	return sx_hash_fold(SEGIDX_WORD, p, len, SX_FOLD);
}

/* Bit i of probe n of hash h in a filter of bits bits. */
static inline uint64_t
sx_bit(uint64_t h, uint64_t h2, unsigned int n, uint64_t bits)
{
	uint64_t	x = h + (uint64_t)n * h2;

	return ((x >> 32) * bits) >> 32;
}

/* The second hash of double hashing, odd so that probes differ. */
static inline uint64_t
sx_second(uint64_t h)
{
	return sx_mix(h ^ 0x9e3779b97f4a7c15ULL) | 1;
}

/* --- building ------------------------------------------------------------ */

/* Add hash h to a set; past SEGIDX_MAX_KEYS the set is marked full. */
static void
sx_set_add(struct sx_set *s, uint64_t h)
{
	uint64_t	*old;
	size_t		 i, j, ocap;

	if (s->full)
		return;
	if (s->cap == 0 || (s->n + 1) * 2 > s->cap) {
		if (s->n >= SEGIDX_MAX_KEYS) {
			s->full = true;
			free(s->v);
			s->v = NULL;
			s->cap = s->n = 0;
			return;
		}
		old = s->v;
		ocap = s->cap;
		s->cap = ocap == 0 ? 4096 : ocap * 2;
		if ((s->v = calloc(s->cap, sizeof *s->v)) == NULL)
			fatal("calloc");
		for (i = 0; i < ocap; i++) {
			if (old[i] == 0)
				continue;
			for (j = old[i] & (s->cap - 1); s->v[j] != 0;
			    j = (j + 1) & (s->cap - 1))
				;
			s->v[j] = old[i];
		}
		free(old);
	}
	for (j = h & (s->cap - 1); s->v[j] != 0; j = (j + 1) & (s->cap - 1))
		if (s->v[j] == h)
			return;
	s->v[j] = h;
	s->n++;
}

/* Add the keys waiting in s's queue. */
static void
sx_set_flush(struct sx_set *s)
{
	unsigned int	i;

	for (i = 0; i < s->nq; i++)
		sx_set_add(s, s->q[i]);
	s->nq = 0;
}

/* Add hash h to a set, through its recent keys and its queue. */
static inline void
sx_set_put(struct sx_set *s, uint64_t h)
{
	uint64_t	*r = &s->recent[(h >> 40) & (SX_RECENT - 1)];

	if (*r == h)
		return;
	*r = h;
	if (s->full)
		return;
	if (s->cap != 0)
		__builtin_prefetch(&s->v[h & (s->cap - 1)]);
	s->q[s->nq++] = h;
	if (s->nq == SX_QUEUE)
		sx_set_flush(s);
}

/*
 * An address key is 19 bytes: a tag, the family, the prefix (0 for an
 * address) and the 16 bytes of the address, masked for a network.
 */
#define SX_ADDR_KEY	19

/*
 * sx_hash() of an address key whose bytes 0-7 are v1, 8-15 v2 and 16-18
 * v3 (little-endian), without the key in memory: the two rounds of the
 * loop of sx_hash_fold() and its last one (the first, middle and last of
 * three bytes are the three).
 */
static inline uint64_t
sx_hash_key(uint64_t v1, uint64_t v2, uint64_t v3)
{
	uint64_t	h;

	h = sx_hash_init(SEGIDX_ADDR, SX_ADDR_KEY);
	h = sx_round(h, v1);
	h = sx_round(h, v2);
	h = sx_mix(sx_round(h, v3));
	return h != 0 ? h : 1;
}

/* Byte n of a key word. */
#define SX_B(x, n)	((uint64_t)(x) << (8 * (n)))

/*
 * The keys of IPv4 address x (its first byte lowest): the address, its
 * /24 and its /16.  Bytes 3-6 of a key hold the address; the rest of it
 * is zero.  The three hashes are computed before the first is put, so
 * that they overlap (a put may branch away).
 */
static void
sx_add_v4(struct segidx_build *b, uint32_t x)
{
	struct sx_set	*s = &b->set[SEGIDX_ADDR];
	uint64_t	 k = SX_B(4, 1) | SX_B(x, 3), h, h24, h16;

	h = sx_hash_key(SX_TAG_IP | k, 0, 0);
	k &= ~SX_B(0xff, 6);
	h24 = sx_hash_key(SX_TAG_NET | SX_B(24, 2) | k, 0, 0);
	k &= ~SX_B(0xff, 5);
	h16 = sx_hash_key(SX_TAG_NET | SX_B(16, 2) | k, 0, 0);
	sx_set_put(s, h);
	sx_set_put(s, h24);
	sx_set_put(s, h16);
}

/* The keys of an address: itself and its networks. */
static void
sx_add_addr(struct segidx_build *b, const struct netaddr *na)
{
	struct sx_set	*s = &b->set[SEGIDX_ADDR];
	const uint8_t	*a = na->a;
	uint64_t	 k, v2, v3, h, h64, h48;

	if (na->family == 4) {
		sx_add_v4(b, (uint32_t)sx_load32(a));
		return;
	}
	/* Bytes 3-7 are a[0-4], 8-15 a[5-12], 16-18 a[13-15]. */
	k = SX_B(na->family, 1) | sx_load64(a) << 24;
	v2 = sx_load64(a + 5);
	v3 = SX_B(a[13], 0) | SX_B(a[14], 1) | SX_B(a[15], 2);
	h = sx_hash_key(SX_TAG_IP | k, v2, v3);
	/* The /64 keeps a[0-7], the /48 a[0-5]. */
	h64 = sx_hash_key(SX_TAG_NET | SX_B(64, 2) | k, v2 & 0xffffff, 0);
	h48 = sx_hash_key(SX_TAG_NET | SX_B(48, 2) | k, v2 & 0xff, 0);
	sx_set_put(s, h);
	sx_set_put(s, h64);
	sx_set_put(s, h48);
}

/* Add key p/len of kind to the builder's set. */
static void
sx_add(struct segidx_build *b, enum segidx_kind kind, const void *p,
    size_t len)
{
	sx_set_put(&b->set[kind], sx_hash(kind, p, len));
}

/* True if s/len has a character other than digits and dots. */
static bool
sx_has_name_char(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
			return true;
	return false;
}

/*
 * The keys of dotted name d/len (len <= 2 * SEGIDX_DOMAIN_MAX), hashed
 * with fold (SX_FOLD if d may have capitals and no '_', else 0 and d in
 * lower case): the name and every parent with a dot in it, not those of
 * digits and dots alone.  cut: d is the tail of a longer name, so its
 * first label is no label.  A name without a dot has no key.
 */
static void
sx_domain_keys(struct segidx_build *b, const uint8_t *d, size_t len,
    bool cut, uint64_t fold)
{
	uint16_t	start[SEGIDX_DOMAIN_MAX + 1];
	size_t		i, j, n = 0, dot = 0, name = 0;
	bool		after = !cut, isdot;

	while (len > 0 && d[len - 1] == '.')
		len--;
	/*
	 * One pass, with no branch on the bytes: the label starts (a byte
	 * other than a dot after a dot; at most one in two bytes), and one
	 * past the last dot and past the last byte other than a digit or dot.
	 */
	for (i = 0; i < len; i++) {
		isdot = d[i] == '.';
		start[n] = (uint16_t)i;
		n += after && !isdot;
		after = isdot;
		dot = isdot ? i + 1 : dot;
		name = !isdot && (d[i] < '0' || d[i] > '9') ? i + 1 : name;
	}
	/* Each label with a dot and a name character at or after it. */
	for (j = 0; j < n && start[j] < dot && start[j] < name; j++)
		sx_set_put(&b->set[SEGIDX_DOMAIN],
		    sx_hash_fold(SEGIDX_DOMAIN, d + start[j], len - start[j],
		    fold));
}

/* A dotted name ended: add it and every parent with a dot. */
static void
sx_end_domain(struct segidx_build *b)
{
	if (b->ddots > 0)
		sx_domain_keys(b, (const uint8_t *)b->dom, b->dlen, b->dcut,
		    0);
	b->dlen = 0;
	b->ddots = 0;
	b->dcut = false;
}

/*
 * A word ended: add it unless it was longer than SEGIDX_WORD_MAX or all
 * digits (ports, counters, times: many, and never what a hunt names).
 */
static void
sx_end_word(struct segidx_build *b)
{
	if (b->wlen > 0 && !b->wlong && !b->wnum)
		sx_add(b, SEGIDX_WORD, b->word, b->wlen);
	b->wlen = 0;
	b->wlong = false;
	b->wnum = true;
}

/* A part of a dotted run ended; four valid parts in a row: an IPv4. */
static void
sx_end_v4part(struct segidx_build *b)
{
	if (b->v4digits == 0 || b->v4digits > 3 || b->v4cur > 255) {
		b->v4n = 0;
		goto out;
	}
	if (b->v4n == 3) {
		sx_add_v4(b, b->v4part[0] | b->v4part[1] << 8 |
		    b->v4part[2] << 16 | b->v4cur << 24);
		b->v4part[0] = b->v4part[1];
		b->v4part[1] = b->v4part[2];
		b->v4part[2] = b->v4cur;
	} else
		b->v4part[b->v4n++] = b->v4cur;
out:
	b->v4cur = 0;
	b->v4digits = 0;
}

/* The value of the 1-3 digits p/len, reading no byte past them. */
static inline unsigned int
sx_octet(const uint8_t *p, size_t len)
{
	unsigned int	v;

	v = (unsigned int)(p[len - 1] - '0');
	if (len > 1)
		v += 10 * (unsigned int)(p[len - 2] - '0');
	if (len > 2)
		v += 100 * (unsigned int)(p[0] - '0');
	return v;
}

/* One bit per dot of the digits and dots in x, byte i to bit i. */
static inline unsigned int
sx_dots(uint64_t x)
{
	/* A dot is below '0': only its byte keeps a clear high bit. */
	x = ~(x + 0x5050505050505050ULL) & 0x8080808080808080ULL;
	return (unsigned int)(((x >> 7) * 0x0102040810204080ULL) >> 56);
}

/*
 * The span r..e of digits and dots, ended (by a byte of another kind or a
 * separator): its addresses, as sx_v4_byte() and sx_end_v4part() find
 * them byte by byte.  Four valid parts need three dots and 7-15 bytes: a
 * span of 7-15 bytes has its dots found eight bytes at a time, and with
 * three it is one address or none, read without a branch per byte (the
 * byte loop mispredicts its parts' lengths).  Other spans (a time has one
 * dot) go through the loop, which keeps the state in registers: q holds
 * the last valid parts, the newest in its top byte; n counts them (up to
 * 4).
 */
static void
sx_v4_span(struct segidx_build *b, const uint8_t *r, const uint8_t *e)
{
	size_t		len = (size_t)(e - r), d, p1, p2, p3;
	uint32_t	q = 0;
	unsigned int	n = 0, v, m, m1, m2, o[4];

	if (len < 7)
		return;
	if (len <= 15) {
		/* The last load overlaps the first: no byte past e. */
		if (len >= 8)
			m = sx_dots(sx_load64(r)) |
			    sx_dots(sx_load64(e - 8)) << (len - 8);
		else
			m = sx_dots(sx_load32(r) | sx_load32(r + 3) << 24) &
			    0x7f;
		m1 = m & (m - 1);
		m2 = m1 & (m1 - 1);
		if (m2 == 0)
			return;			/* fewer than three dots */
		if ((m2 & (m2 - 1)) == 0) {
			p1 = (size_t)__builtin_ctz(m);
			p2 = (size_t)__builtin_ctz(m1);
			p3 = (size_t)__builtin_ctz(m2);
			if (p1 - 1 > 2 || p2 - p1 - 2 > 2 || p3 - p2 - 2 > 2 ||
			    len - p3 - 2 > 2)
				return;		/* a part of 0 or 4+ digits */
			o[0] = sx_octet(r, p1);
			o[1] = sx_octet(r + p1 + 1, p2 - p1 - 1);
			o[2] = sx_octet(r + p2 + 1, p3 - p2 - 1);
			o[3] = sx_octet(r + p3 + 1, len - p3 - 1);
			if ((o[0] | o[1] | o[2] | o[3]) <= 255)
				sx_add_v4(b, o[0] | o[1] << 8 | o[2] << 16 |
				    o[3] << 24);
			return;
		}
	}
	for (;;) {
		/* v is only right for three digits, all that is wanted. */
		for (v = 0, d = 0; r < e && *r != '.'; r++, d++)
			v = v * 10 + (unsigned int)(*r - '0');
		if (d == 0 || d > 3 || v > 255)
			n = 0;
		else {
			q = q >> 8 | v << 24;
			if (++n >= 4) {
				n = 4;
				sx_add_v4(b, q);
			}
		}
		if (r == e)
			break;
		r++;			/* the dot */
	}
}

/*
 * Whether p/len may be an IPv6 address at all: two to seven colons,
 * groups of at most four hex digits (a dotted IPv4 tail aside); without
 * a "::" the eight groups need seven colons, or six before an IPv4 tail
 * (inet_pton() rejects the rest).  It spares inet_pton() the times, MAC
 * addresses and hashes that fill log lines.
 */
static bool
sx_v6_shape(const char *p, size_t len)
{
	size_t	i, colons = 0, group = 0;
	bool	dbl = false;

	for (i = 0; i < len; i++) {
		if (p[i] == ':') {
			if (++colons > 7)
				return false;
			if (i > 0 && p[i - 1] == ':')
				dbl = true;
			group = 0;
		} else if (p[i] == '.')
			return colons >= 2 && colons <= 6 &&
			    (dbl || colons == 6);
		else if (++group > 4)
			return false;
	}
	return colons >= 2 && (dbl || colons == 7);
}

/*
 * A run r/len of hex digits, colons and dots, with two to nine colons (an
 * address has seven at most; with an interface before it and a port
 * after, nine; more is a MAC header or a hash).  It may hold an IPv6
 * address, perhaps with an interface before it or a port after it
 * ("inside:2001:db8::1", "2001:db8::1:443"): every span that starts at
 * the run or after one of its first colons and ends at its end or before
 * one of its last colons is tried.  A run without a "::" and with fewer
 * than six colons holds no such span (see sx_v6_shape()): most runs, such
 * as times, stop there.
 */
static void
sx_v6_run(struct segidx_build *b, const char *r, size_t len)
{
	struct netaddr	 na;
	size_t		 i, ns = 0, ne = 0, s, e, colons = 0;
	size_t		 starts[SX_V6_CUTS + 1], ends[SX_V6_CUTS + 1];
	bool		 dbl = false;

	while (len > 0 && (r[len - 1] == '.' || r[len - 1] == ':'))
		len--;
	for (i = 0; i < len; i++)
		if (r[i] == ':') {
			colons++;
			if (i > 0 && r[i - 1] == ':')
				dbl = true;
		}
	if (colons < 2 || (!dbl && colons < 6))
		return;
	starts[ns++] = 0;
	ends[ne++] = len;
	for (i = 1; i + 1 < len && ns <= SX_V6_CUTS; i++)
		if (r[i] == ':' && r[i - 1] != ':' && r[i + 1] != ':')
			starts[ns++] = i + 1;
	for (i = len - 1; i > 0 && ne <= SX_V6_CUTS; i--)
		if (r[i] == ':' && r[i - 1] != ':' && i + 1 < len &&
		    r[i + 1] != ':')
			ends[ne++] = i;
	for (s = 0; s < ns; s++) {
		for (e = 0; e < ne; e++) {
			if (ends[e] <= starts[s] + 1 ||
			    !sx_v6_shape(r + starts[s], ends[e] - starts[s]))
				continue;
			if (netaddr_parse(&na, r + starts[s],
			    ends[e] - starts[s]) == 0)
				sx_add_addr(b, &na);
		}
	}
}

/* The colon run kept by the IPv6 scanner ended. */
static void
sx_end_v6(struct segidx_build *b)
{
	size_t	len = b->v6len, colons = b->v6colons;

	b->v6len = 0;
	b->v6colons = 0;
	if (colons >= 2 && colons <= 9)
		sx_v6_run(b, b->v6, len);
}

struct segidx_build *
segidx_build_new(void)
{
	struct segidx_build	*b;

	sx_classes();
	if ((b = calloc(1, sizeof *b)) == NULL)
		fatal("calloc");
	b->wnum = true;
	return b;
}

/* True while a token is open (the last byte was not a separator). */
static inline bool
sx_pending(const struct segidx_build *b)
{
	return b->wlen > 0 || b->wlong || b->dlen > 0 || b->v4digits > 0 ||
	    b->v4n > 0 || b->v6len > 0;
}

/* One byte of [0-9.] for the IPv4 scanner. */
static inline void
sx_v4_byte(struct segidx_build *b, uint8_t c)
{
	if (c == '.')
		sx_end_v4part(b);
	else {
		b->v4cur = b->v4cur * 10 + (c - '0');
		if (b->v4cur > 999)
			b->v4cur = 999;
		b->v4digits++;
	}
}

/* One byte for the word scanner. */
static inline void
sx_word_byte(struct segidx_build *b, uint8_t c, unsigned int k)
{
	if (k & SC_WORD) {
		if (b->wlen < sizeof b->word)
			b->word[b->wlen++] = sx_lower((char)c);
		else
			b->wlong = true;
		if (c > '9')
			b->wnum = false;
	} else if (b->wlen > 0 || b->wlong)
		sx_end_word(b);
}

/* One byte for the dotted-name scanner. */
static inline void
sx_dom_byte(struct segidx_build *b, uint8_t c, unsigned int k)
{
	if (k & SC_DOMAIN) {
		if (b->dlen == sizeof b->dom) {
			/* Keep the tail: parents are suffixes. */
			memmove(b->dom, b->dom + SEGIDX_DOMAIN_MAX,
			    SEGIDX_DOMAIN_MAX);
			b->dlen = SEGIDX_DOMAIN_MAX;
			b->dcut = true;
		}
		b->dom[b->dlen++] = sx_lower((char)c);
		if (c == '.')
			b->ddots++;
	} else if (b->dlen > 0)
		sx_end_domain(b);
}

/* One byte for the IPv4 scanner. */
static inline void
sx_v4_step(struct segidx_build *b, uint8_t c, unsigned int k)
{
	if (k & SC_V4)
		sx_v4_byte(b, c);
	else if (b->v4digits > 0 || b->v4n > 0) {
		sx_end_v4part(b);
		b->v4n = 0;
	}
}

/* One byte for the IPv6 scanner. */
static inline void
sx_v6_byte(struct segidx_build *b, uint8_t c, unsigned int k)
{
	if (k & SC_V6) {
		if (b->v6len == sizeof b->v6) {
			memmove(b->v6, b->v6 + SX_V6_MAX / 2, SX_V6_MAX / 2);
			b->v6len = SX_V6_MAX / 2;
		}
		b->v6[b->v6len++] = (char)c;
		if (c == ':')
			b->v6colons++;
	} else if (b->v6len > 0)
		sx_end_v6(b);
}

/* One byte through all four scanners: the reference for every path. */
static void
sx_byte(struct segidx_build *b, uint8_t c)
{
	unsigned int	k = sx_class[c];

	sx_word_byte(b, c, k);
	sx_dom_byte(b, c, k);
	sx_v4_step(b, c, k);
	sx_v6_byte(b, c, k);
}

/*
 * The words of a complete run r..e: its longest spans of letters and
 * digits, hashed from the buffer.
 */
static void
sx_run_words(struct segidx_build *b, const uint8_t *r, const uint8_t *e)
{
	const uint8_t	*w;
	unsigned int	 k, any;

	while (r < e) {
		while (r < e && (sx_class[*r] & SC_WORD) == 0)
			r++;
		w = r;
		any = 0;
		while (r < e && ((k = sx_class[*r]) & SC_WORD) != 0) {
			any |= k;
			r++;
		}
		if ((any & SC_ALPHA) && (size_t)(r - w) <= SEGIDX_WORD_MAX)
			sx_set_put(&b->set[SEGIDX_WORD],
			    sx_hash_word(w, (size_t)(r - w)));
	}
}

/*
 * A complete span w..e of name bytes with a dot, whose classes are any.
 * A name with a '_' (which folding would change) or too long for dom[]
 * goes through the byte-by-byte scanner, which lowers it and keeps the
 * tail of a long one.
 */
static void
sx_run_name(struct segidx_build *b, const uint8_t *w, const uint8_t *e,
    unsigned int any)
{
	if ((any & SC_UNDER) == 0 && (size_t)(e - w) <= sizeof b->dom)
		sx_domain_keys(b, w, (size_t)(e - w), false, SX_FOLD);
	else {
		for (; w < e; w++)
			sx_dom_byte(b, *w, sx_class[*w]);
		sx_end_domain(b);
	}
}

/*
 * The dotted names and the IPv4 addresses of a complete run r..e with a
 * dot, whose classes are any: its longest spans of name bytes and of
 * [0-9.], each ended by the byte after it as the byte-by-byte scanners
 * end them.  Without a colon the run is one name span; without a digit
 * it holds no address.
 */
static void
sx_run_dotted(struct segidx_build *b, const uint8_t *r, const uint8_t *e,
    unsigned int any)
{
	const uint8_t	*q, *w;
	unsigned int	 k, sany;

	if ((any & SC_COLON) == 0)
		sx_run_name(b, r, e, any);
	else {
		for (q = r; q < e;) {
			while (q < e && (sx_class[*q] & SC_DOMAIN) == 0)
				q++;
			w = q;
			sany = 0;
			while (q < e && ((k = sx_class[*q]) & SC_DOMAIN) != 0) {
				sany |= k;
				q++;
			}
			if (sany & SC_DOT)
				sx_run_name(b, w, q, sany);
		}
	}
	if ((any & SC_DIGIT) == 0)
		return;
	for (q = r; q < e;) {
		while (q < e && (sx_class[*q] & SC_V4) == 0)
			q++;
		w = q;
		while (q < e && (sx_class[*q] & SC_V4) != 0)
			q++;
		/* "1.2.3.4" is the shortest with an address. */
		if (q - w >= 7)
			sx_v4_span(b, w, q);
	}
}

/* The colons in q..e, eight bytes at a time. */
static size_t
sx_colons(const uint8_t *q, const uint8_t *e)
{
	uint64_t	t;
	size_t		n = 0;

	for (; e - q >= 8; q += 8) {
		/* The high bit of each byte that was a colon, exactly. */
		t = sx_load64(q) ^ 0x3a3a3a3a3a3a3a3aULL;
		t = ~(((t & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) |
		    t) & 0x8080808080808080ULL;
		n += (size_t)(((t >> 7) * 0x0101010101010101ULL) >> 56);
	}
	for (; q < e; q++)
		n += *q == ':';
	return n;
}

/*
 * The IPv6 candidates of a complete run r..e with a colon: its longest
 * spans of [0-9A-Fa-f:.] with two to nine colons.  A span too long for
 * v6[] goes through the byte-by-byte scanner, which keeps its tail.  The
 * colons of the run are counted first: with fewer than two ("host:") no
 * span has two, and a run of those bytes alone (any without SC_NV6: a
 * time, a MAC header) is one span.
 */
static void
sx_run_colons(struct segidx_build *b, const uint8_t *r, const uint8_t *e,
    unsigned int any)
{
	const uint8_t	*q, *w;
	size_t		 colons;
	unsigned int	 k;

	colons = sx_colons(r, e);
	if (colons < 2 || ((any & SC_NV6) == 0 && colons > 9))
		return;
	if ((any & SC_NV6) == 0 && (size_t)(e - r) <= sizeof b->v6) {
		sx_v6_run(b, (const char *)r, (size_t)(e - r));
		return;
	}
	for (q = r; q < e;) {
		while (q < e && (sx_class[*q] & SC_V6) == 0)
			q++;
		w = q;
		colons = 0;
		while (q < e && ((k = sx_class[*q]) & SC_V6) != 0) {
			if (k & SC_COLON)
				colons++;
			q++;
		}
		if (colons < 2 || colons > 9)
			continue;
		if ((size_t)(q - w) <= sizeof b->v6)
			sx_v6_run(b, (const char *)w, (size_t)(q - w));
		else {
			for (; w < q; w++)
				sx_v6_byte(b, *w, sx_class[*w]);
			sx_end_v6(b);
		}
	}
}

/*
 * Cut the bytes into runs of token bytes; a run that ends before the
 * buffer does is complete, and its separator ends every token, so it is
 * scanned only as far as its bytes require (see the top of the file).  A
 * token left open by the last call, and the last run, which the next call
 * may continue, go byte by byte.  O(len).
 */
void
segidx_build_add(struct segidx_build *b, const void *p, size_t len)
{
	const uint8_t	*s = p, *end = s + len, *stop, *r;
	unsigned int	 k, any;

	b->bytes += len;
	while (s < end && sx_pending(b))
		sx_byte(b, *s++);
	/*
	 * The last separator: every run before it is complete, and each
	 * scan below meets a separator by then, so none tests for the end.
	 */
	for (stop = end; stop > s && (sx_class[stop[-1]] & SC_TOKEN) != 0;)
		stop--;
	if (stop > s)
		stop--;
	while (s < stop) {
		if (((k = sx_class[*s]) & SC_TOKEN) == 0) {
			s++;
			continue;
		}
		r = s;
		any = 0;
		do {
			any |= k;
			k = sx_class[*++s];
		} while ((k & SC_TOKEN) != 0);
		if ((any & SC_NWORD) == 0) {
			/* Letters and digits: one word, nothing else. */
			if ((any & SC_ALPHA) &&
			    (size_t)(s - r) <= SEGIDX_WORD_MAX)
				sx_set_put(&b->set[SEGIDX_WORD],
				    sx_hash_word(r, (size_t)(s - r)));
		} else if ((any & SC_NV4) == 0) {
			/* Digits and dots: no word, no name, no colon. */
			sx_v4_span(b, r, s);
		} else {
			/*
			 * Without a letter there is no word; without a dot,
			 * no dotted name and no IPv4 address; without a
			 * colon, no IPv6 address.
			 */
			if (any & SC_ALPHA)
				sx_run_words(b, r, s);
			if (any & SC_DOT)
				sx_run_dotted(b, r, s, any);
			if (any & SC_COLON)
				sx_run_colons(b, r, s, any);
		}
		s++;
	}
	while (s < end)
		sx_byte(b, *s++);
}

/* End every token (the end of the segment). */
static void
sx_finish(struct segidx_build *b)
{
	int	i;

	sx_end_word(b);
	if (b->dlen > 0)
		sx_end_domain(b);
	if (b->v4digits > 0)
		sx_end_v4part(b);
	b->v4n = 0;
	if (b->v6len > 0)
		sx_end_v6(b);
	for (i = 0; i < SEGIDX_NKINDS; i++)
		sx_set_flush(&b->set[i]);
}

void
segidx_build_free(struct segidx_build *b)
{
	int	i;

	if (b == NULL)
		return;
	for (i = 0; i < SEGIDX_NKINDS; i++)
		free(b->set[i].v);
	free(b);
}

static void
sx_put32(uint8_t *p, uint32_t v)
{
	int	i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
sx_put64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
sx_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
sx_get64(const uint8_t *p)
{
	return (uint64_t)sx_get32(p) | (uint64_t)sx_get32(p + 4) << 32;
}

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
static void
sx_hex(const unsigned char *p, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* The value of a lower-case hex digit; -1 if c is none. */
static int
sx_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 hex digits into 32 bytes; -1 if s is not that. */
static int
sx_unhex(const char *s, uint8_t *out)
{
	int	i, hi, lo;

	if (s == NULL || strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		hi = sx_nibble(s[2 * i]);
		lo = sx_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The file image of a finished build (malloc'd) and its length. */
static uint8_t *
sx_image(struct segidx_build *b, const uint8_t *bind, size_t *lenp,
    struct segidx_stats *st)
{
	uint64_t	 bits[SEGIDX_NKINDS], off, h, h2, bit;
	uint8_t		*img, *sec, *words;
	size_t		 len, i, j;
	unsigned int	 n;

	len = SX_HEAD + SEGIDX_NKINDS * SX_SECTION;
	for (i = 0; i < SEGIDX_NKINDS; i++) {
		struct sx_set	*s = &b->set[i];

		bits[i] = 0;
		if (!s->full) {
			bits[i] = (uint64_t)s->n * SX_BITS_PER_KEY;
			if (bits[i] < 512)
				bits[i] = 512;
			bits[i] = (bits[i] + 63) & ~(uint64_t)63;
		}
		len += bits[i] / 8;
	}
	if ((img = calloc(1, len)) == NULL)
		fatal("calloc");
	memcpy(img, SX_MAGIC, 8);
	sx_put32(img + 8, SX_VERSION);
	sx_put32(img + 12, SEGIDX_NKINDS);
	memcpy(img + 16, bind, 32);
	sx_put64(img + 48, b->bytes);
	off = SX_HEAD + SEGIDX_NKINDS * SX_SECTION;
	for (i = 0; i < SEGIDX_NKINDS; i++) {
		struct sx_set	*s = &b->set[i];

		sec = img + SX_HEAD + i * SX_SECTION;
		sx_put32(sec, (uint32_t)i);
		sx_put32(sec + 4, SX_PROBES);
		sx_put64(sec + 8, bits[i]);
		sx_put64(sec + 16, s->n);
		sx_put64(sec + 24, off);
		words = img + off;
		for (j = 0; j < s->cap && bits[i] > 0; j++) {
			if ((h = s->v[j]) == 0)
				continue;
			h2 = sx_second(h);
			for (n = 0; n < SX_PROBES; n++) {
				bit = sx_bit(h, h2, n, bits[i]);
				words[bit / 8] |= (uint8_t)(1u << (bit % 8));
			}
		}
		if (st != NULL) {
			st->keys[i] = s->n;
			st->full[i] = s->full;
		}
		off += bits[i] / 8;
	}
	if (st != NULL) {
		st->bytes = b->bytes;
		st->size = len;
	}
	*lenp = len;
	return img;
}

int
segidx_build_write(struct segidx_build *b, const char *path,
    const char *gz_hex, char *hex, struct segidx_stats *st)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	uint8_t		 bind[32], *img;
	const char	*slash, *base;
	char		*tmp;
	size_t		 len, done = 0;
	ssize_t		 n;
	int		 fd, saved;

	if (sx_unhex(gz_hex, bind) != 0) {
		errno = EINVAL;
		return -1;
	}
	sx_finish(b);
	img = sx_image(b, bind, &len, st);
	if (EVP_Digest(img, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest");
	sx_hex(md, mdlen, hex);
	slash = strrchr(path, '/');
	base = slash != NULL ? slash + 1 : path;
	if (asprintf(&tmp, "%.*s.%s.tmp", (int)(base - path), path, base) == -1)
		fatal("asprintf");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	while (fd != -1 && done < len) {
		n = write(fd, img + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	free(img);
	if (fd == -1 || done < len || fsync(fd) != 0 || fchmod(fd, 0440) != 0 ||
	    rename(tmp, path) != 0) {
		saved = errno;
		if (fd != -1)
			close(fd);
		unlink(tmp);
		free(tmp);
		errno = saved != 0 ? saved : EIO;
		return -1;
	}
	close(fd);
	free(tmp);
	return 0;
}

int
segidx_seal(struct segidx_build *b, const char *dir, const char *file,
    struct json_t *entry)
{
	const char	*gz;
	char		*ipath, *rel, hex[65];
	int		 rc = -1;

	gz = json_string_value(json_object_get(entry, "sha256_gz"));
	if (b == NULL || gz == NULL)
		return -1;
	if (asprintf(&ipath, "%s/%s" SEGIDX_SUFFIX, dir, file) == -1 ||
	    asprintf(&rel, "%s" SEGIDX_SUFFIX, file) == -1)
		fatal("asprintf");
	if (segidx_build_write(b, ipath, gz, hex, NULL) == 0) {
		json_object_set_new(entry, "idx", json_string(rel));
		json_object_set_new(entry, "sha256_idx", json_string(hex));
		rc = 0;
	}
	free(ipath);
	free(rel);
	return rc;
}

/* --- loading and queries ------------------------------------------------- */

struct segidx *
segidx_load(const char *path, const char *sha_hex, const char *gz_hex,
    const char **cause)
{
	struct segidx	*x;
	struct stat	 sb;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	uint8_t		 bind[32];
	const uint8_t	*sec;
	char		 hex[65];
	const char	*why;
	size_t		 done = 0, i;
	ssize_t		 n;
	int		 fd;
	uint64_t	 bits, off;
	uint32_t	 kind;

	sx_classes();
	if (sx_unhex(gz_hex, bind) != 0 || sha_hex == NULL) {
		*cause = "the manifest entry lists no index";
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) != 0) {
		*cause = "the index file is missing";
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (sb.st_size < SX_HEAD + SEGIDX_NKINDS * SX_SECTION ||
	    sb.st_size > SX_MAX_FILE) {
		*cause = "the index file has a wrong size";
		close(fd);
		return NULL;
	}
	if ((x = calloc(1, sizeof *x)) == NULL ||
	    (x->buf = malloc((size_t)sb.st_size)) == NULL)
		fatal("malloc");
	x->len = (size_t)sb.st_size;
	while (done < x->len) {
		n = read(fd, x->buf + done, x->len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	why = "the index does not match its hash in the manifest";
	if (done != x->len)
		goto fail;
	if (EVP_Digest(x->buf, x->len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest");
	sx_hex(md, mdlen, hex);
	if (strcmp(hex, sha_hex) != 0)
		goto fail;
	why = "the index was written by another version of keibi";
	if (memcmp(x->buf, SX_MAGIC, 8) == 0 &&
	    sx_get32(x->buf + 8) != SX_VERSION)
		goto fail;
	why = "the index is not one of this segment";
	if (memcmp(x->buf, SX_MAGIC, 8) != 0 ||
	    sx_get32(x->buf + 12) != SEGIDX_NKINDS ||
	    memcmp(x->buf + 16, bind, 32) != 0)
		goto fail;
	x->bytes = sx_get64(x->buf + 48);
	for (i = 0; i < SEGIDX_NKINDS; i++) {
		sec = x->buf + SX_HEAD + i * SX_SECTION;
		kind = sx_get32(sec);
		bits = sx_get64(sec + 8);
		off = sx_get64(sec + 24);
		if (kind != i || bits % 64 != 0 || bits / 8 > x->len ||
		    off > x->len - bits / 8 || sx_get32(sec + 4) == 0 ||
		    sx_get32(sec + 4) > 32 || bits >= ((uint64_t)1 << 32))
			goto fail;
		x->f[i].probes = sx_get32(sec + 4);
		x->f[i].bits = bits;
		x->f[i].keys = sx_get64(sec + 16);
		x->f[i].words = x->buf + off;
	}
	*cause = NULL;
	return x;
fail:
	*cause = why;
	segidx_free(x);
	return NULL;
}

void
segidx_free(struct segidx *x)
{
	if (x == NULL)
		return;
	free(x->buf);
	free(x);
}

void
segidx_stats(const struct segidx *x, struct segidx_stats *st)
{
	int	i;

	memset(st, 0, sizeof *st);
	st->bytes = x->bytes;
	st->size = x->len;
	for (i = 0; i < SEGIDX_NKINDS; i++) {
		st->keys[i] = x->f[i].keys;
		st->full[i] = x->f[i].bits == 0;
	}
}

/* Whether the filter of kind may hold the key p/len. */
static bool
sx_maybe(const struct segidx *x, enum segidx_kind kind, const void *p,
    size_t len)
{
	const struct sx_filter	*f = &x->f[kind];
	uint64_t		 h, h2, bit;
	unsigned int		 n;

	if (f->bits == 0)
		return true;
	h = sx_hash(kind, p, len);
	h2 = sx_second(h);
	for (n = 0; n < f->probes; n++) {
		bit = sx_bit(h, h2, n, f->bits);
		if ((f->words[bit / 8] & (1u << (bit % 8))) == 0)
			return false;
	}
	return true;
}

/* The key of an address (or of its network of prefix bits). */
static void
sx_addr_key(const struct netaddr *na, int prefix, uint8_t *k)
{
	struct cidr	c;

	memset(k, 0, 19);
	k[1] = na->family;
	if (prefix < 0) {
		k[0] = SX_TAG_IP;
		memcpy(k + 3, na->a, na->family == 4 ? 4 : 16);
		return;
	}
	k[0] = SX_TAG_NET;
	k[2] = (uint8_t)prefix;
	memset(&c, 0, sizeof c);
	c.addr = *na;
	memset(c.addr.a + prefix / 8, 0, 16 - (size_t)prefix / 8);
	memcpy(k + 3, c.addr.a, 16);
}

bool
segidx_has_addr(const struct segidx *x, const struct netaddr *na)
{
	uint8_t	k[19];

	if (na->family != 4 && na->family != 6)
		return true;
	sx_addr_key(na, -1, k);
	return sx_maybe(x, SEGIDX_ADDR, k, sizeof k);
}

/* Whether the network of na with prefix bits may be in the segment. */
static bool
sx_has_net(const struct segidx *x, const struct netaddr *na, int prefix)
{
	uint8_t	k[19];

	sx_addr_key(na, prefix, k);
	return sx_maybe(x, SEGIDX_ADDR, k, sizeof k);
}

/*
 * Any address of c.  The network key that covers c rules it out first;
 * then, when c spans at most 16 keys of the next finer kind (addresses,
 * /24s, /16s), each is tried: more probes would only add false "maybe".
 */
bool
segidx_has_cidr(const struct segidx *x, const struct cidr *c)
{
	struct netaddr	na = c->addr;
	unsigned int	i, count, byte;

	if (na.family == 4) {
		if (c->prefix == 32)
			return segidx_has_addr(x, &na);
		if (c->prefix >= 24) {
			if (!sx_has_net(x, &na, 24))
				return false;
			if (c->prefix < 28)
				return true;
			byte = 3;
			count = 1u << (32 - c->prefix);
		} else if (c->prefix >= 16) {
			if (!sx_has_net(x, &na, 16))
				return false;
			if (c->prefix < 20)
				return true;
			byte = 2;
			count = 1u << (24 - c->prefix);
		} else if (c->prefix >= 12) {
			byte = 1;
			count = 1u << (16 - c->prefix);
		} else
			return true;
		for (i = 0; i < count; i++) {
			na.a[byte] = (uint8_t)(c->addr.a[byte] + i);
			if (byte == 3 ? segidx_has_addr(x, &na) :
			    sx_has_net(x, &na, byte == 2 ? 24 : 16))
				return true;
		}
		return false;
	}
	if (na.family == 6) {
		if (c->prefix == 128)
			return segidx_has_addr(x, &na);
		if (c->prefix >= 64)
			return sx_has_net(x, &na, 64);
		if (c->prefix >= 48)
			return sx_has_net(x, &na, 48);
	}
	return true;
}

bool
segidx_has_text(const struct segidx *x, const char *s, size_t len)
{
	char	w[SEGIDX_WORD_MAX];
	size_t	i, wl = 0;
	bool	lng = false, num = true;

	sx_classes();
	for (i = 0; i <= len; i++) {
		if (i < len && (sx_class[(uint8_t)s[i]] & SC_WORD)) {
			if (wl < sizeof w)
				w[wl++] = sx_lower(s[i]);
			else
				lng = true;
			if (s[i] > '9')
				num = false;
			continue;
		}
		/* Words of digits only are not indexed: "maybe". */
		if (wl > 0 && !lng && !num &&
		    !sx_maybe(x, SEGIDX_WORD, w, wl))
			return false;
		wl = 0;
		lng = false;
		num = true;
	}
	return true;
}

bool
segidx_has_substring(const struct segidx *x, const char *s, size_t len)
{
	size_t	i = 0, start;

	sx_classes();
	/* The first word may be the end of a longer one: skip it. */
	while (i < len && (sx_class[(uint8_t)s[i]] & SC_WORD))
		i++;
	for (;;) {
		while (i < len && (sx_class[(uint8_t)s[i]] & SC_WORD) == 0)
			i++;
		start = i;
		while (i < len && (sx_class[(uint8_t)s[i]] & SC_WORD))
			i++;
		/* The last word may be the start of a longer one. */
		if (i >= len)
			return true;
		if (!segidx_has_text(x, s + start, i - start))
			return false;
	}
}

bool
segidx_has_domain(const struct segidx *x, const char *s, size_t len)
{
	struct netaddr	na;
	char		d[SEGIDX_DOMAIN_MAX];
	size_t		i;

	sx_classes();
	while (len > 0 && s[len - 1] == '.')
		len--;
	while (len > 0 && s[0] == '.') {
		s++;
		len--;
	}
	if (len == 0 || len > sizeof d)
		return true;
	for (i = 0; i < len; i++) {
		if ((sx_class[(uint8_t)s[i]] & SC_DOMAIN) == 0)
			return true;
		d[i] = sx_lower(s[i]);
	}
	if (memchr(d, '.', len) == NULL)
		return segidx_has_text(x, d, len);
	if (!sx_has_name_char(d, len)) {
		/* A dotted number: an address written as a host name. */
		if (netaddr_parse(&na, d, len) == 0)
			return segidx_has_addr(x, &na);
		return true;
	}
	return sx_maybe(x, SEGIDX_DOMAIN, d, len);
}
