/*
 * log.h: the daemon's one logging API.  Messages go to stderr, with "<N>"
 * priority prefixes when stderr is the journal, or to syslog.  Text that
 * came from a log line must pass through log_escape() or the %S-free
 * helpers before it is printed: a line is attacker-controlled and must
 * never reach a terminal raw.
 */
#ifndef KEIBI_LOG_H
#define KEIBI_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* Start logging; under systemd (JOURNAL_STREAM) lines carry <N>. */
void	log_init(const char *progname, int verbosity);
/* Send what follows to syslog(3), facility daemon, instead of stderr. */
void	log_syslog(void);
void	log_set_level(int);
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
#define log_warnx(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_errx(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
/* Like log_warnx but appends ": strerror(errno)". */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Rate-limited warning: at most burst messages per key per minute, then
 * one summary of how many were suppressed.  key is a static string.
 */
void	log_warnx_rl(const char *key, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same at any level. */
void	log_rl(enum log_level, const char *key, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * Write the "suppressed N" summary of every key whose period ended; call
 * it from a timer so a burst that stopped is still summed up.
 */
void	log_tick(void);

/* Fatal errors, for start-up and broken invariants only. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Escape untrusted bytes for a person or a log: printable ASCII stays,
 * backslash and controls become \\, \n, \t, \xHH; UTF-8 is kept if valid.
 * Writes at most size-1 bytes plus NUL into buf, cutting with "..." when
 * the text does not fit.  Returns buf.
 */
char	*log_escape(const char *, size_t, char *buf, size_t size);

#endif
