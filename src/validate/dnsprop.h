/*
 * dnsprop.h - the dns-01 propagation check: waiting until every server
 * that must serve a TXT record serves it.
 *
 * Owns: choosing those servers and polling them.  The servers are the
 * --dns-resolver list when given (asked with the recursion-desired bit, so
 * a recursive resolver also works); else the rfc2136 server (non-recursive);
 * else the authoritative servers of the record's zone (NS records resolved
 * to addresses, port 53, non-recursive).  Each is asked directly for the
 * TXT, with a backoff from 100 ms to 5 s, until the deadline.
 */
#ifndef CF_DNSPROP_H
#define CF_DNSPROP_H

#include <stddef.h>

#include "core/err.h"

/* Where to check; all borrowed. */
struct cf_dns_prop {
	const char *const *resolvers; /* --dns-resolver HOST[:PORT] ... */
	size_t nresolvers;
	const char *server;           /* rfc2136 --dns-server, or NULL */
	int timeout_s;                /* named in the timeout message */
};

/* The deadline for a check starting now that may take timeout_s seconds
 * (a monotonic clock, for cf_dns_prop_wait). */
double cf_dns_prop_deadline(int timeout_s);

/*
 * Wait until every server of p serves TXT name "value" or the deadline
 * passes: CF_ERR_NET then names the first server that did not and what it
 * answered last.
 */
cf_rc cf_dns_prop_wait(const struct cf_dns_prop *p, const char *name,
		       const char *value, double deadline,
		       struct cf_err *err) CF_MUST_CHECK;

#endif
