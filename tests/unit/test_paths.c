/* test_paths.c - absolute paths, write probes, secret files (store/paths.h)
 * and the preflight checks built on them (engine/preflight.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/preflight.h"
#include "engine/spec.h"
#include "store/paths.h"

static char tmpdir[PATH_MAX];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/cf-paths-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	if (chdir("/") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_abs(void **state)
{
	static const struct {
		const char *in, *out;   /* out relative to the cwd ("" = cwd) */
	} cases[] = {
		{ "/a/b", "/a/b" },
		{ "/a//b/./c", "/a/b/c" },
		{ "ccs", "/ccs" },
		{ "./pem", "/pem" },
		{ "././x//y", "/x/y" },
		{ ".", "" },
		{ "../up", "/../up" },  /* kept as typed: no symlink games */
	};
	char cwd[PATH_MAX], want[PATH_MAX * 2], *out = NULL;
	struct cf_err err = { 0 };

	(void)state;
	assert_int_equal(chdir(tmpdir), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].in[0] == '/')
			snprintf(want, sizeof(want), "%s", cases[i].out);
		else
			snprintf(want, sizeof(want), "%s%s", cwd, cases[i].out);
		assert_int_equal(cf_path_abs(cases[i].in, &out, &err), CF_OK);
		assert_string_equal(out, want);
		free(out);
	}
	assert_int_equal(cf_path_abs("", &out, &err), CF_ERR_USAGE);
	assert_null(out);
}

static void
test_abs_inplace(void **state)
{
	struct cf_err err = { 0 };
	char *p = NULL, cwd[PATH_MAX], want[PATH_MAX * 2];

	(void)state;
	assert_int_equal(cf_path_abs_inplace(&p, &err), CF_OK); /* NULL stays */
	assert_null(p);
	assert_int_equal(chdir(tmpdir), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	p = strdup("pw");
	assert_int_equal(cf_path_abs_inplace(&p, &err), CF_OK);
	snprintf(want, sizeof(want), "%s/pw", cwd);
	assert_string_equal(p, want);
	free(p);
}

static void
test_probe(void **state)
{
	struct cf_err err = { 0 };
	char p[PATH_MAX + 32];

	(void)state;
	assert_int_equal(cf_dir_probe_write(tmpdir, "CCS folder", &err), CF_OK);
	snprintf(p, sizeof(p), "%s/nope", tmpdir);
	assert_int_equal(cf_dir_probe_write(p, "CCS folder", &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "CCS folder"));
	assert_non_null(strstr(err.msg, p));
	snprintf(p, sizeof(p), "%s/file", tmpdir);
	write_file(p, "x", 0600);
	assert_int_equal(cf_dir_probe_write(p, "PEM folder", &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "not a folder"));
	if (geteuid() != 0) {
		/* root ignores mode bits: the integration test uses a
		 * read-only bind mount instead */
		snprintf(p, sizeof(p), "%s/ro", tmpdir);
		assert_int_equal(mkdir(p, 0500), 0);
		assert_int_equal(cf_dir_probe_write(p, "webroot", &err),
				 CF_ERR_USAGE);
		assert_non_null(strstr(err.msg, "not writable"));
	}
}

static void
test_ancestor(void **state)
{
	struct cf_err err = { 0 };
	char p[PATH_MAX + 32], *out = NULL;

	(void)state;
	snprintf(p, sizeof(p), "%s/a/b/c", tmpdir);
	assert_int_equal(cf_path_existing_ancestor(p, &out, &err), CF_OK);
	assert_string_equal(out, tmpdir);
	free(out);
	assert_int_equal(cf_path_existing_ancestor(tmpdir, &out, &err), CF_OK);
	assert_string_equal(out, tmpdir);
	free(out);
	assert_int_equal(cf_path_existing_ancestor("/no-such-dir-cf/x", &out,
						   &err), CF_OK);
	assert_string_equal(out, "/");
	free(out);
}

static void
test_secret(void **state)
{
	struct cf_err err = { 0 };
	char p[PATH_MAX + 32], *s = NULL;
	int loose = -1;

	(void)state;
	snprintf(p, sizeof(p), "%s/pw", tmpdir);
	write_file(p, "Sekrit-123 \r\n\n", 0600);
	assert_int_equal(cf_secret_file_read(p, &s, &loose, &err), CF_OK);
	assert_string_equal(s, "Sekrit-123");
	assert_int_equal(loose, 0);
	free(s);
	chmod(p, 0644);
	assert_int_equal(cf_secret_file_read(p, &s, &loose, &err), CF_OK);
	assert_int_equal(loose, 1);
	free(s);
	write_file(p, " \n", 0600);
	assert_int_equal(cf_secret_file_read(p, &s, NULL, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "empty"));
	assert_null(s);
	snprintf(p, sizeof(p), "%s/missing", tmpdir);
	assert_int_equal(cf_secret_file_read(p, &s, NULL, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, p));
	/* written 0600 */
	snprintf(p, sizeof(p), "%s/secrets", tmpdir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/secrets/x.pfx-password", tmpdir);
	assert_int_equal(cf_secret_file_write(p, "pw2", &err), CF_OK);
	assert_int_equal(cf_secret_file_read(p, &s, &loose, &err), CF_OK);
	assert_string_equal(s, "pw2");
	assert_int_equal(loose, 0);
	free(s);
	{
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
}

/* A spec with one store of kind k at path. */
static void
spec_with_store(struct cf_cert_spec *s, struct cf_store_spec *st,
		enum cf_store_kind k, const char *path, const char *pwfile)
{
	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(*st));
	st->kind = k;
	st->path = (char *)path;
	st->password_file = (char *)pwfile;
	s->stores = st;
	s->nstores = 1;
	s->validation.method = CF_VAL_DNS01;
	s->validation.dns_provider = CF_DNS_MANUAL;
}

static void
test_preflight(void **state)
{
	struct cf_cert_spec s;
	struct cf_store_spec st;
	struct cf_preflight_opts o = { 0 };
	struct cf_err err = { 0 };
	char ccs[PATH_MAX + 32], pw[PATH_MAX + 32], pem[PATH_MAX + 32],
	     pfx[PATH_MAX + 32], hook[PATH_MAX + 32];

	(void)state;
	snprintf(ccs, sizeof(ccs), "%s/ccs", tmpdir);
	snprintf(pw, sizeof(pw), "%s/pw", tmpdir);
	snprintf(pem, sizeof(pem), "%s/new/pem", tmpdir);
	snprintf(pfx, sizeof(pfx), "%s/nodir/x.pfx", tmpdir);
	snprintf(hook, sizeof(hook), "%s/hook.sh", tmpdir);
	write_file(pw, "pw\n", 0600);

	spec_with_store(&s, &st, CF_STORE_CCS, ccs, pw);
	assert_int_equal(cf_preflight(&s, &o, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_int_equal(mkdir(ccs, 0700), 0);
	assert_int_equal(cf_preflight(&s, &o, &err), CF_OK);
	/* the password file must be readable, unless it is the one the
	 * caller is about to write */
	unlink(pw);
	assert_int_equal(cf_preflight(&s, &o, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, pw));
	o.pending_secret = pw;
	assert_int_equal(cf_preflight(&s, &o, &err), CF_OK);
	o.pending_secret = NULL;

	/* a PEM folder that does not exist yet: its parent takes the write */
	spec_with_store(&s, &st, CF_STORE_PEM, pem, NULL);
	assert_int_equal(cf_preflight(&s, &o, &err), CF_OK);
	/* a PFX whose folder is missing */
	spec_with_store(&s, &st, CF_STORE_PFX, pfx, NULL);
	st.no_password = 1;
	assert_int_equal(cf_preflight(&s, &o, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "folder of the PFX file"));

	/* a DNS hook that is not executable */
	spec_with_store(&s, &st, CF_STORE_PEM, pem, NULL);
	s.validation.dns_provider = CF_DNS_SCRIPT;
	s.validation.dns_script = hook;
	write_file(hook, "#!/bin/sh\nexit 0\n", 0644);
	assert_int_equal(cf_preflight(&s, &o, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "not executable"));
	chmod(hook, 0755);
	assert_int_equal(cf_preflight(&s, &o, &err), CF_OK);

	/* a webroot that is not a folder */
	s.validation.method = CF_VAL_HTTP01;
	s.validation.webroot = pw;
	assert_int_equal(cf_preflight(&s, &o, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "webroot"));
	s.validation.webroot = tmpdir;
	assert_int_equal(cf_preflight(&s, &o, &err), CF_OK);
}

static void
test_spec_json_password(void **state)
{
	struct cf_cert_spec s, back;
	struct cf_store_spec st;
	struct cf_err err = { 0 };
	json_t *j = NULL;
	const char *const names[] = { "a.example" };

	(void)state;
	spec_with_store(&s, &st, CF_STORE_PFX, "/x/a.pfx", NULL);
	s.validation.method = CF_VAL_HTTP01;
	s.ca_bundle = "/etc/ca.pem";
	/* a PFX store needs a password file or the explicit opt-out */
	assert_int_equal(cf_spec_check(&s, names, 1, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "--pfx-password-file"));
	assert_non_null(strstr(err.msg, "--pfx-no-password"));
	st.no_password = 1;
	assert_int_equal(cf_spec_check(&s, names, 1, &err), CF_OK);
	s.name = "a.example";
	s.directory_url = "https://ca.example/dir";
	s.names = (char **)names;
	s.nnames = 1;
	if (cf_spec_to_json(&s, &j, &err) != CF_OK)
		fail_msg("%s", err.msg);
	memset(&back, 0, sizeof(back));
	if (cf_spec_from_json(j, &back, &err) != CF_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(back.stores[0].no_password, 1);
	assert_string_equal(back.ca_bundle, "/etc/ca.pem");
	json_decref(j);
	cf_spec_free(&back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_abs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abs_inplace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ancestor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preflight, setup, teardown),
		cmocka_unit_test(test_spec_json_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
