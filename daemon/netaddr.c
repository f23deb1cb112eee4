/*
 * netaddr.c: IPv4/IPv6 parsing and CIDR sets.  Spans from log lines are
 * copied into a bounded stack buffer before inet_pton(), so a span is never
 * read past its length and never needs a NUL.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netaddr.h"

int
netaddr_parse(struct netaddr *na, const char *p, size_t len)
{
	char	buf[INET6_ADDRSTRLEN + 1];
	size_t	i;

	memset(na, 0, sizeof *na);
	if (len == 0 || len >= sizeof buf)
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

	if (na->family != c->addr.family)
		return false;
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
