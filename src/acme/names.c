/* names.c - the CA never decides which names certferry proves or accepts:
 * the order object, each authorization and the certificate must name
 * exactly the identifiers that were ordered (issue 10).  Pure functions over
 * what the CA answered; see acme.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme.h"
#include "core/ip.h"

/* DNS names compare case-insensitively; IP addresses (RFC 8738) by their
 * canonical text, and never equal a DNS name. */
static int
name_eq(const char *a, const char *b)
{
	char ca[CF_IP_TEXT_MAX], cb[CF_IP_TEXT_MAX];

	if (cf_ip_canon(a, ca))
		return cf_ip_canon(b, cb) && strcmp(ca, cb) == 0;
	if (cf_ip_canon(b, NULL))
		return 0;
	return strcasecmp(a, b) == 0;
}

const char *
cf_acme_identifier_type(const char *name)
{
	return cf_ip_canon(name, NULL) ? "ip" : "dns";
}

long
cf_acme_name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(names[i], name))
			return (long)i;
	return -1;
}

cf_rc
cf_acme_names_same_set(const char *what, const char *const *got, size_t ngot,
		       const char *const *want, size_t nwant, struct cf_err *err)
{
	for (size_t i = 0; i < ngot; i++)
		if (cf_acme_name_index(want, nwant, got[i]) < 0)
			return cf_err_set(err, CF_ERR_PROTO,
					  "the CA returned %s for %s, which was "
					  "not ordered", what, got[i]);
	for (size_t i = 0; i < nwant; i++)
		if (cf_acme_name_index(got, ngot, want[i]) < 0)
			return cf_err_set(err, CF_ERR_PROTO,
					  "the CA returned %s without %s, which "
					  "was ordered", what, want[i]);
	return CF_OK;
}

cf_rc
cf_acme_order_check(const struct cf_acme_order *o, const char *const *names,
		    size_t n, struct cf_err *err)
{
	json_t *ids = json_object_get(o->raw, "identifiers"), *id;
	const char **got = NULL;
	size_t i, ngot = 0;
	cf_rc rc;

	if (!json_is_array(ids))
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA's order %s lists no identifiers",
				  o->url ? o->url : "");
	/* One authorization per identifier, checked before any is fetched: a
	 * CA listing more cannot make certferry prove or poll more. */
	if (o->nauthz > n)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA's order %s lists %zu authorizations for "
				  "%zu ordered name%s", o->url ? o->url : "",
				  o->nauthz, n, n == 1 ? "" : "s");
	if ((got = calloc(json_array_size(ids) + 1, sizeof(*got))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	json_array_foreach(ids, i, id) {
		const char *type = json_string_value(json_object_get(id, "type"));
		const char *value = json_string_value(json_object_get(id, "value"));
		/* Typed: an address comes back as "ip", a name as "dns". */
		if (type == NULL || value == NULL ||
		    strcmp(type, cf_acme_identifier_type(value)) != 0) {
			rc = cf_err_set(err, CF_ERR_PROTO,
					"the CA's order lists an identifier of type "
					"%s (%s), which was not ordered",
					type ? type : "(none)", value ? value : "?");
			goto out;
		}
		got[ngot++] = value;
	}
	rc = cf_acme_names_same_set("an order", got, ngot, names, n, err);
out:
	free(got);
	return rc;
}

cf_rc
cf_acme_authz_check(const struct cf_acme_authz *z, const char *const *names,
		    size_t n, unsigned char *seen, struct cf_err *err)
{
	char name[512];
	long k;

	snprintf(name, sizeof(name), "%s%s", z->wildcard ? "*." : "",
		 z->identifier);
	if ((k = cf_acme_name_index(names, n, name)) < 0 ||
	    z->identifier_type == NULL ||
	    strcmp(z->identifier_type, cf_acme_identifier_type(names[k])) != 0)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA returned an authorization for %s, which "
				  "was not ordered; nothing was validated", name);
	if (seen[k])
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA returned two authorizations for %s; "
				  "nothing was validated", name);
	seen[k] = 1;
	return CF_OK;
}
