/*
 * spam.h: the outbound spam detector (spam.c; its rule_ops are reached
 * through detect_lookup()).  What the rest of keibid may ask it: the
 * memory its state holds, for metrics and keibictl status.
 */
#ifndef KEIBI_SPAM_H
#define KEIBI_SPAM_H

#include <stddef.h>

struct rule;

/*
 * Memory the state of spam rule r holds: the sender table as allocated
 * (whole chunks with each sender's two distinct sets, buckets, chunk
 * list) and the state itself; 0 for a rule that is no spam detector or
 * has seen nothing yet.  O(1).
 */
size_t	spam_mem_bytes(const struct rule *r);
/* Senders spam rule r tracks now. */
size_t	spam_mem_entries(const struct rule *r);

#endif
