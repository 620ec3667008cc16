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
	char **names;       /* subjectAltNames: DNS names, and IP addresses
			     * as text ("192.0.2.1", "2001:db8::1") */
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
 * sk_X509_pop_free(sk, X509_free)).  Text outside the CERTIFICATE blocks
 * (comments, "Bag Attributes", other PEM blocks) is skipped; no
 * certificate at all, or a block that does not parse, is CF_ERR_PROTO. */
cf_rc cf_pem_read_certs(const char *pem, size_t len, STACK_OF(X509) **out,
			struct cf_err *err) CF_MUST_CHECK;

/* The issuer CN of the last (topmost) certificate of a PEM chain, as
 * certbot's --preferred-chain matches it; *cn malloc'd ("" when that
 * issuer has no CN). */
cf_rc cf_pem_chain_top_issuer_cn(const char *pem, size_t len, char **cn,
				 struct cf_err *err) CF_MUST_CHECK;

/* The serial number of x as lower-case hex without separators or leading
 * zeros (as cf_cert_info's serial_hex); malloc'd, NULL when out of memory. */
char *cf_cert_serial_hex(const X509 *x);

/* 1 when the leaf certificate in pem carries key's public key, else 0. */
int cf_cert_matches_key(const char *pem, size_t len, EVP_PKEY *key);

/*
 * The ACME Renewal Information CertID (RFC 9773 §4.1) of the first
 * certificate in pem: base64url(AKI keyIdentifier) "." base64url(the DER
 * content octets of the serial number, with any leading 0x00).  *out is
 * malloc'd (caller frees).  CF_ERR_PROTO when the certificate has no
 * Authority Key Identifier with a keyIdentifier.
 */
cf_rc cf_cert_ari_id(const char *leaf_pem, size_t len, char **out,
		     struct cf_err *err) CF_MUST_CHECK;

#endif
