/*
 * control.c: the control socket.  Listens on a unix socket from the
 * daemon's libevent loop, reads JSON-lines requests through bufferevents,
 * checks each peer with SO_PEERCRED against the control group, logs every
 * request with the peer's Unix user and answers with one JSON line each.
 * Daemon commands (ping, status, reload) are served here; incident
 * commands go to the hook the incident module sets.  A reload that moves
 * the socket makes the new one first and retires the old one, which
 * serves its open connections to their end (control_replace).
 *
 * This module must never trust a request: lines are bounded before they
 * are parsed, only known keys with checked types and lengths pass, and a
 * peer that is not root, keibid's user or in the group gets one refusal
 * and nothing else.  It must never block the loop on a client: every
 * connection is non-blocking, bounded in requests and closed when idle.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "control.h"
#include "corr.h"
#include "csirt.h"
#include "evidence.h"
#include "incident.h"
#include "keibid.h"
#include "log.h"
#include "metrics.h"

#define CONTROL_A_ID		0x01
#define CONTROL_A_TEXT		0x02
#define CONTROL_A_STATUS	0x04
#define CONTROL_A_RESOLUTION	0x08
#define CONTROL_MAX_GROUPS	1024	/* supplementary groups looked at */
#define CONTROL_PWBUF		4096	/* getpwuid_r's buffer */

struct control_conn {
	struct control			*ctl;
	struct bufferevent		*bev;
	struct control_peer		 peer;
	unsigned int			 nreq;
	bool				 closing;	/* free once flushed */
	TAILQ_ENTRY(control_conn)	 entry;
};

struct control {
	struct keibid			*kd;
	struct evconnlistener		*lev;	/* NULL once retired */
	char				*path;
	char				*tmp;	/* bound here until moved */
	dev_t				 dev;		/* of the socket file */
	ino_t				 ino;
	gid_t				 gid;		/* the control group */
	size_t				 nconn;
	TAILQ_HEAD(, control_conn)	 conns;
	control_incident_cb		 inc_cb;
	void				*inc_arg;
	uint64_t			 served;
	uint64_t			 refused;
	/*
	 * A reload that moved the socket retires the old control: it stops
	 * listening, serves the connections it has (the one that asked for
	 * the reload gets its answer) and is freed with its last one.  The
	 * live control keeps the retired ones, to close them at the end.
	 */
	struct control			*owner;	/* live one, if retired */
	TAILQ_HEAD(, control)		 retired;
	TAILQ_ENTRY(control)		 rentry;
};

static json_t	*control_ping(struct control *, const struct control_req *,
		    const struct control_peer *, char **);
static json_t	*control_cmd_status(struct control *,
		    const struct control_req *, const struct control_peer *,
		    char **);
static json_t	*control_reload(struct control *, const struct control_req *,
		    const struct control_peer *, char **);

/* One command of the protocol. */
struct control_cmd {
	const char		*name;
	enum control_kind	 kind;
	bool			 changes;	/* always logged */
	unsigned int		 args;		/* CONTROL_A_* it accepts */
	unsigned int		 need;		/* CONTROL_A_* it requires */
	json_t			*(*exec)(struct control *,
				    const struct control_req *,
				    const struct control_peer *, char **);
};

static const struct control_cmd control_cmds[] = {
	{ .name = "ping", .kind = CONTROL_DAEMON, .exec = control_ping },
	{ .name = "status", .kind = CONTROL_DAEMON,
	  .exec = control_cmd_status },
	{ .name = "reload", .kind = CONTROL_DAEMON, .changes = true,
	  .exec = control_reload },
	{ .name = "ack", .kind = CONTROL_INCIDENT, .changes = true,
	  .args = CONTROL_A_ID | CONTROL_A_TEXT, .need = CONTROL_A_ID },
	{ .name = "set_status", .kind = CONTROL_INCIDENT, .changes = true,
	  .args = CONTROL_A_ID | CONTROL_A_STATUS | CONTROL_A_TEXT,
	  .need = CONTROL_A_ID | CONTROL_A_STATUS },
	{ .name = "close", .kind = CONTROL_INCIDENT, .changes = true,
	  .args = CONTROL_A_ID | CONTROL_A_RESOLUTION | CONTROL_A_TEXT,
	  .need = CONTROL_A_ID | CONTROL_A_RESOLUTION },
	{ .name = "note", .kind = CONTROL_INCIDENT, .changes = true,
	  .args = CONTROL_A_ID | CONTROL_A_TEXT,
	  .need = CONTROL_A_ID | CONTROL_A_TEXT },
	{ .name = NULL }
};

/* Statuses a person may set (closing needs a resolution: close). */
static const char *const control_statuses[] = {
	"acknowledged", "in_progress", "contained", "resolved", "merged", NULL
};

/* True if s is one of the words in list. */
static bool
control_in(const char *s, const char *const *list)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* True if id is 1..CONTROL_MAX_ID of [A-Za-z0-9._:-]. */
static bool
control_id_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > CONTROL_MAX_ID)
		return false;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == ':' || s[i] == '-')
			continue;
		return false;
	}
	return true;
}

/* True if a note is 1..CONTROL_MAX_TEXT bytes with no control but \n \t. */
static bool
control_text_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > CONTROL_MAX_TEXT)
		return false;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
			return false;
		if (s[i] == 0x7f)
			return false;
	}
	return true;
}

/* The string member v of the request, or NULL after writing why to err. */
static const char *
control_string(json_t *v, const char *key, char *err, size_t errlen)
{
	if (!json_is_string(v)) {
		snprintf(err, errlen, "'%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

int
control_parse(const char *line, size_t len, struct control_req *req,
    char *err, size_t errlen)
{
	const struct control_cmd *cmd = NULL;
	json_error_t		 jerr;
	json_t			*obj, *v;
	const char		*key, *s;
	char			 esc[80];
	unsigned int		 have = 0, bit;
	size_t			 i;

	memset(req, 0, sizeof *req);
	if (len > CONTROL_MAX_REQUEST) {
		snprintf(err, errlen, "request longer than %d bytes",
		    CONTROL_MAX_REQUEST);
		return -1;
	}
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		snprintf(err, errlen, "not JSON: %s", log_escape(jerr.text,
		    strnlen(jerr.text, sizeof jerr.text), esc, sizeof esc));
		return -1;
	}
	req->obj = obj;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "a request is a JSON object");
		goto fail;
	}
	v = json_object_get(obj, "cmd");
	if (v == NULL) {
		snprintf(err, errlen, "no 'cmd' in the request");
		goto fail;
	}
	if ((s = control_string(v, "cmd", err, errlen)) == NULL)
		goto fail;
	for (i = 0; control_cmds[i].name != NULL; i++) {
		if (strcmp(control_cmds[i].name, s) == 0) {
			cmd = &control_cmds[i];
			break;
		}
	}
	if (cmd == NULL) {
		snprintf(err, errlen, "unknown command '%s'", log_escape(s,
		    json_string_length(v), esc, sizeof esc));
		goto fail;
	}
	req->cmd = cmd;
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "cmd") == 0)
			continue;
		if (strcmp(key, "id") == 0)
			bit = CONTROL_A_ID;
		else if (strcmp(key, "text") == 0)
			bit = CONTROL_A_TEXT;
		else if (strcmp(key, "status") == 0)
			bit = CONTROL_A_STATUS;
		else if (strcmp(key, "resolution") == 0)
			bit = CONTROL_A_RESOLUTION;
		else
			bit = 0;
		if ((cmd->args & bit) == 0) {
			snprintf(err, errlen, "'%s' takes no '%s'", cmd->name,
			    log_escape(key, strlen(key), esc, sizeof esc));
			goto fail;
		}
		have |= bit;
		if ((s = control_string(v, key, err, errlen)) == NULL)
			goto fail;
		switch (bit) {
		case CONTROL_A_ID:
			if (!control_id_ok(s, json_string_length(v))) {
				snprintf(err, errlen, "'id' must be 1 to %d "
				    "letters, digits, '.', '_', ':' or '-'",
				    CONTROL_MAX_ID);
				goto fail;
			}
			req->id = s;
			break;
		case CONTROL_A_TEXT:
			if (!control_text_ok(s, json_string_length(v))) {
				snprintf(err, errlen, "'text' must be 1 to %d "
				    "bytes without control characters",
				    CONTROL_MAX_TEXT);
				goto fail;
			}
			req->text = s;
			break;
		case CONTROL_A_STATUS:
			if (!control_in(s, control_statuses)) {
				snprintf(err, errlen, "'status' must be "
				    "acknowledged, in_progress, contained, "
				    "resolved or merged (close needs a "
				    "resolution)");
				goto fail;
			}
			req->status = s;
			break;
		case CONTROL_A_RESOLUTION:
			if (!incident_valid_resolution(s)) {
				snprintf(err, errlen, "'resolution' must be "
				    "true_positive, false_positive, benign, "
				    "duplicate or indeterminate");
				goto fail;
			}
			req->resolution = s;
			break;
		}
	}
	if ((have & cmd->need) != cmd->need) {
		bit = cmd->need & ~have;
		snprintf(err, errlen, "'%s' needs '%s'", cmd->name,
		    (bit & CONTROL_A_ID) ? "id" : (bit & CONTROL_A_STATUS) ?
		    "status" : (bit & CONTROL_A_RESOLUTION) ? "resolution" :
		    "text");
		goto fail;
	}
	return 0;
fail:
	control_req_free(req);
	return -1;
}

void
control_req_free(struct control_req *req)
{
	if (req->obj != NULL)
		json_decref(req->obj);
	memset(req, 0, sizeof *req);
}

const char *
control_req_name(const struct control_req *req)
{
	return req->cmd != NULL ? req->cmd->name : "?";
}

enum control_kind
control_req_kind(const struct control_req *req)
{
	return req->cmd != NULL ? req->cmd->kind : CONTROL_DAEMON;
}

/* ISO 8601 UTC of a unix time, or JSON null for 0. */
static json_t *
control_time(int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		buf[32];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* Add a malloc'd-free formatted warning to the list. */
static void __attribute__((format(printf, 2, 3)))
control_warn(json_t *list, const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_string(buf));
}

/* The sources part of the status; warnings go to warn. */
static json_t *
control_status_sources(struct keibid *kd, json_t *warn)
{
	json_t		*a = json_array(), *o;
	struct source	*s;
	struct stat	 sb;
	uint64_t	 off, size;
	size_t		 i;

	for (i = 0; i < kd->nsrc; i++) {
		s = kd->src[i];
		off = linebuf_done(&s->lb);
		size = 0;
		if (s->cur.fd != -1 && fstat(s->cur.fd, &sb) == 0)
			size = (uint64_t)sb.st_size;
		o = json_pack("{s:s, s:s, s:s, s:s?, s:b, s:I, s:I, s:I, s:I}",
		    "name", s->name, "path", s->path,
		    "parser", s->parser->name,
		    "dataset", s->parser->dataset,
		    "open", s->cur.fd != -1,
		    "offset", (json_int_t)off, "size", (json_int_t)size,
		    "lag_bytes", (json_int_t)(size > off ? size - off : 0),
		    "rotated_waiting", (json_int_t)s->nq);
		json_object_set_new(o, "file", s->cur.path != NULL ?
		    json_string(s->cur.path) : json_null());
#define CONTROL_ST(k, f) \
	json_object_set_new(o, k, json_integer((json_int_t)s->st.f))
		CONTROL_ST("rotations", rotations);
		CONTROL_ST("truncations", truncations);
		CONTROL_ST("lines", lines);
		CONTROL_ST("bytes", bytes);
		CONTROL_ST("events", events);
		CONTROL_ST("ignored", ignored);
		CONTROL_ST("malformed", malformed);
		CONTROL_ST("cut_lines", truncated);
		CONTROL_ST("gaps", gaps);
		CONTROL_ST("alerts", alerts);
#undef CONTROL_ST
		json_array_append_new(a, o);
		if (s->cur.fd == -1)
			control_warn(warn, "source %s: %s is not there (yet)",
			    s->name, s->path);
		if (s->st.gaps != 0)
			control_warn(warn, "source %s: %llu gaps recorded "
			    "(bytes lost before keibid could read them)",
			    s->name, (unsigned long long)s->st.gaps);
		if (s->st.truncated != 0)
			control_warn(warn, "source %s: %llu lines longer than "
			    "max_line_length were cut", s->name,
			    (unsigned long long)s->st.truncated);
	}
	return a;
}

/*
 * The memory of every kind of correlator, detectors included, into corr:
 * "kinds" (one object per kind that has rules) and "total_bytes".
 */
static void
control_status_kinds(const struct ruleset *rs, json_t *corr)
{
	struct metrics_corr	 v[METRICS_CORR_KINDS];
	json_t			*a = json_array();
	uint64_t		 total = 0;
	size_t			 k;

	metrics_correlators(rs, v);
	for (k = 0; k < METRICS_CORR_KINDS; k++) {
		total += v[k].bytes;
		if (v[k].rules == 0)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I, s:I}",
		    "kind", v[k].kind, "rules", (json_int_t)v[k].rules,
		    "entries", (json_int_t)v[k].entries,
		    "bytes", (json_int_t)v[k].bytes,
		    "evictions", (json_int_t)v[k].evictions));
	}
	json_object_set_new(corr, "kinds", a);
	json_object_set_new(corr, "total_bytes",
	    json_integer((json_int_t)total));
}

/* The rules part: every rule that did anything, and the correlation. */
static json_t *
control_status_rules(struct keibid *kd, json_t *warn, json_t **corr)
{
	struct ruleset	*rs = kd->rules;
	struct rule	*r;
	json_t		*o, *hits = json_array();
	uint64_t	 alerts = 0, limits = 0, dropped = 0, groups = 0;
	uint64_t	 bytes = 0;
	size_t		 i, n = rs != NULL ? rs->n : 0;

	for (i = 0; i < n; i++) {
		r = rs->v[i];
		alerts += r->hits;
		limits += r->limit_hits;
		dropped += r->dropped;
		if (r->kind == RK_COUNT || r->kind == RK_DISTINCT ||
		    r->kind == RK_SEQUENCE) {
			groups += corr_groups(r);
			bytes += corr_bytes(r);
		}
		if (r->hits == 0 && r->matches == 0 && r->limit_hits == 0 &&
		    r->dropped == 0)
			continue;
		json_array_append_new(hits, json_pack("{s:s, s:s?, s:I, s:I, "
		    "s:I, s:I, s:I}", "id", r->id, "severity", r->severity,
		    "hits", (json_int_t)r->hits,
		    "matches", (json_int_t)r->matches,
		    "limit_hits", (json_int_t)r->limit_hits,
		    "suppressed", (json_int_t)r->suppressed,
		    "dropped", (json_int_t)r->dropped));
		if (r->limit_hits != 0)
			control_warn(warn, "rule %s hit the PCRE2 limits %llu "
			    "times", r->id, (unsigned long long)r->limit_hits);
		if (r->dropped != 0)
			control_warn(warn, "rule %s dropped state %llu times "
			    "at its memory bound", r->id,
			    (unsigned long long)r->dropped);
	}
	*corr = json_pack("{s:I, s:I, s:I}", "groups", (json_int_t)groups,
	    "bytes", (json_int_t)bytes, "dropped", (json_int_t)dropped);
	control_status_kinds(rs, *corr);
	o = json_pack("{s:I, s:I, s:I, s:o}", "loaded", (json_int_t)n,
	    "alerts", (json_int_t)alerts, "limit_hits", (json_int_t)limits,
	    "hits", hits);
	return o;
}

json_t *
control_status(struct keibid *kd)
{
	struct evidence_stats	 es;
	json_t			*o, *warn = json_array(), *outs, *corr;
	time_t			 now = time(NULL);
	size_t			 i;

	o = json_pack("{s:s, s:I, s:s, s:o, s:I}", "version", PACKAGE_VERSION,
	    "pid", (json_int_t)getpid(), "config", kd->conf->file,
	    "started", control_time(kd->started),
	    "uptime_s", (json_int_t)(now - kd->started));
	json_object_set_new(o, "reload", json_pack("{s:I, s:I, s:o, s:b, "
	    "s:o}", "count", (json_int_t)kd->reloads,
	    "failures", (json_int_t)kd->reload_failures,
	    "last", control_time(kd->reload_at),
	    "ok", kd->reload_error == NULL,
	    "error", kd->reload_error != NULL ?
	    json_string(kd->reload_error) : json_null()));
	if (kd->reload_error != NULL)
		control_warn(warn, "the last reload failed; the previous "
		    "configuration runs: %.400s", kd->reload_error);
	json_object_set_new(o, "sources", control_status_sources(kd, warn));
	json_object_set_new(o, "rules", control_status_rules(kd, warn, &corr));
	json_object_set_new(o, "correlation", corr);
	outs = json_array();
	for (i = 0; i < kd->nout; i++) {
		json_array_append_new(outs, json_pack("{s:s, s:I, s:I}",
		    "name", kd->out[i]->name,
		    "written", (json_int_t)kd->out[i]->written,
		    "errors", (json_int_t)kd->out[i]->errors));
		if (kd->out[i]->errors != 0)
			control_warn(warn, "output %s: %llu write errors",
			    kd->out[i]->name,
			    (unsigned long long)kd->out[i]->errors);
	}
	json_object_set_new(o, "outputs", outs);
	if (kd->ev != NULL) {
		keibid_evidence_stats(kd, &es);
		json_object_set_new(o, "evidence", json_pack("{s:s, s:I, s:I, "
		    "s:I, s:I, s:I, s:I, s:o, s:o}",
		    "dir", kd->conf->evidence_dir,
		    "raw_bytes", (json_int_t)es.raw,
		    "gz_bytes", (json_int_t)es.gz,
		    "sealed", (json_int_t)es.sealed,
		    "gaps", (json_int_t)es.gaps,
		    "errors", (json_int_t)es.errors,
		    "deleted", (json_int_t)es.deleted,
		    "last_seal", control_time(es.last_seal),
		    "seal_age_s", es.last_seal != 0 ?
		    json_integer((json_int_t)(now - es.last_seal)) :
		    json_null()));
		if (es.errors != 0)
			control_warn(warn, "evidence archive: %llu write "
			    "errors (retried)", (unsigned long long)es.errors);
	}
	json_object_set_new(o, "loop", json_pack("{s:I, s:I}",
	    "lag_ms", (json_int_t)(kd->lag_us / 1000),
	    "lag_max_ms", (json_int_t)(kd->lag_max_us / 1000)));
	if (kd->lag_us > 1000000)
		control_warn(warn, "the event loop runs %lld ms late",
		    (long long)(kd->lag_us / 1000));
	if (kd->ctl != NULL)
		json_object_set_new(o, "control", json_pack("{s:I, s:I}",
		    "served", (json_int_t)kd->ctl->served,
		    "refused", (json_int_t)kd->ctl->refused));
	json_object_set_new(o, "warnings", warn);
	return o;
}

/* ping: who answers. */
static json_t *
control_ping(struct control *ctl, const struct control_req *req,
    const struct control_peer *who, char **cause)
{
	return json_pack("{s:s, s:I, s:s}", "version", PACKAGE_VERSION,
	    "pid", (json_int_t)getpid(), "user", who->user);
}

/* status: the whole state. */
static json_t *
control_cmd_status(struct control *ctl, const struct control_req *req,
    const struct control_peer *who, char **cause)
{
	return control_status(ctl->kd);
}

/* reload: as SIGHUP, but the caller learns the outcome. */
static json_t *
control_reload(struct control *ctl, const struct control_req *req,
    const struct control_peer *who, char **cause)
{
	struct keibid	*kd = ctl->kd;

	if (keibid_reload(kd, cause) != 0)
		return NULL;
	return json_pack("{s:I, s:I, s:I}", "rules",
	    (json_int_t)(kd->rules != NULL ? kd->rules->n : 0),
	    "sources", (json_int_t)kd->nsrc, "outputs", (json_int_t)kd->nout);
}

/*
 * Free a connection and forget it; a retired control goes with its last
 * connection.
 */
static void
control_conn_free(struct control_conn *c)
{
	struct control	*ctl = c->ctl;

	TAILQ_REMOVE(&ctl->conns, c, entry);
	ctl->nconn--;
	bufferevent_free(c->bev);
	free(c);
	if (ctl->owner != NULL && ctl->nconn == 0) {
		TAILQ_REMOVE(&ctl->owner->retired, ctl, rentry);
		ctl->owner = NULL;
		control_close(ctl);
	}
}

/* The control that counts for ctl: itself, or the live one if retired. */
static struct control *
control_live(struct control *ctl)
{
	while (ctl->owner != NULL)
		ctl = ctl->owner;
	return ctl;
}

/* Queue one response line; a response that cannot be built is an error. */
static void
control_send(struct control_conn *c, json_t *o)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		*s;

	if ((s = json_dumps(o, JSON_COMPACT)) == NULL) {
		evbuffer_add_printf(out, "{\"ok\":false,\"error\":\"the "
		    "response could not be written\"}\n");
		return;
	}
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
	free(s);
}

/* Answer with an error; close after it when last. */
static void
control_error(struct control_conn *c, const char *msg, bool last)
{
	json_t	*o;

	o = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	control_send(c, o);
	json_decref(o);
	if (last) {
		c->closing = true;
		bufferevent_disable(c->bev, EV_READ);
	}
}

/* Serve one request line. */
static void
control_handle(struct control_conn *c, const char *line, size_t len)
{
	struct control		*ctl = c->ctl;
	struct control_req	 req;
	json_t			*res, *o;
	char			 err[256], *cause = NULL;
	const char		*name;

	if (control_parse(line, len, &req, err, sizeof err) != 0) {
		log_rl(LOG_LVL_WARN, "control-bad", "control: bad request from "
		    "%s (uid %u, pid %d): %s", c->peer.user,
		    (unsigned int)c->peer.uid, (int)c->peer.pid, err);
		control_error(c, err, false);
		return;
	}
	name = control_req_name(&req);
	if (req.cmd->changes) {
		log_info("control: %s%s%s by %s (uid %u, pid %d)", name,
		    req.id != NULL ? " " : "", req.id != NULL ? req.id : "",
		    c->peer.user, (unsigned int)c->peer.uid, (int)c->peer.pid);
	} else {
		log_rl(LOG_LVL_INFO, "control-read", "control: %s%s%s by %s "
		    "(uid %u, pid %d)", name, req.id != NULL ? " " : "",
		    req.id != NULL ? req.id : "", c->peer.user,
		    (unsigned int)c->peer.uid, (int)c->peer.pid);
	}
	control_live(ctl)->served++;
	if (req.cmd->kind == CONTROL_INCIDENT) {
		/* The incident manager of the pipeline running now. */
		if (ctl->inc_cb == NULL)
			res = csirt_control(ctl->kd->csirt, &req, &c->peer,
			    &cause);
		else
			res = ctl->inc_cb(ctl->inc_arg, &req, &c->peer, &cause);
	} else
		res = req.cmd->exec(ctl, &req, &c->peer, &cause);
	if (res != NULL) {
		o = json_pack("{s:b, s:o}", "ok", 1, "result", res);
		control_send(c, o);
		json_decref(o);
	} else {
		control_error(c, cause != NULL ? cause : "failed", false);
		if (req.cmd->changes)
			log_warnx("control: %s by %s failed: %s", name,
			    c->peer.user, cause != NULL ? cause : "failed");
	}
	free(cause);
	control_req_free(&req);
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line, msg[64];
	size_t			 len;

	while (!c->closing &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > CONTROL_MAX_REQUEST) {
			free(line);
			snprintf(msg, sizeof msg, "request longer than %d "
			    "bytes", CONTROL_MAX_REQUEST);
			control_error(c, msg, true);
			return;
		}
		control_handle(c, line, len);
		free(line);
		if (++c->nreq >= CONTROL_MAX_REQUESTS && !c->closing) {
			c->closing = true;
			bufferevent_disable(bev, EV_READ);
		}
	}
	if (c->closing)
		return;
	if (evbuffer_get_length(in) > CONTROL_MAX_REQUEST) {
		log_rl(LOG_LVL_WARN, "control-bad", "control: request of more "
		    "than %d bytes from %s (uid %u, pid %d); closing",
		    CONTROL_MAX_REQUEST, c->peer.user,
		    (unsigned int)c->peer.uid, (int)c->peer.pid);
		snprintf(msg, sizeof msg, "request longer than %d bytes",
		    CONTROL_MAX_REQUEST);
		evbuffer_drain(in, evbuffer_get_length(in));
		control_error(c, msg, true);
	}
}

static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;

	if (c->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		control_conn_free(c);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		control_conn_free(c);
}

/* Fill peer from SO_PEERCRED; -1 if the kernel cannot tell. */
static int
control_peer_get(int fd, struct control_peer *peer)
{
	struct ucred	 uc;
	struct passwd	 pwd, *pw = NULL;
	char		 buf[CONTROL_PWBUF];
	socklen_t	 len = sizeof uc;

	memset(peer, 0, sizeof *peer);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
	    len != sizeof uc)
		return -1;
	peer->uid = uc.uid;
	peer->gid = uc.gid;
	peer->pid = uc.pid;
	if (getpwuid_r(uc.uid, &pwd, buf, sizeof buf, &pw) == 0 &&
	    pw != NULL && pw->pw_name != NULL &&
	    strlen(pw->pw_name) < sizeof peer->user)
		snprintf(peer->user, sizeof peer->user, "%s", pw->pw_name);
	else
		snprintf(peer->user, sizeof peer->user, "%u",
		    (unsigned int)uc.uid);
	return 0;
}

/*
 * True if the peer may use the socket: root, keibid's own user, or a
 * member of the control group (primary or supplementary, as the kernel
 * saw it at connect time when it can tell, else as the group database
 * says).
 */
static bool
control_peer_ok(struct control *ctl, int fd, const struct control_peer *peer)
{
	gid_t		 groups[CONTROL_MAX_GROUPS];
	struct passwd	 pwd, *pw = NULL;
	char		 buf[CONTROL_PWBUF];
	socklen_t	 len = sizeof groups;
	int		 n = CONTROL_MAX_GROUPS, i;

	if (peer->uid == 0 || peer->uid == geteuid() || peer->gid == ctl->gid)
		return true;
#ifdef SO_PEERGROUPS
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (i = 0; i < (int)(len / sizeof groups[0]); i++)
			if (groups[i] == ctl->gid)
				return true;
		return false;
	}
#endif
	if (getpwuid_r(peer->uid, &pwd, buf, sizeof buf, &pw) != 0 ||
	    pw == NULL)
		return false;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == ctl->gid)
			return true;
	return false;
}

static void
control_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control		*ctl = arg;
	struct control_conn	*c;
	struct timeval		 tv = { CONTROL_IDLE_SEC, 0 };
	struct event_base	*base = evconnlistener_get_base(lev);
	bool			 ok;

	if ((c = calloc(1, sizeof *c)) == NULL)
		fatal("calloc");
	c->ctl = ctl;
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nconn++;
	bufferevent_setcb(c->bev, control_read_cb, control_write_cb,
	    control_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONTROL_MAX_REQUEST + 1);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);

	if (control_peer_get(fd, &c->peer) != 0) {
		ctl->refused++;
		log_rl(LOG_LVL_WARN, "control-refused", "control: peer "
		    "credentials unavailable; refused");
		control_error(c, "permission denied", true);
		return;
	}
	ok = control_peer_ok(ctl, fd, &c->peer);
	if (!ok) {
		ctl->refused++;
		log_rl(LOG_LVL_WARN, "control-refused", "control: refused %s "
		    "(uid %u, gid %u, pid %d): not in the control group",
		    c->peer.user, (unsigned int)c->peer.uid,
		    (unsigned int)c->peer.gid, (int)c->peer.pid);
		control_error(c, "permission denied: not in keibid's control "
		    "group", true);
		return;
	}
	if (ctl->nconn > CONTROL_MAX_CLIENTS) {
		log_rl(LOG_LVL_WARN, "control-busy", "control: more than %d "
		    "connections; refused %s (pid %d)", CONTROL_MAX_CLIENTS,
		    c->peer.user, (int)c->peer.pid);
		control_error(c, "too many connections", true);
		return;
	}
}

/* Accepting failed (out of descriptors): say so, keep listening. */
static void
control_accept_error(struct evconnlistener *lev, void *arg)
{
	log_rl(LOG_LVL_WARN, "control-accept", "control: accept: %s",
	    strerror(errno));
}

/*
 * An existing socket at path: 1 if something answers there, 0 if it is a
 * stale socket (removed), -1 with *cause otherwise.
 */
static int
control_stale(const char *path, const struct sockaddr_un *sun, char **cause)
{
	struct stat	sb;
	int		fd, rc;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(sb.st_mode)) {
		if (asprintf(cause, "control socket %s: exists and is not a "
		    "socket", path) == -1)
			fatal("asprintf");
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	rc = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	close(fd);
	if (rc == 0)
		return 1;
	if (errno != ECONNREFUSED) {
		if (asprintf(cause, "control socket %s: %s", path,
		    strerror(errno)) == -1)
			fatal("asprintf");
		return -1;
	}
	unlink(path);
	return 0;
}

/*
 * Make a control listening for path: bound at bindpath (path itself, or
 * a temporary name beside it that control_replace() moves over path).
 * NULL with *cause; *busy when something answers at bindpath already.
 */
static struct control *
control_bind(struct keibid *kd, const char *path, const char *bindpath,
    const char *group, bool *busy, char **cause)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	struct group		*gr;
	struct stat		 sb;
	mode_t			 old;
	int			 fd = -1, rc;

	*busy = false;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(bindpath) >= sizeof sun.sun_path) {
		if (asprintf(cause, "control socket %s: path too long",
		    bindpath) == -1)
			fatal("asprintf");
		return NULL;
	}
	memcpy(sun.sun_path, bindpath, strlen(bindpath));
	if ((ctl = calloc(1, sizeof *ctl)) == NULL)
		fatal("calloc");
	TAILQ_INIT(&ctl->conns);
	TAILQ_INIT(&ctl->retired);
	ctl->kd = kd;
	ctl->gid = getegid();
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			if (asprintf(cause, "control_group %s: no such group",
			    group) == -1)
				fatal("asprintf");
			goto fail;
		}
		ctl->gid = gr->gr_gid;
	}
	if ((rc = control_stale(bindpath, &sun, cause)) != 0) {
		if (rc == 1) {
			*busy = true;
			if (asprintf(cause, "control socket %s answers: "
			    "another keibid runs with it", bindpath) == -1)
				fatal("asprintf");
		} else if (*cause == NULL && asprintf(cause, "control socket "
		    "%s: %s", bindpath, strerror(errno)) == -1)
			fatal("asprintf");
		goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		fatal("socket");
	/* Mode 0660 from the start: no moment with looser permissions. */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc != 0 || chown(bindpath, (uid_t)-1, ctl->gid) != 0 ||
	    lstat(bindpath, &sb) != 0) {
		if (asprintf(cause, "control socket %s: %s", bindpath,
		    strerror(errno)) == -1)
			fatal("asprintf");
		if (rc == 0)
			unlink(bindpath);
		goto fail;
	}
	if ((ctl->path = strdup(path)) == NULL)
		fatal("strdup");
	if (strcmp(path, bindpath) != 0 &&
	    (ctl->tmp = strdup(bindpath)) == NULL)
		fatal("strdup");
	ctl->dev = sb.st_dev;
	ctl->ino = sb.st_ino;
	ctl->lev = evconnlistener_new(kd->base, control_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, fd);
	if (ctl->lev == NULL) {
		if (asprintf(cause, "control socket %s: cannot listen",
		    bindpath) == -1)
			fatal("asprintf");
		unlink(bindpath);
		goto fail;
	}
	fd = -1;
	evconnlistener_set_error_cb(ctl->lev, control_accept_error);
	return ctl;
fail:
	if (fd != -1)
		close(fd);
	control_close(ctl);
	return NULL;
}

struct control *
control_open(struct keibid *kd, const char *path, const char *group,
    bool *busy, char **cause)
{
	return control_bind(kd, path, path, group, busy, cause);
}

struct control *
control_reopen(struct keibid *kd, const struct control *old,
    const char *path, const char *group, char **cause)
{
	struct control	*ctl;
	char		*tmp;
	bool		 busy;

	if (old == NULL || old->path == NULL || strcmp(old->path, path) != 0)
		return control_bind(kd, path, path, group, &busy, cause);
	/* The same path: bind beside it, renamed over it when swapped. */
	if (asprintf(&tmp, "%s.new", path) == -1)
		fatal("asprintf");
	ctl = control_bind(kd, path, tmp, group, &busy, cause);
	free(tmp);
	return ctl;
}

struct control *
control_replace(struct control *old, struct control *new)
{
	struct control	*r;
	struct stat	 sb;

	if (new->tmp != NULL) {
		if (rename(new->tmp, new->path) != 0) {
			log_warn("control socket: rename %s to %s; the old "
			    "socket stays", new->tmp, new->path);
			control_close(new);
			return old;
		}
		free(new->tmp);
		new->tmp = NULL;
	}
	if (old == NULL)
		return new;
	new->served += old->served;
	new->refused += old->refused;
	new->inc_cb = old->inc_cb;
	new->inc_arg = old->inc_arg;
	/* Stop listening; the socket file goes unless it is new's now. */
	if (old->lev != NULL)
		evconnlistener_free(old->lev);
	old->lev = NULL;
	if (old->path != NULL && lstat(old->path, &sb) == 0 &&
	    sb.st_dev == old->dev && sb.st_ino == old->ino)
		unlink(old->path);
	free(old->path);
	old->path = NULL;
	while ((r = TAILQ_FIRST(&old->retired)) != NULL) {
		TAILQ_REMOVE(&old->retired, r, rentry);
		r->owner = new;
		TAILQ_INSERT_TAIL(&new->retired, r, rentry);
	}
	if (old->nconn == 0) {
		control_close(old);
		return new;
	}
	old->owner = new;
	TAILQ_INSERT_TAIL(&new->retired, old, rentry);
	return new;
}

void
control_close(struct control *ctl)
{
	struct control		*r;
	struct control_conn	*c;
	struct stat		 sb;

	if (ctl == NULL)
		return;
	while ((r = TAILQ_FIRST(&ctl->retired)) != NULL) {
		TAILQ_REMOVE(&ctl->retired, r, rentry);
		r->owner = NULL;
		control_close(r);
	}
	while ((c = TAILQ_FIRST(&ctl->conns)) != NULL)
		control_conn_free(c);
	if (ctl->lev != NULL)
		evconnlistener_free(ctl->lev);
	/* Remove the socket only if it is still ours. */
	if (ctl->tmp != NULL) {
		if (lstat(ctl->tmp, &sb) == 0 && sb.st_dev == ctl->dev &&
		    sb.st_ino == ctl->ino)
			unlink(ctl->tmp);
	} else if (ctl->path != NULL && lstat(ctl->path, &sb) == 0 &&
	    sb.st_dev == ctl->dev && sb.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->tmp);
	free(ctl->path);
	free(ctl);
}

void
control_set_incidents(struct control *ctl, control_incident_cb cb, void *arg)
{
	ctl->inc_cb = cb;
	ctl->inc_arg = arg;
}

void
control_counts(const struct control *ctl, uint64_t *served,
    uint64_t *refused)
{
	*served = ctl != NULL ? ctl->served : 0;
	*refused = ctl != NULL ? ctl->refused : 0;
}
