/* test_acme_parse.c - the parsers of the CA's JSON resources (acme/internal.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme/internal.h"

static json_t *
js(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
test_ari_url(void **state)
{
	struct cf_err err;
	char *url = NULL;

	(void)state;
	assert_int_equal(acme_ari_url("https://ca/ri", "a.b", &url, &err), CF_OK);
	assert_string_equal(url, "https://ca/ri/a.b");
	free(url);
	assert_int_equal(acme_ari_url("https://ca/ri/", "a.b", &url, &err), CF_OK);
	assert_string_equal(url, "https://ca/ri/a.b");
	free(url);
	/* An empty renewalInfo once read one byte before its buffer. */
	assert_int_equal(acme_ari_url("", "a.b", &url, &err), CF_ERR_NOTFOUND);
	assert_null(url);
	assert_int_equal(acme_ari_url("https://ca/ri", "", &url, &err),
			 CF_ERR_USAGE);
	assert_int_equal(acme_ari_url("https://ca/ri", "a/b", &url, &err),
			 CF_ERR_USAGE);
	assert_null(url);
}

static void
test_ari_load(void **state)
{
	struct cf_acme_ari ari = { 0 };
	struct cf_err err;
	json_t *j;

	(void)state;
	j = js("{\"suggestedWindow\":{\"start\":\"2026-01-01T00:00:00Z\","
	       "\"end\":\"2026-01-02T00:00:00Z\"},\"explanationURL\":\"https://x\"}");
	assert_int_equal(acme_ari_load(j, &ari, &err), CF_OK);
	assert_int_equal(ari.end - ari.start, 86400);
	assert_string_equal(ari.explanation_url, "https://x");
	cf_acme_ari_free(&ari);
	json_decref(j);
	j = js("{\"suggestedWindow\":{\"start\":\"2026-01-02T00:00:00Z\","
	       "\"end\":\"2026-01-01T00:00:00Z\"}}");
	assert_int_equal(acme_ari_load(j, &ari, &err), CF_ERR_PROTO);
	cf_acme_ari_free(&ari);
	json_decref(j);
}

static void
test_directory_load(void **state)
{
	struct cf_acme_directory d;
	struct cf_err err;
	json_t *j;

	(void)state;
	j = js("{\"newNonce\":\"n\",\"newAccount\":\"a\",\"newOrder\":\"o\","
	       "\"renewalInfo\":\"r\",\"meta\":{\"externalAccountRequired\":true,"
	       "\"termsOfService\":\"t\"}}");
	assert_int_equal(acme_directory_load(&d, j, &err), CF_OK);
	assert_string_equal(d.new_order, "o");
	assert_string_equal(d.renewal_info, "r");
	assert_string_equal(d.terms_of_service, "t");
	assert_null(d.revoke_cert);
	assert_int_equal(d.eab_required, 1);
	acme_directory_free(&d);
	json_decref(j);
	j = js("{\"newNonce\":\"n\",\"newAccount\":\"a\"}");
	assert_int_equal(acme_directory_load(&d, j, &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "newOrder"));
	assert_null(d.new_nonce);
	json_decref(j);
}

static void
test_order_load(void **state)
{
	struct cf_acme_order o = { 0 };
	struct cf_err err;

	(void)state;
	assert_int_equal(acme_order_load(&o, js("{\"status\":\"pending\","
			 "\"finalize\":\"f\",\"authorizations\":[\"a1\",\"a2\"]}"), &err),
			 CF_OK);
	assert_int_equal(o.nauthz, 2);
	assert_string_equal(o.authz_urls[1], "a2");
	assert_null(o.certificate);
	/* loaded again over the first answer */
	assert_int_equal(acme_order_load(&o, js("{\"status\":\"valid\","
			 "\"finalize\":\"f\",\"certificate\":\"c\",\"authorizations\":[]}"),
					 &err), CF_OK);
	assert_int_equal(o.nauthz, 0);
	assert_string_equal(o.certificate, "c");
	assert_int_equal(acme_order_load(&o, js("{\"status\":\"valid\","
			 "\"finalize\":\"f\",\"authorizations\":[1]}"), &err),
			 CF_ERR_PROTO);
	assert_int_equal(acme_order_load(&o, js("{\"status\":\"valid\"}"), &err),
			 CF_ERR_PROTO);
	cf_acme_order_free(&o);
}

static void
test_authz_load(void **state)
{
	struct cf_acme_authz z;
	struct cf_err err;
	char buf[256];

	(void)state;
	assert_int_equal(acme_authz_load(&z, "u", js("{\"status\":\"invalid\","
			 "\"identifier\":{\"type\":\"dns\",\"value\":\"x.example\"},"
			 "\"wildcard\":true,\"challenges\":[{\"type\":\"http-01\","
			 "\"url\":\"c\",\"token\":\"t\",\"error\":{\"type\":\"e\","
			 "\"detail\":\"\\u001b[2Jgone\"}}]}"), &err), CF_OK);
	assert_string_equal(z.identifier, "x.example");
	assert_int_equal(z.wildcard, 1);
	assert_non_null(cf_acme_authz_challenge(&z, "http-01"));
	assert_null(cf_acme_authz_challenge(&z, "dns-01"));
	acme_authz_error(z.raw, buf, sizeof(buf));
	assert_string_equal(buf, "e: \\x1b[2Jgone");
	cf_acme_authz_free(&z);
	assert_int_equal(acme_authz_load(&z, "u", js("{\"status\":\"valid\"}"),
					 &err), CF_ERR_PROTO);
	assert_null(z.raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ari_url),
		cmocka_unit_test(test_ari_load),
		cmocka_unit_test(test_directory_load),
		cmocka_unit_test(test_order_load),
		cmocka_unit_test(test_authz_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
