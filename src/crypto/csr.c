/* csr.c - see csr.h */
#include "crypto/csr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
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
	/* No CN for an IP address (RFC 8738 certificates name it in the
	 * SAN only, as CAs issue them): the SAN is then critical. */
	if (strlen(names[0]) <= CN_MAX && !cf_ip_canon(names[0], NULL)) {
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

void
cf_csr_info_free(struct cf_csr_info *ci)
{
	if (ci == NULL)
		return;
	free(ci->der);
	for (size_t i = 0; i < ci->nnames; i++)
		free(ci->names[i]);
	free(ci->names);
	EVP_PKEY_free(ci->pub);
	memset(ci, 0, sizeof(*ci));
}

/* Append name (lower-cased DNS, or canonical address) unless present. */
static cf_rc
csr_add_name(struct cf_csr_info *ci, const char *name, size_t len,
	     struct cf_err *err)
{
	char ip[CF_IP_TEXT_MAX], *n, **nv;

	if (len == 0 || len > 253 || memchr(name, '\0', len) != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
		    "the CSR has an empty, too long or malformed name");
	if ((n = strndup(name, len)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (cf_ip_canon(n, ip))
		memcpy(n, ip, strlen(ip) + 1);
	else
		for (char *p = n; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < ci->nnames; i++)
		if (strcmp(ci->names[i], n) == 0) {
			free(n);
			return CF_OK;
		}
	if ((nv = realloc(ci->names, (ci->nnames + 2) * sizeof(*nv))) == NULL) {
		free(n);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	ci->names = nv;
	nv[ci->nnames++] = n;
	return CF_OK;
}

/* The CSR's SANs (DNS and IP only) into ci->names. */
static cf_rc
csr_sans(X509_REQ *req, struct cf_csr_info *ci, struct cf_err *err)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens = NULL;
	char buf[CF_IP_TEXT_MAX];
	cf_rc rc = CF_OK;

	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int l;

		if (gn->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			l = ASN1_STRING_length(gn->d.dNSName);
			rc = csr_add_name(ci, (const char *)d, (size_t)l, err);
		} else if (gn->type == GEN_IPADD &&
			   (ASN1_STRING_length(gn->d.iPAddress) == 4 ||
			    ASN1_STRING_length(gn->d.iPAddress) == 16)) {
			l = ASN1_STRING_length(gn->d.iPAddress);
			inet_ntop(l == 4 ? AF_INET : AF_INET6,
				  ASN1_STRING_get0_data(gn->d.iPAddress), buf,
				  sizeof(buf));
			rc = csr_add_name(ci, buf, strlen(buf), err);
		} else {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "the CSR asks for a subjectAltName of another type "
			    "than DNS or IP, which ACME cannot validate");
		}
		if (rc != CF_OK)
			break;
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

cf_rc
cf_csr_parse(const char *data, size_t len, struct cf_csr_info *out,
	     struct cf_err *err)
{
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	X509_NAME *subj;
	unsigned char *p;
	const unsigned char *q = (const unsigned char *)data;
	int idx, l;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if (len > INT_MAX)
		return cf_err_set(err, CF_ERR_USAGE, "the CSR is too big");
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	if (req == NULL)
		req = d2i_X509_REQ(NULL, &q, (long)len);
	BIO_free(bio);
	ERR_clear_error();
	if (req == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
		    "not a certificate signing request (PEM \"CERTIFICATE "
		    "REQUEST\" or DER): make one with openssl req -new");
	if ((out->pub = X509_REQ_get_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, out->pub) != 1) {
		ERR_clear_error();
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "the CSR's signature does not verify with its own key");
		goto out;
	}
	if ((rc = csr_sans(req, out, err)) != CF_OK)
		goto out;
	/* The CN is a name of the certificate too (RFC 8555 §7.4). */
	subj = X509_REQ_get_subject_name(req);
	if ((idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) >= 0) {
		const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subj, idx));
		if ((rc = csr_add_name(out, (const char *)ASN1_STRING_get0_data(cn),
		    (size_t)ASN1_STRING_length(cn), err)) != CF_OK)
			goto out;
	}
	if (out->nnames == 0) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "the CSR names nothing (no subjectAltName, no CN)");
		goto out;
	}
	if ((l = i2d_X509_REQ(req, NULL)) <= 0 ||
	    (out->der = malloc((size_t)l)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	p = out->der;
	out->der_len = (size_t)i2d_X509_REQ(req, &p);
	rc = CF_OK;
out:
	X509_REQ_free(req);
	if (rc != CF_OK)
		cf_csr_info_free(out);
	return rc;
}
