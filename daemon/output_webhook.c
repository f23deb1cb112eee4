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
 * The "iris" flavour opens a DFIR-IRIS alert (POST /alerts/add, source
 * "keibi", alert_source_ref the incident id, our hosts as assets, remote
 * addresses and domains as IOCs, the record as alert_source_content) and
 * updates it with POST /alerts/update/ID; answers are IRIS's envelope
 * {"status":"success","data":...}.  The "rtir" flavour opens an RT ticket
 * through REST2 (POST /REST/2.0/ticket in the configured queue, subject
 * "[incident id] title"), and on later revisions sets its priority and
 * IP field (PUT /REST/2.0/ticket/ID) and adds a comment.  Neither IRIS nor
 * RT refuses a second object for the same incident, so when no id is
 * remembered a create is always preceded by a lookup (IRIS: GET
 * /alerts/filter?source_reference=, RT: TicketSQL on the subject): a
 * create whose answer was lost (a crash, a timeout) is found and updated,
 * never made twice.
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

enum wh_flavour {
	WH_STANDARD = 0,
	WH_THEHIVE,
	WH_IRIS,
	WH_RTIR
};

enum wh_stage {
	WH_POST = 0,		/* standard, or create */
	WH_QUERY,		/* find the object by our incident id */
	WH_PATCH,		/* update */
	WH_NOTE			/* rtir: comment on the ticket */
};

/* DFIR-IRIS ids of a fresh install (post_init): IOC types and TLPs. */
#define WH_IRIS_IOC_IP		79	/* ip-dst */
#define WH_IRIS_IOC_DOMAIN	20	/* domain */
#define WH_IRIS_STATUS_NEW	2
#define WH_IRIS_ASSET_DEFAULT	9	/* "Windows - Computer" */

struct output_wh {
	char		*name;
	char		*url;
	enum wh_flavour	 flavour;
	char		*queue;		/* rtir */
	long		 customer_id;	/* iris */
	int		 sev_ids[4];	/* iris: ids of low..critical */
	long		 asset_type_id;	/* iris */
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
	if (oc->flavour == NULL || strcmp(oc->flavour, "standard") == 0)
		o->flavour = WH_STANDARD;
	else if (strcmp(oc->flavour, "thehive") == 0)
		o->flavour = WH_THEHIVE;
	else if (strcmp(oc->flavour, "iris") == 0)
		o->flavour = WH_IRIS;
	else
		o->flavour = WH_RTIR;
	if ((o->queue = strdup(oc->queue != NULL ? oc->queue :
	    "Incidents")) == NULL)
		fatal("strdup");
	o->customer_id = oc->customer_id > 0 ? (long)oc->customer_id : 1;
	o->asset_type_id = oc->asset_type_id > 0 ? (long)oc->asset_type_id :
	    WH_IRIS_ASSET_DEFAULT;
	/* A fresh IRIS: Low 3, Medium 4, High 5, Critical 6. */
	if (oc->severity_ids == NULL || sscanf(oc->severity_ids, "%d,%d,%d,%d",
	    &o->sev_ids[0], &o->sev_ids[1], &o->sev_ids[2],
	    &o->sev_ids[3]) != 4) {
		o->sev_ids[0] = 3;
		o->sev_ids[1] = 4;
		o->sev_ids[2] = 5;
		o->sev_ids[3] = 6;
	}
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
	free(o->queue);
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

/* A string member of a record ("" if missing). */
static const char *
wh_str(json_t *rec, const char *key)
{
	const char	*s = json_string_value(json_object_get(rec, key));

	return s != NULL ? s : "";
}

/* Our severity as 0..3 (low..critical). */
static int
wh_sev(json_t *rec)
{
	int	n = incident_severity_num(wh_str(rec, "severity"));

	return n >= 1 && n <= 4 ? n - 1 : 1;
}

/*
 * The incident as plain text, for an IRIS description or an RT ticket.
 * Every value of the record has passed incident_clean(): no controls, so
 * no value can add a line or a field of its own.
 */
static char *
wh_text(json_t *rec)
{
	json_t		*v, *remote;
	const char	*sep;
	char		*s = NULL;
	size_t		 len = 0, i;
	FILE		*f;

	if ((f = open_memstream(&s, &len)) == NULL)
		fatal("open_memstream");
	fprintf(f, "%s\n\n%s\n\n", wh_str(rec, "title"),
	    wh_str(rec, "summary"));
	fprintf(f, "- incident: %s (revision %lld, occurrence %lld)\n",
	    wh_str(rec, "id"),
	    (long long)json_integer_value(json_object_get(rec, "revision")),
	    (long long)json_integer_value(json_object_get(rec,
	    "occurrence")));
	fprintf(f, "- category: %s; severity: %s; status: %s; activity: "
	    "%s\n", wh_str(rec, "category"), wh_str(rec, "severity"),
	    wh_str(rec, "status"), wh_str(rec, "activity"));
	fprintf(f, "- first seen: %s; last seen: %s\n",
	    wh_str(rec, "first_seen"), wh_str(rec, "last_seen"));
	fprintf(f, "- alerts: %lld\n",
	    (long long)json_integer_value(json_object_get(rec,
	    "alert_count")));
	fputs("- internal hosts (origin):", f);
	json_array_foreach(json_object_get(rec, "internal_hosts"), i, v)
		fprintf(f, " %s", json_string_value(v) != NULL ?
		    json_string_value(v) : "");
	fputs("\n- remote:", f);
	remote = json_object_get(rec, "remote");
	json_array_foreach(json_object_get(remote, "top"), i, v)
		fprintf(f, " %s", wh_str(v, "value"));
	if (json_integer_value(json_object_get(remote, "others")) > 0)
		fprintf(f, " (and %lld more)", (long long)json_integer_value(
		    json_object_get(remote, "others")));
	fputs("\n- rules:", f);
	json_array_foreach(json_object_get(rec, "rules"), i, v)
		fprintf(f, " %s", json_string_value(v) != NULL ?
		    json_string_value(v) : "");
	fputs("\n- ATT&CK:", f);
	sep = " ";
	json_array_foreach(json_object_get(rec, "attack"), i, v)
		fprintf(f, "%s%s", sep, json_string_value(v) != NULL ?
		    json_string_value(v) : "");
	fprintf(f, "\n- dedup key: %s\n", wh_str(rec, "dedup_key"));
	if (fclose(f) != 0)
		fatal("open_memstream");
	return s;
}

/* Append ",prefix:value" to an IRIS tag list, commas in value blanked. */
static void
wh_iris_tag(FILE *f, const char *prefix, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	fprintf(f, ",%s:", prefix);
	for (; *value != '\0'; value++)
		fputc(*value == ',' ? ' ' : *value, f);
}

/* IRIS tags: a comma-separated string, so no tag may hold a comma. */
static char *
wh_iris_tags(json_t *rec)
{
	json_t		*cls, *v;
	char		*s = NULL;
	size_t		 len = 0, i;
	FILE		*f;

	cls = json_object_get(rec, "classification");
	if ((f = open_memstream(&s, &len)) == NULL)
		fatal("open_memstream");
	fputs("keibi", f);
	wh_iris_tag(f, "keibi", wh_str(rec, "category"));
	wh_iris_tag(f, "rsit", wh_str(cls, "rsit"));
	wh_iris_tag(f, "jp", wh_str(cls, "jp_category"));
	json_array_foreach(json_object_get(rec, "attack"), i, v)
		wh_iris_tag(f, "attack", json_string_value(v));
	if (fclose(f) != 0)
		fatal("open_memstream");
	return s;
}

/* IRIS's TLP ids (red 1, amber 2, green 3) of TheHive's 0..4. */
static int
wh_iris_tlp(int tlp)
{
	return tlp >= 4 ? 1 : tlp >= 2 ? 2 : 3;
}

/* The DFIR-IRIS alert of a record; create adds the fields set once. */
static json_t *
wh_iris_alert(struct output_wh *o, json_t *rec, bool create)
{
	json_t		*a, *iocs, *assets, *v, *ctx;
	const char	*type;
	char		*desc, *tags;
	size_t		 i;

	desc = wh_text(rec);
	tags = wh_iris_tags(rec);
	ctx = json_pack("{sO* sO* sO* sO* sO* sO* sO* sO*}",
	    "incident_id", json_object_get(rec, "id"),
	    "dedup_key", json_object_get(rec, "dedup_key"),
	    "occurrence", json_object_get(rec, "occurrence"),
	    "revision", json_object_get(rec, "revision"),
	    "status", json_object_get(rec, "status"),
	    "activity", json_object_get(rec, "activity"),
	    "rules", json_object_get(rec, "rules"),
	    "users", json_object_get(rec, "users"));
	a = json_pack("{ss ss si ss sO so}",
	    "alert_title", wh_str(rec, "title"),
	    "alert_description", desc,
	    "alert_severity_id", o->sev_ids[wh_sev(rec)],
	    "alert_tags", tags,
	    "alert_source_content", rec,
	    "alert_context", ctx);
	free(desc);
	free(tags);
	if (a == NULL)
		fatalx("json_pack");
	if (!create)
		return a;
	json_object_set_new(a, "alert_source", json_string("keibi"));
	json_object_set(a, "alert_source_ref", json_object_get(rec, "id"));
	json_object_set(a, "alert_source_event_time",
	    json_object_get(rec, "first_seen"));
	json_object_set_new(a, "alert_status_id",
	    json_integer(WH_IRIS_STATUS_NEW));
	json_object_set_new(a, "alert_customer_id",
	    json_integer(o->customer_id));
	assets = json_array();
	json_array_foreach(json_object_get(rec, "internal_hosts"), i, v) {
		if (!json_is_string(v))
			continue;
		json_array_append_new(assets, json_pack("{sO sO sI ss ss}",
		    "asset_name", v, "asset_ip", v, "asset_type_id",
		    (json_int_t)o->asset_type_id, "asset_description",
		    "internal host: the origin of the activity",
		    "asset_tags", "keibi,origin"));
	}
	iocs = json_array();
	json_array_foreach(json_object_get(json_object_get(rec, "remote"),
	    "top"), i, v) {
		type = wh_str(v, "type");
		if (!json_is_string(json_object_get(v, "value")) ||
		    (strcmp(type, "ip") != 0 && strcmp(type, "domain") != 0))
			continue;
		json_array_append_new(iocs, json_pack("{sO si si ss ss}",
		    "ioc_value", json_object_get(v, "value"),
		    "ioc_type_id", strcmp(type, "ip") == 0 ?
		    WH_IRIS_IOC_IP : WH_IRIS_IOC_DOMAIN,
		    "ioc_tlp_id", wh_iris_tlp(o->tlp),
		    "ioc_description", "remote side of the activity",
		    "ioc_tags", "keibi"));
	}
	json_object_set_new(a, "alert_assets", assets);
	json_object_set_new(a, "alert_iocs", iocs);
	return a;
}

/* RT priority of our severity. */
static int
wh_rt_priority(json_t *rec)
{
	static const int	prio[4] = { 20, 50, 80, 100 };

	return prio[wh_sev(rec)];
}

/* The addresses of a record for RTIR's IP field. */
static json_t *
wh_rt_ips(json_t *rec)
{
	json_t		*ips = json_array(), *v;
	size_t		 i;

	json_array_foreach(json_object_get(rec, "internal_hosts"), i, v)
		if (json_is_string(v))
			json_array_append(ips, v);
	json_array_foreach(json_object_get(json_object_get(rec, "remote"),
	    "top"), i, v) {
		if (strcmp(wh_str(v, "type"), "ip") == 0 &&
		    json_is_string(json_object_get(v, "value")))
			json_array_append(ips, json_object_get(v, "value"));
	}
	return ips;
}

/* The RT REST2 body of a stage. */
static json_t *
wh_rt_body(struct output_wh *o, json_t *rec, enum wh_stage stage)
{
	json_t	*a;
	char	*text, *subject;

	if (stage == WH_PATCH)
		return json_pack("{si s{so}}", "Priority", wh_rt_priority(rec),
		    "CustomFields", "IP", wh_rt_ips(rec));
	text = wh_text(rec);
	if (stage == WH_NOTE) {
		if (asprintf(&subject, "[%s] revision %lld: %s",
		    wh_str(rec, "id"), (long long)json_integer_value(
		    json_object_get(rec, "revision")), wh_str(rec, "title")) ==
		    -1)
			fatal("asprintf");
		a = json_pack("{ss ss ss}", "Subject", subject, "Content",
		    text, "ContentType", "text/plain");
	} else {
		if (asprintf(&subject, "[%s] %s", wh_str(rec, "id"),
		    wh_str(rec, "title")) == -1)
			fatal("asprintf");
		a = json_pack("{ss ss ss ss si s{so}}", "Queue", o->queue,
		    "Subject", subject, "Content", text, "ContentType",
		    "text/plain", "Priority", wh_rt_priority(rec),
		    "CustomFields", "IP", wh_rt_ips(rec));
	}
	free(subject);
	free(text);
	if (a == NULL)
		fatalx("json_pack");
	return a;
}

/* True if an incident id is safe in a URL query and TicketSQL. */
static bool
wh_id_ok(const char *id)
{
	return *id != '\0' && strlen(id) < 128 && strspn(id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	    "-_.:") == strlen(id);
}

/*
 * Method, URL and body of an IRIS or RT request for r's stage; the URL
 * is malloc'd, the body in r->body (NULL for a GET).
 */
static char *
wh_intake_request(struct wh_req *r, const char **method)
{
	struct output_wh	*o = r->o;
	json_t			*rec = r->job->rec, *a = NULL;
	char			*url, *q, *esc;

	*method = "POST";
	if (o->flavour == WH_IRIS) {
		switch (r->stage) {
		case WH_QUERY:
			*method = "GET";
			esc = curl_easy_escape(r->easy, r->job->incident_id, 0);
			if (esc == NULL)
				fatalx("curl_easy_escape");
			if (asprintf(&url, "%s/alerts/filter?source_reference="
			    "%s&alert_source=keibi&alert_customer_id=%ld&"
			    "per_page=100", o->url, esc, o->customer_id) == -1)
				fatal("asprintf");
			curl_free(esc);
			return url;
		case WH_PATCH:
			a = wh_iris_alert(o, rec, false);
			if (asprintf(&url, "%s/alerts/update/%s", o->url,
			    r->remote_id) == -1)
				fatal("asprintf");
			break;
		default:
			a = wh_iris_alert(o, rec, true);
			if (asprintf(&url, "%s/alerts/add", o->url) == -1)
				fatal("asprintf");
			break;
		}
	} else {
		switch (r->stage) {
		case WH_QUERY:
			*method = "GET";
			if (asprintf(&q, "Queue = '%s' AND Subject LIKE '%s'",
			    o->queue, r->job->incident_id) == -1)
				fatal("asprintf");
			if ((esc = curl_easy_escape(r->easy, q, 0)) == NULL)
				fatalx("curl_easy_escape");
			free(q);
			if (asprintf(&url, "%s/REST/2.0/tickets?query=%s&"
			    "fields=Subject&per_page=100", o->url, esc) == -1)
				fatal("asprintf");
			curl_free(esc);
			return url;
		case WH_PATCH:
			*method = "PUT";
			a = wh_rt_body(o, rec, WH_PATCH);
			if (asprintf(&url, "%s/REST/2.0/ticket/%s", o->url,
			    r->remote_id) == -1)
				fatal("asprintf");
			break;
		case WH_NOTE:
			a = wh_rt_body(o, rec, WH_NOTE);
			if (asprintf(&url, "%s/REST/2.0/ticket/%s/comment",
			    o->url, r->remote_id) == -1)
				fatal("asprintf");
			break;
		default:
			a = wh_rt_body(o, rec, WH_POST);
			if (asprintf(&url, "%s/REST/2.0/ticket", o->url) == -1)
				fatal("asprintf");
			break;
		}
	}
	r->body = incident_dump(a);
	json_decref(a);
	return url;
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
	const char		*method = "POST";
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
	if (o->flavour == WH_STANDARD)
		r->body = incident_dump(job->rec);
	else if (o->flavour == WH_IRIS || o->flavour == WH_RTIR)
		url = wh_intake_request(r, &method);
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
		    r->body != NULL ? r->body : "") == -1)
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
		/* RT::Authen::Token says "token", TheHive and IRIS "Bearer". */
		if (asprintf(&h, "Authorization: %s %s", o->flavour ==
		    WH_RTIR ? "token" : "Bearer", o->api_key) == -1)
			fatal("asprintf");
		r->hdrs = curl_slist_append(r->hdrs, h);
		explicit_bzero(h, strlen(h));
		free(h);
	}
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(r->body));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST,
			    method);
	}
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

/* Start the next stage of r; false if it failed. */
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

/* A numeric id (a JSON integer or a string of digits) as text, or NULL. */
static char *
wh_num_id(json_t *v)
{
	const char	*s;
	char		*id;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		if (asprintf(&id, "%lld", (long long)json_integer_value(v)) ==
		    -1)
			fatal("asprintf");
		return id;
	}
	if ((s = json_string_value(v)) == NULL || *s == '\0' ||
	    strlen(s) > 20 || strspn(s, "0123456789") != strlen(s))
		return NULL;
	if ((id = strdup(s)) == NULL)
		fatal("strdup");
	return id;
}

/*
 * Read a 2xx answer of IRIS or RT: *id gets the object's id (the created
 * one, or for a lookup the one of this incident, NULL if there is none).
 * 0, or -1 with why filled if the answer says it failed or makes no sense.
 */
static int
wh_intake_answer(struct wh_req *r, char **id, char *why, size_t size)
{
	const char	*inc = r->job->incident_id, *ref, *st;
	json_t		*j, *data, *list, *v;
	char		 esc[128];
	size_t		 i, n;

	*id = NULL;
	if (r->answer == NULL || (j = json_loads(r->answer, 0, NULL)) ==
	    NULL) {
		if (r->stage == WH_PATCH || r->stage == WH_NOTE)
			return 0;	/* RT says little to updates */
		snprintf(why, size, "the answer is not JSON");
		return -1;
	}
	data = j;
	if (r->o->flavour == WH_IRIS) {
		/* {"status": "success"|"error", "message": ..., "data": ...} */
		st = json_string_value(json_object_get(j, "status"));
		if (st == NULL || strcmp(st, "success") != 0) {
			st = json_string_value(json_object_get(j, "message"));
			log_escape(st != NULL ? st : "", st != NULL ?
			    strlen(st) : 0, esc, sizeof esc);
			snprintf(why, size, "IRIS says %s", esc);
			json_decref(j);
			return -1;
		}
		data = json_object_get(j, "data");
	}
	switch (r->stage) {
	case WH_POST:
		*id = wh_num_id(json_object_get(data, r->o->flavour ==
		    WH_IRIS ? "alert_id" : "id"));
		if (*id == NULL)
			snprintf(why, size, "no id in the answer to a create");
		break;
	case WH_QUERY:
		list = json_object_get(data, r->o->flavour == WH_IRIS ?
		    "alerts" : "items");
		n = strlen(inc);
		json_array_foreach(list, i, v) {
			if (r->o->flavour == WH_IRIS) {
				/* IRIS matches source_reference with LIKE. */
				ref = json_string_value(json_object_get(v,
				    "alert_source_ref"));
				if (ref == NULL || strcmp(ref, inc) != 0)
					continue;
				*id = wh_num_id(json_object_get(v, "alert_id"));
			} else {
				ref = json_string_value(json_object_get(v,
				    "Subject"));
				if (ref == NULL || ref[0] != '[' ||
				    strncmp(ref + 1, inc, n) != 0 ||
				    ref[n + 1] != ']')
					continue;
				*id = wh_num_id(json_object_get(v, "id"));
			}
			if (*id != NULL)
				break;
		}
		json_decref(j);
		return 0;
	default:
		break;
	}
	json_decref(j);
	return r->stage == WH_POST && *id == NULL ? -1 : 0;
}

/* An IRIS or RT request ended with a 2xx answer. */
static void
wh_intake_done(struct wh_req *r)
{
	struct output_job	*job = r->job;
	char			*id, why[256];

	if (wh_intake_answer(r, &id, why, sizeof why) != 0) {
		/*
		 * A create with no id may still have made the object: the
		 * next attempt looks it up before creating.  Anything else
		 * that failed will fail again.
		 */
		job->done(job, r->stage == WH_POST ? OUTPUT_RETRY :
		    OUTPUT_FAIL, 0, NULL, why);
		wh_free(r);
		return;
	}
	switch (r->stage) {
	case WH_QUERY:
		if (id != NULL) {
			/* Made before, its answer lost: update it. */
			free(r->remote_id);
			r->remote_id = id;
			if (wh_next(r, WH_PATCH))
				return;
		} else if (wh_next(r, WH_POST))
			return;
		job->done(job, OUTPUT_RETRY, 0, NULL, "could not start");
		wh_free(r);
		return;
	case WH_POST:
		free(r->remote_id);
		r->remote_id = id;
		break;
	case WH_PATCH:
		free(id);
		/* RT: the fields are set; now the comment. */
		if (r->o->flavour == WH_RTIR) {
			if (wh_next(r, WH_NOTE))
				return;
			job->done(job, OUTPUT_RETRY, 0, NULL,
			    "could not start");
			wh_free(r);
			return;
		}
		break;
	default:
		free(id);
		break;
	}
	job->done(job, OUTPUT_OK, 0, r->remote_id, NULL);
	wh_free(r);
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
		if (r->o->flavour == WH_IRIS || r->o->flavour == WH_RTIR) {
			wh_intake_done(r);
			return;
		}
		if (r->o->flavour == WH_THEHIVE && r->stage == WH_POST) {
			free(r->remote_id);
			r->remote_id = wh_answer_id(r->answer);
		} else if (r->o->flavour == WH_THEHIVE &&
		    r->stage == WH_QUERY) {
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
	if (r->o->flavour == WH_THEHIVE && r->stage == WH_POST &&
	    (status == 400 || status == 409) && r->answer != NULL &&
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
	if (o->flavour != WH_STANDARD && job->remote_id != NULL) {
		r->stage = WH_PATCH;
		if ((r->remote_id = strdup(job->remote_id)) == NULL)
			fatal("strdup");
	} else if (o->flavour == WH_IRIS || o->flavour == WH_RTIR) {
		/* Neither refuses a twin: look before creating. */
		if (!wh_id_ok(job->incident_id)) {
			job->done(job, OUTPUT_FAIL, 0, NULL,
			    "the incident id cannot be looked up");
			free(r);
			return 0;
		}
		r->stage = WH_QUERY;
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
	free(o->queue);
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
