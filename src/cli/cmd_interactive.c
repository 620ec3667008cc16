/*
 * cmd_interactive.c - "certferry interactive" (and certferry with no
 * arguments on a terminal): a menu in win-acme's spirit.  Every flow ends
 * by printing the equivalent command line, so it teaches the unattended
 * form; the flows run certferry's own commands with that argv.  Never
 * prompts without a terminal on stdin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/settings.h"
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
print_command(const struct args *g, const struct args *c)
{
	int i;

	printf("\nThe same, unattended:\n  certferry");
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

static int
create(struct cf_cli *cli)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	const char *cas[16], *dflt_ca = NULL, *cfg, *ca = NULL;
	char b[1024], *tok, *save = NULL;
	size_t nca = 0, i;
	int iis = 0, ret = CF_EXIT_OK;

	if (cli->settings != NULL) {
		nca = cf_settings_ca_names(cli->settings, cas, 16);
		dflt_ca = cf_settings_selected_ca(cli->settings);
	}
	if (nca > 0) {
		printf("\nCA profiles of the settings file:");
		for (i = 0; i < nca; i++)
			printf(" %s", cas[i]);
		printf("\n");
		if (ask("CA profile", dflt_ca, b, sizeof(b)) == NULL)
			goto eof;
		for (i = 0; i < nca; i++)
			if (strcmp(b, cas[i]) == 0)
				ca = cas[i];
		if (ca == NULL && b[0] != '\0') {
			printf("no profile '%s'\n", b);
			return CF_EXIT_USAGE;
		}
		if (ca != NULL && dflt_ca != NULL && strcmp(ca, dflt_ca) == 0)
			ca = NULL;  /* the default already */
		if (ca != NULL) {
			struct cf_err err = { 0 };

			if (cf_settings_select_ca((struct cf_settings *)
						  cli->settings, ca, &err) != CF_OK)
				return cf_cli_fail(&err);
			cli->server = cf_settings_global(cli->settings, "server");
		}
	}
	globals(cli, ca, &g);
	arg(&c, "issue");
	cfg = cli->settings ? cf_settings_global(cli->settings, "iis-config") :
			      NULL;
	printf("\nWhat is the certificate for?\n"
	       "  1: IIS site(s) from applicationHost.config\n"
	       "  2: host names I type\n");
	if (ask("Choose", "1", b, sizeof(b)) == NULL)
		goto eof;
	if (b[0] == '1') {
		iis = 1;
		if (ask("applicationHost.config", cfg, b, sizeof(b)) == NULL)
			goto eof;
		if (cfg == NULL || strcmp(b, cfg) != 0) {
			arg(&c, "--iis-config");
			arg(&c, b);
		}
		if (!list_sites(b))
			return CF_EXIT_USAGE;
		if (ask("Site id(s), comma-separated, or s for every site",
			NULL, b, sizeof(b)) == NULL)
			goto eof;
		if (strcmp(b, "s") == 0) {
			arg(&c, "--iis-site");
			arg(&c, "*");
		}
		for (tok = strcmp(b, "s") ? strtok_r(b, ", ", &save) : NULL;
		     tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
			arg(&c, "--iis-site");
			arg(&c, tok);
		}
	} else {
		if (ask("Host names, comma-separated (the first is the common "
			"name)", NULL, b, sizeof(b)) == NULL)
			goto eof;
		for (tok = strtok_r(b, ", ", &save); tok != NULL;
		     tok = strtok_r(NULL, ", ", &save)) {
			arg(&c, "-d");
			arg(&c, tok);
		}
	}
	printf("\nHow does the CA check the names?\n"
	       "  1: http-01, certferry answers on port 80 itself\n"
	       "  2: http-01 through a web root folder\n"
	       "%s"
	       "  4: dns-01 through a script\n"
	       "  5: as the settings file says\n",
	       iis ? "  3: http-01 answered by IIS (the site's folder)\n" : "");
	if (ask("Choose", cli->settings && cf_settings_global(cli->settings,
		"validation") ? "5" : "1", b, sizeof(b)) == NULL)
		goto eof;
	if (b[0] == '1') {
		arg(&c, "--validation");
		arg(&c, "http-01");
	} else if (b[0] == '2') {
		if (ask("Web root folder", NULL, b, sizeof(b)) == NULL)
			goto eof;
		arg(&c, "--webroot");
		arg(&c, b);
	} else if (b[0] == '3' && iis) {
		arg(&c, "--iis-webroot");
	} else if (b[0] == '4') {
		if (ask("Script (run as SCRIPT create|delete RECORD VALUE)", NULL,
			b, sizeof(b)) == NULL)
			goto eof;
		arg(&c, "--validation");
		arg(&c, "dns-01");
		arg(&c, "--dns-script");
		arg(&c, b);
	}
	printf("\nWhere does the certificate go (besides certferry's state "
	       "folder)?\n"
	       "  1: IIS Centralized Certificate Store folder\n"
	       "  2: a PEM folder (nginx, Apache)\n"
	       "  3: nowhere else / as the settings file says\n");
	if (ask("Choose", iis ? "1" : "3", b, sizeof(b)) == NULL)
		goto eof;
	if (b[0] == '1') {
		const char *d = cli->settings ?
			cf_settings_global(cli->settings, "ccs-dir") : NULL;

		if (ask("CCS folder", d, b, sizeof(b)) == NULL)
			goto eof;
		if (d == NULL || strcmp(b, d) != 0) {
			arg(&c, "--ccs-dir");
			arg(&c, b);
		}
	} else if (b[0] == '2') {
		if (ask("PEM folder", NULL, b, sizeof(b)) == NULL)
			goto eof;
		arg(&c, "--pem-dir");
		arg(&c, b);
	}
	if (iis && yes("Add https bindings in IIS (--install iis)? y/n"))
		arg(&c, "--install"), arg(&c, "iis");
	if (ask("Name of the renewal (Enter: the first host)", "", b,
		sizeof(b)) == NULL)
		goto eof;
	if (b[0] != '\0') {
		arg(&c, "--name");
		arg(&c, b);
	}
	print_command(&g, &c);
	if (yes("Run it now? y/n"))
		ret = run(cli, &c);
	else
		printf("Nothing done.\n");
	args_free(&g);
	args_free(&c);
	return ret;
eof:
	args_free(&g);
	args_free(&c);
	return CF_EXIT_USAGE;
}

/* A command on one renewal NAME (show, cancel, revoke). */
static int
on_renewal(struct cf_cli *cli, const char *cmd, int confirm)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	char b[256], q[320];
	int ret = CF_EXIT_OK;

	globals(cli, NULL, &g);
	arg(&c, "list");
	(void)run(cli, &c);
	args_free(&c);
	if (ask("Renewal name", NULL, b, sizeof(b)) == NULL || b[0] == '\0')
		return CF_EXIT_USAGE;
	arg(&c, cmd);
	arg(&c, b);
	if (strcmp(cmd, "revoke") == 0)
		arg(&c, "--yes");
	snprintf(q, sizeof(q), "%s %s? y/n", cmd, b);
	print_command(&g, &c);
	if (!confirm || yes(q))
		ret = run(cli, &c);
	else
		printf("Nothing done.\n");
	args_free(&g);
	args_free(&c);
	return ret;
}

static int
simple(struct cf_cli *cli, const char *a0, const char *a1, const char *a2)
{
	struct args g = { .n = 0 }, c = { .n = 0 };
	int ret;

	globals(cli, NULL, &g);
	arg(&c, a0);
	if (a1 != NULL)
		arg(&c, a1);
	if (a2 != NULL)
		arg(&c, a2);
	if (strcmp(a0, "config") == 0) {
		cf_settings_show(cli->settings, stdout, NULL, NULL, 0);
		ret = CF_EXIT_OK;
	} else {
		ret = run(cli, &c);
	}
	print_command(&g, &c);
	args_free(&g);
	args_free(&c);
	return ret;
}

int
cf_cmd_interactive(struct cf_cli *cli, int argc, char **argv)
{
	char b[64];

	if (argc > 1) {
		fprintf(stderr, "usage: certferry [global options] interactive\n");
		return CF_EXIT_USAGE;
	}
	(void)argv;
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
		       "  A: Show the ACME account\n"
		       "  O: Show the settings\n"
		       "  Q: Quit\n");
		if (ask("Choose", "Q", b, sizeof(b)) == NULL)
			return CF_EXIT_OK;
		switch (b[0]) {
		case 'n': case 'N':
			(void)create(cli);
			break;
		case 'r': case 'R':
			(void)simple(cli, "renew", NULL, NULL);
			break;
		case 'l': case 'L':
			(void)simple(cli, "list", NULL, NULL);
			break;
		case 's': case 'S':
			(void)on_renewal(cli, "show", 0);
			break;
		case 'e': case 'E': {
			char n[256];

			struct args g = { .n = 0 }, c = { .n = 0 };

			if (ask("Renewal name", NULL, n, sizeof(n)) == NULL ||
			    n[0] == '\0')
				break;
			arg(&c, "renew");
			arg(&c, "--force");
			arg(&c, "--name");
			arg(&c, n);
			globals(cli, NULL, &g);
			(void)run(cli, &c);
			print_command(&g, &c);
			args_free(&g);
			args_free(&c);
			break;
		}
		case 'c': case 'C':
			(void)on_renewal(cli, "cancel", 1);
			break;
		case 'v': case 'V':
			(void)on_renewal(cli, "revoke", 1);
			break;
		case 'a': case 'A':
			(void)simple(cli, "account", "show", NULL);
			break;
		case 'o': case 'O':
			if (cli->settings != NULL)
				(void)simple(cli, "config", "show", NULL);
			break;
		case 'q': case 'Q':
			return CF_EXIT_OK;
		default:
			printf("'%s'? choose a letter of the menu\n", b);
		}
	}
}
