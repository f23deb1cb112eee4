/*
 * output_syslog.c: incidents as RFC 5424 syslog messages with a CEF
 * payload (type syslog), over UDP, TCP (octet-counted framing, RFC 6587)
 * or a unix datagram socket.  One message per revision:
 *   <PRI>1 TIME HOST keibi - INCIDENT - CEF:0|keibi|keibi|VER|RULE|TITLE|
 *   SEV|rt=... src=... dst=... suser=... externalId=ID cn1=REV ...
 * CEF header fields escape \ and |, extension values escape \ and = and
 * carry no line breaks (the record's text is cleaned already).  Sockets
 * are non-blocking; a send that would block or fails is tried again by
 * the outbox.  UDP cannot tell a lost datagram: use TCP where that matters.
 *
 * This output must never block the loop and never let a value break out
 * of its CEF field or its syslog line.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "incident.h"
#include "log.h"
#include "output.h"

#define SL_MAX_MSG	8192	/* bytes of one message */

enum sl_proto {
	SL_UDP = 0,
	SL_TCP,
	SL_UNIX
};

struct output_sl {
	enum sl_proto	 proto;
	char		*host;
	char		*port;
	char		*path;
	int		 fd;
	int		 facility;
	char		*app;
	char		 hostname[256];
};

/* A growing string. */
struct sl_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
sl_putc(struct sl_buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap == 0 ? 512 : b->cap * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			fatal("realloc");
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
sl_add(struct sl_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *p;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	for (p = s; *p != '\0'; p++)
		sl_putc(b, *p);
	free(s);
}

/* A CEF header field: \ and | escaped, no line breaks. */
static void
sl_cef_head(struct sl_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '|')
			sl_putc(b, '\\');
		if (*s == '\n' || *s == '\r')
			sl_putc(b, ' ');
		else
			sl_putc(b, *s);
	}
}

/* A CEF extension " key=value": \ and = escaped, breaks as \n. */
static void
sl_cef_ext(struct sl_buf *b, const char *key, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	sl_add(b, " %s=", key);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '=')
			sl_putc(b, '\\');
		if (*s == '\n')
			sl_add(b, "\\n");
		else if (*s == '\r')
			sl_add(b, "\\r");
		else
			sl_putc(b, *s);
	}
}

static void *
output_sl_open(const struct output_conf *oc, char **cause)
{
	struct output_sl	*o;
	const char		*a = oc->address != NULL ? oc->address : "";
	const char		*hp, *colon;

	if ((o = calloc(1, sizeof *o)) == NULL)
		fatal("calloc");
	o->fd = -1;
	o->facility = (int)oc->facility;
	if ((o->app = strdup(oc->app_name != NULL ? oc->app_name :
	    "keibi")) == NULL)
		fatal("strdup");
	if (strncmp(a, "unix:", 5) == 0) {
		o->proto = SL_UNIX;
		if ((o->path = strdup(a + 5)) == NULL)
			fatal("strdup");
	} else {
		o->proto = strncmp(a, "tcp://", 6) == 0 ? SL_TCP : SL_UDP;
		hp = a + 6;
		if (*hp == '[') {
			colon = strstr(hp, "]:");
			if (colon == NULL)
				goto bad;
			o->host = strndup(hp + 1, (size_t)(colon - hp - 1));
			o->port = strdup(colon + 2);
		} else {
			if ((colon = strrchr(hp, ':')) == NULL)
				goto bad;
			o->host = strndup(hp, (size_t)(colon - hp));
			o->port = strdup(colon + 1);
		}
		if (o->host == NULL || o->port == NULL)
			fatal("strdup");
	}
	if (gethostname(o->hostname, sizeof o->hostname - 1) != 0 ||
	    o->hostname[0] == '\0' || strpbrk(o->hostname, " \r\n") != NULL)
		snprintf(o->hostname, sizeof o->hostname, "-");
	return o;
bad:
	if (asprintf(cause, "syslog address '%s' needs a :PORT", a) == -1)
		fatal("asprintf");
	free(o->app);
	free(o);
	return NULL;
}

/* Connect (non-blocking); 0 or -1 with errno. */
static int
sl_connect(struct output_sl *o)
{
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_un	 sun;
	int			 fd = -1, err;

	if (o->fd != -1)
		return 0;
	if (o->proto == SL_UNIX) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(o->path) >= sizeof sun.sun_path) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(sun.sun_path, o->path, strlen(o->path));
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		o->fd = fd;
		return 0;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = o->proto == SL_TCP ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((err = getaddrinfo(o->host, o->port, &hints, &res)) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		/* Loopback or LAN: a short blocking connect. */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	o->fd = fd;
	return 0;
}

/* CEF severity 0-10 of a record's severity. */
static int
sl_cef_sev(const char *s)
{
	switch (incident_severity_num(s)) {
	case 4:
		return 10;
	case 3:
		return 8;
	case 2:
		return 5;
	default:
		return 3;
	}
}

/* The message of a record. */
static char *
sl_message(struct output_sl *o, json_t *rec, size_t *len)
{
	struct sl_buf	 b = { NULL, 0, 0 };
	json_t		*top, *v;
	const char	*sev = json_string_value(json_object_get(rec,
			    "severity"));
	char		 ts[64], num[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 pri;

	switch (incident_severity_num(sev)) {
	case 4:
		pri = 2;
		break;
	case 3:
		pri = 3;
		break;
	case 2:
		pri = 4;
		break;
	default:
		pri = 5;
		break;
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sl_add(&b, "<%d>1 %s %s %s - INCIDENT - CEF:0|keibi|keibi|%s|",
	    o->facility * 8 + pri, ts, o->hostname, o->app, PACKAGE_VERSION);
	sl_cef_head(&b, json_string_value(json_array_get(json_object_get(rec,
	    "rules"), 0)));
	sl_putc(&b, '|');
	sl_cef_head(&b, json_string_value(json_object_get(rec, "title")));
	sl_add(&b, "|%d|", sl_cef_sev(sev));
	sl_add(&b, "cat=%s", json_string_value(json_object_get(rec,
	    "category")) != NULL ? json_string_value(json_object_get(rec,
	    "category")) : "");
	sl_cef_ext(&b, "externalId", json_string_value(json_object_get(rec,
	    "id")));
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(
	    json_object_get(rec, "revision")));
	sl_cef_ext(&b, "cn1", num);
	sl_cef_ext(&b, "cn1Label", "revision");
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(
	    json_object_get(rec, "alert_count")));
	sl_cef_ext(&b, "cnt", num);
	sl_cef_ext(&b, "src", json_string_value(json_array_get(
	    json_object_get(rec, "internal_hosts"), 0)));
	sl_cef_ext(&b, "suser", json_string_value(json_array_get(
	    json_object_get(rec, "users"), 0)));
	top = json_object_get(json_object_get(rec, "remote"), "top");
	v = json_array_get(top, 0);
	if (v != NULL && strcmp(json_string_value(json_object_get(v,
	    "type")) != NULL ? json_string_value(json_object_get(v, "type")) :
	    "", "ip") == 0)
		sl_cef_ext(&b, "dst", json_string_value(json_object_get(v,
		    "value")));
	else if (v != NULL)
		sl_cef_ext(&b, "dhost", json_string_value(json_object_get(v,
		    "value")));
	sl_cef_ext(&b, "start", json_string_value(json_object_get(rec,
	    "first_seen")));
	sl_cef_ext(&b, "end", json_string_value(json_object_get(rec,
	    "last_seen")));
	sl_cef_ext(&b, "cs1Label", "dedup_key");
	sl_cef_ext(&b, "cs1", json_string_value(json_object_get(rec,
	    "dedup_key")));
	sl_cef_ext(&b, "cs2Label", "status");
	sl_cef_ext(&b, "cs2", json_string_value(json_object_get(rec,
	    "status")));
	sl_cef_ext(&b, "cs3Label", "classification");
	sl_cef_ext(&b, "cs3", json_string_value(json_object_get(
	    json_object_get(rec, "classification"), "rsit")));
	sl_cef_ext(&b, "cs4Label", "activity");
	sl_cef_ext(&b, "cs4", json_string_value(json_object_get(rec,
	    "activity")));
	sl_cef_ext(&b, "msg", json_string_value(json_object_get(rec,
	    "summary")));
	if (b.len > SL_MAX_MSG) {
		/* Cut on a character boundary. */
		b.len = SL_MAX_MSG;
		while (b.len > 0 && ((unsigned char)b.p[b.len] & 0xc0) == 0x80)
			b.len--;
		b.p[b.len] = '\0';
	}
	*len = b.len;
	return b.p;
}

static int
output_sl_deliver(void *arg, struct output_job *job)
{
	struct output_sl	*o = arg;
	char			*msg, *frame;
	size_t			 len, flen;
	ssize_t			 n;
	int			 err;

	if (sl_connect(o) != 0) {
		job->done(job, OUTPUT_RETRY, 0, NULL, strerror(errno));
		return 0;
	}
	msg = sl_message(o, job->rec, &len);
	if (o->proto == SL_TCP) {
		if (asprintf(&frame, "%zu %s", len, msg) == -1)
			fatal("asprintf");
		flen = strlen(frame);
		free(msg);
		msg = frame;
		len = flen;
	}
	n = send(o->fd, msg, len, MSG_NOSIGNAL);
	err = errno;
	free(msg);
	if (n != (ssize_t)len) {
		/* A partial TCP frame cannot be resumed: start over. */
		close(o->fd);
		o->fd = -1;
		job->done(job, OUTPUT_RETRY, 0, NULL, n == -1 ? strerror(err) :
		    "short send");
		return 0;
	}
	job->done(job, OUTPUT_OK, 0, NULL, NULL);
	return 0;
}

static int
output_sl_sync(void *arg)
{
	return 0;
}

static void
output_sl_close(void *arg)
{
	struct output_sl	*o = arg;

	if (o == NULL)
		return;
	if (o->fd != -1)
		close(o->fd);
	free(o->host);
	free(o->port);
	free(o->path);
	free(o->app);
	free(o);
}

const struct output_ops output_syslog_ops = {
	.type = "syslog",
	.open = output_sl_open,
	.sync = output_sl_sync,
	.close = output_sl_close,
	.deliver = output_sl_deliver,
	.max_inflight = 1,
	.coalesce = true,
};
