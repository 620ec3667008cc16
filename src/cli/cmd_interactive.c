/*
 * cmd_interactive.c - "certferry interactive" (and certferry with no
 * arguments on a terminal): a menu in win-acme's spirit.  Every flow ends
 * by printing the equivalent command line, so it teaches the unattended
 * form; the flows run certferry's own commands with that argv (the
 * account menu "account register/show/list/update/rollover/export", the
 * settings menu "config show" and, after $VISUAL/$EDITOR, the check of
 * "config check"), asking before anything that changes state.  Never
 * prompts without a terminal on stdin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/harden.h"
#include "iis/appconfig.h"

#define MAXARGS 64

struct args {
	char *v[MAXARGS + 1];
	int n;
};

static void
arg(struct args *a, const char *s)
{
	if (a->n < MAXARGS && (a->v[a->n] = strdup(s)) != NULL)
		a->v[++a->n] = NULL;
}

static void
args_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* One answer line (trailing newline cut); NULL at end of input. */
static char *
ask(const char *prompt, const char *dflt, char *buf, size_t n)
{
	size_t len;

	if (dflt != NULL && *dflt != '\0')
		printf("%s [%s]: ", prompt, dflt);
	else
		printf("%s: ", prompt);
	fflush(stdout);
	if (fgets(buf, (int)n, stdin) == NULL)
		return NULL;
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len == 0 && dflt != NULL)
		snprintf(buf, n, "%s", dflt);
	return buf;
}

/* Shell-quoted for the printed command line. */
static void
print_quoted(const char *s)
{
	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
			       "OPQRSTUVWXYZ0123456789-_./:=@,+") == strlen(s)) {
		printf("%s", s);
		return;
	}
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			printf("'\\''");
		else
			putchar(*s);
	}
	putchar('\'');
}

static void
print_command(const char *heading, const struct args *g, const struct args *c)
{
	int i;

	printf("\n%s:\n  certferry", heading);
	for (i = 0; i < g->n; i++) {
		putchar(' ');
		print_quoted(g->v[i]);
	}
	for (i = 0; i < c->n; i++) {
		putchar(' ');
		print_quoted(c->v[i]);
	}
	printf("\n\n");
}

#define SAME "The same, unattended"

/* Run command c (c.v[0] its name), with the settings' options like main
 * gives them. */
static int
run(struct cf_cli *cli, struct args *c)
{
	char **v = NULL;
	int n = 0, ret;
	struct cf_err err = { 0 };

	fflush(stdout);
	if (cli->settings != NULL &&
	    cf_settings_command_argv((struct cf_settings *)cli->settings, c->n,
				     c->v, &n, &v, &err) != CF_OK)
		return cf_cli_fail(&err);
	if (v == NULL) {
		v = c->v;
		n = c->n;
	}
	if (strcmp(v[0], "issue") == 0)
		ret = cf_cmd_issue(cli, n, v);
	else if (strcmp(v[0], "renew") == 0)
		ret = cf_cmd_renew(cli, n, v);
	else if (strcmp(v[0], "list") == 0)
		ret = cf_cmd_list(cli, n, v);
	else if (strcmp(v[0], "show") == 0)
		ret = cf_cmd_show(cli, n, v);
	else if (strcmp(v[0], "cancel") == 0)
		ret = cf_cmd_cancel(cli, n, v);
	else if (strcmp(v[0], "revoke") == 0)
		ret = cf_cmd_revoke(cli, n, v);
	else if (strcmp(v[0], "account") == 0)
		ret = cf_cmd_account(cli, n, v);
	else
		ret = CF_EXIT_USAGE;
	if (v != c->v)
		free(v);
	fflush(stdout);
	return ret;
}

/* The global options the flows print: those certferry was started with,
 * and the CA profile chosen. */
static void
globals(const struct cf_cli *cli, const char *ca, struct args *g)
{
	for (int i = 0; i < cli->global_argc; i++)
		arg(g, cli->global_argv[i]);
	if (ca != NULL) {
		arg(g, "--ca");
		arg(g, ca);
	}
}

static int
yes(const char *prompt)
{
	char b[16];

	if (ask(prompt, "n", b, sizeof(b)) == NULL)
		return 0;
	return b[0] == 'y' || b[0] == 'Y';
}

/* List the sites of cfg; 0 when it could not be read. */
static int
list_sites(const char *cfg)
{
	struct cf_iis_config *c = NULL;
	struct cf_err err = { 0 };
	size_t i, k, nh;
	char **hosts;

	if (cf_iis_config_load(cfg, NULL, 0, &c, &err) != CF_OK) {
		printf("cannot read %s: %s\n", cfg, err.msg);
		return 0;
	}
	printf("\nIIS sites in %s:\n", cfg);
	for (i = 0; i < c->nsites; i++) {
		printf("  %5lu  %-28s", c->sites[i].id, c->sites[i].name);
		if (cf_iis_site_hosts(&c->sites[i], NULL, &hosts, &nh, &err) ==
		    CF_OK) {
			for (k = 0; k < nh; k++)
				printf("%s%s", k ? ", " : " ", hosts[k]);
			cf_iis_hosts_free(hosts, nh);
		}
		printf("\n");
	}
	cf_iis_config_free(c);
	return 1;
}

/* A setting's effective value (NULL: none, or no settings). */
static const char *
setting(const struct cf_cli *cli, const char *key)
{
	return cli->settings != NULL ? cf_settings_global(cli->settings, key) :
				       NULL;
}

/* Ask for a comma- or space-separated list and add "opt ITEM" to c for
 * each item.  The number of items; -1 at end of input. */
static int
ask_list(const char *prompt, const char *opt, struct args *c)
{
	char b[1024], *tok, *save = NULL;
	int n = 0;

	if (ask(prompt, NULL, b, sizeof(b)) == NULL)
		return -1;
	for (tok = strtok_r(b, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save), n++) {
		arg(c, opt);
		arg(c, tok);
	}
	return n;
}

/* Print the command line, ask, run it (or not); frees g and c. */
static int
confirm_run(struct cf_cli *cli, struct args *g, struct args *c,
	    const char *question)
{
	int ret = CF_EXIT_OK;

	print_command(SAME, g, c);
	if (question == NULL || yes(question))
		ret = run(cli, c);
	else
		printf("Nothing done.\n");
	args_free(g);
	args_free(c);
	return ret;
}

/* ---- create a certificate, step by step; each step returns 0 or the
 * exit status to stop with (end of input or a wrong answer) ---- */

/* The CA profile; *ca stays NULL for the default one. */
static int
create_ca(struct cf_cli *cli, const char **ca)
{
	const char *cas[16], *dflt;
	struct cf_err err = { 0 };
	char b[256];
	size_t nca = 0, i;

	*ca = NULL;
	if (cli->settings == NULL ||
	    (nca = cf_settings_ca_names(cli->settings, cas, 16)) == 0)
		return 0;
	dflt = cf_settings_selected_ca(cli->settings);
	printf("\nCA profiles of the settings file:");
	for (i = 0; i < nca; i++)
		printf(" %s", cas[i]);
	printf("\n");
	if (ask("CA profile", dflt, b, sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	for (i = 0; i < nca; i++)
		if (strcmp(b, cas[i]) == 0)
			*ca = cas[i];
	if (*ca == NULL && b[0] != '\0') {
		printf("no profile '%s'\n", b);
		return CF_EXIT_USAGE;
	}
	if (*ca != NULL && dflt != NULL && strcmp(*ca, dflt) == 0)
		*ca = NULL;  /* the default already */
	if (*ca == NULL)
		return 0;
	if (cf_settings_select_ca((struct cf_settings *)cli->settings, *ca,
				  &err) != CF_OK)
		return cf_cli_fail(&err);
	cli->server = cf_settings_global(cli->settings, "server");
	return 0;
}

/* IIS sites of an applicationHost.config. */
static int
create_sites(struct cf_cli *cli, struct args *c)
{
	const char *cfg = setting(cli, "iis-config");
	char b[1024];

	if (ask("applicationHost.config", cfg, b, sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	if (cfg == NULL || strcmp(b, cfg) != 0) {
		arg(c, "--iis-config");
		arg(c, b);
	}
	if (!list_sites(b))
		return CF_EXIT_USAGE;
	if (ask("Site id(s), comma-separated, or s for every site", NULL, b,
		sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	if (strcmp(b, "s") == 0) {
		arg(c, "--iis-site");
		arg(c, "*");
		return 0;
	}
	for (char *save = NULL, *tok = strtok_r(b, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		arg(c, "--iis-site");
		arg(c, tok);
	}
	return 0;
}

/* What the certificate is for: IIS sites (*iis set) or host names. */
static int
create_target(struct cf_cli *cli, struct args *c, int *iis)
{
	char b[16];

	printf("\nWhat is the certificate for?\n"
	       "  1: IIS site(s) from applicationHost.config\n"
	       "  2: host names I type\n");
	if (ask("Choose", "1", b, sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	*iis = b[0] == '1';
	if (*iis)
		return create_sites(cli, c);
	return ask_list("Host names, comma-separated (the first is the common "
			"name)", "-d", c) < 0 ? CF_EXIT_USAGE : 0;
}

static int
create_validation(struct cf_cli *cli, struct args *c, int iis)
{
	char b[1024];

	printf("\nHow does the CA check the names?\n"
	       "  1: http-01, certferry answers on port 80 itself\n"
	       "  2: http-01 through a web root folder\n"
	       "%s"
	       "  4: dns-01 through a script\n"
	       "  5: as the settings file says\n",
	       iis ? "  3: http-01 answered by IIS (the site's folder)\n" : "");
	if (ask("Choose", setting(cli, "validation") ? "5" : "1", b,
		sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	if (b[0] == '1') {
		arg(c, "--validation");
		arg(c, "http-01");
	} else if (b[0] == '2') {
		if (ask("Web root folder", NULL, b, sizeof(b)) == NULL)
			return CF_EXIT_USAGE;
		arg(c, "--webroot");
		arg(c, b);
	} else if (b[0] == '3' && iis) {
		arg(c, "--iis-webroot");
	} else if (b[0] == '4') {
		if (ask("Script (run as SCRIPT create|delete RECORD VALUE)", NULL,
			b, sizeof(b)) == NULL)
			return CF_EXIT_USAGE;
		arg(c, "--validation");
		arg(c, "dns-01");
		arg(c, "--dns-script");
		arg(c, b);
	}
	return 0;
}

/* Stores and installation. */
static int
create_stores(struct cf_cli *cli, struct args *c, int iis)
{
	const char *d = setting(cli, "ccs-dir");
	char b[1024];

	printf("\nWhere does the certificate go (besides certferry's state "
	       "folder)?\n"
	       "  1: IIS Centralized Certificate Store folder\n"
	       "  2: a PEM folder (nginx, Apache)\n"
	       "  3: nowhere else / as the settings file says\n");
	if (ask("Choose", iis ? "1" : "3", b, sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	if (b[0] == '1') {
		if (ask("CCS folder", d, b, sizeof(b)) == NULL)
			return CF_EXIT_USAGE;
		if (d == NULL || strcmp(b, d) != 0) {
			arg(c, "--ccs-dir");
			arg(c, b);
		}
	} else if (b[0] == '2') {
		if (ask("PEM folder", NULL, b, sizeof(b)) == NULL)
			return CF_EXIT_USAGE;
		arg(c, "--pem-dir");
		arg(c, b);
	}
	if (iis && yes("Add https bindings in IIS (--install iis)? y/n")) {
		arg(c, "--install");
		arg(c, "iis");
	}
	if (ask("Name of the renewal (Enter: the first host)", "", b,
		sizeof(b)) == NULL)
		return CF_EXIT_USAGE;
	if (b[0] != '\0') {
		arg(c, "--name");
		arg(c, b);
	}
	return 0;
}

static int
create(struct cf_cli *cli)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	const char *ca = NULL;
	int iis = 0, ret;

	if ((ret = create_ca(cli, &ca)) != 0)
		return ret;
	globals(cli, ca, &g);
	arg(&c, "issue");
	if ((ret = create_target(cli, &c, &iis)) != 0 ||
	    (ret = create_validation(cli, &c, iis)) != 0 ||
	    (ret = create_stores(cli, &c, iis)) != 0) {
		args_free(&g);
		args_free(&c);
		return ret;
	}
	return confirm_run(cli, &g, &c, "Run it now? y/n");
}

/* A command on one renewal NAME (show, cancel, revoke). */
static int
on_renewal(struct cf_cli *cli, const char *cmd, int confirm)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	char b[256], q[320];

	globals(cli, NULL, &g);
	arg(&c, "list");
	(void)run(cli, &c);
	args_free(&c);
	if (ask("Renewal name", NULL, b, sizeof(b)) == NULL || b[0] == '\0') {
		args_free(&g);
		return CF_EXIT_USAGE;
	}
	arg(&c, cmd);
	arg(&c, b);
	if (strcmp(cmd, "revoke") == 0)
		arg(&c, "--yes");
	snprintf(q, sizeof(q), "%s %s? y/n", cmd, b);
	return confirm_run(cli, &g, &c, confirm ? q : NULL);
}

static int
renew_one(struct cf_cli *cli)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	char n[256];

	if (ask("Renewal name", NULL, n, sizeof(n)) == NULL || n[0] == '\0')
		return CF_EXIT_USAGE;
	globals(cli, NULL, &g);
	arg(&c, "renew");
	arg(&c, "--force");
	arg(&c, "--name");
	arg(&c, n);
	return confirm_run(cli, &g, &c, "Order a new certificate for it now? "
			   "y/n");
}

/* A command without options (renew, list, account show ...); asks
 * question first when it is not NULL. */
static int
simple(struct cf_cli *cli, const char *a0, const char *a1,
       const char *question)
{
	struct args g = { .n = 0 }, c = { .n = 0 };

	globals(cli, NULL, &g);
	arg(&c, a0);
	if (a1 != NULL)
		arg(&c, a1);
	return confirm_run(cli, &g, &c, question);
}

/* ---- the account: the same code as "certferry account ..." ---- */

static int
account_register_flow(struct cf_cli *cli)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	char b[1024];

	printf("\nRegister an ACME account at %s\n", cli->server != NULL ?
	       cli->server : "(no server: give --server or a [ca NAME] profile)");
	globals(cli, NULL, &g);
	arg(&c, "account");
	arg(&c, "register");
	if (ask_list("Contact e-mail addresses, comma-separated (Enter: none, "
		     "or the settings file's)", "--email", &c) < 0)
		goto eof;
	if (setting(cli, "agree-tos") == NULL &&
	    yes("Accept the CA's terms of service (--agree-tos)? y/n"))
		arg(&c, "--agree-tos");
	if (setting(cli, "eab-kid") == NULL && getenv("CERTFERRY_EAB_KID") == NULL) {
		if (ask("External Account Binding key id (Enter: none)", "", b,
			sizeof(b)) == NULL)
			goto eof;
		if (b[0] != '\0') {
			arg(&c, "--eab-kid");
			arg(&c, b);
			/* the key itself never on a command line */
			if (ask("File that holds the EAB HMAC key", NULL, b,
				sizeof(b)) == NULL)
				goto eof;
			arg(&c, "--eab-hmac-key-file");
			arg(&c, b);
		}
	} else {
		printf("External Account Binding: as the settings (or "
		       "CERTFERRY_EAB_KID) say\n");
	}
	return confirm_run(cli, &g, &c, "Register this account? y/n");
eof:
	args_free(&g);
	args_free(&c);
	return CF_EXIT_USAGE;
}

/* update, rollover, export: what each asks, then the command. */
static int
account_change_flow(struct cf_cli *cli, const char *cmd)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	char b[1024];
	const char *q = "Replace the account key at the CA? y/n";

	globals(cli, NULL, &g);
	arg(&c, "account");
	arg(&c, cmd);
	if (strcmp(cmd, "update") == 0) {
		q = "Replace the contact addresses at the CA? y/n";
		if (ask_list("New contact e-mail addresses, comma-separated",
			     "--email", &c) <= 0)
			goto stop;
	} else if (strcmp(cmd, "rollover") == 0) {
		if (ask("New key type (Enter: the same type; ec256, ec384, "
			"rsa2048, ...)", "", b, sizeof(b)) == NULL)
			goto stop;
		if (b[0] != '\0') {
			arg(&c, "--key-type");
			arg(&c, b);
		}
	} else {
		q = "Write the account (its key encrypted) to that file? y/n";
		if (ask("File to write (mode 0600)", NULL, b, sizeof(b)) == NULL ||
		    b[0] == '\0')
			goto stop;
		arg(&c, b);
		if (ask("File that holds the passphrase", NULL, b,
			sizeof(b)) == NULL || b[0] == '\0')
			goto stop;
		arg(&c, "--passphrase-file");
		arg(&c, b);
	}
	return confirm_run(cli, &g, &c, q);
stop:
	printf("Nothing done.\n");
	args_free(&g);
	args_free(&c);
	return CF_EXIT_USAGE;
}

static int
account_menu(struct cf_cli *cli)
{
	char b[16];

	for (;;) {
		printf("\nThe ACME account (%s):\n"
		       "  L: List the accounts of the state folder\n"
		       "  S: Show the account at the CA\n"
		       "  G: Register an account\n"
		       "  U: Update the contact e-mail addresses\n"
		       "  K: Roll over the account key\n"
		       "  X: Export the account (key encrypted)\n"
		       "  B: Back\n", cli->server != NULL ? cli->server :
		       "no server given");
		if (ask("Choose", "B", b, sizeof(b)) == NULL)
			return CF_EXIT_OK;
		switch (b[0] | 0x20) {
		case 'l': (void)simple(cli, "account", "list", NULL); break;
		case 's': (void)simple(cli, "account", "show", NULL); break;
		case 'g': (void)account_register_flow(cli); break;
		case 'u': (void)account_change_flow(cli, "update"); break;
		case 'k': (void)account_change_flow(cli, "rollover"); break;
		case 'x': (void)account_change_flow(cli, "export"); break;
		case 'b': return CF_EXIT_OK;
		default: printf("'%s'? choose a letter of the menu\n", b);
		}
	}
}

/* ---- the settings file ---- */

static const char *
editor(void)
{
	const char *e = getenv("VISUAL");

	if (e == NULL || *e == '\0')
		e = getenv("EDITOR");
	return e != NULL && *e != '\0' ? e : NULL;
}

/*
 * Run the editor on path, on the user's terminal: through sh as git does
 * (so "code --wait" works), with the minimal environment of core/harden.h
 * plus TERM and the editor's command in CERTFERRY_EDITOR, and no other
 * descriptor than 0-2.  0 when it exited 0.
 */
static int
edit_file(const char *ed, const char *path)
{
	const char *term = getenv("TERM");
	char *extra[2] = { NULL, NULL }, **env = NULL;
	struct cf_err err = { 0 };
	pid_t pid = -1;
	int st = 0;

	extra[0] = cf_strfmt("CERTFERRY_EDITOR=%s", ed);
	extra[1] = term != NULL ? cf_strfmt("TERM=%s", term) : NULL;
	if (extra[0] == NULL || (term != NULL && extra[1] == NULL))
		cf_err_set(&err, CF_ERR_NOMEM, "out of memory");
	else if (cf_child_env_new((const char *const *)extra, term ? 2 : 1, &env,
				  &err) == CF_OK) {
		fflush(stdout);
		fflush(stderr);
		if ((pid = fork()) == 0) {
			cf_child_close_fds();
			execle("/bin/sh", "sh", "-c", "exec $CERTFERRY_EDITOR \"$1\"",
			       "sh", path, (char *)NULL, env);
			_exit(127);
		}
		while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	free(extra[0]);
	free(extra[1]);
	cf_child_env_free(env);
	if (err.msg[0] != '\0')
		return cf_cli_fail(&err);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("the editor (%s) did not finish cleanly\n", ed);
		return CF_EXIT_FAIL;
	}
	return CF_EXIT_OK;
}

/* Show the effective settings, offer the editor, check the file. */
static int
settings_menu(struct cf_cli *cli)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	const char *path = cli->settings != NULL ?
		cf_settings_looked_at(cli->settings) : NULL, *ed = editor();
	char q[1200];
	int ret = CF_EXIT_OK;

	globals(cli, NULL, &g);
	arg(&c, "config");
	arg(&c, "show");
	if (cli->settings != NULL)
		cf_settings_show(cli->settings, stdout, NULL, NULL, 0);
	print_command(SAME, &g, &c);
	args_free(&c);
	arg(&c, "config");
	arg(&c, "check");
	if (path == NULL) {
		printf("No settings file to edit: name one with --config FILE "
		       "or CERTFERRY_CONFIG.\n");
	} else if (ed == NULL) {
		printf("Neither VISUAL nor EDITOR is set: edit %s yourself.\n",
		       path);
		print_command("Then check it with", &g, &c);
	} else {
		snprintf(q, sizeof(q), "Open %s in %s? y/n", path, ed);
		if (yes(q)) {
			(void)edit_file(ed, path);
			ret = cf_config_check_file(path);
			printf("This menu keeps the settings it started with: "
			       "quit and start it again to use the edited file.\n");
			print_command("The same check, unattended", &g, &c);
		}
	}
	args_free(&g);
	args_free(&c);
	return ret;
}

static void
interactive_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [global options] interactive\n"
		"\n"
		"A menu (also: certferry alone on a terminal): create a\n"
		"certificate, run due renewals, list/show/renew/cancel/revoke,\n"
		"the ACME account (list, show, register, update the contacts,\n"
		"roll the key over, export) and the settings (each value and its\n"
		"origin; edit the file in $VISUAL or $EDITOR, then the check of\n"
		"'config check').  Every action prints its command line and asks\n"
		"before changing anything.  Needs a terminal on stdin.\n");
}

int
cf_cmd_interactive(struct cf_cli *cli, int argc, char **argv)
{
	char b[64];

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		interactive_usage(stdout);
		return CF_EXIT_OK;
	}
	if (argc > 1) {
		interactive_usage(stderr);
		return CF_EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "error: interactive mode needs a terminal on "
			"stdin: use the commands (certferry --help)\n");
		return CF_EXIT_USAGE;
	}
	printf("certferry %s - interactive\n", CF_VERSION);
	for (;;) {
		printf("\n"
		       "  N: Create a certificate\n"
		       "  R: Run renewals that are due\n"
		       "  L: List renewals\n"
		       "  S: Show a renewal\n"
		       "  E: Renew one now\n"
		       "  C: Cancel a renewal\n"
		       "  V: Revoke a certificate\n"
		       "  A: Manage the ACME account\n"
		       "  O: Settings: show, edit, check\n"
		       "  Q: Quit\n");
		if (ask("Choose", "Q", b, sizeof(b)) == NULL)
			return CF_EXIT_OK;
		switch (b[0] | 0x20) {
		case 'n': (void)create(cli); break;
		case 'r':
			(void)simple(cli, "renew", NULL, "Renew the certificates "
				     "that are due? y/n");
			break;
		case 'l': (void)simple(cli, "list", NULL, NULL); break;
		case 's': (void)on_renewal(cli, "show", 0); break;
		case 'e': (void)renew_one(cli); break;
		case 'c': (void)on_renewal(cli, "cancel", 1); break;
		case 'v': (void)on_renewal(cli, "revoke", 1); break;
		case 'a': (void)account_menu(cli); break;
		case 'o': (void)settings_menu(cli); break;
		case 'q': return CF_EXIT_OK;
		default: printf("'%s'? choose a letter of the menu\n", b);
		}
	}
}
