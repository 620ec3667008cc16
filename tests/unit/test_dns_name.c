/* test_dns_name.c - identifier checks of validate/dnsname.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "validate/dnsname.h"

struct name_case {
	const char *name;
	int allow_wildcard;
	cf_rc want;
	const char *msg; /* substring of the error message */
};

#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define L64 L63 "a"

static const struct name_case cases[] = {
	{ "example.com", 0, CF_OK, NULL },
	{ "www.Example.COM", 0, CF_OK, NULL },
	{ "a", 0, CF_OK, NULL },
	{ "xn--bcher-kva.example", 0, CF_OK, NULL },
	{ "a-b.c0.example", 0, CF_OK, NULL },
	{ L63 ".example", 0, CF_OK, NULL },
	{ "*.example.com", 1, CF_OK, NULL },
	{ "*.example.com", 0, CF_ERR_USAGE, "need dns-01" },
	{ "", 0, CF_ERR_USAGE, "empty" },
	{ "example.com.", 0, CF_ERR_USAGE, "trailing dot" },
	{ ".example.com", 0, CF_ERR_USAGE, "empty label" },
	{ "a..example.com", 0, CF_ERR_USAGE, "empty label" },
	{ L64 ".example", 0, CF_ERR_USAGE, "at most 63" },
	{ "-a.example", 0, CF_ERR_USAGE, "hyphen" },
	{ "a-.example", 0, CF_ERR_USAGE, "hyphen" },
	{ "a_b.example", 0, CF_ERR_USAGE, "'_'" },
	{ "a b.example", 0, CF_ERR_USAGE, "' '" },
	{ "b\xc3\xbc" "cher.example", 0, CF_ERR_USAGE, "xn--" },
	{ "www.*.example", 1, CF_ERR_USAGE, "leftmost" },
	{ "*a.example", 1, CF_ERR_USAGE, "leftmost" },
	{ "*.", 1, CF_ERR_USAGE, "trailing dot" },
	{ "*", 1, CF_ERR_USAGE, "leftmost" },
	{ "*.*.example", 1, CF_ERR_USAGE, "leftmost" },
};

static void
test_name_table(void **state)
{
	struct cf_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_err_clear(&err);
		cf_rc rc = cf_dns_name_check(cases[i].name,
					     cases[i].allow_wildcard, &err);
		if (rc != cases[i].want)
			fail_msg("case %zu \"%s\": rc %d, want %d (%s)", i,
				 cases[i].name, rc, cases[i].want, err.msg);
		if (cases[i].msg != NULL && strstr(err.msg, cases[i].msg) ==
		    NULL)
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i,
				 err.msg, cases[i].msg);
		if (rc != CF_OK && cases[i].name[0] != '\0' &&
		    strlen(cases[i].name) < 60 &&
		    strstr(err.msg, cases[i].name) == NULL)
			fail_msg("case %zu: message \"%s\" does not name the "
				 "name", i, err.msg);
	}
}

static void
test_name_length(void **state)
{
	char name[300];
	struct cf_err err;

	/* 4 labels of 63 + 3 dots = 255 > 253 */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", L63, L63, L63, L63);
	assert_int_equal(cf_dns_name_check(name, 0, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "253"));
	/* exactly 253 */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", L63, L63, L63, L63);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(cf_dns_name_check(name, 0, &err), CF_OK);
}

static void
test_normalize(void **state)
{
	char n[] = "WwW.ExAmple-1.COM";

	cf_dns_name_normalize(n);
	assert_string_equal(n, "www.example-1.com");
	cf_dns_name_normalize(NULL);
}

static void
test_alabel(void **state)
{
	struct cf_err err;
	char *out = NULL;

	assert_int_equal(cf_dns_name_to_alabel("b\xc3\xbc" "cher.example",
			 &out, &err), CF_OK);
	assert_string_equal(out, "xn--bcher-kva.example");
	free(out);
	/* non-transitional: sharp s stays (not mapped to "ss") */
	assert_int_equal(cf_dns_name_to_alabel("fa\xc3\x9f.de", &out, &err),
			 CF_OK);
	assert_string_equal(out, "xn--fa-hia.de");
	free(out);
	assert_int_equal(cf_dns_name_to_alabel("Plain.Example", &out, &err),
			 CF_OK);
	assert_string_equal(out, "plain.example");
	free(out);
	assert_int_equal(cf_dns_name_to_alabel("\xff\xfe.example", &out,
			 &err), CF_ERR_USAGE);
	assert_null(out);
	assert_non_null(strstr(err.msg, "A-label"));
	assert_int_equal(cf_dns_name_to_alabel("", &out, &err), CF_ERR_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_table),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_alabel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
