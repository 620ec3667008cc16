/* test_iis_edit.c - planning and byte-preserving binding edits */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iis/appconfig.h"
#include "iis/edit.h"
#include "iis_test_util.h"
#include "store/atomic.h"

#define FARM "applicationHost-farm.config"

/* out must be orig with exactly `ins` inserted somewhere: returns the
 * insertion offset and checks that removing it gives orig back. */
static size_t
check_pure_insert(const char *orig, size_t len, const char *out, size_t outlen,
		  const char *ins)
{
	size_t il = strlen(ins), p = 0;

	assert_int_equal(outlen, len + il);
	while (p < len && orig[p] == out[p])
		p++;
	/* the insertion may start earlier when bytes repeat: slide back */
	while (p > 0 && memcmp(out + p - 1 + il, orig + p - 1, 1) == 0 &&
	       memcmp(out + p, ins, il) != 0)
		p--;
	if (memcmp(out + p, ins, il) != 0)
		fail_msg("inserted bytes differ: got \"%.*s\"", (int)il, out + p);
	assert_memory_equal(out, orig, p);
	assert_memory_equal(out + p + il, orig + p, len - p);
	return p;
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

/* plan + edit in memory */
static char *
plan_edit(const char *d, size_t l, const char *site, const char *const *hosts,
	  size_t n, size_t *outlen, size_t want_add)
{
	struct cf_iis_config *c = parse(d, l);
	const struct cf_iis_site *s = cf_iis_site_find(c, site);
	struct cf_iis_plan *p = NULL;
	struct cf_iis_new_binding nb[8];
	struct cf_err err;
	char *out = NULL;
	size_t i, k = 0;

	assert_non_null(s);
	if (cf_iis_plan(c, s, hosts, n, 443, &p, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(p->nadd, want_add);
	for (i = 0; i < p->n; i++) {
		if (p->items[i].action != CF_IIS_PLAN_ADD)
			continue;
		nb[k].protocol = "https";
		nb[k].binding_information = p->items[i].binding_information;
		nb[k].ssl_flags = p->items[i].ssl_flags;
		k++;
	}
	if (k > 0 && cf_iis_edit_add_bindings(d, l, s->index, nb, k, &out,
	    outlen, &err) != CF_OK)
		fail_msg("%s", err.msg);
	cf_iis_plan_free(p);
	cf_iis_config_free(c);
	return out;
}

static void
test_farm_insert_crlf_bom(void **state)
{
	size_t len, outlen;
	char *orig = fixture_read(FARM, &len);
	const char *hosts[] = { "foxtrot-shop.example.com" };
	char *out = plan_edit(orig, len, "Tenant 06 - foxtrot", hosts, 1,
			      &outlen, 1);
	struct cf_iis_config *c;
	const struct cf_iis_site *s;

	check_pure_insert(orig, len, out, outlen, "          <binding "
			  "protocol=\"https\" bindingInformation=\"*:443:foxtrot-shop."
			  "example.com\" sslFlags=\"3\" />\r\n");
	assert_memory_equal(out, "\xef\xbb\xbf<?xml", 8);
	c = parse(out, outlen);
	assert_int_equal(c->nsites, 40);
	s = cf_iis_site_find(c, "Tenant 06 - foxtrot");
	assert_int_equal(s->nbindings, 2);
	assert_string_equal(s->bindings[1].binding_information,
			    "*:443:foxtrot-shop.example.com");
	assert_int_equal(s->bindings[1].ssl_flags, 3);
	cf_iis_config_free(c);

	/* a second plan on the edited file adds nothing */
	{
		size_t l2 = 0;
		char *again = plan_edit(out, outlen, "Tenant 06 - foxtrot",
					hosts, 1, &l2, 0);
		assert_null(again);
	}
	free(out);
	free(orig);
}

static void
test_farm_odd_sites(void **state)
{
	size_t len, outlen;
	char *orig = fixture_read(FARM, &len);
	const char *blog[] = { "new.example.com" };
	const char *docs[] = { "extra.example.com", "docs.example.com" };
	const char *mk[] = { "shop.example.com", "www.example.com",
	    "Example.COM" };
	char *out;

	/* explicit end tag and trailing spaces before */
	out = plan_edit(orig, len, "blog", blog, 1, &outlen, 1);
	check_pure_insert(orig, len, out, outlen, "          <binding "
			  "protocol=\"https\" bindingInformation=\"*:443:new.example.com\" "
			  "sslFlags=\"3\" />\r\n");
	free(out);

	/* tabs and split attributes; docs.example.com already CCS */
	out = plan_edit(orig, len, "CCS Docs", docs, 2, &outlen, 1);
	check_pure_insert(orig, len, out, outlen, "\t  <binding "
			  "protocol=\"https\" bindingInformation=\"*:443:extra.example.com\" "
			  "sslFlags=\"3\" />\r\n");
	free(out);

	/* after a commented-out binding; two names already covered */
	out = plan_edit(orig, len, "CCS Marketing", mk, 3, &outlen, 1);
	check_pure_insert(orig, len, out, outlen, "          <binding "
			  "protocol=\"https\" bindingInformation=\"*:443:shop.example.com\" "
			  "sslFlags=\"3\" />\r\n");
	free(out);
	free(orig);
}

static void
test_plan_decisions(void **state)
{
	size_t len;
	char *orig = fixture_read(FARM, &len);
	struct cf_iis_config *c = parse(orig, len);
	struct cf_iis_plan *p = NULL;
	struct cf_err err;
	const char *delta[] = { "delta-shop.example.com",
	    "www.delta-shop.example.com" };
	const char *idn[] = { "xn--bcher-kva.example.de" };
	const char *conflict[] = { "echo.example.net" };
	const char *def[] = { "new.example.com" };

	/* https without CCS: HTTP.sys holds the cert, report only */
	assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c, "Tenant 04 - delta"),
			 delta, 2, 443, &p, &err), CF_OK);
	assert_int_equal(p->nadd, 0);
	assert_int_equal(p->items[0].action, CF_IIS_PLAN_HTTPSYS);
	assert_int_equal(p->items[1].action, CF_IIS_PLAN_HTTPSYS);
	assert_int_equal(p->items[1].ssl_flags, 1);
	cf_iis_plan_free(p);

	/* IDN covered by the U-label CCS binding */
	assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c, "Buecher Shop"),
			 idn, 1, 443, &p, &err), CF_OK);
	assert_int_equal(p->items[0].action, CF_IIS_PLAN_COVERED);
	assert_string_equal(p->items[0].site_name, "Buecher Shop");
	cf_iis_plan_free(p);

	/* same IP:port:host in another site: refused, naming it */
	assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c, "Tenant 06 - foxtrot"),
			 conflict, 1, 443, &p, &err), CF_ERR_USAGE);
	assert_null(p);
	assert_non_null(strstr(err.msg, "Tenant 05 - echo"));

	/* default binding without host: a note */
	assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c, "Default Web Site"),
			 def, 1, 443, &p, &err), CF_OK);
	assert_int_equal(p->nadd, 1);
	assert_int_equal(p->nnotes, 1);
	assert_non_null(strstr(p->notes[0], "*:443:"));
	cf_iis_plan_free(p);

	/* no hosts at all */
	assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c, "Default Web Site"),
			 NULL, 0, 443, &p, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "host name"));

	/* port 8443: the admin binding is HTTP.sys's */
	{
		const char *adm[] = { "admin.example.com" };
		assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c,
				 "Admin Console"), adm, 1, 8443, &p, &err), CF_OK);
		assert_int_equal(p->items[0].action, CF_IIS_PLAN_HTTPSYS);
		cf_iis_plan_free(p);
	}
	cf_iis_config_free(c);
	free(orig);
}

static void
test_synthetic_shapes(void **state)
{
	static const char ip_lf[] =
	    "<configuration>\n  <system.applicationHost>\n    <sites>\n"
	    "      <site name=\"w\" id=\"1\">\n        <bindings>\n"
	    "          <binding protocol=\"https\" "
	    "bindingInformation=\"*:443:*.w.example\" sslFlags=\"3\" />\n"
	    "        </bindings>\n      </site>\n"
	    "      <site name=\"a\" id=\"2\">\n"
	    "        <!-- <bindings> in a comment --><![CDATA[ <bindings> ]]>\n"
	    "        <bindings>\n"
	    "          <binding protocol=\"http\" "
	    "bindingInformation=\"192.0.2.5:80:a.example\" />\n"
	    "          <binding protocol=\"http\" "
	    "bindingInformation=\"[2001:db8::5]:80:b.example\" />\n"
	    "        </bindings>\n      </site>\n"
	    "      <site name=\"empty\" id=\"3\">\n        <bindings />\n      </site>\n"
	    "      <site name=\"none\" id=\"4\">\n"
	    "        <application path=\"/\" />\n      </site>\n"
	    "      <site name=\"inline\" id=\"5\"><bindings><binding "
	    "protocol=\"http\" bindingInformation=\"*:80:i.example\"/>"
	    "</bindings></site>\n"
	    "    </sites>\n  </system.applicationHost>\n</configuration>\n";
	size_t len = sizeof(ip_lf) - 1, outlen;
	const char *w[] = { "x.w.example", "a.b.w.example" };
	const char *a[] = { "a.example", "B.example" };
	const char *e[] = { "e.example" };
	const char *i[] = { "i.example" };
	char *out;
	struct cf_iis_config *c;

	out = plan_edit(ip_lf, len, "w", w, 2, &outlen, 1);
	check_pure_insert(ip_lf, len, out, outlen, "          <binding "
			  "protocol=\"https\" bindingInformation=\"*:443:a.b.w.example\" "
			  "sslFlags=\"3\" />\n");
	free(out);

	out = plan_edit(ip_lf, len, "a", a, 2, &outlen, 2);
	check_pure_insert(ip_lf, len, out, outlen,
			  "          <binding protocol=\"https\" bindingInformation="
			  "\"192.0.2.5:443:a.example\" sslFlags=\"3\" />\n"
			  "          <binding protocol=\"https\" bindingInformation="
			  "\"[2001:db8::5]:443:b.example\" sslFlags=\"3\" />\n");
	free(out);

	/* <bindings /> is opened up */
	out = plan_edit(ip_lf, len, "empty", e, 1, &outlen, 1);
	assert_non_null(strstr(out, "      <site name=\"empty\" id=\"3\">\n"
			"        <bindings>\n          <binding protocol=\"https\" "
			"bindingInformation=\"*:443:e.example\" sslFlags=\"3\" />\n"
			"        </bindings>\n      </site>\n"));
	c = parse(out, outlen);
	assert_int_equal(cf_iis_site_find(c, "empty")->nbindings, 1);
	cf_iis_config_free(c);
	free(out);

	/* no <bindings>: one is added */
	out = plan_edit(ip_lf, len, "none", e, 1, &outlen, 1);
	check_pure_insert(ip_lf, len, out, outlen, "        <bindings>\n"
			  "          <binding protocol=\"https\" bindingInformation="
			  "\"*:443:e.example\" sslFlags=\"3\" />\n        </bindings>\n");
	free(out);

	/* everything on one line */
	out = plan_edit(ip_lf, len, "inline", i, 1, &outlen, 1);
	check_pure_insert(ip_lf, len, out, outlen, "<binding protocol="
			  "\"https\" bindingInformation=\"*:443:i.example\" sslFlags=\"3\" />");
	free(out);
}

static void
test_edit_refuses(void **state)
{
	static const char utf16[] = "\xff\xfe<\0c\0";
	struct cf_iis_new_binding nb = { "https", "*:443:x", 3 };
	char *out = NULL;
	size_t ol;
	struct cf_err err;
	size_t len;
	char *orig = fixture_read(FARM, &len);

	assert_int_equal(cf_iis_edit_add_bindings(utf16, sizeof(utf16) - 1, 0,
			 &nb, 1, &out, &ol, &err), CF_ERR_USAGE);
	assert_int_equal(cf_iis_edit_add_bindings(orig, len, 40, &nb, 1, &out,
			 &ol, &err), CF_ERR_USAGE);
	assert_null(out);
	free(orig);
}

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_apply(void **state)
{
	const char *dir = scratch_dir();
	char path[512], *orig, *now = NULL, *bakdata = NULL, *bak = NULL;
	size_t len, nlen, blen;
	const char *hosts[] = { "foxtrot-shop.example.com" };
	struct cf_iis_plan *p = NULL;
	struct cf_err err;
	struct stat st;

	orig = fixture_read(FARM, &len);
	snprintf(path, sizeof(path), "%s/applicationHost.config", dir);
	assert_int_equal(cf_file_write_atomic(path, orig, len, 0640, NULL), CF_OK);

	/* dry run: plan only, nothing written */
	assert_int_equal(cf_iis_apply(path, NULL, "1015", hosts, 1, 443, 1, &p, &bak,
			 &err), CF_OK);
	assert_int_equal(p->nadd, 1);
	assert_null(bak);
	cf_iis_plan_free(p);
	assert_int_equal(count_files(dir), 1);
	assert_int_equal(cf_file_read(path, 1 << 24, &now, &nlen, NULL), CF_OK);
	assert_int_equal(nlen, len);
	assert_memory_equal(now, orig, len);
	free(now);

	/* for real: backup, new file, mode kept */
	if (cf_iis_apply(path, NULL, "tenant 06 - FOXTROT", hosts, 1, 443, 0, &p,
	    &bak, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_non_null(bak);
	assert_non_null(strstr(bak, "applicationHost.config.certferry-"));
	assert_int_equal(strlen(strstr(bak, "certferry-")),
			 strlen("certferry-YYYYMMDDTHHMMSS.bak"));
	assert_int_equal(cf_file_read(bak, 1 << 24, &bakdata, &blen, NULL), CF_OK);
	assert_int_equal(blen, len);
	assert_memory_equal(bakdata, orig, len);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(count_files(dir), 2);
	cf_iis_plan_free(p);
	free(bak);
	free(bakdata);

	/* again: nothing to do, nothing written */
	assert_int_equal(cf_iis_apply(path, NULL, "Tenant 06 - foxtrot", hosts, 1,
			 443, 0, &p, &bak, &err), CF_OK);
	assert_int_equal(p->nadd, 0);
	assert_int_equal(p->items[0].action, CF_IIS_PLAN_COVERED);
	assert_null(bak);
	assert_int_equal(count_files(dir), 2);
	cf_iis_plan_free(p);

	/* unknown site, conflicting host */
	assert_int_equal(cf_iis_apply(path, NULL, "nope", hosts, 1, 443, 0, &p, &bak,
			 &err), CF_ERR_NOTFOUND);
	{
		const char *echo[] = { "echo.example.net" };
		assert_int_equal(cf_iis_apply(path, NULL, "Tenant 06 - foxtrot", echo,
				 1, 443, 0, &p, &bak, &err), CF_ERR_USAGE);
		assert_int_equal(count_files(dir), 2);
	}
	free(orig);
	scratch_remove(dir);
}

/* Remove the backups cf_iis_apply left in dir (only .bak files). */
static void
remove_backups(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".bak") == 0) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
}

struct apply_job {
	const char *path, *lock, *host;
	cf_rc rc;
	struct cf_err err;
};

static void *
apply_thread(void *arg)
{
	struct apply_job *j = arg;
	const char *hosts[1] = { j->host };

	j->rc = cf_iis_apply(j->path, j->lock, "1015", hosts, 1, 443, 0, NULL,
			     NULL, &j->err);
	return NULL;
}

/* Two threads add different hosts to one file, 50 times: with the lock,
 * every binding is there every time (without it, one is lost in most
 * rounds: each thread reads the file before the other wrote it). */
static void
test_apply_lock_threads(void **state)
{
	const char *dir = scratch_dir();
	char path[512], lock[512], hosts[2][64];
	struct cf_iis_config *c = NULL;
	struct apply_job j[2];
	pthread_t t[2];
	char *orig;
	size_t len;

	orig = fixture_read(FARM, &len);
	snprintf(path, sizeof(path), "%s/applicationHost.config", dir);
	snprintf(lock, sizeof(lock), "%s/iis.lock", dir);
	assert_int_equal(cf_file_write_atomic(path, orig, len, 0644, NULL),
			 CF_OK);
	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < 2; k++) {
			snprintf(hosts[k], sizeof(hosts[k]),
				 "r%d-t%d.locktest.example", round, k);
			memset(&j[k], 0, sizeof(j[k]));
			j[k].path = path;
			j[k].lock = lock;
			j[k].host = hosts[k];
		}
		for (int k = 0; k < 2; k++)
			assert_int_equal(pthread_create(&t[k], NULL,
					 apply_thread, &j[k]), 0);
		for (int k = 0; k < 2; k++) {
			pthread_join(t[k], NULL);
			if (j[k].rc != CF_OK)
				fail_msg("round %d: %s", round, j[k].err.msg);
		}
		assert_int_equal(cf_iis_config_load(path, NULL, 0, &c, NULL),
				 CF_OK);
		for (int k = 0; k < 2; k++) {
			const struct cf_iis_site *s = cf_iis_site_find(c, "1015");
			char want[256];
			int found = 0;
			snprintf(want, sizeof(want), "*:443:%s", hosts[k]);
			for (size_t b = 0; b < s->nbindings; b++)
				found |= strcmp(s->bindings[b].binding_information,
						want) == 0;
			if (!found)
				fail_msg("round %d: binding %s lost", round, want);
		}
		cf_iis_config_free(c);
		c = NULL;
		remove_backups(dir);
	}
	free(orig);
	scratch_remove(dir);
}

/* cf_iis_plan_verify: a planned binding missing from the file is named. */
static void
test_plan_verify(void **state)
{
	const char *hosts[] = { "foxtrot-shop.example.com" };
	struct cf_iis_config *c = NULL, *after = NULL;
	struct cf_iis_plan *p = NULL;
	struct cf_iis_new_binding nb;
	struct cf_err err;
	char *orig, *out = NULL;
	size_t len, outlen;

	orig = fixture_read(FARM, &len);
	assert_int_equal(cf_iis_config_parse(orig, len, NULL, 0, &c, NULL),
			 CF_OK);
	assert_int_equal(cf_iis_plan(c, cf_iis_site_find(c, "1015"), hosts, 1,
			 443, &p, NULL), CF_OK);
	assert_int_equal(p->nadd, 1);
	/* not added yet: named as missing */
	assert_int_equal(cf_iis_plan_verify(c, p, &err), CF_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, p->items[0].binding_information));
	nb.protocol = "https";
	nb.binding_information = p->items[0].binding_information;
	nb.ssl_flags = p->items[0].ssl_flags;
	assert_int_equal(cf_iis_edit_add_bindings(orig, len, p->site_index,
			 &nb, 1, &out, &outlen, NULL), CF_OK);
	assert_int_equal(cf_iis_config_parse(out, outlen, NULL, 0, &after,
			 NULL), CF_OK);
	assert_int_equal(cf_iis_plan_verify(after, p, &err), CF_OK);
	cf_iis_config_free(after);
	free(out);
	/* added without the CCS flag: not what was planned */
	nb.ssl_flags = CF_IIS_SSL_SNI;
	assert_int_equal(cf_iis_edit_add_bindings(orig, len, p->site_index,
			 &nb, 1, &out, &outlen, NULL), CF_OK);
	assert_int_equal(cf_iis_config_parse(out, outlen, NULL, 0, &after,
			 NULL), CF_OK);
	assert_int_equal(cf_iis_plan_verify(after, p, &err), CF_ERR_NOTFOUND);
	cf_iis_config_free(after);
	free(out);
	cf_iis_plan_free(p);
	cf_iis_config_free(c);
	free(orig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_farm_insert_crlf_bom),
		cmocka_unit_test(test_farm_odd_sites),
		cmocka_unit_test(test_plan_decisions),
		cmocka_unit_test(test_synthetic_shapes),
		cmocka_unit_test(test_edit_refuses),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_lock_threads),
		cmocka_unit_test(test_plan_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
