/*
 * cisco_asa.c: Cisco ASA, Firepower Threat Defense (FTD), PIX and FWSM
 * syslog messages, behind a syslog header, the device's own "Mmm dd yyyy
 * hh:mm:ss:" time, or bare:
 *
 *	<166>Jan  5 08:52:35 fw1 %ASA-6-302013: Built outbound TCP
 *	    connection 17 for outside:192.0.2.80/80 (192.0.2.80/80) to
 *	    inside:10.0.0.5/5566 (198.51.100.1/40627)
 *
 * Every line with a "%ASA-n-nnnnnn" tag is an event: event.code is the
 * message id, event.action the verdict word of the text ("built",
 * "teardown", "deny", "denied", "permitted", "discarded", "dropped").
 * Connection messages (302013-302021, 106001-106023, 106100, 710002-
 * 710005, 305011/305012 and the many "from A to B" / "src A dst B"
 * messages) give addresses, ports, interfaces, NAT, transport, bytes and
 * duration; authentication and VPN messages give user.name and
 * event.outcome.  "Built outbound" puts the inside initiator first, as
 * Cisco documents; teardown messages, which do not say, keep the order
 * of the text.  A value that is not what the device prints (an address
 * that does not parse) is left out, never guessed.  This module never
 * allocates per line and keeps no pointer into a line.
 */
#include <string.h>

#include "fw.h"

struct asa_state {
	struct fw_state	fw;
};

/* One side of a connection as the messages write it. */
struct asa_ep {
	struct span	ifc;
	struct span	ip;
	struct span	port;
	struct span	nat_ip;
	struct span	nat_port;
	struct span	user;
};

/* Words that name what happened, looked for near the start. */
static const char *const asa_verbs[] = {
	"built", "teardown", "deny", "denied", "permitted", "discarded",
	"dropped", "drop", "rejected", "shunned", NULL
};

/* Transport words of the text. */
static const char *const asa_protos[] = {
	"tcp", "udp", "icmp", "icmp6", "icmpv6", "gre", "esp", "ah", "sctp",
	"igmp", NULL
};

/* Message ids of a failed or a successful log-in. */
static const struct {
	const char	*id;
	const char	*outcome;
} asa_auth[] = {
	{ "109006", "failure" }, { "109007", "success" },
	{ "109008", "failure" }, { "113004", "success" },
	{ "113005", "failure" }, { "113012", "success" },
	{ "113015", "failure" }, { "605004", "failure" },
	{ "605005", "success" }, { "611101", "success" },
	{ "611102", "failure" }, { "716001", "success" },
	{ "716039", "failure" }, { "722022", "success" },
	{ "722051", "success" }, { "113039", "success" },
};

/* True if c ends an endpoint token. */
static inline bool
asa_tokend(char c)
{
	return c == ' ' || c == ',' || c == ';' || c == '(' || c == ')' ||
	    c == '[' || c == ']' || c == '"' || c == '\'';
}

/* Index of the first word of words that s equals (any case); -1 if none. */
static int
asa_oneof(struct span s, const char *const *words)
{
	char	c;
	int	i;

	/* Most words are neither: reject on length and first letter. */
	if (s.len < 2 || s.len > 9)
		return -1;
	c = (char)(s.p[0] | 0x20);
	for (i = 0; words[i] != NULL; i++)
		if (words[i][0] == c && fw_ieq(s, words[i]))
			return i;
	return -1;
}

/*
 * Read an endpoint at the cursor: "[if:]ip[/port]", then an optional
 * " (mapped-ip/mapped-port)" and "(user)".  False if no address is there
 * (the cursor is left after the token read).
 */
static bool
asa_endpoint(struct fw_cur *c, struct asa_ep *ep)
{
	struct span	 tok, a;
	const char	*p, *q, *slash;

	memset(ep, 0, sizeof *ep);
	fw_skip_sp(c);
	tok.p = c->p;
	while (c->p < c->end && !asa_tokend(*c->p))
		c->p++;
	tok.len = (size_t)(c->p - tok.p);
	/* "10.0.0.1:" and "eth0." close a sentence. */
	while (tok.len > 0 && (tok.p[tok.len - 1] == ':' ||
	    tok.p[tok.len - 1] == '.'))
		tok.len--;
	if (tok.len == 0)
		return false;
	a = tok;
	slash = NULL;
	for (p = tok.p + tok.len; p > tok.p; p--)
		if (p[-1] == '/') {
			slash = p - 1;
			break;
		}
	if (slash != NULL) {
		a.len = (size_t)(slash - tok.p);
		ep->port.p = slash + 1;
		ep->port.len = (size_t)(tok.p + tok.len - slash - 1);
	}
	if (fw_ip_ok(a))
		ep->ip = a;
	else if ((q = memchr(a.p, ':', a.len)) != NULL) {
		ep->ifc.p = a.p;
		ep->ifc.len = (size_t)(q - a.p);
		ep->ip.p = q + 1;
		ep->ip.len = (size_t)(a.p + a.len - q - 1);
		if (!fw_ip_ok(ep->ip))
			return false;
	} else
		return false;
	if (ep->port.len > 0 && !fw_port_ok(ep->port))
		ep->port = SPAN_NULL;

	/* " (mapped-ip/mapped-port)" */
	p = c->p;
	if (c->end - p > 2 && p[0] == ' ' && p[1] == '(' &&
	    (q = memchr(p, ')', (size_t)(c->end - p))) != NULL) {
		a.p = p + 2;
		a.len = (size_t)(q - a.p);
		if ((slash = memchr(a.p, '/', a.len)) != NULL) {
			ep->nat_port.p = slash + 1;
			ep->nat_port.len = (size_t)(q - slash - 1);
			a.len = (size_t)(slash - a.p);
		}
		if (fw_ip_ok(a)) {
			ep->nat_ip = a;
			c->p = q + 1;
		}
	}
	/* "(LOCAL\user)" right after */
	p = c->p;
	if (p < c->end && *p == '(' &&
	    (q = memchr(p, ')', (size_t)(c->end - p))) != NULL) {
		ep->user.p = p + 1;
		ep->user.len = (size_t)(q - p - 1);
		c->p = q + 1;
	}
	return true;
}

/* Set the fields of a source (src true) or destination endpoint. */
static void
asa_set_ep(struct record *rec, const struct asa_ep *ep, bool src, bool ports)
{
	if (src) {
		fw_set_ip(rec, RF_SOURCE_IP, ep->ip);
		if (ports)
			fw_set_port(rec, RF_SOURCE_PORT, ep->port);
		fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, ep->ifc);
		if (ep->nat_ip.len > 0 && !fw_same(ep->nat_ip, ep->ip))
			fw_set_ip(rec, RF_SOURCE_NAT_IP, ep->nat_ip);
	} else {
		fw_set_ip(rec, RF_DESTINATION_IP, ep->ip);
		if (ports)
			fw_set_port(rec, RF_DESTINATION_PORT, ep->port);
		fw_set_str(rec, RF_OBSERVER_EGRESS_INTERFACE, ep->ifc);
	}
	if (ep->user.len > 0 && !record_has(rec, RF_USER_NAME))
		fw_set_str(rec, RF_USER_NAME, ep->user);
}

/* True if rec's transport is ICMP (its "ports" are type and id). */
static bool
asa_icmp(const struct record *rec)
{
	struct span	t = record_get(rec, RF_NETWORK_TRANSPORT);

	return record_has(rec, RF_NETWORK_TRANSPORT) &&
	    (span_eq(t, "icmp") || span_eq(t, "ipv6-icmp"));
}

/* "duration 0:01:02" (hours may exceed 24) into event.duration. */
static void
asa_duration(struct fw_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	c = { msg.p, msg.p + msg.len };
	struct span	w;
	uint64_t	f[3] = { 0, 0, 0 };
	size_t		i;
	int		n = 0;

	if (!fw_find(&c, " duration ", 10) || !fw_word(&c, &w))
		return;
	for (i = 0; i < w.len; i++) {
		if (w.p[i] == ':') {
			if (++n > 2)
				return;
		} else if (w.p[i] >= '0' && w.p[i] <= '9' && f[n] < 1000000)
			f[n] = f[n] * 10 + (uint64_t)(w.p[i] - '0');
		else
			return;
	}
	if (n == 2 && f[1] < 60 && f[2] < 60)
		fw_set_duration(st, rec, f[0] * 3600 + f[1] * 60 + f[2], 0);
}

/* The text after key (any of "user = ", "Uname: "...) up to a stop byte. */
static bool
asa_after(struct span msg, const char *key, size_t klen, const char *stops,
    struct span *out)
{
	const char	*p, *e, *end = msg.p + msg.len;

	if ((p = fw_memmem(msg, key, klen)) == NULL)
		return false;
	p += klen;
	for (e = p; e < end && strchr(stops, *e) == NULL; e++)
		continue;
	out->p = p;
	out->len = (size_t)(e - p);
	*out = fw_trim(*out);
	return out->len > 0;
}

/* user.name from the forms ASA messages use; source.ip from "IP = ". */
static void
asa_user(struct record *rec, struct span msg)
{
	static const struct {
		const char	*key;
		const char	*stops;
	} forms[] = {
		{ "Username = ", ",:" }, { "username = ", ",:" },
		{ "User = ", ",:" }, { "user = ", ",:" },
		{ "Uname: ", " ," }, { "User <", ">" }, { "user <", ">" },
		{ "for user \"", "\"" }, { "User '", "'" }, { "user '", "'" },
		{ "username: ", " ," }, { "Username: ", " ," },
	};
	struct span	u, ip;
	size_t		i;

	for (i = 0; i < sizeof forms / sizeof forms[0] &&
	    !record_has(rec, RF_USER_NAME); i++)
		if (asa_after(msg, forms[i].key, strlen(forms[i].key),
		    forms[i].stops, &u))
			fw_set_str(rec, RF_USER_NAME, u);
	if (record_has(rec, RF_SOURCE_IP))
		return;
	if (asa_after(msg, "user IP = ", 10, " ,:", &ip) ||
	    asa_after(msg, " IP = ", 6, " ,:", &ip) ||
	    asa_after(msg, "IP <", 4, ">", &ip) ||
	    asa_after(msg, "IP address: ", 12, " ,", &ip))
		fw_set_ip(rec, RF_SOURCE_IP, ip);
}

/*
 * The generic reading: the verdict word and transport before the first
 * endpoint, "from A", "src A" as source, "to B", "dst B", "dest B" as
 * destination, "on interface X" as ingress.
 */
static void
asa_generic(struct asa_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	c = { msg.p, msg.p + msg.len };
	struct asa_ep	ep;
	struct span	w;
	int		words = 0, have_src = 0, have_dst = 0, i;
	bool		verb = false, proto = false;

	while (fw_word(&c, &w)) {
		words++;
		if (!verb && words <= 8 && (i = asa_oneof(w, asa_verbs)) >= 0) {
			fw_set_action(&st->fw, rec, w);
			/* "Built local-host" is not a verdict. */
			if (i <= 1)
				record_unset(rec, RF_EVENT_TYPE);
			verb = true;
			continue;
		}
		if (!proto && !have_src && (i = asa_oneof(w, asa_protos)) >= 0) {
			fw_set_transport(&st->fw, rec, w);
			proto = true;
			continue;
		}
		if (!proto && !have_src && fw_ieq(w, "protocol")) {
			if (fw_word(&c, &w) && fw_num_ok(w)) {
				fw_set_transport(&st->fw, rec, w);
				proto = true;
			}
			continue;
		}
		if (!have_src && (fw_ieq(w, "from") || span_eq(w, "src") ||
		    span_eq(w, "SRC"))) {
			fw_skip_sp(&c);
			/* "from laddr 192.0.2.1 on interface ..." */
			if (!fw_lit(&c, "laddr ", 6))
				fw_lit(&c, "faddr ", 6);
			if (asa_endpoint(&c, &ep)) {
				asa_set_ep(rec, &ep, true, !asa_icmp(rec));
				have_src = 1;
			}
			continue;
		}
		if (have_src && !have_dst && (span_eq(w, "to") ||
		    span_eq(w, "dst") || span_eq(w, "dest") ||
		    span_eq(w, "DEST"))) {
			if (asa_endpoint(&c, &ep)) {
				asa_set_ep(rec, &ep, false, !asa_icmp(rec));
				have_dst = 1;
			}
			continue;
		}
		if (span_eq(w, "on") && fw_lit(&c, " interface ", 11) &&
		    !record_has(rec, RF_OBSERVER_INGRESS_INTERFACE) &&
		    fw_word(&c, &w)) {
			while (w.len > 0 && (w.p[w.len - 1] == '.' ||
			    w.p[w.len - 1] == ','))
				w.len--;
			fw_set_str(rec, RF_OBSERVER_INGRESS_INTERFACE, w);
		}
	}
}

/*
 * Built/Teardown connection messages: "Built {inbound|outbound} TCP
 * connection ID for A to B", "Teardown UDP connection ID for A to B
 * duration D bytes N reason", and the ICMP forms "for faddr F gaddr G
 * laddr L".  False if msg is not one of them.
 */
static bool
asa_conn(struct asa_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	c = { msg.p, msg.p + msg.len };
	struct asa_ep	a, b, g;
	struct span	w, proto;
	bool		built, outbound = false, ports, icmpform;

	if (fw_lit(&c, "Built ", 6))
		built = true;
	else if (fw_lit(&c, "Teardown ", 9))
		built = false;
	else
		return false;
	if (built) {
		if (fw_lit(&c, "outbound ", 9))
			outbound = true;
		else if (!fw_lit(&c, "inbound ", 8))
			return false;
	}
	if (!fw_word(&c, &proto) || asa_oneof(proto, asa_protos) < 0)
		return false;
	fw_skip_sp(&c);
	if (!fw_lit(&c, "connection ", 11) && !fw_lit(&c, "state-bypass "
	    "connection ", 24))
		return false;
	/* The connection id is missing in the ICMP forms. */
	if (!fw_word(&c, &w))
		return false;
	if (fw_num_ok(w) && !fw_word(&c, &w))
		return false;
	if (!span_eq(w, "for") && !span_eq(w, "from"))
		return false;
	fw_set_action(&st->fw, rec, built ? (struct span)SPAN_LIT("Built") :
	    (struct span)SPAN_LIT("Teardown"));
	if (!built)
		record_unset(rec, RF_EVENT_TYPE);
	fw_set_transport(&st->fw, rec, proto);
	ports = !asa_icmp(rec);

	fw_skip_sp(&c);
	icmpform = fw_lit(&c, "faddr ", 6);
	if (icmpform) {
		/* faddr F gaddr G laddr L: foreign, global, local. */
		if (!asa_endpoint(&c, &a) || !fw_find(&c, "gaddr ", 6) ||
		    !asa_endpoint(&c, &g) || !fw_find(&c, "laddr ", 6) ||
		    !asa_endpoint(&c, &b))
			return true;
		/* Inbound comes from the foreign side; else from the local. */
		if (built && !outbound) {
			asa_set_ep(rec, &a, true, false);
			asa_set_ep(rec, &b, false, false);
		} else {
			b.nat_ip = g.ip;
			asa_set_ep(rec, &b, true, false);
			asa_set_ep(rec, &a, false, false);
		}
		return true;
	}
	if (!asa_endpoint(&c, &a) || !fw_word(&c, &w) || !span_eq(w, "to") ||
	    !asa_endpoint(&c, &b))
		return true;
	if (outbound) {
		asa_set_ep(rec, &b, true, ports);
		asa_set_ep(rec, &a, false, ports);
	} else {
		asa_set_ep(rec, &a, true, ports);
		asa_set_ep(rec, &b, false, ports);
	}
	if (!built) {
		if (fw_find(&c, " bytes ", 7) && fw_word(&c, &w))
			fw_set_num(rec, RF_NETWORK_BYTES, w);
		/* The reason follows the byte count: "TCP FINs". */
		fw_skip_sp(&c);
		w.p = c.p;
		while (c.p < c.end && *c.p != '(')
			c.p++;
		w.len = (size_t)(c.p - w.p);
		fw_set_str(rec, RF_EVENT_REASON, w);
		asa_duration(&st->fw, rec, msg);
	}
	return true;
}

/* 305011/305012: "Built dynamic TCP translation from A to B". */
static void
asa_xlate(struct asa_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	c = { msg.p, msg.p + msg.len };
	struct asa_ep	a, b;
	struct span	w;

	if (!fw_word(&c, &w) || asa_oneof(w, asa_verbs) < 0)
		return;
	fw_set_action(&st->fw, rec, w);
	record_unset(rec, RF_EVENT_TYPE);
	if (!fw_word(&c, &w) || !fw_word(&c, &w))
		return;
	fw_set_transport(&st->fw, rec, w);
	if (!fw_find(&c, " from ", 6) || !asa_endpoint(&c, &a) ||
	    !fw_word(&c, &w) || !span_eq(w, "to") || !asa_endpoint(&c, &b))
		return;
	asa_set_ep(rec, &a, true, true);
	fw_set_ip(rec, RF_SOURCE_NAT_IP, b.ip);
	if (span_eq(record_get(rec, RF_EVENT_ACTION), "teardown"))
		asa_duration(&st->fw, rec, msg);
}

/*
 * 106100: "access-list NAME {permitted|denied|est-allowed} PROTO
 * IF/IP(PORT) [(user)] -> IF/IP(PORT) hit-cnt N ...".
 */
static void
asa_acl(struct asa_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	 c = { msg.p, msg.p + msg.len };
	struct span	 w, ifc, ip, port;
	const char	*q;
	int		 side;

	if (!fw_lit(&c, "access-list ", 12) || !fw_word(&c, &w))
		return;
	fw_set_str(rec, RF_RULE_NAME, w);
	if (!fw_word(&c, &w) || fw_verdict(w) == 0)
		return;
	fw_set_action(&st->fw, rec, w);
	if (!fw_word(&c, &w))
		return;
	fw_set_transport(&st->fw, rec, w);
	for (side = 0; side < 2; side++) {
		if (!fw_word(&c, &w))
			return;
		if (span_eq(w, "->") && !fw_word(&c, &w))
			return;
		/* "inside/10.0.0.1(1234)" */
		if ((q = memchr(w.p, '/', w.len)) == NULL)
			return;
		ifc.p = w.p;
		ifc.len = (size_t)(q - w.p);
		ip.p = q + 1;
		ip.len = 0;
		while (ip.p + ip.len < w.p + w.len && ip.p[ip.len] != '(')
			ip.len++;
		port.p = ip.p + ip.len + 1;
		port.len = 0;
		while (port.p + port.len < w.p + w.len &&
		    port.p[port.len] != ')')
			port.len++;
		if (port.p > w.p + w.len)
			port.len = 0;
		fw_set_ip(rec, side == 0 ? RF_SOURCE_IP : RF_DESTINATION_IP,
		    ip);
		if (!asa_icmp(rec))
			fw_set_port(rec, side == 0 ? RF_SOURCE_PORT :
			    RF_DESTINATION_PORT, port);
		fw_set_str(rec, side == 0 ? RF_OBSERVER_INGRESS_INTERFACE :
		    RF_OBSERVER_EGRESS_INTERFACE, ifc);
		/* An identity-firewall user: "(LOCAL\user, sg)". */
		fw_skip_sp(&c);
		if (side == 0 && c.p < c.end && *c.p == '(' &&
		    fw_until(&c, ')', &w)) {
			w.p++;
			w.len--;
			if ((q = memchr(w.p, ',', w.len)) != NULL)
				w.len = (size_t)(q - w.p);
			fw_set_str(rec, RF_USER_NAME, w);
		}
	}
}

/* 304001 "IP Accessed URL IP:URL"; 304002 "Access denied URL U SRC.." */
static void
asa_url(struct asa_state *st, struct record *rec, struct span msg)
{
	struct fw_cur	 c = { msg.p, msg.p + msg.len };
	struct span	 w;
	const char	*q;

	if (fw_word(&c, &w) && fw_ip_ok(w)) {
		fw_set_ip(rec, RF_SOURCE_IP, w);
		if (fw_find(&c, " URL ", 5) && fw_word(&c, &w) &&
		    (q = memchr(w.p, ':', w.len)) != NULL) {
			struct span ip = { w.p, (size_t)(q - w.p) };

			fw_set_ip(rec, RF_DESTINATION_IP, ip);
			w.len -= (size_t)(q + 1 - w.p);
			w.p = q + 1;
			fw_set_url(rec, w);
		}
		record_set_lit(rec, RF_EVENT_ACTION, "accessed");
		return;
	}
	c.p = msg.p;
	if (fw_find(&c, " URL ", 5) && fw_word(&c, &w))
		fw_set_url(rec, w);
	asa_generic(st, rec, msg);
}

/*
 * True if messages of id name users: authentication, VPN, administration
 * (109, 111, 113, 502, 605, 611, 713, 716, 722, 734, 751 and 772).  The
 * connection messages carry their identity-firewall user in parentheses.
 */
static bool
asa_user_class(struct span id)
{
	static const char	classes[][4] = {
		"109", "111", "113", "502", "605", "611", "713", "716", "722",
		"734", "751", "772"
	};
	size_t			i;

	for (i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (memcmp(id.p, classes[i], 3) == 0)
			return true;
	return false;
}

/* The message id's class, then the readings it calls for. */
static void
asa_message(struct asa_state *st, struct record *rec, struct span id,
    struct span msg)
{
	struct span	w;
	size_t		i;

	if (span_eq(id, "106100"))
		asa_acl(st, rec, msg);
	else if (span_eq(id, "305011") || span_eq(id, "305012"))
		asa_xlate(st, rec, msg);
	else if (span_eq(id, "304001") || span_eq(id, "304002"))
		asa_url(st, rec, msg);
	else if (!(id.len == 6 && memcmp(id.p, "3020", 4) == 0 &&
	    asa_conn(st, rec, msg)))
		asa_generic(st, rec, msg);

	/* 106023 and friends: 'by access-group "NAME"'. */
	if (!record_has(rec, RF_RULE_NAME) && memcmp(id.p, "106", 3) == 0 &&
	    asa_after(msg, "access-group \"", 14, "\"", &w))
		fw_set_str(rec, RF_RULE_NAME, w);
	for (i = 0; i < sizeof asa_auth / sizeof asa_auth[0]; i++)
		if (span_eq(id, asa_auth[i].id)) {
			/* A log-in: its outcome, not a traffic verdict. */
			record_set(rec, RF_EVENT_OUTCOME, asa_auth[i].outcome,
			    strlen(asa_auth[i].outcome));
			record_unset(rec, RF_EVENT_TYPE);
			break;
		}
	if (asa_user_class(id))
		asa_user(rec, msg);
}

/*
 * Find the tag "%ASA-6-302013:" in line; fills the vendor, the id and the
 * message after it.  False if there is none.
 */
static bool
asa_tag(const char *line, size_t len, struct span *vendor, struct span *id,
    struct span *msg, const char **tag)
{
	const char	*p = line, *end = line + len, *v, *q;
	size_t		 vlen;

	while ((p = memchr(p, '%', (size_t)(end - p))) != NULL) {
		v = ++p;
		while (p < end && *p >= 'A' && *p <= 'Z')
			p++;
		vlen = (size_t)(p - v);
		if (!((vlen == 3 && (memcmp(v, "ASA", 3) == 0 ||
		    memcmp(v, "FTD", 3) == 0 || memcmp(v, "PIX", 3) == 0)) ||
		    (vlen == 4 && memcmp(v, "FWSM", 4) == 0)))
			continue;
		if (end - p < 4 || p[0] != '-' || p[1] < '0' || p[1] > '7' ||
		    p[2] != '-')
			continue;
		q = p + 3;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q - (p + 3) < 5 || q - (p + 3) > 6 ||
		    (q < end && *q != ':' && *q != ' '))
			continue;
		vendor->p = v;
		vendor->len = vlen;
		id->p = p + 3;
		id->len = (size_t)(q - id->p);
		if (q < end && *q == ':')
			q++;
		while (q < end && *q == ' ')
			q++;
		msg->p = q;
		msg->len = (size_t)(end - q);
		*tag = v - 1;
		return true;
	}
	return false;
}

/*
 * The time and device in front of the tag: a syslog header, or ASA's own
 * "[<PRI>][:]Mmm dd [yyyy ]hh:mm:ss[ ZONE][ device][ ]:" prefix.
 */
static void
asa_prefix(struct asa_state *st, const char *line, const char *tag,
    struct record *rec)
{
	struct syslog_hdr	hdr;
	struct fw_cur		c = { line, tag };
	struct span		w, host = SPAN_NULL;
	unsigned int		fl;
	int32_t			off;

	if (tag > line &&
	    syslog_parse(&st->fw.ctx, line, (size_t)(tag - line), &hdr) == 0) {
		rec->ts_us = hdr.ts_us;
		rec->tz_off = hdr.tz_off;
		rec->ts_digits = hdr.digits;
		rec->has_ts = true;
		if (hdr.no_year)
			rec->flags |= REC_NO_YEAR;
		fw_set_str(rec, RF_HOST_HOSTNAME, hdr.host);
		/* A relay's header before the device's own dated prefix. */
		c.p = hdr.msg.p;
		fw_skip_sp(&c);
		fl = rec->flags;
		rec->flags &= ~REC_NO_YEAR;
		if (c.p >= tag || !fw_bsd_time(&st->fw, &c, rec))
			rec->flags = fl;
		return;
	}
	if (c.p < c.end && *c.p == '<') {
		while (c.p < c.end && *c.p != '>')
			c.p++;
		if (c.p < c.end)
			c.p++;
	}
	if (c.p < c.end && *c.p == ':')
		c.p++;
	fw_skip_sp(&c);
	if (!fw_bsd_time(&st->fw, &c, rec))
		return;
	/* An optional zone, then an optional device id, then ":". */
	while (fw_word(&c, &w)) {
		if (span_eq(w, ":"))
			break;
		if (w.len > 0 && w.p[w.len - 1] == ':')
			w.len--;
		if (fw_zone(w, &off) && host.len == 0) {
			/* ASA prints its configured zone after the time. */
			rec->ts_us += (int64_t)(rec->tz_off - off) * 1000000;
			rec->tz_off = off;
			continue;
		}
		if (host.len == 0)
			host = w;
	}
	fw_set_str(rec, RF_HOST_HOSTNAME, host);
}

/* Parse one line; the parser's answer (1, 0, -1). */
static int
asa_parse_line(struct asa_state *st, const char *line, size_t len,
    struct record *rec)
{
	struct span	 vendor, id, msg;
	const char	*tag;

	if (!asa_tag(line, len, &vendor, &id, &msg, &tag))
		return 0;
	asa_prefix(st, line, tag, rec);
	if (span_eq(vendor, "FTD"))
		record_set_lit(rec, RF_EVENT_DATASET, "firewall.cisco_ftd");
	else
		record_set_lit(rec, RF_EVENT_DATASET, "firewall.cisco_asa");
	record_set(rec, RF_EVENT_CODE, id.p, id.len);
	record_set(rec, RF_MESSAGE, msg.p, msg.len);
	asa_message(st, rec, id, msg);
	return 1;
}

/* New state from opts; NULL if out of memory. */
static void *
asa_state_new(const struct parser_opts *opts)
{
	return fw_state_new(opts, sizeof(struct asa_state), NULL, 0);
}

/* Parse one ASA/FTD line into rec: 1 event, 0 not one, -1 malformed. */
static int
asa_parse(void *state, const char *line, size_t len, struct record *rec)
{
	struct asa_state	*st = state;

	fw_begin(&st->fw);
	return fw_count(&st->fw, asa_parse_line(st, line, len, rec));
}

const struct parser parser_cisco_asa = {
	.name = "cisco_asa",
	.dataset = "firewall.cisco_asa",
	.description = "Cisco ASA, FTD, PIX and FWSM syslog messages",
	.state_new = asa_state_new,
	.state_free = fw_state_free,
	.parse = asa_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};

const struct parser parser_cisco_ftd = {
	.name = "cisco_ftd",
	.dataset = "firewall.cisco_ftd",
	.description = "Cisco Firepower Threat Defense (as cisco_asa)",
	.state_new = asa_state_new,
	.state_free = fw_state_free,
	.parse = asa_parse,
	.stats = fw_stats,
	.set_ref = fw_set_ref,
};
