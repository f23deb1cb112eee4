/*
 * mailq.c: the bounded message table of the mail parsers (see mailq.h).
 * Slots are allocated once; a hash on the id finds an entry, an age list
 * orders them for eviction and a free list recycles them.  Every
 * operation is O(1) on average, nothing allocates after mailq_new(), and
 * no copy may overrun its slot.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailq.h"

#define MQ_NONE	UINT32_MAX

struct mailq {
	struct mailq_entry	*slots;
	uint32_t		*buckets;
	uint32_t		 nslots;
	uint32_t		 mask;
	uint32_t		 high;		/* slots ever handed out */
	uint32_t		 free_list;
	uint32_t		 oldest;
	uint32_t		 newest;
	uint32_t		 count;
};

static const size_t mailq_caps[MQ_NFIELDS] = {
	[MQ_IP] = MAILQ_IP_MAX,
	[MQ_HOST] = MAILQ_HOST_MAX,
	[MQ_USER] = MAILQ_USER_MAX,
	[MQ_FROM] = MAILQ_ADDR_MAX,
	[MQ_MSGID] = MAILQ_MSGID_MAX,
	[MQ_SUBJECT] = MAILQ_SUBJECT_MAX,
};

/* 32-bit FNV-1a of an id. */
static uint32_t
mailq_hash(const char *p, size_t len)
{
	uint32_t	h = 2166136261U;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619U;
	}
	return h;
}

/* The slot of field f in e. */
static char *
mailq_slot(struct mailq_entry *e, enum mailq_field f)
{
	switch (f) {
	case MQ_IP:
		return e->ip;
	case MQ_HOST:
		return e->host;
	case MQ_USER:
		return e->user;
	case MQ_FROM:
		return e->from;
	case MQ_MSGID:
		return e->msgid;
	default:
		return e->subject;
	}
}

/* A table of max entries; NULL on allocation failure. */
struct mailq *
mailq_new(size_t max)
{
	struct mailq	*q;
	size_t		 nb, i;

	if (max == 0)
		max = MAILQ_DEFAULT;
	if (max > MAILQ_LIMIT)
		max = MAILQ_LIMIT;
	if ((q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	for (nb = 1; nb < max; nb <<= 1)
		;
	q->nslots = (uint32_t)max;
	q->mask = (uint32_t)nb - 1;
	/* calloc: untouched slots cost no memory until first used. */
	q->slots = calloc(max, sizeof *q->slots);
	q->buckets = malloc(nb * sizeof *q->buckets);
	if (q->slots == NULL || q->buckets == NULL) {
		mailq_free(q);
		return NULL;
	}
	for (i = 0; i < nb; i++)
		q->buckets[i] = MQ_NONE;
	q->free_list = q->oldest = q->newest = MQ_NONE;
	return q;
}

/* Free a table; accepts NULL. */
void
mailq_free(struct mailq *q)
{
	if (q == NULL)
		return;
	free(q->slots);
	free(q->buckets);
	free(q);
}

/* Unlink entry i from the age list. */
static void
mailq_age_unlink(struct mailq *q, uint32_t i)
{
	struct mailq_entry	*e = &q->slots[i];

	if (e->older != MQ_NONE)
		q->slots[e->older].newer = e->newer;
	else
		q->oldest = e->newer;
	if (e->newer != MQ_NONE)
		q->slots[e->newer].older = e->older;
	else
		q->newest = e->older;
	e->older = e->newer = MQ_NONE;
}

/* Make entry i the newest. */
static void
mailq_age_push(struct mailq *q, uint32_t i)
{
	struct mailq_entry	*e = &q->slots[i];

	e->older = q->newest;
	e->newer = MQ_NONE;
	if (q->newest != MQ_NONE)
		q->slots[q->newest].newer = i;
	else
		q->oldest = i;
	q->newest = i;
}

/* The entry of id, made the most recent; NULL if absent. */
struct mailq_entry *
mailq_get(struct mailq *q, struct span id)
{
	uint32_t	i;

	if (id.len == 0 || id.len >= MAILQ_ID_MAX)
		return NULL;
	i = q->buckets[mailq_hash(id.p, id.len) & q->mask];
	for (; i != MQ_NONE; i = q->slots[i].hnext) {
		struct mailq_entry	*e = &q->slots[i];

		if (e->id_len == id.len && memcmp(e->id, id.p, id.len) == 0)
			break;
	}
	if (i == MQ_NONE)
		return NULL;
	if (i != q->newest) {
		mailq_age_unlink(q, i);
		mailq_age_push(q, i);
	}
	return &q->slots[i];
}

/* Free entry e; its text stays in place until the slot is reused. */
void
mailq_del(struct mailq *q, struct mailq_entry *e)
{
	uint32_t	 i = (uint32_t)(e - q->slots);
	uint32_t	*pp;

	if (!e->used)
		return;
	pp = &q->buckets[mailq_hash(e->id, e->id_len) & q->mask];
	while (*pp != MQ_NONE && *pp != i)
		pp = &q->slots[*pp].hnext;
	if (*pp == i)
		*pp = e->hnext;
	mailq_age_unlink(q, i);
	e->used = false;
	e->hnext = q->free_list;
	q->free_list = i;
	q->count--;
}

/* The entry of id, made if absent; the oldest is dropped when full. */
struct mailq_entry *
mailq_put(struct mailq *q, struct span id, uint64_t *dropped)
{
	struct mailq_entry	*e;
	uint32_t		 i, b;

	if (id.len == 0 || id.len >= MAILQ_ID_MAX)
		return NULL;
	if ((e = mailq_get(q, id)) != NULL)
		return e;
	if (q->free_list == MQ_NONE && q->high == q->nslots) {
		mailq_del(q, &q->slots[q->oldest]);
		if (dropped != NULL)
			(*dropped)++;
	}
	if (q->free_list != MQ_NONE) {
		i = q->free_list;
		q->free_list = q->slots[i].hnext;
	} else
		i = q->high++;
	e = &q->slots[i];
	memset(e, 0, offsetof(struct mailq_entry, id));
	e->used = true;
	memcpy(e->id, id.p, id.len);
	e->id_len = (uint8_t)id.len;
	b = mailq_hash(id.p, id.len) & q->mask;
	e->hnext = q->buckets[b];
	q->buckets[b] = i;
	mailq_age_push(q, i);
	q->count++;
	return e;
}

/* Number of entries in use. */
size_t
mailq_count(const struct mailq *q)
{
	return q->count;
}

/* Copy v into field f of e. */
void
mailq_set(struct mailq_entry *e, enum mailq_field f, struct span v)
{
	char	*dst = mailq_slot(e, f);

	if (v.len > mailq_caps[f]) {
		v.len = mailq_caps[f];
		e->cut = true;
	}
	if (f == MQ_IP) {
		if (netaddr_parse(&e->addr, v.p, v.len) != 0) {
			e->addr.family = 0;
			return;
		}
	}
	if (v.len > 0)
		memcpy(dst, v.p, v.len);
	e->len[f] = (uint16_t)v.len;
}

/* Copy record field rf into field f of e, if rec has it. */
void
mailq_keep(struct mailq_entry *e, enum mailq_field f,
    const struct record *rec, enum rf rf)
{
	if (record_has(rec, rf))
		mailq_set(e, f, record_get(rec, rf));
}

/* Field f of e as a span. */
struct span
mailq_value(const struct mailq_entry *e, enum mailq_field f)
{
	struct span	s;

	s.p = mailq_slot((struct mailq_entry *)e, f);
	s.len = e->len[f];
	if (s.len == 0)
		s.p = NULL;
	return s;
}

/* Set the fields of e that rec does not have yet. */
void
mailq_join(const struct mailq_entry *e, struct record *rec)
{
	static const enum rf	rfs[MQ_NFIELDS] = {
		[MQ_IP] = RF_SOURCE_IP,
		[MQ_HOST] = RF_SOURCE_DOMAIN,
		[MQ_USER] = RF_USER_NAME,
		[MQ_FROM] = RF_EMAIL_FROM_ADDRESS,
		[MQ_MSGID] = RF_EMAIL_MESSAGE_ID,
		[MQ_SUBJECT] = RF_EMAIL_SUBJECT,
	};
	struct span		v;
	int			f;

	for (f = 0; f < MQ_NFIELDS; f++) {
		if (e->len[f] == 0 || record_has(rec, rfs[f]))
			continue;
		v = mailq_value(e, (enum mailq_field)f);
		if (f == MQ_IP) {
			if (e->addr.family == 0)
				continue;
			rec->src = e->addr;
		}
		record_set(rec, rfs[f], v.p, v.len);
	}
	if (e->cut)
		rec->flags |= REC_TRUNCATED;
}

/* The next recipient of an email.to.address list (see mailq.h). */
bool
mailq_rcpt_next(struct span *list, struct span *rcpt)
{
	const char	*p = list->p, *end, *q, *e;
	bool		 quoted;

	if (p == NULL)
		return false;
	end = p + list->len;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ';' ||
		    *p == ','))
			p++;
		if (p >= end)
			break;
		quoted = false;
		for (q = p; q < end; q++) {
			if (*q == '"')
				quoted = !quoted;
			else if (!quoted && (*q == ';' || *q == ','))
				break;
		}
		for (e = q; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (e - p >= 2 && *p == '<' && e[-1] == '>') {
			p++;
			e--;
		}
		list->p = q;
		list->len = (size_t)(end - q);
		if (e > p) {
			rcpt->p = p;
			rcpt->len = (size_t)(e - p);
			return true;
		}
		p = q;
	}
	list->p = end;
	list->len = 0;
	return false;
}

void *
mailq_parser_new(const struct parser_opts *opts)
{
	struct mailq_parser	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	if (opts != NULL) {
		st->sctx.tz = opts->tz;
		st->sctx.ref_us = opts->ref_us;
	}
	if ((st->q = mailq_new(opts != NULL ? opts->max_queue : 0)) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
mailq_parser_free(void *state)
{
	struct mailq_parser	*st = state;

	if (st == NULL)
		return;
	mailq_free(st->q);
	free(st);
}
