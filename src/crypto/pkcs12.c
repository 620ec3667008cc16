/* pkcs12.c - see pkcs12.h */
#include "crypto/pkcs12.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

static const char *const format_names[] = {
	[CF_PFX_LEGACY] = "legacy",
	[CF_PFX_AES256] = "aes256",
};

_Static_assert(sizeof(format_names) / sizeof(format_names[0]) ==
	       CF_PFX_FORMAT_COUNT, "one name per PFX format");

const char *
cf_pfx_format_name(enum cf_pfx_format f)
{
	if ((unsigned)f >= CF_PFX_FORMAT_COUNT)
		return "unknown";
	return format_names[f];
}

cf_rc
cf_pfx_format_parse(const char *s, enum cf_pfx_format *out, struct cf_err *err)
{
	size_t i;

	for (i = 0; s != NULL && i < CF_PFX_FORMAT_COUNT; i++) {
		if (strcasecmp(s, format_names[i]) == 0) {
			*out = (enum cf_pfx_format)i;
			return CF_OK;
		}
	}
	return cf_err_set(err, CF_ERR_USAGE, "unknown PFX format \"%s\": use "
			  "\"legacy\" (3DES/SHA-1, any Windows) or \"aes256\" (Windows "
			  "Server 2019 and newer)", s ? s : "");
}

/* Append every certificate of pem to sk. */
static cf_rc
read_certs(const char *pem, const char *what, STACK_OF(X509) *sk,
	   struct cf_err *err)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	cf_rc rc = CF_OK;

	if (pem == NULL || *pem == '\0')
		return CF_OK;
	if (strlen(pem) > INT_MAX)
		return cf_err_set(err, CF_ERR_USAGE, "%s is too large", what);
	if ((bio = BIO_new_mem_buf(pem, (int)strlen(pem))) == NULL)
		return cf_err_openssl(err, "BIO_new_mem_buf");
	for (;;) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x == NULL) {
			unsigned long e = ERR_peek_last_error();
			if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE &&
			    sk_X509_num(sk) > 0) {
				ERR_clear_error();
				break;
			}
			rc = cf_err_openssl(err, what);
			goto out;
		}
		if (!sk_X509_push(sk, x)) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		x = NULL;
	}
out:
	X509_free(x);
	BIO_free(bio);
	return rc;
}

cf_rc
cf_pkcs12_build(EVP_PKEY *key, const char *leaf_pem, const char *chain_pem,
		const char *password, enum cf_pfx_format fmt,
		const char *friendly_name, unsigned char **der, size_t *len,
		struct cf_err *err)
{
	STACK_OF(X509) *leafs = NULL, *chain = NULL;
	PKCS12 *p12 = NULL;
	X509 *leaf;
	unsigned char *out = NULL;
	const EVP_MD *md;
	int nid, n;
	cf_rc rc = CF_OK;

	*der = NULL;
	*len = 0;
	if (key == NULL || leaf_pem == NULL || password == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "cf_pkcs12_build: key, certificate and password needed");
	switch (fmt) {
	case CF_PFX_LEGACY:
		/* 3DES PBE lives in OpenSSL 3's default provider (only RC2
		 * and RC4 need "legacy"); the MAC is set below. */
		nid = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
		md = EVP_sha1();
		break;
	case CF_PFX_AES256:
		nid = NID_aes_256_cbc; /* PBES2 + PBKDF2-HMAC-SHA256 */
		md = EVP_sha256();
		break;
	default:
		return cf_err_set(err, CF_ERR_INTERNAL, "bad PFX format %d",
				  (int)fmt);
	}
	if ((leafs = sk_X509_new_null()) == NULL ||
	    (chain = sk_X509_new_null()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_certs(leaf_pem, "certificate PEM", leafs, err)) != CF_OK ||
	    (rc = read_certs(chain_pem, "chain PEM", chain, err)) != CF_OK)
		goto out;
	if (sk_X509_num(leafs) == 0) {
		rc = cf_err_set(err, CF_ERR_USAGE, "no certificate in the "
				"certificate PEM");
		goto out;
	}
	leaf = sk_X509_value(leafs, 0);
	if (X509_check_private_key(leaf, key) != 1) {
		ERR_clear_error();
		rc = cf_err_set(err, CF_ERR_USAGE, "the private key does not "
				"belong to the certificate; refusing to build a PFX");
		goto out;
	}
	/* mac_iter -1: no MAC yet, so that we choose its digest. */
	p12 = PKCS12_create_ex(password, friendly_name, key, leaf,
			       sk_X509_num(chain) > 0 ? chain : NULL, nid, nid, CF_PFX_ITER, -1,
			       0, NULL, NULL);
	if (p12 == NULL) {
		rc = cf_err_openssl(err, "PKCS12_create");
		goto out;
	}
	if (!PKCS12_set_mac(p12, password, -1, NULL, 0, CF_PFX_ITER, md)) {
		rc = cf_err_openssl(err, "PKCS12_set_mac");
		goto out;
	}
	if ((n = i2d_PKCS12(p12, &out)) <= 0) {
		rc = cf_err_openssl(err, "i2d_PKCS12");
		goto out;
	}
	*der = out;
	*len = (size_t)n;
	out = NULL;
out:
	OPENSSL_free(out);
	PKCS12_free(p12);
	sk_X509_pop_free(leafs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

cf_rc
cf_pkcs12_parse(const unsigned char *der, size_t len, const char *password,
		EVP_PKEY **key, X509 **cert, STACK_OF(X509) **ca,
		struct cf_err *err)
{
	const unsigned char *p = der;
	PKCS12 *p12 = NULL;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	STACK_OF(X509) *s = NULL;
	cf_rc rc = CF_OK;

	if (key != NULL)
		*key = NULL;
	if (cert != NULL)
		*cert = NULL;
	if (ca != NULL)
		*ca = NULL;
	if (len > LONG_MAX || (p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return cf_err_set(err, CF_ERR_USAGE, "not a PKCS#12 (PFX) file");
	}
	if (!PKCS12_verify_mac(p12, password, -1)) {
		ERR_clear_error();
		rc = cf_err_set(err, CF_ERR_USAGE, "PFX: wrong password (MAC "
				"check failed)");
		goto out;
	}
	if (!PKCS12_parse(p12, password, &k, &c, &s)) {
		cf_err_openssl(err, "PFX: cannot decrypt");
		if (err != NULL)
			err->rc = CF_ERR_USAGE;
		rc = CF_ERR_USAGE;
		goto out;
	}
	if (ca != NULL) {
		/* an empty stack rather than NULL when there is no chain */
		if (s == NULL && (s = sk_X509_new_null()) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		*ca = s;
		s = NULL;
	}
	if (key != NULL) {
		*key = k;
		k = NULL;
	}
	if (cert != NULL) {
		*cert = c;
		c = NULL;
	}
out:
	EVP_PKEY_free(k);
	X509_free(c);
	sk_X509_pop_free(s, X509_free);
	PKCS12_free(p12);
	return rc;
}
