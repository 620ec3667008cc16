/* test_iis_parse.c - applicationHost.config model, bindings, hosts, CCS names */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "iis/appconfig.h"
#include "iis/ccs.h"
#include "iis_test_util.h"

static void
test_binding_info_table(void **state)
{
	static const struct {
		const char *in;
		int ok;
		const char *ip;
		int v6;
		unsigned port;
		const char *host;
	} t[] = {
		{ "*:80:", 1, "*", 0, 80, "" },
		{ "*:443:www.x.com", 1, "*", 0, 443, "www.x.com" },
		{ "10.0.0.1:443:", 1, "10.0.0.1", 0, 443, "" },
		{ "[2001:db8::1]:443:h", 1, "2001:db8::1", 1, 443, "h" },
		{ "*:443:*.x.com", 1, "*", 0, 443, "*.x.com" },
		{ "*:65535:a", 1, "*", 0, 65535, "a" },
		{ "*:443", 0, NULL, 0, 0, NULL },         /* no host separator */
		{ "*", 0, NULL, 0, 0, NULL },             /* no port */
		{ "*::h", 0, NULL, 0, 0, NULL },          /* empty port */
		{ "*:0:", 0, NULL, 0, 0, NULL },
		{ "*:65536:", 0, NULL, 0, 0, NULL },
		{ "*:99999999999999999999:", 0, NULL, 0, 0, NULL },
		{ "[2001:db8::1:443:h", 0, NULL, 0, 0, NULL },
		{ "[]:443:h", 0, NULL, 0, 0, NULL },
		{ "[nothex]:443:h", 0, NULL, 0, 0, NULL },
		{ "[2001:db8::1]443:h", 0, NULL, 0, 0, NULL },
		{ "", 0, NULL, 0, 0, NULL },
		{ ":80:", 0, NULL, 0, 0, NULL },
		{ "10.0.0:80:", 0, NULL, 0, 0, NULL },
		{ "*:8a:", 0, NULL, 0, 0, NULL },
		{ "*:-1:", 0, NULL, 0, 0, NULL },
		{ "*:80:a b", 0, NULL, 0, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cf_iis_binding_info bi;
		struct cf_err err;
		cf_rc rc = cf_iis_parse_binding_info(t[i].in, &bi, &err);

		if (!t[i].ok) {
			if (rc != CF_ERR_USAGE)
				fail_msg("accepted bad \"%s\"", t[i].in);
			assert_true(strlen(err.msg) > 0);
			continue;
		}
		if (rc != CF_OK)
			fail_msg("\"%s\": %s", t[i].in, err.msg);
		assert_string_equal(bi.ip, t[i].ip);
		assert_int_equal(bi.ip_is_v6, t[i].v6);
		assert_int_equal(bi.port, t[i].port);
		assert_string_equal(bi.host, t[i].host);
		{
			char back[600];
			assert_int_equal(cf_iis_binding_info_format(&bi, back,
					 sizeof(back)), 0);
			assert_string_equal(back, t[i].in);
		}
	}
	assert_int_equal(cf_iis_parse_binding_info(NULL, &(struct
			 cf_iis_binding_info){0}, NULL), CF_ERR_USAGE);
}

static void
test_ssl_flags_names(void **state)
{
	char b[256];

	assert_string_equal(cf_iis_ssl_flags_describe(0, b, sizeof(b)), "none");
	assert_string_equal(cf_iis_ssl_flags_describe(3, b, sizeof(b)), "SNI,CCS");
	assert_string_equal(cf_iis_ssl_flags_describe(65, b, sizeof(b)),
			    "SNI,DisableLegacyTLS");
	assert_string_equal(cf_iis_ssl_flags_describe(4 | 8 | 16 | 32, b,
			    sizeof(b)), "DisableHTTP2,DisableOCSPStapling,DisableQUIC,"
			    "DisableTLS13");
	assert_string_equal(cf_iis_ssl_flags_describe(128 | 2, b, sizeof(b)),
			    "CCS,128");
}

static void
test_expand_vars(void **state)
{
	static const struct cf_iis_var v[] = {
		{ "SystemDrive", "C:" }, { "WEBROOT", "E:\\web" },
		{ "systemdrive", "D:" },
	};
	char *o = NULL;

	assert_int_equal(cf_iis_expand_vars("%SYSTEMDRIVE%\\inetpub", v, 2,
			 &o, NULL), CF_OK);
	assert_string_equal(o, "C:\\inetpub");
	free(o);
	assert_int_equal(cf_iis_expand_vars("%systemdrive%\\x", v, 3, &o, NULL),
			 CF_OK);
	assert_string_equal(o, "D:\\x"); /* later wins */
	free(o);
	assert_int_equal(cf_iis_expand_vars("%WebRoot%\\blog %NOPE% 100%", v,
			 2, &o, NULL), CF_OK);
	assert_string_equal(o, "E:\\web\\blog %NOPE% 100%");
	free(o);
	assert_int_equal(cf_iis_expand_vars("%%", v, 2, &o, NULL), CF_OK);
	assert_string_equal(o, "%%");
	free(o);
}

static struct cf_iis_config *
load(const char *name, const struct cf_iis_var *v, size_t nv)
{
	struct cf_iis_config *c = NULL;
	struct cf_err err;

	if (cf_iis_config_load(fixture_path(name), v, nv, &c, &err) != CF_OK)
		fail_msg("%s", err.msg);
	return c;
}

static size_t
count_bindings(const struct cf_iis_config *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nsites; i++)
		n += c->sites[i].nbindings;
	return n;
}

static const struct cf_iis_binding *
find_binding(const struct cf_iis_site *s, const char *proto, const char *info)
{
	size_t i;

	for (i = 0; i < s->nbindings; i++)
		if (strcmp(s->bindings[i].protocol, proto) == 0 &&
		    strcmp(s->bindings[i].binding_information, info) == 0)
			return &s->bindings[i];
	return NULL;
}

static void
test_small_fixture(void **state)
{
	struct cf_iis_config *c = load("applicationHost-small.config", NULL, 0);
	const struct cf_iis_site *s;
	const struct cf_iis_binding *b;

	assert_int_equal(c->nsites, 3);
	assert_int_equal(count_bindings(c), 6);
	s = cf_iis_site_find(c, "default web site");
	assert_non_null(s);
	assert_int_equal(s->id, 1);
	assert_string_equal(s->physical_path, "%SystemDrive%\\inetpub\\wwwroot");
	assert_string_equal(s->physical_path_expanded, "C:\\inetpub\\wwwroot");
	s = cf_iis_site_find(c, "2");
	assert_non_null(s);
	assert_string_equal(s->name, "Contoso Shop");
	assert_string_equal(s->physical_path, "D:\\Sites\\shop.contoso.com\\wwwroot");
	assert_int_equal(s->nbindings, 4);
	b = find_binding(s, "https", "*:443:www.shop.contoso.com");
	assert_non_null(b);
	assert_true(b->has_ssl_flags);
	assert_int_equal(b->ssl_flags, 1);
	s = cf_iis_site_find(c, "Contoso FTP");
	assert_non_null(s);
	assert_string_equal(s->bindings[0].protocol, "ftp");
	assert_int_equal(s->bindings[0].info.port, 21);
	assert_null(cf_iis_site_find(c, "nope"));
	assert_null(cf_iis_site_find(c, "99"));
	cf_iis_config_free(c);
}

static void
test_farm_fixture(void **state)
{
	static const struct cf_iis_var v[] = { { "WEBROOT", "F:\\webroot" } };
	struct cf_iis_config *c = load("applicationHost-farm.config", v, 1);
	const struct cf_iis_site *s;
	const struct cf_iis_binding *b;

	assert_int_equal(c->nsites, 40);
	assert_int_equal(count_bindings(c), 80);

	s = cf_iis_site_find(c, "IPv6 Portal");
	assert_string_equal(s->physical_path, "D:\\Web Sites\\R&D Portal\\wwwroot");
	b = find_binding(s, "https", "[2001:db8:10::25]:443:ipv6.example.net");
	assert_non_null(b);
	assert_true(b->info.ip_is_v6);
	assert_string_equal(b->info.ip, "2001:db8:10::25");
	assert_string_equal(b->info.host, "ipv6.example.net");

	s = cf_iis_site_find(c, "4");
	b = find_binding(s, "https", "*:443:*.example.org");
	assert_string_equal(b->info.host, "*.example.org");

	s = cf_iis_site_find(c, "ccs marketing");
	assert_int_equal(s->nbindings, 4); /* the commented one is not there */
	b = find_binding(s, "https", "*:443:www.example.com");
	assert_int_equal(b->ssl_flags, 3);

	s = cf_iis_site_find(c, "CCS Docs");
	b = find_binding(s, "https", "*:443:docs.example.com");
	assert_non_null(b);
	assert_int_equal(b->ssl_flags, 3);

	s = cf_iis_site_find(c, "Legacy CCS");
	assert_string_equal(s->bindings[0].info.ip, "192.0.2.30");
	assert_int_equal(s->bindings[0].ssl_flags, 2);

	s = cf_iis_site_find(c, "Admin Console");
	assert_int_equal(s->bindings[0].info.port, 8443);

	s = cf_iis_site_find(c, "Hardened API");
	b = find_binding(s, "https", "*:443:api.example.com");
	assert_int_equal(b->ssl_flags, 65);

	s = cf_iis_site_find(c, "WCF Services");
	b = find_binding(s, "net.tcp", "808:*");
	assert_non_null(b);
	assert_false(b->has_info);
	assert_non_null(find_binding(s, "net.pipe", "*"));

	s = cf_iis_site_find(c, "Buecher Shop");
	b = find_binding(s, "https", "*:443:b\xc3\xbc" "cher.example.de");
	assert_non_null(b);
	assert_int_equal(b->ssl_flags, 3);

	s = cf_iis_site_find(c, "Staging");
	assert_false(s->server_auto_start);
	assert_string_equal(s->physical_path_expanded, "C:\\inetpub\\staging");
	assert_true(cf_iis_site_find(c, "CCS Docs")->server_auto_start);

	s = cf_iis_site_find(c, "blog");
	assert_int_equal(s->id, 13);
	assert_string_equal(s->physical_path_expanded, "F:\\webroot\\blog");
	b = find_binding(s, "https", "*:443:blog.example.com");
	assert_int_equal(b->ssl_flags, 1);

	s = cf_iis_site_find(c, "Entity Test");
	assert_string_equal(s->bindings[0].binding_information,
			    "*:80:entity.example.com");
	assert_string_equal(s->bindings[0].info.ip, "*");

	s = cf_iis_site_find(c, "795425564");
	assert_string_equal(s->name, "Tenant 04 - delta");
	s = cf_iis_site_find(c, "Farm FTP");
	assert_int_equal(s->id, 40);
	assert_int_equal(s->index, 39);
	cf_iis_config_free(c);
}

static void
test_bad_configs(void **state)
{
	static const char *bad[] = {
		"<configuration><system.applicationHost>",
		"<notconfig/>",
		"<configuration><system.applicationHost><sites><site id=\"1\"/>"
		    "</sites></system.applicationHost></configuration>",
		"<configuration><system.applicationHost><sites><site name=\"a\" "
		    "id=\"x\"/></sites></system.applicationHost></configuration>",
		"<configuration><system.applicationHost><sites><site name=\"a\" "
		    "id=\"1\"><bindings><binding protocol=\"https\" "
		    "bindingInformation=\"*:0:\"/></bindings></site></sites>"
		    "</system.applicationHost></configuration>",
		"<configuration><system.applicationHost><sites><site name=\"a\" "
		    "id=\"1\"><bindings><binding protocol=\"https\" "
		    "bindingInformation=\"*:443:\" sslFlags=\"x\"/></bindings>"
		    "</site></sites></system.applicationHost></configuration>",
		"<!DOCTYPE c [<!ENTITY x SYSTEM \"http://127.0.0.1:1/x\">]>"
		    "<configuration>&x;</configuration>",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cf_iis_config *c = NULL;
		struct cf_err err;
		cf_rc rc = cf_iis_config_parse(bad[i], strlen(bad[i]), NULL, 0,
					       &c, &err);
		if (rc == CF_OK) {
			/* the external entity one may parse; it must not
			 * have been fetched and has no sites */
			assert_int_equal(c->nsites, 0);
			cf_iis_config_free(c);
			continue;
		}
		assert_int_equal(rc, CF_ERR_USAGE);
		assert_null(c);
		assert_null(strchr(err.msg, '\n'));
	}
}

static void
test_site_hosts(void **state)
{
	struct cf_iis_config *c = load("applicationHost-farm.config", NULL, 0);
	char **h = NULL;
	size_t n = 0;
	static const struct {
		const char *site, *filter;
		size_t n;
		const char *want[4];
	} t[] = {
		{ "CCS Marketing", NULL, 2, { "www.example.com", "example.com" } },
		{ "CCS Marketing", "www.*", 1, { "www.example.com" } },
		{ "CCS Marketing", "WWW.*", 1, { "www.example.com" } },
		{ "CCS Marketing", "*.org", 0, { NULL } },
		{ "Default Web Site", NULL, 0, { NULL } },  /* no host */
		{ "Intranet", NULL, 0, { NULL } },
		{ "IPv6 Portal", NULL, 1, { "ipv6.example.net" } },
		{ "Wildcard Tenants", NULL, 1, { "*.example.org" } },
		{ "Buecher Shop", NULL, 1, { "xn--bcher-kva.example.de" } },
		{ "Buecher Shop", "b\xc3\xbc" "cher.*", 1,
		  { "xn--bcher-kva.example.de" } },
		{ "WCF Services", NULL, 1, { "wcf.example.com" } },
		{ "Farm FTP", NULL, 0, { NULL } },           /* ftp ignored */
		{ "Tenant 04 - delta", NULL, 2,
		  { "delta-shop.example.com", "www.delta-shop.example.com" } },
	};
	size_t i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cf_err err;
		const struct cf_iis_site *s = cf_iis_site_find(c, t[i].site);
		assert_non_null(s);
		if (cf_iis_site_hosts(s, t[i].filter, &h, &n, &err) != CF_OK)
			fail_msg("%s: %s", t[i].site, err.msg);
		if (n != t[i].n)
			fail_msg("%s: %zu hosts, want %zu", t[i].site, n, t[i].n);
		for (j = 0; j < n; j++)
			assert_string_equal(h[j], t[i].want[j]);
		cf_iis_hosts_free(h, n);
	}
	cf_iis_config_free(c);
}

static void
test_site_hosts_synthetic(void **state)
{
	static const char xml[] =
	    "<configuration><system.applicationHost><sites>"
	    "<site name=\"s\" id=\"1\"><bindings>"
	    "<binding protocol=\"http\" bindingInformation=\"*:80:WWW.Example.COM\"/>"
	    "<binding protocol=\"https\" bindingInformation=\"*:443:www.example.com\"/>"
	    "<binding protocol=\"http\" bindingInformation=\"*:80:10.1.2.3\"/>"
	    "<binding protocol=\"http\" bindingInformation=\"*:80:\"/>"
	    "<binding protocol=\"http\" bindingInformation=\"*:80:Stra\xc3\x9f" "e.de\"/>"
	    "</bindings></site></sites></system.applicationHost></configuration>";
	struct cf_iis_config *c = NULL;
	char **h = NULL;
	size_t n = 0;

	assert_int_equal(cf_iis_config_parse(xml, sizeof(xml) - 1, NULL, 0, &c,
			 NULL), CF_OK);
	assert_int_equal(cf_iis_site_hosts(&c->sites[0], NULL, &h, &n, NULL),
			 CF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(h[0], "www.example.com");
	/* non-transitional: sharp s stays, it is not mapped to "ss" */
	assert_string_equal(h[1], "xn--strae-oqa.de");
	cf_iis_hosts_free(h, n);
	cf_iis_config_free(c);
}

/* Two <bindings> in one site: once the second leaked the first array,
 * left NULL bindings in front and dropped the first one's hosts. */
static void
test_two_bindings_elements(void **state)
{
	static const char xml[] =
	    "<configuration><system.applicationHost><sites>"
	    "<site name=\"s\" id=\"1\"><bindings>"
	    "<binding protocol=\"http\" bindingInformation=\"*:80:a.example\"/>"
	    "<binding protocol=\"http\" bindingInformation=\"*:80:b.example\"/>"
	    "</bindings><bindings>"
	    "<binding protocol=\"https\" bindingInformation=\"*:443:c.example\"/>"
	    "</bindings></site></sites></system.applicationHost></configuration>";
	struct cf_iis_config *c = NULL;
	char **h = NULL;
	size_t n = 0, i;

	assert_int_equal(cf_iis_config_parse(xml, sizeof(xml) - 1, NULL, 0, &c,
			 NULL), CF_OK);
	assert_int_equal(c->sites[0].nbindings, 3);
	for (i = 0; i < c->sites[0].nbindings; i++)
		assert_non_null(c->sites[0].bindings[i].protocol);
	assert_int_equal(cf_iis_site_hosts(&c->sites[0], NULL, &h, &n, NULL),
			 CF_OK);
	assert_int_equal(n, 3);
	assert_string_equal(h[0], "a.example");
	assert_string_equal(h[1], "b.example");
	assert_string_equal(h[2], "c.example");
	cf_iis_hosts_free(h, n);
	cf_iis_config_free(c);
}

static void
test_ccs_names(void **state)
{
	static const struct {
		const char *host, *file, *back;
	} t[] = {
		{ "www.example.com", "www.example.com.pfx", "www.example.com" },
		{ "WWW.Example.Com", "www.example.com.pfx", "www.example.com" },
		{ "*.example.com", "_.example.com.pfx", "*.example.com" },
		{ "xn--bcher-kva.example", "b\xc3\xbc" "cher.example.pfx",
		  "xn--bcher-kva.example" },
		{ "*.xn--bcher-kva.example", "_.b\xc3\xbc" "cher.example.pfx",
		  "*.xn--bcher-kva.example" },
	};
	static const char *badhost[] = { "", "*.", "a/b", "..", "a..b",
	    "www.*.com", "a b", "*" };
	static const char *badfile[] = { "www.example.com", ".pfx",
	    "a/..pfx", "x.*.pfx", "a b.pfx",
	    "*.pfx" /* once read past the end of the one-byte host "*" */,
	    /* UTS #46 maps U+00A0 to ' ' and U+FF0F to '/' (found by fuzz_ccs) */
	    "k\xc2\xa0.example.pfx", "a\xef\xbc\x8f" "b.pfx" };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *f = NULL, *h = NULL;
		struct cf_err err;
		if (cf_ccs_file_name(t[i].host, &f, &err) != CF_OK)
			fail_msg("%s: %s", t[i].host, err.msg);
		assert_string_equal(f, t[i].file);
		if (cf_ccs_host_from_file(f, &h, &err) != CF_OK)
			fail_msg("%s: %s", f, err.msg);
		assert_string_equal(h, t[i].back);
		free(f);
		free(h);
	}
	{
		char *h = NULL;
		assert_int_equal(cf_ccs_host_from_file("/srv/ccs/WWW.Example.com.PFX",
				 &h, NULL), CF_OK);
		assert_string_equal(h, "www.example.com");
		free(h);
	}
	for (i = 0; i < sizeof(badhost) / sizeof(badhost[0]); i++) {
		char *f = NULL;
		if (cf_ccs_file_name(badhost[i], &f, NULL) == CF_OK)
			fail_msg("accepted host \"%s\" -> %s", badhost[i], f);
		assert_null(f);
	}
	for (i = 0; i < sizeof(badfile) / sizeof(badfile[0]); i++) {
		char *h = NULL;
		if (cf_ccs_host_from_file(badfile[i], &h, NULL) == CF_OK)
			fail_msg("accepted file \"%s\" -> %s", badfile[i], h);
		assert_null(h);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binding_info_table),
		cmocka_unit_test(test_ssl_flags_names),
		cmocka_unit_test(test_expand_vars),
		cmocka_unit_test(test_small_fixture),
		cmocka_unit_test(test_farm_fixture),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_site_hosts),
		cmocka_unit_test(test_site_hosts_synthetic),
		cmocka_unit_test(test_two_bindings_elements),
		cmocka_unit_test(test_ccs_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
