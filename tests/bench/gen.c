/*
 * gen.c: a deterministic corpus for the benchmark.  Writes firewall.log
 * (iptables), proxy.log (Squid native) and mail.log (Postfix) into a
 * folder, N lines in all, mixed like a real log host's day, with the
 * attack scenarios of the tests folded in (an SMB sweep, web attacks
 * through the proxy, spam refused as such).  Same seed, same bytes.
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

int
main(int argc, char **argv)
{
	FILE		*fw, *px, *ml;
	char		 path[4096], ts[32];
	unsigned long	 n, i, q = 0;
	time_t		 t = 1795219200;	/* 2026-11-21 09:00 UTC */
	uint32_t	 r;

	if (argc != 3) {
		fprintf(stderr, "usage: gen DIR LINES\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	snprintf(path, sizeof path, "%s/firewall.log", argv[1]);
	fw = fopen(path, "w");
	snprintf(path, sizeof path, "%s/proxy.log", argv[1]);
	px = fopen(path, "w");
	snprintf(path, sizeof path, "%s/mail.log", argv[1]);
	ml = fopen(path, "w");
	if (fw == NULL || px == NULL || ml == NULL) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (i % 64 == 0)
			t++;
		gen_syslog_time(ts, sizeof ts, t);
		r = gen_rand() % 1000;
		if (r < 450) {
			/* Firewall: mostly web out, inbound noise, a sweep. */
			unsigned int	dport = r < 5 ? 445 : r < 300 ? 443 : 80;
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
			/* Proxy: browsing, tunnels, a few attacks. */
			const char	*url;
			int		 connect = r < 600;

			if (r >= 650 && r < 653)
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
			unsigned int	step = (unsigned int)(q % 6);
			unsigned long	id = q / 6;

			q++;
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
	if (fclose(fw) != 0 || fclose(px) != 0 || fclose(ml) != 0) {
		perror("write");
		return 1;
	}
	return 0;
}
