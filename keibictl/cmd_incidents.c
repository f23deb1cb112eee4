/*
 * cmd_incidents.c: the CSIRT's incident commands.  incidents lists them,
 * show prints one, and ack, set-status, close and note change one.  A
 * change goes to the running keibid over its control socket, which applies
 * it at once and names as its author the Unix user the kernel reports for
 * the socket's peer.  When no keibid answers there, the change is left in
 * the store's changes table with the Unix user running keibictl (getuid)
 * as its author, and the output says so; if no keibid owns the store,
 * keibictl applies it itself through the incident manager (the same code
 * the daemon runs), otherwise it waits for keibid to apply it.  Revisions
 * wait in the outbox until keibid delivers them.
 *
 * These commands must never print a byte of a record unescaped, and
 * never write the store while keibid owns it.
 */
#include "config.h"

#include <sys/types.h>

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "incident.h"
#include "incidents.h"
#include "keibictl.h"
#include "live.h"
#include "log.h"
#include "store.h"

#define CTL_WAIT_MS	5000	/* for keibid to apply a change */

struct store *
ctl_store(const struct config *conf, bool rw)
{
	struct store	*st;
	char		*cause = NULL;

	st = store_open(conf->state_dir, rw ? 0 : STORE_RDONLY, NULL, &cause);
	if (st == NULL) {
		fprintf(stderr, "keibictl: %s\n", cause);
		free(cause);
		exit(1);
	}
	return st;
}

json_t *
ctl_incident(struct store *st, const char *id)
{
	char	*doc;
	json_t	*j;

	if ((doc = store_incident_doc(st, id)) == NULL)
		return NULL;
	j = json_loads(doc, 0, NULL);
	free(doc);
	return j;
}

const char *
ctl_j(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

const char *
ctl_term(const char *s, char *buf, size_t size)
{
	return log_escape(s, strlen(s), buf, size);
}

void
ctl_resolve_refs(const struct config *conf, json_t *doc)
{
	json_t		*refs, *r, *e;
	FILE		*f;
	char		*path, *line = NULL;
	size_t		 cap = 0, i;
	json_int_t	 off;

	refs = json_object_get(json_object_get(doc, "evidence"), "refs");
	if (json_array_size(refs) == 0 || conf->evidence_dir == NULL)
		return;
	if (asprintf(&path, "%s/MANIFEST.jsonl", conf->evidence_dir) == -1)
		fatal("asprintf");
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		if ((e = json_loads(line, 0, NULL)) == NULL)
			continue;
		json_array_foreach(refs, i, r) {
			off = json_integer_value(json_object_get(r, "offset"));
			if (json_object_get(r, "segment") != NULL ||
			    json_integer_value(json_object_get(r, "dev")) !=
			    json_integer_value(json_object_get(e, "dev")) ||
			    json_integer_value(json_object_get(r, "inode")) !=
			    json_integer_value(json_object_get(e, "inode")) ||
			    off < json_integer_value(json_object_get(e,
			    "offset_start")) ||
			    off >= json_integer_value(json_object_get(e,
			    "offset_end")))
				continue;
			json_object_set(r, "segment", json_object_get(e,
			    "file"));
			json_object_set(r, "sha256", json_object_get(e,
			    "sha256_gz"));
			json_object_set(r, "sha256_raw", json_object_get(e,
			    "sha256_raw"));
			json_object_set_new(r, "segment_offset", json_integer(
			    off - json_integer_value(json_object_get(e,
			    "offset_start"))));
		}
		json_decref(e);
	}
	free(line);
	fclose(f);
}

/* The configuration, which these commands need. */
static struct config *
ctl_need_config(void)
{
	struct config	*conf;

	if ((conf = ctl_config()) == NULL) {
		fprintf(stderr, "keibictl: no configuration (use -c FILE)\n");
		exit(2);
	}
	return conf;
}

/* "2026-11-21 10:15" of a unix time, local. */
static void
ctl_time(int64_t t, char *buf, size_t size)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

static int
ctl_incidents_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "status", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		*conf;
	struct store		*st;
	struct store_incident	*v;
	const char		*status = "open";
	char			 t1[32], e1[256], e2[64];
	bool			 json = false;
	size_t			 n, i;
	int			 ch;
	json_t			*o, *a;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "as:j", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			status = NULL;
			break;
		case 's':
			status = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return 2;
		}
	}
	conf = ctl_need_config();
	st = ctl_store(conf, false);
	n = store_incidents(st, status, &v);
	if (json) {
		a = json_array();
		for (i = 0; i < n; i++) {
			o = json_pack("{ss ss ss ss ss sI sI ss}", "id",
			    v[i].id,
			    "category", v[i].category != NULL ?
			    v[i].category : "", "severity", v[i].severity !=
			    NULL ? v[i].severity : "", "status", v[i].status !=
			    NULL ? v[i].status : "", "activity",
			    v[i].activity != NULL ? v[i].activity : "",
			    "revision", (json_int_t)v[i].revision, "opened_at",
			    (json_int_t)v[i].opened_at, "title",
			    v[i].title != NULL ? v[i].title : "");
			json_array_append_new(a, o);
		}
		json_dumpf(a, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		printf("\n");
		json_decref(a);
	} else {
		if (n == 0)
			printf("no %s incidents\n", status != NULL ? status :
			    "recorded");
		for (i = 0; i < n; i++) {
			ctl_time(v[i].opened_at, t1, sizeof t1);
			printf("%-16s %-16s %-8s %-12s %-6s %s  %s\n", v[i].id,
			    t1, v[i].severity != NULL ? v[i].severity : "",
			    v[i].status != NULL ? v[i].status : "",
			    v[i].activity != NULL ? v[i].activity : "",
			    ctl_term(v[i].category != NULL ? v[i].category :
			    "", e2, sizeof e2), ctl_term(v[i].title != NULL ?
			    v[i].title : "", e1, sizeof e1));
		}
	}
	store_incidents_free(v, n);
	store_close(st);
	config_free(conf);
	return 0;
}

/* Print a record for people. */
static void
ctl_show(json_t *doc, struct store *st)
{
	struct store_tl	*tl;
	json_t		*v, *ev;
	char		 e[4200], t[32], by[64];
	size_t		 i, n;

	printf("%s  %s\n", ctl_j(doc, "id"), ctl_term(ctl_j(doc, "title"), e,
	    sizeof e));
	printf("  %s\n\n", ctl_term(ctl_j(doc, "summary"), e, sizeof e));
	printf("  category     %s (%s; %s)\n", ctl_j(doc, "category"),
	    ctl_j(json_object_get(doc, "classification"), "rsit"),
	    ctl_j(json_object_get(doc, "classification"), "jp_category"));
	printf("  severity     %s   status %s%s%s   activity %s\n",
	    ctl_j(doc, "severity"), ctl_j(doc, "status"),
	    json_is_string(json_object_get(doc, "resolution")) ? " / " : "",
	    ctl_j(doc, "resolution"), ctl_j(doc, "activity"));
	printf("  revision     %lld   occurrence %lld   alerts %lld\n",
	    (long long)json_integer_value(json_object_get(doc, "revision")),
	    (long long)json_integer_value(json_object_get(doc, "occurrence")),
	    (long long)json_integer_value(json_object_get(doc,
	    "alert_count")));
	printf("  seen         %s .. %s\n", ctl_j(doc, "first_seen"),
	    ctl_j(doc, "last_seen"));
	printf("  opened       %s   updated %s\n", ctl_j(doc, "opened_at"),
	    ctl_j(doc, "updated_at"));
	printf("  our hosts   ");
	json_array_foreach(json_object_get(doc, "internal_hosts"), i, v)
		printf(" %s", ctl_term(json_string_value(v), e, sizeof e));
	printf("\n  users       ");
	json_array_foreach(json_object_get(doc, "users"), i, v)
		printf(" %s", ctl_term(json_string_value(v), e, sizeof e));
	printf("\n  rules       ");
	json_array_foreach(json_object_get(doc, "rules"), i, v)
		printf(" %s", ctl_term(json_string_value(v), e, sizeof e));
	printf("\n  remote       %lld\n", (long long)json_integer_value(
	    json_object_get(json_object_get(doc, "remote"), "count")));
	json_array_foreach(json_object_get(json_object_get(doc, "remote"),
	    "top"), i, v)
		printf("    %-40s %6lld %s %s\n", ctl_term(ctl_j(v, "value"), e,
		    sizeof e), (long long)json_integer_value(
		    json_object_get(v, "count")), ctl_j(v, "country"),
		    ctl_j(v, "as_org"));
	json_array_foreach(json_object_get(doc, "related"), i, v)
		printf("  related      %s (%s)\n", ctl_j(v, "id"),
		    ctl_j(v, "relation"));
	printf("  timeline\n");
	n = store_tl(st, ctl_j(doc, "id"), &tl);
	for (i = 0; i < n; i++) {
		ctl_time(tl[i].ts, t, sizeof t);
		printf("    %s %-10s %-10s %s\n", t, tl[i].kind,
		    ctl_term(tl[i].by != NULL ? tl[i].by : "", by, sizeof by),
		    ctl_term(tl[i].text != NULL ? tl[i].text : "", e,
		    sizeof e));
	}
	store_tl_free(tl, n);
	ev = json_object_get(doc, "evidence");
	printf("  evidence (%zu samples, %lld more)\n", json_array_size(
	    json_object_get(ev, "samples")), (long long)json_integer_value(
	    json_object_get(ev, "omitted")));
	json_array_foreach(json_object_get(ev, "samples"), i, v)
		printf("    %s %s\n", ctl_j(v, "ts"), ctl_term(ctl_j(v,
		    "raw"), e, sizeof e));
	json_array_foreach(json_object_get(ev, "refs"), i, v) {
		printf("    ref %s offset %lld length %lld", ctl_term(ctl_j(v,
		    "source"), e, 64), (long long)json_integer_value(
		    json_object_get(v, "offset")), (long long)
		    json_integer_value(json_object_get(v, "length")));
		if (json_object_get(v, "segment") != NULL)
			printf(" in %s sha256 %s", ctl_term(ctl_j(v, "segment"),
			    e, 256), ctl_j(v, "sha256"));
		else
			printf(" (segment not sealed yet)");
		printf("\n");
	}
}

static int
ctl_show_exec(int argc, char **argv)
{
	struct config	*conf;
	struct store	*st;
	json_t		*doc;
	bool		 json = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (argc != 2 && !json) {
		fprintf(stderr, "usage: keibictl show ID [--json]\n");
		return 2;
	}
	conf = ctl_need_config();
	st = ctl_store(conf, false);
	if ((doc = ctl_incident(st, argv[1])) == NULL) {
		fprintf(stderr, "keibictl: no incident %s\n", argv[1]);
		store_close(st);
		config_free(conf);
		return 1;
	}
	ctl_resolve_refs(conf, doc);
	if (json) {
		json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		printf("\n");
	} else
		ctl_show(doc, st);
	json_decref(doc);
	store_close(st);
	config_free(conf);
	return 0;
}

/* The Unix user running keibictl. */
static const char *
ctl_who(void)
{
	static char	 name[64];
	struct passwd	*pw;

	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL)
		snprintf(name, sizeof name, "%s", pw->pw_name);
	else
		snprintf(name, sizeof name, "uid %u", (unsigned)getuid());
	return name;
}

/*
 * Hand a change to the running keibid over its control socket, which
 * names the author from the socket's peer credentials.  LIVE_OK (done,
 * printed), LIVE_NONE (no daemon listens) or LIVE_ERROR (printed).
 */
static int
ctl_change_live(const char *id, const char *op, const char *status,
    const char *resolution, const char *note)
{
	json_t		*req, *res = NULL;
	const char	*cmd, *by, *st;
	char		*cause = NULL, e[512], b[128], t[128];
	int		 rc;

	if (strcmp(op, "note") == 0)
		cmd = "note";
	else if (strcmp(status, "acknowledged") == 0)
		cmd = "ack";
	else if (strcmp(status, "closed") == 0)
		cmd = "close";
	else
		cmd = "set_status";
	req = json_pack("{s:s, s:s}", "cmd", cmd, "id", id);
	if (strcmp(cmd, "set_status") == 0)
		json_object_set_new(req, "status", json_string(status));
	if (resolution != NULL)
		json_object_set_new(req, "resolution", json_string(resolution));
	if (note != NULL)
		json_object_set_new(req, "text", json_string(note));
	rc = live_request(req, &res, &cause);
	json_decref(req);
	if (rc == LIVE_OK) {
		by = json_string_value(json_object_get(res, "by"));
		st = json_string_value(json_object_get(res, "status"));
		printf("%s: %s%s%s by %s\n", id, op, strcmp(op, "note") == 0 ?
		    "" : " ", strcmp(op, "note") == 0 ? "" :
		    ctl_term(st != NULL ? st : status, t, sizeof t),
		    ctl_term(by != NULL ? by : "?", b, sizeof b));
	} else if (rc == LIVE_ERROR)
		fprintf(stderr, "keibictl: %s: %s\n", id,
		    ctl_term(cause != NULL ? cause : "failed", e, sizeof e));
	if (res != NULL)
		json_decref(res);
	free(cause);
	return rc;
}

/*
 * Change an incident: through the running keibid when one answers on the
 * control socket, else by leaving the change in the store, applied by
 * this process if no keibid owns the store, else by keibid.  Returns the
 * exit status.
 */
static int
ctl_change(const char *id, const char *op, const char *status,
    const char *resolution, const char *note)
{
	struct config		*conf;
	struct store		*st, *owner;
	struct store_change	 sc;
	struct incident_mgr	*im;
	char			*cause = NULL, *result = NULL, *doc;
	char			**outs = NULL;
	size_t			 nouts = 0, i;
	int64_t			 cid;
	int			 rc = 1, waited, r;
	bool			 busy;

	conf = ctl_need_config();
	switch (ctl_change_live(id, op, status, resolution, note)) {
	case LIVE_OK:
		config_free(conf);
		return 0;
	case LIVE_ERROR:
		config_free(conf);
		return 1;
	}
	st = ctl_store(conf, true);
	memset(&sc, 0, sizeof sc);
	sc.incident_id = (char *)id;
	sc.op = (char *)op;
	sc.arg = (char *)status;
	sc.resolution = (char *)resolution;
	sc.note = (char *)note;
	sc.who = (char *)ctl_who();
	sc.ts = (int64_t)time(NULL);
	if ((doc = store_incident_doc(st, id)) == NULL) {
		fprintf(stderr, "keibictl: no incident %s\n", id);
		goto out;
	}
	free(doc);
	if ((cid = store_change_add(st, &sc)) == -1 || store_commit(st) != 0) {
		fprintf(stderr, "keibictl: %s: the change could not be "
		    "recorded\n", store_path(st));
		goto out;
	}
	owner = store_open(conf->state_dir, STORE_OWNER, &busy, &cause);
	if (owner != NULL) {
		/* No keibid: apply it here, with the daemon's own code. */
		/* Its revisions wait in the outbox of every incident output. */
		for (i = 0; i < conf->noutputs; i++) {
			if (conf->outputs[i].name == NULL ||
			    strcmp(conf->outputs[i].type, "alerts") == 0)
				continue;
			outs = reallocarray(outs, nouts + 1, sizeof *outs);
			if (outs == NULL)
				fatal("reallocarray");
			outs[nouts++] = conf->outputs[i].name;
		}
		im = incident_open(conf, owner, NULL, outs, nouts);
		free(outs);
		incident_apply_changes(im);
		incident_sync(im);
		incident_close(im);
		store_close(owner);
	} else if (!busy) {
		fprintf(stderr, "keibictl: %s\n", cause);
		free(cause);
		goto out;
	}
	free(cause);
	for (waited = 0; waited < CTL_WAIT_MS; waited += 100) {
		r = store_change_result(st, cid, &result);
		if (r != 0)
			break;
		usleep(100000);
	}
	if (result == NULL) {
		printf("%s: keibid has not applied the change yet; it will\n",
		    id);
		rc = 0;
	} else if (strcmp(result, "ok") == 0) {
		printf("%s: %s%s%s by %s\n", id, op, status != NULL ? " " : "",
		    status != NULL ? status : "", sc.who);
		rc = 0;
	}
	if (result == NULL || strcmp(result, "ok") == 0) {
		/* The author is who ran keibictl: no socket vouched for it. */
		fprintf(stderr, "keibictl: no keibid answered on %s; the "
		    "change was left in the incident store as %s, the Unix "
		    "user running keibictl (uid %u)\n", live_socket(), sc.who,
		    (unsigned int)getuid());
	} else {
		char	e[512];

		fprintf(stderr, "keibictl: %s\n", ctl_term(result, e,
		    sizeof e));
	}
	free(result);
out:
	store_close(st);
	config_free(conf);
	return rc;
}

/* Parse --note TEXT / --resolution R after the id. */
static int
ctl_change_opts(int argc, char **argv, const char **note,
    const char **resolution)
{
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "resolution", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	optind = 0;	/* reset getopt, with options after the id allowed */
	while ((ch = getopt_long(argc, argv, "n:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			*note = optarg;
			break;
		case 'r':
			if (resolution == NULL)
				return -1;
			*resolution = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind;
}

static int
ctl_ack_exec(int argc, char **argv)
{
	const char	*note = NULL;
	int		 i;

	if ((i = ctl_change_opts(argc, argv, &note, NULL)) == -1 ||
	    i + 1 != argc) {
		fprintf(stderr, "usage: keibictl ack ID [--note TEXT]\n");
		return 2;
	}
	return ctl_change(argv[i], "status", "acknowledged", NULL, note);
}

static int
ctl_set_status_exec(int argc, char **argv)
{
	const char	*note = NULL, *res = NULL;
	int		 i;

	if ((i = ctl_change_opts(argc, argv, &note, &res)) == -1 ||
	    i + 2 != argc) {
		fprintf(stderr, "usage: keibictl set-status ID STATUS "
		    "[--resolution R] [--note TEXT]\n");
		return 2;
	}
	return ctl_change(argv[i], "status", argv[i + 1], res, note);
}

static int
ctl_close_exec(int argc, char **argv)
{
	const char	*note = NULL, *res = NULL;
	int		 i;

	if ((i = ctl_change_opts(argc, argv, &note, &res)) == -1 ||
	    i + 1 != argc || res == NULL) {
		fprintf(stderr, "usage: keibictl close ID --resolution "
		    "true_positive|false_positive|benign|duplicate|"
		    "indeterminate [--note TEXT]\n");
		return 2;
	}
	return ctl_change(argv[i], "status", "closed", res, note);
}

static int
ctl_note_exec(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: keibictl note ID TEXT\n");
		return 2;
	}
	return ctl_change(argv[1], "note", NULL, NULL, argv[2]);
}

const struct ctl_cmd ctl_cmd_incidents = {
	.name = "incidents",
	.usage = "incidents [--all | --status S] [--json]\n"
	    "        list the open incidents (or all, or those of status S)",
	.exec = ctl_incidents_exec,
};

const struct ctl_cmd ctl_cmd_show = {
	.name = "show",
	.usage = "show ID [--json]\n"
	    "        one incident: its record, full timeline and evidence",
	.exec = ctl_show_exec,
};

const struct ctl_cmd ctl_cmd_ack = {
	.name = "ack",
	.usage = "ack ID [--note TEXT]\n"
	    "        acknowledge an incident (you are named in its timeline)",
	.exec = ctl_ack_exec,
};

const struct ctl_cmd ctl_cmd_set_status = {
	.name = "set-status",
	.usage = "set-status ID STATUS [--resolution R] [--note TEXT]\n"
	    "        acknowledged, in_progress, contained, resolved, closed, "
	    "merged",
	.exec = ctl_set_status_exec,
};

const struct ctl_cmd ctl_cmd_close = {
	.name = "close",
	.usage = "close ID --resolution R [--note TEXT]\n"
	    "        close with true_positive, false_positive, benign, "
	    "duplicate or indeterminate",
	.exec = ctl_close_exec,
};

const struct ctl_cmd ctl_cmd_note = {
	.name = "note",
	.usage = "note ID TEXT\n"
	    "        add a note to an incident's timeline",
	.exec = ctl_note_exec,
};
