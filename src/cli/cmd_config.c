/*
 * cmd_config.c - "certferry config show|check": the settings file as
 * certferry reads it (settings.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/settings.h"

static void
config_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [--config FILE] [--ca NAME] config show|check\n"
		"\n"
		"  show    each setting's effective value and where it came from:\n"
		"          the command line, the environment, FILE:LINE (of a\n"
		"          [ca NAME] profile or a section) or the built-in default\n"
		"  check   read the settings file and report its first error\n"
		"          (exit 2) or 'ok'\n"
		"\n"
		"Sections: [global] (the global options), [issue] (every issue\n"
		"option without --, except -d, --name, --iis-site,\n"
		"--iis-host-filter, --csr, --key, --force, --dry-run and the\n"
		"secret --eab-hmac-key: eab-hmac-key-file names it), [notify]\n"
		"and [ca NAME] profiles.  Keys of another validation method than\n"
		"the one chosen are left out; iis-path-map, iis-migrate, per-site,\n"
		"configure, server-config and server-bin apply only with\n"
		"--iis-webroot, --install iis, --iis-site, --install nginx|apache.\n"
		"See docs/SETTINGS.md.\n");
}

static void
check_ok(const struct cf_settings *s)
{
	printf("ok: %s\n", cf_settings_file(s) != NULL ?
	       cf_settings_file(s) : "(no settings file)");
}

int
cf_config_check_file(const char *path)
{
	struct cf_settings *s = NULL;
	struct cf_err err = { 0 };

	if (cf_settings_load(path, 1, &s, &err) != CF_OK)
		return cf_cli_fail(&err);
	check_ok(s);
	cf_settings_free(s);
	return CF_EXIT_OK;
}

int
cf_cmd_config(const struct cf_settings *s, const char *const *given_keys,
	      const char *const *given_vals, size_t ngiven, int argc,
	      char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0) {
		cf_settings_show(s, stdout, given_keys, given_vals, ngiven);
		return CF_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0) {
		/* main read and checked it already: an error exited there. */
		check_ok(s);
		return CF_EXIT_OK;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		config_usage(stdout);
		return CF_EXIT_OK;
	}
	config_usage(stderr);
	return CF_EXIT_USAGE;
}
