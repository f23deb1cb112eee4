/*
 * keibictl.c: the detection engineer's and the CSIRT's command line.
 * Commands that read files work without a daemon.  Each command lives in
 * its own cmd_*.c file and is listed once in ctl_cmds below.  Every byte
 * that came from a log line is escaped before it reaches the terminal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keibictl.h"
#include "live.h"
#include "log.h"
#include "parser.h"
#include "rule.h"
#include "tz.h"

const char	*ctl_config_path;

static const char *const ctl_default_internal[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", NULL
};

extern const struct ctl_cmd ctl_cmd_parse;
extern const struct ctl_cmd ctl_cmd_test;
extern const struct ctl_cmd ctl_cmd_alerts;
extern const struct ctl_cmd ctl_cmd_verify;
extern const struct ctl_cmd ctl_cmd_hunt;
extern const struct ctl_cmd ctl_cmd_extract;
extern const struct ctl_cmd ctl_cmd_replay;
extern const struct ctl_cmd ctl_cmd_status;
extern const struct ctl_cmd ctl_cmd_reload;
extern const struct ctl_cmd ctl_cmd_incidents;
extern const struct ctl_cmd ctl_cmd_show;
extern const struct ctl_cmd ctl_cmd_ack;
extern const struct ctl_cmd ctl_cmd_set_status;
extern const struct ctl_cmd ctl_cmd_close;
extern const struct ctl_cmd ctl_cmd_note;
extern const struct ctl_cmd ctl_cmd_report;
static const struct ctl_cmd ctl_cmd_parsers;

static const struct ctl_cmd *const ctl_cmds[] = {
	&ctl_cmd_parse,
	&ctl_cmd_test,
	&ctl_cmd_alerts,
	&ctl_cmd_verify,
	&ctl_cmd_hunt,
	&ctl_cmd_extract,
	&ctl_cmd_replay,
	&ctl_cmd_parsers,
	&ctl_cmd_incidents,
	&ctl_cmd_show,
	&ctl_cmd_ack,
	&ctl_cmd_set_status,
	&ctl_cmd_close,
	&ctl_cmd_note,
	&ctl_cmd_report,
	&ctl_cmd_status,
	&ctl_cmd_reload,
	NULL
};

void
ctl_usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: keibictl [-c FILE] [-s SOCKET] COMMAND [ARGS]\n\n"
	    "Commands (status and reload ask the running keibid; the others\n"
	    "read files and need no daemon):\n");
	for (i = 0; ctl_cmds[i] != NULL; i++)
		fprintf(f, "  %s\n", ctl_cmds[i]->usage);
	fprintf(f, "\n"
	    "  -c FILE   configuration (default " CONFIG_DEFAULT_PATH
	    " if it exists)\n"
	    "  -s SOCKET keibid's control socket (default: the "
	    "configuration's\n"
	    "            control_socket, else " CONFIG_CONTROL_DEFAULT ")\n"
	    "  -h        this text;  -V  version\n"
	    "See keibictl(8).\n");
}

/* The config of -c, or of the default path when it exists; NULL if none. */
struct config *
ctl_config(void)
{
	struct config	*conf;
	char		*cause;
	const char	*path = ctl_config_path;

	if (path == NULL) {
		if (access(CONFIG_DEFAULT_PATH, R_OK) != 0)
			return NULL;
		path = CONFIG_DEFAULT_PATH;
	}
	if ((conf = config_load(path, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		exit(1);
	}
	return conf;
}

/*
 * A time given on the command line: "YYYY-MM-DD", with " HH:MM" or
 * "THH:MM[:SS]", then "Z", "+HH:MM" or nothing (local time in tz), as
 * microseconds since the epoch; 0, or -1 if it is not one.
 */
int
ctl_parse_time(const char *s, struct tz *tz, int64_t *out)
{
	int		 y, mo, d, h = 0, mi = 0, se = 0, oh, om, n = 0;
	int32_t		 off;
	const char	*p;
	int64_t		 t;

	if (strlen(s) < 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) !=
	    3 || n != 10)
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		p += 6;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &se, &n) != 1 || n != 2)
				return -1;
			p += 3;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 60)
		return -1;
	t = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (*p == '\0')
		t = tz_to_utc(tz, y, mo, d, h, mi, se, &off);
	else if (p[0] == 'Z' && p[1] == '\0')
		;
	else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 &&
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 &&
	    oh >= 0 && oh < 24 && om >= 0 && om < 60)
		t -= (p[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	else
		return -1;
	*out = t * 1000000;
	return 0;
}

/*
 * --since: a duration back from now ("30d", "12h") or a time as
 * ctl_parse_time reads it; 0, or -1 if it is neither.
 */
int
ctl_parse_since(const char *s, struct tz *tz, int64_t *out)
{
	int64_t	d;

	if ((d = rule_parse_duration(s)) > 0) {
		*out = (int64_t)time(NULL) * 1000000 - d;
		return 0;
	}
	return ctl_parse_time(s, tz, out);
}

/* Parse "a,b,c" CIDRs into set; exits with a message on error. */
void
ctl_parse_cidrs(struct cidr_set *set, const char *list)
{
	const char	*p = list, *comma, *cause;
	struct cidr	 c;
	size_t		 len;

	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (cidr_parse(&c, p, len, &cause) != 0) {
			fprintf(stderr, "keibictl: --internal %.*s: %s\n",
			    (int)len, p, cause);
			exit(2);
		}
		cidr_set_add(set, &c);
		p += len;
		if (*p == ',')
			p++;
	}
}

void
ctl_default_networks(struct cidr_set *set)
{
	const char	*cause;
	struct cidr	 c;
	size_t		 i;

	for (i = 0; ctl_default_internal[i] != NULL; i++) {
		if (cidr_parse(&c, ctl_default_internal[i],
		    strlen(ctl_default_internal[i]), &cause) == 0)
			cidr_set_add(set, &c);
	}
}

static int
ctl_parsers_exec(int argc, char **argv)
{
	size_t	i;

	for (i = 0; parser_registry[i] != NULL; i++)
		printf("%-12s %-20s %s\n", parser_registry[i]->name,
		    parser_registry[i]->dataset,
		    parser_registry[i]->description);
	return 0;
}

static const struct ctl_cmd ctl_cmd_parsers = {
	.name = "parsers",
	.usage = "parsers\n        list the parsers and the dataset of their events",
	.exec = ctl_parsers_exec,
};

int
main(int argc, char **argv)
{
	size_t	i;
	int	ch;

	log_init("keibictl", LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "+c:s:hV")) != -1) {
		switch (ch) {
		case 'c':
			ctl_config_path = optarg;
			break;
		case 's':
			live_socket_path = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return 0;
		case 'V':
			printf("keibictl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			ctl_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage(stderr);
		return 2;
	}
	for (i = 0; ctl_cmds[i] != NULL; i++) {
		if (strcmp(ctl_cmds[i]->name, argv[0]) == 0) {
			optind = 1;
			return ctl_cmds[i]->exec(argc, argv);
		}
	}
	fprintf(stderr, "keibictl: unknown command '%s'\n", argv[0]);
	ctl_usage(stderr);
	return 2;
}
