/* dnsname.c - see dnsname.h */
#include "validate/dnsname.h"

#include <stdlib.h>
#include <string.h>

#include <idn2.h>

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

cf_rc
cf_dns_name_check(const char *name, int allow_wildcard, struct cf_err *err)
{
	const char *p, *label;
	size_t len, llen;

	if (name == NULL || name[0] == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "empty DNS name: give a name such as www.example.com");
	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS name \"%s\" contains non-ASCII characters: "
					  "give an internationalised name in its A-label "
					  "(xn--...) form, e.g. converted with idn2", name);
	}
	len = strlen(name);
	if (len > CF_DNS_NAME_MAX)
		return cf_err_set(err, CF_ERR_USAGE,
				  "DNS name \"%.64s...\" is %zu characters long; at most %d "
				  "are allowed", name, len, CF_DNS_NAME_MAX);
	if (name[len - 1] == '.')
		return cf_err_set(err, CF_ERR_USAGE,
				  "DNS name \"%s\" ends with a dot: give it without the "
				  "trailing dot", name);
	p = name;
	if (p[0] == '*') {
		if (p[1] != '.' || p[2] == '\0')
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS name \"%s\": a wildcard must be a whole "
					  "leftmost label followed by a name, as in "
					  "*.example.com", name);
		if (!allow_wildcard)
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS name \"%s\" is a wildcard: wildcard "
					  "certificates need dns-01 validation "
					  "(--validation dns-01)", name);
		p += 2;
	}
	while (*p != '\0') {
		label = p;
		while (*p != '\0' && *p != '.')
			p++;
		llen = (size_t)(p - label);
		if (llen == 0)
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS name \"%s\" has an empty label (two dots in a "
					  "row or a leading dot)", name);
		if (llen > CF_DNS_LABEL_MAX)
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS name \"%s\" has a label of %zu characters; a "
					  "label may have at most %d", name, llen,
					  CF_DNS_LABEL_MAX);
		for (const char *q = label; q < p; q++) {
			if (*q == '*')
				return cf_err_set(err, CF_ERR_USAGE,
						  "DNS name \"%s\": \"*\" is allowed only as "
						  "the whole leftmost label (*.example.com)",
						  name);
			if (!is_ldh((unsigned char)*q))
				return cf_err_set(err, CF_ERR_USAGE,
						  "DNS name \"%s\" contains the character "
						  "'%c': only letters, digits, '-' and '.' "
						  "are allowed", name, *q);
		}
		if (label[0] == '-' || p[-1] == '-')
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS name \"%s\" has the label \"%.*s\" that "
					  "begins or ends with a hyphen", name, (int)llen,
					  label);
		if (*p == '.')
			p++;
	}
	return CF_OK;
}

void
cf_dns_name_normalize(char *name)
{
	if (name == NULL)
		return;
	for (; *name != '\0'; name++)
		if (*name >= 'A' && *name <= 'Z')
			*name = (char)(*name - 'A' + 'a');
}

cf_rc
cf_dns_name_to_alabel(const char *utf8, char **out, struct cf_err *err)
{
	char *res = NULL, *copy = NULL;
	int rc;

	*out = NULL;
	if (utf8 == NULL || utf8[0] == '\0')
		return cf_err_set(err, CF_ERR_USAGE, "empty DNS name");
	rc = idn2_to_ascii_8z(utf8, &res, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK)
		return cf_err_set(err, CF_ERR_USAGE,
				  "cannot convert \"%s\" to an A-label (xn--) name: %s",
				  utf8, idn2_strerror(rc));
	/* libidn2 allocates with its own allocator; hand out malloc memory. */
	copy = strdup(res);
	idn2_free(res);
	if (copy == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	cf_dns_name_normalize(copy);
	*out = copy;
	return CF_OK;
}
