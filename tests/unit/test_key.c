/* test_key.c - key generation, type names, PEM round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/key.h"

static void
test_type_names(void **state)
{
	static const char *const names[] = {
		"ec256", "ec384", "rsa2048", "rsa3072", "rsa4096",
	};
	enum cf_key_type t;
	struct cf_err err;
	size_t i;

	(void)state;
	for (i = 0; i < CF_KEY_TYPE_COUNT; i++) {
		assert_string_equal(cf_key_type_name((enum cf_key_type)i),
				    names[i]);
		assert_int_equal(cf_key_type_parse(names[i], &t, &err), CF_OK);
		assert_int_equal(t, (enum cf_key_type)i);
	}
	assert_int_equal(cf_key_type_parse("EC384", &t, &err), CF_OK);
	assert_int_equal(t, CF_KEY_EC384);
	assert_int_equal(cf_key_type_parse("rsa1024", &t, &err),
			 CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "ec256"));
	assert_int_equal(cf_key_type_parse("", &t, &err), CF_ERR_USAGE);
	assert_string_equal(cf_key_type_name(CF_KEY_TYPE_COUNT), "unknown");
}

static void
test_generate_roundtrip(void **state)
{
	EVP_PKEY *k, *k2, *other;
	enum cf_key_type t;
	struct cf_err err;
	size_t i, len;
	char *pem;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &other, &err), CF_OK);
	for (i = 0; i < CF_KEY_TYPE_COUNT; i++) {
		assert_int_equal(cf_key_generate((enum cf_key_type)i, &k,
				 &err), CF_OK);
		assert_int_equal(cf_key_type_of(k, &t, &err), CF_OK);
		assert_int_equal(t, (enum cf_key_type)i);
		assert_int_equal(cf_key_to_pem(k, &pem, &len, &err), CF_OK);
		assert_int_equal(strlen(pem), len);
		assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
		assert_int_equal(cf_key_from_pem(pem, len, &k2, &err), CF_OK);
		assert_int_equal(cf_key_public_equal(k, k2), 1);
		assert_int_equal(cf_key_public_equal(k, other), 0);
		assert_int_equal(cf_key_type_of(k2, &t, &err), CF_OK);
		assert_int_equal(t, (enum cf_key_type)i);
		if (i >= CF_KEY_RSA2048)
			assert_int_equal(EVP_PKEY_get_bits(k),
					 i == CF_KEY_RSA2048 ? 2048 :
					 i == CF_KEY_RSA3072 ? 3072 : 4096);
		OPENSSL_clear_free(pem, len);
		EVP_PKEY_free(k);
		EVP_PKEY_free(k2);
	}
	EVP_PKEY_free(other);
	assert_int_equal(cf_key_public_equal(NULL, NULL), 0);
}

static void
test_unsupported(void **state)
{
	EVP_PKEY *k;
	enum cf_key_type t;
	struct cf_err err;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	assert_non_null(k);
	assert_int_equal(cf_key_type_of(k, &t, &err), CF_ERR_USAGE);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	assert_int_equal(cf_key_type_of(k, &t, &err), CF_ERR_USAGE);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(k);
	assert_int_equal(cf_key_type_of(k, &t, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "1024"));
	EVP_PKEY_free(k);
}

/* Traditional "BEGIN EC PRIVATE KEY" is accepted. */
static void
test_traditional_pem(void **state)
{
	EVP_PKEY *k, *k2;
	struct cf_err err;
	BIO *b;
	char *data;
	long n;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &k, &err), CF_OK);
	b = BIO_new(BIO_s_mem());
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, NULL,
			 NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	assert_true(n > 0);
	assert_non_null(strstr(data, "BEGIN EC PRIVATE KEY"));
	assert_int_equal(cf_key_from_pem(data, (size_t)n, &k2, &err), CF_OK);
	assert_int_equal(cf_key_public_equal(k, k2), 1);
	EVP_PKEY_free(k2);
	BIO_free(b);
	EVP_PKEY_free(k);
}

static void
test_bad_pem(void **state)
{
	EVP_PKEY *k = NULL, *k2 = (EVP_PKEY *)1;
	struct cf_err err;
	BIO *b;
	char *data;
	long n;

	(void)state;
	assert_int_equal(cf_key_from_pem("hello", 5, &k2, &err),
			 CF_ERR_CRYPTO);
	assert_null(k2);
	assert_int_equal(cf_key_from_pem("", 0, &k2, &err), CF_ERR_USAGE);

	/* an encrypted key is refused without prompting */
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &k, &err), CF_OK);
	b = BIO_new(BIO_s_mem());
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, k,
			 EVP_aes_128_cbc(), "pw", 2, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	assert_int_equal(cf_key_from_pem(data, (size_t)n, &k2, &err),
			 CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "encrypted"));
	BIO_free(b);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_generate_roundtrip),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_traditional_pem),
		cmocka_unit_test(test_bad_pem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
