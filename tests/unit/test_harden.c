/* test_harden.c - core/harden: no core dumps; a child's fixed environment */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "core/harden.h"

static const char *
env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static void
test_process(void **state)
{
	struct rlimit rl;
	struct cf_err err;

	(void)state;
	assert_int_equal(cf_harden_process(&err), CF_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_true(rl.rlim_cur == 0 && rl.rlim_max == 0);
}

static void
test_child_env(void **state)
{
	const char *extra[] = { "CERTFERRY_DNS_ACTION=create" };
	struct cf_err err;
	char **env = NULL;

	(void)state;
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("LANG", "C.UTF-8", 1);
	setenv("CERTFERRY_EAB_HMAC_KEY", "secret-hmac", 1);
	setenv("CERTFERRY_PFX_PASSWORD", "secret-pfx", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-aws", 1);
	assert_int_equal(cf_child_env_new(extra, 1, &env, &err), CF_OK);
	assert_string_equal(env_get(env, "PATH"), "/usr/bin:/bin");
	assert_string_equal(env_get(env, "LANG"), "C.UTF-8");
	assert_string_equal(env_get(env, "CERTFERRY_DNS_ACTION"), "create");
	assert_null(env_get(env, "CERTFERRY_EAB_HMAC_KEY"));
	assert_null(env_get(env, "CERTFERRY_PFX_PASSWORD"));
	assert_null(env_get(env, "AWS_SECRET_ACCESS_KEY"));
	cf_child_env_free(env);

	/* A PATH with a relative entry ("", ".") is replaced. */
	setenv("PATH", "/usr/bin::.", 1);
	assert_int_equal(cf_child_env_new(NULL, 0, &env, &err), CF_OK);
	assert_string_equal(env_get(env, "PATH"), CF_CHILD_DEFAULT_PATH);
	cf_child_env_free(env);
	unsetenv("PATH");
	assert_int_equal(cf_child_env_new(NULL, 0, &env, &err), CF_OK);
	assert_string_equal(env_get(env, "PATH"), CF_CHILD_DEFAULT_PATH);
	cf_child_env_free(env);
	cf_child_env_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_child_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
