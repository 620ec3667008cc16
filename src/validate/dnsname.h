/*
 * dnsname.h - checking and normalising the DNS names certferry orders.
 *
 * Owns: the rules an identifier must follow before it is sent to a CA:
 * LDH labels of 1..63 octets, at most 253 octets in all, no leading or
 * trailing hyphen, no trailing dot, a wildcard only as the leftmost "*."
 * label, internationalised names only in A-label ("xn--") form.  Pure
 * functions: no network, no global state.
 */
#ifndef CF_DNSNAME_H
#define CF_DNSNAME_H

#include "core/err.h"

#define CF_DNS_NAME_MAX 253
#define CF_DNS_LABEL_MAX 63

/*
 * Check that name is an orderable DNS name.  allow_wildcard permits one
 * leading "*." label (the caller allows it only for dns-01).  Upper case is
 * accepted (see cf_dns_name_normalize).  Returns CF_OK, or CF_ERR_USAGE with
 * a message naming the name and what is wrong with it.
 */
cf_rc cf_dns_name_check(const char *name, int allow_wildcard,
			struct cf_err *err) CF_MUST_CHECK;

/* Lower-case the ASCII letters of name in place. NULL is ignored. */
void cf_dns_name_normalize(char *name);

/*
 * Convert a UTF-8 name (e.g. "bücher.example") to its A-label form
 * ("xn--bcher-kva.example") with IDNA2008 / UTS#46 non-transitional
 * processing.  A pure ASCII name comes back lower-cased.  *out is malloc'd
 * (caller frees).  CF_ERR_USAGE naming the name when it cannot be converted.
 */
cf_rc cf_dns_name_to_alabel(const char *utf8, char **out,
			    struct cf_err *err) CF_MUST_CHECK;

#endif
