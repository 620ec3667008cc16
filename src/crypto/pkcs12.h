/*
 * pkcs12.h - PKCS#12 (PFX) files for Windows and IIS.
 *
 * Owns: building a password-protected PFX from a key, its certificate and
 * the intermediates, in one of two profiles Windows can import, and
 * reading one back.  Pure: no files.  The password is a secret: it is
 * never copied into error messages.
 *
 *   legacy  PBE-SHA1-3DES for the key and certificate bags, SHA-1 MAC.
 *           Every Windows, including Server 2016 and older.
 *   aes256  PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), SHA-256 MAC.
 *           Windows Server 2019 (1809) and newer.
 */
#ifndef CF_PKCS12_H
#define CF_PKCS12_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

enum cf_pfx_format {
	CF_PFX_LEGACY = 0,
	CF_PFX_AES256,
	CF_PFX_FORMAT_COUNT
};

/* PBE/PBKDF2 and MAC iteration count used for both profiles. */
#define CF_PFX_ITER 2048

/* "legacy" or "aes256". Never NULL. */
const char *cf_pfx_format_name(enum cf_pfx_format f);

/* Parse "legacy"/"aes256" (any case); CF_ERR_USAGE naming both otherwise. */
cf_rc cf_pfx_format_parse(const char *s, enum cf_pfx_format *out,
			  struct cf_err *err) CF_MUST_CHECK;

/*
 * Build a PFX holding key, the leaf certificate (first certificate of
 * leaf_pem) and every certificate of chain_pem (may be NULL or "").
 * friendly_name may be NULL.  The key must match the leaf (CF_ERR_USAGE
 * otherwise).  *der is malloc'd (OPENSSL_malloc; free with OPENSSL_free),
 * *len its size.  The key is not consumed.
 */
cf_rc cf_pkcs12_build(EVP_PKEY *key, const char *leaf_pem, const char *chain_pem,
		      const char *password, enum cf_pfx_format fmt,
		      const char *friendly_name, unsigned char **der, size_t *len,
		      struct cf_err *err) CF_MUST_CHECK;

/*
 * Open a PFX with password.  Any of key, cert, ca may be NULL when not
 * wanted; what is returned is owned by the caller (EVP_PKEY_free,
 * X509_free, sk_X509_pop_free).  CF_ERR_USAGE when the password is wrong
 * or the data is no PKCS#12.
 */
cf_rc cf_pkcs12_parse(const unsigned char *der, size_t len,
		      const char *password, EVP_PKEY **key, X509 **cert,
		      STACK_OF(X509) **ca, struct cf_err *err) CF_MUST_CHECK;

#endif
