/* key.c - see key.h */
#include "crypto/key.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

static const char *const key_type_names[CF_KEY_TYPE_COUNT] = {
	[CF_KEY_EC256] = "ec256",
	[CF_KEY_EC384] = "ec384",
	[CF_KEY_RSA2048] = "rsa2048",
	[CF_KEY_RSA3072] = "rsa3072",
	[CF_KEY_RSA4096] = "rsa4096",
};

const char *
cf_key_type_name(enum cf_key_type t)
{
	if ((unsigned)t >= CF_KEY_TYPE_COUNT)
		return "unknown";
	return key_type_names[t];
}

cf_rc
cf_key_type_parse(const char *s, enum cf_key_type *out, struct cf_err *err)
{
	size_t i;

	for (i = 0; s != NULL && i < CF_KEY_TYPE_COUNT; i++) {
		if (strcasecmp(s, key_type_names[i]) == 0) {
			*out = (enum cf_key_type)i;
			return CF_OK;
		}
	}
	return cf_err_set(err, CF_ERR_USAGE,
			  "unknown key type '%.40s': use one of ec256, ec384, rsa2048, "
			  "rsa3072, rsa4096", s == NULL ? "" : s);
}

cf_rc
cf_key_generate(enum cf_key_type t, EVP_PKEY **out, struct cf_err *err)
{
	EVP_PKEY *pk = NULL;

	*out = NULL;
	switch (t) {
	case CF_KEY_EC256:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case CF_KEY_EC384:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case CF_KEY_RSA2048:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case CF_KEY_RSA3072:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case CF_KEY_RSA4096:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	default:
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "cf_key_generate: bad key type %d", (int)t);
	}
	if (pk == NULL)
		return cf_err_openssl(err, "generate key");
	*out = pk;
	return CF_OK;
}

cf_rc
cf_key_type_of(EVP_PKEY *key, enum cf_key_type *out, struct cf_err *err)
{
	char group[64];
	size_t glen = 0;
	int bits;

	if (key == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "cf_key_type_of: no key");
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(key,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    &glen) != 1) {
			ERR_clear_error();
			break;
		}
		if (strcasecmp(group, "prime256v1") == 0 ||
		    strcasecmp(group, "P-256") == 0 ||
		    strcasecmp(group, "secp256r1") == 0) {
			*out = CF_KEY_EC256;
			return CF_OK;
		}
		if (strcasecmp(group, "secp384r1") == 0 ||
		    strcasecmp(group, "P-384") == 0) {
			*out = CF_KEY_EC384;
			return CF_OK;
		}
		return cf_err_set(err, CF_ERR_USAGE,
				  "unsupported EC curve %.40s: use P-256 (ec256) or P-384 "
				  "(ec384)", group);
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		if (bits == 2048) {
			*out = CF_KEY_RSA2048;
			return CF_OK;
		}
		if (bits == 3072) {
			*out = CF_KEY_RSA3072;
			return CF_OK;
		}
		if (bits == 4096) {
			*out = CF_KEY_RSA4096;
			return CF_OK;
		}
		return cf_err_set(err, CF_ERR_USAGE,
				  "unsupported RSA key size %d bits: use 2048, 3072 or 4096",
				  bits);
	default:
		break;
	}
	return cf_err_set(err, CF_ERR_USAGE,
			  "unsupported key algorithm: use an EC P-256/P-384 or RSA "
			  "2048/3072/4096 key");
}

cf_rc
cf_key_to_pem(EVP_PKEY *key, char **pem, size_t *len, struct cf_err *err)
{
	return cf_key_to_pem_pass(key, NULL, pem, len, err);
}

cf_rc
cf_key_to_pem_pass(EVP_PKEY *key, const char *pass, char **pem, size_t *len,
		   struct cf_err *err)
{
	BIO *bio = NULL;
	BUF_MEM *bm = NULL;
	char *copy = NULL;
	cf_rc rc;

	*pem = NULL;
	*len = 0;
	/* secure-memory BIO: its buffer is wiped on free */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		rc = cf_err_openssl(err, "write key PEM");
		goto out;
	}
	if ((pass == NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL) != 1) || (pass != NULL &&
	    PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(),
	    pass, (int)strlen(pass), NULL, NULL) != 1)) {
		rc = cf_err_openssl(err, "write key PEM");
		goto out;
	}
	if (BIO_get_mem_ptr(bio, &bm) != 1 || bm == NULL) {
		rc = cf_err_openssl(err, "write key PEM");
		goto out;
	}
	if ((copy = malloc(bm->length + 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(copy, bm->data, bm->length);
	copy[bm->length] = '\0';
	*pem = copy;
	*len = bm->length;
	rc = CF_OK;
out:
	BIO_free(bio);
	return rc;
}

/* 1 when needle occurs in hay[0..len). */
static int
contains(const char *hay, size_t len, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Never prompt for a pass phrase: encrypted keys are refused. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

cf_rc
cf_key_from_pem_pass(const char *pem, size_t len, const char *pass,
		     EVP_PKEY **out, struct cf_err *err)
{
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;

	*out = NULL;
	if (pem == NULL || len == 0 || len > INT_MAX)
		return cf_err_set(err, CF_ERR_USAGE, "no private key PEM");
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return cf_err_openssl(err, "read private key");
	/* With cb NULL, OpenSSL takes u as the passphrase. */
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)pass);
	BIO_free(bio);
	if (pk == NULL) {
		ERR_clear_error();
		return cf_err_set(err, CF_ERR_USAGE,
				  "cannot decrypt the private key: wrong passphrase, or not "
				  "an encrypted PKCS#8 PEM key");
	}
	*out = pk;
	return CF_OK;
}

cf_rc
cf_key_from_pem(const char *pem, size_t len, EVP_PKEY **out,
		struct cf_err *err)
{
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	cf_rc rc;

	*out = NULL;
	if (pem == NULL || len == 0)
		return cf_err_set(err, CF_ERR_USAGE, "private key PEM is empty");
	if (len > INT_MAX)
		return cf_err_set(err, CF_ERR_USAGE, "private key PEM too large");
	if (contains(pem, len, "ENCRYPTED"))
		return cf_err_set(err, CF_ERR_USAGE,
				  "the private key is encrypted; certferry needs an "
				  "unencrypted PEM key (decrypt it with openssl pkey)");
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		rc = cf_err_openssl(err, "read private key");
		goto out;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (pk == NULL) {
		rc = cf_err_openssl(err, "read private key (expected an "
				    "unencrypted PEM PKCS#8, EC or RSA private key)");
		goto out;
	}
	*out = pk;
	rc = CF_OK;
out:
	BIO_free(bio);
	return rc;
}

int
cf_key_public_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return EVP_PKEY_eq(a, b) == 1;
}
