/*
 * fuzz_iptables.c: libFuzzer target for the netfilter LOG parser.  The
 * input is parsed whole as one line, then split on newlines and parsed
 * line by line, through one long-lived state as the daemon uses it; each
 * event is finished and rendered to JSON.  The parser's answer must be
 * -1, 0 or 1, and a malformed line must leave the record empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "parser.h"
#include "record.h"

extern const struct parser parser_iptables;

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
	rc = parser_iptables.parse(state, p, len, &rec);
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
		if ((state = parser_iptables.state_new(&po)) == NULL)
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
	return 0;
}
