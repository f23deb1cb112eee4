/*
 * log.c: logging to stderr with levels, rate limiting and escaping.  Under
 * systemd stderr goes to the journal.  Nothing here may ever print bytes of
 * a log line unescaped; callers pass such text through log_escape().
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char	*log_progname = "keibi";
static int		 log_level = LOG_LVL_INFO;

#define LOG_RL_SLOTS	32
#define LOG_RL_BURST	10
#define LOG_RL_PERIOD	60

struct log_rl {
	const char	*key;
	time_t		 start;
	unsigned int	 count;
	unsigned long	 suppressed;
};
static struct log_rl	 log_rl[LOG_RL_SLOTS];

static const char *const log_level_names[] = { "error", "warning", "info", "debug" };

void
log_init(const char *progname, int verbosity)
{
	log_progname = progname;
	log_level = verbosity;
}

void
log_set_level(int level)
{
	log_level = level;
}

static void	log_vmsg(enum log_level, const char *, va_list, const char *)
		    __attribute__((format(printf, 2, 0)));

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	char	buf[4096];

	if ((int)level > log_level)
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s: %s: %s: %s\n", log_progname,
		    log_level_names[level], buf, suffix);
	else
		fprintf(stderr, "%s: %s: %s\n", log_progname,
		    log_level_names[level], buf);
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
	struct log_rl	*oldest = &log_rl[0];
	size_t		 i;

	for (i = 0; i < LOG_RL_SLOTS; i++) {
		if (log_rl[i].key == key)
			return &log_rl[i];
		if (log_rl[i].key == NULL)
			return &log_rl[i];
		if (log_rl[i].start < oldest->start)
			oldest = &log_rl[i];
	}
	return oldest;
}

void
log_warnx_rl(const char *key, const char *fmt, ...)
{
	struct log_rl	*rl = log_rl_slot(key);
	time_t		 now = time(NULL);
	va_list		 ap;

	if (rl->key != key || now - rl->start >= LOG_RL_PERIOD) {
		if (rl->key == key && rl->suppressed > 0)
			log_warnx("%s: %lu similar messages suppressed",
			    key, rl->suppressed);
		rl->key = key;
		rl->start = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->count++;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, fmt, ap, NULL);
	va_end(ap);
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
