/*
 * csr.h - certificate signing requests.
 *
 * Owns: building the PKCS#10 request an ACME finalize carries: subject CN
 * = the first name when it fits (64 chars), subjectAltName = every name,
 * signed with SHA-256 by the certificate key.
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

#endif
