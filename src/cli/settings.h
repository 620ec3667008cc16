/*
 * settings.h - the settings file (certferry.conf): defaults for the global
 * options and for issue's (and account register's) options, and named CA
 * profiles ([ca NAME], chosen with --ca NAME).
 *
 * Owns: reading the file (INI through Debian's inih), checking every key
 * and value (errors name FILE:LINE), and turning the settings into option
 * values.  Settings never reach the engine directly: command options are
 * inserted into the command's argv before getopt sees it, so each option's
 * own checks apply, and options given on the command line (or through
 * their environment variable) are left out, as are the settings of
 * another validation method than the one chosen (command line, else the
 * validation setting) and those that need an option that is absent
 * (iis-path-map without --iis-webroot, ...).  Precedence: command line >
 * environment > [ca NAME] profile > section > built-in default.
 */
#ifndef CF_CLI_SETTINGS_H
#define CF_CLI_SETTINGS_H

#include <stdio.h>

#include "core/err.h"

struct cf_settings;

/* The file to read: --config (arg), else CERTFERRY_CONFIG, else the
 * default (/etc/certferry/certferry.conf for root, else
 * $XDG_CONFIG_HOME/certferry/certferry.conf, ~/.config when unset).
 * *explicit is 1 when the user named the file (then it must exist). */
cf_rc cf_settings_path(const char *arg, char **path, int *explicit_,
		       struct cf_err *err) CF_MUST_CHECK;

/* Read and check path.  A missing file that was not named explicitly gives
 * empty settings.  Errors are CF_ERR_USAGE "FILE:LINE: ...". */
cf_rc cf_settings_load(const char *path, int explicit_, struct cf_settings **out,
		       struct cf_err *err) CF_MUST_CHECK;
void cf_settings_free(struct cf_settings *s);

/* Choose the CA profile: name from --ca (or NULL: CERTFERRY_CA, then
 * [global] ca).  An unknown name is CF_ERR_USAGE. */
cf_rc cf_settings_select_ca(struct cf_settings *s, const char *name,
			    struct cf_err *err) CF_MUST_CHECK;

/* The effective value of a setting (any key: the profile's, else its
 * section's) that neither the command line nor the environment gave
 * (NULL when the file has none).  key is the long option name: "server",
 * "ca-bundle", "state-dir", "http-timeout", "account",
 * "allow-cross-origin" ("yes" when set). */
const char *cf_settings_global(const struct cf_settings *s, const char *key);

/* The argv of command cmd_argv (argv[0] the command) with the settings'
 * options inserted after the command (after "account register"'s second
 * word).  Options already on cmd_argv, or given by their environment
 * variable, are not inserted, nor those left out as said above.  *out is
 * malloc'd (its strings too, until cf_settings_free); *out_argc set.
 * Unchanged copy for other commands. */
cf_rc cf_settings_command_argv(struct cf_settings *s, int argc, char **argv,
			       int *out_argc, char ***out,
			       struct cf_err *err) CF_MUST_CHECK;

/* "config show": each setting's effective value and where it came from.
 * given_keys/given_vals: the global options given on the command line. */
void cf_settings_show(const struct cf_settings *s, FILE *f,
		      const char *const *given_keys,
		      const char *const *given_vals, size_t ngiven);

/* The [notify] section into c (cf_notify_conf_init's defaults for what
 * it does not set); strings borrowed from s. */
struct cf_notify_conf;
void cf_settings_notify(const struct cf_settings *s, struct cf_notify_conf *c);

/* The names of the [ca NAME] profiles (at most max, borrowed); the
 * chosen one (NULL: none). */
size_t cf_settings_ca_names(const struct cf_settings *s, const char **names,
			    size_t max);
const char *cf_settings_selected_ca(const struct cf_settings *s);

/* The file that was read (NULL if none existed). */
const char *cf_settings_file(const struct cf_settings *s);
/* The file certferry looked for, also when it did not exist (NULL: no
 * path at all, e.g. neither HOME nor XDG_CONFIG_HOME). */
const char *cf_settings_looked_at(const struct cf_settings *s);
/* 1 when the file was named (--config, CERTFERRY_CONFIG), not the default. */
int cf_settings_explicit(const struct cf_settings *s);

/* "config check" of the file at path as it is now (the interactive
 * menu, after the editor): prints "ok: FILE" or the error; the exit
 * status (0 or 2).  cmd_config.c. */
int cf_config_check_file(const char *path);

/* "certferry config show|check" (cmd_config.c). */
int cf_cmd_config(const struct cf_settings *s, const char *const *given_keys,
		  const char *const *given_vals, size_t ngiven, int argc,
		  char **argv);

#endif
