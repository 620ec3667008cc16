/* meta.c - what the directory's meta advertises beyond the RFC 8555
 * basics: ACME profiles (draft-aaron-acme-profiles).  Pure functions over
 * the parsed directory; see acme.h. */
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"

void
cf_acme_profile_names(const struct cf_acme_directory *d, char *buf, size_t len)
{
	const char *name;
	json_t *v;
	size_t pos = 0;

	buf[0] = '\0';
	if (d == NULL || d->profiles == NULL)
		return;
	json_object_foreach(d->profiles, name, v) {
		int n = snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "",
				 name);
		if (n < 0 || (size_t)n >= len - pos)
			break;
		pos += (size_t)n;
	}
}

cf_rc
cf_acme_profile_check(const struct cf_acme_directory *d, const char *profile,
		      struct cf_err *err)
{
	char names[512];

	if (profile == NULL)
		return CF_OK;
	if (d->profiles == NULL || json_object_size(d->profiles) == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--profile %s: this CA advertises no ACME "
				  "profiles (its directory has no meta.profiles): "
				  "order without --profile", profile);
	if (json_object_get(d->profiles, profile) != NULL)
		return CF_OK;
	cf_acme_profile_names(d, names, sizeof(names));
	return cf_err_set(err, CF_ERR_USAGE,
			  "--profile %s: the CA offers no such profile; valid "
			  "profiles: %s (see 'certferry ca info')", profile, names);
}
