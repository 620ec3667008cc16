/* test_tlsalpn.c - the tls-alpn-01 validation certificate and responder
 * set-up (RFC 8737). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "validate/tlsalpn01.h"

static void
test_cert_content(void **state)
{
	const char *ka = "token-abc.thumbprint-xyz";
	unsigned char md[32];
	unsigned int mdlen;
	X509 *x = NULL;
	EVP_PKEY *k = NULL, *pub;
	struct cf_err err;
	ASN1_OBJECT *obj;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *val;
	GENERAL_NAMES *gens;
	GENERAL_NAME *gn;
	unsigned char *der = NULL;
	int idx, derlen, crit = -1;

	assert_int_equal(cf_tlsalpn01_make_cert("alpn.example.com", ka, &x,
			 &k, &err), CF_OK);
	/* round trip through DER, as a client would see it */
	derlen = i2d_X509(x, &der);
	assert_true(derlen > 0);
	X509_free(x);
	{
		const unsigned char *p = der;
		x = d2i_X509(NULL, &p, derlen);
	}
	OPENSSL_free(der);
	assert_non_null(x);

	/* self-signed by the returned P-256 key */
	pub = X509_get0_pubkey(x);
	assert_true(EVP_PKEY_eq(pub, k) == 1);
	assert_int_equal(X509_verify(x, k), 1);
	assert_true(EVP_PKEY_is_a(k, "EC"));
	assert_int_equal(EVP_PKEY_get_bits(k), 256);

	/* subjectAltName = exactly the identifier */
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
	gn = sk_GENERAL_NAME_value(gens, 0);
	assert_int_equal(gn->type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(
		gn->d.dNSName), "alpn.example.com");
	GENERAL_NAMES_free(gens);

	/* critical acmeIdentifier = DER OCTET STRING of SHA-256(ka) */
	obj = OBJ_txt2obj(CF_ACME_IDENTIFIER_OID, 1);
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	assert_true(idx >= 0);
	ext = X509_get_ext(x, idx);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
	val = X509_EXTENSION_get_data(ext);
	assert_int_equal(ASN1_STRING_length(val), 34);
	assert_true(EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(),
		    NULL) == 1);
	assert_int_equal(ASN1_STRING_get0_data(val)[0], 0x04);
	assert_int_equal(ASN1_STRING_get0_data(val)[1], 0x20);
	assert_memory_equal(ASN1_STRING_get0_data(val) + 2, md, 32);

	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_fresh_key_each_time(void **state)
{
	X509 *x1, *x2;
	EVP_PKEY *k1, *k2;
	struct cf_err err;

	assert_int_equal(cf_tlsalpn01_make_cert("a.example", "t.k", &x1, &k1,
			 &err), CF_OK);
	assert_int_equal(cf_tlsalpn01_make_cert("a.example", "t.k", &x2, &k2,
			 &err), CF_OK);
	assert_true(EVP_PKEY_eq(k1, k2) != 1);
	X509_free(x1);
	X509_free(x2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
test_responder_setup(void **state)
{
	struct cf_validator v, v2;
	struct cf_err err;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct cf_challenge_task t = { "w.example", 1, "tls-alpn-01", "tok",
		"tok.thumb" };
	int fd, port;

	assert_int_equal(cf_tlsalpn01_validator_new(NULL, 0, &v, &err),
			 CF_ERR_USAGE);
	assert_int_equal(cf_tlsalpn01_validator_new(NULL, 70000, &v, &err),
			 CF_ERR_USAGE);

	/* a busy port: hold one, then ask for it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	assert_int_equal(cf_tlsalpn01_validator_new("127.0.0.1", port, &v,
			 &err), CF_ERR_USAGE);
	{
		char want[64];
		snprintf(want, sizeof(want), "port %d is already in use",
			 port);
		assert_non_null(strstr(err.msg, want));
	}
	close(fd);

	/* start, refuse a wildcard, stop */
	assert_int_equal(cf_tlsalpn01_validator_new("127.0.0.1", port, &v,
			 &err), CF_OK);
	assert_string_equal(v.challenge_type, "tls-alpn-01");
	assert_int_equal(v.present(v.ctx, &t, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "dns-01"));
	t.wildcard = 0;
	assert_int_equal(v.present(v.ctx, &t, &err), CF_OK);
	v.cleanup(v.ctx, &t);
	v.cleanup(v.ctx, &t); /* twice is harmless */
	assert_int_equal(v.present(v.ctx, &t, &err), CF_OK);
	cf_validator_destroy(&v); /* with a certificate still presented */

	/* the port is free again after destroy */
	assert_int_equal(cf_tlsalpn01_validator_new("127.0.0.1", port, &v2,
			 &err), CF_OK);
	cf_validator_destroy(&v2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_content),
		cmocka_unit_test(test_fresh_key_each_time),
		cmocka_unit_test(test_responder_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
