/* test_store_state.c - atomic files and the state folder, in a temp folder */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/atomic.h"
#include "store/lock.h"
#include "store/state.h"

struct fixture {
	char dir[64];
	mode_t old_umask;
};

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/cf-test-state.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->old_umask = umask(022);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	umask(f->old_umask);
	free(f);
	return rc;
}

static char *
path_in(const struct fixture *f, const char *rel)
{
	static char p[8][PATH_MAX];
	static int next;
	char *out = p[next++ % 8];

	snprintf(out, PATH_MAX, "%s/%s", f->dir, rel);
	return out;
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	return sb.st_mode & 07777;
}

static char *
slurp(const char *path)
{
	struct cf_err err;
	char *data;
	size_t len;

	if (cf_file_read(path, 1 << 20, &data, &len, &err) != CF_OK)
		fail_msg("read %s: %s", path, err.msg);
	assert_int_equal(strlen(data), len);
	return data;
}

static void
assert_file(const char *path, const char *want)
{
	char *got = slurp(path);

	assert_string_equal(got, want);
	free(got);
}

/* Entries in a folder other than . and .. */
static int
count_entries(const char *dir, const char *skip)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    (skip == NULL || strcmp(de->d_name, skip) != 0))
			n++;
	closedir(d);
	return n;
}

/* ---- cf_file_write_atomic / cf_file_read ---- */

static void
test_write_modes(void **state)
{
	struct fixture *f = *state;
	static const struct {
		mode_t umask, mode;
	} cases[] = {
		{ 0077, 0644 }, { 0, 0600 }, { 0022, 0600 }, { 0277, 0640 },
		{ 0, 0644 },
	};
	struct cf_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		const char *p;

		snprintf(name, sizeof(name), "f%zu", i);
		p = path_in(f, name);
		umask(cases[i].umask);
		assert_int_equal(cf_file_write_atomic(p, "data", 4, cases[i].mode,
						      &err), CF_OK);
		umask(022);
		if (mode_of(p) != cases[i].mode)
			fail_msg("umask %03o mode %04o: got %04o", cases[i].umask,
				 cases[i].mode, mode_of(p));
		assert_file(p, "data");
	}
	/* Nothing but the targets was left behind. */
	assert_int_equal(count_entries(f->dir, NULL),
			 (int)(sizeof(cases) / sizeof(cases[0])));
}

static void
test_write_replaces(void **state)
{
	struct fixture *f = *state;
	const char *p = path_in(f, "target");
	struct cf_err err;

	assert_int_equal(cf_file_write_atomic(p, "first version", 13, 0644, &err),
			 CF_OK);
	assert_int_equal(cf_file_write_atomic(p, "2nd", 3, 0600, &err), CF_OK);
	assert_file(p, "2nd");
	assert_int_equal(mode_of(p), 0600);
	/* Empty content is a valid file. */
	assert_int_equal(cf_file_write_atomic(p, "", 0, 0644, &err), CF_OK);
	assert_file(p, "");
	assert_int_equal(count_entries(f->dir, NULL), 1);
}

/* rename(2) replaces a symlink at the target instead of following it. */
static void
test_write_over_symlink(void **state)
{
	struct fixture *f = *state;
	const char *real = path_in(f, "real"), *link = path_in(f, "link");
	struct cf_err err;
	struct stat sb;

	assert_int_equal(cf_file_write_atomic(real, "orig", 4, 0644, &err), CF_OK);
	assert_int_equal(symlink("real", link), 0);
	assert_int_equal(cf_file_write_atomic(link, "new", 3, 0600, &err), CF_OK);
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_file(link, "new");
	assert_file(real, "orig");
	assert_int_equal(mode_of(real), 0644);
	assert_int_equal(count_entries(f->dir, NULL), 2);
}

static void
test_write_missing_folder(void **state)
{
	struct fixture *f = *state;
	const char *p = path_in(f, "nowhere/file");
	struct cf_err err;

	cf_err_clear(&err);
	assert_int_equal(cf_file_write_atomic(p, "x", 1, 0600, &err), CF_ERR_IO);
	assert_int_equal(err.rc, CF_ERR_IO);
	assert_non_null(strstr(err.msg, "nowhere/file"));
	assert_int_equal(count_entries(f->dir, NULL), 0);
	/* A folder at the target: rename fails, the temp file is removed. */
	assert_int_equal(mkdir(path_in(f, "isdir"), 0700), 0);
	assert_int_equal(count_entries(path_in(f, "isdir"), NULL), 0);
	assert_int_not_equal(cf_file_write_atomic(path_in(f, "isdir"), "x", 1,
						  0600, &err), CF_OK);
	assert_int_equal(count_entries(f->dir, NULL), 1);
}

static void
test_read(void **state)
{
	struct fixture *f = *state;
	const char *p = path_in(f, "big");
	static char big[20000];
	struct cf_err err;
	char *data = (char *)1;
	size_t len = 99;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('A' + i % 23);
	assert_int_equal(cf_file_write_atomic(p, big, sizeof(big), 0600, &err),
			 CF_OK);
	/* Exactly at the cap: fine, across several internal reallocations. */
	assert_int_equal(cf_file_read(p, sizeof(big), &data, &len, &err), CF_OK);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(data, big, sizeof(big));
	assert_int_equal(data[len], '\0');
	free(data);
	/* One byte over the cap. */
	data = (char *)1;
	assert_int_equal(cf_file_read(p, sizeof(big) - 1, &data, &len, &err),
			 CF_ERR_USAGE);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err.msg, "larger than"));
	/* Missing file. */
	assert_int_equal(cf_file_read(path_in(f, "missing"), 100, &data, NULL,
				      &err), CF_ERR_NOTFOUND);
	assert_null(data);
	/* Empty file; len may be NULL. */
	assert_int_equal(cf_file_write_atomic(p, "", 0, 0600, &err), CF_OK);
	assert_int_equal(cf_file_read(p, 0, &data, NULL, &err), CF_OK);
	assert_string_equal(data, "");
	free(data);
	/* A folder is not a file. */
	assert_int_equal(cf_file_read(f->dir, 100, &data, &len, &err), CF_ERR_IO);
	assert_null(data);
}

/* ---- cf_mkdir_p ---- */

static void
test_mkdir_p(void **state)
{
	struct fixture *f = *state;
	struct cf_err err;
	struct stat sb;

	umask(0077);
	assert_int_equal(cf_mkdir_p(path_in(f, "a/b/c"), 0750, 0, &err), CF_OK);
	umask(022);
	assert_int_equal(mode_of(path_in(f, "a/b/c")), 0750);
	assert_int_equal(stat(path_in(f, "a/b"), &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	/* Again: accepted; without tighten the mode stays. */
	assert_int_equal(chmod(path_in(f, "a/b/c"), 0755), 0);
	assert_int_equal(cf_mkdir_p(path_in(f, "a/b/c"), 0700, 0, &err), CF_OK);
	assert_int_equal(mode_of(path_in(f, "a/b/c")), 0755);
	/* With tighten it is chmod'ed. */
	assert_int_equal(cf_mkdir_p(path_in(f, "a/b/c"), 0700, 1, &err), CF_OK);
	assert_int_equal(mode_of(path_in(f, "a/b/c")), 0700);
	/* Trailing slash. */
	assert_int_equal(cf_mkdir_p(path_in(f, "d/e/"), 0700, 0, &err), CF_OK);
	assert_int_equal(mode_of(path_in(f, "d/e")), 0700);
	/* A file in the way. */
	assert_int_equal(cf_file_write_atomic(path_in(f, "file"), "x", 1, 0600,
					      &err), CF_OK);
	assert_int_equal(cf_mkdir_p(path_in(f, "file"), 0700, 1, &err), CF_ERR_IO);
	assert_non_null(strstr(err.msg, "not a folder"));
	assert_int_equal(cf_mkdir_p(path_in(f, "file/sub"), 0700, 0, &err),
			 CF_ERR_IO);
	assert_int_equal(cf_mkdir_p("", 0700, 0, &err), CF_ERR_USAGE);
}

/* ---- names ---- */

static void
test_check_name(void **state)
{
	static char long_ok[201], long_bad[202];
	const struct {
		const char *name;
		cf_rc want;
	} cases[] = {
		{ "example.com", CF_OK },
		{ "www.example-1.test", CF_OK },
		{ "_.example.com", CF_OK },
		{ "A_b-C.9", CF_OK },
		{ "x", CF_OK },
		{ long_ok, CF_OK },
		{ "", CF_ERR_USAGE },
		{ ".x", CF_ERR_USAGE },
		{ "..", CF_ERR_USAGE },
		{ "a/b", CF_ERR_USAGE },
		{ "../etc", CF_ERR_USAGE },
		{ "a b", CF_ERR_USAGE },
		{ "*.x", CF_ERR_USAGE },
		{ "a\\b", CF_ERR_USAGE },
		{ "a\nb", CF_ERR_USAGE },
		{ "caf\xc3\xa9", CF_ERR_USAGE },
		{ long_bad, CF_ERR_USAGE },
	};
	struct cf_err err;

	(void)state;
	memset(long_ok, 'a', 200);
	memset(long_bad, 'a', 201);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_rc rc = cf_state_check_name(cases[i].name, &err);
		if (rc != cases[i].want)
			fail_msg("'%.40s' (%zu chars): got %d want %d",
				 cases[i].name, strlen(cases[i].name), rc,
				 cases[i].want);
		if (rc != CF_OK)
			assert_non_null(strstr(err.msg, "bad certificate name"));
	}
}

static void
test_name_for(void **state)
{
	const char *cases[][2] = {
		{ "*.example.com", "_.example.com" },
		{ "www.example.com", "www.example.com" },
		{ "a*.example.com", "a*.example.com" },
	};
	struct cf_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = cf_state_name_for(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
	/* A wildcard's default name is a valid certificate name. */
	char *n = cf_state_name_for("*.example.com");
	assert_int_equal(cf_state_check_name(n, &err), CF_OK);
	free(n);
}

static void
test_account_dir(void **state)
{
	struct fixture *f = *state;
	const char *urls[] = {
		"https://acme-v02.api.letsencrypt.org/directory",
		"https://acme-staging-v02.api.letsencrypt.org/directory",
		"https://127.0.0.1:14000/dir",
		"https://127.0.0.1:14000/dir/",
		"https://127.0.0.1_14000/dir",
		"http://ca.test/a b/../x?y=z&w",
		"https://ca.test/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"https://ca.test/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	};
	const size_t n = sizeof(urls) / sizeof(urls[0]);
	char *dirs[sizeof(urls) / sizeof(urls[0])];
	char prefix[PATH_MAX];
	struct cf_state st;
	struct cf_err err;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	snprintf(prefix, sizeof(prefix), "%s/accounts/", st.root);
	for (size_t i = 0; i < n; i++) {
		char *again;
		const char *id;

		assert_int_equal(cf_state_account_dir(&st, urls[i], &dirs[i], &err),
				 CF_OK);
		assert_int_equal(strncmp(dirs[i], prefix, strlen(prefix)), 0);
		id = dirs[i] + strlen(prefix);
		assert_true(strlen(id) > 0 && strlen(id) < 100);
		assert_int_equal(strspn(id, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
				 strlen(id));
		assert_true(id[0] != '.');
		/* Stable. */
		assert_int_equal(cf_state_account_dir(&st, urls[i], &again, &err),
				 CF_OK);
		assert_string_equal(again, dirs[i]);
		free(again);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(dirs[i], dirs[j]) == 0)
				fail_msg("'%s' and '%s' share %s", urls[i], urls[j],
					 dirs[i]);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	cf_state_close(&st);
}

/* ---- certificates ---- */

static void
install_gen(const struct cf_state *st, const char *name, int g)
{
	char key[64], cert[64], chain[64], full[64];
	struct cf_cert_files cf;
	struct cf_err err;

	snprintf(key, sizeof(key), "key-%d\n", g);
	snprintf(cert, sizeof(cert), "cert-%d\n", g);
	snprintf(chain, sizeof(chain), "chain-%d\n", g);
	snprintf(full, sizeof(full), "cert-%d\nchain-%d\n", g, g);
	cf.key_pem = key;
	cf.key_len = strlen(key);
	cf.cert_pem = cert;
	cf.chain_pem = chain;
	cf.fullchain_pem = full;
	if (cf_state_cert_install(st, name, &cf, &err) != CF_OK)
		fail_msg("install %s gen %d: %s", name, g, err.msg);
}

static void
assert_gen_files(const char *dir, int g)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
					      "chain.pem", "fullchain.pem" };
	static const mode_t modes[] = { 0600, 0644, 0644, 0644 };
	char p[PATH_MAX], want[64];

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		if (i == 0)
			snprintf(want, sizeof(want), "key-%d\n", g);
		else if (i == 1)
			snprintf(want, sizeof(want), "cert-%d\n", g);
		else if (i == 2)
			snprintf(want, sizeof(want), "chain-%d\n", g);
		else
			snprintf(want, sizeof(want), "cert-%d\nchain-%d\n", g, g);
		assert_file(p, want);
		assert_int_equal(mode_of(p), modes[i]);
	}
	assert_int_equal(count_entries(dir, NULL), 4);
}

static void
assert_link(const struct fixture *f, const char *name, int g)
{
	char p[PATH_MAX], target[PATH_MAX], want[PATH_MAX];
	ssize_t n;
	struct stat sb;

	snprintf(p, sizeof(p), "%s/state/certs/%s", f->dir, name);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	n = readlink(p, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	snprintf(want, sizeof(want), "../archive/%s/%d", name, g);
	assert_string_equal(target, want);
	assert_gen_files(p, g);
}

static void
test_cert_install(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	char *path;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	assert_int_equal(mode_of(st.root), 0700);
	install_gen(&st, "www.example.test", 1);
	assert_link(f, "www.example.test", 1);
	assert_int_equal(mode_of(path_in(f, "state/archive/www.example.test/1")) &
			 0077, 0);
	assert_int_equal(cf_state_cert_path(&st, "www.example.test", "cert.pem",
					    &path, &err), CF_OK);
	assert_file(path, "cert-1\n");
	free(path);

	/* Second: the link moves, the first generation stays intact. */
	install_gen(&st, "www.example.test", 2);
	assert_link(f, "www.example.test", 2);
	assert_gen_files(path_in(f, "state/archive/www.example.test/1"), 1);
	/* No temporary link left beside it; another name is independent. */
	assert_int_equal(count_entries(path_in(f, "state/certs"), NULL), 1);
	install_gen(&st, "_.example.test", 1);
	assert_link(f, "_.example.test", 1);
	assert_link(f, "www.example.test", 2);

	/* A bad name writes nothing. */
	{
		struct cf_cert_files cf = { "k", 1, "c", "ch", "fc" };
		assert_int_equal(cf_state_cert_install(&st, "../evil", &cf, &err),
				 CF_ERR_USAGE);
		assert_int_equal(count_entries(path_in(f, "state/archive"), NULL),
				 2);
	}
	cf_state_close(&st);
}

static void
test_cert_prune(void **state)
{
	struct fixture *f = *state;
	const char *arch = path_in(f, "state/archive/p.test");
	struct cf_state st;
	struct cf_err err;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	for (int g = 1; g <= 5; g++) {
		install_gen(&st, "p.test", g);
		assert_link(f, "p.test", g);
		assert_int_equal(count_entries(arch, NULL), g < 3 ? g : 3);
	}
	for (int g = 1; g <= 5; g++) {
		char sub[PATH_MAX];
		struct stat sb;

		snprintf(sub, sizeof(sub), "%s/%d", arch, g);
		if (g < 3) {
			assert_int_equal(lstat(sub, &sb), -1);
		} else {
			assert_gen_files(sub, g);
		}
	}
	assert_int_equal(count_entries(path_in(f, "state/certs"), NULL), 1);
	cf_state_close(&st);
}

/* A reader that opens the folder through the symlink once sees a key and a
 * certificate of the same generation while installs run. */
struct reader {
	char link[PATH_MAX];
	volatile int stop;
	long pairs, mismatches, vanished;
	char bad[128];
};

static int
read_at(int dfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	while (!r->stop) {
		char key[64], cert[64];
		int kg, cg, dfd = open(r->link, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0) {
			r->vanished++;
			continue;
		}
		if (read_at(dfd, "privkey.pem", key, sizeof(key)) != 0 ||
		    read_at(dfd, "cert.pem", cert, sizeof(cert)) != 0) {
			r->vanished++;   /* pruned under us: no pair at all */
		} else if (sscanf(key, "key-%d", &kg) != 1 ||
			   sscanf(cert, "cert-%d", &cg) != 1 || kg != cg) {
			r->mismatches++;
			snprintf(r->bad, sizeof(r->bad), "%.40s / %.40s", key, cert);
		} else {
			r->pairs++;
		}
		close(dfd);
	}
	return NULL;
}

static void
test_cert_reader_sees_pairs(void **state)
{
	struct fixture *f = *state;
	struct reader r;
	struct cf_state st;
	struct cf_err err;
	pthread_t th;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	install_gen(&st, "r.test", 1);
	memset(&r, 0, sizeof(r));
	snprintf(r.link, sizeof(r.link), "%s/state/certs/r.test", f->dir);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	for (int g = 2; g <= 60; g++)
		install_gen(&st, "r.test", g);
	r.stop = 1;
	pthread_join(th, NULL);
	if (r.mismatches != 0)
		fail_msg("%ld mismatched pairs, e.g. %s", r.mismatches, r.bad);
	assert_true(r.pairs > 0);
	assert_link(f, "r.test", 60);
	cf_state_close(&st);
}

/* ---- locks ---- */

static void
test_lock(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	int a = -1, b = -1, c = -1;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	assert_int_equal(cf_state_lock(&st, "one.test", &a, &err), CF_OK);
	assert_true(a >= 0);
	assert_int_equal(mode_of(path_in(f, "state/locks/one.test.lock")), 0600);
	/* A second open file description in this process conflicts. */
	assert_int_equal(cf_state_lock(&st, "one.test", &b, &err), CF_ERR_LOCKED);
	assert_int_equal(b, -1);
	assert_non_null(strstr(err.msg, "one.test"));
	/* Another name is independent. */
	assert_int_equal(cf_state_lock(&st, "two.test", &c, &err), CF_OK);
	cf_state_unlock(a);
	assert_int_equal(cf_state_lock(&st, "one.test", &b, &err), CF_OK);
	assert_true(b >= 0);
	cf_state_unlock(b);
	cf_state_unlock(c);
	cf_state_unlock(-1);
	cf_state_close(&st);
}

/* ---- hardening: owner, modes, no link followed (docs/ARCHITECTURE.md) ---- */

/* A planted archive/NAME link to a foreign folder: refused, naming the
 * link; the foreign folder keeps its mode and its contents. */
static void
test_planted_archive_link(void **state)
{
	struct fixture *f = *state;
	struct cf_cert_files cf = { "k", 1, "c", "ch", "fc" };
	struct cf_state st;
	struct cf_err err;
	char foreign[PATH_MAX];

	snprintf(foreign, sizeof(foreign), "%s", path_in(f, "foreign"));
	assert_int_equal(mkdir(foreign, 0755), 0);
	assert_int_equal(mkdir(path_in(f, "foreign/1"), 0755), 0);
	assert_int_equal(mkdir(path_in(f, "foreign/2"), 0755), 0);
	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	assert_int_equal(mkdir(path_in(f, "state/archive"), 0700), 0);
	assert_int_equal(symlink(foreign, path_in(f, "state/archive/www.test")),
			 0);
	assert_int_equal(cf_state_cert_install(&st, "www.test", &cf, &err),
			 CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "www.test"));
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(mode_of(foreign), 0755);
	assert_int_equal(count_entries(foreign, NULL), 2);
	assert_int_equal(mode_of(path_in(f, "foreign/1")), 0755);
	/* Nor through a planted archive/ itself, nor for the locks. */
	assert_int_equal(unlink(path_in(f, "state/archive/www.test")), 0);
	assert_int_equal(rmdir(path_in(f, "state/archive")), 0);
	assert_int_equal(symlink(foreign, path_in(f, "state/archive")), 0);
	assert_int_equal(cf_state_cert_install(&st, "1", &cf, &err),
			 CF_ERR_USAGE);
	assert_int_equal(count_entries(foreign, NULL), 2);
	assert_int_equal(symlink(foreign, path_in(f, "state/locks")), 0);
	{
		int fd = -1;
		assert_int_equal(cf_state_lock(&st, "www.test", &fd, &err),
				 CF_ERR_USAGE);
		assert_int_equal(fd, -1);
	}
	assert_int_equal(count_entries(foreign, NULL), 2);
	cf_state_close(&st);
}

/* certs/NAME is followed only when it points into archive/NAME. */
static void
test_cert_link_checked(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	char *path = NULL;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	install_gen(&st, "a.test", 1);
	install_gen(&st, "b.test", 1);
	assert_int_equal(unlink(path_in(f, "state/certs/a.test")), 0);
	assert_int_equal(symlink("../archive/b.test/1",
				 path_in(f, "state/certs/a.test")), 0);
	assert_int_equal(cf_state_cert_path(&st, "a.test", "privkey.pem", &path,
					    &err), CF_ERR_USAGE);
	assert_null(path);
	assert_non_null(strstr(err.msg, "not into archive/a.test"));
	assert_int_equal(unlink(path_in(f, "state/certs/a.test")), 0);
	assert_int_equal(symlink("/etc", path_in(f, "state/certs/a.test")), 0);
	assert_int_equal(cf_state_cert_path(&st, "a.test", "cert.pem", &path,
					    &err), CF_ERR_USAGE);
	/* Missing: not an error here. */
	assert_int_equal(cf_state_cert_path(&st, "c.test", "cert.pem", &path,
					    &err), CF_OK);
	free(path);
	cf_state_close(&st);
}

/* Every folder certferry makes in the state folder is 0700, also the
 * parents (accounts/, archive/) and with a lax umask. */
static void
test_state_folders_0700(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	char *acct = NULL;
	int fd = -1;

	umask(0);
	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	assert_int_equal(mode_of(st.root), 0700);
	assert_int_equal(cf_state_account_dir(&st, "https://ca.test/dir", &acct,
					      &err), CF_OK);
	assert_int_equal(cf_state_mkdir(&st, acct, &err), CF_OK);
	install_gen(&st, "www.test", 1);
	assert_int_equal(cf_state_lock(&st, "www.test", &fd, &err), CF_OK);
	cf_state_unlock(fd);
	assert_int_equal(mode_of(path_in(f, "state/accounts")), 0700);
	assert_int_equal(mode_of(acct), 0700);
	assert_int_equal(mode_of(path_in(f, "state/archive")), 0700);
	assert_int_equal(mode_of(path_in(f, "state/archive/www.test")), 0700);
	assert_int_equal(mode_of(path_in(f, "state/certs")), 0700);
	assert_int_equal(mode_of(path_in(f, "state/locks")), 0700);
	/* A folder an older version made 0755 is tightened. */
	assert_int_equal(chmod(path_in(f, "state/accounts"), 0755), 0);
	assert_int_equal(cf_state_mkdir(&st, acct, &err), CF_OK);
	assert_int_equal(mode_of(path_in(f, "state/accounts")), 0700);
	free(acct);
	cf_state_close(&st);
}

/* A state root writable by others, or not this user's, is refused. */
static void
test_state_root_checked(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	char *root = path_in(f, "state");

	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(chmod(root, 0777), 0);
	assert_int_equal(cf_state_open(&st, root, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, root));
	assert_non_null(strstr(err.msg, "chmod 700"));
	assert_int_equal(mode_of(root), 0777);
	assert_int_equal(chmod(root, 0770), 0);
	assert_int_equal(cf_state_open(&st, root, &err), CF_ERR_USAGE);
	/* Merely readable by others: tightened. */
	assert_int_equal(chmod(root, 0755), 0);
	assert_int_equal(cf_state_open(&st, root, &err), CF_OK);
	assert_int_equal(mode_of(root), 0700);
	cf_state_close(&st);
	/* Another user's folder: as root, one chown'ed to nobody; otherwise
	 * "/", which is root's. */
	if (geteuid() == 0) {
		assert_int_equal(chown(root, 65534, 65534), 0);
	} else {
		root = "/";
	}
	assert_int_equal(cf_state_open(&st, root, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "belongs to uid"));
	assert_non_null(strstr(err.msg, "chown"));
}

/* cf_file_lock waits a bounded time, refuses a link, is 0600. */
static void
test_file_lock(void **state)
{
	struct fixture *f = *state;
	struct cf_err err;
	char lk[PATH_MAX];
	int a = -1, b = -1;

	snprintf(lk, sizeof(lk), "%s", path_in(f, "x.lock"));
	assert_int_equal(cf_file_lock(lk, 5, &a, &err), CF_OK);
	assert_int_equal(mode_of(lk), 0600);
	assert_int_equal(cf_file_lock(lk, 1, &b, &err), CF_ERR_LOCKED);
	assert_int_equal(b, -1);
	assert_non_null(strstr(err.msg, "x.lock"));
	cf_file_unlock(a);
	assert_int_equal(cf_file_lock(lk, 0, &b, &err), CF_OK);
	cf_file_unlock(b);
	assert_int_equal(symlink("x.lock", path_in(f, "y.lock")), 0);
	assert_int_equal(cf_file_lock(path_in(f, "y.lock"), 0, &b, &err),
			 CF_ERR_IO);
}

static void
test_symlink_replace(void **state)
{
	struct fixture *f = *state;
	struct cf_err err;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path_in(f, "link"));
	assert_false(cf_symlink_is(p, "a"));
	assert_int_equal(cf_symlink_replace("a", p, &err), CF_OK);
	assert_true(cf_symlink_is(p, "a"));
	assert_false(cf_symlink_is(p, "ab"));
	assert_int_equal(cf_symlink_replace("b/c", p, &err), CF_OK);
	assert_true(cf_symlink_is(p, "b/c"));
	/* a folder is not replaced */
	assert_int_equal(mkdir(path_in(f, "dir"), 0700), 0);
	assert_int_equal(cf_symlink_replace("a", path_in(f, "dir"), &err),
			 CF_ERR_IO);
}

/* The IIS lock: one per real path of the config, in STATE/locks. */
static void
test_iis_lock_path(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	char *a = NULL, *b = NULL, *c = NULL, cfg[PATH_MAX], other[PATH_MAX];
	const char *base;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	snprintf(cfg, sizeof(cfg), "%s", path_in(f, "applicationHost.config"));
	snprintf(other, sizeof(other), "%s", path_in(f,
		 "state/../applicationHost.config"));
	assert_int_equal(cf_file_write_atomic(cfg, "x", 1, 0600, &err), CF_OK);
	assert_int_equal(cf_state_iis_lock_path(&st, cfg, &a, &err), CF_OK);
	assert_int_equal(cf_state_iis_lock_path(&st, other, &b, &err), CF_OK);
	assert_string_equal(a, b);
	base = strrchr(a, '/') + 1;
	assert_int_equal(strlen(base), strlen("iis-0123456789abcdef.lock"));
	assert_int_equal(strncmp(base, "iis-", 4), 0);
	assert_non_null(strstr(a, "/state/locks/iis-"));
	assert_int_equal(cf_state_iis_lock_path(&st, path_in(f, "other.config"),
			 &c, &err), CF_OK);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
	cf_state_close(&st);
}

/* A responder port's lock: STATE/locks/_responder-<method>-<port>.lock,
 * 0600; a held one runs out after the wait naming the port; another port
 * or method is independent; locks/ planted as a link is refused. */
static void
test_port_lock(void **state)
{
	struct fixture *f = *state;
	struct cf_state st;
	struct cf_err err;
	int a = -1, b = -1, c = -1;

	assert_int_equal(cf_state_open(&st, path_in(f, "state"), &err), CF_OK);
	assert_int_equal(cf_state_port_lock(&st, "http-01", 8080, 0, &a, &err),
			 CF_OK);
	assert_int_equal(mode_of(path_in(f,
			 "state/locks/_responder-http-01-8080.lock")), 0600);
	assert_int_equal(cf_state_port_lock(&st, "http-01", 8080, 0, &b, &err),
			 CF_ERR_LOCKED);
	assert_int_equal(b, -1);
	assert_non_null(strstr(err.msg, "port 8080"));
	assert_non_null(strstr(err.msg, "http-01 responder"));
	assert_int_equal(cf_state_port_lock(&st, "tls-alpn-01", 8080, 0, &b,
					    &err), CF_OK);
	assert_int_equal(cf_state_port_lock(&st, "http-01", 8081, 0, &c, &err),
			 CF_OK);
	cf_file_unlock(a);
	cf_file_unlock(b);
	cf_file_unlock(c);
	cf_state_close(&st);

	assert_int_equal(mkdir(path_in(f, "other"), 0700), 0);
	assert_int_equal(mkdir(path_in(f, "s2"), 0700), 0);
	assert_int_equal(symlink(path_in(f, "other"), path_in(f, "s2/locks")),
			 0);
	assert_int_equal(cf_state_open(&st, path_in(f, "s2"), &err), CF_OK);
	assert_int_not_equal(cf_state_port_lock(&st, "http-01", 80, 0, &a,
						&err), CF_OK);
	assert_int_equal(a, -1);
	assert_int_equal(cf_state_lock(&st, "x.test", &a, &err) == CF_OK, 0);
	cf_state_close(&st);
}

/* cf_files_write_new: every file with its data and exact mode (umask
 * notwithstanding), NULL names skipped, no temporary file left; an
 * existing file is refused (O_EXCL: a generation folder is always new). */
static void
test_files_write_new(void **state)
{
	struct fixture *f = *state;
	struct cf_new_file files[] = {
		{ "privkey.pem", "KEY\n", 4, 0600 },
		{ NULL, "skipped", 7, 0644 },
		{ "cert.pem", "CERT\n", 5, 0644 },
	};
	struct cf_err err = { 0 };
	char dir[128], path[PATH_MAX];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/gen", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	umask(077);
	assert_int_equal(cf_files_write_new(dir, files, 3, &err), CF_OK);
	snprintf(path, sizeof(path), "%s/privkey.pem", dir);
	assert_file(path, "KEY\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_file(path, "CERT\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(count_entries(dir, NULL), 2);
	assert_int_equal(cf_files_write_new(dir, files, 1, &err), CF_ERR_IO);
	assert_non_null(strstr(err.msg, "privkey.pem"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_write_modes),
		T(test_write_replaces),
		T(test_write_over_symlink),
		T(test_write_missing_folder),
		T(test_read),
		T(test_mkdir_p),
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_name_for),
		T(test_account_dir),
		T(test_cert_install),
		T(test_cert_prune),
		T(test_cert_reader_sees_pairs),
		T(test_lock),
		T(test_planted_archive_link),
		T(test_cert_link_checked),
		T(test_state_folders_0700),
		T(test_state_root_checked),
		T(test_file_lock),
		T(test_symlink_replace),
		T(test_iis_lock_path),
		T(test_port_lock),
		T(test_files_write_new),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
