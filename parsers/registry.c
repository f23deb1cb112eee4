/*
 * registry.c: the one table of parsers.  A parser is added here and
 * nowhere else; the config, keibictl and the tests find it by name.
 */
#include "config.h"

#include <string.h>

#include "parser.h"

extern const struct parser parser_iptables;
extern const struct parser parser_squid;
extern const struct parser parser_postfix;
extern const struct parser parser_cisco_asa;
extern const struct parser parser_cisco_ftd;
extern const struct parser parser_fortigate;
extern const struct parser parser_paloalto;
extern const struct parser parser_pfsense;
extern const struct parser parser_juniper_srx;
extern const struct parser parser_checkpoint;
extern const struct parser parser_sonicwall;
extern const struct parser parser_sophos_xg;
extern const struct parser parser_mikrotik;
extern const struct parser parser_unifi;
extern const struct parser parser_auto;
extern const struct parser parser_w3c;
extern const struct parser parser_zscaler;
extern const struct parser parser_haproxy;
extern const struct parser parser_envoy;
extern const struct parser parser_traefik;
extern const struct parser parser_nginx;
extern const struct parser parser_apache;
extern const struct parser parser_exim;
extern const struct parser parser_sendmail;
extern const struct parser parser_exchange;
extern const struct parser parser_dovecot;
extern const struct parser parser_cyrus;
extern const struct parser parser_courier;
extern const struct parser parser_cisco_esa;
extern const struct parser parser_zeek;

const struct parser *const parser_registry[] = {
	&parser_iptables,
	&parser_squid,
	&parser_postfix,
	&parser_cisco_asa,
	&parser_cisco_ftd,
	&parser_fortigate,
	&parser_paloalto,
	&parser_pfsense,
	&parser_juniper_srx,
	&parser_checkpoint,
	&parser_sonicwall,
	&parser_sophos_xg,
	&parser_mikrotik,
	&parser_unifi,
	&parser_w3c,
	&parser_zscaler,
	&parser_haproxy,
	&parser_envoy,
	&parser_traefik,
	&parser_nginx,
	&parser_apache,
	&parser_exim,
	&parser_sendmail,
	&parser_exchange,
	&parser_dovecot,
	&parser_cyrus,
	&parser_courier,
	&parser_cisco_esa,
	&parser_zeek,
	&parser_auto,		/* last: it tries all the others */
	NULL
};

const struct parser *
parser_lookup(const char *name)
{
	size_t	i;

	for (i = 0; parser_registry[i] != NULL; i++)
		if (strcmp(parser_registry[i]->name, name) == 0)
			return parser_registry[i];
	return NULL;
}
