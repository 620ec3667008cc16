/*
 * fuzz_renewal.c - renewal definitions and the specs inside them
 * (engine/renewal.h, spec.h): the JSON files of the state folder, which
 * a person may edit.  Read, check, decide whether due, write back and
 * read the result again.
 */
#include <jansson.h>

#include "engine/renewal.h"
#include "engine/spec.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const time_t now = 1790000000;
	struct cf_renewal r = { 0 }, again = { 0 };
	struct cf_cert_spec spec = { 0 };
	struct cf_due due;
	struct cf_err err;
	json_t *j, *back = NULL;

	if ((j = json_loadb((const char *)data, size, 0, NULL)) == NULL)
		return 0;
	if (cf_spec_from_json(json_object_get(j, "spec") ? json_object_get(j,
			      "spec") : j, &spec, &err) == CF_OK &&
	    cf_spec_check(&spec, (const char *const *)spec.names, spec.nnames,
			  &err) != CF_OK && err.msg[0] == '\0')
		abort(); /* every refusal says why */
	cf_spec_free(&spec);
	if (cf_renewal_from_json(j, &r, &err) == CF_OK) {
		cf_renewal_due(&r, now, 0, 0, &due);
		cf_renewal_due(&r, now, 0, 30, &due);
		(void)cf_renewal_ari_check_due(&r, now);
		if (cf_renewal_to_json(&r, &back, &err) == CF_OK) {
			if (cf_renewal_from_json(back, &again, &err) != CF_OK)
				abort(); /* what we write we read back */
			cf_renewal_free(&again);
		}
		json_decref(back);
		cf_renewal_apply_ari(&r, now, now - 10, now + 3600, 60, 0.5);
		cf_renewal_note_failure(&r, now, 0);
	}
	cf_renewal_free(&r);
	json_decref(j);
	return 0;
}
