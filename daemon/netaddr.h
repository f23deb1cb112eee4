/*
 * netaddr.h: IPv4/IPv6 addresses and CIDR sets, the basis of
 * network.direction and of every "is this ours?" question.  Parsing takes
 * a length, so spans from log lines are read in place.
 */
#ifndef KEIBI_NETADDR_H
#define KEIBI_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netaddr {
	uint8_t		family;		/* 0 (none), 4 or 6 */
	uint8_t		a[16];		/* IPv4 in the first 4 bytes */
};

struct cidr {
	struct netaddr	addr;		/* masked */
	uint8_t		prefix;
};

struct cidr_set {
	struct cidr	*v;
	size_t		 n;
	size_t		 cap;
};

/* Parse an address from p/len; 0 on success, -1 if it is not one. */
int	 netaddr_parse(struct netaddr *, const char *, size_t);
/* Format an address into buf (at least 46 bytes); returns buf. */
char	*netaddr_format(const struct netaddr *, char *, size_t);
/* Parse "addr[/prefix]"; 0 on success, -1 with *cause set (static text). */
int	 cidr_parse(struct cidr *, const char *, size_t, const char **cause);
/* True if addr lies in the CIDR. */
bool	 cidr_contains(const struct cidr *, const struct netaddr *);

void	 cidr_set_init(struct cidr_set *);
/* Add a CIDR; 0 or -1 (allocation failure is fatal, so always 0). */
int	 cidr_set_add(struct cidr_set *, const struct cidr *);
/* True if any CIDR of the set holds addr.  O(n); sets are small. */
bool	 cidr_set_contains(const struct cidr_set *, const struct netaddr *);
void	 cidr_set_free(struct cidr_set *);

#endif
