/*
 * key.h - private keys: generate, load, save, describe.
 *
 * Owns: the mapping between certferry's key type names and OpenSSL keys.
 * EVP_PKEY objects returned are owned by the caller (EVP_PKEY_free).
 * PEM text of a private key is a secret: callers wipe it (OPENSSL_clear_free).
 */
#ifndef CF_KEY_H
#define CF_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "core/err.h"

enum cf_key_type {
	CF_KEY_EC256 = 0, /* default: ECDSA P-256 */
	CF_KEY_EC384,
	CF_KEY_RSA2048,
	CF_KEY_RSA3072,
	CF_KEY_RSA4096,
	CF_KEY_TYPE_COUNT
};

/* "ec256", "ec384", "rsa2048", ... Never NULL. */
const char *cf_key_type_name(enum cf_key_type t);

/* Parse a key type name; CF_ERR_USAGE listing the valid names otherwise. */
cf_rc cf_key_type_parse(const char *s, enum cf_key_type *out,
			struct cf_err *err) CF_MUST_CHECK;

/* Generate a fresh key of type t into *out. */
cf_rc cf_key_generate(enum cf_key_type t, EVP_PKEY **out,
		      struct cf_err *err) CF_MUST_CHECK;

/* The type of an existing key; CF_ERR_USAGE if it is none of ours. */
cf_rc cf_key_type_of(EVP_PKEY *key, enum cf_key_type *out,
		     struct cf_err *err) CF_MUST_CHECK;

/* Unencrypted PKCS#8 PEM of the private key. *pem is malloc'd, NUL-terminated,
 * a secret: free with OPENSSL_clear_free(*pem, *len). */
cf_rc cf_key_to_pem(EVP_PKEY *key, char **pem, size_t *len,
		    struct cf_err *err) CF_MUST_CHECK;

/* The same, encrypted with pass (PKCS#8 PBES2: AES-256-CBC, key from
 * PBKDF2-HMAC-SHA256, as `openssl pkcs8 -topk8 -v2 aes-256-cbc`);
 * pass NULL writes it unencrypted. */
cf_rc cf_key_to_pem_pass(EVP_PKEY *key, const char *pass, char **pem,
			 size_t *len, struct cf_err *err) CF_MUST_CHECK;

/* Parse an encrypted PKCS#8 PEM private key with pass (CF_ERR_USAGE when
 * the passphrase is wrong). */
cf_rc cf_key_from_pem_pass(const char *pem, size_t len, const char *pass,
			   EVP_PKEY **out, struct cf_err *err) CF_MUST_CHECK;

/* Parse a PEM private key (PKCS#8, or traditional EC/RSA). */
cf_rc cf_key_from_pem(const char *pem, size_t len, EVP_PKEY **out,
		      struct cf_err *err) CF_MUST_CHECK;

/* 1 if the two keys have the same public part, else 0. */
int cf_key_public_equal(EVP_PKEY *a, EVP_PKEY *b);

#endif
