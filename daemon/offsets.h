/*
 * offsets.h: saved source positions in state_dir.  The file is replaced
 * atomically (write a temporary, fsync, rename, fsync the folder), so a
 * crash leaves either the old or the new positions, never a mix.
 */
#ifndef KEIBI_OFFSETS_H
#define KEIBI_OFFSETS_H

#include "source.h"

#define OFFSETS_FILE	"positions.json"

/* Load the position of source name; 0 found, -1 none (pos zeroed). */
int	offsets_get(const char *state_dir, const char *name,
	    struct source_pos *pos);

/* Save the positions of all sources; 0 or -1 (logged). */
int	offsets_save(const char *state_dir, struct source **, size_t);

#endif
