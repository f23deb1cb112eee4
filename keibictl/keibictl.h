/*
 * keibictl.h: what the commands of keibictl share.  Each command is a
 * struct ctl_cmd in its own file, listed once in the table in keibictl.c.
 */
#ifndef KEIBI_KEIBICTL_H
#define KEIBI_KEIBICTL_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "netaddr.h"

struct tz;

struct ctl_cmd {
	const char	*name;
	const char	*usage;		/* arguments and a description */
	/* argv[0] is the command name; returns the exit status. */
	int		 (*exec)(int argc, char **argv);
};

/* The -c path given, or NULL. */
extern const char	*ctl_config_path;

/*
 * The configuration of -c, or of the default path when it exists; NULL
 * when there is none.  Exits with the errors when it does not load.
 */
struct config	*ctl_config(void);
/*
 * A command-line time, "YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]" (local in tz
 * without a zone), in microseconds; 0, or -1 if it is not one.
 */
int		 ctl_parse_time(const char *, struct tz *, int64_t *);
/* --since: a duration back from now ("30d") or a time; 0, or -1. */
int		 ctl_parse_since(const char *, struct tz *, int64_t *);
/* Parse "a,b,c" CIDRs into set; exits with a message on error. */
void		 ctl_parse_cidrs(struct cidr_set *, const char *);
/* The private ranges, for when no configuration names the internal ones. */
void		 ctl_default_networks(struct cidr_set *);
/* The full usage text. */
void		 ctl_usage(FILE *);

#endif
