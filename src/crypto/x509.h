/*
 * x509.h - reading certificates and PEM chains.
 *
 * Owns: splitting the PEM chain a CA returns into leaf and intermediates,
 * and the facts certferry reports and decides on (names, issuer, serial,
 * validity, key).  Pure functions over PEM text; no files, no network.
 */
#ifndef CF_X509_H
#define CF_X509_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

struct cf_cert_info {
	char *subject_cn;   /* may be NULL */
	char *issuer;       /* issuer's one-line name (RFC 2253) */
	char *serial_hex;   /* lower-case hex, no separators */
	char **names;       /* DNS subjectAltNames */
	size_t nnames;
	time_t not_before;
	time_t not_after;
	char key_desc[32];  /* "ec256", "rsa2048", ... or "unknown" */
};

/* Parse the first certificate of pem. Caller calls cf_cert_info_free. */
cf_rc cf_cert_info_from_pem(const char *pem, size_t len, struct cf_cert_info *out,
			    struct cf_err *err) CF_MUST_CHECK;
void cf_cert_info_free(struct cf_cert_info *ci);

/*
 * Split a PEM chain (as downloaded from the CA) into the leaf (first
 * certificate) and the rest.  Both outputs are re-encoded PEM, malloc'd.
 * *chain is "" when there are no intermediates.  Anything that is not a
 * sequence of CERTIFICATE blocks is CF_ERR_PROTO.
 */
cf_rc cf_pem_split_chain(const char *pem, size_t len, char **leaf, char **chain,
			 struct cf_err *err) CF_MUST_CHECK;

/* Parse all certificates of a PEM text into a new stack (caller frees with
 * sk_X509_pop_free(sk, X509_free)). */
cf_rc cf_pem_read_certs(const char *pem, size_t len, STACK_OF(X509) **out,
			struct cf_err *err) CF_MUST_CHECK;

/* 1 when the leaf certificate in pem carries key's public key, else 0. */
int cf_cert_matches_key(const char *pem, size_t len, EVP_PKEY *key);

#endif
