/* test_dns_tsig.c - the BIND TSIG key file parser of validate/dns01.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "validate/tsig.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw=="

struct tsig_case {
	const char *text;
	cf_rc want;
	const char *name;    /* want name (OK) */
	const char *alg;     /* want algorithm (OK) */
	const char *msg;     /* substring of the error (failure) */
};

static const struct tsig_case cases[] = {
	/* as tsig-keygen writes it */
	{ "key \"certferry\" {\n\talgorithm hmac-sha256;\n\tsecret \""
	  SECRET "\";\n};\n", CF_OK, "certferry.", "hmac-sha256", NULL },
	/* one line, trailing-dot name, sha512, comments, upper case */
	{ "# made by hand\nKEY \"upd.example.\" { ALGORITHM HMAC-SHA512; "
	  "// c\n secret \"" SECRET "\"; /* c\n c */ };", CF_OK,
	  "upd.example.", "hmac-sha512", NULL },
	/* secret before algorithm, unquoted name */
	{ "key k1 { secret \"" SECRET "\"; algorithm hmac-sha384; };",
	  CF_OK, "k1.", "hmac-sha384", NULL },
	{ "", CF_ERR_USAGE, NULL, NULL, "no key clause" },
	{ "# only a comment\n", CF_ERR_USAGE, NULL, NULL, "no key clause" },
	{ "options { };", CF_ERR_USAGE, NULL, NULL,
	  "f.key:1: expected \"key\", found \"options\"" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\"\n};",
	  CF_ERR_USAGE, NULL, NULL, "f.key:4: expected ';', found '}'" },
	{ "key \"k\" {\n algorithm hmac-md5;\n secret \"" SECRET "\";\n};",
	  CF_ERR_USAGE, NULL, NULL,
	  "f.key:2: unsupported TSIG algorithm \"hmac-md5\"" },
	{ "key \"k\" {\n secret \"" SECRET "\";\n};", CF_ERR_USAGE, NULL, NULL,
	  "no \"algorithm\"" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n};", CF_ERR_USAGE, NULL,
	  NULL, "no \"secret\"" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n secret \"not*base64\";\n};",
	  CF_ERR_USAGE, NULL, NULL, "f.key:3: the secret is not valid base64" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n secret " SECRET ";\n};",
	  CF_ERR_USAGE, NULL, NULL, "f.key:3: expected the secret as a quoted" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\n};",
	  CF_ERR_USAGE, NULL, NULL, "unterminated quoted string" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n}",
	  CF_ERR_USAGE, NULL, NULL, "f.key:4: expected ';' after '}', found "
	  "end of file" },
	{ "key \"k\" {\n algorithm hmac-sha256; algorithm hmac-sha256;",
	  CF_ERR_USAGE, NULL, NULL, "f.key:2: \"algorithm\" given twice" },
	{ "key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n"
	  " port 53;\n};", CF_ERR_USAGE, NULL, NULL,
	  "f.key:4: expected \"algorithm\", \"secret\" or '}', found \"port\"" },
	{ "key \"a\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
	  "key \"b\" { algorithm hmac-sha256; secret \"" SECRET "\"; };",
	  CF_ERR_USAGE, NULL, NULL, "f.key:2: a second key clause" },
	{ "key \"bad name\" { algorithm hmac-sha256; secret \"" SECRET
	  "\"; };", CF_ERR_USAGE, NULL, NULL, "space" },
	{ "key \"\" { };", CF_ERR_USAGE, NULL, NULL, "key name" },
	{ "key \"k\" /* open", CF_ERR_USAGE, NULL, NULL,
	  "unterminated comment" },
};

static void
test_tsig_table(void **state)
{
	struct cf_tsig_key k;
	struct cf_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_err_clear(&err);
		cf_rc rc = cf_tsig_key_parse(cases[i].text, "f.key", &k, &err);
		if (rc != cases[i].want)
			fail_msg("case %zu: rc %d want %d (%s)", i, rc,
				 cases[i].want, err.msg);
		if (rc == CF_OK) {
			assert_string_equal(k.name, cases[i].name);
			assert_string_equal(k.algorithm, cases[i].alg);
			assert_string_equal(k.secret, SECRET);
		} else {
			if (strstr(err.msg, cases[i].msg) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
					 err.msg, cases[i].msg);
			/* the secret never appears in a message */
			assert_null(strstr(err.msg, "c2VjcmV0"));
			assert_null(k.name);
			assert_null(k.secret);
		}
		cf_tsig_key_free(&k);
	}
	cf_tsig_key_free(NULL);
}

static void
test_tsig_load(void **state)
{
	char path[] = "/tmp/test_dns_tsig.XXXXXX";
	const char *text = "key \"f\" { algorithm hmac-sha256; secret \""
	    SECRET "\"; };\n";
	struct cf_tsig_key k;
	struct cf_err err;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(cf_tsig_key_load(path, &k, &err), CF_OK);
	assert_string_equal(k.name, "f.");
	cf_tsig_key_free(&k);
	unlink(path);
	assert_int_equal(cf_tsig_key_load(path, &k, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, path));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsig_table),
		cmocka_unit_test(test_tsig_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
