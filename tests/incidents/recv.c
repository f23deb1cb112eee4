/*
 * recv.c: a small receiver on loopback for the delivery tests, never on
 * another address.  One process per test, serving one protocol:
 *
 *   recv http   PORTFILE DIR SCRIPT [SECRETFILE]   webhook / TheHive
 *   recv smtp   PORTFILE DIR SCRIPT                mail
 *   recv udp    PORTFILE DIR                       syslog over UDP
 *   recv unix   PATH DIR                           syslog, unix datagrams
 *
 * It binds 127.0.0.1 on a free port and writes the port to PORTFILE, then
 * logs every request to DIR: HTTP requests as DIR/req-N (headers and
 * body) and one line "N METHOD PATH STATUS webhook-id sig" in DIR/log
 * (sig is ok, bad or none, checked with the Standard Webhooks scheme);
 * mail as DIR/mail-N; datagrams as lines of DIR/syslog.  SCRIPT says how
 * to answer, one word per request, then "ok" for ever: ok, 503, 429 (with
 * Retry-After: 1), 400, slow (2 s, then ok), close (hang up), exists
 * (TheHive's duplicate answer); for SMTP: ok, 421 (greeting), 451 (after
 * DATA), 550 (RCPT).  It exits by itself after 120 seconds.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define RECV_LIFETIME	120
#define RECV_MAX	(4 * 1024 * 1024)

static const char	*dir;
static char		**script;
static size_t		 nscript, at;
static unsigned char	 secret[256];
static size_t		 secret_len;

/* The next answer of the script. */
static const char *
next_word(void)
{
	return at < nscript ? script[at++] : "ok";
}

static void
split_script(char *s)
{
	char	*p;

	for (p = strsep(&s, ","); p != NULL; p = strsep(&s, ",")) {
		if (*p == '\0')
			continue;
		script = realloc(script, (nscript + 1) * sizeof *script);
		if (script == NULL)
			exit(1);
		script[nscript++] = p;
	}
}

/* Listen on 127.0.0.1 (type SOCK_STREAM or SOCK_DGRAM); write the port. */
static int
listen_loopback(int type, const char *portfile)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	FILE			*f;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		exit(1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		exit(1);
	if (type == SOCK_STREAM && listen(fd, 16) != 0)
		exit(1);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	if ((f = fopen(portfile, "w")) == NULL)
		exit(1);
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	fclose(f);
	return fd;
}

/* Append a line to DIR/name. */
static void
log_line(const char *name, const char *fmt, const char *a, size_t alen)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "a")) == NULL)
		return;
	if (a != NULL)
		fwrite(a, 1, alen, f);
	if (fmt != NULL)
		fputs(fmt, f);
	fclose(f);
}

/* Write a whole buffer to DIR/name. */
static void
save(const char *name, const char *p, size_t len)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fwrite(p, 1, len, f);
	fclose(f);
}

/* The value of header name in head, into buf ("" if none). */
static void
header(const char *head, const char *name, char *buf, size_t size)
{
	const char	*p = head, *e;
	size_t		 n = strlen(name);

	buf[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			e = strstr(p, "\r\n");
			n = e != NULL ? (size_t)(e - p) : strlen(p);
			if (n >= size)
				n = size - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return;
		}
	}
}

/* Check a Standard Webhooks signature: "ok", "bad" or "none". */
static const char *
check_sig(const char *id, const char *ts, const char *sig, const char *body,
    size_t blen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	char		 b64[128], *msg;
	size_t		 n;

	if (secret_len == 0 || sig[0] == '\0')
		return "none";
	n = strlen(id) + strlen(ts) + blen + 3;
	if ((msg = malloc(n)) == NULL)
		exit(1);
	snprintf(msg, n, "%s.%s.", id, ts);
	memcpy(msg + strlen(msg), body, blen);
	n = strlen(id) + strlen(ts) + 2 + blen;
	HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)msg, n,
	    mac, &maclen);
	free(msg);
	EVP_EncodeBlock((unsigned char *)b64, mac, (int)maclen);
	return strncmp(sig, "v1,", 3) == 0 && strcmp(sig + 3, b64) == 0 ?
	    "ok" : "bad";
}

/* Serve one HTTP connection (requests until the client closes). */
static void
serve_http(int c, unsigned int *n)
{
	char		*buf, *end, status[64], id[256], ts[64], sig[256];
	char		 cl[32], name[64], method[16], path[512], line[1024];
	const char	*word, *reply, *body;
	size_t		 len = 0, hlen, blen;
	ssize_t		 r;

	if ((buf = malloc(RECV_MAX + 1)) == NULL)
		exit(1);
	for (;;) {
		while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
			r = read(c, buf + len, RECV_MAX - len);
			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		buf[len] = '\0';
		hlen = (size_t)(end - buf) + 4;
		header(buf, "Content-Length", cl, sizeof cl);
		blen = (size_t)strtoul(cl, NULL, 10);
		while (len < hlen + blen) {
			r = read(c, buf + len, RECV_MAX - len);
			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		(*n)++;
		snprintf(name, sizeof name, "req-%u", *n);
		save(name, buf, hlen + blen);
		sscanf(buf, "%15s %511s", method, path);
		header(buf, "webhook-id", id, sizeof id);
		header(buf, "webhook-timestamp", ts, sizeof ts);
		header(buf, "webhook-signature", sig, sizeof sig);
		word = next_word();
		body = "{}";
		if (strcmp(word, "close") == 0) {
			snprintf(line, sizeof line, "%u %s %s close %s %s\n",
			    *n,
			    method, path, id, check_sig(id, ts, sig,
			    buf + hlen, blen));
			log_line("log", line, NULL, 0);
			goto out;
		}
		if (strcmp(word, "slow") == 0)
			sleep(2);
		if (strcmp(word, "503") == 0)
			reply = "503 Service Unavailable";
		else if (strcmp(word, "429") == 0)
			reply = "429 Too Many Requests\r\nRetry-After: 1";
		else if (strcmp(word, "400") == 0)
			reply = "400 Bad Request";
		else if (strcmp(word, "exists") == 0) {
			reply = "400 Bad Request";
			body = "{\"type\":\"CreateError\",\"message\":\"Alert "
			    "already exists\"}";
		} else if (strcmp(method, "POST") == 0 &&
		    strcmp(path, "/api/v1/alert") == 0) {
			reply = "201 Created";
			body = "{\"_id\":\"~4242\",\"status\":\"New\"}";
		} else if (strcmp(path, "/api/v1/query") == 0) {
			reply = "200 OK";
			body = "[{\"_id\":\"~4242\"}]";
		} else
			reply = "200 OK";
		snprintf(status, sizeof status, "%.3s", reply);
		snprintf(line, sizeof line, "%u %s %s %s %s %s\n", *n, method,
		    path, status, id[0] != '\0' ? id : "-", check_sig(id, ts,
		    sig, buf + hlen, blen));
		log_line("log", line, NULL, 0);
		snprintf(line, sizeof line, "HTTP/1.1 %s\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n\r\n%s", reply,
		    strlen(body), body);
		if (write(c, line, strlen(line)) < 0)
			goto out;
		memmove(buf, buf + hlen + blen, len - hlen - blen);
		len -= hlen + blen;
	}
out:
	free(buf);
}

/* Say an SMTP line. */
static void
say(int c, const char *s)
{
	if (write(c, s, strlen(s)) < 0)
		return;
}

/* Read an SMTP command line into buf; 0 at EOF. */
static size_t
get_line(int c, char *buf, size_t size)
{
	size_t	n = 0;
	char	ch;

	while (n + 1 < size && read(c, &ch, 1) == 1) {
		buf[n++] = ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	return n;
}

/* Serve one SMTP session. */
static void
serve_smtp(int c, unsigned int *n)
{
	char		 line[1024], name[64], *msg;
	const char	*word = next_word();
	size_t		 len;

	if (strcmp(word, "421") == 0) {
		say(c, "421 busy, try later\r\n");
		return;
	}
	say(c, "220 localhost ESMTP test\r\n");
	if ((msg = malloc(RECV_MAX + 1)) == NULL)
		exit(1);
	while (get_line(c, line, sizeof line) > 0) {
		if (strncasecmp(line, "EHLO", 4) == 0)
			say(c, "250-localhost\r\n250 8BITMIME\r\n");
		else if (strncasecmp(line, "HELO", 4) == 0 ||
		    strncasecmp(line, "MAIL", 4) == 0 ||
		    strncasecmp(line, "RSET", 4) == 0 ||
		    strncasecmp(line, "NOOP", 4) == 0)
			say(c, "250 ok\r\n");
		else if (strncasecmp(line, "RCPT", 4) == 0)
			say(c, strcmp(word, "550") == 0 ?
			    "550 no such user\r\n" : "250 ok\r\n");
		else if (strncasecmp(line, "DATA", 4) == 0) {
			say(c, "354 go on\r\n");
			len = 0;
			for (;;) {
				size_t	k = get_line(c, msg + len,
				    RECV_MAX - len);

				if (k == 0)
					goto out;
				if (strcmp(msg + len, ".\r\n") == 0)
					break;
				len += k;
			}
			if (strcmp(word, "451") == 0) {
				say(c, "451 try again later\r\n");
				continue;
			}
			(*n)++;
			snprintf(name, sizeof name, "mail-%u", *n);
			save(name, msg, len);
			say(c, "250 queued\r\n");
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(c, "221 bye\r\n");
			break;
		} else
			say(c, "502 not here\r\n");
	}
out:
	free(msg);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	unsigned int		 n = 0;
	char			 buf[65536];
	ssize_t			 r;
	FILE			*f;
	int			 fd, c;

	if (argc < 4) {
		fprintf(stderr, "usage: recv http|smtp|udp|unix PORTFILE|PATH "
		    "DIR [SCRIPT [SECRETFILE]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(RECV_LIFETIME);
	dir = argv[3];
	if (argc > 4) {
		char	*s = strdup(argv[4]);

		split_script(s);
	}
	if (argc > 5 && (f = fopen(argv[5], "r")) != NULL) {
		secret_len = fread(secret, 1, sizeof secret, f);
		while (secret_len > 0 && secret[secret_len - 1] == '\n')
			secret_len--;
		fclose(f);
	}
	if (strcmp(argv[1], "unix") == 0 || strcmp(argv[1], "udp") == 0) {
		if (strcmp(argv[1], "udp") == 0)
			fd = listen_loopback(SOCK_DGRAM, argv[2]);
		else {
			if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
				return 1;
			memset(&sun, 0, sizeof sun);
			sun.sun_family = AF_UNIX;
			snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
			    argv[2]);
			unlink(argv[2]);
			if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
				return 1;
		}
		for (;;) {
			if ((r = recv(fd, buf, sizeof buf, 0)) <= 0)
				continue;
			log_line("syslog", "\n", buf, (size_t)r);
		}
	}
	fd = listen_loopback(SOCK_STREAM, argv[2]);
	for (;;) {
		if ((c = accept(fd, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (strcmp(argv[1], "smtp") == 0)
			serve_smtp(c, &n);
		else
			serve_http(c, &n);
		close(c);
	}
}
