/*
 * mailq.h: the bounded table through which a mail parser joins the lines
 * of one message (Exim message ids, Sendmail queue ids, Cisco ESA MIDs and
 * ICIDs).  An entry keeps copies of what earlier lines said: the client's
 * address and name, the authenticated user, the sender, the Message-ID and
 * the subject, so that a delivery line carries who sent the message and
 * from where.  The table is allocated once, never grows, and drops (and
 * counts) its least recently used entry when full.  Values longer than
 * their slot are cut and the entry is marked, so records joined from it
 * are flagged truncated.
 */
#ifndef KEIBI_MAILQ_H
#define KEIBI_MAILQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "parser.h"
#include "record.h"
#include "sysloghdr.h"

#define MAILQ_ID_MAX		40
#define MAILQ_IP_MAX		48
#define MAILQ_HOST_MAX		128
#define MAILQ_USER_MAX		128
#define MAILQ_ADDR_MAX		256
#define MAILQ_MSGID_MAX		256
#define MAILQ_SUBJECT_MAX	200

/* Default and largest number of entries. */
#define MAILQ_DEFAULT		100000
#define MAILQ_LIMIT		(1U << 24)

/* The values an entry keeps (an index into its slots). */
enum mailq_field {
	MQ_IP = 0,		/* source.ip */
	MQ_HOST,		/* source.domain */
	MQ_USER,		/* user.name */
	MQ_FROM,		/* email.from.address */
	MQ_MSGID,		/* email.message_id */
	MQ_SUBJECT,		/* email.subject */
	MQ_NFIELDS
};

struct mailq_entry {
	uint32_t	hnext;		/* hash chain, or free list */
	uint32_t	older;		/* age list */
	uint32_t	newer;
	bool		used;
	bool		cut;		/* a value did not fit its slot */
	uint8_t		id_len;
	uint16_t	len[MQ_NFIELDS];
	struct netaddr	addr;		/* parsed MQ_IP, family 0 if none */
	char		id[MAILQ_ID_MAX];
	char		ip[MAILQ_IP_MAX];
	char		host[MAILQ_HOST_MAX];
	char		user[MAILQ_USER_MAX];
	char		from[MAILQ_ADDR_MAX];
	char		msgid[MAILQ_MSGID_MAX];
	char		subject[MAILQ_SUBJECT_MAX];
};

struct mailq;

/* A table of max entries (0: the default); NULL on allocation failure. */
struct mailq		*mailq_new(size_t max);
/* Free a table; accepts NULL. */
void			 mailq_free(struct mailq *);

/* The entry of id, made the most recent; NULL if absent. */
struct mailq_entry	*mailq_get(struct mailq *, struct span id);
/*
 * The entry of id, made if absent (an id longer than MAILQ_ID_MAX - 1 is
 * refused: NULL).  When the table is full the least recently used entry
 * is dropped and *dropped is incremented.
 */
struct mailq_entry	*mailq_put(struct mailq *, struct span id,
			    uint64_t *dropped);
/* Free an entry; its text stays readable until the next mailq_put. */
void			 mailq_del(struct mailq *, struct mailq_entry *);
/* Number of entries in use. */
size_t			 mailq_count(const struct mailq *);

/* Copy v into field f of e (MQ_IP also parses the address). */
void			 mailq_set(struct mailq_entry *, enum mailq_field,
			    struct span v);
/* Copy record field rf into field f of e, if rec has it. */
void			 mailq_keep(struct mailq_entry *, enum mailq_field,
			    const struct record *, enum rf);
/* Field f of e as a span ({NULL, 0} when empty). */
struct span		 mailq_value(const struct mailq_entry *,
			    enum mailq_field);
/* Set the record fields e holds that rec does not have yet. */
void			 mailq_join(const struct mailq_entry *,
			    struct record *);

/*
 * The next recipient of an email.to.address value.  That field holds one
 * address, or every recipient of a line that names several, as the
 * product lists them: separated by ';' (Exchange message tracking) or ','
 * (Sendmail), each maybe in angle brackets and with spaces around it.  A
 * separator inside double quotes ("a,b"@example.com) does not split, and
 * empty items ("<>", ";;") are skipped.  Sets *rcpt to a span inside
 * *list and advances *list past it; false when no address is left.
 * Allocates nothing, reads only inside *list; O(length).
 */
bool			 mailq_rcpt_next(struct span *list,
			    struct span *rcpt);

/*
 * The state of a syslog mail parser that joins its lines by one queue id
 * (Exim, Sendmail, Courier): its counters, its syslog header context and
 * its table.
 */
struct mailq_parser {
	struct parser_stats	 stats;
	struct syslog_ctx	 sctx;
	struct mailq		*q;
};

/* Its state_new and state_free: NULL on allocation failure; accepts NULL. */
void			*mailq_parser_new(const struct parser_opts *);
void			 mailq_parser_free(void *);

#endif
