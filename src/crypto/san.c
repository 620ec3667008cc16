/* san.c - see san.h */
#include "crypto/san.h"

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "core/ip.h"

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

cf_rc
cf_san_extension(const char *const *names, size_t n, int critical,
		 const char *what, X509_EXTENSION **out, struct cf_err *err)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((gens = GENERAL_NAMES_new()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((gn = san_entry(names[i])) == NULL ||
		    sk_GENERAL_NAME_push(gens, gn) <= 0) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		gn = NULL;
	}
	if ((*out = X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0,
	    gens)) == NULL)
		rc = cf_err_openssl(err, what);
out:
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return rc;
}
