/* test_winacme.c - win-acme renewal files mapped onto certferry specs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/winacme.h"

#define CONFIG "tests/fixtures/iis/applicationHost-webroot.config"
#define FIXDIR "tests/fixtures/winacme/acme-v02.api.letsencrypt.org/"

static const char *const maps[] = {
	"C:\\inetpub=/mnt/inetpub",
	"\\\\fs01\\ccs$=/mnt/ccs",
	"C:\\certs=/mnt/certs",
};

/* opts: what the person importing gave. */
enum { O_CONFIG = 1, O_MAPS = 2, O_PFXPW = 4, O_DNS = 8, O_SERVER = 16,
       O_ALL = 31 };

static void
opts_for(unsigned f, struct cf_winacme_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (f & O_SERVER)
		o->directory_url = "https://acme.example/directory";
	if (f & O_CONFIG)
		o->iis_config = CONFIG;
	if (f & O_MAPS) {
		o->path_maps = maps;
		o->npath_maps = 3;
	}
	if (f & O_PFXPW)
		o->pfx_password_file = "/etc/certferry/ccs.pw";
	if (f & O_DNS)
		o->dns_script = "/usr/local/bin/dns-hook";
}

struct expect {
	const char *json;
	unsigned opts;
	int complete;
	const char *method;          /* cf_val_method_name */
	int iis_webroot;
	const char *webroot;
	const char *key;             /* cf_key_type_name */
	const char *names;           /* space separated, "" none */
	const char *sites;           /* space separated, "" none */
	const char *host_filter;     /* NULL none */
	const char *stores;          /* "kind path;..." */
	int install;
	int password_needed;
	const char *note;            /* a substring of one note, or NULL */
};

static void
join_names(char *const *v, size_t n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(buf, i ? " " : "", len - strlen(buf) - 1);
		strncat(buf, v[i], len - strlen(buf) - 1);
	}
}

static void
check_one(size_t idx, const struct expect *e)
{
	struct cf_winacme_opts o;
	struct cf_winacme_import im;
	struct cf_err err = { 0 };
	json_error_t je;
	json_t *j = json_loads(e->json, 0, &je);
	char buf[1024];
	int found = e->note == NULL;

	if (j == NULL)
		fail_msg("case %zu: bad JSON: %s", idx, je.text);
	opts_for(e->opts, &o);
	if (cf_winacme_renewal_map(j, &o, &im, &err) != CF_OK)
		fail_msg("case %zu: %s", idx, err.msg);
	json_decref(j);
	for (size_t i = 0; i < im.nnotes; i++)
		if (e->note != NULL && strstr(im.notes[i], e->note) != NULL)
			found = 1;
	if (!found || im.complete != e->complete) {
		for (size_t i = 0; i < im.nnotes; i++)
			fprintf(stderr, "case %zu note: %s\n", idx, im.notes[i]);
		fail_msg("case %zu: complete %d (want %d), note '%s' %s", idx,
			 im.complete, e->complete, e->note ? e->note : "",
			 found ? "found" : "missing");
	}
	assert_string_equal(cf_val_method_name(im.spec.validation.method),
			    e->method);
	assert_int_equal(im.spec.validation.iis_webroot, e->iis_webroot);
	if (e->webroot == NULL)
		assert_null(im.spec.validation.webroot);
	else
		assert_string_equal(im.spec.validation.webroot, e->webroot);
	assert_string_equal(cf_key_type_name(im.spec.key_type), e->key);
	join_names(im.spec.names, im.spec.nnames, buf, sizeof(buf));
	assert_string_equal(buf, e->names);
	join_names(im.spec.iis.sites, im.spec.iis.nsites, buf, sizeof(buf));
	assert_string_equal(buf, e->sites);
	if (e->host_filter == NULL)
		assert_null(im.spec.iis.host_filter);
	else
		assert_string_equal(im.spec.iis.host_filter, e->host_filter);
	buf[0] = '\0';
	for (size_t i = 0; i < im.spec.nstores; i++) {
		char one[300];
		snprintf(one, sizeof(one), "%s%s %s", i ? ";" : "",
			 cf_store_kind_name(im.spec.stores[i].kind),
			 im.spec.stores[i].path);
		strncat(buf, one, sizeof(buf) - strlen(buf) - 1);
	}
	assert_string_equal(buf, e->stores);
	assert_int_equal(im.spec.iis.install, e->install);
	assert_int_equal(im.password_needed, e->password_needed);
	if (im.spec.iis.nsites > 0 || im.spec.validation.iis_webroot)
		assert_string_equal(im.spec.iis.config, CONFIG);
	if (e->opts & O_SERVER)
		assert_string_equal(im.spec.directory_url,
				    "https://acme.example/directory");
	cf_winacme_import_free(&im);
}

#define IIS_T "\"Plugin\": \"54deb3ee-b5df-4381-8485-fe386054055b\""
#define MAN_T "\"Plugin\": \"e239db3b-b42f-48aa-b64f-46d4f3e9941b\""
#define FS_V "\"Plugin\": \"1c77b3a4-5310-4c46-92c6-00d866e84d6b\""
#define SH_V "\"Plugin\": \"c7d5e050-9363-4ba1-b3a8-931b31c618b7\""
#define CCS_S "\"Plugin\": \"af1f77b6-4e7b-4f96-bba5-c2eeb4d0dd42\""
#define IIS_I "\"Plugin\": \"ea6a5be3-f8de-4d27-a6bd-750b619b2ee2\""

/* The renewals test_map_table maps, and what each must become. */
static const struct expect map_cases[] = {
	/* 0: IIS site + site folder + CCS (DPAPI) + IIS install */
	{ "{\"Id\": \"a1\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [3]},"
	  " \"ValidationPluginOptions\": {" FS_V ", \"SiteId\": 3},"
	  " \"StorePluginOptions\": [{" CCS_S ", \"Path\": "
	  "\"\\\\\\\\fs01\\\\ccs$\", \"PfxPasswordProtected\": \"enc-AQAA\"}],"
	  " \"InstallationPluginOptions\": [{" IIS_I ", \"SiteId\": 3,"
	  " \"NewBindingPort\": 8443}]}",
	  O_ALL, 1, "http-01", 1, NULL, "rsa3072", "", "3", NULL,
	  "ccs /mnt/ccs", 1, 0, NULL },
	/* 1: the same without the password file: DPAPI named */
	{ "{\"Id\": \"a2\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [3]},"
	  " \"StorePluginOptions\": [{" CCS_S ", \"Path\": "
	  "\"\\\\\\\\fs01\\\\ccs$\", \"PfxPasswordProtected\": \"enc-AQAA\"}]}",
	  O_ALL & ~O_PFXPW, 0, "http-01", 1, NULL, "rsa3072", "", "3",
	  NULL, "ccs /mnt/ccs", 0, 1, "DPAPI" },
	/* 2: manual names, upper case and Unicode; FileSystem with a
	 *    path; no server known */
	{ "{\"Id\": \"b\", \"TargetPluginOptions\": {" MAN_T ","
	  " \"CommonName\": \"Www.Example.Test\", \"AlternativeNames\":"
	  " [\"www.example.test\", \"b\\u00fccher.example.test\"]},"
	  " \"ValidationPluginOptions\": {" FS_V ", \"Path\": "
	  "\"C:\\\\inetpub\\\\wwwroot\"},"
	  " \"CsrPluginOptions\": {\"Plugin\": "
	  "\"9aadcf71-5241-4c4f-aee1-bfe3f6be3489\", \"ReusePrivateKey\": true}}",
	  O_MAPS, 0, "http-01", 0, "/mnt/inetpub/wwwroot", "ec384",
	  "www.example.test xn--bcher-kva.example.test", "", NULL, "", 0,
	  0, "--server URL" },
	/* 3: 2.1 "$type" names; pattern; dns script replaced; PFX file
	 *    with a base64 password (readable) */
	{ "{\"Id\": \"c\", \"TargetPluginOptions\": {\"$type\": "
	  "\"PKISharp.WACS.Plugins.TargetPlugins.IISOptions, wacs.common\","
	  " \"IncludeSiteIds\": [7], \"IncludePattern\": \"*.example.test\"},"
	  " \"ValidationPluginOptions\": {\"$type\": \"PKISharp.WACS.Plugins."
	  "ValidationPlugins.Dns.ScriptOptions, wacs.common\", "
	  "\"CreateScript\": \"C:\\\\s\\\\dns.ps1\"},"
	  " \"StorePluginOptions\": [{\"$type\": \"PKISharp.WACS.Plugins."
	  "StorePlugins.PfxFileOptions, wacs.common\", \"Path\": "
	  "\"C:\\\\certs\", \"FileName\": \"c.pfx\", "
	  "\"PfxPasswordProtected\": \"UGFzc3dvcmQx\"}]}",
	  O_ALL, 1, "dns-01", 0, NULL, "rsa3072", "", "7",
	  "*.example.test", "pfx /mnt/certs/c.pfx", 0, 0, NULL },
	/* 4: the same script without --dns-script */
	{ "{\"Id\": \"c2\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [7]}, \"ValidationPluginOptions\": {"
	  "\"Plugin\": \"8f1da72e-f727-49f0-8546-ef69e5ecec32\", "
	  "\"Script\": \"C:\\\\s\\\\dns.ps1\"}}",
	  O_ALL & ~O_DNS, 0, "dns-01", 0, NULL, "rsa3072", "", "7", NULL,
	  "", 0, 0, "C:\\s\\dns.ps1: give --dns-script" },
	/* 5: IIS target without the config */
	{ "{\"Id\": \"d\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [3]}}",
	  O_SERVER, 0, "http-01", 0, NULL, "rsa3072", "", "", NULL, "",
	  0, 0, "--iis-config FILE" },
	/* 6: all sites (no IncludeSiteIds): today's sites listed */
	{ "{\"Id\": \"e\", \"TargetPluginOptions\": {" IIS_T "},"
	  " \"ValidationPluginOptions\": {" SH_V ", \"Port\": 80}}",
	  O_ALL, 1, "http-01", 1, NULL, "rsa3072", "", "3 7 1", NULL, "",
	  0, 0, "sites added later are not followed" },
	/* 7: filters certferry cannot express, a script install */
	{ "{\"Id\": \"f\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [3], \"IncludeRegex\": \"^w\","
	  " \"ExcludeHosts\": [\"secure.example.test\"]},"
	  " \"InstallationPluginOptions\": [{\"Plugin\": "
	  "\"3bb22c70-358d-4251-86bd-11858363d913\", \"Script\": \"x.ps1\"}]}",
	  O_ALL, 0, "http-01", 1, NULL, "rsa3072", "", "3", NULL, "", 0,
	  0, "ExcludeHosts" },
	/* 8: one IncludeHosts entry becomes the host filter; a CCS
	 *    folder no map covers */
	{ "{\"Id\": \"g\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [3], \"IncludeHosts\": [\"WWW.shop.example.test\"]},"
	  " \"StorePluginOptions\": [{" CCS_S ", \"Path\": \"E:\\\\CCS\","
	  " \"PfxPasswordProtected\": \"clear-x\"}]}",
	  O_ALL, 0, "http-01", 1, NULL, "rsa3072", "", "3",
	  "www.shop.example.test", "", 0, 0, "no --iis-path-map covers E:\\CCS" },
	/* 9: IIS install without a CCS store */
	{ "{\"Id\": \"h\", \"TargetPluginOptions\": {" IIS_T ","
	  " \"IncludeSiteIds\": [3]}, \"StorePluginOptions\": [{\"Plugin\": "
	  "\"e30adc8e-d756-4e16-a6f2-450f784b1a97\"}],"
	  " \"InstallationPluginOptions\": [{" IIS_I ", \"SiteId\": 3}]}",
	  O_ALL, 0, "http-01", 1, NULL, "rsa3072", "", "3", NULL, "", 0, 0,
	  "Centralized Certificate Store" },
	/* 10: a plugin certferry does not know */
	{ "{\"Id\": \"i\", \"TargetPluginOptions\": {" MAN_T ","
	  " \"CommonName\": \"x.example.test\"}, \"ValidationPluginOptions\":"
	  " {\"Plugin\": \"73af2c2e-4cf1-4198-a4c8-1129003cfb75\"}}",
	  O_ALL, 0, "http-01", 0, NULL, "rsa3072", "x.example.test", "",
	  NULL, "", 0, 0, "73af2c2e-4cf1-4198-a4c8-1129003cfb75 is not mapped" },
};

static void
test_map_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++)
		check_one(i, &map_cases[i]);
}

static void
test_not_a_renewal(void **state)
{
	struct cf_winacme_opts o;
	struct cf_winacme_import im;
	struct cf_err err = { 0 };
	json_t *j = json_loads("{\"Plugin\": 1}", 0, NULL);

	(void)state;
	opts_for(O_ALL, &o);
	assert_int_equal(cf_winacme_renewal_map(j, &o, &im, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "\"Id\""));
	json_decref(j);
}

static void
test_secret_read(void **state)
{
	static const struct {
		const char *in;
		enum cf_winacme_secret k;
		const char *clear;
	} t[] = {
		{ NULL, CF_WA_SECRET_NONE, NULL },
		{ "", CF_WA_SECRET_NONE, NULL },
		{ "enc-AQAAANCMnd8BFdERjHoAwE", CF_WA_SECRET_DPAPI, NULL },
		{ "clear-p@ss word", CF_WA_SECRET_CLEAR, "p@ss word" },
		{ "UGFzc3dvcmQx", CF_WA_SECRET_CLEAR, "Password1" },
		{ "vault://json/ccs", CF_WA_SECRET_VAULT, NULL },
		{ "not base64 !!", CF_WA_SECRET_DPAPI, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *c = NULL;
		assert_int_equal(cf_winacme_secret_read(t[i].in, &c), t[i].k);
		if (t[i].clear == NULL) {
			assert_null(c);
		} else {
			assert_string_equal(c, t[i].clear);
			OPENSSL_clear_free(c, strlen(c));
		}
	}
}

static void
test_server_for_folder(void **state)
{
	(void)state;
	assert_string_equal(cf_winacme_server_for_folder(
				    "acme-v02.api.letsencrypt.org"),
			    "https://acme-v02.api.letsencrypt.org/directory");
	assert_string_equal(cf_winacme_server_for_folder("acme.sectigo.comv2OV"),
			    "https://acme.sectigo.com/v2/OV");
	assert_null(cf_winacme_server_for_folder("ca.internal.example"));
}

/* The fixture files read as the README of the fixtures says. */
static void
test_fixture_files(void **state)
{
	static const struct {
		const char *file;
		unsigned opts;
		int complete;
	} t[] = {
		{ "shopSiteRenewal0000001.renewal.json", O_ALL, 1 },
		{ "shopSiteRenewal0000001.renewal.json", O_ALL & ~O_PFXPW, 0 },
		{ "blogManualRenewal00002.renewal.json", O_ALL, 1 },
		{ "legacyDnsScript0000003.renewal.json", O_ALL, 1 },
		{ "legacyDnsScript0000003.renewal.json", O_ALL & ~O_DNS, 0 },
		{ "filteredRenewal0000004.renewal.json", O_ALL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[512];
		struct cf_winacme_opts o;
		struct cf_winacme_import im;
		struct cf_err err = { 0 };
		json_t *j;

		snprintf(path, sizeof(path), FIXDIR "%s", t[i].file);
		if ((j = json_load_file(path, 0, NULL)) == NULL)
			fail_msg("cannot read %s (run from the repository root)",
				 path);
		opts_for(t[i].opts, &o);
		assert_int_equal(cf_winacme_renewal_map(j, &o, &im, &err), CF_OK);
		if (im.complete != t[i].complete)
			fail_msg("%s: complete %d", t[i].file, im.complete);
		cf_winacme_import_free(&im);
		json_decref(j);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_table),
		cmocka_unit_test(test_not_a_renewal),
		cmocka_unit_test(test_secret_read),
		cmocka_unit_test(test_server_for_folder),
		cmocka_unit_test(test_fixture_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
