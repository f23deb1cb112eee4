/*
 * netaddr.c: IPv4/IPv6 parsing and CIDR sets.  Every parser calls
 * netaddr_parse() on each address of each line, so a dotted quad (the
 * common case) is read in place by netaddr_parse4() in one pass; anything
 * else is copied into a bounded stack buffer for inet_pton().  The fast
 * path must accept and reject exactly what inet_pton() does (the unit test
 * compares the two on edge cases and random strings), never read past the
 * span, and never need a NUL.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netaddr.h"

/*
 * A span made only of digits and dots, read as inet_pton(AF_INET) reads
 * it: four decimal octets of at most 255, no leading zero ("01"), no empty
 * octet.  Returns 1 (an address, into a), 0 (not one), or 2 when a byte
 * other than a digit or a dot is met: the caller then takes the general
 * path, which sees the zone, a ':' or a NUL as before.  O(len), len < 47.
 */
static int
netaddr_parse4(const char *p, size_t len, uint8_t a[4])
{
	unsigned int	v = 0, octets = 0, digits = 0, bad = 0;
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9') {
			/* A leading zero followed by a digit, or > 255. */
			if (digits > 0 && v == 0)
				bad = 1;
			v = v * 10 + (c - '0');
			if (v > 255)
				bad = 1;
			if (digits++ == 0 && ++octets > 4)
				bad = 1;
			/* v stays small: a bad span is only read to its end. */
			if (bad)
				v = 0;
		} else if (c == '.') {
			if (digits == 0 || octets == 4)
				bad = 1;
			else
				a[octets - 1] = (uint8_t)v;
			v = 0;
			digits = 0;
		} else
			return 2;
	}
	if (bad || octets != 4 || digits == 0)
		return 0;
	a[3] = (uint8_t)v;
	return 1;
}

/*
 * The common shape read octet by octet with few branches: exactly four
 * octets of one to three digits, no leading zero, at most 255, and
 * nothing after.  True if p/len is such a quad (then a is filled); false
 * says nothing, and netaddr_parse4() decides.
 */
static inline bool
netaddr_quad(const char *p, size_t len, uint8_t a[4])
{
	const unsigned char	*s = (const unsigned char *)p, *e = s + len;
	unsigned int		 v, n;

	for (n = 0; n < 4; n++) {
		if (s >= e || (unsigned int)(*s - '0') > 9)
			return false;
		v = (unsigned int)(*s++ - '0');
		if (s < e && (unsigned int)(*s - '0') <= 9) {
			if (v == 0)
				return false;
			v = v * 10 + (unsigned int)(*s++ - '0');
			if (s < e && (unsigned int)(*s - '0') <= 9) {
				v = v * 10 + (unsigned int)(*s++ - '0');
				if (v > 255)
					return false;
			}
		}
		a[n] = (uint8_t)v;
		if (n < 3 && (s >= e || *s++ != '.'))
			return false;
	}
	return s == e;
}

int
netaddr_parse(struct netaddr *na, const char *p, size_t len)
{
	char	buf[INET6_ADDRSTRLEN + 1];
	size_t	i;
	int	r;

	memset(na, 0, sizeof *na);
	if (len == 0 || len >= sizeof buf)
		return -1;
	if (netaddr_quad(p, len, na->a)) {
		na->family = 4;
		return 0;
	}
	if ((r = netaddr_parse4(p, len, na->a)) == 1) {
		na->family = 4;
		return 0;
	}
	memset(na->a, 0, 4);		/* the octets read before failing */
	if (r == 0)
		return -1;
	/* IPv6 zone ("fe80::1%eth0") is dropped: the address is what matters. */
	for (i = 0; i < len; i++)
		if (p[i] == '%')
			break;
	len = i;
	if (len == 0)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len) != NULL) {
		if (inet_pton(AF_INET6, buf, na->a) != 1)
			return -1;
		/* An IPv4-mapped address is an IPv4 address. */
		if (memcmp(na->a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(na->a, na->a + 12, 4);
			memset(na->a + 4, 0, 12);
			na->family = 4;
		} else
			na->family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, buf, na->a) != 1)
		return -1;
	na->family = 4;
	return 0;
}

char *
netaddr_format(const struct netaddr *na, char *buf, size_t size)
{
	if (na->family == 4)
		inet_ntop(AF_INET, na->a, buf, size);
	else if (na->family == 6)
		inet_ntop(AF_INET6, na->a, buf, size);
	else if (size > 0)
		buf[0] = '\0';
	return buf;
}

/* Zero the bits of addr past prefix. */
static void
cidr_mask(struct netaddr *na, unsigned int prefix)
{
	unsigned int	bytes = na->family == 4 ? 4 : 16;
	unsigned int	i;

	for (i = 0; i < bytes; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		na->a[i] &= (uint8_t)(0xff00 >> prefix);
		prefix = 0;
	}
}

int
cidr_parse(struct cidr *c, const char *p, size_t len, const char **cause)
{
	const char	*slash = memchr(p, '/', len);
	size_t		 alen = slash != NULL ? (size_t)(slash - p) : len;
	unsigned int	 max, prefix = 0;
	size_t		 i;

	memset(c, 0, sizeof *c);
	if (netaddr_parse(&c->addr, p, alen) != 0) {
		*cause = "not an IPv4 or IPv6 address";
		return -1;
	}
	max = c->addr.family == 4 ? 32 : 128;
	if (slash == NULL) {
		c->prefix = (uint8_t)max;
		return 0;
	}
	if (slash + 1 == p + len) {
		*cause = "missing prefix length after '/'";
		return -1;
	}
	for (i = alen + 1; i < len; i++) {
		if (p[i] < '0' || p[i] > '9' || prefix > max) {
			*cause = "prefix length is not a number";
			return -1;
		}
		prefix = prefix * 10 + (unsigned int)(p[i] - '0');
	}
	if (prefix > max) {
		*cause = "prefix length too long for the address family";
		return -1;
	}
	c->prefix = (uint8_t)prefix;
	cidr_mask(&c->addr, prefix);
	return 0;
}

bool
cidr_contains(const struct cidr *c, const struct netaddr *na)
{
	unsigned int	full, rest;
	uint32_t	x, y, mask;

	if (na->family != c->addr.family)
		return false;
	if (na->family == 4) {
		/* One masked compare, no loop: this runs several times a line. */
		memcpy(&x, na->a, 4);
		memcpy(&y, c->addr.a, 4);
		mask = c->prefix == 0 ? 0 : htonl(~(uint32_t)0 <<
		    (32 - (c->prefix > 32 ? 32 : c->prefix)));
		return ((x ^ y) & mask) == 0;
	}
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr.a, na->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((na->a[full] ^ c->addr.a[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

void
cidr_set_init(struct cidr_set *s)
{
	memset(s, 0, sizeof *s);
}

int
cidr_set_add(struct cidr_set *s, const struct cidr *c)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = reallocarray(s->v, s->cap, sizeof *s->v);
		if (s->v == NULL)
			fatal("reallocarray");
	}
	s->v[s->n++] = *c;
	return 0;
}

bool
cidr_set_contains(const struct cidr_set *s, const struct netaddr *na)
{
	size_t	i;

	if (s == NULL || na->family == 0)
		return false;
	for (i = 0; i < s->n; i++)
		if (cidr_contains(&s->v[i], na))
			return true;
	return false;
}

void
cidr_set_free(struct cidr_set *s)
{
	if (s == NULL)
		return;
	free(s->v);
	memset(s, 0, sizeof *s);
}
