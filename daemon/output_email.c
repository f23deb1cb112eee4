/*
 * output_email.c: incidents as RFC 5322 mail (type email), sent with
 * libcurl's SMTP client through the outbox's multi handle (STARTTLS when
 * tls is starttls or try, implicit TLS with smtps://; the server
 * certificate is checked against ca_file, or the system CAs).  Each revision is
 * one message whose Message-ID is derived from the incident id and the
 * revision, so a retry sends the same message; updates carry In-Reply-To
 * and References of the first message, so mail clients and RT/RTIR
 * thread them.  The body is plain text in Japanese or English.
 *
 * This output must never put a raw byte from a log into a header (every
 * header value is cleaned text; a non-ASCII Subject is an RFC 2047
 * encoded word), and never read the password from anywhere but its file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "incident.h"
#include "log.h"
#include "strbuf.h"
#include "outbox.h"
#include "output.h"

struct output_mail {
	char		*url;
	char		*from;
	char		**to;
	size_t		 nto;
	char		*username;
	char		*password;
	int		 tls;		/* CURLUSESSL_* */
	char		*ca_file;	/* CAs to trust, or NULL: the system's */
	bool		 ja;
	long		 timeout;
	char		 host[256];
	struct outbox	*ob;
};

struct mail_req {
	struct output_mail	*o;
	struct output_job	*job;
	CURL			*easy;
	struct curl_slist	*rcpt;
	char			*msg;
	size_t			 len;
	size_t			 off;
	char			 errbuf[CURL_ERROR_SIZE];
};

static void *
output_mail_open(const struct output_conf *oc, char **cause)
{
	struct output_mail	*o;
	size_t			 i, len;

	if ((o = calloc(1, sizeof *o)) == NULL)
		fatal("calloc");
	if ((o->url = strdup(oc->url != NULL ? oc->url : "")) == NULL ||
	    (o->from = strdup(oc->from != NULL ? oc->from : "")) == NULL)
		fatal("strdup");
	if ((o->to = calloc(oc->nto + 1, sizeof *o->to)) == NULL)
		fatal("calloc");
	for (i = 0; i < oc->nto; i++)
		if ((o->to[o->nto++] = strdup(oc->to[i])) == NULL)
			fatal("strdup");
	if (oc->username != NULL && (o->username = strdup(oc->username)) ==
	    NULL)
		fatal("strdup");
	if (oc->ca_file != NULL && (o->ca_file = strdup(oc->ca_file)) == NULL)
		fatal("strdup");
	if (oc->ca_file != NULL && access(oc->ca_file, R_OK) != 0) {
		if (asprintf(cause, "%s: %s", oc->ca_file, strerror(errno)) ==
		    -1)
			fatal("asprintf");
		goto fail;
	}
	if (oc->password_file != NULL && (o->password = outbox_secret(
	    oc->password_file, &len, cause)) == NULL)
		goto fail;
	if (oc->tls == NULL || strcmp(oc->tls, "starttls") == 0)
		o->tls = CURLUSESSL_ALL;
	else if (strcmp(oc->tls, "try") == 0)
		o->tls = CURLUSESSL_TRY;
	else
		o->tls = CURLUSESSL_NONE;
	o->ja = oc->language != NULL && strcmp(oc->language, "ja") == 0;
	o->timeout = (long)oc->timeout;
	if (gethostname(o->host, sizeof o->host - 1) != 0 ||
	    strpbrk(o->host, "<>@ \r\n") != NULL)
		snprintf(o->host, sizeof o->host, "localhost");
	return o;
fail:
	free(o->url);
	free(o->from);
	for (i = 0; i < o->nto; i++)
		free(o->to[i]);
	free(o->to);
	free(o->username);
	free(o->ca_file);
	free(o);
	return NULL;
}

static int
output_mail_attach(void *arg, struct outbox *ob)
{
	((struct output_mail *)arg)->ob = ob;
	return 0;
}

/* String member or "". */
static const char *
mail_str(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* Add a header value that must be one line of printable text. */
static void
mail_header(struct strbuf *b, const char *name, const char *value)
{
	const unsigned char	*p;
	bool			 ascii = true;
	char			*enc;

	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			ascii = false;
	if (ascii) {
		strbuf_add(b, "%s: %s\r\n", name, value);
		return;
	}
	/* RFC 2047 encoded word; the text is cleaned (no CR, LF). */
	if ((enc = malloc(4 * ((strlen(value) + 2) / 3) + 1)) == NULL)
		fatal("malloc");
	EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)value,
	    (int)strlen(value));
	strbuf_add(b, "%s: =?UTF-8?B?%s?=\r\n", name, enc);
	free(enc);
}

/* The text body of a record. */
static void
mail_body(struct strbuf *b, json_t *rec, bool ja)
{
	json_t		*v, *cls = json_object_get(rec, "classification");
	size_t		 i;

	strbuf_add(b, "%s\n\n%s\n\n", mail_str(rec, "title"),
	    mail_str(rec, "summary"));
	strbuf_add(b, ja ? "インシデント番号: %s (第 %lld 版)\n" :
	    "Incident: %s (revision %lld)\n", mail_str(rec, "id"),
	    (long long)json_integer_value(json_object_get(rec, "revision")));
	strbuf_add(b, ja ? "分類: %s / %s\n" : "Classification: %s / %s\n",
	    mail_str(cls, "jp_category"), mail_str(cls, "rsit"));
	strbuf_add(b, ja ? "重大度: %s  状態: %s  活動: %s\n" :
	    "Severity: %s  Status: %s  Activity: %s\n",
	    mail_str(rec, "severity"), mail_str(rec, "status"),
	    mail_str(rec, "activity"));
	strbuf_add(b, ja ? "発生日時: %s - %s\n発見日時: %s\n" :
	    "First seen: %s  Last seen: %s\nDetected: %s\n",
	    mail_str(rec, "first_seen"), mail_str(rec, "last_seen"),
	    mail_str(rec, "opened_at"));
	strbuf_add(b, ja ? "発生元 (当組織のホスト):" : "Origin (our hosts):");
	json_array_foreach(json_object_get(rec, "internal_hosts"), i, v)
		strbuf_add(b, " %s", json_string_value(v));
	strbuf_add(b, ja ? "\n相手先:\n" : "\nRemote side:\n");
	json_array_foreach(json_object_get(json_object_get(rec, "remote"),
	    "top"), i, v)
		strbuf_add(b, "  %s (%lld)%s%s\n", mail_str(v, "value"),
		    (long long)json_integer_value(json_object_get(v, "count")),
		    json_object_get(v, "country") != NULL ? " " : "",
		    mail_str(v, "country"));
	strbuf_add(b, ja ? "\n対応経過:\n" : "\nTimeline:\n");
	json_array_foreach(json_object_get(rec, "timeline"), i, v)
		strbuf_add(b, "  %s [%s] %s: %s\n", mail_str(v, "ts"),
		    mail_str(v, "kind"), mail_str(v, "by"),
		    mail_str(v, "text"));
	strbuf_add(b, ja ? "\n該当ログ (抜粋):\n" : "\nEvidence (samples):\n");
	json_array_foreach(json_object_get(json_object_get(rec, "evidence"),
	    "samples"), i, v)
		strbuf_add(b, "  %s %s\n", mail_str(v, "ts"), mail_str(v, "raw"));
	strbuf_add(b, "\n-- \nkeibi %s\n", PACKAGE_VERSION);
}

/* The whole message, CRLF line ends, base64 body. */
static char *
mail_message(struct output_mail *o, struct output_job *job, size_t *len)
{
	struct strbuf	 m = { NULL, 0, 0 }, body = { NULL, 0, 0 };
	json_t		*rec = job->rec;
	char		 date[64], subj[512], *b64;
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i, n, at;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strbuf_add(&m, "Date: %s\r\n", date);
	strbuf_add(&m, "From: <%s>\r\n", o->from);
	strbuf_add(&m, "To: ");
	for (i = 0; i < o->nto; i++)
		strbuf_add(&m, "%s<%s>", i > 0 ? ", " : "", o->to[i]);
	strbuf_add(&m, "\r\n");
	snprintf(subj, sizeof subj, "[%s][%s] %s", mail_str(rec, "id"),
	    mail_str(rec, "severity"), mail_str(rec, "title"));
	mail_header(&m, "Subject", subj);
	/* The same message on every retry; updates thread on the first. */
	strbuf_add(&m, "Message-ID: <%s@keibi.%s>\r\n", job->idem, o->host);
	if (job->first_rev > 0 && job->first_rev != job->revision) {
		strbuf_add(&m, "In-Reply-To: <%s.r%lld@keibi.%s>\r\n",
		    job->incident_id, (long long)job->first_rev, o->host);
		strbuf_add(&m, "References: <%s.r%lld@keibi.%s>\r\n",
		    job->incident_id, (long long)job->first_rev, o->host);
	}
	strbuf_add(&m, "X-Keibi-Incident: %s\r\nX-Keibi-Revision: %lld\r\n",
	    job->incident_id, (long long)job->revision);
	strbuf_add(&m, "MIME-Version: 1.0\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	mail_body(&body, rec, o->ja);
	n = body.len;
	if ((b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		fatal("malloc");
	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)body.p,
	    (int)n);
	n = strlen(b64);
	for (at = 0; at < n; at += 76)
		strbuf_add(&m, "%.76s\r\n", b64 + at);
	free(b64);
	free(body.p);
	*len = m.len;
	return m.p;
}

/* curl: the next piece of the message. */
static size_t
mail_read(char *buf, size_t size, size_t n, void *arg)
{
	struct mail_req	*r = arg;
	size_t		 want = size * n, left = r->len - r->off;

	if (want > left)
		want = left;
	memcpy(buf, r->msg + r->off, want);
	r->off += want;
	return want;
}

static void
mail_free(struct mail_req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->rcpt);
	free(r->msg);
	free(r);
}

/* curl finished a message. */
static void
mail_done(void *arg, void *easy, int code)
{
	struct mail_req		*r = arg;
	long			 status = 0;
	char			 why[CURL_ERROR_SIZE + 64];

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code == CURLE_OK) {
		r->job->done(r->job, OUTPUT_OK, 0, NULL, NULL);
	} else {
		snprintf(why, sizeof why, "SMTP %ld: %s", status,
		    r->errbuf[0] != '\0' ? r->errbuf :
		    curl_easy_strerror((CURLcode)code));
		/* 5xx from the server is final; the rest may pass later. */
		r->job->done(r->job, status >= 500 && status < 600 &&
		    code != CURLE_OPERATION_TIMEDOUT ? OUTPUT_FAIL :
		    OUTPUT_RETRY, 0, NULL, why);
	}
	mail_free(r);
}

static int
output_mail_deliver(void *arg, struct output_job *job)
{
	struct output_mail	*o = arg;
	struct mail_req		*r;
	char			*addr;
	size_t			 i;

	if (o->ob == NULL)
		return -1;
	if ((r = calloc(1, sizeof *r)) == NULL)
		fatal("calloc");
	r->o = o;
	r->job = job;
	r->msg = mail_message(o, job, &r->len);
	if ((r->easy = curl_easy_init()) == NULL) {
		mail_free(r);
		return -1;
	}
	for (i = 0; i < o->nto; i++) {
		if (asprintf(&addr, "<%s>", o->to[i]) == -1)
			fatal("asprintf");
		r->rcpt = curl_slist_append(r->rcpt, addr);
		free(addr);
	}
	if (asprintf(&addr, "<%s>", o->from) == -1)
		fatal("asprintf");
	curl_easy_setopt(r->easy, CURLOPT_URL, o->url);
	curl_easy_setopt(r->easy, CURLOPT_MAIL_FROM, addr);
	free(addr);
	curl_easy_setopt(r->easy, CURLOPT_MAIL_RCPT, r->rcpt);
	curl_easy_setopt(r->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(r->easy, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(r->easy, CURLOPT_READDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_INFILESIZE, (long)r->len);
	curl_easy_setopt(r->easy, CURLOPT_USE_SSL, (long)o->tls);
	/* Never talk to a server whose certificate does not check out. */
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT, o->timeout);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	if (o->username != NULL)
		curl_easy_setopt(r->easy, CURLOPT_USERNAME, o->username);
	if (o->password != NULL)
		curl_easy_setopt(r->easy, CURLOPT_PASSWORD, o->password);
	if (outbox_curl(o->ob, r->easy, mail_done, r) != 0) {
		mail_free(r);
		return -1;
	}
	return 0;
}

static int
output_mail_sync(void *arg)
{
	return 0;
}

static void
output_mail_close(void *arg)
{
	struct output_mail	*o = arg;
	size_t			 i;

	if (o == NULL)
		return;
	if (o->password != NULL)
		explicit_bzero(o->password, strlen(o->password));
	free(o->password);
	free(o->url);
	free(o->from);
	for (i = 0; i < o->nto; i++)
		free(o->to[i]);
	free(o->to);
	free(o->username);
	free(o->ca_file);
	free(o);
}

const struct output_ops output_email_ops = {
	.type = "email",
	.open = output_mail_open,
	.sync = output_mail_sync,
	.close = output_mail_close,
	.deliver = output_mail_deliver,
	.attach = output_mail_attach,
	.max_inflight = 1,
	.coalesce = true,
};
