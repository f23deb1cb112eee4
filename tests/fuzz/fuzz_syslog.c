/*
 * fuzz_syslog.c: libFuzzer target for the syslog headers.  The input is
 * one line, parsed in UTC and in a fixed-offset zone; every span of a
 * header found must lie inside the input, and iso8601_parse may never
 * claim more bytes than it was given.  Must not leak or keep state that
 * changes the outcome of a later input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "record.h"
#include "sysloghdr.h"
#include "tz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort unless span s lies inside p/len. */
static void
fuzz_inside(struct span s, const char *p, size_t len)
{
	if (s.len != 0 && (s.p < p || s.p + s.len > p + len))
		abort();
}

/* Parse data as one line with ctx and check the header's spans. */
static void
fuzz_one(const struct syslog_ctx *ctx, const char *p, size_t len)
{
	struct syslog_hdr	hdr;
	struct record		rec;

	if (syslog_parse(ctx, p, len, &hdr) != 0)
		return;
	fuzz_inside(hdr.host, p, len);
	fuzz_inside(hdr.program, p, len);
	fuzz_inside(hdr.pid, p, len);
	fuzz_inside(hdr.msg, p, len);
	if (hdr.digits != 0 && hdr.digits != 3 && hdr.digits != 6)
		abort();
	record_reset(&rec);
	syslog_to_record(&hdr, &rec);
}

/* One fuzz input: a line. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz	*tz;
	struct syslog_ctx	 ctx;
	const char		*p = (const char *)data;
	const char		*cause;
	int64_t			 ts;
	int32_t			 off;
	uint8_t			 digits;

	if (tz == NULL && (tz = tz_open("+09:00", &cause)) == NULL)
		abort();
	ctx.tz = NULL;
	ctx.ref_us = 1795262400LL * 1000000;	/* 2026-11-21T12:00:00Z */
	fuzz_one(&ctx, p, size);
	ctx.tz = tz;
	ctx.ref_us = 1767225599LL * 1000000;	/* 2025-12-31T23:59:59Z */
	fuzz_one(&ctx, p, size);
	if (iso8601_parse(p, size, NULL, &ts, &off, &digits) > size)
		abort();
	return 0;
}
