/*
 * fuzz_parser.c: one libFuzzer target per parser, built once for each
 * with FUZZ_PARSER naming the parser's vtable (parser_cisco_asa, ...).
 * The input is parsed whole as one line, then split on newlines and
 * parsed line by line, through one long-lived state as the daemon uses
 * it (so "auto" meets a format change, and stateful parsers meet their
 * own history); each event is finished and rendered to JSON.  The answer
 * must be -1, 0 or 1, and a malformed line must leave the record empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "parser.h"
#include "record.h"

#ifndef FUZZ_PARSER
#error "FUZZ_PARSER must name a parser vtable"
#endif

extern const struct parser FUZZ_PARSER;

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse one line through state and render what it gives. */
static void
fuzz_line(void *state, const struct cidr_set *internal, const char *p,
    size_t len)
{
	struct record	 rec;
	char		*json;
	int		 rc;

	record_reset(&rec);
	rc = FUZZ_PARSER.parse(state, p, len, &rec);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == -1 && rec.present != 0)
		abort();
	if (rc != 1)
		return;
	record_finish(&rec, internal);
	if ((json = record_to_json(&rec)) == NULL)
		abort();
	free(json);
}

/* One fuzz input: a line, then its newline-separated lines. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void		*state;
	static struct cidr_set	 internal;
	struct parser_opts	 po;
	struct cidr		 c;
	const char		*p = (const char *)data, *end = p + size, *nl;
	const char		*cause;

	if (state == NULL) {
		memset(&po, 0, sizeof po);
		/* 2026-11-21T12:00:00Z */
		po.ref_us = 1795262400LL * 1000000;
		po.max_queue = 1000;
		if ((state = FUZZ_PARSER.state_new(&po)) == NULL)
			abort();
		cidr_set_init(&internal);
		if (cidr_parse(&c, "10.0.0.0/8", 10, &cause) != 0)
			abort();
		cidr_set_add(&internal, &c);
	}
	fuzz_line(state, &internal, p, size);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		fuzz_line(state, &internal, p, (size_t)(nl - p));
		if (nl == end)
			break;
		p = nl + 1;
	}
	if (FUZZ_PARSER.stats != NULL && FUZZ_PARSER.stats(state) == NULL)
		abort();
	return 0;
}
