/*
 * fuzz_exim.c: the Exim parser on arbitrary bytes.  The input is split into
 * lines and each line, in an exact-size heap copy, goes through one parser
 * state; every event is finished and rendered, so a span that points outside
 * the line or the state shows up as a sanitizer report.  The message table is
 * kept small, so evictions happen.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse one line from an exact-size copy; abort on a broken contract. */
static void
fuzz_line(const struct parser *p, void *st, const uint8_t *data, size_t len)
{
	struct record	 rec;
	char		*line, *json;
	int		 rc;

	if ((line = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(line, data, len);
	record_reset(&rec);
	rc = p->parse(st, line, len, &rec);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 1) {
		record_finish(&rec, NULL);
		if ((json = record_to_json(&rec)) == NULL)
			abort();
		free(json);
	}
	free(line);
}

/* libFuzzer's entry point: every line of data through one state. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct parser	*p = parser_lookup("exim");
	struct parser_opts	 opts = { NULL, 1795262400LL * 1000000, 8 };
	const struct parser_stats *ps;
	const uint8_t		*nl, *end = data + size;
	void			*st;
	uint64_t		 lines = 0;

	if (p == NULL || (st = p->state_new(&opts)) == NULL)
		abort();
	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		if (nl == NULL)
			nl = end;
		fuzz_line(p, st, data, (size_t)(nl - data));
		lines++;
		data = nl + 1;
	}
	ps = p->stats(st);
	if (ps->events + ps->ignored + ps->malformed != lines)
		abort();
	p->state_free(st);
	return 0;
}
