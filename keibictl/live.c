/*
 * live.c: keibictl's client of the control socket.  Connects, writes one
 * JSON request line, reads one JSON answer line and hands back its
 * result.  It must never hang on a daemon that stopped answering (every
 * wait is bounded) and never read an unbounded answer.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "control.h"
#include "keibictl.h"
#include "live.h"
#include "log.h"

#define LIVE_TIMEOUT_MS	(120 * 1000)	/* a reload may drain the archive */

const char	*live_socket_path;

const char *
live_socket(void)
{
	static char	*from_conf;
	struct config	*conf;

	if (live_socket_path != NULL)
		return live_socket_path;
	if (from_conf != NULL)
		return from_conf;
	if ((conf = ctl_config()) != NULL) {
		if (conf->control_socket != NULL &&
		    (from_conf = strdup(conf->control_socket)) == NULL)
			fatal("strdup");
		config_free(conf);
		if (from_conf != NULL)
			return from_conf;
	}
	return CONFIG_CONTROL_DEFAULT;
}

/* Milliseconds left of a deadline on the monotonic clock. */
static int
live_left(const struct timespec *deadline)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* Connect to path: the socket, or -1 with errno. */
static int
live_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of p; 0 or -1. */
static int
live_write(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one line (without its newline) into a malloc'd buffer; NULL. */
static char *
live_readline(int fd, size_t *lenp, char **cause)
{
	struct timespec	 deadline;
	struct pollfd	 pfd;
	char		*buf = NULL, *nl;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LIVE_TIMEOUT_MS / 1000;
	for (;;) {
		if (len > 0 && (nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			*lenp = (size_t)(nl - buf);
			return buf;
		}
		if (len >= CONTROL_MAX_RESPONSE) {
			if (asprintf(cause, "the answer is longer than %d "
			    "bytes", CONTROL_MAX_RESPONSE) == -1)
				fatal("asprintf");
			break;
		}
		if (cap - len < 65536) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				fatal("realloc");
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, live_left(&deadline));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == 0) {
			if (asprintf(cause, "keibid did not answer within %d "
			    "seconds", LIVE_TIMEOUT_MS / 1000) == -1)
				fatal("asprintf");
			break;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (asprintf(cause, "keibid closed the connection%s%s",
			    n == -1 ? ": " : " without an answer",
			    n == -1 ? strerror(errno) : "") == -1)
				fatal("asprintf");
			break;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

int
live_request(json_t *req, json_t **result, char **cause)
{
	const char	*path = live_socket(), *err;
	json_error_t	 jerr;
	json_t		*ans = NULL, *ok;
	char		*line = NULL, *s;
	size_t		 len;
	int		 fd, rc = LIVE_ERROR, werr = 0;

	*result = NULL;
	*cause = NULL;
	if ((fd = live_connect(path)) == -1) {
		if (asprintf(cause, "keibid is not running or not reachable "
		    "(control socket %s: %s)", path, strerror(errno)) == -1)
			fatal("asprintf");
		return errno == ENOENT || errno == ECONNREFUSED ? LIVE_NONE :
		    LIVE_ERROR;
	}
	if ((s = json_dumps(req, JSON_COMPACT)) == NULL)
		fatalx("json_dumps");
	/* keibid may have answered (a refusal) and closed before we wrote. */
	if (live_write(fd, s, strlen(s)) != 0 || live_write(fd, "\n", 1) != 0)
		werr = errno;
	if ((line = live_readline(fd, &len, cause)) == NULL) {
		if (werr != 0) {
			free(*cause);
			if (asprintf(cause, "control socket %s: %s", path,
			    strerror(werr)) == -1)
				fatal("asprintf");
		}
		goto out;
	}
	if ((ans = json_loadb(line, len, 0, &jerr)) == NULL ||
	    (ok = json_object_get(ans, "ok")) == NULL) {
		if (asprintf(cause, "keibid's answer is not understood") == -1)
			fatal("asprintf");
		goto out;
	}
	if (!json_is_true(ok)) {
		err = json_string_value(json_object_get(ans, "error"));
		if ((*cause = strdup(err != NULL ? err : "failed")) == NULL)
			fatal("strdup");
		goto out;
	}
	*result = json_incref(json_object_get(ans, "result"));
	if (*result == NULL)
		*result = json_null();
	rc = LIVE_OK;
out:
	free(s);
	free(line);
	if (ans != NULL)
		json_decref(ans);
	close(fd);
	return rc;
}
