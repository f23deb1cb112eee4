/*
 * enrich.h: what keibi knows about an address besides the log line.
 * Remote addresses get a country and an autonomous system (number and
 * organisation) from MaxMind DB files (GeoLite2-Country/City/ASN or any
 * compatible database); internal addresses get a hostname, an owner, a
 * department and a role from an optional inventory (CSV or YAML, CIDR or
 * address per entry, the most specific entry wins).  The files are named
 * in the config and opened again on reload.
 */
#ifndef KEIBI_ENRICH_H
#define KEIBI_ENRICH_H

#include <stdbool.h>
#include <stdint.h>

#include "netaddr.h"

struct config;
struct record;
struct enrich;

struct enrich_geo {
	char		 country[4];	/* ISO 3166-1 alpha-2, "" unknown */
	char		 city[64];
	uint32_t	 asn;		/* 0 unknown */
	char		 as_org[128];
};

struct enrich_asset {
	struct cidr	 net;
	char		*hostname;
	char		*owner;
	char		*department;
	char		*role;
};

/* Open what conf names (nothing named: an empty enricher); NULL, *cause. */
struct enrich	*enrich_open(const struct config *, char **cause);
void		 enrich_free(struct enrich *);
/* True if any database or inventory is loaded. */
bool		 enrich_active(const struct enrich *);

/* Country and AS of addr; false if no database knows it. */
bool		 enrich_geo(struct enrich *, const struct netaddr *,
		    struct enrich_geo *);
/* The inventory entry of addr, or NULL; valid until enrich_free. */
const struct enrich_asset *enrich_asset(const struct enrich *,
		    const struct netaddr *);
/*
 * Set destination.geo.country_iso_code, destination.as.number and
 * destination.as.organization.name of an event whose destination is
 * remote, when the parser did not; the values live in the enricher until
 * its next call.
 */
void		 enrich_record(struct enrich *, struct record *,
		    const struct cidr_set *internal);

#endif
