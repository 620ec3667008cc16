/*
 * fuzz_tsig.c - TSIG key files in BIND's format (validate/dns01.h).
 */
#include "validate/tsig.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_tsig_key k = { 0 };
	struct cf_err err;
	char *text;

	if ((text = fuzz_str(data, size)) == NULL)
		return 0;
	if (cf_tsig_key_parse(text, "fuzz.key", &k, &err) == CF_OK) {
		if (k.name == NULL || k.algorithm == NULL || k.secret == NULL)
			abort();
	} else if (*err.msg == '\0') {
		abort(); /* every refusal says why */
	}
	cf_tsig_key_free(&k);
	free(text);
	return 0;
}
