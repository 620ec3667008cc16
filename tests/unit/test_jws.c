/* test_jws.c - JWS signing verified independently with OpenSSL, JWK,
 * RFC 7638 thumbprint, key authorization and dns-01 value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/jws.h"
#include "crypto/key.h"
#include "crypto_test_util.h"

/*
 * Verify the flattened JWS text with key: rebuild the signing input, turn
 * R||S into DER for EC, EVP_DigestVerify.  Returns 1 valid, 0 invalid.
 * When tamper is set, the payload is replaced before verifying.
 */
static int
verify_jws(const char *jws_text, EVP_PKEY *key, const char *md,
	   size_t ec_coord, const char *tamper)
{
	json_t *jws;
	const char *prot, *payload, *sig;
	unsigned char *raw, *der = NULL;
	size_t rawlen, derlen = 0;
	EVP_MD_CTX *ctx;
	char *input;
	int ok;

	jws = json_loads(jws_text, 0, NULL);
	assert_non_null(jws);
	prot = json_string_value(json_object_get(jws, "protected"));
	payload = json_string_value(json_object_get(jws, "payload"));
	sig = json_string_value(json_object_get(jws, "signature"));
	assert_non_null(prot);
	assert_non_null(payload);
	assert_non_null(sig);
	assert_int_equal(json_object_size(jws), 3);
	if (tamper != NULL)
		payload = tamper;
	raw = tu_b64url_decode(sig, &rawlen);
	assert_non_null(raw);
	if (ec_coord) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r, *s;
		int n;

		assert_int_equal(rawlen, 2 * ec_coord);
		r = BN_bin2bn(raw, (int)ec_coord, NULL);
		s = BN_bin2bn(raw + ec_coord, (int)ec_coord, NULL);
		assert_non_null(es);
		assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
		n = i2d_ECDSA_SIG(es, &der);
		assert_true(n > 0);
		derlen = (size_t)n;
		ECDSA_SIG_free(es);
	} else {
		assert_int_equal(rawlen, (size_t)EVP_PKEY_get_size(key));
		der = OPENSSL_memdup(raw, rawlen);
		derlen = rawlen;
	}
	input = malloc(strlen(prot) + strlen(payload) + 2);
	assert_non_null(input);
	strcpy(input, prot);
	strcat(input, ".");
	strcat(input, payload);
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL,
			 key, NULL), 1);
	ok = EVP_DigestVerify(ctx, der, derlen, (unsigned char *)input,
			      strlen(input)) == 1;
	EVP_MD_CTX_free(ctx);
	free(input);
	OPENSSL_free(der);
	free(raw);
	json_decref(jws);
	return ok;
}

/* Decode and parse the protected header of a JWS text. */
static json_t *
protected_of(const char *jws_text)
{
	json_t *jws, *hdr;
	char *s;

	jws = json_loads(jws_text, 0, NULL);
	assert_non_null(jws);
	s = tu_b64url_decode_str(json_string_value(json_object_get(jws,
				 "protected")));
	assert_non_null(s);
	hdr = json_loads(s, 0, NULL);
	assert_non_null(hdr);
	free(s);
	json_decref(jws);
	return hdr;
}

static char *
payload_of(const char *jws_text)
{
	json_t *jws;
	char *s;

	jws = json_loads(jws_text, 0, NULL);
	assert_non_null(jws);
	s = tu_b64url_decode_str(json_string_value(json_object_get(jws,
				 "payload")));
	json_decref(jws);
	return s;
}

static const struct {
	enum cf_key_type type;
	const char *alg;
	const char *md;
	size_t coord;
} algs[] = {
	{ CF_KEY_EC256, "ES256", "SHA256", 32 },
	{ CF_KEY_EC384, "ES384", "SHA384", 48 },
	{ CF_KEY_RSA2048, "RS256", "SHA256", 0 },
};

static void
test_sign_and_verify(void **state)
{
	const char *url = "https://127.0.0.1:14000/new-order";
	const char *payload = "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"example.org\"}]}";
	const char *kid = "https://127.0.0.1:14000/my-account/1";
	EVP_PKEY *key;
	struct cf_err err;
	json_t *hdr, *jwk, *expect;
	char *out, *pl;
	size_t i;
	int round;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		assert_int_equal(cf_key_generate(algs[i].type, &key, &err),
				 CF_OK);
		assert_string_equal(cf_jws_alg(key), algs[i].alg);
		/* several rounds: ECDSA R/S sometimes need left padding */
		for (round = 0; round < 8; round++) {
			/* with kid */
			assert_int_equal(cf_jws_sign(key, url, "nonce-abc", kid,
					 payload, &out, &err), CF_OK);
			hdr = protected_of(out);
			assert_string_equal(json_string_value(json_object_get(
				hdr, "alg")), algs[i].alg);
			assert_string_equal(json_string_value(json_object_get(
				hdr, "nonce")), "nonce-abc");
			assert_string_equal(json_string_value(json_object_get(
				hdr, "url")), url);
			assert_string_equal(json_string_value(json_object_get(
				hdr, "kid")), kid);
			assert_null(json_object_get(hdr, "jwk"));
			assert_int_equal(json_object_size(hdr), 4);
			pl = payload_of(out);
			assert_string_equal(pl, payload);
			free(pl);
			assert_int_equal(verify_jws(out, key, algs[i].md,
					 algs[i].coord, NULL), 1);
			assert_int_equal(verify_jws(out, key, algs[i].md,
					 algs[i].coord, "eyJ4IjoxfQ"), 0);
			json_decref(hdr);
			free(out);
		}

		/* with jwk, no nonce, POST-as-GET */
		assert_int_equal(cf_jws_sign(key, url, NULL, NULL, NULL, &out,
				 &err), CF_OK);
		assert_non_null(strstr(out, "\"payload\":\"\""));
		hdr = protected_of(out);
		assert_null(json_object_get(hdr, "nonce"));
		assert_null(json_object_get(hdr, "kid"));
		jwk = json_object_get(hdr, "jwk");
		assert_non_null(jwk);
		assert_int_equal(cf_jwk_public(key, &expect, &err), CF_OK);
		assert_true(json_equal(jwk, expect));
		json_decref(expect);
		assert_int_equal(json_object_size(hdr), 3);
		assert_int_equal(verify_jws(out, key, algs[i].md,
				 algs[i].coord, NULL), 1);
		assert_int_equal(verify_jws(out, key, algs[i].md,
				 algs[i].coord, "e30"), 0);
		json_decref(hdr);
		free(out);

		/* "" is the same as NULL */
		assert_int_equal(cf_jws_sign(key, url, "n", kid, "", &out,
				 &err), CF_OK);
		assert_non_null(strstr(out, "\"payload\":\"\""));
		assert_int_equal(verify_jws(out, key, algs[i].md,
				 algs[i].coord, NULL), 1);
		free(out);
		EVP_PKEY_free(key);
	}
}

/*
 * Keep signing until both R and S have been seen with a leading zero byte
 * (each about 1 in 256 signatures), verifying every signature on the way,
 * so the left padding of R||S is exercised for both halves.
 */
static void
test_ec_leading_zero(void **state)
{
	EVP_PKEY *key;
	struct cf_err err;
	json_t *jws;
	unsigned char *raw;
	size_t i, k, rawlen;
	char *out;
	int r_short, s_short;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(cf_key_generate(algs[i].type, &key, &err),
				 CF_OK);
		r_short = s_short = 0;
		for (k = 0; k < 20000 && !(r_short && s_short); k++) {
			assert_int_equal(cf_jws_sign(key, "https://a/", "n",
					 "k", "{}", &out, &err), CF_OK);
			jws = json_loads(out, 0, NULL);
			raw = tu_b64url_decode(json_string_value(
				json_object_get(jws, "signature")), &rawlen);
			assert_int_equal(rawlen, 2 * algs[i].coord);
			r_short |= raw[0] == 0;
			s_short |= raw[algs[i].coord] == 0;
			assert_int_equal(verify_jws(out, key, algs[i].md,
					 algs[i].coord, NULL), 1);
			free(raw);
			json_decref(jws);
			free(out);
		}
		assert_true(r_short && s_short);
		EVP_PKEY_free(key);
	}
}

/* JWK members and fixed-length EC coordinates match the key. */
static void
test_jwk_members(void **state)
{
	EVP_PKEY *key;
	struct cf_err err;
	json_t *jwk;
	unsigned char *x, *y;
	size_t i, xl, yl;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(cf_key_generate(algs[i].type, &key, &err),
				 CF_OK);
		assert_int_equal(cf_jwk_public(key, &jwk, &err), CF_OK);
		assert_int_equal(json_object_size(jwk), 4);
		assert_string_equal(json_string_value(json_object_get(jwk,
				    "kty")), "EC");
		assert_string_equal(json_string_value(json_object_get(jwk,
				    "crv")), i == 0 ? "P-256" : "P-384");
		x = tu_b64url_decode(json_string_value(json_object_get(jwk,
				     "x")), &xl);
		y = tu_b64url_decode(json_string_value(json_object_get(jwk,
				     "y")), &yl);
		assert_int_equal(xl, algs[i].coord);
		assert_int_equal(yl, algs[i].coord);
		{
			BIGNUM *t = BN_bin2bn(x, (int)xl, NULL);
			BIGNUM *u = BN_bin2bn(y, (int)yl, NULL);
			BIGNUM *ex = NULL, *ey = NULL;

			assert_int_equal(EVP_PKEY_get_bn_param(key,
					 OSSL_PKEY_PARAM_EC_PUB_X, &ex), 1);
			assert_int_equal(EVP_PKEY_get_bn_param(key,
					 OSSL_PKEY_PARAM_EC_PUB_Y, &ey), 1);
			assert_int_equal(BN_cmp(t, ex), 0);
			assert_int_equal(BN_cmp(u, ey), 0);
			BN_free(t);
			BN_free(u);
			BN_free(ex);
			BN_free(ey);
		}
		free(x);
		free(y);
		json_decref(jwk);
		EVP_PKEY_free(key);
	}
}

/* RFC 7638 §3.1 example key. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1R"
    "K7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9"
    "yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZg"
    "nYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6We"
    "Zu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

static EVP_PKEY *
rfc7638_key(void)
{
	unsigned char *nb, *eb;
	size_t nl, el;
	BIGNUM *n, *e;
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;

	nb = tu_b64url_decode(rfc7638_n, &nl);
	eb = tu_b64url_decode("AQAB", &el);
	assert_non_null(nb);
	assert_non_null(eb);
	n = BN_bin2bn(nb, (int)nl, NULL);
	e = BN_bin2bn(eb, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	assert_non_null(bld);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
			 n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E,
			 e), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY,
			 params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return key;
}

static void
test_thumbprint_rfc7638(void **state)
{
	EVP_PKEY *key;
	struct cf_err err;
	json_t *jwk;
	char *tp;

	(void)state;
	key = rfc7638_key();
	assert_non_null(key);
	assert_string_equal(cf_jws_alg(key), "RS256");
	assert_int_equal(cf_jwk_public(key, &jwk, &err), CF_OK);
	assert_string_equal(json_string_value(json_object_get(jwk, "n")),
			    rfc7638_n);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")),
			    "AQAB");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")),
			    "RSA");
	json_decref(jwk);
	assert_int_equal(cf_jwk_thumbprint(key, &tp, &err), CF_OK);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(tp);
	EVP_PKEY_free(key);
}

/* EC thumbprint recomputed here from the canonical JSON. */
static void
test_thumbprint_ec(void **state)
{
	EVP_PKEY *key;
	struct cf_err err;
	json_t *jwk;
	char canon[512], *tp, *expect;
	unsigned char md[32];
	unsigned int mdlen;
	size_t i, k;
	static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_";

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(cf_key_generate(algs[i].type, &key, &err),
				 CF_OK);
		assert_int_equal(cf_jwk_public(key, &jwk, &err), CF_OK);
		snprintf(canon, sizeof(canon),
			 "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			 json_string_value(json_object_get(jwk, "crv")),
			 json_string_value(json_object_get(jwk, "x")),
			 json_string_value(json_object_get(jwk, "y")));
		assert_int_equal(EVP_Digest(canon, strlen(canon), md, &mdlen,
				 EVP_sha256(), NULL), 1);
		/* 32 bytes -> 43 chars, no padding */
		expect = calloc(1, 44);
		for (k = 0; k < 43; k++) {
			size_t bit = k * 6, byte = bit / 8, off = bit % 8;
			unsigned v = (unsigned)md[byte] << 8 |
			    (byte + 1 < 32 ? md[byte + 1] : 0);
			expect[k] = b64u[(v >> (10 - off)) & 63];
		}
		assert_int_equal(cf_jwk_thumbprint(key, &tp, &err), CF_OK);
		assert_string_equal(tp, expect);
		free(tp);
		free(expect);
		json_decref(jwk);
		EVP_PKEY_free(key);
	}
}

static void
test_keyauth_dns01(void **state)
{
	const char *token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
	const char *tp = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
	struct cf_err err;
	unsigned char md[32], *dec;
	unsigned int mdlen;
	size_t declen;
	char *ka, *txt;

	(void)state;
	assert_int_equal(cf_key_authorization(token, tp, &ka, &err), CF_OK);
	assert_string_equal(ka, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
			    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_int_equal(cf_dns01_txt_value(ka, &txt, &err), CF_OK);
	/* fixed vector (computed with Python hashlib) */
	assert_string_equal(txt, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	/* and independently with OpenSSL */
	assert_int_equal(EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(),
			 NULL), 1);
	dec = tu_b64url_decode(txt, &declen);
	assert_non_null(dec);
	assert_int_equal(declen, 32);
	assert_memory_equal(dec, md, 32);
	free(dec);
	free(txt);
	free(ka);

	/* tokens outside base64url are refused (they become file names) */
	assert_int_equal(cf_key_authorization("../etc/passwd", tp, &ka, &err),
			 CF_ERR_PROTO);
	assert_null(ka);
	assert_int_equal(cf_key_authorization("", tp, &ka, &err),
			 CF_ERR_PROTO);
}

static void
test_unsupported_key(void **state)
{
	EVP_PKEY *key;
	struct cf_err err;
	char *out;

	(void)state;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(key);
	assert_null(cf_jws_alg(key));
	assert_int_equal(cf_jws_sign(key, "https://x/", "n", NULL, "", &out,
			 &err), CF_ERR_USAGE);
	assert_null(out);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_ec_leading_zero),
		cmocka_unit_test(test_jwk_members),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_thumbprint_ec),
		cmocka_unit_test(test_keyauth_dns01),
		cmocka_unit_test(test_unsupported_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
