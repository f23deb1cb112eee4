/*
 * incidents.h: what keibictl's incident commands share (cmd_incidents.c,
 * cmd_report.c): opening the store of the configured state_dir, reading
 * a record, and resolving its evidence references against the archive's
 * manifest (segment file and SHA-256, once sealed).
 */
#ifndef KEIBI_CTL_INCIDENTS_H
#define KEIBI_CTL_INCIDENTS_H

#include <stdbool.h>

#include <jansson.h>

struct config;
struct store;

/* The store of conf (read-only unless rw); exits with a message if none. */
struct store	*ctl_store(const struct config *, bool rw);
/* The record of id, parsed; NULL if there is none. */
json_t		*ctl_incident(struct store *, const char *id);
/* Fill segment, sha256 of the record's evidence refs from the manifest. */
void		 ctl_resolve_refs(const struct config *, json_t *doc);
/* String member of o, or "" (never NULL). */
const char	*ctl_j(json_t *o, const char *key);
/* s escaped for a terminal into buf. */
const char	*ctl_term(const char *s, char *buf, size_t size);

#endif
