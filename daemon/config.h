/*
 * config.h: keibid's configuration, read from YAML with libyaml.  Loading
 * builds a complete struct config or reports every error it found, each as
 * "file:line:column: reason"; unknown keys are errors (with a "did you mean"
 * when a known key is close).  Loading never touches the running daemon:
 * reload builds a new config and swaps it in only when it is whole.
 */
#ifndef KEIBI_CONFIG_H
#define KEIBI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

#define CONFIG_DEFAULT_PATH	"/etc/keibi/keibi.yml"
#define CONFIG_MAX_LINE_DEFAULT	(64 * 1024)	/* bytes per line before a cut */
#define CONFIG_MAX_QUEUE_DEFAULT 100000		/* postfix queue ids kept */
#define CONFIG_ROTATE_WAIT_DEFAULT 2		/* s a rotated file must be quiet */
#define CONFIG_POLL_INTERVAL_DEFAULT 2		/* s between safety polls */
#define CONFIG_SEGMENT_SIZE_DEFAULT (64 * 1024 * 1024) /* raw bytes */
#define CONFIG_SEGMENT_AGE_DEFAULT 60		/* s a segment may stay open */
#define CONFIG_EVIDENCE_LEVEL_DEFAULT 1		/* gzip level */
#define CONFIG_RETENTION_DEFAULT 400		/* days; 0 keeps forever */
#define CONFIG_CONTROL_DEFAULT_DIR "/run/keibi"
#define CONFIG_CONTROL_DEFAULT	CONFIG_CONTROL_DEFAULT_DIR "/control.sock"

enum start_at {
	START_BEGINNING = 0,
	START_END
};

struct source_conf {
	char		*name;		/* unique; used in evidence paths and events */
	char		*path;
	char		*parser;	/* a registered parser name, or "auto" */
	char		*timezone;	/* NULL: the global one */
	enum start_at	 start_at;
	size_t		 partial_timeout; /* s before a held partial line goes; 0 never */
	size_t		 rotate_wait;	/* s a rotated file must be quiet */
	bool		 follow_poll;	/* follow: poll (never inotify) */
	size_t		 poll_interval;	/* s between polls of a watched file */
	int		 line;		/* where it was defined, for messages */
};

/* Incident grouping and flood control (incidents: in keibi.yml). */
#define CONFIG_INC_IDLE_DEFAULT		(30 * 60)	/* s to quiet */
#define CONFIG_INC_REOPEN_DEFAULT	(24 * 3600)	/* s a close may reopen */
#define CONFIG_INC_THROTTLE_DEFAULT	(15 * 60)	/* s between updates */
#define CONFIG_INC_MAX_NEW_DEFAULT	20		/* new per minute */
#define CONFIG_INC_C2_HOSTS_DEFAULT	3		/* hosts: C2 parent */
#define CONFIG_INC_WORM_LINK_DEFAULT	3600		/* s: worm chain link */
#define CONFIG_INC_SAMPLES_DEFAULT	20		/* raw lines kept */
#define CONFIG_INC_MAX_OPEN_DEFAULT	10000		/* held in memory */
#define CONFIG_INC_COMMIT_DEFAULT	250		/* ms between commits */
#define CONFIG_INC_COMMIT_MAX		1000		/* ms, at most */
#define CONFIG_OUT_TIMEOUT_DEFAULT	30		/* s per attempt */
#define CONFIG_OUT_MAX_AGE_DEFAULT	86400		/* s before dead letter */
#define CONFIG_OUT_BACKOFF_DEFAULT	300		/* s, longest wait */

struct incident_conf {
	size_t		 idle;		/* s without evidence: quiet */
	size_t		 reopen;	/* s after a close that reopens */
	size_t		 throttle;	/* s between two updates sent */
	size_t		 max_new;	/* new incidents per minute; 0 no cap */
	size_t		 c2_hosts;	/* hosts to one C2: parent incident */
	size_t		 worm_link;	/* s: infected, then infecting */
	size_t		 samples;	/* raw lines kept per incident */
	size_t		 max_open;	/* incidents held in memory */
	size_t		 commit_interval; /* ms: least time between commits */
	char		*language;	/* "en" or "ja": titles and summaries */
	char		*csirt_name;	/* the issuing team, or NULL */
	char		*organization;	/* the organisation, or NULL */
};

struct output_conf {
	char		*type;		/* "jsonl", "alerts", "webhook", ... */
	char		*path;
	char		*name;		/* stable name (outbox); default type:where */
	char		*url;		/* webhook, email (smtp://, smtps://) */
	char		*flavour;	/* webhook: standard, thehive, iris, rtir */
	char		*secret_file;	/* webhook: HMAC secret */
	char		*api_key_file;	/* webhook thehive, iris, rtir: API key */
	char		*tlp;		/* thehive: clear, green, amber, red */
	char		*pap;
	char		*queue;		/* webhook rtir: RT queue of new tickets */
	size_t		 customer_id;	/* webhook iris: alert_customer_id */
	char		*severity_ids;	/* iris: "LOW,MEDIUM,HIGH,CRITICAL" ids */
	size_t		 asset_type_id;	/* iris: asset type of internal hosts */
	char		*from;		/* email */
	char		**to;
	size_t		 nto;
	char		*username;
	char		*password_file;
	char		*tls;		/* email: "starttls", "try", "none" */
	char		*ca_file;	/* email, webhook, syslog: CAs to trust */
	char		*language;	/* email: "en" or "ja" */
	char		*address;	/* syslog: udp://, tcp://, tls://h:p, unix:/p */
	size_t		 facility;	/* syslog facility number */
	char		*app_name;	/* syslog APP-NAME */
	size_t		 timeout;	/* s per attempt */
	size_t		 max_age;	/* s before a job is dead-lettered */
	size_t		 backoff_max;	/* s, longest wait between attempts */
	int		 line;
};

struct config {
	char		*file;		/* path it was read from */
	char		*state_dir;
	char		**rules;	/* files or folders of *.yml */
	size_t		 nrules;

	struct cidr_set	 internal;
	struct cidr_set	 mail_servers;
	struct cidr_set	 proxies;
	struct cidr_set	 dns_servers;

	struct source_conf *sources;
	size_t		 nsources;

	char		*evidence_dir;	/* default <state_dir>/evidence */
	size_t		 segment_size;	/* raw bytes before a seal */
	size_t		 segment_age;	/* seconds before a seal */
	size_t		 evidence_level; /* gzip level 1..9 */
	size_t		 retention_days; /* 0: keep forever */
	char		*signing_key;	/* Ed25519 PEM private key, or NULL */

	struct output_conf *outputs;
	size_t		 noutputs;

	struct incident_conf incidents;
	char		*geoip_country;	/* MaxMind DB paths, or NULL */
	char		*geoip_asn;
	char		*geoip_city;
	char		*inventory;	/* CSV or YAML of internal assets */

	char		*timezone;	/* zone of year-less syslog times; "UTC" */
	size_t		 max_line;	/* line-length cap */
	size_t		 max_queue;	/* bound of postfix queue-id table */

	char		*control_socket; /* keibictl's unix socket */
	char		*control_group;	/* its group; NULL: keibid's own */
	char		*metrics_addr;	/* loopback address; NULL: no metrics */
	size_t		 metrics_port;
};

/*
 * Load path.  Returns the config, or NULL with *cause set to a malloc'd
 * message listing every error, one "file:line:column: reason" per line,
 * the first error first.
 */
struct config	*config_load(const char *path, char **cause);

/* The same from a buffer; name is used in messages. */
struct config	*config_load_buffer(const char *name, const char *buf,
		    size_t len, char **cause);

/* Free a config; accepts NULL and half-built configs. */
void		 config_free(struct config *);

/* Find a source by name; NULL if none. */
const struct source_conf *config_source(const struct config *, const char *);

#endif
