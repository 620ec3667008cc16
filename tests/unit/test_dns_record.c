/* test_dns_record.c - record names, aliases and configuration checks of
 * the dns-01 method (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "validate/dns01.h"

struct rec_case {
	const char *identifier;
	const char *alias;
	const char *want;
};

static const struct rec_case rcases[] = {
	{ "example.com", NULL, "_acme-challenge.example.com." },
	{ "*.example.com", NULL, "_acme-challenge.example.com." },
	{ "WWW.Example.com", NULL, "_acme-challenge.www.example.com." },
	{ "example.com.", NULL, "_acme-challenge.example.com." },
	{ "www.example.com", "validation.example.net",
	  "_acme-challenge.validation.example.net." },
	{ "*.example.com", "Validation.Example.NET.",
	  "_acme-challenge.validation.example.net." },
	{ "a.example.com", "", "_acme-challenge.a.example.com." },
};

static void
test_record_names(void **state)
{
	struct cf_err err;
	char *out;
	size_t i;

	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		out = NULL;
		assert_int_equal(cf_dns01_record_name(rcases[i].identifier,
				 rcases[i].alias, &out, &err), CF_OK);
		assert_string_equal(out, rcases[i].want);
		free(out);
	}
	assert_int_equal(cf_dns01_record_name("", NULL, &out, &err),
			 CF_ERR_USAGE);
	assert_null(out);
	assert_int_equal(cf_dns01_record_name(".", NULL, &out, &err),
			 CF_ERR_USAGE);
}

struct cfg_case {
	struct cf_dns01_config cfg;
	const char *msg;
};

static void
test_config_errors(void **state)
{
	static const char *const badres[] = { "127.0.0.1:99999" };
	static const char *const goodres[] = { "127.0.0.1:5353", "[::1]:53",
		"::1", "ns.example" };
	struct cfg_case cases[] = {
		{ { .provider = CF_DNS_RFC2136 }, "needs --dns-server" },
		{ { .provider = CF_DNS_RFC2136, .server = "127.0.0.1:0" },
		  "--dns-server: DNS server \"127.0.0.1:0\": the port" },
		{ { .provider = CF_DNS_RFC2136, .server = "[::1" },
		  "missing ']'" },
		{ { .provider = CF_DNS_RFC2136, .server = "127.0.0.1",
		    .tsig_key_file = "/nonexistent/k.key" },
		  "/nonexistent/k.key" },
		{ { .provider = CF_DNS_SCRIPT }, "needs --dns-script" },
		{ { .provider = CF_DNS_SCRIPT, .script = "/bin/true",
		    .resolvers = badres, .nresolvers = 1 },
		  "--dns-resolver" },
		{ { .provider = CF_DNS_SCRIPT, .script = "/bin/true",
		    .alias_zone = "bad_zone.example" }, "--dns-alias" },
		{ { .provider = CF_DNS_SCRIPT, .script = "/bin/true",
		    .propagation_timeout = -1 }, "negative" },
		{ { .provider = (enum cf_dns_provider)42 }, "unknown DNS" },
	};
	struct cf_dns01_config good = { .provider = CF_DNS_SCRIPT,
		.script = "/bin/true", .resolvers = goodres, .nresolvers = 4,
		.alias_zone = "validation.example." };
	struct cf_validator v;
	struct cf_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_err_clear(&err);
		assert_int_not_equal(cf_dns01_validator_new(&cases[i].cfg, &v,
				     &err), CF_OK);
		if (strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg,
				 cases[i].msg);
		assert_null(v.ctx);
	}
	assert_int_equal(cf_dns01_validator_new(&good, &v, &err), CF_OK);
	assert_string_equal(v.challenge_type, "dns-01");
	assert_non_null(v.present);
	assert_non_null(v.ready);
	assert_non_null(v.cleanup);
	cf_validator_destroy(&v);
	assert_null(v.ctx);
	cf_validator_destroy(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_names),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
