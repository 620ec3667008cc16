/* test_cli_common.c - helpers shared by the subcommands (cli/common.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli.h" /* twice: the header guard covers all of it */
#include "engine/renewal.h"
#include "store/state.h"

static void
test_no_more_args(void **state)
{
	char a0[] = "status", a1[] = "extra";
	char *argv[] = { a0, a1, NULL };

	(void)state;
	optind = 1;
	assert_int_equal(cf_cli_no_more_args(1, argv), CF_EXIT_OK);
	assert_int_equal(cf_cli_no_more_args(2, argv), CF_EXIT_USAGE);
	optind = 2;
	assert_int_equal(cf_cli_no_more_args(2, argv), CF_EXIT_OK);
}

static int usage_calls;
static FILE *usage_to;

static void
usage_spy(FILE *f)
{
	usage_calls++;
	usage_to = f;
}

/* Options in order, then -1; --help and an unknown option end the loop
 * with the usage on stdout (exit 0) or stderr (exit 2). */
static void
test_getopt(void **state)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char a0[] = "status", a1[] = "--json", a2[] = "--file", a3[] = "x",
	     a4[] = "--help", a5[] = "--bogus";
	char *ok[] = { a0, a1, a2, a3, NULL };
	char *help[] = { a0, a1, a4, NULL };
	char *bad[] = { a0, a5, NULL };
	int ret = -1, saved = opterr;

	(void)state;
	opterr = 0; /* no getopt message in the test's output */
	optind = 0;
	assert_int_equal(cf_cli_getopt(4, ok, lo, usage_spy, &ret), 'j');
	assert_int_equal(cf_cli_getopt(4, ok, lo, usage_spy, &ret), 'f');
	assert_string_equal(optarg, "x");
	assert_int_equal(cf_cli_getopt(4, ok, lo, usage_spy, &ret), -1);
	assert_int_equal(usage_calls, 0);
	optind = 0;
	assert_int_equal(cf_cli_getopt(3, help, lo, usage_spy, &ret), 'j');
	assert_int_equal(cf_cli_getopt(3, help, lo, usage_spy, &ret),
			 CF_CLI_OPT_EXIT);
	assert_int_equal(ret, CF_EXIT_OK);
	assert_ptr_equal(usage_to, stdout);
	optind = 0;
	assert_int_equal(cf_cli_getopt(2, bad, lo, usage_spy, &ret),
			 CF_CLI_OPT_EXIT);
	assert_int_equal(ret, CF_EXIT_USAGE);
	assert_ptr_equal(usage_to, stderr);
	assert_int_equal(usage_calls, 2);
	opterr = saved;
}

/* Open, check the name, lock, load: each step's error, and the lock held
 * on success of the first three. */
static void
test_definition_open(void **state)
{
	char root[] = "/tmp/cf-cli-common-XXXXXX", cmd[300];
	struct cf_cli cli = { 0 };
	struct cf_state st = { 0 }, st2 = { 0 };
	struct cf_renewal r;
	struct cf_err err = { 0 };
	int fd = -1, held = -1;

	(void)state;
	assert_non_null(mkdtemp(root));
	cli.state_dir = root;
	memset(&r, 0, sizeof(r));
	assert_int_equal(cf_cli_definition_open(&cli, &st, "../x", &fd, &r,
						&err), CF_ERR_USAGE);
	assert_int_equal(fd, -1);
	cf_state_close(&st);
	/* No definition: not found, after the lock was taken. */
	assert_int_equal(cf_cli_definition_open(&cli, &st, "www.test", &fd, &r,
						&err), CF_ERR_NOTFOUND);
	assert_true(fd >= 0);
	/* Held: a second opener is told it is locked (exit status 4). */
	assert_int_equal(cf_cli_definition_open(&cli, &st2, "www.test", &held,
						&r, &err), CF_ERR_LOCKED);
	assert_int_equal(held, -1);
	assert_int_equal(cf_cli_exit_for(err.rc), CF_EXIT_LOCKED);
	cf_state_unlock(fd);
	cf_state_close(&st);
	cf_state_close(&st2);
	cf_renewal_free(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_more_args),
		cmocka_unit_test(test_getopt),
		cmocka_unit_test(test_definition_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
