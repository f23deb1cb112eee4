/*
 * test_control.c: the control protocol's request parser, the Prometheus
 * label escaping, and the log's journald and rate-limit behaviour.  Every
 * refusal is checked with the exact message a client sees.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "control.h"
#include "log.h"
#include "metrics.h"

/* Parse s, which must be accepted; the request is returned. */
static void
parse_ok(const char *s, struct control_req *req)
{
	char	err[256] = "";

	if (control_parse(s, strlen(s), req, err, sizeof err) != 0)
		fail_msg("refused %s: %s", s, err);
	assert_non_null(req->obj);
}

/* Parse s, which must be refused with exactly want. */
static void
parse_bad(const char *s, const char *want)
{
	struct control_req	req;
	char			err[256] = "";

	assert_int_equal(control_parse(s, strlen(s), &req, err, sizeof err),
	    -1);
	assert_null(req.obj);
	assert_string_equal(err, want);
}

static void
test_commands(void **state)
{
	struct control_req	req;

	parse_ok("{\"cmd\":\"status\"}", &req);
	assert_string_equal(control_req_name(&req), "status");
	assert_int_equal(control_req_kind(&req), CONTROL_DAEMON);
	control_req_free(&req);

	parse_ok(" {\"cmd\":\"reload\"} \r", &req);
	assert_string_equal(control_req_name(&req), "reload");
	control_req_free(&req);

	parse_ok("{\"cmd\":\"ack\",\"id\":\"KB-2026-11-0007\","
	    "\"text\":\"on it\\nsecond line\"}", &req);
	assert_int_equal(control_req_kind(&req), CONTROL_INCIDENT);
	assert_string_equal(req.id, "KB-2026-11-0007");
	assert_string_equal(req.text, "on it\nsecond line");
	control_req_free(&req);

	parse_ok("{\"id\":\"KB-1\",\"resolution\":\"benign\","
	    "\"cmd\":\"close\"}", &req);
	assert_string_equal(req.resolution, "benign");
	assert_null(req.text);
	control_req_free(&req);

	parse_ok("{\"cmd\":\"set_status\",\"id\":\"KB-1\","
	    "\"status\":\"contained\"}", &req);
	assert_string_equal(req.status, "contained");
	control_req_free(&req);
}

static void
test_refusals(void **state)
{
	char	*big;

	parse_bad("", "not JSON: '[' or '{' expected near end of file");
	parse_bad("[]", "a request is a JSON object");
	parse_bad("{}", "no 'cmd' in the request");
	parse_bad("{\"cmd\":3}", "'cmd' must be a string");
	parse_bad("{\"cmd\":\"rm -rf\"}", "unknown command 'rm -rf'");
	parse_bad("{\"cmd\":\"\\u001b[2J\"}", "unknown command '\\x1b[2J'");
	parse_bad("{\"cmd\":\"status\",\"id\":\"KB-1\"}",
	    "'status' takes no 'id'");
	parse_bad("{\"cmd\":\"ack\"}", "'ack' needs 'id'");
	parse_bad("{\"cmd\":\"note\",\"id\":\"KB-1\"}", "'note' needs 'text'");
	parse_bad("{\"cmd\":\"close\",\"id\":\"KB-1\"}",
	    "'close' needs 'resolution'");
	parse_bad("{\"cmd\":\"ack\",\"id\":\"../../etc\"}",
	    "'id' must be 1 to 64 letters, digits, '.', '_', ':' or '-'");
	parse_bad("{\"cmd\":\"ack\",\"id\":7}", "'id' must be a string");
	parse_bad("{\"cmd\":\"note\",\"id\":\"KB-1\",\"text\":\"a\\u0007b\"}",
	    "'text' must be 1 to 4096 bytes without control characters");
	parse_bad("{\"cmd\":\"set_status\",\"id\":\"KB-1\","
	    "\"status\":\"closed\"}", "'status' must be acknowledged, "
	    "in_progress, contained, resolved or merged (close needs a "
	    "resolution)");
	parse_bad("{\"cmd\":\"close\",\"id\":\"KB-1\",\"resolution\":\"x\"}",
	    "'resolution' must be true_positive, false_positive, benign, "
	    "duplicate or indeterminate");
	parse_bad("{\"cmd\":\"status\",\"cmd\":\"status\"}",
	    "not JSON: duplicate object key near '\"cmd\"'");

	/* One byte over the bound is refused before any parsing. */
	big = malloc(CONTROL_MAX_REQUEST + 2);
	assert_non_null(big);
	memset(big, ' ', CONTROL_MAX_REQUEST + 1);
	big[CONTROL_MAX_REQUEST + 1] = '\0';
	parse_bad(big, "request longer than 8192 bytes");
	free(big);
}

static void
test_metrics_label(void **state)
{
	struct evbuffer	*b = evbuffer_new();
	char		 out[64];
	size_t		 n;

	metrics_label(b, "a\"b\\c\nd");
	n = evbuffer_remove(b, out, sizeof out - 1);
	out[n] = '\0';
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	evbuffer_free(b);
}

/* Log into a file set up as the journal stream; its text. */
static char *
journal_capture(void (*fn)(void))
{
	char		 path[] = "/tmp/test_control.XXXXXX", env[64], *buf;
	struct stat	 sb;
	FILE		*f;
	long		 size;
	int		 fd, saved;

	fd = mkstemp(path);
	assert_true(fd != -1);
	saved = dup(2);
	dup2(fd, 2);
	fstat(2, &sb);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("test", LOG_LVL_INFO);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	log_init("test", LOG_LVL_INFO);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	close(fd);
	unlink(path);
	return buf;
}

static void
journal_lines(void)
{
	log_warnx("two\nlines");
	log_info("plain");
	log_errx("bell\a");
}

static void
journal_burst(void)
{
	int	i;

	for (i = 0; i < 25; i++)
		log_rl(LOG_LVL_WARN, "burst", "line %d", i);
}

static void
test_journal(void **state)
{
	char	*s;

	s = journal_capture(journal_lines);
	assert_string_equal(s, "<4>warning: two\n<4>warning: lines\n"
	    "<6>plain\n<3>error: bell?\n");
	free(s);
	s = journal_capture(journal_burst);
	/* Ten get through; the other fifteen are summed up later. */
	assert_non_null(strstr(s, "<4>warning: line 9\n"));
	assert_null(strstr(s, "line 10"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_metrics_label),
		cmocka_unit_test(test_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
