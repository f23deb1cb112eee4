/*
 * log.c: logging with levels, rate limiting and escaping.  Messages go to
 * stderr; when stderr is the journal (JOURNAL_STREAM names it, as systemd
 * sets it) each line starts with a "<N>" priority that journald reads, and
 * with log_syslog() they go to syslog(3) instead.  Rate-limited messages
 * say how many were suppressed once their period ends.  Nothing here may
 * ever print bytes of a log line unescaped; callers pass such text through
 * log_escape(), and control characters that slip through become '?'.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/syslog.h>	/* <syslog.h> is parsers/syslog.h here */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

enum log_dest {
	LOG_DEST_STDERR = 0,
	LOG_DEST_JOURNAL,	/* stderr with <N> prefixes */
	LOG_DEST_SYSLOG
};

static const char	*log_progname = "keibi";
static int		 log_level = LOG_LVL_INFO;
static enum log_dest	 log_dest = LOG_DEST_STDERR;
/* syslog(3) and sd-daemon(3) priorities of each level. */
static const int	 log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
			    LOG_DEBUG };

#define LOG_RL_SLOTS	32
#define LOG_RL_BURST	10
#define LOG_RL_PERIOD	60

struct log_rl {
	const char	*key;
	enum log_level	 level;
	time_t		 start;
	unsigned int	 count;
	unsigned long	 suppressed;
};
static struct log_rl	 log_rls[LOG_RL_SLOTS];

static const char *const log_level_names[] = { "error", "warning", "info", "debug" };

/* True if stderr is the journal stream systemd named in JOURNAL_STREAM. */
static int
log_stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 sb;
	unsigned long long	 dev, ino;
	char			 tail;

	if (env == NULL || fstat(2, &sb) != 0)
		return 0;
	if (sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(const char *progname, int verbosity)
{
	log_progname = progname;
	log_level = verbosity;
	log_dest = log_stderr_is_journal() ? LOG_DEST_JOURNAL :
	    LOG_DEST_STDERR;
}

void
log_syslog(void)
{
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_dest = LOG_DEST_SYSLOG;
}

void
log_set_level(int level)
{
	log_level = level;
}

static void	log_vmsg(enum log_level, const char *, va_list, const char *)
		    __attribute__((format(printf, 2, 0)));

/* Write one line of a message where it goes. */
static void
log_line(enum log_level level, const char *line)
{
	switch (log_dest) {
	case LOG_DEST_SYSLOG:
		syslog(log_prio[level], "%s", line);
		break;
	case LOG_DEST_JOURNAL:
		/* journald adds the name and time; <N> is the priority. */
		fprintf(stderr, "<%d>%s%s%s\n", log_prio[level],
		    level <= LOG_LVL_WARN ? log_level_names[level] : "",
		    level <= LOG_LVL_WARN ? ": " : "", line);
		break;
	default:
		fprintf(stderr, "%s: %s: %s\n", log_progname,
		    log_level_names[level], line);
		break;
	}
}

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	char	buf[4096], *p, *nl;
	size_t	len;

	if ((int)level > log_level)
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (suffix != NULL) {
		len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, ": %s", suffix);
	}
	/* Last defence: no control character reaches a terminal or log. */
	for (p = buf; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') ||
		    *p == 0x7f)
			*p = '?';
	}
	/* One record per line, each with its priority. */
	for (p = buf; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (*p != '\0' || p == buf)
			log_line(level, p);
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, fmt, ap, strerror(saved));
	va_end(ap);
}

/* Find or claim the rate-limit slot of key (static strings: by address). */
static struct log_rl *
log_rl_slot(const char *key)
{
	struct log_rl	*oldest = &log_rls[0];
	size_t		 i;

	for (i = 0; i < LOG_RL_SLOTS; i++) {
		if (log_rls[i].key == key)
			return &log_rls[i];
		if (log_rls[i].key == NULL)
			return &log_rls[i];
		if (log_rls[i].start < oldest->start)
			oldest = &log_rls[i];
	}
	return oldest;
}

/* Say how many messages of a slot were held back, and forget them. */
static void
log_rl_summary(struct log_rl *rl)
{
	if (rl->key != NULL && rl->suppressed > 0)
		log_msg(rl->level, "%s: suppressed %lu similar messages in "
		    "the last %d seconds", rl->key, rl->suppressed,
		    LOG_RL_PERIOD);
	rl->suppressed = 0;
}

static void	log_vrl(enum log_level, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

static void
log_vrl(enum log_level level, const char *key, const char *fmt, va_list ap)
{
	struct log_rl	*rl = log_rl_slot(key);
	time_t		 now = time(NULL);

	if ((int)level > log_level)
		return;
	if (rl->key != key || now - rl->start >= LOG_RL_PERIOD) {
		log_rl_summary(rl);
		rl->key = key;
		rl->level = level;
		rl->start = now;
		rl->count = 0;
	}
	if (rl->count >= LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->count++;
	log_vmsg(level, fmt, ap, NULL);
}

void
log_warnx_rl(const char *key, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vrl(LOG_LVL_WARN, key, fmt, ap);
	va_end(ap);
}

void
log_rl(enum log_level level, const char *key, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vrl(level, key, fmt, ap);
	va_end(ap);
}

void
log_tick(void)
{
	time_t	now = time(NULL);
	size_t	i;

	for (i = 0; i < LOG_RL_SLOTS; i++) {
		if (log_rls[i].key != NULL && log_rls[i].suppressed > 0 &&
		    now - log_rls[i].start >= LOG_RL_PERIOD) {
			log_rl_summary(&log_rls[i]);
			log_rls[i].start = now;
			log_rls[i].count = 0;
		}
	}
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

/* Length of a valid UTF-8 sequence at p (2-4), or 0. */
static size_t
log_utf8_len(const unsigned char *p, size_t left)
{
	size_t	n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms and surrogates. */
	if (n == 3 && p[0] == 0xe0 && p[1] < 0xa0)
		return 0;
	if (n == 3 && p[0] == 0xed && p[1] >= 0xa0)
		return 0;
	if (n == 4 && p[0] == 0xf0 && p[1] < 0x90)
		return 0;
	if (n == 4 && p[0] == 0xf4 && p[1] >= 0x90)
		return 0;
	return n;
}

char *
log_escape(const char *s, size_t len, char *buf, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, o = 0, n;
	char			 tmp[4];
	size_t			 tlen;

	if (size == 0)
		return buf;
	while (i < len) {
		n = 1;
		if (p[i] == '\\') {
			tmp[0] = '\\'; tmp[1] = '\\'; tlen = 2;
		} else if (p[i] == '\n') {
			tmp[0] = '\\'; tmp[1] = 'n'; tlen = 2;
		} else if (p[i] == '\t') {
			tmp[0] = '\\'; tmp[1] = 't'; tlen = 2;
		} else if (p[i] == '\r') {
			tmp[0] = '\\'; tmp[1] = 'r'; tlen = 2;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			tmp[0] = (char)p[i]; tlen = 1;
		} else if ((n = log_utf8_len(p + i, len - i)) != 0) {
			tlen = n;
			memcpy(tmp, p + i, n);
		} else {
			n = 1;
			tmp[0] = '\\'; tmp[1] = 'x';
			tmp[2] = hex[p[i] >> 4]; tmp[3] = hex[p[i] & 15];
			tlen = 4;
		}
		if (o + tlen + 1 > size) {
			/* Cut, marking it, on a boundary of what we wrote. */
			if (size >= 4) {
				if (o > size - 4)
					o = size - 4;
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(buf + o, tmp, tlen);
		o += tlen;
		i += n;
	}
	buf[o] = '\0';
	return buf;
}
