/*
 * gen.c: a deterministic corpus for the benchmark.  Writes firewall.log
 * (iptables), proxy.log (Squid native) and mail.log (Postfix) into a
 * folder, N lines in all, 64 lines a second of corpus time, mixed like a
 * real log host's day (web out through the firewall and the proxy,
 * inbound noise, rare SMB to the Internet and web attacks through the
 * proxy, the life of each message, one in 40 refused as spam; about one
 * line in 750 raises an alert), with the attack scenarios
 * of tests/integration/scenario.c folded in every hour of corpus time:
 *   - beacons: four implants calling c2-N.badcdn.example through the proxy
 *     on 45 s to 5 min timers (+-20 %, steady sizes) and two calling an
 *     address straight through the firewall, for the whole corpus;
 *   - a worm sweep on SMB by a new host each hour, mostly dropped, whose
 *     one reached victim sweeps in turn a quarter of an hour later;
 *   - an outbound SSH scan of 60 addresses, and a SQL injection run;
 *   - a spam burst by a phished account (150 recipients in 60 domains,
 *     a seventh bounced) and direct SMTP to the Internet from a PC.
 * The scenarios draw from their own random stream and take the place of
 * background lines at their time, so N stays the total.  Same seed, same
 * bytes.
 *
 * With --pace it writes the same mix on the wall clock instead, RATE
 * lines a second for SECONDS seconds, appending to the files and rotating
 * them by rename every ROTATE seconds, for the soak test (tests/bench/soak).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t	gen_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: fast, and the same sequence everywhere. */
static uint32_t
gen_rand(void)
{
	gen_state ^= gen_state >> 12;
	gen_state ^= gen_state << 25;
	gen_state ^= gen_state >> 27;
	return (uint32_t)((gen_state * 2685821657736338717ULL) >> 32);
}

static uint32_t
gen_range(uint32_t lo, uint32_t hi)
{
	return lo + gen_rand() % (hi - lo + 1);
}

static const char *const gen_months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const gen_sites[] = { "http://www.example.com/",
    "http://news.example.jp/top/2026/11/21/article.html",
    "http://cdn.example.net/static/js/app.min.js?v=20261121",
    "http://intranet.example.co.jp/portal/index.php?page=home",
    "http://download.example.org/pub/releases/tool-1.2.3.tar.gz" };
static const char *const gen_tunnels[] = { "www.google.com:443",
    "login.microsoftonline.com:443", "github.com:443", "api.example.com:443",
    "update.example.org:443" };
static const char *const gen_attacks[] = {
    "http://shop.example.com/item.php?id=1%20UNION%20ALL%20SELECT%20NULL,CONCAT(user(),0x3a)--%20-",
    "http://shop.example.com/download.php?file=../../../../etc/passwd",
    "http://shop.example.com/search?q=1%27%20AND%20SLEEP(5)--%20x" };
static const char *const gen_users[] = { "-", "sato", "suzuki", "takahashi",
    "tanaka", "watanabe", "ito", "yamamoto" };

/* "Nov 21 09:00:03" of the corpus clock. */
static void
gen_syslog_time(char *buf, size_t size, time_t t)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%s %2d %02d:%02d:%02d", gen_months[tm.tm_mon],
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * The attack scenarios, one hour of corpus time at a time: each hour's
 * lines are made when the clock enters it, sorted by time, and handed out
 * as the clock passes them.
 */
enum { SC_FW, SC_PX, SC_ML };

struct sc_line {
	long	 t;
	int	 out;
	char	*s;
};

static struct sc_line	*sc_v;
static size_t		 sc_n, sc_cap, sc_next;
static uint64_t		 sc_state = 0xd1b54a32d192ed03ULL;
static unsigned long	 sc_qid = 1;
/* The beacons' next call, carried from hour to hour. */
static long		 sc_px_next[4], sc_fw_next[2];

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

static void
sc_add(long t, int out, const char *s)
{
	if (sc_n == sc_cap) {
		sc_cap = sc_cap ? sc_cap * 2 : 4096;
		if ((sc_v = realloc(sc_v, sc_cap * sizeof *sc_v)) == NULL)
			abort();
	}
	sc_v[sc_n].t = t;
	sc_v[sc_n].out = out;
	if ((sc_v[sc_n].s = strdup(s)) == NULL)
		abort();
	sc_n++;
}

static int
sc_cmp(const void *a, const void *b)
{
	const struct sc_line	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* A forwarded connection seen by the firewall: verb ACCEPT or DROP. */
static void
sc_fw(long t, const char *verb, const char *src, const char *dst,
    unsigned int dport)
{
	char	ts[32], line[512];

	gen_syslog_time(ts, sizeof ts, (time_t)t);
	snprintf(line, sizeof line, "%s gw01 kernel: [%ld.%06u] FWD-%s: "
	    "IN=eth1 OUT=eth0 SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=63 "
	    "ID=%u DF PROTO=TCP SPT=%u DPT=%u WINDOW=64240 RES=0x00 SYN URGP=0",
	    ts, t - 1795000000, sc_range(0, 999999), verb, src, dst,
	    sc_range(1, 65535), sc_range(1024, 65535), dport);
	sc_add(t, SC_FW, line);
}

/* A Squid native line. */
static void
sc_px(long t, const char *client, const char *method, const char *url,
    unsigned int size, const char *user, const char *code)
{
	char	line[1024];

	snprintf(line, sizeof line, "%ld.%03u %6u %s %s %u %s %s %s "
	    "HIER_DIRECT/198.51.100.%u %s", t, sc_range(0, 999),
	    sc_range(5, 900), client, code, size, method, url, user,
	    sc_range(1, 254), strcmp(method, "CONNECT") == 0 ? "-" :
	    "text/html");
	sc_add(t, SC_PX, line);
}

/* The six Postfix lines of one message from user at client to rcpt. */
static void
sc_mail(long t, const char *user, const char *client, const char *rcpt,
    int bounce)
{
	char		ts[32], line[1024];
	unsigned long	id = sc_qid++;

	gen_syslog_time(ts, sizeof ts, (time_t)t);
	snprintf(line, sizeof line, "%s mx01 postfix/submission/smtpd[4200]: "
	    "connect from pc[%s]", ts, client);
	sc_add(t, SC_ML, line);
	snprintf(line, sizeof line, "%s mx01 postfix/submission/smtpd[4200]: "
	    "4Y%010lX: client=pc[%s], sasl_method=PLAIN, sasl_username=%s",
	    ts, id, client, user);
	sc_add(t, SC_ML, line);
	snprintf(line, sizeof line, "%s mx01 postfix/cleanup[5200]: 4Y%010lX: "
	    "message-id=<%lu.spam@example.co.jp>", ts, id, id);
	sc_add(t, SC_ML, line);
	snprintf(line, sizeof line, "%s mx01 postfix/qmgr[990]: 4Y%010lX: "
	    "from=<%s@example.co.jp>, size=%u, nrcpt=1 (queue active)", ts, id,
	    user, sc_range(900, 30000));
	sc_add(t, SC_ML, line);
	gen_syslog_time(ts, sizeof ts, (time_t)(t + 1));
	if (bounce)
		snprintf(line, sizeof line, "%s mx01 postfix/smtp[6200]: "
		    "4Y%010lX: to=<%s>, relay=mx.example.net[198.51.100.25]:25, "
		    "delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.1.1, status=bounced "
		    "(host mx.example.net[198.51.100.25] said: 550 5.1.1 user "
		    "unknown)", ts, id, rcpt);
	else
		snprintf(line, sizeof line, "%s mx01 postfix/smtp[6200]: "
		    "4Y%010lX: to=<%s>, relay=mx.example.com[192.0.2.25]:25, "
		    "delay=1.1, delays=0.1/0/0.5/0.5, dsn=2.0.0, status=sent (250 "
		    "2.0.0 Ok: queued as %lu)", ts, id, rcpt, id);
	sc_add(t + 1, SC_ML, line);
	snprintf(line, sizeof line, "%s mx01 postfix/qmgr[990]: 4Y%010lX: "
	    "removed", ts, id);
	sc_add(t + 1, SC_ML, line);
}

/* Make the scenario lines of hour h, which starts at s. */
static void
sc_hour(unsigned long h, long s)
{
	static const unsigned int px_period[4] = { 60, 45, 120, 300 };
	static const unsigned int fw_period[2] = { 60, 150 };
	const long	 e = s + 3600;
	char		 a[64], b[64], url[256];
	unsigned int	 i, v;

	for (sc_next = 0; sc_next < sc_n; sc_next++)
		free(sc_v[sc_next].s);
	sc_n = sc_next = 0;

	/* Beacons: through the proxy with steady sizes; firewall, none. */
	for (i = 0; i < 4; i++) {
		unsigned int	p = px_period[i];

		if (sc_px_next[i] == 0)
			sc_px_next[i] = s + 100 + i * 7;
		snprintf(a, sizeof a, "10.1.4.%u", 21 + i);
		snprintf(url, sizeof url, "c2-%u.badcdn.example:443", i + 1);
		for (; sc_px_next[i] < e;
		    sc_px_next[i] += sc_range(p - p / 5, p + p / 5))
			sc_px(sc_px_next[i], a, "CONNECT", url,
			    sc_range(4100 + i * 500, 4140 + i * 500), "-",
			    "TCP_TUNNEL/200");
	}
	for (i = 0; i < 2; i++) {
		unsigned int	p = fw_period[i];

		if (sc_fw_next[i] == 0)
			sc_fw_next[i] = s + 200 + i * 11;
		snprintf(a, sizeof a, "10.1.4.%u", 20 - i);
		snprintf(b, sizeof b, "198.51.100.%u", 66 + i);
		for (; sc_fw_next[i] < e;
		    sc_fw_next[i] += sc_range(p - p / 6, p + p / 6))
			sc_fw(sc_fw_next[i], "ACCEPT", a, b, i ? 4443 : 8443);
	}

	/* Spam burst: a phished account, 150 recipients in 60 domains. */
	snprintf(a, sizeof a, "10.1.3.%lu", h % 250 + 1);
	snprintf(b, sizeof b, "phished%lu", h);
	for (i = 0; i < 150; i++) {
		snprintf(url, sizeof url, "user%u@domain%u.example", i, i % 60);
		sc_mail(s + 600 + i * 12, b, a, url, i % 7 == 0);
	}

	/* Worm: a new host sweeps SMB, reaching one victim among few. */
	snprintf(a, sizeof a, "10.1.5.%lu", h % 250 + 1);
	v = 20 + (unsigned int)(h % 30);
	for (i = 1; i <= 80; i++) {
		snprintf(b, sizeof b, "10.1.6.%u", i);
		sc_fw(s + 1200 + i * 2, i == v || i % 17 == 0 ? "ACCEPT" :
		    "DROP", a, b, 445);
	}
	/* ...and the victim sweeps in turn, 15 minutes later. */
	snprintf(a, sizeof a, "10.1.6.%u", v);
	for (i = 1; i <= 60; i++) {
		snprintf(b, sizeof b, "10.1.7.%u", i);
		sc_fw(s + 2100 + i * 2, i % 13 == 0 ? "ACCEPT" : "DROP", a, b,
		    445);
	}

	/* Outbound SSH scan of 60 addresses. */
	snprintf(a, sizeof a, "10.1.2.%lu", h % 200 + 1);
	for (i = 1; i <= 60; i++) {
		snprintf(b, sizeof b, "203.0.113.%u", i);
		sc_fw(s + 2600 + i * 4, i % 5 ? "DROP" : "ACCEPT", a, b, 22);
	}
	/* Direct SMTP to the Internet from a PC. */
	for (i = 0; i < 8; i++) {
		snprintf(b, sizeof b, "198.51.100.%u", 100 + i);
		sc_fw(s + 3000 + i * 30, "ACCEPT", "10.1.2.250", b, 25);
	}
	/* A SQL injection run against one shop. */
	for (i = 0; i < 15; i++) {
		snprintf(url, sizeof url, "http://shop.example.com/item.php?"
		    "id=%u%%20UNION%%20SELECT%%20NULL,user()--", i);
		sc_px(s + 3300 + i * 7, "10.1.2.251", "GET", url, 1500, "alice",
		    "TCP_MISS/200");
	}
	qsort(sc_v, sc_n, sizeof *sc_v, sc_cmp);
}

/*
 * The state of the corpus clock: the start, the hour whose scenarios are
 * loaded, and the count of mail lines so far.
 */
struct gen_clock {
	time_t		t0;
	unsigned long	hour;
	unsigned long	q;
};

/* Write the line due at corpus time t to one of outs[SC_FW..SC_ML]. */
static void
gen_line(struct gen_clock *c, FILE **outs, time_t t)
{
	FILE		*fw = outs[SC_FW], *px = outs[SC_PX], *ml = outs[SC_ML];
	const time_t	 t0 = c->t0;
	char		 ts[32];
	uint32_t	 r;

	/* An attack scenario's line when one is due. */
	if ((unsigned long)(t - t0) / 3600 != c->hour) {
		c->hour = (unsigned long)(t - t0) / 3600;
		sc_hour(c->hour, (long)t0 + (long)c->hour * 3600);
	}
	if (sc_next < sc_n && sc_v[sc_next].t <= (long)t) {
		fprintf(outs[sc_v[sc_next].out], "%s\n",
		    sc_v[sc_next].s);
		sc_next++;
		return;
	}
	gen_syslog_time(ts, sizeof ts, t);
	r = gen_rand() % 1000;
	if (r < 450) {
		/*
		 * Firewall: mostly web out, inbound noise, and now
		 * and then (one line in 20,000) SMB to the Internet.
		 */
		unsigned int	dport = r < 5 && gen_rand() % 100 == 0 ?
		    445 : r < 300 ? 443 : 80;
		int		in = r >= 380;

		fprintf(fw, "%s gw01 kernel: [%lu.%06u] %s IN=%s "
		    "OUT=%s MAC=00:16:3e:5e:6c:01:00:16:3e:11:22:33:08:00 "
		    "SRC=%s%u.%u DST=%u.%u.%u.%u LEN=60 TOS=0x00 "
		    "PREC=0x00 TTL=63 ID=%u DF PROTO=TCP SPT=%u DPT=%u "
		    "WINDOW=64240 RES=0x00 SYN URGP=0\n", ts,
		    (unsigned long)(t - 1795000000), gen_range(0, 999999),
		    in ? "[UFW BLOCK]" : "FWD-ACCEPT:",
		    in ? "eth0" : "eth1", in ? "" : "eth0",
		    in ? "203.0." : "10.1.", in ? 113 : gen_range(1, 40),
		    gen_range(1, 254),
		    in ? 192 : 198, in ? 0 : 51, in ? 2 : 100,
		    gen_range(1, 254), gen_range(1, 65535),
		    gen_range(1024, 65535), in ? 22 : dport);
	} else if (r < 850) {
		/* Proxy: browsing, tunnels, a rare attack (1 in 33,000). */
		const char	*url;
		int		 connect = r < 600;

		if (r >= 650 && r < 653 && gen_rand() % 100 == 0)
			url = gen_attacks[gen_rand() % 3];
		else if (connect)
			url = gen_tunnels[gen_rand() % 5];
		else
			url = gen_sites[gen_rand() % 5];
		fprintf(px, "%ld.%03u %6u 10.1.%u.%u %s/%u %u %s %s %s "
		    "HIER_DIRECT/93.184.%u.%u %s\n", (long)t,
		    gen_range(0, 999), gen_range(1, 9000),
		    gen_range(1, 40), gen_range(1, 254),
		    connect ? "TCP_TUNNEL" : "TCP_MISS",
		    gen_rand() % 10 ? 200 : 404, gen_range(200, 90000),
		    connect ? "CONNECT" : "GET", url,
		    gen_users[gen_rand() % 8], gen_range(0, 255),
		    gen_range(1, 254), connect ? "-" : "text/html");
	} else {
		/* Mail: the life of one message per six lines. */
		unsigned int	step = (unsigned int)(c->q % 6);
		unsigned long	id = c->q / 6;

		c->q++;
		switch (step) {
		case 0:
			fprintf(ml, "%s mx01 postfix/submission/smtpd[%u]: "
			    "connect from pc%lu.example.co.jp[10.1.3.%lu]\n",
			    ts, 4100 + (unsigned)(id % 50), id % 200,
			    id % 250 + 1);
			break;
		case 1:
			fprintf(ml, "%s mx01 postfix/submission/smtpd[%u]: "
			    "%08lX%03lX: client=pc%lu.example.co.jp[10.1.3.%lu], "
			    "sasl_method=PLAIN, sasl_username=%s\n", ts,
			    4100 + (unsigned)(id % 50), id, id % 4096,
			    id % 200, id % 250 + 1, gen_users[1 + id % 7]);
			break;
		case 2:
			fprintf(ml, "%s mx01 postfix/cleanup[%u]: %08lX%03lX: "
			    "message-id=<%lu.%lu@example.co.jp>\n", ts,
			    5100 + (unsigned)(id % 20), id, id % 4096, id,
			    (unsigned long)t);
			break;
		case 3:
			fprintf(ml, "%s mx01 postfix/qmgr[990]: %08lX%03lX: "
			    "from=<%s@example.co.jp>, size=%u, nrcpt=1 "
			    "(queue active)\n", ts, id, id % 4096,
			    gen_users[1 + id % 7], gen_range(900, 90000));
			break;
		case 4:
			if (id % 40 == 0)
				fprintf(ml, "%s mx01 postfix/smtp[%u]: "
				    "%08lX%03lX: to=<user%lu@example.net>, "
				    "relay=mx.example.net[198.51.100.25]:25, "
				    "delay=1.2, delays=0.1/0/0.6/0.5, "
				    "dsn=5.7.1, status=bounced (host "
				    "mx.example.net[198.51.100.25] said: 550 "
				    "5.7.1 Message rejected as spam (in reply "
				    "to end of DATA command))\n", ts,
				    6100 + (unsigned)(id % 30), id, id % 4096,
				    id);
			else
				fprintf(ml, "%s mx01 postfix/smtp[%u]: "
				    "%08lX%03lX: to=<partner%lu@example.com>, "
				    "relay=mx.example.com[192.0.2.25]:25, "
				    "delay=0.9, delays=0.1/0/0.4/0.4, "
				    "dsn=2.0.0, status=sent (250 2.0.0 Ok: "
				    "queued as 4Y%lX)\n", ts,
				    6100 + (unsigned)(id % 30), id, id % 4096,
				    id % 1000, id);
			break;
		default:
			fprintf(ml, "%s mx01 postfix/qmgr[990]: %08lX%03lX: "
			    "removed\n", ts, id, id % 4096);
			break;
		}
	}
}

static const char *const gen_names[3] = { "firewall.log", "proxy.log",
    "mail.log" };

/* Open the three files in dir for writing ("w") or appending. */
static int
gen_open(const char *dir, const char *mode, FILE **outs)
{
	char	path[4096];
	int	i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, gen_names[i]);
		if ((outs[i] = fopen(path, mode)) == NULL) {
			perror(path);
			return -1;
		}
	}
	return 0;
}

/*
 * Rotate the three files the way logrotate's rename rotation does: .2 to
 * .3 (the old .3 removed), .1 to .2, the file to .1, and a new file.
 */
static int
gen_rotate(const char *dir, FILE **outs)
{
	char	from[4096], to[4096];
	int	i, k;

	for (i = 0; i < 3; i++) {
		if (fclose(outs[i]) != 0) {
			perror("write");
			return -1;
		}
		for (k = 2; k >= 0; k--) {
			if (k == 0)
				snprintf(from, sizeof from, "%s/%s", dir,
				    gen_names[i]);
			else
				snprintf(from, sizeof from, "%s/%s.%d", dir,
				    gen_names[i], k);
			snprintf(to, sizeof to, "%s/%s.%d", dir, gen_names[i],
			    k + 1);
			(void)rename(from, to);
		}
	}
	return gen_open(dir, "w", outs);
}

static double
gen_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The paced mode: RATE lines a second for SECONDS seconds, on the wall
 * clock (the lines carry the time they are written), rotating the files
 * every ROTATE seconds (0: never).  Prints the lines and bytes written to
 * each file, rotated parts included.
 */
static int
gen_pace(const char *dir, double rate, double seconds, double rotate)
{
	struct gen_clock c = { time(NULL), (unsigned long)-1, 0 };
	FILE		*outs[3];
	unsigned long	 done = 0, due, lines[3] = { 0 };
	long		 bytes[3] = { 0 }, before[3];
	double		 start, now, last_rot;
	int		 i;
	struct timespec	 nap = { 0, 5000000 };

	if (gen_open(dir, "a", outs) != 0)
		return 1;
	start = last_rot = gen_now();
	while ((now = gen_now()) - start < seconds) {
		if (rotate > 0 && now - last_rot >= rotate) {
			for (i = 0; i < 3; i++)
				bytes[i] += ftell(outs[i]);
			if (gen_rotate(dir, outs) != 0)
				return 1;
			last_rot = now;
		}
		due = (unsigned long)((now - start) * rate);
		for (; done < due; done++) {
			for (i = 0; i < 3; i++)
				before[i] = ftell(outs[i]);
			gen_line(&c, outs, time(NULL));
			for (i = 0; i < 3; i++)
				if (ftell(outs[i]) != before[i])
					lines[i]++;
		}
		for (i = 0; i < 3; i++)
			fflush(outs[i]);
		nanosleep(&nap, NULL);
	}
	for (i = 0; i < 3; i++) {
		bytes[i] += ftell(outs[i]);
		if (fclose(outs[i]) != 0) {
			perror("write");
			return 1;
		}
		printf("%s %lu lines %ld bytes\n", gen_names[i], lines[i],
		    bytes[i]);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct gen_clock c = { 1795219200, (unsigned long)-1, 0 };
	FILE		*outs[3];	/* 1795219200: 2026-11-21 00:00 UTC */
	unsigned long	 n, i;
	time_t		 t = c.t0;
	int		 k;

	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "--pace") == 0)
		return gen_pace(argv[2], strtod(argv[3], NULL),
		    strtod(argv[4], NULL), argc == 6 ? strtod(argv[5], NULL) :
		    0);
	if (argc != 3) {
		fprintf(stderr, "usage: gen DIR LINES\n"
		    "       gen --pace DIR RATE SECONDS [ROTATE]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	if (gen_open(argv[1], "w", outs) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (i % 64 == 0)
			t++;
		gen_line(&c, outs, t);
	}
	for (k = 0; k < 3; k++)
		if (fclose(outs[k]) != 0) {
			perror("write");
			return 1;
		}
	return 0;
}
