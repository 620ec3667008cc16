/* test_iis_check.c - CCS bindings against the PFX files of the store */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iis/check.h"
#include "install/store.h"
#include "cert_test_util.h"
#include "iis_test_util.h"

static const char xml[] =
    "<configuration><system.applicationHost><sites>"
    "<site name=\"s\" id=\"1\"><bindings>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:good.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:soon.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:old.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:gone.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:liar.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:a.wild.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation="
    "\"*:443:b\xc3\xbc" "cher.example\" sslFlags=\"3\"/>"
    "<binding protocol=\"https\" bindingInformation=\"10.0.0.1:443:\" sslFlags=\"2\"/>"
    "<binding protocol=\"https\" bindingInformation=\"*:443:httpsys.example\" sslFlags=\"1\"/>"
    "</bindings></site></sites></system.applicationHost></configuration>";

static void
put(const char *dir, const char *const *names, size_t n, long days,
    const char *pw)
{
	struct test_bundle tb;
	struct cf_cert_bundle b = { 0 };
	struct cf_err err;

	test_bundle_make(&tb, names, n, days);
	b.key = tb.key;
	b.leaf_pem = tb.leaf_pem;
	b.chain_pem = tb.chain_pem;
	b.names = names;
	b.nnames = n;
	if (cf_store_ccs_write(dir, &b, pw, CF_PFX_LEGACY, &err) != CF_OK)
		fail_msg("%s", err.msg);
	test_bundle_free(&tb);
}

static const struct cf_iis_check_host *
host(const struct cf_iis_check_report *r, const char *bi)
{
	size_t i;

	for (i = 0; i < r->nhosts; i++)
		if (strcmp(r->hosts[i].binding_information, bi) == 0)
			return &r->hosts[i];
	fail_msg("no %s in the report", bi);
	return NULL;
}

static void
test_check(void **state)
{
	const char *dir = scratch_dir();
	const char *good[] = { "good.example" }, *soon[] = { "soon.example" },
	    *old[] = { "old.example" }, *wild[] = { "*.wild.example" },
	    *idn[] = { "xn--bcher-kva.example" }, *other[] = { "other.example" },
	    *liar[] = { "liar.example" };
	struct cf_iis_config *c = NULL;
	struct cf_iis_check_report *r = NULL;
	const struct cf_iis_check_host *h;
	struct cf_err err;
	char p1[600], p2[600];

	put(dir, good, 1, 80, "pw");
	put(dir, soon, 1, 10, "pw");
	put(dir, old, 1, -1, "pw");
	put(dir, wild, 1, 80, "pw");
	put(dir, idn, 1, 80, "pw");
	put(dir, other, 1, 80, "pw");    /* unused */
	put(dir, other, 1, 80, "pw");
	/* liar.example.pfx holds a certificate for other.example */
	snprintf(p1, sizeof(p1), "%s/other.example.pfx", dir);
	snprintf(p2, sizeof(p2), "%s/liar.example.pfx", dir);
	{
		char cmd[1400];
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", p1, p2);
		assert_int_equal(system(cmd), 0);
	}
	(void)liar;

	assert_int_equal(cf_iis_config_parse(xml, sizeof(xml) - 1, NULL, 0, &c,
			 NULL), CF_OK);
	if (cf_iis_check(c, dir, "pw", 30, 0, &r, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r->nhosts, 8); /* not the HTTP.sys one */
	assert_true(r->problem);
	h = host(r, "*:443:good.example");
	assert_int_equal(h->status, CF_IIS_CHECK_OK);
	assert_string_equal(h->pfx_file, "good.example.pfx");
	assert_true(h->not_after > time(NULL) + 79 * 86400);
	assert_int_equal(host(r, "*:443:soon.example")->status,
			 CF_IIS_CHECK_EXPIRING);
	assert_int_equal(host(r, "*:443:old.example")->status,
			 CF_IIS_CHECK_EXPIRED);
	h = host(r, "*:443:gone.example");
	assert_int_equal(h->status, CF_IIS_CHECK_MISSING);
	assert_null(h->pfx_file);
	assert_int_equal(host(r, "*:443:liar.example")->status,
			 CF_IIS_CHECK_WRONG_NAME);
	h = host(r, "*:443:a.wild.example");
	assert_int_equal(h->status, CF_IIS_CHECK_OK);
	assert_string_equal(h->pfx_file, "_.wild.example.pfx");
	h = host(r, "*:443:b\xc3\xbc" "cher.example");
	assert_int_equal(h->status, CF_IIS_CHECK_OK);
	assert_string_equal(h->host, "xn--bcher-kva.example");
	assert_int_equal(host(r, "10.0.0.1:443:")->status, CF_IIS_CHECK_NO_HOST);
	assert_int_equal(r->nunused, 1);
	assert_string_equal(r->unused_files[0], "other.example.pfx");
	cf_iis_check_report_free(r);

	/* wrong password: unreadable, and never in the message */
	assert_int_equal(cf_iis_check(c, dir, "s3cr3t-wrong", 30, 0, &r, &err),
			 CF_OK);
	h = host(r, "*:443:good.example");
	assert_int_equal(h->status, CF_IIS_CHECK_UNREADABLE);
	assert_null(strstr(h->detail, "s3cr3t"));
	cf_iis_check_report_free(r);

	assert_int_equal(cf_iis_check(c, "/nonexistent/ccs", "pw", 30, 0, &r,
			 &err), CF_ERR_IO);
	assert_string_equal(cf_iis_check_status_name(CF_IIS_CHECK_WRONG_NAME),
			    "wrong-name");
	cf_iis_config_free(c);
	scratch_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
