/* x509.c - see x509.h */
#include "crypto/x509.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/b64.h"
#include "crypto/key.h"

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

/* First occurrence of needle in hay[from..len), or -1. */
static long
find(const char *hay, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = from; i + n <= len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return (long)i;
	return -1;
}

static int
all_space(const char *s, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The end of the CERTIFICATE block no that begins at b: past its END
 * line and that line's own line break. */
static cf_rc
block_end(const char *pem, size_t len, size_t b, size_t no, size_t *bend,
	  struct cf_err *err)
{
	long e;

	if ((e = find(pem, len, b, pem_end)) < 0)
		return cf_err_set(err, CF_ERR_PROTO,
				  "PEM certificate %zu has no END CERTIFICATE line", no);
	*bend = (size_t)e + strlen(pem_end);
	if (*bend < len && pem[*bend] == '\r')
		(*bend)++;
	if (*bend < len && pem[*bend] == '\n')
		(*bend)++;
	if (*bend - b > INT_MAX)
		return cf_err_set(err, CF_ERR_PROTO,
				  "PEM certificate %zu is too large", no);
	return CF_OK;
}

/* The certificate of block no, pem[b..bend), into *x. */
static cf_rc
read_block(const char *pem, size_t b, size_t bend, size_t no, X509 **x,
	   struct cf_err *err)
{
	BIO *bio;
	struct cf_err oe;

	if ((bio = BIO_new_mem_buf(pem + b, (int)(bend - b))) == NULL)
		return cf_err_openssl(err, "read PEM");
	*x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (*x != NULL)
		return CF_OK;
	cf_err_openssl(&oe, "OpenSSL");
	return cf_err_set(err, CF_ERR_PROTO,
			  "PEM certificate %zu does not parse (%s)", no, oe.msg);
}

/*
 * Parse up to max (0: all) CERTIFICATE blocks of pem into *out.  With
 * strict set, anything but white space outside the blocks is an error.
 */
static cf_rc
scan_certs(const char *pem, size_t len, int strict, size_t max,
	   STACK_OF(X509) **out, struct cf_err *err)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x = NULL;
	size_t pos = 0, nblock = 0, bend = 0;
	long b;
	cf_rc rc;

	*out = NULL;
	if (pem == NULL)
		len = 0;
	if ((sk = sk_X509_new_null()) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	while (max == 0 || nblock < max) {
		if ((b = find(pem, len, pos, pem_begin)) < 0)
			break;
		if (strict && !all_space(pem, pos, (size_t)b)) {
			rc = cf_err_set(err, CF_ERR_PROTO,
					"PEM chain has unexpected text before certificate "
					"%zu (at byte %zu); expected only CERTIFICATE "
					"blocks", nblock + 1, pos);
			goto out;
		}
		if ((rc = block_end(pem, len, (size_t)b, nblock + 1, &bend,
		    err)) != CF_OK || (rc = read_block(pem, (size_t)b, bend,
		    ++nblock, &x, err)) != CF_OK)
			goto out;
		if (sk_X509_push(sk, x) <= 0) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		x = NULL;
		pos = bend;
	}
	if (nblock == 0) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"no PEM certificate found (expected a "
				"-----BEGIN CERTIFICATE----- block)");
		goto out;
	}
	if (strict && !all_space(pem, pos, len)) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"PEM chain has unexpected text after certificate %zu "
				"(at byte %zu); expected only CERTIFICATE blocks", nblock,
				pos);
		goto out;
	}
	*out = sk;
	sk = NULL;
	rc = CF_OK;
out:
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

cf_rc
cf_pem_read_certs(const char *pem, size_t len, STACK_OF(X509) **out,
		  struct cf_err *err)
{
	return scan_certs(pem, len, 0, 0, out, err);
}

/* PEM of certificates [from, to) of sk, malloc'd ("" when empty). */
static cf_rc
certs_to_pem(STACK_OF(X509) *sk, int from, int to, char **out,
	     struct cf_err *err)
{
	BIO *bio = NULL;
	BUF_MEM *bm = NULL;
	int i;
	cf_rc rc;

	*out = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		rc = cf_err_openssl(err, "write PEM");
		goto out;
	}
	for (i = from; i < to; i++) {
		if (PEM_write_bio_X509(bio, sk_X509_value(sk, i)) != 1) {
			rc = cf_err_openssl(err, "write PEM");
			goto out;
		}
	}
	if (BIO_get_mem_ptr(bio, &bm) != 1 || bm == NULL) {
		rc = cf_err_openssl(err, "write PEM");
		goto out;
	}
	if ((*out = malloc(bm->length + 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (bm->length > 0)
		memcpy(*out, bm->data, bm->length);
	(*out)[bm->length] = '\0';
	rc = CF_OK;
out:
	BIO_free(bio);
	return rc;
}

cf_rc
cf_pem_split_chain(const char *pem, size_t len, char **leaf, char **chain,
		   struct cf_err *err)
{
	STACK_OF(X509) *sk = NULL;
	cf_rc rc;

	*leaf = NULL;
	*chain = NULL;
	if ((rc = scan_certs(pem, len, 1, 0, &sk, err)) != CF_OK)
		goto out;
	if ((rc = certs_to_pem(sk, 0, 1, leaf, err)) != CF_OK ||
	    (rc = certs_to_pem(sk, 1, sk_X509_num(sk), chain, err)) != CF_OK)
		goto out;
	rc = CF_OK;
out:
	if (rc != CF_OK) {
		free(*leaf);
		free(*chain);
		*leaf = NULL;
		*chain = NULL;
	}
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* The first certificate of pem (caller X509_free). */
static cf_rc
first_cert(const char *pem, size_t len, X509 **out, struct cf_err *err)
{
	STACK_OF(X509) *sk = NULL;
	cf_rc rc;

	*out = NULL;
	if ((rc = scan_certs(pem, len, 0, 1, &sk, err)) != CF_OK)
		return rc;
	*out = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return CF_OK;
}

/* Lower-case hex of an INTEGER without leading zeros ("0" for zero). */
static char *
serial_hex(const ASN1_INTEGER *ai)
{
	BIGNUM *bn = NULL;
	char *hex = NULL, *res = NULL, *p, *d;
	int neg;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	if ((res = malloc(strlen(hex) + 2)) == NULL)
		goto out;
	p = hex;
	neg = *p == '-';
	if (neg)
		p++;
	while (*p == '0' && p[1] != '\0')
		p++;
	d = res;
	if (neg)
		*d++ = '-';
	for (; *p != '\0'; p++)
		*d++ = (char)tolower((unsigned char)*p);
	*d = '\0';
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return res;
}

static cf_rc
asn1_time(const ASN1_TIME *t, time_t *out, const char *what,
	  struct cf_err *err)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return cf_err_set(err, CF_ERR_PROTO,
				  "certificate has an unreadable %s time", what);
	*out = timegm(&tm);
	return CF_OK;
}

/* One-line RFC 2253 form of a name, malloc'd. */
static char *
name_rfc2253(const X509_NAME *nm)
{
	BIO *bio;
	char *data = NULL, *s = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, nm, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
			if (n > 0)
				memcpy(s, data, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(bio);
	return s;
}

/* The text of a SAN entry we report, or NULL for other types. */
static char *
san_text(const GENERAL_NAME *gn, int *oom)
{
	char addr[INET6_ADDRSTRLEN];
	const ASN1_STRING *s;
	char *t = NULL;
	int type, n;

	*oom = 0;
	s = GENERAL_NAME_get0_value(gn, &type);
	if (type == GEN_DNS) {
		n = ASN1_STRING_length(s);
		if ((t = malloc((size_t)n + 1)) == NULL) {
			*oom = 1;
			return NULL;
		}
		memcpy(t, ASN1_STRING_get0_data(s), (size_t)n);
		t[n] = '\0';
		if (strlen(t) != (size_t)n) {  /* embedded NUL: ignore */
			free(t);
			return NULL;
		}
	} else if (type == GEN_IPADD) {
		n = ASN1_STRING_length(s);
		if ((n != 4 && n != 16) || inet_ntop(n == 4 ? AF_INET :
		    AF_INET6, ASN1_STRING_get0_data(s), addr,
		    sizeof(addr)) == NULL)
			return NULL;
		if ((t = strdup(addr)) == NULL)
			*oom = 1;
	}
	return t;
}

static void
key_desc(X509 *x, char *out, size_t outlen)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	enum cf_key_type t;

	snprintf(out, outlen, "unknown");
	if (pk == NULL) {
		ERR_clear_error();
		return;
	}
	if (cf_key_type_of(pk, &t, NULL) == CF_OK)
		snprintf(out, outlen, "%s", cf_key_type_name(t));
	else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		snprintf(out, outlen, "rsa%d", EVP_PKEY_get_bits(pk));
	ERR_clear_error();
}

/* The first CN of nm as UTF-8 into *out (malloc'd), NULL when it has none. */
static cf_rc
name_cn(const X509_NAME *nm, char **out, const char *what, struct cf_err *err)
{
	unsigned char *utf8 = NULL;
	int idx, n;

	*out = NULL;
	idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	if (idx < 0)
		return CF_OK;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
		X509_NAME_get_entry(nm, idx)));
	if (n < 0)
		return cf_err_openssl(err, what);
	if ((*out = malloc((size_t)n + 1)) == NULL) {
		OPENSSL_free(utf8);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	memcpy(*out, utf8, (size_t)n);
	(*out)[n] = '\0';
	OPENSSL_free(utf8);
	return CF_OK;
}

cf_rc
cf_pem_chain_top_issuer_cn(const char *pem, size_t len, char **cn,
			   struct cf_err *err)
{
	STACK_OF(X509) *sk = NULL;
	cf_rc rc;

	*cn = NULL;
	if ((rc = cf_pem_read_certs(pem, len, &sk, err)) != CF_OK)
		return rc;
	rc = name_cn(X509_get_issuer_name(sk_X509_value(sk,
		     sk_X509_num(sk) - 1)), cn, "chain's topmost issuer CN", err);
	if (rc == CF_OK && *cn == NULL && (*cn = strdup("")) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

cf_rc
cf_cert_info_from_pem(const char *pem, size_t len, struct cf_cert_info *out,
		      struct cf_err *err)
{
	X509 *x = NULL;
	GENERAL_NAMES *gens = NULL;
	char *t;
	int n, i, oom;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = first_cert(pem, len, &x, err)) != CF_OK)
		return rc;

	if ((rc = name_cn(X509_get_subject_name(x), &out->subject_cn,
			  "certificate subject CN", err)) != CF_OK)
		goto out;
	if ((out->issuer = name_rfc2253(X509_get_issuer_name(x))) == NULL ||
	    (out->serial_hex = serial_hex(X509_get0_serialNumber(x))) ==
	    NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens != NULL && sk_GENERAL_NAME_num(gens) > 0) {
		n = sk_GENERAL_NAME_num(gens);
		if ((out->names = calloc((size_t)n, sizeof(char *))) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < n; i++) {
			t = san_text(sk_GENERAL_NAME_value(gens, i), &oom);
			if (oom) {
				rc = cf_err_set(err, CF_ERR_NOMEM,
						"out of memory");
				goto out;
			}
			if (t != NULL)
				out->names[out->nnames++] = t;
		}
	}
	if ((rc = asn1_time(X509_get0_notBefore(x), &out->not_before,
	    "notBefore", err)) != CF_OK ||
	    (rc = asn1_time(X509_get0_notAfter(x), &out->not_after,
	    "notAfter", err)) != CF_OK)
		goto out;
	key_desc(x, out->key_desc, sizeof(out->key_desc));
	rc = CF_OK;
out:
	if (rc != CF_OK)
		cf_cert_info_free(out);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	return rc;
}

void
cf_cert_info_free(struct cf_cert_info *ci)
{
	size_t i;

	if (ci == NULL)
		return;
	free(ci->subject_cn);
	free(ci->issuer);
	free(ci->serial_hex);
	for (i = 0; i < ci->nnames; i++)
		free(ci->names[i]);
	free(ci->names);
	memset(ci, 0, sizeof(*ci));
}

char *
cf_cert_serial_hex(const X509 *x)
{
	return serial_hex(X509_get0_serialNumber(x));
}

int
cf_cert_matches_key(const char *pem, size_t len, EVP_PKEY *key)
{
	X509 *x = NULL;
	EVP_PKEY *pk;
	int ok = 0;

	if (key == NULL || first_cert(pem, len, &x, NULL) != CF_OK)
		return 0;
	if ((pk = X509_get0_pubkey(x)) != NULL)
		ok = EVP_PKEY_eq(pk, key) == 1;
	ERR_clear_error();
	X509_free(x);
	return ok;
}

cf_rc
cf_cert_ari_id(const char *leaf_pem, size_t len, char **out,
	       struct cf_err *err)
{
	X509 *x = NULL;
	const ASN1_OCTET_STRING *akid;
	unsigned char *der = NULL;
	const unsigned char *p;
	char *a = NULL, *s = NULL;
	long clen = 0;
	int dlen, tag, cls, r;
	cf_rc rc;

	*out = NULL;
	if ((rc = first_cert(leaf_pem, len, &x, err)) != CF_OK)
		return rc;
	if ((akid = X509_get0_authority_key_id(x)) == NULL ||
	    ASN1_STRING_length(akid) <= 0) {
		ERR_clear_error();
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the certificate has no Authority Key Identifier, so it "
				"has no ARI CertID");
		goto out;
	}
	/* DER of the serial INTEGER; keep only its content octets */
	if ((dlen = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der)) <= 0) {
		rc = cf_err_openssl(err, "encode certificate serial");
		goto out;
	}
	p = der;
	r = ASN1_get_object(&p, &clen, &tag, &cls, dlen);
	if ((r & 0x80) != 0 || tag != V_ASN1_INTEGER || clen <= 0 ||
	    clen > dlen - (long)(p - der)) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the certificate serial number is malformed");
		goto out;
	}
	if ((a = cf_b64url_encode(ASN1_STRING_get0_data(akid),
	    (size_t)ASN1_STRING_length(akid))) == NULL ||
	    (s = cf_b64url_encode(p, (size_t)clen)) == NULL ||
	    (*out = malloc(strlen(a) + strlen(s) + 2)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, a, strlen(a));
	(*out)[strlen(a)] = '.';
	memcpy(*out + strlen(a) + 1, s, strlen(s) + 1);
	rc = CF_OK;
out:
	free(a);
	free(s);
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}
