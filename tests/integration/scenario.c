/*
 * scenario.c: deterministic scenario logs for tests/integration/detect.sh.
 * Writes firewall.log (iptables), proxy.log (Squid native) and mail.log
 * (Postfix) into a folder: three hours of ordinary traffic (browsing with
 * random gaps and sizes, clients of the file server and the domain
 * controller, the mail server and the resolver doing their jobs, a
 * Windows Update poller on a timer) with, folded in:
 *   - a beacon through the proxy every 60 s +-20 % (10.1.4.21 to
 *     c2.badcdn.example) and one through the firewall (10.1.4.20 to
 *     198.51.100.66:8443, no byte counts);
 *   - a worm sweep on SMB by 10.1.5.66, mostly dropped, that reaches
 *     10.1.6.20, which sweeps in turn a quarter of an hour later;
 *   - an outbound SSH scan by 10.1.2.77 and a SQL injection run by
 *     10.1.2.50;
 *   - a spam burst by the account yamada (150 recipients, 60 domains) and
 *     direct SMTP to the Internet from the PC 10.1.2.99.
 * Ordinary hosts are all in 10.1.1.0/24, so a test can ask that none of
 * them raised anything.  Same seed, same bytes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SC_START	1795251600	/* 2026-11-21 09:00:00 UTC */
#define SC_HOURS	3

static uint64_t	sc_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: the same sequence everywhere. */
static uint32_t
sc_rand(void)
{
	sc_state ^= sc_state >> 12;
	sc_state ^= sc_state << 25;
	sc_state ^= sc_state >> 27;
	return (uint32_t)((sc_state * 2685821657736338717ULL) >> 32);
}

static uint32_t
sc_range(uint32_t lo, uint32_t hi)
{
	return lo + sc_rand() % (hi - lo + 1);
}

/* An exponential variate with mean m (at least 1). */
static uint32_t
sc_expo(double m)
{
	double	u = ((double)(sc_rand() % 1000000) + 0.5) / 1000000.0;

	return (uint32_t)(-log(u) * m) + 1;
}

/* One line to be sorted by time before writing. */
struct sc_line {
	long	 t;
	char	*s;
};

struct sc_out {
	struct sc_line	*v;
	size_t		 n, cap;
};

static struct sc_out	sc_fw, sc_px, sc_ml;

static void
sc_add(struct sc_out *o, long t, const char *s)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		if ((o->v = realloc(o->v, o->cap * sizeof *o->v)) == NULL)
			abort();
	}
	o->v[o->n].t = t;
	if ((o->v[o->n].s = strdup(s)) == NULL)
		abort();
	o->n++;
}

static int
sc_cmp(const void *a, const void *b)
{
	const struct sc_line	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
sc_write(struct sc_out *o, const char *dir, const char *name)
{
	char	 path[4096];
	FILE	*f;
	size_t	 i;

	qsort(o->v, o->n, sizeof *o->v, sc_cmp);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < o->n; i++) {
		fprintf(f, "%s\n", o->v[i].s);
		free(o->v[i].s);
	}
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	free(o->v);
}

/* "Nov 21 09:00:03" */
static void
sc_stime(char *buf, size_t size, long t)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	snprintf(buf, size, "%s %2d %02d:%02d:%02d", mon[tm.tm_mon],
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A firewall line: verb ACCEPT/DROP, proto TCP/UDP. */
static void
sc_fwline(long t, const char *verb, const char *src, const char *dst,
    unsigned int dport, const char *proto)
{
	char	ts[32], line[512];

	sc_stime(ts, sizeof ts, t);
	snprintf(line, sizeof line, "%s gw01 kernel: [%ld.%06u] FWD-%s: "
	    "IN=eth1 OUT=eth0 SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=63 "
	    "ID=%u DF PROTO=%s SPT=%u DPT=%u %s", ts, t - 1795000000,
	    sc_range(0, 999999), verb, src, dst, sc_range(1, 65535), proto,
	    sc_range(1024, 65535), dport, strcmp(proto, "TCP") == 0 ?
	    "WINDOW=64240 RES=0x00 SYN URGP=0" : "LEN=40");
	sc_add(&sc_fw, t, line);
}

/* A Squid native line. */
static void
sc_pxline(long t, const char *client, const char *method, const char *url,
    unsigned int size, const char *user, const char *code)
{
	char	line[1024];

	snprintf(line, sizeof line, "%ld.%03u %6u %s %s %u %s %s %s "
	    "HIER_DIRECT/198.51.100.%u %s", t, sc_range(0, 999),
	    sc_range(5, 900), client, code, size, method, url, user,
	    sc_range(1, 254), strcmp(method, "CONNECT") == 0 ? "-" :
	    "text/html");
	sc_add(&sc_px, t, line);
}

/* The six Postfix lines of one message from user at client to rcpt. */
static void
sc_mail(long t, unsigned long id, const char *user, const char *client,
    const char *rcpt, int bounce)
{
	char	ts[32], line[1024];

	sc_stime(ts, sizeof ts, t);
	snprintf(line, sizeof line, "%s mx01 postfix/submission/smtpd[4100]: "
	    "connect from pc[%s]", ts, client);
	sc_add(&sc_ml, t, line);
	snprintf(line, sizeof line, "%s mx01 postfix/submission/smtpd[4100]: "
	    "4Y%010lX: client=pc[%s], sasl_method=PLAIN, sasl_username=%s",
	    ts, id, client, user);
	sc_add(&sc_ml, t, line);
	snprintf(line, sizeof line, "%s mx01 postfix/cleanup[4101]: 4Y%010lX: "
	    "message-id=<%lu@example.co.jp>", ts, id, id);
	sc_add(&sc_ml, t, line);
	snprintf(line, sizeof line, "%s mx01 postfix/qmgr[4102]: 4Y%010lX: "
	    "from=<%s@example.co.jp>, size=%u, nrcpt=1 (queue active)", ts, id,
	    user, sc_range(900, 30000));
	sc_add(&sc_ml, t, line);
	sc_stime(ts, sizeof ts, t + 1);
	if (bounce)
		snprintf(line, sizeof line, "%s mx01 postfix/smtp[4103]: "
		    "4Y%010lX: to=<%s>, relay=mx.example.net[198.51.100.25]:25, "
		    "delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.1.1, status=bounced "
		    "(host mx.example.net[198.51.100.25] said: 550 5.1.1 user "
		    "unknown)", ts, id, rcpt);
	else
		snprintf(line, sizeof line, "%s mx01 postfix/smtp[4103]: "
		    "4Y%010lX: to=<%s>, relay=mx.example.com[192.0.2.25]:25, "
		    "delay=1.1, delays=0.1/0/0.5/0.5, dsn=2.0.0, status=sent (250 "
		    "2.0.0 Ok: queued as %lu)", ts, id, rcpt, id);
	sc_add(&sc_ml, t + 1, line);
	snprintf(line, sizeof line, "%s mx01 postfix/qmgr[4102]: 4Y%010lX: "
	    "removed", ts, id);
	sc_add(&sc_ml, t + 1, line);
}

int
main(int argc, char **argv)
{
	static const char *const sites[] = { "news.example.jp",
	    "www.example.com", "cdn.example.net", "shop.example.org",
	    "portal.example.co.jp", "video.example.com", "maps.example.net",
	    "docs.example.org" };
	const long	end = SC_START + SC_HOURS * 3600;
	char		a[64], b[64], url[256];
	unsigned long	id = 1;
	long		t;
	int		i, h;

	if (argc != 2) {
		fprintf(stderr, "usage: scenario DIR\n");
		return 2;
	}

	/* Browsing: 30 hosts, random gaps and sizes, to 8 sites. */
	for (h = 1; h <= 30; h++) {
		snprintf(a, sizeof a, "10.1.1.%d", h);
		for (t = SC_START + sc_range(0, 300); t < end;
		    t += sc_expo(90)) {
			const char *site = sites[sc_rand() % 8];

			if (sc_rand() % 2) {
				snprintf(url, sizeof url, "%s:443", site);
				sc_pxline(t, a, "CONNECT", url, sc_expo(30000),
				    "-", "TCP_TUNNEL/200");
			} else {
				snprintf(url, sizeof url, "http://%s/p/%u.html",
				    site, sc_range(1, 99999));
				sc_pxline(t, a, "GET", url, sc_expo(30000),
				    "sato", "TCP_MISS/200");
			}
			/* The same browsing seen by the firewall. */
			snprintf(b, sizeof b, "93.184.%u.%u", sc_range(0, 3),
			    sc_range(1, 254));
			sc_fwline(t, "ACCEPT", a, b, 443, "TCP");
		}
		/* Clients of the file server and the domain controller. */
		for (t = SC_START + sc_range(0, 600); t < end;
		    t += sc_expo(400)) {
			sc_fwline(t, "ACCEPT", a, sc_rand() % 2 ? "10.0.0.10" :
			    "10.0.0.5", 445, "TCP");
			sc_fwline(t, "ACCEPT", a, "10.0.0.5", 88, "TCP");
		}
		/* A few mails each. */
		for (i = 0; i < 4; i++) {
			snprintf(b, sizeof b, "partner%u@example.com",
			    sc_range(1, 30));
			sc_mail(SC_START + sc_range(0, SC_HOURS * 3600 - 10),
			    id++, "sato", a, b, 0);
		}
	}
	/* A Windows Update poller on a strict timer: safelisted. */
	for (t = SC_START + 30; t < end; t += 60)
		sc_pxline(t, "10.1.1.40", "CONNECT", "ctldl.windowsupdate.com:443",
		    1800, "-", "TCP_TUNNEL/200");
	/* The mail server and the resolver doing their jobs. */
	for (i = 0; i < 120; i++) {
		snprintf(b, sizeof b, "203.0.%u.%u", sc_range(0, 255),
		    sc_range(1, 254));
		sc_fwline(SC_START + 600 + i * 20, "ACCEPT", "10.0.0.25", b, 25,
		    "TCP");
		snprintf(b, sizeof b, "198.18.%u.%u", sc_range(0, 255),
		    sc_range(1, 254));
		sc_fwline(SC_START + 900 + i * 15, "ACCEPT", "10.0.0.53", b, 53,
		    "UDP");
	}

	/* Beacons: proxy 60 s +-20 % with steady sizes; firewall, no sizes. */
	for (t = SC_START + 100; t < end - 1800; t += sc_range(48, 72))
		sc_pxline(t, "10.1.4.21", "CONNECT", "c2.badcdn.example:443",
		    sc_range(4100, 4140), "-", "TCP_TUNNEL/200");
	for (t = SC_START + 3600; t < SC_START + 3600 + 7200;
	    t += sc_range(50, 70))
		sc_fwline(t, "ACCEPT", "10.1.4.20", "198.51.100.66", 8443, "TCP");

	/* Worm: 10.1.5.66 sweeps SMB, reaching 10.1.6.20 among few others. */
	t = SC_START + 1800;
	for (i = 1; i <= 80; i++, t += sc_range(1, 3)) {
		snprintf(b, sizeof b, "10.1.6.%d", i);
		sc_fwline(t, i == 20 || i % 17 == 0 ? "ACCEPT" : "DROP",
		    "10.1.5.66", b, 445, "TCP");
	}
	/* ...and 10.1.6.20 sweeps in turn, 15 minutes later. */
	t = SC_START + 1800 + 900;
	for (i = 1; i <= 60; i++, t += sc_range(1, 3)) {
		snprintf(b, sizeof b, "10.1.7.%d", i);
		sc_fwline(t, i % 13 == 0 ? "ACCEPT" : "DROP", "10.1.6.20", b,
		    445, "TCP");
	}

	/* Outbound SSH scan by 10.1.2.77. */
	t = SC_START + 5400;
	for (i = 1; i <= 60; i++, t += sc_range(2, 6)) {
		snprintf(b, sizeof b, "203.0.113.%d", i);
		sc_fwline(t, i % 5 ? "DROP" : "ACCEPT", "10.1.2.77", b, 22,
		    "TCP");
	}
	/* SQL injection run by 10.1.2.50 against one shop. */
	for (i = 0; i < 15; i++) {
		snprintf(url, sizeof url, "http://shop.example.com/item.php?"
		    "id=%d%%20UNION%%20SELECT%%20NULL,user()--", i);
		sc_pxline(SC_START + 7200 + i * 7, "10.1.2.50", "GET", url, 1500,
		    "alice", "TCP_MISS/200");
	}

	/* Spam burst: yamada, 150 recipients in 60 domains, 30 minutes. */
	for (i = 0; i < 150; i++) {
		snprintf(b, sizeof b, "user%d@domain%d.example", i, i % 60);
		sc_mail(SC_START + 4000 + i * 12, id++, "yamada", "10.1.3.9", b,
		    i % 7 == 0);
	}
	/* Direct SMTP to the Internet from a PC. */
	for (i = 0; i < 8; i++) {
		snprintf(b, sizeof b, "198.51.100.%d", 100 + i);
		sc_fwline(SC_START + 6000 + i * 30, "ACCEPT", "10.1.2.99", b, 25,
		    "TCP");
	}

	sc_write(&sc_fw, argv[1], "firewall.log");
	sc_write(&sc_px, argv[1], "proxy.log");
	sc_write(&sc_ml, argv[1], "mail.log");
	return 0;
}
