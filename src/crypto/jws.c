/* jws.c - see jws.h */
#include "crypto/jws.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/b64.h"
#include "crypto/key.h"

/* What signing needs to know about a key. */
struct alg_info {
	const char *alg;    /* JWS "alg" */
	const char *md;     /* digest name for EVP_DigestSign */
	const char *crv;    /* JWK "crv" for EC, NULL for RSA */
	size_t coord_len;   /* EC field size in bytes (R, S, x, y) */
};

static cf_rc
alg_of(EVP_PKEY *key, struct alg_info *ai, struct cf_err *err)
{
	enum cf_key_type t;
	cf_rc rc;

	if (key == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "no key to sign with");
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		/* any RSA size signs; cf_key_type_of limits what we create */
		ai->alg = "RS256";
		ai->md = "SHA256";
		ai->crv = NULL;
		ai->coord_len = 0;
		return CF_OK;
	}
	if ((rc = cf_key_type_of(key, &t, err)) != CF_OK)
		return rc;
	if (t == CF_KEY_EC256) {
		ai->alg = "ES256";
		ai->md = "SHA256";
		ai->crv = "P-256";
		ai->coord_len = 32;
		return CF_OK;
	}
	if (t == CF_KEY_EC384) {
		ai->alg = "ES384";
		ai->md = "SHA384";
		ai->crv = "P-384";
		ai->coord_len = 48;
		return CF_OK;
	}
	return cf_err_set(err, CF_ERR_USAGE, "key type cannot sign JWS");
}

const char *
cf_jws_alg(EVP_PKEY *key)
{
	struct alg_info ai = { NULL, NULL, NULL, 0 };

	if (alg_of(key, &ai, NULL) != CF_OK)
		return NULL;
	return ai.alg;
}

/* base64url of a BIGNUM: padded to pad bytes, or minimal when pad == 0. */
static char *
bn_b64url(const BIGNUM *bn, size_t pad)
{
	unsigned char *bin;
	size_t n;
	char *s;

	n = pad ? pad : (size_t)BN_num_bytes(bn);
	if (n == 0)
		n = 1;  /* the number 0 is one zero byte */
	if ((bin = malloc(n)) == NULL)
		return NULL;
	if (BN_bn2binpad(bn, bin, (int)n) < 0) {
		free(bin);
		return NULL;
	}
	s = cf_b64url_encode(bin, n);
	free(bin);
	return s;
}

/* Set obj[name] = a new string value; 0 on success. */
static int
set_str(json_t *obj, const char *name, const char *val)
{
	json_t *v;

	if (val == NULL || (v = json_string(val)) == NULL)
		return -1;
	return json_object_set_new(obj, name, v);
}

cf_rc
cf_jwk_public(EVP_PKEY *key, json_t **jwk, struct cf_err *err)
{
	struct alg_info ai;
	BIGNUM *a = NULL, *b = NULL;
	char *sa = NULL, *sb = NULL;
	json_t *o = NULL;
	cf_rc rc;

	*jwk = NULL;
	if ((rc = alg_of(key, &ai, err)) != CF_OK)
		return rc;
	if (ai.crv != NULL) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X,
		    &a) != 1 || EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_EC_PUB_Y, &b) != 1) {
			rc = cf_err_openssl(err, "read EC public key");
			goto out;
		}
		if (BN_num_bytes(a) > (int)ai.coord_len ||
		    BN_num_bytes(b) > (int)ai.coord_len) {
			rc = cf_err_set(err, CF_ERR_CRYPTO,
					"EC public key coordinate too long");
			goto out;
		}
		sa = bn_b64url(a, ai.coord_len);
		sb = bn_b64url(b, ai.coord_len);
	} else {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N,
		    &a) != 1 || EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_RSA_E, &b) != 1) {
			rc = cf_err_openssl(err, "read RSA public key");
			goto out;
		}
		sa = bn_b64url(a, 0);
		sb = bn_b64url(b, 0);
	}
	if (sa == NULL || sb == NULL || (o = json_object()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ai.crv != NULL) {
		if (set_str(o, "crv", ai.crv) || set_str(o, "kty", "EC") ||
		    set_str(o, "x", sa) || set_str(o, "y", sb)) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	} else {
		if (set_str(o, "e", sb) || set_str(o, "kty", "RSA") ||
		    set_str(o, "n", sa)) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	*jwk = o;
	o = NULL;
	rc = CF_OK;
out:
	json_decref(o);
	BN_free(a);
	BN_free(b);
	free(sa);
	free(sb);
	return rc;
}

/* base64url(SHA-256(data)) into *out. */
static cf_rc
sha256_b64url(const void *data, size_t len, char **out, struct cf_err *err)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	*out = NULL;
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md))
		return cf_err_openssl(err, "SHA-256");
	if ((*out = cf_b64url_encode(md, mdlen)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
cf_jwk_thumbprint(EVP_PKEY *key, char **out, struct cf_err *err)
{
	json_t *jwk = NULL;
	char *text = NULL;
	cf_rc rc;

	*out = NULL;
	if ((rc = cf_jwk_public(key, &jwk, err)) != CF_OK)
		goto out;
	/*
	 * RFC 7638 §3.2: only the required members, in lexicographic order,
	 * no white space.  The JWK holds exactly the required members, so
	 * sorting the keys gives the canonical form.
	 */
	text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = sha256_b64url(text, strlen(text), out, err);
out:
	free(text);
	json_decref(jwk);
	return rc;
}

/* JSON text of obj, compact, as a b64url string. */
static cf_rc
json_b64url(const json_t *obj, char **out, struct cf_err *err)
{
	char *text;

	*out = NULL;
	if ((text = json_dumps(obj, JSON_COMPACT)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	*out = cf_b64url_encode(text, strlen(text));
	free(text);
	if (*out == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* "a.b", malloc'd. */
static char *
join_dot(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if ((s = malloc(la + lb + 2)) == NULL)
		return NULL;
	memcpy(s, a, la);
	s[la] = '.';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

/*
 * Convert a DER ECDSA signature to the fixed-size R||S of JWS (RFC 7518
 * §3.4): each half left-padded to the field size.
 */
static cf_rc
ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t coord_len,
		 unsigned char *raw, struct cf_err *err)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig = NULL;
	cf_rc rc;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL) {
		rc = cf_err_openssl(err, "decode ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, (int)coord_len) < 0 ||
	    BN_bn2binpad(s, raw + coord_len, (int)coord_len) < 0) {
		rc = cf_err_set(err, CF_ERR_CRYPTO,
				"ECDSA signature value too long");
		goto out;
	}
	rc = CF_OK;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

/* Sign input with key; *sig_b64 is the base64url JWS signature. */
static cf_rc
sign_input(EVP_PKEY *key, const struct alg_info *ai, const char *input,
	   char **sig_b64, struct cf_err *err)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL, *raw = NULL;
	size_t siglen = 0;
	cf_rc rc;

	*sig_b64 = NULL;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit_ex(md, NULL, ai->md, NULL, NULL, key,
	    NULL) != 1) {
		rc = cf_err_openssl(err, "JWS sign init");
		goto out;
	}
	if (EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1) {
		rc = cf_err_openssl(err, "JWS sign");
		goto out;
	}
	if ((sig = malloc(siglen)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1) {
		rc = cf_err_openssl(err, "JWS sign");
		goto out;
	}
	if (ai->crv != NULL) {
		if ((raw = malloc(2 * ai->coord_len)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = ecdsa_der_to_raw(sig, siglen, ai->coord_len, raw, err);
		if (rc != CF_OK)
			goto out;
		*sig_b64 = cf_b64url_encode(raw, 2 * ai->coord_len);
	} else {
		*sig_b64 = cf_b64url_encode(sig, siglen);
	}
	if (*sig_b64 == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = CF_OK;
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(raw);
	return rc;
}

/* {"protected":p,"payload":pl,"signature":s} as a new object. */
static json_t *
flattened(const char *p, const char *pl, const char *s)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (set_str(o, "protected", p) || set_str(o, "payload", pl) ||
	    set_str(o, "signature", s)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

cf_rc
cf_jws_sign(EVP_PKEY *key, const char *url, const char *nonce,
	    const char *kid, const char *payload, char **out,
	    struct cf_err *err)
{
	struct alg_info ai;
	json_t *prot = NULL, *jwk = NULL, *jws = NULL;
	char *prot_b64 = NULL, *payload_b64 = NULL, *input = NULL;
	char *sig_b64 = NULL;
	cf_rc rc;

	*out = NULL;
	if (url == NULL || *url == '\0')
		return cf_err_set(err, CF_ERR_INTERNAL, "JWS without url");
	if ((rc = alg_of(key, &ai, err)) != CF_OK)
		return rc;
	if ((prot = json_object()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (set_str(prot, "alg", ai.alg) ||
	    (nonce != NULL && set_str(prot, "nonce", nonce)) ||
	    set_str(prot, "url", url)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (kid != NULL) {
		if (set_str(prot, "kid", kid)) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	} else {
		if ((rc = cf_jwk_public(key, &jwk, err)) != CF_OK)
			goto out;
		if (json_object_set(prot, "jwk", jwk) != 0) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = json_b64url(prot, &prot_b64, err)) != CF_OK)
		goto out;
	if (payload == NULL)
		payload = "";
	if ((payload_b64 = cf_b64url_encode(payload, strlen(payload))) ==
	    NULL || (input = join_dot(prot_b64, payload_b64)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = sign_input(key, &ai, input, &sig_b64, err)) != CF_OK)
		goto out;
	if ((jws = flattened(prot_b64, payload_b64, sig_b64)) == NULL ||
	    (*out = json_dumps(jws, JSON_COMPACT)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = CF_OK;
out:
	json_decref(prot);
	json_decref(jwk);
	json_decref(jws);
	free(prot_b64);
	free(payload_b64);
	free(input);
	free(sig_b64);
	return rc;
}

cf_rc
cf_jws_eab(const unsigned char *hmac, size_t hmac_len, const char *eab_kid,
	   const char *new_account_url, json_t *jwk, json_t **out,
	   struct cf_err *err)
{
	json_t *prot = NULL;
	char *prot_b64 = NULL, *payload_b64 = NULL, *input = NULL;
	char *sig_b64 = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	cf_rc rc;

	*out = NULL;
	if (hmac == NULL || hmac_len == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the EAB HMAC key is empty: give the key your CA issued");
	if (eab_kid == NULL || *eab_kid == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "the EAB key identifier is empty: give the kid your CA "
				  "issued");
	if (new_account_url == NULL || *new_account_url == '\0')
		return cf_err_set(err, CF_ERR_INTERNAL, "EAB without url");
	if ((prot = json_object()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (set_str(prot, "alg", "HS256") || set_str(prot, "kid", eab_kid) ||
	    set_str(prot, "url", new_account_url)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = json_b64url(prot, &prot_b64, err)) != CF_OK ||
	    (rc = json_b64url(jwk, &payload_b64, err)) != CF_OK)
		goto out;
	if ((input = join_dot(prot_b64, payload_b64)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hmac, hmac_len,
	    (const unsigned char *)input, strlen(input), mac, sizeof(mac),
	    &maclen) == NULL) {
		rc = cf_err_openssl(err, "EAB HMAC-SHA256");
		goto out;
	}
	if ((sig_b64 = cf_b64url_encode(mac, maclen)) == NULL ||
	    (*out = flattened(prot_b64, payload_b64, sig_b64)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = CF_OK;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	json_decref(prot);
	free(prot_b64);
	free(payload_b64);
	free(input);
	free(sig_b64);
	return rc;
}

cf_rc
cf_key_authorization(const char *token, const char *thumbprint, char **out,
		     struct cf_err *err)
{
	const char *p;

	*out = NULL;
	if (token == NULL || *token == '\0')
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA sent a challenge without a token");
	/* The token ends up in file names and URLs: base64url only. */
	for (p = token; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return cf_err_set(err, CF_ERR_PROTO,
					  "the CA sent a challenge token with a character "
					  "outside base64url at position %zu",
					  (size_t)(p - token) + 1);
	}
	if (thumbprint == NULL || *thumbprint == '\0')
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "key authorization without thumbprint");
	if ((*out = join_dot(token, thumbprint)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
cf_dns01_txt_value(const char *key_authorization, char **out,
		   struct cf_err *err)
{
	*out = NULL;
	if (key_authorization == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "dns-01 value without key authorization");
	return sha256_b64url(key_authorization, strlen(key_authorization),
			     out, err);
}
