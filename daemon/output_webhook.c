/*
 * output_webhook.c: incidents as HTTP POSTs (type webhook), through the
 * outbox's libcurl multi handle.  The "standard" flavour sends the record
 * as JSON with the Standard Webhooks headers: webhook-id (the idempotency
 * key of the revision, the same on every retry), webhook-timestamp and
 * webhook-signature ("v1," and the base64 HMAC-SHA256 of
 * "id.timestamp.body" under the secret read from secret_file; a
 * "whsec_" secret is base64-decoded first), and Idempotency-Key.  The
 * "thehive" flavour creates a TheHive 5 alert (sourceRef: the incident
 * id), remembers the id TheHive gives it and updates that alert with
 * PATCH afterwards; a create refused as a duplicate looks the alert up.
 *
 * An https receiver's certificate is checked against ca_file, or the
 * system CAs.  2xx is delivered; 408, 425, 429 and 5xx and transport errors are tried
 * again (Retry-After is honoured); any other answer is final and goes to
 * the dead-letter file.  This output must never block, never log the
 * secret, and never follow redirects to another host.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "incident.h"
#include "log.h"
#include "outbox.h"
#include "output.h"

#define WH_MAX_BODY	(1024 * 1024)	/* of an answer kept */

enum wh_stage {
	WH_POST = 0,		/* standard, or thehive create */
	WH_QUERY,		/* thehive: find the alert by sourceRef */
	WH_PATCH		/* thehive: update */
};

struct output_wh {
	char		*name;
	char		*url;
	bool		 thehive;
	unsigned char	*secret;
	size_t		 secret_len;
	char		*api_key;
	char		*ca_file;	/* CAs to trust, or NULL: the system's */
	int		 tlp;
	int		 pap;
	long		 timeout;
	struct outbox	*ob;
};

struct wh_req {
	struct output_wh	*o;
	struct output_job	*job;
	enum wh_stage		 stage;
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			*body;
	char			*answer;
	size_t			 alen;
	char			*remote_id;
	char			 errbuf[CURL_ERROR_SIZE];
	int64_t			 retry_after;
};

static int	wh_send(struct wh_req *);

/* TheHive's numbers of TLP and PAP words. */
static int
wh_level(const char *w, int def)
{
	if (w == NULL)
		return def;
	if (strcmp(w, "clear") == 0 || strcmp(w, "white") == 0)
		return 0;
	if (strcmp(w, "green") == 0)
		return 1;
	if (strcmp(w, "amber") == 0)
		return 2;
	if (strcmp(w, "amber+strict") == 0)
		return 3;
	return 4;	/* red */
}

/* Base64 of len bytes (malloc'd). */
static char *
wh_b64(const unsigned char *p, size_t len)
{
	char	*out;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		fatal("malloc");
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

static void *
output_wh_open(const struct output_conf *oc, char **cause)
{
	struct output_wh	*o;
	char			*s;
	size_t			 len;
	int			 n;

	if ((o = calloc(1, sizeof *o)) == NULL)
		fatal("calloc");
	o->thehive = oc->flavour != NULL && strcmp(oc->flavour, "thehive") == 0;
	if ((o->url = strdup(oc->url != NULL ? oc->url : "")) == NULL ||
	    (o->name = strdup(oc->name != NULL ? oc->name : "webhook")) == NULL)
		fatal("strdup");
	o->timeout = (long)oc->timeout;
	if (oc->ca_file != NULL && (o->ca_file = strdup(oc->ca_file)) == NULL)
		fatal("strdup");
	if (oc->ca_file != NULL && access(oc->ca_file, R_OK) != 0) {
		if (asprintf(cause, "%s: %s", oc->ca_file, strerror(errno)) ==
		    -1)
			fatal("asprintf");
		goto fail;
	}
	o->tlp = wh_level(oc->tlp, 2);
	o->pap = wh_level(oc->pap, 2);
	if (oc->secret_file != NULL) {
		if ((s = outbox_secret(oc->secret_file, &len, cause)) == NULL)
			goto fail;
		if (strncmp(s, "whsec_", 6) == 0) {
			/* Standard Webhooks secrets are base64 after whsec_. */
			if ((o->secret = malloc(len)) == NULL)
				fatal("malloc");
			n = EVP_DecodeBlock(o->secret, (unsigned char *)s + 6,
			    (int)(len - 6));
			if (n < 0) {
				free(s);
				if (asprintf(cause, "%s: not base64 after "
				    "whsec_", oc->secret_file) == -1)
					fatal("asprintf");
				goto fail;
			}
			/* DecodeBlock counts the padding as bytes. */
			while (len > 6 && s[len - 1] == '=') {
				len--;
				n--;
			}
			o->secret_len = (size_t)n;
			explicit_bzero(s, strlen(s));
			free(s);
		} else {
			o->secret = (unsigned char *)s;
			o->secret_len = len;
		}
	}
	if (oc->api_key_file != NULL &&
	    (o->api_key = outbox_secret(oc->api_key_file, &len, cause)) == NULL)
		goto fail;
	return o;
fail:
	free(o->url);
	free(o->name);
	free(o->ca_file);
	free(o->secret);
	free(o);
	return NULL;
}

static int
output_wh_attach(void *arg, struct outbox *ob)
{
	((struct output_wh *)arg)->ob = ob;
	return 0;
}

/* curl: keep the answer (bounded). */
static size_t
wh_write(char *p, size_t size, size_t n, void *arg)
{
	struct wh_req	*r = arg;
	size_t		 len = size * n, take;

	take = r->alen + len > WH_MAX_BODY ? WH_MAX_BODY - r->alen : len;
	if (take > 0) {
		r->answer = realloc(r->answer, r->alen + take + 1);
		if (r->answer == NULL)
			fatal("realloc");
		memcpy(r->answer + r->alen, p, take);
		r->alen += take;
		r->answer[r->alen] = '\0';
	}
	return len;
}

/* curl: note Retry-After. */
static size_t
wh_header(char *p, size_t size, size_t n, void *arg)
{
	struct wh_req	*r = arg;
	size_t		 len = size * n;
	long long	 v = 0;
	size_t		 i;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		for (i = 12; i < len && p[i] == ' '; i++)
			;
		for (; i < len && isdigit((unsigned char)p[i]) && v < 86400;
		    i++)
			v = v * 10 + (p[i] - '0');
		r->retry_after = v;
	}
	return len;
}

/* The TheHive alert of a record. */
static json_t *
wh_thehive_alert(struct output_wh *o, json_t *rec, bool create)
{
	json_t		*a, *tags, *obs, *v, *cls;
	const char	*s;
	size_t		 i;
	char		*desc;

	cls = json_object_get(rec, "classification");
	tags = json_array();
	json_array_append_new(tags, json_sprintf("keibi:%s",
	    json_string_value(json_object_get(rec, "category"))));
	if ((s = json_string_value(json_object_get(cls, "rsit"))) != NULL)
		json_array_append_new(tags, json_sprintf("rsit:%s", s));
	s = json_string_value(json_object_get(cls, "jp_category"));
	if (s != NULL)
		json_array_append_new(tags, json_sprintf("jp:%s", s));
	json_array_foreach(json_object_get(rec, "attack"), i, v)
		json_array_append_new(tags, json_sprintf("attack:%s",
		    json_string_value(v)));
	if (asprintf(&desc, "%s\n\n- status: %s, activity: %s\n- first seen: "
	    "%s\n- last seen: %s\n- alerts: %lld\n- rules: %s\n- dedup key: "
	    "%s (occurrence %lld, revision %lld)\n",
	    json_string_value(json_object_get(rec, "summary")),
	    json_string_value(json_object_get(rec, "status")),
	    json_string_value(json_object_get(rec, "activity")),
	    json_string_value(json_object_get(rec, "first_seen")),
	    json_string_value(json_object_get(rec, "last_seen")),
	    (long long)json_integer_value(json_object_get(rec, "alert_count")),
	    json_string_value(json_array_get(json_object_get(rec, "rules"), 0)),
	    json_string_value(json_object_get(rec, "dedup_key")),
	    (long long)json_integer_value(json_object_get(rec, "occurrence")),
	    (long long)json_integer_value(json_object_get(rec, "revision")))
	    == -1)
		fatal("asprintf");
	a = json_pack("{ss ss si si si so}", "title",
	    json_string_value(json_object_get(rec, "title")), "description",
	    desc, "severity", incident_severity_num(json_string_value(
	    json_object_get(rec, "severity"))), "tlp", o->tlp, "pap", o->pap,
	    "tags", tags);
	free(desc);
	if (!create)
		return a;
	json_object_set_new(a, "type", json_string("keibi"));
	json_object_set_new(a, "source", json_string("keibi"));
	json_object_set(a, "sourceRef", json_object_get(rec, "id"));
	obs = json_array();
	json_array_foreach(json_object_get(rec, "internal_hosts"), i, v)
		json_array_append_new(obs, json_pack("{ss sO sb ss}",
		    "dataType", "ip", "data", v, "ioc", 0, "message",
		    "internal host (origin)"));
	json_array_foreach(json_object_get(json_object_get(rec, "remote"),
	    "top"), i, v) {
		s = json_string_value(json_object_get(v, "type"));
		json_array_append_new(obs, json_pack("{ss sO sb ss}",
		    "dataType", s != NULL && strcmp(s, "domain") == 0 ?
		    "domain" : s != NULL && strcmp(s, "mail") == 0 ? "mail" :
		    "ip", "data", json_object_get(v, "value"), "ioc", 0,
		    "message", "remote side"));
	}
	json_object_set_new(a, "observables", obs);
	return a;
}

/* Build and start the request of r's stage. */
static int
wh_send(struct wh_req *r)
{
	struct output_wh	*o = r->o;
	struct output_job	*job = r->job;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	char			*url = NULL, *h, *signed_text, *sig, ts[32];
	json_t			*a;

	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
	free(r->body);
	r->body = NULL;
	free(r->answer);
	r->answer = NULL;
	r->alen = 0;
	r->retry_after = 0;
	if ((r->easy = curl_easy_init()) == NULL)
		return -1;
	if (!o->thehive)
		r->body = incident_dump(job->rec);
	else if (r->stage == WH_POST) {
		a = wh_thehive_alert(o, job->rec, true);
		r->body = incident_dump(a);
		json_decref(a);
		if (asprintf(&url, "%s/api/v1/alert", o->url) == -1)
			fatal("asprintf");
	} else if (r->stage == WH_QUERY) {
		a = json_pack("{s[{ss}{ss s{ssss}}]}", "query", "_name",
		    "listAlert", "_name", "filter", "_eq", "_field",
		    "sourceRef", "_value", job->incident_id);
		r->body = incident_dump(a);
		json_decref(a);
		if (asprintf(&url, "%s/api/v1/query", o->url) == -1)
			fatal("asprintf");
	} else {
		a = wh_thehive_alert(o, job->rec, false);
		r->body = incident_dump(a);
		json_decref(a);
		if (asprintf(&url, "%s/api/v1/alert/%s", o->url,
		    r->remote_id) == -1)
			fatal("asprintf");
		curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, "PATCH");
	}
	curl_easy_setopt(r->easy, CURLOPT_URL, url != NULL ? url : o->url);
	free(url);
	r->hdrs = curl_slist_append(r->hdrs,
	    "Content-Type: application/json");
	r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	/* The idempotency key names the revision: the same on retries. */
	if (asprintf(&h, "Idempotency-Key: %s", job->idem) == -1)
		fatal("asprintf");
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	if (asprintf(&h, "webhook-id: %s", job->idem) == -1)
		fatal("asprintf");
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	if (asprintf(&h, "webhook-timestamp: %s", ts) == -1)
		fatal("asprintf");
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	if (o->secret != NULL) {
		if (asprintf(&signed_text, "%s.%s.%s", job->idem, ts,
		    r->body) == -1)
			fatal("asprintf");
		HMAC(EVP_sha256(), o->secret, (int)o->secret_len,
		    (unsigned char *)signed_text, strlen(signed_text), mac,
		    &maclen);
		free(signed_text);
		sig = wh_b64(mac, maclen);
		if (asprintf(&h, "webhook-signature: v1,%s", sig) == -1)
			fatal("asprintf");
		r->hdrs = curl_slist_append(r->hdrs, h);
		free(h);
		free(sig);
	}
	if (o->api_key != NULL) {
		if (asprintf(&h, "Authorization: Bearer %s", o->api_key) == -1)
			fatal("asprintf");
		r->hdrs = curl_slist_append(r->hdrs, h);
		explicit_bzero(h, strlen(h));
		free(h);
	}
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "keibi/" PACKAGE_VERSION);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT, o->timeout);
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, wh_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, wh_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	r->errbuf[0] = '\0';
	return 0;
}

static void	wh_done(void *, void *, int);

/* Free a request. */
static void
wh_free(struct wh_req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->answer);
	free(r->remote_id);
	free(r);
}

/* Start stage of r again (thehive's second step); false if it failed. */
static bool
wh_next(struct wh_req *r, enum wh_stage stage)
{
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	r->stage = stage;
	if (wh_send(r) != 0 || outbox_curl(r->o->ob, r->easy, wh_done,
	    r) != 0)
		return false;
	return true;
}

/* The "_id" of a TheHive answer (an object or a list's first). */
static char *
wh_answer_id(const char *answer)
{
	json_t		*j, *o;
	const char	*id;
	char		*s = NULL;

	if (answer == NULL || (j = json_loads(answer, 0, NULL)) == NULL)
		return NULL;
	o = json_is_array(j) ? json_array_get(j, 0) : j;
	if ((id = json_string_value(json_object_get(o, "_id"))) != NULL &&
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_~-") == strlen(id) && strlen(id) < 128)
		s = strdup(id);
	json_decref(j);
	return s;
}

/* curl finished a request. */
static void
wh_done(void *arg, void *easy, int code)
{
	struct wh_req		*r = arg;
	struct output_job	*job = r->job;
	long			 status = 0;
	char			 why[CURL_ERROR_SIZE + 64], esc[128];

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code != CURLE_OK) {
		snprintf(why, sizeof why, "%s", r->errbuf[0] != '\0' ?
		    r->errbuf : curl_easy_strerror((CURLcode)code));
		job->done(job, OUTPUT_RETRY, 0, NULL, why);
		wh_free(r);
		return;
	}
	if (status >= 200 && status < 300) {
		if (r->o->thehive && r->stage == WH_POST) {
			free(r->remote_id);
			r->remote_id = wh_answer_id(r->answer);
		} else if (r->o->thehive && r->stage == WH_QUERY) {
			free(r->remote_id);
			r->remote_id = wh_answer_id(r->answer);
			if (r->remote_id != NULL && wh_next(r, WH_PATCH))
				return;
			job->done(job, OUTPUT_RETRY, 0, NULL, "TheHive knows "
			    "the alert but the query did not find it");
			wh_free(r);
			return;
		}
		job->done(job, OUTPUT_OK, 0, r->remote_id, NULL);
		wh_free(r);
		return;
	}
	/* TheHive refuses a second alert with the same sourceRef. */
	if (r->o->thehive && r->stage == WH_POST && (status == 400 ||
	    status == 409) && r->answer != NULL &&
	    (strstr(r->answer, "already exist") != NULL ||
	    strstr(r->answer, "CreateError") != NULL)) {
		if (wh_next(r, WH_QUERY))
			return;
	}
	log_escape(r->answer != NULL ? r->answer : "", r->alen, esc,
	    sizeof esc);
	snprintf(why, sizeof why, "HTTP %ld: %s", status, esc);
	if (status == 408 || status == 425 || status == 429 || status >= 500)
		job->done(job, OUTPUT_RETRY, r->retry_after, NULL, why);
	else
		job->done(job, OUTPUT_FAIL, 0, NULL, why);
	wh_free(r);
}

static int
output_wh_deliver(void *arg, struct output_job *job)
{
	struct output_wh	*o = arg;
	struct wh_req		*r;

	if (o->ob == NULL)
		return -1;
	if ((r = calloc(1, sizeof *r)) == NULL)
		fatal("calloc");
	r->o = o;
	r->job = job;
	if (o->thehive && job->remote_id != NULL) {
		r->stage = WH_PATCH;
		if ((r->remote_id = strdup(job->remote_id)) == NULL)
			fatal("strdup");
	}
	if (wh_send(r) != 0 || outbox_curl(o->ob, r->easy, wh_done, r) != 0) {
		wh_free(r);
		return -1;
	}
	return 0;
}

static int
output_wh_sync(void *arg)
{
	return 0;
}

static void
output_wh_close(void *arg)
{
	struct output_wh	*o = arg;

	if (o == NULL)
		return;
	if (o->secret != NULL)
		explicit_bzero(o->secret, o->secret_len);
	if (o->api_key != NULL)
		explicit_bzero(o->api_key, strlen(o->api_key));
	free(o->secret);
	free(o->api_key);
	free(o->ca_file);
	free(o->url);
	free(o->name);
	free(o);
}

const struct output_ops output_webhook_ops = {
	.type = "webhook",
	.open = output_wh_open,
	.sync = output_wh_sync,
	.close = output_wh_close,
	.deliver = output_wh_deliver,
	.attach = output_wh_attach,
	.max_inflight = 4,
	.coalesce = true,
};
