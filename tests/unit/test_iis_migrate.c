/* test_iis_migrate.c - HTTP.sys bindings moved to CCS: the sslFlags edit
 * (byte for byte), the plan over several sites, "*", the netsh script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iis/appconfig.h"
#include "iis/edit.h"
#include "iis/netsh.h"
#include "iis_test_util.h"
#include "store/atomic.h"

#define FARM "applicationHost-farm.config"

/* The shared farm fixture, or a skip with the reason. */
static char *
farm(size_t *len)
{
	if (access(fixture_path(FARM), R_OK) != 0) {
		fprintf(stderr, "skip: shared fixture %s missing\n",
			fixture_path(FARM));
		skip();
	}
	return fixture_read(FARM, len);
}

static struct cf_iis_config *
parse(const char *d, size_t l)
{
	struct cf_iis_config *c = NULL;
	struct cf_err err;

	if (cf_iis_config_parse(d, l, NULL, 0, &c, &err) != CF_OK)
		fail_msg("%s", err.msg);
	return c;
}

/* a and b have the same length and differ exactly at the offsets where
 * a holds `from` and b holds `to`, `count` times. */
static void
only_flag_bytes(const char *a, size_t al, const char *b, size_t bl, char from,
		char to, size_t count)
{
	size_t diff = 0;

	assert_int_equal(al, bl);
	for (size_t i = 0; i < al; i++) {
		if (a[i] == b[i])
			continue;
		if (a[i] != from || b[i] != to)
			fail_msg("byte %zu: '%c' -> '%c'", i, a[i], b[i]);
		/* inside an sslFlags value */
		assert_true(i > 10 && memcmp(a + i - 10, "sslFlags=", 9) == 0);
		diff++;
	}
	assert_int_equal(diff, count);
}

static size_t
binding_index(const struct cf_iis_site *s, const char *bi)
{
	for (size_t j = 0; j < s->nbindings; j++)
		if (strcmp(s->bindings[j].binding_information, bi) == 0)
			return j;
	fail_msg("no binding %s", bi);
	return 0;
}

static void
test_set_flags_farm(void **state)
{
	size_t len, olen;
	char *orig = farm(&len), *out = NULL;
	struct cf_iis_config *c = parse(orig, len), *after;
	const struct cf_iis_site *d = cf_iis_site_find(c, "Tenant 04 - delta"),
	    *blog = cf_iis_site_find(c, "Blog");
	struct cf_iis_flag_change ch[3];
	struct cf_err err;

	(void)state;
	ch[0] = (struct cf_iis_flag_change){ d->index,
	    binding_index(d, "*:443:delta-shop.example.com"), 3 };
	ch[1] = (struct cf_iis_flag_change){ d->index,
	    binding_index(d, "*:443:www.delta-shop.example.com"), 3 };
	/* single quotes and an explicit </binding> */
	ch[2] = (struct cf_iis_flag_change){ blog->index,
	    binding_index(blog, "*:443:blog.example.com"), 3 };
	assert_int_equal(cf_iis_edit_set_ssl_flags(orig, len, ch, 3, &out, &olen,
			 &err), CF_OK);
	/* BOM, CRLF, quotes, everything else: the same bytes */
	only_flag_bytes(orig, len, out, olen, '1', '3', 3);
	after = parse(out, olen);
	assert_int_equal(cf_iis_site_find(after, "Blog")->bindings[ch[2]
			 .binding_index].ssl_flags, 3);
	cf_iis_config_free(after);
	free(out);

	/* a binding that is not there */
	ch[0].binding_index = 99;
	assert_int_equal(cf_iis_edit_set_ssl_flags(orig, len, ch, 1, &out, &olen,
			 &err), CF_ERR_USAGE);
	assert_null(out);
	cf_iis_config_free(c);
	free(orig);
}

static void
test_set_flags_insert(void **state)
{
	const char *x =
	    "<configuration><system.applicationHost><sites>\n"
	    "<site name='S' id='7'><bindings>\n"
	    "  <binding bindingInformation = '*:443:a.example' protocol = 'https'/>\n"
	    "  <binding protocol=\"https\" bindingInformation=\"*:443:b.example\""
	    " sslFlags = \"0\" />\n"
	    "</bindings></site></sites></system.applicationHost></configuration>\n";
	const char *want =
	    "<configuration><system.applicationHost><sites>\n"
	    "<site name='S' id='7'><bindings>\n"
	    "  <binding bindingInformation = '*:443:a.example' protocol = 'https'"
	    " sslFlags='3'/>\n"
	    "  <binding protocol=\"https\" bindingInformation=\"*:443:b.example\""
	    " sslFlags = \"67\" />\n"
	    "</bindings></site></sites></system.applicationHost></configuration>\n";
	struct cf_iis_flag_change ch[] = { { 0, 0, 3 }, { 0, 1, 67 } };
	struct cf_err err;
	char *out = NULL;
	size_t olen;

	(void)state;
	assert_int_equal(cf_iis_edit_set_ssl_flags(x, strlen(x), ch, 2, &out,
			 &olen, &err), CF_OK);
	assert_int_equal(olen, strlen(want));
	assert_string_equal(out, want);
	free(out);
}

static void
test_plan_migrate(void **state)
{
	size_t len;
	char *orig = farm(&len);
	struct cf_iis_config *c = parse(orig, len);
	const struct cf_iis_site *s[2];
	const char *hosts[] = { "delta-shop.example.com",
	    "www.delta-shop.example.com", "api.example.com", "new.example.com" };
	const char *v6[] = { "ipv6.example.net" };
	struct cf_iis_plan *p = NULL;
	struct cf_err err;

	(void)state;
	s[0] = cf_iis_site_find(c, "795425564");
	s[1] = cf_iis_site_find(c, "Hardened API");
	/* without the flag: reported, nothing to migrate */
	assert_int_equal(cf_iis_plan_sites(c, s, 2, hosts, 4, 443, 0, &p, &err),
			 CF_OK);
	assert_int_equal(p->nhttpsys, 3);
	assert_int_equal(p->nmigrate, 0);
	cf_iis_plan_free(p);

	assert_int_equal(cf_iis_plan_sites(c, s, 2, hosts, 4, 443,
			 CF_IIS_PLAN_F_MIGRATE, &p, &err), CF_OK);
	assert_int_equal(p->nmigrate, 3);
	assert_int_equal(p->nadd, 1);
	assert_int_equal(p->items[0].action, CF_IIS_PLAN_MIGRATE);
	assert_int_equal(p->items[0].old_ssl_flags, 1);
	assert_int_equal(p->items[0].ssl_flags, 3);
	assert_string_equal(p->items[0].site_name, "Tenant 04 - delta");
	/* each host in the site that owns it; the IIS 10 switches kept */
	assert_string_equal(p->items[2].site_name, "Hardened API");
	assert_int_equal(p->items[2].old_ssl_flags, 65);
	assert_int_equal(p->items[2].ssl_flags, 67);
	/* a host no site has goes to the first site */
	assert_int_equal(p->items[3].action, CF_IIS_PLAN_ADD);
	assert_string_equal(p->items[3].site_name, "Tenant 04 - delta");
	assert_true(p->ccs_record_known);
	assert_non_null(strstr(p->site_name, "Hardened API"));
	cf_iis_plan_free(p);

	/* a non-SNI binding without host is not changed: advice instead */
	s[0] = cf_iis_site_find(c, "IPv6 Portal");
	assert_int_equal(cf_iis_plan_sites(c, s, 1, v6, 1, 443,
			 CF_IIS_PLAN_F_MIGRATE, &p, &err), CF_OK);
	assert_int_equal(p->nmigrate, 1);
	assert_int_equal(p->nnotes, 1);
	assert_non_null(strstr(p->notes[0], "[2001:db8:10::25]:443:"));
	assert_non_null(strstr(p->notes[0], "not changed"));
	cf_iis_plan_free(p);
	cf_iis_config_free(c);
	free(orig);
}

static void
test_sites_select(void **state)
{
	size_t len, n = 0, web = 0;
	char *orig = farm(&len);
	struct cf_iis_config *c = parse(orig, len);
	const struct cf_iis_site **v = NULL;
	const char *all[] = { "*", "Blog" };
	const char *two[] = { "13", "blog", "Staging" };
	const char *bad[] = { "Blog", "nope" };
	struct cf_err err;

	(void)state;
	for (size_t k = 0; k < c->nsites; k++)
		for (size_t j = 0; j < c->sites[k].nbindings; j++)
			if (strcmp(c->sites[k].bindings[j].protocol, "http") == 0 ||
			    strcmp(c->sites[k].bindings[j].protocol, "https") == 0) {
				web++;
				break;
			}
	assert_int_equal(cf_iis_sites_select(c, all, 2, &v, &n, &err), CF_OK);
	assert_int_equal(n, web);
	assert_true(n >= 38);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(v[i]->name, "Farm FTP");
	free(v);
	/* an id and a name for the same site count once */
	assert_int_equal(cf_iis_sites_select(c, two, 3, &v, &n, &err), CF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->name, "Blog");
	assert_string_equal(v[1]->name, "Staging");
	free(v);
	assert_int_equal(cf_iis_sites_select(c, bad, 2, &v, &n, &err),
			 CF_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "nope"));
	cf_iis_config_free(c);
	free(orig);
}

static void
test_apply_migrate(void **state)
{
	const char *dir = scratch_dir();
	char path[512], *orig, *now = NULL, *bak = NULL;
	size_t len, nlen;
	const char *sites[] = { "Tenant 04 - delta" };
	const char *hosts[] = { "delta-shop.example.com",
	    "www.delta-shop.example.com" };
	struct cf_iis_apply_opts o = { .sites = sites, .nsites = 1,
	    .hosts = hosts, .nhosts = 2, .https_port = 443,
	    .flags = CF_IIS_PLAN_F_MIGRATE };
	struct cf_iis_plan *p = NULL;
	struct cf_err err;

	(void)state;
	orig = farm(&len);
	snprintf(path, sizeof(path), "%s/applicationHost.config", dir);
	assert_int_equal(cf_file_write_atomic(path, orig, len, 0640, NULL), CF_OK);
	if (cf_iis_apply_ex(path, &o, &p, &bak, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(p->nmigrate, 2);
	assert_non_null(bak);
	assert_int_equal(cf_file_read(path, 1 << 24, &now, &nlen, NULL), CF_OK);
	only_flag_bytes(orig, len, now, nlen, '1', '3', 2);
	free(now);
	free(bak);
	bak = NULL;
	cf_iis_plan_free(p);
	/* again: the bindings are CCS now, nothing to do, nothing written */
	assert_int_equal(cf_iis_apply_ex(path, &o, &p, &bak, &err), CF_OK);
	assert_int_equal(p->nmigrate, 0);
	assert_int_equal(p->items[0].action, CF_IIS_PLAN_COVERED);
	assert_null(bak);
	cf_iis_plan_free(p);
	scratch_remove(dir);
	free(orig);
}

static void
test_netsh_script(void **state)
{
	size_t len, n = 0;
	char *orig = farm(&len), *text = NULL, **hp = NULL;
	struct cf_iis_config *c = parse(orig, len);
	const struct cf_iis_site *s = cf_iis_site_find(c, "Tenant 04 - delta");
	const char *hosts[] = { "delta-shop.example.com",
	    "www.delta-shop.example.com" };
	struct cf_iis_plan *p = NULL;
	struct cf_err err;

	(void)state;
	assert_int_equal(cf_iis_plan_sites(c, &s, 1, hosts, 2, 443,
			 CF_IIS_PLAN_F_MIGRATE, &p, &err), CF_OK);
	assert_int_equal(cf_iis_netsh_script(p, "delta", "/mnt/iis/aH.config",
			 &text, &err), CF_OK);
	assert_non_null(text);
	assert_non_null(strstr(text, "@echo off\r\n"));
	assert_non_null(strstr(text, "\r\nnetsh http delete sslcert "
			"hostnameport=delta-shop.example.com:443\r\n"));
	assert_non_null(strstr(text, "\r\nnetsh http delete sslcert "
			"hostnameport=www.delta-shop.example.com:443\r\n"));
	/* the farm has CCS bindings on 443: IIS made the ccs record */
	assert_null(strstr(text, "netsh http add sslcert"));
	/* CRLF only */
	for (const char *q = text; (q = strchr(q, '\n')) != NULL; q++)
		assert_true(q > text && q[-1] == '\r');
	assert_int_equal(cf_iis_netsh_pending(text, strlen(text), &hp, &n, &err),
			 CF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(hp[0], "delta-shop.example.com:443");
	cf_iis_hosts_free(hp, n);
	free(text);
	text = NULL;

	/* no CCS binding on the port yet: the one-time ccs record */
	p->ccs_record_known = 0;
	assert_int_equal(cf_iis_netsh_script(p, "delta", "/x", &text, &err),
			 CF_OK);
	assert_non_null(strstr(text, "\r\nnetsh http show sslcert ccs=443 >nul "
			"2>&1 || netsh http add sslcert ccs=443 appid="
			"{4dc3e181-e14b-4a21-b022-59fc669b0914}\r\n"));
	free(text);
	text = NULL;
	cf_iis_plan_free(p);

	/* nothing migrated: no script */
	assert_int_equal(cf_iis_plan_sites(c, &s, 1, hosts, 2, 443, 0, &p, &err),
			 CF_OK);
	assert_int_equal(cf_iis_netsh_script(p, "delta", "/x", &text, &err),
			 CF_OK);
	assert_null(text);
	cf_iis_plan_free(p);
	cf_iis_config_free(c);
	free(orig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_flags_farm),
		cmocka_unit_test(test_set_flags_insert),
		cmocka_unit_test(test_plan_migrate),
		cmocka_unit_test(test_sites_select),
		cmocka_unit_test(test_apply_migrate),
		cmocka_unit_test(test_netsh_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
