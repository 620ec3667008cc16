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
#include "store/atomic.h"
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

static const char *const pem_names[] = { "privkey.pem", "cert.pem",
    "chain.pem", "fullchain.pem" };

/* Write path (dir/name) as a regular file. */
static void
put(const char *dir, const char *name, const char *data, mode_t mode)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
	assert_int_equal(cf_file_write_atomic(p, data, strlen(data), mode,
			 NULL), CF_OK);
}

/* The text of the link dir/name ("" when it is not a link). */
static const char *
link_of(const char *dir, const char *name)
{
	static char buf[512];
	char p[1024];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	n = readlink(p, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void
bundle_of(struct cf_cert_bundle *b, const struct test_bundle *tb)
{
	memset(b, 0, sizeof(*b));
	b->key = tb->key;
	b->leaf_pem = tb->leaf_pem;
	b->chain_pem = tb->chain_pem;
	b->names = names;
	b->nnames = 1;
}

static enum cf_store_health
pem_health(const char *dir, const char *leaf, struct cf_store_status *st)
{
	struct cf_err err;

	if (cf_store_pem_check(dir, leaf, st, &err) != CF_OK)
		fail_msg("pem check: %s", err.msg);
	return st->health;
}

/* The old layout: four regular files of tb in dir. */
static void
old_layout(const char *dir, const struct test_bundle *tb)
{
	put(dir, "privkey.pem", tb->key_pem, 0600);
	put(dir, "cert.pem", tb->leaf_pem, 0644);
	put(dir, "chain.pem", tb->chain_pem, 0644);
	put(dir, "fullchain.pem", tb->fullchain_pem, 0644);
}

static void
test_pem(void **state)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
	    "chain.pem", "fullchain.pem", ".certferry" };
	static const char *const gens12[] = { "current", "gen-1", "gen-2" };
	static const char *const gens23[] = { "current", "gen-2", "gen-3" };
	const char *tmp = scratch_dir();
	char dir[512], meta[600], target[64], *d;
	struct test_bundle tb, tb2;
	struct cf_cert_bundle b;
	struct cf_store_status st;
	struct cf_err err;
	struct stat sb;

	test_bundle_make(&tb, names, 1, 90);
	test_bundle_make(&tb2, names, 1, 90);
	bundle_of(&b, &tb);
	snprintf(dir, sizeof(dir), "%s/live/www", tmp);
	snprintf(meta, sizeof(meta), "%s/.certferry", dir);
	if (cf_store_pem_write(dir, &b, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(meta, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(mode_of(dir, "privkey.pem"), 0600);
	assert_int_equal(mode_of(dir, "cert.pem"), 0644);
	for (size_t i = 0; i < 4; i++) {
		snprintf(target, sizeof(target), ".certferry/current/%s",
			 pem_names[i]);
		assert_string_equal(link_of(dir, pem_names[i]), target);
	}
	assert_string_equal(link_of(meta, "current"), "gen-1");
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
	only_files(dir, files, 5);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_HEALTHY);

	/* a new certificate, from key_pem: gen-2, gen-1 kept as previous */
	bundle_of(&b, &tb2);
	b.key = NULL;
	b.key_pem = tb2.key_pem;
	if (cf_store_pem_write(dir, &b, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(link_of(meta, "current"), "gen-2");
	only_files(meta, gens12, 3);
	assert_int_equal(pem_health(dir, tb2.leaf_pem, &st), CF_STORE_HEALTHY);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_STALE);
	assert_non_null(strstr(st.detail, "cert.pem holds serial"));
	/* a third: gen-1 pruned */
	if (cf_store_pem_write(dir, &b, &err) != CF_OK)
		fail_msg("%s", err.msg);
	only_files(meta, gens23, 3);
	only_files(dir, files, 5);
	test_bundle_free(&tb);
	test_bundle_free(&tb2);
	scratch_remove(tmp);
}

/* From four regular files to the links, in a folder of mode 0750: the
 * old pair becomes a generation, the new one is current. */
static void
test_pem_migrate(void **state)
{
	const char *tmp = scratch_dir();
	char dir[512], meta[600], gen1[700], *d;
	struct test_bundle tb, tb2;
	struct cf_cert_bundle b;
	struct cf_store_status st;
	struct cf_err err;
	struct stat sb;

	test_bundle_make(&tb, names, 1, 90);
	test_bundle_make(&tb2, names, 1, 90);
	snprintf(dir, sizeof(dir), "%s/tls", tmp);
	snprintf(meta, sizeof(meta), "%s/.certferry", dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	assert_int_equal(chmod(dir, 0750), 0);
	old_layout(dir, &tb);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_HEALTHY);
	bundle_of(&b, &tb2);
	if (cf_store_pem_write(dir, &b, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(link_of(dir, "cert.pem"),
			    ".certferry/current/cert.pem");
	assert_string_equal(link_of(meta, "current"), "gen-2");
	assert_int_equal(stat(meta, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	snprintf(gen1, sizeof(gen1), "%s/gen-1", meta);
	d = slurp(gen1, "cert.pem", NULL);
	assert_string_equal(d, tb.leaf_pem); /* the old pair, kept */
	free(d);
	assert_int_equal(mode_of(gen1, "privkey.pem"), 0600);
	assert_int_equal(pem_health(dir, tb2.leaf_pem, &st), CF_STORE_HEALTHY);
	test_bundle_free(&tb);
	test_bundle_free(&tb2);
	scratch_remove(tmp);
}

/*
 * A crash at each step leaves the public names showing one matching
 * pair: the steps are replayed by hand up to the crash, and the next
 * delivery finishes the job.
 */
static void
test_pem_crash(void **state)
{
	const char *tmp = scratch_dir();
	char dir[512], meta[600], gen[700], p[800], t[64];
	struct test_bundle tb, tb2, other;
	struct cf_cert_bundle b;
	struct cf_store_status st;
	struct cf_err err;

	test_bundle_make(&tb, names, 1, 90);
	test_bundle_make(&tb2, names, 1, 90);
	test_bundle_make(&other, names, 1, 90);
	snprintf(dir, sizeof(dir), "%s/tls", tmp);
	snprintf(meta, sizeof(meta), "%s/.certferry", dir);

	/* migration cut after k of the four names became links */
	for (size_t k = 0; k <= 4; k++) {
		scratch_remove(tmp);
		assert_int_equal(mkdir(tmp, 0700), 0);
		assert_int_equal(mkdir(dir, 0700), 0);
		old_layout(dir, &tb);
		assert_int_equal(mkdir(meta, 0700), 0);
		snprintf(gen, sizeof(gen), "%s/gen-1", meta);
		assert_int_equal(mkdir(gen, 0700), 0);
		old_layout(gen, &tb);
		snprintf(p, sizeof(p), "%s/current", meta);
		assert_int_equal(symlink("gen-1", p), 0);
		for (size_t i = 0; i < k; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, pem_names[i]);
			snprintf(t, sizeof(t), ".certferry/current/%s",
				 pem_names[i]);
			assert_int_equal(unlink(p), 0);
			assert_int_equal(symlink(t, p), 0);
		}
		/* and a half-written next generation of another key */
		snprintf(gen, sizeof(gen), "%s/gen-2", meta);
		assert_int_equal(mkdir(gen, 0700), 0);
		put(gen, "privkey.pem", other.key_pem, 0600);
		if (pem_health(dir, tb.leaf_pem, &st) != CF_STORE_HEALTHY)
			fail_msg("cut after %zu links: %s", k, st.detail);
		bundle_of(&b, &tb2);
		if (cf_store_pem_write(dir, &b, &err) != CF_OK)
			fail_msg("%s", err.msg);
		if (pem_health(dir, tb2.leaf_pem, &st) != CF_STORE_HEALTHY)
			fail_msg("after %zu links, then a delivery: %s", k,
				 st.detail);
		snprintf(gen, sizeof(gen), "%s/gen-2", meta);
		assert_int_not_equal(access(gen, F_OK), 0); /* pruned */
	}

	/* a delivery cut after its generation was written, before the swap:
	 * the names still show the previous pair */
	bundle_of(&b, &other);
	snprintf(gen, sizeof(gen), "%s/gen-9", meta);
	assert_int_equal(mkdir(gen, 0700), 0);
	old_layout(gen, &other);
	assert_int_equal(pem_health(dir, tb2.leaf_pem, &st), CF_STORE_HEALTHY);
	test_bundle_free(&tb);
	test_bundle_free(&tb2);
	test_bundle_free(&other);
	scratch_remove(tmp);
}

static void
test_pem_check(void **state)
{
	const char *tmp = scratch_dir();
	char dir[512], p[700];
	struct test_bundle tb, other;
	struct cf_store_status st;
	struct cf_err err;

	test_bundle_make(&tb, names, 1, 90);
	test_bundle_make(&other, names, 1, 90);
	snprintf(dir, sizeof(dir), "%s/tls", tmp);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_MISSING);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_MISSING);
	old_layout(dir, &tb);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_HEALTHY);
	/* another consistent pair */
	assert_int_equal(pem_health(dir, other.leaf_pem, &st), CF_STORE_STALE);
	/* the key of another certificate */
	put(dir, "privkey.pem", other.key_pem, 0600);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_BROKEN);
	assert_string_equal(st.detail, "privkey.pem does not match cert.pem");
	/* half-written: a file missing, a file empty */
	old_layout(dir, &tb);
	snprintf(p, sizeof(p), "%s/chain.pem", dir);
	unlink(p);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_BROKEN);
	assert_non_null(strstr(st.detail, "chain.pem is missing"));
	put(dir, "chain.pem", tb.chain_pem, 0644);
	put(dir, "cert.pem", "", 0644);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_BROKEN);
	assert_non_null(strstr(st.detail, "cert.pem"));
	/* fullchain of another certificate */
	old_layout(dir, &tb);
	put(dir, "fullchain.pem", other.fullchain_pem, 0644);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_BROKEN);
	assert_non_null(strstr(st.detail, "fullchain.pem"));
	/* no intermediates: empty chain.pem is fine */
	old_layout(dir, &tb);
	put(dir, "chain.pem", "", 0644);
	put(dir, "fullchain.pem", tb.leaf_pem, 0644);
	assert_int_equal(pem_health(dir, tb.leaf_pem, &st), CF_STORE_HEALTHY);
	/* not a certificate to compare with: an error, not a status */
	assert_int_equal(cf_store_pem_check(dir, "nope", &st, &err),
			 CF_ERR_USAGE);
	test_bundle_free(&tb);
	test_bundle_free(&other);
	scratch_remove(tmp);
}

static void
test_pfx_ccs_check(void **state)
{
	const char *tmp = scratch_dir();
	char file[512], dir[512], p[700];
	struct test_bundle tb, other;
	struct cf_cert_bundle b;
	struct cf_store_status st;
	struct cf_err err;

	test_bundle_make(&tb, names, 3, 90);
	test_bundle_make(&other, names, 3, 90);
	bundle_of(&b, &tb);
	b.nnames = 3;
	snprintf(file, sizeof(file), "%s/site.pfx", tmp);
	assert_int_equal(cf_store_pfx_check(file, tb.leaf_pem, "pw", &st, &err),
			 CF_OK);
	assert_int_equal(st.health, CF_STORE_MISSING);
	assert_int_equal(cf_store_pfx_write(file, &b, "pw", CF_PFX_LEGACY,
			 &err), CF_OK);
	assert_int_equal(cf_store_pfx_check(file, tb.leaf_pem, "pw", &st, &err),
			 CF_OK);
	assert_int_equal(st.health, CF_STORE_HEALTHY);
	assert_int_equal(cf_store_pfx_check(file, tb.leaf_pem, "S3cr3t-x", &st,
			 &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_BROKEN);
	assert_non_null(strstr(st.detail, "password"));
	assert_null(strstr(st.detail, "S3cr3t")); /* no secret in the detail */
	assert_int_equal(cf_store_pfx_check(file, tb.leaf_pem, NULL, &st,
			 &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_BROKEN);
	assert_int_equal(cf_store_pfx_check(file, other.leaf_pem, "pw", &st,
			 &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_STALE);
	put(tmp, "site.pfx", "garbage", 0600);
	assert_int_equal(cf_store_pfx_check(file, tb.leaf_pem, "pw", &st, &err),
			 CF_OK);
	assert_int_equal(st.health, CF_STORE_BROKEN);

	/* CCS: three files; then one tampered, one stale, one missing */
	snprintf(dir, sizeof(dir), "%s/ccs", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(cf_store_ccs_write(dir, &b, "pw", CF_PFX_AES256, &err),
			 CF_OK);
	assert_int_equal(cf_store_ccs_check(dir, names, 3, tb.leaf_pem, "pw",
			 &st, &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_HEALTHY);
	{
		struct cf_cert_bundle ob;
		bundle_of(&ob, &other);
		assert_int_equal(cf_store_ccs_write(dir, &ob, "pw",
				 CF_PFX_LEGACY, &err), CF_OK); /* www.example.com.pfx */
	}
	assert_int_equal(cf_store_ccs_check(dir, names, 3, tb.leaf_pem, "pw",
			 &st, &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_STALE);
	assert_non_null(strstr(st.detail, "www.example.com.pfx"));
	put(dir, "_.example.com.pfx", "tampered", 0600);
	assert_int_equal(cf_store_ccs_check(dir, names, 3, tb.leaf_pem, "pw",
			 &st, &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_BROKEN);
	assert_non_null(strstr(st.detail, "_.example.com.pfx"));
	assert_non_null(strstr(st.detail, "and 1 other file"));
	snprintf(p, sizeof(p), "%s/_.example.com.pfx", dir);
	unlink(p);
	assert_int_equal(cf_store_ccs_check(dir, names, 3, tb.leaf_pem, "pw",
			 &st, &err), CF_OK);
	assert_int_equal(st.health, CF_STORE_MISSING);
	assert_non_null(strstr(st.detail, "_.example.com.pfx does not exist"));
	test_bundle_free(&tb);
	test_bundle_free(&other);
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
		cmocka_unit_test(test_pem_migrate),
		cmocka_unit_test(test_pem_crash),
		cmocka_unit_test(test_pem_check),
		cmocka_unit_test(test_pfx_ccs_check),
		cmocka_unit_test(test_pfx_and_ccs),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
