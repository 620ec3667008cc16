/* csr.c - see csr.h */
#include "crypto/csr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/ip.h"

/* Longest subject CN allowed (RFC 5280 ub-common-name). */
#define CN_MAX 64

/* One subjectAltName entry: IP for an address literal, else DNS. */
static GENERAL_NAME *
san_entry(const char *name)
{
	unsigned char addr[16];
	GENERAL_NAME *gn = NULL;
	ASN1_OCTET_STRING *ip = NULL;
	ASN1_IA5STRING *dns = NULL;
	int alen = cf_ip_bytes(name, addr);

	if ((gn = GENERAL_NAME_new()) == NULL)
		return NULL;
	if (alen > 0) {
		if ((ip = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(ip, addr, alen) != 1)
			goto fail;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
	} else {
		if ((dns = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(dns, name, -1) != 1)
			goto fail;
		GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	}
	return gn;
fail:
	ASN1_OCTET_STRING_free(ip);
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(gn);
	return NULL;
}

/* Names must be non-empty printable ASCII (IDNs arrive as A-labels). */
static cf_rc
check_name(const char *name, size_t i, struct cf_err *err)
{
	const unsigned char *p;

	if (name == NULL || *name == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
		    "certificate name %zu is empty", i + 1);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return cf_err_set(err, CF_ERR_USAGE,
			    "certificate name %zu has a byte 0x%02x that is not "
			    "printable ASCII; give internationalised names in "
			    "their xn-- form", i + 1, *p);
	}
	if (strlen(name) > 253)
		return cf_err_set(err, CF_ERR_USAGE,
		    "certificate name %zu is longer than 253 characters",
		    i + 1);
	return CF_OK;
}

cf_rc
cf_csr_build(EVP_PKEY *key, const char *const *names, size_t n,
	     unsigned char **der, size_t *der_len, struct cf_err *err)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	X509_EXTENSION *ext = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *buf = NULL, *p;
	int has_cn = 0, len;
	size_t i;
	cf_rc rc;

	*der = NULL;
	*der_len = 0;
	if (key == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "CSR without key");
	if (names == NULL || n == 0)
		return cf_err_set(err, CF_ERR_USAGE,
		    "a certificate needs at least one name");
	for (i = 0; i < n; i++)
		if ((rc = check_name(names[i], i, err)) != CF_OK)
			return rc;

	if ((req = X509_REQ_new()) == NULL || (subj = X509_NAME_new()) ==
	    NULL || (gens = GENERAL_NAMES_new()) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
		rc = cf_err_openssl(err, "CSR version");
		goto out;
	}
	if (strlen(names[0]) <= CN_MAX) {
		if (X509_NAME_add_entry_by_NID(subj, NID_commonName,
		    MBSTRING_UTF8, (const unsigned char *)names[0], -1, -1,
		    0) != 1) {
			rc = cf_err_openssl(err, "CSR subject");
			goto out;
		}
		has_cn = 1;
	}
	if (X509_REQ_set_subject_name(req, subj) != 1) {
		rc = cf_err_openssl(err, "CSR subject");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((gn = san_entry(names[i])) == NULL ||
		    sk_GENERAL_NAME_push(gens, gn) <= 0) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		gn = NULL;
	}
	/* RFC 5280 §4.2.1.6: critical when the subject is empty */
	if ((ext = X509V3_EXT_i2d(NID_subject_alt_name, has_cn ? 0 : 1,
	    gens)) == NULL || sk_X509_EXTENSION_push(exts, ext) <= 0) {
		rc = cf_err_openssl(err, "CSR subjectAltName");
		goto out;
	}
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1) {
		rc = cf_err_openssl(err, "CSR extensions");
		goto out;
	}
	if (X509_REQ_set_pubkey(req, key) != 1) {
		rc = cf_err_openssl(err, "CSR public key");
		goto out;
	}
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		rc = cf_err_openssl(err, "sign CSR");
		goto out;
	}
	if ((len = i2d_X509_REQ(req, NULL)) <= 0) {
		rc = cf_err_openssl(err, "encode CSR");
		goto out;
	}
	if ((buf = malloc((size_t)len)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	p = buf;
	if (i2d_X509_REQ(req, &p) != len) {
		rc = cf_err_openssl(err, "encode CSR");
		goto out;
	}
	*der = buf;
	*der_len = (size_t)len;
	buf = NULL;
	rc = CF_OK;
out:
	free(buf);
	GENERAL_NAME_free(gn);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return rc;
}
