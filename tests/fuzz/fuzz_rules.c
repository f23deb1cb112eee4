/*
 * fuzz_rules.c: the rule loader on arbitrary bytes.  Every input must
 * give either a rule set or a cause, never both and never neither,
 * without a crash, a leak or a read past the buffer; a set that loads is
 * also matched against one event and flushed, so the compiled conditions,
 * the prefilter and the detectors' parameter handling run too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "record.h"
#include "rule.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Alert callback: nothing to do. */
static int
fuzz_rules_cb(void *arg, struct rule *r, const struct record *rec)
{
	return 0;
}

/* libFuzzer's entry point: load data as a rule file, use it, free it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset	*rs;
	struct record	 rec;
	char		*cause = NULL;
	static const char url[] = "http://example.com/a?b=../../etc/passwd";

	rs = ruleset_load_buffer("/etc/keibi/rules.d/fuzz.yml",
	    (const char *)data, size, &cause);
	if ((rs == NULL) == (cause == NULL))
		abort();
	if (rs != NULL) {
		memset(&rec, 0, sizeof rec);
		record_reset(&rec);
		rec.has_ts = true;
		rec.ts_us = 1795219200LL * 1000000;
		record_set_lit(&rec, RF_EVENT_DATASET, "proxy.squid");
		record_set_lit(&rec, RF_SOURCE_IP, "10.1.2.3");
		record_set_lit(&rec, RF_DESTINATION_IP, "203.0.113.5");
		record_set_lit(&rec, RF_DESTINATION_PORT, "443");
		record_set_lit(&rec, RF_USER_NAME, "alice");
		record_set(&rec, RF_URL_ORIGINAL, url, sizeof url - 1);
		record_set_lit(&rec, RF_URL_DOMAIN, "example.com");
		record_finish(&rec, NULL);
		detect_event(rs, &rec, fuzz_rules_cb, NULL);
		detect_flush(rs, fuzz_rules_cb, NULL);
	}
	ruleset_free(rs);
	free(cause);
	return 0;
}
