/*
 * cmd_status.c: keibictl status and keibictl reload, the live commands
 * that ask a running keibid over its control socket.  status shows the
 * sources (position, lag, rotations), the rules and their hits, the
 * memory of each kind of correlator (detectors too), the outputs, the
 * evidence archive and every warning; reload re-reads the configuration
 * and rules and says whether the new set took effect and, if not, why.  Human text by default,
 * --json for scripts.  Every string from the daemon is escaped before it
 * reaches the terminal: paths and errors may quote hostile bytes.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "keibictl.h"
#include "live.h"
#include "log.h"

/* A string member escaped for the terminal, or "-". */
static const char *
status_str(json_t *o, const char *key, char *buf, size_t size)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_string(v))
		return "-";
	return log_escape(json_string_value(v), json_string_length(v), buf,
	    size);
}

/* An integer member, 0 if absent. */
static long long
status_int(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "12.3 MiB" of n bytes. */
static const char *
status_bytes(long long n, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	d = (double)n;
	size_t	u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", d, units[u]);
	return buf;
}

/* "3d4h", "2h05m", "7m12s", "40s" of s seconds. */
static const char *
status_dur(long long s, char *buf, size_t size)
{
	if (s >= 86400)
		snprintf(buf, size, "%lldd%lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, size, "%llds", s);
	return buf;
}

/* Print the status object for people. */
static void
status_print(json_t *st)
{
	json_t		*o, *a, *v;
	char		 e1[512], e2[512], e3[128], b1[32], b2[32];
	size_t		 i;

	printf("keibid %s, pid %lld, up %s (since %s)\n",
	    status_str(st, "version", e1, sizeof e1), status_int(st, "pid"),
	    status_dur(status_int(st, "uptime_s"), b1, sizeof b1),
	    status_str(st, "started", e2, sizeof e2));
	o = json_object_get(st, "reload");
	printf("config %s; ", status_str(st, "config", e1, sizeof e1));
	if (json_is_null(json_object_get(o, "last")))
		printf("not reloaded since start\n");
	else {
		printf("last reload %s %s (%lld done, %lld failed)\n",
		    status_str(o, "last", e2, sizeof e2),
		    json_is_true(json_object_get(o, "ok")) ? "ok" : "FAILED",
		    status_int(o, "count"), status_int(o, "failures"));
	}

	a = json_object_get(st, "sources");
	printf("\n%-12s %-10s %12s %10s %5s %10s %10s %7s %7s  %s\n",
	    "SOURCE", "PARSER", "POSITION", "LAG", "ROT", "LINES", "EVENTS",
	    "ERRORS", "ALERTS", "FILE");
	json_array_foreach(a, i, v) {
		printf("%-12s %-10s %12lld %10s %5lld %10lld %10lld %7lld "
		    "%7lld  %s%s\n",
		    status_str(v, "name", e1, sizeof e1),
		    status_str(v, "parser", e2, sizeof e2),
		    status_int(v, "offset"),
		    status_bytes(status_int(v, "lag_bytes"), b1, sizeof b1),
		    status_int(v, "rotations"), status_int(v, "lines"),
		    status_int(v, "events"), status_int(v, "malformed"),
		    status_int(v, "alerts"),
		    json_is_true(json_object_get(v, "open")) ?
		    status_str(v, "file", e3, sizeof e3) :
		    status_str(v, "path", e3, sizeof e3),
		    json_is_true(json_object_get(v, "open")) ? "" :
		    " (missing)");
	}

	o = json_object_get(st, "rules");
	printf("\nrules: %lld loaded, %lld alerts, %lld PCRE2 limit hits\n",
	    status_int(o, "loaded"), status_int(o, "alerts"),
	    status_int(o, "limit_hits"));
	json_array_foreach(json_object_get(o, "hits"), i, v) {
		printf("  %-14s %-8s %8lld alerts %10lld matches",
		    status_str(v, "id", e1, sizeof e1),
		    status_str(v, "severity", e2, sizeof e2),
		    status_int(v, "hits"), status_int(v, "matches"));
		if (status_int(v, "suppressed") != 0)
			printf(", %lld suppressed",
			    status_int(v, "suppressed"));
		if (status_int(v, "limit_hits") != 0)
			printf(", %lld limit hits",
			    status_int(v, "limit_hits"));
		if (status_int(v, "dropped") != 0)
			printf(", %lld evicted", status_int(v, "dropped"));
		printf("\n");
	}
	o = json_object_get(st, "correlation");
	a = json_object_get(o, "kinds");
	if (!json_is_array(a)) {
		/* A keibid that does not tell the detectors' memory. */
		printf("correlation: %lld groups in %s, %lld evicted\n",
		    status_int(o, "groups"),
		    status_bytes(status_int(o, "bytes"), b1, sizeof b1),
		    status_int(o, "dropped"));
	} else {
		printf("correlators: %s in all, %lld evicted\n",
		    status_bytes(status_int(o, "total_bytes"), b1, sizeof b1),
		    status_int(o, "dropped"));
		json_array_foreach(a, i, v) {
			printf("  %-10s %4lld rules %10lld entries %10s "
			    "%8lld evicted\n",
			    status_str(v, "kind", e1, sizeof e1),
			    status_int(v, "rules"), status_int(v, "entries"),
			    status_bytes(status_int(v, "bytes"), b1,
			    sizeof b1), status_int(v, "evictions"));
		}
	}

	a = json_object_get(st, "outputs");
	if (json_array_size(a) > 0)
		printf("\noutputs:\n");
	json_array_foreach(a, i, v) {
		printf("  %s: %lld written, %lld errors\n",
		    status_str(v, "name", e1, sizeof e1),
		    status_int(v, "written"), status_int(v, "errors"));
	}
	if ((o = json_object_get(st, "outbox")) != NULL)
		printf("outbox: %lld waiting\n", status_int(o, "depth"));

	if ((o = json_object_get(st, "evidence")) != NULL) {
		printf("\nevidence %s: %s read, %s stored, %lld segments "
		    "sealed, %lld gaps, %lld errors\n",
		    status_str(o, "dir", e1, sizeof e1),
		    status_bytes(status_int(o, "raw_bytes"), b1, sizeof b1),
		    status_bytes(status_int(o, "gz_bytes"), b2, sizeof b2),
		    status_int(o, "sealed"), status_int(o, "gaps"),
		    status_int(o, "errors"));
		if (json_is_null(json_object_get(o, "last_seal")))
			printf("  no segment sealed since start\n");
		else
			printf("  last seal %s, %s ago\n",
			    status_str(o, "last_seal", e2, sizeof e2),
			    status_dur(status_int(o, "seal_age_s"), b1,
			    sizeof b1));
	}
	o = json_object_get(st, "loop");
	printf("loop lag %lld ms (max %lld ms)\n", status_int(o, "lag_ms"),
	    status_int(o, "lag_max_ms"));

	a = json_object_get(st, "warnings");
	if (json_array_size(a) == 0) {
		printf("\nno warnings\n");
		return;
	}
	printf("\nwarnings:\n");
	json_array_foreach(a, i, v) {
		printf("  ! %s\n", log_escape(json_string_value(v),
		    json_string_length(v), e1, sizeof e1));
	}
}

/* Print a JSON value for scripts. */
static void
status_json(json_t *v)
{
	char	*s;

	if ((s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		fatalx("json_dumps");
	printf("%s\n", s);
	free(s);
}

/* Print a cause (from the daemon or the socket) escaped, line by line. */
static void
status_cause(const char *prefix, const char *cause)
{
	const char	*p = cause, *nl;
	char		 e[1024];

	fprintf(stderr, "keibictl: %s", prefix);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		fprintf(stderr, "%s%s\n", p == cause ? "" : "  ",
		    log_escape(p, nl != NULL ? (size_t)(nl - p) : strlen(p),
		    e, sizeof e));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Parse [--json]; -1 on a usage error. */
static int
status_args(int argc, char **argv, bool *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	*json = false;
	while ((ch = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (ch != 'j')
			return -1;
		*json = true;
	}
	return optind == argc ? 0 : -1;
}

/* Send {"cmd": name}; the exit status on failure, or 0 with *res. */
static int
status_ask(const char *name, json_t **res)
{
	json_t	*req;
	char	*cause;
	int	 rc;

	req = json_pack("{s:s}", "cmd", name);
	rc = live_request(req, res, &cause);
	json_decref(req);
	if (rc == LIVE_OK)
		return 0;
	status_cause(rc == LIVE_NONE ? "" : strcmp(name, "reload") == 0 ?
	    "reload failed, the running configuration stays:\n" : "", cause);
	free(cause);
	return rc == LIVE_NONE ? LIVE_EXIT_DOWN : 1;
}

static int
status_exec(int argc, char **argv)
{
	json_t	*res;
	bool	 json;
	int	 rc;

	if (status_args(argc, argv, &json) != 0) {
		fprintf(stderr, "usage: keibictl status [--json]\n");
		return 2;
	}
	if ((rc = status_ask("status", &res)) != 0)
		return rc;
	if (json)
		status_json(res);
	else
		status_print(res);
	json_decref(res);
	return 0;
}

static int
reload_exec(int argc, char **argv)
{
	json_t	*res;
	bool	 json;
	int	 rc;

	if (status_args(argc, argv, &json) != 0) {
		fprintf(stderr, "usage: keibictl reload [--json]\n");
		return 2;
	}
	if ((rc = status_ask("reload", &res)) != 0)
		return rc;
	if (json)
		status_json(res);
	else
		printf("reloaded: %lld rules, %lld sources, %lld outputs\n",
		    status_int(res, "rules"), status_int(res, "sources"),
		    status_int(res, "outputs"));
	json_decref(res);
	return 0;
}

const struct ctl_cmd ctl_cmd_status = {
	.name = "status",
	.usage = "status [--json]\n        the running keibid: sources, rules, "
	    "correlation, outputs, evidence, warnings",
	.exec = status_exec,
};

const struct ctl_cmd ctl_cmd_reload = {
	.name = "reload",
	.usage = "reload [--json]\n        make the running keibid re-read its "
	    "configuration and rules;\n        on any error the running set "
	    "stays and the reason is printed",
	.exec = reload_exec,
};
