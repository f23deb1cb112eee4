/*
 * probe.c: the raw client the service test drives keibid with, where
 * keibictl would be too polite.
 *
 *	probe unix PATH		send standard input to the unix socket PATH as
 *				it is, then print every answer line until the
 *				daemon closes or is silent for two seconds;
 *				exit 0, or 1 if connect fails
 *	probe http PORT URI	GET URI from 127.0.0.1:PORT and print the
 *				status code, then the body; exit 0
 *
 * It never interprets what it reads: the test checks the output.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copy everything fd sends to standard output; stop when silent. */
static void
probe_drain(int fd)
{
	struct pollfd	pfd;
	char		buf[65536];
	ssize_t		n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) <= 0)
			break;
		if ((n = read(fd, buf, sizeof buf)) <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
}

/* Send all of p; 0 or -1 (the peer may close early: that is data too). */
static int
probe_send(int fd, const char *p, size_t len)
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

static int
probe_unix(const char *path)
{
	struct sockaddr_un	sun;
	char			buf[65536];
	size_t			n;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return 1;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "probe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
		if (probe_send(fd, buf, n) != 0)
			break;
	}
	probe_drain(fd);
	close(fd);
	return 0;
}

static int
probe_http(const char *port, const char *uri)
{
	struct sockaddr_in	sin;
	char			req[512];
	int			fd, len;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)strtoul(port, NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		fprintf(stderr, "probe: 127.0.0.1:%s: %s\n", port,
		    strerror(errno));
		return 1;
	}
	len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n\r\n", uri);
	if (len < 0 || (size_t)len >= sizeof req ||
	    probe_send(fd, req, (size_t)len) != 0)
		return 1;
	probe_drain(fd);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "unix") == 0)
		return probe_unix(argv[2]);
	if (argc == 4 && strcmp(argv[1], "http") == 0)
		return probe_http(argv[2], argv[3]);
	fprintf(stderr, "usage: probe unix PATH | probe http PORT URI\n");
	return 2;
}
