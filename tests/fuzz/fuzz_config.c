/*
 * fuzz_config.c: the configuration loader on arbitrary bytes.  Every
 * input must give either a config or a cause, never both and never
 * neither, without a crash, a leak or a read past the buffer.
 */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* libFuzzer's entry point: load data as a config file and free it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*conf;
	char		*cause = NULL;

	conf = config_load_buffer("/etc/keibi/keibi.yml", (const char *)data,
	    size, &cause);
	if ((conf == NULL) == (cause == NULL))
		abort();
	config_free(conf);
	free(cause);
	return 0;
}
