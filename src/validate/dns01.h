/*
 * dns01.h - the dns-01 validation method (RFC 8555 §8.4).
 *
 * Owns: the TXT records it publishes for one order (name, value, zone),
 * the TSIG key it was given (the secret is wiped when the method is
 * destroyed), and the choice of back end for each step.  The work is done
 * by: validate/tsig.h (the key file), validate/dnslookup.h (CNAMEs, the
 * zone), validate/rfc2136.h (the update), validate/dnshook.h (the script)
 * and validate/dnsprop.h (the propagation check).  It never talks to the
 * CA.
 *
 * Record name.  For the identifier "example.com" (or the wildcard
 * "*.example.com") the record is "_acme-challenge.example.com.".  Then:
 *   - alias_zone (--dns-alias ZONE, like lego's and acme.sh's "challenge
 *     alias"): the record becomes "_acme-challenge.<ZONE>." instead, for
 *     every identifier.  The user is expected to have a CNAME
 *     "_acme-challenge.example.com. CNAME _acme-challenge.<ZONE>." so that
 *     the CA finds it; certferry does not check that CNAME.
 *   - delegation: whatever the name from the previous step, if it is a
 *     CNAME the chain is followed (at most 8 hops, loops are an error) and
 *     the TXT is written at the final target.  The lookup goes to the first
 *     --dns-resolver, else to the rfc2136 server, else to the system
 *     resolver (/etc/resolv.conf).
 *
 * Value: base64url(SHA-256(key authorization)), 43 characters, TTL 60.
 *
 * Back ends:
 *   CF_DNS_RFC2136  dynamic update (RFC 2136) signed with TSIG (RFC 8945)
 *                   to `server`; the zone is found by walking up the
 *                   record's labels asking `server` for the SOA.  cleanup
 *                   deletes exactly the TXT RR it added (name and value),
 *                   not the RRset.
 *   CF_DNS_SCRIPT   runs `script create RECORD VALUE` and
 *                   `script delete RECORD VALUE` (no shell unless the
 *                   command contains spaces; see cf_dns01_config).
 *   CF_DNS_MANUAL   prints the record to manual_out and waits for a line
 *                   on manual_in.
 *
 * Propagation (ready()): every server that must serve the records is asked
 * directly for the TXT until it serves every published value, polling with
 * a backoff from 100 ms, for at most propagation_timeout seconds.  The
 * servers are: the --dns-resolver list when given (queried with the
 * recursion-desired bit set, so a recursive resolver also works); else,
 * for rfc2136, `server` (non-recursive); else the authoritative servers of
 * the record's zone (NS records, resolved to addresses, port 53,
 * non-recursive).
 */
#ifndef CF_DNS01_H
#define CF_DNS01_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"
#include "validate/validate.h"

enum cf_dns_provider {
	CF_DNS_RFC2136 = 0, /* --dns rfc2136 */
	CF_DNS_SCRIPT,      /* --dns script */
	CF_DNS_MANUAL       /* --dns manual */
};

/* Configuration; all strings are borrowed for the call to
 * cf_dns01_validator_new, which copies what it keeps. */
struct cf_dns01_config {
	enum cf_dns_provider provider;
	const char *server;        /* rfc2136: --dns-server HOST[:PORT]
				    * (port 53 by default; [v6]:port works) */
	const char *tsig_key_file; /* rfc2136: --tsig-key-file, BIND format
				    * (tsig-keygen); NULL = unsigned updates */
	const char *script;        /* script: --dns-script CMD.  Without a
				    * space CMD is exec'd directly; with one it
				    * runs as /bin/sh -c 'CMD "$@"' so that the
				    * record and value stay separate arguments */
	const char *alias_zone;    /* --dns-alias ZONE, or NULL */
	const char *const *resolvers; /* --dns-resolver HOST[:PORT] ... */
	size_t nresolvers;
	int propagation_timeout;   /* --dns-propagation-timeout seconds;
				    * 0 = skip the propagation check */
	int script_timeout;        /* seconds; 0 = 120 */
	FILE *manual_in;           /* manual: where Enter is read (stdin) */
	FILE *manual_out;          /* manual: where instructions go */
};

/*
 * Create a dns-01 validator.  Checks the configuration (and reads and
 * parses the TSIG key file) now, so mistakes surface before the order
 * starts.  On success *out is filled (challenge_type "dns-01"); release it
 * with cf_validator_destroy().  CF_ERR_USAGE for a bad configuration.
 */
cf_rc cf_dns01_validator_new(const struct cf_dns01_config *cfg,
			     struct cf_validator *out,
			     struct cf_err *err) CF_MUST_CHECK;

/*
 * "_acme-challenge.<identifier>." or, with alias_zone,
 * "_acme-challenge.<alias_zone>.".  identifier may carry a "*." prefix,
 * which is dropped; a trailing dot on either input is tolerated.  The
 * result is lower case.  *out is malloc'd.  Pure: no CNAME lookup.
 */
cf_rc cf_dns01_record_name(const char *identifier, const char *alias_zone,
			   char **out, struct cf_err *err) CF_MUST_CHECK;

#endif
