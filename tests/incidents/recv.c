/*
 * recv.c: a small receiver on loopback for the delivery tests, never on
 * another address.  One process per test, serving one protocol:
 *
 *   recv http   PORTFILE DIR SCRIPT [SECRETFILE]   webhook, TheHive, IRIS, RT
 *   recv https  PORTFILE DIR SCRIPT [SECRETFILE]   the same over TLS
 *   recv smtp   PORTFILE DIR SCRIPT                mail, no STARTTLS offered
 *   recv smtp-starttls PORTFILE DIR SCRIPT         mail, STARTTLS required
 *   recv smtps  PORTFILE DIR SCRIPT                mail over implicit TLS
 *   recv tcp    PORTFILE DIR                       syslog, octet-counted
 *   recv tls    PORTFILE DIR                       the same over TLS
 *   recv udp    PORTFILE DIR                       syslog over UDP
 *   recv unix   PATH DIR                           syslog, unix datagrams
 *
 * It binds 127.0.0.1 on a free port, or on the port PORTFILE already
 * holds (a receiver that comes back), and writes the port to PORTFILE,
 * then logs every request to DIR: HTTP requests as DIR/req-N (headers and
 * body) and one line "N METHOD PATH STATUS webhook-id sig" in DIR/log
 * (sig is ok, bad or none, checked with the Standard Webhooks scheme);
 * mail as DIR/mail-N and a line "mail N tls=VERSION" (or "tls=none") in
 * DIR/log; syslog messages as lines of DIR/syslog, a stream's frames
 * checked (RFC 5425 octet counting: "LEN SP MSG"), a broken frame logged
 * to DIR/errors.  TLS modes read the server certificate and key (PEM)
 * from the files named by RECV_CERT and RECV_KEY; every TLS connection
 * logs "conn tls=VERSION" or "handshake failed: REASON" to DIR/log, and
 * https answers one request per connection.
 * SCRIPT says how to answer, one word per request, then "ok" for ever:
 * ok, 503, 429 (with Retry-After: 1), 400, slow (2 s, then ok), close
 * (hang up), exists (TheHive's duplicate answer), hang (the next IRIS
 * or RT create is made but not answered: the connection closes after
 * 4 s); for SMTP: ok, 421
 * (greeting), 451 (after DATA), 550 (RCPT).  It exits by itself after 120
 * seconds.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#define RECV_LIFETIME	120
#define RECV_MAX	(4 * 1024 * 1024)
#define RECV_OUT	(256 * 1024)	/* an IRIS or RT answer */

static const char	*dir;
static char		**script;
static size_t		 nscript, at;
static unsigned char	 secret[256];
static size_t		 secret_len;
static SSL_CTX		*tls_ctx;
static int		 one_request;	/* https: close after each answer */

/* A client connection, in clear or over TLS. */
struct conn {
	int	 fd;
	SSL	*ssl;
};

static ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	int	n;

	if (c->ssl == NULL)
		return read(c->fd, buf, len);
	n = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	return n > 0 ? n : -1;
}

static ssize_t
conn_write(struct conn *c, const void *buf, size_t len)
{
	int	n;

	if (c->ssl == NULL)
		return write(c->fd, buf, len);
	n = SSL_write(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	return n > 0 ? n : -1;
}

static void	log_line(const char *, const char *, const char *, size_t);

/* The TLS handshake as a server; 0, or -1 (logged to DIR/log). */
static int
conn_tls(struct conn *c)
{
	char	line[512], err[256];

	if (tls_ctx == NULL || (c->ssl = SSL_new(tls_ctx)) == NULL)
		return -1;
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_accept(c->ssl) != 1) {
		ERR_error_string_n(ERR_get_error(), err, sizeof err);
		ERR_clear_error();
		snprintf(line, sizeof line, "handshake failed: %s\n", err);
		log_line("log", line, NULL, 0);
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	snprintf(line, sizeof line, "conn tls=%s\n", SSL_get_version(c->ssl));
	log_line("log", line, NULL, 0);
	return 0;
}

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
	/* A receiver that comes back takes the port it had. */
	if ((f = fopen(portfile, "r")) != NULL) {
		unsigned int	port;

		if (fscanf(f, "%u", &port) == 1 && port > 0 && port < 65536)
			sin.sin_port = htons((uint16_t)port);
		fclose(f);
	}
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

/*
 * DFIR-IRIS and RT REST2, as far as the intake needs them: objects made
 * by a create are kept (for the lifetime of the receiver, so a client
 * that restarts finds them), a lookup finds them as the real servers do
 * (IRIS: source_reference matched with LIKE; RT: TicketSQL "Subject LIKE
 * 'x'"), updates and comments of an unknown id are refused.
 */
#define RECV_OBJS	256

struct obj {
	unsigned int	id;
	char		ref[512];	/* IRIS alert_source_ref, RT Subject */
	unsigned int	updates;
};

static struct obj	iris[RECV_OBJS], rt[RECV_OBJS];
static size_t		niris, nrt;
static int		hangs;		/* creates still to leave unanswered */

/* The raw text of string member key of a JSON body (escapes kept). */
static int
json_member(const char *body, size_t blen, const char *key, char *out,
    size_t size)
{
	char		 pat[128];
	const char	*p, *e = body + blen;
	size_t		 n = 0;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if ((p = memmem(body, blen, pat, strlen(pat))) == NULL)
		return -1;
	for (p += strlen(pat); p < e && *p == ' '; p++)
		;
	if (p >= e || *p++ != '"')
		return -1;
	while (p < e && *p != '"' && n + 2 < size) {
		if (*p == '\\' && p + 1 < e)
			out[n++] = *p++;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return p < e && *p == '"' ? 0 : -1;
}

/* The decoded value of query parameter name in path ("" if none). */
static void
query_param(const char *path, const char *name, char *out, size_t size)
{
	const char	*p = strchr(path, '?');
	size_t		 n = strlen(name), k = 0;
	unsigned int	 c;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			for (p += n + 1; *p != '\0' && *p != '&' &&
			    k + 1 < size; p++) {
				if (*p == '%' && sscanf(p + 1, "%2x", &c) == 1) {
					out[k++] = (char)c;
					p += 2;
				} else
					out[k++] = *p == '+' ? ' ' : *p;
			}
			out[k] = '\0';
			return;
		}
		p = strchr(p, '&');
	}
}

/* The object of id in a table, or NULL. */
static struct obj *
obj_find(struct obj *t, size_t n, const char *id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned int)strtoul(id, NULL, 10) == t[i].id)
			return &t[i];
	return NULL;
}

/*
 * Answer an IRIS or RT request: *reply the status line, out the body.
 * hang: the create is made but never answered.  0 if path is not theirs.
 */
static int
serve_intake(const char *method, const char *path, const char *body,
    size_t blen, const char *auth, const char *word, const char **reply,
    char *out, size_t size)
{
	struct obj	*o;
	char		 ref[512], q[1024], *like, *end;
	size_t		 i, k, off;

	if (strncmp(path, "/alerts/", 8) != 0 &&
	    strncmp(path, "/REST/2.0/", 10) != 0)
		return 0;
	if (strcmp(word, "hang") == 0)
		hangs++;
	if (strncmp(auth, "Bearer ", 7) != 0 && strncmp(auth, "token ", 6)
	    != 0) {
		*reply = "401 Unauthorized";
		snprintf(out, size, "{\"message\":\"no credentials\"}");
		return 1;
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/alerts/add") == 0) {
		if (json_member(body, blen, "alert_source_ref", ref,
		    sizeof ref) != 0 || niris == RECV_OBJS) {
			*reply = "400 BAD REQUEST";
			snprintf(out, size, "{\"status\":\"error\",\"message\":"
			    "\"bad alert\",\"data\":[]}");
			return 1;
		}
		o = &iris[niris++];
		o->id = (unsigned int)niris;
		snprintf(o->ref, sizeof o->ref, "%s", ref);
		*reply = hangs > 0 && hangs-- > 0 ? NULL : "200 OK";
		snprintf(out, size, "{\"status\":\"success\",\"message\":\"\","
		    "\"data\":{\"alert_id\":%u,\"alert_source_ref\":\"%s\"}}",
		    o->id, o->ref);
	} else if (strcmp(method, "GET") == 0 &&
	    strncmp(path, "/alerts/filter?", 15) == 0) {
		query_param(path, "source_reference", q, sizeof q);
		off = (size_t)snprintf(out, size, "{\"status\":\"success\","
		    "\"message\":\"\",\"data\":{\"alerts\":[");
		for (i = k = 0; i < niris; i++) {
			if (q[0] != '\0' && strstr(iris[i].ref, q) == NULL)
				continue;
			off += (size_t)snprintf(out + off, size - off,
			    "%s{\"alert_id\":%u,\"alert_source_ref\":\"%s\"}",
			    k++ > 0 ? "," : "", iris[i].id, iris[i].ref);
		}
		snprintf(out + off, size - off, "],\"total\":%zu,"
		    "\"current_page\":1,\"last_page\":1,\"next_page\":null}}",
		    k);
		*reply = "200 OK";
	} else if (strcmp(method, "POST") == 0 &&
	    strncmp(path, "/alerts/update/", 15) == 0) {
		if ((o = obj_find(iris, niris, path + 15)) == NULL) {
			*reply = "400 BAD REQUEST";
			snprintf(out, size, "{\"status\":\"error\",\"message\":"
			    "\"Alert not found\",\"data\":[]}");
			return 1;
		}
		o->updates++;
		*reply = "200 OK";
		snprintf(out, size, "{\"status\":\"success\",\"message\":\"\","
		    "\"data\":{\"alert_id\":%u}}", o->id);
	} else if (strcmp(method, "POST") == 0 &&
	    strcmp(path, "/REST/2.0/ticket") == 0) {
		if (json_member(body, blen, "Subject", ref, sizeof ref) != 0 ||
		    json_member(body, blen, "Queue", q, sizeof q) != 0 ||
		    nrt == RECV_OBJS) {
			*reply = "400 Bad Request";
			snprintf(out, size, "{\"message\":\"Could not create "
			    "ticket\"}");
			return 1;
		}
		o = &rt[nrt++];
		o->id = 1000 + (unsigned int)nrt;
		snprintf(o->ref, sizeof o->ref, "%s", ref);
		*reply = hangs > 0 && hangs-- > 0 ? NULL : "201 Created";
		snprintf(out, size, "{\"type\":\"ticket\",\"id\":\"%u\","
		    "\"_url\":\"/REST/2.0/ticket/%u\"}", o->id, o->id);
	} else if (strcmp(method, "GET") == 0 &&
	    strncmp(path, "/REST/2.0/tickets?", 18) == 0) {
		query_param(path, "query", q, sizeof q);
		if ((like = strstr(q, "Subject LIKE '")) == NULL ||
		    (end = strchr(like + 14, '\'')) == NULL) {
			*reply = "400 Bad Request";
			snprintf(out, size, "{\"message\":\"bad query\"}");
			return 1;
		}
		like += 14;
		*end = '\0';
		off = (size_t)snprintf(out, size, "{\"page\":1,\"per_page\":100,"
		    "\"items\":[");
		for (i = k = 0; i < nrt; i++) {
			if (strstr(rt[i].ref, like) == NULL)
				continue;
			off += (size_t)snprintf(out + off, size - off,
			    "%s{\"type\":\"ticket\",\"id\":\"%u\",\"Subject\":"
			    "\"%s\"}", k++ > 0 ? "," : "", rt[i].id,
			    rt[i].ref);
		}
		snprintf(out + off, size - off, "],\"count\":%zu,\"total\":%zu}",
		    k, k);
		*reply = "200 OK";
	} else if (strncmp(path, "/REST/2.0/ticket/", 17) == 0 &&
	    (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0)) {
		if ((o = obj_find(rt, nrt, path + 17)) == NULL) {
			*reply = "404 Not Found";
			snprintf(out, size, "{\"message\":\"Resource does not "
			    "exist\"}");
			return 1;
		}
		o->updates++;
		if (strcmp(method, "PUT") == 0) {
			*reply = "200 OK";
			snprintf(out, size, "[\"Ticket %u: Priority changed\"]",
			    o->id);
		} else {
			*reply = "201 Created";
			snprintf(out, size, "[\"Comments added\"]");
		}
	} else {
		*reply = "404 Not Found";
		snprintf(out, size, "{\"message\":\"no such endpoint\"}");
	}
	return 1;
}

/* Serve one HTTP connection (requests until the client closes). */
static void
serve_http(struct conn *c, unsigned int *n)
{
	char		*buf, *end, status[64], id[256], ts[64], sig[256];
	char		 cl[32], name[64], method[16], path[2048];
	char		 auth[512], *out, line[3072];
	const char	*word, *reply, *body;
	size_t		 len = 0, hlen, blen;
	ssize_t		 r;

	if ((buf = malloc(RECV_MAX + 1)) == NULL ||
	    (out = malloc(RECV_OUT)) == NULL)
		exit(1);
	for (;;) {
		while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
			r = conn_read(c, buf + len, RECV_MAX - len);
			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		buf[len] = '\0';
		hlen = (size_t)(end - buf) + 4;
		header(buf, "Content-Length", cl, sizeof cl);
		blen = (size_t)strtoul(cl, NULL, 10);
		while (len < hlen + blen) {
			r = conn_read(c, buf + len, RECV_MAX - len);
			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		(*n)++;
		snprintf(name, sizeof name, "req-%u", *n);
		save(name, buf, hlen + blen);
		sscanf(buf, "%15s %2047s", method, path);
		header(buf, "Authorization", auth, sizeof auth);
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
		if (strcmp(word, "503") != 0 && strcmp(word, "429") != 0 &&
		    serve_intake(method, path, buf + hlen, blen, auth, word,
		    &reply, out, RECV_OUT)) {
			if (reply == NULL) {
				/* Made, but the answer never comes. */
				snprintf(line, sizeof line, "%u %s %s hang\n",
				    *n, method, path);
				log_line("log", line, NULL, 0);
				sleep(4);
				goto out;
			}
			body = out;
		} else if (strcmp(word, "503") == 0)
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
		    "application/json\r\nContent-Length: %zu\r\n%s\r\n",
		    reply, strlen(body), one_request ? "Connection: close\r\n" :
		    "");
		if (conn_write(c, line, strlen(line)) < 0 ||
		    conn_write(c, body, strlen(body)) < 0 || one_request)
			goto out;
		memmove(buf, buf + hlen + blen, len - hlen - blen);
		len -= hlen + blen;
	}
out:
	free(out);
	free(buf);
}

/* Say an SMTP line. */
static void
say(struct conn *c, const char *s)
{
	if (conn_write(c, s, strlen(s)) < 0)
		return;
}

/* Read an SMTP command line into buf; 0 at EOF. */
static size_t
get_line(struct conn *c, char *buf, size_t size)
{
	size_t	n = 0;
	char	ch;

	while (n + 1 < size && conn_read(c, &ch, 1) == 1) {
		buf[n++] = ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	return n;
}


/* Serve one SMTP session; tls: 0 clear, 1 STARTTLS required, 2 smtps. */
static void
serve_smtp(struct conn *c, unsigned int *n, int tls)
{
	char		 line[1024], name[64], *msg;
	const char	*word = next_word();
	size_t		 len;

	if (tls == 2 && conn_tls(c) != 0)
		return;
	if (strcmp(word, "421") == 0) {
		say(c, "421 busy, try later\r\n");
		return;
	}
	say(c, "220 localhost ESMTP test\r\n");
	if ((msg = malloc(RECV_MAX + 1)) == NULL)
		exit(1);
	while (get_line(c, line, sizeof line) > 0) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			say(c, "250-localhost\r\n");
			if (tls == 1 && c->ssl == NULL)
				say(c, "250-STARTTLS\r\n");
			say(c, "250 8BITMIME\r\n");
		} else if (strncasecmp(line, "STARTTLS", 8) == 0 && tls == 1 &&
		    c->ssl == NULL) {
			say(c, "220 go ahead\r\n");
			if (conn_tls(c) != 0)
				goto out;
		} else if (strncasecmp(line, "MAIL", 4) == 0 && tls == 1 &&
		    c->ssl == NULL) {
			log_line("log", "MAIL in clear refused\n", NULL, 0);
			say(c, "530 5.7.0 STARTTLS first\r\n");
		} else if (strncasecmp(line, "HELO", 4) == 0 ||
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
			snprintf(line, sizeof line, "mail %u tls=%s\n", *n,
			    c->ssl != NULL ? SSL_get_version(c->ssl) : "none");
			log_line("log", line, NULL, 0);
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

/*
 * Serve one syslog stream: RFC 5425 frames "LEN SP MSG", each MSG a line
 * of DIR/syslog.  Anything else is a broken frame: logged to DIR/errors,
 * and the connection is dropped.
 */
static void
serve_stream(struct conn *c)
{
	char		*buf, line[128];
	size_t		 len = 0, k, mlen;
	ssize_t		 r;

	if ((buf = malloc(RECV_MAX)) == NULL)
		exit(1);
	for (;;) {
		r = conn_read(c, buf + len, RECV_MAX - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		for (;;) {
			for (k = 0; k < len && k < 8 && buf[k] >= '0' &&
			    buf[k] <= '9'; k++)
				;
			if (k == len)
				break;		/* more to come */
			if (k == 0 || k == 8 || buf[k] != ' ' || buf[0] == '0') {
				snprintf(line, sizeof line, "bad frame at "
				    "'%.20s'\n", buf);
				log_line("errors", line, NULL, 0);
				goto out;
			}
			mlen = (size_t)strtoul(buf, NULL, 10);
			if (len < k + 1 + mlen)
				break;
			if (memchr(buf + k + 1, '\n', mlen) != NULL)
				log_line("errors", "a newline in a message\n",
				    NULL, 0);
			log_line("syslog", "\n", buf + k + 1, mlen);
			memmove(buf, buf + k + 1 + mlen, len - k - 1 - mlen);
			len -= k + 1 + mlen;
		}
	}
	if (len > 0)
		log_line("errors", "a partial frame at the end\n", NULL, 0);
out:
	free(buf);
}

/* The server side of TLS, from RECV_CERT and RECV_KEY. */
static void
tls_setup(void)
{
	const char	*cert = getenv("RECV_CERT"), *key = getenv("RECV_KEY");

	if (cert == NULL || key == NULL) {
		fprintf(stderr, "recv: TLS needs RECV_CERT and RECV_KEY\n");
		exit(2);
	}
	if ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(tls_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(tls_ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct conn		 conn;
	const char		*mode;
	unsigned int		 n = 0;
	char			 buf[65536];
	ssize_t			 r;
	FILE			*f;
	int			 fd, c;

	if (argc < 4) {
		fprintf(stderr, "usage: recv http|https|smtp|smtp-starttls|"
		    "smtps|tcp|tls|udp|unix PORTFILE|PATH DIR [SCRIPT "
		    "[SECRETFILE]]\n");
		return 2;
	}
	mode = argv[1];
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
	if (strcmp(mode, "https") == 0 || strcmp(mode, "smtp-starttls") == 0 ||
	    strcmp(mode, "smtps") == 0 || strcmp(mode, "tls") == 0)
		tls_setup();
	if (strcmp(mode, "unix") == 0 || strcmp(mode, "udp") == 0) {
		if (strcmp(mode, "udp") == 0)
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
		conn.fd = c;
		conn.ssl = NULL;
		if (strcmp(mode, "smtp") == 0)
			serve_smtp(&conn, &n, 0);
		else if (strcmp(mode, "smtp-starttls") == 0)
			serve_smtp(&conn, &n, 1);
		else if (strcmp(mode, "smtps") == 0)
			serve_smtp(&conn, &n, 2);
		else if (strcmp(mode, "tcp") == 0)
			serve_stream(&conn);
		else if (strcmp(mode, "tls") == 0) {
			if (conn_tls(&conn) == 0)
				serve_stream(&conn);
		} else if (strcmp(mode, "https") == 0) {
			/* One connection at a time: let the client open more. */
			one_request = 1;
			if (conn_tls(&conn) == 0)
				serve_http(&conn, &n);
		} else
			serve_http(&conn, &n);
		if (conn.ssl != NULL) {
			SSL_shutdown(conn.ssl);
			SSL_free(conn.ssl);
		}
		close(c);
	}
}
