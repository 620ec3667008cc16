/* test_headers.c - Retry-After, Link, RFC 3339 and clock formatting */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/headers.h"

#define WEEK (7L * 24 * 3600)
/* 1994-11-06T08:49:37Z, the date of the RFC 9110 examples. */
#define T1994 ((time_t)784111777)

/* ---- Retry-After ---- */

struct ra_case {
	const char *label;
	const char *value;
	time_t now;
	cf_rc want_rc;
	long want_s;             /* only when want_rc == CF_OK */
};

static const struct ra_case ra_cases[] = {
	{ "delta 0", "0", T1994, CF_OK, 0 },
	{ "delta 120", "120", T1994, CF_OK, 120 },
	{ "leading zeros", "007", T1994, CF_OK, 7 },
	{ "leading spaces and tab", "  \t30", T1994, CF_OK, 30 },
	{ "trailing spaces", "30  \t", T1994, CF_OK, 30 },
	{ "exactly one week", "604800", T1994, CF_OK, WEEK },
	{ "one over a week clamped", "604801", T1994, CF_OK, WEEK },
	{ "huge clamped, no overflow", "99999999999999999999999999999999",
	  T1994, CF_OK, WEEK },
	{ "IMF-fixdate one hour ahead", "Sun, 06 Nov 1994 08:49:37 GMT",
	  T1994 - 3600, CF_OK, 3600 },
	{ "IMF-fixdate equal to now", "Sun, 06 Nov 1994 08:49:37 GMT", T1994,
	  CF_OK, 0 },
	{ "IMF-fixdate in the past", "Sun, 06 Nov 1994 08:49:37 GMT",
	  T1994 + 10, CF_OK, 0 },
	{ "IMF-fixdate far ahead clamped", "Sun, 06 Nov 1994 08:49:37 GMT",
	  T1994 - 30L * 86400, CF_OK, WEEK },
	{ "IMF-fixdate with leading space", " Sun, 06 Nov 1994 08:49:37 GMT",
	  T1994 - 5, CF_OK, 5 },
	{ "RFC 850", "Sunday, 06-Nov-94 08:49:37 GMT", T1994 - 61, CF_OK, 61 },
	{ "asctime", "Sun Nov  6 08:49:37 1994", T1994 - 2, CF_OK, 2 },
	{ "empty", "", T1994, CF_ERR_PROTO, 0 },
	{ "only spaces", "   ", T1994, CF_ERR_PROTO, 0 },
	{ "garbage", "soon", T1994, CF_ERR_PROTO, 0 },
	{ "negative", "-5", T1994, CF_ERR_PROTO, 0 },
	{ "plus sign", "+5", T1994, CF_ERR_PROTO, 0 },
	{ "fraction", "1.5", T1994, CF_ERR_PROTO, 0 },
	{ "unit suffix", "10s", T1994, CF_ERR_PROTO, 0 },
	{ "two numbers", "10 20", T1994, CF_ERR_PROTO, 0 },
	{ "hex", "0x10", T1994, CF_ERR_PROTO, 0 },
	{ "IMF-fixdate trailing junk", "Sun, 06 Nov 1994 08:49:37 GMTX",
	  T1994, CF_ERR_PROTO, 0 },
	{ "IMF-fixdate trailing word", "Sun, 06 Nov 1994 08:49:37 GMT later",
	  T1994, CF_ERR_PROTO, 0 },
	{ "IMF-fixdate not GMT", "Sun, 06 Nov 1994 08:49:37 PST", T1994,
	  CF_ERR_PROTO, 0 },
	{ "bad month", "Sun, 06 Foo 1994 08:49:37 GMT", T1994, CF_ERR_PROTO,
	  0 },
	{ "hour 24", "Sun, 06 Nov 1994 24:00:00 GMT", T1994, CF_ERR_PROTO, 0 },
	{ "minute 60", "Sun, 06 Nov 1994 08:60:00 GMT", T1994, CF_ERR_PROTO,
	  0 },
	{ "day 0", "Sun, 00 Nov 1994 08:49:37 GMT", T1994, CF_ERR_PROTO, 0 },
	{ "day 32", "Sun, 32 Nov 1994 08:49:37 GMT", T1994, CF_ERR_PROTO, 0 },
	{ "31 November", "Thu, 31 Nov 1994 08:49:37 GMT", T1994, CF_ERR_PROTO,
	  0 },
	{ "RFC 850 bad month", "Sunday, 06-Xyz-94 08:49:37 GMT", T1994,
	  CF_ERR_PROTO, 0 },
	{ "asctime bad month", "Sun Nox  6 08:49:37 1994", T1994,
	  CF_ERR_PROTO, 0 },
	{ "asctime trailing junk", "Sun Nov  6 08:49:37 1994x", T1994,
	  CF_ERR_PROTO, 0 },
	{ "date only", "06 Nov 1994", T1994, CF_ERR_PROTO, 0 },
};

static void
test_retry_after_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ra_cases) / sizeof(ra_cases[0]); i++) {
		const struct ra_case *c = &ra_cases[i];
		long s = -12345;
		cf_rc rc = cf_retry_after_parse(c->value, c->now, &s);

		if (rc != c->want_rc || (rc == CF_OK && s != c->want_s))
			fail_msg("%s: '%s' gave rc %d, %ld s (want rc %d, %ld s)",
				 c->label, c->value, rc, s, c->want_rc,
				 c->want_s);
		/* A refused value leaves the output alone. */
		if (rc != CF_OK && s != -12345)
			fail_msg("%s: output written on error", c->label);
	}
}

static void
test_retry_after_null(void **state)
{
	long s = 0;

	(void)state;
	assert_int_equal(cf_retry_after_parse(NULL, T1994, &s), CF_ERR_PROTO);
}

/* The three date forms denote the same instant. */
static void
test_retry_after_forms_agree(void **state)
{
	const char *forms[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};
	long first = -1;

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		long s = -1;
		assert_int_equal(cf_retry_after_parse(forms[i], T1994 - 1000, &s),
				 CF_OK);
		if (i == 0)
			first = s;
		assert_int_equal(s, first);
	}
	assert_int_equal(first, 1000);
}

/* ---- Link ---- */

struct link_case {
	const char *label;
	const char *value;
	const char *rel;
	const char *want;        /* NULL: no match */
};

static const struct link_case link_cases[] = {
	{ "RFC 8555 up", "<https://ca.test/acme/issuer>;rel=\"up\"", "up",
	  "https://ca.test/acme/issuer" },
	{ "unquoted rel", "<https://ca.test/i>;rel=up", "up",
	  "https://ca.test/i" },
	{ "spaces around", "  <https://ca.test/i> ; rel = \"up\"  ", "up",
	  "https://ca.test/i" },
	{ "second of several", "<https://ca.test/dir>;rel=\"index\", "
	  "<https://ca.test/up>;rel=\"up\"", "up", "https://ca.test/up" },
	{ "first of several", "<https://ca.test/dir>;rel=\"index\", "
	  "<https://ca.test/up>;rel=\"up\"", "index", "https://ca.test/dir" },
	{ "alternate among three", "<https://a/1>;rel=\"alternate\","
	  "<https://a/2>;rel=\"alternate\",<https://a/3>;rel=\"up\"",
	  "alternate", "https://a/1" },
	{ "other params first", "<https://a/x>;title=\"t\";rel=\"up\"", "up",
	  "https://a/x" },
	{ "comma inside quoted param", "<https://a/x>;title=\"a, b\";rel=\"up\"",
	  "up", "https://a/x" },
	{ "comma inside URL", "<https://a/x,y>;rel=\"up\"", "up",
	  "https://a/x,y" },
	{ "REL upper case name", "<https://a/x>;REL=\"up\"", "up",
	  "https://a/x" },
	{ "empty URL", "<>;rel=\"up\"", "up", "" },
	{ "other rel only", "<https://a/x>;rel=\"index\"", "up", NULL },
	{ "prefix of another rel", "<https://a/x>;rel=\"upstream\"", "up",
	  NULL },
	{ "longer than the rel", "<https://a/x>;rel=\"up\"", "upstream", NULL },
	{ "unquoted prefix", "<https://a/x>;rel=upstream", "up", NULL },
	{ "rel= inside another quoted param", "<https://a/x>;title=\"rel=up\"",
	  "up", NULL },
	{ "param whose name ends in rel", "<https://a/x>;xrel=up", "up", NULL },
	{ "no rel at all", "<https://a/x>", "up", NULL },
	{ "empty value", "", "up", NULL },
	{ "no angle brackets", "https://a/x;rel=\"up\"", "up", NULL },
	{ "unterminated URL", "<https://a/x;rel=\"up\"", "up", NULL },
	{ "junk before link", "x <https://a/x>;rel=\"up\"", "up", NULL },
	{ "malformed second link", "<https://a/1>;rel=\"index\", junk", "up",
	  NULL },
};

static void
test_link_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		const struct link_case *c = &link_cases[i];
		char *got = cf_link_find(c->value, c->rel);

		if ((got == NULL) != (c->want == NULL) ||
		    (got != NULL && strcmp(got, c->want) != 0))
			fail_msg("%s: '%s' rel %s gave '%s' (want '%s')", c->label,
				 c->value, c->rel, got ? got : "(null)",
				 c->want ? c->want : "(null)");
		free(got);
	}
}

/* Every alternate of one header value, in order; others skipped; max kept. */
static void
test_link_find_all(void **state)
{
	const char *v = "<https://ca/cert/1/0>;rel=\"alternate\", "
			"<https://ca/dir>;rel=\"index\", "
			"<https://ca/cert/1/1>; rel=alternate";
	char *out[3] = { NULL };
	size_t n;

	(void)state;
	n = cf_link_find_all(v, "alternate", out, 3);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "https://ca/cert/1/0");
	assert_string_equal(out[1], "https://ca/cert/1/1");
	free(out[0]);
	free(out[1]);
	n = cf_link_find_all(v, "alternate", out, 1);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "https://ca/cert/1/0");
	free(out[0]);
	assert_int_equal(cf_link_find_all(v, "up", out, 3), 0);
	assert_int_equal(cf_link_find_all("", "alternate", out, 3), 0);
}

struct url_case {
	const char *url, *want;   /* want NULL: refused */
};

/* Each of the n cases through fn, an URL parser of headers.h. */
static void
url_table(cf_rc (*fn)(const char *, char *, size_t),
	  const struct url_case *cases, size_t n)
{
	char out[64];

	for (size_t i = 0; i < n; i++) {
		cf_rc rc = fn(cases[i].url, out, sizeof(out));
		if (cases[i].want == NULL) {
			if (rc == CF_OK)
				fail_msg("%s: accepted as %s", cases[i].url, out);
		} else if (rc != CF_OK || strcmp(out, cases[i].want) != 0) {
			fail_msg("%s: got %s", cases[i].url, rc == CF_OK ? out : "error");
		}
	}
}

/* URL origins: what the cross-origin rule compares (issue 10). */
static void
test_url_origin_table(void **unused)
{
	static const struct url_case cases[] = {
		{ "https://CA.test/dir", "https://ca.test:443" },
		{ "https://ca.test:443/x", "https://ca.test:443" },
		{ "https://127.0.0.1:14000/dir", "https://127.0.0.1:14000" },
		{ "https://127.0.0.2:14000/authz/1", "https://127.0.0.2:14000" },
		{ "https://ca.test:8443?x", "https://ca.test:8443" },
		{ "https://user@evil.test@ca.test/dir", "https://ca.test:443" },
		{ "https://[::1]:9/a", "https://[::1]:9" },
		{ "http://ca.test", "http://ca.test:80" },
		{ "ftp://ca.test/", NULL },
		{ "https:///dir", NULL },
		{ "https://ca.test:99999/", NULL },
		{ "https://ca.test:8x/", NULL },
		{ "/relative", NULL },
	};

	url_table(cf_url_origin, cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_url_host_table(void **state)
{
	static const struct url_case cases[] = {
		{ "smtp://127.0.0.1:25", "127.0.0.1" },
		{ "smtps://user:pw@Mail.Example.TEST/x", "mail.example.test" },
		{ "smtp://[::1]:25", "::1" },
		{ "http://[::1]/hook", "::1" },
		{ "https://localhost", "localhost" },
		{ "http://a@b@host.test:8080?q", "host.test" },
		{ "smtp://", NULL },
		{ "smtp://:25", NULL },
		{ "smtp://[::1", NULL },
		{ "://host.test", NULL },
		{ "host.test", NULL },
	};
	char out[8];

	(void)state;
	url_table(cf_url_host, cases, sizeof(cases) / sizeof(cases[0]));
	/* too long for out */
	assert_int_equal(cf_url_host("smtp://a-very-long-host.test", out, 8),
			 CF_ERR_PROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_table),
		cmocka_unit_test(test_retry_after_null),
		cmocka_unit_test(test_retry_after_forms_agree),
		cmocka_unit_test(test_link_table),
		cmocka_unit_test(test_link_find_all),
		cmocka_unit_test(test_url_origin_table),
		cmocka_unit_test(test_url_host_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
