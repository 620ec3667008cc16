/*
 * dnslookup.h - DNS questions asked for dns-01 (ldns).
 *
 * Owns: turning a --dns-server/--dns-resolver "HOST[:PORT]" into an ldns
 * resolver (with a TSIG key when given; its secret copy is wiped on
 * free), the system resolver, single queries, following a CNAME chain (at
 * most 8 hops, loops are errors), finding the zone that holds a name (SOA
 * walk) and spotting a TXT value in an answer.  No state between calls;
 * never writes to DNS (that is validate/rfc2136.h).
 */
#ifndef CF_DNSLOOKUP_H
#define CF_DNSLOOKUP_H

#include <stddef.h>

#include <ldns/ldns.h>

#include "core/err.h"
#include "validate/tsig.h"

/* Room for the host part of HOST[:PORT]. */
#define CF_DNS_HOSTPORT_MAX 300

/* Split HOST[:PORT] / [V6]:PORT / bare V6 into host (hostsz bytes) and
 * port (53 when absent).  CF_ERR_USAGE names the bad address. */
cf_rc cf_dns_hostport_parse(const char *s, char *host, size_t hostsz,
			    int *port, struct cf_err *err) CF_MUST_CHECK;

/*
 * A resolver that sends to one server (host resolved with getaddrinfo).
 * rd: set the recursion-desired bit.  key: TSIG key to verify answers
 * with, or NULL (or a zeroed key).  Free *out with cf_dns_resolver_free.
 */
cf_rc cf_dns_resolver_for(const char *hostport, int rd,
			  const struct cf_tsig_key *key, ldns_resolver **out,
			  struct cf_err *err) CF_MUST_CHECK;

/* The system's recursive resolver (/etc/resolv.conf). */
cf_rc cf_dns_resolver_system(ldns_resolver **out,
			     struct cf_err *err) CF_MUST_CHECK;

/* Free a resolver, wiping the TSIG secret copy ldns keeps; NULL is ok. */
void cf_dns_resolver_free(ldns_resolver *r);

/* Send one query; *out is the answer (any rcode; the caller frees it
 * with ldns_pkt_free) or NULL on error.  where names r in messages. */
cf_rc cf_dns_query(ldns_resolver *r, const char *name, ldns_rr_type type,
		   const char *where, ldns_pkt **out,
		   struct cf_err *err) CF_MUST_CHECK;

/* 1 when the domain name d equals name (text, case-insensitive). */
int cf_dns_dname_eq(const ldns_rdf *d, const char *name);

/* d as malloc'd text with trailing dot, lower case; NULL when out of
 * memory. */
char *cf_dns_dname_str(const ldns_rdf *d);

/*
 * Follow CNAMEs from name.  *out is the final name (malloc'd).  An answer
 * without CNAME ends the chain; so does a failed lookup (with a warning).
 * Loops and chains longer than 8 hops are CF_ERR_USAGE.
 */
cf_rc cf_dns_follow_cname(ldns_resolver *r, const char *where,
			  const char *name, char **out,
			  struct cf_err *err) CF_MUST_CHECK;

/*
 * Find the zone that holds name by walking up its labels asking r for the
 * SOA: an SOA in the answer owned by the name asked (authoritative), or an
 * SOA in the authority section (its owner is the zone).  *out malloc'd.
 */
cf_rc cf_dns_find_zone(ldns_resolver *r, const char *where, const char *name,
		       char **out, struct cf_err *err) CF_MUST_CHECK;

/* 1 when a TXT rr in list l, owned by name, has the value. */
int cf_dns_txt_present(ldns_rr_list *l, const char *name, const char *value);

#endif
