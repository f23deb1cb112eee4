/*
 * fw.h: what the firewall parsers share.  A common state head (syslog
 * context, counters, a small per-line scratch buffer), the vtable
 * plumbing every parser repeats, a cursor over a line, key=value and CEF
 * scanners, timestamp pieces (dates, clocks, zone names) and setters that
 * check a value before it becomes a field (an address must parse, a port
 * must be at most 65535).  Nothing here allocates per line or reads past
 * the end of a span; bytes a parser rewrites (lowercased verdicts,
 * durations) live in the scratch buffer of its state until the next line.
 */
#ifndef KEIBI_FW_H
#define KEIBI_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parser.h"
#include "record.h"
#include "sysloghdr.h"

#define FW_SCRATCH	1024	/* rewritten bytes per line */

/* A key of a key=value format and what it means to the parser. */
struct fw_key {
	const char	*key;
	size_t		 len;
	int		 id;
};
#define FW_KEY(s, id)	{ (s), sizeof(s) - 1, (id) }

#define FW_KIDX		512	/* buckets of the key index */

/* The head of every firewall parser's state; embed it first. */
struct fw_state {
	struct syslog_ctx	 ctx;
	struct parser_stats	 stats;
	size_t			 used;		/* scratch handed out */
	char			 scratch[FW_SCRATCH];
	const struct fw_key	*keys;		/* the parser's key table */
	size_t			 nkeys;
	uint8_t			 kidx[FW_KIDX];	/* bucket: 0 none, 255 many */
};

/* A read position in a line. */
struct fw_cur {
	const char	*p;
	const char	*end;
};

/* A CEF header ("CEF:0|vendor|product|version|id|name|severity|ext"). */
struct cef {
	struct span	vendor;
	struct span	product;
	struct span	version;
	struct span	sigid;
	struct span	name;
	struct span	severity;
	struct span	ext;		/* the extension, key=value ... */
};

/* A key of a key=value format and what it means to the parser. */
/* Verdict classes for event.type. */
#define FW_ALLOWED	1
#define FW_DENIED	2

/*
 * New state of size bytes (a struct beginning with fw_state); NULL if out
 * of memory.  keys (n entries, may be NULL) is the parser's key table: one
 * out of fw_key_lookup's order is a broken invariant and fatal.
 */
void	*fw_state_new(const struct parser_opts *, size_t size,
	    const struct fw_key *keys, size_t n);
/* Free a state; accepts NULL. */
void	 fw_state_free(void *);
/* The counters of a state. */
const struct parser_stats *fw_stats(void *);
/* Set the year-inference reference time of a state. */
void	 fw_set_ref(void *, int64_t);
/* Start a line: forget the scratch of the last one. */
void	 fw_begin(struct fw_state *);
/* Count the parser's answer rc in the state's stats; returns rc. */
int	 fw_count(struct fw_state *, int rc);

/* Skip spaces at the cursor. */
void	 fw_skip_sp(struct fw_cur *);
/* Consume the literal s (n bytes) at the cursor; false if not there. */
bool	 fw_lit(struct fw_cur *, const char *s, size_t n);
/* The token up to the next space (or end) into out; false if empty. */
bool	 fw_word(struct fw_cur *, struct span *out);
/* The text up to byte c into out, consuming c; false if c is absent. */
bool	 fw_until(struct fw_cur *, char c, struct span *out);
/* Find s (n bytes) in the rest of the cursor; position after it. */
bool	 fw_find(struct fw_cur *, const char *s, size_t n);

/* True if a and b hold the same bytes (unset spans are empty). */
bool	 fw_same(struct span a, struct span b);
/* Trim spaces, tabs and CR/LF at both ends of s. */
struct span fw_trim(struct span);
/* True if s equals lit ignoring ASCII case. */
bool	 fw_ieq(struct span s, const char *lit);
/* True if s starts with lit ignoring ASCII case. */
bool	 fw_iprefix(struct span s, const char *lit);
/* Find the bytes lit in s; NULL if absent. */
const char *fw_memmem(struct span s, const char *lit, size_t n);

/*
 * Next "key=value" of a space-separated list at *cur; a value may be
 * "double quoted" (the quotes are not part of it, \" inside is kept).
 * False at the end.  Text without '=' is passed over.
 */
bool	 fw_kv_next(struct fw_cur *, struct span *key, struct span *val);

/*
 * Parse a CEF header at p (after "CEF:", "CEF: ", or a bare "0|...");
 * false if p is not one.
 */
bool	 fw_cef_parse(const char *p, size_t len, struct cef *);
/* Next key=value of a CEF extension (values run to the next " key="). */
bool	 fw_cef_next(struct fw_cur *, struct span *key, struct span *val);
/*
 * Undo CEF and key=value escapes (\\ \= \| \" \n) of *v into the
 * scratch when it has any; false if it does not fit (v unchanged).
 */
bool	 fw_unescape(struct fw_state *, struct span *v);
/* A CEF rt= time (epoch ms, or "Mmm dd yyyy hh:mm:ss ZONE"); false. */
bool	 fw_cef_time(struct fw_state *, struct record *, struct span);
/* The CEF header in line (after any syslog header); NULL if none. */
const char *fw_cef_find(const char *line, size_t len);

/*
 * The id of key k in tab (n entries sorted by length, then bytes: the
 * order fw_key_cmp defines); 0 if k is not there.  O(log n).
 */
int	 fw_key_lookup(const struct fw_key *tab, size_t n, struct span k);
/*
 * The id of key k in the state's table (fw_state_new's keys); 0 if it is
 * not there.  Most keys of a line are not in the table, and a hashed
 * index rejects them without a search.
 */
int	 fw_key_find(const struct fw_state *, struct span k);
/* The order of fw_key_lookup's tables (for tests): <0, 0, >0. */
int	 fw_key_cmp(const struct fw_key *, const struct fw_key *);

/* Copy s lowercased into the scratch; false if it does not fit. */
bool	 fw_lower(struct fw_state *, struct span s, struct span *out);
/* Render v in decimal into the scratch. */
bool	 fw_u64(struct fw_state *, uint64_t v, struct span *out);

/* True if s is an IPv4 or IPv6 address. */
bool	 fw_ip_ok(struct span);
/* True if s is a port: 1-5 digits, at most 65535. */
bool	 fw_port_ok(struct span);
/* True if s is a non-empty run of decimal digits (at most 19). */
bool	 fw_num_ok(struct span);

/* Set an address field if s is one; source/destination fill rec->src/dst. */
bool	 fw_set_ip(struct record *, enum rf, struct span);
/* Set a port field if s is a port. */
bool	 fw_set_port(struct record *, enum rf, struct span);
/* Set a numeric field if s is a number. */
bool	 fw_set_num(struct record *, enum rf, struct span);
/* Set a string field unless s is empty, "-", "N/A", "None" or "unknown". */
void	 fw_set_str(struct record *, enum rf, struct span);
/* network.transport from a name ("TCP") or IANA number ("6"). */
void	 fw_set_transport(struct fw_state *, struct record *, struct span);
/*
 * event.action as the vendor's word, lowercased, and event.type from it
 * when it names a verdict; returns FW_ALLOWED, FW_DENIED or 0.
 */
int	 fw_set_action(struct fw_state *, struct record *, struct span);
/* The verdict class of a vendor action word (any case); 0 if none. */
int	 fw_verdict(struct span);
/* Set event.type to the class cls (FW_ALLOWED/FW_DENIED). */
void	 fw_set_type(struct record *, int cls);
/* event.duration (nanoseconds) from seconds and microseconds. */
void	 fw_set_duration(struct fw_state *, struct record *, uint64_t s,
	    uint64_t us);
/* url.original, and url.domain from it ("host/path" or a full URL). */
void	 fw_set_url(struct record *, struct span);

/* "2026-11-21" or "2026/11/21" into y, m, d; false if not a date. */
bool	 fw_date(struct span, int *y, int *m, int *d);
/* "14:34:33" (optional fraction) into h, mi, s, us; false if not one. */
bool	 fw_clock(struct span, int *h, int *mi, int *s, int64_t *us,
	    uint8_t *digits);
/* "+0900", "-05:00", "UTC", "GMT", "CEST"... into *off; false if unknown. */
bool	 fw_zone(struct span, int32_t *off);
/* Set @timestamp from a civil time; off NULL means the state's zone. */
void	 fw_set_time(struct fw_state *, struct record *, int y, int m, int d,
	    int h, int mi, int s, int64_t us, uint8_t digits,
	    const int32_t *off);
/* Set @timestamp from seconds since the epoch. */
void	 fw_set_epoch(struct record *, int64_t secs);
/*
 * A BSD-style device time at the cursor: "Mmm dd[ yyyy] hh:mm:ss[.fff]"
 * (the year inferred when absent); sets @timestamp and consumes it.
 */
bool	 fw_bsd_time(struct fw_state *, struct fw_cur *, struct record *);

#endif
