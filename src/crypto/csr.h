/*
 * csr.h - certificate signing requests.
 *
 * Owns: building the PKCS#10 request an ACME finalize carries: subject CN
 * = the first name when it fits (64 chars) and is not an IP address,
 * subjectAltName = every name (IP addresses as iPAddress),
 * signed with SHA-256 by the certificate key; and reading a CSR the user
 * brings (issue --csr): its names, its key, its signature checked.
 */
#ifndef CF_CSR_H
#define CF_CSR_H

#include <stddef.h>

#include <openssl/evp.h>

#include "core/err.h"

/* DER of a CSR for names[0..n) signed with key. *der malloc'd (caller frees). */
cf_rc cf_csr_build(EVP_PKEY *key, const char *const *names, size_t n,
		   unsigned char **der, size_t *der_len,
		   struct cf_err *err) CF_MUST_CHECK;

/* A CSR the user brings (issue --csr).  The parts certferry needs. */
struct cf_csr_info {
	unsigned char *der;      /* the CSR as it is sent at finalize */
	size_t der_len;
	char **names;            /* its subjectAltNames (DNS names lower
				    case, addresses in canonical form), and
				    the subject CN when the SANs lack it */
	size_t nnames;
	EVP_PKEY *pub;           /* its public key */
};
void cf_csr_info_free(struct cf_csr_info *ci);

/* Parse a PEM ("CERTIFICATE REQUEST") or DER CSR and check its signature.
 * CF_ERR_USAGE naming what is wrong (not a CSR, bad signature, no name,
 * a SAN of another type than DNS or IP). */
cf_rc cf_csr_parse(const char *data, size_t len, struct cf_csr_info *out,
		   struct cf_err *err) CF_MUST_CHECK;

#endif
