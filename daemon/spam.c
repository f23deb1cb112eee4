/*
 * spam.c: the outbound spam detector.  Per sender (the SASL user, else
 * the client address unless it is one of our mail servers, else the
 * envelope sender) and on event time it
 * counts, over a sliding window cut in twelve slices, the delivery
 * attempts and the bounces, and keeps true distinct sets of recipients and
 * of recipient domains.  It alerts when a sender reaches "recipients"
 * distinct recipients or "domains" distinct domains within the window, or
 * when at least bounce_min deliveries bounced and they are at least
 * bounce_ratio of all.  The sender table is bounded (max_senders) and
 * counts what it drops; a sender alerts at most once per realert.  It
 * reads only fields every mail parser sets (user.name, source.ip,
 * email.from.address, email.to.address, event.action), so it works on
 * Postfix, Exim, Sendmail, Courier, Exchange tracking and Cisco ESA logs
 * alike.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corr.h"
#include "detect.h"
#include "ktab.h"
#include "log.h"
#include "mailq.h"
#include "spam.h"

#define SPAM_SLICES	12
#define SPAM_EXPIRE_STEP 2

struct spam_conf {
	int64_t		window_us;
	int64_t		realert_us;
	uint64_t	recipients;
	uint64_t	domains;
	uint64_t	bounce_min;
	double		bounce_ratio;
	uint64_t	max_senders;
};

struct spam_sender {
	int64_t		last_us;
	int64_t		alerted_us;
	int64_t		slice_last;	/* index of the newest slice */
	uint32_t	sent[SPAM_SLICES];
	uint32_t	bounced[SPAM_SLICES];
	uint32_t	dsi;
	uint32_t	rcpt_off;	/* byte offsets of the two sets */
	uint32_t	dom_off;
	uint64_t	sets[];		/* two struct dset, 8-aligned */
};

struct spam_state {
	struct spam_conf conf;
	uint32_t	 rcpt_slots;
	uint32_t	 dom_slots;
	struct ktab	 t;
};

static const char *const spam_known[] = { "window", "realert", "recipients",
    "domains", "bounce_min", "bounce_ratio", "max_senders", NULL };

static int
spam_conf(const struct rule *r, struct spam_conf *c, char **cause)
{
	size_t	i, j;

	for (i = 0; i < r->nparams; i++) {
		for (j = 0; spam_known[j] != NULL; j++)
			if (strcmp(spam_known[j], r->params[i].key) == 0)
				break;
		if (spam_known[j] == NULL) {
			if (asprintf(cause, "unknown spam parameter '%s' "
			    "(window, realert, recipients, domains, bounce_min, "
			    "bounce_ratio, max_senders)", r->params[i].key) == -1)
				fatal("asprintf");
			return -1;
		}
	}
	if (detect_param_dur(r, "window", 3600LL * 1000000, &c->window_us,
	    cause) != 0 ||
	    detect_param_dur(r, "realert", 3600LL * 1000000, &c->realert_us,
	    cause) != 0 ||
	    detect_param_u64(r, "recipients", 100, 2, 100000, &c->recipients,
	    cause) != 0 ||
	    detect_param_u64(r, "domains", 50, 2, 100000, &c->domains,
	    cause) != 0 ||
	    detect_param_u64(r, "bounce_min", 20, 1, 1000000, &c->bounce_min,
	    cause) != 0 ||
	    detect_param_frac(r, "bounce_ratio", 0.5, &c->bounce_ratio,
	    cause) != 0 ||
	    detect_param_u64(r, "max_senders", 16384, 1, 4 * 1024 * 1024,
	    &c->max_senders, cause) != 0)
		return -1;
	return 0;
}

static int
spam_check(struct rule *r, char **cause)
{
	struct spam_conf	c;

	return spam_conf(r, &c, cause);
}

static struct spam_state *
spam_state(struct rule *r)
{
	struct spam_state	*ss;
	char			*cause = NULL;
	size_t			 psize;

	if (r->state != NULL)
		return r->state;
	if ((ss = calloc(1, sizeof *ss)) == NULL)
		fatal("calloc");
	if (spam_conf(r, &ss->conf, &cause) != 0)
		fatalx("spam parameters: %s", cause);	/* checked at load */
	ss->rcpt_slots = dset_slots(ss->conf.recipients);
	ss->dom_slots = dset_slots(ss->conf.domains);
	psize = sizeof(struct spam_sender) + dset_size(ss->rcpt_slots) +
	    dset_size(ss->dom_slots);
	ktab_init(&ss->t, psize, (size_t)ss->conf.max_senders);
	r->state = ss;
	return ss;
}

static void
spam_free(void *state)
{
	struct spam_state	*ss = state;

	if (ss == NULL)
		return;
	ktab_free(&ss->t);
	free(ss);
}

/* Sum of the slices still in the window. */
static uint32_t
spam_sum(const uint32_t *v)
{
	uint32_t	s = 0;
	size_t		i;

	for (i = 0; i < SPAM_SLICES; i++)
		s += v[i];
	return s;
}

/* Move the slices forward to time t. */
static void
spam_advance(struct spam_sender *s, int64_t slice)
{
	int64_t	k;

	if (s->slice_last == 0)
		s->slice_last = slice;
	for (k = s->slice_last + 1; k <= slice && k <= s->slice_last +
	    SPAM_SLICES; k++) {
		s->sent[k % SPAM_SLICES] = 0;
		s->bounced[k % SPAM_SLICES] = 0;
	}
	if (slice > s->slice_last)
		s->slice_last = slice;
}

/*
 * A bounce, as each mail parser says it: Postfix's status=bounced, the
 * "bounced" action of Exim (**), Sendmail and Cisco ESA, Exchange's FAIL.
 */
static bool
spam_bounced(const struct record *rec)
{
	struct span	v;

	if (record_has(rec, RF_POSTFIX_STATUS))
		return span_eq(record_get(rec, RF_POSTFIX_STATUS), "bounced");
	if (!record_has(rec, RF_EVENT_ACTION))
		return false;
	v = record_get(rec, RF_EVENT_ACTION);
	return span_eq(v, "bounced") || span_eq(v, "FAIL");
}

static void
spam_feed(struct ruleset *rs, struct rule *r, const struct record *rec,
    rule_match_cb cb, void *arg)
{
	struct spam_state	*ss;
	struct spam_sender	*s, *o;
	struct record		 a;
	struct span		 who, to, dom, v;
	const char		*at;
	uint64_t		 key;
	uint32_t		 nr, nd, n, sent, bounced, count;
	int64_t			 t = rec->ts_us, slice, bw;
	bool			 isnew, bounce;
	char			 what[256], reason[512], win[32];

	if (!rec->has_ts || !record_has(rec, RF_EMAIL_TO_ADDRESS))
		return;
	/*
	 * A delivery by a local transport ("delivered-local", "bounced-local"
	 * from Exim and Courier) stays on this host: not outbound mail.
	 */
	v = record_has(rec, RF_EVENT_ACTION) ? record_get(rec,
	    RF_EVENT_ACTION) : SPAN_NULL;
	if (v.len > 6 && memcmp(v.p + v.len - 6, "-local", 6) == 0)
		return;
	/*
	 * The client address names a sender unless it is one of our mail
	 * servers: Exchange's tracking log gives its own address as the
	 * client of every message it sends on, which would make the whole
	 * organisation one sender.
	 */
	/*
	 * Mail from an outside client that did not log in is inbound (a
	 * gateway such as Cisco ESA or an MX logs it with the same words):
	 * not ours to judge as outbound spam.
	 */
	if (!record_has(rec, RF_USER_NAME) && rec->src.family != 0 &&
	    rs->roles[ROLE_INTERNAL].n > 0 &&
	    !cidr_set_contains(&rs->roles[ROLE_INTERNAL], &rec->src))
		return;
	if (record_has(rec, RF_USER_NAME))
		who = record_get(rec, RF_USER_NAME);
	else if (record_has(rec, RF_SOURCE_IP) && (rec->src.family == 0 ||
	    !cidr_set_contains(&rs->roles[ROLE_MAIL_SERVERS], &rec->src)))
		who = record_get(rec, RF_SOURCE_IP);
	else if (record_has(rec, RF_EMAIL_FROM_ADDRESS))
		who = record_get(rec, RF_EMAIL_FROM_ADDRESS);
	else
		return;
	ss = spam_state(r);
	/* Drop a few senders idle for a whole window. */
	for (nr = 0; nr < SPAM_EXPIRE_STEP; nr++) {
		if ((o = ktab_sweep(&ss->t)) == NULL)
			break;
		if (detect_watermark(rs, o->dsi) - o->last_us >
		    ss->conf.window_us + DETECT_TOLERANCE_US)
			ktab_del(&ss->t, o);
	}
	key = rule_hash(rs->seed, who.p, who.len);
	s = ktab_get(&ss->t, key, &isnew);
	r->dropped += ss->t.evicted;
	ss->t.evicted = 0;
	if (isnew) {
		s->rcpt_off = 0;
		s->dom_off = (uint32_t)dset_size(ss->rcpt_slots);
		dset_init((struct dset *)((char *)s->sets + s->rcpt_off),
		    ss->rcpt_slots);
		dset_init((struct dset *)((char *)s->sets + s->dom_off),
		    ss->dom_slots);
	}
	if (t > s->last_us)
		s->last_us = t;
	s->dsi = detect_dataset(rs);
	bw = ss->conf.window_us / SPAM_SLICES;
	slice = t / (bw > 0 ? bw : 1);
	spam_advance(s, slice);
	bounce = spam_bounced(rec);
	/*
	 * One line may name several recipients (Exchange tracking writes
	 * "a@x;b@y"): each is a delivery and a recipient of its own.  The
	 * line-length cap bounds the loop.
	 */
	v = record_get(rec, RF_EMAIL_TO_ADDRESS);
	for (n = 0, nr = nd = 0; mailq_rcpt_next(&v, &to); n++) {
		at = memrchr(to.p, '@', to.len);
		dom = at != NULL ? (struct span){ at + 1, (size_t)(to.p +
		    to.len - at - 1) } : to;
		nr = dset_add((struct dset *)((char *)s->sets + s->rcpt_off),
		    rule_hash(rs->seed, to.p, to.len), t, s->last_us -
		    ss->conf.window_us, ss->conf.recipients, &r->dropped);
		nd = dset_add((struct dset *)((char *)s->sets + s->dom_off),
		    rule_hash(rs->seed, dom.p, dom.len), t, s->last_us -
		    ss->conf.window_us, ss->conf.domains, &r->dropped);
	}
	if (slice > s->slice_last - SPAM_SLICES) {
		s->sent[slice % SPAM_SLICES] += n;
		if (bounce)
			s->bounced[slice % SPAM_SLICES] += n;
	}
	sent = spam_sum(s->sent);
	bounced = spam_sum(s->bounced);
	/* The events behind the alert: what crossed its limit. */
	if (nr >= ss->conf.recipients) {
		snprintf(what, sizeof what, "%u distinct recipients", nr);
		count = nr;
	} else if (nd >= ss->conf.domains) {
		snprintf(what, sizeof what, "%u distinct recipient domains",
		    nd);
		count = nd;
	} else if (bounced >= ss->conf.bounce_min && sent > 0 &&
	    (double)bounced / sent >= ss->conf.bounce_ratio) {
		snprintf(what, sizeof what, "%u of %u deliveries bounced",
		    bounced, sent);
		count = sent;
	} else
		return;
	if (s->alerted_us != 0 && t - s->alerted_us < ss->conf.realert_us) {
		r->suppressed++;
		return;
	}
	s->alerted_us = t;
	detect_window_text(ss->conf.window_us, win, sizeof win);
	snprintf(reason, sizeof reason, "outbound spam: %s within %s from "
	    "one sender (%u deliveries, %u bounced, %u recipients, %u "
	    "domains)", what, win, sent, bounced, nr, nd);
	a = *rec;
	a.count = count;
	a.flags |= REC_COUNT;
	record_set(&a, RF_EVENT_REASON, reason, strlen(reason));
	detect_emit(rs, r, &a, cb, arg);
}

const struct rule_ops detect_spam_ops = {
	.name = "spam",
	.check = spam_check,
	.feed = spam_feed,
	.flush = NULL,
	.free = spam_free,
};

size_t
spam_mem_bytes(const struct rule *r)
{
	const struct spam_state	*ss;

	if (r->ops != &detect_spam_ops || (ss = r->state) == NULL)
		return 0;
	return sizeof *ss + ktab_bytes(&ss->t) +
	    ss->t.nchunks * sizeof *ss->t.chunks;
}

size_t
spam_mem_entries(const struct rule *r)
{
	const struct spam_state	*ss;

	if (r->ops != &detect_spam_ops || (ss = r->state) == NULL)
		return 0;
	return ss->t.n;
}
