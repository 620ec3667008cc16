/*
 * rfc2136.h - DNS dynamic update (RFC 2136) of one TXT record, signed
 * with TSIG (RFC 8945).
 *
 * Owns: building the update message (add one TXT RR, or delete exactly
 * that RR and not the RRset, RFC 2136 §2.5.4), signing it, sending it to
 * the primary server and turning the answer into an error that says what
 * to fix (a refused or unsigned answer names the key and the zone's update
 * policy).  The record's text is wiped after use.
 */
#ifndef CF_RFC2136_H
#define CF_RFC2136_H

#include "core/err.h"
#include "validate/tsig.h"

/*
 * Add (del == 0) or delete exactly one TXT RR name/value with ttl in zone
 * at server (HOST[:PORT]).  key signs the update and checks the answer;
 * NULL or a key without a name sends it unsigned.  CF_ERR_USAGE when the
 * server refuses (key or policy), CF_ERR_NET when it cannot be reached,
 * CF_ERR_PROTO for any other rcode.
 */
cf_rc cf_rfc2136_update(const char *server, const struct cf_tsig_key *key,
			const char *zone, const char *name, const char *value,
			int ttl, int del, struct cf_err *err) CF_MUST_CHECK;

#endif
