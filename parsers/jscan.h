/*
 * jscan.h: a scanner over one JSON object per line, for the parsers of
 * logs written as JSON (Zeek, Traefik, Envoy, Zscaler).  It walks the
 * members of an object and hands out each key and value as spans into the
 * line; nested objects and arrays come back whole, to be opened in turn or
 * ignored.  Nothing is allocated or decoded: a string that holds escapes
 * is flagged, and jscan_string() copies it without them into a scratch
 * buffer.  It never reads past the span it was given and checks only as
 * much of the syntax as it needs to find where each value ends.
 */
#ifndef KEIBI_JSCAN_H
#define KEIBI_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "scratch.h"

enum jtype {
	JT_STRING = 0,
	JT_NUMBER,
	JT_TRUE,
	JT_FALSE,
	JT_NULL,
	JT_OBJECT,
	JT_ARRAY
};

struct jval {
	enum jtype	type;
	struct span	v;	/* string: contents without quotes; else raw */
	bool		escaped;	/* string holds backslash escapes */
};

struct jscan {
	const char	*p;
	const char	*end;
	bool		 first;
};

/*
 * Start scanning the object at the start of s (after white space).
 * Returns 0, or -1 if s does not start with "{".
 */
int	jscan_open(struct jscan *, struct span s);

/*
 * The next member: 1 with its key (contents of the key string) and value,
 * 0 at the closing brace, -1 when the text is not JSON as far as it goes.
 */
int	jscan_next(struct jscan *, struct span *key, struct jval *val);

/*
 * The value of a string as text: the span itself when it holds no escape,
 * else a copy without escapes in the scratch buffer (\uXXXX as UTF-8).
 * For numbers, true and false the raw text.  False for null, objects,
 * arrays, and strings that do not fit the scratch buffer.
 */
bool	jscan_string(struct scratch *, const struct jval *, struct span *out);

/* A member name a parser reads, and what it stands for (never 0). */
struct jkey {
	const char	*name;
	size_t		 len;
	int		 id;
};

#define JKEY(s, id)	{ (s), sizeof(s) - 1, (id) }

/*
 * The id of a member name in tab (ended by a NULL name); 0 when the
 * parser does not read it.  Lengths are compared first, so most names
 * cost one comparison.
 */
int	jscan_key(const struct jkey *tab, struct span key);

/*
 * Member names seen before, in slots chosen by a hash of the name: one
 * producer writes the same few dozen names on every line, so a name is
 * looked up with one comparison instead of a table search.  Part of a
 * parser's state; zeroed, it is empty.
 */
#define JKEY_CACHE_SLOTS	256
#define JKEY_CACHE_NAME		32

struct jkey_cache {
	struct {
		uint8_t	len;
		int16_t	id;
		char	name[JKEY_CACHE_NAME];
	}	e[JKEY_CACHE_SLOTS];
};

/* jscan_key() through the cache. */
int	jscan_key_cached(struct jkey_cache *, const struct jkey *,
	    struct span key);

#endif
