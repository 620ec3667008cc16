/*
 * fuzz_ccs.c - file names of IIS's Centralized Certificate Store
 * (iis/ccs.h): a folder listing is untrusted input.  A file name that
 * names a host must map back to a file name.
 */
#include "iis/ccs.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_err err;
	char *s, *host = NULL, *file = NULL;

	if ((s = fuzz_str(data, size)) == NULL)
		return 0;
	if (cf_ccs_host_from_file(s, &host, &err) == CF_OK) {
		if (cf_ccs_file_name(host, &file, &err) != CF_OK)
			abort();
		free(file);
		free(host);
	}
	if (cf_ccs_file_name(s, &file, &err) == CF_OK)
		free(file);
	free(s);
	return 0;
}
