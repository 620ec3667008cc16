/*
 * cert_test_util.h - throw-away keys and certificates for unit tests.
 *
 * Owns: nothing beyond the test.  Made directly with OpenSSL so that the
 * tests do not depend on certferry's own crypto modules.
 */
#ifndef CF_CERT_TEST_UTIL_H
#define CF_CERT_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline EVP_PKEY *
test_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		abort();
	return k;
}

/* A certificate for key signed by (ca, cakey), or self-signed when ca is
 * NULL; subjectAltName DNS names from names[]; valid for `days` days
 * (negative: already expired). */
static inline X509 *
test_cert(EVP_PKEY *key, const char *cn, const char *const *names, size_t n,
	  X509 *ca, EVP_PKEY *cakey, long days)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	static long serial = 1;
	size_t i;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : nm);
	if (days >= 0) {
		X509_gmtime_adj(X509_getm_notBefore(x), -3600);
		X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
	} else {
		X509_gmtime_adj(X509_getm_notBefore(x), (days - 10) * 86400L);
		X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
	}
	X509_set_pubkey(x, key);
	if (n > 0) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
		for (i = 0; i < n; i++) {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();
			ASN1_STRING_set(s, names[i], -1);
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
			sk_GENERAL_NAME_push(gens, g);
		}
		X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
		sk_GENERAL_NAME_pop_free(gens, GENERAL_NAME_free);
	}
	if (!X509_sign(x, ca ? cakey : key, EVP_sha256()))
		abort();
	X509_NAME_free(nm);
	return x;
}

/* PEM text of a certificate, malloc'd. */
static inline char *
test_cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *r;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	r = malloc((size_t)n + 1);
	memcpy(r, p, (size_t)n);
	r[n] = '\0';
	BIO_free(b);
	return r;
}

/* PKCS#8 PEM of a private key, malloc'd. */
static inline char *
test_key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *r;
	long n;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	r = malloc((size_t)n + 1);
	memcpy(r, p, (size_t)n);
	r[n] = '\0';
	BIO_free(b);
	return r;
}

/* A leaf (names) issued by a fresh CA: fills key, leaf_pem, chain_pem
 * (the CA), and fullchain_pem; caller frees. */
struct test_bundle {
	EVP_PKEY *key, *cakey;
	X509 *leaf, *ca;
	char *key_pem, *leaf_pem, *chain_pem, *fullchain_pem;
};

static inline void
test_bundle_make(struct test_bundle *b, const char *const *names, size_t n,
		 long days)
{
	size_t l1, l2;

	memset(b, 0, sizeof(*b));
	b->cakey = test_key();
	b->ca = test_cert(b->cakey, "Test CA", NULL, 0, NULL, NULL, 3650);
	b->key = test_key();
	b->leaf = test_cert(b->key, n ? names[0] : "leaf", names, n, b->ca,
			    b->cakey, days);
	b->key_pem = test_key_pem(b->key);
	b->leaf_pem = test_cert_pem(b->leaf);
	b->chain_pem = test_cert_pem(b->ca);
	l1 = strlen(b->leaf_pem);
	l2 = strlen(b->chain_pem);
	b->fullchain_pem = malloc(l1 + l2 + 1);
	memcpy(b->fullchain_pem, b->leaf_pem, l1);
	memcpy(b->fullchain_pem + l1, b->chain_pem, l2 + 1);
}

static inline void
test_bundle_free(struct test_bundle *b)
{
	EVP_PKEY_free(b->key);
	EVP_PKEY_free(b->cakey);
	X509_free(b->leaf);
	X509_free(b->ca);
	free(b->key_pem);
	free(b->leaf_pem);
	free(b->chain_pem);
	free(b->fullchain_pem);
	memset(b, 0, sizeof(*b));
}

#endif
