/*
 * tsig.h - TSIG key files (RFC 8945 keys as BIND's tsig-keygen writes them).
 *
 * Owns: reading and parsing one key file into a struct cf_tsig_key, and the
 * secret's life: it is wiped by cf_tsig_key_free and never appears in an
 * error message.  Pure parsing plus one file read: no network.  The keys
 * sign RFC 2136 updates (validate/rfc2136.h).
 */
#ifndef CF_TSIG_H
#define CF_TSIG_H

#include "core/err.h"

/* A TSIG key as tsig-keygen writes it. */
struct cf_tsig_key {
	char *name;      /* key name, e.g. "certferry." (trailing dot added) */
	char *algorithm; /* "hmac-sha256", "hmac-sha384" or "hmac-sha512" */
	char *secret;    /* base64 text: a secret, wiped by cf_tsig_key_free */
};

/*
 * Parse the text of a BIND key file:
 *     key "name" { algorithm hmac-sha256; secret "base64"; };
 * Exactly one key clause; "#", "//" and C comments are allowed.  source
 * names the file in error messages, which also name the line
 * ("FILE:LINE: ...").  The secret never appears in a message.  On success
 * the caller owns *out and frees it with cf_tsig_key_free.
 */
cf_rc cf_tsig_key_parse(const char *text, const char *source,
			struct cf_tsig_key *out, struct cf_err *err) CF_MUST_CHECK;

/* Read and parse a key file (the read buffer is wiped). */
cf_rc cf_tsig_key_load(const char *path, struct cf_tsig_key *out,
		       struct cf_err *err) CF_MUST_CHECK;

/* Wipe the secret and free the strings; k may be NULL or zeroed. */
void cf_tsig_key_free(struct cf_tsig_key *k);

#endif
