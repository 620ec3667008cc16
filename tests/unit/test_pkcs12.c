/* test_pkcs12.c - PFX building in the legacy and aes256 profiles */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>

#include "crypto/pkcs12.h"
#include "cert_test_util.h"
#include "iis_test_util.h"

static const char *const names[] = { "www.example.com", "example.com" };

static void
test_format_parse(void **state)
{
	enum cf_pfx_format f = CF_PFX_AES256;
	struct cf_err err;

	assert_int_equal(cf_pfx_format_parse("legacy", &f, NULL), CF_OK);
	assert_int_equal(f, CF_PFX_LEGACY);
	assert_int_equal(cf_pfx_format_parse("AES256", &f, NULL), CF_OK);
	assert_int_equal(f, CF_PFX_AES256);
	assert_int_equal(cf_pfx_format_parse("des", &f, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "legacy"));
	assert_int_equal(cf_pfx_format_parse(NULL, &f, NULL), CF_ERR_USAGE);
	assert_string_equal(cf_pfx_format_name(CF_PFX_LEGACY), "legacy");
	assert_string_equal(cf_pfx_format_name(CF_PFX_AES256), "aes256");
}

/* NID of the encryption of one PBE algorithm; PBES2 resolved to its
 * cipher. */
static int
pbe_nid(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, nid;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_pbes2) {
		PBE2PARAM *p2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM),
							  alg->parameter);
		assert_non_null(p2);
		nid = OBJ_obj2nid(p2->encryption->algorithm);
		/* the key derivation must be PBKDF2 with HMAC-SHA256 */
		assert_int_equal(OBJ_obj2nid(p2->keyfunc->algorithm), NID_id_pbkdf2);
		{
			PBKDF2PARAM *kdf = ASN1_TYPE_unpack_sequence(
				ASN1_ITEM_rptr(PBKDF2PARAM), p2->keyfunc->parameter);
			assert_non_null(kdf);
			assert_non_null(kdf->prf);
			assert_int_equal(OBJ_obj2nid(kdf->prf->algorithm),
					 NID_hmacWithSHA256);
			PBKDF2PARAM_free(kdf);
		}
		PBE2PARAM_free(p2);
	}
	return nid;
}

static void
check_algorithms(const unsigned char *der, size_t len, int want_bag_nid,
		 int want_mac_nid)
{
	const unsigned char *p = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	const X509_ALGOR *macalg;
	const ASN1_OBJECT *obj;
	STACK_OF(PKCS7) *safes;
	int i, j, seen_key = 0, seen_certs = 0;

	assert_non_null(p12);
	PKCS12_get0_mac(NULL, &macalg, NULL, NULL, p12);
	X509_ALGOR_get0(&obj, NULL, NULL, macalg);
	assert_int_equal(OBJ_obj2nid(obj), want_mac_nid);
	safes = PKCS12_unpack_authsafes(p12);
	assert_non_null(safes);
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags;
		int nid = OBJ_obj2nid(p7->type);

		if (nid == NID_pkcs7_encrypted) {
			/* the certificate bags */
			assert_int_equal(pbe_nid(p7->d.encrypted->enc_data->algorithm),
					 want_bag_nid);
			bags = PKCS12_unpack_p7encdata(p7, "s3cret pass", -1);
			assert_non_null(bags);
			seen_certs += sk_PKCS12_SAFEBAG_num(bags);
		} else {
			assert_int_equal(nid, NID_pkcs7_data);
			bags = PKCS12_unpack_p7data(p7);
			assert_non_null(bags);
			for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
				PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
				const X509_ALGOR *a;
				assert_int_equal(PKCS12_SAFEBAG_get_nid(bag),
						 NID_pkcs8ShroudedKeyBag);
				X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &a,
					      NULL);
				assert_int_equal(pbe_nid(a), want_bag_nid);
				seen_key++;
			}
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	assert_int_equal(seen_key, 1);
	assert_int_equal(seen_certs, 2); /* leaf + CA */
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
}

/* `openssl pkcs12 -info` on the file, when the command is installed. */
static void
check_cli(const unsigned char *der, size_t len, const char *want)
{
	const char *dir = scratch_dir();
	char path[512], pw[512], cmd[2048], line[512];
	FILE *f, *pp;
	int found = 0;

	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		scratch_remove(dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/t.pfx", dir);
	snprintf(pw, sizeof(pw), "%s/pw", dir);
	f = fopen(path, "wb");
	fwrite(der, 1, len, f);
	fclose(f);
	f = fopen(pw, "w");
	fputs("s3cret pass\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "openssl pkcs12 -info -noout -in '%s' "
		 "-passin 'file:%s' 2>&1", path, pw);
	pp = popen(cmd, "r");
	while (fgets(line, sizeof(line), pp) != NULL)
		if (strstr(line, want) != NULL)
			found = 1;
	assert_int_equal(pclose(pp), 0);
	if (!found)
		fail_msg("openssl pkcs12 -info did not mention %s", want);
	scratch_remove(dir);
}

static void
build_and_check(enum cf_pfx_format fmt, int bag_nid, int mac_nid,
		const char *cli_word)
{
	struct test_bundle b;
	unsigned char *der = NULL;
	size_t len = 0;
	struct cf_err err;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	STACK_OF(X509) *ca = NULL;

	test_bundle_make(&b, names, 2, 90);
	if (cf_pkcs12_build(b.key, b.leaf_pem, b.chain_pem, "s3cret pass", fmt,
	    "www.example.com", &der, &len, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_true(len > 100);

	/* back with the plain OpenSSL API */
	{
		const unsigned char *p = der;
		PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
		assert_non_null(p12);
		assert_int_equal(PKCS12_parse(p12, "s3cret pass", &k, &c, &ca), 1);
		assert_int_equal(EVP_PKEY_eq(k, b.key), 1);
		assert_int_equal(X509_cmp(c, b.leaf), 0);
		assert_int_equal(sk_X509_num(ca), 1);
		assert_int_equal(X509_cmp(sk_X509_value(ca, 0), b.ca), 0);
		{
			int nl = 0;
			unsigned char *fn = X509_alias_get0(c, &nl);
			assert_non_null(fn);
			assert_memory_equal(fn, "www.example.com", 15);
		}
		EVP_PKEY_free(k);
		X509_free(c);
		sk_X509_pop_free(ca, X509_free);
		PKCS12_free(p12);
		k = NULL;
		c = NULL;
		ca = NULL;
	}
	/* and with ours */
	assert_int_equal(cf_pkcs12_parse(der, len, "s3cret pass", &k, &c, &ca,
			 NULL), CF_OK);
	assert_int_equal(EVP_PKEY_eq(k, b.key), 1);
	EVP_PKEY_free(k);
	X509_free(c);
	sk_X509_pop_free(ca, X509_free);
	assert_int_equal(cf_pkcs12_parse(der, len, "wrong", NULL, NULL, NULL,
			 &err), CF_ERR_USAGE);
	assert_null(strstr(err.msg, "s3cret"));
	assert_int_equal(cf_pkcs12_parse((const unsigned char *)"junk", 4,
			 "x", NULL, NULL, NULL, NULL), CF_ERR_USAGE);

	check_algorithms(der, len, bag_nid, mac_nid);
	check_cli(der, len, cli_word);
	OPENSSL_free(der);
	test_bundle_free(&b);
}

static void
test_legacy(void **state)
{
	build_and_check(CF_PFX_LEGACY, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
			NID_sha1, "pbeWithSHA1And3-KeyTripleDES-CBC");
}

static void
test_aes256(void **state)
{
	build_and_check(CF_PFX_AES256, NID_aes_256_cbc, NID_sha256,
			"AES-256-CBC");
}

static void
test_mismatch_and_no_chain(void **state)
{
	struct test_bundle b;
	EVP_PKEY *other = test_key();
	unsigned char *der = NULL;
	size_t len = 0;
	struct cf_err err;
	STACK_OF(X509) *ca = NULL;

	test_bundle_make(&b, names, 1, 90);
	assert_int_equal(cf_pkcs12_build(other, b.leaf_pem, b.chain_pem, "p",
			 CF_PFX_LEGACY, NULL, &der, &len, &err), CF_ERR_USAGE);
	assert_null(der);
	assert_int_not_equal(cf_pkcs12_build(b.key, "not pem", NULL, "p",
			     CF_PFX_LEGACY, NULL, &der, &len, &err), CF_OK);
	assert_int_equal(cf_pkcs12_build(b.key, b.leaf_pem, "", "p",
			 CF_PFX_AES256, NULL, &der, &len, &err), CF_OK);
	assert_int_equal(cf_pkcs12_parse(der, len, "p", NULL, NULL, &ca, NULL),
			 CF_OK);
	assert_int_equal(sk_X509_num(ca), 0);
	sk_X509_pop_free(ca, X509_free);
	OPENSSL_free(der);
	EVP_PKEY_free(other);
	test_bundle_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_aes256),
		cmocka_unit_test(test_mismatch_and_no_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
