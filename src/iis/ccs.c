/* ccs.c - see ccs.h */
#include "iis/ccs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "iis/appconfig.h"

/* Characters that may never appear in a name we turn into a file name. */
static int
name_is_safe(const char *s)
{
	if (*s == '\0' || *s == '.' || strstr(s, "..") != NULL)
		return 0;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == '\\' || *s == ':' ||
		    (unsigned char)*s < 0x21 || *s == 0x7f)
			return 0;
	return 1;
}

cf_rc
cf_ccs_file_name(const char *dns_name_alabel, char **out, struct cf_err *err)
{
	const char *rest = dns_name_alabel;
	char *lower = NULL, *uni = NULL, *res = NULL, *p;
	int wild = 0, r;
	size_t l;
	cf_rc rc = CF_OK;

	*out = NULL;
	if (strncmp(rest, "*.", 2) == 0) {
		wild = 1;
		rest += 2;
	}
	if (!name_is_safe(rest) || strchr(rest, '*') != NULL)
		return cf_err_set(err, CF_ERR_USAGE, "\"%s\" is not a DNS name "
				  "that can name a CCS file", dns_name_alabel);
	if ((lower = strdup(rest)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (p = lower; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	r = idn2_to_unicode_8z8z(lower, &uni, 0);
	if (r != IDN2_OK) {
		rc = cf_err_set(err, CF_ERR_USAGE, "DNS name \"%s\": cannot "
				"convert to Unicode: %s", dns_name_alabel, idn2_strerror(r));
		goto out;
	}
	l = strlen(uni) + 7;
	if ((res = malloc(l)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(res, l, "%s%s.pfx", wild ? "_." : "", uni);
	*out = res;
out:
	free(lower);
	idn2_free(uni);
	return rc;
}

cf_rc
cf_ccs_host_from_file(const char *file_name, char **out, struct cf_err *err)
{
	const char *base = strrchr(file_name, '/'), *rest;
	char *host = NULL;
	size_t l;
	cf_rc rc;

	*out = NULL;
	base = base ? base + 1 : file_name;
	l = strlen(base);
	if (l <= 4 || strcasecmp(base + l - 4, ".pfx") != 0)
		return cf_err_set(err, CF_ERR_USAGE, "\"%s\" is not a CCS file "
				  "name (expected HOST.pfx)", file_name);
	if ((host = strndup(base, l - 4)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (strncmp(host, "_.", 2) == 0)
		host[0] = '*';
	/* "*.pfx" leaves the one-byte host "*": skip "*." only when the
	 * name really starts so; a '*' anywhere else is refused. */
	rest = strncmp(host, "*.", 2) == 0 ? host + 2 : host;
	if (!name_is_safe(rest) || strchr(rest, '*') != NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE, "\"%s\" does not name a "
				"host", file_name);
		goto out;
	}
	rc = cf_iis_host_alabel(host, out, err);
out:
	free(host);
	return rc;
}
