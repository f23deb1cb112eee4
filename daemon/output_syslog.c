/*
 * output_syslog.c: incidents as RFC 5424 syslog messages with a CEF
 * payload (type syslog), over UDP, TCP, TLS (both with RFC 5425
 * octet-counting framing, "LEN SP MSG") or a unix datagram socket.  One
 * message per revision:
 *   <PRI>1 TIME HOST keibi - INCIDENT - CEF:0|keibi|keibi|VER|RULE|TITLE|
 *   SEV|rt=... src=... dst=... suser=... externalId=ID cn1=REV ...
 * CEF header fields escape \ and |, extension values escape \ and = and
 * carry no line breaks (the record's text is cleaned already).
 *
 * Datagrams go out with one non-blocking send.  TCP and TLS use one
 * bufferevent on the outbox's loop: the connect, the TLS handshake (the
 * receiver's certificate checked against ca_file or the system CAs, and
 * its name or address against the host of the address) and the write all
 * happen without waiting; a revision is delivered once its frame has left
 * for the kernel, and a connection that fails, closes or takes longer than
 * timeout is dropped and the revision tried again by the outbox.  Name
 * resolution uses getaddrinfo(): give an address or a name the host
 * resolves from a local file if that matters.  UDP cannot tell a lost
 * datagram: use TCP or TLS where that matters.
 *
 * This output must never block the loop, never send a TLS message to a
 * receiver it could not verify, and never let a value break out of its
 * CEF field or its syslog line.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "incident.h"
#include "log.h"
#include "outbox.h"
#include "output.h"

#define SL_MAX_MSG	8192	/* bytes of one message */

enum sl_proto {
	SL_UDP = 0,
	SL_TCP,
	SL_TLS,
	SL_UNIX
};

struct output_sl {
	enum sl_proto		 proto;
	char			*host;
	char			*port;
	char			*path;
	int			 fd;		/* datagrams */
	int			 facility;
	char			*app;
	char			 hostname[256];
	long			 timeout;	/* s per attempt */
	SSL_CTX			*ctx;		/* tls:// */
	struct outbox		*ob;

	/* TCP and TLS: one connection, one revision in flight. */
	struct bufferevent	*bev;
	bool			 up;		/* connected (and verified) */
	struct addrinfo		*res;		/* addresses of host */
	struct addrinfo		*ai;		/* the one being tried */
	struct event		*timer;		/* the attempt's deadline */
	struct output_job	*job;
	char			*frame;		/* the job's, until sent */
	size_t			 flen;
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


/* An SSL_CTX that verifies the receiver; NULL with *cause. */
static SSL_CTX *
sl_tls_ctx(const char *ca_file, char **cause)
{
	SSL_CTX		*ctx;
	unsigned long	 e;
	char		 buf[256];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fatalx("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file,
	    NULL) == 1 : SSL_CTX_set_default_verify_paths(ctx) == 1)
		return ctx;
	e = ERR_get_error();
	ERR_clear_error();
	ERR_error_string_n(e, buf, sizeof buf);
	if (asprintf(cause, "%s: cannot load the CAs: %s", ca_file != NULL ?
	    ca_file : "system CA store", buf) == -1)
		fatal("asprintf");
	SSL_CTX_free(ctx);
	return NULL;
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
	o->timeout = oc->timeout > 0 ? (long)oc->timeout : 30;
	if ((o->app = strdup(oc->app_name != NULL ? oc->app_name :
	    "keibi")) == NULL)
		fatal("strdup");
	if (strncmp(a, "unix:", 5) == 0) {
		o->proto = SL_UNIX;
		if ((o->path = strdup(a + 5)) == NULL)
			fatal("strdup");
	} else {
		if (strncmp(a, "tcp://", 6) == 0)
			o->proto = SL_TCP;
		else if (strncmp(a, "tls://", 6) == 0)
			o->proto = SL_TLS;
		else
			o->proto = SL_UDP;
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
		if (o->host[0] == '\0' || o->port[0] == '\0' ||
		    strspn(o->port, "0123456789") != strlen(o->port))
			goto bad;
	}
	if (o->proto == SL_TLS &&
	    (o->ctx = sl_tls_ctx(oc->ca_file, cause)) == NULL)
		goto fail;
	if (gethostname(o->hostname, sizeof o->hostname - 1) != 0 ||
	    o->hostname[0] == '\0' || strpbrk(o->hostname, " \r\n") != NULL)
		snprintf(o->hostname, sizeof o->hostname, "-");
	return o;
bad:
	if (asprintf(cause, "syslog address '%s' needs a HOST:PORT", a) == -1)
		fatal("asprintf");
fail:
	free(o->host);
	free(o->port);
	free(o->app);
	free(o);
	return NULL;
}

static int
output_sl_attach(void *arg, struct outbox *ob)
{
	((struct output_sl *)arg)->ob = ob;
	return 0;
}

/* Open the datagram socket (non-blocking); 0 or -1 with errno. */
static int
sl_dgram_connect(struct output_sl *o)
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
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(o->host, o->port, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		/* A datagram connect only sets the peer: it never waits. */
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
	o->fd = fd;
	return 0;
}

/* Drop the stream connection (not the job). */
static void
sl_stream_close(struct output_sl *o)
{
	if (o->bev != NULL)
		bufferevent_free(o->bev);	/* closes fd, frees SSL */
	o->bev = NULL;
	o->up = false;
	if (o->res != NULL)
		freeaddrinfo(o->res);
	o->res = NULL;
	o->ai = NULL;
}

/* Report the job in flight (if any) and forget it. */
static void
sl_job_end(struct output_sl *o, enum output_result res, const char *why)
{
	struct output_job	*job = o->job;

	if (o->timer != NULL)
		evtimer_del(o->timer);
	free(o->frame);
	o->frame = NULL;
	o->job = NULL;
	if (job != NULL)
		job->done(job, res, 0, NULL, why);
}

static int	sl_stream_try(struct output_sl *, char *, size_t);

/* bufferevent: the frame has left for the kernel. */
static void
sl_stream_written(struct bufferevent *bev, void *arg)
{
	struct output_sl	*o = arg;

	if (o->job != NULL && o->up &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		sl_job_end(o, OUTPUT_OK, NULL);
}

/* bufferevent: the receiver said something; syslog receivers do not. */
static void
sl_stream_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* Why a TLS connection failed, into buf; err is errno at the failure. */
static void
sl_tls_why(struct bufferevent *bev, int err, char *buf, size_t size)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e, first = 0;
	long		 v;
	char		 s[256];

	/* The first error TLS itself reported, if any. */
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (first == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
			first = e;
	v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (v != X509_V_OK)
		snprintf(buf, size, "TLS: the receiver's certificate is "
		    "refused: %s", X509_verify_cert_error_string(v));
	else if (first != 0) {
		ERR_error_string_n(first, s, sizeof s);
		snprintf(buf, size, "TLS: %s", s);
	} else
		snprintf(buf, size, "%s", err != 0 ? strerror(err) :
		    "the connection failed");
}

/* bufferevent: connected, closed or failed. */
static void
sl_stream_event(struct bufferevent *bev, short what, void *arg)
{
	struct output_sl	*o = arg;
	char			 why[512];
	int			 err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		/* For TLS: after the handshake, the receiver verified. */
		o->up = true;
		freeaddrinfo(o->res);
		o->res = NULL;
		o->ai = NULL;
		sl_stream_written(bev, o);
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof why, "the receiver closed the connection");
	else if (o->proto == SL_TLS)
		sl_tls_why(bev, err, why, sizeof why);
	else
		snprintf(why, sizeof why, "%s", err != 0 ? strerror(err) :
		    "the connection failed");
	/* Not connected yet: the host's next address, if it has one. */
	if (!o->up && o->ai != NULL && o->ai->ai_next != NULL &&
	    o->frame != NULL) {
		o->ai = o->ai->ai_next;
		bufferevent_free(o->bev);
		o->bev = NULL;
		if (sl_stream_try(o, o->frame, o->flen) == 0)
			return;
	}
	sl_stream_close(o);
	sl_job_end(o, OUTPUT_RETRY, why);
}

/* The attempt took longer than timeout. */
static void
sl_stream_timeout(int fd, short what, void *arg)
{
	struct output_sl	*o = arg;

	sl_stream_close(o);
	sl_job_end(o, OUTPUT_RETRY, "timed out");
}

/* Connect to o->ai (a new bufferevent) and queue the frame; 0 or -1. */
static int
sl_stream_try(struct output_sl *o, char *frame, size_t flen)
{
	struct event_base	*base = outbox_base(o->ob);
	X509_VERIFY_PARAM	*vp;
	SSL			*ssl;
	unsigned char		 ip[16];
	const int		 opts = BEV_OPT_CLOSE_ON_FREE;

	if (o->proto == SL_TLS) {
		if ((ssl = SSL_new(o->ctx)) == NULL)
			fatalx("SSL_new");
		/* The certificate must name the host we were told. */
		vp = SSL_get0_param(ssl);
		if (inet_pton(AF_INET, o->host, ip) == 1 ||
		    inet_pton(AF_INET6, o->host, ip) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(vp, o->host);
		else {
			SSL_set_tlsext_host_name(ssl, o->host);
			SSL_set1_host(ssl, o->host);
		}
		o->bev = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, opts);
		if (o->bev == NULL)
			SSL_free(ssl);
	} else
		o->bev = bufferevent_socket_new(base, -1, opts);
	if (o->bev == NULL)
		return -1;
	bufferevent_setcb(o->bev, sl_stream_read, sl_stream_written,
	    sl_stream_event, o);
	bufferevent_enable(o->bev, EV_READ | EV_WRITE);
	if (bufferevent_write(o->bev, frame, flen) != 0)
		return -1;
	/* Connection refused on loopback may be reported at once. */
	if (bufferevent_socket_connect(o->bev, o->ai->ai_addr,
	    (int)o->ai->ai_addrlen) != 0)
		return -1;
	return 0;
}

/* Send o->frame over the stream, connecting first if need be. */
static void
sl_stream_send(struct output_sl *o)
{
	struct addrinfo	 hints;
	struct timeval	 tv = { o->timeout, 0 };
	int		 rc;

	if (o->timer == NULL && (o->timer = evtimer_new(outbox_base(o->ob),
	    sl_stream_timeout, o)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(o->timer, &tv);
	if (o->bev != NULL) {
		if (bufferevent_write(o->bev, o->frame, o->flen) != 0) {
			sl_stream_close(o);
			sl_job_end(o, OUTPUT_RETRY, "cannot queue the message");
		}
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(o->host, o->port, &hints, &o->res)) != 0) {
		o->res = NULL;
		sl_job_end(o, OUTPUT_RETRY, gai_strerror(rc));
		return;
	}
	o->ai = o->res;
	if (sl_stream_try(o, o->frame, o->flen) != 0) {
		sl_stream_close(o);
		sl_job_end(o, OUTPUT_RETRY, "cannot connect");
	}
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
	int			 err, k;

	msg = sl_message(o, job->rec, &len);
	if (o->proto == SL_TCP || o->proto == SL_TLS) {
		if (o->ob == NULL || outbox_base(o->ob) == NULL ||
		    o->job != NULL) {
			free(msg);
			return -1;
		}
		/* RFC 5425 octet counting: "LEN SP MSG", no trailer. */
		if ((frame = malloc(len + 24)) == NULL)
			fatal("malloc");
		k = snprintf(frame, 24, "%zu ", len);
		memcpy(frame + k, msg, len);
		flen = (size_t)k + len;
		free(msg);
		o->job = job;
		o->frame = frame;
		o->flen = flen;
		sl_stream_send(o);
		return 0;
	}
	if (sl_dgram_connect(o) != 0) {
		free(msg);
		job->done(job, OUTPUT_RETRY, 0, NULL, strerror(errno));
		return 0;
	}
	n = send(o->fd, msg, len, MSG_NOSIGNAL);
	err = errno;
	free(msg);
	if (n != (ssize_t)len) {
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
	sl_stream_close(o);
	/* A revision in flight stays in the outbox: sent again later. */
	sl_job_end(o, OUTPUT_RETRY, "the output closed");
	if (o->timer != NULL)
		event_free(o->timer);
	if (o->fd != -1)
		close(o->fd);
	SSL_CTX_free(o->ctx);
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
	.attach = output_sl_attach,
	.max_inflight = 1,
	.coalesce = true,
};
