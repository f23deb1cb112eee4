/*
 * fuzz_control.c: the control socket's request parser on arbitrary
 * bytes, split into lines as the daemon splits them.  Every line must
 * give either a checked request or an error message, never both and
 * never neither, without a crash, a leak or a read past the buffer; a
 * request that passes must hold only what the protocol allows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort unless a parsed request keeps the protocol's promises. */
static void
fuzz_control_check(const struct control_req *req)
{
	if (req->cmd == NULL || req->obj == NULL)
		abort();
	if (req->id != NULL && (strlen(req->id) == 0 ||
	    strlen(req->id) > CONTROL_MAX_ID))
		abort();
	if (req->text != NULL && strlen(req->text) > CONTROL_MAX_TEXT)
		abort();
	if (control_req_kind(req) == CONTROL_INCIDENT && req->id == NULL)
		abort();
}

/* libFuzzer's entry point: each line of data is one request. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *end = p + size, *nl;
	struct control_req	 req;
	char			 err[256];
	size_t			 len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		err[0] = '\0';
		if (control_parse(p, len, &req, err, sizeof err) == 0) {
			fuzz_control_check(&req);
			control_req_free(&req);
		} else if (err[0] == '\0' || req.obj != NULL)
			abort();
		p += len + 1;
	}
	return 0;
}
