/* test_store.c - PEM folder, PFX file and CCS stores */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install/store.h"
#include "cert_test_util.h"
#include "iis_test_util.h"

static const char *const names[] = { "www.example.com", "*.example.com",
    "xn--bcher-kva.example" };

static mode_t
mode_of(const char *dir, const char *name)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st) != 0)
		fail_msg("%s missing", p);
	return st.st_mode & 07777;
}

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char p[1024], *d = NULL;
	size_t l = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(cf_file_read(p, 1 << 20, &d, &l, NULL), CF_OK);
	if (len)
		*len = l;
	return d;
}

/* Every entry of dir is in want[] (no temporary files left). */
static void
only_files(const char *dir, const char *const *want, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t seen = 0, i;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		int ok = 0;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(e->d_name, want[i]) == 0)
				ok = 1;
		if (!ok)
			fail_msg("unexpected file %s/%s", dir, e->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, n);
}

static void
test_pem(void **state)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
	    "chain.pem", "fullchain.pem" };
	const char *tmp = scratch_dir();
	char dir[512], *d;
	struct test_bundle tb;
	struct cf_cert_bundle b = { 0 };
	struct cf_err err;
	struct stat st;

	test_bundle_make(&tb, names, 1, 90);
	b.key = tb.key;
	b.leaf_pem = tb.leaf_pem;
	b.chain_pem = tb.chain_pem;
	b.names = names;
	b.nnames = 1;
	snprintf(dir, sizeof(dir), "%s/live/www", tmp);
	if (cf_store_pem_write(dir, &b, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(mode_of(dir, "privkey.pem"), 0600);
	assert_int_equal(mode_of(dir, "cert.pem"), 0644);
	d = slurp(dir, "privkey.pem", NULL);
	assert_string_equal(d, tb.key_pem);
	free(d);
	d = slurp(dir, "cert.pem", NULL);
	assert_string_equal(d, tb.leaf_pem);
	free(d);
	d = slurp(dir, "chain.pem", NULL);
	assert_string_equal(d, tb.chain_pem);
	free(d);
	d = slurp(dir, "fullchain.pem", NULL);
	assert_string_equal(d, tb.fullchain_pem);
	free(d);
	only_files(dir, files, 4);

	/* again, from key_pem and an explicit full chain, over the old */
	b.key = NULL;
	b.key_pem = tb.key_pem;
	b.fullchain_pem = "FULL";
	assert_int_equal(cf_store_pem_write(dir, &b, &err), CF_OK);
	d = slurp(dir, "fullchain.pem", NULL);
	assert_string_equal(d, "FULL");
	free(d);
	only_files(dir, files, 4);
	test_bundle_free(&tb);
	scratch_remove(tmp);
}

static void
test_pfx_and_ccs(void **state)
{
	static const char *const files[] = { "www.example.com.pfx",
	    "_.example.com.pfx", "b\xc3\xbc" "cher.example.pfx" };
	const char *tmp = scratch_dir();
	char dir[512], file[600], *d;
	struct test_bundle tb, other;
	struct cf_cert_bundle b = { 0 };
	struct cf_err err;
	size_t len, i, removed = 99;
	X509 *c = NULL;

	test_bundle_make(&tb, names, 3, 90);
	b.key_pem = tb.key_pem;
	b.leaf_pem = tb.leaf_pem;
	b.chain_pem = tb.chain_pem;
	b.names = names;
	b.nnames = 3;

	snprintf(file, sizeof(file), "%s/site.pfx", tmp);
	if (cf_store_pfx_write(file, &b, "pw", CF_PFX_LEGACY, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(mode_of(tmp, "site.pfx"), 0600);
	d = slurp(tmp, "site.pfx", &len);
	assert_int_equal(cf_pkcs12_parse((unsigned char *)d, len, "pw", NULL, &c,
	    NULL, NULL), CF_OK);
	assert_int_equal(X509_cmp(c, tb.leaf), 0);
	X509_free(c);
	free(d);

	snprintf(dir, sizeof(dir), "%s/ccs", tmp);
	assert_int_equal(cf_store_ccs_write(dir, &b, "pw", CF_PFX_AES256, &err),
	    CF_ERR_USAGE); /* folder missing */
	mkdir(dir, 0755);
	if (cf_store_ccs_write(dir, &b, "pw", CF_PFX_AES256, &err) != CF_OK)
		fail_msg("%s", err.msg);
	only_files(dir, files, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mode_of(dir, files[i]), 0600);
		d = slurp(dir, files[i], &len);
		assert_int_equal(cf_pkcs12_parse((unsigned char *)d, len, "pw",
		    NULL, &c, NULL, NULL), CF_OK);
		assert_int_equal(X509_cmp(c, tb.leaf), 0);
		X509_free(c);
		free(d);
	}

	/* another certificate in the www file: remove must keep it */
	test_bundle_make(&other, names, 1, 90);
	{
		struct cf_cert_bundle ob = { .key = other.key,
		    .leaf_pem = other.leaf_pem, .names = names, .nnames = 1 };
		assert_int_equal(cf_store_ccs_write(dir, &ob, "pw",
		    CF_PFX_LEGACY, &err), CF_OK);
	}
	assert_int_equal(cf_store_ccs_remove(dir, names, 3, tb.leaf_pem, "pw",
	    &removed, &err), CF_OK);
	assert_int_equal(removed, 2);
	only_files(dir, files, 1);
	/* wrong password: nothing removed, no error */
	assert_int_equal(cf_store_ccs_remove(dir, names, 1, other.leaf_pem,
	    "nope", &removed, &err), CF_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(cf_store_ccs_remove(dir, names, 1, other.leaf_pem,
	    "pw", &removed, &err), CF_OK);
	assert_int_equal(removed, 1);
	only_files(dir, NULL, 0);

	/* a key that does not match is refused, nothing written */
	b.key_pem = other.key_pem;
	assert_int_equal(cf_store_ccs_write(dir, &b, "pw", CF_PFX_LEGACY, &err),
	    CF_ERR_USAGE);
	only_files(dir, NULL, 0);
	test_bundle_free(&other);
	test_bundle_free(&tb);
	scratch_remove(tmp);
}

/* A file named on the command line that is missing or is a folder is bad
 * input (exit status 2), not a failure. */
static void
test_read_input(void **state)
{
	const char *tmp = scratch_dir();
	char p[1024], *d = NULL;
	struct cf_err err = { 0 };
	size_t l = 0;
	FILE *f;

	(void)state;
	snprintf(p, sizeof(p), "%s/missing.config", tmp);
	assert_int_equal(cf_file_read_input(p, 1024, &d, &l, &err), CF_ERR_USAGE);
	assert_null(d);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "give the path of an existing"));
	assert_int_equal(cf_file_read_input(tmp, 1024, &d, &l, &err), CF_ERR_USAGE);
	assert_null(d);
	snprintf(p, sizeof(p), "%s/there", tmp);
	assert_non_null(f = fopen(p, "w"));
	fputs("abc", f);
	fclose(f);
	assert_int_equal(cf_file_read_input(p, 1024, &d, &l, &err), CF_OK);
	assert_int_equal(l, 3);
	free(d);
	assert_int_equal(cf_file_read_input(p, 2, &d, &l, &err), CF_ERR_USAGE);
	scratch_remove(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_input),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_pfx_and_ccs),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
