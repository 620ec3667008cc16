/*
 * fuzz_headers.c - the HTTP header values the CA sends: Retry-After,
 * Link, and the RFC 3339 timestamps of ACME objects (http/headers.h).
 *
 * Input: one selector byte, then the header value.
 */
#include <time.h>

#include "core/time.h"
#include "http/headers.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const time_t now = 1790000000; /* 2026-09-21 */
	char *s, out[32], *link;
	time_t t;
	long secs;

	if (size < 1 || (s = fuzz_str(data + 1, size - 1)) == NULL)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (cf_retry_after_parse(s, now, &secs) == CF_OK &&
		    (secs < 0 || secs > 7L * 24 * 3600))
			abort();
		break;
	case 1:
		if ((link = cf_link_find(s, "up")) != NULL)
			free(link);
		if ((link = cf_link_find(s, "alternate")) != NULL)
			free(link);
		break;
	default:
		/* what we format we parse back, over years 0000..9999 */
		if (cf_rfc3339_parse(s, &t) == CF_OK && t >= -62167219200 &&
		    t <= 253402300799) {
			time_t back;
			cf_rfc3339_format(t, out);
			if (cf_rfc3339_parse(out, &back) != CF_OK || back != t)
				abort();
		}
		break;
	}
	free(s);
	return 0;
}
