/*
 * config.h: keibid's configuration, read from YAML with libyaml.  Loading
 * builds a complete struct config or reports every error it found, each as
 * "file:line:column: reason"; unknown keys are errors (with a "did you mean"
 * when a known key is close).  Loading never touches the running daemon:
 * reload builds a new config and swaps it in only when it is whole.
 */
#ifndef KEIBI_CONFIG_H
#define KEIBI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

#define CONFIG_DEFAULT_PATH	"/etc/keibi/keibi.yml"
#define CONFIG_MAX_LINE_DEFAULT	(64 * 1024)	/* bytes per line before a cut */
#define CONFIG_MAX_QUEUE_DEFAULT 100000		/* postfix queue ids kept */

enum start_at {
	START_BEGINNING = 0,
	START_END
};

struct source_conf {
	char		*name;		/* unique; used in evidence paths and events */
	char		*path;
	char		*parser;	/* a registered parser name, or "auto" */
	char		*timezone;	/* NULL: the global one */
	enum start_at	 start_at;
	int		 line;		/* where it was defined, for messages */
};

struct output_conf {
	char		*type;		/* "jsonl" */
	char		*path;
	int		 line;
};

struct config {
	char		*file;		/* path it was read from */
	char		*state_dir;
	char		**rules;	/* files or folders of *.yml */
	size_t		 nrules;

	struct cidr_set	 internal;
	struct cidr_set	 mail_servers;
	struct cidr_set	 proxies;
	struct cidr_set	 dns_servers;

	struct source_conf *sources;
	size_t		 nsources;

	char		*evidence_dir;	/* NULL: <state_dir>/evidence */

	struct output_conf *outputs;
	size_t		 noutputs;

	char		*timezone;	/* zone of year-less syslog times; "UTC" */
	size_t		 max_line;	/* line-length cap */
	size_t		 max_queue;	/* bound of postfix queue-id table */
};

/*
 * Load path.  Returns the config, or NULL with *cause set to a malloc'd
 * message listing every error, one "file:line:column: reason" per line,
 * the first error first.
 */
struct config	*config_load(const char *path, char **cause);

/* The same from a buffer; name is used in messages. */
struct config	*config_load_buffer(const char *name, const char *buf,
		    size_t len, char **cause);

/* Free a config; accepts NULL and half-built configs. */
void		 config_free(struct config *);

/* Find a source by name; NULL if none. */
const struct source_conf *config_source(const struct config *, const char *);

#endif
