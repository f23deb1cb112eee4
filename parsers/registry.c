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

const struct parser *const parser_registry[] = {
	&parser_iptables,
	&parser_squid,
	&parser_postfix,
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
