/*
 * output.h: where alerts go.  An output is a const vtable in one registry
 * array, looked up by the config's "type".  Outputs are written from the
 * loop; output_sync() makes everything written so far durable, and is
 * called before source positions are saved, so nothing acknowledged is
 * ever lost.
 */
#ifndef KEIBI_OUTPUT_H
#define KEIBI_OUTPUT_H

#include "config.h"
#include "record.h"
#include "rule.h"

struct output;

struct output_ops {
	const char	*type;
	/* Open; NULL with *cause (malloc'd) on failure. */
	void		*(*open)(const struct output_conf *, char **cause);
	/* Write one alert; 0 or -1 (logged by the output). */
	int		 (*alert)(void *, const struct rule *,
			    const struct record *);
	/* Flush and make durable; 0 or -1. */
	int		 (*sync)(void *);
	void		 (*close)(void *);
};

struct output {
	const struct output_ops	*ops;
	void			*state;
	char			*name;		/* type:path, for messages */
	uint64_t		 written;
	uint64_t		 errors;
};

/* Find the ops of an output type; NULL if there are none. */
const struct output_ops	*output_lookup(const char *type);
/* Open an output from its config; NULL with *cause. */
struct output	*output_open(const struct output_conf *, char **cause);
int		 output_alert(struct output *, const struct rule *,
		    const struct record *);
int		 output_sync(struct output *);
void		 output_close(struct output *);

/*
 * The alert as a JSON object (rule, event fields, original line); for
 * outputs and tools.  A malloc'd string without a newline.
 */
char		*output_alert_json(const struct rule *, const struct record *);

#endif
