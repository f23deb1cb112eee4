/*
 * scan.h: the scan and worm-spread detector (scan.c; its rule_ops are
 * reached through detect_lookup()).  What the rest of keibid may ask it:
 * the memory its state holds, for metrics and keibictl status.
 */
#ifndef KEIBI_SCAN_H
#define KEIBI_SCAN_H

#include <stddef.h>

struct rule;

/*
 * Memory the state of scan rule r holds: the host, contact and victim
 * tables as allocated (whole chunks, buckets, chunk lists) and the state
 * itself; 0 for a rule that is no scan or has seen nothing yet.  O(1).
 */
size_t	scan_mem_bytes(const struct rule *r);
/* Hosts, contacts and victims scan rule r tracks now. */
size_t	scan_mem_entries(const struct rule *r);

#endif
