/*
 * spaces.h: where the spaces are in a piece of a log line, as a bit mask,
 * for the parsers that split lines on spaces (iptables' key=value tokens,
 * squid's native fields): one mask for up to 64 bytes tells every token's
 * start and end at once, where a byte loop per token stops at each byte.
 * SSE2 where the compiler has it, eight bytes a word elsewhere on
 * little-endian machines (SPACES_SWAR); callers keep a byte loop for the
 * rest.
 */
#ifndef KEIBI_SPACES_H
#define KEIBI_SPACES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SPACES_SWAR	1
#else
#define SPACES_SWAR	0
#endif

#define SPACES_ONES	0x0101010101010101ULL
#define SPACES_LOWS	0x7f7f7f7f7f7f7f7fULL
#define SPACES_HIGHS	0x8080808080808080ULL

#if SPACES_SWAR
/*
 * The spaces among the eight bytes of w as a bit mask, bit i for byte i.
 * Exact for every byte (no borrow runs from one byte into the next): the
 * high bit of a byte of x is set where x is not zero, and the multiply
 * gathers the eight flags into the top byte without carries.
 */
static inline uint64_t
spaces8(uint64_t w)
{
	uint64_t	x, t;

	x = w ^ (SPACES_ONES * ' ');
	t = ~(((x & SPACES_LOWS) + SPACES_LOWS) | x) & SPACES_HIGHS;
	return ((t >> 7) * 0x0102040810204080ULL) >> 56;
}

/*
 * The space mask of the n <= 64 bytes at p (bit i for p[i]), with every
 * bit from n up set, as if the text ended in spaces.  The bytes from lo
 * (at or before p) may be read: a last piece shorter than a vector or a
 * word is read as the bytes that end at p + n, shifted, when there are
 * enough of them, so no byte outside lo..p + n is read.  SSE2 compares
 * sixteen bytes in three instructions where SWAR takes a dozen for eight.
 */
static inline uint64_t
spaces_mask(const char *p, size_t n, const char *lo)
{
	uint64_t	s = 0, w;
	size_t		i = 0, r;
#ifdef __SSE2__
	const __m128i	sp = _mm_set1_epi8(' ');
	unsigned int	m;

	for (; i + 16 <= n; i += 16) {
		m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const void *)(p + i)), sp));
		s |= (uint64_t)m << i;
	}
	if ((r = n - i) > 0 && p + n - lo >= 16) {
		m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const void *)(p + n - 16)), sp));
		s |= (uint64_t)(m >> (16 - r)) << i;
		i = n;
	}
#endif
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		s |= spaces8(w) << i;
	}
	if ((r = n - i) > 0) {
		if (p + n - lo >= 8) {
			memcpy(&w, p + n - 8, 8);
			w >>= 8 * (8 - r);
		} else {
			w = 0;
			while (r-- > 0)
				w = w << 8 | (unsigned char)p[i + r];
		}
		s |= (spaces8(w) & ((1ULL << (n - i)) - 1)) << i;
	}
	if (n < 64)
		s |= ~0ULL << n;
	return s;
}
#endif

#endif
