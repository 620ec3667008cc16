/* test_eab.c - External Account Binding (RFC 8555 §7.3.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/b64.h"
#include "crypto/jws.h"
#include "crypto/key.h"
#include "crypto_test_util.h"

/* The protected header: exactly alg HS256, kid and url (no nonce). */
static void
check_eab_header(const char *prot, const char *kid, const char *url)
{
	char *s = tu_b64url_decode_str(prot);
	json_t *hdr;

	assert_non_null(s);
	hdr = json_loads(s, 0, NULL);
	assert_non_null(hdr);
	free(s);
	assert_int_equal(json_object_size(hdr), 3);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")),
			    "HS256");
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
			    kid);
	assert_string_equal(json_string_value(json_object_get(hdr, "url")),
			    url);
	assert_null(json_object_get(hdr, "nonce"));
	json_decref(hdr);
}

/* The payload: the account's public JWK, no private part. */
static void
check_eab_payload(const char *payload, EVP_PKEY *key)
{
	char *s = tu_b64url_decode_str(payload);
	json_t *payload_jwk, *jwk;
	struct cf_err err;

	assert_non_null(s);
	payload_jwk = json_loads(s, 0, NULL);
	assert_non_null(payload_jwk);
	free(s);
	assert_int_equal(cf_jwk_public(key, &jwk, &err), CF_OK);
	assert_true(json_equal(payload_jwk, jwk));
	assert_null(json_object_get(payload_jwk, "d"));
	json_decref(payload_jwk);
	json_decref(jwk);
}

/* The signature: HMAC-SHA256 over protected.payload with the raw key;
 * another key gives another MAC. */
static void
check_eab_mac(const char *prot, const char *payload, const char *sig_b64,
	      unsigned char *hmac, size_t hmac_len)
{
	unsigned char mac[EVP_MAX_MD_SIZE], *sig;
	unsigned int maclen = 0;
	size_t siglen, n = strlen(prot) + strlen(payload) + 2;
	char *input;

	if ((input = malloc(n)) == NULL)
		abort();
	snprintf(input, n, "%s.%s", prot, payload);
	assert_non_null(HMAC(EVP_sha256(), hmac, (int)hmac_len,
			     (unsigned char *)input, strlen(input), mac,
			     &maclen));
	assert_int_equal(maclen, 32);
	sig = tu_b64url_decode(sig_b64, &siglen);
	assert_non_null(sig);
	assert_int_equal(siglen, 32);
	assert_memory_equal(sig, mac, 32);
	hmac[0] ^= 1;
	assert_non_null(HMAC(EVP_sha256(), hmac, (int)hmac_len,
			     (unsigned char *)input, strlen(input), mac,
			     &maclen));
	hmac[0] ^= 1;
	assert_memory_not_equal(sig, mac, 32);
	free(sig);
	free(input);
}

static void
check_eab(enum cf_key_type type)
{
	/* an EAB key as a CA hands it out: base64url text */
	const char *hmac_text = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44n"
				"MEtx3MUAsUDkMTQ12W";
	const char *kid = "kid-1";
	const char *url = "https://127.0.0.1:14000/sign-me-up";
	unsigned char *hmac;
	size_t hmac_len;
	EVP_PKEY *key;
	struct cf_err err;
	json_t *eab, *acct_jwk;
	const char *prot, *payload, *sig_b64;

	assert_int_equal(cf_b64_decode_any(hmac_text, &hmac, &hmac_len, &err),
			 CF_OK);
	assert_int_equal(hmac_len, 48);
	assert_int_equal(cf_key_generate(type, &key, &err), CF_OK);
	assert_int_equal(cf_jwk_public(key, &acct_jwk, &err), CF_OK);
	assert_int_equal(cf_jws_eab(hmac, hmac_len, kid, url, acct_jwk, &eab,
				    &err), CF_OK);
	json_decref(acct_jwk);
	assert_true(json_is_object(eab));
	assert_int_equal(json_object_size(eab), 3);
	prot = json_string_value(json_object_get(eab, "protected"));
	payload = json_string_value(json_object_get(eab, "payload"));
	sig_b64 = json_string_value(json_object_get(eab, "signature"));
	assert_non_null(prot);
	assert_non_null(payload);
	assert_non_null(sig_b64);
	check_eab_header(prot, kid, url);
	check_eab_payload(payload, key);
	check_eab_mac(prot, payload, sig_b64, hmac, hmac_len);
	json_decref(eab);
	EVP_PKEY_free(key);
	OPENSSL_clear_free(hmac, hmac_len);
}

static void
test_eab_ec256(void **state)
{
	(void)state;
	check_eab(CF_KEY_EC256);
}

static void
test_eab_ec384(void **state)
{
	(void)state;
	check_eab(CF_KEY_EC384);
}

static void
test_eab_rsa(void **state)
{
	(void)state;
	check_eab(CF_KEY_RSA2048);
}

static void
test_eab_bad_input(void **state)
{
	static const unsigned char k[] = { 1, 2, 3 };
	EVP_PKEY *key;
	struct cf_err err;
	json_t *eab, *jwk;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &key, &err), CF_OK);
	assert_int_equal(cf_jwk_public(key, &jwk, &err), CF_OK);
	assert_int_equal(cf_jws_eab(k, 0, "kid", "https://a/", jwk, &eab,
			 &err), CF_ERR_USAGE);
	assert_null(eab);
	assert_int_equal(cf_jws_eab(k, sizeof(k), "", "https://a/", jwk, &eab,
			 &err), CF_ERR_USAGE);
	assert_int_equal(cf_jws_eab(k, sizeof(k), NULL, "https://a/", jwk,
			 &eab, &err), CF_ERR_USAGE);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eab_ec256),
		cmocka_unit_test(test_eab_ec384),
		cmocka_unit_test(test_eab_rsa),
		cmocka_unit_test(test_eab_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
