/* test_iis_webroot.c - --iis-path-map rules, the site serving a host, and
 * the IIS webroot validator's files (token + web.config, removed after). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iis/appconfig.h"
#include "engine/spec.h"
#include "iis/pathmap.h"
#include "validate/iiswebroot.h"
#include "iis_test_util.h"

#define CONFIG "tests/fixtures/iis/applicationHost-webroot.config"

static void
test_path_map_table(void **state)
{
	static const char *const rules[] = {
		"C:\\inetpub=/mnt/web/inetpub",
		"%SystemDrive%\\inetpub\\sites\\big=/mnt/big/",
		"\\\\fs01\\web$=/mnt/fs01",
		"d:/Web=/srv/d-web",
	};
	static const struct {
		const char *in;
		const char *out; /* NULL: refused */
	} t[] = {
		{ "C:\\inetpub\\wwwroot", "/mnt/web/inetpub/wwwroot" },
		{ "c:\\INETPUB\\wwwroot\\", "/mnt/web/inetpub/wwwroot" },
		{ "%SystemDrive%\\inetpub\\x", "/mnt/web/inetpub/x" },
		{ "%SYSTEMDRIVE%\\inetpub", "/mnt/web/inetpub" },
		{ "C:\\inetpub\\sites\\big\\a", "/mnt/big/a" },   /* longest rule */
		{ "C:\\inetpub\\sites\\bigger", "/mnt/web/inetpub/sites/bigger" },
		{ "\\\\FS01\\web$\\site", "/mnt/fs01/site" },
		{ "D:\\Web\\Blog", "/srv/d-web/Blog" },
		{ "C:\\inetpubx\\y", NULL },     /* not a whole component */
		{ "E:\\web", NULL },             /* no rule */
		{ "C:\\inetpub\\..\\Windows", NULL },
		{ "C:\\inetpub\\.\\x", NULL },
	};
	struct cf_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *out = NULL;
		cf_rc rc = cf_iis_path_map_apply(rules, 4, t[i].in, &out, &err);
		if (t[i].out == NULL) {
			assert_int_equal(rc, CF_ERR_USAGE);
			assert_null(out);
			continue;
		}
		if (rc != CF_OK)
			fail_msg("%s: %s", t[i].in, err.msg);
		assert_string_equal(out, t[i].out);
		free(out);
	}
}

static void
test_path_map_malformed(void **state)
{
	static const char *const bad[] = { "C:\\inetpub", "C:\\inetpub=rel/dir",
					   "=/mnt/x" };
	struct cf_err err = { 0 };
	char *rule;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *r[1] = { bad[i] };
		char *out = NULL;
		assert_int_equal(cf_iis_path_map_apply(r, 1, "C:\\inetpub\\x",
						       &out, &err),
				 CF_ERR_USAGE);
		assert_non_null(strstr(err.msg, "--iis-path-map"));
	}
	/* The CLI makes the Linux side absolute. */
	rule = strdup("C:\\w=rel/dir");
	assert_int_equal(cf_iis_path_map_abs(&rule, &err), CF_OK);
	assert_true(strncmp(rule, "C:\\w=/", 6) == 0);
	assert_non_null(strstr(rule, "/rel/dir"));
	free(rule);
}

static void
test_site_for_host(void **state)
{
	static const struct {
		const char *host;
		unsigned long id; /* 0: none */
	} t[] = {
		{ "shop.example.test", 3 },
		{ "www.shop.example.test", 3 },     /* upper case in the binding */
		{ "secure.example.test", 3 },       /* https binding only */
		{ "blog.example.test", 7 },
		{ "a.wild.example.test", 7 },       /* *.wild.example.test */
		{ "a.b.wild.example.test", 1 },     /* one label only: catch-all */
		{ "other.example.test", 1 },        /* the binding without host */
	};
	struct cf_iis_config *cfg = NULL;
	struct cf_err err = { 0 };

	(void)state;
	assert_int_equal(cf_iis_config_load(CONFIG, NULL, 0, &cfg, &err), CF_OK);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct cf_iis_site *s = cf_iis_site_for_host(cfg, t[i].host);
		if (s == NULL || s->id != t[i].id)
			fail_msg("%s: site %lu, want %lu", t[i].host,
				 s ? s->id : 0, t[i].id);
	}
	cf_iis_config_free(cfg);
}

static int
exists(const char *dir, const char *name)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &sb) == 0;
}

static char *
slurp(const char *dir, const char *name)
{
	char p[4096], *data = NULL;
	size_t len;
	struct cf_err err = { 0 };

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (cf_file_read(p, 1 << 20, &data, &len, &err) != CF_OK)
		return NULL;
	return data;
}

/* Two sites in one order: each token under its site, a web.config next
 * to it while presented; all gone after cleanup, except a web.config that
 * was there before, which is left byte for byte. */
static void
test_validator_files(void **state)
{
	const char *tmp = scratch_dir();
	char shop[512], blog[512], rule1[600], rule2[600], ch_shop[600],
	     ch_blog[600], mine[700], *s;
	const char *rules[2] = { rule1, rule2 };
	struct cf_validator v;
	struct cf_err err = { 0 };
	struct cf_challenge_task a = { "shop.example.test", 0, "http-01",
				       "tokA", "tokA.thumb" };
	struct cf_challenge_task b = { "www.shop.example.test", 0, "http-01",
				       "tokB", "tokB.thumb" };
	struct cf_challenge_task c = { "blog.example.test", 0, "http-01",
				       "tokC", "tokC.thumb" };
	FILE *f;

	(void)state;
	snprintf(shop, sizeof(shop), "%s/inetpub/sites/shop.example.test", tmp);
	snprintf(blog, sizeof(blog), "%s/dweb/Blog", tmp);
	snprintf(rule1, sizeof(rule1), "C:\\inetpub=%s/inetpub", tmp);
	snprintf(rule2, sizeof(rule2), "D:\\Web=%s/dweb", tmp);
	snprintf(ch_shop, sizeof(ch_shop), "%s/.well-known/acme-challenge", shop);
	snprintf(ch_blog, sizeof(ch_blog), "%s/.well-known/acme-challenge", blog);
	{
		struct cf_err e2 = { 0 };
		assert_int_equal(cf_mkdir_p(shop, 0755, 0, &e2), CF_OK);
		assert_int_equal(cf_mkdir_p(ch_blog, 0755, 0, &e2), CF_OK);
	}
	/* The blog already has its own web.config there. */
	snprintf(mine, sizeof(mine), "%s/web.config", ch_blog);
	assert_non_null(f = fopen(mine, "w"));
	fputs("<configuration>mine</configuration>\n", f);
	fclose(f);

	assert_int_equal(cf_iis_webroot_validator_new(CONFIG, rules, 2, &v, &err),
			 CF_OK);
	assert_int_equal(v.present(v.ctx, &a, &err), CF_OK);
	assert_int_equal(v.present(v.ctx, &b, &err), CF_OK);
	assert_int_equal(v.present(v.ctx, &c, &err), CF_OK);
	assert_non_null(s = slurp(ch_shop, "tokA"));
	assert_string_equal(s, "tokA.thumb");
	free(s);
	assert_true(exists(ch_shop, "tokB"));
	assert_true(exists(ch_blog, "tokC"));
	assert_non_null(s = slurp(ch_shop, "web.config"));
	assert_string_equal(s, cf_iis_acme_web_config);
	assert_non_null(strstr(s, "mimeType=\"text/plain\""));
	assert_non_null(strstr(s, "StaticFileModule"));
	free(s);
	/* One token done: the other still needs the web.config. */
	v.cleanup(v.ctx, &a);
	assert_false(exists(ch_shop, "tokA"));
	assert_true(exists(ch_shop, "web.config"));
	v.cleanup(v.ctx, &b);
	v.cleanup(v.ctx, &c);
	assert_false(exists(shop, ".well-known"));  /* we made it: removed */
	assert_false(exists(ch_blog, "tokC"));
	assert_non_null(s = slurp(ch_blog, "web.config"));
	assert_string_equal(s, "<configuration>mine</configuration>\n");
	free(s);
	/* A name no site serves, or a site outside the rules: named. */
	{
		struct cf_challenge_task d = { "nowhere.example.test", 0,
					       "http-01", "tokD", "x" };
		const char *one[1] = { rule1 };
		struct cf_validator v2;
		cf_validator_destroy(&v);
		assert_int_equal(cf_iis_webroot_validator_new(CONFIG, one, 1, &v2,
							      &err), CF_OK);
		d.identifier = "blog.example.test";
		assert_int_equal(v2.present(v2.ctx, &d, &err), CF_ERR_USAGE);
		assert_non_null(strstr(err.msg, "D:\\Web\\Blog"));
		assert_non_null(strstr(err.msg, "Blog"));
		cf_validator_destroy(&v2);
	}
}

/* Two runs on one site folder (renew --jobs): the web.config stays while
 * either has a challenge there, and the last one out removes it; ready
 * puts it back when it went missing. */
static void
test_validators_share_folder(void **state)
{
	const char *tmp = scratch_dir();
	char shop[512], rule[600], ch[600], wc[700];
	const char *rules[1] = { rule };
	struct cf_validator v1, v2;
	struct cf_err err = { 0 };
	struct cf_challenge_task a = { "shop.example.test", 0, "http-01",
				       "tokA", "tokA.thumb" };
	struct cf_challenge_task b = { "www.shop.example.test", 0, "http-01",
				       "tokB", "tokB.thumb" };

	(void)state;
	snprintf(shop, sizeof(shop), "%s/inetpub/sites/shop.example.test", tmp);
	snprintf(rule, sizeof(rule), "C:\\inetpub=%s/inetpub", tmp);
	snprintf(ch, sizeof(ch), "%s/.well-known/acme-challenge", shop);
	snprintf(wc, sizeof(wc), "%s/web.config", ch);
	assert_int_equal(cf_mkdir_p(ch, 0755, 0, &err), CF_OK);
	assert_int_equal(cf_iis_webroot_validator_new(CONFIG, rules, 1, &v1, &err),
			 CF_OK);
	assert_int_equal(cf_iis_webroot_validator_new(CONFIG, rules, 1, &v2, &err),
			 CF_OK);
	assert_int_equal(v1.present(v1.ctx, &a, &err), CF_OK);
	assert_int_equal(v2.present(v2.ctx, &b, &err), CF_OK);
	v1.cleanup(v1.ctx, &a);
	assert_true(exists(ch, "web.config"));      /* v2 still needs it */
	unlink(wc);                                 /* gone meanwhile */
	assert_int_equal(v2.ready(v2.ctx, &err), CF_OK);
	assert_true(exists(ch, "web.config"));
	v2.cleanup(v2.ctx, &b);
	assert_false(exists(ch, "web.config"));
	assert_false(exists(ch, "tokB"));
	cf_validator_destroy(&v1);
	cf_validator_destroy(&v2);
}

/* The mapping survives the renewal definition; the checks name what is
 * missing. */
static void
test_spec_round_trip(void **state)
{
	struct cf_cert_spec s, back;
	struct cf_err err = { 0 };
	char *maps[] = { "C:\\inetpub=/mnt/inetpub", "D:\\Web=/mnt/d" };
	char *names[] = { "shop.example.test" };
	const char *n1[] = { "shop.example.test" };
	json_t *j = NULL;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.name = "shop";
	s.directory_url = "https://ca.example/dir";
	s.names = names;
	s.nnames = 1;
	s.iis.config = "/mnt/iis/applicationHost.config";
	s.validation.method = CF_VAL_HTTP01;
	s.validation.iis_webroot = 1;
	s.validation.iis_path_maps = maps;
	s.validation.niis_path_maps = 2;
	s.validation.dns_propagation_timeout = -1;
	assert_int_equal(cf_spec_check(&s, n1, 1, &err), CF_OK);
	assert_int_equal(cf_spec_to_json(&s, &j, &err), CF_OK);
	assert_int_equal(cf_spec_from_json(j, &back, &err), CF_OK);
	json_decref(j);
	assert_true(back.validation.iis_webroot);
	assert_int_equal(back.validation.niis_path_maps, 2);
	assert_string_equal(back.validation.iis_path_maps[1], "D:\\Web=/mnt/d");
	assert_null(back.validation.webroot);
	cf_spec_free(&back);

	s.validation.niis_path_maps = 0;
	assert_int_equal(cf_spec_check(&s, n1, 1, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "--iis-path-map"));
	s.validation.niis_path_maps = 2;
	s.iis.config = NULL;
	assert_int_equal(cf_spec_check(&s, n1, 1, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "--iis-config"));
	s.iis.config = "/x";
	s.validation.webroot = "/var/www";
	assert_int_equal(cf_spec_check(&s, n1, 1, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "exclude each other"));
	s.validation.webroot = NULL;
	s.validation.iis_webroot = 0;
	assert_int_equal(cf_spec_check(&s, n1, 1, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "--iis-path-map needs --iis-webroot"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_map_table),
		cmocka_unit_test(test_path_map_malformed),
		cmocka_unit_test(test_site_for_host),
		cmocka_unit_test(test_validator_files),
		cmocka_unit_test(test_validators_share_folder),
		cmocka_unit_test(test_spec_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
