/*
 * cmd_alerts.c: keibictl alerts, an alert file summarised for people.
 * Strings from the file (which hold text from log lines) are escaped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "keibictl.h"
#include "log.h"

/* A string member, escaped for the terminal, or "-". */
static const char *
ctl_str(json_t *o, const char *path, char *buf, size_t size)
{
	json_t		*v = o;
	char		 key[128];
	const char	*p = path, *dot;
	size_t		 n;

	/* Keys hold dots themselves ("source.ip"): try the whole rest first. */
	while (v != NULL && *p != '\0') {
		json_t	*whole = json_object_get(v, p);

		if (whole != NULL) {
			v = whole;
			break;
		}
		dot = strchr(p, '/');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof key)
			return "-";
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		p += n + (dot != NULL);
		if (dot == NULL)
			break;
	}
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (!json_is_string(v))
		return "-";
	return log_escape(json_string_value(v), json_string_length(v), buf,
	    size);
}

/* Add value v to the set object set (keys only). */
static void
ctl_set_add(json_t *set, json_t *v)
{
	if (json_is_string(v))
		json_object_set_new(set, json_string_value(v), json_true());
}

/* Print up to max keys of a set, escaped, with a count of the rest. */
static void
ctl_set_print(const char *label, json_t *set, size_t max)
{
	const char	*k;
	json_t		*v;
	size_t		 n = 0, total = json_object_size(set);
	char		 esc[256];

	if (total == 0)
		return;
	printf("    %s:", label);
	json_object_foreach(set, k, v) {
		if (n++ == max)
			break;
		printf(" %s", log_escape(k, strlen(k), esc, sizeof esc));
	}
	if (total > max)
		printf(" (+%zu more)", total - max);
	printf("\n");
}

/*
 * Alerts grouped by rule and internal actor (source address, else user),
 * with counts, event-time span and the remote targets: what a person wants
 * to read first.  --list prints every alert instead.
 */
static int
ctl_alerts_exec(int argc, char **argv)
{
	FILE		*f = stdin;
	const char	*name = "<stdin>", *key;
	json_error_t	 err;
	json_t		*o, *groups, *g, *ev;
	char		*line = NULL, gkey[512];
	size_t		 cap = 0, n = 0, nalerts = 0;
	ssize_t		 len;
	bool		 list = false;
	int		 i;
	char		 t[64], sev[16], id[80], title[256], src[80], who[80],
			 dst[160], user[80];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0)
			list = true;
		else if (f == stdin) {
			name = argv[i];
			if ((f = fopen(name, "r")) == NULL) {
				fprintf(stderr, "keibictl: %s: %s\n", name,
				    strerror(errno));
				return 1;
			}
		} else {
			ctl_usage(stderr);
			return 2;
		}
	}
	groups = json_object();
	while ((len = getline(&line, &cap, f)) != -1) {
		n++;
		if ((o = json_loadb(line, (size_t)len, 0, &err)) == NULL) {
			fprintf(stderr, "keibictl: %s:%zu: %s\n", name, n,
			    err.text);
			continue;
		}
		nalerts++;
		ev = json_object_get(o, "event");
		if (list) {
			printf("%s  %-8s %-12s %s: %s -> %s  %s\n",
			    ctl_str(o, "@timestamp", t, sizeof t),
			    ctl_str(o, "rule/severity", sev, sizeof sev),
			    ctl_str(o, "rule/id", id, sizeof id),
			    ctl_str(o, "source", src, sizeof src),
			    ctl_str(o, "event/source.ip", who, sizeof who),
			    ctl_str(o, json_object_get(ev, "url.domain") ?
			    "event/url.domain" : json_object_get(ev,
			    "email.to.address") ? "event/email.to.address" :
			    "event/destination.ip", dst, sizeof dst),
			    ctl_str(o, "event/user.name", user, sizeof user));
			json_decref(o);
			continue;
		}
		snprintf(gkey, sizeof gkey, "%s\t%s",
		    ctl_str(o, "rule/id", id, sizeof id),
		    json_object_get(ev, "source.ip") != NULL ?
		    ctl_str(o, "event/source.ip", who, sizeof who) :
		    ctl_str(o, "event/user.name", who, sizeof who));
		if ((g = json_object_get(groups, gkey)) == NULL) {
			g = json_pack("{s:O,s:i,s:O,s:O,s:o,s:o}",
			    "rule", json_object_get(o, "rule"), "count", 0,
			    "first", json_object_get(o, "@timestamp"),
			    "last", json_object_get(o, "@timestamp"),
			    "remote", json_object(), "users", json_object());
			json_object_set_new(groups, gkey, g);
		}
		json_object_set_new(g, "count", json_integer(
		    json_integer_value(json_object_get(g, "count")) + 1));
		json_object_set(g, "last", json_object_get(o, "@timestamp"));
		ctl_set_add(json_object_get(g, "remote"),
		    json_object_get(ev, "url.domain") != NULL ?
		    json_object_get(ev, "url.domain") :
		    json_object_get(ev, "email.to.address") != NULL ?
		    json_object_get(ev, "email.to.address") :
		    json_object_get(ev, "destination.ip"));
		ctl_set_add(json_object_get(g, "users"),
		    json_object_get(ev, "user.name"));
		json_decref(o);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (!list) {
		json_object_foreach(groups, key, g) {
			const char	*tab = strchr(key, '\t');

			printf("%-8s %-12s %s\n",
			    ctl_str(g, "rule/severity", sev, sizeof sev),
			    ctl_str(g, "rule/id", id, sizeof id),
			    ctl_str(g, "rule/title", title, sizeof title));
			printf("    origin: %s (our host)  alerts: %lld  "
			    "from %s to %s\n", log_escape(tab + 1, strlen(tab + 1),
			    who, sizeof who), (long long)json_integer_value(
			    json_object_get(g, "count")),
			    ctl_str(g, "first", t, sizeof t),
			    ctl_str(g, "last", dst, sizeof dst));
			ctl_set_print("users", json_object_get(g, "users"), 5);
			ctl_set_print("targets", json_object_get(g, "remote"),
			    5);
		}
		printf("%zu alerts in %zu groups\n", nalerts,
		    json_object_size(groups));
	}
	json_decref(groups);
	return 0;
}

const struct ctl_cmd ctl_cmd_alerts = {
	.name = "alerts",
	.usage =
"alerts [--list] [FILE]\n"
"        summarise a JSON Lines alert file for people: grouped by rule and\n"
"        internal origin, with counts, times, users and targets;\n"
"        --list prints one line per alert",
	.exec = ctl_alerts_exec,
};
