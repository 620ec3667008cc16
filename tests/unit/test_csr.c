/* test_csr.c - CSR built, parsed back with OpenSSL and checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/csr.h"
#include "crypto/key.h"

static const char name70[] =
    "a123456789b123456789c123456789d123456789e123456789f1234567.example.org";

static const char *const one[] = { "example.org" };
static const char *const ten[] = {
	"example.org", "www.example.org", "*.example.net", "a.b.c.example.com",
	"xn--bcher-kva.example", "192.0.2.7", "2001:db8::1", "mail.example.org",
	"x.example.org", "last.example.org",
};
static const char *const longfirst[] = { name70, "short.example.org" };
static const char *const ipfirst[] = { "192.0.2.7", "www.example.org" };

static const struct {
	const char *const *names;
	size_t n;
	const char *cn; /* expected CN or NULL */
} cases[] = {
	{ one, 1, "example.org" },
	{ ten, 10, "example.org" },
	{ longfirst, 2, NULL },
	{ ipfirst, 2, NULL },
};

/* The SAN entry i as text ("DNS:x" / "IP:x") for comparison. */
static void
gn_text(const GENERAL_NAME *gn, char *out, size_t outlen)
{
	int type;
	void *v = GENERAL_NAME_get0_value(gn, &type);
	const ASN1_STRING *s = v;
	char addr[INET6_ADDRSTRLEN];

	if (type == GEN_DNS) {
		snprintf(out, outlen, "DNS:%.*s", ASN1_STRING_length(s),
			 (const char *)ASN1_STRING_get0_data(s));
	} else if (type == GEN_IPADD) {
		assert_true(ASN1_STRING_length(s) == 4 ||
			    ASN1_STRING_length(s) == 16);
		assert_non_null(inet_ntop(ASN1_STRING_length(s) == 4 ?
				AF_INET : AF_INET6, ASN1_STRING_get0_data(s), addr,
				sizeof(addr)));
		snprintf(out, outlen, "IP:%s", addr);
	} else {
		snprintf(out, outlen, "other:%d", type);
	}
}

static void
check_csr(enum cf_key_type kt, size_t c)
{
	EVP_PKEY *key, *pub;
	struct cf_err err;
	unsigned char *der;
	const unsigned char *p;
	size_t der_len, i;
	X509_REQ *req;
	X509_NAME *subj;
	STACK_OF(X509_EXTENSION) *exts;
	X509_EXTENSION *ext;
	GENERAL_NAMES *gens;
	char got[300], want[300], cn[300];
	int idx, cnlen;
	unsigned char probe[16];

	assert_int_equal(cf_key_generate(kt, &key, &err), CF_OK);
	assert_int_equal(cf_csr_build(key, cases[c].names, cases[c].n, &der,
			 &der_len, &err), CF_OK);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)der_len);
	assert_non_null(req);
	assert_ptr_equal(p, der + der_len);

	/* version 1 (value 0), SHA-256 signature valid under its own key */
	assert_int_equal(X509_REQ_get_version(req), 0);
	pub = X509_REQ_get0_pubkey(req);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, key), 1);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	assert_int_equal(X509_REQ_get_signature_nid(req),
			 kt >= CF_KEY_RSA2048 ? NID_sha256WithRSAEncryption :
			 NID_ecdsa_with_SHA256);

	/* CN */
	subj = X509_REQ_get_subject_name(req);
	cnlen = X509_NAME_get_text_by_NID(subj, NID_commonName, cn,
					  sizeof(cn));
	if (cases[c].cn != NULL) {
		assert_int_equal(cnlen, (int)strlen(cases[c].cn));
		assert_string_equal(cn, cases[c].cn);
		assert_int_equal(X509_NAME_entry_count(subj), 1);
	} else {
		assert_int_equal(cnlen, -1);
		assert_int_equal(X509_NAME_entry_count(subj), 0);
	}

	/* SAN: every name, in order, IP literals as IP entries */
	exts = X509_REQ_get_extensions(req);
	assert_non_null(exts);
	assert_int_equal(sk_X509_EXTENSION_num(exts), 1);
	ext = sk_X509_EXTENSION_value(exts, 0);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(ext)),
			 NID_subject_alt_name);
	assert_int_equal(X509_EXTENSION_get_critical(ext),
			 cases[c].cn == NULL);
	gens = X509V3_EXT_d2i(ext);
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), (int)cases[c].n);
	for (i = 0; i < cases[c].n; i++) {
		const char *nm = cases[c].names[i];
		int ip = inet_pton(AF_INET, nm, probe) == 1 ||
		    inet_pton(AF_INET6, nm, probe) == 1;

		gn_text(sk_GENERAL_NAME_value(gens, (int)i), got, sizeof(got));
		snprintf(want, sizeof(want), "%s:%s", ip ? "IP" : "DNS", nm);
		assert_string_equal(got, want);
	}
	idx = X509_REQ_get_attr_count(req);
	assert_int_equal(idx, 1);

	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
	EVP_PKEY_free(key);
}

static void
test_csr_all(void **state)
{
	static const enum cf_key_type kts[] = {
		CF_KEY_EC256, CF_KEY_EC384, CF_KEY_RSA2048,
	};
	size_t k, c;

	(void)state;
	assert_int_equal(strlen(name70), 70);
	for (k = 0; k < sizeof(kts) / sizeof(kts[0]); k++)
		for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
			check_csr(kts[k], c);
}

/* A name of exactly 64 characters still becomes the CN. */
static void
test_cn_boundary(void **state)
{
	char n64[65];
	const char *names[1] = { n64 };
	EVP_PKEY *key;
	struct cf_err err;
	unsigned char *der;
	const unsigned char *p;
	size_t der_len;
	X509_REQ *req;
	char cn[100];

	(void)state;
	memset(n64, 'a', 64);
	memcpy(n64 + 64 - 4, ".org", 4);
	n64[64] = '\0';
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &key, &err), CF_OK);
	assert_int_equal(cf_csr_build(key, names, 1, &der, &der_len, &err),
			 CF_OK);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)der_len);
	assert_non_null(req);
	assert_int_equal(X509_NAME_get_text_by_NID(
		X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof(cn)),
			 64);
	X509_REQ_free(req);
	free(der);
	EVP_PKEY_free(key);
}

static void
test_csr_bad_names(void **state)
{
	const char *empty[] = { "" };
	const char *utf8[] = { "b\xc3\xbc" "cher.example" };
	const char *space[] = { "a b.example" };
	EVP_PKEY *key;
	struct cf_err err;
	unsigned char *der;
	size_t der_len;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &key, &err), CF_OK);
	assert_int_equal(cf_csr_build(key, empty, 1, &der, &der_len, &err),
			 CF_ERR_USAGE);
	assert_null(der);
	assert_int_equal(cf_csr_build(key, utf8, 1, &der, &der_len, &err),
			 CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "xn--"));
	assert_int_equal(cf_csr_build(key, space, 1, &der, &der_len, &err),
			 CF_ERR_USAGE);
	assert_int_equal(cf_csr_build(key, one, 0, &der, &der_len, &err),
			 CF_ERR_USAGE);
	EVP_PKEY_free(key);
}

/* A CSR brought by the user: its names (SANs, canonical addresses, CN
 * once), its key, and refusals for what is not a CSR. */
static void
test_csr_parse(void **state)
{
	const char *const names[] = { "Www.Example.COM", "example.com",
				      "2001:DB8::0:1", "192.0.2.1" };
	struct cf_csr_info ci;
	struct cf_err err = { 0 };
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &key, &err), CF_OK);
	assert_int_equal(cf_csr_build(key, names, 4, &der, &len, &err), CF_OK);
	assert_int_equal(cf_csr_parse((const char *)der, len, &ci, &err), CF_OK);
	assert_int_equal(ci.nnames, 4);
	assert_string_equal(ci.names[0], "www.example.com");
	assert_string_equal(ci.names[1], "example.com");
	assert_string_equal(ci.names[2], "2001:db8::1");
	assert_string_equal(ci.names[3], "192.0.2.1");
	assert_int_equal(EVP_PKEY_eq(ci.pub, key), 1);
	assert_int_equal(ci.der_len, len);
	assert_memory_equal(ci.der, der, len);
	cf_csr_info_free(&ci);
	/* A flipped byte in the signature: refused. */
	der[len - 3] ^= 0x55;
	assert_int_equal(cf_csr_parse((const char *)der, len, &ci, &err),
			 CF_ERR_USAGE);
	assert_int_equal(cf_csr_parse("hello", 5, &ci, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "not a certificate signing request"));
	free(der);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr_all),
		cmocka_unit_test(test_cn_boundary),
		cmocka_unit_test(test_csr_bad_names),
		cmocka_unit_test(test_csr_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
