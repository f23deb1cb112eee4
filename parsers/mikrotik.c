/*
 * mikrotik.c: MikroTik RouterOS remote syslog: firewall rules with
 * logging on, and log-ins to the router, after the topics RouterOS puts
 * in front of every message:
 *
 *	Nov 21 10:00:00 gw firewall,info drop-in input: in:ether1 out:(unknown
 *	    0), connection-state:new src-mac 00:00:5e:00:53:01, proto TCP
 *	    (SYN), 198.51.100.7:4444->203.0.113.1:22, len 60
 *	Nov 21 10:00:00 gw system,error,critical login failure for user admin
 *	    from 198.51.100.7 via ssh
 *
 * A firewall line gives the chain, the log prefix (rule.name, and the
 * verdict when the prefix names one: "drop-in" is a drop), interfaces,
 * transport, addresses and ports (IPv6 written "[addr]:port"), and the
 * NAT'ed source of "NAT (a:p->b:q)->c:r".  Log-in lines give user.name,
 * source.ip and event.outcome.  Other topics (dhcp, interface,
 * configuration chatter) are not events.  This module never allocates
 * per line.
 */
#include <string.h>

#include "fw.h"

struct mt_state {
	struct fw_state	fw;
};

/* The first topic of a RouterOS message. */
static const char *const mt_topics[] = {
	"firewall", "system", "account", "info", "warning", "error",
	"critical", "debug", "dhcp", "interface", "wireless", "ppp", "pppoe",
	"l2tp", "pptp", "ovpn", "sstp", "ipsec", "script", "dns", "web-proxy",
	"hotspot", "radius", "ssh", "telnet", "ntp", "bgp", "ospf", "route",
	"manager", "e-mail", "event", "caps", "lte", "health", "ups", NULL
};

/* Verdict words a log prefix may hold. */
static const char *const mt_verbs[] = {
	"drop", "reject", "deny", "block", "accept", "allow", NULL
};

/* True if w is a RouterOS topic list ("firewall,info"). */
static bool
mt_topic_list(struct span w)
{
	struct span	t;
	size_t		i;
	int		j;

	if (w.len == 0 || w.len > 64)
		return false;
	for (i = 0; i < w.len; i++)
		if (!((w.p[i] >= 'a' && w.p[i] <= 'z') || w.p[i] == ',' ||
		    w.p[i] == '-'))
			return false;
	t.p = w.p;
	t.len = 0;
	while (t.len < w.len && t.p[t.len] != ',')
		t.len++;
	for (j = 0; mt_topics[j] != NULL; j++)
		if (span_eq(t, mt_topics[j]))
			return true;
	return false;
}

/*
 * "a:p" or "[v6]:p" or "a" (ICMP) at s into ip and port; false if the
 * address does not parse.
 */
static bool
mt_addr(struct span s, struct span *ip, struct span *port)
{
	const char	*q;

	*port = SPAN_NULL;
	if (s.len > 2 && s.p[0] == '[') {
		if ((q = memchr(s.p, ']', s.len)) == NULL)
			return false;
		ip->p = s.p + 1;
		ip->len = (size_t)(q - ip->p);
		if (q + 1 < s.p + s.len && q[1] == ':') {
			port->p = q + 2;
			port->len = (size_t)(s.p + s.len - port->p);
		}
		return fw_ip_ok(*ip);
	}
	*ip = s;
	if (fw_ip_ok(*ip))
		return true;
	for (q = s.p + s.len; q > s.p && q[-1] != ':'; q--)
		continue;
	if (q == s.p)
		return false;
	ip->len = (size_t)(q - 1 - s.p);
	port->p = q;
	port->len = (size_t)(s.p + s.len - q);
	return fw_ip_ok(*ip);
}

/* "A->B" at s into the two sides; false if it is not one. */
static bool
mt_pair(struct span s, struct span *a, struct span *b)
{
	const char	*arrow;

	if ((arrow = fw_memmem(s, "->", 2)) == NULL)
		return false;
	a->p = s.p;
	a->len = (size_t)(arrow - s.p);
	b->p = arrow + 2;
	b->len = (size_t)(s.p + s.len - b->p);
	return true;
}

/* The firewall message after the topics. */
static int
mt_firewall(struct mt_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	 c = { msg.p, msg.p + msg.len };
	struct span	 pfx, chain, part, a, b, ip, port;
	const char	*colon, *in, *rp, *pp;
	size_t		 i;
	int		 j;
	bool		 addrs = false;

	/* "[prefix ]chain: in:..." */
	if ((in = fw_memmem(msg, ": in:", 5)) == NULL)
		return 0;
	for (colon = in; colon > msg.p && colon[-1] != ' '; colon--)
		continue;
	chain.p = colon;
	chain.len = (size_t)(in - colon);
	pfx = fw_trim((struct span){ msg.p, (size_t)(colon - msg.p) });
	c.p = in + 2;
	/* Comma-separated parts: "in:X out:Y", "proto TCP (SYN)", ... */
	while (c.p < c.end) {
		fw_skip_sp(&c);
		part.p = c.p;
		while (c.p < c.end && !(*c.p == ',' && (c.p + 1 == c.end ||
		    c.p[1] == ' ')))
			c.p++;
		part.len = (size_t)(c.p - part.p);
		if (c.p < c.end)
			c.p++;
		if (fw_iprefix(part, "in:")) {
			struct fw_cur	pc = { part.p + 3, part.p + part.len };
			struct span	w;

			if (fw_word(&pc, &w))
				fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE,
				    w);
			if (fw_find(&pc, "out:", 4) && pc.p < pc.end &&
			    *pc.p != '(')
				fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE,
				    (struct span){ pc.p,
				    (size_t)(pc.end - pc.p) });
		} else if ((pp = fw_memmem(part, "proto ", 6)) != NULL &&
		    (pp == part.p || pp[-1] == ' ')) {
			/* "proto TCP (SYN)", or after "connection-state:new" */
			struct fw_cur	pc = { pp + 6, part.p + part.len };
			struct span	w;

			if (fw_word(&pc, &w))
				fw_set_transport(&st->fw, rec, w);
		} else if (fw_iprefix(part, "NAT (") && addrs) {
			/* "NAT (a:p->b:q)->c:r": b is the translated source */
			part.p += 5;
			part.len -= 5;
			if ((rp = memchr(part.p, ')', part.len)) != NULL) {
				part.len = (size_t)(rp - part.p);
				if (mt_pair(part, &a, &b) &&
				    mt_addr(b, &ip, &port))
					fw_set_ip(rec, RF_SOURCE_NAT_IP, ip);
			}
		} else if (!addrs && mt_pair(part, &a, &b)) {
			if (!mt_addr(a, &ip, &port))
				continue;
			fw_set_ip(rec, RF_SOURCE_IP, ip);
			fw_set_port(rec, RF_SOURCE_PORT, port);
			if (mt_addr(b, &ip, &port)) {
				fw_set_ip(rec, RF_DESTINATION_IP, ip);
				fw_set_port(rec, RF_DESTINATION_PORT, port);
			}
			addrs = true;
		}
	}
	if (!addrs)
		return 0;
	fw_set_str(rec, RF_RULE_NAME, pfx.len > 0 ? pfx : chain);
	for (i = 0; i < pfx.len; i++)
		for (j = 0; mt_verbs[j] != NULL; j++)
			if (fw_iprefix((struct span){ pfx.p + i, pfx.len - i },
			    mt_verbs[j])) {
				fw_set_action(&st->fw, rec,
				    (struct span){ mt_verbs[j],
				    strlen(mt_verbs[j]) });
				return 1;
			}
	return 1;
}

/*
 * "login failure for user U from IP via S", "user U logged in from IP
 * via S", "user U logged out from IP via S".
 */
static int
mt_login(struct record *rec, struct span msg)
{
	struct fw_cur	 c = { msg.p, msg.p + msg.len };
	struct span	 user, ip;
	const char	*from;

	if (fw_lit(&c, "login failure for user ", 23)) {
		record_set_lit(rec, RF_EVENT_ACTION, "login");
		record_set_lit(rec, RF_EVENT_OUTCOME, "failure");
	} else if (fw_lit(&c, "user ", 5) &&
	    fw_memmem(msg, " logged in from ", 16) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "login");
		record_set_lit(rec, RF_EVENT_OUTCOME, "success");
	} else if (fw_memmem(msg, " logged out from ", 17) != NULL) {
		record_set_lit(rec, RF_EVENT_ACTION, "logout");
	} else
		return 0;
	/* The user name may hold spaces: it runs to the last " from ". */
	if ((from = fw_memmem((struct span){ c.p, (size_t)(c.end - c.p) },
	    " from ", 6)) == NULL)
		return 1;
	while (memmem(from + 6, (size_t)(c.end - from - 6), " from ", 6) !=
	    NULL)
		from = memmem(from + 6, (size_t)(c.end - from - 6), " from ",
		    6);
	user.p = c.p;
	user.len = (size_t)(from - c.p);
	if (user.len > 10 && memcmp(from - 10, " logged in", 10) == 0)
		user.len -= 10;
	else if (user.len > 11 && memcmp(from - 11, " logged out", 11) == 0)
		user.len -= 11;
	fw_set_str(rec, RF_USER_NAME, user);
	c.p = from + 6;
	if (fw_word(&c, &ip))
		fw_set_ip(rec, RF_SOURCE_IP, ip);
	return 1;
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
mt_parse_line(struct mt_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct syslog_hdr	hdr;
	struct fw_cur		c;
	struct span		body, topics, msg;
	int			have_hdr, rc;

	have_hdr = syslog_parse(&st->fw.ctx, line, len, &hdr) == 0;
	body = have_hdr ? hdr.msg : (struct span){ line, len };
	/* Without a host name, syslog took the topics for one. */
	if (have_hdr && mt_topic_list(hdr.host) && hdr.program.len == 0) {
		body.len += (size_t)(body.p - hdr.host.p);
		body.p = hdr.host.p;
		hdr.host = SPAN_NULL;
	}
	c.p = body.p;
	c.end = body.p + body.len;
	if (!fw_word(&c, &topics) || !mt_topic_list(topics))
		return 0;
	fw_skip_sp(&c);
	msg.p = c.p;
	msg.len = (size_t)(c.end - c.p);
	if (fw_iprefix(topics, "firewall"))
		rc = mt_firewall(st, rec, msg);
	else
		rc = mt_login(rec, msg);
	if (rc != 1) {
		rec->present = 0;
		rec->src.family = rec->dst.family = 0;
		return rc;
	}
	if (have_hdr)
		syslog_to_record(&hdr, rec);
	record_set(rec, RF_MESSAGE, msg.p, msg.len);
	record_set_lit(rec, RF_EVENT_DATASET, "firewall.mikrotik");
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
mt_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct mt_state), NULL, 0);
}

/* Parse one RouterOS line into rec: 1 event, 0 not one. */
static int
mt_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct mt_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, mt_parse_line(st, line, len, rec));
}

const struct parser parser_mikrotik = {
	.name = "mikrotik",
	.dataset = "firewall.mikrotik",
	.description = "MikroTik RouterOS firewall and log-in messages",
	.state_new = mt_state_new,
	.state_free = fw_state_free,
	.parse = mt_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
