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
#include "crypto/san.h"

/* Longest subject CN allowed (RFC 5280 ub-common-name). */
#define CN_MAX 64

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

/* The subject: CN = names[0] when it fits and is not an IP address (RFC
 * 8738 certificates name an address in the SAN only, as CAs issue them);
 * *has_cn says which. */
static cf_rc
set_subject(X509_REQ *req, const char *first, int *has_cn,
	    struct cf_err *err)
{
	X509_NAME *subj;
	cf_rc rc = CF_OK;

	*has_cn = 0;
	if ((subj = X509_NAME_new()) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (strlen(first) <= CN_MAX && !cf_ip_canon(first, NULL)) {
		if (X509_NAME_add_entry_by_NID(subj, NID_commonName,
		    MBSTRING_UTF8, (const unsigned char *)first, -1, -1,
		    0) != 1) {
			rc = cf_err_openssl(err, "CSR subject");
			goto out;
		}
		*has_cn = 1;
	}
	if (X509_REQ_set_subject_name(req, subj) != 1)
		rc = cf_err_openssl(err, "CSR subject");
out:
	X509_NAME_free(subj);
	return rc;
}

/* The subjectAltName of every name, as the request's extension: critical
 * when the subject is empty (RFC 5280 §4.2.1.6). */
static cf_rc
add_sans(X509_REQ *req, const char *const *names, size_t n, int has_cn,
	 struct cf_err *err)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	cf_rc rc;

	if ((exts = sk_X509_EXTENSION_new_null()) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = cf_san_extension(names, n, !has_cn, "CSR subjectAltName",
	    &ext, err)) != CF_OK)
		goto out;
	if (sk_X509_EXTENSION_push(exts, ext) <= 0) {
		rc = cf_err_openssl(err, "CSR subjectAltName");
		goto out;
	}
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1)
		rc = cf_err_openssl(err, "CSR extensions");
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* The DER of req (malloc'd). */
static cf_rc
req_der(X509_REQ *req, unsigned char **der, size_t *der_len,
	struct cf_err *err)
{
	unsigned char *buf, *p;
	int len;

	if ((len = i2d_X509_REQ(req, NULL)) <= 0)
		return cf_err_openssl(err, "encode CSR");
	if ((buf = malloc((size_t)len)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p = buf;
	if (i2d_X509_REQ(req, &p) != len) {
		free(buf);
		return cf_err_openssl(err, "encode CSR");
	}
	*der = buf;
	*der_len = (size_t)len;
	return CF_OK;
}

cf_rc
cf_csr_build(EVP_PKEY *key, const char *const *names, size_t n,
	     unsigned char **der, size_t *der_len, struct cf_err *err)
{
	X509_REQ *req = NULL;
	int has_cn = 0;
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
	if ((req = X509_REQ_new()) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
		rc = cf_err_openssl(err, "CSR version");
		goto out;
	}
	if ((rc = set_subject(req, names[0], &has_cn, err)) != CF_OK ||
	    (rc = add_sans(req, names, n, has_cn, err)) != CF_OK)
		goto out;
	if (X509_REQ_set_pubkey(req, key) != 1) {
		rc = cf_err_openssl(err, "CSR public key");
		goto out;
	}
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		rc = cf_err_openssl(err, "sign CSR");
		goto out;
	}
	rc = req_der(req, der, der_len, err);
out:
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
