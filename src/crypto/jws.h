/*
 * jws.h - JSON Web Signature for ACME (RFC 7515, RFC 8555 §6.2).
 *
 * Owns: JWK encoding of public keys, RFC 7638 thumbprints, the flattened JWS
 * serialisation that ACME requests use, External Account Binding (RFC 8555
 * §7.3.4) and key authorisations (§8.1).  All JSON is built with jansson.
 *
 * Algorithms: ES256 (P-256), ES384 (P-384), RS256 (RSA), chosen from the key.
 * ECDSA signatures are the raw R||S form JWS needs, not DER.
 */
#ifndef CF_JWS_H
#define CF_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/err.h"

/* "ES256", "ES384" or "RS256" for a key; NULL for an unsupported key. */
const char *cf_jws_alg(EVP_PKEY *key);

/* Public JWK of key as a new JSON object (caller json_decref). */
cf_rc cf_jwk_public(EVP_PKEY *key, json_t **jwk, struct cf_err *err) CF_MUST_CHECK;

/* RFC 7638 SHA-256 thumbprint, base64url. *out malloc'd. */
cf_rc cf_jwk_thumbprint(EVP_PKEY *key, char **out, struct cf_err *err) CF_MUST_CHECK;

/*
 * Sign an ACME request.  The protected header holds alg, nonce, url and
 * either kid (when kid != NULL) or the public jwk.  payload is the JSON
 * payload text, or "" for POST-as-GET (empty payload), or NULL for the same.
 * nonce may be NULL only for the inner JWS of a key change.
 * *out is the flattened JWS JSON text (malloc'd, caller frees).
 */
cf_rc cf_jws_sign(EVP_PKEY *key, const char *url, const char *nonce,
		  const char *kid, const char *payload, char **out,
		  struct cf_err *err) CF_MUST_CHECK;

/*
 * External Account Binding object for newAccount: a JWS with alg HS256,
 * kid = eab_kid, url = new_account_url, payload = jwk (the account key's
 * public JWK, borrowed: cf_jwk_public, or the key process's), MAC'd with
 * the raw hmac key.  *out is a new JSON object.
 */
cf_rc cf_jws_eab(const unsigned char *hmac, size_t hmac_len, const char *eab_kid,
		 const char *new_account_url, json_t *jwk, json_t **out,
		 struct cf_err *err) CF_MUST_CHECK;

/* token "." thumbprint (RFC 8555 §8.1). *out malloc'd. */
cf_rc cf_key_authorization(const char *token, const char *thumbprint, char **out,
			   struct cf_err *err) CF_MUST_CHECK;

/* base64url(SHA-256(key_authorization)): the dns-01 TXT value. *out malloc'd. */
cf_rc cf_dns01_txt_value(const char *key_authorization, char **out,
			 struct cf_err *err) CF_MUST_CHECK;

#endif
