/*
 * main.c: keibid's command line.  Everything else lives in libkeibi.a so
 * that keibictl, the tests, the benchmarks and the fuzzers share it.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keibid.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: keibid [-vq] [--syslog] -c FILE [--once | --check]\n"
"\n"
"Tail the configured firewall, proxy and mail logs, match every line against\n"
"the detection rules and write what fires to the configured outputs.\n"
"\n"
"  -c, --config FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
"      --once         read every source from its saved position to its end,\n"
"                     write the alerts, save positions, print a summary, exit 0\n"
"      --check        validate the configuration and the rules, then exit;\n"
"                     non-zero with file:line:column: reason on error\n"
"  -v, --verbose      log more (repeat for debug)\n"
"  -q, --quiet        log warnings and errors only\n"
"      --syslog       log to syslog (facility daemon) instead of standard\n"
"                     error; under systemd the journal gets priorities anyway\n"
"  -V, --version      print the version\n"
"  -h, --help         this text\n"
"\n"
"Signals: TERM/INT stop after saving positions; HUP reloads the configuration,\n"
"rules and lists (as keibictl reload does).\n"
"See keibid(8).\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "syslog", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*file = CONFIG_DEFAULT_PATH;
	struct config	*conf;
	struct ruleset	*rules;
	struct keibid	*kd;
	char		*cause = NULL;
	bool		 once = false, check = false, use_syslog = false;
	int		 ch, verbosity = LOG_LVL_INFO, rc;

	while ((ch = getopt_long(argc, argv, "c:vqVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'k':
			check = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity = LOG_LVL_WARN;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'V':
			printf("keibid %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (once && check)) {
		usage(stderr);
		return 2;
	}
	log_init("keibid", verbosity);
	if (use_syslog && !check)
		log_syslog();

	if ((conf = config_load(file, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return 1;
	}
	if ((rules = keibid_load_rules(conf, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		config_free(conf);
		return 1;
	}
	if (check) {
		printf("%s: configuration ok, %zu sources, %zu rules\n", file,
		    conf->nsources, rules->n);
		ruleset_free(rules);
		config_free(conf);
		return 0;
	}
	if ((kd = keibid_new(conf, rules, once, &cause)) == NULL) {
		fprintf(stderr, "keibid: %s\n", cause);
		free(cause);
		ruleset_free(rules);
		config_free(conf);
		return 1;
	}
	if (!once)
		log_info("started: %zu sources, %zu rules", kd->nsrc,
		    kd->rules->n);
	rc = keibid_run(kd);
	if (once)
		keibid_summary(kd, stdout);
	keibid_free(kd);
	return rc;
}
